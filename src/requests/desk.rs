//! The request desk's use cases as their callers run them (the bot today, the Control Panel API
//! next): each runs one step's rules (`create`, `review`, `queue`) and queues, in the caller's
//! write transaction, every message the step causes (gd-requestbot §2.1–2.6, §3.1):
//!
//! - a submission posts the Reviewer's Widget ([`submit`]); an imported pending request gets
//!   one when the bot first reaches the guild ([`post_owed_widgets`]);
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

/// Posts the Reviewer's Widget of every request owed one (imported pending requests, see
/// `model::owe_widget`) that is still pending; returns how many were queued. While the
/// `pending_request` route has no channel (or is off) they stay owed, for a later start.
pub fn post_owed_widgets(w: &mut Writer, look: &Look) -> Result<usize, StoreError> {
    if routes::resolve(w, Route::PendingRequest)?.is_none() {
        return Ok(0);
    }
    let mut posted = 0;
    for id in model::take_owed_widgets(w)? {
        let Some(dossier) = model::dossier(w, id)? else {
            continue;
        };
        if dossier.decision().is_some() {
            continue;
        }
        routes::push(
            w,
            Route::PendingRequest,
            widgets::reviewers(look, &dossier),
            Some(anchor::reviewers(id)),
        )?;
        posted += 1;
    }
    Ok(posted)
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

/// Discord refused the role change of `trainee`'s promotion (`promoted`) or expulsion (the
/// member left, or a role ranks above Stagehand's; a role given before the refusal stays): the
/// supervisor `by` who decided it is told by DM, in their language, to check the roles (the
/// event stays: it records the decision).
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

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use crate::access::{Flag, PERMISSION_BINDINGS};
    use crate::outbox::queue;
    use crate::outbox::{ButtonTarget, route};
    use crate::requests::model::tests::request;
    use crate::store::Store;

    const TIM: u64 = 44;
    const MAX: u64 = 43;
    const GUILD: u64 = 1000;
    const CHANNEL: u64 = 77;
    const T0: i64 = 1_800_000_000;
    const REVIEW: &str = "A careful practice review, long enough to count as one.";
    const FEEDBACK: &str = "Say more about the decoration next time, the rest was right.";

    /// The effects queued so far, posts to the `log` route left out, with their row ids.
    fn queued(store: &Store) -> Vec<(u64, Effect)> {
        store
            .read(queue::queued)
            .unwrap()
            .into_iter()
            .filter(|(_, q)| !q.effect.is_log_post())
            .map(|(id, q)| (id, q.effect))
            .collect()
    }

    fn practise_now(store: &Store, texts: &Catalogue, id: u64) -> Result<u64, PracticeError> {
        let look = Look {
            texts,
            guild: GUILD,
        };
        let said = Said {
            review: Some(REVIEW.into()),
            reason: None,
        };
        store
            .write(
                |w| match practise(w, &look, id, TIM, Verdict::Approve, &said, T0) {
                    Err(PracticeError::Store(err)) => Err(err),
                    other => Ok(other),
                },
            )
            .unwrap()
    }

    fn stored(texts: &Catalogue) -> (tempfile::TempDir, Store) {
        let (dir, store) = Store::temporary();
        store
            .write(|w| {
                model::insert(w, &request(128, 46, T0))?;
                model::insert(w, &request(129, 46, T0))
            })
            .unwrap();
        assert!(matches!(
            practise_now(&store, texts, 1),
            Err(PracticeError::NoChannel)
        ));
        assert!(
            store
                .read(|r| trainee::written(r, TIM, 1))
                .unwrap()
                .is_none(),
            "nothing stored without a channel to post it in"
        );
        store
            .write(|w| route::set_default(w, Route::TraineeReviewText, CHANNEL))
            .unwrap();
        (dir, store)
    }

    /// Imported pending requests wait for the `pending_request` route to have a channel, then
    /// get their Reviewer's Widget once; one resolved meanwhile gets none.
    #[test]
    fn owed_widgets_are_posted_once_the_route_has_a_channel() {
        let texts = Catalogue::defaults();
        let look = Look {
            texts: &texts,
            guild: GUILD,
        };
        let (_dir, store) = Store::temporary();
        let resolution = model::Resolution {
            grade: None,
            review: None,
            comment: None,
            at: T0,
        };
        store
            .write(|w| {
                for (id, level) in [(7, 128), (9, 129), (12, 130)] {
                    model::insert_as(w, id, &request(level, 46, T0))?;
                    model::owe_widget(w, id)?;
                }
                model::put_resolution(w, 9, MAX, &resolution)
            })
            .unwrap();
        assert_eq!(store.write(|w| post_owed_widgets(w, &look)).unwrap(), 0);
        assert_eq!(
            store.read(model::owed_widgets).unwrap(),
            3,
            "kept for later"
        );
        store
            .write(|w| route::set_default(w, Route::PendingRequest, CHANNEL))
            .unwrap();
        assert_eq!(store.write(|w| post_owed_widgets(w, &look)).unwrap(), 2);
        let anchors: Vec<Option<String>> = queued(&store)
            .into_iter()
            .map(|(_, e)| match e {
                Effect::Send { anchor, .. } => anchor,
                other => panic!("{other:?}"),
            })
            .collect();
        assert_eq!(
            anchors,
            [Some("req:7:pending".into()), Some("req:12:pending".into())]
        );
        assert_eq!(store.write(|w| post_owed_widgets(w, &look)).unwrap(), 0);
        assert_eq!(
            store
                .write(|w| model::insert(w, &request(131, 46, T0)))
                .unwrap(),
            13
        );
    }

    #[test]
    fn a_practice_review_is_posted_with_the_supervisors_buttons_pinging_nobody() {
        let texts = Catalogue::defaults();
        let (_dir, store) = stored(&texts);
        assert_eq!(practise_now(&store, &texts, 1).unwrap(), 1);
        let effects = queued(&store);
        let [
            (
                _,
                Effect::Send {
                    to,
                    message,
                    anchor,
                },
            ),
        ] = effects.as_slice()
        else {
            panic!("{effects:?}");
        };
        assert_eq!(
            *to,
            Destination::Route {
                route: Route::TraineeReviewText,
                channel: CHANNEL
            }
        );
        assert_eq!(anchor.as_deref(), Some("trainee_review:1"));
        assert_eq!(message.pings, Pings::Nobody);
        assert!(
            message
                .content
                .starts_with("Review by <@44>\nLevel: `Level 128` (ID: 128)\nReview:\n"),
            "{}",
            message.content
        );
        let ids: Vec<String> = message.rows[0]
            .iter()
            .map(|b| match &b.target {
                ButtonTarget::Control(id) => id.to_string(),
                ButtonTarget::Link(link) => link.clone(),
            })
            .collect();
        assert_eq!(ids, ["v1:req:assess:1:accept", "v1:req:assess:1:reject"]);
    }

    #[test]
    fn an_assessment_removes_the_buttons_and_feedback_opens_a_thread_mentioning_the_trainee() {
        let texts = Catalogue::defaults();
        let (_dir, store) = stored(&texts);
        let look = Look {
            texts: &texts,
            guild: GUILD,
        };
        practise_now(&store, &texts, 1).unwrap();
        practise_now(&store, &texts, 2).unwrap();
        let before = queued(&store).len();
        store
            .write(|w| assess(w, &look, 1, MAX, false, Some(FEEDBACK), T0 + 1))
            .unwrap();
        let effects: Vec<Effect> = queued(&store)
            .into_iter()
            .skip(before)
            .map(|(_, e)| e)
            .collect();
        let [Effect::Edit { anchor, message }, thread] = effects.as_slice() else {
            panic!("{effects:?}");
        };
        assert_eq!(anchor, "trainee_review:1");
        assert!(message.rows.is_empty(), "the buttons go");
        let review = store.read(|r| trainee::get(r, 1)).unwrap().unwrap();
        assert_eq!(
            message.content,
            widgets::practice(&look, 1, &review, true).content,
            "every word stays where it was"
        );
        assert_eq!(
            *thread,
            Effect::Thread {
                anchor: "trainee_review:1".into(),
                name: "Feedback".into(),
                auto_archive_minutes: 60,
                message: Message {
                    pings: Pings::User(TIM),
                    ..Message::text(format!("<@{TIM}>\n{FEEDBACK}"))
                },
            }
        );
        // Without feedback: no thread.
        let before = queued(&store).len();
        store
            .write(|w| assess(w, &look, 2, MAX, true, None, T0 + 2))
            .unwrap();
        let effects = queued(&store);
        assert_eq!(effects.len(), before + 1);
        assert!(matches!(effects[before].1, Effect::Edit { .. }));
    }

    #[test]
    fn a_decision_changes_roles_through_a_watched_effect_and_a_refusal_is_told_to_the_supervisor() {
        let texts = Catalogue::defaults();
        let (_dir, store) = Store::temporary();
        let look = Look {
            texts: &texts,
            guild: GUILD,
        };
        store
            .write(|w| {
                w.insert(
                    &PERMISSION_BINDINGS,
                    &(20, Flag::Trainee.name().to_string()),
                    &(),
                )?;
                w.insert(
                    &PERMISSION_BINDINGS,
                    &(30, Flag::Reviewer.name().to_string()),
                    &(),
                )
            })
            .unwrap();
        let change = store
            .write(|w| decide(w, &look, MAX, Decision::Promote, TIM, &[20, 5], T0))
            .unwrap();
        assert_eq!(
            change,
            RoleChange {
                add: Some(30),
                remove: vec![20]
            }
        );
        let effects = queued(&store);
        let [
            (
                row,
                Effect::Member {
                    user,
                    add_roles,
                    remove_roles,
                    nick,
                },
            ),
        ] = effects.as_slice()
        else {
            panic!("{effects:?}");
        };
        assert_eq!(
            (*user, add_roles.as_slice(), remove_roles.as_slice()),
            (TIM, &[30][..], &[20][..])
        );
        assert_eq!(*nick, None);
        let watch = store.write(|w| queue::take_watch(w, *row)).unwrap();
        assert_eq!(
            watch,
            Some(OnRefused::TraineeRoles {
                trainee: TIM,
                by: MAX,
                promoted: true
            })
        );
        assert!(
            crate::audit::summaries(&store)
                .iter()
                .any(|s| s == "TRAINEE_PROMOTED by <@43>: trainee_user_id=<@44> removed_roles=<@&20> added_role=<@&30>")
        );
        // Discord refused it: Max hears of it by DM, in his language.
        store
            .write(|w| {
                i18n::set_preference(w, MAX, Lang::Ru, 0)?;
                roles_refused(w, &texts, TIM, MAX, true)
            })
            .unwrap();
        let effects = queued(&store);
        let Some((_, Effect::Send { to, message, .. })) = effects.last() else {
            panic!("{effects:?}");
        };
        assert_eq!(*to, Destination::Dm(MAX));
        assert!(
            message
                .content
                .starts_with("Discord не дал изменить роли <@44> при повышении")
        );
        // Not a trainee: nothing queued, nothing recorded.
        let refused = store.write(
            |w| match decide(w, &look, MAX, Decision::Expel, 7, &[5], T0) {
                Err(DecisionError::Store(err)) => Err(err),
                other => Ok(other),
            },
        );
        assert!(matches!(
            refused.unwrap(),
            Err(DecisionError::NotATrainee { member: 7 })
        ));
        assert_eq!(queued(&store).len(), effects.len());
    }
}
