//! Backups: snapshot files with retention, and restoring one in place of the live store.
//!
//! Snapshots are named `stagehand-<UTC time>.redb` in the backups folder, so their names sort by
//! age; retention deletes the oldest beyond `backup.keep` and never touches other files.
//!
//! From Discord (`/backup`, through [`Service`]): [`save`] writes a snapshot as the CLI does and,
//! when the `snapshot` route is on, posts a gzip copy of it without the secrets
//! ([`secret_rows`]) — the daily snapshot too; [`stage`] and [`swap`] load a snapshot while the
//! server runs (checked as `restore` checks one, all other work held back meanwhile, the current
//! store saved first, the current secrets kept). Each step records its audit event.

use std::io::{Read, Write};
use std::os::unix::fs::OpenOptionsExt as _;
use std::path::{Component, Path, PathBuf};
use std::sync::Arc;

use crate::audit::{self, Actor, Event, EventKind};
use crate::bot::backups::{Copy, LoadRefused, Loaded, Pending, Saved};
use crate::i18n::{Catalogue, Lang};
use crate::outbox::{Message, Route};
use crate::paths::{Paths, create_private_dir};
use crate::store::{
    OpenError, Progress, Redaction, SnapshotError, SnapshotInfo, Store, StoreError, StoreOptions,
    verify_snapshot, with_suffix,
};

const PREFIX: &str = "stagehand-";
const SUFFIX: &str = ".redb";

/// `backups/stagehand-20261124T101530.123Z.redb` (with `-tag` before the suffix when given).
pub fn snapshot_path(dir: &Path, now: jiff::Timestamp, tag: &str) -> PathBuf {
    let stamp = stamp(now);
    let tag = if tag.is_empty() {
        String::new()
    } else {
        format!("-{tag}")
    };
    dir.join(format!("{PREFIX}{stamp}{tag}{SUFFIX}"))
}

/// Why `stagehand backup` refused to start; nothing was written.
#[derive(Debug, thiserror::Error)]
pub enum BackupError {
    /// The data directory holds no store (a wrong `--data-dir`, most likely).
    #[error(
        "there is no store at {0} to back up (is --data-dir right? `stagehand serve` creates the store)"
    )]
    NoStore(PathBuf),
    /// The destination is inside the data directory, outside its backups folder: it could replace
    /// the live store (or the admin socket) under a running server.
    #[error(
        "refusing to write a snapshot to {out}: it is inside the data directory {data_dir}, where it could replace the live store; write it into {backups} or outside {data_dir}"
    )]
    InsideData {
        out: PathBuf,
        data_dir: PathBuf,
        backups: PathBuf,
    },
}

/// Refuses a snapshot destination inside the data directory other than in its backups folder:
/// a snapshot is renamed into place, so `--out data/stagehand.redb` would replace the live store
/// while `serve` keeps writing to the unlinked file. Symlinks and `..` are resolved first.
pub fn check_destination(paths: &Paths, out: &Path) -> Result<(), BackupError> {
    let data_dir = real_dir(&paths.data_dir);
    let backups = real_dir(&paths.backups());
    let landing = landing(out);
    let in_backups = landing.starts_with(&backups) && landing != backups;
    if landing.starts_with(&data_dir) && !in_backups {
        return Err(BackupError::InsideData {
            out: out.to_path_buf(),
            data_dir: paths.data_dir.clone(),
            backups: paths.backups(),
        });
    }
    Ok(())
}

/// A folder with every symlink resolved (as far as it exists).
fn real_dir(dir: &Path) -> PathBuf {
    std::fs::canonicalize(dir).unwrap_or_else(|_| landing(dir))
}

/// Where a file written to `path` lands: its folders resolved (symlinks, `.`, `..`, as far as
/// they exist), its own name kept (a rename replaces a symlink, not what it points at).
fn landing(path: &Path) -> PathBuf {
    let Ok(absolute) = std::path::absolute(path) else {
        return path.to_path_buf();
    };
    let mut components = absolute.components().peekable();
    let mut real = PathBuf::new();
    while let Some(component) = components.next() {
        match component {
            Component::Prefix(_) | Component::RootDir => real.push(component),
            Component::CurDir => {}
            Component::ParentDir => {
                real.pop();
            }
            Component::Normal(name) => {
                real.push(name);
                if components.peek().is_some()
                    && let Ok(resolved) = std::fs::canonicalize(&real)
                {
                    real = resolved;
                }
            }
        }
    }
    real
}

/// Writes a snapshot of `store` to `out`, then keeps only the newest `keep` in `dir`. Missing
/// folders are created owner-only, and unfinished snapshots a crash left in `dir` are removed.
pub fn create(
    store: &Store,
    out: &Path,
    dir: &Path,
    keep: u32,
    progress: Progress,
) -> Result<SnapshotInfo, SnapshotError> {
    let io = |path: &Path| {
        let path = path.to_path_buf();
        move |source| SnapshotError::Io { path, source }
    };
    if let Some(parent) = out.parent().filter(|p| !p.as_os_str().is_empty()) {
        create_private_dir(parent).map_err(io(parent))?;
    }
    store.remove_stale_partials(dir).map_err(io(dir))?;
    let info = store.snapshot_to(out, progress)?;
    prune(dir, keep, None).map_err(io(dir))?;
    Ok(info)
}

