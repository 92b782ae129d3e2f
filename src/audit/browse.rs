//! The log browser's reading side (gd-requestbot §8.3): a [`Filter`] (an actor, a kind, custom
//! fields with exact typed values; every part must hold) and the [`page`] of events it matches
//! around a place, oldest first.
//!
//! A page is found from the indexes alone, never by reading every event: each part of the filter
//! is an index sorted by `(at, id)` (`audit_by_actor`, `audit_by_kind`, `audit_by_field`, or
//! `audit_by_time` for an empty filter), and their intersection is walked by leapfrogging — each
//! index is asked for its first position at or after the highest position another one gave,
//! until all agree. A page of four costs a few seeks per event shown (plus the ones to know
//! whether there is more on either side), whatever the size of the log. Only the events shown
//! are read; a field restriction also compares the event's own field, since two fields may share
//! an index key.

use serde::{Deserialize, Serialize};

use super::log::{self, Index, Position, field_key};
use super::{Actor, Event, EventId, EventKind, Value};
use crate::store::{Read, StoreError};

/// Which events a browser shows: all of them, or those matching every part given.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Filter {
    /// Who caused them.
    pub actor: Option<Actor>,
    /// Their kind.
    pub kind: Option<EventKind>,
    /// Custom fields and the exact value each must have: one value per name, sorted by name.
    pub fields: Vec<(String, Value)>,
}

impl Filter {
    /// No restriction at all.
    pub fn is_empty(&self) -> bool {
        self.actor.is_none() && self.kind.is_none() && self.fields.is_empty()
    }

    /// Whether `event` matches every part.
    pub fn matches(&self, event: &Event) -> bool {
        self.actor.is_none_or(|actor| actor == event.actor)
            && self.kind.is_none_or(|kind| kind == event.kind)
            && self
                .fields
                .iter()
                .all(|(name, value)| event.fields.iter().any(|(n, v)| n == name && v == value))
    }

    /// Requires field `name` to be `value`; `false` when it already was.
    pub fn restrict_field(&mut self, name: &str, value: Value) -> bool {
        match self.fields.binary_search_by(|(n, _)| n.as_str().cmp(name)) {
            Ok(at) if self.fields[at].1 == value => false,
            Ok(at) => {
                self.fields[at].1 = value;
                true
            }
            Err(at) => {
                self.fields.insert(at, (name.to_string(), value));
                true
            }
        }
    }

    /// Drops the restriction on field `name`; `false` when there was none.
    pub fn unrestrict_field(&mut self, name: &str) -> bool {
        let before = self.fields.len();
        self.fields.retain(|(n, _)| n != name);
        self.fields.len() != before
    }

    /// One line saying what it shows: `user=<@1> event=PARAMETER_EDITED parameter_id="x"`.
    pub fn summary(&self) -> String {
        let mut parts = Vec::new();
        match self.actor {
            Some(Actor::Bot) => parts.push("user=bot".to_string()),
            Some(Actor::User(id)) => parts.push(format!("user=<@{id}>")),
            None => {}
        }
        if let Some(kind) = self.kind {
            parts.push(format!("event={}", kind.name()));
        }
        for (name, value) in &self.fields {
            match value {
                Value::Text(text) => parts.push(format!("{name}={text:?}")),
                other => parts.push(format!("{name}={other}")),
            }
        }
        parts.join(" ")
    }

    /// The indexes whose intersection is the filter's events.
    fn indexes(&self) -> Vec<Index> {
        let mut indexes: Vec<Index> = self
            .fields
            .iter()
            .map(|(name, value)| Index::Field(field_key(name, value)))
            .collect();
        indexes.extend(self.kind.map(Index::Kind));
        indexes.extend(self.actor.map(Index::Actor));
        if indexes.is_empty() {
            indexes.push(Index::All);
        }
        indexes
    }
}

/// Where a page starts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Start {
    /// The oldest events.
    Oldest,
    /// The first event at or after this moment (unix seconds); the newest page when none is.
    At(i64),
    /// The events after this one (the next page); the newest page when none is.
    After(EventId),
    /// The events before this one (the previous page); the oldest page when none is.
    Before(EventId),
}

/// A page of events, oldest first, and whether the filter matches more on either side.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Page {
    pub events: Vec<(EventId, Event)>,
    pub more_before: bool,
    pub more_after: bool,
}

