//! `/link` sign-in states (osu-arena §2.2, §9.2): the `state` of the osu! authorize URL.
//!
//! A state is `<id>.<mac>`: 16 random bytes and an HMAC-SHA-256 of them under a key Stagehand
//! generated for itself, both hex. The id names a row in the store holding who asked and when.
//! A forged or mangled state fails the MAC check before any lookup; a state is valid for
//! [`VALID_FOR`] seconds and is consumed by the one sign-in that succeeds with it.

use hmac::{Hmac, KeyInit, Mac};
use serde::{Deserialize, Serialize};
use sha2::Sha256;

use crate::store::{Read, StoreError, Table, Writer};

/// Pending `/link` sign-ins: state id → who asked and when (see `league::link`).
pub(crate) const LINK_STATES: Table<str, Pending> = Table::new("link_states");

/// Secrets Stagehand generates for itself: name → 32 random bytes (`link_state` signs `/link`
/// states).
pub(crate) const SECRETS: Table<str, [u8; 32]> = Table::new("secrets");

/// How long a `/link` state is valid, in seconds (exactly this old is still valid).
pub const VALID_FOR: i64 = 300;

const KEY_NAME: &str = "link_state";

/// Who asked for a sign-in link, and when.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Pending {
    pub discord_id: u64,
    pub discord_name: String,
    pub created_at: i64,
}

/// Why a state was refused.
#[derive(Debug, PartialEq, Eq, thiserror::Error)]
pub enum StateError {
    /// Not a state Stagehand signed (forged, truncated, garbage).
    #[error("the state is not one Stagehand issued")]
    Forged,
    /// Signed, but unknown: already used, or purged.
    #[error("the state was already used")]
    Used,
    /// Older than [`VALID_FOR`].
    #[error("the state expired")]
    Expired,
}

/// A checked state: its id and the pending sign-in.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Checked {
    id: String,
    pub pending: Pending,
}

/// Stagehand's own callback address, registered as the osu! application's redirect URL.
pub fn redirect_uri(base_url: &str) -> String {
    format!("{}/oauth/osu/callback", base_url.trim_end_matches('/'))
}

/// Issues a state for `discord_id`, purging expired ones, in the caller's transaction.
pub fn issue(
    w: &mut Writer,
    discord_id: u64,
    discord_name: &str,
    now: i64,
) -> Result<String, StoreError> {
    let key = key(w)?;
    for (id, pending) in w.all(&LINK_STATES)? {
        if now - pending.created_at > VALID_FOR {
            w.remove(&LINK_STATES, id.as_str())?;
        }
    }
    let mut raw = [0u8; 16];
    rand::fill(&mut raw);
    let id = hex(&raw);
    w.insert(
        &LINK_STATES,
        id.as_str(),
        &Pending {
            discord_id,
            discord_name: discord_name.to_string(),
            created_at: now,
        },
    )?;
    Ok(format!("{id}.{}", hex(&mac(&key, &raw))))
}

/// Checks a state without consuming it: signature, then existence, then age.
pub fn check(
    r: &impl Read,
    state: &str,
    now: i64,
) -> Result<Result<Checked, StateError>, StoreError> {
    let Some(key) = r.get(&SECRETS, KEY_NAME)? else {
        return Ok(Err(StateError::Forged));
    };
    let Some((raw, id)) = verify(&key, state) else {
        return Ok(Err(StateError::Forged));
    };
    debug_assert_eq!(hex(&raw), id);
    let Some(pending) = r.get(&LINK_STATES, id.as_str())? else {
        return Ok(Err(StateError::Used));
    };
    if now - pending.created_at > VALID_FOR {
        return Ok(Err(StateError::Expired));
    }
    Ok(Ok(Checked { id, pending }))
}

/// Consumes a checked state in the transaction that completes the sign-in; `false` when another
/// sign-in consumed it first.
pub fn consume(w: &mut Writer, checked: &Checked) -> Result<bool, StoreError> {
    w.remove(&LINK_STATES, checked.id.as_str())
}

/// The signing key's row: a secret, never in a copy that leaves the machine.
pub fn secret_rows() -> Vec<crate::store::Redaction> {
    vec![crate::store::Redaction::table(&SECRETS)]
}

/// The signing key, created on first use.
fn key(w: &mut Writer) -> Result<[u8; 32], StoreError> {
    if let Some(key) = w.get(&SECRETS, KEY_NAME)? {
        return Ok(key);
    }
    let mut key = [0u8; 32];
    rand::fill(&mut key);
    w.insert(&SECRETS, KEY_NAME, &key)?;
    Ok(key)
}

