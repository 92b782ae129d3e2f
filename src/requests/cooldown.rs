//! Cooldowns and bans of users and levels (gd-requestbot §4, with the §14 bugs fixed).
//!
//! An entity has at most one [`Restriction`]: a cooldown until a time, or a ban (endless). It is
//! stored in `cooldowns` and is never deleted when it runs out: every read compares its end with
//! `now`, so an expired cooldown is simply not there (no timer, nothing to fire twice). Every
//! change is one transaction of the caller's that writes the restriction, one audit event
//! (`USER_COOLDOWN_UPDATED` / `LEVEL_COOLDOWN_UPDATED`) and one `cooldown_history` row.
//!
//! Fixed against the original:
//! - `0s`, `0d` are zero, never an endless ban; `0` lifts the cooldown (like `amend`).
//! - Amending, overwriting and shifting (`+`/`-`) someone else's cooldown — automatic ones
//!   included — needs `remove_other_user_bans` / `remove_other_level_bans`; the original checked
//!   only the (unreachable) overwrite path. Overwrites happen at once, without the confirmation
//!   the original could never show.
//! - The first automatic cooldown logs "not on cooldown" as the old state, not "forever".
//! - History is kept in the store, so it cannot break when a request is deleted.

use serde::{Deserialize, Serialize};

use crate::audit::{self, Actor, Change, Event, EventId, EventKind, Value};
use crate::i18n::Message;
use crate::store::{Read, StoreError, Table, Writer};
use crate::time::{Duration, DurationChange};

/// The current cooldown or ban of each user and level: `(entity kind, id)` → restriction (see
/// `requests::cooldown`). Expired rows stay until overwritten; reads compare with now.
pub(crate) const COOLDOWNS: Table<(u64, u64), crate::requests::cooldown::Restriction> =
    Table::new("cooldowns");

/// Every change of a cooldown: `(entity kind, (id, audit event id))` → what changed.
pub(crate) const COOLDOWN_HISTORY: Table<
    (u64, (u64, u64)),
    crate::requests::cooldown::HistoryEntry,
> = Table::new("cooldown_history");

/// Who or what a restriction applies to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Entity {
    /// A Discord user, by id.
    User(u64),
    /// A GD level, by id.
    Level(u64),
}

/// Users or levels, for listings.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum EntityKind {
    User,
    Level,
}

impl EntityKind {
    /// The first part of the store keys. Part of the on-disk format.
    fn code(self) -> u64 {
        match self {
            EntityKind::User => 1,
            EntityKind::Level => 2,
        }
    }

    fn entity(self, id: u64) -> Entity {
        match self {
            EntityKind::User => Entity::User(id),
            EntityKind::Level => Entity::Level(id),
        }
    }
}

impl Entity {
    pub fn kind(self) -> EntityKind {
        match self {
            Entity::User(_) => EntityKind::User,
            Entity::Level(_) => EntityKind::Level,
        }
    }

    pub fn id(self) -> u64 {
        match self {
            Entity::User(id) | Entity::Level(id) => id,
        }
    }

    fn key(self) -> (u64, u64) {
        (self.kind().code(), self.id())
    }

    /// The audit event kind and its target field.
    fn event(self, actor: Actor, now: i64) -> Event {
        match self {
            Entity::User(id) => Event::new(EventKind::UserCooldownUpdated, actor, now)
                .with("target_user_id", Value::User(id)),
            Entity::Level(id) => Event::new(EventKind::LevelCooldownUpdated, actor, now).with(
                "target_level_id",
                Value::Int(i64::try_from(id).unwrap_or(i64::MAX)),
            ),
        }
    }
}

/// A cooldown or ban.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Restriction {
    /// Unix seconds when it ends; `None` for a ban.
    pub ends_at: Option<i64>,
    /// Who set it: a moderator, or the bot for automatic cooldowns.
    pub caster: Actor,
    pub reason: Option<String>,
    /// Unix seconds when it was set.
    pub created_at: i64,
}

