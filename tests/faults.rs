//! Fault injection during whole stories (issue 25, "Prove"): the request desk's story and the
//! osu! league's story, each run twice at once on fakes of their own, once clean and once with
//! faults, and compared.
//!
//! Injected on Discord: 429s with `retry_after` (an interaction's answer, message posts, a
//! widget's edit, a member's nickname), 500s, Cloudflare's 502 page, a request that hangs until
//! the bot gives up (`discord.timeout_secs`; with no timeout it held the outbox for good), a post
//! carried out whose answer is lost (its retry, with the same nonce, gets the same message back),
//! a slow answer, and a dropped gateway with a click sent while the bot was away, delivered on
//! RESUME.
//! On the GD server and osu!: outages (every request fails until lifted), a 429 and a failed
//! best-scores call in the middle of a sync.
//!
//! Each story checks that every outcome arrives once (the same messages in every channel and DM
//! as the clean run, none twice), that nothing is left in the outbox, that no request was sent
//! again before a 429's `retry_after` had passed, and counts the requests: the faulted run may
//! cost one request per fault over the clean run, no more. The figures are printed as
//! `faults: <story>: requests N (minimum M), retries R`.

use std::collections::BTreeMap;
use std::future::Future;
use std::time::{Duration, Instant};

use crate::requests::{DONE, Desk, LEVEL, REVIEW, field};
use crate::support::discord::{FakeDiscord, Guild, Stall};
use crate::support::gd::Failure;
use crate::support::{self, eventually};
use crate::top_plays::{Arena, GOLD, new_score, open_store, player, top_pp};

/// `discord.timeout_secs` in these stories: a hung request costs this, then a second's pause.
const TIMEOUT_SECS: &str = "2";
/// How long the fake Discord must see no request before the bot counts as done: longer than a
/// failed delivery's pause before its next try (1 s) and a 429's wait (1 s, `Retry-After`).
const QUIET: Duration = Duration::from_millis(1500);
/// The statuses only an injected fault gives in these stories; 0 is a request never answered.
const FAULTS: [u16; 4] = [0, 429, 500, 502];
/// What a Russian member is told while the GD servers are down.
const GD_DOWN: &str =
    "Серверы Geometry Dash сейчас не отвечают. Попробуйте ещё раз через несколько минут.";

/// What one run of a story sent and left behind.
#[derive(Debug, Default)]
struct Run {
    /// Discord REST requests after set-up.
    discord: usize,
    /// Those answered with an injected fault (or never answered).
    discord_faults: usize,
    /// Requests to the GD server or osu! after set-up, and those that failed by injection.
    outside: usize,
    outside_faults: usize,
    /// Requests sent again before their 429's `retry_after` had passed.
    early: Vec<(String, String)>,
    /// The messages each channel, and each member's DMs, end with.
    messages: BTreeMap<String, usize>,
    took: Duration,
}

impl Run {
    /// Reads the figures off the fake Discord, counting from request `from`.
    fn of(fake: &FakeDiscord, guild: &Guild, from: usize, started: Instant) -> Run {
        let requests = fake.requests();
        let after = &requests[from..];
        let mut messages = BTreeMap::new();
        for channel in &guild.channels {
            let posted = fake.messages(channel.id);
            assert_no_duplicates(&channel.name, &posted);
            messages.insert(format!("#{}", channel.name), posted.len());
        }
        for member in &guild.members {
            let dms = fake.dms(member.id);
            assert_no_duplicates(&member.name, &dms);
            if !dms.is_empty() {
                messages.insert(format!("@{}", member.name), dms.len());
            }
        }
        Run {
            discord: after.len(),
            discord_faults: after.iter().filter(|r| FAULTS.contains(&r.2)).count(),
            early: fake.early_requests(),
            messages,
            took: started.elapsed(),
            ..Run::default()
        }
    }

