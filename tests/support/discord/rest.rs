//! The REST API under `/api/v10`: routes, authentication, Discord's error bodies, rate-limit
//! headers, injected faults and multipart uploads. A message create with `enforce_nonce` and a
//! nonce the bot used in that channel within the last two minutes gets the first message back
//! and creates nothing, as Discord does ([`NONCE_MEMORY`]).
//!
//! Two ways in, one handler: plain HTTP for serenity's `HttpBuilder::proxy` (which only works
//! with its ratelimiter disabled, because the ratelimiter builds requests without the proxy), and
//! an HTTP `CONNECT` tunnel to TLS for a `reqwest` client whose proxy is this server, so that
//! serenity's own ratelimiter can run against the fake (see [`super::FakeDiscord::http_client`]).
//! Inside the tunnel it speaks HTTP/2 to a client that offers it, as discord.com does.
//!
//! The gateway's address depends on the way in, as a proxy-only network would have it: through
//! the tunnel it is Discord's own, `wss://gateway.discord.gg`, which only a `CONNECT` to
//! `gateway.discord.gg:443` reaches (TLS as that host, `Host: gateway.discord.gg`); over plain
//! HTTP it is `ws://127.0.0.1:PORT/gateway`, for serenity clients with no proxy.
//! Each request is handled whole under the state lock, so the fake sees requests one at a time.

use std::convert::Infallible;
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio_rustls::TlsAcceptor;

use super::state::{
    AttachmentRec, ChannelRec, EPHEMERAL, Initial, LOADING, MessageRec, Pinged, Shared, Stall,
    State,
};
use super::{FakeDiscord, gateway, limits, model};

/// How long a bot has for the initial interaction response.
const INITIAL_RESPONSE_WINDOW: Duration = Duration::from_secs(3);
/// How long an interaction token stays valid for edits and follow-ups.
const TOKEN_LIFETIME: Duration = Duration::from_secs(15 * 60);
/// What a 429 asks for when the test did not say.
const DEFAULT_RETRY_AFTER: f64 = 0.25;

/// Accepts connections until the runtime shuts down.
pub async fn accept_loop(shared: Arc<Shared>, listener: TcpListener, tls: TlsAcceptor) {
    while let Ok((stream, _)) = listener.accept().await {
        tokio::spawn(connection(shared.clone(), stream, tls.clone()));
    }
}

async fn connection(shared: Arc<Shared>, stream: TcpStream, tls: TlsAcceptor) {
    let mut head = [0u8; 8];
    match stream.peek(&mut head).await {
        Ok(8) if &head == b"CONNECT " => tunnel(shared, stream, tls).await,
        Ok(_) => {
            // The gateway: Discord does not hold small frames back, and with Nagle's algorithm a
            // lone frame could wait 40 ms for the bot's delayed ACK.
            let _ = stream.set_nodelay(true);
            serve_http(shared, TokioIo::new(stream), false, false).await
        }
        Err(_) => {}
    }
}

/// Answers `CONNECT discord.com:443` or `CONNECT gateway.discord.gg:443`, then speaks TLS as
/// that host inside the tunnel.
async fn tunnel(shared: Arc<Shared>, mut stream: TcpStream, tls: TlsAcceptor) {
    let mut head = Vec::new();
    let mut byte = [0u8; 1];
    while !head.ends_with(b"\r\n\r\n") {
        match stream.read(&mut byte).await {
            Ok(1) => head.push(byte[0]),
            _ => return,
        }
    }
    let text = String::from_utf8_lossy(&head);
    let target = text.split(' ').nth(1).unwrap_or("").to_string();
    shared.with(|s| s.tunnels.push(target.clone()));
    if target != "discord.com:443" && target != GATEWAY_TARGET && target != CDN_TARGET {
        let _ = stream.write_all(b"HTTP/1.1 502 Bad Gateway\r\n\r\n").await;
        return;
    }
    let established = b"HTTP/1.1 200 Connection Established\r\n\r\n";
    if stream.write_all(established).await.is_err() {
        return;
    }
    let Ok(stream) = tls.accept(stream).await else {
        return;
    };
    let http2 = stream.get_ref().1.alpn_protocol() == Some(b"h2");
    serve_http(shared, TokioIo::new(stream), http2, true).await;
}

/// Serves one connection: HTTP/2 when TLS negotiated it (as discord.com does for clients that
/// offer it), HTTP/1.1 otherwise. `tunnelled`: it came through a `CONNECT` tunnel.
async fn serve_http<I>(shared: Arc<Shared>, io: I, http2: bool, tunnelled: bool)
where
    I: hyper::rt::Read + hyper::rt::Write + Unpin + Send + 'static,
{
    let service = service_fn(move |request| {
        // Stamped as hyper accepts the request, before its task waits its turn behind the
        // fake's other work: Discord times a response from its arrival.
        let received = Instant::now();
        let shared = shared.clone();
        async move { Ok::<_, Infallible>(handle(shared, request, received, tunnelled).await) }
    });
    let _ = if http2 {
        hyper::server::conn::http2::Builder::new(hyper_util::rt::TokioExecutor::new())
            .serve_connection(io, service)
            .await
    } else {
        http1::Builder::new()
            .serve_connection(io, service)
            .with_upgrades()
            .await
    };
}

