//! What the fake Discord remembers: the guild as it is now (roles, members, nicknames), channels
//! with their messages (guild channels, threads, DMs), registered commands, interactions and their
//! responses, the gateway session with its event log, injected faults and every REST request.
//!
//! One `Mutex<State>` guards it all; every change bumps a `watch` counter so that waiters
//! ([`Shared::wait_for`]) re-check their condition instead of sleeping.

use std::collections::{BTreeMap, HashMap};
use std::sync::Mutex;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use serde_json::Value;
use tokio::sync::{mpsc, watch};

use super::{Guild, Member};

/// Discord's epoch (2015-01-01) in milliseconds since the Unix epoch.
const DISCORD_EPOCH_MS: u64 = 1_420_070_400_000;

/// Message flag: only the invoking user sees it.
pub const EPHEMERAL: u64 = 1 << 6;
/// Message flag: a deferred response still "thinking".
pub const LOADING: u64 = 1 << 7;

/// Everything shared between the servers and the test's handle.
pub struct Shared {
    state: Mutex<State>,
    changed: watch::Sender<u64>,
}

impl Shared {
    pub fn new(state: State) -> Shared {
        Shared {
            state: Mutex::new(state),
            changed: watch::channel(0).0,
        }
    }

    /// Runs `f` on the state and wakes every waiter.
    pub fn with<T>(&self, f: impl FnOnce(&mut State) -> T) -> T {
        let out = f(&mut self.state.lock().unwrap());
        self.changed.send_modify(|version| *version += 1);
        out
    }

    /// Reads the state without waking anyone.
    pub fn read<T>(&self, f: impl FnOnce(&State) -> T) -> T {
        f(&self.state.lock().unwrap())
    }

    /// Waits until `f` returns `Some`, re-checking after every change; panics after `timeout`
    /// with `what` and the REST requests seen so far. `f` takes the lock itself when it needs to.
    pub async fn wait_for<T>(
        &self,
        what: impl Fn() -> String,
        timeout: Duration,
        mut f: impl FnMut() -> Option<T>,
    ) -> T {
        let mut changes = self.changed.subscribe();
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            changes.borrow_and_update();
            if let Some(found) = f() {
                return found;
            }
            if tokio::time::timeout_at(deadline, changes.changed())
                .await
                .is_err()
            {
                let requests = self.read(State::requests_summary);
                panic!(
                    "fake Discord: {} (waited {timeout:?}); REST requests so far:\n{requests}",
                    what()
                );
            }
        }
    }
}

/// A channel of any kind the fake knows.
pub struct ChannelRec {
    pub id: u64,
    pub name: String,
    /// 0 text, 1 DM, 11 public thread, 12 private thread.
    pub kind: u8,
    pub parent: Option<u64>,
    /// The other user of a DM channel.
    pub recipient: Option<u64>,
    pub owner: Option<u64>,
    pub archived: bool,
    pub locked: bool,
    /// A thread's minutes without activity before Discord archives it.
    pub auto_archive: u16,
    pub position: usize,
    /// Message ids in the order they were sent (deleted ones removed).
    pub messages: Vec<u64>,
}

/// One uploaded file.
#[derive(Clone)]
pub struct AttachmentRec {
    pub id: u64,
    pub filename: String,
    pub content_type: String,
    pub bytes: Vec<u8>,
}

/// One message as the fake stores it.
#[derive(Clone)]
pub struct MessageRec {
    pub id: u64,
    pub channel_id: u64,
    pub author_id: u64,
    pub content: String,
    pub embeds: Vec<Value>,
    pub components: Vec<Value>,
    pub attachments: Vec<AttachmentRec>,
    pub flags: u64,
    /// The interaction (id, type) this message answers.
    pub interaction: Option<(u64, u8)>,
    /// Who may see it when it is ephemeral.
    pub visible_to: Option<u64>,
    pub created: SystemTime,
    pub edited: Option<SystemTime>,
    /// The thread started from this message.
    pub thread: Option<u64>,
    /// Whom the message notified: the users and roles its content mentions that its
    /// `allowed_mentions` let through.
    pub pinged: Pinged,
}

