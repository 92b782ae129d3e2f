//! The routes. Each request is counted in the metrics under its route's name (never its raw
//! path: a setup path carries a secret). With a certificate of its own (`tls.cert`), every
//! response carries `Strict-Transport-Security`; `/metrics` answers whom `http.metrics` allows.
//! A request body (the setup form's, a Control Panel call's) is read within
//! `http.max_body_bytes` and `http.body_timeout_secs` ([`read_body`]); no other route reads one,
//! and hyper closes the connection of a request whose body is left unread. The Control Panel API
//! is `control_panel`'s.

use crate::store::Read as _;
use std::collections::BTreeMap;
use std::net::IpAddr;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt, Limited};
use hyper::body::Incoming;
use hyper::header::{self, HeaderValue};
use hyper::{Method, Request, Response, StatusCode};

use super::pages::{self, Body};
use super::server::State;
use super::setup::{self, Completion, FormState, TokenCheck};
use crate::config::Settings;
use crate::i18n::{Catalogue, Lang};

/// What browsers are told once the certificate is a real one (from `tls.cert`, or the ACME CA's
/// once it is in use): HTTPS only, for a year. Not with
/// the self-signed certificate, which a browser would then refuse without a way past it.
const HSTS: &str = "max-age=31536000";

/// Answers one request from `client` (the connection's peer address, when known).
pub async fn handle(
    req: Request<Incoming>,
    client: Option<IpAddr>,
    state: Arc<State>,
) -> Response<Body> {
    let (route, mut response) = route(req, client, &state).await;
    let real_certificate = state.settings.tls_cert.is_some()
        || state
            .acme
            .as_ref()
            .is_some_and(|acme| acme.current().is_some());
    if real_certificate {
        response.headers_mut().insert(
            header::STRICT_TRANSPORT_SECURITY,
            HeaderValue::from_static(HSTS),
        );
    }
    state.metrics.record(route, response.status().as_u16());
    tracing::debug!(route, status = response.status().as_u16(), "request");
    response
}

async fn route(
    req: Request<Incoming>,
    client: Option<IpAddr>,
    state: &State,
) -> (&'static str, Response<Body>) {
    let path = req.uri().path().to_string();
    let method = req.method().clone();
    let read_only = method == Method::GET || method == Method::HEAD;
    if let Some(token) = path.strip_prefix("/setup/") {
        return ("setup", setup_page(req, state, token).await);
    }
    let prefix = super::control_panel::PREFIX;
    if path
        .strip_prefix(prefix)
        .is_some_and(|rest| rest.is_empty() || rest.starts_with('/'))
    {
        let response = super::control_panel::handle(req, client, state).await;
        return ("control_panel", response);
    }
    match path.as_str() {
        "/oauth/osu/callback" if read_only => {
            let language = accept_language(&req);
            let page = super::oauth::callback(state, req.uri().query(), language).await;
            ("osu_callback", page)
        }
        "/healthz" if read_only => ("healthz", health(state)),
        "/metrics" if read_only => ("metrics", metrics(state, client)),
        "/" if read_only => {
            let page = super::home::page(state, accept_language(&req));
            ("root", page.unwrap_or_else(|err| internal_error(&err)))
        }
        "/docs" if read_only => (
            "docs",
            pages::bytes(
                StatusCode::OK,
                "text/plain; charset=utf-8",
                super::home::README,
            ),
        ),
        p if read_only && p.starts_with("/static/") => {
            match crate::assets::static_file(&p["/static/".len()..]) {
                Some((mime, data)) => (
                    "static",
                    pages::bytes(StatusCode::OK, mime, data.into_owned()),
                ),
                None => ("static", not_found()),
            }
        }
        "/healthz" | "/metrics" | "/" | "/docs" | "/oauth/osu/callback" => {
            ("not_allowed", method_not_allowed("GET, HEAD"))
        }
        _ => ("not_found", not_found()),
    }
}

/// The request's `Accept-Language`, when it is readable text.
fn accept_language(req: &Request<Incoming>) -> Option<&str> {
    req.headers()
        .get(header::ACCEPT_LANGUAGE)
        .and_then(|v| v.to_str().ok())
}

fn not_found() -> Response<Body> {
    pages::message(
        StatusCode::NOT_FOUND,
        "Not found",
        "There is no page at this address.",
    )
}

