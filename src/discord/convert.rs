//! Plain messages → serenity builders. Inputs here have already passed [`super::message::prepare`].

use serenity::all::{
    ButtonStyle as SerenityStyle, CreateActionRow, CreateAllowedMentions, CreateAttachment,
    CreateAutocompleteResponse, CreateButton, CreateEmbed, CreateEmbedFooter, CreateInputText,
    CreateInteractionResponseFollowup, CreateInteractionResponseMessage, CreateMessage,
    CreateModal, EditInteractionResponse, EditMessage, InputTextStyle, RoleId, UserId,
};

use crate::outbox::{Button, ButtonStyle, ButtonTarget, Choice, Embed, Message, Modal, Pings};

fn embed(e: &Embed) -> CreateEmbed {
    let mut out = CreateEmbed::new().color(e.color);
    if !e.title.is_empty() {
        out = out.title(&e.title);
    }
    if !e.description.is_empty() {
        out = out.description(&e.description);
    }
    if !e.footer.is_empty() {
        out = out.footer(CreateEmbedFooter::new(&e.footer));
    }
    if let Some(image) = &e.image {
        out = out.image(format!("attachment://{image}"));
    }
    if let Some(thumbnail) = &e.thumbnail {
        out = out.thumbnail(thumbnail);
    }
    out.fields(
        e.fields
            .iter()
            .map(|f| (f.name.clone(), f.value.clone(), f.inline)),
    )
}

fn button(b: &Button) -> CreateButton {
    let made = match &b.target {
        ButtonTarget::Control(id) => CreateButton::new(id.to_string()).style(match b.style {
            ButtonStyle::Primary => SerenityStyle::Primary,
            ButtonStyle::Secondary => SerenityStyle::Secondary,
            ButtonStyle::Success => SerenityStyle::Success,
            ButtonStyle::Danger => SerenityStyle::Danger,
        }),
        ButtonTarget::Link(url) => CreateButton::new_link(url),
    };
    made.label(&b.label).disabled(b.disabled)
}

fn rows(m: &Message) -> Vec<CreateActionRow> {
    m.rows
        .iter()
        .map(|row| CreateActionRow::Buttons(row.iter().map(button).collect()))
        .collect()
}

fn files(m: &Message) -> Vec<CreateAttachment> {
    m.files
        .iter()
        .map(|f| CreateAttachment::bytes(f.bytes.clone(), f.name.clone()))
        .collect()
}

/// Mentions ping whom the message asks for, never everyone.
fn mentions(m: &Message) -> CreateAllowedMentions {
    let none = CreateAllowedMentions::new()
        .all_users(false)
        .everyone(false)
        .all_roles(false);
    match m.pings {
        Pings::Nobody => none,
        Pings::Users => none.all_users(true),
        Pings::Role(role) => none.roles([RoleId::new(role)]),
        Pings::User(user) => none.users([UserId::new(user)]),
        Pings::UsersAndRoles => none.all_users(true).all_roles(true),
    }
}

pub fn response(m: &Message) -> CreateInteractionResponseMessage {
    CreateInteractionResponseMessage::new()
        .content(&m.content)
        .embeds(m.embeds.iter().map(embed).collect())
        .components(rows(m))
        .files(files(m))
        .ephemeral(m.ephemeral)
        .allowed_mentions(mentions(m))
}

pub fn followup(m: &Message) -> CreateInteractionResponseFollowup {
    CreateInteractionResponseFollowup::new()
        .content(&m.content)
        .embeds(m.embeds.iter().map(embed).collect())
        .components(rows(m))
        .files(files(m))
        .ephemeral(m.ephemeral)
        .allowed_mentions(mentions(m))
}

pub fn edit(m: &Message) -> EditInteractionResponse {
    let edit = EditInteractionResponse::new()
        .content(&m.content)
        .embeds(m.embeds.iter().map(embed).collect())
        .components(rows(m))
        .allowed_mentions(mentions(m));
    files(m)
        .into_iter()
        .fold(edit, EditInteractionResponse::new_attachment)
}

pub fn message(m: &Message) -> CreateMessage {
    CreateMessage::new()
        .content(&m.content)
        .embeds(m.embeds.iter().map(embed).collect())
        .components(rows(m))
        .files(files(m))
        .allowed_mentions(mentions(m))
}

pub fn edit_message(m: &Message) -> EditMessage {
    EditMessage::new()
        .content(&m.content)
        .embeds(m.embeds.iter().map(embed).collect())
        .components(rows(m))
        .allowed_mentions(mentions(m))
}

pub fn modal(m: &Modal) -> CreateModal {
    let inputs = m
        .inputs
        .iter()
        .map(|i| {
            let style = if i.paragraph {
                InputTextStyle::Paragraph
            } else {
                InputTextStyle::Short
            };
            let mut input = CreateInputText::new(style, &i.label, &i.id)
                .required(i.required)
                .max_length(i.max_len);
            if i.min_len > 0 {
                input = input.min_length(i.min_len);
            }
            if !i.placeholder.is_empty() {
                input = input.placeholder(&i.placeholder);
            }
            CreateActionRow::InputText(input)
        })
        .collect();
    CreateModal::new(m.custom_id.to_string(), &m.title).components(inputs)
}

pub fn choices(list: &[Choice]) -> CreateAutocompleteResponse {
    list.iter().fold(CreateAutocompleteResponse::new(), |r, c| {
        r.add_string_choice(&c.name, &c.value)
    })
}