/// Deletes the oldest snapshots in `dir` beyond the newest `keep`, never `spare` (which does not
/// count towards `keep`); returns what it deleted.
pub fn prune(dir: &Path, keep: u32, spare: Option<&Path>) -> std::io::Result<Vec<PathBuf>> {
    let spare = spare.and_then(|p| std::fs::canonicalize(p).ok());
    let mut snapshots: Vec<PathBuf> = match std::fs::read_dir(dir) {
        Ok(entries) => entries
            .filter_map(Result::ok)
            .map(|e| e.path())
            .filter(|p| {
                p.file_name()
                    .and_then(|n| n.to_str())
                    .is_some_and(|n| n.starts_with(PREFIX) && n.ends_with(SUFFIX))
            })
            .filter(|p| spare.is_none() || std::fs::canonicalize(p).ok() != spare)
            .collect(),
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(err) => return Err(err),
    };
    snapshots.sort();
    let excess = snapshots
        .len()
        .saturating_sub(usize::try_from(keep).unwrap_or(usize::MAX));
    let doomed: Vec<PathBuf> = snapshots.drain(..excess).collect();
    for path in &doomed {
        std::fs::remove_file(path)?;
    }
    Ok(doomed)
}

/// Why a restore did not happen. In every case the live store is unchanged.
#[derive(Debug, thiserror::Error)]
pub enum RestoreError {
    #[error("refusing {path}: {reason}")]
    Refused { path: PathBuf, reason: OpenError },
    #[error("stop `stagehand serve` before restoring: it has the store open")]
    ServerRunning,
    #[error("the current store could not be opened to save it first: {0}")]
    Current(OpenError),
    #[error("saving the current store first failed: {0}")]
    SaveCurrent(SnapshotError),
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
}

/// What a restore did.
pub struct Restored {
    pub info: SnapshotInfo,
    /// Where the replaced store was saved (absent when there was none).
    pub previous: Option<PathBuf>,
    /// Whether the replaced store was damaged: then `previous` is a byte copy of its file, outside
    /// the snapshots' names (never pruned, never offered as the newest snapshot).
    pub previous_damaged: bool,
    /// The retention run after the restore: the snapshots it deleted, or why it failed (the
    /// restore itself succeeded either way).
    pub pruned: std::io::Result<Vec<PathBuf>>,
}

/// Replaces the live store with `file` after checking it (redb's integrity check included: a
/// damaged snapshot is refused) and saving the current store.
///
/// A current store too damaged to snapshot is kept as it is, a byte copy named
/// `damaged-<time>.redb` in the backups folder: restoring is what a damaged store needs.
///
/// Retention runs only once the new store is in place, and never deletes `file`: restoring the
/// oldest of `keep` snapshots must not prune the very file being restored.
pub fn restore(
    paths: &Paths,
    file: &Path,
    keep: u32,
    progress: Progress,
) -> Result<Restored, RestoreError> {
    let info = verify_snapshot(file).map_err(|reason| RestoreError::Refused {
        path: file.to_path_buf(),
        reason,
    })?;
    let live = paths.store();
    let backups = paths.backups();
    let mut previous_damaged = false;
    let previous = if live.exists() {
        let current = match Store::open(&live, &StoreOptions::default()) {
            Ok(store) => Some(store),
            Err(OpenError::InUse(_)) => return Err(RestoreError::ServerRunning),
            Err(OpenError::Damaged { .. }) => None,
            Err(err) => return Err(RestoreError::Current(err)),
        };
        create_private_dir(&backups).map_err(|source| RestoreError::Io {
            path: backups.clone(),
            source,
        })?;
        let now = jiff::Timestamp::now();
        let saved = snapshot_path(&backups, now, "before-restore");
        let snapshot = current.map(|current| current.snapshot_to(&saved, &mut |_, _| {}));
        match snapshot {
            Some(Ok(_)) => Some(saved),
            Some(Err(
                SnapshotError::Store(StoreError::Damaged { .. })
                | SnapshotError::Source(OpenError::Damaged { .. }),
            ))
            | None => {
                previous_damaged = true;
                let kept = backups.join(format!("damaged-{}{SUFFIX}", stamp(now)));
                copy_with_progress(&live, &kept, &mut |_, _| {})?;
                Some(kept)
            }
            Some(Err(err)) => return Err(RestoreError::SaveCurrent(err)),
        }
    } else {
        None
    };
    let staging = live.with_extension("redb.restoring");
    let swapped = copy_with_progress(file, &staging, progress).and_then(|()| {
        std::fs::rename(&staging, &live).map_err(|source| RestoreError::Io {
            path: live.clone(),
            source,
        })
    });
    if swapped.is_err() {
        let _ = std::fs::remove_file(&staging);
    }
    swapped?;
    let pruned = prune(&backups, keep.max(1), Some(file));
    Ok(Restored {
        info,
        previous,
        previous_damaged,
        pruned,
    })
}

