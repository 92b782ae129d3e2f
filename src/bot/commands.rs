//! The slash-command table: every command Stagehand registers, declared once, with English names
//! and descriptions plus Russian localisations from the texts, and the permission each needs.
//! Each feature declares its own slice (`general`, `admin`, `league`, `requests`); [`FEATURES`]
//! is the one list of slices, in registration order, and [`all`] walks it. Registering the table
//! with Discord is `discord::register`'s job.
//!
//! Permissions (gd-requestbot §1, §5): every command and subcommand declares its [`Access`],
//! checked by `bot::gate` before any handler runs:
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
//! | `/link`, `/show`, `/archived`             | nothing    |
//! | `/challenge`, `/revoke_challenge`         | nothing (a linked player; the rules are the use case's) |
//! | `/season_end`, `/season_start`, `/delete` | `league_admin` |
//! | `/league role`                            | `admin`    |
//! | `/points`                                 | `points_editor` |
//! | `/usercd list, describe, amend, update`   | `ban_users` (others' cooldowns: also `remove_other_user_bans`) |
//! | `/levelcd list, describe, amend, update`  | `ban_levels` (others' cooldowns: also `remove_other_level_bans`) |
//! | `/usercd history`, `/levelcd history`     | `log_viewer` |
//! | `/request create`                         | nothing (the queue and cooldowns are checked by the handler) |
//! | `/request insert`                         | `insert_requests` |
//! | `/request ignored`                        | `reviewer` |
//! | `/request unresolved, widgets`            | `gd_mod`   |
//! | `/request delete`, `/queue open, close, info, history` | `admin` |
//! | `/control_panel on, rotate, off, status`  | `admin`    |
//! | `/backup save, load`                      | `admin`    |
//! | `/trainee pick`                           | `trainee`  |
//! | `/trainee promote, expel`                 | `trainee_supervisor` |
//! | `/reviews level, user`                    | nothing    |
//! | `/log` (all but the two below)            | `log_viewer` |
//! | `/log save_filter, delete_filter`         | `admin`    |
//! | `/report new_requests, pending_requests, review_activity, reviewer_opinions` | `report_viewer` |
//!
//! Answers are private except where a command is marked `.public()` in its feature's table (`/show`
//! and `/archived`, whose tables everyone sees, and the season prompts, whose progress everyone
//! sees); the router defers a slow command with the same visibility.

use crate::access::Flag;

/// Who may run a command.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Access {
    Everyone,
    /// Members holding this flag (`admin` holds every flag).
    Flag(Flag),
    /// Members holding either flag (the Reviewer's Widget: reviewers and trainees).
    Either(Flag, Flag),
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
    /// deferred publicly too; set with `.public()` in its feature's table. Never registered.
    pub public: bool,
}

