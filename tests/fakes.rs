//! Self-tests of the fake osu! API and the fake GD server, over real HTTP: they keep the fakes
//! honest (shapes, status codes, ordering, refusals, faults) until the features that use them
//! land.

use std::collections::HashSet;
use std::time::Duration;

use serde_json::Value;

use crate::support::gd::{self, Failure, FakeGd};
use crate::support::osu::{self, FakeOsu, OAuthClient, RateLimit};

// ---------------------------------------------------------------------------------------------
// osu!

/// A client that, like Stagehand's, does not follow redirects.
fn http() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(Duration::from_secs(20))
        .build()
        .unwrap()
}

async fn json(response: reqwest::Response) -> (u16, Value) {
    let status = response.status().as_u16();
    let text = response.text().await.unwrap();
    let value = serde_json::from_str(&text).unwrap_or_else(|e| panic!("not JSON ({e}): {text:?}"));
    (status, value)
}

/// Starts a fake with `n` fixture players.
async fn osu_with(n: usize) -> (FakeOsu, Vec<osu::Player>) {
    let fake = FakeOsu::start().await;
    let players = osu::fixtures::players(n);
    fake.add_players(players.clone());
    (fake, players)
}

async fn app_token(fake: &FakeOsu) -> String {
    let (status, body) = json(
        http()
            .post(format!("{}/oauth/token", fake.base_url()))
            .form(&[
                ("grant_type", "client_credentials"),
                ("client_id", &osu::CLIENT_ID.to_string()),
                ("client_secret", osu::CLIENT_SECRET),
                ("scope", "public"),
            ])
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    body["access_token"].as_str().unwrap().to_string()
}

async fn api(fake: &FakeOsu, token: &str, path: &str) -> (u16, Value) {
    json(
        http()
            .get(format!("{}/api/v2{path}", fake.base_url()))
            .bearer_auth(token)
            .header("x-api-version", "20220705")
            .send()
            .await
            .unwrap(),
    )
    .await
}

/// Follows the authorize URL as a browser would, returning the redirect's query pairs.
async fn authorize(fake: &FakeOsu, redirect_uri: &str, state: &str) -> Vec<(String, String)> {
    let response = http()
        .get(format!("{}/oauth/authorize", fake.base_url()))
        .query(&[
            ("client_id", osu::CLIENT_ID.to_string().as_str()),
            ("redirect_uri", redirect_uri),
            ("response_type", "code"),
            ("scope", "identify public"),
            ("state", state),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 302);
    let location = response.headers()["location"].to_str().unwrap();
    assert!(location.starts_with(redirect_uri), "{location}");
    url::Url::parse(location)
        .unwrap()
        .query_pairs()
        .into_owned()
        .collect()
}

fn pair<'a>(pairs: &'a [(String, String)], key: &str) -> Option<&'a str> {
    pairs
        .iter()
        .find(|(k, _)| k == key)
        .map(|(_, v)| v.as_str())
}

async fn exchange(fake: &FakeOsu, code: &str, redirect_uri: &str, secret: &str) -> (u16, Value) {
    json(
        http()
            .post(format!("{}/oauth/token", fake.base_url()))
            .form(&[
                ("grant_type", "authorization_code"),
                ("client_id", &osu::CLIENT_ID.to_string()),
                ("client_secret", secret),
                ("code", code),
                ("redirect_uri", redirect_uri),
            ])
            .send()
            .await
            .unwrap(),
    )
    .await
}

const CALLBACK: &str = "https://bot.example.org/osu/callback";

