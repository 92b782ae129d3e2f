//! What an event is: its kind (a closed list with stable codes), who did it, when, and its typed
//! custom fields.

use std::fmt::{self, Write as _};

use serde::{Deserialize, Serialize};

/// The type of a custom field's values: every field name has one, whatever the event (checked
/// by a test), so a filter on a field compares typed values ([`FieldType::parse`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum FieldType {
    Text,
    Int,
    Bool,
    User,
    Role,
    Channel,
}

macro_rules! kinds {
    ($($(#[$doc:meta])* $variant:ident = $code:literal, $name:literal [$($field:ident: $ty:ident),* $(,)?];)*) => {
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

            /// The custom fields its events carry, in recording order, with their types. A field
            /// may be [`Value::Absent`] (nothing to say) or left out when the list says so in the
            /// kind's comment.
            pub fn fields(self) -> &'static [(&'static str, FieldType)] {
                match self {
                    $(EventKind::$variant => &[$((stringify!($field), FieldType::$ty),)*],)*
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
    /// A text edited or reset (a reset logs the default).
    TextPieceEdited = 1, "TEXT_PIECE_EDITED" [piece_id: Text, lang: Text, new_text: Text];
    /// `new_channel_id` is absent when reset to an unset default.
    RouteTargetUpdated = 2, "ROUTE_TARGET_UPDATED" [route_id: Text, new_channel_id: Channel];
    RouteToggled = 3, "ROUTE_TOGGLED" [route_id: Text, enabled: Bool];
    /// `value` normalised; a reset logs the default.
    ParameterEdited = 4, "PARAMETER_EDITED" [parameter_id: Text, value: Text];
    PermissionBound = 5, "PERMISSION_BOUND" [permission_id: Text, role_id: Role];
    PermissionUnbound = 6, "PERMISSION_UNBOUND" [permission_id: Text, role_id: Role];
    /// `permissions`: the flags it lost, comma-separated.
    RoleClearedFromPermissions = 7, "ROLE_CLEARED_FROM_PERMISSIONS" [role_id: Role, permissions: Text];
    /// `/language`: `preference_id` is `language`, `value` the language's code.
    UserPreferenceUpdated = 8, "USER_PREFERENCE_UPDATED" [preference_id: Text, value: Text];
    // Request desk (gd-requestbot §8.2).
    /// `old` and `new`: `not on cooldown`, `until <ISO time>` or `forever`.
    UserCooldownUpdated = 9, "USER_COOLDOWN_UPDATED" [target_user_id: User, old: Text, new: Text, reason: Text];
    LevelCooldownUpdated = 10, "LEVEL_COOLDOWN_UPDATED" [target_level_id: Int, old: Text, new: Text, reason: Text];
    /// `/request create` passed its checks and showed the form (no request exists yet: it is
    /// stored when the form is submitted, `REQUEST_REQUESTED`).
    RequestInitialized = 11, "REQUEST_INITIALIZED" [level_id: Int, level_name: Text, lang: Text];
    RequestRequested = 12, "REQUEST_REQUESTED" [request_id: Int, level_id: Int, level_name: Text, lang: Text];
    /// `review`: `yes` or `NO_REVIEW`; `reason`: the reason or `NO_REASON`.
    RequestOpinionAdded = 13, "REQUEST_OPINION_ADDED" [request_id: Int, level_id: Int, level_name: Text, opinion: Text, is_first: Bool, review: Text, reason: Text];
    RequestResolutionAdded = 14, "REQUEST_RESOLUTION_ADDED" [request_id: Int, level_id: Int, level_name: Text, opinion: Text, is_first: Bool, review: Text, reason: Text];
    TraineeReviewAdded = 15, "TRAINEE_REVIEW_ADDED" [request_id: Int, level_id: Int, level_name: Text, review_id: Int, opinion: Text];
    /// `review`: a link to the practice review (its id before it was posted).
    TraineeReviewResolved = 16, "TRAINEE_REVIEW_RESOLVED" [review: Text, trainee_user_id: User, accepted: Bool, feedback: Text, review_cnt: Int, resolved_review_cnt: Int, accepted_review_cnt: Int, review_id: Int];
    TraineePromoted = 17, "TRAINEE_PROMOTED" [trainee_user_id: User, removed_roles: Text, added_role: Role];
    TraineeExpelled = 18, "TRAINEE_EXPELLED" [trainee_user_id: User, removed_roles: Text];
    RequestDeleted = 19, "REQUEST_DELETED" [request_id: Int];
    /// A route's channel is gone (reported once per channel).
    RouteChannelMissing = 20, "ROUTE_CHANNEL_MISSING" [route_id: Text, channel_id: Channel];
    /// A log filter saved for every log viewer (`/log save_filter`), with what it shows.
    LogFilterSaved = 21, "LOG_FILTER_SAVED" [name: Text, filter: Text];
    /// A saved log filter deleted (`/log delete_filter`).
    LogFilterDeleted = 22, "LOG_FILTER_DELETED" [name: Text];
    // osu! league.
    PlayerLinked = 100, "PLAYER_LINKED" [osu_id: Int, osu_username: Text, league: Text];
    /// `reason`: a `league.unlinked.*` text, in the server's texts when it was recorded (`left
    /// the server`).
    PlayerUnlinked = 101, "PLAYER_UNLINKED" [target_user_id: User, osu_username: Text, reason: Text];
    SeasonStarted = 102, "SEASON_STARTED" [season: Int, players_moved: Int];
    /// The end-of-season points, each also in the players' points history.
    SeasonEnded = 103, "SEASON_ENDED" [season: Int, players_awarded: Int, points_awarded: Int];
    /// `points`: the signed change.
    PointsAdjusted = 104, "POINTS_ADJUSTED" [target_user_id: User, points: Int, source: Text];
    ChallengeIssued = 105, "CHALLENGE_ISSUED" [challenge_id: Int, target_user_id: User, pp: Int, league: Text];
    ChallengeAccepted = 106, "CHALLENGE_ACCEPTED" [challenge_id: Int];
    ChallengeDeclined = 107, "CHALLENGE_DECLINED" [challenge_id: Int];
    ChallengeRevoked = 108, "CHALLENGE_REVOKED" [challenge_id: Int, reason: Text];
    ChallengeFinished = 109, "CHALLENGE_FINISHED" [challenge_id: Int, winner_user_id: User, points: Int];
    /// `reason` (`expired`): nobody answered in `challenge.expiry`.
    ChallengeExpired = 113, "CHALLENGE_EXPIRED" [challenge_id: Int, reason: Text];
    LeagueTransferred = 110, "LEAGUE_TRANSFERRED" [target_user_id: User, league: Text, from_league: Text];
    /// `league_role`: `gold`, `participant`, ….
    LeagueRoleSet = 111, "LEAGUE_ROLE_SET" [league_role: Text, role_id: Role];
    /// One run of the sync with osu!.
    PlayersSynced = 112, "PLAYERS_SYNCED" [players: Int, updated: Int, failed: Int];
    /// One week's winners chosen and everyone's weekly baseline reset: `week_end` is the unix
    /// time of the Monday 00:00 that ended the week; `season` is left out off-season.
    WeeklyWinners = 120, "WEEKLY_WINNERS" [week_end: Int, season: Int, winners: Int, players: Int];
    // Operations.
    /// A snapshot written into the backups folder (`kind`: `manual` or `daily`), and what became
    /// of its copy for Discord (`copy`: `posted`, `too_large` or `route_off`).
    BackupSaved = 200, "BACKUP_SAVED" [file: Text, kind: Text, copy: Text];
    /// A snapshot loaded from Discord in place of the live store: `file` is the attachment's
    /// name, `previous` where the replaced store was saved.
    BackupLoaded = 201, "BACKUP_LOADED" [file: Text, schema: Int, previous: Text];
    /// An attachment `/backup load` refused; nothing changed.
    BackupLoadRefused = 202, "BACKUP_LOAD_REFUSED" [file: Text, reason: Text];
    /// `stagehand import`: the data of one of the original bots moved in (`source`:
    /// `requestbot` or `osu-arena`), with how many rows it brought and how many it left out.
    DataImported = 203, "DATA_IMPORTED" [source: Text, imported_rows: Int, skipped_rows: Int];
    // The Control Panel API (gd-requestbot §11).
    /// The API turned on with a new key, acting as `staff_user_id`.
    ControlPanelEnabled = 210, "CONTROL_PANEL_ENABLED" [staff_user_id: User];
    /// The API's key replaced; the old one no longer works.
    ControlPanelKeyRotated = 211, "CONTROL_PANEL_KEY_ROTATED" [staff_user_id: User];
    /// The API turned off.
    ControlPanelDisabled = 212, "CONTROL_PANEL_DISABLED" [];
    /// The stream's start announced.
    StreamStarted = 220, "STREAM_STARTED" [];
    /// The stream's end announced; `chart`: whether the results donut went with it.
    StreamEnded = 221, "STREAM_ENDED" [approved: Int, rejected: Int, later: Int, not_reviewed: Int, chart: Bool];
    // Certificates.
    /// A certificate from the ACME CA is in use until `not_after`.
    CertificateIssued = 230, "CERTIFICATE_ISSUED" [domain: Text, not_after: Text];
    /// Getting a certificate from the ACME CA failed; `in_use_until` is the expiry of the
    /// certificate still in use, or `none`.
    CertificateRenewalFailed = 231, "CERTIFICATE_RENEWAL_FAILED" [domain: Text, error: Text, in_use_until: Text];
}

impl EventKind {
    /// Reads a name as shown in logs (any case).
    pub fn parse(name: &str) -> Option<EventKind> {
        EventKind::ALL
            .iter()
            .copied()
            .find(|k| k.name().eq_ignore_ascii_case(name.trim()))
    }

    /// The type of field `name` in this kind's events, if it has one.
    pub fn field(self, name: &str) -> Option<FieldType> {
        self.fields()
            .iter()
            .find(|(field, _)| *field == name)
            .map(|(_, ty)| *ty)
    }
}

impl FieldType {
    /// The type of the field `name` in whichever event has it (one type per name); `None` for
    /// a name no event has.
    pub fn of_field(name: &str) -> Option<FieldType> {
        EventKind::ALL.iter().find_map(|kind| kind.field(name))
    }

    /// Every field name any event has, sorted.
    pub fn field_names() -> Vec<&'static str> {
        let mut names: Vec<&'static str> = EventKind::ALL
            .iter()
            .flat_map(|kind| kind.fields().iter().map(|(name, _)| *name))
            .collect();
        names.sort_unstable();
        names.dedup();
        names
    }

    /// The type of `value`; `None` for [`Value::Absent`], which fits any field.
    pub fn of(value: &Value) -> Option<FieldType> {
        match value {
            Value::Text(_) => Some(FieldType::Text),
            Value::Int(_) => Some(FieldType::Int),
            Value::Bool(_) => Some(FieldType::Bool),
            Value::User(_) => Some(FieldType::User),
            Value::Role(_) => Some(FieldType::Role),
            Value::Channel(_) => Some(FieldType::Channel),
            Value::Absent => None,
        }
    }

    /// The name in messages and texts (`log.field_type.<name>`).
    pub fn name(self) -> &'static str {
        match self {
            FieldType::Text => "text",
            FieldType::Int => "int",
            FieldType::Bool => "bool",
            FieldType::User => "user",
            FieldType::Role => "role",
            FieldType::Channel => "channel",
        }
    }

    /// Reads what a member typed as a value of this type: text as typed, a whole number, `true`
    /// or `false` (also `yes`/`no`, `t`/`f`, `y`/`n`), or an id — bare or as Discord writes a
    /// mention of that kind (`<@1>` or `<@!1>`, `<@&1>`, `<#1>`). `None` when it is none of
    /// these.
    pub fn parse(self, input: &str) -> Option<Value> {
        let trimmed = input.trim();
        match self {
            FieldType::Text => Some(Value::Text(input.to_string())),
            FieldType::Int => {
                let digits = trimmed.strip_prefix(['-', '+']).unwrap_or(trimmed);
                let plain = !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit());
                plain
                    .then(|| trimmed.parse().ok())
                    .flatten()
                    .map(Value::Int)
            }
            FieldType::Bool => match trimmed.to_ascii_lowercase().as_str() {
                "true" | "t" | "yes" | "y" => Some(Value::Bool(true)),
                "false" | "f" | "no" | "n" => Some(Value::Bool(false)),
                _ => None,
            },
            FieldType::User => {
                let inner = mention(trimmed, "<@!").or_else(|| mention(trimmed, "<@"));
                id(inner.unwrap_or(trimmed)).map(Value::User)
            }
            FieldType::Role => id(mention(trimmed, "<@&").unwrap_or(trimmed)).map(Value::Role),
            FieldType::Channel => id(mention(trimmed, "<#").unwrap_or(trimmed)).map(Value::Channel),
        }
    }
}

