//! Parameter types and how text becomes a typed value (gd-requestbot §6.2, with the README's
//! promised boolean synonyms in any case, and durations from `time`).

use std::fmt;

use crate::i18n::Message;
use crate::time::{Duration, DurationError, DurationProblem};

/// The type of a parameter.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// An integer ≥ 1.
    Natural,
    /// An integer ≥ 0.
    Uint,
    /// `true`/`t`/`yes`/`y` or `false`/`f`/`no`/`n`, any case.
    Bool,
    /// An absolute duration, `0` or `inf` (see `/help duration`).
    Duration,
    /// A role of the server, as a mention (`<@&id>`) or its id, or `none`.
    Role,
    /// An IANA time zone name (`America/Chicago`), in any case; stored as the database spells it.
    TimeZone,
}

impl Kind {
    /// The name in `defaults/parameters.toml` and in replies.
    pub fn name(self) -> &'static str {
        match self {
            Kind::Natural => "natural",
            Kind::Uint => "uint",
            Kind::Bool => "bool",
            Kind::Duration => "duration",
            Kind::Role => "role",
            Kind::TimeZone => "time_zone",
        }
    }

    /// The text naming the type for people (`parameter.kind.natural`).
    pub fn text_key(self) -> &'static str {
        match self {
            Kind::Natural => "parameter.kind.natural",
            Kind::Uint => "parameter.kind.uint",
            Kind::Bool => "parameter.kind.bool",
            Kind::Duration => "parameter.kind.duration",
            Kind::Role => "parameter.kind.role",
            Kind::TimeZone => "parameter.kind.time_zone",
        }
    }

    pub(super) fn parse_name(name: &str) -> Option<Kind> {
        [
            Kind::Natural,
            Kind::Uint,
            Kind::Bool,
            Kind::Duration,
            Kind::Role,
            Kind::TimeZone,
        ]
        .into_iter()
        .find(|k| k.name() == name)
    }

    /// Reads `input` as a value of this type.
    pub fn parse(self, input: &str) -> Result<Value, BadValue> {
        let text = input.trim();
        let fail = |reason| BadValue {
            value: input.to_string(),
            kind: self,
            reason,
        };
        match self {
            Kind::Natural | Kind::Uint => {
                if text.is_empty() || !text.bytes().all(|b| b.is_ascii_digit()) {
                    return Err(fail(Reason::NotANumber));
                }
                let n: u64 = text.parse().map_err(|_| fail(Reason::TooLarge))?;
                if n > MAX_NUMBER {
                    return Err(fail(Reason::TooLarge));
                }
                if n == 0 && self == Kind::Natural {
                    return Err(fail(Reason::Zero));
                }
                Ok(Value::Number(n))
            }
            Kind::Bool => match text.to_ascii_lowercase().as_str() {
                "true" | "t" | "yes" | "y" => Ok(Value::Bool(true)),
                "false" | "f" | "no" | "n" => Ok(Value::Bool(false)),
                _ => Err(fail(Reason::NotABool)),
            },
            Kind::Duration => Duration::parse(text)
                .map(Value::Duration)
                .map_err(|e| fail(Reason::Duration(e.problem))),
            Kind::Role => {
                if text.eq_ignore_ascii_case("none") {
                    return Ok(Value::Role(None));
                }
                let id = text
                    .strip_prefix("<@&")
                    .and_then(|t| t.strip_suffix('>'))
                    .unwrap_or(text);
                if id.is_empty() || !id.bytes().all(|b| b.is_ascii_digit()) {
                    return Err(fail(Reason::NotARole));
                }
                match id.parse::<u64>() {
                    Ok(id) if id > 0 => Ok(Value::Role(Some(id))),
                    _ => Err(fail(Reason::NotARole)),
                }
            }
            Kind::TimeZone => crate::time::zone_name(text)
                .map(Value::TimeZone)
                .ok_or_else(|| fail(Reason::NotATimeZone)),
        }
    }
}

/// The largest number a parameter takes: small enough that domain arithmetic never overflows.
pub const MAX_NUMBER: u64 = u32::MAX as u64;

/// A typed parameter value.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Value {
    Number(u64),
    Bool(bool),
    Duration(Duration),
    Role(Option<u64>),
    /// A zone name as the built-in database spells it (`time::zone_name`).
    TimeZone(&'static str),
}

/// The normalised form, as stored and shown (`50`, `true`, `1w2d`, `inf`, `<@&42>`, `none`,
/// `America/Chicago`).
impl fmt::Display for Value {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Value::Number(n) => write!(f, "{n}"),
            Value::Bool(b) => write!(f, "{b}"),
            Value::Duration(d) => write!(f, "{d}"),
            Value::Role(Some(id)) => write!(f, "<@&{id}>"),
            Value::Role(None) => write!(f, "none"),
            Value::TimeZone(name) => f.write_str(name),
        }
    }
}

/// A value that does not fit the parameter's type.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{value:?} is not a valid {}: {reason}", kind.name())]
pub struct BadValue {
    pub value: String,
    pub kind: Kind,
    pub reason: Reason,
}

