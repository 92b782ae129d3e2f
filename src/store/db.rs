//! The [`Store`] handle and the typed transaction wrappers.

use std::marker::PhantomData;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex, PoisonError, RwLock};

use redb::{ReadableDatabase, ReadableTable, ReadableTableMetadata, TableDefinition};
use serde::Serialize;
use serde::de::DeserializeOwned;

use super::damage::{self, Health};
use super::key::{self, Key};
use super::{OpenError, StoreError, migrate};

pub(super) type RawTable = TableDefinition<'static, &'static [u8], &'static [u8]>;

/// A typed table: keys encoded with [`Key`], values with postcard.
pub struct Table<K: ?Sized, V> {
    name: &'static str,
    types: PhantomData<Types<K, V>>,
}

/// Marks the key and value types without owning either (and without requiring `K: Sized`).
type Types<K, V> = (fn(&K), V);

impl<K: Key + ?Sized, V: Serialize + DeserializeOwned> Table<K, V> {
    pub const fn new(name: &'static str) -> Self {
        Table {
            name,
            types: PhantomData,
        }
    }

    pub fn name(&self) -> &'static str {
        self.name
    }

    fn raw(&self) -> RawTable {
        TableDefinition::new(self.name)
    }

    fn decode_value(&self, bytes: &[u8]) -> Result<V, StoreError> {
        postcard::from_bytes(bytes).map_err(|e| StoreError::Decode {
            table: self.name,
            detail: e.to_string(),
        })
    }

    fn encode_value(&self, value: &V) -> Result<Vec<u8>, StoreError> {
        postcard::to_allocvec(value).map_err(|e| StoreError::Decode {
            table: self.name,
            detail: e.to_string(),
        })
    }
}

/// How to open a store.
#[derive(Clone, Debug)]
pub struct StoreOptions {
    /// redb's page cache, in bytes.
    pub cache_bytes: usize,
}

impl Default for StoreOptions {
    fn default() -> Self {
        StoreOptions {
            cache_bytes: 16 << 20,
        }
    }
}

/// An open Stagehand database. Cheap to share behind an `Arc`; every method is thread-safe.
///
/// A damaged file never panics through it: a panic inside redb is [`StoreError::Damaged`] (or
/// [`OpenError::Damaged`]), and after one every transaction is refused the same way.
///
/// The file under it can be replaced while it is shared ([`Store::replace`], `/backup load`):
/// every transaction runs inside the store's [`Gate`], and a replacement waits until none is
/// running and keeps new ones waiting until the new file is open, so a transaction never starts
/// on one file and commits to another.
pub struct Store {
    path: PathBuf,
    cache_bytes: usize,
    inner: RwLock<Inner>,
    gate: Gate,
    repaired: bool,
    /// Write transactions committed since the store was opened (see [`Store::commits`]).
    commits: AtomicU64,
}

/// The open file: always there but while dropping or being replaced.
struct Inner {
    db: Option<redb::Database>,
    health: Arc<Health>,
}

impl Store {
    /// Opens (or creates) the store at `path` and brings its schema up to date.
    ///
    /// A store written by a newer Stagehand is refused without being modified.
    pub fn open(path: &Path, options: &StoreOptions) -> Result<Store, OpenError> {
        Self::open_with(path, options, migrate::SCHEMA_VERSION, migrate::MIGRATIONS)
    }

