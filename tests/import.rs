//! Moving in from the original bots (issue 24): `stagehand import requestbot` on a Request Bot
//! database the test writes with SQLite from the schema of gd-requestbot §12, and `stagehand
//! import osu-arena` on a dump made by a real PostgreSQL from the tables of osu-arena §11. Every
//! count and a sample of every table is read back through Stagehand's own API, and the imported
//! data is shown end to end on the fake Discord (`/queue info`, `/usercd describe`, `/log view`,
//! `/reviews user`, the pending requests' fresh widgets; `/show gold`, `/archived`). Garbage, a
//! cut dump, another application's SQLite file and a second import without `--replace` are each
//! a clear error that leaves the store byte for byte as it was.

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::json;

use stagehand::access::{self, Flag};
use stagehand::audit::{self, Actor, EventKind, Index, Position, Value};
use stagehand::i18n::{Catalogue, Lang};
use stagehand::league::{League, player, rivalry, season};
use stagehand::params::{self, Param};
use stagehand::requests::cooldown::{self, Entity, Term};
use stagehand::requests::model::{self, Author, State, Verdict};
use stagehand::requests::trainee;
use stagehand::store::{Store, StoreOptions};

use crate::requests::{Desk, desk_guild};
use crate::support::discord::{FakeDiscord, Guild, Member};
use crate::support::osu::{self, FakeOsu};
use crate::support::{self, FAKE_CLOCK_START, Server, run};

/// The Request Bot's requests begin here: 2026-10-01 00:00 UTC, a month before the fake clock.
const BASE: i64 = FAKE_CLOCK_START - 31 * 86_400;
/// How many requests the test database holds (numbered 1…), every one submitted.
const REQUESTS: u64 = 200;
/// Of them, pending: every 20th is ignored and the one after it has an opinion only.
const PENDING: u64 = 20;

/// Naive UTC, as the Request Bot's SQLModel writes a `datetime`.
fn naive(at: i64) -> String {
    jiff::Timestamp::from_second(at)
        .unwrap()
        .strftime("%Y-%m-%d %H:%M:%S.%6f")
        .to_string()
}

fn store_path(dir: &Path) -> PathBuf {
    dir.join("data").join("stagehand.redb")
}

fn open(dir: &Path) -> Store {
    Store::open(&store_path(dir), &StoreOptions::default()).unwrap()
}

/// The schema SQLModel's `create_all` makes (gd-requestbot §12): enum NAMEs, 0/1 booleans,
/// naive datetimes, JSON text.
const SCHEMA: &str = "
CREATE TABLE textpiece (id VARCHAR(64) NOT NULL, language VARCHAR(2) NOT NULL, template VARCHAR NOT NULL, PRIMARY KEY (id, language));
CREATE TABLE route (id VARCHAR(32) NOT NULL PRIMARY KEY, channel_id INTEGER, enabled BOOLEAN NOT NULL);
CREATE TABLE parametervalue (id VARCHAR(64) NOT NULL PRIMARY KEY, value VARCHAR NOT NULL);
CREATE TABLE userpreference (id VARCHAR(8) NOT NULL, user_id INTEGER NOT NULL, value VARCHAR NOT NULL, PRIMARY KEY (id, user_id));
CREATE TABLE permissionflag (id VARCHAR(32) NOT NULL, role_id INTEGER NOT NULL, PRIMARY KEY (id, role_id));
CREATE TABLE loggedevent (id INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT, timestamp DATETIME NOT NULL, event_type VARCHAR(40) NOT NULL, user_id INTEGER, custom_data JSON NOT NULL DEFAULT '{}');
CREATE TABLE storedlogfilter (name VARCHAR NOT NULL PRIMARY KEY, user_id INTEGER, event_type VARCHAR(40), custom_data_values JSON NOT NULL DEFAULT '{}');
CREATE TABLE request (id INTEGER NOT NULL PRIMARY KEY, level_id INTEGER NOT NULL, language VARCHAR(2) NOT NULL, level_name VARCHAR, yt_link VARCHAR, additional_comment VARCHAR, request_author VARCHAR NOT NULL, is_author_user_id BOOLEAN NOT NULL DEFAULT 1, details_message_id INTEGER, details_message_channel_id INTEGER, resolution_message_id INTEGER, resolution_message_channel_id INTEGER, created_at DATETIME NOT NULL, requested_at DATETIME);
CREATE TABLE cooldown (entity VARCHAR(5) NOT NULL, entity_id INTEGER NOT NULL, casted_at DATETIME NOT NULL, ends_at DATETIME, reason VARCHAR, caster_user_id INTEGER NOT NULL, causing_request_id INTEGER REFERENCES request (id), PRIMARY KEY (entity, entity_id));
CREATE TABLE requestreview (id INTEGER NOT NULL PRIMARY KEY, created_at DATETIME NOT NULL, author_user_id INTEGER NOT NULL, text VARCHAR NOT NULL, message_id INTEGER NOT NULL, message_channel_id INTEGER NOT NULL, opinion VARCHAR(8) NOT NULL, is_trainee BOOLEAN NOT NULL, request_id INTEGER REFERENCES request (id) ON DELETE SET NULL);
CREATE TABLE requestopinion (id INTEGER NOT NULL PRIMARY KEY, author_user_id INTEGER NOT NULL, created_at DATETIME NOT NULL, opinion VARCHAR(8) NOT NULL, is_resolution BOOLEAN NOT NULL DEFAULT 0, request_id INTEGER NOT NULL REFERENCES request (id), associated_review_id INTEGER REFERENCES requestreview (id));
CREATE TABLE traineereviewopinion (id INTEGER NOT NULL PRIMARY KEY, opinion_author_user_id INTEGER NOT NULL, created_at DATETIME NOT NULL, accept BOOLEAN NOT NULL, feedback VARCHAR, review_id INTEGER NOT NULL REFERENCES requestreview (id));
";

/// What the test database holds, to compare with what is read back.
struct Written {
    opinions: u64,
    resolutions: u64,
    practice: u64,
    assessments: u64,
    events: u64,
}

