//! [`Client`]: the requests to osu! (OAuth token endpoint and API v2), their tokens, the shared
//! limiter, timeouts and 429 retries. Decoding the answers is `model.rs`'s job.

use std::collections::HashSet;
use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use reqwest::StatusCode;
use reqwest::header::{HeaderMap, RETRY_AFTER};
use tokio::time::Instant;

use super::OsuError;
use super::limit::Limiter;
use super::model::{self, Score, User};
use crate::config::Settings;

/// The API version whose answers `model.rs` is written for (scores in the "solo" format).
const API_VERSION: &str = "20220705";
/// osu! allows 1200 requests a minute with a burst of 200; Stagehand stays far below.
const MAX_PER_SECOND: u32 = 10;
/// The whole request, from connecting to the last byte of the body.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(20);
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// How many 429s one call waits out before giving up.
const RATE_LIMIT_RETRIES: u32 = 3;
/// A `Retry-After` longer than this is cut to it; a missing or unreadable one counts as 1 s.
const MAX_RETRY_AFTER: Duration = Duration::from_secs(60);
/// `/users?ids[]=` looks at no more than 50 ids (and drops the rest without a word).
const BATCH_SIZE: usize = 50;
/// `/users/{id}/scores/best` gives at most 100 scores.
const MAX_SCORES: u8 = 100;
/// The client-credentials token is replaced this long before it expires (or halfway through
/// its life, if that is sooner).
const TOKEN_MARGIN: Duration = Duration::from_secs(60);
/// Assumed lifetime of a token whose answer does not say.
const DEFAULT_TOKEN_LIFETIME: Duration = Duration::from_secs(3_600);
/// The longest lifetime believed: what osu! issues, a day.
const MAX_TOKEN_LIFETIME: Duration = Duration::from_secs(86_400);

/// The osu! client of the app: one per process, cheap to clone (clones share the limiter and
/// the client-credentials token).
#[derive(Clone)]
pub struct Client {
    inner: Arc<Inner>,
}

struct Inner {
    http: reqwest::Client,
    /// `https://osu.ppy.sh` or a fake's address; the API is under `/api/v2`.
    base: url::Url,
    client_id: u64,
    client_secret: String,
    limiter: Limiter,
    /// The client-credentials token; the lock is held while a new one is fetched, so concurrent
    /// callers wait for that one instead of each fetching their own.
    app_token: tokio::sync::Mutex<Option<AppToken>>,
}

struct AppToken {
    access: String,
    /// When to fetch the next one, a margin before this one expires.
    renew_at: Instant,
}

impl fmt::Debug for Client {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Client")
            .field("base", &self.inner.base.as_str())
            .field("client_id", &self.inner.client_id)
            .finish_non_exhaustive()
    }
}

/// The process's one osu! client, which the Discord handlers, the sign-in page and the sync job
/// all take from here, so that they share its limiter and its client-credentials token. It is
/// built when first asked for and replaced only when the osu! settings change.
#[derive(Clone, Default)]
pub struct Shared {
    current: Arc<std::sync::Mutex<Option<Client>>>,
}

impl Shared {
    /// The client the settings describe (`osu.base_url`, `osu.client_id`,
    /// `osu.client_secret`), or [`OsuError::NotConfigured`] while the credentials are missing.
    pub fn client(&self, settings: &Settings) -> Result<Client, OsuError> {
        let (Some(id), Some(secret)) = (settings.osu_client_id, &settings.osu_client_secret) else {
            return Err(OsuError::NotConfigured);
        };
        let (base, secret) = (&settings.osu_base_url.0, secret.expose());
        let mut current = self
            .current
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        match current.as_ref() {
            Some(client) if client.is_for(base, id, secret) => Ok(client.clone()),
            _ => Ok(current
                .insert(Client::new(base, id, secret.to_string()))
                .clone()),
        }
    }
}

impl Client {
    /// A client for the osu! at `base` (`https://osu.ppy.sh`), with the OAuth application
    /// `client_id` / `client_secret`.
    pub fn new(base: &url::Url, client_id: u64, client_secret: String) -> Client {
        let base = Client::request_base(base);
        let http = reqwest::Client::builder()
            .use_rustls_tls()
            .user_agent(concat!("stagehand/", env!("CARGO_PKG_VERSION")))
            .redirect(reqwest::redirect::Policy::none())
            .timeout(REQUEST_TIMEOUT)
            .connect_timeout(CONNECT_TIMEOUT)
            .build()
            // Only a broken TLS backend or an invalid option fails here, never anything from
            // the network or the settings.
            .expect("a plain rustls reqwest client always builds");
        Client {
            inner: Arc::new(Inner {
                http,
                base,
                client_id,
                client_secret,
                limiter: Limiter::per_second(MAX_PER_SECOND),
                app_token: tokio::sync::Mutex::new(None),
            }),
        }
    }

