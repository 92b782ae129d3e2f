//! Consistent snapshots: every table copied from one read transaction into a new file, while
//! writers carry on. The copy is written beside its destination and renamed into place, so a
//! snapshot file is either whole or absent.

use crate::store::Read as _;
use std::path::{Path, PathBuf};

use redb::{ReadableDatabase, ReadableTable, ReadableTableMetadata, TableDefinition, TableHandle};

use super::meta::{META, SCHEMA};
use super::migrate::SCHEMA_VERSION;
use super::{OpenError, SnapshotError, Store, StoreError};

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
    pub fn snapshot_to(
        &self,
        out: &Path,
        progress: Progress,
    ) -> Result<SnapshotInfo, SnapshotError> {
        let txn = self.begin_read()?;
        let names: Vec<String> = txn
            .list_tables()
            .map_err(StoreError::from)?
            .map(|t| t.name().to_string())
            .collect();
        let mut total = 0;
        for name in &names {
            total += txn
                .open_table(raw(name))
                .map_err(StoreError::from)?
                .len()
                .map_err(StoreError::from)?;
        }
        let partial = partial_path(out);
        let io = |source| SnapshotError::Io {
            path: partial.clone(),
            source,
        };
        if partial.exists() {
            std::fs::remove_file(&partial).map_err(io)?;
        }
        let copy =
            redb::Database::create(&partial).map_err(|e| super::db::open_error(&partial, e))?;
        let mut done = 0;
        progress(done, total);
        for name in &names {
            let source = txn.open_table(raw(name)).map_err(StoreError::from)?;
            let write = copy.begin_write().map_err(StoreError::from)?;
            {
                let mut target = write.open_table(raw(name)).map_err(StoreError::from)?;
                for entry in source.iter().map_err(StoreError::from)? {
                    let (k, v) = entry.map_err(StoreError::from)?;
                    target
                        .insert(k.value(), v.value())
                        .map_err(StoreError::from)?;
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
        std::fs::rename(&partial, out).map_err(|source| SnapshotError::Io {
            path: out.to_path_buf(),
            source,
        })?;
        Ok(inspect(out)?)
    }
}

fn raw(name: &str) -> TableDefinition<'_, &'static [u8], &'static [u8]> {
    TableDefinition::new(name)
}

fn partial_path(out: &Path) -> PathBuf {
    let mut name = out
        .file_name()
        .map(|n| n.to_os_string())
        .unwrap_or_default();
    name.push(".partial");
    out.with_file_name(name)
}

/// Reads what a store file holds without modifying it: refuses files that are not Stagehand
/// stores, are not closed cleanly, or have a newer schema than this build.
pub fn inspect(path: &Path) -> Result<SnapshotInfo, OpenError> {
    let not_a_store = |detail: String| OpenError::NotAStore {
        path: path.to_path_buf(),
        detail,
    };
    let db = match redb::ReadOnlyDatabase::open(path) {
        Ok(db) => db,
        Err(redb::DatabaseError::RepairAborted) => {
            return Err(not_a_store("the file was not closed cleanly".into()));
        }
        Err(redb::DatabaseError::DatabaseAlreadyOpen) => {
            return Err(OpenError::InUse(path.to_path_buf()));
        }
        Err(redb::DatabaseError::Storage(redb::StorageError::Io(err)))
            if err.kind() == std::io::ErrorKind::NotFound =>
        {
            return Err(OpenError::Io {
                path: path.to_path_buf(),
                detail: err.to_string(),
            });
        }
        Err(err) => return Err(not_a_store(err.to_string())),
    };
    let read = || -> Result<(Option<u64>, usize, u64), StoreError> {
        let txn = db.begin_read()?;
        let mut tables = 0;
        let mut entries = 0;
        for table in txn.list_tables()? {
            tables += 1;
            entries += txn.open_table(raw(table.name()))?.len()?;
        }
        let reader = super::db::Reader { txn };
        Ok((reader.get(&META, SCHEMA)?, tables, entries))
    };
    let (schema, tables, entries) = read().map_err(|e| not_a_store(e.to_string()))?;
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
}
