//! `/log` (gd-requestbot §1.6, §8.3): each log viewer's filter (by member, by event type, by
//! custom fields with exact typed values), filters saved for every viewer, and `/log view`, the
//! filter's events four at a time, oldest first, from a moment on — on top of `audit::browse`
//! (pages from the indexes) and `audit::filters` (the filters in the store).
//!
//! Controls, each answered from the store after any restart:
//! - `v1:log:page:<event>:after|before`: the page after (or before) that event, for the
//!   clicker's filter as it is now, after the same `log_viewer` check as `/log view`;
//! - `v1:log:confirm:<prompt>:yes|no`: the answer to "replace that saved filter?" or "delete
//!   it?" (`admin`, and only the member who asked, within `audit::filters::PROMPT_SECS`).

mod commands;

pub use commands::COMMANDS;

use crate::access::Flag;
use crate::audit::filters::{self, Answer, FilterError, PromptError, Saved};
use crate::audit::{self, Actor, Block, EventId, EventKind, FieldType, Filter, Page, Start};
use crate::bot::commands::Access;
use crate::bot::paging::Lines;
use crate::bot::{Ctx, HandlerError, Invocation, Kind, Outcome, Response, Value, outdated};
use crate::i18n::Lang;
use crate::outbox::{Button, ButtonStyle, ButtonTarget, Choice, CustomId, Embed, Message};
use crate::store::StoreError;

/// The module of `/log`'s controls in their `custom_id`s.
pub const CONTROLS: &str = "log";

/// Events on a page (§1.15).
pub const PAGE: usize = 4;

/// The longest text value an event on a page shows (characters): four events fit one message.
const VIEW_TEXT: usize = 200;

/// The most an event on a page takes (characters): four of them stay under Discord's 6,000
/// characters of embeds in one message.
const VIEW_EVENT: usize = 1_400;

/// The colour of a page's events.
const COLOUR: u32 = 0x4E9FFF;

/// Who may use a `/log` control; `None` for actions it does not have.
pub fn control_access(id: &CustomId) -> Option<Access> {
    match id.action.as_str() {
        "page" => Some(Access::Flag(Flag::LogViewer)),
        "confirm" => Some(Access::Flag(Flag::Admin)),
        _ => None,
    }
}

/// Runs `/log <sub>` (the gate has passed).
pub fn command(ctx: &Ctx, inv: &Invocation, sub: &str) -> Result<Outcome, HandlerError> {
    match sub {
        "restrict_user" => restrict_user(ctx, inv),
        "restrict_type" => restrict_type(ctx, inv),
        "restrict_custom_field" => restrict_field(ctx, inv),
        "unrestrict_user" => edit(ctx, inv, |f| f.actor.take().is_some()),
        "unrestrict_type" => edit(ctx, inv, |f| f.kind.take().is_some()),
        "unrestrict_custom_field" => {
            let key = inv.str_option("key").unwrap_or_default().trim().to_string();
            edit(ctx, inv, |f| f.unrestrict_field(&key))
        }
        "clear_custom_field_restrictions" => edit(ctx, inv, |f| {
            let had = !f.fields.is_empty();
            f.fields.clear();
            had
        }),
        "clear_filter" => {
            let cleared = ctx.store.write(|w| filters::clear(w, inv.user))?;
            changed(ctx, inv, cleared)
        }
        "describe_filter" => describe(ctx, inv),
        "view" => view(ctx, inv),
        "list_filters" => crate::bot::paging::first(ctx, inv, crate::bot::paging::List::LogFilters),
        "select_filter" => {
            let name = inv.str_option("name").unwrap_or_default();
            match ctx.store.write(|w| filters::select(w, inv.user, name)) {
                Ok(done) => changed(ctx, inv, done),
                Err(err) => refuse(ctx, inv, err),
            }
        }
        "save_filter" => save(ctx, inv),
        "delete_filter" => ask_delete(ctx, inv),
        _ => outdated(ctx, inv),
    }
}

/// `common.success` or `warning.no_effect`.
fn changed(ctx: &Ctx, inv: &Invocation, done: bool) -> Result<Outcome, HandlerError> {
    let key = if done {
        "common.success"
    } else {
        "warning.no_effect"
    };
    ctx.private(inv, key, &[])
}

