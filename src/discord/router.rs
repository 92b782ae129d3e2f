//! The interaction router: serenity's interaction → [`Invocation`], through [`handlers::dispatch`],
//! → answers sent with serenity.
//!
//! Policies that hold for every interaction live here:
//! - the initial response goes out within 3 s: a handler still running after [`DEFER_AFTER`] gets
//!   a deferred ("thinking…") response first, and its answer then edits it;
//! - a handler that fails or panics gives the member a short apology in their language, and the
//!   maintainers (the guild owner, by DM) the full error;
//! - the handler's other effects go to the [`super::outbox`] once the answer is out;
//! - answers pass through [`prepare`] first, so Discord never receives what it would reject.

use std::sync::Arc;
use std::time::Duration;

use serenity::all::{
    ActionRowComponent, ChannelId, CommandDataOption, CommandDataOptionValue, CommandInteraction,
    CreateInteractionResponse, CreateInteractionResponseMessage, Http, Interaction, InteractionId,
    MessageId,
};
use serenity::builder::Builder as _;

use super::convert;
use super::handlers::{self, Ctx};
use super::interaction::{Effect, Invocation, Kind, Outcome, Response, Value};
use super::message::{Message, fit_choices, prepare};

/// How long a handler may run before the interaction is deferred.
pub const DEFER_AFTER: Duration = Duration::from_secs(1);

/// Where to answer: the interaction's id and token, and the clicked message for components.
struct Target {
    id: InteractionId,
    token: String,
    message: Option<(ChannelId, MessageId)>,
}

pub async fn handle(ctx: Arc<Ctx>, http: Arc<Http>, interaction: Interaction) {
    let Some((target, inv)) = invocation(&interaction) else {
        return;
    };
    let autocomplete = matches!(inv.kind, Kind::Autocomplete { .. });
    let task = {
        let (ctx, inv) = (ctx.clone(), inv.clone());
        tokio::spawn(async move { handlers::dispatch(&ctx, &inv).await })
    };
    tokio::pin!(task);
    let (deferred, joined) = match tokio::time::timeout(DEFER_AFTER, &mut task).await {
        Ok(joined) => (false, joined),
        Err(_) if autocomplete => {
            task.abort();
            return send(&http, &target, false, Response::Choices(Vec::new()))
                .await
                .unwrap_or_else(log_send_error);
        }
        Err(_) => {
            let defer = CreateInteractionResponse::Defer(
                CreateInteractionResponseMessage::new().ephemeral(true),
            );
            if let Err(err) = defer.execute(&http, (target.id, &target.token)).await {
                tracing::warn!(error = %err, "deferring an interaction failed");
            }
            (true, task.await)
        }
    };
    let outcome = match joined {
        Ok(Ok(outcome)) => Ok(outcome),
        Ok(Err(err)) => Err(format!("{err:#}")),
        Err(join) => Err(format!("the handler panicked: {join}")),
    };
    let outcome = match outcome {
        Ok(outcome) => outcome,
        Err(detail) => {
            tracing::error!(user = inv.user, kind = ?inv.kind, error = %detail, "handling an interaction failed");
            report(&ctx, &inv, &detail);
            apology(&ctx, &inv)
        }
    };
    let Outcome { response, effects } = outcome;
    if let Err(err) = send(&http, &target, deferred, response).await {
        tracing::error!(error = %err, "answering an interaction failed");
        report(&ctx, &inv, &err);
        let _ = send(&http, &target, true, apology(&ctx, &inv).response).await;
    }
    if let Err(err) = ctx.outbox.send(effects) {
        tracing::error!(error = %err, "queueing an interaction's messages failed");
        report(&ctx, &inv, &err.to_string());
    }
}

fn log_send_error(err: String) {
    tracing::warn!(error = %err, "answering an autocomplete failed");
}

