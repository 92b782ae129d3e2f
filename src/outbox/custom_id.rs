//! The `custom_id` of every button, select and modal: `v1:<module>:<action>:<id>[:<arg>]`.
//!
//! Versioned and parseable, so a click on a message posted before a restart (or an upgrade) is
//! routed by its text alone; the entity's state is then read from the store. Anything that does not
//! parse — an old version, a forged or truncated id — is [`CustomIdError`], which the router answers
//! with "this control is outdated" and nothing else.

use std::fmt;

/// Discord's limit on a `custom_id`.
pub const MAX_LEN: usize = 100;
const VERSION: &str = "v1";

/// A parsed `custom_id`.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct CustomId {
    /// The module that owns the control (`req`, `league`, `core`).
    pub module: String,
    /// What the control does (`opinion`, `accept`, …).
    pub action: String,
    /// The entity it acts on (request id, challenge id, …).
    pub id: u64,
    /// An optional argument (`approve`, a page number, …).
    pub arg: Option<String>,
}

/// Why a `custom_id` was refused.
#[derive(Debug, PartialEq, Eq, thiserror::Error)]
pub enum CustomIdError {
    #[error("custom_id is longer than {MAX_LEN} characters")]
    TooLong,
    #[error("custom_id has version {0:?}, not {VERSION}")]
    Version(String),
    #[error("custom_id has {0} parts, expected 4 or 5")]
    Shape(usize),
    #[error("custom_id part {0:?} is not a lowercase name")]
    Name(String),
    #[error("custom_id id {0:?} is not a number")]
    Id(String),
    #[error("custom_id argument {0:?} has characters other than letters, digits, '-' and '_'")]
    Arg(String),
}

fn is_name(part: &str) -> bool {
    (1..=24).contains(&part.len()) && part.bytes().all(|b| b.is_ascii_lowercase() || b == b'_')
}

fn is_arg(part: &str) -> bool {
    !part.is_empty()
        && part
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

impl CustomId {
    /// A control id; panics in debug builds if a name or argument breaks the grammar (a bug).
    pub fn new(module: &str, action: &str, id: u64, arg: Option<&str>) -> CustomId {
        let made = CustomId {
            module: module.into(),
            action: action.into(),
            id,
            arg: arg.map(Into::into),
        };
        debug_assert_eq!(
            CustomId::parse(&made.to_string()).as_ref(),
            Ok(&made),
            "malformed custom_id"
        );
        made
    }

    pub fn parse(text: &str) -> Result<CustomId, CustomIdError> {
        if text.len() > MAX_LEN {
            return Err(CustomIdError::TooLong);
        }
        let parts: Vec<&str> = text.split(':').collect();
        if parts[0] != VERSION {
            return Err(CustomIdError::Version(parts[0].to_string()));
        }
        if !(4..=5).contains(&parts.len()) {
            return Err(CustomIdError::Shape(parts.len()));
        }
        for name in &parts[1..3] {
            if !is_name(name) {
                return Err(CustomIdError::Name((*name).to_string()));
            }
        }
        let id_ok = !parts[3].is_empty()
            && parts[3].len() <= 20
            && parts[3].bytes().all(|b| b.is_ascii_digit());
        let id = parts[3]
            .parse()
            .ok()
            .filter(|_| id_ok)
            .ok_or_else(|| CustomIdError::Id(parts[3].to_string()))?;
        let arg = match parts.get(4) {
            Some(arg) if is_arg(arg) => Some((*arg).to_string()),
            Some(arg) => return Err(CustomIdError::Arg((*arg).to_string())),
            None => None,
        };
        Ok(CustomId {
            module: parts[1].to_string(),
            action: parts[2].to_string(),
            id,
            arg,
        })
    }
}

impl fmt::Display for CustomId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{VERSION}:{}:{}:{}", self.module, self.action, self.id)?;
        if let Some(arg) = &self.arg {
            write!(f, ":{arg}")?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips() {
        for (module, action, id, arg) in [
            ("req", "opinion", 1234, Some("approve")),
            ("core", "page", 0, None),
        ] {
            let made = CustomId::new(module, action, id, arg);
            assert_eq!(CustomId::parse(&made.to_string()), Ok(made));
        }
        let longest = CustomId::new(
            "abcdefghijklmnopqrstuvwx",
            "abcdefghijklmnopqrstuvwx",
            u64::MAX,
            Some("a-b_c"),
        );
        assert!(longest.to_string().len() <= MAX_LEN);
    }

    #[test]
    fn garbage_is_refused() {
        let cases: &[(&str, CustomIdError)] = &[
            ("", CustomIdError::Version(String::new())),
            ("v0:req:opinion:1", CustomIdError::Version("v0".into())),
            ("v2:req:opinion:1", CustomIdError::Version("v2".into())),
            ("v1:req:opinion", CustomIdError::Shape(3)),
            ("v1:req:opinion:1:a:b", CustomIdError::Shape(6)),
            ("v1:REQ:opinion:1", CustomIdError::Name("REQ".into())),
            ("v1::opinion:1", CustomIdError::Name(String::new())),
            ("v1:req:opinion:-1", CustomIdError::Id("-1".into())),
            ("v1:req:opinion:+1", CustomIdError::Id("+1".into())),
            (
                "v1:req:opinion:18446744073709551616",
                CustomIdError::Id("18446744073709551616".into()),
            ),
            ("v1:req:opinion:", CustomIdError::Id(String::new())),
            ("v1:req:opinion:1:", CustomIdError::Arg(String::new())),
            ("v1:req:opinion:1:ап", CustomIdError::Arg("ап".into())),
            ("v1:req:opinion:1:a b", CustomIdError::Arg("a b".into())),
        ];
        for (text, expected) in cases {
            assert_eq!(CustomId::parse(text).as_ref(), Err(expected), "{text:?}");
        }
        assert_eq!(
            CustomId::parse(&format!("v1:req:opinion:1:{}", "a".repeat(90))),
            Err(CustomIdError::TooLong)
        );
    }
}
