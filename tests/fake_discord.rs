//! Self-tests of the fake Discord, driven by serenity itself: its models must parse what the
//! fake sends, its requests must meet Discord's limits and errors, its ratelimiter must get
//! through an injected 429, and a `serenity::Client` must identify, resume and answer
//! interactions.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::{Value, json};
use serenity::all::{
    ApplicationId, AutoArchiveDuration, AutocompleteChoice, ChannelId, ChannelType,
    CommandInteraction, CommandOptionType, CommandType, ComponentInteraction, Context,
    CreateActionRow, CreateAttachment, CreateAutocompleteResponse, CreateButton, CreateCommand,
    CreateCommandOption, CreateEmbed, CreateInputText, CreateInteractionResponse,
    CreateInteractionResponseFollowup, CreateInteractionResponseMessage, CreateMessage,
    CreateModal, CreateThread, EditInteractionResponse, EditMember, EditMessage, EventHandler,
    GatewayIntents, GuildId, HttpBuilder, InputTextStyle, Interaction as Event, MessageFlags,
    MessageId, ModalInteraction, Ready, RoleId, UserId,
};
use serenity::http::{Http, HttpError};
use tokio::sync::Notify;

use crate::support::discord::{FakeDiscord, Guild};

/// A PNG signature and an empty IHDR-less body: bytes are compared, not decoded.
const PNG: &[u8] = b"\x89PNG\r\n\x1a\nfake chart";

/// serenity's REST client pointed at the fake with `HttpBuilder::proxy`.
fn http(fake: &FakeDiscord) -> Http {
    HttpBuilder::new(FakeDiscord::TOKEN)
        .proxy(fake.api_url())
        .ratelimiter_disabled(true)
        .application_id(ApplicationId::new(FakeDiscord::APPLICATION_ID))
        .build()
}

/// (status, Discord code, field errors as "path CODE") of a failed serenity call.
fn refusal<T: std::fmt::Debug>(result: serenity::Result<T>) -> (u16, isize, Vec<String>) {
    match result {
        Err(serenity::Error::Http(HttpError::UnsuccessfulRequest(response))) => (
            response.status_code.as_u16(),
            response.error.code,
            response
                .error
                .errors
                .iter()
                .map(|e| format!("{} {}", e.path, e.code))
                .collect(),
        ),
        other => panic!("expected Discord to refuse, got {other:?}"),
    }
}

#[tokio::test]
async fn rest_objects_parse_in_serenity_models() {
    let guild = Guild::sample();
    let fake = FakeDiscord::start(guild.clone()).await;
    let http = http(&fake);
    let guild_id = GuildId::new(guild.id);

    let me = http.get_current_user().await.unwrap();
    assert_eq!(me.id.get(), FakeDiscord::APPLICATION_ID);
    assert!(me.bot);
    let partial = http.get_guild(guild_id).await.unwrap();
    assert_eq!(partial.owner_id.get(), guild.owner);
    assert_eq!(partial.roles.len(), guild.roles.len());
    let roles = http.get_guild_roles(guild_id).await.unwrap();
    let admin = roles.iter().find(|r| r.name == "Admin").unwrap();
    assert!(admin.permissions.administrator());
    let channels = http.get_channels(guild_id).await.unwrap();
    assert_eq!(channels.len(), guild.channels.len());
    let anna = UserId::new(guild.user("anna"));
    let member = http.get_member(guild_id, anna).await.unwrap();
    assert_eq!(member.user.name, "anna");
    let reviewer = http
        .get_member(guild_id, UserId::new(guild.user("kira")))
        .await
        .unwrap();
    assert_eq!(reviewer.roles, vec![RoleId::new(guild.role("Reviewer"))]);
    let dm = anna.create_dm_channel(&http).await.unwrap();
    assert_eq!(dm.recipient.id, anna);
    assert_eq!(anna.create_dm_channel(&http).await.unwrap().id, dm.id);
}

#[tokio::test]
async fn messages_edits_attachments_threads_and_dms() {
    let guild = Guild::sample();
    let fake = FakeDiscord::start(guild.clone()).await;
    let http = http(&fake);
    let requests = ChannelId::new(fake.channel_named("requests"));

    let embed = CreateEmbed::new()
        .title("Level 128")
        .field("Stars", "10", true);
    let sent = requests
        .send_message(
            &http,
            CreateMessage::new()
                .content("new request")
                .embed(embed)
                .add_file(CreateAttachment::bytes(PNG, "chart.png")),
        )
        .await
        .unwrap();
    assert!(sent.id.get() >= 10_u64.pow(16), "snowflakes look real");
    assert_eq!(sent.attachments[0].filename, "chart.png");
    let stored = fake.messages(requests.get());
    assert_eq!(stored.len(), 1);
    assert_eq!(stored[0].content, "new request");
    assert_eq!(stored[0].embeds[0]["title"], "Level 128");
    assert_eq!(
        stored[0].attachments,
        vec![("chart.png".to_string(), PNG.to_vec())]
    );
    assert_eq!(stored[0].author_id, FakeDiscord::APPLICATION_ID);

    let edited = requests
        .edit_message(&http, sent.id, EditMessage::new().content("approved"))
        .await
        .unwrap();
    assert!(edited.edited_timestamp.is_some());
    let stored = &fake.messages(requests.get())[0];
    assert_eq!(stored.content, "approved");
    assert_eq!(
        stored.attachments.len(),
        1,
        "an edit without attachments keeps them"
    );

    let thread = requests
        .create_thread_from_message(&http, sent.id, CreateThread::new("Level 128"))
        .await
        .unwrap();
    assert_eq!(
        thread.id.get(),
        sent.id.get(),
        "a thread takes its message's id"
    );
    assert_eq!(thread.kind, ChannelType::PublicThread);
    assert_eq!(fake.channel_named("Level 128"), thread.id.get());
    thread.id.say(&http, "discussion").await.unwrap();
    assert_eq!(fake.messages(thread.id.get())[0].content, "discussion");
    let again = requests.create_thread_from_message(&http, sent.id, CreateThread::new("again"));
    assert_eq!(refusal(again.await).1, 160004);

    let listed = requests.messages(&http, Default::default()).await.unwrap();
    assert_eq!(listed.len(), 1);
    requests.delete_message(&http, sent.id).await.unwrap();
    assert!(fake.messages(requests.get()).is_empty());

    let anna = UserId::new(guild.user("anna"));
    anna.direct_message(
        &http,
        CreateMessage::new().content("your request was approved"),
    )
    .await
    .unwrap();
    assert_eq!(fake.dms(anna.get())[0].content, "your request was approved");
    let quinn = UserId::new(guild.user("quinn"));
    let closed = quinn.direct_message(&http, CreateMessage::new().content("hi"));
    assert_eq!(refusal(closed.await), (403, 50007, vec![]));
    assert!(fake.dms(quinn.get()).is_empty());
}

