//! The texts as admins see them: the defaults with `/text edit` overrides on top.
//!
//! Overrides live in the store (`text_overrides`, key → one optional text per language). A
//! [`Catalogue`] keeps them in memory, parsed, for fast rendering; every change writes the store
//! (one transaction with its `TEXT_PIECE_EDITED` event) and then the memory copy while holding its
//! lock, so both always agree and a restart loses nothing.

use crate::store::Read as _;
use std::collections::HashMap;
use std::sync::{PoisonError, RwLock, RwLockReadGuard, RwLockWriteGuard};

use serde::{Deserialize, Serialize};

use super::template::{EscapeError, Template, decode_escapes};
use super::texts::{self, Declaration, TemplateError, Texts, index};
use super::{Lang, Message};
use crate::audit::{self, Actor, Change, Event, EventKind};
use crate::outbox::{self, Effect};
use crate::store::{Store, StoreError, Table};

/// Texts edited with `/text edit`: text key → the edited English and Russian (see `i18n`).
pub(crate) const TEXT_OVERRIDES: Table<str, crate::i18n::TextOverride> =
    Table::new("text_overrides");

/// A key's overrides as stored: `[English, Russian]`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct TextOverride {
    pub en: Option<String>,
    pub ru: Option<String>,
}

impl TextOverride {
    fn get(&self, lang: Lang) -> Option<&String> {
        match lang {
            Lang::En => self.en.as_ref(),
            Lang::Ru => self.ru.as_ref(),
        }
    }

    fn slot(&mut self, lang: Lang) -> &mut Option<String> {
        match lang {
            Lang::En => &mut self.en,
            Lang::Ru => &mut self.ru,
        }
    }
}

/// Why `/text edit` or `/text reset` was refused; nothing changed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum TextError {
    #[error(transparent)]
    Escape(#[from] EscapeError),
    #[error(transparent)]
    Template(#[from] TemplateError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl TextError {
    pub fn message(&self) -> Message {
        match self {
            TextError::Escape(err) => Message::new("error.text.bad_escape").with("problem", err),
            TextError::Template(err) => err.message(),
            TextError::Store(_) => Message::new("error.command_error"),
        }
    }
}

/// Everything `/text describe` shows.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TextDescription {
    pub key: String,
    pub declaration: Declaration,
    /// Per language (`[English, Russian]`): the default and the override, if any.
    pub default: [String; 2],
    pub current: [Option<String>; 2],
}

/// Parsed overrides by key, `[English, Russian]`.
type Overrides = HashMap<String, [Option<Template>; 2]>;

/// The texts with admin overrides.
pub struct Catalogue {
    defaults: &'static Texts,
    overrides: RwLock<Overrides>,
}

/// Stores another bot's edit of `key` in `lang` (`stagehand import`), without an event, after
/// checking it against today's declaration of the key (its placeholders, its length): one that
/// no longer fits is refused and nothing is stored. The text equal to the default stores no
/// override. The bot reads the overrides at start.
pub fn import_override(
    w: &mut crate::store::Writer,
    key: &str,
    lang: Lang,
    text: &str,
) -> Result<Result<(), TemplateError>, StoreError> {
    let defaults = Texts::defaults();
    if let Err(err) = defaults.validate(key, lang, text) {
        return Ok(Err(err));
    }
    let mut row = w.get(&TEXT_OVERRIDES, key)?.unwrap_or_default();
    *row.slot(lang) = (text != defaults.template(lang, key)).then(|| text.to_string());
    if row.en.is_none() && row.ru.is_none() {
        w.remove(&TEXT_OVERRIDES, key)?;
    } else {
        w.insert(&TEXT_OVERRIDES, key, &row)?;
    }
    Ok(Ok(()))
}

impl Catalogue {
    /// The default texts, without overrides.
    pub fn defaults() -> Catalogue {
        Catalogue {
            defaults: Texts::defaults(),
            overrides: RwLock::default(),
        }
    }

