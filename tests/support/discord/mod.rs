//! A fake Discord for end-to-end tests: the REST API (`/api/v10/...`) and the gateway websocket
//! on one loopback port, with state that a test drives like a person and reads back.
//!
//! ```ignore
//! let guild = Guild::sample();
//! let discord = FakeDiscord::start(guild.clone()).await;
//! // the bot: HttpBuilder::new(FakeDiscord::TOKEN).proxy(discord.api_url()).ratelimiter_disabled(true)
//! discord.wait_ready().await;
//! let asked = discord.invoke(guild.user("anna"), "request create", &[("level", json!(128))], "en-US").await;
//! let reply = asked.response().await;
//! let clicked = discord.click(guild.user("kira"), &reply.message, "Approve", "en-US").await;
//! ```
//!
//! Two ways for serenity to reach it:
//! - `HttpBuilder::proxy(api_url())` with `.ratelimiter_disabled(true)`: serenity's ratelimiter
//!   builds its requests without the proxy, so with the ratelimiter on they would go to the real
//!   discord.com.
//! - `HttpBuilder::client(fake.http_client())` and no proxy: requests go to `https://discord.com`
//!   through an HTTP CONNECT tunnel that ends here, so serenity's ratelimiter (and its handling
//!   of 429s) runs against the fake.
//!
//! The fake rejects what Discord rejects, with Discord's status codes and JSON error bodies
//! (`limits.rs` is the oracle), keeps every request (`requests()`), and injects faults
//! (`fail_next`, `stall_next`, `drop_gateway`), noting a request sent again before its 429's
//! `retry_after` had passed (`early_requests()`). Waiting is done on change notifications with timeouts that
//! panic with what was expected and the requests seen so far.

mod gateway;
mod limits;
mod model;
mod rest;
mod state;

use std::sync::Arc;
use std::time::Duration;

use serde_json::{Value, json};
use tokio::net::TcpListener;

use state::{EPHEMERAL, InteractionRec, LOADING, MessageRec, Outgoing, Shared, State};
pub use state::{Pinged, Stall};

/// How long the initial response and `@original` edits are awaited.
const RESPONSE_TIMEOUT: Duration = Duration::from_secs(5);
/// How long the bot has to connect, or to post the messages a test waits for.
const BOT_TIMEOUT: Duration = Duration::from_secs(15);

#[derive(Clone, Debug)]
pub struct Role {
    pub id: u64,
    pub name: String,
    /// Discord permission bits.
    pub permissions: u64,
}

#[derive(Clone, Debug)]
pub struct Channel {
    pub id: u64,
    pub name: String,
}

#[derive(Clone, Debug)]
pub struct Member {
    pub id: u64,
    pub name: String,
    pub roles: Vec<u64>,
    pub nick: Option<String>,
    /// `false`: the user blocks DMs from server members, and Discord answers 50007.
    pub dms_open: bool,
}

/// The home guild. Roles are in hierarchy order: the first is `@everyone` (its id is the
/// guild's), later ones rank higher. The bot is the member whose id is
/// [`FakeDiscord::APPLICATION_ID`]; its first role is its managed role, and it can only manage
/// roles and members ranked below its highest role.
#[derive(Clone, Debug)]
pub struct Guild {
    pub id: u64,
    pub owner: u64,
    pub roles: Vec<Role>,
    pub channels: Vec<Channel>,
    pub members: Vec<Member>,
}

/// Permission bits used by the sample guild.
mod permission {
    pub const ADMINISTRATOR: u64 = 1 << 3;
    pub const ADD_REACTIONS: u64 = 1 << 6;
    pub const VIEW_CHANNEL: u64 = 1 << 10;
    pub const SEND_MESSAGES: u64 = 1 << 11;
    pub const MANAGE_MESSAGES: u64 = 1 << 13;
    pub const EMBED_LINKS: u64 = 1 << 14;
    pub const ATTACH_FILES: u64 = 1 << 15;
    pub const READ_MESSAGE_HISTORY: u64 = 1 << 16;
    pub const CHANGE_NICKNAME: u64 = 1 << 26;
    pub const MANAGE_NICKNAMES: u64 = 1 << 27;
    pub const MANAGE_ROLES: u64 = 1 << 28;
    pub const USE_APPLICATION_COMMANDS: u64 = 1 << 31;
    pub const MANAGE_THREADS: u64 = 1 << 34;
    pub const CREATE_PUBLIC_THREADS: u64 = 1 << 35;
    pub const SEND_MESSAGES_IN_THREADS: u64 = 1 << 38;
    pub const MODERATE_MEMBERS: u64 = 1 << 40;
}