/// Starting a thread on a message, by Discord's rules: a name of 1 to 100 characters, an
/// auto-archive duration Discord offers, one thread per message (160004), the thread taking the
/// message's id and the message naming its thread from then on.
#[tokio::test]
async fn threads_started_on_messages_follow_discords_rules() {
    let fake = FakeDiscord::start(Guild::sample()).await;
    let http = http(&fake);
    let requests = ChannelId::new(fake.channel_named("requests"));
    let post = |text: &'static str| {
        let http = &http;
        async move { requests.say(http, text).await.unwrap() }
    };
    let start = |message: MessageId, builder: CreateThread<'static>| {
        let http = &http;
        async move {
            requests
                .create_thread_from_message(http, message, builder)
                .await
        }
    };
    let sent = post("Level 128 by Anna").await;
    assert!(
        !sent
            .flags
            .unwrap_or_default()
            .contains(MessageFlags::HAS_THREAD)
            && sent.thread.is_none()
    );

    // Refused, and nothing started: a bad name, a duration Discord does not offer, both.
    let named = |n: usize| CreateThread::new("n".repeat(n));
    let form = |paths: &[&str]| (400, 50035, paths.iter().map(|p| p.to_string()).collect());
    assert_eq!(
        refusal(start(sent.id, named(0)).await),
        form(&["name BASE_TYPE_BAD_LENGTH"])
    );
    assert_eq!(
        refusal(start(sent.id, named(101)).await),
        form(&["name BASE_TYPE_BAD_LENGTH"])
    );
    for minutes in [0, 30, 1000, 10081] {
        let odd = named(5).auto_archive_duration(AutoArchiveDuration::from(minutes));
        assert_eq!(
            refusal(start(sent.id, odd).await),
            form(&["auto_archive_duration BASE_TYPE_CHOICES"]),
            "{minutes}"
        );
    }
    let both = named(0).auto_archive_duration(AutoArchiveDuration::Unknown(2));
    let (status, code, mut errors) = refusal(start(sent.id, both).await);
    errors.sort();
    assert_eq!(
        (status, code, errors),
        form(&[
            "auto_archive_duration BASE_TYPE_CHOICES",
            "name BASE_TYPE_BAD_LENGTH"
        ])
    );
    assert!(fake.threads(requests.get()).is_empty());

    // Started: the thread has the message's id, the name, the duration; a 100-character name is
    // fine; without a duration a thread archives after a day.
    let name = "й".repeat(100);
    let builder =
        CreateThread::new(name.clone()).auto_archive_duration(AutoArchiveDuration::OneWeek);
    let thread = start(sent.id, builder).await.unwrap();
    assert_eq!(
        thread.id.get(),
        sent.id.get(),
        "a thread takes its message's id"
    );
    assert_eq!(thread.kind, ChannelType::PublicThread);
    assert_eq!(thread.parent_id, Some(requests));
    assert_eq!(thread.name, name);
    let metadata = thread.thread_metadata.unwrap();
    assert_eq!(metadata.auto_archive_duration, AutoArchiveDuration::OneWeek);
    let other = post("Level 129").await;
    let plain = start(other.id, CreateThread::new("Level 129"))
        .await
        .unwrap();
    let metadata = plain.thread_metadata.unwrap();
    assert_eq!(metadata.auto_archive_duration, AutoArchiveDuration::OneDay);

    // The message names its thread, as GET and the channel's list return it.
    let read = requests.message(&http, sent.id).await.unwrap();
    assert_eq!(read.thread.map(|t| t.id), Some(thread.id));
    assert!(
        read.flags
            .unwrap_or_default()
            .contains(MessageFlags::HAS_THREAD)
    );
    let listed = requests.messages(&http, Default::default()).await.unwrap();
    let listed = listed.iter().find(|m| m.id == sent.id).unwrap();
    assert_eq!(listed.thread.as_ref().map(|t| t.id), Some(thread.id));

    // Posts in the thread land there, not in the channel.
    thread.id.say(&http, "first opinion").await.unwrap();
    let inside = fake.messages(thread.id.get());
    assert_eq!(inside.len(), 1);
    assert_eq!(inside[0].content, "first opinion");
    assert_eq!(inside[0].channel_id, thread.id.get());
    assert_eq!(fake.messages(requests.get()).len(), 2);
    let read = thread.id.messages(&http, Default::default()).await.unwrap();
    assert_eq!(read[0].content, "first opinion");

    // One thread per message, whatever the second one is called.
    let again = start(sent.id, CreateThread::new("Level 128 again"));
    assert_eq!(refusal(again.await), (400, 160004, vec![]));
    assert_eq!(fake.threads(requests.get()).len(), 2);

    // A message that is not (or no longer) there: 10008, also from the wrong channel.
    let log = ChannelId::new(fake.channel_named("log"));
    let elsewhere = log.create_thread_from_message(&http, other.id, CreateThread::new("x"));
    assert_eq!(refusal(elsewhere.await), (404, 10008, vec![]));
    let gone = post("deleted soon").await;
    requests.delete_message(&http, gone.id).await.unwrap();
    let deleted = start(gone.id, CreateThread::new("x"));
    assert_eq!(refusal(deleted.await), (404, 10008, vec![]));
    assert_eq!(fake.threads(requests.get()).len(), 2);
}

