//! The commands that belong to no module: `/help` (its command list made from the registered
//! command table) and `/language`, with the language buttons under `/help`.

use super::ctx::{Ctx, HandlerError};
use super::dispatch::outdated;
use crate::bot::{Invocation, Outcome};
use crate::i18n::{self, Lang};
use crate::outbox::{Button, ButtonStyle, ButtonTarget, CustomId, Embed, Field, Message};

/// `/help [topic]`: the commands of the enabled modules, made from the command table (no
/// topic), or the duration or timestamp grammar.
pub(super) fn help(ctx: &Ctx, inv: &Invocation) -> Result<Outcome, HandlerError> {
    let choice = ctx.language(inv)?;
    let lang = choice.lang;
    let topic = match inv.str_option("topic") {
        Some("duration") => Some("help.duration"),
        Some("timestamp") => Some("help.timestamp"),
        Some("commands") | None => None,
        Some(_) => return outdated(ctx, inv),
    };
    if let Some(key) = topic {
        return Ok(Outcome::reply(
            Message::text(ctx.text(choice, key, &[])).ephemeral(),
        ));
    }
    let enabled = |module: Option<Module>| match module {
        None => true,
        Some(Module::League) => ctx.settings.modules_league,
        Some(Module::Requests) => ctx.settings.modules_requests,
    };
    let fields = FEATURES
        .iter()
        .filter(|feature| enabled(feature.module))
        .map(|feature| Field {
            name: ctx.texts.render(lang, feature.title, &[]),
            value: command_list(ctx, lang, feature.commands),
            inline: false,
        })
        .collect();
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
        message.content = ctx.texts.render(
            lang.other(),
            "common.language_selection_proposal_subtext",
            &[],
        );
    }
    Ok(Outcome::reply(message))
}

/// One line per command of `commands` — its name as the member's Discord shows it, and what it
/// does — so `/help` lists exactly what is registered.
fn command_list(ctx: &Ctx, lang: Lang, commands: &[CommandSpec]) -> String {
    let lines: Vec<String> = commands
        .iter()
        .map(|command| {
            let name = match lang {
                Lang::En => command.name,
                Lang::Ru => command.name_ru,
            };
            let description = ctx.texts.render(lang, command.description, &[]);
            format!("`/{name}` — {description}")
        })
        .collect();
    lines.join("\n")
}

pub(super) fn language(ctx: &Ctx, inv: &Invocation) -> Result<Outcome, HandlerError> {
    match inv.str_option("language").and_then(Lang::parse) {
        Some(lang) => set_language(ctx, inv, lang),
        None => outdated(ctx, inv),
    }
}

/// `/language` and the language buttons under `/help`.
pub(super) fn set_language(
    ctx: &Ctx,
    inv: &Invocation,
    lang: Lang,
) -> Result<Outcome, HandlerError> {
    ctx.store
        .write(|w| i18n::set_preference(w, inv.user, lang, ctx.clock.now()))?;
    tracing::info!(user = inv.user, language = lang.code(), "language chosen");
    let choice = i18n::Choice {
        lang,
        assumed: false,
    };
    Ok(Outcome::reply(
        Message::text(ctx.text(choice, "common.language_set", &[])).ephemeral(),
    ))
}

use super::commands::{
    Access, CommandSpec, FEATURES, Module, OptionKind, OptionSpec, chosen, languages, leaf,
};

fn help_topics() -> Vec<(&'static str, &'static str)> {
    vec![
        ("commands", "commands"),
        ("duration", "duration"),
        ("timestamp", "timestamp"),
    ]
}

/// `/help` and `/language`.
pub const COMMANDS: &[CommandSpec] = &[
    leaf(
        "help",
        "помощь",
        "command.help.description",
        Access::Everyone,
        &[OptionSpec {
            name: "topic",
            name_ru: "тема",
            description: "command.help.topic",
            kind: OptionKind::String {
                choices: help_topics,
                autocomplete: false,
                max_length: 0,
            },
            required: false,
        }],
    ),
    leaf(
        "language",
        "язык",
        "command.language.description",
        Access::Everyone,
        &[chosen(
            "language",
            "язык",
            "command.language.option",
            languages,
        )],
    ),
];

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use crate::bot::ctx::tests::ctx;
    use crate::bot::{Kind, Response, commands};
    use crate::config::{Layers, Sources};
    use std::sync::Arc;

    /// The command names `/help` lists for a member whose Discord speaks `locale`.
    fn listed(ctx: &Ctx, locale: &str) -> Vec<String> {
        let inv = Invocation {
            user: 42,
            user_name: "kira".into(),
            roles: Vec::new(),
            administrator: false,
            locale: locale.into(),
            channel: 5,
            kind: Kind::Command {
                path: vec!["help".into()],
                options: Vec::new(),
            },
        };
        let Response::Message(message) = help(ctx, &inv).unwrap().response else {
            panic!("/help answers with a message");
        };
        message.embeds[0]
            .fields
            .iter()
            .flat_map(|field| field.value.lines())
            .map(|line| {
                let name = line.strip_prefix("`/").unwrap();
                name[..name.find('`').unwrap()].to_string()
            })
            .collect()
    }

    #[test]
    fn help_lists_exactly_the_registered_commands_in_both_languages() {
        let dir = tempfile::tempdir().unwrap();
        let mut ctx = ctx(dir.path());
        let sources = Sources {
            env: vec![
                ("STAGEHAND_MODULES_LEAGUE".into(), "true".into()),
                ("STAGEHAND_MODULES_REQUESTS".into(), "true".into()),
            ],
            ..Sources::default()
        };
        ctx.settings = Arc::new(Layers::collect(&sources).settings().unwrap());
        let english: Vec<&str> = commands::all().map(|c| c.name).collect();
        let russian: Vec<&str> = commands::all().map(|c| c.name_ru).collect();
        assert_eq!(listed(&ctx, "en-US"), english);
        assert_eq!(listed(&ctx, "ru"), russian);
        for built in ["trainee", "reviews", "log", "report"] {
            assert!(english.contains(&built), "{built} is registered");
        }
    }

    #[test]
    fn help_leaves_out_the_modules_that_are_off() {
        let dir = tempfile::tempdir().unwrap();
        let ctx = ctx(dir.path());
        let listed = listed(&ctx, "en-US");
        assert!(listed.contains(&"permission".to_string()), "{listed:?}");
        assert!(!listed.contains(&"link".to_string()), "{listed:?}");
        assert!(!listed.contains(&"request".to_string()), "{listed:?}");
        // The event log serves both modules; the charts are the desk's.
        assert!(listed.contains(&"log".to_string()), "{listed:?}");
        assert!(!listed.contains(&"report".to_string()), "{listed:?}");
    }
}