impl Guild {
    /// A small community: the owner, an admin, reviewers, a GD moderator, a trainee, plain
    /// members (one Russian-speaking, one with closed DMs) and the bot, the osu! league's roles
    /// (`Novice` … `Master`, `Participant`, `Inactive`), with channels `general`, `requests`,
    /// `reviews`, `log`, `league`, `announcements` and `welcome`.
    pub fn sample() -> Guild {
        use permission::*;
        // Snowflakes a millisecond apart, like ids Discord hands out.
        let id = |n: u64| 1_183_412_337_650_210_816 + (n << 22);
        let everyone = VIEW_CHANNEL
            | SEND_MESSAGES
            | EMBED_LINKS
            | ATTACH_FILES
            | ADD_REACTIONS
            | READ_MESSAGE_HISTORY
            | CHANGE_NICKNAME
            | USE_APPLICATION_COMMANDS
            | CREATE_PUBLIC_THREADS
            | SEND_MESSAGES_IN_THREADS;
        let bot = everyone | MANAGE_ROLES | MANAGE_NICKNAMES | MANAGE_MESSAGES | MANAGE_THREADS;
        let role = |n, name: &str, permissions| Role {
            id: id(n),
            name: name.into(),
            permissions,
        };
        let mut roles = vec![
            role(0, "@everyone", everyone),
            role(1, "Russian", 0),
            role(2, "Trainee", 0),
            role(3, "Reviewer", 0),
            role(
                4,
                "GD Moderator",
                MANAGE_MESSAGES | MANAGE_THREADS | MODERATE_MEMBERS,
            ),
        ];
        // The osu! league's roles, below the bot's so it may hand them out.
        let league = [
            "Novice",
            "Bronze",
            "Silver",
            "Gold",
            "Platinum",
            "Diamond",
            "Elite",
            "Master",
            "Participant",
            "Inactive",
        ];
        roles.extend((0..).zip(league).map(|(n, name)| role(7 + n, name, 0)));
        roles.push(role(5, "Stagehand", bot));
        roles.push(role(6, "Admin", ADMINISTRATOR));
        let channels = [
            "general",
            "requests",
            "reviews",
            "log",
            "league",
            "announcements",
            "welcome",
        ]
        .iter()
        .enumerate()
        .map(|(i, name)| Channel {
            id: id(20 + i as u64),
            name: name.to_string(),
        })
        .collect();
        let member = |n, name: &str, roles: &[u64], dms_open| Member {
            id: id(n),
            name: name.into(),
            roles: roles.iter().map(|r| id(*r)).collect(),
            nick: None,
            dms_open,
        };
        let mut members = vec![
            member(40, "owner", &[], true),
            member(41, "admin", &[6], true),
            member(42, "kira", &[3], true),
            member(43, "max", &[4, 3], true),
            member(44, "tim", &[2], true),
            member(45, "anna", &[], true),
            member(46, "ivan", &[1], true),
            member(47, "quinn", &[], false),
        ];
        members.push(Member {
            id: FakeDiscord::APPLICATION_ID,
            name: "Stagehand".into(),
            roles: vec![id(5)],
            nick: None,
            dms_open: false,
        });
        Guild {
            id: id(0),
            owner: id(40),
            roles,
            channels,
            members,
        }
    }

    /// The id of the member with this user name; panics when there is none.
    pub fn user(&self, name: &str) -> u64 {
        let found = self.members.iter().find(|m| m.name == name);
        found
            .unwrap_or_else(|| panic!("no member named {name:?}"))
            .id
    }

    /// The id of the role with this name; panics when there is none.
    pub fn role(&self, name: &str) -> u64 {
        let found = self.roles.iter().find(|r| r.name == name);
        found.unwrap_or_else(|| panic!("no role named {name:?}")).id
    }

    /// The id of the channel with this name; panics when there is none.
    pub fn channel(&self, name: &str) -> u64 {
        let found = self.channels.iter().find(|c| c.name == name);
        found
            .unwrap_or_else(|| panic!("no channel named {name:?}"))
            .id
    }
}

/// A message as a person sees it.
#[derive(Clone, Debug)]
pub struct Message {
    pub id: u64,
    pub channel_id: u64,
    pub content: String,
    pub embeds: Vec<Value>,
    pub components: Vec<Value>,
    /// (file name, bytes).
    pub attachments: Vec<(String, Vec<u8>)>,
    pub flags: u64,
    pub author_id: u64,
    /// Whom it notified.
    pub pinged: Pinged,
}

impl From<&MessageRec> for Message {
    fn from(rec: &MessageRec) -> Message {
        Message {
            id: rec.id,
            channel_id: rec.channel_id,
            content: rec.content.clone(),
            embeds: rec.embeds.clone(),
            components: rec.components.clone(),
            attachments: rec
                .attachments
                .iter()
                .map(|a| (a.filename.clone(), a.bytes.clone()))
                .collect(),
            flags: rec.flags,
            author_id: rec.author_id,
            pinged: rec.pinged.clone(),
        }
    }
}

/// What the user saw as the answer to an interaction.
#[derive(Clone, Debug)]
pub struct Reply {
    pub content: String,
    pub embeds: Vec<Value>,
    pub components: Vec<Value>,
    pub ephemeral: bool,
    pub attachments: Vec<(String, Vec<u8>)>,
    /// The message itself, e.g. to click its buttons.
    pub message: Message,
}

impl From<Message> for Reply {
    fn from(message: Message) -> Reply {
        Reply {
            content: message.content.clone(),
            embeds: message.embeds.clone(),
            components: message.components.clone(),
            ephemeral: message.flags & EPHEMERAL != 0,
            attachments: message.attachments.clone(),
            message,
        }
    }
}

/// The fake server. Cheap to clone; it stops with the test's runtime.
#[derive(Clone)]
pub struct FakeDiscord {
    shared: Arc<Shared>,
    /// The PEM of the self-signed "discord.com" certificate the tunnel speaks TLS with.
    certificate: Arc<String>,
}

impl FakeDiscord {
    /// The bot token the fake accepts (REST `Authorization: Bot …` and gateway IDENTIFY).
    pub const TOKEN: &str =
        "MTE4MzUwMDEyMzQ1Njc4OTAxMg.GfAk3d.stagehand-fake-discord-token-0123456789";
    /// The application id, which is also the bot's user id.
    pub const APPLICATION_ID: u64 = 1_183_500_123_456_789_012;

    /// Starts REST, the gateway and the CONNECT tunnel on one ephemeral loopback port. The bot
    /// is added to the guild, without roles, when `guild` lacks it.
    pub async fn start(mut guild: Guild) -> FakeDiscord {
        if !guild.members.iter().any(|m| m.id == Self::APPLICATION_ID) {
            guild.members.push(Member {
                id: Self::APPLICATION_ID,
                name: "Stagehand".into(),
                roles: Vec::new(),
                nick: None,
                dms_open: false,
            });
        }
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let shared = Arc::new(Shared::new(State::new(guild, port)));
        let (acceptor, certificate) = tls_acceptor();
        tokio::spawn(rest::accept_loop(shared.clone(), listener, acceptor));
        FakeDiscord {
            shared,
            certificate: Arc::new(certificate),
        }
    }

