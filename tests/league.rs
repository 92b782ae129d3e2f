//! The osu! league end to end: `/link` on the fake Discord → the fake osu! sign-in → Stagehand's
//! own TLS callback page → roles, nickname, welcome → `/show`; every failure page of the
//! callback, and that none of them writes; the sync with osu!, run by the library and by the
//! server's scheduler.

use serde_json::json;

use crate::support::discord::{FakeDiscord, Guild};
use crate::support::osu::{self, FakeOsu, fixtures};
use crate::support::{self, Server};

/// A running league: fake Discord and osu!, and Stagehand pointed at both.
struct League {
    guild: Guild,
    discord: FakeDiscord,
    osu: FakeOsu,
    server: Server,
    _dir: tempfile::TempDir,
}

impl League {
    async fn start() -> League {
        let dir = tempfile::tempdir().unwrap();
        let guild = Guild::sample();
        let discord = FakeDiscord::start(guild.clone()).await;
        let osu = FakeOsu::start().await;
        osu.add_players(fixtures::players(16));
        let env = support::league_env(dir.path(), &discord, &guild, &osu);
        let pairs: Vec<(&str, &str)> = env.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        let server = Server::start(dir.path(), &pairs);
        discord.wait_ready().await;
        support::eventually("command registration", || {
            discord.command_registrations() == 1
        })
        .await;
        // The scheduler syncs once at start-up, with nobody linked yet (no call to osu!), then
        // each time the manual clock passes `sync.interval`. Waiting for the first run here
        // means it never races a test; a test syncs again by moving the clock past
        // [`SYNC_INTERVAL`], and one that moves it less (a link's five minutes) never syncs.
        support::eventually("the start-up sync", || syncs(&server) == 1).await;
        League {
            guild,
            discord,
            osu,
            server,
            _dir: dir,
        }
    }

    /// Runs `/link` as `member` and returns the sign-in URL of its button.
    async fn link_url(&self, member: &str) -> String {
        let reply = self
            .discord
            .invoke(self.guild.user(member), "link", &[], "en-US")
            .await
            .response()
            .await;
        assert!(reply.ephemeral, "the sign-in link is private");
        let url = reply.components[0]["components"][0]["url"]
            .as_str()
            .unwrap_or_else(|| panic!("no link button: {:?}", reply.components))
            .to_string();
        assert!(
            url.contains("scope=identify+public") || url.contains("scope=identify%20public"),
            "{url}"
        );
        url
    }

    /// Signs in on the fake osu! as `player` and returns where osu! sends the browser back.
    async fn authorize(&self, url: &str, player: u64) -> String {
        self.osu.login_as(player);
        let response = support::client().get(url).send().await.unwrap();
        assert_eq!(response.status(), 302, "osu! redirects back");
        let location = response.headers()["location"].to_str().unwrap().to_string();
        assert!(
            location.starts_with(&format!(
                "https://localhost:{}/oauth/osu/callback?",
                self.server.port
            )),
            "{location}"
        );
        location.replace("localhost", "127.0.0.1")
    }

    /// Opens a callback URL like a browser in `language`: (status, visible text).
    async fn open(&self, url: &str, language: &str) -> (u16, String) {
        let response = support::client()
            .get(url)
            .header("accept-language", language)
            .send()
            .await
            .unwrap();
        let status = response.status().as_u16();
        (status, response.text().await.unwrap())
    }

    /// Starts a season as an admin does: `/season_start`, Confirm, then the job's last word on
    /// the prompt.
    async fn start_season(&self) {
        let owner = self.guild.user("owner");
        let prompt = self
            .discord
            .invoke(owner, "season_start", &[], "en-US")
            .await
            .response()
            .await;
        self.discord
            .click(owner, &prompt.message, "Confirm", "en-US")
            .await
            .response()
            .await;
        let (channel, id) = (prompt.message.channel_id, prompt.message.id);
        self.discord
            .wait_until("the season starts", |f| {
                f.messages(channel)
                    .iter()
                    .any(|m| m.id == id && m.content.starts_with("🎉 Season 1 has started"))
            })
            .await;
    }

    fn callback(&self, query: &str) -> String {
        self.server.url(&format!("/oauth/osu/callback{query}"))
    }
}

