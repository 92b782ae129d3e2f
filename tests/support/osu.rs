//! A fake osu! API v2 on loopback: the OAuth authorization-code and client-credentials flows,
//! `/me`, `/users/{id}/{mode}`, `/users?ids[]=`, `/users/{id}/scores/best` and `/scores/{id}`,
//! answering with the JSON shapes, status codes and error bodies of the real osu-web.
//!
//! What it reproduces, and the choices it makes where the real API leaves room:
//!
//! - **OAuth.** `GET /oauth/authorize` redirects (302) to `redirect_uri?code=…&state=…` for the
//!   player chosen with [`FakeOsu::login_as`], or to `redirect_uri?error=access_denied&…&state=…`
//!   after [`FakeOsu::deny`]. An unknown client or a redirect URI that does not match the
//!   registered one gets an error page (400) and no redirect, as on osu.ppy.sh; so does an
//!   authorization before any `login_as` (401), where the real site would show its sign-in page.
//!   `POST /oauth/token` takes a form or JSON body with `client_id` and `client_secret` (HTTP Basic
//!   is not modelled) and the grants `authorization_code`, `refresh_token` and
//!   `client_credentials` (scope `public` only). Codes are single use. Errors are Laravel
//!   Passport's: `invalid_client` (401), `invalid_grant`, `invalid_request`, `invalid_scope`,
//!   `unsupported_grant_type` (400).
//! - **API.** Every `/api/v2/*` call needs `Authorization: Bearer <token>`; without a valid one the
//!   answer is 401 `{"authentication":"basic"}`. `/me` needs a user token with scope `identify`
//!   (and shows `is_restricted: true` to a restricted player); the other endpoints need `public`
//!   (403 otherwise). A restricted or unknown player is 404 `{"error":null}` to everyone else.
//!   A profile (`/me`, `/users/{id}/{mode}`) has `statistics` for its mode, `/me` and batches
//!   `statistics_rulesets`; the country rank is in a profile's `statistics` only, as osu-web's
//!   `country_rank` include.
//! - **Batches.** `/users?ids[]=…` keeps only the first 50 ids, silently, like osu-web's
//!   `array_slice($ids, 0, 50)`; unknown and restricted ids are missing from the answer, and the
//!   users come in ascending id order, never in request order.
//! - **Scores.** `/users/{id}/scores/best` sorts by pp, clamps `limit` to 1..=100 (default 5) and
//!   honours `offset`. With `x-api-version` ≥ 20220705 scores are in the new ("solo") format
//!   (`ended_at`, `mods: [{"acronym":…}]`, `total_score`); without it in the legacy format
//!   (`created_at`, `mods: ["HD"]`, `score`). `/scores/{id}` finds any player's best score by
//!   id (404 when there is none or its player is restricted) and adds what osu-web's
//!   `ScoresController::show` includes: `beatmap.max_combo`, `beatmap.user` (the mapper),
//!   `beatmapset`, `rank_global` and the player's card (`country`, `cover`, `groups`, `team`).
//! - **Limits and faults.** An optional token-bucket rate limit answers 429 with `Retry-After`;
//!   [`FakeOsu::fail_next`] makes the next matching request fail with a chosen status, and
//!   [`FakeOsu::outage`] every API and token request until it is lifted; every request is recorded ([`FakeOsu::requests`], [`FakeOsu::calls`]).
//!
//! The server runs on a thread of its own with its own runtime, so a test that blocks its thread
//! (waiting for the `stagehand` binary, say) never stalls the fake.

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Instant;

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::header::{CONTENT_TYPE, HeaderValue, LOCATION, RETRY_AFTER};
use hyper::{Method, Request, Response, StatusCode};
use serde_json::{Value, json};

/// The client every fake starts with; its redirect URI is not pinned (see [`OAuthClient`]).
pub const CLIENT_ID: u64 = 4242;
/// The secret of [`CLIENT_ID`].
pub const CLIENT_SECRET: &str = "fake-osu-client-secret";
/// Lifetime announced for every access token, in seconds (the real one is a day).
pub const TOKEN_LIFETIME_SECS: u64 = 86_400;
/// The most ids `/users?ids[]=` looks at; the rest are dropped without an error.
pub const MAX_BATCH_IDS: usize = 50;
/// The `x-api-version` from which scores come in the new ("solo") format.
pub const SOLO_SCORES_API_VERSION: u32 = 20_220_705;

/// An osu! player as the fake knows them. Other figures in the answers (play count, accuracy,
/// grade counts…) are derived deterministically from these.
#[derive(Clone, Debug, PartialEq)]
pub struct Player {
    pub id: u64,
    pub username: String,
    /// ISO 3166 alpha-2, e.g. `RU`.
    pub country: String,
    /// osu! standard global rank; `None` for an inactive or never-ranked player.
    pub global_rank: Option<u32>,
    pub pp: f64,
    /// Restricted players are 404 to others, but can still sign in and see themselves.
    pub restricted: bool,
    /// Seconds played (`statistics.play_time`), used by the improvement indicator.
    pub play_time: u64,
    /// Best scores in any order; answers sort them by pp.
    pub best_scores: Vec<Score>,
}

/// One best score with the beatmap it was set on.
#[derive(Clone, Debug, PartialEq)]
pub struct Score {
    pub id: u64,
    /// `None` for scores on maps that give no pp (loved), as the real API sends `null`.
    pub pp: Option<f64>,
    /// 0.0..=1.0.
    pub accuracy: f64,
    /// `XH`, `X`, `SH`, `S`, `A`, `B`, `C`, `D`.
    pub rank: String,
    /// Acronyms, e.g. `["HD", "DT"]`.
    pub mods: Vec<String>,
    /// RFC 3339 in UTC, e.g. `2025-03-01T18:20:00Z`.
    pub created_at: String,
    pub max_combo: u32,
    pub beatmap: Beatmap,
}

/// The beatmap (one difficulty) and its set, flattened.
#[derive(Clone, Debug, PartialEq)]
pub struct Beatmap {
    pub id: u64,
    pub beatmapset_id: u64,
    pub artist: String,
    pub title: String,
    /// The difficulty name.
    pub version: String,
    /// The mapper.
    pub creator: String,
    pub difficulty_rating: f64,
    /// Seconds.
    pub total_length: u32,
}

