//! Log filters in the store (gd-requestbot §8.3): each log viewer's active filter, and filters
//! saved by name for every viewer, with the confirmation a save over an existing name and a
//! deletion need.
//!
//! The active filters and the saved ones are tables of their own, so no saved name can overwrite
//! a viewer's filter (the original kept both in one table, the active ones under `@<id>`); names
//! starting with `@` are still refused, as the original meant to. An empty active filter is no
//! row at all. Editing one's own active filter is a viewer's private state and records no event;
//! saving and deleting a filter every viewer sees is a change of the server's, recorded
//! (`LOG_FILTER_SAVED`, `LOG_FILTER_DELETED`).
//!
//! A confirmation is a row (`log_filter_prompts`) naming who asked and what, answered by its
//! buttons' `custom_id` after any restart; only its asker may answer it, within
//! [`PROMPT_SECS`], once.

use serde::{Deserialize, Serialize};

use super::browse::Filter;
use super::{Actor, Event, EventId, EventKind, record};
use crate::store::{META, Read, StoreError, Table, Writer};

/// Each viewer's active filter: user id → filter (no row: empty).
const ACTIVE: Table<u64, Filter> = Table::new("log_filter_active");

/// Filters saved for every viewer: name → filter.
const SAVED: Table<str, Filter> = Table::new("log_filters");

/// Confirmations waiting for an answer: prompt id → what it asks.
const PROMPTS: Table<u64, Prompt> = Table::new("log_filter_prompts");

/// The key of `stagehand_meta` holding the id the next prompt gets.
const NEXT_PROMPT: &str = "log_prompt_next";

/// How long a confirmation can be answered (seconds).
pub const PROMPT_SECS: i64 = 15 * 60;

/// The longest name a filter may have (characters).
pub const NAME_MAX: usize = 100;

/// A confirmation waiting for its asker's answer.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Prompt {
    pub asker: u64,
    pub asks: Asks,
    /// Unix seconds.
    pub at: i64,
}

/// What a confirmation asks.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Asks {
    /// Save `filter` under `name`, replacing the filter saved there.
    Overwrite { name: String, filter: Filter },
    /// Delete the filter saved under `name`.
    Delete { name: String },
}

/// Why a filter command changed nothing.
#[derive(Debug, thiserror::Error)]
pub enum FilterError {
    #[error("no filter is saved under {0:?}")]
    Unknown(String),
    #[error("filter names may not start with @: {0:?}")]
    Reserved(String),
    #[error("a filter needs a name")]
    NameEmpty,
    #[error("a filter name is at most {NAME_MAX} characters")]
    NameTooLong,
    #[error("an empty filter is not saved")]
    EmptyFilter,
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Why an answer to a confirmation changed nothing.
#[derive(Debug, thiserror::Error)]
pub enum PromptError {
    #[error("the confirmation was answered already")]
    Gone,
    #[error("the confirmation expired")]
    Expired,
    #[error("the confirmation is someone else's")]
    NotYours,
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// What `save` did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Saved {
    Saved(EventId),
    /// The name is taken: prompt `id` asks whether to replace it.
    Confirm(u64),
}

/// What an answer did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Answer {
    Saved(String),
    Deleted(String),
    /// Yes, but there was nothing to change (the same filter, or one deleted meanwhile).
    Unchanged(String),
    Cancelled,
}

/// The active filter of `user` (empty when none).
pub fn active(r: &impl Read, user: u64) -> Result<Filter, StoreError> {
    Ok(r.get(&ACTIVE, &user)?.unwrap_or_default())
}

/// Changes the active filter of `user` with `change`, which says whether it changed anything;
/// `false` (and nothing written) when it did not.
pub fn edit(
    w: &mut Writer,
    user: u64,
    change: impl FnOnce(&mut Filter) -> bool,
) -> Result<bool, StoreError> {
    let mut filter = active(w, user)?;
    if !change(&mut filter) {
        return Ok(false);
    }
    put_active(w, user, &filter)?;
    Ok(true)
}

