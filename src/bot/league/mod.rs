//! The osu! league's commands and member events: `/link` (a sign-in button for Stagehand's own
//! HTTPS callback), `/show` (a rendered table), `/league role`, `/points` (`points.rs`), and
//! what happens when a member joins (welcome, Inactive) or leaves (their player row archived).

mod commands;
mod points;
mod rivals;
mod seasons;

pub use commands::COMMANDS;
pub use seasons::complete_archived;

use crate::access::Flag;
use crate::audit::{Actor, Change};
use crate::bot::commands::Access;
use crate::bot::{Ctx, HandlerError, Invocation, Outcome, Value};
use crate::league::standings::{self, Board};
use crate::league::transition;
use crate::league::{link, members, player, roles};
use crate::outbox::{Button, ButtonStyle, ButtonTarget, Choice, CustomId, Embed, Message};

/// The league's colour in embeds.
const COLOUR: u32 = 0x3B82F6;

/// `/link`, `/show`, `/league …`.
pub async fn command(
    ctx: &Ctx,
    inv: &Invocation,
    path: &[String],
) -> Result<Outcome, HandlerError> {
    let path: Vec<&str> = path.iter().map(String::as_str).collect();
    match path.as_slice() {
        ["link"] => link(ctx, inv),
        ["show"] => show(ctx, inv).await,
        ["league", "role"] => set_role(ctx, inv),
        ["points"] => points::adjust(ctx, inv),
        ["season_end"] => seasons::ask(ctx, inv, transition::Change::End),
        ["season_start"] => seasons::ask(ctx, inv, transition::Change::Start),
        ["archived"] => seasons::archived(ctx, inv).await,
        ["delete"] => seasons::delete(ctx, inv),
        ["challenge"] => rivals::challenge(ctx, inv),
        ["revoke_challenge"] => rivals::revoke(ctx, inv),
        _ => crate::bot::outdated(ctx, inv),
    }
}

/// Whether the controls of `module` (a `custom_id`'s module) are the league's.
pub fn owns(module: &str) -> bool {
    [seasons::CONTROLS, rivals::CONTROLS].contains(&module)
}

/// Who may use a control of the league, by its `custom_id`.
pub fn control_access(id: &CustomId) -> Option<Access> {
    match (id.module.as_str(), id.action.as_str()) {
        (seasons::CONTROLS, "answer") => Some(Access::Flag(Flag::LeagueAdmin)),
        // Anyone may click; only the challenge's target counts (`league::rivalry::answer`).
        (rivals::CONTROLS, "answer") => Some(Access::Everyone),
        _ => None,
    }
}

/// Answers a click on a control of the league (the gate has passed).
pub fn control(ctx: &Ctx, inv: &Invocation, id: &CustomId) -> Result<Outcome, HandlerError> {
    match (id.module.as_str(), id.action.as_str()) {
        (seasons::CONTROLS, "answer") => seasons::answer(ctx, inv, id),
        (rivals::CONTROLS, "answer") => rivals::answer(ctx, inv, id),
        _ => crate::bot::outdated(ctx, inv),
    }
}

/// `/link`: a private sign-in button, or the account the member is already linked to.
fn link(ctx: &Ctx, inv: &Invocation) -> Result<Outcome, HandlerError> {
    let choice = ctx.language(inv)?;
    let lang = choice.lang;
    let (Some(osu), true) = (&ctx.osu, ctx.settings.modules_league) else {
        return ctx.private(inv, "league.link.not_configured", &[]);
    };
    if let Some(p) = ctx.store.read(|r| player::get(r, inv.user))? {
        let league = ctx.texts.render(lang, p.league.text_key(), &[]);
        return ctx.private(
            inv,
            "league.link.already_linked",
            &[("osu_username", &p.osu_username), ("league", &league)],
        );
    }
    let now = ctx.clock.now();
    let state = ctx
        .store
        .write(|w| link::issue(w, inv.user, &inv.user_name, now))?;
    let redirect = link::redirect_uri(&ctx.settings.base_url(ctx.https_port));
    let url = osu.authorize_url(&redirect, &state);
    let embed = Embed {
        title: ctx.texts.render(lang, "league.link.title", &[]),
        description: ctx.text(choice, "league.link.body", &[]),
        color: COLOUR,
        ..Embed::default()
    };
    let button = Button {
        label: ctx.texts.render(lang, "league.link.button", &[]),
        style: ButtonStyle::Secondary,
        target: ButtonTarget::Link(url),
        disabled: false,
    };
    Ok(Outcome::reply(
        Message::embed(embed).with_row(vec![button]).ephemeral(),
    ))
}