/// Every row that never leaves the machine (a snapshot's copy for Discord) and that a snapshot
/// loaded from Discord never replaces: the bot token and the osu! client secret (settings), the
/// `/link` states' signing key, the self-signed certificate with its private key, the setup
/// token's hash and the Control Panel key's hash.
pub fn secret_rows() -> Vec<Redaction> {
    let mut rows = crate::config::secret_rows();
    rows.extend(crate::league::link::secret_rows());
    rows.extend(crate::web::tls::secret_rows());
    rows.extend(crate::web::setup::secret_rows());
    rows.extend(crate::requests::panel::secret_rows());
    rows
}

/// Why a snapshot was taken.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// `/backup save`.
    Manual,
    /// The daily snapshot at `backup.daily_at`.
    Daily,
}

impl Kind {
    /// Its file name's tag.
    fn tag(self) -> &'static str {
        match self {
            Kind::Manual => "manual",
            Kind::Daily => "daily",
        }
    }

    /// How its post names it (as the original's: "manual", "regular").
    fn shown(self) -> &'static str {
        match self {
            Kind::Manual => "manual",
            Kind::Daily => "regular",
        }
    }
}

/// The largest compressed copy posted to Discord: its upload limit.
pub const DISCORD_LIMIT: u64 = crate::outbox::limits::FILE_BYTES as u64;

/// A snapshot written by [`save`].
pub struct SavedSnapshot {
    pub path: PathBuf,
    pub info: SnapshotInfo,
    pub copy: crate::bot::backups::Copy,
}

/// Takes a snapshot of `store` into `backups` (keeping the newest `keep`), as `stagehand backup`
/// does; when the `snapshot` route posts somewhere, posts a copy of it without the secrets
/// ([`secret_rows`]), gzip-compressed, or says there that it is too large for Discord; and
/// records `BACKUP_SAVED` by `by`. The post and the event are one transaction; the caller wakes
/// the outbox.
pub fn save(
    store: &Store,
    backups: &Path,
    keep: u32,
    kind: Kind,
    by: Actor,
    now: i64,
) -> anyhow::Result<SavedSnapshot> {
    save_within(store, backups, keep, kind, by, now, DISCORD_LIMIT)
}

/// [`save`], with the copy posted only when it is at most `limit` bytes compressed.
fn save_within(
    store: &Store,
    backups: &Path,
    keep: u32,
    kind: Kind,
    by: Actor,
    now: i64,
    limit: u64,
) -> anyhow::Result<SavedSnapshot> {
    let at = jiff::Timestamp::from_second(now).unwrap_or(jiff::Timestamp::UNIX_EPOCH);
    let path = snapshot_path(backups, at, kind.tag());
    let info =
        create(store, &path, backups, keep, &mut |_, _| {}).map_err(|err| failure(backups, err))?;
    let file = file_name(&path);
    let route = store.read(|r| crate::routes::resolve(r, Route::Snapshot))?;
    let copy = match route {
        Some(channel) => Some((channel, discord_copy(&path)?)),
        None => None,
    };
    let texts = Catalogue::open(store)?;
    let at_text = now.to_string();
    let post = |key: &str, extra: &[(&str, &str)]| {
        let mut params = vec![("at", at_text.as_str()), ("kind", kind.shown())];
        params.extend_from_slice(extra);
        texts.render(Lang::En, key, &params)
    };
    let outcome = store.write(|w| {
        let outcome = match &copy {
            None => Copy::RouteOff,
            Some((channel, gz)) if gz.len() as u64 <= limit => {
                let message = Message::text(post("backup.post", &[]))
                    .with_file(format!("{file}.gz"), gz.clone());
                crate::routes::push(w, Route::Snapshot, message, None)?;
                Copy::Posted { channel: *channel }
            }
            Some((_, gz)) => {
                let (size, shown_limit) = (size_text(gz.len() as u64), size_text(limit));
                let text = post(
                    "backup.post_too_large",
                    &[("size", &size), ("limit", &shown_limit), ("file", &file)],
                );
                crate::routes::push(w, Route::Snapshot, Message::text(text), None)?;
                Copy::TooLarge {
                    bytes: gz.len() as u64,
                    limit,
                }
            }
        };
        let shown = match outcome {
            Copy::Posted { .. } => "posted",
            Copy::TooLarge { .. } => "too_large",
            Copy::RouteOff => "route_off",
        };
        let event = Event::new(EventKind::BackupSaved, by, now)
            .with("file", file.as_str())
            .with("kind", kind.tag())
            .with("copy", shown);
        audit::record(w, &event)?;
        Ok::<_, StoreError>(outcome)
    })?;
    Ok(SavedSnapshot {
        path,
        info,
        copy: outcome,
    })
}

/// The snapshot at `path` without its secrets, gzip-compressed (a temporary copy beside it,
/// removed).
fn discord_copy(path: &Path) -> anyhow::Result<Vec<u8>> {
    let temporary = with_suffix(path, ".discord");
    let copied = crate::store::redacted_copy(path, &temporary, &secret_rows());
    let compressed = copied.map_err(anyhow::Error::from).and_then(|_| {
        let mut input = std::fs::File::open(&temporary)?;
        let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        std::io::copy(&mut input, &mut encoder)?;
        Ok(encoder.finish()?)
    });
    let _ = std::fs::remove_file(&temporary);
    compressed
}

