//! The event log browser end to end (issue 22): the real `stagehand serve` on the fake Discord
//! and the fake GD server, over 200 events of both modules — league sign-ins, commands,
//! requests, cooldowns. The owner narrows their filter by type and by a typed custom field,
//! turns to page 2 and back, jumps to a moment given with a zone, and saves the filter; Kira,
//! a second log viewer, selects it and sees the same pages, after a restart too; the owner
//! deletes it behind a confirmation answered after a restart. Every refusal (no `log_viewer`,
//! an unknown filter, a bad timestamp or value, an `@name`) is answered and changes nothing.
//! Events reach the log channel as readable blocks, a multi-line text in a code block.

use serde_json::{Value, json};

use stagehand::audit::{self, EventKind, Filter, Start};
use stagehand::league::League;
use stagehand::league::player::{self, Player};

use crate::requests::{DONE, Desk};
use crate::support::FAKE_CLOCK_START;
use crate::support::discord::Reply;
use crate::support::gd::Level;

const FORBIDDEN: &str = "You do not have permission to do this.";
const NO_EFFECT: &str = "Nothing changed: it already was that way.";
const HOUR: i64 = 3_600;
const DAY: i64 = 86_400;
/// League sign-ins recorded before the server's first event, a day apart.
const LINKS: u64 = 30;
/// `/parameter set queue.unblock_at 1..=PARAMETER_SETS`, ten an hour.
const PARAMETER_SETS: u64 = 100;
/// Levels inserted as requests.
const FIRST_LEVEL: u64 = 70_000_000;
const INSERTS: u64 = 12;

/// `user` runs `/log <sub>`: the private reply.
async fn log(d: &Desk, user: &str, sub: &str, options: &[(&str, Value)]) -> Reply {
    let reply = d
        .fake
        .invoke(
            d.id(user),
            &format!("log {sub}"),
            options,
            Desk::locale(user),
        )
        .await
        .response()
        .await;
    assert!(reply.ephemeral, "/log {sub}");
    reply
}

