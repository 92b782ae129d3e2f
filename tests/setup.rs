//! First-run setup, end to end over real TLS: the printed link, the form, validation, and the
//! link dying after use or restart.

use crate::support::{self, SETUP_FORM, Server, get, post_setup};

#[tokio::test]
async fn the_setup_link_serves_the_form_once_and_stores_the_values() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path(), &[]);
    let link = server.link();
    assert_eq!(link.rsplit('/').next().unwrap().len(), 64, "256-bit token");

    let (status, page) = get(&link).await;
    let page = page.replace("&#x2f;", "/");
    assert_eq!(status, 200);
    assert!(page.contains("Set up Stagehand"));
    assert!(
        page.contains(&format!(
            "https://127.0.0.1:{}/oauth/osu/callback",
            server.port
        )),
        "redirect URL shown"
    );

    let (status, page) = post_setup(&server, SETUP_FORM).await;
    assert_eq!(status, 200, "{page}");
    assert!(page.contains("Stagehand is set up"));
    assert!(
        page.contains("client_id=101"),
        "invite link for the application"
    );

    assert_eq!(get(&link).await.0, 404, "the link dies after use");
    assert_eq!(post_setup(&server, SETUP_FORM).await.0, 404);
    let (_, health) = get(&server.url("/healthz")).await;
    assert!(health.contains(r#""setup":"complete""#), "{health}");
    server.stop();

    let (code, out, _) = support::run(dir.path(), &["check"], &[]);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("setup: complete"));
    assert!(
        out.contains("discord.guild_id         = 202  [database]"),
        "{out}"
    );
    assert!(
        out.contains("discord.token            = ********  [database]"),
        "{out}"
    );
    assert!(!out.contains("abc_DEF"), "secret shown: {out}");

    let again = Server::start(dir.path(), &[]);
    assert!(again.setup_link.is_none(), "no setup link once set up");
    again.stop();
}