#[tokio::test]
async fn discord_limits_are_refused_with_invalid_form_body() {
    let fake = FakeDiscord::start(Guild::sample()).await;
    let http = http(&fake);
    let channel = ChannelId::new(fake.channel_named("log"));
    // Raw JSON: serenity's builders refuse some of these before sending.
    let send = |body: Value| {
        let http = &http;
        async move { http.send_message(channel, vec![], &body).await }
    };
    let x = |n: usize| "x".repeat(n);
    let form = |path: &str| (400, 50035, vec![path.to_string()]);
    let embed = |e: Value| json!({"embeds": [e]});

    assert_eq!(
        refusal(send(json!({"content": x(2001)})).await),
        form("content BASE_TYPE_MAX_LENGTH")
    );
    send(json!({"content": x(2000)})).await.unwrap();
    let cases = [
        (
            embed(json!({"title": x(257)})),
            "embeds.0.title BASE_TYPE_MAX_LENGTH",
        ),
        (
            embed(json!({"description": x(4097)})),
            "embeds.0.description BASE_TYPE_MAX_LENGTH",
        ),
        (
            embed(
                json!({"fields": (0..26).map(|i| json!({"name": i.to_string(), "value": "v"})).collect::<Vec<_>>()}),
            ),
            "embeds.0.fields BASE_TYPE_MAX_LENGTH",
        ),
        (
            embed(json!({"fields": [{"name": x(257), "value": "v"}]})),
            "embeds.0.fields.0.name BASE_TYPE_BAD_LENGTH",
        ),
        (
            embed(json!({"fields": [{"name": "n", "value": x(1025)}]})),
            "embeds.0.fields.0.value BASE_TYPE_BAD_LENGTH",
        ),
        (
            embed(json!({"footer": {"text": x(2049)}})),
            "embeds.0.footer.text BASE_TYPE_BAD_LENGTH",
        ),
        (
            embed(json!({"author": {"name": x(257)}})),
            "embeds.0.author.name BASE_TYPE_BAD_LENGTH",
        ),
        (
            json!({"embeds": [{"description": x(3001)}, {"description": x(3000)}]}),
            "embeds MAX_EMBED_SIZE_EXCEEDED",
        ),
        (
            json!({"embeds": vec![json!({"title": "t"}); 11]}),
            "embeds BASE_TYPE_MAX_LENGTH",
        ),
    ];
    for (body, expected) in cases {
        assert_eq!(refusal(send(body).await), form(expected));
    }
    send(json!({"embeds": [{"description": x(3000)}, {"description": x(3000)}]}))
        .await
        .unwrap();

    let button = |id: String| json!({"type": 2, "style": 1, "label": "ok", "custom_id": id});
    let rows = |n: usize, per: usize| {
        let rows: Vec<Value> = (0..n)
            .map(|r| json!({"type": 1, "components": (0..per).map(|b| button(format!("b{r}.{b}"))).collect::<Vec<_>>()}))
            .collect();
        json!({"content": "c", "components": rows})
    };
    let single = |component: Value| json!({"content": "c", "components": [{"type": 1, "components": [component]}]});
    send(rows(5, 5)).await.unwrap();
    let options: Vec<Value> = (0..26)
        .map(|i| json!({"label": i.to_string(), "value": i.to_string()}))
        .collect();
    let cases = [
        (rows(6, 1), "components BASE_TYPE_MAX_LENGTH"),
        (
            rows(1, 6),
            "components.0.components COMPONENT_LAYOUT_WIDTH_EXCEEDED",
        ),
        (
            single(button(x(101))),
            "components.0.components.0.custom_id BASE_TYPE_BAD_LENGTH",
        ),
        (
            single(json!({"type": 2, "style": 1, "label": x(81), "custom_id": "id"})),
            "components.0.components.0.label BASE_TYPE_MAX_LENGTH",
        ),
        (
            json!({"components": [{"type": 1, "components": [button("same".into()), button("same".into())]}]}),
            "components.0.components.1.custom_id COMPONENT_CUSTOM_ID_DUPLICATED",
        ),
        (
            single(json!({"type": 3, "custom_id": "pick", "options": options})),
            "components.0.components.0.options BASE_TYPE_BAD_LENGTH",
        ),
    ];
    for (body, expected) in cases {
        assert_eq!(refusal(send(body).await), form(expected));
    }

    assert_eq!(refusal(send(json!({})).await), (400, 50006, vec![]));
    let huge = CreateAttachment::bytes(vec![0u8; 10 * 1024 * 1024 + 1], "huge.bin");
    let empty = json!({});
    assert_eq!(
        refusal(http.send_message(channel, vec![huge], &empty).await).0,
        413
    );
    assert_eq!(
        fake.messages(channel.get()).len(),
        3,
        "only valid messages arrive"
    );
}

/// Mentions notify whom `allowed_mentions` lets through (everyone mentioned without it), and
/// a kind both parsed and listed is refused as Discord refuses it.
#[tokio::test]
async fn allowed_mentions_decide_who_is_pinged() {
    let guild = Guild::sample();
    let fake = FakeDiscord::start(guild.clone()).await;
    let http = http(&fake);
    let channel = ChannelId::new(fake.channel_named("log"));
    let (user, role) = (guild.user("kira"), guild.role("Reviewer"));
    let content = format!("<@{user}> <@&{role}> hello");
    let send = |allowed: Value| {
        let http = &http;
        let body = json!({"content": content, "allowed_mentions": allowed});
        async move { http.send_message(channel, vec![], &body).await }
    };
    let cases = [
        (Value::Null, vec![user], vec![role]),
        (json!({"parse": []}), vec![], vec![]),
        (json!({"parse": ["users"]}), vec![user], vec![]),
        (
            json!({"parse": [], "roles": [role.to_string()]}),
            vec![],
            vec![role],
        ),
        (json!({"parse": [], "roles": ["1"]}), vec![], vec![]),
    ];
    for (allowed, users, roles) in cases {
        let sent = send(allowed.clone()).await.unwrap();
        let pinged = fake.messages(channel.get()).last().unwrap().pinged.clone();
        assert_eq!(
            (&pinged.users, &pinged.roles),
            (&users, &roles),
            "{allowed}"
        );
        let seen: Vec<u64> = sent.mention_roles.iter().map(|r| r.get()).collect();
        assert_eq!(seen, roles, "serenity reads the roles it notified");
    }
    let both = json!({"parse": ["roles"], "roles": [role.to_string()]});
    assert_eq!(
        refusal(send(both).await),
        (
            400,
            50035,
            vec!["allowed_mentions MESSAGE_ALLOWED_MENTIONS_PARSE_EXCLUSIVE".to_string()]
        )
    );
    assert_eq!(
        refusal(send(json!({"parse": ["channels"]})).await),
        (
            400,
            50035,
            vec!["allowed_mentions.parse.0 BASE_TYPE_CHOICES".to_string()]
        )
    );
}

/// `enforce_nonce`: a create with a nonce the bot used in the same channel in the last few
/// minutes gets that message back (200) and creates nothing; without `enforce_nonce`, in another
/// channel, with another nonce, or minutes later, it is a new message. A nonce is an integer or a
/// string of at most 25 characters.
#[tokio::test]
async fn an_enforced_nonce_creates_its_message_once() {
    let guild = Guild::sample();
    let fake = FakeDiscord::start(guild).await;
    let http = http(&fake);
    let general = ChannelId::new(fake.channel_named("general"));
    let other = ChannelId::new(fake.channel_named("log"));
    let send = |channel: ChannelId, body: Value| {
        let http = &http;
        async move { http.send_message(channel, vec![], &body).await }
    };
    let once =
        |text: &str, nonce: Value| json!({"content": text, "nonce": nonce, "enforce_nonce": true});

    let first = send(general, once("hello", json!("sh1"))).await.unwrap();
    let again = send(general, once("hello again", json!("sh1")))
        .await
        .unwrap();
    assert_eq!((again.id, again.content.as_str()), (first.id, "hello"));
    assert_eq!(fake.messages(general.get()).len(), 1);
    assert_eq!(fake.nonce_replays(), 1);
    let number = send(general, once("seven", json!(7))).await.unwrap();
    let same = send(general, once("seven again", json!(7))).await.unwrap();
    assert_eq!(same.id, number.id);
    assert_eq!(fake.nonce_replays(), 2);

    // Not enforced, another channel, another nonce: created.
    send(general, json!({"content": "loose", "nonce": "sh1"}))
        .await
        .unwrap();
    send(other, once("elsewhere", json!("sh1"))).await.unwrap();
    send(general, once("another", json!("sh2"))).await.unwrap();
    assert_eq!(fake.messages(general.get()).len(), 4);
    assert_eq!(fake.messages(other.get()).len(), 1);

    // Minutes later Discord has forgotten the nonce; a deleted message is not handed back.
    fake.advance(Duration::from_secs(5 * 60));
    let later = send(general, once("hello later", json!("sh1")))
        .await
        .unwrap();
    assert_ne!(later.id, first.id);
    general.delete_message(&http, later.id).await.unwrap();
    send(general, once("hello at last", json!("sh1")))
        .await
        .unwrap();
    assert_eq!(fake.messages(general.get()).len(), 5);
    assert_eq!(fake.nonce_replays(), 2);

    // 26 characters, or neither a string nor an integer: Invalid Form Body.
    let form = |error: &str| (400, 50035, vec![error.to_string()]);
    let long = send(general, once("x", json!("n".repeat(26)))).await;
    assert_eq!(refusal(long), form("nonce NONCE_TYPE_TOO_LONG"));
    let odd = send(general, once("x", json!(true))).await;
    assert_eq!(refusal(odd), form("nonce NONCE_TYPE_INVALID_TYPE"));
    let exactly = send(general, once("x", json!("n".repeat(25)))).await;
    assert!(exactly.is_ok());
}