#[tokio::test]
async fn osu_authorization_code_flow_links_the_chosen_player() {
    let (fake, players) = osu_with(20).await;
    let player = &players[3];
    fake.login_as(player.id);

    let pairs = authorize(&fake, CALLBACK, "signed-state-1").await;
    assert_eq!(pair(&pairs, "state"), Some("signed-state-1"));
    let code = pair(&pairs, "code").unwrap().to_string();

    // A wrong secret is the client's fault (401) and does not burn the code.
    let (status, body) = exchange(&fake, &code, CALLBACK, "wrong").await;
    assert_eq!(
        (status, body["error"].as_str()),
        (401, Some("invalid_client"))
    );
    // A different redirect URI than the authorize step's is refused.
    let (status, body) = exchange(
        &fake,
        &code,
        "https://elsewhere.example/cb",
        osu::CLIENT_SECRET,
    )
    .await;
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("invalid_request"))
    );

    let pairs = authorize(&fake, CALLBACK, "signed-state-2").await;
    let code = pair(&pairs, "code").unwrap().to_string();
    let (status, token) = exchange(&fake, &code, CALLBACK, osu::CLIENT_SECRET).await;
    assert_eq!(status, 200, "{token}");
    assert_eq!(token["token_type"], "Bearer");
    assert_eq!(token["expires_in"], osu::TOKEN_LIFETIME_SECS);
    assert!(token["refresh_token"].is_string());
    let access = token["access_token"].as_str().unwrap();

    // A code works once.
    let (status, body) = exchange(&fake, &code, CALLBACK, osu::CLIENT_SECRET).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("invalid_grant"))
    );

    for path in ["/me", "/me/osu"] {
        let (status, me) = api(&fake, access, path).await;
        assert_eq!(status, 200, "{me}");
        assert_eq!(me["id"], player.id);
        assert_eq!(me["username"], player.username.as_str());
        assert_eq!(me["country_code"], player.country.as_str());
        assert_eq!(me["is_restricted"], false);
        assert_eq!(me["statistics"]["pp"], player.pp);
        assert_eq!(
            me["statistics"]["global_rank"],
            serde_json::json!(player.global_rank)
        );
        assert_eq!(me["statistics"]["play_time"], player.play_time);
        assert!(me["avatar_url"].as_str().unwrap().starts_with("https://"));
        assert_eq!(me["statistics_rulesets"]["osu"]["pp"], player.pp);
        // The country rank is an include of the profile's `statistics`, and only there.
        assert!(me["statistics"]["country_rank"].is_u64(), "{me}");
        assert!(
            me["statistics_rulesets"]["osu"]
                .get("country_rank")
                .is_none()
        );
    }

    // The refresh token gives a new pair, once.
    let refresh = token["refresh_token"].as_str().unwrap();
    let form = [
        ("grant_type", "refresh_token"),
        ("client_id", &osu::CLIENT_ID.to_string()),
        ("client_secret", osu::CLIENT_SECRET),
        ("refresh_token", refresh),
    ];
    let url = format!("{}/oauth/token", fake.base_url());
    let (status, again) = json(http().post(&url).form(&form).send().await.unwrap()).await;
    assert_eq!(status, 200, "{again}");
    assert_ne!(again["access_token"], token["access_token"]);
    let (status, body) = json(http().post(&url).form(&form).send().await.unwrap()).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("invalid_grant"))
    );
    assert_eq!(fake.calls("/oauth/token"), 6);
}

#[tokio::test]
async fn osu_authorize_denials_and_bad_clients() {
    let (fake, players) = osu_with(10).await;
    let url = format!("{}/oauth/authorize", fake.base_url());

    // Nobody signed in: no redirect, a page.
    let query = [
        ("client_id", osu::CLIENT_ID.to_string()),
        ("redirect_uri", CALLBACK.to_string()),
        ("response_type", "code".to_string()),
        ("state", "s".to_string()),
    ];
    let response = http().get(&url).query(&query).send().await.unwrap();
    assert_eq!(response.status(), 401);

    fake.deny();
    let pairs = authorize(&fake, CALLBACK, "denied-state").await;
    assert_eq!(pair(&pairs, "error"), Some("access_denied"));
    assert_eq!(pair(&pairs, "state"), Some("denied-state"));
    assert_eq!(pair(&pairs, "code"), None);

    // An unknown client or a foreign redirect URI never gets a redirect.
    fake.login_as(players[0].id);
    let mut bad = query.clone();
    bad[0].1 = "999".to_string();
    let response = http().get(&url).query(&bad).send().await.unwrap();
    assert_eq!(response.status(), 401);
    assert!(response.headers().get("location").is_none());
    fake.add_client(OAuthClient {
        id: 77,
        secret: "s77".into(),
        redirect_uri: Some(CALLBACK.into()),
    });
    let mut foreign = query.clone();
    foreign[0].1 = "77".to_string();
    foreign[1].1 = "https://evil.example/cb".to_string();
    let response = http().get(&url).query(&foreign).send().await.unwrap();
    assert_eq!(response.status(), 400);
    assert!(response.headers().get("location").is_none());
    foreign[1].1 = CALLBACK.to_string();
    let response = http().get(&url).query(&foreign).send().await.unwrap();
    assert_eq!(response.status(), 302);
}

