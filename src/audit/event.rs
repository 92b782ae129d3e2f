//! What an event is: its kind (a closed list with stable codes), who did it, when, and its typed
//! custom fields.

use std::fmt::{self, Write as _};

use serde::{Deserialize, Serialize};

macro_rules! kinds {
    ($($(#[$doc:meta])* $variant:ident = $code:literal, $name:literal;)*) => {
        /// The kind of an event. The code is what the store keeps: never change or reuse one.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
        #[serde(into = "u16", try_from = "u16")]
        pub enum EventKind {
            $($(#[$doc])* $variant,)*
        }

        impl EventKind {
            pub const ALL: &[EventKind] = &[$(EventKind::$variant,)*];

            /// The stored code.
            pub fn code(self) -> u16 {
                match self {
                    $(EventKind::$variant => $code,)*
                }
            }

            /// The name shown in logs and filters (`PARAMETER_EDITED`).
            pub fn name(self) -> &'static str {
                match self {
                    $(EventKind::$variant => $name,)*
                }
            }
        }

        impl TryFrom<u16> for EventKind {
            type Error = String;
            fn try_from(code: u16) -> Result<EventKind, String> {
                match code {
                    $($code => Ok(EventKind::$variant),)*
                    other => Err(format!("unknown event kind {other}")),
                }
            }
        }
    };
}

kinds! {
    // Administration (gd-requestbot §8.2).
    /// `piece_id`, `lang`, `new_text` (a reset logs the default).
    TextPieceEdited = 1, "TEXT_PIECE_EDITED";
    /// `route_id`, `new_channel_id` (absent when reset to an unset default).
    RouteTargetUpdated = 2, "ROUTE_TARGET_UPDATED";
    /// `route_id`, `enabled`.
    RouteToggled = 3, "ROUTE_TOGGLED";
    /// `parameter_id`, `value` (normalised; a reset logs the default).
    ParameterEdited = 4, "PARAMETER_EDITED";
    /// `permission_id`, `role_id`.
    PermissionBound = 5, "PERMISSION_BOUND";
    /// `permission_id`, `role_id`.
    PermissionUnbound = 6, "PERMISSION_UNBOUND";
    /// `role_id`, `permissions` (the flags it lost, comma-separated).
    RoleClearedFromPermissions = 7, "ROLE_CLEARED_FROM_PERMISSIONS";
    /// `preference_id`, `value`.
    UserPreferenceUpdated = 8, "USER_PREFERENCE_UPDATED";
    // Request desk (gd-requestbot §8.2).
    UserCooldownUpdated = 9, "USER_COOLDOWN_UPDATED";
    LevelCooldownUpdated = 10, "LEVEL_COOLDOWN_UPDATED";
    RequestInitialized = 11, "REQUEST_INITIALIZED";
    RequestRequested = 12, "REQUEST_REQUESTED";
    RequestOpinionAdded = 13, "REQUEST_OPINION_ADDED";
    RequestResolutionAdded = 14, "REQUEST_RESOLUTION_ADDED";
    TraineeReviewAdded = 15, "TRAINEE_REVIEW_ADDED";
    TraineeReviewResolved = 16, "TRAINEE_REVIEW_RESOLVED";
    TraineePromoted = 17, "TRAINEE_PROMOTED";
    TraineeExpelled = 18, "TRAINEE_EXPELLED";
    RequestDeleted = 19, "REQUEST_DELETED";
    /// `route_id`, `channel_id`: a route's channel is gone (reported once per channel).
    RouteChannelMissing = 20, "ROUTE_CHANNEL_MISSING";
    // osu! league.
    /// `osu_id`, `osu_username`, `league`.
    PlayerLinked = 100, "PLAYER_LINKED";
    /// `target_user_id`, `osu_username`, `reason` (a `league.unlinked.*` text, in the server's
    /// texts when it was recorded: `left the server`).
    PlayerUnlinked = 101, "PLAYER_UNLINKED";
    /// `season`, `players_moved`.
    SeasonStarted = 102, "SEASON_STARTED";
    /// `season`, `players_awarded`, `points_awarded` (the end-of-season points, each also in
    /// the players' points history).
    SeasonEnded = 103, "SEASON_ENDED";
    /// `target_user_id`, `points` (the signed change), `source`.
    PointsAdjusted = 104, "POINTS_ADJUSTED";
    /// `challenge_id`, `target_user_id`, `pp`, `league`.
    ChallengeIssued = 105, "CHALLENGE_ISSUED";
    /// `challenge_id`.
    ChallengeAccepted = 106, "CHALLENGE_ACCEPTED";
    /// `challenge_id`.
    ChallengeDeclined = 107, "CHALLENGE_DECLINED";
    /// `challenge_id`, `reason`.
    ChallengeRevoked = 108, "CHALLENGE_REVOKED";
    /// `challenge_id`, `winner_user_id`, `points`.
    ChallengeFinished = 109, "CHALLENGE_FINISHED";
    /// `challenge_id`, `reason` (`expired`): nobody answered in `challenge.expiry`.
    ChallengeExpired = 113, "CHALLENGE_EXPIRED";
    /// `target_user_id`, `league`, `from_league`.
    LeagueTransferred = 110, "LEAGUE_TRANSFERRED";
    /// `league_role` (`gold`, `participant`, …), `role_id`.
    LeagueRoleSet = 111, "LEAGUE_ROLE_SET";
    /// `players`, `updated`, `failed`: one run of the sync with osu!.
    PlayersSynced = 112, "PLAYERS_SYNCED";
    /// `week_end` (the Monday 00:00 that ended the week), `season` (absent off-season),
    /// `winners`, `players`: one week's winners chosen and everyone's weekly baseline reset.
    WeeklyWinners = 120, "WEEKLY_WINNERS";
    // Operations.
    /// `file`, `kind` (`manual` or `daily`), `copy` (`posted`, `too_large`, `route_off`): a
    /// snapshot written into the backups folder, and what became of its copy for Discord.
    BackupSaved = 200, "BACKUP_SAVED";
    /// `file` (the attachment's name), `schema`, `previous` (where the replaced store was saved):
    /// a snapshot loaded from Discord in place of the live store.
    BackupLoaded = 201, "BACKUP_LOADED";
    /// `file`, `reason`: an attachment `/backup load` refused; nothing changed.
    BackupLoadRefused = 202, "BACKUP_LOAD_REFUSED";
    // The Control Panel API (gd-requestbot §11).
    /// `staff_user_id`: the API turned on (or its key replaced) with a new key.
    ControlPanelEnabled = 210, "CONTROL_PANEL_ENABLED";
    /// `staff_user_id`: the API's key replaced; the old one no longer works.
    ControlPanelKeyRotated = 211, "CONTROL_PANEL_KEY_ROTATED";
    /// The API turned off.
    ControlPanelDisabled = 212, "CONTROL_PANEL_DISABLED";
    /// `posted` (whether the route sent it): the stream's start announced.
    StreamStarted = 220, "STREAM_STARTED";
    /// `approved`, `rejected`, `later`, `not_reviewed`, `chart`: the stream's end announced.
    StreamEnded = 221, "STREAM_ENDED";
    // Certificates.
    /// `domain`, `not_after`: a certificate from the ACME CA is in use.
    CertificateIssued = 230, "CERTIFICATE_ISSUED";
    /// `domain`, `error`, `in_use_until` (the expiry of the certificate still in use, or
    /// `none`): getting a certificate from the ACME CA failed.
    CertificateRenewalFailed = 231, "CERTIFICATE_RENEWAL_FAILED";
}

impl EventKind {
    /// Reads a name as shown in logs (any case).
    pub fn parse(name: &str) -> Option<EventKind> {
        EventKind::ALL
            .iter()
            .copied()
            .find(|k| k.name().eq_ignore_ascii_case(name.trim()))
    }
}

impl From<EventKind> for u16 {
    fn from(kind: EventKind) -> u16 {
        kind.code()
    }
}

/// Who caused an event.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Actor {
    /// Stagehand itself (scheduled jobs, automatic actions).
    Bot,
    /// A Discord user, by id.
    User(u64),
}

impl Actor {
    /// The actor index key: 0 for the bot (Discord ids are never 0).
    pub(super) fn key(self) -> u64 {
        match self {
            Actor::Bot => 0,
            Actor::User(id) => id,
        }
    }
}

/// A custom field's value. Stored by variant position: append new variants, never reorder.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Value {
    Text(String),
    Int(i64),
    Bool(bool),
    User(u64),
    Role(u64),
    Channel(u64),
    /// Explicitly nothing (e.g. a request whose level has no name).
    Absent,
}

impl From<&str> for Value {
    fn from(text: &str) -> Value {
        Value::Text(text.to_string())
    }
}

impl From<String> for Value {
    fn from(text: String) -> Value {
        Value::Text(text)
    }
}

impl From<i64> for Value {
    fn from(n: i64) -> Value {
        Value::Int(n)
    }
}

impl From<bool> for Value {
    fn from(b: bool) -> Value {
        Value::Bool(b)
    }
}

/// Mentions for ids (Discord renders them; a log post should not ping), text as is.
impl fmt::Display for Value {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Value::Text(text) => f.write_str(text),
            Value::Int(n) => write!(f, "{n}"),
            Value::Bool(b) => write!(f, "{b}"),
            Value::User(id) => write!(f, "<@{id}>"),
            Value::Role(id) => write!(f, "<@&{id}>"),
            Value::Channel(id) => write!(f, "<#{id}>"),
            Value::Absent => f.write_str("-"),
        }
    }
}

