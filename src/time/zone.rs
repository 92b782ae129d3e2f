//! Time zones by IANA name (`America/Chicago`), and the weekly moments a zone's calendar gives.
//!
//! Zones come from the time zone database built into the binary (jiff's `tzdb-bundle-always`),
//! never from the system's: a static binary on a machine without `/usr/share/zoneinfo` knows
//! every zone, and every machine gives the same answers.

use std::sync::OnceLock;

use jiff::Timestamp;
use jiff::civil::Weekday;
use jiff::tz::{TimeZone, TimeZoneDatabase};

/// The built-in database.
fn database() -> &'static TimeZoneDatabase {
    static DATABASE: OnceLock<TimeZoneDatabase> = OnceLock::new();
    DATABASE.get_or_init(TimeZoneDatabase::bundled)
}

/// Every zone name the database knows, spelled as it spells them.
fn names() -> &'static [String] {
    static NAMES: OnceLock<Vec<String>> = OnceLock::new();
    NAMES.get_or_init(|| {
        let mut names: Vec<String> = database()
            .available()
            .map(|name| name.as_str().to_string())
            .collect();
        names.sort();
        names
    })
}

/// The IANA zone named `input`, in any case, spelled as the database spells it
/// (`america/chicago` → `America/Chicago`); `None` for anything else: an offset (`+03:00`), an
/// abbreviation that names no zone (`CDT`), a path, garbage.
pub fn zone_name(input: &str) -> Option<&'static str> {
    let input = input.trim();
    names()
        .iter()
        .find(|name| name.eq_ignore_ascii_case(input))
        .map(String::as_str)
}

/// The zone named `name` (see [`zone_name`]).
pub fn zone(name: &str) -> Option<TimeZone> {
    database().get(zone_name(name)?).ok()
}

/// The first moment after `now` (unix seconds) when a `weekday` starts in `tz`: its 00:00 local
/// time, or, when a clock change skips that midnight, the first moment of the day that exists.
/// `None` only past the end of the calendar.
pub fn next_weekday_start(now: i64, weekday: Weekday, tz: &TimeZone) -> Option<i64> {
    let mut date = Timestamp::from_second(now)
        .ok()?
        .to_zoned_datetime(tz.clone())
        .date();
    // A clock turned back over midnight shows the same date twice: the next start may then
    // still lie behind `now`, and the one after it is the answer.
    for _ in 0..3 {
        date = date.nth_weekday(1, weekday).ok()?;
        let start = date.to_zoned_datetime(tz.clone()).ok()?.timestamp();
        if start.as_second() > now {
            return Some(start.as_second());
        }
    }
    None
}

/// The last moment at or before `now` when a `weekday` started in `tz` (see
/// [`next_weekday_start`]).
pub fn last_weekday_start(now: i64, weekday: Weekday, tz: &TimeZone) -> Option<i64> {
    // Starts are a week apart, give or take a clock change: the first after eight days ago is
    // at most a week before `now`, and at most one more follows it before `now`.
    let mut start = next_weekday_start(now.checked_sub(8 * 86_400)?, weekday, tz)?;
    loop {
        match next_weekday_start(start, weekday, tz) {
            Some(next) if next <= now => start = next,
            _ => return Some(start),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(text: &str) -> i64 {
        text.parse::<Timestamp>().unwrap().as_second()
    }

    #[test]
    fn names_are_iana_zones_in_any_case_and_nothing_else() {
        assert_eq!(zone_name("America/Chicago"), Some("America/Chicago"));
        assert_eq!(zone_name(" america/CHICAGO "), Some("America/Chicago"));
        assert_eq!(zone_name("Europe/Moscow"), Some("Europe/Moscow"));
        assert_eq!(zone_name("utc"), Some("UTC"));
        for garbage in [
            "",
            "Chicago",
            "America/Chicag",
            "CDT",
            "+03:00",
            "UTC+3",
            "America/Chicago/",
            "../../etc/passwd",
            "/usr/share/zoneinfo/America/Chicago",
            "Москва",
        ] {
            assert_eq!(zone_name(garbage), None, "{garbage:?}");
            assert!(zone(garbage).is_none(), "{garbage:?}");
        }
    }

    #[test]
    fn the_database_is_built_in_whatever_the_system_has() {
        // Without the `tzdb-bundle-always` feature of jiff the bundle is empty on Linux, and
        // every zone would depend on the machine's /usr/share/zoneinfo.
        assert!(!database().is_definitively_empty(), "{:?}", database());
        assert!(names().len() > 400, "{}", names().len());
        let chicago = zone("America/Chicago").expect("built in");
        assert_eq!(chicago.iana_name(), Some("America/Chicago"));
    }

    #[test]
    fn the_next_monday_midnight_in_chicago_across_the_autumn_clock_change() {
        let chicago = zone("America/Chicago").unwrap();
        let next = |now: &str| next_weekday_start(at(now), Weekday::Monday, &chicago).unwrap();
        // Sunday 2026-11-01 02:00 CDT the clocks go back to 01:00 CST (UTC−6).
        assert_eq!(next("2026-11-01T00:00:00Z"), at("2026-11-02T06:00:00Z"));
        assert_eq!(next("2026-11-01T10:00:00Z"), at("2026-11-02T06:00:00Z"));
        // The week before is still summer time (UTC−5).
        assert_eq!(next("2026-10-22T12:00:00Z"), at("2026-10-26T05:00:00Z"));
        // At midnight exactly, the next one is a week later; a second before, it is this one.
        assert_eq!(next("2026-11-02T06:00:00Z"), at("2026-11-09T06:00:00Z"));
        assert_eq!(next("2026-11-02T05:59:59Z"), at("2026-11-02T06:00:00Z"));
        // Spring: Sunday 2027-03-14 02:00 CST jumps to 03:00 CDT.
        assert_eq!(next("2027-03-13T12:00:00Z"), at("2027-03-15T05:00:00Z"));
        // The week that contains the change is an hour short or long, never a day off.
        let autumn = at("2026-11-02T06:00:00Z") - at("2026-10-26T05:00:00Z");
        assert_eq!(autumn, 7 * 86_400 + 3_600);
    }

    #[test]
    fn the_last_monday_midnight_is_at_or_before_now() {
        let chicago = zone("America/Chicago").unwrap();
        let last = |now: &str| last_weekday_start(at(now), Weekday::Monday, &chicago).unwrap();
        assert_eq!(last("2026-11-02T06:00:00Z"), at("2026-11-02T06:00:00Z"));
        assert_eq!(last("2026-11-02T05:59:59Z"), at("2026-10-26T05:00:00Z"));
        assert_eq!(last("2026-11-08T23:00:00Z"), at("2026-11-02T06:00:00Z"));
        assert_eq!(last("2026-11-30T12:00:00Z"), at("2026-11-30T06:00:00Z"));
    }

    #[test]
    fn a_midnight_that_a_clock_change_skips_starts_the_day_at_the_first_moment_that_exists() {
        // São Paulo moved its clocks forward at midnight: Sunday 2015-10-18 00:00 −03:00 became
        // 01:00 −02:00, so that Sunday started at 01:00 (03:00 UTC).
        let sao_paulo = zone("America/Sao_Paulo").unwrap();
        let start = next_weekday_start(at("2015-10-16T12:00:00Z"), Weekday::Sunday, &sao_paulo);
        assert_eq!(start, Some(at("2015-10-18T03:00:00Z")));
    }
}
