//! `/challenge`, `/revoke_challenge` and the Accept / Decline buttons of a challenge's DM
//! (osu-arena §2.5, §2.6, §4.4; `league::rivalry`).

use crate::bot::{Ctx, HandlerError, Invocation, Outcome, Response, Value};
use crate::league::rivalry::{self, AnswerError, Ask, IssueError, RevokeError};
use crate::outbox::{CustomId, Message, Pings};
use crate::store::StoreError;

pub use rivalry::CONTROLS;

/// `/challenge player pp`: the challenge, or the first rule it breaks (privately).
pub fn challenge(ctx: &Ctx, inv: &Invocation) -> Result<Outcome, HandlerError> {
    let (target, target_is_bot) = match inv.option("player") {
        Some(Value::Member { id, bot, .. }) => (*id, *bot),
        Some(Value::User(id)) => (*id, false),
        _ => return crate::bot::outdated(ctx, inv),
    };
    let Some(Value::Int(pp)) = inv.option("pp") else {
        return crate::bot::outdated(ctx, inv);
    };
    let ask = Ask {
        challenger: inv.user,
        target,
        target_is_bot,
        pp: *pp,
    };
    let now = ctx.clock.now();
    let issued = ctx
        .store
        .write(|w| Ok::<_, StoreError>(rivalry::issue(w, &ctx.texts, &ask, now)))?;
    match issued {
        Ok(_) => {
            ctx.outbox.wake();
            let choice = ctx.language(inv)?;
            let (challenger, target) = (format!("<@{}>", inv.user), format!("<@{target}>"));
            let text = ctx.text(
                choice,
                "challenge.issued",
                &[
                    ("challenger", &challenger),
                    ("target", &target),
                    ("pp", &pp.to_string()),
                ],
            );
            Ok(Outcome::reply(Message {
                pings: Pings::Users,
                ..Message::text(text)
            }))
        }
        Err(IssueError::Store(err)) => Err(err.into()),
        Err(refused) => crate::bot::reply(ctx, inv, &refused.message(target)),
    }
}

/// `/revoke_challenge player`: the caller's pending challenge to `player`, taken back.
pub fn revoke(ctx: &Ctx, inv: &Invocation) -> Result<Outcome, HandlerError> {
    let target = match inv.option("player") {
        Some(Value::Member { id, .. } | Value::User(id)) => *id,
        _ => return crate::bot::outdated(ctx, inv),
    };
    let now = ctx.clock.now();
    let revoked = ctx.store.write(|w| {
        Ok::<_, StoreError>(rivalry::revoke_pending(
            w, &ctx.texts, inv.user, target, now,
        ))
    })?;
    let mention = format!("<@{target}>");
    match revoked {
        Ok(_) => {
            ctx.outbox.wake();
            ctx.private(inv, "challenge.revoked", &[("target", &mention)])
        }
        Err(RevokeError::NoSuchChallenge) => {
            ctx.private(inv, "challenge.revoke.none", &[("target", &mention)])
        }
        Err(RevokeError::Store(err)) => Err(err.into()),
    }
}

/// A click on Accept or Decline in the DM (anyone may click; only the target counts).
pub fn answer(ctx: &Ctx, inv: &Invocation, id: &CustomId) -> Result<Outcome, HandlerError> {
    let accept = match id.arg.as_deref() {
        Some("accept") => true,
        Some("decline") => false,
        _ => return crate::bot::outdated(ctx, inv),
    };
    let now = ctx.clock.now();
    let answered = ctx.store.write(|w| {
        Ok::<_, StoreError>(rivalry::answer(w, &ctx.texts, id.id, inv.user, accept, now))
    })?;
    let choice = ctx.language(inv)?;
    let update = |text: String| Outcome {
        response: Response::Update(Message::text(text)),
        effects: Vec::new(),
    };
    match answered {
        Ok(challenge) => {
            ctx.outbox.wake();
            let key = if accept {
                "challenge.answer.accepted"
            } else {
                "challenge.answer.declined"
            };
            let pp = challenge.pp.to_string();
            Ok(update(ctx.text(choice, key, &[("pp", &pp)])))
        }
        Err(AnswerError::Store(err)) => Err(err.into()),
        // Not theirs: the DM stays as it is (it is the target's).
        Err(refused @ (AnswerError::NotYours | AnswerError::Gone)) => {
            crate::bot::reply(ctx, inv, &refused.message())
        }
        // Too late: the buttons go, and the DM says why.
        Err(refused) => {
            ctx.outbox.wake();
            let message = refused.message();
            Ok(update(ctx.text(choice, message.key, &message.params())))
        }
    }
}
