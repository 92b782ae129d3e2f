//! HTML pages: minijinja templates from `assets/templates/`, strict about undefined values, with
//! the security headers every page carries, and the language a page is shown in.

use std::sync::OnceLock;

use bytes::Bytes;
use http_body_util::Full;
use hyper::header::{self, HeaderValue};
use hyper::{Response, StatusCode};

use crate::i18n::Lang;

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

/// [`message`] in `lang` (the page's `lang` attribute; the texts are the caller's).
pub fn message_in(status: StatusCode, lang: Lang, title: &str, message: &str) -> Response<Body> {
    render(
        status,
        "message.html",
        minijinja::context! { lang => lang.code(), title, message },
    )
}

/// English or Russian, by the browser's `Accept-Language` (highest weight wins; English when
/// neither is asked for or the header is garbage).
pub fn browser_language(header: Option<&str>) -> Lang {
    let mut best: Option<(f32, Lang)> = None;
    for part in header.unwrap_or("").split(',').take(20) {
        let mut pieces = part.split(';');
        let tag = pieces.next().unwrap_or("").trim().to_ascii_lowercase();
        let lang = match tag.split('-').next() {
            Some("ru") => Lang::Ru,
            Some("en") => Lang::En,
            _ => continue,
        };
        let weight = pieces
            .find_map(|p| p.trim().strip_prefix("q="))
            .map_or(Some(1.0), |q| q.trim().parse::<f32>().ok())
            .filter(|q| (0.0..=1.0).contains(q) && *q > 0.0);
        if let Some(weight) = weight
            && best.is_none_or(|(w, _)| weight > w)
        {
            best = Some((weight, lang));
        }
    }
    best.map_or(Lang::En, |(_, lang)| lang)
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
    use super::*;

    #[test]
    fn the_browser_language_follows_the_highest_weight() {
        let cases = [
            (None, Lang::En),
            (Some(""), Lang::En),
            (Some("ru-RU,ru;q=0.9,en-US;q=0.8,en;q=0.7"), Lang::Ru),
            (Some("en-GB,en;q=0.9,ru;q=0.8"), Lang::En),
            (Some("de-DE,ru;q=0.5,en;q=0.4"), Lang::Ru),
            (Some("en;q=0.2, RU;q=0.9"), Lang::Ru),
            (Some("fr"), Lang::En),
            (Some("ru;q=0"), Lang::En),
            (Some("ru;q=abc,en;q=0.1"), Lang::En),
            (Some("ru;q=7"), Lang::En),
            (Some(";;;,,,=;q="), Lang::En),
        ];
        for (header, lang) in cases {
            assert_eq!(browser_language(header), lang, "{header:?}");
        }
    }

    #[test]
    fn every_page_template_compiles() {
        for name in [
            "base.html",
            "home.html",
            "setup.html",
            "setup_done.html",
            "message.html",
        ] {
            assert!(environment().get_template(name).is_ok(), "{name}");
        }
    }
}
