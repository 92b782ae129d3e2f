//! Recording events and reading them back through the indexes.
//!
//! Layout: `audit_events` (id → [`Event`]) plus three key-only indexes whose keys end in
//! `(at, id)`: `audit_by_time`, `audit_by_kind` (kind code first) and `audit_by_actor` (user id
//! first, 0 for the bot). So "events of kind K (or by actor A) from time T on" is one range scan,
//! and a browser pages by continuing from the last [`Position`] it showed.

use serde::{Deserialize, Serialize};

use super::{Actor, Event, EventKind};
use crate::outbox::{Message, Route, route};
use crate::store::{Read, StoreError, Table, Writer};

/// The audit log: event id → event (see `audit`).
const AUDIT_EVENTS: Table<u64, Event> = Table::new("audit_events");

/// Counters of the audit log: `next_id` → the id the next event gets.
const AUDIT_SEQUENCE: Table<str, u64> = Table::new("audit_sequence");

/// Audit index by time: `(at, id)`.
const AUDIT_BY_TIME: Table<(i64, u64), ()> = Table::new("audit_by_time");

/// Audit index by kind: `(kind code, (at, id))`.
const AUDIT_BY_KIND: Table<(u64, (i64, u64)), ()> = Table::new("audit_by_kind");

/// Audit index by actor: `(user id or 0 for the bot, (at, id))`.
const AUDIT_BY_ACTOR: Table<(u64, (i64, u64)), ()> = Table::new("audit_by_actor");

/// An event's number: increasing in recording order, never reused.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct EventId(pub u64);

/// What a mutation did: changed something (and recorded this event), or nothing needed changing.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Change {
    Applied(EventId),
    NoEffect,
}

/// A place in an index: events sort by time, then id.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Position {
    pub at: i64,
    pub id: EventId,
}

impl Position {
    /// The first position at time `at`.
    pub fn at_time(at: i64) -> Position {
        Position { at, id: EventId(0) }
    }

    /// The position just after this one (to continue a page).
    pub fn next(self) -> Position {
        match self.id.0.checked_add(1) {
            Some(id) => Position {
                at: self.at,
                id: EventId(id),
            },
            None => Position::at_time(self.at.saturating_add(1)),
        }
    }
}

/// Which index to read.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Index {
    All,
    Kind(EventKind),
    Actor(Actor),
}

const NEXT_ID: &str = "next_id";

/// Records `event` in the caller's transaction and returns its id. The same transaction queues
/// the event's post to the `log` route (unless that route is off; see also
/// [`Event::posted_to_log`]): an event reaches the log channel whoever records it, and only if
/// its change commits.
pub fn record(w: &mut Writer, event: &Event) -> Result<EventId, StoreError> {
    let id = w.get(&AUDIT_SEQUENCE, NEXT_ID)?.unwrap_or(1);
    w.insert(&AUDIT_SEQUENCE, NEXT_ID, &(id + 1))?;
    w.insert(&AUDIT_EVENTS, &id, event)?;
    let tail = (event.at, id);
    w.insert(&AUDIT_BY_TIME, &tail, &())?;
    w.insert(&AUDIT_BY_KIND, &(u64::from(event.kind.code()), tail), &())?;
    w.insert(&AUDIT_BY_ACTOR, &(event.actor.key(), tail), &())?;
    if event.posted_to_log() {
        route::push(w, Route::Log, Message::text(event.summary()), None)?;
    }
    Ok(EventId(id))
}

/// The event with this id.
pub fn get(r: &impl Read, id: EventId) -> Result<Option<Event>, StoreError> {
    r.get(&AUDIT_EVENTS, &id.0)
}

/// Up to `limit` events of `index` from `from` (inclusive) to time `until` (exclusive), oldest
/// first.
pub fn query(
    r: &impl Read,
    index: Index,
    from: Position,
    until: i64,
    limit: usize,
) -> Result<Vec<(Position, Event)>, StoreError> {
    let start = (from.at, from.id.0);
    let end = (until, 0);
    let positions: Vec<(i64, u64)> = match index {
        Index::All => keys(r.range(&AUDIT_BY_TIME, &start, &end, limit)?),
        Index::Kind(kind) => {
            let code = u64::from(kind.code());
            let rows = r.range(&AUDIT_BY_KIND, &(code, start), &(code, end), limit)?;
            keys(rows).into_iter().map(|(_, tail)| tail).collect()
        }
        Index::Actor(actor) => {
            let key = actor.key();
            let rows = r.range(&AUDIT_BY_ACTOR, &(key, start), &(key, end), limit)?;
            keys(rows).into_iter().map(|(_, tail)| tail).collect()
        }
    };
    let mut out = Vec::with_capacity(positions.len());
    for (at, id) in positions {
        let event = r
            .get(&AUDIT_EVENTS, &id)?
            .ok_or_else(|| StoreError::Decode {
                table: AUDIT_EVENTS.name(),
                detail: format!("index names event {id}, which is missing"),
            })?;
        let position = Position {
            at,
            id: EventId(id),
        };
        out.push((position, event));
    }
    Ok(out)
}

