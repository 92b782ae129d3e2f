//! The request desk's main path: `request_flow_ms` is the time from a member running
//! `/request create` to the Reviewer's Widget appearing in its channel — the form shown, filled
//! in and submitted, the request stored, the widget delivered by the outbox — with the release
//! binary on the fake Discord and the fake GD server (loopback). The GD answers are cached first
//! (as for a level looked up a moment ago), so the figure is Stagehand's own time, not the GD
//! server's request spacing. Median over one request by each member of the sample guild.
//!
//! `queue_info_20k_requests_us` is what the queue reads after every request and resolution (and
//! `/queue info` shows) on a desk with 20,000 stored requests, 5,000 of them pending: the
//! pending count and the auto-close settings, read transaction included.

use std::time::Instant;

use anyhow::Context as _;
use serde_json::json;

use stagehand::gd::Difficulty;
use stagehand::i18n::Lang;
use stagehand::requests::model::{self, Author, LevelFacts, Resolution};
use stagehand::requests::{Request, queue};
use stagehand::store::{Store, StoreOptions};

use super::discord::fake;
use super::fakes::gd;
use super::startup::{Run, build};
use super::{Figure, median};

/// The first of the benchmark's levels (ids no fixture uses).
const FIRST_LEVEL: u64 = 60_000_000;

pub fn figures() -> anyhow::Result<Vec<Figure>> {
    let binary = build()?;
    let runtime = super::runtime()?;
    let mut times = runtime.block_on(measure(&binary))?;
    anyhow::ensure!(!times.is_empty(), "no request went through");
    times.sort_by(f64::total_cmp);
    Ok(vec![
        Figure {
            name: "request_flow_ms",
            value: times[times.len() / 2],
            unit: "ms",
        },
        Figure {
            name: "queue_info_20k_requests_us",
            value: queue_info()?,
            unit: "us",
        },
    ])
}

/// Stored requests, and how many of them are still pending, for `queue_info_20k_requests_us`.
const STORED: u64 = 20_000;
const PENDING: u64 = 5_000;

fn queue_info() -> anyhow::Result<f64> {
    let dir = std::env::temp_dir().join(format!("stagehand-bench-queue-{}", std::process::id()));
    let result = measure_queue_info(&dir);
    let _ = std::fs::remove_dir_all(&dir);
    result
}

fn measure_queue_info(dir: &std::path::Path) -> anyhow::Result<f64> {
    let store = Store::open(&dir.join("bench.redb"), &StoreOptions::default())
        .context("opening a scratch store")?;
    let resolution = Resolution {
        grade: None,
        review: None,
        comment: None,
        at: 0,
    };
    store.write(|w| {
        for i in 0..STORED {
            let id = model::insert(w, &stored_request(i))?;
            if i >= PENDING {
                model::put_resolution(w, id, 1, &resolution)?;
            }
        }
        Ok::<_, stagehand::store::StoreError>(())
    })?;
    let info = store.read(queue::info)?;
    anyhow::ensure!(info.pending == PENDING, "{} pending", info.pending);
    median(31, || {
        let started = Instant::now();
        std::hint::black_box(store.read(queue::info)?);
        Ok(started.elapsed().as_secs_f64() * 1e6)
    })
}

pub(super) fn stored_request(i: u64) -> Request {
    Request {
        level: LevelFacts {
            id: 90_000_000 + i,
            name: format!("Stored {i}"),
            creator: "bencher".into(),
            requested_stars: 5,
            length: 2,
            demon: false,
            difficulty: Difficulty::Unrated,
            game_version: 22,
            copied_from: 0,
        },
        author: Author::User(1_000 + i % 500),
        lang: Lang::En,
        showcase: None,
        comment: Some("a comment the widgets show".into()),
        requested_at: 1_700_000_000 + i as i64,
        submitted_by: 1_000 + i % 500,
    }
}

async fn measure(binary: &std::path::Path) -> anyhow::Result<Vec<f64>> {
    let mut guild = fake::Guild::sample();
    let general = guild.channel("general");
    guild.channels.push(fake::Channel {
        id: general + (40 << 22),
        name: "pending-requests".into(),
    });
    let pending = general + (40 << 22);
    let discord = fake::FakeDiscord::start(guild.clone()).await;
    let server = gd::FakeGd::start().await;
    let users = super::discord::members(&guild);
    server.add_levels((0..users.len() as u64).map(|i| gd::Level {
        id: FIRST_LEVEL + i,
        name: format!("Bench {i}"),
        creator_player_id: 7,
        creator_name: "bencher".into(),
        ..gd::Level::default()
    }));
    let settings = |dir: &std::path::Path| {
        let mut settings = super::discord::connect(&discord, &guild, dir);
        settings.extend([
            ("STAGEHAND_MODULES_REQUESTS".into(), "true".into()),
            (
                "STAGEHAND_GD_BASE_URL".into(),
                format!("{}/database", server.base_url()),
            ),
        ]);
        settings
    };
    let _run = Run::start_with(binary, settings)?;
    discord.wait_ready().await;
    discord
        .wait_until("command registration", |d| d.command_registrations() == 1)
        .await;
    // Warm the GD cache: each member opens the form once and closes it. The first tries may
    // come before the bot has resolved the routes' channels from the guild.
    for (i, user) in users.iter().enumerate() {
        let level = json!(FIRST_LEVEL + i as u64);
        let mut tries = 0;
        loop {
            let asked = discord
                .invoke(
                    *user,
                    "request create",
                    &[("level_id", level.clone())],
                    "en",
                )
                .await;
            if asked.modal().await.is_some() {
                break;
            }
            let answer = asked.response().await.content;
            tries += 1;
            anyhow::ensure!(tries < 40, "no form for the warm-up: {answer}");
            tokio::time::sleep(std::time::Duration::from_millis(250)).await;
        }
    }
    let mut times = Vec::with_capacity(users.len());
    for (i, user) in users.iter().enumerate() {
        let level = FIRST_LEVEL + i as u64;
        let started = Instant::now();
        let asked = discord
            .invoke(*user, "request create", &[("level_id", json!(level))], "en")
            .await;
        let form = asked.modal().await.context("no form")?;
        let custom_id = form["custom_id"].as_str().unwrap_or_default().to_string();
        discord
            .submit_modal(*user, &custom_id, &[], "en")
            .await
            .response()
            .await;
        discord.wait_messages(pending, i + 1).await;
        times.push(started.elapsed().as_secs_f64() * 1000.0);
    }
    Ok(times)
}
