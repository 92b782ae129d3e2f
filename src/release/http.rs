//! The blocking HTTP client of the release feed and downloads: reqwest with rustls and hickory's
//! resolver (no NSS module needed, so the static binary looks names up anywhere), a deadline
//! per request, and a download that checks its length against `Content-Length`. It is also the
//! transport `self_update` uses for the feed ([`self_update::http_client::HttpClient`]).
//!
//! Blocking: call it outside the async runtime, or from `spawn_blocking`.

use std::io::{Read as _, Write as _};
use std::path::Path;
use std::time::Duration;

use self_update::http_client::{HeaderMap, HttpClient, HttpResponse, header};

use super::ReleaseError;

/// How long a request may take to connect and answer (a download has [`DOWNLOAD_TIMEOUT`]).
const TIMEOUT: Duration = Duration::from_secs(30);
/// The longest a download may take.
const DOWNLOAD_TIMEOUT: Duration = Duration::from_secs(600);

pub struct Client {
    inner: reqwest::blocking::Client,
}

impl Client {
    /// A client whose requests each get `timeout` (30 s by default).
    pub fn new(timeout: Option<Duration>) -> Result<Client, ReleaseError> {
        let inner = reqwest::blocking::Client::builder()
            .use_rustls_tls()
            .user_agent(concat!("stagehand/", env!("CARGO_PKG_VERSION")))
            .connect_timeout(timeout.unwrap_or(TIMEOUT))
            .timeout(timeout.unwrap_or(DOWNLOAD_TIMEOUT))
            .build()
            .map_err(|err| ReleaseError::Io(format!("the HTTP client: {err}")))?;
        Ok(Client { inner })
    }

    /// Downloads `url` into a new file at `path`, calling `progress(done, total)`.
    pub fn download(
        &self,
        url: &str,
        path: &Path,
        what: &str,
        limit: u64,
        progress: &mut dyn FnMut(u64, Option<u64>),
    ) -> Result<(), ReleaseError> {
        let failed = |reason: String| ReleaseError::Download {
            what: what.to_string(),
            reason,
        };
        // GitHub answers an asset's API URL with the file itself (after a redirect) only when
        // asked for octet-stream.
        let mut response = self
            .inner
            .get(url)
            .header(header::ACCEPT, "application/octet-stream")
            .send()
            .map_err(|err| failed(chain(&err)))?;
        if !response.status().is_success() {
            return Err(failed(format!("the server answered {}", response.status())));
        }
        let expected = response.content_length();
        if expected.is_some_and(|n| n > limit) {
            return Err(ReleaseError::TooLarge {
                what: what.to_string(),
                limit,
            });
        }
        let mut file = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(path)
            .map_err(|err| ReleaseError::Io(format!("{}: {err}", path.display())))?;
        let mut done = 0u64;
        let mut buf = vec![0u8; 64 * 1024];
        progress(0, expected);
        loop {
            let n = match response.read(&mut buf) {
                Ok(0) => break,
                Ok(n) => n,
                Err(err) if err.kind() == std::io::ErrorKind::Interrupted => continue,
                Err(err) => {
                    return Err(match expected {
                        Some(expected) if done < expected => ReleaseError::Truncated {
                            what: what.to_string(),
                            got: done,
                            expected,
                        },
                        _ => failed(chain(&err)),
                    });
                }
            };
            done += n as u64;
            if done > limit {
                return Err(ReleaseError::TooLarge {
                    what: what.to_string(),
                    limit,
                });
            }
            file.write_all(&buf[..n])
                .map_err(|err| ReleaseError::Io(format!("{}: {err}", path.display())))?;
            progress(done, expected);
        }
        if let Some(expected) = expected
            && done != expected
        {
            return Err(ReleaseError::Truncated {
                what: what.to_string(),
                got: done,
                expected,
            });
        }
        file.sync_all()
            .map_err(|err| ReleaseError::Io(format!("{}: {err}", path.display())))?;
        Ok(())
    }
}

/// An error with its causes, on one line.
fn chain(err: &dyn std::error::Error) -> String {
    let mut text = err.to_string();
    let mut source = err.source();
    while let Some(inner) = source {
        let more = inner.to_string();
        if !text.contains(&more) {
            text.push_str(": ");
            text.push_str(&more);
        }
        source = inner.source();
    }
    text
}

impl HttpClient for Client {
    fn get(
        &self,
        url: &str,
        headers: &HeaderMap,
        timeout: Option<Duration>,
    ) -> self_update::Result<Box<dyn HttpResponse>> {
        let mut request = self
            .inner
            .get(url)
            .headers(headers.clone())
            .timeout(timeout.unwrap_or(TIMEOUT));
        if !headers.contains_key(header::ACCEPT) {
            request = request.header(header::ACCEPT, "application/vnd.github+json");
        }
        let response = request
            .send()
            .map_err(|err| self_update::Error::transport(chain(&err)))?;
        if !response.status().is_success() {
            return Err(self_update::Error::http_status_error_with_headers(
                response.status().as_u16(),
                url,
                response.headers(),
            ));
        }
        Ok(Box::new(Response {
            headers: response.headers().clone(),
            body: response,
        }))
    }
}

struct Response {
    headers: HeaderMap,
    body: reqwest::blocking::Response,
}

impl HttpResponse for Response {
    fn headers(&self) -> &HeaderMap {
        &self.headers
    }

    fn body(self: Box<Self>) -> Box<dyn std::io::Read> {
        Box::new(self.body)
    }
}
