//! How an event reads, in the `log` route's posts and in `/log view` (gd-requestbot §8.1, §8.3):
//! a block of `key: value` lines, YAML-like as the original's, headed by the event's kind and
//! number: who (`user`), when (`timestamp`, as a Discord timestamp every reader sees in their own
//! zone, and in UTC), then each custom field in recording order.
//!
//! Values show as their type reads best in Discord: ids as mentions (names, never pings: the
//! messages carry no pings), numbers and booleans bare, text in code — one line inline, several
//! lines (or text with backticks) in a code block of its own, which the splitter keeps whole
//! or closes and reopens across parts (`outbox::limits::split`).

use std::fmt::Write as _;

use super::{Actor, Event, EventId, Value};

/// Breaks a run of three backticks, which would end a code block early.
const BROKEN_FENCE: &str = "``\u{200B}`";

/// An event as a block: its title line and its `key: value` lines.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Block {
    /// `PARAMETER_EDITED #42`.
    pub title: String,
    /// The lines under it.
    pub body: String,
}

impl Block {
    /// Event `id` as a block, each text value cut to `max_text` characters (with "…").
    pub fn of(id: EventId, event: &Event, max_text: usize) -> Block {
        let mut body = String::with_capacity(128);
        let user = match event.actor {
            Actor::Bot => "bot".to_string(),
            Actor::User(user) => format!("<@{user}>"),
        };
        let _ = writeln!(body, "user: {user}");
        let _ = write!(body, "timestamp: <t:{}:f> · {}", event.at, iso(event.at));
        for (name, value) in &event.fields {
            let shown = value_text(value, max_text);
            // A code block starts on the next line.
            let space = if shown.starts_with('\n') { "" } else { " " };
            let _ = write!(body, "\n{name}:{space}{shown}");
        }
        Block {
            title: format!("{} #{}", event.kind.name(), id.0),
            body,
        }
    }

    /// The block as message content: the title in bold, then the lines.
    pub fn text(&self) -> String {
        match self.title.split_once(' ') {
            Some((kind, number)) => format!("**{kind}** {number}\n{}", self.body),
            None => format!("**{}**\n{}", self.title, self.body),
        }
    }
}

/// `at` in UTC, ISO 8601 (`2026-11-01T00:00:00Z`); the number itself if the calendar has no
/// such moment.
pub fn iso(at: i64) -> String {
    jiff::Timestamp::from_second(at).map_or_else(|_| at.to_string(), |t| t.to_string())
}

/// A value as a block shows it (see the module comment); text cut to `max_text` characters.
pub fn value_text(value: &Value, max_text: usize) -> String {
    match value {
        Value::Text(text) => text_value(text, max_text),
        other => other.to_string(),
    }
}

fn text_value(text: &str, max_text: usize) -> String {
    if text.is_empty() {
        return "\"\"".to_string();
    }
    let cut = if text.chars().count() > max_text {
        let mut cut: String = text.chars().take(max_text.saturating_sub(1)).collect();
        cut.push('…');
        cut
    } else {
        text.to_string()
    };
    if cut.contains(['\n', '\r', '`']) || cut.trim() != cut {
        format!("\n```\n{}\n```", cut.replace("```", BROKEN_FENCE))
    } else {
        format!("`{cut}`")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::audit::EventKind;

    #[test]
    fn a_block_names_kind_number_actor_time_and_each_field() {
        let event = Event::new(EventKind::ParameterEdited, Actor::User(42), 1_793_491_200)
            .with("parameter_id", "queue.block_at")
            .with("value", "45");
        let block = Block::of(EventId(7), &event, 100);
        assert_eq!(block.title, "PARAMETER_EDITED #7");
        assert_eq!(
            block.text(),
            "**PARAMETER_EDITED** #7\nuser: <@42>\n\
             timestamp: <t:1793491200:f> · 2026-11-01T00:00:00Z\n\
             parameter_id: `queue.block_at`\nvalue: `45`"
        );
        let by_bot = Event::new(EventKind::RouteToggled, Actor::Bot, 0)
            .with("route_id", "log")
            .with("enabled", false)
            .with("role_id", Value::Role(7))
            .with("channel_id", Value::Channel(8))
            .with("target_user_id", Value::User(9))
            .with("request_id", Value::Int(-3))
            .with("nothing", Value::Absent);
        assert_eq!(
            Block::of(EventId(1), &by_bot, 100).body,
            "user: bot\ntimestamp: <t:0:f> · 1970-01-01T00:00:00Z\nroute_id: `log`\n\
             enabled: false\nrole_id: <@&7>\nchannel_id: <#8>\ntarget_user_id: <@9>\n\
             request_id: -3\nnothing: -"
        );
    }

    #[test]
    fn long_strange_and_empty_text() {
        assert_eq!(text_value("", 10), "\"\"");
        assert_eq!(text_value("abcdef", 4), "`abc…`");
        assert_eq!(text_value("two\nlines", 100), "\n```\ntwo\nlines\n```");
        assert_eq!(text_value(" padded", 100), "\n```\n padded\n```");
        let fenced = text_value("a ``` b `c`", 100);
        assert_eq!(fenced.matches("```").count(), 2, "{fenced}");
        assert!(fenced.contains("``\u{200B}`"));
        assert_eq!(iso(i64::MAX), i64::MAX.to_string());
    }
}
