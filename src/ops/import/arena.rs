//! `stagehand import osu-arena DUMP.sql`: a plain-text `pg_dump` of osu!Arena's database
//! (osu-arena §11) read by [`super::pgdump`], then written through the league's own `import`
//! calls, keyed by Discord id and osu! id.
//!
//! - `discord_osu` → linked players (both ids must be positive 64-bit numbers and unique), with
//!   their `initial_pp` from the current league tables (`novice` … `master`);
//! - `seasons` → seasons (osu!Arena keeps no dates: they are dated at the import); an `Ongoing`
//!   one is on;
//! - `<league>_<N>` → season N's archived league tables (`ranker_1` too: archives are kept by
//!   name), a row's Discord id from its own column or else from `discord_osu` by user name;
//! - `historical_points` (`season_<N>` columns) → season N's archived seasonal points;
//! - `rivals` with `challenger` / `challenged` → the closed challenges (finished, declined,
//!   revoked); an open one is reported: its messages and deadline were osu!Arena's.

use std::collections::HashMap;
use std::path::Path;

use super::pgdump::{self, Dump, Table};
use super::{ImportError, Progress, Report, Rows, id};
use crate::league::player::{self, Player, TopPlay};
use crate::league::rivalry::{self, Challenge, Side, Status};
use crate::league::season::{self, Scored, Season, Standing};
use crate::league::{self, League};
use crate::store::{Reader, StoreError, Writer};

/// The leagues of osu!Arena's archives, beside today's (season 1 had a `ranker` league).
const OLD_LEAGUES: [&str; 1] = ["ranker"];

/// Progress is told every this many rows.
const STEP: u64 = 200;

/// An osu!Arena dump, read whole.
pub struct Arena {
    dump: Dump,
}

/// Reads `path`, refusing a file that is not a whole plain-text dump of osu!Arena.
pub fn read(path: &Path) -> Result<Arena, ImportError> {
    let bytes = std::fs::read(path).map_err(|e| ImportError::Unreadable {
        path: path.to_path_buf(),
        detail: e.to_string(),
    })?;
    let dump = pgdump::parse(&bytes).map_err(|error| ImportError::BadDump {
        path: path.to_path_buf(),
        error,
    })?;
    let not_arena = |detail: String| ImportError::NotArena {
        path: path.to_path_buf(),
        detail,
    };
    let Some(players) = dump.table("discord_osu") else {
        let names: Vec<&str> = dump.tables.iter().map(|t| t.name.as_str()).collect();
        return Err(not_arena(format!(
            "it has no table discord_osu (its tables: {})",
            if names.is_empty() {
                "none".to_string()
            } else {
                names.join(", ")
            }
        )));
    };
    for column in ["discord_id", "osu_id", "league", "discord_username"] {
        if players.column(column).is_none() {
            return Err(not_arena(format!("discord_osu has no column {column}")));
        }
    }
    Ok(Arena { dump })
}

/// One row of a dump table, its values read by column name.
struct Cells<'a> {
    table: &'a Table,
    row: &'a [Option<String>],
}

impl<'a> Cells<'a> {
    fn get(&self, column: &str) -> Option<&'a str> {
        let i = self.table.column(column)?;
        self.row.get(i)?.as_deref()
    }

    /// A 64-bit id, or why it is not one.
    fn id(&self, column: &str) -> Result<u64, String> {
        match self.get(column) {
            None => Err(format!("no {column}")),
            Some(text) => text
                .parse::<i64>()
                .ok()
                .and_then(id)
                .ok_or_else(|| format!("{column} {text:?} is not an id that fits 64 bits")),
        }
    }

    /// A whole number of pp or points (`numeric` may carry a fraction, dropped).
    fn number(&self, column: &str) -> Option<i64> {
        let text = self.get(column)?;
        text.parse::<i64>()
            .ok()
            .or_else(|| text.parse::<f64>().ok().map(|x| x.round() as i64))
    }

    fn pp(&self, column: &str) -> Result<Option<u32>, String> {
        match self.number(column) {
            None => Ok(None),
            Some(n) => u32::try_from(n)
                .map(Some)
                .map_err(|_| format!("{column} {n} is not a pp figure")),
        }
    }

    fn real(&self, column: &str) -> f64 {
        self.get(column)
            .and_then(|t| t.parse::<f64>().ok())
            .filter(|x| x.is_finite())
            .unwrap_or(0.0)
    }

    fn time(&self, column: &str) -> Option<i64> {
        crate::time::parse_utc(self.get(column)?)
    }
}

