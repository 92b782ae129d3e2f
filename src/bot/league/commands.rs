//! The league's commands: `/link`, `/show`, `/league role`.

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
/// `/link`, `/show`, `/league`.
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
