//! Requesting a level (gd-requestbot §2.2, §2.3, §2.10): the check sequence, in the original's
//! order, and the submission.
//!
//! The checks before the GD lookup ([`before_lookup`]: queue, member's cooldown, already
//! approved, already pending) read only the store; those after it ([`after_lookup`]: level
//! cooldown, already rated) need the level. [`submit`] runs all of them again inside the write
//! transaction that stores the request, so two forms open at once cannot both pass (§14
//! "duplicate requests", "cooldown bypass"), and no row exists before the form is submitted
//! (§14 "limbo accumulation"). A refusal changes nothing.

use crate::audit::{self, Actor, Event, EventId, EventKind, Value};
use crate::gd;
use crate::i18n::{Lang, Message};
use crate::params::{self, Param};
use crate::routes::{self, Route};
use crate::store::{Read, StoreError, Writer};

use super::cooldown::{self, Entity, Restriction};
use super::model::{self, Author, LevelFacts, Request, State};
use super::queue::{self, Notice};
use super::youtube::{self, YoutubeError};

/// Which checks apply to the one asking, and what their request does.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Asker {
    /// Who submits: the author (`/request create`) or the inserter (`/request insert`).
    pub user: u64,
    pub author: Author,
    pub lang: Lang,
    /// The queue must be open (no `request_while_queue_closed`).
    pub check_queue: bool,
    /// The member's cooldown applies and a new one is cast (no `no_request_cooldown`).
    pub check_user_cooldown: bool,
    /// The level's cooldown applies (bypassed by `/request insert`).
    pub check_level_cooldown: bool,
    /// The showcase rule of [`showcase_required`] applies; staff inserting a request may leave
    /// out both the link and the comment (§2.10). A link that is given is checked either way.
    pub require_showcase: bool,
    /// An earlier approval of the level refuses the request (not on stream, §11.2).
    pub check_approved: bool,
    /// A rated level is refused (not on stream, §11.2).
    pub check_rated: bool,
    /// A full queue closes after this request (not for a single request made on stream, which
    /// is reviewed at once, §3.1).
    pub may_close_queue: bool,
}

/// The comment of a request made on stream (§11.2).
pub const ON_STREAM_COMMENT: &str = "Requested on stream";

impl Asker {
    /// A member asking for themselves (`/request create`), with the queue and their cooldown
    /// checked as `check_queue` and `check_user_cooldown` say (their flags may exempt them).
    pub fn member(user: u64, lang: Lang, check_queue: bool, check_user_cooldown: bool) -> Asker {
        Asker {
            user,
            author: Author::User(user),
            lang,
            check_queue,
            check_user_cooldown,
            check_level_cooldown: true,
            require_showcase: true,
            check_approved: true,
            check_rated: true,
            may_close_queue: true,
        }
    }

    /// Staff member `user` inserting a request for `author` (`/request insert`, §2.10): past the
    /// queue and the cooldowns, without a cooldown after it.
    pub fn inserter(user: u64, author: Author, lang: Lang) -> Asker {
        Asker {
            user,
            author,
            lang,
            check_queue: false,
            check_user_cooldown: false,
            check_level_cooldown: false,
            require_showcase: false,
            check_approved: true,
            check_rated: true,
            may_close_queue: true,
        }
    }

    /// The Control Panel's staff member `user` making a request on stream for the creator
    /// named `creator` (§11.2): no queue, cooldown, approval or rating check, and no cooldown
    /// after it; a single request (`may_close_queue` false) leaves the queue as it is, a batch
    /// lets it close.
    pub fn on_stream(user: u64, creator: &str, lang: Lang, may_close_queue: bool) -> Asker {
        Asker {
            user,
            author: Author::Name(creator.to_string()),
            lang,
            check_queue: false,
            check_user_cooldown: false,
            check_level_cooldown: false,
            require_showcase: false,
            check_approved: false,
            check_rated: false,
            may_close_queue,
        }
    }
}

/// What the member typed in the form.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Form {
    pub showcase: Option<String>,
    pub comment: Option<String>,
}