impl CommandSpec {
    /// The command answers publicly.
    pub(super) const fn public(self) -> CommandSpec {
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
    /// A whole number from `min` to `max`. serenity 0.12 registers only bounds ≥ 0: a handler
    /// whose `min` is negative checks it itself (`/points`).
    Integer {
        min: i64,
        max: i64,
    },
    Role,
    /// A text channel.
    Channel,
    User,
    /// A file the member uploads with the command.
    Attachment,
}

pub(super) fn no_choices() -> Vec<(&'static str, &'static str)> {
    Vec::new()
}

pub(super) fn languages() -> Vec<(&'static str, &'static str)> {
    vec![("English", "en"), ("Русский", "ru")]
}

/// A free text option.
pub(super) const fn text(
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

/// A string option completed as typed (parameters, text keys: more than 25 values).
pub(super) const fn completed(
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

pub(super) const fn chosen(
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

pub(super) const fn typed(
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

pub(super) const fn leaf(
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

pub(super) const fn group(
    name: &'static str,
    name_ru: &'static str,
    description: &'static str,
    subcommands: &'static [CommandSpec],
) -> CommandSpec {
    CommandSpec {
        name,
        name_ru,
        description,
        access: Access::Flag(Flag::Admin),
        options: &[],
        subcommands,
        public: false,
    }
}

/// A feature's slice of the command table and the `/help` section that lists it.
pub struct Feature {
    /// Text key of its `/help` section's title.
    pub title: &'static str,
    /// The module it belongs to; `None` for what is always on.
    pub module: Option<Module>,
    pub commands: &'static [CommandSpec],
}

/// A module that can be switched off (`modules.*`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Module {
    League,
    Requests,
}

/// Every feature, in registration order: adding a command touches its feature's table only.
pub const FEATURES: &[Feature] = &[
    Feature {
        title: "help.general",
        module: None,
        commands: super::general::COMMANDS,
    },
    Feature {
        title: "help.admin",
        module: None,
        commands: super::admin::COMMANDS,
    },
    Feature {
        title: "help.log",
        module: None,
        commands: super::log::COMMANDS,
    },
    Feature {
        title: "help.league",
        module: Some(Module::League),
        commands: super::league::COMMANDS,
    },
    Feature {
        title: "help.requests",
        module: Some(Module::Requests),
        commands: super::requests::COMMANDS,
    },
];

/// Every command, in registration order.
pub fn all() -> impl Iterator<Item = &'static CommandSpec> {
    FEATURES.iter().flat_map(|feature| feature.commands.iter())
}

/// The runnable command at `path` (command, then group and subcommand names); `None` for a
/// path the table does not have, or a command or group that needs a subcommand.
fn leaf_at(path: &[String]) -> Option<&'static CommandSpec> {
    let (first, rest) = path.split_first()?;
    let mut spec = all().find(|c| c.name == first)?;
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_subcommand_declares_who_may_run_it() {
        let path = |p: &str| p.split(' ').map(str::to_string).collect::<Vec<_>>();
        assert_eq!(access(&path("help")), Some(Access::Everyone));
        assert_eq!(
            access(&path("permission list_flags")),
            Some(Access::Everyone)
        );
        assert_eq!(
            access(&path("permission bind")),
            Some(Access::Flag(Flag::Admin))
        );
        assert_eq!(access(&path("text edit")), Some(Access::Flag(Flag::Admin)));
        assert_eq!(
            access(&path("usercd update")),
            Some(Access::Flag(Flag::BanUsers))
        );
        assert_eq!(
            access(&path("levelcd amend")),
            Some(Access::Flag(Flag::BanLevels))
        );
        assert_eq!(
            access(&path("levelcd history")),
            Some(Access::Flag(Flag::LogViewer))
        );
        assert_eq!(access(&path("request create")), Some(Access::Everyone));
        assert_eq!(
            access(&path("request insert")),
            Some(Access::Flag(Flag::InsertRequests))
        );
        assert_eq!(
            access(&path("request unresolved")),
            Some(Access::Flag(Flag::GdMod))
        );
        assert_eq!(
            access(&path("queue close")),
            Some(Access::Flag(Flag::Admin))
        );
        assert_eq!(access(&path("text")), None, "a group is not runnable");
        assert_eq!(access(&path("text nothing")), None);
        assert_eq!(access(&path("nothing")), None);
        assert_eq!(access(&[]), None);
    }

    #[test]
    fn only_tables_season_prompts_and_points_answer_publicly() {
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
        let mut paths = Vec::new();
        for spec in all() {
            leaves(&[], std::slice::from_ref(spec), &mut paths);
        }
        assert!(paths.len() > 40, "{}", paths.len());
        let public: Vec<String> = paths
            .iter()
            .filter(|path| answers_publicly(path))
            .map(|path| path.join(" "))
            .collect();
        assert_eq!(
            public,
            [
                "show",
                "archived",
                "season_end",
                "season_start",
                "points",
                "challenge"
            ]
        );
        assert!(!answers_publicly(&["request".into()]), "a group");
        assert!(!answers_publicly(&["nothing".into()]));
    }
}
