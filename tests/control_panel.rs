//! The Control Panel API end to end (issue 23): the real server on the fake Discord and the fake
//! GD server, driven over HTTPS exactly as the Request Bot Control Panel drives it on stream
//! (gd-requestbot §11.3), and fuzzed from its own OpenAPI document with schemathesis.

use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::requests::{DONE, Desk, LEVEL, desk_guild, field};
use crate::support::discord::{Channel, Guild};
use crate::support::gd::fixtures;
use crate::support::{Server, client};

/// The desk's guild with the stream's channel (both stream routes' default, `stream-announcements`).
fn stream_guild() -> Guild {
    let mut guild = desk_guild();
    let base = guild.channel("general");
    guild.channels.push(Channel {
        id: base + (60 << 22),
        name: "stream-announcements".into(),
    });
    guild
}

/// The API as the panel calls it: a base URL and a key.
struct Panel {
    base: String,
    key: String,
    http: reqwest::Client,
}

impl Panel {
    fn new(server: &Server, key: &str) -> Panel {
        Panel {
            base: server.url("/control-panel"),
            key: key.to_string(),
            http: client(),
        }
    }

    /// `GET path` with the key: (status, JSON body).
    async fn get(&self, path: &str) -> (u16, Value) {
        let request = self.http.get(format!("{}{path}", self.base));
        answer(request.header("x-key", &self.key)).await
    }

    /// `POST path` with the key and `body` as JSON: (status, JSON body).
    async fn post(&self, path: &str, body: &Value) -> (u16, Value) {
        let request = self
            .http
            .post(format!("{}{path}", self.base))
            .header("content-type", "application/json")
            .body(body.to_string());
        answer(request.header("x-key", &self.key)).await
    }
}

/// Sends `request`: its status and its body, which is always JSON (the panel calls `.json()` on
/// every answer).
async fn answer(request: reqwest::RequestBuilder) -> (u16, Value) {
    let response = request.send().await.unwrap();
    let status = response.status().as_u16();
    let content_type = response.headers()["content-type"]
        .to_str()
        .unwrap()
        .to_string();
    assert_eq!(content_type, "application/json", "status {status}");
    let text = response.text().await.unwrap();
    let body = serde_json::from_str(&text).unwrap_or_else(|_| panic!("not JSON: {text:?}"));
    (status, body)
}

/// The owner turns the API on for Max (a GD moderator): the key from the private reply.
async fn turn_on(d: &Desk) -> String {
    let staff = [("staff", json!(d.id("max").to_string()))];
    let reply = d.run("owner", "control_panel on", &staff).await;
    assert!(
        reply.starts_with(&format!(
            "The Control Panel API is on; what the panel does is done as {}.",
            d.mention("max")
        )),
        "{reply}"
    );
    assert!(
        reply.contains("Base URL: https://localhost:"),
        "no public_url: the local address; {reply}"
    );
    let key = reply
        .split("```\n")
        .nth(1)
        .unwrap()
        .split('\n')
        .next()
        .unwrap();
    assert_eq!(key.len(), 64, "{reply}");
    key.to_string()
}

fn create(level: u64, creator: &str, link: &str) -> Value {
    json!({
        "level_id": level,
        "creator_name": creator,
        "language": "eng",
        "showcase_yt_link": link,
    })
}