/// Why a request was refused; nothing changed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum RequestError {
    #[error("the queue is closed")]
    QueueClosed,
    /// The route of the Reviewer's Widgets is off or has no channel: nobody would see the
    /// request (the original took it, cast a cooldown and lost it, §14).
    #[error("the reviewers' channel is not set")]
    NoDesk,
    /// The automatic cooldown after the member's previous request.
    #[error("the member is on cooldown after a request")]
    UserCooldown {
        ends_at: i64,
        previous: Option<Box<Request>>,
    },
    #[error("the member is banned from requesting")]
    UserBanned(Restriction),
    #[error("the level was already approved")]
    AlreadyApproved {
        approved_at: i64,
        request: Box<Request>,
    },
    #[error("the level already has a pending request")]
    Pending { id: u64, request: Box<Request> },
    #[error("no level {0}")]
    NotFound(u64),
    /// The automatic cooldown after the level's rejection.
    #[error("the level is on cooldown after a rejection")]
    LevelCooldown {
        ends_at: i64,
        level: String,
        previous: Option<Author>,
    },
    #[error("the level is banned")]
    LevelBanned { level: String, ban: Restriction },
    #[error("the level is already rated")]
    AlreadyRated { level: String, tier: gd::Tier },
    #[error("the level needs a showcase video")]
    ShowcaseRequired,
    #[error("the showcase link is not a video: {error}")]
    BadShowcase { link: String, error: YoutubeError },
    #[error(transparent)]
    Store(#[from] StoreError),
}

fn ago(at: i64) -> String {
    format!("<t:{at}:R>")
}

fn caster(actor: Actor) -> String {
    match actor {
        Actor::User(id) => format!("<@{id}>"),
        Actor::Bot => "Stagehand".to_string(),
    }
}

fn reason(ban: &Restriction) -> String {
    match &ban.reason {
        Some(reason) => format!("`{}`", reason.replace('`', "'")),
        None => "—".to_string(),
    }
}

fn code(text: &str) -> String {
    format!("`{}`", text.replace('`', "'"))
}

impl RequestError {
    pub fn message(&self) -> Message {
        match self {
            RequestError::QueueClosed => Message::new("queue.queue_closed_error"),
            RequestError::NoDesk => Message::new("request.create.no_desk"),
            RequestError::UserCooldown { ends_at, previous } => {
                let (name, at) = previous.as_ref().map_or_else(
                    || ("—".to_string(), "—".to_string()),
                    |p| (p.level.name_code(), ago(p.requested_at)),
                );
                Message::new("request.create.user_on_cooldown")
                    .with("ends_at", ago(*ends_at))
                    .with("prev_level_name", name)
                    .with("prev_request_ts", at)
            }
            RequestError::UserBanned(ban) => match ban.ends_at {
                Some(end) => Message::new("request.create.user_banned_temporarily")
                    .with("ends_at", ago(end))
                    .with("responsible_mention", caster(ban.caster))
                    .with("reason", reason(ban)),
                None => Message::new("request.create.user_banned_forever")
                    .with("responsible_mention", caster(ban.caster))
                    .with("reason", reason(ban)),
            },
            RequestError::AlreadyApproved {
                approved_at,
                request,
            } => Message::new("request.create.already_approved")
                .with("approval_ts", ago(*approved_at))
                .with("request_ts", ago(request.requested_at))
                .with("orig_author", request.author.shown()),
            RequestError::Pending { request, .. } => {
                Message::new("request.create.previous_pending")
                    .with("request_ts", ago(request.requested_at))
                    .with("orig_author", request.author.shown())
            }
            RequestError::NotFound(id) => {
                Message::new("request.create.not_found").with("level_id", id)
            }
            RequestError::LevelCooldown {
                ends_at,
                level,
                previous,
            } => Message::new("request.create.level_on_cooldown")
                .with("ends_at", ago(*ends_at))
                .with("level_name", code(level))
                .with(
                    "prev_request_author",
                    previous.as_ref().map_or("—".to_string(), Author::shown),
                ),
            RequestError::LevelBanned { level, ban } => match ban.ends_at {
                Some(end) => Message::new("request.create.level_banned_temporarily")
                    .with("ends_at", ago(end))
                    .with("level_name", code(level))
                    .with("responsible_mention", caster(ban.caster))
                    .with("reason", reason(ban)),
                None => Message::new("request.create.level_banned_forever")
                    .with("level_name", code(level))
                    .with("responsible_mention", caster(ban.caster))
                    .with("reason", reason(ban)),
            },
            RequestError::AlreadyRated { level, tier } => {
                let quality = match tier {
                    gd::Tier::None => "rated",
                    gd::Tier::Featured => "featured",
                    gd::Tier::Epic => "epic",
                    gd::Tier::Legendary => "legendary",
                    gd::Tier::Mythic => "mythic",
                };
                Message::new("request.create.already_rated")
                    .with("level_name", code(level))
                    .with("level_quality", quality)
            }
            RequestError::ShowcaseRequired => Message::new("request.form.showcase_required"),
            RequestError::BadShowcase { link, error } => error.message(link),
            RequestError::Store(_) => Message::new("error.command_error"),
        }
    }
}

