//! The GD server's response grammar (`shared/spec/gd-wire-format.md`), parsed defensively.
//!
//! ```text
//! search   := levels "#" creators ("#" anything)*        songs, page and hash are not read
//! download := record "#" hash "#" hash ("#" creators ("#" anything)*)?   creators empty but for
//!             the daily, weekly and event levels
//! levels   := record ("|" record)*
//! record   := key ":" value (":" key ":" value)*          keys in any order
//! creators := (player-id ":" name ":" account-id) ("|" …)*  joined to levels by key 6
//! ```
//!
//! A body that is exactly `-1` (after trimming) means "nothing found". Every other body that is
//! not in this grammar is a [`WireError`]. In a search answer a broken record is skipped and
//! counted, so one bad level does not hide the others; a body whose every record is broken is an
//! error. False booleans arrive as empty strings; an empty number counts as 0 (except the id).
//! Only the keys [`Level`] needs are read: an invalid description (key 3) or a stray demon tier
//! (key 43) on a non-demon cannot fail a level.

use std::collections::{BTreeMap, HashMap};

use super::level::{Difficulty, Length, Level, Tier};

/// The largest search answer read: ten levels are a few kilobytes.
pub const SEARCH_LIMIT: usize = 1 << 20;
/// The largest download answer read: level data of big levels runs to megabytes.
pub const DOWNLOAD_LIMIT: usize = 16 << 20;

/// A body that is not an answer of the expected shape.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum WireError {
    #[error("empty body")]
    Empty,
    /// Over [`SEARCH_LIMIT`] or [`DOWNLOAD_LIMIT`].
    #[error("a body of {0} bytes or more is over the limit")]
    TooLarge(usize),
    /// A negative code other than `-1`: the server refused the request.
    #[error("the server answered {0}")]
    Code(i64),
    /// Not in the grammar at all: an HTML page, a Cloudflare `error code: NNNN`, a bare number.
    #[error("not a GD answer: {0:?}")]
    NotAnAnswer(String),
    /// Fewer `#` sections than the answer must have (a truncated body).
    #[error("{found} sections, expected at least {expected}")]
    MissingSection { found: usize, expected: usize },
    /// The (only, or every) level record is broken.
    #[error("broken level record: {0}")]
    Record(#[from] RecordError),
}

/// What is wrong with one level record.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum RecordError {
    #[error("an odd number of fields")]
    OddFields,
    #[error("{0:?} is not a key")]
    NotAKey(String),
    #[error("key {0} appears twice")]
    DuplicateKey(u32),
    #[error("key {0} is missing")]
    Missing(u32),
    #[error("key {key} is not a number: {value:?}")]
    BadNumber { key: u32, value: String },
    #[error("key {key} is not a boolean: {value:?}")]
    BadFlag { key: u32, value: String },
    #[error("unknown length code {0}")]
    BadLength(u64),
    #[error("unknown epic tier {0}")]
    BadTier(u64),
}

/// The levels of a search answer, and how many records were broken and skipped.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Search {
    pub levels: Vec<Level>,
    pub broken: usize,
}

/// Parses a `getGJLevels21` answer; `None` for `-1`.
pub fn search(body: &[u8]) -> Result<Option<Search>, WireError> {
    let Some(text) = prelude(body, SEARCH_LIMIT)? else {
        return Ok(None);
    };
    let sections: Vec<&str> = text.split('#').collect();
    if sections.len() < 2 {
        return Err(WireError::MissingSection {
            found: sections.len(),
            expected: 2,
        });
    }
    if sections[0].is_empty() {
        return Err(WireError::NotAnAnswer(snippet(&text)));
    }
    let creators = creators(sections[1]);
    let mut levels = Vec::new();
    let mut first_error = None;
    let mut broken = 0;
    for record in sections[0].split('|') {
        match level(record, &creators) {
            Ok(level) => levels.push(level),
            Err(err) => {
                broken += 1;
                first_error.get_or_insert(err);
            }
        }
    }
    match first_error {
        Some(err) if levels.is_empty() => Err(err.into()),
        _ => Ok(Some(Search { levels, broken })),
    }
}

