//! The request desk's use cases as their callers run them (the bot today, the Control Panel API
//! next): each runs one step's rules (`create`, `review`, `queue`) and queues, in the caller's
//! write transaction, every message the step causes (gd-requestbot §2.1–2.6, §3.1):
//!
//! - a submission posts the Reviewer's Widget ([`submit`]);
//! - an opinion or a resolution posts the review (to `review_text`, pinging the author), posts
//!   the Resolution Widget on the first opinion and edits it on every later one, refreshing it
//!   once a review is posted so that its consensus links to it ([`opine`], [`resolve`]);
//! - a request's first resolution decides: it also deletes the Reviewer's Widget, posts the
//!   archive entry and notifies the author. A later one is only shown on the Resolution Widget,
//!   and its review is posted without pinging the author, who heard the decision already.
//! - the queue closing or reopening, by hand or by itself, posts its notice ([`set_queue`]);
//! - a trainee's practice review is posted for the supervisors with its Approve and Reject
//!   buttons ([`practise`]); its assessment removes them and, with feedback, starts a thread on
//!   it that mentions the trainee ([`assess`]); a promotion or an expulsion changes the
//!   trainee's roles ([`decide`]), and a refusal of that change by Discord is told to the
//!   supervisor ([`roles_refused`]).
//!
//! The audit event of each step is recorded by its rule, which queues its post to the `log`
//! route. A refused step returns its refusal and the caller rolls the transaction back.

use crate::audit::{Actor, Change};
use crate::gd;
use crate::i18n::{self, Catalogue, Lang};
use crate::outbox::{self, Destination, Effect, Message, OnRefused, Pings};
use crate::params::{self, Param};
use crate::routes::{self, Route};
use crate::store::{StoreError, Writer};

use super::create::{self, Asker, Form, RequestError, Submitted};
use super::model::{self, Grade, Verdict, anchor};
use super::queue::{self, Notice};
use super::review::{self, Recorded, ReviewError, Said};
use super::trainee::{
    self, AssessError, Assessed, Decision, DecisionError, PracticeError, RoleChange,
};
use super::widgets::{self, Look};

/// The name of a feedback thread when its text is blank (an admin's edit).
const FEEDBACK_THREAD: &str = "Feedback";
/// A feedback thread archives after an hour without activity (§2.9).
const FEEDBACK_ARCHIVE_MINUTES: u16 = 60;

/// Submits a request for `level` (every check of `/request create` again) and posts its
/// Reviewer's Widget.
pub fn submit(
    w: &mut Writer,
    look: &Look,
    asker: &Asker,
    level: &gd::Level,
    form: &Form,
    now: i64,
) -> Result<Submitted, RequestError> {
    let done = create::submit(w, asker, level, form, now)?;
    if let Some(dossier) = model::dossier(w, done.id)? {
        routes::push(
            w,
            Route::PendingRequest,
            widgets::reviewers(look, &dossier),
            Some(anchor::reviewers(done.id)),
        )?;
    }
    post_notice(w, look, done.notice)?;
    Ok(done)
}

/// Reviewer `user`'s opinion on request `id`, with its messages.
pub fn opine(
    w: &mut Writer,
    look: &Look,
    id: u64,
    user: u64,
    verdict: Verdict,
    said: &Said,
    now: i64,
) -> Result<(), ReviewError> {
    let done = review::opine(w, id, user, verdict, said, now)?;
    Ok(messages(w, look, user, &done)?)
}

/// GD moderator `user`'s resolution of request `id` (`None`: rejected), with its messages.
pub fn resolve(
    w: &mut Writer,
    look: &Look,
    id: u64,
    user: u64,
    grade: Option<Grade>,
    said: &Said,
    now: i64,
) -> Result<(), ReviewError> {
    let done = review::resolve(w, id, user, grade, said, now)?;
    Ok(messages(w, look, user, &done)?)
}

