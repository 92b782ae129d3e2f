//! The outbox: every [`Effect`] — a post to a route, a DM, an edit of a widget, a role change —
//! is first a row in the store, written in the same transaction as the change that caused it,
//! and then delivered, in order, by one worker while the bot is connected. A restart, a Discord
//! outage or a crash between the two loses nothing: the worker picks up where it stopped.
//!
//! Messages posted with an anchor have their place (channel, message id) recorded under it, so
//! a later effect can edit or delete them (widgets, notices) even after a restart.
//!
//! Delivery failures: a route whose channel was deleted is reported to the log route once, not on
//! every message; what Discord refuses for good (a member who left, closed DMs, missing
//! permissions) is logged and dropped; anything else is retried with a growing pause, then
//! dropped after [`ATTEMPTS`] tries so one bad row never blocks the queue.

use std::sync::Arc;
use std::time::Duration;

use serde::{Deserialize, Serialize};
use serenity::all::{ChannelId, EditMember, GuildId, Http, MessageId, RoleId, UserId};
use tokio::sync::Notify;

use super::convert;
use super::handlers::Ctx;
use super::interaction::{Destination, Effect};
use super::message::{Message, prepare};
use crate::i18n::{Catalogue, Lang};
use crate::routes::{self, Route};
use crate::store::tables::{ANCHORS, OUTBOX, meta};
use crate::store::{Read, Store, StoreError, Writer, tables};

/// Tries before a delivery that keeps failing is dropped.
pub const ATTEMPTS: u32 = 5;

/// A queued effect.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Queued {
    pub effect: Effect,
    /// Failed deliveries so far.
    pub attempts: u32,
}

/// Where an anchored message landed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Posted {
    pub channel: u64,
    pub message: u64,
}

impl Posted {
    /// The message's link, for "see the widget" buttons.
    pub fn link(&self, guild: u64) -> String {
        format!(
            "https://discord.com/channels/{guild}/{}/{}",
            self.channel, self.message
        )
    }
}

/// The handle producers use: queue inside a transaction ([`push`]), then [`Outbox::wake`].
#[derive(Clone)]
pub struct Outbox {
    store: Arc<Store>,
    wake: Arc<Notify>,
}

/// Queues `effect` in the caller's transaction; it is delivered after the commit, once the
/// worker is woken.
pub fn push(w: &mut Writer, effect: Effect) -> Result<(), StoreError> {
    let id = w.get(&tables::META, meta::OUTBOX_NEXT)?.unwrap_or(1);
    w.insert(&tables::META, meta::OUTBOX_NEXT, &(id + 1))?;
    w.insert(
        &OUTBOX,
        &id,
        &Queued {
            effect,
            attempts: 0,
        },
    )
}

/// Where the message anchored as `anchor` landed, once it has been delivered.
pub fn posted(r: &impl Read, anchor: &str) -> Result<Option<Posted>, StoreError> {
    r.get(&ANCHORS, anchor)
}

/// The message that sends `message` along `route`, if the route sends anything now (a disabled
/// route, or one without a channel, drops it silently: gd-requestbot §6.3).
pub fn post(
    r: &impl Read,
    route: Route,
    message: Message,
    anchor: Option<String>,
) -> Result<Option<Effect>, StoreError> {
    let channel = routes::resolve(r, route)?;
    Ok(channel.map(|channel| Effect::Send {
        to: Destination::Route { route, channel },
        message,
        anchor,
    }))
}

impl Outbox {
    pub fn new(store: Arc<Store>) -> Outbox {
        Outbox {
            store,
            wake: Arc::new(Notify::new()),
        }
    }

    /// Tells the worker there is something to deliver (call after committing a [`push`]).
    pub fn wake(&self) {
        self.wake.notify_one();
    }

    /// Queues `effects` in one transaction and wakes the worker.
    pub fn send(&self, effects: Vec<Effect>) -> Result<(), StoreError> {
        if effects.is_empty() {
            return Ok(());
        }
        self.store
            .write(|w| effects.into_iter().try_for_each(|effect| push(w, effect)))?;
        self.wake();
        Ok(())
    }