/// Changes the invoker's filter with `change` (which says whether it changed anything).
fn edit(
    ctx: &Ctx,
    inv: &Invocation,
    change: impl FnOnce(&mut Filter) -> bool,
) -> Result<Outcome, HandlerError> {
    let done = ctx.store.write(|w| filters::edit(w, inv.user, change))?;
    changed(ctx, inv, done)
}

/// Text a member typed, safe inside backticks.
fn typed(text: &str) -> String {
    text.replace('`', "'")
}

fn restrict_user(ctx: &Ctx, inv: &Invocation) -> Result<Outcome, HandlerError> {
    let user = match inv.option("user") {
        Some(Value::Member { id, .. } | Value::User(id)) => *id,
        _ => return outdated(ctx, inv),
    };
    // Stagehand itself stands for what it did on its own.
    let own = ctx.settings.discord_application_id.map(|id| id.0);
    let actor = if Some(user) == own {
        Actor::Bot
    } else {
        Actor::User(user)
    };
    edit(ctx, inv, |f| f.actor.replace(actor) != Some(actor))
}

fn restrict_type(ctx: &Ctx, inv: &Invocation) -> Result<Outcome, HandlerError> {
    let typed_name = inv.str_option("event_type").unwrap_or_default();
    let Some(kind) = EventKind::parse(typed_name) else {
        let name = typed(typed_name.trim());
        return ctx.private(inv, "log.filter.unknown_type", &[("name", &name)]);
    };
    edit(ctx, inv, |f| f.kind.replace(kind) != Some(kind))
}

fn restrict_field(ctx: &Ctx, inv: &Invocation) -> Result<Outcome, HandlerError> {
    let key = inv.str_option("key").unwrap_or_default().trim();
    let raw = inv.str_option("value").unwrap_or_default();
    let Some(ty) = FieldType::of_field(key) else {
        return ctx.private(inv, "log.filter.unknown_field", &[("key", &typed(key))]);
    };
    let Some(value) = ty.parse(raw) else {
        let lang = ctx.language(inv)?.lang;
        let kind = ctx
            .texts
            .render(lang, &format!("log.field_type.{}", ty.name()), &[]);
        return ctx.private(
            inv,
            "log.filter.bad_value",
            &[("value", &typed(raw)), ("type", &kind), ("key", key)],
        );
    };
    edit(ctx, inv, |f| f.restrict_field(key, value))
}

/// The lines describing `filter` (§8.3 `describe_filter`): `user`, `event`, then the fields.
fn filter_lines(filter: &Filter) -> Vec<String> {
    let mut lines = Vec::new();
    match filter.actor {
        Some(Actor::Bot) => lines.push("user: bot".to_string()),
        Some(Actor::User(id)) => lines.push(format!("user: <@{id}>")),
        None => {}
    }
    if let Some(kind) = filter.kind {
        lines.push(format!("event: `{}`", kind.name()));
    }
    for (name, value) in &filter.fields {
        lines.push(format!("{name}: {}", audit::value_text(value, 100)));
    }
    lines
}

fn describe(ctx: &Ctx, inv: &Invocation) -> Result<Outcome, HandlerError> {
    let choice = ctx.language(inv)?;
    let named = inv
        .str_option("name")
        .map(str::trim)
        .filter(|n| !n.is_empty());
    let (title, filter) = match named {
        Some(name) => match ctx.store.read(|r| filters::saved_filter(r, name))? {
            Some(filter) => {
                let title = ctx.texts.render(
                    choice.lang,
                    "log.filter.describe_named",
                    &[("name", &typed(name))],
                );
                (title, filter)
            }
            None => return ctx.private(inv, "log.filter.doesnt_exist", &[("name", &typed(name))]),
        },
        None => {
            let title = ctx
                .texts
                .render(choice.lang, "log.filter.describe_active", &[]);
            (title, ctx.store.read(|r| filters::active(r, inv.user))?)
        }
    };
    if filter.is_empty() {
        return ctx.private(inv, "log.filter.empty", &[]);
    }
    let mut lines = vec![title];
    lines.extend(filter_lines(&filter));
    Ok(Outcome::reply(Message::text(lines.join("\n")).ephemeral()))
}

