//! The Control Panel's request bodies (gd-requestbot §11.2): JSON parsed into typed values and
//! checked against the limits the OpenAPI document declares, so that anything the document
//! calls invalid is refused here, before a handler runs, with a message saying what is wrong.
//!
//! Fields the panel does not send are ignored, as the original (pydantic) did; a field of the
//! wrong type, a missing one, a number out of range or a text too long or blank is a
//! [`BodyError`]. Pure and total: fuzzed (`fuzz/fuzz_targets/control_panel.rs`); each body
//! serialises back to the JSON it was read from (the fuzz target's round trip).

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

/// The longest announcement or goodbye (a message's content).
pub const MAX_TEXT: usize = 2000;
/// The largest count the stream's end accepts for each kind of request.
pub const MAX_COUNT: u64 = 1_000_000;
/// The most requests one `create_batch` may carry.
pub const MAX_BATCH: usize = 100;
/// The longest creator name accepted (a GD name is at most 15; the spreadsheet's may be longer).
pub const MAX_CREATOR: usize = 100;
/// The longest showcase or stream link accepted.
pub const MAX_LINK: usize = 500;
/// Level ids as the GD server has them (a positive 32-bit number).
pub const MAX_LEVEL_ID: u64 = i32::MAX as u64;
/// Request ids as Stagehand numbers them.
pub const MAX_REQUEST_ID: u64 = i64::MAX as u64;

/// Why a body was refused; the message is the `detail` of the 422 answer.
#[derive(Debug, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct BodyError(pub String);

/// `POST /message/stream_start`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct StreamStart {
    pub text: String,
}

/// `POST /message/stream_end`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct StreamEnd {
    pub text: String,
    pub not_reviewed: u64,
    pub approved: u64,
    pub rejected: u64,
    pub later: u64,
}

/// What a level is sent for (`sent_for`); `null` rejects.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum SentFor {
    #[serde(rename = "s")]
    Starrate,
    #[serde(rename = "f")]
    Feature,
    #[serde(rename = "e")]
    Epic,
    #[serde(rename = "m")]
    Mythic,
    #[serde(rename = "l")]
    Legendary,
}

/// `POST /request/resolve`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Resolve {
    pub request_id: u64,
    /// Absent counts as `null`: a rejection.
    #[serde(default)]
    pub sent_for: Option<SentFor>,
    #[serde(default)]
    pub stream_link: Option<String>,
}

/// `POST /request/preapprove`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Preapprove {
    pub request_id: u64,
}

/// The language of a request made on stream, as the panel names it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Language {
    #[serde(rename = "eng")]
    English,
    #[serde(rename = "rus")]
    Russian,
}

/// `POST /request/create`, and each item of `create_batch`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Create {
    pub level_id: u64,
    pub creator_name: String,
    pub language: Language,
    pub showcase_yt_link: String,
}

/// `POST /request/create_batch`.
pub type Batch = Vec<Create>;

/// Checks a parsed body against the document's limits.
pub trait Checked {
    fn check(&self) -> Result<(), BodyError>;
}

fn text(name: &str, value: &str, max: usize) -> Result<(), BodyError> {
    let chars = value.chars().count();
    if value.trim().is_empty() {
        return Err(BodyError(format!("{name} must not be empty or blank")));
    }
    if chars > max {
        return Err(BodyError(format!(
            "{name} has {chars} characters; at most {max} are accepted"
        )));
    }
    Ok(())
}

fn range(name: &str, value: u64, min: u64, max: u64) -> Result<(), BodyError> {
    if (min..=max).contains(&value) {
        Ok(())
    } else {
        Err(BodyError(format!(
            "{name} must be from {min} to {max}, not {value}"
        )))
    }
}

impl Checked for StreamStart {
    fn check(&self) -> Result<(), BodyError> {
        text("text", &self.text, MAX_TEXT)
    }
}

impl Checked for StreamEnd {
    fn check(&self) -> Result<(), BodyError> {
        text("text", &self.text, MAX_TEXT)?;
        range("not_reviewed", self.not_reviewed, 0, MAX_COUNT)?;
        range("approved", self.approved, 0, MAX_COUNT)?;
        range("rejected", self.rejected, 0, MAX_COUNT)?;
        range("later", self.later, 0, MAX_COUNT)
    }
}

impl Checked for Resolve {
    fn check(&self) -> Result<(), BodyError> {
        range("request_id", self.request_id, 1, MAX_REQUEST_ID)?;
        match &self.stream_link {
            Some(link) if link.chars().count() > MAX_LINK => Err(BodyError(format!(
                "stream_link has more than {MAX_LINK} characters"
            ))),
            _ => Ok(()),
        }
    }
}

impl Checked for Preapprove {
    fn check(&self) -> Result<(), BodyError> {
        range("request_id", self.request_id, 1, MAX_REQUEST_ID)
    }
}

impl Checked for Create {
    fn check(&self) -> Result<(), BodyError> {
        range("level_id", self.level_id, 1, MAX_LEVEL_ID)?;
        text("creator_name", &self.creator_name, MAX_CREATOR)?;
        text("showcase_yt_link", &self.showcase_yt_link, MAX_LINK)
    }
}

