//! The request desk's commands: `/usercd`, `/levelcd`, `/request`, `/queue`, `/trainee`,
//! `/report`, `/reviews`, `/control_panel`.

use crate::access::Flag;
use crate::bot::commands::{
    Access, CommandSpec, OptionKind, OptionSpec, chosen, group, languages, leaf, text, typed,
};

const ADMIN: Access = Access::Flag(Flag::Admin);
const BAN_USERS: Access = Access::Flag(Flag::BanUsers);
const BAN_LEVELS: Access = Access::Flag(Flag::BanLevels);
const LOG_VIEWER: Access = Access::Flag(Flag::LogViewer);
const REVIEWER: Access = Access::Flag(Flag::Reviewer);
const GD_MOD: Access = Access::Flag(Flag::GdMod);
const INSERT_REQUESTS: Access = Access::Flag(Flag::InsertRequests);
const TRAINEE: Access = Access::Flag(Flag::Trainee);
const REPORT_VIEWER: Access = Access::Flag(Flag::ReportViewer);
const SUPERVISOR: Access = Access::Flag(Flag::TraineeSupervisor);

/// The member a supervisor promotes or expels.
const TRAINEE_MEMBER: OptionSpec = typed(
    "trainee",
    "стажёр",
    "command.option.trainee",
    OptionKind::User,
);
/// The member whose reviews `/reviews user` lists.
const REVIEW_AUTHOR: OptionSpec = typed(
    "author",
    "автор",
    "command.option.review_author",
    OptionKind::User,
);

/// The staff member the Control Panel API acts for.
const PANEL_STAFF: OptionSpec = typed(
    "staff",
    "сотрудник",
    "command.option.panel_staff",
    OptionKind::User,
);

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

fn granularities() -> Vec<(&'static str, &'static str)> {
    vec![("day · по дням", "day"), ("week · по неделям", "week")]
}

const DATE_FROM: OptionSpec = text("date_from", "с", "command.option.date_from", 100, false);
const DATE_TO: OptionSpec = text("date_to", "по", "command.option.date_to", 100, false);
const GRANULARITY: OptionSpec = OptionSpec {
    required: false,
    ..chosen(
        "granularity",
        "шаг",
        "command.option.granularity",
        granularities,
    )
};
const REVIEWER_MEMBER: OptionSpec = typed(
    "reviewer",
    "рецензент",
    "command.option.reviewer",
    OptionKind::User,
);

fn cooldown_listings() -> Vec<(&'static str, &'static str)> {
    vec![
        ("temporary · временные", "temporary"),
        ("endless · бессрочные", "endless"),
    ]
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

/// `/usercd`, `/levelcd`, `/request`, `/queue`, `/trainee`, `/report`, `/reviews`, `/control_panel`.
pub const COMMANDS: &[CommandSpec] = &[
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
    group(
        "trainee",
        "стажёр",
        "command.trainee.description",
        &[
            leaf("pick", "задание", "command.trainee.pick", TRAINEE, &[]),
            leaf(
                "promote",
                "повысить",
                "command.trainee.promote",
                SUPERVISOR,
                &[TRAINEE_MEMBER],
            ),
            leaf(
                "expel",
                "исключить",
                "command.trainee.expel",
                SUPERVISOR,
                &[TRAINEE_MEMBER],
            ),
        ],
    ),
    group(
        "report",
        "отчёт",
        "command.report.description",
        &[
            leaf(
                "new_requests",
                "новые_заявки",
                "command.report.new_requests",
                REPORT_VIEWER,
                &[DATE_FROM, DATE_TO, GRANULARITY],
            ),
            leaf(
                "pending_requests",
                "ждущие_заявки",
                "command.report.pending_requests",
                REPORT_VIEWER,
                &[DATE_FROM, DATE_TO, GRANULARITY],
            ),
            leaf(
                "review_activity",
                "активность",
                "command.report.review_activity",
                REPORT_VIEWER,
                &[DATE_FROM, DATE_TO, GRANULARITY],
            ),
            leaf(
                "reviewer_opinions",
                "мнения",
                "command.report.reviewer_opinions",
                REPORT_VIEWER,
                &[REVIEWER_MEMBER, DATE_FROM, DATE_TO],
            ),
        ],
    ),
    group(
        "reviews",
        "отзывы",
        "command.reviews.description",
        &[
            leaf(
                "level",
                "уровень",
                "command.reviews.level",
                Access::Everyone,
                &[LEVEL_ID],
            ),
            leaf(
                "user",
                "автор",
                "command.reviews.user",
                Access::Everyone,
                &[REVIEW_AUTHOR],
            ),
        ],
    ),
    group(
        "control_panel",
        "панель",
        "command.control_panel.description",
        &[
            leaf(
                "on",
                "включить",
                "command.control_panel.on",
                ADMIN,
                &[PANEL_STAFF],
            ),
            leaf(
                "rotate",
                "новый_ключ",
                "command.control_panel.rotate",
                ADMIN,
                &[],
            ),
            leaf("off", "выключить", "command.control_panel.off", ADMIN, &[]),
            leaf(
                "status",
                "состояние",
                "command.control_panel.status",
                ADMIN,
                &[],
            ),
        ],
    ),
];