/// A registered OAuth application.
#[derive(Clone, Debug)]
pub struct OAuthClient {
    pub id: u64,
    pub secret: String,
    /// The registered callback. `None` accepts any absolute http(s) URI, for tests that learn
    /// Stagehand's port only after starting it; osu.ppy.sh always pins one.
    pub redirect_uri: Option<String>,
}

/// Token bucket: `burst` requests at once, refilled at `per_second`.
#[derive(Clone, Copy, Debug)]
pub struct RateLimit {
    pub per_second: f64,
    pub burst: u32,
}

/// One request as the fake saw it.
#[derive(Clone, Debug)]
pub struct Recorded {
    pub method: String,
    /// Path plus the percent-decoded query, e.g. `/api/v2/users?ids[]=1&ids[]=2`.
    pub target: String,
    pub status: u16,
}

/// A running fake osu! API. Stops when dropped.
pub struct FakeOsu {
    state: Arc<Mutex<State>>,
    server: super::http::ServerThread,
}

#[derive(Default)]
struct State {
    players: HashMap<u64, Player>,
    clients: HashMap<u64, OAuthClient>,
    /// Who "the browser" is signed in as at the authorize page, and whether they approve.
    consent: Option<Consent>,
    codes: HashMap<String, Grant>,
    tokens: HashMap<String, Grant>,
    refresh_tokens: HashMap<String, Grant>,
    issued: u64,
    bucket: Option<Bucket>,
    failures: VecDeque<(String, u16)>,
    /// While set, every call Stagehand makes answers this status ([`FakeOsu::outage`]).
    down: Option<u16>,
    log: Vec<Recorded>,
}

#[derive(Clone, Copy)]
enum Consent {
    Approve(u64),
    Deny,
}

/// What a code or token stands for.
#[derive(Clone, Debug)]
struct Grant {
    client_id: u64,
    /// `None` for a client-credentials token.
    player: Option<u64>,
    scopes: Vec<String>,
    /// Only for codes: the redirect URI the code was issued for.
    redirect_uri: String,
}

struct Bucket {
    limit: RateLimit,
    tokens: f64,
    last: Instant,
}

impl Bucket {
    /// Takes a token, or says how many whole seconds until one is there.
    fn take(&mut self, now: Instant) -> Result<u32, u64> {
        let refill = now.duration_since(self.last).as_secs_f64() * self.limit.per_second;
        self.tokens = (self.tokens + refill).min(f64::from(self.limit.burst));
        self.last = now;
        if self.tokens >= 1.0 {
            self.tokens -= 1.0;
            Ok(self.tokens as u32)
        } else {
            let wait = (1.0 - self.tokens) / self.limit.per_second;
            Err(wait.ceil().max(1.0) as u64)
        }
    }
}

impl FakeOsu {
    /// Starts an empty fake (no players) with the client [`CLIENT_ID`] / [`CLIENT_SECRET`] and
    /// no rate limit, on 127.0.0.1 and an ephemeral port.
    pub async fn start() -> FakeOsu {
        let mut state = State::default();
        state.clients.insert(
            CLIENT_ID,
            OAuthClient {
                id: CLIENT_ID,
                secret: CLIENT_SECRET.to_string(),
                redirect_uri: None,
            },
        );
        let state = Arc::new(Mutex::new(state));
        let server =
            super::http::ServerThread::start("fake-osu", state.clone(), |state, req| async move {
                handle(&state, req).await
            });
        FakeOsu { state, server }
    }

    /// `http://127.0.0.1:<port>`: stands for `https://osu.ppy.sh` (the API is under `/api/v2`).
    pub fn base_url(&self) -> String {
        format!("http://{}", self.server.addr())
    }

    fn state(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap()
    }

    /// Adds or replaces players.
    pub fn add_players(&self, players: impl IntoIterator<Item = Player>) {
        let mut state = self.state();
        for player in players {
            state.players.insert(player.id, player);
        }
    }

    pub fn player(&self, id: u64) -> Option<Player> {
        self.state().players.get(&id).cloned()
    }

    /// Changes a player between two syncs, e.g. `|p| { p.pp += 50.0; p.global_rank = Some(999) }`.
    /// Panics if there is no such player.
    pub fn update_player(&self, id: u64, change: impl FnOnce(&mut Player)) {
        change(
            self.state()
                .players
                .get_mut(&id)
                .unwrap_or_else(|| panic!("the fake osu! has no player {id}")),
        );
    }

    /// Deletes a player: from now on they are 404 and missing from batches.
    pub fn remove_player(&self, id: u64) {
        self.state().players.remove(&id);
    }

    /// Registers another OAuth application (or replaces one with the same id).
    pub fn add_client(&self, client: OAuthClient) {
        self.state().clients.insert(client.id, client);
    }

    /// The browser is signed in to osu! as this player and approves the next authorizations.
    pub fn login_as(&self, player_id: u64) {
        self.state().consent = Some(Consent::Approve(player_id));
    }

    /// The signed-in player presses "Cancel": authorizations redirect with
    /// `error=access_denied` until the next [`FakeOsu::login_as`].
    pub fn deny(&self) {
        self.state().consent = Some(Consent::Deny);
    }

    /// Limits `/oauth/token` and `/api/v2/*` together; `None` lifts the limit.
    pub fn set_rate_limit(&self, limit: Option<RateLimit>) {
        self.state().bucket = limit.map(|limit| Bucket {
            limit,
            tokens: f64::from(limit.burst),
            last: Instant::now(),
        });
    }

    /// The next request whose target contains `path_contains` answers `status` instead (once).
    /// The body is what osu! would send with that status: JSON, or for 5xx the HTML page of the
    /// proxy in front; a 429 carries `Retry-After: 1`. Queued failures are matched in order.
    pub fn fail_next(&self, path_contains: &str, status: u16) {
        self.state()
            .failures
            .push_back((path_contains.to_string(), status));
    }

