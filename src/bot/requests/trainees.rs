//! The trainee programme in Discord (gd-requestbot §1.14, §2.8, §2.9): practice reviews from the
//! Reviewer's Widget and from `/trainee pick`, their assessment from the Trainee Review Widget,
//! and promotion or expulsion from the Promotion Decision buttons or `/trainee promote | expel`.
//!
//! Controls: `v1:req:practice:<request>:<approve|reject>` (the picked card's buttons) and
//! `v1:req:practice_form:<request>:<approve|reject>` (trainees), `v1:req:assess:<review>:<accept|
//! reject>` and `v1:req:assess_form:<review>:<accept|reject>`, `v1:req:decide:<trainee>:<promote|
//! expel|later>` (supervisors). Each is routed by its text alone and re-reads the store, so they
//! keep working after a restart; each passes the gate again.
//!
//! A trainee is a member holding `trainee` through a role: admin does not make one, and a
//! reviewer who is a trainee too is a trainee (§2.8). A button names the trainee to promote by
//! id only, so their roles, and whether they are still a member, are asked of Discord when it
//! is clicked; a slash command's member option carries them.

use rand::seq::SliceRandom;

use super::controls::modal;
use super::{field, look, reply};
use crate::access::Flag;
use crate::bot::{Ctx, HandlerError, outdated};
use crate::bot::{Invocation, Outcome, Response, Value};
use crate::i18n;
use crate::outbox::{Button, ButtonStyle, ButtonTarget, CustomId, Input, Message, Modal};
use crate::params::{self, Param};
use crate::requests::desk;
use crate::requests::model::{self, Verdict};
use crate::requests::review::{MAX_TEXT, Said};
use crate::requests::trainee::{
    self, AssessError, Decision, DecisionError, MIN_FEEDBACK, PracticeError,
};
use crate::requests::widgets;
use crate::routes::{self, Route};

/// Cards `/trainee pick` checks with Discord before it gives up (each is one lookup).
const PICK_TRIES: usize = 10;

/// Whether `inv`'s member is a trainee.
pub(super) fn is_trainee(ctx: &Ctx, inv: &Invocation) -> bool {
    ctx.permissions.has_exactly(&ctx.member(inv), Flag::Trainee)
}

/// A refusal's reply, or the failure it really is.
pub(super) fn refuse(
    ctx: &Ctx,
    inv: &Invocation,
    err: PracticeError,
) -> Result<Outcome, HandlerError> {
    match err {
        PracticeError::Store(err) => Err(err.into()),
        other => reply(ctx, inv, &other.message()),
    }
}

fn verdict_arg(verdict: Verdict) -> &'static str {
    match verdict {
        Verdict::Approve => "approve",
        Verdict::Reject => "reject",
    }
}

fn parse_verdict(arg: Option<&str>) -> Option<Verdict> {
    match arg {
        Some("approve") => Some(Verdict::Approve),
        Some("reject") => Some(Verdict::Reject),
        _ => None,
    }
}

/// A trainee's click on the Reviewer's Widget: the practice form for "… and Review"; the "no
/// review" buttons are not theirs.
pub(super) fn widget_clicked(
    ctx: &Ctx,
    inv: &Invocation,
    id: u64,
    kind: &str,
) -> Result<Outcome, HandlerError> {
    match kind {
        "approve_review" => open_form(ctx, inv, id, Verdict::Approve),
        "reject_review" => open_form(ctx, inv, id, Verdict::Reject),
        _ => refuse(ctx, inv, PracticeError::ReviewRequired),
    }
}

/// A click on a picked card's "write positive / negative review".
pub fn practice_clicked(
    ctx: &Ctx,
    inv: &Invocation,
    id: u64,
    arg: Option<&str>,
) -> Result<Outcome, HandlerError> {
    match parse_verdict(arg) {
        Some(verdict) => open_form(ctx, inv, id, verdict),
        None => outdated(ctx, inv),
    }
}