/// `12.3 MiB`, `512 KiB`.
pub fn size_text(bytes: u64) -> String {
    if bytes >= 1 << 20 {
        format!("{:.1} MiB", bytes as f64 / f64::from(1 << 20))
    } else {
        format!("{} KiB", bytes.div_ceil(1024))
    }
}

fn file_name(path: &Path) -> String {
    path.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default()
}

/// The largest snapshot `/backup load` unpacks.
pub const MAX_LOADED: u64 = 2 << 30;

/// A snapshot from Discord written to disk and checked, waiting to replace the live store.
pub struct Staged {
    path: PathBuf,
    /// Its name as uploaded.
    pub name: String,
    pub info: SnapshotInfo,
}

impl Drop for Staged {
    fn drop(&mut self) {
        // Replacing the store consumes it; otherwise it goes.
        let _ = std::fs::remove_file(&self.path);
    }
}

/// Where a load writes the file it checks: `.loading` files are removed by the next load.
const LOADING: &str = ".loading";

/// Writes `bytes` (a snapshot, gzip-compressed or not) into `backups` as a staged file and checks
/// it as `stagehand restore` does (a Stagehand store, schema not newer, every page sound). A
/// refusal is recorded (`BACKUP_LOAD_REFUSED` by `by`) and leaves nothing behind.
pub fn stage(
    store: &Store,
    backups: &Path,
    name: &str,
    bytes: &[u8],
    by: Actor,
    now: i64,
) -> Result<Staged, LoadRefused> {
    let staged = stage_file(backups, name, bytes, now);
    if let Err(refused) = &staged {
        refused_event(store, name, refused, by, now);
    }
    staged
}

fn stage_file(backups: &Path, name: &str, bytes: &[u8], now: i64) -> Result<Staged, LoadRefused> {
    let failed = |e: &dyn std::fmt::Display| LoadRefused::Failed(e.to_string());
    create_private_dir(backups).map_err(|e| failed(&e))?;
    // Leftovers of a load a crash interrupted (only one load runs at a time).
    if let Ok(entries) = std::fs::read_dir(backups) {
        for entry in entries.filter_map(Result::ok) {
            if entry.file_name().to_string_lossy().ends_with(LOADING) {
                let _ = std::fs::remove_file(entry.path());
            }
        }
    }
    let at = jiff::Timestamp::from_second(now).unwrap_or(jiff::Timestamp::UNIX_EPOCH);
    let path = backups.join(format!("incoming-{}.redb{LOADING}", stamp(at)));
    let mut staged = Staged {
        path: path.clone(),
        name: name.to_string(),
        info: SnapshotInfo {
            schema: 0,
            tables: 0,
            entries: 0,
            bytes: 0,
        },
    };
    let mut output = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(&path)
        .map_err(|e| failed(&e))?;
    let written = if bytes.starts_with(&[0x1f, 0x8b]) {
        let decoder = flate2::read::GzDecoder::new(bytes);
        std::io::copy(&mut decoder.take(MAX_LOADED + 1), &mut output)
    } else {
        output.write_all(bytes).map(|()| bytes.len() as u64)
    };
    let written = match written {
        Ok(n) => n,
        // Not gzip after all, or cut short: not a store.
        Err(err)
            if err.kind() == std::io::ErrorKind::InvalidInput
                || err.kind() == std::io::ErrorKind::InvalidData
                || err.kind() == std::io::ErrorKind::UnexpectedEof =>
        {
            return Err(LoadRefused::NotAStore);
        }
        Err(err) => return Err(failed(&err)),
    };
    if written > MAX_LOADED {
        return Err(LoadRefused::TooLarge { limit: MAX_LOADED });
    }
    output.sync_all().map_err(|e| failed(&e))?;
    drop(output);
    let info = verify_snapshot(&path).map_err(|err| match err {
        OpenError::TooNew {
            found, supported, ..
        } => LoadRefused::TooNew { found, supported },
        OpenError::Damaged { .. } => LoadRefused::Damaged,
        OpenError::NotAStore { .. } => LoadRefused::NotAStore,
        other => failed(&other),
    })?;
    staged.info = info;
    Ok(staged)
}

/// Replaces the live store with `staged` (all other work held back by the caller): the current
/// store saved as `stagehand-<time>-before-restore.redb` in `backups`, the current secrets kept
/// ([`secret_rows`]), the file migrated if older; then `BACKUP_LOADED` by `by` recorded in the
/// new store and retention run. A failure is recorded (`BACKUP_LOAD_REFUSED`) in the store in
/// use, which is the one from before.
pub fn swap(
    store: &Store,
    staged: Staged,
    backups: &Path,
    keep: u32,
    by: Actor,
    now: i64,
) -> Result<Loaded, LoadRefused> {
    let at = jiff::Timestamp::from_second(now).unwrap_or(jiff::Timestamp::UNIX_EPOCH);
    let before = snapshot_path(backups, at, "before-restore");
    let replaced = store.replace(&staged.path, &before, &secret_rows(), &mut |_, _| {});
    let replaced = match replaced {
        Ok(replaced) => replaced,
        Err(err) => {
            let refused = LoadRefused::Failed(format!("{err:#}"));
            refused_event(store, &staged.name, &refused, by, now);
            return Err(refused);
        }
    };
    let previous = file_name(&before);
    let event = Event::new(EventKind::BackupLoaded, by, now)
        .with("file", staged.name.as_str())
        .with(
            "schema",
            i64::try_from(replaced.loaded_schema).unwrap_or(i64::MAX),
        )
        .with("previous", previous.as_str());
    if let Err(err) = store.write(|w| audit::record(w, &event)) {
        tracing::error!(error = %err, "recording a loaded snapshot failed");
    }
    if let Err(err) = prune(backups, keep.max(1), Some(&before)) {
        tracing::warn!(error = %err, "removing old snapshots failed");
    }
    Ok(Loaded {
        schema: replaced.loaded_schema,
        previous,
    })
}