/// One entry of the log.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Event {
    pub kind: EventKind,
    pub actor: Actor,
    /// Unix seconds.
    pub at: i64,
    /// Custom fields in the order they were given.
    pub fields: Vec<(String, Value)>,
}

impl Event {
    /// Whether the event is posted to the `log` route. Every event is, except a route's default
    /// channel found by name when the guild arrives: that is the bot setting itself up, and
    /// would greet a new log channel with a line per route.
    pub fn posted_to_log(&self) -> bool {
        !(self.kind == EventKind::RouteTargetUpdated && self.actor == Actor::Bot)
    }

    pub fn new(kind: EventKind, actor: Actor, at: i64) -> Event {
        Event {
            kind,
            actor,
            at,
            fields: Vec::new(),
        }
    }

    /// Adds a custom field.
    pub fn with(mut self, name: &str, value: impl Into<Value>) -> Event {
        self.fields.push((name.to_string(), value.into()));
        self
    }

    /// The value of the field `name`, if present.
    pub fn field(&self, name: &str) -> Option<&Value> {
        self.fields.iter().find(|(n, _)| n == name).map(|(_, v)| v)
    }

    /// One English line: `PARAMETER_EDITED by <@42>: parameter_id=queue.block_at value=40`.
    /// Text with spaces or quotes is quoted; newlines never appear.
    pub fn summary(&self) -> String {
        let mut line = String::with_capacity(64);
        line.push_str(self.kind.name());
        match self.actor {
            Actor::Bot => line.push_str(" by bot"),
            Actor::User(id) => {
                let _ = write!(line, " by <@{id}>");
            }
        }
        for (i, (name, value)) in self.fields.iter().enumerate() {
            line.push_str(if i == 0 { ": " } else { " " });
            let text = value.to_string();
            let plain = !text.is_empty() && !text.contains(|c: char| c.is_whitespace() || c == '"');
            if plain {
                let _ = write!(line, "{name}={text}");
            } else {
                let _ = write!(line, "{name}={text:?}");
            }
        }
        line
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_and_names_are_unique_and_round_trip() {
        let mut codes: Vec<u16> = EventKind::ALL.iter().map(|k| k.code()).collect();
        codes.sort_unstable();
        codes.dedup();
        assert_eq!(codes.len(), EventKind::ALL.len());
        for &kind in EventKind::ALL {
            assert_eq!(EventKind::try_from(kind.code()), Ok(kind));
            assert_eq!(EventKind::parse(&kind.name().to_lowercase()), Some(kind));
        }
        assert!(EventKind::try_from(9999).is_err());
        assert_eq!(EventKind::parse("NO_SUCH_EVENT"), None);
    }

    #[test]
    fn summaries_are_one_line() {
        let event = Event::new(EventKind::TextPieceEdited, Actor::User(42), 0)
            .with("piece_id", "common.success")
            .with("lang", "en")
            .with("new_text", "Done!\nReally \"done\".")
            .with("role_id", Value::Role(7));
        assert_eq!(
            event.summary(),
            "TEXT_PIECE_EDITED by <@42>: piece_id=common.success lang=en \
             new_text=\"Done!\\nReally \\\"done\\\".\" role_id=<@&7>"
        );
        assert_eq!(
            Event::new(EventKind::SeasonStarted, Actor::Bot, 0).summary(),
            "SEASON_STARTED by bot"
        );
        assert_eq!(event.field("lang"), Some(&Value::Text("en".into())));
    }
}
