//! End-to-end tests: one test binary (`autotests = false`), one module per capability, sharing
//! the harness in `support/`. Each test runs the real `stagehand` binary or its library against
//! temporary data directories and real TLS on loopback.

#![allow(clippy::unwrap_used)] // a panic is how a test fails

mod support;

/// Certificates by ACME against Pebble: issued, served, renewed on the clock, kept when renewal fails.
mod acme;
/// Administration end to end: permissions, parameters, routes, texts, help topics.
mod admin;
/// Backups while serving, restores, retention, refusing foreign and newer stores.
mod backup;
/// `/backup save` (a copy without secrets posted) and `/backup load` under the running server.
mod backup_discord;
/// Command-line usage, `version`, `check`, start-up failures.
mod cli;
/// The Control Panel API on stream, driven over HTTPS as the panel does; fuzzed from its document.
mod control_panel;
/// Cooldowns and bans end to end: `/usercd`, `/levelcd`, permissions, expiry, bad input.
mod cooldowns;
/// The Discord shell end to end against the fake Discord.
mod discord;
/// The fake Discord, driven by serenity itself: REST limits and errors, faults, gateway, interactions.
mod fake_discord;
/// The fake osu! API and fake GD server, checked against the real services' behaviour.
mod fakes;
/// Fault injection during the request and league stories: nothing lost, nothing twice, no storm.
mod faults;
/// The GD client against the fake GD server: parsing, not found versus failure, cache, wire.
mod gd_client;
/// Moving in from the original bots: a Request Bot database and a real PostgreSQL dump of
/// osu!Arena imported, checked through the API and on the fakes; refusals change nothing.
mod import;
/// The osu! league: linking through the built-in sign-in page, roles, `/show`, sync.
mod league;
/// The event log browser: filters by member, type and typed fields, pages, jumps, saved
/// filters behind confirmations, across a restart; every refusal changes nothing.
mod log;
/// Stores written by earlier releases, migrated and read back: `fixtures/`, one file per schema.
mod migrations;
/// The osu! API client against the fake osu!: code exchange, batches, tokens, 429s, faults.
mod osu_client;
/// The release path: the static dist binary in an empty root, `update` against a fake feed, restart.
mod release;
/// Pictures: golden tables and charts, hostile input.
mod render;
/// The report charts on known data: the PNGs read back (values, closed days, thresholds,
/// donut), no data, bad dates, permissions.
mod reports;
/// The GD request desk end to end: requests, opinions, resolutions, the queue, refusals.
mod requests;
/// Rivalries: challenges issued, answered from a DM, won once on the syncs, expired across restarts, revoked.
mod rivalries;
/// Seasons: ending and starting them behind a prompt, their jobs surviving SIGKILL, `/archived`, `/delete`.
mod seasons;
/// TLS, HTTP versions, health and metrics, redirects, PEM certificates, idle and greedy clients, shutdown.
mod server;
/// The first-run setup link and form.
mod setup;
/// The crash soak: a write-heavy mix, SIGKILLed 100 times; nothing acknowledged is lost, nothing sent twice.
mod soak;
/// Module docs, layering invariants, docs that list every setting.
mod tidy;
/// `testssl.sh` against `serve`: nothing above LOW but the self-signed certificate's trust.
mod tls_scan;
/// Top plays found by the sync (points once, announced once) and `/points`, end to end.
mod top_plays;
/// The trainee programme end to end: practice reviews, assessments, feedback threads, promotion
/// and expulsion, refusals, a restart; `/reviews level` and `/reviews user`, paged.
mod trainees;
/// The weekly winners: chosen by the scheduler at Monday 00:00 in the configured zone, announced
/// once across restarts and downtime; the off-season notice.
mod weekly;