fn player(i: usize) -> osu::Player {
    fixtures::players(16).swap_remove(i)
}

/// `sync.interval` by default (`defaults/parameters.toml`): how far the manual clock moves from
/// one scheduled sync to the next.
const SYNC_INTERVAL: i64 = 15 * 60;

/// How many syncs the server's scheduler has finished, from its log (`league::sync` logs
/// `sync: done` at the end of each run, and only the scheduler runs it).
fn syncs(server: &Server) -> usize {
    server.stderr().matches("sync: done").count()
}

#[tokio::test]
async fn a_member_links_on_the_built_in_page_and_shows_up_in_the_league_table() {
    let league = League::start().await;
    let anna = league.guild.user("anna");
    // Index 9 has rank 79,999: the last rank of Gold.
    let gold = player(9);
    let url = league.link_url("anna").await;
    let back = league.authorize(&url, gold.id).await;
    let (status, page) = league.open(&back, "en-GB,en;q=0.9").await;
    assert_eq!(status, 200, "{page}");
    assert!(page.contains("Your osu! account is linked"), "{page}");
    assert!(page.contains(&gold.username), "{page}");
    assert!(page.contains("Gold"), "{page}");

    let role = |name: &str| league.guild.role(name);
    support::eventually("league roles and nickname", || {
        let member = league.discord.member(anna);
        member.roles.contains(&role("Gold"))
            && member.roles.contains(&role("Participant"))
            && member.nick.as_deref() == Some(gold.username.as_str())
    })
    .await;
    let welcome = league
        .discord
        .wait_messages(league.discord.channel_named("welcome"), 1)
        .await;
    assert_eq!(
        welcome[0].content,
        format!("<@{anna}>, you have been assigned to the Gold league.")
    );

    // Linked once: /link now says so instead of giving a link.
    let again = league
        .discord
        .invoke(anna, "link", &[], "en-US")
        .await
        .response()
        .await;
    assert!(
        again.content.contains("already linked"),
        "{}",
        again.content
    );
    assert!(again.components.is_empty());

    // Off-season, only the points of all seasons are shown; in season, the league tables.
    let show_gold = || async {
        league
            .discord
            .invoke(anna, "show", &[("table", json!("gold"))], "en-US")
            .await
            .response()
            .await
    };
    let off = show_gold().await;
    assert!(off.ephemeral);
    assert!(
        off.content.starts_with("It is off-season"),
        "{}",
        off.content
    );
    league.start_season().await;
    let shown = show_gold().await;
    assert_eq!(shown.embeds[0]["title"], "Gold");
    assert_eq!(shown.embeds[0]["image"]["url"], "attachment://table.png");
    let (name, png) = &shown.attachments[0];
    assert_eq!(name, "table.png");
    assert!(png.starts_with(b"\x89PNG\r\n\x1a\n"), "a PNG");

    // An empty league, a retired league and garbage are private answers.
    for (table, says) in [
        ("master", "This table is empty."),
        ("ranker", "no longer available"),
        ("gold!!", "There is no such table"),
    ] {
        let reply = league
            .discord
            .invoke(anna, "show", &[("table", json!(table))], "en-US")
            .await
            .response()
            .await;
        assert!(reply.ephemeral, "{table}");
        assert!(reply.content.contains(says), "{table}: {}", reply.content);
    }
    let choices = league
        .discord
        .autocomplete(anna, "show", &[("table", json!("po"))], "table", "en-US")
        .await;
    let values: Vec<&str> = choices.iter().filter_map(|(_, v)| v.as_str()).collect();
    assert_eq!(values, ["points", "t_points"]);

    // A newcomer is welcomed and marked Inactive until they link.
    let newcomer = anna + (100 << 22);
    league.discord.member_joins(newcomer, "newbie");
    support::eventually("the Inactive role", || {
        league.discord.member(newcomer).roles == [role("Inactive")]
    })
    .await;
    let welcome = league
        .discord
        .wait_messages(league.discord.channel_named("welcome"), 2)
        .await;
    assert!(
        welcome[1]
            .content
            .starts_with(&format!("Welcome, <@{newcomer}>!")),
        "{}",
        welcome[1].content
    );

    // A linked member who leaves is archived: out of the table, free to link again later.
    league.discord.member_leaves(anna);
    let kira = league.guild.user("kira");
    let mut emptied = false;
    for _ in 0..100 {
        let reply = league
            .discord
            .invoke(kira, "show", &[("table", json!("gold"))], "en-US")
            .await
            .response()
            .await;
        if reply.content.contains("This table is empty.") {
            emptied = true;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert!(emptied, "anna left the Gold table");

    // A second sign-in uses the same osu! client as the first: two code exchanges, but the
    // app's own token (for the best score) is fetched once.
    let url = league.link_url("kira").await;
    let back = league.authorize(&url, player(12).id).await;
    let (status, page) = league.open(&back, "en-GB").await;
    assert!(
        page.contains("Your osu! account is linked"),
        "{status}: {page}"
    );
    assert_eq!(league.osu.calls("/scores/best"), 2);
    assert_eq!(league.osu.calls("/oauth/token"), 2 + 1);
    league.server.stop();
}

#[tokio::test]
async fn every_failed_sign_in_gets_its_page_and_changes_nothing() {
    let league = League::start().await;
    let ru = "ru-RU,ru;q=0.9";
    let anna = league.guild.user("anna");

    // No parameters at all: the welcome page.
    let (status, page) = league.open(&league.callback(""), ru).await;
    assert_eq!(status, 200);
    assert!(page.contains("Лига osu! Stagehand"), "{page}");
    assert!(page.contains(r#"<html lang="ru">"#));

    // Missing one parameter, and a forged state.
    let url = league.link_url("anna").await;
    let back = league.authorize(&url, player(9).id).await;
    let state = query_value(&back, "state");
    let code = query_value(&back, "code");
    for (query, status, says) in [
        (format!("?code={code}"), 400, "This link is not valid"),
        (format!("?state={state}"), 400, "This link is not valid"),
        (
            format!("?code={code}&state={}", forged(&state)),
            400,
            "This link is not valid",
        ),
        (
            format!("?code={code}&state=garbage"),
            400,
            "This link is not valid",
        ),
        (
            "?error=access_denied&state=x".into(),
            400,
            "osu! did not confirm",
        ),
    ] {
        let (got, page) = league.open(&league.callback(&query), "en").await;
        assert_eq!(got, status, "{query}: {page}");
        assert!(page.contains(says), "{query}: {page}");
    }

    // osu! refuses the code (a code that was never issued).
    let (status, page) = league
        .open(
            &league.callback(&format!("?code=bogus&state={state}")),
            "en",
        )
        .await;
    assert_eq!(status, 400, "{page}");
    assert!(page.contains("osu! did not confirm"), "{page}");

    // A restricted account (index 5) is refused.
    let url = league.link_url("kira").await;
    let back = league
        .authorize(&url, player(fixtures::RESTRICTED_INDEX).id)
        .await;
    let (status, page) = league.open(&back, "en").await;
    assert_eq!(status, 403, "{page}");
    assert!(page.contains("restricted"), "{page}");

    // Too late: five minutes and one second of server time.
    let url = league.link_url("max").await;
    let late = league.authorize(&url, player(3).id).await;
    league.server.advance_clock(301).await;
    let (status, page) = league.open(&late, ru).await;
    assert_eq!(status, 410, "{page}");
    assert!(page.contains("Срок ссылки истёк"), "{page}");

    // The state from the start is still unused (nothing consumed it), but it too has expired.
    let (status, _) = league.open(&back_with(&state, &code, &league), "en").await;
    assert_eq!(status, 410);

    // Nobody got a role, a nickname or a welcome.
    assert!(
        league
            .discord
            .messages(league.discord.channel_named("welcome"))
            .is_empty()
    );
    for name in ["anna", "kira", "max"] {
        let member = league.discord.member(league.guild.user(name));
        assert_eq!(member.nick, None, "{name}");
    }

    // A successful link, then its replay, then the same osu! account from someone else.
    let url = league.link_url("anna").await;
    let back = league.authorize(&url, player(9).id).await;
    assert_eq!(league.open(&back, "en").await.0, 200);
    let (status, page) = league.open(&back, "en").await;
    assert_eq!(status, 400, "a replayed state");
    assert!(page.contains("This link was already used"), "{page}");
    let url = league.link_url("ivan").await;
    let back = league.authorize(&url, player(9).id).await;
    let (status, page) = league.open(&back, "en").await;
    assert_eq!(status, 409, "{page}");
    assert!(page.contains("already linked"), "{page}");
    // ivan's state was not consumed by the refusal, but osu! codes work once.
    assert_eq!(league.open(&back, "en").await.0, 400);

    // An unranked player (index 11) links into the lowest league, flagged.
    let url = league.link_url("quinn").await;
    let back = league.authorize(&url, player(11).id).await;
    let (status, page) = league.open(&back, "en").await;
    assert_eq!(status, 200, "{page}");
    assert!(page.contains("Novice"), "{page}");
    assert!(page.contains("no global rank"), "{page}");

    let dir = league.server.dir.clone();
    league.server.stop();
    let store = stagehand::store::Store::open(
        &dir.join("data").join("stagehand.redb"),
        &stagehand::store::StoreOptions::default(),
    )
    .unwrap();
    let players = store.read(stagehand::league::player::all).unwrap();
    let linked: Vec<(u64, u64)> = players.iter().map(|p| (p.discord_id, p.osu_id)).collect();
    let mut expected = vec![
        (anna, player(9).id),
        (league.guild.user("quinn"), player(11).id),
    ];
    expected.sort();
    assert_eq!(linked, expected);
}

/// Issue 25 item 5: the callback is open to anyone, so what it logs from the query is data, never
/// a line of its own (a newline) or a terminal command (ESC).
#[tokio::test]
async fn every_failed_sign_in_logs_the_query_as_escaped_data() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path(), &[]);
    let forged = "/oauth/osu/callback?error=x%0Afake%20line%1B[31m";
    let (status, _) = support::get(&server.url(forged)).await;
    assert_eq!(status, 400);
    let log = server.stop();
    assert!(
        log.contains("osu! sign-in cancelled or refused"),
        "the log is being captured: {log}"
    );
    assert!(!log.contains('\x1b'), "a raw ESC reached the log: {log:?}");
    assert!(
        !log.lines().any(|line| line.starts_with("fake line")),
        "a forged log line: {log}"
    );
    assert!(log.contains(r"x\nfake line"), "{log}");
}

fn query_value(url: &str, key: &str) -> String {
    let query = url.split_once('?').map_or("", |(_, q)| q);
    form_urlencoded::parse(query.as_bytes())
        .find(|(k, _)| k == key)
        .map(|(_, v)| v.into_owned())
        .unwrap_or_else(|| panic!("no {key} in {url}"))
}

fn back_with(state: &str, code: &str, league: &League) -> String {
    let query: String = form_urlencoded::Serializer::new(String::new())
        .append_pair("code", code)
        .append_pair("state", state)
        .finish();
    league.callback(&format!("?{query}"))
}

/// `state` with the last digit of its MAC changed.
fn forged(state: &str) -> String {
    let (head, last) = state.split_at(state.len() - 1);
    format!("{head}{}", if last == "0" { "1" } else { "0" })
}

/// A store with `players` linked (Discord ids from 1), each with their best score known.
fn seeded_store(dir: &std::path::Path, players: &[osu::Player]) -> stagehand::store::Store {
    use stagehand::league::player::{self, Player, TopPlay};
    let store = stagehand::store::Store::open(
        &dir.join("s.redb"),
        &stagehand::store::StoreOptions::default(),
    )
    .unwrap();
    let thresholds = store.read(stagehand::league::Thresholds::load).unwrap();
    store
        .write(|w| {
            for (n, p) in players.iter().enumerate() {
                let league = thresholds.league(p.global_rank);
                let pp = p.pp.round() as u32;
                let best = p
                    .best_scores
                    .iter()
                    .max_by(|a, b| a.pp.partial_cmp(&b.pp).unwrap());
                let linked = Player {
                    discord_id: n as u64 + 1,
                    discord_name: format!("member{n}"),
                    osu_id: p.id,
                    osu_username: p.username.clone(),
                    pp,
                    global_rank: p.global_rank,
                    play_time_secs: p.play_time,
                    ii: 0.0,
                    league,
                    future_league: league,
                    initial_pp: pp,
                    linked_at: 0,
                    top_play: best.map(|s| TopPlay {
                        score_id: s.id,
                        pp: s.pp.unwrap_or(0.0) as u32,
                        title: s.beatmap.title.clone(),
                    }),
                    points: 0,
                    seasonal_points: 0,
                };
                match player::link(w, &linked, 0) {
                    Ok(()) => {}
                    Err(player::LinkError::Store(err)) => return Err(err),
                    Err(other) => panic!("{other}"),
                }
            }
            Ok(())
        })
        .unwrap();
    store
}

#[tokio::test]
async fn a_sync_of_500_players_batches_follows_ranks_and_survives_failures() {
    use stagehand::league::{League, player};
    let fake = FakeOsu::start().await;
    let players = fixtures::players(500);
    fake.add_players(players.clone());
    let dir = tempfile::tempdir().unwrap();
    let store = seeded_store(dir.path(), &players);
    // Index 41 (Elite) climbs to rank 500 without gaining pp (§17.18: the future league must
    // follow).
    let climber = &players[41];
    let get = |id: u64| store.read(|r| player::get(r, id)).unwrap().unwrap();
    assert_eq!(get(42).future_league, League::Elite);
    fake.update_player(climber.id, |p| p.global_rank = Some(500));
    // Indexes 30 and 31 gain pp: their best scores are fetched; the first of those calls fails,
    // and that player is left as they were for the next sync (issue 25: storing the new pp
    // without the best score hid a new #1 from every later sync).
    for p in &players[30..32] {
        fake.update_player(p.id, |p| p.pp += 100.0);
    }
    fake.fail_next("/scores/best", 500);
    // The first batch is rate limited once, and waited out.
    fake.fail_next("/users?", 429);
    let client = stagehand::osu::Client::new(
        &url::Url::parse(&fake.base_url()).unwrap(),
        osu::CLIENT_ID,
        osu::CLIENT_SECRET.into(),
    );

    let report = stagehand::league::sync::run(&store, &client, 100)
        .await
        .unwrap();

    assert_eq!(
        fake.calls("/users?ids[]="),
        10 + 1,
        "10 batches of 50, one retried after 429"
    );
    assert_eq!(
        fake.calls("/scores/best"),
        2,
        "best scores only for the two who gained pp"
    );
    assert_eq!(report.players, 500);
    assert_eq!(
        report.missing, 1,
        "the restricted player is not returned: {report:?}"
    );
    assert_eq!(report.failed, 1, "the player whose best scores failed");
    assert_eq!(report.moved, 1);
    let moved = get(42);
    assert_eq!(moved.future_league, League::Master);
    assert_ne!(
        moved.league,
        League::Master,
        "the league itself changes at season start"
    );
    let (failed, fine) = (get(31), get(32));
    assert_eq!(
        failed.pp,
        players[30].pp.round() as u32,
        "left as it was, for the next sync to see the change again"
    );
    assert_eq!(fine.pp, (players[31].pp + 100.0).round() as u32);
    assert!(report.updated >= 3, "{report:?}");
    // Unranked players are novices, never a crash.
    let unranked = get(12);
    assert_eq!(players[11].global_rank, None);
    assert_eq!(unranked.future_league, League::Novice);
}

#[tokio::test]
async fn the_scheduler_refreshes_a_linked_player_once_the_sync_interval_passes() {
    use stagehand::league::League::{Gold, Platinum};
    use stagehand::league::player as row;
    let league = League::start().await;
    let anna = league.guild.user("anna");
    let gold = player(9);
    let url = league.link_url("anna").await;
    let back = league.authorize(&url, gold.id).await;
    assert_eq!(league.open(&back, "en").await.0, 200);

    // Then anna plays ten more hours, gains 2,000 pp and climbs from Gold into Platinum.
    league.osu.update_player(gold.id, |p| {
        p.pp += 2_000.0;
        p.play_time += 36_000;
        p.global_rank = Some(29_999);
    });
    league.server.advance_clock(SYNC_INTERVAL).await;
    support::eventually("the scheduled sync", || syncs(&league.server) == 2).await;
    assert_eq!(league.osu.calls("/users?ids[]="), 1, "one batch, with anna");

    let dir = league.server.dir.clone();
    league.server.stop();
    let store = stagehand::store::Store::open(
        &dir.join("data").join("stagehand.redb"),
        &stagehand::store::StoreOptions::default(),
    )
    .unwrap();
    let synced = store.read(|r| row::get(r, anna)).unwrap().unwrap();
    let (pp, play_time) = ((gold.pp + 2_000.0).round() as u32, gold.play_time + 36_000);
    assert_eq!((synced.pp, synced.play_time_secs), (pp, play_time));
    assert_eq!(synced.ii, row::improvement_indicator(pp, play_time));
    let linked_ii = row::improvement_indicator(gold.pp.round() as u32, gold.play_time);
    assert_ne!(synced.ii, linked_ii, "the sync moved ii");
    assert_eq!(synced.future_league, Platinum);
    assert_eq!(
        synced.league, Gold,
        "the league itself changes at season start"
    );
}

/// Loads `url` in headless Chromium (Debian's `chromium`, installed by `.ci/run`) with the
/// browser's language set to `language`; returns the text a person would see.
async fn browser_text(url: &str, language: &str) -> String {
    let args = [
        "--headless".to_string(),
        "--no-sandbox".into(),
        "--disable-gpu".into(),
        "--disable-dev-shm-usage".into(),
        "--no-first-run".into(),
        "--ignore-certificate-errors".into(),
        format!("--accept-lang={language}"),
        "--virtual-time-budget=5000".into(),
        "--dump-dom".into(),
        url.to_string(),
    ];
    let output = tokio::task::spawn_blocking(move || {
        std::process::Command::new("chromium").args(args).output()
    })
    .await
    .unwrap()
    .expect("cannot run `chromium`: install Debian's chromium package (.ci/run does)");
    let dom = String::from_utf8_lossy(&output.stdout);
    assert!(
        dom.contains("<html"),
        "chromium printed no page: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    visible_text(&dom)
}

/// The text of an HTML document without its tags, head and whitespace runs.
fn visible_text(html: &str) -> String {
    let body = html.split_once("<body").map_or(html, |(_, b)| b);
    let mut text = String::new();
    let mut in_tag = false;
    for c in body.chars() {
        match c {
            '<' => in_tag = true,
            '>' => {
                in_tag = false;
                text.push(' ');
            }
            _ if !in_tag => text.push(c),
            _ => {}
        }
    }
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[tokio::test]
async fn a_real_browser_shows_the_success_and_error_pages() {
    let league = League::start().await;
    // The browser starts at osu!'s authorize page, which sends it back to Stagehand.
    let url = league.link_url("anna").await;
    league.osu.login_as(player(9).id);
    let text = browser_text(&url, "en-US,en").await;
    assert!(text.contains("Your osu! account is linked"), "{text}");
    assert!(text.contains(&player(9).username), "{text}");
    assert!(text.contains("League Gold"), "{text}");
    assert!(text.contains("You can close this page"), "{text}");

    // A Russian browser opening an expired link.
    let url = league.link_url("kira").await;
    let back = league.authorize(&url, player(3).id).await;
    league.server.advance_clock(301).await;
    let text = browser_text(&back, "ru-RU,ru").await;
    assert!(text.contains("Срок ссылки истёк"), "{text}");
    assert!(text.contains("Выполните /link в Discord снова"), "{text}");
    league.server.stop();
}

#[tokio::test]
async fn an_admin_points_a_league_at_another_role_by_id() {
    let league = League::start().await;
    let (owner, anna) = (league.guild.user("owner"), league.guild.user("anna"));
    let custom = league.guild.role("Trainee");
    let options = [
        ("league_role", json!("gold")),
        ("role", json!(custom.to_string())),
    ];
    let reply = league
        .discord
        .invoke(owner, "league role", &options, "en-US")
        .await
        .response()
        .await;
    assert_eq!(
        reply.content,
        format!("From now on <@&{custom}> is the role of gold.")
    );
    let refused = league
        .discord
        .invoke(anna, "league role", &options, "en-US")
        .await
        .response()
        .await;
    assert_eq!(refused.content, "You do not have permission to do this.");

    let url = league.link_url("anna").await;
    let back = league.authorize(&url, player(9).id).await;
    assert_eq!(league.open(&back, "en").await.0, 200);
    support::eventually("the configured role", || {
        let roles = league.discord.member(anna).roles;
        roles.contains(&custom) && !roles.contains(&league.guild.role("Gold"))
    })
    .await;
    league.server.stop();
}
