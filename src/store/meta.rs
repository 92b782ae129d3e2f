//! The store's own table: `stagehand_meta`, `u64` values by name. The table name and the keys
//! are part of the on-disk format: never rename one without a migration. Modules above the store
//! keep counters here under keys of their own (`outbox_next`, `request_next`,
//! `setup_completed_at`).

use super::Table;

/// Store metadata: `u64` values by key.
pub const META: Table<str, u64> = Table::new("stagehand_meta");

/// Schema version of the store.
pub const SCHEMA: &str = "schema";

/// Unix time the store was created.
pub const CREATED_AT: &str = "created_at";