#[tokio::test]
async fn unknown_ids_auth_permissions_and_unknown_routes() {
    let guild = Guild::sample();
    let fake = FakeDiscord::start(guild.clone()).await;
    let http = http(&fake);
    let log = ChannelId::new(fake.channel_named("log"));
    let guild_id = GuildId::new(guild.id);

    let missing = log.edit_message(
        &http,
        MessageId::new(1_183_000_000_000_000_000),
        EditMessage::new().content("x"),
    );
    assert_eq!(refusal(missing.await), (404, 10008, vec![]));
    let nowhere = ChannelId::new(1_183_000_000_000_000_000).say(&http, "x");
    assert_eq!(refusal(nowhere.await), (404, 10003, vec![]));

    let stranger = HttpBuilder::new("MTE4.wrong.token")
        .proxy(fake.api_url())
        .ratelimiter_disabled(true)
        .build();
    assert_eq!(refusal(log.say(&stranger, "x").await), (401, 0, vec![]));

    let anna = UserId::new(guild.user("anna"));
    let reviewer = RoleId::new(guild.role("Reviewer"));
    http.add_member_role(guild_id, anna, reviewer, None)
        .await
        .unwrap();
    assert_eq!(fake.member(anna.get()).roles, vec![reviewer.get()]);
    http.remove_member_role(guild_id, anna, reviewer, None)
        .await
        .unwrap();
    assert!(fake.member(anna.get()).roles.is_empty());
    let admin = RoleId::new(guild.role("Admin"));
    let above = http.add_member_role(guild_id, anna, admin, None);
    assert_eq!(refusal(above.await), (403, 50013, vec![]));
    guild_id
        .edit_member(&http, anna, EditMember::new().nickname("Anna ★"))
        .await
        .unwrap();
    assert_eq!(fake.member(anna.get()).nick.as_deref(), Some("Anna ★"));
    let owner = guild_id.edit_member(
        &http,
        UserId::new(guild.owner),
        EditMember::new().nickname("boss"),
    );
    assert_eq!(refusal(owner.await), (403, 50013, vec![]));

    let webhooks = http.get_guild_webhooks(guild_id).await;
    assert_eq!(refusal(webhooks).0, 404);
    let requests = fake.requests();
    assert!(requests.contains(&(
        "GET".to_string(),
        format!("/api/v10/guilds/{}/webhooks", guild.id),
        404
    )));
}

#[tokio::test]
async fn injected_faults_and_serenity_ratelimiter_retry() {
    let fake = FakeDiscord::start(Guild::sample()).await;
    let log = fake.channel_named("log");

    // serenity's ratelimiter on, reaching the fake through the CONNECT tunnel.
    let limited = HttpBuilder::new(FakeDiscord::TOKEN)
        .client(fake.http_client())
        .build();
    fake.fail_next("/messages", 429, Some(0.25));
    ChannelId::new(log).say(&limited, "once").await.unwrap();
    assert_eq!(
        fake.messages(log).len(),
        1,
        "the retried message arrives exactly once"
    );
    let statuses: Vec<u16> = fake
        .requests()
        .iter()
        .filter(|(m, p, _)| m == "POST" && p.ends_with("/messages"))
        .map(|(_, _, s)| *s)
        .collect();
    assert_eq!(statuses, vec![429, 200]);
    assert!(fake.early_requests().is_empty(), "serenity waited");

    // Without the ratelimiter the caller sees the fault, and sends the next ones too early.
    let plain = http(&fake);
    fake.fail_next("/messages", 429, Some(60.0));
    assert_eq!(refusal(ChannelId::new(log).say(&plain, "x").await).0, 429);
    fake.fail_next("/messages", 500, None);
    assert_eq!(refusal(ChannelId::new(log).say(&plain, "x").await).0, 500);
    fake.fail_next("POST /messages", 502, None);
    assert_eq!(refusal(ChannelId::new(log).say(&plain, "x").await).0, 502);
    ChannelId::new(log).say(&plain, "fine").await.unwrap();
    assert_eq!(fake.messages(log).len(), 2);
    let early = fake.early_requests();
    assert_eq!(early.len(), 3, "{early:?}");
    assert!(
        early
            .iter()
            .all(|(m, p)| m == "POST" && p.ends_with("/messages"))
    );

    // A fault for one method leaves the others alone.
    let message = ChannelId::new(log).say(&plain, "edit me").await.unwrap();
    fake.fail_next("DELETE /messages", 500, None);
    let edit = serenity::all::EditMessage::new().content("edited");
    ChannelId::new(log)
        .edit_message(&plain, message.id, edit)
        .await
        .unwrap();
    let refused = ChannelId::new(log).delete_message(&plain, message.id).await;
    assert_eq!(refusal(refused).0, 500);
}

/// What the test bot saw.
#[derive(Default)]
struct Seen {
    sessions: Vec<String>,
    guild: Option<(usize, usize, usize)>,
    errors: Vec<String>,
}

/// A minimal bot: answers a few commands the way Stagehand's adapter will.
struct Bot {
    seen: Arc<Mutex<Seen>>,
    late: Arc<Notify>,
}

impl Bot {
    fn note(&self, result: serenity::Result<()>) {
        if let Err(error) = result {
            let (status, code, _) = refusal::<()>(Err(error));
            self.seen
                .lock()
                .unwrap()
                .errors
                .push(format!("{status} {code}"));
        }
    }

