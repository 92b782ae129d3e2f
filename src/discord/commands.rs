//! The slash-command table: every command Stagehand registers, declared once, with English names
//! and descriptions plus Russian localisations from the texts, and the permission each needs.
//!
//! Registration is one bulk overwrite into the home guild, done only when the table's fingerprint
//! differs from the one stored after the last registration (Discord allows 200 command creations
//! a day per guild).
//!
//! Permissions (gd-requestbot §1, §5): every command and subcommand declares its [`Access`],
//! checked by `handlers::gate` before any handler runs:
//!
//! | command                                   | needs      |
//! |-------------------------------------------|------------|
//! | `/help [topic]`, `/language`              | nothing    |
//! | `/permission list_flags`                  | nothing    |
//! | `/permission bind`                        | `admin` (the owner, or Administrators while no role carries `admin`) |
//! | `/permission unbind, clear, describe_member, list_roles` | `admin` |
//! | `/parameter list, describe, set, reset`   | `admin`    |
//! | `/route list, describe, enable, disable, update_channel, reset_channel` | `admin` |
//! | `/text list, describe, edit, reset`       | `admin`    |
//! | `/link`, `/show`                          | nothing    |
//! | `/league role`                            | `admin`    |
//! | `/usercd list, describe, amend, update`   | `ban_users` (others' cooldowns: also `remove_other_user_bans`) |
//! | `/levelcd list, describe, amend, update`  | `ban_levels` (others' cooldowns: also `remove_other_level_bans`) |
//! | `/usercd history`, `/levelcd history`     | `log_viewer` |
//! | `/request create`                         | nothing (the queue and cooldowns are checked by the handler) |
//! | `/request insert`                         | `insert_requests` |
//! | `/request ignored`                        | `reviewer` |
//! | `/request unresolved, widgets`            | `gd_mod`   |
//! | `/request delete`, `/queue open, close, info, history` | `admin` |
//!
//! Answers are private except where a command is marked `.public()` in [`COMMANDS`] (`/show`, whose
//! table everyone sees); the router defers a slow command with the same visibility.

use serenity::all::{ChannelType, CommandOptionType, CreateCommand, CreateCommandOption};
use sha2::{Digest, Sha256};

use crate::access::Flag;
use crate::i18n::{Catalogue, Lang};
use crate::routes::Route;

/// Who may run a command.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Access {
    Everyone,
    /// Members holding this flag (`admin` holds every flag).
    Flag(Flag),
}

/// One slash command, subcommand group or subcommand.
pub struct CommandSpec {
    pub name: &'static str,
    pub name_ru: &'static str,
    /// Text key of the description.
    pub description: &'static str,
    /// Who may run it; for a command with subcommands, each subcommand's own applies.
    pub access: Access,
    pub options: &'static [OptionSpec],
    /// Subcommands (or subcommand groups); a command has either these or options.
    pub subcommands: &'static [CommandSpec],
    /// Its answer is seen by everyone in the channel (not only by who ran it), so a slow run is
    /// deferred publicly too; set with `.public()` in [`COMMANDS`]. Never registered.
    pub public: bool,
}

impl CommandSpec {
    /// The command answers publicly.
    const fn public(self) -> CommandSpec {
        CommandSpec {
            public: true,
            ..self
        }
    }
}

/// One option of a command.
pub struct OptionSpec {
    pub name: &'static str,
    pub name_ru: &'static str,
    pub description: &'static str,
    pub kind: OptionKind,
    pub required: bool,
}

/// Fixed choices `(label, value)`; labels are not translated.
pub type Choices = fn() -> Vec<(&'static str, &'static str)>;

pub enum OptionKind {
    /// A string, optionally limited to fixed choices or completed as typed, at most `max_length`
    /// characters (0: Discord's own limit).
    String {
        choices: Choices,
        autocomplete: bool,
        max_length: u16,
    },
    /// A whole number from `min` to `max`.
    Integer {
        min: u64,
        max: u64,
    },
    Role,
    /// A text channel.
    Channel,
    User,
}

fn no_choices() -> Vec<(&'static str, &'static str)> {
    Vec::new()
}

