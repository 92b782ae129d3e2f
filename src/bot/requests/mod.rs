//! The GD request desk in Discord (gd-requestbot §1.1, §1.9, §1.11, §1.14, §2–3), on top of
//! `requests`: `/request …` and `/queue …` ([`create`], [`manage`]), the widgets' buttons and
//! forms ([`controls`]), the trainee programme (`/trainee …`, practice reviews, assessments and
//! promotions: [`trainees`]), `/reviews …` ([`reviews`]), `/report …` (the charts:
//! [`reports`]), `/control_panel …` (the Control Panel API's switch and key: [`panel`]), and
//! `/usercd`, `/levelcd` ([`cooldown_commands`]); the messages they post are the use cases'
//! (`requests::desk`, `requests::widgets`).
//!
//! Every step is one write transaction that stores the change, records its audit event, and
//! queues its posts, edits and deletions in the outbox (see `outbox`); nothing is sent that the
//! store does not hold. Every click is routed by its `custom_id` alone, passes the permission
//! gate again ([`control_access`]), and re-reads the request's state, so a second click, a click
//! on an archived widget or a click without the flag is answered and changes nothing.
//!
//! Controls: `v1:req:form:<level>` (open the form again after a slow lookup),
//! `v1:req:submit:<level>` (the form), `v1:req:opinion:<request>:<kind>` and
//! `v1:req:opinion_form:<request>:<kind>` (reviewers), `v1:req:resolve:<request>:<grade|reject>`
//! and `v1:req:resolve_form:<request>:<grade|reject>` (GD moderators), and the trainees'
//! (see [`trainees`]).

mod commands;
mod controls;
pub(super) mod cooldown_commands;
mod create;
mod manage;
mod panel;
mod reports;
mod reviews;
mod trainees;

pub use commands::COMMANDS;

pub use manage::history as queue_history;
pub use reviews::{by as reviews_by, of_level as reviews_of_level};

use super::commands::Access;
use crate::access::Flag;
use crate::bot::reply;
use crate::bot::{Ctx, HandlerError, outdated};
use crate::bot::{Invocation, Kind, Outcome, Value};
use crate::outbox::CustomId;
use crate::outbox::Effect;
use crate::requests::model::{self, anchor};
use crate::requests::widgets::{self, Look};
use crate::store::StoreError;

/// Who may use a request desk control; `None` for actions the desk does not have.
pub fn control_access(id: &CustomId) -> Option<Access> {
    match id.action.as_str() {
        "form" | "submit" => Some(Access::Everyone),
        // Trainees click the Reviewer's Widget too: their answers are practice reviews.
        "opinion" | "opinion_form" => Some(Access::Either(Flag::Reviewer, Flag::Trainee)),
        "resolve" | "resolve_form" => Some(Access::Flag(Flag::GdMod)),
        "practice" | "practice_form" => Some(Access::Flag(Flag::Trainee)),
        "assess" | "assess_form" | "decide" => Some(Access::Flag(Flag::TraineeSupervisor)),
        _ => None,
    }
}

/// Runs `/request <sub>`, `/queue <sub>`, `/trainee <sub>`, `/reviews <sub>` or `/report <sub>`.
pub async fn command(
    ctx: &Ctx,
    inv: &Invocation,
    path: &[String],
) -> Result<Outcome, HandlerError> {
    let path: Vec<&str> = path.iter().map(String::as_str).collect();
    match path.as_slice() {
        ["request", "create"] => match level_option(inv) {
            Some(level) => create::create(ctx, inv, level).await,
            None => outdated(ctx, inv),
        },
        ["request", "insert"] => create::insert(ctx, inv).await,
        ["request", sub] => manage::request(ctx, inv, sub),
        ["queue", sub] => manage::queue(ctx, inv, sub),
        ["trainee", "pick"] => trainees::pick(ctx, inv).await,
        ["trainee", sub] => trainees::command(ctx, inv, sub),
        ["reviews", sub] => reviews::command(ctx, inv, sub).await,
        ["control_panel", sub] => panel::command(ctx, inv, sub),
        ["report", sub] => reports::command(ctx, inv, sub).await,
        _ => outdated(ctx, inv),
    }
}

