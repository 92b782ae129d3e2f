//! Administration end to end (issue 5): the real `stagehand serve` on the fake Discord, with
//! `/permission`, `/parameter`, `/route`, `/text` and the `/help` topics used the way admins and
//! members use them.

use std::time::Duration;

use serde_json::{Value, json};

use crate::support::Connected;
use crate::support::discord::{Channel, FakeDiscord, Guild, Reply};

const DONE: &str = "Done.";
const NO_EFFECT: &str = "Nothing changed: it already was that way.";
const FORBIDDEN: &str = "You do not have permission to do this.";
const FORBIDDEN_RU: &str = "У вас нет прав на это действие.";

type Setup = Connected;

async fn setup(guild: Guild) -> Setup {
    Connected::start(guild).await
}

impl Setup {
    /// `user` (by name) runs `command` and gets this reply.
    async fn run(
        &self,
        user: &str,
        command: &str,
        options: &[(&str, Value)],
        locale: &str,
    ) -> Reply {
        let user = self.guild.user(user);
        self.fake
            .invoke(user, command, options, locale)
            .await
            .response()
            .await
    }

    /// The content of the reply to the owner running `command` in English.
    async fn owner(&self, command: &str, options: &[(&str, Value)]) -> String {
        let reply = self.run("owner", command, options, "en-US").await;
        assert!(reply.ephemeral, "/{command}");
        reply.content
    }

