//! The osu! client (`stagehand::osu`) against the fake osu!: code exchange (each with its own
//! token, osu-arena §17.13), refusals, batches of 50, best scores, the shared token, 429s, faults
//! and the 10-requests-a-second limit.

use std::collections::HashSet;
use std::time::{Duration, Instant};

use stagehand::osu::{Client, OsuError, Shared};

use crate::support::osu::{self, FakeOsu, RateLimit};

const CALLBACK: &str = "https://bot.example.org/osu/callback";

/// A fake with `n` fixture players and a client pointed at it.
async fn setup(n: usize) -> (FakeOsu, Vec<osu::Player>, Client) {
    let fake = FakeOsu::start().await;
    let players = osu::fixtures::players(n);
    fake.add_players(players.clone());
    let client = client_for(&fake, osu::CLIENT_SECRET);
    (fake, players, client)
}

fn client_for(fake: &FakeOsu, secret: &str) -> Client {
    let base = url::Url::parse(&fake.base_url()).unwrap();
    Client::new(&base, osu::CLIENT_ID, secret.to_string())
}

/// Signs `player` in and follows the client's authorize URL as their browser would: the code
/// from the redirect to the callback.
async fn code_for(fake: &FakeOsu, client: &Client, player: u64) -> String {
    fake.login_as(player);
    let state = format!("state-{player}");
    let browser = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let response = browser
        .get(client.authorize_url(CALLBACK, &state))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 302);
    let location = response.headers()["location"].to_str().unwrap();
    assert!(location.starts_with(CALLBACK), "{location}");
    let location = url::Url::parse(location).unwrap();
    let param = |name: &str| {
        location
            .query_pairs()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.into_owned())
    };
    assert_eq!(param("state"), Some(state));
    param("code").unwrap()
}

#[tokio::test]
async fn osu_client_exchanges_a_code_for_the_signed_in_player() {
    let (fake, players, client) = setup(12).await;
    let player = &players[1];
    let code = code_for(&fake, &client, player.id).await;
    let user = client.me_from_code(&code, CALLBACK).await.unwrap();
    assert_eq!(user.id, player.id);
    assert_eq!(user.username, player.username);
    assert_eq!(user.pp, player.pp);
    assert_eq!(user.global_rank, player.global_rank);
    assert_eq!(user.country_code, player.country);
    assert_eq!(user.play_time, player.play_time);
    assert!(
        user.avatar_url.starts_with("https://"),
        "{}",
        user.avatar_url
    );
    assert!(user.country_rank.is_some());
    assert!(!user.is_restricted);
    let targets: Vec<_> = fake.requests().into_iter().map(|r| r.target).collect();
    assert_eq!(targets[1..], ["/oauth/token", "/api/v2/me/osu"]);

    // An unranked player links without trouble (osu-arena §17.16), and a restricted one sees
    // themselves as restricted.
    let unranked = players.iter().find(|p| p.global_rank.is_none()).unwrap();
    let code = code_for(&fake, &client, unranked.id).await;
    let user = client.me_from_code(&code, CALLBACK).await.unwrap();
    assert_eq!((user.id, user.global_rank), (unranked.id, None));
    let restricted = &players[osu::fixtures::RESTRICTED_INDEX];
    let code = code_for(&fake, &client, restricted.id).await;
    let user = client.me_from_code(&code, CALLBACK).await.unwrap();
    assert_eq!(user.id, restricted.id);
    assert!(user.is_restricted);
}

