//! `/backup save` and `/backup load file` (admins; gd-requestbot §1.2, §10.1, §10.3) on the
//! server's snapshots ([`crate::bot::backups::Backups`]).
//!
//! `save` writes a snapshot as `stagehand backup` does and, when the `snapshot` route is on,
//! posts a compressed copy without secrets. `load` downloads the attached snapshot (such a copy,
//! or any snapshot), which is checked as `stagehand restore` checks one and then replaces the
//! live store while the server runs: the other interactions, the outbox and the scheduler
//! finish what they are doing and wait meanwhile (this one does not hold the store, see
//! `dispatch`), the current store is saved first, and the secrets stay this server's. The
//! permissions and texts the bot keeps in memory are read again from the new store.

use crate::bot::backups::{Copy, LoadRefused, MAX_UPLOAD};
use crate::bot::{Ctx, HandlerError, Invocation, Outcome, Value, outdated, reply};
use crate::i18n::Message;

/// Runs `/backup <sub>`.
pub async fn command(ctx: &Ctx, inv: &Invocation, sub: &str) -> Result<Outcome, HandlerError> {
    match sub {
        "save" => save(ctx, inv).await,
        "load" => load(ctx, inv).await,
        _ => outdated(ctx, inv),
    }
}

async fn save(ctx: &Ctx, inv: &Invocation) -> Result<Outcome, HandlerError> {
    let saved = match ctx.backups.save(inv.user).await {
        Ok(saved) => saved,
        Err(reason) => {
            tracing::error!(%reason, "a snapshot asked for in Discord failed");
            return reply(
                ctx,
                inv,
                &Message::new("backup.failed").with("reason", reason),
            );
        }
    };
    let lang = ctx.language(inv)?;
    let size = |bytes: u64| {
        if bytes >= 1 << 20 {
            format!("{:.1} MiB", bytes as f64 / f64::from(1 << 20))
        } else {
            format!("{} KiB", bytes.div_ceil(1024))
        }
    };
    let copy = match saved.copy {
        Copy::Posted { channel } => {
            Message::new("backup.copy.posted").with("channel", format!("<#{channel}>"))
        }
        Copy::TooLarge { bytes, limit } => Message::new("backup.copy.too_large")
            .with("size", size(bytes))
            .with("limit", size(limit)),
        Copy::RouteOff => Message::new("backup.copy.route_off"),
    };
    let text = format!(
        "{}\n{}",
        ctx.texts.render(
            lang.lang,
            "backup.saved",
            &[("file", &saved.file), ("size", &size(saved.bytes))]
        ),
        ctx.texts.render_message(lang.lang, &copy)
    );
    Ok(Outcome::reply(
        crate::outbox::Message::text(text).ephemeral(),
    ))
}

async fn load(ctx: &Ctx, inv: &Invocation) -> Result<Outcome, HandlerError> {
    let Some(Value::Attachment {
        url,
        filename,
        size,
    }) = inv.option("file")
    else {
        return outdated(ctx, inv);
    };
    // As shown in a reply and recorded: short, and safe inside backticks.
    let name: String = filename.replace('`', "'").chars().take(100).collect();
    let too_large = || {
        Message::new("backup.load.too_large")
            .with("file", name.clone())
            .with("limit", format!("{} MiB", MAX_UPLOAD >> 20))
    };
    if *size > MAX_UPLOAD {
        return reply(ctx, inv, &too_large());
    }
    let bytes = match ctx.discord.download(url, MAX_UPLOAD).await {
        Ok(Some(bytes)) => bytes,
        Ok(None) => return reply(ctx, inv, &too_large()),
        Err(err) => {
            tracing::warn!(error = %err, "downloading a snapshot from Discord failed");
            return reply(ctx, inv, &Message::new("backup.load.download"));
        }
    };
    let message = match ctx.backups.load(inv.user, name.clone(), bytes).await {
        Ok(loaded) => {
            ctx.permissions.reload(&ctx.store)?;
            ctx.texts.reload(&ctx.store)?;
            tracing::info!(file = %name, schema = loaded.schema, "a snapshot from Discord is live");
            Message::new("backup.loaded")
                .with("file", name)
                .with("schema", loaded.schema)
                .with("previous", loaded.previous)
        }
        Err(LoadRefused::NotAStore) => Message::new("backup.load.not_a_store").with("file", name),
        Err(LoadRefused::TooNew { found, supported }) => Message::new("backup.load.too_new")
            .with("file", name)
            .with("found", found)
            .with("supported", supported),
        Err(LoadRefused::Damaged) => Message::new("backup.load.damaged").with("file", name),
        Err(LoadRefused::TooLarge { limit }) => Message::new("backup.load.too_large")
            .with("file", name)
            .with("limit", format!("{} MiB", limit >> 20)),
        Err(LoadRefused::Busy { seconds }) => {
            Message::new("backup.load.busy").with("seconds", seconds)
        }
        Err(LoadRefused::Failed(reason)) => {
            tracing::error!(%reason, "loading a snapshot from Discord failed");
            Message::new("backup.load.failed").with("reason", reason)
        }
    };
    reply(ctx, inv, &message)
}
