//! Ending and starting a season (osu-arena §6.2–6.3, §2.9–2.11), each one resumable job
//! (§17.22).
//!
//! `/season_end` and `/season_start` first [`ask`]: a prompt that only its invoker may answer,
//! stored with its deadline, so its buttons work, or stop working, correctly across a restart.
//! Confirming ([`answer`]) stores the job as a [`Transition`] whose phase says what is done; the
//! scheduler then runs it ([`run`]), one phase — or one league of a phase — per transaction,
//! each advancing the phase in the same transaction as its work. A crash resumes from the
//! phase stored; nothing is done twice and nothing is skipped. Progress is one message (the
//! confirmed prompt), edited as phases complete.
//!
//! - **End**: the season is over as soon as it is confirmed (off-season: `/points` stops,
//!   top plays count for universal points only). Then: refresh everyone's pp from osu!, award
//!   end-of-season points league by league (§5.4), archive each league's table, archive the
//!   seasonal points, announce.
//! - **Start**: reset seasonal points, then league by league re-base `initial_pp` and move each
//!   player whose `future_league` differs, with their role swap through the outbox (§3.3), and
//!   finally open the new season and announce it.

use serde::{Deserialize, Serialize};

use super::leagues::League;
use super::player::{self, Player};
use super::points::{self, Source};
use super::season::{self, Scored, Standing};
use super::{roles, sync};
use crate::audit::{self, Actor, Event, EventKind, Value};
use crate::i18n::{Catalogue, Lang};
use crate::osu;
use crate::outbox::{self, Effect, Message, Posted};
use crate::routes::{self, Route};
use crate::store::{META, Read, Store, StoreError, Table, Writer};

/// The season change under way, if any: `current` → the job (see `league::transition`).
pub(crate) const TRANSITION: Table<str, Transition> = Table::new("season_transition");
const CURRENT: &str = "current";

/// Unanswered prompts of `/season_end` and `/season_start`: prompt id → prompt.
pub(crate) const PROMPTS: Table<u64, Prompt> = Table::new("season_prompts");

/// The key of `stagehand_meta` holding the id the next prompt gets.
const NEXT_PROMPT: &str = "season_prompt_next";

/// How long a prompt can be answered (§2.11).
pub const PROMPT_SECS: i64 = 30;

/// How long a job waits before trying again after a failure.
const RETRY_SECS: i64 = 60;

/// Which change.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Change {
    End,
    Start,
}

/// A prompt waiting for its invoker's answer.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Prompt {
    pub change: Change,
    pub invoker: u64,
    /// Unix seconds; an answer after this is refused.
    pub expires_at: i64,
}

/// A season change in progress.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Transition {
    pub change: Change,
    /// The season ending, or the one starting.
    pub season: u64,
    /// Who confirmed it.
    pub actor: u64,
    /// The language of the progress message.
    pub lang: Lang,
    /// What is left to do.
    pub phase: Phase,
    /// The anchor of the progress message.
    pub progress: String,
    /// Unix seconds: not run before (set after a failure).
    pub not_before: i64,
    /// Players moved to another league so far (season start).
    pub moved: u64,
    /// Players given end-of-season points so far, and how many points in all (season end).
    pub awarded: (u64, i64),
}

/// The next step of a transition. Leagues are indexes into [`League::ALL`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Phase {
    /// End: refresh pp from osu!.
    Sync,
    /// End: end-of-season points of the league.
    Award(u8),
    /// End: archive the league's table.
    Archive(u8),
    /// End: archive the seasonal points.
    ArchivePoints,
    /// Start: seasonal points to 0.
    Reset,
    /// Start: re-base and move the league's players.
    Move(u8),
    /// Both: announce, and for a start open the season.
    Finish,
}