    /// [`Store::open`] with an explicit target version and migration list (tests use this to
    /// exercise migrations that the current release does not have).
    pub(super) fn open_with(
        path: &Path,
        options: &StoreOptions,
        target: u64,
        migrations: &[migrate::Migration],
    ) -> Result<Store, OpenError> {
        // An empty file is what a crash between creating the file and redb's first write leaves.
        let existed = std::fs::metadata(path).is_ok_and(|m| m.len() > 0);
        if existed {
            // Look before touching: a newer store must not even be repaired.
            migrate::refuse_newer(path, target)?;
        } else {
            if let Some(dir) = path.parent() {
                std::fs::create_dir_all(dir).map_err(|e| io_error(path, e))?;
            }
            // Owner-only from the start: redb would create it 0644, and it will hold secrets.
            use std::os::unix::fs::OpenOptionsExt as _;
            std::fs::OpenOptions::new()
                .write(true)
                .create(true)
                .truncate(false)
                .mode(0o600)
                .open(path)
                .map_err(|e| io_error(path, e))?;
        }
        let (db, repaired) = open_db(path, options.cache_bytes)?;
        let store = Store {
            path: path.to_path_buf(),
            cache_bytes: options.cache_bytes,
            inner: RwLock::new(Inner {
                db: Some(db),
                health: Arc::new(Health::new(path)),
            }),
            gate: Gate::default(),
            repaired,
            commits: AtomicU64::new(0),
        };
        migrate::bring_up_to_date(&store, existed, target, migrations)?;
        Ok(store)
    }

    /// A fresh store in a temporary directory, removed when the returned guard drops.
    #[cfg(test)]
    #[allow(clippy::unwrap_used)]
    pub(crate) fn temporary() -> (tempfile::TempDir, Store) {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&dir.path().join("s.redb"), &StoreOptions::default()).unwrap();
        (dir, store)
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Runs redb's integrity check on the file (see [`super::verify_file`]), without changing
    /// it. Only while nothing else writes: `serve` and `check` call it right after opening, and a
    /// snapshot while holding writers back.
    /// Damage found refuses every later transaction, as damage met in one does.
    pub fn verify(&self) -> Result<(), OpenError> {
        let verified = damage::verify_file(self.path());
        if let Err(OpenError::Damaged { detail, .. }) = &verified {
            self.health().saw(detail);
        }
        verified
    }

    /// Whether opening needed a repair (the previous process did not close the store cleanly).
    pub fn was_repaired(&self) -> bool {
        self.repaired
    }

    /// Size of the database file in bytes.
    pub fn file_size(&self) -> u64 {
        std::fs::metadata(self.path()).map(|m| m.len()).unwrap_or(0)
    }

    /// Runs `f` on a consistent read-only view.
    pub fn read<T>(
        &self,
        f: impl FnOnce(&Reader) -> Result<T, StoreError>,
    ) -> Result<T, StoreError> {
        let _inside = self.gate.enter();
        let (txn, health) = self.begin(|db| Ok(db.begin_read()?))?;
        f(&Reader { txn, health })
    }

    /// Runs `f` in one write transaction: committed if `f` returns `Ok`, rolled back otherwise.
    pub fn write<T, E>(&self, f: impl FnOnce(&mut Writer) -> Result<T, E>) -> Result<T, E>
    where
        E: From<StoreError>,
    {
        let _inside = self.gate.enter();
        let (txn, health) = self.begin(|db| Ok(db.begin_write()?))?;
        let mut writer = Writer { txn, health };
        let value = match f(&mut writer) {
            Ok(value) => value,
            Err(err) => {
                let Writer { txn, health } = writer;
                // Rolled back; an error here is not the caller's.
                let _ = health.guard(|| Ok(txn.abort()?));
                return Err(err);
            }
        };
        let Writer { txn, health } = writer;
        health.guard(|| Ok(txn.commit()?))?;
        self.commits.fetch_add(1, Ordering::Relaxed);
        Ok(value)
    }

    /// How many write transactions this handle has committed: a caller that compares two readings
    /// learns, without reading the store, whether anything was written in between.
    pub fn commits(&self) -> u64 {
        self.commits.load(Ordering::Relaxed)
    }

    /// The names of the tables in the store, sorted.
    pub fn table_names(&self) -> Result<Vec<String>, StoreError> {
        use redb::TableHandle as _;
        let txn = self.begin_read()?;
        self.health().guard(|| {
            let mut names: Vec<String> = txn.list_tables()?.map(|t| t.name().to_string()).collect();
            names.sort();
            Ok(names)
        })
    }

