//! Errors of the store, one enum per kind of operation.

use std::path::PathBuf;

/// Why a store could not be opened.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum OpenError {
    /// Another process (normally a running `stagehand serve`) holds the database.
    #[error("{0} is in use by another Stagehand process (is `stagehand serve` running?)")]
    InUse(PathBuf),
    /// The file is not a redb database, or a redb database that Stagehand did not create.
    #[error("{path} is not a Stagehand store ({detail})")]
    NotAStore { path: PathBuf, detail: String },
    /// The store was written by a newer Stagehand; it is left untouched.
    #[error(
        "{path} has schema version {found}, but this Stagehand understands up to {supported}; \
         upgrade Stagehand (the file was not modified)"
    )]
    TooNew {
        path: PathBuf,
        found: u64,
        supported: u64,
    },
    /// The file's bytes are not what redb wrote (a damaged disk, a copy cut short, an edit): redb's
    /// integrity check failed, or redb panicked reading it.
    #[error("{path} is damaged ({detail})")]
    Damaged { path: PathBuf, detail: String },
    /// A forward migration failed; the store keeps its previous version.
    #[error("migrating the store to schema version {to} failed: {source}")]
    Migration { to: u64, source: StoreError },
    /// Any other failure of redb or the file system.
    #[error("cannot open {path}: {detail}")]
    Io { path: PathBuf, detail: String },
}

/// A failure while reading or writing inside a transaction.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StoreError {
    /// redb reported an error (I/O, corruption, a closed database).
    #[error("storage: {0}")]
    Storage(String),
    /// The file's bytes are not what redb wrote: redb panicked on a page, or the integrity check
    /// ([`crate::store::Store::verify`]) failed. Once seen, every later transaction on the store
    /// is refused the same way.
    #[error("{path} is damaged ({detail})")]
    Damaged { path: PathBuf, detail: String },
    /// A stored value or key did not decode as the table's type.
    #[error("table {table}: undecodable record ({detail})")]
    Decode { table: &'static str, detail: String },
}

/// Why a snapshot could not be written or read back.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SnapshotError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Open(#[from] OpenError),
    /// The store to copy failed its integrity check (or the check could not read it): nothing was
    /// written, since the copy would carry the damage under checksums of its own.
    #[error("no snapshot was written: the store failed the check made before copying it: {0}")]
    Source(OpenError),
    /// The snapshot written failed its integrity check: it was removed, never renamed into place.
    #[error(
        "the snapshot written for {path} failed its integrity check and was removed ({reason}); \
         the disk it was written to may be failing"
    )]
    Written { path: PathBuf, reason: OpenError },
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
}

macro_rules! storage_from {
    ($($t:ty),*) => {$(
        impl From<$t> for StoreError {
            fn from(err: $t) -> Self {
                StoreError::Storage(err.to_string())
            }
        }
    )*};
}
storage_from!(
    redb::StorageError,
    redb::TableError,
    redb::TransactionError,
    redb::CommitError
);