#[tokio::test]
async fn osu_client_a_used_or_wrong_code_is_denied() {
    let (fake, players, client) = setup(3).await;
    let code = code_for(&fake, &client, players[0].id).await;
    client.me_from_code(&code, CALLBACK).await.unwrap();
    // The browser refreshed the callback page: the code is spent.
    assert_eq!(
        client.me_from_code(&code, CALLBACK).await,
        Err(OsuError::Denied)
    );
    assert_eq!(
        client.me_from_code("made-up", CALLBACK).await,
        Err(OsuError::Denied)
    );
    assert_eq!(
        client.me_from_code("", CALLBACK).await,
        Err(OsuError::Denied)
    );
    // A code is only good with the redirect URI it was issued for.
    let code = code_for(&fake, &client, players[1].id).await;
    assert_eq!(
        client
            .me_from_code(&code, "https://elsewhere.example/cb")
            .await,
        Err(OsuError::Denied)
    );
    // A wrong secret is the admin's problem, not the player's.
    let code = code_for(&fake, &client, players[2].id).await;
    let wrong = client_for(&fake, "not-the-secret");
    assert_eq!(
        wrong.me_from_code(&code, CALLBACK).await,
        Err(OsuError::BadCredentials)
    );
    assert_eq!(
        wrong.users(&[players[0].id]).await,
        Err(OsuError::BadCredentials)
    );
    // No /me call was made for any refused code.
    assert_eq!(fake.calls("/api/v2/me"), 1);
}

#[tokio::test]
async fn osu_client_concurrent_exchanges_each_get_their_own_player() {
    // osu-arena §17.13: the original kept the user token on one shared handler, so two linkings
    // at once could read each other's profile.
    let (fake, players, client) = setup(10).await;
    let mut codes = Vec::new();
    for player in &players[..8] {
        codes.push((player.id, code_for(&fake, &client, player.id).await));
    }
    let tasks: Vec<_> = codes
        .into_iter()
        .map(|(id, code)| {
            let client = client.clone();
            tokio::spawn(async move { (id, client.me_from_code(&code, CALLBACK).await) })
        })
        .collect();
    for task in tasks {
        let (id, user) = task.await.unwrap();
        assert_eq!(user.unwrap().id, id);
    }
    // Every exchange made its own token and its own /me call; no client-credentials token.
    assert_eq!(fake.calls("/oauth/token"), 8);
    assert_eq!(fake.calls("/api/v2/me/osu"), 8);
}

#[tokio::test]
async fn osu_client_fetches_120_users_in_3_batches() {
    let (fake, players, client) = setup(130).await;
    let mut ids: Vec<u64> = players[..120].iter().map(|p| p.id).collect();
    ids.reverse();
    ids.push(players[0].id); // a repeat is asked for once
    ids.push(1); // osu! has no such player
    let users = client.users(&ids).await.unwrap();
    assert_eq!(fake.calls("/users?ids[]="), 3);
    assert_eq!(fake.calls("/oauth/token"), 1);
    let got: HashSet<u64> = users.iter().map(|u| u.id).collect();
    assert_eq!(got.len(), users.len(), "no one twice");
    let expected: HashSet<u64> = players[..120]
        .iter()
        .filter(|p| !p.restricted)
        .map(|p| p.id)
        .collect();
    assert_eq!(
        got, expected,
        "everyone but the restricted player and the unknown id"
    );
    for user in &users {
        let player = players.iter().find(|p| p.id == user.id).unwrap();
        assert_eq!(
            (&user.username, user.pp, user.global_rank, user.play_time),
            (
                &player.username,
                player.pp,
                player.global_rank,
                player.play_time
            )
        );
        assert!(!user.is_restricted);
    }
    assert!(users.iter().any(|u| u.global_rank.is_none()));
    // Nothing to ask, nothing asked.
    assert_eq!(client.users(&[]).await, Ok(Vec::new()));
    assert_eq!(fake.calls("/users?ids[]="), 3);
}

