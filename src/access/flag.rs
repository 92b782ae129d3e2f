//! The permission flags (gd-requestbot §5.1 plus the league's) and sets of them.

macro_rules! flags {
    ($($(#[$doc:meta])* $variant:ident = $name:literal;)*) => {
        /// A permission. Stored by name, so the order here is free to change.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum Flag {
            $($(#[$doc])* $variant,)*
        }

        impl Flag {
            /// Every flag, in the order `/permission list_flags` shows them.
            pub const ALL: &[Flag] = &[$(Flag::$variant,)*];

            /// The name in commands and the store (`log_viewer`).
            pub fn name(self) -> &'static str {
                match self {
                    $(Flag::$variant => $name,)*
                }
            }

            /// The text describing what the flag grants.
            pub fn description_key(self) -> &'static str {
                match self {
                    $(Flag::$variant => concat!("permission.flag.", $name),)*
                }
            }
        }
    };
}

flags! {
    /// Everything: implies every other flag in ordinary checks.
    Admin = "admin";
    /// `/log` (except saving and deleting filters), cooldown histories.
    LogViewer = "log_viewer";
    /// `/report`.
    ReportViewer = "report_viewer";
    /// Reviewer's Widget, `/request ignored`.
    Reviewer = "reviewer";
    /// Trainee reviewer: `/trainee pick`, trainee reviews.
    Trainee = "trainee";
    /// Assess trainee reviews, promote or expel trainees.
    TraineeSupervisor = "trainee_supervisor";
    /// Resolution Widget, `/request widgets`, `/request unresolved`.
    GdMod = "gd_mod";
    /// `/levelcd`.
    BanLevels = "ban_levels";
    /// `/usercd`.
    BanUsers = "ban_users";
    /// No cooldown before or after a request.
    NoRequestCooldown = "no_request_cooldown";
    /// Request while the queue is closed.
    RequestWhileQueueClosed = "request_while_queue_closed";
    /// `/request insert`.
    InsertRequests = "insert_requests";
    /// Overwrite level cooldowns cast by others.
    RemoveOtherLevelBans = "remove_other_level_bans";
    /// Overwrite user cooldowns cast by others.
    RemoveOtherUserBans = "remove_other_user_bans";
    /// League seasons (`/season_start`, `/season_end`) and `/delete`.
    LeagueAdmin = "league_admin";
    /// `/points`.
    PointsEditor = "points_editor";
}

impl Flag {
    /// Reads a flag name (exact, as listed).
    pub fn parse(name: &str) -> Option<Flag> {
        Flag::ALL.iter().copied().find(|f| f.name() == name.trim())
    }

    fn bit(self) -> u32 {
        1 << (self as u32)
    }
}

/// A set of flags.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct FlagSet(u32);

impl FlagSet {
    pub const EMPTY: FlagSet = FlagSet(0);

    pub fn contains(self, flag: Flag) -> bool {
        self.0 & flag.bit() != 0
    }

    pub fn is_empty(self) -> bool {
        self.0 == 0
    }

    pub(super) fn insert(&mut self, flag: Flag) {
        self.0 |= flag.bit();
    }

    pub(super) fn remove(&mut self, flag: Flag) {
        self.0 &= !flag.bit();
    }

    pub(super) fn union(self, other: FlagSet) -> FlagSet {
        FlagSet(self.0 | other.0)
    }

    /// The flags in [`Flag::ALL`] order.
    pub fn flags(self) -> Vec<Flag> {
        Flag::ALL
            .iter()
            .copied()
            .filter(|&f| self.contains(f))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_fit_a_set() {
        assert!(Flag::ALL.len() <= 25, "a Discord choice list holds 25");
        assert!(Flag::ALL.len() <= 32, "a FlagSet holds 32");
        for &flag in Flag::ALL {
            assert_eq!(Flag::parse(flag.name()), Some(flag));
            assert_eq!(
                flag.description_key(),
                format!("permission.flag.{}", flag.name())
            );
        }
        assert_eq!(Flag::parse("Admin"), None);
        assert_eq!(Flag::parse(""), None);
    }

    #[test]
    fn sets() {
        let mut set = FlagSet::EMPTY;
        set.insert(Flag::GdMod);
        set.insert(Flag::Admin);
        assert_eq!(set.flags(), [Flag::Admin, Flag::GdMod]);
        set.remove(Flag::Admin);
        assert!(set.contains(Flag::GdMod) && !set.contains(Flag::Admin));
        assert!(!set.is_empty());
    }
}