    /// Runs `f` (the start of a transaction) on the open file, guarded, with the file's health.
    /// The caller is inside the gate, or holds it.
    fn begin<T>(
        &self,
        f: impl FnOnce(&redb::Database) -> Result<T, StoreError>,
    ) -> Result<(T, Arc<Health>), StoreError> {
        let inner = self.inner.read().unwrap_or_else(PoisonError::into_inner);
        let health = inner.health.clone();
        let db = inner
            .db
            .as_ref()
            .ok_or_else(|| StoreError::Storage("the store is closed".into()))?;
        let value = health.guard(|| f(db))?;
        Ok((value, health))
    }

    pub(super) fn begin_read(&self) -> Result<redb::ReadTransaction, StoreError> {
        self.begin(|db| Ok(db.begin_read()?)).map(|(txn, _)| txn)
    }

    /// [`Store::verify`] while writers wait, then a read transaction on exactly the state it
    /// checked. Holding redb's one write transaction keeps every commit out of the file while it
    /// is read (a commit halfway through would look like damage); nothing is written.
    pub(super) fn begin_read_verified(
        &self,
    ) -> Result<redb::ReadTransaction, super::SnapshotError> {
        let (writers_wait, _) = self.begin(|db| Ok(db.begin_write()?))?;
        let txn = self
            .verify()
            .map_err(super::SnapshotError::Source)
            .and_then(|()| Ok(self.begin_read()?));
        // Not through `health`, which refuses every call once `verify` found damage. Nothing was
        // written, so an abort that fails leaves nothing behind either.
        let _ = damage::catch(|| writers_wait.abort());
        txn
    }

    /// The store's health, for the snapshot's reads.
    pub(super) fn health(&self) -> Arc<Health> {
        self.inner
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .health
            .clone()
    }

    /// Enters the gate for work made of several reads (a snapshot): the file is not replaced
    /// until the returned guard is dropped.
    pub(super) fn inside(&self) -> Inside<'_> {
        self.gate.enter()
    }

    /// Holds every transaction back until the returned guard is dropped (see [`Gate`]).
    pub(super) fn hold(&self) -> Held<'_> {
        self.gate.hold()
    }

    /// Closes the open file and opens `path`'s (the same path, a new file renamed there); on
    /// failure the store is left closed and the caller decides. Only under [`Store::hold`].
    pub(super) fn reopen(&self) -> Result<(), OpenError> {
        let mut inner = self.inner.write().unwrap_or_else(PoisonError::into_inner);
        if let Some(db) = inner.db.take() {
            close(db, &inner.health);
        }
        let (db, _) = open_db(&self.path, self.cache_bytes)?;
        inner.db = Some(db);
        inner.health = Arc::new(Health::new(&self.path));
        Ok(())
    }

    /// Closes the open file (every transaction refused until [`Store::reopen`]). Only under
    /// [`Store::hold`].
    pub(super) fn close(&self) {
        let mut inner = self.inner.write().unwrap_or_else(PoisonError::into_inner);
        if let Some(db) = inner.db.take() {
            close(db, &inner.health);
        }
    }
}

/// Opens the redb file at `path`; whether it needed a repair.
fn open_db(path: &Path, cache_bytes: usize) -> Result<(redb::Database, bool), OpenError> {
    let repaired = Arc::new(AtomicBool::new(false));
    let flag = repaired.clone();
    let db = damage::catch(|| {
        redb::Database::builder()
            .set_cache_size(cache_bytes)
            .set_repair_callback(move |_| flag.store(true, Ordering::Relaxed))
            .create(path)
    })
    .map_err(|detail| OpenError::Damaged {
        path: path.to_path_buf(),
        detail,
    })?
    .map_err(|e| open_error(path, e))?;
    Ok((db, repaired.load(Ordering::Relaxed)))
}