fn keys<K>(rows: Vec<(K, ())>) -> Vec<K> {
    rows.into_iter().map(|(k, ())| k).collect()
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use crate::outbox::{self, Destination, Effect};
    use crate::store::Store;

    #[test]
    fn recorded_events_are_found_by_each_index() {
        let (_dir, store) = Store::temporary();
        let events = [
            Event::new(EventKind::ParameterEdited, Actor::User(7), 100).with("value", "1"),
            Event::new(EventKind::RouteToggled, Actor::Bot, 50).with("enabled", false),
            Event::new(EventKind::ParameterEdited, Actor::User(8), 200),
            Event::new(EventKind::ParameterEdited, Actor::User(7), 100),
        ];
        let ids: Vec<EventId> = store
            .write(|w| events.iter().map(|e| record(w, e)).collect())
            .unwrap();
        assert_eq!(ids, [EventId(1), EventId(2), EventId(3), EventId(4)]);

        let found = |index, from, until, limit| {
            store
                .read(|r| query(r, index, from, until, limit))
                .unwrap()
                .into_iter()
                .map(|(p, _)| p.id.0)
                .collect::<Vec<_>>()
        };
        let all = Position::at_time(i64::MIN);
        assert_eq!(found(Index::All, all, i64::MAX, 10), [2, 1, 4, 3]);
        assert_eq!(found(Index::All, Position::at_time(100), 200, 10), [1, 4]);
        let kind = Index::Kind(EventKind::ParameterEdited);
        assert_eq!(found(kind, all, i64::MAX, 10), [1, 4, 3]);
        assert_eq!(found(kind, all, i64::MAX, 2), [1, 4]);
        // Paging continues after the last position shown.
        let first = store.read(|r| query(r, kind, all, i64::MAX, 1)).unwrap();
        assert_eq!(found(kind, first[0].0.next(), i64::MAX, 10), [4, 3]);
        assert_eq!(
            found(Index::Actor(Actor::User(7)), all, i64::MAX, 10),
            [1, 4]
        );
        assert_eq!(found(Index::Actor(Actor::Bot), all, i64::MAX, 10), [2]);
        assert_eq!(
            found(Index::Kind(EventKind::SeasonEnded), all, i64::MAX, 10),
            Vec::<u64>::new()
        );

        let back = store.read(|r| get(r, EventId(2))).unwrap().unwrap();
        assert_eq!(back, events[1]);
        assert_eq!(store.read(|r| get(r, EventId(99))).unwrap(), None);
    }

    #[test]
    fn a_failed_transaction_records_nothing_and_ids_continue() {
        let (_dir, store) = Store::temporary();
        let event = Event::new(EventKind::SeasonStarted, Actor::Bot, 1);
        let failed: Result<(), StoreError> = store.write(|w| {
            record(w, &event)?;
            Err(StoreError::Storage("caller failed".into()))
        });
        assert!(failed.is_err());
        let all = Position::at_time(i64::MIN);
        assert!(
            store
                .read(|r| query(r, Index::All, all, i64::MAX, 10))
                .unwrap()
                .is_empty()
        );
        let id = store.write(|w| record(w, &event)).unwrap();
        assert_eq!(id, EventId(1));
    }

    #[test]
    fn recording_queues_the_post_to_the_log_route_in_the_same_transaction() {
        let (_dir, store) = Store::temporary();
        let by = |actor| Event::new(EventKind::RouteTargetUpdated, actor, 5);
        // The log route is off until it has a channel: the event is recorded, not posted.
        store.write(|w| record(w, &by(Actor::User(6)))).unwrap();
        store
            .write(|w| route::set_default(w, Route::Log, 70))
            .unwrap();
        let id = store.write(|w| record(w, &by(Actor::User(7)))).unwrap();
        // A route's default found by the bot itself is recorded, not posted.
        store.write(|w| record(w, &by(Actor::Bot))).unwrap();
        let failed: Result<EventId, StoreError> = store.write(|w| {
            record(w, &by(Actor::User(8)))?;
            Err(StoreError::Storage("abort".into()))
        });
        assert!(failed.is_err());
        let queued: Vec<Effect> = store
            .read(outbox::queue::queued)
            .unwrap()
            .into_iter()
            .map(|(_, q)| q.effect)
            .collect();
        let summary = store.read(|r| get(r, id)).unwrap().unwrap().summary();
        assert_eq!(
            queued,
            [Effect::Send {
                to: Destination::Route {
                    route: Route::Log,
                    channel: 70
                },
                message: Message::text(summary),
                anchor: None,
            }]
        );
    }

    #[test]
    fn change_messages() {
        assert_eq!(Change::Applied(EventId(1)).message().key, "common.success");
        assert_eq!(Change::NoEffect.message().key, "warning.no_effect");
    }

    #[test]
    fn positions_step_past_the_end() {
        let last = Position {
            at: 5,
            id: EventId(u64::MAX),
        };
        assert_eq!(last.next(), Position::at_time(6));
    }
}