/// The page of at most `size` events matching `filter` at `start`.
pub fn page(r: &impl Read, filter: &Filter, start: Start, size: usize) -> Result<Page, StoreError> {
    let indexes = filter.indexes();
    let oldest = Position::at_time(i64::MIN);
    let newest = Position::at_time(i64::MAX);
    let place = |id: EventId| -> Result<Option<Position>, StoreError> {
        Ok(log::get(r, id)?.map(|event| Position { at: event.at, id }))
    };
    let mut found = match start {
        Start::Oldest => forward(r, filter, &indexes, oldest, size)?,
        Start::At(at) => forward(r, filter, &indexes, Position::at_time(at), size)?,
        Start::After(id) => match place(id)? {
            Some(position) => forward(r, filter, &indexes, position.next(), size)?,
            None => Vec::new(),
        },
        Start::Before(id) => match place(id)? {
            Some(position) => backward(r, filter, &indexes, position, size)?,
            None => Vec::new(),
        },
    };
    if found.is_empty() {
        found = match start {
            Start::Before(_) => forward(r, filter, &indexes, oldest, size)?,
            _ => backward(r, filter, &indexes, newest, size)?,
        };
    }
    let (more_before, more_after) = match (found.first(), found.last()) {
        (Some((first, _)), Some((last, _))) => (
            !backward(r, filter, &indexes, *first, 1)?.is_empty(),
            !forward(r, filter, &indexes, last.next(), 1)?.is_empty(),
        ),
        _ => (false, false),
    };
    Ok(Page {
        events: found.into_iter().map(|(p, e)| (p.id, e)).collect(),
        more_before,
        more_after,
    })
}

/// Up to `limit` matching events at or after `from`, oldest first.
fn forward(
    r: &impl Read,
    filter: &Filter,
    indexes: &[Index],
    from: Position,
    limit: usize,
) -> Result<Vec<(Position, Event)>, StoreError> {
    let mut out = Vec::new();
    let mut cursor = from;
    while out.len() < limit {
        let mut agreed = true;
        let mut highest = cursor;
        for index in indexes {
            let Some(found) = index.first_from(r, cursor)? else {
                return Ok(out);
            };
            if found != cursor {
                agreed = false;
                highest = highest.max(found);
            }
        }
        if !agreed {
            cursor = highest;
            continue;
        }
        let event = log::indexed(r, cursor)?;
        if filter.matches(&event) {
            out.push((cursor, event));
        }
        let next = cursor.next();
        if next <= cursor {
            break; // the last position there is
        }
        cursor = next;
    }
    Ok(out)
}

