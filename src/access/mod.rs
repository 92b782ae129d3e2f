//! Permissions (gd-requestbot §5): flags bound to roles, and the one check every command and
//! every component click goes through, [`Permissions::allowed`].
//!
//! The bindings live in the store (`permission_bindings`); [`Permissions`] keeps a copy in memory
//! so a check costs a few map lookups. Every change goes through [`Permissions`], which writes the
//! store (one transaction with its audit event) and then its copy while holding the copy's lock,
//! so the copy always equals the store and a restart loses nothing.
//!
//! Rules:
//! - `admin` implies every other flag (except in [`Permissions::has_exactly`]).
//! - The guild owner is always `admin`, so nobody can lock the owner out.
//! - While no role carries `admin`, members with Discord's Administrator permission are `admin`
//!   too: a fresh install is usable, and only people who already control the guild can use it.
//! - `unbind` and `clear` refuse a change that would take `admin` from the member making it
//!   (the original guarded only `unbind`).
//!
//! Knows nothing of Discord: a member is its user id, role ids and two facts.

mod flag;

pub use flag::{Flag, FlagSet};

use crate::store::Read as _;
use std::collections::HashMap;
use std::sync::{PoisonError, RwLock, RwLockWriteGuard};

use crate::audit::{self, Actor, Change, Event, EventKind, Value};
use crate::i18n::Message;
use crate::store::{Store, StoreError, Table};

/// Permission bindings: `(role id, flag name)` → nothing (see `access`).
pub(crate) const PERMISSION_BINDINGS: Table<(u64, String), ()> = Table::new("permission_bindings");

/// The roles `flag` is bound to, read in the caller's transaction: for a use case that gives or
/// takes those roles (a trainee's promotion), from the same store its change commits to.
pub fn roles_with(r: &impl crate::store::Read, flag: Flag) -> Result<Vec<u64>, StoreError> {
    let bindings = r.keys(&PERMISSION_BINDINGS)?;
    Ok(bindings
        .into_iter()
        .filter(|(_, name)| name == flag.name())
        .map(|(role, _)| role)
        .collect())
}

/// Binds `flag` to `role` as another bot had it (`stagehand import`), without an event; the
/// bot reads its bindings at start.
pub fn import(w: &mut crate::store::Writer, flag: Flag, role: u64) -> Result<(), StoreError> {
    w.insert(&PERMISSION_BINDINGS, &(role, flag.name().to_string()), &())
}

/// The facts about a member that permissions depend on.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Member {
    pub user_id: u64,
    /// Every role the member has, including `@everyone` (whose id is the guild id), so a flag
    /// bound to `@everyone` applies to all.
    pub role_ids: Vec<u64>,
    pub is_owner: bool,
    /// Discord's Administrator permission.
    pub is_administrator: bool,
}

/// Why a permission change was refused.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum AccessError {
    /// The change would take `admin` away from the member making it; nothing changed.
    #[error("this change would remove your own admin permission")]
    LockOut,
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl AccessError {
    pub fn message(&self) -> Message {
        match self {
            AccessError::LockOut => Message::new("error.cant_remove_admin_permission"),
            AccessError::Store(_) => Message::new("error.command_error"),
        }
    }
}

/// How a member holds their permissions (`/permission describe_member`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MemberPermissions {
    /// Each of the member's roles that carries flags, with those flags (admin not expanded).
    pub by_role: Vec<(u64, FlagSet)>,
    /// The member owns the guild (always admin).
    pub owner: bool,
    /// Admin through Discord's Administrator permission while no role carries `admin`.
    pub bootstrap_admin: bool,
}

impl MemberPermissions {
    pub fn is_empty(&self) -> bool {
        self.by_role.is_empty() && !self.owner && !self.bootstrap_admin
    }
}

/// The bindings, in memory.
#[derive(Clone, Debug, Default)]
struct Bindings {
    by_role: HashMap<u64, FlagSet>,
    /// Some role carries `admin` (ends the Administrator bootstrap).
    admin_bound: bool,
}

impl Bindings {
    fn flags_of(&self, member: &Member) -> FlagSet {
        member
            .role_ids
            .iter()
            .filter_map(|role| self.by_role.get(role))
            .fold(FlagSet::EMPTY, |all, &flags| all.union(flags))
    }

    fn is_admin(&self, member: &Member, flags: FlagSet) -> bool {
        member.is_owner
            || flags.contains(Flag::Admin)
            || (member.is_administrator && !self.admin_bound)
    }

