//! The default texts: `defaults/texts/<lang>.toml` (key → template) and
//! `defaults/texts/params.toml` (what each template may use), embedded and parsed once.
//!
//! `params.toml` has two tables. `[params]` declares, per key, each parameter the template may
//! use with the longest value it can have, in characters. `[limits]` gives a key's length limit
//! when it is not the default: 100 characters for keys under `command.` (Discord's limit for
//! command and option descriptions), 2000 for everything else (a message's content). A template
//! is valid when it parses, uses only declared parameters, and its longest rendering (declared
//! maximum lengths substituted, the longest plural form) fits the limit, and, for a `command.` key,
//! it is not blank (Discord refuses a description of only whitespace, and with it the bulk
//! overwrite of every command). Tests hold the defaults to this; `/text edit` holds edits to it
//! (see `Catalogue`).

use std::collections::HashMap;
use std::sync::OnceLock;

use super::template::{SyntaxError, Template};
use super::{Lang, Message};

#[derive(rust_embed::Embed)]
#[folder = "defaults/texts/"]
struct Defaults;

/// A catalogue that could not be loaded (a bug in `defaults/`, caught by tests).
#[derive(Debug, thiserror::Error)]
pub enum TextsError {
    #[error("defaults/texts/{0}.toml is missing")]
    Missing(&'static str),
    #[error("defaults/texts/{file}.toml: {detail}")]
    Invalid { file: &'static str, detail: String },
}

/// Why a template is not acceptable for a key.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum TemplateError {
    #[error("there is no text {0:?}")]
    UnknownKey(String),
    #[error(transparent)]
    Syntax(#[from] SyntaxError),
    /// `{name}` is not one of the template's declared parameters.
    #[error("{{{name}}} is not a parameter of this text (it has: {allowed})")]
    UnknownParam { name: String, allowed: String },
    /// The longest rendering would exceed the key's limit.
    #[error("could be {max} characters long, over the limit of {limit}")]
    TooLong { max: usize, limit: usize },
    /// A command text (a description Discord shows) with nothing but whitespace: Discord refuses
    /// the bulk overwrite of every command over it.
    #[error("a command description cannot be blank")]
    Blank,
}

impl TemplateError {
    pub fn message(&self) -> Message {
        match self {
            TemplateError::UnknownKey(key) => {
                Message::new("error.text.unknown_key").with("key", key)
            }
            TemplateError::Syntax(err) => Message::new("error.text.syntax").with("problem", err),
            TemplateError::UnknownParam { name, allowed } => {
                Message::new("error.text.unknown_param")
                    .with("name", name)
                    .with("allowed", allowed)
            }
            TemplateError::TooLong { max, limit } => Message::new("error.text.too_long")
                .with("max", max)
                .with("limit", limit),
            TemplateError::Blank => Message::new("error.text.blank"),
        }
    }
}

/// What a text may contain: its parameters with their longest values, and its length limit.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Declaration {
    pub params: Vec<(String, usize)>,
    pub limit: usize,
}

/// Every default text in every language.
pub struct Texts {
    /// Indexed by [`index`].
    by_lang: [HashMap<String, Template>; 2],
    declared: HashMap<String, Vec<(String, usize)>>,
    limits: HashMap<String, usize>,
}

pub(super) fn index(lang: Lang) -> usize {
    match lang {
        Lang::En => 0,
        Lang::Ru => 1,
    }
}

/// Discord's limit on message content.
pub const CONTENT_LIMIT: usize = 2000;
/// Discord's limit on command and option descriptions.
pub const COMMAND_LIMIT: usize = 100;
/// What the keys of command texts (descriptions Discord shows) start with.
const COMMAND_PREFIX: &str = "command.";

impl Texts {
    /// The embedded defaults, parsed once.
    pub fn defaults() -> &'static Texts {
        static TEXTS: OnceLock<Texts> = OnceLock::new();
        TEXTS.get_or_init(|| match Texts::load() {
            Ok(texts) => texts,
            Err(err) => {
                tracing::error!(error = %err, "the embedded texts are broken; showing keys instead");
                Texts {
                    by_lang: [HashMap::new(), HashMap::new()],
                    declared: HashMap::new(),
                    limits: HashMap::new(),
                }
            }
        })
    }

    /// Parses the embedded files. A template that is not valid is kept as literal text (and
    /// reported by [`Texts::problems`]) rather than losing the whole catalogue.
    fn load() -> Result<Texts, TextsError> {
        let (declared, limits) = load_params()?;
        let mut by_lang = [HashMap::new(), HashMap::new()];
        for lang in Lang::ALL {
            let table: HashMap<String, String> = parse_file(lang.code())?;
            by_lang[index(lang)] = table
                .into_iter()
                .map(|(key, source)| {
                    let template = Template::parse(&source, lang).unwrap_or_else(|err| {
                        tracing::error!(key, %err, "a default text does not parse");
                        Template::literal(&source)
                    });
                    (key, template)
                })
                .collect();
        }
        Ok(Texts {
            by_lang,
            declared,
            limits,
        })
    }

