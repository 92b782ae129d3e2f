//! Consistent snapshots: every table copied from one read transaction into a new file, while
//! writers carry on. The copy is written beside its destination and renamed into place, so a
//! snapshot file is either whole or absent. Every file written here is its owner's only (0600):
//! a store holds the bot token, the osu! client secret and the TLS private key.

use crate::store::Read as _;
use std::os::unix::fs::OpenOptionsExt as _;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, PoisonError};

use redb::{ReadableDatabase, ReadableTable, ReadableTableMetadata, TableDefinition, TableHandle};

use super::meta::{META, SCHEMA};
use super::migrate::SCHEMA_VERSION;
use super::{OpenError, SnapshotError, Store, StoreError};

/// Tables whose name starts with this are never copied into a snapshot: they hold what belongs
/// to this machine alone and must not leave it in a backup (the ACME account's key, `acme`).
/// A store restored from a snapshot starts without them.
pub const LOCAL_PREFIX: &str = "local_";

/// Receives `(entries copied, entries in all)` while a snapshot is written.
pub type Progress<'a> = &'a mut dyn FnMut(u64, u64);

/// What a snapshot (or any store file) holds.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SnapshotInfo {
    pub schema: u64,
    pub tables: usize,
    pub entries: u64,
    pub bytes: u64,
}

impl Store {
    /// Writes a consistent copy of the whole store to `out` (replacing it) and returns what it holds.
    ///
    /// Both ends are checked with redb's integrity check. The store first, with writers held back
    /// meanwhile ([`super::verify_file`]: about 10 ms for 150,000 rows): redb copies a changed
    /// value without a word, and the copy gets checksums of its own, so a damaged store would
    /// give a snapshot that passes every later check. Then the written copy, before it is renamed
    /// into place. Either failing leaves no file behind ([`SnapshotError::Source`],
    /// [`SnapshotError::Written`]); a damaged store is then refused by every later transaction,
    /// as it is when a transaction meets the damage.
    pub fn snapshot_to(
        &self,
        out: &Path,
        progress: Progress,
    ) -> Result<SnapshotInfo, SnapshotError> {
        let _inside = self.inside();
        self.write_snapshot(out, progress)
    }

    /// [`Store::snapshot_to`], for a caller inside the gate or holding it.
    pub(super) fn write_snapshot(
        &self,
        out: &Path,
        progress: Progress,
    ) -> Result<SnapshotInfo, SnapshotError> {
        let txn = self.begin_read_verified()?;
        let health = self.health();
        let source = Source {
            txn: &txn,
            health: &health,
        };
        write_copy(&source, out, progress, &|_, _| true)
    }

    /// Removes the `*.partial` files a crashed snapshot left in `dir` (each holds the store's
    /// secrets), sparing those this process is writing now; returns what it removed. Only the
    /// process holding the store (`&self`) writes snapshots there, so the rest are leftovers.
    pub fn remove_stale_partials(&self, dir: &Path) -> std::io::Result<Vec<PathBuf>> {
        let entries = match std::fs::read_dir(dir) {
            Ok(entries) => entries,
            Err(err) if err.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
            Err(err) => return Err(err),
        };
        let mut removed = Vec::new();
        for entry in entries {
            let path = entry?.path();
            let partial = path
                .file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.ends_with(".partial"));
            if partial && !Writing::is_active(&path) {
                match std::fs::remove_file(&path) {
                    Ok(()) => removed.push(path),
                    Err(err) if err.kind() == std::io::ErrorKind::NotFound => {}
                    Err(err) => return Err(err),
                }
            }
        }
        Ok(removed)
    }
}

