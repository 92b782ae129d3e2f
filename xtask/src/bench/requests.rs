//! The request desk's main path: `request_flow_ms` is the time from a member running
//! `/request create` to the Reviewer's Widget appearing in its channel — the form shown, filled
//! in and submitted, the request stored, the widget delivered by the outbox — with the release
//! binary on the fake Discord and the fake GD server (loopback). The GD answers are cached first
//! (as for a level looked up a moment ago), so the figure is Stagehand's own time, not the GD
//! server's request spacing. Median over one request by each member of the sample guild.

use std::time::Instant;

use anyhow::Context as _;
use serde_json::json;

use super::Figure;
use super::discord::fake;
use super::fakes::gd;
use super::startup::{Run, build};

/// The first of the benchmark's levels (ids no fixture uses).
const FIRST_LEVEL: u64 = 60_000_000;

pub fn figures() -> anyhow::Result<Vec<Figure>> {
    let binary = build()?;
    let runtime = super::runtime()?;
    let mut times = runtime.block_on(measure(&binary))?;
    anyhow::ensure!(!times.is_empty(), "no request went through");
    times.sort_by(f64::total_cmp);
    Ok(vec![Figure {
        name: "request_flow_ms",
        value: times[times.len() / 2],
        unit: "ms",
    }])
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