    /// Whether this is the client for `base`, `client_id` and `client_secret`.
    fn is_for(&self, base: &url::Url, client_id: u64, client_secret: &str) -> bool {
        let inner = &self.inner;
        inner.client_id == client_id
            && inner.client_secret == client_secret
            && inner.base.as_str() == Client::request_base(base).as_str()
    }

    /// `base` as requests are built on it: no query, no fragment.
    fn request_base(base: &url::Url) -> url::Url {
        let mut base = base.clone();
        base.set_query(None);
        base.set_fragment(None);
        base
    }

    /// The browser-facing authorize URL for `state` and `redirect_uri` (scopes `identify public`).
    pub fn authorize_url(&self, redirect_uri: &str, state: &str) -> String {
        let mut url = self.endpoint("/oauth/authorize");
        url.query_pairs_mut()
            .append_pair("client_id", &self.inner.client_id.to_string())
            .append_pair("redirect_uri", redirect_uri)
            .append_pair("response_type", "code")
            .append_pair("scope", "identify public")
            .append_pair("state", state);
        url.into()
    }

    /// Exchanges a callback `code` for the user's own token (never shared) and returns their
    /// osu! standard profile (`/me/osu`).
    pub async fn me_from_code(&self, code: &str, redirect_uri: &str) -> Result<User, OsuError> {
        let (status, body) = self
            .post_token(&[
                ("grant_type", "authorization_code"),
                ("code", code),
                ("redirect_uri", redirect_uri),
            ])
            .await?;
        let token = match status {
            StatusCode::OK => model::token(&body).map_err(|e| garbage("/oauth/token", e))?,
            // invalid_grant (wrong, used or expired code) and invalid_request (redirect URI
            // mismatch, missing code) are both 400 in osu!'s Laravel Passport.
            StatusCode::BAD_REQUEST => return Err(OsuError::Denied),
            StatusCode::UNAUTHORIZED => return Err(OsuError::BadCredentials),
            other => return Err(bad_status("/oauth/token", other)),
        };
        // The user's token lives in this call only.
        let path = "/api/v2/me/osu";
        let url = self.endpoint(path);
        let (status, body) = self.get(path, &url, &token.access_token).await?;
        match status {
            StatusCode::OK => model::user(&body).map_err(|e| garbage(path, e)),
            other => Err(bad_status(path, other)),
        }
    }

    /// `/users?ids[]=` in batches of ≤ 50 with the client-credentials token (fetched and
    /// refreshed automatically before expiry); ids osu! does not return (unknown, deleted,
    /// restricted) are simply absent. Repeated ids are asked for once; no ids, no request. The
    /// batches go one after another and any failed one fails the call.
    pub async fn users(&self, ids: &[u64]) -> Result<Vec<User>, OsuError> {
        let mut seen = HashSet::new();
        let unique: Vec<u64> = ids.iter().copied().filter(|id| seen.insert(*id)).collect();
        let path = "/api/v2/users";
        let mut users = Vec::with_capacity(unique.len());
        for batch in unique.chunks(BATCH_SIZE) {
            let mut url = self.endpoint(path);
            {
                let mut query = url.query_pairs_mut();
                for id in batch {
                    query.append_pair("ids[]", &id.to_string());
                }
            }
            let body = self.get_public(path, &url).await?;
            users.extend(model::users(&body).map_err(|e| garbage(path, e))?);
        }
        Ok(users)
    }

    /// A player's best osu! standard scores, best first: at most `limit` (clamped to 1..=100).
    /// [`OsuError::NotFound`] for an unknown or restricted player; an empty list for one who has
    /// no scores.
    pub async fn best_scores(&self, user_id: u64, limit: u8) -> Result<Vec<Score>, OsuError> {
        let path = format!("/api/v2/users/{user_id}/scores/best");
        let mut url = self.endpoint(&path);
        url.query_pairs_mut()
            .append_pair("mode", "osu")
            .append_pair("limit", &limit.clamp(1, MAX_SCORES).to_string());
        let body = self.get_public(&path, &url).await?;
        model::scores(&body).map_err(|e| garbage(&path, e))
    }