/// The practice form, if `inv`'s member may still review request `id`.
fn open_form(
    ctx: &Ctx,
    inv: &Invocation,
    id: u64,
    verdict: Verdict,
) -> Result<Outcome, HandlerError> {
    if let Err(err) = ctx
        .store
        .read(|r| Ok(trainee::may_practise(r, id, inv.user)))?
    {
        return refuse(ctx, inv, err);
    }
    let form = CustomId::new("req", "practice_form", id, Some(verdict_arg(verdict)));
    let inputs: &[(&str, bool)] = match verdict {
        Verdict::Approve => &[("review", true)],
        Verdict::Reject => &[("review", true), ("reason", false)],
    };
    modal(ctx, inv, form, "trainee.practice_form.title", inputs)
}

/// A submitted practice form.
pub fn practice_submitted(
    ctx: &Ctx,
    inv: &Invocation,
    id: u64,
    arg: Option<&str>,
    fields: &[(String, String)],
) -> Result<Outcome, HandlerError> {
    let Some(verdict) = parse_verdict(arg) else {
        return outdated(ctx, inv);
    };
    let said = Said {
        review: field(fields, "review"),
        reason: field(fields, "reason"),
    };
    submit(ctx, inv, id, verdict, &said)
}

/// Stores and posts `inv`'s member's practice review of request `id`.
pub(super) fn submit(
    ctx: &Ctx,
    inv: &Invocation,
    id: u64,
    verdict: Verdict,
    said: &Said,
) -> Result<Outcome, HandlerError> {
    let now = ctx.clock.now();
    // A refusal rolls the transaction back: nothing changes.
    let result = ctx.store.write(|w| {
        let review = desk::practise(w, &look(ctx), id, inv.user, verdict, said, now)?;
        Ok(trainee::get(w, review)?)
    });
    match result {
        Ok(review) => {
            ctx.outbox.wake();
            let name = review.map(|r| r.level_name).unwrap_or_default();
            let message = i18n::Message::new("trainee.practice.done")
                .with("level_name", format!("`{}`", name.replace('`', "'")));
            reply(ctx, inv, &message)
        }
        Err(err) => refuse(ctx, inv, err),
    }
}

/// `/trainee pick`: a random request the member may practise on, whose card Discord still has,
/// shown privately without the consensus. A request whose card is gone is passed over, and
/// kept as it is (the original forgot its card's place and gave up, §2.8).
pub async fn pick(ctx: &Ctx, inv: &Invocation) -> Result<Outcome, HandlerError> {
    let choice = ctx.language(inv)?;
    if ctx
        .store
        .read(|r| routes::resolve(r, Route::TraineeReviewText))?
        .is_none()
    {
        // Nowhere to post the review: say so now, not after it is written.
        return refuse(ctx, inv, PracticeError::NoChannel);
    }
    let mut candidates = ctx.store.read(|r| trainee::candidates(r, inv.user))?;
    candidates.shuffle(&mut rand::rng());
    let mut asked = 0;
    let mut unanswered = false;
    for id in candidates {
        if asked == PICK_TRIES {
            break;
        }
        let Some(place) = ctx.store.read(|r| trainee::card(r, id))? else {
            continue;
        };
        asked += 1;
        match ctx.discord.message_exists(place).await {
            Ok(true) => {}
            Ok(false) => {
                tracing::info!(request = id, "a request's card is gone; picking another");
                continue;
            }
            Err(err) => {
                tracing::warn!(request = id, error = %err, "could not check a request's card");
                unanswered = true;
                continue;
            }
        }
        let Some(dossier) = ctx.store.read(|r| model::dossier(r, id))? else {
            continue;
        };
        let text = |key: &str| ctx.texts.render(choice.lang, key, &[]);
        let write = |verdict: Verdict, key: &str, style| Button {
            label: text(key),
            style,
            target: ButtonTarget::Control(CustomId::new(
                "req",
                "practice",
                id,
                Some(verdict_arg(verdict)),
            )),
            disabled: false,
        };
        let open = Button {
            label: text("trainee.pick.open"),
            style: ButtonStyle::Secondary,
            target: ButtonTarget::Link(place.link(ctx.guild)),
            disabled: false,
        };
        let card = Message {
            content: ctx.text(choice, "trainee.pick.intro", &[]),
            ..Message::embed(widgets::trainee_card(&look(ctx), &dossier))
        };
        let card = card.with_row(vec![
            write(
                Verdict::Approve,
                "trainee.pick.positive",
                ButtonStyle::Success,
            ),
            write(
                Verdict::Reject,
                "trainee.pick.negative",
                ButtonStyle::Danger,
            ),
            open,
        ]);
        return Ok(Outcome::reply(card.ephemeral()));
    }
    let key = if unanswered {
        "error.discord_unreachable"
    } else {
        "trainee.pick.none"
    };
    reply(ctx, inv, &i18n::Message::new(key))
}

