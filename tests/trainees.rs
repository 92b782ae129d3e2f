//! The trainee programme and `/reviews` end to end (issue 21): the real `stagehand serve` on the
//! fake Discord and the fake GD server. A trainee picks a request and practises on it, a
//! supervisor assesses the review (a feedback thread on it, the trainee mentioned), and once
//! enough reviews are assessed one click promotes or expels the trainee, whose roles change;
//! every refusal is answered and changes nothing; the Trainee Review Widget works across a
//! restart; `/reviews user` and `/reviews level` turn pages in both languages and mark what was
//! deleted.

use serde_json::json;

use crate::requests::{DONE, Desk, buttons, desk_guild, field};
use crate::support::discord::{Member, Message, Pinged, Reply};
use crate::support::gd::{Level, fixtures};

const REVIEW: &str =
    "Solid gameplay, but the second half has a few unfair spikes and a blind jump.";
const FEEDBACK: &str =
    "Good eye for the gameplay; say more about the decoration and the sync next time.";
const FORBIDDEN: &str = "You do not have permission to do this.";
/// Levels to request: unrated, no showcase needed.
const LEVELS: [u64; 4] = [
    fixtures::UNRATED_FACE,
    fixtures::REQUESTED_ONE,
    fixtures::GREEN_CREATOR,
    fixtures::DISLIKED,
];

/// The desk with a second trainee, Tess, and `trainee` bound to Trainee, `trainee_supervisor`
/// to GD Moderator (Max), with `params` set.
async fn programme(params: &[(&str, &str)]) -> Desk {
    let mut guild = desk_guild();
    let trainee_role = guild.role("Trainee");
    let tess = guild.user("quinn") + (1 << 22);
    guild.members.push(Member {
        id: tess,
        name: "tess".into(),
        roles: vec![trainee_role],
        nick: None,
        dms_open: true,
    });
    let mut all = vec![("queue.block_enabled", "false")];
    all.extend_from_slice(params);
    let d = Desk::start_in(guild, &all, &[]).await;
    for (flag, role) in [
        ("trainee", "Trainee"),
        ("trainee_supervisor", "GD Moderator"),
    ] {
        let role = json!(d.guild.role(role).to_string());
        let options = [("permission", json!(flag)), ("role", role)];
        assert_eq!(d.run("owner", "permission bind", &options).await, DONE);
    }
    d
}

/// The owner inserts a request for `level` (numbered in order from 1).
async fn insert(d: &Desk, level: u64) {
    let options = [
        ("level_id", json!(level)),
        ("language", json!("en")),
        ("creator_name", json!("Creator")),
    ];
    assert_eq!(d.run("owner", "request insert", &options).await, DONE);
}

/// The Reviewer's Widget of request `id`, once posted and its place recorded (the request's
/// event reaches the log only after its widget: the log waits behind every other effect).
async fn widget(d: &Desk, id: u64) -> Message {
    let owner = d.mention("owner");
    logged(
        d,
        "REQUEST_REQUESTED",
        &owner,
        &[&format!("request_id: {id}\nlevel_id: ")],
    )
    .await;
    d.titled("pending-requests", id).await
}

/// `user` runs `/trainee pick`: the private card, or the refusal as `Err`.
async fn pick(d: &Desk, user: &str) -> Result<Reply, String> {
    let reply = d
        .fake
        .invoke(d.id(user), "trainee pick", &[], Desk::locale(user))
        .await
        .response()
        .await;
    assert!(reply.ephemeral);
    if reply.embeds.is_empty() {
        Err(reply.content)
    } else {
        Ok(reply)
    }
}

/// The request a picked card shows.
fn request_of(card: &Reply) -> u64 {
    let title = card.embeds[0]["title"].as_str().unwrap();
    title.trim_start_matches("Request ").parse().unwrap()
}

/// `user` picks a request and writes a review of it with `button`; the request's id.
async fn practise_picked(d: &Desk, user: &str, button: &str, reason: Option<&str>) -> u64 {
    let card = pick(d, user).await.unwrap();
    let id = request_of(&card);
    let form = d.click(user, &card.message, button).await.unwrap();
    let mut fields = vec![("review", REVIEW)];
    fields.extend(reason.map(|r| ("reason", r)));
    let done = d.submit(user, &form, &fields).await;
    assert!(
        done.starts_with("Your practice review of `"),
        "{user}: {done}"
    );
    id
}

