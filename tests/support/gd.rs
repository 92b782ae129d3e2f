//! A fake Geometry Dash server on loopback: `getGJLevels21.php` and `downloadGJLevel22.php`,
//! answering byte for byte in the shapes of `shared/spec/gd-wire-format.md`.
//!
//! What it reproduces:
//!
//! - **Cloudflare in front.** A request with a non-empty `User-Agent` is refused with 403 and the
//!   body `error code: 1020`, before anything else is looked at.
//! - **Refusals as `-1`.** A wrong or missing `secret`, a GET instead of a form POST, an unknown
//!   search type, a malformed `str` or `levelID`, and "nothing found" all answer HTTP 200 with the
//!   body `-1`.
//! - **Searches.** `type=10` (and `type=19`, 10 per `page`) with `str=<id>,<id>,…`: found levels
//!   in *descending* id order (neither request nor creator order), missing ids simply absent;
//!   then `#creators` (`playerID:username:accountID`, `|`-separated, ascending player id, each
//!   once) `#songs` (`~|~` fields, `~:~`-separated, ascending id, custom songs only)
//!   `#total:offset:amount#hash`.
//! - **Records.** Keys out of numeric order (1, 2, 5, 6, 8, 9, 10, 12, 13, 14, 17, 43, 25, 18, 19,
//!   42, 45, 3, 15, 30, 31, 37, 38, 39, 46, 47, 35, as the real server sends them); false demon
//!   (17) and auto (25) flags as empty strings; key 3 as stored (URL-safe base64, possibly empty
//!   or invalid); key 43 as stored even on non-demons.
//! - **Downloads.** `levelID=<id>`: the full record (with level data in key 4) `#hash1#hash2`,
//!   plus `#creators#songs#extraArtists` when `binaryVersion` ≥ 42, the creators section empty
//!   (the real server fills it only for the daily, weekly and event levels). Daily, weekly and
//!   event ids (−1, −2, −3) are not modelled and answer `-1`.
//! - **Faults.** [`FakeGd::fail_next`] queues a [`Failure`] for the next request (any endpoint),
//!   [`FakeGd::outage`] gives one to every request until it is lifted; every request is recorded ([`FakeGd::requests`], [`FakeGd::calls`]).
//!
//! The hashes are 40 hex digits like the real ones but not the real SHA-1: a client must not
//! check them. Like the osu! fake, the server runs on its own thread and runtime.

use std::collections::{BTreeMap, VecDeque};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::header::{CONTENT_TYPE, HeaderValue};
use hyper::{Method, Request, Response, StatusCode};
use sha2::{Digest, Sha256};

/// The common secret every request must carry.
pub const SECRET: &str = "Wmfd2893gb7";
/// From this `binaryVersion` on, downloads end with creators, songs and extra-artists sections;
/// the creators section is empty but for the daily, weekly and event levels (not modelled).
pub const EXTENDED_DOWNLOAD_BINARY_VERSION: u32 = 42;

/// Difficulty face numerators (key 9) for non-demon, non-auto levels.
pub mod face {
    /// N/A: no face; the denominator (key 8) is 0 too.
    pub const NA: u8 = 0;
    pub const EASY: u8 = 10;
    pub const NORMAL: u8 = 20;
    pub const HARD: u8 = 30;
    pub const HARDER: u8 = 40;
    pub const INSANE: u8 = 50;
}

/// Demon tiers (key 43), meaningful only when the demon flag (key 17) is set.
pub mod demon {
    pub const EASY: u8 = 3;
    pub const MEDIUM: u8 = 4;
    pub const HARD: u8 = 0;
    pub const INSANE: u8 = 5;
    pub const EXTREME: u8 = 6;
}