fn parse_assessment(arg: Option<&str>) -> Option<bool> {
    match arg {
        Some("accept") => Some(true),
        Some("reject") => Some(false),
        _ => None,
    }
}

fn refuse_assessment(
    ctx: &Ctx,
    inv: &Invocation,
    err: AssessError,
) -> Result<Outcome, HandlerError> {
    match err {
        AssessError::Store(err) => Err(err.into()),
        other => reply(ctx, inv, &other.message()),
    }
}

/// A supervisor's click on a practice review's Approve or Reject: the feedback form, unless the
/// review was assessed already.
pub fn assess_clicked(
    ctx: &Ctx,
    inv: &Invocation,
    id: u64,
    arg: Option<&str>,
) -> Result<Outcome, HandlerError> {
    let (Some(_), Some(arg)) = (parse_assessment(arg), arg) else {
        return outdated(ctx, inv);
    };
    if let Err(err) = ctx
        .store
        .read(|r| Ok(trainee::may_assess(r, id, inv.user)))?
    {
        return refuse_assessment(ctx, inv, err);
    }
    let lang = ctx.language(inv)?.lang;
    let text = |key: &str| ctx.texts.render(lang, key, &[]);
    let feedback = Input {
        id: "feedback".into(),
        label: text("trainee.assess_form.feedback.label"),
        paragraph: true,
        required: false,
        placeholder: text("trainee.assess_form.feedback.placeholder"),
        min_len: MIN_FEEDBACK as u16,
        max_len: MAX_TEXT as u16,
    };
    Ok(Outcome {
        response: Response::Modal(Modal {
            custom_id: CustomId::new("req", "assess_form", id, Some(arg)),
            title: text("trainee.assess_form.title"),
            inputs: vec![feedback],
        }),
        effects: Vec::new(),
    })
}

/// A submitted assessment: stored once, with the trainee's record in the reply and, from
/// `trainee.resolved_reviews_for_promotion_decision` assessed reviews on, the Promotion Decision
/// buttons.
pub fn assess_submitted(
    ctx: &Ctx,
    inv: &Invocation,
    id: u64,
    arg: Option<&str>,
    fields: &[(String, String)],
) -> Result<Outcome, HandlerError> {
    let Some(accepted) = parse_assessment(arg) else {
        return outdated(ctx, inv);
    };
    let feedback = field(fields, "feedback");
    let now = ctx.clock.now();
    let result = ctx.store.write(|w| {
        let feedback = feedback.as_deref();
        let done = desk::assess(w, &look(ctx), id, inv.user, accepted, feedback, now)?;
        let threshold = params::number(w, Param::ReviewsForPromotionDecision)?;
        Ok((done, threshold))
    });
    let (done, threshold) = match result {
        Ok(done) => done,
        Err(err) => return refuse_assessment(ctx, inv, err),
    };
    ctx.outbox.wake();
    let choice = ctx.language(inv)?;
    let stats = done.stats;
    let trainee = done.review.trainee;
    let verdict = ctx.texts.render(
        choice.lang,
        if accepted {
            "trainee.assess.accepted"
        } else {
            "trainee.assess.rejected"
        },
        &[],
    );
    let mention = format!("<@{trainee}>");
    let (assessed, percent) = (stats.assessed.to_string(), stats.percent().to_string());
    if stats.assessed < threshold {
        let (waiting, left) = (
            stats.waiting().to_string(),
            stats.left(threshold).to_string(),
        );
        let text = ctx.text(
            choice,
            "trainee.assess.few",
            &[
                ("verdict", &verdict),
                ("trainee", &mention),
                ("assessed", &assessed),
                ("percent", &percent),
                ("waiting", &waiting),
                ("left", &left),
            ],
        );
        return Ok(Outcome::reply(Message::text(text).ephemeral()));
    }
    let text = ctx.text(
        choice,
        "trainee.assess.ready",
        &[
            ("verdict", &verdict),
            ("trainee", &mention),
            ("assessed", &assessed),
            ("percent", &percent),
        ],
    );
    let decide = |arg: &str, style| Button {
        label: ctx
            .texts
            .render(choice.lang, &format!("trainee.decision.{arg}_button"), &[]),
        style,
        target: ButtonTarget::Control(CustomId::new("req", "decide", trainee, Some(arg))),
        disabled: false,
    };
    let buttons = vec![
        decide("promote", ButtonStyle::Success),
        decide("expel", ButtonStyle::Danger),
        decide("later", ButtonStyle::Secondary),
    ];
    Ok(Outcome::reply(
        Message::text(text).with_row(buttons).ephemeral(),
    ))
}