/// Writes the Request Bot's database at `path` with members of `guild`: 200 requests in every
/// state (plus one never submitted and one whose author id does not fit), opinions and
/// resolutions with reviews, trainee reviews and assessments, cooldowns and bans (one endless:
/// `inf`), permission bindings, parameters, a route, text overrides (one broken), language
/// preferences, 1,000 logged events and saved filters.
fn request_bot_db(path: &Path, guild: &Guild) -> Written {
    let db = rusqlite::Connection::open(path).unwrap();
    // As in the Request Bot: SQLite's foreign keys are off (§12: ON DELETE SET NULL is declared
    // but never enforced), so reviews may name a request that is gone.
    db.execute_batch("PRAGMA foreign_keys = OFF;").unwrap();
    db.execute_batch(SCHEMA).unwrap();
    let tx = db.unchecked_transaction().unwrap();
    let user = |name: &str| guild.user(name) as i64;
    let (anna, ivan, kira, max, tim, quinn, owner) = (
        user("anna"),
        user("ivan"),
        user("kira"),
        user("max"),
        user("tim"),
        user("quinn"),
        user("owner"),
    );
    let mut events: Vec<(i64, &str, Option<i64>, serde_json::Value)> = Vec::new();
    let mut opinion_id = 0;
    let mut review_id = 0;
    let mut written = Written {
        opinions: 0,
        resolutions: 0,
        practice: 0,
        assessments: 0,
        events: 0,
    };
    for i in 1..=REQUESTS as i64 {
        let at = BASE + i * 3_600;
        let level = if i <= 4 { 128 } else { 1_000 + i };
        let (author, is_user, lang) = match i % 3 {
            _ if i % 7 == 0 => (format!("Creator {i}"), 0, "EN"),
            0 => (ivan.to_string(), 1, "RU"),
            _ => (anna.to_string(), 1, "EN"),
        };
        let link = (i % 5 == 0).then(|| "https://youtu.be/dQw4w9WgXcQ".to_string());
        tx.execute(
            "INSERT INTO request VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, 77, 88, NULL, NULL, ?9, ?10)",
            rusqlite::params![
                i,
                level,
                lang,
                format!("Level {i}"),
                link,
                (i % 4 == 0).then_some("please look at the ending"),
                author,
                is_user,
                naive(at - 60),
                naive(at)
            ],
        )
        .unwrap();
        let actor = if is_user == 1 {
            author.parse::<i64>().unwrap()
        } else {
            owner
        };
        events.push((
            at,
            "REQUEST_REQUESTED",
            Some(actor),
            json!({"request_id": i, "level_id": level, "level_name": format!("Level {i}"), "lang": lang.to_lowercase()}),
        ));
        if i % 20 == 0 {
            continue; // ignored
        }
        let approve = i % 2 == 0 || i % 20 == 1;
        let mut add = |author: i64,
                       offset: i64,
                       approve: bool,
                       resolution: bool,
                       review: Option<String>,
                       reason: &str| {
            let at = at + offset;
            let associated = review.map(|text| {
                review_id += 1;
                tx.execute(
                    "INSERT INTO requestreview VALUES (?1, ?2, ?3, ?4, 555, 666, ?5, 0, ?6)",
                    rusqlite::params![
                        review_id,
                        naive(at),
                        author,
                        text,
                        if approve { "APPROVED" } else { "REJECTED" },
                        i
                    ],
                )
                .unwrap();
                review_id
            });
            opinion_id += 1;
            tx.execute(
                "INSERT INTO requestopinion VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
                rusqlite::params![
                    opinion_id,
                    author,
                    naive(at),
                    if approve { "APPROVED" } else { "REJECTED" },
                    resolution,
                    i,
                    associated
                ],
            )
            .unwrap();
            events.push((
                at,
                if resolution { "REQUEST_RESOLUTION_ADDED" } else { "REQUEST_OPINION_ADDED" },
                Some(author),
                json!({
                    "request_id": i, "level_id": level, "level_name": format!("Level {i}"),
                    "opinion": if approve { "approved" } else { "rejected" },
                    "is_first": "True",
                    "review_msg_url": if associated.is_some() { "https://discord.com/channels/1/2/3" } else { "NO_REVIEW" },
                    "reason": reason,
                }),
            ));
        };
        let review = approve
            .then(|| format!("Review of level {i}: clean gameplay, fair timings, a good drop."));
        add(
            kira,
            600,
            approve,
            false,
            review,
            if approve { "NO_REASON" } else { "too hard" },
        );
        written.opinions += 1;
        if i % 20 == 1 {
            continue; // unresolved
        }
        add(max, 1_200, approve, true, None, "NO_REASON");
        written.resolutions += 1;
        if i % 50 == 2 {
            add(owner, 1_800, false, true, None, "a late second opinion");
            written.resolutions += 1;
        }
    }
    // Never submitted (limbo), and an author whose id does not fit 64 bits.
    tx.execute(
        "INSERT INTO request VALUES (201, 5000, 'EN', 'Limbo', NULL, NULL, ?1, 1, NULL, NULL, NULL, NULL, ?2, NULL)",
        rusqlite::params![anna.to_string(), naive(BASE)],
    )
    .unwrap();
    tx.execute(
        "INSERT INTO request VALUES (202, 5001, 'EN', 'Huge', NULL, NULL, '99999999999999999999', 1, NULL, NULL, NULL, NULL, ?1, ?1)",
        rusqlite::params![naive(BASE)],
    )
    .unwrap();
    // An opinion on the request never submitted.
    tx.execute(
        "INSERT INTO requestopinion VALUES (10000, ?1, ?2, 'APPROVED', 0, 201, NULL)",
        rusqlite::params![kira, naive(BASE)],
    )
    .unwrap();

    // Tim's practice reviews of requests 1…30, 20 of them assessed by Max; one of a request
    // that is gone.
    for i in 1..=31i64 {
        review_id += 1;
        let request = if i == 31 { 999 } else { i };
        tx.execute(
            "INSERT INTO requestreview VALUES (?1, ?2, ?3, ?4, 555, 666, ?5, 1, ?6)",
            rusqlite::params![
                review_id,
                naive(BASE + 40 * 86_400 / 2 + i * 60),
                tim,
                format!("Practice review {i}: the layout is readable and the sync is on point."),
                if i % 2 == 0 { "APPROVED" } else { "REJECTED" },
                request
            ],
        )
        .unwrap();
        if i <= 30 {
            written.practice += 1;
        }
        if i <= 20 {
            tx.execute(
                "INSERT INTO traineereviewopinion VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                rusqlite::params![
                    i,
                    max,
                    naive(BASE + 40 * 86_400 / 2 + i * 60 + 30),
                    i % 2 == 0,
                    (i % 2 == 0)
                        .then_some("Well argued; mention the decoration next time, please."),
                    review_id
                ],
            )
            .unwrap();
            written.assessments += 1;
        }
    }

    // Cooldowns and bans: Anna until a week into the fake clock, Quinn for ever (`inf`), level
    // 128 banned, level 129's cooldown over; one id that is no id.
    let until = FAKE_CLOCK_START + 7 * 86_400;
    let cast = BASE + 19 * 86_400;
    for (entity, id, ends, reason) in [
        ("USER", anna, Some(until), Some("spam")),
        ("USER", quinn, None, Some("abuse")),
        ("LEVEL", 128, None, None),
        ("LEVEL", 129, Some(BASE + 9 * 86_400), Some("rejected")),
        ("USER", -7, None, None),
    ] {
        tx.execute(
            "INSERT INTO cooldown VALUES (?1, ?2, ?3, ?4, ?5, ?6, NULL)",
            rusqlite::params![entity, id, naive(cast), ends.map(naive), reason, max],
        )
        .unwrap();
    }
    let iso = |at: i64| naive(at).replace(' ', "T");
    events.push((
        cast,
        "USER_COOLDOWN_UPDATED",
        Some(max),
        json!({"target_user_id": anna, "old": "not on cooldown", "new": format!("until {}", iso(until)), "reason": "spam"}),
    ));
    events.push((
        cast + 1,
        "USER_COOLDOWN_UPDATED",
        Some(max),
        json!({"target_user_id": quinn.to_string(), "old": "not on cooldown", "new": "forever", "reason": "abuse"}),
    ));
    events.push((
        cast + 2,
        "LEVEL_COOLDOWN_UPDATED",
        Some(max),
        json!({"target_level_id": 128, "old": "not on cooldown", "new": "forever", "reason": "no reason"}),
    ));
    events.push((cast + 3, "LEGACY_THING", None, json!({})));
    let filler = 1_000 - events.len();
    for n in 0..filler as i64 {
        events.push((
            BASE - 86_400 + n * 60,
            "PARAMETER_EDITED",
            Some(owner),
            json!({"parameter_id": "queue.block_at", "value": (40 + n % 10).to_string()}),
        ));
    }
    for (n, (at, kind, actor, data)) in events.iter().enumerate() {
        tx.execute(
            "INSERT INTO loggedevent VALUES (?1, ?2, ?3, ?4, ?5)",
            rusqlite::params![n as i64 + 1, naive(*at), kind, actor, data.to_string()],
        )
        .unwrap();
    }
    written.events = events.len() as u64 - 1;

    let role = |name: &str| guild.role(name) as i64;
    for (flag, role) in [
        ("LOG_VIEWER", role("Reviewer")),
        ("TRAINEE", role("Trainee")),
        ("TRAINEE_SUPERVISOR", role("GD Moderator")),
        ("FLAG_THAT_WAS_REMOVED", role("Admin")),
    ] {
        tx.execute(
            "INSERT INTO permissionflag VALUES (?1, ?2)",
            rusqlite::params![flag, role],
        )
        .unwrap();
    }
    for (param, value) in [
        ("QUEUE_BLOCK_AT", "40"),
        ("QUEUE_BLOCK_ENABLED", "false"),
        ("COOLDOWN_POST_REQUEST_USER_CD", "2d"),
        ("REQUEST_MIN_STARS_TO_REQUIRE_SHOWCASE", "lots"),
    ] {
        tx.execute(
            "INSERT INTO parametervalue VALUES (?1, ?2)",
            rusqlite::params![param, value],
        )
        .unwrap();
    }
    tx.execute(
        "INSERT INTO route VALUES ('STREAM_END_GOODBYE', NULL, 0)",
        [],
    )
    .unwrap();
    for (key, lang, template) in [
        (
            "QUEUE_HISTORY_EMPTY",
            "EN",
            "Nothing has happened to the queue yet.",
        ),
        (
            "QUEUE_HISTORY_EMPTY",
            "RU",
            "С очередью ещё ничего не происходило.",
        ),
        // A placeholder today's text does not have: reported and skipped.
        (
            "REQUEST_APPROVED",
            "EN",
            "{request_author}: {level_name} went to {send_type}!",
        ),
    ] {
        tx.execute(
            "INSERT INTO textpiece VALUES (?1, ?2, ?3)",
            rusqlite::params![key, lang, template],
        )
        .unwrap();
    }
    for (user, value) in [(ivan, "rus"), (anna, "eng")] {
        tx.execute(
            "INSERT INTO userpreference VALUES ('LANGUAGE', ?1, ?2)",
            rusqlite::params![user, value],
        )
        .unwrap();
    }
    tx.execute(
        "INSERT INTO storedlogfilter VALUES ('approvals', NULL, 'REQUEST_RESOLUTION_ADDED', '{\"opinion\": \"approved\"}')",
        [],
    )
    .unwrap();
    tx.execute(
        "INSERT INTO storedlogfilter VALUES (?1, NULL, 'USER_COOLDOWN_UPDATED', '{}')",
        rusqlite::params![format!("@{owner}")],
    )
    .unwrap();
    tx.commit().unwrap();
    written
}