/// A level as the server stores it; each field names the wire key it is sent as.
#[derive(Clone, Debug, PartialEq)]
pub struct Level {
    /// Key 1.
    pub id: u64,
    /// Key 2.
    pub name: String,
    /// Key 3, sent as is: URL-safe base64 (see [`encode_description`]), or empty, or junk.
    pub description: String,
    /// Key 6; joins the level to its creator record.
    pub creator_player_id: u64,
    /// The creator record's name. Empty: no creator record is sent (a deleted account).
    pub creator_name: String,
    /// The creator record's account id; 0 for an unregistered ("green") player.
    pub account_id: u64,
    /// Key 5.
    pub version: u32,
    /// Key 13: 1..=7 for 1.0..=1.6, 10 for 1.7, then 18, 19, 20, 21, 22.
    pub game_version: u32,
    /// Key 9 (see [`face`]); key 8 is 10 unless this is N/A on a non-demon, non-auto level.
    pub difficulty: u8,
    /// Key 17, sent as `1` or an empty string.
    pub demon: bool,
    /// Key 43 (see [`demon`]); sent as is, also on non-demons.
    pub demon_difficulty: u8,
    /// Key 25, sent as `1` or an empty string.
    pub auto: bool,
    /// Key 18: stars, or moons for a platformer; 0 = unrated.
    pub stars: u32,
    /// Key 39.
    pub requested_stars: u32,
    /// Key 19: featured when > 0.
    pub featured_score: u32,
    /// Key 42: 0 none, 1 epic, 2 legendary, 3 mythic.
    pub epic: u8,
    /// Key 15: 0 tiny, 1 short, 2 medium, 3 long, 4 XL, 5 platformer.
    pub length: u8,
    /// Key 12: the official song index, used when `song_id` is 0.
    pub official_song: u32,
    /// Key 35: the custom song, 0 for none. Its record comes from [`FakeGd::add_songs`]; a song
    /// the server does not know is missing from the songs section, as for removed songs.
    pub song_id: u64,
    /// Key 30: the level this is a copy of, 0 for none.
    pub copied_id: u64,
    /// Key 10.
    pub downloads: u64,
    /// Key 14; can be negative.
    pub likes: i64,
    /// Key 37.
    pub coins: u8,
    /// Key 38.
    pub verified_coins: bool,
    /// Key 31.
    pub two_player: bool,
    /// Key 45.
    pub objects: u32,
}

impl Default for Level {
    fn default() -> Level {
        Level {
            id: 0,
            name: String::new(),
            description: String::new(),
            creator_player_id: 0,
            creator_name: String::new(),
            account_id: 0,
            version: 1,
            game_version: 22,
            difficulty: face::NA,
            demon: false,
            demon_difficulty: 0,
            auto: false,
            stars: 0,
            requested_stars: 0,
            featured_score: 0,
            epic: 0,
            length: 1,
            official_song: 0,
            song_id: 0,
            copied_id: 0,
            downloads: 0,
            likes: 0,
            coins: 0,
            verified_coins: false,
            two_player: false,
            objects: 1_000,
        }
    }
}

/// A custom (Newgrounds) song.
#[derive(Clone, Debug, PartialEq)]
pub struct Song {
    pub id: u64,
    pub name: String,
    pub artist_id: u64,
    pub artist: String,
    /// Megabytes, e.g. `7.42`.
    pub size_mb: f64,
    pub url: String,
}

/// What the next request gets instead of its answer.
#[derive(Clone, Debug)]
pub enum Failure {
    /// This HTTP status. 429 comes with Cloudflare's `error code: 1015`, 5xx with Cloudflare's
    /// HTML error page, anything else with an empty body.
    Status(u16),
    /// HTTP 200 with exactly this body: `error code: 1015`, an HTML page, a truncated record, "".
    Body(String),
    /// Waits this long, then answers normally; for client timeouts.
    Hang(Duration),
}

/// One request as the fake saw it.
#[derive(Clone, Debug)]
pub struct GdRequest {
    pub method: String,
    pub path: String,
    /// `None` when no User-Agent header was sent.
    pub user_agent: Option<String>,
    pub form: Vec<(String, String)>,
}

impl GdRequest {
    /// The first form field called `name`.
    pub fn field(&self, name: &str) -> Option<&str> {
        self.form
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }
}

