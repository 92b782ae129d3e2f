//! The player registry (osu-arena §11.1–11.2): who is linked to which osu! account, in which
//! league, with their pp when they entered it. Keyed by Discord id, with a unique index by osu!
//! id and one by league; every change writes all three in one transaction, so there are no
//! half-linked players (§17.19). A player who leaves is archived, not silently dropped.

use serde::{Deserialize, Serialize};

use super::leagues::League;
use crate::audit::{self, Actor, Event, EventKind, Value};
use crate::store::{Read, StoreError, Table, Writer};

/// Linked osu! league players: Discord id → player (see `league::player`).
pub(crate) const PLAYERS: Table<u64, crate::league::player::Player> = Table::new("players");

/// Unique index of [`PLAYERS`] by osu! id: osu! id → Discord id.
pub(crate) const PLAYER_BY_OSU: Table<u64, u64> = Table::new("player_by_osu");

/// Index of [`PLAYERS`] by league: `(league code, Discord id)`.
pub(crate) const LEAGUE_MEMBERS: Table<(u64, u64), ()> = Table::new("league_members");

/// Players who were unlinked (left the server, deleted): `(Discord id, unix time)` → the row.
pub(crate) const ARCHIVED_PLAYERS: Table<(u64, i64), crate::league::player::Player> =
    Table::new("archived_players");

/// A linked player.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Player {
    pub discord_id: u64,
    /// Discord user name at link time.
    pub discord_name: String,
    pub osu_id: u64,
    pub osu_username: String,
    /// Total pp, rounded.
    pub pp: u32,
    /// `None` for players osu! does not rank (inactive).
    pub global_rank: Option<u32>,
    pub play_time_secs: u64,
    /// The improvement indicator (§7.5).
    pub ii: f64,
    /// The league they play in this season.
    pub league: League,
    /// The league their current rank implies; applied at the next season start.
    pub future_league: League,
    /// pp when they entered `league`.
    pub initial_pp: u32,
    pub linked_at: i64,
    /// Their best score, if they have one.
    pub top_play: Option<TopPlay>,
    /// Universal points.
    pub points: i64,
    pub seasonal_points: i64,
}

/// A player's best score.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TopPlay {
    pub score_id: u64,
    pub pp: u32,
    pub title: String,
}

impl From<&crate::osu::Score> for TopPlay {
    fn from(score: &crate::osu::Score) -> TopPlay {
        TopPlay {
            score_id: score.id,
            pp: score.pp.unwrap_or(0.0).clamp(0.0, f64::from(u32::MAX)) as u32,
            title: score.title.clone(),
        }
    }
}

impl Player {
    /// pp gained since entering the league (its table's ranking, §11.2).
    pub fn pp_change(&self) -> i64 {
        i64::from(self.pp) - i64::from(self.initial_pp)
    }
}

/// The improvement indicator: expected hours for the pp over hours played (§7.5), to two
/// decimals; 0 without play time.
pub fn improvement_indicator(pp: u32, play_time_secs: u64) -> f64 {
    if play_time_secs == 0 {
        return 0.0;
    }
    let pp = f64::from(pp);
    let expected_hours = -12.0 + 0.0781 * pp + 6.01e-6 * pp * pp;
    let hours = play_time_secs as f64 / 3600.0;
    (expected_hours / hours * 100.0).round() / 100.0
}

