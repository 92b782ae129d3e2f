//! Lists shown a page at a time (gd-requestbot §1.15): `/queue history`, `list` and `history`
//! of `/usercd` and `/levelcd`, `/text list`, `/reviews level` and `/reviews user`, and
//! `/log list_filters`. (`/log view` pages through the event log by places in its indexes
//! instead: see `bot::log`.)
//!
//! A page's ⏴ and ⏵ buttons name the list and the page they lead to in their `custom_id`
//! (`v1:page:<list>:<id>:<page>`), so a click renders that page afresh from the store, after a
//! restart too: nothing is held in memory and nothing times out. Pages are private replies, so
//! only the member who asked sees them and can turn them, and a turn passes the same permission
//! check as the command that showed the list. A page past the end (the list shrank since) shows
//! the last one.
//!
//! A list of links to messages ([`Lines::Links`], the reviews) asks Discord, when a page is
//! shown, whether each message on that page still exists, and shows the ones a person deleted
//! as such: a page costs at most its size in lookups, asked at once.

use super::commands::{self, Access};
use crate::bot::{Ctx, HandlerError};
use crate::bot::{Invocation, Outcome, Response};
use crate::i18n::Lang;
use crate::outbox::CustomId;
use crate::outbox::{Button, ButtonStyle, ButtonTarget, Message, Posted};
use crate::requests::cooldown::{Entity, EntityKind, Listing};

const MODULE: &str = "page";

/// A list that is shown a page at a time.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum List {
    /// `/queue history`: when the queue was opened and closed, oldest first.
    QueueHistory,
    /// `/usercd list` and `/levelcd list`.
    Cooldowns(EntityKind, Listing),
    /// `/usercd history` and `/levelcd history` of one member or level, oldest first.
    CooldownHistory(Entity),
    /// `/text list`: every text's key.
    Texts,
    /// `/reviews level`: every review of a level's requests, oldest first.
    ReviewsLevel(u64),
    /// `/reviews user`: every review a member wrote, newest first.
    ReviewsUser(u64),
    /// `/log list_filters`: the saved log filters.
    LogFilters,
}

/// A list's text in the reader's language: a title and the entries, or the one line that says
/// there is nothing to list.
pub enum Lines {
    Empty(String),
    Entries {
        title: String,
        entries: Vec<String>,
    },
    /// Entries that link to messages, each shown as `present` or, when its message is gone
    /// (or was never posted: no place), as `gone`.
    Links {
        title: String,
        entries: Vec<Link>,
    },
}

/// An entry linking to a message that a person may have deleted.
pub struct Link {
    pub place: Option<Posted>,
    pub present: String,
    pub gone: String,
}

impl List {
    /// Entries on a page (§1.15).
    fn per_page(self) -> usize {
        match self {
            List::QueueHistory => 4,
            List::Cooldowns(..) => 10,
            List::CooldownHistory(_) => 6,
            List::Texts => 50,
            List::ReviewsLevel(_) | List::ReviewsUser(_) | List::LogFilters => 10,
        }
    }

    /// The command that shows this list, whose permission turning its pages needs.
    fn command(self) -> [&'static str; 2] {
        let group = |kind| match kind {
            EntityKind::User => "usercd",
            EntityKind::Level => "levelcd",
        };
        match self {
            List::QueueHistory => ["queue", "history"],
            List::Cooldowns(kind, _) => [group(kind), "list"],
            List::CooldownHistory(entity) => [group(entity.kind()), "history"],
            List::Texts => ["text", "list"],
            List::ReviewsLevel(_) => ["reviews", "level"],
            List::ReviewsUser(_) => ["reviews", "user"],
            List::LogFilters => ["log", "list_filters"],
        }
    }

    fn custom_id(self, page: usize) -> CustomId {
        let (action, id) = match self {
            List::QueueHistory => ("queue_history", 0),
            List::Cooldowns(EntityKind::User, Listing::Temporary) => ("user_temporary", 0),
            List::Cooldowns(EntityKind::User, Listing::Endless) => ("user_endless", 0),
            List::Cooldowns(EntityKind::Level, Listing::Temporary) => ("level_temporary", 0),
            List::Cooldowns(EntityKind::Level, Listing::Endless) => ("level_endless", 0),
            List::CooldownHistory(Entity::User(id)) => ("user_history", id),
            List::CooldownHistory(Entity::Level(id)) => ("level_history", id),
            List::Texts => ("texts", 0),
            List::ReviewsLevel(level) => ("reviews_level", level),
            List::ReviewsUser(user) => ("reviews_user", user),
            List::LogFilters => ("log_filters", 0),
        };
        CustomId::new(MODULE, action, id, Some(&page.to_string()))
    }

