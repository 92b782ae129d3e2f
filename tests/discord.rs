//! The Discord shell end to end: the real `stagehand serve` connected to the fake Discord, used
//! the way members use it; plus Stagehand's delivery of long, oversized and rate-limited messages.

use std::time::{Duration, Instant};

use serde_json::json;
use stagehand::discord::{DeliveryError, Nonces};
use stagehand::outbox::{Destination, Effect, Embed, Message, queue};

use crate::support::discord::{FakeDiscord, Guild};
use crate::support::{Connected, Server, eventually, start_with_discord as start};

fn member(guild: &Guild) -> u64 {
    guild
        .members
        .iter()
        .find(|m| m.id != guild.owner)
        .map(|m| m.id)
        .unwrap()
}

#[tokio::test]
async fn help_follows_the_members_language_and_tampered_controls_change_nothing() {
    let guild = Guild::sample();
    let fake = FakeDiscord::start(guild.clone()).await;
    let dir = tempfile::tempdir().unwrap();
    let server = start(dir.path(), &fake, &guild);
    fake.wait_ready().await;
    eventually("command registration", || fake.command_registrations() == 1).await;
    let user = member(&guild);

    // A Russian-locale member gets the Russian help, privately, within Discord's 3 seconds.
    let help = fake.invoke(user, "help", &[], "ru").await;
    let reply = help.response().await;
    assert!(reply.ephemeral);
    assert_eq!(reply.embeds[0]["title"], "Stagehand — команды");
    assert!(
        reply.embeds[0]["fields"]
            .to_string()
            .contains("Заявки на уровни Geometry Dash")
    );
    assert!(
        !reply.embeds[0]["fields"].to_string().contains("Лига osu!"),
        "the league is not enabled"
    );
    assert!(help.acked_after() < Duration::from_secs(3));

    // `/language en` makes it English, whatever the locale says.
    let reply = fake
        .invoke(user, "language", &[("language", json!("en"))], "ru")
        .await
        .response()
        .await;
    assert_eq!(reply.content, "From now on I will answer you in English.");
    let english = fake.invoke(user, "help", &[], "ru").await.response().await;
    assert_eq!(english.embeds[0]["title"], "Stagehand — commands");

    // The language buttons under /help work too...
    let message = english.message.clone();
    let reply = fake
        .click(user, &message, "Русский", "ru")
        .await
        .response()
        .await;
    assert_eq!(reply.content, "Теперь я буду отвечать вам по-русски.");

    // ...but a tampered one (forged argument, unknown version, garbage) is "outdated" and changes
    // nothing: the member still gets Russian afterwards.
    for forged in [
        "v1:core:language:0:de",
        "v9:core:language:0:en",
        "v1:core:language:0:en:extra",
        "garbage",
    ] {
        let reply = fake
            .click_forged(user, &message, forged, "en")
            .await
            .response()
            .await;
        assert!(reply.ephemeral, "{forged}");
        assert_eq!(
            reply.content,
            "Этот элемент устарел и больше не работает. Вызовите команду ещё раз, чтобы получить новый.",
            "{forged}"
        );
    }
    let still = fake.invoke(user, "help", &[], "en").await.response().await;
    assert_eq!(still.embeds[0]["title"], "Stagehand — команды");
    server.stop();
}

