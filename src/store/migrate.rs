//! Schema version and forward migrations.
//!
//! The version lives in the `stagehand_meta` table under `schema`. A new store is stamped with
//! [`SCHEMA_VERSION`]; an older one runs each pending [`Migration`] in its own write transaction,
//! which also bumps the version, so a failure leaves the store at the last good version. A newer
//! store is refused before anything is written.
//!
//! Migrations are frozen: each works on the bytes of the tables as they were at its schema, names
//! those tables itself and calls nothing outside `store/`. Row types change; a migration written
//! against them would stop compiling, or worse, stop reading the stores it exists for.
//! `tests/migrations.rs` migrates a store file written by every earlier release.

use crate::store::Read as _;
use std::path::Path;

use redb::ReadableDatabase;

use super::db::{Store, Writer};
use super::meta::{CREATED_AT, META, SCHEMA};
use super::{OpenError, StoreError};

/// The schema this build writes. Bump it together with a new entry in `MIGRATIONS`.
pub const SCHEMA_VERSION: u64 = 4;

/// One step from `to - 1` to `to`.
#[derive(Clone, Copy)]
pub(super) struct Migration {
    pub to: u64,
    pub run: fn(&mut Writer) -> Result<(), StoreError>,
}

/// Every migration, in order.
pub(super) const MIGRATIONS: &[Migration] = &[
    Migration {
        // 2: the request desk indexes its pending requests.
        to: 2,
        run: v2::index_pending,
    },
    Migration {
        // 3: the request desk records which resolution decided each request.
        to: 3,
        run: v3::record_decisions,
    },
    Migration {
        // 4: the audit log indexes every event's custom fields.
        to: 4,
        run: v4::index_fields,
    },
];

/// Schema 1 → 2. Frozen: the tables as 0.1.0 wrote them.
mod v2 {
    use super::{StoreError, Writer};

    /// Request id (`u64`, 8 bytes big-endian) → the request.
    const REQUESTS: &str = "requests";
    /// `(request id, moderator id)`, 16 bytes → a resolution.
    const RESOLUTIONS: &str = "request_resolutions";
    /// New: request id → `()`, every request without a resolution.
    const PENDING: &str = "requests_pending";
    /// `()` in postcard: nothing.
    pub(super) const UNIT: &[u8] = &[];

    /// Indexes every request that has no resolution.
    pub(super) fn index_pending(w: &mut Writer) -> Result<(), StoreError> {
        for id in w.raw_keys(REQUESTS)? {
            if id.len() != 8 {
                return Err(StoreError::Decode {
                    table: REQUESTS,
                    detail: format!("{} bytes, expected 8", id.len()),
                });
            }
            if !w.raw_has_prefix(RESOLUTIONS, &id)? {
                w.raw_insert(PENDING, &id, UNIT)?;
            }
        }
        Ok(())
    }
}

/// Schema 2 → 3. Frozen: the tables as 0.1.x wrote them.
mod v3 {
    use std::collections::BTreeMap;

    use serde::Deserialize;

    use super::{StoreError, Writer};

    /// `(request id, moderator id)`, 16 bytes big-endian → a resolution.
    const RESOLUTIONS: &str = "request_resolutions";
    /// New: request id (8 bytes big-endian) → the moderator whose resolution decided it.
    const DECISIONS: &str = "request_decisions";

    /// A resolution as schema 2 stored it (postcard). A grade is a unit variant, which postcard
    /// writes as its index.
    #[derive(Deserialize)]
    struct Resolution {
        _grade: Option<u32>,
        _review: Option<String>,
        _comment: Option<String>,
        at: i64,
    }

    /// The earliest resolution of each request decided it (in the same second, the smaller
    /// moderator id: the order its widget showed).
    pub(super) fn record_decisions(w: &mut Writer) -> Result<(), StoreError> {
        let decode = |detail: String| StoreError::Decode {
            table: RESOLUTIONS,
            detail,
        };
        let mut first: BTreeMap<[u8; 8], (i64, u64)> = BTreeMap::new();
        for (key, value) in w.raw_entries(RESOLUTIONS)? {
            if key.len() != 16 {
                return Err(decode(format!("a key of {} bytes, expected 16", key.len())));
            }
            let (mut request, mut moderator) = ([0; 8], [0; 8]);
            request.copy_from_slice(&key[..8]);
            moderator.copy_from_slice(&key[8..]);
            let moderator = u64::from_be_bytes(moderator);
            let resolution: Resolution =
                postcard::from_bytes(&value).map_err(|e| decode(e.to_string()))?;
            let candidate = (resolution.at, moderator);
            first
                .entry(request)
                .and_modify(|earliest| *earliest = (*earliest).min(candidate))
                .or_insert(candidate);
        }
        for (request, (_, moderator)) in first {
            let value = postcard::to_allocvec(&moderator).map_err(|e| decode(e.to_string()))?;
            w.raw_insert(DECISIONS, &request, &value)?;
        }
        Ok(())
    }
}