#[tokio::test]
async fn osu_client_credentials_and_bearer_rules() {
    let (fake, players) = osu_with(12).await;
    let base = fake.base_url();

    // JSON bodies work as well as forms; scope identify is refused for an app token.
    let (status, body) = json(
        http()
            .post(format!("{base}/oauth/token"))
            .header("content-type", "application/json")
            .body(
                serde_json::json!({
                    "grant_type": "client_credentials",
                    "client_id": osu::CLIENT_ID,
                    "client_secret": osu::CLIENT_SECRET,
                    "scope": "identify",
                })
                .to_string(),
            )
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("invalid_scope"))
    );
    let (status, body) = json(
        http()
            .post(format!("{base}/oauth/token"))
            .form(&[("grant_type", "password")])
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("unsupported_grant_type"))
    );

    let token = app_token(&fake).await;
    let ranked = &players[2];
    let (status, user) = api(&fake, &token, &format!("/users/{}/osu", ranked.id)).await;
    assert_eq!(status, 200);
    assert_eq!(user["username"], ranked.username.as_str());
    assert_eq!(
        user["statistics"]["global_rank"],
        ranked.global_rank.unwrap()
    );
    assert_eq!(user["statistics"]["is_ranked"], true);

    // The app token has no user: /me is unauthenticated.
    assert_eq!(api(&fake, &token, "/me").await.0, 401);
    // No token or a made-up one.
    let (status, body) = json(
        http()
            .get(format!("{base}/api/v2/users/{}/osu", ranked.id))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(
        (status, body),
        (401, serde_json::json!({"authentication": "basic"}))
    );
    assert_eq!(api(&fake, "made-up", "/users/1/osu").await.0, 401);
    // Expired tokens stop working.
    fake.expire_tokens();
    assert_eq!(
        api(&fake, &token, &format!("/users/{}/osu", ranked.id))
            .await
            .0,
        401
    );
}

#[tokio::test]
async fn osu_users_unranked_restricted_and_missing() {
    let (fake, players) = osu_with(40).await;
    let token = app_token(&fake).await;

    let unranked = players.iter().find(|p| p.global_rank.is_none()).unwrap();
    let (status, user) = api(&fake, &token, &format!("/users/{}/osu", unranked.id)).await;
    assert_eq!(status, 200);
    assert!(user["statistics"]["global_rank"].is_null());
    assert_eq!(user["statistics"]["is_ranked"], false);

    let restricted = &players[osu::fixtures::RESTRICTED_INDEX];
    assert!(restricted.restricted);
    for path in [
        format!("/users/{}/osu", restricted.id),
        format!("/users/{}/scores/best?mode=osu&limit=1", restricted.id),
        "/users/1/osu".to_string(),
    ] {
        let (status, body) = api(&fake, &token, &path).await;
        assert_eq!(
            (status, body),
            (404, serde_json::json!({"error": null})),
            "{path}"
        );
    }
    // By @username too.
    let (status, user) = api(
        &fake,
        &token,
        &format!("/users/@{}/osu", players[1].username),
    )
    .await;
    assert_eq!((status, user["id"].as_u64()), (200, Some(players[1].id)));

    // The restricted player can still sign in and sees the flag.
    fake.login_as(restricted.id);
    let pairs = authorize(&fake, CALLBACK, "x").await;
    let (_, token) = exchange(
        &fake,
        pair(&pairs, "code").unwrap(),
        CALLBACK,
        osu::CLIENT_SECRET,
    )
    .await;
    let (status, me) = api(&fake, token["access_token"].as_str().unwrap(), "/me").await;
    assert_eq!((status, me["is_restricted"].as_bool()), (200, Some(true)));
}

#[tokio::test]
async fn osu_batches_keep_the_first_fifty_known_ids_in_id_order() {
    let (fake, players) = osu_with(60).await;
    let token = app_token(&fake).await;
    // 51 ids, reversed, with an unknown one first: osu-web keeps the first 50 silently.
    let mut ids: Vec<u64> = vec![1];
    ids.extend(players.iter().rev().take(50).map(|p| p.id));
    assert_eq!(ids.len(), 51);
    let query: Vec<(&str, String)> = ids.iter().map(|id| ("ids[]", id.to_string())).collect();
    let response = http()
        .get(format!("{}/api/v2/users", fake.base_url()))
        .bearer_auth(&token)
        .query(&query)
        .send()
        .await
        .unwrap();
    let (status, body) = json(response).await;
    assert_eq!(status, 200);
    let users = body["users"].as_array().unwrap();
    let got: Vec<u64> = users.iter().map(|u| u["id"].as_u64().unwrap()).collect();
    let mut expected: Vec<u64> = ids[..50]
        .iter()
        .copied()
        .filter(|id| players.iter().any(|p| p.id == *id && !p.restricted))
        .collect();
    expected.sort_unstable();
    assert_eq!(got, expected, "first 50 ids, unknown dropped, ascending");
    assert!(!got.contains(&ids[50]), "the 51st id is ignored");
    let first = &users[0];
    let player = players.iter().find(|p| p.id == got[0]).unwrap();
    assert_eq!(first["username"], player.username.as_str());
    assert_eq!(first["statistics_rulesets"]["osu"]["pp"], player.pp);
    assert!(
        first["statistics_rulesets"]["osu"]["global_rank"].is_u64() || player.global_rank.is_none()
    );
    assert!(
        first["statistics_rulesets"]["osu"]
            .get("country_rank")
            .is_none()
    );
    assert_eq!(fake.calls("/users?ids[]="), 1);
    assert_eq!(fake.calls("/users"), 1);
}