/// A running fake GD server. Stops when dropped.
pub struct FakeGd {
    state: Arc<Mutex<State>>,
    server: super::http::ServerThread,
}

#[derive(Default)]
struct State {
    levels: BTreeMap<u64, Level>,
    songs: BTreeMap<u64, Song>,
    failures: VecDeque<Failure>,
    /// While set, what every request gets ([`FakeGd::outage`]).
    down: Option<Failure>,
    log: Vec<GdRequest>,
}

impl FakeGd {
    /// Starts an empty server (no levels, no songs) on 127.0.0.1 and an ephemeral port.
    pub async fn start() -> FakeGd {
        let state = Arc::new(Mutex::new(State::default()));
        let server =
            super::http::ServerThread::start("fake-gd", state.clone(), |state, req| async move {
                handle(&state, req).await
            });
        FakeGd { state, server }
    }

    /// Starts a server holding [`fixtures::levels`] and [`fixtures::songs`].
    pub async fn with_fixtures() -> FakeGd {
        let gd = FakeGd::start().await;
        gd.add_levels(fixtures::levels());
        gd.add_songs(fixtures::songs());
        gd
    }

    /// `http://127.0.0.1:<port>`: stands for `https://www.boomlings.com`; endpoints are at
    /// `{base_url}/database/<endpoint>.php`.
    pub fn base_url(&self) -> String {
        format!("http://{}", self.server.addr())
    }

    fn state(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap()
    }

    /// Adds or replaces levels.
    pub fn add_levels(&self, levels: impl IntoIterator<Item = Level>) {
        let mut state = self.state();
        for level in levels {
            state.levels.insert(level.id, level);
        }
    }

    /// Adds or replaces songs.
    pub fn add_songs(&self, songs: impl IntoIterator<Item = Song>) {
        let mut state = self.state();
        for song in songs {
            state.songs.insert(song.id, song);
        }
    }

    pub fn level(&self, id: u64) -> Option<Level> {
        self.state().levels.get(&id).cloned()
    }

    /// What a download of level `id` answers today's client: a body to hand back for another
    /// id with [`Failure::Body`]. Panics if there is no such level.
    pub fn download_body(&self, id: u64) -> String {
        download_answer(&self.state(), id, u32::MAX)
            .unwrap_or_else(|| panic!("the fake GD server has no level {id}"))
    }

    /// Changes a level, e.g. rates it between two checks. Panics if there is no such level.
    pub fn update_level(&self, id: u64, change: impl FnOnce(&mut Level)) {
        change(
            self.state()
                .levels
                .get_mut(&id)
                .unwrap_or_else(|| panic!("the fake GD server has no level {id}")),
        );
    }

    /// Deletes a level: from now on it is missing from searches and downloads answer `-1`.
    pub fn remove_level(&self, id: u64) {
        self.state().levels.remove(&id);
    }

    /// The next request (any endpoint) gets `failure`; queued failures apply in order, one per
    /// request. A request refused for its User-Agent does not use one up.
    pub fn fail_next(&self, failure: Failure) {
        self.state().failures.push_back(failure);
    }

    /// An outage: from now on, until `None`, every request (any endpoint) gets `failure`.
    /// Failures queued with [`FakeGd::fail_next`] come first.
    pub fn outage(&self, failure: Option<Failure>) {
        self.state().down = failure;
    }

    /// How many requests went to `endpoint` (e.g. `getGJLevels21`), refused ones included.
    pub fn calls(&self, endpoint: &str) -> usize {
        let path = format!("/database/{endpoint}.php");
        self.state().log.iter().filter(|r| r.path == path).count()
    }

    /// Every request so far, oldest first.
    pub fn requests(&self) -> Vec<GdRequest> {
        self.state().log.clone()
    }
}