/// Parses a `downloadGJLevel22` answer; `None` for `-1`.
pub fn download(body: &[u8]) -> Result<Option<Level>, WireError> {
    let Some(text) = prelude(body, DOWNLOAD_LIMIT)? else {
        return Ok(None);
    };
    let sections: Vec<&str> = text.split('#').collect();
    if sections.len() < 3 {
        return Err(WireError::MissingSection {
            found: sections.len(),
            expected: 3,
        });
    }
    let creators = sections.get(3).map(|s| creators(s)).unwrap_or_default();
    Ok(Some(level(sections[0], &creators)?))
}

/// The checks every answer goes through: size, `-1`, other codes, obvious non-answers. Returns
/// the text to parse, or `None` for `-1`.
fn prelude(body: &[u8], limit: usize) -> Result<Option<String>, WireError> {
    if body.len() > limit {
        return Err(WireError::TooLarge(body.len()));
    }
    let text = String::from_utf8_lossy(body);
    let trimmed = text.trim();
    if trimmed.is_empty() {
        return Err(WireError::Empty);
    }
    if let Ok(code) = trimmed.parse::<i64>() {
        return match code {
            -1 => Ok(None),
            code if code < 0 => Err(WireError::Code(code)),
            _ => Err(WireError::NotAnAnswer(snippet(trimmed))),
        };
    }
    if trimmed.starts_with('<') || trimmed.starts_with("error code") {
        return Err(WireError::NotAnAnswer(snippet(trimmed)));
    }
    Ok(Some(trimmed.to_string()))
}

/// The start of a body, for error messages and logs.
fn snippet(text: &str) -> String {
    text.chars().take(80).collect()
}

/// Player id → name, from a creators section. An entry is exactly `player-id:name:account-id`
/// (the account id 0 for an unregistered player); anything else — a cut entry such as
/// `503085:Ri`, a stray field — is malformed and skipped (it only costs a name).
fn creators(section: &str) -> HashMap<u64, String> {
    section
        .split('|')
        .filter_map(|entry| {
            let parts: Vec<&str> = entry.split(':').collect();
            let [id, name, account] = parts.as_slice() else {
                return None;
            };
            let id = id.parse().ok()?;
            account.parse::<u64>().ok()?;
            Some((id, name.to_string()))
        })
        .collect()
}

/// One level record, joined to its creator.
fn level(record: &str, creators: &HashMap<u64, String>) -> Result<Level, RecordError> {
    let fields = Fields::parse(record)?;
    let id = fields.number(1)?;
    if id == 0 {
        return Err(RecordError::BadNumber {
            key: 1,
            value: "0".into(),
        });
    }
    let length_code = fields.number(15)?;
    let length = Length::from_code(length_code).ok_or(RecordError::BadLength(length_code))?;
    let epic = fields.number(42)?;
    let tier = Tier::from_codes(fields.number(19)?, epic).ok_or(RecordError::BadTier(epic))?;
    let stars = fields.small(18)?;
    let demon = fields.flag(17)?;
    let difficulty = Difficulty::from_codes(
        fields.optional_flag(25)?,
        demon,
        fields.optional(43)?,
        fields.optional(9)?,
    );
    Ok(Level {
        id,
        name: fields.text(2)?.to_string(),
        creator: creators
            .get(&fields.number(6)?)
            .cloned()
            .unwrap_or_default(),
        stars,
        requested_stars: fields.small(39)?,
        demon,
        platformer: length == Length::Platformer,
        rated: stars > 0,
        tier,
        length,
        difficulty,
        game_version: u32::try_from(fields.optional(13)?).unwrap_or(u32::MAX),
        copied_from: fields.optional(30)?,
    })
}

/// A record's fields by key.
struct Fields<'a>(BTreeMap<u32, &'a str>);