impl Restriction {
    pub fn is_ban(&self) -> bool {
        self.ends_at.is_none()
    }

    /// Still in force at `now`.
    pub fn active_at(&self, now: i64) -> bool {
        self.ends_at.is_none_or(|end| end > now)
    }

    fn term(&self) -> Term {
        self.ends_at.map_or(Term::Forever, Term::Until)
    }
}

/// An entity's state before or after a change.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Term {
    /// Not on cooldown.
    Free,
    /// On cooldown until these unix seconds.
    Until(i64),
    /// Banned.
    Forever,
}

impl Term {
    fn of(restriction: Option<&Restriction>) -> Term {
        restriction.map_or(Term::Free, Restriction::term)
    }

    /// The audit log's words (gd-requestbot §8.2): `not on cooldown`, `until <ISO>`, `forever`.
    fn audit_text(self) -> String {
        match self {
            Term::Free => "not on cooldown".into(),
            Term::Until(at) => match jiff::Timestamp::from_second(at) {
                Ok(at) => format!("until {at}"),
                Err(_) => format!("until {at}"),
            },
            Term::Forever => "forever".into(),
        }
    }
}

/// One change of an entity's restriction.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct HistoryEntry {
    /// Unix seconds.
    pub at: i64,
    pub actor: Actor,
    pub before: Term,
    pub after: Term,
    pub reason: Option<String>,
}

/// The member making a change: who they are, and whether they hold
/// `remove_other_user_bans` / `remove_other_level_bans` for this kind of entity.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct By {
    pub user: u64,
    pub overrides_others: bool,
}

/// Which restrictions a listing shows.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Listing {
    /// Cooldowns with an end, latest end first.
    Temporary,
    /// Bans, oldest first.
    Endless,
}

/// The current restriction and how many changes the entity has had.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Description {
    pub restriction: Restriction,
    pub changes: usize,
}

/// Why a change was refused; nothing changed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum CooldownError {
    /// Someone else (or the bot) set the current restriction, and the member may not override
    /// others'.
    #[error("the current cooldown was set by someone else")]
    NotYours { caster: Actor },
    /// The new end would not be in the future.
    #[error("the new end {ends_at} is not in the future")]
    EndInPast { ends_at: i64 },
    /// `+`/`-` on a ban: there is no end to move.
    #[error("a ban has no end to move")]
    OriginEndless,
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl CooldownError {
    pub fn message(&self) -> Message {
        match self {
            CooldownError::NotYours { caster } => {
                let caster = match caster {
                    Actor::User(id) => format!("<@{id}>"),
                    Actor::Bot => "Stagehand".to_string(),
                };
                Message::new("cooldown.error.not_yours").with("caster", caster)
            }
            CooldownError::EndInPast { ends_at } => Message::new("cooldown.error.end_in_past")
                .with("ends_at", format!("<t:{ends_at}:F>")),
            CooldownError::OriginEndless => Message::new("cooldown.error.origin_endless"),
            CooldownError::Store(_) => Message::new("error.command_error"),
        }
    }
}

/// The restriction in force on `entity` at `now`, if any. The request checks call this.
pub fn active(r: &impl Read, entity: Entity, now: i64) -> Result<Option<Restriction>, StoreError> {
    Ok(r.get(&COOLDOWNS, &entity.key())?
        .filter(|restriction| restriction.active_at(now)))
}

/// The restriction in force and the number of changes so far (`/…cd describe`).
pub fn describe(
    r: &impl Read,
    entity: Entity,
    now: i64,
) -> Result<Option<Description>, StoreError> {
    let Some(restriction) = active(r, entity, now)? else {
        return Ok(None);
    };
    let changes = history(r, entity)?.len();
    Ok(Some(Description {
        restriction,
        changes,
    }))
}

