//! Seasons (osu-arena §6) and their archives (§11.3, §11.8).
//!
//! Seasons are numbered consecutively from 1. The latest season is *on* until it ends; with no
//! season on, the league is *off-season* (§6.1), a real state every command respects. A season
//! ends and starts through the resumable jobs of `league::transition`; the archives they write
//! here — each league's final table and everyone's seasonal points — are copies that later
//! changes never touch: a player who leaves or is deleted keeps their archived rows (§17.25).

use serde::{Deserialize, Serialize};

use super::leagues::League;
use super::player::Player;
use crate::store::{Read, StoreError, Table, Writer};

/// Seasons: number → the season (see `league::season`).
pub(crate) const SEASONS: Table<u64, Season> = Table::new("seasons");

/// Archived league tables: `(season, league name)` → the table's rows as the season ended.
/// Names, not [`League`]s: an imported season may carry a league that no longer exists.
pub(crate) const ARCHIVED_TABLES: Table<(u64, String), Vec<Standing>> =
    Table::new("archived_tables");

/// Archived seasonal points: season → every player's seasonal points as it ended, best first.
pub(crate) const ARCHIVED_POINTS: Table<u64, Vec<Scored>> = Table::new("archived_points");

/// A season.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Season {
    /// Unix seconds.
    pub started_at: i64,
    /// `None` while it is on.
    pub ended_at: Option<i64>,
}

/// A player's row of a league table, as archived.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Standing {
    pub discord_id: u64,
    pub osu_username: String,
    pub initial_pp: u32,
    pub current_pp: u32,
    pub global_rank: Option<u32>,
    pub ii: f64,
}

impl Standing {
    pub fn of(p: &Player) -> Standing {
        Standing {
            discord_id: p.discord_id,
            osu_username: p.osu_username.clone(),
            initial_pp: p.initial_pp,
            current_pp: p.pp,
            global_rank: p.global_rank,
            ii: p.ii,
        }
    }

    pub fn pp_change(&self) -> i64 {
        i64::from(self.current_pp) - i64::from(self.initial_pp)
    }

    /// Gain in percent of the initial pp, to two decimals; `None` from 0 pp (no division by
    /// zero, §17.26).
    pub fn percentage_change(&self) -> Option<f64> {
        (self.initial_pp > 0).then(|| {
            (self.pp_change() as f64 * 100.0 / f64::from(self.initial_pp) * 100.0).round() / 100.0
        })
    }
}

/// A player's seasonal points, as archived.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Scored {
    pub discord_id: u64,
    pub osu_username: String,
    pub points: i64,
}

/// The season that is on, if any.
pub fn current(r: &impl Read) -> Result<Option<u64>, StoreError> {
    Ok(latest(r)?.and_then(|(number, s)| s.ended_at.is_none().then_some(number)))
}

/// The latest season, on or ended.
pub fn latest(r: &impl Read) -> Result<Option<(u64, Season)>, StoreError> {
    Ok(r.range(&SEASONS, &0, &u64::MAX, usize::MAX)?.pop())
}

/// Starts the next season (one after the latest, or 1); returns its number. The caller checks
/// that none is on.
pub fn open(w: &mut Writer, now: i64) -> Result<u64, StoreError> {
    let number = latest(w)?.map_or(1, |(n, _)| n + 1);
    let season = Season {
        started_at: now,
        ended_at: None,
    };
    w.insert(&SEASONS, &number, &season)?;
    Ok(number)
}

/// Stores season `number` as another bot kept it (`stagehand import`).
pub fn import(w: &mut Writer, number: u64, season: &Season) -> Result<(), StoreError> {
    w.insert(&SEASONS, &number, season)
}

/// Marks season `number` ended at `now`.
pub fn close(w: &mut Writer, number: u64, now: i64) -> Result<(), StoreError> {
    if let Some(mut season) = w.get(&SEASONS, &number)? {
        season.ended_at = Some(now);
        w.insert(&SEASONS, &number, &season)?;
    }
    Ok(())
}

/// Stores league `name`'s table as season `number` ended (replacing an earlier copy of the
/// same season: archiving is repeatable).
pub fn archive_table(
    w: &mut Writer,
    number: u64,
    name: &str,
    rows: &[Standing],
) -> Result<(), StoreError> {
    w.insert(
        &ARCHIVED_TABLES,
        &(number, name.to_string()),
        &rows.to_vec(),
    )
}