    /// An outage: from now on, until `None`, every `/oauth/token` and `/api/v2/*` request answers
    /// `status` as [`FakeOsu::fail_next`] would (the sign-in page itself stays up). Failures queued
    /// with `fail_next` come first.
    pub fn outage(&self, status: Option<u16>) {
        self.state().down = status;
    }

    /// Revokes every access token (refresh tokens stay valid), as if they had expired.
    pub fn expire_tokens(&self) {
        self.state().tokens.clear();
    }

    /// How many requests had a target containing `pattern`: `/users` counts every user endpoint,
    /// `/users?ids[]=` only batches, `/users/7/osu` one profile.
    pub fn calls(&self, pattern: &str) -> usize {
        self.state()
            .log
            .iter()
            .filter(|r| r.target.contains(pattern))
            .count()
    }

    /// Every request so far, oldest first.
    pub fn requests(&self) -> Vec<Recorded> {
        self.state().log.clone()
    }
}

type Answer = Response<Full<Bytes>>;

/// A request reduced to what the routes look at.
struct Call {
    method: Method,
    path: String,
    query: Vec<(String, String)>,
    bearer: Option<String>,
    api_version: u32,
    content_type: String,
    body: Bytes,
}

impl Call {
    fn param(&self, name: &str) -> Option<&str> {
        self.query
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }
}

async fn handle(state: &Mutex<State>, req: Request<Incoming>) -> Answer {
    let (parts, body) = req.into_parts();
    let header = |name: &str| {
        parts
            .headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_string()
    };
    let query: Vec<(String, String)> =
        form_urlencoded::parse(parts.uri.query().unwrap_or("").as_bytes())
            .into_owned()
            .collect();
    let call = Call {
        method: parts.method.clone(),
        path: percent_decode(parts.uri.path()),
        bearer: header("authorization")
            .strip_prefix("Bearer ")
            .map(str::to_string),
        api_version: header("x-api-version").parse().unwrap_or(0),
        content_type: header("content-type"),
        body: match body.collect().await {
            Ok(body) => body.to_bytes(),
            Err(_) => Bytes::new(),
        },
        query,
    };
    let mut target = call.path.clone();
    if !call.query.is_empty() {
        let pairs: Vec<String> = call.query.iter().map(|(k, v)| format!("{k}={v}")).collect();
        target = format!("{target}?{}", pairs.join("&"));
    }
    let mut state = state.lock().unwrap();
    let answer = route(&mut state, &call, &target);
    state.log.push(Recorded {
        method: call.method.to_string(),
        target,
        status: answer.status().as_u16(),
    });
    answer
}

