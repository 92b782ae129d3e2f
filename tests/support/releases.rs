//! A fake release feed in the shape of GitHub's releases API, on loopback:
//! `GET /repos/<owner>/<name>/releases` lists releases (`tag_name`, `name`, `body`,
//! `created_at`, `html_url`, `assets` with `name`, `url`, `browser_download_url`, `size`), and
//! `GET /assets/<name-or-id>` answers an asset's bytes, as GitHub does for an asset's API URL
//! asked with `Accept: application/octet-stream`. A test sets the releases, can make the feed
//! answer 500, and can have an asset cut short mid-body (`Content-Length` promising more).

#![allow(dead_code)]

use std::io::{Read as _, Write as _};
use std::sync::{Arc, Mutex};

use bytes::Bytes;
use http_body_util::Full;
use hyper::{Request, Response, StatusCode};

use super::http::ServerThread;

/// The repository the tests' feeds serve (`update.repository`).
pub const REPOSITORY: &str = "stagehand-app/stagehand";

/// One release of the feed.
#[derive(Clone, Debug)]
pub struct Release {
    pub tag: String,
    pub notes: String,
    /// (asset name, bytes)
    pub assets: Vec<(String, Vec<u8>)>,
}

#[derive(Default)]
struct State {
    releases: Mutex<Vec<Release>>,
    fail: Mutex<bool>,
    /// Asset names whose download is cut short.
    truncate: Mutex<Vec<String>>,
    requests: Mutex<Vec<String>>,
    /// The raw socket of cut-short downloads.
    short: Mutex<Option<std::net::SocketAddr>>,
}

pub struct FakeReleases {
    server: ServerThread,
    /// Serves cut-short downloads: a raw socket that promises more than it sends.
    short: std::net::SocketAddr,
    state: Arc<State>,
}

impl FakeReleases {
    pub fn start() -> FakeReleases {
        let state = Arc::new(State::default());
        let server = ServerThread::start("fake-releases", state.clone(), handle);
        let short = start_short(state.clone());
        *state.short.lock().unwrap() = Some(short);
        FakeReleases {
            server,
            short,
            state,
        }
    }

    /// `update.base_url`.
    pub fn base_url(&self) -> String {
        format!("http://{}", self.server.addr())
    }

    pub fn set(&self, releases: Vec<Release>) {
        *self.state.releases.lock().unwrap() = releases;
    }

    /// The feed answers 500 while on.
    pub fn fail(&self, on: bool) {
        *self.state.fail.lock().unwrap() = on;
    }

    /// The download of the asset `name` is cut short.
    pub fn truncate(&self, name: &str) {
        self.state.truncate.lock().unwrap().push(name.to_string());
    }

    pub fn requests(&self) -> Vec<String> {
        self.state.requests.lock().unwrap().clone()
    }
}