/// Every restriction of `kind` in force at `now` that `listing` selects, in its order.
pub fn list(
    r: &impl Read,
    kind: EntityKind,
    listing: Listing,
    now: i64,
) -> Result<Vec<(Entity, Restriction)>, StoreError> {
    let code = kind.code();
    let mut found: Vec<(Entity, Restriction)> = r
        .range(&COOLDOWNS, &(code, 0), &(code + 1, 0), usize::MAX)?
        .into_iter()
        .filter(|(_, restriction)| restriction.active_at(now))
        .filter(|(_, restriction)| restriction.is_ban() == (listing == Listing::Endless))
        .map(|((_, id), restriction)| (kind.entity(id), restriction))
        .collect();
    match listing {
        Listing::Temporary => {
            found.sort_by_key(|(_, r)| (std::cmp::Reverse(r.ends_at), r.created_at))
        }
        Listing::Endless => found.sort_by_key(|(_, r)| r.created_at),
    }
    Ok(found)
}

/// Every change of `entity`'s restriction, oldest first.
pub fn history(r: &impl Read, entity: Entity) -> Result<Vec<HistoryEntry>, StoreError> {
    let (code, id) = entity.key();
    let end = match id.checked_add(1) {
        Some(next) => (code, (next, 0)),
        None => (code + 1, (0, 0)),
    };
    Ok(
        r.range(&COOLDOWN_HISTORY, &(code, (id, 0)), &end, usize::MAX)?
            .into_iter()
            .map(|(_, entry)| entry)
            .collect(),
    )
}

/// Stores `entity`'s restriction as another bot kept it (`stagehand import`), without an event:
/// its history comes from that bot's log ([`import_history`]).
pub fn import(w: &mut Writer, entity: Entity, restriction: &Restriction) -> Result<(), StoreError> {
    w.insert(&COOLDOWNS, &entity.key(), restriction)
}

/// How many users and levels have a restriction stored (expired ones included).
pub fn count(r: &impl Read) -> Result<u64, StoreError> {
    r.len(&COOLDOWNS)
}

/// Empties the restrictions and their history (`stagehand import requestbot --replace`, after
/// a snapshot).
pub fn clear(w: &mut Writer) -> Result<(), StoreError> {
    w.clear(&COOLDOWNS)?;
    w.clear(&COOLDOWN_HISTORY)?;
    Ok(())
}

/// Adds one change of `entity`'s restriction, as the imported event `event` recorded it.
pub fn import_history(
    w: &mut Writer,
    entity: Entity,
    event: EventId,
    entry: &HistoryEntry,
) -> Result<(), StoreError> {
    let (code, id) = entity.key();
    w.insert(&COOLDOWN_HISTORY, &(code, (id, event.0)), entry)
}

impl Term {
    /// Reads the log's words ([`Term::audit_text`]): `not on cooldown`, `forever`, or `until`
    /// and a time, with an offset or as naive UTC (`2024-05-01 12:00:00.5`, as the Request Bot
    /// wrote it).
    pub fn parse_audit_text(text: &str) -> Option<Term> {
        match text.trim() {
            "not on cooldown" => Some(Term::Free),
            "forever" => Some(Term::Forever),
            other => {
                let at = other.strip_prefix("until ")?.trim();
                crate::time::parse_utc(at).map(Term::Until)
            }
        }
    }
}

