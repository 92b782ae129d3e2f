//! Every review written on the desk, as `/reviews` lists them (gd-requestbot §1.11): the
//! reviews of a level's requests ([`of_level`]) and the reviews a member wrote ([`by_author`]).
//!
//! A review is the text of an opinion, of a resolution, or of a trainee's practice review, with
//! where its message landed (`None` when it was never delivered, or Stagehand deleted it with its
//! request). Whether Discord still has that message is the caller's to ask. Opinions and
//! resolutions go with their request; practice reviews outlive it, and are listed with the
//! request marked as deleted.

use crate::outbox::{self, Posted};
use crate::store::{Read, StoreError};

use super::model::{self, Verdict, anchor};
use super::trainee;

/// What kind of review it is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// A reviewer's opinion.
    Opinion,
    /// A GD moderator's resolution.
    Resolution,
    /// A trainee's practice review.
    Practice,
}

/// One review.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Written {
    pub author: u64,
    pub request: u64,
    pub level_id: u64,
    pub level_name: String,
    pub verdict: Verdict,
    pub kind: Kind,
    /// Unix seconds.
    pub at: i64,
    /// The request was deleted since (only practice reviews outlive it).
    pub request_deleted: bool,
    /// Where its message landed, once delivered.
    pub posted: Option<Posted>,
}

/// Every review of every request for `level` that is not a practice review, oldest first
/// (§1.11).
pub fn of_level(r: &impl Read, level: u64) -> Result<Vec<Written>, StoreError> {
    let mut found = Vec::new();
    for dossier in model::for_level(r, level)? {
        let facts = &dossier.request.level;
        let mut push = |author: u64, verdict, kind, at, posted| {
            found.push(Written {
                author,
                request: dossier.id,
                level_id: facts.id,
                level_name: facts.name.clone(),
                verdict,
                kind,
                at,
                request_deleted: false,
                posted,
            });
        };
        for (user, opinion) in &dossier.opinions {
            if opinion.review.is_some() {
                let posted = outbox::posted(r, &anchor::review(dossier.id, *user, false))?;
                push(*user, opinion.verdict, Kind::Opinion, opinion.at, posted);
            }
        }
        for (user, resolution) in &dossier.resolutions {
            if resolution.review.is_some() {
                let posted = outbox::posted(r, &anchor::review(dossier.id, *user, true))?;
                let verdict = resolution.verdict();
                push(*user, verdict, Kind::Resolution, resolution.at, posted);
            }
        }
    }
    found.sort_by_key(|w| (w.at, w.request, w.author));
    Ok(found)
}