/// The users and roles a message notified.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Pinged {
    pub users: Vec<u64>,
    pub roles: Vec<u64>,
}

/// The bot's first answer to an interaction.
pub struct Initial {
    pub kind: u8,
    pub at: Instant,
}

/// One interaction the fake sent to the bot.
pub struct InteractionRec {
    pub id: u64,
    pub token: String,
    /// 2 command, 3 component, 4 autocomplete, 5 modal submit.
    pub kind: u8,
    pub user: u64,
    pub channel_id: u64,
    pub created: Instant,
    /// The message whose component was used (components, modals opened from one).
    pub source_message: Option<u64>,
    pub initial: Option<Initial>,
    /// The message `@original` refers to.
    pub original: Option<u64>,
    /// How many times `@original` was edited after the initial response.
    pub original_edits: usize,
    pub followups: Vec<u64>,
    pub choices: Option<Vec<Value>>,
    pub modal: Option<Value>,
    /// The user already submitted the modal this interaction opened.
    pub modal_submitted: bool,
    /// For a modal submission: the interaction that opened the modal.
    pub opened_by: Option<u64>,
    /// Why Discord refused the bot's requests for this interaction.
    pub rejections: Vec<String>,
}

/// A fault to answer instead of the real response.
pub struct Fault {
    pub route: String,
    pub status: u16,
    pub retry_after: Option<f64>,
}

/// How a stalled request is answered; see [`super::FakeDiscord::stall_next`].
#[derive(Clone, Copy, Debug)]
pub enum Stall {
    /// Never: the request is lost on its way in (never carried out) and the connection stays
    /// silent until the client gives up. Recorded with status 0.
    Hang,
    /// Carried out and answered as usual, this much later.
    Slow(Duration),
    /// Carried out, but the answer is lost on its way back: the client sees what [`Stall::Hang`]
    /// shows it, while the message (say) exists. Recorded with status 0.
    Lost,
}

/// Whether `route` (a path fragment, or `METHOD fragment`) names a request.
fn route_matches(route: &str, method: &str, path: &str) -> bool {
    match route.split_once(' ') {
        Some((verb, fragment)) => verb == method && path.contains(fragment),
        None => path.contains(route),
    }
}

/// What goes to the live websocket connection.
pub enum Outgoing {
    Text(String),
    /// Close the socket without a close frame, like a dropped network connection.
    Drop,
}

/// The gateway session: survives a dropped connection, so the bot can RESUME it.
pub struct Session {
    pub id: String,
    pub seq: u64,
    pub intents: u64,
    /// Every dispatch sent in this session: (sequence number, the whole payload).
    pub events: Vec<(u64, String)>,
}

#[derive(Default)]
pub struct GatewayState {
    pub session: Option<Session>,
    /// The connection that currently receives dispatches: (connection id, sender).
    pub live: Option<(u64, mpsc::UnboundedSender<Outgoing>)>,
    pub connections: u64,
    pub identifies: usize,
    pub resumes: usize,
    pub heartbeats: usize,
    /// READY and GUILD_CREATE were sent.
    pub ready: bool,
}

