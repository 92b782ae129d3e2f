//! Routes (gd-requestbot §6.3, plus the league's): which channel each kind of message goes to,
//! and whether it is sent at all.
//!
//! `defaults/routes.toml` (embedded) names each route's default channel; [`resolve_defaults`]
//! turns names into channel ids once the guild's channels are known and remembers them
//! (`route_defaults`). Overrides and the enabled flag live in `route_state`, with no row for a
//! route at its default and enabled. [`resolve`] gives the channel to post to, or `None` (disabled
//! or unset: the message is dropped silently). A channel that turns out to be gone is reported
//! once ([`report_missing`], state in `route_missing`), not on every message.
//!
//! Knows nothing of Discord: channels are ids.

use std::collections::HashMap;
use std::sync::OnceLock;

use serde::Deserialize;

pub use crate::outbox::Route;
pub use crate::outbox::route::{Description, RouteState, describe, post, push, resolve};

use crate::outbox::route;

use crate::audit::{self, Actor, Change, Event, EventKind, Value};
use crate::store::{Read, Store, StoreError, Table, Writer};

/// The channel last reported missing for each route: route name → channel id.
pub(crate) const ROUTE_MISSING: Table<str, u64> = Table::new("route_missing");

impl Route {
    /// The name of the channel this route uses by default, if any.
    pub fn default_channel_name(self) -> Option<&'static str> {
        default_names().get(&self).map(String::as_str)
    }
}

/// Resolves the default channel names of routes that have none yet against the guild's text
/// channels `(id, name)`, matching names in any case. Returns the routes resolved now.
pub fn resolve_defaults(
    store: &Store,
    channels: &[(u64, &str)],
    now: i64,
) -> Result<Vec<Route>, StoreError> {
    store.write(|w| {
        let mut resolved = Vec::new();
        for &route in Route::ALL {
            let Some(name) = route.default_channel_name() else {
                continue;
            };
            if route::default_channel(w, route)?.is_some() {
                continue;
            }
            let found = channels.iter().find(|(_, n)| n.eq_ignore_ascii_case(name));
            if let Some(&(id, _)) = found {
                route::set_default(w, route, id)?;
                record_target(w, Actor::Bot, route, Some(id), now)?;
                resolved.push(route);
            }
        }
        Ok(resolved)
    })
}

/// Points `route` at `channel`. No effect when it already goes there.
pub fn update_channel(
    store: &Store,
    actor: Actor,
    route: Route,
    channel: u64,
    now: i64,
) -> Result<Change, StoreError> {
    store.write(|w| {
        let described = describe(w, route)?;
        if described.channel() == Some(channel) {
            return Ok(Change::NoEffect);
        }
        let state = RouteState {
            channel: Some(channel),
            disabled: !described.enabled,
        };
        route::save(w, route, state)?;
        record_target(w, actor, route, Some(channel), now)
    })
}

/// Returns `route` to its default channel. No effect without an override.
pub fn reset_channel(
    store: &Store,
    actor: Actor,
    route: Route,
    now: i64,
) -> Result<Change, StoreError> {
    store.write(|w| {
        let described = describe(w, route)?;
        if described.channel_override.is_none() {
            return Ok(Change::NoEffect);
        }
        let state = RouteState {
            channel: None,
            disabled: !described.enabled,
        };
        route::save(w, route, state)?;
        record_target(w, actor, route, described.default_channel, now)
    })
}

/// Enables or disables `route`. No effect when it already is.
pub fn set_enabled(
    store: &Store,
    actor: Actor,
    route: Route,
    enabled: bool,
    now: i64,
) -> Result<Change, StoreError> {
    store.write(|w| {
        let mut state = route::state(w, route)?;
        if state.disabled != enabled {
            return Ok(Change::NoEffect);
        }
        state.disabled = !enabled;
        route::save(w, route, state)?;
        let event = Event::new(EventKind::RouteToggled, actor, now)
            .with("route_id", route.name())
            .with("enabled", enabled);
        Ok(Change::Applied(audit::record(w, &event)?))
    })
}

/// Notes that `channel`, where `route` points, no longer exists. Returns `true` the first time
/// for this channel (the caller then reports it to the `log` route), `false` after.
pub fn report_missing(
    store: &Store,
    route: Route,
    channel: u64,
    now: i64,
) -> Result<bool, StoreError> {
    store.write(|w| {
        if w.get(&ROUTE_MISSING, route.name())? == Some(channel) {
            return Ok(false);
        }
        w.insert(&ROUTE_MISSING, route.name(), &channel)?;
        let event = Event::new(EventKind::RouteChannelMissing, Actor::Bot, now)
            .with("route_id", route.name())
            .with("channel_id", Value::Channel(channel));
        audit::record(w, &event)?;
        Ok(true)
    })
}

fn record_target(
    w: &mut Writer,
    actor: Actor,
    route: Route,
    channel: Option<u64>,
    now: i64,
) -> Result<Change, StoreError> {
    let event = Event::new(EventKind::RouteTargetUpdated, actor, now)
        .with("route_id", route.name())
        .with(
            "new_channel_id",
            channel.map_or(Value::Absent, Value::Channel),
        );
    Ok(Change::Applied(audit::record(w, &event)?))
}

#[derive(rust_embed::Embed)]
#[folder = "defaults/"]
#[include = "routes.toml"]
struct DefaultsFile;

fn default_names() -> &'static HashMap<Route, String> {
    static NAMES: OnceLock<HashMap<Route, String>> = OnceLock::new();
    NAMES.get_or_init(|| {
        load_defaults().unwrap_or_else(|err| {
            tracing::error!(error = %err, "defaults/routes.toml is broken");
            HashMap::new()
        })
    })
}