/// Answers a click or a form of the desk (the gate has passed).
pub async fn control(ctx: &Ctx, inv: &Invocation, id: &CustomId) -> Result<Outcome, HandlerError> {
    let fields: &[(String, String)] = match &inv.kind {
        Kind::Modal { fields, .. } => fields,
        _ => &[],
    };
    let arg = id.arg.as_deref();
    match (id.action.as_str(), &inv.kind) {
        ("form", Kind::Component { .. }) => create::create(ctx, inv, id.id).await,
        ("submit", Kind::Modal { .. }) => create::submit(ctx, inv, id.id, fields).await,
        ("opinion", Kind::Component { .. }) => controls::opinion_clicked(ctx, inv, id.id, arg),
        ("opinion_form", Kind::Modal { .. }) => {
            controls::opinion_submitted(ctx, inv, id.id, arg, fields)
        }
        ("resolve", Kind::Component { .. }) => controls::resolve_clicked(ctx, inv, id.id, arg),
        ("resolve_form", Kind::Modal { .. }) => {
            controls::resolve_submitted(ctx, inv, id.id, arg, fields)
        }
        ("practice", Kind::Component { .. }) => trainees::practice_clicked(ctx, inv, id.id, arg),
        ("practice_form", Kind::Modal { .. }) => {
            trainees::practice_submitted(ctx, inv, id.id, arg, fields)
        }
        ("assess", Kind::Component { .. }) => trainees::assess_clicked(ctx, inv, id.id, arg),
        ("assess_form", Kind::Modal { .. }) => {
            trainees::assess_submitted(ctx, inv, id.id, arg, fields)
        }
        ("decide", Kind::Component { .. }) => trainees::decide_clicked(ctx, inv, id.id, arg).await,
        _ => outdated(ctx, inv),
    }
}

/// The `level_id` option.
/// The Resolution Widget of `request` as the store holds it now, as the edit that shows it;
/// `None` when the request was deleted.
pub(super) fn refresh(ctx: &Ctx, request: u64) -> Result<Option<Effect>, StoreError> {
    ctx.store.read(|r| {
        let Some(dossier) = model::dossier(r, request)? else {
            return Ok(None);
        };
        Ok(Some(Effect::Edit {
            anchor: anchor::resolution(request),
            message: widgets::resolution(r, &look(ctx), &dossier)?,
        }))
    })
}

fn level_option(inv: &Invocation) -> Option<u64> {
    match inv.option("level_id")? {
        Value::Int(n) => u64::try_from(*n).ok().filter(|n| *n > 0),
        _ => None,
    }
}

/// A form field, trimmed; `None` when empty.
fn field(fields: &[(String, String)], name: &str) -> Option<String> {
    fields
        .iter()
        .find(|(n, _)| n == name)
        .map(|(_, v)| v.trim().to_string())
        .filter(|v| !v.is_empty())
}

/// Posts the Reviewer's Widgets owed to imported pending requests (`stagehand import
/// requestbot`), once the guild is known and the routes have their channels: called when the
/// guild arrives. Returns how many were queued.
pub fn post_owed_widgets(ctx: &Ctx) -> Result<usize, HandlerError> {
    if !ctx.settings.modules_requests || ctx.store.read(model::owed_widgets)? == 0 {
        return Ok(0);
    }
    let look = look(ctx);
    let posted = ctx
        .store
        .write(|w| crate::requests::desk::post_owed_widgets(w, &look))?;
    if posted > 0 {
        ctx.outbox.wake();
    }
    Ok(posted)
}

/// How the desk's messages look in this guild.
fn look(ctx: &Ctx) -> Look<'_> {
    Look {
        texts: &ctx.texts,
        guild: ctx.guild,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_control_names_who_may_use_it() {
        let access = |action: &str| control_access(&CustomId::new("req", action, 1, None));
        assert_eq!(access("submit"), Some(Access::Everyone));
        assert_eq!(access("form"), Some(Access::Everyone));
        let widget = Some(Access::Either(Flag::Reviewer, Flag::Trainee));
        assert_eq!(access("opinion"), widget);
        assert_eq!(access("opinion_form"), widget);
        let trainee = Some(Access::Flag(Flag::Trainee));
        assert_eq!(access("practice"), trainee);
        assert_eq!(access("practice_form"), trainee);
        let supervisor = Some(Access::Flag(Flag::TraineeSupervisor));
        assert_eq!(access("assess"), supervisor);
        assert_eq!(access("assess_form"), supervisor);
        assert_eq!(access("decide"), supervisor);
        assert_eq!(access("resolve"), Some(Access::Flag(Flag::GdMod)));
        assert_eq!(access("resolve_form"), Some(Access::Flag(Flag::GdMod)));
        assert_eq!(access("delete"), None, "unknown actions are outdated");
    }

    #[test]
    fn form_fields_are_trimmed_and_empty_is_absent() {
        let fields = vec![
            ("review".to_string(), "  good  ".to_string()),
            ("reason".to_string(), "   ".to_string()),
        ];
        assert_eq!(field(&fields, "review").as_deref(), Some("good"));
        assert_eq!(field(&fields, "reason"), None);
        assert_eq!(field(&fields, "comment"), None);
    }
}