#[tokio::test]
async fn osu_best_scores_in_both_formats() {
    let (fake, players) = osu_with(3).await;
    let token = app_token(&fake).await;
    let player = &players[0];
    assert_eq!(player.best_scores.len(), 105);

    let (status, scores) = api(
        &fake,
        &token,
        &format!("/users/{}/scores/best?mode=osu&limit=1", player.id),
    )
    .await;
    assert_eq!(status, 200);
    let top = &scores.as_array().unwrap()[0];
    let best = player
        .best_scores
        .iter()
        .max_by(|a, b| a.pp.unwrap_or(0.0).total_cmp(&b.pp.unwrap_or(0.0)))
        .unwrap();
    assert_eq!(top["id"], best.id);
    assert_eq!(top["pp"], best.pp.unwrap());
    assert_eq!(top["ended_at"], best.created_at.as_str());
    assert_eq!(top["mods"][0]["acronym"].is_string(), !best.mods.is_empty());
    assert_eq!(top["beatmapset"]["title"], best.beatmap.title.as_str());
    assert_eq!(top["beatmap"]["version"], best.beatmap.version.as_str());
    assert_eq!(top["rank"], best.rank.as_str());
    assert!(top["accuracy"].as_f64().unwrap() <= 1.0);

    // Limit is clamped to 100; pp descend; loved maps have pp null and sort last.
    let (_, all) = api(
        &fake,
        &token,
        &format!("/users/{}/scores/best?mode=osu&limit=500", player.id),
    )
    .await;
    let all = all.as_array().unwrap();
    assert_eq!(all.len(), 100);
    let pps: Vec<f64> = all
        .iter()
        .map(|s| s["pp"].as_f64().unwrap_or(0.0))
        .collect();
    assert!(pps.windows(2).all(|w| w[0] >= w[1]));
    assert!(all.iter().any(|s| s["pp"].is_null()));

    // Without x-api-version: the legacy format.
    let (_, legacy) = json(
        http()
            .get(format!(
                "{}/api/v2/users/{}/scores/best?mode=osu&limit=1",
                fake.base_url(),
                player.id
            ))
            .bearer_auth(&token)
            .send()
            .await
            .unwrap(),
    )
    .await;
    let legacy = &legacy[0];
    assert_eq!(legacy["created_at"], best.created_at.as_str());
    assert!(
        legacy["mods"]
            .as_array()
            .unwrap()
            .iter()
            .all(Value::is_string)
    );
    assert!(legacy.get("ended_at").is_none());

    // A player who never played has no best scores at all.
    let (fake, players) = osu_with(12).await;
    let token = app_token(&fake).await;
    let fresh = &players[11];
    assert_eq!((fresh.global_rank, fresh.pp), (None, 0.0));
    let (status, none) = api(
        &fake,
        &token,
        &format!("/users/{}/scores/best?mode=osu&limit=1", fresh.id),
    )
    .await;
    assert_eq!((status, none), (200, serde_json::json!([])));
}

#[tokio::test]
async fn osu_players_change_between_syncs() {
    let (fake, players) = osu_with(5).await;
    let token = app_token(&fake).await;
    let id = players[4].id;
    fake.update_player(id, |p| {
        p.pp += 100.0;
        p.global_rank = Some(999);
    });
    let (_, user) = api(&fake, &token, &format!("/users/{id}/osu")).await;
    assert_eq!(user["statistics"]["pp"], players[4].pp + 100.0);
    assert_eq!(user["statistics"]["global_rank"], 999);
    fake.remove_player(id);
    assert_eq!(api(&fake, &token, &format!("/users/{id}/osu")).await.0, 404);
}