    /// Delivers the queue, oldest first, for as long as the task runs.
    pub(super) async fn run(self, ctx: Arc<Ctx>, http: Arc<Http>) {
        let mut pause = Duration::ZERO;
        loop {
            if !pause.is_zero() {
                tokio::time::sleep(pause).await;
            }
            let next = self
                .store
                .read(|r| r.range(&OUTBOX, &0, &u64::MAX, 1))
                .map(|mut rows| rows.pop());
            let (id, queued) = match next {
                Ok(Some(row)) => row,
                Ok(None) => {
                    self.wake.notified().await;
                    pause = Duration::ZERO;
                    continue;
                }
                Err(err) => {
                    tracing::error!(error = %err, "cannot read the outbox");
                    pause = Duration::from_secs(5);
                    continue;
                }
            };
            pause = match self.deliver_one(&ctx, &http, id, queued).await {
                Ok(()) => Duration::ZERO,
                Err(err) => {
                    tracing::error!(error = %err, "cannot update the outbox");
                    Duration::from_secs(5)
                }
            };
        }
    }

    /// Delivers one row and settles it: removed (delivered or given up on) or retried later.
    async fn deliver_one(
        &self,
        ctx: &Ctx,
        http: &Http,
        id: u64,
        mut queued: Queued,
    ) -> Result<(), StoreError> {
        let anchored = anchor_of(&queued.effect).map(str::to_string);
        let result = match super::requests::resolve(ctx, queued.effect.clone()) {
            Ok(Some(effect)) => deliver(http, &self.store, ctx.guild, effect).await,
            Ok(None) => Ok(None),
            Err(err) => Err(DeliveryError::Failed(err.to_string())),
        };
        let mut follow_up = None;
        match result {
            Ok(place) => {
                return self.store.write(|w| {
                    w.remove(&OUTBOX, &id)?;
                    match (&queued.effect, anchored, place) {
                        (Effect::Delete { .. }, Some(anchor), _) => {
                            w.remove(&ANCHORS, anchor.as_str())?;
                        }
                        (_, Some(anchor), Some(place)) => {
                            w.insert(&ANCHORS, anchor.as_str(), &place)?;
                        }
                        _ => {}
                    }
                    Ok(())
                });
            }
            Err(DeliveryError::ChannelGone { route, channel }) => {
                tracing::warn!(
                    route = route.name(),
                    channel,
                    "the route's channel no longer exists"
                );
                follow_up = channel_missing(ctx, route, channel)?;
            }
            Err(DeliveryError::Refused(reason)) => {
                tracing::warn!(effect = ?summary(&queued.effect), %reason, "Discord refused a delivery; dropped");
            }
            Err(DeliveryError::Failed(reason)) => {
                queued.attempts += 1;
                if queued.attempts < ATTEMPTS {
                    tracing::warn!(attempt = queued.attempts, %reason, "a delivery failed; will retry");
                    self.store.write(|w| w.insert(&OUTBOX, &id, &queued))?;
                    tokio::time::sleep(retry_pause(queued.attempts)).await;
                    return Ok(());
                }
                tracing::error!(effect = ?summary(&queued.effect), %reason, "a delivery kept failing; dropped");
            }
        }
        self.store.write(|w| {
            w.remove(&OUTBOX, &id)?;
            match follow_up {
                Some(effect) => push(w, effect),
                None => Ok(()),
            }
        })
    }
}

/// 1 s, 2 s, 4 s, … between tries of a failing delivery.
fn retry_pause(attempts: u32) -> Duration {
    Duration::from_secs(1 << attempts.saturating_sub(1).min(6))
}

fn anchor_of(effect: &Effect) -> Option<&str> {
    match effect {
        Effect::Send { anchor, .. } => anchor.as_deref(),
        Effect::Edit { anchor, .. } | Effect::Delete { anchor } => Some(anchor),
        Effect::Member { .. } | Effect::RegisterCommands | Effect::RefreshResolution { .. } => None,
    }
}

