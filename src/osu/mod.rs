//! osu! API v2 client: OAuth code exchange, client-credentials token, users, best scores, one
//! score by id; rate limited. No serenity, redb or Discord types.
//!
//! - [`Client`] (`client.rs`) is the one client of an app, cheap to clone; [`Shared`] hands it
//!   out, and builds a new one only when the osu! settings change. Every request, token
//!   requests included, goes through one shared limiter (`limit.rs`) (at most 10 per second), has a
//!   timeout, and waits out a 429 by its `Retry-After` a bounded number of times.
//! - A user's code exchange ([`Client::me_from_code`]) gets a token of its own that never leaves
//!   that call (osu-arena §17.13: the original shared one mutable token between concurrent
//!   linkings). Only the client-credentials token is shared; it is fetched once, reused, and
//!   fetched again before it expires or when osu! stops accepting it.
//! - `model.rs` turns the JSON into [`User`] and [`Score`] (with its [`ScoreUser`]); anything that does not parse (HTML
//!   error pages, wrong types, missing required fields) is [`OsuError::Unavailable`], never a
//!   panic. Unranked players have `global_rank: None`.

mod client;
mod error;
mod limit;
mod model;

pub use client::{Client, Shared};
pub use error::OsuError;
pub use model::{Score, ScoreUser, User};
