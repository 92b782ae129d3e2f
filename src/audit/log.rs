//! Recording events and reading them back through the indexes.
//!
//! Layout: `audit_events` (id → [`Event`]) plus four key-only indexes whose keys end in
//! `(at, id)`: `audit_by_time`, `audit_by_kind` (kind code first), `audit_by_actor` (user id
//! first, 0 for the bot) and `audit_by_field` (one row per custom field, [`field_key`] of its
//! name and typed value first; schema 4). So "events of kind K (or by actor A, or whose field F
//! is V) from time T on" is one range scan, and a browser pages by continuing from the last
//! [`Position`] it showed (`super::browse` intersects them).

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::{Actor, Event, EventKind, Value};
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

/// Audit index by custom field: `(field_key(name, value), (at, id))`.
const AUDIT_BY_FIELD: Table<(u64, (i64, u64)), ()> = Table::new("audit_by_field");

/// The first 8 bytes (big-endian) of SHA-256 over `stagehand audit field`, a zero byte, the
/// field's name, 0xFF (never in UTF-8), and the value: a tag byte then its bytes — 0 text (UTF-8),
/// 1 integer (8 bytes big-endian, two's complement), 2 boolean (one byte, 0 or 1), 3 user,
/// 4 role, 5 channel (each its id, 8 bytes big-endian), 6 absent (nothing). Part of the store's
/// format: the schema 4 migration computes the same (`store::migrate`), and a test pins both.
/// Different fields may share a key (a hash): readers compare the event's own field.
pub fn field_key(name: &str, value: &Value) -> u64 {
    let mut hash = Sha256::new();
    hash.update(b"stagehand audit field\0");
    hash.update(name.as_bytes());
    hash.update([0xFF]);
    match value {
        Value::Text(text) => {
            hash.update([0]);
            hash.update(text.as_bytes());
        }
        Value::Int(n) => {
            hash.update([1]);
            hash.update(n.to_be_bytes());
        }
        Value::Bool(b) => hash.update([2, u8::from(*b)]),
        Value::User(id) => {
            hash.update([3]);
            hash.update(id.to_be_bytes());
        }
        Value::Role(id) => {
            hash.update([4]);
            hash.update(id.to_be_bytes());
        }
        Value::Channel(id) => {
            hash.update([5]);
            hash.update(id.to_be_bytes());
        }
        Value::Absent => hash.update([6]),
    }
    let digest: [u8; 32] = hash.finalize().into();
    let mut head = [0u8; 8];
    head.copy_from_slice(&digest[..8]);
    u64::from_be_bytes(head)
}

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
    /// Events with this [`field_key`] (which other fields may share: compare the field).
    Field(u64),
}

impl Index {
    /// The first position of this index at or after `from`.
    pub(super) fn first_from(
        self,
        r: &impl Read,
        from: Position,
    ) -> Result<Option<Position>, StoreError> {
        let start = (from.at, from.id.0);
        let end = (i64::MAX, u64::MAX);
        let found = match self.prefix() {
            None => r
                .range(&AUDIT_BY_TIME, &start, &end, 1)?
                .pop()
                .map(|(k, ())| k),
            Some((table, key)) => r
                .range(table, &(key, start), &(key, end), 1)?
                .pop()
                .map(|((_, tail), ())| tail),
        };
        Ok(found.map(position))
    }

    /// The last position of this index before `until`.
    pub(super) fn last_before(
        self,
        r: &impl Read,
        until: Position,
    ) -> Result<Option<Position>, StoreError> {
        let start = (i64::MIN, 0);
        let end = (until.at, until.id.0);
        let found = match self.prefix() {
            None => r
                .range_rev(&AUDIT_BY_TIME, &start, &end, 1)?
                .pop()
                .map(|(k, ())| k),
            Some((table, key)) => r
                .range_rev(table, &(key, start), &(key, end), 1)?
                .pop()
                .map(|((_, tail), ())| tail),
        };
        Ok(found.map(position))
    }

    /// The prefixed index and its prefix; `None` for the index by time.
    fn prefix(self) -> Option<(&'static PrefixedIndex, u64)> {
        match self {
            Index::All => None,
            Index::Kind(kind) => Some((&AUDIT_BY_KIND, u64::from(kind.code()))),
            Index::Actor(actor) => Some((&AUDIT_BY_ACTOR, actor.key())),
            Index::Field(key) => Some((&AUDIT_BY_FIELD, key)),
        }
    }
}

type PrefixedIndex = Table<(u64, (i64, u64)), ()>;

fn position((at, id): (i64, u64)) -> Position {
    Position {
        at,
        id: EventId(id),
    }
}

const NEXT_ID: &str = "next_id";

/// The longest text value a post to the `log` route shows whole: past it, a value is cut. Texts
/// Stagehand takes are at most 4,000 characters (a feedback), so a post is at most a few parts.
const LOG_POST_TEXT: usize = 4_000;

/// Records `event` in the caller's transaction and returns its id. The same transaction queues
/// the event's post to the `log` route (unless that route is off; see also
/// [`Event::posted_to_log`]): an event reaches the log channel whoever records it, and only if
/// its change commits.
pub fn record(w: &mut Writer, event: &Event) -> Result<EventId, StoreError> {
    debug_assert_eq!(event.conforms(), Ok(()), "{}", event.summary());
    let id = store(w, event)?;
    if event.posted_to_log() {
        let block = super::Block::of(id, event, LOG_POST_TEXT);
        route::push(w, Route::Log, Message::text(block.text()), None)?;
    }
    Ok(id)
}