/// The `n`th practice review posted (from 1), once there.
async fn practice_review(d: &Desk, n: usize) -> Message {
    let posted = d.fake.wait_messages(d.channel("trainee-reviews"), n).await;
    posted[n - 1].clone()
}

/// `supervisor` assesses `review` with `button` (Approve or Reject) and `feedback`; the reply.
async fn assess(
    d: &Desk,
    supervisor: &str,
    review: &Message,
    button: &str,
    feedback: &str,
) -> Reply {
    let form = d.click(supervisor, review, button).await.unwrap();
    let fields: &[(&str, &str)] = if feedback.is_empty() {
        &[]
    } else {
        &[("feedback", feedback)]
    };
    let reply = d
        .fake
        .submit_modal(d.id(supervisor), &form, fields, "en-US")
        .await
        .response()
        .await;
    assert!(reply.ephemeral);
    reply
}

/// Waits until `user` has `role` (or lacks it).
async fn wait_role(d: &Desk, user: &str, role: &str, has: bool) {
    let (id, role) = (d.id(user), d.guild.role(role));
    let what = format!("{user} has {role}: {has}");
    d.fake
        .wait_until(&what, |f| f.member(id).roles.contains(&role) == has)
        .await;
}

/// Waits until the log channel has a post of an event of `kind` by `by` (any actor when empty)
/// with each of `lines` (`key: value` as the post shows it).
async fn logged(d: &Desk, kind: &str, by: &str, lines: &[&str]) {
    let log = d.channel("stagehand-log");
    let head = format!("**{kind}** #");
    let user = format!("\nuser: {by}\n");
    d.fake
        .wait_until(&format!("{kind} by {by} in the log"), |f| {
            f.messages(log).iter().any(|m| {
                m.content.starts_with(&head)
                    && (by.is_empty() || m.content.contains(&user))
                    && lines
                        .iter()
                        .all(|line| m.content.contains(&format!("\n{line}")))
            })
        })
        .await;
}