/// `stagehand import <args>` in `dir`: (exit code, stdout, stderr).
fn import(dir: &Path, args: &[&str]) -> (i32, String, String) {
    let mut all = vec!["import"];
    all.extend_from_slice(args);
    run(dir, &all, &[])
}

/// The row of the summary table for `table`: (read, imported, skipped).
fn summary(out: &str, table: &str) -> (u64, u64, u64) {
    let line = out
        .lines()
        .find(|l| l.split_whitespace().next() == Some(table))
        .unwrap_or_else(|| panic!("no row {table} in\n{out}"));
    let n: Vec<u64> = line
        .split_whitespace()
        .skip(1)
        .map(|n| n.parse().unwrap())
        .collect();
    (n[0], n[1], n[2])
}

/// Every count and a sample of every table, read back through Stagehand's own API.
fn check_request_bot_store(store: &Store, guild: &Guild, written: &Written) {
    let user = |name: &str| guild.user(name);
    store
        .read(|r| {
            assert_eq!(model::count(r)?, REQUESTS);
            assert_eq!(model::pending_count(r)?, PENDING);
            assert_eq!(model::owed_widgets(r)?, PENDING);
            // Every state: ignored, unresolved, approved, rejected, with the first resolution
            // deciding.
            let ignored = model::dossier(r, 20)?.unwrap();
            assert_eq!(ignored.state(), State::Ignored);
            assert_eq!(ignored.request.author, Author::User(user("anna")));
            assert_eq!(ignored.request.lang, Lang::En);
            assert_eq!(
                ignored.request.comment.as_deref(),
                Some("please look at the ending")
            );
            assert_eq!(
                ignored.request.showcase.as_deref(),
                Some("https://www.youtube.com/watch?v=dQw4w9WgXcQ")
            );
            assert_eq!(ignored.request.requested_at, BASE + 20 * 3_600);
            assert_eq!(ignored.request.level.name, "Level 20");
            let unresolved = model::dossier(r, 81)?.unwrap();
            assert_eq!(unresolved.state(), State::Unresolved);
            assert_eq!(unresolved.request.lang, Lang::Ru);
            let (kira, opinion) = &unresolved.opinions[0];
            assert_eq!(*kira, user("kira"));
            assert_eq!(opinion.verdict, Verdict::Approve);
            assert!(
                opinion
                    .review
                    .as_deref()
                    .unwrap()
                    .starts_with("Review of level 81")
            );
            assert_eq!(opinion.at, BASE + 81 * 3_600 + 600);
            let approved = model::dossier(r, 52)?.unwrap();
            assert_eq!(approved.state(), State::Resolved);
            assert_eq!(approved.resolutions.len(), 2);
            let (decider, decision) = approved.decision().unwrap();
            assert_eq!(*decider, user("max"));
            assert_eq!(decision.verdict(), Verdict::Approve);
            let rejected = model::dossier(r, 3)?.unwrap();
            assert_eq!(rejected.request.level.id, 128);
            assert_eq!(rejected.decision().unwrap().1.verdict(), Verdict::Reject);
            assert_eq!(rejected.opinions[0].1.reason.as_deref(), Some("too hard"));
            assert_eq!(rejected.opinions[0].1.review, None);
            let named = model::get(r, 7)?.unwrap();
            assert_eq!(named.author, Author::Name("Creator 7".into()));
            assert!(model::get(r, 201)?.is_none(), "limbo is not imported");
            assert!(model::get(r, 202)?.is_none(), "the id that does not fit");
            let mut opinions = 0;
            let mut resolutions = 0;
            for id in 1..=REQUESTS {
                let d = model::dossier(r, id)?.unwrap();
                opinions += d.opinions.len() as u64;
                resolutions += d.resolutions.len() as u64;
            }
            assert_eq!(
                (opinions, resolutions),
                (written.opinions, written.resolutions)
            );

            // Practice reviews and their assessments.
            let practised = trainee::by_trainee(r, user("tim"))?;
            assert_eq!(practised.len() as u64, written.practice);
            let stats = trainee::stats(r, user("tim"))?;
            assert_eq!(stats.reviews, written.practice);
            assert_eq!(stats.assessed, written.assessments);
            assert_eq!(stats.accepted, written.assessments / 2);
            let (first, review) = practised.iter().find(|(_, p)| p.request == 2).unwrap();
            assert_eq!(review.verdict, Verdict::Approve);
            assert_eq!(review.level_name, "Level 2");
            let assessed = trainee::assessment(r, *first)?.unwrap();
            assert_eq!(assessed.supervisor, user("max"));
            assert!(assessed.accepted);
            assert!(assessed.feedback.unwrap().starts_with("Well argued"));

            // Cooldowns and bans, with their history from the log.
            let now = FAKE_CLOCK_START;
            assert_eq!(cooldown::count(r)?, 4);
            let anna = cooldown::active(r, Entity::User(user("anna")), now)?.unwrap();
            assert_eq!(anna.ends_at, Some(FAKE_CLOCK_START + 7 * 86_400));
            assert_eq!(anna.caster, Actor::User(user("max")));
            assert_eq!(anna.reason.as_deref(), Some("spam"));
            let quinn = cooldown::active(r, Entity::User(user("quinn")), now)?.unwrap();
            assert!(quinn.is_ban());
            assert!(
                cooldown::active(r, Entity::Level(128), now)?
                    .unwrap()
                    .is_ban()
            );
            assert!(cooldown::active(r, Entity::Level(129), now)?.is_none());
            let history = cooldown::history(r, Entity::User(user("anna")))?;
            assert_eq!(history.len(), 1);
            assert_eq!(history[0].before, Term::Free);
            assert_eq!(history[0].after, Term::Until(FAKE_CLOCK_START + 7 * 86_400));
            assert_eq!(
                cooldown::history(r, Entity::User(user("quinn")))?[0].after,
                Term::Forever
            );

            // Permissions, parameters, routes, languages.
            assert_eq!(
                access::roles_with(r, Flag::LogViewer)?,
                [guild.role("Reviewer")]
            );
            assert_eq!(
                access::roles_with(r, Flag::Trainee)?,
                [guild.role("Trainee")]
            );
            assert_eq!(params::number(r, Param::QueueBlockAt)?, 40);
            assert!(!params::flag(r, Param::QueueBlockEnabled)?);
            assert_eq!(
                params::describe(r, Param::PostRequestUserCooldown)?
                    .current
                    .to_string(),
                "2d"
            );
            assert!(!params::describe(r, Param::MinStarsToRequireShowcase)?.overridden);
            let route = stagehand::routes::describe(r, stagehand::routes::Route::StreamEndGoodbye)?;
            assert!(!route.enabled);
            assert_eq!(
                stagehand::i18n::preference(r, user("ivan"))?,
                Some(Lang::Ru)
            );
            assert_eq!(
                stagehand::i18n::preference(r, user("anna"))?,
                Some(Lang::En)
            );

            // The log: every event but the unknown kind, in time order, typed; and the import.
            assert_eq!(audit::count(r)?, written.events + 1);
            let all = audit::query(
                r,
                Index::All,
                Position::at_time(i64::MIN),
                i64::MAX,
                usize::MAX,
            )?;
            assert!(all.windows(2).all(|w| w[0].0 <= w[1].0));
            let kind = |k| {
                audit::query(
                    r,
                    Index::Kind(k),
                    Position::at_time(i64::MIN),
                    i64::MAX,
                    usize::MAX,
                )
            };
            assert_eq!(kind(EventKind::RequestRequested)?.len() as u64, REQUESTS);
            let imported = kind(EventKind::DataImported)?;
            let [(_, import)] = imported.as_slice() else {
                panic!("{imported:?}");
            };
            assert_eq!(import.actor, Actor::Bot);
            assert_eq!(
                import.field("source"),
                Some(&Value::Text("requestbot".into()))
            );
            assert!(matches!(import.field("imported_rows"), Some(Value::Int(n)) if *n > 1_000));
            let opinion_events = kind(EventKind::RequestOpinionAdded)?;
            assert_eq!(opinion_events.len() as u64, written.opinions);
            let e = &opinion_events[0].1;
            assert_eq!(e.actor, Actor::User(user("kira")));
            assert_eq!(e.field("request_id"), Some(&Value::Int(1)));
            assert_eq!(e.field("is_first"), Some(&Value::Bool(true)));
            assert_eq!(e.field("review"), Some(&Value::Text("yes".into())));
            let cooldowns = kind(EventKind::UserCooldownUpdated)?;
            assert_eq!(
                cooldowns[0].1.field("target_user_id"),
                Some(&Value::User(user("anna")))
            );
            // Saved filters: one for every log viewer, and the owner's own.
            let saved = audit::filters::saved(r)?;
            assert_eq!(saved.len(), 1);
            assert_eq!(saved[0].0, "approvals");
            assert_eq!(saved[0].1.kind, Some(EventKind::RequestResolutionAdded));
            assert_eq!(
                saved[0].1.fields,
                [("opinion".to_string(), Value::Text("approved".into()))]
            );
            let mine = audit::filters::active(r, user("owner"))?;
            assert_eq!(mine.kind, Some(EventKind::UserCooldownUpdated));
            Ok(())
        })
        .unwrap();
    // The text overrides: the one that fits, in both languages; the broken one left out.
    let texts = Catalogue::open(store).unwrap();
    let history = texts.describe("queue.history.empty").unwrap();
    assert_eq!(
        history.current,
        [
            Some("Nothing has happened to the queue yet.".to_string()),
            Some("С очередью ещё ничего не происходило.".to_string())
        ]
    );
    assert_eq!(
        texts.describe("request.approved").unwrap().current,
        [None, None]
    );
}