fn refused_event(store: &Store, name: &str, refused: &LoadRefused, by: Actor, now: i64) {
    let reason = match refused {
        LoadRefused::NotAStore => "not_a_store".to_string(),
        LoadRefused::TooNew { found, .. } => format!("schema {found} is newer"),
        LoadRefused::Damaged => "damaged".to_string(),
        LoadRefused::TooLarge { .. } => "too_large".to_string(),
        LoadRefused::Busy { .. } => "busy".to_string(),
        LoadRefused::Failed(why) => why.clone(),
    };
    let event = Event::new(EventKind::BackupLoadRefused, by, now)
        .with("file", name)
        .with("reason", reason);
    if let Err(err) = store.write(|w| audit::record(w, &event)) {
        tracing::error!(error = %err, "recording a refused snapshot failed");
    }
}

/// How long a load waits for work in progress (interactions, deliveries, jobs) to finish.
pub const LOAD_WAIT: std::time::Duration = std::time::Duration::from_secs(30);

/// `/backup save` and `/backup load` as the bot reaches them ([`crate::bot::backups::Backups`]).
pub struct Service {
    pub store: Arc<Store>,
    pub backups: PathBuf,
    pub settings: tokio::sync::watch::Receiver<Arc<crate::config::Settings>>,
    pub pause: crate::pause::Pause,
    pub outbox: crate::outbox::Outbox,
    pub clock: crate::clock::Clock,
    /// Called once a loaded store is in place: its settings are read again.
    pub on_loaded: Box<dyn Fn() + Send + Sync>,
    /// One load at a time.
    pub loading: tokio::sync::Mutex<()>,
}

impl crate::bot::backups::Backups for Service {
    fn save(&self, by: u64) -> Pending<'_, Result<Saved, String>> {
        Box::pin(async move {
            let (store, backups) = (self.store.clone(), self.backups.clone());
            let keep = self.settings.borrow().backup_keep;
            let now = self.clock.now();
            let saved = tokio::task::spawn_blocking(move || {
                save(&store, &backups, keep, Kind::Manual, Actor::User(by), now)
            })
            .await
            .map_err(|err| err.to_string())?
            .map_err(|err| format!("{err:#}"))?;
            self.outbox.wake();
            Ok(Saved {
                file: file_name(&saved.path),
                bytes: saved.info.bytes,
                copy: saved.copy,
            })
        })
    }

    fn load(
        &self,
        by: u64,
        name: String,
        bytes: Vec<u8>,
    ) -> Pending<'_, Result<Loaded, LoadRefused>> {
        Box::pin(async move {
            let _one = self.loading.lock().await;
            let failed = |err: tokio::task::JoinError| LoadRefused::Failed(err.to_string());
            let by = Actor::User(by);
            let now = self.clock.now();
            let (store, backups) = (self.store.clone(), self.backups.clone());
            let staged = tokio::task::spawn_blocking(move || {
                stage(&store, &backups, &name, &bytes, by, now)
            })
            .await
            .map_err(failed)??;
            let Some(held) = self.pause.hold(LOAD_WAIT).await else {
                let refused = LoadRefused::Busy {
                    seconds: LOAD_WAIT.as_secs(),
                };
                refused_event(&self.store, &staged.name, &refused, by, now);
                return Err(refused);
            };
            let keep = self.settings.borrow().backup_keep;
            let (store, backups) = (self.store.clone(), self.backups.clone());
            let loaded =
                tokio::task::spawn_blocking(move || swap(&store, staged, &backups, keep, by, now))
                    .await
                    .map_err(failed)?;
            if loaded.is_ok() {
                (self.on_loaded)();
            }
            drop(held);
            self.outbox.wake();
            loaded
        })
    }
}

/// `20261124T101530.123Z`: UTC, to the millisecond, sorting by age.
fn stamp(now: jiff::Timestamp) -> String {
    now.strftime("%Y%m%dT%H%M%S%.3fZ").to_string()
}

/// The newest snapshot in `dir` other than `except`, by name (names sort by age).
pub fn newest_snapshot(dir: &Path, except: &Path) -> Option<PathBuf> {
    let except = std::fs::canonicalize(except).ok();
    let mut snapshots: Vec<PathBuf> = std::fs::read_dir(dir)
        .ok()?
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| {
            p.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.starts_with(PREFIX) && n.ends_with(SUFFIX))
        })
        .filter(|p| except.is_none() || std::fs::canonicalize(p).ok() != except)
        .collect();
    snapshots.sort();
    snapshots.pop()
}

