//! Messages for routes: a message of a [`Route`] becomes a post in the route's channel, or
//! nothing when the route is disabled or has no channel (dropped silently, gd-requestbot §6.3);
//! a route whose channel was deleted is reported to the log route once, not on every message.

use super::handlers::Ctx;
use super::interaction::Effect;
use super::message::Message;
use crate::i18n::Lang;
use crate::routes::{self, Route};
use crate::store::{Store, StoreError};

/// The post that sends `message` along `route`, if the route sends anything now.
pub fn post(store: &Store, route: Route, message: Message) -> Result<Option<Effect>, StoreError> {
    let channel = store.read(|r| routes::resolve(r, route))?;
    Ok(channel.map(|channel| Effect::Routed {
        route,
        channel,
        message,
    }))
}

/// Records that `route`'s `channel` is gone; the first time for that channel, returns the report
/// to post to the log route (unless the log route itself lost its channel).
pub fn channel_missing(
    ctx: &Ctx,
    route: Route,
    channel: u64,
) -> Result<Option<Effect>, StoreError> {
    if !routes::report_missing(&ctx.store, route, channel, ctx.clock.now())? || route == Route::Log
    {
        return Ok(None);
    }
    let text = ctx.texts.render(
        Lang::En,
        "route.channel_missing",
        &[
            ("route", route.name()),
            ("channel", &format!("<#{channel}>")),
        ],
    );
    post(&ctx.store, Route::Log, Message::text(text))
}