    /// Prints the figures of `self` against the clean run `minimum`.
    fn report(&self, story: &str, outside: &str, minimum: &Run) {
        println!(
            "faults: {story}: requests {} (minimum {}), retries {}; {outside} requests {} (minimum {}), failed {}; {:.1} s (clean {:.1} s)",
            self.discord,
            minimum.discord,
            self.discord_faults,
            self.outside,
            minimum.outside,
            self.outside_faults,
            self.took.as_secs_f64(),
            minimum.took.as_secs_f64(),
        );
    }

    /// The faulted run against the clean one: the same messages everywhere, nothing sent before
    /// a 429's `retry_after`, each of the `faults` injected on Discord met once, and one more
    /// request per fault, no more.
    fn matches(&self, clean: &Run, faults: usize) {
        assert_eq!(
            self.messages, clean.messages,
            "the same messages everywhere"
        );
        assert!(self.early.is_empty(), "sent too early: {:?}", self.early);
        assert_eq!(
            self.discord_faults, faults,
            "every injected fault was met once: {self:?}"
        );
        assert_eq!(
            self.discord,
            clean.discord + self.discord_faults,
            "one more request per fault, no more"
        );
    }
}

/// No two messages in one place with the same text and embeds: nothing was posted twice.
fn assert_no_duplicates(place: &str, messages: &[support::discord::Message]) {
    for (i, a) in messages.iter().enumerate() {
        let twice = messages[i + 1..]
            .iter()
            .any(|b| a.content == b.content && a.embeds == b.embeds);
        assert!(!twice, "posted twice in {place}: {:?}", a.content);
    }
}

/// Waits until the fake Discord has seen no request for [`QUIET`]: the outbox has drained,
/// retries included.
async fn settled(fake: &FakeDiscord) {
    let deadline = Instant::now() + Duration::from_secs(30);
    let mut seen = fake.requests().len();
    let mut since = Instant::now();
    while since.elapsed() < QUIET {
        assert!(Instant::now() < deadline, "the bot never went quiet");
        tokio::time::sleep(Duration::from_millis(50)).await;
        let now = fake.requests().len();
        if now != seen {
            (seen, since) = (now, Instant::now());
        }
    }
}

/// Stops the server and checks that its outbox is empty: nothing waits undelivered.
fn stop_with_empty_outbox(server: support::Server) {
    let dir = server.dir.clone();
    server.stop();
    let store = open_store(&dir);
    let left = store.read(stagehand::outbox::queue::queued).unwrap();
    assert!(left.is_empty(), "left in the outbox: {left:?}");
}