/// Closing a redb database commits its allocator state. On a file known to be damaged that
/// would write to it, and can panic (the state loaded from a damaged page): the handle is left
/// unclosed instead, its lock held until the process ends (which the commands that meet damage
/// do next). Otherwise a panic while closing is logged, not a crash.
fn close(db: redb::Database, health: &Health) {
    if health.is_damaged() {
        std::mem::forget(db);
    } else if let Err(detail) = damage::catch(|| drop(db)) {
        let path = health.path().display();
        tracing::error!(%path, %detail, "closing the store failed: the file is damaged");
    }
}

impl Drop for Store {
    fn drop(&mut self) {
        let inner = self.inner.get_mut().unwrap_or_else(PoisonError::into_inner);
        if let Some(db) = inner.db.take() {
            close(db, &inner.health);
        }
    }
}

/// Who is using the store now: any number of transactions (and snapshots) inside, or one
/// replacement holding it. Transactions inside may start more inside (a read within a write's
/// closure): a hold waits until none is inside and only then keeps new ones out, so nothing
/// inside ever waits for it.
#[derive(Default)]
struct Gate {
    state: Mutex<GateState>,
    changed: Condvar,
}

#[derive(Default)]
struct GateState {
    inside: usize,
    held: bool,
}

/// A transaction (or a snapshot) inside the gate.
pub(super) struct Inside<'a>(&'a Gate);

/// The gate held by a replacement.
pub(super) struct Held<'a>(&'a Gate);

impl Gate {
    fn lock(&self) -> std::sync::MutexGuard<'_, GateState> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn enter(&self) -> Inside<'_> {
        let mut state = self.lock();
        while state.held {
            state = self
                .changed
                .wait(state)
                .unwrap_or_else(PoisonError::into_inner);
        }
        state.inside += 1;
        Inside(self)
    }

    fn hold(&self) -> Held<'_> {
        let mut state = self.lock();
        while state.held || state.inside > 0 {
            state = self
                .changed
                .wait(state)
                .unwrap_or_else(PoisonError::into_inner);
        }
        state.held = true;
        Held(self)
    }
}

impl Drop for Inside<'_> {
    fn drop(&mut self) {
        let mut state = self.0.lock();
        state.inside -= 1;
        if state.inside == 0 {
            self.0.changed.notify_all();
        }
    }
}

impl Drop for Held<'_> {
    fn drop(&mut self) {
        self.0.lock().held = false;
        self.0.changed.notify_all();
    }
}

fn io_error(path: &Path, err: impl std::fmt::Display) -> OpenError {
    OpenError::Io {
        path: path.to_path_buf(),
        detail: err.to_string(),
    }
}

pub(super) fn open_error(path: &Path, err: redb::DatabaseError) -> OpenError {
    match err {
        redb::DatabaseError::DatabaseAlreadyOpen => OpenError::InUse(path.to_path_buf()),
        redb::DatabaseError::Storage(redb::StorageError::Io(io)) => io_error(path, io),
        redb::DatabaseError::Storage(redb::StorageError::Corrupted(detail)) => OpenError::Damaged {
            path: path.to_path_buf(),
            detail: format!("redb: {detail}"),
        },
        redb::DatabaseError::Storage(other) => OpenError::NotAStore {
            path: path.to_path_buf(),
            detail: other.to_string(),
        },
        other => io_error(path, other),
    }
}

/// A table opened for reading, as every table is stored.
type RawReadTable = redb::ReadOnlyTable<&'static [u8], &'static [u8]>;

/// A read-only transaction.
pub struct Reader {
    pub(super) txn: redb::ReadTransaction,
    health: Arc<Health>,
}

impl Reader {
    /// A reader of a file opened without a [`Store`] (to inspect it).
    pub(super) fn of_file(txn: redb::ReadTransaction, path: &Path) -> Reader {
        Reader {
            txn,
            health: Arc::new(Health::new(path)),
        }
    }

    /// Runs one call into redb on this transaction (see [`Health::guard`]).
    pub(super) fn guard<T>(
        &self,
        call: impl FnOnce() -> Result<T, StoreError>,
    ) -> Result<T, StoreError> {
        self.health.guard(call)
    }

