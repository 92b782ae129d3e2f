//! Template syntax: parsing once, rendering fast, validating edits, and the escape codes of
//! `/text edit`.
//!
//! ```text
//! Hello {name}!                  {name} is replaced by the parameter `name`
//! {count} {count|level|levels}   a plural: the form for the number in `count`
//! {count|заявка|заявки|заявок}   Russian has three forms: one, few, many
//! {{ and }}                      literal braces
//! ```
//!
//! English plurals take two forms (one, other), Russian three (one: 1, 21, 101; few: 2–4, 22–24;
//! many: 0, 5–20, 25–30, 11–14, 111). A value that is not a whole number takes the last form. A
//! parameter the caller did not pass stays as written (`{name}`), as in the original.

use std::ops::Range;

use super::Lang;

/// A parsed template: the source and its pieces (ranges into the source, so no allocation per
/// piece).
#[derive(Clone, Debug)]
pub struct Template {
    source: Box<str>,
    segments: Box<[Segment]>,
}

#[derive(Clone, Debug)]
enum Segment {
    Text(Range<usize>),
    /// `{name}`: the range covers `name`.
    Param(Range<usize>),
    /// `{name|form|form…}`: the parameter's name, then each form.
    Plural(Range<usize>, Box<[Range<usize>]>),
}

/// Why a template does not parse.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SyntaxError {
    /// A `{` with no `}` (write `{{` for a literal brace).
    #[error("the brace at character {0} is not closed (write {{{{ for a literal brace)")]
    Unclosed(usize),
    /// `{}` or `{a b}`: names are lower-case letters, digits and `_`.
    #[error("{0:?} is not a parameter name")]
    BadName(String),
    /// A plural with the wrong number of forms for the language.
    #[error("the plural of {name} needs {expected} forms for this language")]
    PluralForms { name: String, expected: usize },
}

impl Template {
    /// Parses `source` written in `lang` (which fixes the number of plural forms).
    pub fn parse(source: &str, lang: Lang) -> Result<Template, SyntaxError> {
        let mut segments = Vec::new();
        let bytes = source.as_bytes();
        let mut text_start = 0;
        let mut at = 0;
        while at < bytes.len() {
            match bytes[at] {
                b'{' | b'}' if bytes.get(at + 1) == Some(&bytes[at]) => {
                    // A doubled brace: keep the first, skip the second.
                    push_text(&mut segments, text_start..at + 1);
                    at += 2;
                    text_start = at;
                }
                b'{' => {
                    let close = source[at..]
                        .find('}')
                        .map(|i| at + i)
                        .ok_or_else(|| SyntaxError::Unclosed(source[..at].chars().count()))?;
                    push_text(&mut segments, text_start..at);
                    segments.push(placeholder(source, at + 1..close, lang)?);
                    at = close + 1;
                    text_start = at;
                }
                _ => at += 1,
            }
        }
        push_text(&mut segments, text_start..bytes.len());
        Ok(Template {
            source: source.into(),
            segments: segments.into(),
        })
    }

    /// Text that is not parsed: shown exactly as written.
    pub fn literal(source: &str) -> Template {
        Template {
            source: source.into(),
            segments: Box::new([Segment::Text(0..source.len())]),
        }
    }

    pub fn source(&self) -> &str {
        &self.source
    }

    /// The names of the parameters used, each once, in order of first use.
    pub fn params(&self) -> Vec<&str> {
        let mut names: Vec<&str> = Vec::new();
        for segment in self.segments.iter() {
            if let Segment::Param(name) | Segment::Plural(name, _) = segment {
                let name = &self.source[name.clone()];
                if !names.contains(&name) {
                    names.push(name);
                }
            }
        }
        names
    }

    /// The longest rendering, in characters, when each parameter's value is at most
    /// `max_len(name)` characters long.
    pub fn max_chars(&self, max_len: impl Fn(&str) -> usize) -> usize {
        let chars = |range: &Range<usize>| self.source[range.clone()].chars().count();
        self.segments
            .iter()
            .map(|segment| match segment {
                Segment::Text(range) => chars(range),
                Segment::Param(name) => max_len(&self.source[name.clone()]),
                Segment::Plural(_, forms) => forms.iter().map(chars).max().unwrap_or(0),
            })
            .sum()
    }

    /// Renders into `out` in `lang` (for plural rules).
    pub fn render_into(&self, lang: Lang, params: &[(&str, &str)], out: &mut String) {
        let value = |name: &Range<usize>| {
            let name = &self.source[name.clone()];
            params.iter().find(|(p, _)| *p == name).map(|(_, v)| *v)
        };
        for segment in self.segments.iter() {
            match segment {
                Segment::Text(range) => out.push_str(&self.source[range.clone()]),
                Segment::Param(name) => match value(name) {
                    Some(v) => out.push_str(v),
                    None => {
                        out.push('{');
                        out.push_str(&self.source[name.clone()]);
                        out.push('}');
                    }
                },
                Segment::Plural(name, forms) => {
                    let form = value(name).map_or(forms.len() - 1, |v| plural_form(lang, v));
                    let range = forms.get(form).or(forms.last()).cloned().unwrap_or(0..0);
                    out.push_str(&self.source[range]);
                }
            }
        }
    }

