//! What `/backup save` and `/backup load` ask of the server's backups: the [`Backups`] port,
//! answered by `ops::backup::Service` (snapshot files, their copies for Discord, and replacing
//! the live store while the server runs), which only the shell may reach.

use std::future::Future;
use std::pin::Pin;

/// The largest file `/backup load` downloads (Discord takes uploads up to 500 MB at most).
pub const MAX_UPLOAD: u64 = 512 << 20;

/// An answer on its way.
pub type Pending<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// The server's snapshots, as a handler may use them.
pub trait Backups: Send + Sync {
    /// Takes a snapshot now into the backups folder, and posts its copy without secrets to the
    /// `snapshot` route when that is on; recorded as done by `by`.
    fn save(&self, by: u64) -> Pending<'_, Result<Saved, String>>;

    /// Replaces the live store with the snapshot `bytes` (named `name`; gzip or not) while the
    /// server runs, keeping the current secrets; recorded as done by `by`.
    fn load(
        &self,
        by: u64,
        name: String,
        bytes: Vec<u8>,
    ) -> Pending<'_, Result<Loaded, LoadRefused>>;
}

/// A snapshot written.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Saved {
    /// Its file name in the backups folder.
    pub file: String,
    pub bytes: u64,
    pub copy: Copy,
}

/// What became of a snapshot's copy for Discord.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Copy {
    /// Queued for the `snapshot` route's channel.
    Posted { channel: u64 },
    /// Larger than Discord takes, compressed: not posted (the channel is told).
    TooLarge { bytes: u64, limit: u64 },
    /// The `snapshot` route posts nowhere.
    RouteOff,
}

/// A snapshot loaded in place of the live store.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Loaded {
    /// The schema the file had (it was migrated if older).
    pub schema: u64,
    /// Where the replaced store was saved, by file name in the backups folder.
    pub previous: String,
}

/// Why a load did not happen; the store in use is the one from before.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum LoadRefused {
    NotAStore,
    TooNew {
        found: u64,
        supported: u64,
    },
    Damaged,
    /// Larger than `limit` bytes once unpacked.
    TooLarge {
        limit: u64,
    },
    /// Work in progress did not finish within `seconds`.
    Busy {
        seconds: u64,
    },
    /// Anything else (a disk error): the reason, for the admin.
    Failed(String),
}

/// Backups that cannot be taken (unit tests of handlers that never reach them).
pub struct Unavailable;

impl Backups for Unavailable {
    fn save(&self, _by: u64) -> Pending<'_, Result<Saved, String>> {
        Box::pin(async { Err("backups are not available here".to_string()) })
    }

    fn load(
        &self,
        _by: u64,
        _name: String,
        _bytes: Vec<u8>,
    ) -> Pending<'_, Result<Loaded, LoadRefused>> {
        Box::pin(async {
            Err(LoadRefused::Failed(
                "backups are not available here".to_string(),
            ))
        })
    }
}
