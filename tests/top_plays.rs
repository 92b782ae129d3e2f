//! Top plays and `/points` end to end (osu-arena §2.7, §5.3, §10.2): a linked player's new #1
//! score, found by the scheduler's sync on the fake osu!, is announced once in the top-plays
//! channel with its points, and neither another sync nor a restart awards it again; `/points`
//! adjusts a player in season and is refused off-season without changing anything. Also the
//! osu! client's `GET /scores/{id}` against the fake.

use serde_json::{Value, json};

use crate::support::discord::{Channel, FakeDiscord, Guild};
use crate::support::osu::{self, FakeOsu, fixtures};
use crate::support::{self, Server};

/// `sync.interval` by default: how far the manual clock moves from one scheduled sync to the next.
pub(crate) const SYNC_INTERVAL: i64 = 15 * 60;

/// The fixture player of Gold (index 9, rank 79,999) whom anna links.
pub(crate) const GOLD: usize = 9;

/// A league whose guild has a `top-plays` channel (the `top_play` route's default).
pub(crate) struct Arena {
    pub(crate) guild: Guild,
    pub(crate) discord: FakeDiscord,
    pub(crate) osu: FakeOsu,
    pub(crate) server: Option<Server>,
    env: Vec<(String, String)>,
    pub(crate) dir: tempfile::TempDir,
    /// How far the manual clock has been moved: a restarted server's clock starts over, and is
    /// moved as far again.
    elapsed: i64,
}

impl Arena {
    pub(crate) async fn start() -> Arena {
        let dir = tempfile::tempdir().unwrap();
        let mut guild = Guild::sample();
        let id = guild.channels.iter().map(|c| c.id).max().unwrap() + 1;
        guild.channels.push(Channel {
            id,
            name: "top-plays".into(),
        });
        let discord = FakeDiscord::start(guild.clone()).await;
        let osu = FakeOsu::start().await;
        osu.add_players(fixtures::players(16));
        let env = support::league_env(dir.path(), &discord, &guild, &osu);
        let mut arena = Arena {
            guild,
            discord,
            osu,
            server: None,
            env,
            dir,
            elapsed: 0,
        };
        arena.boot(1).await;
        // The start-up sync, with nobody linked yet.
        support::eventually("the start-up sync", || arena.syncs() == 1).await;
        arena
    }

