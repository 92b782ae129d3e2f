//! The kinds of message that have a destination of their own ([`Route`]): what a queued post
//! names, so the channel it goes to can be chosen, changed and switched off by the `routes`
//! service. Stored by name.

use serde::{Deserialize, Serialize};

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