/// The lines of `/log list_filters`: each saved filter's name and what it shows.
pub fn listed(ctx: &Ctx, lang: Lang) -> Result<Lines, HandlerError> {
    let saved = ctx.store.read(filters::saved)?;
    if saved.is_empty() {
        return Ok(Lines::Empty(ctx.texts.render(
            lang,
            "log.filter.no_filters",
            &[],
        )));
    }
    let count = saved.len().to_string();
    let title = ctx
        .texts
        .render(lang, "log.filter.list_title", &[("count", &count)]);
    let entries = saved
        .iter()
        .map(|(name, filter)| {
            let shows = crate::outbox::limits::truncate(&filter.summary(), 150);
            format!("- `{}`: {shows}", typed(name))
        })
        .collect();
    Ok(Lines::Entries { title, entries })
}

fn refuse(ctx: &Ctx, inv: &Invocation, err: FilterError) -> Result<Outcome, HandlerError> {
    let max = filters::NAME_MAX.to_string();
    let (key, params): (&str, Vec<(&str, String)>) = match err {
        FilterError::Unknown(name) => ("log.filter.doesnt_exist", vec![("name", typed(&name))]),
        FilterError::Reserved(_) => ("log.filter.reserved", vec![]),
        FilterError::NameEmpty => ("log.filter.name_empty", vec![]),
        FilterError::NameTooLong => ("log.filter.name_too_long", vec![("max", max)]),
        FilterError::EmptyFilter => ("log.filter.empty_wont_be_saved", vec![]),
        FilterError::Store(err) => return Err(err.into()),
    };
    let params: Vec<(&str, &str)> = params.iter().map(|(k, v)| (*k, v.as_str())).collect();
    ctx.private(inv, key, &params)
}

fn save(ctx: &Ctx, inv: &Invocation) -> Result<Outcome, HandlerError> {
    let name = inv.str_option("name").unwrap_or_default();
    let now = ctx.clock.now();
    match ctx.store.write(|w| filters::save(w, inv.user, name, now)) {
        Ok(Saved::Saved(_)) => {
            ctx.outbox.wake();
            let name = typed(name.trim());
            ctx.private(inv, "log.filter.saved", &[("name", &name)])
        }
        Ok(Saved::Confirm(prompt)) => confirmation(ctx, inv, prompt, "log.confirm.override", name),
        Err(err) => refuse(ctx, inv, err),
    }
}

fn ask_delete(ctx: &Ctx, inv: &Invocation) -> Result<Outcome, HandlerError> {
    let name = inv.str_option("name").unwrap_or_default();
    let now = ctx.clock.now();
    match ctx
        .store
        .write(|w| filters::ask_delete(w, inv.user, name, now))
    {
        Ok(prompt) => confirmation(ctx, inv, prompt, "log.confirm.delete", name),
        Err(err) => refuse(ctx, inv, err),
    }
}

/// The question of prompt `id`, with its Yes and No buttons.
fn confirmation(
    ctx: &Ctx,
    inv: &Invocation,
    id: u64,
    key: &str,
    name: &str,
) -> Result<Outcome, HandlerError> {
    let choice = ctx.language(inv)?;
    let text = ctx.text(choice, key, &[("name", &typed(name.trim()))]);
    let button = |label: &str, style, arg| Button {
        label: ctx.texts.render(choice.lang, label, &[]),
        style,
        target: ButtonTarget::Control(CustomId::new(CONTROLS, "confirm", id, Some(arg))),
        disabled: false,
    };
    let row = vec![
        button("log.confirm.yes", ButtonStyle::Danger, "yes"),
        button("log.confirm.no", ButtonStyle::Secondary, "no"),
    ];
    Ok(Outcome::reply(
        Message::text(text).with_row(row).ephemeral(),
    ))
}

