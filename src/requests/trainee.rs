//! Trainees (gd-requestbot §2.8, §2.9): practice reviews, their assessment by a supervisor, a
//! trainee's record, and the roles a promotion or an expulsion changes.
//!
//! A practice review never becomes an opinion: it is stored apart (`trainee_reviews`), never
//! pings the request's author, and never counts in the Consensus, the queue or a resolution. A
//! trainee reviews a request at most once ([`may_practise`]) and a review is assessed at most
//! once ([`may_assess`]); both are checked when the button is clicked and again inside the
//! transaction that stores the answer, so two forms open at once cannot both count (the
//! original enforced "assessed once" only by removing the buttons, §14).
//!
//! A practice review outlives its request: `/request delete` leaves it, and its assessment, in
//! the trainee's record (`/reviews user` shows the request as deleted).
//!
//! Promotion and expulsion ([`plan`]) read the permission bindings in the transaction that
//! records them: the roles bound to `trainee` that the member has are taken away, and a
//! promotion gives one role bound to `reviewer` (the oldest, unless the member has one already).

use serde::{Deserialize, Serialize};

use crate::access::{self, Flag};
use crate::audit::{self, Actor, Event, EventId, EventKind, Value};
use crate::i18n::{Lang, Message};
use crate::outbox::{self, Posted};
use crate::store::{META, Read, StoreError, Table, Writer};

use super::create::level_value;
use super::model::{self, Dossier, Verdict, anchor};
use super::review::{MAX_TEXT, ReviewError, Said};

/// The key of `stagehand_meta` holding the id the next practice review gets.
const NEXT_ID: &str = "trainee_review_next";

/// Practice reviews: review id → review.
pub(crate) const REVIEWS: Table<u64, PracticeReview> = Table::new("trainee_reviews");

/// Who practised on what: `(trainee id, request id)` → review id; one per trainee and request.
pub(crate) const BY_TRAINEE: Table<(u64, u64), u64> = Table::new("trainee_reviews_by_trainee");

/// Assessments of practice reviews: review id → assessment; at most one per review.
pub(crate) const ASSESSMENTS: Table<u64, Assessment> = Table::new("trainee_assessments");

/// The shortest feedback accepted, in characters (§2.9).
pub const MIN_FEEDBACK: usize = 40;

/// A trainee's practice review of a request.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PracticeReview {
    pub request: u64,
    pub trainee: u64,
    /// The level as it was requested (the request may be deleted later).
    pub level_id: u64,
    pub level_name: String,
    /// The request's language: the review is posted in it.
    pub lang: Lang,
    pub verdict: Verdict,
    pub review: String,
    pub reason: Option<String>,
    /// Where the request's card (its Reviewer's Widget or archive entry) was when the review
    /// was written: the review's "request info" link.
    pub card: Option<Posted>,
    /// Unix seconds.
    pub at: i64,
}

/// A supervisor's assessment of a practice review.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Assessment {
    pub supervisor: u64,
    pub accepted: bool,
    pub feedback: Option<String>,
    /// Unix seconds.
    pub at: i64,
}

/// A trainee's record (§2.9 step 3).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Stats {
    /// Practice reviews written.
    pub reviews: u64,
    /// Of those, assessed.
    pub assessed: u64,
    /// Of those, accepted.
    pub accepted: u64,
}

impl Stats {
    /// Reviews waiting for an assessment.
    pub fn waiting(self) -> u64 {
        self.reviews.saturating_sub(self.assessed)
    }

    /// The accepted share of the assessed reviews in percent, rounded half up; 0 when none.
    pub fn percent(self) -> u64 {
        if self.assessed == 0 {
            return 0;
        }
        (self.accepted * 200 + self.assessed) / (2 * self.assessed)
    }

    /// Assessments still needed to reach `threshold`.
    pub fn left(self, threshold: u64) -> u64 {
        threshold.saturating_sub(self.assessed)
    }
}