    fn set(&mut self, role: u64, flags: FlagSet) {
        if flags.is_empty() {
            self.by_role.remove(&role);
        } else {
            self.by_role.insert(role, flags);
        }
        self.admin_bound = self.by_role.values().any(|f| f.contains(Flag::Admin));
    }
}

/// The permission bindings, checked in memory and changed through the store.
#[derive(Debug)]
pub struct Permissions {
    bindings: RwLock<Bindings>,
}

impl Permissions {
    /// Reads the bindings from the store. Flags this build does not know are ignored (logged).
    pub fn load(store: &Store) -> Result<Permissions, StoreError> {
        let rows = store.read(|r| r.all(&PERMISSION_BINDINGS))?;
        let mut bindings = Bindings::default();
        for ((role, name), ()) in rows {
            match Flag::parse(&name) {
                Some(flag) => {
                    let mut flags = bindings.by_role.get(&role).copied().unwrap_or_default();
                    flags.insert(flag);
                    bindings.set(role, flags);
                }
                None => tracing::warn!(flag = name, role, "ignoring an unknown permission flag"),
            }
        }
        Ok(Permissions {
            bindings: RwLock::new(bindings),
        })
    }

    /// Reads the bindings again (another store was put in place: `/backup load`).
    pub fn reload(&self, store: &Store) -> Result<(), StoreError> {
        let fresh = Permissions::load(store)?.bindings.into_inner();
        let fresh = fresh.unwrap_or_else(PoisonError::into_inner);
        *self
            .bindings
            .write()
            .unwrap_or_else(PoisonError::into_inner) = fresh;
        Ok(())
    }

    /// Whether `member` may do what `flag` grants (`admin` grants everything).
    pub fn allowed(&self, member: &Member, flag: Flag) -> bool {
        let bindings = self.read();
        let flags = bindings.flags_of(member);
        flags.contains(flag) || bindings.is_admin(member, flags)
    }

    /// Whether `member` holds `flag` itself through a role, admin or not (the "is this person a
    /// trainee?" question).
    pub fn has_exactly(&self, member: &Member, flag: Flag) -> bool {
        self.read().flags_of(member).contains(flag)
    }

    /// Binds `flag` to `role`. The caller has checked that `actor` may (`admin`).
    pub fn bind(
        &self,
        store: &Store,
        actor: &Member,
        flag: Flag,
        role: u64,
        now: i64,
    ) -> Result<Change, AccessError> {
        let mut bindings = self.write();
        let mut flags = bindings.by_role.get(&role).copied().unwrap_or_default();
        if flags.contains(flag) {
            return Ok(Change::NoEffect);
        }
        flags.insert(flag);
        let event = Event::new(EventKind::PermissionBound, Actor::User(actor.user_id), now)
            .with("permission_id", flag.name())
            .with("role_id", Value::Role(role));
        let id = store.write(|w| {
            w.insert(&PERMISSION_BINDINGS, &(role, flag.name().to_string()), &())?;
            audit::record(w, &event)
        })?;
        bindings.set(role, flags);
        Ok(Change::Applied(id))
    }

    /// Unbinds `flag` from `role`, unless that would take `admin` from `actor`.
    pub fn unbind(
        &self,
        store: &Store,
        actor: &Member,
        flag: Flag,
        role: u64,
        now: i64,
    ) -> Result<Change, AccessError> {
        let mut bindings = self.write();
        let mut flags = bindings.by_role.get(&role).copied().unwrap_or_default();
        if !flags.contains(flag) {
            return Ok(Change::NoEffect);
        }
        flags.remove(flag);
        let next = guard_lock_out(&bindings, actor, role, flags)?;
        let event = Event::new(
            EventKind::PermissionUnbound,
            Actor::User(actor.user_id),
            now,
        )
        .with("permission_id", flag.name())
        .with("role_id", Value::Role(role));
        let id = store.write(|w| {
            w.remove(&PERMISSION_BINDINGS, &(role, flag.name().to_string()))?;
            audit::record(w, &event)
        })?;
        *bindings = next;
        Ok(Change::Applied(id))
    }

    /// Removes every flag from `role`, unless that would take `admin` from `actor`.
    pub fn clear(
        &self,
        store: &Store,
        actor: &Member,
        role: u64,
        now: i64,
    ) -> Result<Change, AccessError> {
        let mut bindings = self.write();
        let Some(&flags) = bindings.by_role.get(&role) else {
            return Ok(Change::NoEffect);
        };
        let next = guard_lock_out(&bindings, actor, role, FlagSet::EMPTY)?;
        let names: Vec<&str> = flags.flags().into_iter().map(Flag::name).collect();
        let event = Event::new(
            EventKind::RoleClearedFromPermissions,
            Actor::User(actor.user_id),
            now,
        )
        .with("role_id", Value::Role(role))
        .with("permissions", names.join(", "));
        let id = store.write(|w| {
            for name in &names {
                w.remove(&PERMISSION_BINDINGS, &(role, (*name).to_string()))?;
            }
            audit::record(w, &event)
        })?;
        *bindings = next;
        Ok(Change::Applied(id))
    }