impl Checked for Batch {
    fn check(&self) -> Result<(), BodyError> {
        if self.len() > MAX_BATCH {
            return Err(BodyError(format!(
                "{} requests in one batch; at most {MAX_BATCH} are accepted",
                self.len()
            )));
        }
        for (i, item) in self.iter().enumerate() {
            item.check()
                .map_err(|BodyError(why)| BodyError(format!("request {i} of the batch: {why}")))?;
        }
        Ok(())
    }
}

/// Parses and checks a body of type `T`.
pub fn parse<T: DeserializeOwned + Checked>(bytes: &[u8]) -> Result<T, BodyError> {
    let value: T = serde_json::from_slice(bytes).map_err(|err| {
        let what = if err.is_syntax() || err.is_eof() {
            "the body is not valid JSON"
        } else {
            "the body does not have the fields this call takes"
        };
        BodyError(format!("{what} ({err})"))
    })?;
    value.check()?;
    Ok(value)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn refused<T: DeserializeOwned + Checked + std::fmt::Debug>(json: &str) -> String {
        parse::<T>(json.as_bytes()).unwrap_err().0
    }

    #[test]
    fn what_the_panel_sends_parses() {
        let create = r#"{"level_id": 128, "creator_name": "Ri", "language": "rus",
            "showcase_yt_link": "https://www.youtube.com/watch?v=dQw4w9WgXcQ", "extra": 1}"#;
        let parsed: Create = parse(create.as_bytes()).unwrap();
        assert_eq!(parsed.language, Language::Russian);
        let batch = format!("[{create}, {create}]");
        assert_eq!(parse::<Batch>(batch.as_bytes()).unwrap().len(), 2);
        assert!(parse::<Batch>(b"[]").unwrap().is_empty());
        let resolve: Resolve =
            parse(br#"{"request_id": 5, "sent_for": null, "stream_link": null}"#).unwrap();
        assert_eq!((resolve.request_id, resolve.sent_for), (5, None));
        let resolve: Resolve = parse(br#"{"request_id": 5, "sent_for": "e"}"#).unwrap();
        assert_eq!(resolve.sent_for, Some(SentFor::Epic));
        let end: StreamEnd = parse(
            br#"{"text": "Bye", "not_reviewed": 2, "approved": 1, "rejected": 0, "later": 3}"#,
        )
        .unwrap();
        assert_eq!(end.later, 3);
        assert!(parse::<Preapprove>(br#"{"request_id": 1}"#).is_ok());
        assert!(parse::<StreamStart>(r#"{"text": "ПОТОК!"}"#.as_bytes()).is_ok());
    }

    #[test]
    fn what_the_document_calls_invalid_is_refused_with_a_reason() {
        for (json, expected) in [
            ("", "not valid JSON"),
            ("{", "not valid JSON"),
            ("null", "does not have the fields"),
            (r#"{"text": 5}"#, "does not have the fields"),
            (r#"{"text": "   "}"#, "text must not be empty or blank"),
        ] {
            assert!(refused::<StreamStart>(json).contains(expected), "{json}");
        }
        let long = format!(r#"{{"text": "{}"}}"#, "я".repeat(2001));
        assert_eq!(
            refused::<StreamStart>(&long),
            "text has 2001 characters; at most 2000 are accepted"
        );
        // The JSON error object a failed `create` gave the panel, sent back as the request id.
        assert!(
            refused::<Resolve>(r#"{"request_id": {"detail": "no"}, "sent_for": "s"}"#)
                .contains("does not have the fields")
        );
        assert!(refused::<Resolve>(r#"{"request_id": 0}"#).contains("request_id must be from 1"));
        assert!(refused::<Resolve>(r#"{"request_id": 1.5}"#).contains("does not have the fields"));
        assert!(refused::<Resolve>(r#"{"request_id": 1, "sent_for": "x"}"#).contains("fields"));
        assert!(refused::<Preapprove>(r#"{"request_id": -3}"#).contains("fields"));
        assert!(
            refused::<StreamEnd>(
                r#"{"text": "x", "not_reviewed": 0, "approved": 1000001, "rejected": 0, "later": 0}"#
            )
            .contains("approved must be from 0 to 1000000")
        );
        let create = |level: &str, name: &str, lang: &str| {
            format!(
                r#"{{"level_id": {level}, "creator_name": "{name}", "language": "{lang}", "showcase_yt_link": "x"}}"#
            )
        };
        assert!(refused::<Create>(&create("0", "Ri", "eng")).contains("level_id must be from 1"));
        assert!(refused::<Create>(&create("2147483648", "Ri", "eng")).contains("to 2147483647"));
        assert!(refused::<Create>(&create("5", " ", "eng")).contains("creator_name"));
        assert!(refused::<Create>(&create("5", "Ri", "en")).contains("fields"));
        let many = format!("[{}]", vec![create("5", "Ri", "eng"); 101].join(","));
        assert!(refused::<Batch>(&many).contains("101 requests in one batch"));
        let bad_item = format!(
            "[{}, {}]",
            create("5", "Ri", "eng"),
            create("0", "Ri", "eng")
        );
        assert!(refused::<Batch>(&bad_item).starts_with("request 1 of the batch: level_id"));
    }
}
