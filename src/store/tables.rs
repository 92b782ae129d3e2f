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
