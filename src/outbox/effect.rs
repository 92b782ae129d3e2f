//! A change Stagehand makes in Discord besides answering an interaction, as data: an [`Effect`]
//! and the [`Destination`] of a new message. Effects are queued in the store ([`super::queue`]) in
//! the transaction that decided them and delivered later, so they are serialisable and name
//! nothing but ids.

use serde::{Deserialize, Serialize};

use super::Route;
use super::message::Message;

/// A change Stagehand makes in Discord besides answering: queued in the store by
/// [`super::queue`] (in the transaction that decided it) and delivered in order by its worker.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum Effect {
    /// A new message. With an `anchor`, where it landed is recorded under that name, so later
    /// effects can edit or delete it (the first part, when a long message is split).
    Send {
        to: Destination,
        message: Message,
        anchor: Option<String>,
    },
    /// Replaces the content, embeds and buttons of the message recorded under `anchor`.
    Edit { anchor: String, message: Message },
    /// Deletes the message recorded under `anchor`, and forgets the anchor.
    Delete { anchor: String },
    /// Gives and takes a member's roles, and sets their nickname (`Some("")` clears it).
    Member {
        user: u64,
        add_roles: Vec<u64>,
        remove_roles: Vec<u64>,
        nick: Option<String>,
    },
    /// Registers the slash commands again, with the current texts, if they changed (after an
    /// edit of a `command.*` text).
    RegisterCommands,
    /// Edits request `request`'s Resolution Widget with what the store holds when this is
    /// delivered: the links to reviews posted by the effects before it.
    RefreshResolution { request: u64 },
}

/// What a use case does when Discord refuses an effect it queued for good (a 4xx: a DM to a
/// member whose DMs are closed, a member who left): the delivery worker hands it back through
/// `bot`, in the transaction that drops the effect (see [`super::queue::push_watched`]).
/// Stored by position: append variants, never reorder.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum OnRefused {
    /// The DM asking the target of challenge `challenge` to answer it.
    ChallengeDm { challenge: u64 },
}

/// Where a new message goes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Destination {
    /// A direct message to a user.
    Dm(u64),
    /// A channel.
    Channel(u64),
    /// The channel a route pointed at when the message was queued (see `routes::post`).
    Route { route: Route, channel: u64 },
}

impl Effect {
    /// The anchor this effect posts under, edits or deletes.
    pub fn anchor(&self) -> Option<&str> {
        match self {
            Effect::Send { anchor, .. } => anchor.as_deref(),
            Effect::Edit { anchor, .. } | Effect::Delete { anchor } => Some(anchor),
            Effect::Member { .. } | Effect::RegisterCommands | Effect::RefreshResolution { .. } => {
                None
            }
        }
    }

    /// A post to the `log` route: it waits behind every other effect (see [`super::queue`]).
    pub fn is_log_post(&self) -> bool {
        matches!(
            self,
            Effect::Send {
                to: Destination::Route {
                    route: Route::Log,
                    ..
                },
                ..
            }
        )
    }

    /// A direct message.
    pub fn dm(user: u64, message: Message) -> Effect {
        Effect::Send {
            to: Destination::Dm(user),
            message,
            anchor: None,
        }
    }
}