/// A click on a Promotion Decision button: "later" puts the question away; promote and expel ask
/// Discord for the trainee's roles now (the button knows only their id) and, done, replace the
/// buttons with what was done.
pub async fn decide_clicked(
    ctx: &Ctx,
    inv: &Invocation,
    member: u64,
    arg: Option<&str>,
) -> Result<Outcome, HandlerError> {
    let decision = match arg {
        Some("promote") => Decision::Promote,
        Some("expel") => Decision::Expel,
        Some("later") => {
            let choice = ctx.language(inv)?;
            let text = ctx.text(choice, "trainee.decision.later", &[]);
            return Ok(Outcome {
                response: Response::Update(Message::text(text)),
                effects: Vec::new(),
            });
        }
        _ => return outdated(ctx, inv),
    };
    let roles = match ctx.discord.member_roles(member).await {
        Ok(Some(roles)) => roles,
        Ok(None) => return refuse_decision(ctx, inv, DecisionError::Left { member }),
        Err(err) => {
            tracing::warn!(member, error = %err, "could not ask Discord for a member");
            return reply(ctx, inv, &i18n::Message::new("error.discord_unreachable"));
        }
    };
    decide(ctx, inv, decision, member, &roles, true)
}

/// `/trainee promote trainee` and `/trainee expel trainee`.
pub fn command(ctx: &Ctx, inv: &Invocation, sub: &str) -> Result<Outcome, HandlerError> {
    let decision = match sub {
        "promote" => Decision::Promote,
        "expel" => Decision::Expel,
        _ => return outdated(ctx, inv),
    };
    match inv.option("trainee") {
        Some(Value::Member { id, roles, .. }) => decide(ctx, inv, decision, *id, roles, false),
        Some(Value::User(id)) => refuse_decision(ctx, inv, DecisionError::Left { member: *id }),
        _ => outdated(ctx, inv),
    }
}

fn refuse_decision(
    ctx: &Ctx,
    inv: &Invocation,
    err: DecisionError,
) -> Result<Outcome, HandlerError> {
    match err {
        DecisionError::Store(err) => Err(err.into()),
        other => reply(ctx, inv, &other.message()),
    }
}

/// Promotes or expels `member` (roles `roles`): one transaction with the role change and the
/// event; the answer replaces the clicked buttons (`update`) or is a private reply.
fn decide(
    ctx: &Ctx,
    inv: &Invocation,
    decision: Decision,
    member: u64,
    roles: &[u64],
    update: bool,
) -> Result<Outcome, HandlerError> {
    let now = ctx.clock.now();
    let result = ctx
        .store
        .write(|w| desk::decide(w, &look(ctx), inv.user, decision, member, roles, now));
    if let Err(err) = result {
        return refuse_decision(ctx, inv, err);
    }
    ctx.outbox.wake();
    let choice = ctx.language(inv)?;
    let key = match decision {
        Decision::Promote => "trainee.decision.promoted",
        Decision::Expel => "trainee.decision.expelled",
    };
    let text = ctx.text(choice, key, &[("member", &format!("<@{member}>"))]);
    let response = if update {
        Response::Update(Message::text(text))
    } else {
        Response::Message(Message::text(text).ephemeral())
    };
    Ok(Outcome {
        response,
        effects: Vec::new(),
    })
}
