//! The outbox queue: every [`Effect`] — a post to a route, a DM, an edit of a widget, a role
//! change — is first a row in the store, written in the same transaction as the change that caused
//! it ([`push`]), and then delivered, in order, by one worker while the bot is connected (see
//! `discord::delivery`). A restart, a Discord outage or a crash between the two loses nothing: the
//! worker picks up where it stopped.
//!
//! Messages posted with an anchor have their place (channel, message id) recorded under it
//! ([`settle`]), so a later effect can edit or delete them (widgets, notices) even after a
//! restart. A long content goes out as several messages: the anchor points at the first, and
//! the others are recorded beside it so that deleting the anchor deletes them all.
//!
//! Posts to the `log` route (audit events, missing-channel reports) wait in a queue of their own,
//! delivered in order once the main queue is empty: a change's own messages (a widget, a
//! notification) go out first, though its event was recorded, and its post queued, before them.

use std::sync::Arc;

use serde::{Deserialize, Serialize};
use tokio::sync::Notify;

use super::effect::{Effect, OnRefused};
use crate::store::{META, Read, Store, StoreError, Table, Writer};

/// Effects waiting to be delivered to Discord, in order: id → queued effect.
const OUTBOX: Table<u64, Queued> = Table::new("outbox");

/// Posts to the `log` route waiting to be delivered, in order: id (from the same sequence as
/// [`OUTBOX`]) → queued effect.
const LOG_POSTS: Table<u64, Queued> = Table::new("outbox_log");

/// The queue `effect` waits in.
fn queue_of(effect: &Effect) -> &'static Table<u64, Queued> {
    if effect.is_log_post() {
        &LOG_POSTS
    } else {
        &OUTBOX
    }
}

/// Queued effects whose refusal a use case must hear of: row id → what it does then (see
/// [`push_watched`]).
const WATCHED: Table<u64, OnRefused> = Table::new("outbox_watched");

/// Where anchored messages landed: anchor → channel and message id.
pub const ANCHORS: Table<str, Posted> = Table::new("anchors");

/// The later parts of a long anchored message: anchor → their message ids, in the channel of
/// the first part (in [`ANCHORS`]). No row when the message was one part.
const ANCHOR_PARTS: Table<str, Vec<u64>> = Table::new("anchor_parts");

/// The key of `stagehand_meta` holding the id the next row of the outbox gets.
const NEXT: &str = "outbox_next";

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

/// Where a new message landed: its first part, and the ids of the parts a long content was
/// split into after it, in the same channel.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Landed {
    pub first: Posted,
    pub more: Vec<u64>,
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
    push_row(w, effect).map(drop)
}

/// [`push`], for an effect whose refusal by Discord its use case must hear of: when Discord
/// refuses it for good, the worker hands `on_refused` back in the transaction that drops it
/// ([`take_watch`]); when it is delivered, the watch goes with it.
pub fn push_watched(
    w: &mut Writer,
    effect: Effect,
    on_refused: OnRefused,
) -> Result<(), StoreError> {
    let id = push_row(w, effect)?;
    w.insert(&WATCHED, &id, &on_refused)
}

fn push_row(w: &mut Writer, effect: Effect) -> Result<u64, StoreError> {
    let id = w.get(&META, NEXT)?.unwrap_or(1);
    w.insert(&META, NEXT, &(id + 1))?;
    w.insert(
        queue_of(&effect),
        &id,
        &Queued {
            effect,
            attempts: 0,
        },
    )?;
    Ok(id)
}

/// The watch of row `id` ([`push_watched`]), taken off: what its use case does now that Discord
/// refused it.
pub fn take_watch(w: &mut Writer, id: u64) -> Result<Option<OnRefused>, StoreError> {
    let watch = w.get(&WATCHED, &id)?;
    if watch.is_some() {
        w.remove(&WATCHED, &id)?;
    }
    Ok(watch)
}

/// Where the message anchored as `anchor` landed, once it has been delivered.
pub fn posted(r: &impl Read, anchor: &str) -> Result<Option<Posted>, StoreError> {
    r.get(&ANCHORS, anchor)
}

/// Records a message that already exists (a reply to an interaction) under `anchor`, so that
/// later effects edit or delete it.
pub fn remember(w: &mut Writer, anchor: &str, place: Posted) -> Result<(), StoreError> {
    w.remove(&ANCHOR_PARTS, anchor)?;
    w.insert(&ANCHORS, anchor, &place)
}

/// The ids of the later parts of the message anchored as `anchor` (see [`Landed`]).
pub fn parts(r: &impl Read, anchor: &str) -> Result<Vec<u64>, StoreError> {
    Ok(r.get(&ANCHOR_PARTS, anchor)?.unwrap_or_default())
}

/// Every queued effect, oldest first, with its row id.
pub fn queued(r: &impl Read) -> Result<Vec<(u64, Queued)>, StoreError> {
    let mut rows = r.all(&OUTBOX)?;
    rows.extend(r.all(&LOG_POSTS)?);
    rows.sort_by_key(|(id, _)| *id);
    Ok(rows)
}

/// The next effect to deliver, with its row id: the oldest of the main queue, or when that is
/// empty the oldest post to the `log` route.
pub fn next(r: &impl Read) -> Result<Option<(u64, Queued)>, StoreError> {
    match r.range(&OUTBOX, &0, &u64::MAX, 1)?.pop() {
        Some(row) => Ok(Some(row)),
        None => Ok(r.range(&LOG_POSTS, &0, &u64::MAX, 1)?.pop()),
    }
}

