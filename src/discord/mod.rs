//! The Discord shell: the only module that knows serenity.
//!
//! It starts the client, registers the slash commands, turns interactions into plain
//! [`Invocation`]s for the handlers and their plain [`Outcome`]s back into API calls, and enforces
//! Discord's limits ([`limits`], [`message`]) on everything it sends. Handlers of the modules
//! never see serenity types.

mod admin;
mod client;
mod commands;
mod convert;
mod cooldowns;
pub mod custom_id;
mod handlers;
pub mod interaction;
mod league;
pub mod limits;
pub mod message;
pub mod outbox;
mod requests;
mod router;

pub use client::supervise;
pub use interaction::Destination;
pub use interaction::{Effect, Invocation, Outcome};
pub use outbox::{DeliveryError, Outbox, deliver};
