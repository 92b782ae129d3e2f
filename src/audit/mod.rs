//! The event log shared by every module (gd-requestbot §8.1–8.2, plus the league's events).
//!
//! Every significant change is an [`Event`] (kind, actor or the bot, time, typed custom fields
//! as each kind declares them: [`EventKind::fields`]), recorded with [`record`] inside the
//! caller's own write transaction, so the change and its event commit together or not at all.
//! Events are indexed by time, kind, actor and each custom field's typed value ([`query`]), and
//! the log browser ([`browse`]) pages through any combination of those with [`Filter`]s that
//! viewers keep and save ([`filters`]). Recording an event also queues its post to the `log`
//! route in the same transaction: its [`Block`] to the channel the route points at then (nothing
//! when it is off).
//!
//! Knows nothing of Discord: actors and mentioned entities are plain ids. May call `store` and
//! `outbox`.

pub mod browse;
mod event;
pub mod filters;
mod log;
mod show;

pub use browse::{Filter, Page, Start, page};
pub use event::{Actor, Event, EventKind, FieldType, Value};
pub use log::{
    Change, EventId, Index, Position, clear, count, field_key, get, import, query, record,
};
pub use show::{Block, iso, value_text};

/// Every event's one-line summary, oldest first: what tests of the recording modules compare.
#[cfg(test)]
pub(crate) fn summaries(store: &crate::store::Store) -> Vec<String> {
    let all = Position::at_time(i64::MIN);
    store
        .read(|r| query(r, Index::All, all, i64::MAX, usize::MAX))
        .unwrap_or_default()
        .into_iter()
        .map(|(_, e)| e.summary())
        .collect()
}
