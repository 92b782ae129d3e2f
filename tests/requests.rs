//! The GD request desk end to end: the real `stagehand serve` on the fake Discord and the fake GD
//! server. A member requests a level, reviewers give opinions, a GD moderator resolves, the
//! queue closes and reopens by itself — with and without a restart in the middle — and every
//! check of `/request create`, every refused click, is answered and changes nothing.

use std::time::Duration;

use serde_json::{Value, json};

use crate::support::discord::{Channel, FakeDiscord, Guild, Message, Pinged};
use crate::support::gd::{FakeGd, fixtures};
use crate::support::{Server, discord_env};

pub(crate) const DONE: &str = "Done.";
/// "Ночной город": unrated, 7 stars requested (no showcase needed), by "old guard".
pub(crate) const LEVEL: u64 = fixtures::UNRATED_FACE;
pub(crate) const REVIEW: &str =
    "Отличный уровень: плавный геймплей, аккуратный декор и честная синхронизация с музыкой.";

/// The routes' default channels (`defaults/routes.toml`), added to the sample guild.
pub(crate) const DESK_CHANNELS: [&str; 9] = [
    "pending-requests",
    "request-resolutions",
    "approved-levels",
    "rejected-levels",
    "level-reviews",
    "request-archive",
    "request-announcements",
    "stagehand-log",
    "trainee-reviews",
];

/// A server with the request desk on the fake Discord and the fake GD server (also used by
/// `trainees` and `faults`).
pub(crate) struct Desk {
    pub(crate) guild: Guild,
    pub(crate) fake: FakeDiscord,
    pub(crate) gd: FakeGd,
    pub(crate) server: Option<Server>,
    env: Vec<(String, String)>,
    pub(crate) dir: tempfile::TempDir,
}

/// The sample guild with a channel for every route of the desk.
pub(crate) fn desk_guild() -> Guild {
    let mut guild = Guild::sample();
    let base = guild.channel("general");
    for (i, name) in DESK_CHANNELS.iter().enumerate() {
        guild.channels.push(Channel {
            id: base + ((40 + i as u64) << 22),
            name: name.to_string(),
        });
    }
    guild
}

impl Desk {
    /// A fresh install with the desk's channels, `reviewer` bound to Reviewer and `gd_mod` to
    /// GD Moderator, and the given parameters set by the owner.
    pub(crate) async fn start(params: &[(&str, &str)]) -> Desk {
        Desk::start_in(desk_guild(), params, &[]).await
    }

    /// [`Desk::start`] with more settings in the environment (`STAGEHAND_*`).
    pub(crate) async fn start_with(params: &[(&str, &str)], settings: &[(&str, &str)]) -> Desk {
        Desk::start_in(desk_guild(), params, settings).await
    }

    /// [`Desk::start_with`] on `guild` (made from [`desk_guild`]).
    pub(crate) async fn start_in(
        guild: Guild,
        params: &[(&str, &str)],
        settings: &[(&str, &str)],
    ) -> Desk {
        Desk::start_prepared(guild, params, settings, |_| {}).await
    }

    /// [`Desk::start_in`], with `prepare` run on the data folder before the server first starts
    /// (to put rows in its store).
    pub(crate) async fn start_prepared(
        guild: Guild,
        params: &[(&str, &str)],
        settings: &[(&str, &str)],
        prepare: impl FnOnce(&std::path::Path),
    ) -> Desk {
        let fake = FakeDiscord::start(guild.clone()).await;
        let gd = FakeGd::with_fixtures().await;
        let dir = tempfile::tempdir().unwrap();
        prepare(&dir.path().join("data"));
        let mut env = discord_env(dir.path(), &fake, &guild);
        env.push((
            "STAGEHAND_GD_BASE_URL".into(),
            format!("{}/database", gd.base_url()),
        ));
        env.extend(settings.iter().map(|(k, v)| (k.to_string(), v.to_string())));
        let mut desk = Desk {
            guild,
            fake,
            gd,
            server: None,
            env,
            dir,
        };
        desk.boot(1).await;
        for (flag, role) in [("reviewer", "Reviewer"), ("gd_mod", "GD Moderator")] {
            let role = json!(desk.guild.role(role).to_string());
            let options = [("permission", json!(flag)), ("role", role)];
            assert_eq!(desk.run("owner", "permission bind", &options).await, DONE);
        }
        for (name, value) in params {
            let options = [("parameter", json!(name)), ("new_value", json!(value))];
            assert_eq!(desk.run("owner", "parameter set", &options).await, DONE);
        }
        desk
    }

