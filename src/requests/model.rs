//! What the desk stores — requests, reviewers' opinions, moderators' resolutions — and the
//! states derived from them (gd-requestbot §2.12, §12).
//!
//! A request is stored only once its form is submitted: there are no "limbo" rows (§14). Its
//! state is never a stored flag: *pending* means no resolution row exists, *ignored* means no
//! opinion or resolution row exists, *resolved* means a resolution row exists. The widgets that
//! show a request follow the same facts, so they cannot disagree with the store.
//!
//! The queue asks how many requests are pending after every request and resolution, and a desk
//! collects tens of thousands of requests over the years, so the pending ones are also indexed
//! (`requests_pending`). Only [`insert`], [`put_resolution`] and [`remove`] write the facts the
//! index mirrors, and they update it in the same transaction.

use serde::{Deserialize, Serialize};

use crate::audit::{self, Actor, Event, EventKind};
use crate::gd;
use crate::i18n::Lang;
use crate::outbox::{self, Effect};
use crate::store::{META, Read, StoreError, Table, Writer};

/// The key of `stagehand_meta` holding the id the next request gets.
const NEXT_ID: &str = "request_next";

/// Submitted level requests: request id → request (see `requests`).
pub(crate) const REQUESTS: Table<u64, crate::requests::Request> = Table::new("requests");

/// Requests by level: `(level id, request id)`.
pub(crate) const REQUESTS_BY_LEVEL: Table<(u64, u64), ()> = Table::new("requests_by_level");

/// Requests by the member they are for: `(user id, request id)`.
pub(crate) const REQUESTS_BY_AUTHOR: Table<(u64, u64), ()> = Table::new("requests_by_author");

/// Requests no GD moderator has resolved yet: request id. An index of the facts in `requests`
/// and `request_resolutions`, written with them in the same transaction (see
/// `requests::model`), so the queue counts its pending requests without reading every request.
pub(crate) const REQUESTS_PENDING: Table<u64, ()> = Table::new("requests_pending");

/// Reviewers' opinions: `(request id, reviewer id)` → opinion.
pub(crate) const OPINIONS: Table<(u64, u64), crate::requests::Opinion> =
    Table::new("request_opinions");

/// GD moderators' resolutions: `(request id, moderator id)` → resolution.
pub(crate) const RESOLUTIONS: Table<(u64, u64), crate::requests::Resolution> =
    Table::new("request_resolutions");

/// The resolution that decided each resolved request: request id → its moderator. Written with
/// the first resolution; later ones only add to `request_resolutions` (see `requests::review`).
pub(crate) const DECISIONS: Table<u64, u64> = Table::new("request_decisions");

/// Pending requests whose Reviewer's Widget Stagehand has yet to post: request id (an import
/// leaves them; the bot posts them when it reaches the guild, see `requests::model`).
pub(crate) const WIDGETS_OWED: Table<u64, ()> = Table::new("requests_widgets_owed");

/// Who a request is for: a member, or a creator named by whoever inserted it (§2.10).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Author {
    User(u64),
    Name(String),
}

impl Author {
    /// A mention, or the name in code.
    pub fn shown(&self) -> String {
        match self {
            Author::User(id) => format!("<@{id}>"),
            Author::Name(name) => format!("`{}`", name.replace('`', "'")),
        }
    }

    pub fn user(&self) -> Option<u64> {
        match self {
            Author::User(id) => Some(*id),
            Author::Name(_) => None,
        }
    }
}

/// The facts about the level the widgets show, as they were when it was requested.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct LevelFacts {
    pub id: u64,
    pub name: String,
    pub creator: String,
    pub requested_stars: u32,
    /// Wire code of the length: 0 tiny … 4 XL, 5 platformer.
    pub length: u8,
    pub demon: bool,
    pub difficulty: gd::Difficulty,
    /// Wire code (22 is 2.2); see `gd::game_version_name`.
    pub game_version: u32,
    /// The level it copies; 0 when none.
    pub copied_from: u64,
}

