//! What osu! answers, decoded: [`User`] and [`Score`] from the JSON of `/me/osu`,
//! `/users?ids[]=`, `/users/{id}/scores/best` and `/scores/{id}`, and the token endpoint's
//! answer.
//!
//! The decoders accept both shapes osu! serves: statistics under `statistics` (profile
//! endpoints) or `statistics_rulesets.osu` (batches), and scores in the new ("solo",
//! `x-api-version` ≥ 20220705) or legacy format. The country rank is an include that osu! adds
//! to `statistics` alone, so a batch has none. Optional things may be `null` or absent; required
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
    /// Only from the profile endpoints (`/me/osu`); `None` in a batch and for an unranked player.
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

impl User {
    /// Total pp as the league keeps it: rounded to a whole number.
    pub fn whole_pp(&self) -> u32 {
        self.pp.round().clamp(0.0, f64::from(u32::MAX)) as u32
    }
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
    /// The beatmap's maximum combo: sent by `/scores/{id}` (the `beatmap.max_combo` include),
    /// not in lists of best scores.
    pub map_max_combo: Option<u32>,
    /// Who set it, when the answer says (`/scores/{id}` always does).
    pub user: Option<ScoreUser>,
}

/// The player of a [`Score`], as a score carries them (no statistics).
#[derive(Clone, Debug, PartialEq)]
pub struct ScoreUser {
    pub id: u64,
    pub username: String,
    /// ISO 3166 alpha-2, e.g. `RU`; empty if osu! did not say.
    pub country_code: String,
    /// Empty if osu! did not say.
    pub avatar_url: String,
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

/// One score (`/scores/{id}`).
pub(crate) fn score(body: &[u8]) -> Result<Score, String> {
    decode::<WireScore>(body)?.into_score()
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
    /// Sent in `statistics` only: osu! never includes it in `statistics_rulesets`.
    country_rank: Option<u32>,
    play_time: Option<u64>,
}

impl WireUser {
    fn into_user(self) -> User {
        // `statistics` is the mode asked for (osu! standard: the client asks `/me/osu`) and the
        // only place with a country rank; `statistics_rulesets.osu` is always osu! standard.
        let country_rank = self.statistics.as_ref().and_then(|s| s.country_rank);
        let stats = self
            .statistics_rulesets
            .and_then(|r| r.osu)
            .or(self.statistics);
        let (pp, global_rank, play_time) = match stats {
            Some(s) => (s.pp.unwrap_or(0.0), s.global_rank, s.play_time.unwrap_or(0)),
            None => (0.0, None, 0),
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
    user: Option<WireScoreUser>,
}

#[derive(Deserialize)]
struct WireScoreUser {
    id: u64,
    username: String,
    country_code: Option<String>,
    avatar_url: Option<String>,
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
    max_combo: Option<u32>,
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
            map_max_combo: map.max_combo,
            user: self.user.map(|u| ScoreUser {
                id: u.id,
                username: u.username,
                country_code: u.country_code.unwrap_or_default(),
                avatar_url: u.avatar_url.unwrap_or_default(),
            }),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A `/me/osu` answer, trimmed, as osu-web sends it: the country rank (and its older copy
    /// `rank.country`) is in `statistics` only, never in `statistics_rulesets`.
    const ME: &str = r#"{
        "avatar_url": "https://a.ppy.sh/2?1.jpeg", "country_code": "RU", "id": 2,
        "username": "peppy", "is_restricted": true, "playmode": "osu",
        "country": {"code": "RU", "name": "Russian Federation"},
        "statistics": {"level": {"current": 50, "progress": 12}, "global_rank": 4321,
                       "pp": 1234.5, "ranked_score": 98765, "hit_accuracy": 97.5,
                       "play_count": 100, "play_time": 7200, "is_ranked": true,
                       "grade_counts": {"ss": 0, "ssh": 0, "s": 1, "sh": 0, "a": 2},
                       "country_rank": 50, "rank": {"country": 50}},
        "statistics_rulesets": {
            "osu": {"level": {"current": 50, "progress": 12}, "global_rank": 4321,
                    "pp": 1234.5, "play_time": 7200, "is_ranked": true},
            "taiko": {"level": {"current": 1, "progress": 0}, "global_rank": null, "pp": 0,
                      "play_time": 0, "is_ranked": false}}
    }"#;

    #[test]
    fn a_profile_reads_its_osu_standard_statistics() {
        let user = user(ME.as_bytes()).unwrap();
        assert_eq!(
            user,
            User {
                id: 2,
                username: "peppy".into(),
                pp: 1234.5,
                global_rank: Some(4321),
                country_rank: Some(50),
                country_code: "RU".into(),
                avatar_url: "https://a.ppy.sh/2?1.jpeg".into(),
                play_time: 7200,
                is_restricted: true,
            }
        );
        assert_eq!(user.whole_pp(), 1235);
    }

    #[test]
    fn batches_read_statistics_rulesets_and_tolerate_unranked_players() {
        let body = r#"{"users": [
            {"id": 1, "username": "ranked", "country_code": "DE", "avatar_url": "a",
             "statistics_rulesets": {"osu": {"pp": 99, "global_rank": 5, "play_time": 60}}},
            {"id": 2, "username": "inactive",
             "statistics_rulesets": {"osu": {"pp": 1234.5, "global_rank": null, "play_time": null}}},
            {"id": 3, "username": "taiko only", "statistics_rulesets": {"taiko": {"pp": 10}}},
            {"id": 4, "username": "bare"},
            {"id": 5, "username": "old shape",
             "statistics": {"pp": 7.5, "global_rank": 77, "country_rank": 3}}
        ]}"#;
        let users = users(body.as_bytes()).unwrap();
        let summary: Vec<_> = users
            .iter()
            .map(|u| {
                let ranks = (u.global_rank, u.country_rank);
                (u.id, u.pp, ranks, u.play_time, u.is_restricted)
            })
            .collect();
        assert_eq!(
            summary,
            [
                (1, 99.0, (Some(5), None), 60, false),
                (2, 1234.5, (None, None), 0, false),
                (3, 0.0, (None, None), 0, false),
                (4, 0.0, (None, None), 0, false),
                (5, 7.5, (Some(77), Some(3)), 0, false),
            ]
        );
        assert_eq!(users[3].country_code, "");
        assert!(self::users(br#"{"users": []}"#).unwrap().is_empty());
    }

    #[test]
    fn garbage_is_an_error_never_a_panic() {
        let html =
            "<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>nginx</body></html>";
        let cases: &[(&str, &str)] = &[
            ("", "empty body"),
            ("  \n", "empty body"),
            (html, "body starts \"<html>"),
            ("null", "unexpected JSON"),
            ("{}", "missing field `users`"),
            (r#"{"users": {"id": 1}}"#, "unexpected JSON"),
            (
                r#"{"users": [{"id": "1", "username": "x"}]}"#,
                "invalid type",
            ),
            (r#"{"users": [{"id": 1}]}"#, "missing field `username`"),
            (
                r#"{"users": [{"id": -1, "username": "x"}]}"#,
                "invalid value",
            ),
            (
                r#"{"users": [{"id": 1, "username": "x", "statistics_rulesets": {"osu": {"pp": "12"}}}]}"#,
                "invalid type",
            ),
            (
                r#"{"users": [{"id": 1, "username": "x", "statistics_rulesets": {"osu": {"global_rank": -3}}}]}"#,
                "invalid value",
            ),
            (r#"{"users": [{"id": 1, "username": "x""#, "EOF"),
            ("\u{feff}{\"users\": []}", "unexpected JSON"),
        ];
        for (body, expected) in cases {
            let error = users(body.as_bytes()).unwrap_err();
            assert!(error.contains(expected), "{body:?} gave {error:?}");
        }
        for body in [
            "",
            "[]",
            html,
            r#"{"id": 1}"#,
            r#"{"id": 1, "username": 5}"#,
            r#"{"id": 1, "username": "x", "statistics": {"country_rank": "50"}}"#,
            r#"{"id": 1, "username": "x", "statistics": {"country_rank": -1}}"#,
        ] {
            assert!(user(body.as_bytes()).is_err(), "{body:?}");
        }
        // A body that is not UTF-8 is reported, not sliced in the middle of a character.
        assert!(
            users(&[0xff, 0xfe, b'{', 0xc3])
                .unwrap_err()
                .contains("unexpected JSON")
        );
        assert!(users("Привет, это не JSON, а очень длинный текст".as_bytes()).is_err());
    }

    /// A score in the new format, as with `x-api-version: 20220705`.
    const SOLO: &str = r#"{
        "accuracy": 0.9876, "beatmap_id": 75, "ended_at": "2025-03-01T18:20:00Z", "id": 4000000001,
        "max_combo": 512, "mods": [{"acronym": "HD"}, {"acronym": "DT", "settings": {"speed_change": 1.5}}],
        "pp": 321.25, "rank": "SH", "total_score": 1234567, "statistics": {"great": 500, "ok": 3},
        "beatmap": {"id": 75, "beatmapset_id": 1, "difficulty_rating": 5.67, "status": "ranked",
                    "total_length": 142, "version": "Insane", "bpm": 180, "cs": 4, "ar": 9.4,
                    "accuracy": 8, "drain": 5.5},
        "beatmapset": {"id": 1, "artist": "Kenji Ninuma", "title": "DISCO PRINCE", "creator": "peppy",
                       "status": "ranked", "covers": {"list": "l.jpg", "list@2x": "l2.jpg"}}
    }"#;

    /// The same play in the legacy format (no `x-api-version`).
    const LEGACY: &str = r#"{
        "accuracy": 0.9876, "created_at": "2025-03-01T18:20:00Z", "id": 4000000001, "max_combo": 512,
        "mods": ["HD", "DT"], "pp": 321.25, "rank": "SH", "score": 1234567,
        "statistics": {"count_300": 500, "count_100": 3, "count_miss": 2},
        "beatmap": {"id": 75, "version": "Insane", "difficulty_rating": 5.67},
        "beatmapset": {"title": "DISCO PRINCE", "covers": {"list": "l.jpg"}}
    }"#;

    #[test]
    fn scores_read_both_formats() {
        let solo = scores(format!("[{SOLO}]").as_bytes()).unwrap();
        let score = &solo[0];
        assert_eq!(
            (score.id, score.pp, score.beatmap_id, score.beatmapset_id),
            (4_000_000_001, Some(321.25), 75, 1)
        );
        assert_eq!(
            (
                score.title.as_str(),
                score.artist.as_str(),
                score.version.as_str()
            ),
            ("DISCO PRINCE", "Kenji Ninuma", "Insane")
        );
        assert_eq!(score.mods, ["HD", "DT"]);
        assert_eq!((score.rank.as_str(), score.accuracy), ("SH", 0.9876));
        assert_eq!(score.created_at, "2025-03-01T18:20:00Z");
        assert_eq!(
            (score.total_score, score.misses, score.max_combo),
            (1_234_567, 0, 512)
        );
        assert_eq!(
            (score.stars, score.length, score.bpm),
            (5.67, 142, Some(180.0))
        );
        assert_eq!((score.od, score.hp), (Some(8.0), Some(5.5)));
        assert_eq!(score.cover_url.as_deref(), Some("l2.jpg"));

        let legacy = &scores(format!("[{LEGACY}]").as_bytes()).unwrap()[0];
        assert_eq!(
            (legacy.id, legacy.beatmap_id, legacy.title.as_str()),
            (score.id, 75, "DISCO PRINCE")
        );
        assert_eq!(legacy.mods, score.mods);
        assert_eq!(
            (legacy.created_at.as_str(), legacy.total_score),
            (score.created_at.as_str(), 1_234_567)
        );
        assert_eq!(
            (legacy.misses, legacy.bpm, legacy.artist.as_str()),
            (2, None, "")
        );
        assert_eq!(legacy.cover_url.as_deref(), Some("l.jpg"));
        assert!(scores(b"[]").unwrap().is_empty());
    }

    #[test]
    fn a_score_without_pp_has_none() {
        let loved = SOLO.replace(r#""pp": 321.25"#, r#""pp": null"#);
        assert_eq!(scores(format!("[{loved}]").as_bytes()).unwrap()[0].pp, None);
        let absent = SOLO.replace(r#""pp": 321.25,"#, "");
        assert_eq!(
            scores(format!("[{absent}]").as_bytes()).unwrap()[0].pp,
            None
        );
    }

    #[test]
    fn broken_scores_are_errors() {
        let broken = [
            SOLO.replace(r#""accuracy": 0.9876"#, r#""accuracy": "98%""#),
            SOLO.replace(r#""ended_at": "2025-03-01T18:20:00Z","#, ""),
            SOLO.replace(r#""title": "DISCO PRINCE""#, r#""title": null"#),
            SOLO.replace(
                r#""mods": [{"acronym": "HD"}"#,
                r#""mods": [{"name": "HD"}"#,
            ),
            SOLO.replace(r#""id": 75, "beatmapset_id""#, r#""beatmapset_id""#),
            SOLO.replace(r#""rank": "SH","#, ""),
        ];
        for body in &broken {
            assert!(scores(format!("[{body}]").as_bytes()).is_err(), "{body}");
        }
        // One bad score spoils the answer rather than vanishing from it.
        assert!(scores(format!("[{SOLO}, {}]", broken[0]).as_bytes()).is_err());
        for body in ["", "{}", r#"{"error": null}"#, "<html>502</html>", "[1, 2]"] {
            assert!(scores(body.as_bytes()).is_err(), "{body:?}");
        }
        let missing_date = scores(format!("[{}]", broken[1]).as_bytes()).unwrap_err();
        assert!(
            missing_date.contains("neither ended_at nor created_at"),
            "{missing_date}"
        );
    }

    /// A `/scores/{id}` answer, trimmed, as osu-web sends it with `x-api-version: 20220705`:
    /// a solo score with the includes `beatmap.max_combo`, `beatmap.user`, `beatmapset`,
    /// `rank_global` and the user card's (`country`, `cover`, `groups`, `team`).
    const SHOW: &str = r##"{
        "ranked": true, "preserve": true, "processed": true,
        "maximum_statistics": {"great": 603, "legacy_combo_increase": 97},
        "mods": [{"acronym": "HD"}, {"acronym": "DT", "settings": {"speed_change": 1.5}}],
        "statistics": {"ok": 3, "great": 598, "miss": 2},
        "beatmap_id": 75, "best_id": null, "id": 4000000001, "rank": "A", "type": "solo_score",
        "user_id": 2, "accuracy": 0.9876, "build_id": 7891, "ended_at": "2025-03-01T18:20:00Z",
        "has_replay": true, "is_perfect_combo": false, "legacy_perfect": false,
        "legacy_score_id": null, "legacy_total_score": 0, "max_combo": 512, "passed": true,
        "pp": 321.25, "ruleset_id": 0, "started_at": "2025-03-01T18:17:38Z",
        "total_score": 1234567, "replay": true,
        "current_user_attributes": {"pin": null},
        "beatmap": {"beatmapset_id": 1, "difficulty_rating": 5.67, "id": 75, "mode": "osu",
                    "status": "ranked", "total_length": 142, "user_id": 2, "version": "Insane",
                    "accuracy": 8, "ar": 9.4, "bpm": 180, "convert": false, "count_circles": 400,
                    "count_sliders": 150, "count_spinners": 1, "cs": 4, "deleted_at": null,
                    "drain": 5.5, "hit_length": 130, "is_scoreable": true,
                    "last_updated": "2014-05-18T17:22:13Z", "mode_int": 0, "passcount": 12345,
                    "playcount": 123456, "ranked": 1, "url": "https://osu.ppy.sh/beatmaps/75",
                    "checksum": "a5b99395a42bd55bc5eb1d2411cbdf8b", "max_combo": 600,
                    "user": {"avatar_url": "https://a.ppy.sh/2?1.jpeg", "country_code": "AU",
                             "default_group": "default", "id": 2, "is_active": true,
                             "is_bot": false, "is_deleted": false, "is_online": false,
                             "is_supporter": true, "last_visit": null,
                             "pm_friends_only": false, "profile_colour": "#3366FF",
                             "username": "peppy"}},
        "beatmapset": {"artist": "Kenji Ninuma", "artist_unicode": "Kenji Ninuma",
                       "covers": {"cover": "c.jpg", "list": "l.jpg", "list@2x": "l2.jpg"},
                       "creator": "peppy", "favourite_count": 1000, "id": 1, "nsfw": false,
                       "offset": 0, "play_count": 500000, "preview_url": "//b.ppy.sh/preview/1.mp3",
                       "source": "", "spotlight": false, "status": "ranked",
                       "title": "DISCO PRINCE", "title_unicode": "DISCO PRINCE",
                       "track_id": null, "user_id": 2, "video": false},
        "rank_global": 1234,
        "user": {"avatar_url": "https://a.ppy.sh/7?2.jpeg", "country_code": "RU",
                 "default_group": "default", "id": 7, "is_active": true, "is_bot": false,
                 "is_deleted": false, "is_online": true, "is_supporter": false,
                 "last_visit": "2025-03-01T18:25:00+00:00", "pm_friends_only": false,
                 "profile_colour": null, "username": "Ёжик",
                 "country": {"code": "RU", "name": "Russian Federation"},
                 "cover": {"custom_url": null, "url": "https://osu.ppy.sh/c3.jpg", "id": "3"},
                 "groups": [], "team": null}
    }"##;

    #[test]
    fn one_score_reads_its_map_combo_and_player() {
        let shown = score(SHOW.as_bytes()).unwrap();
        assert_eq!(
            (shown.id, shown.pp, shown.beatmap_id),
            (4_000_000_001, Some(321.25), 75)
        );
        assert_eq!((shown.rank.as_str(), shown.misses), ("A", 2));
        assert_eq!((shown.max_combo, shown.map_max_combo), (512, Some(600)));
        assert_eq!(shown.mods, ["HD", "DT"]);
        assert_eq!(
            shown.user,
            Some(ScoreUser {
                id: 7,
                username: "Ёжик".into(),
                country_code: "RU".into(),
                avatar_url: "https://a.ppy.sh/7?2.jpeg".into(),
            }),
            "the player, not the mapper of beatmap.user"
        );
        // Best scores have neither the map's combo nor always a user.
        let best = &scores(format!("[{SOLO}]").as_bytes()).unwrap()[0];
        assert_eq!((best.map_max_combo, &best.user), (None, &None));
        // A user without country or avatar is still a user.
        let bare = SHOW.replace(r#""country_code": "RU","#, "");
        assert_eq!(
            score(bare.as_bytes()).unwrap().user.unwrap().country_code,
            ""
        );
    }

    #[test]
    fn a_broken_score_is_an_error_never_a_panic() {
        let html = "<html>\r\n<head><title>502 Bad Gateway</title></head></html>";
        let broken = [
            String::new(),
            html.to_string(),
            "null".into(),
            "[]".into(),
            format!("[{SHOW}]"),
            r#"{"error": null}"#.into(),
            SHOW.replace(r#""id": 4000000001"#, r#""id": "4000000001""#),
            SHOW.replace(r#""max_combo": 600"#, r#""max_combo": -1"#),
            SHOW.replace(r#""username": "Ёжик""#, r#""username": null"#),
            SHOW.replace(r#""id": 7,"#, ""),
            SHOW.replace(r#""beatmapset": {"#, r#""beatmapset_gone": {"#),
            SHOW.replace(r#""ended_at": "2025-03-01T18:20:00Z","#, ""),
            SHOW[..SHOW.len() / 2].to_string(),
        ];
        for body in &broken {
            assert!(score(body.as_bytes()).is_err(), "{body}");
        }
        assert!(score(&[0xff, 0xfe, b'{']).is_err());
    }

    #[test]
    fn token_answers() {
        let ok = token(br#"{"token_type": "Bearer", "expires_in": 86400, "access_token": "abc"}"#)
            .unwrap();
        assert_eq!(
            (ok.access_token.as_str(), ok.expires_in),
            ("abc", Some(86_400))
        );
        assert_eq!(
            token(br#"{"access_token": "abc"}"#).unwrap().expires_in,
            None
        );
        for body in [
            "",
            r#"{"access_token": ""}"#,
            r#"{"access_token": 5}"#,
            r#"{"error": "invalid_grant"}"#,
            r#"{"access_token": "abc", "expires_in": -1}"#,
            "<!DOCTYPE html><html><body>Authorization failed</body></html>",
        ] {
            assert!(token(body.as_bytes()).is_err(), "{body:?}");
        }
    }
}
