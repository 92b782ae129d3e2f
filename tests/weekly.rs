//! The weekly winners end to end: players linked in two leagues, the real server's scheduler on
//! its manual clock, the fake osu! moving their pp and the fake Discord showing what reaches
//! `bot_updates`. At Monday 00:00 in Chicago (not an hour earlier, though summer time ended the
//! day before) each league's biggest gainer of the week is announced once with their points; a
//! restart just after that midnight announces nothing again; a server that was off for three
//! Mondays judges once when it is back; off-season, the notice is posted instead.

use std::time::Duration;

use serde_json::json;

use stagehand::audit::{self, Index, Position};
use stagehand::league::{League, player, season, weekly};
use stagehand::store::{Store, StoreOptions};

use crate::support::discord::{Channel, FakeDiscord, Guild, Message};
use crate::support::osu::{FakeOsu, fixtures};
use crate::support::{self, FAKE_CLOCK_START, Server};

/// Monday 2026-11-02 00:00 in Chicago: 06:00 UTC, 30 hours after the manual clock starts
/// (Sunday 00:00 UTC, the evening before; summer time ends at 02:00 that Sunday).
const MONDAY: i64 = FAKE_CLOCK_START + 30 * 3_600;
const WEEK: i64 = 7 * 86_400;
/// `sync.interval` by default.
const SYNC_INTERVAL: i64 = 15 * 60;

/// Who plays: a member of the sample guild and the fake osu! player (by fixture index) they
/// linked. 8 and 9 are Gold (ranks 30,000 and 79,999), 6 and 7 Platinum (10,000 and 29,999).
const PLAYERS: [(&str, usize); 4] = [("anna", 8), ("kira", 9), ("max", 6), ("ivan", 7)];

struct Weekly {
    guild: Guild,
    discord: FakeDiscord,
    osu: FakeOsu,
    env: Vec<(String, String)>,
    dir: tempfile::TempDir,
    /// How many times a server started on this data directory.
    boots: usize,
}

impl Weekly {
    /// A store with [`PLAYERS`] linked an hour before the clock starts (so during the week that
    /// ends on [`MONDAY`]), max reading Russian, and season 1 on when `in_season`; the fakes;
    /// no server yet.
    async fn prepare(in_season: bool) -> Weekly {
        let mut guild = Guild::sample();
        let base = guild.channel("general");
        guild.channels.push(Channel {
            id: base + (60 << 22),
            name: "bot-updates".into(),
        });
        let discord = FakeDiscord::start(guild.clone()).await;
        let osu = FakeOsu::start().await;
        osu.add_players(fixtures::players(16));
        let dir = tempfile::tempdir().unwrap();
        let env = support::league_env(dir.path(), &discord, &guild, &osu);
        let weekly = Weekly {
            guild,
            discord,
            osu,
            env,
            dir,
            boots: 0,
        };
        let store = weekly.store();
        let thresholds = store.read(stagehand::league::Thresholds::load).unwrap();
        store
            .write(|w| {
                if in_season {
                    season::open(w, FAKE_CLOCK_START - 86_400)?;
                }
                for (name, index) in PLAYERS {
                    let p = fixtures::players(16).swap_remove(index);
                    let best = p
                        .best_scores
                        .iter()
                        .max_by(|a, b| a.pp.partial_cmp(&b.pp).unwrap());
                    let league = thresholds.league(p.global_rank);
                    let pp = p.pp.round() as u32;
                    let linked_at = FAKE_CLOCK_START - 3_600;
                    let row = player::Player {
                        discord_id: weekly.guild.user(name),
                        discord_name: name.into(),
                        osu_id: p.id,
                        osu_username: p.username.clone(),
                        pp,
                        global_rank: p.global_rank,
                        play_time_secs: p.play_time,
                        ii: player::improvement_indicator(pp, p.play_time),
                        league,
                        future_league: league,
                        initial_pp: pp,
                        linked_at,
                        top_play: best.map(|s| player::TopPlay {
                            score_id: s.id,
                            pp: s.pp.unwrap_or(0.0) as u32,
                            title: s.beatmap.title.clone(),
                        }),
                        points: 0,
                        seasonal_points: 0,
                    };
                    match player::link(w, &row, linked_at) {
                        Ok(()) => {}
                        Err(player::LinkError::Store(err)) => return Err(err),
                        Err(other) => panic!("{other}"),
                    }
                }
                let max = weekly.guild.user("max");
                stagehand::i18n::set_preference(w, max, stagehand::i18n::Lang::Ru, 0)
            })
            .unwrap();
        weekly
    }

