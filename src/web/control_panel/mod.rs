//! The Control Panel API (gd-requestbot §11) under [`PREFIX`]: the paths, methods, JSON bodies,
//! answers and `x-key` header of the original Request Bot's API, so the Request Bot Control
//! Panel works unchanged once its base URL points here.
//!
//! - **Off until an admin turns it on** (`/control_panel on`, `stagehand control-panel on`,
//!   `requests::panel`): until then every path here is 404. The OpenAPI 3.1 document of the API
//!   ([`DOCUMENT`], `assets/openapi/control-panel.json`) is served at `openapi.json` without a
//!   key; every other call needs it.
//! - **The key**: no `x-key` (or an empty one) is 403 `{"detail":"Not authenticated"}`, a wrong
//!   one 401 `{"detail":"Wrong token"}`, as the original answered. A wrong key is logged with
//!   the client's address (never the key) and answered later the more wrong keys that address
//!   sent lately ([`Throttle`]); the key is compared in constant time.
//! - **In whose name**: every action is the configured staff member's, through the same use
//!   cases as the Discord commands and widgets (`requests::desk`, `requests::stream`), each one
//!   transaction with its audit event and its posts. A refusal changes nothing.
//! - **Every answer is JSON**, errors as `{"detail": "…"}` with a 4xx status (the panel calls
//!   `.json()` on everything and shows the detail); "no pending request" is `200 null`.
//!
//! The calls and the statuses each may answer are listed once, in [`OPERATIONS`]; a test keeps
//! the document equal to that list, and `tests/control_panel.rs` fuzzes the API from the
//! document.

pub mod body;

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::{Mutex, PoisonError};
use std::time::{Duration, Instant};

use hyper::body::Incoming;
use hyper::header::{self, HeaderValue};
use hyper::{Request, Response, StatusCode};
use serde_json::{Value, json};

use self::body::{Batch, BodyError, Create, Language, Preapprove, Resolve, SentFor};
use super::endpoints::{BodyLimits, BodyRefused, declared_length, read_all};
use super::pages::{self, Body};
use super::server::State;
use crate::i18n::{Catalogue, Lang};
use crate::outbox;
use crate::requests::create::{self, Asker, Form, ON_STREAM_COMMENT, RequestError};
use crate::requests::model::{self, Grade, State as RequestState, Verdict, anchor};
use crate::requests::panel::{self, KeyCheck};
use crate::requests::review::{ReviewError, Said};
use crate::requests::stream::{self, Counts, StreamError};
use crate::requests::widgets::Look;
use crate::requests::{Request as Stored, desk, youtube};
use crate::store::{Read, StoreError};

/// Where the API is served.
pub const PREFIX: &str = crate::requests::panel::PATH;

/// The OpenAPI 3.1 document of the API.
pub const DOCUMENT: &str = include_str!("../../../assets/openapi/control-panel.json");

/// A call of the API.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Call {
    StreamStart,
    StreamEnd,
    Random,
    Oldest,
    Resolve,
    Preapprove,
    Create,
    CreateBatch,
    Document,
}

/// One operation: its method and path (under [`PREFIX`]) and every status it may answer.
#[derive(Clone, Copy, Debug)]
pub struct Operation {
    pub call: Call,
    pub method: &'static str,
    pub path: &'static str,
    pub statuses: &'static [u16],
}