#[tokio::test]
async fn osu_client_best_scores() {
    let (fake, players, client) = setup(12).await;
    let top = &players[0];
    let scores = client.best_scores(top.id, 1).await.unwrap();
    assert_eq!(scores.len(), 1);
    let best = top
        .best_scores
        .iter()
        .max_by(|a, b| a.pp.unwrap_or(0.0).total_cmp(&b.pp.unwrap_or(0.0)))
        .unwrap();
    let score = &scores[0];
    assert_eq!(
        (score.id, score.pp, score.beatmap_id),
        (best.id, best.pp, best.beatmap.id)
    );
    assert_eq!(
        (&score.title, &score.version),
        (&best.beatmap.title, &best.beatmap.version)
    );
    assert_eq!(
        (&score.artist, &score.creator),
        (&best.beatmap.artist, &best.beatmap.creator)
    );
    assert_eq!(
        (score.accuracy, &score.mods, &score.rank),
        (best.accuracy, &best.mods, &best.rank)
    );
    assert_eq!(score.created_at, best.created_at);
    assert_eq!(score.max_combo, best.max_combo);
    // Always osu! standard (osu-arena §17.17), and at most 100.
    assert!(fake.calls(&format!("/users/{}/scores/best?mode=osu&limit=1", top.id)) == 1);
    assert_eq!(client.best_scores(top.id, 255).await.unwrap().len(), 100);
    assert_eq!(client.best_scores(top.id, 0).await.unwrap().len(), 1);
    // Never played: no scores. Restricted or unknown: not found.
    let never = players.iter().find(|p| p.best_scores.is_empty()).unwrap();
    assert_eq!(client.best_scores(never.id, 5).await, Ok(Vec::new()));
    let restricted = &players[osu::fixtures::RESTRICTED_INDEX];
    assert_eq!(
        client.best_scores(restricted.id, 5).await,
        Err(OsuError::NotFound)
    );
    assert_eq!(client.best_scores(1, 5).await, Err(OsuError::NotFound));
}

#[tokio::test]
async fn osu_client_waits_out_a_429() {
    let (fake, players, client) = setup(3).await;
    fake.fail_next("/scores/best", 429);
    let started = Instant::now();
    let scores = client.best_scores(players[1].id, 5).await.unwrap();
    assert_eq!(scores.len(), players[1].best_scores.len());
    assert!(
        started.elapsed() >= Duration::from_secs(1),
        "Retry-After: 1 was honoured"
    );
    let statuses: Vec<_> = fake
        .requests()
        .into_iter()
        .filter(|r| r.target.contains("/scores/best"))
        .map(|r| r.status)
        .collect();
    assert_eq!(statuses, [429, 200]);

    // A limit that runs dry: the token-bucket fake answers 429 with its own Retry-After, and
    // every call still gets through.
    fake.set_rate_limit(Some(RateLimit {
        per_second: 2.0,
        burst: 2,
    }));
    let ids = [players[0].id, players[1].id, players[2].id];
    for id in ids {
        assert_eq!(client.users(&[id]).await.unwrap()[0].id, id);
    }
    assert!(fake.requests().iter().any(|r| r.status == 429));

    // Four 429s in a row are too many: the call gives up.
    fake.set_rate_limit(None);
    for _ in 0..4 {
        fake.fail_next("/scores/best", 429);
    }
    let error = client.best_scores(players[0].id, 1).await.unwrap_err();
    assert!(
        matches!(&error, OsuError::Unavailable(detail) if detail.contains("rate limited")),
        "{error:?}"
    );
}

#[tokio::test]
async fn osu_client_failures_are_unavailable() {
    let (fake, players, client) = setup(3).await;
    let id = players[0].id;
    fake.fail_next("/users?ids[]=", 503);
    let error = client.users(&[id]).await.unwrap_err();
    assert!(
        matches!(&error, OsuError::Unavailable(detail) if detail.contains("HTTP 503")),
        "{error:?}"
    );
    // The failure was the one request: the next call works with the same token.
    assert_eq!(client.users(&[id]).await.unwrap()[0].id, id);
    assert_eq!(fake.calls("/oauth/token"), 1);

    fake.fail_next("/scores/best", 500);
    assert!(matches!(
        client.best_scores(id, 1).await,
        Err(OsuError::Unavailable(_))
    ));
    fake.fail_next("/oauth/token", 502);
    let code = code_for(&fake, &client, id).await;
    assert!(matches!(
        client.me_from_code(&code, CALLBACK).await,
        Err(OsuError::Unavailable(_))
    ));
    fake.fail_next("/me/osu", 500);
    let code = code_for(&fake, &client, id).await;
    assert!(matches!(
        client.me_from_code(&code, CALLBACK).await,
        Err(OsuError::Unavailable(_))
    ));

    // Nobody listening.
    let gone = {
        let fake = FakeOsu::start().await;
        client_for(&fake, osu::CLIENT_SECRET)
    };
    assert!(matches!(
        gone.users(&[id]).await,
        Err(OsuError::Unavailable(_))
    ));
}