    /// The template for `key`: in `lang`, else in English, else the key itself (logged).
    pub fn template<'a>(&'a self, lang: Lang, key: &'a str) -> &'a str {
        self.find(lang, key).map_or_else(
            || {
                tracing::warn!(key, "no text for this key");
                key
            },
            Template::source,
        )
    }

    /// The text for `key` with `{name}` replaced by each parameter's value.
    pub fn render(&self, lang: Lang, key: &str, params: &[(&str, &str)]) -> String {
        match self.find(lang, key) {
            Some(template) => render(template, lang, params),
            None => {
                tracing::warn!(key, "no text for this key");
                key.to_string()
            }
        }
    }

    /// [`Texts::render`] of a [`Message`].
    pub fn render_message(&self, lang: Lang, message: &Message) -> String {
        self.render(lang, message.key, &message.params())
    }

    /// Every key, sorted.
    pub fn keys(&self, lang: Lang) -> Vec<&str> {
        let mut keys: Vec<&str> = self.by_lang[index(lang)]
            .keys()
            .map(String::as_str)
            .collect();
        keys.sort_unstable();
        keys
    }

    /// What `key` may contain; `None` for an unknown key.
    pub fn declaration(&self, key: &str) -> Option<Declaration> {
        self.by_lang[index(Lang::En)].get(key)?;
        Some(Declaration {
            params: self.declared.get(key).cloned().unwrap_or_default(),
            limit: self.limit(key),
        })
    }

    /// Parses `source` as the text of `key` in `lang` and checks it against the declaration.
    pub fn validate(&self, key: &str, lang: Lang, source: &str) -> Result<Template, TemplateError> {
        let declaration = self
            .declaration(key)
            .ok_or_else(|| TemplateError::UnknownKey(key.to_string()))?;
        let template = Template::parse(source, lang)?;
        let max_of = |name: &str| {
            declaration
                .params
                .iter()
                .find(|(n, _)| n == name)
                .map(|(_, max)| *max)
        };
        if let Some(unknown) = template.params().into_iter().find(|n| max_of(n).is_none()) {
            let allowed: Vec<&str> = declaration.params.iter().map(|(n, _)| n.as_str()).collect();
            return Err(TemplateError::UnknownParam {
                name: unknown.to_string(),
                allowed: if allowed.is_empty() {
                    "-".to_string()
                } else {
                    allowed.join(", ")
                },
            });
        }
        let max = template.max_chars(|name| max_of(name).unwrap_or(0));
        if max > declaration.limit {
            return Err(TemplateError::TooLong {
                max,
                limit: declaration.limit,
            });
        }
        // Command texts take no parameters, so this rendering is the one Discord gets.
        if key.starts_with(COMMAND_PREFIX) && render(&template, lang, &[]).trim().is_empty() {
            return Err(TemplateError::Blank);
        }
        Ok(template)
    }

    /// Every problem of the defaults: invalid templates, keys missing from a language, and
    /// declarations of unknown keys. Empty when all is well (a test and `check` use this).
    pub fn problems(&self) -> Vec<String> {
        let mut problems = Vec::new();
        for lang in Lang::ALL {
            for key in self.keys(lang) {
                let source = self.template(lang, key);
                if let Err(err) = self.validate(key, lang, source) {
                    problems.push(format!("{key} ({}): {err}", lang.code()));
                }
                if !self.by_lang[index(lang.other())].contains_key(key) {
                    problems.push(format!("{key} is missing in {}", lang.other().code()));
                }
            }
        }
        for key in self.declared.keys().chain(self.limits.keys()) {
            if !self.by_lang[index(Lang::En)].contains_key(key) {
                problems.push(format!("params.toml declares {key}, which has no text"));
            }
        }
        problems.sort();
        problems
    }

    pub(super) fn find(&self, lang: Lang, key: &str) -> Option<&Template> {
        self.by_lang[index(lang)]
            .get(key)
            .or_else(|| self.by_lang[index(Lang::En)].get(key))
    }

    fn limit(&self, key: &str) -> usize {
        match self.limits.get(key) {
            Some(&limit) => limit,
            None if key.starts_with(COMMAND_PREFIX) => COMMAND_LIMIT,
            None => CONTENT_LIMIT,
        }
    }
}