/// Every operation of the API, as the document lists them.
pub const OPERATIONS: &[Operation] = &[
    Operation {
        call: Call::StreamStart,
        method: "POST",
        path: "/message/stream_start",
        statuses: &[200, 401, 403, 404, 408, 409, 413, 415, 422],
    },
    Operation {
        call: Call::StreamEnd,
        method: "POST",
        path: "/message/stream_end",
        statuses: &[200, 401, 403, 404, 408, 409, 413, 415, 422],
    },
    Operation {
        call: Call::Random,
        method: "GET",
        path: "/request/random",
        statuses: &[200, 401, 403, 404],
    },
    Operation {
        call: Call::Oldest,
        method: "GET",
        path: "/request/oldest",
        statuses: &[200, 401, 403, 404],
    },
    Operation {
        call: Call::Resolve,
        method: "POST",
        path: "/request/resolve",
        statuses: &[200, 401, 403, 404, 408, 413, 415, 422],
    },
    Operation {
        call: Call::Preapprove,
        method: "POST",
        path: "/request/preapprove",
        statuses: &[200, 401, 403, 404, 408, 409, 413, 415, 422],
    },
    Operation {
        call: Call::Create,
        method: "POST",
        path: "/request/create",
        statuses: &[200, 401, 403, 404, 408, 409, 413, 415, 422, 503],
    },
    Operation {
        call: Call::CreateBatch,
        method: "POST",
        path: "/request/create_batch",
        statuses: &[200, 401, 403, 404, 408, 409, 413, 415, 422, 503],
    },
    Operation {
        call: Call::Document,
        method: "GET",
        path: "/openapi.json",
        statuses: &[200, 404],
    },
];

/// A refused call: its status and the `detail` the panel shows.
#[derive(Debug)]
struct Refusal {
    status: StatusCode,
    detail: String,
}

impl Refusal {
    fn new(status: StatusCode, detail: impl Into<String>) -> Refusal {
        Refusal {
            status,
            detail: detail.into(),
        }
    }
}

impl From<StoreError> for Refusal {
    fn from(err: StoreError) -> Refusal {
        tracing::error!(error = %err, "a Control Panel call failed");
        Refusal::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "Stagehand could not complete this call; the details are in its log.",
        )
    }
}

impl From<BodyError> for Refusal {
    fn from(BodyError(why): BodyError) -> Refusal {
        Refusal::new(StatusCode::UNPROCESSABLE_ENTITY, why)
    }
}

type Answer = Result<Value, Refusal>;

/// Answers one request under [`PREFIX`] from `client`. Its body is read first, whatever the
/// answer: a connection whose request body is left unread is closed, and a client reusing it
/// (the panel's `requests` does) would meet a closed connection on its next call.
pub async fn handle(
    req: Request<Incoming>,
    client: Option<IpAddr>,
    state: &State,
) -> Response<Body> {
    let (parts, body) = req.into_parts();
    let limits = BodyLimits::from(&*state.settings);
    let declared = declared_length(&parts.headers);
    let bytes = match read_all(body, declared, limits).await {
        Ok(bytes) => bytes,
        Err(refused) => {
            let detail = match refused {
                BodyRefused::TooLarge => "The body is too large (http.max_body_bytes).",
                BodyRefused::TooSlow => "The body did not arrive in time (http.body_timeout_secs).",
                BodyRefused::Unsupported | BodyRefused::Unreadable => "The body could not be read.",
            };
            // The rest of the body may still be on its way: this connection ends here.
            let mut response = json_response(refused.status(), &json!({ "detail": detail }));
            response
                .headers_mut()
                .insert(header::CONNECTION, HeaderValue::from_static("close"));
            return response;
        }
    };
    let answer = answer(&parts, bytes, client, state).await;
    match answer {
        Ok(value) => json_response(StatusCode::OK, &value),
        Err(Refused::Plain(refusal)) => {
            json_response(refusal.status, &json!({ "detail": refusal.detail }))
        }
        Err(Refused::Method(allow)) => {
            let mut response = json_response(
                StatusCode::METHOD_NOT_ALLOWED,
                &json!({ "detail": "Method Not Allowed" }),
            );
            response
                .headers_mut()
                .insert(header::ALLOW, HeaderValue::from_static(allow));
            response
        }
        Err(Refused::Document) => pages::bytes(StatusCode::OK, "application/json", DOCUMENT),
    }
}