/// Checks the embedded defaults: only known routes, every route listed.
pub fn check_defaults() -> Result<(), String> {
    load_defaults().map(|_| ())
}

fn load_defaults() -> Result<HashMap<Route, String>, String> {
    #[derive(Deserialize)]
    #[serde(deny_unknown_fields)]
    struct Entry {
        channel: Option<String>,
    }
    let file = DefaultsFile::get("routes.toml").ok_or("routes.toml is missing")?;
    let text = std::str::from_utf8(&file.data).map_err(|e| e.to_string())?;
    let entries: HashMap<String, Entry> =
        toml::from_str(text).map_err(|e| format!("routes.toml: {}", e.message()))?;
    let mut out = HashMap::new();
    for route in Route::ALL {
        let entry = entries
            .get(route.name())
            .ok_or_else(|| format!("routes.toml does not list {}", route.name()))?;
        if let Some(channel) = &entry.channel {
            out.insert(*route, channel.clone());
        }
    }
    if let Some(unknown) = entries.keys().find(|n| Route::parse(n).is_none()) {
        return Err(format!("routes.toml: unknown route {unknown}"));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    const ADMIN: Actor = Actor::User(42);

    #[test]
    fn defaults_are_valid_and_fit_a_choice_list() {
        check_defaults().unwrap();
        assert!(Route::ALL.len() <= 25);
        assert_eq!(Route::Log.default_channel_name(), Some("stagehand-log"));
        assert_eq!(Route::parse("top_play"), Some(Route::TopPlay));
        assert_eq!(Route::parse("nope"), None);
    }

    #[test]
    fn default_names_resolve_once() {
        let (_dir, store) = Store::temporary();
        let resolved =
            resolve_defaults(&store, &[(7, "Rivals"), (8, "general"), (9, "rivals")], 1).unwrap();
        assert_eq!(resolved, [Route::Rivals]);
        assert_eq!(store.read(|r| resolve(r, Route::Rivals)).unwrap(), Some(7));
        assert_eq!(
            store.read(|r| resolve(r, Route::Log)).unwrap(),
            None,
            "unset"
        );
        // Later starts keep the first resolution and fill the rest.
        let resolved = resolve_defaults(&store, &[(9, "rivals"), (3, "stagehand-log")], 2).unwrap();
        assert_eq!(resolved, [Route::Log]);
        assert_eq!(store.read(|r| resolve(r, Route::Rivals)).unwrap(), Some(7));
        assert_eq!(
            audit::summaries(&store),
            [
                "ROUTE_TARGET_UPDATED by bot: route_id=rivals new_channel_id=<#7>",
                "ROUTE_TARGET_UPDATED by bot: route_id=log new_channel_id=<#3>",
            ]
        );
    }

    #[test]
    fn the_lifecycle_of_a_route() {
        let (_dir, store) = Store::temporary();
        resolve_defaults(&store, &[(5, "top-plays")], 0).unwrap();
        let route = Route::TopPlay;
        let at = |store: &Store| store.read(|r| resolve(r, route)).unwrap();
        let applied = |c: Change| matches!(c, Change::Applied(_));

        assert_eq!(
            update_channel(&store, ADMIN, route, 5, 1).unwrap(),
            Change::NoEffect
        );
        assert!(applied(update_channel(&store, ADMIN, route, 6, 2).unwrap()));
        assert_eq!(at(&store), Some(6));
        assert!(applied(
            set_enabled(&store, ADMIN, route, false, 3).unwrap()
        ));
        assert_eq!(
            set_enabled(&store, ADMIN, route, false, 3).unwrap(),
            Change::NoEffect
        );
        assert_eq!(at(&store), None, "disabled routes drop their messages");
        assert!(applied(reset_channel(&store, ADMIN, route, 4).unwrap()));
        assert_eq!(
            reset_channel(&store, ADMIN, route, 4).unwrap(),
            Change::NoEffect
        );
        let described = store.read(|r| describe(r, route)).unwrap();
        assert_eq!((described.channel(), described.enabled), (Some(5), false));
        assert!(applied(set_enabled(&store, ADMIN, route, true, 5).unwrap()));
        assert_eq!(
            set_enabled(&store, ADMIN, route, true, 5).unwrap(),
            Change::NoEffect
        );
        assert_eq!(at(&store), Some(5));
        // Back at the default and enabled: no row is left.
        assert!(store.read(|r| r.all(&route::STATE)).unwrap().is_empty());
        assert_eq!(
            audit::summaries(&store)[1..],
            [
                "ROUTE_TARGET_UPDATED by <@42>: route_id=top_play new_channel_id=<#6>",
                "ROUTE_TOGGLED by <@42>: route_id=top_play enabled=false",
                "ROUTE_TARGET_UPDATED by <@42>: route_id=top_play new_channel_id=<#5>",
                "ROUTE_TOGGLED by <@42>: route_id=top_play enabled=true",
            ]
        );
    }

    #[test]
    fn a_missing_channel_is_reported_once() {
        let (_dir, store) = Store::temporary();
        assert!(report_missing(&store, Route::Archive, 11, 1).unwrap());
        assert!(!report_missing(&store, Route::Archive, 11, 2).unwrap());
        assert!(!report_missing(&store, Route::Archive, 11, 3).unwrap());
        assert!(report_missing(&store, Route::Rivals, 11, 3).unwrap());
        // A new channel that also vanishes is news again.
        assert!(report_missing(&store, Route::Archive, 12, 4).unwrap());
        assert_eq!(audit::summaries(&store).len(), 3);
    }
}