#[tokio::test]
async fn osu_rate_limit_and_injected_failures() {
    let (fake, players) = osu_with(3).await;
    let token = app_token(&fake).await;
    // Two at once, then one per 1000 s: the third request is refused, deterministically.
    fake.set_rate_limit(Some(RateLimit {
        per_second: 0.001,
        burst: 2,
    }));
    let path = format!("/users/{}/osu", players[0].id);
    assert_eq!(api(&fake, &token, &path).await.0, 200);
    assert_eq!(api(&fake, &token, &path).await.0, 200);
    let response = http()
        .get(format!("{}/api/v2{path}", fake.base_url()))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 429);
    let retry_after: u64 = response.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((990..=1000).contains(&retry_after), "{retry_after}");
    fake.set_rate_limit(None);

    fake.fail_next("/scores/best", 503);
    fake.fail_next("/osu", 429);
    let (status, _) = api(&fake, &token, &path).await; // matches "/osu"
    assert_eq!(status, 429);
    let response = http()
        .get(format!(
            "{}/api/v2/users/{}/scores/best",
            fake.base_url(),
            players[0].id
        ))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 503);
    assert!(response.text().await.unwrap().contains("<html>"));
    assert_eq!(api(&fake, &token, &path).await.0, 200);

    let statuses: Vec<u16> = fake.requests().iter().map(|r| r.status).collect();
    assert_eq!(statuses, [200, 200, 200, 429, 429, 503, 200]);
    assert_eq!(fake.calls(&path), 5);
}

#[test]
fn osu_fixtures_cover_every_league_and_are_deterministic() {
    let players = osu::fixtures::players(500);
    assert_eq!(players, osu::fixtures::players(500));
    assert_eq!(players[..30], osu::fixtures::players(30)[..]);
    let ids: HashSet<u64> = players.iter().map(|p| p.id).collect();
    let names: HashSet<&str> = players.iter().map(|p| p.username.as_str()).collect();
    assert_eq!((ids.len(), names.len()), (500, 500));
    assert!(players.iter().all(|p| p.username.chars().count() <= 15));
    assert!(players.iter().any(|p| {
        p.username
            .chars()
            .any(|c| matches!(c, 'А'..='я' | 'Ё' | 'ё'))
    }));
    assert_eq!(players.iter().filter(|p| p.restricted).count(), 1);
    assert!(players.iter().filter(|p| p.global_rank.is_none()).count() >= 10);
    let thresholds = [1_000, 3_000, 10_000, 30_000, 80_000, 150_000, 250_000];
    let league = |rank: u32| thresholds.iter().filter(|&&t| rank >= t).count();
    let leagues: HashSet<usize> = players
        .iter()
        .filter_map(|p| p.global_rank)
        .map(league)
        .collect();
    assert_eq!(leagues.len(), 8, "all eight leagues");
    let per_league = |l: usize| {
        players
            .iter()
            .filter(|p| p.global_rank.map(league) == Some(l))
            .count()
    };
    assert!(
        (0..8).all(|l| per_league(l) >= 40),
        "a real spread, not one each"
    );
}

// ---------------------------------------------------------------------------------------------
// Geometry Dash

/// Like Stagehand's GD client: no User-Agent header at all.
fn gd_http() -> reqwest::Client {
    reqwest::Client::builder()
        .timeout(Duration::from_secs(20))
        .build()
        .unwrap()
}

async fn gd_post(
    client: &reqwest::Client,
    fake: &FakeGd,
    endpoint: &str,
    form: &[(&str, &str)],
) -> (u16, String) {
    let response = client
        .post(format!("{}/database/{endpoint}.php", fake.base_url()))
        .form(form)
        .send()
        .await
        .unwrap();
    (response.status().as_u16(), response.text().await.unwrap())
}

async fn search(fake: &FakeGd, ids: &str) -> (u16, String) {
    gd_post(
        &gd_http(),
        fake,
        "getGJLevels21",
        &[("type", "10"), ("str", ids), ("secret", gd::SECRET)],
    )
    .await
}

/// Splits `k:v:k:v…` into pairs, in wire order.
fn fields(record: &str) -> Vec<(&str, &str)> {
    let parts: Vec<&str> = record.split(':').collect();
    assert_eq!(parts.len() % 2, 0, "odd field count in {record}");
    parts.chunks(2).map(|kv| (kv[0], kv[1])).collect()
}

fn get<'a>(fields: &[(&str, &'a str)], key: &str) -> &'a str {
    fields
        .iter()
        .find(|(k, _)| *k == key)
        .unwrap_or_else(|| panic!("no key {key}"))
        .1
}