/// What [`answer`] gives besides a JSON value.
enum Refused {
    Plain(Refusal),
    /// 405, with the method the path takes.
    Method(&'static str),
    /// Not a refusal: the document, as it is.
    Document,
}

impl From<Refusal> for Refused {
    fn from(refusal: Refusal) -> Refused {
        Refused::Plain(refusal)
    }
}

impl From<BodyError> for Refused {
    fn from(err: BodyError) -> Refused {
        Refused::Plain(err.into())
    }
}

impl From<StoreError> for Refused {
    fn from(err: StoreError) -> Refused {
        Refused::Plain(err.into())
    }
}

fn json_response(status: StatusCode, value: &Value) -> Response<Body> {
    let mut response = pages::bytes(status, "application/json", value.to_string());
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

async fn answer(
    req: &hyper::http::request::Parts,
    bytes: bytes::Bytes,
    client: Option<IpAddr>,
    state: &State,
) -> Result<Value, Refused> {
    let path = req.uri.path();
    let rest = path.strip_prefix(PREFIX).unwrap_or(path);
    if state.store.read(panel::current)?.is_none() {
        return Err(Refusal::new(
            StatusCode::NOT_FOUND,
            "The Control Panel API is off: an admin turns it on with /control_panel on.",
        )
        .into());
    }
    let Some(operation) = OPERATIONS.iter().find(|op| op.path == rest) else {
        return Err(Refusal::new(StatusCode::NOT_FOUND, "There is no such call.").into());
    };
    if req.method.as_str() != operation.method {
        return Err(Refused::Method(operation.method));
    }
    if operation.call == Call::Document {
        return Err(Refused::Document);
    }
    let staff = authenticate(req, client, state).await?;
    // Held until the call is answered: a snapshot loaded from Discord waits for it to finish,
    // and a call that arrives meanwhile waits for the snapshot to be in place.
    let _busy = state.pause.enter().await;
    let now = state.clock.now();
    let texts = Catalogue::open(&state.store)?;
    let guild = state
        .settings_now()
        .discord_guild_id
        .map_or(0, |guild| guild.0);
    let desk = Desk {
        state,
        look: Look {
            texts: &texts,
            guild,
        },
        staff,
        now,
    };
    let value = match operation.call {
        Call::Random => desk.pick(true)?,
        Call::Oldest => desk.pick(false)?,
        call => {
            json_body(req)?;
            match call {
                Call::StreamStart => desk.stream_start(&body::parse(&bytes)?)?,
                Call::StreamEnd => desk.stream_end(&body::parse(&bytes)?).await?,
                Call::Resolve => desk.resolve(&body::parse(&bytes)?)?,
                Call::Preapprove => desk.preapprove(&body::parse(&bytes)?)?,
                Call::Create => desk.create(&body::parse(&bytes)?).await?,
                Call::CreateBatch => desk.create_batch(&body::parse(&bytes)?).await?,
                Call::Random | Call::Oldest | Call::Document => Value::Null,
            }
        }
    };
    Ok(value)
}

/// The staff member the presented key acts for, or the refusal of the key.
async fn authenticate(
    req: &hyper::http::request::Parts,
    client: Option<IpAddr>,
    state: &State,
) -> Result<u64, Refusal> {
    let presented = req.headers.get("x-key").map(|v| v.to_str());
    let presented = match presented {
        None | Some(Ok("")) => {
            return Err(Refusal::new(StatusCode::FORBIDDEN, "Not authenticated"));
        }
        Some(Ok(key)) => key,
        // Not text: no key could look like that.
        Some(Err(_)) => "",
    };
    let checked = if presented.is_empty() {
        KeyCheck::Wrong
    } else {
        state.store.read(|r| panel::check(r, presented))?
    };
    match checked {
        KeyCheck::Staff(staff) => {
            state.throttle.forgive(client);
            Ok(staff)
        }
        KeyCheck::Off => Err(Refusal::new(
            StatusCode::NOT_FOUND,
            "The Control Panel API is off: an admin turns it on with /control_panel on.",
        )),
        KeyCheck::Wrong => {
            let (failures, delay) = state.throttle.failed(client, Instant::now());
            let shown = client.map_or_else(|| "unknown".to_string(), |ip| ip.to_string());
            tracing::warn!(
                client = %shown,
                failures,
                delay_ms = delay.as_millis() as u64,
                "a wrong Control Panel key"
            );
            tokio::time::sleep(delay).await;
            Err(Refusal::new(StatusCode::UNAUTHORIZED, "Wrong token"))
        }
    }
}

/// Refuses a body sent as anything but JSON (a body without a content type is taken as JSON).
fn json_body(req: &hyper::http::request::Parts) -> Result<(), Refusal> {
    let content_type = req
        .headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let essence = content_type.split(';').next().unwrap_or("").trim();
    if essence.is_empty() || essence.eq_ignore_ascii_case("application/json") {
        Ok(())
    } else {
        Err(Refusal::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "Send the body as application/json.",
        ))
    }
}

/// One call's context: the desk as the staff member uses it now.
struct Desk<'a> {
    state: &'a State,
    look: Look<'a>,
    staff: u64,
    now: i64,
}