    /// Starts the server (the `nth` time) and waits until the owner can use admin commands.
    async fn boot(&mut self, nth: usize) {
        let pairs: Vec<(&str, &str)> = self
            .env
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        self.server = Some(Server::start(self.dir.path(), &pairs));
        if self.elapsed > 0 {
            self.server().advance_clock(self.elapsed).await;
        }
        self.discord
            .wait_until("the bot identifies", |f| f.identifies() >= nth)
            .await;
        self.discord.wait_ready().await;
        self.discord
            .wait_until("command registration", |f| f.command_registrations() >= 1)
            .await;
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(15);
        while self
            .run("owner", "permission list_roles", &[])
            .await
            .content
            == "You do not have permission to do this."
        {
            assert!(std::time::Instant::now() < deadline, "the owner is unknown");
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
    }

    pub(crate) fn server(&self) -> &Server {
        self.server.as_ref().unwrap()
    }

    /// Stops the server, runs `change` on its store, and starts it again.
    async fn with_store_offline(&mut self, change: impl FnOnce(&stagehand::store::Store)) {
        self.server.take().unwrap().stop();
        {
            let store = open_store(self.dir.path());
            change(&store);
        }
        self.boot(2).await;
    }

    /// Scheduled syncs this server process has finished (`league::sync` logs `sync: done`).
    fn syncs(&self) -> usize {
        self.server().stderr().matches("sync: done").count()
    }

    /// Moves the clock past the next sync and waits until it has run.
    pub(crate) async fn sync(&mut self) {
        let before = self.syncs();
        self.elapsed += SYNC_INTERVAL;
        self.server().advance_clock(SYNC_INTERVAL).await;
        support::eventually("the scheduled sync", || self.syncs() == before + 1).await;
    }

    /// Waits until everything queued so far has been delivered: the outbox delivers in order,
    /// so once a newcomer's welcome (queued now) is posted, so is all that came before.
    pub(crate) async fn drain(&self, nth: u64) {
        let welcome = self.discord.channel_named("welcome");
        let before = self.discord.messages(welcome).len();
        self.discord.member_joins(
            self.guild.id + ((1000 + nth) << 22),
            &format!("newbie{nth}"),
        );
        self.discord.wait_messages(welcome, before + 1).await;
    }

    /// `member` links the osu! account of fixture player `index` through the sign-in page.
    async fn link(&self, member: &str, index: usize) {
        let reply = self.run(member, "link", &[]).await;
        let url = reply.components[0]["components"][0]["url"]
            .as_str()
            .unwrap()
            .to_string();
        self.osu.login_as(player(index).id);
        let response = support::client().get(&url).send().await.unwrap();
        assert_eq!(response.status(), 302, "osu! redirects back");
        let back = response.headers()["location"]
            .to_str()
            .unwrap()
            .replace("localhost", "127.0.0.1");
        let page = support::client().get(&back).send().await.unwrap();
        assert_eq!(page.status(), 200, "{}", page.text().await.unwrap());
    }

    async fn run(
        &self,
        member: &str,
        command: &str,
        options: &[(&str, Value)],
    ) -> support::discord::Reply {
        self.discord
            .invoke(self.guild.user(member), command, options, "en-US")
            .await
            .response()
            .await
    }

    pub(crate) fn top_plays(&self) -> Vec<support::discord::Message> {
        self.discord
            .messages(self.discord.channel_named("top-plays"))
    }
}

pub(crate) fn player(i: usize) -> osu::Player {
    fixtures::players(16).swap_remove(i)
}

pub(crate) fn open_store(dir: &std::path::Path) -> stagehand::store::Store {
    stagehand::store::Store::open(
        &dir.join("data").join("stagehand.redb"),
        &stagehand::store::StoreOptions::default(),
    )
    .unwrap()
}

/// The best pp of a fixture player, as the sign-in stored it.
pub(crate) fn top_pp(p: &osu::Player) -> f64 {
    p.best_scores
        .iter()
        .filter_map(|s| s.pp)
        .fold(0.0, f64::max)
}

/// A new best score on the fourth fixture beatmap ("Tin Roof - Paper Planes [Hard]").
pub(crate) fn new_score(id: u64, pp: f64) -> osu::Score {
    osu::Score {
        id,
        pp: Some(pp),
        accuracy: 0.995,
        rank: "SH".into(),
        mods: vec!["HD".into(), "DT".into()],
        created_at: "2025-06-01T12:00:00Z".into(),
        max_combo: 300,
        beatmap: fixtures::beatmaps()[3].clone(),
    }
}

#[tokio::test]
async fn a_new_top_play_is_announced_once_with_its_points_across_syncs_and_restarts() {
    use stagehand::league::points::{self, Source};
    let mut arena = Arena::start().await;
    let anna = arena.guild.user("anna");
    let gold = player(GOLD);
    arena.link("anna", GOLD).await;
    assert_eq!(arena.osu.calls("/scores/best"), 1, "the sign-in's");

    // The first sync after the link finds the score stored at sign-in: nothing to announce.
    arena.sync().await;
    assert_eq!(arena.osu.calls("/scores/best"), 1, "pp did not change");

    // anna sets a new #1, 7.5 pp above her old one, and gains 50 pp.
    let old = top_pp(&gold).trunc();
    arena.osu.update_player(gold.id, |p| {
        p.pp += 50.0;
        p.best_scores.push(new_score(4_999_000_001, old + 7.5));
    });
    arena.sync().await;
    // Gold: 5 × 7 × 96 / 100 = 33.6 → 33.
    let posted = arena
        .discord
        .wait_messages(arena.discord.channel_named("top-plays"), 1)
        .await;
    assert_eq!(
        posted[0].content,
        format!(
            "New Top Play from <@{anna}>! Points earned: 33\n\
             ⚠ Off-season: these points do not count towards seasonal points."
        )
    );
    let embed = &posted[0].embeds[0];
    assert_eq!(
        embed["title"],
        r"Tin Roof - Paper Planes \[Hard\] \[5.35★\]"
    );
    assert_eq!(embed["color"], 0x2E_CC_71);
    assert_eq!(
        embed["footer"]["text"],
        "Mapset by mapperD • Status: Ranked"
    );
    let description = embed["description"].as_str().unwrap();
    let lines: Vec<&str> = description.lines().collect();
    let pp = (gold.pp + 50.0).round() as u64;
    let pp = format!("{},{:03}", pp / 1000, pp % 1000);
    assert_eq!(
        lines[0],
        format!(
            "🇧🇷 [{}: {pp}pp (#79,999 BR)](https://osu.ppy.sh/u/{})",
            gold.username, gold.id
        )
    );
    let map = fixtures::beatmaps()[3].id;
    assert_eq!(
        lines[1],
        format!("__**New Top Play**__ · [osu.ppy.sh/b/{map}](https://osu.ppy.sh/b/{map})")
    );
    assert!(lines[2].starts_with("**S** **+HDDT** "), "{description}");
    assert!(
        lines[2].ends_with("**99.50%** <t:1748779200:R>"),
        "{description}"
    );
    assert!(
        lines[3].starts_with(&format!("**{:.2}pp** **300x**/", old + 7.5)),
        "{description}"
    );
    assert!(
        embed["thumbnail"]["url"]
            .as_str()
            .unwrap()
            .contains("/covers/list.jpg")
    );
    assert_eq!(arena.osu.calls("/api/v2/scores/4999000001"), 1);
    assert_eq!(
        arena.osu.calls("/scores/best"),
        2,
        "only the sync after the pp changed"
    );

    // Another sync (pp unchanged) and one where the pp moves but the #1 stays: nothing new.
    arena.sync().await;
    arena.osu.update_player(gold.id, |p| p.pp += 1.0);
    arena.sync().await;
    assert_eq!(arena.osu.calls("/scores/best"), 3);
    arena.drain(1).await;
    assert_eq!(arena.top_plays().len(), 1);

    // A restart, then a sync: still once.
    arena.with_store_offline(|_| {}).await;
    arena.sync().await;
    arena.drain(2).await;
    assert_eq!(arena.top_plays().len(), 1);

    // The next #1 comes while osu! cannot show the score: announced with what the sync knows.
    arena.osu.update_player(gold.id, |p| {
        p.pp += 30.0;
        p.best_scores.push(new_score(4_999_000_002, old + 20.2));
    });
    arena.osu.fail_next("/api/v2/scores/4999000002", 502);
    arena.sync().await;
    let posted = arena
        .discord
        .wait_messages(arena.discord.channel_named("top-plays"), 2)
        .await;
    // 5 × (old + 20 − (old + 7)) × 96 / 100 = 62.4 → 62.
    assert!(
        posted[1].content.contains("Points earned: 62"),
        "{}",
        posted[1].content
    );
    let embed = &posted[1].embeds[0];
    assert_eq!(embed["title"], "Paper Planes");
    let description = embed["description"].as_str().unwrap();
    assert!(
        description.ends_with(&format!("**{}pp**", old as u64 + 20)),
        "{description}"
    );
    assert!(description.contains("https://osu.ppy.sh/scores/4999000002"));

    arena.server.take().unwrap().stop();
    let store = open_store(arena.dir.path());
    let row = store
        .read(|r| stagehand::league::player::get(r, anna))
        .unwrap()
        .unwrap();
    assert_eq!(
        (row.points, row.seasonal_points),
        (33 + 62, 0),
        "off-season"
    );
    assert_eq!(row.top_play.map(|t| t.score_id), Some(4_999_000_002));
    let history = store.read(|r| points::history(r, anna)).unwrap();
    let awarded: Vec<(i64, Source)> = history.iter().map(|c| (c.amount, c.source)).collect();
    assert_eq!(awarded, [(33, Source::TopPlay), (62, Source::TopPlay)]);
}

#[tokio::test]
async fn points_editors_adjust_a_player_in_season() {
    let mut arena = Arena::start().await;
    let anna = arena.guild.user("anna");
    arena.link("anna", GOLD).await;
    arena
        .with_store_offline(|store| {
            store
                .write(|w| stagehand::league::season::open(w, 0))
                .unwrap();
        })
        .await;
    let anna_option = ("player", json!(anna.to_string()));

    let added = arena
        .run(
            "owner",
            "points",
            &[anna_option.clone(), ("points", json!(25))],
        )
        .await;
    assert!(!added.ephemeral, "the change is shown to the channel");
    assert_eq!(
        added.content,
        format!(
            "✅ Points of <@{anna}> changed by +25.\nTotal points: **25**, seasonal points: **25**"
        )
    );
    let taken = arena
        .run(
            "owner",
            "points",
            &[anna_option.clone(), ("points", json!(-30))],
        )
        .await;
    assert!(
        taken
            .content
            .ends_with("Total points: **-5**, seasonal points: **-5**"),
        "{}",
        taken.content
    );

    // Only points editors: kira (Reviewer) is refused until the role gets the flag.
    let five = [anna_option.clone(), ("points", json!(5))];
    let kira = || arena.run("kira", "points", &five);
    assert_eq!(
        kira().await.content,
        "You do not have permission to do this."
    );
    let reviewer = json!(arena.guild.role("Reviewer").to_string());
    let bind = [("permission", json!("points_editor")), ("role", reviewer)];
    arena.run("owner", "permission bind", &bind).await;
    assert!(kira().await.content.contains("**0**"), "-5 + 5");

    // Refusals change nothing: someone not linked, a change out of bounds, zero.
    let quinn = arena.guild.user("quinn");
    for (options, says) in [
        (
            [("player", json!(quinn.to_string())), ("points", json!(10))],
            "is not a player of the league",
        ),
        (
            [anna_option.clone(), ("points", json!(-2_000_000))],
            "between -1000000 and 1000000",
        ),
        ([anna_option.clone(), ("points", json!(0))], ""),
    ] {
        let refused = arena.run("owner", "points", &options).await;
        assert!(refused.ephemeral, "{says}");
        assert!(refused.content.contains(says), "{}", refused.content);
    }

    arena.server.take().unwrap().stop();
    let store = open_store(arena.dir.path());
    let row = store
        .read(|r| stagehand::league::player::get(r, anna))
        .unwrap()
        .unwrap();
    assert_eq!((row.points, row.seasonal_points), (0, 0));
    let history = store
        .read(|r| stagehand::league::points::history(r, anna))
        .unwrap();
    let amounts: Vec<i64> = history.iter().map(|c| c.amount).collect();
    assert_eq!(amounts, [25, -30, 5]);
    assert!(history.iter().all(|c| c.season == Some(1)));
    assert!(
        store
            .read(|r| stagehand::league::player::get(r, quinn))
            .unwrap()
            .is_none()
    );
}

#[tokio::test]
async fn points_are_refused_off_season_and_nothing_changes() {
    let mut arena = Arena::start().await;
    let anna = arena.guild.user("anna");
    arena.link("anna", GOLD).await;
    let options = [("player", json!(anna.to_string())), ("points", json!(10))];
    let refused = arena.run("owner", "points", &options).await;
    assert!(refused.ephemeral);
    assert_eq!(
        refused.content,
        "⚠ Off-season: points can only be changed while a season is on. Nothing was changed."
    );
    let ru = arena
        .discord
        .invoke(arena.guild.user("owner"), "points", &options, "ru")
        .await
        .response()
        .await;
    assert!(ru.content.starts_with("⚠ Межсезонье"), "{}", ru.content);

    arena.server.take().unwrap().stop();
    let store = open_store(arena.dir.path());
    let row = store
        .read(|r| stagehand::league::player::get(r, anna))
        .unwrap()
        .unwrap();
    assert_eq!((row.points, row.seasonal_points), (0, 0));
    assert!(
        store
            .read(|r| stagehand::league::points::history(r, anna))
            .unwrap()
            .is_empty()
    );
}

#[tokio::test]
async fn the_client_reads_one_score_from_the_fake() {
    let fake = FakeOsu::start().await;
    let players = fixtures::players(16);
    fake.add_players(players.clone());
    let client = stagehand::osu::Client::new(
        &url::Url::parse(&fake.base_url()).unwrap(),
        osu::CLIENT_ID,
        osu::CLIENT_SECRET.into(),
    );
    let gold = &players[GOLD];
    let best = &gold.best_scores[0];
    let score = client.score(best.id).await.unwrap();
    assert_eq!(
        (score.id, score.pp, score.rank.as_str()),
        (best.id, best.pp, best.rank.as_str())
    );
    assert_eq!(score.title, best.beatmap.title);
    assert_eq!(score.creator, best.beatmap.creator);
    assert!(score.map_max_combo.unwrap() >= score.max_combo);
    let user = score.user.unwrap();
    assert_eq!(
        (user.id, user.username.as_str(), user.country_code.as_str()),
        (gold.id, gold.username.as_str(), gold.country.as_str())
    );

    use stagehand::osu::OsuError;
    assert!(matches!(client.score(1).await, Err(OsuError::NotFound)));
    let hidden = &players[fixtures::RESTRICTED_INDEX].best_scores[0];
    assert!(
        matches!(client.score(hidden.id).await, Err(OsuError::NotFound)),
        "a restricted player's score is hidden"
    );
    fake.fail_next("/api/v2/scores/", 500);
    assert!(matches!(
        client.score(best.id).await,
        Err(OsuError::Unavailable(_))
    ));
}
