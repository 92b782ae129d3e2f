//! The administration commands: `/permission`, `/parameter`, `/route`, `/text`, `/backup`.

use crate::access::Flag;
use crate::bot::commands::{
    Access, CommandSpec, OptionKind, OptionSpec, chosen, completed, group, languages, leaf, text,
    typed,
};
use crate::routes::Route;

const ADMIN: Access = Access::Flag(Flag::Admin);

fn flags() -> Vec<(&'static str, &'static str)> {
    Flag::ALL.iter().map(|f| (f.name(), f.name())).collect()
}

fn routes() -> Vec<(&'static str, &'static str)> {
    Route::ALL.iter().map(|r| (r.name(), r.name())).collect()
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

/// `/permission`, `/parameter`, `/route`, `/text`, `/backup`.
pub const COMMANDS: &[CommandSpec] = &[
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
    group(
        "backup",
        "резерв",
        "command.backup.description",
        &[
            leaf("save", "сохранить", "command.backup.save", ADMIN, &[]),
            leaf(
                "load",
                "загрузить",
                "command.backup.load",
                ADMIN,
                &[typed(
                    "file",
                    "файл",
                    "command.option.backup_file",
                    OptionKind::Attachment,
                )],
            ),
        ],
    ),
];