fn rows(table: &Table) -> impl Iterator<Item = Cells<'_>> {
    table.rows.iter().map(move |row| Cells { table, row })
}

/// A league's table name in the dump (today's leagues, and the old ones of the archives).
fn league_name(name: &str) -> Option<&str> {
    League::ALL
        .iter()
        .map(|l| l.name())
        .chain(OLD_LEAGUES)
        .find(|l| *l == name)
}

/// `gold_2` → (2, `gold`).
fn archive_name(name: &str) -> Option<(u64, &str)> {
    let (league, season) = name.rsplit_once('_')?;
    let season: u64 = season.parse().ok().filter(|n| *n > 0)?;
    Some((season, league_name(league)?))
}

impl Rows for Arena {
    fn held(&self, r: &Reader) -> Result<Option<String>, StoreError> {
        let (players, seasons, archives) = league::held(r)?;
        Ok((players + seasons + archives > 0).then(|| {
            format!("{players} linked players, {seasons} seasons, {archives} archived tables")
        }))
    }

    fn clear(&self, w: &mut Writer) -> Result<(), StoreError> {
        league::clear(w)
    }

    fn write(
        &self,
        w: &mut Writer,
        report: &mut Report,
        now: i64,
        progress: Progress,
    ) -> Result<(), StoreError> {
        let by_name = self.discord_ids();
        let players = self.players(w, report, now, progress)?;
        self.seasons(w, report, now)?;
        self.archives(w, report, &by_name)?;
        self.points(w, report, &by_name)?;
        self.challenges(w, report, &players)?;
        Ok(())
    }
}

impl Arena {
    /// Discord ids by Discord user name, from `discord_osu` (the join key of osu!Arena's tables).
    fn discord_ids(&self) -> HashMap<String, u64> {
        let mut ids = HashMap::new();
        if let Some(table) = self.dump.table("discord_osu") {
            for cells in rows(table) {
                if let (Some(name), Ok(id)) =
                    (cells.get("discord_username"), cells.id("discord_id"))
                {
                    ids.insert(name.to_string(), id);
                }
            }
        }
        ids
    }

    /// Players' pp at league entry, from the current league tables, by Discord id or name.
    fn initial_pp(&self, report: &mut Report) -> HashMap<String, (String, Option<u32>)> {
        let mut found = HashMap::new();
        for league in League::ALL {
            let Some(table) = self.dump.table(league.name()) else {
                continue;
            };
            let name: &'static str = league.name();
            report.read(name, table.rows.len() as u64);
            for cells in rows(table) {
                let key = cells
                    .get("discord_id")
                    .or_else(|| cells.get("discord_username"))
                    .unwrap_or_default()
                    .to_string();
                match cells.pp("initial_pp") {
                    Ok(pp) => {
                        found.insert(key, (name.to_string(), pp));
                    }
                    Err(why) => report.skip(name, key, why),
                }
            }
        }
        found
    }