/// The request desk's story (the one of `requests.rs`): a GD outage, then Ivan's request,
/// Kira's opinion, Max's review and star rate, the queue closing and reopening; with `faulty`,
/// Discord faults at every step and the gateway dropped in the middle.
async fn request_story(faulty: bool) -> Run {
    let started = Instant::now();
    let mut d = Desk::start_with(
        &[
            ("queue.block_at", "1"),
            ("queue.unblock_enabled", "true"),
            ("queue.unblock_at", "0"),
        ],
        &[("STAGEHAND_DISCORD_TIMEOUT_SECS", TIMEOUT_SECS)],
    )
    .await;
    let fake = d.fake.clone();
    settled(&fake).await;
    let (from, gd_from) = (fake.requests().len(), d.gd.requests().len());
    let fail = |route: String, status: u16, retry_after: Option<f64>| {
        if faulty {
            fake.fail_next(&route, status, retry_after);
        }
    };
    let stall = |route: String, how: Stall| {
        if faulty {
            fake.stall_next(&route, how);
        }
    };
    let channel = |name: &str| d.channel(name);
    let (pending, resolutions, reviews) = (
        channel("pending-requests"),
        channel("request-resolutions"),
        channel("level-reviews"),
    );
    let (approved, archive, notices, log) = (
        channel("approved-levels"),
        channel("request-archive"),
        channel("request-announcements"),
        channel("stagehand-log"),
    );

    // The GD servers are down: Ivan is told so in Russian and nothing is stored. (The clean
    // run opens the form and leaves it.) Afterwards the same command opens the form, its
    // answer rate limited once.
    if faulty {
        d.gd.outage(Some(Failure::Status(502)));
    }
    let first = d.create("ivan", LEVEL).await;
    let gd_failed = d.gd.requests().len() - gd_from;
    if faulty {
        assert_eq!(first, Err(GD_DOWN.to_string()));
        assert!(fake.messages(pending).is_empty());
        d.gd.outage(None);
    } else {
        first.unwrap();
    }
    fail("/callback".into(), 429, Some(0.2));
    let form = d.create("ivan", LEVEL).await.unwrap();

    // The submission: the Reviewer's Widget meets a 429, the queue's notice a 500, the log
    // route Cloudflare's 502.
    fail(format!("POST /channels/{pending}/messages"), 429, Some(0.5));
    fail(format!("POST /channels/{notices}/messages"), 500, None);
    fail(format!("POST /channels/{log}/messages"), 502, None);
    let fields = [
        ("showcase", "https://youtu.be/dQw4w9WgXcQ"),
        ("comment", "Проверьте, пожалуйста"),
    ];
    assert_eq!(
        d.submit("ivan", &form, &fields).await,
        "Ваша заявка на `Ночной город` отправлена (заявка 1). Об отзывах вы узнаете."
    );
    let widget = d.only("pending-requests").await;
    assert_eq!(widget.embeds[0]["title"], "Request 1");
    let closed = d.only("request-announcements").await;
    assert!(
        closed
            .content
            .starts_with("Requests are temporarily closed")
    );

    // Kira's opinion: the Resolution Widget's post hangs until the bot gives up on it
    // (`discord.timeout_secs`), and is posted once on the next try.
    stall(
        format!("POST /channels/{resolutions}/messages"),
        Stall::Hang,
    );
    assert_eq!(
        d.click("kira", &widget, "Approve (no review)").await,
        Err(DONE.into())
    );
    let resolution = d.only("request-resolutions").await;

    // The gateway drops. Max's click, sent while the bot is away, reaches it on RESUME; the
    // consensus edit meets a 429; the review is posted, but Discord's answer is lost: the bot
    // gives up on it and tries again with the same nonce, and Discord hands back that message.
    if faulty {
        fake.drop_gateway();
    }
    fail(
        format!("PATCH /channels/{resolutions}/messages/{}", resolution.id),
        429,
        Some(0.3),
    );
    stall(format!("POST /channels/{reviews}/messages"), Stall::Lost);
    let review_form = d.click("max", &widget, "Approve and Review").await.unwrap();
    if faulty {
        assert_eq!(
            (fake.resumes(), fake.identifies()),
            (1, 1),
            "resumed, not identified again"
        );
    }
    assert_eq!(
        d.submit("max", &review_form, &[("review", REVIEW)]).await,
        DONE
    );
    let review = d.only("level-reviews").await;
    assert!(review.content.contains(REVIEW));
    let review_link = format!("/{}/{})", review.channel_id, review.id);
    let resolution = d
        .wait_edit(
            "request-resolutions",
            resolution.id,
            "the link to the review",
            |m| field(m, "Consensus").contains(&review_link),
        )
        .await;

    // The star rate: the approval meets a 502, the widget's deletion a 500, the archive a slow
    // answer (within the timeout), the queue's reopening a 429.
    fail(format!("POST /channels/{approved}/messages"), 502, None);
    fail(
        format!("DELETE /channels/{pending}/messages/{}", widget.id),
        500,
        None,
    );
    stall(
        format!("POST /channels/{archive}/messages"),
        Stall::Slow(Duration::from_millis(1500)),
    );
    fail(format!("POST /channels/{notices}/messages"), 429, Some(0.3));
    let rate_form = d.click("max", &resolution, "Star Rate").await.unwrap();
    assert_eq!(
        d.submit("max", &rate_form, &[("reason", "Nice work")])
            .await,
        DONE
    );
    let (ivan, max) = (d.mention("ivan"), d.mention("max"));
    assert_eq!(
        d.only("approved-levels").await.content,
        format!(
            "{ivan}, ваш уровень `Ночной город` ({LEVEL}) отправлен на оценку модератором {max}! 🎉\nКомментарий: `Nice work`"
        )
    );
    fake.wait_until("the Reviewer's Widget is deleted", |f| {
        f.messages(pending).is_empty()
    })
    .await;
    d.only("request-archive").await;
    d.wait_edit(
        "request-resolutions",
        resolution.id,
        "the green widget",
        |m| m.embeds[0]["color"] == 0x128611,
    )
    .await;
    let notices = fake.wait_messages(notices, 2).await;
    assert!(notices[1].content.starts_with("Requests are open again!"));

    settled(&fake).await;
    let mut run = Run::of(&fake, &d.guild, from, started);
    assert_eq!(
        fake.nonce_replays(),
        usize::from(faulty),
        "the lost post's retry"
    );
    let gd = d.gd.requests();
    run.outside = gd.len() - gd_from;
    run.outside_faults = if faulty { gd_failed } else { 0 };
    if !faulty {
        // The clean run's first form was shown, which records REQUEST_INITIALIZED; the outage
        // kept the faulted run's from showing. Its post to the log is the one message, and the
        // one request, that the runs differ by.
        *run.messages.get_mut("#stagehand-log").unwrap() -= 1;
        run.discord -= 1;
    }
    if let Some(server) = d.server.take() {
        stop_with_empty_outbox(server);
    }
    run
}