/// The Request Bot's database imports whole — dry run first — with every count and a sample
/// of every table read back; the pending requests get fresh widgets from Stagehand; `/queue
/// info`, `/usercd describe`, `/log view` and `/reviews user` show the imported data.
#[tokio::test]
async fn a_request_bot_database_moves_in_and_shows_on_discord() {
    let guild = desk_guild();
    let source = tempfile::tempdir().unwrap();
    let db = source.path().join("database.db");
    let written = request_bot_db(&db, &guild);
    let db_arg = db.to_str().unwrap().to_string();

    let checked = std::sync::Mutex::new(String::new());
    let mut d = Desk::start_prepared(guild.clone(), &[], &[], |data| {
        let dir = data.parent().unwrap();
        // A dry run reports, and creates no store.
        let (code, out, err) = import(dir, &["requestbot", &db_arg, "--dry-run"]);
        assert_eq!(code, 0, "{out}{err}");
        assert!(out.ends_with("dry run: nothing was changed\n"), "{out}");
        assert_eq!(summary(&out, "request"), (202, 200, 2));
        assert!(!store_path(dir).exists());

        let (code, out, err) = import(dir, &["requestbot", &db_arg]);
        assert_eq!(code, 0, "{out}{err}");
        assert_eq!(summary(&out, "request"), (202, 200, 2));
        assert_eq!(summary(&out, "requestopinion"), (written.opinions + written.resolutions + 1, written.opinions + written.resolutions, 1));
        assert_eq!(summary(&out, "traineereviewopinion"), (20, 20, 0));
        assert_eq!(summary(&out, "cooldown"), (5, 4, 1));
        assert_eq!(summary(&out, "loggedevent"), (1_000, 999, 1));
        assert_eq!(summary(&out, "textpiece"), (3, 2, 1));
        assert_eq!(summary(&out, "permissionflag"), (4, 3, 1));
        assert_eq!(summary(&out, "parametervalue"), (4, 3, 1));
        assert_eq!(summary(&out, "storedlogfilter"), (2, 2, 0));
        assert!(
            out.contains(&format!("at its next start: {PENDING}\n")),
            "{out}"
        );
        for reason in [
            "skipped request 201: never submitted",
            "skipped request 202: author id \"99999999999999999999\" is not an id that fits 64 bits",
            "skipped loggedevent 578: event type \"LEGACY_THING\" has no counterpart in Stagehand",
            "skipped textpiece \"REQUEST_APPROVED\"/\"EN\": no longer fits today's text request.approved: {send_type} is not a parameter",
            "skipped cooldown \"USER\"/-7: entity id -7 is not an id that fits 64 bits",
            "skipped requestreview",
        ] {
            assert!(out.contains(reason), "{reason}\n{out}");
        }
        let store = open(dir);
        check_request_bot_store(&store, &guild, &written);
        drop(store);
        *checked.lock().unwrap() = out;
    })
    .await;
    assert!(!checked.lock().unwrap().is_empty());

    // The pending requests' widgets, posted by Stagehand as it reached the guild.
    let pending = d
        .fake
        .wait_messages(d.channel("pending-requests"), PENDING as usize)
        .await;
    let mut titles: Vec<String> = pending
        .iter()
        .map(|m| m.embeds[0]["title"].as_str().unwrap().to_string())
        .collect();
    titles.sort();
    let mut expected: Vec<String> = (1..=REQUESTS)
        .filter(|i| i % 20 == 0 || i % 20 == 1)
        .map(|i| format!("Request {i}"))
        .collect();
    expected.sort();
    assert_eq!(titles, expected);
    assert_eq!(d.pending().await, PENDING);

    // The imported cooldown and ban.
    let anna = d.mention("anna");
    let described = d
        .run(
            "owner",
            "usercd describe",
            &[("user", json!(d.id("anna").to_string()))],
        )
        .await;
    assert!(
        described.starts_with(&format!("{anna} is on cooldown.")),
        "{described}"
    );
    assert!(
        described.contains(&format!("by {}", d.mention("max"))),
        "{described}"
    );
    assert!(described.contains("Reason: spam"), "{described}");
    let quinn = d
        .run(
            "owner",
            "usercd describe",
            &[("user", json!(d.id("quinn").to_string()))],
        )
        .await;
    assert!(quinn.contains("banned"), "{quinn}");

    // The log, through the owner's imported filter: the imported cooldown events.
    let view = d
        .fake
        .invoke(d.id("owner"), "log view", &[], "en-US")
        .await
        .response()
        .await;
    let titles: Vec<&str> = view
        .embeds
        .iter()
        .map(|e| e["title"].as_str().unwrap())
        .collect();
    assert_eq!(titles.len(), 2, "{}", view.content);
    assert!(
        titles
            .iter()
            .all(|t| t.starts_with("USER_COOLDOWN_UPDATED #")),
        "{titles:?}"
    );
    let body = view.embeds[0]["description"].as_str().unwrap();
    assert!(
        body.starts_with(&format!(
            "user: {}\ntimestamp: <t:{}",
            d.mention("max"),
            BASE + 19 * 86_400
        )),
        "{body}"
    );
    assert!(body.contains(&format!("target_user_id: {anna}")), "{body}");

    // Tim's practice reviews, never posted by Stagehand: listed, marked.
    let asked = [("author", json!(d.id("tim").to_string()))];
    let page = d
        .fake
        .invoke(d.id("anna"), "reviews user", &asked, "en-US")
        .await
        .response()
        .await;
    assert!(
        page.content.starts_with(&format!(
            "{} wrote 30 reviews, newest first:\n",
            d.mention("tim")
        )),
        "{}",
        page.content
    );

    // A restart posts nothing twice.
    d.restart().await;
    d.fake.wait_ready().await;
    assert_eq!(
        d.fake.messages(d.channel("pending-requests")).len(),
        PENDING as usize
    );
    d.stop();
}