#[tokio::test]
async fn gd_search_answers_in_the_real_wire_format() {
    use gd::fixtures::*;
    let fake = FakeGd::with_fixtures().await;
    let ids = format!(
        "{UNRATED_FACE},{MISSING},{RATED},{DEMONS_0},{AUTO},{UNRATED_NA}",
        DEMONS_0 = DEMONS[0]
    );
    let (status, body) = search(&fake, &ids).await;
    assert_eq!(status, 200);
    let sections: Vec<&str> = body.split('#').collect();
    assert_eq!(sections.len(), 5, "{body}");

    // Levels: the missing id is simply absent; order is neither the request's nor the creators'.
    let levels: Vec<Vec<(&str, &str)>> = sections[0].split('|').map(fields).collect();
    let got: Vec<u64> = levels
        .iter()
        .map(|l| get(l, "1").parse().unwrap())
        .collect();
    assert_eq!(got, [AUTO, DEMONS[0], RATED, UNRATED_FACE, UNRATED_NA]);
    for level in &levels {
        let keys: Vec<u32> = level.iter().map(|(k, _)| k.parse().unwrap()).collect();
        assert!(
            keys.windows(2).any(|w| w[0] > w[1]),
            "keys out of numeric order"
        );
        assert_eq!(&keys[..2], &[1, 2]);
    }
    let by_id = |id: u64| {
        levels
            .iter()
            .find(|l| get(l, "1") == id.to_string())
            .unwrap()
    };
    // False booleans are empty strings, true ones `1`.
    let rated = by_id(RATED);
    assert_eq!((get(rated, "17"), get(rated, "25")), ("", ""));
    assert_eq!(get(rated, "43"), "5", "key 43 is sent even on a non-demon");
    assert_eq!(get(rated, "18"), "3");
    let demon = by_id(DEMONS[0]);
    assert_eq!(
        (get(demon, "17"), get(demon, "43"), get(demon, "9")),
        ("1", "3", "50")
    );
    let auto = by_id(AUTO);
    assert_eq!(
        (get(auto, "25"), get(auto, "17"), get(auto, "9")),
        ("1", "", "50")
    );
    let na = by_id(UNRATED_NA);
    assert_eq!((get(na, "8"), get(na, "9"), get(na, "18")), ("0", "0", "0"));
    let face = by_id(UNRATED_FACE);
    assert_eq!(
        (get(face, "9"), get(face, "39"), get(face, "2")),
        ("30", "7", "Ночной город")
    );

    // Creators: ascending player id, each once, joined to levels by key 6.
    let creators: Vec<Vec<&str>> = sections[1]
        .split('|')
        .map(|c| c.split(':').collect())
        .collect();
    let creator_ids: Vec<u64> = creators.iter().map(|c| c[0].parse().unwrap()).collect();
    let mut sorted = creator_ids.clone();
    sorted.sort_unstable();
    sorted.dedup();
    assert_eq!(creator_ids, sorted);
    for level in &levels {
        let player = get(level, "6");
        assert!(creators.iter().any(|c| c[0] == player && c.len() == 3));
    }
    let level_order: Vec<u64> = levels
        .iter()
        .map(|l| get(l, "6").parse().unwrap())
        .collect();
    assert_ne!(level_order, creator_ids, "creators are not in level order");

    // Songs: `~:~` between songs, `~|~` between fields, ascending id.
    let songs: Vec<&str> = sections[2].split("~:~").collect();
    let song_ids: Vec<&str> = songs
        .iter()
        .map(|s| s.split("~|~").nth(1).unwrap())
        .collect();
    assert_eq!(song_ids, ["650000", "700001"]);
    assert!(songs[0].contains("~|~10~|~https%3A%2F%2F"));

    assert_eq!(sections[3], "5:0:10");
    assert_eq!(sections[4].len(), 40);
    assert!(sections[4].chars().all(|c| c.is_ascii_hexdigit()));
    assert_eq!(fake.calls("getGJLevels21"), 1);
    assert_eq!(fake.requests()[0].field("str"), Some(ids.as_str()));
}

