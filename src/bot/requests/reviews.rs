//! `/reviews level level_id` and `/reviews user author` (gd-requestbot §1.11): every review of a
//! level's requests (practice reviews left out), and every review a member wrote (practice
//! reviews in, newest first), each as a link to its message, a page of 10 at a time with the
//! restart-proof page buttons (`bot::paging`). A message a person deleted, or one never posted,
//! is marked instead of linked; so is a request deleted since. Anyone may ask.

use super::level_option;
use crate::bot::paging::{self, Lines, Link, List};
use crate::bot::{Ctx, HandlerError, Invocation, Outcome, Value, outdated};
use crate::i18n::Lang;
use crate::requests::model::Verdict;
use crate::requests::reviews::{self, Kind, Written};

/// `/reviews level` and `/reviews user`.
pub async fn command(ctx: &Ctx, inv: &Invocation, sub: &str) -> Result<Outcome, HandlerError> {
    let list = match sub {
        "level" => match level_option(inv) {
            Some(level) => List::ReviewsLevel(level),
            None => return outdated(ctx, inv),
        },
        "user" => match inv.option("author") {
            Some(Value::Member { id, .. } | Value::User(id)) => List::ReviewsUser(*id),
            _ => return outdated(ctx, inv),
        },
        _ => return outdated(ctx, inv),
    };
    paging::first_checked(ctx, inv, list).await
}

/// A level's name as a link's text: no brackets, no Markdown, at most 40 characters.
fn plain(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    for c in name.chars().take(40) {
        match c {
            '[' | ']' => {}
            '*' | '_' | '`' | '~' | '|' | '\\' => {
                out.push('\\');
                out.push(c);
            }
            c => out.push(c),
        }
    }
    if out.trim().is_empty() {
        "-".to_string()
    } else {
        out
    }
}

/// The words of an entry: when, what kind, which verdict.
fn words(ctx: &Ctx, lang: Lang, written: &Written) -> (String, String, String) {
    let kind = match written.kind {
        Kind::Opinion => "reviews.kind.opinion",
        Kind::Resolution => "reviews.kind.resolution",
        Kind::Practice => "reviews.kind.practice",
    };
    let verdict = match written.verdict {
        Verdict::Approve => "✅",
        Verdict::Reject => "❌",
    };
    (
        format!("<t:{}:d>", written.at),
        ctx.texts.render(lang, kind, &[]),
        verdict.to_string(),
    )
}

/// The lines of `/reviews level`, oldest first.
pub fn of_level(ctx: &Ctx, lang: Lang, level: u64) -> Result<Lines, HandlerError> {
    let all = ctx.store.read(|r| reviews::of_level(r, level))?;
    let level_id = level.to_string();
    let Some(latest) = all.last() else {
        let text = ctx
            .texts
            .render(lang, "reviews.level.empty", &[("level_id", &level_id)]);
        return Ok(Lines::Empty(text));
    };
    let title = ctx.texts.render(
        lang,
        "reviews.level.title",
        &[
            ("level_name", &plain(&latest.level_name)),
            ("level_id", &level_id),
            ("count", &all.len().to_string()),
        ],
    );
    let entries = all
        .iter()
        .map(|written| {
            let (when, kind, verdict) = words(ctx, lang, written);
            let reviewer = format!("<@{}>", written.author);
            let link = written
                .posted
                .map(|place| place.link(ctx.guild))
                .unwrap_or_default();
            let params = [
                ("when", when.as_str()),
                ("reviewer", reviewer.as_str()),
                ("kind", kind.as_str()),
                ("verdict", verdict.as_str()),
                ("link", link.as_str()),
            ];
            Link {
                place: written.posted,
                present: ctx.texts.render(lang, "reviews.level.entry", &params),
                gone: ctx.texts.render(lang, "reviews.level.entry_gone", &params),
            }
        })
        .collect();
    Ok(Lines::Links { title, entries })
}

/// The lines of `/reviews user`, newest first.
pub fn by(ctx: &Ctx, lang: Lang, user: u64) -> Result<Lines, HandlerError> {
    let all = ctx.store.read(|r| reviews::by_author(r, user))?;
    let member = format!("<@{user}>");
    if all.is_empty() {
        let text = ctx
            .texts
            .render(lang, "reviews.user.empty", &[("member", &member)]);
        return Ok(Lines::Empty(text));
    }
    let title = ctx.texts.render(
        lang,
        "reviews.user.title",
        &[("member", &member), ("count", &all.len().to_string())],
    );
    let deleted = ctx.texts.render(lang, "reviews.user.request_deleted", &[]);
    let entries = all
        .iter()
        .map(|written| {
            let (when, kind, verdict) = words(ctx, lang, written);
            let name = plain(&written.level_name);
            let link = written
                .posted
                .map(|place| place.link(ctx.guild))
                .unwrap_or_default();
            let request = if written.request_deleted {
                deleted.as_str()
            } else {
                ""
            };
            let params = [
                ("when", when.as_str()),
                ("level_name", name.as_str()),
                ("kind", kind.as_str()),
                ("verdict", verdict.as_str()),
                ("link", link.as_str()),
                ("request", request),
            ];
            Link {
                place: written.posted,
                present: ctx.texts.render(lang, "reviews.user.entry", &params),
                gone: ctx.texts.render(lang, "reviews.user.entry_gone", &params),
            }
        })
        .collect();
    Ok(Lines::Links { title, entries })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn level_names_cannot_break_a_link() {
        assert_eq!(plain("[Click](evil)"), "Click(evil)");
        assert_eq!(plain("a*b_c"), "a\\*b\\_c");
        assert_eq!(plain("[]"), "-");
        assert_eq!(plain(&"x".repeat(90)).chars().count(), 40);
    }
}
