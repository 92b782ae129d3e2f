//! Messages for routes: a message of a [`Route`] becomes a post in the route's channel, or
//! nothing when the route is disabled or has no channel (dropped silently, gd-requestbot §6.3).

use super::interaction::Effect;
use super::message::Message;
use crate::routes::{self, Route};
use crate::store::{Store, StoreError};

/// The post that sends `message` along `route`, if the route sends anything now.
pub fn post(store: &Store, route: Route, message: Message) -> Result<Option<Effect>, StoreError> {
    let channel = store.read(|r| routes::resolve(r, route))?;
    Ok(channel.map(|channel| Effect::Post { channel, message }))
}
