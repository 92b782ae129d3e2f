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
