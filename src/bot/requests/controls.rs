//! The widgets' buttons and forms (gd-requestbot §2.4–2.6): reviewers' opinions on the
//! Reviewer's Widget, GD moderators' resolutions on the Resolution Widget.
//!
//! A click checks the request's state before opening a form; the form's submission runs
//! `requests::desk::opine` or `resolve`, which checks it again inside the transaction that stores
//! the answer and queues every message it causes. A trainee's click or form on the Reviewer's
//! Widget is a practice review instead (`trainees`), never an opinion.

use super::{field, look, reply, trainees};
use crate::bot::{Ctx, HandlerError, outdated};
use crate::bot::{Invocation, Outcome, Response};
use crate::i18n;
use crate::outbox::CustomId;
use crate::outbox::{Input, Modal};
use crate::requests::desk;
use crate::requests::model::{Grade, Verdict};
use crate::requests::review::{self, MAX_TEXT, MIN_REVIEW, ReviewError, Said};
use crate::requests::trainee::PracticeError;
use crate::requests::widgets::OPINIONS;
use crate::store::Writer;

/// The shortest reason accepted, in characters (§2.4).
const MIN_REASON: u16 = 4;

fn refuse(ctx: &Ctx, inv: &Invocation, err: ReviewError) -> Result<Outcome, HandlerError> {
    match err {
        ReviewError::Store(err) => Err(err.into()),
        other => reply(ctx, inv, &other.message()),
    }
}

fn success(ctx: &Ctx, inv: &Invocation) -> Result<Outcome, HandlerError> {
    reply(ctx, inv, &i18n::Message::new("common.success"))
}

/// A form field: the review (`required`) or the reason.
fn input(ctx: &Ctx, lang: i18n::Lang, id: &str, required: bool) -> Input {
    let text = |part: &str| {
        ctx.texts
            .render(lang, &format!("request.opinion_form.{id}.{part}"), &[])
    };
    Input {
        id: id.into(),
        label: text("label"),
        paragraph: true,
        required,
        placeholder: text("placeholder"),
        min_len: if id == "review" {
            MIN_REVIEW as u16
        } else {
            MIN_REASON
        },
        max_len: MAX_TEXT as u16,
    }
}

pub(super) fn modal(
    ctx: &Ctx,
    inv: &Invocation,
    id: CustomId,
    title: &str,
    inputs: &[(&str, bool)],
) -> Result<Outcome, HandlerError> {
    let lang = ctx.language(inv)?.lang;
    let modal = Modal {
        custom_id: id,
        title: ctx.texts.render(lang, title, &[]),
        inputs: inputs
            .iter()
            .map(|(name, required)| input(ctx, lang, name, *required))
            .collect(),
    };
    Ok(Outcome {
        response: Response::Modal(modal),
        effects: Vec::new(),
    })
}

/// A click on the Reviewer's Widget: "approve" is an opinion at once; the others open a form.
pub fn opinion_clicked(
    ctx: &Ctx,
    inv: &Invocation,
    id: u64,
    kind: Option<&str>,
) -> Result<Outcome, HandlerError> {
    let Some(kind) = kind.filter(|k| OPINIONS.contains(k)) else {
        return outdated(ctx, inv);
    };
    if trainees::is_trainee(ctx, inv) {
        return trainees::widget_clicked(ctx, inv, id, kind);
    }
    if let Err(err) = ctx.store.read(|r| Ok(review::may_opine(r, id, inv.user)))? {
        return refuse(ctx, inv, err);
    }
    let form = CustomId::new("req", "opinion_form", id, Some(kind));
    let title = "request.opinion_form.title";
    match kind {
        "approve" => record(ctx, inv, |w| {
            desk::opine(
                w,
                &look(ctx),
                id,
                inv.user,
                Verdict::Approve,
                &Said::default(),
                ctx.clock.now(),
            )
        }),
        "approve_review" => modal(ctx, inv, form, title, &[("review", true)]),
        "reject_review" => modal(
            ctx,
            inv,
            form,
            title,
            &[("review", true), ("reason", false)],
        ),
        _ => modal(ctx, inv, form, title, &[("reason", true)]),
    }
}

/// A reviewer's submitted form.
pub fn opinion_submitted(
    ctx: &Ctx,
    inv: &Invocation,
    id: u64,
    kind: Option<&str>,
    fields: &[(String, String)],
) -> Result<Outcome, HandlerError> {
    let verdict = match kind {
        Some("approve_review") => Verdict::Approve,
        Some("reject_review" | "reject") => Verdict::Reject,
        _ => return outdated(ctx, inv),
    };
    let said = Said {
        review: field(fields, "review"),
        reason: field(fields, "reason"),
    };
    if trainees::is_trainee(ctx, inv) {
        // A reviewer made a trainee while the form was open: the decision is made now (§2.4).
        return match kind {
            Some("reject") => trainees::refuse(ctx, inv, PracticeError::ReviewRequired),
            _ => trainees::submit(ctx, inv, id, verdict, &said),
        };
    }
    record(ctx, inv, |w| {
        desk::opine(w, &look(ctx), id, inv.user, verdict, &said, ctx.clock.now())
    })
}

/// A click on the Resolution Widget: the form for that grade, or for a rejection.
pub fn resolve_clicked(
    ctx: &Ctx,
    inv: &Invocation,
    id: u64,
    arg: Option<&str>,
) -> Result<Outcome, HandlerError> {
    let Some(arg) = arg.filter(|a| *a == "reject" || Grade::parse(a).is_some()) else {
        return outdated(ctx, inv);
    };
    if let Err(err) = ctx
        .store
        .read(|r| Ok(review::may_resolve(r, id, inv.user)))?
    {
        return refuse(ctx, inv, err);
    }
    let form = CustomId::new("req", "resolve_form", id, Some(arg));
    modal(
        ctx,
        inv,
        form,
        "request.resolve_form.title",
        &[("review", false), ("reason", false)],
    )
}

/// A moderator's submitted resolution.
pub fn resolve_submitted(
    ctx: &Ctx,
    inv: &Invocation,
    id: u64,
    arg: Option<&str>,
    fields: &[(String, String)],
) -> Result<Outcome, HandlerError> {
    let grade = match arg {
        Some("reject") => None,
        Some(name) => match Grade::parse(name) {
            Some(grade) => Some(grade),
            None => return outdated(ctx, inv),
        },
        None => return outdated(ctx, inv),
    };
    let said = Said {
        review: field(fields, "review"),
        reason: field(fields, "reason"),
    };
    record(ctx, inv, |w| {
        desk::resolve(w, &look(ctx), id, inv.user, grade, &said, ctx.clock.now())
    })
}

/// Runs `step` (an opinion or a resolution, with its messages) in one transaction.
fn record(
    ctx: &Ctx,
    inv: &Invocation,
    step: impl FnOnce(&mut Writer) -> Result<(), ReviewError>,
) -> Result<Outcome, HandlerError> {
    let result = ctx.store.write(|w| match step(w) {
        Ok(()) => Ok(Ok(())),
        Err(ReviewError::Store(err)) => Err(err),
        Err(refused) => Ok(Err(refused)),
    })?;
    match result {
        Ok(()) => {
            ctx.outbox.wake();
            success(ctx, inv)
        }
        Err(err) => refuse(ctx, inv, err),
    }
}