/// Every review `user` wrote, practice reviews included, newest first (§14: the README promised
/// newest first; the original listed oldest first).
pub fn by_author(r: &impl Read, user: u64) -> Result<Vec<Written>, StoreError> {
    let mut found = Vec::new();
    for (request, author) in r.keys(&model::OPINIONS)? {
        if author != user {
            continue;
        }
        let (Some(opinion), Some(asked)) = (
            r.get(&model::OPINIONS, &(request, user))?,
            model::get(r, request)?,
        ) else {
            continue;
        };
        if opinion.review.is_some() {
            found.push(Written {
                author: user,
                request,
                level_id: asked.level.id,
                level_name: asked.level.name,
                verdict: opinion.verdict,
                kind: Kind::Opinion,
                at: opinion.at,
                request_deleted: false,
                posted: outbox::posted(r, &anchor::review(request, user, false))?,
            });
        }
    }
    for (request, author) in r.keys(&model::RESOLUTIONS)? {
        if author != user {
            continue;
        }
        let (Some(resolution), Some(asked)) = (
            r.get(&model::RESOLUTIONS, &(request, user))?,
            model::get(r, request)?,
        ) else {
            continue;
        };
        if resolution.review.is_some() {
            found.push(Written {
                author: user,
                request,
                level_id: asked.level.id,
                level_name: asked.level.name,
                verdict: resolution.verdict(),
                kind: Kind::Resolution,
                at: resolution.at,
                request_deleted: false,
                posted: outbox::posted(r, &anchor::review(request, user, true))?,
            });
        }
    }
    for (id, review) in trainee::by_trainee(r, user)? {
        found.push(Written {
            author: user,
            request: review.request,
            level_id: review.level_id,
            level_name: review.level_name,
            verdict: review.verdict,
            kind: Kind::Practice,
            at: review.at,
            request_deleted: model::get(r, review.request)?.is_none(),
            posted: outbox::posted(r, &anchor::practice(id))?,
        });
    }
    found.sort_by_key(|w| std::cmp::Reverse((w.at, w.request)));
    Ok(found)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use crate::requests::model::tests::request;
    use crate::requests::model::{Opinion, Resolution};
    use crate::requests::review::Said;
    use crate::store::Store;

    const KIRA: u64 = 42;
    const MAX: u64 = 43;
    const TIM: u64 = 44;
    const T0: i64 = 1_800_000_000;
    const TEXT: &str = "A careful review that is long enough to count as one.";

    #[test]
    fn reviews_of_a_level_and_of_a_member() {
        let (_dir, store) = Store::temporary();
        let opinion = |review: Option<&str>, at| Opinion {
            verdict: Verdict::Approve,
            review: review.map(str::to_string),
            reason: None,
            at,
        };
        store
            .write(|w| {
                let a = model::insert(w, &request(128, 7, T0))?;
                let b = model::insert(w, &request(128, 8, T0 + 10))?;
                let c = model::insert(w, &request(200, 9, T0 + 20))?;
                model::put_opinion(w, a, KIRA, &opinion(Some(TEXT), T0 + 30))?;
                model::put_opinion(w, b, KIRA, &opinion(None, T0 + 31))?;
                model::put_opinion(w, c, KIRA, &opinion(Some(TEXT), T0 + 40))?;
                model::put_opinion(w, a, MAX, &opinion(Some(TEXT), T0 + 35))?;
                let resolution = Resolution {
                    grade: None,
                    review: Some(TEXT.into()),
                    comment: None,
                    at: T0 + 50,
                };
                model::put_resolution(w, b, KIRA, &resolution)?;
                outbox::queue::remember(
                    w,
                    &anchor::review(a, KIRA, false),
                    Posted {
                        channel: 1,
                        message: 2,
                    },
                )?;
                let said = Said {
                    review: Some(TEXT.into()),
                    reason: None,
                };
                trainee::practise(w, c, TIM, Verdict::Reject, &said, None, T0 + 60)
                    .map_err(|e| StoreError::Storage(e.to_string()))?;
                Ok::<_, StoreError>(())
            })
            .unwrap();

        let level = store.read(|r| of_level(r, 128)).unwrap();
        let seen: Vec<(u64, u64, Kind)> = level
            .iter()
            .map(|w| (w.request, w.author, w.kind))
            .collect();
        assert_eq!(
            seen,
            [
                (1, KIRA, Kind::Opinion),
                (1, MAX, Kind::Opinion),
                (2, KIRA, Kind::Resolution)
            ],
            "oldest first, without opinions lacking a review"
        );
        assert_eq!(level[0].posted.map(|p| p.message), Some(2));
        assert_eq!(level[1].posted, None, "never delivered");

        let kira = store.read(|r| by_author(r, KIRA)).unwrap();
        let at: Vec<i64> = kira.iter().map(|w| w.at - T0).collect();
        assert_eq!(at, [50, 40, 30], "newest first");

        // A practice review outlives its request, marked.
        store
            .write(|w| model::delete(w, crate::audit::Actor::User(1), 3, T0 + 70))
            .unwrap();
        let tim = store.read(|r| by_author(r, TIM)).unwrap();
        assert_eq!(tim.len(), 1);
        assert_eq!(tim[0].kind, Kind::Practice);
        assert!(tim[0].request_deleted);
        assert_eq!(tim[0].level_name, "Level 200");
        assert!(store.read(|r| of_level(r, 200)).unwrap().is_empty());
        assert_eq!(store.read(|r| by_author(r, KIRA)).unwrap().len(), 2);
    }
}
