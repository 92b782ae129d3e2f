//! `/usercd` and `/levelcd` (gd-requestbot §1.5, §4): cooldowns and bans of members and levels,
//! on top of `requests::cooldown`.
//!
//! The permission gate has already passed (`ban_users` / `ban_levels`, or `log_viewer` for
//! `history`). Whether the member may touch cooldowns others set is decided here from
//! `remove_other_user_bans` / `remove_other_level_bans`. Every reply is private and in the
//! member's language; a bad duration or level id is explained and changes nothing. Changes are
//! mirrored to the `log` route like every administrative change. Lists and histories are shown a
//! page at a time (`bot::pages`).

use crate::access::Flag;
use crate::audit::Actor;
use crate::bot::paging::{self, Lines, List};
use crate::bot::reply::{Refusal, changed, reply, reply_text};
use crate::bot::{Ctx, HandlerError};
use crate::bot::{Invocation, Outcome, Value};
use crate::i18n::{self, Lang};
use crate::requests::cooldown::{self, By, CooldownError, Entity, EntityKind, Listing, Term};
use crate::time::DurationChange;

impl Refusal for CooldownError {
    fn refusal(self) -> Result<i18n::Message, HandlerError> {
        match self {
            CooldownError::Store(err) => Err(err.into()),
            other => Ok(other.message()),
        }
    }
}

/// Runs `/usercd <sub>` or `/levelcd <sub>` (`path` is the command and subcommand).
pub fn command(ctx: &Ctx, inv: &Invocation, path: &[String]) -> Result<Outcome, HandlerError> {
    let path: Vec<&str> = path.iter().map(String::as_str).collect();
    let (kind, sub) = match path.as_slice() {
        ["usercd", sub] => (EntityKind::User, *sub),
        ["levelcd", sub] => (EntityKind::Level, *sub),
        _ => return crate::bot::outdated(ctx, inv),
    };
    if sub == "list" {
        return list(ctx, inv, kind);
    }
    let now = ctx.clock.now();
    let lang = ctx.language(inv)?.lang;
    let entity = match kind {
        EntityKind::User => match inv.option("user") {
            Some(Value::Member { id, .. } | Value::User(id)) => Entity::User(*id),
            _ => return crate::bot::outdated(ctx, inv),
        },
        EntityKind::Level => {
            let input = inv.str_option("level_id").unwrap_or_default();
            match level_id(input) {
                Some(id) => Entity::Level(id),
                None => {
                    let shown: String = input.trim().chars().take(100).collect();
                    let message =
                        i18n::Message::new("cooldown.error.bad_level_id").with("level_id", shown);
                    return reply(ctx, inv, &message);
                }
            }
        }
    };
    let reason = inv
        .str_option("reason")
        .map(str::trim)
        .filter(|r| !r.is_empty());
    match sub {
        "describe" => describe(ctx, entity, lang, now),
        "history" => paging::first(ctx, inv, List::CooldownHistory(entity)),
        "update" => {
            let input = inv.str_option("duration").unwrap_or_default();
            let change = match DurationChange::parse(input) {
                Ok(change) => change,
                Err(err) => return reply(ctx, inv, &err.message()),
            };
            let by = by(ctx, inv, kind);
            let result = ctx
                .store
                .write(|w| cooldown::update(w, by, entity, change, reason, now));
            changed(ctx, inv, result)
        }
        "amend" => {
            let by = by(ctx, inv, kind);
            let result = ctx
                .store
                .write(|w| cooldown::amend(w, by, entity, reason, now));
            changed(ctx, inv, result)
        }
        _ => crate::bot::outdated(ctx, inv),
    }
}

/// A level id as typed: digits only, 1 to `i64::MAX`.
fn level_id(input: &str) -> Option<u64> {
    let text = input.trim();
    if text.is_empty() || text.len() > 19 || !text.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    text.parse::<u64>()
        .ok()
        .filter(|&id| id > 0 && i64::try_from(id).is_ok())
}

/// The member making a change, and whether they may change cooldowns others set.
fn by(ctx: &Ctx, inv: &Invocation, kind: EntityKind) -> By {
    let flag = match kind {
        EntityKind::User => Flag::RemoveOtherUserBans,
        EntityKind::Level => Flag::RemoveOtherLevelBans,
    };
    By {
        user: inv.user,
        overrides_others: ctx.permissions.allowed(&ctx.member(inv), flag),
    }
}

/// A member's mention, or a level id in code.
fn label(entity: Entity) -> String {
    match entity {
        Entity::User(id) => format!("<@{id}>"),
        Entity::Level(id) => format!("`{id}`"),
    }
}

fn caster(ctx: &Ctx, lang: Lang, actor: Actor) -> String {
    match actor {
        Actor::User(id) => format!("<@{id}>"),
        Actor::Bot => ctx.texts.render(lang, "cooldown.caster.bot", &[]),
    }
}

fn term(ctx: &Ctx, lang: Lang, term: Term) -> String {
    match term {
        Term::Free => ctx.texts.render(lang, "cooldown.term.free", &[]),
        Term::Until(at) => format!("<t:{at}:f>"),
        Term::Forever => ctx.texts.render(lang, "cooldown.term.forever", &[]),
    }
}