/// What an effect was, for the log, without its (possibly long) message.
fn summary(effect: &Effect) -> String {
    match effect {
        Effect::Send { to, anchor, .. } => format!("send to {to:?} (anchor {anchor:?})"),
        Effect::Edit { anchor, .. } => format!("edit {anchor}"),
        Effect::Delete { anchor } => format!("delete {anchor}"),
        Effect::Member { user, .. } => format!("member {user}"),
        Effect::RegisterCommands => "register the commands".to_string(),
        Effect::RefreshResolution { request } => format!("refresh the widget of request {request}"),
    }
}

/// Records that `route`'s `channel` is gone; the first time for that channel, returns the report
/// to post to the log route (unless the log route itself lost its channel).
pub fn channel_missing(
    ctx: &Ctx,
    route: Route,
    channel: u64,
) -> Result<Option<Effect>, StoreError> {
    if !routes::report_missing(&ctx.store, route, channel, ctx.clock.now())? || route == Route::Log
    {
        return Ok(None);
    }
    let text = ctx.texts.render(
        Lang::En,
        "route.channel_missing",
        &[
            ("route", route.name()),
            ("channel", &format!("<#{channel}>")),
        ],
    );
    ctx.store
        .read(|r| post(r, Route::Log, Message::text(text), None))
}

/// Why an effect was not delivered.
#[derive(Debug, thiserror::Error)]
pub enum DeliveryError {
    /// The channel of a route no longer exists (Discord's Unknown Channel).
    #[error("the channel {channel} of route {} no longer exists", route.name())]
    ChannelGone { route: Route, channel: u64 },
    /// Discord refused for good: trying again would not help.
    #[error("refused: {0}")]
    Refused(String),
    /// Anything else (network, Discord's 5xx): worth another try.
    #[error("{0}")]
    Failed(String),
}

/// Discord's "Unknown Channel" error code.
const UNKNOWN_CHANNEL: isize = 10003;

impl DeliveryError {
    fn from_serenity(err: serenity::Error, route: Option<(Route, u64)>) -> DeliveryError {
        let serenity::Error::Http(serenity::http::HttpError::UnsuccessfulRequest(response)) = &err
        else {
            return DeliveryError::Failed(err.to_string());
        };
        match route {
            Some((route, channel)) if response.error.code == UNKNOWN_CHANNEL => {
                DeliveryError::ChannelGone { route, channel }
            }
            _ if response.status_code.is_client_error() => DeliveryError::Refused(err.to_string()),
            _ => DeliveryError::Failed(err.to_string()),
        }
    }
}

