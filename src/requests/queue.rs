//! The request queue (gd-requestbot §3): open or closed, by hand (`/queue open | close`) or by
//! itself when the number of pending requests crosses `queue.block_at` / `queue.unblock_at`.
//!
//! The state is the parameter `queue.blocked`; every change is a `PARAMETER_EDITED` event
//! (actor: the member, or the bot for automatic changes), which is also what `/queue history`
//! reads. The functions run in the caller's transaction and say whether a notice is due; the
//! shell posts it in the same transaction.

use crate::audit::{self, Actor, Change, Event, EventKind, Index, Position};
use crate::params::{self, Param, Value};
use crate::store::{Read, StoreError, Writer};

use super::model;

/// A notice to post after a change of the queue's state.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Notice {
    /// To route `requests_closed`.
    Closed,
    /// To route `requests_reopened`.
    Reopened,
}

pub fn is_closed(r: &impl Read) -> Result<bool, StoreError> {
    params::flag(r, Param::QueueBlocked)
}

/// Opens or closes the queue; `NoEffect` when it already was so.
pub fn set(w: &mut Writer, actor: Actor, closed: bool, now: i64) -> Result<Change, StoreError> {
    params::set_value(w, actor, Param::QueueBlocked, Value::Bool(closed), now)
}

fn notice(closed: bool, change: Change) -> Option<Notice> {
    match (change, closed) {
        (Change::NoEffect, _) => None,
        (Change::Applied(_), true) => Some(Notice::Closed),
        (Change::Applied(_), false) => Some(Notice::Reopened),
    }
}

/// After a new request (§3.1 auto-block): closes the queue when closing by itself is enabled and
/// `queue.block_at` requests are pending.
pub fn after_request(w: &mut Writer, now: i64) -> Result<Option<Notice>, StoreError> {
    if !params::flag(w, Param::QueueBlockEnabled)? {
        return Ok(None);
    }
    if model::pending_count(w)? < params::number(w, Param::QueueBlockAt)? {
        return Ok(None);
    }
    Ok(notice(true, set(w, Actor::Bot, true, now)?))
}

/// After a request's first resolution (§3.1 auto-unblock): reopens the queue when reopening by
/// itself is enabled and at most `queue.unblock_at` requests are pending.
pub fn after_resolution(w: &mut Writer, now: i64) -> Result<Option<Notice>, StoreError> {
    if !params::flag(w, Param::QueueUnblockEnabled)? {
        return Ok(None);
    }
    if model::pending_count(w)? > params::number(w, Param::QueueUnblockAt)? {
        return Ok(None);
    }
    Ok(notice(false, set(w, Actor::Bot, false, now)?))
}

/// What `/queue info` shows.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Info {
    pub closed: bool,
    pub pending: u64,
    /// `None` when closing by itself is disabled.
    pub closes_at: Option<u64>,
    /// `None` when reopening by itself is disabled.
    pub reopens_at: Option<u64>,
}

pub fn info(r: &impl Read) -> Result<Info, StoreError> {
    let enabled = |flag, at| -> Result<Option<u64>, StoreError> {
        Ok(if params::flag(r, flag)? {
            Some(params::number(r, at)?)
        } else {
            None
        })
    };
    Ok(Info {
        closed: is_closed(r)?,
        pending: model::pending_count(r)?,
        closes_at: enabled(Param::QueueBlockEnabled, Param::QueueBlockAt)?,
        reopens_at: enabled(Param::QueueUnblockEnabled, Param::QueueUnblockAt)?,
    })
}

/// One change of the queue's state.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Transition {
    pub at: i64,
    pub actor: Actor,
    pub closed: bool,
}

/// Every change of the queue's state, oldest first (also those made with `/parameter`): the
/// events whose `parameter_id` is `queue.blocked`, found through that field's index.
pub fn history(r: &impl Read) -> Result<Vec<Transition>, StoreError> {
    let blocked = audit::Value::Text(Param::QueueBlocked.name().to_string());
    let events = audit::query(
        r,
        Index::Field(audit::field_key("parameter_id", &blocked)),
        Position::at_time(i64::MIN),
        i64::MAX,
        usize::MAX,
    )?;
    Ok(events
        .into_iter()
        .filter_map(|(_, event)| transition(&event))
        .collect())
}

fn transition(event: &Event) -> Option<Transition> {
    let name = event.field("parameter_id")?.to_string();
    if event.kind != EventKind::ParameterEdited || name != Param::QueueBlocked.name() {
        return None;
    }
    Some(Transition {
        at: event.at,
        actor: event.actor,
        closed: event.field("value")?.to_string() == "true",
    })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use crate::requests::model::tests::request;
    use crate::requests::model::{Resolution, insert, put_resolution};
    use crate::store::Store;

    fn set_param(store: &Store, param: Param, value: &str) {
        params::set(store, Actor::User(1), param, value, 0).unwrap();
    }

    #[test]
    fn the_queue_closes_and_reopens_by_itself_at_the_thresholds() {
        let (_dir, store) = Store::temporary();
        set_param(&store, Param::QueueBlockAt, "2");
        set_param(&store, Param::QueueUnblockAt, "1");
        set_param(&store, Param::QueueUnblockEnabled, "true");

        let submit = |level| {
            store
                .write(|w| {
                    insert(w, &request(level, 7, 10))?;
                    after_request(w, 10)
                })
                .unwrap()
        };
        assert_eq!(submit(128), None);
        assert_eq!(submit(129), Some(Notice::Closed));
        assert!(store.read(is_closed).unwrap());
        assert_eq!(submit(130), None, "already closed: no second notice");

        let resolve = |id| {
            store
                .write(|w| {
                    let resolution = Resolution {
                        grade: None,
                        review: None,
                        comment: None,
                        at: 20,
                    };
                    put_resolution(w, id, 43, &resolution)?;
                    after_resolution(w, 20)
                })
                .unwrap()
        };
        assert_eq!(resolve(1), None, "two still pending");
        assert_eq!(resolve(2), Some(Notice::Reopened));
        assert!(!store.read(is_closed).unwrap());

        let info = store.read(info).unwrap();
        assert_eq!(
            info,
            Info {
                closed: false,
                pending: 1,
                closes_at: Some(2),
                reopens_at: Some(1),
            }
        );
        let history = store.read(history).unwrap();
        let states: Vec<(Actor, bool)> = history.iter().map(|t| (t.actor, t.closed)).collect();
        assert_eq!(states, [(Actor::Bot, true), (Actor::Bot, false)]);
    }

    #[test]
    fn manual_changes_are_no_effect_when_already_so() {
        let (_dir, store) = Store::temporary();
        let close = |closed| store.write(|w| set(w, Actor::User(5), closed, 1)).unwrap();
        assert!(matches!(close(false), Change::NoEffect));
        assert!(matches!(close(true), Change::Applied(_)));
        assert!(matches!(close(true), Change::NoEffect));
        // Disabled auto-close never closes.
        set_param(&store, Param::QueueBlockEnabled, "false");
        assert!(matches!(close(false), Change::Applied(_)));
        let notice = store
            .write(|w| {
                insert(w, &request(1, 2, 3))?;
                after_request(w, 3)
            })
            .unwrap();
        assert_eq!(notice, None);
    }
}