    async fn command(&self, ctx: &Context, command: CommandInteraction) {
        let message = |text: &str| {
            CreateInteractionResponse::Message(
                CreateInteractionResponseMessage::new().content(text),
            )
        };
        match command.data.name.as_str() {
            "ping" => {
                let word = command
                    .data
                    .options
                    .first()
                    .and_then(|o| o.value.as_str())
                    .unwrap_or("");
                let again = CreateButton::new("v1:again").label("Again");
                let reply = CreateInteractionResponseMessage::new()
                    .content(format!("pong {word}"))
                    .components(vec![CreateActionRow::Buttons(vec![again])]);
                let answer = CreateInteractionResponse::Message(reply);
                self.note(command.create_response(&ctx.http, answer).await);
            }
            "slow" => {
                self.note(command.defer(&ctx.http).await);
                let edit = EditInteractionResponse::new()
                    .content("done")
                    .new_attachment(CreateAttachment::bytes(PNG, "chart.png"));
                self.note(command.edit_response(&ctx.http, edit).await.map(|_| ()));
                let psst = CreateInteractionResponseFollowup::new()
                    .content("psst")
                    .ephemeral(true);
                self.note(command.create_followup(&ctx.http, psst).await.map(|_| ()));
            }
            "form" => {
                let name =
                    CreateInputText::new(InputTextStyle::Short, "Name", "name").max_length(10);
                let modal = CreateModal::new("v1:form", "Tell us")
                    .components(vec![CreateActionRow::InputText(name)]);
                let answer = CreateInteractionResponse::Modal(modal);
                self.note(command.create_response(&ctx.http, answer).await);
            }
            "late" => {
                self.late.notified().await;
                self.note(
                    command
                        .create_response(&ctx.http, message("too late"))
                        .await,
                );
            }
            _ => {
                self.note(command.create_response(&ctx.http, message("one")).await);
                self.note(command.create_response(&ctx.http, message("two")).await);
            }
        }
    }

    async fn component(&self, ctx: &Context, component: ComponentInteraction) {
        let update = CreateInteractionResponseMessage::new().content("again!");
        let answer = CreateInteractionResponse::UpdateMessage(update);
        self.note(component.create_response(&ctx.http, answer).await);
    }

    async fn modal(&self, ctx: &Context, modal: ModalInteraction) {
        let name = modal.data.components[0]
            .components
            .iter()
            .find_map(|c| match c {
                serenity::all::ActionRowComponent::InputText(input) => input.value.clone(),
                _ => None,
            });
        let reply = CreateInteractionResponseMessage::new()
            .content(format!("hello {}", name.unwrap_or_default()))
            .ephemeral(true);
        let answer = CreateInteractionResponse::Message(reply);
        self.note(modal.create_response(&ctx.http, answer).await);
    }
}

#[serenity::async_trait]
impl EventHandler for Bot {
    async fn ready(&self, _: Context, ready: Ready) {
        self.seen.lock().unwrap().sessions.push(ready.session_id);
    }

    async fn guild_create(&self, _: Context, guild: serenity::all::Guild, _: Option<bool>) {
        let counts = (guild.members.len(), guild.channels.len(), guild.roles.len());
        self.seen.lock().unwrap().guild = Some(counts);
    }

    async fn interaction_create(&self, ctx: Context, interaction: Event) {
        match interaction {
            Event::Command(command) => self.command(&ctx, command).await,
            Event::Component(component) => self.component(&ctx, component).await,
            Event::Modal(modal) => self.modal(&ctx, modal).await,
            Event::Autocomplete(asked) => {
                let typed = asked
                    .data
                    .autocomplete()
                    .map(|o| o.value.to_string())
                    .unwrap_or_default();
                let fruits = ["apple", "apricot", "banana"];
                let choices = fruits
                    .iter()
                    .filter(|f| f.starts_with(&typed))
                    .map(|f| AutocompleteChoice::new(*f, *f))
                    .collect();
                let answer = CreateInteractionResponse::Autocomplete(
                    CreateAutocompleteResponse::new().set_choices(choices),
                );
                self.note(asked.create_response(&ctx.http, answer).await);
            }
            _ => {}
        }
    }
}

#[tokio::test]
async fn serenity_client_identifies_resumes_and_answers_interactions() {
    let guild = Guild::sample();
    let fake = FakeDiscord::start(guild.clone()).await;
    let seen = Arc::new(Mutex::new(Seen::default()));
    let late = Arc::new(Notify::new());
    let bot = Bot {
        seen: seen.clone(),
        late: late.clone(),
    };
    let intents = GatewayIntents::GUILDS | GatewayIntents::GUILD_MEMBERS;
    let mut client = serenity::all::ClientBuilder::new_with_http(http(&fake), intents)
        .event_handler(bot)
        .await
        .unwrap();
    tokio::spawn(async move { client.start().await });
    fake.wait_ready().await;
    fake.wait_until("guild_create reached the handler", |_| {
        seen.lock().unwrap().guild.is_some()
    })
    .await;
    assert_eq!(
        seen.lock().unwrap().guild,
        Some((guild.members.len(), guild.channels.len(), guild.roles.len()))
    );

    let word = CreateCommandOption::new(CommandOptionType::String, "word", "A word")
        .set_autocomplete(true);
    let commands = vec![
        CreateCommand::new("ping")
            .description("Ping")
            .add_option(word),
        CreateCommand::new("slow").description("Takes a while"),
        CreateCommand::new("form").description("Asks"),
        CreateCommand::new("late").description("Too slow"),
        CreateCommand::new("twice").description("Answers twice"),
    ];
    GuildId::new(guild.id)
        .set_commands(&http(&fake), commands)
        .await
        .unwrap();
    assert_eq!(fake.command_registrations(), 1);
    assert_eq!(fake.commands().len(), 5);

    let anna = guild.user("anna");
    let ping = fake
        .invoke(anna, "ping", &[("word", json!("hi"))], "ru")
        .await;
    let reply = ping.response().await;
    assert_eq!(
        (ping.initial_kind(), reply.content.as_str(), reply.ephemeral),
        (4, "pong hi", false)
    );
    assert!(ping.acked_after() < Duration::from_secs(3));
    let general = guild.channel("general");
    assert_eq!(fake.messages(general).len(), 1);
    let again = fake.click(anna, &reply.message, "Again", "ru").await;
    assert_eq!(again.response().await.content, "again!");
    assert_eq!(fake.messages(general)[0].content, "again!");

    let choices = fake
        .autocomplete(anna, "ping", &[("word", json!("ap"))], "word", "en-US")
        .await;
    assert_eq!(
        choices,
        vec![
            ("apple".to_string(), json!("apple")),
            ("apricot".to_string(), json!("apricot"))
        ]
    );

    let slow = fake.invoke(anna, "slow", &[], "en-US").await;
    let reply = slow.response().await;
    assert_eq!(slow.initial_kind(), 5);
    assert_eq!(reply.content, "done");
    assert_eq!(
        reply.attachments,
        vec![("chart.png".to_string(), PNG.to_vec())]
    );
    let followups = slow.wait_followups(1).await;
    assert_eq!(followups[0].content, "psst");
    assert_ne!(followups[0].flags & 64, 0);

    let form = fake.invoke(anna, "form", &[], "en-US").await;
    let modal = form.modal().await.unwrap();
    assert_eq!(modal["title"], "Tell us");
    let submitted = fake
        .submit_modal(anna, "v1:form", &[("name", "Anna")], "en-US")
        .await;
    let reply = submitted.response().await;
    assert_eq!(
        (reply.content.as_str(), reply.ephemeral),
        ("hello Anna", true)
    );

    let twice = fake.invoke(anna, "twice", &[], "en-US").await;
    assert_eq!(twice.response().await.content, "one");
    fake.wait_until("the second response was refused", |_| {
        seen.lock()
            .unwrap()
            .errors
            .contains(&"400 40060".to_string())
    })
    .await;

    // The bot holds /late until the fake's clock is past the 3 s window.
    let too_late = fake.invoke(anna, "late", &[], "en-US").await;
    fake.advance(Duration::from_secs(4));
    late.notify_one();
    fake.wait_until("the late response was refused", |_| {
        seen.lock()
            .unwrap()
            .errors
            .contains(&"404 10062".to_string())
    })
    .await;
    assert_eq!(too_late.initial_kind(), 0);

    fake.wait_until("a heartbeat", |f| f.heartbeats() > 0).await;
    fake.drop_gateway();
    fake.wait_until("the bot resumed", |f| f.resumes() == 1)
        .await;
    assert_eq!(
        fake.identifies(),
        1,
        "a dropped connection is resumed, not re-identified"
    );
    let after = fake.invoke(anna, "ping", &[], "en-US").await;
    assert_eq!(after.response().await.content, "pong ");
    assert_eq!(seen.lock().unwrap().sessions.len(), 1);
}