/// Discord refusing an answer (a 500 on the interaction callback) is a failure the maintainers
/// hear of: the guild owner gets a DM naming the command and the error, and the next command is
/// answered as usual.
#[tokio::test]
async fn a_refused_answer_is_apologised_for_reported_to_the_owner_and_the_bot_keeps_working() {
    let c = Connected::start(Guild::sample()).await;
    let user = member(&c.guild);
    assert!(c.fake.dms(c.guild.owner).is_empty());

    c.fake.fail_next("/callback", 500, None);
    let refused = c.fake.invoke(user, "help", &[], "en-US").await;
    let dms = c.fake.wait_dms(c.guild.owner, 1).await;
    let report = &dms[0].content;
    assert!(
        report.starts_with(&format!("**Error** in /help (user <@{user}>):")),
        "{report}"
    );
    assert!(report.contains("500: Internal Server Error"), "{report}");
    let apology = refused.response().await;
    assert_eq!(
        refused.initial_kind(),
        4,
        "the apology took the initial response"
    );
    assert!(apology.ephemeral);
    assert!(
        apology.content.starts_with("Something went wrong"),
        "{}",
        apology.content
    );

    let help = c.fake.invoke(user, "help", &[], "en-US").await;
    let reply = help.response().await;
    assert_eq!(help.initial_kind(), 4);
    assert!(reply.ephemeral);
    assert_eq!(reply.embeds[0]["title"], "Stagehand — commands");
    assert_eq!(
        c.fake.dms(c.guild.owner).len(),
        1,
        "one failure, one report"
    );
    c.server.stop();
}

/// A 429 on the initial response is waited out: the answer arrives once, well within Discord's
/// 3 seconds, and nobody hears of a failure.
#[tokio::test]
async fn a_rate_limited_answer_is_retried_and_arrives_once() {
    let c = Connected::start(Guild::sample()).await;
    let user = member(&c.guild);
    let before = c.fake.requests().len();
    c.fake.fail_next("/callback", 429, Some(0.2));
    let help = c.fake.invoke(user, "help", &[], "en-US").await;
    let reply = help.response().await;
    assert_eq!(reply.embeds[0]["title"], "Stagehand — commands");
    assert!(help.acked_after() >= Duration::from_millis(200));
    assert!(help.acked_after() < Duration::from_secs(3));
    let statuses: Vec<u16> = c
        .fake
        .requests()
        .iter()
        .skip(before)
        .filter(|(_, path, _)| path.ends_with("/callback"))
        .map(|r| r.2)
        .collect();
    assert_eq!(statuses, [429, 204]);
    assert!(c.fake.dms(c.guild.owner).is_empty(), "no failure to report");
    c.server.stop();
}

/// A server on a new fake Discord, once it has registered the commands for the first time.
async fn first_registration(dir: &std::path::Path) -> (Guild, FakeDiscord, Server) {
    let guild = Guild::sample();
    let fake = FakeDiscord::start(guild.clone()).await;
    let server = start(dir, &fake, &guild);
    fake.wait_ready().await;
    eventually("the first registration", || {
        fake.command_registrations() == 1
    })
    .await;
    (guild, fake, server)
}

/// The content of the reply to `user` running `command` in English.
async fn runs(
    fake: &FakeDiscord,
    user: u64,
    command: &str,
    options: Vec<(&str, serde_json::Value)>,
) -> String {
    let asked = fake.invoke(user, command, &options, "en-US").await;
    asked.response().await.content
}

#[tokio::test]
async fn an_edited_command_description_is_registered_once_and_kept_over_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let (guild, fake, server) = first_registration(dir.path()).await;
    let help_description = |fake: &FakeDiscord| {
        let commands = fake.commands();
        let help = commands.iter().find(|c| c["name"] == "help").unwrap();
        help["description"].as_str().unwrap().to_string()
    };
    let edit = |key: &str, text: &str| {
        vec![
            ("key", json!(key)),
            ("language", json!("en")),
            ("new_value", json!(text)),
        ]
    };

    let edited = runs(
        &fake,
        guild.owner,
        "text edit",
        edit("command.help.description", "What I can do"),
    )
    .await;
    assert_eq!(edited, "Done.");
    eventually("the edited description registered", || {
        fake.command_registrations() == 2
    })
    .await;
    assert_eq!(help_description(&fake), "What I can do");

    // Another text is not a command's: no registration. The outbox delivers in order, so once
    // the reset's registration arrived, one for the other edit would have too.
    let other = runs(
        &fake,
        guild.owner,
        "text edit",
        edit("common.success", "All done."),
    )
    .await;
    assert_eq!(other, "All done.");
    let reset = vec![
        ("key", json!("command.help.description")),
        ("language", json!("en")),
    ];
    assert_eq!(
        runs(&fake, guild.owner, "text reset", reset).await,
        "All done."
    );
    eventually("the default description registered again", || {
        help_description(&fake) != "What I can do"
    })
    .await;
    assert_eq!(fake.command_registrations(), 3);
    server.stop();

    // The fingerprint covers the edited texts: a restart registers nothing.
    let server = start(dir.path(), &fake, &guild);
    eventually("the restart to compare fingerprints", || {
        server.stderr().contains("slash commands are up to date")
    })
    .await;
    assert_eq!(fake.command_registrations(), 3);
    server.stop();
}

