//! The osu! league at its two costly moments.
//!
//! - `sync_500_players_s`: one full `league::sync::run` over 500 linked players (every fixture,
//!   unranked and restricted ones too) against the fake osu! on loopback, limited like the real
//!   API (1200/min, burst 200). Every player's pp changed since the last run, so the run also
//!   fetches each one's best score, as a weekly run would. Each run gets a fresh client (a
//!   weekly run outlives the day-long token and the idle connection), so it includes the token
//!   request. The client spaces its requests at 10/s, so the figure is mostly that spacing:
//!   `sync_500_players_requests` says how many requests one run makes. Median of 3 runs.
//! - `show_table_50_ms`: `/show gold` with 50 players in Gold, from the interaction to the reply
//!   handed to Discord: what `bot::league::show` does (the member's language, the table
//!   from the store, drawing and PNG encoding on the blocking pool, the message), plus the
//!   router's `prepare`. Only serenity's conversion to its builders and the HTTP call are
//!   left out. Median of 20 runs after 3 warm-ups.
//! - `season_end_1000_players_ms`, `season_start_1000_players_ms`: the store work of a season's
//!   end and of the next start with 1000 players in three leagues, from the confirmation to the
//!   announcement (`league::transition::run` without osu!, so without the sync that starts an
//!   end; Discord is the outbox's later work). A quarter of the players move at the start.
//!   Median of 3 runs, each on a fresh store.
//! - `sync_20000_players_requests`: the requests one sync makes for 20,000 linked players of
//!   whom 10 % gained pp since the last: a `/users` call per 50 players, and a best-score call
//!   only for each player whose pp changed. One run, at the client's 10 requests a second
//!   (about four minutes).
//! - `challenge_check_1000_players_us`: the eligibility checks of `/challenge` for one pair
//!   (`league::rivalry::check`, §4.2: the parameters, both players, their open challenges, the
//!   pair's history newest first) in a read transaction, with 1000 linked players in Gold and
//!   10,000 past challenges spread over them: declined, revoked while pending, expired, won, and
//!   revoked while accepted, in turn, ten of them between the pair, and the last twenty still
//!   pending or accepted. The pair may challenge each other, so every check runs. Median of
//!   1000 runs after 100 warm-ups. Its own area, `league-challenge`: `cargo xtask bench
//!   challenge` runs only it (seconds), `cargo xtask bench league` with the rest.

use std::time::{Instant, SystemTime, UNIX_EPOCH};

use anyhow::Context as _;
use stagehand::audit::Actor;
use stagehand::bot::{Invocation, Kind, Outcome, Response, Value};
use stagehand::i18n::{self, Catalogue};
use stagehand::league::player::{self, Player, TopPlay, improvement_indicator};
use stagehand::league::rivalry::{self, Ask};
use stagehand::league::standings::{self, Board};
use stagehand::league::transition::{self, Change};
use stagehand::league::{League, Thresholds, season, sync};
use stagehand::outbox::Posted;
use stagehand::outbox::{Embed, Message, prepare};
use stagehand::store::{Store, StoreOptions};

use super::fakes::osu as fake_osu;
use super::{Figure, median};

const SYNC_PLAYERS: usize = 500;
const SYNC_RUNS: usize = 3;
/// osu!'s documented limit: 1200 requests a minute, bursts of up to 200.
const OSU_LIMIT: fake_osu::RateLimit = fake_osu::RateLimit {
    per_second: 20.0,
    burst: 200,
};
/// What every player gains on the fake between two runs.
const PP_GAIN: f64 = 25.0;

const SEASON_PLAYERS: usize = 1000;
const SEASON_RUNS: usize = 3;

const BIG_SYNC_PLAYERS: usize = 20_000;
/// One player in this many gained pp before the big sync.
const BIG_SYNC_CHANGED_EVERY: usize = 10;

const CHECK_PLAYERS: usize = 1000;
const CHECK_CHALLENGES: usize = 10_000;
/// Challenges issued last and left open (half pending, half accepted).
const CHECK_OPEN: usize = 20;
const CHECK_RUNS: usize = 1000;
const CHECK_WARM_UPS: usize = 100;

const SHOW_PLAYERS: usize = 50;
const SHOW_RUNS: usize = 20;
const SHOW_WARM_UPS: usize = 3;
/// The embed colour of `discord::league` (`COLOUR`).
const SHOW_COLOUR: u32 = 0x3B82F6;
/// The attachments one reply may carry (`discord::limits::FILES`).
const FILES: usize = stagehand::outbox::limits::FILES;

