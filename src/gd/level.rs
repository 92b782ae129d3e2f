//! A level as the request desk sees it: the few fields its checks and messages use.

/// One level, read from a search or download answer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Level {
    /// Key 1.
    pub id: u64,
    /// Key 2, as sent (GD names are plain text; no decoding).
    pub name: String,
    /// The creator's name, joined through key 6; empty when the server sent no creator record
    /// (a deleted account).
    pub creator: String,
    /// Key 18: stars, or moons for a platformer; 0 when unrated.
    pub stars: u32,
    /// Key 39: what the creator asked for; 0 for none.
    pub requested_stars: u32,
    /// Key 17.
    pub demon: bool,
    /// Key 15 = 5.
    pub platformer: bool,
    /// Stars > 0.
    pub rated: bool,
    /// Keys 19 and 42.
    pub tier: Tier,
    /// Key 15.
    pub length: Length,
    /// The face: keys 25 (auto), 17 (demon), 43 (demon tier) and 9 (numerator).
    pub difficulty: Difficulty,
    /// Key 13: the game version it was uploaded with, as sent (21 is 2.1); 0 when absent.
    pub game_version: u32,
    /// Key 30: the level it was copied from; 0 when it is not a copy (or absent).
    pub copied_from: u64,
}

/// The difficulty face a level shows.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub enum Difficulty {
    Unrated,
    Auto,
    Easy,
    Normal,
    Hard,
    Harder,
    Insane,
    EasyDemon,
    MediumDemon,
    HardDemon,
    InsaneDemon,
    ExtremeDemon,
}

impl Difficulty {
    /// From the wire: auto first, then the demon flag with its tier (key 43, ignored on
    /// non-demons), then the numerator of key 9.
    pub fn from_codes(auto: bool, demon: bool, demon_tier: u64, numerator: u64) -> Difficulty {
        match (auto, demon, demon_tier, numerator) {
            (true, ..) => Difficulty::Auto,
            (false, true, 3, _) => Difficulty::EasyDemon,
            (false, true, 4, _) => Difficulty::MediumDemon,
            (false, true, 5, _) => Difficulty::InsaneDemon,
            (false, true, 6, _) => Difficulty::ExtremeDemon,
            (false, true, ..) => Difficulty::HardDemon,
            (false, false, _, 10) => Difficulty::Easy,
            (false, false, _, 20) => Difficulty::Normal,
            (false, false, _, 30) => Difficulty::Hard,
            (false, false, _, 40) => Difficulty::Harder,
            (false, false, _, 50) => Difficulty::Insane,
            _ => Difficulty::Unrated,
        }
    }

    /// The name the widgets show (`Insane Demon`).
    pub fn name(self) -> &'static str {
        match self {
            Difficulty::Unrated => "Unrated",
            Difficulty::Auto => "Auto",
            Difficulty::Easy => "Easy",
            Difficulty::Normal => "Normal",
            Difficulty::Hard => "Hard",
            Difficulty::Harder => "Harder",
            Difficulty::Insane => "Insane",
            Difficulty::EasyDemon => "Easy Demon",
            Difficulty::MediumDemon => "Medium Demon",
            Difficulty::HardDemon => "Hard Demon",
            Difficulty::InsaneDemon => "Insane Demon",
            Difficulty::ExtremeDemon => "Extreme Demon",
        }
    }
}

/// The game version as players write it (gd-requestbot §13.1): up to 7 is `1.(n−1)`, 10 is
/// `1.7`, otherwise `n / 10` with one decimal (21 → `2.1`); `-` when unknown.
pub fn game_version_name(code: u32) -> String {
    match code {
        0 => "-".into(),
        1..=7 => format!("1.{}", code - 1),
        10 => "1.7".into(),
        _ => format!("{}.{}", code / 10, code % 10),
    }
}

impl Level {
    /// A classic (not platformer) level.
    pub fn classic(&self) -> bool {
        !self.platformer
    }
}

/// How far above a plain rating a level was placed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Tier {
    /// Not featured (rated or not).
    None,
    Featured,
    Epic,
    Legendary,
    Mythic,
}

/// Key 15.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Length {
    Tiny,
    Short,
    Medium,
    Long,
    Xl,
    Platformer,
}

impl Length {
    /// The wire code: 0 tiny … 4 XL, 5 platformer.
    pub fn from_code(code: u64) -> Option<Length> {
        Some(match code {
            0 => Length::Tiny,
            1 => Length::Short,
            2 => Length::Medium,
            3 => Length::Long,
            4 => Length::Xl,
            5 => Length::Platformer,
            _ => return None,
        })
    }
}

impl Tier {
    /// From the feature score (key 19) and the epic tier (key 42); `None` for an unknown tier.
    pub fn from_codes(feature_score: u64, epic: u64) -> Option<Tier> {
        Some(match epic {
            0 if feature_score > 0 => Tier::Featured,
            0 => Tier::None,
            1 => Tier::Epic,
            2 => Tier::Legendary,
            3 => Tier::Mythic,
            _ => return None,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn difficulty_faces_follow_the_wire_rules() {
        let cases = [
            ((true, true, 6, 50), Difficulty::Auto),
            ((false, true, 3, 10), Difficulty::EasyDemon),
            ((false, true, 4, 0), Difficulty::MediumDemon),
            ((false, true, 0, 50), Difficulty::HardDemon),
            ((false, true, 9, 0), Difficulty::HardDemon),
            ((false, true, 5, 0), Difficulty::InsaneDemon),
            ((false, true, 6, 0), Difficulty::ExtremeDemon),
            ((false, false, 6, 30), Difficulty::Hard),
            ((false, false, 0, 10), Difficulty::Easy),
            ((false, false, 0, 20), Difficulty::Normal),
            ((false, false, 0, 40), Difficulty::Harder),
            ((false, false, 0, 50), Difficulty::Insane),
            ((false, false, 0, 0), Difficulty::Unrated),
            ((false, false, 0, 35), Difficulty::Unrated),
        ];
        for ((auto, demon, tier, numerator), face) in cases {
            assert_eq!(
                Difficulty::from_codes(auto, demon, tier, numerator),
                face,
                "{auto} {demon} {tier} {numerator}"
            );
        }
    }

    #[test]
    fn game_versions_read_as_players_write_them() {
        for (code, name) in [
            (0, "-"),
            (1, "1.0"),
            (7, "1.6"),
            (10, "1.7"),
            (18, "1.8"),
            (21, "2.1"),
            (22, "2.2"),
        ] {
            assert_eq!(game_version_name(code), name, "{code}");
        }
    }
}