fn apology(ctx: &Ctx, inv: &Invocation) -> Outcome {
    let choice = ctx.language(inv).unwrap_or(crate::i18n::Choice {
        lang: crate::i18n::Lang::En,
        assumed: false,
    });
    Outcome::reply(Message::text(ctx.text(choice, "error.command_error", &[])).ephemeral())
}

/// Tells the maintainers about a failure: a DM to the guild owner with the details.
fn report(ctx: &Ctx, inv: &Invocation, detail: &str) {
    let owner = ctx.owner();
    if owner == 0 {
        return;
    }
    let place = match &inv.kind {
        Kind::Command { path, .. } | Kind::Autocomplete { path, .. } => {
            format!("/{}", path.join(" "))
        }
        Kind::Component { custom_id, .. } => format!("control {custom_id}"),
        Kind::Modal { custom_id, .. } => format!("form {custom_id}"),
    };
    let detail = format!("```\n{}\n```", super::limits::truncate(detail, 3500));
    let user = format!("<@{}>", inv.user);
    let text = ctx.texts.render(
        crate::i18n::Lang::En,
        "error.maintainer_report",
        &[("place", &place), ("user", &user), ("detail", &detail)],
    );
    if let Err(err) = ctx
        .outbox
        .send(vec![Effect::dm(owner, Message::text(text))])
    {
        tracing::warn!(error = %err, "could not report the failure to the guild owner");
    }
}

/// Sends the response: the initial callback (or the edit of a deferred one) and follow-ups for
/// the further parts of a long message.
async fn send(
    http: &Http,
    target: &Target,
    deferred: bool,
    response: Response,
) -> Result<(), String> {
    let at = (target.id, target.token.as_str());
    let err = |e: serenity::Error| e.to_string();
    match response {
        Response::Message(message) => {
            let parts = prepare(message).map_err(|e| e.to_string())?;
            let (first, rest) = parts.split_first().ok_or("an empty answer")?;
            if deferred {
                convert::edit(first)
                    .execute(http, &target.token)
                    .await
                    .map_err(err)?;
            } else {
                CreateInteractionResponse::Message(convert::response(first))
                    .execute(http, at)
                    .await
                    .map_err(err)?;
            }
            for part in rest {
                convert::followup(part)
                    .execute(http, (None, &target.token))
                    .await
                    .map_err(err)?;
            }
        }
        Response::Update(message) => {
            let parts = prepare(message).map_err(|e| e.to_string())?;
            let first = parts.into_iter().next().ok_or("an empty answer")?;
            match (deferred, target.message) {
                (false, _) => {
                    CreateInteractionResponse::UpdateMessage(convert::response(&first))
                        .execute(http, at)
                        .await
                        .map_err(err)?;
                }
                (true, Some((channel, message))) => {
                    channel
                        .edit_message(http, message, convert::edit_message(&first))
                        .await
                        .map_err(err)?;
                }
                (true, None) => return Err("an update for an interaction without a message".into()),
            }
        }
        Response::Modal(modal) if !deferred => {
            let modal = super::message::check_modal(modal).map_err(|e| e.to_string())?;
            CreateInteractionResponse::Modal(convert::modal(&modal))
                .execute(http, at)
                .await
                .map_err(err)?;
        }
        Response::Modal(_) => return Err("a form cannot follow a deferred answer".into()),
        Response::Choices(choices) => {
            let choices = fit_choices(choices);
            CreateInteractionResponse::Autocomplete(convert::choices(&choices))
                .execute(http, at)
                .await
                .map_err(err)?;
        }
    }
    Ok(())
}