    /// Starts the server (the `nth` time) and waits until it answers the owner.
    pub(crate) async fn boot(&mut self, nth: usize) {
        let pairs: Vec<(&str, &str)> = self
            .env
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        self.server = Some(Server::start(self.dir.path(), &pairs));
        self.fake
            .wait_until("the bot identifies", |f| f.identifies() >= nth)
            .await;
        self.fake.wait_ready().await;
        self.fake
            .wait_until("command registration", |f| f.command_registrations() >= 1)
            .await;
        let deadline = std::time::Instant::now() + Duration::from_secs(15);
        while self.run("owner", "permission list_roles", &[]).await
            == "You do not have permission to do this."
        {
            assert!(std::time::Instant::now() < deadline, "the owner is unknown");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    pub(crate) async fn restart(&mut self) {
        if let Some(server) = self.server.take() {
            server.stop();
        }
        self.boot(2).await;
    }

    /// Stops the server; [`Desk::boot`] starts it again.
    pub(crate) fn stop(&mut self) {
        if let Some(server) = self.server.take() {
            server.stop();
        }
    }

    /// The store, while no server runs.
    pub(crate) fn store(&self) -> stagehand::store::Store {
        let path = self.dir.path().join("data").join("stagehand.redb");
        stagehand::store::Store::open(&path, &stagehand::store::StoreOptions::default()).unwrap()
    }

    /// Moves the server's manual clock forward by `secs`.
    pub(crate) async fn advance(&self, secs: i64) {
        self.server.as_ref().unwrap().advance_clock(secs).await;
    }

    pub(crate) fn id(&self, name: &str) -> u64 {
        self.guild.user(name)
    }

    pub(crate) fn channel(&self, name: &str) -> u64 {
        self.guild.channel(name)
    }

    pub(crate) fn mention(&self, name: &str) -> String {
        format!("<@{}>", self.id(name))
    }

    pub(crate) fn locale(name: &str) -> &'static str {
        if name == "ivan" { "ru" } else { "en-US" }
    }

    /// `user` runs `command`; the private reply.
    pub(crate) async fn run(&self, user: &str, command: &str, options: &[(&str, Value)]) -> String {
        let reply = self
            .fake
            .invoke(self.id(user), command, options, Self::locale(user))
            .await
            .response()
            .await;
        assert!(reply.ephemeral, "/{command}");
        reply.content
    }

    /// How many requests are pending, as `/queue info` tells the owner.
    pub(crate) async fn pending(&self) -> u64 {
        let info = self.run("owner", "queue info", &[]).await;
        let count = info
            .split("Pending requests: **")
            .nth(1)
            .unwrap_or_default();
        let count = count.split("**").next().unwrap_or_default();
        count.parse().unwrap_or_else(|_| panic!("{info}"))
    }

    /// `user` runs `/request create` for `level`: the form's custom id, or the refusal.
    pub(crate) async fn create(&self, user: &str, level: u64) -> Result<String, String> {
        let asked = self
            .fake
            .invoke(
                self.id(user),
                "request create",
                &[("level_id", json!(level))],
                Self::locale(user),
            )
            .await;
        match asked.modal().await {
            Some(modal) => Ok(modal["custom_id"].as_str().unwrap().to_string()),
            None => Err(asked.response().await.content),
        }
    }

    /// `user` submits the form `custom_id`; the private reply.
    pub(crate) async fn submit(
        &self,
        user: &str,
        custom_id: &str,
        fields: &[(&str, &str)],
    ) -> String {
        let reply = self
            .fake
            .submit_modal(self.id(user), custom_id, fields, Self::locale(user))
            .await
            .response()
            .await;
        assert!(reply.ephemeral);
        reply.content
    }

    /// `user` clicks `button` on `message`: the form it opened, or the private reply.
    pub(crate) async fn click(
        &self,
        user: &str,
        message: &Message,
        button: &str,
    ) -> Result<String, String> {
        let clicked = self
            .fake
            .click(self.id(user), message, button, Self::locale(user))
            .await;
        match clicked.modal().await {
            Some(modal) => Ok(modal["custom_id"].as_str().unwrap().to_string()),
            None => Err(clicked.response().await.content),
        }
    }

    /// The one message in `channel`, once there.
    pub(crate) async fn only(&self, channel: &str) -> Message {
        let found = self.fake.wait_messages(self.channel(channel), 1).await;
        assert_eq!(found.len(), 1, "{channel}: {found:?}");
        found[0].clone()
    }

    /// The message in `channel` whose embed is titled `Request {id}` (a widget), once there.
    pub(crate) async fn titled(&self, channel: &str, id: u64) -> Message {
        let place = self.channel(channel);
        let title = format!("Request {id}");
        let mut found = None;
        self.fake
            .wait_until(&format!("{title} in #{channel}"), |f| {
                found = f
                    .messages(place)
                    .into_iter()
                    .find(|m| m.embeds.first().is_some_and(|e| e["title"] == title));
                found.is_some()
            })
            .await;
        found.unwrap()
    }

    /// Waits until the message `id` in `channel` satisfies `check`.
    pub(crate) async fn wait_edit(
        &self,
        channel: &str,
        id: u64,
        what: &str,
        check: impl Fn(&Message) -> bool,
    ) -> Message {
        let channel = self.channel(channel);
        let mut found = None;
        self.fake
            .wait_until(what, |f| {
                found = f
                    .messages(channel)
                    .into_iter()
                    .find(|m| m.id == id && check(m));
                found.is_some()
            })
            .await;
        found.unwrap()
    }
}

pub(crate) fn field<'a>(message: &'a Message, name: &str) -> &'a str {
    message.embeds[0]["fields"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["name"] == name)
        .and_then(|f| f["value"].as_str())
        .unwrap_or_else(|| panic!("no field {name}: {:?}", message.embeds))
}

