//! `bot::lookup::Lookup` answered through serenity's HTTP client: a member by id, for their roles
//! or their name (`GET /guilds/{guild}/members/{user}`) and a message by its place (`GET
//! /channels/{channel}/messages/{message}`), with Discord's "unknown" and "no access" answers
//! read as "not there" and anything else as [`Unreachable`].
//!
//! The bot's context is made before the client whose HTTP client answers; [`Serenity::connect`]
//! hands it over once the client exists, and a question before that is [`Unreachable`].

use std::sync::{Arc, OnceLock};

use serenity::all::{ChannelId, GuildId, Http, MessageId, UserId};

use crate::bot::lookup::{Asked, Lookup, Unreachable};
use crate::outbox::Posted;

/// Discord's JSON error codes that mean "not there".
const UNKNOWN_CHANNEL: isize = 10003;
const UNKNOWN_MEMBER: isize = 10007;
const UNKNOWN_MESSAGE: isize = 10008;
const UNKNOWN_USER: isize = 10013;
const MISSING_ACCESS: isize = 50001;

/// The guild's members and messages, asked over serenity's `Http`; uploaded files fetched with
/// the REST client's own `reqwest` client (its proxy and certificates).
pub struct Serenity {
    guild: u64,
    http: OnceLock<Arc<Http>>,
    files: reqwest::Client,
}

/// The hosts Discord serves uploaded files from: a download goes nowhere else.
const FILE_HOSTS: [&str; 2] = ["cdn.discordapp.com", "media.discordapp.net"];

/// How long a download may take (a snapshot of a large store is tens of megabytes).
const DOWNLOAD_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(300);

impl Serenity {
    pub fn new(guild: u64, files: reqwest::Client) -> Serenity {
        Serenity {
            guild,
            http: OnceLock::new(),
            files,
        }
    }

    /// Answers from now on with `http` (the client's own, with its ratelimiter).
    pub fn connect(&self, http: Arc<Http>) {
        let _ = self.http.set(http);
    }

    fn http(&self) -> Result<&Http, Unreachable> {
        self.http
            .get()
            .map(Arc::as_ref)
            .ok_or_else(|| Unreachable("the Discord client is not connected yet".into()))
    }
}

/// Discord's status and JSON error code, when it answered with an error.
fn refusal(err: &serenity::Error) -> Option<(u16, isize)> {
    match err {
        serenity::Error::Http(serenity::http::HttpError::UnsuccessfulRequest(response)) => {
            Some((response.status_code.as_u16(), response.error.code))
        }
        _ => None,
    }
}

impl Lookup for Serenity {
    fn member_roles(&self, user: u64) -> Asked<'_, Option<Vec<u64>>> {
        Box::pin(async move {
            let http = self.http()?;
            match http
                .get_member(GuildId::new(self.guild), UserId::new(user))
                .await
            {
                Ok(member) => Ok(Some(member.roles.iter().map(|r| r.get()).collect())),
                Err(err) => match refusal(&err) {
                    Some((404, UNKNOWN_MEMBER | UNKNOWN_USER)) => Ok(None),
                    _ => Err(Unreachable(err.to_string())),
                },
            }
        })
    }

    fn member_name(&self, user: u64) -> Asked<'_, Option<String>> {
        Box::pin(async move {
            let http = self.http()?;
            match http
                .get_member(GuildId::new(self.guild), UserId::new(user))
                .await
            {
                Ok(member) => Ok(Some(member.display_name().to_string())),
                Err(err) => match refusal(&err) {
                    Some((404, UNKNOWN_MEMBER | UNKNOWN_USER)) => Ok(None),
                    _ => Err(Unreachable(err.to_string())),
                },
            }
        })
    }

    fn message_exists(&self, place: Posted) -> Asked<'_, bool> {
        Box::pin(async move {
            let http = self.http()?;
            let asked = http
                .get_message(ChannelId::new(place.channel), MessageId::new(place.message))
                .await;
            match asked {
                Ok(_) => Ok(true),
                Err(err) => match refusal(&err) {
                    Some((_, UNKNOWN_MESSAGE | UNKNOWN_CHANNEL | MISSING_ACCESS)) => Ok(false),
                    _ => Err(Unreachable(err.to_string())),
                },
            }
        })
    }

    fn download(&self, url: &str, max: u64) -> Asked<'_, Option<Vec<u8>>> {
        let parsed = url::Url::parse(url);
        Box::pin(async move {
            let url = parsed.map_err(|e| Unreachable(format!("not a URL: {e}")))?;
            let on_cdn = url.scheme() == "https"
                && url
                    .host_str()
                    .is_some_and(|host| FILE_HOSTS.contains(&host));
            if !on_cdn {
                return Err(Unreachable(format!(
                    "{} is not a file on Discord's CDN",
                    url.host_str().unwrap_or("(no host)")
                )));
            }
            let mut response = self
                .files
                .get(url)
                .timeout(DOWNLOAD_TIMEOUT)
                .send()
                .await
                .and_then(reqwest::Response::error_for_status)
                .map_err(|e| Unreachable(e.to_string()))?;
            if response.content_length().is_some_and(|len| len > max) {
                return Ok(None);
            }
            let mut bytes = Vec::new();
            while let Some(chunk) = response
                .chunk()
                .await
                .map_err(|e| Unreachable(e.to_string()))?
            {
                if bytes.len() as u64 + chunk.len() as u64 > max {
                    return Ok(None);
                }
                bytes.extend_from_slice(&chunk);
            }
            Ok(Some(bytes))
        })
    }
}
