//! The crash soak (issue 25, "Prove"): a seeded, write-heavy mix on the fakes — `/request`
//! submissions, reviewers' opinions and moderators' resolutions through the widgets, `/usercd`
//! cooldowns, challenges and their answers from a DM, `/link` sign-ins, every one with its audit
//! event, and the manual clock moved past the challenges' deadlines — in [`KILLS`] rounds of one
//! to three actions, each ended by a SIGKILL of the server, at once or after a random pause of up
//! to 300 ms, and a restart. It checks:
//!
//! 1. every change the member was told was made (the answer Discord shows said so) is in the
//!    store after the kill, and at the end its messages are in Discord;
//! 2. after each restart, a widget posted before still answers a click;
//! 3. each deadline (a challenge's expiry) fired once: one notice to the challenger, its line
//!    edited once;
//! 4. Discord never holds two messages for one effect — though a kill after Discord took a post
//!    and before the outbox settled its row delivers the row again (its nonce has Discord hand
//!    back the first message; without it this test finds a handful of copies per run).
//!
//! It prints its seed and figures (`--nocapture`); `STAGEHAND_SOAK_SEED=<n>` replays a run's
//! choices, though not its timing.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use stagehand::league::League::Gold;
use stagehand::league::player::{self, Player};
use stagehand::league::rivalry::{self, Challenge, Status};
use stagehand::league::season;
use stagehand::outbox::{Posted, queue};
use stagehand::requests::cooldown::{self, Entity};
use stagehand::requests::model::{self, Author, Verdict, anchor};
use stagehand::store::{Read, Store, StoreError, StoreOptions};

use crate::support::discord::{Channel, FakeDiscord, Guild, Interaction, Member, Message, Reply};
use crate::support::gd::{FakeGd, Level, face};
use crate::support::osu::{self, FakeOsu};
use crate::support::{self, Server};

/// How many times the server is killed.
const KILLS: usize = 100;

/// The longest pause between the last step of a round and its kill.
const MAX_PAUSE_MS: u64 = 300;
/// The same when the round opened Stagehand's sign-in page, which takes about 300 ms in a debug
/// build (the code exchange and two osu! API calls) before it links.
const MAX_PAUSE_AFTER_SIGN_IN_MS: u64 = 700;

/// `challenge.expiry` by default: how far the clock moves to expire the pending challenges.
const EXPIRY: i64 = 10 * 60;

/// The desk's channels (`defaults/routes.toml`), the `rivals` channel and the log.
const CHANNELS: [&str; 8] = [
    "pending-requests",
    "request-resolutions",
    "approved-levels",
    "rejected-levels",
    "level-reviews",
    "request-archive",
    "stagehand-log",
    "rivals",
];

/// Members who request levels.
const REQUESTERS: [&str; 4] = ["anna", "ivan", "tim", "quinn"];
/// Members bound to `reviewer` (the admin is one by Discord's Administrator permission).
const REVIEWERS: [&str; 3] = ["kira", "max", "admin"];
/// Members bound to `gd_mod`.
const MODERATORS: [&str; 2] = ["max", "admin"];
/// Linked players of the Gold league, with DMs open.
const PLAYERS: [&str; 5] = ["ada", "bob", "eve", "fay", "gus"];
/// Members who only ever get cooldowns.
const TARGETS: [&str; 6] = ["t0", "t1", "t2", "t3", "t4", "t5"];
/// Members who link their osu! account, one after the other, and the page that says they did.
const NEWCOMERS: [&str; 12] = [
    "n0", "n1", "n2", "n3", "n4", "n5", "n6", "n7", "n8", "n9", "n10", "n11",
];
const LINKED: &str = "Your osu! account is linked";
/// The member whose cooldowns mark how far the outbox has got ([`Soak::drain`]).
const SENTINEL: &str = "sentinel";

/// Texts that stand for one effect each though they repeat: the challenger's expiry notice,
/// which names only the target (counted against the expired challenges in [`Soak::finish`]),
/// and what a challenge's DM is edited to once it is answered or over.
const REPEATING: [&str; 4] = [
    "did not answer your challenge in time",
    "This challenge expired",
    "You declined the challenge",
    "This challenge was revoked",
];

/// The first of the generated GD levels, all unrated with 5 stars requested.
const FIRST_LEVEL: u64 = 92_000_000;

/// xorshift64*: enough randomness for a mix, and a run replays from its seed.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }

    fn chance(&mut self, percent: u64) -> bool {
        self.below(100) < percent
    }

    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len() as u64) as usize]
    }
}

/// A change the member was told was made.
#[derive(Clone, Debug)]
enum Change {
    Request {
        id: u64,
        user: u64,
        level: u64,
    },
    Opinion {
        request: u64,
        reviewer: u64,
        verdict: Verdict,
    },
    Resolution {
        request: u64,
        moderator: u64,
    },
    Cooldown {
        user: u64,
        reason: String,
    },
    Challenge {
        challenger: u64,
        target: u64,
        pp: u32,
    },
    Answer {
        challenge: u64,
        accepted: bool,
    },
    Link {
        user: u64,
        osu: u64,
    },
}

