//! What osu! answers, decoded: [`User`] and [`Score`] from the JSON of `/me/osu`,
//! `/users?ids[]=` and `/users/{id}/scores/best`, and the token endpoint's answer.
//!
//! The decoders accept both shapes osu! serves: statistics under `statistics` (profile
//! endpoints) or `statistics_rulesets.osu` (batches), and scores in the new ("solo",
//! `x-api-version` ≥ 20220705) or legacy format. Optional things may be `null` or absent; required
//! ones (ids, names, accuracy, …) missing or of the wrong type make the whole answer an error
//! (a detail for the logs), never a panic and never a silently wrong value.

use serde::Deserialize;
use serde::de::DeserializeOwned;

/// An osu! player with their osu! standard figures.
#[derive(Clone, Debug, PartialEq)]
pub struct User {
    pub id: u64,
    pub username: String,
    /// Total pp in osu! standard; 0 for a player who never played it.
    pub pp: f64,
    /// `None` for an inactive or never-ranked player.
    pub global_rank: Option<u32>,
    pub country_rank: Option<u32>,
    /// ISO 3166 alpha-2, e.g. `RU`; empty if osu! did not say.
    pub country_code: String,
    /// Empty if osu! did not say.
    pub avatar_url: String,
    /// Seconds played in osu! standard (the improvement indicator, osu-arena §7.5).
    pub play_time: u64,
    /// Only ever `true` on the player's own profile (`/me`); others never see restricted players.
    pub is_restricted: bool,
}

/// One of a player's best osu! standard scores, with the beatmap it was set on.
#[derive(Clone, Debug, PartialEq)]
pub struct Score {
    pub id: u64,
    /// `None` on maps that give no pp (loved, say).
    pub pp: Option<f64>,
    pub beatmap_id: u64,
    pub beatmapset_id: u64,
    pub artist: String,
    pub title: String,
    /// The difficulty name.
    pub version: String,
    /// The mapper.
    pub creator: String,
    /// Star rating of the difficulty (without mods).
    pub stars: f64,
    /// `ranked`, `loved`, … (the beatmap's status).
    pub status: String,
    /// 0.0..=1.0.
    pub accuracy: f64,
    /// Acronyms, e.g. `["HD", "DT"]`; empty for no mod.
    pub mods: Vec<String>,
    /// `XH`, `X`, `SH`, `S`, `A`, `B`, `C`, `D` or `F`.
    pub rank: String,
    /// When the play ended, RFC 3339 (`ended_at`, or `created_at` in the legacy format).
    pub created_at: String,
    pub max_combo: u32,
    /// `total_score` (or the legacy `score`).
    pub total_score: u64,
    pub misses: u32,
    /// Seconds.
    pub length: u32,
    pub bpm: Option<f64>,
    pub cs: Option<f64>,
    pub ar: Option<f64>,
    /// Overall difficulty (osu! calls it the beatmap's `accuracy`).
    pub od: Option<f64>,
    /// HP drain.
    pub hp: Option<f64>,
    /// The beatmapset's small cover (`list@2x`, else `list`), for thumbnails.
    pub cover_url: Option<String>,
}

/// An access token and how long it lasts.
pub(crate) struct Token {
    pub(crate) access_token: String,
    pub(crate) expires_in: Option<u64>,
}

pub(crate) fn user(body: &[u8]) -> Result<User, String> {
    decode::<WireUser>(body).map(WireUser::into_user)
}

/// `{"users": [...]}`.
pub(crate) fn users(body: &[u8]) -> Result<Vec<User>, String> {
    #[derive(Deserialize)]
    struct Batch {
        users: Vec<WireUser>,
    }
    let batch: Batch = decode(body)?;
    Ok(batch.users.into_iter().map(WireUser::into_user).collect())
}

pub(crate) fn scores(body: &[u8]) -> Result<Vec<Score>, String> {
    let scores: Vec<WireScore> = decode(body)?;
    scores.into_iter().map(WireScore::into_score).collect()
}

pub(crate) fn token(body: &[u8]) -> Result<Token, String> {
    #[derive(Deserialize)]
    struct WireToken {
        access_token: String,
        expires_in: Option<u64>,
    }
    let token: WireToken = decode(body)?;
    if token.access_token.is_empty() {
        return Err("empty access_token".into());
    }
    Ok(Token {
        access_token: token.access_token,
        expires_in: token.expires_in,
    })
}

fn decode<T: DeserializeOwned>(body: &[u8]) -> Result<T, String> {
    serde_json::from_slice(body).map_err(|e| {
        if body.trim_ascii().is_empty() {
            "empty body".to_string()
        } else {
            let start = String::from_utf8_lossy(&body[..body.len().min(40)]);
            format!("unexpected JSON ({e}); the body starts {start:?}")
        }
    })
}