/// The must-show story: Tim picks a request and rejects it with a reason; Max rejects that
/// review with feedback (a thread named "Feedback" on it mentions Tim); Tim practises twice
/// more, from the Reviewer's Widget and from a pick; at the third assessment the Promotion
/// Decision buttons appear, Promote swaps Tim's roles, and Tim's opinions now count. The same
/// with Expel for Tess.
#[tokio::test]
async fn a_trainee_practises_is_assessed_and_promoted_or_expelled() {
    // `trainee.resolved_reviews_for_promotion_decision` is 3 (its default).
    let d = programme(&[]).await;
    let (tim, max) = (d.mention("tim"), d.mention("max"));
    for level in &LEVELS[..3] {
        insert(&d, *level).await;
    }
    widget(&d, 3).await;

    // Tim picks: the card is private, blue, without the consensus.
    let card = pick(&d, "tim").await.unwrap();
    assert_eq!(card.embeds[0]["color"], 0x0000AA);
    let names: Vec<&str> = card.embeds[0]["fields"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|f| f["name"].as_str())
        .collect();
    assert!(!names.contains(&"Consensus"), "{names:?}");
    let first = request_of(&card);
    let form = d
        .click("tim", &card.message, "Write negative review")
        .await
        .unwrap();
    assert_eq!(form, format!("v1:req:practice_form:{first}:reject"));
    let fields = [("review", REVIEW), ("reason", "Too many spikes")];
    let done = d.submit("tim", &form, &fields).await;
    assert!(
        done.ends_with("was posted; a supervisor will assess it."),
        "{done}"
    );

    // The practice review: plain text with the supervisors' buttons, pinging nobody; it is no
    // opinion (no Resolution Widget, no review for the author).
    let review = practice_review(&d, 1).await;
    assert!(
        review
            .content
            .starts_with(&format!("Review by {tim}\nLevel: `")),
        "{}",
        review.content
    );
    assert!(review.content.contains(REVIEW));
    assert!(
        review
            .content
            .contains("[Request info](https://discord.com/channels/")
    );
    assert!(review.content.contains("Conclusion: **not worth rating**."));
    assert!(
        review
            .content
            .ends_with("**Rejection reason:** `Too many spikes`"),
        "{}",
        review.content
    );
    assert_eq!(review.pinged, Pinged::default());
    assert_eq!(buttons(&review), 2);
    assert!(d.fake.messages(d.channel("request-resolutions")).is_empty());
    assert!(d.fake.messages(d.channel("level-reviews")).is_empty());
    assert_eq!(d.pending().await, 3, "a practice review never resolves");

    // Max rejects it with feedback: the buttons go, a thread mentions Tim.
    let reply = assess(&d, "max", &review, "Reject", FEEDBACK).await;
    assert_eq!(
        reply.content,
        format!(
            "Rejected. {tim} has 1 assessed review (0% accepted) and 0 waiting for assessment. 2 more assessments until the promotion decision."
        )
    );
    assert!(reply.components.is_empty());
    d.wait_edit("trainee-reviews", review.id, "the buttons removed", |m| {
        buttons(m) == 0 && m.content == review.content
    })
    .await;
    let channel = d.channel("trainee-reviews");
    d.fake
        .wait_until("the feedback thread", |f| f.threads(channel).len() == 1)
        .await;
    let thread = d.fake.threads(channel).remove(0);
    assert_eq!(thread.name, "Feedback");
    assert_eq!(thread.id, review.id, "started on the review");
    assert_eq!(d.fake.auto_archive(thread.id), Some(60));
    let posts = d.fake.wait_messages(thread.id, 1).await;
    assert_eq!(posts[0].content, format!("{tim}\n{FEEDBACK}"));
    assert_eq!(posts[0].pinged.users, [d.id("tim")]);
    logged(&d, "TRAINEE_REVIEW_RESOLVED", &max, &[]).await;

    // Tim practises on the Reviewer's Widget of another request, then on the last one picked.
    let second = (1..=3).find(|id| *id != first).unwrap();
    let form = d
        .click("tim", &widget(&d, second).await, "Approve and Review")
        .await
        .unwrap();
    assert_eq!(form, format!("v1:req:practice_form:{second}:approve"));
    assert!(
        d.submit("tim", &form, &[("review", REVIEW)])
            .await
            .starts_with("Your practice review of")
    );
    let third = practise_picked(&d, "tim", "Write positive review", None).await;
    assert!(![first, second].contains(&third));
    assert_eq!(
        pick(&d, "tim").await.unwrap_err(),
        "There is no request left for you to practise on right now."
    );

    // Two more assessments, without feedback (no thread): the third offers the decision.
    let reply = assess(&d, "max", &practice_review(&d, 2).await, "Approve", "").await;
    assert_eq!(
        reply.content,
        format!(
            "Accepted. {tim} has 2 assessed reviews (50% accepted) and 1 waiting for assessment. 1 more assessment until the promotion decision."
        )
    );
    let reply = assess(&d, "max", &practice_review(&d, 3).await, "Approve", "").await;
    assert_eq!(
        reply.content,
        format!("Accepted. {tim} has 3 assessed reviews, 67% of them accepted: time to decide.")
    );
    assert_eq!(buttons(&reply.message), 3);
    assert_eq!(d.fake.threads(channel).len(), 1);

    // Promote: Trainee taken, Reviewer given; the buttons give way to what was done.
    let promoted = d
        .fake
        .click(d.id("max"), &reply.message, "Promote", "en-US")
        .await
        .response()
        .await;
    assert_eq!(promoted.content, format!("{tim} is a reviewer now."));
    assert!(promoted.components.is_empty());
    wait_role(&d, "tim", "Trainee", false).await;
    wait_role(&d, "tim", "Reviewer", true).await;
    logged(
        &d,
        "TRAINEE_PROMOTED",
        &max,
        &[&format!("trainee_user_id: {tim}")],
    )
    .await;

    // Tim is a reviewer now: his opinion counts.
    insert(&d, LEVELS[3]).await;
    let fourth = widget(&d, 4).await;
    assert_eq!(
        d.click("tim", &fourth, "Approve (no review)").await,
        Err(DONE.into())
    );
    let resolution = d.only("request-resolutions").await;
    assert_eq!(
        field(&resolution, "Consensus"),
        format!("✅: {tim}\n❌: No votes yet")
    );
    assert_eq!(
        pick(&d, "tim").await.unwrap_err(),
        FORBIDDEN,
        "no trainee any more"
    );

    // The same with Expel, for Tess.
    let tess = d.mention("tess");
    for n in 0..3 {
        practise_picked(&d, "tess", "Write positive review", None).await;
        let review = practice_review(&d, 4 + n).await;
        assert!(review.content.starts_with(&format!("Review by {tess}")));
        let reply = assess(&d, "max", &review, "Reject", "").await;
        assert_eq!(buttons(&reply.message), if n == 2 { 3 } else { 0 });
        if n == 2 {
            let expelled = d
                .fake
                .click(d.id("max"), &reply.message, "Expel", "en-US")
                .await
                .response()
                .await;
            assert_eq!(
                expelled.content,
                format!("{tess} has left the trainee programme.")
            );
        }
    }
    wait_role(&d, "tess", "Trainee", false).await;
    assert!(
        !d.fake
            .member(d.id("tess"))
            .roles
            .contains(&d.guild.role("Reviewer"))
    );
    logged(
        &d,
        "TRAINEE_EXPELLED",
        &max,
        &[&format!("trainee_user_id: {tess}")],
    )
    .await;
    assert_eq!(pick(&d, "tess").await.unwrap_err(), FORBIDDEN);
}