/// Writes the rows of `source` that `keep` keeps (by table name and key) to `out`, through
/// `<out>.partial` (owner-only), checked before it is renamed into place.
fn write_copy(
    source: &Source,
    out: &Path,
    progress: Progress,
    keep: &dyn Fn(&str, &[u8]) -> bool,
) -> Result<SnapshotInfo, SnapshotError> {
    let (names, total) = source.health.guard(|| {
        // A machine's own secrets stay on the machine (`LOCAL_PREFIX`).
        let names: Vec<String> = source
            .txn
            .list_tables()?
            .map(|t| t.name().to_string())
            .filter(|name| !name.starts_with(LOCAL_PREFIX))
            .collect();
        let mut total = 0;
        for name in &names {
            total += source.txn.open_table(raw(name))?.len()?;
        }
        Ok((names, total))
    })?;
    let partial = partial_path(out);
    let io = |source| SnapshotError::Io {
        path: partial.clone(),
        source,
    };
    if partial.exists() {
        std::fs::remove_file(&partial).map_err(io)?;
    }
    let _writing = Writing::start(&partial);
    // Created owner-only before redb (which would make it 0644) fills it with secrets.
    std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(&partial)
        .map_err(io)?;
    let written = copy_tables(source, &names, total, &partial, progress, keep)
        .and_then(|()| {
            verify_snapshot(&partial).map_err(|reason| SnapshotError::Written {
                path: out.to_path_buf(),
                reason,
            })
        })
        .and_then(|info| {
            std::fs::rename(&partial, out).map_err(|source| SnapshotError::Io {
                path: out.to_path_buf(),
                source,
            })?;
            Ok(info)
        });
    if written.is_err() {
        let _ = std::fs::remove_file(&partial);
    }
    written
}

/// A copy of the store file `from` (not open elsewhere: a snapshot) at `out`, without the rows
/// `redactions` cover: what leaves the machine (`/backup save`'s copy for Discord). Checked like
/// any snapshot before it is renamed into place.
pub fn redacted_copy(
    from: &Path,
    out: &Path,
    redactions: &[super::Redaction],
) -> Result<SnapshotInfo, SnapshotError> {
    let db = super::damage::catch(|| redb::ReadOnlyDatabase::open(from))
        .map_err(|detail| OpenError::Damaged {
            path: from.to_path_buf(),
            detail,
        })?
        .map_err(|e| super::db::open_error(from, e))?;
    let health = super::damage::Health::new(from);
    let txn = health.guard(|| Ok(db.begin_read()?))?;
    let source = Source {
        txn: &txn,
        health: &health,
    };
    let keep = |table: &str, key: &[u8]| !redactions.iter().any(|r| r.covers(table, key));
    write_copy(&source, out, &mut |_, _| {}, &keep)
}

/// The `.partial` files this process is writing now (by file name in their folder), which
/// [`Store::remove_stale_partials`] leaves alone: the daily snapshot and a `backup` asked over
/// the admin socket may run at once.
static WRITING: Mutex<Vec<PathBuf>> = Mutex::new(Vec::new());

/// Marks one `.partial` file as being written until dropped.
struct Writing(PathBuf);

impl Writing {
    fn start(partial: &Path) -> Writing {
        let key = Self::key(partial);
        WRITING
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push(key.clone());
        Writing(key)
    }

    fn is_active(partial: &Path) -> bool {
        let key = Self::key(partial);
        WRITING
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .contains(&key)
    }

    /// The file's canonical folder joined with its name, so two spellings of one path match.
    fn key(partial: &Path) -> PathBuf {
        let dir = partial.parent().filter(|d| !d.as_os_str().is_empty());
        let dir = dir.map_or_else(|| std::fs::canonicalize("."), std::fs::canonicalize);
        match (dir, partial.file_name()) {
            (Ok(dir), Some(name)) => dir.join(name),
            _ => partial.to_path_buf(),
        }
    }
}

impl Drop for Writing {
    fn drop(&mut self) {
        let mut writing = WRITING.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(at) = writing.iter().position(|p| *p == self.0) {
            writing.swap_remove(at);
        }
    }
}

/// The live store's read transaction a snapshot copies, with the store's health: every read of
/// it is guarded (a damaged page must not panic the server's daily snapshot).
struct Source<'a> {
    txn: &'a redb::ReadTransaction,
    health: &'a super::damage::Health,
}

