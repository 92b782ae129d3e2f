//! Interaction latency: the release binary connected to the fake Discord (loopback), answering
//! bursts of 200 concurrent `/help` invocations. `interaction_ack_p50_ms` / `_p99_ms` are the
//! times from the fake sending INTERACTION_CREATE to the initial response reaching it, over
//! [`ROUNDS`] bursts; `interaction_cpu_us` is the bot's own CPU time per interaction and
//! `interaction_fake_cpu_us` the fake's, spent on the same cores while the bursts run.

use std::time::Duration;

use super::Figure;
use super::startup::{Run, build, cpu_time};

#[path = "../../../tests/support/discord/mod.rs"]
#[allow(dead_code)] // the fake's API is wider than the benchmarks need
pub(super) mod fake;

const CONCURRENT: usize = 200;
/// Measured bursts: one burst gives 200 times, too few for a steady 99th percentile.
const ROUNDS: usize = 50;

pub fn figures() -> anyhow::Result<Vec<Figure>> {
    let binary = build()?;
    let runtime = super::runtime()?;
    // On a worker thread, like the rest of the fake: the main thread would be a third busy
    // thread on two cores, and its context switches would be measured too.
    let mut total = runtime.block_on(runtime.spawn(measure(binary)))??;
    total.times.sort();
    let times = &total.times;
    let percentile = |p: f64| {
        let index = ((times.len() as f64 * p).ceil() as usize).clamp(1, times.len()) - 1;
        times
            .get(index)
            .copied()
            .unwrap_or(Duration::ZERO)
            .as_secs_f64()
            * 1000.0
    };
    let per_interaction = |cpu: Duration| cpu.as_secs_f64() * 1e6 / times.len().max(1) as f64;
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
            value: per_interaction(total.bot_cpu),
            unit: "us",
        },
        Figure {
            name: "interaction_fake_cpu_us",
            value: per_interaction(total.fake_cpu),
            unit: "us",
        },
    ])
}

/// Starts the server on the fake Discord and runs the bursts.
async fn measure(binary: std::path::PathBuf) -> anyhow::Result<Round> {
    let guild = fake::Guild::sample();
    let discord = fake::FakeDiscord::start(guild.clone()).await;
    let settings = |dir: &std::path::Path| connect(&discord, &guild, dir);
    let server = Run::start_with(&binary, settings)?;
    discord.wait_ready().await;
    discord
        .wait_until("command registration", |d| d.command_registrations() == 1)
        .await;
    let users = members(&guild);
    // The first burst opens the connection (a CONNECT tunnel and a TLS handshake) that the
    // measured ones then reuse, as a running bot does.
    round(&discord, &server, &users).await?;
    let mut total = Round::default();
    for _ in 0..ROUNDS {
        let measured = round(&discord, &server, &users).await?;
        total.times.extend(measured.times);
        total.bot_cpu += measured.bot_cpu;
        total.fake_cpu += measured.fake_cpu;
        // Lets the last burst's connections settle before the next one.
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    anyhow::Ok(total)
}

#[derive(Default)]
struct Round {
    /// From sending each interaction to its initial response.
    times: Vec<Duration>,
    bot_cpu: Duration,
    fake_cpu: Duration,
}

/// Invokes `/help` [`CONCURRENT`] times at once and waits for every initial response.
///
/// The events are composed before the clock starts, and one waiter watches for the answers: a
/// waiter per interaction would be woken by every change to the fake's state, and those wake-ups
/// would compete with the bot for the same two cores.
async fn round(discord: &fake::FakeDiscord, server: &Run, users: &[u64]) -> anyhow::Result<Round> {
    let composed: Vec<_> = (0..CONCURRENT)
        .map(|i| discord.compose(users[i % users.len()], "help", &[], "en"))
        .collect();
    let (bot, fake) = (server.cpu_time()?, cpu_time(std::process::id())?);
    let interactions: Vec<_> = composed.into_iter().map(fake::Composed::send).collect();
    let mut answered = 0;
    discord
        .wait_until("every /help answered", |_| {
            while interactions
                .get(answered)
                .is_some_and(|i| i.initial_kind() != 0)
            {
                answered += 1;
            }
            answered == interactions.len()
        })
        .await;
    let measured = Round {
        bot_cpu: server.cpu_time()? - bot,
        fake_cpu: cpu_time(std::process::id())? - fake,
        times: interactions.iter().map(|i| i.acked_after()).collect(),
    };
    discord.forget(interactions);
    Ok(measured)
}

/// The guild's members other than the bot.
pub(super) fn members(guild: &fake::Guild) -> Vec<u64> {
    guild
        .members
        .iter()
        .map(|m| m.id)
        .filter(|id| *id != fake::FakeDiscord::APPLICATION_ID)
        .collect()
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
