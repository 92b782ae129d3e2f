//! What Stagehand sends, as plain values: messages, embeds, buttons, files, modals, choices.
//!
//! Handlers build these freely; [`prepare`], [`check_modal`] and [`fit_thread`] then apply
//! Discord's limits (see [`super::limits`]): long content is split on word boundaries into several
//! messages, over-long embed texts and thread names are cut with "…", and what cannot be fixed
//! (too many fields, rows, buttons, files, or bytes; a thread without a name or with an
//! auto-archive time Discord does not offer) is refused with a [`LimitError`]. Nothing that would
//! be rejected reaches Discord.

use serde::{Deserialize, Serialize};

use super::custom_id::CustomId;
use super::limits::{self, len, truncate};

/// One outgoing message (a reply, a post to a route, or a DM).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Message {
    pub content: String,
    pub embeds: Vec<Embed>,
    /// Rows of buttons.
    pub rows: Vec<Vec<Button>>,
    pub files: Vec<File>,
    /// Seen only by the person who used the command (replies only).
    pub ephemeral: bool,
    /// Whom the content's mentions notify: nobody unless the message is meant to ping.
    pub pings: Pings,
}

/// Whom a message's mentions notify; @everyone never.
///
/// Stored in the outbox's queue: the first two encode exactly as the `bool` that came before
/// (`ping_users`), so queued messages of 0.1 still read. Add variants only at the end.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum Pings {
    #[default]
    Nobody,
    /// Every user mentioned in the content.
    Users,
    /// Only this role, when the content mentions it.
    Role(u64),
    /// Only this user, when the content mentions them.
    User(u64),
    /// Every user and every role mentioned in the content (a text staff wrote to announce
    /// something, like the stream's start); still never `@everyone`.
    UsersAndRoles,
}

impl Message {
    pub fn text(content: impl Into<String>) -> Message {
        Message {
            content: content.into(),
            ..Message::default()
        }
    }

    pub fn embed(embed: Embed) -> Message {
        Message {
            embeds: vec![embed],
            ..Message::default()
        }
    }

    pub fn ephemeral(mut self) -> Message {
        self.ephemeral = true;
        self
    }

    pub fn with_file(mut self, name: impl Into<String>, bytes: Vec<u8>) -> Message {
        self.files.push(File {
            name: name.into(),
            bytes,
        });
        self
    }