/// Serenity's interaction as plain values; `None` for kinds Stagehand does not answer (pings).
fn invocation(interaction: &Interaction) -> Option<(Target, Invocation)> {
    let target = |id, token: &str| Target {
        id,
        token: token.to_string(),
        message: None,
    };
    let (target, member, user, locale, channel, kind) = match interaction {
        Interaction::Command(c) => {
            let (path, options) = flatten(c);
            (
                target(c.id, &c.token),
                c.member.as_deref(),
                &c.user,
                &c.locale,
                c.channel_id,
                Kind::Command { path, options },
            )
        }
        Interaction::Autocomplete(c) => {
            let (path, options) = flatten(c);
            let focused = c
                .data
                .autocomplete()
                .map(|a| a.name.to_string())
                .unwrap_or_default();
            let kind = Kind::Autocomplete {
                path,
                options,
                focused,
            };
            (
                target(c.id, &c.token),
                c.member.as_deref(),
                &c.user,
                &c.locale,
                c.channel_id,
                kind,
            )
        }
        Interaction::Component(c) => {
            let values = match &c.data.kind {
                serenity::all::ComponentInteractionDataKind::StringSelect { values } => {
                    values.clone()
                }
                _ => Vec::new(),
            };
            let kind = Kind::Component {
                custom_id: c.data.custom_id.clone(),
                values,
            };
            let mut t = target(c.id, &c.token);
            t.message = Some((c.channel_id, c.message.id));
            (t, c.member.as_ref(), &c.user, &c.locale, c.channel_id, kind)
        }
        Interaction::Modal(m) => {
            let fields = m
                .data
                .components
                .iter()
                .flat_map(|row| &row.components)
                .filter_map(|c| match c {
                    ActionRowComponent::InputText(input) => Some((
                        input.custom_id.clone(),
                        input.value.clone().unwrap_or_default(),
                    )),
                    _ => None,
                })
                .collect();
            let kind = Kind::Modal {
                custom_id: m.data.custom_id.clone(),
                fields,
            };
            (
                target(m.id, &m.token),
                m.member.as_ref(),
                &m.user,
                &m.locale,
                m.channel_id,
                kind,
            )
        }
        _ => return None,
    };
    let inv = Invocation {
        user: user.id.get(),
        user_name: user.name.clone(),
        roles: member
            .map(|m| m.roles.iter().map(|r| r.get()).collect())
            .unwrap_or_default(),
        administrator: member
            .and_then(|m| m.permissions)
            .is_some_and(|p| p.administrator()),
        locale: locale.clone(),
        channel: channel.get(),
        kind,
    };
    Some((target, inv))
}

/// The command path (`request`, `create`) and the options of the innermost subcommand.
fn flatten(command: &CommandInteraction) -> (Vec<String>, Vec<(String, Value)>) {
    let mut path = vec![command.data.name.clone()];
    let mut options: &[CommandDataOption] = &command.data.options;
    while let Some((
        name,
        CommandDataOptionValue::SubCommand(inner) | CommandDataOptionValue::SubCommandGroup(inner),
    )) = options.first().map(|o| (&o.name, &o.value))
    {
        path.push(name.clone());
        options = inner;
    }
    let values = options
        .iter()
        .filter_map(|o| {
            let value = match &o.value {
                CommandDataOptionValue::String(s) => Value::Str(s.clone()),
                CommandDataOptionValue::Autocomplete { value, .. } => Value::Str(value.clone()),
                CommandDataOptionValue::Integer(i) => Value::Int(*i),
                CommandDataOptionValue::Number(n) => Value::Number(*n),
                CommandDataOptionValue::Boolean(b) => Value::Bool(*b),
                CommandDataOptionValue::User(u) => match command.data.resolved.members.get(u) {
                    Some(member) => Value::Member {
                        id: u.get(),
                        roles: member.roles.iter().map(|r| r.get()).collect(),
                        administrator: member.permissions.is_some_and(|p| p.administrator()),
                    },
                    None => Value::User(u.get()),
                },
                CommandDataOptionValue::Role(r) => Value::Role(r.get()),
                CommandDataOptionValue::Channel(c) => Value::Channel(c.get()),
                _ => return None,
            };
            Some((o.name.clone(), value))
        })
        .collect();
    (path, values)
}
