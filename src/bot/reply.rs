//! How handlers answer: a private reply in the member's language ([`reply`]), the reply to a
//! mutation ([`changed`]), and [`Refusal`], which separates a refusal's localised reason from a
//! failure that is not the member's fault (a store error, reported to the maintainers).

use super::ctx::{Ctx, HandlerError};
use super::interaction::Outcome;
use crate::access::AccessError;
use crate::audit::Change;
use crate::bot::Invocation;
use crate::i18n::{self, TextError};
use crate::outbox::Message;
use crate::params::ParameterError;
use crate::store::StoreError;

/// A refusal's localised reason, or the failure it really is (a store error is not the
/// member's fault: it is reported to the maintainers).
pub trait Refusal {
    fn refusal(self) -> Result<i18n::Message, HandlerError>;
}

impl Refusal for AccessError {
    fn refusal(self) -> Result<i18n::Message, HandlerError> {
        match self {
            AccessError::Store(err) => Err(err.into()),
            other => Ok(other.message()),
        }
    }
}

impl Refusal for ParameterError {
    fn refusal(self) -> Result<i18n::Message, HandlerError> {
        match self {
            ParameterError::Store(err) => Err(err.into()),
            other => Ok(other.message()),
        }
    }
}

impl Refusal for TextError {
    fn refusal(self) -> Result<i18n::Message, HandlerError> {
        match self {
            TextError::Store(err) => Err(err.into()),
            other => Ok(other.message()),
        }
    }
}

impl Refusal for StoreError {
    fn refusal(self) -> Result<i18n::Message, HandlerError> {
        Err(self.into())
    }
}

/// A private reply in the member's language.
pub fn reply(
    ctx: &Ctx,
    inv: &Invocation,
    message: &i18n::Message,
) -> Result<Outcome, HandlerError> {
    ctx.private(inv, message.key, &message.params())
}

/// A private reply made of text already in the member's language.
pub fn reply_text(text: String) -> Outcome {
    Outcome::reply(Message::text(text).ephemeral())
}

/// The reply to a mutation: what it did (its audit event reached the `log` route through the
/// outbox in the mutation's own transaction), or why it was refused.
pub fn changed<E: Refusal>(
    ctx: &Ctx,
    inv: &Invocation,
    result: Result<Change, E>,
) -> Result<Outcome, HandlerError> {
    match result {
        Ok(change) => reply(ctx, inv, &change.message()),
        Err(err) => reply(ctx, inv, &err.refusal()?),
    }
}
