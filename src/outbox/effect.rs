//! A change Stagehand makes in Discord besides answering an interaction, as data: an [`Effect`]
//! and the [`Destination`] of a new message. Effects are queued in the store ([`super::queue`]) in
//! the transaction that decided them and delivered later, so they are serialisable and name
//! nothing but ids.
//!
//! Queued rows are postcard, where a variant is stored by its position: new variants go at the
//! end of [`Effect`] (the last one added: [`Effect::Thread`], a thread started on an anchored
//! message with a first post in it), never in between, so rows queued by an older release still
//! read; the same holds for [`OnRefused`] (the last one added: a trainee's role change).

use serde::{Deserialize, Serialize};

use super::Route;
use super::message::{LimitError, Message, fit_thread};

/// A change Stagehand makes in Discord besides answering: queued in the store by
/// [`super::queue`] (in the transaction that decided it) and delivered in order by its worker.
/// Stored by position: append variants, never reorder.
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
    /// Starts a public thread on the message recorded under `anchor` (its first part, when it
    /// was split), named `name`, archived after `auto_archive_minutes` without activity, and
    /// posts `message` in it. Build it with [`Effect::thread`], which fits it to Discord's limits.
    /// When the message already has a thread (a retry after the thread was started but before
    /// the post got out), the post goes into that thread; when the message is gone, or was never
    /// delivered, there is nothing to start a thread on and the effect is skipped.
    Thread {
        anchor: String,
        name: String,
        auto_archive_minutes: u16,
        message: Message,
    },
}

/// What a use case does when Discord refuses an effect it queued for good (a 4xx: a DM to a
/// member whose DMs are closed, a member who left): the delivery worker hands it back through
/// `bot`, in the transaction that drops the effect (see [`super::queue::push_watched`]).
/// Stored by position: append variants, never reorder.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum OnRefused {
    /// The DM asking the target of challenge `challenge` to answer it.
    ChallengeDm { challenge: u64 },
    /// The role change of a trainee's promotion (`promoted`) or expulsion, decided by
    /// supervisor `by`: the member left, or their roles rank above Stagehand's.
    TraineeRoles {
        trainee: u64,
        by: u64,
        promoted: bool,
    },
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
    /// The anchor this effect posts under, edits, deletes or starts a thread on (only a post
    /// records where it landed: [`super::queue::settle`]).
    pub fn anchor(&self) -> Option<&str> {
        match self {
            Effect::Send { anchor, .. } => anchor.as_deref(),
            Effect::Edit { anchor, .. }
            | Effect::Delete { anchor }
            | Effect::Thread { anchor, .. } => Some(anchor),
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

    /// [`Effect::Thread`]: a thread named `name` on the message anchored as `anchor`, with
    /// `message` as its first post. The name and auto-archive time are fitted now
    /// ([`fit_thread`]: the name cut to 100 characters; refused when it is empty or the time is
    /// not 60, 1440, 4320 or 10080 minutes), so a use case hears of a bad one before queueing it;
    /// the post is split at delivery like any message.
    pub fn thread(
        anchor: impl Into<String>,
        name: &str,
        auto_archive_minutes: u16,
        message: Message,
    ) -> Result<Effect, LimitError> {
        Ok(Effect::Thread {
            anchor: anchor.into(),
            name: fit_thread(name, auto_archive_minutes)?,
            auto_archive_minutes,
            message,
        })
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_anchor_of_each_effect() {
        let thread = Effect::thread("req:1:review", "Level 128", 1440, Message::text("hi"));
        assert_eq!(
            thread.as_ref().map(Effect::anchor),
            Ok(Some("req:1:review"))
        );
        let edit = Effect::Edit {
            anchor: "a".into(),
            message: Message::default(),
        };
        assert_eq!(edit.anchor(), Some("a"));
        assert_eq!(Effect::RegisterCommands.anchor(), None);
        assert_eq!(Effect::dm(1, Message::text("x")).anchor(), None);
    }

    #[test]
    fn a_thread_is_fitted_when_built() {
        let Ok(Effect::Thread { name, .. }) =
            Effect::thread("a", &"x".repeat(120), 60, Message::default())
        else {
            panic!("a long name is cut, not refused");
        };
        assert_eq!(name.chars().count(), crate::outbox::limits::THREAD_NAME);
        assert_eq!(
            Effect::thread("a", "  ", 60, Message::default()),
            Err(LimitError::ThreadName)
        );
        assert_eq!(
            Effect::thread("a", "t", 30, Message::default()),
            Err(LimitError::AutoArchive(30))
        );
    }

    /// Queued rows name their variant by position: the variants before `Thread` keep theirs, so
    /// rows queued before it existed still read, and `Thread` comes last.
    #[test]
    fn variants_keep_their_stored_positions() {
        let tag = |effect: &Effect| postcard::to_allocvec(effect).expect("encode")[0];
        let earlier = [
            Effect::dm(1, Message::default()),
            Effect::Edit {
                anchor: String::new(),
                message: Message::default(),
            },
            Effect::Delete {
                anchor: String::new(),
            },
            Effect::Member {
                user: 1,
                add_roles: Vec::new(),
                remove_roles: Vec::new(),
                nick: None,
            },
            Effect::RegisterCommands,
            Effect::RefreshResolution { request: 7 },
        ];
        let tags: Vec<u8> = earlier.iter().map(tag).collect();
        assert_eq!(tags, [0, 1, 2, 3, 4, 5]);
        assert_eq!(
            postcard::to_allocvec(&Effect::RefreshResolution { request: 7 }).expect("encode"),
            [5, 7]
        );
        let thread = Effect::thread("req:1", "Level 128", 10080, Message::text("hi"))
            .expect("a valid thread");
        assert_eq!(tag(&thread), 6);
        let bytes = postcard::to_allocvec(&thread).expect("encode");
        assert_eq!(postcard::from_bytes::<Effect>(&bytes).ok(), Some(thread));
    }

    /// Watches are stored by position too: the challenge's DM came first.
    #[test]
    fn watches_keep_their_stored_positions() {
        let encode = |watch: &OnRefused| postcard::to_allocvec(watch).expect("encode");
        assert_eq!(encode(&OnRefused::ChallengeDm { challenge: 7 }), [0, 7]);
        let roles = OnRefused::TraineeRoles {
            trainee: 5,
            by: 6,
            promoted: true,
        };
        assert_eq!(encode(&roles), [1, 5, 6, 1]);
        assert_eq!(
            postcard::from_bytes::<OnRefused>(&encode(&roles)).ok(),
            Some(roles)
        );
    }
}
