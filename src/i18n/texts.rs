//! The text catalogue: `defaults/texts/<lang>.toml`, embedded, key → template.

use std::collections::HashMap;
use std::sync::OnceLock;

use super::Lang;

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

/// Every text in every language.
pub struct Texts {
    by_lang: HashMap<Lang, HashMap<String, String>>,
}

impl Texts {
    /// The embedded defaults, parsed once.
    pub fn defaults() -> &'static Texts {
        static TEXTS: OnceLock<Texts> = OnceLock::new();
        TEXTS.get_or_init(|| match Texts::load() {
            Ok(texts) => texts,
            Err(err) => {
                tracing::error!(error = %err, "the embedded texts are broken; showing keys instead");
                Texts { by_lang: HashMap::new() }
            }
        })
    }

    fn load() -> Result<Texts, TextsError> {
        let mut by_lang = HashMap::new();
        for lang in Lang::ALL {
            let file = Defaults::get(&format!("{}.toml", lang.code()))
                .ok_or(TextsError::Missing(lang.code()))?;
            let text = std::str::from_utf8(&file.data).map_err(|e| TextsError::Invalid {
                file: lang.code(),
                detail: e.to_string(),
            })?;
            let table: HashMap<String, String> =
                toml::from_str(text).map_err(|e| TextsError::Invalid {
                    file: lang.code(),
                    detail: e.message().to_string(),
                })?;
            by_lang.insert(lang, table);
        }
        Ok(Texts { by_lang })
    }

    /// The template for `key`: in `lang`, else in English, else the key itself (logged).
    pub fn template<'a>(&'a self, lang: Lang, key: &'a str) -> &'a str {
        let find = |lang| {
            self.by_lang
                .get(&lang)
                .and_then(|t| t.get(key))
                .map(String::as_str)
        };
        find(lang).or_else(|| find(Lang::En)).unwrap_or_else(|| {
            tracing::warn!(key, "no text for this key");
            key
        })
    }

    /// The text for `key` with `{name}` replaced by each parameter's value.
    pub fn render(&self, lang: Lang, key: &str, params: &[(&str, &str)]) -> String {
        substitute(self.template(lang, key), params)
    }

    /// Every key, in English's order-free set.
    pub fn keys(&self, lang: Lang) -> Vec<&str> {
        let mut keys: Vec<&str> = self
            .by_lang
            .get(&lang)
            .map(|t| t.keys().map(String::as_str).collect())
            .unwrap_or_default();
        keys.sort_unstable();
        keys
    }
}

/// Replaces each `{name}` whose name is a parameter; leaves other braces as they are.
fn substitute(template: &str, params: &[(&str, &str)]) -> String {
    let mut out = String::with_capacity(template.len() + 32);
    let mut rest = template;
    while let Some(open) = rest.find('{') {
        out.push_str(&rest[..open]);
        let after = &rest[open + 1..];
        match after.find('}').map(|close| (&after[..close], close)) {
            Some((name, close)) if params.iter().any(|(p, _)| *p == name) => {
                let value = params
                    .iter()
                    .find(|(p, _)| *p == name)
                    .map_or("", |(_, v)| v);
                out.push_str(value);
                rest = &after[close + 1..];
            }
            _ => {
                out.push('{');
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn every_key_exists_in_every_language() {
        let texts = Texts::load().unwrap();
        assert!(!texts.keys(Lang::En).is_empty());
        assert_eq!(texts.keys(Lang::En), texts.keys(Lang::Ru));
    }

    #[test]
    fn lookup_falls_back_to_english_then_the_key() {
        let texts = Texts::load().unwrap();
        assert_eq!(texts.template(Lang::Ru, "common.success"), "Готово.");
        assert_eq!(texts.template(Lang::En, "no.such.key"), "no.such.key");
    }

    #[test]
    fn substitution() {
        assert_eq!(
            substitute("Hi {name}, {name}!", &[("name", "Ann")]),
            "Hi Ann, Ann!"
        );
        assert_eq!(
            substitute("{unknown} {x", &[("name", "Ann")]),
            "{unknown} {x"
        );
        assert_eq!(
            substitute("{a}{b}", &[("a", "{b}"), ("b", "2")]),
            "{b}2",
            "values are not re-substituted"
        );
        assert_eq!(substitute("", &[]), "");
    }
}