impl Change {
    fn kind(&self) -> &'static str {
        match self {
            Change::Request { .. } => "requests",
            Change::Opinion { .. } => "opinions",
            Change::Resolution { .. } => "resolutions",
            Change::Cooldown { .. } => "cooldowns",
            Change::Challenge { .. } => "challenges",
            Change::Answer { .. } => "answers",
            Change::Link { .. } => "links",
        }
    }

    /// Whether the store holds it.
    fn stored(&self, r: &impl Read) -> Result<bool, StoreError> {
        Ok(match self {
            Change::Request { id, user, level } => model::get(r, *id)?
                .is_some_and(|q| q.author == Author::User(*user) && q.level.id == *level),
            Change::Opinion {
                request,
                reviewer,
                verdict,
            } => model::dossier(r, *request)?.is_some_and(|d| {
                d.opinions
                    .iter()
                    .any(|(who, o)| who == reviewer && o.verdict == *verdict)
            }),
            Change::Resolution { request, moderator } => model::dossier(r, *request)?
                .is_some_and(|d| d.resolutions.iter().any(|(who, _)| who == moderator)),
            Change::Cooldown { user, reason } => cooldown::history(r, Entity::User(*user))?
                .iter()
                .any(|h| h.reason.as_deref() == Some(reason.as_str())),
            Change::Challenge {
                challenger,
                target,
                pp,
            } => rivalry::of_player(r, *challenger)?
                .iter()
                .any(|(_, c)| c.target.discord_id == *target && c.pp == *pp),
            Change::Answer {
                challenge,
                accepted,
            } => rivalry::get(r, *challenge)?.is_some_and(|c| {
                if *accepted {
                    matches!(c.status, Status::Accepted | Status::Finished)
                } else {
                    c.status == Status::Declined
                }
            }),
            Change::Link { user, osu } => player::get(r, *user)?.is_some_and(|p| p.osu_id == *osu),
        })
    }
}

/// Reads the change an answer stands for from its text; `None` when it refused.
type Acked = Box<dyn Fn(&Reply) -> Option<Change> + Send>;

/// The last step of an action, whose answer, if the member saw one, tells whether the change
/// was made.
enum Step {
    /// An interaction, and the change its answer stands for, from its text.
    Asked { sent: Interaction, acked: Acked },
    /// The osu! sign-in's return to Stagehand's page: (status, page) once the browser has it.
    Opened {
        page: tokio::task::JoinHandle<Option<(u16, String)>>,
        change: Change,
    },
}

/// A request as the store held it at the last kill.
#[derive(Clone, Debug, Default)]
struct Known {
    resolved: bool,
    opined: Vec<u64>,
    resolvers: Vec<u64>,
    reviewers_widget: Option<Posted>,
    resolution_widget: Option<Posted>,
}

/// What the store held at the last kill.
#[derive(Default)]
struct World {
    requests: BTreeMap<u64, Known>,
    challenges: BTreeMap<u64, Challenge>,
}

struct Soak {
    guild: Guild,
    fake: FakeDiscord,
    _gd: FakeGd,
    osu: FakeOsu,
    server: Option<Server>,
    env: Vec<(String, String)>,
    dir: tempfile::TempDir,
    rng: Rng,
    /// How far the manual clock has moved: each boot starts its clock there.
    elapsed: i64,
    boots: usize,
    levels: u64,
    challenges: u32,
    links: usize,
    /// Actions so far: each one's texts carry its number.
    actions: u64,
    acked: Vec<Change>,
    world: World,
    /// What went wrong, for the panic at the end.
    lost: Vec<String>,
    /// Messages found more than once, with the most copies seen.
    duplicates: BTreeMap<String, usize>,
    /// Challenges that expired, and what was wrong with their notices.
    deadlines: usize,
    misfired: Vec<String>,
    /// What the servers logged as errors.
    errors: Vec<String>,
    /// Kills that found rows waiting in the outbox.
    kills_with_backlog: usize,
    widget_clicks: usize,
    drains: usize,
}

fn store_path(dir: &Path) -> PathBuf {
    dir.join("data").join("stagehand.redb")
}

/// Snowflake-like ids for the members the soak adds to the sample guild.
fn extra_id(guild: &Guild, n: u64) -> u64 {
    guild.id + ((500 + n) << 22)
}

fn osu_id(i: usize) -> u64 {
    30_000_000 + i as u64
}

/// The osu! account of the `i`th newcomer: ranked in Gold.
fn newcomer_osu_id(i: usize) -> u64 {
    31_000_000 + i as u64
}

fn seeded(id: u64, i: usize, name: &str, linked: i64) -> Player {
    Player {
        discord_id: id,
        discord_name: name.into(),
        osu_id: osu_id(i),
        osu_username: format!("osu_{name}"),
        pp: 4000,
        global_rank: Some(50_000),
        play_time_secs: 360_000,
        ii: 1.0,
        league: Gold,
        future_league: Gold,
        initial_pp: 4000,
        linked_at: linked,
        top_play: None,
        points: 0,
        seasonal_points: 0,
    }
}