    /// `http://127.0.0.1:PORT`, for `HttpBuilder::proxy` (with the ratelimiter disabled).
    pub fn api_url(&self) -> String {
        format!("http://127.0.0.1:{}", self.shared.read(|s| s.port))
    }

    /// A client for `HttpBuilder::client`: `https://discord.com` is tunnelled to the fake, so
    /// serenity's ratelimiter can stay on. It trusts only the fake's certificate.
    pub fn http_client(&self) -> reqwest::Client {
        let root = reqwest::Certificate::from_pem(self.certificate.as_bytes()).unwrap();
        reqwest::Client::builder()
            .proxy(reqwest::Proxy::https(self.api_url()).unwrap())
            .tls_built_in_root_certs(false)
            .add_root_certificate(root)
            .build()
            .unwrap()
    }

    /// The fake's "discord.com" certificate (PEM), for Stagehand's `discord.ca_cert`.
    pub fn certificate_pem(&self) -> &str {
        &self.certificate
    }

    /// Waits until a bot identified and got READY and GUILD_CREATE.
    pub async fn wait_ready(&self) {
        self.shared
            .wait_for(
                || {
                    let identifies = self.shared.read(|s| s.gateway.identifies);
                    format!(
                        "no bot became ready ({identifies} IDENTIFY; GUILD_CREATE needs the GUILDS intent)"
                    )
                },
                BOT_TIMEOUT,
                || self.shared.read(|s| s.gateway.ready.then_some(())),
            )
            .await;
    }

    /// Waits until `check` holds, re-checking after every change the fake sees.
    pub async fn wait_until(&self, what: &str, mut check: impl FnMut(&FakeDiscord) -> bool) {
        let fake = self.clone();
        self.shared
            .wait_for(
                || what.to_string(),
                BOT_TIMEOUT,
                || check(&fake).then_some(()),
            )
            .await;
    }

    /// Forgets `done` and what they left behind: their records, their messages, the dispatches
    /// kept for a RESUME and the request log. A benchmark that sends thousands keeps the fake's
    /// memory flat this way, as a long-running Discord would.
    pub fn forget(&self, done: Vec<Interaction>) {
        self.shared.with(|s| {
            for interaction in done {
                let Some(rec) = s.interactions.remove(&interaction.id) else {
                    continue;
                };
                for message in rec.original.into_iter().chain(rec.followups) {
                    s.remove_message(message);
                }
            }
            if let Some(session) = s.gateway.session.as_mut() {
                session.events.clear();
            }
            s.requests.clear();
        });
    }

    /// `user` runs a slash command in the first channel: `command` is the command name, with
    /// its group and subcommand after spaces (`"request create"`). Options are checked against
    /// the registered command like Discord's client does (names, types, required, choices,
    /// ranges); a person could not send anything else, so a mismatch panics.
    pub async fn invoke(
        &self,
        user: u64,
        command: &str,
        options: &[(&str, Value)],
        locale: &str,
    ) -> Interaction {
        self.compose(user, command, options, locale).send()
    }

    /// Like [`FakeDiscord::invoke`], in `channel`.
    pub async fn invoke_in(
        &self,
        channel: u64,
        user: u64,
        command: &str,
        options: &[(&str, Value)],
        locale: &str,
    ) -> Interaction {
        self.compose_in(channel, user, command, options, locale)
            .send()
    }

    /// [`FakeDiscord::invoke`] composed but not sent yet: a benchmark composes a burst first,
    /// so that composing the events does not compete with the bot while it is timed.
    pub fn compose(
        &self,
        user: u64,
        command: &str,
        options: &[(&str, Value)],
        locale: &str,
    ) -> Composed {
        let channel = self.shared.read(|s| s.guild.channels[0].id);
        self.compose_in(channel, user, command, options, locale)
    }

    fn compose_in(
        &self,
        channel: u64,
        user: u64,
        command: &str,
        options: &[(&str, Value)],
        locale: &str,
    ) -> Composed {
        let build = |s: &mut State| command_data(s, command, options, None);
        self.compose_interaction(2, user, channel, None, locale, build)
    }

    /// `user` clicks the button labelled (or with custom id) `label_or_custom_id` on the current
    /// version of `message`.
    pub async fn click(
        &self,
        user: u64,
        message: &Message,
        label_or_custom_id: &str,
        locale: &str,
    ) -> Interaction {
        let clicked = self.try_click(user, message, label_or_custom_id, locale);
        clicked.unwrap_or_else(|e| panic!("fake Discord: {e}"))
    }

    /// Like [`FakeDiscord::click`], but a message that is gone (or lacks the button) is an
    /// error rather than a panic: for a test whose bot may delete the message any moment.
    pub fn try_click(
        &self,
        user: u64,
        message: &Message,
        label_or_custom_id: &str,
        locale: &str,
    ) -> Result<Interaction, String> {
        let found = self.shared.read(|s| {
            let stored = visible_message(s, message.id, user)?;
            let buttons = components_of(stored).filter(|c| c["type"] == 2);
            let buttons: Vec<&Value> = buttons.collect();
            let button = buttons
                .iter()
                .find(|b| b["custom_id"] == label_or_custom_id)
                .or_else(|| buttons.iter().find(|b| b["label"] == label_or_custom_id))
                .ok_or_else(|| {
                    format!(
                        "message {} has no button {label_or_custom_id:?}",
                        message.id
                    )
                })?;
            if button["style"] == 5 {
                return Err(format!("button {label_or_custom_id:?} is a link"));
            }
            if button["disabled"] == true {
                return Err(format!("button {label_or_custom_id:?} is disabled"));
            }
            Ok((stored.channel_id, button["custom_id"].clone()))
        });
        let (channel, custom_id) = found?;
        let data = json!({"custom_id": custom_id, "component_type": 2});
        Ok(self.interact(3, user, channel, Some(message.id), locale, |_| Ok(data)))
    }

