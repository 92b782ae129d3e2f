//! The first-run setup form (`stagehand::web::setup::validate`), an
//! `application/x-www-form-urlencoded` body from whoever holds the setup link, and the link's
//! token (`setup::check`).
//!
//! Properties: validation never panics. A refused form has at least one error, every field in
//! its values and errors, each value the last one sent for its field (trimmed), the secrets
//! blanked, so the page never shows them back, and errors that are text keys, never input. An accepted form, completed in a store, gives
//! settings that the config layer reads without a problem and with the same values (ids,
//! modules, credentials present); the token it used is dead afterwards. Any token but the one
//! issued is invalid.

#![no_main]

#[path = "../common/scratch.rs"]
mod scratch;

use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use stagehand::config::{self, Layers, Snowflake, Sources};
use stagehand::store::{META, Store, StoreOptions, Table};
use stagehand::web::setup::{self, Completion, FormState, SetupValues, TokenCheck};

/// The tables setup writes: the settings it saves, and `stagehand_meta.setup_completed_at`.
const SETTINGS: Table<str, String> = Table::new("settings");
const COMPLETED_AT: &str = "setup_completed_at";

const FIELDS: &[&str] = &[
    "discord_token",
    "application_id",
    "guild_id",
    "public_url",
    "module_league",
    "module_requests",
    "osu_client_id",
    "osu_client_secret",
    "modules",
];
const SECRET_FIELDS: &[&str] = &["discord_token", "osu_client_secret"];
const NOW: i64 = 1_740_830_400;

struct Fixture {
    _dir: tempfile::TempDir,
    /// Where accepted forms are completed (reset before each).
    completing: Store,
    /// Never completed: holds the one issued token.
    pending: Store,
    token: String,
}

fn fixture() -> &'static Fixture {
    static FIXTURE: OnceLock<Fixture> = OnceLock::new();
    FIXTURE.get_or_init(|| {
        let dir = scratch::scratch_dir();
        let open = |name: &str| {
            Store::open(&dir.path().join(name), &StoreOptions::default()).expect("a store opens")
        };
        let (completing, pending) = (open("completing.redb"), open("pending.redb"));
        let token = setup::issue(&pending, NOW).expect("a token");
        Fixture {
            _dir: dir,
            completing,
            pending,
            token,
        }
    })
}

fuzz_target!(|body: &[u8]| {
    let fixture = fixture();
    match setup::validate(body) {
        Err(form) => refused(body, &form),
        Ok(values) => accepted(fixture, &values),
    }
    let token = String::from_utf8_lossy(body);
    let expected = if token == fixture.token {
        TokenCheck::Valid
    } else {
        TokenCheck::Invalid
    };
    assert_eq!(
        setup::check(&fixture.pending, &token, NOW).expect("the store reads"),
        expected
    );
});

fn refused(body: &[u8], form: &FormState) {
    assert!(form.error_count() >= 1);
    let pairs: Vec<(String, String)> = form_urlencoded::parse(body)
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect();
    for field in FIELDS {
        assert!(form.errors.contains_key(field), "{field}");
        let shown = form.values.get(field).expect("every field has a value");
        if SECRET_FIELDS.contains(field) {
            assert!(shown.is_empty(), "{field} is shown back");
        } else {
            let sent = pairs.iter().rev().find(|(k, _)| k == field);
            assert_eq!(
                shown.as_str(),
                sent.map_or("", |(_, v)| v.trim()),
                "{field}"
            );
        }
    }
    // Errors are text keys (the page renders them in the visitor's language), never input.
    assert!(
        form.errors
            .iter()
            .all(|(k, e)| FIELDS.contains(k) && (e.is_empty() || e.starts_with("web.setup.error."))),
        "{:?}",
        form.errors
    );
}

fn accepted(fixture: &Fixture, values: &SetupValues) {
    let store = &fixture.completing;
    store
        .write(|w| {
            w.remove(&META, COMPLETED_AT)?;
            for (key, _) in config::saved(w)? {
                w.remove(&SETTINGS, key.as_str())?;
            }
            Ok::<_, stagehand::store::StoreError>(())
        })
        .expect("the store is reset");
    let token = setup::issue(store, NOW).expect("a token");
    assert_eq!(
        setup::complete(store, &token, values, NOW + 1).expect("the store writes"),
        Completion::Done
    );
    assert!(setup::is_complete(store).expect("the store reads"));
    assert_eq!(
        setup::complete(store, &token, values, NOW + 2).expect("the store reads"),
        Completion::TokenGone(TokenCheck::Invalid)
    );
    let database = store.read(config::saved).expect("the store reads");
    let settings = match Layers::collect(&Sources {
        database: database.clone(),
        ..Sources::default()
    })
    .settings()
    {
        Ok(settings) => settings,
        Err(problems) => panic!("setup saved settings that do not load: {problems:?} {database:?}"),
    };
    assert_eq!(
        settings.discord_application_id,
        Some(Snowflake(values.application_id()))
    );
    assert!(settings.discord_guild_id.is_some() && settings.discord_token.is_some());
    assert!(settings.public_url.is_some());
    let modules = values.module_keys();
    assert!(!modules.is_empty());
    assert_eq!(
        settings.modules_league,
        modules.contains(&"web.setup.done.league")
    );
    assert_eq!(
        settings.modules_requests,
        modules.contains(&"web.setup.done.requests")
    );
    if settings.modules_league {
        assert!(settings.osu_client_id.is_some() && settings.osu_client_secret.is_some());
    }
}
