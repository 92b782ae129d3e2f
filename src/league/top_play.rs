//! New top plays (osu-arena §5.3, §10.2): when the sync finds that a player's #1 osu! standard
//! best score is another score than the one stored, [`record`] decides what it is worth and, in
//! the sync's own write transaction, awards the points, queues the announcement to the
//! `top_play` route and leaves the new score stored (by the caller, in the same transaction).
//! Storing the score is the "announced" mark: a play is never awarded twice, whatever fails or
//! restarts (the original awarded before announcing and clearing its flag, §17.14).
//!
//! - The first score ever stored for a player (at `/link`, or a player who had no score) is
//!   taken silently: no points, no announcement.
//! - Points = `points.top_play_multiplier` × (new pp − previous pp) ×
//!   `points.top_play_percent.<league>` / 100, in whole pp (both truncated, as the original
//!   stored them), computed in integers and truncated toward zero ([`points`]). Example: 300 →
//!   307 in Bronze (5 × 7 × 85 / 100 = 29.75) is 29.
//! - A new #1 worth less than the stored one (a deleted score, a pp rework) is stored silently:
//!   no points (never negative ones, §17.17) and no announcement, since that score is not a new
//!   play. A new #1 with the same whole pp is announced with 0 points.
//! - Off-season the points are universal only (`points::award`) and the announcement says so.
//! - The announcement is the score embed of §10.2 ([`announcement`]), built from `GET
//!   /scores/{id}` fetched before the transaction; when that failed, from what the sync knows
//!   (title and pp). Grades are plain text (`SS`, `S`, `A` …): Stagehand names no guild emoji.

use super::leagues::League;
use super::player::{Player, TopPlay};
use super::points::{self, Source};
use super::season;
use crate::audit::Actor;
use crate::i18n::{self, Catalogue, Lang};
use crate::osu::Score;
use crate::outbox::{Embed, Message, Pings};
use crate::params::{self, Param};
use crate::routes::{self, Route};
use crate::store::{Read, StoreError, Writer};

/// The embed's colour (the original's green).
pub const COLOUR: u32 = 0x2E_CC_71;

/// What [`record`] did with a player's #1 score.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Recorded {
    /// The same score as stored, or no score at all: nothing.
    Unchanged,
    /// The first score stored for the player: silent.
    First,
    /// A #1 worth less than the stored one: silent, no points.
    Lower,
    /// Announced, with these points (0 for a play with the same whole pp).
    Announced { points: i64 },
}

/// Top-play points for going from `previous_pp` to `new_pp` (whole pp): `multiplier` × gain ×
/// `percent` / 100, truncated toward zero; 0 when nothing was gained.
pub fn points(multiplier: u64, percent: u64, previous_pp: u32, new_pp: u32) -> i64 {
    let gain = i128::from(new_pp) - i128::from(previous_pp);
    if gain <= 0 {
        return 0;
    }
    // Each factor is below 2^64, the product below 2^128: no overflow, and the division of a
    // positive number truncates toward zero.
    let raw = i128::from(multiplier) * gain * i128::from(percent) / 100;
    i64::try_from(raw).unwrap_or(i64::MAX)
}

/// The parameter holding `league`'s percent of top-play points.
pub fn percent_param(league: League) -> Param {
    match league {
        League::Novice => Param::TopPlayPercentNovice,
        League::Bronze => Param::TopPlayPercentBronze,
        League::Silver => Param::TopPlayPercentSilver,
        League::Gold => Param::TopPlayPercentGold,
        League::Platinum => Param::TopPlayPercentPlatinum,
        League::Diamond => Param::TopPlayPercentDiamond,
        League::Elite => Param::TopPlayPercentElite,
        League::Master => Param::TopPlayPercentMaster,
    }
}

/// The points a player of `league` earns going from `previous_pp` to `new_pp`, with the
/// parameters as they are now.
pub fn points_for(
    r: &impl Read,
    league: League,
    previous_pp: u32,
    new_pp: u32,
) -> Result<i64, StoreError> {
    let multiplier = params::number(r, Param::TopPlayMultiplier)?;
    let percent = params::number(r, percent_param(league))?;
    Ok(points(multiplier, percent, previous_pp, new_pp))
}