/// Refusals change nothing, byte for byte: garbage, another application's SQLite file, a
/// second import without `--replace`; `--replace` then writes a snapshot and replaces.
#[test]
fn bad_files_and_a_second_import_change_nothing() {
    let guild = desk_guild();
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("database.db");
    request_bot_db(&db, &guild);
    let db = db.to_str().unwrap();
    let (code, out, err) = import(dir.path(), &["requestbot", db]);
    assert_eq!(code, 0, "{out}{err}");
    let before = std::fs::read(store_path(dir.path())).unwrap();
    let unchanged = |what: &str| {
        assert!(
            std::fs::read(store_path(dir.path())).unwrap() == before,
            "{what} changed the store"
        );
    };

    let garbage = dir.path().join("garbage.db");
    std::fs::write(
        &garbage,
        (0..4096u32)
            .map(|i| (i * 7919 % 251) as u8)
            .collect::<Vec<_>>(),
    )
    .unwrap();
    let (code, _, err) = import(dir.path(), &["requestbot", garbage.to_str().unwrap()]);
    assert_eq!(code, 1);
    assert!(
        err.contains("is not a Request Bot database: not an SQLite database"),
        "{err}"
    );
    unchanged("garbage");

    let other = dir.path().join("places.sqlite");
    let conn = rusqlite::Connection::open(&other).unwrap();
    conn.execute_batch("CREATE TABLE moz_places (id INTEGER PRIMARY KEY, url TEXT); INSERT INTO moz_places VALUES (1, 'https://example.org');").unwrap();
    drop(conn);
    let (code, _, err) = import(dir.path(), &["requestbot", other.to_str().unwrap()]);
    assert_eq!(code, 1);
    assert!(err.contains("lacks the tables request, requestopinion, requestreview, cooldown, loggedevent (its tables: moz_places)"), "{err}");
    unchanged("another application's database");

    let (code, _, err) = import(dir.path(), &["requestbot", "missing.db"]);
    assert_eq!(code, 1);
    assert!(err.contains("cannot read missing.db"), "{err}");
    unchanged("a missing file");

    let (code, _, err) = import(dir.path(), &["requestbot", db]);
    assert_eq!(code, 1);
    assert!(err.contains("the store already holds request desk data (200 requests, 4 cooldowns and bans, 30 trainee reviews)"), "{err}");
    unchanged("a second import");
    let (code, out, _) = import(dir.path(), &["requestbot", db, "--dry-run"]);
    assert_eq!(code, 1, "{out}");
    unchanged("a second dry run");
    let (code, out, _) = import(dir.path(), &["requestbot", db, "--dry-run", "--replace"]);
    assert_eq!(code, 0, "{out}");
    assert!(out.ends_with("dry run: nothing was changed\n"), "{out}");
    unchanged("a dry run with --replace");

    let (code, out, err) = import(dir.path(), &["requestbot", db, "--replace"]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("the store as it was is saved in"), "{out}");
    let snapshots: Vec<_> = std::fs::read_dir(dir.path().join("data").join("backups"))
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    assert!(
        snapshots.iter().any(|n| n.contains("before-import")),
        "{snapshots:?}"
    );
    let store = open(dir.path());
    store
        .read(|r| {
            assert_eq!(model::count(r)?, REQUESTS);
            // The old log replaced (999 events and the second import's), not doubled.
            assert_eq!(audit::count(r)?, 1_000);
            Ok(())
        })
        .unwrap();
}

