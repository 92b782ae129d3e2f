//! The HTTP side: form POSTs to the GD server, a cache of answers, and request spacing.
//!
//! Spacing is a token bucket per endpoint kind (searches: about 2 per second; downloads: about
//! 20 per minute), kept as the time the next request may start ("generic cell rate"), so a burst
//! passes at once and a caller past the burst waits its turn instead of failing. The cache keeps
//! a found level for five minutes and a "not found" for one; failures are never cached.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use super::level::Level;
use super::wire;
use crate::i18n::Message;

/// The common secret of the GD server's endpoints.
const SECRET: &str = "Wmfd2893gb7";
/// How long a request may take, connection included.
const TIMEOUT: Duration = Duration::from_secs(10);
const FOUND_TTL: Duration = Duration::from_secs(5 * 60);
const NOT_FOUND_TTL: Duration = Duration::from_secs(60);
/// Past this many entries, expired ones are dropped on the next insert.
const CACHE_PRUNE_AT: usize = 4096;
/// Sent as `binaryVersion`, as the current game does. From 42 on a download ends with
/// creators, songs and extra artists sections, but the creators section is filled only for the
/// daily, weekly and event levels: an ordinary level's download has no creator name (a search,
/// [`Client::level`], has it).
const BINARY_VERSION: &str = "45";

/// Why a lookup has no answer; every variant means "try again later" to a user.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum LookupError {
    /// A network error, a timeout, a non-200 status, or a body that is not an answer (logged
    /// with the detail).
    #[error("the GD servers are not answering")]
    NotAnswering,
    /// Cloudflare refused the request itself (HTTP 403, `error code: 1020`): something between
    /// Stagehand and the server adds a User-Agent. Logged as an error: it needs an operator.
    #[error("the GD servers' firewall refused the request")]
    Blocked,
}

impl LookupError {
    /// `gd.not_answering`: the same for every variant, since the user can only wait.
    pub fn message(&self) -> Message {
        Message::new("gd.not_answering")
    }
}

/// A GD server client. Cheap to share behind an `Arc`; every method takes `&self`.
#[derive(Debug)]
pub struct Client {
    http: reqwest::Client,
    /// `…/database`, without a trailing slash.
    base: String,
    cache: Mutex<HashMap<u64, Cached>>,
    searches: Mutex<Bucket>,
    downloads: Mutex<Bucket>,
}

#[derive(Clone, Debug)]
struct Cached {
    at: Instant,
    level: Option<Level>,
}

impl Client {
    /// A client of the server at `base` (`https://www.boomlings.com/database`: endpoints are
    /// `{base}/<endpoint>.php`).
    pub fn new(base: &url::Url) -> Client {
        // The builder fails only when the TLS backend cannot start, as `Client::new` would.
        let http = reqwest::Client::builder()
            .connect_timeout(TIMEOUT)
            .build()
            .unwrap_or_default();
        Client {
            http,
            base: base.as_str().trim_end_matches('/').to_string(),
            cache: Mutex::new(HashMap::new()),
            searches: Mutex::new(Bucket::new(Duration::from_millis(500), 4)),
            downloads: Mutex::new(Bucket::new(Duration::from_secs(3), 3)),
        }
    }

    /// The level with this id (a `type=10` search), or `None` when the server has none.
    pub async fn level(&self, id: u64) -> Result<Option<Level>, LookupError> {
        if let Some(cached) = self.cached(id) {
            return Ok(cached);
        }
        let id_text = id.to_string();
        let form = [("type", "10"), ("str", id_text.as_str())];
        let body = self
            .post("getGJLevels21", &form, &self.searches, wire::SEARCH_LIMIT)
            .await?;
        let found = match wire::search(&body) {
            Ok(None) => None,
            Ok(Some(search)) => match search.levels.into_iter().find(|l| l.id == id) {
                Some(level) => Some(level),
                // Our level may be the broken record: that is a failure, not "not found".
                None if search.broken > 0 => {
                    return Err(garbage("getGJLevels21", &"its record is broken", &body));
                }
                None => None,
            },
            Err(err) => return Err(garbage("getGJLevels21", &err, &body)),
        };
        self.remember(id, found.clone());
        Ok(found)
    }

    /// The level with this id in full (`downloadGJLevel22`, the heavily rate-limited call),
    /// or `None` when the server has none; without its creator's name (see `BINARY_VERSION`).
    /// Prefer [`Client::level`].
    pub async fn download(&self, id: u64) -> Result<Option<Level>, LookupError> {
        if let Some(cached) = self.cached(id) {
            return Ok(cached);
        }
        let id_text = id.to_string();
        let form = [
            ("levelID", id_text.as_str()),
            ("binaryVersion", BINARY_VERSION),
        ];
        let body = self
            .post(
                "downloadGJLevel22",
                &form,
                &self.downloads,
                wire::DOWNLOAD_LIMIT,
            )
            .await?;
        let found = wire::download(&body).map_err(|e| garbage("downloadGJLevel22", &e, &body))?;
        // The server answers with the level it has under that id; another one is garbage.
        if let Some(level) = found.as_ref().filter(|level| level.id != id) {
            let other = format!("level {} instead of {id}", level.id);
            return Err(garbage("downloadGJLevel22", &other, &body));
        }
        self.remember(id, found.clone());
        Ok(found)
    }