/// Checks 1–4 of §2.2: the queue, the member's cooldown, an approval or a pending request of
/// the level.
pub fn before_lookup(
    r: &impl Read,
    asker: &Asker,
    level: u64,
    now: i64,
) -> Result<(), RequestError> {
    if asker.check_queue && queue::is_closed(r)? {
        return Err(RequestError::QueueClosed);
    }
    if routes::resolve(r, Route::PendingRequest)?.is_none() {
        return Err(RequestError::NoDesk);
    }
    if asker.check_user_cooldown
        && let Some(restriction) = cooldown::active(r, Entity::User(asker.user), now)?
    {
        return Err(match (restriction.caster, restriction.ends_at) {
            (Actor::Bot, Some(ends_at)) => RequestError::UserCooldown {
                ends_at,
                previous: model::latest_by(r, asker.user)?.map(|(_, request)| Box::new(request)),
            },
            _ => RequestError::UserBanned(restriction),
        });
    }
    let earlier = model::for_level(r, level)?;
    if let Some((approved_at, dossier)) = earlier
        .iter()
        .filter(|_| asker.check_approved)
        .filter_map(|d| d.approved_at().map(|at| (at, d)))
        .min_by_key(|(at, _)| *at)
    {
        return Err(RequestError::AlreadyApproved {
            approved_at,
            request: Box::new(dossier.request.clone()),
        });
    }
    if let Some(pending) = earlier.iter().find(|d| d.state() != State::Resolved) {
        return Err(RequestError::Pending {
            id: pending.id,
            request: Box::new(pending.request.clone()),
        });
    }
    Ok(())
}

/// Checks 6–7 of §2.2, once the level is known: its cooldown, and whether it is rated.
pub fn after_lookup(
    r: &impl Read,
    asker: &Asker,
    level: &gd::Level,
    now: i64,
) -> Result<(), RequestError> {
    if asker.check_level_cooldown
        && let Some(restriction) = cooldown::active(r, Entity::Level(level.id), now)?
    {
        return Err(match (restriction.caster, restriction.ends_at) {
            (Actor::Bot, Some(ends_at)) => RequestError::LevelCooldown {
                ends_at,
                level: level.name.clone(),
                previous: model::for_level(r, level.id)?
                    .pop()
                    .map(|d| d.request.author),
            },
            _ => RequestError::LevelBanned {
                level: level.name.clone(),
                ban: restriction,
            },
        });
    }
    if asker.check_rated && level.rated {
        return Err(RequestError::AlreadyRated {
            level: level.name.clone(),
            tier: level.tier,
        });
    }
    Ok(())
}

/// Whether the form must carry a showcase video (§2.2 step 10).
pub fn showcase_required(r: &impl Read, level: &gd::Level) -> Result<bool, StoreError> {
    Ok(level.platformer
        || u64::from(level.requested_stars) >= params::number(r, Param::MinStarsToRequireShowcase)?
        || params::flag(r, Param::AlwaysRequireShowcase)?)
}

/// `/request create` passed its checks and is about to show the form: `REQUEST_INITIALIZED`
/// (§8.2). The original stored a request here and recorded its id; Stagehand stores nothing
/// until the form is submitted (§14 "limbo"), so the event names the level and the language.
pub fn initialized(
    w: &mut Writer,
    asker: &Asker,
    level: &gd::Level,
    now: i64,
) -> Result<EventId, StoreError> {
    let event = Event::new(EventKind::RequestInitialized, Actor::User(asker.user), now)
        .with("level_id", level_value(level.id))
        .with("level_name", level.name.as_str())
        .with("lang", asker.lang.code());
    audit::record(w, &event)
}

/// A stored request.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Submitted {
    pub id: u64,
    pub request: Request,
    /// `REQUEST_REQUESTED`.
    pub event: EventId,
    /// The queue closed by itself.
    pub notice: Option<Notice>,
}