#[tokio::test]
async fn commands_are_registered_once_per_change_of_the_table() {
    let dir = tempfile::tempdir().unwrap();
    let (guild, fake, server) = first_registration(dir.path()).await;
    let names: Vec<_> = fake
        .commands()
        .iter()
        .map(|c| c["name"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(
        names,
        [
            "help",
            "language",
            "permission",
            "parameter",
            "route",
            "text",
            "backup",
            "log",
            "link",
            "show",
            "archived",
            "season_end",
            "season_start",
            "delete",
            "points",
            "challenge",
            "revoke_challenge",
            "league",
            "usercd",
            "levelcd",
            "request",
            "queue",
            "trainee",
            "report",
            "reviews",
            "control_panel"
        ]
    );
    assert_eq!(fake.commands()[0]["name_localizations"]["ru"], "помощь");
    server.stop();

    let server = start(dir.path(), &fake, &guild);
    eventually("the second start to compare fingerprints", || {
        server.stderr().contains("slash commands are up to date")
    })
    .await;
    assert_eq!(
        fake.command_registrations(),
        1,
        "an unchanged table is not registered again"
    );
    server.stop();

    // A store whose fingerprint is from another table (an older release) registers again.
    {
        let store = stagehand::store::Store::open(
            &dir.path().join("data/stagehand.redb"),
            &Default::default(),
        )
        .unwrap();
        store
            .write(|w| {
                w.insert(
                    &stagehand::discord::COMMANDS_FINGERPRINT,
                    "commands",
                    &[0u8; 32],
                )
            })
            .unwrap();
    }
    let server = start(dir.path(), &fake, &guild);
    eventually("the re-registration", || fake.command_registrations() == 2).await;
    server.stop();
}

/// The fake's gateway is `wss://gateway.discord.gg` for a bot that reaches it through
/// `discord.proxy`, as on a network where only the proxy reaches Discord: connecting there
/// directly fails, so the bot is ready only if its gateway went through the proxy too — and
/// after a drop, so did its RESUME.
#[tokio::test]
async fn a_dropped_gateway_connection_resumes_through_the_proxy() {
    let guild = Guild::sample();
    let fake = FakeDiscord::start(guild.clone()).await;
    let dir = tempfile::tempdir().unwrap();
    let server = start(dir.path(), &fake, &guild);
    fake.wait_ready().await;
    let gateway_tunnels = || {
        let tunnels = fake.tunnels();
        tunnels
            .iter()
            .filter(|t| *t == "gateway.discord.gg:443")
            .count()
    };
    assert_eq!(gateway_tunnels(), 1, "{:?}", fake.tunnels());
    eventually("command registration", || fake.command_registrations() == 1).await;
    fake.drop_gateway();
    eventually("a RESUME", || fake.resumes() == 1).await;
    assert_eq!(gateway_tunnels(), 2, "{:?}", fake.tunnels());
    let reply = fake
        .invoke(member(&guild), "help", &[], "en")
        .await
        .response()
        .await;
    assert_eq!(reply.embeds[0]["title"], "Stagehand — commands");
    server.stop();
}

#[tokio::test]
async fn the_setup_page_starts_the_bot() {
    let guild = Guild::sample();
    let fake = FakeDiscord::start(guild.clone()).await;
    let dir = tempfile::tempdir().unwrap();
    let ca = dir.path().join("fake-discord.pem");
    std::fs::write(&ca, fake.certificate_pem()).unwrap();
    let (proxy, ca) = (fake.api_url(), ca.display().to_string());
    let env = [
        ("STAGEHAND_DISCORD_PROXY", proxy.as_str()),
        ("STAGEHAND_DISCORD_CA_CERT", ca.as_str()),
    ];
    let server = Server::start(dir.path(), &env);
    let guild_id = guild.id.to_string();
    let application_id = FakeDiscord::APPLICATION_ID.to_string();
    let form = [
        ("discord_token", FakeDiscord::TOKEN),
        ("application_id", application_id.as_str()),
        ("guild_id", guild_id.as_str()),
        ("public_url", "https://bot.example.org"),
        ("module_requests", "on"),
    ];
    assert_eq!(crate::support::post_setup(&server, &form).await.0, 200);
    fake.wait_ready().await;
    eventually("command registration", || fake.command_registrations() == 1).await;
    let reply = fake
        .invoke(member(&guild), "help", &[], "en")
        .await
        .response()
        .await;
    assert_eq!(reply.embeds[0]["title"], "Stagehand — commands");
    server.stop();
}

/// serenity's HTTP client tunnelled to the fake, with its ratelimiter on, as the adapter builds it.
/// Delivers `effect` as the outbox worker delivers it from a row: always the same row, so the
/// same effect delivered again is what a crash before its row was settled repeats.
async fn deliver(
    http: &serenity::http::Http,
    store: &stagehand::store::Store,
    guild: u64,
    effect: Effect,
) -> Result<Option<stagehand::outbox::Landed>, DeliveryError> {
    let nonces = Nonces::of(1, &effect);
    stagehand::discord::deliver(http, store, guild, &nonces, effect).await
}

fn http(fake: &FakeDiscord) -> serenity::http::Http {
    serenity::http::HttpBuilder::new(FakeDiscord::TOKEN)
        .client(fake.http_client())
        .application_id(FakeDiscord::APPLICATION_ID.into())
        .build()
}

#[tokio::test]
async fn long_content_is_split_on_word_boundaries() {
    let guild = Guild::sample();
    let guild_id = guild.id;
    let fake = FakeDiscord::start(guild).await;
    let (_dir, store) = scratch_store();
    let channel = fake.channel_named("log");
    let words: Vec<String> = (0..900).map(|i| format!("слово{i}")).collect();
    let text = words.join(" ");
    deliver(
        &http(&fake),
        &store,
        guild_id,
        post(channel, Message::text(text.clone())),
    )
    .await
    .unwrap();
    let posted = fake.messages(channel);
    assert_eq!(posted.len(), 4);
    assert!(posted.iter().all(|m| m.content.chars().count() <= 2000));
    assert!(posted.iter().all(
        |m| !m.content.starts_with(' ') && m.content.split(' ').all(|w| w.starts_with("слово"))
    ));
    let rejoined: Vec<String> = posted.iter().map(|m| m.content.clone()).collect();
    assert_eq!(rejoined.join(" "), text);
}

#[tokio::test]
async fn an_oversized_embed_is_never_sent() {
    let guild = Guild::sample();
    let guild_id = guild.id;
    let fake = FakeDiscord::start(guild).await;
    let (_dir, store) = scratch_store();
    let channel = fake.channel_named("log");
    let big = Embed {
        description: "x".repeat(4000),
        ..Embed::default()
    };
    let message = Message {
        embeds: vec![big.clone(), big],
        ..Message::default()
    };
    let err = deliver(&http(&fake), &store, guild_id, post(channel, message))
        .await
        .unwrap_err();
    assert!(err.to_string().contains("at most 6000"), "{err}");
    assert!(
        fake.requests()
            .iter()
            .all(|(method, _, _)| method != "POST"),
        "{:?}",
        fake.requests()
    );
    assert!(fake.messages(channel).is_empty());
}

#[tokio::test]
async fn a_rate_limited_message_arrives_exactly_once() {
    let guild = Guild::sample();
    let guild_id = guild.id;
    let fake = FakeDiscord::start(guild).await;
    let (_dir, store) = scratch_store();
    let channel = fake.channel_named("log");
    fake.fail_next("/messages", 429, Some(0.3));
    let started = Instant::now();
    deliver(
        &http(&fake),
        &store,
        guild_id,
        post(channel, Message::text("hello")),
    )
    .await
    .unwrap();
    assert!(
        started.elapsed() >= Duration::from_millis(300),
        "the retry_after was not waited out"
    );
    let posted = fake.messages(channel);
    assert_eq!(posted.len(), 1);
    assert_eq!(posted[0].content, "hello");
    let statuses: Vec<u16> = fake
        .requests()
        .iter()
        .filter(|(m, p, _)| m == "POST" && p.contains("/messages"))
        .map(|r| r.2)
        .collect();
    assert_eq!(statuses, [429, 200]);
}

#[tokio::test]
async fn a_post_to_a_deleted_route_channel_is_recognised() {
    let guild = Guild::sample();
    let guild_id = guild.id;
    let fake = FakeDiscord::start(guild).await;
    let (_dir, store) = scratch_store();
    let channel = fake.channel_named("log");
    fake.delete_channel(channel);
    let route = stagehand::routes::Route::Welcome;
    let message = Message::text("welcome!");
    let routed = Effect::Send {
        to: Destination::Route { route, channel },
        message,
        anchor: None,
    };
    let err = deliver(&http(&fake), &store, guild_id, routed)
        .await
        .unwrap_err();
    assert!(
        matches!(err, stagehand::discord::DeliveryError::ChannelGone { route: r, channel: c } if r == route && c == channel),
        "{err}"
    );
    // A plain post to a missing channel is refused for good.
    let err = deliver(
        &http(&fake),
        &store,
        guild_id,
        post(channel, Message::text("x")),
    )
    .await
    .unwrap_err();
    assert!(
        matches!(err, stagehand::discord::DeliveryError::Refused(_)),
        "{err}"
    );
}

fn post(channel: u64, message: Message) -> Effect {
    Effect::Send {
        to: Destination::Channel(channel),
        message,
        anchor: None,
    }
}

fn scratch_store() -> (tempfile::TempDir, stagehand::store::Store) {
    let dir = tempfile::tempdir().unwrap();
    let store = stagehand::store::Store::open(
        &dir.path().join("s.redb"),
        &stagehand::store::StoreOptions::default(),
    )
    .unwrap();
    (dir, store)
}

#[tokio::test]
async fn an_anchored_message_can_be_edited_and_deleted_by_its_anchor() {
    let guild = Guild::sample();
    let guild_id = guild.id;
    let fake = FakeDiscord::start(guild).await;
    let (_dir, store) = scratch_store();
    let channel = fake.channel_named("requests");
    let http = http(&fake);
    // Delivers `message` under `anchor` and records where it landed, as the outbox worker does.
    let post = |anchor: &str, message: Message| {
        let (http, store) = (&http, &store);
        let sent = Effect::Send {
            to: Destination::Channel(channel),
            message,
            anchor: Some(anchor.into()),
        };
        async move {
            let landed = deliver(http, store, guild_id, sent.clone())
                .await
                .unwrap()
                .expect("a post has a place");
            store
                .write(|w| queue::settle(w, 0, &sent, Some(landed.clone())))
                .unwrap();
            landed
        }
    };
    let landed = post("req:1:review", Message::text("pending")).await;
    assert!(landed.more.is_empty());
    let edit = Effect::Edit {
        anchor: "req:1:review".into(),
        message: Message::text("archived"),
    };
    deliver(&http, &store, guild_id, edit).await.unwrap();
    assert_eq!(fake.messages(channel)[0].content, "archived");
    let delete = Effect::Delete {
        anchor: "req:1:review".into(),
    };
    deliver(&http, &store, guild_id, delete).await.unwrap();
    assert!(fake.messages(channel).is_empty());

    // A long message is several; deleting its anchor deletes them all, also when a person
    // deleted one of them already.
    let long = "word ".repeat(1000);
    let landed = post("req:2:review", Message::text(long.trim_end())).await;
    assert_eq!(landed.more.len(), 2);
    assert_eq!(fake.messages(channel).len(), 3);
    let by_hand = http
        .delete_message(channel.into(), landed.more[0].into(), None)
        .await;
    by_hand.unwrap();
    let delete = Effect::Delete {
        anchor: "req:2:review".into(),
    };
    deliver(&http, &store, guild_id, delete).await.unwrap();
    assert!(fake.messages(channel).is_empty());

    // An anchor that was never delivered has nothing to edit.
    let orphan = Effect::Edit {
        anchor: "req:3:review".into(),
        message: Message::text("x"),
    };
    assert_eq!(
        deliver(&http, &store, guild_id, orphan).await.unwrap(),
        None
    );
}

/// A thread on an anchored message, with its (long) first post inside; restart-proof: a try that
/// started the thread but failed to post is retried into that thread (Discord's 160004), and so
/// is a delivery repeated after a crash before its row was settled.
#[tokio::test]
async fn a_thread_starts_on_an_anchored_message_and_a_retry_posts_into_it() {
    let guild = Guild::sample();
    let guild_id = guild.id;
    let fake = FakeDiscord::start(guild).await;
    let (_dir, store) = scratch_store();
    let channel = fake.channel_named("requests");
    let http = http(&fake);
    let anchored = |anchor: &'static str, text: &'static str| {
        let (http, store) = (&http, &store);
        let sent = Effect::Send {
            to: Destination::Channel(channel),
            message: Message::text(text),
            anchor: Some(anchor.into()),
        };
        async move {
            let landed = deliver(http, store, guild_id, sent.clone()).await.unwrap();
            let landed = landed.expect("a post has a place");
            store
                .write(|w| queue::settle(w, 0, &sent, Some(landed.clone())))
                .unwrap();
            landed.first.message
        }
    };
    let widget = anchored("req:1:review", "Level 128 by Anna").await;
    let review = format!("{} end", "word ".repeat(450));
    let thread = Effect::thread(
        "req:1:review",
        "Level 128 — reviews",
        10080,
        Message::text(&review),
    )
    .unwrap();

    // The first try starts the thread, then its post fails (a 500): worth another try.
    fake.fail_next(&format!("/channels/{widget}/messages"), 500, None);
    let err = deliver(&http, &store, guild_id, thread.clone())
        .await
        .unwrap_err();
    assert!(matches!(err, DeliveryError::Failed(_)), "{err}");
    let threads = fake.threads(channel);
    assert_eq!(threads.len(), 1);
    assert_eq!(threads[0].id, widget, "a thread takes its message's id");
    assert_eq!(threads[0].name, "Level 128 — reviews");
    assert!(fake.messages(widget).is_empty());

    // The retry finds the thread started (160004) and posts into it, split in two.
    let retried = deliver(&http, &store, guild_id, thread.clone()).await;
    assert_eq!(retried.unwrap(), None);
    let inside = fake.messages(widget);
    assert_eq!(inside.len(), 2, "the review is split in two");
    assert!(inside[0].content.starts_with("word word"));
    assert!(inside[1].content.ends_with("end"));
    assert_eq!(fake.threads(channel).len(), 1);
    assert_eq!(
        fake.messages(channel).len(),
        1,
        "nothing in the channel itself"
    );
    let started = http
        .get_channel(widget.into())
        .await
        .unwrap()
        .guild()
        .unwrap();
    let metadata = started.thread_metadata.unwrap();
    assert_eq!(u16::from(metadata.auto_archive_duration), 10080);
    let statuses = |method: &str, path: &str| -> Vec<u16> {
        let requests = fake.requests();
        let found = requests
            .iter()
            .filter(|(m, p, _)| m == method && p.ends_with(path));
        found.map(|(_, _, status)| *status).collect()
    };
    let start_path = format!("/channels/{channel}/messages/{widget}/threads");
    assert_eq!(statuses("POST", &start_path), [201, 400]);

    // Delivered again after a crash before its row was settled: not a failure, and the posts'
    // nonces have Discord hand back the ones already in the thread rather than post them again.
    let replays = fake.nonce_replays();
    let again = deliver(&http, &store, guild_id, thread).await;
    assert_eq!(again.unwrap(), None);
    assert_eq!(fake.messages(widget).len(), 2);
    assert_eq!(fake.nonce_replays(), replays + 2);
    assert_eq!(fake.threads(channel).len(), 1);

    // Built by hand past the limits: the name is cut before it is sent, an auto-archive time
    // Discord does not offer is refused without a request.
    let second = anchored("req:2:review", "Level 129 by Kira").await;
    let long_name = Effect::Thread {
        anchor: "req:2:review".into(),
        name: "n".repeat(150),
        auto_archive_minutes: 60,
        message: Message::text("first"),
    };
    deliver(&http, &store, guild_id, long_name).await.unwrap();
    let named = fake.threads(channel).into_iter().find(|t| t.id == second);
    assert_eq!(named.map(|t| t.name.chars().count()), Some(100));
    assert_eq!(fake.messages(second)[0].content, "first");
    let before = fake.requests().len();
    let odd = Effect::Thread {
        anchor: "req:2:review".into(),
        name: "x".into(),
        auto_archive_minutes: 30,
        message: Message::text("never"),
    };
    let err = deliver(&http, &store, guild_id, odd).await.unwrap_err();
    assert!(matches!(err, DeliveryError::Refused(_)), "{err}");
    assert_eq!(fake.requests().len(), before);

    // Nothing to start a thread on: an anchor never delivered, a message deleted by a person.
    let never = Effect::thread("req:3:review", "x", 60, Message::text("never")).unwrap();
    assert_eq!(deliver(&http, &store, guild_id, never).await.unwrap(), None);
    assert_eq!(fake.requests().len(), before);
    let deleted = anchored("req:4:review", "Level 130").await;
    http.delete_message(channel.into(), deleted.into(), None)
        .await
        .unwrap();
    let orphan = Effect::thread("req:4:review", "x", 60, Message::text("never")).unwrap();
    assert_eq!(
        deliver(&http, &store, guild_id, orphan).await.unwrap(),
        None
    );
    assert_eq!(fake.threads(channel).len(), 2);
    assert!(fake.messages(deleted).is_empty());
}

#[tokio::test]
async fn member_effects_set_roles_and_nickname_within_the_bots_reach() {
    let guild = Guild::sample();
    let guild_id = guild.id;
    let (anna, reviewer, admin) = (
        guild.user("anna"),
        guild.role("Reviewer"),
        guild.role("Admin"),
    );
    let fake = FakeDiscord::start(guild).await;
    let (_dir, store) = scratch_store();
    let http = http(&fake);
    let change = Effect::Member {
        user: anna,
        add_roles: vec![reviewer],
        remove_roles: vec![],
        nick: Some("anna | osu".into()),
    };
    deliver(&http, &store, guild_id, change).await.unwrap();
    let member = fake.member(anna);
    assert_eq!(member.roles, [reviewer]);
    assert_eq!(member.nick.as_deref(), Some("anna | osu"));
    // A role above the bot's own is refused for good, not retried.
    let above = Effect::Member {
        user: anna,
        add_roles: vec![admin],
        remove_roles: vec![],
        nick: None,
    };
    let err = deliver(&http, &store, guild_id, above).await.unwrap_err();
    assert!(
        matches!(err, stagehand::discord::DeliveryError::Refused(_)),
        "{err}"
    );
    assert_eq!(fake.member(anna).roles, [reviewer]);
}