/// Why a value was refused.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Reason {
    #[error("not a whole number")]
    NotANumber,
    #[error("must be at least 1")]
    Zero,
    #[error("too large")]
    TooLarge,
    #[error("not yes or no")]
    NotABool,
    #[error("not a role")]
    NotARole,
    #[error("not a time zone")]
    NotATimeZone,
    #[error(transparent)]
    Duration(DurationProblem),
}

impl BadValue {
    /// The localised reply, naming the value (`value`) and the type (`param_type`).
    pub fn message(&self) -> Message {
        let key = match &self.reason {
            Reason::Duration(problem) => {
                return DurationError {
                    input: self.value.clone(),
                    problem: problem.clone(),
                }
                .message();
            }
            Reason::NotANumber => "error.parameter.not_a_number",
            Reason::Zero => "error.parameter.zero",
            Reason::TooLarge => "error.parameter.too_large",
            Reason::NotABool => "error.parameter.not_a_bool",
            Reason::NotARole => "error.parameter.not_a_role",
            Reason::NotATimeZone => "error.parameter.not_a_time_zone",
        };
        Message::new(key)
            .with("value", &self.value)
            .with("param_type", self.kind.name())
            .with("max", MAX_NUMBER)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(kind: Kind, input: &str, expected: Result<&str, Reason>) {
        let actual = kind.parse(input);
        let actual = actual
            .as_ref()
            .map(Value::to_string)
            .map_err(|e| e.reason.clone());
        assert_eq!(
            actual,
            expected.map(str::to_string),
            "{} {input:?}",
            kind.name()
        );
    }

    #[test]
    fn numbers() {
        check(Kind::Natural, "50", Ok("50"));
        check(Kind::Natural, " 007 ", Ok("7"));
        check(Kind::Natural, "0", Err(Reason::Zero));
        check(Kind::Uint, "0", Ok("0"));
        check(Kind::Uint, "4294967295", Ok("4294967295"));
        check(Kind::Uint, "4294967296", Err(Reason::TooLarge));
        check(Kind::Uint, "99999999999999999999999", Err(Reason::TooLarge));
        for garbage in ["", "-1", "+1", "1.5", "1e3", "ten", "５", "1 000"] {
            check(Kind::Uint, garbage, Err(Reason::NotANumber));
        }
    }

    #[test]
    fn booleans() {
        for yes in ["t", "true", "y", "yes", "True", "YES"] {
            check(Kind::Bool, yes, Ok("true"));
        }
        for no in ["f", "false", "n", "no", "No"] {
            check(Kind::Bool, no, Ok("false"));
        }
        for garbage in ["", "1", "0", "on", "да", "yess"] {
            check(Kind::Bool, garbage, Err(Reason::NotABool));
        }
    }

    #[test]
    fn durations() {
        check(Kind::Duration, "3d", Ok("3d"));
        check(Kind::Duration, "7d", Ok("1w"));
        check(Kind::Duration, "0", Ok("0"));
        check(Kind::Duration, "inf", Ok("inf"));
        check(
            Kind::Duration,
            "+1d",
            Err(Reason::Duration(DurationProblem::RelativeNotAllowed)),
        );
        check(
            Kind::Duration,
            "1.5d",
            Err(Reason::Duration(DurationProblem::Fraction)),
        );
    }

    #[test]
    fn roles() {
        check(
            Kind::Role,
            "<@&1145682760074276984>",
            Ok("<@&1145682760074276984>"),
        );
        check(
            Kind::Role,
            " 1145682760074276984 ",
            Ok("<@&1145682760074276984>"),
        );
        check(Kind::Role, "None", Ok("none"));
        for garbage in [
            "",
            "0",
            "<@1145>",
            "<@&>",
            "<@&+5>",
            "@Requests",
            "-3",
            "<@&12",
        ] {
            check(Kind::Role, garbage, Err(Reason::NotARole));
        }
        check(Kind::Role, "99999999999999999999999", Err(Reason::NotARole));
    }

    #[test]
    fn time_zones() {
        check(Kind::TimeZone, "America/Chicago", Ok("America/Chicago"));
        check(Kind::TimeZone, " europe/moscow ", Ok("Europe/Moscow"));
        check(Kind::TimeZone, "UTC", Ok("UTC"));
        for garbage in [
            "",
            "none",
            "Chicago",
            "CDT",
            "+03:00",
            "GMT+3",
            "America/",
            "../zoneinfo/UTC",
            "America/Chicago; drop",
        ] {
            check(Kind::TimeZone, garbage, Err(Reason::NotATimeZone));
        }
        let Err(bad) = Kind::TimeZone.parse("Mars/Olympus") else {
            panic!("accepted");
        };
        let message = bad.message();
        assert_eq!(message.key, "error.parameter.not_a_time_zone");
        assert!(
            message
                .params
                .contains(&("value", "Mars/Olympus".to_string()))
        );
    }

    #[test]
    fn messages_name_value_and_type() {
        let Err(bad) = Kind::Natural.parse("zero") else {
            panic!("accepted");
        };
        let message = bad.message();
        assert_eq!(message.key, "error.parameter.not_a_number");
        assert!(message.params.contains(&("value", "zero".to_string())));
        assert!(
            message
                .params
                .contains(&("param_type", "natural".to_string()))
        );
        let Err(bad) = Kind::Duration.parse("5m") else {
            panic!("accepted");
        };
        assert_eq!(bad.message().key, "error.duration.ambiguous_unit");
    }
}