#[tokio::test]
async fn gd_fixture_levels_each_parse_and_carry_their_case() {
    let fake = FakeGd::with_fixtures().await;
    let all = gd::fixtures::levels();
    let ids: HashSet<u64> = all.iter().map(|l| l.id).collect();
    assert_eq!(ids.len(), all.len(), "unique ids");
    // Every demon tier, every epic tier, auto, platformers, requested stars, odd descriptions.
    let tiers: HashSet<u8> = all
        .iter()
        .filter(|l| l.demon)
        .map(|l| l.demon_difficulty)
        .collect();
    assert_eq!(tiers, HashSet::from([0, 3, 4, 5, 6]));
    let epics: HashSet<u8> = all.iter().filter(|l| l.stars > 0).map(|l| l.epic).collect();
    assert_eq!(epics, HashSet::from([0, 1, 2, 3]));
    assert!(all.iter().any(|l| l.auto));
    assert!(all.iter().any(|l| l.length == 5 && l.stars == 0));
    assert!(all.iter().any(|l| l.length == 5 && l.stars > 0));
    assert!(all.iter().any(|l| l.stars > 0 && l.featured_score == 0));
    assert!(all.iter().any(|l| !l.demon && l.demon_difficulty != 0));

    // One at a time, every level comes back with its creator record or none at all.
    for level in &all {
        let (status, body) = search(&fake, &level.id.to_string()).await;
        assert_eq!(status, 200);
        let sections: Vec<&str> = body.split('#').collect();
        let record = fields(sections[0]);
        assert_eq!(get(&record, "1"), level.id.to_string());
        assert_eq!(get(&record, "2"), level.name);
        assert_eq!(get(&record, "3"), level.description);
        if level.creator_name.is_empty() {
            assert_eq!(sections[1], "");
        } else {
            assert_eq!(
                sections[1],
                format!(
                    "{}:{}:{}",
                    level.creator_player_id, level.creator_name, level.account_id
                )
            );
        }
    }
    let url_safe = fake.level(gd::fixtures::URL_SAFE_DESCRIPTION).unwrap();
    assert!(url_safe.description.contains('-') && url_safe.description.contains('_'));
    assert_eq!(
        gd::encode_description(gd::fixtures::URL_SAFE_TEXT),
        url_safe.description
    );
    assert_eq!(gd::encode_description("Hi"), "SGk=");
}

#[tokio::test]
async fn gd_refusals_are_minus_one_and_cloudflare_refuses_user_agents() {
    let fake = FakeGd::with_fixtures().await;
    let rated = gd::fixtures::RATED.to_string();
    let client = gd_http();

    assert_eq!(
        search(&fake, &gd::fixtures::MISSING.to_string()).await,
        (200, "-1".into())
    );
    for form in [
        vec![("type", "10"), ("str", rated.as_str()), ("secret", "wrong")],
        vec![("type", "10"), ("str", rated.as_str())],
        vec![("type", "10"), ("str", "12,abc"), ("secret", gd::SECRET)],
        vec![
            ("type", "2"),
            ("str", rated.as_str()),
            ("secret", gd::SECRET),
        ],
    ] {
        assert_eq!(
            gd_post(&client, &fake, "getGJLevels21", &form).await,
            (200, "-1".into()),
            "{form:?}"
        );
    }
    let response = client
        .get(format!("{}/database/getGJLevels21.php", fake.base_url()))
        .send()
        .await
        .unwrap();
    assert_eq!(response.text().await.unwrap(), "-1");
    let (status, _) = gd_post(&client, &fake, "nope", &[("secret", gd::SECRET)]).await;
    assert_eq!(status, 404);

    // A browser-ish User-Agent, and then an empty one.
    let browser = reqwest::Client::builder()
        .user_agent("Mozilla/5.0")
        .build()
        .unwrap();
    let form = [
        ("type", "10"),
        ("str", rated.as_str()),
        ("secret", gd::SECRET),
    ];
    assert_eq!(
        gd_post(&browser, &fake, "getGJLevels21", &form).await,
        (403, "error code: 1020".into())
    );
    let empty = reqwest::Client::builder().user_agent("").build().unwrap();
    let (status, body) = gd_post(&empty, &fake, "getGJLevels21", &form).await;
    assert_eq!(status, 200);
    assert!(body.starts_with(&format!("1:{rated}:2:")));
    assert_eq!(fake.calls("getGJLevels21"), 8);
    let agents: Vec<Option<String>> = fake
        .requests()
        .iter()
        .rev()
        .take(2)
        .map(|r| r.user_agent.clone())
        .collect();
    assert_eq!(
        agents,
        [Some(String::new()), Some("Mozilla/5.0".to_string())]
    );
}