pub fn figures() -> anyhow::Result<Vec<Figure>> {
    let dir = std::env::temp_dir().join(format!("stagehand-bench-league-{}", std::process::id()));
    let result = measure(&dir);
    let _ = std::fs::remove_dir_all(&dir);
    result
}

fn measure(dir: &std::path::Path) -> anyhow::Result<Vec<Figure>> {
    std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    let runtime = super::runtime()?;
    let (sync_s, requests) = sync_500(&runtime, dir)?;
    let show_ms = show_gold(&runtime, dir)?;
    let (end_ms, start_ms) = seasons(&runtime, dir)?;
    let big_sync = sync_20000(&runtime, dir)?;
    Ok(vec![
        Figure {
            name: "season_end_1000_players_ms",
            value: end_ms,
            unit: "ms",
        },
        Figure {
            name: "season_start_1000_players_ms",
            value: start_ms,
            unit: "ms",
        },
        Figure {
            name: "sync_20000_players_requests",
            value: big_sync,
            unit: "count",
        },
        Figure {
            name: "sync_500_players_s",
            value: sync_s,
            unit: "s",
        },
        Figure {
            name: "sync_500_players_requests",
            value: requests,
            unit: "count",
        },
        Figure {
            name: "show_table_50_ms",
            value: show_ms,
            unit: "ms",
        },
    ])
}

fn unix_now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64)
}

/// A linked player made from a fixture, placed in the league its rank implies.
fn linked(
    discord_id: u64,
    fixture: &fake_osu::Player,
    league: League,
    future_league: League,
    now: i64,
) -> Player {
    let pp = fixture.pp.round() as u32;
    let top_play = fixture
        .best_scores
        .iter()
        .filter(|s| s.pp.is_some())
        .max_by(|a, b| a.pp.unwrap_or(0.0).total_cmp(&b.pp.unwrap_or(0.0)))
        .map(|s| TopPlay {
            score_id: s.id,
            pp: s.pp.unwrap_or(0.0) as u32,
            title: s.beatmap.title.clone(),
        });
    Player {
        discord_id,
        discord_name: format!("member{discord_id}"),
        osu_id: fixture.id,
        osu_username: fixture.username.clone(),
        pp,
        global_rank: fixture.global_rank,
        play_time_secs: fixture.play_time,
        ii: improvement_indicator(pp, fixture.play_time),
        league,
        future_league,
        initial_pp: pp,
        linked_at: now,
        top_play,
        points: 0,
        seasonal_points: 0,
    }
}

fn link_all(store: &Store, players: &[Player], now: i64) -> anyhow::Result<()> {
    store.write(|w| {
        for p in players {
            player::link(w, p, now)?;
        }
        Ok::<_, player::LinkError>(())
    })?;
    Ok(())
}

/// A scratch store at `path` with `n` fixture players linked, each in the league their rank
/// implies, and the fake osu! that knows them, limited like the real API.
fn synced(
    runtime: &tokio::runtime::Runtime,
    path: &std::path::Path,
    n: usize,
    now: i64,
) -> anyhow::Result<(Store, Vec<fake_osu::Player>, fake_osu::FakeOsu)> {
    let store = Store::open(path, &StoreOptions::default()).context("opening a scratch store")?;
    let fixtures = fake_osu::fixtures::players(n);
    let thresholds = store.read(Thresholds::load)?;
    let players: Vec<Player> = fixtures
        .iter()
        .enumerate()
        .map(|(i, f)| {
            let league = thresholds.league(f.global_rank);
            linked(100_000 + i as u64, f, league, league, now)
        })
        .collect();
    link_all(&store, &players, now)?;
    let osu = runtime.block_on(fake_osu::FakeOsu::start());
    osu.add_players(fixtures.iter().cloned());
    osu.set_rate_limit(Some(OSU_LIMIT));
    Ok((store, fixtures, osu))
}