    /// A rough size for the rendered text, to allocate once.
    pub fn capacity_hint(&self, params: &[(&str, &str)]) -> usize {
        self.source.len() + params.iter().map(|(_, v)| v.len()).sum::<usize>()
    }
}

fn push_text(segments: &mut Vec<Segment>, range: Range<usize>) {
    if range.is_empty() {
        return;
    }
    // Merge with a preceding text piece when they touch (after a doubled brace they do not,
    // since the second brace is skipped).
    if let Some(Segment::Text(last)) = segments.last_mut()
        && last.end == range.start
    {
        last.end = range.end;
        return;
    }
    segments.push(Segment::Text(range));
}

/// The inside of `{…}`.
fn placeholder(source: &str, inner: Range<usize>, lang: Lang) -> Result<Segment, SyntaxError> {
    let text = &source[inner.clone()];
    let name_end = text.find('|').unwrap_or(text.len());
    let name = inner.start..inner.start + name_end;
    let valid = |n: &str| {
        !n.is_empty()
            && n.bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
    };
    if !valid(&source[name.clone()]) {
        return Err(SyntaxError::BadName(source[name].to_string()));
    }
    if name_end == text.len() {
        return Ok(Segment::Param(name));
    }
    let mut forms = Vec::new();
    let base = name.end + 1;
    let mut start = base;
    for (i, _) in source[base..inner.end].match_indices('|') {
        forms.push(start..base + i);
        start = base + i + 1;
    }
    forms.push(start..inner.end);
    let expected = plural_forms(lang);
    if forms.len() != expected {
        return Err(SyntaxError::PluralForms {
            name: source[name].to_string(),
            expected,
        });
    }
    Ok(Segment::Plural(name, forms.into()))
}

/// How many plural forms `lang` has.
pub fn plural_forms(lang: Lang) -> usize {
    match lang {
        Lang::En => 2,
        Lang::Ru => 3,
    }
}

/// Which form (index) the number in `value` takes in `lang`; the last form when it is not a
/// whole number.
pub fn plural_form(lang: Lang, value: &str) -> usize {
    let last = plural_forms(lang) - 1;
    let digits = value.trim();
    let digits = digits.strip_prefix('-').unwrap_or(digits);
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return last;
    }
    // Only the last two digits matter, so any length works.
    let tail = &digits[digits.len().saturating_sub(2)..];
    let n100: u32 = tail.parse().unwrap_or(0);
    let is_one = n100 == 1 && digits.trim_start_matches('0') == "1";
    match lang {
        Lang::En => usize::from(!is_one),
        Lang::Ru => {
            let n10 = n100 % 10;
            if n10 == 1 && n100 != 11 {
                0
            } else if (2..=4).contains(&n10) && !(12..=14).contains(&n100) {
                1
            } else {
                2
            }
        }
    }
}

/// Why `/text edit` input has bad escape codes.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum EscapeError {
    /// A `\` at the very end.
    #[error("a lone backslash at the end (write \\\\ for a backslash)")]
    Trailing,
    /// `\u` or `\U` not followed by the right number of hex digits, or not a character.
    #[error("{0:?} is not a valid character code")]
    BadCode(String),
}