/// Decodes `%XX` escapes (a path may carry `@user name`); invalid escapes stay as they are.
fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = bytes
            .get(i + 1..i + 3)
            .and_then(|h| std::str::from_utf8(h).ok())
            .and_then(|h| u8::from_str_radix(h, 16).ok());
        match (bytes[i], hex) {
            (b'%', Some(byte)) => {
                out.push(byte);
                i += 3;
            }
            (byte, _) => {
                out.push(byte);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn route(state: &mut State, call: &Call, target: &str) -> Answer {
    if let Some(at) = state
        .failures
        .iter()
        .position(|(pattern, _)| target.contains(pattern.as_str()))
    {
        let (_, status) = state.failures.remove(at).unwrap();
        return injected(status);
    }
    if call.path == "/oauth/authorize" && call.method == Method::GET {
        return authorize(state, call);
    }
    let limited = call.path == "/oauth/token" || call.path.starts_with("/api/v2/");
    if let (true, Some(status)) = (limited, state.down) {
        return injected(status);
    }
    let mut remaining = None;
    if let (true, Some(bucket)) = (limited, state.bucket.as_mut()) {
        match bucket.take(Instant::now()) {
            Ok(left) => remaining = Some((bucket.limit.burst, left)),
            Err(retry_after) => {
                let mut answer = json_answer(429, json!({"error": "Too Many Attempts."}));
                let headers = answer.headers_mut();
                headers.insert(RETRY_AFTER, HeaderValue::from(retry_after));
                headers.insert("x-ratelimit-limit", HeaderValue::from(bucket.limit.burst));
                headers.insert("x-ratelimit-remaining", HeaderValue::from(0));
                return answer;
            }
        }
    }
    let mut answer = if call.path == "/oauth/token" && call.method == Method::POST {
        token(state, call)
    } else if let Some(api) = call.path.strip_prefix("/api/v2/") {
        if call.method == Method::GET {
            api_route(state, call, api)
        } else {
            json_answer(405, json!({"error": null}))
        }
    } else {
        json_answer(404, json!({"error": null}))
    };
    if let Some((limit, left)) = remaining {
        let headers = answer.headers_mut();
        headers.insert("x-ratelimit-limit", HeaderValue::from(limit));
        headers.insert("x-ratelimit-remaining", HeaderValue::from(left));
    }
    answer
}

fn injected(status: u16) -> Answer {
    match status {
        429 => {
            let mut answer = json_answer(429, json!({"error": "Too Many Attempts."}));
            answer
                .headers_mut()
                .insert(RETRY_AFTER, HeaderValue::from_static("1"));
            answer
        }
        500..=599 => {
            let reason = StatusCode::from_u16(status)
                .ok()
                .and_then(|s| s.canonical_reason())
                .unwrap_or("Error");
            let page = format!(
                "<html>\r\n<head><title>{status} {reason}</title></head>\r\n<body>\r\n<center><h1>{status} {reason}</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n"
            );
            text_answer(status, "text/html", page)
        }
        401 => json_answer(401, json!({"authentication": "basic"})),
        _ => json_answer(status, json!({"error": null})),
    }
}

// ---------------------------------------------------------------------------------------------
// OAuth

fn authorize(state: &mut State, call: &Call) -> Answer {
    let client = call
        .param("client_id")
        .and_then(|id| id.parse::<u64>().ok())
        .and_then(|id| state.clients.get(&id))
        .cloned();
    let Some(client) = client else {
        return error_page(401, "Client authentication failed");
    };
    let redirect_uri = match (call.param("redirect_uri"), &client.redirect_uri) {
        (Some(given), Some(registered)) if given != registered => {
            return error_page(400, "Invalid redirect URI");
        }
        (Some(given), _) => given.to_string(),
        (None, Some(registered)) => registered.clone(),
        (None, None) => return error_page(400, "Invalid redirect URI"),
    };
    let Ok(mut location) = url::Url::parse(&redirect_uri) else {
        return error_page(400, "Invalid redirect URI");
    };
    if !matches!(location.scheme(), "http" | "https") {
        return error_page(400, "Invalid redirect URI");
    }
    let scopes = scopes(call.param("scope").unwrap_or("identify"));
    let outcome: Result<String, (&str, &str, &str)> = if call.param("response_type") != Some("code")
    {
        Err((
            "unsupported_response_type",
            "The authorization server does not support obtaining an access token using this method.",
            "Check the `response_type` parameter",
        ))
    } else if scopes
        .iter()
        .any(|s| !matches!(s.as_str(), "identify" | "public" | "friends.read"))
    {
        Err((
            "invalid_scope",
            "The requested scope is invalid, unknown, or malformed",
            "Check the scope parameter",
        ))
    } else {
        match state.consent {
            None => return error_page(401, "No player is signed in; call FakeOsu::login_as first"),
            Some(Consent::Deny) => Err((
                "access_denied",
                "The resource owner or authorization server denied the request.",
                "The user denied the request",
            )),
            Some(Consent::Approve(player)) => {
                let code = issue(state, "code");
                state.codes.insert(
                    code.clone(),
                    Grant {
                        client_id: client.id,
                        player: Some(player),
                        scopes,
                        redirect_uri: redirect_uri.clone(),
                    },
                );
                Ok(code)
            }
        }
    };
    {
        let mut pairs = location.query_pairs_mut();
        match &outcome {
            Ok(code) => {
                pairs.append_pair("code", code);
            }
            Err((error, description, hint)) => {
                pairs
                    .append_pair("error", error)
                    .append_pair("error_description", description)
                    .append_pair("hint", hint)
                    .append_pair("message", description);
            }
        }
        if let Some(st) = call.param("state") {
            pairs.append_pair("state", st);
        }
    }
    let mut answer = text_answer(302, "text/html; charset=UTF-8", String::new());
    answer
        .headers_mut()
        .insert(LOCATION, HeaderValue::from_str(location.as_str()).unwrap());
    answer
}

fn token(state: &mut State, call: &Call) -> Answer {
    let form: HashMap<String, String> = if call.content_type.starts_with("application/json") {
        match serde_json::from_slice::<serde_json::Map<String, Value>>(&call.body) {
            Ok(map) => map
                .into_iter()
                .map(|(k, v)| {
                    let v = match v {
                        Value::String(s) => s,
                        other => other.to_string(),
                    };
                    (k, v)
                })
                .collect(),
            Err(_) => HashMap::new(),
        }
    } else {
        form_urlencoded::parse(&call.body).into_owned().collect()
    };
    let field = |name: &str| form.get(name).map(String::as_str);
    let grant_type = field("grant_type").unwrap_or("");
    if !matches!(
        grant_type,
        "authorization_code" | "refresh_token" | "client_credentials"
    ) {
        return oauth_error(
            400,
            "unsupported_grant_type",
            "The authorization grant type is not supported by the authorization server.",
            Some("Check that all required parameters have been provided"),
        );
    }
    let client = field("client_id")
        .and_then(|id| id.parse::<u64>().ok())
        .and_then(|id| state.clients.get(&id))
        .filter(|c| Some(c.secret.as_str()) == field("client_secret"))
        .cloned();
    let Some(client) = client else {
        return oauth_error(401, "invalid_client", "Client authentication failed", None);
    };
    let grant = match grant_type {
        "client_credentials" => {
            let scopes = scopes(field("scope").unwrap_or("public"));
            if scopes.iter().any(|s| s != "public" && s != "delegate") {
                return oauth_error(
                    400,
                    "invalid_scope",
                    "The requested scope is invalid, unknown, or malformed",
                    Some("Check the `identify` scope"),
                );
            }
            Grant {
                client_id: client.id,
                player: None,
                scopes,
                redirect_uri: String::new(),
            }
        }
        "authorization_code" => {
            let Some(code) = field("code") else {
                return invalid_request("Check the `code` parameter");
            };
            let Some(grant) = state.codes.remove(code) else {
                return invalid_grant("Authorization code has been revoked");
            };
            if grant.client_id != client.id {
                return invalid_request("Authorization code was not issued to this client");
            }
            if field("redirect_uri") != Some(grant.redirect_uri.as_str()) {
                return invalid_request("Invalid redirect URI");
            }
            grant
        }
        _ => {
            let Some(refresh) = field("refresh_token") else {
                return invalid_request("Check the `refresh_token` parameter");
            };
            match state.refresh_tokens.remove(refresh) {
                Some(grant) if grant.client_id == client.id => grant,
                _ => return invalid_grant("Token has been revoked"),
            }
        }
    };
    let access = issue(state, "token");
    let mut body = json!({
        "token_type": "Bearer",
        "expires_in": TOKEN_LIFETIME_SECS,
        "access_token": access,
    });
    if grant.player.is_some() {
        let refresh = issue(state, "refresh");
        body["refresh_token"] = json!(refresh);
        state.refresh_tokens.insert(refresh, grant.clone());
    }
    state.tokens.insert(access, grant);
    json_answer(200, body)
}

/// A fresh opaque secret: unique, and distinct per kind so a code never works as a token.
fn issue(state: &mut State, kind: &str) -> String {
    state.issued += 1;
    format!(
        "fake-osu-{kind}-{:08}-{:x}",
        state.issued,
        state.issued * 0x9e37_79b9
    )
}

fn scopes(text: &str) -> Vec<String> {
    text.split([' ', '+'])
        .filter(|s| !s.is_empty())
        .map(str::to_string)
        .collect()
}

fn oauth_error(status: u16, error: &str, description: &str, hint: Option<&str>) -> Answer {
    let mut body = json!({
        "error": error,
        "error_description": description,
        "message": description,
    });
    if let Some(hint) = hint {
        body["hint"] = json!(hint);
    }
    json_answer(status, body)
}

fn invalid_request(hint: &str) -> Answer {
    oauth_error(
        400,
        "invalid_request",
        "The request is missing a required parameter, includes an invalid parameter value, includes a parameter more than once, or is otherwise malformed.",
        Some(hint),
    )
}

fn invalid_grant(hint: &str) -> Answer {
    oauth_error(
        400,
        "invalid_grant",
        "The provided authorization grant (e.g., authorization code, resource owner credentials) or refresh token is invalid, expired, revoked, does not match the redirection URI used in the authorization request, or was issued to another client.",
        Some(hint),
    )
}

fn error_page(status: u16, message: &str) -> Answer {
    text_answer(
        status,
        "text/html; charset=UTF-8",
        format!(
            "<!DOCTYPE html><html><head><title>osu!</title></head><body><h1>Authorization failed</h1><p>{message}</p></body></html>"
        ),
    )
}

// ---------------------------------------------------------------------------------------------
// API

const MODES: [&str; 4] = ["osu", "taiko", "fruits", "mania"];

fn api_route(state: &State, call: &Call, api: &str) -> Answer {
    let Some(grant) = call.bearer.as_ref().and_then(|t| state.tokens.get(t)) else {
        return json_answer(401, json!({"authentication": "basic"}));
    };
    let segments: Vec<&str> = api.split('/').collect();
    let needs = if segments[0] == "me" {
        "identify"
    } else {
        "public"
    };
    if segments[0] == "me" && grant.player.is_none() {
        return json_answer(401, json!({"authentication": "basic"}));
    }
    if !grant.scopes.iter().any(|s| s == needs) {
        return json_answer(403, json!({"error": "A required scope is missing."}));
    }
    let not_found = || json_answer(404, json!({"error": null}));
    match segments.as_slice() {
        ["me"] | ["me", ""] => me(state, grant, "osu"),
        ["me", mode] if MODES.contains(mode) => me(state, grant, mode),
        ["users"] => batch(state, call),
        ["users", user] | ["users", user, ""] => match visible(state, user) {
            Some(player) => json_answer(200, user_extended(player, "osu", false)),
            None => not_found(),
        },
        ["users", user, mode] if MODES.contains(mode) => match visible(state, user) {
            Some(player) => json_answer(200, user_extended(player, mode, false)),
            None => not_found(),
        },
        ["users", user, "scores", "best"] => match visible(state, user) {
            Some(player) => best_scores(player, call),
            None => not_found(),
        },
        ["scores", id] => match id.parse::<u64>().ok().and_then(|id| find_score(state, id)) {
            Some((player, score)) => json_answer(200, shown_score(player, score, call)),
            None => not_found(),
        },
        _ => not_found(),
    }
}

/// A player as others may see them: by id or `@username`, never restricted.
fn visible<'a>(state: &'a State, user: &str) -> Option<&'a Player> {
    let player = match user.strip_prefix('@') {
        Some(name) => state
            .players
            .values()
            .find(|p| p.username.eq_ignore_ascii_case(name)),
        None => user
            .parse::<u64>()
            .ok()
            .and_then(|id| state.players.get(&id))
            .or_else(|| {
                state
                    .players
                    .values()
                    .find(|p| p.username.eq_ignore_ascii_case(user))
            }),
    };
    player.filter(|p| !p.restricted)
}

