//! The time grammars people type (`stagehand::time`): durations (`1w2d`, `+3h`, `inf`) and
//! timestamps (`2025-03-01T18:30+03:00`, `-2w`, `<t:1740850200>`), with `now` from the input.
//!
//! Durations: parsing never panics; a finite duration is at most `MAX_SECONDS`; a duration's
//! canonical text parses back to it (for parsed ones and for any number of seconds); an absolute
//! input reads the same through `DurationChange` and `Duration`; a `+`/`-` change is non-zero,
//! and is the duration its unsigned part reads as.
//!
//! Timestamps: parsing never panics, whatever `now`; `now` is `now`; a relative form moves `now`
//! by its duration; a moment parsed, written back as `YYYY-MM-DDTHH:MM:SSZ`, as `DD.MM.YYYY
//! HH:MM:SS UTC` and as `<t:…>`, reads back the same with any `now`.

#![no_main]

use libfuzzer_sys::fuzz_target;
use stagehand::time::{Duration, DurationChange, parse_timestamp};

/// 2025-03-01T12:00:00Z, the `now` of plain-text inputs.
const NOW: i64 = 1_740_830_400;
/// 2100-01-01: a `now` before it is one a running Stagehand can have.
const REAL_NOW: std::ops::Range<i64> = 0..4_102_444_800;

fuzz_target!(|data: &[u8]| {
    if let Some(bytes) = data.get(..8) {
        let secs = u64::from_le_bytes(bytes.try_into().unwrap_or([0; 8]));
        canonical(Duration::Finite(secs % (Duration::MAX_SECONDS + 1)));
    }
    // The whole input as text, with a fixed `now` (a seed is plain text)…
    if let Ok(text) = std::str::from_utf8(data) {
        duration(text);
        timestamp(text, NOW);
    }
    // …and all but its last 8 bytes, with those as `now`.
    if let Some((text, now)) = data.split_last_chunk::<8>()
        && let Ok(text) = std::str::from_utf8(text)
    {
        timestamp(text, i64::from_le_bytes(*now));
    }
});

fn canonical(duration: Duration) {
    let text = duration.to_string();
    assert_eq!(Duration::parse(&text), Ok(duration), "{text:?}");
}

fn duration(text: &str) {
    let change = DurationChange::parse(text);
    let absolute = Duration::parse(text);
    match &change {
        Ok(DurationChange::Set(d)) => {
            assert_eq!(absolute.as_ref(), Ok(d));
            if let Duration::Finite(secs) = d {
                assert!(*secs <= Duration::MAX_SECONDS);
            }
            canonical(*d);
        }
        Ok(DurationChange::Extend(secs) | DurationChange::Shorten(secs)) => {
            assert!(absolute.is_err());
            assert!(*secs > 0 && *secs <= Duration::MAX_SECONDS, "{text:?}");
            let unsigned = &text.trim_ascii()[1..];
            assert_eq!(
                Duration::parse(unsigned),
                Ok(Duration::Finite(*secs)),
                "{text:?}"
            );
            canonical(Duration::Finite(*secs));
        }
        Err(_) => assert!(absolute.is_err(), "{text:?}"),
    }
}

fn timestamp(text: &str, now: i64) {
    let Ok(moment) = parse_timestamp(text, now) else {
        return;
    };
    let trimmed = text.trim();
    if trimmed.eq_ignore_ascii_case("now") {
        assert_eq!(moment, now);
    }
    if let Some(body) = trimmed.strip_prefix('+') {
        let Ok(Duration::Finite(secs)) = Duration::parse(body) else {
            panic!("{text:?} moved now by something that is not a duration");
        };
        assert_eq!(now.checked_add_unsigned(secs), Some(moment), "{text:?}");
    }
    if let Some(body) = trimmed.strip_prefix('-') {
        let Ok(Duration::Finite(secs)) = Duration::parse(body) else {
            panic!("{text:?} moved now by something that is not a duration");
        };
        assert_eq!(now.checked_sub_unsigned(secs), Some(moment), "{text:?}");
    }
    let relative = trimmed.eq_ignore_ascii_case("now") || trimmed.starts_with(['+', '-']);
    let Ok(at) = jiff::Timestamp::from_second(moment) else {
        // Only an unreal `now` (fuzzed) may take a relative form beyond the calendar.
        assert!(
            relative && !REAL_NOW.contains(&now),
            "{text:?} gave {moment}, beyond any calendar"
        );
        return;
    };
    let utc = jiff::tz::TimeZone::UTC.to_datetime(at);
    let other_now = now.wrapping_add(12_345_678);
    if (0..=9999).contains(&utc.year()) {
        for written in [
            utc.strftime("%Y-%m-%dT%H:%M:%SZ").to_string(),
            utc.strftime("%d.%m.%Y %H:%M:%S UTC").to_string(),
        ] {
            assert_eq!(
                parse_timestamp(&written, other_now).ok(),
                Some(moment),
                "{text:?} → {written:?}"
            );
        }
    }
    if moment >= 0 {
        let pasted = format!("<t:{moment}:R>");
        assert_eq!(parse_timestamp(&pasted, other_now).ok(), Some(moment));
    }
}
