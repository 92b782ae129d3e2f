//! GD server answers (`stagehand::gd::wire`): every body is tried as a search answer and as a
//! download answer.
//!
//! Properties: neither parser panics; a body over the limit is `TooLarge`; every level read
//! keeps the invariants of `Level` (non-zero id, `rated` ⇔ stars, `platformer` ⇔ the length, a
//! demon face only on a demon; no separator in a name, but a `|` in a
//! download's); a search answer accounts for every record (read + broken); and
//! every level read, written back in the wire grammar, reads back equal, as a search answer and
//! as a download answer.

#![no_main]

use libfuzzer_sys::fuzz_target;
use stagehand::gd::wire::{self, DOWNLOAD_LIMIT, SEARCH_LIMIT};
use stagehand::gd::{Difficulty, Length, Level, Tier, WireError};

fuzz_target!(|body: &[u8]| {
    let search = wire::search(body);
    if body.len() > SEARCH_LIMIT {
        assert_eq!(search, Err(WireError::TooLarge(body.len())));
    }
    if let Ok(Some(found)) = &search {
        assert!(
            !found.levels.is_empty(),
            "an answer with no level is an error"
        );
        let text = String::from_utf8_lossy(body);
        let records = text
            .trim()
            .split('#')
            .next()
            .unwrap_or("")
            .split('|')
            .count();
        assert_eq!(
            found.levels.len() + found.broken,
            records,
            "every record is counted"
        );
        for level in &found.levels {
            check(level, true);
        }
    }
    let download = wire::download(body);
    if body.len() > DOWNLOAD_LIMIT {
        assert_eq!(download, Err(WireError::TooLarge(body.len())));
    }
    if let Ok(Some(level)) = &download {
        check(level, false);
    }
});

/// The invariants of one level, then its round trip through the wire grammar. A download has one
/// record, so its name may hold a `|` (which would split a search answer).
fn check(level: &Level, from_search: bool) {
    assert_ne!(level.id, 0);
    assert_eq!(level.rated, level.stars > 0);
    assert_eq!(level.platformer, level.length == Length::Platformer);
    let demon_face = matches!(
        level.difficulty,
        Difficulty::EasyDemon
            | Difficulty::MediumDemon
            | Difficulty::HardDemon
            | Difficulty::InsaneDemon
            | Difficulty::ExtremeDemon
    );
    assert!(!demon_face || level.demon, "{level:?}");
    assert!(
        !level.demon || demon_face || level.difficulty == Difficulty::Auto,
        "{level:?}"
    );
    for sep in [':', '|', '#'] {
        assert!(!level.creator.contains(sep), "{level:?}");
    }
    for sep in [':', '#'] {
        assert!(!level.name.contains(sep), "{level:?}");
    }
    assert!(!from_search || !level.name.contains('|'), "{level:?}");

    let record = encode(level);
    // The creator's player id is 6; a level without a creator points at no record.
    let creators = if level.creator.is_empty() {
        String::new()
    } else {
        format!("6:{}:0", level.creator)
    };
    let search = format!("{record}#{creators}#1~|~700~|~2~|~Song#1:0:10#0123456789abcdef");
    if !level.name.contains('|') {
        let expected = wire::Search {
            levels: vec![level.clone()],
            broken: 0,
        };
        assert_eq!(
            wire::search(search.as_bytes()),
            Ok(Some(expected)),
            "{search:?}"
        );
    }
    let download = format!("{record}#hash1#hash2#{creators}#");
    assert_eq!(
        wire::download(download.as_bytes()),
        Ok(Some(level.clone())),
        "{download:?}"
    );
}

/// A record that says exactly what `level` says, keys in the real server's order.
fn encode(level: &Level) -> String {
    let flag = |on: bool| if on { "1" } else { "" };
    let (auto, demon_tier, numerator) = match level.difficulty {
        Difficulty::Unrated => (false, 0, 0),
        Difficulty::Auto => (true, 0, 0),
        Difficulty::Easy => (false, 0, 10),
        Difficulty::Normal => (false, 0, 20),
        Difficulty::Hard => (false, 0, 30),
        Difficulty::Harder => (false, 0, 40),
        Difficulty::Insane => (false, 0, 50),
        Difficulty::EasyDemon => (false, 3, 0),
        Difficulty::MediumDemon => (false, 4, 0),
        Difficulty::HardDemon => (false, 0, 0),
        Difficulty::InsaneDemon => (false, 5, 0),
        Difficulty::ExtremeDemon => (false, 6, 0),
    };
    let (featured, epic) = match level.tier {
        Tier::None => (0, 0),
        Tier::Featured => (1, 0),
        Tier::Epic => (0, 1),
        Tier::Legendary => (0, 2),
        Tier::Mythic => (0, 3),
    };
    let length = match level.length {
        Length::Tiny => 0,
        Length::Short => 1,
        Length::Medium => 2,
        Length::Long => 3,
        Length::Xl => 4,
        Length::Platformer => 5,
    };
    let creator = if level.creator.is_empty() { 7 } else { 6 };
    format!(
        "1:{}:2:{}:5:1:6:{creator}:8:10:9:{numerator}:10:0:12:0:13:{}:14:0:17:{}:43:{demon_tier}:\
         25:{}:18:{}:19:{featured}:42:{epic}:45:0:3::15:{length}:30:{}:31:0:37:0:38:0:39:{}:46:0:\
         47:0:35:0",
        level.id,
        level.name,
        level.game_version,
        flag(level.demon),
        flag(auto),
        level.stars,
        level.copied_from,
        level.requested_stars,
    )
}
