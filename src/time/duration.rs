//! The duration grammar (gd-requestbot §4.1, with its bugs fixed).
//!
//! ```text
//! duration := "inf" | "0" | element (ws* element)*
//! change   := duration | ("+" | "-") ws* element (ws* element)*
//! element  := digits ws* unit
//! unit     := s | min | h | d | w | mo | q | y   (and the long forms in UNITS)
//! ```
//!
//! Case is ignored and ASCII whitespace may separate anything. Unlike the original, nothing is
//! silently deleted: `1.5d` is refused (it used to mean 15 days), a bare `m` is refused as
//! ambiguous (it used to mean 30 days, surprising anyone who meant minutes), non-ASCII digits and
//! letters are refused, `+0`/`-inf` are refused, and sums that overflow or exceed
//! [`Duration::MAX_SECONDS`] are refused instead of wrapping. Zero is a zero duration, never
//! "endless" (`inf` is the only endless value).

use std::fmt;

use crate::i18n::Message;

const MINUTE: u64 = 60;
const HOUR: u64 = 60 * MINUTE;
const DAY: u64 = 24 * HOUR;

/// Every accepted unit spelling and its length in seconds. The first spelling of each length is
/// the canonical one, used by [`Duration`]'s `Display`.
const UNITS: &[(&str, u64)] = &[
    ("y", 365 * DAY),
    ("yr", 365 * DAY),
    ("year", 365 * DAY),
    ("years", 365 * DAY),
    ("q", 90 * DAY),
    ("quarter", 90 * DAY),
    ("quarters", 90 * DAY),
    ("mo", 30 * DAY),
    ("month", 30 * DAY),
    ("months", 30 * DAY),
    ("w", 7 * DAY),
    ("week", 7 * DAY),
    ("weeks", 7 * DAY),
    ("d", DAY),
    ("day", DAY),
    ("days", DAY),
    ("h", HOUR),
    ("hour", HOUR),
    ("hours", HOUR),
    ("min", MINUTE),
    ("minute", MINUTE),
    ("minutes", MINUTE),
    ("s", 1),
    ("sec", 1),
    ("second", 1),
    ("seconds", 1),
];

/// A length of time, or endless.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Duration {
    /// Seconds, at most [`Duration::MAX_SECONDS`].
    Finite(u64),
    /// `inf`: never ends.
    Infinite,
}

/// What an input to `/usercd update`-style commands asks for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DurationChange {
    /// An absolute duration (from now), `0` or `inf`.
    Set(Duration),
    /// `+…`: move an existing end later by this many seconds (never zero).
    Extend(u64),
    /// `-…`: move an existing end earlier by this many seconds (never zero).
    Shorten(u64),
}

/// Input that is not a duration: the input as typed and what is wrong with it.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{input:?} is not a duration: {problem}")]
pub struct DurationError {
    pub input: String,
    pub problem: DurationProblem,
}

/// What is wrong with a duration; each has its own text key (see [`DurationError::message`]).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum DurationProblem {
    #[error("empty")]
    Empty,
    /// A character outside the grammar (punctuation, non-ASCII digits or letters).
    #[error("unexpected {0:?}")]
    UnexpectedChar(char),
    /// `1.5d`: fractions are not supported (write `1d12h`).
    #[error("fractions are not supported")]
    Fraction,
    /// A number with no unit after it (`15`).
    #[error("a number without a unit")]
    MissingUnit,
    /// A unit with no number before it (`d`, `+h`).
    #[error("a unit without a number")]
    MissingNumber,
    #[error("unknown unit {0:?}")]
    UnknownUnit(String),
    /// `m`: minutes or months? (`min` or `mo`)
    #[error("`m` is ambiguous")]
    AmbiguousUnit,
    /// Longer than [`Duration::MAX_SECONDS`] (or too long to even add up).
    #[error("too long")]
    TooLong,
    /// A `+`/`-` change where only an absolute duration is allowed.
    #[error("a relative change is not allowed here")]
    RelativeNotAllowed,
    /// `+inf`, `-inf`, `+0`, `-0d`: a change must be a non-zero finite length.
    #[error("a change must be a non-zero finite length")]
    EmptyChange,
}