#[tokio::test]
async fn bad_values_get_a_400_naming_each_field_and_store_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path(), &[]);
    let with = |key: &str, value: &'static str| -> Vec<(String, String)> {
        SETUP_FORM
            .iter()
            .map(|(k, v)| {
                (
                    k.to_string(),
                    if *k == key {
                        value.to_string()
                    } else {
                        v.to_string()
                    },
                )
            })
            .collect()
    };
    let cases = [
        (with("guild_id", "my server"), "guild_id-error"),
        (with("application_id", "-5"), "application_id-error"),
        (with("discord_token", "password123"), "discord_token-error"),
        (with("public_url", "bot.example.org"), "public_url-error"),
        (with("module_requests", "off"), "modules-error"),
    ];
    for (form, field) in cases {
        let response = support::client()
            .post(server.link())
            .form(&form)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status().as_u16(), 400);
        let page = response.text().await.unwrap();
        assert!(page.contains(field), "{field} not named");
        assert!(page.contains("Nothing was saved."));
        assert!(!page.contains("abc_DEF"), "a secret was echoed back");
    }
    let league_without_osu: Vec<(&str, &str)> = [SETUP_FORM, &[("module_league", "on")]].concat();
    let (status, page) = post_setup(&server, &league_without_osu).await;
    assert_eq!(status, 400);
    assert!(page.contains("osu_client_id-error") && page.contains("osu_client_secret-error"));

    let (_, health) = get(&server.url("/healthz")).await;
    assert!(health.contains(r#""setup":"pending""#), "{health}");
    assert_eq!(
        get(&server.link()).await.0,
        200,
        "the link still works after bad attempts"
    );
    server.stop();
    let (_, out, _) = support::run(dir.path(), &["check"], &[]);
    assert!(
        out.contains("discord.guild_id         = (not set)  [default]"),
        "{out}"
    );
}

#[tokio::test]
async fn malformed_setup_requests_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path(), &[("STAGEHAND_HTTP_MAX_BODY_BYTES", "2048")]);
    let client = support::client();
    let huge = "x".repeat(4096);
    let oversized = client
        .post(server.link())
        .form(&[("discord_token", huge.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(oversized.status().as_u16(), 413);
    let json = client
        .post(server.link())
        .body("{}")
        .header("content-type", "application/json")
        .send()
        .await
        .unwrap();
    assert_eq!(json.status().as_u16(), 415);
    assert_eq!(
        client
            .put(server.link())
            .send()
            .await
            .unwrap()
            .status()
            .as_u16(),
        405
    );
    let forged = server.link().replace("/setup/", "/setup/00");
    assert_eq!(get(&forged).await.0, 404);
    assert_eq!(get(&server.url("/setup/")).await.0, 404);
    assert_eq!(get(&server.url("/setup/%2e%2e%2fhealthz")).await.0, 404);
    let (_, health) = get(&server.url("/healthz")).await;
    assert!(health.contains(r#""setup":"pending""#));
    server.stop();
}

#[tokio::test]
async fn a_restart_before_setup_prints_a_fresh_link_and_kills_the_old_one() {
    let dir = tempfile::tempdir().unwrap();
    let first = Server::start(dir.path(), &[]);
    let old = first.link();
    first.stop();
    let second = Server::start(dir.path(), &[]);
    let old = old.replace(
        &format!(":{}/", url_port(&old)),
        &format!(":{}/", second.port),
    );
    assert_ne!(old, second.link());
    assert_eq!(get(&old).await.0, 404);
    assert_eq!(get(&second.link()).await.0, 200);
    second.stop();
}

fn url_port(url: &str) -> &str {
    url.split(':').nth(2).unwrap().split('/').next().unwrap()
}

#[tokio::test]
async fn secrets_never_reach_the_log() {
    let dir = tempfile::tempdir().unwrap();
    let env = [
        ("STAGEHAND_LOG_FILTER", "stagehand=trace,info"),
        ("STAGEHAND_OSU_CLIENT_SECRET", "env-secret-42"),
    ];
    let server = Server::start(dir.path(), &env);
    let token = server.link().rsplit('/').next().unwrap().to_string();
    let form: Vec<(&str, &str)> = [
        SETUP_FORM,
        &[
            ("module_league", "on"),
            ("osu_client_id", "7"),
            ("osu_client_secret", "form-secret-43"),
        ],
    ]
    .concat();
    assert_eq!(post_setup(&server, &form).await.0, 200);
    get(&server.url("/metrics")).await;
    let log = server.stop();
    assert!(
        log.contains("setup completed"),
        "the log is being captured: {log}"
    );
    for secret in [
        "env-secret-42",
        "form-secret-43",
        "abc_DEF-123",
        token.as_str(),
    ] {
        assert!(!log.contains(secret), "{secret} leaked into the log");
    }
    let (_, out, _) = support::run(dir.path(), &["check"], &env);
    for secret in ["env-secret-42", "form-secret-43", "abc_DEF-123"] {
        assert!(!out.contains(secret), "{secret} shown by check");
    }
}

#[tokio::test]
async fn the_setup_link_expires_after_30_minutes_of_server_time() {
    let dir = tempfile::tempdir().unwrap();
    let start = support::FAKE_CLOCK_START.to_string();
    let server = Server::start(
        dir.path(),
        &[(stagehand::clock::FAKE_CLOCK_ENV, start.as_str())],
    );
    let link = server.link();
    server.advance_clock(29 * 60).await;
    assert_eq!(get(&link).await.0, 200);
    server.advance_clock(2 * 60).await;
    assert_eq!(get(&link).await.0, 410, "gone after 30 minutes");
    server.stop();

    // On the system clock, time cannot be moved.
    let other = tempfile::tempdir().unwrap();
    let server = Server::start(other.path(), &[]);
    let socket = server.dir.join("data").join("admin.sock");
    let err = stagehand::ops::socket::ask(&socket, "clock advance 60", |_, _| {})
        .await
        .unwrap_err();
    assert!(err.to_string().contains("system clock"), "{err}");
    let err = stagehand::ops::socket::ask(&socket, "clock advance soon", |_, _| {})
        .await
        .unwrap_err();
    assert!(err.to_string().contains("clock advance <seconds>"), "{err}");
    server.stop();
}