impl LevelFacts {
    pub fn of(level: &gd::Level) -> LevelFacts {
        let length = match level.length {
            gd::Length::Tiny => 0,
            gd::Length::Short => 1,
            gd::Length::Medium => 2,
            gd::Length::Long => 3,
            gd::Length::Xl => 4,
            gd::Length::Platformer => 5,
        };
        LevelFacts {
            id: level.id,
            name: level.name.clone(),
            creator: level.creator.clone(),
            requested_stars: level.requested_stars,
            length,
            demon: level.demon,
            difficulty: level.difficulty,
            game_version: level.game_version,
            copied_from: level.copied_from,
        }
    }

    /// The name in code, safe inside backticks.
    pub fn name_code(&self) -> String {
        format!("`{}`", self.name.replace('`', "'"))
    }
}

/// A submitted request.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Request {
    pub level: LevelFacts,
    pub author: Author,
    /// Reviews, approvals and rejections are written in this language (§2.1).
    pub lang: Lang,
    /// The showcase video's canonical link.
    pub showcase: Option<String>,
    pub comment: Option<String>,
    /// Unix seconds of the submission.
    pub requested_at: i64,
    /// Who submitted it: the author, or the member who inserted it.
    pub submitted_by: u64,
}

/// A reviewer's or moderator's call.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Verdict {
    Approve,
    Reject,
}

impl Verdict {
    /// The audit log's word (§8.2).
    pub fn audit_name(self) -> &'static str {
        match self {
            Verdict::Approve => "approved",
            Verdict::Reject => "rejected",
        }
    }
}

/// What a moderator sends an approved level for (§2.6).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Grade {
    Starrate,
    Feature,
    Epic,
    Mythic,
    Legendary,
}

impl Grade {
    pub const ALL: [Grade; 5] = [
        Grade::Starrate,
        Grade::Feature,
        Grade::Epic,
        Grade::Mythic,
        Grade::Legendary,
    ];

    /// The name in controls and text keys.
    pub fn name(self) -> &'static str {
        match self {
            Grade::Starrate => "starrate",
            Grade::Feature => "featured",
            Grade::Epic => "epic",
            Grade::Mythic => "mythic",
            Grade::Legendary => "legendary",
        }
    }

    pub fn parse(name: &str) -> Option<Grade> {
        Grade::ALL.into_iter().find(|g| g.name() == name)
    }
}

/// A reviewer's opinion (§2.5): at most one per reviewer and request.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Opinion {
    pub verdict: Verdict,
    pub review: Option<String>,
    pub reason: Option<String>,
    /// Unix seconds.
    pub at: i64,
}

/// A GD moderator's resolution (§2.6): at most one per moderator and request.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Resolution {
    /// `None`: rejected.
    pub grade: Option<Grade>,
    pub review: Option<String>,
    /// The comment of an approval or the reason of a rejection.
    pub comment: Option<String>,
    /// Unix seconds.
    pub at: i64,
}

impl Resolution {
    pub fn verdict(&self) -> Verdict {
        match self.grade {
            Some(_) => Verdict::Approve,
            None => Verdict::Reject,
        }
    }
}

/// A request and everything said about it, as the widgets show it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Dossier {
    pub id: u64,
    pub request: Request,
    /// By reviewer id, in id order.
    pub opinions: Vec<(u64, Opinion)>,
    /// By moderator id: the one that decided first, then the others in the order given.
    pub resolutions: Vec<(u64, Resolution)>,
}

impl Dossier {
    /// The resolution that decided the request, with its moderator.
    pub fn decision(&self) -> Option<&(u64, Resolution)> {
        self.resolutions.first()
    }
}

/// Where a request stands (§2.12).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum State {
    /// No opinion and no resolution yet.
    Ignored,
    /// Opinions, but no resolution.
    Unresolved,
    Resolved,
}

impl Dossier {
    pub fn state(&self) -> State {
        match (self.opinions.is_empty(), self.resolutions.is_empty()) {
            (_, false) => State::Resolved,
            (true, true) => State::Ignored,
            (false, true) => State::Unresolved,
        }
    }