impl<'a> Fields<'a> {
    fn parse(record: &'a str) -> Result<Fields<'a>, RecordError> {
        let parts: Vec<&str> = record.split(':').collect();
        if !parts.len().is_multiple_of(2) {
            return Err(RecordError::OddFields);
        }
        let mut fields = BTreeMap::new();
        for pair in parts.chunks_exact(2) {
            let key = digits(pair[0])
                .and_then(|k| u32::try_from(k).ok())
                .ok_or_else(|| RecordError::NotAKey(snippet(pair[0])))?;
            if fields.insert(key, pair[1]).is_some() {
                return Err(RecordError::DuplicateKey(key));
            }
        }
        Ok(Fields(fields))
    }

    fn text(&self, key: u32) -> Result<&'a str, RecordError> {
        self.0.get(&key).copied().ok_or(RecordError::Missing(key))
    }

    /// An unsigned number; empty counts as 0, except for the id.
    fn number(&self, key: u32) -> Result<u64, RecordError> {
        let value = self.text(key)?;
        if value.is_empty() && key != 1 {
            return Ok(0);
        }
        digits(value).ok_or_else(|| RecordError::BadNumber {
            key,
            value: snippet(value),
        })
    }

    /// A number that fits `u32` (stars).
    fn small(&self, key: u32) -> Result<u32, RecordError> {
        u32::try_from(self.number(key)?).map_err(|_| RecordError::BadNumber {
            key,
            value: snippet(self.0.get(&key).copied().unwrap_or_default()),
        })
    }

    /// A number the server may leave out: 0 when missing, a typed error when garbage.
    fn optional(&self, key: u32) -> Result<u64, RecordError> {
        if self.0.contains_key(&key) {
            self.number(key)
        } else {
            Ok(0)
        }
    }

    /// A flag the server may leave out: false when missing.
    fn optional_flag(&self, key: u32) -> Result<bool, RecordError> {
        if self.0.contains_key(&key) {
            self.flag(key)
        } else {
            Ok(false)
        }
    }

    /// `1` is true; `0` or empty is false.
    fn flag(&self, key: u32) -> Result<bool, RecordError> {
        match self.text(key)? {
            "" | "0" => Ok(false),
            "1" => Ok(true),
            other => Err(RecordError::BadFlag {
                key,
                value: snippet(other),
            }),
        }
    }
}