/// Why a season command or an answer to its prompt was refused; nothing changed.
#[derive(Debug, thiserror::Error)]
pub enum SeasonError {
    #[error("a season change is already running")]
    Busy,
    #[error("no season is on")]
    NoSeason,
    #[error("season {0} is on")]
    SeasonOn(u64),
    #[error("the prompt was answered or is gone")]
    PromptGone,
    #[error("the prompt belongs to someone else")]
    NotYours,
    #[error("the prompt timed out")]
    Expired,
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl SeasonError {
    pub fn message(&self) -> crate::i18n::Message {
        use crate::i18n::Message;
        match self {
            SeasonError::Busy => Message::new("season.error.busy"),
            SeasonError::NoSeason => Message::new("season.error.no_season"),
            SeasonError::SeasonOn(n) => Message::new("season.error.season_on").with("season", n),
            SeasonError::PromptGone => Message::new("error.outdated_control"),
            SeasonError::NotYours => Message::new("season.prompt.not_yours"),
            SeasonError::Expired => Message::new("season.prompt.expired"),
            SeasonError::Store(_) => Message::new("error.command_error"),
        }
    }
}

/// The season change running now, if any.
pub fn current(r: &impl Read) -> Result<Option<Transition>, StoreError> {
    r.get(&TRANSITION, CURRENT)
}

/// The season `change` would end or start, or why it cannot happen now.
fn target(r: &impl Read, change: Change) -> Result<u64, SeasonError> {
    if current(r)?.is_some() {
        return Err(SeasonError::Busy);
    }
    let on = season::current(r)?;
    match (change, on) {
        (Change::End, Some(n)) => Ok(n),
        (Change::End, None) => Err(SeasonError::NoSeason),
        (Change::Start, Some(n)) => Err(SeasonError::SeasonOn(n)),
        (Change::Start, None) => Ok(season::latest(r)?.map_or(1, |(n, _)| n + 1)),
    }
}

/// A prompt for `change`, answerable by `invoker` for [`PROMPT_SECS`]: its id and the season
/// it concerns.
pub fn ask(
    w: &mut Writer,
    change: Change,
    invoker: u64,
    now: i64,
) -> Result<(u64, u64), SeasonError> {
    let season = target(w, change)?;
    let id = w.get(&META, NEXT_PROMPT)?.unwrap_or(1);
    w.insert(&META, NEXT_PROMPT, &(id + 1))?;
    let prompt = Prompt {
        change,
        invoker,
        expires_at: now + PROMPT_SECS,
    };
    w.insert(&PROMPTS, &id, &prompt)?;
    Ok((id, season))
}

/// What an answer did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Answered {
    Cancelled,
    /// The job is stored; the scheduler runs it.
    Started {
        change: Change,
        season: u64,
    },
}

/// `user` answers prompt `id`: cancels it, or confirms it — which checks again that the change
/// can happen, stores the job, and makes `shown` (the prompt's message) its progress message.
/// A season ends the moment its end is confirmed.
pub fn answer(
    w: &mut Writer,
    id: u64,
    user: u64,
    confirmed: bool,
    shown: Posted,
    lang: Lang,
    now: i64,
) -> Result<Answered, SeasonError> {
    let Some(prompt) = w.get(&PROMPTS, &id)? else {
        return Err(SeasonError::PromptGone);
    };
    if prompt.invoker != user {
        return Err(SeasonError::NotYours);
    }
    w.remove(&PROMPTS, &id)?;
    if now > prompt.expires_at {
        return Err(SeasonError::Expired);
    }
    if !confirmed {
        return Ok(Answered::Cancelled);
    }
    let season = target(w, prompt.change)?;
    let progress = format!("season:{season}:{}", change_name(prompt.change));
    outbox::queue::remember(w, &progress, shown)?;
    let phase = match prompt.change {
        Change::End => {
            season::close(w, season, now)?;
            Phase::Sync
        }
        Change::Start => Phase::Reset,
    };
    let transition = Transition {
        change: prompt.change,
        season,
        actor: user,
        lang,
        phase,
        progress,
        not_before: now,
        moved: 0,
        awarded: (0, 0),
    };
    w.insert(&TRANSITION, CURRENT, &transition)?;
    Ok(Answered::Started {
        change: prompt.change,
        season,
    })
}

fn change_name(change: Change) -> &'static str {
    match change {
        Change::End => "end",
        Change::Start => "start",
    }
}

/// Whether a season change waits to run at `now`.
pub fn due(r: &impl Read, now: i64) -> Result<bool, StoreError> {
    Ok(current(r)?.is_some_and(|t| t.not_before <= now))
}

