//! Registration of the slash commands: `bot::commands`' table turned into serenity's builders,
//! with English names and descriptions and Russian localisations from the texts. Registration is
//! one bulk overwrite into the home guild, done only when the table's fingerprint differs from
//! the one stored after the last registration (Discord allows 200 command creations a day per
//! guild).

use crate::store::Read as _;

use serenity::all::{
    ChannelType, CommandOptionType, CreateCommand, CreateCommandOption, GuildId, Http,
};
use sha2::{Digest, Sha256};

use crate::bot::commands::{self, CommandSpec, OptionKind, OptionSpec};
use crate::i18n::{Catalogue, Lang};
use crate::store::{Store, Table};

/// Fingerprint of the slash commands last registered (key `commands`), so an unchanged table is
/// not registered again.
pub const FINGERPRINT: Table<str, [u8; 32]> = Table::new("commands_fingerprint");

/// Registers the command table in the guild, with `texts` for its names' descriptions, unless
/// the same table was registered already (Discord allows 200 command creations a day).
pub async fn register(
    http: &Http,
    store: &Store,
    guild: u64,
    texts: &Catalogue,
) -> anyhow::Result<bool> {
    let list = build(texts);
    let fingerprint = fingerprint(guild, &list);
    if store.read(|r| r.get(&FINGERPRINT, "commands"))? == Some(fingerprint) {
        return Ok(false);
    }
    GuildId::new(guild).set_commands(http, list).await?;
    store.write(|w| w.insert(&FINGERPRINT, "commands", &fingerprint))?;
    Ok(true)
}

/// The commands to register.
pub fn build(texts: &Catalogue) -> Vec<CreateCommand> {
    commands::all()
        .map(|spec| {
            let command = CreateCommand::new(spec.name)
                .name_localized("ru", spec.name_ru)
                .description(texts.render(Lang::En, spec.description, &[]))
                .description_localized("ru", texts.render(Lang::Ru, spec.description, &[]))
                .dm_permission(false);
            let command = spec.options.iter().fold(command, |command, option| {
                command.add_option(build_option(texts, option))
            });
            spec.subcommands.iter().fold(command, |command, sub| {
                command.add_option(build_subcommand(texts, sub))
            })
        })
        .collect()
}

fn build_subcommand(texts: &Catalogue, spec: &CommandSpec) -> CreateCommandOption {
    let kind = if spec.subcommands.is_empty() {
        CommandOptionType::SubCommand
    } else {
        CommandOptionType::SubCommandGroup
    };
    let option = CreateCommandOption::new(
        kind,
        spec.name,
        texts.render(Lang::En, spec.description, &[]),
    )
    .name_localized("ru", spec.name_ru)
    .description_localized("ru", texts.render(Lang::Ru, spec.description, &[]));
    let option = spec.options.iter().fold(option, |option, inner| {
        option.add_sub_option(build_option(texts, inner))
    });
    spec.subcommands.iter().fold(option, |option, sub| {
        option.add_sub_option(build_subcommand(texts, sub))
    })
}