    /// The store, while no server runs.
    fn store(&self) -> Store {
        let data = self.dir.path().join("data");
        std::fs::create_dir_all(&data).unwrap();
        Store::open(&data.join("stagehand.redb"), &StoreOptions::default()).unwrap()
    }

    /// Starts the server with its manual clock at `clock` and waits until the bot is ready.
    async fn boot(&mut self, clock: i64) -> Server {
        let clock = clock.to_string();
        let mut pairs: Vec<(&str, &str)> = self
            .env
            .iter()
            .filter(|(k, _)| k != stagehand::clock::FAKE_CLOCK_ENV)
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        pairs.push((stagehand::clock::FAKE_CLOCK_ENV, &clock));
        let server = Server::start(self.dir.path(), &pairs);
        self.boots += 1;
        let boots = self.boots;
        self.discord
            .wait_until("the bot identifies", |f| f.identifies() >= boots)
            .await;
        self.discord.wait_ready().await;
        server
    }

    fn bot_updates(&self) -> Vec<Message> {
        self.discord
            .messages(self.discord.channel_named("bot-updates"))
    }

    async fn wait_bot_updates(&self, count: usize) -> Vec<Message> {
        let channel = self.discord.channel_named("bot-updates");
        self.discord.wait_messages(channel, count).await
    }

    /// Adds `pp` to the fake osu! player of member `name`.
    fn gain(&self, name: &str, pp: f64) {
        let index = PLAYERS.iter().find(|(n, _)| *n == name).unwrap().1;
        let id = fixtures::players(16)[index].id;
        self.osu.update_player(id, |p| p.pp += pp);
    }

    fn id(&self, name: &str) -> u64 {
        self.guild.user(name)
    }

    /// (universal, seasonal) points of member `name`, read while no server runs.
    fn points(&self, store: &Store, name: &str) -> (i64, i64) {
        let p = store
            .read(|r| player::get(r, self.id(name)))
            .unwrap()
            .unwrap();
        (p.points, p.seasonal_points)
    }
}

/// How many syncs a server's scheduler finished (`league::sync` logs `sync: done`).
fn syncs(server: &Server) -> usize {
    server.stderr().matches("sync: done").count()
}

/// How many times a server's scheduler started the weekly job.
fn weekly_runs(server: &Server) -> usize {
    server
        .stderr()
        .lines()
        .filter(|l| l.contains("job started") && l.contains("weekly_winners"))
        .count()
}

/// The `WEEKLY_WINNERS` events, as summaries.
fn weekly_events(store: &Store) -> Vec<String> {
    let all = Position::at_time(i64::MIN);
    store
        .read(|r| {
            audit::query(
                r,
                Index::Kind(audit::EventKind::WeeklyWinners),
                all,
                i64::MAX,
                usize::MAX,
            )
        })
        .unwrap()
        .into_iter()
        .map(|(_, e)| e.summary())
        .collect()
}

/// Lets the scheduler loop go round a few times (it looks every 500 ms).
async fn a_few_ticks() {
    tokio::time::sleep(Duration::from_millis(1_500)).await;
}