async fn handle(state: Arc<State>, req: Request<hyper::body::Incoming>) -> Response<Full<Bytes>> {
    let path = req.uri().path().to_string();
    state.requests.lock().unwrap().push(path.clone());
    let answer = |status: StatusCode, body: Vec<u8>, kind: &str| {
        Response::builder()
            .status(status)
            .header("content-type", kind)
            .body(Full::new(Bytes::from(body)))
            .unwrap()
    };
    if *state.fail.lock().unwrap() {
        return answer(
            StatusCode::INTERNAL_SERVER_ERROR,
            b"{\"message\":\"Server Error\"}".to_vec(),
            "application/json",
        );
    }
    let host = req
        .headers()
        .get("host")
        .and_then(|h| h.to_str().ok())
        .unwrap_or("127.0.0.1")
        .to_string();
    if path == format!("/repos/{REPOSITORY}/releases") {
        let releases = state.releases.lock().unwrap().clone();
        let listed: Vec<serde_json::Value> = releases
            .iter()
            .map(|r| {
                let assets: Vec<serde_json::Value> = r
                    .assets
                    .iter()
                    .map(|(name, bytes)| {
                        serde_json::json!({
                            "name": name,
                            "url": format!("http://{host}/assets/{}/{name}", r.tag),
                            "browser_download_url": format!("http://{host}/download/{}/{name}", r.tag),
                            "size": bytes.len(),
                            "content_type": "application/octet-stream",
                        })
                    })
                    .collect();
                serde_json::json!({
                    "tag_name": r.tag,
                    "name": format!("Stagehand {}", r.tag),
                    "body": r.notes,
                    "created_at": "2026-11-30T12:00:00Z",
                    "published_at": "2026-11-30T12:00:00Z",
                    "html_url": format!("http://{host}/releases/tag/{}", r.tag),
                    "draft": false,
                    "prerelease": false,
                    "assets": assets,
                })
            })
            .collect();
        return answer(
            StatusCode::OK,
            serde_json::to_vec(&listed).unwrap(),
            "application/json",
        );
    }
    if let Some(rest) = path.strip_prefix("/assets/")
        && let Some((tag, name)) = rest.split_once('/')
    {
        let releases = state.releases.lock().unwrap().clone();
        let found = releases
            .iter()
            .filter(|r| r.tag == tag)
            .flat_map(|r| r.assets.iter())
            .find(|(n, _)| n == name);
        if let Some((name, bytes)) = found {
            if state.truncate.lock().unwrap().contains(name) {
                // Sent on to the raw socket, which promises the whole file and sends half.
                return Response::builder()
                    .status(StatusCode::FOUND)
                    .header("location", {
                        let short = state.short.lock().unwrap().unwrap();
                        format!("http://{short}/short/{tag}/{name}")
                    })
                    .body(Full::new(Bytes::new()))
                    .unwrap();
            }
            return answer(StatusCode::OK, bytes.clone(), "application/octet-stream");
        }
    }
    answer(
        StatusCode::NOT_FOUND,
        b"{\"message\":\"Not Found\"}".to_vec(),
        "application/json",
    )
}

/// A raw HTTP server that answers `GET /short/<tag>/<name>` with the asset's full
/// `Content-Length`, half its bytes, and a closed connection.
fn start_short(state: Arc<State>) -> std::net::SocketAddr {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    std::thread::Builder::new()
        .name("fake-releases-short".into())
        .spawn(move || {
            for stream in listener.incoming() {
                let Ok(mut stream) = stream else { continue };
                let mut head = Vec::new();
                let mut byte = [0u8; 1];
                while !head.ends_with(b"\r\n\r\n") && stream.read(&mut byte).unwrap_or(0) == 1 {
                    head.push(byte[0]);
                }
                let head = String::from_utf8_lossy(&head).into_owned();
                let path = head.split(' ').nth(1).unwrap_or("").to_string();
                let releases = state.releases.lock().unwrap().clone();
                let bytes = path
                    .strip_prefix("/short/")
                    .and_then(|rest| rest.split_once('/'))
                    .and_then(|(tag, name)| {
                        releases
                            .iter()
                            .filter(|r| r.tag == tag)
                            .flat_map(|r| r.assets.iter())
                            .find(|(n, _)| n == name)
                            .map(|(_, b)| b.clone())
                    })
                    .unwrap_or_default();
                let _ = write!(
                    stream,
                    "HTTP/1.1 200 OK\r\ncontent-type: application/octet-stream\r\ncontent-length: {}\r\nconnection: close\r\n\r\n",
                    bytes.len()
                );
                let _ = stream.write_all(&bytes[..bytes.len() / 2]);
                let _ = stream.flush();
            }
        })
        .unwrap();
    addr
}

impl FakeReleases {
    /// Where the raw socket for cut-short downloads listens.
    pub fn short_addr(&self) -> std::net::SocketAddr {
        self.short
    }
}

/// A release whose assets are `files` (name, bytes).
pub fn release(version: &str, notes: &str, files: &[(String, Vec<u8>)]) -> Release {
    Release {
        tag: format!("v{version}"),
        notes: notes.to_string(),
        assets: files.to_vec(),
    }
}

/// The files of a built release: its archive and `SHA256SUMS`.
pub fn files_of(archive: &std::path::Path, sums: &std::path::Path) -> Vec<(String, Vec<u8>)> {
    vec![
        (
            archive.file_name().unwrap().to_string_lossy().into_owned(),
            std::fs::read(archive).unwrap(),
        ),
        ("SHA256SUMS".to_string(), std::fs::read(sums).unwrap()),
    ]
}

/// `SHA256SUMS` text for `name` with `bytes`.
pub fn sums_for(name: &str, bytes: &[u8]) -> Vec<u8> {
    use sha2::Digest as _;
    let digest: String = sha2::Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    format!("{digest}  {name}\n").into_bytes()
}
