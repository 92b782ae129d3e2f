//! The Discord-facing application, without serenity: what a member's command, click or form does.
//!
//! `discord/` hands [`dispatch`] a plain [`Invocation`]; the permission gate runs, then the
//! feature's handler reads the invocation, calls one use case of a domain module (which owns its
//! write transaction and queues its effects and audit event there), and renders the reply as an
//! [`Outcome`]. One folder per feature declares its slice of the command table, its controls and
//! its paged lists: [`general`] (`/help`, `/language`), `admin`, `log` (`/log`), `league`,
//! `requests` (with `/report`).
//!
//! May call the domain modules, the shared services, `outbox` and `store`; names no serenity,
//! hyper or `discord::`/`web::` item.

mod admin;
pub mod backups;
pub mod commands;
pub(crate) mod ctx;
mod dispatch;
mod general;
mod interaction;
mod league;
mod log;
pub mod lookup;
pub(crate) mod paging;
pub(crate) mod reply;
mod requests;

pub use ctx::{Ctx, HandlerError};
pub use dispatch::{dispatch, gate, outdated};
pub use interaction::{Invocation, Kind, Outcome, Response, Value};
pub use league::{member_joined, member_left};
pub use reply::{Refusal, changed, reply, reply_text};
pub use requests::post_owed_widgets;

use crate::outbox::{Effect, OnRefused};
use crate::store::{StoreError, Writer};

/// What a use case does when Discord refused, for good, an effect it queued watched
/// (`outbox::push_watched`), in the transaction that drops the effect.
pub fn refused(ctx: &Ctx, w: &mut Writer, watch: OnRefused) -> Result<(), StoreError> {
    let now = ctx.clock.now();
    match watch {
        OnRefused::ChallengeDm { challenge } => {
            crate::league::rivalry::dm_refused(w, &ctx.texts, challenge, now)
        }
        OnRefused::TraineeRoles {
            trainee,
            by,
            promoted,
        } => crate::requests::desk::roles_refused(w, &ctx.texts, trainee, by, promoted),
    }
}

/// The effect to deliver for `effect`: a widget refresh becomes the edit it stands for, built
/// from the store now; `None` when there is nothing left to refresh (the request was deleted).
pub fn expand(ctx: &Ctx, effect: Effect) -> Result<Option<Effect>, StoreError> {
    match effect {
        Effect::RefreshResolution { request } => requests::refresh(ctx, request),
        other => Ok(Some(other)),
    }
}