#[tokio::test]
async fn each_league_s_biggest_gainer_of_the_week_is_announced_once_at_monday_midnight_in_chicago()
{
    let mut w = Weekly::prepare(true).await;
    let server = w.boot(FAKE_CLOCK_START).await;
    support::eventually("the start-up sync", || syncs(&server) == 1).await;

    // During the week: anna and kira (Gold) both gain 150 pp, max (Platinum) 80 and ivan
    // (Platinum) loses 20.
    w.gain("anna", 150.0);
    w.gain("kira", 150.0);
    w.gain("max", 80.0);
    w.gain("ivan", -20.0);

    // 05:59:59 UTC, Monday 00:59:59 by summer time, which ended the day before: the sync runs,
    // the weekly winners do not.
    server.advance_clock(MONDAY - 1 - FAKE_CLOCK_START).await;
    support::eventually("the second sync", || syncs(&server) == 2).await;
    a_few_ticks().await;
    assert_eq!(weekly_runs(&server), 0, "{}", server.stderr());
    assert!(w.bot_updates().is_empty());

    // Monday 00:00 in Chicago.
    server.advance_clock(1).await;
    let posts = w.wait_bot_updates(3).await;
    let (anna, kira, max) = (w.id("anna"), w.id("kira"), w.id("max"));
    let gold = |id: u64| {
        format!(
            "🏆 Weekly Winner: Gold\nCongratulations <@{id}>! You gained the most pp this week \
             (+150) and have been awarded +100 points.\n> Total Points: 100\n> Seasonal Points: \
             100"
        )
    };
    // Lowest league first; kira's Discord id is the lower of the tied two.
    assert_eq!(posts[0].content, gold(kira));
    assert_eq!(posts[1].content, gold(anna));
    assert_eq!(
        posts[2].content,
        format!(
            "🏆 Победитель недели: лига «Платина»\nПоздравляем, <@{max}>! За неделю вы набрали \
             больше всех pp (+80) и получаете +100 очков.\n> Всего очков: 100\n> Очков за сезон: \
             100"
        ),
        "in max's language"
    );
    assert_eq!(posts[0].pinged.users, [kira], "the winner is pinged");
    assert_eq!(weekly_runs(&server), 1);

    // The server restarts 30 seconds after midnight; anna keeps playing meanwhile.
    server.stop();
    let store = w.store();
    assert_eq!(w.points(&store, "kira"), (100, 100));
    assert_eq!(w.points(&store, "max"), (100, 100));
    assert_eq!(w.points(&store, "ivan"), (0, 0));
    let history = store
        .read(|r| stagehand::league::points::history(r, anna))
        .unwrap();
    assert_eq!(history.len(), 1);
    assert_eq!(
        history[0].source,
        stagehand::league::points::Source::WeeklyWinner
    );
    let judged = store.read(weekly::last_judged).unwrap().unwrap();
    assert_eq!(judged.week_end, MONDAY);
    let baseline = store.read(|r| weekly::baseline(r, anna)).unwrap().unwrap();
    let now = store.read(|r| player::get(r, anna)).unwrap().unwrap();
    assert_eq!(baseline.pp, now.pp, "the next week counts from here");
    assert_eq!(weekly_events(&store).len(), 1);
    drop(store);
    w.gain("anna", 40.0);
    let server = w.boot(MONDAY + 30).await;
    // Once a sync has run, the loop has looked at every job: the week is not judged again.
    server.advance_clock(SYNC_INTERVAL).await;
    support::eventually("a sync after the restart", || syncs(&server) == 1).await;
    a_few_ticks().await;
    assert_eq!(weekly_runs(&server), 0, "{}", server.stderr());
    assert_eq!(w.bot_updates().len(), 3, "nothing announced again");
    server.stop();
    let store = w.store();
    assert_eq!(w.points(&store, "anna"), (100, 100));
    assert_eq!(weekly_events(&store).len(), 1);
    drop(store);

    // Off for three Mondays (9, 16 and 23 November); back on the 23rd at noon UTC. ivan gained
    // 60 meanwhile, max 10; anna's 40 from before count too.
    w.gain("ivan", 60.0);
    w.gain("max", 10.0);
    let back = MONDAY + 3 * WEEK + 6 * 3_600;
    let server = w.boot(back).await;
    let posts = w.wait_bot_updates(5).await;
    let ivan = w.id("ivan");
    assert!(
        posts[3].content.contains(&format!(
            "<@{anna}>! You gained the most pp this week (+40)"
        )),
        "{}",
        posts[3].content
    );
    assert!(
        posts[3]
            .content
            .ends_with("> Total Points: 200\n> Seasonal Points: 200")
    );
    assert!(
        posts[4].content.contains(&format!(
            "<@{ivan}>! You gained the most pp this week (+60)"
        )),
        "{}",
        posts[4].content
    );
    a_few_ticks().await;
    assert_eq!(weekly_runs(&server), 1, "once, not once per missed Monday");
    assert_eq!(w.bot_updates().len(), 5);
    server.stop();
    let store = w.store();
    let events = weekly_events(&store);
    assert_eq!(events.len(), 2, "{events:?}");
    assert!(
        events[1].contains(&format!(
            "week_end={} season=1 winners=2 players=4",
            MONDAY + 3 * WEEK
        )),
        "{}",
        events[1]
    );
    assert_eq!(w.points(&store, "max"), (100, 100));
}

