//! Rivalries end to end (osu-arena §2.5, §2.6, §4, §17.1–3, §17.12, §17.20–21): linked players of
//! one league challenge each other with `/challenge`; the target answers from the buttons of a
//! DM; the scheduler's syncs on the fake osu! decide the winner, who gets the stake in points
//! once (the loser loses half), with the challenge's one public line in the `rivals` channel
//! edited in place from pending to finished. A challenge nobody answers expires after ten
//! minutes, also when the server was down at its deadline; one whose DM Discord refuses (closed
//! DMs, 50007) is revoked and its challenger told; one whose player leaves is revoked. Stale or
//! foreign clicks and refused `/challenge`s are clear replies that change nothing.

use std::path::{Path, PathBuf};
use std::time::Duration;

use serde_json::{Value, json};
use stagehand::league::League::{self as Tier, Gold, Silver};
use stagehand::league::player::{self, Player};
use stagehand::league::points::{self, Source};
use stagehand::league::rivalry::{self, Challenge, Status};
use stagehand::league::season;
use stagehand::store::{Store, StoreError, StoreOptions};

use crate::support::discord::{Channel, FakeDiscord, Guild, Member, Message, Reply};
use crate::support::osu::{self, FakeOsu};
use crate::support::{self, Server};

/// `sync.interval` by default: how far the manual clock moves from one scheduled sync to the next.
const SYNC_INTERVAL: i64 = 15 * 60;

/// `challenge.expiry` by default.
const EXPIRY: i64 = 10 * 60;

/// When the seeded players linked (before the fake clock's start).
const LINKED: i64 = support::FAKE_CLOCK_START - 30 * 86_400;

/// The seeded players: name, league, whether they accept DMs. Everyone is linked; `anna` (of the
/// sample guild) is not.
const PLAYERS: &[(&str, Tier, bool)] = &[
    ("ada", Gold, true),
    ("bob", Gold, true),
    ("cat", Gold, false),
    ("dan", Silver, true),
    ("eve", Gold, true),
    ("fay", Gold, true),
    ("gus", Gold, true),
];

fn index(name: &str) -> usize {
    PLAYERS.iter().position(|(n, _, _)| *n == name).unwrap()
}

fn discord_id(i: usize) -> u64 {
    900_000_000_000_000_000 + i as u64
}

fn osu_id(i: usize) -> u64 {
    20_000_000 + i as u64
}

/// Each player's pp, in the store and on the fake osu! alike.
fn pp(i: usize) -> u32 {
    4000 + 100 * i as u32
}

/// The global rank that puts a player in `league` by the default thresholds.
fn rank_in(league: Tier) -> u32 {
    match league {
        Gold => 50_000,
        Silver => 100_000,
        _ => unreachable!("only Gold and Silver are seeded"),
    }
}

fn seeded(i: usize, name: &str, league: Tier) -> Player {
    Player {
        discord_id: discord_id(i),
        discord_name: name.into(),
        osu_id: osu_id(i),
        osu_username: format!("osu_{name}"),
        pp: pp(i),
        global_rank: Some(rank_in(league)),
        play_time_secs: 360_000,
        ii: 1.0,
        league,
        future_league: league,
        initial_pp: pp(i),
        linked_at: LINKED,
        top_play: None,
        points: 0,
        seasonal_points: 0,
    }
}

/// The seeded league with season 1 on, a guild with a `rivals` channel (the `rivals` route's
/// default), and the fake osu! knowing every player at their stored pp.
struct Arena {
    guild: Guild,
    discord: FakeDiscord,
    osu: FakeOsu,
    server: Option<Server>,
    env: Vec<(String, String)>,
    dir: tempfile::TempDir,
    /// How far the manual clock has moved: each boot starts its clock there.
    elapsed: i64,
    boots: usize,
    drains: u64,
}

