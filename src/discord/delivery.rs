//! Delivery of the outbox (see `outbox`): one worker, while the bot is connected, carries out the
//! queued effects in order through serenity's HTTP client.
//!
//! Delivery failures: a route whose channel was deleted is reported to the log route once, not on
//! every message; what Discord refuses for good (a member who left, closed DMs, missing
//! permissions) is logged and dropped; anything else (a timeout, no connection, Discord's 5xx) is
//! retried with a growing pause. After [`ATTEMPTS`] tries the row is dropped, so one bad row never
//! blocks the queue, but only if Discord answers a probe (`GET /gateway`): then Discord is up and
//! the row is the trouble. In an outage the probe fails too, and the row waits, tried again every
//! minute at most, for as long as the outage lasts: nothing queued is lost. An effect that stands
//! for a message built at delivery time (a widget refresh) is first
//! expanded by `bot::expand`.
//!
//! A thread ([`Effect::Thread`]) is two requests: start it on the anchored message, then post in
//! it. A crash or failure between them leaves the thread started and the row queued; the retry
//! gets Discord's "a thread has already been created for this message" (160004) and posts into
//! that thread instead (the message object names it; a thread started from a message has the
//! message's id, which is used when it does not). A message that is gone (10008), or was never
//! delivered, has no thread to start: skipped and logged, like an edit of it.
//!
//! Once, or at least once. A row is settled (taken off the queue, its anchor recorded) only after
//! Discord answered, so a crash in between delivers it again. Most effects are idempotent: an edit
//! made again changes nothing, deleting a deleted message is Unknown Message (taken as done), a
//! role added or removed again or the same nickname set again is no change, and a thread started
//! again is the 160004 above. A new message is made once by Discord itself: every message created
//! from a row (a post to a route or channel, a DM, a thread's post; each part of a long one)
//! carries a nonce derived from the row ([`Nonces`]) with `enforce_nonce`, and Discord answers a
//! create whose nonce it saw from the bot in the last few minutes with the message it created
//! then. So a post appears once, and its anchor records that message (`tests/soak.rs` kills the
//! server mid-delivery to check it). Still at least once: a row cut off mid-delivery whose next
//! try comes after Discord forgot the nonce (a crash followed by more than a few minutes of
//! downtime) is posted a second time. Answers to interactions are no rows: Discord takes one
//! initial response per interaction, and follow-ups (interaction webhooks, which take no nonce)
//! are sent once from memory and never retried, so a crash loses a follow-up not yet sent rather
//! than repeating one.

use std::sync::Arc;
use std::time::Duration;

use serenity::all::{
    AutoArchiveDuration, ChannelId, CreateMessage, CreateThread, EditMember, GuildId, Http,
    MessageId, Nonce, RoleId, UserId,
};
use sha2::{Digest, Sha256};

use super::convert;
use crate::bot::Ctx;
use crate::i18n::{Catalogue, Lang};
use crate::outbox::{
    Destination, Effect, Landed, LimitError, Message, Outbox, Posted, Queued, Route, fit_thread,
    prepare, queue,
};
use crate::routes;
use crate::store::{Store, StoreError};

/// Tries before a delivery that keeps failing is dropped.
pub const ATTEMPTS: u32 = 5;

