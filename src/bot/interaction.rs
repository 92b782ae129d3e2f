//! An interaction as plain values ([`Invocation`]) and what a handler answers ([`Outcome`]).
//! `discord::interactions` converts serenity's types to these and back, so handlers never see serenity.

use crate::outbox::{Choice, Effect, Message, Modal};

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
        /// The message it is on (in the interaction's channel).
        message: u64,
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
        /// The user is a bot.
        bot: bool,
    },
    Role(u64),
    Channel(u64),
    /// A file uploaded with the command: where Discord keeps it, its name and size in bytes.
    Attachment {
        url: String,
        filename: String,
        size: u64,
    },
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