/// Runs a story on a thread and runtime of its own, so that two runs go side by side.
fn side_by_side<Story: Future<Output = Run>>(
    story: impl FnOnce(bool) -> Story + Copy + Send + 'static,
) -> (Run, Run) {
    let run = |faulty: bool| {
        std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_multi_thread()
                .worker_threads(2)
                .enable_all()
                .build()
                .unwrap();
            runtime.block_on(story(faulty))
        })
    };
    let (clean, faulted) = (run(false), run(true));
    let joined = |run: std::thread::JoinHandle<Run>| {
        run.join()
            .unwrap_or_else(|_| panic!("a run failed (its panic is above)"))
    };
    (joined(clean), joined(faulted))
}

/// The request story with every fault against the clean one.
#[test]
fn the_request_story_loses_nothing_doubles_nothing_and_retries_politely_under_faults() {
    let (clean, faulted) = side_by_side(request_story);
    faulted.report("request story", "GD", &clean);
    faulted.matches(&clean, 10);
    assert_eq!(faulted.outside, clean.outside + faulted.outside_faults);
}

/// Ivan runs `/link` in Russian and signs in on osu! as `player`: where osu! sends his browser.
async fn sign_in(arena: &Arena, player: u64) -> String {
    let ivan = arena.guild.user("ivan");
    let reply = arena
        .discord
        .invoke(ivan, "link", &[], "ru")
        .await
        .response()
        .await;
    let url = reply.components[0]["components"][0]["url"]
        .as_str()
        .unwrap_or_else(|| panic!("no sign-in link: {}", reply.content))
        .to_string();
    arena.osu.login_as(player);
    let response = support::client().get(&url).send().await.unwrap();
    assert_eq!(response.status(), 302, "osu! redirects back");
    let back = response.headers()["location"].to_str().unwrap();
    back.replace("localhost", "127.0.0.1")
}

/// Opens the sign-in callback `url` as a Russian browser: (status, page).
async fn open(url: &str) -> (u16, String) {
    let response = support::client()
        .get(url)
        .header("accept-language", "ru")
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    (status, response.text().await.unwrap())
}