#[tokio::test]
async fn invoke_checks_options_like_the_discord_client() {
    let guild = Guild::sample();
    let fake = FakeDiscord::start(guild.clone()).await;
    let level = CreateCommandOption::new(CommandOptionType::Integer, "level", "Level id")
        .min_int_value(1)
        .required(true);
    let create =
        CreateCommandOption::new(CommandOptionType::SubCommand, "create", "Request a level")
            .add_sub_option(level);
    let command = CreateCommand::new("request")
        .description("Requests")
        .add_option(create);
    GuildId::new(guild.id)
        .set_commands(&http(&fake), vec![command])
        .await
        .unwrap();
    let bad_name = CreateCommand::new("Bad Name").description("x");
    let refused = GuildId::new(guild.id)
        .set_commands(&http(&fake), vec![bad_name])
        .await;
    assert_eq!(
        refusal(refused),
        (
            400,
            50035,
            vec!["0.name APPLICATION_COMMAND_INVALID_NAME".into()]
        )
    );
    assert_eq!(fake.command_registrations(), 1);

    // Without a bot connected, the checks run before anything is sent.
    let stored = fake.commands();
    let options = &stored[0]["options"][0]["options"][0];
    assert_eq!(options["name"], "level");
    let attempt = |options: Vec<(&'static str, Value)>| {
        let fake = fake.clone();
        let anna = guild.user("anna");
        tokio::spawn(async move {
            fake.invoke(anna, "request create", &options, "en-US").await;
        })
    };
    let cases = [
        (vec![], "needs option \"level\""),
        (vec![("level", json!(0))], "not an integer in range"),
        (vec![("level", json!("x"))], "not an integer in range"),
        (vec![("nope", json!(1))], "has no option \"nope\""),
        (vec![("level", json!(128))], "no bot has identified"),
    ];
    for (options, why) in cases {
        let failed = attempt(options).await.unwrap_err().into_panic();
        let message = failed.downcast_ref::<String>().unwrap();
        assert!(message.contains(why), "{message}");
    }
}

// Command registration: each rule of Discord's Application Commands documentation, refused and
// (just inside it) accepted, through serenity's bulk overwrite.

/// What Discord answers a bulk overwrite of `commands` in a new fake's guild: no field errors
/// when every command was stored, else the refusal's field errors ("path CODE"), sorted, with
/// nothing stored.
async fn overwrite(commands: Vec<CreateCommand>) -> Vec<String> {
    let guild = Guild::sample();
    let fake = FakeDiscord::start(guild.clone()).await;
    let count = commands.len();
    match GuildId::new(guild.id)
        .set_commands(&http(&fake), commands)
        .await
    {
        Ok(stored) => {
            assert_eq!((stored.len(), fake.commands().len()), (count, count));
            Vec::new()
        }
        Err(error) => {
            let (status, code, mut fields) = refusal(Err::<(), _>(error));
            assert_eq!((status, code), (400, 50035));
            assert!(
                fake.commands().is_empty(),
                "a refused overwrite stores nothing"
            );
            fields.sort();
            fields
        }
    }
}

fn slash(name: &str) -> CreateCommand {
    CreateCommand::new(name).description("A command")
}

fn option(kind: CommandOptionType, name: &str) -> CreateCommandOption {
    CreateCommandOption::new(kind, name, "An option")
}

fn string(name: &str) -> CreateCommandOption {
    option(CommandOptionType::String, name)
}

fn sub(name: &str) -> CreateCommandOption {
    option(CommandOptionType::SubCommand, name)
}

fn group(name: &str) -> CreateCommandOption {
    option(CommandOptionType::SubCommandGroup, name)
}

/// Sorted "path CODE" lines.
fn fields(lines: &[&str]) -> Vec<String> {
    let mut lines: Vec<String> = lines.iter().map(|l| l.to_string()).collect();
    lines.sort();
    lines
}

#[tokio::test]
async fn command_and_option_names_match_discords_pattern_in_lowercase() {
    let accepted = vec![
        slash("it's").add_option(string("don't")),
        slash("ранг"),
        slash("नमस्ते"),
        slash("สวัสดี"),
        slash("x-1_2"),
        slash("straße"),
        slash(&"a".repeat(32)),
        CreateCommand::new("High Five").kind(CommandType::User),
    ];
    assert_eq!(overwrite(accepted).await, Vec::<String>::new());
    let refused = vec![
        slash("Upper"),
        slash("two words"),
        slash("bang!"),
        slash(""),
        slash(&"a".repeat(33)),
        slash("Ранг"),
        slash("ok").add_option(string("Bad")),
    ];
    assert_eq!(
        overwrite(refused).await,
        fields(&[
            "0.name APPLICATION_COMMAND_INVALID_NAME",
            "1.name APPLICATION_COMMAND_INVALID_NAME",
            "2.name APPLICATION_COMMAND_INVALID_NAME",
            "3.name APPLICATION_COMMAND_INVALID_NAME",
            "4.name APPLICATION_COMMAND_INVALID_NAME",
            "5.name APPLICATION_COMMAND_INVALID_NAME",
            "6.options.0.name APPLICATION_COMMAND_INVALID_NAME",
        ])
    );
}

#[tokio::test]
async fn command_names_are_unique_per_type() {
    let user = CreateCommand::new("ping").kind(CommandType::User);
    assert_eq!(
        overwrite(vec![slash("ping"), user]).await,
        Vec::<String>::new()
    );
    assert_eq!(
        overwrite(vec![slash("ping"), slash("ping")]).await,
        fields(&["1.name APPLICATION_COMMAND_DUPLICATE_NAME"])
    );
}

