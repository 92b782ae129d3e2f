//! Replacing the live store while it is shared (`/backup load`), and the rows that stay behind
//! when a copy leaves the machine ([`Redaction`]).
//!
//! [`Store::replace`] holds every transaction back (the store's gate), saves the current store
//! as a snapshot, carries the rows `carry` names (the secrets: the new file gets the current
//! ones, whatever it held) into the new file, migrates it if older, checks it, and only then
//! swaps the files and opens the new one. Either the new store is open when it returns `Ok`, or
//! the old one still is: a failure before the swap leaves the old file as it was, and a new file
//! that will not open is swapped back out.

use std::path::Path;

use redb::{ReadableTable, TableDefinition};

use super::db::{Store, StoreOptions, Table};
use super::key::{self, Key};
use super::snapshot::with_suffix;
use super::{OpenError, Progress, SnapshotError, SnapshotInfo, StoreError};

/// Rows named by table, and by key within it: a whole table, or one row.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Redaction {
    table: &'static str,
    /// `None`: every row of the table.
    key: Option<Vec<u8>>,
}

impl Redaction {
    /// Every row of `table`.
    pub fn table<K: Key + ?Sized, V: serde::Serialize + serde::de::DeserializeOwned>(
        table: &Table<K, V>,
    ) -> Redaction {
        Redaction {
            table: table.name(),
            key: None,
        }
    }

    /// The row `key` of `table`.
    pub fn row<K: Key + ?Sized, V: serde::Serialize + serde::de::DeserializeOwned>(
        table: &Table<K, V>,
        key: &K,
    ) -> Redaction {
        Redaction {
            table: table.name(),
            key: Some(key::encode(key)),
        }
    }

    /// The table's name.
    pub fn table_name(&self) -> &'static str {
        self.table
    }

    /// Whether the row `key` of `table` is one of these.
    pub fn covers(&self, table: &str, key: &[u8]) -> bool {
        self.table == table && self.key.as_deref().is_none_or(|k| k == key)
    }
}

/// Why a replacement did not happen; the store in use is the one from before.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ReplaceError {
    /// The current store could not be saved first.
    #[error("saving the current store first failed: {0}")]
    SaveCurrent(SnapshotError),
    /// The new file could not be made ready (opened, migrated, given the carried rows, checked).
    #[error("the new store could not be prepared: {0}")]
    Prepare(String),
    /// The files could not be swapped, or the new one did not open (it was swapped back).
    #[error("the new store could not be put in place: {0}")]
    Swap(String),
}

/// What a replacement did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Replaced {
    /// What the new store holds, once migrated.
    pub info: SnapshotInfo,
    /// The schema the new file had before it was migrated.
    pub loaded_schema: u64,
}

impl Store {
    /// Replaces the live file with `staged` (a store file nobody has open, already checked as a
    /// snapshot: `verify_snapshot`), after saving the current store as the snapshot `before`.
    /// The rows `carry` names are the current store's afterwards. `staged` is consumed: it is
    /// the live file afterwards, or removed.
    pub fn replace(
        &self,
        staged: &Path,
        before: &Path,
        carry: &[Redaction],
        progress: Progress,
    ) -> Result<Replaced, ReplaceError> {
        let _held = self.hold();
        let prepared = self
            .write_snapshot(before, progress)
            .map_err(ReplaceError::SaveCurrent)
            .and_then(|_| {
                self.carried(carry)
                    .map_err(|e| ReplaceError::Prepare(e.to_string()))
            })
            .and_then(|rows| prepare(staged, carry, &rows));
        let (loaded_schema, info) = match prepared {
            Ok(prepared) => prepared,
            Err(err) => {
                let _ = std::fs::remove_file(staged);
                return Err(err);
            }
        };
        let live = self.path().to_path_buf();
        let aside = with_suffix(&live, ".replaced");
        self.close();
        let swapped = std::fs::rename(&live, &aside)
            .map_err(|e| format!("{}: {e}", live.display()))
            .and_then(|()| {
                std::fs::rename(staged, &live).map_err(|e| format!("{}: {e}", staged.display()))
            })
            .and_then(|()| self.reopen().map_err(|e| e.to_string()));
        match swapped {
            Ok(()) => {
                let _ = std::fs::remove_file(&aside);
                Ok(Replaced {
                    info,
                    loaded_schema,
                })
            }
            Err(why) => {
                // Back to the old file, as it was.
                if aside.exists() {
                    let _ = std::fs::rename(&aside, &live);
                }
                let _ = std::fs::remove_file(staged);
                let reopened = self.reopen();
                if let Err(err) = &reopened {
                    tracing::error!(error = %err, "the store from before could not be reopened");
                }
                Err(ReplaceError::Swap(why))
            }
        }
    }

