//! The two time grammars users type: durations (`3d`, `1w2d`, `+12h`, `inf`; `/help duration`)
//! and timestamps (`2025-03-01`, `2025-03-01T18:30`, `-2w`, `<t:1740850200>`; `/help timestamp`).
//!
//! Pure functions from text to typed values with typed errors; each error becomes a localised
//! [`Message`](crate::i18n::Message). Knows nothing of Discord or the store. Time is unix seconds
//! (`i64`), passed in as `now` where it matters.
//!
//! Also time zones by IANA name, from the database built into the binary, and the weekly
//! moments a zone's calendar gives (`zone.rs`).

mod duration;
mod timestamp;
mod zone;

pub use duration::{Duration, DurationChange, DurationError, DurationProblem};
pub use timestamp::{TimestampError, TimestampProblem, parse_timestamp};
pub use zone::{last_weekday_start, next_weekday_start, zone, zone_name};

/// A moment as another program stored it, in unix seconds (a fraction of a second dropped):
/// RFC 3339 with an offset (`2024-05-01T12:00:00+03:00`), or a date and time with no offset,
/// which is taken as UTC (`2024-05-01 12:00:00.123456`: Python's naive UTC `datetime`, as the
/// Request Bot stores it). `None` for anything else.
pub fn parse_utc(text: &str) -> Option<i64> {
    let text = text.trim();
    if let Ok(at) = text.parse::<jiff::Timestamp>() {
        return Some(at.as_second());
    }
    let civil: jiff::civil::DateTime = text.parse().ok()?;
    civil
        .to_zoned_datetime(jiff::tz::TimeZone::UTC)
        .ok()
        .map(|z| z.timestamp().as_second())
}

#[cfg(test)]
mod parse_utc_tests {
    use super::parse_utc;

    #[test]
    fn naive_times_are_utc_and_offsets_are_honoured() {
        let cases = [
            ("2024-05-01 12:00:00.123456", Some(1_714_564_800)),
            ("2024-05-01 12:00:00", Some(1_714_564_800)),
            ("2024-05-01T12:00:00", Some(1_714_564_800)),
            ("2024-05-01T15:00:00+03:00", Some(1_714_564_800)),
            ("2024-05-01T12:00:00Z", Some(1_714_564_800)),
            ("2024-05-01 15:00:00.25+03", Some(1_714_564_800)),
            ("2024-05-01 12:00:00+00", Some(1_714_564_800)),
            ("yesterday", None),
            ("", None),
            ("2024-13-01 00:00:00", None),
        ];
        for (text, expected) in cases {
            assert_eq!(parse_utc(text), expected, "{text}");
        }
    }
}