#[tokio::test]
async fn off_season_the_notice_is_posted_and_nobody_gets_points() {
    let mut w = Weekly::prepare(false).await;
    let server = w.boot(FAKE_CLOCK_START).await;
    support::eventually("the start-up sync", || syncs(&server) == 1).await;
    w.gain("anna", 500.0);
    // The sync first (any first due time the scheduler stores before Monday is that Monday),
    // then Monday 00:00 in Chicago.
    server.advance_clock(MONDAY - 1 - FAKE_CLOCK_START).await;
    support::eventually("the second sync", || syncs(&server) == 2).await;
    a_few_ticks().await;
    assert!(w.bot_updates().is_empty());
    server.advance_clock(1).await;
    let posts = w.wait_bot_updates(1).await;
    assert_eq!(
        posts[0].content,
        "⚠ Off-season: currently off season, no points awarded this week."
    );
    a_few_ticks().await;
    assert_eq!(w.bot_updates().len(), 1);
    server.stop();
    let store = w.store();
    assert_eq!(w.points(&store, "anna"), (0, 0));
    let anna = store
        .read(|r| player::get(r, w.id("anna")))
        .unwrap()
        .unwrap();
    let baseline = store
        .read(|r| weekly::baseline(r, anna.discord_id))
        .unwrap();
    assert_eq!(
        baseline.map(|b| b.pp),
        Some(anna.pp),
        "baselines still move on"
    );
    assert_eq!(
        weekly_events(&store),
        [format!(
            "WEEKLY_WINNERS by bot: week_end={MONDAY} winners=0 players=4"
        )]
    );
    assert_eq!(anna.league, League::Gold);
}

#[tokio::test]
async fn an_admin_sets_the_zone_by_its_iana_name_and_garbage_is_refused_in_their_language() {
    let s = support::Connected::start(Guild::sample()).await;
    let ask = |value: &str, locale: &'static str| {
        let options = vec![
            ("parameter", json!("league.weekly_time_zone")),
            ("new_value", json!(value)),
        ];
        let fake = s.fake.clone();
        let owner = s.guild.owner;
        async move {
            let reply = fake
                .invoke(owner, "parameter set", &options, locale)
                .await
                .response()
                .await;
            assert!(reply.ephemeral);
            reply.content
        }
    };
    assert_eq!(
        ask("Chicago", "en-US").await,
        "`Chicago` is not a time zone. Give its IANA name, such as `America/Chicago`, \
         `Europe/Moscow` or `UTC`. Nothing was changed."
    );
    assert_eq!(
        ask("UTC+3", "ru").await,
        "`UTC+3` — не часовой пояс. Укажите его имя IANA, например `America/Chicago`, \
         `Europe/Moscow` или `UTC`. Ничего не изменено."
    );
    assert_eq!(ask("europe/moscow", "en-US").await, "Done.");
    let described = s
        .fake
        .invoke(
            s.guild.owner,
            "parameter describe",
            &[("parameter", json!("league.weekly_time_zone"))],
            "en-US",
        )
        .await
        .response()
        .await;
    assert!(
        described
            .content
            .ends_with("Default: `America/Chicago`\nCurrent: `Europe/Moscow`"),
        "{}",
        described.content
    );
    assert!(
        described
            .content
            .contains("Type: a time zone by its IANA name"),
        "{}",
        described.content
    );
    s.server.stop();
}