/// Stores the request, after every check again: the member's cooldown is cast (unless exempt),
/// the event recorded, and the queue closed if it is now full. The caller posts the widget in
/// the same transaction.
pub fn submit(
    w: &mut Writer,
    asker: &Asker,
    level: &gd::Level,
    form: &Form,
    now: i64,
) -> Result<Submitted, RequestError> {
    before_lookup(w, asker, level.id, now)?;
    after_lookup(w, asker, level, now)?;
    let showcase = match form.showcase.as_deref().map(str::trim) {
        Some(link) if !link.is_empty() => Some(
            youtube::parse(link)
                .map_err(|error| RequestError::BadShowcase {
                    link: link.to_string(),
                    error,
                })?
                .url(),
        ),
        _ if asker.require_showcase && showcase_required(w, level)? => {
            return Err(RequestError::ShowcaseRequired);
        }
        _ => None,
    };
    let request = Request {
        level: LevelFacts::of(level),
        author: asker.author.clone(),
        lang: asker.lang,
        showcase,
        comment: form
            .comment
            .as_deref()
            .map(str::trim)
            .filter(|c| !c.is_empty())
            .map(str::to_string),
        requested_at: now,
        submitted_by: asker.user,
    };
    let id = model::insert(w, &request)?;
    if asker.check_user_cooldown {
        let duration = params::duration(w, Param::PostRequestUserCooldown)?;
        cooldown::apply_automatic(w, Entity::User(asker.user), duration, now)?;
    }
    let event = Event::new(EventKind::RequestRequested, Actor::User(asker.user), now)
        .with(
            "request_id",
            Value::Int(i64::try_from(id).unwrap_or(i64::MAX)),
        )
        .with("level_id", level_value(level.id))
        .with("level_name", level.name.as_str())
        .with("lang", asker.lang.code());
    let event = audit::record(w, &event)?;
    let notice = if asker.may_close_queue {
        queue::after_request(w, now)?
    } else {
        None
    };
    Ok(Submitted {
        id,
        request,
        event,
        notice,
    })
}

