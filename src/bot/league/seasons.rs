//! `/season_end`, `/season_start` and their Confirm / Cancel prompt (osu-arena §2.9–2.11),
//! `/archived` (§2.4) and `/delete` (§2.8). The season change itself runs in the scheduler
//! (`league::transition`); the prompt it was confirmed on shows its progress.

use crate::audit::Actor;
use crate::bot::{Ctx, HandlerError, Invocation, Kind, Outcome, Response, Value};
use crate::league::members;
use crate::league::season::{self, POINTS_TABLE, RIVALS_TABLE};
use crate::league::standings;
use crate::league::transition::{self, Answered, Change, SeasonError};
use crate::outbox::{Button, ButtonStyle, ButtonTarget, Choice, CustomId, Message, Posted};
use crate::store::StoreError;

use super::table_message;

/// The module of the prompt's buttons in their `custom_id`s.
pub const CONTROLS: &str = "season";

/// `/season_end` or `/season_start`: the prompt, answerable by the invoker for 30 s.
pub fn ask(ctx: &Ctx, inv: &Invocation, change: Change) -> Result<Outcome, HandlerError> {
    let now = ctx.clock.now();
    let asked = ctx
        .store
        .write(|w| Ok::<_, StoreError>(transition::ask(w, change, inv.user, now)))?;
    let (id, season) = match asked {
        Ok(asked) => asked,
        Err(refused) => return refuse(ctx, inv, &refused),
    };
    let choice = ctx.language(inv)?;
    let key = match change {
        Change::End => "season.prompt.end",
        Change::Start => "season.prompt.start",
    };
    let text = ctx.text(choice, key, &[("season", &season.to_string())]);
    let button = |label: &str, style, arg| Button {
        label: ctx.texts.render(choice.lang, label, &[]),
        style,
        target: ButtonTarget::Control(CustomId::new(CONTROLS, "answer", id, Some(arg))),
        disabled: false,
    };
    let row = vec![
        button("season.button.confirm", ButtonStyle::Success, "confirm"),
        button("season.button.cancel", ButtonStyle::Danger, "cancel"),
    ];
    Ok(Outcome::reply(Message::text(text).with_row(row)))
}

/// A click on the prompt's Confirm or Cancel (the gate has passed: `league_admin`).
pub fn answer(ctx: &Ctx, inv: &Invocation, id: &CustomId) -> Result<Outcome, HandlerError> {
    let confirmed = match id.arg.as_deref() {
        Some("confirm") => true,
        Some("cancel") => false,
        _ => return crate::bot::outdated(ctx, inv),
    };
    let Kind::Component { message, .. } = inv.kind else {
        return crate::bot::outdated(ctx, inv);
    };
    let shown = Posted {
        channel: inv.channel,
        message,
    };
    let choice = ctx.language(inv)?;
    let now = ctx.clock.now();
    let answered = ctx.store.write(|w| {
        Ok::<_, StoreError>(transition::answer(
            w,
            id.id,
            inv.user,
            confirmed,
            shown,
            choice.lang,
            now,
        ))
    })?;
    let update = |text: String| Outcome {
        response: Response::Update(Message::text(text)),
        effects: Vec::new(),
    };
    match answered {
        Ok(Answered::Cancelled) => Ok(update(ctx.text(choice, "season.prompt.cancelled", &[]))),
        Ok(Answered::Started { change, season }) => {
            ctx.outbox.wake();
            let key = match change {
                Change::End => "season.prompt.confirmed_end",
                Change::Start => "season.prompt.confirmed_start",
            };
            let season = season.to_string();
            Ok(update(ctx.text(choice, key, &[("season", &season)])))
        }
        // Someone else's prompt stays as it is; they are told privately.
        Err(refused @ (SeasonError::NotYours | SeasonError::PromptGone)) => {
            refuse(ctx, inv, &refused)
        }
        Err(SeasonError::Store(err)) => Err(err.into()),
        // The prompt is spent: it shows why.
        Err(refused) => {
            let message = refused.message();
            Ok(update(ctx.text(choice, message.key, &message.params())))
        }
    }
}

fn refuse(ctx: &Ctx, inv: &Invocation, refused: &SeasonError) -> Result<Outcome, HandlerError> {
    if let SeasonError::Store(_) = refused {
        return Err(anyhow::anyhow!("{refused}"));
    }
    crate::bot::reply(ctx, inv, &refused.message())
}