/// Why a link was refused.
#[derive(Debug, thiserror::Error)]
pub enum LinkError {
    #[error("this Discord account is already linked")]
    AlreadyLinked(Box<Player>),
    #[error("this osu! account is linked to another Discord account ({0})")]
    OsuTaken(u64),
    #[error(transparent)]
    Store(#[from] StoreError),
}

pub fn get(r: &impl Read, discord_id: u64) -> Result<Option<Player>, StoreError> {
    r.get(&PLAYERS, &discord_id)
}

/// The Discord id linked to an osu! account.
pub fn by_osu(r: &impl Read, osu_id: u64) -> Result<Option<u64>, StoreError> {
    r.get(&PLAYER_BY_OSU, &osu_id)
}

/// Every linked player, by Discord id.
pub fn all(r: &impl Read) -> Result<Vec<Player>, StoreError> {
    Ok(r.all(&PLAYERS)?.into_iter().map(|(_, p)| p).collect())
}

/// The players of one league.
pub fn members(r: &impl Read, league: League) -> Result<Vec<Player>, StoreError> {
    let code = league.code();
    let ids = r.range(&LEAGUE_MEMBERS, &(code, 0), &(code, u64::MAX), usize::MAX)?;
    let mut players = Vec::with_capacity(ids.len());
    for ((_, id), ()) in ids {
        players.extend(get(r, id)?);
    }
    Ok(players)
}

/// Links `player` (both ids must be free) and records the event, in the caller's transaction.
pub fn link(w: &mut Writer, player: &Player, now: i64) -> Result<(), LinkError> {
    import(w, player)?;
    audit::record(
        w,
        &Event {
            kind: EventKind::PlayerLinked,
            actor: Actor::User(player.discord_id),
            at: now,
            fields: vec![
                ("osu_id".into(), Value::Int(player.osu_id as i64)),
                ("osu_username".into(), player.osu_username.as_str().into()),
                ("league".into(), player.league.name().into()),
            ],
        },
    )?;
    Ok(())
}

/// Links `player` as another bot had them (`stagehand import`): both ids must be free, and no
/// event is recorded.
pub fn import(w: &mut Writer, player: &Player) -> Result<(), LinkError> {
    if let Some(existing) = get(w, player.discord_id)? {
        return Err(LinkError::AlreadyLinked(Box::new(existing)));
    }
    if let Some(owner) = by_osu(w, player.osu_id)? {
        return Err(LinkError::OsuTaken(owner));
    }
    w.insert(&PLAYERS, &player.discord_id, player)?;
    w.insert(&PLAYER_BY_OSU, &player.osu_id, &player.discord_id)?;
    w.insert(
        &LEAGUE_MEMBERS,
        &(player.league.code(), player.discord_id),
        &(),
    )?;
    Ok(())
}

/// Saves changes to a linked player that keep their ids and league (sync, points).
pub fn update(w: &mut Writer, player: &Player) -> Result<(), StoreError> {
    w.insert(&PLAYERS, &player.discord_id, player)
}

/// Moves a linked player into `league` (a season start), keeping the league index in step.
pub fn transfer(w: &mut Writer, player: &mut Player, league: League) -> Result<(), StoreError> {
    w.remove(&LEAGUE_MEMBERS, &(player.league.code(), player.discord_id))?;
    w.insert(&LEAGUE_MEMBERS, &(league.code(), player.discord_id), &())?;
    player.league = league;
    update(w, player)
}

/// Unlinks a player: their row moves to the archive (kept, with the time and reason), both ids
/// become free, and the event is recorded. `None` when they were not linked.
pub fn archive(
    w: &mut Writer,
    discord_id: u64,
    actor: Actor,
    reason: &str,
    now: i64,
) -> Result<Option<Player>, StoreError> {
    let Some(player) = get(w, discord_id)? else {
        return Ok(None);
    };
    w.remove(&PLAYERS, &discord_id)?;
    w.remove(&PLAYER_BY_OSU, &player.osu_id)?;
    w.remove(&LEAGUE_MEMBERS, &(player.league.code(), discord_id))?;
    w.insert(&ARCHIVED_PLAYERS, &(discord_id, now), &player)?;
    audit::record(
        w,
        &Event {
            kind: EventKind::PlayerUnlinked,
            actor,
            at: now,
            fields: vec![
                ("target_user_id".into(), Value::User(discord_id)),
                ("osu_username".into(), player.osu_username.as_str().into()),
                ("reason".into(), reason.into()),
            ],
        },
    )?;
    Ok(Some(player))
}

#[cfg(test)]
pub(crate) fn sample(discord_id: u64, osu_id: u64, pp: u32, league: League) -> Player {
    Player {
        discord_id,
        discord_name: format!("user{discord_id}"),
        osu_id,
        osu_username: format!("osu{osu_id}"),
        pp,
        global_rank: Some(50_000),
        play_time_secs: 3_600_000,
        ii: 1.0,
        league,
        future_league: league,
        initial_pp: pp,
        linked_at: 0,
        top_play: None,
        points: 0,
        seasonal_points: 0,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::Store;

    #[test]
    fn link_indexes_both_ids_and_the_league_and_refuses_duplicates_without_writing() {
        let (_dir, store) = Store::temporary();
        let anna = sample(1, 100, 5000, League::Gold);
        store.write(|w| link(w, &anna, 10)).unwrap();
        let again = store.write(|w| link(w, &sample(1, 200, 1, League::Gold), 11));
        assert!(matches!(again, Err(LinkError::AlreadyLinked(p)) if p.osu_id == 100));
        let taken = store.write(|w| link(w, &sample(2, 100, 1, League::Novice), 12));
        assert!(matches!(taken, Err(LinkError::OsuTaken(1))));
        store
            .read(|r| {
                assert_eq!(get(r, 2)?, None);
                assert_eq!(by_osu(r, 100)?, Some(1));
                assert_eq!(members(r, League::Gold)?, std::slice::from_ref(&anna));
                assert!(members(r, League::Novice)?.is_empty());
                Ok::<_, StoreError>(())
            })
            .unwrap();
        assert_eq!(
            crate::audit::summaries(&store).len(),
            1,
            "only the link is an event"
        );
    }

    #[test]
    fn archiving_frees_both_ids_and_keeps_the_row() {
        let (_dir, store) = Store::temporary();
        store
            .write(|w| link(w, &sample(1, 100, 5000, League::Gold), 10))
            .unwrap();
        let gone = store
            .write(|w| archive(w, 1, Actor::Bot, "left", 20))
            .unwrap();
        assert_eq!(gone.map(|p| p.osu_id), Some(100));
        store
            .read(|r| {
                assert_eq!(get(r, 1)?, None);
                assert_eq!(by_osu(r, 100)?, None);
                assert!(members(r, League::Gold)?.is_empty());
                assert_eq!(r.all(&ARCHIVED_PLAYERS)?.len(), 1);
                Ok::<_, StoreError>(())
            })
            .unwrap();
        assert_eq!(
            store
                .write(|w| archive(w, 1, Actor::Bot, "left", 21))
                .unwrap(),
            None
        );
        store
            .write(|w| link(w, &sample(2, 100, 1, League::Novice), 30))
            .expect("the osu! account is free again");
    }

    #[test]
    fn gains_and_the_improvement_indicator() {
        let mut p = sample(1, 1, 4000, League::Gold);
        p.pp = 4100;
        assert_eq!(p.pp_change(), 100);
        let percent = |p: &Player| crate::league::season::Standing::of(p).percentage_change();
        assert_eq!(percent(&p), Some(2.5));
        p.initial_pp = 0;
        assert_eq!(percent(&p), None);
        assert_eq!(improvement_indicator(5000, 0), 0.0);
        // expected hours for 5000 pp: -12 + 390.5 + 150.25 = 528.75; over 500 h played.
        assert_eq!(improvement_indicator(5000, 500 * 3600), 1.06);
    }
}