/// A click on a `/log` control (the gate has passed).
pub fn control(ctx: &Ctx, inv: &Invocation, id: &CustomId) -> Result<Outcome, HandlerError> {
    if !matches!(inv.kind, Kind::Component { .. }) {
        return outdated(ctx, inv);
    }
    match (id.action.as_str(), id.arg.as_deref()) {
        ("page", Some("after")) => turn(ctx, inv, Start::After(EventId(id.id))),
        ("page", Some("before")) => turn(ctx, inv, Start::Before(EventId(id.id))),
        ("confirm", Some("yes")) => answer(ctx, inv, id.id, true),
        ("confirm", Some("no")) => answer(ctx, inv, id.id, false),
        _ => outdated(ctx, inv),
    }
}

fn answer(ctx: &Ctx, inv: &Invocation, prompt: u64, yes: bool) -> Result<Outcome, HandlerError> {
    let choice = ctx.language(inv)?;
    let now = ctx.clock.now();
    let answered = ctx
        .store
        .write(|w| Ok::<_, StoreError>(filters::answer(w, prompt, inv.user, yes, now)))?;
    let update = |key: &str, name: Option<&str>| {
        let name = name.map(typed).unwrap_or_default();
        Outcome {
            response: Response::Update(Message::text(ctx.text(choice, key, &[("name", &name)]))),
            effects: Vec::new(),
        }
    };
    Ok(match answered {
        Ok(Answer::Saved(name)) => {
            ctx.outbox.wake();
            update("log.filter.saved", Some(&name))
        }
        Ok(Answer::Deleted(name)) => {
            ctx.outbox.wake();
            update("log.filter.deleted", Some(&name))
        }
        Ok(Answer::Unchanged(_)) => update("warning.no_effect", None),
        Ok(Answer::Cancelled) => update("log.filter.cancelled", None),
        Err(PromptError::Expired) => update("log.confirm.expired", None),
        Err(PromptError::Gone) => update("log.confirm.gone", None),
        // Someone else's question stays as it is; they are told privately.
        Err(PromptError::NotYours) => return ctx.private(inv, "log.confirm.not_yours", &[]),
        Err(PromptError::Store(err)) => return Err(err.into()),
    })
}

/// `/log view [timestamp]`: the first page of the invoker's filter, or the page from a moment
/// on.
fn view(ctx: &Ctx, inv: &Invocation) -> Result<Outcome, HandlerError> {
    let start = match inv.str_option("timestamp") {
        Some(typed_moment) => match crate::time::parse_timestamp(typed_moment, ctx.clock.now()) {
            Ok(at) => Start::At(at),
            Err(err) => {
                let mut message = err.message();
                for param in &mut message.params {
                    param.1 = typed(&param.1);
                }
                return crate::bot::reply(ctx, inv, &message);
            }
        },
        None => Start::Oldest,
    };
    let lang = ctx.language(inv)?.lang;
    Ok(Outcome::reply(shown(ctx, inv, lang, start)?.ephemeral()))
}

/// A ⏴ or ⏵ click: the page it leads to, in place of the one clicked.
fn turn(ctx: &Ctx, inv: &Invocation, start: Start) -> Result<Outcome, HandlerError> {
    let lang = ctx.language(inv)?.lang;
    Ok(Outcome {
        response: Response::Update(shown(ctx, inv, lang, start)?),
        effects: Vec::new(),
    })
}

/// The page of the invoker's filter at `start`, as a message.
fn shown(ctx: &Ctx, inv: &Invocation, lang: Lang, start: Start) -> Result<Message, HandlerError> {
    let (filter, page) = ctx.store.read(|r| {
        let filter = filters::active(r, inv.user)?;
        let page = audit::page(r, &filter, start, PAGE)?;
        Ok::<_, StoreError>((filter, page))
    })?;
    Ok(page_message(ctx, lang, &filter, &page))
}