pub(super) fn render(template: &Template, lang: Lang, params: &[(&str, &str)]) -> String {
    let mut out = String::with_capacity(template.capacity_hint(params));
    template.render_into(lang, params, &mut out);
    out
}

fn parse_file<T: serde::de::DeserializeOwned>(name: &'static str) -> Result<T, TextsError> {
    let file = Defaults::get(&format!("{name}.toml")).ok_or(TextsError::Missing(name))?;
    let text = std::str::from_utf8(&file.data).map_err(|e| TextsError::Invalid {
        file: name,
        detail: e.to_string(),
    })?;
    toml::from_str(text).map_err(|e| TextsError::Invalid {
        file: name,
        detail: e.message().to_string(),
    })
}

type Declared = HashMap<String, Vec<(String, usize)>>;

fn load_params() -> Result<(Declared, HashMap<String, usize>), TextsError> {
    #[derive(serde::Deserialize)]
    #[serde(deny_unknown_fields)]
    struct File {
        #[serde(default)]
        params: HashMap<String, HashMap<String, usize>>,
        #[serde(default)]
        limits: HashMap<String, usize>,
    }
    let file: File = parse_file("params")?;
    let declared = file
        .params
        .into_iter()
        .map(|(key, params)| {
            let mut params: Vec<(String, usize)> = params.into_iter().collect();
            params.sort();
            (key, params)
        })
        .collect();
    Ok((declared, file.limits))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn the_defaults_are_valid_in_every_language() {
        let texts = Texts::load().unwrap();
        assert!(!texts.keys(Lang::En).is_empty());
        assert_eq!(texts.keys(Lang::En), texts.keys(Lang::Ru));
        assert_eq!(texts.problems(), Vec::<String>::new());
    }

    #[test]
    fn lookup_falls_back_to_english_then_the_key() {
        let texts = Texts::load().unwrap();
        assert_eq!(texts.template(Lang::Ru, "common.success"), "Готово.");
        assert_eq!(texts.template(Lang::En, "no.such.key"), "no.such.key");
        assert_eq!(texts.render(Lang::En, "no.such.key", &[]), "no.such.key");
    }

    #[test]
    fn rendering_messages() {
        let texts = Texts::load().unwrap();
        let message = Message::new("help.footer").with("version", "1.2.3");
        assert_eq!(texts.render_message(Lang::En, &message), "Stagehand 1.2.3");
    }

    /// Every message the domain modules produce names a text that exists, passes only declared
    /// parameters, and passes every parameter the default texts use.
    #[test]
    fn the_domain_messages_fit_their_texts() {
        use crate::time::{DurationError, DurationProblem, TimestampError, TimestampProblem};
        let texts = Texts::load().unwrap();
        let durations = [
            DurationProblem::Empty,
            DurationProblem::UnexpectedChar('x'),
            DurationProblem::Fraction,
            DurationProblem::MissingUnit,
            DurationProblem::MissingNumber,
            DurationProblem::UnknownUnit("x".into()),
            DurationProblem::AmbiguousUnit,
            DurationProblem::TooLong,
            DurationProblem::RelativeNotAllowed,
            DurationProblem::EmptyChange,
        ];
        let mut messages: Vec<Message> = durations
            .iter()
            .map(|problem| {
                let input = "x".into();
                DurationError {
                    input,
                    problem: problem.clone(),
                }
                .message()
            })
            .collect();
        for problem in [
            TimestampProblem::Empty,
            TimestampProblem::Unrecognised,
            TimestampProblem::Invalid,
        ] {
            messages.push(
                TimestampError {
                    input: "x".into(),
                    problem,
                }
                .message(),
            );
        }
        for input in ["0", "x", "99999999999"] {
            let bad = crate::params::Kind::Natural.parse(input).unwrap_err();
            messages.push(crate::params::ParameterError::from(bad).message());
        }
        let bad_bool = crate::params::Kind::Bool.parse("x").unwrap_err();
        messages.push(bad_bool.message());
        messages.push(crate::params::Param::parse("x").unwrap_err().message());
        messages.push(crate::access::AccessError::LockOut.message());
        for err in [
            TemplateError::UnknownKey("k".into()),
            TemplateError::Syntax(SyntaxError::Unclosed(0)),
            TemplateError::UnknownParam {
                name: "n".into(),
                allowed: "-".into(),
            },
            TemplateError::TooLong { max: 1, limit: 1 },
            TemplateError::Blank,
        ] {
            messages.push(err.message());
        }
        let escape = crate::i18n::template::decode_escapes("\\u").unwrap_err();
        messages.push(crate::i18n::TextError::from(escape).message());
        {
            use crate::requests::trainee::{AssessError, DecisionError, PracticeError};
            messages.extend(
                [
                    PracticeError::Gone,
                    PracticeError::Exists { at: 1 },
                    PracticeError::ReviewRequired,
                    PracticeError::ReviewTooShort,
                    PracticeError::NoChannel,
                ]
                .iter()
                .map(PracticeError::message),
            );
            messages.extend(
                [
                    AssessError::Gone,
                    AssessError::Already { by: 1, at: 2 },
                    AssessError::Own,
                    AssessError::FeedbackTooShort,
                ]
                .iter()
                .map(AssessError::message),
            );
            messages.extend(
                [
                    DecisionError::NotATrainee { member: 1 },
                    DecisionError::NoRole(crate::access::Flag::Reviewer),
                    DecisionError::Left { member: 1 },
                ]
                .iter()
                .map(DecisionError::message),
            );
        }
        for change in [
            crate::audit::Change::NoEffect,
            crate::audit::Change::Applied(crate::audit::EventId(1)),
        ] {
            messages.push(change.message());
        }
        for message in &messages {
            let declaration = texts
                .declaration(message.key)
                .unwrap_or_else(|| panic!("{}", message.key));
            for (name, _) in &message.params {
                assert!(
                    declaration.params.iter().any(|(n, _)| n == name),
                    "{}: {name} is not declared",
                    message.key
                );
            }
            for lang in Lang::ALL {
                let template = Template::parse(texts.template(lang, message.key), lang).unwrap();
                for used in template.params() {
                    assert!(
                        message.params.iter().any(|(n, _)| *n == used),
                        "{}: {used} is never passed",
                        message.key
                    );
                }
            }
        }
        let descriptions = crate::access::Flag::ALL
            .iter()
            .map(|f| f.description_key())
            .chain(
                crate::params::Param::ALL
                    .iter()
                    .map(|p| p.description_key()),
            )
            .chain(
                crate::routes::Route::ALL
                    .iter()
                    .map(|r| r.description_key()),
            )
            .chain(
                [
                    crate::params::Kind::Natural,
                    crate::params::Kind::Uint,
                    crate::params::Kind::Bool,
                    crate::params::Kind::Duration,
                ]
                .map(|k| k.text_key()),
            );
        for key in descriptions {
            assert!(texts.declaration(key).is_some(), "no text {key}");
        }
    }

    #[test]
    fn validation_against_the_declaration() {
        let texts = Texts::load().unwrap();
        let key = "error.maintainer_report";
        assert!(texts.validate(key, Lang::En, "{place}: {detail}").is_ok());
        assert_eq!(
            texts.validate(key, Lang::En, "{place} {oops}").unwrap_err(),
            TemplateError::UnknownParam {
                name: "oops".into(),
                allowed: "detail, place, user".into()
            }
        );
        assert_eq!(
            texts
                .validate("common.success", Lang::En, "{x}")
                .unwrap_err(),
            TemplateError::UnknownParam {
                name: "x".into(),
                allowed: "-".into()
            }
        );
        assert!(matches!(
            texts.validate("no.such", Lang::En, "x"),
            Err(TemplateError::UnknownKey(_))
        ));
        assert!(matches!(
            texts.validate(key, Lang::En, "{place"),
            Err(TemplateError::Syntax(_))
        ));
        let long = "x".repeat(CONTENT_LIMIT + 1);
        assert_eq!(
            texts
                .validate("common.success", Lang::En, &long)
                .unwrap_err(),
            TemplateError::TooLong {
                max: CONTENT_LIMIT + 1,
                limit: CONTENT_LIMIT
            }
        );
        // Declared maximum lengths count: the detail alone may be 1500 characters.
        let near = format!("{}{{detail}}", "x".repeat(600));
        assert!(matches!(
            texts.validate(key, Lang::En, &near),
            Err(TemplateError::TooLong { .. })
        ));
        assert!(matches!(
            texts.validate("command.help.description", Lang::Ru, &"я".repeat(101)),
            Err(TemplateError::TooLong { limit: 100, .. })
        ));
    }

    /// Discord refuses a command description of only whitespace (and with it every command), so
    /// a command text must show something; other texts are not descriptions.
    #[test]
    fn a_command_text_is_never_blank() {
        let texts = Texts::load().unwrap();
        for blank in ["", " ", " \n\t ", "\u{3000}"] {
            for lang in Lang::ALL {
                assert_eq!(
                    texts
                        .validate("command.help.description", lang, blank)
                        .unwrap_err(),
                    TemplateError::Blank,
                    "{blank:?}"
                );
            }
        }
        assert!(
            texts
                .validate("command.help.description", Lang::En, " Help ")
                .is_ok()
        );
        assert!(texts.validate("common.success", Lang::En, " ").is_ok());
    }
}