#[derive(Deserialize)]
struct WireUser {
    id: u64,
    username: String,
    country_code: Option<String>,
    avatar_url: Option<String>,
    is_restricted: Option<bool>,
    statistics: Option<WireStatistics>,
    statistics_rulesets: Option<WireRulesets>,
}

#[derive(Deserialize)]
struct WireRulesets {
    osu: Option<WireStatistics>,
}

#[derive(Deserialize)]
struct WireStatistics {
    pp: Option<f64>,
    global_rank: Option<u32>,
    country_rank: Option<u32>,
    play_time: Option<u64>,
}

impl WireUser {
    fn into_user(self) -> User {
        // `statistics_rulesets.osu` is always osu! standard; `statistics` is the mode asked for.
        let stats = self
            .statistics_rulesets
            .and_then(|r| r.osu)
            .or(self.statistics);
        let (pp, global_rank, country_rank, play_time) = match stats {
            Some(s) => (
                s.pp.unwrap_or(0.0),
                s.global_rank,
                s.country_rank,
                s.play_time.unwrap_or(0),
            ),
            None => (0.0, None, None, 0),
        };
        User {
            id: self.id,
            username: self.username,
            pp,
            global_rank,
            country_rank,
            country_code: self.country_code.unwrap_or_default(),
            avatar_url: self.avatar_url.unwrap_or_default(),
            play_time,
            is_restricted: self.is_restricted.unwrap_or(false),
        }
    }
}

#[derive(Deserialize)]
struct WireScore {
    id: u64,
    pp: Option<f64>,
    accuracy: f64,
    rank: String,
    #[serde(default)]
    mods: Vec<WireMod>,
    ended_at: Option<String>,
    created_at: Option<String>,
    max_combo: Option<u32>,
    total_score: Option<u64>,
    score: Option<u64>,
    statistics: Option<WireHits>,
    beatmap_id: Option<u64>,
    beatmap: WireBeatmap,
    beatmapset: WireBeatmapset,
}

/// New format `{"acronym": "HD", "settings": …}`, legacy format `"HD"`.
#[derive(Deserialize)]
#[serde(untagged)]
enum WireMod {
    Acronym(String),
    Object { acronym: String },
}

/// New format `miss` (absent when zero), legacy `count_miss`.
#[derive(Deserialize)]
struct WireHits {
    miss: Option<u32>,
    count_miss: Option<u32>,
}

#[derive(Deserialize)]
struct WireBeatmap {
    id: u64,
    version: String,
    beatmapset_id: Option<u64>,
    difficulty_rating: Option<f64>,
    status: Option<String>,
    total_length: Option<u32>,
    bpm: Option<f64>,
    cs: Option<f64>,
    ar: Option<f64>,
    accuracy: Option<f64>,
    drain: Option<f64>,
}

#[derive(Deserialize)]
struct WireBeatmapset {
    id: Option<u64>,
    title: String,
    artist: Option<String>,
    creator: Option<String>,
    status: Option<String>,
    covers: Option<WireCovers>,
}

#[derive(Deserialize)]
struct WireCovers {
    #[serde(rename = "list@2x")]
    list_2x: Option<String>,
    list: Option<String>,
}

impl WireScore {
    fn into_score(self) -> Result<Score, String> {
        let Some(created_at) = self.ended_at.or(self.created_at) else {
            return Err(format!(
                "score {} has neither ended_at nor created_at",
                self.id
            ));
        };
        let map = self.beatmap;
        let set = self.beatmapset;
        Ok(Score {
            id: self.id,
            pp: self.pp,
            beatmap_id: self.beatmap_id.unwrap_or(map.id),
            beatmapset_id: map.beatmapset_id.or(set.id).unwrap_or(0),
            artist: set.artist.unwrap_or_default(),
            title: set.title,
            version: map.version,
            creator: set.creator.unwrap_or_default(),
            stars: map.difficulty_rating.unwrap_or(0.0),
            status: map.status.or(set.status).unwrap_or_default(),
            accuracy: self.accuracy,
            mods: self
                .mods
                .into_iter()
                .map(|m| match m {
                    WireMod::Acronym(a) | WireMod::Object { acronym: a } => a,
                })
                .collect(),
            rank: self.rank,
            created_at,
            max_combo: self.max_combo.unwrap_or(0),
            total_score: self.total_score.or(self.score).unwrap_or(0),
            misses: self
                .statistics
                .and_then(|s| s.miss.or(s.count_miss))
                .unwrap_or(0),
            length: map.total_length.unwrap_or(0),
            bpm: map.bpm,
            cs: map.cs,
            ar: map.ar,
            od: map.accuracy,
            hp: map.drain,
            cover_url: set.covers.and_then(|c| c.list_2x.or(c.list)),
        })
    }
}
