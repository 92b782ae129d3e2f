//! Cooldowns and bans end to end: `/usercd` and `/levelcd` on the real `stagehand serve` and the
//! fake Discord, used the way moderators use them. The server runs on a manual clock, so the
//! test that watches a cooldown run out moves it forward.

use std::time::Duration;

use serde_json::{Value, json};

use crate::support::Connected;
use crate::support::discord::Guild;

const DONE: &str = "Done.";
const FORBIDDEN: &str = "You do not have permission to do this.";

type Setup = Connected;

/// A fresh install, connected, with `flags` bound to roles by the owner.
async fn setup(bindings: &[(&str, &str)]) -> Setup {
    let s = Connected::start(Guild::sample()).await;
    for (flag, role) in bindings {
        let role = json!(s.guild.role(role).to_string());
        let options = [("permission", json!(flag)), ("role", role)];
        assert_eq!(s.says("owner", "permission bind", &options).await, DONE);
    }
    s
}

impl Setup {
    /// `user` (by name) runs `command` in English; the reply, which must be private.
    async fn says(&self, user: &str, command: &str, options: &[(&str, Value)]) -> String {
        let id = self.guild.user(user);
        let reply = self
            .fake
            .invoke(id, command, options, "en-US")
            .await
            .response()
            .await;
        assert!(reply.ephemeral, "/{command}");
        reply.content
    }

    fn user(&self, name: &str) -> Value {
        json!(self.guild.user(name).to_string())
    }

    fn mention(&self, name: &str) -> String {
        format!("<@{}>", self.guild.user(name))
    }
}