impl DurationError {
    /// The localised reply: the text key of the problem, with `duration` = the input.
    pub fn message(&self) -> Message {
        let key = match &self.problem {
            DurationProblem::Empty => "error.duration.empty",
            DurationProblem::UnexpectedChar(_) => "error.duration.unexpected_char",
            DurationProblem::Fraction => "error.duration.fraction",
            DurationProblem::MissingUnit => "error.duration.missing_unit",
            DurationProblem::MissingNumber => "error.duration.missing_number",
            DurationProblem::UnknownUnit(_) => "error.duration.unknown_unit",
            DurationProblem::AmbiguousUnit => "error.duration.ambiguous_unit",
            DurationProblem::TooLong => "error.duration.too_long",
            DurationProblem::RelativeNotAllowed => "error.duration.relative_not_allowed",
            DurationProblem::EmptyChange => "error.duration.empty_change",
        };
        let message = Message::new(key).with("duration", &self.input);
        match &self.problem {
            DurationProblem::UnexpectedChar(c) => message.with("char", c),
            DurationProblem::UnknownUnit(unit) => message.with("unit", unit),
            _ => message,
        }
    }
}

impl Duration {
    /// The longest finite duration: 1000 years of 365 days. Longer bans are `inf`.
    pub const MAX_SECONDS: u64 = 1000 * 365 * DAY;

    /// Parses an absolute duration, `0` or `inf` (what duration parameters accept).
    pub fn parse(input: &str) -> Result<Duration, DurationError> {
        match DurationChange::parse(input)? {
            DurationChange::Set(duration) => Ok(duration),
            DurationChange::Extend(_) | DurationChange::Shorten(_) => {
                Err(error(input, DurationProblem::RelativeNotAllowed))
            }
        }
    }

    /// The end of a duration starting at `start` (unix seconds); `None` when endless or beyond
    /// the representable range.
    pub fn end_from(self, start: i64) -> Option<i64> {
        match self {
            Duration::Finite(secs) => start.checked_add_unsigned(secs),
            Duration::Infinite => None,
        }
    }
}

impl DurationChange {
    /// Parses an absolute duration, `0`, `inf`, or a `+`/`-` change.
    pub fn parse(input: &str) -> Result<DurationChange, DurationError> {
        let fail = |problem| error(input, problem);
        let text = input.trim_matches(|c: char| c.is_ascii_whitespace());
        let (sign, body) = match text.as_bytes().first() {
            None => return Err(fail(DurationProblem::Empty)),
            Some(b'+') => (Some(true), &text[1..]),
            Some(b'-') => (Some(false), &text[1..]),
            Some(_) => (None, text),
        };
        let body = body.trim_start_matches(|c: char| c.is_ascii_whitespace());
        if body.eq_ignore_ascii_case("inf") {
            return match sign {
                None => Ok(DurationChange::Set(Duration::Infinite)),
                Some(_) => Err(fail(DurationProblem::EmptyChange)),
            };
        }
        let secs = if body == "0" {
            0
        } else {
            sum_of_elements(body).map_err(fail)?
        };
        match sign {
            None => Ok(DurationChange::Set(Duration::Finite(secs))),
            Some(_) if secs == 0 => Err(fail(DurationProblem::EmptyChange)),
            Some(true) => Ok(DurationChange::Extend(secs)),
            Some(false) => Ok(DurationChange::Shorten(secs)),
        }
    }
}

fn error(input: &str, problem: DurationProblem) -> DurationError {
    DurationError {
        input: input.to_string(),
        problem,
    }
}

