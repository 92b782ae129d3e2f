//! [`Ctx`]: what every handler can reach (the store, settings, texts, permissions, the clock, the
//! outbox, the clients of outside services and the questions it may ask Discord), and the helpers every handler uses to answer in
//! the member's language.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use crate::access::{Member, Permissions};
use crate::bot::{Invocation, Outcome};
use crate::clock::Clock;
use crate::config::Settings;
use crate::i18n::{self, Catalogue};
use crate::outbox::{Message, Outbox};
use crate::store::{Store, StoreError};

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
    pub outbox: Outbox,
    /// The guild's owner, learned from the gateway (0 until then).
    pub owner: AtomicU64,
    /// The Geometry Dash server (`gd.base_url`).
    pub gd: Arc<crate::gd::Client>,
    /// What handlers may ask Discord while they answer (members, messages): see `lookup`.
    pub discord: Arc<dyn super::lookup::Lookup>,
    /// Held by every interaction but `/backup load`, which replaces the store once the others
    /// are done (see `pause`); the outbox's worker holds it too.
    pub pause: crate::pause::Pause,
    /// The server's snapshots, for `/backup` (see `backups`).
    pub backups: Arc<dyn super::backups::Backups>,
}

/// A failure inside a handler: logged in full, reported to the maintainers, and answered with a
/// short apology.
pub type HandlerError = anyhow::Error;

impl Ctx {
    /// The language to answer `inv`'s user in.
    pub fn language(&self, inv: &Invocation) -> Result<i18n::Choice, StoreError> {
        let preference = self.store.read(|r| i18n::preference(r, inv.user))?;
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

#[cfg(test)]
pub(crate) mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use crate::config::{Layers, Sources};
    use crate::store::StoreOptions;

    pub(crate) const GUILD: u64 = 1000;
    pub(crate) const OWNER: u64 = 1;

    /// A `Ctx` on a fresh store in `dir`: default settings, the guild's owner known ([`OWNER`]).
    pub(crate) fn ctx(dir: &std::path::Path) -> Ctx {
        let store = Store::open(&dir.join("s.redb"), &StoreOptions::default()).unwrap();
        let settings = Layers::collect(&Sources::default()).settings().unwrap();
        let store = Arc::new(store);
        Ctx {
            texts: Catalogue::open(&store).unwrap(),
            permissions: Permissions::load(&store).unwrap(),
            outbox: Outbox::new(store.clone()),
            osu: None,
            https_port: 8443,
            store,
            settings: Arc::new(settings),
            clock: Clock::manual(0),
            guild: GUILD,
            owner: AtomicU64::new(OWNER),
            gd: Arc::new(crate::gd::Client::new(&settings_gd_url())),
            discord: Arc::new(crate::bot::lookup::Fixed::default()),
            pause: crate::pause::Pause::default(),
            backups: Arc::new(crate::bot::backups::Unavailable),
        }
    }

    fn settings_gd_url() -> url::Url {
        url::Url::parse("http://127.0.0.1:9/database").unwrap()
    }
}