#[tokio::test]
async fn localised_names_follow_the_name_rules() {
    let accepted = slash("help")
        .name_localized("ru", "помощь")
        .add_option(string("topic").name_localized("ru", "тема'"));
    assert_eq!(overwrite(vec![accepted]).await, Vec::<String>::new());
    let refused = slash("help")
        .name_localized("ru", "Помощь")
        .add_option(string("topic").name_localized("ru", "две темы"));
    assert_eq!(
        overwrite(vec![refused]).await,
        fields(&[
            "0.name_localizations.ru APPLICATION_COMMAND_INVALID_NAME",
            "0.options.0.name_localizations.ru APPLICATION_COMMAND_INVALID_NAME",
        ])
    );
}

#[tokio::test]
async fn localisation_keys_are_discords_locales() {
    let accepted = [
        "en-US", "en-GB", "ru", "uk", "es-419", "pt-BR", "sv-SE", "zh-TW",
    ]
    .iter()
    .fold(slash("help"), |command, locale| {
        command
            .name_localized(*locale, "help")
            .description_localized(*locale, "Help")
    });
    assert_eq!(overwrite(vec![accepted]).await, Vec::<String>::new());
    let choice = string("language").add_string_choice_localized("English", "en", [("EN", "x")]);
    let refused = slash("help")
        .name_localized("en", "help")
        .description_localized("ru-RU", "Помощь")
        .add_option(choice);
    assert_eq!(
        overwrite(vec![refused]).await,
        fields(&[
            "0.name_localizations.en ENUM_TYPE_COERCE",
            "0.description_localizations.ru-RU ENUM_TYPE_COERCE",
            "0.options.0.choices.0.name_localizations.EN ENUM_TYPE_COERCE",
        ])
    );
}

#[tokio::test]
async fn descriptions_and_their_localisations_are_1_to_100_characters_not_blank() {
    let accepted = CreateCommand::new("help")
        .description("x".repeat(100))
        .description_localized("ru", "я".repeat(100))
        .add_option(string("topic").description_localized("ru", " тема "));
    assert_eq!(overwrite(vec![accepted]).await, Vec::<String>::new());
    let refused = vec![
        CreateCommand::new("long").description("x".repeat(101)),
        CreateCommand::new("blank").description(" \n\t"),
        CreateCommand::new("none"),
        slash("localised")
            .description_localized("ru", "я".repeat(101))
            .description_localized("uk", "  "),
        slash("option").add_option(CreateCommandOption::new(
            CommandOptionType::String,
            "topic",
            "",
        )),
    ];
    assert_eq!(
        overwrite(refused).await,
        fields(&[
            "0.description BASE_TYPE_BAD_LENGTH",
            "1.description BASE_TYPE_BAD_LENGTH",
            "2.description BASE_TYPE_REQUIRED",
            "3.description_localizations.ru BASE_TYPE_BAD_LENGTH",
            "3.description_localizations.uk BASE_TYPE_BAD_LENGTH",
            "4.options.0.description BASE_TYPE_BAD_LENGTH",
        ])
    );
}

#[tokio::test]
async fn sibling_option_names_are_unique_at_every_level() {
    // Discord's own example: the same option and subcommand names under different parents.
    let user = group("user").add_sub_option(sub("get").add_sub_option(string("user")));
    let role = group("role").add_sub_option(sub("get").add_sub_option(string("user")));
    let accepted = slash("permissions").add_option(user).add_option(role);
    assert_eq!(overwrite(vec![accepted]).await, Vec::<String>::new());
    let refused = vec![
        slash("options")
            .add_option(string("x"))
            .add_option(string("x")),
        slash("subcommands")
            .add_option(sub("get"))
            .add_option(sub("get")),
        slash("nested").add_option(
            sub("get")
                .add_sub_option(string("y"))
                .add_sub_option(string("y")),
        ),
    ];
    assert_eq!(
        overwrite(refused).await,
        fields(&[
            "0.options.1.name APPLICATION_COMMAND_OPTIONS_NAME_ALREADY_EXISTS",
            "1.options.1.name APPLICATION_COMMAND_OPTIONS_NAME_ALREADY_EXISTS",
            "2.options.0.options.1.name APPLICATION_COMMAND_OPTIONS_NAME_ALREADY_EXISTS",
        ])
    );
}

#[tokio::test]
async fn sibling_localised_option_names_are_unique_in_each_locale() {
    // A localisation equal to its own default is ignored; one name in two locales, or under two
    // parents, is no clash.
    let accepted = slash("request")
        .add_option(string("level").name_localized("ru", "level"))
        .add_option(string("first").name_localized("ru", "икс"))
        .add_option(string("second").name_localized("uk", "икс"))
        .add_option(string("third").name_localized("ru", "второй"));
    let subs = slash("queue")
        .add_option(sub("open").add_sub_option(string("why").name_localized("ru", "причина")))
        .add_option(sub("close").add_sub_option(string("why").name_localized("ru", "причина")));
    assert_eq!(overwrite(vec![accepted, subs]).await, Vec::<String>::new());
    let refused = vec![
        slash("same")
            .add_option(string("first").name_localized("ru", "имя"))
            .add_option(string("second").name_localized("ru", "имя")),
        slash("default")
            .add_option(string("first").name_localized("ru", "second"))
            .add_option(string("second")),
        slash("subcommands")
            .add_option(sub("open").name_localized("ru", "открыть"))
            .add_option(sub("start").name_localized("ru", "открыть")),
    ];
    assert_eq!(
        overwrite(refused).await,
        fields(&[
            "0.options.1.name_localizations.ru APPLICATION_COMMAND_OPTIONS_NAME_ALREADY_EXISTS",
            "1.options.0.name_localizations.ru APPLICATION_COMMAND_OPTIONS_NAME_ALREADY_EXISTS",
            "2.options.1.name_localizations.ru APPLICATION_COMMAND_OPTIONS_NAME_ALREADY_EXISTS",
        ])
    );
}

#[tokio::test]
async fn choices_have_names_of_1_to_100_characters_and_values_of_the_options_type() {
    let integer = |name: &str| option(CommandOptionType::Integer, name);
    let number = option(CommandOptionType::Number, "ratio").add_number_choice("half", 0.5);
    let accepted = slash("pick")
        .add_option(string("word").add_string_choice_localized(
            "x".repeat(100),
            "v".repeat(100),
            [("ru", "я".repeat(100))],
        ))
        .add_option(integer("count").add_int_choice("one", 1))
        .add_option(number);
    assert_eq!(overwrite(vec![accepted]).await, Vec::<String>::new());
    let refused = slash("pick")
        .add_option(string("long").add_string_choice("long", "v".repeat(101)))
        .add_option(string("typed").add_int_choice("one", 1))
        .add_option(integer("count").add_string_choice("one", "1"))
        .add_option(string("name").add_string_choice("x".repeat(101), "x"))
        .add_option(string("localised").add_string_choice_localized("x", "x", [("ru", "")]))
        .add_option(option(CommandOptionType::Role, "role").add_string_choice("admin", "1"));
    assert_eq!(
        overwrite(vec![refused]).await,
        fields(&[
            "0.options.0.choices.0.value BASE_TYPE_MAX_LENGTH",
            "0.options.1.choices.0.value STRING_TYPE_COERCE",
            "0.options.2.choices.0.value NUMBER_TYPE_COERCE",
            "0.options.3.choices.0.name BASE_TYPE_BAD_LENGTH",
            "0.options.4.choices.0.name_localizations.ru BASE_TYPE_BAD_LENGTH",
            "0.options.5.choices APPLICATION_COMMAND_OPTIONS_TYPE_INVALID",
        ])
    );
}