/// Median seconds of [`SYNC_RUNS`] runs, and the median number of requests per run.
fn sync_500(
    runtime: &tokio::runtime::Runtime,
    dir: &std::path::Path,
) -> anyhow::Result<(f64, f64)> {
    let now = unix_now();
    let (store, fixtures, osu) = synced(runtime, &dir.join("sync.redb"), SYNC_PLAYERS, now)?;
    let base = url::Url::parse(&osu.base_url())?;

    let mut counts = Vec::with_capacity(SYNC_RUNS);
    let seconds = median(SYNC_RUNS, || {
        for f in &fixtures {
            osu.update_player(f.id, |p| p.pp += PP_GAIN);
        }
        let client =
            stagehand::osu::Client::new(&base, fake_osu::CLIENT_ID, fake_osu::CLIENT_SECRET.into());
        let before = osu.requests().len();
        let started = Instant::now();
        let report = runtime.block_on(sync::run(&store, &client, now))?;
        let elapsed = started.elapsed().as_secs_f64();
        let requests = &osu.requests()[before..];
        let limited = requests.iter().filter(|r| r.status == 429).count();
        anyhow::ensure!(
            report.failed == 0 && report.players == SYNC_PLAYERS && limited == 0,
            "the sync did not run cleanly: {report:?}, {limited} answers 429"
        );
        eprintln!(
            "  sync: {elapsed:.1} s, {} requests ({} best-score calls), {report:?}",
            requests.len(),
            requests
                .iter()
                .filter(|r| r.target.contains("/scores/best"))
                .count()
        );
        counts.push(requests.len() as f64);
        Ok(elapsed)
    })?;
    counts.sort_by(f64::total_cmp);
    Ok((seconds, counts[counts.len() / 2]))
}

/// Median milliseconds of a season's end and of the next start with [`SEASON_PLAYERS`] players.
fn seasons(runtime: &tokio::runtime::Runtime, dir: &std::path::Path) -> anyhow::Result<(f64, f64)> {
    let fixtures = fake_osu::fixtures::players(SEASON_PLAYERS);
    let texts = Catalogue::defaults();
    let shown = Posted {
        channel: 1,
        message: 2,
    };
    let mut starts = Vec::with_capacity(SEASON_RUNS);
    let mut run = 0;
    let end_ms = median(SEASON_RUNS, || {
        run += 1;
        let store = Store::open(
            &dir.join(format!("season-{run}.redb")),
            &StoreOptions::default(),
        )
        .context("opening a scratch store")?;
        let now = unix_now();
        let players: Vec<Player> = fixtures
            .iter()
            .enumerate()
            .map(|(i, f)| {
                let league = [League::Bronze, League::Silver, League::Gold][i % 3];
                let future = if i % 4 == 0 { League::Platinum } else { league };
                let mut p = linked(300_000 + i as u64, f, league, future, now);
                p.initial_pp = p.pp.saturating_sub((i as u32 * 37) % 1500);
                p.seasonal_points = (i as i64 * 13) % 40;
                p
            })
            .collect();
        link_all(&store, &players, now)?;
        store.write(|w| season::open(w, now).map(drop))?;
        let timed = |change| -> anyhow::Result<f64> {
            let started = Instant::now();
            store.write(|w| -> anyhow::Result<()> {
                let (id, _) = transition::ask(w, change, 1, now)?;
                transition::answer(w, id, 1, true, shown, i18n::Lang::En, now)?;
                Ok(())
            })?;
            runtime
                .block_on(transition::run(&store, None, &texts, now, &mut || {}))?
                .context("a season change")?;
            Ok(started.elapsed().as_secs_f64() * 1000.0)
        };
        let end = timed(Change::End)?;
        starts.push(timed(Change::Start)?);
        anyhow::ensure!(
            store.read(season::current)? == Some(2),
            "the next season did not start"
        );
        eprintln!(
            "  seasons: end {end:.1} ms, start {:.1} ms",
            starts[starts.len() - 1]
        );
        Ok(end)
    })?;
    starts.sort_by(f64::total_cmp);
    Ok((end_ms, starts[starts.len() / 2]))
}

/// The requests of one sync of [`BIG_SYNC_PLAYERS`] players, one in
/// [`BIG_SYNC_CHANGED_EVERY`] of whom gained pp.
fn sync_20000(runtime: &tokio::runtime::Runtime, dir: &std::path::Path) -> anyhow::Result<f64> {
    let now = unix_now();
    let path = dir.join("sync-20000.redb");
    let (store, fixtures, osu) = synced(runtime, &path, BIG_SYNC_PLAYERS, now)?;
    for f in fixtures.iter().step_by(BIG_SYNC_CHANGED_EVERY) {
        osu.update_player(f.id, |p| p.pp += PP_GAIN);
    }
    let base = url::Url::parse(&osu.base_url())?;
    let client =
        stagehand::osu::Client::new(&base, fake_osu::CLIENT_ID, fake_osu::CLIENT_SECRET.into());
    let before = osu.requests().len();
    let report = runtime.block_on(sync::run(&store, &client, now))?;
    let requests = &osu.requests()[before..];
    let api = requests
        .iter()
        .filter(|r| r.target.contains("/api/v2/"))
        .count();
    eprintln!(
        "  sync of {BIG_SYNC_PLAYERS}: {} requests ({api} to the API, {} best-score calls), {report:?}",
        requests.len(),
        requests
            .iter()
            .filter(|r| r.target.contains("/scores/best"))
            .count()
    );
    anyhow::ensure!(
        report.failed == 0,
        "the sync did not run cleanly: {report:?}"
    );
    Ok(api as f64)
}