    /// The table, or `None` when it was never written (reads then see it empty).
    fn open(&self, name: &'static str) -> Result<Option<RawReadTable>, StoreError> {
        self.guard(|| match self.txn.open_table(TableDefinition::new(name)) {
            Ok(raw) => Ok(Some(raw)),
            Err(redb::TableError::TableDoesNotExist(_)) => Ok(None),
            Err(err) => Err(err.into()),
        })
    }
}

/// A write transaction; see [`Store::write`].
pub struct Writer {
    txn: redb::WriteTransaction,
    health: Arc<Health>,
}

impl Writer {
    pub fn insert<K: Key + ?Sized, V: Serialize + DeserializeOwned>(
        &mut self,
        table: &Table<K, V>,
        key: &K,
        value: &V,
    ) -> Result<(), StoreError> {
        let value = table.encode_value(value)?;
        self.health.guard(|| {
            self.txn
                .open_table(table.raw())?
                .insert(key::encode(key).as_slice(), value.as_slice())?;
            Ok(())
        })
    }

    /// Removes `key`; returns whether it was there.
    pub fn remove<K: Key + ?Sized, V: Serialize + DeserializeOwned>(
        &mut self,
        table: &Table<K, V>,
        key: &K,
    ) -> Result<bool, StoreError> {
        self.health.guard(|| {
            let mut raw = self.txn.open_table(table.raw())?;
            let removed = raw.remove(key::encode(key).as_slice())?.is_some();
            Ok(removed)
        })
    }

    /// Empties `table` (`stagehand import --replace`, after a snapshot); returns how many rows it
    /// held.
    pub fn clear<K: Key + ?Sized, V: Serialize + DeserializeOwned>(
        &mut self,
        table: &Table<K, V>,
    ) -> Result<u64, StoreError> {
        self.health.guard(|| {
            let held = match self.txn.open_table(table.raw()) {
                Ok(raw) => raw.len()?,
                Err(err) => return Err(err.into()),
            };
            self.txn.delete_table(table.raw())?;
            Ok(held)
        })
    }

    // Raw access for migrations (`migrate`), which name their tables themselves and never decode
    // a row with today's types, so a store of any earlier schema stays migratable.

    /// Every key of the table `name` as stored, in key order.
    pub(super) fn raw_keys(&self, name: &'static str) -> Result<Vec<Vec<u8>>, StoreError> {
        self.health.guard(|| {
            let raw = self.txn.open_table(RawTable::new(name))?;
            let mut out = Vec::new();
            for entry in raw.iter()? {
                out.push(entry?.0.value().to_vec());
            }
            Ok(out)
        })
    }

    /// Every row of the table `name` as stored (key, value), in key order.
    pub(super) fn raw_entries(&self, name: &'static str) -> Result<Vec<RawRow>, StoreError> {
        self.health.guard(|| {
            let raw = self.txn.open_table(RawTable::new(name))?;
            let mut out = Vec::new();
            for entry in raw.iter()? {
                let (key, value) = entry?;
                out.push((key.value().to_vec(), value.value().to_vec()));
            }
            Ok(out)
        })
    }

    /// Up to `limit` rows of the table `name` as stored, from the first key at or after `start`,
    /// in key order (to walk a large table a part at a time).
    pub(super) fn raw_entries_from(
        &self,
        name: &'static str,
        start: &[u8],
        limit: usize,
    ) -> Result<Vec<RawRow>, StoreError> {
        self.health.guard(|| {
            let raw = self.txn.open_table(RawTable::new(name))?;
            let mut out = Vec::new();
            for entry in raw.range(start..)?.take(limit) {
                let (key, value) = entry?;
                out.push((key.value().to_vec(), value.value().to_vec()));
            }
            Ok(out)
        })
    }