    /// When the first approving resolution was made.
    pub fn approved_at(&self) -> Option<i64> {
        self.resolutions
            .iter()
            .filter(|(_, r)| r.grade.is_some())
            .map(|(_, r)| r.at)
            .min()
    }
}

/// The anchors of a request's messages (see `discord::outbox`).
pub mod anchor {
    /// The Reviewer's Widget while the request is pending.
    pub fn reviewers(id: u64) -> String {
        format!("req:{id}:pending")
    }
    /// The Resolution Widget, from the first opinion on.
    pub fn resolution(id: u64) -> String {
        format!("req:{id}:resolution")
    }
    /// The archive entry, from the first resolution on.
    pub fn archive(id: u64) -> String {
        format!("req:{id}:archive")
    }
    /// A review posted by `user` (a reviewer's, or a moderator's final one).
    pub fn review(id: u64, user: u64, resolution: bool) -> String {
        let kind = if resolution { "final" } else { "review" };
        format!("req:{id}:{kind}:{user}")
    }
    /// Practice review `review` of a trainee (see `requests::trainee`), with its assessment
    /// buttons until it is assessed. Named by the review, which outlives its request.
    pub fn practice(review: u64) -> String {
        format!("trainee_review:{review}")
    }
}

pub fn get(r: &impl Read, id: u64) -> Result<Option<Request>, StoreError> {
    r.get(&REQUESTS, &id)
}

/// A request with its opinions and resolutions.
pub fn dossier(r: &impl Read, id: u64) -> Result<Option<Dossier>, StoreError> {
    let Some(request) = get(r, id)? else {
        return Ok(None);
    };
    let opinions = r
        .range(&OPINIONS, &(id, 0), &(id, u64::MAX), usize::MAX)?
        .into_iter()
        .map(|((_, user), opinion)| (user, opinion))
        .collect();
    let mut resolutions: Vec<(u64, Resolution)> = r
        .range(&RESOLUTIONS, &(id, 0), &(id, u64::MAX), usize::MAX)?
        .into_iter()
        .map(|((_, user), resolution)| (user, resolution))
        .collect();
    let decided_by = r.get(&DECISIONS, &id)?;
    resolutions.sort_by_key(|(user, r)| (Some(*user) != decided_by, r.at, *user));
    Ok(Some(Dossier {
        id,
        request,
        opinions,
        resolutions,
    }))
}

/// Stores a new request; returns its id.
pub fn insert(w: &mut Writer, request: &Request) -> Result<u64, StoreError> {
    let id = w.get(&META, NEXT_ID)?.unwrap_or(1);
    insert_as(w, id, request)?;
    Ok(id)
}

/// Stores `request` under the id it had elsewhere (`stagehand import`: a desk's members know
/// their requests by number), pending, and moves the next id past it. The caller checks the id
/// is free.
pub fn insert_as(w: &mut Writer, id: u64, request: &Request) -> Result<(), StoreError> {
    let next = w.get(&META, NEXT_ID)?.unwrap_or(1);
    w.insert(&META, NEXT_ID, &next.max(id.saturating_add(1)))?;
    w.insert(&REQUESTS, &id, request)?;
    w.insert(&REQUESTS_PENDING, &id, &())?;
    w.insert(&REQUESTS_BY_LEVEL, &(request.level.id, id), &())?;
    if let Author::User(user) = request.author {
        w.insert(&REQUESTS_BY_AUTHOR, &(user, id), &())?;
    }
    Ok(())
}

/// How many requests are stored.
pub fn count(r: &impl Read) -> Result<u64, StoreError> {
    r.len(&REQUESTS)
}

/// Empties the requests with their opinions, resolutions and indexes (`stagehand import
/// requestbot --replace`, after a snapshot).
pub fn clear(w: &mut Writer) -> Result<(), StoreError> {
    w.clear(&REQUESTS)?;
    w.clear(&REQUESTS_BY_LEVEL)?;
    w.clear(&REQUESTS_BY_AUTHOR)?;
    w.clear(&REQUESTS_PENDING)?;
    w.clear(&OPINIONS)?;
    w.clear(&RESOLUTIONS)?;
    w.clear(&DECISIONS)?;
    w.clear(&WIDGETS_OWED)?;
    Ok(())
}