/// Up to `limit` matching events before `until`, oldest first (the `limit` newest of them).
fn backward(
    r: &impl Read,
    filter: &Filter,
    indexes: &[Index],
    until: Position,
    limit: usize,
) -> Result<Vec<(Position, Event)>, StoreError> {
    let mut out = Vec::new();
    let mut bound = until;
    while out.len() < limit {
        let mut lowest: Option<Position> = None;
        let mut agreed = true;
        for index in indexes {
            let Some(found) = index.last_before(r, bound)? else {
                out.reverse();
                return Ok(out);
            };
            match lowest {
                Some(low) if low != found => {
                    agreed = false;
                    lowest = Some(low.min(found));
                }
                Some(_) => {}
                None => lowest = Some(found),
            }
        }
        let Some(candidate) = lowest else { break };
        if !agreed {
            // Nothing every index has lies above the lowest of them: look at or below it.
            bound = candidate.next();
            continue;
        }
        let event = log::indexed(r, candidate)?;
        if filter.matches(&event) {
            out.push((candidate, event));
        }
        bound = candidate;
    }
    out.reverse();
    Ok(out)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use crate::audit::record;
    use crate::store::Store;

    /// Events 1..=n: kinds, actors and request ids in cycles of different lengths, so every
    /// combination of filters interleaves.
    fn log(n: u64) -> (tempfile::TempDir, Store, Vec<Event>) {
        let (dir, store) = Store::temporary();
        let kinds = [
            EventKind::RequestRequested,
            EventKind::RequestOpinionAdded,
            EventKind::RequestDeleted,
        ];
        let events: Vec<Event> = (1..=n)
            .map(|i| {
                let actor = if i % 5 == 0 {
                    Actor::Bot
                } else {
                    Actor::User(100 + i % 2)
                };
                // Several events share a second.
                Event::new(kinds[(i % 3) as usize], actor, (i / 2) as i64)
                    .with("request_id", Value::Int((i % 7) as i64))
            })
            .collect();
        store
            .write(|w| events.iter().try_for_each(|e| record(w, e).map(drop)))
            .unwrap();
        (dir, store, events)
    }

    /// What a page should hold, from every event in order.
    fn expected(events: &[Event], filter: &Filter) -> Vec<u64> {
        (1..=events.len() as u64)
            .filter(|id| filter.matches(&events[(*id - 1) as usize]))
            .collect()
    }

    fn ids(page: &Page) -> Vec<u64> {
        page.events.iter().map(|(id, _)| id.0).collect()
    }

    #[test]
    fn pages_walk_every_filter_both_ways() {
        let (_dir, store, events) = log(120);
        let filters = [
            Filter::default(),
            Filter {
                kind: Some(EventKind::RequestOpinionAdded),
                ..Filter::default()
            },
            Filter {
                actor: Some(Actor::Bot),
                ..Filter::default()
            },
            Filter {
                actor: Some(Actor::User(101)),
                kind: Some(EventKind::RequestRequested),
                fields: vec![("request_id".into(), Value::Int(3))],
            },
            Filter {
                fields: vec![("request_id".into(), Value::Int(6))],
                ..Filter::default()
            },
            Filter {
                kind: Some(EventKind::RequestDeleted),
                fields: vec![("request_id".into(), Value::Text("6".into()))],
                ..Filter::default()
            },
        ];
        for filter in &filters {
            let all = expected(&events, filter);
            // Forward from the oldest page to the end.
            let mut seen = Vec::new();
            let mut page = store
                .read(|r| super::page(r, filter, Start::Oldest, 4))
                .unwrap();
            assert!(!page.more_before, "{filter:?}");
            loop {
                seen.extend(ids(&page));
                if !page.more_after {
                    break;
                }
                let last = page.events.last().unwrap().0;
                page = store
                    .read(|r| super::page(r, filter, Start::After(last), 4))
                    .unwrap();
                assert!(page.more_before);
            }
            assert_eq!(seen, all, "{filter:?}");
            // And back again, page by page.
            let mut back = Vec::new();
            loop {
                back.splice(0..0, ids(&page));
                if !page.more_before {
                    break;
                }
                let first = page.events[0].0;
                page = store
                    .read(|r| super::page(r, filter, Start::Before(first), 4))
                    .unwrap();
                assert_eq!(page.events.len(), 4, "{filter:?}");
            }
            assert_eq!(back, all, "{filter:?}");
        }
    }

    #[test]
    fn a_jump_starts_at_the_first_event_at_or_after_the_moment() {
        let (_dir, store, events) = log(60);
        let filter = Filter {
            kind: Some(EventKind::RequestRequested),
            ..Filter::default()
        };
        let all = expected(&events, &filter);
        let at = |t| {
            store
                .read(|r| super::page(r, &filter, Start::At(t), 4))
                .unwrap()
        };
        // Event i happened at i / 2.
        let page = at(10);
        let first = all.iter().copied().find(|id| id / 2 >= 10).unwrap();
        assert_eq!(ids(&page)[0], first);
        assert!(page.more_before && page.more_after);
        // Past the end: the newest page.
        let page = at(1_000);
        assert_eq!(ids(&page), all[all.len() - 4..]);
        assert!(!page.more_after);
        // Before the start: the oldest.
        assert_eq!(ids(&at(i64::MIN)), all[..4]);
    }

    #[test]
    fn nothing_matches_and_unknown_places() {
        let (_dir, store, _) = log(10);
        let none = Filter {
            actor: Some(Actor::User(5)),
            ..Filter::default()
        };
        let page = store
            .read(|r| super::page(r, &none, Start::At(3), 4))
            .unwrap();
        assert_eq!(page.events, vec![]);
        assert!(!page.more_before && !page.more_after);
        // A page button naming an event that does not exist shows the ends.
        let all = Filter::default();
        let after = store
            .read(|r| super::page(r, &all, Start::After(EventId(99)), 4))
            .unwrap();
        assert_eq!(ids(&after), [7, 8, 9, 10]);
        let before = store
            .read(|r| super::page(r, &all, Start::Before(EventId(99)), 4))
            .unwrap();
        assert_eq!(ids(&before), [1, 2, 3, 4]);
        let empty = Store::temporary();
        let page = empty
            .1
            .read(|r| super::page(r, &all, Start::Oldest, 4))
            .unwrap();
        assert_eq!(page.events, vec![]);
    }

    #[test]
    fn field_restrictions_keep_one_value_per_name_in_order() {
        let mut filter = Filter::default();
        assert!(filter.is_empty());
        assert!(filter.restrict_field("value", Value::Text("1".into())));
        assert!(filter.restrict_field("parameter_id", Value::Text("queue.blocked".into())));
        assert!(!filter.restrict_field("value", Value::Text("1".into())));
        assert!(filter.restrict_field("value", Value::Text("true".into())));
        let names: Vec<&str> = filter.fields.iter().map(|(n, _)| n.as_str()).collect();
        assert_eq!(names, ["parameter_id", "value"]);
        filter.actor = Some(Actor::User(4));
        filter.kind = Some(EventKind::ParameterEdited);
        assert_eq!(
            filter.summary(),
            "user=<@4> event=PARAMETER_EDITED parameter_id=\"queue.blocked\" value=\"true\""
        );
        assert!(filter.unrestrict_field("value"));
        assert!(!filter.unrestrict_field("value"));
        // Typed: the number 1 is not the text "1".
        let event = Event::new(EventKind::ParameterEdited, Actor::User(4), 0)
            .with("parameter_id", "queue.blocked")
            .with("value", Value::Int(1));
        assert!(filter.matches(&event));
        filter.restrict_field("value", Value::Text("1".into()));
        assert!(!filter.matches(&event));
    }
}