/// A running server holds the store: the import refuses and says to stop it.
#[test]
fn an_import_refuses_while_the_server_runs() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path(), &[]);
    let (code, _, err) = import(dir.path(), &["osu-arena", "dump.sql"]);
    // The file is read first: a missing one is the first refusal.
    assert_eq!(code, 1);
    assert!(err.contains("cannot read dump.sql"), "{err}");
    let dump = dir.path().join("dump.sql");
    std::fs::write(&dump, ARENA_FALLBACK).unwrap();
    let (code, _, err) = import(dir.path(), &["osu-arena", dump.to_str().unwrap()]);
    assert_eq!(code, 1);
    assert!(
        err.contains("a running `stagehand serve` holds the store"),
        "{err}"
    );
    server.stop();
}

/// A minimal whole dump (the running-server test needs only a readable one).
const ARENA_FALLBACK: &str = "--\n-- PostgreSQL database dump\n--\n\nCOPY public.discord_osu (discord_username, discord_id, osu_id, league) FROM stdin;\n\\.\n\n--\n-- PostgreSQL database dump complete\n--\n";

// ---- osu!Arena -------------------------------------------------------------------------------

/// The tables of osu-arena §11 that the import reads, as osu!Arena's dump declares them.
const ARENA_SCHEMA: &str = r#"
CREATE TABLE discord_osu (
  discord_username text PRIMARY KEY, discord_id bigint UNIQUE, osu_id bigint UNIQUE,
  osu_username text, current_pp integer, global_rank bigint, league text, future_league text,
  ii real, created_at timestamptz DEFAULT now(), top_play_map text, top_play_pp integer,
  top_play_date timestamptz, top_play_id bigint, prev_top_pp integer,
  top_play_announce boolean DEFAULT false, new_player_announce boolean DEFAULT false,
  points integer DEFAULT 0, seasonal_points integer DEFAULT 0);
CREATE TABLE seasons (id integer PRIMARY KEY, season integer, status text);
CREATE TABLE rivals (
  challenge_id smallint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY, league text,
  challenger text, challenged text, challenger_initial_pp smallint, challenged_initial_pp smallint,
  challenger_final_pp smallint, challenged_final_pp smallint,
  challenger_stats numeric GENERATED ALWAYS AS (challenger_final_pp - challenger_initial_pp) STORED,
  challenged_stats numeric GENERATED ALWAYS AS (challenged_final_pp - challenged_initial_pp) STORED,
  for_pp smallint, challenge_status text, winner text, issued_at timestamptz DEFAULT now(),
  accepted_at timestamptz, ended_at timestamptz);
CREATE TABLE challenger (id serial PRIMARY KEY, discord_username text NOT NULL REFERENCES discord_osu ON DELETE CASCADE,
  discord_id bigint REFERENCES discord_osu (discord_id), osu_username text NOT NULL,
  challenge_id integer NOT NULL UNIQUE REFERENCES rivals ON DELETE CASCADE, initial_pp integer, current_pp integer);
CREATE TABLE challenged (id serial PRIMARY KEY, discord_username text NOT NULL REFERENCES discord_osu ON DELETE CASCADE,
  discord_id bigint REFERENCES discord_osu (discord_id), osu_username text NOT NULL,
  challenge_id integer NOT NULL UNIQUE REFERENCES rivals ON DELETE CASCADE, initial_pp integer, current_pp smallint);
CREATE TABLE historical_points (id bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
  discord_username text NOT NULL REFERENCES discord_osu ON DELETE CASCADE, osu_username text UNIQUE,
  discord_id bigint, season_1 integer DEFAULT 0, season_2 integer DEFAULT 0);
"#;

/// A league table (§11.2), with its generated columns.
fn league_table(name: &str) -> String {
    format!(
        "CREATE TABLE {name} (id serial PRIMARY KEY, discord_username text UNIQUE REFERENCES discord_osu ON DELETE CASCADE,
           discord_id bigint REFERENCES discord_osu (discord_id), osu_username text, initial_pp smallint, current_pp smallint,
           pp_change integer GENERATED ALWAYS AS (current_pp - initial_pp) STORED,
           percentage_change numeric GENERATED ALWAYS AS (round(((current_pp - initial_pp) * 100)::numeric / NULLIF(initial_pp, 0), 2)) STORED,
           global_rank integer, ii real);\n"
    )
}

/// The PostgreSQL installed here (Debian's `postgresql`, which `.ci/run` installs).
fn pg_bin() -> PathBuf {
    let mut versions: Vec<PathBuf> = std::fs::read_dir("/usr/lib/postgresql")
        .expect("PostgreSQL is not installed: apt-get install postgresql (.ci/run does)")
        .map(|e| e.unwrap().path().join("bin"))
        .filter(|p| p.join("pg_dump").exists())
        .collect();
    versions.sort();
    versions
        .pop()
        .expect("no PostgreSQL under /usr/lib/postgresql")
}

/// A PostgreSQL server of its own in a temporary folder, on loopback, run as the `postgres`
/// user when the test runs as root (PostgreSQL refuses to run as root).
struct Postgres {
    bin: PathBuf,
    data: PathBuf,
    port: u16,
    as_postgres: bool,
    _dir: tempfile::TempDir,
}

impl Postgres {
    fn command(&self, program: &str) -> Command {
        let path = self.bin.join(program);
        if self.as_postgres {
            let mut c = Command::new("runuser");
            c.args(["-u", "postgres", "--"]).arg(path);
            c
        } else {
            Command::new(path)
        }
    }