pub(crate) fn buttons(message: &Message) -> usize {
    message
        .components
        .iter()
        .flat_map(|row| row["components"].as_array().cloned().unwrap_or_default())
        .count()
}

/// The whole story; with `restart`, the server restarts between the two opinions and the old
/// widgets' buttons keep working.
async fn story(restart: bool) {
    let mut d = Desk::start(&[
        ("queue.block_at", "1"),
        ("queue.unblock_enabled", "true"),
        ("queue.unblock_at", "0"),
    ])
    .await;
    let (ivan, kira, max) = (d.mention("ivan"), d.mention("kira"), d.mention("max"));

    // Ivan (Russian client) requests the level and fills in the form.
    let form = d.create("ivan", LEVEL).await.unwrap();
    assert_eq!(form, format!("v1:req:submit:{LEVEL}"));
    let fields = [
        ("showcase", "https://youtu.be/dQw4w9WgXcQ"),
        ("comment", "Проверьте, пожалуйста"),
    ];
    let submitted = d.submit("ivan", &form, &fields).await;
    assert_eq!(
        submitted,
        "Ваша заявка на `Ночной город` отправлена (заявка 1). Об отзывах вы узнаете."
    );

    // The Reviewer's Widget; the queue, full at one request, closed itself.
    let widget = d.only("pending-requests").await;
    assert_eq!(widget.embeds[0]["title"], "Request 1");
    assert_eq!(
        widget.embeds[0]["description"],
        "**Ночной город** by *old guard*"
    );
    assert_eq!(field(&widget, "Requested by"), ivan);
    assert_eq!(field(&widget, "Review Language"), ":flag_ru: Русский");
    assert_eq!(
        field(&widget, "Showcase"),
        "https://www.youtube.com/watch?v=dQw4w9WgXcQ"
    );
    assert_eq!(field(&widget, "Copied Level ID"), "Not a copy");
    assert_eq!(field(&widget, "Current Difficulty"), "Hard");
    assert_eq!(field(&widget, "Game Version"), "2.2");
    assert_eq!(
        widget.embeds[0]["thumbnail"]["url"],
        "https://i.ytimg.com/vi/dQw4w9WgXcQ/hqdefault.jpg"
    );
    assert_eq!(buttons(&widget), 4);
    let closed = d.only("request-announcements").await;
    assert!(
        closed
            .content
            .starts_with("Requests are temporarily closed"),
        "{}",
        closed.content
    );
    assert_eq!(
        closed.pinged,
        Pinged::default(),
        "no notice role by default"
    );

    // Kira approves without a review: the Resolution Widget appears with the consensus.
    assert_eq!(
        d.click("kira", &widget, "Approve (no review)").await,
        Err(DONE.into())
    );
    let resolution = d.only("request-resolutions").await;
    assert_eq!(resolution.embeds[0]["color"], 0x990000);
    assert_eq!(
        field(&resolution, "Consensus"),
        format!("✅: {kira}\n❌: No votes yet")
    );

    if restart {
        d.restart().await;
    }

    // Max approves with a review: posted in Russian, pinging Ivan; the consensus is edited.
    let review_form = d.click("max", &widget, "Approve and Review").await.unwrap();
    assert_eq!(
        d.submit("max", &review_form, &[("review", REVIEW)]).await,
        DONE
    );
    let review = d.only("level-reviews").await;
    assert!(
        review.content.starts_with(&format!(
            "{ivan}, {max} оставил отзыв о вашем уровне `Ночной город`"
        )),
        "{}",
        review.content
    );
    assert!(review.content.contains(REVIEW));
    let resolution = d
        .wait_edit(
            "request-resolutions",
            resolution.id,
            "the second opinion",
            |m| field(m, "Consensus").contains(&max),
        )
        .await;
    assert!(field(&resolution, "Consensus").starts_with(&format!("✅: {kira}, {max} (")));
    // Once the review is posted, the consensus links to it.
    let review_link = format!("/{}/{})", review.channel_id, review.id);
    let resolution = d
        .wait_edit(
            "request-resolutions",
            resolution.id,
            "the link to the review",
            |m| field(m, "Consensus").contains(&review_link),
        )
        .await;
    let consensus = field(&resolution, "Consensus");
    assert!(
        consensus.contains(&format!("{max} ([Review](https://discord.com/channels/")),
        "{consensus}"
    );

    // Max, a GD moderator, sends it for a star rate.
    let rate_form = d.click("max", &resolution, "Star Rate").await.unwrap();
    let comment = [("reason", "Nice work")];
    assert_eq!(d.submit("max", &rate_form, &comment).await, DONE);

    // Ivan is told, in Russian; the Reviewer's Widget is archived, the Resolution Widget green.
    let approved = d.only("approved-levels").await;
    assert_eq!(
        approved.content,
        format!(
            "{ivan}, ваш уровень `Ночной город` ({LEVEL}) отправлен на оценку модератором {max}! 🎉\nКомментарий: `Nice work`"
        )
    );
    let pending = d.channel("pending-requests");
    d.fake
        .wait_until("the Reviewer's Widget is deleted", |f| {
            f.messages(pending).is_empty()
        })
        .await;
    let archived = d.only("request-archive").await;
    assert_eq!(archived.embeds[0]["color"], 0x666666);
    assert_eq!(buttons(&archived), 0);
    assert!(field(&archived, "Opinions and Resolutions").contains(&format!("/{}", resolution.id)));
    let resolution = d
        .wait_edit(
            "request-resolutions",
            resolution.id,
            "the green widget",
            |m| m.embeds[0]["color"] == 0x128611,
        )
        .await;
    assert_eq!(
        buttons(&resolution),
        6,
        "other moderators may still resolve"
    );
    assert!(field(&resolution, "Resolutions").starts_with(&format!("✅ Star Rate: {max}")));

    // Nothing is pending any more: the queue reopened itself.
    let notices = d
        .fake
        .wait_messages(d.channel("request-announcements"), 2)
        .await;
    assert!(
        notices[1].content.starts_with("Requests are open again!"),
        "{}",
        notices[1].content
    );
    let info = d.run("owner", "queue info", &[]).await;
    assert!(
        info.starts_with("🟢 The queue is **open**.\nPending requests: **0**"),
        "{info}"
    );
    let history = d.run("owner", "queue history", &[]).await;
    assert_eq!(history.matches("Stagehand").count(), 2, "{history}");

    // A second click of the same moderator is refused; so is an old client's click on the
    // archived widget (a deleted message takes no clicks: the archive entry stands in for it).
    let again = d.click("max", &resolution, "Epic").await;
    assert!(
        again
            .unwrap_err()
            .starts_with("You already resolved this request")
    );
    let stale = d
        .fake
        .click_forged(d.id("owner"), &archived, "v1:req:opinion:1:reject", "en-US")
        .await
        .response()
        .await;
    assert_eq!(
        stale.content,
        "This request has already been resolved; opinions are closed."
    );
    if let Some(server) = d.server.take() {
        server.stop();
    }
}