/// `/archived season table`: an archived league table or the seasonal points of an ended
/// season, as a picture (osu-arena §2.4, §10.1).
pub async fn archived(ctx: &Ctx, inv: &Invocation) -> Result<Outcome, HandlerError> {
    let typed_season = inv.str_option("season").unwrap_or_default().trim();
    let typed_table = inv
        .str_option("table")
        .unwrap_or_default()
        .trim()
        .to_lowercase();
    let index = ctx.store.read(season::archive_index)?;
    let seasons = || {
        let list: Vec<String> = index.iter().map(|(n, _)| n.to_string()).collect();
        list.join(", ")
    };
    let Some((number, tables)) = typed_season
        .parse::<u64>()
        .ok()
        .and_then(|n| index.iter().find(|(s, _)| *s == n))
    else {
        if index.is_empty() {
            return ctx.private(inv, "league.archived.nothing", &[]);
        }
        return ctx.private(
            inv,
            "league.archived.no_season",
            &[("season", typed_season), ("seasons", &seasons())],
        );
    };
    if !tables.contains(&typed_table) {
        return ctx.private(
            inv,
            "league.archived.no_table",
            &[
                ("season", &number.to_string()),
                ("table", &typed_table),
                ("tables", &tables.join(", ")),
            ],
        );
    }
    let lang = ctx.language(inv)?.lang;
    let text = |key: &str| ctx.texts.render(lang, key, &[]);
    let title = |what: String| {
        ctx.texts.render(
            lang,
            "league.archived.title",
            &[("table", &what), ("season", &number.to_string())],
        )
    };
    let number = *number;
    let table = ctx.store.read(|r| {
        Ok::<_, StoreError>(if typed_table == RIVALS_TABLE {
            standings::finished_rivals(r, &text)?
        } else if typed_table == POINTS_TABLE {
            season::archived_points(r, number)?
                .map(|rows| standings::archived_points(&rows, &text))
                .map(|mut t| {
                    t.title = title(text("league.table.seasonal_points"));
                    t
                })
        } else {
            season::archived_table(r, number, &typed_table)?.map(|rows| {
                let name = crate::league::League::parse(&typed_table)
                    .map_or_else(|| typed_table.clone(), |l| text(l.text_key()));
                let mut t = standings::archived_league(&rows, &text);
                t.title = title(name);
                t
            })
        })
    })?;
    match table {
        Some(table) if !table.rows.is_empty() => table_message(table).await,
        _ => ctx.private(inv, "league.show.empty", &[]),
    }
}

/// Suggestions for `/archived`: the ended seasons, then the tables archived for the season
/// typed (osu-arena §2.4: only what exists).
pub fn complete_archived(
    ctx: &Ctx,
    inv: &Invocation,
    focused: &str,
) -> Result<Vec<Choice>, StoreError> {
    let index = ctx.store.read(season::archive_index)?;
    let typed = inv
        .str_option(focused)
        .unwrap_or_default()
        .trim()
        .to_lowercase();
    let names: Vec<String> = if focused == "season" {
        index.iter().rev().map(|(n, _)| n.to_string()).collect()
    } else {
        let season = inv.str_option("season").unwrap_or_default().trim();
        index
            .iter()
            .find(|(n, _)| n.to_string() == season)
            .map(|(_, tables)| tables.clone())
            .unwrap_or_default()
    };
    Ok(names
        .into_iter()
        .filter(|name| name.contains(&typed))
        .map(|name| Choice {
            name: name.clone(),
            value: name,
        })
        .collect())
}

/// `/delete player` (osu-arena §2.8; `league::members::deleted`).
pub fn delete(ctx: &Ctx, inv: &Invocation) -> Result<Outcome, HandlerError> {
    let (user, roles) = match inv.option("player") {
        Some(Value::Member { id, roles, .. }) => (*id, Some(roles.as_slice())),
        Some(Value::User(id)) => (*id, None),
        _ => return crate::bot::outdated(ctx, inv),
    };
    let now = ctx.clock.now();
    let actor = Actor::User(inv.user);
    let deleted = ctx
        .store
        .write(|w| members::deleted(w, &ctx.texts, user, roles, ctx.guild, actor, now))?;
    ctx.outbox.wake();
    let mention = format!("<@{user}>");
    let key = match deleted {
        Some(_) => "league.delete.done",
        None => "league.delete.not_linked",
    };
    ctx.private(inv, key, &[("player", &mention)])
}
