//! Reviewers' opinions and GD moderators' resolutions (gd-requestbot §2.4–2.6).
//!
//! A reviewer gives at most one opinion per request, a moderator at most one resolution; both
//! are checked when the button is clicked ([`may_opine`], [`may_resolve`]) and again inside the
//! transaction that stores the answer ([`opine`], [`resolve`]), so two forms open at once cannot
//! both count (§14 "double opinions"). Opinions close with the first resolution. A rejection
//! without a review needs a reason; with a review, or from a moderator, the reason is optional.
//!
//! The first resolution decides: it archives the request, may reopen the queue and, when it
//! rejects, casts the level's `cooldown.post_reject_level_cd`. Later resolutions of other
//! moderators are recorded (and shown on the Resolution Widget) but change nothing else, even
//! when they disagree (gd-requestbot §14 "Multiple GD-mod resolutions").

use crate::audit::{self, Actor, Event, EventId, EventKind};
use crate::i18n::Message;
use crate::params::{self, Param};
use crate::store::{StoreError, Writer};

use super::cooldown::{self, Entity};
use super::create::level_value;
use super::model::{self, Dossier, Grade, Opinion, Resolution, State, Verdict};
use super::queue::{self, Notice};

/// The shortest review accepted, in characters (§2.4).
pub const MIN_REVIEW: usize = 40;
/// The longest review or reason accepted, in characters.
pub const MAX_TEXT: usize = 4000;

/// Why an opinion or resolution was refused; nothing changed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ReviewError {
    /// The request was deleted.
    #[error("no such request")]
    Gone,
    /// Opinions close with the first resolution.
    #[error("the request is resolved")]
    Resolved,
    #[error("this reviewer already gave an opinion")]
    OpinionExists { at: i64 },
    #[error("this moderator already resolved the request")]
    ResolutionExists { at: i64 },
    #[error("the review is too short")]
    ReviewTooShort,
    #[error("a rejection without a review needs a reason")]
    ReasonRequired,
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl ReviewError {
    pub fn message(&self) -> Message {
        match self {
            ReviewError::Gone => Message::new("request.gone"),
            ReviewError::Resolved => Message::new("request.opinion.resolved"),
            ReviewError::OpinionExists { at } => Message::new("request.opinion.exists")
                .with("prev_opinion_ts", format!("<t:{at}:R>")),
            ReviewError::ResolutionExists { at } => Message::new("request.resolution.exists")
                .with("prev_resolution_ts", format!("<t:{at}:R>")),
            ReviewError::ReviewTooShort => {
                Message::new("request.opinion.review_too_short").with("min", MIN_REVIEW)
            }
            ReviewError::ReasonRequired => Message::new("request.opinion.reason_required"),
            ReviewError::Store(_) => Message::new("error.command_error"),
        }
    }
}

/// What a reviewer or moderator wrote.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Said {
    pub review: Option<String>,
    /// A rejection's reason, or an approval's comment.
    pub reason: Option<String>,
}

impl Said {
    /// Trimmed, empty as absent, checked for length.
    pub(super) fn clean(&self) -> Result<Said, ReviewError> {
        let clean = |text: &Option<String>| {
            text.as_deref()
                .map(str::trim)
                .filter(|t| !t.is_empty())
                .map(|t| t.chars().take(MAX_TEXT).collect::<String>())
        };
        let said = Said {
            review: clean(&self.review),
            reason: clean(&self.reason),
        };
        if said
            .review
            .as_ref()
            .is_some_and(|r| r.chars().count() < MIN_REVIEW)
        {
            return Err(ReviewError::ReviewTooShort);
        }
        Ok(said)
    }
}

/// The request, if `user` may still give an opinion on it.
pub fn may_opine(r: &impl crate::store::Read, id: u64, user: u64) -> Result<Dossier, ReviewError> {
    let dossier = model::dossier(r, id)?.ok_or(ReviewError::Gone)?;
    if let Some((_, opinion)) = dossier.opinions.iter().find(|(u, _)| *u == user) {
        return Err(ReviewError::OpinionExists { at: opinion.at });
    }
    if dossier.state() == State::Resolved {
        return Err(ReviewError::Resolved);
    }
    Ok(dossier)
}

