//! [`dispatch`]: the one entry of the application. It checks permissions ([`gate`]) before any
//! handler runs and routes each command, autocomplete, click and form to its feature (`general`,
//! `admin`, `log`, `league`, `requests`, the paged lists); anything it does not know is answered
//! "this control is outdated".

use super::commands::{self, Access};
use super::ctx::{Ctx, HandlerError};
use super::paging::List;
use super::{admin, general, league, log, paging, requests};
use crate::bot::{Invocation, Kind, Outcome, Response};
use crate::i18n::Lang;
use crate::outbox::CustomId;

/// The permission check: every command, autocomplete, button and form goes through it, before
/// its handler runs.
pub fn gate(ctx: &Ctx, inv: &Invocation, access: Access) -> bool {
    match access {
        Access::Everyone => true,
        Access::Flag(flag) => ctx.permissions.allowed(&ctx.member(inv), flag),
        Access::Either(one, other) => {
            let member = ctx.member(inv);
            ctx.permissions.allowed(&member, one) || ctx.permissions.allowed(&member, other)
        }
    }
}

/// Who may use a control, by its `custom_id`; `None` for controls Stagehand does not have.
fn control_access(id: &CustomId) -> Option<Access> {
    match (id.module.as_str(), id.action.as_str()) {
        ("core", "language") => Some(Access::Everyone),
        ("req", _) => requests::control_access(id),
        (log::CONTROLS, _) => log::control_access(id),
        ("page", _) => List::parse(id).and_then(|(list, _)| list.access()),
        (module, _) if league::owns(module) => league::control_access(id),
        _ => None,
    }
}

/// Routes an invocation to its handler, after the permission [`gate`]. Every invocation but
/// `/backup load` is work in progress on the store (`pause`): a load waits for it, and it waits
/// for a load.
pub async fn dispatch(ctx: &Ctx, inv: &Invocation) -> Result<Outcome, HandlerError> {
    let replaces_the_store = matches!(
        &inv.kind,
        Kind::Command { path, .. } if path == &["backup", "load"]
    );
    let _busy = match replaces_the_store {
        true => None,
        false => Some(ctx.pause.enter().await),
    };
    route(ctx, inv).await
}

async fn route(ctx: &Ctx, inv: &Invocation) -> Result<Outcome, HandlerError> {
    let control = match &inv.kind {
        Kind::Component { custom_id, .. } | Kind::Modal { custom_id, .. } => {
            match CustomId::parse(custom_id) {
                Ok(id) => Some(id),
                Err(err) => {
                    tracing::debug!(%err, "refused a control");
                    return outdated(ctx, inv);
                }
            }
        }
        Kind::Command { .. } | Kind::Autocomplete { .. } => None,
    };
    let access = match (&inv.kind, &control) {
        (Kind::Command { path, .. } | Kind::Autocomplete { path, .. }, _) => commands::access(path),
        (_, Some(id)) => control_access(id),
        (_, None) => None,
    };
    let autocomplete = matches!(inv.kind, Kind::Autocomplete { .. });
    match access {
        None if autocomplete => return Ok(no_choices()),
        None => return outdated(ctx, inv),
        Some(access) if !gate(ctx, inv, access) => {
            tracing::info!(user = inv.user, kind = ?inv.kind, "refused: no permission");
            if autocomplete {
                return Ok(no_choices());
            }
            return ctx.private(inv, "error.forbidden", &[]);
        }
        Some(_) => {}
    }
    match &inv.kind {
        Kind::Command { path, .. } => match path.first().map(String::as_str) {
            Some("help") => general::help(ctx, inv),
            Some("language") => general::language(ctx, inv),
            Some(name) if league::COMMANDS.iter().any(|c| c.name == name) => {
                league::command(ctx, inv, path).await
            }
            Some("usercd" | "levelcd") => requests::cooldown_commands::command(ctx, inv, path),
            Some("backup") => match path.get(1) {
                Some(sub) => admin::backup::command(ctx, inv, sub).await,
                None => outdated(ctx, inv),
            },
            Some("request" | "queue" | "trainee" | "reviews" | "control_panel" | "report") => {
                requests::command(ctx, inv, path).await
            }
            Some("log") => match path.get(1) {
                Some(sub) => log::command(ctx, inv, sub),
                None => outdated(ctx, inv),
            },
            Some(_) => admin::command(ctx, inv, path),
            None => outdated(ctx, inv),
        },
        Kind::Autocomplete { path, focused, .. } => Ok(Outcome {
            response: Response::Choices(match path.first().map(String::as_str) {
                Some("show") => league::complete(inv),
                Some("archived") => league::complete_archived(ctx, inv, focused)?,
                Some("log") => log::complete(ctx, inv, focused)?,
                _ => admin::complete(ctx, inv, focused),
            }),
            effects: Vec::new(),
        }),
        Kind::Component { .. } | Kind::Modal { .. } => match control.as_ref().map(|id| {
            let lang = id.arg.as_deref().and_then(Lang::parse);
            (id.module.as_str(), id.action.as_str(), lang)
        }) {
            Some(("core", "language", Some(lang))) => general::set_language(ctx, inv, lang),
            Some(("req", ..)) => match &control {
                Some(id) => requests::control(ctx, inv, id).await,
                None => outdated(ctx, inv),
            },
            Some((module, ..)) if league::owns(module) => match &control {
                Some(id) => league::control(ctx, inv, id),
                None => outdated(ctx, inv),
            },
            Some((log::CONTROLS, ..)) => match &control {
                Some(id) => log::control(ctx, inv, id),
                None => outdated(ctx, inv),
            },
            Some(("page", ..)) => match control.as_ref().and_then(List::parse) {
                Some((list, to)) => paging::turn(ctx, inv, list, to).await,
                None => outdated(ctx, inv),
            },
            _ => outdated(ctx, inv),
        },
    }
}