/// Schema 3 → 4. Frozen: the audit log as 0.1.x wrote it.
mod v4 {
    use serde::Deserialize;
    use sha2::{Digest, Sha256};

    use super::{StoreError, Writer};

    /// Event id (8 bytes big-endian) → the event.
    const EVENTS: &str = "audit_events";
    /// New: `(field key, (at, id))` (8 + 8 + 8 bytes; `at` with its sign bit flipped) → `()`.
    const BY_FIELD: &str = "audit_by_field";
    /// Events read at a time.
    pub(super) const CHUNK: usize = 10_000;

    /// An event as schema 3 stored it (postcard): the kind's code, the actor, the time, the
    /// custom fields.
    #[derive(Deserialize)]
    struct Event {
        _kind: u16,
        _actor: Actor,
        at: i64,
        fields: Vec<(String, Value)>,
    }

    /// Read only to reach the fields after it.
    #[derive(Deserialize)]
    #[allow(dead_code)]
    enum Actor {
        Bot,
        User(u64),
    }

    #[derive(Deserialize)]
    pub(super) enum Value {
        Text(String),
        Int(i64),
        Bool(bool),
        User(u64),
        Role(u64),
        Channel(u64),
        Absent,
    }

    /// The key of a field in the index: the first 8 bytes of SHA-256 over the field's name and
    /// typed value, as `audit::field_key` documents it.
    pub(super) fn field_key(name: &str, value: &Value) -> u64 {
        let mut hash = Sha256::new();
        hash.update(b"stagehand audit field\0");
        hash.update(name.as_bytes());
        hash.update([0xFF]);
        match value {
            Value::Text(text) => {
                hash.update([0]);
                hash.update(text.as_bytes());
            }
            Value::Int(n) => {
                hash.update([1]);
                hash.update(n.to_be_bytes());
            }
            Value::Bool(b) => hash.update([2, u8::from(*b)]),
            Value::User(id) => {
                hash.update([3]);
                hash.update(id.to_be_bytes());
            }
            Value::Role(id) => {
                hash.update([4]);
                hash.update(id.to_be_bytes());
            }
            Value::Channel(id) => {
                hash.update([5]);
                hash.update(id.to_be_bytes());
            }
            Value::Absent => hash.update([6]),
        }
        let digest: [u8; 32] = hash.finalize().into();
        let mut head = [0u8; 8];
        head.copy_from_slice(&digest[..8]);
        u64::from_be_bytes(head)
    }

    /// Indexes each custom field of every event.
    pub(super) fn index_fields(w: &mut Writer) -> Result<(), StoreError> {
        let decode = |detail: String| StoreError::Decode {
            table: EVENTS,
            detail,
        };
        let mut start = Vec::new();
        loop {
            let rows = w.raw_entries_from(EVENTS, &start, CHUNK)?;
            let Some((last, _)) = rows.last() else {
                return Ok(());
            };
            start.clone_from(last);
            start.push(0);
            for (id, value) in rows {
                if id.len() != 8 {
                    return Err(decode(format!("a key of {} bytes, expected 8", id.len())));
                }
                let event: Event =
                    postcard::from_bytes(&value).map_err(|e| decode(e.to_string()))?;
                let at = ((event.at as u64) ^ (1 << 63)).to_be_bytes();
                for (name, value) in &event.fields {
                    let mut key = field_key(name, value).to_be_bytes().to_vec();
                    key.extend_from_slice(&at);
                    key.extend_from_slice(&id);
                    w.raw_insert(BY_FIELD, &key, super::v2::UNIT)?;
                }
            }
        }
    }
}