/// Runs the season change under way to its end, phase by phase, calling `phase_done` after each
/// (its progress edit is queued); the last phase done, or `None` when there was nothing to run.
/// A failure leaves the job at the phase that failed, to be tried again after a while.
pub async fn run(
    store: &Store,
    osu: Option<&osu::Client>,
    texts: &Catalogue,
    now: i64,
    phase_done: &mut (dyn FnMut() + Send),
) -> Result<Option<Transition>, StoreError> {
    let mut last = None;
    loop {
        let Some(t) = store.read(current)? else {
            return Ok(last);
        };
        if let (Phase::Sync, Some(osu)) = (t.phase, osu) {
            sync::run(store, osu, now).await?;
        }
        let step = store.write(|w| step(w, texts, &t, now));
        match step {
            Ok(()) => {
                tracing::info!(season = t.season, phase = ?t.phase, "season change: phase done");
                phase_done();
                last = Some(t);
            }
            Err(err) => {
                store.write(|w| {
                    if let Some(mut t) = current(w)? {
                        t.not_before = now + RETRY_SECS;
                        w.insert(&TRANSITION, CURRENT, &t)?;
                    }
                    Ok::<_, StoreError>(())
                })?;
                return Err(err);
            }
        }
    }
}

/// Does `t`'s phase and stores the next one, in one transaction. A phase that another run has
/// done meanwhile is not done again.
fn step(w: &mut Writer, texts: &Catalogue, t: &Transition, now: i64) -> Result<(), StoreError> {
    if current(w)?.as_ref() != Some(t) {
        return Ok(());
    }
    let mut next = t.clone();
    let league_at = |i: u8| League::ALL.get(usize::from(i)).copied();
    next.phase = match t.phase {
        Phase::Sync => Phase::Award(0),
        Phase::Award(i) => {
            if let Some(league) = league_at(i) {
                let (players, total) = award_league(w, t.season, league, now)?;
                next.awarded.0 += players;
                next.awarded.1 = next.awarded.1.saturating_add(total);
            }
            after(i, Phase::Award, Phase::Archive(0))
        }
        Phase::Archive(i) => {
            if let Some(league) = league_at(i) {
                let mut rows: Vec<Standing> = player::members(w, league)?
                    .iter()
                    .map(Standing::of)
                    .collect();
                rows.sort_by(|a, b| {
                    b.pp_change()
                        .cmp(&a.pp_change())
                        .then(a.osu_username.cmp(&b.osu_username))
                });
                // A league nobody played in has no table to keep.
                if !rows.is_empty() {
                    season::archive_table(w, t.season, league.name(), &rows)?;
                }
            }
            after(i, Phase::Archive, Phase::ArchivePoints)
        }
        Phase::ArchivePoints => {
            let rows = player::all(w)?
                .into_iter()
                .map(|p| Scored {
                    discord_id: p.discord_id,
                    osu_username: p.osu_username,
                    points: p.seasonal_points,
                })
                .collect();
            season::archive_points(w, t.season, rows)?;
            Phase::Finish
        }
        Phase::Reset => {
            for mut p in player::all(w)? {
                if p.seasonal_points != 0 {
                    p.seasonal_points = 0;
                    player::update(w, &p)?;
                }
            }
            Phase::Move(0)
        }
        Phase::Move(i) => {
            if let Some(league) = league_at(i) {
                next.moved += move_league(w, league, Actor::User(t.actor), now)?;
            }
            after(i, Phase::Move, Phase::Finish)
        }
        Phase::Finish => return finish(w, texts, t, now),
    };
    let message = Message::text(progress(texts, &next));
    outbox::push(
        w,
        Effect::Edit {
            anchor: t.progress.clone(),
            message,
        },
    )?;
    w.insert(&TRANSITION, CURRENT, &next)
}

/// The phase after league `i` of a per-league phase.
fn after(i: u8, same: fn(u8) -> Phase, then: Phase) -> Phase {
    if usize::from(i) + 1 < League::ALL.len() {
        same(i + 1)
    } else {
        then
    }
}

/// The points for gaining `pp_change` pp in a season (§5.4): nothing for a loss, 1 below 100,
/// `pp_change² / 1000` rounded half to even up to 1000, then `pp_change`.
pub fn season_end_points(pp_change: i64) -> i64 {
    match pp_change {
        i64::MIN..0 => 0,
        0..100 => 1,
        100..=1000 => {
            let square = pp_change * pp_change;
            let (whole, rest) = (square / 1000, square % 1000);
            match rest.cmp(&500) {
                std::cmp::Ordering::Greater => whole + 1,
                std::cmp::Ordering::Equal => whole + whole % 2,
                std::cmp::Ordering::Less => whole,
            }
        }
        _ => pp_change,
    }
}