async fn handle(
    shared: Arc<Shared>,
    request: Request<Incoming>,
    received: Instant,
    tunnelled: bool,
) -> Response<Full<Bytes>> {
    let host = request.headers().get("host").and_then(|h| h.to_str().ok());
    let gateway_host = tunnelled && host == Some(GATEWAY_HOST);
    // Over HTTP/2 the host is the request's authority, not a header.
    let authority = request.uri().host().or(host);
    if tunnelled && authority == Some(CDN_HOST) {
        return cdn(&shared, request.uri().path());
    }
    if (request.uri().path() == "/gateway" && !tunnelled) || gateway_host {
        return gateway::upgrade(shared, request);
    }
    let header = |name: &str| {
        request
            .headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_string()
    };
    let (authorization, content_type) = (header("authorization"), header("content-type"));
    let method = request.method().to_string();
    let path = request.uri().path().to_string();
    let query: Vec<(String, String)> = request
        .uri()
        .query()
        .map(|q| form_urlencoded::parse(q.as_bytes()).into_owned().collect())
        .unwrap_or_default();
    let body = match request.into_body().collect().await {
        Ok(body) => body.to_bytes(),
        Err(_) => Bytes::new(),
    };
    let lost = match shared.with(|s| s.take_stall(&method, &path)) {
        Some(Stall::Hang) => {
            shared.with(|s| s.requests.push((method.clone(), path.clone(), 0)));
            // Dropped once the client gives up and resets the stream or closes the connection.
            return std::future::pending().await;
        }
        Some(Stall::Slow(pause)) => {
            tokio::time::sleep(pause).await;
            false
        }
        Some(Stall::Lost) => true,
        None => false,
    };
    // Parsed before taking the lock, which every other request and the test itself wait for.
    let parsed = parse_body(&content_type, &body);
    let answer = shared.with(|state| {
        let answer = match parsed {
            Ok((json, files)) => {
                let req = Req {
                    received: received + state.offset,
                    tunnelled,
                    method: &method,
                    path: &path,
                    query,
                    json,
                    files,
                };
                respond(state, &authorization, &req)
            }
            Err(answer) => answer,
        };
        let status = if lost { 0 } else { answer.status };
        state.requests.push((method.clone(), path.clone(), status));
        answer
    });
    if lost {
        return std::future::pending().await;
    }
    answer.into_response()
}

/// One parsed request.
struct Req<'a> {
    /// When the request arrived, on the fake's clock: Discord times a response from its arrival,
    /// not from when this fake (busy with other requests) got round to it.
    received: Instant,
    /// It came through a `CONNECT` tunnel, as from behind a proxy.
    tunnelled: bool,
    method: &'a str,
    path: &'a str,
    query: Vec<(String, String)>,
    json: Value,
    files: Vec<Upload>,
}

impl Req<'_> {
    fn str(&self, key: &str) -> Option<&str> {
        self.json.get(key).and_then(Value::as_str)
    }

    fn query(&self, key: &str) -> Option<u64> {
        let found = self.query.iter().find(|(k, _)| k == key);
        found.and_then(|(_, v)| v.parse().ok())
    }

    fn file_sizes(&self) -> Vec<usize> {
        self.files.iter().map(|f| f.data.len()).collect()
    }
}

/// A file from a multipart body: `files[index]`.
struct Upload {
    index: u64,
    filename: String,
    content_type: String,
    data: Vec<u8>,
}

enum Body {
    Empty,
    Json(Value),
    Html(&'static str),
}

/// A response before it becomes HTTP.
struct Answer {
    status: u16,
    body: Body,
    headers: Vec<(&'static str, String)>,
}

impl Answer {
    fn json(status: u16, body: Value) -> Answer {
        Answer {
            status,
            body: Body::Json(body),
            headers: Vec::new(),
        }
    }

    fn ok(body: Value) -> Answer {
        Answer::json(200, body)
    }

    fn no_content() -> Answer {
        Answer {
            status: 204,
            body: Body::Empty,
            headers: Vec::new(),
        }
    }

    fn error(status: u16, code: u32, message: &str) -> Answer {
        Answer::json(status, json!({"code": code, "message": message}))
    }

    fn rejected(rejection: &limits::Rejection) -> Answer {
        Answer::json(rejection.status(), rejection.body())
    }