/// The inside of `<prefix…>`.
fn mention<'a>(text: &'a str, prefix: &str) -> Option<&'a str> {
    text.strip_prefix(prefix)?.strip_suffix('>')
}

/// A Discord id: ASCII digits, not zero, fitting `u64`.
fn id(text: &str) -> Option<u64> {
    let plain = !text.is_empty() && text.len() <= 20 && text.bytes().all(|b| b.is_ascii_digit());
    plain
        .then(|| text.parse().ok())
        .flatten()
        .filter(|n| *n > 0)
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

    /// Whether every custom field is one its kind declares, with a value of the declared type
    /// (or absent): what [`super::record`] checks in debug builds.
    pub fn conforms(&self) -> Result<(), String> {
        for (name, value) in &self.fields {
            let Some(declared) = self.kind.field(name) else {
                return Err(format!("{} has no field {name}", self.kind.name()));
            };
            if let Some(found) = FieldType::of(value)
                && found != declared
            {
                return Err(format!(
                    "{}.{name} is {}, not {}",
                    self.kind.name(),
                    declared.name(),
                    found.name()
                ));
            }
        }
        Ok(())
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

    #[test]
    fn every_field_name_has_one_type() {
        let mut seen: std::collections::HashMap<&str, (FieldType, EventKind)> =
            std::collections::HashMap::new();
        for &kind in EventKind::ALL {
            let mut names: Vec<&str> = kind.fields().iter().map(|(n, _)| *n).collect();
            let count = names.len();
            names.sort_unstable();
            names.dedup();
            assert_eq!(names.len(), count, "{} declares a field twice", kind.name());
            for &(name, ty) in kind.fields() {
                if let Some((other, by)) = seen.insert(name, (ty, kind)) {
                    assert_eq!(other, ty, "{name}: {} and {}", by.name(), kind.name());
                }
            }
        }
        assert_eq!(FieldType::of_field("role_id"), Some(FieldType::Role));
        assert_eq!(FieldType::of_field("no_such_field"), None);
        let names = FieldType::field_names();
        assert!(names.windows(2).all(|w| w[0] < w[1]), "{names:?}");
        assert!(names.contains(&"request_id") && names.contains(&"challenge_id"));
    }

    #[test]
    fn typed_values_are_read_exactly() {
        use FieldType::*;
        let cases: &[(FieldType, &str, Option<Value>)] = &[
            (
                Text,
                " queue.blocked ",
                Some(Value::Text(" queue.blocked ".into())),
            ),
            (Text, "", Some(Value::Text(String::new()))),
            (Int, "42", Some(Value::Int(42))),
            (Int, " -7 ", Some(Value::Int(-7))),
            (Int, "+7", Some(Value::Int(7))),
            (Int, "9223372036854775807", Some(Value::Int(i64::MAX))),
            (Int, "9223372036854775808", None),
            (Int, "4.5", None),
            (Int, "", None),
            (Int, "-", None),
            (Int, "--1", None),
            (Int, "١٢", None),
            (Int, "0x10", None),
            (Bool, "TRUE", Some(Value::Bool(true))),
            (Bool, "n", Some(Value::Bool(false))),
            (Bool, "yes please", None),
            (Bool, "1", None),
            (
                User,
                "<@81000000000000001>",
                Some(Value::User(81_000_000_000_000_001)),
            ),
            (User, "<@!81>", Some(Value::User(81))),
            (User, "81", Some(Value::User(81))),
            (User, "<@&81>", None),
            (User, "<@0>", None),
            (User, "0", None),
            (User, "<@81", None),
            (User, "18446744073709551616", None),
            (User, "@kira", None),
            (Role, "<@&7>", Some(Value::Role(7))),
            (Role, "7", Some(Value::Role(7))),
            (Role, "<@7>", None),
            (Channel, "<#8001>", Some(Value::Channel(8001))),
            (Channel, "#8001", None),
            (Channel, "<#-1>", None),
        ];
        for (ty, input, expected) in cases {
            assert_eq!(&ty.parse(input), expected, "{ty:?} {input:?}");
        }
    }

    #[test]
    fn conformance_names_the_stray_field() {
        let good = Event::new(EventKind::RouteTargetUpdated, Actor::Bot, 0)
            .with("route_id", "log")
            .with("new_channel_id", Value::Absent);
        assert_eq!(good.conforms(), Ok(()));
        let stray = good.clone().with("colour", "red");
        assert!(stray.conforms().unwrap_err().contains("colour"));
        let mistyped = Event::new(EventKind::RouteToggled, Actor::Bot, 0).with("enabled", "yes");
        assert!(mistyped.conforms().unwrap_err().contains("enabled"));
    }
}