impl Desk<'_> {
    /// A refusal's text, in English (what the streamer reads in the panel).
    fn say(&self, message: &crate::i18n::Message) -> String {
        self.look.texts.render_message(Lang::En, message)
    }

    /// `GET /request/random` and `/request/oldest`: a pending request, or `null`.
    fn pick(&self, random: bool) -> Answer {
        let found = self.state.store.read(|r| {
            let count = model::pending_count(r)?;
            if count == 0 {
                return Ok(None);
            }
            let nth = if random {
                rand::random_range(0..count)
            } else {
                0
            };
            let Some(id) = model::nth_pending(r, nth)? else {
                return Ok(None);
            };
            let Some(request) = model::get(r, id)? else {
                return Ok(None);
            };
            request_object(r, id, &request).map(Some)
        })?;
        Ok(found.unwrap_or(Value::Null))
    }

    /// `POST /message/stream_start`.
    fn stream_start(&self, body: &body::StreamStart) -> Answer {
        let done = self.state.store.write(|w| {
            match stream::start(w, self.staff, &body.text, self.now) {
                Err(StreamError::Store(err)) => Err(err),
                other => Ok(other),
            }
        })?;
        self.stream_done(done)
    }

    /// `POST /message/stream_end`: the chart is drawn off the runtime's threads, then posted.
    async fn stream_end(&self, body: &body::StreamEnd) -> Answer {
        let counts = Counts {
            approved: body.approved,
            rejected: body.rejected,
            later: body.later,
            not_reviewed: body.not_reviewed,
        };
        let today = jiff::Timestamp::from_second(self.now)
            .map(|t| jiff::tz::TimeZone::UTC.to_datetime(t).date())
            .unwrap_or_default();
        let texts = Catalogue::open(&self.state.store)?;
        let drawn = tokio::task::spawn_blocking(move || stream::chart(&texts, &counts, today))
            .await
            .map_err(|err| {
                tracing::error!(error = %err, "drawing the stream's chart stopped");
                StoreError::Storage("the chart could not be drawn".into())
            })?;
        let chart = match drawn {
            None => None,
            Some(Ok(png)) => Some(png),
            Some(Err(err)) => {
                tracing::error!(error = %err, "the stream's chart could not be drawn");
                None
            }
        };
        let done = self.state.store.write(|w| {
            match stream::end(w, self.staff, &body.text, &counts, chart, self.now) {
                Err(StreamError::Store(err)) => Err(err),
                other => Ok(other),
            }
        })?;
        self.stream_done(done)
    }

    fn stream_done(&self, done: Result<(), StreamError>) -> Answer {
        match done {
            Ok(()) => {
                self.state.outbox.wake();
                Ok(Value::Null)
            }
            Err(StreamError::RouteOff(route)) => Err(Refusal::new(
                StatusCode::CONFLICT,
                format!(
                    "Nothing was posted: the {} route is off or has no channel (/route).",
                    route.name()
                ),
            )),
            Err(StreamError::Store(err)) => Err(err.into()),
        }
    }

    /// `POST /request/resolve`: `false` when the request was resolved already.
    fn resolve(&self, body: &Resolve) -> Answer {
        let grade = body.sent_for.map(|sent_for| match sent_for {
            SentFor::Starrate => Grade::Starrate,
            SentFor::Feature => Grade::Feature,
            SentFor::Epic => Grade::Epic,
            SentFor::Mythic => Grade::Mythic,
            SentFor::Legendary => Grade::Legendary,
        });
        let reason = match body.stream_link.as_deref().map(str::trim) {
            Some(link) if !link.is_empty() => format!("Reviewed on stream: {link}"),
            _ => "Reviewed on stream".to_string(),
        };
        let said = Said {
            review: None,
            reason: Some(reason),
        };
        let id = body.request_id;
        let done = self.state.store.write(|w| {
            let Some(dossier) = model::dossier(w, id)? else {
                return Ok(Err(ReviewError::Gone));
            };
            if dossier.state() == RequestState::Resolved {
                return Ok(Ok(false));
            }
            match desk::resolve(w, &self.look, id, self.staff, grade, &said, self.now) {
                Ok(()) => Ok(Ok(true)),
                Err(ReviewError::Store(err)) => Err(err),
                Err(refused) => Ok(Err(refused)),
            }
        })?;
        match done {
            Ok(resolved) => {
                if resolved {
                    self.state.outbox.wake();
                }
                Ok(Value::Bool(resolved))
            }
            Err(refused) => Err(self.review_refused(id, &refused)),
        }
    }

    /// `POST /request/preapprove`: an approving opinion ("later"); nothing when the staff
    /// member gave one already.
    fn preapprove(&self, body: &Preapprove) -> Answer {
        let said = Said {
            review: None,
            reason: Some("Marked as 'Later' on stream".to_string()),
        };
        let id = body.request_id;
        let done = self.state.store.write(|w| {
            match desk::opine(
                w,
                &self.look,
                id,
                self.staff,
                Verdict::Approve,
                &said,
                self.now,
            ) {
                Ok(()) => Ok(Ok(true)),
                Err(ReviewError::OpinionExists { .. }) => Ok(Ok(false)),
                Err(ReviewError::Store(err)) => Err(err),
                Err(refused) => Ok(Err(refused)),
            }
        })?;
        match done {
            Ok(changed) => {
                if changed {
                    self.state.outbox.wake();
                }
                Ok(Value::Null)
            }
            Err(refused) => Err(self.review_refused(id, &refused)),
        }
    }

    fn review_refused(&self, id: u64, refused: &ReviewError) -> Refusal {
        let status = match refused {
            ReviewError::Gone => {
                return Refusal::new(StatusCode::NOT_FOUND, format!("There is no request {id}."));
            }
            ReviewError::ReviewTooShort | ReviewError::ReasonRequired => {
                StatusCode::UNPROCESSABLE_ENTITY
            }
            _ => StatusCode::CONFLICT,
        };
        Refusal::new(status, self.say(&refused.message()))
    }

    /// `POST /request/create`: the id of the request made, or of the level's pending one.
    async fn create(&self, body: &Create) -> Answer {
        let asker = self.asker(body, false);
        let showcase = self.showcase(body)?;
        if let Some(pending) = self.pending(&asker, body.level_id)? {
            return Ok(json!(pending));
        }
        let level = self.level(body.level_id).await?;
        let form = Form {
            showcase: Some(showcase),
            comment: Some(ON_STREAM_COMMENT.to_string()),
        };
        let done = self.state.store.write(|w| {
            match desk::submit(w, &self.look, &asker, &level, &form, self.now) {
                Ok(done) => Ok(Ok(done.id)),
                Err(RequestError::Pending { id, .. }) => Ok(Ok(id)),
                Err(RequestError::Store(err)) => Err(err),
                Err(refused) => Ok(Err(refused)),
            }
        })?;
        match done {
            Ok(id) => {
                self.state.outbox.wake();
                Ok(json!(id))
            }
            Err(refused) => Err(self.request_refused(&refused)),
        }
    }

    /// `POST /request/create_batch`: every request, or none (one transaction).
    async fn create_batch(&self, batch: &Batch) -> Answer {
        let mut levels = Vec::with_capacity(batch.len());
        for (i, item) in batch.iter().enumerate() {
            let in_batch = |refusal: Refusal| Refusal {
                detail: format!("Request {i} of the batch: {}", refusal.detail),
                ..refusal
            };
            let asker = self.asker(item, true);
            let showcase = self.showcase(item).map_err(in_batch)?;
            let level = match self.pending(&asker, item.level_id).map_err(in_batch)? {
                Some(_) => None,
                None => Some(self.level(item.level_id).await.map_err(in_batch)?),
            };
            levels.push((asker, showcase, level));
        }
        let done = self.state.store.write(|w| {
            for (i, (asker, showcase, level)) in levels.iter().enumerate() {
                let Some(level) = level else { continue };
                let form = Form {
                    showcase: Some(showcase.clone()),
                    comment: Some(ON_STREAM_COMMENT.to_string()),
                };
                match desk::submit(w, &self.look, asker, level, &form, self.now) {
                    Ok(_) | Err(RequestError::Pending { .. }) => {}
                    Err(RequestError::Store(err)) => return Err(err),
                    Err(refused) => return Ok(Err((i, refused))),
                }
            }
            Ok(Ok(()))
        })?;
        match done {
            Ok(()) => {
                self.state.outbox.wake();
                Ok(Value::Null)
            }
            Err((i, refused)) => {
                let refusal = self.request_refused(&refused);
                Err(Refusal {
                    detail: format!("Request {i} of the batch: {}", refusal.detail),
                    ..refusal
                })
            }
        }
    }

    fn asker(&self, body: &Create, batch: bool) -> Asker {
        let lang = match body.language {
            Language::English => Lang::En,
            Language::Russian => Lang::Ru,
        };
        Asker::on_stream(self.staff, body.creator_name.trim(), lang, batch)
    }

    /// The showcase link as given, if it is a YouTube video's.
    fn showcase(&self, body: &Create) -> Result<String, Refusal> {
        let link = body.showcase_yt_link.trim();
        youtube::parse(link)
            .map(|_| link.to_string())
            .map_err(|err| {
                Refusal::new(
                    StatusCode::UNPROCESSABLE_ENTITY,
                    self.say(&err.message(link)),
                )
            })
    }

    /// The id of the level's pending request, if it has one; a desk that takes no request now
    /// is refused.
    fn pending(&self, asker: &Asker, level: u64) -> Result<Option<u64>, Refusal> {
        let checked = self
            .state
            .store
            .read(|r| Ok(create::before_lookup(r, asker, level, self.now)))?;
        match checked {
            Ok(()) => Ok(None),
            Err(RequestError::Pending { id, .. }) => Ok(Some(id)),
            Err(RequestError::Store(err)) => Err(err.into()),
            Err(refused) => Err(self.request_refused(&refused)),
        }
    }

    /// The level, from the GD server.
    async fn level(&self, id: u64) -> Result<crate::gd::Level, Refusal> {
        match self.state.gd.level(id).await {
            Ok(Some(level)) => Ok(level),
            Ok(None) => Err(self.request_refused(&RequestError::NotFound(id))),
            Err(err) => {
                tracing::warn!(level = id, error = %err, "a level lookup failed");
                Err(Refusal::new(
                    StatusCode::SERVICE_UNAVAILABLE,
                    self.say(&err.message()),
                ))
            }
        }
    }

    fn request_refused(&self, refused: &RequestError) -> Refusal {
        let status = match refused {
            RequestError::NotFound(_) => StatusCode::NOT_FOUND,
            RequestError::BadShowcase { .. } | RequestError::ShowcaseRequired => {
                StatusCode::UNPROCESSABLE_ENTITY
            }
            _ => StatusCode::CONFLICT,
        };
        Refusal::new(status, self.say(&refused.message()))
    }
}

