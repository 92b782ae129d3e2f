//! Rivalries (osu-arena §4): a player challenges another of their league for a pp target; the
//! target accepts or declines from the buttons of a DM; once accepted, the first to gain the
//! target in pp wins it in points and the other loses half; a challenge nobody answers expires.
//!
//! A challenge is a row keyed by id whose players are Discord and osu! ids, never names
//! (§17.15). Every change of status is one transaction that reads the status first, so a stale
//! button can never revive a challenge that was revoked, declined, expired or finished
//! (§17.12); each edits the challenge's one public line in the `rivals` route in place through
//! its anchor (§17.21) and records its event.
//!
//! Issuing checks §4.2 in order, with two deliberate changes: the limit of `challenge.max_active`
//! counts pending **and** accepted challenges (§17.2), and the pair rule is the original's —
//! while the two have a pending or accepted challenge, or within `challenge.pair_cooldown` of
//! the last one issued between them in either direction, whatever became of it (§17.3). The
//! league is the players' league in the store, which Stagehand's league roles mirror.

use serde::{Deserialize, Serialize};

use super::leagues::League;
use super::player::{self, Player};
use super::points::{self, Source};
use crate::audit::{self, Actor, Event, EventKind, Value};
use crate::i18n::{self, Catalogue, Lang};
use crate::outbox::{
    self, Button, ButtonStyle, ButtonTarget, CustomId, Destination, Effect, Message, OnRefused,
    Pings,
};
use crate::params::{self, Param};
use crate::routes::{self, Route};
use crate::store::{META, Read, StoreError, Table, Writer};
use crate::time::Duration;

/// Challenges: id → challenge (see `league::rivalry`).
pub(crate) const CHALLENGES: Table<u64, Challenge> = Table::new("challenges");

/// Every challenge of each player, as challenger or target: `(Discord id, challenge id)`.
pub(crate) const BY_PLAYER: Table<(u64, u64), ()> = Table::new("challenges_by_player");

/// The open (pending or accepted) challenges of each player: `(Discord id, challenge id)`.
pub(crate) const OPEN_BY_PLAYER: Table<(u64, u64), ()> = Table::new("challenges_open_by_player");

/// Accepted challenges, waiting for a winner: challenge id.
pub(crate) const ACCEPTED: Table<u64, ()> = Table::new("challenges_accepted");

/// Finished challenges (the rivals' archive): challenge id.
pub(crate) const FINISHED: Table<u64, ()> = Table::new("challenges_finished");

/// Pending challenges by the time they expire: `(unix time, challenge id)`.
pub(crate) const DEADLINES: Table<(i64, u64), ()> = Table::new("challenge_deadlines");

/// The key of `stagehand_meta` holding the id the next challenge gets.
const NEXT_ID: &str = "challenge_next";

/// The module of the DM's buttons in their `custom_id`s.
pub const CONTROLS: &str = "rival";

/// A challenge.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Challenge {
    pub challenger: Side,
    pub target: Side,
    /// The pp to gain, and the stake in points.
    pub pp: u32,
    pub league: League,
    pub status: Status,
    /// Unix seconds.
    pub issued_at: i64,
    /// A pending challenge expires then.
    pub expires_at: i64,
    /// When it was accepted, declined, or otherwise left pending.
    pub answered_at: Option<i64>,
    /// When it finished, or was revoked or expired.
    pub ended_at: Option<i64>,
    /// The winner's Discord id.
    pub winner: Option<u64>,
}

/// One player of a challenge.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Side {
    pub discord_id: u64,
    pub osu_id: u64,
    /// As it was when last seen (shown in tables; never used to find anyone).
    pub osu_username: String,
    /// pp when the challenge was accepted.
    pub start_pp: Option<u32>,
    /// pp when it finished: the figures stop there (§17.20).
    pub end_pp: Option<u32>,
}

impl Side {
    fn of(p: &Player) -> Side {
        Side {
            discord_id: p.discord_id,
            osu_id: p.osu_id,
            osu_username: p.osu_username.clone(),
            start_pp: None,
            end_pp: None,
        }
    }

    /// pp gained since acceptance, with `now_pp` if it has not finished.
    pub fn gain(&self, now_pp: Option<u32>) -> i64 {
        match (self.start_pp, self.end_pp.or(now_pp)) {
            (Some(start), Some(end)) => i64::from(end) - i64::from(start),
            _ => 0,
        }
    }
}

/// Where a challenge stands. Stored by position: append, never reorder.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Status {
    Pending,
    /// Accepted: in progress.
    Accepted,
    Finished,
    Declined,
    Revoked,
    Expired,
}

impl Status {
    pub fn is_open(self) -> bool {
        matches!(self, Status::Pending | Status::Accepted)
    }

    fn name(self) -> &'static str {
        match self {
            Status::Pending => "pending",
            Status::Accepted => "accepted",
            Status::Finished => "finished",
            Status::Declined => "declined",
            Status::Revoked => "revoked",
            Status::Expired => "expired",
        }
    }
}

