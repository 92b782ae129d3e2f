//! Seasons end to end (osu-arena §2.4, §2.8–2.11, §6): `/season_end` and `/season_start` behind
//! a Confirm / Cancel prompt that only its invoker may answer for 30 s, the job each starts in
//! the scheduler (points, archives, transfers with their role swaps, announcements), `/archived`,
//! `/delete`, the off-season rules — and a season change killed (SIGKILL) between its phases,
//! which resumes at the next start without awarding twice or skipping anything.

use std::path::{Path, PathBuf};

use serde_json::{Value, json};
use stagehand::audit::{self, EventKind, Index, Position};
use stagehand::league::League::{self as Tier, Bronze, Gold, Platinum, Silver};
use stagehand::league::player::{self, Player};
use stagehand::league::points::{self, Source};
use stagehand::league::season;
use stagehand::league::transition::season_end_points;
use stagehand::store::{Store, StoreOptions};

use crate::support::discord::{Channel, FakeDiscord, Guild, Member, Message};
use crate::support::osu::{self, FakeOsu};
use crate::support::{self, Server};

/// The time the seeded players linked (before the fake clock's start).
const LINKED: i64 = support::FAKE_CLOCK_START - 30 * 86_400;

/// One seeded player: league now, league their rank implies, pp at the season's start, pp now
/// (what osu! says at season end), seasonal points so far.
#[derive(Clone, Copy)]
struct Seed {
    league: Tier,
    future: Tier,
    initial: u32,
    pp: u32,
    seasonal: i64,
}

/// The global rank that puts a player in `league` by the default thresholds.
fn rank_in(league: Tier) -> u32 {
    match league {
        Tier::Novice => 300_000,
        Bronze => 200_000,
        Silver => 100_000,
        Gold => 50_000,
        Platinum => 20_000,
        Tier::Diamond => 5_000,
        Tier::Elite => 2_000,
        Tier::Master => 500,
    }
}

/// `n` players in Gold, Silver and Bronze with gains from a loss to over 1000 pp; every fourth
/// has climbed (or fallen) into another league.
fn seeds(n: usize) -> Vec<Seed> {
    (0..n)
        .map(|i| {
            let league = [Gold, Silver, Bronze][i % 3];
            let future = match i % 4 {
                0 if league == Gold => Platinum,
                0 if league == Silver => Gold,
                0 => Silver,
                _ => league,
            };
            let initial = 3000 + 37 * i as u32;
            let gain = [-20, 0, 57, 100, 150, 250, 999, 1500][i % 8];
            Seed {
                league,
                future,
                initial,
                pp: initial.saturating_add_signed(gain),
                seasonal: (i as i64 * 13) % 40,
            }
        })
        .collect()
}

fn discord_id(i: usize) -> u64 {
    900_000_000_000_000_000 + i as u64
}

fn osu_id(i: usize) -> u64 {
    20_000_000 + i as u64
}

/// A league of `n` seeded players with season 1 on: Stagehand's store, the fake Discord (each
/// player a member with their league's role) and the fake osu! (each at their pp now).
struct Arena {
    guild: Guild,
    discord: FakeDiscord,
    _osu: FakeOsu,
    server: Option<Server>,
    env: Vec<(String, String)>,
    dir: tempfile::TempDir,
    seeds: Vec<Seed>,
}