    /// One score by its id (`/scores/{id}`, the new "solo" id that best scores carry), with its
    /// beatmap (and the map's maximum combo), beatmapset and player. [`OsuError::NotFound`] for
    /// a score that is gone or whose player is restricted.
    pub async fn score(&self, score_id: u64) -> Result<Score, OsuError> {
        let path = format!("/api/v2/scores/{score_id}");
        let url = self.endpoint(&path);
        let body = self.get_public(&path, &url).await?;
        model::score(&body).map_err(|e| garbage(&path, e))
    }

    /// `base` + `path`, keeping any path prefix of the base.
    fn endpoint(&self, path: &str) -> url::Url {
        let mut url = self.inner.base.clone();
        let full = format!("{}{path}", url.path().trim_end_matches('/'));
        url.set_path(&full);
        url
    }

    /// A GET with the client-credentials token: 200 gives the body, 404 is
    /// [`OsuError::NotFound`]. A 401 (token revoked or expired early) is tried once more with a
    /// new token.
    async fn get_public(&self, path: &str, url: &url::Url) -> Result<Bytes, OsuError> {
        let mut rejected: Option<String> = None;
        loop {
            let token = self.app_token(rejected.as_deref()).await?;
            let (status, body) = self.get(path, url, &token).await?;
            match status {
                StatusCode::OK => return Ok(body),
                StatusCode::NOT_FOUND => return Err(OsuError::NotFound),
                StatusCode::UNAUTHORIZED if rejected.is_none() => {
                    tracing::info!(
                        path,
                        "osu! no longer accepts the app token; fetching a new one"
                    );
                    rejected = Some(token);
                }
                other => return Err(bad_status(path, other)),
            }
        }
    }

    /// The client-credentials token (scope `public`): the cached one unless it is due for
    /// renewal or is `rejected`, else a new one.
    async fn app_token(&self, rejected: Option<&str>) -> Result<String, OsuError> {
        let mut cached = self.inner.app_token.lock().await;
        if let Some(token) = cached.as_ref()
            && Instant::now() < token.renew_at
            && rejected != Some(token.access.as_str())
        {
            return Ok(token.access.clone());
        }
        *cached = None;
        let (status, body) = self
            .post_token(&[("grant_type", "client_credentials"), ("scope", "public")])
            .await?;
        let token = match status {
            StatusCode::OK => model::token(&body).map_err(|e| garbage("/oauth/token", e))?,
            StatusCode::UNAUTHORIZED => return Err(OsuError::BadCredentials),
            other => return Err(bad_status("/oauth/token", other)),
        };
        *cached = Some(AppToken {
            access: token.access_token.clone(),
            renew_at: renew_at(Instant::now(), token.expires_in),
        });
        Ok(token.access_token)
    }

    /// `POST /oauth/token` with the app's credentials and `grant`.
    async fn post_token(&self, grant: &[(&str, &str)]) -> Result<(StatusCode, Bytes), OsuError> {
        let url = self.endpoint("/oauth/token");
        let client_id = self.inner.client_id.to_string();
        let mut form = vec![
            ("client_id", client_id.as_str()),
            ("client_secret", self.inner.client_secret.as_str()),
        ];
        form.extend_from_slice(grant);
        self.send("/oauth/token", || {
            self.inner
                .http
                .post(url.clone())
                .header("accept", "application/json")
                .form(&form)
        })
        .await
    }

    /// An API GET with `token`.
    async fn get(
        &self,
        path: &str,
        url: &url::Url,
        token: &str,
    ) -> Result<(StatusCode, Bytes), OsuError> {
        self.send(path, || {
            self.inner
                .http
                .get(url.clone())
                .bearer_auth(token)
                .header("accept", "application/json")
                .header("x-api-version", API_VERSION)
        })
        .await
    }

    /// Sends what `build` makes when the limiter allows, waiting out up to
    /// [`RATE_LIMIT_RETRIES`] 429s (every caller waits with it); gives any other status and the
    /// body.
    async fn send(
        &self,
        path: &str,
        build: impl Fn() -> reqwest::RequestBuilder,
    ) -> Result<(StatusCode, Bytes), OsuError> {
        let mut retries = 0;
        loop {
            self.inner.limiter.acquire().await;
            let response = build().send().await.map_err(|e| network(path, &e))?;
            let status = response.status();
            tracing::debug!(path, status = status.as_u16(), "osu! request");
            if status == StatusCode::TOO_MANY_REQUESTS {
                if retries == RATE_LIMIT_RETRIES {
                    return Err(OsuError::Unavailable(format!(
                        "{path}: still rate limited after {retries} retries"
                    )));
                }
                retries += 1;
                let wait = retry_after(response.headers());
                tracing::warn!(
                    path,
                    wait_secs = wait.as_secs(),
                    "osu! rate limit hit; waiting"
                );
                self.inner.limiter.hold_until(Instant::now() + wait);
                continue;
            }
            let body = response.bytes().await.map_err(|e| network(path, &e))?;
            return Ok((status, body));
        }
    }
}