/// `/queue open` and `/queue close`: the change and its notice.
pub fn set_queue(
    w: &mut Writer,
    look: &Look,
    actor: Actor,
    closed: bool,
    now: i64,
) -> Result<Change, StoreError> {
    let change = queue::set(w, actor, closed, now)?;
    if let Change::Applied(_) = change {
        let notice = if closed {
            Notice::Closed
        } else {
            Notice::Reopened
        };
        post_notice(w, look, Some(notice))?;
    }
    Ok(change)
}

/// Trainee `trainee`'s practice review of request `id`, posted to `trainee_review_text` with the
/// supervisors' buttons; returns the review's id. Refused, with nothing stored, when that route
/// posts nowhere: no supervisor could assess it.
pub fn practise(
    w: &mut Writer,
    look: &Look,
    id: u64,
    trainee: u64,
    verdict: Verdict,
    said: &Said,
    now: i64,
) -> Result<u64, PracticeError> {
    if routes::resolve(w, Route::TraineeReviewText)?.is_none() {
        return Err(PracticeError::NoChannel);
    }
    let card = trainee::card(w, id)?;
    let (review_id, review) = trainee::practise(w, id, trainee, verdict, said, card, now)?;
    routes::push(
        w,
        Route::TraineeReviewText,
        widgets::practice(look, review_id, &review, true),
        Some(anchor::practice(review_id)),
    )?;
    Ok(review_id)
}

/// Supervisor `supervisor`'s assessment of practice review `id`: stored once, the review's
/// buttons removed, and the feedback, if any, posted in a thread named after
/// `trainee.feedback.thread` on the review, mentioning (and notifying) the trainee.
pub fn assess(
    w: &mut Writer,
    look: &Look,
    id: u64,
    supervisor: u64,
    accepted: bool,
    feedback: Option<&str>,
    now: i64,
) -> Result<Assessed, AssessError> {
    let done = trainee::assess(w, id, supervisor, accepted, feedback, look.guild, now)?;
    let review = &done.review;
    outbox::push(
        w,
        Effect::Edit {
            anchor: anchor::practice(id),
            message: widgets::practice(look, id, review, false),
        },
    )?;
    if let Some(feedback) = &done.assessment.feedback {
        let mention = format!("<@{}>", review.trainee);
        let post = Message {
            pings: Pings::User(review.trainee),
            ..Message::text(look.texts.render(
                review.lang,
                "trainee.feedback.post",
                &[("trainee", &mention), ("feedback", feedback)],
            ))
        };
        let name = look
            .texts
            .render(review.lang, "trainee.feedback.thread", &[]);
        let anchor = anchor::practice(id);
        let thread = Effect::thread(
            anchor.clone(),
            &name,
            FEEDBACK_ARCHIVE_MINUTES,
            post.clone(),
        )
        .unwrap_or(Effect::Thread {
            anchor,
            name: FEEDBACK_THREAD.to_string(),
            auto_archive_minutes: FEEDBACK_ARCHIVE_MINUTES,
            message: post,
        });
        outbox::push(w, thread)?;
    }
    Ok(done)
}

/// Supervisor `supervisor` promotes or expels `member`, whose roles are `member_roles` now:
/// the role change goes through the outbox, watched (a refusal comes back to
/// [`roles_refused`]), and the event is recorded.
pub fn decide(
    w: &mut Writer,
    look: &Look,
    supervisor: u64,
    decision: Decision,
    member: u64,
    member_roles: &[u64],
    now: i64,
) -> Result<RoleChange, DecisionError> {
    let change = trainee::plan(w, decision, member, member_roles, look.guild)?;
    if change.add.is_some() || !change.remove.is_empty() {
        outbox::push_watched(
            w,
            Effect::Member {
                user: member,
                add_roles: change.add.into_iter().collect(),
                remove_roles: change.remove.clone(),
                nick: None,
            },
            OnRefused::TraineeRoles {
                trainee: member,
                by: supervisor,
                promoted: decision == Decision::Promote,
            },
        )?;
    }
    trainee::record_decision(w, supervisor, decision, member, &change, now)?;
    Ok(change)
}