fn languages() -> Vec<(&'static str, &'static str)> {
    vec![("English", "en"), ("Русский", "ru")]
}

fn flags() -> Vec<(&'static str, &'static str)> {
    Flag::ALL.iter().map(|f| (f.name(), f.name())).collect()
}

fn routes() -> Vec<(&'static str, &'static str)> {
    Route::ALL.iter().map(|r| (r.name(), r.name())).collect()
}

fn help_topics() -> Vec<(&'static str, &'static str)> {
    vec![
        ("commands", "commands"),
        ("duration", "duration"),
        ("timestamp", "timestamp"),
    ]
}

const ADMIN: Access = Access::Flag(Flag::Admin);
const BAN_USERS: Access = Access::Flag(Flag::BanUsers);
const BAN_LEVELS: Access = Access::Flag(Flag::BanLevels);
const LOG_VIEWER: Access = Access::Flag(Flag::LogViewer);
const REVIEWER: Access = Access::Flag(Flag::Reviewer);
const GD_MOD: Access = Access::Flag(Flag::GdMod);
const INSERT_REQUESTS: Access = Access::Flag(Flag::InsertRequests);

/// A free text option.
const fn text(
    name: &'static str,
    name_ru: &'static str,
    description: &'static str,
    max_length: u16,
    required: bool,
) -> OptionSpec {
    OptionSpec {
        name,
        name_ru,
        description,
        kind: OptionKind::String {
            choices: no_choices,
            autocomplete: false,
            max_length,
        },
        required,
    }
}

/// A level id as Discord limits it (gd-requestbot §1.0).
const LEVEL_ID: OptionSpec = typed(
    "level_id",
    "id_уровня",
    "command.option.level_id",
    OptionKind::Integer {
        min: 200,
        max: 1_000_000_000,
    },
);
const REQUEST_LANGUAGE: OptionSpec = chosen(
    "language",
    "язык",
    "command.option.request_language",
    languages,
);
const CREATOR_MENTION: OptionSpec = OptionSpec {
    required: false,
    ..typed(
        "creator_mention",
        "автор",
        "command.option.creator_mention",
        OptionKind::User,
    )
};
const REQUEST_ID: OptionSpec = typed(
    "request_id",
    "номер",
    "command.option.request_id",
    OptionKind::Integer {
        min: 1,
        max: 1_000_000_000,
    },
);

fn cooldown_listings() -> Vec<(&'static str, &'static str)> {
    vec![
        ("temporary · временные", "temporary"),
        ("endless · бессрочные", "endless"),
    ]
}

/// A string option completed as typed (parameters, text keys: more than 25 values).
const fn completed(
    name: &'static str,
    name_ru: &'static str,
    description: &'static str,
) -> OptionSpec {
    OptionSpec {
        name,
        name_ru,
        description,
        kind: OptionKind::String {
            choices: no_choices,
            autocomplete: true,
            max_length: 100,
        },
        required: true,
    }
}

const fn chosen(
    name: &'static str,
    name_ru: &'static str,
    description: &'static str,
    choices: Choices,
) -> OptionSpec {
    OptionSpec {
        name,
        name_ru,
        description,
        kind: OptionKind::String {
            choices,
            autocomplete: false,
            max_length: 0,
        },
        required: true,
    }
}

const fn typed(
    name: &'static str,
    name_ru: &'static str,
    description: &'static str,
    kind: OptionKind,
) -> OptionSpec {
    OptionSpec {
        name,
        name_ru,
        description,
        kind,
        required: true,
    }
}

const fn leaf(
    name: &'static str,
    name_ru: &'static str,
    description: &'static str,
    access: Access,
    options: &'static [OptionSpec],
) -> CommandSpec {
    CommandSpec {
        name,
        name_ru,
        description,
        access,
        options,
        subcommands: &[],
        public: false,
    }
}

const fn group(
    name: &'static str,
    name_ru: &'static str,
    description: &'static str,
    subcommands: &'static [CommandSpec],
) -> CommandSpec {
    CommandSpec {
        name,
        name_ru,
        description,
        access: ADMIN,
        options: &[],
        subcommands,
        public: false,
    }
}