fn method_not_allowed(allow: &'static str) -> Response<Body> {
    let mut response = pages::message(
        StatusCode::METHOD_NOT_ALLOWED,
        "Method not allowed",
        "This page does not accept that method.",
    );
    response
        .headers_mut()
        .insert(header::ALLOW, HeaderValue::from_static(allow));
    response
}

/// `/metrics` for `client`, if `http.metrics` lets it read them: 404 when they are off, 403 for
/// a client it does not allow.
fn metrics(state: &State, client: Option<IpAddr>) -> Response<Body> {
    let access = state.settings.http_metrics;
    if access == crate::config::MetricsAccess::Off {
        return not_found();
    }
    if !super::metrics::may_read(access, client) {
        return pages::bytes(
            StatusCode::FORBIDDEN,
            "text/plain; charset=utf-8",
            "Metrics are served only to this machine (http.metrics).\n",
        );
    }
    let text = state.metrics.render(state.store.file_size());
    pages::bytes(
        StatusCode::OK,
        "text/plain; version=0.0.4; charset=utf-8",
        text,
    )
}

fn health(state: &State) -> Response<Body> {
    let read = state.store.read(|r| {
        Ok((
            r.get(&crate::store::META, crate::store::SCHEMA)?,
            super::setup::completed_at(r)?.is_some(),
        ))
    });
    let (status, body) = match read {
        Ok((schema, complete)) => (
            StatusCode::OK,
            serde_json::json!({
                "status": "ok",
                "version": env!("CARGO_PKG_VERSION"),
                "schema": schema,
                "setup": if complete { "complete" } else { "pending" },
            }),
        ),
        Err(err) => {
            tracing::error!(error = %err, "health check could not read the store");
            (
                StatusCode::SERVICE_UNAVAILABLE,
                serde_json::json!({ "status": "error", "version": env!("CARGO_PKG_VERSION") }),
            )
        }
    };
    pages::bytes(status, "application/json", body.to_string())
}

/// The setup page, in the browser's language: the form, its errors, the page after it, and the
/// page of an expired link. An unknown link is the plain 404 of any unknown page.
async fn setup_page(req: Request<Incoming>, state: &State, token: &str) -> Response<Body> {
    let now = state.clock.now();
    let check = match setup::check(&state.store, token, now) {
        Ok(check) => check,
        Err(err) => return internal_error(&err),
    };
    if check == TokenCheck::Invalid {
        return not_found();
    }
    let lang = pages::browser_language(accept_language(&req));
    let texts = match Catalogue::open(&state.store) {
        Ok(texts) => texts,
        Err(err) => return internal_error(&err),
    };
    if check == TokenCheck::Expired {
        return expired(&texts, lang);
    }
    let page = SetupPage {
        action: format!("/setup/{token}"),
        texts: &texts,
        lang,
    };
    match *req.method() {
        Method::GET | Method::HEAD => {
            let suggested = suggested_url(&req, state);
            page.form(StatusCode::OK, &FormState::blank(&suggested))
        }
        Method::POST => {
            let limits = BodyLimits::from(&*state.settings);
            let body = match read_form(req, limits).await {
                Ok(body) => body,
                Err(refused) => return page.refused(refused),
            };
            let values = match setup::validate(&body) {
                Ok(values) => values,
                Err(form) => return page.form(StatusCode::BAD_REQUEST, &form),
            };
            match setup::complete(&state.store, token, &values, now) {
                Ok(Completion::Done) => {
                    tracing::info!("setup completed");
                    (state.on_settings_saved)();
                    let invite_url = format!(
                        "https://discord.com/oauth2/authorize?client_id={}&scope=bot+applications.commands&permissions=268454912",
                        values.application_id()
                    );
                    page.done(&invite_url, &values.module_keys())
                }
                Ok(Completion::TokenGone(TokenCheck::Expired)) => expired(&texts, lang),
                Ok(Completion::TokenGone(_)) => not_found(),
                Err(err) => internal_error(&err),
            }
        }
        _ => method_not_allowed("GET, HEAD, POST"),
    }
}