    fn cached(&self, id: u64) -> Option<Option<Level>> {
        let cache = self.cache.lock().unwrap_or_else(|e| e.into_inner());
        let entry = cache.get(&id)?;
        let ttl = if entry.level.is_some() {
            FOUND_TTL
        } else {
            NOT_FOUND_TTL
        };
        (entry.at.elapsed() < ttl).then(|| entry.level.clone())
    }

    fn remember(&self, id: u64, level: Option<Level>) {
        let mut cache = self.cache.lock().unwrap_or_else(|e| e.into_inner());
        if cache.len() >= CACHE_PRUNE_AT {
            cache.retain(|_, c| c.at.elapsed() < FOUND_TTL);
        }
        cache.insert(
            id,
            Cached {
                at: Instant::now(),
                level,
            },
        );
    }

    /// POSTs `form` plus the secret to `endpoint` after waiting for `bucket`; the body of a 200
    /// answer, at most `limit` bytes (one more shows it was over).
    async fn post(
        &self,
        endpoint: &str,
        form: &[(&str, &str)],
        bucket: &Mutex<Bucket>,
        limit: usize,
    ) -> Result<Vec<u8>, LookupError> {
        let start = bucket
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .reserve(Instant::now());
        tokio::time::sleep_until(start.into()).await;
        let url = format!("{}/{endpoint}.php", self.base);
        // The serializer is not `Send`: it must not live across the awaits below.
        let body = {
            let mut body = form_urlencoded::Serializer::new(String::new());
            body.extend_pairs(form.iter().copied());
            body.append_pair("secret", SECRET);
            body.finish()
        };
        let request = self
            .http
            .post(&url)
            .timeout(TIMEOUT)
            .header(reqwest::header::USER_AGENT, "")
            .header(
                reqwest::header::CONTENT_TYPE,
                "application/x-www-form-urlencoded",
            )
            .body(body);
        let failed = |detail: &dyn std::fmt::Display| {
            tracing::warn!(endpoint, detail = ?detail.to_string(), "GD server not answering");
            LookupError::NotAnswering
        };
        let mut response = request.send().await.map_err(|e| failed(&e))?;
        let status = response.status();
        let mut bytes = Vec::new();
        while let Some(chunk) = response.chunk().await.map_err(|e| failed(&e))? {
            bytes.extend_from_slice(&chunk[..chunk.len().min(limit + 1 - bytes.len())]);
            if bytes.len() > limit {
                break;
            }
        }
        if status == reqwest::StatusCode::FORBIDDEN
            && String::from_utf8_lossy(&bytes).contains("1020")
        {
            tracing::error!(
                endpoint,
                "the GD server's firewall refused the request (Cloudflare 1020): does a proxy add a User-Agent?"
            );
            return Err(LookupError::Blocked);
        }
        if status != reqwest::StatusCode::OK {
            return Err(failed(&format_args!("HTTP {status}")));
        }
        Ok(bytes)
    }
}

/// Logs a body that is not an answer; the caller reports the server as not answering.
fn garbage(endpoint: &str, err: &dyn std::fmt::Display, body: &[u8]) -> LookupError {
    let start = String::from_utf8_lossy(&body[..body.len().min(120)]).into_owned();
    tracing::warn!(endpoint, err = ?err.to_string(), body = start, "GD server answered garbage");
    LookupError::NotAnswering
}

/// Request spacing: `interval` apart on average, with bursts of up to `burst` at once.
#[derive(Debug)]
struct Bucket {
    interval: Duration,
    /// How far ahead of its steady-rate slot a request may go: `interval × (burst − 1)`.
    tolerance: Duration,
    /// When the next request would start at the steady rate; `None` before the first.
    next: Option<Instant>,
}

impl Bucket {
    fn new(interval: Duration, burst: u32) -> Bucket {
        Bucket {
            interval,
            tolerance: interval * burst.saturating_sub(1),
            next: None,
        }
    }

    /// Books a request made at `now`: returns when it may start (`now` or later).
    fn reserve(&mut self, now: Instant) -> Instant {
        let slot = self.next.map_or(now, |next| next.max(now));
        self.next = Some(slot + self.interval);
        slot.checked_sub(self.tolerance).map_or(now, |s| s.max(now))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_bucket_lets_a_burst_through_then_spaces_requests() {
        let t0 = Instant::now();
        let ms = Duration::from_millis;
        let mut bucket = Bucket::new(ms(500), 3);
        let starts: Vec<Duration> = (0..6).map(|_| bucket.reserve(t0) - t0).collect();
        assert_eq!(starts, [ms(0), ms(0), ms(0), ms(500), ms(1000), ms(1500)]);
        // After a quiet spell the burst is back, and never more than it.
        let later = t0 + Duration::from_secs(60);
        let starts: Vec<Duration> = (0..4).map(|_| bucket.reserve(later) - later).collect();
        assert_eq!(starts, [ms(0), ms(0), ms(0), ms(500)]);
        // A burst of one is plain spacing.
        let mut single = Bucket::new(ms(3000), 1);
        assert_eq!(single.reserve(t0), t0);
        assert_eq!(single.reserve(t0 + ms(1000)), t0 + ms(3000));
        assert_eq!(single.reserve(t0 + ms(9000)), t0 + ms(9000));
    }
}