/// A page: a header naming the filter, a note at either end, an embed per event, and the ⏴ ⏵
/// buttons.
fn page_message(ctx: &Ctx, lang: Lang, filter: &Filter, page: &Page) -> Message {
    let (Some((first, _)), Some((last, _))) = (page.events.first(), page.events.last()) else {
        return Message::text(ctx.texts.render(lang, "log.view.empty", &[]));
    };
    let shows = if filter.is_empty() {
        ctx.texts.render(lang, "log.view.everything", &[])
    } else {
        crate::outbox::limits::truncate(&filter.summary(), 400)
    };
    let mut lines = vec![
        ctx.texts
            .render(lang, "log.view.header", &[("filter", &shows)]),
    ];
    if !page.more_before {
        lines.push(ctx.texts.render(lang, "log.view.top", &[]));
    }
    if !page.more_after {
        lines.push(ctx.texts.render(lang, "log.view.bottom", &[]));
    }
    let mut message = Message::text(lines.join("\n"));
    message.embeds = page
        .events
        .iter()
        .map(|(id, event)| {
            let block = Block::of(*id, event, VIEW_TEXT);
            Embed {
                title: block.title,
                description: crate::outbox::limits::truncate(&block.body, VIEW_EVENT),
                color: COLOUR,
                ..Embed::default()
            }
        })
        .collect();
    let button = |label: &str, to: u64, arg: &str, disabled: bool| Button {
        label: label.into(),
        style: ButtonStyle::Secondary,
        target: ButtonTarget::Control(CustomId::new(CONTROLS, "page", to, Some(arg))),
        disabled,
    };
    message.with_row(vec![
        button("⏴", first.0, "before", !page.more_before),
        button("⏵", last.0, "after", !page.more_after),
    ])
}

/// Suggestions for `/log`'s options: event types, field names (the type's first, when the
/// filter has one; for `unrestrict_custom_field`, those of the filter), saved filters' names.
pub fn complete(ctx: &Ctx, inv: &Invocation, focused: &str) -> Result<Vec<Choice>, StoreError> {
    let typed_now = inv
        .str_option(focused)
        .unwrap_or_default()
        .trim()
        .to_lowercase();
    let sub = match &inv.kind {
        Kind::Autocomplete { path, .. } => path.get(1).map(String::as_str).unwrap_or_default(),
        _ => "",
    };
    let names: Vec<String> = match focused {
        "event_type" => EventKind::ALL
            .iter()
            .map(|k| k.name().to_string())
            .collect(),
        "key" => {
            let filter = ctx.store.read(|r| filters::active(r, inv.user))?;
            if sub == "unrestrict_custom_field" {
                filter.fields.iter().map(|(name, _)| name.clone()).collect()
            } else {
                let mut names: Vec<&str> = filter
                    .kind
                    .map(|kind| kind.fields().iter().map(|(name, _)| *name).collect())
                    .unwrap_or_default();
                for name in FieldType::field_names() {
                    if !names.contains(&name) {
                        names.push(name);
                    }
                }
                names.into_iter().map(str::to_string).collect()
            }
        }
        "name" => ctx
            .store
            .read(filters::saved)?
            .into_iter()
            .map(|(name, _)| name)
            .collect(),
        _ => Vec::new(),
    };
    let mut found: Vec<String> = names
        .into_iter()
        .filter(|n| n.to_lowercase().contains(&typed_now))
        .collect();
    // Stable: what starts with the typed text first, in the order above.
    found.sort_by_key(|n| !n.to_lowercase().starts_with(&typed_now));
    Ok(found
        .into_iter()
        .take(crate::outbox::limits::AUTOCOMPLETE_CHOICES)
        .map(|n| Choice {
            name: crate::outbox::limits::truncate(&n, crate::outbox::limits::CHOICE_NAME),
            value: n,
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn controls_name_who_may_use_them() {
        let access = |action: &str| control_access(&CustomId::new(CONTROLS, action, 1, Some("x")));
        assert_eq!(access("page"), Some(Access::Flag(Flag::LogViewer)));
        assert_eq!(access("confirm"), Some(Access::Flag(Flag::Admin)));
        assert_eq!(access("delete"), None);
    }

    #[test]
    fn a_filter_is_described_line_by_line() {
        let filter = Filter {
            actor: Some(Actor::User(5)),
            kind: Some(EventKind::ParameterEdited),
            fields: vec![("value".into(), audit::Value::Text("true".into()))],
        };
        assert_eq!(
            filter_lines(&filter),
            ["user: <@5>", "event: `PARAMETER_EDITED`", "value: `true`"]
        );
    }
}