/// Anchors of a challenge's messages.
pub mod anchor {
    /// The public line in the `rivals` route.
    pub fn line(id: u64) -> String {
        format!("challenge:{id}:line")
    }
    /// The DM to the target with Accept and Decline.
    pub fn dm(id: u64) -> String {
        format!("challenge:{id}:dm")
    }
}

/// Why a challenge was not issued (§4.2, in the order checked); nothing changed.
#[derive(Debug, thiserror::Error)]
pub enum IssueError {
    #[error("a player cannot challenge themselves")]
    Yourself,
    #[error("bots cannot be challenged")]
    Bot,
    #[error("the pp target is outside {min}..={max}")]
    PpRange { min: u64, max: u64 },
    #[error("the challenger is not linked")]
    NotLinked,
    #[error("the target is not linked")]
    TargetNotLinked,
    #[error("the players are in different leagues")]
    OtherLeague,
    #[error("the challenger has too many open challenges")]
    TooMany { max: u64 },
    #[error("the target has too many open challenges")]
    TargetTooMany { max: u64 },
    #[error("the two already have an accepted challenge")]
    Ongoing,
    #[error("the two already have a pending challenge")]
    AlreadyPending,
    #[error("the two had a challenge too recently")]
    TooSoon { until: i64 },
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl IssueError {
    pub fn message(&self, target: u64) -> i18n::Message {
        let target = format!("<@{target}>");
        let key = match self {
            IssueError::Yourself => "challenge.error.yourself",
            IssueError::Bot => "challenge.error.bot",
            IssueError::PpRange { min, max } => {
                return i18n::Message::new("challenge.error.pp_range")
                    .with("min", min)
                    .with("max", max);
            }
            IssueError::NotLinked => "challenge.error.not_linked",
            IssueError::TargetNotLinked => "challenge.error.target_not_linked",
            IssueError::OtherLeague => "challenge.error.other_league",
            IssueError::TooMany { max } => {
                return i18n::Message::new("challenge.error.too_many").with("max", max);
            }
            IssueError::TargetTooMany { max } => {
                return i18n::Message::new("challenge.error.target_too_many")
                    .with("target", target)
                    .with("max", max);
            }
            IssueError::Ongoing => "challenge.error.ongoing",
            IssueError::AlreadyPending => "challenge.error.pending",
            IssueError::TooSoon { until } => {
                return i18n::Message::new("challenge.error.too_soon")
                    .with("target", target)
                    .with("until", format!("<t:{until}:R>"));
            }
            IssueError::Store(_) => "error.command_error",
        };
        i18n::Message::new(key).with("target", target)
    }
}

/// What `/challenge` asks.
#[derive(Clone, Copy, Debug)]
pub struct Ask {
    pub challenger: u64,
    pub target: u64,
    /// Discord says the target is a bot.
    pub target_is_bot: bool,
    pub pp: i64,
}

/// Runs the checks of §4.2 in order; the two players when the challenge may be issued.
pub fn check(r: &impl Read, ask: &Ask, now: i64) -> Result<(Player, Player), IssueError> {
    if ask.challenger == ask.target {
        return Err(IssueError::Yourself);
    }
    if ask.target_is_bot {
        return Err(IssueError::Bot);
    }
    let (min, max) = (
        params::number(r, Param::ChallengeMinPp)?,
        params::number(r, Param::ChallengeMaxPp)?,
    );
    if !u64::try_from(ask.pp).is_ok_and(|pp| (min..=max).contains(&pp)) {
        return Err(IssueError::PpRange { min, max });
    }
    let challenger = player::get(r, ask.challenger)?.ok_or(IssueError::NotLinked)?;
    let target = player::get(r, ask.target)?.ok_or(IssueError::TargetNotLinked)?;
    if challenger.league != target.league {
        return Err(IssueError::OtherLeague);
    }
    let max = params::number(r, Param::ChallengeMaxActive)?;
    if open_count(r, ask.challenger)? >= max {
        return Err(IssueError::TooMany { max });
    }
    if open_count(r, ask.target)? >= max {
        return Err(IssueError::TargetTooMany { max });
    }
    let cooldown = match params::duration(r, Param::ChallengePairCooldown)? {
        Duration::Finite(secs) => i64::try_from(secs).unwrap_or(i64::MAX),
        Duration::Infinite => i64::MAX,
    };
    // Newest first: the first that blocks decides.
    for id in between(r, ask.challenger, ask.target)?.into_iter().rev() {
        let Some(c) = get(r, id)? else { continue };
        match c.status {
            Status::Accepted => return Err(IssueError::Ongoing),
            Status::Pending => return Err(IssueError::AlreadyPending),
            _ if now < c.issued_at.saturating_add(cooldown) => {
                return Err(IssueError::TooSoon {
                    until: c.issued_at.saturating_add(cooldown),
                });
            }
            _ => {}
        }
    }
    Ok((challenger, target))
}

fn open_count(r: &impl Read, user: u64) -> Result<u64, StoreError> {
    let open = r.range(&OPEN_BY_PLAYER, &(user, 0), &(user, u64::MAX), usize::MAX)?;
    Ok(open.len() as u64)
}

/// The ids of the challenges between `a` and `b`, in either direction, in issue order (ids
/// grow with time).
fn between(r: &impl Read, a: u64, b: u64) -> Result<Vec<u64>, StoreError> {
    let mut found = Vec::new();
    for ((_, id), ()) in r.range(&BY_PLAYER, &(a, 0), &(a, u64::MAX), usize::MAX)? {
        if r.get(&BY_PLAYER, &(b, id))?.is_some() {
            found.push(id);
        }
    }
    Ok(found)
}

pub fn get(r: &impl Read, id: u64) -> Result<Option<Challenge>, StoreError> {
    r.get(&CHALLENGES, &id)
}

/// A player's challenges, oldest first.
pub fn of_player(r: &impl Read, user: u64) -> Result<Vec<(u64, Challenge)>, StoreError> {
    let mut found = Vec::new();
    for ((_, id), ()) in r.range(&BY_PLAYER, &(user, 0), &(user, u64::MAX), usize::MAX)? {
        found.extend(get(r, id)?.map(|c| (id, c)));
    }
    Ok(found)
}

/// Every accepted challenge, with the players' pp now (`None` for one who is gone).
pub fn accepted(r: &impl Read) -> Result<Vec<(u64, Challenge)>, StoreError> {
    let mut found = Vec::new();
    for (id, ()) in r.all(&ACCEPTED)? {
        found.extend(get(r, id)?.map(|c| (id, c)));
    }
    Ok(found)
}

/// Every finished challenge, oldest first.
pub fn finished(r: &impl Read) -> Result<Vec<(u64, Challenge)>, StoreError> {
    let mut found = Vec::new();
    for (id, ()) in r.all(&FINISHED)? {
        found.extend(get(r, id)?.map(|c| (id, c)));
    }
    Ok(found)
}

/// Stores a closed challenge of another bot under its own number (`stagehand import`), without
/// an event, and moves the next number past it; `false` (nothing stored) when it is still open
/// (its DMs and deadline were that bot's) or the number is taken.
pub fn import(w: &mut Writer, id: u64, challenge: &Challenge) -> Result<bool, StoreError> {
    if challenge.status.is_open() || w.get(&CHALLENGES, &id)?.is_some() {
        return Ok(false);
    }
    let next = w.get(&META, NEXT_ID)?.unwrap_or(1);
    w.insert(&META, NEXT_ID, &next.max(id.saturating_add(1)))?;
    w.insert(&CHALLENGES, &id, challenge)?;
    for user in [challenge.challenger.discord_id, challenge.target.discord_id] {
        w.insert(&BY_PLAYER, &(user, id), &())?;
    }
    if challenge.status == Status::Finished {
        w.insert(&FINISHED, &id, &())?;
    }
    Ok(true)
}

/// Whether any challenge has finished.
pub fn any_finished(r: &impl Read) -> Result<bool, StoreError> {
    Ok(!r.range(&FINISHED, &0, &u64::MAX, 1)?.is_empty())
}

/// Issues the challenge `ask` after every check again: stores it, DMs the target with Accept
/// and Decline (a refused DM revokes it: [`dm_refused`]), posts its public line and records
/// `CHALLENGE_ISSUED`. Returns its id.
pub fn issue(w: &mut Writer, texts: &Catalogue, ask: &Ask, now: i64) -> Result<u64, IssueError> {
    let (challenger, target) = check(w, ask, now)?;
    let expiry = match params::duration(w, Param::ChallengeExpiry)? {
        Duration::Finite(secs) => i64::try_from(secs).unwrap_or(i64::MAX),
        Duration::Infinite => i64::MAX,
    };
    let pp = u32::try_from(ask.pp).unwrap_or(u32::MAX);
    let challenge = Challenge {
        challenger: Side::of(&challenger),
        target: Side::of(&target),
        pp,
        league: challenger.league,
        status: Status::Pending,
        issued_at: now,
        expires_at: now.saturating_add(expiry),
        answered_at: None,
        ended_at: None,
        winner: None,
    };
    let id = w.get(&META, NEXT_ID)?.unwrap_or(1);
    w.insert(&META, NEXT_ID, &(id + 1))?;
    w.insert(&CHALLENGES, &id, &challenge)?;
    for user in [ask.challenger, ask.target] {
        w.insert(&BY_PLAYER, &(user, id), &())?;
        w.insert(&OPEN_BY_PLAYER, &(user, id), &())?;
    }
    w.insert(&DEADLINES, &(challenge.expires_at, id), &())?;
    let lang = language(w, ask.target)?;
    outbox::push_watched(
        w,
        Effect::Send {
            to: Destination::Dm(ask.target),
            message: request_dm(texts, lang, id, &challenge),
            anchor: Some(anchor::dm(id)),
        },
        OnRefused::ChallengeDm { challenge: id },
    )?;
    let line = Message {
        pings: Pings::Users,
        ..Message::text(line(texts, &challenge))
    };
    routes::push(w, Route::Rivals, line, Some(anchor::line(id)))?;
    let event = Event::new(EventKind::ChallengeIssued, Actor::User(ask.challenger), now)
        .with("challenge_id", id as i64)
        .with("target_user_id", Value::User(ask.target))
        .with("pp", i64::from(pp))
        .with("league", challenge.league.name());
    audit::record(w, &event)?;
    Ok(id)
}

/// Why a click on Accept or Decline changed nothing.
#[derive(Debug, thiserror::Error)]
pub enum AnswerError {
    #[error("no such challenge")]
    Gone,
    #[error("the challenge is someone else's")]
    NotYours,
    #[error("the challenge is {0:?} already")]
    Closed(Status),
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl AnswerError {
    pub fn message(&self) -> i18n::Message {
        match self {
            AnswerError::Gone => i18n::Message::new("error.outdated_control"),
            AnswerError::NotYours => i18n::Message::new("challenge.answer.not_yours"),
            AnswerError::Closed(status) => i18n::Message::new(status_key(*status)),
            AnswerError::Store(_) => i18n::Message::new("error.command_error"),
        }
    }
}

/// The text saying a challenge can no longer be answered because it is `status`.
fn status_key(status: Status) -> &'static str {
    match status {
        Status::Pending | Status::Accepted => "challenge.answer.accepted_already",
        Status::Finished => "challenge.answer.finished",
        Status::Declined => "challenge.answer.declined_already",
        Status::Revoked => "challenge.answer.revoked",
        Status::Expired => "challenge.answer.expired",
    }
}

/// The target of challenge `id` accepts (`accept`) or declines it: the status moves on, the
/// public line says so, the event is recorded. A pending challenge past its deadline expires
/// instead (and the answer is refused). Returns the challenge as it now is.
pub fn answer(
    w: &mut Writer,
    texts: &Catalogue,
    id: u64,
    user: u64,
    accept: bool,
    now: i64,
) -> Result<Challenge, AnswerError> {
    let Some(mut c) = get(w, id)? else {
        return Err(AnswerError::Gone);
    };
    if c.target.discord_id != user {
        return Err(AnswerError::NotYours);
    }
    if c.status != Status::Pending {
        return Err(AnswerError::Closed(c.status));
    }
    if now >= c.expires_at {
        expire(w, texts, id, now)?;
        return Err(AnswerError::Closed(Status::Expired));
    }
    w.remove(&DEADLINES, &(c.expires_at, id))?;
    c.answered_at = Some(now);
    let kind = if accept {
        let pp = |user| player::get(w, user).map(|p| p.map(|p| p.pp));
        c.challenger.start_pp = pp(c.challenger.discord_id)?;
        c.target.start_pp = pp(c.target.discord_id)?;
        c.status = Status::Accepted;
        w.insert(&ACCEPTED, &id, &())?;
        EventKind::ChallengeAccepted
    } else {
        c.status = Status::Declined;
        c.ended_at = Some(now);
        close(w, id, &c)?;
        EventKind::ChallengeDeclined
    };
    w.insert(&CHALLENGES, &id, &c)?;
    edit_line(w, texts, id, &c)?;
    let event = Event::new(kind, Actor::User(user), now).with("challenge_id", id as i64);
    audit::record(w, &event)?;
    Ok(c)
}

/// Why `/revoke_challenge` changed nothing.
#[derive(Debug, thiserror::Error)]
pub enum RevokeError {
    #[error("no pending challenge from this player to that one")]
    NoSuchChallenge,
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// `/revoke_challenge`: the challenger takes back their pending challenge to `target`.
pub fn revoke_pending(
    w: &mut Writer,
    texts: &Catalogue,
    challenger: u64,
    target: u64,
    now: i64,
) -> Result<u64, RevokeError> {
    for (id, c) in of_player(w, challenger)? {
        if c.status == Status::Pending
            && c.challenger.discord_id == challenger
            && c.target.discord_id == target
        {
            end(
                w,
                texts,
                id,
                Status::Revoked,
                Actor::User(challenger),
                "revoked",
                now,
            )?;
            return Ok(id);
        }
    }
    Err(RevokeError::NoSuchChallenge)
}

/// Revokes every open challenge of `user`, who is leaving the league (they left the server, or
/// were deleted; §2.8, §7.3); how many.
pub fn revoke_all(
    w: &mut Writer,
    texts: &Catalogue,
    user: u64,
    actor: Actor,
    now: i64,
) -> Result<usize, StoreError> {
    let open = w.range(&OPEN_BY_PLAYER, &(user, 0), &(user, u64::MAX), usize::MAX)?;
    for ((_, id), ()) in &open {
        end(w, texts, *id, Status::Revoked, actor, "player left", now)?;
    }
    Ok(open.len())
}

/// The DM asking the target of challenge `id` to answer could not be delivered (Discord refused
/// it — their DMs are closed — or kept failing): the challenge is revoked, and the challenger
/// told (§2.5 step 10).
pub fn dm_refused(w: &mut Writer, texts: &Catalogue, id: u64, now: i64) -> Result<(), StoreError> {
    let Some(c) = get(w, id)? else {
        return Ok(());
    };
    if c.status != Status::Pending {
        return Ok(());
    }
    end(w, texts, id, Status::Revoked, Actor::Bot, "dms closed", now)?;
    let lang = language(w, c.challenger.discord_id)?;
    let target = format!("<@{}>", c.target.discord_id);
    let text = texts.render(lang, "challenge.dms_closed", &[("target", &target)]);
    outbox::push(
        w,
        Effect::Send {
            to: Destination::Dm(c.challenger.discord_id),
            message: Message::text(text),
            anchor: None,
        },
    )
}

/// Whether a pending challenge has reached its deadline at `now`.
pub fn expiry_due(r: &impl Read, now: i64) -> Result<bool, StoreError> {
    Ok(r.range(&DEADLINES, &(i64::MIN, 0), &(now, u64::MAX), 1)?
        .first()
        .is_some_and(|((at, _), ())| *at <= now))
}

/// Expires every pending challenge whose deadline has passed at `now`; how many.
pub fn expire_due(w: &mut Writer, texts: &Catalogue, now: i64) -> Result<usize, StoreError> {
    let due = w.range(&DEADLINES, &(i64::MIN, 0), &(now, u64::MAX), usize::MAX)?;
    let mut expired = 0;
    for ((at, id), ()) in due {
        if at > now {
            break;
        }
        expire(w, texts, id, now)?;
        expired += 1;
    }
    Ok(expired)
}

/// Challenge `id`, pending past its deadline, expires: both players are told (the target in
/// their DM, whose buttons go; the challenger in a DM), and the public line says so.
fn expire(w: &mut Writer, texts: &Catalogue, id: u64, now: i64) -> Result<(), StoreError> {
    let Some(c) = get(w, id)? else {
        return Ok(());
    };
    end(w, texts, id, Status::Expired, Actor::Bot, "expired", now)?;
    let lang = language(w, c.challenger.discord_id)?;
    let target = format!("<@{}>", c.target.discord_id);
    let text = texts.render(lang, "challenge.expired_challenger", &[("target", &target)]);
    outbox::push(
        w,
        Effect::Send {
            to: Destination::Dm(c.challenger.discord_id),
            message: Message::text(text),
            anchor: None,
        },
    )
}

/// Ends open challenge `id` as `status` (revoked or expired): the DM's buttons go, the public
/// line says so, the event is recorded. Nothing when it is not open any more.
fn end(
    w: &mut Writer,
    texts: &Catalogue,
    id: u64,
    status: Status,
    actor: Actor,
    reason: &str,
    now: i64,
) -> Result<(), StoreError> {
    let Some(mut c) = get(w, id)? else {
        return Ok(());
    };
    if !c.status.is_open() {
        return Ok(());
    }
    let was_pending = c.status == Status::Pending;
    c.status = status;
    c.ended_at = Some(now);
    close(w, id, &c)?;
    w.remove(&DEADLINES, &(c.expires_at, id))?;
    w.insert(&CHALLENGES, &id, &c)?;
    if was_pending {
        let lang = language(w, c.target.discord_id)?;
        let text = texts.render(lang, status_key(status), &[]);
        outbox::push(
            w,
            Effect::Edit {
                anchor: anchor::dm(id),
                message: Message::text(text),
            },
        )?;
    }
    edit_line(w, texts, id, &c)?;
    let kind = match status {
        Status::Expired => EventKind::ChallengeExpired,
        _ => EventKind::ChallengeRevoked,
    };
    let event = Event::new(kind, actor, now)
        .with("challenge_id", id as i64)
        .with("reason", reason);
    audit::record(w, &event).map(drop)
}

/// Takes a challenge that is no longer open out of the indexes of open ones.
fn close(w: &mut Writer, id: u64, c: &Challenge) -> Result<(), StoreError> {
    w.remove(&ACCEPTED, &id)?;
    for user in [c.challenger.discord_id, c.target.discord_id] {
        w.remove(&OPEN_BY_PLAYER, &(user, id))?;
    }
    Ok(())
}

/// The points the loser of a challenge for `pp` loses: half, rounded half to even (§4.6).
pub fn loser_points(pp: u32) -> i64 {
    let pp = i64::from(pp);
    let (half, odd) = (pp / 2, pp % 2 == 1);
    // An odd stake halves to x.5: to the even neighbour.
    if odd && half % 2 == 1 { half + 1 } else { half }
}

/// After a sync: every accepted challenge whose challenger or target has gained its pp since
/// acceptance is won (the challenger first on a tie, §4.5), in one transaction each with its
/// points, its announcement and its event; the figures freeze (§17.20). Returns the ids won.
pub fn decide(w: &mut Writer, texts: &Catalogue, now: i64) -> Result<Vec<u64>, StoreError> {
    let mut won = Vec::new();
    for (id, mut c) in accepted(w)? {
        let pp = |user| player::get(w, user).map(|p| p.map(|p| p.pp));
        let (a, b) = (pp(c.challenger.discord_id)?, pp(c.target.discord_id)?);
        let target = i64::from(c.pp);
        let (winner, loser) = if c.challenger.gain(a) >= target {
            (c.challenger.discord_id, c.target.discord_id)
        } else if c.target.gain(b) >= target {
            (c.target.discord_id, c.challenger.discord_id)
        } else {
            continue;
        };
        c.challenger.end_pp = a;
        c.target.end_pp = b;
        c.status = Status::Finished;
        c.ended_at = Some(now);
        c.winner = Some(winner);
        close(w, id, &c)?;
        w.insert(&CHALLENGES, &id, &c)?;
        w.insert(&FINISHED, &id, &())?;
        let (plus, minus) = (i64::from(c.pp), loser_points(c.pp));
        points::award(w, winner, plus, Source::Rivalry, Actor::Bot, now)?;
        points::award(w, loser, -minus, Source::Rivalry, Actor::Bot, now)?;
        edit_line(w, texts, id, &c)?;
        let (plus, minus) = (plus.to_string(), minus.to_string());
        let (winner_at, loser_at) = (format!("<@{winner}>"), format!("<@{loser}>"));
        let text = texts.render(
            Lang::En,
            "challenge.won",
            &[
                ("winner", &winner_at),
                ("loser", &loser_at),
                ("pp", &c.pp.to_string()),
                ("plus", &plus),
                ("minus", &minus),
            ],
        );
        let message = Message {
            pings: Pings::Users,
            ..Message::text(text)
        };
        routes::push(w, Route::Rivals, message, None)?;
        let event = Event::new(EventKind::ChallengeFinished, Actor::Bot, now)
            .with("challenge_id", id as i64)
            .with("winner_user_id", Value::User(winner))
            .with("points", i64::from(c.pp));
        audit::record(w, &event)?;
        won.push(id);
    }
    Ok(won)
}

/// The language to write to `user` in: their `/language`, else English.
fn language(r: &impl Read, user: u64) -> Result<Lang, StoreError> {
    Ok(i18n::preference(r, user)?.unwrap_or(Lang::En))
}

/// The DM asking the target to answer (§4.3 step 3), with Accept and Decline.
fn request_dm(texts: &Catalogue, lang: Lang, id: u64, c: &Challenge) -> Message {
    let challenger = format!("<@{}>", c.challenger.discord_id);
    let league = texts.render(lang, c.league.text_key(), &[]);
    let text = texts.render(
        lang,
        "challenge.dm",
        &[
            ("challenger", &challenger),
            ("pp", &c.pp.to_string()),
            ("league", &league),
            ("expires", &format!("<t:{}:R>", c.expires_at)),
        ],
    );
    let button = |label: &str, style, arg| Button {
        label: texts.render(lang, label, &[]),
        style,
        target: ButtonTarget::Control(CustomId::new(CONTROLS, "answer", id, Some(arg))),
        disabled: false,
    };
    Message::text(text).with_row(vec![
        button("challenge.button.accept", ButtonStyle::Success, "accept"),
        button("challenge.button.decline", ButtonStyle::Danger, "decline"),
    ])
}

/// The challenge's public line, as it stands (§4.3 step 4, §4.4, §4.5).
pub fn line(texts: &Catalogue, c: &Challenge) -> String {
    let key = format!("challenge.line.{}", c.status.name());
    let winner = c.winner.map(|w| format!("<@{w}>")).unwrap_or_default();
    texts.render(
        Lang::En,
        &key,
        &[
            ("challenger", &format!("<@{}>", c.challenger.discord_id)),
            ("target", &format!("<@{}>", c.target.discord_id)),
            ("pp", &c.pp.to_string()),
            ("league", &texts.render(Lang::En, c.league.text_key(), &[])),
            ("winner", &winner),
        ],
    )
}

fn edit_line(w: &mut Writer, texts: &Catalogue, id: u64, c: &Challenge) -> Result<(), StoreError> {
    outbox::push(
        w,
        Effect::Edit {
            anchor: anchor::line(id),
            message: Message::text(line(texts, c)),
        },
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::league::player::sample;
    use crate::outbox::queue;
    use crate::store::Store;

    const T0: i64 = 1_750_000_000;
    const ADA: u64 = 1;
    const BOB: u64 = 2;
    const CYD: u64 = 3;

    fn arena() -> (tempfile::TempDir, Store, Catalogue) {
        let (dir, store) = Store::temporary();
        store
            .write(|w| {
                for (id, league) in [
                    (ADA, League::Gold),
                    (BOB, League::Gold),
                    (CYD, League::Silver),
                ] {
                    let p = sample(id, 100 + id, 4000, league);
                    player::link(w, &p, T0).map_err(|e| StoreError::Storage(e.to_string()))?;
                }
                Ok::<_, StoreError>(())
            })
            .unwrap();
        (dir, store, Catalogue::defaults())
    }

    fn ask(challenger: u64, target: u64, pp: i64) -> Ask {
        Ask {
            challenger,
            target,
            target_is_bot: false,
            pp,
        }
    }

    fn issue_now(store: &Store, texts: &Catalogue, a: &Ask, now: i64) -> Result<u64, IssueError> {
        store
            .write(|w| Ok::<_, StoreError>(issue(w, texts, a, now)))
            .unwrap()
    }

    fn answer_now(
        store: &Store,
        texts: &Catalogue,
        id: u64,
        user: u64,
        accept: bool,
        now: i64,
    ) -> Result<Challenge, AnswerError> {
        store
            .write(|w| Ok::<_, StoreError>(answer(w, texts, id, user, accept, now)))
            .unwrap()
    }

    fn set_pp(store: &Store, id: u64, pp: u32) {
        store
            .write(|w| {
                let mut p = player::get(w, id)?.unwrap();
                p.pp = pp;
                player::update(w, &p)
            })
            .unwrap();
    }

    #[test]
    fn the_rules_are_checked_in_order_and_refusals_change_nothing() {
        let (_dir, store, texts) = arena();
        let refused = |a: Ask| issue_now(&store, &texts, &a, T0).unwrap_err();
        assert!(matches!(refused(ask(ADA, ADA, 300)), IssueError::Yourself));
        let bot = Ask {
            target_is_bot: true,
            ..ask(ADA, 99, 300)
        };
        assert!(matches!(refused(bot), IssueError::Bot));
        assert!(matches!(
            refused(ask(ADA, BOB, 249)),
            IssueError::PpRange { min: 250, max: 750 }
        ));
        assert!(matches!(
            refused(ask(ADA, BOB, 751)),
            IssueError::PpRange { .. }
        ));
        assert!(matches!(refused(ask(9, BOB, 300)), IssueError::NotLinked));
        assert!(matches!(
            refused(ask(ADA, 9, 300)),
            IssueError::TargetNotLinked
        ));
        assert!(matches!(
            refused(ask(ADA, CYD, 300)),
            IssueError::OtherLeague
        ));
        assert!(store.read(|r| r.all(&CHALLENGES)).unwrap().is_empty());
        assert!(
            store.read(queue::queued).unwrap().is_empty(),
            "no DM, no line"
        );

        let id = issue_now(&store, &texts, &ask(ADA, BOB, 300), T0).unwrap();
        // Either way round, a pending challenge blocks the pair.
        assert!(matches!(
            refused(ask(BOB, ADA, 300)),
            IssueError::AlreadyPending
        ));
        answer_now(&store, &texts, id, BOB, true, T0 + 1).unwrap();
        assert!(matches!(refused(ask(ADA, BOB, 300)), IssueError::Ongoing));
    }

    #[test]
    fn the_limit_counts_pending_and_accepted_and_the_pair_waits_a_day() {
        let (_dir, store, texts) = arena();
        store
            .write(|w| {
                for id in 10..15 {
                    let p = sample(id, 100 + id, 4000, League::Gold);
                    player::link(w, &p, T0).map_err(|e| StoreError::Storage(e.to_string()))?;
                }
                Ok::<_, StoreError>(())
            })
            .unwrap();
        let first = issue_now(&store, &texts, &ask(ADA, 10, 300), T0).unwrap();
        answer_now(&store, &texts, first, 10, true, T0).unwrap();
        issue_now(&store, &texts, &ask(ADA, 11, 300), T0).unwrap();
        issue_now(&store, &texts, &ask(12, ADA, 300), T0).unwrap();
        // One accepted and two pending: three open (§17.2).
        let refused = issue_now(&store, &texts, &ask(ADA, 13, 300), T0).unwrap_err();
        assert!(matches!(refused, IssueError::TooMany { max: 3 }));
        let refused = issue_now(&store, &texts, &ask(13, ADA, 300), T0).unwrap_err();
        assert!(matches!(refused, IssueError::TargetTooMany { max: 3 }));

        // Declined: the pair may not try again for a day, in either direction.
        let id = issue_now(&store, &texts, &ask(BOB, 14, 300), T0).unwrap();
        answer_now(&store, &texts, id, 14, false, T0 + 5).unwrap();
        let refused = issue_now(&store, &texts, &ask(14, BOB, 300), T0 + 100).unwrap_err();
        assert!(matches!(refused, IssueError::TooSoon { until } if until == T0 + 86_400));
        issue_now(&store, &texts, &ask(14, BOB, 300), T0 + 86_400).unwrap();
    }

    #[test]
    fn stale_answers_never_revive_a_challenge() {
        let (_dir, store, texts) = arena();
        let id = issue_now(&store, &texts, &ask(ADA, BOB, 300), T0).unwrap();
        assert!(matches!(
            answer_now(&store, &texts, id, ADA, true, T0),
            Err(AnswerError::NotYours)
        ));
        store
            .write(|w| revoke_pending(w, &texts, ADA, BOB, T0 + 1))
            .unwrap();
        for accept in [true, false] {
            assert!(matches!(
                answer_now(&store, &texts, id, BOB, accept, T0 + 2),
                Err(AnswerError::Closed(Status::Revoked))
            ));
        }
        let c = store.read(|r| get(r, id)).unwrap().unwrap();
        assert_eq!((c.status, c.ended_at), (Status::Revoked, Some(T0 + 1)));
        assert!(matches!(
            store
                .write(|w| Ok::<_, StoreError>(revoke_pending(w, &texts, ADA, BOB, T0 + 3)))
                .unwrap(),
            Err(RevokeError::NoSuchChallenge)
        ));
        // Past its deadline, an answer expires it instead.
        let id = issue_now(&store, &texts, &ask(ADA, BOB, 300), T0 + 86_400).unwrap();
        let late = T0 + 86_400 + 600;
        assert!(matches!(
            answer_now(&store, &texts, id, BOB, true, late),
            Err(AnswerError::Closed(Status::Expired))
        ));
        assert_eq!(
            store.read(|r| get(r, id)).unwrap().unwrap().status,
            Status::Expired
        );
    }

    #[test]
    fn pending_challenges_expire_at_their_deadline_once() {
        let (_dir, store, texts) = arena();
        let id = issue_now(&store, &texts, &ask(ADA, BOB, 300), T0).unwrap();
        assert!(!store.read(|r| expiry_due(r, T0 + 599)).unwrap());
        assert!(store.read(|r| expiry_due(r, T0 + 600)).unwrap());
        assert_eq!(store.write(|w| expire_due(w, &texts, T0 + 600)).unwrap(), 1);
        assert_eq!(store.write(|w| expire_due(w, &texts, T0 + 700)).unwrap(), 0);
        assert!(!store.read(|r| expiry_due(r, i64::MAX)).unwrap());
        assert_eq!(
            store.read(|r| get(r, id)).unwrap().unwrap().status,
            Status::Expired
        );
        let log = audit::summaries(&store);
        assert_eq!(
            log.iter()
                .filter(|l| l.starts_with("CHALLENGE_EXPIRED"))
                .count(),
            1
        );
    }

    #[test]
    fn the_first_to_gain_the_target_wins_once_and_the_figures_freeze() {
        let (_dir, store, texts) = arena();
        let id = issue_now(&store, &texts, &ask(ADA, BOB, 251), T0).unwrap();
        answer_now(&store, &texts, id, BOB, true, T0).unwrap();
        set_pp(&store, BOB, 4250);
        assert!(
            store.write(|w| decide(w, &texts, T0)).unwrap().is_empty(),
            "one pp short"
        );
        // Both reach it in the same sync: the challenger wins the tie (§4.5).
        set_pp(&store, ADA, 4251);
        set_pp(&store, BOB, 4300);
        assert_eq!(store.write(|w| decide(w, &texts, T0 + 5)).unwrap(), [id]);
        assert!(
            store
                .write(|w| decide(w, &texts, T0 + 6))
                .unwrap()
                .is_empty(),
            "once"
        );
        let pts = |id| store.read(|r| player::get(r, id)).unwrap().unwrap().points;
        assert_eq!((pts(ADA), pts(BOB)), (251, -126));
        set_pp(&store, BOB, 9000);
        let c = store.read(|r| get(r, id)).unwrap().unwrap();
        assert_eq!((c.status, c.winner), (Status::Finished, Some(ADA)));
        assert_eq!(
            (c.challenger.gain(None), c.target.gain(Some(9000))),
            (251, 300)
        );
        assert_eq!(store.read(finished).unwrap().len(), 1);
    }

    #[test]
    fn a_loser_loses_half_rounded_to_even() {
        for (pp, lost) in [(250, 125), (251, 126), (253, 126), (255, 128), (750, 375)] {
            assert_eq!(loser_points(pp), lost, "{pp}");
        }
    }

    #[test]
    fn a_refused_dm_revokes_a_pending_challenge_and_leaving_revokes_the_rest() {
        let (_dir, store, texts) = arena();
        let id = issue_now(&store, &texts, &ask(ADA, BOB, 300), T0).unwrap();
        store.write(|w| dm_refused(w, &texts, id, T0 + 1)).unwrap();
        assert_eq!(
            store.read(|r| get(r, id)).unwrap().unwrap().status,
            Status::Revoked
        );
        let told = store.read(queue::queued).unwrap();
        assert!(told.iter().any(|(_, q)| matches!(
            &q.effect,
            Effect::Send { to: Destination::Dm(ADA), message, .. }
                if message.content.contains("could not be delivered")
        )));
        let id = issue_now(&store, &texts, &ask(ADA, BOB, 300), T0 + 86_400).unwrap();
        answer_now(&store, &texts, id, BOB, true, T0 + 86_400).unwrap();
        let revoked = store
            .write(|w| revoke_all(w, &texts, BOB, Actor::Bot, T0 + 86_401))
            .unwrap();
        assert_eq!(revoked, 1);
        assert_eq!(
            store.read(|r| get(r, id)).unwrap().unwrap().status,
            Status::Revoked
        );
        assert!(store.read(accepted).unwrap().is_empty());
    }
}