fn me(state: &State, grant: &Grant, mode: &str) -> Answer {
    let Some(player) = grant.player.and_then(|id| state.players.get(&id)) else {
        return json_answer(401, json!({"authentication": "basic"}));
    };
    let mut body = user_extended(player, mode, true);
    body["session_verified"] = json!(true);
    body["statistics_rulesets"] = rulesets(player);
    json_answer(200, body)
}

fn batch(state: &State, call: &Call) -> Answer {
    let mut ids: Vec<u64> = call
        .query
        .iter()
        .filter(|(k, _)| k == "ids[]")
        .filter_map(|(_, v)| v.parse().ok())
        .take(MAX_BATCH_IDS)
        .collect();
    ids.sort_unstable();
    ids.dedup();
    let users: Vec<Value> = ids
        .iter()
        .filter_map(|id| state.players.get(id))
        .filter(|p| !p.restricted)
        .map(|p| {
            let mut user = user_compact(p);
            user["groups"] = json!([]);
            user["statistics_rulesets"] = rulesets(p);
            user
        })
        .collect();
    json_answer(200, json!({ "users": users }))
}

fn best_scores(player: &Player, call: &Call) -> Answer {
    let mode = call.param("mode").unwrap_or("osu");
    if !MODES.contains(&mode) {
        return json_answer(404, json!({"error": null}));
    }
    let limit = call
        .param("limit")
        .and_then(|l| l.parse::<i64>().ok())
        .unwrap_or(5)
        .clamp(1, 100) as usize;
    let offset = call
        .param("offset")
        .and_then(|o| o.parse::<usize>().ok())
        .unwrap_or(0);
    let mut scores: Vec<&Score> = if mode == "osu" {
        player.best_scores.iter().collect()
    } else {
        Vec::new()
    };
    scores.sort_by(|a, b| b.pp.unwrap_or(0.0).total_cmp(&a.pp.unwrap_or(0.0)));
    let solo = call.api_version >= SOLO_SCORES_API_VERSION;
    let list: Vec<Value> = scores
        .iter()
        .enumerate()
        .skip(offset)
        .take(limit)
        .map(|(i, s)| score_json(player, s, i, solo))
        .collect();
    json_answer(200, Value::Array(list))
}

/// The best score `id` of a player others may see, with that player.
fn find_score(state: &State, id: u64) -> Option<(&Player, &Score)> {
    state
        .players
        .values()
        .filter(|p| !p.restricted)
        .find_map(|p| p.best_scores.iter().find(|s| s.id == id).map(|s| (p, s)))
}