/// Whether going from `previous` to `new` will be announced: another score, not the first, not
/// worth less. The sync fetches the score's details (`GET /scores/{id}`) only for these.
pub fn announces(previous: Option<&TopPlay>, new: Option<&TopPlay>) -> bool {
    match (previous, new) {
        (Some(previous), Some(new)) => previous.score_id != new.score_id && new.pp >= previous.pp,
        _ => false,
    }
}

/// In the caller's write transaction, after the caller stored `player` with its new top play:
/// when `previous` (the top play stored before) was another score, awards the points and
/// queues the announcement to the `top_play` route (see the module doc). `details` is the
/// score as `GET /scores/{id}` gave it, if that worked.
pub fn record(
    w: &mut Writer,
    texts: &Catalogue,
    player: &Player,
    previous: Option<&TopPlay>,
    details: Option<&Score>,
    now: i64,
) -> Result<Recorded, StoreError> {
    let Some(new) = player.top_play.as_ref() else {
        return Ok(Recorded::Unchanged);
    };
    let Some(previous) = previous else {
        tracing::debug!(player = player.discord_id, "first top play stored silently");
        return Ok(Recorded::First);
    };
    if previous.score_id == new.score_id {
        return Ok(Recorded::Unchanged);
    }
    if !announces(Some(previous), Some(new)) {
        tracing::info!(
            player = player.discord_id,
            previous = previous.pp,
            new = new.pp,
            "a lower #1 score is stored without points or announcement"
        );
        return Ok(Recorded::Lower);
    }
    let points = points_for(w, player.league, previous.pp, new.pp)?;
    if points != 0 {
        points::award(
            w,
            player.discord_id,
            points,
            Source::TopPlay,
            Actor::Bot,
            now,
        )?;
    }
    let off_season = season::current(w)?.is_none();
    let lang = i18n::preference(w, player.discord_id)?.unwrap_or(Lang::En);
    // The details must be of this score; anything else is ignored rather than shown.
    let details = details.filter(|s| s.id == new.score_id);
    let message = announcement(texts, lang, player, details, points, off_season);
    routes::push(w, Route::TopPlay, message, None)?;
    Ok(Recorded::Announced { points })
}

/// The announcement of `player`'s new top play (their stored `top_play`) worth `points`: a
/// line naming them, the off-season note when it applies, and the score embed.
pub fn announcement(
    texts: &Catalogue,
    lang: Lang,
    player: &Player,
    details: Option<&Score>,
    points: i64,
    off_season: bool,
) -> Message {
    let mention = format!("<@{}>", player.discord_id);
    let mut content = texts.render(
        lang,
        "league.top_play.announce",
        &[("member", &mention), ("points", &points.to_string())],
    );
    if off_season {
        content.push('\n');
        content.push_str(&texts.render(lang, "league.top_play.off_season", &[]));
    }
    Message {
        content,
        embeds: vec![embed(texts, lang, player, details)],
        pings: Pings::Users,
        ..Message::default()
    }
}