/// What to do about the damaged store file `damaged` (the live store, or a snapshot `restore`
/// refused): restore a snapshot, naming the newest in the backups folder when there is one.
pub fn damage_advice(paths: &Paths, damaged: &Path) -> String {
    damage_advice_in(&paths.backups(), damaged)
}

/// A snapshot that failed, as one text: the error and, when it found the store damaged, what to
/// do ([`damage_advice`], with snapshots looked for in `backups`). The admin socket's answer and
/// the daily snapshot's log line carry one text, where the CLI prints the advice below the error.
pub fn failure(backups: &Path, err: SnapshotError) -> anyhow::Error {
    let err = anyhow::Error::from(err);
    match damaged_file(&err) {
        Some(damaged) => anyhow::anyhow!("{err:#}; {}", damage_advice_in(backups, &damaged)),
        None => err,
    }
}

fn damage_advice_in(backups: &Path, damaged: &Path) -> String {
    let what = "the file is damaged: restore a snapshot with `stagehand restore FILE` (with \
                `stagehand serve` stopped; the current store is kept)";
    match newest_snapshot(backups, damaged) {
        Some(newest) => format!(
            "{what}; the newest in {} is {} (restore checks a snapshot first: if it is damaged \
             too, try the one before)",
            backups.display(),
            newest.display()
        ),
        None => format!(
            "{what}; there is none in {}: use one you keep elsewhere",
            backups.display()
        ),
    }
}

/// The damaged store file an error reports, itself or through one of its causes.
pub fn damaged_file(err: &anyhow::Error) -> Option<PathBuf> {
    fn of_open(err: &OpenError) -> Option<PathBuf> {
        match err {
            OpenError::Damaged { path, .. } => Some(path.clone()),
            OpenError::Migration { source, .. } => of_store(source),
            _ => None,
        }
    }
    fn of_store(err: &StoreError) -> Option<PathBuf> {
        match err {
            StoreError::Damaged { path, .. } => Some(path.clone()),
            _ => None,
        }
    }
    fn of_snapshot(err: &SnapshotError) -> Option<PathBuf> {
        match err {
            SnapshotError::Store(err) => of_store(err),
            SnapshotError::Open(err) | SnapshotError::Source(err) => of_open(err),
            _ => None,
        }
    }
    err.chain().find_map(|cause| {
        if let Some(err) = cause.downcast_ref::<OpenError>() {
            of_open(err)
        } else if let Some(err) = cause.downcast_ref::<StoreError>() {
            of_store(err)
        } else if let Some(err) = cause.downcast_ref::<SnapshotError>() {
            of_snapshot(err)
        } else if let Some(err) = cause.downcast_ref::<RestoreError>() {
            match err {
                RestoreError::Refused { reason, .. } | RestoreError::Current(reason) => {
                    of_open(reason)
                }
                RestoreError::SaveCurrent(err) => of_snapshot(err),
                _ => None,
            }
        } else {
            None
        }
    })
}

/// Copies `from` into a new owner-only file `to` (replacing a leftover one).
fn copy_with_progress(from: &Path, to: &Path, progress: Progress) -> Result<(), RestoreError> {
    let io = |path: &Path| {
        let path = path.to_path_buf();
        move |source| RestoreError::Io { path, source }
    };
    let mut input = std::fs::File::open(from).map_err(io(from))?;
    let total = input.metadata().map_err(io(from))?.len();
    match std::fs::remove_file(to) {
        Err(err) if err.kind() != std::io::ErrorKind::NotFound => return Err(io(to)(err)),
        _ => {}
    }
    let mut output = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(to)
        .map_err(io(to))?;
    let mut buffer = vec![0u8; 1 << 20];
    let mut done = 0;
    loop {
        let n = input.read(&mut buffer).map_err(io(from))?;
        if n == 0 {
            break;
        }
        output.write_all(&buffer[..n]).map_err(io(to))?;
        done += n as u64;
        progress(done, total);
    }
    output.sync_all().map_err(io(to))
}