/// Median milliseconds of `/show gold`'s work with [`SHOW_PLAYERS`] players in Gold.
fn show_gold(runtime: &tokio::runtime::Runtime, dir: &std::path::Path) -> anyhow::Result<f64> {
    let store = Store::open(&dir.join("show.redb"), &StoreOptions::default())
        .context("opening a scratch store")?;
    let now = unix_now();
    let thresholds = store.read(Thresholds::load)?;
    // Real names and pp from the fixtures; everyone plays in Gold this season, some gained pp
    // since they entered it and some lost.
    let players: Vec<Player> = fake_osu::fixtures::players(SHOW_PLAYERS)
        .iter()
        .enumerate()
        .map(|(i, f)| {
            let mut p = linked(
                200_000 + i as u64,
                f,
                League::Gold,
                thresholds.league(f.global_rank),
                now,
            );
            let change = (i as i64 * 137) % 600 - 200;
            p.initial_pp = (i64::from(p.pp) - change).clamp(0, i64::from(u32::MAX)) as u32;
            p
        })
        .collect();
    link_all(&store, &players, now)?;
    let texts = Catalogue::open(&store)?;
    let inv = Invocation {
        user: players[0].discord_id,
        user_name: players[0].discord_name.clone(),
        roles: Vec::new(),
        administrator: false,
        locale: "en-US".into(),
        channel: 1,
        kind: Kind::Command {
            path: vec!["show".into()],
            options: vec![("table".into(), Value::Str("gold".into()))],
        },
    };

    // `discord::league::show` and the router's `prepare`, step by step.
    let answer = || -> anyhow::Result<usize> {
        runtime.block_on(async {
            let preference = store.read(|r| i18n::preference(r, inv.user))?;
            let choice = i18n::detect(preference, Some(&inv.locale), false);
            let lang = choice.lang;
            let typed = inv.str_option("table").unwrap_or_default();
            anyhow::ensure!(!typed.trim().eq_ignore_ascii_case("ranker"));
            let board = Board::parse(typed).context("the board")?;
            let text = |key: &str| texts.render(lang, key, &[]);
            let table = store
                .read(|r| standings::build(r, board, &text))?
                .context("an empty table")?;
            anyhow::ensure!(
                table.rows.len() == SHOW_PLAYERS,
                "{} rows",
                table.rows.len()
            );
            let title = table.title.clone();
            let pages =
                tokio::task::spawn_blocking(move || stagehand::render::table(&table)).await??;
            let mut message = Message::embed(Embed {
                title,
                color: SHOW_COLOUR,
                image: Some("table.png".into()),
                ..Embed::default()
            });
            for (n, page) in pages.into_iter().take(FILES).enumerate() {
                let name = if n == 0 {
                    "table.png".to_string()
                } else {
                    format!("table-{}.png", n + 1)
                };
                message = message.with_file(name, page.bytes);
            }
            let Outcome { response, .. } = Outcome::reply(message);
            let Response::Message(message) = response else {
                anyhow::bail!("a reply that is not a message");
            };
            let parts = prepare(message)?;
            Ok(parts
                .iter()
                .flat_map(|p| &p.files)
                .map(|f| f.bytes.len())
                .sum())
        })
    };
    for _ in 0..SHOW_WARM_UPS {
        std::hint::black_box(answer()?);
    }
    median(SHOW_RUNS, || {
        let started = Instant::now();
        std::hint::black_box(answer()?);
        Ok(started.elapsed().as_secs_f64() * 1000.0)
    })
}

/// The `league-challenge` area: [`challenge_check`] alone.
pub fn challenge_figures() -> anyhow::Result<Vec<Figure>> {
    let dir =
        std::env::temp_dir().join(format!("stagehand-bench-challenge-{}", std::process::id()));
    std::fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
    let result = challenge_check(&dir);
    let _ = std::fs::remove_dir_all(&dir);
    Ok(vec![Figure {
        name: "challenge_check_1000_players_us",
        value: result?,
        unit: "us",
    }])
}

