//! The kinds of message that have a destination of their own ([`Route`]), and where each one
//! points now ([`resolve`]): what a queued post names and the channel it goes to. The `routes`
//! service chooses, changes and switches them off through [`save`] and [`set_default`]; the
//! audit log resolves the `log` route here when it queues an event's post. Routes are stored by
//! name.

use serde::{Deserialize, Serialize};

use super::{Destination, Effect, Message};
use crate::store::{Read, StoreError, Table, Writer};

/// Route overrides and the enabled flag: route name → state; no row means the default channel,
/// enabled.
pub(crate) const STATE: Table<str, RouteState> = Table::new("route_state");

/// Each route's default channel, resolved from its default name: route name → channel id.
const DEFAULTS: Table<str, u64> = Table::new("route_defaults");

macro_rules! routes {
    ($($variant:ident = $name:literal,)*) => {
        /// A kind of message with its own destination.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
        pub enum Route {
            $($variant,)*
        }

        impl Route {
            /// Every route, in `/route list` order.
            pub const ALL: &[Route] = &[$(Route::$variant,)*];

            /// The name in commands and the store.
            pub fn name(self) -> &'static str {
                match self {
                    $(Route::$variant => $name,)*
                }
            }

            /// The text saying what the route carries.
            pub fn description_key(self) -> &'static str {
                match self {
                    $(Route::$variant => concat!("route.description.", $name),)*
                }
            }
        }
    };
}

routes! {
    Log = "log",
    PendingRequest = "pending_request",
    Resolution = "resolution",
    ApprovalNotification = "approval_notification",
    RejectionNotification = "rejection_notification",
    ReviewText = "review_text",
    TraineeReviewText = "trainee_review_text",
    RequestsClosed = "requests_closed",
    RequestsReopened = "requests_reopened",
    Archive = "archive",
    StreamStartAnnouncement = "stream_start_announcement",
    StreamEndGoodbye = "stream_end_goodbye",
    Rivals = "rivals",
    Welcome = "welcome",
    BotUpdates = "bot_updates",
    TopPlay = "top_play",
    Snapshot = "snapshot",
}

/// Stored by name, so the order of the routes is not part of the on-disk format.
impl Serialize for Route {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.name())
    }
}

impl<'de> Deserialize<'de> for Route {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Route, D::Error> {
        let name = String::deserialize(deserializer)?;
        Route::parse(&name)
            .ok_or_else(|| serde::de::Error::custom(format!("unknown route {name:?}")))
    }
}

impl Route {
    /// The route named `name` (as listed).
    pub fn parse(name: &str) -> Option<Route> {
        Route::ALL.iter().copied().find(|r| r.name() == name.trim())
    }
}

/// A route's stored state; no row means "default channel, enabled".
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RouteState {
    /// The channel chosen with `update_channel`, replacing the default.
    pub channel: Option<u64>,
    pub disabled: bool,
}

/// Everything `/route describe` shows.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Description {
    pub route: Route,
    /// The default channel, once resolved from its name.
    pub default_channel: Option<u64>,
    /// The channel set with `update_channel`, if any.
    pub channel_override: Option<u64>,
    pub enabled: bool,
}

impl Description {
    /// Where messages go now (ignoring whether the route is enabled).
    pub fn channel(&self) -> Option<u64> {
        self.channel_override.or(self.default_channel)
    }
}

/// The effect that sends `message` along `route`, if the route sends anything now (a disabled
/// route, or one without a channel, drops it silently: gd-requestbot §6.3).
pub fn post(
    r: &impl Read,
    route: Route,
    message: Message,
    anchor: Option<String>,
) -> Result<Option<Effect>, StoreError> {
    let channel = resolve(r, route)?;
    Ok(channel.map(|channel| Effect::Send {
        to: Destination::Route { route, channel },
        message,
        anchor,
    }))
}

/// Queues the post of `message` along `route` in the caller's transaction (nothing when the
/// route is off).
pub fn push(
    w: &mut Writer,
    route: Route,
    message: Message,
    anchor: Option<String>,
) -> Result<(), StoreError> {
    match post(w, route, message, anchor)? {
        Some(effect) => super::push(w, effect),
        None => Ok(()),
    }
}

/// Where to post a message of `route`: `None` when disabled or no channel is set.
pub fn resolve(r: &impl Read, route: Route) -> Result<Option<u64>, StoreError> {
    let described = describe(r, route)?;
    Ok(described.channel().filter(|_| described.enabled))
}

pub fn describe(r: &impl Read, route: Route) -> Result<Description, StoreError> {
    let state = state(r, route)?;
    Ok(Description {
        route,
        default_channel: default_channel(r, route)?,
        channel_override: state.channel,
        enabled: !state.disabled,
    })
}

/// Route `route`'s stored state (the default when there is no row).
pub fn state(r: &impl Read, route: Route) -> Result<RouteState, StoreError> {
    Ok(r.get(&STATE, route.name())?.unwrap_or_default())
}

/// Route `route`'s default channel, once resolved from its name.
pub fn default_channel(r: &impl Read, route: Route) -> Result<Option<u64>, StoreError> {
    r.get(&DEFAULTS, route.name())
}

/// Remembers `channel` as route `route`'s default.
pub fn set_default(w: &mut Writer, route: Route, channel: u64) -> Result<(), StoreError> {
    w.insert(&DEFAULTS, route.name(), &channel)
}

/// Stores route `route`'s state; the default state removes the row.
pub fn save(w: &mut Writer, route: Route, state: RouteState) -> Result<(), StoreError> {
    if state == RouteState::default() {
        w.remove(&STATE, route.name())?;
    } else {
        w.insert(&STATE, route.name(), &state)?;
    }
    Ok(())
}