    /// Reads the overrides from the store. One that no longer fits its declaration (after an
    /// upgrade changed it) is ignored, logged, and the default shows.
    pub fn open(store: &Store) -> Result<Catalogue, StoreError> {
        let defaults = Texts::defaults();
        let rows = store.read(|r| r.all(&TEXT_OVERRIDES))?;
        let mut overrides = Overrides::new();
        for (key, row) in rows {
            let mut parsed = [None, None];
            for lang in Lang::ALL {
                let Some(source) = row.get(lang) else {
                    continue;
                };
                match defaults.validate(&key, lang, source) {
                    Ok(template) => parsed[index(lang)] = Some(template),
                    Err(err) => {
                        tracing::warn!(key, lang = lang.code(), err = ?err.to_string(), "ignoring an edited text")
                    }
                }
            }
            overrides.insert(key, parsed);
        }
        Ok(Catalogue {
            defaults,
            overrides: RwLock::new(overrides),
        })
    }

    /// Reads the overrides again (another store was put in place: `/backup load`).
    pub fn reload(&self, store: &Store) -> Result<(), StoreError> {
        let fresh = Catalogue::open(store)?.overrides.into_inner();
        let fresh = fresh.unwrap_or_else(std::sync::PoisonError::into_inner);
        *self
            .overrides
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = fresh;
        Ok(())
    }

    /// The text for `key` in `lang` (edited or default; English, then the key, when missing),
    /// with `{name}` replaced by each parameter's value.
    pub fn render(&self, lang: Lang, key: &str, params: &[(&str, &str)]) -> String {
        let overrides = self.read();
        if let Some(template) = overrides.get(key).and_then(|o| o[index(lang)].as_ref()) {
            return texts::render(template, lang, params);
        }
        drop(overrides);
        self.defaults.render(lang, key, params)
    }

    /// [`Catalogue::render`] of a [`Message`].
    pub fn render_message(&self, lang: Lang, message: &Message) -> String {
        self.render(lang, message.key, &message.params())
    }