    /// A click that no button of `message` would send: what a modified client can forge (or an
    /// old client send for a control that changed). Discord delivers it as it is.
    pub async fn click_forged(
        &self,
        user: u64,
        message: &Message,
        custom_id: &str,
        locale: &str,
    ) -> Interaction {
        let data = json!({"custom_id": custom_id, "component_type": 2});
        self.interact(
            3,
            user,
            message.channel_id,
            Some(message.id),
            locale,
            |_| Ok(data),
        )
    }

    /// `user` picks `values` in the string select menu `custom_id` of `message`.
    pub async fn select(
        &self,
        user: u64,
        message: &Message,
        custom_id: &str,
        values: &[&str],
        locale: &str,
    ) -> Interaction {
        let found = self.shared.read(|s| {
            let stored = visible_message(s, message.id, user)?;
            let mut selects = components_of(stored).filter(|c| c["type"] == 3);
            let select = selects
                .find(|c| c["custom_id"] == custom_id)
                .ok_or_else(|| {
                    format!("message {} has no select menu {custom_id:?}", message.id)
                })?;
            let options = select["options"].as_array().cloned().unwrap_or_default();
            if let Some(bad) = values
                .iter()
                .find(|v| !options.iter().any(|o| o["value"] == **v))
            {
                return Err(format!("select menu {custom_id:?} has no option {bad:?}"));
            }
            let min = select["min_values"].as_u64().unwrap_or(1) as usize;
            let max = select["max_values"].as_u64().unwrap_or(1) as usize;
            if !(min..=max).contains(&values.len()) || select["disabled"] == true {
                return Err(format!(
                    "select menu {custom_id:?} does not take {values:?}"
                ));
            }
            Ok(stored.channel_id)
        });
        let channel = found.unwrap_or_else(|e| panic!("fake Discord: {e}"));
        let data = json!({"custom_id": custom_id, "component_type": 3, "values": values});
        self.interact(3, user, channel, Some(message.id), locale, |_| Ok(data))
    }

    /// `user` fills and submits the modal `custom_id` that the bot showed them last. Fields
    /// not given are left empty; required or length-limited fields are checked as Discord's
    /// client does.
    pub async fn submit_modal(
        &self,
        user: u64,
        custom_id: &str,
        fields: &[(&str, &str)],
        locale: &str,
    ) -> Interaction {
        let found = self.shared.with(|s| {
            let shown = s
                .interactions
                .values_mut()
                .filter(|i| i.user == user && !i.modal_submitted)
                .filter(|i| {
                    i.modal
                        .as_ref()
                        .is_some_and(|m| m["custom_id"] == custom_id)
                })
                .max_by_key(|i| i.id)
                .ok_or_else(|| format!("no open modal {custom_id:?} was shown to user {user}"))?;
            let rows = modal_rows(shown.modal.as_ref().unwrap(), fields)?;
            shown.modal_submitted = true;
            Ok((shown.id, shown.channel_id, shown.source_message, rows))
        });
        let (opener, channel, source, rows) =
            found.unwrap_or_else(|e: String| panic!("fake Discord: {e}"));
        let data = json!({"custom_id": custom_id, "components": rows});
        let mut composed = self.compose_interaction(5, user, channel, source, locale, |_| Ok(data));
        composed.rec.opened_by = Some(opener);
        composed.send()
    }

    /// `user` types in option `focused` of `command`; returns the choices the bot offered.
    pub async fn autocomplete(
        &self,
        user: u64,
        command: &str,
        options: &[(&str, Value)],
        focused: &str,
        locale: &str,
    ) -> Vec<(String, Value)> {
        let channel = self.shared.read(|s| s.guild.channels[0].id);
        let build = |s: &mut State| command_data(s, command, options, Some(focused));
        let asked = self.interact(4, user, channel, None, locale, build);
        let choices = asked
            .wait("autocomplete choices", |_, i| i.choices.clone())
            .await;
        choices
            .iter()
            .map(|c| {
                (
                    c["name"].as_str().unwrap_or("").to_string(),
                    c["value"].clone(),
                )
            })
            .collect()
    }

    /// Sends INTERACTION_CREATE of `kind` with the data `build` makes.
    fn interact(
        &self,
        kind: u8,
        user: u64,
        channel: u64,
        source: Option<u64>,
        locale: &str,
        build: impl FnOnce(&mut State) -> Result<Value, String>,
    ) -> Interaction {
        self.compose_interaction(kind, user, channel, source, locale, build)
            .send()
    }

    /// Composes INTERACTION_CREATE of `kind` with the data `build` makes.
    fn compose_interaction(
        &self,
        kind: u8,
        user: u64,
        channel: u64,
        source: Option<u64>,
        locale: &str,
        build: impl FnOnce(&mut State) -> Result<Value, String>,
    ) -> Composed {
        let composed = self.shared.with(|s| {
            if s.member(user).is_none() {
                return Err(format!("user {user} is not a member of the guild"));
            }
            let data = build(s)?;
            let id = s.snowflake();
            let token = format!(
                "aW50ZXJhY3Rpb246{id}:{:x}",
                id.wrapping_mul(0x9E37_79B9_7F4A_7C15)
            );
            let mut payload =
                model::interaction(s, (id, &token, kind), (user, channel), data, locale);
            if let Some(message) = source.and_then(|m| s.messages.get(&m)) {
                payload["message"] = model::message(s, message);
            }
            let rec = InteractionRec {
                id,
                token,
                kind,
                user,
                channel_id: channel,
                created: s.now(),
                source_message: source,
                initial: None,
                original: None,
                original_edits: 0,
                followups: Vec::new(),
                choices: None,
                modal: None,
                modal_submitted: false,
                opened_by: None,
                rejections: Vec::new(),
            };
            Ok((rec, payload))
        });
        let (rec, payload) = composed.unwrap_or_else(|e| panic!("fake Discord: {e}"));
        Composed {
            fake: self.clone(),
            rec,
            payload: payload.to_string(),
        }
    }

