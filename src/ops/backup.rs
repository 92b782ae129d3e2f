//! Backups: snapshot files with retention, and restoring one in place of the live store.
//!
//! Snapshots are named `stagehand-<UTC time>.redb` in the backups folder, so their names sort by
//! age; retention deletes the oldest beyond `backup.keep` and never touches other files.

use std::io::{Read, Write};
use std::path::{Path, PathBuf};

use crate::paths::Paths;
use crate::store::{
    OpenError, Progress, SnapshotError, SnapshotInfo, Store, StoreOptions, inspect,
};

const PREFIX: &str = "stagehand-";
const SUFFIX: &str = ".redb";

/// `backups/stagehand-20261124T101530.123Z.redb` (with `-tag` before the suffix when given).
pub fn snapshot_path(dir: &Path, now: jiff::Timestamp, tag: &str) -> PathBuf {
    let stamp = now.strftime("%Y%m%dT%H%M%S%.3fZ");
    let tag = if tag.is_empty() {
        String::new()
    } else {
        format!("-{tag}")
    };
    dir.join(format!("{PREFIX}{stamp}{tag}{SUFFIX}"))
}

/// Writes a snapshot of `store` to `out`, then keeps only the newest `keep` in `dir`.
pub fn create(
    store: &Store,
    out: &Path,
    dir: &Path,
    keep: u32,
    progress: Progress,
) -> Result<SnapshotInfo, SnapshotError> {
    if let Some(parent) = out.parent() {
        std::fs::create_dir_all(parent).map_err(|source| SnapshotError::Io {
            path: parent.to_path_buf(),
            source,
        })?;
    }
    let info = store.snapshot_to(out, progress)?;
    prune(dir, keep).map_err(|source| SnapshotError::Io {
        path: dir.to_path_buf(),
        source,
    })?;
    Ok(info)
}

/// Deletes the oldest snapshots in `dir` beyond the newest `keep`; returns what it deleted.
pub fn prune(dir: &Path, keep: u32) -> std::io::Result<Vec<PathBuf>> {
    let mut snapshots: Vec<PathBuf> = match std::fs::read_dir(dir) {
        Ok(entries) => entries
            .filter_map(Result::ok)
            .map(|e| e.path())
            .filter(|p| {
                p.file_name()
                    .and_then(|n| n.to_str())
                    .is_some_and(|n| n.starts_with(PREFIX) && n.ends_with(SUFFIX))
            })
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
}

/// Replaces the live store with `file` after checking it and saving the current store.
pub fn restore(
    paths: &Paths,
    file: &Path,
    keep: u32,
    progress: Progress,
) -> Result<Restored, RestoreError> {
    let info = inspect(file).map_err(|reason| RestoreError::Refused {
        path: file.to_path_buf(),
        reason,
    })?;
    let live = paths.store();
    let previous = if live.exists() {
        let current = match Store::open(&live, &StoreOptions::default()) {
            Ok(store) => store,
            Err(OpenError::InUse(_)) => return Err(RestoreError::ServerRunning),
            Err(err) => return Err(RestoreError::Current(err)),
        };
        let saved = snapshot_path(&paths.backups(), jiff::Timestamp::now(), "before-restore");
        create(
            &current,
            &saved,
            &paths.backups(),
            keep.max(1),
            &mut |_, _| {},
        )
        .map_err(RestoreError::SaveCurrent)?;
        Some(saved)
    } else {
        None
    };
    let staging = live.with_extension("redb.restoring");
    copy_with_progress(file, &staging, progress)?;
    std::fs::rename(&staging, &live).map_err(|source| RestoreError::Io {
        path: live.clone(),
        source,
    })?;
    Ok(Restored { info, previous })
}

fn copy_with_progress(from: &Path, to: &Path, progress: Progress) -> Result<(), RestoreError> {
    let io = |path: &Path| {
        let path = path.to_path_buf();
        move |source| RestoreError::Io { path, source }
    };
    let mut input = std::fs::File::open(from).map_err(io(from))?;
    let total = input.metadata().map_err(io(from))?.len();
    let mut output = std::fs::File::create(to).map_err(io(to))?;
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
        let deleted = prune(dir.path(), 3).unwrap();
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
        assert_eq!(prune(dir.path(), 3).unwrap(), Vec::<PathBuf>::new());
        assert_eq!(
            prune(&dir.path().join("absent"), 3).unwrap(),
            Vec::<PathBuf>::new()
        );
    }
}
