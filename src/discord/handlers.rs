//! The commands and controls that belong to no module: `/help`, `/language`, and the answer to an
//! outdated control; and [`dispatch`], which checks permissions ([`gate`]) before any handler
//! runs and reaches the module handlers (administration: [`super::admin`], the request desk:
//! [`super::requests`]).

use crate::store::Read as _;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use super::admin;
use super::commands::{self, Access};
use super::cooldowns;
use super::custom_id::CustomId;
use super::interaction::{Invocation, Kind, Outcome, Response};
use super::league;
use super::message::{Button, ButtonStyle, ButtonTarget, Embed, Field, Message};
use super::pages::{self, List};
use super::requests;
use crate::access::{Member, Permissions};
use crate::clock::Clock;
use crate::config::Settings;
use crate::i18n::{self, Catalogue, Lang};
use crate::store::{Store, StoreError, tables};

/// What handlers can reach.
pub struct Ctx {
    pub store: Arc<Store>,
    pub settings: Arc<Settings>,
    /// The texts with `/text edit` overrides: an edit shows at once.
    pub texts: Catalogue,
    pub permissions: Permissions,
    pub clock: Clock,
    /// The home guild (also the id of its `@everyone` role).
    pub guild: u64,
    /// The osu! API client, when the league has osu! credentials.
    pub osu: Option<crate::osu::Client>,
    /// The port the HTTPS server listens on (for links when `public_url` is not set).
    pub https_port: u16,
    /// Where effects that are not answers go (see `outbox`).
    pub outbox: super::outbox::Outbox,
    /// The guild's owner, learned from the gateway (0 until then).
    pub owner: AtomicU64,
    /// The Geometry Dash server (`gd.base_url`).
    pub gd: Arc<crate::gd::Client>,
}

/// A failure inside a handler: logged in full, reported to the maintainers, and answered with a
/// short apology.
pub type HandlerError = anyhow::Error;

impl Ctx {
    /// The language to answer `inv`'s user in.
    pub fn language(&self, inv: &Invocation) -> Result<i18n::Choice, StoreError> {
        let preference = self
            .store
            .read(|r| r.get(&tables::USER_LANGUAGE, &inv.user))?;
        let russian_role = self
            .settings
            .discord_russian_role_id
            .is_some_and(|role| inv.roles.contains(&role.0));
        Ok(i18n::detect(preference, Some(&inv.locale), russian_role))
    }

    /// A reply in `choice`'s language; when the language was guessed, a line in the other
    /// language points to `/language`.
    pub fn text(&self, choice: i18n::Choice, key: &str, params: &[(&str, &str)]) -> String {
        let mut text = self.texts.render(choice.lang, key, params);
        if choice.assumed {
            text.push('\n');
            text.push_str(&self.texts.render(
                choice.lang.other(),
                "common.language_selection_proposal_subtext",
                &[],
            ));
        }
        text
    }

    /// A private reply to `inv`'s member, in their language.
    pub fn private(
        &self,
        inv: &Invocation,
        key: &str,
        params: &[(&str, &str)],
    ) -> Result<Outcome, HandlerError> {
        let choice = self.language(inv)?;
        Ok(Outcome::reply(
            Message::text(self.text(choice, key, params)).ephemeral(),
        ))
    }

    pub fn owner(&self) -> u64 {
        self.owner.load(Ordering::Relaxed)
    }

    /// The facts about `inv`'s member that permissions depend on; `@everyone` counts as a role.
    pub fn member(&self, inv: &Invocation) -> Member {
        let mut role_ids = inv.roles.clone();
        role_ids.push(self.guild);
        Member {
            user_id: inv.user,
            role_ids,
            is_owner: self.owner() == inv.user,
            is_administrator: inv.administrator,
        }
    }
}

/// The permission check: every command, autocomplete, button and form goes through it, before
/// its handler runs.
pub fn gate(ctx: &Ctx, inv: &Invocation, access: Access) -> bool {
    match access {
        Access::Everyone => true,
        Access::Flag(flag) => ctx.permissions.allowed(&ctx.member(inv), flag),
    }
}

/// Who may use a control, by its `custom_id`; `None` for controls Stagehand does not have.
fn control_access(id: &CustomId) -> Option<Access> {
    match (id.module.as_str(), id.action.as_str()) {
        ("core", "language") => Some(Access::Everyone),
        ("req", _) => requests::control_access(id),
        ("page", _) => List::parse(id).and_then(|(list, _)| list.access()),
        _ => None,
    }
}