impl Arena {
    /// With `synced`, Stagehand already has everyone's pp now (its season-end sync changes
    /// nothing); otherwise it has their pp at the season's start and the sync brings it up.
    async fn start(n: usize, synced: bool) -> Arena {
        let seeds = seeds(n);
        let dir = tempfile::tempdir().unwrap();
        let mut guild = Guild::sample();
        let base = guild.channel("general");
        guild.channels.push(Channel {
            id: base + (60 << 22),
            name: "bot-updates".into(),
        });
        for (i, seed) in seeds.iter().enumerate() {
            guild.members.push(Member {
                id: discord_id(i),
                name: format!("player{i}"),
                roles: vec![guild.role(&seed.league.role_name())],
                nick: None,
                dms_open: true,
            });
        }
        let discord = FakeDiscord::start(guild.clone()).await;
        let fake_osu = FakeOsu::start().await;
        fake_osu.add_players(seeds.iter().enumerate().map(|(i, s)| osu::Player {
            id: osu_id(i),
            username: format!("osu{i}"),
            country: "RU".into(),
            global_rank: Some(rank_in(s.future)),
            pp: f64::from(s.pp),
            restricted: false,
            play_time: 360_000,
            best_scores: Vec::new(),
        }));
        let store = Store::open(&store_path(dir.path()), &StoreOptions::default()).unwrap();
        store
            .write(|w| {
                for (i, s) in seeds.iter().enumerate() {
                    let mut p = seeded(i, s);
                    if synced {
                        p.pp = s.pp;
                    }
                    player::link(w, &p, LINKED)
                        .map_err(|e| stagehand::store::StoreError::Storage(e.to_string()))?;
                }
                season::open(w, LINKED)?;
                Ok::<_, stagehand::store::StoreError>(())
            })
            .unwrap();
        drop(store);
        let env = support::league_env(dir.path(), &discord, &guild, &fake_osu);
        let mut arena = Arena {
            guild,
            discord,
            _osu: fake_osu,
            server: None,
            env,
            dir,
            seeds,
        };
        arena.boot();
        arena.discord.wait_ready().await;
        support::eventually("command registration", || {
            arena.discord.command_registrations() >= 1
        })
        .await;
        arena
    }

    fn boot(&mut self) {
        let pairs: Vec<(&str, &str)> = self
            .env
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        self.server = Some(Server::start(self.dir.path(), &pairs));
    }

    fn server(&self) -> &Server {
        self.server.as_ref().unwrap()
    }

    /// `user` runs `command`: the reply.
    async fn run(
        &self,
        user: &str,
        command: &str,
        options: &[(&str, Value)],
    ) -> support::discord::Reply {
        self.discord
            .invoke(self.guild.user(user), command, options, "en-US")
            .await
            .response()
            .await
    }

    /// `user` clicks `button` on `message`: the private answer, if the click got one, else the
    /// message as the click left it.
    async fn click(&self, user: &str, message: &Message, button: &str) -> String {
        self.discord
            .click(self.guild.user(user), message, button, "en-US")
            .await
            .response()
            .await
            .content
    }

    /// Waits until the message `id` in `channel` reads `text` (or starts with it).
    async fn wait_text(&self, channel: u64, id: u64, text: &str) -> Message {
        let mut found = None;
        self.discord
            .wait_until(&format!("message {id} to read {text:?}"), |f| {
                found = f
                    .messages(channel)
                    .into_iter()
                    .find(|m| m.id == id && m.content.starts_with(text));
                found.is_some()
            })
            .await;
        found.unwrap()
    }

    /// The store, read with the server stopped.
    fn stopped_store(&mut self) -> Store {
        if let Some(server) = self.server.take() {
            server.stop();
        }
        Store::open(&store_path(self.dir.path()), &StoreOptions::default()).unwrap()
    }
}

fn store_path(dir: &Path) -> PathBuf {
    dir.join("data").join("stagehand.redb")
}

fn seeded(i: usize, s: &Seed) -> Player {
    Player {
        discord_id: discord_id(i),
        discord_name: format!("player{i}"),
        osu_id: osu_id(i),
        osu_username: format!("osu{i}"),
        pp: s.initial,
        global_rank: Some(rank_in(s.league)),
        play_time_secs: 360_000,
        ii: 1.0,
        league: s.league,
        future_league: s.league,
        initial_pp: s.initial,
        linked_at: LINKED,
        top_play: None,
        points: 100 + s.seasonal,
        seasonal_points: s.seasonal,
    }
}