    fn into_response(self) -> Response<Full<Bytes>> {
        let (content_type, bytes) = match self.body {
            Body::Empty => (None, Bytes::new()),
            Body::Json(value) => (Some("application/json"), Bytes::from(value.to_string())),
            Body::Html(page) => (Some("text/html"), Bytes::from_static(page.as_bytes())),
        };
        let mut response = Response::new(Full::new(bytes));
        *response.status_mut() = StatusCode::from_u16(self.status).unwrap();
        let headers = response.headers_mut();
        if let Some(content_type) = content_type {
            headers.insert("content-type", content_type.parse().unwrap());
        }
        for (name, value) in self.headers {
            headers.insert(name, value.parse().unwrap());
        }
        response
    }
}

fn unknown_channel() -> Answer {
    Answer::error(404, 10003, "Unknown Channel")
}

fn unknown_message() -> Answer {
    Answer::error(404, 10008, "Unknown Message")
}

fn unknown_webhook() -> Answer {
    Answer::error(404, 10015, "Unknown Webhook")
}

fn missing_permissions() -> Answer {
    Answer::error(403, 50013, "Missing Permissions")
}

/// `X-RateLimit-*` headers as Discord sends them on every response of a bucket.
fn rate_limit_headers(path: &str, remaining: u32, reset_after: f64) -> Vec<(&'static str, String)> {
    let now = SystemTime::now().duration_since(UNIX_EPOCH).unwrap();
    let reset = now.as_secs_f64() + reset_after;
    let bucket: u32 = path
        .bytes()
        .fold(7, |h, b| h.wrapping_mul(31).wrapping_add(b.into()));
    vec![
        ("x-ratelimit-limit", "5".into()),
        ("x-ratelimit-remaining", remaining.to_string()),
        ("x-ratelimit-reset", format!("{reset:.3}")),
        ("x-ratelimit-reset-after", format!("{reset_after:.3}")),
        ("x-ratelimit-bucket", format!("{bucket:08x}")),
    ]
}

/// The injected failure, shaped like Discord's (and Cloudflare's) own.
fn fault_answer(path: &str, status: u16, retry_after: Option<f64>) -> Answer {
    match status {
        429 => {
            let retry_after = retry_after.unwrap_or(DEFAULT_RETRY_AFTER);
            let mut answer = Answer::json(
                429,
                json!({"message": "You are being rate limited.", "retry_after": retry_after, "global": false}),
            );
            answer.headers = rate_limit_headers(path, 0, retry_after);
            answer
                .headers
                .push(("retry-after", (retry_after.ceil() as u64).to_string()));
            answer.headers.push(("x-ratelimit-scope", "user".into()));
            answer
        }
        502 => Answer {
            status,
            body: Body::Html(
                "<html><head><title>502 Bad Gateway</title></head><body><center><h1>502 Bad Gateway</h1></center><hr><center>cloudflare</center></body></html>",
            ),
            headers: Vec::new(),
        },
        _ => {
            let reason = StatusCode::from_u16(status)
                .ok()
                .and_then(|s| s.canonical_reason())
                .unwrap_or("Error");
            Answer::error(status, 0, &format!("{status}: {reason}"))
        }
    }
}

/// Splits a JSON or multipart body into the JSON payload and the uploaded files.
fn parse_body(content_type: &str, body: &[u8]) -> Result<(Value, Vec<Upload>), Answer> {
    let invalid = || Answer::error(400, 50109, "The request body contains invalid JSON.");
    if let Some(boundary) = content_type
        .strip_prefix("multipart/form-data")
        .and_then(|rest| rest.split("boundary=").nth(1))
    {
        let mut json = json!({});
        let mut files = Vec::new();
        for part in multipart(body, boundary.trim_matches('"')) {
            if part.name == "payload_json" {
                json = serde_json::from_slice(&part.data).map_err(|_| invalid())?;
            } else {
                let index = part
                    .name
                    .strip_prefix("files[")
                    .and_then(|r| r.strip_suffix(']'))
                    .and_then(|n| n.parse().ok())
                    .unwrap_or(0);
                files.push(Upload {
                    index,
                    filename: part.filename.unwrap_or_default(),
                    content_type: part
                        .content_type
                        .unwrap_or_else(|| "application/octet-stream".into()),
                    data: part.data,
                });
            }
        }
        return Ok((json, files));
    }
    if body.is_empty() {
        return Ok((Value::Null, Vec::new()));
    }
    let json = serde_json::from_slice(body).map_err(|_| invalid())?;
    Ok((json, Vec::new()))
}

struct Part {
    name: String,
    filename: Option<String>,
    content_type: Option<String>,
    data: Vec<u8>,
}

/// A small `multipart/form-data` reader: enough for what reqwest sends.
fn multipart(body: &[u8], boundary: &str) -> Vec<Part> {
    let delimiter = format!("--{boundary}");
    let delimiter = delimiter.as_bytes();
    let find = |from: usize| {
        body.get(from..)?
            .windows(delimiter.len())
            .position(|w| w == delimiter)
            .map(|p| p + from)
    };
    let mut parts = Vec::new();
    let Some(mut start) = find(0) else {
        return parts;
    };
    while let Some(end) = find(start + delimiter.len()) {
        let chunk = &body[start + delimiter.len()..end];
        start = end;
        let chunk = chunk.strip_prefix(b"\r\n").unwrap_or(chunk);
        let chunk = chunk.strip_suffix(b"\r\n").unwrap_or(chunk);
        let Some(split) = chunk.windows(4).position(|w| w == b"\r\n\r\n") else {
            continue;
        };
        let head = String::from_utf8_lossy(&chunk[..split]);
        let mut part = Part {
            name: String::new(),
            filename: None,
            content_type: None,
            data: chunk[split + 4..].to_vec(),
        };
        for line in head.lines() {
            let lower = line.to_ascii_lowercase();
            if lower.starts_with("content-disposition:") {
                part.name = quoted(line, "name=").unwrap_or_default();
                part.filename = quoted(line, "filename=");
            } else if lower.starts_with("content-type:") {
                part.content_type = Some(line["content-type:".len()..].trim().to_string());
            }
        }
        parts.push(part);
    }
    parts
}

/// The quoted value after `key` in a header line (`name="files[0]"`).
fn quoted(line: &str, key: &str) -> Option<String> {
    let at = line
        .match_indices(key)
        .find(|(i, _)| *i == 0 || matches!(line.as_bytes()[i - 1], b' ' | b';'))?
        .0;
    let rest = line[at + key.len()..].strip_prefix('"')?;
    Some(rest[..rest.find('"')?].to_string())
}

fn respond(state: &mut State, authorization: &str, req: &Req) -> Answer {
    let Some(route) = req.path.strip_prefix("/api/v10/") else {
        return Answer::error(404, 0, "404: Not Found");
    };
    if authorization != format!("Bot {}", FakeDiscord::TOKEN) {
        return Answer::error(401, 0, "401: Unauthorized");
    }
    state.note_if_early(req.method, req.path, req.received);
    if let Some(fault) = state.take_fault(req.method, req.path) {
        if fault.status == 429 {
            let wait = fault.retry_after.unwrap_or(DEFAULT_RETRY_AFTER);
            let until = req.received + Duration::from_secs_f64(wait);
            let (method, path) = (req.method.to_string(), req.path.to_string());
            state.limited.push((method, path, until));
        }
        return fault_answer(req.path, fault.status, fault.retry_after);
    }
    let segments: Vec<&str> = route.split('/').collect();
    let id = |s: &str| s.parse::<u64>().unwrap_or(0);
    let mut answer = match (req.method, segments.as_slice()) {
        ("GET", ["gateway"]) => Answer::ok(json!({"url": gateway_url(state.port, req.tunnelled)})),
        ("GET", ["gateway", "bot"]) => Answer::ok(json!({
            "url": gateway_url(state.port, req.tunnelled),
            "shards": 1,
            "session_start_limit": {"total": 1000, "remaining": 999, "reset_after": 86_400_000, "max_concurrency": 1},
        })),
        ("GET", ["users", "@me"]) => {
            let mut me = model::user(state, FakeDiscord::APPLICATION_ID);
            me["verified"] = json!(true);
            me["mfa_enabled"] = json!(false);
            Answer::ok(me)
        }
        ("POST", ["users", "@me", "channels"]) => open_dm(state, req),
        ("GET", ["guilds", g]) if id(g) == state.guild.id => {
            Answer::ok(model::partial_guild(state))
        }
        ("GET", ["guilds", g, "roles"]) if id(g) == state.guild.id => {
            Answer::ok(json!(model::roles(state)))
        }
        ("GET", ["guilds", g, "channels"]) if id(g) == state.guild.id => {
            let channels: Vec<Value> = state
                .channels
                .values()
                .filter(|c| c.kind == 0)
                .map(|c| model::channel(state, c))
                .collect();
            Answer::ok(json!(channels))
        }
        ("GET", ["guilds", g, "members", u]) if id(g) == state.guild.id => {
            match state.member(id(u)) {
                Some(_) => Answer::ok(model::member(state, id(u), true)),
                None => Answer::error(404, 10007, "Unknown Member"),
            }
        }
        ("PATCH", ["guilds", g, "members", u]) if id(g) == state.guild.id => {
            edit_member(state, id(u), req)
        }
        ("PUT" | "DELETE", ["guilds", g, "members", u, "roles", r]) if id(g) == state.guild.id => {
            member_role(state, id(u), id(r), req.method == "PUT")
        }
        (_, ["guilds", g, ..]) if id(g) != state.guild.id => {
            Answer::error(404, 10004, "Unknown Guild")
        }
        ("GET", ["channels", c]) => match state.channels.get(&id(c)) {
            Some(channel) => Answer::ok(model::channel(state, channel)),
            None => unknown_channel(),
        },
        ("PATCH", ["channels", c]) => edit_channel(state, id(c), req),
        ("POST", ["channels", c, "typing"]) if state.channels.contains_key(&id(c)) => {
            Answer::no_content()
        }
        ("GET", ["channels", c, "messages"]) => list_messages(state, id(c), req),
        ("POST", ["channels", c, "messages"]) => create_message(state, id(c), req),
        ("GET", ["channels", c, "messages", m]) => match channel_message(state, id(c), id(m)) {
            Ok(message) => Answer::ok(model::message(state, message)),
            Err(answer) => answer,
        },
        ("PATCH", ["channels", c, "messages", m]) => match channel_message(state, id(c), id(m)) {
            Ok(_) => edit_message(state, id(m), req, &[]),
            Err(answer) => answer,
        },
        ("DELETE", ["channels", c, "messages", m]) => match channel_message(state, id(c), id(m)) {
            Ok(_) => {
                state.remove_message(id(m));
                Answer::no_content()
            }
            Err(answer) => answer,
        },
        ("POST", ["channels", c, "messages", m, "threads"]) => {
            thread_from_message(state, id(c), id(m), req)
        }
        ("POST", ["channels", c, "threads"]) => thread(state, id(c), req),
        (_, ["applications", a, ..]) if id(a) != FakeDiscord::APPLICATION_ID => Answer::error(
            403,
            20012,
            "You are not authorized to perform this action on this application",
        ),
        (method, ["applications", _, "guilds", g, "commands", rest @ ..]) => {
            if id(g) != state.guild.id {
                Answer::error(403, 50001, "Missing Access")
            } else {
                commands(state, method, Some(id(g)), rest, req)
            }
        }
        (method, ["applications", _, "commands", rest @ ..]) => {
            commands(state, method, None, rest, req)
        }
        ("POST", ["interactions", i, token, "callback"]) => {
            let answer = callback(state, id(i), token, req);
            note_rejection(state, |r| r.id == id(i), req, &answer);
            answer
        }
        (method, ["webhooks", a, token, rest @ ..]) => {
            let answer = if id(a) == FakeDiscord::APPLICATION_ID {
                webhook(state, method, token, rest, req)
            } else {
                unknown_webhook()
            };
            note_rejection(state, |r| r.token == *token, req, &answer);
            answer
        }
        _ => Answer::error(404, 0, "404: Not Found"),
    };
    if answer.status < 400 {
        answer.headers = rate_limit_headers(req.path, 4, 1.0);
    }
    answer
}

/// The gateway's host, as Discord names it.
pub const GATEWAY_HOST: &str = "gateway.discord.gg";
/// The host Discord serves uploaded files from.
pub const CDN_HOST: &str = "cdn.discordapp.com";
const CDN_TARGET: &str = "cdn.discordapp.com:443";

/// `GET /attachments/<channel>/<id>/<name>` on the CDN: a file posted in a message, or uploaded
/// with a command; 404 otherwise.
fn cdn(shared: &Shared, path: &str) -> Response<Full<Bytes>> {
    let parts: Vec<&str> = path.trim_start_matches('/').split('/').collect();
    let found = shared.with(|s| {
        let found = match parts.as_slice() {
            ["attachments", _, id, name] => id.parse::<u64>().ok().and_then(|id| {
                let posted = s.messages.values().flat_map(|m| &m.attachments);
                posted
                    .chain(s.uploads.values())
                    .find(|a| a.id == id && a.filename == *name)
                    .map(|a| a.bytes.clone())
            }),
            _ => None,
        };
        let status = if found.is_some() { 200 } else { 404 };
        s.downloads.push((path.to_string(), status));
        found
    });
    let (status, body) = match found {
        Some(bytes) => (StatusCode::OK, bytes),
        None => (StatusCode::NOT_FOUND, b"not found".to_vec()),
    };
    let mut response = Response::new(Full::new(Bytes::from(body)));
    *response.status_mut() = status;
    response
}
const GATEWAY_TARGET: &str = "gateway.discord.gg:443";

/// Where the gateway is, for a client that came in through a tunnel or not (see the module doc).
fn gateway_url(port: u16, tunnelled: bool) -> String {
    if tunnelled {
        format!("wss://{GATEWAY_HOST}")
    } else {
        format!("ws://127.0.0.1:{port}/gateway")
    }
}

/// Remembers why a request about an interaction failed, for the test's panic messages.
fn note_rejection(
    state: &mut State,
    which: impl Fn(&super::state::InteractionRec) -> bool,
    req: &Req,
    answer: &Answer,
) {
    if answer.status < 400 {
        return;
    }
    let body = match &answer.body {
        Body::Json(value) => value.to_string(),
        _ => String::new(),
    };
    if let Some(rec) = state.interactions.values_mut().find(|r| which(r)) {
        let note = format!("{} {} -> {} {body}", req.method, req.path, answer.status);
        rec.rejections.push(note);
    }
}

fn open_dm(state: &mut State, req: &Req) -> Answer {
    let recipient = req.json.get("recipient_id").and_then(|v| {
        v.as_str()
            .and_then(|s| s.parse().ok())
            .or_else(|| v.as_u64())
    });
    let Some(user) = recipient.filter(|u| state.member(*u).is_some()) else {
        return Answer::error(400, 50033, "Invalid Recipient(s)");
    };
    let channel = state.dm_channel(user);
    Answer::ok(model::channel(state, &state.channels[&channel]))
}

fn edit_member(state: &mut State, user: u64, req: &Req) -> Answer {
    if state.member(user).is_none() {
        return Answer::error(404, 10007, "Unknown Member");
    }
    let bot_top = state.top_position(FakeDiscord::APPLICATION_ID);
    let outranked = user == state.guild.owner
        || (user != FakeDiscord::APPLICATION_ID && state.top_position(user) >= bot_top);
    let nick = req
        .json
        .get("nick")
        .map(|n| n.as_str().unwrap_or("").to_string());
    if let Some(nick) = &nick {
        if outranked {
            return missing_permissions();
        }
        if nick.chars().count() > 32 {
            let errors = json!({"nick": {"_errors": [{"code": "BASE_TYPE_BAD_LENGTH", "message": "Must be between 1 and 32 in length."}]}});
            return Answer::json(
                400,
                json!({"code": 50035, "message": "Invalid Form Body", "errors": errors}),
            );
        }
    }
    let roles: Option<Vec<u64>> = req.json.get("roles").and_then(Value::as_array).map(|list| {
        let parse = |v: &Value| {
            v.as_str()
                .and_then(|s| s.parse().ok())
                .or_else(|| v.as_u64())
        };
        list.iter().filter_map(parse).collect()
    });
    if let Some(roles) = &roles {
        let current = &state.member(user).unwrap().roles;
        for role in roles.iter().chain(current.iter()) {
            let changed = roles.contains(role) != current.contains(role);
            match state.role_position(*role) {
                None => return Answer::error(404, 10011, "Unknown Role"),
                Some(position) if changed && position >= bot_top => return missing_permissions(),
                Some(_) => {}
            }
        }
    }
    let member = state.member_mut(user).unwrap();
    if let Some(nick) = nick {
        member.nick = Some(nick).filter(|n| !n.is_empty());
    }
    if let Some(roles) = roles {
        member.roles = roles;
    }
    Answer::ok(model::member(state, user, true))
}

fn member_role(state: &mut State, user: u64, role: u64, add: bool) -> Answer {
    let Some(position) = state.role_position(role).filter(|p| *p > 0) else {
        return Answer::error(404, 10011, "Unknown Role");
    };
    if state.member(user).is_none() {
        return Answer::error(404, 10007, "Unknown Member");
    }
    if position >= state.top_position(FakeDiscord::APPLICATION_ID) {
        return missing_permissions();
    }
    let member = state.member_mut(user).unwrap();
    member.roles.retain(|r| *r != role);
    if add {
        member.roles.push(role);
    }
    Answer::no_content()
}

fn edit_channel(state: &mut State, channel: u64, req: &Req) -> Answer {
    let Some(rec) = state.channels.get_mut(&channel) else {
        return unknown_channel();
    };
    if let Some(name) = req.str("name") {
        rec.name = name.to_string();
    }
    if let Some(archived) = req.json.get("archived").and_then(Value::as_bool) {
        rec.archived = archived;
    }
    if let Some(locked) = req.json.get("locked").and_then(Value::as_bool) {
        rec.locked = locked;
    }
    Answer::ok(model::channel(state, &state.channels[&channel]))
}

/// A message that is in `channel` (not an ephemeral one).
fn channel_message(state: &State, channel: u64, message: u64) -> Result<&MessageRec, Answer> {
    if !state.channels.contains_key(&channel) {
        return Err(unknown_channel());
    }
    state
        .messages
        .get(&message)
        .filter(|m| m.channel_id == channel && m.visible_to.is_none())
        .ok_or_else(unknown_message)
}

fn list_messages(state: &State, channel: u64, req: &Req) -> Answer {
    let Some(rec) = state.channels.get(&channel) else {
        return unknown_channel();
    };
    let limit = req.query("limit").unwrap_or(50).clamp(1, 100) as usize;
    let before = req.query("before").unwrap_or(u64::MAX);
    let after = req.query("after").unwrap_or(0);
    let mut ids: Vec<u64> = rec
        .messages
        .iter()
        .copied()
        .filter(|id| *id < before && *id > after)
        .collect();
    ids.reverse();
    let list: Vec<Value> = ids
        .iter()
        .take(limit)
        .map(|id| model::message(state, &state.messages[id]))
        .collect();
    Answer::ok(json!(list))
}

/// The attachments a create or edit leaves on a message: those of `existing` that the payload
/// keeps, plus the uploaded files.
fn attachments(state: &mut State, req: &Req, existing: &[AttachmentRec]) -> Vec<AttachmentRec> {
    let listed = req.json.get("attachments").and_then(Value::as_array);
    let mut kept: Vec<AttachmentRec> = match listed {
        None => existing.to_vec(),
        Some(list) => existing
            .iter()
            .filter(|a| {
                list.iter().any(|entry| {
                    entry.get("filename").is_none()
                        && entry
                            .get("id")
                            .map(|id| id.to_string().trim_matches('"').to_string())
                            == Some(a.id.to_string())
                })
            })
            .cloned()
            .collect(),
    };
    for upload in &req.files {
        let named = listed.and_then(|list| {
            list.iter()
                .find(|e| e.get("id").and_then(Value::as_u64) == Some(upload.index))
                .and_then(|e| e.get("filename").and_then(Value::as_str))
        });
        kept.push(AttachmentRec {
            id: state.snowflake(),
            filename: named.unwrap_or(&upload.filename).to_string(),
            content_type: upload.content_type.clone(),
            bytes: upload.data.clone(),
        });
    }
    kept
}

/// Embeds as Discord stores them: `type` defaults to "rich".
fn embeds(value: Option<&Value>) -> Vec<Value> {
    let list = value.and_then(Value::as_array).cloned().unwrap_or_default();
    list.into_iter()
        .map(|mut embed| {
            if embed.get("type").is_none() {
                embed["type"] = json!("rich");
            }
            embed
        })
        .collect()
}

fn components(value: Option<&Value>) -> Vec<Value> {
    value.and_then(Value::as_array).cloned().unwrap_or_default()
}

/// A new message from a create payload (REST, interaction response or follow-up).
fn new_message(state: &mut State, channel: u64, data: &Value, req: &Req) -> MessageRec {
    let attachments = attachments(state, req, &[]);
    let content = data
        .get("content")
        .and_then(Value::as_str)
        .unwrap_or("")
        .to_string();
    MessageRec {
        id: state.snowflake(),
        channel_id: channel,
        author_id: FakeDiscord::APPLICATION_ID,
        pinged: pinged(&content, data.get("allowed_mentions")),
        content,
        embeds: embeds(data.get("embeds")),
        components: components(data.get("components")),
        attachments,
        flags: data.get("flags").and_then(Value::as_u64).unwrap_or(0) & (EPHEMERAL | 4 | 4096),
        interaction: None,
        visible_to: None,
        created: SystemTime::now(),
        edited: None,
        thread: None,
    }
}

/// Whom a new message notifies, as Discord decides: the mentions in its content, all of them
/// without `allowed_mentions`, otherwise those its `parse` kinds or its id lists allow (the
/// body was checked by [`limits::message`]).
fn pinged(content: &str, allowed: Option<&Value>) -> Pinged {
    let mentioned = |open: &str| -> Vec<u64> {
        let mut found: Vec<u64> = content
            .split(open)
            .skip(1)
            .filter_map(|rest| rest.split_once('>'))
            .filter_map(|(id, _)| id.parse().ok())
            .collect();
        found.sort_unstable();
        found.dedup();
        found
    };
    let mut users = mentioned("<@");
    users.extend(mentioned("<@!"));
    let roles = mentioned("<@&");
    let Some(allowed) = allowed.filter(|a| !a.is_null()) else {
        return Pinged { users, roles };
    };
    let parses = |kind: &str| {
        allowed["parse"]
            .as_array()
            .is_some_and(|p| p.iter().any(|k| k == kind))
    };
    let listed = |key: &str| -> Vec<u64> {
        allowed[key]
            .as_array()
            .map(|ids| {
                ids.iter()
                    .filter_map(|id| id.as_str().and_then(|s| s.parse().ok()).or(id.as_u64()))
                    .collect()
            })
            .unwrap_or_default()
    };
    let keep = |found: Vec<u64>, kind: &str| -> Vec<u64> {
        if parses(kind) {
            found
        } else {
            let ids = listed(kind);
            found.into_iter().filter(|id| ids.contains(id)).collect()
        }
    };
    Pinged {
        users: keep(users, "users"),
        roles: keep(roles, "roles"),
    }
}

fn create_message(state: &mut State, channel: u64, req: &Req) -> Answer {
    let Some(rec) = state.channels.get(&channel) else {
        return unknown_channel();
    };
    if let Some(user) = rec.recipient
        && !state.member(user).is_some_and(|m| m.dms_open)
    {
        return Answer::error(403, 50007, "Cannot send messages to this user");
    }
    if rec.locked {
        return Answer::error(400, 50083, "Thread is archived");
    }
    if let Err(rejection) = limits::message(&req.json, &req.file_sizes(), &[], true) {
        return Answer::rejected(&rejection);
    }
    let nonce = match req.json.get("nonce") {
        Some(Value::String(text)) => Some(text.clone()),
        Some(Value::Number(number)) => Some(number.to_string()),
        _ => None,
    };
    let key = nonce.map(|n| (channel, FakeDiscord::APPLICATION_ID, n));
    if req.json.get("enforce_nonce") == Some(&Value::Bool(true))
        && let Some(earlier) = key.as_ref().and_then(|k| state.nonces.get(k))
        && req.received.duration_since(earlier.1) < NONCE_MEMORY
        && let Some(message) = state.messages.get(&earlier.0)
    {
        let mut body = model::message(state, message);
        body["nonce"] = req.json["nonce"].clone();
        state.nonce_replays += 1;
        return Answer::ok(body);
    }
    let mut message = new_message(state, channel, &req.json, req);
    message.flags &= !EPHEMERAL;
    if let Some(rec) = state.channels.get_mut(&channel) {
        rec.archived = false;
    }
    let mut body = model::message(state, &message);
    if let Some(key) = key {
        body["nonce"] = req.json["nonce"].clone();
        state.nonces.insert(key, (message.id, req.received));
    }
    state.push_message(message);
    Answer::ok(body)
}

/// How long Discord remembers a message's nonce for `enforce_nonce` ("the past few minutes";
/// the fake takes the short end). A create with `enforce_nonce: true` and a nonce the same
/// author used in the same channel within this time gets that message back (200) and creates
/// nothing; once the message is deleted, a new one is created.
const NONCE_MEMORY: Duration = Duration::from_secs(120);

/// Applies an edit payload (`data`, from `req` or an interaction callback) to a message.
fn apply_edit(state: &mut State, id: u64, data: &Value, req: &Req) -> Result<(), Answer> {
    let existing = state.messages[&id].attachments.clone();
    let kept = attachments(state, req, &existing);
    let mut edited = state.messages[&id].clone();
    if let Some(content) = data.get("content") {
        edited.content = content.as_str().unwrap_or("").to_string();
    }
    if data.get("embeds").is_some() {
        edited.embeds = embeds(data.get("embeds"));
    }
    if data.get("components").is_some() {
        edited.components = components(data.get("components"));
    }
    edited.attachments = kept;
    edited.flags &= !LOADING;
    edited.edited = Some(SystemTime::now());
    if edited.content.is_empty()
        && edited.embeds.is_empty()
        && edited.attachments.is_empty()
        && edited.components.is_empty()
    {
        return Err(Answer::rejected(&limits::Rejection::Empty));
    }
    state.messages.insert(id, edited);
    Ok(())
}

fn edit_message(state: &mut State, id: u64, req: &Req, prefix: &[&str]) -> Answer {
    if let Err(rejection) = limits::message(&req.json, &req.file_sizes(), prefix, false) {
        return Answer::rejected(&rejection);
    }
    match apply_edit(state, id, &req.json, req) {
        Ok(()) => Answer::ok(model::message(state, &state.messages[&id])),
        Err(answer) => answer,
    }
}

/// The minutes of inactivity after which Discord may archive a thread: the only values it takes.
const AUTO_ARCHIVE_MINUTES: [u64; 4] = [60, 1440, 4320, 10080];

/// A new thread's name (1–100 characters) and auto-archive duration (one of
/// [`AUTO_ARCHIVE_MINUTES`]; 1440 when absent), or Discord's 50035 naming every bad field.
fn thread_form(req: &Req) -> Result<(String, u16), Answer> {
    let mut errors = serde_json::Map::new();
    let name = req
        .str("name")
        .filter(|name| (1..=100).contains(&name.chars().count()));
    if name.is_none() {
        errors.insert(
            "name".into(),
            json!({"_errors": [{"code": "BASE_TYPE_BAD_LENGTH", "message": "Must be between 1 and 100 in length."}]}),
        );
    }
    let minutes = match req.json.get("auto_archive_duration") {
        None | Some(Value::Null) => Some(1440),
        Some(value) => value.as_u64().filter(|m| AUTO_ARCHIVE_MINUTES.contains(m)),
    };
    if minutes.is_none() {
        errors.insert(
            "auto_archive_duration".into(),
            json!({"_errors": [{"code": "BASE_TYPE_CHOICES", "message": "Value must be one of {60, 1440, 4320, 10080}."}]}),
        );
    }
    match (name, minutes) {
        (Some(name), Some(minutes)) => Ok((name.to_string(), minutes as u16)),
        _ => Err(Answer::json(
            400,
            json!({"code": 50035, "message": "Invalid Form Body", "errors": errors}),
        )),
    }
}

fn new_thread(state: &mut State, id: u64, parent: u64, form: (String, u16), kind: u8) -> Answer {
    let (name, auto_archive) = form;
    let rec = ChannelRec {
        id,
        name,
        kind,
        parent: Some(parent),
        recipient: None,
        owner: Some(FakeDiscord::APPLICATION_ID),
        archived: false,
        locked: false,
        auto_archive,
        position: 0,
        messages: Vec::new(),
    };
    let answer = Answer::json(201, model::channel(state, &rec));
    state.channels.insert(id, rec);
    answer
}

/// `POST /channels/{channel}/messages/{message}/threads`: a public thread started on a message
/// of a text channel. The form is checked (50035), then the message (10008), which carries one
/// thread at most (160004); the thread takes the message's id, as on Discord, and the message
/// object names it under `thread` (with the `HAS_THREAD` flag) from then on.
fn thread_from_message(state: &mut State, channel: u64, message: u64, req: &Req) -> Answer {
    if state.channels.get(&channel).is_none_or(|c| c.kind != 0) {
        return unknown_channel();
    }
    let form = match thread_form(req) {
        Ok(form) => form,
        Err(answer) => return answer,
    };
    match channel_message(state, channel, message) {
        Err(answer) => return answer,
        Ok(m) if m.thread.is_some() => {
            return Answer::error(
                400,
                160004,
                "A thread has already been created for this message",
            );
        }
        Ok(_) => {}
    }
    state.messages.get_mut(&message).unwrap().thread = Some(message);
    new_thread(state, message, channel, form, 11)
}

fn thread(state: &mut State, channel: u64, req: &Req) -> Answer {
    if state.channels.get(&channel).is_none_or(|c| c.kind != 0) {
        return unknown_channel();
    }
    let form = match thread_form(req) {
        Ok(form) => form,
        Err(answer) => return answer,
    };
    let kind = match req.json.get("type").and_then(Value::as_u64) {
        Some(11) => 11,
        _ => 12,
    };
    let id = state.snowflake();
    new_thread(state, id, channel, form, kind)
}

/// Guild (`scope` = guild id) or global commands: list, bulk overwrite, create, delete.
fn commands(
    state: &mut State,
    method: &str,
    scope: Option<u64>,
    rest: &[&str],
    req: &Req,
) -> Answer {
    let in_scope = |c: &Value| {
        c.get("guild_id")
            .and_then(Value::as_str)
            .and_then(|g| g.parse().ok())
            == scope
    };
    match (method, rest) {
        ("GET", []) => Answer::ok(json!(
            state
                .commands
                .iter()
                .filter(|c| in_scope(c))
                .collect::<Vec<_>>()
        )),
        ("PUT", []) => {
            if let Err(rejection) = limits::commands(&req.json) {
                return Answer::rejected(&rejection);
            }
            let list = req.json.as_array().cloned().unwrap_or_default();
            let stored: Vec<Value> = list
                .iter()
                .map(|c| stored_command(state, scope, c))
                .collect();
            state.commands.retain(|c| !in_scope(c));
            state.commands.extend(stored.iter().cloned());
            state.registrations += 1;
            Answer::ok(json!(stored))
        }
        ("POST", []) => {
            if let Err(rejection) = limits::commands(&json!([req.json])) {
                return Answer::rejected(&rejection);
            }
            let command = stored_command(state, scope, &req.json);
            let same = |c: &Value| in_scope(c) && c["name"] == command["name"];
            let existed = state.commands.iter().any(same);
            state.commands.retain(|c| !same(c));
            state.commands.push(command.clone());
            state.registrations += 1;
            Answer::json(if existed { 200 } else { 201 }, command)
        }
        ("DELETE", [id]) => {
            let before = state.commands.len();
            state
                .commands
                .retain(|c| !(in_scope(c) && c["id"] == json!(id)));
            if state.commands.len() == before {
                Answer::error(404, 10063, "Unknown application command")
            } else {
                Answer::no_content()
            }
        }
        _ => Answer::error(404, 0, "404: Not Found"),
    }
}

/// A command as Discord stores it; a command keeps its id across overwrites with the same name.
fn stored_command(state: &mut State, scope: Option<u64>, sent: &Value) -> Value {
    let kind = sent.get("type").and_then(Value::as_u64).unwrap_or(1);
    let guild = scope.map(|g| g.to_string());
    let existing = state.commands.iter().find(|c| {
        c["name"] == sent["name"]
            && c["type"] == json!(kind)
            && c.get("guild_id").and_then(Value::as_str) == guild.as_deref()
    });
    let id = match existing {
        Some(c) => c["id"].clone(),
        None => json!(state.snowflake().to_string()),
    };
    let mut command = json!({
        "id": id,
        "application_id": FakeDiscord::APPLICATION_ID.to_string(),
        "version": state.snowflake().to_string(),
        "type": kind,
        "default_member_permissions": null,
        "nsfw": false,
        "description": "",
        "options": [],
        "integration_types": [0],
        "contexts": null,
    });
    if let Some(guild) = guild {
        command["guild_id"] = json!(guild);
    }
    for (key, value) in sent.as_object().into_iter().flatten() {
        if !value.is_null() && !matches!(key.as_str(), "id" | "application_id" | "version") {
            command[key] = value.clone();
        }
    }
    command
}

/// `POST /interactions/{id}/{token}/callback`: the initial response.
fn callback(state: &mut State, id: u64, token: &str, req: &Req) -> Answer {
    let now = req.received;
    let Some(rec) = state.interactions.get(&id).filter(|r| r.token == token) else {
        return Answer::error(404, 10062, "Unknown interaction");
    };
    if rec.initial.is_some() {
        return Answer::error(400, 40060, "Interaction has already been acknowledged.");
    }
    if now.duration_since(rec.created) > INITIAL_RESPONSE_WINDOW {
        return Answer::error(404, 10062, "Unknown interaction");
    }
    let kind = req.json.get("type").and_then(Value::as_u64).unwrap_or(0) as u8;
    let allowed: &[u8] = match (rec.kind, rec.source_message.is_some()) {
        (2, _) => &[4, 5, 9],
        (3, _) => &[4, 5, 6, 7, 9],
        (4, _) => &[8],
        (_, true) => &[4, 5, 6, 7],
        (_, false) => &[4, 5],
    };
    if !allowed.contains(&kind) {
        let message = format!("Value must be one of {allowed:?}.");
        let errors =
            json!({"type": {"_errors": [{"code": "BASE_TYPE_CHOICES", "message": message}]}});
        return Answer::json(
            400,
            json!({"code": 50035, "message": "Invalid Form Body", "errors": errors}),
        );
    }
    let (user, channel, source) = (rec.user, rec.channel_id, rec.source_message);
    let no_data = json!({});
    let data = req.json.get("data").unwrap_or(&no_data);
    let sizes = req.file_sizes();
    let checked = match kind {
        4 => limits::message(data, &sizes, &["data"], true),
        7 => limits::message(data, &sizes, &["data"], false),
        8 => limits::choices(data),
        9 => limits::modal(data),
        _ => Ok(()),
    };
    if let Err(rejection) = checked {
        return Answer::rejected(&rejection);
    }
    let mut original = source;
    match kind {
        4 | 5 => {
            let mut message = new_message(state, channel, data, req);
            if kind == 5 {
                message.content.clear();
                message.flags = LOADING | (message.flags & EPHEMERAL);
            }
            message.interaction = Some((id, state.interactions[&id].kind));
            original = Some(message.id);
            if message.flags & EPHEMERAL != 0 {
                message.visible_to = Some(user);
                state.messages.insert(message.id, message);
            } else {
                state.push_message(message);
            }
        }
        7 => {
            if let Err(answer) = apply_edit(state, source.unwrap_or_default(), data, req) {
                return answer;
            }
        }
        _ => {}
    }
    let rec = state.interactions.get_mut(&id).unwrap();
    match kind {
        8 => {
            rec.choices = Some(
                data.get("choices")
                    .and_then(Value::as_array)
                    .cloned()
                    .unwrap_or_default(),
            )
        }
        9 => rec.modal = Some(data.clone()),
        _ => rec.original = original,
    }
    rec.initial = Some(Initial { kind, at: now });
    Answer::no_content()
}

/// `/webhooks/{application}/{token}/...`: follow-ups and edits of `@original`.
fn webhook(state: &mut State, method: &str, token: &str, rest: &[&str], req: &Req) -> Answer {
    let now = state.now();
    let Some(rec) = state.interaction_by_token(token) else {
        return unknown_webhook();
    };
    if rec.initial.is_none() {
        return unknown_webhook();
    }
    if now.duration_since(rec.created) > TOKEN_LIFETIME {
        return Answer::error(401, 50027, "Invalid Webhook Token");
    }
    let (id, user, channel, kind) = (rec.id, rec.user, rec.channel_id, rec.kind);
    let deferred_thinking = rec.initial.as_ref().is_some_and(|i| i.kind == 5)
        && rec.original.is_some_and(|m| {
            state
                .messages
                .get(&m)
                .is_some_and(|m| m.flags & LOADING != 0)
        });
    let target = match rest {
        [] => None,
        ["messages", "@original"] => Some(rec.original),
        ["messages", m] => {
            let m = m.parse().unwrap_or(0);
            Some(Some(m).filter(|m| rec.original == Some(*m) || rec.followups.contains(m)))
        }
        _ => return Answer::error(404, 0, "404: Not Found"),
    };
    let original = rec.original;
    match (method, target) {
        ("POST", None) => {
            if let Err(rejection) = limits::message(&req.json, &req.file_sizes(), &[], true) {
                return Answer::rejected(&rejection);
            }
            if deferred_thinking {
                // The first follow-up after a deferral fills the "thinking" message.
                let original = original.unwrap_or_default();
                return match apply_edit(state, original, &req.json, req) {
                    Ok(()) => {
                        state.interactions.get_mut(&id).unwrap().original_edits += 1;
                        Answer::ok(model::message(state, &state.messages[&original]))
                    }
                    Err(answer) => answer,
                };
            }
            let mut message = new_message(state, channel, &req.json, req);
            message.interaction = Some((id, kind));
            let answer = Answer::ok(model::message(state, &message));
            state
                .interactions
                .get_mut(&id)
                .unwrap()
                .followups
                .push(message.id);
            if message.flags & EPHEMERAL != 0 {
                message.visible_to = Some(user);
                state.messages.insert(message.id, message);
            } else {
                state.push_message(message);
            }
            answer
        }
        (_, Some(target)) => {
            let Some(target) = target.filter(|m| state.messages.contains_key(m)) else {
                return unknown_message();
            };
            match method {
                "GET" => Answer::ok(model::message(state, &state.messages[&target])),
                "DELETE" => {
                    state.remove_message(target);
                    Answer::no_content()
                }
                "PATCH" => {
                    let answer = edit_message(state, target, req, &[]);
                    if answer.status < 400 && Some(target) == original {
                        state.interactions.get_mut(&id).unwrap().original_edits += 1;
                    }
                    answer
                }
                _ => Answer::error(405, 0, "405: Method Not Allowed"),
            }
        }
        _ => Answer::error(405, 0, "405: Method Not Allowed"),
    }
}