/// A level id as an audit value.
pub fn level_value(id: u64) -> Value {
    Value::Int(i64::try_from(id).unwrap_or(i64::MAX))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use crate::requests::model::{Grade, Resolution, put_resolution};
    use crate::store::Store;
    use crate::time::DurationChange;

    const T0: i64 = 1_800_000_000;
    const IVAN: u64 = 46;

    fn level(id: u64) -> gd::Level {
        gd::Level {
            id,
            name: "Ночной город".into(),
            creator: "Мастер".into(),
            stars: 0,
            requested_stars: 7,
            demon: false,
            platformer: false,
            rated: false,
            tier: gd::Tier::None,
            length: gd::Length::Medium,
            difficulty: gd::Difficulty::Harder,
            game_version: 22,
            copied_from: 0,
        }
    }

    fn member() -> Asker {
        Asker::member(IVAN, Lang::Ru, true, true)
    }

    /// A store whose Reviewer's Widgets have a channel.
    fn desk() -> (tempfile::TempDir, Store) {
        let (dir, store) = Store::temporary();
        routes::update_channel(&store, Actor::User(1), Route::PendingRequest, 500, T0).unwrap();
        (dir, store)
    }

    fn submit_now(
        store: &Store,
        asker: &Asker,
        level: &gd::Level,
        now: i64,
    ) -> Result<Submitted, RequestError> {
        store.write(|w| submit(w, asker, level, &Form::default(), now))
    }

    fn count(store: &Store) -> u64 {
        store.read(|r| r.len(&super::model::REQUESTS)).unwrap()
    }

    #[test]
    fn a_submission_stores_casts_a_cooldown_and_then_refuses_the_next() {
        let (_dir, store) = desk();
        let done = submit_now(&store, &member(), &level(128), T0).unwrap();
        assert_eq!(done.id, 1);
        assert_eq!(done.request.lang, Lang::Ru);
        let restriction = store
            .read(|r| cooldown::active(r, Entity::User(IVAN), T0))
            .unwrap()
            .unwrap();
        assert_eq!(restriction.ends_at, Some(T0 + 3 * 86_400));

        // The member's automatic cooldown names the previous request.
        let refused = submit_now(&store, &member(), &level(129), T0 + 60).unwrap_err();
        assert!(
            matches!(&refused, RequestError::UserCooldown { previous: Some(p), .. } if p.level.id == 128)
        );
        assert_eq!(refused.message().key, "request.create.user_on_cooldown");

        // Without the cooldown, the level is still pending.
        let exempt = Asker {
            check_user_cooldown: false,
            ..member()
        };
        let refused = submit_now(&store, &exempt, &level(128), T0 + 60).unwrap_err();
        assert!(matches!(refused, RequestError::Pending { id: 1, .. }));
        assert_eq!(count(&store), 1, "nothing stored by refusals");
    }

    #[test]
    fn approved_rated_banned_and_closed_are_refused_in_order() {
        let (_dir, store) = desk();
        let exempt = Asker {
            check_user_cooldown: false,
            ..member()
        };
        submit_now(&store, &exempt, &level(128), T0).unwrap();
        let approval = Resolution {
            grade: Some(Grade::Starrate),
            review: None,
            comment: None,
            at: T0 + 100,
        };
        store
            .write(|w| put_resolution(w, 1, 43, &approval))
            .unwrap();
        let refused = store
            .read(|r| Ok(before_lookup(r, &exempt, 128, T0 + 200)))
            .unwrap()
            .unwrap_err();
        assert!(
            matches!(refused, RequestError::AlreadyApproved { approved_at, .. } if approved_at == T0 + 100)
        );

        let rated = gd::Level {
            stars: 5,
            rated: true,
            tier: gd::Tier::Epic,
            ..level(200)
        };
        let refused = submit_now(&store, &exempt, &rated, T0).unwrap_err();
        assert_eq!(
            refused.message().params(),
            [("level_name", "`Ночной город`"), ("level_quality", "epic")]
        );

        // A moderator's ban of the level comes before "rated".
        store
            .write(|w| {
                let by = cooldown::By {
                    user: 43,
                    overrides_others: false,
                };
                cooldown::update(
                    w,
                    by,
                    Entity::Level(200),
                    DurationChange::parse("inf").unwrap(),
                    Some("stolen"),
                    T0,
                )
                .map_err(|_| StoreError::Storage("ban".into()))
            })
            .unwrap();
        let refused = submit_now(&store, &exempt, &rated, T0).unwrap_err();
        assert_eq!(refused.message().key, "request.create.level_banned_forever");
        let inserter = Asker {
            check_level_cooldown: false,
            ..exempt.clone()
        };
        assert!(matches!(
            submit_now(&store, &inserter, &rated, T0),
            Err(RequestError::AlreadyRated { .. })
        ));

        // The queue closed comes first of all, unless exempt.
        store
            .write(|w| queue::set(w, Actor::User(1), true, T0))
            .unwrap();
        let refused = submit_now(&store, &exempt, &level(300), T0).unwrap_err();
        assert!(matches!(refused, RequestError::QueueClosed));
        let vip = Asker {
            check_queue: false,
            ..exempt
        };
        submit_now(&store, &vip, &level(300), T0).unwrap();
        assert_eq!(count(&store), 2);

        // Without a channel for the Reviewer's Widgets, nothing is taken.
        routes::set_enabled(&store, Actor::User(1), Route::PendingRequest, false, T0).unwrap();
        let refused = submit_now(&store, &vip, &level(301), T0).unwrap_err();
        assert!(matches!(refused, RequestError::NoDesk));
        assert_eq!(count(&store), 2);
    }

    #[test]
    fn the_showcase_is_checked_and_required_by_the_rules() {
        let (_dir, store) = desk();
        let asker = Asker {
            check_user_cooldown: false,
            ..member()
        };
        let platformer = gd::Level {
            platformer: true,
            length: gd::Length::Platformer,
            ..level(500)
        };
        assert!(store.read(|r| showcase_required(r, &platformer)).unwrap());
        assert!(!store.read(|r| showcase_required(r, &level(501))).unwrap());
        let ten = gd::Level {
            requested_stars: 10,
            ..level(502)
        };
        assert!(store.read(|r| showcase_required(r, &ten)).unwrap());

        let refused = submit_now(&store, &asker, &platformer, T0).unwrap_err();
        assert!(matches!(refused, RequestError::ShowcaseRequired));
        let bad = Form {
            showcase: Some("https://twitch.tv/someone".into()),
            comment: None,
        };
        let refused = store
            .write(|w| submit(w, &asker, &platformer, &bad, T0))
            .unwrap_err();
        assert_eq!(refused.message().key, "error.youtube.not_youtube");
        let good = Form {
            showcase: Some(" https://youtu.be/dQw4w9WgXcQ?t=42 ".into()),
            comment: Some("  ".into()),
        };
        let done = store
            .write(|w| submit(w, &asker, &platformer, &good, T0))
            .unwrap();
        assert_eq!(
            done.request.showcase.as_deref(),
            Some("https://www.youtube.com/watch?v=dQw4w9WgXcQ&t=42s")
        );
        assert_eq!(done.request.comment, None);
        assert_eq!(count(&store), 1);

        // Staff inserting a request may leave out the video, but not give a bad one.
        let inserter = Asker {
            check_level_cooldown: false,
            require_showcase: false,
            ..asker
        };
        let other = gd::Level {
            id: 503,
            ..platformer
        };
        let refused = store
            .write(|w| submit(w, &inserter, &other, &bad, T0))
            .unwrap_err();
        assert_eq!(refused.message().key, "error.youtube.not_youtube");
        let done = submit_now(&store, &inserter, &other, T0).unwrap();
        assert_eq!(done.request.showcase, None);
        assert_eq!(count(&store), 2);
    }
}
