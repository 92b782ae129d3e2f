//! HTML pages: minijinja templates from `assets/templates/`, strict about undefined values, with
//! the security headers every page carries.

use std::sync::OnceLock;

use bytes::Bytes;
use http_body_util::Full;
use hyper::header::{self, HeaderValue};
use hyper::{Response, StatusCode};

pub type Body = Full<Bytes>;

fn environment() -> &'static minijinja::Environment<'static> {
    static ENV: OnceLock<minijinja::Environment<'static>> = OnceLock::new();
    ENV.get_or_init(|| {
        let mut env = minijinja::Environment::new();
        env.set_undefined_behavior(minijinja::UndefinedBehavior::Strict);
        env.set_loader(|name| Ok(crate::assets::template(name)));
        env.add_global("version", env!("CARGO_PKG_VERSION"));
        env
    })
}

/// Renders `template` as a complete response. A template error is a bug: it is logged and the
/// person gets a plain 500 page.
pub fn render(status: StatusCode, template: &str, context: minijinja::Value) -> Response<Body> {
    match environment()
        .get_template(template)
        .and_then(|t| t.render(context))
    {
        Ok(html) => html_response(status, html),
        Err(err) => {
            tracing::error!(template, error = %format!("{err:#}"), "template failed");
            html_response(
                StatusCode::INTERNAL_SERVER_ERROR,
                "<h1>Internal error</h1>".into(),
            )
        }
    }
}

/// A page with a title and one paragraph.
pub fn message(status: StatusCode, title: &str, message: &str) -> Response<Body> {
    render(
        status,
        "message.html",
        minijinja::context! { title, message },
    )
}

fn html_response(status: StatusCode, html: String) -> Response<Body> {
    let mut response = Response::new(Full::new(Bytes::from(html)));
    *response.status_mut() = status;
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/html; charset=utf-8"),
    );
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(
            "default-src 'none'; style-src 'self'; img-src 'self' data:; form-action 'self'; \
             frame-ancestors 'none'; base-uri 'none'",
        ),
    );
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    headers.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

/// A non-HTML response with a content type.
pub fn bytes(
    status: StatusCode,
    content_type: &'static str,
    body: impl Into<Bytes>,
) -> Response<Body> {
    let mut response = Response::new(Full::new(body.into()));
    *response.status_mut() = status;
    response
        .headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    response.headers_mut().insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    response
}

#[cfg(test)]
mod tests {
    #[test]
    fn every_page_template_compiles() {
        for name in ["base.html", "setup.html", "setup_done.html", "message.html"] {
            assert!(super::environment().get_template(name).is_ok(), "{name}");
        }
    }
}
