//! The osu! sign-in callback, `/oauth/osu/callback` (osu-arena §9.2): the page a member lands on
//! after authorising Stagehand on osu!. Each outcome is a page in the browser's language with its
//! own HTTP status:
//!
//! | outcome                                   | status |
//! |-------------------------------------------|--------|
//! | no `code`/`state` at all: welcome         | 200    |
//! | linked (or already linked: their dashboard) | 200  |
//! | forged state, used state, missing params, osu! refused the code | 400 |
//! | restricted osu! account                   | 403    |
//! | osu! account linked to another member     | 409    |
//! | state older than 5 minutes                | 410    |
//! | osu! unreachable, store failure           | 502 / 500 |
//!
//! The state is checked (signature, then the store) before osu! is asked anything. The code is
//! exchanged with a token of this request's own (§17.13). Only a successful link writes, through
//! the league's own use case (`league::members::link`): in one transaction the state is
//! consumed, the player and their league membership stored, the event recorded, and the role
//! changes and welcome message queued in the outbox.

use hyper::StatusCode;

use super::pages::{self, Body};
use super::server::State;
use crate::i18n::{Catalogue, Lang};
use crate::league::link::{self, StateError, redirect_uri};
use crate::league::members::{self, LinkRefusal};
use crate::league::player::{self, Player};
use crate::osu;

/// The outcome pages.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Page {
    Welcome,
    Linked,
    AlreadyLinked,
    BadRequest,
    Used,
    Denied,
    Restricted,
    TakenElsewhere,
    TooLate,
    Unavailable,
    Error,
}

impl Page {
    fn status(self) -> StatusCode {
        match self {
            Page::Welcome | Page::Linked | Page::AlreadyLinked => StatusCode::OK,
            Page::BadRequest | Page::Used | Page::Denied => StatusCode::BAD_REQUEST,
            Page::Restricted => StatusCode::FORBIDDEN,
            Page::TakenElsewhere => StatusCode::CONFLICT,
            Page::TooLate => StatusCode::GONE,
            Page::Unavailable => StatusCode::BAD_GATEWAY,
            Page::Error => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// The prefix of its texts: `<prefix>.title` and `<prefix>.body`.
    fn texts(self) -> &'static str {
        match self {
            Page::Welcome => "web.link.welcome",
            Page::Linked => "web.link.linked",
            Page::AlreadyLinked => "web.link.already_linked",
            Page::BadRequest => "web.link.bad_request",
            Page::Used => "web.link.used",
            Page::Denied => "web.link.denied",
            Page::Restricted => "web.link.restricted",
            Page::TakenElsewhere => "web.link.taken_elsewhere",
            Page::TooLate => "web.link.too_late",
            Page::Unavailable => "web.link.unavailable",
            Page::Error => "web.link.error",
        }
    }
}

/// The callback's query parameters.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Query {
    pub code: Option<String>,
    pub state: Option<String>,
    /// osu!'s `error` when the member pressed "Cancel".
    pub error: Option<String>,
}

/// Reads the callback's query string: the last non-empty `code`, `state` and `error` of at most
/// 2048 bytes each (after percent-decoding); anything else is ignored. Pure, and public only so
/// that `fuzz/` can reach it.
#[doc(hidden)]
pub fn parse_query(query: Option<&str>) -> Query {
    let mut parsed = Query::default();
    for (key, value) in form_urlencoded::parse(query.unwrap_or("").as_bytes()) {
        let slot = match key.as_ref() {
            "code" => &mut parsed.code,
            "state" => &mut parsed.state,
            "error" => &mut parsed.error,
            _ => continue,
        };
        if !value.is_empty() && value.len() <= 2048 {
            *slot = Some(value.into_owned());
        }
    }
    parsed
}

/// Answers the callback.
pub async fn callback(
    state: &State,
    query: Option<&str>,
    accept_language: Option<&str>,
) -> hyper::Response<Body> {
    let lang = pages::browser_language(accept_language);
    let texts = match Catalogue::open(&state.store) {
        Ok(texts) => texts,
        Err(err) => {
            tracing::error!(error = %err, "cannot read the texts");
            return pages::message(
                StatusCode::INTERNAL_SERVER_ERROR,
                "Error",
                "Please try again later.",
            );
        }
    };
    let (page, player) = outcome(state, &texts, parse_query(query)).await;
    render(&texts, lang, page, player.as_ref())
}