/// ASCII digits only (no sign, no spaces), fitting `u64`.
fn digits(text: &str) -> Option<u64> {
    if text.is_empty() || !text.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    text.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A search record in the real server's key order, with false flags as empty strings, an
    /// invalid description and a demon tier on a non-demon.
    const RECORD: &str = "1:128:2:1st level:5:1:6:4:8:10:9:10:10:1234:12:0:13:22:14:50:17::43:3:25::\
                          18:0:19:0:42:0:45:1000:3:@@not*base64@@:15:1:30:0:31:0:37:0:38:0:39:7:46:1:\
                          47:2:35:0";

    /// `RECORD` with `key` set to `value` (added when absent).
    fn with(key: &str, value: &str) -> String {
        let mut parts: Vec<String> = RECORD.split(':').map(str::to_string).collect();
        match parts.chunks(2).position(|p| p[0] == key) {
            Some(i) => parts[2 * i + 1] = value.to_string(),
            None => parts.extend([key.to_string(), value.to_string()]),
        }
        parts.join(":")
    }

    /// `RECORD` without `key`.
    fn without(key: &str) -> String {
        let parts: Vec<&str> = RECORD.split(':').collect();
        let kept: Vec<&str> = parts
            .chunks(2)
            .filter(|p| p[0] != key)
            .flatten()
            .copied()
            .collect();
        kept.join(":")
    }

    /// A whole search answer around `levels`, with creator records out of level order.
    fn answer(levels: &str) -> String {
        format!("{levels}#4:RobTop:71|3:a:4#1~|~700~|~2~|~Song#1:0:10#0123456789abcdef")
    }

    fn show_level(l: &Level) -> String {
        format!(
            "{} {:?} by {:?} stars={} req={} demon={} rated={} {:?} {:?}",
            l.id, l.name, l.creator, l.stars, l.requested_stars, l.demon, l.rated, l.tier, l.length
        )
    }

    fn show_search(result: Result<Option<Search>, WireError>) -> String {
        match result {
            Ok(None) => "not found".into(),
            Ok(Some(search)) => {
                let mut lines: Vec<String> = search.levels.iter().map(show_level).collect();
                if search.broken > 0 {
                    lines.push(format!("broken={}", search.broken));
                }
                lines.join("\n")
            }
            Err(err) => format!("error: {err}"),
        }
    }

    fn check(input: &str, expected: &str) {
        assert_eq!(
            show_search(search(input.as_bytes())),
            expected,
            "input: {input:?}"
        );
    }

    const PLAIN: &str =
        "128 \"1st level\" by \"RobTop\" stars=0 req=7 demon=false rated=false None Short";

    #[test]
    fn not_found_codes_and_non_answers() {
        for (input, expected) in [
            ("-1", "not found"),
            (" -1\r\n", "not found"),
            ("", "error: empty body"),
            (" \n\t", "error: empty body"),
            ("-2", "error: the server answered -2"),
            ("-9", "error: the server answered -9"),
            ("0", "error: not a GD answer: \"0\""),
            ("-1|-1", "error: 1 sections, expected at least 2"),
            (
                "error code: 1015",
                "error: not a GD answer: \"error code: 1015\"",
            ),
            (
                "<!DOCTYPE html><title>boomlings.com | 502: Bad gateway</title>#x",
                "error: not a GD answer: \"<!DOCTYPE html><title>boomlings.com | 502: Bad gateway</title>#x\"",
            ),
            ("#", "error: not a GD answer: \"#\""),
            ("##0:0:10#hash", "error: not a GD answer: \"##0:0:10#hash\""),
            ("hello", "error: 1 sections, expected at least 2"),
            (
                "hello#world",
                "error: broken level record: an odd number of fields",
            ),
            ("a:b#", "error: broken level record: \"a\" is not a key"),
        ] {
            check(input, expected);
        }
    }

    /// The requested level of a one-level search answer.
    fn only(record: &str) -> Level {
        match search(answer(record).as_bytes()) {
            Ok(Some(found)) => found.levels.into_iter().next().expect("one level"),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn faces_versions_and_copies() {
        // RECORD: an Easy face (9 = 10) with a stray demon tier (43 = 3) on a non-demon.
        let level = only(RECORD);
        assert_eq!(level.difficulty, Difficulty::Easy);
        assert_eq!((level.game_version, level.copied_from), (22, 0));
        assert_eq!(only(&with("17", "1")).difficulty, Difficulty::EasyDemon);
        assert_eq!(only(&with("25", "1")).difficulty, Difficulty::Auto);
        assert_eq!(only(&with("30", "3456")).copied_from, 3456);
        // Optional keys may be missing; present garbage is still an error.
        let bare: Vec<&str> = RECORD.split(':').collect();
        let kept: Vec<&str> = bare
            .chunks(2)
            .filter(|p| !matches!(p[0], "9" | "13" | "25" | "30" | "43"))
            .flatten()
            .copied()
            .collect();
        let level = only(&kept.join(":"));
        assert_eq!(level.difficulty, Difficulty::Unrated);
        assert_eq!((level.game_version, level.copied_from), (0, 0));
        let broken = search(answer(&with("30", "x")).as_bytes());
        assert!(
            matches!(
                broken,
                Err(WireError::Record(RecordError::BadNumber { key: 30, .. }))
            ),
            "{broken:?}"
        );
    }

    #[test]
    fn well_formed_answers_in_every_shape() {
        // The full shape; and only the two sections that matter; and extra sections.
        check(&answer(RECORD), PLAIN);
        check(&format!("{RECORD}#4:RobTop:71"), PLAIN);
        check(&format!("{RECORD}#4:RobTop:71#a#b#c#d#e"), PLAIN);
        // Keys in reverse order.
        let parts: Vec<&str> = RECORD.split(':').collect();
        let reversed: Vec<&str> = parts.chunks(2).rev().flatten().copied().collect();
        check(&answer(&reversed.join(":")), PLAIN);
        // No creator record (deleted account), and a creators section of junk.
        check(&format!("{RECORD}#"), &PLAIN.replace("\"RobTop\"", "\"\""));
        check(
            &format!("{RECORD}#junk|:x|4"),
            &PLAIN.replace("\"RobTop\"", "\"\""),
        );
        // An entry cut to two fields, or with a fourth, or a non-numeric account, is no creator.
        for cut in ["4:Ri", "4:RobTop:71:9", "4:RobTop:x"] {
            check(
                &format!("{RECORD}#{cut}"),
                &PLAIN.replace("\"RobTop\"", "\"\""),
            );
        }
        // Two levels, creators listed in ascending player id, not level order.
        let second = with("1", "99").replace("6:4:", "6:3:");
        check(
            &answer(&format!("{second}|{RECORD}")),
            &format!(
                "{}\n{PLAIN}",
                PLAIN.replace("128", "99").replace("RobTop", "a")
            ),
        );
    }

    #[test]
    fn flags_tiers_lengths_and_ratings() {
        for (key, value, expected) in [
            ("17", "1", PLAIN.replace("demon=false", "demon=true")),
            ("17", "0", PLAIN.to_string()),
            ("17", "", PLAIN.to_string()),
            ("25", "1", PLAIN.to_string()),
            (
                "18",
                "5",
                PLAIN
                    .replace("stars=0", "stars=5")
                    .replace("rated=false", "rated=true"),
            ),
            ("19", "1200", PLAIN.replace("None", "Featured")),
            ("42", "1", PLAIN.replace("None", "Epic")),
            ("42", "2", PLAIN.replace("None", "Legendary")),
            ("42", "3", PLAIN.replace("None", "Mythic")),
            ("15", "0", PLAIN.replace("Short", "Tiny")),
            ("15", "4", PLAIN.replace("Short", "Xl")),
            ("15", "5", PLAIN.replace("Short", "Platformer")),
            ("39", "", PLAIN.replace("req=7", "req=0")),
            ("2", "", PLAIN.replace("\"1st level\"", "\"\"")),
            (
                "2",
                "Ночной город",
                PLAIN.replace("1st level", "Ночной город"),
            ),
        ] {
            check(&answer(&with(key, value)), &expected);
        }
        let platformer = search(answer(&with("15", "5")).as_bytes());
        let level = &platformer
            .ok()
            .flatten()
            .map(|s| s.levels)
            .unwrap_or_default()[0];
        assert!(level.platformer && !level.classic());
    }

    #[test]
    fn wrong_types_and_truncation_break_the_record() {
        let broken = |problem: &str| format!("error: broken level record: {problem}");
        for (record, expected) in [
            (with("18", "ten"), broken("key 18 is not a number: \"ten\"")),
            (with("18", "-3"), broken("key 18 is not a number: \"-3\"")),
            (with("18", " 3"), broken("key 18 is not a number: \" 3\"")),
            (
                with("18", "4294967296"),
                broken("key 18 is not a number: \"4294967296\""),
            ),
            (
                with("1", "99999999999999999999999"),
                broken("key 1 is not a number: \"99999999999999999999999\""),
            ),
            (with("1", ""), broken("key 1 is not a number: \"\"")),
            (with("1", "0"), broken("key 1 is not a number: \"0\"")),
            (with("17", "2"), broken("key 17 is not a boolean: \"2\"")),
            (
                with("17", "true"),
                broken("key 17 is not a boolean: \"true\""),
            ),
            (with("15", "9"), broken("unknown length code 9")),
            (with("42", "4"), broken("unknown epic tier 4")),
            (with("x1", "5"), broken("\"x1\" is not a key")),
            (format!("{RECORD}:1:5"), broken("key 1 appears twice")),
            (without("15"), broken("key 15 is missing")),
            (without("18"), broken("key 18 is missing")),
            (without("6"), broken("key 6 is missing")),
            // Truncated inside the record: an odd count, or later keys missing.
            (
                RECORD[..RECORD.len() - 2].to_string(),
                broken("an odd number of fields"),
            ),
            (RECORD[..38].to_string(), broken("an odd number of fields")),
            (RECORD[..40].to_string(), broken("key 15 is missing")),
        ] {
            check(&answer(&record), &expected);
        }
        // A body cut before its first `#`.
        check(&RECORD[..60], "error: 1 sections, expected at least 2");
    }

    #[test]
    fn a_broken_record_is_skipped_when_others_parse() {
        let answer = answer(&format!("{}|{RECORD}|1:5:2", with("18", "x")));
        check(&answer, &format!("{PLAIN}\nbroken=2"));
    }

    #[test]
    fn hostile_bodies() {
        // Non-UTF-8 in a name becomes U+FFFD; the level survives.
        let mut body = answer(RECORD).into_bytes();
        let at = body.windows(3).position(|w| w == b"1st").unwrap_or(0);
        body[at] = 0xff;
        assert_eq!(
            show_search(search(&body)),
            PLAIN.replace("1st", "\u{fffd}st")
        );
        // Huge bodies are refused before any parsing.
        let huge = vec![b'1'; SEARCH_LIMIT + 1];
        assert_eq!(search(&huge), Err(WireError::TooLarge(SEARCH_LIMIT + 1)));
        // Many levels, and separators only: no panic, a typed answer.
        let many = answer(&vec![RECORD; 2000].join("|"));
        assert_eq!(
            search(many.as_bytes())
                .ok()
                .flatten()
                .map(|s| s.levels.len()),
            Some(2000)
        );
        for junk in ["|||#|||", ":::#:::", "#####", "|#", ":#", "1:#", "\0#\0"] {
            assert!(search(junk.as_bytes()).is_err(), "{junk:?}");
        }
    }

    #[test]
    fn downloads() {
        let record = format!("{RECORD}:4:H4sIAAAAAAAAC_data:28:3 years:29:1 year");
        let show = |body: &str| match download(body.as_bytes()) {
            Ok(None) => "not found".to_string(),
            Ok(Some(level)) => show_level(&level),
            Err(err) => format!("error: {err}"),
        };
        for (body, expected) in [
            ("-1".to_string(), "not found".to_string()),
            ("".to_string(), "error: empty body".to_string()),
            (
                format!("{record}#aaaa#bbbb"),
                PLAIN.replace("\"RobTop\"", "\"\""),
            ),
            (
                format!("{record}#aaaa#bbbb#4:RobTop:71#1~|~700#"),
                PLAIN.to_string(),
            ),
            (
                format!("{record}#aaaa#bbbb#9:Other:1##"),
                PLAIN.replace("\"RobTop\"", "\"\""),
            ),
            (
                record[..record.len() - 10].to_string(),
                "error: 1 sections, expected at least 3".into(),
            ),
            (
                format!("{record}#aaaa"),
                "error: 2 sections, expected at least 3".into(),
            ),
            (
                format!("{}#a#b", with("15", "7")),
                "error: broken level record: unknown length code 7".into(),
            ),
            (
                "error code: 1020".to_string(),
                "error: not a GD answer: \"error code: 1020\"".into(),
            ),
        ] {
            assert_eq!(show(&body), expected, "{body:?}");
        }
        let huge = vec![b'1'; DOWNLOAD_LIMIT + 1];
        assert_eq!(
            download(&huge),
            Err(WireError::TooLarge(DOWNLOAD_LIMIT + 1))
        );
    }
}
