//! The slash-command table: every command Stagehand registers, declared once, with English names
//! and descriptions plus Russian localisations from the texts.
//!
//! Registration is one bulk overwrite into the home guild, done only when the table's fingerprint
//! differs from the one stored after the last registration (Discord allows 200 command creations
//! a day per guild).

use serenity::all::{CommandOptionType, CreateCommand, CreateCommandOption};
use sha2::{Digest, Sha256};

use crate::i18n::{Lang, Texts};

/// One slash command.
pub struct CommandSpec {
    pub name: &'static str,
    pub name_ru: &'static str,
    /// Text key of the description.
    pub description: &'static str,
    pub options: &'static [OptionSpec],
}

/// One option of a command.
pub struct OptionSpec {
    pub name: &'static str,
    pub name_ru: &'static str,
    pub description: &'static str,
    pub kind: OptionKind,
    pub required: bool,
}

pub enum OptionKind {
    /// A string, optionally limited to fixed choices `(label, value)`; labels are not translated.
    String {
        choices: &'static [(&'static str, &'static str)],
        autocomplete: bool,
    },
}

/// Every command. Modules add theirs here.
pub const COMMANDS: &[CommandSpec] = &[
    CommandSpec {
        name: "help",
        name_ru: "помощь",
        description: "command.help.description",
        options: &[],
    },
    CommandSpec {
        name: "language",
        name_ru: "язык",
        description: "command.language.description",

        options: &[OptionSpec {
            name: "language",
            name_ru: "язык",
            description: "command.language.option",
            kind: OptionKind::String {
                choices: &[("English", "en"), ("Русский", "ru")],
                autocomplete: false,
            },
            required: true,
        }],
    },
];

/// The commands to register.
pub fn build(texts: &Texts) -> Vec<CreateCommand> {
    COMMANDS
        .iter()
        .map(|spec| {
            let command = CreateCommand::new(spec.name)
                .name_localized("ru", spec.name_ru)
                .description(texts.render(Lang::En, spec.description, &[]))
                .description_localized("ru", texts.render(Lang::Ru, spec.description, &[]))
                .dm_permission(false);
            spec.options.iter().fold(command, |command, option| {
                command.add_option(build_option(texts, option))
            })
        })
        .collect()
}

fn build_option(texts: &Texts, spec: &OptionSpec) -> CreateCommandOption {
    let OptionKind::String {
        choices,
        autocomplete,
    } = &spec.kind;
    let option = CreateCommandOption::new(
        CommandOptionType::String,
        spec.name,
        texts.render(Lang::En, spec.description, &[]),
    )
    .name_localized("ru", spec.name_ru)
    .description_localized("ru", texts.render(Lang::Ru, spec.description, &[]))
    .required(spec.required)
    .set_autocomplete(*autocomplete);
    choices.iter().fold(option, |option, (label, value)| {
        option.add_string_choice(*label, *value)
    })
}

/// A fingerprint of what would be registered (and where): registration is skipped when it matches.
pub fn fingerprint(guild_id: u64, commands: &[CreateCommand]) -> [u8; 32] {
    let json = serde_json::to_vec(commands).unwrap_or_default();
    let mut hash = Sha256::new();
    hash.update(guild_id.to_be_bytes());
    hash.update(json);
    hash.finalize().into()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn json() -> serde_json::Value {
        serde_json::to_value(build(Texts::defaults())).unwrap_or_default()
    }

    #[test]
    fn commands_are_localised_and_within_discord_rules() {
        let commands = json();
        let list = commands.as_array().map(Vec::as_slice).unwrap_or_default();
        assert_eq!(list.len(), COMMANDS.len());
        let name_ok = |n: &str| {
            (1..=32).contains(&n.chars().count())
                && n.chars()
                    .all(|c| c.is_lowercase() || c.is_numeric() || c == '-' || c == '_')
        };
        for command in list {
            let name = command["name"].as_str().unwrap_or_default();
            assert!(name_ok(name), "{name}");
            assert!(name_ok(
                command["name_localizations"]["ru"]
                    .as_str()
                    .unwrap_or_default()
            ));
            for key in ["description", "description_localizations"] {
                let text = if key == "description" {
                    &command[key]
                } else {
                    &command[key]["ru"]
                };
                let text = text.as_str().unwrap_or_default();
                assert!(
                    (1..=100).contains(&text.chars().count()),
                    "{name}: {text:?}"
                );
                assert!(!text.starts_with("command."), "{name}: untranslated {text}");
            }
        }
        assert_eq!(list[1]["options"][0]["choices"][1]["value"], "ru");
    }

    #[test]
    fn the_fingerprint_follows_the_table_and_the_guild() {
        let commands = build(Texts::defaults());
        assert_eq!(
            fingerprint(1, &commands),
            fingerprint(1, &build(Texts::defaults()))
        );
        assert_ne!(fingerprint(1, &commands), fingerprint(2, &commands));
        assert_ne!(fingerprint(1, &commands), fingerprint(1, &commands[..1]));
    }
}