/// The whole stream of §11.3, and the answers the panel could get wrong.
#[tokio::test]
async fn a_stream_driven_by_the_control_panel() {
    let d = Desk::start_in(stream_guild(), &[("queue.block_at", "3")], &[]).await;
    let server = d.server.as_ref().unwrap();
    let stream = d.channel("stream-announcements");
    let (max, ivan) = (d.mention("max"), d.mention("ivan"));

    // Off until an admin turns it on: every path is 404, the document too.
    let off = Panel::new(server, "anything");
    let (status, body) = off.get("/request/oldest").await;
    assert_eq!(status, 404);
    assert!(
        body["detail"].as_str().unwrap().contains("is off"),
        "{body}"
    );
    assert_eq!(off.get("/openapi.json").await.0, 404);
    let panel = Panel::new(server, &turn_on(&d).await);
    let status = d.run("owner", "control_panel status", &[]).await;
    assert!(
        status.starts_with(&format!("The Control Panel API is on for {max}")),
        "{status}"
    );

    // The key: none or empty is 403, a wrong one 401, as the original answered.
    let oldest = format!("{}/request/oldest", panel.base);
    let (status, body) = answer(panel.http.get(&oldest)).await;
    assert_eq!(
        (status, body),
        (403, json!({"detail": "Not authenticated"}))
    );
    let (status, body) = answer(panel.http.get(&oldest).header("x-key", "")).await;
    assert_eq!(
        (status, body),
        (403, json!({"detail": "Not authenticated"}))
    );
    let (status, body) = answer(panel.http.get(&oldest).header("x-key", "0".repeat(64))).await;
    assert_eq!((status, body), (401, json!({"detail": "Wrong token"})));
    // The document needs no key, and the panel's "no requests yet" is 200 null.
    let document = panel.http.get(format!("{}/openapi.json", panel.base));
    let (status, document) = answer(document).await;
    assert_eq!((status, &document["openapi"]), (200, &json!("3.1.0")));
    assert_eq!(panel.get("/request/oldest").await, (200, Value::Null));
    assert_eq!(panel.get("/request/random").await, (200, Value::Null));

    // Stream start: the panel's text, verbatim, its role mention pinging.
    let role = d.guild.role("Reviewer");
    let text = format!("<@&{role}> REQUEST STREAM! https://www.youtube.com/watch?v=dQw4w9WgXcQ");
    let started = panel
        .post("/message/stream_start", &json!({"text": text}))
        .await;
    assert_eq!(started, (200, Value::Null));
    let announced = d.only("stream-announcements").await;
    assert_eq!(announced.content, text);
    assert_eq!(announced.pinged.roles, [role]);

    // Ivan requested a level in Discord; the panel then makes the spreadsheet's three: his
    // pending one is answered with its id and nothing new, the other two are made for their
    // creators, as Max, without closing the queue (three pending, `queue.block_at` 3).
    let form = d.create("ivan", LEVEL).await.unwrap();
    d.submit("ivan", &form, &[]).await;
    d.fake.wait_messages(d.channel("pending-requests"), 1).await;
    let link = "https://www.youtube.com/watch?v=dQw4w9WgXcQ";
    let mut ids = Vec::new();
    for (level, creator) in [
        (LEVEL, "old guard"),
        (fixtures::REQUESTED_ONE, "Toddler"),
        (fixtures::EPIC, "Crystal Maker"),
    ] {
        let (status, id) = panel
            .post("/request/create", &create(level, creator, link))
            .await;
        assert_eq!(status, 200, "{id}");
        ids.push(id.as_u64().unwrap());
    }
    assert_eq!(
        ids,
        [1, 2, 3],
        "the pending request's id, then two new ones"
    );
    let widgets = d.fake.wait_messages(d.channel("pending-requests"), 3).await;
    assert_eq!(widgets.len(), 3);
    let toddler = widgets
        .iter()
        .find(|w| w.embeds[0]["title"] == "Request 2")
        .unwrap();
    assert_eq!(field(toddler, "Requested by"), "`Toddler`");
    assert_eq!(d.pending().await, 3);
    let info = d.run("owner", "queue info", &[]).await;
    assert!(info.starts_with("🟢 The queue is **open**."), "{info}");

    // Oldest and random: the request object the panel reads, every one of its 14 keys.
    let (status, oldest) = panel.get("/request/oldest").await;
    assert_eq!(status, 200);
    assert_eq!(oldest.as_object().unwrap().len(), 14, "{oldest}");
    assert_eq!(oldest["id"], 1);
    assert_eq!(oldest["level_id"], LEVEL);
    assert_eq!(oldest["language"], "rus");
    assert_eq!(oldest["request_author"], d.id("ivan").to_string());
    assert_eq!(oldest["is_author_user_id"], true);
    assert_eq!(
        oldest["details_message_channel_id"],
        d.channel("pending-requests")
    );
    assert_eq!(oldest["resolution_message_id"], Value::Null);
    assert_eq!(oldest["requested_at"], "2026-11-01T00:00:00");
    let (_, second) = {
        let mut found = panel.get("/request/random").await;
        while found.1["id"] != 2 {
            found = panel.get("/request/random").await;
        }
        found
    };
    assert_eq!(second["request_author"], "Toddler");
    assert_eq!(second["is_author_user_id"], false);
    assert_eq!(second["additional_comment"], "Requested on stream");
    assert_eq!(second["yt_link"], link);

    // Resolved on stream for an epic: the author is told, the request archived.
    let stream_link = "https://www.youtube.com/watch?v=dQw4w9WgXcQ&t=610";
    let resolve = |id: u64, sent_for: Value| json!({"request_id": id, "sent_for": sent_for, "stream_link": stream_link});
    assert_eq!(
        panel
            .post("/request/resolve", &resolve(2, json!("e")))
            .await,
        (200, json!(true))
    );
    let approved = d.only("approved-levels").await;
    assert_eq!(
        approved.content,
        format!(
            "`Toddler`, your level `Baby Steps` ({}) was sent for epic by {max}! 🎉\nComment: `Reviewed on stream: {stream_link}`",
            fixtures::REQUESTED_ONE
        )
    );
    let archived = d.only("request-archive").await;
    assert_eq!(archived.embeds[0]["title"], "Request 2");
    let pending = d.channel("pending-requests");
    d.fake
        .wait_until("the widget leaves the queue", |f| {
            f.messages(pending).len() == 2
        })
        .await;
    // Once resolved, the request is no longer offered, and resolving it again changes nothing.
    assert_eq!(
        panel
            .post("/request/resolve", &resolve(2, json!("s")))
            .await,
        (200, json!(false))
    );
    // Rejected (sent_for null): the author is told, the level goes on cooldown.
    assert_eq!(
        panel
            .post("/request/resolve", &resolve(3, Value::Null))
            .await,
        (200, json!(true))
    );
    let rejected = d.only("rejected-levels").await;
    assert!(
        rejected.content.starts_with("`Crystal Maker`"),
        "{}",
        rejected.content
    );
    assert!(
        rejected.content.contains("Reviewed on stream"),
        "{}",
        rejected.content
    );
    assert_eq!(d.pending().await, 1);

    // Later: Max's approving opinion on Ivan's request; its Resolution Widget appears.
    assert_eq!(
        panel
            .post("/request/preapprove", &json!({"request_id": 1}))
            .await,
        (200, Value::Null)
    );
    let resolution = d
        .fake
        .wait_messages(d.channel("request-resolutions"), 3)
        .await
        .into_iter()
        .find(|m| m.embeds[0]["title"] == "Request 1")
        .unwrap();
    assert_eq!(
        field(&resolution, "Consensus"),
        format!("✅: {max} (`Marked as 'Later' on stream`)\n❌: No votes yet")
    );
    // Twice is nothing new.
    assert_eq!(
        panel
            .post("/request/preapprove", &json!({"request_id": 1}))
            .await,
        (200, Value::Null)
    );
    // Where the widget landed is recorded once Discord answered its post.
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        let (status, oldest) = panel.get("/request/oldest").await;
        assert_eq!((status, &oldest["id"]), (200, &json!(1)));
        if oldest["resolution_message_id"] == resolution.id {
            break;
        }
        assert!(Instant::now() < deadline, "{oldest}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }

    // What the panel could send wrong is refused with a reason, and nothing is stored.
    let posts_before = d.fake.messages(pending).len();
    let twitch = create(
        fixtures::GREEN_CREATOR,
        "Streamer",
        "https://www.twitch.tv/someone",
    );
    let (status, body) = panel.post("/request/create", &twitch).await;
    assert_eq!(status, 422, "{body}");
    assert!(
        body["detail"]
            .as_str()
            .unwrap()
            .contains("is not a YouTube link"),
        "{body}"
    );
    let unknown = create(fixtures::MISSING, "Nobody", link);
    let (status, body) = panel.post("/request/create", &unknown).await;
    assert_eq!(status, 404, "{body}");
    assert!(
        body["detail"]
            .as_str()
            .unwrap()
            .starts_with("There is no level with ID"),
        "{body}"
    );
    // A JSON error object stored by the panel as a request id, sent back.
    let object = json!({"request_id": {"detail": "no"}, "sent_for": "s", "stream_link": null});
    assert_eq!(panel.post("/request/resolve", &object).await.0, 422);
    let (status, body) = panel
        .post("/request/resolve", &resolve(99, json!("s")))
        .await;
    assert_eq!(
        (status, body),
        (404, json!({"detail": "There is no request 99."}))
    );
    let (status, _) = panel
        .post("/request/create", &json!({"level_id": "128"}))
        .await;
    assert_eq!(status, 422);
    // A batch with one bad link makes none of its requests.
    let batch = json!([create(fixtures::DISLIKED, "A", link), twitch]);
    let (status, body) = panel.post("/request/create_batch", &batch).await;
    assert_eq!(status, 422, "{body}");
    assert!(
        body["detail"]
            .as_str()
            .unwrap()
            .starts_with("Request 1 of the batch: "),
        "{body}"
    );
    assert_eq!(d.pending().await, 1);
    assert_eq!(d.fake.messages(pending).len(), posts_before);

    // The rest of the spreadsheet, dumped at the end: the batch lets the queue close by itself
    // once three are pending.
    let batch = json!([
        create(fixtures::DISLIKED, "Hater", link),
        create(fixtures::REQUESTED_TEN, "Tenner", link),
        create(LEVEL, "old guard", link),
    ]);
    assert_eq!(
        panel.post("/request/create_batch", &batch).await,
        (200, Value::Null)
    );
    assert_eq!(d.pending().await, 3);
    let closed = d.only("request-announcements").await;
    assert!(
        closed
            .content
            .starts_with("Requests are temporarily closed"),
        "{}",
        closed.content
    );

    // Stream end: the goodbye with the results donut.
    let goodbye = json!({"text": "Thanks for watching!", "not_reviewed": 2, "approved": 1, "rejected": 1, "later": 1});
    assert_eq!(
        panel.post("/message/stream_end", &goodbye).await,
        (200, Value::Null)
    );
    let posts = d.fake.wait_messages(stream, 2).await;
    assert_eq!(posts[1].content, "Thanks for watching!");
    let [(name, png)] = posts[1].attachments.as_slice() else {
        panic!("{:?}", posts[1].attachments.len());
    };
    assert_eq!(name, "stream.png");
    assert!(png.starts_with(b"\x89PNG\r\n\x1a\n"));
    // Nothing reviewed: no chart, and still a success.
    let nothing =
        json!({"text": "Nobody came", "not_reviewed": 5, "approved": 0, "rejected": 0, "later": 0});
    assert_eq!(
        panel.post("/message/stream_end", &nothing).await,
        (200, Value::Null)
    );
    let posts = d.fake.wait_messages(stream, 3).await;
    assert!(posts[2].attachments.is_empty());

    // Every step was Max's, in the log.
    let log = d.channel("stagehand-log");
    // A post is a block: `**KIND** #id`, then `user: <@id>` on the next line.
    let by = |content: &str, kind: &str, who: &str| {
        content.starts_with(&format!("**{kind}** #"))
            && content.contains(&format!("\nuser: {who}\n"))
    };
    d.fake
        .wait_until("the stream's end is logged", |f| {
            f.messages(log)
                .iter()
                .any(|m| by(&m.content, "STREAM_ENDED", &max))
        })
        .await;
    let lines: Vec<String> = d
        .fake
        .messages(log)
        .into_iter()
        .map(|m| m.content)
        .collect();
    let by_max = |kind: &str| lines.iter().filter(|l| by(l, kind, &max)).count();
    assert_eq!(by_max("REQUEST_REQUESTED"), 4, "{lines:#?}");
    assert_eq!(by_max("REQUEST_RESOLUTION_ADDED"), 2, "{lines:#?}");
    assert_eq!(by_max("REQUEST_OPINION_ADDED"), 1, "{lines:#?}");
    assert_eq!(by_max("STREAM_STARTED"), 1, "{lines:#?}");
    assert!(lines.iter().any(|l| by(l, "REQUEST_REQUESTED", &ivan)));
}

/// Repeated wrong keys are answered more and more slowly; the right key, turned off or
/// replaced, stops working at once; a route that posts nowhere is a 409 with nothing recorded.
#[tokio::test]
async fn wrong_keys_slow_down_and_old_keys_stop_working() {
    let d = Desk::start_in(stream_guild(), &[], &[]).await;
    let server = d.server.as_ref().unwrap();
    let key = turn_on(&d).await;
    let wrong = Panel::new(server, &"f".repeat(64));
    let started = Instant::now();
    for _ in 0..3 {
        assert_eq!(wrong.get("/request/oldest").await.0, 401);
    }
    // The first at once, then 0.5 s, then 1 s.
    assert!(
        started.elapsed() >= Duration::from_millis(1500),
        "{:?}",
        started.elapsed()
    );
    let panel = Panel::new(server, &key);
    assert_eq!(panel.get("/request/oldest").await, (200, Value::Null));

    let route = [("route", json!("stream_start_announcement"))];
    assert_eq!(d.run("owner", "route disable", &route).await, DONE);
    let (status, body) = panel
        .post("/message/stream_start", &json!({"text": "Live!"}))
        .await;
    assert_eq!(status, 409, "{body}");
    assert!(
        body["detail"]
            .as_str()
            .unwrap()
            .contains("stream_start_announcement"),
        "{body}"
    );

    let rotated = d.run("owner", "control_panel rotate", &[]).await;
    let new_key = rotated
        .split("```\n")
        .nth(1)
        .unwrap()
        .split('\n')
        .next()
        .unwrap();
    assert_eq!(panel.get("/request/oldest").await.0, 401, "the old key");
    assert_eq!(
        Panel::new(server, new_key).get("/request/oldest").await.0,
        200
    );
    assert_eq!(d.run("owner", "control_panel off", &[]).await, DONE);
    assert_eq!(
        Panel::new(server, new_key).get("/request/oldest").await.0,
        404
    );
    assert_eq!(
        d.run("owner", "control_panel off", &[]).await,
        "Nothing changed: it already was that way."
    );
    assert_eq!(
        d.run(
            "kira",
            "control_panel on",
            &[("staff", json!(d.id("kira").to_string()))]
        )
        .await,
        "You do not have permission to do this."
    );
    assert!(
        server.stderr().contains("a wrong Control Panel key"),
        "wrong keys are logged"
    );
    assert!(!server.stderr().contains(&key), "the key is never logged");
}

/// Set to `1` to skip [`schemathesis_finds_no_server_error_and_nothing_off_the_document`] where
/// schemathesis is not installed.
const SKIP_SCHEMATHESIS: &str = "STAGEHAND_SKIP_SCHEMATHESIS";

/// The API fuzzed from its own OpenAPI document by schemathesis (`pip install schemathesis`,
/// which `.ci/run` does): a few hundred calls, valid and invalid, with the key, find no 5xx and
/// no answer the document does not describe (status, content type, body), and every body the
/// document calls invalid is refused.
#[tokio::test]
async fn schemathesis_finds_no_server_error_and_nothing_off_the_document() {
    let found = std::process::Command::new("schemathesis")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    if !found {
        if std::env::var(SKIP_SCHEMATHESIS).as_deref() == Ok("1") {
            eprintln!("skipped: schemathesis is not installed ({SKIP_SCHEMATHESIS}=1)");
            return;
        }
        panic!(
            "cannot run `schemathesis`: `pip install schemathesis` (.ci/run does), or set \
             {SKIP_SCHEMATHESIS}=1 to skip this test"
        );
    }
    let d = Desk::start_in(stream_guild(), &[], &[]).await;
    let server = d.server.as_ref().unwrap();
    let panel = Panel::new(server, &turn_on(&d).await);
    // Something to pick, resolve and mark: two requests on stream.
    let link = "https://www.youtube.com/watch?v=dQw4w9WgXcQ";
    for level in [fixtures::REQUESTED_ONE, LEVEL] {
        let (status, _) = panel
            .post("/request/create", &create(level, "Fuzz", link))
            .await;
        assert_eq!(status, 200);
    }
    let report = tempfile::tempdir().unwrap();
    let args = [
        "run".to_string(),
        format!("{}/openapi.json", panel.base),
        "--url".into(),
        panel.base.clone(),
        "--header".into(),
        format!("x-key: {}", panel.key),
        "--tls-verify".into(),
        "false".into(),
        "--checks".into(),
        "not_a_server_error,status_code_conformance,content_type_conformance,\
         response_schema_conformance,negative_data_rejection"
            .into(),
        "--phases".into(),
        "examples,coverage,fuzzing".into(),
        "--max-examples".into(),
        "25".into(),
        "--seed".into(),
        "23".into(),
        "--workers".into(),
        "2".into(),
        "--request-timeout".into(),
        "20".into(),
        "--report-dir".into(),
        report.path().display().to_string(),
    ];
    let started = Instant::now();
    let workdir = report.path().to_path_buf();
    // Off the test's thread, which runs the fake Discord and the fake GD server meanwhile.
    let run = tokio::task::spawn_blocking(move || {
        std::process::Command::new("schemathesis")
            .args(&args)
            // Its cache goes where it runs: not in the checkout.
            .current_dir(&workdir)
            .env("NO_COLOR", "1")
            .output()
    })
    .await
    .unwrap()
    .unwrap();
    let out = String::from_utf8_lossy(&run.stdout);
    assert!(
        run.status.success(),
        "schemathesis found problems ({:?}):\n{out}\n{}",
        started.elapsed(),
        String::from_utf8_lossy(&run.stderr)
    );
    eprintln!("schemathesis: {:?}\n{out}", started.elapsed());
}

/// `stagehand control-panel` through a running server's admin socket, and on the store when no
/// server runs: the key is printed once and works; `off` turns the API off for good.
#[tokio::test]
async fn the_command_line_turns_the_api_on_and_off() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path(), &[]);
    let run = |args: &[&str]| crate::support::run(dir.path(), args, &[]);
    let (code, out, err) = run(&["control-panel", "status"]);
    assert_eq!(
        (code, out.as_str()),
        (0, "The Control Panel API is off.\n"),
        "{err}"
    );
    let (code, _, err) = run(&["control-panel", "on", "--staff", "nobody"]);
    assert_eq!(code, 1);
    assert!(err.contains("--staff: expected a Discord id"), "{err}");
    let (code, out, err) = run(&["control-panel", "on", "--staff", "43"]);
    assert_eq!(code, 0, "{err}");
    let lines: Vec<&str> = out.lines().collect();
    assert!(lines[0].ends_with("done as Discord user 43."), "{out}");
    let key = lines[3];
    assert_eq!(key.len(), 64, "{out}");
    let panel = Panel::new(&server, key);
    assert_eq!(panel.get("/request/oldest").await, (200, Value::Null));
    assert!(!server.stderr().contains(key), "the key is never logged");
    server.stop();

    let (code, out, err) = run(&["control-panel", "rotate"]);
    assert_eq!(code, 0, "{err}");
    assert_ne!(out.lines().nth(3), Some(key));
    let (code, out, _) = run(&["control-panel", "off"]);
    assert_eq!(
        (code, out.as_str()),
        (
            0,
            "The Control Panel API is off; its key no longer works.\n"
        )
    );
    let server = Server::start(dir.path(), &[]);
    assert_eq!(Panel::new(&server, key).get("/request/oldest").await.0, 404);
    server.stop();
}