/// A reason as given, or "not set"; backticks are replaced so it cannot break code spans.
fn reason(ctx: &Ctx, lang: Lang, reason: Option<&str>) -> String {
    match reason {
        Some(reason) => reason.replace('`', "'"),
        None => ctx.texts.render(lang, "common.not_specified", &[]),
    }
}

fn describe(ctx: &Ctx, entity: Entity, lang: Lang, now: i64) -> Result<Outcome, HandlerError> {
    let target = label(entity);
    let Some(described) = ctx.store.read(|r| cooldown::describe(r, entity, now))? else {
        let text = ctx
            .texts
            .render(lang, "cooldown.not_on_cooldown", &[("target", &target)]);
        return Ok(reply_text(text));
    };
    let restriction = &described.restriction;
    let ends_at = match restriction.ends_at {
        Some(at) => format!("<t:{at}:F> (<t:{at}:R>)"),
        None => term(ctx, lang, Term::Forever),
    };
    let cast = restriction.created_at;
    let text = ctx.texts.render(
        lang,
        "cooldown.info",
        &[
            ("target", &target),
            ("ends_at", &ends_at),
            ("cast_at", &format!("<t:{cast}:F> (<t:{cast}:R>)")),
            ("caster", &caster(ctx, lang, restriction.caster)),
            ("reason", &reason(ctx, lang, restriction.reason.as_deref())),
            ("changes", &described.changes.to_string()),
        ],
    );
    Ok(reply_text(text))
}

fn list(ctx: &Ctx, inv: &Invocation, kind: EntityKind) -> Result<Outcome, HandlerError> {
    let listing = match inv.str_option("listing") {
        Some("temporary") => Listing::Temporary,
        Some("endless") => Listing::Endless,
        _ => return crate::bot::outdated(ctx, inv),
    };
    paging::first(ctx, inv, List::Cooldowns(kind, listing))
}

/// The lines of `/usercd list` or `/levelcd list`, most relevant first.
pub(crate) fn listed(
    ctx: &Ctx,
    lang: Lang,
    kind: EntityKind,
    listing: Listing,
) -> Result<Lines, HandlerError> {
    let now = ctx.clock.now();
    let found = ctx.store.read(|r| cooldown::list(r, kind, listing, now))?;
    if found.is_empty() {
        let text = ctx.texts.render(lang, "cooldown.list.empty", &[]);
        return Ok(Lines::Empty(text));
    }
    let title = match listing {
        Listing::Temporary => "cooldown.list.temporary",
        Listing::Endless => "cooldown.list.endless",
    };
    let title = ctx
        .texts
        .render(lang, title, &[("count", &found.len().to_string())]);
    let entries = found
        .iter()
        .map(|(entity, restriction)| {
            let mut line = format!("- {}", label(*entity));
            if let Some(at) = restriction.ends_at {
                line.push_str(&format!(" <t:{at}:R>"));
            }
            if let Some(text) = &restriction.reason {
                line.push_str(&format!(" (`{}`)", text.replace('`', "'")));
            }
            line
        })
        .collect();
    Ok(Lines::Entries { title, entries })
}

/// The lines of `/usercd history` or `/levelcd history`, oldest first.
pub(crate) fn history(ctx: &Ctx, lang: Lang, entity: Entity) -> Result<Lines, HandlerError> {
    let target = label(entity);
    let entries = ctx.store.read(|r| cooldown::history(r, entity))?;
    if entries.is_empty() {
        let text = ctx
            .texts
            .render(lang, "cooldown.history.empty", &[("target", &target)]);
        return Ok(Lines::Empty(text));
    }
    let count = entries.len().to_string();
    let title = ctx.texts.render(
        lang,
        "cooldown.history.title",
        &[("target", &target), ("count", &count)],
    );
    let entries = entries
        .iter()
        .map(|entry| {
            let at = entry.at;
            ctx.texts.render(
                lang,
                "cooldown.history.entry",
                &[
                    ("when", &format!("<t:{at}:f>")),
                    ("caster", &caster(ctx, lang, entry.actor)),
                    ("before", &term(ctx, lang, entry.before)),
                    ("after", &term(ctx, lang, entry.after)),
                    ("reason", &reason(ctx, lang, entry.reason.as_deref())),
                ],
            )
        })
        .collect();
    Ok(Lines::Entries { title, entries })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn level_ids_are_digits_within_range() {
        for (input, expected) in [
            ("128", Some(128)),
            (" 91000102 ", Some(91_000_102)),
            ("9223372036854775807", Some(i64::MAX as u64)),
            ("9223372036854775808", None),
            ("99999999999999999999", None),
            ("0", None),
            ("", None),
            ("-5", None),
            ("+5", None),
            ("12a", None),
            ("1 2", None),
            ("1e3", None),
            ("١٢٣", None),
            ("https://gdbrowser.com/128", None),
        ] {
            assert_eq!(level_id(input), expected, "{input:?}");
        }
    }
}