/// One line about a written snapshot.
pub fn describe_snapshot(path: &Path, info: &SnapshotInfo) -> String {
    format!(
        "snapshot written to {} ({} entries in {} tables, {} KiB, schema {})",
        path.display(),
        info.entries,
        info.tables,
        info.bytes.div_ceil(1024),
        info.schema
    )
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use crate::outbox::{Effect, queue};

    const TOKEN: &str = "bot-token-MTAx.GhIj.abc";
    const OSU: &str = "osu-client-secret-xyz";
    const CHANNEL: u64 = 77;
    const NOW: i64 = 1_800_000_000;

    /// A store with a secret in every place `secret_rows` names, and a request's worth of data.
    fn with_secrets(dir: &Path) -> Store {
        let store = Store::open(&dir.join("stagehand.redb"), &StoreOptions::default()).unwrap();
        store
            .write(|w| {
                crate::config::save(w, "discord.token", TOKEN)?;
                crate::config::save(w, "osu.client_secret", OSU)?;
                crate::config::save(w, "discord.guild_id", "202")?;
                crate::requests::panel::turn_on(w, Actor::Bot, 43, NOW)?;
                crate::outbox::route::set_default(w, Route::Snapshot, CHANNEL)
            })
            .unwrap();
        store
    }

    fn posts(store: &Store) -> Vec<Message> {
        store
            .read(queue::queued)
            .unwrap()
            .into_iter()
            .filter(|(_, q)| !q.effect.is_log_post())
            .filter_map(|(_, q)| match q.effect {
                Effect::Send { message, .. } => Some(message),
                _ => None,
            })
            .collect()
    }

    fn gunzip(bytes: &[u8]) -> Vec<u8> {
        let mut out = Vec::new();
        flate2::read::GzDecoder::new(bytes)
            .read_to_end(&mut out)
            .unwrap();
        out
    }

    fn has(haystack: &[u8], needle: &[u8]) -> bool {
        haystack.windows(needle.len()).any(|w| w == needle)
    }

    #[test]
    fn a_saved_snapshot_posts_a_copy_without_secrets_or_says_it_is_too_large() {
        let dir = tempfile::tempdir().unwrap();
        let store = with_secrets(dir.path());
        let backups = dir.path().join("backups");
        let saved = save(&store, &backups, 7, Kind::Manual, Actor::User(1), NOW).unwrap();
        assert_eq!(saved.copy, Copy::Posted { channel: CHANNEL });
        assert!(
            file_name(&saved.path).ends_with("-manual.redb"),
            "{}",
            saved.path.display()
        );
        let local = std::fs::read(&saved.path).unwrap();
        assert!(has(&local, TOKEN.as_bytes()), "the local snapshot is whole");
        let [post] = posts(&store).try_into().unwrap();
        assert_eq!(
            post.content,
            format!("BACKUP <t:{NOW}:F> (<t:{NOW}:R>) - manual")
        );
        let [file] = post.files.as_slice() else {
            panic!("{:?}", post.files.len());
        };
        assert_eq!(file.name, format!("{}.gz", file_name(&saved.path)));
        let copy = gunzip(&file.bytes);
        assert!(!has(&copy, TOKEN.as_bytes()) && !has(&copy, OSU.as_bytes()));
        assert!(has(&copy, b"discord.guild_id"), "the other settings stay");
        // The copy is a store whose secret rows are gone.
        let copied = dir.path().join("copy.redb");
        std::fs::write(&copied, &copy).unwrap();
        let opened = Store::open(&copied, &StoreOptions::default()).unwrap();
        let settings = opened.read(crate::config::saved).unwrap();
        assert_eq!(settings, [("discord.guild_id".into(), "202".into())]);
        assert!(
            opened
                .read(crate::requests::panel::current)
                .unwrap()
                .is_none()
        );
        drop(opened);
        assert!(
            std::fs::read_dir(&backups).unwrap().all(|e| !e
                .unwrap()
                .file_name()
                .to_string_lossy()
                .contains("discord")),
            "the temporary copy is gone"
        );

        // Too large for Discord: the channel is told, nothing attached.
        let saved =
            save_within(&store, &backups, 7, Kind::Daily, Actor::Bot, NOW + 1, 100).unwrap();
        assert!(matches!(saved.copy, Copy::TooLarge { limit: 100, .. }));
        let post = posts(&store).pop().unwrap();
        assert!(post.files.is_empty());
        assert!(
            post.content.starts_with(&format!(
                "BACKUP <t:{}:F> (<t:{}:R>) - regular: the copy is ",
                NOW + 1,
                NOW + 1
            )),
            "{}",
            post.content
        );
        // The route off: no copy at all.
        crate::routes::set_enabled(&store, Actor::User(1), Route::Snapshot, false, NOW).unwrap();
        let saved = save(&store, &backups, 7, Kind::Manual, Actor::User(1), NOW + 2).unwrap();
        assert_eq!(saved.copy, Copy::RouteOff);
        let events: Vec<String> = crate::audit::summaries(&store)
            .into_iter()
            .filter(|s| s.starts_with("BACKUP_SAVED"))
            .collect();
        assert_eq!(events.len(), 3, "{events:?}");
        assert!(
            events[1].ends_with("kind=daily copy=too_large"),
            "{events:?}"
        );
    }

    #[test]
    fn a_load_checks_the_file_and_keeps_the_current_secrets() {
        let dir = tempfile::tempdir().unwrap();
        let store = with_secrets(dir.path());
        let backups = dir.path().join("backups");
        let saved = save(&store, &backups, 7, Kind::Manual, Actor::User(1), NOW).unwrap();
        let [post] = posts(&store).try_into().unwrap();
        let gz = post.files[0].bytes.clone();
        // Since: another guild id, another key.
        store
            .write(|w| crate::config::save(w, "discord.guild_id", "303"))
            .unwrap();
        let key = store
            .write(|w| crate::requests::panel::rotate(w, Actor::Bot, NOW))
            .unwrap()
            .unwrap()
            .0;
        let refused = |bytes: &[u8]| {
            stage(&store, &backups, "x", bytes, Actor::User(1), NOW)
                .err()
                .unwrap()
        };
        assert_eq!(refused(b"plain garbage"), LoadRefused::NotAStore);
        assert_eq!(
            refused(&[0x1f, 0x8b, 8, 0, 1, 2, 3]),
            LoadRefused::NotAStore
        );
        assert_eq!(refused(&[]), LoadRefused::NotAStore);
        let names = |dir: &Path| {
            let mut names: Vec<String> = std::fs::read_dir(dir)
                .unwrap()
                .map(|e| e.unwrap().file_name().into_string().unwrap())
                .collect();
            names.sort();
            names
        };
        assert_eq!(
            names(&backups),
            [file_name(&saved.path)],
            "nothing left behind"
        );

        let staged = stage(&store, &backups, "copy.redb.gz", &gz, Actor::User(1), NOW).unwrap();
        assert_eq!(staged.info.schema, crate::store::SCHEMA_VERSION);
        let loaded = swap(&store, staged, &backups, 7, Actor::User(1), NOW + 5).unwrap();
        assert!(loaded.previous.ends_with("-before-restore.redb"));
        let settings = store.read(crate::config::saved).unwrap();
        assert!(
            settings.contains(&("discord.guild_id".into(), "202".into())),
            "the snapshot's"
        );
        assert!(
            settings.contains(&("discord.token".into(), TOKEN.into())),
            "this server's"
        );
        assert_eq!(
            store
                .read(|r| crate::requests::panel::check(r, &key.0))
                .unwrap(),
            crate::requests::panel::KeyCheck::Staff(43),
            "the key made after the snapshot works"
        );
        let summaries = crate::audit::summaries(&store);
        assert!(
            summaries
                .last()
                .unwrap()
                .starts_with("BACKUP_LOADED by <@1>: file=copy.redb.gz schema="),
            "{summaries:?}"
        );
        // The store it replaced was saved whole.
        let before =
            Store::open(&backups.join(&loaded.previous), &StoreOptions::default()).unwrap();
        let settings = before.read(crate::config::saved).unwrap();
        assert!(settings.contains(&("discord.guild_id".into(), "303".into())));
    }

    #[test]
    fn names_sort_by_time_and_prune_keeps_the_newest() {
        let dir = tempfile::tempdir().unwrap();
        let base: jiff::Timestamp = "2026-11-24T10:00:00Z".parse().unwrap();
        let mut made = Vec::new();
        for minutes in [5, 1, 3, 2, 4] {
            let path = snapshot_path(
                dir.path(),
                base + jiff::SignedDuration::from_mins(minutes),
                "",
            );
            std::fs::write(&path, b"x").unwrap();
            made.push(path);
        }
        std::fs::write(dir.path().join("notes.txt"), b"keep me").unwrap();
        let deleted = prune(dir.path(), 3, None).unwrap();
        let names: Vec<_> = deleted
            .iter()
            .map(|p| p.file_name().unwrap().to_str().unwrap().to_string())
            .collect();
        assert_eq!(
            names,
            [
                "stagehand-20261124T100100.000Z.redb",
                "stagehand-20261124T100200.000Z.redb"
            ]
        );
        assert!(dir.path().join("notes.txt").exists());
        assert_eq!(prune(dir.path(), 3, None).unwrap(), Vec::<PathBuf>::new());
        assert_eq!(
            prune(&dir.path().join("absent"), 3, None).unwrap(),
            Vec::<PathBuf>::new()
        );
    }

    /// Issue 25 item 2: restoring the oldest of `backup.keep` snapshots pruned the very file.
    #[test]
    fn prune_spares_the_file_being_restored_without_counting_it() {
        let dir = tempfile::tempdir().unwrap();
        let base: jiff::Timestamp = "2026-11-24T10:00:00Z".parse().unwrap();
        let made: Vec<PathBuf> = (1..=4)
            .map(|minutes| {
                let at = base + jiff::SignedDuration::from_mins(minutes);
                let path = snapshot_path(dir.path(), at, "");
                std::fs::write(&path, b"x").unwrap();
                path
            })
            .collect();
        let spare = dir.path().join(".").join(made[0].file_name().unwrap());
        assert_eq!(
            prune(dir.path(), 3, Some(&spare)).unwrap(),
            Vec::<PathBuf>::new()
        );
        assert_eq!(
            prune(dir.path(), 2, Some(&spare)).unwrap(),
            [made[1].clone()]
        );
        assert!(made[0].exists());
    }

    /// Issue 25 item 7: `backup --out data/stagehand.redb` replaced the live store under `serve`.
    #[test]
    fn a_destination_inside_the_data_dir_is_refused_unless_in_backups() {
        let root = tempfile::tempdir().unwrap();
        let paths = Paths {
            data_dir: root.path().join("data"),
            config: None,
        };
        std::fs::create_dir_all(paths.backups()).unwrap();
        std::os::unix::fs::symlink(&paths.data_dir, root.path().join("link")).unwrap();
        let refused = [
            "data/stagehand.redb",
            "data/other.redb",
            "data/new/x.redb",
            "data/backups",
            "data/backups/../stagehand.redb",
            "data/./admin.sock",
            "link/stagehand.redb",
            "elsewhere/../data/stagehand.redb",
        ];
        for out in refused {
            let err = check_destination(&paths, &root.path().join(out)).unwrap_err();
            assert!(
                err.to_string().contains("inside the data directory"),
                "{out}: {err}"
            );
        }
        for out in [
            "data/backups/mine.redb",
            "data/backups/later/mine.redb",
            "link/backups/mine.redb",
            "data.redb",
            "elsewhere/x.redb",
        ] {
            assert!(
                check_destination(&paths, &root.path().join(out)).is_ok(),
                "{out}"
            );
        }
    }
}