/// Records an event of another bot's log (`stagehand import`) with its own time: indexed like
/// any event, and never posted to the `log` route (that bot posted it when it happened). The
/// caller checks that it conforms ([`Event::conforms`]).
pub fn import(w: &mut Writer, event: &Event) -> Result<EventId, StoreError> {
    store(w, event)
}

/// Empties the log, with the saved and active filters and their questions
/// (`stagehand import requestbot --replace`, after a snapshot); returns how many events it held.
pub fn clear(w: &mut Writer) -> Result<u64, StoreError> {
    let events = w.clear(&AUDIT_EVENTS)?;
    w.clear(&AUDIT_SEQUENCE)?;
    w.clear(&AUDIT_BY_TIME)?;
    w.clear(&AUDIT_BY_KIND)?;
    w.clear(&AUDIT_BY_ACTOR)?;
    w.clear(&AUDIT_BY_FIELD)?;
    super::filters::clear_all(w)?;
    Ok(events)
}

/// How many events the log holds.
pub fn count(r: &impl Read) -> Result<u64, StoreError> {
    r.len(&AUDIT_EVENTS)
}

/// Stores `event` under the next id with its indexes.
fn store(w: &mut Writer, event: &Event) -> Result<EventId, StoreError> {
    let id = w.get(&AUDIT_SEQUENCE, NEXT_ID)?.unwrap_or(1);
    w.insert(&AUDIT_SEQUENCE, NEXT_ID, &(id + 1))?;
    w.insert(&AUDIT_EVENTS, &id, event)?;
    let tail = (event.at, id);
    w.insert(&AUDIT_BY_TIME, &tail, &())?;
    w.insert(&AUDIT_BY_KIND, &(u64::from(event.kind.code()), tail), &())?;
    w.insert(&AUDIT_BY_ACTOR, &(event.actor.key(), tail), &())?;
    for (name, value) in &event.fields {
        w.insert(&AUDIT_BY_FIELD, &(field_key(name, value), tail), &())?;
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
    let positions: Vec<(i64, u64)> = match index.prefix() {
        None => keys(r.range(&AUDIT_BY_TIME, &start, &end, limit)?),
        Some((table, key)) => {
            let rows = r.range(table, &(key, start), &(key, end), limit)?;
            keys(rows).into_iter().map(|(_, tail)| tail).collect()
        }
    };
    let mut out = Vec::with_capacity(positions.len());
    for (at, id) in positions {
        let position = Position {
            at,
            id: EventId(id),
        };
        out.push((position, indexed(r, position)?));
    }
    Ok(out)
}

/// The event an index names at `position`.
pub(super) fn indexed(r: &impl Read, position: Position) -> Result<Event, StoreError> {
    let id = position.id.0;
    r.get(&AUDIT_EVENTS, &id)?
        .ok_or_else(|| StoreError::Decode {
            table: AUDIT_EVENTS.name(),
            detail: format!("index names event {id}, which is missing"),
        })
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
        let event = store.read(|r| get(r, id)).unwrap().unwrap();
        let summary = super::super::Block::of(id, &event, LOG_POST_TEXT).text();
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
    fn each_field_is_indexed_by_its_typed_value() {
        let (_dir, store) = Store::temporary();
        let events = [
            Event::new(EventKind::RequestDeleted, Actor::User(7), 10)
                .with("request_id", Value::Int(5)),
            Event::new(EventKind::ParameterEdited, Actor::User(7), 11)
                .with("parameter_id", "request_id")
                .with("value", "5"),
            Event::new(EventKind::RequestRequested, Actor::Bot, 12)
                .with("request_id", Value::Int(5))
                .with("level_id", Value::Int(128)),
        ];
        store
            .write(|w| events.iter().try_for_each(|e| record(w, e).map(drop)))
            .unwrap();
        let found = |name: &str, value: Value| {
            let index = Index::Field(field_key(name, &value));
            let all = Position::at_time(i64::MIN);
            store
                .read(|r| query(r, index, all, i64::MAX, 10))
                .unwrap()
                .into_iter()
                .map(|(p, _)| p.id.0)
                .collect::<Vec<_>>()
        };
        assert_eq!(found("request_id", Value::Int(5)), [1, 3]);
        assert_eq!(
            found("request_id", Value::Text("5".into())),
            Vec::<u64>::new()
        );
        assert_eq!(found("value", Value::Text("5".into())), [2]);
        assert_eq!(found("level_id", Value::Int(128)), [3]);
    }

    /// The index keys are part of the store's format: these must never change (the schema 4
    /// migration pins the same values).
    #[test]
    fn field_keys_are_stable() {
        let keys = [
            field_key("parameter_id", &Value::Text("queue.blocked".into())),
            field_key("request_id", &Value::Int(-42)),
            field_key("enabled", &Value::Bool(true)),
            field_key("target_user_id", &Value::User(1001)),
            field_key("role_id", &Value::Role(7001)),
            field_key("channel_id", &Value::Channel(8001)),
            field_key("new_channel_id", &Value::Absent),
        ];
        assert_eq!(keys, FIELD_KEYS);
        assert_ne!(
            field_key("a", &Value::Text("b".into())),
            field_key("ab", &Value::Text(String::new()))
        );
    }

    /// Pinned by `field_keys_are_stable` (and by the migration's own copy).
    const FIELD_KEYS: [u64; 7] = [
        0x1248a483aba73db7,
        0xe48cabbfd0609ace,
        0xc7bdb4b7f52d21e5,
        0x181e18e73067b34b,
        0xac18960bd07897b7,
        0x870a1ccbe6ac9957,
        0x8258c96a9e12da74,
    ];

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
