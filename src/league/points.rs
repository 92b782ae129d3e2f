//! Points (osu-arena §5): two counters per player — universal points, never reset, and seasonal
//! points, reset when a season starts — and the history of every change, so a total can always
//! be explained. Every change goes through [`award`], in the caller's transaction, with its
//! audit event.
//!
//! Seasonal points count only while a season is on: off-season, an award adds to the universal
//! counter alone (the original added to both and wiped the seasonal one later, while telling
//! players it did not count, §17.24). Counters are `i64` and saturate: no total overflows
//! (§17.26).

use serde::{Deserialize, Serialize};

use super::player;
use super::season;
use crate::audit::{self, Actor, Event, EventKind, Value};
use crate::store::{META, Read, StoreError, Table, Writer};

/// Every change of points: `(Discord id, change id)` → the change (see `league::points`).
pub(crate) const POINTS_HISTORY: Table<(u64, u64), Change> = Table::new("points_history");

/// The key of `stagehand_meta` holding the id the next change of points gets.
const NEXT_CHANGE: &str = "points_next";

/// Where points came from (§5.2). Stored by position: append, never reorder.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Source {
    /// `/points` by a points editor.
    Manual,
    /// The weekly winner of a league.
    WeeklyWinner,
    /// A new best score.
    TopPlay,
    /// End-of-season points for the pp gained in the season.
    SeasonEnd,
    /// A won or lost rivalry.
    Rivalry,
}

impl Source {
    /// The name in the log (`top_play`).
    pub fn name(self) -> &'static str {
        match self {
            Source::Manual => "manual",
            Source::WeeklyWinner => "weekly_winner",
            Source::TopPlay => "top_play",
            Source::SeasonEnd => "season_end",
            Source::Rivalry => "rivalry",
        }
    }
}

/// One change of a player's points.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Change {
    /// Signed: a lost rivalry or a correction takes points away.
    pub amount: i64,
    pub source: Source,
    pub actor: Actor,
    /// Unix seconds.
    pub at: i64,
    /// The season it counted in; `None` off-season (universal points only).
    pub season: Option<u64>,
}

/// A player's counters after a change.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Totals {
    pub points: i64,
    pub seasonal_points: i64,
}

/// Adds `amount` (negative: takes away) to player `discord_id`'s universal points, and to their
/// seasonal points while a season is on; records the change and its `POINTS_ADJUSTED` event.
/// `None` (and nothing changed) when they are not linked.
pub fn award(
    w: &mut Writer,
    discord_id: u64,
    amount: i64,
    source: Source,
    actor: Actor,
    now: i64,
) -> Result<Option<Totals>, StoreError> {
    let season = season::current(w)?;
    let totals = add(w, season, discord_id, amount, source, actor, now)?;
    if totals.is_some() {
        let event = Event::new(EventKind::PointsAdjusted, actor, now)
            .with("target_user_id", Value::User(discord_id))
            .with("points", amount)
            .with("source", source.name());
        audit::record(w, &event)?;
    }
    Ok(totals)
}

/// [`award`] counted in `season` (`None`: universal points only), whether or not it is still
/// on, and without an event of its own: for points given to everyone at once, whose one event
/// sums them up (the end of a season, `SEASON_ENDED`). The change is in the history all the
/// same.
pub fn add(
    w: &mut Writer,
    season: Option<u64>,
    discord_id: u64,
    amount: i64,
    source: Source,
    actor: Actor,
    now: i64,
) -> Result<Option<Totals>, StoreError> {
    let Some(mut p) = player::get(w, discord_id)? else {
        return Ok(None);
    };
    p.points = p.points.saturating_add(amount);
    if season.is_some() {
        p.seasonal_points = p.seasonal_points.saturating_add(amount);
    }
    player::update(w, &p)?;
    let id = w.get(&META, NEXT_CHANGE)?.unwrap_or(1);
    w.insert(&META, NEXT_CHANGE, &(id + 1))?;
    let change = Change {
        amount,
        source,
        actor,
        at: now,
        season,
    };
    w.insert(&POINTS_HISTORY, &(discord_id, id), &change)?;
    Ok(Some(Totals {
        points: p.points,
        seasonal_points: p.seasonal_points,
    }))
}

/// Every change of player `discord_id`'s points, oldest first.
pub fn history(r: &impl Read, discord_id: u64) -> Result<Vec<Change>, StoreError> {
    let rows = r.range(
        &POINTS_HISTORY,
        &(discord_id, 0),
        &(discord_id, u64::MAX),
        usize::MAX,
    )?;
    Ok(rows.into_iter().map(|(_, change)| change).collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::league::League;
    use crate::store::Store;

    const T0: i64 = 1_750_000_000;
    const ADA: u64 = 7;

    fn linked() -> (tempfile::TempDir, Store) {
        let (dir, store) = Store::temporary();
        let ada = player::sample(ADA, 70, 1000, League::Gold);
        store
            .write(|w| player::link(w, &ada, T0).map_err(|e| StoreError::Storage(e.to_string())))
            .unwrap();
        (dir, store)
    }

    fn award_now(store: &Store, amount: i64, source: Source) -> Option<Totals> {
        store
            .write(|w| award(w, ADA, amount, source, Actor::User(1), T0))
            .unwrap()
    }

    #[test]
    fn seasonal_points_count_only_in_season_and_every_change_is_kept() {
        let (_dir, store) = linked();
        let off = award_now(&store, 29, Source::TopPlay).unwrap();
        assert_eq!((off.points, off.seasonal_points), (29, 0), "off-season");
        store.write(|w| season::open(w, T0)).unwrap();
        let on = award_now(&store, -5, Source::Manual).unwrap();
        assert_eq!((on.points, on.seasonal_points), (24, -5));
        let history = store.read(|r| history(r, ADA)).unwrap();
        let seen: Vec<_> = history
            .iter()
            .map(|c| (c.amount, c.source, c.season))
            .collect();
        assert_eq!(
            seen,
            [(29, Source::TopPlay, None), (-5, Source::Manual, Some(1))]
        );
        let total: i64 = history.iter().map(|c| c.amount).sum();
        assert_eq!(total, on.points, "the history explains the total");
        let log = audit::summaries(&store);
        assert!(
            log.last().unwrap().ends_with("points=-5 source=manual"),
            "{log:?}"
        );
    }

    #[test]
    fn nobody_unlinked_gets_points_and_totals_saturate() {
        let (_dir, store) = linked();
        let stranger = store
            .write(|w| award(w, 99, 10, Source::Manual, Actor::Bot, T0))
            .unwrap();
        assert_eq!(stranger, None);
        assert!(store.read(|r| history(r, 99)).unwrap().is_empty());
        award_now(&store, i64::MAX, Source::Manual);
        let capped = award_now(&store, 1, Source::Manual).unwrap();
        assert_eq!(capped.points, i64::MAX);
    }
}