/// The request, if `user` has not resolved it yet.
pub fn may_resolve(
    r: &impl crate::store::Read,
    id: u64,
    user: u64,
) -> Result<Dossier, ReviewError> {
    let dossier = model::dossier(r, id)?.ok_or(ReviewError::Gone)?;
    if let Some((_, resolution)) = dossier.resolutions.iter().find(|(u, _)| *u == user) {
        return Err(ReviewError::ResolutionExists { at: resolution.at });
    }
    Ok(dossier)
}

/// A stored opinion or resolution.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Recorded {
    /// The request with the new answer.
    pub dossier: Dossier,
    /// What was kept of the text (trimmed).
    pub said: Said,
    /// The first opinion (the Resolution Widget appears) or the first resolution (the request
    /// is archived).
    pub first: bool,
    pub event: EventId,
    /// The queue reopened by itself.
    pub notice: Option<Notice>,
}

/// Stores `user`'s opinion on request `id`.
pub fn opine(
    w: &mut Writer,
    id: u64,
    user: u64,
    verdict: Verdict,
    said: &Said,
    now: i64,
) -> Result<Recorded, ReviewError> {
    let said = said.clean()?;
    if verdict == Verdict::Reject && said.review.is_none() && said.reason.is_none() {
        return Err(ReviewError::ReasonRequired);
    }
    let before = may_opine(w, id, user)?;
    let first = before.opinions.is_empty();
    let opinion = Opinion {
        verdict,
        review: said.review.clone(),
        reason: said.reason.clone(),
        at: now,
    };
    model::put_opinion(w, id, user, &opinion)?;
    let event = record(
        w,
        EventKind::RequestOpinionAdded,
        &before,
        user,
        verdict,
        &said,
        first,
        now,
    )?;
    let dossier = model::dossier(w, id)?.ok_or(ReviewError::Gone)?;
    Ok(Recorded {
        dossier,
        said,
        first,
        event,
        notice: None,
    })
}

/// Stores moderator `user`'s resolution of request `id`: approved for `grade`, or rejected.
pub fn resolve(
    w: &mut Writer,
    id: u64,
    user: u64,
    grade: Option<Grade>,
    said: &Said,
    now: i64,
) -> Result<Recorded, ReviewError> {
    let said = said.clean()?;
    let before = may_resolve(w, id, user)?;
    let first = before.resolutions.is_empty();
    let resolution = Resolution {
        grade,
        review: said.review.clone(),
        comment: said.reason.clone(),
        at: now,
    };
    model::put_resolution(w, id, user, &resolution)?;
    if first && grade.is_none() {
        let duration = params::duration(w, Param::PostRejectLevelCooldown)?;
        cooldown::apply_automatic(w, Entity::Level(before.request.level.id), duration, now)?;
    }
    let kind = EventKind::RequestResolutionAdded;
    let event = record(
        w,
        kind,
        &before,
        user,
        resolution.verdict(),
        &said,
        first,
        now,
    )?;
    let notice = if first {
        queue::after_resolution(w, now)?
    } else {
        None
    };
    let dossier = model::dossier(w, id)?.ok_or(ReviewError::Gone)?;
    Ok(Recorded {
        dossier,
        said,
        first,
        event,
        notice,
    })
}