/// Every refusal is answered and changes nothing: the no-review buttons for a trainee, a second
/// review of the same request (even from a form opened before the first was sent), assessing
/// without the flag, a second assessment (from a form opened before the first was sent),
/// promoting someone who is not a trainee, or with no role bound to `reviewer`, or someone who
/// left; a role change Discord refuses is told to the supervisor.
#[tokio::test]
async fn refusals_change_nothing() {
    let d = programme(&[("trainee.resolved_reviews_for_promotion_decision", "1")]).await;
    let (tim, max) = (d.mention("tim"), d.mention("max"));
    insert(&d, LEVELS[0]).await;
    insert(&d, LEVELS[1]).await;
    let first = widget(&d, 1).await;
    let required =
        "As a trainee you review in writing: use “Approve and Review” or “Reject and Review”.";

    // The opinion buttons meant for reviewers.
    for button in ["Approve (no review)", "Reject (no review)"] {
        assert_eq!(d.click("tim", &first, button).await, Err(required.into()));
    }
    assert!(
        d.run("kira", "request ignored", &[])
            .await
            .starts_with("**Request 1**"),
        "no opinion was stored"
    );

    // One review per request: a second click, and a form opened before the first was sent.
    let form = d.click("tim", &first, "Reject and Review").await.unwrap();
    let stale = d.click("tim", &first, "Approve and Review").await.unwrap();
    assert!(
        d.submit("tim", &form, &[("review", REVIEW)])
            .await
            .starts_with("Your practice review")
    );
    let again = d
        .click("tim", &first, "Reject and Review")
        .await
        .unwrap_err();
    assert!(
        again.starts_with("You already reviewed this request <t:"),
        "{again}"
    );
    let late = d.submit("tim", &stale, &[("review", REVIEW)]).await;
    assert!(
        late.starts_with("You already reviewed this request"),
        "{late}"
    );
    let forged = d
        .fake
        .click_forged(d.id("tim"), &first, "v1:req:practice:1:approve", "en-US")
        .await
        .response()
        .await;
    assert!(
        forged.content.starts_with("You already reviewed"),
        "{}",
        forged.content
    );
    let review = practice_review(&d, 1).await;

    // Only supervisors assess; a second assessment is refused by the store, not only by the
    // buttons' absence.
    assert_eq!(
        d.click("kira", &review, "Approve").await,
        Err(FORBIDDEN.into())
    );
    let owners = d.click("owner", &review, "Approve").await.unwrap();
    let reply = assess(&d, "max", &review, "Reject", "").await;
    assert!(reply.content.starts_with("Rejected."), "{}", reply.content);
    let second = d.submit("owner", &owners, &[]).await;
    assert!(
        second.starts_with(&format!("This review was already assessed by {max} <t:")),
        "{second}"
    );
    let forged = d
        .fake
        .click_forged(d.id("max"), &review, "v1:req:assess:1:accept", "en-US")
        .await
        .response()
        .await;
    assert!(
        forged
            .content
            .starts_with("This review was already assessed")
    );
    let log = d.channel("stagehand-log");
    d.fake
        .wait_until("one assessment logged", |f| {
            f.messages(log)
                .iter()
                .filter(|m| m.content.contains("TRAINEE_REVIEW_RESOLVED"))
                .count()
                == 1
        })
        .await;

    // Promotions: not a trainee; no reviewer role; without the flag.
    let anna = [("trainee", json!(d.id("anna").to_string()))];
    assert_eq!(
        d.run("max", "trainee promote", &anna).await,
        format!("{} is not a trainee: nothing changed.", d.mention("anna"))
    );
    let unbind = [
        ("permission", json!("reviewer")),
        ("role", json!(d.guild.role("Reviewer").to_string())),
    ];
    assert_eq!(d.run("owner", "permission unbind", &unbind).await, DONE);
    let tim_option = [("trainee", json!(d.id("tim").to_string()))];
    assert_eq!(
        d.run("max", "trainee promote", &tim_option).await,
        "No role carries the `reviewer` permission. Bind one with `/permission bind` first; nothing changed."
    );
    assert_eq!(d.run("owner", "permission bind", &unbind).await, DONE);
    assert_eq!(
        d.run("kira", "trainee promote", &tim_option).await,
        FORBIDDEN
    );
    assert!(
        d.fake
            .member(d.id("tim"))
            .roles
            .contains(&d.guild.role("Trainee"))
    );

    // Discord refuses the role change (here: the member is gone by delivery time): the
    // supervisor hears of it by DM.
    let decision = reply.message;
    d.fake.fail_next("/roles/", 404, None);
    let promoted = d
        .fake
        .click(d.id("max"), &decision, "Promote", "en-US")
        .await
        .response()
        .await;
    assert_eq!(promoted.content, format!("{tim} is a reviewer now."));
    let dms = d.fake.wait_dms(d.id("max"), 1).await;
    assert_eq!(
        dms[0].content,
        format!(
            "Discord refused to change the roles of {tim} for their promotion: they may have left the server, or one of the roles ranks above Stagehand's. Check their roles."
        )
    );
    assert!(
        d.fake
            .member(d.id("tim"))
            .roles
            .contains(&d.guild.role("Trainee"))
    );

    // A trainee who left: the button gets a clear answer.
    practise_picked(&d, "tess", "Write positive review", None).await;
    let reply = assess(&d, "max", &practice_review(&d, 2).await, "Approve", "").await;
    d.fake.member_leaves(d.id("tess"));
    let left = d
        .fake
        .click(d.id("max"), &reply.message, "Promote", "en-US")
        .await
        .response()
        .await;
    assert_eq!(
        left.content,
        format!(
            "{} is no longer a member of this server: nothing changed.",
            d.mention("tess")
        )
    );
    let later = d
        .fake
        .click(d.id("max"), &reply.message, "Decide later", "en-US")
        .await
        .response()
        .await;
    assert_eq!(
        later.content,
        "Decide later with `/trainee promote` or `/trainee expel`."
    );
}