/// The score embed (§10.2). With `details` (`GET /scores/{id}`): the player line, the map, the
/// grade, mods, score, accuracy, date, pp, combo, misses and the map's figures. Without: the
/// title and pp the sync stored, linking to the score's page.
pub fn embed(texts: &Catalogue, lang: Lang, player: &Player, details: Option<&Score>) -> Embed {
    let header = texts.render(lang, "league.top_play.header", &[]);
    let Some(score) = details else {
        let (id, pp, title) = player
            .top_play
            .as_ref()
            .map_or((0, 0, ""), |t| (t.score_id, t.pp, t.title.as_str()));
        let link = format!("https://osu.ppy.sh/scores/{id}");
        return Embed {
            title: escape(title),
            description: format!(
                "{}\n__**{header}**__ · [{}]({link})\n**{pp}pp**",
                author_line(player, None),
                &link["https://".len()..],
            ),
            color: COLOUR,
            ..Embed::default()
        };
    };
    let map = format!("https://osu.ppy.sh/b/{}", score.beatmap_id);
    let mut title = if score.artist.is_empty() {
        score.title.clone()
    } else {
        format!("{} - {}", score.artist, score.title)
    };
    title.push_str(&format!(" [{}] [{:.2}★]", score.version, score.stars));
    let mods = if score.mods.is_empty() {
        "NM".to_string()
    } else {
        score.mods.concat()
    };
    let mut play = format!(
        "{} **+{}** {} **{:.2}%**",
        grade(&score.rank),
        escape(&mods),
        thousands(score.total_score),
        score.accuracy * 100.0
    );
    if let Ok(at) = score.created_at.parse::<jiff::Timestamp>() {
        play.push_str(&format!(" <t:{}:R>", at.as_second()));
    }
    let mut combo = format!(
        "**{:.2}pp** **{}x**",
        score.pp.unwrap_or(0.0),
        thousands(u64::from(score.max_combo))
    );
    if let Some(max) = score.map_max_combo {
        combo.push_str(&format!("/{}x", thousands(u64::from(max))));
    }
    combo.push_str(&format!(" {} ❌", score.misses));
    let mut figures = vec![format!("{}:{:02}", score.length / 60, score.length % 60)];
    for (label, value) in [
        ("BPM", score.bpm),
        ("CS", score.cs),
        ("AR", score.ar),
        ("OD", score.od),
        ("HP", score.hp),
    ] {
        if let Some(value) = value {
            figures.push(if label == "BPM" {
                format!("{} BPM", short(value))
            } else {
                format!("{label} {}", short(value))
            });
        }
    }
    let description = [
        author_line(player, score.user.as_ref()),
        format!("__**{header}**__ · [{}]({map})", &map["https://".len()..]),
        play,
        combo,
        figures.join(" · "),
    ]
    .join("\n");
    let status = capitalised(&score.status);
    Embed {
        title: escape(&title),
        description,
        color: COLOUR,
        footer: texts.render(
            lang,
            "league.top_play.footer",
            &[("creator", &score.creator), ("status", &status)],
        ),
        thumbnail: score.cover_url.clone(),
        ..Embed::default()
    }
}

/// "🇷🇺 [name: 12,345pp (#1,234 RU)](profile)": the player's flag, name, total pp and global
/// rank as the sync just stored them (a score carries no statistics).
fn author_line(player: &Player, user: Option<&crate::osu::ScoreUser>) -> String {
    let name = user.map_or(player.osu_username.as_str(), |u| u.username.as_str());
    let country = user.map_or("", |u| u.country_code.as_str());
    let rank = player
        .global_rank
        .map_or_else(|| "-".to_string(), |r| thousands(u64::from(r)));
    let mut stats = format!("#{rank}");
    if !country.is_empty() {
        stats.push(' ');
        stats.push_str(country);
    }
    format!(
        "{} [{}: {}pp ({stats})](https://osu.ppy.sh/u/{})",
        flag(country),
        escape(name),
        thousands(u64::from(player.pp)),
        player.osu_id
    )
}

/// A grade as text: `SS` and `S` (silver or gold alike), `A` … `D`; a failed play 💔, anything
/// else ❓.
pub fn grade(rank: &str) -> &'static str {
    match rank {
        "XH" | "X" => "**SS**",
        "SH" | "S" => "**S**",
        "A" => "**A**",
        "B" => "**B**",
        "C" => "**C**",
        "D" => "**D**",
        "F" => "💔",
        _ => "❓",
    }
}

/// A country's flag from its two-letter code (regional indicator symbols); 🏳️ otherwise.
pub fn flag(code: &str) -> String {
    let letters: Vec<char> = code.chars().collect();
    match letters.as_slice() {
        [a, b] if a.is_ascii_alphabetic() && b.is_ascii_alphabetic() => [a, b]
            .iter()
            .filter_map(|c| char::from_u32(0x1F1E6 + (c.to_ascii_uppercase() as u32 - 'A' as u32)))
            .collect(),
        _ => "🏳️".to_string(),
    }
}

/// `1234567` → `1,234,567`.
pub fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// Up to two decimals, without trailing zeros: `9.4`, `180`, `5.25`.
fn short(value: f64) -> String {
    let text = format!("{value:.2}");
    let text = text.trim_end_matches('0').trim_end_matches('.');
    text.to_string()
}

fn capitalised(word: &str) -> String {
    let mut chars = word.chars();
    chars.next().map_or_else(String::new, |first| {
        first.to_uppercase().chain(chars).collect()
    })
}