/// What a page shows: each event's title and lines.
fn events(page: &Reply) -> Vec<(String, String)> {
    page.embeds
        .iter()
        .map(|e| {
            (
                e["title"].as_str().unwrap().to_string(),
                e["description"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

/// The `value` field of each event on a page (`queue.unblock_at`'s new value).
fn values(page: &Reply) -> Vec<u64> {
    events(page)
        .iter()
        .map(|(_, body)| {
            let line = body.lines().find(|l| l.starts_with("value: ")).unwrap();
            line.trim_start_matches("value: `")
                .trim_end_matches('`')
                .parse()
                .unwrap()
        })
        .collect()
}

/// The ⏴ and ⏵ buttons of a page: (custom id, disabled) each.
fn arrows(page: &Reply) -> Vec<(String, bool)> {
    page.components
        .iter()
        .flat_map(|row| row["components"].as_array().cloned().unwrap_or_default())
        .map(|b| {
            (
                b["custom_id"].as_str().unwrap_or_default().to_string(),
                b["disabled"] == true,
            )
        })
        .collect()
}

/// `user` clicks `label` on `page`: the page it leads to.
async fn turn(d: &Desk, user: &str, page: &Reply, label: &str) -> Reply {
    d.fake
        .click(d.id(user), &page.message, label, Desk::locale(user))
        .await
        .response()
        .await
}

fn player(i: u64) -> Player {
    Player {
        discord_id: 500_000 + i,
        discord_name: format!("linked{i}"),
        osu_id: 2_000 + i,
        osu_username: format!("osu{i}"),
        pp: 3_000,
        global_rank: Some(50_000),
        play_time_secs: 360_000,
        ii: 1.0,
        league: League::Gold,
        future_league: League::Gold,
        initial_pp: 3_000,
        linked_at: FAKE_CLOCK_START - DAY * (LINKS - i) as i64,
        top_play: None,
        points: 0,
        seasonal_points: 0,
    }
}

/// The desk, `log_viewer` bound to Reviewer (Kira and Max), and the events: league sign-ins
/// from before the server's first day, then a day of parameters (ten an hour), a day of
/// cooldowns and requests, a language, a text edited on three lines.
async fn two_hundred_events() -> Desk {
    let mut d = Desk::start(&[]).await;
    let role = json!(d.guild.role("Reviewer").to_string());
    let bind = [("permission", json!("log_viewer")), ("role", role)];
    assert_eq!(d.run("owner", "permission bind", &bind).await, DONE);
    d.stop();
    let store = d.store();
    for i in 0..LINKS {
        let linked = player(i);
        store
            .write(|w| player::link(w, &linked, linked.linked_at))
            .unwrap();
    }
    drop(store);
    d.boot(2).await;

    for n in 1..=PARAMETER_SETS {
        let set = [
            ("parameter", json!("queue.unblock_at")),
            ("new_value", json!(n.to_string())),
        ];
        assert_eq!(d.run("owner", "parameter set", &set).await, DONE);
        if n % 10 == 0 {
            d.advance(HOUR).await;
        }
    }
    d.advance(DAY).await;
    for (i, user) in ["anna", "ivan", "tim", "kira", "max"].iter().enumerate() {
        let cooldown = [
            ("user", json!(d.id(user).to_string())),
            ("duration", json!(format!("{}h", i + 1))),
            ("reason", json!("spam")),
        ];
        assert_eq!(d.run("owner", "usercd update", &cooldown).await, DONE);
    }
    for level in 0..40 {
        let cooldown = [
            ("level_id", json!((900 + level).to_string())),
            ("duration", json!("1d")),
        ];
        assert_eq!(d.run("owner", "levelcd update", &cooldown).await, DONE);
    }
    d.gd.add_levels((0..INSERTS).map(|i| Level {
        id: FIRST_LEVEL + i,
        name: format!("Logged {i}"),
        creator_player_id: 7,
        creator_name: "maker".into(),
        ..Level::default()
    }));
    for i in 0..INSERTS {
        let insert = [
            ("level_id", json!(FIRST_LEVEL + i)),
            ("language", json!("en")),
            ("creator_name", json!("maker")),
        ];
        assert_eq!(d.run("owner", "request insert", &insert).await, DONE);
    }
    // A member's own request: REQUEST_INITIALIZED with the form, then the request and the
    // automatic cooldown.
    let form = d.create("admin", crate::requests::LEVEL).await.unwrap();
    let fields = [("showcase", "https://youtu.be/dQw4w9WgXcQ")];
    assert!(
        d.submit("admin", &form, &fields)
            .await
            .contains("was submitted")
    );
    let language = [("language", json!("ru"))];
    d.fake
        .invoke(d.id("ivan"), "language", &language, "ru")
        .await
        .response()
        .await;
    let edit = [
        ("key", json!("queue.history.empty")),
        ("language", json!("en")),
        (
            "new_value",
            json!("Never opened,\\nnever closed.\\nStill here."),
        ),
    ];
    assert_eq!(d.run("owner", "text edit", &edit).await, DONE);
    d
}

#[tokio::test]
async fn viewers_filter_page_jump_save_select_and_delete() {
    let mut d = two_hundred_events().await;
    let (owner, kira) = (d.mention("owner"), d.mention("kira"));

    // Every event reaches the log channel as a block; a text of three lines in a code block.
    let posted = d.channel("stagehand-log");
    d.fake
        .wait_until("the text edit in the log", |f| {
            f.messages(posted).iter().any(|m| {
                m.content.starts_with("**TEXT_PIECE_EDITED** #")
                    && m.content.contains(&format!("\nuser: {owner}\n"))
                    && m.content
                        .contains("\npiece_id: `queue.history.empty`\nlang: `en`\n")
                    && m.content
                        .ends_with("new_text:\n```\nNever opened,\nnever closed.\nStill here.\n```")
            })
        })
        .await;

    // Without log_viewer: refused, and Anna's filter stays empty.
    let kind = [("event_type", json!("PARAMETER_EDITED"))];
    assert_eq!(
        log(&d, "anna", "restrict_type", &kind).await.content,
        FORBIDDEN
    );
    assert_eq!(log(&d, "anna", "view", &[]).await.content, FORBIDDEN);

    // The owner restricts by type and by a typed custom field.
    assert_eq!(log(&d, "owner", "restrict_type", &kind).await.content, DONE);
    assert_eq!(
        log(&d, "owner", "restrict_type", &kind).await.content,
        NO_EFFECT
    );
    let unknown = [("event_type", json!("PARAMETER_EATEN"))];
    assert_eq!(
        log(&d, "owner", "restrict_type", &unknown).await.content,
        "There is no event type `PARAMETER_EATEN`. Pick one from the list."
    );
    let field = |key: &str, value: &str| [("key", json!(key)), ("value", json!(value))];
    let blocked = field("parameter_id", "queue.unblock_at");
    assert_eq!(
        log(&d, "owner", "restrict_custom_field", &blocked)
            .await
            .content,
        DONE
    );
    assert_eq!(
        log(
            &d,
            "owner",
            "restrict_custom_field",
            &field("request_id", "seven")
        )
        .await
        .content,
        "`seven` is not a whole number, which `request_id` takes. Nothing was changed."
    );
    assert_eq!(
        log(
            &d,
            "owner",
            "restrict_custom_field",
            &field("colour", "red")
        )
        .await
        .content,
        "No event has a field `colour`. Pick one from the list."
    );
    assert_eq!(
        log(&d, "owner", "describe_filter", &[]).await.content,
        "Your filter:\nevent: `PARAMETER_EDITED`\nparameter_id: `queue.unblock_at`"
    );

    // Page 1: the four oldest, oldest first; ⏴ off, ⏵ on.
    let first = log(&d, "owner", "view", &[]).await;
    assert_eq!(values(&first), [1, 2, 3, 4]);
    assert!(
        first.content.contains("oldest event your filter shows"),
        "{}",
        first.content
    );
    assert!(
        events(&first)
            .iter()
            .all(|(title, body)| title.starts_with("PARAMETER_EDITED #")
                && body.starts_with(&format!("user: {owner}\ntimestamp: <t:")))
    );
    let buttons = arrows(&first);
    assert_eq!((buttons[0].1, buttons[1].1), (true, false));
    assert!(buttons[1].0.starts_with("v1:log:page:") && buttons[1].0.ends_with(":after"));
    // Page 2, and back.
    let second = turn(&d, "owner", &first, "⏵").await;
    assert_eq!(values(&second), [5, 6, 7, 8]);
    let back = turn(&d, "owner", &second, "⏴").await;
    assert_eq!(values(&back), [1, 2, 3, 4]);

    // A jump to 05:00 at +02:00, 03:00 UTC: the first set of the fourth hour.
    let jump = [("timestamp", json!("2026-11-01T05:00+02:00"))];
    let jumped = log(&d, "owner", "view", &jump).await;
    assert_eq!(values(&jumped), [31, 32, 33, 34]);
    assert_eq!(
        arrows(&jumped).iter().map(|b| b.1).collect::<Vec<_>>(),
        [false, false]
    );
    // Past the end: the newest page.
    let later = log(&d, "owner", "view", &[("timestamp", json!("+1w"))]).await;
    assert_eq!(values(&later), [97, 98, 99, 100]);
    assert!(later.content.contains("newest event"), "{}", later.content);
    for (typed, says) in [
        (
            "yesterday",
            "`yesterday` is not a date or time I understand. See `/help timestamp`.",
        ),
        (
            "2026-02-30",
            "`2026-02-30` has the right shape, but no such date or time exists.",
        ),
        (
            "`",
            "`'` is not a date or time I understand. See `/help timestamp`.",
        ),
    ] {
        let bad = log(&d, "owner", "view", &[("timestamp", json!(typed))]).await;
        assert_eq!(bad.content, says);
        assert!(bad.embeds.is_empty());
    }

    // Saving: `@names` are refused; a new name is saved for everyone.
    let name = |n: &str| [("name", json!(n))];
    assert_eq!(
        log(&d, "owner", "save_filter", &name("@kira"))
            .await
            .content,
        "A filter's name may not start with `@`. Nothing was saved."
    );
    assert_eq!(
        log(&d, "kira", "save_filter", &name("unblock"))
            .await
            .content,
        FORBIDDEN
    );
    assert_eq!(
        log(&d, "owner", "save_filter", &name("unblock"))
            .await
            .content,
        "Filter `unblock` saved: every log viewer can select it."
    );
    // Saving over it asks first; No keeps it.
    let ask = log(&d, "owner", "save_filter", &name("unblock")).await;
    assert_eq!(
        ask.content,
        "A filter named `unblock` is already saved. Replace it with yours?"
    );
    let no = turn(&d, "owner", &ask, "No").await;
    assert_eq!(no.content, "Cancelled: nothing changed.");
    assert!(no.components.is_empty());

    // Kira finds it, selects it and sees the same pages.
    let choices = d
        .fake
        .autocomplete(
            d.id("kira"),
            "log select_filter",
            &name("unb"),
            "name",
            "en-US",
        )
        .await;
    assert_eq!(choices, [("unblock".to_string(), json!("unblock"))]);
    assert_eq!(
        log(&d, "kira", "select_filter", &name("nope"))
            .await
            .content,
        "There is no saved filter `nope`. `/log list_filters` shows them."
    );
    assert_eq!(
        log(&d, "kira", "describe_filter", &[]).await.content,
        "This filter is empty: it shows every event."
    );
    assert_eq!(
        log(&d, "kira", "describe_filter", &name("unblock"))
            .await
            .content,
        "Filter `unblock`:\nevent: `PARAMETER_EDITED`\nparameter_id: `queue.unblock_at`"
    );
    assert_eq!(
        log(&d, "kira", "select_filter", &name("unblock"))
            .await
            .content,
        DONE
    );
    assert_eq!(
        log(&d, "kira", "select_filter", &name("unblock"))
            .await
            .content,
        NO_EFFECT
    );
    let hers = log(&d, "kira", "view", &[]).await;
    assert_eq!(events(&hers), events(&first));
    let hers_next = turn(&d, "kira", &hers, "⏵").await;
    assert_eq!(events(&hers_next), events(&second));
    let listed = log(&d, "kira", "list_filters", &[]).await.content;
    assert!(
        listed.contains("- `unblock`: event=PARAMETER_EDITED"),
        "{listed}"
    );

    // Autocompletion: types, and the type's own fields first.
    let typed = [("event_type", json!("user_pre"))];
    let types = d
        .fake
        .autocomplete(
            d.id("kira"),
            "log restrict_type",
            &typed,
            "event_type",
            "en-US",
        )
        .await;
    assert_eq!(types[0].0, "USER_PREFERENCE_UPDATED");
    let keys = d
        .fake
        .autocomplete(
            d.id("kira"),
            "log restrict_custom_field",
            &field("", ""),
            "key",
            "en-US",
        )
        .await;
    let keys: Vec<&str> = keys.iter().map(|(k, _)| k.as_str()).collect();
    assert_eq!(keys[..2], ["parameter_id", "value"]);

    // Deleting asks; the question and the pages survive a restart.
    let ask = log(&d, "owner", "delete_filter", &name("unblock")).await;
    assert_eq!(ask.content, "Delete the saved filter `unblock`?");
    d.stop();
    d.boot(3).await;
    let after_restart = turn(&d, "kira", &hers_next, "⏵").await;
    assert_eq!(values(&after_restart), [9, 10, 11, 12]);
    // Only an admin may answer (Kira cannot see the owner's question; a forged click).
    let yes_id = arrows(&ask)[0].0.clone();
    assert!(yes_id.starts_with("v1:log:confirm:") && yes_id.ends_with(":yes"));
    let forged = d
        .fake
        .click_forged(d.id("kira"), &ask.message, &yes_id, "en-US")
        .await
        .response()
        .await;
    assert_eq!(forged.content, FORBIDDEN);
    let yes = turn(&d, "owner", &ask, "Yes").await;
    assert_eq!(yes.content, "Filter `unblock` deleted.");
    assert_eq!(
        log(&d, "owner", "list_filters", &[]).await.content,
        "No filter is saved yet."
    );
    assert_eq!(
        log(&d, "owner", "delete_filter", &name("unblock"))
            .await
            .content,
        "There is no saved filter `unblock`. `/log list_filters` shows them."
    );
    // Kira's copy is hers; she narrows it to what Stagehand did by itself, then undoes it part
    // by part.
    assert_eq!(values(&log(&d, "kira", "view", &[]).await), [1, 2, 3, 4]);
    let stagehand = [(
        "user",
        json!(crate::support::discord::FakeDiscord::APPLICATION_ID.to_string()),
    )];
    assert_eq!(
        log(&d, "kira", "restrict_user", &stagehand).await.content,
        DONE
    );
    assert_eq!(
        log(&d, "kira", "describe_filter", &[]).await.content,
        "Your filter:\nuser: bot\nevent: `PARAMETER_EDITED`\nparameter_id: `queue.unblock_at`"
    );
    let none = log(&d, "kira", "view", &[]).await;
    assert_eq!(none.content, "No event matches your filter.");
    assert!(none.components.is_empty());
    assert_eq!(log(&d, "kira", "unrestrict_user", &[]).await.content, DONE);
    assert_eq!(
        log(&d, "kira", "unrestrict_user", &[]).await.content,
        NO_EFFECT
    );
    let key = [("key", json!("parameter_id"))];
    let offered = d
        .fake
        .autocomplete(
            d.id("kira"),
            "log unrestrict_custom_field",
            &key,
            "key",
            "en-US",
        )
        .await;
    assert_eq!(
        offered,
        [("parameter_id".to_string(), json!("parameter_id"))]
    );
    assert_eq!(
        log(&d, "kira", "unrestrict_custom_field", &key)
            .await
            .content,
        DONE
    );
    assert_eq!(
        log(&d, "kira", "unrestrict_custom_field", &key)
            .await
            .content,
        NO_EFFECT
    );
    assert_eq!(
        log(&d, "kira", "clear_custom_field_restrictions", &[])
            .await
            .content,
        NO_EFFECT
    );
    // Every PARAMETER_EDITED now: the same first page.
    assert_eq!(values(&log(&d, "kira", "view", &[]).await), [1, 2, 3, 4]);
    assert_eq!(log(&d, "kira", "unrestrict_type", &[]).await.content, DONE);
    assert_eq!(log(&d, "kira", "restrict_type", &kind).await.content, DONE);
    assert_eq!(log(&d, "kira", "clear_filter", &[]).await.content, DONE);
    assert_eq!(
        log(&d, "kira", "clear_filter", &[]).await.content,
        NO_EFFECT
    );
    d.stop();

    // The store: 200 events and more, of both modules; the filters as the story left them.
    let store = d.store();
    let all = store
        .read(|r| {
            audit::query(
                r,
                audit::Index::All,
                audit::Position::at_time(i64::MIN),
                i64::MAX,
                usize::MAX,
            )
        })
        .unwrap();
    assert!(all.len() >= 200, "{} events", all.len());
    for kind in [
        EventKind::PlayerLinked,
        EventKind::ParameterEdited,
        EventKind::UserCooldownUpdated,
        EventKind::LevelCooldownUpdated,
        EventKind::RequestInitialized,
        EventKind::RequestRequested,
        EventKind::UserPreferenceUpdated,
        EventKind::TextPieceEdited,
        EventKind::LogFilterSaved,
        EventKind::LogFilterDeleted,
    ] {
        assert!(all.iter().any(|(_, e)| e.kind == kind), "{kind:?}");
    }
    let filters = |kind| all.iter().filter(|(_, e)| e.kind == kind).count();
    assert_eq!(
        filters(EventKind::LogFilterSaved),
        1,
        "the refusals saved nothing"
    );
    assert_eq!(filters(EventKind::LogFilterDeleted), 1);
    for user in ["anna", "kira"] {
        let kept = store
            .read(|r| audit::filters::active(r, d.id(user)))
            .unwrap();
        assert_eq!(kept, Filter::default(), "{user}");
    }
    // Every event of the store conforms to its kind's declaration, typed.
    for (_, event) in &all {
        assert_eq!(event.conforms(), Ok(()), "{}", event.summary());
    }
    let page = store
        .read(|r| audit::page(r, &Filter::default(), Start::Oldest, 4))
        .unwrap();
    assert!(
        page.events
            .iter()
            .all(|(_, e)| e.kind == EventKind::PlayerLinked)
    );
    drop(kira);
}
