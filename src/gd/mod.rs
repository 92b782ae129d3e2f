//! Geometry Dash server client and response parser. No serenity, redb or Discord types.
//!
//! [`Client::level`] looks a level up by id (`getGJLevels21.php`, `type=10`) and
//! [`Client::download`] fetches it in full (`downloadGJLevel22.php`), both as form POSTs with the
//! common secret and an empty User-Agent (Cloudflare refuses library ones) against a configurable
//! base URL (`gd.base_url`). Answers are cached for a few minutes and requests are spaced so the
//! server's unpublished rate limits are never hit: a caller waits, it does not fail.
//!
//! [`wire`] turns response bodies into [`Level`]s. It never panics: `-1` is "not found", and
//! everything else that is not a well-formed answer (empty, truncated, HTML, Cloudflare codes,
//! wrong types, huge bodies) is a typed [`WireError`], which the client reports as
//! [`LookupError::NotAnswering`]. The facts the parser follows are in
//! `shared/spec/gd-wire-format.md`.

mod client;
mod level;
pub mod wire;

pub use client::{Client, LookupError};
pub use level::{Difficulty, Length, Level, Tier, game_version_name};
pub use wire::WireError;