pub struct State {
    /// The port REST, the gateway and the CONNECT tunnel listen on.
    pub port: u16,
    pub guild: Guild,
    pub channels: BTreeMap<u64, ChannelRec>,
    pub messages: HashMap<u64, MessageRec>,
    /// Registered commands as Discord returns them, guild ones carrying `guild_id`.
    pub commands: Vec<Value>,
    pub registrations: usize,
    pub interactions: HashMap<u64, InteractionRec>,
    pub faults: Vec<Fault>,
    /// Requests to hold back: (route, how), matched like faults.
    pub stalls: Vec<(String, Stall)>,
    /// (method, path) of each request answered 429, and when (fake clock) its `retry_after` ends.
    pub limited: Vec<(String, String, Instant)>,
    /// (method, path) of each request sent again before its 429's `retry_after` had passed.
    pub early: Vec<(String, String)>,
    pub requests: Vec<(String, String, u16)>,
    /// The targets of `CONNECT` requests (`host:port`), in order.
    pub tunnels: Vec<String>,
    pub gateway: GatewayState,
    /// How far the fake's clock runs ahead of the real one.
    pub offset: Duration,
    /// Message nonces Discord remembers for `enforce_nonce`: (channel, author, nonce) → the
    /// message created with it, and when (fake clock).
    pub nonces: HashMap<(u64, u64, String), (u64, Instant)>,
    /// Message creates answered with the earlier message of the same nonce.
    pub nonce_replays: usize,
    /// Files a person uploaded with a command (an attachment option), by attachment id.
    pub uploads: HashMap<u64, AttachmentRec>,
    /// Requests for files on the CDN: (path, status).
    pub downloads: Vec<(String, u16)>,
    last_id: u64,
}

impl State {
    pub fn new(guild: Guild, port: u16) -> State {
        let channels = guild
            .channels
            .iter()
            .enumerate()
            .map(|(position, c)| {
                let rec = ChannelRec {
                    id: c.id,
                    name: c.name.clone(),
                    kind: 0,
                    parent: None,
                    recipient: None,
                    owner: None,
                    archived: false,
                    locked: false,
                    auto_archive: 0,
                    position,
                    messages: Vec::new(),
                };
                (c.id, rec)
            })
            .collect();
        State {
            port,
            guild,
            channels,
            messages: HashMap::new(),
            commands: Vec::new(),
            registrations: 0,
            interactions: HashMap::new(),
            faults: Vec::new(),
            stalls: Vec::new(),
            limited: Vec::new(),
            early: Vec::new(),
            requests: Vec::new(),
            tunnels: Vec::new(),
            gateway: GatewayState::default(),
            offset: Duration::ZERO,
            nonces: HashMap::new(),
            nonce_replays: 0,
            uploads: HashMap::new(),
            downloads: Vec::new(),
            last_id: 0,
        }
    }

    /// A fresh snowflake: creation time in the top bits, like Discord's.
    pub fn snowflake(&mut self) -> u64 {
        let ms = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap()
            .as_millis() as u64;
        let id = ((ms - DISCORD_EPOCH_MS) << 22) | (1 << 17);
        self.last_id = id.max(self.last_id + 1);
        self.last_id
    }

    /// The fake's "now": real time plus [`State::offset`].
    pub fn now(&self) -> Instant {
        Instant::now() + self.offset
    }

    pub fn member(&self, user: u64) -> Option<&Member> {
        self.guild.members.iter().find(|m| m.id == user)
    }

    pub fn member_mut(&mut self, user: u64) -> Option<&mut Member> {
        self.guild.members.iter_mut().find(|m| m.id == user)
    }

    /// A role's position: its index in the guild's role list (`@everyone` first).
    pub fn role_position(&self, role: u64) -> Option<usize> {
        self.guild.roles.iter().position(|r| r.id == role)
    }

    /// The position of a member's highest role (0 = only `@everyone`).
    pub fn top_position(&self, user: u64) -> usize {
        self.member(user)
            .map(|m| {
                m.roles
                    .iter()
                    .filter_map(|r| self.role_position(*r))
                    .max()
                    .unwrap_or(0)
            })
            .unwrap_or(0)
    }

