//! Texts in English and Russian: the embedded defaults in `defaults/texts/` ([`Texts`]), admin
//! edits on top of them ([`Catalogue`]), the template syntax (`{param}`, plurals, literal braces;
//! see [`template`]), and how a member's language is chosen.
//!
//! Knows nothing of Discord: callers pass the facts (stored preference, interaction locale,
//! whether the member has the Russian-speaker role).

mod catalogue;
pub mod template;
mod texts;

pub use catalogue::{Catalogue, TextDescription, TextError, TextOverride, import_override};
pub use texts::{COMMAND_LIMIT, CONTENT_LIMIT, Declaration, TemplateError, Texts, TextsError};

use crate::audit::{self, Actor, Event, EventKind};
use crate::store::{Read, StoreError, Table, Writer};
use serde::{Deserialize, Serialize};

impl crate::audit::Change {
    /// What to tell who asked for the change: `common.success` or `warning.no_effect`.
    pub fn message(self) -> Message {
        match self {
            crate::audit::Change::Applied(_) => Message::new("common.success"),
            crate::audit::Change::NoEffect => Message::new("warning.no_effect"),
        }
    }
}

/// Each member's chosen language (`/language`), by Discord user id.
const USER_LANGUAGE: Table<u64, Lang> = Table::new("user_language");

/// The language `user` chose with `/language`, if any.
pub fn preference(r: &impl Read, user: u64) -> Result<Option<Lang>, StoreError> {
    r.get(&USER_LANGUAGE, &user)
}

/// Remembers that `user` chose `lang`, and records it (`USER_PREFERENCE_UPDATED`); `false` (and
/// nothing recorded) when it already was their choice.
pub fn set_preference(w: &mut Writer, user: u64, lang: Lang, now: i64) -> Result<bool, StoreError> {
    if preference(w, user)? == Some(lang) {
        return Ok(false);
    }
    w.insert(&USER_LANGUAGE, &user, &lang)?;
    let event = Event::new(EventKind::UserPreferenceUpdated, Actor::User(user), now)
        .with("preference_id", "language")
        .with("value", lang.code());
    audit::record(w, &event)?;
    Ok(true)
}

/// Stores `user`'s language as another bot kept it (`stagehand import`), without an event.
pub fn import_preference(w: &mut Writer, user: u64, lang: Lang) -> Result<(), StoreError> {
    w.insert(&USER_LANGUAGE, &user, &lang)
}

/// A language Stagehand speaks.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Lang {
    En,
    Ru,
}

impl Lang {
    pub const ALL: [Lang; 2] = [Lang::En, Lang::Ru];

    /// The code used in options and files: `en`, `ru`.
    pub fn code(self) -> &'static str {
        match self {
            Lang::En => "en",
            Lang::Ru => "ru",
        }
    }

    /// The language's own name, for choices.
    pub fn native_name(self) -> &'static str {
        match self {
            Lang::En => "English",
            Lang::Ru => "Русский",
        }
    }

    pub fn other(self) -> Lang {
        match self {
            Lang::En => Lang::Ru,
            Lang::Ru => Lang::En,
        }
    }

    /// Parses `en`/`eng`/`english` and `ru`/`rus`/`russian` (any case).
    pub fn parse(text: &str) -> Option<Lang> {
        match text.trim().to_ascii_lowercase().as_str() {
            "en" | "eng" | "english" => Some(Lang::En),
            "ru" | "rus" | "russian" => Some(Lang::Ru),
            _ => None,
        }
    }

    /// Discord locale → language: Russian for `ru`, English for every other locale.
    pub fn from_locale(locale: &str) -> Lang {
        if locale == "ru" || locale.starts_with("ru-") {
            Lang::Ru
        } else {
            Lang::En
        }
    }
}

/// A reply to localise: a text key and its parameters. Domain errors and outcomes produce these;
/// the shell renders them in the reader's language.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Message {
    pub key: &'static str,
    pub params: Vec<(&'static str, String)>,
}

impl Message {
    pub fn new(key: &'static str) -> Message {
        Message {
            key,
            params: Vec::new(),
        }
    }

    /// Adds the parameter `name`.
    pub fn with(mut self, name: &'static str, value: impl ToString) -> Message {
        self.params.push((name, value.to_string()));
        self
    }

    /// The parameters in the shape `render` takes.
    pub fn params(&self) -> Vec<(&str, &str)> {
        self.params.iter().map(|(n, v)| (*n, v.as_str())).collect()
    }
}

/// The language to answer a member in, and whether it was guessed rather than known.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Choice {
    pub lang: Lang,
    /// Guessed from a role or the default: replies then suggest `/language`.
    pub assumed: bool,
}

/// Explicit choice > Discord locale > Russian-speaker role > English.
pub fn detect(preference: Option<Lang>, locale: Option<&str>, speaks_russian_role: bool) -> Choice {
    match (preference, locale.filter(|l| !l.is_empty())) {
        (Some(lang), _) => Choice {
            lang,
            assumed: false,
        },
        (None, Some(locale)) => Choice {
            lang: Lang::from_locale(locale),
            assumed: false,
        },
        (None, None) if speaks_russian_role => Choice {
            lang: Lang::Ru,
            assumed: true,
        },
        (None, None) => Choice {
            lang: Lang::En,
            assumed: true,
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn detection_order() {
        let cases = [
            (Some(Lang::En), Some("ru"), true, Lang::En, false),
            (Some(Lang::Ru), Some("en-US"), false, Lang::Ru, false),
            (None, Some("ru"), false, Lang::Ru, false),
            (None, Some("en-GB"), true, Lang::En, false),
            (None, Some("uk"), false, Lang::En, false),
            (None, None, true, Lang::Ru, true),
            (None, Some(""), false, Lang::En, true),
        ];
        for (preference, locale, role, lang, assumed) in cases {
            assert_eq!(
                detect(preference, locale, role),
                Choice { lang, assumed },
                "{preference:?} {locale:?} {role}"
            );
        }
    }

    #[test]
    fn parsing_codes() {
        assert_eq!(Lang::parse(" RUS "), Some(Lang::Ru));
        assert_eq!(Lang::parse("eng"), Some(Lang::En));
        for garbage in ["", "de", "русский", "en-US", "e n"] {
            assert_eq!(Lang::parse(garbage), None, "{garbage}");
        }
    }
}
