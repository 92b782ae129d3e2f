//! What can go wrong talking to osu!, as the league needs to tell it apart.

use std::fmt;

/// A failed call to osu!.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum OsuError {
    /// The token endpoint refused the authorization code: wrong, expired, already used, or issued
    /// for another redirect URI. The player should start linking again.
    Denied,
    /// osu! refused the configured client id or secret (`invalid_client`): an admin must fix the
    /// settings `osu.client_id` / `osu.client_secret`.
    BadCredentials,
    /// `osu.client_id` or `osu.client_secret` is not set.
    NotConfigured,
    /// The player (or their scores) is not visible: unknown, deleted or restricted.
    NotFound,
    /// osu! could not be reached or answered something unusable: network error, timeout, 5xx,
    /// an unexpected status, a body that is not the expected JSON, or still rate limited after
    /// the retries. Worth trying again later. The text is for logs.
    Unavailable(String),
}

impl fmt::Display for OsuError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            OsuError::Denied => f.write_str("osu! refused the authorization code"),
            OsuError::BadCredentials => f.write_str(
                "osu! refused the client id or secret (osu.client_id, osu.client_secret)",
            ),
            OsuError::NotConfigured => {
                f.write_str("osu.client_id and osu.client_secret are not both set")
            }
            OsuError::NotFound => f.write_str("no such osu! player (or restricted)"),
            OsuError::Unavailable(detail) => write!(f, "osu! is unavailable: {detail}"),
        }
    }
}

impl std::error::Error for OsuError {}
