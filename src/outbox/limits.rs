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
/// Characters in a thread's name (at least one).
pub const THREAD_NAME: usize = 100;
/// The minutes of inactivity after which Discord may archive a thread: the only values it accepts.
pub const AUTO_ARCHIVE_MINUTES: [u16; 4] = [60, 1440, 4320, 10080];

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
/// part (the whitespace is dropped), or hard at `max` when a part has none. A part that would
/// end inside a fenced code block closes it, and the next part reopens it with the same
/// language tag, so that every part renders its code as code (gd-requestbot §14 "Long reviews").
pub fn split(text: &str, max: usize) -> Vec<String> {
    let mut parts = Vec::new();
    let mut rest = text;
    let mut reopen = String::new();
    loop {
        let room = max.saturating_sub(len(&reopen));
        if len(rest) <= room {
            if !rest.is_empty() || parts.is_empty() {
                parts.push(format!("{reopen}{rest}"));
            }
            return parts;
        }
        let (mut head, mut tail) = cut(rest, room);
        if open_fence(&format!("{reopen}{head}")).is_some() {
            // Cut again, leaving room for the closing fence.
            (head, tail) = cut(rest, room.saturating_sub(len(CLOSE_FENCE)));
        }
        let mut part = format!("{reopen}{head}");
        reopen = open_fence(&part).map_or_else(String::new, |fence| format!("{fence}\n"));
        if !reopen.is_empty() {
            part.push_str(CLOSE_FENCE);
        }
        parts.push(part);
        rest = tail;
    }
}

/// Marks the start and the end of a code block.
const FENCE: &str = "```";
/// What closes a code block a part would end in.
const CLOSE_FENCE: &str = "\n```";

/// `text` cut after at most `max` characters, at its last whitespace (dropped) when there is one.
fn cut(text: &str, max: usize) -> (&str, &str) {
    let hard = text.char_indices().nth(max).map_or(text.len(), |(i, _)| i);
    let head = &text[..hard];
    match head.rfind(char::is_whitespace).filter(|&at| at > 0) {
        Some(at) => {
            let space = head[at..].chars().next().map_or(1, char::len_utf8);
            (&head[..at], &text[at + space..])
        }
        None => (head, &text[hard..]),
    }
}

/// The fence (with its language tag, if any) of a code block that `text` leaves open.
fn open_fence(text: &str) -> Option<&str> {
    let mut open = None;
    let mut rest = text;
    while let Some(at) = rest.find(FENCE) {
        let after = &rest[at + FENCE.len()..];
        open = match open {
            Some(_) => None,
            None => {
                let line = after.split('\n').next().unwrap_or_default();
                let tag = if line.contains(|c: char| c.is_whitespace() || c == '`') {
                    ""
                } else {
                    line
                };
                Some(&rest[at..at + FENCE.len() + tag.len()])
            }
        };
        rest = after;
    }
    open
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
    fn a_code_block_cut_in_two_is_closed_and_reopened() {
        let code: String = (0..40).map(|i| format!("line{i:02}\n")).collect();
        let text = format!("Review:\n```rust\n{code}```\nThanks.");
        let parts = split(&text, 100);
        assert!(parts.len() > 2, "{parts:?}");
        for (i, part) in parts.iter().enumerate() {
            assert!(len(part) <= 100, "{part:?}");
            assert_eq!(
                part.matches(FENCE).count() % 2,
                0,
                "part {i} is balanced: {part:?}"
            );
            if i > 0 {
                assert!(part.starts_with("```rust\n"), "{part:?}");
            }
        }
        assert!(parts[0].starts_with("Review:\n```rust\nline00"));
        assert!(parts.last().unwrap().ends_with("```\nThanks."));
        // Only the fences were added: every line is there once, in order.
        let lines: Vec<&str> = parts
            .iter()
            .flat_map(|p| p.lines())
            .filter(|l| l.starts_with("line"))
            .collect();
        assert_eq!(lines, code.lines().collect::<Vec<_>>());
    }

    #[test]
    fn fences_without_a_tag_and_closed_blocks() {
        let text = format!("```\n{}\n```", "word ".repeat(30).trim_end());
        let parts = split(&text, 60);
        assert!(
            parts
                .iter()
                .all(|p| p.starts_with("```\n") && p.ends_with("\n```"))
        );
        assert!(parts.iter().all(|p| len(p) <= 60));
        // A block closed before the cut changes nothing.
        assert_eq!(split("```a``` after text", 10), ["```a```", "after text"]);
        assert_eq!(open_fence("x ```py\ncode"), Some("```py"));
        assert_eq!(open_fence("```two words\ncode"), Some("```"));
        assert_eq!(open_fence("```a``` ```"), Some("```"));
        assert_eq!(open_fence("plain"), None);
    }

    #[test]
    fn truncation() {
        assert_eq!(truncate("abcdef", 4), "abc…");
        assert_eq!(truncate("abc", 4), "abc");
        assert_eq!(len(&truncate(&"ж".repeat(300), EMBED_TITLE)), EMBED_TITLE);
    }
}