/// The reference: each player's seasonal points once season 1 has ended.
fn expected_seasonal(s: &Seed) -> i64 {
    s.seasonal + season_end_points(i64::from(s.pp) - i64::from(s.initial))
}

#[tokio::test]
async fn a_season_ends_is_archived_and_the_next_starts_with_players_moved() {
    let mut arena = Arena::start(20, false).await;
    let general = arena.guild.channel("general");

    // The prompt: public, with Confirm and Cancel; only its invoker may answer.
    let prompt = arena.run("owner", "season_end", &[]).await;
    assert!(!prompt.ephemeral);
    assert!(
        prompt.content.contains("end season 1"),
        "{}",
        prompt.content
    );
    let other = arena.click("admin", &prompt.message, "Confirm").await;
    assert_eq!(other, "⛔ This is not your command.");
    let forbidden = arena.click("kira", &prompt.message, "Confirm").await;
    assert_eq!(forbidden, "You do not have permission to do this.");
    let started = arena.click("owner", &prompt.message, "Confirm").await;
    assert_eq!(started, "✅ Confirmed. Ending season 1…");
    let done = arena
        .wait_text(general, prompt.message.id, "🏁 Season 1 has ended.")
        .await;
    assert!(done.components.is_empty(), "the buttons are gone");
    let updates = arena.guild.channel("bot-updates");
    let announced = arena.discord.wait_messages(updates, 1).await;
    assert!(
        announced[0].content.starts_with("🏁 Season 1 has ended!"),
        "{}",
        announced[0].content
    );

    // Off-season: no second end, only the all-season points on /show.
    let again = arena.run("owner", "season_end", &[]).await;
    assert_eq!(again.content, "No season is on: there is nothing to end.");
    let gold = arena.run("anna", "show", &[("table", json!("gold"))]).await;
    assert!(
        gold.content.starts_with("It is off-season"),
        "{}",
        gold.content
    );
    let points = arena
        .run("anna", "show", &[("table", json!("t_points"))])
        .await;
    assert_eq!(points.attachments.len(), 1, "{}", points.content);

    // The archive: only what exists, suggested as typed, with clear refusals.
    let anna = arena.guild.user("anna");
    let seasons = arena
        .discord
        .autocomplete(
            anna,
            "archived",
            &[("season", json!(""))],
            "season",
            "en-US",
        )
        .await;
    assert_eq!(seasons, [("1".to_string(), json!("1"))]);
    let tables = arena
        .discord
        .autocomplete(
            anna,
            "archived",
            &[("season", json!("1")), ("table", json!("o"))],
            "table",
            "en-US",
        )
        .await;
    let names: Vec<&str> = tables.iter().map(|(name, _)| name.as_str()).collect();
    assert_eq!(names, ["bronze", "gold", "points"]);
    let archived = arena
        .run(
            "anna",
            "archived",
            &[("season", json!("1")), ("table", json!("gold"))],
        )
        .await;
    assert!(!archived.ephemeral);
    assert_eq!(archived.embeds[0]["title"], "📜 Gold, season 1");
    assert_eq!(archived.attachments.len(), 1);
    let seasonal = arena
        .run(
            "anna",
            "archived",
            &[("season", json!("1")), ("table", json!("points"))],
        )
        .await;
    assert_eq!(seasonal.embeds[0]["title"], "📜 Seasonal points, season 1");
    let missing = arena
        .run(
            "anna",
            "archived",
            &[("season", json!("7")), ("table", json!("gold"))],
        )
        .await;
    assert_eq!(
        missing.content,
        "There is no archived season `7`. Archived seasons: 1."
    );
    let ranker = arena
        .run(
            "anna",
            "archived",
            &[("season", json!("1")), ("table", json!("ranker"))],
        )
        .await;
    assert!(
        ranker
            .content
            .starts_with("Season 1 has no archived table `ranker`."),
        "{}",
        ranker.content
    );

    // The next season: a prompt that times out changes nothing; a cancelled one neither.
    let late = arena.run("owner", "season_start", &[]).await;
    arena.server().advance_clock(31).await;
    let expired = arena.click("owner", &late.message, "Confirm").await;
    assert!(expired.starts_with("❌ Timed out"), "{expired}");
    let cancelled = arena.run("owner", "season_start", &[]).await;
    assert_eq!(
        arena.click("owner", &cancelled.message, "Cancel").await,
        "❌ Cancelled. Nothing changed."
    );
    let prompt = arena.run("owner", "season_start", &[]).await;
    assert!(
        prompt.content.contains("start season 2"),
        "{}",
        prompt.content
    );
    arena.click("owner", &prompt.message, "Confirm").await;
    let moved = arena.seeds.iter().filter(|s| s.future != s.league).count();
    arena
        .wait_text(
            general,
            prompt.message.id,
            &format!("🎉 Season 2 has started: {moved} players moved"),
        )
        .await;
    let twice = arena.run("owner", "season_start", &[]).await;
    assert!(
        twice.content.starts_with("Season 2 is on."),
        "{}",
        twice.content
    );

    // Roles swapped through the outbox, for every player who moved.
    for (i, s) in arena
        .seeds
        .iter()
        .enumerate()
        .filter(|(_, s)| s.future != s.league)
    {
        let (old, new) = (
            arena.guild.role(&s.league.role_name()),
            arena.guild.role(&s.future.role_name()),
        );
        let id = discord_id(i);
        arena
            .discord
            .wait_until(&format!("player{i}'s roles"), |f| {
                let roles = f.member(id).roles;
                roles.contains(&new) && !roles.contains(&old)
            })
            .await;
    }

    let seeds = arena.seeds.clone();
    let store = arena.stopped_store();
    store
        .read(|r| {
            assert_eq!(season::current(r)?, Some(2));
            for (i, s) in seeds.iter().enumerate() {
                let p = player::get(r, discord_id(i))?.unwrap();
                assert_eq!(p.league, s.future, "player{i}");
                assert_eq!((p.pp, p.initial_pp), (s.pp, s.pp), "player{i} re-based");
                assert_eq!(p.seasonal_points, 0, "player{i}: reset");
                assert_eq!(p.points, 100 + expected_seasonal(s), "player{i}");
                let changes = points::history(r, discord_id(i))?;
                let season_end = changes
                    .iter()
                    .filter(|c| c.source == Source::SeasonEnd)
                    .count();
                let due = season_end_points(i64::from(s.pp) - i64::from(s.initial));
                assert_eq!(season_end, usize::from(due > 0), "player{i}: awarded once");
            }
            let archived = season::archived_points(r, 1)?.unwrap();
            for (i, s) in seeds.iter().enumerate() {
                let row = archived
                    .iter()
                    .find(|a| a.discord_id == discord_id(i))
                    .unwrap();
                assert_eq!(
                    row.points,
                    expected_seasonal(s),
                    "player{i}'s archived points"
                );
            }
            let gold = season::archived_table(r, 1, "gold")?.unwrap();
            assert_eq!(
                gold.len(),
                seeds.iter().filter(|s| s.league == Gold).count()
            );
            assert!(
                gold.windows(2)
                    .all(|w| w[0].pp_change() >= w[1].pp_change())
            );
            Ok::<_, stagehand::store::StoreError>(())
        })
        .unwrap();
}