/// Refuses a store whose schema is newer than `supported`, without modifying the file.
pub(super) fn refuse_newer(path: &Path, supported: u64) -> Result<(), OpenError> {
    let opened = super::damage::catch(|| redb::ReadOnlyDatabase::open(path)).map_err(|detail| {
        OpenError::Damaged {
            path: path.to_path_buf(),
            detail,
        }
    })?;
    let db = match opened {
        Ok(db) => db,
        // The previous process died mid-write: the normal open repairs it, then checks again.
        Err(redb::DatabaseError::RepairAborted) => return Ok(()),
        Err(err) => return Err(super::db::open_error(path, err)),
    };
    let found = read_version(&db, path).map_err(|e| failed_open(path, e))?;
    match found {
        Some(found) if found > supported => Err(OpenError::TooNew {
            path: path.to_path_buf(),
            found,
            supported,
        }),
        _ => Ok(()),
    }
}

fn read_version(db: &impl ReadableDatabase, path: &Path) -> Result<Option<u64>, StoreError> {
    let txn =
        super::damage::catch(|| db.begin_read()).map_err(|detail| StoreError::Damaged {
            path: path.to_path_buf(),
            detail,
        })??;
    let reader = super::db::Reader::of_file(txn, path);
    reader.get(&META, SCHEMA)
}

/// A store error while opening: damage as such, anything else as I/O.
fn failed_open(path: &Path, err: StoreError) -> OpenError {
    match err {
        StoreError::Damaged { path, detail } => OpenError::Damaged { path, detail },
        other => OpenError::Io {
            path: path.to_path_buf(),
            detail: other.to_string(),
        },
    }
}

/// Stamps a new store, or migrates an existing one up to `target`.
pub(super) fn bring_up_to_date(
    store: &Store,
    existed: bool,
    target: u64,
    migrations: &[Migration],
) -> Result<(), OpenError> {
    let path = store.path().to_path_buf();
    let io = |e: StoreError| failed_open(&path, e);
    let found = store.read(|r| r.get(&META, SCHEMA)).map_err(io)?;
    let current = match found {
        Some(version) => version,
        None if existed
            && store
                .read(|r| r.guard(|| Ok(r.txn.list_tables()?.count())))
                .map_err(io)?
                > 0 =>
        {
            return Err(OpenError::NotAStore {
                path: path.clone(),
                detail: "a redb database without Stagehand's metadata".into(),
            });
        }
        None => {
            store
                .write(|w| {
                    w.insert(&META, SCHEMA, &target)?;
                    w.insert(&META, CREATED_AT, &unix_now())
                })
                .map_err(io)?;
            return Ok(());
        }
    };
    if current > target {
        return Err(OpenError::TooNew {
            path,
            found: current,
            supported: target,
        });
    }
    for step in migrations
        .iter()
        .filter(|m| m.to > current && m.to <= target)
    {
        tracing::info!(to = step.to, "migrating store");
        store
            .write(|w| {
                (step.run)(w)?;
                w.insert(&META, SCHEMA, &step.to)
            })
            .map_err(|source| match source {
                StoreError::Damaged { path, detail } => OpenError::Damaged { path, detail },
                source => OpenError::Migration {
                    to: step.to,
                    source,
                },
            })?;
    }
    Ok(())
}