/// Decodes the escape codes of `/text edit` input: `\n` (new line), `\t`, `\r`, `\\`, `\"`, `\'`,
/// `\uXXXX` and `\UXXXXXXXX`. Any other `\x` stays as written.
pub fn decode_escapes(input: &str) -> Result<String, EscapeError> {
    let mut out = String::with_capacity(input.len());
    let mut chars = input.char_indices();
    while let Some((_, c)) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        let Some((at, code)) = chars.next() else {
            return Err(EscapeError::Trailing);
        };
        match code {
            'n' => out.push('\n'),
            't' => out.push('\t'),
            'r' => out.push('\r'),
            '\\' | '"' | '\'' => out.push(code),
            'u' | 'U' => {
                let width = if code == 'u' { 4 } else { 8 };
                let hex = input.get(at + 1..at + 1 + width).unwrap_or("");
                let decoded = (hex.len() == width && hex.bytes().all(|b| b.is_ascii_hexdigit()))
                    .then(|| u32::from_str_radix(hex, 16).ok().and_then(char::from_u32))
                    .flatten();
                let Some(decoded) = decoded else {
                    let shown: String = input[at - 1..].chars().take(width + 2).collect();
                    return Err(EscapeError::BadCode(shown));
                };
                out.push(decoded);
                for _ in 0..width {
                    chars.next();
                }
            }
            other => {
                out.push('\\');
                out.push(other);
            }
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn render(source: &str, lang: Lang, params: &[(&str, &str)]) -> String {
        let mut out = String::new();
        Template::parse(source, lang)
            .unwrap()
            .render_into(lang, params, &mut out);
        out
    }

    #[test]
    fn substitution_and_braces() {
        let en = Lang::En;
        assert_eq!(
            render("Hi {name}, {name}!", en, &[("name", "Ann")]),
            "Hi Ann, Ann!"
        );
        assert_eq!(render("{missing} stays", en, &[]), "{missing} stays");
        assert_eq!(
            render("{a}{b}", en, &[("a", "{b}"), ("b", "2")]),
            "{b}2",
            "values are not substituted again"
        );
        assert_eq!(
            render("{{literal}} }", en, &[("literal", "x")]),
            "{literal} }"
        );
        assert_eq!(render("", en, &[]), "");
        assert_eq!(render("ünï {x}код", en, &[("x", "→")]), "ünï →код");
    }

    #[test]
    fn syntax_errors() {
        let check = |source, expected| {
            assert_eq!(
                Template::parse(source, Lang::Ru).unwrap_err(),
                expected,
                "{source}"
            );
        };
        check("ой {name", SyntaxError::Unclosed(3));
        check("{}", SyntaxError::BadName(String::new()));
        check("{Name}", SyntaxError::BadName("Name".into()));
        check("{a b}", SyntaxError::BadName("a b".into()));
        check(
            "{n|заявка|заявки}",
            SyntaxError::PluralForms {
                name: "n".into(),
                expected: 3,
            },
        );
        assert!(Template::parse("{n|level|levels}", Lang::En).is_ok());
        assert!(Template::parse("{n|a|b|c}", Lang::En).is_err());
    }

    #[test]
    fn russian_plurals() {
        let cases = [
            (0_u64, "заявок"),
            (1, "заявка"),
            (2, "заявки"),
            (4, "заявки"),
            (5, "заявок"),
            (11, "заявок"),
            (12, "заявок"),
            (14, "заявок"),
            (21, "заявка"),
            (22, "заявки"),
            (25, "заявок"),
            (101, "заявка"),
            (111, "заявок"),
            (1001, "заявка"),
            (1_000_000_000_002, "заявки"),
        ];
        for (n, word) in cases {
            let n = n.to_string();
            assert_eq!(
                render("{n} {n|заявка|заявки|заявок}", Lang::Ru, &[("n", &n)]),
                format!("{n} {word}")
            );
        }
        assert_eq!(plural_form(Lang::Ru, "-21"), 0);
        assert_eq!(plural_form(Lang::Ru, "1.5"), 2);
        assert_eq!(plural_form(Lang::Ru, "99999999999999999999999999991"), 0);
    }

    #[test]
    fn english_plurals() {
        for (n, word) in [
            ("0", "levels"),
            ("1", "level"),
            ("01", "level"),
            ("21", "levels"),
            ("x", "levels"),
        ] {
            assert_eq!(
                render("{n|level|levels}", Lang::En, &[("n", n)]),
                word,
                "{n}"
            );
        }
        assert_eq!(render("{n|level|levels}", Lang::En, &[]), "levels");
    }

    #[test]
    fn params_and_lengths() {
        let template = Template::parse("{a}: {n|x|yy|zzz} {a} {b}", Lang::Ru).unwrap();
        assert_eq!(template.params(), ["a", "n", "b"]);
        // 2 + 3 + 2 literal characters, `a` twice, the longest form, `b`.
        assert_eq!(
            template.max_chars(|name| if name == "a" { 10 } else { 1 }),
            4 + 20 + 3 + 1
        );
        assert_eq!(Template::literal("{x").max_chars(|_| 99), 2);
    }

    #[test]
    fn escape_codes() {
        let check = |input: &str, expected: Result<&str, EscapeError>| {
            let expected = expected.as_ref().map(|s| *s);
            assert_eq!(decode_escapes(input).as_deref(), expected, "{input}");
        };
        check(r"a\nb\tc", Ok("a\nb\tc"));
        check(r"\\n", Ok(r"\n"));
        check(r#"\"q\'"#, Ok("\"q'"));
        check(r"\u0416\U0001F600", Ok("Ж😀"));
        check(r"\q stays", Ok(r"\q stays"));
        check("кириллица", Ok("кириллица"));
        check(r"end\", Err(EscapeError::Trailing));
        check(r"\u12", Err(EscapeError::BadCode(r"\u12".into())));
        check(r"\uZZZZ", Err(EscapeError::BadCode(r"\uZZZZ".into())));
        check(r"\uD800", Err(EscapeError::BadCode(r"\uD800".into())));
        check(
            r"\U00110000",
            Err(EscapeError::BadCode(r"\U00110000".into())),
        );
    }
}
