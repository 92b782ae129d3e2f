//! Parameters (gd-requestbot §6.1–6.2, plus the league's tunables): typed values an admin may
//! change without a programmer.
//!
//! [`Param`] names every parameter; `defaults/parameters.toml` (embedded) gives each its type and
//! default; the store (`parameter_values`) keeps only overrides, normalised. Reads return the
//! override or the default. A change is one transaction with its `PARAMETER_EDITED` event, and a
//! value that does not parse changes nothing.
//!
//! Knows nothing of Discord.

mod value;

pub use value::{BadValue, Kind, MAX_NUMBER, Reason, Value};

use std::collections::HashMap;
use std::sync::OnceLock;

use crate::audit::{self, Actor, Change, Event, EventKind};
use crate::i18n::Message;
use crate::store::{Read, Store, StoreError, Table, Writer};
use crate::time::Duration;

/// Parameter overrides: parameter name → normalised value (see `params`).
pub(crate) const PARAMETER_VALUES: Table<str, String> = Table::new("parameter_values");

macro_rules! params {
    ($($variant:ident = $name:literal,)*) => {
        /// A parameter. Its name is what the store and commands use.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
        pub enum Param {
            $($variant,)*
        }

        impl Param {
            /// Every parameter, in `/parameter list` order.
            pub const ALL: &[Param] = &[$(Param::$variant,)*];

            pub fn name(self) -> &'static str {
                match self {
                    $(Param::$variant => $name,)*
                }
            }

            /// The text saying what the parameter does.
            pub fn description_key(self) -> &'static str {
                match self {
                    $(Param::$variant => concat!("parameter.description.", $name),)*
                }
            }
        }
    };
}

params! {
    QueueBlockAt = "queue.block_at",
    QueueUnblockAt = "queue.unblock_at",
    QueueBlockEnabled = "queue.block_enabled",
    QueueUnblockEnabled = "queue.unblock_enabled",
    QueueBlocked = "queue.blocked",
    QueueNoticeRole = "queue.notice_role",
    PostRequestUserCooldown = "cooldown.post_request_user_cd",
    PostRejectLevelCooldown = "cooldown.post_reject_level_cd",
    AppendConclusionToReview = "request.append_conclusion_to_review",
    AppendConclusionToFinalReview = "request.append_conclusion_to_final_review",
    MinStarsToRequireShowcase = "request.min_stars_to_require_showcase",
    AlwaysRequireShowcase = "request.always_require_showcase",
    ReviewsForPromotionDecision = "trainee.resolved_reviews_for_promotion_decision",
    MasterBelow = "league.master_below",
    EliteBelow = "league.elite_below",
    DiamondBelow = "league.diamond_below",
    PlatinumBelow = "league.platinum_below",
    GoldBelow = "league.gold_below",
    SilverBelow = "league.silver_below",
    BronzeBelow = "league.bronze_below",
    ChallengeMinPp = "challenge.min_pp",
    ChallengeMaxPp = "challenge.max_pp",
    ChallengeMaxActive = "challenge.max_active",
    ChallengePairCooldown = "challenge.pair_cooldown",
    ChallengeExpiry = "challenge.expiry",
    SyncInterval = "sync.interval",
    WeeklyWinnerPoints = "points.weekly_winner",
    WeeklyTimeZone = "league.weekly_time_zone",
    TopPlayMultiplier = "points.top_play_multiplier",
    TopPlayPercentNovice = "points.top_play_percent.novice",
    TopPlayPercentBronze = "points.top_play_percent.bronze",
    TopPlayPercentSilver = "points.top_play_percent.silver",
    TopPlayPercentGold = "points.top_play_percent.gold",
    TopPlayPercentPlatinum = "points.top_play_percent.platinum",
    TopPlayPercentDiamond = "points.top_play_percent.diamond",
    TopPlayPercentElite = "points.top_play_percent.elite",
    TopPlayPercentMaster = "points.top_play_percent.master",
}

impl Param {
    /// The parameter named `name` (as listed).
    pub fn parse(name: &str) -> Result<Param, ParameterError> {
        let name = name.trim();
        Param::ALL
            .iter()
            .copied()
            .find(|p| p.name() == name)
            .ok_or_else(|| ParameterError::Unknown(name.to_string()))
    }