    /// Links the players; returns them by Discord id.
    fn players(
        &self,
        w: &mut Writer,
        report: &mut Report,
        now: i64,
        progress: Progress,
    ) -> Result<HashMap<u64, Player>, StoreError> {
        const TABLE: &str = "discord_osu";
        let mut linked = HashMap::new();
        let Some(table) = self.dump.table(TABLE) else {
            return Ok(linked);
        };
        let initial = self.initial_pp(report);
        let total = table.rows.len() as u64;
        report.read(TABLE, total);
        let mut undated = 0;
        for (done, cells) in rows(table).enumerate() {
            if (done as u64).is_multiple_of(STEP) {
                progress(TABLE, done as u64, total);
            }
            let key = cells
                .get("discord_username")
                .unwrap_or_default()
                .to_string();
            let parsed = (|| {
                let discord_id = cells.id("discord_id")?;
                let osu_id = cells.id("osu_id")?;
                let league = cells.get("league").and_then(League::parse).ok_or_else(|| {
                    format!("league {:?} is not one Stagehand has", cells.get("league"))
                })?;
                let pp = cells.pp("current_pp")?.unwrap_or(0);
                let entry = initial
                    .get(&discord_id.to_string())
                    .or_else(|| initial.get(&key));
                let initial_pp = match entry {
                    Some((table, pp)) if table == league.name() => pp.unwrap_or(0),
                    _ => pp,
                };
                let top_play = match cells.get("top_play_id") {
                    None => None,
                    Some(_) => Some(TopPlay {
                        score_id: cells.id("top_play_id")?,
                        pp: cells.pp("top_play_pp")?.unwrap_or(0),
                        title: cells.get("top_play_map").unwrap_or_default().to_string(),
                    }),
                };
                Ok::<_, String>(Player {
                    discord_id,
                    discord_name: key.clone(),
                    osu_id,
                    osu_username: cells.get("osu_username").unwrap_or_default().to_string(),
                    pp,
                    global_rank: cells
                        .number("global_rank")
                        .and_then(|r| u32::try_from(r).ok())
                        .filter(|r| *r > 0),
                    play_time_secs: 0,
                    ii: cells.real("ii"),
                    league,
                    future_league: cells
                        .get("future_league")
                        .and_then(League::parse)
                        .unwrap_or(league),
                    initial_pp,
                    linked_at: cells.time("created_at").unwrap_or_else(|| {
                        undated += 1;
                        now
                    }),
                    top_play,
                    points: cells.number("points").unwrap_or(0),
                    seasonal_points: cells.number("seasonal_points").unwrap_or(0),
                })
            })();
            match parsed {
                Ok(p) => match player::import(w, &p) {
                    Ok(()) => {
                        linked.insert(p.discord_id, p);
                        report.imported(TABLE);
                    }
                    Err(player::LinkError::Store(err)) => return Err(err),
                    Err(err) => report.skip(TABLE, key, err),
                },
                Err(why) => report.skip(TABLE, key, why),
            }
        }
        progress(TABLE, total, total);
        if undated > 0 {
            report.notes.push(format!(
                "{undated} players had no link time: dated at the import"
            ));
        }
        for league in League::ALL {
            let Some(table) = self.dump.table(league.name()) else {
                continue;
            };
            for cells in rows(table) {
                let id = cells.id("discord_id").ok().or_else(|| {
                    let name = cells.get("discord_username")?;
                    linked
                        .values()
                        .find(|p| p.discord_name == name)
                        .map(|p| p.discord_id)
                });
                let key = cells.get("discord_username").unwrap_or_default();
                match id.and_then(|id| linked.get(&id)) {
                    Some(p) if p.league == league => report.imported(league.name()),
                    Some(p) => report.skip(
                        league.name(),
                        key,
                        format!("discord_osu puts this player in {}", p.league.name()),
                    ),
                    None => {
                        report.skip(league.name(), key, "not a linked player that was imported")
                    }
                }
            }
        }
        Ok(linked)
    }

