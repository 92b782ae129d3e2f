//! The interaction router: serenity's interaction → [`Invocation`], through `bot::dispatch`,
//! → answers sent with serenity.
//!
//! Policies that hold for every interaction live here:
//! - the initial response goes out within 3 s: a handler still running after [`DEFER_AFTER`] gets
//!   a deferred response first ([`deferral`]): a command or form "thinking…", privately unless the
//!   command answers publicly; a click nothing visible (type 6). A slow autocomplete gets no
//!   choices. The answer then fills in what the deferral left ([`calls`]);
//! - a handler that fails or panics gives the member a short apology in their language, and the
//!   maintainers (the guild owner, by DM) the full error ([`settle`]);
//! - the handler's other effects go to the [`super::outbox`] once the answer is out;
//! - answers pass through [`prepare`] first, so Discord never receives what it would reject.

use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use serenity::all::{
    ActionRowComponent, CommandDataOption, CommandDataOptionValue, CommandInteraction,
    CreateInteractionResponse, CreateInteractionResponseMessage, Http, Interaction, InteractionId,
};
use serenity::builder::Builder as _;
use tokio::task::{JoinError, JoinHandle};

use super::callback::Callbacks;
use super::convert;
use crate::bot::{self, Ctx, HandlerError, commands};
use crate::bot::{Invocation, Kind, Outcome, Response, Value};
use crate::outbox::{Choice, Effect, File, Message, Modal, check_modal, fit_choices, prepare};

/// How long a handler may run before the interaction is deferred.
pub const DEFER_AFTER: Duration = Duration::from_secs(1);

/// Where to answer: the interaction's id and token.
struct Target {
    id: InteractionId,
    token: String,
}

/// How a slow interaction is acknowledged while its handler runs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Deferral {
    /// "Thinking…" (type 5): a message the answer then fills in, seen by everyone or, when
    /// `ephemeral`, only by the member.
    Thinking { ephemeral: bool },
    /// Nothing visible (type 6), for clicks: an update then edits the clicked message, and a new
    /// message goes out as follow-ups.
    Update,
}

/// How `kind` is deferred when its handler is slow; `None` for an autocomplete, which cannot be
/// (a slow one is answered with no choices).
fn deferral(kind: &Kind) -> Option<Deferral> {
    match kind {
        Kind::Command { path, .. } => Some(Deferral::Thinking {
            ephemeral: !commands::answers_publicly(path),
        }),
        Kind::Component { .. } => Some(Deferral::Update),
        Kind::Modal { .. } => Some(Deferral::Thinking { ephemeral: true }),
        Kind::Autocomplete { .. } => None,
    }
}

/// The ways to Discord: [`Callbacks`] for initial responses, serenity's `Http` for the rest.
pub struct Api<'a> {
    pub http: &'a Http,
    pub callbacks: &'a Callbacks,
}

pub async fn handle(ctx: Arc<Ctx>, api: Api<'_>, interaction: &Interaction) {
    let Some((target, inv)) = invocation(interaction) else {
        return;
    };
    let mark = ctx.outbox.mark();
    let task = {
        let (ctx, inv) = (ctx.clone(), inv.clone());
        tokio::spawn(async move { bot::dispatch(&ctx, &inv).await })
    };
    tokio::pin!(task);
    let (deferred, joined) = match tokio::time::timeout(DEFER_AFTER, &mut task).await {
        Ok(joined) => (None, joined),
        // Boxed: the slow path's futures would otherwise weigh on every interaction's.
        Err(_) => match Box::pin(defer(&api, &target, &inv.kind, task)).await {
            Some((deferral, joined)) => (Some(deferral), joined),
            None => return,
        },
    };
    let Outcome { response, effects } = settle(&ctx, &inv, joined);
    if let Err(unsent) = send(&api, &target, deferred, response).await {
        tracing::error!(error = ?unsent.detail, "answering an interaction failed");
        report(&ctx, &inv, &unsent.detail);
        // The apology is the initial response if none went out, else a follow-up (which also
        // fills a "thinking…" message the answer could not).
        let after = unsent.acknowledged.then_some(Deferral::Update);
        if let Err(again) = send(&api, &target, after, apology(&ctx, &inv).response).await {
            tracing::warn!(error = ?again.detail, "the apology did not go out either");
        }
    }
    if let Err(err) = ctx.outbox.send(effects, mark) {
        tracing::error!(error = %err, "queueing an interaction's messages failed");
        report(&ctx, &inv, &err.to_string());
    }
}