/// Why a practice review was refused; nothing changed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum PracticeError {
    /// The request was deleted.
    #[error("no such request")]
    Gone,
    #[error("this trainee already reviewed the request")]
    Exists { at: i64 },
    /// A trainee practises by writing: the "no review" buttons are not theirs.
    #[error("a practice review needs a written review")]
    ReviewRequired,
    #[error("the review is too short")]
    ReviewTooShort,
    /// The route of practice reviews is off or has no channel: no supervisor would see it.
    #[error("the trainee reviews' channel is not set")]
    NoChannel,
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl PracticeError {
    pub fn message(&self) -> Message {
        match self {
            PracticeError::Gone => Message::new("request.gone"),
            PracticeError::Exists { at } => Message::new("trainee.practice.exists")
                .with("prev_review_ts", format!("<t:{at}:R>")),
            PracticeError::ReviewRequired => Message::new("trainee.practice.review_required"),
            PracticeError::ReviewTooShort => Message::new("request.opinion.review_too_short")
                .with("min", super::review::MIN_REVIEW),
            PracticeError::NoChannel => Message::new("trainee.practice.no_channel"),
            PracticeError::Store(_) => Message::new("error.command_error"),
        }
    }
}

/// Why an assessment was refused; nothing changed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum AssessError {
    /// There is no such practice review (a forged control).
    #[error("no such practice review")]
    Gone,
    #[error("the review was already assessed")]
    Already { by: u64, at: i64 },
    /// A supervisor who is a trainee too does not assess their own review.
    #[error("one's own review")]
    Own,
    #[error("the feedback is too short")]
    FeedbackTooShort,
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl AssessError {
    pub fn message(&self) -> Message {
        match self {
            AssessError::Gone => Message::new("trainee.assess.gone"),
            AssessError::Already { by, at } => Message::new("trainee.assess.already")
                .with("supervisor", format!("<@{by}>"))
                .with("at", format!("<t:{at}:R>")),
            AssessError::Own => Message::new("trainee.assess.own"),
            AssessError::FeedbackTooShort => {
                Message::new("trainee.assess.feedback_too_short").with("min", MIN_FEEDBACK)
            }
            AssessError::Store(_) => Message::new("error.command_error"),
        }
    }
}

/// Promote or expel.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Decision {
    Promote,
    Expel,
}

/// Why a promotion or expulsion was refused; nothing changed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum DecisionError {
    /// The member holds no role bound to `trainee`.
    #[error("not a trainee")]
    NotATrainee { member: u64 },
    /// No role (other than `@everyone`) is bound to this flag.
    #[error("no role is bound to {}", .0.name())]
    NoRole(Flag),
    /// The member is no longer in the server.
    #[error("not a member")]
    Left { member: u64 },
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl DecisionError {
    pub fn message(&self) -> Message {
        match self {
            DecisionError::NotATrainee { member } => Message::new("trainee.decision.not_a_trainee")
                .with("member", format!("<@{member}>")),
            DecisionError::NoRole(flag) => Message::new("trainee.decision.role_not_associated")
                .with("permission", format!("`{}`", flag.name())),
            DecisionError::Left { member } => {
                Message::new("trainee.decision.left").with("member", format!("<@{member}>"))
            }
            DecisionError::Store(_) => Message::new("error.command_error"),
        }
    }
}

/// What a promotion or an expulsion does to the member's roles.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RoleChange {
    /// The role bound to `reviewer` a promotion gives (none when the member has one already).
    pub add: Option<u64>,
    /// The roles bound to `trainee` the member has.
    pub remove: Vec<u64>,
}

pub fn get(r: &impl Read, id: u64) -> Result<Option<PracticeReview>, StoreError> {
    r.get(&REVIEWS, &id)
}

pub fn assessment(r: &impl Read, id: u64) -> Result<Option<Assessment>, StoreError> {
    r.get(&ASSESSMENTS, &id)
}

/// The practice review `trainee` wrote on `request`, with its id.
pub fn written(
    r: &impl Read,
    trainee: u64,
    request: u64,
) -> Result<Option<(u64, PracticeReview)>, StoreError> {
    let Some(id) = r.get(&BY_TRAINEE, &(trainee, request))? else {
        return Ok(None);
    };
    Ok(get(r, id)?.map(|review| (id, review)))
}

