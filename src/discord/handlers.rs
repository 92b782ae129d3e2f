//! The commands and controls that belong to no module: `/help`, `/language`, and the answer to an
//! outdated control. Module handlers are reached from [`dispatch`].

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use super::custom_id::CustomId;
use super::interaction::{Invocation, Kind, Outcome, Response};
use super::message::{Button, ButtonStyle, ButtonTarget, Embed, Field, Message};
use crate::config::Settings;
use crate::i18n::{self, Lang, Texts};
use crate::store::{Store, StoreError, tables};

/// What handlers can reach.
pub struct Ctx {
    pub store: Arc<Store>,
    pub settings: Arc<Settings>,
    pub texts: &'static Texts,
    /// The guild's owner, learned from the gateway (0 until then).
    pub owner: AtomicU64,
}

/// A failure inside a handler: logged in full, reported to the maintainers, and answered with a
/// short apology.
pub type HandlerError = anyhow::Error;

impl Ctx {
    /// The language to answer `inv`'s user in.
    pub fn language(&self, inv: &Invocation) -> Result<i18n::Choice, StoreError> {
        let preference = self
            .store
            .read(|r| r.get(&tables::USER_LANGUAGE, &inv.user))?;
        let russian_role = self
            .settings
            .discord_russian_role_id
            .is_some_and(|role| inv.roles.contains(&role.0));
        Ok(i18n::detect(preference, Some(&inv.locale), russian_role))
    }

    /// A reply in `choice`'s language; when the language was guessed, a line in the other
    /// language points to `/language`.
    pub fn text(&self, choice: i18n::Choice, key: &str, params: &[(&str, &str)]) -> String {
        let mut text = self.texts.render(choice.lang, key, params);
        if choice.assumed {
            text.push('\n');
            text.push_str(self.texts.template(
                choice.lang.other(),
                "common.language_selection_proposal_subtext",
            ));
        }
        text
    }

    pub fn owner(&self) -> u64 {
        self.owner.load(Ordering::Relaxed)
    }
}

/// Routes an invocation to its handler.
pub async fn dispatch(ctx: &Ctx, inv: &Invocation) -> Result<Outcome, HandlerError> {
    match &inv.kind {
        Kind::Command { path, .. } => match path.first().map(String::as_str) {
            Some("help") => help(ctx, inv),
            Some("language") => language(ctx, inv),
            _ => outdated(ctx, inv),
        },
        Kind::Autocomplete { .. } => Ok(Outcome {
            response: Response::Choices(Vec::new()),
            effects: Vec::new(),
        }),
        Kind::Component { custom_id, .. } | Kind::Modal { custom_id, .. } => {
            match CustomId::parse(custom_id) {
                Ok(id) => match (id.module.as_str(), id.action.as_str()) {
                    ("core", "language") => match id.arg.as_deref().and_then(Lang::parse) {
                        Some(lang) => set_language(ctx, inv, lang),
                        None => outdated(ctx, inv),
                    },
                    _ => outdated(ctx, inv),
                },
                Err(err) => {
                    tracing::debug!(%err, "refused a control");
                    outdated(ctx, inv)
                }
            }
        }
    }
}

/// "This control is outdated": the answer to any control or command Stagehand no longer knows.
pub fn outdated(ctx: &Ctx, inv: &Invocation) -> Result<Outcome, HandlerError> {
    let choice = ctx.language(inv)?;
    Ok(Outcome::reply(
        Message::text(ctx.text(choice, "error.outdated_control", &[])).ephemeral(),
    ))
}

fn help(ctx: &Ctx, inv: &Invocation) -> Result<Outcome, HandlerError> {
    let choice = ctx.language(inv)?;
    let lang = choice.lang;
    let section = |title: &str, body: &str| Field {
        name: ctx.texts.render(lang, title, &[]),
        value: ctx.texts.render(lang, body, &[]),
        inline: false,
    };
    let mut fields = vec![section("help.general", "help.general.commands")];
    if ctx.settings.modules_league {
        fields.push(section("help.league", "help.league.commands"));
    }
    if ctx.settings.modules_requests {
        fields.push(section("help.requests", "help.requests.commands"));
    }
    let embed = Embed {
        title: ctx.texts.render(lang, "help.title", &[]),
        color: 0xFF66AA,
        fields,
        footer: ctx.texts.render(
            lang,
            "help.footer",
            &[("version", env!("CARGO_PKG_VERSION"))],
        ),
        ..Embed::default()
    };
    let buttons = Lang::ALL
        .iter()
        .map(|lang| Button {
            label: lang.native_name().to_string(),
            style: if *lang == choice.lang {
                ButtonStyle::Primary
            } else {
                ButtonStyle::Secondary
            },
            target: ButtonTarget::Control(CustomId::new("core", "language", 0, Some(lang.code()))),
            disabled: false,
        })
        .collect();
    let mut message = Message::embed(embed).with_row(buttons).ephemeral();
    if choice.assumed {
        message.content = ctx
            .texts
            .template(lang.other(), "common.language_selection_proposal_subtext")
            .to_string();
    }
    Ok(Outcome::reply(message))
}

fn language(ctx: &Ctx, inv: &Invocation) -> Result<Outcome, HandlerError> {
    match inv.str_option("language").and_then(Lang::parse) {
        Some(lang) => set_language(ctx, inv, lang),
        None => outdated(ctx, inv),
    }
}

/// `/language` and the language buttons under `/help`.
fn set_language(ctx: &Ctx, inv: &Invocation, lang: Lang) -> Result<Outcome, HandlerError> {
    ctx.store
        .write(|w| w.insert(&tables::USER_LANGUAGE, &inv.user, &lang))?;
    tracing::info!(user = inv.user, language = lang.code(), "language chosen");
    let choice = i18n::Choice {
        lang,
        assumed: false,
    };
    Ok(Outcome::reply(
        Message::text(ctx.text(choice, "common.language_set", &[])).ephemeral(),
    ))
}