    fn seasons(&self, w: &mut Writer, report: &mut Report, now: i64) -> Result<(), StoreError> {
        const TABLE: &str = "seasons";
        // (number, ongoing, a row of `seasons`)
        let mut numbers: Vec<(u64, bool, bool)> = Vec::new();
        if let Some(table) = self.dump.table(TABLE) {
            report.read(TABLE, table.rows.len() as u64);
            for cells in rows(table) {
                let key = cells.get("id").unwrap_or_default();
                let number = cells
                    .number("season")
                    .or_else(|| cells.number("id"))
                    .and_then(|n| u64::try_from(n).ok())
                    .filter(|n| *n > 0);
                match number {
                    Some(n) => numbers.push((n, cells.get("status") == Some("Ongoing"), true)),
                    None => report.skip(TABLE, key, "no season number"),
                }
            }
        }
        // A season that only the archives name has ended.
        for table in &self.dump.tables {
            if let Some((n, _)) = archive_name(&table.name) {
                numbers.push((n, false, false));
            }
        }
        if let Some(table) = self.dump.table("historical_points") {
            for column in &table.columns {
                if let Some(n) = column
                    .strip_prefix("season_")
                    .and_then(|n| n.parse::<u64>().ok())
                {
                    numbers.push((n, false, false));
                }
            }
        }
        // The row of `seasons` first among the mentions of a number, then an archive's (which
        // says it ended).
        numbers.sort_unstable_by_key(|(n, ongoing, row)| (*n, !*row, *ongoing));
        let mut ended = std::collections::HashSet::new();
        for (n, _, row) in &numbers {
            if !row {
                ended.insert(*n);
            }
        }
        numbers.dedup_by_key(|(n, _, _)| *n);
        let latest = numbers.last().map(|(n, _, _)| *n);
        let mut added = Vec::new();
        for (n, ongoing, row) in &numbers {
            let on = *ongoing && Some(*n) == latest && !ended.contains(n);
            season::import(
                w,
                *n,
                &Season {
                    started_at: now,
                    ended_at: (!on).then_some(now),
                },
            )?;
            if *row {
                report.imported(TABLE);
            } else {
                added.push(n.to_string());
            }
        }
        if !added.is_empty() {
            report.notes.push(format!(
                "seasons {} are not in the seasons table but have archives: imported as ended",
                added.join(", ")
            ));
        }
        if !numbers.is_empty() {
            report.notes.push(
                "osu!Arena keeps no season dates: the imported seasons are dated at the import"
                    .into(),
            );
        }
        Ok(())
    }

