//! The Discord roles the league uses (osu-arena §3.3), stored by id: one per league, plus
//! Participant (given on link), Inactive (given on join, taken on link) and casual (all that is
//! left after `/delete`). At first start each
//! is matched by name ("Gold", "Participant", …) and stored; an admin can point one at another
//! role, and renaming a role in Discord then breaks nothing.

use super::leagues::League;
use crate::audit::{self, Actor, Change, Event, EventKind, Value};
use crate::store::{Read, StoreError, Table, Writer};

/// Discord roles of the league: `novice` … `master`, `participant`, `inactive`, `casual` → role
/// id.
pub(crate) const LEAGUE_ROLES: Table<str, u64> = Table::new("league_roles");

/// A role the league uses.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RoleKey {
    League(League),
    Participant,
    Inactive,
    /// The one role a deleted player is left with (`/delete`).
    Casual,
}

impl RoleKey {
    pub const ALL: [RoleKey; 11] = [
        RoleKey::League(League::Novice),
        RoleKey::League(League::Bronze),
        RoleKey::League(League::Silver),
        RoleKey::League(League::Gold),
        RoleKey::League(League::Platinum),
        RoleKey::League(League::Diamond),
        RoleKey::League(League::Elite),
        RoleKey::League(League::Master),
        RoleKey::Participant,
        RoleKey::Inactive,
        RoleKey::Casual,
    ];

    /// The name in the store and in `/league role`.
    pub fn name(self) -> &'static str {
        match self {
            RoleKey::League(league) => league.name(),
            RoleKey::Participant => "participant",
            RoleKey::Inactive => "inactive",
            RoleKey::Casual => "casual",
        }
    }

    pub fn parse(name: &str) -> Option<RoleKey> {
        RoleKey::ALL
            .into_iter()
            .find(|k| k.name().eq_ignore_ascii_case(name.trim()))
    }

    /// The Discord role name matched by default.
    fn default_role_name(self) -> String {
        match self {
            RoleKey::League(league) => league.role_name(),
            RoleKey::Participant => "Participant".into(),
            RoleKey::Inactive => "Inactive".into(),
            RoleKey::Casual => "casual".into(),
        }
    }
}

/// The role id stored for `key`.
pub fn get(r: &impl Read, key: RoleKey) -> Result<Option<u64>, StoreError> {
    r.get(&LEAGUE_ROLES, key.name())
}

/// Stores, for each key without a role, the guild role with its default name (case-insensitive);
/// returns the keys it found.
pub fn resolve_defaults(
    w: &mut Writer,
    guild_roles: &[(u64, &str)],
) -> Result<Vec<RoleKey>, StoreError> {
    let mut found = Vec::new();
    for key in RoleKey::ALL {
        if get(w, key)?.is_some() {
            continue;
        }
        let wanted = key.default_role_name();
        if let Some((id, _)) = guild_roles
            .iter()
            .find(|(_, name)| name.eq_ignore_ascii_case(&wanted))
        {
            w.insert(&LEAGUE_ROLES, key.name(), id)?;
            found.push(key);
        }
    }
    Ok(found)
}

/// Points `key` at `role` (an admin's choice), recording the change.
pub fn set(
    w: &mut Writer,
    key: RoleKey,
    role: u64,
    actor: Actor,
    now: i64,
) -> Result<Change, StoreError> {
    if get(w, key)? == Some(role) {
        return Ok(Change::NoEffect);
    }
    w.insert(&LEAGUE_ROLES, key.name(), &role)?;
    let id = audit::record(
        w,
        &Event {
            kind: EventKind::LeagueRoleSet,
            actor,
            at: now,
            fields: vec![
                ("league_role".into(), key.name().into()),
                ("role_id".into(), Value::Role(role)),
            ],
        },
    )?;
    Ok(Change::Applied(id))
}

/// The role changes of a season start that moves a player from league `from` to `to`: the
/// new league's role added, the old one's removed (a role Stagehand does not know is skipped).
pub fn on_transfer(
    r: &impl Read,
    from: League,
    to: League,
) -> Result<(Vec<u64>, Vec<u64>), StoreError> {
    let add = get(r, RoleKey::League(to))?.into_iter().collect();
    let remove = get(r, RoleKey::League(from))?.into_iter().collect();
    Ok((add, remove))
}

/// The role changes that put a freshly linked player in `league`: its role and Participant
/// added, Inactive, casual and every other league's role removed (ids Stagehand does not know
/// are skipped).
pub fn on_link(r: &impl Read, league: League) -> Result<(Vec<u64>, Vec<u64>), StoreError> {
    let mut add = Vec::new();
    let mut remove = Vec::new();
    for key in RoleKey::ALL {
        let Some(id) = get(r, key)? else { continue };
        match key {
            RoleKey::League(l) if l == league => add.push(id),
            RoleKey::Participant => add.push(id),
            RoleKey::League(_) | RoleKey::Inactive | RoleKey::Casual => remove.push(id),
        }
    }
    Ok((add, remove))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::Store;

    #[test]
    fn defaults_are_matched_by_name_once_then_kept_by_id() {
        let (_dir, store) = Store::temporary();
        let roles = [
            (1, "gold"),
            (2, "Participant"),
            (3, "Inactive"),
            (4, "Silver"),
        ];
        let found = store.write(|w| resolve_defaults(w, &roles)).unwrap();
        assert_eq!(found.len(), 4);
        // Renamed in Discord: the stored id stays.
        let renamed = [(1, "Gold tier"), (5, "Gold")];
        assert!(
            store
                .write(|w| resolve_defaults(w, &renamed))
                .unwrap()
                .is_empty()
        );
        assert_eq!(
            store
                .read(|r| get(r, RoleKey::League(League::Gold)))
                .unwrap(),
            Some(1)
        );
        let (add, remove) = store.read(|r| on_link(r, League::Gold)).unwrap();
        assert_eq!(add, [1, 2]);
        assert_eq!(remove, [4, 3]);
    }

    #[test]
    fn set_records_a_change_and_repeats_are_no_effect() {
        let (_dir, store) = Store::temporary();
        let key = RoleKey::League(League::Master);
        let first = store.write(|w| set(w, key, 9, Actor::User(1), 0)).unwrap();
        assert!(matches!(first, Change::Applied(_)));
        let again = store.write(|w| set(w, key, 9, Actor::User(1), 0)).unwrap();
        assert_eq!(again, Change::NoEffect);
        assert_eq!(RoleKey::parse("MASTER"), Some(key));
        assert_eq!(RoleKey::parse("ranker"), None);
    }
}