impl Soak {
    async fn start(seed: u64) -> Soak {
        let mut guild = Guild::sample();
        let mut n = 0;
        for name in CHANNELS {
            n += 1;
            guild.channels.push(Channel {
                id: extra_id(&guild, n),
                name: name.into(),
            });
        }
        let gold = guild.role("Gold");
        let members = PLAYERS.iter().chain(&TARGETS).chain(&NEWCOMERS);
        for name in members.chain(&[SENTINEL]) {
            n += 1;
            let roles = if PLAYERS.contains(name) {
                vec![gold]
            } else {
                Vec::new()
            };
            guild.members.push(Member {
                id: extra_id(&guild, n),
                name: (*name).into(),
                roles,
                nick: None,
                dms_open: true,
            });
        }
        let fake = FakeDiscord::start(guild.clone()).await;
        let gd = FakeGd::start().await;
        gd.add_levels((0..400).map(|i| Level {
            id: FIRST_LEVEL + i,
            name: format!("Soak {i}"),
            creator_player_id: 5_000_003,
            creator_name: "RobotTiles".into(),
            account_id: 1_700_001,
            difficulty: face::HARD,
            requested_stars: 5,
            ..Level::default()
        }));
        let fake_osu = FakeOsu::start().await;
        let account = |id: u64, name: &str| osu::Player {
            id,
            username: format!("osu_{name}"),
            country: "RU".into(),
            global_rank: Some(50_000),
            pp: 4000.0,
            restricted: false,
            play_time: 360_000,
            best_scores: Vec::new(),
        };
        let players = PLAYERS.iter().enumerate();
        fake_osu.add_players(players.map(|(i, name)| account(osu_id(i), name)));
        let newcomers = NEWCOMERS.iter().enumerate();
        fake_osu.add_players(newcomers.map(|(i, name)| account(newcomer_osu_id(i), name)));
        let dir = tempfile::tempdir().unwrap();
        let linked = support::FAKE_CLOCK_START - 30 * 86_400;
        let store = Store::open(&store_path(dir.path()), &StoreOptions::default()).unwrap();
        store
            .write(|w| {
                for (i, name) in PLAYERS.iter().enumerate() {
                    let player = seeded(guild.user(name), i, name, linked);
                    player::link(w, &player, linked)
                        .map_err(|e| StoreError::Storage(e.to_string()))?;
                }
                season::open(w, linked)
            })
            .unwrap();
        drop(store);
        let mut env = support::league_env(dir.path(), &fake, &guild, &fake_osu);
        env.retain(|(key, _)| key != "STAGEHAND_LOG_FILTER");
        env.push(("STAGEHAND_LOG_FILTER".into(), "warn".into()));
        env.push((
            "STAGEHAND_GD_BASE_URL".into(),
            format!("{}/database", gd.base_url()),
        ));
        let mut soak = Soak {
            guild,
            fake,
            _gd: gd,
            osu: fake_osu,
            server: None,
            env,
            dir,
            rng: Rng(seed.max(1)),
            elapsed: 0,
            boots: 0,
            levels: 0,
            challenges: 0,
            links: 0,
            actions: 0,
            acked: Vec::new(),
            world: World::default(),
            lost: Vec::new(),
            duplicates: BTreeMap::new(),
            deadlines: 0,
            misfired: Vec::new(),
            errors: Vec::new(),
            kills_with_backlog: 0,
            widget_clicks: 0,
            drains: 0,
        };
        soak.boot().await;
        soak.fake.wait_ready().await;
        soak.fake
            .wait_until("command registration", |f| f.command_registrations() >= 1)
            .await;
        for (flag, role) in [
            ("reviewer", "Reviewer"),
            ("gd_mod", "GD Moderator"),
            ("ban_users", "GD Moderator"),
        ] {
            let role = json!(soak.guild.role(role).to_string());
            let options = [("permission", json!(flag)), ("role", role)];
            assert_eq!(
                soak.says("admin", "permission bind", &options).await,
                "Done."
            );
        }
        for (name, value) in [
            ("cooldown.post_request_user_cd", "0"),
            ("queue.block_enabled", "false"),
            ("challenge.max_active", "50"),
            ("challenge.pair_cooldown", "0"),
            ("sync.interval", "0"),
        ] {
            let options = [("parameter", json!(name)), ("new_value", json!(value))];
            assert_eq!(soak.says("admin", "parameter set", &options).await, "Done.");
        }
        soak
    }

    /// Starts the server with its manual clock where the last one stopped, and waits until it
    /// has identified on the gateway.
    async fn boot(&mut self) {
        self.boots += 1;
        self.server = Some(Server::start_later(
            self.dir.path(),
            &self.env,
            self.elapsed,
        ));
        let nth = self.boots;
        self.fake
            .wait_until("the bot identifies", |f| f.identifies() >= nth)
            .await;
    }

    fn id(&self, name: &str) -> u64 {
        self.guild.user(name)
    }

    fn channel(&self, name: &str) -> u64 {
        self.guild.channel(name)
    }

    /// `user` runs `command` and waits for the private reply.
    async fn says(&self, user: &str, command: &str, options: &[(&str, Value)]) -> String {
        let reply = self
            .fake
            .invoke(self.id(user), command, options, "en-US")
            .await
            .response()
            .await;
        reply.content
    }