/// `/scores/{id}`: the score as in a list, without its list weight, with the show page's
/// includes.
fn shown_score(player: &Player, score: &Score, call: &Call) -> Value {
    let solo = call.api_version >= SOLO_SCORES_API_VERSION;
    let mut json = score_json(player, score, 0, solo);
    if let Value::Object(fields) = &mut json {
        fields.remove("weight");
    }
    let b = &score.beatmap;
    json["beatmap"]["max_combo"] = json!(u64::from(b.total_length) * 2 + b.id % 50);
    json["beatmap"]["user"] = json!({
        "avatar_url": "https://a.ppy.sh/2?1.jpeg",
        "country_code": "AU",
        "default_group": "default",
        "id": 2,
        "is_active": true,
        "is_bot": false,
        "is_deleted": false,
        "is_online": false,
        "is_supporter": true,
        "last_visit": null,
        "pm_friends_only": false,
        "profile_colour": "#3366FF",
        "username": b.creator,
    });
    let mut user = user_compact(player);
    user["groups"] = json!([]);
    user["team"] = Value::Null;
    json["user"] = user;
    json["rank_global"] = json!(1 + score.id % 5_000);
    json
}

fn score_json(player: &Player, score: &Score, position: usize, solo: bool) -> Value {
    let weight = 0.95_f64.powi(position as i32);
    let b = &score.beatmap;
    let hits = b.total_length * 2;
    let great = (f64::from(hits) * score.accuracy) as u32;
    let mut json = if solo {
        json!({
            "accuracy": score.accuracy,
            "beatmap_id": b.id,
            "best_id": null,
            "build_id": null,
            "classic_total_score": 1_000_000 + score.id % 9_000_000,
            "ended_at": score.created_at,
            "has_replay": true,
            "id": score.id,
            "is_perfect_combo": score.rank.starts_with('X'),
            "legacy_perfect": score.rank.starts_with('X'),
            "legacy_score_id": score.id,
            "legacy_total_score": 1_000_000 + score.id % 9_000_000,
            "max_combo": score.max_combo,
            "maximum_statistics": {"great": hits, "legacy_combo_increase": 0},
            "mods": score.mods.iter().map(|m| json!({"acronym": m})).collect::<Vec<_>>(),
            "passed": true,
            "pp": score.pp,
            "preserve": true,
            "processed": true,
            "rank": score.rank,
            "ranked": true,
            "replay": true,
            "ruleset_id": 0,
            "started_at": null,
            "statistics": {"great": great, "ok": hits - great, "miss": 0},
            "total_score": 1_000_000 + score.id % 9_000_000,
            "type": "solo_score",
            "user_id": player.id,
        })
    } else {
        json!({
            "accuracy": score.accuracy,
            "best_id": score.id,
            "created_at": score.created_at,
            "id": score.id,
            "max_combo": score.max_combo,
            "mode": "osu",
            "mode_int": 0,
            "mods": score.mods,
            "passed": true,
            "perfect": score.rank.starts_with('X'),
            "pp": score.pp,
            "rank": score.rank,
            "replay": true,
            "score": 1_000_000 + score.id % 9_000_000,
            "statistics": {
                "count_100": hits - great,
                "count_300": great,
                "count_50": 0,
                "count_geki": 0,
                "count_katu": 0,
                "count_miss": 0,
            },
            "type": "score_best_osu",
            "user_id": player.id,
        })
    };
    json["current_user_attributes"] = json!({"pin": null});
    json["beatmap"] = json!({
        "beatmapset_id": b.beatmapset_id,
        "difficulty_rating": b.difficulty_rating,
        "id": b.id,
        "mode": "osu",
        "status": "ranked",
        "total_length": b.total_length,
        "user_id": 2,
        "version": b.version,
        "accuracy": 9.0,
        "ar": 9.4,
        "bpm": 180.0,
        "convert": false,
        "count_circles": hits / 2,
        "count_sliders": hits / 4,
        "count_spinners": 1,
        "cs": 4.0,
        "deleted_at": null,
        "drain": 5.0,
        "hit_length": b.total_length.saturating_sub(4),
        "is_scoreable": true,
        "last_updated": "2023-01-01T00:00:00Z",
        "mode_int": 0,
        "passcount": 12_345,
        "playcount": 123_456,
        "ranked": 1,
        "url": format!("https://osu.ppy.sh/beatmaps/{}", b.id),
        "checksum": format!("{:032x}", b.id),
    });
    json["beatmapset"] = json!({
        "artist": b.artist,
        "artist_unicode": b.artist,
        "covers": {
            "cover": format!("https://assets.ppy.sh/beatmaps/{}/covers/cover.jpg", b.beatmapset_id),
            "list": format!("https://assets.ppy.sh/beatmaps/{}/covers/list.jpg", b.beatmapset_id),
        },
        "creator": b.creator,
        "favourite_count": 321,
        "id": b.beatmapset_id,
        "nsfw": false,
        "offset": 0,
        "play_count": 654_321,
        "preview_url": format!("//b.ppy.sh/preview/{}.mp3", b.beatmapset_id),
        "source": "",
        "spotlight": false,
        "status": "ranked",
        "title": b.title,
        "title_unicode": b.title,
        "track_id": null,
        "user_id": 2,
        "video": false,
    });
    json["weight"] = json!({
        "percentage": weight * 100.0,
        "pp": score.pp.map(|pp| pp * weight),
    });
    json["user"] = user_compact(player);
    json
}

fn user_compact(p: &Player) -> Value {
    json!({
        "avatar_url": avatar_url(p),
        "country_code": p.country,
        "default_group": "default",
        "id": p.id,
        "is_active": p.global_rank.is_some(),
        "is_bot": false,
        "is_deleted": false,
        "is_online": p.id.is_multiple_of(3),
        "is_supporter": p.id.is_multiple_of(5),
        "last_visit": "2025-06-01T12:00:00+00:00",
        "pm_friends_only": false,
        "profile_colour": null,
        "username": p.username,
        "country": {"code": p.country, "name": country_name(&p.country)},
        "cover": {
            "custom_url": null,
            "url": "https://osu.ppy.sh/images/headers/profile-covers/c3.jpg",
            "id": "3",
        },
    })
}