/// Notes that pending request `id` has no Reviewer's Widget of Stagehand's yet (it was
/// imported: the old bot's messages are not Stagehand's); [`take_owed_widgets`] hands it over
/// once Discord is reachable.
pub fn owe_widget(w: &mut Writer, id: u64) -> Result<(), StoreError> {
    w.insert(&WIDGETS_OWED, &id, &())
}

/// The requests owed a Reviewer's Widget (see [`owe_widget`]), forgotten as they are taken.
pub fn take_owed_widgets(w: &mut Writer) -> Result<Vec<u64>, StoreError> {
    let ids = w.keys(&WIDGETS_OWED)?;
    for id in &ids {
        w.remove(&WIDGETS_OWED, id)?;
    }
    Ok(ids)
}

/// How many requests are owed a Reviewer's Widget.
pub fn owed_widgets(r: &impl Read) -> Result<u64, StoreError> {
    r.len(&WIDGETS_OWED)
}

/// Removes a request with its opinions and resolutions; `false` when there was none.
pub fn remove(w: &mut Writer, id: u64) -> Result<bool, StoreError> {
    let Some(request) = get(w, id)? else {
        return Ok(false);
    };
    w.remove(&REQUESTS, &id)?;
    w.remove(&REQUESTS_PENDING, &id)?;
    w.remove(&REQUESTS_BY_LEVEL, &(request.level.id, id))?;
    if let Author::User(user) = request.author {
        w.remove(&REQUESTS_BY_AUTHOR, &(user, id))?;
    }
    for ((_, user), _) in w.range(&OPINIONS, &(id, 0), &(id, u64::MAX), usize::MAX)? {
        w.remove(&OPINIONS, &(id, user))?;
    }
    for ((_, user), _) in w.range(&RESOLUTIONS, &(id, 0), &(id, u64::MAX), usize::MAX)? {
        w.remove(&RESOLUTIONS, &(id, user))?;
    }
    w.remove(&DECISIONS, &id)?;
    Ok(true)
}

/// `/request delete` (gd-requestbot §1.9): removes request `id` with what was said about it,
/// queues the deletion of its widgets and of the reviews posted about it, and records the
/// event, in the caller's transaction;
/// `false` (and nothing changed) when there is no such request.
pub fn delete(w: &mut Writer, actor: Actor, id: u64, now: i64) -> Result<bool, StoreError> {
    let Some(dossier) = dossier(w, id)? else {
        return Ok(false);
    };
    remove(w, id)?;
    let reviews = dossier
        .opinions
        .iter()
        .filter(|(_, o)| o.review.is_some())
        .map(|(user, _)| anchor::review(id, *user, false));
    let final_reviews = dossier
        .resolutions
        .iter()
        .filter(|(_, r)| r.review.is_some())
        .map(|(user, _)| anchor::review(id, *user, true));
    let widgets = [
        anchor::reviewers(id),
        anchor::resolution(id),
        anchor::archive(id),
    ];
    for anchor in widgets.into_iter().chain(reviews).chain(final_reviews) {
        outbox::push(w, Effect::Delete { anchor })?;
    }
    let event = Event::new(EventKind::RequestDeleted, actor, now)
        .with("request_id", i64::try_from(id).unwrap_or(i64::MAX));
    audit::record(w, &event)?;
    Ok(true)
}

/// Every request for `level`, oldest first.
pub fn for_level(r: &impl Read, level: u64) -> Result<Vec<Dossier>, StoreError> {
    let ids = r.range(
        &REQUESTS_BY_LEVEL,
        &(level, 0),
        &(level, u64::MAX),
        usize::MAX,
    )?;
    let mut found = Vec::with_capacity(ids.len());
    for ((_, id), ()) in ids {
        found.extend(dossier(r, id)?);
    }
    Ok(found)
}