/// `/…cd update`: sets (`1w`, `inf`), lifts (`0`) or shifts (`+2d`, `-3h`) `entity`'s
/// restriction. A new end must be in the future; a ban cannot be shifted; someone else's
/// restriction needs [`By::overrides_others`]. The same restriction again is no effect.
pub fn update(
    w: &mut Writer,
    by: By,
    entity: Entity,
    change: DurationChange,
    reason: Option<&str>,
    now: i64,
) -> Result<Change, CooldownError> {
    let current = active(w, entity, now)?;
    let ends_at = match change {
        DurationChange::Set(Duration::Finite(0)) => {
            return lift(w, by, entity, current, reason, now);
        }
        DurationChange::Set(Duration::Infinite) => None,
        DurationChange::Set(Duration::Finite(secs)) => Some(now.saturating_add_unsigned(secs)),
        DurationChange::Extend(secs) | DurationChange::Shorten(secs) => {
            let origin = match &current {
                Some(restriction) => restriction.ends_at.ok_or(CooldownError::OriginEndless)?,
                None => now,
            };
            Some(match change {
                DurationChange::Extend(_) => origin.saturating_add_unsigned(secs),
                _ => origin.saturating_sub_unsigned(secs),
            })
        }
    };
    if let Some(end) = ends_at
        && end <= now
    {
        return Err(CooldownError::EndInPast { ends_at: end });
    }
    check_caster(by, current.as_ref())?;
    let new = Restriction {
        ends_at,
        caster: Actor::User(by.user),
        reason: reason.map(str::to_string),
        created_at: now,
    };
    let same = current.as_ref().is_some_and(|c| {
        (c.ends_at, c.caster, &c.reason) == (new.ends_at, new.caster, &new.reason)
    });
    if same {
        return Ok(Change::NoEffect);
    }
    let actor = Actor::User(by.user);
    Ok(save(
        w,
        entity,
        current.as_ref(),
        Some(&new),
        actor,
        reason,
        now,
    )?)
}

/// `/…cd amend`: lifts `entity`'s restriction (someone else's needs
/// [`By::overrides_others`]); no effect when there is none.
pub fn amend(
    w: &mut Writer,
    by: By,
    entity: Entity,
    reason: Option<&str>,
    now: i64,
) -> Result<Change, CooldownError> {
    let current = active(w, entity, now)?;
    lift(w, by, entity, current, reason, now)
}

/// The cooldown after a request or a rejection: `duration` from now, cast by the bot. It never
/// shortens: an existing ban, or a cooldown ending at or after the new end, stays. A zero
/// duration (the parameter set to `0`) casts nothing.
pub fn apply_automatic(
    w: &mut Writer,
    entity: Entity,
    duration: Duration,
    now: i64,
) -> Result<Change, StoreError> {
    let ends_at = match duration {
        Duration::Finite(0) => return Ok(Change::NoEffect),
        Duration::Finite(secs) => Some(now.saturating_add_unsigned(secs)),
        Duration::Infinite => None,
    };
    let current = active(w, entity, now)?;
    if let Some(current) = &current {
        match (current.ends_at, ends_at) {
            (None, _) => return Ok(Change::NoEffect),
            (Some(old), Some(new)) if new <= old => return Ok(Change::NoEffect),
            _ => {}
        }
    }
    let new = Restriction {
        ends_at,
        caster: Actor::Bot,
        reason: None,
        created_at: now,
    };
    save(
        w,
        entity,
        current.as_ref(),
        Some(&new),
        Actor::Bot,
        None,
        now,
    )
}

fn lift(
    w: &mut Writer,
    by: By,
    entity: Entity,
    current: Option<Restriction>,
    reason: Option<&str>,
    now: i64,
) -> Result<Change, CooldownError> {
    let Some(current) = current else {
        return Ok(Change::NoEffect);
    };
    check_caster(by, Some(&current))?;
    let actor = Actor::User(by.user);
    Ok(save(w, entity, Some(&current), None, actor, reason, now)?)
}

fn check_caster(by: By, current: Option<&Restriction>) -> Result<(), CooldownError> {
    match current {
        Some(current) if current.caster != Actor::User(by.user) && !by.overrides_others => {
            Err(CooldownError::NotYours {
                caster: current.caster,
            })
        }
        _ => Ok(()),
    }
}