    /// Every role that carries flags, by role id.
    pub fn list_roles(&self) -> Vec<(u64, FlagSet)> {
        let mut roles: Vec<(u64, FlagSet)> =
            self.read().by_role.iter().map(|(&r, &f)| (r, f)).collect();
        roles.sort_unstable_by_key(|&(role, _)| role);
        roles
    }

    /// Where `member`'s permissions come from.
    pub fn describe_member(&self, member: &Member) -> MemberPermissions {
        let bindings = self.read();
        let mut by_role: Vec<(u64, FlagSet)> = member
            .role_ids
            .iter()
            .filter_map(|role| bindings.by_role.get(role).map(|&f| (*role, f)))
            .collect();
        by_role.sort_unstable_by_key(|&(role, _)| role);
        by_role.dedup();
        MemberPermissions {
            by_role,
            owner: member.is_owner,
            bootstrap_admin: member.is_administrator && !bindings.admin_bound,
        }
    }

    fn read(&self) -> std::sync::RwLockReadGuard<'_, Bindings> {
        self.bindings.read().unwrap_or_else(PoisonError::into_inner)
    }

    fn write(&self) -> RwLockWriteGuard<'_, Bindings> {
        self.bindings
            .write()
            .unwrap_or_else(PoisonError::into_inner)
    }
}