/// `/show <table>`: the table as a picture in a public embed.
async fn show(ctx: &Ctx, inv: &Invocation) -> Result<Outcome, HandlerError> {
    let choice = ctx.language(inv)?;
    let lang = choice.lang;
    let typed = inv.str_option("table").unwrap_or_default();
    if typed.trim().eq_ignore_ascii_case("ranker") {
        return ctx.private(inv, "league.show.deprecated", &[]);
    }
    let Some(board) = Board::parse(typed) else {
        let boards: Vec<&str> = Board::all().map(Board::name).collect();
        return ctx.private(
            inv,
            "league.show.invalid",
            &[("boards", &boards.join(", "))],
        );
    };
    // Off-season, only the points of all seasons and the challenges are current (osu-arena
    // §2.3, §6.1).
    let current = matches!(board, Board::Points | Board::Rivals);
    if !current && ctx.store.read(crate::league::season::current)?.is_none() {
        return ctx.private(inv, "league.show.off_season", &[]);
    }
    let text = |key: &str| ctx.texts.render(lang, key, &[]);
    let Some(table) = ctx.store.read(|r| standings::build(r, board, &text))? else {
        return ctx.private(inv, "league.show.empty", &[]);
    };
    table_message(table).await
}

/// A table drawn as pictures in a public embed (the first shown, the rest attached).
async fn table_message(table: crate::render::Table) -> Result<Outcome, HandlerError> {
    let title = table.title.clone();
    let pages = tokio::task::spawn_blocking(move || crate::render::table(&table)).await??;
    let mut message = Message::embed(Embed {
        title,
        color: COLOUR,
        image: Some("table.png".into()),
        ..Embed::default()
    });
    for (n, page) in pages
        .into_iter()
        .take(crate::outbox::limits::FILES)
        .enumerate()
    {
        let name = if n == 0 {
            "table.png".to_string()
        } else {
            format!("table-{}.png", n + 1)
        };
        message = message.with_file(name, page.bytes);
    }
    Ok(Outcome::reply(message))
}

/// Suggestions for `/show`'s table: the boards whose name contains what was typed.
pub fn complete(inv: &Invocation) -> Vec<Choice> {
    let typed = inv
        .str_option("table")
        .unwrap_or_default()
        .trim()
        .to_lowercase();
    Board::all()
        .map(Board::name)
        .filter(|name| name.contains(&typed))
        .map(|name| Choice {
            name: name.to_string(),
            value: name.to_string(),
        })
        .collect()
}

/// `/league role <league_role> <role>`.
fn set_role(ctx: &Ctx, inv: &Invocation) -> Result<Outcome, HandlerError> {
    let name = inv.str_option("league_role").unwrap_or_default();
    let Some(key) = roles::RoleKey::parse(name) else {
        return ctx.private(inv, "league.role.unknown", &[("name", name)]);
    };
    let Some(Value::Role(role)) = inv.option("role") else {
        return crate::bot::outdated(ctx, inv);
    };
    let now = ctx.clock.now();
    let change = ctx
        .store
        .write(|w| roles::set(w, key, *role, Actor::User(inv.user), now))?;
    ctx.outbox.wake();
    match change {
        Change::Applied(_) => ctx.private(
            inv,
            "league.role.set",
            &[
                ("role", &format!("<@&{role}>")),
                ("league_role", key.name()),
            ],
        ),
        Change::NoEffect => ctx.private(inv, "warning.no_effect", &[]),
    }
}

/// A member joined (osu-arena §7.3): the welcome message, and the Inactive role until they link.
pub fn member_joined(ctx: &Ctx, user: u64) -> Result<(), HandlerError> {
    if !ctx.settings.modules_league {
        return Ok(());
    }
    ctx.store.write(|w| members::joined(w, &ctx.texts, user))?;
    ctx.outbox.wake();
    Ok(())
}

/// A member left (osu-arena §7.3): their player row is archived (not deleted) and the log
/// route told.
pub fn member_left(ctx: &Ctx, user: u64) -> Result<(), HandlerError> {
    let now = ctx.clock.now();
    if let Some(gone) = ctx
        .store
        .write(|w| members::left(w, &ctx.texts, user, now))?
    {
        tracing::info!(user, osu = ?gone.osu_username, "a linked member left; archived");
        ctx.outbox.wake();
    }
    Ok(())
}