/// The league's story: Ivan links his osu! account, then sets a new #1 that the syncs find and
/// pay once; with `faulty`, osu! is down for his first sign-in and for a whole sync, a later
/// sync meets a 429 and a failed best-scores call, and Discord faults meet his roles, nickname,
/// welcome and the top play's announcement.
async fn league_story(faulty: bool) -> Run {
    let started = Instant::now();
    let mut arena = Arena::start().await;
    let fake = arena.discord.clone();
    settled(&fake).await;
    let (from, osu_from) = (fake.requests().len(), arena.osu.requests().len());
    let fail = |route: String, status: u16, retry_after: Option<f64>| {
        if faulty {
            fake.fail_next(&route, status, retry_after);
        }
    };
    let gold = player(GOLD);
    let (guild, ivan) = (arena.guild.id, arena.guild.user("ivan"));
    let (welcome, top) = (
        fake.channel_named("welcome"),
        fake.channel_named("top-plays"),
    );
    let roles_before = fake.member(ivan).roles;

    // osu! is down when Ivan comes back from signing in: the page says so in Russian and
    // nothing is linked. (The clean run leaves that sign-in unfinished.)
    let back = sign_in(&arena, gold.id).await;
    if faulty {
        arena.osu.outage(Some(502));
        let (status, page) = open(&back).await;
        assert_eq!(status, 502, "{page}");
        assert!(page.contains("osu! не отвечает"), "{page}");
        assert!(page.contains("Ничего не изменено"), "{page}");
        arena.osu.outage(None);
    }
    assert_eq!(fake.member(ivan).roles, roles_before);
    assert!(fake.messages(welcome).is_empty());

    // The same again once osu! is back: linked; the first role meets a 500, the nickname a
    // 429, the welcome a 502.
    fail(
        format!("PUT /guilds/{guild}/members/{ivan}/roles/"),
        500,
        None,
    );
    fail(
        format!("PATCH /guilds/{guild}/members/{ivan}"),
        429,
        Some(0.3),
    );
    fail(format!("POST /channels/{welcome}/messages"), 502, None);
    let back = sign_in(&arena, gold.id).await;
    let (status, page) = open(&back).await;
    assert_eq!(status, 200, "{page}");
    assert!(page.contains("Аккаунт osu! привязан"), "{page}");
    let wanted = [arena.guild.role("Gold"), arena.guild.role("Participant")];
    eventually("Ivan's roles and nickname", || {
        let member = fake.member(ivan);
        wanted.iter().all(|r| member.roles.contains(r))
            && member.nick.as_deref() == Some(gold.username.as_str())
    })
    .await;
    assert_eq!(fake.wait_messages(welcome, 1).await.len(), 1);

    // Ivan sets a new #1, 7.5 pp above his old one. The next sync runs while osu! is down:
    // nothing changes, nothing is announced.
    let old = top_pp(&gold).trunc();
    arena.osu.update_player(gold.id, |p| {
        p.pp += 50.0;
        p.best_scores.push(new_score(4_999_000_001, old + 7.5));
    });
    if faulty {
        arena.osu.outage(Some(503));
    }
    arena.sync().await;
    arena.osu.outage(None);
    arena.drain(1).await;
    assert_eq!(arena.top_plays().len(), usize::from(!faulty));

    // The sync after: its batch is rate limited once (waited out), then the call for Ivan's
    // best score fails; he is left for the next sync rather than stored without his #1.
    if faulty {
        arena.osu.fail_next("/users?ids[]=", 429);
        arena.osu.fail_next("/scores/best", 502);
    }
    arena.sync().await;
    arena.drain(2).await;
    assert_eq!(arena.top_plays().len(), usize::from(!faulty));

    // The next sync finds the #1 and pays it once; its announcement meets a 429, then a 500.
    fail(format!("POST /channels/{top}/messages"), 429, Some(0.3));
    fail(format!("POST /channels/{top}/messages"), 500, None);
    arena.sync().await;
    let posted = fake.wait_messages(top, 1).await;
    assert!(
        posted[0].content.contains(": 33\n"),
        "{}",
        posted[0].content
    );
    arena.drain(3).await;

    settled(&fake).await;
    let mut run = Run::of(&fake, &arena.guild, from, started);
    let osu = arena.osu.requests();
    let osu = &osu[osu_from..];
    run.outside = osu.len();
    run.outside_faults = osu.iter().filter(|r| r.status >= 429).count();
    if let Some(server) = arena.server.take() {
        stop_with_empty_outbox(server);
    }
    let store = open_store(arena.dir.path());
    let row = store
        .read(|r| stagehand::league::player::get(r, ivan))
        .unwrap()
        .unwrap();
    assert_eq!(row.points, 33, "the #1 paid once");
    assert_eq!(row.pp, (gold.pp + 50.0).round() as u32);
    run
}