    pub fn with_row(mut self, row: Vec<Button>) -> Message {
        self.rows.push(row);
        self
    }
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Embed {
    pub title: String,
    pub description: String,
    pub color: u32,
    pub fields: Vec<Field>,
    pub footer: String,
    /// The name of a file sent with the message, shown as the embed's picture.
    pub image: Option<String>,
    /// A small picture in the corner, by its web address (`https://…`).
    pub thumbnail: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Field {
    pub name: String,
    pub value: String,
    pub inline: bool,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Button {
    pub label: String,
    pub style: ButtonStyle,
    pub target: ButtonTarget,
    pub disabled: bool,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum ButtonStyle {
    Primary,
    Secondary,
    Success,
    Danger,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum ButtonTarget {
    Control(CustomId),
    Link(String),
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct File {
    pub name: String,
    pub bytes: Vec<u8>,
}

/// A form shown in answer to a command or a click.
#[derive(Clone, Debug, PartialEq)]
pub struct Modal {
    pub custom_id: CustomId,
    pub title: String,
    pub inputs: Vec<Input>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Input {
    pub id: String,
    pub label: String,
    pub paragraph: bool,
    pub required: bool,
    pub placeholder: String,
    /// The fewest characters accepted when something is typed (0: no minimum).
    pub min_len: u16,
    pub max_len: u16,
}

/// An autocomplete suggestion: what the member sees and the value the option gets.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Choice {
    pub name: String,
    pub value: String,
}

/// What cannot be fitted into Discord's limits.
#[derive(Debug, PartialEq, Eq, thiserror::Error)]
pub enum LimitError {
    #[error("the text needs more than {} messages", limits::CONTENT_PARTS)]
    ContentTooLong,
    #[error("{0} embeds in one message (at most {max})", max = limits::EMBEDS)]
    TooManyEmbeds(usize),
    #[error("an embed has {0} fields (at most {max})", max = limits::EMBED_FIELDS)]
    TooManyFields(usize),
    #[error("the embeds have {0} characters in all (at most {max})", max = limits::EMBED_TOTAL)]
    EmbedsTooLong(usize),
    #[error("{0} rows of buttons (at most {max})", max = limits::ACTION_ROWS)]
    TooManyRows(usize),
    #[error("a row has {0} buttons (at most {max})", max = limits::BUTTONS_PER_ROW)]
    TooManyButtons(usize),
    #[error("{0} files (at most {max})", max = limits::FILES)]
    TooManyFiles(usize),
    #[error("file {name} has {bytes} bytes (at most {max})", max = limits::FILE_BYTES)]
    FileTooLarge { name: String, bytes: usize },
    #[error("a modal needs 1 to {max} inputs, not {0}", max = limits::MODAL_INPUTS)]
    ModalInputs(usize),
    #[error("a thread needs a name")]
    ThreadName,
    #[error("a thread cannot archive after {0} minutes (one of {allowed:?})", allowed = limits::AUTO_ARCHIVE_MINUTES)]
    AutoArchive(u16),
}

/// Applies the limits: returns the messages to send in order. The first carries the embeds,
/// buttons and files; the others carry the rest of a long content.
pub fn prepare(message: Message) -> Result<Vec<Message>, LimitError> {
    let Message {
        content,
        embeds,
        rows,
        files,
        ephemeral,
        pings,
    } = message;
    if embeds.len() > limits::EMBEDS {
        return Err(LimitError::TooManyEmbeds(embeds.len()));
    }
    let embeds = embeds
        .into_iter()
        .map(fit_embed)
        .collect::<Result<Vec<_>, _>>()?;
    let total: usize = embeds.iter().map(embed_chars).sum();
    if total > limits::EMBED_TOTAL {
        return Err(LimitError::EmbedsTooLong(total));
    }
    if rows.len() > limits::ACTION_ROWS {
        return Err(LimitError::TooManyRows(rows.len()));
    }
    if let Some(row) = rows
        .iter()
        .find(|r| r.len() > limits::BUTTONS_PER_ROW || r.is_empty())
    {
        return Err(LimitError::TooManyButtons(row.len()));
    }
    let rows = rows
        .into_iter()
        .map(|row| {
            row.into_iter()
                .map(|b| Button {
                    label: truncate(&b.label, limits::BUTTON_LABEL),
                    ..b
                })
                .collect()
        })
        .collect();
    if files.len() > limits::FILES {
        return Err(LimitError::TooManyFiles(files.len()));
    }
    if let Some(file) = files.iter().find(|f| f.bytes.len() > limits::FILE_BYTES) {
        return Err(LimitError::FileTooLarge {
            name: file.name.clone(),
            bytes: file.bytes.len(),
        });
    }
    let parts = limits::split(&content, limits::CONTENT);
    if parts.len() > limits::CONTENT_PARTS {
        return Err(LimitError::ContentTooLong);
    }
    let mut parts = parts.into_iter();
    let first = Message {
        content: parts.next().unwrap_or_default(),
        embeds,
        rows,
        files,
        ephemeral,
        pings,
    };
    Ok(std::iter::once(first)
        .chain(parts.map(|content| Message {
            content,
            ephemeral,
            pings,
            ..Message::default()
        }))
        .collect())
}

fn fit_embed(embed: Embed) -> Result<Embed, LimitError> {
    if embed.fields.len() > limits::EMBED_FIELDS {
        return Err(LimitError::TooManyFields(embed.fields.len()));
    }
    Ok(Embed {
        title: truncate(&embed.title, limits::EMBED_TITLE),
        description: truncate(&embed.description, limits::EMBED_DESCRIPTION),
        fields: embed
            .fields
            .into_iter()
            .map(|f| Field {
                name: truncate(&f.name, limits::FIELD_NAME),
                value: truncate(&f.value, limits::FIELD_VALUE),
                inline: f.inline,
            })
            .collect(),
        footer: truncate(&embed.footer, limits::FOOTER),
        ..embed
    })
}

fn embed_chars(embed: &Embed) -> usize {
    len(&embed.title)
        + len(&embed.description)
        + len(&embed.footer)
        + embed
            .fields
            .iter()
            .map(|f| len(&f.name) + len(&f.value))
            .sum::<usize>()
}

/// Fits a modal: titles and labels are cut, the number of inputs must be 1 to 5.
pub fn check_modal(modal: Modal) -> Result<Modal, LimitError> {
    if !(1..=limits::MODAL_INPUTS).contains(&modal.inputs.len()) {
        return Err(LimitError::ModalInputs(modal.inputs.len()));
    }
    Ok(Modal {
        title: truncate(&modal.title, limits::MODAL_TITLE),
        inputs: modal
            .inputs
            .into_iter()
            .map(|i| Input {
                label: truncate(&i.label, limits::INPUT_LABEL),
                placeholder: truncate(&i.placeholder, 100),
                max_len: i.max_len.min(limits::INPUT_VALUE as u16),
                min_len: i.min_len.min(i.max_len.min(limits::INPUT_VALUE as u16)),
                ..i
            })
            .collect(),
        ..modal
    })
}

/// Fits a thread to start on a message: returns its name, trimmed and cut to 100 characters
/// ("…"). A name with nothing in it, or an auto-archive time Discord does not offer (60, 1440,
/// 4320 or 10080 minutes), is refused.
pub fn fit_thread(name: &str, auto_archive_minutes: u16) -> Result<String, LimitError> {
    if !limits::AUTO_ARCHIVE_MINUTES.contains(&auto_archive_minutes) {
        return Err(LimitError::AutoArchive(auto_archive_minutes));
    }
    let name = name.trim();
    if name.is_empty() {
        return Err(LimitError::ThreadName);
    }
    Ok(truncate(name, limits::THREAD_NAME))
}

/// At most 25 choices, names cut to 100 characters, values longer than 100 dropped.
pub fn fit_choices(choices: Vec<Choice>) -> Vec<Choice> {
    choices
        .into_iter()
        .filter(|c| len(&c.value) <= limits::CHOICE_NAME)
        .take(limits::AUTOCOMPLETE_CHOICES)
        .map(|c| Choice {
            name: truncate(&c.name, limits::CHOICE_NAME),
            value: c.value,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn field(n: usize) -> Field {
        Field {
            name: format!("f{n}"),
            value: "v".into(),
            inline: false,
        }
    }

    /// `Message` as 0.1 queued it, with `ping_users: bool` where `pings` is now.
    #[derive(Serialize)]
    struct MessageV01 {
        content: String,
        embeds: Vec<Embed>,
        rows: Vec<Vec<Button>>,
        files: Vec<File>,
        ephemeral: bool,
        ping_users: bool,
    }

    #[test]
    fn messages_queued_by_0_1_still_read() {
        for (ping_users, pings) in [(false, Pings::Nobody), (true, Pings::Users)] {
            let old = MessageV01 {
                content: "hi <@1>".into(),
                embeds: vec![Embed::default()],
                rows: Vec::new(),
                files: Vec::new(),
                ephemeral: true,
                ping_users,
            };
            let bytes = postcard::to_allocvec(&(old, 7_u8)).unwrap();
            let (read, after): (Message, u8) = postcard::from_bytes(&bytes).unwrap();
            assert_eq!(read.pings, pings);
            assert_eq!(read.content, "hi <@1>");
            assert!(read.ephemeral);
            assert_eq!(after, 7, "what follows a message still lines up");
        }
    }

    #[test]
    fn long_content_becomes_several_messages_with_extras_on_the_first() {
        let text = "word ".repeat(1000);
        let message = Message::text(text.trim_end())
            .with_file("a.png", vec![1, 2, 3])
            .ephemeral();
        let parts = prepare(message).unwrap_or_default();
        assert_eq!(parts.len(), 3);
        assert!(
            parts
                .iter()
                .all(|p| len(&p.content) <= limits::CONTENT && p.ephemeral)
        );
        assert_eq!(parts[0].files.len(), 1);
        assert!(parts[1..].iter().all(|p| p.files.is_empty()));
        assert!(prepare(Message::text("x".repeat(limits::CONTENT * 11))).is_err());
    }

    #[test]
    fn embed_texts_are_cut_and_structure_is_refused() {
        let embed = Embed {
            title: "t".repeat(300),
            description: "d".repeat(5000),
            ..Embed::default()
        };
        let parts = prepare(Message::embed(embed)).unwrap_or_default();
        assert_eq!(len(&parts[0].embeds[0].title), limits::EMBED_TITLE);
        assert_eq!(
            len(&parts[0].embeds[0].description),
            limits::EMBED_DESCRIPTION
        );

        let many_fields = Embed {
            fields: (0..26).map(field).collect(),
            ..Embed::default()
        };
        assert_eq!(
            prepare(Message::embed(many_fields)),
            Err(LimitError::TooManyFields(26))
        );
        let big = || Embed {
            description: "d".repeat(4000),
            ..Embed::default()
        };
        let two = Message {
            embeds: vec![big(), big()],
            ..Message::default()
        };
        assert_eq!(prepare(two), Err(LimitError::EmbedsTooLong(8000)));
        let eleven = Message {
            embeds: vec![Embed::default(); 11],
            ..Message::default()
        };
        assert_eq!(prepare(eleven), Err(LimitError::TooManyEmbeds(11)));
    }

    #[test]
    fn buttons_and_files_are_bounded() {
        let button = Button {
            label: "l".repeat(100),
            style: ButtonStyle::Primary,
            target: ButtonTarget::Link("https://x".into()),
            disabled: false,
        };
        let ok = prepare(Message::text("x").with_row(vec![button.clone()])).unwrap_or_default();
        assert_eq!(len(&ok[0].rows[0][0].label), limits::BUTTON_LABEL);
        assert_eq!(
            prepare(Message::text("x").with_row(vec![button.clone(); 6])),
            Err(LimitError::TooManyButtons(6))
        );
        let six_rows = (0..6).fold(Message::text("x"), |m, _| m.with_row(vec![button.clone()]));
        assert_eq!(prepare(six_rows), Err(LimitError::TooManyRows(6)));
        let huge = Message::text("x").with_file("big.png", vec![0; limits::FILE_BYTES + 1]);
        assert!(matches!(
            prepare(huge),
            Err(LimitError::FileTooLarge { .. })
        ));
    }

    #[test]
    fn thread_names_are_cut_and_odd_archive_times_refused() {
        assert_eq!(fit_thread("  Level 128  ", 1440), Ok("Level 128".into()));
        let long = fit_thread(&"я".repeat(150), 60).unwrap_or_default();
        assert_eq!(len(&long), limits::THREAD_NAME);
        assert!(long.ends_with('…'));
        let exact = "n".repeat(limits::THREAD_NAME);
        assert_eq!(fit_thread(&exact, 10080), Ok(exact.clone()));
        assert_eq!(fit_thread("", 60), Err(LimitError::ThreadName));
        assert_eq!(fit_thread(" \n\t", 60), Err(LimitError::ThreadName));
        for minutes in limits::AUTO_ARCHIVE_MINUTES {
            assert!(fit_thread("t", minutes).is_ok(), "{minutes}");
        }
        for minutes in [0, 1, 59, 61, 1000, 1441, 10081, u16::MAX] {
            assert_eq!(
                fit_thread("t", minutes),
                Err(LimitError::AutoArchive(minutes))
            );
        }
    }

    #[test]
    fn modals_and_choices() {
        let input = Input {
            id: "a".into(),
            label: "l".repeat(60),
            paragraph: false,
            required: true,
            placeholder: String::new(),
            min_len: 0,
            max_len: 9000,
        };
        let modal = Modal {
            custom_id: CustomId::new("req", "submit", 1, None),
            title: "t".repeat(50),
            inputs: vec![input],
        };
        let fitted = check_modal(modal.clone()).unwrap_or_else(|_| modal.clone());
        assert_eq!(
            (
                len(&fitted.title),
                len(&fitted.inputs[0].label),
                fitted.inputs[0].max_len
            ),
            (45, 45, 4000)
        );
        assert_eq!(
            check_modal(Modal {
                inputs: vec![],
                ..modal
            }),
            Err(LimitError::ModalInputs(0))
        );
        let choices = (0..30)
            .map(|i| Choice {
                name: "n".repeat(120),
                value: i.to_string(),
            })
            .collect();
        let fitted = fit_choices(choices);
        assert_eq!(fitted.len(), 25);
        assert!(fitted.iter().all(|c| len(&c.name) <= 100));
    }
}
