//! The routes. Each request is counted in the metrics under its route's name (never its raw
//! path: a setup path carries a secret).

use crate::store::Read as _;
use std::sync::Arc;

use bytes::Bytes;
use http_body_util::{BodyExt, Limited};
use hyper::body::Incoming;
use hyper::header::{self, HeaderValue};
use hyper::{Method, Request, Response, StatusCode};

use super::pages::{self, Body};
use super::server::State;
use super::setup::{self, Completion, FormState, TokenCheck};

pub async fn handle(req: Request<Incoming>, state: Arc<State>) -> Response<Body> {
    let (route, response) = route(req, &state).await;
    state.metrics.record(route, response.status().as_u16());
    tracing::debug!(route, status = response.status().as_u16(), "request");
    response
}

async fn route(req: Request<Incoming>, state: &State) -> (&'static str, Response<Body>) {
    let path = req.uri().path().to_string();
    let method = req.method().clone();
    let read_only = method == Method::GET || method == Method::HEAD;
    if let Some(token) = path.strip_prefix("/setup/") {
        return ("setup", setup_page(req, state, token).await);
    }
    match path.as_str() {
        "/oauth/osu/callback" if read_only => {
            let language = accept_language(&req);
            let page = super::oauth::callback(state, req.uri().query(), language).await;
            ("osu_callback", page)
        }
        "/healthz" if read_only => ("healthz", health(state)),
        "/metrics" if read_only => {
            let text = state.metrics.render(state.store.file_size());
            (
                "metrics",
                pages::bytes(
                    StatusCode::OK,
                    "text/plain; version=0.0.4; charset=utf-8",
                    text,
                ),
            )
        }
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

async fn setup_page(req: Request<Incoming>, state: &State, token: &str) -> Response<Body> {
    let now = state.clock.now();
    let check = match setup::check(&state.store, token, now) {
        Ok(check) => check,
        Err(err) => return internal_error(&err),
    };
    match check {
        TokenCheck::Invalid => return not_found(),
        TokenCheck::Expired => return expired(),
        TokenCheck::Valid => {}
    }
    let action = format!("/setup/{token}");
    match *req.method() {
        Method::GET | Method::HEAD => {
            let suggested = suggested_url(&req, state);
            form_page(StatusCode::OK, &action, &FormState::blank(&suggested))
        }
        Method::POST => {
            let body = match read_form(req, state.settings.http_max_body_bytes).await {
                Ok(body) => body,
                Err(response) => return response,
            };
            let values = match setup::validate(&body) {
                Ok(values) => values,
                Err(form) => return form_page(StatusCode::BAD_REQUEST, &action, &form),
            };
            match setup::complete(&state.store, token, &values, now) {
                Ok(Completion::Done) => {
                    tracing::info!("setup completed");
                    (state.on_settings_saved)();
                    let invite_url = format!(
                        "https://discord.com/oauth2/authorize?client_id={}&scope=bot+applications.commands&permissions=268454912",
                        values.application_id()
                    );
                    pages::render(
                        StatusCode::OK,
                        "setup_done.html",
                        minijinja::context! { invite_url, modules => values.module_names() },
                    )
                }
                Ok(Completion::TokenGone(TokenCheck::Expired)) => expired(),
                Ok(Completion::TokenGone(_)) => not_found(),
                Err(err) => internal_error(&err),
            }
        }
        _ => method_not_allowed("GET, HEAD, POST"),
    }
}

fn form_page(status: StatusCode, action: &str, form: &FormState) -> Response<Body> {
    let public_url = form.values.get("public_url").map_or("", String::as_str);
    let redirect_url = format!("{}/oauth/osu/callback", public_url.trim_end_matches('/'));
    pages::render(
        status,
        "setup.html",
        minijinja::context! {
            action,
            values => &form.values,
            errors => &form.errors,
            error_count => form.error_count(),
            redirect_url,
        },
    )
}

fn expired() -> Response<Body> {
    pages::message(
        StatusCode::GONE,
        "This setup link has expired",
        "Setup links work for 30 minutes. When one expires, Stagehand prints a fresh one where \
         `stagehand serve` runs (its output or service log).",
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

/// Reads a form body no larger than `limit`, or the error response to send instead.
async fn read_form(req: Request<Incoming>, limit: u64) -> Result<Bytes, Response<Body>> {
    let too_large = || {
        pages::message(
            StatusCode::PAYLOAD_TOO_LARGE,
            "Too much data",
            "The form sent more data than Stagehand accepts.",
        )
    };
    let content_type = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    if !content_type.starts_with("application/x-www-form-urlencoded") {
        return Err(pages::message(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "Unsupported form",
            "Send the form from the setup page.",
        ));
    }
    let declared = req
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok()?.parse::<u64>().ok());
    if declared.is_some_and(|len| len > limit) {
        return Err(too_large());
    }
    let limit = usize::try_from(limit).unwrap_or(usize::MAX);
    match Limited::new(req.into_body(), limit).collect().await {
        Ok(collected) => Ok(collected.to_bytes()),
        Err(err) if err.is::<http_body_util::LengthLimitError>() => Err(too_large()),
        Err(err) => {
            tracing::debug!(error = %err, "reading a request body failed");
            Err(pages::message(
                StatusCode::BAD_REQUEST,
                "Bad request",
                "The request could not be read.",
            ))
        }
    }
}