    /// The current version of a message, private ones included; `None` once it is deleted.
    pub fn message(&self, id: u64) -> Option<Message> {
        self.shared.read(|s| s.messages.get(&id).map(Message::from))
    }

    /// A file a person picks to upload with a command: the value to give its attachment option
    /// (`invoke(…, &[("file", fake.upload("x.redb.gz", bytes))], …)`). It is served on the CDN
    /// (`https://cdn.discordapp.com/attachments/0/<id>/<name>`, through the tunnel) as Discord
    /// serves uploads.
    pub fn upload(&self, filename: &str, bytes: Vec<u8>) -> Value {
        self.shared.with(|s| {
            let id = s.snowflake();
            s.uploads.insert(
                id,
                state::AttachmentRec {
                    id,
                    filename: filename.to_string(),
                    content_type: "application/octet-stream".into(),
                    bytes,
                },
            );
            json!(id.to_string())
        })
    }

    /// The paths of files fetched from the CDN, with the status each got.
    pub fn downloads(&self) -> Vec<(String, u16)> {
        self.shared.read(|s| s.downloads.clone())
    }

    /// The messages everyone sees in a channel or thread, oldest first.
    pub fn messages(&self, channel_id: u64) -> Vec<Message> {
        self.shared.read(|s| {
            let ids = s.channels.get(&channel_id).map(|c| c.messages.clone());
            ids.unwrap_or_default()
                .iter()
                .map(|id| Message::from(&s.messages[id]))
                .collect()
        })
    }

    /// Waits until a channel has at least `count` messages and returns them all.
    pub async fn wait_messages(&self, channel_id: u64, count: usize) -> Vec<Message> {
        let what = format!("channel {channel_id} never had {count} messages");
        let mut found = Vec::new();
        self.wait_until(&what, |f| {
            found = f.messages(channel_id);
            found.len() >= count
        })
        .await;
        found
    }

    /// The id of the channel or thread with this name; panics when there is none.
    pub fn channel_named(&self, name: &str) -> u64 {
        let found = self.shared.read(|s| {
            let named = s
                .channels
                .values()
                .filter(|c| c.kind != 1 && c.name == name);
            named.map(|c| c.id).next()
        });
        found.unwrap_or_else(|| panic!("fake Discord: no channel named {name:?}"))
    }

    /// Deletes a channel, as a server admin can at any time; later requests for it get 10003.
    /// A user joins the guild: they become a member without roles, and the bot gets
    /// GUILD_MEMBER_ADD.
    pub fn member_joins(&self, id: u64, name: &str) {
        self.shared.with(|s| {
            s.guild.members.push(Member {
                id,
                name: name.into(),
                roles: Vec::new(),
                nick: None,
                dms_open: true,
            });
            let mut data = model::member(s, id, true);
            data["guild_id"] = json!(s.guild.id.to_string());
            s.dispatch("GUILD_MEMBER_ADD", data);
        });
    }

    /// A member leaves the guild (GUILD_MEMBER_REMOVE).
    pub fn member_leaves(&self, id: u64) {
        self.shared.with(|s| {
            let user = model::user(s, id);
            s.guild.members.retain(|m| m.id != id);
            let data = json!({"guild_id": s.guild.id.to_string(), "user": user});
            s.dispatch("GUILD_MEMBER_REMOVE", data);
        });
    }

    pub fn delete_channel(&self, id: u64) {
        self.shared.with(|s| {
            s.channels.remove(&id);
        });
    }

    /// A person (a moderator tidying a channel) deletes message `id` by hand: it is gone for
    /// everyone, and requests for it get 10008 from now on.
    pub fn delete_message(&self, id: u64) {
        self.shared.with(|s| s.remove_message(id));
    }

    /// After how many minutes without activity thread `id` archives; `None` when there is no
    /// such thread.
    pub fn auto_archive(&self, id: u64) -> Option<u16> {
        self.shared.read(|s| {
            s.channels
                .get(&id)
                .filter(|c| c.parent.is_some())
                .map(|c| c.auto_archive)
        })
    }

    /// The threads started in `parent`, oldest first.
    pub fn threads(&self, parent: u64) -> Vec<Channel> {
        self.shared.read(|s| {
            let threads = s.channels.values().filter(|c| c.parent == Some(parent));
            threads
                .map(|c| Channel {
                    id: c.id,
                    name: c.name.clone(),
                })
                .collect()
        })
    }

    /// The DMs the bot sent to `user`, oldest first.
    pub fn dms(&self, user: u64) -> Vec<Message> {
        let channel = self.shared.read(|s| {
            let dm = s.channels.values().find(|c| c.recipient == Some(user));
            dm.map(|c| c.id)
        });
        channel.map(|c| self.messages(c)).unwrap_or_default()
    }

    /// Waits until `user` has at least `count` DMs and returns them all.
    pub async fn wait_dms(&self, user: u64, count: usize) -> Vec<Message> {
        let what = format!("user {user} never got {count} DMs");
        let mut found = Vec::new();
        self.wait_until(&what, |f| {
            found = f.dms(user);
            found.len() >= count
        })
        .await;
        found
    }

    /// A member as it is now (roles, nickname).
    pub fn member(&self, user: u64) -> Member {
        let found = self.shared.read(|s| s.member(user).cloned());
        found.unwrap_or_else(|| panic!("fake Discord: no member {user}"))
    }

    /// The registered commands (guild and global) as Discord stores them.
    pub fn commands(&self) -> Vec<Value> {
        self.shared.read(|s| s.commands.clone())
    }

    /// How many times the bot created or overwrote commands.
    pub fn command_registrations(&self) -> usize {
        self.shared.read(|s| s.registrations)
    }