async fn outcome(state: &State, texts: &Catalogue, query: Query) -> (Page, Option<Player>) {
    let (code, state_param) = match (query.code, query.state, query.error) {
        (None, None, None) => return (Page::Welcome, None),
        (_, _, Some(error)) => {
            tracing::info!(?error, "osu! sign-in cancelled or refused");
            return (Page::Denied, None);
        }
        (Some(code), Some(s), None) => (code, s),
        _ => return (Page::BadRequest, None),
    };
    let now = state.clock.now();
    let checked = match state.store.read(|r| link::check(r, &state_param, now)) {
        Ok(Ok(checked)) => checked,
        Ok(Err(StateError::Forged)) => {
            tracing::warn!("refused a forged /link state");
            return (Page::BadRequest, None);
        }
        Ok(Err(StateError::Used)) => return (Page::Used, None),
        Ok(Err(StateError::Expired)) => return (Page::TooLate, None),
        Err(err) => return failed(&err),
    };
    let discord_id = checked.pending.discord_id;
    match state.store.read(|r| player::get(r, discord_id)) {
        Ok(Some(existing)) => return (Page::AlreadyLinked, Some(existing)),
        Ok(None) => {}
        Err(err) => return failed(&err),
    }
    let settings = state.settings_now();
    let Ok(client) = state.osu.client(&settings) else {
        tracing::error!(
            "an osu! sign-in arrived, but osu.client_id / osu.client_secret are not set"
        );
        return (Page::Error, None);
    };
    let redirect = redirect_uri(&settings.base_url(state.https_port));
    let user = match client.me_from_code(&code, &redirect).await {
        Ok(user) => user,
        Err(osu::OsuError::Denied) => return (Page::Denied, None),
        Err(err) => {
            tracing::warn!(error = ?err.to_string(), "osu! did not complete a sign-in");
            return (Page::Unavailable, None);
        }
    };
    if user.is_restricted {
        return (Page::Restricted, None);
    }
    // Their best score, for top-play points later; a player without one (or an osu! hiccup
    // here) still links (the original failed the whole sign-in, osu-arena §9.2 ♦).
    let top_play = match client.best_scores(user.id, 1).await {
        Ok(scores) => scores.first().map(player::TopPlay::from),
        Err(err) => {
            tracing::warn!(osu_id = user.id, error = ?err.to_string(), "no best score at sign-in");
            None
        }
    };
    let result = state
        .store
        .write(|w| members::link(w, texts, &checked, &user, top_play, now));
    match result {
        Ok(player) => {
            state.outbox.wake();
            tracing::info!(
                discord_id,
                osu_id = player.osu_id,
                league = player.league.name(),
                "linked a player"
            );
            (Page::Linked, Some(player))
        }
        Err(LinkRefusal::AlreadyLinked(existing)) => (Page::AlreadyLinked, Some(*existing)),
        Err(LinkRefusal::OsuTaken(owner)) => {
            tracing::warn!(
                osu_id = user.id,
                owner,
                "osu! account already linked to another member"
            );
            (Page::TakenElsewhere, None)
        }
        Err(LinkRefusal::StateUsed) => (Page::Used, None),
        Err(LinkRefusal::Store(err)) => failed(&err),
    }
}

fn failed(err: &dyn std::fmt::Display) -> (Page, Option<Player>) {
    tracing::error!(error = %err, "an osu! sign-in failed in the store");
    (Page::Error, None)
}

fn render(
    texts: &Catalogue,
    lang: Lang,
    page: Page,
    player: Option<&Player>,
) -> hyper::Response<Body> {
    let t = |key: &str| texts.render(lang, key, &[]);
    let prefix = page.texts();
    let player = player.map(|p| {
        minijinja::context! {
            username => p.osu_username.clone(),
            profile => format!("https://osu.ppy.sh/users/{}", p.osu_id),
            pp => p.initial_pp,
            league => t(p.league.text_key()),
            unranked => p.global_rank.is_none(),
        }
    });
    pages::render(
        page.status(),
        "link.html",
        minijinja::context! {
            lang => lang.code(),
            kind => format!("{page:?}").to_lowercase(),
            title => t(&format!("{prefix}.title")),
            body => t(&format!("{prefix}.body")),
            player,
            labels => minijinja::context! {
                player => t("web.link.label.player"),
                pp => t("web.link.label.pp"),
                league => t("web.link.label.league"),
                profile => t("web.link.label.profile"),
                unranked => t("web.link.label.unranked"),
                close => t("web.link.label.close"),
            },
        },
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_query_keeps_only_known_non_empty_values() {
        assert_eq!(parse_query(None), Query::default());
        let q = parse_query(Some("code=abc&state=s.t&foo=bar&code2=x"));
        assert_eq!(q.code.as_deref(), Some("abc"));
        assert_eq!(q.state.as_deref(), Some("s.t"));
        assert_eq!(q.error, None);
        let q = parse_query(Some("code=&state=%ZZ&error=access_denied"));
        assert_eq!(q.code, None);
        assert_eq!(q.state.as_deref(), Some("%ZZ"));
        assert_eq!(q.error.as_deref(), Some("access_denied"));
        let huge = format!("code={}", "a".repeat(5000));
        assert_eq!(parse_query(Some(&huge)).code, None);
    }

    #[test]
    fn every_page_has_its_texts_in_both_languages() {
        let texts = crate::i18n::Texts::defaults();
        for page in [
            Page::Welcome,
            Page::Linked,
            Page::AlreadyLinked,
            Page::BadRequest,
            Page::Used,
            Page::Denied,
            Page::Restricted,
            Page::TakenElsewhere,
            Page::TooLate,
            Page::Unavailable,
            Page::Error,
        ] {
            for part in ["title", "body"] {
                let key = format!("{}.{part}", page.texts());
                for lang in [Lang::En, Lang::Ru] {
                    assert!(texts.keys(lang).contains(&key.as_str()), "{key} {lang:?}");
                }
            }
        }
    }
}
