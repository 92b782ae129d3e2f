//! `/log` (gd-requestbot §1.6): every subcommand needs `log_viewer`, but saving and deleting a
//! filter every viewer sees, which need `admin`.

use crate::access::Flag;
use crate::bot::commands::{
    Access, CommandSpec, OptionKind, OptionSpec, completed, group, leaf, text, typed,
};

const LOG_VIEWER: Access = Access::Flag(Flag::LogViewer);
const ADMIN: Access = Access::Flag(Flag::Admin);

const USER: OptionSpec = typed(
    "user",
    "участник",
    "command.option.log_user",
    OptionKind::User,
);
/// 35 types: more than Discord's 25 fixed choices, so completed as typed.
const EVENT_TYPE: OptionSpec = completed("event_type", "тип", "command.option.event_type");
const KEY: OptionSpec = completed("key", "поле", "command.option.field_key");
const VALUE: OptionSpec = text("value", "значение", "command.option.field_value", 100, true);
/// A saved filter's name, completed from those saved.
const NAME: OptionSpec = completed("name", "название", "command.option.filter_name");
/// A new name: completed too, to see the names taken.
const NEW_NAME: OptionSpec = NAME;
const NAMED: OptionSpec = OptionSpec {
    required: false,
    ..NAME
};
const TIMESTAMP: OptionSpec = text(
    "timestamp",
    "момент",
    "command.option.log_timestamp",
    100,
    false,
);

/// `/log`.
pub const COMMANDS: &[CommandSpec] = &[group(
    "log",
    "журнал",
    "command.log.description",
    &[
        leaf(
            "restrict_user",
            "участник",
            "command.log.restrict_user",
            LOG_VIEWER,
            &[USER],
        ),
        leaf(
            "restrict_type",
            "тип",
            "command.log.restrict_type",
            LOG_VIEWER,
            &[EVENT_TYPE],
        ),
        leaf(
            "restrict_custom_field",
            "поле",
            "command.log.restrict_custom_field",
            LOG_VIEWER,
            &[KEY, VALUE],
        ),
        leaf(
            "unrestrict_user",
            "без_участника",
            "command.log.unrestrict_user",
            LOG_VIEWER,
            &[],
        ),
        leaf(
            "unrestrict_type",
            "без_типа",
            "command.log.unrestrict_type",
            LOG_VIEWER,
            &[],
        ),
        leaf(
            "unrestrict_custom_field",
            "без_поля",
            "command.log.unrestrict_custom_field",
            LOG_VIEWER,
            &[KEY],
        ),
        leaf(
            "clear_custom_field_restrictions",
            "без_полей",
            "command.log.clear_custom_field_restrictions",
            LOG_VIEWER,
            &[],
        ),
        leaf(
            "clear_filter",
            "сбросить",
            "command.log.clear_filter",
            LOG_VIEWER,
            &[],
        ),
        leaf(
            "describe_filter",
            "описание",
            "command.log.describe_filter",
            LOG_VIEWER,
            &[NAMED],
        ),
        leaf(
            "view",
            "смотреть",
            "command.log.view",
            LOG_VIEWER,
            &[TIMESTAMP],
        ),
        leaf(
            "list_filters",
            "фильтры",
            "command.log.list_filters",
            LOG_VIEWER,
            &[],
        ),
        leaf(
            "select_filter",
            "выбрать",
            "command.log.select_filter",
            LOG_VIEWER,
            &[NAME],
        ),
        leaf(
            "save_filter",
            "сохранить",
            "command.log.save_filter",
            ADMIN,
            &[NEW_NAME],
        ),
        leaf(
            "delete_filter",
            "удалить",
            "command.log.delete_filter",
            ADMIN,
            &[NAME],
        ),
    ],
)];
