//! First-run setup, end to end over real TLS: the printed link, the form, validation, and the
//! link dying after use, restart or expiry (when a fresh one is printed).

use std::time::Duration;

use crate::support::{self, SETUP_FORM, Server, get, post_setup};

/// How long a test waits for a printed link (the server looks at its link every second).
const WAIT: Duration = Duration::from_secs(15);

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
    assert_eq!(setting(&out, "discord.guild_id"), "202 [database]", "{out}");
    assert_eq!(
        setting(&out, "discord.token"),
        "******** [database]",
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
    assert_eq!(
        setting(&out, "discord.guild_id"),
        "(not set) [default]",
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
async fn an_expired_setup_link_is_replaced_by_a_fresh_one_until_setup_is_done() {
    let dir = tempfile::tempdir().unwrap();
    let start = support::FAKE_CLOCK_START.to_string();
    let server = Server::start(
        dir.path(),
        &[(stagehand::clock::FAKE_CLOCK_ENV, start.as_str())],
    );
    let first = server.link();
    server.advance_clock(29 * 60).await;
    assert_eq!(get(&first).await.0, 200);
    let quiet = Duration::from_millis(2500);
    assert_eq!(
        server.printed_setup_link(quiet).await,
        None,
        "not yet expired"
    );

    server.advance_clock(2 * 60).await;
    let second = server
        .printed_setup_link(WAIT)
        .await
        .expect("a fresh link once the first expired");
    assert_ne!(second, first);
    assert_eq!(get(&first).await.0, 404, "the expired link is dead");
    assert_eq!(get(&second).await.0, 200);

    // The fresh link expires in turn, and is replaced in turn.
    server.advance_clock(31 * 60).await;
    let third = server.printed_setup_link(WAIT).await.expect("a third link");
    assert_eq!(get(&second).await.0, 404);
    let response = support::client()
        .post(&third)
        .form(SETUP_FORM)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 200, "the fresh link sets up");

    // Once setup is done, nothing is printed any more.
    server.advance_clock(31 * 60).await;
    assert_eq!(server.printed_setup_link(quiet).await, None);
    let log = server.stop();
    assert_eq!(
        log.matches("the setup link expired; printed a fresh one")
            .count(),
        2,
        "{log}"
    );
    for link in [&first, &second, &third] {
        let token = link.rsplit('/').next().unwrap();
        assert!(!log.contains(token), "a setup token reached the log");
    }

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

/// The root page as a browser sending `accept_language` gets it: (status, page with `/` unescaped).
async fn root_page(server: &Server, accept_language: Option<&str>) -> (u16, String) {
    let mut request = support::client().get(server.url("/"));
    if let Some(language) = accept_language {
        request = request.header("accept-language", language);
    }
    let response = request.send().await.unwrap();
    let status = response.status().as_u16();
    (
        status,
        response.text().await.unwrap().replace("&#x2f;", "/"),
    )
}

#[tokio::test]
async fn the_root_page_says_what_this_is_and_whether_setup_is_done_in_the_browsers_language() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path(), &[]);
    let token = server.link().rsplit('/').next().unwrap().to_string();

    let (status, page) = root_page(&server, None).await;
    assert_eq!(status, 200);
    assert!(page.contains(r#"<html lang="en">"#), "{page}");
    assert!(page.contains("This is Stagehand"), "{page}");
    assert!(page.contains("the Discord appliance of a rhythm-game community"));
    assert!(page.contains("Setup is not done yet."), "{page}");
    assert!(
        page.contains(r#"<a href="/healthz">Health check</a>"#),
        "{page}"
    );
    assert!(
        page.contains(r#"<a href="/docs">Documentation</a>"#),
        "{page}"
    );
    assert!(
        !page.contains(&token) && !page.contains("/setup/"),
        "the setup link leaked: {page}"
    );

    let (status, russian) = root_page(&server, Some("ru-RU,ru;q=0.9,en-US;q=0.8")).await;
    assert_eq!(status, 200);
    assert!(russian.contains(r#"<html lang="ru">"#), "{russian}");
    assert!(russian.contains("Это Stagehand"), "{russian}");
    assert!(russian.contains("Настройка ещё не завершена."), "{russian}");
    assert!(russian.contains(r#"<a href="/healthz">Проверка состояния</a>"#));
    assert!(russian.contains(r#"<a href="/docs">Документация</a>"#));
    // The highest weight wins; nothing Stagehand speaks, or a weight of 0, is English.
    for (header, lang) in [
        ("en;q=0.3, ru;q=0.7", "ru"),
        ("ru;q=0.5, en", "en"),
        ("de-DE, ru;q=0.2", "ru"),
        ("de-DE, fr;q=0.9", "en"),
        ("ru;q=0", "en"),
        ("ru;q=banana", "en"),
    ] {
        let (_, page) = root_page(&server, Some(header)).await;
        assert!(
            page.contains(&format!(r#"<html lang="{lang}">"#)),
            "{header} → {lang}"
        );
    }

    let response = support::client()
        .get(server.url("/docs"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 200);
    assert_eq!(
        response.headers()["content-type"],
        "text/plain; charset=utf-8"
    );
    assert!(response.text().await.unwrap().starts_with("# Stagehand\n"));

    assert_eq!(post_setup(&server, SETUP_FORM).await.0, 200);
    let (_, page) = root_page(&server, Some("en-GB")).await;
    assert!(page.contains("Setup is done"), "{page}");
    let (_, russian) = root_page(&server, Some("ru")).await;
    assert!(russian.contains("Настройка завершена"), "{russian}");
    server.stop();
}

/// What `stagehand check` says of setting `key`: its value and source, spaces collapsed (the
/// key column is as wide as the longest key).
fn setting(out: &str, key: &str) -> String {
    let line = out
        .lines()
        .find(|l| l.trim_start().starts_with(&format!("{key} ")))
        .unwrap_or_else(|| panic!("no {key} in {out}"));
    let value = line.split_once(" = ").map_or("", |(_, v)| v);
    value.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Issue 25: the setup page ignored `Accept-Language`. A Russian browser gets the form, its
/// errors and the page after it in Russian; any other gets them in English, as before.
#[tokio::test]
async fn issue_25_the_setup_page_speaks_the_browsers_language() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path(), &[]);
    let ask = |language: &'static str, form: Option<Vec<(&'static str, &'static str)>>| {
        let request = match &form {
            Some(form) => support::client().post(server.link()).form(form),
            None => support::client().get(server.link()),
        };
        async move {
            let response = request
                .header("accept-language", language)
                .send()
                .await
                .unwrap();
            let status = response.status().as_u16();
            (status, response.text().await.unwrap())
        }
    };

    let (status, page) = ask("ru-RU,ru;q=0.9,en-US;q=0.8", None).await;
    assert_eq!(status, 200);
    assert!(page.contains(r#"<html lang="ru">"#), "{page}");
    for text in [
        "Настройка Stagehand",
        "Токен бота",
        "Модули",
        "Сохранить и завершить настройку",
    ] {
        assert!(page.contains(text), "{text} missing: {page}");
    }
    assert!(!page.contains("Bot token"), "{page}");
    let (_, english) = ask("en-GB,en;q=0.9,ru;q=0.8", None).await;
    assert!(english.contains(r#"<html lang="en">"#) && english.contains("Bot token"));

    let blank = SETUP_FORM
        .iter()
        .map(|&(k, v)| {
            if k == "discord_token" {
                (k, "")
            } else {
                (k, v)
            }
        })
        .chain([("guild_id", "my server")])
        .collect();
    let (status, page) = ask("ru", Some(blank)).await;
    assert_eq!(status, 400);
    assert!(page.contains("Ничего не сохранено."), "{page}");
    assert!(page.contains("Исправьте ниже 2 поля."), "{page}");
    assert!(page.contains("Поле «Токен бота» обязательно."), "{page}");
    assert!(page.contains("Нужен ID Discord"), "{page}");

    let (status, page) = ask("ru", Some(SETUP_FORM.to_vec())).await;
    assert_eq!(status, 200, "{page}");
    assert!(page.contains(r#"<html lang="ru">"#), "{page}");
    assert!(page.contains("Stagehand настроен"), "{page}");
    assert!(
        page.contains("Включённые модули: заявки на уровни Geometry Dash."),
        "{page}"
    );
    server.stop();
}