    /// One action of the mix, chosen at random among those the last known state allows; its
    /// last step, if it got that far.
    async fn act(&mut self) -> Option<Step> {
        loop {
            self.actions += 1;
            let token = self.actions;
            let step = match self.rng.below(15) {
                0..=2 => self.request(token).await,
                3..=5 => self.opinion(token).await,
                6..=7 => self.resolution(token).await,
                8..=9 => self.cooldown(token).await,
                10..=11 => self.challenge().await,
                12 => self.answer().await,
                13 => self.link().await,
                _ => return self.advance_clock().await,
            };
            if step.is_some() {
                return step;
            }
        }
    }

    /// A member requests a fresh level and submits the form.
    async fn request(&mut self, token: u64) -> Option<Step> {
        let name = *self.rng.pick(&REQUESTERS);
        let user = self.id(name);
        let level = FIRST_LEVEL + self.levels;
        self.levels += 1;
        let options = [("level_id", json!(level))];
        let asked = self
            .fake
            .invoke(user, "request create", &options, "en-US")
            .await;
        let form = asked.modal().await?["custom_id"]
            .as_str()
            .unwrap()
            .to_string();
        let comment = format!("soak request {token}");
        let sent = self
            .fake
            .submit_modal(user, &form, &[("comment", &comment)], "en-US")
            .await;
        let acked = move |reply: &Reply| {
            let rest = reply.content.split("(request ").nth(1)?;
            let id = rest.split(')').next()?.parse().ok()?;
            Some(Change::Request { id, user, level })
        };
        Some(Step::Asked {
            sent,
            acked: Box::new(acked),
        })
    }

    /// A reviewer gives an opinion on a pending request from its Reviewer's Widget: at once,
    /// or through the form.
    async fn opinion(&mut self, token: u64) -> Option<Step> {
        let reviewers: Vec<u64> = REVIEWERS.iter().map(|n| self.id(n)).collect();
        let open: Vec<(u64, u64, Posted)> = self
            .world
            .requests
            .iter()
            .filter(|(_, k)| !k.resolved)
            .filter_map(|(id, k)| {
                let widget = k.reviewers_widget?;
                let free = reviewers.iter().find(|r| !k.opined.contains(r))?;
                Some((*id, *free, widget))
            })
            .collect();
        if open.is_empty() {
            return None;
        }
        let (request, reviewer, widget) = *self.rng.pick(&open);
        let message = self.fake.message(widget.message)?;
        let kind = *self
            .rng
            .pick(&["approve", "approve_review", "reject", "reject_review"]);
        let verdict = if kind.starts_with("approve") {
            Verdict::Approve
        } else {
            Verdict::Reject
        };
        let custom_id = format!("v1:req:opinion:{request}:{kind}");
        let clicked = self
            .fake
            .try_click(reviewer, &message, &custom_id, "en-US")
            .ok()?;
        let sent = if kind == "approve" {
            clicked
        } else {
            clicked.modal().await?;
            let review = format!("Soak review {token}: steady gameplay, fair sync, clean deco.");
            let reason = format!("soak opinion {token}");
            let fields: &[(&str, &str)] = match kind {
                "approve_review" => &[("review", &review)],
                "reject" => &[("reason", &reason)],
                _ => &[("review", &review), ("reason", &reason)],
            };
            let form = format!("v1:req:opinion_form:{request}:{kind}");
            self.fake
                .submit_modal(reviewer, &form, fields, "en-US")
                .await
        };
        let acked = move |reply: &Reply| {
            (reply.content == "Done.").then_some(Change::Opinion {
                request,
                reviewer,
                verdict,
            })
        };
        Some(Step::Asked {
            sent,
            acked: Box::new(acked),
        })
    }

    /// A GD moderator resolves a request from its Resolution Widget.
    async fn resolution(&mut self, token: u64) -> Option<Step> {
        let moderators: Vec<u64> = MODERATORS.iter().map(|n| self.id(n)).collect();
        let open: Vec<(u64, u64, Posted)> = self
            .world
            .requests
            .iter()
            .filter_map(|(id, k)| {
                let widget = k.resolution_widget?;
                let free = moderators.iter().find(|m| !k.resolvers.contains(m))?;
                Some((*id, *free, widget))
            })
            .collect();
        if open.is_empty() {
            return None;
        }
        let (request, moderator, widget) = *self.rng.pick(&open);
        let message = self.fake.message(widget.message)?;
        let grade = *self.rng.pick(&["starrate", "featured", "epic", "reject"]);
        let custom_id = format!("v1:req:resolve:{request}:{grade}");
        let clicked = self
            .fake
            .try_click(moderator, &message, &custom_id, "en-US")
            .ok()?;
        clicked.modal().await?;
        let reason = format!("soak verdict {token}");
        let form = format!("v1:req:resolve_form:{request}:{grade}");
        let sent = self
            .fake
            .submit_modal(moderator, &form, &[("reason", &reason)], "en-US")
            .await;
        let acked = move |reply: &Reply| {
            (reply.content == "Done.").then_some(Change::Resolution { request, moderator })
        };
        Some(Step::Asked {
            sent,
            acked: Box::new(acked),
        })
    }

