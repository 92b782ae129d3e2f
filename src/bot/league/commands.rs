//! The league's commands: `/link`, `/show`, `/archived`, `/season_end`, `/season_start`,
//! `/delete`, `/points`, `/league role`.

use crate::access::Flag;
use crate::bot::commands::{
    Access, CommandSpec, OptionKind, chosen, completed, group, leaf, typed,
};

const ADMIN: Access = Access::Flag(Flag::Admin);

fn league_roles() -> Vec<(&'static str, &'static str)> {
    crate::league::roles::RoleKey::ALL
        .iter()
        .map(|k| (k.name(), k.name()))
        .collect()
}
const LEAGUE_ADMIN: Access = Access::Flag(Flag::LeagueAdmin);

/// `/link`, `/show`, `/league`, `/archived`, `/season_end`, `/season_start`, `/delete`.
pub const COMMANDS: &[CommandSpec] = &[
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
    leaf(
        "archived",
        "архив",
        "command.archived.description",
        Access::Everyone,
        &[
            completed("season", "сезон", "command.archived.season"),
            completed("table", "таблица", "command.archived.table"),
        ],
    )
    .public(),
    leaf(
        "season_end",
        "завершить_сезон",
        "command.season_end.description",
        LEAGUE_ADMIN,
        &[],
    )
    .public(),
    leaf(
        "season_start",
        "начать_сезон",
        "command.season_start.description",
        LEAGUE_ADMIN,
        &[],
    )
    .public(),
    leaf(
        "delete",
        "удалить",
        "command.delete.description",
        LEAGUE_ADMIN,
        &[typed(
            "player",
            "игрок",
            "command.delete.player",
            OptionKind::User,
        )],
    ),
    leaf(
        "points",
        "очки",
        "command.points.description",
        Access::Flag(Flag::PointsEditor),
        &[
            typed("player", "игрок", "command.points.player", OptionKind::User),
            typed(
                "points",
                "очки",
                "command.points.points",
                OptionKind::Integer {
                    min: -super::points::LIMIT,
                    max: super::points::LIMIT,
                },
            ),
        ],
    )
    .public(),
    leaf(
        "challenge",
        "вызов",
        "command.challenge.description",
        Access::Everyone,
        &[
            typed(
                "player",
                "игрок",
                "command.challenge.player",
                OptionKind::User,
            ),
            typed(
                "pp",
                "pp",
                "command.challenge.pp",
                // The parameters `challenge.min_pp` and `challenge.max_pp` decide; this only
                // keeps numbers sane.
                OptionKind::Integer {
                    min: 1,
                    max: 100_000,
                },
            ),
        ],
    )
    .public(),
    leaf(
        "revoke_challenge",
        "отозвать_вызов",
        "command.revoke_challenge.description",
        Access::Everyone,
        &[typed(
            "player",
            "игрок",
            "command.revoke_challenge.player",
            OptionKind::User,
        )],
    ),
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
];