/// Stores everyone's seasonal points as season `number` ended, best first.
pub fn archive_points(
    w: &mut Writer,
    number: u64,
    mut rows: Vec<Scored>,
) -> Result<(), StoreError> {
    rows.sort_by(|a, b| {
        b.points
            .cmp(&a.points)
            .then(a.osu_username.cmp(&b.osu_username))
    });
    w.insert(&ARCHIVED_POINTS, &number, &rows)
}

/// League `name`'s table as season `number` ended, if it was archived.
pub fn archived_table(
    r: &impl Read,
    number: u64,
    name: &str,
) -> Result<Option<Vec<Standing>>, StoreError> {
    r.get(&ARCHIVED_TABLES, &(number, name.to_string()))
}

/// Everyone's seasonal points as season `number` ended, best first, if they were archived.
pub fn archived_points(r: &impl Read, number: u64) -> Result<Option<Vec<Scored>>, StoreError> {
    r.get(&ARCHIVED_POINTS, &number)
}

/// What the archive holds: each ended season with the names of its archived tables (leagues,
/// then `points` when its seasonal points were archived), after season 0 with [`RIVALS_TABLE`]
/// once a challenge has finished (challenges belong to no season, §4.9).
pub fn archive_index(r: &impl Read) -> Result<Vec<(u64, Vec<String>)>, StoreError> {
    let mut index: Vec<(u64, Vec<String>)> = Vec::new();
    if super::rivalry::any_finished(r)? {
        index.push((0, vec![RIVALS_TABLE.to_string()]));
    }
    for ((number, name), _) in r.all(&ARCHIVED_TABLES)? {
        match index.last_mut() {
            Some((n, names)) if *n == number => names.push(name),
            _ => index.push((number, vec![name])),
        }
    }
    for (number, _) in r.all(&ARCHIVED_POINTS)? {
        match index.iter_mut().find(|(n, _)| *n == number) {
            Some((_, names)) => names.push(POINTS_TABLE.to_string()),
            None => index.push((number, vec![POINTS_TABLE.to_string()])),
        }
    }
    index.sort_by_key(|(n, _)| *n);
    for (_, names) in &mut index {
        names.sort_by_key(|name| (table_order(name), name.clone()));
    }
    Ok(index)
}

/// The name of the archived seasonal points in `/archived`.
pub const POINTS_TABLE: &str = "points";

/// The name of the finished challenges in `/archived`, under season 0.
pub const RIVALS_TABLE: &str = "rivals";

/// Leagues lowest first, then anything else (an imported league), then the points.
fn table_order(name: &str) -> usize {
    match League::parse(name) {
        Some(league) => league.code() as usize,
        None if name == POINTS_TABLE => League::ALL.len() + 1,
        None => League::ALL.len(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::Store;

    const T0: i64 = 1_750_000_000;

    #[test]
    fn seasons_are_numbered_from_one_and_off_season_is_between_them() {
        let (_dir, store) = Store::temporary();
        assert_eq!(store.read(current).unwrap(), None);
        assert_eq!(store.write(|w| open(w, T0)).unwrap(), 1);
        assert_eq!(store.read(current).unwrap(), Some(1));
        store.write(|w| close(w, 1, T0 + 10)).unwrap();
        assert_eq!(store.read(current).unwrap(), None, "off-season");
        assert_eq!(store.write(|w| open(w, T0 + 20)).unwrap(), 2);
        let (n, season) = store.read(latest).unwrap().unwrap();
        assert_eq!((n, season.started_at, season.ended_at), (2, T0 + 20, None));
    }

    #[test]
    fn the_archive_index_lists_what_was_archived_in_order() {
        let (_dir, store) = Store::temporary();
        let row = |points| Scored {
            discord_id: points as u64,
            osu_username: format!("p{points}"),
            points,
        };
        store
            .write(|w| {
                archive_table(w, 2, "gold", &[])?;
                archive_table(w, 2, "novice", &[])?;
                archive_table(w, 1, "ranker", &[])?;
                archive_points(w, 2, vec![row(5), row(50), row(-3)])?;
                archive_points(w, 3, vec![])
            })
            .unwrap();
        let index = store.read(archive_index).unwrap();
        let expected = |n: u64, names: &[&str]| (n, names.iter().map(|s| s.to_string()).collect());
        assert_eq!(
            index,
            [
                expected(1, &["ranker"]),
                expected(2, &["novice", "gold", "points"]),
                expected(3, &["points"]),
            ]
        );
        let points = store.read(|r| archived_points(r, 2)).unwrap().unwrap();
        let order: Vec<i64> = points.iter().map(|s| s.points).collect();
        assert_eq!(order, [50, 5, -3], "best first");
        assert_eq!(store.read(|r| archived_table(r, 9, "gold")).unwrap(), None);
    }
}