    /// A member's guild-wide permissions, as Discord computes them without overwrites.
    pub fn permissions(&self, user: u64) -> u64 {
        const ADMINISTRATOR: u64 = 1 << 3;
        const ALL: u64 = (1 << 51) - 1;
        if user == self.guild.owner {
            return ALL;
        }
        let everyone = self.guild.roles.first().map_or(0, |r| r.permissions);
        let bits = self.member(user).map_or(everyone, |m| {
            m.roles
                .iter()
                .filter_map(|id| self.guild.roles.iter().find(|r| r.id == *id))
                .fold(everyone, |acc, r| acc | r.permissions)
        });
        if bits & ADMINISTRATOR != 0 { ALL } else { bits }
    }

    /// The DM channel with `user`, opened on first use.
    pub fn dm_channel(&mut self, user: u64) -> u64 {
        if let Some(c) = self.channels.values().find(|c| c.recipient == Some(user)) {
            return c.id;
        }
        let id = self.snowflake();
        let rec = ChannelRec {
            id,
            name: String::new(),
            kind: 1,
            parent: None,
            recipient: Some(user),
            owner: None,
            archived: false,
            locked: false,
            auto_archive: 0,
            position: 0,
            messages: Vec::new(),
        };
        self.channels.insert(id, rec);
        id
    }

    /// Stores a new message at the end of its channel.
    pub fn push_message(&mut self, message: MessageRec) {
        if let Some(channel) = self.channels.get_mut(&message.channel_id) {
            channel.messages.push(message.id);
        }
        self.messages.insert(message.id, message);
    }

    pub fn remove_message(&mut self, id: u64) {
        if let Some(message) = self.messages.remove(&id)
            && let Some(channel) = self.channels.get_mut(&message.channel_id)
        {
            channel.messages.retain(|m| *m != id);
        }
    }

    /// Sends a dispatch (op 0) in the current session, or logs it for a RESUME when no
    /// connection is live.
    pub fn dispatch(&mut self, event: &str, data: Value) {
        self.dispatch_text(event, &data.to_string());
    }

    /// Sends a dispatch whose data is already JSON text.
    pub fn dispatch_text(&mut self, event: &str, data: &str) {
        let Some(session) = self.gateway.session.as_mut() else {
            return;
        };
        session.seq += 1;
        let text = format!(r#"{{"op":0,"t":"{event}","s":{},"d":{data}}}"#, session.seq);
        session.events.push((session.seq, text.clone()));
        if let Some((_, live)) = &self.gateway.live {
            let _ = live.send(Outgoing::Text(text));
        }
    }

    /// The first fault whose route matches the request, taken off the queue.
    pub fn take_fault(&mut self, method: &str, path: &str) -> Option<Fault> {
        let mut found = self.faults.iter();
        let index = found.position(|f| route_matches(&f.route, method, path))?;
        Some(self.faults.remove(index))
    }

    /// The first stall whose route matches the request, taken off the queue.
    pub fn take_stall(&mut self, method: &str, path: &str) -> Option<Stall> {
        let mut found = self.stalls.iter();
        let index = found.position(|(route, _)| route_matches(route, method, path))?;
        Some(self.stalls.remove(index).1)
    }

    /// Notes a request that arrived at `at` while a 429 on the same method and path still asked
    /// the client to wait: Discord would refuse it again, and a bot that sends it storms.
    pub fn note_if_early(&mut self, method: &str, path: &str, at: Instant) {
        let waiting = self.limited.iter();
        if waiting
            .filter(|(m, p, _)| m == method && p == path)
            .any(|(_, _, until)| at < *until)
        {
            self.early.push((method.to_string(), path.to_string()));
        }
    }

    pub fn interaction_by_token(&self, token: &str) -> Option<&InteractionRec> {
        self.interactions.values().find(|i| i.token == token)
    }

    /// One line per REST request, for panic messages.
    pub fn requests_summary(&self) -> String {
        self.requests
            .iter()
            .map(|(method, path, status)| format!("  {method} {path} -> {status}"))
            .collect::<Vec<_>>()
            .join("\n")
    }
}