/// A request whose card a person deleted is passed over by `/trainee pick`, and kept: its
/// widget's place is still known. Without a channel for practice reviews, a pick is refused.
#[tokio::test]
async fn a_pick_skips_a_request_whose_card_is_gone() {
    let d = programme(&[]).await;
    insert(&d, LEVELS[0]).await;
    insert(&d, LEVELS[1]).await;
    let gone = widget(&d, 1).await;
    widget(&d, 2).await;
    d.fake.delete_message(gone.id);
    for _ in 0..4 {
        assert_eq!(request_of(&pick(&d, "tim").await.unwrap()), 2);
    }
    let links = d
        .run("max", "request widgets", &[("level_id", json!(LEVELS[0]))])
        .await;
    assert!(
        links.contains(&format!("/{})", gone.id)),
        "not forgotten: {links}"
    );
    d.fake.delete_message(widget(&d, 2).await.id);
    assert_eq!(
        pick(&d, "tim").await.unwrap_err(),
        "There is no request left for you to practise on right now."
    );
    // Without a channel for practice reviews, a pick says so before anything is written.
    let route = [("route", json!("trainee_review_text"))];
    assert_eq!(d.run("owner", "route disable", &route).await, DONE);
    assert_eq!(
        pick(&d, "tim").await.unwrap_err(),
        "Practice reviews cannot be taken right now: the trainee reviews' channel is not set up. Please tell an admin."
    );
}