/// Every practice review of `trainee`, with its id, in the order of the requests.
pub fn by_trainee(r: &impl Read, trainee: u64) -> Result<Vec<(u64, PracticeReview)>, StoreError> {
    let ids = r.range(&BY_TRAINEE, &(trainee, 0), &(trainee, u64::MAX), usize::MAX)?;
    let mut found = Vec::with_capacity(ids.len());
    for (_, id) in ids {
        if let Some(review) = get(r, id)? {
            found.push((id, review));
        }
    }
    Ok(found)
}

/// `trainee`'s record: practice reviews written, assessed, accepted.
pub fn stats(r: &impl Read, trainee: u64) -> Result<Stats, StoreError> {
    let mut stats = Stats::default();
    for (id, _) in by_trainee(r, trainee)? {
        stats.reviews += 1;
        if let Some(assessment) = assessment(r, id)? {
            stats.assessed += 1;
            stats.accepted += u64::from(assessment.accepted);
        }
    }
    Ok(stats)
}

/// Where request `id`'s card is: its Reviewer's Widget while pending, its archive entry once
/// resolved; `None` when neither was delivered.
pub fn card(r: &impl Read, id: u64) -> Result<Option<Posted>, StoreError> {
    match outbox::posted(r, &anchor::reviewers(id))? {
        Some(place) => Ok(Some(place)),
        None => outbox::posted(r, &anchor::archive(id)),
    }
}

/// The requests `trainee` may be given to practise on, in id order: every request they did not
/// ask for, have not reviewed as a trainee, and gave no opinion or resolution on.
pub fn candidates(r: &impl Read, trainee: u64) -> Result<Vec<u64>, StoreError> {
    let mut taken: Vec<u64> = r
        .range(&BY_TRAINEE, &(trainee, 0), &(trainee, u64::MAX), usize::MAX)?
        .into_iter()
        .map(|((_, request), _)| request)
        .collect();
    let own = r.range(
        &model::REQUESTS_BY_AUTHOR,
        &(trainee, 0),
        &(trainee, u64::MAX),
        usize::MAX,
    )?;
    taken.extend(own.into_iter().map(|((_, request), ())| request));
    for (request, user) in r
        .keys(&model::OPINIONS)?
        .into_iter()
        .chain(r.keys(&model::RESOLUTIONS)?)
    {
        if user == trainee {
            taken.push(request);
        }
    }
    taken.sort_unstable();
    Ok(r.keys(&model::REQUESTS)?
        .into_iter()
        .filter(|id| taken.binary_search(id).is_err())
        .collect())
}

/// The request, if `trainee` may still practise on it.
pub fn may_practise(r: &impl Read, request: u64, trainee: u64) -> Result<Dossier, PracticeError> {
    let dossier = model::dossier(r, request)?.ok_or(PracticeError::Gone)?;
    if let Some((_, review)) = written(r, trainee, request)? {
        return Err(PracticeError::Exists { at: review.at });
    }
    Ok(dossier)
}

/// Stores `trainee`'s practice review of `request` and records `TRAINEE_REVIEW_ADDED`; returns
/// its id and the review. `card` is where the request's card is now (see [`card`]).
pub fn practise(
    w: &mut Writer,
    request: u64,
    trainee: u64,
    verdict: Verdict,
    said: &Said,
    card: Option<Posted>,
    now: i64,
) -> Result<(u64, PracticeReview), PracticeError> {
    let said = said.clean().map_err(|err| match err {
        ReviewError::ReviewTooShort => PracticeError::ReviewTooShort,
        ReviewError::Store(err) => PracticeError::Store(err),
        _ => PracticeError::ReviewRequired,
    })?;
    let Some(text) = said.review else {
        return Err(PracticeError::ReviewRequired);
    };
    let dossier = may_practise(w, request, trainee)?;
    let id = w.get(&META, NEXT_ID)?.unwrap_or(1);
    w.insert(&META, NEXT_ID, &(id + 1))?;
    let level = &dossier.request.level;
    let review = PracticeReview {
        request,
        trainee,
        level_id: level.id,
        level_name: level.name.clone(),
        lang: dossier.request.lang,
        verdict,
        review: text,
        reason: said.reason,
        card,
        at: now,
    };
    w.insert(&REVIEWS, &id, &review)?;
    w.insert(&BY_TRAINEE, &(trainee, request), &id)?;
    let event = Event::new(EventKind::TraineeReviewAdded, Actor::User(trainee), now)
        .with("request_id", i64::try_from(request).unwrap_or(i64::MAX))
        .with("level_id", level_value(level.id))
        .with("level_name", level.name.as_str())
        .with("review_id", i64::try_from(id).unwrap_or(i64::MAX))
        .with("opinion", verdict.audit_name());
    audit::record(w, &event)?;
    Ok((id, review))
}

