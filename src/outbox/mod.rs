//! What Stagehand wants done on Discord, as data: [`Effect`]s and the [`Message`]s they carry,
//! Discord's [`limits`] (applied by [`prepare`] before anything is sent), the [`custom_id`] codec
//! of every control, the [`Route`]s a message can be sent along, and the durable [`queue`] with
//! the anchors of posted messages.
//!
//! No serenity, hyper or HTTP: `discord::delivery` turns queued effects into API calls. May call
//! `store` only.

pub mod custom_id;
mod effect;
pub mod limits;
mod message;
pub mod queue;
pub mod route;

pub use custom_id::{CustomId, CustomIdError};
pub use effect::{Destination, Effect, OnRefused};
pub use message::{
    Button, ButtonStyle, ButtonTarget, Choice, Embed, Field, File, Input, LimitError, Message,
    Modal, Pings, check_modal, fit_choices, fit_thread, prepare,
};
pub use queue::{Landed, Outbox, Posted, Queued, posted, push, push_watched};
pub use route::Route;