fn no_choices() -> Outcome {
    Outcome {
        response: Response::Choices(Vec::new()),
        effects: Vec::new(),
    }
}

/// "This control is outdated": the answer to any control or command Stagehand no longer knows.
pub fn outdated(ctx: &Ctx, inv: &Invocation) -> Result<Outcome, HandlerError> {
    ctx.private(inv, "error.outdated_control", &[])
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use crate::access::{Flag, Member};
    use crate::bot::ctx::tests::{GUILD, ctx};
    use crate::bot::interaction::Kind;

    const REVIEWER_ROLE: u64 = 7;
    const OWNER: u64 = crate::bot::ctx::tests::OWNER;

    fn inv(user: u64, roles: &[u64], administrator: bool) -> Invocation {
        Invocation {
            user,
            user_name: format!("user{user}"),
            roles: roles.to_vec(),
            administrator,
            locale: "en-US".into(),
            channel: 5,
            kind: Kind::Component {
                custom_id: "v1:core:language:0:en".into(),
                values: Vec::new(),
                message: 9,
            },
        }
    }

    #[test]
    fn the_gate_follows_bindings_ownership_and_the_bootstrap() {
        let dir = tempfile::tempdir().unwrap();
        let ctx = ctx(dir.path());
        let reviewer = Access::Flag(Flag::Reviewer);
        let admin = Access::Flag(Flag::Admin);
        let kira = inv(10, &[REVIEWER_ROLE], false);
        let anna = inv(11, &[], false);
        let administrator = inv(12, &[], true);
        let owner = inv(OWNER, &[], false);

        // A fresh install: the owner and Administrators are admins, nobody else is anything.
        for (who, expected) in [(&kira, false), (&anna, false), (&administrator, true)] {
            assert_eq!(gate(&ctx, who, reviewer), expected, "{}", who.user);
            assert_eq!(gate(&ctx, who, admin), expected, "{}", who.user);
        }
        assert!(gate(&ctx, &owner, admin));
        assert!(gate(&ctx, &anna, Access::Everyone));

        // `reviewer` bound to a role: its members pass a reviewer-only gate, and only that.
        let actor = ctx.member(&owner);
        let bound = ctx
            .permissions
            .bind(&ctx.store, &actor, Flag::Reviewer, REVIEWER_ROLE, 0)
            .unwrap();
        assert!(matches!(bound, crate::audit::Change::Applied(_)));
        assert!(gate(&ctx, &kira, reviewer));
        assert!(!gate(&ctx, &kira, admin));
        assert!(!gate(&ctx, &anna, reviewer));

        // Bound to `@everyone` (the guild's id), it reaches every member.
        ctx.permissions
            .bind(&ctx.store, &actor, Flag::Reviewer, GUILD, 0)
            .unwrap();
        assert!(gate(&ctx, &anna, reviewer));
        assert_eq!(
            ctx.member(&anna),
            Member {
                user_id: 11,
                role_ids: vec![GUILD],
                is_owner: false,
                is_administrator: false,
            }
        );
    }
}