/// `REQUEST_OPINION_ADDED` / `REQUEST_RESOLUTION_ADDED` (§8.2).
#[allow(clippy::too_many_arguments)]
fn record(
    w: &mut Writer,
    kind: EventKind,
    dossier: &Dossier,
    user: u64,
    verdict: Verdict,
    said: &Said,
    first: bool,
    now: i64,
) -> Result<EventId, StoreError> {
    let level = &dossier.request.level;
    let event = Event::new(kind, Actor::User(user), now)
        .with("request_id", i64::try_from(dossier.id).unwrap_or(i64::MAX))
        .with("level_id", level_value(level.id))
        .with("level_name", level.name.as_str())
        .with("opinion", verdict.audit_name())
        .with("is_first", first)
        .with(
            "review",
            if said.review.is_some() {
                "yes"
            } else {
                "NO_REVIEW"
            },
        )
        .with("reason", said.reason.as_deref().unwrap_or("NO_REASON"));
    audit::record(w, &event)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use crate::requests::model::tests::request;
    use crate::store::Store;

    const KIRA: u64 = 42;
    const MAX: u64 = 43;
    const T0: i64 = 1_800_000_000;

    fn review() -> Option<String> {
        Some("A careful review that is long enough to count as one.".into())
    }

    fn stored() -> (tempfile::TempDir, Store) {
        let (dir, store) = Store::temporary();
        store
            .write(|w| model::insert(w, &request(128, 46, T0)))
            .unwrap();
        (dir, store)
    }

    #[test]
    fn one_opinion_per_reviewer_and_rejections_need_a_reason() {
        let (_dir, store) = stored();
        let said = |review: Option<String>, reason: Option<&str>| Said {
            review,
            reason: reason.map(str::to_string),
        };
        let opine_now =
            |user, verdict, s: &Said| store.write(|w| opine(w, 1, user, verdict, s, T0));
        assert!(matches!(
            opine_now(KIRA, Verdict::Reject, &said(None, Some("  "))),
            Err(ReviewError::ReasonRequired)
        ));
        assert!(matches!(
            opine_now(
                KIRA,
                Verdict::Approve,
                &said(Some("too short".into()), None)
            ),
            Err(ReviewError::ReviewTooShort)
        ));
        let first = opine_now(KIRA, Verdict::Approve, &said(review(), None)).unwrap();
        assert!(first.first);
        assert!(matches!(
            opine_now(KIRA, Verdict::Reject, &said(None, Some("changed my mind"))),
            Err(ReviewError::OpinionExists { at: T0 })
        ));
        let second = opine_now(MAX, Verdict::Reject, &said(None, Some("bugs"))).unwrap();
        assert!(!second.first);
        assert_eq!(second.dossier.opinions.len(), 2);
        assert!(matches!(
            store.read(|r| Ok(may_opine(r, 2, KIRA))).unwrap(),
            Err(ReviewError::Gone)
        ));
    }

    #[test]
    fn resolutions_archive_once_cast_level_cooldowns_and_close_opinions() {
        let (_dir, store) = stored();
        let resolve_now =
            |user, grade, now| store.write(|w| resolve(w, 1, user, grade, &Said::default(), now));
        let first = resolve_now(MAX, None, T0).unwrap();
        assert!(first.first);
        let cooldown = store
            .read(|r| cooldown::active(r, Entity::Level(128), T0))
            .unwrap()
            .unwrap();
        assert_eq!(cooldown.ends_at, Some(T0 + 7 * 86_400));
        assert!(matches!(
            resolve_now(MAX, Some(Grade::Epic), T0),
            Err(ReviewError::ResolutionExists { .. })
        ));
        // Another moderator may still resolve; it is not the first, and a later rejection
        // casts no cooldown of its own.
        let other = resolve_now(1, Some(Grade::Epic), T0 + 5).unwrap();
        assert!(!other.first);
        assert_eq!(other.dossier.resolutions.len(), 2);
        let later = store
            .write(|w| resolve(w, 1, 2, None, &Said::default(), T0 + 86_400))
            .unwrap();
        assert!(!later.first);
        let cooldown = store
            .read(|r| cooldown::active(r, Entity::Level(128), T0))
            .unwrap()
            .unwrap();
        assert_eq!(cooldown.ends_at, Some(T0 + 7 * 86_400), "not extended");
        // Opinions are closed.
        assert!(matches!(
            store.read(|r| Ok(may_opine(r, 1, KIRA))).unwrap(),
            Err(ReviewError::Resolved)
        ));
        let summaries = audit::summaries(&store);
        assert_eq!(
            summaries
                .iter()
                .filter(|s| s.contains("REQUEST_RESOLUTION_ADDED"))
                .count(),
            3,
            "{summaries:?}"
        );
    }
}