/// The result of a handler's task.
type Joined = Result<Result<Outcome, HandlerError>, JoinError>;

/// Acknowledges the interaction of a handler still running the way it will be answered
/// ([`deferral`]), then waits for the handler; `None` for an autocomplete, which cannot wait: it
/// is answered with no choices and its handler stopped.
async fn defer(
    api: &Api<'_>,
    target: &Target,
    kind: &Kind,
    task: Pin<&mut JoinHandle<Result<Outcome, HandlerError>>>,
) -> Option<(Deferral, Joined)> {
    let Some(deferral) = deferral(kind) else {
        task.abort();
        if let Err(unsent) = send(api, target, None, Response::Choices(Vec::new())).await {
            tracing::warn!(error = ?unsent.detail, "answering an autocomplete failed");
        }
        return None;
    };
    if let Err(err) = perform(api, target, Call::Defer(deferral)).await {
        tracing::warn!(error = ?err.to_string(), "deferring an interaction failed");
    }
    Some((deferral, task.await))
}

/// The handler's outcome; when it failed or panicked, the apology instead, and the maintainers
/// are told.
fn settle(ctx: &Ctx, inv: &Invocation, joined: Joined) -> Outcome {
    let detail = match joined {
        Ok(Ok(outcome)) => return outcome,
        Ok(Err(err)) => format!("{err:#}"),
        Err(join) => format!("the handler panicked: {join}"),
    };
    tracing::error!(user = inv.user, kind = ?inv.kind, error = ?detail, "handling an interaction failed");
    report(ctx, inv, &detail);
    apology(ctx, inv)
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
    let detail = format!(
        "```\n{}\n```",
        crate::outbox::limits::truncate(detail, 3500)
    );
    let user = format!("<@{}>", inv.user);
    let text = ctx.texts.render(
        crate::i18n::Lang::En,
        "error.maintainer_report",
        &[("place", &place), ("user", &user), ("detail", &detail)],
    );
    if let Err(err) = ctx.outbox.send(
        vec![Effect::dm(owner, Message::text(text))],
        ctx.outbox.mark(),
    ) {
        tracing::warn!(error = %err, "could not report the failure to the guild owner");
    }
}

/// One request to Discord about an interaction.
#[derive(Debug, PartialEq)]
enum Call {
    /// The initial response: a deferral (type 5 or 6).
    Defer(Deferral),
    /// The initial response: a new message (type 4).
    Reply(Message),
    /// The initial response: the clicked message replaced (type 7).
    Update(Message),
    /// The initial response: a form (type 9).
    Modal(Modal),
    /// The initial response: autocomplete choices (type 8).
    Choices(Vec<Choice>),
    /// Edits `@original`: the "thinking…" message, or after a type 6 the clicked message.
    EditOriginal(Message),
    /// Deletes `@original`, a "thinking…" message the answer cannot fill (it would show a
    /// private answer publicly, or the other way round).
    DeleteOriginal,
    /// A further message, with its own flags.
    FollowUp(Message),
}

impl Call {
    /// Whether this is the interaction's initial response.
    fn is_initial(&self) -> bool {
        match self {
            Call::Defer(_)
            | Call::Reply(_)
            | Call::Update(_)
            | Call::Modal(_)
            | Call::Choices(_) => true,
            Call::EditOriginal(_) | Call::DeleteOriginal | Call::FollowUp(_) => false,
        }
    }
}

