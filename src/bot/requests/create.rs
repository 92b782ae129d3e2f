//! `/request create` (the checks, then the form), the form's submission, and `/request insert`
//! (gd-requestbot §2.2, §2.3, §2.10).
//!
//! The GD lookup runs in its own task: when it is slower than [`LOOKUP_BUDGET`] the member gets
//! a button that opens the form once the answer is in (a form can only be the first answer to
//! an interaction, which must come within 3 s). A GD outage is "try later" and changes nothing.

use std::time::Duration;

use super::{field, look, reply};
use crate::access::Flag;
use crate::bot::{Ctx, HandlerError, outdated};
use crate::bot::{Invocation, Outcome, Response, Value};
use crate::gd;
use crate::i18n::{self, Lang};
use crate::outbox::CustomId;
use crate::outbox::{Button, ButtonStyle, ButtonTarget, Input, Message, Modal};
use crate::requests::create::{self, Asker, Form, RequestError, Submitted};
use crate::requests::model::Author;

/// How long `/request create` waits for the GD server before offering a button instead.
const LOOKUP_BUDGET: Duration = Duration::from_millis(700);

/// A refusal's reply, or the failure it really is.
fn refuse(ctx: &Ctx, inv: &Invocation, err: RequestError) -> Result<Outcome, HandlerError> {
    match err {
        RequestError::Store(err) => Err(err.into()),
        other => reply(ctx, inv, &other.message()),
    }
}

/// The member asking for themselves, with the exemptions their flags give.
fn member(ctx: &Ctx, inv: &Invocation, lang: Lang) -> Asker {
    let allowed = |flag| ctx.permissions.allowed(&ctx.member(inv), flag);
    Asker::member(
        inv.user,
        lang,
        !allowed(Flag::RequestWhileQueueClosed),
        !allowed(Flag::NoRequestCooldown),
    )
}

/// The level, or the reply that ends the step (not found, or the server not answering).
async fn lookup(
    ctx: &Ctx,
    inv: &Invocation,
    level: u64,
) -> Result<Result<gd::Level, Outcome>, HandlerError> {
    match ctx.gd.level(level).await {
        Ok(Some(found)) => Ok(Ok(found)),
        Ok(None) => Ok(Err(reply(
            ctx,
            inv,
            &RequestError::NotFound(level).message(),
        )?)),
        Err(err) => {
            tracing::warn!(level, error = %err, "a level lookup failed");
            Ok(Err(reply(ctx, inv, &err.message())?))
        }
    }
}

/// `/request create level_id`, and the "open the form" button after a slow lookup.
pub async fn create(ctx: &Ctx, inv: &Invocation, level: u64) -> Result<Outcome, HandlerError> {
    let choice = ctx.language(inv)?;
    let asker = member(ctx, inv, choice.lang);
    let now = ctx.clock.now();
    if let Err(err) = ctx
        .store
        .read(|r| Ok(create::before_lookup(r, &asker, level, now)))?
    {
        return refuse(ctx, inv, err);
    }
    let client = ctx.gd.clone();
    let task = tokio::spawn(async move { client.level(level).await });
    let found = match tokio::time::timeout(LOOKUP_BUDGET, task).await {
        Ok(joined) => joined?,
        Err(_) => return slow(ctx, choice, level),
    };
    let found = match found {
        Ok(Some(found)) => found,
        Ok(None) => return reply(ctx, inv, &RequestError::NotFound(level).message()),
        Err(err) => {
            tracing::warn!(level, error = %err, "a level lookup failed");
            return reply(ctx, inv, &err.message());
        }
    };
    if let Err(err) = ctx
        .store
        .read(|r| Ok(create::after_lookup(r, &asker, &found, now)))?
    {
        return refuse(ctx, inv, err);
    }
    let required = ctx.store.read(|r| create::showcase_required(r, &found))?;
    ctx.store
        .write(|w| create::initialized(w, &asker, &found, now))?;
    let text = |key: &str| ctx.texts.render(choice.lang, key, &[]);
    let modal = Modal {
        custom_id: CustomId::new("req", "submit", level, None),
        title: text("request.form.title"),
        inputs: vec![
            Input {
                id: "showcase".into(),
                label: text("request.form.showcase.label"),
                paragraph: false,
                required,
                placeholder: "https://www.youtube.com/watch?v=dQw4w9WgXcQ".into(),
                min_len: 8,
                max_len: 100,
            },
            Input {
                id: "comment".into(),
                label: text("request.form.comment.label"),
                paragraph: true,
                required: false,
                placeholder: text("request.form.comment.placeholder"),
                min_len: 5,
                max_len: 400,
            },
        ],
    };
    Ok(Outcome {
        response: Response::Modal(modal),
        effects: Vec::new(),
    })
}