#[tokio::test]
async fn a_request_is_reviewed_resolved_and_the_queue_closes_and_reopens() {
    story(false).await;
}

#[tokio::test]
async fn widgets_keep_working_across_a_restart_between_opinions() {
    story(true).await;
}

/// Each check of `/request create` trips with its own reply, and nothing is stored.
#[tokio::test]
async fn every_check_of_request_create_refuses_and_stores_nothing() {
    let d = Desk::start(&[]).await;
    let pending = d.channel("pending-requests");
    let refused = |result: Result<String, String>| result.expect_err("a form was shown");

    // Without a channel for the Reviewer's Widgets, nothing is taken.
    let route = [("route", json!("pending_request"))];
    assert_eq!(d.run("owner", "route disable", &route).await, DONE);
    let no_desk = refused(d.create("anna", fixtures::REQUESTED_ONE).await);
    assert!(
        no_desk.starts_with("Requests cannot be taken right now"),
        "{no_desk}"
    );
    assert_eq!(d.run("owner", "route enable", &route).await, DONE);

    // A member banned from requesting.
    let ban = [
        ("user", json!(d.id("tim").to_string())),
        ("duration", json!("1w")),
        ("reason", json!("spam")),
    ];
    assert_eq!(d.run("owner", "usercd update", &ban).await, DONE);
    let banned = refused(d.create("tim", fixtures::REQUESTED_ONE).await);
    assert!(
        banned.starts_with("You may not request levels until <t:"),
        "{banned}"
    );
    assert!(
        banned.ends_with(&format!("Set by {}, reason: `spam`.", d.mention("owner"))),
        "{banned}"
    );

    // Not found, and a GD outage.
    let missing = refused(d.create("anna", fixtures::MISSING).await);
    assert_eq!(
        missing,
        format!(
            "There is no level with ID `{}` on the Geometry Dash servers.",
            fixtures::MISSING
        )
    );
    d.gd.fail_next(crate::support::gd::Failure::Status(502));
    let outage = refused(d.create("anna", fixtures::REQUESTED_ONE).await);
    assert_eq!(
        outage,
        "The Geometry Dash servers are not answering right now. Please try again in a few minutes."
    );

    // A slow GD server: a button opens the form once the answer is in.
    d.gd.fail_next(crate::support::gd::Failure::Hang(Duration::from_millis(
        1500,
    )));
    let level = [("level_id", json!(fixtures::URL_SAFE_DESCRIPTION))];
    let slow = d
        .fake
        .invoke(d.id("anna"), "request create", &level, "en-US")
        .await
        .response()
        .await;
    assert!(
        slow.content
            .starts_with("The Geometry Dash servers are slow"),
        "{}",
        slow.content
    );
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let form = d.click("anna", &slow.message, "Fill in the request").await;
    assert_eq!(
        form,
        Ok(format!("v1:req:submit:{}", fixtures::URL_SAFE_DESCRIPTION))
    );

    // Already rated.
    let rated = refused(d.create("anna", fixtures::EPIC).await);
    assert_eq!(rated, "`Crystal Spire` is already rated (epic).");

    // A level ban by a moderator.
    let ban = [
        ("level_id", json!(fixtures::UNRATED_NA.to_string())),
        ("duration", json!("inf")),
        ("reason", json!("stolen")),
    ];
    assert_eq!(d.run("owner", "levelcd update", &ban).await, DONE);
    let banned = refused(d.create("anna", fixtures::UNRATED_NA).await);
    assert!(
        banned.starts_with("`Quiet Room` may not be requested. Set by"),
        "{banned}"
    );

    // A showcase that is not YouTube, then a required showcase missing (a platformer).
    let form = d.create("anna", fixtures::REQUESTED_ONE).await.unwrap();
    let twitch = d
        .submit("anna", &form, &[("showcase", "https://twitch.tv/anna")])
        .await;
    assert!(twitch.contains("is not a YouTube link"), "{twitch}");
    let form = d
        .create("anna", fixtures::PLATFORMER_UNRATED)
        .await
        .unwrap();
    assert!(d.fake.messages(pending).is_empty(), "nothing was stored");
    assert_eq!(d.pending().await, 0);

    // A good request: then the author's cooldown and the level's pending request.
    let form_ok = d.create("anna", fixtures::REQUESTED_ONE).await.unwrap();
    assert!(
        d.submit("anna", &form_ok, &[])
            .await
            .starts_with("Your request for `Baby Steps` was submitted")
    );
    d.fake.wait_messages(pending, 1).await;
    let cooldown = refused(d.create("anna", fixtures::REQUESTED_TEN).await);
    assert!(
        cooldown.starts_with("You can request again <t:"),
        "{cooldown}"
    );
    assert!(
        cooldown.contains("you requested `Baby Steps` <t:"),
        "{cooldown}"
    );
    let again = refused(d.create("kira", fixtures::REQUESTED_ONE).await);
    assert!(
        again.starts_with("This level was already requested <t:"),
        "{again}"
    );
    assert!(again.contains(&d.mention("anna")), "{again}");
    // The platformer's form, opened before, is refused now: Anna is on cooldown.
    let late = d
        .submit(
            "anna",
            &form,
            &[("showcase", "https://youtu.be/dQw4w9WgXcQ")],
        )
        .await;
    assert!(late.starts_with("You can request again"), "{late}");
    assert_eq!(d.pending().await, 1, "only the good request");

    // A closed queue, unless the member may request anyway (the owner is admin).
    assert_eq!(d.run("owner", "queue close", &[]).await, DONE);
    assert_eq!(
        d.run("owner", "queue close", &[]).await,
        "Nothing changed: it already was that way."
    );
    let closed = refused(d.create("ivan", fixtures::GREEN_CREATOR).await);
    assert_eq!(
        closed,
        "Очередь заявок сейчас закрыта. Попробуйте снова, когда она откроется."
    );
    assert!(d.create("owner", fixtures::GREEN_CREATOR).await.is_ok());
    assert_eq!(d.pending().await, 1);

    // Already approved: a moderator approves Anna's request, then Kira asks again.
    assert_eq!(d.run("owner", "queue open", &[]).await, DONE);
    let widget = d.only("pending-requests").await;
    assert_eq!(
        d.click("kira", &widget, "Approve (no review)").await,
        Err(DONE.into())
    );
    let resolution = d.only("request-resolutions").await;
    let form = d.click("max", &resolution, "Feature").await.unwrap();
    assert_eq!(d.submit("max", &form, &[]).await, DONE);
    d.only("approved-levels").await;
    let approved = refused(d.create("kira", fixtures::REQUESTED_ONE).await);
    assert!(
        approved.starts_with("This level was already approved <t:"),
        "{approved}"
    );

    // A rejected level is on cooldown.
    let form = d.create("ivan", fixtures::DISLIKED).await.unwrap();
    d.submit("ivan", &form, &[]).await;
    let mut widget = None;
    d.fake
        .wait_until("the second Reviewer's Widget", |f| {
            widget = f
                .messages(pending)
                .into_iter()
                .find(|m| m.embeds[0]["title"] == "Request 2");
            widget.is_some()
        })
        .await;
    let form = d
        .click("kira", &widget.unwrap(), "Reject (no review)")
        .await
        .unwrap();
    assert_eq!(d.submit("kira", &form, &[("reason", "copied")]).await, DONE);
    let resolutions = d
        .fake
        .wait_messages(d.channel("request-resolutions"), 2)
        .await;
    let form = d.click("max", &resolutions[1], "Reject").await.unwrap();
    assert_eq!(d.submit("max", &form, &[]).await, DONE);
    let rejected = d.only("rejected-levels").await;
    assert!(
        rejected.content.ends_with("Причина: не задан"),
        "{}",
        rejected.content
    );
    let level_cd = refused(d.create("kira", fixtures::DISLIKED).await);
    assert!(
        level_cd.starts_with("`Hated One` can be requested again <t:"),
        "{level_cd}"
    );
    assert!(level_cd.contains(&d.mention("ivan")), "{level_cd}");
}