    /// A moderator puts a member on a short cooldown.
    async fn cooldown(&mut self, token: u64) -> Option<Step> {
        let name = *self.rng.pick(&TARGETS);
        let target = self.id(name);
        let secs = 30 + self.rng.below(900);
        let reason = format!("soak cooldown {token}");
        let options = [
            ("user", json!(target.to_string())),
            ("duration", json!(format!("{secs}s"))),
            ("reason", json!(reason)),
        ];
        let sent = self
            .fake
            .invoke(self.id("max"), "usercd update", &options, "en-US")
            .await;
        let acked = move |reply: &Reply| {
            (reply.content == "Done.").then(|| Change::Cooldown {
                user: target,
                reason: reason.clone(),
            })
        };
        Some(Step::Asked {
            sent,
            acked: Box::new(acked),
        })
    }

    /// A player challenges another for a stake no other challenge has.
    async fn challenge(&mut self) -> Option<Step> {
        let challenger = self.rng.below(PLAYERS.len() as u64) as usize;
        let target =
            (challenger + 1 + self.rng.below(PLAYERS.len() as u64 - 1) as usize) % PLAYERS.len();
        let (challenger, target) = (self.id(PLAYERS[challenger]), self.id(PLAYERS[target]));
        let pp = 250 + self.challenges;
        self.challenges += 1;
        let options = [("player", json!(target.to_string())), ("pp", json!(pp))];
        let sent = self
            .fake
            .invoke(challenger, "challenge", &options, "en-US")
            .await;
        let acked = move |reply: &Reply| {
            reply
                .content
                .starts_with("⚔️")
                .then_some(Change::Challenge {
                    challenger,
                    target,
                    pp,
                })
        };
        Some(Step::Asked {
            sent,
            acked: Box::new(acked),
        })
    }

    /// A challenged player accepts or declines from the DM's buttons.
    async fn answer(&mut self) -> Option<Step> {
        let pending: Vec<(u64, u64)> = self
            .world
            .challenges
            .iter()
            .filter(|(_, c)| c.status == Status::Pending)
            .map(|(id, c)| (*id, c.target.discord_id))
            .collect();
        if pending.is_empty() {
            return None;
        }
        let (challenge, target) = *self.rng.pick(&pending);
        let accept = format!("v1:rival:answer:{challenge}:accept");
        let dm = self.fake.dms(target).into_iter().find(|m| {
            m.components
                .iter()
                .flat_map(|row| row["components"].as_array().cloned().unwrap_or_default())
                .any(|b| b["custom_id"] == accept.as_str())
        })?;
        let accepted = self.rng.chance(50);
        let custom_id = if accepted {
            accept
        } else {
            format!("v1:rival:answer:{challenge}:decline")
        };
        let sent = self.fake.try_click(target, &dm, &custom_id, "en-US").ok()?;
        let acked = move |reply: &Reply| {
            let done = if accepted { "✅" } else { "🚫" };
            reply.content.starts_with(done).then_some(Change::Answer {
                challenge,
                accepted,
            })
        };
        Some(Step::Asked {
            sent,
            acked: Box::new(acked),
        })
    }

    /// A newcomer links their osu! account: `/link`, osu!'s consent page, and back to
    /// Stagehand's page, which the kill may interrupt.
    async fn link(&mut self) -> Option<Step> {
        let i = self.links;
        let name = *NEWCOMERS.get(i)?;
        self.links += 1;
        let user = self.id(name);
        let reply = self
            .fake
            .invoke(user, "link", &[], "en-US")
            .await
            .response()
            .await;
        let url = reply.components.first()?["components"][0]["url"]
            .as_str()?
            .to_string();
        let osu = newcomer_osu_id(i);
        self.osu.login_as(osu);
        let consent = support::client().get(&url).send().await.unwrap();
        assert_eq!(consent.status(), 302, "osu! sends the browser back");
        let back = consent.headers()["location"].to_str().unwrap();
        let back = back.replace("localhost", "127.0.0.1");
        let page = tokio::spawn(async move {
            let response = support::client().get(&back).send().await.ok()?;
            let status = response.status().as_u16();
            Some((status, response.text().await.ok()?))
        });
        Some(Step::Opened {
            page,
            change: Change::Link { user, osu },
        })
    }

    /// Moves the clock past the pending challenges' deadlines and the short cooldowns; the kill
    /// then lands while they expire. Not a step: nothing to acknowledge.
    async fn advance_clock(&mut self) -> Option<Step> {
        let secs = EXPIRY + 1;
        self.server.as_ref().unwrap().advance_clock(secs).await;
        self.elapsed += secs;
        None
    }