/// `element (ws* element)*`, summed in seconds with overflow and [`Duration::MAX_SECONDS`] checks.
fn sum_of_elements(body: &str) -> Result<u64, DurationProblem> {
    let bytes = body.as_bytes();
    let mut at = 0;
    let mut total: u64 = 0;
    let skip_spaces = |at: &mut usize| {
        while bytes.get(*at).is_some_and(u8::is_ascii_whitespace) {
            *at += 1;
        }
    };
    skip_spaces(&mut at);
    if at == bytes.len() {
        return Err(DurationProblem::Empty);
    }
    while at < bytes.len() {
        let digits_start = at;
        while bytes.get(at).is_some_and(u8::is_ascii_digit) {
            at += 1;
        }
        let digits = &body[digits_start..at];
        if matches!(bytes.get(at), Some(b'.' | b','))
            && bytes.get(at + 1).is_some_and(u8::is_ascii_digit)
        {
            return Err(DurationProblem::Fraction);
        }
        skip_spaces(&mut at);
        let unit_start = at;
        while bytes.get(at).is_some_and(u8::is_ascii_alphabetic) {
            at += 1;
        }
        let unit = &body[unit_start..at];
        if let Some(c) = body[at..].chars().next()
            && !c.is_ascii_whitespace()
            && !c.is_ascii_digit()
        {
            return Err(match c {
                '.' | ',' if !digits.is_empty() && unit.is_empty() => DurationProblem::Fraction,
                _ => DurationProblem::UnexpectedChar(c),
            });
        }
        if unit.is_empty() {
            return Err(match digits.is_empty() {
                true => DurationProblem::MissingNumber,
                false => DurationProblem::MissingUnit,
            });
        }
        let unit_secs = unit_seconds(unit)?;
        if digits.is_empty() {
            return Err(DurationProblem::MissingNumber);
        }
        // More than 20 digits cannot fit a u64 anyway: too long, not malformed.
        let count: u64 = digits.parse().map_err(|_| DurationProblem::TooLong)?;
        total = count
            .checked_mul(unit_secs)
            .and_then(|secs| total.checked_add(secs))
            .filter(|&t| t <= Duration::MAX_SECONDS)
            .ok_or(DurationProblem::TooLong)?;
        skip_spaces(&mut at);
    }
    Ok(total)
}

fn unit_seconds(unit: &str) -> Result<u64, DurationProblem> {
    if unit.eq_ignore_ascii_case("m") {
        return Err(DurationProblem::AmbiguousUnit);
    }
    UNITS
        .iter()
        .find(|(name, _)| unit.eq_ignore_ascii_case(name))
        .map(|&(_, secs)| secs)
        .ok_or_else(|| DurationProblem::UnknownUnit(unit.to_ascii_lowercase()))
}