/// When to replace a token that osu! said lasts `expires_in` seconds from `now`:
/// [`TOKEN_MARGIN`] before it expires, or halfway through a short life. A lifetime beyond
/// [`MAX_TOKEN_LIFETIME`] is taken as that, so no answer can overflow the clock or keep a token
/// forever.
fn renew_at(now: Instant, expires_in: Option<u64>) -> Instant {
    let lifetime = expires_in
        .map_or(DEFAULT_TOKEN_LIFETIME, Duration::from_secs)
        .min(MAX_TOKEN_LIFETIME);
    now + lifetime - TOKEN_MARGIN.min(lifetime / 2)
}

/// The wait a 429 asks for: `Retry-After` in seconds, at least 1 s and at most
/// [`MAX_RETRY_AFTER`]; 1 s when it is missing or not a number (osu! never sends a date).
fn retry_after(headers: &HeaderMap) -> Duration {
    let seconds = headers
        .get(RETRY_AFTER)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok())
        .unwrap_or(1);
    Duration::from_secs(seconds.max(1)).min(MAX_RETRY_AFTER)
}

fn network(path: &str, error: &reqwest::Error) -> OsuError {
    let mut detail = format!("{path}: {error}");
    let mut source = std::error::Error::source(error);
    while let Some(cause) = source {
        detail.push_str(&format!(": {cause}"));
        source = cause.source();
    }
    OsuError::Unavailable(detail)
}

fn bad_status(path: &str, status: StatusCode) -> OsuError {
    OsuError::Unavailable(format!("{path}: HTTP {}", status.as_u16()))
}

fn garbage(path: &str, detail: String) -> OsuError {
    OsuError::Unavailable(format!("{path}: {detail}"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use reqwest::header::HeaderValue;

    #[test]
    fn retry_after_is_seconds_between_one_and_sixty() {
        let wait = |value: Option<&'static str>| {
            let mut headers = HeaderMap::new();
            if let Some(value) = value {
                headers.insert(RETRY_AFTER, HeaderValue::from_static(value));
            }
            retry_after(&headers).as_secs()
        };
        assert_eq!(wait(Some("3")), 3);
        assert_eq!(wait(Some(" 7 ")), 7);
        assert_eq!(wait(Some("0")), 1);
        assert_eq!(wait(Some("86400")), 60);
        assert_eq!(wait(Some("Wed, 21 Oct 2015 07:28:00 GMT")), 1);
        assert_eq!(wait(Some("-5")), 1);
        assert_eq!(wait(None), 1);
    }

    #[test]
    fn app_tokens_are_renewed_a_minute_early_and_never_overflow() {
        let now = Instant::now();
        let renew = |expires_in| (renew_at(now, expires_in) - now).as_secs();
        assert_eq!(renew(Some(86_400)), 86_340);
        assert_eq!(renew(Some(u64::MAX)), 86_340);
        assert_eq!(renew(None), 3_540);
        assert_eq!(renew(Some(100)), 50);
        assert_eq!(renew(Some(1)), 0);
        assert_eq!(renew(Some(0)), 0);
    }

    #[test]
    fn endpoints_keep_a_base_path_and_drop_its_query() {
        let base = url::Url::parse("http://127.0.0.1:9/osu/?x=1#f").unwrap();
        let client = Client::new(&base, 7, "secret".into());
        assert_eq!(
            client.endpoint("/api/v2/me/osu").as_str(),
            "http://127.0.0.1:9/osu/api/v2/me/osu"
        );
        let plain = Client::new(
            &url::Url::parse("https://osu.ppy.sh").unwrap(),
            7,
            "s".into(),
        );
        assert_eq!(
            plain.authorize_url("https://bot.example.org/osu/callback", "a b&c"),
            "https://osu.ppy.sh/oauth/authorize?client_id=7&redirect_uri=https%3A%2F%2Fbot.example.org%2Fosu%2Fcallback&response_type=code&scope=identify+public&state=a+b%26c"
        );
    }

    #[test]
    fn debug_never_shows_the_secret() {
        let base = url::Url::parse("https://osu.ppy.sh").unwrap();
        let client = Client::new(&base, 7, "hunter2".into());
        assert!(!format!("{client:?}").contains("hunter2"));
    }
}