    /// Whether the table `name` holds a key that starts with `prefix`.
    pub(super) fn raw_has_prefix(
        &self,
        name: &'static str,
        prefix: &[u8],
    ) -> Result<bool, StoreError> {
        self.health.guard(|| {
            let raw = self.txn.open_table(RawTable::new(name))?;
            let found = match raw.range(prefix..)?.next() {
                Some(entry) => entry?.0.value().starts_with(prefix),
                None => false,
            };
            Ok(found)
        })
    }

    /// Removes `key` (as stored) from the table `name`.
    pub(super) fn raw_remove(&mut self, name: &'static str, key: &[u8]) -> Result<(), StoreError> {
        self.health.guard(|| {
            self.txn.open_table(RawTable::new(name))?.remove(key)?;
            Ok(())
        })
    }

    /// Stores `value` under `key` in the table `name`, both as given.
    pub(super) fn raw_insert(
        &mut self,
        name: &'static str,
        key: &[u8],
        value: &[u8],
    ) -> Result<(), StoreError> {
        self.health.guard(|| {
            self.txn
                .open_table(RawTable::new(name))?
                .insert(key, value)?;
            Ok(())
        })
    }
}

/// Which way a [`Read::scan`] walks its keys.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Order {
    Ascending,
    Descending,
}

/// Reading, shared by [`Reader`] and [`Writer`], so domain code can read inside either kind of
/// transaction (`fn f(r: &impl Read)`).
pub trait Read {
    fn get<K: Key + ?Sized, V: Serialize + DeserializeOwned>(
        &self,
        table: &Table<K, V>,
        key: &K,
    ) -> Result<Option<V>, StoreError>;

    /// Every entry, in key order.
    fn all<K: Key + ?Sized, V: Serialize + DeserializeOwned>(
        &self,
        table: &Table<K, V>,
    ) -> Result<Vec<(K::Owned, V)>, StoreError>;

    /// The first `limit` entries with `start <= key < end`, in `order` of their keys.
    fn scan<K: Key + ?Sized, V: Serialize + DeserializeOwned>(
        &self,
        table: &Table<K, V>,
        start: &K,
        end: &K,
        limit: usize,
        order: Order,
    ) -> Result<Vec<(K::Owned, V)>, StoreError>;

    /// The first `limit` entries with `start <= key < end`, in key order (with pair keys, a
    /// prefix scan is `(p, MIN)..(p, MAX)`).
    fn range<K: Key + ?Sized, V: Serialize + DeserializeOwned>(
        &self,
        table: &Table<K, V>,
        start: &K,
        end: &K,
        limit: usize,
    ) -> Result<Vec<(K::Owned, V)>, StoreError> {
        self.scan(table, start, end, limit, Order::Ascending)
    }

    /// The last `limit` entries with `start <= key < end`, in descending key order (to read
    /// backwards from a place).
    fn range_rev<K: Key + ?Sized, V: Serialize + DeserializeOwned>(
        &self,
        table: &Table<K, V>,
        start: &K,
        end: &K,
        limit: usize,
    ) -> Result<Vec<(K::Owned, V)>, StoreError> {
        self.scan(table, start, end, limit, Order::Descending)
    }

    /// How many entries the table holds (redb keeps the count: no scan).
    fn len<K: Key + ?Sized, V: Serialize + DeserializeOwned>(
        &self,
        table: &Table<K, V>,
    ) -> Result<u64, StoreError>;

    /// Every key, in key order, without decoding a value (to find the few rows worth reading
    /// in a table keyed by something else first).
    fn keys<K: Key + ?Sized, V: Serialize + DeserializeOwned>(
        &self,
        table: &Table<K, V>,
    ) -> Result<Vec<K::Owned>, StoreError>;
}

impl Read for Reader {
    fn get<K: Key + ?Sized, V: Serialize + DeserializeOwned>(
        &self,
        table: &Table<K, V>,
        key: &K,
    ) -> Result<Option<V>, StoreError> {
        self.open(table.name)?
            .map_or(Ok(None), |raw| self.guard(|| get(table, &raw, key)))
    }

