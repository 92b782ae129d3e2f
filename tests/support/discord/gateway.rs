//! The gateway websocket at `/gateway`: HELLO, IDENTIFY → READY + GUILD_CREATE, heartbeats and
//! their ACKs, RESUME with replay of the dispatches the bot missed, and dropped connections.
//!
//! A session outlives its connection: dispatches sent while no connection is live are kept and
//! replayed on RESUME, as Discord does.

use std::sync::Arc;

use bytes::Bytes;
use futures::{SinkExt, StreamExt};
use http_body_util::Full;
use hyper::body::Incoming;
use hyper::{Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use serde_json::{Value, json};
use tokio::sync::mpsc;
use tokio_tungstenite::WebSocketStream;
use tokio_tungstenite::tungstenite::Message as Frame;
use tokio_tungstenite::tungstenite::handshake::derive_accept_key;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;
use tokio_tungstenite::tungstenite::protocol::{CloseFrame, Role};

use super::FakeDiscord;
use super::model;
use super::state::{Outgoing, Session, Shared, State};

/// What HELLO asks for; short, so that tests see heartbeats.
pub const HEARTBEAT_INTERVAL_MS: u64 = 1_500;

/// Gateway intents the fake looks at.
const GUILDS: u64 = 1 << 0;
const GUILD_MEMBERS: u64 = 1 << 1;

/// Answers the websocket handshake and runs the connection once hyper hands the socket over.
pub fn upgrade(shared: Arc<Shared>, request: Request<Incoming>) -> Response<Full<Bytes>> {
    let header = |name: &str| request.headers().get(name).and_then(|v| v.to_str().ok());
    let websocket = header("upgrade").is_some_and(|u| u.eq_ignore_ascii_case("websocket"));
    let Some(accept) = header("sec-websocket-key")
        .filter(|_| websocket)
        .map(|key| derive_accept_key(key.as_bytes()))
    else {
        let mut response = Response::new(Full::new(Bytes::from_static(b"websocket only")));
        *response.status_mut() = StatusCode::BAD_REQUEST;
        return response;
    };
    tokio::spawn(async move {
        if let Ok(upgraded) = hyper::upgrade::on(request).await {
            let io = TokioIo::new(upgraded);
            let socket = WebSocketStream::from_raw_socket(io, Role::Server, None).await;
            connection(shared, socket).await;
        }
    });
    let mut response = Response::new(Full::new(Bytes::new()));
    *response.status_mut() = StatusCode::SWITCHING_PROTOCOLS;
    let headers = response.headers_mut();
    headers.insert("upgrade", "websocket".parse().unwrap());
    headers.insert("connection", "Upgrade".parse().unwrap());
    headers.insert("sec-websocket-accept", accept.parse().unwrap());
    response
}

/// What to do after a payload from the bot.
enum Step {
    Continue,
    Send(Value),
    Close(u16, &'static str),
}

async fn connection<S>(shared: Arc<Shared>, socket: WebSocketStream<S>)
where
    S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin,
{
    let (mut sink, mut stream) = socket.split();
    let (tx, mut rx) = mpsc::unbounded_channel();
    let id = shared.with(|s| {
        s.gateway.connections += 1;
        s.gateway.connections
    });
    let hello =
        json!({"op": 10, "d": {"heartbeat_interval": HEARTBEAT_INTERVAL_MS}, "s": null, "t": null});
    if sink.send(Frame::Text(hello.to_string())).await.is_err() {
        return;
    }
    loop {
        tokio::select! {
            incoming = stream.next() => match incoming {
                Some(Ok(Frame::Text(text))) => {
                    let step = shared.with(|s| on_payload(s, id, &tx, &text));
                    match step {
                        Step::Continue => {}
                        Step::Send(value) => {
                            if sink.send(Frame::Text(value.to_string())).await.is_err() {
                                break;
                            }
                        }
                        Step::Close(code, reason) => {
                            let frame = CloseFrame { code: CloseCode::from(code), reason: reason.into() };
                            let _ = sink.send(Frame::Close(Some(frame))).await;
                            break;
                        }
                    }
                }
                Some(Ok(Frame::Close(_)) | Err(_)) | None => break,
                Some(Ok(_)) => {}
            },
            outgoing = rx.recv() => match outgoing {
                Some(Outgoing::Text(text)) => {
                    if !write_queued(&mut sink, &mut rx, text).await {
                        break;
                    }
                }
                // Dropping both halves closes the socket with no close frame.
                Some(Outgoing::Drop) | None => break,
            },
        }
    }
    shared.with(|s| {
        if s.gateway.live.as_ref().is_some_and(|(live, _)| *live == id) {
            s.gateway.live = None;
        }
    });
}

/// Writes `first` and whatever is queued behind it, then flushes once: a burst of dispatches
/// leaves in a few TCP segments, as from Discord, not one write per event. False when the
/// connection is to end: a write failed, or a drop was queued.
async fn write_queued<S>(
    sink: &mut S,
    rx: &mut mpsc::UnboundedReceiver<Outgoing>,
    first: String,
) -> bool
where
    S: futures::Sink<Frame> + Unpin,
{
    let mut next = Some(Outgoing::Text(first));
    let mut open = true;
    while let Some(outgoing) = next.take() {
        match outgoing {
            Outgoing::Text(text) => {
                if sink.feed(Frame::Text(text)).await.is_err() {
                    return false;
                }
                next = rx.try_recv().ok();
            }
            Outgoing::Drop => open = false,
        }
    }
    sink.flush().await.is_ok() && open
}

/// serenity sends the token with its `Bot ` prefix; Discord accepts either.
fn token_ok(data: &Value) -> bool {
    let token = data.get("token").and_then(Value::as_str).unwrap_or("");
    token.strip_prefix("Bot ").unwrap_or(token) == FakeDiscord::TOKEN
}

fn on_payload(
    state: &mut State,
    connection: u64,
    tx: &mpsc::UnboundedSender<Outgoing>,
    text: &str,
) -> Step {
    let Ok(payload) = serde_json::from_str::<Value>(text) else {
        return Step::Close(4002, "Error while decoding payload.");
    };
    let data = &payload["d"];
    match payload.get("op").and_then(Value::as_u64) {
        Some(1) => {
            state.gateway.heartbeats += 1;
            Step::Send(json!({"op": 11, "d": null, "s": null, "t": null}))
        }
        Some(2) => {
            if !token_ok(data) {
                return Step::Close(4004, "Authentication failed.");
            }
            if state
                .gateway
                .live
                .as_ref()
                .is_some_and(|(live, _)| *live == connection)
            {
                return Step::Close(4005, "Already authenticated.");
            }
            let intents = data.get("intents").and_then(Value::as_u64).unwrap_or(0);
            let session_id = format!("{:x}{connection:08x}", state.snowflake());
            state.gateway.session = Some(Session {
                id: session_id.clone(),
                seq: 0,
                intents,
                events: Vec::new(),
            });
            state.gateway.live = Some((connection, tx.clone()));
            state.gateway.identifies += 1;
            let url = format!("ws://127.0.0.1:{}/gateway", state.port);
            let ready = model::ready(state, &session_id, &url);
            state.dispatch("READY", ready);
            if intents & GUILDS != 0 {
                let guild = model::guild_create(state, intents & GUILD_MEMBERS != 0);
                state.dispatch("GUILD_CREATE", guild);
                state.gateway.ready = true;
            }
            Step::Continue
        }
        Some(6) => {
            let wanted = data.get("session_id").and_then(Value::as_str);
            let seq = data.get("seq").and_then(Value::as_u64).unwrap_or(0);
            let resumable = state
                .gateway
                .session
                .as_ref()
                .filter(|s| Some(s.id.as_str()) == wanted && seq <= s.seq && token_ok(data));
            let Some(session) = resumable else {
                return Step::Send(json!({"op": 9, "d": false, "s": null, "t": null}));
            };
            for (_, missed) in session.events.iter().filter(|(s, _)| *s > seq) {
                let _ = tx.send(Outgoing::Text(missed.clone()));
            }
            state.gateway.live = Some((connection, tx.clone()));
            state.gateway.resumes += 1;
            state.dispatch("RESUMED", json!({}));
            Step::Continue
        }
        _ => Step::Continue,
    }
}
