//! The one source of truth: a redb database with typed tables.
//!
//! Owns the table machinery ([`Table`]), the value codec (postcard), the schema version and
//! its forward migrations, and consistent snapshots for backups. Only this module opens redb; the
//! rest of Stagehand reads and writes through [`Store::read`] and [`Store::write`], where one
//! closure is one transaction.
//!
//! Every table is stored as raw bytes (`&[u8] → &[u8]`): keys are encoded so that byte order is
//! key order ([`Key`]), values are postcard. That keeps snapshots and migrations generic: they can
//! copy any table without knowing its types.
//!
//! The live file can be replaced under a shared store ([`Store::replace`]: `/backup load`), and a
//! copy can leave out rows ([`redacted_copy`]: the secrets of a copy posted to Discord).
//!
//! A damaged file never panics through the store: every call into redb is guarded (`damage.rs`),
//! and [`verify_file`] runs redb's integrity check without changing the file (`serve` and `check`
//! on the live store, `restore` on the snapshot).

mod damage;
mod db;
mod error;
mod key;
mod meta;
mod migrate;
mod replace;
mod snapshot;

pub use damage::verify_file;
pub use db::{Order, Read, Reader, Store, StoreOptions, Table, Writer};
pub use error::{OpenError, SnapshotError, StoreError};
pub use key::Key;
pub use meta::{CREATED_AT, META, SCHEMA};
pub use migrate::SCHEMA_VERSION;
pub use replace::{Redaction, ReplaceError, Replaced};
pub use snapshot::{
    LOCAL_PREFIX, Progress, SnapshotInfo, inspect, read_file, redacted_copy, verify_snapshot,
    with_suffix,
};