    fn archives(
        &self,
        w: &mut Writer,
        report: &mut Report,
        by_name: &HashMap<String, u64>,
    ) -> Result<(), StoreError> {
        for table in &self.dump.tables {
            let Some((number, league)) = archive_name(&table.name) else {
                continue;
            };
            let name: &'static str = match League::parse(league) {
                Some(l) => l.name(),
                None => "ranker",
            };
            let label = &format!("{name}_{number}");
            report.read(label, table.rows.len() as u64);
            let mut standings = Vec::new();
            for cells in rows(table) {
                let key = cells.get("discord_username").unwrap_or_default();
                let parsed = (|| {
                    let discord_id = match cells.id("discord_id") {
                        Ok(id) => id,
                        Err(_) => *by_name
                            .get(key)
                            .ok_or_else(|| format!("no Discord id for {key:?}"))?,
                    };
                    Ok::<_, String>(Standing {
                        discord_id,
                        osu_username: cells.get("osu_username").unwrap_or_default().to_string(),
                        initial_pp: cells.pp("initial_pp")?.unwrap_or(0),
                        current_pp: cells.pp("current_pp")?.unwrap_or(0),
                        global_rank: cells
                            .number("global_rank")
                            .and_then(|r| u32::try_from(r).ok())
                            .filter(|r| *r > 0),
                        ii: cells.real("ii"),
                    })
                })();
                match parsed {
                    Ok(standing) => {
                        standings.push(standing);
                        report.imported(label);
                    }
                    Err(why) => report.skip(label, key, why),
                }
            }
            standings.sort_by_key(|s| std::cmp::Reverse(s.pp_change()));
            season::archive_table(w, number, league, &standings)?;
        }
        Ok(())
    }

    fn points(
        &self,
        w: &mut Writer,
        report: &mut Report,
        by_name: &HashMap<String, u64>,
    ) -> Result<(), StoreError> {
        const TABLE: &str = "historical_points";
        let Some(table) = self.dump.table(TABLE) else {
            return Ok(());
        };
        report.read(TABLE, table.rows.len() as u64);
        let seasons: Vec<(u64, &str)> = table
            .columns
            .iter()
            .filter_map(|c| Some((c.strip_prefix("season_")?.parse().ok()?, c.as_str())))
            .collect();
        let mut archived: HashMap<u64, Vec<Scored>> = HashMap::new();
        for cells in rows(table) {
            let key = cells.get("discord_username").unwrap_or_default();
            let discord_id = match cells.id("discord_id") {
                Ok(id) => id,
                Err(_) => match by_name.get(key) {
                    Some(id) => *id,
                    None => {
                        report.skip(TABLE, key, format!("no Discord id for {key:?}"));
                        continue;
                    }
                },
            };
            for (n, column) in &seasons {
                archived.entry(*n).or_default().push(Scored {
                    discord_id,
                    osu_username: cells.get("osu_username").unwrap_or_default().to_string(),
                    points: cells.number(column).unwrap_or(0),
                });
            }
            report.imported(TABLE);
        }
        for (n, rows) in archived {
            season::archive_points(w, n, rows)?;
        }
        Ok(())
    }

    fn challenges(
        &self,
        w: &mut Writer,
        report: &mut Report,
        players: &HashMap<u64, Player>,
    ) -> Result<(), StoreError> {
        const TABLE: &str = "rivals";
        let Some(table) = self.dump.table(TABLE) else {
            return Ok(());
        };
        report.read(TABLE, table.rows.len() as u64);
        let side_ids = |name: &str| -> HashMap<String, u64> {
            let mut ids = HashMap::new();
            if let Some(sides) = self.dump.table(name) {
                for cells in rows(sides) {
                    if let (Some(challenge), Ok(id)) =
                        (cells.get("challenge_id"), cells.id("discord_id"))
                    {
                        ids.insert(challenge.to_string(), id);
                    }
                }
            }
            ids
        };
        let challengers = side_ids("challenger");
        let targets = side_ids("challenged");
        for cells in rows(table) {
            let key = cells.get("challenge_id").unwrap_or_default();
            let parsed = (|| {
                let number = cells.id("challenge_id")?;
                let status = match cells.get("challenge_status") {
                    Some("Finished") => Status::Finished,
                    Some("Declined") => Status::Declined,
                    Some("Revoked") => Status::Revoked,
                    Some(open @ ("Pending" | "Unfinished")) => {
                        return Err(format!(
                            "still open ({open}): its messages and deadline were osu!Arena's"
                        ));
                    }
                    other => return Err(format!("status {other:?} is unknown")),
                };
                let league = cells.get("league").and_then(League::parse).ok_or_else(|| {
                    format!("league {:?} is not one Stagehand has", cells.get("league"))
                })?;
                let side = |ids: &HashMap<String, u64>, who: &str| -> Result<Side, String> {
                    let discord_id = *ids
                        .get(key)
                        .ok_or_else(|| format!("no {who} row names its player"))?;
                    Ok(Side {
                        discord_id,
                        osu_id: players.get(&discord_id).map_or(0, |p| p.osu_id),
                        osu_username: cells.get(who).unwrap_or_default().to_string(),
                        start_pp: cells.pp(&format!("{who}_initial_pp"))?,
                        end_pp: cells.pp(&format!("{who}_final_pp"))?,
                    })
                };
                let challenger = side(&challengers, "challenger")?;
                let target = side(&targets, "challenged")?;
                let issued_at = cells.time("issued_at").ok_or("no issued_at")?;
                let accepted_at = cells.time("accepted_at");
                let ended_at = cells.time("ended_at");
                let winner = cells.get("winner").and_then(|name| {
                    [&challenger, &target]
                        .into_iter()
                        .find(|s| s.osu_username.eq_ignore_ascii_case(name))
                        .map(|s| s.discord_id)
                });
                Ok::<_, String>((
                    number,
                    Challenge {
                        pp: cells.pp("for_pp")?.unwrap_or(0),
                        league,
                        status,
                        issued_at,
                        expires_at: issued_at,
                        answered_at: accepted_at.or(ended_at),
                        ended_at: ended_at.or(accepted_at).or(Some(issued_at)),
                        winner,
                        challenger,
                        target,
                    },
                ))
            })();
            match parsed {
                Ok((number, challenge)) => {
                    if rivalry::import(w, number, &challenge)? {
                        report.imported(TABLE);
                    } else {
                        report.skip(TABLE, key, "its number is taken");
                    }
                }
                Err(why) => report.skip(TABLE, key, why),
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn archive_tables_are_found_by_name() {
        assert_eq!(archive_name("gold_2"), Some((2, "gold")));
        assert_eq!(archive_name("ranker_1"), Some((1, "ranker")));
        assert_eq!(archive_name("gold"), None);
        assert_eq!(archive_name("gold_0"), None);
        assert_eq!(archive_name("mesg_id"), None);
        assert_eq!(archive_name("historical_points"), None);
    }
}