/// The canonical form: `inf`, `0`, or the largest units first (`1w2d`, `1mo`, `1y1q`), which
/// [`Duration::parse`] reads back to the same value.
impl fmt::Display for Duration {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut rest = match *self {
            Duration::Infinite => return f.write_str("inf"),
            Duration::Finite(0) => return f.write_str("0"),
            Duration::Finite(secs) => secs,
        };
        let mut last = u64::MAX;
        for &(name, secs) in UNITS {
            if secs == last {
                continue; // only the first (canonical) spelling of each length
            }
            last = secs;
            if rest >= secs {
                write!(f, "{}{name}", rest / secs)?;
                rest %= secs;
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::DurationProblem::*;
    use super::*;

    const MAX: u64 = Duration::MAX_SECONDS;

    fn check(input: &str, expected: Result<DurationChange, DurationProblem>) {
        let actual = DurationChange::parse(input).map_err(|e| e.problem);
        assert_eq!(actual, expected, "input {input:?}");
    }

    fn set(secs: u64) -> Result<DurationChange, DurationProblem> {
        Ok(DurationChange::Set(Duration::Finite(secs)))
    }

    #[test]
    fn absolute_durations() {
        check("0", set(0));
        check("0d", set(0));
        check("007h", set(7 * HOUR));
        check("3d", set(3 * DAY));
        check("1q2mo4d", set(154 * DAY));
        check("1d 2h", set(DAY + 2 * HOUR));
        check("  1 D\t2 H ", set(DAY + 2 * HOUR));
        check("5min", set(5 * MINUTE));
        check("5 minutes 30 seconds", set(5 * MINUTE + 30));
        check("1d1d", set(2 * DAY));
        check("2h1d", set(26 * HOUR));
        check("1y", set(365 * DAY));
        check("1000y", set(MAX));
        check("inf", Ok(DurationChange::Set(Duration::Infinite)));
        check("INF", Ok(DurationChange::Set(Duration::Infinite)));
    }

    #[test]
    fn relative_changes() {
        check("+2w5d", Ok(DurationChange::Extend(19 * DAY)));
        check("-3h", Ok(DurationChange::Shorten(3 * HOUR)));
        check("- 3h", Ok(DurationChange::Shorten(3 * HOUR)));
        check("+0", Err(EmptyChange));
        check("-0", Err(EmptyChange));
        check("+0d0h", Err(EmptyChange));
        check("-inf", Err(EmptyChange));
        check("+inf", Err(EmptyChange));
        check("+", Err(Empty));
        check("+-1d", Err(UnexpectedChar('-')));
        check("--1d", Err(UnexpectedChar('-')));
        check("1d+2h", Err(UnexpectedChar('+')));
        check("+d", Err(MissingNumber));
    }

    #[test]
    fn garbage_is_refused_with_the_reason() {
        check("", Err(Empty));
        check("   ", Err(Empty));
        check("15", Err(MissingUnit));
        check("d", Err(MissingNumber));
        check("1dh", Err(UnknownUnit("dh".into())));
        check("1 fortnight", Err(UnknownUnit("fortnight".into())));
        check("5m", Err(AmbiguousUnit));
        check("1.5d", Err(Fraction));
        check("1,5d", Err(Fraction));
        check("1d.", Err(UnexpectedChar('.')));
        check("1д", Err(UnexpectedChar('д')));
        check("١d", Err(UnexpectedChar('١')));
        check("５d", Err(UnexpectedChar('５')));
        check("1d\u{a0}2h", Err(UnexpectedChar('\u{a0}')));
        check("infinity", Err(UnknownUnit("infinity".into())));
        check("inf1d", Err(UnknownUnit("inf".into())));
        check("0x10s", Err(UnknownUnit("x".into())));
        check("-", Err(Empty));
        check("1001y", Err(TooLong));
        check("99999999999999999999999d", Err(TooLong));
        check("18446744073709551615s", Err(TooLong));
        check("18446744073709551616s", Err(TooLong));
        check("584942417356y", Err(TooLong));
        check(&format!("{MAX}s1s"), Err(TooLong));
    }

    #[test]
    fn parameters_take_absolute_durations_only() {
        assert_eq!(Duration::parse("1w"), Ok(Duration::Finite(7 * DAY)));
        assert_eq!(Duration::parse("inf"), Ok(Duration::Infinite));
        let err = Duration::parse("+1w").unwrap_err();
        assert_eq!(err.problem, RelativeNotAllowed);
        assert_eq!(err.input, "+1w");
    }

    #[test]
    fn display_is_canonical_and_parses_back() {
        let cases = [
            (Duration::Finite(0), "0"),
            (Duration::Infinite, "inf"),
            (Duration::Finite(7 * DAY), "1w"),
            (Duration::Finite(30 * DAY), "1mo"),
            (Duration::Finite(3 * DAY), "3d"),
            (Duration::Finite(400 * DAY + 61), "1y1mo5d1min1s"),
            (Duration::Finite(MAX), "1000y"),
        ];
        for (duration, text) in cases {
            assert_eq!(duration.to_string(), text);
            assert_eq!(Duration::parse(text), Ok(duration), "{text}");
        }
    }

    #[test]
    fn ends_saturate_instead_of_overflowing() {
        assert_eq!(Duration::Finite(10).end_from(5), Some(15));
        assert_eq!(Duration::Infinite.end_from(5), None);
        assert_eq!(Duration::Finite(MAX).end_from(i64::MAX), None);
    }

    #[test]
    fn messages_name_the_input() {
        let message = DurationChange::parse("1.5d").unwrap_err().message();
        assert_eq!(message.key, "error.duration.fraction");
        assert_eq!(message.params, [("duration", "1.5d".to_string())]);
        let message = DurationChange::parse("3 parsecs").unwrap_err().message();
        assert_eq!(message.key, "error.duration.unknown_unit");
        assert!(message.params.contains(&("unit", "parsecs".to_string())));
    }
}