const FLAG: OptionSpec = chosen("permission", "право", "command.option.permission", flags);
const ROLE: OptionSpec = typed("role", "роль", "command.option.role", OptionKind::Role);
const PARAMETER: OptionSpec = completed("parameter", "параметр", "command.option.parameter");
const ROUTE: OptionSpec = chosen("route", "маршрут", "command.option.route", routes);
const KEY: OptionSpec = completed("key", "ключ", "command.option.text_key");
const LANGUAGE: OptionSpec = chosen(
    "language",
    "язык",
    "command.option.text_language",
    languages,
);

fn league_roles() -> Vec<(&'static str, &'static str)> {
    crate::league::roles::RoleKey::ALL
        .iter()
        .map(|k| (k.name(), k.name()))
        .collect()
}
const CD_USER: OptionSpec = typed(
    "user",
    "участник",
    "command.option.cd_user",
    OptionKind::User,
);
const CD_LEVEL: OptionSpec = text("level_id", "id_уровня", "command.option.cd_level", 20, true);
const CD_DURATION: OptionSpec = text(
    "duration",
    "длительность",
    "command.option.cd_duration",
    100,
    true,
);
const CD_REASON: OptionSpec = text("reason", "причина", "command.option.cd_reason", 100, false);
const CD_LISTING: OptionSpec = chosen(
    "listing",
    "вид",
    "command.option.cd_listing",
    cooldown_listings,
);