    /// The next REST request whose path contains `route_contains` fails with `status`: 429
    /// with Discord's body and `Retry-After`/`X-RateLimit-*` headers (`retry_after` seconds,
    /// 0.25 by default), 502 with Cloudflare's HTML page, others with `{"code": 0, ...}`.
    /// `"PATCH /messages/12"` matches only that method. A request sent to the same method and
    /// path before a 429's `retry_after` has passed is answered, and counted
    /// ([`FakeDiscord::early_requests`]).
    pub fn fail_next(&self, route_contains: &str, status: u16, retry_after: Option<f64>) {
        self.shared.with(|s| {
            s.faults.push(state::Fault {
                route: route_contains.to_string(),
                status,
                retry_after,
            });
        });
    }

    /// The next REST request matching `route_contains` (as in [`FakeDiscord::fail_next`]) is
    /// held back: [`Stall::Hang`] never answers it nor carries it out (a client without a
    /// timeout waits for good), [`Stall::Lost`] carries it out and never answers, and
    /// [`Stall::Slow`] answers it late.
    pub fn stall_next(&self, route_contains: &str, stall: Stall) {
        self.shared
            .with(|s| s.stalls.push((route_contains.to_string(), stall)));
    }

    /// Requests sent again to a method and path before the `retry_after` of the 429 it got had
    /// passed: (method, path). Real Discord refuses them again; a polite bot sends none.
    pub fn early_requests(&self) -> Vec<(String, String)> {
        self.shared.read(|s| s.early.clone())
    }

    /// Drops the live gateway connection without a close frame; the session stays resumable.
    pub fn drop_gateway(&self) {
        let dropped = self.shared.with(|s| s.gateway.live.take());
        let (_, live) = dropped.expect("fake Discord: no gateway connection to drop");
        let _ = live.send(Outgoing::Drop);
    }

    /// The targets of the `CONNECT` tunnels opened so far (`host:port`), in order.
    pub fn tunnels(&self) -> Vec<String> {
        self.shared.read(|s| s.tunnels.clone())
    }

    /// Message creates with `enforce_nonce` that got the earlier message of their nonce back
    /// instead of creating another.
    pub fn nonce_replays(&self) -> usize {
        self.shared.read(|s| s.nonce_replays)
    }

    /// Successful RESUMEs so far.
    pub fn resumes(&self) -> usize {
        self.shared.read(|s| s.gateway.resumes)
    }

    /// IDENTIFYs so far (a RESUME that failed makes the bot identify again).
    pub fn identifies(&self) -> usize {
        self.shared.read(|s| s.gateway.identifies)
    }

    /// Heartbeats acknowledged so far.
    pub fn heartbeats(&self) -> usize {
        self.shared.read(|s| s.gateway.heartbeats)
    }

    /// Every REST request: (method, path without the query, status; 0 for one never answered).
    pub fn requests(&self) -> Vec<(String, String, u16)> {
        self.shared.read(|s| s.requests.clone())
    }

    /// Moves the fake's clock forward: interaction deadlines (3 s, 15 min) see the jump.
    pub fn advance(&self, by: Duration) {
        self.shared.with(|s| s.offset += by);
    }
}

/// A TLS acceptor for the CONNECT tunnel, with a fresh self-signed certificate for discord.com
/// and the gateway's host. The tunnel's TLS acceptor and its certificate as PEM.
fn tls_acceptor() -> (tokio_rustls::TlsAcceptor, String) {
    let names = vec![
        "discord.com".to_string(),
        rest::GATEWAY_HOST.to_string(),
        rest::CDN_HOST.to_string(),
    ];
    let made = rcgen::generate_simple_self_signed(names).unwrap();
    let pem = made.cert.pem();
    let key = rustls::pki_types::PrivateKeyDer::Pkcs8(made.signing_key.serialize_der().into());
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(vec![made.cert.der().clone()], key)
        .unwrap();
    config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    (tokio_rustls::TlsAcceptor::from(Arc::new(config)), pem)
}

/// A message `user` can see (ephemeral ones only by their user).
fn visible_message(state: &State, id: u64, user: u64) -> Result<&MessageRec, String> {
    let stored = state
        .messages
        .get(&id)
        .ok_or_else(|| format!("message {id} no longer exists"))?;
    if stored.visible_to.is_some_and(|owner| owner != user) {
        return Err(format!(
            "message {id} is ephemeral and user {user} cannot see it"
        ));
    }
    Ok(stored)
}

/// Every component in a message's action rows.
fn components_of(message: &MessageRec) -> impl Iterator<Item = &Value> {
    let rows = message.components.iter();
    rows.flat_map(|row| row["components"].as_array().into_iter().flatten())
}

/// The submitted rows of a modal, checked like Discord's client checks the inputs.
fn modal_rows(modal: &Value, fields: &[(&str, &str)]) -> Result<Vec<Value>, String> {
    let inputs: Vec<&Value> = modal["components"]
        .as_array()
        .into_iter()
        .flatten()
        .flat_map(|row| row["components"].as_array().into_iter().flatten())
        .collect();
    if let Some((unknown, _)) = fields
        .iter()
        .find(|(id, _)| !inputs.iter().any(|i| i["custom_id"] == *id))
    {
        return Err(format!("the modal has no input {unknown:?}"));
    }
    let mut rows = Vec::new();
    for input in inputs {
        let id = input["custom_id"].as_str().unwrap_or("");
        let value = fields.iter().find(|(f, _)| *f == id).map_or("", |(_, v)| v);
        let length = value.chars().count() as u64;
        let required = input["required"].as_bool().unwrap_or(true);
        let min = input["min_length"].as_u64().unwrap_or(0);
        let max = input["max_length"].as_u64().unwrap_or(4000);
        if (required && value.is_empty()) || (!value.is_empty() && !(min..=max).contains(&length)) {
            return Err(format!("modal input {id:?} does not accept {value:?}"));
        }
        rows.push(json!({"type": 1, "components": [{"type": 4, "custom_id": id, "value": value}]}));
    }
    Ok(rows)
}