    fn all<K: Key + ?Sized, V: Serialize + DeserializeOwned>(
        &self,
        table: &Table<K, V>,
    ) -> Result<Vec<(K::Owned, V)>, StoreError> {
        self.open(table.name)?
            .map_or(Ok(Vec::new()), |raw| self.guard(|| all(table, &raw)))
    }

    fn scan<K: Key + ?Sized, V: Serialize + DeserializeOwned>(
        &self,
        table: &Table<K, V>,
        start: &K,
        end: &K,
        limit: usize,
        order: Order,
    ) -> Result<Vec<(K::Owned, V)>, StoreError> {
        self.open(table.name)?.map_or(Ok(Vec::new()), |raw| {
            self.guard(|| scan(table, &raw, start, end, limit, order))
        })
    }

    fn len<K: Key + ?Sized, V: Serialize + DeserializeOwned>(
        &self,
        table: &Table<K, V>,
    ) -> Result<u64, StoreError> {
        match self.open(table.name)? {
            Some(raw) => self.guard(|| Ok(raw.len()?)),
            None => Ok(0),
        }
    }

    fn keys<K: Key + ?Sized, V: Serialize + DeserializeOwned>(
        &self,
        table: &Table<K, V>,
    ) -> Result<Vec<K::Owned>, StoreError> {
        self.open(table.name)?
            .map_or(Ok(Vec::new()), |raw| self.guard(|| keys(table, &raw)))
    }
}

impl Read for Writer {
    fn get<K: Key + ?Sized, V: Serialize + DeserializeOwned>(
        &self,
        table: &Table<K, V>,
        key: &K,
    ) -> Result<Option<V>, StoreError> {
        self.health
            .guard(|| get(table, &self.txn.open_table(table.raw())?, key))
    }

    fn all<K: Key + ?Sized, V: Serialize + DeserializeOwned>(
        &self,
        table: &Table<K, V>,
    ) -> Result<Vec<(K::Owned, V)>, StoreError> {
        self.health
            .guard(|| all(table, &self.txn.open_table(table.raw())?))
    }

    fn scan<K: Key + ?Sized, V: Serialize + DeserializeOwned>(
        &self,
        table: &Table<K, V>,
        start: &K,
        end: &K,
        limit: usize,
        order: Order,
    ) -> Result<Vec<(K::Owned, V)>, StoreError> {
        self.health.guard(|| {
            let raw = self.txn.open_table(table.raw())?;
            scan(table, &raw, start, end, limit, order)
        })
    }

    fn len<K: Key + ?Sized, V: Serialize + DeserializeOwned>(
        &self,
        table: &Table<K, V>,
    ) -> Result<u64, StoreError> {
        self.health
            .guard(|| Ok(self.txn.open_table(table.raw())?.len()?))
    }

    fn keys<K: Key + ?Sized, V: Serialize + DeserializeOwned>(
        &self,
        table: &Table<K, V>,
    ) -> Result<Vec<K::Owned>, StoreError> {
        self.health
            .guard(|| keys(table, &self.txn.open_table(table.raw())?))
    }
}

fn scan<K: Key + ?Sized, V: Serialize + DeserializeOwned>(
    table: &Table<K, V>,
    raw: &impl ReadableTable<&'static [u8], &'static [u8]>,
    start: &K,
    end: &K,
    limit: usize,
    order: Order,
) -> Result<Vec<(K::Owned, V)>, StoreError> {
    let (start, end) = (key::encode(start), key::encode(end));
    if start >= end {
        return Ok(Vec::new());
    }
    let entries = raw.range(start.as_slice()..end.as_slice())?;
    let entries: Box<dyn Iterator<Item = _>> = match order {
        Order::Ascending => Box::new(entries),
        Order::Descending => Box::new(entries.rev()),
    };
    let mut out = Vec::new();
    for entry in entries.take(limit) {
        let (k, v) = entry?;
        out.push((
            key::decode::<K>(table.name, k.value())?,
            table.decode_value(v.value())?,
        ));
    }
    Ok(out)
}