/// Every command. Modules add theirs here.
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
    group(
        "permission",
        "права",
        "command.permission.description",
        &[
            leaf(
                "bind",
                "привязать",
                "command.permission.bind",
                ADMIN,
                &[FLAG, ROLE],
            ),
            leaf(
                "unbind",
                "отвязать",
                "command.permission.unbind",
                ADMIN,
                &[FLAG, ROLE],
            ),
            leaf(
                "clear",
                "очистить",
                "command.permission.clear",
                ADMIN,
                &[ROLE],
            ),
            leaf(
                "describe_member",
                "участник",
                "command.permission.describe_member",
                ADMIN,
                &[typed(
                    "member",
                    "участник",
                    "command.option.member",
                    OptionKind::User,
                )],
            ),
            leaf(
                "list_flags",
                "флаги",
                "command.permission.list_flags",
                Access::Everyone,
                &[],
            ),
            leaf(
                "list_roles",
                "роли",
                "command.permission.list_roles",
                ADMIN,
                &[],
            ),
        ],
    ),
    group(
        "parameter",
        "параметр",
        "command.parameter.description",
        &[
            leaf("list", "список", "command.parameter.list", ADMIN, &[]),
            leaf(
                "describe",
                "описание",
                "command.parameter.describe",
                ADMIN,
                &[PARAMETER],
            ),
            leaf(
                "set",
                "задать",
                "command.parameter.set",
                ADMIN,
                &[
                    PARAMETER,
                    text(
                        "new_value",
                        "значение",
                        "command.option.new_value",
                        100,
                        true,
                    ),
                ],
            ),
            leaf(
                "reset",
                "сбросить",
                "command.parameter.reset",
                ADMIN,
                &[PARAMETER],
            ),
        ],
    ),
    group(
        "route",
        "маршрут",
        "command.route.description",
        &[
            leaf("list", "список", "command.route.list", ADMIN, &[]),
            leaf(
                "describe",
                "описание",
                "command.route.describe",
                ADMIN,
                &[ROUTE],
            ),
            leaf(
                "enable",
                "включить",
                "command.route.enable",
                ADMIN,
                &[ROUTE],
            ),
            leaf(
                "disable",
                "выключить",
                "command.route.disable",
                ADMIN,
                &[ROUTE],
            ),
            leaf(
                "update_channel",
                "сменить_канал",
                "command.route.update_channel",
                ADMIN,
                &[
                    ROUTE,
                    typed(
                        "channel",
                        "канал",
                        "command.option.channel",
                        OptionKind::Channel,
                    ),
                ],
            ),
            leaf(
                "reset_channel",
                "сбросить_канал",
                "command.route.reset_channel",
                ADMIN,
                &[ROUTE],
            ),
        ],
    ),
    group(
        "text",
        "текст",
        "command.text.description",
        &[
            leaf("list", "список", "command.text.list", ADMIN, &[]),
            leaf(
                "describe",
                "описание",
                "command.text.describe",
                ADMIN,
                &[KEY],
            ),
            leaf(
                "edit",
                "изменить",
                "command.text.edit",
                ADMIN,
                &[
                    KEY,
                    LANGUAGE,
                    text("new_value", "текст", "command.option.new_text", 0, true),
                ],
            ),
            leaf(
                "reset",
                "сбросить",
                "command.text.reset",
                ADMIN,
                &[KEY, LANGUAGE],
            ),
        ],
    ),
    leaf(
        "link",
        "привязать",
        "command.link.description",
        Access::Everyone,
        &[],
    ),
    leaf(
        "show",
        "таблица",
        "command.show.description",
        Access::Everyone,
        &[completed("table", "таблица", "command.show.table")],
    )
    .public(),
    group(
        "league",
        "лига",
        "command.league.description",
        &[leaf(
            "role",
            "роль",
            "command.league.role",
            ADMIN,
            &[
                chosen(
                    "league_role",
                    "роль_лиги",
                    "command.league.role.league_role",
                    league_roles,
                ),
                typed("role", "роль", "command.league.role.role", OptionKind::Role),
            ],
        )],
    ),
    group(
        "usercd",
        "кд_участника",
        "command.usercd.description",
        &[
            leaf(
                "update",
                "изменить",
                "command.usercd.update",
                BAN_USERS,
                &[CD_USER, CD_DURATION, CD_REASON],
            ),
            leaf(
                "amend",
                "снять",
                "command.usercd.amend",
                BAN_USERS,
                &[CD_USER, CD_REASON],
            ),
            leaf(
                "describe",
                "описание",
                "command.usercd.describe",
                BAN_USERS,
                &[CD_USER],
            ),
            leaf(
                "list",
                "список",
                "command.usercd.list",
                BAN_USERS,
                &[CD_LISTING],
            ),
            leaf(
                "history",
                "история",
                "command.usercd.history",
                LOG_VIEWER,
                &[CD_USER],
            ),
        ],
    ),
    group(
        "levelcd",
        "кд_уровня",
        "command.levelcd.description",
        &[
            leaf(
                "update",
                "изменить",
                "command.levelcd.update",
                BAN_LEVELS,
                &[CD_LEVEL, CD_DURATION, CD_REASON],
            ),
            leaf(
                "amend",
                "снять",
                "command.levelcd.amend",
                BAN_LEVELS,
                &[CD_LEVEL, CD_REASON],
            ),
            leaf(
                "describe",
                "описание",
                "command.levelcd.describe",
                BAN_LEVELS,
                &[CD_LEVEL],
            ),
            leaf(
                "list",
                "список",
                "command.levelcd.list",
                BAN_LEVELS,
                &[CD_LISTING],
            ),
            leaf(
                "history",
                "история",
                "command.levelcd.history",
                LOG_VIEWER,
                &[CD_LEVEL],
            ),
        ],
    ),
    group(
        "request",
        "заявка",
        "command.request.description",
        &[
            leaf(
                "create",
                "создать",
                "command.request.create",
                Access::Everyone,
                &[LEVEL_ID],
            ),
            leaf(
                "insert",
                "вставить",
                "command.request.insert",
                INSERT_REQUESTS,
                &[
                    LEVEL_ID,
                    REQUEST_LANGUAGE,
                    text("yt_link", "видео", "command.option.yt_link", 100, false),
                    CREATOR_MENTION,
                    text(
                        "creator_name",
                        "имя_автора",
                        "command.option.creator_name",
                        100,
                        false,
                    ),
                    text(
                        "additional_comment",
                        "комментарий",
                        "command.option.additional_comment",
                        400,
                        false,
                    ),
                ],
            ),
            leaf(
                "delete",
                "удалить",
                "command.request.delete",
                ADMIN,
                &[REQUEST_ID],
            ),
            leaf(
                "ignored",
                "забытая",
                "command.request.ignored",
                REVIEWER,
                &[],
            ),
            leaf(
                "unresolved",
                "нерешённая",
                "command.request.unresolved",
                GD_MOD,
                &[],
            ),
            leaf(
                "widgets",
                "виджеты",
                "command.request.widgets",
                GD_MOD,
                &[LEVEL_ID],
            ),
        ],
    ),
    group(
        "queue",
        "очередь",
        "command.queue.description",
        &[
            leaf("open", "открыть", "command.queue.open", ADMIN, &[]),
            leaf("close", "закрыть", "command.queue.close", ADMIN, &[]),
            leaf("info", "состояние", "command.queue.info", ADMIN, &[]),
            leaf("history", "история", "command.queue.history", ADMIN, &[]),
        ],
    ),
];

