//! Damaged files: what a store does when the bytes on disk are not what redb wrote.
//!
//! redb trusts the pages it reads: it checks their checksums only when it repairs a file after a
//! crash, or when asked ([`verify_file`]). A damaged page it meets otherwise makes it fail with an
//! error, return wrong bytes, or panic (a type name that is not UTF-8, a slice out of range, an
//! `unreachable!`). Every call into redb therefore goes through [`catch`], which turns such a panic
//! into an error naming where redb panicked, without the panic message on standard error; a
//! [`Health`] records the first one, and the store refuses every later transaction, since redb's
//! memory of the file may be half-updated.

use std::cell::{Cell, RefCell};
use std::collections::BTreeMap;
use std::os::unix::fs::FileExt as _;
use std::panic::{AssertUnwindSafe, PanicHookInfo};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, Once, OnceLock, PoisonError};

use super::{OpenError, StoreError};

thread_local! {
    /// How many [`catch`] calls this thread is inside.
    static GUARDED: Cell<u32> = const { Cell::new(0) };
    /// What the quiet panic hook saw of the last panic inside a [`catch`] on this thread.
    static CAUGHT: RefCell<Option<String>> = const { RefCell::new(None) };
}

/// Runs `call`, which reaches into redb, turning a panic inside it into `Err(what redb said)`.
///
/// Costs nothing measurable when nothing panics (a thread-local counter and an unwinding landing
/// pad). A panic caught here is not printed: the error carries it to whoever reports it.
pub(super) fn catch<T>(call: impl FnOnce() -> T) -> Result<T, String> {
    static QUIET_HOOK: Once = Once::new();
    QUIET_HOOK.call_once(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            if GUARDED.get() > 0 {
                CAUGHT.set(Some(describe(info)));
            } else {
                previous(info);
            }
        }));
    });
    GUARDED.set(GUARDED.get() + 1);
    let outcome = std::panic::catch_unwind(AssertUnwindSafe(call));
    GUARDED.set(GUARDED.get() - 1);
    outcome.map_err(|payload| {
        CAUGHT.take().unwrap_or_else(|| {
            let message = payload
                .downcast_ref::<&str>()
                .map(ToString::to_string)
                .or_else(|| payload.downcast_ref::<String>().cloned());
            format!("redb panicked: {}", message.unwrap_or_default())
        })
    })
}

/// `redb panicked at redb-4.6.0/src/types.rs:109:54: <message>`: the place without the path of
/// the registry it was built from.
fn describe(info: &PanicHookInfo) -> String {
    let place = info.location().map_or_else(String::new, |l| {
        let file = l.file();
        let file = file.find("redb-").map_or(file, |at| &file[at..]);
        format!(" at {file}:{}:{}", l.line(), l.column())
    });
    let payload = info.payload();
    let message = payload
        .downcast_ref::<&str>()
        .map(ToString::to_string)
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_default();
    format!("redb panicked{place}: {message}")
}

/// Whether a store's file has shown damage, shared by the store and its transactions.
#[derive(Debug)]
pub(super) struct Health {
    path: PathBuf,
    /// What redb did when it first met the damage.
    damage: OnceLock<String>,
}

impl Health {
    pub(super) fn new(path: &Path) -> Health {
        Health {
            path: path.to_path_buf(),
            damage: OnceLock::new(),
        }
    }

    pub(super) fn path(&self) -> &Path {
        &self.path
    }

    /// Runs one call into redb: refused once the file has shown damage, and a panic inside it is
    /// [`StoreError::Damaged`].
    pub(super) fn guard<T>(
        &self,
        call: impl FnOnce() -> Result<T, StoreError>,
    ) -> Result<T, StoreError> {
        if let Some(detail) = self.damage.get() {
            return Err(self.damaged(detail.clone()));
        }
        catch(call).unwrap_or_else(|detail| {
            let detail = self.damage.get_or_init(|| detail).clone();
            Err(self.damaged(detail))
        })
    }

    /// Records damage found outside a guarded call (by [`verify_file`]).
    pub(super) fn saw(&self, detail: &str) {
        let _ = self.damage.set(detail.to_string());
    }