/// The calls that deliver `response` after `deferred` (or as the initial response): the one
/// place that decides how an answer goes out. A long message is several parts: the first fills
/// the initial response, the rest follow.
fn calls(deferred: Option<Deferral>, response: Response) -> Result<Vec<Call>, String> {
    let parts = |message| -> Result<(Message, Vec<Call>), String> {
        let mut parts = prepare(message).map_err(|e| e.to_string())?.into_iter();
        let first = parts.next().ok_or("an empty answer")?;
        Ok((first, parts.map(Call::FollowUp).collect()))
    };
    let (first, rest) = match (deferred, response) {
        (None, Response::Message(message)) => {
            let (first, rest) = parts(message)?;
            (Call::Reply(first), rest)
        }
        (None, Response::Update(message)) => {
            let (first, rest) = parts(message)?;
            (Call::Update(first), rest)
        }
        (None, Response::Modal(modal)) => {
            let modal = check_modal(modal).map_err(|e| e.to_string())?;
            (Call::Modal(modal), Vec::new())
        }
        (None, Response::Choices(choices)) => (Call::Choices(fit_choices(choices)), Vec::new()),
        (Some(Deferral::Thinking { ephemeral }), Response::Message(message)) => {
            let (first, mut rest) = parts(message)?;
            if first.ephemeral == ephemeral {
                (Call::EditOriginal(first), rest)
            } else {
                rest.insert(0, Call::FollowUp(first));
                (Call::DeleteOriginal, rest)
            }
        }
        (Some(Deferral::Update), Response::Message(message)) => {
            let (first, rest) = parts(message)?;
            (Call::FollowUp(first), rest)
        }
        (Some(Deferral::Update), Response::Update(message)) => {
            let (first, rest) = parts(message)?;
            (Call::EditOriginal(first), rest)
        }
        (Some(Deferral::Thinking { .. }), Response::Update(_)) => {
            return Err("an update cannot follow a \"thinking…\" deferral".into());
        }
        (Some(_), Response::Modal(_)) => {
            return Err("a form cannot follow a deferred answer".into());
        }
        (Some(_), Response::Choices(_)) => {
            return Err("choices cannot follow a deferred answer".into());
        }
    };
    Ok(std::iter::once(first).chain(rest).collect())
}

/// Sends the response: see [`calls`].
async fn send(
    api: &Api<'_>,
    target: &Target,
    deferred: Option<Deferral>,
    response: Response,
) -> Result<(), Unsent> {
    let mut acknowledged = deferred.is_some();
    let unsent = |acknowledged, detail| Unsent {
        acknowledged,
        detail,
    };
    for call in calls(deferred, response).map_err(|e| unsent(acknowledged, e))? {
        let initial = call.is_initial();
        perform(api, target, call)
            .await
            .map_err(|e| unsent(acknowledged, e.to_string()))?;
        acknowledged |= initial;
    }
    Ok(())
}

/// An answer that did not (wholly) go out.
struct Unsent {
    /// Whether an initial response went out: anything more can only follow it.
    acknowledged: bool,
    detail: String,
}

/// Makes one call.
async fn perform(api: &Api<'_>, target: &Target, call: Call) -> anyhow::Result<()> {
    let (http, token) = (api.http, target.token.as_str());
    let no_files: &[File] = &[];
    let (initial, files) = match &call {
        Call::Defer(Deferral::Thinking { ephemeral }) => (
            CreateInteractionResponse::Defer(
                CreateInteractionResponseMessage::new().ephemeral(*ephemeral),
            ),
            no_files,
        ),
        Call::Defer(Deferral::Update) => (CreateInteractionResponse::Acknowledge, no_files),
        Call::Reply(message) => (
            CreateInteractionResponse::Message(convert::response(message)),
            &message.files[..],
        ),
        Call::Update(message) => (
            CreateInteractionResponse::UpdateMessage(convert::response(message)),
            &message.files[..],
        ),
        Call::Modal(modal) => (
            CreateInteractionResponse::Modal(convert::modal(modal)),
            no_files,
        ),
        Call::Choices(choices) => (
            CreateInteractionResponse::Autocomplete(convert::choices(choices)),
            no_files,
        ),
        // serenity's futures are kilobytes: boxed, they do not weigh on every interaction's
        // future, though few interactions get here.
        Call::EditOriginal(message) => {
            Box::pin(convert::edit(message).execute(http, token)).await?;
            return Ok(());
        }
        Call::DeleteOriginal => {
            return Ok(Box::pin(http.delete_original_interaction_response(token)).await?);
        }
        Call::FollowUp(message) => {
            Box::pin(convert::followup(message).execute(http, (None, token))).await?;
            return Ok(());
        }
    };
    api.callbacks
        .send(target.id, token, &initial, files)
        .await?;
    Ok(())
}

