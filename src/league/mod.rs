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