/// URL-safe base64 with padding, as GD stores descriptions.
pub fn encode_description(text: &str) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let mut out = String::new();
    for chunk in text.as_bytes().chunks(3) {
        let b = [
            chunk[0],
            *chunk.get(1).unwrap_or(&0),
            *chunk.get(2).unwrap_or(&0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(ALPHABET[(n >> (18 - 6 * i)) as usize & 63] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

type Answer = Response<Full<Bytes>>;

async fn handle(state: &Mutex<State>, req: Request<Incoming>) -> Answer {
    let (parts, body) = req.into_parts();
    let body = match body.collect().await {
        Ok(body) => body.to_bytes(),
        Err(_) => Bytes::new(),
    };
    let request = GdRequest {
        method: parts.method.to_string(),
        path: parts.uri.path().to_string(),
        user_agent: parts
            .headers
            .get("user-agent")
            .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned()),
        form: if parts.method == Method::POST {
            form_urlencoded::parse(&body).into_owned().collect()
        } else {
            Vec::new()
        },
    };
    let failure = {
        let mut state = state.lock().unwrap();
        state.log.push(request.clone());
        if request
            .user_agent
            .as_deref()
            .is_some_and(|ua| !ua.is_empty())
        {
            return answer(403, "text/plain; charset=UTF-8", "error code: 1020".into());
        }
        state.failures.pop_front().or_else(|| state.down.clone())
    };
    match failure {
        Some(Failure::Status(status)) => return failed(status),
        Some(Failure::Body(body)) => return answer(200, "text/html; charset=UTF-8", body),
        Some(Failure::Hang(duration)) => tokio::time::sleep(duration).await,
        None => {}
    }
    let state = state.lock().unwrap();
    let body = route(&state, &request);
    match body {
        Some(body) => answer(200, "text/html; charset=UTF-8", body),
        None => answer(
            404,
            "text/html; charset=iso-8859-1",
            "<!DOCTYPE HTML PUBLIC \"-//IETF//DTD HTML 2.0//EN\">\n<html><head>\n<title>404 Not Found</title>\n</head><body>\n<h1>Not Found</h1>\n</body></html>\n".into(),
        ),
    }
}

/// The body of a 200 answer, or `None` for a path that is not an endpoint (404).
fn route(state: &State, request: &GdRequest) -> Option<String> {
    let endpoint = request
        .path
        .strip_prefix("/database/")?
        .strip_suffix(".php")?;
    if !matches!(endpoint, "getGJLevels21" | "downloadGJLevel22") {
        return None;
    }
    let refused = || Some("-1".to_string());
    if request.method != "POST" || request.field("secret") != Some(SECRET) {
        return refused();
    }
    let body = if endpoint == "getGJLevels21" {
        search(state, request)
    } else {
        download(state, request)
    };
    body.or_else(refused)
}

fn search(state: &State, request: &GdRequest) -> Option<String> {
    let kind = request.field("type")?;
    if kind != "10" && kind != "19" {
        return None;
    }
    let ids: Vec<u64> = request
        .field("str")?
        .split(',')
        .map(|id| id.trim().parse().ok())
        .collect::<Option<_>>()?;
    let mut found: Vec<&Level> = ids.iter().filter_map(|id| state.levels.get(id)).collect();
    found.sort_by_key(|l| std::cmp::Reverse(l.id));
    found.dedup_by_key(|l| l.id);
    let total = found.len();
    let offset = if kind == "19" {
        let page: usize = request.field("page").unwrap_or("0").parse().ok()?;
        found = found.into_iter().skip(page * 10).take(10).collect();
        page * 10
    } else {
        0
    };
    if found.is_empty() {
        return None;
    }
    let levels: Vec<String> = found.iter().map(|l| search_record(l)).collect();
    let mut creators: BTreeMap<u64, String> = BTreeMap::new();
    for level in found.iter().filter(|l| !l.creator_name.is_empty()) {
        creators.insert(
            level.creator_player_id,
            format!(
                "{}:{}:{}",
                level.creator_player_id, level.creator_name, level.account_id
            ),
        );
    }
    let songs = songs_section(state, found.iter().map(|l| l.song_id));
    let hash = fake_hash(&levels.join("|"));
    Some(format!(
        "{}#{}#{}#{total}:{offset}:10#{hash}",
        levels.join("|"),
        creators.into_values().collect::<Vec<_>>().join("|"),
        songs,
    ))
}

fn download(state: &State, request: &GdRequest) -> Option<String> {
    let id: i64 = request.field("levelID")?.trim().parse().ok()?;
    let binary_version: u32 = request
        .field("binaryVersion")
        .and_then(|v| v.parse().ok())
        .unwrap_or(0);
    download_answer(state, u64::try_from(id).ok()?, binary_version)
}

/// The download of level `id` for a client of `binary_version`; `None` when there is none.
fn download_answer(state: &State, id: u64, binary_version: u32) -> Option<String> {
    let level = state.levels.get(&id)?;
    let record = download_record(level);
    let mut body = format!(
        "{record}#{}#{}",
        fake_hash(&record),
        fake_hash(&level.id.to_string())
    );
    if binary_version >= EXTENDED_DOWNLOAD_BINARY_VERSION {
        // An ordinary level's download names no creator.
        let songs = songs_section(state, [level.song_id].into_iter());
        body = format!("{body}##{songs}#");
    }
    Some(body)
}

fn flag(on: bool) -> &'static str {
    if on { "1" } else { "" }
}

/// Key 8: the difficulty denominator, 0 only for an N/A face.
fn denominator(level: &Level) -> u8 {
    if level.difficulty == face::NA && !level.demon && !level.auto {
        0
    } else {
        10
    }
}

/// The keys of a search record, in the real server's order.
const SEARCH_KEYS: [u8; 27] = [
    1, 2, 5, 6, 8, 9, 10, 12, 13, 14, 17, 43, 25, 18, 19, 42, 45, 3, 15, 30, 31, 37, 38, 39, 46,
    47, 35,
];

/// The keys of a download record, in the real server's order.
const DOWNLOAD_KEYS: [u8; 36] = [
    1, 2, 3, 4, 5, 6, 8, 9, 10, 12, 13, 14, 17, 43, 25, 18, 19, 42, 45, 15, 30, 31, 28, 29, 35, 36,
    37, 38, 39, 46, 47, 40, 57, 27, 52, 53,
];

/// One field's wire value.
fn value(level: &Level, key: u8) -> String {
    match key {
        1 => level.id.to_string(),
        2 => level.name.clone(),
        3 => level.description.clone(),
        4 => format!("H4sIAAAAAAAAC_fake-level-data-{}_AAAA", level.id),
        5 => level.version.to_string(),
        6 => level.creator_player_id.to_string(),
        8 => denominator(level).to_string(),
        9 => level.difficulty.to_string(),
        10 => level.downloads.to_string(),
        12 => level.official_song.to_string(),
        13 => level.game_version.to_string(),
        14 => level.likes.to_string(),
        15 => level.length.to_string(),
        17 => flag(level.demon).to_string(),
        18 => level.stars.to_string(),
        19 => level.featured_score.to_string(),
        25 => flag(level.auto).to_string(),
        27 => "Aw==".to_string(),
        28 => "3 years".to_string(),
        29 => "1 year".to_string(),
        30 => level.copied_id.to_string(),
        31 => u8::from(level.two_player).to_string(),
        35 => level.song_id.to_string(),
        36 => "0_0_0_0_0_0_0_0_0_0_0_0".to_string(),
        37 => level.coins.to_string(),
        38 => u8::from(level.verified_coins).to_string(),
        39 => level.requested_stars.to_string(),
        42 => level.epic.to_string(),
        43 => level.demon_difficulty.to_string(),
        45 => level.objects.to_string(),
        46 => (level.objects / 10).to_string(),
        47 => (level.objects / 20).to_string(),
        57 => (level.objects * 3).to_string(),
        // 40 low-detail mode, 52 and 53 song and sound-effect lists: unused, sent empty-ish.
        40 => "0".to_string(),
        _ => String::new(),
    }
}

fn record(level: &Level, keys: &[u8]) -> String {
    keys.iter()
        .map(|&key| format!("{key}:{}", value(level, key)))
        .collect::<Vec<_>>()
        .join(":")
}

fn search_record(level: &Level) -> String {
    record(level, &SEARCH_KEYS)
}

fn download_record(level: &Level) -> String {
    record(level, &DOWNLOAD_KEYS)
}

fn songs_section(state: &State, ids: impl Iterator<Item = u64>) -> String {
    let mut songs: BTreeMap<u64, &Song> = BTreeMap::new();
    for id in ids {
        if let Some(song) = state.songs.get(&id) {
            songs.insert(id, song);
        }
    }
    songs
        .values()
        .map(|s| {
            let url: String = form_urlencoded::byte_serialize(s.url.as_bytes()).collect();
            format!(
                "1~|~{}~|~2~|~{}~|~3~|~{}~|~4~|~{}~|~5~|~{:.2}~|~6~|~~|~10~|~{url}~|~7~|~~|~11~|~0~|~8~|~1",
                s.id, s.name, s.artist_id, s.artist, s.size_mb
            )
        })
        .collect::<Vec<_>>()
        .join("~:~")
}

/// 40 hex digits derived from `text`: the shape of GD's SHA-1 hashes, not their value.
fn fake_hash(text: &str) -> String {
    let digest = Sha256::digest(text.as_bytes());
    digest.iter().take(20).map(|b| format!("{b:02x}")).collect()
}

fn failed(status: u16) -> Answer {
    match status {
        429 => answer(429, "text/plain; charset=UTF-8", "error code: 1015".into()),
        500..=599 => answer(
            status,
            "text/html; charset=UTF-8",
            format!(
                "<!DOCTYPE html>\n<html lang=\"en-US\">\n<head><title>boomlings.com | {status}: Bad gateway</title></head>\n<body><div id=\"cf-error-details\"><h1>Bad gateway</h1><span>Error code {status}</span><p>Cloudflare Ray ID: 8f00000000000000</p></div></body>\n</html>\n"
            ),
        ),
        _ => answer(status, "text/html; charset=UTF-8", String::new()),
    }
}

fn answer(status: u16, content_type: &'static str, body: String) -> Answer {
    let mut answer = Response::new(Full::new(Bytes::from(body)));
    *answer.status_mut() = StatusCode::from_u16(status).unwrap();
    answer
        .headers_mut()
        .insert(CONTENT_TYPE, HeaderValue::from_static(content_type));
    answer
}

/// Synthetic levels, creators and songs, deterministic, covering every case a check must read.
pub mod fixtures {
    use super::{Level, Song, demon, encode_description, face};

    pub const UNRATED_NA: u64 = 91_000_101;
    /// Unrated, Hard face, 7 stars requested, Cyrillic name, custom song.
    pub const UNRATED_FACE: u64 = 91_000_102;
    /// Rated 3★, not featured; key 43 = 5 on this non-demon.
    pub const RATED: u64 = 91_000_103;
    pub const FEATURED: u64 = 91_000_104;
    pub const EPIC: u64 = 91_000_105;
    pub const LEGENDARY: u64 = 91_000_106;
    pub const MYTHIC: u64 = 91_000_107;
    /// Rated demons, in the order easy, medium, hard, insane, extreme.
    pub const DEMONS: [u64; 5] = [91_000_110, 91_000_111, 91_000_112, 91_000_113, 91_000_114];
    /// Auto, with key 9 = 50 to catch a parser that reads the face first.
    pub const AUTO: u64 = 91_000_120;
    pub const PLATFORMER_UNRATED: u64 = 91_000_130;
    /// A rated platformer: key 18 counts moons.
    pub const PLATFORMER_RATED: u64 = 91_000_131;
    /// Unrated, 1 star requested.
    pub const REQUESTED_ONE: u64 = 91_000_140;
    /// Unrated, 10 stars requested (a demon request), not a demon.
    pub const REQUESTED_TEN: u64 = 91_000_141;
    /// Rated 6★ after 8 were requested.
    pub const REQUESTED_RATED: u64 = 91_000_142;
    /// Odd names: `0`, twenty `A`s, doubled and trailing spaces, Cyrillic with digits, Japanese.
    pub const ODD_NAMES: [u64; 5] = [91_000_150, 91_000_151, 91_000_152, 91_000_153, 91_000_154];
    pub const EMPTY_DESCRIPTION: u64 = 91_000_160;
    pub const INVALID_DESCRIPTION: u64 = 91_000_161;
    /// A description whose encoding uses `-` and `_`: decodes only with the URL-safe alphabet.
    pub const URL_SAFE_DESCRIPTION: u64 = 91_000_162;
    /// A copy of [`UNRATED_NA`] made in 2.1.
    pub const COPY: u64 = 91_000_170;
    /// A 1.6 level with a small id.
    pub const OLD: u64 = 2_345;
    /// By an unregistered ("green") player: account id 0.
    pub const GREEN_CREATOR: u64 = 91_000_180;
    /// By a deleted account: no creator record at all.
    pub const NO_CREATOR: u64 = 91_000_181;
    /// Uses a custom song that is missing from the songs section.
    pub const MISSING_SONG: u64 = 91_000_182;
    /// Disliked: negative likes.
    pub const DISLIKED: u64 = 91_000_183;
    /// An id no fixture uses.
    pub const MISSING: u64 = 91_999_999;

    /// The description of [`URL_SAFE_DESCRIPTION`], before encoding.
    pub const URL_SAFE_TEXT: &str = "Is it >>> or ??? Привет";

    /// (player id, name, account id) of the creators; ids deliberately out of level order.
    const CREATORS: [(u64, &str, u64); 5] = [
        (5_000_003, "RobotTiles", 1_700_001),
        (4_100_200, "Мастер", 2_800_450),
        (90_000, "old guard", 71),
        (3, "a", 4),
        (12_345_678, "GreenUser", 0),
    ];

    /// Three custom songs: Latin, Cyrillic, and one with a URL that needs escaping.
    pub fn songs() -> Vec<Song> {
        vec![
            Song {
                id: 700_001,
                name: "Night Drive".into(),
                artist_id: 9_001,
                artist: "Synthwave Kid".into(),
                size_mb: 7.42,
                url: "https://audio.example.org/700001.mp3".into(),
            },
            Song {
                id: 650_000,
                name: "Лунный свет".into(),
                artist_id: 9_002,
                artist: "Ансамбль".into(),
                size_mb: 3.1,
                url: "https://audio.example.org/650000.mp3?x=1&y=2".into(),
            },
            Song {
                id: 800_123,
                name: "Loop 3".into(),
                artist_id: 9_003,
                artist: "tracker".into(),
                size_mb: 0.35,
                url: "https://audio.example.org/800123.mp3".into(),
            },
        ]
    }

    /// Every fixture level. Creators are five players picked by level id, whose ids are not in
    /// level order; songs are shared between levels.
    pub fn levels() -> Vec<Level> {
        let level = |id: u64, name: &str| {
            let (player, creator, account) = CREATORS[(id % 5) as usize];
            Level {
                id,
                name: name.to_string(),
                description: encode_description(&format!("Level {name}, enjoy!")),
                creator_player_id: player,
                creator_name: creator.to_string(),
                account_id: account,
                downloads: 1_000 + id % 50_000,
                likes: (id % 700) as i64,
                ..Level::default()
            }
        };
        let mut levels = vec![
            Level {
                demon_difficulty: 3,
                ..level(UNRATED_NA, "Quiet Room")
            },
            Level {
                difficulty: face::HARD,
                requested_stars: 7,
                song_id: 700_001,
                ..level(UNRATED_FACE, "Ночной город")
            },
            Level {
                demon_difficulty: 5,
                song_id: 650_000,
                ..rated(3, face::NORMAL, level(RATED, "Paper Kites"))
            },
            Level {
                featured_score: 1_200,
                coins: 3,
                verified_coins: true,
                ..rated(5, face::HARD, level(FEATURED, "Sunset Drive"))
            },
            Level {
                featured_score: 2_000,
                epic: 1,
                length: 3,
                ..rated(8, face::INSANE, level(EPIC, "Crystal Spire"))
            },
            Level {
                featured_score: 2_100,
                epic: 2,
                length: 4,
                song_id: 700_001,
                ..rated(9, face::INSANE, level(LEGENDARY, "Old Clock"))
            },
            Level {
                featured_score: 2_500,
                epic: 3,
                length: 4,
                ..rated(9, face::INSANE, level(MYTHIC, "Silent Storm"))
            },
        ];
        let tiers = [
            (demon::EASY, "Easy Gate", 0),
            (demon::MEDIUM, "Medium Gate", 1_500),
            (demon::HARD, "Hard Gate", 1_600),
            (demon::INSANE, "Insane Gate", 1_700),
            (demon::EXTREME, "Extreme Gate", 3_000),
        ];
        for (id, (tier, name, featured_score)) in DEMONS.into_iter().zip(tiers) {
            levels.push(Level {
                featured_score,
                length: 3,
                ..rated_demon(tier, level(id, name))
            });
        }
        levels.extend([
            Level {
                stars: 1,
                auto: true,
                difficulty: face::INSANE,
                length: 0,
                ..level(AUTO, "Auto Parade")
            },
            Level {
                length: 5,
                ..level(PLATFORMER_UNRATED, "Ledge Runner")
            },
            Level {
                length: 5,
                featured_score: 800,
                ..rated(4, face::HARD, level(PLATFORMER_RATED, "Moon Climb"))
            },
            Level {
                requested_stars: 1,
                ..level(REQUESTED_ONE, "Baby Steps")
            },
            Level {
                requested_stars: 10,
                difficulty: face::INSANE,
                ..level(REQUESTED_TEN, "Wannabe Demon")
            },
            Level {
                requested_stars: 8,
                ..rated(6, face::HARDER, level(REQUESTED_RATED, "Settled For Six"))
            },
            level(ODD_NAMES[0], "0"),
            level(ODD_NAMES[1], "AAAAAAAAAAAAAAAAAAAA"),
            level(ODD_NAMES[2], "two  spaces  "),
            level(ODD_NAMES[3], "Ёлка 22"),
            level(ODD_NAMES[4], "夜のステージ"),
            Level {
                description: String::new(),
                ..level(EMPTY_DESCRIPTION, "Silent Author")
            },
            Level {
                description: "@@not*base64@@".to_string(),
                ..level(INVALID_DESCRIPTION, "Broken Words")
            },
            Level {
                description: encode_description(URL_SAFE_TEXT),
                ..level(URL_SAFE_DESCRIPTION, "Safe Words")
            },
            Level {
                copied_id: UNRATED_NA,
                game_version: 21,
                ..level(COPY, "Quiet Room copy")
            },
            Level {
                game_version: 7,
                official_song: 4,
                ..rated(2, face::EASY, level(OLD, "Old Times"))
            },
            Level {
                creator_player_id: CREATORS[4].0,
                creator_name: CREATORS[4].1.to_string(),
                account_id: 0,
                ..level(GREEN_CREATOR, "Green Thumb")
            },
            Level {
                creator_player_id: 6_000_000,
                creator_name: String::new(),
                account_id: 0,
                ..level(NO_CREATOR, "Orphan")
            },
            Level {
                song_id: 123_456,
                ..level(MISSING_SONG, "Lost Song")
            },
            Level {
                likes: -42,
                song_id: 800_123,
                ..level(DISLIKED, "Hated One")
            },
        ]);
        levels
    }

    /// `level`, rated `stars` with this face.
    fn rated(stars: u32, difficulty: u8, level: Level) -> Level {
        Level {
            stars,
            difficulty,
            ..level
        }
    }

    /// `level`, rated as a 10-star demon of this tier.
    fn rated_demon(tier: u8, level: Level) -> Level {
        Level {
            stars: 10,
            difficulty: face::INSANE,
            demon: true,
            demon_difficulty: tier,
            ..level
        }
    }
}