/// Copies the tables `names` from `source` into the empty file `partial`.
fn copy_tables(
    source: &Source,
    names: &[String],
    total: u64,
    partial: &Path,
    progress: Progress,
    keep: &dyn Fn(&str, &[u8]) -> bool,
) -> Result<(), SnapshotError> {
    let copy = redb::Database::create(partial).map_err(|e| super::db::open_error(partial, e))?;
    let mut done = 0;
    progress(done, total);
    for name in names {
        let table = source
            .health
            .guard(|| Ok(source.txn.open_table(raw(name))?))?;
        let mut entries = source.health.guard(|| Ok(table.iter()?))?;
        let write = copy.begin_write().map_err(StoreError::from)?;
        {
            let mut target = write.open_table(raw(name)).map_err(StoreError::from)?;
            while let Some((k, v)) = source.health.guard(|| Ok(entries.next().transpose()?))? {
                if keep(name, k.value()) {
                    target
                        .insert(k.value(), v.value())
                        .map_err(StoreError::from)?;
                }
                done += 1;
                if done % 1024 == 0 {
                    progress(done, total);
                }
            }
        }
        write.commit().map_err(StoreError::from)?;
    }
    progress(done, total);
    drop(copy);
    Ok(())
}

fn raw(name: &str) -> TableDefinition<'_, &'static [u8], &'static [u8]> {
    TableDefinition::new(name)
}

fn partial_path(out: &Path) -> PathBuf {
    with_suffix(out, ".partial")
}

/// `path` with `suffix` added to its file name (`a.redb` → `a.redb.partial`).
pub fn with_suffix(path: &Path, suffix: &str) -> PathBuf {
    let mut name = path
        .file_name()
        .map(|n| n.to_os_string())
        .unwrap_or_default();
    name.push(suffix);
    path.with_file_name(name)
}

/// [`inspect`], then redb's integrity check over every page ([`super::verify_file`]): what
/// `restore` accepts. A file that reads as no store because it is damaged is refused as damaged.
pub fn verify_snapshot(path: &Path) -> Result<SnapshotInfo, OpenError> {
    match inspect(path) {
        Ok(info) => super::verify_file(path).map(|()| info),
        Err(err @ OpenError::NotAStore { .. }) => match super::verify_file(path) {
            Err(damaged @ OpenError::Damaged { .. }) => Err(damaged),
            _ => Err(err),
        },
        Err(err) => Err(err),
    }
}

/// Reads what a store file holds without modifying it: refuses files that are not Stagehand
/// stores, are not closed cleanly, or have a newer schema than this build. Reads only what it
/// needs: a damaged page elsewhere goes unnoticed (see [`verify_snapshot`]).
pub fn inspect(path: &Path) -> Result<SnapshotInfo, OpenError> {
    let not_a_store = |detail: String| OpenError::NotAStore {
        path: path.to_path_buf(),
        detail,
    };
    let damaged = |detail: String| OpenError::Damaged {
        path: path.to_path_buf(),
        detail,
    };
    let db = open_read_only(path)?;
    let read = || -> Result<(Option<u64>, usize, u64), StoreError> {
        let txn = db.begin_read()?;
        let mut tables = 0;
        let mut entries = 0;
        for table in txn.list_tables()? {
            tables += 1;
            entries += txn.open_table(raw(table.name()))?.len()?;
        }
        let reader = super::db::Reader::of_file(txn, path);
        Ok((reader.get(&META, SCHEMA)?, tables, entries))
    };
    let (schema, tables, entries) = match super::damage::catch(read).map_err(damaged)? {
        Ok(found) => found,
        Err(StoreError::Damaged { detail, .. }) => return Err(damaged(detail)),
        Err(err) => return Err(not_a_store(err.to_string())),
    };
    let schema = schema.ok_or_else(|| not_a_store("no Stagehand metadata".into()))?;
    if schema > SCHEMA_VERSION {
        return Err(OpenError::TooNew {
            path: path.to_path_buf(),
            found: schema,
            supported: SCHEMA_VERSION,
        });
    }
    let bytes = std::fs::metadata(path).map(|m| m.len()).unwrap_or(0);
    Ok(SnapshotInfo {
        schema,
        tables,
        entries,
        bytes,
    })
}