/// Clicks without the flag, second clicks and forms of a deleted request change nothing.
#[tokio::test]
async fn refused_clicks_change_nothing() {
    let d = Desk::start(&[("queue.block_enabled", "false")]).await;
    let form = d.create("anna", fixtures::REQUESTED_ONE).await.unwrap();
    d.submit("anna", &form, &[]).await;
    let widget = d.only("pending-requests").await;
    let forbidden = "You do not have permission to do this.";

    // Anna is no reviewer; Tim (trainee) neither.
    assert_eq!(
        d.click("anna", &widget, "Approve (no review)").await,
        Err(forbidden.into())
    );
    assert_eq!(
        d.click("tim", &widget, "Reject (no review)").await,
        Err(forbidden.into())
    );
    // A rejection's reason is required; a review must be long enough (the form says so too).
    let reject = d
        .click("kira", &widget, "Reject (no review)")
        .await
        .unwrap();
    assert_eq!(reject, "v1:req:opinion_form:1:reject");
    // Kira approves; her second click is refused.
    assert_eq!(
        d.click("kira", &widget, "Approve (no review)").await,
        Err(DONE.into())
    );
    let second = d
        .click("kira", &widget, "Reject and Review")
        .await
        .unwrap_err();
    assert!(
        second.starts_with("You already gave your opinion on this request <t:"),
        "{second}"
    );
    // The form she opened before her opinion counted is refused too.
    let late = d.submit("kira", &reject, &[("reason", "nope")]).await;
    assert!(late.starts_with("You already gave your opinion"), "{late}");

    // Only GD moderators resolve.
    let resolution = d.only("request-resolutions").await;
    assert_eq!(
        d.click("kira", &resolution, "Epic").await,
        Err(forbidden.into())
    );
    assert_eq!(
        field(&resolution, "Consensus"),
        format!("✅: {}\n❌: No votes yet", d.mention("kira"))
    );

    // A review of the longest kind is split on word boundaries; the first part pings Anna.
    let long = "Слишком много шипов подряд. ".repeat(140);
    let long = long.trim_end();
    assert_eq!(long.chars().count(), 3919);
    let form = d.click("max", &widget, "Reject and Review").await.unwrap();
    assert_eq!(d.submit("max", &form, &[("review", long)]).await, DONE);
    let parts = d.fake.wait_messages(d.channel("level-reviews"), 3).await;
    assert_eq!(parts.len(), 3, "about 4050 characters make three messages");
    assert!(
        parts[0].content.starts_with(&d.mention("anna")),
        "{}",
        parts[0].content
    );
    // Each part shows its piece of the review as code: the block is closed at every cut and
    // reopened in the next part.
    for part in &parts {
        assert!(part.content.chars().count() <= 2000);
        assert_eq!(part.content.matches("```").count(), 2, "{}", part.content);
    }
    assert!(
        parts[1].content.starts_with("```\n"),
        "{}",
        parts[1].content
    );
    // Every word arrives whole: only whitespace and the added fences are lost at the cuts.
    let squeeze = |text: &str| {
        let text = text.replace("```", " ");
        text.split_whitespace().collect::<Vec<_>>().join(" ")
    };
    let joined: Vec<String> = parts.iter().map(|p| squeeze(&p.content)).collect();
    assert!(joined.join(" ").contains(&squeeze(long)), "a word was cut");

    // /request ignored, unresolved and widgets know where things are.
    let unresolved = d.run("max", "request unresolved", &[]).await;
    assert!(
        unresolved.starts_with("**Request 1**\n[Reviewer's Widget](https://discord.com/channels/"),
        "{unresolved}"
    );
    assert_eq!(
        d.run("kira", "request ignored", &[]).await,
        "Every request has been reviewed. 🎉"
    );
    assert_eq!(d.run("kira", "request unresolved", &[]).await, forbidden);
    let links = d
        .run(
            "max",
            "request widgets",
            &[("level_id", json!(fixtures::REQUESTED_ONE))],
        )
        .await;
    assert!(links.contains(&format!("/{})", resolution.id)), "{links}");

    // Deleted: the widgets and the reviews go, and the old buttons answer "gone".
    assert_eq!(
        d.run("owner", "request delete", &[("request_id", json!(1))])
            .await,
        DONE
    );
    assert_eq!(
        d.run("owner", "request delete", &[("request_id", json!(1))])
            .await,
        "There is no request 1."
    );
    let resolutions = d.channel("request-resolutions");
    d.fake
        .wait_until("the widgets are deleted", |f| {
            f.messages(resolutions).is_empty()
        })
        .await;
    let log = d.channel("stagehand-log");
    d.fake
        .wait_until("the deletion is logged", |f| {
            f.messages(log)
                .iter()
                .any(|m| m.content.contains("REQUEST_DELETED"))
        })
        .await;
    // The log's post goes out behind every other effect: the review's three parts are gone.
    assert_eq!(d.fake.messages(d.channel("level-reviews")).len(), 0);
    // An old client still showing the widget: a deleted message takes no clicks, so another
    // message stands in for it.
    let logged = d.fake.messages(log).pop().unwrap();
    let gone = d
        .fake
        .click_forged(d.id("max"), &logged, "v1:req:resolve:1:epic", "en-US")
        .await
        .response()
        .await;
    assert_eq!(gone.content, "This request no longer exists.");
}

