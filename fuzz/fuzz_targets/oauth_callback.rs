//! The osu! sign-in callback's input, without the network: its query string
//! (`stagehand::web::oauth::parse_query`) and the check of its `state`
//! (`stagehand::league::link::check`) against a store holding one pending sign-in.
//!
//! The input is either a whole query string (first byte even), or edits (replace, insert,
//! delete) to the one valid state, sent as `code=…&state=<edited>` (first byte odd).
//!
//! Properties: parsing never panics; each value kept is non-empty, at most 2048 bytes, and the
//! last such value of its key; the parsed query, written back as a query string, parses back
//! equal; a missing query is no parameter at all. The state check never panics, accepts exactly
//! the valid state (surrounding whitespace aside) and refuses every other one as forged, before
//! any lookup; the valid state expires after its 300 seconds.

#![no_main]

#[path = "../common/scratch.rs"]
mod scratch;

use std::sync::OnceLock;

use hmac::{Hmac, KeyInit, Mac};
use libfuzzer_sys::fuzz_target;
use sha2::Sha256;
use stagehand::league::link::{self, Pending, StateError, VALID_FOR};
use stagehand::store::{Store, StoreOptions, Table};
use stagehand::web::oauth::{Query, parse_query};

/// The tables `league::link` keeps its key and pending sign-ins in.
const SECRETS: Table<str, [u8; 32]> = Table::new("secrets");
const LINK_STATES: Table<str, Pending> = Table::new("link_states");

const KEY: [u8; 32] = [7; 32];
const ID: [u8; 16] = *b"0123456789abcdef";
const NOW: i64 = 1_740_830_400;

struct Fixture {
    _dir: tempfile::TempDir,
    store: Store,
    state: String,
    pending: Pending,
}

/// A store with a fixed key and one pending sign-in, so a finding replays the same way.
fn fixture() -> &'static Fixture {
    static FIXTURE: OnceLock<Fixture> = OnceLock::new();
    FIXTURE.get_or_init(|| {
        let dir = scratch::scratch_dir();
        let store = Store::open(&dir.path().join("s.redb"), &StoreOptions::default())
            .expect("a fresh store opens");
        let pending = Pending {
            discord_id: 7,
            discord_name: "anna".into(),
            created_at: NOW,
        };
        let id = hex(&ID);
        let mut mac = <Hmac<Sha256> as KeyInit>::new_from_slice(&KEY).expect("any key length");
        mac.update(&ID);
        let state = format!("{id}.{}", hex(&mac.finalize().into_bytes()));
        let issued = store
            .write(|w| {
                w.insert(&SECRETS, "link_state", &KEY)?;
                w.insert(&LINK_STATES, id.as_str(), &pending)?;
                // A state `issue` makes with this key passes too: the oracle signs as it does.
                link::issue(w, 8, "bob", NOW)
            })
            .expect("the fixture is written");
        let checked = store.read(|r| link::check(r, &issued, NOW)).expect("read");
        assert_eq!(checked.map(|c| c.pending.discord_id), Ok(8));
        Fixture {
            _dir: dir,
            store,
            state,
            pending,
        }
    })
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fuzz_target!(|data: &[u8]| {
    let fixture = fixture();
    let Some((&mode, rest)) = data.split_first() else {
        assert_eq!(parse_query(None), Query::default());
        return;
    };
    let query = if mode % 2 == 0 {
        String::from_utf8_lossy(rest).into_owned()
    } else {
        let edited = edit(fixture.state.as_bytes(), rest);
        let state: String = form_urlencoded::byte_serialize(&edited).collect();
        format!("code=abc&state={state}")
    };
    let parsed = parse_query(Some(&query));
    check_query(&query, &parsed);
    if let Some(state) = &parsed.state {
        check_state(fixture, state);
    }
});

/// Applies `(op, position, byte)` triples to `state`: replace, insert or delete.
fn edit(state: &[u8], edits: &[u8]) -> Vec<u8> {
    let mut out = state.to_vec();
    for triple in edits.chunks_exact(3) {
        let (op, at, byte) = (triple[0], usize::from(triple[1]), triple[2]);
        let at = at % (out.len() + 1);
        match op % 3 {
            0 if at < out.len() => out[at] = byte,
            1 => out.insert(at, byte),
            2 if at < out.len() => {
                out.remove(at);
            }
            _ => {}
        }
    }
    out
}

fn check_query(query: &str, parsed: &Query) {
    let mut expected = Query::default();
    for (key, value) in form_urlencoded::parse(query.as_bytes()) {
        let slot = match key.as_ref() {
            "code" => &mut expected.code,
            "state" => &mut expected.state,
            "error" => &mut expected.error,
            _ => continue,
        };
        if !value.is_empty() && value.len() <= 2048 {
            *slot = Some(value.into_owned());
        }
    }
    assert_eq!(parsed, &expected, "{query:?}");
    let mut written = form_urlencoded::Serializer::new(String::new());
    for (key, value) in [
        ("code", &parsed.code),
        ("state", &parsed.state),
        ("error", &parsed.error),
    ] {
        if let Some(value) = value {
            written.append_pair(key, value);
        }
    }
    let written = written.finish();
    assert_eq!(&parse_query(Some(&written)), parsed, "{written:?}");
}

fn check_state(fixture: &Fixture, state: &str) {
    let checked = fixture
        .store
        .read(|r| link::check(r, state, NOW + 10))
        .expect("the store reads");
    if state.trim() == fixture.state {
        let checked = checked.expect("the valid state is accepted");
        assert_eq!(checked.pending, fixture.pending);
        let late = fixture
            .store
            .read(|r| link::check(r, state, NOW + VALID_FOR + 1))
            .expect("the store reads");
        assert_eq!(late.err(), Some(StateError::Expired));
    } else {
        assert_eq!(checked.err(), Some(StateError::Forged), "{state:?}");
    }
}