    /// The list and the page a button leads to; `None` for any other control, or a page button
    /// that was tampered with.
    pub fn parse(id: &CustomId) -> Option<(List, usize)> {
        if id.module != MODULE {
            return None;
        }
        let list = match (id.action.as_str(), id.id) {
            ("queue_history", 0) => List::QueueHistory,
            ("user_temporary", 0) => List::Cooldowns(EntityKind::User, Listing::Temporary),
            ("user_endless", 0) => List::Cooldowns(EntityKind::User, Listing::Endless),
            ("level_temporary", 0) => List::Cooldowns(EntityKind::Level, Listing::Temporary),
            ("level_endless", 0) => List::Cooldowns(EntityKind::Level, Listing::Endless),
            ("texts", 0) => List::Texts,
            ("log_filters", 0) => List::LogFilters,
            ("user_history", user) if user > 0 => List::CooldownHistory(Entity::User(user)),
            ("level_history", level) if (1..=i64::MAX as u64).contains(&level) => {
                List::CooldownHistory(Entity::Level(level))
            }
            ("reviews_level", level) if level > 0 => List::ReviewsLevel(level),
            ("reviews_user", user) if user > 0 => List::ReviewsUser(user),
            _ => return None,
        };
        let page = id.arg.as_deref()?;
        if !page.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        Some((list, page.parse().ok()?))
    }

    /// Who may turn this list's pages.
    pub fn access(self) -> Option<Access> {
        let path = self.command().map(String::from);
        commands::access(&path)
    }
}

/// The first page of `list`, as the private reply to its command. For a list of links, see
/// [`first_checked`]: this one shows every link as present.
pub fn first(ctx: &Ctx, inv: &Invocation, list: List) -> Result<Outcome, HandlerError> {
    let lang = ctx.language(inv)?.lang;
    let lines = unchecked(lines(ctx, lang, list)?);
    Ok(Outcome::reply(page(ctx, lang, list, 0, lines).ephemeral()))
}

/// The first page of `list`, its links checked with Discord.
pub async fn first_checked(
    ctx: &Ctx,
    inv: &Invocation,
    list: List,
) -> Result<Outcome, HandlerError> {
    let lang = ctx.language(inv)?.lang;
    let lines = checked(ctx, list, 0, lines(ctx, lang, list)?).await;
    Ok(Outcome::reply(page(ctx, lang, list, 0, lines).ephemeral()))
}

/// The page a ⏴ or ⏵ button leads to, in place of the page it was clicked on.
pub async fn turn(
    ctx: &Ctx,
    inv: &Invocation,
    list: List,
    to: usize,
) -> Result<Outcome, HandlerError> {
    let lang = ctx.language(inv)?.lang;
    let lines = checked(ctx, list, to, lines(ctx, lang, list)?).await;
    Ok(Outcome {
        response: Response::Update(page(ctx, lang, list, to, lines)),
        effects: Vec::new(),
    })
}

fn lines(ctx: &Ctx, lang: Lang, list: List) -> Result<Lines, HandlerError> {
    match list {
        List::QueueHistory => super::requests::queue_history(ctx, lang),
        List::Cooldowns(kind, listing) => {
            super::requests::cooldown_commands::listed(ctx, lang, kind, listing)
        }
        List::CooldownHistory(entity) => {
            super::requests::cooldown_commands::history(ctx, lang, entity)
        }
        List::Texts => Ok(super::admin::texts_listed(ctx, lang)),
        List::ReviewsLevel(level) => super::requests::reviews_of_level(ctx, lang, level),
        List::ReviewsUser(user) => super::requests::reviews_by(ctx, lang, user),
        List::LogFilters => super::log::listed(ctx, lang),
    }
}

/// A list as shown: its links settled.
enum Shown {
    Empty(String),
    Entries { title: String, entries: Vec<String> },
}

/// Links shown as present, unchecked.
fn unchecked(lines: Lines) -> Shown {
    match lines {
        Lines::Empty(text) => Shown::Empty(text),
        Lines::Entries { title, entries } => Shown::Entries { title, entries },
        Lines::Links { title, entries } => Shown::Entries {
            title,
            entries: entries.into_iter().map(|link| link.present).collect(),
        },
    }
}