/// Stores a practice review as another bot kept it (`stagehand import`), without an event or a
/// card of Stagehand's; returns its id. A second review by the same trainee of the same request
/// is refused with `None`, as [`practise`] refuses it.
pub fn import(w: &mut Writer, review: &PracticeReview) -> Result<Option<u64>, StoreError> {
    if w.get(&BY_TRAINEE, &(review.trainee, review.request))?
        .is_some()
    {
        return Ok(None);
    }
    let id = w.get(&META, NEXT_ID)?.unwrap_or(1);
    w.insert(&META, NEXT_ID, &(id + 1))?;
    w.insert(&REVIEWS, &id, review)?;
    w.insert(&BY_TRAINEE, &(review.trainee, review.request), &id)?;
    Ok(Some(id))
}

/// How many practice reviews are stored.
pub fn count(r: &impl Read) -> Result<u64, StoreError> {
    r.len(&REVIEWS)
}

/// Empties the practice reviews and their assessments (`stagehand import requestbot
/// --replace`, after a snapshot).
pub fn clear(w: &mut Writer) -> Result<(), StoreError> {
    w.clear(&REVIEWS)?;
    w.clear(&BY_TRAINEE)?;
    w.clear(&ASSESSMENTS)?;
    Ok(())
}

/// Stores the assessment of practice review `id` as another bot kept it (`stagehand import`);
/// `false` (and nothing stored) when the review already has one.
pub fn import_assessment(
    w: &mut Writer,
    id: u64,
    assessment: &Assessment,
) -> Result<bool, StoreError> {
    if w.get(&ASSESSMENTS, &id)?.is_some() {
        return Ok(false);
    }
    w.insert(&ASSESSMENTS, &id, assessment)?;
    Ok(true)
}

/// The practice review, if `supervisor` may assess it now.
pub fn may_assess(r: &impl Read, id: u64, supervisor: u64) -> Result<PracticeReview, AssessError> {
    let review = get(r, id)?.ok_or(AssessError::Gone)?;
    if let Some(done) = assessment(r, id)? {
        return Err(AssessError::Already {
            by: done.supervisor,
            at: done.at,
        });
    }
    if review.trainee == supervisor {
        return Err(AssessError::Own);
    }
    Ok(review)
}

/// A stored assessment.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Assessed {
    pub review: PracticeReview,
    pub assessment: Assessment,
    /// The trainee's record, this assessment included.
    pub stats: Stats,
    pub event: EventId,
}

/// Stores `supervisor`'s assessment of practice review `id` (the feedback trimmed; empty is
/// none) and records `TRAINEE_REVIEW_RESOLVED`, naming the review by its link in `guild` once
/// its message is posted, else by its id.
pub fn assess(
    w: &mut Writer,
    id: u64,
    supervisor: u64,
    accepted: bool,
    feedback: Option<&str>,
    guild: u64,
    now: i64,
) -> Result<Assessed, AssessError> {
    let feedback = feedback
        .map(str::trim)
        .filter(|f| !f.is_empty())
        .map(|f| f.chars().take(MAX_TEXT).collect::<String>());
    if feedback
        .as_ref()
        .is_some_and(|f| f.chars().count() < MIN_FEEDBACK)
    {
        return Err(AssessError::FeedbackTooShort);
    }
    let review = may_assess(w, id, supervisor)?;
    let assessment = Assessment {
        supervisor,
        accepted,
        feedback,
        at: now,
    };
    w.insert(&ASSESSMENTS, &id, &assessment)?;
    let stats = stats(w, review.trainee)?;
    let named = match outbox::posted(w, &anchor::practice(id))? {
        Some(place) => place.link(guild),
        None => id.to_string(),
    };
    let count = |n: u64| i64::try_from(n).unwrap_or(i64::MAX);
    let event = Event::new(
        EventKind::TraineeReviewResolved,
        Actor::User(supervisor),
        now,
    )
    .with("review", named)
    .with("trainee_user_id", Value::User(review.trainee))
    .with("accepted", accepted)
    .with(
        "feedback",
        assessment.feedback.as_deref().unwrap_or("NO_FEEDBACK"),
    )
    .with("review_cnt", count(stats.reviews))
    .with("resolved_review_cnt", count(stats.assessed))
    .with("accepted_review_cnt", count(stats.accepted))
    .with("review_id", count(id));
    let event = audit::record(w, &event)?;
    Ok(Assessed {
        review,
        assessment,
        stats,
        event,
    })
}