/// `data` of an application command or autocomplete interaction, checked against the
/// registered command.
fn command_data(
    state: &State,
    command: &str,
    options: &[(&str, Value)],
    focused: Option<&str>,
) -> Result<Value, String> {
    let mut words = command.split_whitespace();
    let root = words.next().unwrap_or("");
    let registered = state
        .commands
        .iter()
        .find(|c| c["name"] == root && c["type"] == 1)
        .ok_or_else(|| {
            let names: Vec<&Value> = state.commands.iter().map(|c| &c["name"]).collect();
            format!("/{root} is not registered (registered: {names:?})")
        })?;
    let mut path = Vec::new();
    let mut current = registered;
    for word in words {
        current = current["options"]
            .as_array()
            .into_iter()
            .flatten()
            .find(|o| o["name"] == word && (o["type"] == 1 || o["type"] == 2))
            .ok_or_else(|| format!("/{command}: no subcommand {word:?}"))?;
        path.push((word, current["type"].clone()));
    }
    let defined: Vec<&Value> = current["options"]
        .as_array()
        .into_iter()
        .flatten()
        .collect();
    if defined.iter().any(|o| o["type"] == 1 || o["type"] == 2) {
        return Err(format!("/{command} needs a subcommand"));
    }
    let mut resolved = json!({});
    let mut given = Vec::new();
    for (name, value) in options {
        let definition = defined
            .iter()
            .find(|o| o["name"] == *name)
            .ok_or_else(|| format!("/{command} has no option {name:?}"))?;
        let mut option = json!({"name": name, "type": definition["type"]});
        if focused == Some(*name) {
            if definition["autocomplete"] != true {
                return Err(format!("option {name:?} of /{command} has no autocomplete"));
            }
            let typed = value
                .as_str()
                .map_or_else(|| value.to_string(), str::to_string);
            option["value"] = json!(typed);
            option["focused"] = json!(true);
        } else {
            option["value"] = option_value(state, definition, value, &mut resolved)
                .map_err(|e| format!("/{command} {name}: {e}"))?;
        }
        given.push(option);
    }
    if focused.is_none() {
        let missing = defined
            .iter()
            .filter(|o| o["required"] == true)
            .find(|o| !options.iter().any(|(name, _)| o["name"] == *name));
        if let Some(missing) = missing {
            return Err(format!("/{command} needs option {}", missing["name"]));
        }
    } else if !options.iter().any(|(name, _)| Some(*name) == focused) {
        return Err(format!("the focused option {focused:?} has no value"));
    }
    let mut nested = json!(given);
    for (word, kind) in path.iter().rev() {
        nested = json!([{"name": word, "type": kind, "options": nested}]);
    }
    let mut data = json!({
        "id": registered["id"],
        "name": root,
        "type": 1,
        "options": nested,
        "guild_id": state.guild.id.to_string(),
    });
    if resolved.as_object().is_some_and(|r| !r.is_empty()) {
        data["resolved"] = resolved;
    }
    Ok(data)
}

/// A typed option value as Discord sends it, with mentioned users, roles and channels added to
/// `resolved`.
fn option_value(
    state: &State,
    definition: &Value,
    value: &Value,
    resolved: &mut Value,
) -> Result<Value, String> {
    let choices = definition["choices"].as_array().filter(|c| !c.is_empty());
    if let Some(choices) = choices
        && !choices.iter().any(|c| c["value"] == *value)
    {
        return Err(format!("{value} is not one of the choices"));
    }
    let snowflake = || {
        value
            .as_u64()
            .or_else(|| value.as_str().and_then(|s| s.parse().ok()))
            .ok_or_else(|| format!("{value} is not an id"))
    };
    let out_of_range = |n: f64| {
        definition["min_value"].as_f64().is_some_and(|min| n < min)
            || definition["max_value"].as_f64().is_some_and(|max| n > max)
    };
    match definition["type"].as_u64().unwrap_or(0) {
        3 => {
            let text = value
                .as_str()
                .ok_or_else(|| format!("{value} is not a string"))?;
            let length = text.chars().count() as u64;
            let min = definition["min_length"].as_u64().unwrap_or(0);
            let max = definition["max_length"].as_u64().unwrap_or(6000);
            if !(min..=max).contains(&length) {
                return Err(format!("{text:?} must be {min}..={max} characters"));
            }
            Ok(value.clone())
        }
        4 => match value.as_i64() {
            Some(n) if !out_of_range(n as f64) => Ok(value.clone()),
            _ => Err(format!("{value} is not an integer in range")),
        },
        10 => match value.as_f64() {
            Some(n) if !out_of_range(n) => Ok(value.clone()),
            _ => Err(format!("{value} is not a number in range")),
        },
        5 if value.is_boolean() => Ok(value.clone()),
        6 => {
            let user = snowflake()?;
            resolve_user(state, user, resolved)?;
            Ok(json!(user.to_string()))
        }
        7 => {
            let id = snowflake()?;
            let channel = state
                .channels
                .get(&id)
                .ok_or_else(|| format!("no channel {id}"))?;
            let mut partial = model::channel(state, channel);
            partial["permissions"] =
                json!(state.permissions(FakeDiscord::APPLICATION_ID).to_string());
            resolved["channels"][id.to_string()] = partial;
            Ok(json!(id.to_string()))
        }
        8 | 9 => {
            let id = snowflake()?;
            if let Some(position) = state.role_position(id) {
                let role = &state.guild.roles[position];
                resolved["roles"][id.to_string()] = model::role(state, role, position);
            } else if definition["type"] == 9 {
                resolve_user(state, id, resolved)?;
            } else {
                return Err(format!("no role {id}"));
            }
            Ok(json!(id.to_string()))
        }
        11 => {
            let id = snowflake()?;
            let upload = state
                .uploads
                .get(&id)
                .ok_or_else(|| format!("no upload {id}: use FakeDiscord::upload"))?;
            resolved["attachments"][id.to_string()] = model::attachment(0, upload);
            Ok(json!(id.to_string()))
        }
        kind => Err(format!("{value} does not fit option type {kind}")),
    }
}