/// The bindings after giving `role` the flags `flags`, or [`AccessError::LockOut`] if `actor`
/// was admin before and would not be after.
fn guard_lock_out(
    bindings: &Bindings,
    actor: &Member,
    role: u64,
    flags: FlagSet,
) -> Result<Bindings, AccessError> {
    let mut next = bindings.clone();
    next.set(role, flags);
    let was = bindings.is_admin(actor, bindings.flags_of(actor));
    let is = next.is_admin(actor, next.flags_of(actor));
    if was && !is {
        return Err(AccessError::LockOut);
    }
    Ok(next)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    const ADMINS: u64 = 10;
    const MODS: u64 = 20;
    const EVERYONE: u64 = 1;

    fn member(user_id: u64, roles: &[u64]) -> Member {
        Member {
            user_id,
            role_ids: roles.to_vec(),
            is_owner: false,
            is_administrator: false,
        }
    }

    fn setup() -> (tempfile::TempDir, Store, Permissions) {
        let (dir, store) = Store::temporary();
        let permissions = Permissions::load(&store).unwrap();
        (dir, store, permissions)
    }

    #[test]
    fn a_fresh_install_trusts_only_the_owner_and_administrators() {
        let (_dir, _store, permissions) = setup();
        let owner = Member {
            is_owner: true,
            ..member(1, &[EVERYONE])
        };
        let administrator = Member {
            is_administrator: true,
            ..member(2, &[EVERYONE])
        };
        let nobody = member(3, &[EVERYONE, MODS]);
        for &flag in Flag::ALL {
            assert!(permissions.allowed(&owner, flag));
            assert!(permissions.allowed(&administrator, flag));
            assert!(!permissions.allowed(&nobody, flag));
        }
        assert!(!permissions.has_exactly(&owner, Flag::Trainee));
    }

    #[test]
    fn flags_come_from_roles_and_admin_implies_all() {
        let (dir, store, permissions) = setup();
        let owner = Member {
            is_owner: true,
            ..member(1, &[])
        };
        let administrator = Member {
            is_administrator: true,
            ..member(2, &[])
        };
        let boss = member(4, &[ADMINS]);
        let moderator = member(5, &[EVERYONE, MODS]);
        let change = permissions
            .bind(&store, &owner, Flag::GdMod, MODS, 100)
            .unwrap();
        assert!(matches!(change, Change::Applied(_)));
        assert_eq!(
            permissions
                .bind(&store, &owner, Flag::GdMod, MODS, 101)
                .unwrap(),
            Change::NoEffect
        );
        assert!(permissions.allowed(&moderator, Flag::GdMod));
        assert!(!permissions.allowed(&moderator, Flag::Reviewer));
        assert!(
            permissions.allowed(&administrator, Flag::Reviewer),
            "admin not bound yet"
        );

        permissions
            .bind(&store, &owner, Flag::Admin, ADMINS, 102)
            .unwrap();
        assert!(permissions.allowed(&boss, Flag::PointsEditor));
        assert!(!permissions.has_exactly(&boss, Flag::Trainee));
        assert!(
            !permissions.allowed(&administrator, Flag::Reviewer),
            "bootstrap over"
        );
        assert!(
            permissions.allowed(&owner, Flag::Reviewer),
            "the owner always is"
        );

        // Everything survives a restart, and every change was logged once.
        drop(permissions);
        let reloaded = Permissions::load(&store).unwrap();
        assert!(reloaded.allowed(&moderator, Flag::GdMod));
        assert!(reloaded.allowed(&boss, Flag::LeagueAdmin));
        assert_eq!(
            reloaded.list_roles(),
            [(ADMINS, set(&[Flag::Admin])), (MODS, set(&[Flag::GdMod]))]
        );
        assert_eq!(
            audit::summaries(&store),
            [
                "PERMISSION_BOUND by <@1>: permission_id=gd_mod role_id=<@&20>",
                "PERMISSION_BOUND by <@1>: permission_id=admin role_id=<@&10>",
            ]
        );
        drop(dir);
    }

    fn set(flags: &[Flag]) -> FlagSet {
        let mut set = FlagSet::EMPTY;
        for &f in flags {
            set.insert(f);
        }
        set
    }

    #[test]
    fn nobody_removes_their_own_admin() {
        let (_dir, store, permissions) = setup();
        let owner = Member {
            is_owner: true,
            ..member(1, &[])
        };
        let boss = member(4, &[ADMINS, MODS]);
        permissions
            .bind(&store, &owner, Flag::Admin, ADMINS, 1)
            .unwrap();
        permissions
            .bind(&store, &owner, Flag::Reviewer, ADMINS, 2)
            .unwrap();
        permissions
            .bind(&store, &owner, Flag::Admin, MODS, 3)
            .unwrap();

        // A second admin role remains: allowed.
        permissions
            .unbind(&store, &boss, Flag::Admin, MODS, 4)
            .unwrap();
        let before = audit::summaries(&store).len();
        assert!(matches!(
            permissions.unbind(&store, &boss, Flag::Admin, ADMINS, 5),
            Err(AccessError::LockOut)
        ));
        assert!(matches!(
            permissions.clear(&store, &boss, ADMINS, 5),
            Err(AccessError::LockOut)
        ));
        assert!(permissions.allowed(&boss, Flag::Admin), "nothing changed");
        assert_eq!(audit::summaries(&store).len(), before, "nothing logged");
        assert_eq!(
            Permissions::load(&store).unwrap().list_roles(),
            permissions.list_roles()
        );

        // The owner may; then the role is gone entirely.
        let change = permissions.clear(&store, &owner, ADMINS, 6).unwrap();
        assert!(matches!(change, Change::Applied(_)));
        assert_eq!(
            permissions.clear(&store, &owner, ADMINS, 7).unwrap(),
            Change::NoEffect
        );
        assert_eq!(
            permissions
                .unbind(&store, &owner, Flag::Admin, ADMINS, 7)
                .unwrap(),
            Change::NoEffect
        );
        assert!(!permissions.allowed(&boss, Flag::Reviewer));
        assert_eq!(
            audit::summaries(&store).last().unwrap(),
            "ROLE_CLEARED_FROM_PERMISSIONS by <@1>: role_id=<@&10> permissions=\"admin, reviewer\""
        );
        assert!(Permissions::load(&store).unwrap().list_roles().is_empty());
    }

    #[test]
    fn describing_a_member() {
        let (_dir, store, permissions) = setup();
        let owner = Member {
            is_owner: true,
            ..member(1, &[])
        };
        permissions
            .bind(&store, &owner, Flag::Reviewer, MODS, 1)
            .unwrap();
        permissions
            .bind(&store, &owner, Flag::Trainee, EVERYONE, 1)
            .unwrap();
        let described = permissions.describe_member(&member(5, &[MODS, EVERYONE, 99]));
        assert_eq!(
            described.by_role,
            [
                (EVERYONE, set(&[Flag::Trainee])),
                (MODS, set(&[Flag::Reviewer]))
            ]
        );
        assert!(!described.is_empty());
        assert!(permissions.describe_member(&member(6, &[99])).is_empty());
        let administrator = Member {
            is_administrator: true,
            ..member(2, &[])
        };
        assert!(permissions.describe_member(&administrator).bootstrap_admin);
        assert_eq!(
            AccessError::LockOut.message().key,
            "error.cant_remove_admin_permission"
        );
    }
}