    /// The parameter's type.
    pub fn kind(self) -> Kind {
        defaults().get(&self).map_or(Kind::Uint, |d| d.0)
    }

    /// The default value.
    pub fn default_value(self) -> Value {
        defaults().get(&self).map_or(Value::Number(0), |d| d.1)
    }
}

/// Why a parameter change was refused; nothing changed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ParameterError {
    #[error("no parameter is named {0:?}")]
    Unknown(String),
    #[error(transparent)]
    BadValue(#[from] BadValue),
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl ParameterError {
    pub fn message(&self) -> Message {
        match self {
            ParameterError::Unknown(name) => {
                Message::new("error.parameter.unknown").with("name", name)
            }
            ParameterError::BadValue(bad) => bad.message(),
            ParameterError::Store(_) => Message::new("error.command_error"),
        }
    }
}

/// A parameter's type, default and current value (`/parameter describe`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Description {
    pub param: Param,
    pub kind: Kind,
    pub default: Value,
    pub current: Value,
    /// The current value is stored, not the default.
    pub overridden: bool,
}

/// The current value of `param`.
pub fn get(r: &impl Read, param: Param) -> Result<Value, StoreError> {
    Ok(override_of(r, param)?.unwrap_or(param.default_value()))
}

/// The current value of a `natural` or `uint` parameter.
pub fn number(r: &impl Read, param: Param) -> Result<u64, StoreError> {
    match get(r, param)? {
        Value::Number(n) => Ok(n),
        other => Err(wrong_type(param, other)),
    }
}

/// The current value of a `bool` parameter.
pub fn flag(r: &impl Read, param: Param) -> Result<bool, StoreError> {
    match get(r, param)? {
        Value::Bool(b) => Ok(b),
        other => Err(wrong_type(param, other)),
    }
}

/// The current value of a `duration` parameter.
pub fn duration(r: &impl Read, param: Param) -> Result<Duration, StoreError> {
    match get(r, param)? {
        Value::Duration(d) => Ok(d),
        other => Err(wrong_type(param, other)),
    }
}

/// The current value of a `role` parameter.
pub fn role(r: &impl Read, param: Param) -> Result<Option<u64>, StoreError> {
    match get(r, param)? {
        Value::Role(role) => Ok(role),
        other => Err(wrong_type(param, other)),
    }
}

/// The zone of a `time_zone` parameter.
pub fn time_zone(r: &impl Read, param: Param) -> Result<jiff::tz::TimeZone, StoreError> {
    match get(r, param)? {
        Value::TimeZone(name) => {
            crate::time::zone(name).ok_or_else(|| wrong_type(param, Value::TimeZone(name)))
        }
        other => Err(wrong_type(param, other)),
    }
}

/// Everything `/parameter describe` shows.
pub fn describe(r: &impl Read, param: Param) -> Result<Description, StoreError> {
    let stored = override_of(r, param)?;
    let default = param.default_value();
    Ok(Description {
        param,
        kind: param.kind(),
        default,
        current: stored.unwrap_or(default),
        overridden: stored.is_some(),
    })
}

/// Sets `param` from text. The same value as now is no effect; the default value removes the
/// override.
pub fn set(
    store: &Store,
    actor: Actor,
    param: Param,
    input: &str,
    now: i64,
) -> Result<Change, ParameterError> {
    let value = param.kind().parse(input)?;
    Ok(store.write(|w| set_value(w, actor, param, value, now))?)
}

/// Sets `param` to `value` inside the caller's transaction (automatic changes, such as the
/// queue closing by itself). The same value as now is no effect.
pub fn set_value(
    w: &mut Writer,
    actor: Actor,
    param: Param,
    value: Value,
    now: i64,
) -> Result<Change, StoreError> {
    if get(w, param)? == value {
        return Ok(Change::NoEffect);
    }
    if value == param.default_value() {
        w.remove(&PARAMETER_VALUES, param.name())?;
    } else {
        w.insert(&PARAMETER_VALUES, param.name(), &value.to_string())?;
    }
    record(w, actor, param, value, now)
}