/// Serenity's interaction as plain values; `None` for kinds Stagehand does not answer (pings).
fn invocation(interaction: &Interaction) -> Option<(Target, Invocation)> {
    let target = |id, token: &str| Target {
        id,
        token: token.to_string(),
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
                message: c.message.id.get(),
            };
            let target = target(c.id, &c.token);
            (
                target,
                c.member.as_ref(),
                &c.user,
                &c.locale,
                c.channel_id,
                kind,
            )
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
                        bot: command.data.resolved.users.get(u).is_some_and(|u| u.bot),
                    },
                    None => Value::User(u.get()),
                },
                CommandDataOptionValue::Role(r) => Value::Role(r.get()),
                CommandDataOptionValue::Channel(c) => Value::Channel(c.get()),
                CommandDataOptionValue::Attachment(a) => {
                    let attachment = command.data.resolved.attachments.get(a)?;
                    Value::Attachment {
                        url: attachment.url.clone(),
                        filename: attachment.filename.clone(),
                        size: u64::from(attachment.size),
                    }
                }
                _ => return None,
            };
            Some((o.name.clone(), value))
        })
        .collect();
    (path, values)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use crate::bot::ctx::tests::{OWNER, ctx};
    use crate::outbox::CustomId;
    use crate::outbox::Destination;
    use crate::outbox::Input;
    use crate::outbox::queue;

    fn command(path: &str) -> Kind {
        Kind::Command {
            path: path.split(' ').map(str::to_string).collect(),
            options: Vec::new(),
        }
    }

    #[test]
    fn a_slow_interaction_defers_the_way_it_will_be_answered() {
        let thinking = |ephemeral| Some(Deferral::Thinking { ephemeral });
        assert_eq!(
            deferral(&command("show")),
            thinking(false),
            "a public table"
        );
        for private in ["help", "request insert", "queue info", "no_such_command"] {
            assert_eq!(deferral(&command(private)), thinking(true), "{private}");
        }
        let click = Kind::Component {
            custom_id: "v1:req:opinion:1:approve".into(),
            values: Vec::new(),
            message: 9,
        };
        assert_eq!(deferral(&click), Some(Deferral::Update));
        let form = Kind::Modal {
            custom_id: "v1:req:submit:128".into(),
            fields: Vec::new(),
        };
        assert_eq!(deferral(&form), thinking(true));
        let typing = Kind::Autocomplete {
            path: vec!["show".into()],
            options: Vec::new(),
            focused: "table".into(),
        };
        assert_eq!(deferral(&typing), None, "answered with no choices instead");
    }

    #[test]
    fn a_deferred_answer_fills_what_the_deferral_left() {
        let private = Message::text("only for you").ephemeral();
        let public = Message::text("for everyone");
        let thinking = |ephemeral| Some(Deferral::Thinking { ephemeral });
        let message = |m: &Message| Response::Message(m.clone());

        // The deferral's visibility: the answer fills the "thinking…" message, further parts follow.
        let long = Message::text("word ".repeat(500)).ephemeral();
        let parts = prepare(long.clone()).unwrap();
        assert_eq!(parts.len(), 2);
        assert_eq!(
            calls(thinking(true), message(&long)),
            Ok(vec![
                Call::EditOriginal(parts[0].clone()),
                Call::FollowUp(parts[1].clone())
            ])
        );
        assert_eq!(
            calls(thinking(false), message(&public)),
            Ok(vec![Call::EditOriginal(public.clone())])
        );
        // The other visibility: the "thinking…" message goes, the answer follows with its own
        // flags, so a private error never shows publicly.
        assert_eq!(
            calls(thinking(false), message(&private)),
            Ok(vec![Call::DeleteOriginal, Call::FollowUp(private.clone())])
        );
        assert_eq!(
            calls(thinking(true), message(&public)),
            Ok(vec![Call::DeleteOriginal, Call::FollowUp(public.clone())])
        );
        let parts = prepare(Message {
            ephemeral: false,
            ..long.clone()
        })
        .unwrap();
        assert_eq!(
            calls(
                thinking(true),
                Response::Message(Message {
                    ephemeral: false,
                    ..long
                })
            ),
            Ok(vec![
                Call::DeleteOriginal,
                Call::FollowUp(parts[0].clone()),
                Call::FollowUp(parts[1].clone())
            ])
        );

        // After a click's deferral: an update edits the clicked message, a message follows up.
        assert_eq!(
            calls(Some(Deferral::Update), Response::Update(public.clone())),
            Ok(vec![Call::EditOriginal(public.clone())])
        );
        assert_eq!(
            calls(Some(Deferral::Update), message(&private)),
            Ok(vec![Call::FollowUp(private.clone())])
        );
        // A long update keeps its words: what does not fit the clicked message follows it.
        let long_update = Message::text("word ".repeat(500));
        let update_parts = prepare(long_update.clone()).unwrap();
        let rest = Call::FollowUp(update_parts[1].clone());
        assert_eq!(
            calls(
                Some(Deferral::Update),
                Response::Update(long_update.clone())
            ),
            Ok(vec![Call::EditOriginal(update_parts[0].clone()), rest])
        );
        assert_eq!(
            calls(None, Response::Update(long_update)),
            Ok(vec![
                Call::Update(update_parts[0].clone()),
                Call::FollowUp(update_parts[1].clone())
            ])
        );

        // What cannot come after a deferral.
        let modal = Modal {
            custom_id: CustomId::new("req", "submit", 128, None),
            title: "Request".into(),
            inputs: vec![Input {
                id: "comment".into(),
                label: "Comment".into(),
                paragraph: true,
                required: false,
                placeholder: String::new(),
                min_len: 0,
                max_len: 400,
            }],
        };
        for deferred in [thinking(true), Some(Deferral::Update)] {
            assert!(calls(deferred, Response::Modal(modal.clone())).is_err());
            assert!(calls(deferred, Response::Choices(Vec::new())).is_err());
        }
        assert!(calls(thinking(true), Response::Update(public.clone())).is_err());

        // Not deferred: the initial response.
        assert_eq!(
            calls(None, message(&private)),
            Ok(vec![Call::Reply(private)])
        );
        assert_eq!(
            calls(None, Response::Update(public.clone())),
            Ok(vec![Call::Update(public)])
        );
        assert_eq!(
            calls(None, Response::Modal(modal.clone())),
            Ok(vec![Call::Modal(modal)])
        );
    }

    fn anna(locale: &str) -> Invocation {
        Invocation {
            user: 10,
            user_name: "anna".into(),
            roles: Vec::new(),
            administrator: false,
            locale: locale.into(),
            channel: 5,
            kind: command("request insert"),
        }
    }

    /// Every effect queued in the outbox, as (DM recipient, text).
    fn queued_dms(ctx: &Ctx) -> Vec<(u64, String)> {
        let rows = ctx.store.read(queue::queued).unwrap();
        rows.into_iter()
            .map(|(_, queued)| match queued.effect {
                Effect::Send {
                    to: Destination::Dm(user),
                    message,
                    ..
                } => (user, message.content),
                other => panic!("not a DM: {other:?}"),
            })
            .collect()
    }

    /// `settle` turned a failure into an apology in Russian and one report to the owner that
    /// names the command and contains `detail`.
    fn check_apology_and_report(ctx: &Ctx, outcome: Outcome, detail: &str) {
        assert!(outcome.effects.is_empty());
        let Response::Message(apology) = outcome.response else {
            panic!("not a message: {:?}", outcome.response);
        };
        assert!(apology.ephemeral);
        assert!(
            apology.content.starts_with(
                "При выполнении команды что-то пошло не так. Сопровождающие уже знают"
            ),
            "{}",
            apology.content
        );
        let dms = queued_dms(ctx);
        assert_eq!(dms.len(), 1, "{dms:?}");
        let (to, report) = &dms[0];
        assert_eq!(*to, OWNER);
        assert!(
            report.starts_with("**Error** in /request insert (user <@10>):"),
            "{report}"
        );
        assert!(report.contains(detail), "{report}");
    }

    #[test]
    fn a_failing_handler_gets_an_apology_and_the_owner_a_report() {
        let dir = tempfile::tempdir().unwrap();
        let ctx = ctx(dir.path());
        let failed = Err(anyhow::anyhow!("the store is read-only"));
        let outcome = settle(&ctx, &anna("ru"), Ok(failed));
        check_apology_and_report(&ctx, outcome, "the store is read-only");
    }

    fn explode() -> Result<Outcome, HandlerError> {
        panic!("index 3 out of range")
    }

    #[tokio::test]
    async fn a_panicking_handler_gets_an_apology_and_the_owner_a_report() {
        let dir = tempfile::tempdir().unwrap();
        let ctx = ctx(dir.path());
        let joined = tokio::spawn(async { explode() }).await;
        assert!(joined.is_err());
        let outcome = settle(&ctx, &anna("ru"), joined);
        check_apology_and_report(
            &ctx,
            outcome,
            "panicked with message \"index 3 out of range\"",
        );
    }

    #[test]
    fn a_handlers_answer_passes_through_untouched() {
        let dir = tempfile::tempdir().unwrap();
        let ctx = ctx(dir.path());
        let answer = Outcome::reply(Message::text("Done."));
        let outcome = settle(&ctx, &anna("en-US"), Ok(Ok(answer)));
        assert!(matches!(outcome.response, Response::Message(m) if m.content == "Done."));
        assert!(queued_dms(&ctx).is_empty());
    }
}