/// Carries out one effect; for a new message, returns where its first part landed. The one way
/// Stagehand changes Discord other than by answering an interaction.
pub async fn deliver(
    http: &Http,
    store: &Store,
    guild: u64,
    effect: Effect,
) -> Result<Option<Posted>, DeliveryError> {
    let limits = |e: super::message::LimitError| DeliveryError::Refused(e.to_string());
    match effect {
        Effect::Send { to, message, .. } => {
            let (channel, route) = match to {
                Destination::Dm(user) => {
                    let channel = UserId::new(user)
                        .create_dm_channel(http)
                        .await
                        .map_err(|e| DeliveryError::from_serenity(e, None))?;
                    (channel.id, None)
                }
                Destination::Channel(channel) => (ChannelId::new(channel), None),
                Destination::Route { route, channel } => {
                    (ChannelId::new(channel), Some((route, channel)))
                }
            };
            let mut first = None;
            for part in prepare(message).map_err(limits)? {
                let sent = channel
                    .send_message(http, convert::message(&part))
                    .await
                    .map_err(|e| DeliveryError::from_serenity(e, route))?;
                first.get_or_insert(Posted {
                    channel: channel.get(),
                    message: sent.id.get(),
                });
            }
            Ok(first)
        }
        Effect::Edit { anchor, message } => {
            let Some(place) = anchored(store, &anchor)? else {
                return Ok(None);
            };
            let part = prepare(message)
                .map_err(limits)?
                .into_iter()
                .next()
                .unwrap_or_default();
            ChannelId::new(place.channel)
                .edit_message(
                    http,
                    MessageId::new(place.message),
                    convert::edit_message(&part),
                )
                .await
                .map_err(|e| DeliveryError::from_serenity(e, None))?;
            Ok(Some(place))
        }
        Effect::Delete { anchor } => {
            let Some(place) = anchored(store, &anchor)? else {
                return Ok(None);
            };
            ChannelId::new(place.channel)
                .delete_message(http, MessageId::new(place.message))
                .await
                .map_err(|e| DeliveryError::from_serenity(e, None))?;
            Ok(None)
        }
        Effect::Member {
            user,
            add_roles,
            remove_roles,
            nick,
        } => {
            let (guild, user) = (GuildId::new(guild), UserId::new(user));
            let refused = |e| DeliveryError::from_serenity(e, None);
            for role in add_roles {
                http.add_member_role(guild, user, RoleId::new(role), None)
                    .await
                    .map_err(refused)?;
            }
            for role in remove_roles {
                http.remove_member_role(guild, user, RoleId::new(role), None)
                    .await
                    .map_err(refused)?;
            }
            if let Some(nick) = nick {
                guild
                    .edit_member(http, user, EditMember::new().nickname(nick))
                    .await
                    .map_err(refused)?;
            }
            Ok(None)
        }
        Effect::RefreshResolution { .. } => Err(DeliveryError::Refused(
            "a widget refresh is built by the outbox worker before delivery".into(),
        )),
        Effect::RegisterCommands => {
            let texts = Catalogue::open(store).map_err(|e| DeliveryError::Failed(e.to_string()))?;
            super::client::register(http, store, guild, &texts)
                .await
                .map_err(|e| DeliveryError::Failed(format!("{e:#}")))?;
            Ok(None)
        }
    }
}

/// The place recorded under `anchor`; an edit or delete of a message that was never delivered
/// (its post was dropped) has nothing to act on and is skipped.
fn anchored(store: &Store, anchor: &str) -> Result<Option<Posted>, DeliveryError> {
    let place = store
        .read(|r| posted(r, anchor))
        .map_err(|e| DeliveryError::Failed(e.to_string()))?;
    if place.is_none() {
        tracing::warn!(anchor, "no delivered message under this anchor; skipped");
    }
    Ok(place)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pushed_effects_queue_in_order_across_transactions() {
        let (_dir, store) = Store::temporary();
        for n in 0..3 {
            store
                .write(|w| push(w, Effect::dm(n, Message::text(format!("m{n}")))))
                .expect("push");
        }
        let rows = store.read(|r| r.all(&OUTBOX)).expect("read the outbox");
        let users: Vec<_> = rows
            .iter()
            .map(|(id, q)| match &q.effect {
                Effect::Send {
                    to: Destination::Dm(user),
                    ..
                } => (*id, *user),
                other => panic!("unexpected {other:?}"),
            })
            .collect();
        assert_eq!(users, [(1, 0), (2, 1), (3, 2)]);
    }

    #[test]
    fn a_rolled_back_transaction_queues_nothing() {
        let (_dir, store) = Store::temporary();
        let failed: Result<(), StoreError> = store.write(|w| {
            push(w, Effect::dm(1, Message::text("never")))?;
            Err(StoreError::Storage("abort".into()))
        });
        assert!(failed.is_err());
        assert!(store.read(|r| r.all(&OUTBOX)).expect("read").is_empty());
    }

    #[test]
    fn retry_pauses_grow_and_stay_bounded() {
        assert_eq!(retry_pause(1), Duration::from_secs(1));
        assert_eq!(retry_pause(2), Duration::from_secs(2));
        assert_eq!(retry_pause(4), Duration::from_secs(8));
        assert_eq!(retry_pause(100), Duration::from_secs(64));
    }
}
