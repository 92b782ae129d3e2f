//! A model check of `stagehand::store` against `BTreeMap`s, as redb's own `fuzz_redb` does.
//!
//! The input is a sequence of write transactions over two tables, `u64 → Vec<u8>` and
//! `(i64, String) → u32` (the pair keys and the sign flip of `i64` are the key encoding's hard
//! part), each committed or aborted, with now and then the store closed and opened again. The same
//! operations go to a model: a copy of the committed maps that a transaction edits and that
//! becomes the committed maps only when the transaction commits.
//!
//! Properties: nothing panics or fails; inside a transaction every `get`, `remove`'s answer,
//! `range` (bounds and limit), `all` and `len` equal the model's; a read transaction opened
//! meanwhile sees only what was committed; after each transaction, and after reopening, the
//! store holds exactly the committed model.

#![no_main]

#[path = "../common/scratch.rs"]
mod scratch;

use std::collections::BTreeMap;
use std::sync::Mutex;

use libfuzzer_sys::fuzz_target;
use stagehand::store::{Read, Store, StoreError, StoreOptions, Table, Writer};

const A: Table<u64, Vec<u8>> = Table::new("fuzz_a");
const B: Table<(i64, String), u32> = Table::new("fuzz_b");

#[derive(Clone, Default, Debug, PartialEq)]
struct Model {
    a: BTreeMap<u64, Vec<u8>>,
    b: BTreeMap<(i64, String), u32>,
}

/// Why a transaction closure stopped: the store failed (a finding), or the input aborts it.
#[derive(Debug)]
enum Stop {
    Store(StoreError),
    Abort,
}

impl From<StoreError> for Stop {
    fn from(err: StoreError) -> Stop {
        Stop::Store(err)
    }
}

struct Fixture {
    dir: tempfile::TempDir,
    store: Option<Store>,
}

impl Fixture {
    fn open(&mut self) {
        self.store = None; // closed before it is opened again
        let path = self.dir.path().join("model.redb");
        self.store = Some(Store::open(&path, &StoreOptions::default()).expect("the store opens"));
    }

    fn store(&self) -> &Store {
        self.store.as_ref().expect("the store is open")
    }
}

static FIXTURE: Mutex<Option<Fixture>> = Mutex::new(None);

/// The input's bytes, read one at a time; zeros once it runs out.
struct Bytes<'a>(&'a [u8]);

impl Bytes<'_> {
    fn byte(&mut self) -> u8 {
        match self.0.split_first() {
            Some((&b, rest)) => {
                self.0 = rest;
                b
            }
            None => 0,
        }
    }

    fn done(&self) -> bool {
        self.0.is_empty()
    }

    /// Few distinct keys, so operations meet, spread over the whole range.
    fn u64_key(&mut self) -> u64 {
        let b = self.byte();
        let n = u64::from(b & 0x3f);
        match b >> 6 {
            0 => n,
            1 => u64::MAX - n,
            2 => n << 58,
            _ => n * 1_000_003,
        }
    }

    fn i64_key(&mut self) -> i64 {
        let b = self.byte();
        let n = i64::from(b & 0x3f);
        match b >> 6 {
            0 => n - 32,
            1 => i64::MIN + n,
            2 => i64::MAX - n,
            _ => -n * 1_000_003,
        }
    }

    /// Short strings over a few letters, with a two-byte character now and then.
    fn string(&mut self) -> String {
        let len = self.byte() % 4;
        (0..len)
            .map(|_| ['a', 'b', 'z', 'é'][usize::from(self.byte() % 4)])
            .collect()
    }

    /// Mostly small values; now and then one that spans pages (up to ~12 KiB).
    fn value(&mut self) -> Vec<u8> {
        let b = self.byte();
        let len = if b & 0x80 == 0 {
            usize::from(b)
        } else {
            usize::from(b & 0x7f) * 100
        };
        let fill = self.byte();
        (0..len).map(|i| fill.wrapping_add(i as u8)).collect()
    }

    fn limit(&mut self) -> usize {
        match self.byte() {
            255 => usize::MAX,
            b => usize::from(b % 24),
        }
    }
}

