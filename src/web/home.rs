//! The root page, `/`: what this server is, whether its setup is done (never the setup link
//! itself), and links to its health check and to the documentation, in the browser's language;
//! and `/docs`, the README this binary was built with.

use hyper::{Response, StatusCode};

use super::pages::{self, Body};
use super::server::State;
use crate::i18n::Catalogue;
use crate::store::StoreError;

/// The README this binary was built with, served at `/docs`.
pub const README: &str = include_str!("../../README.md");

/// Where the documentation link leads: the README of the repository Cargo.toml names, else its
/// homepage, else the README built into this binary (`/docs`).
const DOCS_URL: &str = if !env!("CARGO_PKG_REPOSITORY").is_empty() {
    concat!(env!("CARGO_PKG_REPOSITORY"), "#readme")
} else if !env!("CARGO_PKG_HOMEPAGE").is_empty() {
    env!("CARGO_PKG_HOMEPAGE")
} else {
    "/docs"
};

/// The root page for a browser that sent `accept_language`; its texts are `web.home.*`.
pub fn page(state: &State, accept_language: Option<&str>) -> Result<Response<Body>, StoreError> {
    let lang = pages::browser_language(accept_language);
    let texts = Catalogue::open(&state.store)?;
    let setup_done = super::setup::is_complete(&state.store)?;
    let t = |key: &str| texts.render(lang, key, &[]);
    Ok(pages::render(
        StatusCode::OK,
        "home.html",
        minijinja::context! {
            lang => lang.code(),
            title => t("web.home.title"),
            about => t("web.home.about"),
            setup_done,
            setup => t(if setup_done { "web.home.setup_done" } else { "web.home.setup_pending" }),
            health => t("web.home.health"),
            docs => t("web.home.docs"),
            docs_url => DOCS_URL,
        },
    ))
}