    /// Every key, sorted (for `/text list` and autocomplete).
    pub fn keys(&self) -> Vec<&'static str> {
        self.defaults.keys(Lang::En)
    }

    pub fn describe(&self, key: &str) -> Result<TextDescription, TextError> {
        let declaration = self
            .defaults
            .declaration(key)
            .ok_or_else(|| TemplateError::UnknownKey(key.to_string()))?;
        let overrides = self.read();
        let current = Lang::ALL.map(|lang| {
            overrides
                .get(key)
                .and_then(|o| o[index(lang)].as_ref())
                .map(|t| t.source().to_string())
        });
        Ok(TextDescription {
            key: key.to_string(),
            declaration,
            default: Lang::ALL.map(|lang| self.defaults.template(lang, key).to_string()),
            current,
        })
    }

    /// Replaces the text of `key` in `lang` with `input`, after decoding its escape codes
    /// (`\n`, `\uXXXX`, …) and checking it. The current text again is no effect; the default
    /// text removes the override.
    pub fn edit(
        &self,
        store: &Store,
        actor: Actor,
        key: &str,
        lang: Lang,
        input: &str,
        now: i64,
    ) -> Result<Change, TextError> {
        let text = decode_escapes(input)?;
        let template = self.defaults.validate(key, lang, &text)?;
        let mut overrides = self.write();
        let current = overrides.get(key).and_then(|o| o[index(lang)].as_ref());
        let default = self.defaults.template(lang, key);
        if current.map_or(default, Template::source) == text {
            return Ok(Change::NoEffect);
        }
        let new = (text != default).then_some(text);
        let id = self.save(store, actor, key, lang, new.as_deref(), default, now)?;
        let slot = overrides.entry(key.to_string()).or_default();
        slot[index(lang)] = new.map(|_| template);
        Ok(Change::Applied(id))
    }

    /// Returns the text of `key` in `lang` to the default; no effect when it is not edited.
    pub fn reset(
        &self,
        store: &Store,
        actor: Actor,
        key: &str,
        lang: Lang,
        now: i64,
    ) -> Result<Change, TextError> {
        if self.defaults.declaration(key).is_none() {
            return Err(TemplateError::UnknownKey(key.to_string()).into());
        }
        let mut overrides = self.write();
        let Some(slot) = overrides.get_mut(key).filter(|o| o[index(lang)].is_some()) else {
            return Ok(Change::NoEffect);
        };
        let default = self.defaults.template(lang, key);
        let id = self.save(store, actor, key, lang, None, default, now)?;
        slot[index(lang)] = None;
        Ok(Change::Applied(id))
    }

    /// Stores `text` (or no override) for `key` in `lang` and records the event, whose
    /// `new_text` is what now shows; a command text (a description Discord shows) also queues
    /// the registration of the commands again.
    #[allow(clippy::too_many_arguments)]
    fn save(
        &self,
        store: &Store,
        actor: Actor,
        key: &str,
        lang: Lang,
        text: Option<&str>,
        default: &str,
        now: i64,
    ) -> Result<audit::EventId, StoreError> {
        let event = Event::new(EventKind::TextPieceEdited, actor, now)
            .with("piece_id", key)
            .with("lang", lang.code())
            .with("new_text", text.unwrap_or(default));
        store.write(|w| {
            let mut row = w.get(&TEXT_OVERRIDES, key)?.unwrap_or_default();
            *row.slot(lang) = text.map(str::to_string);
            if row == TextOverride::default() {
                w.remove(&TEXT_OVERRIDES, key)?;
            } else {
                w.insert(&TEXT_OVERRIDES, key, &row)?;
            }
            if key.starts_with("command.") {
                outbox::push(w, Effect::RegisterCommands)?;
            }
            audit::record(w, &event)
        })
    }

    fn read(&self) -> RwLockReadGuard<'_, Overrides> {
        self.overrides
            .read()
            .unwrap_or_else(PoisonError::into_inner)
    }

    fn write(&self) -> RwLockWriteGuard<'_, Overrides> {
        self.overrides
            .write()
            .unwrap_or_else(PoisonError::into_inner)
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use crate::store::StoreOptions;

    const ADMIN: Actor = Actor::User(42);
    const KEY: &str = "error.maintainer_report";

    fn open() -> (tempfile::TempDir, Store, Catalogue) {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&dir.path().join("s.redb"), &StoreOptions::default()).unwrap();
        let catalogue = Catalogue::open(&store).unwrap();
        (dir, store, catalogue)
    }

    #[test]
    fn edits_show_survive_a_restart_and_reset() {
        let (_dir, store, catalogue) = open();
        let params = [("place", "sync"), ("user", "ann"), ("detail", "boom")];
        let edited = catalogue
            .edit(&store, ADMIN, KEY, Lang::Ru, r"Сбой: {place}\n{detail}", 1)
            .unwrap();
        assert!(matches!(edited, Change::Applied(_)));
        assert_eq!(catalogue.render(Lang::Ru, KEY, &params), "Сбой: sync\nboom");
        assert_eq!(
            catalogue.render(Lang::En, KEY, &params),
            "**Error** in sync (user ann):\nboom",
            "the other language keeps its default"
        );
        assert_eq!(
            catalogue
                .edit(&store, ADMIN, KEY, Lang::Ru, "Сбой: {place}\n{detail}", 2)
                .unwrap(),
            Change::NoEffect
        );

        let reopened = Catalogue::open(&store).unwrap();
        assert_eq!(reopened.render(Lang::Ru, KEY, &params), "Сбой: sync\nboom");
        let described = reopened.describe(KEY).unwrap();
        assert_eq!(
            described.current[1].as_deref(),
            Some("Сбой: {place}\n{detail}")
        );
        assert_eq!(described.current[0], None);
        assert_eq!(described.declaration.params.len(), 3);

        assert!(matches!(
            reopened.reset(&store, ADMIN, KEY, Lang::Ru, 3).unwrap(),
            Change::Applied(_)
        ));
        assert_eq!(
            reopened.reset(&store, ADMIN, KEY, Lang::Ru, 4).unwrap(),
            Change::NoEffect
        );
        assert!(store.read(|r| r.all(&TEXT_OVERRIDES)).unwrap().is_empty());
        assert!(
            reopened
                .render(Lang::Ru, KEY, &params)
                .starts_with("**Ошибка**")
        );
        let log = audit::summaries(&store);
        assert_eq!(log.len(), 2);
        assert!(
            log[0].starts_with(
                "TEXT_PIECE_EDITED by <@42>: piece_id=error.maintainer_report lang=ru"
            )
        );
        assert!(
            log[1].ends_with(r#"new_text="**Ошибка** в {place} (пользователь {user}):\n{detail}""#)
        );
    }

    #[test]
    fn the_default_text_is_no_effect_or_drops_the_override() {
        let (_dir, store, catalogue) = open();
        let default = Texts::defaults()
            .template(Lang::En, "common.success")
            .to_string();
        assert_eq!(
            catalogue
                .edit(&store, ADMIN, "common.success", Lang::En, &default, 1)
                .unwrap(),
            Change::NoEffect
        );
        catalogue
            .edit(&store, ADMIN, "common.success", Lang::En, "OK!", 2)
            .unwrap();
        assert_eq!(catalogue.render(Lang::En, "common.success", &[]), "OK!");
        catalogue
            .edit(&store, ADMIN, "common.success", Lang::En, &default, 3)
            .unwrap();
        assert_eq!(catalogue.render(Lang::En, "common.success", &[]), default);
        assert!(store.read(|r| r.all(&TEXT_OVERRIDES)).unwrap().is_empty());
    }

    #[test]
    fn bad_edits_change_nothing() {
        let (_dir, store, catalogue) = open();
        let refusals = [
            ("no.such.key", "x", "error.text.unknown_key"),
            (KEY, "{place} {password}", "error.text.unknown_param"),
            (KEY, "{place", "error.text.syntax"),
            (KEY, r"trailing \", "error.text.bad_escape"),
            (KEY, r"\uD800", "error.text.bad_escape"),
            ("common.success", &"x".repeat(2001), "error.text.too_long"),
            ("command.help.description", "   ", "error.text.blank"),
            (
                "command.help.description",
                r"\n\t\u00A0",
                "error.text.blank",
            ),
        ];
        for (key, input, message) in refusals {
            let err = catalogue
                .edit(&store, ADMIN, key, Lang::En, input, 1)
                .unwrap_err();
            assert_eq!(err.message().key, message, "{input}");
        }
        assert!(matches!(
            catalogue.reset(&store, ADMIN, "no.such.key", Lang::En, 1),
            Err(TextError::Template(TemplateError::UnknownKey(_)))
        ));
        assert!(audit::summaries(&store).is_empty());
        assert!(store.read(|r| r.all(&TEXT_OVERRIDES)).unwrap().is_empty());
    }

    #[test]
    fn stale_overrides_are_ignored_on_open() {
        let (_dir, store, _) = open();
        let stale = TextOverride {
            en: Some("{gone}".into()),
            ru: Some("Готово!".into()),
        };
        store
            .write(|w| w.insert(&TEXT_OVERRIDES, "common.success", &stale))
            .unwrap();
        // A blank command description stored before edits were checked for it.
        let blank = TextOverride {
            en: Some(" ".into()),
            ru: None,
        };
        store
            .write(|w| w.insert(&TEXT_OVERRIDES, "command.help.description", &blank))
            .unwrap();
        let catalogue = Catalogue::open(&store).unwrap();
        assert_eq!(catalogue.render(Lang::En, "common.success", &[]), "Done.");
        assert_eq!(catalogue.render(Lang::Ru, "common.success", &[]), "Готово!");
        assert_eq!(
            catalogue.render(Lang::En, "command.help.description", &[]),
            Texts::defaults().template(Lang::En, "command.help.description")
        );
    }
}