    pub(super) fn is_damaged(&self) -> bool {
        self.damage.get().is_some()
    }

    fn damaged(&self, detail: String) -> StoreError {
        StoreError::Damaged {
            path: self.path.clone(),
            detail,
        }
    }
}

/// Runs redb's integrity check over every page of the store file at `path` (each page's checksum,
/// the trees, the allocator state), without changing the file: a damaged file is
/// [`OpenError::Damaged`], and so is one that redb could only repair by going back to an earlier
/// commit (for a snapshot, that would drop the tables copied last).
///
/// The file is read through a private layer that keeps redb's writes in memory, and without
/// locks: the caller holds the store (or the file is a snapshot nobody writes). About 10 ms for
/// 150,000 rows (18 MB) in a release build with the file in the page cache (80 ms read cold from
/// disk), against 0.2 ms for redb's plain open: linear in the file's size, and a few MB of memory
/// whatever the size.
pub fn verify_file(path: &Path) -> Result<(), OpenError> {
    let damaged = |detail: String| OpenError::Damaged {
        path: path.to_path_buf(),
        detail,
    };
    let file = std::fs::File::open(path).map_err(|e| OpenError::Io {
        path: path.to_path_buf(),
        detail: e.to_string(),
    })?;
    let layer = Private::new(file).map_err(|e| OpenError::Io {
        path: path.to_path_buf(),
        detail: e.to_string(),
    })?;
    if layer.layer().len == 0 {
        // redb would make a new database of it, in the private layer.
        return Err(OpenError::NotAStore {
            path: path.to_path_buf(),
            detail: "the file is empty".into(),
        });
    }
    // A file open elsewhere (the live store) is repaired as it is opened here, and a repair whose
    // latest commit fails its checksums goes back to the commit before without a word, after
    // which the check finds nothing wrong. redb 4.6 tells its repair callback of that step alone
    // with the progress 0.3 (`Database::do_repair`; a file closed cleanly is not repaired on
    // opening, and the check itself reports going back).
    let fell_back = Arc::new(AtomicBool::new(false));
    let flag = fell_back.clone();
    let checked = catch(|| {
        // A small cache: the check reads every page once, and keeps none.
        let mut db = redb::Database::builder()
            .set_cache_size(1 << 20)
            .set_repair_callback(move |session| {
                if (0.2..0.4).contains(&session.progress()) {
                    flag.store(true, Ordering::Relaxed);
                }
            })
            .create_with_backend(layer)?;
        db.check_integrity()
    });
    match checked {
        Ok(Ok(true)) if fell_back.load(Ordering::Relaxed) => Err(damaged(
            "the pages of the latest commit do not match their checksums; redb could only go \
             back to the commit before"
                .into(),
        )),
        Ok(Ok(true)) => Ok(()),
        Ok(Ok(false)) => Err(damaged(
            "redb's integrity check found pages that do not match their checksums or an \
             allocator state that does not match the trees"
                .into(),
        )),
        Ok(Err(redb::DatabaseError::Storage(redb::StorageError::Io(err)))) => Err(OpenError::Io {
            path: path.to_path_buf(),
            detail: err.to_string(),
        }),
        Ok(Err(err)) => Err(damaged(err.to_string())),
        Err(panicked) => Err(damaged(panicked)),
    }
}

/// A file seen through a private copy-on-write layer: reads come from the file, writes stay here.
#[derive(Debug)]
struct Private {
    file: std::fs::File,
    layer: Mutex<Layer>,
}

/// Written bytes, a block at a time.
#[derive(Debug)]
struct Layer {
    len: u64,
    /// How much of the file still shows through (a shrink hides the rest for good).
    file_len: u64,
    blocks: BTreeMap<u64, Vec<u8>>,
}

const BLOCK: u64 = 4096;

impl Private {
    fn new(file: std::fs::File) -> std::io::Result<Private> {
        let len = file.metadata()?.len();
        Ok(Private {
            file,
            layer: Mutex::new(Layer {
                len,
                file_len: len,
                blocks: BTreeMap::new(),
            }),
        })
    }