#[tokio::test]
async fn delete_archives_the_player_and_leaves_the_casual_role() {
    let mut arena = Arena::start(3, false).await;
    let general = arena.guild.channel("general");
    let prompt = arena.run("owner", "season_end", &[]).await;
    arena.click("owner", &prompt.message, "Confirm").await;
    arena
        .wait_text(general, prompt.message.id, "🏁 Season 1 has ended.")
        .await;

    let id = discord_id(0);
    let member = json!(id.to_string());
    let refused = arena
        .run("kira", "delete", &[("player", member.clone())])
        .await;
    assert_eq!(refused.content, "You do not have permission to do this.");
    let reply = arena
        .run("owner", "delete", &[("player", member.clone())])
        .await;
    assert!(reply.ephemeral);
    assert!(
        reply
            .content
            .starts_with(&format!("<@{id}> was removed from the league")),
        "{}",
        reply.content
    );
    arena
        .discord
        .wait_until("the roles are reset", |f| {
            let m = f.member(id);
            m.roles.is_empty() && m.nick.is_none()
        })
        .await;
    let again = arena.run("owner", "delete", &[("player", member)]).await;
    assert_eq!(
        again.content,
        format!("<@{id}> is not a linked player. Nothing changed.")
    );
    let store = arena.stopped_store();
    assert_eq!(store.read(|r| player::get(r, id)).unwrap(), None);
    // What season 1 archived about them stays (§17.25).
    let archived = store
        .read(|r| season::archived_points(r, 1))
        .unwrap()
        .unwrap();
    assert!(archived.iter().any(|a| a.discord_id == id));
    let unlinked = Index::Kind(EventKind::PlayerUnlinked);
    let all = Position::at_time(i64::MIN);
    let events = store
        .read(|r| audit::query(r, unlinked, all, i64::MAX, usize::MAX))
        .unwrap();
    let summaries: Vec<String> = events.iter().map(|(_, e)| e.summary()).collect();
    assert_eq!(
        summaries,
        [format!(
            "PLAYER_UNLINKED by <@{}>: target_user_id=<@{id}> osu_username=osu0 reason=\"deleted by an admin\"",
            arena.guild.user("owner")
        )]
    );
}

