//! The desk's other commands: `/request ignored | unresolved | widgets | delete`
//! (gd-requestbot §1.1, §2.11) and `/queue open | close | info | history` (§3.2, §3.3).
//!
//! Links to widgets are where the outbox delivered them; a widget whose post was never
//! delivered (its route off) is said to be missing. Every change records its audit event,
//! mirrored to the `log` route, in its transaction.

use super::{look, reply};
use crate::audit::Actor;
use crate::bot::paging::{self, Lines, List};
use crate::bot::{Ctx, HandlerError, outdated};
use crate::bot::{Invocation, Outcome, Value};
use crate::i18n::{self, Lang};
use crate::outbox;
use crate::outbox::Message;
use crate::requests::model::{self, State, anchor};
use crate::requests::queue;

/// Runs `/request <sub>` other than `create` and `insert`.
pub fn request(ctx: &Ctx, inv: &Invocation, sub: &str) -> Result<Outcome, HandlerError> {
    let lang = ctx.language(inv)?.lang;
    match sub {
        "ignored" => oldest(ctx, inv, lang, State::Ignored),
        "unresolved" => oldest(ctx, inv, lang, State::Unresolved),
        "widgets" => match super::level_option(inv) {
            Some(level) => widgets(ctx, inv, lang, level),
            None => outdated(ctx, inv),
        },
        "delete" => match inv.option("request_id") {
            Some(Value::Int(id)) => match u64::try_from(*id) {
                Ok(id) => delete(ctx, inv, id),
                Err(_) => outdated(ctx, inv),
            },
            _ => outdated(ctx, inv),
        },
        _ => outdated(ctx, inv),
    }
}

/// "[label](link)" to the message under `anchor`, or "label: not found".
fn link_line(ctx: &Ctx, lang: Lang, anchor: &str, label: &str) -> Result<String, HandlerError> {
    let label = ctx.texts.render(lang, label, &[]);
    let place = ctx.store.read(|r| outbox::posted(r, anchor))?;
    Ok(match place {
        Some(place) => format!("[{label}]({})", place.link(ctx.guild)),
        None => ctx
            .texts
            .render(lang, "request.info.widget_missing", &[("widget", &label)]),
    })
}

/// The lines naming request `id` and its widget links.
fn describe(ctx: &Ctx, lang: Lang, id: u64, state: State) -> Result<String, HandlerError> {
    let mut lines = vec![format!(
        "**{}**",
        ctx.texts.render(
            lang,
            "request.info.request",
            &[("request_id", &id.to_string())]
        )
    )];
    let details = match state {
        State::Resolved => anchor::archive(id),
        State::Ignored | State::Unresolved => anchor::reviewers(id),
    };
    lines.push(link_line(
        ctx,
        lang,
        &details,
        "request.info.reviewers_widget",
    )?);
    if state != State::Ignored {
        let label = "request.info.resolution_widget";
        lines.push(link_line(ctx, lang, &anchor::resolution(id), label)?);
    }
    Ok(lines.join("\n"))
}

/// `/request ignored` and `/request unresolved`: the oldest request in `state`.
fn oldest(ctx: &Ctx, inv: &Invocation, lang: Lang, state: State) -> Result<Outcome, HandlerError> {
    let Some(id) = ctx.store.read(|r| model::oldest(r, state))? else {
        let key = match state {
            State::Ignored => "request.no_ignored",
            _ => "request.no_unresolved",
        };
        return reply(ctx, inv, &i18n::Message::new(key));
    };
    Ok(Outcome::reply(
        Message::text(describe(ctx, lang, id, state)?).ephemeral(),
    ))
}

/// `/request widgets level_id`: the latest request for the level.
fn widgets(ctx: &Ctx, inv: &Invocation, lang: Lang, level: u64) -> Result<Outcome, HandlerError> {
    let latest = ctx.store.read(|r| model::for_level(r, level))?.pop();
    let Some(dossier) = latest else {
        let message = i18n::Message::new("request.info.not_found").with("level_id", level);
        return reply(ctx, inv, &message);
    };
    let text = describe(ctx, lang, dossier.id, dossier.state())?;
    Ok(Outcome::reply(Message::text(text).ephemeral()))
}

/// `/request delete request_id`: the request, what was said about it, and its widgets.
fn delete(ctx: &Ctx, inv: &Invocation, id: u64) -> Result<Outcome, HandlerError> {
    let now = ctx.clock.now();
    let deleted = ctx
        .store
        .write(|w| model::delete(w, Actor::User(inv.user), id, now))?;
    if !deleted {
        let message = i18n::Message::new("request.delete.not_found").with("request_id", id);
        return reply(ctx, inv, &message);
    }
    ctx.outbox.wake();
    reply(ctx, inv, &i18n::Message::new("common.success"))
}

/// Runs `/queue <sub>`.
pub fn queue(ctx: &Ctx, inv: &Invocation, sub: &str) -> Result<Outcome, HandlerError> {
    match sub {
        "open" => set(ctx, inv, false),
        "close" => set(ctx, inv, true),
        "info" => info(ctx, inv),
        "history" => paging::first(ctx, inv, List::QueueHistory),
        _ => outdated(ctx, inv),
    }
}

/// `/queue open` and `/queue close`: the change, its notice and its log line together.
fn set(ctx: &Ctx, inv: &Invocation, closed: bool) -> Result<Outcome, HandlerError> {
    let now = ctx.clock.now();
    let change = ctx.store.write(|w| {
        crate::requests::desk::set_queue(w, &look(ctx), Actor::User(inv.user), closed, now)
    })?;
    ctx.outbox.wake();
    reply(ctx, inv, &change.message())
}

fn info(ctx: &Ctx, inv: &Invocation) -> Result<Outcome, HandlerError> {
    let choice = ctx.language(inv)?;
    let info = ctx.store.read(queue::info)?;
    let render = |key: &str| ctx.texts.render(choice.lang, key, &[]);
    let threshold =
        |at: Option<u64>| at.map_or_else(|| render("queue.info.disabled"), |n| n.to_string());
    let header = render(if info.closed {
        "queue.info.closed_header"
    } else {
        "queue.info.open_header"
    });
    let text = ctx.text(
        choice,
        "queue.info",
        &[
            ("header", &header),
            ("pending_cnt", &info.pending.to_string()),
            ("blocks_at", &threshold(info.closes_at)),
            ("unblocks_at", &threshold(info.reopens_at)),
        ],
    );
    Ok(Outcome::reply(Message::text(text).ephemeral()))
}

/// The lines of `/queue history`, oldest first.
pub fn history(ctx: &Ctx, lang: Lang) -> Result<Lines, HandlerError> {
    let all = ctx.store.read(queue::history)?;
    if all.is_empty() {
        let text = ctx.texts.render(lang, "queue.history.empty", &[]);
        return Ok(Lines::Empty(text));
    }
    let count = all.len().to_string();
    let title = ctx
        .texts
        .render(lang, "queue.history.title", &[("count", &count)]);
    let entries = all
        .iter()
        .map(|change| {
            let who = match change.actor {
                Actor::User(id) => format!("<@{id}>"),
                Actor::Bot => "Stagehand".to_string(),
            };
            let state = if change.closed {
                "queue.history.closed"
            } else {
                "queue.history.opened"
            };
            ctx.texts.render(
                lang,
                "queue.history.entry",
                &[
                    ("when", &format!("<t:{}:f>", change.at)),
                    ("actor", &who),
                    ("state", &ctx.texts.render(lang, state, &[])),
                ],
            )
        })
        .collect();
    Ok(Lines::Entries { title, entries })
}