/// The latest request `user` authored.
pub fn latest_by(r: &impl Read, user: u64) -> Result<Option<(u64, Request)>, StoreError> {
    let ids = r.range(
        &REQUESTS_BY_AUTHOR,
        &(user, 0),
        &(user, u64::MAX),
        usize::MAX,
    )?;
    match ids.last() {
        Some(((_, id), ())) => Ok(get(r, *id)?.map(|request| (*id, request))),
        None => Ok(None),
    }
}

/// How many requests wait for a resolution (§2.12 "pending").
pub fn pending_count(r: &impl Read) -> Result<u64, StoreError> {
    r.len(&REQUESTS_PENDING)
}

/// The `n`th pending request (from 0, oldest first: ids follow submission), if there are more
/// than `n`. Reads `n + 1` keys of the pending index, never a request.
pub fn nth_pending(r: &impl Read, n: u64) -> Result<Option<u64>, StoreError> {
    let take = usize::try_from(n).unwrap_or(usize::MAX).saturating_add(1);
    let ids = r.range(&REQUESTS_PENDING, &0, &u64::MAX, take)?;
    Ok(ids
        .len()
        .checked_sub(1)
        .filter(|last| *last as u64 == n)
        .map(|last| ids[last].0))
}

/// The oldest pending request in `state` (`Ignored` or `Unresolved`).
pub fn oldest(r: &impl Read, state: State) -> Result<Option<u64>, StoreError> {
    for (id, ()) in r.all(&REQUESTS_PENDING)? {
        let reviewed = !r.range(&OPINIONS, &(id, 0), &(id, u64::MAX), 1)?.is_empty();
        let found = if reviewed {
            State::Unresolved
        } else {
            State::Ignored
        };
        if found == state {
            return Ok(Some(id));
        }
    }
    Ok(None)
}

pub fn put_opinion(
    w: &mut Writer,
    id: u64,
    user: u64,
    opinion: &Opinion,
) -> Result<(), StoreError> {
    w.insert(&OPINIONS, &(id, user), opinion)
}

/// Stores moderator `user`'s resolution of request `id`. The first one decides the request: it
/// leaves the pending index and becomes the request's decision.
pub fn put_resolution(
    w: &mut Writer,
    id: u64,
    user: u64,
    resolution: &Resolution,
) -> Result<(), StoreError> {
    if w.remove(&REQUESTS_PENDING, &id)? {
        w.insert(&DECISIONS, &id, &user)?;
    }
    w.insert(&RESOLUTIONS, &(id, user), resolution)
}