/// The server restarts between a practice review and its assessment; the pick's card, shown
/// before the restart, and the Trainee Review Widget keep working.
#[tokio::test]
async fn the_trainee_review_widget_works_across_a_restart() {
    let mut d = programme(&[]).await;
    insert(&d, LEVELS[0]).await;
    widget(&d, 1).await;
    let card = pick(&d, "tim").await.unwrap();
    let form = d
        .click("tim", &card.message, "Write negative review")
        .await
        .unwrap();
    d.submit("tim", &form, &[("review", REVIEW)]).await;
    let review = practice_review(&d, 1).await;
    // Its place is recorded before the restart (the log goes out behind it).
    logged(&d, "TRAINEE_REVIEW_ADDED", "", &[]).await;

    d.restart().await;

    assert!(
        d.click("tim", &card.message, "Write positive review")
            .await
            .unwrap_err()
            .starts_with("You already reviewed this request")
    );
    let reply = assess(&d, "max", &review, "Approve", FEEDBACK).await;
    assert!(reply.content.starts_with("Accepted."), "{}", reply.content);
    d.wait_edit("trainee-reviews", review.id, "the buttons removed", |m| {
        buttons(m) == 0
    })
    .await;
    let channel = d.channel("trainee-reviews");
    d.fake
        .wait_until("the feedback thread", |f| f.threads(channel).len() == 1)
        .await;
    let posts = d.fake.wait_messages(review.id, 1).await;
    assert!(posts[0].content.ends_with(FEEDBACK));
}