fn build_option(texts: &Catalogue, spec: &OptionSpec) -> CreateCommandOption {
    let kind = match spec.kind {
        OptionKind::String { .. } => CommandOptionType::String,
        OptionKind::Integer { .. } => CommandOptionType::Integer,
        OptionKind::Role => CommandOptionType::Role,
        OptionKind::Channel => CommandOptionType::Channel,
        OptionKind::User => CommandOptionType::User,
        OptionKind::Attachment => CommandOptionType::Attachment,
    };
    let option = CreateCommandOption::new(
        kind,
        spec.name,
        texts.render(Lang::En, spec.description, &[]),
    )
    .name_localized("ru", spec.name_ru)
    .description_localized("ru", texts.render(Lang::Ru, spec.description, &[]))
    .required(spec.required);
    match spec.kind {
        OptionKind::String {
            choices,
            autocomplete,
            max_length,
        } => {
            let option = option.set_autocomplete(autocomplete);
            let option = if max_length > 0 {
                option.max_length(max_length)
            } else {
                option
            };
            choices()
                .into_iter()
                .fold(option, |option, (label, value)| {
                    option.add_string_choice(label, value)
                })
        }
        OptionKind::Integer { min, max } => {
            // serenity 0.12.5 takes unsigned bounds only (a float bound on an integer option is
            // not worth risking the whole registration): a negative one is the handler's check.
            let option = match u64::try_from(min) {
                Ok(min) => option.min_int_value(min),
                Err(_) => option,
            };
            match u64::try_from(max) {
                Ok(max) => option.max_int_value(max),
                Err(_) => option,
            }
        }
        OptionKind::Channel => option.channel_types(vec![ChannelType::Text]),
        OptionKind::Role | OptionKind::User | OptionKind::Attachment => option,
    }
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
    use crate::access::Flag;
    use serde_json::Value;

    fn json() -> serde_json::Value {
        serde_json::to_value(build(&Catalogue::defaults())).unwrap_or_default()
    }

    fn name_ok(n: &str) -> bool {
        (1..=32).contains(&n.chars().count())
            && n.chars()
                .all(|c| c.is_lowercase() || c.is_numeric() || c == '-' || c == '_')
    }

    /// Checks a command or option and everything under it against Discord's rules.
    fn check(item: &Value, seen: &mut usize) {
        *seen += 1;
        let name = item["name"].as_str().unwrap_or_default();
        assert!(name_ok(name), "{name}");
        let ru = item["name_localizations"]["ru"]
            .as_str()
            .unwrap_or_default();
        assert!(name_ok(ru), "{name}: {ru:?}");
        for text in [
            &item["description"],
            &item["description_localizations"]["ru"],
        ] {
            let text = text.as_str().unwrap_or_default();
            assert!(
                (1..=100).contains(&text.chars().count()),
                "{name}: {text:?}"
            );
            assert!(!text.starts_with("command."), "{name}: untranslated {text}");
        }
        let options = item["options"]
            .as_array()
            .map(Vec::as_slice)
            .unwrap_or_default();
        assert!(options.len() <= 25, "{name}: too many options");
        let choices = item["choices"]
            .as_array()
            .map(Vec::as_slice)
            .unwrap_or_default();
        assert!(choices.len() <= 25, "{name}: too many choices");
        let first_optional = options
            .iter()
            .position(|o| o["required"] != true)
            .unwrap_or(options.len());
        assert!(
            options[first_optional..]
                .iter()
                .all(|o| o["required"] != true),
            "{name}: a required option after an optional one"
        );
        let mut names: Vec<&str> = options.iter().filter_map(|o| o["name"].as_str()).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), options.len(), "{name}: duplicate option names");
        for option in options {
            check(option, seen);
        }
    }

    #[test]
    fn commands_are_localised_and_within_discord_rules() {
        let commands = json();
        let list = commands.as_array().map(Vec::as_slice).unwrap_or_default();
        assert_eq!(list.len(), commands::all().count());
        let mut seen = 0;
        for command in list {
            check(command, &mut seen);
        }
        assert!(seen > 40, "{seen}");
        assert_eq!(list[1]["options"][0]["choices"][1]["value"], "ru");
        let permission = &list[2];
        assert_eq!(permission["options"][0]["name"], "bind");
        assert_eq!(permission["options"][0]["type"], 1);
        assert_eq!(permission["options"][0]["options"][1]["type"], 8);
        assert_eq!(
            permission["options"][0]["options"][0]["choices"]
                .as_array()
                .map(Vec::len),
            Some(Flag::ALL.len())
        );
    }

    #[test]
    fn the_fingerprint_follows_the_table_and_the_guild() {
        let commands = build(&Catalogue::defaults());
        assert_eq!(
            fingerprint(1, &commands),
            fingerprint(1, &build(&Catalogue::defaults()))
        );
        assert_ne!(fingerprint(1, &commands), fingerprint(2, &commands));
        assert_ne!(fingerprint(1, &commands), fingerprint(1, &commands[..1]));
    }
}