fn put_active(w: &mut Writer, user: u64, filter: &Filter) -> Result<(), StoreError> {
    if filter.is_empty() {
        w.remove(&ACTIVE, &user).map(drop)
    } else {
        w.insert(&ACTIVE, &user, filter)
    }
}

/// `/log clear_filter`: forgets the active filter; `false` when there was none.
pub fn clear(w: &mut Writer, user: u64) -> Result<bool, StoreError> {
    w.remove(&ACTIVE, &user)
}

/// Stores a filter of another bot (`stagehand import`): saved under `name`, or, with `viewer`,
/// that log viewer's own; without an event.
pub fn import(
    w: &mut Writer,
    name: &str,
    viewer: Option<u64>,
    filter: &Filter,
) -> Result<(), StoreError> {
    match viewer {
        Some(user) => w.insert(&ACTIVE, &user, filter),
        None => w.insert(&SAVED, name, filter),
    }
}

/// Forgets every filter, active and saved, and every question (see `audit::clear`).
pub(super) fn clear_all(w: &mut Writer) -> Result<(), StoreError> {
    w.clear(&ACTIVE)?;
    w.clear(&SAVED)?;
    w.clear(&PROMPTS)?;
    Ok(())
}

/// Every saved filter, by name.
pub fn saved(r: &impl Read) -> Result<Vec<(String, Filter)>, StoreError> {
    r.all(&SAVED)
}

/// The filter saved under `name`.
pub fn saved_filter(r: &impl Read, name: &str) -> Result<Option<Filter>, StoreError> {
    r.get(&SAVED, name.trim())
}

/// `/log select_filter`: the filter saved under `name` becomes the active one; `false` when it
/// already was.
pub fn select(w: &mut Writer, user: u64, name: &str) -> Result<bool, FilterError> {
    let filter = saved_filter(w, name)?.ok_or_else(|| FilterError::Unknown(name.to_string()))?;
    if active(w, user)? == filter {
        return Ok(false);
    }
    put_active(w, user, &filter)?;
    Ok(true)
}

/// A name as typed, trimmed, if it may name a saved filter.
pub fn check_name(name: &str) -> Result<&str, FilterError> {
    let name = name.trim();
    if name.is_empty() {
        return Err(FilterError::NameEmpty);
    }
    if name.starts_with('@') {
        return Err(FilterError::Reserved(name.to_string()));
    }
    if name.chars().count() > NAME_MAX {
        return Err(FilterError::NameTooLong);
    }
    Ok(name)
}

/// `/log save_filter`: saves `user`'s active filter as `name` for every viewer, or, when the
/// name is taken, asks first.
pub fn save(w: &mut Writer, user: u64, name: &str, now: i64) -> Result<Saved, FilterError> {
    let name = check_name(name)?;
    let filter = active(w, user)?;
    if filter.is_empty() {
        return Err(FilterError::EmptyFilter);
    }
    if w.get(&SAVED, name)?.is_some() {
        let asks = Asks::Overwrite {
            name: name.to_string(),
            filter,
        };
        return Ok(Saved::Confirm(ask(w, user, asks, now)?));
    }
    Ok(Saved::Saved(put_saved(w, user, name, &filter, now)?))
}

fn put_saved(
    w: &mut Writer,
    user: u64,
    name: &str,
    filter: &Filter,
    now: i64,
) -> Result<EventId, StoreError> {
    w.insert(&SAVED, name, filter)?;
    let event = Event::new(EventKind::LogFilterSaved, Actor::User(user), now)
        .with("name", name)
        .with("filter", filter.summary());
    record(w, &event)
}

/// `/log delete_filter`: asks `user` to confirm deleting the filter saved as `name`.
pub fn ask_delete(w: &mut Writer, user: u64, name: &str, now: i64) -> Result<u64, FilterError> {
    let name = name.trim();
    if saved_filter(w, name)?.is_none() {
        return Err(FilterError::Unknown(name.to_string()));
    }
    let asks = Asks::Delete {
        name: name.to_string(),
    };
    Ok(ask(w, user, asks, now)?)
}