impl Arena {
    async fn start() -> Arena {
        let dir = tempfile::tempdir().unwrap();
        let mut guild = Guild::sample();
        let base = guild.channel("general");
        guild.channels.push(Channel {
            id: base + (60 << 22),
            name: "rivals".into(),
        });
        for (i, (name, league, dms_open)) in PLAYERS.iter().enumerate() {
            guild.members.push(Member {
                id: discord_id(i),
                name: (*name).into(),
                roles: vec![guild.role(&league.role_name())],
                nick: None,
                dms_open: *dms_open,
            });
        }
        let discord = FakeDiscord::start(guild.clone()).await;
        let fake_osu = FakeOsu::start().await;
        fake_osu.add_players(PLAYERS.iter().enumerate().map(|(i, (name, league, _))| {
            osu::Player {
                id: osu_id(i),
                username: format!("osu_{name}"),
                country: "RU".into(),
                global_rank: Some(rank_in(*league)),
                pp: f64::from(pp(i)),
                restricted: false,
                play_time: 360_000,
                best_scores: Vec::new(),
            }
        }));
        let store = Store::open(&store_path(dir.path()), &StoreOptions::default()).unwrap();
        store
            .write(|w| {
                for (i, (name, league, _)) in PLAYERS.iter().enumerate() {
                    player::link(w, &seeded(i, name, *league), LINKED)
                        .map_err(|e| StoreError::Storage(e.to_string()))?;
                }
                season::open(w, LINKED)?;
                Ok::<_, StoreError>(())
            })
            .unwrap();
        drop(store);
        let env = support::league_env(dir.path(), &discord, &guild, &fake_osu);
        let mut arena = Arena {
            guild,
            discord,
            osu: fake_osu,
            server: None,
            env,
            dir,
            elapsed: 0,
            boots: 0,
            drains: 0,
        };
        arena.boot().await;
        arena
    }