/// Discord refused the role change of `trainee`'s promotion (`promoted`) or expulsion: the
/// supervisor `by` who decided it is told by DM, in their language, that the roles did not
/// change (the event stays: it records the decision).
pub fn roles_refused(
    w: &mut Writer,
    texts: &Catalogue,
    trainee: u64,
    by: u64,
    promoted: bool,
) -> Result<(), StoreError> {
    let lang = i18n::preference(w, by)?.unwrap_or(Lang::En);
    let key = if promoted {
        "trainee.decision.refused_promote"
    } else {
        "trainee.decision.refused_expel"
    };
    let text = texts.render(lang, key, &[("trainee", &format!("<@{trainee}>"))]);
    outbox::push(
        w,
        Effect::Send {
            to: Destination::Dm(by),
            message: Message::text(text),
            anchor: None,
        },
    )
}

/// Everything a new opinion or resolution of `user` posts, edits and deletes.
fn messages(w: &mut Writer, look: &Look, user: u64, done: &Recorded) -> Result<(), StoreError> {
    let dossier = &done.dossier;
    let id = dossier.id;
    let resolution = dossier
        .resolutions
        .iter()
        .find(|(u, _)| *u == user)
        .map(|(_, r)| r.clone());
    let verdict = match &resolution {
        Some(r) => r.verdict(),
        None => dossier
            .opinions
            .iter()
            .find(|(u, _)| *u == user)
            .map_or(Verdict::Approve, |(_, o)| o.verdict),
    };
    if let Some(text) = &done.said.review {
        let is_final = resolution.is_some();
        let mut message = widgets::review(w, look, dossier, user, verdict, text, is_final)?;
        if is_final && !done.first {
            message.pings = Pings::Nobody;
        }
        routes::push(
            w,
            Route::ReviewText,
            message,
            Some(anchor::review(id, user, is_final)),
        )?;
    }
    let widget = widgets::resolution(w, look, dossier)?;
    if dossier.opinions.len() + dossier.resolutions.len() == 1 {
        routes::push(w, Route::Resolution, widget, Some(anchor::resolution(id)))?;
    } else {
        outbox::push(
            w,
            Effect::Edit {
                anchor: anchor::resolution(id),
                message: widget,
            },
        )?;
    }
    if done.said.review.is_some() {
        // The review's link exists once it is posted, after this transaction.
        outbox::push(w, Effect::RefreshResolution { request: id })?;
    }
    if let Some(resolved) = resolution.filter(|_| done.first) {
        outbox::push(
            w,
            Effect::Delete {
                anchor: anchor::reviewers(id),
            },
        )?;
        let entry = widgets::archive(w, look, dossier)?;
        routes::push(w, Route::Archive, entry, Some(anchor::archive(id)))?;
        let notice = widgets::verdict_notice(
            look,
            dossier,
            user,
            resolved.grade,
            resolved.comment.as_deref(),
        );
        let route = match resolved.grade {
            Some(_) => Route::ApprovalNotification,
            None => Route::RejectionNotification,
        };
        routes::push(w, route, notice, None)?;
    }
    post_notice(w, look, done.notice)
}

/// Queues the notice of a queue that closed or reopened.
fn post_notice(w: &mut Writer, look: &Look, notice: Option<Notice>) -> Result<(), StoreError> {
    let Some(notice) = notice else {
        return Ok(());
    };
    let route = match notice {
        Notice::Closed => Route::RequestsClosed,
        Notice::Reopened => Route::RequestsReopened,
    };
    let role = params::role(w, Param::QueueNoticeRole)?;
    routes::push(w, route, widgets::queue_notice(look, notice, role), None)
}