fn user_extended(p: &Player, mode: &str, own: bool) -> Value {
    let mut user = user_compact(p);
    let extra = json!({
        "cover_url": "https://osu.ppy.sh/images/headers/profile-covers/c3.jpg",
        "discord": null,
        "has_supported": p.id.is_multiple_of(5),
        "interests": null,
        "join_date": format!("20{:02}-03-01T12:00:00+00:00", 10 + p.id % 15),
        "location": null,
        "max_blocks": 50,
        "max_friends": 250,
        "occupation": null,
        "playmode": "osu",
        "playstyle": ["mouse", "keyboard"],
        "post_count": 0,
        "profile_hue": null,
        "profile_order": ["me", "recent_activity", "top_ranks", "medals", "historical", "beatmaps", "kudosu"],
        "title": null,
        "title_url": null,
        "twitter": null,
        "website": null,
        "is_restricted": own && p.restricted,
        "groups": [],
        "statistics": profile_statistics(p, mode),
    });
    if let (Value::Object(user), Value::Object(extra)) = (&mut user, extra) {
        user.extend(extra);
    }
    user
}

fn rulesets(p: &Player) -> Value {
    json!({
        "osu": statistics(p),
        "taiko": empty_statistics(),
        "fruits": empty_statistics(),
        "mania": empty_statistics(),
    })
}

fn statistics(p: &Player) -> Value {
    let play_count = p.play_time / 200;
    let hits = play_count * 420;
    json!({
        "count_100": hits / 12,
        "count_300": hits - hits / 12 - hits / 100,
        "count_50": hits / 200,
        "count_miss": hits / 100,
        "level": {"current": 1 + (p.pp / 100.0) as u64 % 100, "progress": p.id % 100},
        "global_rank": p.global_rank,
        "global_rank_exp": null,
        "pp": p.pp,
        "pp_exp": 0,
        "ranked_score": hits * 2_500,
        "hit_accuracy": if play_count == 0 { 0.0 } else { 97.0 + (p.id % 250) as f64 / 100.0 },
        "play_count": play_count,
        "play_time": p.play_time,
        "total_score": hits * 4_000,
        "total_hits": hits,
        "maximum_combo": if play_count == 0 { 0 } else { 500 + p.id % 2_000 },
        "replays_watched_by_others": p.id % 50,
        "is_ranked": p.global_rank.is_some(),
        "grade_counts": {
            "ss": play_count / 100,
            "ssh": play_count / 300,
            "s": play_count / 10,
            "sh": play_count / 40,
            "a": play_count / 5,
        },
    })
}

/// A profile's `statistics` in `mode`: osu-web adds its `country_rank` include (and the older
/// copy, `rank.country`) here and nowhere else, so `statistics_rulesets` and batches have none.
fn profile_statistics(p: &Player, mode: &str) -> Value {
    let (mut stats, country_rank) = if mode == "osu" {
        (statistics(p), p.global_rank.map(|r| r / 30 + 1))
    } else {
        (empty_statistics(), None)
    };
    stats["country_rank"] = json!(country_rank);
    stats["rank"] = json!({ "country": country_rank });
    stats
}

fn empty_statistics() -> Value {
    json!({
        "count_100": 0, "count_300": 0, "count_50": 0, "count_miss": 0,
        "level": {"current": 1, "progress": 0},
        "global_rank": null, "global_rank_exp": null,
        "pp": 0, "pp_exp": 0, "ranked_score": 0, "hit_accuracy": 0,
        "play_count": 0, "play_time": 0, "total_score": 0, "total_hits": 0,
        "maximum_combo": 0, "replays_watched_by_others": 0, "is_ranked": false,
        "grade_counts": {"ss": 0, "ssh": 0, "s": 0, "sh": 0, "a": 0},
    })
}

fn avatar_url(p: &Player) -> String {
    if p.id % 9 == 4 {
        "https://osu.ppy.sh/images/layout/avatar-guest.png".to_string()
    } else {
        format!("https://a.ppy.sh/{}?1700000000.jpeg", p.id)
    }
}

fn country_name(code: &str) -> &'static str {
    match code {
        "RU" => "Russian Federation",
        "UA" => "Ukraine",
        "KZ" => "Kazakhstan",
        "BY" => "Belarus",
        "US" => "United States",
        "DE" => "Germany",
        "PL" => "Poland",
        "JP" => "Japan",
        "KR" => "South Korea",
        "BR" => "Brazil",
        _ => "Unknown",
    }
}

fn json_answer(status: u16, body: Value) -> Answer {
    text_answer(status, "application/json", body.to_string())
}

fn text_answer(status: u16, content_type: &'static str, body: String) -> Answer {
    let mut answer = Response::new(Full::new(Bytes::from(body)));
    *answer.status_mut() = StatusCode::from_u16(status).unwrap();
    answer
        .headers_mut()
        .insert(CONTENT_TYPE, HeaderValue::from_static(content_type));
    answer
}

/// Synthetic players and beatmaps, deterministic, shaped like real osu! data.
pub mod fixtures {
    use super::{Beatmap, Player, Score};

    /// Global ranks on and around every league threshold of osu-arena §3.1 (Master < 1,000,
    /// Elite < 3,000, Diamond < 10,000, Platinum < 30,000, Gold < 80,000, Silver < 150,000,
    /// Bronze < 250,000, Novice beyond), handed to the first players in this order.
    pub const EDGE_RANKS: [u32; 16] = [
        1, 999, 1_000, 2_999, 3_000, 9_999, 10_000, 29_999, 30_000, 79_999, 80_000, 149_999,
        150_000, 249_999, 250_000, 1_234_567,
    ];

    /// The index (not id) of the one restricted player, present when `n` > this.
    pub const RESTRICTED_INDEX: usize = 5;

    const LATIN: [&str; 8] = [
        "arrow", "Blue Fox", "mint_tea", "-Nyx-", "[Kite]", "Zephyr", "sora no", "Plover",
    ];
    const CYRILLIC: [&str; 4] = ["Ёжик", "Снегирь", "Лиса_", "Волна"];
    const COUNTRIES: [&str; 10] = ["RU", "UA", "KZ", "BY", "US", "DE", "PL", "JP", "KR", "BR"];
    /// Rank bands per league, best first: (lowest rank, highest rank) inclusive.
    const BANDS: [(u32, u32); 8] = [
        (1, 999),
        (1_000, 2_999),
        (3_000, 9_999),
        (10_000, 29_999),
        (30_000, 79_999),
        (80_000, 149_999),
        (150_000, 249_999),
        (250_000, 2_500_000),
    ];

