//! The Control Panel API's request bodies (`stagehand::web::control_panel::body`), JSON from
//! whoever holds the key (or tries to), and the key itself (`requests::panel::check`).
//!
//! The first byte picks what the rest is: the body of one of the five calls that take one, or an
//! `x-key` header. Properties: parsing never panics. A body taken meets every limit the OpenAPI
//! document declares (texts 1 to 2000 characters and not blank, counts up to 1,000,000, ids and
//! level ids in range, links and names within their lengths, at most 100 requests a batch), and
//! written back as JSON it parses to the same value. A refused body has a reason. A key is
//! right only when it is the very key issued; anything else, of any length, is wrong.

#![no_main]

#[path = "../common/scratch.rs"]
mod scratch;

use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use serde::Serialize;
use serde::de::DeserializeOwned;
use stagehand::audit::Actor;
use stagehand::requests::panel::{self, KeyCheck};
use stagehand::store::{Store, StoreOptions};
use stagehand::web::control_panel::body::{
    self, Batch, Checked, Create, MAX_BATCH, MAX_COUNT, MAX_CREATOR, MAX_LEVEL_ID, MAX_LINK,
    MAX_REQUEST_ID, MAX_TEXT, Preapprove, Resolve, StreamEnd, StreamStart,
};

const STAFF: u64 = 43;

struct Fixture {
    _dir: tempfile::TempDir,
    store: Store,
    key: String,
}

fn fixture() -> &'static Fixture {
    static FIXTURE: OnceLock<Fixture> = OnceLock::new();
    FIXTURE.get_or_init(|| {
        let dir = scratch::scratch_dir();
        let store = Store::open(&dir.path().join("panel.redb"), &StoreOptions::default())
            .expect("a store opens");
        let key = store
            .write(|w| panel::turn_on(w, Actor::Bot, STAFF, 0))
            .expect("the API turns on");
        Fixture {
            _dir: dir,
            store,
            key: key.0,
        }
    })
}

fn text_ok(text: &str, max: usize) -> bool {
    !text.trim().is_empty() && text.chars().count() <= max
}

fn create_ok(c: &Create) -> bool {
    (1..=MAX_LEVEL_ID).contains(&c.level_id)
        && text_ok(&c.creator_name, MAX_CREATOR)
        && text_ok(&c.showcase_yt_link, MAX_LINK)
}

/// Parses `bytes` as a `T`; a body taken must pass `limits` and survive a round trip.
fn check<T>(bytes: &[u8], limits: impl Fn(&T) -> bool)
where
    T: DeserializeOwned + Serialize + Checked + PartialEq + std::fmt::Debug,
{
    match body::parse::<T>(bytes) {
        Ok(parsed) => {
            assert!(
                limits(&parsed),
                "taken beyond the document's limits: {parsed:?}"
            );
            let json = serde_json::to_vec(&parsed).expect("a body serialises");
            let again = body::parse::<T>(&json).expect("a body written back parses");
            assert_eq!(again, parsed, "the round trip changed the body");
        }
        Err(refused) => assert!(!refused.0.is_empty(), "a refusal without a reason"),
    }
}

fuzz_target!(|data: &[u8]| {
    let Some((&pick, rest)) = data.split_first() else {
        return;
    };
    match pick % 6 {
        0 => check::<StreamStart>(rest, |b| text_ok(&b.text, MAX_TEXT)),
        1 => check::<StreamEnd>(rest, |b| {
            text_ok(&b.text, MAX_TEXT)
                && [b.not_reviewed, b.approved, b.rejected, b.later]
                    .iter()
                    .all(|n| *n <= MAX_COUNT)
        }),
        2 => check::<Resolve>(rest, |b| {
            (1..=MAX_REQUEST_ID).contains(&b.request_id)
                && b.stream_link
                    .as_ref()
                    .is_none_or(|l| l.chars().count() <= MAX_LINK)
        }),
        3 => check::<Preapprove>(rest, |b| (1..=MAX_REQUEST_ID).contains(&b.request_id)),
        4 => {
            check::<Create>(rest, create_ok);
            check::<Batch>(rest, |b| b.len() <= MAX_BATCH && b.iter().all(create_ok));
        }
        _ => {
            let fixture = fixture();
            let Ok(presented) = std::str::from_utf8(rest) else {
                return;
            };
            let checked = fixture
                .store
                .read(|r| panel::check(r, presented))
                .expect("the store reads");
            let expected = if presented == fixture.key {
                KeyCheck::Staff(STAFF)
            } else {
                KeyCheck::Wrong
            };
            assert_eq!(checked, expected, "{presented:?}");
        }
    }
});