/// What promoting or expelling `member`, who has the roles `member_roles`, does to their roles
/// (§2.9): refused when they hold no role bound to `trainee` (a flag through `@everyone`, the
/// role `guild`, makes everyone a trainee and no role to take), when no role but `@everyone` is
/// bound to `trainee`, or, for a promotion, when no role is bound to `reviewer` that is not
/// also bound to `trainee`.
pub fn plan(
    r: &impl Read,
    decision: Decision,
    member: u64,
    member_roles: &[u64],
    guild: u64,
) -> Result<RoleChange, DecisionError> {
    let bound = access::roles_with(r, Flag::Trainee)?;
    let holds = |roles: &[u64]| {
        member_roles
            .iter()
            .chain([&guild])
            .any(|r| roles.contains(r))
    };
    if !holds(&bound) {
        return Err(DecisionError::NotATrainee { member });
    }
    let trainee_roles: Vec<u64> = bound.into_iter().filter(|r| *r != guild).collect();
    if trainee_roles.is_empty() {
        return Err(DecisionError::NoRole(Flag::Trainee));
    }
    let mut remove: Vec<u64> = member_roles
        .iter()
        .copied()
        .filter(|r| trainee_roles.contains(r))
        .collect();
    remove.sort_unstable();
    remove.dedup();
    let add = match decision {
        Decision::Expel => None,
        Decision::Promote => {
            let mut reviewer_roles: Vec<u64> = access::roles_with(r, Flag::Reviewer)?
                .into_iter()
                .filter(|r| *r != guild && !trainee_roles.contains(r))
                .collect();
            reviewer_roles.sort_unstable();
            let Some(&oldest) = reviewer_roles.first() else {
                return Err(DecisionError::NoRole(Flag::Reviewer));
            };
            let has_one = member_roles.iter().any(|r| reviewer_roles.contains(r));
            (!has_one).then_some(oldest)
        }
    };
    Ok(RoleChange { add, remove })
}