#[tokio::test]
async fn a_moderator_sets_cooldowns_that_show_until_they_run_out() {
    let s = setup(&[
        ("ban_users", "GD Moderator"),
        ("ban_levels", "GD Moderator"),
    ])
    .await;
    let (anna, ivan) = (s.mention("anna"), s.mention("ivan"));
    let log = s.guild.channel("log");
    let route = [("route", json!("log")), ("channel", json!(log.to_string()))];
    assert_eq!(s.says("owner", "route update_channel", &route).await, DONE);
    let update = |user: &str, duration: &str| {
        vec![
            ("user", s.user(user)),
            ("duration", json!(duration)),
            ("reason", json!("spam")),
        ]
    };

    assert_eq!(
        s.says("max", "usercd update", &update("anna", "1w")).await,
        DONE
    );
    assert_eq!(
        s.says("max", "usercd update", &update("ivan", "5s")).await,
        DONE
    );
    let same = s.says("max", "usercd update", &update("anna", "1w")).await;
    assert_eq!(same, "Nothing changed: it already was that way.");

    let described = s
        .says("max", "usercd describe", &[("user", s.user("anna"))])
        .await;
    assert!(
        described.starts_with(&format!("{anna} is on cooldown.")),
        "{described}"
    );
    assert!(
        described.contains(&format!("by {}", s.mention("max"))),
        "{described}"
    );
    assert!(described.contains("Reason: spam"), "{described}");

    let temporary = [("listing", json!("temporary"))];
    let listed = s.says("max", "usercd list", &temporary).await;
    assert!(listed.starts_with("On cooldown (2)"), "{listed}");
    assert!(listed.contains(&anna) && listed.contains(&ivan), "{listed}");
    let endless = s
        .says("max", "usercd list", &[("listing", json!("endless"))])
        .await;
    assert_eq!(endless, "Nobody here.");

    // A plain member may not look, let alone change.
    assert_eq!(s.says("anna", "usercd list", &temporary).await, FORBIDDEN);
    assert_eq!(
        s.says("anna", "usercd update", &update("ivan", "1d")).await,
        FORBIDDEN
    );

    // Ivan's five seconds run out: no timer, the listing compares with now.
    s.server.advance_clock(6).await;
    let listed = s.says("max", "usercd list", &temporary).await;
    assert!(listed.starts_with("On cooldown (1)"), "{listed}");
    assert!(
        listed.contains(&anna) && !listed.contains(&ivan),
        "{listed}"
    );
    let described = s
        .says("max", "usercd describe", &[("user", s.user("ivan"))])
        .await;
    assert_eq!(described, format!("{ivan} is not on cooldown."));

    // Levels: a ban, listed as endless. History needs `log_viewer` (the owner is admin).
    let ban = [("level_id", json!("128")), ("duration", json!("inf"))];
    assert_eq!(s.says("max", "levelcd update", &ban).await, DONE);
    let bans = s
        .says("max", "levelcd list", &[("listing", json!("endless"))])
        .await;
    assert!(
        bans.starts_with("Banned (1)") && bans.contains("`128`"),
        "{bans}"
    );
    let level = [("level_id", json!("128"))];
    assert_eq!(s.says("max", "levelcd history", &level).await, FORBIDDEN);
    let history = s.says("owner", "levelcd history", &level).await;
    assert!(
        history.starts_with("Cooldowns of `128`: 1 change"),
        "{history}"
    );
    assert!(
        history.contains("not on cooldown → never (banned)"),
        "{history}"
    );

    // Every change went to the log route.
    let max = s.mention("max");
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    loop {
        let posts: Vec<String> = s
            .fake
            .messages(log)
            .into_iter()
            .map(|m| m.content)
            .collect();
        let cooldowns = posts
            .iter()
            .filter(|p| p.contains("_COOLDOWN_UPDATED"))
            .count();
        if cooldowns == 3 {
            assert!(
                posts
                    .iter()
                    .any(|p| p.starts_with("**LEVEL_COOLDOWN_UPDATED**")
                        && p.contains(&format!("\nuser: {max}\n"))
                        && p.contains("\ntarget_level_id: 128\n")),
                "{posts:?}"
            );
            break;
        }
        assert!(std::time::Instant::now() < deadline, "{posts:?}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test]
async fn only_the_caster_or_an_overrider_changes_a_cooldown_and_bad_input_changes_nothing() {
    let s = setup(&[("ban_levels", "Reviewer")]).await;
    let level = |extra: &[(&'static str, &str)]| {
        let mut options = vec![("level_id", json!("128"))];
        options.extend(extra.iter().map(|(k, v)| (*k, json!(v))));
        options
    };
    let kira = s.mention("kira");
    assert_eq!(
        s.says("kira", "levelcd update", &level(&[("duration", "1w")]))
            .await,
        DONE
    );

    // Garbage is explained and changes nothing.
    for (duration, reply) in [
        (
            "1.5d",
            "`1.5d`: fractions are not supported; write `1d12h` rather than `1.5d`.",
        ),
        (
            "5m",
            "`5m`: `m` could mean minutes or months; write `min` or `mo`.",
        ),
        (
            "soon",
            "`soon`: `soon` is not a unit. Units: `s`, `min`, `h`, `d`, `w`, `mo`, `q`, `y`.",
        ),
        (
            "d",
            "`d`: every unit needs a number before it, like `3d`. See `/help duration`.",
        ),
        (
            "-inf",
            "`-inf`: a `+` or `-` change needs a non-zero, finite length, like `+2d`.",
        ),
    ] {
        let options = level(&[("duration", duration)]);
        assert_eq!(s.says("kira", "levelcd update", &options).await, reply);
    }
    let too_short = s
        .says("kira", "levelcd update", &level(&[("duration", "-2w")]))
        .await;
    assert!(
        too_short.contains("is not in the future. Nothing was changed"),
        "{too_short}"
    );
    for id in ["abc", "-5", "12 34", "0"] {
        let options = [("level_id", json!(id)), ("duration", json!("1d"))];
        assert_eq!(
            s.says("kira", "levelcd update", &options).await,
            format!("`{id}` is not a level id. A level id is a whole number, like `128`.")
        );
    }
    let described = s.says("kira", "levelcd describe", &level(&[])).await;
    assert!(
        described.starts_with("`128` is on cooldown."),
        "{described}"
    );
    assert!(described.contains(&format!("by {kira}")), "{described}");
    assert!(described.contains("Reason: not set"), "{described}");

    // Max may ban levels but not touch Kira's cooldown...
    let not_yours = format!(
        "This cooldown was set by {kira}. Only they, or someone allowed to change others' \
         cooldowns, may change it. Nothing was changed."
    );
    assert_eq!(s.says("max", "levelcd amend", &level(&[])).await, not_yours);
    for duration in ["2w", "+1d", "0"] {
        let options = level(&[("duration", duration)]);
        assert_eq!(s.says("max", "levelcd update", &options).await, not_yours);
    }
    let described = s.says("max", "levelcd describe", &level(&[])).await;
    assert!(described.contains(&format!("by {kira}")), "{described}");

    // ...until he may override others'.
    let bind = [
        ("permission", json!("remove_other_level_bans")),
        ("role", json!(s.guild.role("GD Moderator").to_string())),
    ];
    assert_eq!(s.says("owner", "permission bind", &bind).await, DONE);
    let amend = level(&[("reason", "appeal accepted")]);
    assert_eq!(s.says("max", "levelcd amend", &amend).await, DONE);
    assert_eq!(
        s.says("kira", "levelcd describe", &level(&[])).await,
        "`128` is not on cooldown."
    );
    assert_eq!(
        s.says("max", "levelcd amend", &level(&[])).await,
        "Nothing changed: it already was that way."
    );
}

#[tokio::test]
async fn long_lists_turn_their_pages_with_buttons_and_refuse_forged_ones() {
    let s = setup(&[("ban_levels", "GD Moderator")]).await;
    for level in 1001..=1013 {
        let ban = [
            ("level_id", json!(level.to_string())),
            ("duration", json!("inf")),
        ];
        assert_eq!(s.says("max", "levelcd update", &ban).await, DONE);
    }
    let max = s.guild.user("max");
    let endless = [("listing", json!("endless"))];
    let first = s
        .fake
        .invoke(max, "levelcd list", &endless, "en-US")
        .await
        .response()
        .await;
    assert!(first.ephemeral);
    let lines: Vec<&str> = first.content.lines().collect();
    // Ten to a page, oldest ban first, then where the reader is.
    assert_eq!(lines.len(), 1 + 10 + 1, "{}", first.content);
    assert_eq!(lines[0], "Banned (13), oldest first:");
    assert_eq!(lines[1], "- `1001`");
    assert_eq!(lines[10], "- `1010`");
    assert_eq!(lines[11], "-# Page 1 of 2");
    let buttons = &first.components[0]["components"];
    assert_eq!(buttons[0]["disabled"], true, "no page before the first");
    assert_eq!(buttons[1]["disabled"], false);

    let turn = |label: &'static str| {
        let (fake, message) = (&s.fake, first.message.clone());
        async move {
            fake.click(max, &message, label, "en-US")
                .await
                .response()
                .await
        }
    };
    let second = turn("⏵").await;
    assert_eq!(
        second.message.id, first.message.id,
        "the page is turned in place"
    );
    assert_eq!(
        second.content,
        "Banned (13), oldest first:\n- `1011`\n- `1012`\n- `1013`\n-# Page 2 of 2"
    );
    let buttons = &second.components[0]["components"];
    assert_eq!(buttons[1]["disabled"], true, "no page after the last");
    let back = turn("⏴").await;
    assert_eq!(back.content, first.content);

    // In Russian for a member who reads Russian, from the same buttons.
    let russian = [("language", json!("ru"))];
    s.fake
        .invoke(max, "language", &russian, "en-US")
        .await
        .response()
        .await;
    let again = turn("⏵").await;
    assert!(
        again.content.ends_with("-# Страница 2 из 2"),
        "{}",
        again.content
    );

    // A page past the end (the list shrank since, or a forged number) shows the last page; a
    // forged list or page is outdated and the page stays as it was.
    let past = s
        .fake
        .click_forged(
            max,
            &first.message,
            "v1:page:level_endless:0:999999",
            "en-US",
        )
        .await
        .response()
        .await;
    assert!(
        past.content.ends_with("-# Страница 2 из 2"),
        "{}",
        past.content
    );
    for forged in [
        "v1:page:level_endless:0:-1",
        "v1:page:level_endless:7:1",
        "v1:page:level_forever:0:1",
    ] {
        let reply = s
            .fake
            .click_forged(max, &first.message, forged, "en-US")
            .await
            .response()
            .await;
        assert!(reply.ephemeral, "{forged}");
        assert!(
            reply.content.contains("устарел"),
            "{forged}: {}",
            reply.content
        );
    }
    assert!(
        s.fake
            .message(first.message.id)
            .unwrap()
            .content
            .ends_with("-# Страница 2 из 2"),
        "nothing changed"
    );

    // Turning a page needs the list's permission, as the command does.
    let none = [
        ("permission", json!("ban_levels")),
        ("role", json!(s.guild.role("GD Moderator").to_string())),
    ];
    assert_eq!(s.says("owner", "permission unbind", &none).await, DONE);
    let refused = turn("⏴").await;
    assert!(refused.ephemeral);
    assert_eq!(refused.content, "У вас нет прав на это действие.");
}