    /// Starts the server with its manual clock where the last one stopped, and waits until it
    /// is connected and knows the guild (and, the first time, until its first sync has run: a
    /// restart syncs only when a sync is due).
    async fn boot(&mut self) {
        self.boots += 1;
        self.server = Some(Server::start_later(
            self.dir.path(),
            &self.env,
            self.elapsed,
        ));
        let nth = self.boots;
        self.discord
            .wait_until("the bot identifies", |f| f.identifies() >= nth)
            .await;
        self.discord.wait_ready().await;
        self.discord
            .wait_until("command registration", |f| f.command_registrations() >= 1)
            .await;
        let deadline = std::time::Instant::now() + Duration::from_secs(15);
        while self
            .run("owner", "permission list_roles", &[])
            .await
            .content
            == "You do not have permission to do this."
        {
            assert!(std::time::Instant::now() < deadline, "the owner is unknown");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        if nth == 1 {
            support::eventually("the first sync", || self.syncs() >= 1).await;
        }
    }

    /// Stops the server (SIGTERM) and starts it again.
    async fn restart(&mut self) {
        self.server.take().unwrap().stop();
        self.boot().await;
    }

    fn server(&self) -> &Server {
        self.server.as_ref().unwrap()
    }

    /// Syncs this server process has finished (`league::sync` logs `sync: done`).
    fn syncs(&self) -> usize {
        self.server().stderr().matches("sync: done").count()
    }

    /// Moves the manual clock forward by `secs`.
    async fn advance(&mut self, secs: i64) {
        self.elapsed += secs;
        self.server().advance_clock(secs).await;
    }

    /// Moves the clock to the next scheduled sync and waits until it has run.
    async fn sync(&mut self) {
        let before = self.syncs();
        self.advance(SYNC_INTERVAL).await;
        support::eventually("the scheduled sync", || self.syncs() == before + 1).await;
    }

    /// Waits until everything queued so far has been delivered: the outbox delivers in order,
    /// so once a newcomer's welcome (queued now) is posted, so is all that came before.
    async fn drain(&mut self) {
        self.drains += 1;
        let welcome = self.discord.channel_named("welcome");
        let before = self.discord.messages(welcome).len();
        self.discord.member_joins(
            self.guild.id + ((1000 + self.drains) << 22),
            &format!("newbie{}", self.drains),
        );
        self.discord.wait_messages(welcome, before + 1).await;
    }

    fn id(&self, name: &str) -> u64 {
        self.guild.user(name)
    }

    fn rivals(&self) -> u64 {
        self.guild.channel("rivals")
    }

    /// The messages of the `rivals` channel, oldest first.
    fn lines(&self) -> Vec<Message> {
        self.discord.messages(self.rivals())
    }

    async fn run(&self, user: &str, command: &str, options: &[(&str, Value)]) -> Reply {
        self.discord
            .invoke(self.id(user), command, options, "en-US")
            .await
            .response()
            .await
    }

    /// `user` runs `/challenge player:target pp:pp`.
    async fn challenge(&self, user: &str, target: u64, pp: i64) -> Reply {
        let options = [("player", json!(target.to_string())), ("pp", json!(pp))];
        self.run(user, "challenge", &options).await
    }

    /// `user` clicks `button` on `message`.
    async fn click(&self, user: &str, message: &Message, button: &str) -> Reply {
        self.discord
            .click(self.id(user), message, button, "en-US")
            .await
            .response()
            .await
    }

    /// `user` sends the click on Accept of challenge `id` with `message` as its source,
    /// whether or not the message still shows the button (an old client kept it, or someone
    /// forged it).
    async fn forged_accept(&self, user: &str, message: &Message, id: u64) -> Reply {
        let custom_id = format!("v1:rival:answer:{id}:accept");
        self.discord
            .click_forged(self.id(user), message, &custom_id, "en-US")
            .await
            .response()
            .await
    }

    /// Waits until message `id` reads exactly `text`.
    async fn wait_text(&self, id: u64, text: &str) -> Message {
        let mut found = None;
        self.discord
            .wait_until(&format!("message {id} to read {text:?}"), |f| {
                found = f.message(id).filter(|m| m.content == text);
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

/// The labels of a message's buttons.
fn labels(message: &Message) -> Vec<String> {
    let rows = message.components.iter();
    rows.flat_map(|row| row["components"].as_array().cloned().unwrap_or_default())
        .map(|b| b["label"].as_str().unwrap_or_default().to_string())
        .collect()
}

/// The challenge a request DM is about, from its Accept button (`v1:rival:answer:<id>:accept`).
fn challenge_id(dm: &Message) -> u64 {
    let custom_id = dm.components[0]["components"][0]["custom_id"]
        .as_str()
        .unwrap()
        .to_string();
    let id = custom_id.strip_prefix("v1:rival:answer:").unwrap();
    id.strip_suffix(":accept").unwrap().parse().unwrap()
}

/// The challenges of `user` in the store, oldest first.
fn challenges_of(store: &Store, user: u64) -> Vec<(u64, Challenge)> {
    store.read(|r| rivalry::of_player(r, user)).unwrap()
}

/// A player's (points, seasonal points), with where each change came from.
fn points_of(store: &Store, user: u64) -> ((i64, i64), Vec<(i64, Source)>) {
    let row = store.read(|r| player::get(r, user)).unwrap().unwrap();
    let history = store.read(|r| points::history(r, user)).unwrap();
    (
        (row.points, row.seasonal_points),
        history.iter().map(|c| (c.amount, c.source)).collect(),
    )
}

#[tokio::test]
async fn a_challenge_is_accepted_won_once_and_archived() {
    let mut arena = Arena::start().await;
    let (ada, bob) = (arena.id("ada"), arena.id("bob"));
    let kira = arena.id("kira");

    // ada challenges bob: a public reply, the public line, and bob's DM with Accept / Decline.
    let issued = arena.challenge("ada", bob, 300).await;
    assert!(!issued.ephemeral);
    assert_eq!(
        issued.content,
        format!("⚔️ <@{ada}> has challenged <@{bob}> for **300PP**!")
    );
    let line = arena.discord.wait_messages(arena.rivals(), 1).await[0].clone();
    let vs = format!("🔸 <@{ada}> vs <@{bob}> | **300PP** | Gold |");
    assert_eq!(line.content, format!("{vs} ⏳ Pending…"));
    let dm = arena.discord.wait_dms(bob, 1).await[0].clone();
    assert!(
        dm.content.contains(&format!(
            "<@{ada}> challenged you for **300PP** in the **Gold** league"
        )),
        "{}",
        dm.content
    );
    assert_eq!(labels(&dm), ["Accept", "Decline"]);

    // After a restart, bob accepts from the DM: its buttons go, and the line says the
    // challenge is on.
    arena.restart().await;
    let accepted = arena.click("bob", &dm, "Accept").await;
    assert_eq!(
        accepted.content,
        "✅ You accepted the challenge for 300 PP! The first to gain it wins."
    );
    assert!(arena.discord.message(dm.id).unwrap().components.is_empty());
    arena
        .wait_text(line.id, &format!("{vs} ⚔️ In progress"))
        .await;

    // In progress, it is on /show rivals (a picture).
    let shown = arena
        .run("kira", "show", &[("table", json!("rivals"))])
        .await;
    assert!(!shown.ephemeral);
    assert_eq!(shown.embeds[0]["title"], "Rivals");
    assert_eq!(shown.attachments.len(), 1, "{}", shown.content);

    // bob gains 150 pp: not yet.
    let bob_osu = osu_id(index("bob"));
    arena.osu.update_player(bob_osu, |p| p.pp += 150.0);
    arena.sync().await;
    arena.drain().await;
    assert_eq!(arena.lines().len(), 1);
    assert_eq!(arena.lines()[0].content, format!("{vs} ⚔️ In progress"));

    // 160 more: 310 ≥ 300, bob wins. The line is edited in place, the result announced.
    arena.osu.update_player(bob_osu, |p| p.pp += 160.0);
    arena.sync().await;
    let won = format!("{vs} 🏆 Finished. WINNER: <@{bob}>");
    arena.wait_text(line.id, &won).await;
    let lines = arena.discord.wait_messages(arena.rivals(), 2).await;
    assert_eq!(lines.len(), 2);
    assert_eq!(lines[0].id, line.id, "the line is the one first posted");
    assert_eq!(
        lines[1].content,
        format!(
            "🏆 <@{bob}> vs <@{ada}> | **300PP** | Finished. WINNER: <@{bob}>\n<@{bob}> +300\n<@{ada}> -150"
        )
    );
    let mut pinged = lines[1].pinged.users.clone();
    pinged.sort_unstable();
    assert_eq!(pinged, [ada, bob]);
    let rivals_path = format!("/channels/{}/messages", arena.rivals());
    let deleted = arena
        .discord
        .requests()
        .into_iter()
        .filter(|(method, path, _)| method == "DELETE" && path.contains(&rivals_path))
        .count();
    assert_eq!(deleted, 0, "never deleted and posted again");

    // Finished: off /show rivals, in /archived season 0, which autocomplete offers.
    let shown = arena
        .run("kira", "show", &[("table", json!("rivals"))])
        .await;
    assert!(shown.ephemeral);
    assert_eq!(shown.content, "This table is empty.");
    let seasons = arena
        .discord
        .autocomplete(
            kira,
            "archived",
            &[("season", json!(""))],
            "season",
            "en-US",
        )
        .await;
    assert_eq!(seasons, [("0".to_string(), json!("0"))]);
    let tables = arena
        .discord
        .autocomplete(
            kira,
            "archived",
            &[("season", json!("0")), ("table", json!("r"))],
            "table",
            "en-US",
        )
        .await;
    assert_eq!(tables, [("rivals".to_string(), json!("rivals"))]);
    let archived = arena
        .run(
            "kira",
            "archived",
            &[("season", json!("0")), ("table", json!("rivals"))],
        )
        .await;
    assert!(!archived.ephemeral);
    assert_eq!(
        archived.embeds[0]["title"],
        "⚔️ Rivals: finished challenges"
    );
    assert_eq!(archived.attachments.len(), 1, "{}", archived.content);

    // Another sync in which bob gains more, and a restart with a sync: nothing changes.
    arena.osu.update_player(bob_osu, |p| p.pp += 100.0);
    arena.sync().await;
    arena.restart().await;
    arena.sync().await;
    arena.drain().await;
    let lines = arena.lines();
    assert_eq!(lines.len(), 2);
    assert_eq!(lines[0].content, won);

    // Points applied once: the stake to the winner, half of it taken from the loser, in
    // season 1 too; the figures stopped at the finish (§17.20).
    let store = arena.stopped_store();
    assert_eq!(
        points_of(&store, bob),
        ((300, 300), vec![(300, Source::Rivalry)])
    );
    assert_eq!(
        points_of(&store, ada),
        ((-150, -150), vec![(-150, Source::Rivalry)])
    );
    let all = challenges_of(&store, ada);
    let [(_, c)] = &all[..] else {
        panic!("one challenge: {all:?}")
    };
    assert_eq!(
        (c.status, c.winner, c.pp),
        (Status::Finished, Some(bob), 300)
    );
    assert_eq!(
        (c.challenger.start_pp, c.challenger.end_pp),
        (Some(pp(0)), Some(pp(0)))
    );
    assert_eq!(
        (c.target.start_pp, c.target.end_pp),
        (Some(pp(1)), Some(pp(1) + 310))
    );
    assert_eq!((c.challenger.gain(None), c.target.gain(None)), (0, 310));
    let bob_now = store.read(|r| player::get(r, bob)).unwrap().unwrap().pp;
    assert_eq!(bob_now, pp(1) + 410, "the syncs went on");
}

#[tokio::test]
async fn unanswered_challenges_expire_also_across_downtime() {
    let mut arena = Arena::start().await;
    let (ada, bob, eve) = (arena.id("ada"), arena.id("bob"), arena.id("eve"));

    arena.challenge("ada", bob, 300).await;
    let line = arena.discord.wait_messages(arena.rivals(), 1).await[0].clone();
    let dm = arena.discord.wait_dms(bob, 1).await[0].clone();
    let id = challenge_id(&dm);

    // A second short of ten minutes (and two scheduler ticks later): still pending.
    arena.advance(EXPIRY - 1).await;
    tokio::time::sleep(Duration::from_millis(1200)).await;
    arena.drain().await;
    assert!(arena.lines()[0].content.ends_with("⏳ Pending…"));
    assert_eq!(labels(&arena.discord.message(dm.id).unwrap()).len(), 2);

    // Ten minutes: expired. bob's DM says so without its buttons, ada is told, and the line.
    arena.advance(1).await;
    let expired = "⌛ This challenge expired: nobody answered in time.";
    let edited = arena.wait_text(dm.id, expired).await;
    assert!(edited.components.is_empty());
    arena
        .wait_text(
            line.id,
            &format!("🔸 <@{ada}> vs <@{bob}> | **300PP** | Gold | ⌛ Expired"),
        )
        .await;
    let told = arena.discord.wait_dms(ada, 1).await;
    assert_eq!(
        told[0].content,
        format!("⌛ <@{bob}> did not answer your challenge in time: it expired.")
    );

    // Accept, clicked late (a client that still shows the old button): refused, and so said.
    let late = arena.forged_accept("bob", &dm, id).await;
    assert_eq!(late.content, expired);
    assert!(late.components.is_empty());

    // A second challenge whose deadline passes while the server is down expires at start-up.
    arena.challenge("ada", eve, 400).await;
    let lines = arena.discord.wait_messages(arena.rivals(), 2).await;
    let second = lines[1].clone();
    let eve_dm = arena.discord.wait_dms(eve, 1).await[0].clone();
    assert_eq!(labels(&eve_dm), ["Accept", "Decline"]);
    arena.server.take().unwrap().stop();
    arena.elapsed += EXPIRY + 60;
    arena.boot().await;
    let edited = arena.wait_text(eve_dm.id, expired).await;
    assert!(edited.components.is_empty());
    arena
        .wait_text(
            second.id,
            &format!("🔸 <@{ada}> vs <@{eve}> | **400PP** | Gold | ⌛ Expired"),
        )
        .await;
    let told = arena.discord.wait_dms(ada, 2).await;
    assert_eq!(
        told[1].content,
        format!("⌛ <@{eve}> did not answer your challenge in time: it expired.")
    );

    let store = arena.stopped_store();
    let ended: Vec<(Status, Option<i64>, Option<i64>)> = challenges_of(&store, ada)
        .into_iter()
        .map(|(_, c)| (c.status, c.answered_at, c.ended_at))
        .collect();
    let start = support::FAKE_CLOCK_START;
    assert_eq!(
        ended,
        [
            (Status::Expired, None, Some(start + EXPIRY)),
            // Down from before its deadline (start + 2 × EXPIRY) to a minute after it.
            (Status::Expired, None, Some(start + 2 * EXPIRY + 60)),
        ]
    );
}

#[tokio::test]
async fn clicks_after_a_decline_or_revoke_or_by_someone_else_change_nothing() {
    let mut arena = Arena::start().await;
    let (ada, bob, eve) = (arena.id("ada"), arena.id("bob"), arena.id("eve"));

    arena.challenge("ada", bob, 300).await;
    let line = arena.discord.wait_messages(arena.rivals(), 1).await[0].clone();
    let dm = arena.discord.wait_dms(bob, 1).await[0].clone();
    let id = challenge_id(&dm);

    // gus sends bob's Accept: told privately, bob's DM untouched.
    let foreign = arena.forged_accept("gus", &dm, id).await;
    assert!(foreign.ephemeral);
    assert_eq!(
        foreign.content,
        "⛔ This challenge is not addressed to you."
    );
    assert_eq!(labels(&arena.discord.message(dm.id).unwrap()).len(), 2);

    // bob declines; Accept afterwards is refused.
    let declined = arena.click("bob", &dm, "Decline").await;
    assert_eq!(declined.content, "🚫 You declined the challenge.");
    assert!(declined.components.is_empty());
    let vs = format!("🔸 <@{ada}> vs <@{bob}> | **300PP** | Gold |");
    arena.wait_text(line.id, &format!("{vs} 🚫 Declined")).await;
    let late = arena.forged_accept("bob", &dm, id).await;
    assert_eq!(late.content, "This challenge was declined.");

    // ada revokes her challenge to eve: eve's DM loses its buttons; Accept afterwards is refused.
    arena.challenge("ada", eve, 300).await;
    let second = arena.discord.wait_messages(arena.rivals(), 2).await[1].clone();
    let eve_dm = arena.discord.wait_dms(eve, 1).await[0].clone();
    let eve_id = challenge_id(&eve_dm);
    let eve_option = [("player", json!(eve.to_string()))];
    let revoked = arena.run("ada", "revoke_challenge", &eve_option).await;
    assert!(revoked.ephemeral);
    assert_eq!(
        revoked.content,
        format!("Your challenge to <@{eve}> is revoked.")
    );
    let gone = "❌ This challenge was revoked.";
    assert!(arena.wait_text(eve_dm.id, gone).await.components.is_empty());
    arena
        .wait_text(
            second.id,
            &format!("🔸 <@{ada}> vs <@{eve}> | **300PP** | Gold | ❌ Revoked"),
        )
        .await;
    let late = arena.forged_accept("eve", &eve_dm, eve_id).await;
    assert_eq!(late.content, gone);
    // Only the challenger revokes, only while it is pending.
    let again = arena.run("ada", "revoke_challenge", &eve_option).await;
    assert!(again.ephemeral);
    assert!(
        again
            .content
            .starts_with(&format!("❌ You have no pending challenge to <@{eve}>.")),
        "{}",
        again.content
    );

    arena.drain().await;
    assert_eq!(arena.lines().len(), 2);
    let store = arena.stopped_store();
    let statuses: Vec<Status> = challenges_of(&store, ada)
        .into_iter()
        .map(|(_, c)| c.status)
        .collect();
    assert_eq!(statuses, [Status::Declined, Status::Revoked]);
    assert!(store.read(rivalry::accepted).unwrap().is_empty());
}

#[tokio::test]
async fn a_challenge_whose_dm_is_refused_is_revoked_and_its_challenger_told() {
    let mut arena = Arena::start().await;
    let (ada, cat) = (arena.id("ada"), arena.id("cat"));

    let issued = arena.challenge("ada", cat, 300).await;
    assert_eq!(
        issued.content,
        format!("⚔️ <@{ada}> has challenged <@{cat}> for **300PP**!")
    );
    let told = arena.discord.wait_dms(ada, 1).await;
    assert_eq!(
        told[0].content,
        format!(
            "❌ Your challenge could not be delivered to <@{cat}> (their direct messages are probably closed). The challenge is revoked."
        )
    );
    let line = arena.discord.wait_messages(arena.rivals(), 1).await[0].clone();
    arena
        .wait_text(
            line.id,
            &format!("🔸 <@{ada}> vs <@{cat}> | **300PP** | Gold | ❌ Revoked"),
        )
        .await;
    assert!(arena.discord.dms(cat).is_empty());
    let refused = arena
        .discord
        .requests()
        .into_iter()
        .filter(|(method, path, status)| {
            method == "POST" && path.ends_with("/messages") && *status == 403
        })
        .count();
    assert_eq!(refused, 1, "the one DM Discord refused, never tried again");

    let store = arena.stopped_store();
    let all = challenges_of(&store, ada);
    let [(_, c)] = &all[..] else {
        panic!("one challenge: {all:?}")
    };
    assert_eq!(c.status, Status::Revoked);
    assert_eq!(c.answered_at, None);
    assert!(c.ended_at.is_some());
}

#[tokio::test]
async fn a_member_who_leaves_has_their_open_challenges_revoked() {
    let mut arena = Arena::start().await;
    let (ada, bob, gus) = (arena.id("ada"), arena.id("bob"), arena.id("gus"));

    // ada challenges bob (pending), gus challenges ada and she accepts.
    arena.challenge("ada", bob, 300).await;
    let bob_dm = arena.discord.wait_dms(bob, 1).await[0].clone();
    let id = challenge_id(&bob_dm);
    arena.challenge("gus", ada, 250).await;
    let ada_dm = arena.discord.wait_dms(ada, 1).await[0].clone();
    arena.click("ada", &ada_dm, "Accept").await;
    let lines = arena.discord.wait_messages(arena.rivals(), 2).await;
    arena
        .wait_text(
            lines[1].id,
            &format!("🔸 <@{gus}> vs <@{ada}> | **250PP** | Gold | ⚔️ In progress"),
        )
        .await;

    // ada leaves the server: both are revoked; bob's buttons stop working.
    arena.discord.member_leaves(ada);
    let gone = "❌ This challenge was revoked.";
    assert!(arena.wait_text(bob_dm.id, gone).await.components.is_empty());
    arena
        .wait_text(
            lines[0].id,
            &format!("🔸 <@{ada}> vs <@{bob}> | **300PP** | Gold | ❌ Revoked"),
        )
        .await;
    arena
        .wait_text(
            lines[1].id,
            &format!("🔸 <@{gus}> vs <@{ada}> | **250PP** | Gold | ❌ Revoked"),
        )
        .await;
    let late = arena.forged_accept("bob", &bob_dm, id).await;
    assert_eq!(late.content, gone);

    // gus then gains more than the stake: the revoked challenge is not won.
    arena
        .osu
        .update_player(osu_id(index("gus")), |p| p.pp += 400.0);
    arena.sync().await;
    arena.drain().await;
    assert_eq!(arena.lines().len(), 2);

    let store = arena.stopped_store();
    let statuses: Vec<Status> = challenges_of(&store, ada)
        .into_iter()
        .map(|(_, c)| c.status)
        .collect();
    assert_eq!(statuses, [Status::Revoked, Status::Revoked]);
    assert!(store.read(|r| player::get(r, ada)).unwrap().is_none());
    assert_eq!(points_of(&store, gus), ((0, 0), Vec::new()));
    assert!(store.read(rivalry::accepted).unwrap().is_empty());
}

#[tokio::test]
async fn each_refused_challenge_is_a_private_reply_that_changes_nothing() {
    let mut arena = Arena::start().await;
    let id = |name| arena.id(name);
    let (ada, bob, cat, eve, fay, gus) = (
        id("ada"),
        id("bob"),
        id("cat"),
        id("eve"),
        id("fay"),
        id("gus"),
    );
    let (anna, dan) = (id("anna"), id("dan"));
    let refused = async |user: &str, target: u64, pp: i64, says: String| {
        let reply = arena.challenge(user, target, pp).await;
        assert!(reply.ephemeral, "{says}");
        assert_eq!(reply.content, says);
    };
    refused("ada", ada, 300, "❌ You cannot challenge yourself!".into()).await;
    let bot = FakeDiscord::APPLICATION_ID;
    refused("ada", bot, 300, "❌ You cannot challenge a bot!".into()).await;
    for pp in [249, 751] {
        let says = "❌ The pp target must be between 250 and 750.";
        refused("ada", bob, pp, says.into()).await;
    }
    let says = "⚠️ You are not linked yet: use `/link` first.";
    refused("anna", bob, 300, says.into()).await;
    let says = format!("⚠️ <@{anna}> is not linked yet: ask them to use `/link`.");
    refused("ada", anna, 300, says).await;
    let says = format!("❌ You and <@{dan}> must play in the same league.");
    refused("ada", dan, 300, says).await;

    // A pending challenge blocks the pair both ways; once revoked, the pair waits a day.
    arena.challenge("ada", bob, 300).await;
    let says = format!("❌ You already have a pending challenge with <@{ada}>.");
    refused("bob", ada, 300, says).await;
    arena
        .run(
            "ada",
            "revoke_challenge",
            &[("player", json!(bob.to_string()))],
        )
        .await;
    let day = support::FAKE_CLOCK_START + 86_400;
    let says = format!("❌ You and <@{bob}> can challenge each other again <t:{day}:R>.");
    refused("ada", bob, 300, says).await;
    let says = format!("❌ You and <@{ada}> can challenge each other again <t:{day}:R>.");
    refused("bob", ada, 300, says).await;

    // Three open (two issued, one received): no fourth, either way.
    arena.challenge("ada", eve, 300).await;
    arena.challenge("ada", fay, 300).await;
    arena.challenge("gus", ada, 300).await;
    let says = "❌ You already have 3 pending or accepted challenges.";
    refused("ada", cat, 300, says.into()).await;
    let says = format!("❌ <@{ada}> already has 3 pending or accepted challenges.");
    refused("cat", ada, 300, says).await;

    // Only the four issued reached Discord and the store.
    arena.drain().await;
    assert_eq!(arena.lines().len(), 4);
    assert!(arena.discord.dms(cat).is_empty());
    let store = arena.stopped_store();
    let pairs: Vec<(u64, u64, Status)> = challenges_of(&store, ada)
        .into_iter()
        .map(|(_, c)| (c.challenger.discord_id, c.target.discord_id, c.status))
        .collect();
    assert_eq!(
        pairs,
        [
            (ada, bob, Status::Revoked),
            (ada, eve, Status::Pending),
            (ada, fay, Status::Pending),
            (gus, ada, Status::Pending),
        ]
    );
    for nobody in [cat, dan, anna] {
        assert!(challenges_of(&store, nobody).is_empty());
    }
}