fn mac(key: &[u8; 32], id: &[u8]) -> [u8; 32] {
    let mut mac =
        <Hmac<Sha256> as KeyInit>::new_from_slice(key).expect("HMAC takes any key length");
    mac.update(id);
    mac.finalize().into_bytes().into()
}

/// The id of a well-formed state with a valid MAC (compared in constant time).
fn verify(key: &[u8; 32], state: &str) -> Option<([u8; 16], String)> {
    let (id, tag) = state.trim().split_once('.')?;
    let raw: [u8; 16] = unhex(id)?.try_into().ok()?;
    let tag = unhex(tag)?;
    let mut mac = <Hmac<Sha256> as KeyInit>::new_from_slice(key).ok()?;
    mac.update(&raw);
    mac.verify_slice(&tag).ok()?;
    Some((raw, hex(&raw)))
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Lowercase hex, as [`hex`] writes it, and nothing else: `u8::from_str_radix` alone would also
/// take `+f` and `0F`, so a state Stagehand never wrote would pass.
fn unhex(text: &str) -> Option<Vec<u8>> {
    let digit = |b: u8| b.is_ascii_digit() || (b'a'..=b'f').contains(&b);
    if !text.len().is_multiple_of(2) || text.len() > 128 || !text.bytes().all(digit) {
        return None;
    }
    (0..text.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&text[i..i + 2], 16).ok())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::Store;

    fn issued(store: &Store, now: i64) -> String {
        store.write(|w| issue(w, 7, "anna", now)).unwrap()
    }

    #[test]
    fn a_state_is_valid_for_five_minutes_and_used_once() {
        let (_dir, store) = Store::temporary();
        let state = issued(&store, 1000);
        let checked = store
            .read(|r| check(r, &state, 1000 + VALID_FOR))
            .unwrap()
            .expect("valid at exactly 300 s");
        assert_eq!(checked.pending.discord_id, 7);
        assert_eq!(checked.pending.discord_name, "anna");
        assert_eq!(
            store.read(|r| check(r, &state, 1001 + VALID_FOR)).unwrap(),
            Err(StateError::Expired)
        );
        assert!(store.write(|w| consume(w, &checked)).unwrap());
        assert!(!store.write(|w| consume(w, &checked)).unwrap(), "only once");
        assert_eq!(
            store.read(|r| check(r, &state, 1000)).unwrap(),
            Err(StateError::Used)
        );
    }

    #[test]
    fn forged_and_garbage_states_fail_before_any_lookup() {
        let (_dir, store) = Store::temporary();
        // Before any state was issued there is no key: everything is forged.
        assert_eq!(
            store.read(|r| check(r, "00.00", 0)).unwrap(),
            Err(StateError::Forged)
        );
        let state = issued(&store, 0);
        let (id, tag) = state.split_once('.').unwrap();
        let flipped = format!(
            "{id}.{}{}",
            if tag.starts_with('0') { "1" } else { "0" },
            &tag[1..]
        );
        let other_id = format!("{}.{tag}", "ab".repeat(16));
        let garbage = [
            String::new(),
            ".".into(),
            id.to_string(),
            format!("{id}."),
            format!(".{tag}"),
            flipped,
            other_id,
            format!("{id}.{}", &tag[..10]),
            format!("{id}x.{tag}"),
            format!("{}.{tag}", "é".repeat(16)),
            "z".repeat(10_000),
            format!("{state}.{tag}"),
        ];
        for bad in garbage {
            assert_eq!(
                store.read(|r| check(r, &bad, 0)).unwrap(),
                Err(StateError::Forged),
                "{bad:?}"
            );
        }
    }

    /// Found by `fuzz/` (`oauth_callback`): `+f` in place of `0f` in the tag passed the check.
    #[test]
    fn only_the_spelling_stagehand_writes_is_hex() {
        assert_eq!(unhex("00ff7a"), Some(vec![0, 255, 0x7a]));
        for other in ["+f", "0F", "FF", " f", "-0", "0x", "g0"] {
            assert_eq!(unhex(other), None, "{other:?}");
        }
    }

    #[test]
    fn issuing_purges_expired_states() {
        let (_dir, store) = Store::temporary();
        let old = issued(&store, 0);
        let fresh = issued(&store, VALID_FOR + 1);
        assert_eq!(
            store.read(|r| check(r, &old, VALID_FOR + 1)).unwrap(),
            Err(StateError::Used),
            "purged"
        );
        assert!(
            store
                .read(|r| check(r, &fresh, VALID_FOR + 1))
                .unwrap()
                .is_ok()
        );
    }
}
