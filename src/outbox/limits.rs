//! Discord's limits, all in one place, and the content splitter.
//!
//! Builders in [`super::message`] use these to split or refuse before anything is sent; nothing
//! else in Stagehand should know a Discord limit.

/// Characters in a message's content.
pub const CONTENT: usize = 2000;
/// Parts a long content may be split into before it is refused.
pub const CONTENT_PARTS: usize = 10;
pub const EMBEDS: usize = 10;
pub const EMBED_TITLE: usize = 256;
pub const EMBED_DESCRIPTION: usize = 4096;
pub const EMBED_FIELDS: usize = 25;
pub const FIELD_NAME: usize = 256;
pub const FIELD_VALUE: usize = 1024;
pub const FOOTER: usize = 2048;
/// Characters across all embeds of one message.
pub const EMBED_TOTAL: usize = 6000;
pub const ACTION_ROWS: usize = 5;
pub const BUTTONS_PER_ROW: usize = 5;
pub const BUTTON_LABEL: usize = 80;
pub const MODAL_TITLE: usize = 45;
pub const MODAL_INPUTS: usize = 5;
pub const INPUT_LABEL: usize = 45;
pub const INPUT_VALUE: usize = 4000;
pub const AUTOCOMPLETE_CHOICES: usize = 25;
pub const CHOICE_NAME: usize = 100;
pub const FILES: usize = 10;
pub const FILE_BYTES: usize = 10 * 1024 * 1024;

/// Characters as Discord counts them (Unicode scalar values).
pub fn len(text: &str) -> usize {
    text.chars().count()
}

/// `text` cut to at most `max` characters, ending in "…" when cut.
pub fn truncate(text: &str, max: usize) -> String {
    if len(text) <= max {
        return text.to_string();
    }
    let mut out: String = text.chars().take(max.saturating_sub(1)).collect();
    out.push('…');
    out
}

/// Splits `text` into parts of at most `max` characters, cutting at the last whitespace of each
/// part (the whitespace is dropped), or hard at `max` when a part has none.
pub fn split(text: &str, max: usize) -> Vec<String> {
    let mut parts = Vec::new();
    let mut rest = text;
    while len(rest) > max {
        let hard = rest.char_indices().nth(max).map_or(rest.len(), |(i, _)| i);
        let head = &rest[..hard];
        match head.rfind(char::is_whitespace).filter(|&cut| cut > 0) {
            Some(cut) => {
                parts.push(head[..cut].to_string());
                let space = head[cut..].chars().next().map_or(1, char::len_utf8);
                rest = &rest[cut + space..];
            }
            None => {
                parts.push(head.to_string());
                rest = &rest[hard..];
            }
        }
    }
    if !rest.is_empty() || parts.is_empty() {
        parts.push(rest.to_string());
    }
    parts
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_text_is_one_part() {
        assert_eq!(split("hello", 10), ["hello"]);
        assert_eq!(split("", 10), [""]);
    }

    #[test]
    fn splits_on_word_boundaries() {
        let text = "alpha beta gamma delta";
        assert_eq!(split(text, 11), ["alpha beta", "gamma delta"]);
        let words: String = (0..700).map(|i| format!("word{i} ")).collect();
        let parts = split(words.trim_end(), CONTENT);
        assert!(parts.iter().all(|p| len(p) <= CONTENT));
        assert!(
            parts
                .iter()
                .all(|p| !p.starts_with(' ') && !p.ends_with(' '))
        );
        assert!(
            parts.windows(2).all(|w| w[0].ends_with(char::is_numeric)),
            "no word cut in half"
        );
        assert_eq!(parts.join(" "), words.trim_end());
    }

    #[test]
    fn hard_cuts_counted_in_characters() {
        let cyrillic = "я".repeat(25);
        let parts = split(&cyrillic, 10);
        assert_eq!(
            parts.iter().map(|p| len(p)).collect::<Vec<_>>(),
            [10, 10, 5]
        );
        assert_eq!(parts.concat(), cyrillic);
    }

    #[test]
    fn newlines_count_as_boundaries() {
        assert_eq!(split("line one\nline two", 12), ["line one", "line two"]);
    }

    #[test]
    fn truncation() {
        assert_eq!(truncate("abcdef", 4), "abc…");
        assert_eq!(truncate("abc", 4), "abc");
        assert_eq!(len(&truncate(&"ж".repeat(300), EMBED_TITLE)), EMBED_TITLE);
    }
}