/// A GD server slower than Discord's 3 s: `/request insert` is deferred at once, privately like
/// its answer (type 5, ephemeral), and that "thinking…" message is then filled in with the
/// answer. Nothing else is left behind: no follow-up, nothing public in the channel.
#[tokio::test]
async fn a_slow_insert_is_deferred_privately_and_then_answered() {
    let d = Desk::start(&[]).await;
    let general = d.channel("general");
    let public_before = d.fake.messages(general).len();
    d.gd.fail_next(crate::support::gd::Failure::Hang(Duration::from_secs(2)));
    let options = [
        ("level_id", json!(fixtures::GREEN_CREATOR)),
        ("language", json!("en")),
        ("creator_name", json!("Someone")),
    ];
    let asked = d
        .fake
        .invoke(d.id("owner"), "request insert", &options, "en-US")
        .await;
    let reply = asked.response().await;
    assert_eq!(asked.initial_kind(), 5, "deferred");
    assert!(
        asked.acked_after() < Duration::from_secs(2),
        "deferred after {:?}",
        asked.acked_after()
    );
    assert!(reply.ephemeral);
    assert_eq!(reply.content, DONE);
    assert!(asked.followups().await.is_empty());
    assert_eq!(d.fake.messages(general).len(), public_before);
    let widget = d.only("pending-requests").await;
    assert_eq!(field(&widget, "Requested by"), "`Someone`");
}