    /// `n` players, the same for the same `n` (and the first `k` of `players(n)` are
    /// `players(k)`).
    ///
    /// - ids `10_000_000 + 7_919·i`, never contiguous;
    /// - names unique, ≤ 15 characters; every fifth is Cyrillic (real osu! allows only ASCII
    ///   names, but our code must not care), the others mix spaces, `-`, `_` and brackets;
    /// - the first 16 get [`EDGE_RANKS`]; after that ranks cycle through the eight leagues with a
    ///   pseudo-random spot inside each band;
    /// - every 23rd player from index 11 on is unranked (`global_rank: None`); of those, every
    ///   other one has never played (0 pp, no play time, no scores) and the rest are inactive
    ///   (pp kept, rank gone);
    /// - the player at [`RESTRICTED_INDEX`] is restricted;
    /// - pp falls with rank roughly as on the real ladder; the first player has 105 best scores
    ///   (more than the API's limit of 100), the others 1 to 5.
    pub fn players(n: usize) -> Vec<Player> {
        (0..n).map(player).collect()
    }

    fn player(i: usize) -> Player {
        let id = 10_000_000 + 7_919 * i as u64;
        let username = if i % 5 == 4 {
            format!("{}{}", CYRILLIC[(i / 5) % CYRILLIC.len()], i)
        } else {
            format!("{}{}", LATIN[i % LATIN.len()], i)
        };
        let unranked = i % 23 == 11;
        let never_played = unranked && (i / 23).is_multiple_of(2);
        let global_rank = if unranked {
            None
        } else if let Some(&rank) = EDGE_RANKS.get(i) {
            Some(rank)
        } else {
            let (low, high) = BANDS[i % BANDS.len()];
            Some(low + (mix(i as u64) % u64::from(high - low + 1)) as u32)
        };
        let pp = match (global_rank, never_played) {
            (_, true) => 0.0,
            (None, false) => 1_234.5 + (i % 100) as f64,
            (Some(rank), false) => {
                let raw = 26_000.0 * f64::from(rank).powf(-0.16);
                (raw * 100.0).round() / 100.0
            }
        };
        let play_time = if never_played {
            0
        } else {
            (pp as u64 * 2 + 50 + (mix(i as u64 + 7) % 400)) * 3_600
        };
        let count = match (i, never_played) {
            (_, true) => 0,
            (0, _) => 105,
            _ => 1 + i % 5,
        };
        let best_scores = (0..count).map(|k| score(id, i, k, pp)).collect::<Vec<_>>();
        Player {
            id,
            username,
            country: COUNTRIES[i % COUNTRIES.len()].to_string(),
            global_rank,
            pp,
            restricted: i == RESTRICTED_INDEX,
            play_time,
            best_scores,
        }
    }

    fn score(player_id: u64, i: usize, k: usize, pp: f64) -> Score {
        let maps = beatmaps();
        let beatmap = maps[(i + k) % maps.len()].clone();
        let top = (pp / 20.0).max(30.0);
        let mods: &[&str] = match (i + k) % 6 {
            0 => &[],
            1 => &["HD"],
            2 => &["HD", "DT"],
            3 => &["HR"],
            4 => &["HD", "HR"],
            _ => &["NF", "DT"],
        };
        let accuracy = 0.9 + (mix(player_id + k as u64) % 1_000) as f64 / 10_000.0;
        let rank = if accuracy > 0.99 {
            if mods.contains(&"HD") { "SH" } else { "S" }
        } else {
            "A"
        };
        Score {
            id: 4_000_000_000 + i as u64 * 1_000 + k as u64,
            // Loved maps (every seventh) give no pp.
            pp: (beatmap.id % 7 != 3).then(|| ((top - k as f64 * 3.5) * 1_000.0).round() / 1_000.0),
            accuracy,
            rank: rank.to_string(),
            mods: mods.iter().map(|m| m.to_string()).collect(),
            created_at: format!(
                "2025-{:02}-{:02}T{:02}:{:02}:00Z",
                1 + (i + k) % 12,
                1 + (i * 7 + k) % 28,
                (i + k) % 24,
                (i * 13 + k) % 60
            ),
            max_combo: beatmap.total_length * 2,
            beatmap,
        }
    }

    /// Twelve beatmaps: plain and long titles, Japanese and Cyrillic artists.
    pub fn beatmaps() -> Vec<Beatmap> {
        let maps: [(&str, &str, &str, &str); 12] = [
            ("Synthetic Sun", "Lumen Drive", "Insane", "mapperA"),
            ("Квадрат", "Северный Ветер", "Extra", "mapperB"),
            ("夜明けのメロディ", "星屑", "Expert", "mapperC"),
            ("Paper Planes", "Tin Roof", "Hard", "mapperD"),
            (
                "A Remarkably Long Title That Keeps Going (TV Size) [Extended Mix]",
                "Various Artists",
                "Collab Extra",
                "mapperE",
            ),
            ("Glass", "Orbit", "Normal", "mapperF"),
            ("Red Line", "Motorik", "Another", "mapperG"),
            ("Тишина", "Полночь", "Insane", "mapperH"),
            ("Neon Rain", "City Static", "Expert+", "mapperI"),
            ("Hollow", "Echo Chamber", "Light Insane", "mapperJ"),
            ("Kite String", "Plover", "Extra", "mapperK"),
            ("Zero", "0", "Hard", "mapperL"),
        ];
        maps.iter()
            .enumerate()
            .map(|(i, (title, artist, version, creator))| Beatmap {
                id: 1_000_000 + i as u64 * 37,
                beatmapset_id: 400_000 + i as u64 * 11,
                artist: artist.to_string(),
                title: title.to_string(),
                version: version.to_string(),
                creator: creator.to_string(),
                difficulty_rating: 4.0 + i as f64 * 0.45,
                total_length: 90 + i as u32 * 17,
            })
            .collect()
    }

    /// A small deterministic scrambler for "random-looking" spots.
    fn mix(x: u64) -> u64 {
        let mut z = x.wrapping_add(0x9e37_79b9_7f4a_7c15);
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
}