/// `text` with Discord's markdown characters escaped, so a name like `[Kite]` or `__x__` shows
/// as typed (and cannot close a link).
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if matches!(
            c,
            '\\' | '*' | '_' | '~' | '`' | '|' | '[' | ']' | '(' | ')' | '<' | '>' | '#'
        ) {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::league::player;
    use crate::outbox::Destination;
    use crate::store::Store;

    #[test]
    fn points_follow_the_spec_in_integers() {
        // §5.3's example: 300 → 307 in Bronze, 5 × 7 × 0.85 = 29.75 → 29.
        assert_eq!(points(5, 85, 300, 307), 29);
        // Truncation toward zero, not rounding: 5 × 1 × 96 / 100 = 4.8 → 4.
        assert_eq!(points(5, 96, 500, 501), 4);
        assert_eq!(points(5, 120, 1000, 1100), 600);
        assert_eq!(points(1, 80, 10, 11), 0, "0.8 → 0");
        // Nothing gained, or a lower #1 (§17.17): zero, never negative.
        assert_eq!(points(5, 100, 307, 307), 0);
        assert_eq!(points(5, 100, 307, 300), 0);
        assert_eq!(points(5, 100, u32::MAX, 0), 0);
        // The largest parameters and gain cannot overflow.
        let max = u64::from(u32::MAX);
        assert_eq!(
            points(max, max, 0, u32::MAX),
            i64::MAX,
            "saturates instead of wrapping"
        );
        assert_eq!(points(0, 100, 300, 400), 0);
    }

    #[test]
    fn each_league_has_its_percent() {
        let (_dir, store) = Store::temporary();
        let percents: Vec<i64> = League::ALL
            .iter()
            .map(|l| store.read(|r| points_for(r, *l, 0, 100)).unwrap())
            .collect();
        // Defaults: 5 × 100 pp × 80 … 120 %.
        assert_eq!(percents, [400, 425, 450, 480, 500, 525, 550, 600]);
    }

    fn sample_score() -> Score {
        Score {
            id: 4_000_000_001,
            pp: Some(321.257),
            beatmap_id: 75,
            beatmapset_id: 1,
            artist: "Kenji Ninuma".into(),
            title: "DISCO*PRINCE".into(),
            version: "Insane".into(),
            creator: "peppy".into(),
            stars: 5.666,
            status: "ranked".into(),
            accuracy: 0.9876,
            mods: vec!["HD".into(), "DT".into()],
            rank: "XH".into(),
            created_at: "2025-03-01T18:20:00Z".into(),
            max_combo: 1512,
            total_score: 1_234_567,
            misses: 2,
            length: 142,
            bpm: Some(180.0),
            cs: Some(4.0),
            ar: Some(9.4),
            od: Some(8.25),
            hp: None,
            cover_url: Some("https://assets.ppy.sh/l2.jpg".into()),
            map_max_combo: Some(1600),
            user: Some(crate::osu::ScoreUser {
                id: 70,
                username: "[Kite]_3".into(),
                country_code: "RU".into(),
                avatar_url: "https://a.ppy.sh/70".into(),
            }),
        }
    }

    fn sample_player() -> Player {
        let mut p = player::sample(7, 70, 12_345, League::Bronze);
        p.global_rank = Some(123_456);
        p.top_play = Some(TopPlay {
            score_id: 4_000_000_001,
            pp: 321,
            title: "DISCO*PRINCE".into(),
        });
        p
    }

    #[test]
    fn the_embed_shows_the_score_as_the_original_did() {
        let texts = Catalogue::defaults();
        let embed = embed(&texts, Lang::En, &sample_player(), Some(&sample_score()));
        assert_eq!(
            embed.title,
            r"Kenji Ninuma - DISCO\*PRINCE \[Insane\] \[5.67★\]"
        );
        let lines: Vec<&str> = embed.description.lines().collect();
        assert_eq!(
            lines,
            [
                r"🇷🇺 [\[Kite\]\_3: 12,345pp (#123,456 RU)](https://osu.ppy.sh/u/70)",
                "__**New Top Play**__ · [osu.ppy.sh/b/75](https://osu.ppy.sh/b/75)",
                "**SS** **+HDDT** 1,234,567 **98.76%** <t:1740853200:R>",
                "**321.26pp** **1,512x**/1,600x 2 ❌",
                "2:22 · 180 BPM · CS 4 · AR 9.4 · OD 8.25",
            ]
        );
        assert_eq!(embed.footer, "Mapset by peppy • Status: Ranked");
        assert_eq!(
            embed.thumbnail.as_deref(),
            Some("https://assets.ppy.sh/l2.jpg")
        );
        assert_eq!(embed.color, COLOUR);

        let ru = super::embed(&texts, Lang::Ru, &sample_player(), Some(&sample_score()));
        assert!(
            ru.description.contains("Новый топ-скор"),
            "{}",
            ru.description
        );

        // No mods, no map combo, no user, an unknown grade and date.
        let mut bare = sample_score();
        bare.mods.clear();
        bare.map_max_combo = None;
        bare.user = None;
        bare.rank = "?".into();
        bare.created_at = "yesterday".into();
        bare.artist.clear();
        let embed = super::embed(&texts, Lang::En, &sample_player(), Some(&bare));
        assert!(embed.title.starts_with(r"DISCO\*PRINCE \[Insane\]"));
        let lines: Vec<&str> = embed.description.lines().collect();
        assert_eq!(
            lines[0],
            "🏳️ [osu70: 12,345pp (#123,456)](https://osu.ppy.sh/u/70)"
        );
        assert_eq!(lines[2], "❓ **+NM** 1,234,567 **98.76%**");
        assert_eq!(lines[3], "**321.26pp** **1,512x** 2 ❌");
    }

    #[test]
    fn without_details_the_embed_shows_what_the_sync_knows() {
        let texts = Catalogue::defaults();
        let mut player = sample_player();
        player.global_rank = None;
        let embed = embed(&texts, Lang::En, &player, None);
        assert_eq!(embed.title, r"DISCO\*PRINCE");
        assert_eq!(
            embed.description,
            "🏳️ [osu70: 12,345pp (#-)](https://osu.ppy.sh/u/70)\n\
             __**New Top Play**__ · [osu.ppy.sh/scores/4000000001](https://osu.ppy.sh/scores/4000000001)\n\
             **321pp**"
        );
        assert!(crate::outbox::prepare(Message::embed(embed)).is_ok());
    }

    #[test]
    fn helpers() {
        assert_eq!(thousands(0), "0");
        assert_eq!(thousands(999), "999");
        assert_eq!(thousands(1000), "1,000");
        assert_eq!(thousands(1_234_567), "1,234,567");
        assert_eq!(flag("ru"), "🇷🇺");
        assert_eq!(flag("US"), "🇺🇸");
        for bad in ["", "R", "RUS", "1A", "ЁЖ"] {
            assert_eq!(flag(bad), "🏳️", "{bad:?}");
        }
        assert_eq!(grade("SH"), "**S**");
        assert_eq!(grade("F"), "💔");
        assert_eq!(short(180.0), "180");
        assert_eq!(short(9.40), "9.4");
        assert_eq!(capitalised("loved"), "Loved");
        assert_eq!(capitalised(""), "");
        assert_eq!(escape("a_b*[c](d)"), r"a\_b\*\[c\]\(d\)");
    }

    /// Ada (Bronze) linked with a top play of 300 pp.
    fn linked(store: &Store) -> Player {
        let mut ada = player::sample(7, 70, 5_000, League::Bronze);
        ada.top_play = Some(TopPlay {
            score_id: 1,
            pp: 300,
            title: "Old".into(),
        });
        store
            .write(|w| {
                player::link(w, &ada, 0).map_err(|e| StoreError::Storage(e.to_string()))?;
                // The top-play route points at channel 99.
                crate::outbox::route::set_default(w, Route::TopPlay, 99)
            })
            .unwrap();
        ada
    }

    /// Stores `new` as Ada's top play and records it, as the sync does, in one transaction.
    fn sync_to(store: &Store, new: Option<TopPlay>, details: Option<&Score>) -> Recorded {
        let texts = Catalogue::defaults();
        store
            .write(|w| {
                let mut p = player::get(w, 7)?.unwrap();
                let previous = p.top_play.clone();
                p.top_play = new.clone();
                player::update(w, &p)?;
                record(w, &texts, &p, previous.as_ref(), details, 10)
            })
            .unwrap()
    }

    fn top_play_posts(store: &Store) -> Vec<Message> {
        store
            .read(crate::outbox::queue::queued)
            .unwrap()
            .into_iter()
            .filter_map(|(_, queued)| match queued.effect {
                crate::outbox::Effect::Send {
                    to:
                        Destination::Route {
                            route: Route::TopPlay,
                            ..
                        },
                    message,
                    ..
                } => Some(message),
                _ => None,
            })
            .collect()
    }

    #[test]
    fn a_new_top_play_is_awarded_and_announced_once_in_the_same_transaction() {
        let (_dir, store) = Store::temporary();
        linked(&store);
        let new = TopPlay {
            score_id: 2,
            pp: 307,
            title: "New".into(),
        };
        // Off-season: universal points only, and the announcement says so.
        let got = sync_to(&store, Some(new.clone()), None);
        assert_eq!(got, Recorded::Announced { points: 29 });
        let ada = store.read(|r| player::get(r, 7)).unwrap().unwrap();
        assert_eq!((ada.points, ada.seasonal_points), (29, 0));
        assert_eq!(ada.top_play.as_ref(), Some(&new));
        let posts = top_play_posts(&store);
        assert_eq!(posts.len(), 1);
        assert_eq!(
            posts[0].content,
            "New Top Play from <@7>! Points earned: 29\n\
             ⚠ Off-season: these points do not count towards seasonal points."
        );
        assert_eq!(posts[0].pings, Pings::Users);
        // The same score again: nothing.
        assert_eq!(
            sync_to(&store, Some(new.clone()), None),
            Recorded::Unchanged
        );
        assert_eq!(top_play_posts(&store).len(), 1);
        let history = store.read(|r| points::history(r, 7)).unwrap();
        assert_eq!(history.len(), 1, "awarded once");
        assert_eq!(history[0].source, Source::TopPlay);

        // In season: both counters, no note; details of another score are not shown.
        store.write(|w| season::open(w, 5)).unwrap();
        let newer = TopPlay {
            score_id: 3,
            pp: 407,
            title: "Newer".into(),
        };
        let got = sync_to(&store, Some(newer), Some(&sample_score()));
        assert_eq!(got, Recorded::Announced { points: 425 });
        let ada = store.read(|r| player::get(r, 7)).unwrap().unwrap();
        assert_eq!((ada.points, ada.seasonal_points), (29 + 425, 425));
        let posts = top_play_posts(&store);
        assert_eq!(
            posts[1].content,
            "New Top Play from <@7>! Points earned: 425"
        );
        assert_eq!(
            posts[1].embeds[0].title, "Newer",
            "not the other score's details"
        );
    }

    #[test]
    fn first_and_lower_top_plays_are_silent() {
        let (_dir, store) = Store::temporary();
        linked(&store);
        store
            .write(|w| {
                let mut p = player::get(w, 7)?.unwrap();
                p.top_play = None;
                player::update(w, &p)
            })
            .unwrap();
        let first = TopPlay {
            score_id: 5,
            pp: 400,
            title: "First".into(),
        };
        assert_eq!(sync_to(&store, Some(first), None), Recorded::First);
        let lower = TopPlay {
            score_id: 6,
            pp: 399,
            title: "Lower".into(),
        };
        assert_eq!(sync_to(&store, Some(lower.clone()), None), Recorded::Lower);
        assert_eq!(sync_to(&store, None, None), Recorded::Unchanged);
        let ada = store.read(|r| player::get(r, 7)).unwrap().unwrap();
        assert_eq!(ada.points, 0);
        assert!(top_play_posts(&store).is_empty());
        assert!(store.read(|r| points::history(r, 7)).unwrap().is_empty());
        // Equal whole pp: announced, with no points and no history entry.
        sync_to(&store, Some(lower), None);
        let same = TopPlay {
            score_id: 7,
            pp: 399,
            title: "Same".into(),
        };
        assert_eq!(
            sync_to(&store, Some(same), None),
            Recorded::Announced { points: 0 }
        );
        assert_eq!(top_play_posts(&store).len(), 1);
        assert!(store.read(|r| points::history(r, 7)).unwrap().is_empty());
    }
}
