//! Every table of the store, in one place. Names are part of the on-disk format: never rename
//! one without a migration.

use super::Table;

/// Store metadata: `u64` values under the keys in [`meta`].
pub const META: Table<str, u64> = Table::new("stagehand_meta");

/// Keys of [`META`].
pub mod meta {
    /// Schema version of the store.
    pub const SCHEMA: &str = "schema";
    /// Unix time the store was created.
    pub const CREATED_AT: &str = "created_at";
    /// Unix time the setup page was completed; absent before.
    pub const SETUP_COMPLETED_AT: &str = "setup_completed_at";
    /// The id the next row of [`super::OUTBOX`] gets.
    pub const OUTBOX_NEXT: &str = "outbox_next";
    /// The id the next request gets (see `requests`).
    pub const REQUEST_NEXT: &str = "request_next";
}

/// Settings saved through the setup page: setting key → value as text, parsed like any other
/// source of settings (see `config`).
pub const SETTINGS: Table<str, String> = Table::new("settings");

/// The pending setup token (key `current`), stored as a hash.
pub const SETUP_TOKEN: Table<str, crate::web::setup::SetupToken> = Table::new("setup_token");

/// The self-signed certificate (key `current`), reused across restarts while its names fit.
pub const SELF_SIGNED_CERT: Table<str, crate::web::tls::SelfSigned> =
    Table::new("self_signed_cert");

/// Each member's chosen language (`/language`), by Discord user id.
pub const USER_LANGUAGE: Table<u64, crate::i18n::Lang> = Table::new("user_language");

/// Fingerprint of the slash commands last registered (key `commands`), so an unchanged table is
/// not registered again.
pub const COMMANDS_FINGERPRINT: Table<str, [u8; 32]> = Table::new("commands_fingerprint");

/// The audit log: event id → event (see `audit`).
pub const AUDIT_EVENTS: Table<u64, crate::audit::Event> = Table::new("audit_events");

/// Counters of the audit log: `next_id` → the id the next event gets.
pub const AUDIT_SEQUENCE: Table<str, u64> = Table::new("audit_sequence");

/// Audit index by time: `(at, id)`.
pub const AUDIT_BY_TIME: Table<(i64, u64), ()> = Table::new("audit_by_time");

/// Audit index by kind: `(kind code, (at, id))`.
pub const AUDIT_BY_KIND: Table<(u64, (i64, u64)), ()> = Table::new("audit_by_kind");

/// Audit index by actor: `(user id or 0 for the bot, (at, id))`.
pub const AUDIT_BY_ACTOR: Table<(u64, (i64, u64)), ()> = Table::new("audit_by_actor");

/// Permission bindings: `(role id, flag name)` → nothing (see `access`).
pub const PERMISSION_BINDINGS: Table<(u64, String), ()> = Table::new("permission_bindings");

/// Parameter overrides: parameter name → normalised value (see `params`).
pub const PARAMETER_VALUES: Table<str, String> = Table::new("parameter_values");

/// Route overrides and the enabled flag: route name → state; no row means the default channel,
/// enabled (see `routes`).
pub const ROUTE_STATE: Table<str, crate::routes::RouteState> = Table::new("route_state");

/// Each route's default channel, resolved from its default name: route name → channel id.
pub const ROUTE_DEFAULTS: Table<str, u64> = Table::new("route_defaults");

/// The channel last reported missing for each route: route name → channel id.
pub const ROUTE_MISSING: Table<str, u64> = Table::new("route_missing");

/// Texts edited with `/text edit`: text key → the edited English and Russian (see `i18n`).
pub const TEXT_OVERRIDES: Table<str, crate::i18n::TextOverride> = Table::new("text_overrides");

/// Effects waiting to be delivered to Discord, in order: id → queued effect (see
/// `discord::outbox`).
pub const OUTBOX: Table<u64, crate::discord::outbox::Queued> = Table::new("outbox");

/// Where anchored messages landed: anchor → channel and message id (see `discord::outbox`).
pub const ANCHORS: Table<str, crate::discord::outbox::Posted> = Table::new("anchors");

/// Linked osu! league players: Discord id → player (see `league::player`).
pub const PLAYERS: Table<u64, crate::league::player::Player> = Table::new("players");

/// Unique index of [`PLAYERS`] by osu! id: osu! id → Discord id.
pub const PLAYER_BY_OSU: Table<u64, u64> = Table::new("player_by_osu");

/// Index of [`PLAYERS`] by league: `(league code, Discord id)`.
pub const LEAGUE_MEMBERS: Table<(u64, u64), ()> = Table::new("league_members");

/// Players who were unlinked (left the server, deleted): `(Discord id, unix time)` → the row.
pub const ARCHIVED_PLAYERS: Table<(u64, i64), crate::league::player::Player> =
    Table::new("archived_players");

/// Pending `/link` sign-ins: state id → who asked and when (see `league::link`).
pub const LINK_STATES: Table<str, crate::league::link::Pending> = Table::new("link_states");

/// Secrets Stagehand generates for itself: name → 32 random bytes (`link_state` signs `/link`
/// states).
pub const SECRETS: Table<str, [u8; 32]> = Table::new("secrets");

/// Discord roles of the league: `novice` … `master`, `participant`, `inactive` → role id.
pub const LEAGUE_ROLES: Table<str, u64> = Table::new("league_roles");

/// When each scheduled job runs next: job name → unix time (see `schedule`).
pub const SCHEDULE: Table<str, i64> = Table::new("schedule");

/// The current cooldown or ban of each user and level: `(entity kind, id)` → restriction (see
/// `requests::cooldown`). Expired rows stay until overwritten; reads compare with now.
pub const COOLDOWNS: Table<(u64, u64), crate::requests::cooldown::Restriction> =
    Table::new("cooldowns");

/// Every change of a cooldown: `(entity kind, (id, audit event id))` → what changed.
pub const COOLDOWN_HISTORY: Table<(u64, (u64, u64)), crate::requests::cooldown::HistoryEntry> =
    Table::new("cooldown_history");

/// Submitted level requests: request id → request (see `requests`).
pub const REQUESTS: Table<u64, crate::requests::Request> = Table::new("requests");

/// Requests by level: `(level id, request id)`.
pub const REQUESTS_BY_LEVEL: Table<(u64, u64), ()> = Table::new("requests_by_level");

/// Requests by the member they are for: `(user id, request id)`.
pub const REQUESTS_BY_AUTHOR: Table<(u64, u64), ()> = Table::new("requests_by_author");

/// Requests no GD moderator has resolved yet: request id. An index of the facts in `requests`
/// and `request_resolutions`, written with them in the same transaction (see
/// `requests::model`), so the queue counts its pending requests without reading every request.
pub const REQUESTS_PENDING: Table<u64, ()> = Table::new("requests_pending");

/// Reviewers' opinions: `(request id, reviewer id)` → opinion.
pub const OPINIONS: Table<(u64, u64), crate::requests::Opinion> = Table::new("request_opinions");

/// GD moderators' resolutions: `(request id, moderator id)` → resolution.
pub const RESOLUTIONS: Table<(u64, u64), crate::requests::Resolution> =
    Table::new("request_resolutions");