fn get<K: Key + ?Sized, V: Serialize + DeserializeOwned>(
    table: &Table<K, V>,
    raw: &impl ReadableTable<&'static [u8], &'static [u8]>,
    key: &K,
) -> Result<Option<V>, StoreError> {
    match raw.get(key::encode(key).as_slice())? {
        Some(guard) => table.decode_value(guard.value()).map(Some),
        None => Ok(None),
    }
}

fn all<K: Key + ?Sized, V: Serialize + DeserializeOwned>(
    table: &Table<K, V>,
    raw: &impl ReadableTable<&'static [u8], &'static [u8]>,
) -> Result<Vec<(K::Owned, V)>, StoreError> {
    let mut out = Vec::new();
    for entry in raw.iter()? {
        let (k, v) = entry?;
        out.push((
            key::decode::<K>(table.name, k.value())?,
            table.decode_value(v.value())?,
        ));
    }
    Ok(out)
}

fn keys<K: Key + ?Sized, V: Serialize + DeserializeOwned>(
    table: &Table<K, V>,
    raw: &impl ReadableTable<&'static [u8], &'static [u8]>,
) -> Result<Vec<K::Owned>, StoreError> {
    let mut out = Vec::new();
    for entry in raw.iter()? {
        let (k, _) = entry?;
        out.push(key::decode::<K>(table.name, k.value())?);
    }
    Ok(out)
}

/// A row as stored: key and value bytes.
pub(super) type RawRow = (Vec<u8>, Vec<u8>);

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    const PAIRS: Table<(u64, u64), String> = Table::new("test_pairs");

    #[test]
    fn range_scans_a_prefix_in_order_up_to_the_limit() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&dir.path().join("s.redb"), &StoreOptions::default()).unwrap();
        // An absent table is an empty range.
        let empty = store.read(|r| Read::range(r, &PAIRS, &(0, 0), &(9, 0), 10));
        assert!(empty.unwrap().is_empty());
        store
            .write(|w| {
                for (a, b) in [(1, 5), (2, 7), (2, 1), (2, u64::MAX), (3, 0)] {
                    w.insert(&PAIRS, &(a, b), &format!("{a}.{b}"))?;
                }
                // Writers range over uncommitted rows too.
                assert_eq!(Read::range(w, &PAIRS, &(2, 0), &(3, 0), 1)?.len(), 1);
                Ok::<_, StoreError>(())
            })
            .unwrap();
        let scan = |start, end, limit, order| {
            store
                .read(|r| Read::scan(r, &PAIRS, &start, &end, limit, order))
                .unwrap()
                .into_iter()
                .map(|(_, v)| v)
                .collect::<Vec<_>>()
        };
        let values = |start, end, limit| scan(start, end, limit, Order::Ascending);
        assert_eq!(
            values((2, 0), (3, 0), 10),
            ["2.1", "2.7", format!("2.{}", u64::MAX).as_str()]
        );
        assert_eq!(values((2, 0), (3, 0), 2), ["2.1", "2.7"]);
        assert_eq!(
            values((3, 0), (2, 0), 10),
            Vec::<String>::new(),
            "reversed bounds"
        );
        assert_eq!(values((0, 0), (9, 0), usize::MAX).len(), 5);
        let backwards = |start, end, limit| scan(start, end, limit, Order::Descending);
        assert_eq!(
            backwards((2, 0), (3, 0), 2),
            [format!("2.{}", u64::MAX).as_str(), "2.7"]
        );
        assert_eq!(backwards((0, 0), (2, 7), 10), ["2.1", "1.5"]);
        assert_eq!(backwards((3, 0), (2, 0), 10), Vec::<String>::new());
        let keys = store.read(|r| Read::keys(r, &PAIRS)).unwrap();
        assert_eq!(keys, [(1, 5), (2, 1), (2, 7), (2, u64::MAX), (3, 0)]);
        const ABSENT: Table<u64, String> = Table::new("test_absent");
        assert!(store.read(|r| Read::keys(r, &ABSENT)).unwrap().is_empty());
    }
}