    fn check(mut command: Command, what: &str) -> String {
        let out = command.output().unwrap();
        assert!(
            out.status.success(),
            "{what}: {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap()
    }

    fn start() -> Postgres {
        use std::os::unix::fs::PermissionsExt as _;
        let bin = pg_bin();
        let dir = tempfile::tempdir().unwrap();
        let as_postgres = Command::new("id").arg("-u").output().unwrap().stdout == b"0\n";
        let data = dir.path().join("pg");
        std::fs::create_dir(&data).unwrap();
        if as_postgres {
            std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
            let chown = Command::new("chown")
                .args(["-R", "postgres:postgres"])
                .arg(&data)
                .status()
                .unwrap();
            assert!(chown.success());
        }
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let pg = Postgres {
            bin,
            data,
            port,
            as_postgres,
            _dir: dir,
        };
        let mut init = pg.command("initdb");
        init.args(["-D"]).arg(&pg.data).args([
            "-U",
            "postgres",
            "--auth=trust",
            "--no-sync",
            "-E",
            "UTF8",
            "--locale=C",
        ]);
        Postgres::check(init, "initdb");
        let mut start = pg.command("pg_ctl");
        start
            .args(["-D"])
            .arg(&pg.data)
            .args(["-w", "-l"])
            .arg(pg.data.join("log"))
            .arg("-o")
            .arg(format!(
                "-p {} -c listen_addresses=127.0.0.1 -k {} -c fsync=off",
                pg.port,
                pg.data.display()
            ))
            .arg("start");
        Postgres::check(start, "pg_ctl start");
        pg
    }

    fn client(&self, program: &str) -> Command {
        let mut c = self.command(program);
        c.args([
            "-h",
            "127.0.0.1",
            "-p",
            &self.port.to_string(),
            "-U",
            "postgres",
        ]);
        c
    }

    fn sql(&self, sql: &str) {
        let script = self.data.join("script.sql");
        std::fs::write(&script, sql).unwrap();
        if self.as_postgres {
            Command::new("chown")
                .args(["postgres:postgres"])
                .arg(&script)
                .status()
                .unwrap();
        }
        let mut psql = self.client("psql");
        psql.args(["-v", "ON_ERROR_STOP=1", "-q", "-d", "postgres", "-f"])
            .arg(&script);
        Postgres::check(psql, "psql");
    }

    fn dump(&self) -> String {
        let mut dump = self.client("pg_dump");
        dump.args(["--format=plain", "--no-owner", "-d", "postgres"]);
        Postgres::check(dump, "pg_dump")
    }

    fn stop(self) {
        let mut stop = self.command("pg_ctl");
        stop.args(["-D"])
            .arg(&self.data)
            .args(["-m", "fast", "-w", "stop"]);
        Postgres::check(stop, "pg_ctl stop");
    }
}

fn arena_discord_id(i: u64) -> u64 {
    900_000_000_000_000_000 + i
}

/// osu!Arena's data: 12 players over the leagues (gold has four), season 3 ongoing with
/// seasons 1–2 archived (`ranker_1` among them), seasonal points of both, and challenges in
/// every status; one player whose Discord id does not fit.
fn arena_rows() -> String {
    let mut sql = String::from(ARENA_SCHEMA);
    for league in League::ALL {
        sql.push_str(&league_table(league.name()));
    }
    for archive in ["gold_1", "ranker_1", "gold_2", "silver_2", "novice_2"] {
        sql.push_str(&format!(
            "CREATE TABLE {archive} (id integer, discord_username text, discord_id bigint, osu_username text, initial_pp smallint, current_pp smallint, pp_change integer, percentage_change numeric, global_rank integer, ii numeric(10,2));\n"
        ));
    }
    let leagues = [
        "gold", "gold", "gold", "gold", "silver", "silver", "bronze", "novice", "platinum",
        "diamond", "elite", "master",
    ];
    for (i, league) in leagues.iter().enumerate() {
        let i = i as u64;
        let pp = 3_000 + i * 100;
        sql.push_str(&format!(
            "INSERT INTO discord_osu (discord_username, discord_id, osu_id, osu_username, current_pp, global_rank, league, future_league, ii, created_at, top_play_map, top_play_pp, top_play_id, points, seasonal_points) VALUES ('player{i}', {}, {}, 'osu{i}', {pp}, {}, '{league}', '{league}', 1.25, '2025-03-0{} 12:00:00+03', 'Map {i} [Insane]', {}, {}, {}, {});\n",
            arena_discord_id(i),
            7_000_000 + i,
            50_000 + i,
            1 + i % 9,
            200 + i,
            4_000_000_000 + i,
            100 * i,
            10 * i,
        ));
        sql.push_str(&format!(
            "INSERT INTO {league} (discord_username, discord_id, osu_username, initial_pp, current_pp, global_rank, ii) VALUES ('player{i}', {}, 'osu{i}', {}, {pp}, {}, 1.25);\n",
            arena_discord_id(i),
            pp - 50 - i,
            50_000 + i,
        ));
    }
    // A Discord id that is no 64-bit id.
    sql.push_str("INSERT INTO discord_osu (discord_username, discord_id, osu_id, osu_username, current_pp, league) VALUES ('ghost', -5, 8000000, 'ghost', 100, 'novice');\n");
    sql.push_str(
        "INSERT INTO seasons VALUES (1, 1, 'Archived'), (2, 2, 'Archived'), (3, 3, 'Ongoing');\n",
    );
    for (table, who) in [
        ("gold_1", 0),
        ("gold_1", 1),
        ("ranker_1", 2),
        ("gold_2", 0),
        ("gold_2", 3),
        ("silver_2", 4),
        ("novice_2", 7),
    ] {
        // Season 1's tables predate the discord_id column being filled: found by name.
        let id = if table.ends_with("_1") {
            "NULL".to_string()
        } else {
            arena_discord_id(who).to_string()
        };
        sql.push_str(&format!(
            "INSERT INTO {table} VALUES ({who}, 'player{who}', {id}, 'osu{who}', {}, {}, 0, 0, 1, 2.50);\n",
            2_000 + who * 10,
            2_500 + who * 20,
        ));
    }
    for i in 0..12u64 {
        sql.push_str(&format!(
            "INSERT INTO historical_points (discord_username, osu_username, season_1, season_2) VALUES ('player{i}', 'osu{i}', {}, {});\n",
            i * 5,
            i * 7
        ));
    }
    for (n, status, winner, accepted) in [
        (1, "Finished", "'osu0'", "'2025-04-02 10:00:00+00'"),
        (2, "Declined", "NULL", "NULL"),
        (3, "Revoked", "NULL", "'2025-04-03 10:00:00+00'"),
        (4, "Pending", "NULL", "NULL"),
        (5, "Unfinished", "NULL", "'2025-04-04 10:00:00+00'"),
    ] {
        sql.push_str(&format!(
            "INSERT INTO rivals (challenge_id, league, challenger, challenged, challenger_initial_pp, challenged_initial_pp, challenger_final_pp, challenged_final_pp, for_pp, challenge_status, winner, issued_at, accepted_at, ended_at) VALUES ({n}, 'Gold', 'osu0', 'osu1', 3000, 3100, 3120, 3150, 100, '{status}', {winner}, '2025-04-01 10:00:00+00', {accepted}, {});\n",
            if status == "Declined" { "'2025-04-01 11:00:00+00'" } else { "NULL" }
        ));
        sql.push_str(&format!(
            "INSERT INTO challenger (discord_username, discord_id, osu_username, challenge_id, initial_pp, current_pp) VALUES ('player0', {}, 'osu0', {n}, 3000, 3120);\n\
             INSERT INTO challenged (discord_username, discord_id, osu_username, challenge_id, initial_pp, current_pp) VALUES ('player1', {}, 'osu1', {n}, 3100, 3150);\n",
            arena_discord_id(0),
            arena_discord_id(1)
        ));
    }
    // Text that needs COPY's escapes.
    sql.push_str("UPDATE discord_osu SET top_play_map = E'Tab\\there \\\\ back [Extra]' WHERE discord_username = 'player2';\n");
    sql
}

/// A real PostgreSQL dump of osu!Arena's tables imports with its players, leagues, points,
/// archives and challenges; `/show gold` and `/archived` show them; a cut dump and garbage are
/// refused and change nothing.
#[tokio::test]
async fn an_osu_arena_dump_from_postgresql_moves_in_and_shows_on_discord() {
    let pg = Postgres::start();
    pg.sql(&arena_rows());
    let dump = pg.dump();
    pg.stop();
    assert!(dump.contains("COPY public.discord_osu ("), "{dump}");

    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("arena.sql");
    std::fs::write(&file, &dump).unwrap();
    let file = file.to_str().unwrap();
    let (code, out, err) = import(dir.path(), &["osu-arena", file]);
    assert_eq!(code, 0, "{out}{err}");
    assert_eq!(summary(&out, "discord_osu"), (13, 12, 1));
    assert_eq!(summary(&out, "gold"), (4, 4, 0));
    assert_eq!(summary(&out, "ranker_1"), (1, 1, 0));
    assert_eq!(summary(&out, "historical_points"), (12, 12, 0));
    assert_eq!(summary(&out, "rivals"), (5, 3, 2));
    assert!(
        out.contains("skipped discord_osu ghost: discord_id \"-5\" is not an id that fits 64 bits"),
        "{out}"
    );
    assert!(
        out.contains("skipped rivals 4: still open (Pending)"),
        "{out}"
    );

    {
        let store = open(dir.path());
        store
            .read(|r| {
                let players = player::all(r)?;
                assert_eq!(players.len(), 12);
                let p2 = player::get(r, arena_discord_id(2))?.unwrap();
                assert_eq!(p2.osu_id, 7_000_002);
                assert_eq!(p2.osu_username, "osu2");
                assert_eq!(p2.league, League::Gold);
                assert_eq!(p2.pp, 3_200);
                assert_eq!(p2.initial_pp, 3_148);
                assert_eq!(p2.global_rank, Some(50_002));
                assert_eq!((p2.points, p2.seasonal_points), (200, 20));
                // 2025-03-03 12:00 at +03:00 is 09:00 UTC.
                assert_eq!(p2.linked_at, 1_740_992_400);
                let top = p2.top_play.unwrap();
                assert_eq!((top.score_id, top.pp), (4_000_000_002, 202));
                assert_eq!(top.title, "Tab\there \\ back [Extra]");
                assert_eq!(player::by_osu(r, 7_000_000)?, Some(arena_discord_id(0)));
                assert_eq!(player::members(r, League::Gold)?.len(), 4);
                assert_eq!(season::current(r)?, Some(3));
                let gold_1 = season::archived_table(r, 1, "gold")?.unwrap();
                assert_eq!(gold_1.len(), 2);
                assert_eq!(
                    gold_1[0].discord_id,
                    arena_discord_id(1),
                    "best pp change first"
                );
                assert!(season::archived_table(r, 1, "ranker")?.is_some());
                let points_2 = season::archived_points(r, 2)?.unwrap();
                assert_eq!(points_2.len(), 12);
                assert_eq!(points_2[0].points, 77);
                assert_eq!(points_2[0].discord_id, arena_discord_id(11));
                let finished = rivalry::get(r, 1)?.unwrap();
                assert_eq!(finished.status, rivalry::Status::Finished);
                assert_eq!(finished.winner, Some(arena_discord_id(0)));
                assert_eq!(finished.challenger.start_pp, Some(3_000));
                assert_eq!(finished.target.end_pp, Some(3_150));
                assert_eq!(
                    rivalry::get(r, 2)?.unwrap().status,
                    rivalry::Status::Declined
                );
                assert!(rivalry::get(r, 4)?.is_none());
                Ok(())
            })
            .unwrap();
    }
    let before = std::fs::read(store_path(dir.path())).unwrap();
    let unchanged = |what: &str| {
        assert!(
            std::fs::read(store_path(dir.path())).unwrap() == before,
            "{what} changed the store"
        );
    };
    // A cut dump, garbage, a second import: refused, nothing changed.
    let cut = dir.path().join("cut.sql");
    std::fs::write(&cut, &dump[..dump.len() / 2]).unwrap();
    let (code, _, err) = import(dir.path(), &["osu-arena", cut.to_str().unwrap()]);
    assert_eq!(code, 1);
    assert!(err.contains("the dump is cut short"), "{err}");
    unchanged("a cut dump");
    let garbage = dir.path().join("garbage.sql");
    std::fs::write(&garbage, "SELECT 1;\nhello\n").unwrap();
    let (code, _, err) = import(dir.path(), &["osu-arena", garbage.to_str().unwrap()]);
    assert_eq!(code, 1);
    assert!(err.contains("is not a plain-text pg_dump"), "{err}");
    unchanged("garbage");
    let (code, _, err) = import(dir.path(), &["osu-arena", file]);
    assert_eq!(code, 1);
    assert!(
        err.contains("already holds osu! league data (12 linked players, 3 seasons"),
        "{err}"
    );
    unchanged("a second import");

    // On Discord: the members are there, the fake osu! knows them.
    let mut guild = Guild::sample();
    for i in 0..12u64 {
        guild.members.push(Member {
            id: arena_discord_id(i),
            name: format!("player{i}"),
            roles: vec![],
            nick: None,
            dms_open: true,
        });
    }
    let discord = FakeDiscord::start(guild.clone()).await;
    let fake_osu = FakeOsu::start().await;
    fake_osu.add_players((0..12u64).map(|i| osu::Player {
        id: 7_000_000 + i,
        username: format!("osu{i}"),
        country: "RU".into(),
        global_rank: Some(50_000 + i as u32),
        pp: 3_000.0 + i as f64 * 100.0,
        restricted: false,
        play_time: 360_000,
        best_scores: Vec::new(),
    }));
    let env = support::league_env(dir.path(), &discord, &guild, &fake_osu);
    let pairs: Vec<(&str, &str)> = env.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let server = Server::start(dir.path(), &pairs);
    discord.wait_ready().await;
    support::eventually("command registration", || {
        discord.command_registrations() >= 1
    })
    .await;
    let anna = guild.user("anna");
    let ask = |command: &'static str, options: Vec<(&'static str, serde_json::Value)>| {
        let discord = &discord;
        async move {
            discord
                .invoke(anna, command, &options, "en-US")
                .await
                .response()
                .await
        }
    };
    let gold = ask("show", vec![("table", json!("gold"))]).await;
    assert_eq!(gold.embeds[0]["title"], "Gold", "{}", gold.content);
    assert_eq!(gold.attachments.len(), 1);
    let seasons = discord
        .autocomplete(
            anna,
            "archived",
            &[("season", json!(""))],
            "season",
            "en-US",
        )
        .await;
    let seasons: Vec<&str> = seasons.iter().map(|(name, _)| name.as_str()).collect();
    assert_eq!(
        seasons,
        ["2", "1", "0"],
        "newest first; 0 holds the finished challenges"
    );
    let tables = discord
        .autocomplete(
            anna,
            "archived",
            &[("season", json!("1")), ("table", json!(""))],
            "table",
            "en-US",
        )
        .await;
    let tables: Vec<&str> = tables.iter().map(|(name, _)| name.as_str()).collect();
    assert_eq!(tables, ["gold", "ranker", "points"]);
    let archived = ask(
        "archived",
        vec![("season", json!("1")), ("table", json!("gold"))],
    )
    .await;
    assert_eq!(
        archived.embeds[0]["title"], "📜 Gold, season 1",
        "{}",
        archived.content
    );
    assert_eq!(archived.attachments.len(), 1);
    let ranker = ask(
        "archived",
        vec![("season", json!("1")), ("table", json!("ranker"))],
    )
    .await;
    assert_eq!(ranker.attachments.len(), 1, "{}", ranker.content);
    server.stop();
}