/// Median microseconds of `rivalry::check` for one pair, with [`CHECK_PLAYERS`] players and
/// [`CHECK_CHALLENGES`] past challenges.
fn challenge_check(dir: &std::path::Path) -> anyhow::Result<f64> {
    let store = Store::open(&dir.join("challenges.redb"), &StoreOptions::default())
        .context("opening a scratch store")?;
    let texts = Catalogue::defaults();
    let day = 86_400;
    let t0 = unix_now() - (CHECK_CHALLENGES as i64 + 1) * day;
    let players: Vec<Player> = fake_osu::fixtures::players(CHECK_PLAYERS)
        .iter()
        .enumerate()
        .map(|(i, f)| linked(400_000 + i as u64, f, League::Gold, League::Gold, t0))
        .collect();
    link_all(&store, &players, t0)?;
    let id = |i: usize| players[i].discord_id;
    // One challenge a day, so a pair meeting again is past its day of waiting.
    for chunk in (0..CHECK_CHALLENGES).collect::<Vec<_>>().chunks(1000) {
        store.write(|w| -> anyhow::Result<()> {
            for &k in chunk {
                let now = t0 + k as i64 * day;
                let round = k / CHECK_PLAYERS;
                let (challenger, target) = if k % CHECK_PLAYERS == 500 + round {
                    // The measured pair, either way round.
                    if round.is_multiple_of(2) {
                        (0, 1)
                    } else {
                        (1, 0)
                    }
                } else {
                    let c = k % CHECK_PLAYERS;
                    (c, (c + 1 + 13 * round) % CHECK_PLAYERS)
                };
                let ask = Ask {
                    challenger: id(challenger),
                    target: id(target),
                    target_is_bot: false,
                    pp: 300,
                };
                let issued = rivalry::issue(w, &texts, &ask, now)
                    .map_err(|e| anyhow::anyhow!("challenge {k}: {e}"))?;
                let answer = |w: &mut stagehand::store::Writer, accept| {
                    rivalry::answer(w, &texts, issued, ask.target, accept, now)
                        .map(drop)
                        .map_err(|e| anyhow::anyhow!("challenge {k}: {e}"))
                };
                if k >= CHECK_CHALLENGES - CHECK_OPEN {
                    if k % 2 == 1 {
                        answer(w, true)?;
                    }
                    continue;
                }
                match k % 5 {
                    0 => answer(w, false)?,
                    1 => {
                        rivalry::revoke_pending(w, &texts, ask.challenger, ask.target, now)
                            .map_err(|e| anyhow::anyhow!("challenge {k}: {e}"))?;
                    }
                    2 => {
                        anyhow::ensure!(rivalry::expire_due(w, &texts, now + day / 2)? == 1);
                    }
                    3 => {
                        answer(w, true)?;
                        let mut p = player::get(w, ask.target)?.context("the target")?;
                        p.pp += 300;
                        player::update(w, &p)?;
                        anyhow::ensure!(rivalry::decide(w, &texts, now)? == [issued]);
                    }
                    _ => {
                        answer(w, true)?;
                        rivalry::revoke_all(w, &texts, ask.target, Actor::Bot, now)?;
                    }
                }
            }
            Ok(())
        })?;
    }
    let ask = Ask {
        challenger: id(0),
        target: id(1),
        target_is_bot: false,
        pp: 300,
    };
    let now = t0 + CHECK_CHALLENGES as i64 * day;
    let between = store
        .read(|r| rivalry::of_player(r, id(0)))?
        .into_iter()
        .filter(|(_, c)| c.challenger.discord_id == id(1) || c.target.discord_id == id(1))
        .count();
    anyhow::ensure!(between >= 10, "{between} challenges between the pair");
    let check = || -> anyhow::Result<()> {
        store
            .read(|r| Ok::<_, stagehand::store::StoreError>(rivalry::check(r, &ask, now)))?
            .map(drop)
            .map_err(|e| anyhow::anyhow!("the pair may not challenge: {e}"))
    };
    for _ in 0..CHECK_WARM_UPS {
        check()?;
    }
    median(CHECK_RUNS, || {
        let started = Instant::now();
        std::hint::black_box(check()?);
        Ok(started.elapsed().as_secs_f64() * 1e6)
    })
}