/// Two GD moderators resolve the same request and disagree: the first decides — the author
/// hears once, from it — and the second is shown on the Resolution Widget as disagreeing, its
/// review posted without pinging the author.
#[tokio::test]
async fn the_first_resolution_decides_and_only_it_notifies_the_author() {
    let d = Desk::start(&[]).await;
    let (ivan, max, owner) = (d.id("ivan"), d.mention("max"), d.mention("owner"));
    let form = d.create("ivan", LEVEL).await.unwrap();
    d.submit("ivan", &form, &[]).await;
    let widget = d.only("pending-requests").await;
    d.click("kira", &widget, "Approve (no review)")
        .await
        .unwrap_err();
    let resolution = d.only("request-resolutions").await;

    let reject = d.click("max", &resolution, "Reject").await.unwrap();
    let said = [("review", REVIEW), ("reason", "Too many spikes")];
    assert_eq!(d.submit("max", &reject, &said).await, DONE);
    let rejected = d.only("rejected-levels").await;
    assert!(rejected.pinged.users.contains(&ivan));
    let reviews = d.fake.wait_messages(d.channel("level-reviews"), 1).await;
    assert!(reviews[0].pinged.users.contains(&ivan));

    let epic = d.click("owner", &resolution, "Epic").await.unwrap();
    assert_eq!(d.submit("owner", &epic, &[("review", REVIEW)]).await, DONE);
    let widget = d
        .wait_edit(
            "request-resolutions",
            resolution.id,
            "the second resolution",
            |m| field(m, "Resolutions").contains(&owner),
        )
        .await;
    let lines: Vec<&str> = field(&widget, "Resolutions").lines().collect();
    assert_eq!(lines.len(), 2, "{lines:?}");
    assert!(lines[0].starts_with(&format!("❌: {max}")), "{lines:?}");
    assert!(!lines[0].contains("disagrees"), "{lines:?}");
    assert!(
        lines[1].starts_with(&format!("✅ Epic: {owner}")),
        "{lines:?}"
    );
    assert!(
        lines[1].ends_with("(disagrees with the first resolution, which stands)"),
        "{lines:?}"
    );
    let reviews = d.fake.wait_messages(d.channel("level-reviews"), 2).await;
    assert!(reviews[1].content.contains(REVIEW));
    assert_eq!(
        reviews[1].pinged,
        Pinged::default(),
        "the author heard already"
    );

    // The log's post of the second resolution goes out behind every other effect of it.
    let log = d.channel("stagehand-log");
    let logged = format!("\nuser: {owner}\n");
    d.fake
        .wait_until("the second resolution is logged", |f| {
            f.messages(log).iter().any(|m| {
                m.content.starts_with("**REQUEST_RESOLUTION_ADDED**") && m.content.contains(&logged)
            })
        })
        .await;
    assert!(d.fake.messages(d.channel("approved-levels")).is_empty());
    assert_eq!(d.fake.messages(d.channel("rejected-levels")).len(), 1);
    assert_eq!(d.fake.messages(d.channel("request-archive")).len(), 1);
}