    fn layer(&self) -> std::sync::MutexGuard<'_, Layer> {
        self.layer.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The file's bytes at `offset` (zeros past what shows through), ignoring the blocks written.
    fn read_file(&self, file_len: u64, offset: u64, out: &mut [u8]) -> std::io::Result<()> {
        let shown = usize::try_from(file_len.saturating_sub(offset))
            .unwrap_or(usize::MAX)
            .min(out.len());
        self.file.read_exact_at(&mut out[..shown], offset)?;
        out[shown..].fill(0);
        Ok(())
    }
}

/// `(start, end)` of `len` bytes at `offset`, or an error when that overflows.
fn span(offset: u64, len: usize) -> std::io::Result<(u64, u64)> {
    let end = u64::try_from(len)
        .ok()
        .and_then(|len| offset.checked_add(len));
    end.map(|end| (offset, end))
        .ok_or_else(|| std::io::Error::new(std::io::ErrorKind::InvalidInput, "offset overflow"))
}

/// Where `a..b` and `c..d` overlap, relative to `a` and to `c`: (from, to, from in the other).
fn overlap(a: u64, b: u64, c: u64, d: u64) -> Option<(usize, usize, usize)> {
    let (start, end) = (a.max(c), b.min(d));
    let at = |x: u64, base: u64| usize::try_from(x - base).ok();
    (start < end).then_some(())?;
    Some((at(start, a)?, at(end, a)?, at(start, c)?))
}

impl redb::StorageBackend for Private {
    fn len(&self) -> std::io::Result<u64> {
        Ok(self.layer().len)
    }

    fn read(&self, offset: u64, out: &mut [u8]) -> std::io::Result<()> {
        let (start, end) = span(offset, out.len())?;
        let layer = self.layer();
        if end > layer.len {
            return Err(std::io::ErrorKind::UnexpectedEof.into());
        }
        self.read_file(layer.file_len, offset, out)?;
        for (&block, bytes) in layer.blocks.range(start / BLOCK..=(end - 1) / BLOCK) {
            let base = block * BLOCK;
            if let Some((from, to, inner)) = overlap(start, end, base, base + BLOCK) {
                out[from..to].copy_from_slice(&bytes[inner..inner + (to - from)]);
            }
        }
        Ok(())
    }

    fn set_len(&self, len: u64) -> std::io::Result<()> {
        let mut layer = self.layer();
        if len < layer.len {
            layer.file_len = layer.file_len.min(len);
            layer.blocks.retain(|&block, _| block * BLOCK < len);
            if let Some((&block, bytes)) = layer.blocks.iter_mut().next_back() {
                let keep = usize::try_from(len.saturating_sub(block * BLOCK)).unwrap_or(usize::MAX);
                if keep < bytes.len() {
                    bytes[keep..].fill(0);
                }
            }
        }
        layer.len = len;
        Ok(())
    }

    fn sync_data(&self) -> std::io::Result<()> {
        Ok(())
    }