    /// Waits until `check` holds, or fails with `what`.
    async fn eventually<F: std::future::Future<Output = bool>>(
        &self,
        what: &str,
        check: impl Fn() -> F,
    ) {
        let deadline = std::time::Instant::now() + Duration::from_secs(15);
        while !check().await {
            assert!(
                std::time::Instant::now() < deadline,
                "timed out waiting for {what}"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    fn role(&self, name: &str) -> Value {
        json!(self.guild.role(name).to_string())
    }
}

/// The messages a channel holds after the bot had time to post what it would.
async fn settled(fake: &FakeDiscord, channel: u64) -> Vec<String> {
    tokio::time::sleep(Duration::from_millis(700)).await;
    fake.messages(channel)
        .into_iter()
        .map(|m| m.content)
        .collect()
}

#[tokio::test]
async fn the_owner_bootstraps_permissions_and_others_are_refused_in_their_language() {
    let s = setup(Guild::sample()).await;
    let bind_reviewer = [
        ("permission", json!("reviewer")),
        ("role", s.role("Reviewer")),
    ];

    // A plain member may not bind, in English or Russian; nothing is bound.
    let reply = s
        .run("anna", "permission bind", &bind_reviewer, "en-US")
        .await;
    assert!(reply.ephemeral);
    assert_eq!(reply.content, FORBIDDEN);
    let reply = s.run("ivan", "permission bind", &bind_reviewer, "ru").await;
    assert_eq!(reply.content, FORBIDDEN_RU);
    // ...but anyone may list the flags.
    let flags = s.run("anna", "permission list_flags", &[], "en-US").await;
    assert!(
        flags
            .content
            .contains("`reviewer` — Review requested levels")
    );

    // On a fresh install the owner and members with Discord's Administrator are admins.
    let roles = s.run("admin", "permission list_roles", &[], "en-US").await;
    assert!(
        roles
            .content
            .starts_with("No role carries any permission yet")
    );
    assert_eq!(s.owner("permission bind", &bind_reviewer).await, DONE);
    assert_eq!(s.owner("permission bind", &bind_reviewer).await, NO_EFFECT);
    let me = s.guild.user("admin").to_string();
    let described = s
        .run(
            "admin",
            "permission describe_member",
            &[("member", json!(me))],
            "en-US",
        )
        .await;
    assert!(
        described
            .content
            .contains("has Discord's Administrator permission")
    );
    // Another member's roles come from what Discord resolved for the option.
    let reviewer_role = s.guild.role("Reviewer");
    let reviewer = s
        .guild
        .members
        .iter()
        .find(|m| m.roles.contains(&reviewer_role))
        .unwrap()
        .id;
    let described = s
        .run(
            "admin",
            "permission describe_member",
            &[("member", json!(reviewer.to_string()))],
            "en-US",
        )
        .await;
    assert!(
        described.content.contains("`reviewer`"),
        "{}",
        described.content
    );
    assert!(
        described.content.contains(&format!("<@&{reviewer_role}>")),
        "{}",
        described.content
    );

    // Once a role carries `admin`, Administrator alone no longer counts; the owner always does.
    let bind_admin = [
        ("permission", json!("admin")),
        ("role", s.role("GD Moderator")),
    ];
    let reply = s
        .run("admin", "permission bind", &bind_admin, "en-US")
        .await;
    assert_eq!(reply.content, DONE);
    let reply = s.run("admin", "parameter list", &[], "en-US").await;
    assert_eq!(reply.content, FORBIDDEN);
    let reply = s.run("max", "parameter list", &[], "en-US").await;
    assert!(reply.content.contains("`queue.block_at`"));
    let roles = s.owner("permission list_roles", &[]).await;
    let moderator = s.guild.role("GD Moderator");
    assert!(
        roles.contains(&format!("<@&{moderator}>: `admin`")),
        "{roles}"
    );

    // An admin may not take `admin` from themselves.
    let unbind_admin = [
        ("permission", json!("admin")),
        ("role", s.role("GD Moderator")),
    ];
    let reply = s
        .run("max", "permission unbind", &unbind_admin, "en-US")
        .await;
    assert!(
        reply
            .content
            .starts_with("Refused: this would take the `admin` permission")
    );
    let reply = s
        .run(
            "max",
            "permission clear",
            &[("role", s.role("GD Moderator"))],
            "en-US",
        )
        .await;
    assert!(reply.content.starts_with("Refused"));
    assert_eq!(s.owner("permission unbind", &unbind_admin).await, DONE);
    s.server.stop();
}

#[tokio::test]
async fn binding_reviewer_gives_it_to_the_roles_members_only() {
    let s = setup(Guild::sample()).await;
    let bind = [
        ("permission", json!("reviewer")),
        ("role", s.role("Reviewer")),
    ];
    assert_eq!(s.owner("permission bind", &bind).await, DONE);

    // The Reviewer role carries `reviewer` (no command needs `reviewer` alone yet: the
    // Reviewer's Widget comes with the request desk); `reviewer` is not `admin`.
    let reviewer = s.guild.role("Reviewer");
    let roles = s.owner("permission list_roles", &[]).await;
    assert!(
        roles.ends_with(&format!("\n<@&{reviewer}>: `reviewer`")),
        "{roles}"
    );
    let reply = s.run("kira", "route list", &[], "en-US").await;
    assert_eq!(reply.content, FORBIDDEN);

    // Binding `admin` to the same role lets its members in; others still get the localised
    // refusal.
    let bind = [("permission", json!("admin")), ("role", s.role("Reviewer"))];
    assert_eq!(s.owner("permission bind", &bind).await, DONE);
    let reply = s.run("kira", "route list", &[], "en-US").await;
    assert!(reply.content.contains("`log` — The event log"));
    let reply = s.run("ivan", "route list", &[], "ru").await;
    assert_eq!(reply.content, FORBIDDEN_RU);
    assert_eq!(
        s.owner("permission clear", &[("role", s.role("Reviewer"))])
            .await,
        DONE
    );
    let reply = s.run("kira", "route list", &[], "en-US").await;
    assert_eq!(reply.content, FORBIDDEN);
    s.server.stop();
}

#[tokio::test]
async fn a_bad_parameter_value_is_refused_with_the_reason_and_changes_nothing() {
    let s = setup(Guild::sample()).await;
    let set = |value: &str| {
        vec![
            ("parameter", json!("queue.block_at")),
            ("new_value", json!(value)),
        ]
    };
    let describe = [("parameter", json!("queue.block_at"))];
    assert_eq!(s.owner("parameter set", &set("40")).await, DONE);
    assert_eq!(s.owner("parameter set", &set(" 40 ")).await, NO_EFFECT);
    for (bad, reason) in [
        ("-1", "`-1` is not a whole number"),
        ("abc", "`abc` is not a whole number"),
        ("99999999999999999999", "is too large: at most 4294967295"),
        ("", "is not a whole number"),
        ("0", "must be at least 1, not `0`"),
    ] {
        let reply = s.owner("parameter set", &set(bad)).await;
        assert!(reply.contains(reason), "{bad:?}: {reply}");
        assert!(reply.ends_with("Nothing was changed."), "{bad:?}: {reply}");
        let described = s.owner("parameter describe", &describe).await;
        assert!(described.contains("Current: `40`"), "{bad:?}: {described}");
    }
    let reply = s.run("ivan", "parameter set", &set("abc"), "ru").await;
    assert_eq!(reply.content, FORBIDDEN_RU);
    let unknown = [
        ("parameter", json!("queue.nothing")),
        ("new_value", json!("1")),
    ];
    let reply = s.owner("parameter set", &unknown).await;
    assert!(
        reply.starts_with("There is no parameter `queue.nothing`"),
        "{reply}"
    );

    // Durations use their grammar; reset returns the default.
    let cooldown = |value: &str| {
        vec![
            ("parameter", json!("cooldown.post_request_user_cd")),
            ("new_value", json!(value)),
        ]
    };
    assert!(
        s.owner("parameter set", &cooldown("3m"))
            .await
            .contains("could mean minutes or months")
    );
    assert_eq!(s.owner("parameter set", &cooldown("1w2d")).await, DONE);
    assert_eq!(s.owner("parameter reset", &describe).await, DONE);
    assert_eq!(s.owner("parameter reset", &describe).await, NO_EFFECT);
    assert!(
        s.owner("parameter describe", &describe)
            .await
            .contains("Current: `50`")
    );

    // The parameter option completes as typed, for admins only.
    let owner = s.guild.user("owner");
    let choices = s
        .fake
        .autocomplete(
            owner,
            "parameter describe",
            &[("parameter", json!("block"))],
            "parameter",
            "en-US",
        )
        .await;
    let names: Vec<&str> = choices.iter().map(|(n, _)| n.as_str()).collect();
    assert!(names.contains(&"queue.block_at"), "{names:?}");
    assert!(names.iter().all(|n| n.contains("block")), "{names:?}");
    let anna = s.guild.user("anna");
    let choices = s
        .fake
        .autocomplete(
            anna,
            "parameter describe",
            &[("parameter", json!("block"))],
            "parameter",
            "en-US",
        )
        .await;
    assert!(choices.is_empty());
    s.server.stop();
}

#[tokio::test]
async fn routes_find_their_channels_and_a_disabled_route_sends_nothing() {
    let mut guild = Guild::sample();
    guild.channels.push(Channel {
        id: guild.id + (30 << 22),
        name: "stagehand-log".into(),
    });
    let s = setup(guild).await;
    let default_log = s.guild.channel("stagehand-log");
    let log = s.guild.channel("log");
    let route = [("route", json!("log"))];

    // The default channel was found by name when the guild arrived.
    s.eventually("the default channels", || async {
        !s.owner("route describe", &route)
            .await
            .contains("Default channel: not set")
    })
    .await;
    let described = s.owner("route describe", &route).await;
    assert!(
        described.contains(&format!("Default channel: <#{default_log}>")),
        "{described}"
    );
    assert!(described.contains("🟩 enabled"), "{described}");

    // Every change is mirrored to the log route.
    let set = [
        ("parameter", json!("queue.block_at")),
        ("new_value", json!("45")),
    ];
    assert_eq!(s.owner("parameter set", &set).await, DONE);
    let posted = s.fake.wait_messages(default_log, 1).await;
    let owner = s.guild.user("owner");
    let (head, fields) = posted[0].content.split_once("\ntimestamp: ").unwrap();
    assert!(head.starts_with("**PARAMETER_EDITED** #"), "{head}");
    assert!(head.ends_with(&format!("\nuser: <@{owner}>")), "{head}");
    assert!(
        fields.ends_with("\nparameter_id: `queue.block_at`\nvalue: `45`"),
        "{fields}"
    );

    // Pointing the route elsewhere moves the posts.
    let update = [("route", json!("log")), ("channel", json!(log.to_string()))];
    assert_eq!(s.owner("route update_channel", &update).await, DONE);
    let posted = s.fake.wait_messages(log, 1).await;
    assert!(
        posted[0].content.starts_with("**ROUTE_TARGET_UPDATED** #"),
        "{}",
        posted[0].content
    );

    // Disabled, the route drops its messages silently.
    assert_eq!(s.owner("route disable", &route).await, DONE);
    assert_eq!(s.owner("route disable", &route).await, NO_EFFECT);
    let before = settled(&s.fake, log).await;
    let set = [
        ("parameter", json!("queue.block_at")),
        ("new_value", json!("46")),
    ];
    assert_eq!(s.owner("parameter set", &set).await, DONE);
    assert_eq!(settled(&s.fake, log).await, before);
    assert!(
        s.owner("route describe", &route)
            .await
            .contains("🟥 disabled")
    );

    // Enabled again, it posts again; reset_channel goes back to the default.
    assert_eq!(s.owner("route enable", &route).await, DONE);
    let posted = s.fake.wait_messages(log, before.len() + 1).await;
    assert!(posted[before.len()].content.contains("ROUTE_TOGGLED"));
    assert_eq!(s.owner("route reset_channel", &route).await, DONE);
    assert_eq!(s.owner("route reset_channel", &route).await, NO_EFFECT);
    let described = s.owner("route describe", &route).await;
    assert!(
        described.contains(&format!("Current channel: <#{default_log}>")),
        "{described}"
    );
    s.server.stop();
}

#[tokio::test]
async fn an_edited_russian_text_shows_at_once_and_bad_texts_are_refused() {
    let s = setup(Guild::sample()).await;
    let edit = |key: &str, lang: &str, text: &str| {
        vec![
            ("key", json!(key)),
            ("language", json!(lang)),
            ("new_value", json!(text)),
        ]
    };

    // A Russian-locale member sees the edited text on their next refusal; English is unchanged.
    let russian = edit("error.forbidden", "ru", "Сюда нельзя.\\nСпросите админа.");
    assert_eq!(s.owner("text edit", &russian).await, DONE);
    assert_eq!(s.owner("text edit", &russian).await, NO_EFFECT);
    let reply = s.run("ivan", "text list", &[], "ru").await;
    assert_eq!(reply.content, "Сюда нельзя.\nСпросите админа.");
    let reply = s.run("anna", "text list", &[], "en-US").await;
    assert_eq!(reply.content, FORBIDDEN);

    // An unknown `{param}`, an over-long text and a syntax error are refused; nothing changes.
    let reply = s
        .owner(
            "text edit",
            &edit("error.forbidden", "ru", "Нет: {admin_mention}"),
        )
        .await;
    assert!(
        reply.starts_with("This text has no parameter `{admin_mention}`"),
        "{reply}"
    );
    let long = "Done. ".repeat(340);
    let reply = s
        .owner("text edit", &edit("common.success", "en", &long))
        .await;
    assert!(reply.contains("over the limit of 2000"), "{reply}");
    let reply = s
        .owner(
            "text edit",
            &edit("command.help.description", "en", &"x".repeat(101)),
        )
        .await;
    assert!(reply.contains("over the limit of 100"), "{reply}");
    // A blank command description would make Discord refuse every command.
    let reply = s
        .owner(
            "text edit",
            &edit("command.help.description", "ru", "\\n \\t"),
        )
        .await;
    assert_eq!(
        reply,
        "A command description cannot be blank: Discord would refuse every command with it. \
         Nothing was changed."
    );
    let reply = s.owner("text edit", &edit("no.such.key", "en", "x")).await;
    assert_eq!(reply, "There is no text `no.such.key`.");
    let reply = s.run("ivan", "text list", &[], "ru").await;
    assert_eq!(reply.content, "Сюда нельзя.\nСпросите админа.");

    // describe shows both languages; reset brings the default back.
    let described = s
        .owner("text describe", &[("key", json!("error.forbidden"))])
        .await;
    assert!(described.contains("Сюда нельзя."), "{described}");
    assert!(described.contains(FORBIDDEN), "{described}");
    let reset = [("key", json!("error.forbidden")), ("language", json!("ru"))];
    assert_eq!(s.owner("text reset", &reset).await, DONE);
    assert_eq!(s.owner("text reset", &reset).await, NO_EFFECT);
    let reply = s.run("ivan", "text list", &[], "ru").await;
    assert_eq!(reply.content, FORBIDDEN_RU);

    // The list is long, so it comes a page at a time within Discord's limit; keys complete as
    // typed.
    let owner = s.guild.user("owner");
    let listed = s.fake.invoke(owner, "text list", &[], "en-US").await;
    let mut page = listed.response().await;
    assert!(page.ephemeral);
    assert!(page.content.starts_with("Texts ("));
    let mut seen = page.content.clone();
    for _ in 0..20 {
        if seen.contains("`help.timestamp`") {
            break;
        }
        assert!(page.content.chars().count() <= 2000);
        page = s
            .fake
            .click(owner, &page.message, "⏵", "en-US")
            .await
            .response()
            .await;
        seen.push_str(&page.content);
    }
    assert!(seen.contains("`help.timestamp`"), "{seen}");
    let choices = s
        .fake
        .autocomplete(
            owner,
            "text describe",
            &[("key", json!("forbid"))],
            "key",
            "en-US",
        )
        .await;
    assert_eq!(choices[0].0, "error.forbidden");
    s.server.stop();
}

#[tokio::test]
async fn help_explains_durations_and_timestamps_in_the_members_language() {
    let s = setup(Guild::sample()).await;
    let reply = s
        .run("ivan", "help", &[("topic", json!("duration"))], "ru")
        .await;
    assert!(reply.ephemeral);
    assert!(
        reply.content.starts_with("**Длительности**"),
        "{}",
        reply.content
    );
    let reply = s
        .run("anna", "help", &[("topic", json!("timestamp"))], "en-US")
        .await;
    assert!(
        reply.content.starts_with("**Dates and times**"),
        "{}",
        reply.content
    );
    let reply = s
        .run("anna", "help", &[("topic", json!("commands"))], "en-US")
        .await;
    assert_eq!(reply.embeds[0]["title"], "Stagehand — commands");
    let reply = s.run("anna", "help", &[], "en-US").await;
    assert_eq!(reply.embeds[0]["title"], "Stagehand — commands");
    s.server.stop();
}