/// `/reviews user` lists 25 reviews ten to a page, newest first, in English and in Russian,
/// turning pages with its buttons; a review message deleted by hand is marked. `/reviews level`
/// lists a level's reviews (no practice reviews) and marks the deleted one.
#[tokio::test]
async fn reviews_are_listed_a_page_at_a_time_in_both_languages() {
    let d = programme(&[]).await;
    let kira = d.mention("kira");
    let ids: Vec<u64> = (1..=25).map(|n| 92_000_000 + n).collect();
    d.gd.add_levels(ids.iter().map(|&id| Level {
        id,
        name: format!("Level {:02}", id - 92_000_000),
        creator_name: "Creator".into(),
        creator_player_id: 7,
        account_id: 8,
        ..Level::default()
    }));
    for &level in &ids {
        insert(&d, level).await;
    }
    let anchor = widget(&d, 1).await;
    for request in 1..=25 {
        let clicked = d
            .fake
            .click_forged(
                d.id("kira"),
                &anchor,
                &format!("v1:req:opinion:{request}:approve_review"),
                "en-US",
            )
            .await;
        let form = clicked.modal().await.unwrap()["custom_id"]
            .as_str()
            .unwrap()
            .to_string();
        assert_eq!(d.submit("kira", &form, &[("review", REVIEW)]).await, DONE);
    }
    logged(
        &d,
        "REQUEST_OPINION_ADDED",
        &kira,
        &["request_id: 25\nlevel_id: "],
    )
    .await;
    let reviews = d.fake.wait_messages(d.channel("level-reviews"), 25).await;

    // In English, three pages: 25 … 16, 15 … 6, 5 … 1.
    let asked = [("author", json!(d.id("kira").to_string()))];
    let page = d
        .fake
        .invoke(d.id("anna"), "reviews user", &asked, "en-US")
        .await
        .response()
        .await;
    let entries = |reply: &Reply| -> Vec<String> {
        reply
            .content
            .lines()
            .filter(|l| l.starts_with("- "))
            .map(str::to_string)
            .collect()
    };
    assert!(page.ephemeral);
    assert!(
        page.content
            .starts_with(&format!("{kira} wrote 25 reviews, newest first:\n")),
        "{}",
        page.content
    );
    let lines = entries(&page);
    assert_eq!(lines.len(), 10);
    assert!(
        lines[0].contains("[Level 25](https://discord.com/channels/"),
        "{}",
        lines[0]
    );
    assert!(lines[0].ends_with("): review ✅"), "{}", lines[0]);
    assert!(page.content.ends_with("-# Page 1 of 3"), "{}", page.content);
    let mut page = page.message;
    for (n, (first, count)) in [(2, ("Level 15", 10)), (3, ("Level 05", 5))] {
        let turned = d
            .fake
            .click(d.id("anna"), &page, "⏵", "en-US")
            .await
            .response()
            .await;
        let lines = entries(&turned);
        assert_eq!(lines.len(), count, "page {n}");
        assert!(lines[0].contains(&format!("[{first}]")), "{}", lines[0]);
        assert!(turned.content.ends_with(&format!("-# Page {n} of 3")));
        assert!(turned.content.chars().count() <= 2000);
        page = turned.message;
    }
    assert!(
        d.fake
            .message(page.id)
            .unwrap()
            .components
            .iter()
            .flat_map(|row| row["components"].as_array().cloned().unwrap_or_default())
            .any(|b| b["label"] == "⏵" && b["disabled"] == true),
        "the last page"
    );

    // In Russian, with the newest review's message deleted by hand.
    let newest = reviews
        .iter()
        .find(|m| m.content.contains("Level 25"))
        .unwrap();
    d.fake.delete_message(newest.id);
    let page = d
        .fake
        .invoke(d.id("ivan"), "reviews user", &asked, "ru")
        .await
        .response()
        .await;
    assert!(
        page.content
            .starts_with(&format!("{kira}: 25 отзывов, сначала новые:\n")),
        "{}",
        page.content
    );
    let lines = entries(&page);
    assert_eq!(lines.len(), 10);
    assert!(
        lines[0].ends_with("*Level 25*: отзыв ✅, *сообщение удалено*"),
        "{}",
        lines[0]
    );
    assert!(lines[1].contains("[Level 24](https://discord.com/channels/"));
    assert!(page.content.ends_with("-# Страница 1 из 3"));
    let turned = d
        .fake
        .click(d.id("ivan"), &page.message, "⏵", "ru")
        .await
        .response()
        .await;
    assert!(turned.content.ends_with("-# Страница 2 из 3"));

    // `/reviews level`: Max's review of Level 01 too, Tim's practice review left out; Kira's
    // message deleted by hand.
    let clicked = d
        .fake
        .click_forged(
            d.id("max"),
            &anchor,
            "v1:req:opinion:1:reject_review",
            "en-US",
        )
        .await;
    assert!(clicked.modal().await.is_some());
    let form = "v1:req:opinion_form:1:reject_review";
    assert_eq!(d.submit("max", form, &[("review", REVIEW)]).await, DONE);
    let form = d.click("tim", &anchor, "Approve and Review").await.unwrap();
    d.submit("tim", &form, &[("review", REVIEW)]).await;
    logged(
        &d,
        "TRAINEE_REVIEW_ADDED",
        &d.mention("tim"),
        &["request_id: 1\nlevel_id: "],
    )
    .await;
    let oldest = reviews
        .iter()
        .find(|m| m.content.contains("Level 01"))
        .unwrap();
    let others = d.mention("max");
    let level_reviews = d.channel("level-reviews");
    d.fake
        .wait_until("Max's review", |f| {
            f.messages(level_reviews)
                .iter()
                .any(|m| m.content.contains(&others) && m.content.contains("Level 01"))
        })
        .await;
    d.fake.delete_message(oldest.id);
    let level = [("level_id", json!(ids[0]))];
    let listed = d.run("anna", "reviews level", &level).await;
    let lines: Vec<&str> = listed.lines().collect();
    assert_eq!(
        lines[0],
        format!("2 reviews of Level 01 ({}), oldest first:", ids[0])
    );
    assert_eq!(lines.len(), 3, "{listed}");
    assert!(
        lines[1].ends_with(&format!("{kira}: review ✅, *message deleted*")),
        "{}",
        lines[1]
    );
    assert!(
        lines[2].contains(&format!(
            "{}: [review](https://discord.com/channels/",
            d.mention("max")
        )),
        "{}",
        lines[2]
    );
    assert!(lines[2].ends_with(") ❌"), "{}", lines[2]);
    let tims = [("author", json!(d.id("tim").to_string()))];
    let practice = d.run("anna", "reviews user", &tims).await;
    assert!(practice.contains("[Level 01]("), "{practice}");
    assert!(practice.contains("): practice review ✅"), "{practice}");
    assert_eq!(
        d.run(
            "anna",
            "reviews level",
            &[("level_id", json!(fixtures::EPIC))]
        )
        .await,
        format!("Nobody has reviewed level `{}` yet.", fixtures::EPIC)
    );
}