/// The league's story with every fault against the clean one.
#[test]
fn the_league_story_loses_nothing_doubles_nothing_and_retries_politely_under_faults() {
    let (clean, faulted) = side_by_side(league_story);
    faulted.report("league story", "osu!", &clean);
    faulted.matches(&clean, 5);
    assert!(
        faulted.outside <= clean.outside + faulted.outside_faults,
        "at most one more osu! request per failed one"
    );
}

/// A Discord outage longer than a delivery's tries loses nothing: the row that keeps failing
/// waits while Discord does not answer at all (the probe, `GET /gateway`, fails too), and goes
/// out once Discord is back.
#[tokio::test]
async fn an_outage_longer_than_a_deliverys_tries_loses_nothing() {
    let d = Desk::start_with(&[], &[]).await;
    let fake = d.fake.clone();
    settled(&fake).await;
    let notices = d.channel("request-announcements");
    let post = format!("POST /channels/{notices}/messages");
    for _ in 0..stagehand::discord::ATTEMPTS {
        fake.fail_next(&post, 503, None);
    }
    fake.fail_next("GET /api/v10/gateway", 503, None);
    assert_eq!(d.run("owner", "queue close", &[]).await, DONE);
    wait_for(
        "the notice after the outage",
        Duration::from_secs(40),
        || fake.messages(notices).len() == 1,
    )
    .await;
    let requests = fake.requests();
    let probes = requests
        .iter()
        .filter(|(m, p, _)| m == "GET" && p == "/api/v10/gateway");
    // After the start-up's own GET /gateway.
    let probes: Vec<u16> = probes.map(|r| r.2).skip_while(|s| *s == 200).collect();
    assert_eq!(probes, [503], "one probe, in the outage");
    let path = format!("/api/v10/channels/{notices}/messages");
    let tries = requests
        .iter()
        .filter(|(m, p, _)| m == "POST" && *p == path);
    assert_eq!(tries.count(), stagehand::discord::ATTEMPTS as usize + 1);
}

/// But a row that keeps failing while Discord answers is the trouble itself: dropped after its
/// tries, so the queue behind it moves on.
#[tokio::test]
async fn a_row_that_keeps_failing_while_discord_is_up_is_dropped() {
    let d = Desk::start_with(&[], &[]).await;
    let fake = d.fake.clone();
    settled(&fake).await;
    let notices = d.channel("request-announcements");
    let post = format!("POST /channels/{notices}/messages");
    for _ in 0..stagehand::discord::ATTEMPTS {
        fake.fail_next(&post, 500, None);
    }
    assert_eq!(d.run("owner", "queue close", &[]).await, DONE);
    assert_eq!(d.run("owner", "queue open", &[]).await, DONE);
    wait_for("the second notice", Duration::from_secs(40), || {
        fake.messages(notices).len() == 1
    })
    .await;
    let path = format!("/api/v10/channels/{notices}/messages");
    let tries = fake
        .requests()
        .iter()
        .filter(|(m, p, _)| m == "POST" && *p == path)
        .count();
    assert_eq!(
        tries,
        stagehand::discord::ATTEMPTS as usize + 1,
        "five tries of the first, one of the second"
    );
}

async fn wait_for(what: &str, within: Duration, mut condition: impl FnMut() -> bool) {
    let deadline = Instant::now() + within;
    while !condition() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}