/// The season change is killed (SIGKILL) right after phases of its end and of its start; each
/// restart resumes it, and in the end every player's points equal the reference.
#[tokio::test]
async fn a_season_change_killed_between_phases_resumes_without_doing_anything_twice() {
    let mut arena = Arena::start(300, true).await;
    let general = arena.guild.channel("general");
    for (command, kills) in [("season_end", 3), ("season_start", 2)] {
        let prompt = arena.run("owner", command, &[]).await;
        arena.click("owner", &prompt.message, "Confirm").await;
        // The server's log so far counts for nothing: the change starts now.
        let (mut phases_before, mut finished_before) =
            (phases(arena.server()), finished(arena.server()));
        let mut killed = 0;
        for _ in 0..kills {
            support::eventually("a phase of the season change", || {
                phases(arena.server()) > phases_before || finished(arena.server()) > finished_before
            })
            .await;
            if finished(arena.server()) > finished_before {
                break;
            }
            let (status, _, _) = arena.server.take().unwrap().stop_with("KILL");
            assert!(!status.success());
            killed += 1;
            arena.boot();
            (phases_before, finished_before) = (0, 0);
        }
        assert!(killed > 0, "{command}: killed in the middle at least once");
        let expected = if command == "season_end" {
            "🏁"
        } else {
            "🎉"
        };
        arena.wait_text(general, prompt.message.id, expected).await;
    }
    let seeds = arena.seeds.clone();
    let store = arena.stopped_store();
    store
        .read(|r| {
            assert_eq!(season::current(r)?, Some(2));
            for (i, s) in seeds.iter().enumerate() {
                let p = player::get(r, discord_id(i))?.unwrap();
                assert_eq!(p.points, 100 + expected_seasonal(s), "player{i}");
                assert_eq!((p.league, p.seasonal_points), (s.future, 0), "player{i}");
            }
            let archived = season::archived_points(r, 1)?.unwrap();
            assert_eq!(archived.len(), seeds.len());
            Ok::<_, stagehand::store::StoreError>(())
        })
        .unwrap();
}

/// Phases the server's season change has finished since it started, from its log.
fn phases(server: &Server) -> usize {
    server.stderr().matches("season change: phase done").count()
}

/// Season changes the server has finished since it started, from its log.
fn finished(server: &Server) -> usize {
    server.stderr().matches("season change finished").count()
}