#[cfg(test)]
pub(crate) mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use crate::store::Store;

    pub(crate) fn request(level: u64, author: u64, at: i64) -> Request {
        Request {
            level: LevelFacts {
                id: level,
                name: format!("Level {level}"),
                creator: "RobotTiles".into(),
                requested_stars: 5,
                length: 2,
                demon: false,
                difficulty: gd::Difficulty::Unrated,
                game_version: 22,
                copied_from: 0,
            },
            author: Author::User(author),
            lang: Lang::En,
            showcase: None,
            comment: None,
            requested_at: at,
            submitted_by: author,
        }
    }

    fn opinion(verdict: Verdict, at: i64) -> Opinion {
        Opinion {
            verdict,
            review: None,
            reason: None,
            at,
        }
    }

    #[test]
    fn states_follow_opinions_and_resolutions() {
        let (_dir, store) = Store::temporary();
        let (a, b, c) = store
            .write(|w| {
                let a = insert(w, &request(128, 7, 10))?;
                let b = insert(w, &request(129, 8, 20))?;
                let c = insert(w, &request(128, 7, 30))?;
                Ok::<_, StoreError>((a, b, c))
            })
            .unwrap();
        assert_eq!((a, b, c), (1, 2, 3));
        assert_eq!(store.read(pending_count).unwrap(), 3);
        assert_eq!(store.read(|r| oldest(r, State::Ignored)).unwrap(), Some(1));

        store
            .write(|w| put_opinion(w, a, 42, &opinion(Verdict::Approve, 40)))
            .unwrap();
        assert_eq!(store.read(|r| oldest(r, State::Ignored)).unwrap(), Some(2));
        assert_eq!(
            store.read(|r| oldest(r, State::Unresolved)).unwrap(),
            Some(1)
        );
        let resolution = Resolution {
            grade: Some(Grade::Epic),
            review: None,
            comment: None,
            at: 50,
        };
        store
            .write(|w| put_resolution(w, a, 43, &resolution))
            .unwrap();
        let found = store.read(|r| dossier(r, a)).unwrap().unwrap();
        assert_eq!(found.state(), State::Resolved);
        assert_eq!(found.approved_at(), Some(50));
        assert_eq!(store.read(pending_count).unwrap(), 2);
        assert_eq!(
            store.read(|r| for_level(r, 128)).unwrap().len(),
            2,
            "both requests of level 128"
        );
        assert_eq!(store.read(|r| latest_by(r, 7)).unwrap().unwrap().0, c);

        // Removing a request removes what was said about it and its indexes.
        assert!(store.write(|w| remove(w, a)).unwrap());
        assert!(!store.write(|w| remove(w, a)).unwrap());
        assert!(store.read(|r| dossier(r, a)).unwrap().is_none());
        assert_eq!(store.read(|r| for_level(r, 128)).unwrap().len(), 1);
        assert!(store.read(|r| r.all(&OPINIONS)).unwrap().is_empty());
        assert!(store.read(|r| r.all(&RESOLUTIONS)).unwrap().is_empty());
        assert!(store.read(|r| r.all(&DECISIONS)).unwrap().is_empty());
    }

    /// Pending count and oldest ignored / unresolved request, worked out from the facts alone.
    fn from_facts(r: &impl Read) -> (u64, Option<u64>, Option<u64>) {
        let mut states = Vec::new();
        for (id, _) in r.all(&REQUESTS).unwrap() {
            states.push((id, dossier(r, id).unwrap().unwrap().state()));
        }
        let first = |state| states.iter().find(|(_, s)| *s == state).map(|(id, _)| *id);
        let pending = states.iter().filter(|(_, s)| *s != State::Resolved).count();
        (
            pending as u64,
            first(State::Ignored),
            first(State::Unresolved),
        )
    }

    fn from_index(r: &impl Read) -> (u64, Option<u64>, Option<u64>) {
        (
            pending_count(r).unwrap(),
            oldest(r, State::Ignored).unwrap(),
            oldest(r, State::Unresolved).unwrap(),
        )
    }

    #[test]
    fn the_pending_index_agrees_with_the_facts_after_any_mix_of_changes() {
        let (_dir, store) = Store::temporary();
        let resolution = Resolution {
            grade: None,
            review: None,
            comment: None,
            at: 0,
        };
        // A fixed pseudo-random walk: new requests, opinions and resolutions (some twice, by two
        // moderators) on requests that exist, as the desk only writes them on one, and removals
        // (some of requests already gone).
        let mut seed = 0x2545_f491_4f6c_dd1d_u64;
        for step in 0..400_i64 {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            let target = seed % 40 + 1;
            store
                .write(|w| {
                    let exists = get(w, target)?.is_some();
                    match seed % 7 {
                        0..=2 => drop(insert(w, &request(seed % 5, seed % 9, step))?),
                        3 if exists => {
                            put_opinion(w, target, seed % 3, &opinion(Verdict::Reject, step))?
                        }
                        4 | 5 if exists => put_resolution(w, target, seed % 2, &resolution)?,
                        _ => drop(remove(w, target)?),
                    }
                    Ok::<_, StoreError>(())
                })
                .unwrap();
            let (facts, index) = store.read(|r| Ok((from_facts(r), from_index(r)))).unwrap();
            assert_eq!(index, facts, "after step {step}");
        }
        let (pending, ignored, unresolved) = store.read(|r| Ok(from_facts(r))).unwrap();
        assert!(
            pending > 0 && ignored.is_some() && unresolved.is_some(),
            "the walk reaches every state"
        );
    }

    #[test]
    fn grades_round_trip_by_name() {
        for grade in Grade::ALL {
            assert_eq!(Grade::parse(grade.name()), Some(grade));
        }
        assert_eq!(Grade::parse("gold"), None);
    }
}