/// Delivers the queue, oldest first, for as long as the task runs.
pub async fn run(outbox: Outbox, ctx: Arc<Ctx>, http: Arc<Http>) {
    let mut pause = Duration::ZERO;
    loop {
        if !pause.is_zero() {
            tokio::time::sleep(pause).await;
        }
        // A row is read, delivered and settled in the same store: a snapshot loaded from
        // Discord waits for the delivery under way, and the next delivery for the load.
        let busy = ctx.pause.enter().await;
        let next = ctx.store.read(queue::next);
        let (id, queued) = match next {
            Ok(Some(row)) => row,
            Ok(None) => {
                drop(busy);
                outbox.woken().await;
                pause = Duration::ZERO;
                continue;
            }
            Err(err) => {
                tracing::error!(error = %err, "cannot read the outbox");
                pause = Duration::from_secs(5);
                continue;
            }
        };
        let delivered = deliver_one(&ctx, &http, id, queued).await;
        drop(busy);
        pause = match delivered {
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
    ctx: &Ctx,
    http: &Http,
    id: u64,
    mut queued: Queued,
) -> Result<(), StoreError> {
    let nonces = Nonces::of(id, &queued.effect);
    let result = match crate::bot::expand(ctx, queued.effect.clone()) {
        Ok(Some(effect)) => deliver(http, &ctx.store, ctx.guild, &nonces, effect).await,
        Ok(None) => Ok(None),
        Err(err) => Err(DeliveryError::Failed(err.to_string())),
    };
    let mut follow_up = None;
    // Given up on for good: a use case watching this effect hears of it.
    let mut failed = false;
    match result {
        Ok(place) => {
            return ctx
                .store
                .write(|w| queue::settle(w, id, &queued.effect, place));
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
            tracing::warn!(effect = ?summary(&queued.effect), ?reason, "Discord refused a delivery; dropped");
            failed = true;
        }
        Err(DeliveryError::Failed(reason)) => {
            queued.attempts += 1;
            if queued.attempts < ATTEMPTS || !discord_answers(http).await {
                tracing::warn!(
                    attempt = queued.attempts,
                    ?reason,
                    "a delivery failed; will retry"
                );
                ctx.store.write(|w| queue::retry(w, id, &queued))?;
                tokio::time::sleep(retry_pause(queued.attempts)).await;
                return Ok(());
            }
            tracing::error!(effect = ?summary(&queued.effect), ?reason, "a delivery kept failing; dropped");
            failed = true;
        }
    }
    ctx.store.write(|w| {
        let watch = if failed {
            queue::take_watch(w, id)?
        } else {
            None
        };
        queue::settle(w, id, &queued.effect, None)?;
        if let Some(watch) = watch {
            crate::bot::refused(ctx, w, watch)?;
        }
        match follow_up {
            Some(effect) => crate::outbox::push(w, effect),
            None => Ok(()),
        }
    })
}

/// The nonces of the messages one outbox row creates (see the module doc). They are derived from
/// the row's id and its effect, so every try of the row sends the same ones, while a row id that
/// comes round again with another effect (after a restore, or from a second install on the same
/// bot) gets other ones: Discord would otherwise hand back an old message for a new one.
pub struct Nonces {
    seed: [u8; 32],
}

impl Nonces {
    pub fn of(row: u64, effect: &Effect) -> Nonces {
        let mut hash = Sha256::new();
        hash.update(row.to_be_bytes());
        // An effect read from the store encodes again; were it not to, the row id alone would
        // still tell the rows apart.
        hash.update(postcard::to_allocvec(effect).unwrap_or_default());
        Nonces {
            seed: hash.finalize().into(),
        }
    }

    /// The nonce of the row's `n`th message: `sh` and 16 hex digits, within Discord's 25
    /// characters.
    pub fn nonce(&self, n: usize) -> String {
        let mut hash = Sha256::new();
        hash.update(self.seed);
        hash.update(u64::try_from(n).unwrap_or(u64::MAX).to_be_bytes());
        let digest: [u8; 32] = hash.finalize().into();
        let mut head = [0u8; 8];
        head.copy_from_slice(&digest[..8]);
        format!("sh{:016x}", u64::from_be_bytes(head))
    }

    /// The request that creates `part` as the row's `n`th message, once.
    fn create(&self, part: &Message, n: usize) -> CreateMessage {
        convert::message(part)
            .nonce(Nonce::String(self.nonce(n)))
            .enforce_nonce(true)
    }
}

/// Whether Discord answers at all: a cheap request that fails only in an outage (or with no
/// way to Discord), when a failing row is not to blame.
async fn discord_answers(http: &Http) -> bool {
    http.get_gateway().await.is_ok()
}

/// 0.5 s, 1 s, 2 s, … between tries of a failing delivery, at most a minute.
fn retry_pause(attempts: u32) -> Duration {
    let pause = Duration::from_millis(500) * (1 << attempts.saturating_sub(1).min(7));
    pause.min(Duration::from_secs(60))
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
        Effect::Thread { anchor, .. } => format!("thread on {anchor}"),
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
        .read(|r| routes::post(r, Route::Log, Message::text(text), None))
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
/// Discord's error code for a message that does not exist.
const UNKNOWN_MESSAGE: isize = 10008;
/// Discord's error code for starting a thread on a message that already has one.
const THREAD_ALREADY_CREATED: isize = 160004;

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

/// Carries out one effect; for a new message, returns where its parts landed. The one way
/// Stagehand changes Discord other than by answering an interaction. Each message it creates
/// carries its nonce from `nonces`, so that Discord creates it only once however often the row
/// is delivered.
pub async fn deliver(
    http: &Http,
    store: &Store,
    guild: u64,
    nonces: &Nonces,
    effect: Effect,
) -> Result<Option<Landed>, DeliveryError> {
    let limits = |e: LimitError| DeliveryError::Refused(e.to_string());
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
            let mut landed: Option<Landed> = None;
            for (n, part) in prepare(message).map_err(limits)?.iter().enumerate() {
                let sent = channel
                    .send_message(http, nonces.create(part, n))
                    .await
                    .map_err(|e| DeliveryError::from_serenity(e, route))?
                    .id
                    .get();
                match &mut landed {
                    Some(landed) => landed.more.push(sent),
                    None => {
                        let first = Posted {
                            channel: channel.get(),
                            message: sent,
                        };
                        landed = Some(Landed {
                            first,
                            more: Vec::new(),
                        });
                    }
                }
            }
            Ok(landed)
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
            Ok(None)
        }
        Effect::Delete { anchor } => {
            let Some(place) = anchored(store, &anchor)? else {
                return Ok(None);
            };
            let more = store
                .read(|r| queue::parts(r, &anchor))
                .map_err(|e| DeliveryError::Failed(e.to_string()))?;
            // The anchored part last: a retry after a failure finds the anchor again.
            for message in more.into_iter().chain([place.message]) {
                let deleted = ChannelId::new(place.channel)
                    .delete_message(http, MessageId::new(message))
                    .await;
                match deleted {
                    Err(err) if is_unknown_message(&err) => {}
                    other => other.map_err(|e| DeliveryError::from_serenity(e, None))?,
                }
            }
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
            "built by the outbox worker before delivery".into(),
        )),
        Effect::Thread {
            anchor,
            name,
            auto_archive_minutes,
            message,
        } => {
            let name = fit_thread(&name, auto_archive_minutes).map_err(limits)?;
            let parts = prepare(message).map_err(limits)?;
            let Some(place) = anchored(store, &anchor)? else {
                return Ok(None);
            };
            let Some(thread) = start_thread(http, place, name, auto_archive_minutes).await? else {
                tracing::warn!(anchor, "the anchored message is gone; no thread started");
                return Ok(None);
            };
            for (n, part) in parts.iter().enumerate() {
                thread
                    .send_message(http, nonces.create(part, n))
                    .await
                    .map_err(|e| DeliveryError::from_serenity(e, None))?;
            }
            Ok(None)
        }
        Effect::RegisterCommands => {
            let texts = Catalogue::open(store).map_err(|e| DeliveryError::Failed(e.to_string()))?;
            super::register::register(http, store, guild, &texts)
                .await
                .map_err(|e| DeliveryError::Failed(format!("{e:#}")))?;
            Ok(None)
        }
    }
}