/// Unix seconds now (0 before 1970), for the creation stamp. The store takes no clock: it names
/// no module above it, and a stamp is all it needs.
fn unix_now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |since| since.as_secs())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use crate::store::{StoreOptions, Table};

    const NAMES_V1: Table<u64, String> = Table::new("names");
    /// Version 2 splits "first last" into a pair.
    const NAMES_V2: Table<u64, (String, String)> = Table::new("names_v2");

    fn split_names(w: &mut Writer) -> Result<(), StoreError> {
        for (id, full) in w.all(&NAMES_V1)? {
            let (first, last) = full.split_once(' ').unwrap_or((&full, ""));
            w.insert(&NAMES_V2, &id, &(first.to_string(), last.to_string()))?;
            w.remove(&NAMES_V1, &id)?;
        }
        Ok(())
    }

    fn failing(_: &mut Writer) -> Result<(), StoreError> {
        Err(StoreError::Storage("disk on fire".into()))
    }

    const TO_V2: &[Migration] = &[Migration {
        to: 2,
        run: split_names,
    }];

    fn v1_store(dir: &Path) -> std::path::PathBuf {
        let path = dir.join("s.redb");
        let store = Store::open_with(&path, &StoreOptions::default(), 1, &[]).unwrap();
        store
            .write(|w| w.insert(&NAMES_V1, &7, &"Ada Lovelace".to_string()))
            .unwrap();
        path
    }

    fn version(store: &Store) -> u64 {
        store.read(|r| r.get(&META, SCHEMA)).unwrap().unwrap()
    }

    #[test]
    fn migrates_a_v1_store_to_v2() {
        let dir = tempfile::tempdir().unwrap();
        let path = v1_store(dir.path());
        let store = Store::open_with(&path, &StoreOptions::default(), 2, TO_V2).unwrap();
        assert_eq!(version(&store), 2);
        assert_eq!(store.read(|r| r.all(&NAMES_V1)).unwrap(), vec![]);
        assert_eq!(
            store.read(|r| r.get(&NAMES_V2, &7)).unwrap(),
            Some(("Ada".to_string(), "Lovelace".to_string()))
        );
    }

    #[test]
    fn version_2_indexes_the_pending_requests_of_a_version_1_desk() {
        const PENDING: Table<u64, ()> = Table::new("requests_pending");
        let request = |id: u64| id.to_be_bytes();
        let resolution = |id: u64, moderator: u64| {
            let mut key = id.to_be_bytes().to_vec();
            key.extend_from_slice(&moderator.to_be_bytes());
            key
        };

        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("s.redb");
        let v1 = Store::open_with(&path, &StoreOptions::default(), 1, &[]).unwrap();
        v1.write(|w| {
            // Values are never decoded: a row today's types could not read migrates all the same.
            for id in [1, 2, 3, 4, 0x100] {
                w.raw_insert("requests", &request(id), b"\xff not postcard")?;
            }
            // 3 has two resolutions; 5 is gone, its resolution left over. 0x100's key shares
            // seven bytes with 1's, not eight.
            for (id, moderator) in [(1, 42), (3, 42), (3, u64::MAX), (5, 42)] {
                w.raw_insert("request_resolutions", &resolution(id, moderator), b"")?;
            }
            Ok::<_, StoreError>(())
        })
        .unwrap();
        drop(v1);

        let store = Store::open_with(&path, &StoreOptions::default(), 2, &MIGRATIONS[..1]).unwrap();
        assert_eq!(version(&store), 2);
        assert_eq!(
            store.read(|r| r.all(&PENDING)).unwrap(),
            vec![(2, ()), (4, ()), (0x100, ())]
        );
        assert_eq!(
            postcard::to_allocvec(&()).unwrap(),
            v2::UNIT,
            "the index's values are postcard's `()`"
        );
    }

    #[test]
    fn version_3_records_the_resolution_that_decided_each_request() {
        const DECISIONS: Table<u64, u64> = Table::new("request_decisions");
        // A resolution as 0.1 wrote it: grade (a variant index), review, comment, time.
        type Resolution = (Option<u32>, Option<String>, Option<String>, i64);
        let row = |id: u64, moderator: u64, at: i64| {
            let mut key = id.to_be_bytes().to_vec();
            key.extend_from_slice(&moderator.to_be_bytes());
            let value: Resolution = (Some(2), Some("nice".into()), None, at);
            (key, postcard::to_allocvec(&value).unwrap())
        };
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("s.redb");
        let v2 = Store::open_with(&path, &StoreOptions::default(), 2, &MIGRATIONS[..1]).unwrap();
        v2.write(|w| {
            // 1: the later moderator id resolved first; 2: two in the same second; 3: one.
            for (id, moderator, at) in [(1, 9, 100), (1, 5, 160), (2, 7, 50), (2, 6, 50), (3, 4, 1)]
            {
                let (key, value) = row(id, moderator, at);
                w.raw_insert("request_resolutions", &key, &value)?;
            }
            Ok::<_, StoreError>(())
        })
        .unwrap();
        drop(v2);

        let store = Store::open(&path, &StoreOptions::default()).unwrap();
        assert_eq!(version(&store), SCHEMA_VERSION);
        assert_eq!(
            store.read(|r| r.all(&DECISIONS)).unwrap(),
            vec![(1, 9), (2, 6), (3, 4)]
        );

        // A row that is not a resolution stops the migration, which changes nothing.
        let path = dir.path().join("bad.redb");
        let v2 = Store::open_with(&path, &StoreOptions::default(), 2, &MIGRATIONS[..1]).unwrap();
        v2.write(|w| w.raw_insert("request_resolutions", &row(1, 2, 3).0, b"\xff"))
            .unwrap();
        drop(v2);
        assert!(Store::open(&path, &StoreOptions::default()).is_err());
        let v2 = Store::open_with(&path, &StoreOptions::default(), 2, &MIGRATIONS[..1]).unwrap();
        assert_eq!(version(&v2), 2);
    }

    #[test]
    fn version_4_indexes_each_field_of_every_event() {
        const BY_FIELD: Table<(u64, (i64, u64)), ()> = Table::new("audit_by_field");
        // An event as schema 3 stored it: kind code, actor (0 bot, 1 user + id), time, fields.
        #[derive(serde::Serialize)]
        enum Actor {
            _Bot,
            User(u64),
        }
        #[derive(serde::Serialize)]
        enum Value {
            Text(String),
            Int(i64),
        }
        type Event = (u16, Actor, i64, Vec<(String, Value)>);
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("s.redb");
        let v3 = Store::open_with(&path, &StoreOptions::default(), 3, &MIGRATIONS[..2]).unwrap();
        v3.write(|w| {
            // More events than one chunk, so the walk continues past the first.
            for id in 1..=(v4::CHUNK as u64 + 5) {
                let event: Event = (
                    4,
                    Actor::User(7),
                    -5 + id as i64,
                    vec![
                        ("parameter_id".into(), Value::Text("queue.blocked".into())),
                        ("n".into(), Value::Int(id as i64 % 2)),
                    ],
                );
                let value = postcard::to_allocvec(&event).unwrap();
                w.raw_insert("audit_events", &id.to_be_bytes(), &value)?;
            }
            Ok::<_, StoreError>(())
        })
        .unwrap();
        drop(v3);
        let store = Store::open(&path, &StoreOptions::default()).unwrap();
        assert_eq!(version(&store), SCHEMA_VERSION);
        let rows = store.read(|r| r.keys(&BY_FIELD)).unwrap();
        let total = v4::CHUNK + 5;
        assert_eq!(rows.len(), 2 * total);
        let blocked = v4::field_key("parameter_id", &v4::Value::Text("queue.blocked".into()));
        let of_blocked: Vec<(i64, u64)> = rows
            .iter()
            .filter(|(key, _)| *key == blocked)
            .map(|(_, tail)| *tail)
            .collect();
        assert_eq!(of_blocked.len(), total);
        assert_eq!(of_blocked[0], (-4, 1), "negative times sort first");
        let odd = v4::field_key("n", &v4::Value::Int(1));
        assert_eq!(
            rows.iter().filter(|(key, _)| *key == odd).count(),
            total / 2 + 1
        );
    }

    /// The keys `audit::field_key` pins too: the two must agree forever.
    #[test]
    fn version_4_field_keys_are_the_audit_logs() {
        use v4::Value;
        let keys = [
            v4::field_key("parameter_id", &Value::Text("queue.blocked".into())),
            v4::field_key("request_id", &Value::Int(-42)),
            v4::field_key("enabled", &Value::Bool(true)),
            v4::field_key("target_user_id", &Value::User(1001)),
            v4::field_key("role_id", &Value::Role(7001)),
            v4::field_key("channel_id", &Value::Channel(8001)),
            v4::field_key("new_channel_id", &Value::Absent),
        ];
        assert_eq!(
            keys,
            [
                0x1248a483aba73db7,
                0xe48cabbfd0609ace,
                0xc7bdb4b7f52d21e5,
                0x181e18e73067b34b,
                0xac18960bd07897b7,
                0x870a1ccbe6ac9957,
                0x8258c96a9e12da74,
            ]
        );
    }

    #[test]
    fn a_failed_migration_keeps_the_old_version_and_data() {
        let dir = tempfile::tempdir().unwrap();
        let path = v1_store(dir.path());
        let err = Store::open_with(
            &path,
            &StoreOptions::default(),
            3,
            &[
                TO_V2[0],
                Migration {
                    to: 3,
                    run: failing,
                },
            ],
        )
        .err()
        .unwrap();
        assert!(matches!(err, OpenError::Migration { to: 3, .. }), "{err}");
        let store = Store::open_with(&path, &StoreOptions::default(), 2, TO_V2).unwrap();
        assert_eq!(version(&store), 2, "step 2 committed, step 3 rolled back");
    }

    #[test]
    fn a_newer_store_is_refused_and_not_modified() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("s.redb");
        let newer = SCHEMA_VERSION + 1;
        drop(Store::open_with(&path, &StoreOptions::default(), newer, &[]).unwrap());
        let before = std::fs::read(&path).unwrap();
        let err = Store::open(&path, &StoreOptions::default()).err().unwrap();
        assert!(
            matches!(
                err,
                OpenError::TooNew { found, supported, .. }
                    if found == newer && supported == SCHEMA_VERSION
            ),
            "{err}"
        );
        assert!(err.to_string().contains("upgrade Stagehand"));
        assert_eq!(std::fs::read(&path).unwrap(), before);
    }
}