/// Routes an invocation to its handler, after the permission [`gate`].
pub async fn dispatch(ctx: &Ctx, inv: &Invocation) -> Result<Outcome, HandlerError> {
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
            Some("help") => help(ctx, inv),
            Some("language") => language(ctx, inv),
            Some("link" | "show" | "league") => league::command(ctx, inv, path).await,
            Some("usercd" | "levelcd") => cooldowns::command(ctx, inv, path),
            Some("request" | "queue") => requests::command(ctx, inv, path).await,
            Some(_) => admin::command(ctx, inv, path),
            None => outdated(ctx, inv),
        },
        Kind::Autocomplete { path, focused, .. } => Ok(Outcome {
            response: Response::Choices(match path.first().map(String::as_str) {
                Some("show") => league::complete(inv),
                _ => admin::complete(ctx, inv, focused),
            }),
            effects: Vec::new(),
        }),
        Kind::Component { .. } | Kind::Modal { .. } => match control.as_ref().map(|id| {
            let lang = id.arg.as_deref().and_then(Lang::parse);
            (id.module.as_str(), id.action.as_str(), lang)
        }) {
            Some(("core", "language", Some(lang))) => set_language(ctx, inv, lang),
            Some(("req", ..)) => match &control {
                Some(id) => requests::control(ctx, inv, id).await,
                None => outdated(ctx, inv),
            },
            Some(("page", ..)) => match control.as_ref().and_then(List::parse) {
                Some((list, to)) => pages::turn(ctx, inv, list, to),
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

/// `/help [topic]`: the commands (no topic), or the duration or timestamp grammar.
fn help(ctx: &Ctx, inv: &Invocation) -> Result<Outcome, HandlerError> {
    let choice = ctx.language(inv)?;
    let lang = choice.lang;
    let topic = match inv.str_option("topic") {
        Some("duration") => Some("help.duration"),
        Some("timestamp") => Some("help.timestamp"),
        Some("commands") | None => None,
        Some(_) => return outdated(ctx, inv),
    };
    if let Some(key) = topic {
        return Ok(Outcome::reply(
            Message::text(ctx.text(choice, key, &[])).ephemeral(),
        ));
    }
    let section = |title: &str, body: &str| Field {
        name: ctx.texts.render(lang, title, &[]),
        value: ctx.texts.render(lang, body, &[]),
        inline: false,
    };
    let mut fields = vec![section("help.general", "help.general.commands")];
    if ctx.settings.modules_league {
        fields.push(section("help.league", "help.league.commands"));
    }
    if ctx.settings.modules_requests {
        fields.push(section("help.requests", "help.requests.commands"));
    }
    let embed = Embed {
        title: ctx.texts.render(lang, "help.title", &[]),
        color: 0xFF66AA,
        fields,
        footer: ctx.texts.render(
            lang,
            "help.footer",
            &[("version", env!("CARGO_PKG_VERSION"))],
        ),
        ..Embed::default()
    };
    let buttons = Lang::ALL
        .iter()
        .map(|lang| Button {
            label: lang.native_name().to_string(),
            style: if *lang == choice.lang {
                ButtonStyle::Primary
            } else {
                ButtonStyle::Secondary
            },
            target: ButtonTarget::Control(CustomId::new("core", "language", 0, Some(lang.code()))),
            disabled: false,
        })
        .collect();
    let mut message = Message::embed(embed).with_row(buttons).ephemeral();
    if choice.assumed {
        message.content = ctx.texts.render(
            lang.other(),
            "common.language_selection_proposal_subtext",
            &[],
        );
    }
    Ok(Outcome::reply(message))
}

fn language(ctx: &Ctx, inv: &Invocation) -> Result<Outcome, HandlerError> {
    match inv.str_option("language").and_then(Lang::parse) {
        Some(lang) => set_language(ctx, inv, lang),
        None => outdated(ctx, inv),
    }
}

/// `/language` and the language buttons under `/help`.
fn set_language(ctx: &Ctx, inv: &Invocation, lang: Lang) -> Result<Outcome, HandlerError> {
    ctx.store
        .write(|w| w.insert(&tables::USER_LANGUAGE, &inv.user, &lang))?;
    tracing::info!(user = inv.user, language = lang.code(), "language chosen");
    let choice = i18n::Choice {
        lang,
        assumed: false,
    };
    Ok(Outcome::reply(
        Message::text(ctx.text(choice, "common.language_set", &[])).ephemeral(),
    ))
}

#[cfg(test)]
pub(super) mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use crate::access::{Flag, Member};
    use crate::config::{Layers, Sources};
    use crate::store::StoreOptions;

    const GUILD: u64 = 1000;
    pub(in crate::discord) const OWNER: u64 = 1;
    const REVIEWER_ROLE: u64 = 7;

    /// A `Ctx` on a fresh store in `dir`: default settings, the guild's owner known ([`OWNER`]).
    pub(in crate::discord) fn ctx(dir: &std::path::Path) -> Ctx {
        let store = Store::open(&dir.join("s.redb"), &StoreOptions::default()).unwrap();
        let settings = Layers::collect(&Sources::default()).settings().unwrap();
        let store = Arc::new(store);
        Ctx {
            texts: Catalogue::open(&store).unwrap(),
            permissions: Permissions::load(&store).unwrap(),
            outbox: super::super::outbox::Outbox::new(store.clone()),
            osu: None,
            https_port: 8443,
            store,
            settings: Arc::new(settings),
            clock: Clock::manual(0),
            guild: GUILD,
            owner: AtomicU64::new(OWNER),
            gd: Arc::new(crate::gd::Client::new(&settings_gd_url())),
        }
    }

    fn settings_gd_url() -> url::Url {
        url::Url::parse("http://127.0.0.1:9/database").unwrap()
    }

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