/// Starts a thread on the message at `place` and returns it; when the message has one already
/// (an earlier try started it), returns that one. `None` when the message is gone.
async fn start_thread(
    http: &Http,
    place: Posted,
    name: String,
    auto_archive_minutes: u16,
) -> Result<Option<ChannelId>, DeliveryError> {
    let (channel, message) = (ChannelId::new(place.channel), MessageId::new(place.message));
    let builder = CreateThread::new(name)
        .auto_archive_duration(AutoArchiveDuration::from(auto_archive_minutes));
    let err = match channel
        .create_thread_from_message(http, message, builder)
        .await
    {
        Ok(thread) => return Ok(Some(thread.id)),
        Err(err) if is_unknown_message(&err) => return Ok(None),
        Err(err) if error_code(&err) == Some(THREAD_ALREADY_CREATED) => err,
        Err(err) => return Err(DeliveryError::from_serenity(err, None)),
    };
    tracing::info!(
        message = place.message,
        error = ?err.to_string(),
        "the message has a thread already; posting in it"
    );
    match channel.message(http, message).await {
        // A thread started from a message has the message's id.
        Ok(found) => Ok(Some(
            found
                .thread
                .map_or(ChannelId::new(place.message), |thread| thread.id),
        )),
        Err(err) if is_unknown_message(&err) => Ok(None),
        Err(err) => Err(DeliveryError::from_serenity(err, None)),
    }
}