/// Stores `param`'s value from another bot's text (`stagehand import`), normalised, without an
/// event; the default value stores no override. A value that does not parse changes nothing.
pub fn import(
    w: &mut Writer,
    param: Param,
    input: &str,
) -> Result<Result<(), BadValue>, StoreError> {
    let value = match param.kind().parse(input) {
        Ok(value) => value,
        Err(bad) => return Ok(Err(bad)),
    };
    if value == param.default_value() {
        w.remove(&PARAMETER_VALUES, param.name())?;
    } else {
        w.insert(&PARAMETER_VALUES, param.name(), &value.to_string())?;
    }
    Ok(Ok(()))
}

/// Returns `param` to its default; no effect when it is not overridden.
pub fn reset(
    store: &Store,
    actor: Actor,
    param: Param,
    now: i64,
) -> Result<Change, ParameterError> {
    store.write(|w| {
        if !w.remove(&PARAMETER_VALUES, param.name())? {
            return Ok(Change::NoEffect);
        }
        Ok(record(w, actor, param, param.default_value(), now)?)
    })
}

fn record(
    w: &mut Writer,
    actor: Actor,
    param: Param,
    value: Value,
    now: i64,
) -> Result<Change, StoreError> {
    let event = Event::new(EventKind::ParameterEdited, actor, now)
        .with("parameter_id", param.name())
        .with("value", value.to_string());
    Ok(Change::Applied(audit::record(w, &event)?))
}

/// The stored override, if it still parses as the parameter's type (a type changed by an
/// upgrade falls back to the default, logged).
fn override_of(r: &impl Read, param: Param) -> Result<Option<Value>, StoreError> {
    let Some(text) = r.get(&PARAMETER_VALUES, param.name())? else {
        return Ok(None);
    };
    match param.kind().parse(&text) {
        Ok(value) => Ok(Some(value)),
        Err(err) => {
            tracing::warn!(parameter = param.name(), err = ?err.to_string(), "ignoring a stored value");
            Ok(None)
        }
    }
}

fn wrong_type(param: Param, value: Value) -> StoreError {
    StoreError::Decode {
        table: PARAMETER_VALUES.name(),
        detail: format!("{} is {value}, not of the type asked for", param.name()),
    }
}

#[derive(rust_embed::Embed)]
#[folder = "defaults/"]
#[include = "parameters.toml"]
struct DefaultsFile;

/// Type and default of each parameter, from `defaults/parameters.toml`.
fn defaults() -> &'static HashMap<Param, (Kind, Value)> {
    static DEFAULTS: OnceLock<HashMap<Param, (Kind, Value)>> = OnceLock::new();
    DEFAULTS.get_or_init(|| {
        load_defaults().unwrap_or_else(|err| {
            tracing::error!(error = %err, "defaults/parameters.toml is broken");
            HashMap::new()
        })
    })
}

/// Checks the embedded defaults: every [`Param`] exactly once, known types, valid defaults.
pub fn check_defaults() -> Result<(), String> {
    load_defaults().map(|_| ())
}