/// A request as the original's `request` row (§11.2): the 14 keys the panel reads.
fn request_object(r: &impl Read, id: u64, request: &Stored) -> Result<Value, StoreError> {
    let resolved = !is_pending(r, id)?;
    let details = if resolved {
        outbox::posted(r, &anchor::archive(id))?
    } else {
        outbox::posted(r, &anchor::reviewers(id))?
    };
    let resolution = outbox::posted(r, &anchor::resolution(id))?;
    let (author, is_user) = match &request.author {
        model::Author::User(user) => (user.to_string(), true),
        model::Author::Name(name) => (name.clone(), false),
    };
    let at = naive_utc(request.requested_at);
    Ok(json!({
        "id": id,
        "level_id": request.level.id,
        "language": match request.lang {
            Lang::En => "eng",
            Lang::Ru => "rus",
        },
        "level_name": request.level.name,
        "yt_link": request.showcase,
        "additional_comment": request.comment,
        "request_author": author,
        "is_author_user_id": is_user,
        "details_message_id": details.map(|p| p.message),
        "details_message_channel_id": details.map(|p| p.channel),
        "resolution_message_id": resolution.map(|p| p.message),
        "resolution_message_channel_id": resolution.map(|p| p.channel),
        "created_at": at,
        "requested_at": at,
    }))
}