#[tokio::test]
async fn autocomplete_is_never_set_with_choices() {
    let accepted = slash("find")
        .add_option(string("word").set_autocomplete(true))
        .add_option(string("kind").add_string_choice("a", "a"));
    assert_eq!(overwrite(vec![accepted]).await, Vec::<String>::new());
    let refused = slash("find")
        .add_option(
            string("word")
                .set_autocomplete(true)
                .add_string_choice("a", "a"),
        )
        .add_option(option(CommandOptionType::Role, "role").set_autocomplete(true));
    assert_eq!(
        overwrite(vec![refused]).await,
        fields(&[
            "0.options.0.autocomplete APPLICATION_COMMAND_AUTOCOMPLETE_WITH_CHOICES",
            "0.options.1.autocomplete APPLICATION_COMMAND_OPTIONS_TYPE_INVALID",
        ])
    );
}

#[tokio::test]
async fn subcommands_nest_only_as_discord_documents() {
    // Groups of subcommands beside plain subcommands, each with options.
    let accepted = slash("queue")
        .add_option(group("history").add_sub_option(sub("show").add_sub_option(string("page"))))
        .add_option(sub("open").add_sub_option(string("why")));
    assert_eq!(overwrite(vec![accepted]).await, Vec::<String>::new());
    let refused = vec![
        slash("a").add_option(group("g").add_sub_option(group("h").add_sub_option(sub("s")))),
        slash("b").add_option(group("g").add_sub_option(string("x"))),
        slash("c").add_option(sub("s").add_sub_option(sub("t"))),
        slash("d").add_option(sub("s").add_sub_option(group("g"))),
        slash("e").add_option(string("x").add_sub_option(string("y"))),
        slash("f").add_option(sub("s")).add_option(string("x")),
    ];
    assert_eq!(
        overwrite(refused).await,
        fields(&[
            "0.options.0.options.0.type APPLICATION_COMMAND_OPTIONS_TYPE_INVALID",
            "1.options.0.options.0.type APPLICATION_COMMAND_OPTIONS_TYPE_INVALID",
            "2.options.0.options.0.type APPLICATION_COMMAND_OPTIONS_TYPE_INVALID",
            "3.options.0.options.0.type APPLICATION_COMMAND_OPTIONS_TYPE_INVALID",
            "4.options.0.options APPLICATION_COMMAND_OPTIONS_TYPE_INVALID",
            "5.options APPLICATION_COMMAND_OPTIONS_TYPE_INVALID",
        ])
    );
}

#[tokio::test]
async fn subcommands_and_groups_are_never_required() {
    // serenity always sends `"required": false`, which Discord accepts on a subcommand.
    let accepted =
        slash("request").add_option(sub("create").add_sub_option(string("level").required(true)));
    assert_eq!(overwrite(vec![accepted]).await, Vec::<String>::new());
    let refused = slash("request")
        .add_option(sub("create").required(true))
        .add_option(group("queue").required(true).add_sub_option(sub("open")));
    assert_eq!(
        overwrite(vec![refused]).await,
        fields(&[
            "0.options.0.required APPLICATION_COMMAND_OPTION_REQUIRED_INVALID",
            "0.options.1.required APPLICATION_COMMAND_OPTION_REQUIRED_INVALID",
        ])
    );
}

#[tokio::test]
async fn required_options_come_before_optional_ones() {
    let accepted = slash("edit")
        .add_option(string("key").required(true))
        .add_option(string("value"));
    assert_eq!(overwrite(vec![accepted]).await, Vec::<String>::new());
    let refused = slash("edit").add_option(
        sub("text")
            .add_sub_option(string("value"))
            .add_sub_option(string("key").required(true)),
    );
    assert_eq!(
        overwrite(vec![refused]).await,
        fields(&["0.options.0.options.1 APPLICATION_COMMAND_OPTIONS_REQUIRED_INVALID"])
    );
}

#[tokio::test]
async fn at_most_25_options_and_choices_at_every_level() {
    let options = |command: CreateCommand, n: usize| {
        (0..n).fold(command, |c, i| c.add_option(string(&format!("o{i}"))))
    };
    let choices = |option: CreateCommandOption, n: usize| {
        (0..n).fold(option, |o, i| {
            o.add_string_choice(format!("c{i}"), i.to_string())
        })
    };
    let subs = |group: CreateCommandOption, n: usize| {
        (0..n).fold(group, |g, i| g.add_sub_option(sub(&format!("s{i}"))))
    };
    let accepted = vec![
        options(slash("options"), 25),
        slash("choices").add_option(choices(string("pick"), 25)),
        slash("groups").add_option(subs(group("g"), 25)),
    ];
    assert_eq!(overwrite(accepted).await, Vec::<String>::new());
    let refused = vec![
        options(slash("options"), 26),
        slash("choices").add_option(choices(string("pick"), 26)),
        slash("groups").add_option(subs(group("g"), 26)),
    ];
    assert_eq!(
        overwrite(refused).await,
        fields(&[
            "0.options BASE_TYPE_MAX_LENGTH",
            "1.options.0.choices BASE_TYPE_MAX_LENGTH",
            "2.options.0.options BASE_TYPE_MAX_LENGTH",
        ])
    );
}

/// Discord counts each name, description and choice value of a command once, at its longest
/// localisation, and refuses a command over 8000 characters.
#[tokio::test]
async fn a_command_is_at_most_8000_characters_at_its_longest_localisations() {
    let x = |n: usize| "x".repeat(n);
    // 100 + (100 + 25 × 200) + (100 + 13 × 200) + 100 = 8000.
    let big = |localised: Option<String>| {
        let choices = |option: CreateCommandOption, n: usize| {
            (0..n).fold(option, |o, j| {
                o.add_string_choice(format!("{j:x>100}"), format!("{j:v>100}"))
            })
        };
        let option = |name: &str| CreateCommandOption::new(CommandOptionType::String, name, x(98));
        let command = CreateCommand::new("big")
            .description(x(97))
            .add_option(choices(option("o1"), 25))
            .add_option(choices(option("o2"), 13))
            .add_option(option("o3"));
        match localised {
            Some(text) => command.description_localized("ru", text),
            None => command,
        }
    };
    assert_eq!(overwrite(vec![big(None)]).await, Vec::<String>::new());
    assert_eq!(
        overwrite(vec![big(Some("я".repeat(97)))]).await,
        Vec::<String>::new(),
        "a localisation no longer than the default adds nothing"
    );
    assert_eq!(
        overwrite(vec![big(Some("я".repeat(98)))]).await,
        fields(&["0 APPLICATION_COMMAND_TOO_LARGE"])
    );
}