fn load_defaults() -> Result<HashMap<Param, (Kind, Value)>, String> {
    #[derive(serde::Deserialize)]
    #[serde(deny_unknown_fields)]
    struct Entry {
        r#type: String,
        default: String,
    }
    let file = DefaultsFile::get("parameters.toml").ok_or("parameters.toml is missing")?;
    let text = std::str::from_utf8(&file.data).map_err(|e| e.to_string())?;
    let entries: HashMap<String, Entry> =
        toml::from_str(text).map_err(|e| format!("parameters.toml: {}", e.message()))?;
    let mut out = HashMap::new();
    for (name, entry) in entries {
        let param = Param::parse(&name).map_err(|e| e.to_string())?;
        let kind = Kind::parse_name(&entry.r#type)
            .ok_or_else(|| format!("{name}: unknown type {:?}", entry.r#type))?;
        let default = kind
            .parse(&entry.default)
            .map_err(|e| format!("{name}: default {e}"))?;
        out.insert(param, (kind, default));
    }
    if let Some(missing) = Param::ALL.iter().find(|p| !out.contains_key(p)) {
        return Err(format!("{} has no default", missing.name()));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use crate::audit::{Index, Position};

    const ADMIN: Actor = Actor::User(42);

    #[test]
    fn the_defaults_cover_every_parameter() {
        check_defaults().unwrap();
        assert_eq!(Param::QueueBlockAt.kind(), Kind::Natural);
        assert_eq!(Param::QueueBlockAt.default_value(), Value::Number(50));
        assert_eq!(
            Param::PostRejectLevelCooldown.default_value(),
            Value::Duration(Duration::Finite(7 * 86_400))
        );
        assert_eq!(
            Param::parse(" queue.blocked ").unwrap(),
            Param::QueueBlocked
        );
        assert!(matches!(
            Param::parse("queue"),
            Err(ParameterError::Unknown(_))
        ));
    }

    #[test]
    fn set_reset_and_no_effect() {
        let (_dir, store) = Store::temporary();
        let p = Param::QueueBlockAt;
        let change = set(&store, ADMIN, p, "40", 1).unwrap();
        assert!(matches!(change, Change::Applied(_)));
        assert_eq!(store.read(|r| number(r, p)).unwrap(), 40);
        assert_eq!(set(&store, ADMIN, p, " 40", 2).unwrap(), Change::NoEffect);
        let described = store.read(|r| describe(r, p)).unwrap();
        assert!(described.overridden);
        assert_eq!(described.default, Value::Number(50));
        assert_eq!(described.current, Value::Number(40));

        // Back to the default by value: the override is dropped.
        assert!(matches!(
            set(&store, ADMIN, p, "50", 3).unwrap(),
            Change::Applied(_)
        ));
        assert!(!store.read(|r| describe(r, p)).unwrap().overridden);
        assert_eq!(reset(&store, ADMIN, p, 4).unwrap(), Change::NoEffect);
        assert_eq!(set(&store, ADMIN, p, "50", 4).unwrap(), Change::NoEffect);

        set(&store, ADMIN, Param::ChallengeExpiry, "1 h", 5).unwrap();
        assert_eq!(
            store.read(|r| duration(r, Param::ChallengeExpiry)).unwrap(),
            Duration::Finite(3600)
        );
        assert!(matches!(
            reset(&store, ADMIN, Param::ChallengeExpiry, 6).unwrap(),
            Change::Applied(_)
        ));
        set(&store, Actor::Bot, Param::QueueBlocked, "YES", 7).unwrap();
        assert!(store.read(|r| flag(r, Param::QueueBlocked)).unwrap());
        assert!(
            store.read(|r| flag(r, Param::QueueBlockAt)).is_err(),
            "wrong type"
        );

        let all = Position::at_time(i64::MIN);
        let log: Vec<String> = store
            .read(|r| audit::query(r, Index::All, all, i64::MAX, 10))
            .unwrap()
            .into_iter()
            .map(|(_, e)| e.summary())
            .collect();
        assert_eq!(
            log,
            [
                "PARAMETER_EDITED by <@42>: parameter_id=queue.block_at value=40",
                "PARAMETER_EDITED by <@42>: parameter_id=queue.block_at value=50",
                "PARAMETER_EDITED by <@42>: parameter_id=challenge.expiry value=1h",
                "PARAMETER_EDITED by <@42>: parameter_id=challenge.expiry value=10min",
                "PARAMETER_EDITED by bot: parameter_id=queue.blocked value=true",
            ]
        );
    }

    #[test]
    fn bad_values_change_nothing() {
        let (_dir, store) = Store::temporary();
        for (param, input) in [
            (Param::QueueBlockAt, "0"),
            (Param::QueueBlockAt, "-5"),
            (Param::QueueBlockAt, "lots"),
            (Param::QueueBlocked, "maybe"),
            (Param::ChallengeExpiry, "+1d"),
            (Param::ChallengeExpiry, ""),
        ] {
            let err = set(&store, ADMIN, param, input, 1).unwrap_err();
            assert!(matches!(err, ParameterError::BadValue(_)), "{input:?}");
            assert!(err.message().params.iter().any(|(_, v)| v == input));
        }
        let all = Position::at_time(i64::MIN);
        assert!(
            store
                .read(|r| audit::query(r, Index::All, all, i64::MAX, 10))
                .unwrap()
                .is_empty()
        );
        assert_eq!(store.read(|r| number(r, Param::QueueBlockAt)).unwrap(), 50);
    }
}
