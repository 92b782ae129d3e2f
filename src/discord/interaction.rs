//! An interaction as plain values ([`Invocation`]) and what a handler answers ([`Outcome`]).
//! The router converts serenity's types to these and back, so handlers never see serenity.

use serde::{Deserialize, Serialize};

use super::message::{Choice, Message, Modal};

/// Who did what, where.
#[derive(Clone, Debug)]
pub struct Invocation {
    pub user: u64,
    /// The user's Discord user name (not their display name).
    pub user_name: String,
    pub roles: Vec<u64>,
    /// The member has Discord's Administrator permission.
    pub administrator: bool,
    /// The member's Discord locale (`ru`, `en-US`, …); may be empty.
    pub locale: String,
    pub channel: u64,
    pub kind: Kind,
}

#[derive(Clone, Debug)]
pub enum Kind {
    /// A slash command: `path` is the command then any subcommand group and subcommand.
    Command {
        path: Vec<String>,
        options: Vec<(String, Value)>,
    },
    /// Typing in an autocompleted option.
    Autocomplete {
        path: Vec<String>,
        options: Vec<(String, Value)>,
        focused: String,
    },
    /// A button or select.
    Component {
        custom_id: String,
        values: Vec<String>,
    },
    /// A submitted modal.
    Modal {
        custom_id: String,
        fields: Vec<(String, String)>,
    },
}

#[derive(Clone, Debug, PartialEq)]
pub enum Value {
    Str(String),
    Int(i64),
    Number(f64),
    Bool(bool),
    /// A user who is not (or no longer) a member of the guild.
    User(u64),
    /// A member of the guild, with the roles Discord resolved for the interaction.
    Member {
        id: u64,
        roles: Vec<u64>,
        administrator: bool,
    },
    Role(u64),
    Channel(u64),
}

impl Invocation {
    /// The value of option `name`, if given.
    pub fn option(&self, name: &str) -> Option<&Value> {
        let (Kind::Command { options, .. } | Kind::Autocomplete { options, .. }) = &self.kind
        else {
            return None;
        };
        options.iter().find(|(n, _)| n == name).map(|(_, v)| v)
    }

    /// The string value of option `name`, if given.
    pub fn str_option(&self, name: &str) -> Option<&str> {
        match self.option(name)? {
            Value::Str(s) => Some(s.as_str()),
            _ => None,
        }
    }
}

/// A handler's answer: the response to the interaction, plus messages to send elsewhere.
#[derive(Debug)]
pub struct Outcome {
    pub response: Response,
    pub effects: Vec<Effect>,
}

impl Outcome {
    pub fn reply(message: Message) -> Outcome {
        Outcome {
            response: Response::Message(message),
            effects: Vec::new(),
        }
    }
}

#[derive(Debug)]
pub enum Response {
    /// A new message answering the interaction (several if the content is long).
    Message(Message),
    /// Replaces the message whose component was clicked.
    Update(Message),
    Modal(Modal),
    Choices(Vec<Choice>),
}

/// A change Stagehand makes in Discord besides answering: queued in the store by
/// [`super::outbox`] (in the transaction that decided it) and delivered in order by its worker.
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

/// Where a new message goes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Destination {
    /// A direct message to a user.
    Dm(u64),
    /// A channel.
    Channel(u64),
    /// The channel a route pointed at when the message was queued (see [`super::outbox::post`]).
    Route {
        route: crate::routes::Route,
        channel: u64,
    },
}

impl Effect {
    /// A direct message.
    pub fn dm(user: u64, message: Message) -> Effect {
        Effect::Send {
            to: Destination::Dm(user),
            message,
            anchor: None,
        }
    }
}