    /// Kills the server, sees which steps were answered as done, checks the store holds every
    /// change ever acknowledged, and learns the state the next actions start from.
    async fn kill(&mut self, steps: Vec<Step>) {
        let (status, _, stderr) = self.server.take().unwrap().stop_with("KILL");
        self.note_errors(&stderr);
        assert!(!status.success(), "SIGKILL ends the server");
        for step in steps {
            let acked = match step {
                Step::Asked { sent, acked } => sent.answered().and_then(|reply| acked(&reply)),
                Step::Opened { page, change } => {
                    // The server is gone: the page arrived, or its connection failed.
                    let opened = tokio::time::timeout(Duration::from_secs(5), page).await;
                    let linked = opened
                        .ok()
                        .and_then(Result::ok)
                        .flatten()
                        .is_some_and(|(status, page)| status == 200 && page.contains(LINKED));
                    linked.then_some(change)
                }
            };
            self.acked.extend(acked);
        }
        let store = Store::open(&store_path(self.dir.path()), &StoreOptions::default())
            .unwrap_or_else(|e| panic!("the store after a SIGKILL: {e:#}"));
        let world = store
            .read(|r| {
                check_stored(r, &self.acked, &mut self.lost)?;
                if !queue::queued(r)?.is_empty() {
                    self.kills_with_backlog += 1;
                }
                read_world(r, &self.guild)
            })
            .unwrap();
        self.world = world;
    }

    /// Notes what a server logged as an error, or a panic: none is expected.
    fn note_errors(&mut self, stderr: &str) {
        let errors = stderr
            .lines()
            .filter(|l| l.contains("ERROR") || l.contains("panicked"));
        self.errors.extend(errors.map(str::to_string));
    }

    /// Every message the bot posted, by channel (DMs and threads included), except the
    /// answers to interactions in `general`.
    fn posts(&self) -> Vec<(u64, Message)> {
        let mut channels: Vec<u64> = CHANNELS.iter().map(|c| self.channel(c)).collect();
        channels.push(self.channel("welcome"));
        for name in PLAYERS.iter().chain(&REQUESTERS).chain(&REVIEWERS) {
            let dms = self.fake.dms(self.id(name));
            if let Some(first) = dms.first() {
                channels.push(first.channel_id);
            }
        }
        let mut threads = Vec::new();
        for channel in &channels {
            threads.extend(self.fake.threads(*channel).into_iter().map(|t| t.id));
        }
        channels.extend(threads);
        channels
            .into_iter()
            .flat_map(|c| self.fake.messages(c).into_iter().map(move |m| (c, m)))
            .filter(|(_, m)| m.author_id == FakeDiscord::APPLICATION_ID)
            .collect()
    }

    /// Invariant 4: no two messages for one effect. Every post of the mix is unique by its
    /// channel, content and embeds' titles (stakes, tokens, members and request ids differ),
    /// except the texts of [`REPEATING`].
    fn check_duplicates(&mut self) {
        let mut seen: HashMap<(u64, String, String), usize> = HashMap::new();
        for (channel, m) in self.posts() {
            if REPEATING.iter().any(|text| m.content.contains(text)) {
                continue;
            }
            let titles: Vec<&str> = m
                .embeds
                .iter()
                .map(|e| e["title"].as_str().unwrap_or(""))
                .collect();
            *seen
                .entry((channel, m.content.clone(), titles.join("|")))
                .or_default() += 1;
        }
        for ((channel, content, titles), count) in seen {
            if count > 1 {
                let found = format!("in {channel}: {content:?} {titles:?}");
                let most = self.duplicates.entry(found).or_default();
                *most = (*most).max(count);
            }
        }
    }

    /// Invariant 2: a widget posted before the restarts answers a click (one that only opens a
    /// form, or is refused, so it changes nothing).
    async fn click_a_widget(&mut self) {
        let mut widgets: Vec<(Posted, String, &str)> = Vec::new();
        for (id, k) in &self.world.requests {
            if let Some(place) = k.reviewers_widget {
                widgets.push((place, format!("v1:req:opinion:{id}:reject"), "kira"));
            }
            if let Some(place) = k.resolution_widget {
                widgets.push((place, format!("v1:req:resolve:{id}:starrate"), "max"));
            }
        }
        if widgets.is_empty() {
            return;
        }
        let (place, custom_id, user) = self.rng.pick(&widgets).clone();
        let Some(message) = self.fake.message(place.message) else {
            return;
        };
        let Ok(clicked) = self
            .fake
            .try_click(self.id(user), &message, &custom_id, "en-US")
        else {
            return;
        };
        if clicked.modal().await.is_none() {
            let reply = clicked.response().await;
            assert!(reply.ephemeral, "{custom_id}: {}", reply.content);
        }
        self.widget_clicks += 1;
    }

    /// Waits until everything queued so far is delivered: a cooldown's audit post waits behind
    /// every other effect (the `log` route's queue is delivered once the main queue is empty).
    async fn drain(&mut self) {
        self.drains += 1;
        let reason = format!("soak drain {}", self.drains);
        let options = [
            ("user", json!(self.id(SENTINEL).to_string())),
            ("duration", json!("1s")),
            ("reason", json!(reason)),
        ];
        let done = self.says("max", "usercd update", &options).await;
        assert_eq!(done, "Done.");
        let log = self.channel("stagehand-log");
        self.fake
            .wait_until(&format!("the log post of {reason:?}"), |f| {
                f.messages(log).iter().any(|m| m.content.contains(&reason))
            })
            .await;
    }