    fn write(&self, offset: u64, data: &[u8]) -> std::io::Result<()> {
        let (start, end) = span(offset, data.len())?;
        let mut layer = self.layer();
        layer.len = layer.len.max(end);
        for block in start / BLOCK..end.div_ceil(BLOCK) {
            let base = block * BLOCK;
            if !layer.blocks.contains_key(&block) {
                let mut bytes = vec![0; BLOCK as usize];
                self.read_file(layer.file_len, base, &mut bytes)?;
                layer.blocks.insert(block, bytes);
            }
            if let (Some(bytes), Some((from, to, inner))) = (
                layer.blocks.get_mut(&block),
                overlap(start, end, base, base + BLOCK),
            ) {
                bytes[inner..inner + (to - from)].copy_from_slice(&data[from..to]);
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use redb::StorageBackend as _;

    use super::*;

    #[test]
    fn the_private_layer_reads_the_file_and_keeps_writes_to_itself() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("f");
        let original: Vec<u8> = (0..3 * BLOCK + 100).map(|i| (i % 251) as u8).collect();
        std::fs::write(&path, &original).unwrap();
        let layer = Private::new(std::fs::File::open(&path).unwrap()).unwrap();
        let mut model = original.clone();
        let read = |at: u64, n: usize| {
            let mut out = vec![0xee; n];
            layer.read(at, &mut out).unwrap();
            out
        };
        assert_eq!(read(0, model.len()), model);
        for (at, n) in [(10u64, 5usize), (BLOCK - 3, 9), (2 * BLOCK, 4096 + 50)] {
            let data: Vec<u8> = (0..n).map(|i| (i * 7 % 256) as u8).collect();
            layer.write(at, &data).unwrap();
            model[at as usize..at as usize + n].copy_from_slice(&data);
            assert_eq!(read(0, model.len()), model);
            assert_eq!(read(at, n), data);
        }
        // Growing reads zeros; shrinking then growing again hides what was cut.
        layer.set_len(4 * BLOCK).unwrap();
        model.resize(4 * BLOCK as usize, 0);
        assert_eq!(read(0, model.len()), model);
        layer.set_len(BLOCK + 10).unwrap();
        layer.set_len(5 * BLOCK).unwrap();
        model.truncate(BLOCK as usize + 10);
        model.resize(5 * BLOCK as usize, 0);
        assert_eq!(read(0, model.len()), model);
        let mut past = [0; 1];
        assert!(layer.read(5 * BLOCK, &mut past).is_err());
        assert_eq!(std::fs::read(&path).unwrap(), original, "the file changed");
    }

    #[test]
    fn a_panic_inside_catch_is_an_error_naming_where() {
        let caught = catch(|| -> u8 { panic!("page {} is odd", 7) }).unwrap_err();
        assert!(caught.starts_with("redb panicked at "), "{caught}");
        assert!(caught.contains("damage.rs") && caught.ends_with(": page 7 is odd"));
        assert_eq!(catch(|| 5).unwrap(), 5);
        // Outside `catch`, panics still reach the previous hook (and are printed): a thread's.
        let outside = std::thread::spawn(|| panic!("not redb")).join();
        assert!(outside.is_err());
        assert_eq!(GUARDED.get(), 0);
    }

    use crate::store::{META, Read as _, SCHEMA, Store, StoreOptions, Table};

    const ROWS: Table<str, String> = Table::new("rows");

    /// A closed store at `dir/s.redb` with 500 rows, `key-00000` → `row 00000`, ….
    fn store_with_rows(dir: &Path) -> PathBuf {
        let path = dir.join("s.redb");
        let store = Store::open(&path, &StoreOptions::default()).unwrap();
        store
            .write(|w| {
                for i in 0..500 {
                    w.insert(&ROWS, &format!("key-{i:05}"), &format!("row {i:05}"))?;
                }
                Ok::<_, StoreError>(())
            })
            .unwrap();
        path
    }

    /// Every offset where `needle` starts in `bytes`.
    fn find(bytes: &[u8], needle: &[u8]) -> Vec<usize> {
        (0..=bytes.len() - needle.len())
            .filter(|&at| bytes[at..].starts_with(needle))
            .collect()
    }

    /// Points the first key of each leaf page starting with `key-00000` before its own start, as
    /// a flipped bit in the page's offsets would: redb 4.6.0 slices the page with it and panics.
    fn damage_first_leaf(path: &Path) {
        let mut bytes = std::fs::read(path).unwrap();
        let mut damaged = 0;
        for at in find(&bytes, b"key-00000") {
            let page = at & !4095;
            let pairs = usize::from(u16::from_le_bytes([bytes[page + 2], bytes[page + 3]]));
            // A leaf (1) whose key section, after the key and value ends, starts with this key.
            if bytes[page] == 1 && page + 4 + 8 * pairs == at {
                bytes[page + 4..page + 8].copy_from_slice(&1u32.to_le_bytes());
                damaged += 1;
            }
        }
        assert!(damaged > 0, "no leaf starts with key-00000");
        std::fs::write(path, bytes).unwrap();
    }

    /// Issue 25 item 6: a damaged page made redb panic through `Store::read`; it is an error, and
    /// the store refuses every later transaction, read or write, on any table.
    #[test]
    fn a_page_redb_panics_on_is_damage_and_the_store_refuses_more() {
        let dir = tempfile::tempdir().unwrap();
        let path = store_with_rows(dir.path());
        damage_first_leaf(&path);
        let store = Store::open(&path, &StoreOptions::default()).unwrap();
        let err = store.read(|r| r.all(&ROWS)).unwrap_err();
        let StoreError::Damaged {
            path: named,
            detail,
        } = &err
        else {
            panic!("{err:?}")
        };
        assert_eq!(named, &path);
        assert!(detail.starts_with("redb panicked at redb-"), "{detail}");
        assert!(err.to_string().contains("is damaged"), "{err}");
        let later = store.read(|r| r.get(&META, SCHEMA));
        assert!(
            matches!(later, Err(StoreError::Damaged { .. })),
            "{later:?}"
        );
        let write = store.write(|w| w.insert(&META, "x", &1));
        assert!(
            matches!(write, Err(StoreError::Damaged { .. })),
            "{write:?}"
        );
        assert!(matches!(store.verify(), Err(OpenError::Damaged { .. })));
    }

    /// Issue 25: checking a store that is open (what a snapshot does while `serve` runs) passed
    /// a file whose latest commit was damaged: opening it to check it repaired it by going back
    /// to the commit before, which was whole. That going back is damage.
    #[test]
    fn a_damaged_latest_commit_of_an_open_store_is_damage() {
        use std::os::unix::fs::FileExt as _;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("s.redb");
        let store = Store::open(&path, &StoreOptions::default()).unwrap();
        store
            .write(|w| w.insert(&ROWS, "key-00001", &"row 00001".to_string()))
            .unwrap();
        assert!(store.verify().is_ok());
        let bytes = std::fs::read(&path).unwrap();
        let file = std::fs::OpenOptions::new().write(true).open(&path).unwrap();
        for at in find(&bytes, b"row 00001") {
            file.write_all_at(b"X", at as u64 + 4).unwrap();
        }
        let err = store.verify().unwrap_err();
        assert!(
            matches!(&err, OpenError::Damaged { detail, .. } if detail.contains("latest commit")),
            "{err:?}"
        );
    }

    /// Issue 25 item 6: a value changed on disk reads back without an error; only the integrity
    /// check, which leaves the file as it was, tells.
    #[test]
    fn only_the_integrity_check_tells_a_changed_value() {
        let dir = tempfile::tempdir().unwrap();
        let path = store_with_rows(dir.path());
        assert!(verify_file(&path).is_ok());
        assert!(crate::store::verify_snapshot(&path).is_ok());
        let mut bytes = std::fs::read(&path).unwrap();
        for at in find(&bytes, b"row 00250") {
            bytes[at + 4] = b'X';
        }
        std::fs::write(&path, &bytes).unwrap();
        {
            let store = Store::open(&path, &StoreOptions::default()).unwrap();
            let row = store.read(|r| r.get(&ROWS, "key-00250")).unwrap();
            assert_eq!(row.as_deref(), Some("row X0250"));
        }
        let bytes = std::fs::read(&path).unwrap();
        let err = verify_file(&path).unwrap_err();
        assert!(matches!(err, OpenError::Damaged { .. }), "{err:?}");
        assert_eq!(
            std::fs::read(&path).unwrap(),
            bytes,
            "verifying changed the file"
        );
        assert!(
            crate::store::inspect(&path).is_ok(),
            "inspect reads only the metadata"
        );
        let err = crate::store::verify_snapshot(&path).unwrap_err();
        assert!(matches!(err, OpenError::Damaged { .. }), "{err:?}");
    }

    #[test]
    fn a_health_that_saw_damage_refuses_every_later_call() {
        let health = Health::new(Path::new("s.redb"));
        assert_eq!(health.guard(|| Ok(1)).unwrap(), 1);
        let err = health.guard(|| -> Result<(), _> { panic!("slice index") });
        let Err(StoreError::Damaged { path, detail }) = err else {
            panic!("{err:?}")
        };
        assert_eq!(path, Path::new("s.redb"));
        assert!(detail.contains("slice index"), "{detail}");
        let mut called = false;
        let later = health.guard(|| {
            called = true;
            Ok(())
        });
        assert!(matches!(later, Err(StoreError::Damaged { .. })) && !called);
    }
}