/// Records `TRAINEE_PROMOTED` or `TRAINEE_EXPELLED` of `member` by `actor`, with the roles it
/// changes.
pub fn record_decision(
    w: &mut Writer,
    actor: u64,
    decision: Decision,
    member: u64,
    change: &RoleChange,
    now: i64,
) -> Result<EventId, StoreError> {
    let kind = match decision {
        Decision::Promote => EventKind::TraineePromoted,
        Decision::Expel => EventKind::TraineeExpelled,
    };
    let removed: Vec<String> = change.remove.iter().map(|r| format!("<@&{r}>")).collect();
    let mut event = Event::new(kind, Actor::User(actor), now)
        .with("trainee_user_id", Value::User(member))
        .with("removed_roles", removed.join(", "));
    if decision == Decision::Promote {
        event = event.with("added_role", change.add.map_or(Value::Absent, Value::Role));
    }
    audit::record(w, &event)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use crate::requests::model::tests::request;
    use crate::store::Store;

    const TIM: u64 = 44;
    const MAX: u64 = 43;
    const AUTHOR: u64 = 46;
    const T0: i64 = 1_800_000_000;
    const GUILD: u64 = 1000;
    const TRAINEE_ROLE: u64 = 20;
    const REVIEWER_ROLE: u64 = 30;

    fn said(review: &str, reason: Option<&str>) -> Said {
        Said {
            review: Some(review.into()),
            reason: reason.map(str::to_string),
        }
    }

    const REVIEW: &str = "A careful practice review, long enough to count as one.";

    fn stored() -> (tempfile::TempDir, Store) {
        let (dir, store) = Store::temporary();
        store
            .write(|w| {
                model::insert(w, &request(128, AUTHOR, T0))?;
                model::insert(w, &request(129, AUTHOR, T0))?;
                model::insert(w, &request(130, TIM, T0))
            })
            .unwrap();
        (dir, store)
    }

    fn practise_now(store: &Store, request: u64, review: &Said) -> Result<u64, PracticeError> {
        store
            .write(
                |w| match practise(w, request, TIM, Verdict::Reject, review, None, T0) {
                    Ok((id, _)) => Ok(Ok(id)),
                    Err(PracticeError::Store(err)) => Err(err),
                    Err(other) => Ok(Err(other)),
                },
            )
            .unwrap()
    }

    #[test]
    fn a_trainee_reviews_each_request_once_and_never_gives_an_opinion() {
        let (_dir, store) = stored();
        assert!(matches!(
            practise_now(&store, 1, &Said::default()),
            Err(PracticeError::ReviewRequired)
        ));
        assert!(matches!(
            practise_now(&store, 1, &said("too short", None)),
            Err(PracticeError::ReviewTooShort)
        ));
        assert!(matches!(
            practise_now(&store, 9, &said(REVIEW, None)),
            Err(PracticeError::Gone)
        ));
        let id = practise_now(&store, 1, &said(REVIEW, Some("  spikes "))).unwrap();
        assert_eq!(id, 1);
        let stored = store.read(|r| get(r, id)).unwrap().unwrap();
        assert_eq!(stored.reason.as_deref(), Some("spikes"));
        assert_eq!(stored.level_name, "Level 128");
        assert!(matches!(
            practise_now(&store, 1, &said(REVIEW, None)),
            Err(PracticeError::Exists { at: T0 })
        ));
        // Nothing counts as an opinion: the request is still ignored, still pending.
        let dossier = store.read(|r| model::dossier(r, 1)).unwrap().unwrap();
        assert!(dossier.opinions.is_empty());
        assert_eq!(dossier.state(), model::State::Ignored);
        assert_eq!(store.read(model::pending_count).unwrap(), 3);
        // Left to practise on: not request 1 (reviewed), not 3 (Tim asked for it).
        assert_eq!(store.read(|r| candidates(r, TIM)).unwrap(), [2]);
        assert_eq!(store.read(|r| candidates(r, MAX)).unwrap(), [1, 2, 3]);
        let summaries = audit::summaries(&store);
        assert!(
            summaries.iter().any(|s| s
                == &format!(
                    "TRAINEE_REVIEW_ADDED by <@{TIM}>: request_id=1 level_id=128 level_name=\"Level 128\" review_id=1 opinion=rejected"
                )),
            "{summaries:?}"
        );
    }

    #[test]
    fn a_review_is_assessed_once_and_the_record_counts_it() {
        let (_dir, store) = stored();
        let first = practise_now(&store, 1, &said(REVIEW, None)).unwrap();
        let second = practise_now(&store, 2, &said(REVIEW, None)).unwrap();
        let assess_now = |id, by, accepted, feedback: Option<&str>| {
            store.write(
                |w| match assess(w, id, by, accepted, feedback, GUILD, T0 + 5) {
                    Ok(done) => Ok(Ok(done)),
                    Err(AssessError::Store(err)) => Err(err),
                    Err(other) => Ok(Err(other)),
                },
            )
        };
        assert!(matches!(
            assess_now(first, MAX, true, Some("short")).unwrap(),
            Err(AssessError::FeedbackTooShort)
        ));
        assert!(matches!(
            assess_now(first, TIM, true, None).unwrap(),
            Err(AssessError::Own)
        ));
        assert!(matches!(
            assess_now(99, MAX, true, None).unwrap(),
            Err(AssessError::Gone)
        ));
        let done = assess_now(first, MAX, false, Some("   ")).unwrap().unwrap();
        assert_eq!(done.assessment.feedback, None, "blank feedback is none");
        assert_eq!(
            done.stats,
            Stats {
                reviews: 2,
                assessed: 1,
                accepted: 0
            }
        );
        assert!(matches!(
            assess_now(first, 1, true, None).unwrap(),
            Err(AssessError::Already { by: MAX, at }) if at == T0 + 5
        ));
        let feedback = "Good eye for the gameplay, but say more about the decoration.";
        let done = assess_now(second, MAX, true, Some(feedback))
            .unwrap()
            .unwrap();
        assert_eq!(done.stats.percent(), 50);
        assert_eq!(done.stats.waiting(), 0);
        assert_eq!(done.stats.left(3), 1);
        let summaries = audit::summaries(&store);
        let resolved: Vec<&String> = summaries
            .iter()
            .filter(|s| s.starts_with("TRAINEE_REVIEW_RESOLVED"))
            .collect();
        assert_eq!(resolved.len(), 2, "{summaries:?}");
        assert_eq!(
            resolved[0],
            &format!(
                "TRAINEE_REVIEW_RESOLVED by <@{MAX}>: review=1 trainee_user_id=<@{TIM}> accepted=false feedback=NO_FEEDBACK review_cnt=2 resolved_review_cnt=1 accepted_review_cnt=0 review_id=1"
            )
        );
        // Deleting a request leaves the trainee's record as it was.
        store
            .write(|w| model::delete(w, Actor::User(1), 1, T0 + 9))
            .unwrap();
        assert_eq!(store.read(|r| stats(r, TIM)).unwrap().assessed, 2);
    }

    #[test]
    fn percentages_round_half_up() {
        let stats = |assessed, accepted| Stats {
            reviews: assessed,
            assessed,
            accepted,
        };
        assert_eq!(stats(0, 0).percent(), 0);
        assert_eq!(stats(3, 2).percent(), 67);
        assert_eq!(stats(3, 1).percent(), 33);
        assert_eq!(stats(8, 1).percent(), 13, "12.5 rounds up");
        assert_eq!(stats(4, 4).percent(), 100);
    }

    fn bind(store: &Store, role: u64, flag: Flag) {
        store
            .write(|w| {
                w.insert(
                    &access::PERMISSION_BINDINGS,
                    &(role, flag.name().to_string()),
                    &(),
                )
            })
            .unwrap();
    }

    #[test]
    fn promotion_takes_the_trainee_roles_and_gives_one_reviewer_role() {
        let (_dir, store) = Store::temporary();
        let plan_now = |decision, roles: &[u64]| {
            store
                .read(|r| Ok(plan(r, decision, TIM, roles, GUILD)))
                .unwrap()
        };
        // Nothing bound: nobody is a trainee.
        assert!(matches!(
            plan_now(Decision::Promote, &[TRAINEE_ROLE]),
            Err(DecisionError::NotATrainee { member: TIM })
        ));
        // `trainee` only through @everyone: a trainee, but no role to take.
        bind(&store, GUILD, Flag::Trainee);
        assert!(matches!(
            plan_now(Decision::Expel, &[]),
            Err(DecisionError::NoRole(Flag::Trainee))
        ));
        bind(&store, TRAINEE_ROLE, Flag::Trainee);
        assert!(matches!(
            plan_now(Decision::Promote, &[TRAINEE_ROLE]),
            Err(DecisionError::NoRole(Flag::Reviewer))
        ));
        assert_eq!(
            plan_now(Decision::Expel, &[7, TRAINEE_ROLE]).unwrap(),
            RoleChange {
                add: None,
                remove: vec![TRAINEE_ROLE]
            }
        );
        // A role bound to both is no reviewer role to give.
        bind(&store, TRAINEE_ROLE, Flag::Reviewer);
        assert!(matches!(
            plan_now(Decision::Promote, &[TRAINEE_ROLE]),
            Err(DecisionError::NoRole(Flag::Reviewer))
        ));
        bind(&store, REVIEWER_ROLE + 5, Flag::Reviewer);
        bind(&store, REVIEWER_ROLE, Flag::Reviewer);
        assert_eq!(
            plan_now(Decision::Promote, &[TRAINEE_ROLE]).unwrap(),
            RoleChange {
                add: Some(REVIEWER_ROLE),
                remove: vec![TRAINEE_ROLE]
            },
            "the oldest reviewer role"
        );
        assert_eq!(
            plan_now(Decision::Promote, &[TRAINEE_ROLE, REVIEWER_ROLE + 5])
                .unwrap()
                .add,
            None,
            "a reviewer role already held"
        );
    }
}