/// Discord's JSON error code, when Discord answered with one.
fn error_code(err: &serenity::Error) -> Option<isize> {
    match err {
        serenity::Error::Http(serenity::http::HttpError::UnsuccessfulRequest(response)) => {
            Some(response.error.code)
        }
        _ => None,
    }
}

/// Whether Discord answered that the message does not exist (deleted already, by a person or
/// by an earlier try).
fn is_unknown_message(err: &serenity::Error) -> bool {
    error_code(err) == Some(UNKNOWN_MESSAGE)
}

/// The place recorded under `anchor`; an edit, delete or thread of a message that was never
/// delivered (its post was dropped) has nothing to act on and is skipped.
fn anchored(store: &Store, anchor: &str) -> Result<Option<Posted>, DeliveryError> {
    let place = store
        .read(|r| queue::posted(r, anchor))
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
    fn every_try_of_a_row_sends_the_same_nonces_and_other_rows_other_ones() {
        let effect = Effect::dm(5, Message::text("hi"));
        let first = Nonces::of(42, &effect);
        let again = Nonces::of(42, &effect.clone());
        assert_eq!(first.nonce(0), again.nonce(0));
        assert_eq!(first.nonce(3), again.nonce(3));
        assert_ne!(
            first.nonce(0),
            first.nonce(1),
            "each part of a long message its own"
        );
        assert_ne!(first.nonce(0), Nonces::of(43, &effect).nonce(0));
        let reused = Nonces::of(42, &Effect::dm(5, Message::text("bye")));
        assert_ne!(first.nonce(0), reused.nonce(0), "a row id come round again");
        let nonce = first.nonce(usize::MAX);
        assert!(nonce.starts_with("sh") && nonce.len() == 18, "{nonce}");

        // What Discord receives: the nonce as a string, and the request to enforce it.
        let body = serde_json::to_value(first.create(&Message::text("hi"), 0)).expect("json");
        assert_eq!(body["nonce"], first.nonce(0).as_str());
        assert_eq!(body["enforce_nonce"], true);
    }

    #[test]
    fn retry_pauses_grow_and_stay_bounded() {
        assert_eq!(retry_pause(1), Duration::from_millis(500));
        assert_eq!(retry_pause(2), Duration::from_secs(1));
        assert_eq!(retry_pause(5), Duration::from_secs(8));
        assert_eq!(retry_pause(8), Duration::from_secs(60));
        assert_eq!(retry_pause(u32::MAX), Duration::from_secs(60));
    }
}