/// The links of page `number` (as [`page`] bounds it) checked with Discord: each whose message
/// is gone is shown as such. The entries of other pages are not shown, nor asked about.
async fn checked(ctx: &Ctx, list: List, number: usize, lines: Lines) -> Shown {
    let Lines::Links { title, entries } = lines else {
        return unchecked(lines);
    };
    let size = list.per_page();
    let pages = entries.len().div_ceil(size).max(1);
    let shown = number.min(pages - 1) * size..(number.min(pages - 1) + 1) * size;
    let places: Vec<Posted> = entries
        .iter()
        .enumerate()
        .filter(|(i, _)| shown.contains(i))
        .filter_map(|(_, link)| link.place)
        .collect();
    let mut exists = super::lookup::existing(&ctx.discord, &places)
        .await
        .into_iter();
    let entries = entries
        .into_iter()
        .enumerate()
        .map(|(i, link)| {
            let present = match link.place {
                None => false,
                Some(_) if shown.contains(&i) => exists.next().unwrap_or(true),
                Some(_) => true,
            };
            if present { link.present } else { link.gone }
        })
        .collect();
    Shown::Entries { title, entries }
}

/// Page `number` (from 0; past the end, the last page) of `list`, with the buttons to the pages
/// on either side when there is more than one.
fn page(ctx: &Ctx, lang: Lang, list: List, number: usize, shown: Shown) -> Message {
    let (title, entries) = match shown {
        Shown::Empty(text) => return Message::text(text),
        Shown::Entries { title, entries } => (title, entries),
    };
    let size = list.per_page();
    let pages = entries.len().div_ceil(size).max(1);
    let number = number.min(pages - 1);
    let mut text = vec![title];
    text.extend(entries.into_iter().skip(number * size).take(size));
    if pages == 1 {
        return Message::text(text.join("\n"));
    }
    let (shown, of) = ((number + 1).to_string(), pages.to_string());
    let footer = ctx
        .texts
        .render(lang, "pagination.page", &[("page", &shown), ("pages", &of)]);
    text.push(format!("-# {footer}"));
    let button = |label: &str, to: usize, disabled: bool| Button {
        label: label.into(),
        style: ButtonStyle::Secondary,
        target: ButtonTarget::Control(list.custom_id(to)),
        disabled,
    };
    Message::text(text.join("\n")).with_row(vec![
        button("⏴", number.saturating_sub(1), number == 0),
        button("⏵", number + 1, number + 1 == pages),
    ])
}

#[cfg(test)]
mod tests {
    use super::*;

    const LISTS: [List; 11] = [
        List::LogFilters,
        List::QueueHistory,
        List::Cooldowns(EntityKind::User, Listing::Temporary),
        List::Cooldowns(EntityKind::User, Listing::Endless),
        List::Cooldowns(EntityKind::Level, Listing::Temporary),
        List::Cooldowns(EntityKind::Level, Listing::Endless),
        List::CooldownHistory(Entity::User(81_000_000_000_000_001)),
        List::CooldownHistory(Entity::Level(128)),
        List::Texts,
        List::ReviewsLevel(128),
        List::ReviewsUser(81_000_000_000_000_001),
    ];

    #[test]
    fn page_buttons_round_trip_and_need_their_commands_permission() {
        for list in LISTS {
            for page in [0, 1, 41] {
                let id = list.custom_id(page);
                let text = id.to_string();
                assert!(text.len() <= crate::outbox::custom_id::MAX_LEN, "{text}");
                let parsed = CustomId::parse(&text).ok();
                assert_eq!(parsed.as_ref().and_then(List::parse), Some((list, page)));
            }
            assert!(list.access().is_some(), "{list:?}: {:?}", list.command());
        }
    }

    #[test]
    fn tampered_page_buttons_are_refused() {
        for text in [
            "v1:page:queue_history:0",
            "v1:page:queue_history:7:1",
            "v1:page:user_history:0:1",
            "v1:page:level_history:0:1",
            "v1:page:level_history:9223372036854775808:1",
            "v1:page:user_temporary:1:0",
            "v1:page:user_forever:0:0",
            "v1:page:queue_history:0:-1",
            "v1:page:queue_history:0:1a",
            "v1:page:queue_history:0:99999999999999999999999",
            "v1:req:queue_history:0:1",
            "v1:page:reviews_level:0:1",
            "v1:page:reviews_user:0:0",
        ] {
            let id = CustomId::parse(text).unwrap_or_else(|e| panic!("{text}: {e}"));
            assert_eq!(List::parse(&id), None, "{text}");
        }
    }
}