    /// The current rows `carry` names, as stored.
    fn carried(&self, carry: &[Redaction]) -> Result<Vec<RawRow>, StoreError> {
        let txn = self.begin_read()?;
        let health = self.health();
        let mut rows = Vec::new();
        for redaction in carry {
            let table = match health.guard(|| match txn.open_table(raw(redaction.table)) {
                Ok(table) => Ok(Some(table)),
                Err(redb::TableError::TableDoesNotExist(_)) => Ok(None),
                Err(err) => Err(err.into()),
            })? {
                Some(table) => table,
                None => continue,
            };
            health.guard(|| {
                for entry in table.iter()? {
                    let (k, v) = entry?;
                    if redaction.covers(redaction.table, k.value()) {
                        rows.push((redaction.table, k.value().to_vec(), v.value().to_vec()));
                    }
                }
                Ok(())
            })?;
        }
        Ok(rows)
    }
}

/// A row as stored: table, key and value bytes.
type RawRow = (&'static str, Vec<u8>, Vec<u8>);

/// Opens `staged` (migrating it if older), puts `rows` in place of what `carry` covers there,
/// and checks it; the schema it had before, and what it holds now.
fn prepare(
    staged: &Path,
    carry: &[Redaction],
    rows: &[RawRow],
) -> Result<(u64, SnapshotInfo), ReplaceError> {
    let failed = |e: &dyn std::fmt::Display| ReplaceError::Prepare(e.to_string());
    let loaded_schema = super::inspect(staged).map_err(|e| failed(&e))?.schema;
    let store = Store::open(staged, &StoreOptions::default()).map_err(|e| failed(&e))?;
    store
        .write(|w| {
            for redaction in carry {
                let keys = w.raw_keys(redaction.table)?;
                for key in keys.iter().filter(|k| redaction.covers(redaction.table, k)) {
                    w.raw_remove(redaction.table, key)?;
                }
            }
            for (table, key, value) in rows {
                w.raw_insert(table, key, value)?;
            }
            Ok::<_, StoreError>(())
        })
        .map_err(|e| failed(&e))?;
    drop(store);
    let info = super::verify_snapshot(staged).map_err(|e: OpenError| failed(&e))?;
    Ok((loaded_schema, info))
}

fn raw(name: &str) -> TableDefinition<'_, &'static [u8], &'static [u8]> {
    TableDefinition::new(name)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use std::sync::Arc;

    use super::*;
    use crate::store::{META, Read as _, SCHEMA, verify_snapshot};

    const NOTES: Table<u64, String> = Table::new("notes");
    const KEYS: Table<str, String> = Table::new("keys");

    fn carry() -> Vec<Redaction> {
        vec![Redaction::row(&KEYS, "token"), Redaction::table(&NOTES)]
    }

    #[test]
    fn a_redaction_covers_its_table_or_its_row() {
        let row = Redaction::row(&KEYS, "token");
        assert!(row.covers("keys", b"token"));
        assert!(!row.covers("keys", b"other"));
        assert!(!row.covers("notes", b"token"));
        assert!(Redaction::table(&NOTES).covers("notes", &1u64.to_be_bytes()));
    }

    #[test]
    fn the_new_file_goes_live_with_the_current_secrets_and_the_old_is_saved() {
        let dir = tempfile::tempdir().unwrap();
        let live = dir.path().join("live.redb");
        let store = Arc::new(Store::open(&live, &StoreOptions::default()).unwrap());
        store
            .write(|w| {
                w.insert(&KEYS, "token", &"current secret".to_string())?;
                w.insert(&KEYS, "name", &"current".to_string())?;
                w.insert(&NOTES, &1, &"current note".to_string())
            })
            .unwrap();
        // The file to load: other data, an old secret and another note.
        let staged = dir.path().join("staged.redb");
        {
            let other = Store::open(&staged, &StoreOptions::default()).unwrap();
            other
                .write(|w| {
                    w.insert(&KEYS, "token", &"old secret".to_string())?;
                    w.insert(&KEYS, "name", &"loaded".to_string())?;
                    w.insert(&NOTES, &2, &"loaded note".to_string())
                })
                .unwrap();
        }
        verify_snapshot(&staged).unwrap();
        let before = dir.path().join("before.redb");
        let replaced = store
            .replace(&staged, &before, &carry(), &mut |_, _| {})
            .unwrap();
        assert_eq!(replaced.loaded_schema, crate::store::SCHEMA_VERSION);
        assert!(!staged.exists());
        // The same handle reads the new file, with the current secrets.
        let read = |key: &str| store.read(|r| r.get(&KEYS, key)).unwrap();
        assert_eq!(read("name").as_deref(), Some("loaded"));
        assert_eq!(read("token").as_deref(), Some("current secret"));
        let notes = store.read(|r| r.all(&NOTES)).unwrap();
        assert_eq!(notes, [(1, "current note".to_string())]);
        store
            .write(|w| w.insert(&KEYS, "after", &"x".to_string()))
            .unwrap();
        // The old store was saved whole.
        let saved = Store::open(&before, &StoreOptions::default()).unwrap();
        assert_eq!(
            saved.read(|r| r.get(&KEYS, "name")).unwrap().as_deref(),
            Some("current")
        );
        drop(saved);
        drop(store);
        let reopened = Store::open(&live, &StoreOptions::default()).unwrap();
        assert_eq!(
            reopened.read(|r| r.get(&KEYS, "after")).unwrap().as_deref(),
            Some("x")
        );
    }

    #[test]
    fn a_file_that_cannot_be_prepared_leaves_the_old_store_in_use() {
        let dir = tempfile::tempdir().unwrap();
        let live = dir.path().join("live.redb");
        let store = Store::open(&live, &StoreOptions::default()).unwrap();
        store
            .write(|w| w.insert(&KEYS, "name", &"current".to_string()))
            .unwrap();
        let staged = dir.path().join("staged.redb");
        {
            let newer = Store::open(&staged, &StoreOptions::default()).unwrap();
            newer.write(|w| w.insert(&META, SCHEMA, &999)).unwrap();
        }
        let before = dir.path().join("before.redb");
        let refused = store.replace(&staged, &before, &carry(), &mut |_, _| {});
        assert!(
            matches!(refused, Err(ReplaceError::Prepare(_))),
            "{refused:?}"
        );
        assert!(!staged.exists(), "the staged file is removed");
        assert_eq!(
            store.read(|r| r.get(&KEYS, "name")).unwrap().as_deref(),
            Some("current")
        );
        store
            .write(|w| w.insert(&KEYS, "still", &"works".to_string()))
            .unwrap();
    }

    #[test]
    fn a_redacted_copy_leaves_the_rows_out() {
        let dir = tempfile::tempdir().unwrap();
        let source = dir.path().join("source.redb");
        {
            let store = Store::open(&source, &StoreOptions::default()).unwrap();
            store
                .write(|w| {
                    w.insert(&KEYS, "token", &"s3cr3t-value".to_string())?;
                    w.insert(&KEYS, "name", &"kept".to_string())?;
                    w.insert(&NOTES, &1, &"private note".to_string())
                })
                .unwrap();
        }
        let copy = dir.path().join("copy.redb");
        crate::store::redacted_copy(&source, &copy, &carry()).unwrap();
        let bytes = std::fs::read(&copy).unwrap();
        let has = |needle: &[u8]| bytes.windows(needle.len()).any(|w| w == needle);
        assert!(!has(b"s3cr3t-value") && !has(b"private note"));
        let store = Store::open(&copy, &StoreOptions::default()).unwrap();
        assert_eq!(
            store.read(|r| r.get(&KEYS, "name")).unwrap().as_deref(),
            Some("kept")
        );
        assert_eq!(store.read(|r| r.get(&KEYS, "token")).unwrap(), None);
    }
}
