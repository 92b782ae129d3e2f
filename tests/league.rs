//! The osu! league end to end: `/link` on the fake Discord → the fake osu! sign-in → Stagehand's
//! own TLS callback page → roles, nickname, welcome → `/show`; every failure page of the
//! callback, and that none of them writes.

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
        let mut env = support::discord_env(dir.path(), &discord, &guild);
        env.extend([
            ("STAGEHAND_MODULES_LEAGUE".into(), "true".into()),
            ("STAGEHAND_OSU_BASE_URL".into(), osu.base_url()),
            ("STAGEHAND_OSU_CLIENT_ID".into(), osu::CLIENT_ID.to_string()),
            (
                "STAGEHAND_OSU_CLIENT_SECRET".into(),
                osu::CLIENT_SECRET.to_string(),
            ),
            // Sync only when a test asks for it.
            ("STAGEHAND_LOG_FILTER".into(), "stagehand=debug,info".into()),
        ]);
        let pairs: Vec<(&str, &str)> = env.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        let server = Server::start(dir.path(), &pairs);
        discord.wait_ready().await;
        support::eventually("command registration", || {
            discord.command_registrations() == 1
        })
        .await;
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

    fn callback(&self, query: &str) -> String {
        self.server.url(&format!("/oauth/osu/callback{query}"))
    }
}

fn player(i: usize) -> osu::Player {
    fixtures::players(16).swap_remove(i)
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

    let shown = league
        .discord
        .invoke(anna, "show", &[("table", json!("gold"))], "en-US")
        .await
        .response()
        .await;
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