/// Gives the players of `league` their end-of-season points; how many got some, and how many
/// points in all.
fn award_league(
    w: &mut Writer,
    season: u64,
    league: League,
    now: i64,
) -> Result<(u64, i64), StoreError> {
    let (mut players, mut total) = (0, 0_i64);
    for p in player::members(w, league)? {
        let amount = season_end_points(p.pp_change());
        if amount > 0 {
            let source = Source::SeasonEnd;
            points::add(
                w,
                Some(season),
                p.discord_id,
                amount,
                source,
                Actor::Bot,
                now,
            )?;
            players += 1;
            total = total.saturating_add(amount);
        }
    }
    Ok((players, total))
}

/// Re-bases every player of `league` on their pp and moves those whose `future_league`
/// differs, with their role swap; returns how many moved.
fn move_league(w: &mut Writer, league: League, actor: Actor, now: i64) -> Result<u64, StoreError> {
    let mut moved = 0;
    for mut p in player::members(w, league)? {
        p.initial_pp = p.pp;
        if p.future_league == p.league {
            player::update(w, &p)?;
            continue;
        }
        let (from, to) = (p.league, p.future_league);
        player::transfer(w, &mut p, to)?;
        moved += 1;
        let (add_roles, remove_roles) = roles::on_transfer(w, from, p.league)?;
        if !add_roles.is_empty() || !remove_roles.is_empty() {
            outbox::push(
                w,
                Effect::Member {
                    user: p.discord_id,
                    add_roles,
                    remove_roles,
                    nick: None,
                },
            )?;
        }
        transferred(w, &p, from, actor, now)?;
    }
    Ok(moved)
}

fn transferred(
    w: &mut Writer,
    p: &Player,
    from: League,
    actor: Actor,
    now: i64,
) -> Result<(), StoreError> {
    let event = Event::new(EventKind::LeagueTransferred, actor, now)
        .with("target_user_id", Value::User(p.discord_id))
        .with("league", p.league.name())
        .with("from_league", from.name());
    audit::record(w, &event).map(drop)
}

/// The last phase: the announcement, the final progress, the event; a start opens the season.
fn finish(w: &mut Writer, texts: &Catalogue, t: &Transition, now: i64) -> Result<(), StoreError> {
    let season = t.season.to_string();
    let (kind, announcement, done) = match t.change {
        Change::End => (
            EventKind::SeasonEnded,
            "season.announce.ended",
            "season.ended",
        ),
        Change::Start => {
            let opened = season::open(w, now)?;
            if opened != t.season {
                tracing::warn!(
                    expected = t.season,
                    opened,
                    "season start: another season number"
                );
            }
            (
                EventKind::SeasonStarted,
                "season.announce.started",
                "season.started",
            )
        }
    };
    let moved = t.moved.to_string();
    let params = [("season", season.as_str()), ("moved", moved.as_str())];
    routes::push(
        w,
        Route::BotUpdates,
        Message::text(texts.render(Lang::En, announcement, &params)),
        None,
    )?;
    outbox::push(
        w,
        Effect::Edit {
            anchor: t.progress.clone(),
            message: Message::text(texts.render(t.lang, done, &params)),
        },
    )?;
    let mut event = Event::new(kind, Actor::User(t.actor), now).with("season", t.season as i64);
    event = match t.change {
        Change::End => event
            .with("players_awarded", t.awarded.0 as i64)
            .with("points_awarded", t.awarded.1),
        Change::Start => event.with("players_moved", t.moved as i64),
    };
    audit::record(w, &event)?;
    w.remove(&TRANSITION, CURRENT).map(drop)
}