/// Opens the file at `path` with redb read-only, never modifying it.
fn open_read_only(path: &Path) -> Result<redb::ReadOnlyDatabase, OpenError> {
    let not_a_store = |detail: String| OpenError::NotAStore {
        path: path.to_path_buf(),
        detail,
    };
    let damaged = |detail: String| OpenError::Damaged {
        path: path.to_path_buf(),
        detail,
    };
    match super::damage::catch(|| redb::ReadOnlyDatabase::open(path)).map_err(damaged)? {
        Ok(db) => Ok(db),
        Err(redb::DatabaseError::RepairAborted) => {
            Err(not_a_store("the file was not closed cleanly".into()))
        }
        Err(redb::DatabaseError::DatabaseAlreadyOpen) => Err(OpenError::InUse(path.to_path_buf())),
        Err(redb::DatabaseError::Storage(redb::StorageError::Io(err)))
            if err.kind() == std::io::ErrorKind::NotFound =>
        {
            Err(OpenError::Io {
                path: path.to_path_buf(),
                detail: err.to_string(),
            })
        }
        Err(redb::DatabaseError::Storage(redb::StorageError::Corrupted(detail))) => {
            Err(damaged(format!("redb: {detail}")))
        }
        Err(err) => Err(not_a_store(err.to_string())),
    }
}