fuzz_target!(|data: &[u8]| {
    let mut guard = FIXTURE.lock().unwrap_or_else(|e| e.into_inner());
    let fixture = guard.get_or_insert_with(|| {
        let dir = scratch::scratch_dir();
        let mut fixture = Fixture { dir, store: None };
        fixture.open();
        fixture
    });
    reset(fixture.store());
    let mut committed = Model::default();
    let mut input = Bytes(data);
    while !input.done() {
        let header = input.byte();
        if header % 16 == 15 {
            fixture.open();
            compare(fixture.store(), &committed);
            continue;
        }
        let ops = usize::from(header % 16);
        let abort = header & 0x80 != 0;
        let store = fixture.store();
        let mut scratch = committed.clone();
        let result = store.write(|w| {
            for _ in 0..ops {
                step(w, &mut input, &mut scratch)?;
                if input.byte() % 8 == 0 {
                    // Isolation: a reader sees the last commit, not this transaction.
                    compare(store, &committed);
                }
            }
            if abort { Err(Stop::Abort) } else { Ok(()) }
        });
        match result {
            Ok(()) => committed = scratch,
            Err(Stop::Abort) => {}
            Err(Stop::Store(err)) => panic!("the store failed: {err}"),
        }
        compare(store, &committed);
    }
});

/// Empties both tables, so each input starts from the same store.
fn reset(store: &Store) {
    store
        .write(|w| {
            for (key, _) in w.all(&A)? {
                w.remove(&A, &key)?;
            }
            for (key, _) in w.all(&B)? {
                w.remove(&B, &key)?;
            }
            Ok::<_, StoreError>(())
        })
        .expect("the store is emptied");
    compare(store, &Model::default());
}

/// One operation, on the store and on the model, with the answers compared.
fn step(w: &mut Writer, input: &mut Bytes<'_>, model: &mut Model) -> Result<(), StoreError> {
    match input.byte() % 10 {
        0 | 1 => {
            let (key, value) = (input.u64_key(), input.value());
            w.insert(&A, &key, &value)?;
            model.a.insert(key, value);
        }
        2 => {
            let key = input.u64_key();
            assert_eq!(w.remove(&A, &key)?, model.a.remove(&key).is_some());
        }
        3 => {
            let key = input.u64_key();
            assert_eq!(w.get(&A, &key)?.as_ref(), model.a.get(&key));
        }
        4 => {
            let (start, end, limit) = (input.u64_key(), input.u64_key(), input.limit());
            let expected: Vec<(u64, Vec<u8>)> = if start < end {
                model
                    .a
                    .range(start..end)
                    .take(limit)
                    .map(|(k, v)| (*k, v.clone()))
                    .collect()
            } else {
                Vec::new()
            };
            assert_eq!(
                w.range(&A, &start, &end, limit)?,
                expected,
                "{start}..{end}"
            );
        }
        5 => {
            let key = (input.i64_key(), input.string());
            let value = u32::from(input.byte()) * 65_537;
            w.insert(&B, &key, &value)?;
            model.b.insert(key, value);
        }
        6 => {
            let key = (input.i64_key(), input.string());
            assert_eq!(w.remove(&B, &key)?, model.b.remove(&key).is_some());
            assert_eq!(w.get(&B, &key)?, None);
        }
        7 => {
            let key = (input.i64_key(), input.string());
            assert_eq!(w.get(&B, &key)?.as_ref(), model.b.get(&key));
        }
        8 => {
            let start = (input.i64_key(), input.string());
            let end = (input.i64_key(), input.string());
            let limit = input.limit();
            let expected: Vec<((i64, String), u32)> = if start < end {
                model
                    .b
                    .range(start.clone()..end.clone())
                    .take(limit)
                    .map(|(k, v)| (k.clone(), *v))
                    .collect()
            } else {
                Vec::new()
            };
            assert_eq!(
                w.range(&B, &start, &end, limit)?,
                expected,
                "{start:?}..{end:?}"
            );
        }
        _ => {
            let all_a: BTreeMap<u64, Vec<u8>> = w.all(&A)?.into_iter().collect();
            let all_b: BTreeMap<(i64, String), u32> = w.all(&B)?.into_iter().collect();
            assert_eq!(all_a, model.a);
            assert_eq!(all_b, model.b);
            assert_eq!(w.len(&A)?, model.a.len() as u64);
            assert_eq!(w.len(&B)?, model.b.len() as u64);
        }
    }
    Ok(())
}

/// A read transaction sees exactly `model`, in key order.
fn compare(store: &Store, model: &Model) {
    let (a, b, len_a, len_b) = store
        .read(|r| Ok((r.all(&A)?, r.all(&B)?, r.len(&A)?, r.len(&B)?)))
        .expect("the store reads");
    let expected_a: Vec<(u64, Vec<u8>)> = model.a.clone().into_iter().collect();
    let expected_b: Vec<((i64, String), u32)> = model.b.clone().into_iter().collect();
    assert_eq!(a, expected_a, "table a");
    assert_eq!(b, expected_b, "table b");
    assert_eq!((len_a, len_b), (model.a.len() as u64, model.b.len() as u64));
}