fn resolve_user(state: &State, user: u64, resolved: &mut Value) -> Result<(), String> {
    if state.member(user).is_none() {
        return Err(format!("no member {user}"));
    }
    resolved["users"][user.to_string()] = model::user(state, user);
    let mut member = model::member(state, user, false);
    member["permissions"] = json!(state.permissions(user).to_string());
    resolved["members"][user.to_string()] = member;
    Ok(())
}

/// One interaction the fake sent; its answers arrive as the bot makes them.
pub struct Interaction {
    fake: FakeDiscord,
    id: u64,
}

/// An interaction composed but not sent yet; see [`FakeDiscord::compose`].
pub struct Composed {
    fake: FakeDiscord,
    rec: InteractionRec,
    /// The INTERACTION_CREATE payload, as JSON text.
    payload: String,
}

impl Composed {
    /// Sends the interaction; its 3 s for the initial response start now.
    pub fn send(self) -> Interaction {
        let Composed {
            fake,
            mut rec,
            payload,
        } = self;
        let id = rec.id;
        let sent = fake.shared.with(|s| {
            if s.gateway.session.is_none() {
                return Err("no bot has identified; call wait_ready() first".to_string());
            }
            rec.created = s.now();
            s.interactions.insert(id, rec);
            s.dispatch_text("INTERACTION_CREATE", &payload);
            Ok(())
        });
        sent.unwrap_or_else(|e| panic!("fake Discord: {e}"));
        Interaction { fake, id }
    }
}

impl Interaction {
    /// Waits (≤ 5 s) until `f` finds something on this interaction; the panic lists what
    /// Discord refused for it.
    async fn wait<T>(
        &self,
        what: &str,
        mut f: impl FnMut(&State, &InteractionRec) -> Option<T>,
    ) -> T {
        let shared = &self.fake.shared;
        shared
            .wait_for(
                || {
                    let refused = shared.read(|s| s.interactions[&self.id].rejections.join("\n  "));
                    format!(
                        "interaction {} got no {what}; Discord refused:\n  {refused}",
                        self.id
                    )
                },
                RESPONSE_TIMEOUT,
                || shared.read(|s| f(s, &s.interactions[&self.id])),
            )
            .await
    }

    fn message(&self, id: u64) -> Message {
        self.fake.message(id).unwrap_or_else(|| {
            panic!(
                "fake Discord: the reply to interaction {} was deleted",
                self.id
            )
        })
    }

    /// The answer the user sees: the initial response message, or for a deferral (type 5 or 6)
    /// the edit of `@original` that followed.
    pub async fn response(&self) -> Reply {
        let kind = self
            .wait("initial response", |_, i| {
                i.initial.as_ref().map(|i| i.kind)
            })
            .await;
        let original = match kind {
            4 | 7 => self.wait("response message", |_, i| i.original).await,
            5 => {
                self.wait("filled-in deferred reply", |s, i| {
                    let id = i.original?;
                    let loading = s.messages.get(&id).is_some_and(|m| m.flags & LOADING != 0);
                    (!loading).then_some(id)
                })
                .await
            }
            6 => {
                self.wait("edit of @original", |_, i| {
                    i.original.filter(|_| i.original_edits > 0)
                })
                .await
            }
            8 => panic!("fake Discord: interaction {} was an autocomplete", self.id),
            _ => panic!(
                "fake Discord: interaction {} was answered with a modal; use modal()",
                self.id
            ),
        };
        Reply::from(self.message(original))
    }

    /// The answer the user sees now, without waiting: what [`Interaction::response`] would
    /// return, or `None` before there is one (no initial response, a deferral not filled in
    /// yet, a modal, choices).
    pub fn answered(&self) -> Option<Reply> {
        let original = self.fake.shared.read(|s| {
            let i = &s.interactions[&self.id];
            let id = i.original?;
            let shown = match i.initial.as_ref()?.kind {
                4 | 7 => true,
                5 => s.messages.get(&id).is_some_and(|m| m.flags & LOADING == 0),
                6 => i.original_edits > 0,
                _ => false,
            };
            shown.then_some(id)
        })?;
        self.fake.message(original).map(Reply::from)
    }

    /// The type of the initial response (4 message, 5 deferred, 6 deferred update, 7 update,
    /// 8 autocomplete, 9 modal), or 0 before the bot answered.
    pub fn initial_kind(&self) -> u8 {
        self.fake.shared.read(|s| {
            let initial = s.interactions[&self.id].initial.as_ref();
            initial.map_or(0, |i| i.kind)
        })
    }

    /// How long the bot took to send the initial response; panics before it did.
    pub fn acked_after(&self) -> Duration {
        self.fake.shared.read(|s| {
            let i = &s.interactions[&self.id];
            let initial = i
                .initial
                .as_ref()
                .expect("fake Discord: not acknowledged yet");
            initial.at.duration_since(i.created)
        })
    }

    /// The follow-ups sent so far, after waiting for the initial response.
    pub async fn followups(&self) -> Vec<Message> {
        self.wait("initial response", |_, i| i.initial.as_ref().map(|_| ()))
            .await;
        self.wait_followups(0).await
    }

    /// Waits until at least `count` follow-ups were sent and returns them all.
    pub async fn wait_followups(&self, count: usize) -> Vec<Message> {
        let ids = self
            .wait(&format!("{count} follow-ups"), |_, i| {
                (i.followups.len() >= count).then(|| i.followups.clone())
            })
            .await;
        let shared = &self.fake.shared;
        shared.read(|s| {
            ids.iter()
                .filter_map(|id| s.messages.get(id))
                .map(Message::from)
                .collect()
        })
    }

    /// The modal the bot opened (its `data`), or `None` when it answered otherwise.
    pub async fn modal(&self) -> Option<Value> {
        self.wait("initial response", |_, i| i.initial.as_ref().map(|_| ()))
            .await;
        self.fake
            .shared
            .read(|s| s.interactions[&self.id].modal.clone())
    }
}
