//! Who may use the Control Panel API (gd-requestbot §11.1) and in whose name: the API is off
//! until an admin turns it on, naming the staff member its actions are attributed to; Stagehand
//! then makes the key (256 random bits, shown once), keeps only its SHA-256, and checks a
//! presented key by hashing it and comparing the hashes in constant time.
//!
//! Turning it on again or rotating the key replaces the key at once; turning it off removes it.
//! Each change is one transaction with its audit event. The key never reaches the log or the
//! audit event, only the person who asked for it.

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq as _;

use crate::audit::{self, Actor, Change, Event, EventKind, Value};
use crate::store::{Read, StoreError, Table, Writer};

/// Where the HTTPS server serves the API (the panel's base URL is the server's plus this).
pub const PATH: &str = "/control-panel";

/// The Control Panel's access (key `current`); no row: the API is off.
pub(crate) const CONTROL_PANEL: Table<str, Access> = Table::new("control_panel");

const CURRENT: &str = "current";

/// The API key's row (its hash): never in a copy that leaves the machine.
pub fn secret_rows() -> Vec<crate::store::Redaction> {
    vec![crate::store::Redaction::table(&CONTROL_PANEL)]
}

/// The stored access: the key's hash and whom the API acts for.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Access {
    /// SHA-256 of the key.
    pub key_hash: [u8; 32],
    /// The staff member every action of the API is attributed to.
    pub staff: u64,
    /// When this key was made (unix seconds).
    pub since: i64,
}

/// A new key, to be shown once to whoever asked for it.
#[derive(Clone, PartialEq, Eq)]
pub struct Key(pub String);

impl std::fmt::Debug for Key {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Key(********)")
    }
}

/// What a presented `x-key` turned out to be.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum KeyCheck {
    /// The API is off.
    Off,
    /// Not the key.
    Wrong,
    /// The key: the API acts for this staff member.
    Staff(u64),
}

fn hash(key: &str) -> [u8; 32] {
    Sha256::digest(key.as_bytes()).into()
}

fn new_key() -> Key {
    let mut bytes = [0u8; 32];
    rand::fill(&mut bytes);
    Key(bytes.iter().map(|b| format!("{b:02x}")).collect())
}

/// The access in force, if the API is on.
pub fn current(r: &impl Read) -> Result<Option<Access>, StoreError> {
    r.get(&CONTROL_PANEL, CURRENT)
}

/// Checks `presented` against the stored key: hashed, then compared in constant time, so the
/// time taken says nothing about how much of it was right.
pub fn check(r: &impl Read, presented: &str) -> Result<KeyCheck, StoreError> {
    let Some(access) = current(r)? else {
        return Ok(KeyCheck::Off);
    };
    let matches: bool = hash(presented).ct_eq(&access.key_hash).into();
    Ok(if matches {
        KeyCheck::Staff(access.staff)
    } else {
        KeyCheck::Wrong
    })
}

/// Turns the API on for `staff` with a new key (replacing any key before), recording who did it.
pub fn turn_on(w: &mut Writer, by: Actor, staff: u64, now: i64) -> Result<Key, StoreError> {
    let key = new_key();
    store(w, &key, staff, now)?;
    let event = Event::new(EventKind::ControlPanelEnabled, by, now)
        .with("staff_user_id", Value::User(staff));
    audit::record(w, &event)?;
    Ok(key)
}

/// Replaces the key, keeping the staff member; `None` when the API is off.
pub fn rotate(w: &mut Writer, by: Actor, now: i64) -> Result<Option<(Key, u64)>, StoreError> {
    let Some(access) = current(w)? else {
        return Ok(None);
    };
    let key = new_key();
    store(w, &key, access.staff, now)?;
    let event = Event::new(EventKind::ControlPanelKeyRotated, by, now)
        .with("staff_user_id", Value::User(access.staff));
    audit::record(w, &event)?;
    Ok(Some((key, access.staff)))
}

/// Turns the API off: the key stops working at once.
pub fn turn_off(w: &mut Writer, by: Actor, now: i64) -> Result<Change, StoreError> {
    if !w.remove(&CONTROL_PANEL, CURRENT)? {
        return Ok(Change::NoEffect);
    }
    let event = Event::new(EventKind::ControlPanelDisabled, by, now);
    Ok(Change::Applied(audit::record(w, &event)?))
}

fn store(w: &mut Writer, key: &Key, staff: u64, now: i64) -> Result<(), StoreError> {
    let access = Access {
        key_hash: hash(&key.0),
        staff,
        since: now,
    };
    w.insert(&CONTROL_PANEL, CURRENT, &access)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use crate::store::Store;

    const OWNER: Actor = Actor::User(1);
    const MAX: u64 = 43;

    #[test]
    fn the_key_works_until_rotated_or_turned_off_and_is_kept_only_as_a_hash() {
        let (_dir, store) = Store::temporary();
        let check_now = |key: &str| store.read(|r| check(r, key)).unwrap();
        assert_eq!(check_now("anything"), KeyCheck::Off);
        assert_eq!(store.write(|w| rotate(w, OWNER, 0)).unwrap(), None);

        let key = store.write(|w| turn_on(w, OWNER, MAX, 10)).unwrap();
        assert_eq!(key.0.len(), 64);
        assert!(key.0.bytes().all(|b| b.is_ascii_hexdigit()));
        assert_eq!(format!("{key:?}"), "Key(********)");
        assert_eq!(check_now(&key.0), KeyCheck::Staff(MAX));
        assert_eq!(check_now(""), KeyCheck::Wrong);
        assert_eq!(check_now(&key.0[..63]), KeyCheck::Wrong);
        let stored = store.read(current).unwrap().unwrap();
        assert_eq!(stored.key_hash, hash(&key.0));
        assert_eq!((stored.staff, stored.since), (MAX, 10));

        let (rotated, staff) = store.write(|w| rotate(w, OWNER, 20)).unwrap().unwrap();
        assert_eq!(staff, MAX);
        assert_ne!(rotated, key);
        assert_eq!(check_now(&key.0), KeyCheck::Wrong);
        assert_eq!(check_now(&rotated.0), KeyCheck::Staff(MAX));

        assert!(matches!(
            store.write(|w| turn_off(w, OWNER, 30)).unwrap(),
            Change::Applied(_)
        ));
        assert_eq!(
            store.write(|w| turn_off(w, OWNER, 31)).unwrap(),
            Change::NoEffect
        );
        assert_eq!(check_now(&rotated.0), KeyCheck::Off);
        let summaries = audit::summaries(&store);
        assert_eq!(
            summaries,
            [
                "CONTROL_PANEL_ENABLED by <@1>: staff_user_id=<@43>",
                "CONTROL_PANEL_KEY_ROTATED by <@1>: staff_user_id=<@43>",
                "CONTROL_PANEL_DISABLED by <@1>",
            ]
        );
        assert!(
            summaries.iter().all(|s| !s.contains(&rotated.0)),
            "no key in the log"
        );
    }
}