    /// After the last restart: everything acknowledged is in Discord, each expired challenge
    /// was announced once, and nothing is there twice.
    async fn finish(&mut self) {
        // The cooldowns, as the server tells them after all the restarts and clock moves.
        let mut described = Vec::new();
        for name in TARGETS {
            let options = [("user", json!(self.id(name).to_string()))];
            described.push(self.says("max", "usercd describe", &options).await);
        }
        let now = support::FAKE_CLOCK_START + self.elapsed;
        let mut active = Vec::new();
        // Until the store's outbox is empty: deliver everything, then stop cleanly.
        loop {
            self.drain().await;
            let stderr = self.server.take().unwrap().stop();
            self.note_errors(&stderr);
            let store = Store::open(&store_path(self.dir.path()), &StoreOptions::default());
            let (world, waiting) = store
                .unwrap()
                .read(|r| {
                    check_stored(r, &self.acked, &mut self.lost)?;
                    active.clear();
                    for name in TARGETS {
                        let entity = Entity::User(self.guild.user(name));
                        active.push(cooldown::active(r, entity, now)?.is_some());
                    }
                    Ok((read_world(r, &self.guild)?, queue::queued(r)?.len()))
                })
                .unwrap();
            self.world = world;
            if waiting == 0 {
                break;
            }
            self.boot().await;
        }
        self.check_duplicates();
        let posts = self.posts();
        let in_channel = |name: &str| -> Vec<&Message> {
            let channel = self.channel(name);
            posts
                .iter()
                .filter(|(c, _)| *c == channel)
                .map(|(_, m)| m)
                .collect()
        };
        let titled = |name: &str, id: u64| -> Vec<&Message> {
            let title = format!("Request {id}");
            in_channel(name)
                .into_iter()
                .filter(|m| m.embeds.iter().any(|e| e["title"] == title.as_str()))
                .collect()
        };
        let field = |m: &Message, name: &str| -> String {
            let fields = m.embeds[0]["fields"]
                .as_array()
                .cloned()
                .unwrap_or_default();
            let found = fields.iter().find(|f| f["name"] == name);
            found.map_or(String::new(), |f| f["value"].as_str().unwrap_or("").into())
        };
        let mut lost = Vec::new();
        for change in &self.acked {
            let visible = match change {
                Change::Request { id, .. } => {
                    titled("pending-requests", *id).len() + titled("request-archive", *id).len() > 0
                }
                Change::Opinion {
                    request, reviewer, ..
                } => titled("request-resolutions", *request)
                    .iter()
                    .any(|m| field(m, "Consensus").contains(&format!("<@{reviewer}>"))),
                Change::Resolution { request, moderator } => {
                    titled("request-resolutions", *request)
                        .iter()
                        .any(|m| field(m, "Resolutions").contains(&format!("<@{moderator}>")))
                }
                Change::Cooldown { reason, .. } => in_channel("stagehand-log")
                    .iter()
                    .any(|m| m.content.contains(reason.as_str())),
                Change::Challenge { pp, .. } => in_channel("rivals")
                    .iter()
                    .any(|m| m.content.contains(&format!("**{pp}PP**"))),
                Change::Answer {
                    challenge,
                    accepted,
                } => self.world.challenges.get(challenge).is_some_and(|c| {
                    let stake = format!("**{}PP**", c.pp);
                    let now = if *accepted {
                        "⚔️ In progress"
                    } else {
                        "🚫 Declined"
                    };
                    in_channel("rivals")
                        .iter()
                        .any(|m| m.content.contains(&stake) && m.content.ends_with(now))
                }),
                Change::Link { user, .. } => {
                    let member = self.fake.member(*user);
                    let gold = self.guild.role("Gold");
                    let welcome = format!("<@{user}>, you have been assigned to the Gold league.");
                    member.roles.contains(&gold)
                        && member.nick.is_some_and(|n| n.starts_with("osu_"))
                        && in_channel("welcome").iter().any(|m| m.content == welcome)
                }
            };
            if !visible {
                lost.push(format!("acknowledged but never shown: {change:?}"));
            }
        }
        // Invariant 3: each expired challenge was announced once to its challenger, and its
        // line says so; each cooldown is over or not as the store and the clock have it.
        let mut wrong = Vec::new();
        for ((name, said), on) in TARGETS.iter().zip(&described).zip(active) {
            let mention = format!("<@{}>", self.id(name));
            let expected = if on {
                format!("{mention} is on cooldown.")
            } else {
                format!("{mention} is not on cooldown.")
            };
            if !said.starts_with(&expected) {
                wrong.push(format!(
                    "{name}: the server says {said:?}, the store {expected:?}"
                ));
            }
        }
        let mut expired: HashMap<(u64, u64), usize> = HashMap::new();
        for c in self.world.challenges.values() {
            if c.status == Status::Expired {
                *expired
                    .entry((c.challenger.discord_id, c.target.discord_id))
                    .or_default() += 1;
                let stake = format!("**{}PP**", c.pp);
                let lines: Vec<&str> = in_channel("rivals")
                    .into_iter()
                    .filter(|m| m.content.contains(&stake))
                    .map(|m| m.content.as_str())
                    .collect();
                if lines.len() != 1 || !lines[0].ends_with("⌛ Expired") {
                    wrong.push(format!("the line of an expired challenge: {lines:?}"));
                }
            }
        }
        for name in PLAYERS {
            let challenger = self.id(name);
            for target in PLAYERS.map(|t| self.id(t)) {
                let notice = format!("⌛ <@{target}> did not answer your challenge in time");
                let told = self
                    .fake
                    .dms(challenger)
                    .iter()
                    .filter(|m| m.content.starts_with(&notice))
                    .count();
                let due = expired.get(&(challenger, target)).copied().unwrap_or(0);
                if told != due {
                    wrong.push(format!(
                        "{name} was told {told}× that <@{target}> did not answer; {due} expired"
                    ));
                }
            }
        }
        self.lost.extend(lost);
        self.deadlines = expired.values().sum();
        self.misfired = wrong;
    }
}