/// With `queue.notice_role` set, every queue notice — by hand and by itself — pings that role
/// and nobody else.
#[tokio::test]
async fn queue_notices_ping_the_notice_role() {
    let d = Desk::start(&[("queue.block_at", "1")]).await;
    let role = d.guild.role("Reviewer");
    let set = |value: &str| {
        [
            ("parameter", json!("queue.notice_role")),
            ("new_value", json!(value)),
        ]
    };
    let refused = d.run("owner", "parameter set", &set("@Reviewer")).await;
    assert!(refused.contains("is not a role"), "{refused}");
    let mention = format!("<@&{role}>");
    assert_eq!(d.run("owner", "parameter set", &set(&mention)).await, DONE);
    let only_role = Pinged {
        users: Vec::new(),
        roles: vec![role],
    };

    let announcements = d.channel("request-announcements");
    assert_eq!(d.run("owner", "queue close", &[]).await, DONE);
    assert_eq!(d.run("owner", "queue open", &[]).await, DONE);
    // Ivan's request fills the queue, which closes by itself.
    let form = d.create("ivan", LEVEL).await.unwrap();
    d.submit("ivan", &form, &[]).await;
    let notices = d.fake.wait_messages(announcements, 3).await;
    let expected = [
        "Requests are temporarily closed",
        "Requests are open again!",
        "Requests are temporarily closed",
    ];
    for (notice, text) in notices.iter().zip(expected) {
        assert!(
            notice.content.starts_with(&format!("{mention} {text}")),
            "{}",
            notice.content
        );
        assert_eq!(notice.pinged, only_role);
    }
}

/// `/request insert` takes a request on someone's behalf past the queue and the level's
/// cooldown, but not past "already pending"; it needs `insert_requests`.
#[tokio::test]
async fn insert_bypasses_the_queue_and_cooldowns() {
    let d = Desk::start(&[]).await;
    let level = json!(fixtures::GREEN_CREATOR);
    let named = [
        ("level_id", level.clone()),
        ("language", json!("ru")),
        ("creator_name", json!("Someone")),
        ("yt_link", json!("https://youtu.be/dQw4w9WgXcQ")),
    ];
    assert_eq!(
        d.run("kira", "request insert", &named).await,
        "You do not have permission to do this."
    );
    let nobody = [("level_id", level.clone()), ("language", json!("en"))];
    assert_eq!(
        d.run("owner", "request insert", &nobody).await,
        "Name the creator: give `creator_mention` or `creator_name`."
    );

    assert_eq!(d.run("owner", "queue close", &[]).await, DONE);
    let ban = [
        ("level_id", json!(fixtures::GREEN_CREATOR.to_string())),
        ("duration", json!("1w")),
    ];
    assert_eq!(d.run("owner", "levelcd update", &ban).await, DONE);
    assert_eq!(d.run("owner", "request insert", &named).await, DONE);
    let widget = d.only("pending-requests").await;
    assert_eq!(field(&widget, "Requested by"), "`Someone`");
    assert_eq!(field(&widget, "Review Language"), ":flag_ru: Русский");
    let again = d.run("owner", "request insert", &named).await;
    assert!(
        again.starts_with("This level was already requested"),
        "{again}"
    );
    assert_eq!(d.pending().await, 1);

    // Staff may insert a platformer with neither video nor comment (§2.10); a video that is
    // given must still be one.
    let platformer = json!(fixtures::PLATFORMER_UNRATED);
    let bare = [
        ("level_id", platformer.clone()),
        ("language", json!("en")),
        ("creator_name", json!("Runner")),
    ];
    let mut bad = bare.to_vec();
    bad.push(("yt_link", json!("https://twitch.tv/someone")));
    let refused = d.run("owner", "request insert", &bad).await;
    assert!(refused.contains("YouTube"), "{refused}");
    assert_eq!(d.pending().await, 1);
    assert_eq!(d.run("owner", "request insert", &bare).await, DONE);
    assert_eq!(d.pending().await, 2);
}