/// The texts of `setup.html` and `setup_done.html`: `web.setup.<name>`, as `t[name]`.
const FORM_TEXTS: &[&str] = &[
    "title",
    "intro",
    "alert.title",
    "discord.legend",
    "discord.hint",
    "label.discord_token",
    "hint.discord_token",
    "label.application_id",
    "hint.application_id",
    "label.guild_id",
    "hint.guild_id",
    "address.legend",
    "label.public_url",
    "hint.public_url",
    "address.redirect",
    "modules.legend",
    "label.module_league",
    "label.module_requests",
    "osu.legend",
    "osu.note",
    "osu.hint",
    "label.osu_client_id",
    "label.osu_client_secret",
    "submit",
];
const DONE_TEXTS: &[&str] = &[
    "done.title",
    "done.body",
    "done.next",
    "done.invite",
    "done.check",
    "done.keep",
];

/// The setup page of one valid link, in one language.
struct SetupPage<'a> {
    action: String,
    texts: &'a Catalogue,
    lang: Lang,
}

impl SetupPage<'_> {
    fn text(&self, key: &str, params: &[(&str, &str)]) -> String {
        self.texts.render(self.lang, key, params)
    }

    fn t(&self, names: &[&'static str]) -> BTreeMap<&'static str, String> {
        names
            .iter()
            .map(|name| (*name, self.text(&format!("web.setup.{name}"), &[])))
            .collect()
    }

    fn form(&self, status: StatusCode, form: &FormState) -> Response<Body> {
        let public_url = form.values.get("public_url").map_or("", String::as_str);
        let redirect_url = format!("{}/oauth/osu/callback", public_url.trim_end_matches('/'));
        let error_count = form.error_count();
        pages::render(
            status,
            "setup.html",
            minijinja::context! {
                lang => self.lang.code(),
                t => self.t(FORM_TEXTS),
                action => &self.action,
                values => &form.values,
                errors => form.messages(self.texts, self.lang),
                error_count,
                alert => self.text("web.setup.alert.body", &[("count", &error_count.to_string())]),
                redirect_url,
            },
        )
    }

    fn done(&self, invite_url: &str, module_keys: &[&str]) -> Response<Body> {
        let names: Vec<String> = module_keys.iter().map(|key| self.text(key, &[])).collect();
        pages::render(
            StatusCode::OK,
            "setup_done.html",
            minijinja::context! {
                lang => self.lang.code(),
                t => self.t(DONE_TEXTS),
                invite_url,
                modules => self.text("web.setup.done.modules", &[("modules", &names.join(", "))]),
            },
        )
    }

    /// The page for a form whose body was not read (`web.setup.body.<reason>.*`). One too slow
    /// also closes an HTTP/1.1 connection: the rest of its body may still be on the way.
    fn refused(&self, refused: BodyRefused) -> Response<Body> {
        let key = |part| format!("web.setup.body.{}.{part}", refused.name());
        let mut response = pages::message_in(
            refused.status(),
            self.lang,
            &self.text(&key("title"), &[]),
            &self.text(&key("body"), &[]),
        );
        if refused == BodyRefused::TooSlow {
            response
                .headers_mut()
                .insert(header::CONNECTION, HeaderValue::from_static("close"));
        }
        response
    }
}

fn expired(texts: &Catalogue, lang: Lang) -> Response<Body> {
    pages::message_in(
        StatusCode::GONE,
        lang,
        &texts.render(lang, "web.setup.expired.title", &[]),
        &texts.render(lang, "web.setup.expired.body", &[]),
    )
}

fn internal_error(err: &dyn std::fmt::Display) -> Response<Body> {
    tracing::error!(error = %err, "request failed");
    pages::message(
        StatusCode::INTERNAL_SERVER_ERROR,
        "Something went wrong",
        "Stagehand could not complete this request; the details are in its log.",
    )
}

/// The public URL to suggest: the configured one, else the address the browser used.
fn suggested_url(req: &Request<Incoming>, state: &State) -> String {
    if let Some(url) = &state.settings.public_url {
        return url.as_str().to_string();
    }
    let host = req
        .uri()
        .authority()
        .map(|a| a.as_str().to_string())
        .or_else(|| {
            req.headers()
                .get(header::HOST)
                .and_then(|h| h.to_str().ok())
                .map(str::to_string)
        });
    host.map(|h| format!("https://{h}"))
        .filter(|url| <crate::config::BaseUrl as crate::config::SettingType>::parse(url).is_ok())
        .unwrap_or_else(|| state.settings.base_url(state.https_port))
}

/// How much of a request body is read, and for how long.
#[derive(Clone, Copy, Debug)]
pub(super) struct BodyLimits {
    /// `http.max_body_bytes`.
    bytes: u64,
    /// `http.body_timeout_secs`, from the moment the handler starts reading.
    time: Duration,
}

impl From<&Settings> for BodyLimits {
    fn from(settings: &Settings) -> BodyLimits {
        BodyLimits {
            bytes: settings.http_max_body_bytes,
            time: Duration::from_secs(settings.http_body_timeout_secs),
        }
    }
}

/// Why a request body was not read.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum BodyRefused {
    /// Not of the content type the route takes.
    Unsupported,
    /// Longer than `http.max_body_bytes`.
    TooLarge,
    /// Not all there within `http.body_timeout_secs`.
    TooSlow,
    /// The connection failed while it was read.
    Unreadable,
}