/// The progress message of a job about to do `t.phase`.
pub fn progress(texts: &Catalogue, t: &Transition) -> String {
    let season = t.season.to_string();
    let total = League::ALL.len().to_string();
    let league_step = |key: &str, i: u8| {
        let league = League::ALL
            .get(usize::from(i))
            .map(|l| texts.render(t.lang, l.text_key(), &[]))
            .unwrap_or_default();
        let done = (usize::from(i) + 1).to_string();
        texts.render(
            t.lang,
            key,
            &[
                ("season", &season),
                ("league", &league),
                ("done", &done),
                ("total", &total),
            ],
        )
    };
    let plain = |key: &str| texts.render(t.lang, key, &[("season", &season)]);
    match t.phase {
        Phase::Sync => plain("season.progress.sync"),
        Phase::Award(i) => league_step("season.progress.award", i),
        Phase::Archive(i) => league_step("season.progress.archive", i),
        Phase::ArchivePoints => plain("season.progress.archive_points"),
        Phase::Reset => plain("season.progress.reset"),
        Phase::Move(i) => league_step("season.progress.move", i),
        Phase::Finish => plain("season.progress.finish"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::league::player::sample;
    use crate::outbox::queue;

    const T0: i64 = 1_750_000_000;
    const ADMIN: u64 = 900;
    const SHOWN: Posted = Posted {
        channel: 1,
        message: 2,
    };

    #[test]
    fn season_end_points_follow_the_spec() {
        let cases = [
            (-5, 0),
            (0, 1),
            (99, 1),
            (100, 10),
            (150, 22),
            (250, 62),
            (350, 122),
            (999, 998),
            (1000, 1000),
            (1001, 1001),
            (i64::from(u32::MAX), i64::from(u32::MAX)),
        ];
        for (gain, points) in cases {
            assert_eq!(season_end_points(gain), points, "{gain} pp");
        }
    }

    fn store_with(players: &[Player]) -> (tempfile::TempDir, Store) {
        let (dir, store) = Store::temporary();
        store
            .write(|w| {
                for p in players {
                    player::link(w, p, T0).map_err(|e| StoreError::Storage(e.to_string()))?;
                }
                Ok::<_, StoreError>(())
            })
            .unwrap();
        (dir, store)
    }

    fn ask_now(store: &Store, change: Change, now: i64) -> Result<(u64, u64), SeasonError> {
        store
            .write(|w| Ok::<_, StoreError>(ask(w, change, ADMIN, now)))
            .unwrap()
    }

    fn answer_now(
        store: &Store,
        id: u64,
        user: u64,
        yes: bool,
        now: i64,
    ) -> Result<Answered, SeasonError> {
        store
            .write(|w| Ok::<_, StoreError>(answer(w, id, user, yes, SHOWN, Lang::En, now)))
            .unwrap()
    }

    #[test]
    fn prompts_answer_only_their_invoker_within_30_seconds() {
        let (_dir, store) = store_with(&[]);
        assert!(matches!(
            ask_now(&store, Change::End, T0),
            Err(SeasonError::NoSeason)
        ));
        let (id, season) = ask_now(&store, Change::Start, T0).unwrap();
        assert_eq!(season, 1);
        assert!(matches!(
            answer_now(&store, id, 7, true, T0),
            Err(SeasonError::NotYours)
        ));
        assert!(matches!(
            answer_now(&store, id, ADMIN, true, T0 + PROMPT_SECS + 1),
            Err(SeasonError::Expired)
        ));
        assert!(
            matches!(
                answer_now(&store, id, ADMIN, true, T0),
                Err(SeasonError::PromptGone)
            ),
            "an expired prompt is gone"
        );
        assert_eq!(store.read(current).unwrap(), None, "nothing started");

        let (id, _) = ask_now(&store, Change::Start, T0).unwrap();
        assert_eq!(
            answer_now(&store, id, ADMIN, false, T0).unwrap(),
            Answered::Cancelled
        );
        let (first, _) = ask_now(&store, Change::Start, T0).unwrap();
        let (second, _) = ask_now(&store, Change::Start, T0).unwrap();
        let started = answer_now(&store, first, ADMIN, true, T0 + PROMPT_SECS).unwrap();
        assert_eq!(
            started,
            Answered::Started {
                change: Change::Start,
                season: 1
            }
        );
        assert_eq!(
            store.read(|r| queue::posted(r, "season:1:start")).unwrap(),
            Some(SHOWN),
            "the prompt shows the progress"
        );
        // A second prompt confirmed while the first runs: refused, nothing twice.
        assert!(matches!(
            answer_now(&store, second, ADMIN, true, T0),
            Err(SeasonError::Busy)
        ));
        assert!(matches!(
            ask_now(&store, Change::Start, T0),
            Err(SeasonError::Busy)
        ));
    }

    /// Runs the job to its end, a phase per call, as a restart after each phase would.
    fn run_to_end(store: &Store, now: i64) -> usize {
        let texts = Catalogue::defaults();
        let mut steps = 0;
        while let Some(t) = store.read(current).unwrap() {
            store.write(|w| step(w, &texts, &t, now)).unwrap();
            // A second run of a phase already done changes nothing.
            store.write(|w| step(w, &texts, &t, now)).unwrap();
            steps += 1;
        }
        steps
    }

    #[test]
    fn a_season_ends_and_the_next_starts_league_by_league() {
        let mut ada = sample(1, 101, 5000, League::Gold);
        ada.pp = 5150; // +150: 22 points
        ada.future_league = League::Platinum;
        let mut bob = sample(2, 102, 3000, League::Silver);
        bob.pp = 2990; // a loss: nothing
        let mut cyd = sample(3, 103, 4000, League::Gold);
        cyd.pp = 4050; // +50: 1 point
        cyd.seasonal_points = 7;
        let (_dir, store) = store_with(&[ada.clone(), bob, cyd]);
        store.write(|w| season::open(w, T0)).unwrap();
        store
            .write(|w| {
                roles::set(w, roles::RoleKey::League(League::Gold), 71, Actor::Bot, T0).map(drop)
            })
            .unwrap();

        let (id, season) = ask_now(&store, Change::End, T0).unwrap();
        assert_eq!(season, 1);
        answer_now(&store, id, ADMIN, true, T0).unwrap();
        assert_eq!(
            store.read(season::current).unwrap(),
            None,
            "over once confirmed"
        );
        assert_eq!(run_to_end(&store, T0), 1 + 8 + 8 + 1 + 1);
        let seasonal = |id| {
            store
                .read(|r| player::get(r, id))
                .unwrap()
                .unwrap()
                .seasonal_points
        };
        assert_eq!((seasonal(1), seasonal(2), seasonal(3)), (22, 0, 8));
        let gold = store
            .read(|r| season::archived_table(r, 1, "gold"))
            .unwrap()
            .unwrap();
        let names: Vec<&str> = gold.iter().map(|s| s.osu_username.as_str()).collect();
        assert_eq!(names, ["osu101", "osu103"], "by gain");
        let points = store
            .read(|r| season::archived_points(r, 1))
            .unwrap()
            .unwrap();
        assert_eq!(
            points.iter().map(|s| s.points).collect::<Vec<_>>(),
            [22, 8, 0]
        );

        let (id, season) = ask_now(&store, Change::Start, T0 + 100).unwrap();
        assert_eq!(season, 2);
        answer_now(&store, id, ADMIN, true, T0 + 100).unwrap();
        assert_eq!(run_to_end(&store, T0 + 100), 1 + 8 + 1);
        assert_eq!(store.read(season::current).unwrap(), Some(2));
        let ada_now = store.read(|r| player::get(r, 1)).unwrap().unwrap();
        assert_eq!(ada_now.league, League::Platinum);
        assert_eq!(
            (ada_now.initial_pp, ada_now.seasonal_points, ada_now.points),
            (5150, 0, 22)
        );
        assert_eq!(
            store
                .read(|r| player::members(r, League::Platinum))
                .unwrap()
                .len(),
            1,
            "the league index moved with her"
        );
        // Her role swap is queued (only the Gold role is known: nothing to add).
        let effects = store.read(queue::queued).unwrap();
        assert!(effects.iter().any(|(_, q)| matches!(
            &q.effect,
            Effect::Member { user: 1, add_roles, remove_roles, .. }
                if add_roles.is_empty() && remove_roles == &[71]
        )));
        // The archive did not move: later changes never touch it.
        let gold = store
            .read(|r| season::archived_table(r, 1, "gold"))
            .unwrap()
            .unwrap();
        assert_eq!(gold[0].initial_pp, ada.initial_pp);
        let log = audit::summaries(&store);
        let ended = "SEASON_ENDED by <@900>: season=1 players_awarded=2 points_awarded=23";
        let started = "SEASON_STARTED by <@900>: season=2 players_moved=1";
        assert!(log.iter().any(|l| l == ended), "{log:?}");
        assert!(log.iter().any(|l| l == started), "{log:?}");
        assert!(
            !log.iter().any(|l| l.contains("source=season_end")),
            "one event, not one each"
        );
        assert!(log.iter().any(|l| l.starts_with("LEAGUE_TRANSFERRED")));
    }
}