/// Takes row `id` off the queue once it is delivered or given up on, recording where an anchored
/// message landed or forgetting the anchor of a deleted one.
pub fn settle(
    w: &mut Writer,
    id: u64,
    effect: &Effect,
    landed: Option<Landed>,
) -> Result<(), StoreError> {
    w.remove(queue_of(effect), &id)?;
    w.remove(&WATCHED, &id)?;
    match (effect, effect.anchor(), landed) {
        (Effect::Delete { .. }, Some(anchor), _) => {
            w.remove(&ANCHORS, anchor)?;
            w.remove(&ANCHOR_PARTS, anchor).map(drop)
        }
        (Effect::Send { .. }, Some(anchor), Some(landed)) => {
            w.insert(&ANCHORS, anchor, &landed.first)?;
            if landed.more.is_empty() {
                w.remove(&ANCHOR_PARTS, anchor).map(drop)
            } else {
                w.insert(&ANCHOR_PARTS, anchor, &landed.more)
            }
        }
        _ => Ok(()),
    }
}

/// Keeps row `id` for another try, with its failed attempts counted.
pub fn retry(w: &mut Writer, id: u64, queued: &Queued) -> Result<(), StoreError> {
    w.insert(queue_of(&queued.effect), &id, queued)
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

    /// Waits until [`Outbox::wake`] is called (at once if it was called since the last wait).
    pub async fn woken(&self) {
        self.wake.notified().await;
    }

    /// A mark to pass to [`Outbox::send`]: where the store's commits stand now.
    pub fn mark(&self) -> u64 {
        self.store.commits()
    }

    /// Queues `effects` in one transaction and wakes the worker when there is anything to
    /// deliver: these effects, or what a transaction committed since `mark` may have queued (a
    /// use case's widget, an audit event's post). A caller that wrote nothing wakes nobody.
    pub fn send(&self, effects: Vec<Effect>, mark: u64) -> Result<(), StoreError> {
        if !effects.is_empty() {
            self.store
                .write(|w| effects.into_iter().try_for_each(|effect| push(w, effect)))?;
        }
        if self.store.commits() != mark {
            self.wake();
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::outbox::{Destination, Message};

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
    fn a_watched_effect_is_handed_back_only_when_refused() {
        let (_dir, store) = Store::temporary();
        let watch = OnRefused::ChallengeDm { challenge: 9 };
        for _ in 0..2 {
            store
                .write(|w| push_watched(w, Effect::dm(5, Message::text("hi")), watch))
                .expect("push");
        }
        let rows = store.read(queued).expect("queued");
        let ((refused, effect), (delivered, _)) = (&rows[0], &rows[1]);
        // Refused: the worker takes the watch, then settles the row.
        let taken = store
            .write(|w| {
                let watch = take_watch(w, *refused)?;
                settle(w, *refused, &effect.effect, None)?;
                Ok::<_, StoreError>(watch)
            })
            .expect("refused");
        assert_eq!(taken, Some(watch));
        // Delivered: settling drops the watch with the row.
        store
            .write(|w| settle(w, *delivered, &effect.effect, None))
            .expect("delivered");
        assert_eq!(
            store.write(|w| take_watch(w, *delivered)).expect("take"),
            None
        );
        assert!(store.read(|r| r.all(&WATCHED)).expect("read").is_empty());
        // An effect nobody watches has nothing to hand back.
        store
            .write(|w| push(w, Effect::dm(5, Message::text("hi"))))
            .expect("push");
        let (plain, _) = store.read(queued).expect("queued")[0].clone();
        assert_eq!(store.write(|w| take_watch(w, plain)).expect("take"), None);
    }

    fn log_post() -> Effect {
        Effect::Send {
            to: Destination::Route {
                route: crate::outbox::Route::Log,
                channel: 7,
            },
            message: Message::text("EVENT"),
            anchor: None,
        }
    }

    #[test]
    fn log_posts_wait_until_the_main_queue_is_empty() {
        let (_dir, store) = Store::temporary();
        store
            .write(|w| {
                push(w, log_post())?;
                push(w, Effect::dm(1, Message::text("widget")))
            })
            .expect("push");
        let (first, queued) = store.read(next).expect("read").expect("a row");
        assert_eq!((first, queued.effect.anchor()), (2, None));
        assert!(matches!(queued.effect, Effect::Send { .. }));
        store
            .write(|w| settle(w, first, &queued.effect, None))
            .expect("settle");
        let (second, queued) = store.read(next).expect("read").expect("a row");
        assert_eq!((second, &queued.effect), (1, &log_post()));
        store
            .write(|w| settle(w, second, &queued.effect, None))
            .expect("settle");
        assert!(store.read(next).expect("read").is_none());
    }

    #[test]
    fn the_mark_moves_with_commits_only() {
        let (_dir, store) = Store::temporary();
        let outbox = Outbox::new(Arc::new(store));
        let mark = outbox.mark();
        let rolled_back: Result<(), StoreError> = outbox.store.write(|w| {
            push(w, Effect::dm(1, Message::text("never")))?;
            Err(StoreError::Storage("abort".into()))
        });
        assert!(rolled_back.is_err());
        assert_eq!(
            outbox.mark(),
            mark,
            "nothing committed: nothing to wake for"
        );
        outbox
            .send(vec![Effect::dm(1, Message::text("m"))], mark)
            .expect("send");
        assert_eq!(outbox.mark(), mark + 1);
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
}
