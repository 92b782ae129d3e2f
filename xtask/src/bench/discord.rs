//! Interaction latency: the release binary connected to the fake Discord (loopback), answering
//! 200 concurrent `/help` invocations. `interaction_ack_p50_ms` / `_p99_ms` are the times from
//! the fake sending INTERACTION_CREATE to receiving the initial response; `interaction_cpu_us` is
//! the bot's own CPU time per interaction (10 ms resolution over the round).

use std::time::Duration;

use anyhow::Context as _;

use super::Figure;
use super::startup::{Run, build};

#[path = "../../../tests/support/discord/mod.rs"]
#[allow(dead_code)] // the fake's API is wider than the benchmarks need
pub(super) mod fake;

const CONCURRENT: usize = 200;

pub fn figures() -> anyhow::Result<Vec<Figure>> {
    let binary = build()?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    let (mut times, cpu) = runtime.block_on(async {
        let guild = fake::Guild::sample();
        let discord = fake::FakeDiscord::start(guild.clone()).await;
        let settings = |dir: &std::path::Path| connect(&discord, &guild, dir);
        let server = Run::start_with(&binary, settings)?;
        discord.wait_ready().await;
        discord
            .wait_until("command registration", |d| d.command_registrations() == 1)
            .await;
        let users: Vec<u64> = guild
            .members
            .iter()
            .map(|m| m.id)
            .filter(|id| *id != fake::FakeDiscord::APPLICATION_ID)
            .collect();
        // The first round opens the HTTP/1.1 connections (a CONNECT tunnel and a TLS handshake
        // each) that the measured round then reuses, as a running bot does.
        round(&discord, &users).await?;
        let before = server.cpu_time()?;
        let times = round(&discord, &users).await?;
        let used = server.cpu_time()? - before;
        anyhow::Ok((times, used))
    })?;
    times.sort();
    let percentile = |p: f64| {
        let index = ((times.len() as f64 * p).ceil() as usize).clamp(1, times.len()) - 1;
        times
            .get(index)
            .copied()
            .unwrap_or(Duration::ZERO)
            .as_secs_f64()
            * 1000.0
    };
    Ok(vec![
        Figure {
            name: "interaction_ack_p50_ms",
            value: percentile(0.50),
            unit: "ms",
        },
        Figure {
            name: "interaction_ack_p99_ms",
            value: percentile(0.99),
            unit: "ms",
        },
        Figure {
            name: "interaction_cpu_us",
            value: cpu.as_secs_f64() * 1e6 / CONCURRENT as f64,
            unit: "us",
        },
    ])
}

/// Invokes `/help` [`CONCURRENT`] times at once; returns each time to the initial response.
async fn round(discord: &fake::FakeDiscord, users: &[u64]) -> anyhow::Result<Vec<Duration>> {
    let interactions: Vec<_> = (0..CONCURRENT)
        .map(|i| {
            let discord = discord.clone();
            let user = users[i % users.len()];
            tokio::spawn(async move {
                let interaction = discord.invoke(user, "help", &[], "en").await;
                interaction.response().await;
                interaction.acked_after()
            })
        })
        .collect();
    let mut times = Vec::with_capacity(CONCURRENT);
    for handle in interactions {
        times.push(handle.await.context("an interaction task failed")?);
    }
    Ok(times)
}

/// Settings that connect the server under test to the fake Discord (its certificate written to
/// `dir`).
pub(super) fn connect(
    discord: &fake::FakeDiscord,
    guild: &fake::Guild,
    dir: &std::path::Path,
) -> Vec<(String, String)> {
    let ca = dir.join("fake-discord.pem");
    let _ = std::fs::write(&ca, discord.certificate_pem());
    vec![
        ("STAGEHAND_DISCORD_PROXY".into(), discord.api_url()),
        ("STAGEHAND_DISCORD_CA_CERT".into(), ca.display().to_string()),
        (
            "STAGEHAND_DISCORD_TOKEN".into(),
            fake::FakeDiscord::TOKEN.into(),
        ),
        (
            "STAGEHAND_DISCORD_APPLICATION_ID".into(),
            fake::FakeDiscord::APPLICATION_ID.to_string(),
        ),
        ("STAGEHAND_DISCORD_GUILD_ID".into(), guild.id.to_string()),
    ]
}