fn is_pending(r: &impl Read, id: u64) -> Result<bool, StoreError> {
    Ok(r.get(&model::REQUESTS_PENDING, &id)?.is_some())
}

/// `2026-11-01T00:00:00`: UTC, without an offset, as the original's SQLite gave it.
fn naive_utc(at: i64) -> String {
    jiff::Timestamp::from_second(at)
        .unwrap_or(jiff::Timestamp::UNIX_EPOCH)
        .strftime("%Y-%m-%dT%H:%M:%S")
        .to_string()
}

/// How much longer each further wrong key from one client is answered, up to [`MAX_DELAY`].
const FIRST_DELAY: Duration = Duration::from_millis(500);
/// The longest a wrong key waits for its answer.
const MAX_DELAY: Duration = Duration::from_secs(8);
/// Wrong keys older than this are forgotten.
const FORGET_AFTER: Duration = Duration::from_secs(15 * 60);
/// Past this many clients remembered, those forgotten are dropped on the next wrong key.
const PRUNE_AT: usize = 4096;

/// Wrong keys by client (an IPv4 address or an IPv6 /64): the first is answered at once, each
/// next one within [`FORGET_AFTER`] of the last twice as late as the one before (from
/// [`FIRST_DELAY`] to [`MAX_DELAY`]), so guessing costs time without making the streamer who
/// mistyped wait long. Kept in memory only: a restart forgives.
#[derive(Debug, Default)]
pub struct Throttle {
    wrong: Mutex<HashMap<Option<IpAddr>, (u32, Instant)>>,
}

