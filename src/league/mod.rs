//! The osu! league (osu-arena): players linked to osu! accounts, the leagues their rank puts
//! them in, the sign-in states of `/link`, the roles that mirror leagues in Discord, the sync
//! with osu! and the new top plays it finds, points, seasons and their archives, and the tables `/show` renders. No serenity or
//! hyper types: the shell (`discord/`, `web/`) turns results into messages, pages and role
//! changes.

pub mod leagues;
pub mod link;
pub mod members;
pub mod player;
pub mod points;
pub mod rivalry;
pub mod roles;
pub mod season;
pub mod standings;
pub mod sync;
pub mod top_play;
pub mod transition;
pub mod weekly;

pub use leagues::{League, Thresholds};

use crate::store::{Read, StoreError, Writer};

/// How much of the league the store holds: linked players, seasons, archived tables.
pub fn held(r: &impl Read) -> Result<(u64, u64, u64), StoreError> {
    Ok((
        r.len(&player::PLAYERS)?,
        r.len(&season::SEASONS)?,
        r.len(&season::ARCHIVED_TABLES)?,
    ))
}

/// Empties the league's own tables — players (linked and archived), points history, seasons
/// and their archives, challenges — for `stagehand import osu-arena --replace`, after a
/// snapshot. Settings, roles and sign-in states stay.
pub fn clear(w: &mut Writer) -> Result<(), StoreError> {
    w.clear(&player::PLAYERS)?;
    w.clear(&player::PLAYER_BY_OSU)?;
    w.clear(&player::LEAGUE_MEMBERS)?;
    w.clear(&player::ARCHIVED_PLAYERS)?;
    w.clear(&points::POINTS_HISTORY)?;
    w.clear(&season::SEASONS)?;
    w.clear(&season::ARCHIVED_TABLES)?;
    w.clear(&season::ARCHIVED_POINTS)?;
    w.clear(&rivalry::CHALLENGES)?;
    w.clear(&rivalry::BY_PLAYER)?;
    w.clear(&rivalry::OPEN_BY_PLAYER)?;
    w.clear(&rivalry::ACCEPTED)?;
    w.clear(&rivalry::FINISHED)?;
    w.clear(&rivalry::DEADLINES)?;
    w.clear(&weekly::WEEKLY_BASELINES)?;
    Ok(())
}