#[tokio::test]
async fn gd_type_19_pages_by_ten() {
    let fake = FakeGd::with_fixtures().await;
    let ids: Vec<String> = gd::fixtures::levels()
        .iter()
        .map(|l| l.id.to_string())
        .collect();
    let ids = ids.join(",");
    let client = gd_http();
    let page = |n: &'static str| {
        let ids = ids.clone();
        let client = client.clone();
        let fake = &fake;
        async move {
            gd_post(
                &client,
                fake,
                "getGJLevels21",
                &[
                    ("type", "19"),
                    ("str", &ids),
                    ("page", n),
                    ("secret", gd::SECRET),
                ],
            )
            .await
        }
    };
    let total = gd::fixtures::levels().len();
    let (_, first) = page("0").await;
    assert_eq!(first.split('#').next().unwrap().split('|').count(), 10);
    assert_eq!(first.split('#').nth(3).unwrap(), format!("{total}:0:10"));
    let (_, second) = page("1").await;
    assert_eq!(second.split('#').nth(3).unwrap(), format!("{total}:10:10"));
    let (_, beyond) = page("9").await;
    assert_eq!(beyond, "-1");
}

#[tokio::test]
async fn gd_download_carries_the_full_record() {
    let fake = FakeGd::with_fixtures().await;
    let client = gd_http();
    let id = gd::fixtures::LEGENDARY.to_string();
    let (status, body) = gd_post(
        &client,
        &fake,
        "downloadGJLevel22",
        &[("levelID", &id), ("secret", gd::SECRET)],
    )
    .await;
    assert_eq!(status, 200);
    let sections: Vec<&str> = body.split('#').collect();
    assert_eq!(sections.len(), 3, "level#hash1#hash2 for old clients");
    let record = fields(sections[0]);
    assert_eq!(get(&record, "1"), id);
    assert_eq!(get(&record, "42"), "2");
    assert!(get(&record, "4").starts_with("H4sIA"));

    let (_, newer) = gd_post(
        &client,
        &fake,
        "downloadGJLevel22",
        &[
            ("levelID", &id),
            ("binaryVersion", "45"),
            ("gameVersion", "22"),
            ("secret", gd::SECRET),
        ],
    )
    .await;
    let sections: Vec<&str> = newer.split('#').collect();
    assert_eq!(sections.len(), 6, "{newer}");
    // The creators section is there but empty: the real server fills it only for the daily,
    // weekly and event levels.
    assert_eq!(sections[3], "");
    assert!(sections[4].starts_with("1~|~700001~|~"));
    // Before binary version 42 there are no extra sections at all.
    let (_, older) = gd_post(
        &client,
        &fake,
        "downloadGJLevel22",
        &[
            ("levelID", &id),
            ("binaryVersion", "41"),
            ("secret", gd::SECRET),
        ],
    )
    .await;
    assert_eq!(older.split('#').count(), 3, "{older}");

    for missing in ["91999999", "-1", "x"] {
        let (status, body) = gd_post(
            &client,
            &fake,
            "downloadGJLevel22",
            &[("levelID", missing), ("secret", gd::SECRET)],
        )
        .await;
        assert_eq!((status, body.as_str()), (200, "-1"), "{missing}");
    }
    assert_eq!(fake.calls("downloadGJLevel22"), 6);
    assert_eq!(fake.calls("getGJLevels21"), 0);
}

#[tokio::test]
async fn gd_faults_are_served_once_each_in_order() {
    let fake = FakeGd::with_fixtures().await;
    let rated = gd::fixtures::RATED.to_string();
    fake.fail_next(Failure::Status(429));
    fake.fail_next(Failure::Status(502));
    fake.fail_next(Failure::Body("error code: 1015".into()));
    fake.fail_next(Failure::Body(String::new()));
    fake.fail_next(Failure::Body("1:128:2:Trunc".into()));
    let mut answers = Vec::new();
    for _ in 0..6 {
        answers.push(search(&fake, &rated).await);
    }
    assert_eq!(answers[0], (429, "error code: 1015".into()));
    assert_eq!(answers[1].0, 502);
    assert!(answers[1].1.contains("<html"));
    assert_eq!(answers[2], (200, "error code: 1015".into()));
    assert_eq!(answers[3], (200, String::new()));
    assert_eq!(answers[4], (200, "1:128:2:Trunc".into()));
    assert!(answers[5].1.starts_with(&format!("1:{rated}:")));

    // A hang outlasts a client's timeout; the next request is served normally.
    fake.fail_next(Failure::Hang(Duration::from_secs(30)));
    let impatient = reqwest::Client::builder()
        .timeout(Duration::from_millis(200))
        .build()
        .unwrap();
    let error = impatient
        .post(format!("{}/database/getGJLevels21.php", fake.base_url()))
        .form(&[
            ("type", "10"),
            ("str", rated.as_str()),
            ("secret", gd::SECRET),
        ])
        .send()
        .await
        .unwrap_err();
    assert!(error.is_timeout());
    assert_eq!(search(&fake, &rated).await.0, 200);
    assert_eq!(fake.calls("getGJLevels21"), 8);
}