#[tokio::test]
async fn osu_client_credentials_token_is_fetched_once_and_reused() {
    let (fake, players, client) = setup(20).await;
    // Concurrent first calls on clones wait for the one token request.
    let tasks: Vec<_> = players
        .iter()
        .filter(|p| !p.restricted)
        .take(6)
        .map(|p| {
            let (client, id) = (client.clone(), p.id);
            tokio::spawn(async move { client.best_scores(id, 1).await })
        })
        .collect();
    for task in tasks {
        task.await.unwrap().unwrap();
    }
    client.users(&[players[7].id, players[8].id]).await.unwrap();
    assert_eq!(fake.calls("/oauth/token"), 1);
    // Six score requests and one batch, all with that token.
    assert_eq!(fake.calls("/api/v2/"), 7);

    // osu! stops accepting the token: one new token, and the call still succeeds.
    fake.expire_tokens();
    client.users(&[players[9].id]).await.unwrap();
    assert_eq!(fake.calls("/oauth/token"), 2);
    client.best_scores(players[9].id, 1).await.unwrap();
    assert_eq!(fake.calls("/oauth/token"), 2);
}

#[tokio::test]
async fn osu_client_sends_at_most_ten_requests_a_second() {
    let (fake, players, client) = setup(12).await;
    let started = Instant::now();
    let tasks: Vec<_> = players
        .iter()
        .filter(|p| !p.restricted)
        .map(|p| {
            let (client, id) = (client.clone(), p.id);
            tokio::spawn(async move { client.best_scores(id, 1).await })
        })
        .collect();
    for task in tasks {
        task.await.unwrap().unwrap();
    }
    // One token request and eleven score requests, a tenth of a second apart.
    assert_eq!(fake.requests().len(), 12);
    assert!(
        started.elapsed() >= Duration::from_millis(1_100),
        "{:?}",
        started.elapsed()
    );
}

#[tokio::test]
async fn osu_client_is_shared_until_its_settings_change() {
    let (fake, other) = (FakeOsu::start().await, FakeOsu::start().await);
    let settings = |rows: &[(&str, String)]| {
        let sources = stagehand::config::Sources {
            database: rows
                .iter()
                .map(|(k, v)| (k.to_string(), v.clone()))
                .collect(),
            ..Default::default()
        };
        stagehand::config::Layers::collect(&sources)
            .settings()
            .unwrap()
    };
    let base = |fake: &FakeOsu| ("osu.base_url", fake.base_url());
    let id = ("osu.client_id", osu::CLIENT_ID.to_string());
    let secret = ("osu.client_secret", osu::CLIENT_SECRET.to_string());
    let shared = Shared::default();
    for rows in [
        vec![base(&fake)],
        vec![base(&fake), id.clone()],
        vec![base(&fake), secret.clone()],
    ] {
        assert_eq!(
            shared.client(&settings(&rows)).unwrap_err(),
            OsuError::NotConfigured
        );
    }
    let configured = settings(&[base(&fake), id.clone(), secret.clone()]);
    let client = shared.client(&configured).unwrap();
    assert!(
        client
            .authorize_url(CALLBACK, "s")
            .starts_with(&fake.base_url())
    );
    assert_eq!(client.users(&[1]).await, Ok(Vec::new()));
    // Asked again (by the sign-in page, say), it is the same client: no second token.
    let again = shared.client(&configured).unwrap();
    assert_eq!(again.users(&[2]).await, Ok(Vec::new()));
    assert_eq!(fake.calls("/oauth/token"), 1);
    assert_eq!(fake.calls("/api/v2/users"), 2);
    // Settings that point elsewhere get a client of their own, with its own token.
    let moved = shared
        .client(&settings(&[base(&other), id, secret]))
        .unwrap();
    assert_eq!(moved.users(&[3]).await, Ok(Vec::new()));
    assert_eq!(other.calls("/oauth/token"), 1);
    assert_eq!(fake.calls("/oauth/token"), 1);
}
