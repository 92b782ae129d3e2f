//! `import_requestbot_20k_requests_s`: `stagehand import requestbot` (the library call the
//! command makes) on a Request Bot database of 20,000 submitted requests, each with a
//! reviewer's opinion and three in four resolved, and their 55,000 logged events — the whole
//! move: reading the SQLite file, mapping every row, the one write transaction and its commit
//! into a fresh store. Median of three runs, each into a new data folder.

use std::path::Path;
use std::time::Instant;

use anyhow::Context as _;

use stagehand::ops::import::{self, Options, Source};
use stagehand::paths::Paths;

use super::{Figure, median};

const REQUESTS: i64 = 20_000;

/// The tables the import requires, as the Request Bot's SQLModel creates them.
const SCHEMA: &str = "
CREATE TABLE request (id INTEGER NOT NULL PRIMARY KEY, level_id INTEGER NOT NULL, language VARCHAR(2) NOT NULL, level_name VARCHAR, yt_link VARCHAR, additional_comment VARCHAR, request_author VARCHAR NOT NULL, is_author_user_id BOOLEAN NOT NULL DEFAULT 1, details_message_id INTEGER, details_message_channel_id INTEGER, resolution_message_id INTEGER, resolution_message_channel_id INTEGER, created_at DATETIME NOT NULL, requested_at DATETIME);
CREATE TABLE requestreview (id INTEGER NOT NULL PRIMARY KEY, created_at DATETIME NOT NULL, author_user_id INTEGER NOT NULL, text VARCHAR NOT NULL, message_id INTEGER NOT NULL, message_channel_id INTEGER NOT NULL, opinion VARCHAR(8) NOT NULL, is_trainee BOOLEAN NOT NULL, request_id INTEGER);
CREATE TABLE requestopinion (id INTEGER NOT NULL PRIMARY KEY, author_user_id INTEGER NOT NULL, created_at DATETIME NOT NULL, opinion VARCHAR(8) NOT NULL, is_resolution BOOLEAN NOT NULL DEFAULT 0, request_id INTEGER NOT NULL, associated_review_id INTEGER);
CREATE TABLE cooldown (entity VARCHAR(5) NOT NULL, entity_id INTEGER NOT NULL, casted_at DATETIME NOT NULL, ends_at DATETIME, reason VARCHAR, caster_user_id INTEGER NOT NULL, causing_request_id INTEGER, PRIMARY KEY (entity, entity_id));
CREATE TABLE loggedevent (id INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT, timestamp DATETIME NOT NULL, event_type VARCHAR(40) NOT NULL, user_id INTEGER, custom_data JSON NOT NULL DEFAULT '{}');
";

pub fn figures() -> anyhow::Result<Vec<Figure>> {
    let dir = std::env::temp_dir().join(format!("stagehand-bench-import-{}", std::process::id()));
    let result = measure(&dir);
    let _ = std::fs::remove_dir_all(&dir);
    Ok(vec![Figure {
        name: "import_requestbot_20k_requests_s",
        value: result?,
        unit: "s",
    }])
}

fn naive(at: i64) -> String {
    jiff::Timestamp::from_second(at)
        .map(|t| t.strftime("%Y-%m-%d %H:%M:%S.%6f").to_string())
        .unwrap_or_default()
}

fn database(path: &Path) -> anyhow::Result<()> {
    let db = rusqlite::Connection::open(path)?;
    db.execute_batch(SCHEMA)?;
    let tx = db.unchecked_transaction()?;
    let base = 1_700_000_000;
    let mut opinion = 0;
    let mut event = 0;
    let mut log = |at: i64, kind: &str, user: i64, data: String| -> rusqlite::Result<()> {
        event += 1;
        tx.execute(
            "INSERT INTO loggedevent VALUES (?1, ?2, ?3, ?4, ?5)",
            rusqlite::params![event, naive(at), kind, user, data],
        )
        .map(|_| ())
    };
    for i in 1..=REQUESTS {
        let at = base + i * 60;
        let author = 1_000 + i % 500;
        tx.execute(
            "INSERT INTO request VALUES (?1, ?2, 'EN', ?3, NULL, 'a comment', ?4, 1, NULL, NULL, NULL, NULL, ?5, ?5)",
            rusqlite::params![i, 90_000_000 + i, format!("Level {i}"), author.to_string(), naive(at)],
        )?;
        let data = format!(
            r#"{{"request_id": {i}, "level_id": {}, "level_name": "Level {i}", "lang": "en"}}"#,
            90_000_000 + i
        );
        log(at, "REQUEST_REQUESTED", author, data)?;
        for (user, resolution) in [(7, false), (8, true)] {
            if resolution && i % 4 == 0 {
                continue;
            }
            opinion += 1;
            tx.execute(
                "INSERT INTO requestopinion VALUES (?1, ?2, ?3, 'APPROVED', ?4, ?5, NULL)",
                rusqlite::params![opinion, user, naive(at + 30), resolution, i],
            )?;
            let kind = if resolution {
                "REQUEST_RESOLUTION_ADDED"
            } else {
                "REQUEST_OPINION_ADDED"
            };
            let data = format!(
                r#"{{"request_id": {i}, "level_id": {}, "level_name": "Level {i}", "opinion": "approved", "is_first": "True", "review_msg_url": "NO_REVIEW", "reason": "NO_REASON"}}"#,
                90_000_000 + i
            );
            log(at + 30, kind, user, data)?;
        }
    }
    tx.commit()?;
    Ok(())
}

fn measure(dir: &Path) -> anyhow::Result<f64> {
    std::fs::create_dir_all(dir)?;
    let file = dir.join("database.db");
    database(&file).context("writing the Request Bot database")?;
    let mut run = 0;
    median(3, || {
        run += 1;
        let paths = Paths {
            data_dir: dir.join(format!("data-{run}")),
            config: None,
        };
        let started = Instant::now();
        let report = import::run(
            &paths,
            Source::RequestBot,
            &file,
            Options::default(),
            0,
            &mut |_, _, _| {},
        )?;
        let secs = started.elapsed().as_secs_f64();
        let imported = report.count("request").map_or(0, |c| c.imported);
        anyhow::ensure!(imported == REQUESTS as u64, "{imported} requests imported");
        Ok(secs)
    })
}