/// Writes `after` (or removes the restriction), with its audit event and history row.
fn save(
    w: &mut Writer,
    entity: Entity,
    before: Option<&Restriction>,
    after: Option<&Restriction>,
    actor: Actor,
    reason: Option<&str>,
    now: i64,
) -> Result<Change, StoreError> {
    let key = entity.key();
    match after {
        Some(restriction) => w.insert(&COOLDOWNS, &key, restriction)?,
        None => {
            w.remove(&COOLDOWNS, &key)?;
        }
    }
    let (before, after) = (Term::of(before), Term::of(after));
    let event = entity
        .event(actor, now)
        .with("old", before.audit_text())
        .with("new", after.audit_text())
        .with("reason", reason.unwrap_or("no reason"));
    let id = audit::record(w, &event)?;
    let entry = HistoryEntry {
        at: now,
        actor,
        before,
        after,
        reason: reason.map(str::to_string),
    };
    w.insert(&COOLDOWN_HISTORY, &(key.0, (key.1, id.0)), &entry)?;
    Ok(Change::Applied(id))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use crate::store::Store;

    const MOD: u64 = 10;
    const OTHER: u64 = 11;
    const T0: i64 = 1_750_000_000;
    const DAY: i64 = 86_400;

    fn by(user: u64) -> By {
        By {
            user,
            overrides_others: false,
        }
    }

    fn change(input: &str) -> DurationChange {
        DurationChange::parse(input).unwrap()
    }

    fn run_update(
        store: &Store,
        who: By,
        entity: Entity,
        input: &str,
        now: i64,
    ) -> Result<Change, CooldownError> {
        store.write(|w| update(w, who, entity, change(input), Some("spam"), now))
    }

    fn current(store: &Store, entity: Entity, now: i64) -> Option<Restriction> {
        store.read(|r| active(r, entity, now)).unwrap()
    }

    fn ends(store: &Store, entity: Entity, now: i64) -> Option<Option<i64>> {
        current(store, entity, now).map(|r| r.ends_at)
    }

    #[test]
    fn set_shift_and_lift() {
        let (_dir, store) = Store::temporary();
        let anna = Entity::User(42);
        assert!(matches!(
            run_update(&store, by(MOD), anna, "1w", T0),
            Ok(Change::Applied(_))
        ));
        assert_eq!(ends(&store, anna, T0), Some(Some(T0 + 7 * DAY)));
        let restriction = current(&store, anna, T0).unwrap();
        assert_eq!(restriction.caster, Actor::User(MOD));
        assert_eq!(restriction.reason.as_deref(), Some("spam"));
        // The same again is no effect; relative changes move the end.
        assert!(matches!(
            run_update(&store, by(MOD), anna, "1w", T0),
            Ok(Change::NoEffect)
        ));
        run_update(&store, by(MOD), anna, "+2d", T0 + 10).unwrap();
        assert_eq!(ends(&store, anna, T0), Some(Some(T0 + 9 * DAY)));
        run_update(&store, by(MOD), anna, "- 1d", T0 + 20).unwrap();
        assert_eq!(ends(&store, anna, T0), Some(Some(T0 + 8 * DAY)));
        // Shortening into the past is refused and changes nothing.
        assert!(matches!(
            run_update(&store, by(MOD), anna, "-9d", T0),
            Err(CooldownError::EndInPast { ends_at }) if ends_at == T0 - DAY
        ));
        assert_eq!(ends(&store, anna, T0), Some(Some(T0 + 8 * DAY)));
        // `inf` bans; a ban cannot be shifted; `0` lifts.
        run_update(&store, by(MOD), anna, "inf", T0).unwrap();
        assert_eq!(ends(&store, anna, T0 + 1000 * DAY), Some(None));
        assert!(matches!(
            run_update(&store, by(MOD), anna, "+1d", T0),
            Err(CooldownError::OriginEndless)
        ));
        run_update(&store, by(MOD), anna, "0", T0).unwrap();
        assert_eq!(current(&store, anna, T0), None);
        assert!(matches!(
            run_update(&store, by(MOD), anna, "0", T0),
            Ok(Change::NoEffect)
        ));
        // A relative change with no cooldown starts from now.
        run_update(&store, by(MOD), anna, "+3h", T0).unwrap();
        assert_eq!(ends(&store, anna, T0), Some(Some(T0 + 3 * 3600)));
    }

    #[test]
    fn zero_length_durations_are_never_bans() {
        let (_dir, store) = Store::temporary();
        let level = Entity::Level(128);
        for zero in ["0s", "0d", "0w 0h"] {
            assert!(matches!(
                run_update(&store, by(MOD), level, zero, T0),
                Ok(Change::NoEffect)
            ));
        }
        assert_eq!(current(&store, level, T0), None);
    }

    #[test]
    fn expiry_is_a_comparison_with_now() {
        let (_dir, store) = Store::temporary();
        let (anna, ivan) = (Entity::User(42), Entity::User(43));
        run_update(&store, by(MOD), anna, "1h", T0).unwrap();
        run_update(&store, by(MOD), ivan, "1d", T0).unwrap();
        let listed = |now| {
            store
                .read(|r| list(r, EntityKind::User, Listing::Temporary, now))
                .unwrap()
                .into_iter()
                .map(|(e, _)| e)
                .collect::<Vec<_>>()
        };
        assert_eq!(listed(T0), [ivan, anna], "latest end first");
        assert_eq!(listed(T0 + 3600), [ivan], "ended exactly now");
        assert_eq!(listed(T0 + DAY), []);
        assert_eq!(
            current(&store, anna, T0 + 3599).map(|r| r.ends_at),
            Some(Some(T0 + 3600))
        );
        assert_eq!(current(&store, anna, T0 + 3600), None);
        // An expired cooldown is not in the way: amending it is no effect, setting is new.
        assert!(matches!(
            store.write(|w| amend(w, by(OTHER), anna, None, T0 + 3600)),
            Ok(Change::NoEffect)
        ));
        run_update(&store, by(OTHER), anna, "2h", T0 + 3600).unwrap();
        assert_eq!(
            current(&store, anna, T0 + 3600).unwrap().caster,
            Actor::User(OTHER)
        );
    }

    #[test]
    fn only_the_caster_or_an_overrider_may_change_a_cooldown() {
        let (_dir, store) = Store::temporary();
        let level = Entity::Level(128);
        run_update(&store, by(MOD), level, "1w", T0).unwrap();
        for input in ["2w", "inf", "+1d", "-1d", "0"] {
            assert!(
                matches!(
                    run_update(&store, by(OTHER), level, input, T0),
                    Err(CooldownError::NotYours {
                        caster: Actor::User(MOD)
                    })
                ),
                "{input}"
            );
        }
        assert!(matches!(
            store.write(|w| amend(w, by(OTHER), level, None, T0)),
            Err(CooldownError::NotYours { .. })
        ));
        assert_eq!(ends(&store, level, T0), Some(Some(T0 + 7 * DAY)));
        let overrider = By {
            user: OTHER,
            overrides_others: true,
        };
        assert!(matches!(
            store.write(|w| amend(w, overrider, level, Some("appeal"), T0)),
            Ok(Change::Applied(_))
        ));
        assert_eq!(current(&store, level, T0), None);
        // Automatic cooldowns are the bot's: someone else's too.
        store
            .write(|w| apply_automatic(w, level, Duration::Finite(3600), T0))
            .unwrap();
        assert!(matches!(
            store.write(|w| amend(w, by(MOD), level, None, T0)),
            Err(CooldownError::NotYours { caster: Actor::Bot })
        ));
        assert_eq!(
            CooldownError::NotYours { caster: Actor::Bot }
                .message()
                .params(),
            [("caster", "Stagehand")]
        );
    }

    #[test]
    fn automatic_cooldowns_never_shorten() {
        let (_dir, store) = Store::temporary();
        let anna = Entity::User(42);
        let auto = |secs: u64, now: i64| {
            store
                .write(|w| apply_automatic(w, anna, Duration::Finite(secs), now))
                .unwrap()
        };
        assert_eq!(auto(0, T0), Change::NoEffect);
        assert_eq!(current(&store, anna, T0), None);
        assert!(matches!(auto(3 * DAY as u64, T0), Change::Applied(_)));
        assert_eq!(auto(DAY as u64, T0), Change::NoEffect, "would end earlier");
        assert!(matches!(
            auto(DAY as u64, T0 + 2 * DAY + 1),
            Change::Applied(_)
        ));
        assert_eq!(ends(&store, anna, T0), Some(Some(T0 + 3 * DAY + 1)));
        run_update(
            &store,
            By {
                user: MOD,
                overrides_others: true,
            },
            anna,
            "inf",
            T0,
        )
        .unwrap();
        assert_eq!(auto(30 * DAY as u64, T0), Change::NoEffect, "a ban stays");
        assert_eq!(ends(&store, anna, T0), Some(None));
    }

    #[test]
    fn every_change_is_an_event_and_a_history_row() {
        let (_dir, store) = Store::temporary();
        let anna = Entity::User(42);
        let level = Entity::Level(128);
        store
            .write(|w| apply_automatic(w, anna, Duration::Finite(60), T0))
            .unwrap();
        run_update(
            &store,
            By {
                user: MOD,
                overrides_others: true,
            },
            anna,
            "inf",
            T0 + 1,
        )
        .unwrap();
        store
            .write(|w| amend(w, by(MOD), anna, None, T0 + 2))
            .unwrap();
        run_update(&store, by(MOD), level, "1d", T0).unwrap();
        // Refusals record nothing.
        let _ = run_update(&store, by(OTHER), level, "2d", T0);
        assert_eq!(
            crate::audit::summaries(&store),
            [
                "USER_COOLDOWN_UPDATED by bot: target_user_id=<@42> old=\"not on cooldown\" \
                 new=\"until 2025-06-15T15:07:40Z\" reason=\"no reason\"",
                "LEVEL_COOLDOWN_UPDATED by <@10>: target_level_id=128 old=\"not on cooldown\" \
                 new=\"until 2025-06-16T15:06:40Z\" reason=spam",
                "USER_COOLDOWN_UPDATED by <@10>: target_user_id=<@42> \
                 old=\"until 2025-06-15T15:07:40Z\" new=forever reason=spam",
                "USER_COOLDOWN_UPDATED by <@10>: target_user_id=<@42> old=forever \
                 new=\"not on cooldown\" reason=\"no reason\"",
            ]
        );
        let anna_history = store.read(|r| history(r, anna)).unwrap();
        let terms: Vec<(Actor, Term, Term)> = anna_history
            .iter()
            .map(|e| (e.actor, e.before, e.after))
            .collect();
        assert_eq!(
            terms,
            [
                (Actor::Bot, Term::Free, Term::Until(T0 + 60)),
                (Actor::User(MOD), Term::Until(T0 + 60), Term::Forever),
                (Actor::User(MOD), Term::Forever, Term::Free),
            ]
        );
        assert_eq!(store.read(|r| history(r, level)).unwrap().len(), 1);
        assert_eq!(store.read(|r| history(r, Entity::Level(127))).unwrap(), []);
        let described = store.read(|r| describe(r, level, T0)).unwrap().unwrap();
        assert_eq!(described.changes, 1);
        assert_eq!(store.read(|r| describe(r, anna, T0)).unwrap(), None);
    }

    #[test]
    fn listings_separate_kinds_and_bans() {
        let (_dir, store) = Store::temporary();
        let ids = [1, u64::MAX];
        for (i, id) in ids.into_iter().enumerate() {
            let now = T0 + i as i64;
            run_update(&store, by(MOD), Entity::User(id), "inf", now).unwrap();
            run_update(&store, by(MOD), Entity::Level(id), "1d", now).unwrap();
        }
        let show = |kind, listing| {
            store
                .read(|r| list(r, kind, listing, T0 + 5))
                .unwrap()
                .into_iter()
                .map(|(e, _)| e)
                .collect::<Vec<_>>()
        };
        assert_eq!(
            show(EntityKind::User, Listing::Endless),
            [Entity::User(1), Entity::User(u64::MAX)]
        );
        assert_eq!(show(EntityKind::User, Listing::Temporary), []);
        assert_eq!(
            show(EntityKind::Level, Listing::Temporary),
            [Entity::Level(u64::MAX), Entity::Level(1)]
        );
        assert_eq!(
            store
                .read(|r| history(r, Entity::User(u64::MAX)))
                .unwrap()
                .len(),
            1
        );
    }
}