/// Invariant 1: notes in `lost` each acknowledged change the store does not hold.
fn check_stored(r: &impl Read, acked: &[Change], lost: &mut Vec<String>) -> Result<(), StoreError> {
    for change in acked {
        let missing = format!("acknowledged but not stored: {change:?}");
        if !change.stored(r)? && !lost.contains(&missing) {
            lost.push(missing);
        }
    }
    Ok(())
}

/// The requests and challenges in the store.
fn read_world(r: &impl Read, guild: &Guild) -> Result<World, StoreError> {
    let mut world = World::default();
    for id in 1.. {
        let Some(dossier) = model::dossier(r, id)? else {
            break;
        };
        let known = Known {
            resolved: !dossier.resolutions.is_empty(),
            opined: dossier.opinions.iter().map(|(who, _)| *who).collect(),
            resolvers: dossier.resolutions.iter().map(|(who, _)| *who).collect(),
            reviewers_widget: queue::posted(r, &anchor::reviewers(id))?,
            resolution_widget: queue::posted(r, &anchor::resolution(id))?,
        };
        world.requests.insert(id, known);
    }
    for name in PLAYERS {
        for (id, challenge) in rivalry::of_player(r, guild.user(name))? {
            world.challenges.insert(id, challenge);
        }
    }
    Ok(world)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kill_9_a_hundred_times_in_a_write_heavy_mix_loses_and_repeats_nothing() {
    let started = Instant::now();
    let seed = std::env::var("STAGEHAND_SOAK_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| {
            let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH);
            now.map_or(1, |d| d.as_nanos() as u64)
        });
    println!("soak: seed {seed} (STAGEHAND_SOAK_SEED={seed} replays it)");
    let mut soak = Soak::start(seed).await;
    for _ in 0..KILLS {
        let mut steps = Vec::new();
        for _ in 0..=soak.rng.below(3) {
            if let Some(step) = soak.act().await {
                steps.push(step);
            }
        }
        if soak.rng.chance(70) {
            let signed_in = steps.iter().any(|s| matches!(s, Step::Opened { .. }));
            let longest = if signed_in {
                MAX_PAUSE_AFTER_SIGN_IN_MS
            } else {
                MAX_PAUSE_MS
            };
            let pause = soak.rng.below(longest + 1);
            tokio::time::sleep(Duration::from_millis(pause)).await;
        }
        soak.kill(steps).await;
        soak.boot().await;
        soak.check_duplicates();
        soak.click_a_widget().await;
    }
    soak.finish().await;
    println!(
        "soak: kills {KILLS}, changes checked {}, lost {}, duplicates {}",
        soak.acked.len(),
        soak.lost.len(),
        soak.duplicates.len(),
    );
    let mut kinds: BTreeMap<&str, usize> = BTreeMap::new();
    for change in &soak.acked {
        *kinds.entry(change.kind()).or_default() += 1;
    }
    println!("soak: changes {kinds:?}");
    println!(
        "soak: {} challenge expiries and {} cooldown ends checked, {} misfired; {} errors logged; {} kills found deliveries waiting; {} widget clicks after restarts; {} copies Discord dropped by nonce; {:.0} s",
        soak.deadlines,
        TARGETS.len(),
        soak.misfired.len(),
        soak.errors.len(),
        soak.kills_with_backlog,
        soak.widget_clicks,
        soak.fake.nonce_replays(),
        started.elapsed().as_secs_f64(),
    );
    let duplicates: Vec<String> = soak
        .duplicates
        .iter()
        .map(|(found, copies)| format!("{copies}× {found}"))
        .collect();
    let problems = [
        ("lost", &soak.lost),
        ("duplicates", &duplicates),
        ("misfired deadlines", &soak.misfired),
        ("errors the server logged", &soak.errors),
    ];
    let found: Vec<String> = problems
        .iter()
        .filter(|(_, list)| !list.is_empty())
        .map(|(what, list)| format!("{what}:\n  {}", list.join("\n  ")))
        .collect();
    assert!(found.is_empty(), "seed {seed}:\n{}", found.join("\n"));
}