impl BodyRefused {
    pub(super) fn status(self) -> StatusCode {
        match self {
            BodyRefused::Unsupported => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            BodyRefused::TooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            BodyRefused::TooSlow => StatusCode::REQUEST_TIMEOUT,
            BodyRefused::Unreadable => StatusCode::BAD_REQUEST,
        }
    }

    /// Its texts: `web.setup.body.<name>.title` and `.body`.
    fn name(self) -> &'static str {
        match self {
            BodyRefused::Unsupported => "unsupported",
            BodyRefused::TooLarge => "too_large",
            BodyRefused::TooSlow => "too_slow",
            BodyRefused::Unreadable => "unreadable",
        }
    }
}

/// Reads a form body within `limits` ([`read_body`]).
async fn read_form(req: Request<Incoming>, limits: BodyLimits) -> Result<Bytes, BodyRefused> {
    read_body(req, limits, |content_type| {
        content_type.starts_with("application/x-www-form-urlencoded")
    })
    .await
}

/// Reads a body whose `Content-Type` (empty when absent) `accepts`, within `limits`. Every
/// request body is read here: a request in progress is never idle (`server.rs`), so without the
/// time limit a client that sends its headers and then trickles its body (or stops) would hold
/// its connection and a task for good.
pub(super) async fn read_body(
    req: Request<Incoming>,
    limits: BodyLimits,
    accepts: impl Fn(&str) -> bool,
) -> Result<Bytes, BodyRefused> {
    let content_type = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    if !accepts(content_type) {
        return Err(BodyRefused::Unsupported);
    }
    let declared = declared_length(req.headers());
    read_all(req.into_body(), declared, limits).await
}

/// The `Content-Length` a request declares, if it is a number.
pub(super) fn declared_length(headers: &hyper::HeaderMap) -> Option<u64> {
    headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok()?.parse::<u64>().ok())
}

/// Reads `body` (`declared` long, if said) within `limits`, whatever its type.
pub(super) async fn read_all(
    body: Incoming,
    declared: Option<u64>,
    limits: BodyLimits,
) -> Result<Bytes, BodyRefused> {
    if declared.is_some_and(|len| len > limits.bytes) {
        return Err(BodyRefused::TooLarge);
    }
    let max = usize::try_from(limits.bytes).unwrap_or(usize::MAX);
    let read = Limited::new(body, max).collect();
    match tokio::time::timeout(limits.time, read).await {
        Ok(Ok(collected)) => Ok(collected.to_bytes()),
        Ok(Err(err)) if err.is::<http_body_util::LengthLimitError>() => Err(BodyRefused::TooLarge),
        Ok(Err(err)) => {
            tracing::debug!(error = %err, "reading a request body failed");
            Err(BodyRefused::Unreadable)
        }
        Err(_) => {
            tracing::debug!(after = ?limits.time, "a request body was too slow; answered 408");
            Err(BodyRefused::TooSlow)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Each page of a form that was not read has its texts in both languages, and each its own.
    #[test]
    fn every_refused_body_has_its_texts_in_both_languages() {
        let texts = Catalogue::defaults();
        let mut seen = std::collections::BTreeSet::new();
        for refused in [
            BodyRefused::Unsupported,
            BodyRefused::TooLarge,
            BodyRefused::TooSlow,
            BodyRefused::Unreadable,
        ] {
            for lang in [Lang::En, Lang::Ru] {
                for part in ["title", "body"] {
                    let key = format!("web.setup.body.{}.{part}", refused.name());
                    let text = texts.render(lang, &key, &[]);
                    assert!(text != key && !text.is_empty(), "{key} ({lang:?})");
                    assert!(seen.insert(text), "{key} ({lang:?}) repeats another text");
                }
            }
        }
    }
}