/// The GD server is slow: a button opens the form once its answer is cached.
fn slow(ctx: &Ctx, choice: i18n::Choice, level: u64) -> Result<Outcome, HandlerError> {
    let button = Button {
        label: ctx
            .texts
            .render(choice.lang, "request.create.open_form", &[]),
        style: ButtonStyle::Primary,
        target: ButtonTarget::Control(CustomId::new("req", "form", level, None)),
        disabled: false,
    };
    let text = ctx.text(choice, "request.create.slow", &[]);
    Ok(Outcome::reply(
        Message::text(text).with_row(vec![button]).ephemeral(),
    ))
}

/// The submitted form: every check again, then the request, its widget and its cooldown in one
/// transaction.
pub async fn submit(
    ctx: &Ctx,
    inv: &Invocation,
    level: u64,
    fields: &[(String, String)],
) -> Result<Outcome, HandlerError> {
    let lang = ctx.language(inv)?.lang;
    let found = match lookup(ctx, inv, level).await? {
        Ok(found) => found,
        Err(answer) => return Ok(answer),
    };
    let form = Form {
        showcase: field(fields, "showcase"),
        comment: field(fields, "comment"),
    };
    let asker = member(ctx, inv, lang);
    match store(ctx, &asker, &found, &form)? {
        Ok(done) => reply(
            ctx,
            inv,
            &i18n::Message::new("request.submitted")
                .with("level_name", done.request.level.name_code())
                .with("request_id", done.id),
        ),
        Err(err) => refuse(ctx, inv, err),
    }
}

/// Stores a request with its widget, its event and any queue notice, in one transaction
/// (`requests::desk::submit`).
fn store(
    ctx: &Ctx,
    asker: &Asker,
    level: &gd::Level,
    form: &Form,
) -> Result<Result<Submitted, RequestError>, HandlerError> {
    let now = ctx.clock.now();
    let result = ctx.store.write(|w| {
        match crate::requests::desk::submit(w, &look(ctx), asker, level, form, now) {
            Ok(done) => Ok(Ok(done)),
            Err(RequestError::Store(err)) => Err(err),
            Err(refused) => Ok(Err(refused)),
        }
    })?;
    if result.is_ok() {
        ctx.outbox.wake();
    }
    Ok(result)
}

/// `/request insert`: a request on someone's behalf, without the queue and cooldown checks and
/// without a cooldown after it (§2.10).
pub async fn insert(ctx: &Ctx, inv: &Invocation) -> Result<Outcome, HandlerError> {
    let Some(level) = super::level_option(inv) else {
        return outdated(ctx, inv);
    };
    let Some(lang) = inv.str_option("language").and_then(Lang::parse) else {
        return outdated(ctx, inv);
    };
    let author = match (
        inv.option("creator_mention"),
        inv.str_option("creator_name"),
    ) {
        (Some(Value::Member { id, .. } | Value::User(id)), _) => Author::User(*id),
        (_, Some(name)) if !name.trim().is_empty() => Author::Name(name.trim().to_string()),
        _ => {
            return reply(
                ctx,
                inv,
                &i18n::Message::new("request.insert.creator_required"),
            );
        }
    };
    let asker = Asker::inserter(inv.user, author, lang);
    let now = ctx.clock.now();
    if let Err(err) = ctx
        .store
        .read(|r| Ok(create::before_lookup(r, &asker, level, now)))?
    {
        return refuse(ctx, inv, err);
    }
    let found = match lookup(ctx, inv, level).await? {
        Ok(found) => found,
        Err(answer) => return Ok(answer),
    };
    let form = Form {
        showcase: inv.str_option("yt_link").map(str::to_string),
        comment: inv.str_option("additional_comment").map(str::to_string),
    };
    match store(ctx, &asker, &found, &form)? {
        Ok(_) => reply(ctx, inv, &i18n::Message::new("common.success")),
        Err(err) => refuse(ctx, inv, err),
    }
}
