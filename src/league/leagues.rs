//! The eight leagues and the rank thresholds that place a player in one (osu-arena §3.1).

use serde::{Deserialize, Serialize};

use crate::params::{self, Param};
use crate::store::{Read, StoreError};

/// A league, lowest first. Stored by name, so reordering is not a format change.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum League {
    Novice,
    Bronze,
    Silver,
    Gold,
    Platinum,
    Diamond,
    Elite,
    Master,
}

impl League {
    /// Every league, lowest first.
    pub const ALL: [League; 8] = [
        League::Novice,
        League::Bronze,
        League::Silver,
        League::Gold,
        League::Platinum,
        League::Diamond,
        League::Elite,
        League::Master,
    ];

    /// The name in commands and the store (`gold`).
    pub fn name(self) -> &'static str {
        match self {
            League::Novice => "novice",
            League::Bronze => "bronze",
            League::Silver => "silver",
            League::Gold => "gold",
            League::Platinum => "platinum",
            League::Diamond => "diamond",
            League::Elite => "elite",
            League::Master => "master",
        }
    }

    /// The league named `name`, in any case.
    pub fn parse(name: &str) -> Option<League> {
        let name = name.trim();
        League::ALL
            .into_iter()
            .find(|l| l.name().eq_ignore_ascii_case(name))
    }

    /// The Discord role name it is matched with by default (`Gold`).
    pub fn role_name(self) -> String {
        let name = self.name();
        name[..1].to_ascii_uppercase() + &name[1..]
    }

    /// A small number for ordered keys.
    pub fn code(self) -> u64 {
        League::ALL.iter().position(|l| *l == self).unwrap_or(0) as u64
    }

    /// The text key of its localised name.
    pub fn text_key(self) -> &'static str {
        match self {
            League::Novice => "league.name.novice",
            League::Bronze => "league.name.bronze",
            League::Silver => "league.name.silver",
            League::Gold => "league.name.gold",
            League::Platinum => "league.name.platinum",
            League::Diamond => "league.name.diamond",
            League::Elite => "league.name.elite",
            League::Master => "league.name.master",
        }
    }
}

/// The rank a player must be below to reach each league from bronze up (parameters
/// `league.<name>_below`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Thresholds {
    /// `(league, below)` from the highest league down.
    below: [(League, u64); 7],
}

impl Thresholds {
    pub fn load(r: &impl Read) -> Result<Thresholds, StoreError> {
        let n = |p| params::number(r, p);
        Ok(Thresholds {
            below: [
                (League::Master, n(Param::MasterBelow)?),
                (League::Elite, n(Param::EliteBelow)?),
                (League::Diamond, n(Param::DiamondBelow)?),
                (League::Platinum, n(Param::PlatinumBelow)?),
                (League::Gold, n(Param::GoldBelow)?),
                (League::Silver, n(Param::SilverBelow)?),
                (League::Bronze, n(Param::BronzeBelow)?),
            ],
        })
    }

    /// The league of a global rank; a player without one (unranked, inactive) is a novice.
    pub fn league(&self, rank: Option<u32>) -> League {
        let Some(rank) = rank else {
            return League::Novice;
        };
        self.below
            .iter()
            .find(|(_, below)| u64::from(rank) < *below)
            .map_or(League::Novice, |(league, _)| *league)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::Store;

    #[test]
    fn default_thresholds_follow_the_spec_table_strictly_below() {
        let (_dir, store) = Store::temporary();
        let t = store.read(Thresholds::load).unwrap();
        let cases = [
            (Some(1), League::Master),
            (Some(999), League::Master),
            (Some(1_000), League::Elite),
            (Some(2_999), League::Elite),
            (Some(3_000), League::Diamond),
            (Some(9_999), League::Diamond),
            (Some(10_000), League::Platinum),
            (Some(29_999), League::Platinum),
            (Some(30_000), League::Gold),
            (Some(79_999), League::Gold),
            (Some(80_000), League::Silver),
            (Some(149_999), League::Silver),
            (Some(150_000), League::Bronze),
            (Some(249_999), League::Bronze),
            (Some(250_000), League::Novice),
            (Some(u32::MAX), League::Novice),
            (None, League::Novice),
        ];
        for (rank, league) in cases {
            assert_eq!(t.league(rank), league, "rank {rank:?}");
        }
    }

    #[test]
    fn names_parse_back_in_any_case_and_garbage_does_not() {
        for league in League::ALL {
            assert_eq!(League::parse(league.name()), Some(league));
            assert_eq!(
                League::parse(&league.role_name().to_uppercase()),
                Some(league)
            );
        }
        for garbage in ["", "ranker", "gold!", "s_points", "  "] {
            assert_eq!(League::parse(garbage), None, "{garbage:?}");
        }
        assert_eq!(League::Gold.role_name(), "Gold");
        assert_eq!(League::Master.code(), 7);
    }
}