/// Runs `f` on a read-only view of the store file at `path`, without modifying it (no repair,
/// no migration, no allocator state written on close): what `stagehand import` asks before it
/// opens the store to write, so that a refusal leaves the file byte for byte as it was. A file
/// `serve` holds is [`OpenError::InUse`].
pub fn read_file<T>(
    path: &Path,
    f: impl FnOnce(&super::Reader) -> Result<T, StoreError>,
) -> Result<T, OpenError> {
    let db = open_read_only(path)?;
    let damaged = |detail: String| OpenError::Damaged {
        path: path.to_path_buf(),
        detail,
    };
    let read = || -> Result<T, StoreError> {
        let txn = db.begin_read()?;
        f(&super::db::Reader::of_file(txn, path))
    };
    match super::damage::catch(read).map_err(damaged)? {
        Ok(found) => Ok(found),
        Err(err) => Err(damaged(err.to_string())),
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use std::sync::Arc;
    use std::sync::atomic::{AtomicBool, Ordering};

    use super::*;
    use crate::store::{StoreOptions, Table};

    /// Each transfer moves one unit between two accounts in one transaction, so the sum stays 0.
    const ACCOUNTS: Table<u64, i64> = Table::new("accounts");
    const TRANSFERS: Table<u64, (u64, u64)> = Table::new("transfers");

    #[test]
    fn snapshot_is_consistent_while_writers_run() {
        let dir = tempfile::tempdir().unwrap();
        let store =
            Arc::new(Store::open(&dir.path().join("live.redb"), &StoreOptions::default()).unwrap());
        let stop = Arc::new(AtomicBool::new(false));
        let writers: Vec<_> = (0..3u64)
            .map(|w| {
                let (store, stop) = (store.clone(), stop.clone());
                std::thread::spawn(move || {
                    let mut n = 0u64;
                    while !stop.load(Ordering::Relaxed) {
                        n += 1;
                        store
                            .write(|tx| {
                                let (from, to) = (n % 17, (n * 7 + w) % 17);
                                let a = tx.get(&ACCOUNTS, &from)?.unwrap_or(0);
                                tx.insert(&ACCOUNTS, &from, &(a - 1))?;
                                let b = tx.get(&ACCOUNTS, &to)?.unwrap_or(0);
                                tx.insert(&ACCOUNTS, &to, &(b + 1))?;
                                tx.insert(&TRANSFERS, &(w << 32 | n), &(from, to))
                            })
                            .unwrap();
                    }
                    n
                })
            })
            .collect();
        while store.read(|r| r.len(&TRANSFERS)).unwrap() < 300 {
            std::thread::yield_now();
        }
        let mut calls = 0;
        let out = dir.path().join("snap.redb");
        let info = store.snapshot_to(&out, &mut |_, _| calls += 1).unwrap();
        stop.store(true, Ordering::Relaxed);
        let written: u64 = writers.into_iter().map(|w| w.join().unwrap()).sum();
        assert!(calls >= 2);
        assert!(!partial_path(&out).exists());

        let snap = Store::open(&out, &StoreOptions::default()).unwrap();
        let accounts = snap.read(|r| r.all(&ACCOUNTS)).unwrap();
        let transfers = snap.read(|r| r.len(&TRANSFERS)).unwrap();
        assert_eq!(
            accounts.iter().map(|(_, v)| v).sum::<i64>(),
            0,
            "a transfer was cut in half"
        );
        let moved: i64 = accounts.iter().map(|(_, v)| v.abs()).sum();
        assert!(moved <= 2 * i64::try_from(transfers).unwrap());
        assert!(
            transfers >= 300 && transfers <= written,
            "{transfers} of {written}"
        );
        assert_eq!(info.schema, SCHEMA_VERSION);
        assert_eq!(
            info.entries,
            snap.read(|r| Ok(r.len(&ACCOUNTS)? + r.len(&TRANSFERS)? + r.len(&META)?))
                .unwrap()
        );
    }

    fn mode(path: &Path) -> u32 {
        use std::os::unix::fs::PermissionsExt as _;
        std::fs::metadata(path).unwrap().permissions().mode() & 0o777
    }

    /// Issue 25 item 3: the store, the snapshot and its `.partial` were 0644 (the umask's), and
    /// each holds the bot token, the osu! client secret and the TLS private key.
    #[test]
    fn the_store_a_snapshot_and_its_partial_are_owner_only() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&dir.path().join("live.redb"), &StoreOptions::default()).unwrap();
        assert_eq!(mode(store.path()), 0o600);
        let out = dir.path().join("snap.redb");
        let mut partial_modes = Vec::new();
        store
            .snapshot_to(&out, &mut |_, _| {
                partial_modes.push(mode(&partial_path(&out)));
            })
            .unwrap();
        assert!(!partial_modes.is_empty());
        assert!(
            partial_modes.iter().all(|m| *m == 0o600),
            "{partial_modes:?}"
        );
        assert_eq!(mode(&out), 0o600);
    }

    /// Issue 25 item 9: a crash left `*.partial` files (whole stores, secrets included) for good.
    #[test]
    fn stale_partials_are_removed_but_not_one_being_written() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&dir.path().join("live.redb"), &StoreOptions::default()).unwrap();
        let backups = dir.path().join("backups");
        std::fs::create_dir(&backups).unwrap();
        let stale = backups.join("stagehand-20260101T000000.000Z.redb.partial");
        std::fs::write(&stale, b"half a store").unwrap();
        std::fs::write(backups.join("notes.txt"), b"keep me").unwrap();
        let out = backups.join("stagehand-20260102T000000.000Z.redb");
        let mut removed = Vec::new();
        store
            .snapshot_to(&out, &mut |_, _| {
                removed.extend(store.remove_stale_partials(&backups).unwrap());
            })
            .unwrap();
        assert_eq!(removed, std::slice::from_ref(&stale));
        assert!(!stale.exists());
        assert!(
            inspect(&out).is_ok(),
            "the snapshot being written was spared"
        );
        assert!(backups.join("notes.txt").exists());
        assert_eq!(
            store.remove_stale_partials(&backups).unwrap(),
            Vec::<PathBuf>::new()
        );
        let absent = dir.path().join("absent");
        assert_eq!(
            store.remove_stale_partials(&absent).unwrap(),
            Vec::<PathBuf>::new()
        );
    }

    #[test]
    fn inspect_refuses_garbage_and_foreign_databases() {
        let dir = tempfile::tempdir().unwrap();
        let junk = dir.path().join("junk.redb");
        std::fs::write(&junk, b"definitely not a database").unwrap();
        assert!(matches!(inspect(&junk), Err(OpenError::NotAStore { .. })));

        let empty = dir.path().join("empty.redb");
        std::fs::write(&empty, b"").unwrap();
        assert!(inspect(&empty).is_err());

        let foreign = dir.path().join("foreign.redb");
        let db = redb::Database::create(&foreign).unwrap();
        let tx = db.begin_write().unwrap();
        tx.open_table(raw("something_else"))
            .unwrap()
            .insert(&b"k"[..], &b"v"[..])
            .unwrap();
        tx.commit().unwrap();
        drop(db);
        let err = inspect(&foreign).unwrap_err();
        assert!(err.to_string().contains("not a Stagehand store"), "{err}");
        assert!(matches!(
            Store::open(&foreign, &StoreOptions::default()),
            Err(OpenError::NotAStore { .. })
        ));
    }

    /// Changes every `row 00250` in the file at `path` in place, as a failing disk could.
    fn change_a_value(path: &Path) {
        use std::os::unix::fs::FileExt as _;
        let bytes = std::fs::read(path).unwrap();
        let needle = b"row 00250";
        let hits: Vec<usize> = (0..=bytes.len() - needle.len())
            .filter(|&at| bytes[at..].starts_with(needle))
            .collect();
        assert!(!hits.is_empty(), "no row 00250 in {}", path.display());
        let file = std::fs::OpenOptions::new().write(true).open(path).unwrap();
        for at in hits {
            file.write_all_at(b"X", at as u64 + 4).unwrap();
        }
    }

    /// Issue 25: a store whose bytes changed on disk was copied without a word, and the copy,
    /// with checksums of its own, then passed every check. The store is checked first (with
    /// writers held back), the copy before it is renamed into place; neither leaves a file.
    #[test]
    fn a_damaged_store_or_copy_leaves_no_snapshot() {
        const ROWS: Table<str, String> = Table::new("rows");
        let dir = tempfile::tempdir().unwrap();
        let live = dir.path().join("live.redb");
        let store = Store::open(&live, &StoreOptions::default()).unwrap();
        store
            .write(|w| {
                for i in 0..300 {
                    w.insert(&ROWS, &format!("key-{i:05}"), &format!("row {i:05}"))?;
                }
                Ok::<_, StoreError>(())
            })
            .unwrap();
        let out = dir.path().join("snap.redb");

        // The copy is damaged once every table is in it (a failing disk under the backups).
        let mut damaged = false;
        let err = store
            .snapshot_to(&out, &mut |done, total| {
                if done == total && !damaged {
                    change_a_value(&partial_path(&out));
                    damaged = true;
                }
            })
            .unwrap_err();
        assert!(
            matches!(&err, SnapshotError::Written { path, reason: OpenError::Damaged { .. } } if *path == out),
            "{err:?}"
        );
        assert!(!out.exists() && !partial_path(&out).exists());
        assert!(
            err.to_string()
                .contains("failed its integrity check and was removed"),
            "{err}"
        );

        // The store itself was fine, and still is.
        store.snapshot_to(&out, &mut |_, _| {}).unwrap();
        assert!(verify_snapshot(&out).is_ok());

        change_a_value(&live);
        let again = dir.path().join("again.redb");
        let err = store.snapshot_to(&again, &mut |_, _| {}).unwrap_err();
        assert!(
            matches!(&err, SnapshotError::Source(OpenError::Damaged { path, .. }) if *path == live),
            "{err:?}"
        );
        assert!(!again.exists() && !partial_path(&again).exists());
        assert!(
            err.to_string()
                .starts_with("no snapshot was written: the store failed the check"),
            "{err}"
        );
        // As when a transaction meets the damage, the store refuses every later one.
        let later = store.read(|r| r.get(&META, SCHEMA));
        assert!(
            matches!(later, Err(StoreError::Damaged { .. })),
            "{later:?}"
        );
    }
}