impl Throttle {
    /// Counts a wrong key from `client` at `now`: how many it sent lately, and how long to
    /// wait before answering this one.
    pub fn failed(&self, client: Option<IpAddr>, now: Instant) -> (u32, Duration) {
        let mut wrong = self.wrong.lock().unwrap_or_else(PoisonError::into_inner);
        if wrong.len() >= PRUNE_AT {
            wrong.retain(|_, (_, last)| now.duration_since(*last) < FORGET_AFTER);
        }
        let entry = wrong
            .entry(client.map(super::server::client_of))
            .or_insert((0, now));
        if now.duration_since(entry.1) >= FORGET_AFTER {
            entry.0 = 0;
        }
        entry.0 = entry.0.saturating_add(1);
        entry.1 = now;
        (entry.0, delay(entry.0))
    }

    /// A right key from `client`: its wrong ones are forgotten.
    pub fn forgive(&self, client: Option<IpAddr>) {
        let mut wrong = self.wrong.lock().unwrap_or_else(PoisonError::into_inner);
        wrong.remove(&client.map(super::server::client_of));
    }
}

/// The wait before answering the `failures`th wrong key in a row.
fn delay(failures: u32) -> Duration {
    match failures {
        0 | 1 => Duration::ZERO,
        n => FIRST_DELAY
            .saturating_mul(1 << (n - 2).min(8))
            .min(MAX_DELAY),
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    /// The document lists exactly the operations served, each with exactly the statuses it
    /// may answer, and every call but the document itself needs the key.
    #[test]
    fn the_document_describes_the_routes() {
        let document: Value = serde_json::from_str(DOCUMENT).unwrap();
        assert_eq!(document["openapi"], "3.1.0");
        assert_eq!(document["servers"][0]["url"], PREFIX);
        let paths = document["paths"].as_object().unwrap();
        let mut documented: Vec<(String, String)> = Vec::new();
        for (path, item) in paths {
            for (method, operation) in item.as_object().unwrap() {
                documented.push((method.to_uppercase(), path.clone()));
                let served = OPERATIONS
                    .iter()
                    .find(|op| op.path == path && op.method.eq_ignore_ascii_case(method))
                    .unwrap_or_else(|| panic!("{method} {path} is documented but not served"));
                let mut statuses: Vec<u16> = operation["responses"]
                    .as_object()
                    .unwrap()
                    .keys()
                    .map(|code| code.parse().unwrap())
                    .collect();
                statuses.sort_unstable();
                assert_eq!(statuses, served.statuses, "{method} {path}");
                let open = operation.get("security") == Some(&json!([]));
                assert_eq!(open, served.call == Call::Document, "{method} {path}");
                let has_body = operation.get("requestBody").is_some();
                assert_eq!(has_body, served.method == "POST", "{method} {path}");
            }
        }
        let mut served: Vec<(String, String)> = OPERATIONS
            .iter()
            .map(|op| (op.method.to_string(), op.path.to_string()))
            .collect();
        documented.sort();
        served.sort();
        assert_eq!(documented, served);
        // Every `$ref` points at something the document has.
        let text = DOCUMENT;
        for reference in text.split("\"$ref\": \"#/").skip(1) {
            let pointer = reference.split('"').next().unwrap();
            assert!(
                document.pointer(&format!("/{pointer}")).is_some(),
                "{pointer}"
            );
        }
    }

    /// The limits the document gives each body are the ones the parser applies.
    #[test]
    fn the_document_states_the_parsers_limits() {
        let document: Value = serde_json::from_str(DOCUMENT).unwrap();
        let schema = |name: &str| &document["components"]["schemas"][name]["properties"];
        assert_eq!(schema("StreamStart")["text"]["maxLength"], body::MAX_TEXT);
        assert_eq!(schema("StreamEnd")["approved"]["maximum"], body::MAX_COUNT);
        assert_eq!(schema("Create")["level_id"]["maximum"], body::MAX_LEVEL_ID);
        assert_eq!(
            schema("Create")["creator_name"]["maxLength"],
            body::MAX_CREATOR
        );
        assert_eq!(
            schema("Create")["showcase_yt_link"]["maxLength"],
            body::MAX_LINK
        );
        assert_eq!(
            schema("Resolve")["request_id"]["maximum"],
            body::MAX_REQUEST_ID
        );
        assert_eq!(
            schema("Resolve")["stream_link"]["maxLength"],
            body::MAX_LINK
        );
        let batch = &document["paths"]["/request/create_batch"]["post"]["requestBody"]["content"]["application/json"]
            ["schema"];
        assert_eq!(batch["maxItems"], body::MAX_BATCH);
        let request = &document["components"]["schemas"]["Request"]["required"];
        assert_eq!(request.as_array().unwrap().len(), 14);
    }

    #[test]
    fn wrong_keys_wait_longer_each_time_and_are_forgotten() {
        let throttle = Throttle::default();
        let ip: Option<IpAddr> = Some("10.0.0.1".parse().unwrap());
        let t0 = Instant::now();
        let waits: Vec<u64> = (0..7)
            .map(|i| {
                let (_, wait) = throttle.failed(ip, t0 + Duration::from_secs(i));
                wait.as_millis() as u64
            })
            .collect();
        assert_eq!(waits, [0, 500, 1000, 2000, 4000, 8000, 8000]);
        // Another client has its own count.
        let other: Option<IpAddr> = Some("10.0.0.2".parse().unwrap());
        assert_eq!(throttle.failed(other, t0).1, Duration::ZERO);
        // Fifteen quiet minutes, or the right key, and it starts again.
        let later = t0 + Duration::from_secs(7) + FORGET_AFTER;
        assert_eq!(throttle.failed(ip, later), (1, Duration::ZERO));
        assert_eq!(throttle.failed(ip, later).1, FIRST_DELAY);
        throttle.forgive(ip);
        assert_eq!(throttle.failed(ip, later).1, Duration::ZERO);
        assert_eq!(delay(u32::MAX), MAX_DELAY);
    }

    #[test]
    fn times_are_naive_utc() {
        assert_eq!(naive_utc(1_793_491_200), "2026-11-01T00:00:00");
    }
}