/// The runnable command at `path` (command, then group and subcommand names); `None` for a
/// path the table does not have, or a command or group that needs a subcommand.
fn leaf_at(path: &[String]) -> Option<&'static CommandSpec> {
    let (first, rest) = path.split_first()?;
    let mut spec = COMMANDS.iter().find(|c| c.name == first)?;
    for name in rest {
        spec = spec.subcommands.iter().find(|c| c.name == name)?;
    }
    spec.subcommands.is_empty().then_some(spec)
}

/// Who may run the command at `path`; `None` for a path the table does not have.
pub fn access(path: &[String]) -> Option<Access> {
    leaf_at(path).map(|spec| spec.access)
}

/// Whether the command at `path` answers publicly (its `public` field); `false` for a path the
/// table does not have, whose answer is a private refusal.
pub fn answers_publicly(path: &[String]) -> bool {
    leaf_at(path).is_some_and(|spec| spec.public)
}

/// The commands to register.
pub fn build(texts: &Catalogue) -> Vec<CreateCommand> {
    COMMANDS
        .iter()
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
        OptionKind::Integer { min, max } => option.min_int_value(min).max_int_value(max),
        OptionKind::Channel => option.channel_types(vec![ChannelType::Text]),
        OptionKind::Role | OptionKind::User => option,
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
        assert_eq!(list.len(), COMMANDS.len());
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
    fn every_subcommand_declares_who_may_run_it() {
        let path = |p: &str| p.split(' ').map(str::to_string).collect::<Vec<_>>();
        assert_eq!(access(&path("help")), Some(Access::Everyone));
        assert_eq!(
            access(&path("permission list_flags")),
            Some(Access::Everyone)
        );
        assert_eq!(access(&path("permission bind")), Some(ADMIN));
        assert_eq!(access(&path("text edit")), Some(ADMIN));
        assert_eq!(access(&path("usercd update")), Some(BAN_USERS));
        assert_eq!(access(&path("levelcd amend")), Some(BAN_LEVELS));
        assert_eq!(access(&path("levelcd history")), Some(LOG_VIEWER));
        assert_eq!(access(&path("request create")), Some(Access::Everyone));
        assert_eq!(access(&path("request insert")), Some(INSERT_REQUESTS));
        assert_eq!(access(&path("request unresolved")), Some(GD_MOD));
        assert_eq!(access(&path("queue close")), Some(ADMIN));
        assert_eq!(access(&path("text")), None, "a group is not runnable");
        assert_eq!(access(&path("text nothing")), None);
        assert_eq!(access(&path("nothing")), None);
        assert_eq!(access(&[]), None);
    }

    #[test]
    fn only_show_answers_publicly() {
        fn leaves(prefix: &[String], specs: &[CommandSpec], out: &mut Vec<Vec<String>>) {
            for spec in specs {
                let mut path = prefix.to_vec();
                path.push(spec.name.to_string());
                leaves(&path, spec.subcommands, out);
                if spec.subcommands.is_empty() {
                    out.push(path);
                }
            }
        }
        let mut all = Vec::new();
        leaves(&[], COMMANDS, &mut all);
        assert!(all.len() > 40, "{}", all.len());
        let public: Vec<String> = all
            .iter()
            .filter(|path| answers_publicly(path))
            .map(|path| path.join(" "))
            .collect();
        assert_eq!(public, ["show"]);
        assert!(!answers_publicly(&["request".into()]), "a group");
        assert!(!answers_publicly(&["nothing".into()]));
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