/// Stores a prompt (and forgets the expired ones); its id.
fn ask(w: &mut Writer, user: u64, asks: Asks, now: i64) -> Result<u64, StoreError> {
    for (id, prompt) in w.all(&PROMPTS)? {
        if now.saturating_sub(prompt.at) > PROMPT_SECS {
            w.remove(&PROMPTS, &id)?;
        }
    }
    let id = w.get(&META, NEXT_PROMPT)?.unwrap_or(1);
    w.insert(&META, NEXT_PROMPT, &(id + 1))?;
    let prompt = Prompt {
        asker: user,
        asks,
        at: now,
    };
    w.insert(&PROMPTS, &id, &prompt)?;
    Ok(id)
}

/// The prompt `id`, if it still waits.
pub fn prompt(r: &impl Read, id: u64) -> Result<Option<Prompt>, StoreError> {
    r.get(&PROMPTS, &id)
}

/// `user`'s answer to prompt `id`: `yes` does what it asks.
pub fn answer(
    w: &mut Writer,
    id: u64,
    user: u64,
    yes: bool,
    now: i64,
) -> Result<Answer, PromptError> {
    let prompt = w.get(&PROMPTS, &id)?.ok_or(PromptError::Gone)?;
    if prompt.asker != user {
        return Err(PromptError::NotYours);
    }
    w.remove(&PROMPTS, &id)?;
    if now.saturating_sub(prompt.at) > PROMPT_SECS {
        return Err(PromptError::Expired);
    }
    if !yes {
        return Ok(Answer::Cancelled);
    }
    Ok(match prompt.asks {
        Asks::Overwrite { name, filter } => {
            if w.get(&SAVED, name.as_str())?.as_ref() == Some(&filter) {
                Answer::Unchanged(name)
            } else {
                put_saved(w, user, &name, &filter, now)?;
                Answer::Saved(name)
            }
        }
        Asks::Delete { name } => {
            if w.remove(&SAVED, name.as_str())? {
                let event = Event::new(EventKind::LogFilterDeleted, Actor::User(user), now)
                    .with("name", name.as_str());
                record(w, &event)?;
                Answer::Deleted(name)
            } else {
                Answer::Unchanged(name)
            }
        }
    })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use crate::audit::Value;
    use crate::store::Store;

    const KIRA: u64 = 10;
    const OWNER: u64 = 1;

    fn restrict(store: &Store, user: u64, kind: EventKind) -> bool {
        store
            .write(|w| {
                edit(w, user, |f| {
                    let changed = f.kind != Some(kind);
                    f.kind = Some(kind);
                    changed
                })
            })
            .unwrap()
    }

    fn kinds(store: &Store) -> Vec<EventKind> {
        crate::audit::summaries(store)
            .iter()
            .filter_map(|s| s.split(' ').next().and_then(EventKind::parse))
            .collect()
    }

    #[test]
    fn active_filters_are_each_viewers_own() {
        let (_dir, store) = Store::temporary();
        assert!(restrict(&store, KIRA, EventKind::ParameterEdited));
        assert!(!restrict(&store, KIRA, EventKind::ParameterEdited));
        let kira = store.read(|r| active(r, KIRA)).unwrap();
        assert_eq!(kira.kind, Some(EventKind::ParameterEdited));
        assert!(store.read(|r| active(r, OWNER)).unwrap().is_empty());
        // Emptied, it is no row: clearing it then changes nothing.
        let emptied = store.write(|w| {
            edit(w, KIRA, |f| {
                f.kind = None;
                true
            })
        });
        assert!(emptied.unwrap());
        assert!(!store.write(|w| clear(w, KIRA)).unwrap());
        assert!(restrict(&store, KIRA, EventKind::RouteToggled));
        assert!(store.write(|w| clear(w, KIRA)).unwrap());
        assert!(
            kinds(&store).is_empty(),
            "a viewer's own filter records nothing"
        );
    }

    #[test]
    fn saving_over_a_name_and_deleting_ask_first() {
        let (_dir, store) = Store::temporary();
        let save = |user, name: &str, now| store.write(|w| save(w, user, name, now));
        assert!(matches!(
            save(OWNER, "queue", 1),
            Err(FilterError::EmptyFilter)
        ));
        restrict(&store, OWNER, EventKind::ParameterEdited);
        assert!(matches!(
            save(OWNER, "@10", 1),
            Err(FilterError::Reserved(_))
        ));
        assert!(matches!(
            save(OWNER, "  @x", 1),
            Err(FilterError::Reserved(_))
        ));
        assert!(matches!(save(OWNER, "   ", 1), Err(FilterError::NameEmpty)));
        let long = "ж".repeat(NAME_MAX + 1);
        assert!(matches!(
            save(OWNER, &long, 1),
            Err(FilterError::NameTooLong)
        ));
        assert!(matches!(save(OWNER, " queue ", 1), Ok(Saved::Saved(_))));
        assert_eq!(
            store.read(saved).unwrap(),
            [(
                "queue".to_string(),
                Filter {
                    kind: Some(EventKind::ParameterEdited),
                    ..Filter::default()
                }
            )]
        );

        // Kira selects it, changes her copy and saves over it: a prompt, answered once.
        assert!(store.write(|w| select(w, KIRA, "queue")).unwrap());
        assert!(!store.write(|w| select(w, KIRA, "queue")).unwrap());
        assert!(matches!(
            store.write(|w| select(w, KIRA, "nope")),
            Err(FilterError::Unknown(_))
        ));
        store
            .write(|w| {
                edit(w, KIRA, |f| {
                    f.restrict_field("parameter_id", Value::Text("queue.blocked".into()))
                })
            })
            .unwrap();
        let Ok(Saved::Confirm(asked)) = save(KIRA, "queue", 10) else {
            panic!("no prompt")
        };
        let answer = |id, user, yes, now| store.write(|w| answer(w, id, user, yes, now));
        assert!(matches!(
            answer(asked, OWNER, true, 11),
            Err(PromptError::NotYours)
        ));
        assert_eq!(
            answer(asked, KIRA, true, 12).unwrap(),
            Answer::Saved("queue".into())
        );
        assert!(matches!(
            answer(asked, KIRA, true, 13),
            Err(PromptError::Gone)
        ));
        let kept = store.read(|r| saved_filter(r, "queue")).unwrap().unwrap();
        assert_eq!(kept.fields.len(), 1);

        // Deleting: an unknown name at once; a known one after Yes, within the time.
        assert!(matches!(
            store.write(|w| ask_delete(w, OWNER, "nope", 20)),
            Err(FilterError::Unknown(_))
        ));
        let no = store.write(|w| ask_delete(w, OWNER, "queue", 20)).unwrap();
        assert_eq!(answer(no, OWNER, false, 21).unwrap(), Answer::Cancelled);
        let late = store.write(|w| ask_delete(w, OWNER, "queue", 30)).unwrap();
        assert!(matches!(
            answer(late, OWNER, true, 31 + PROMPT_SECS),
            Err(PromptError::Expired)
        ));
        let yes = store.write(|w| ask_delete(w, OWNER, "queue", 40)).unwrap();
        let twice = store.write(|w| ask_delete(w, OWNER, "queue", 40)).unwrap();
        assert_eq!(
            answer(yes, OWNER, true, 41).unwrap(),
            Answer::Deleted("queue".into())
        );
        assert_eq!(
            answer(twice, OWNER, true, 42).unwrap(),
            Answer::Unchanged("queue".into())
        );
        assert!(store.read(saved).unwrap().is_empty());
        assert_eq!(
            kinds(&store),
            [
                EventKind::LogFilterSaved,
                EventKind::LogFilterSaved,
                EventKind::LogFilterDeleted
            ]
        );
        // Expired prompts are forgotten when the next one is made.
        restrict(&store, OWNER, EventKind::RouteToggled);
        save(OWNER, "x", 50).unwrap();
        let Ok(Saved::Confirm(stale)) = save(OWNER, "x", 60) else {
            panic!("no prompt")
        };
        save(OWNER, "x", 61 + PROMPT_SECS).unwrap();
        assert_eq!(store.read(|r| super::prompt(r, stale)).unwrap(), None);
    }
}
