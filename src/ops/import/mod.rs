//! `stagehand import requestbot FILE.db | osu-arena DUMP.sql`: moving a community in from the
//! original bots with its history (gd-requestbot §12, osu-arena §11).
//!
//! Each import reads its whole source first ([`requestbot`]: the Request Bot's SQLite file;
//! [`arena`]: a plain-text `pg_dump` of osu!Arena, read by [`pgdump`]), so a file that is not
//! what it claims is refused before the store is opened. It then opens the store, which must not
//! be held by a running `serve` (the store's lock says so: [`ImportError::ServerRunning`]), and
//! writes every row in ONE write transaction through the owning modules' own `import` calls —
//! the same tables and row types the bot uses, and records `DATA_IMPORTED` (posted to the `log`
//! route at the next start). A failure rolls the transaction back, so the
//! store is left as it was; a dry run (`--dry-run`) runs the same transaction and rolls it back
//! on purpose, so its report is exactly what an import would do.
//!
//! A store that already holds the module's data is refused unless `--replace` is given; then a
//! snapshot is written first (as `stagehand backup` does) and the module's tables are emptied in
//! the import's transaction. The [`Report`] counts every table read and imported, and lists every
//! row skipped with its reason.
//!
//! May call `store`, `paths`, `ops::backup`, and the use-case and service modules whose rows it
//! writes (`requests`, `league`, `audit`, `access`, `params`, `routes`, `i18n`, `outbox::route`).

pub mod arena;
pub mod pgdump;
pub mod requestbot;

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use crate::audit::{self, Actor, Event, EventKind};
use crate::ops::backup;
use crate::paths::{self, Paths};
use crate::store::{OpenError, Reader, SnapshotError, Store, StoreError, Writer};

/// What to do besides importing.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Options {
    /// Report what would be imported, and change nothing.
    pub dry_run: bool,
    /// Import into a store that already holds the module's data: a snapshot first, then the
    /// module's tables emptied and filled from the source.
    pub replace: bool,
}

/// Where the rows come from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Source {
    RequestBot,
    OsuArena,
}

impl Source {
    /// Its name in `stagehand import` and in the event log.
    fn name(self) -> &'static str {
        match self {
            Source::RequestBot => "requestbot",
            Source::OsuArena => "osu-arena",
        }
    }

    /// The module whose data it brings.
    fn module(self) -> &'static str {
        match self {
            Source::RequestBot => "request desk",
            Source::OsuArena => "osu! league",
        }
    }
}

/// Told as each table is written: its name, rows done, rows in all.
pub type Progress<'a> = &'a mut dyn FnMut(&'static str, u64, u64);

/// Why an import changed nothing.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ImportError {
    #[error("cannot read {path}: {detail}")]
    Unreadable { path: PathBuf, detail: String },
    #[error("{path} is not a Request Bot database: {detail}")]
    NotRequestBot { path: PathBuf, detail: String },
    #[error("{path}: {error}")]
    BadDump {
        path: PathBuf,
        error: pgdump::DumpError,
    },
    #[error("{path} is not a dump of osu!Arena: {detail}")]
    NotArena { path: PathBuf, detail: String },
    #[error(
        "a running `stagehand serve` holds the store ({0}); stop it first: an import needs the store to itself"
    )]
    ServerRunning(PathBuf),
    #[error(
        "the store already holds {module} data ({detail}); nothing was imported. `--replace` replaces it (after a snapshot), `--dry-run` shows what would be imported"
    )]
    AlreadyHolds {
        module: &'static str,
        detail: String,
    },
    #[error("opening the store")]
    Open(#[from] OpenError),
    #[error("the snapshot before replacing failed, so nothing was imported")]
    Snapshot(#[from] SnapshotError),
    #[error("writing the store failed, so nothing was imported")]
    Store(#[from] StoreError),
}

/// One table's rows: how many the source has, and how many were (or would be) imported.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Count {
    pub table: String,
    pub read: u64,
    pub imported: u64,
}

/// A row left out, and why.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Skip {
    pub table: String,
    /// Which row: its key in the source.
    pub row: String,
    pub reason: String,
}

/// What an import did, or (dry run) would do.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Report {
    pub counts: Vec<Count>,
    pub skipped: Vec<Skip>,
    /// What the reader should know about the mapping (facts the source does not keep).
    pub notes: Vec<String>,
    /// Pending requests whose Reviewer's Widget Stagehand posts at its next start.
    pub widgets: u64,
    pub dry_run: bool,
    /// The snapshot written before replacing.
    pub snapshot: Option<PathBuf>,
}

impl Report {
    /// Counts `read` rows of `table`; [`Report::imported`] adds to what was imported.
    fn read(&mut self, table: &str, read: u64) {
        self.counts.push(Count {
            table: table.to_string(),
            read,
            imported: 0,
        });
    }

    fn imported(&mut self, table: &str) {
        if let Some(count) = self.counts.iter_mut().find(|c| c.table == table) {
            count.imported += 1;
        }
    }

    fn skip(&mut self, table: &str, row: impl ToString, reason: impl ToString) {
        self.skipped.push(Skip {
            table: table.to_string(),
            row: row.to_string(),
            reason: reason.to_string(),
        });
    }

    /// The count of `table`, if it was read.
    pub fn count(&self, table: &str) -> Option<&Count> {
        self.counts.iter().find(|c| c.table == table)
    }

    /// The report as printed: the summary table, the notes, then every skipped row.
    pub fn text(&self) -> String {
        let mut out = String::new();
        let verb = if self.dry_run {
            "would import"
        } else {
            "imported"
        };
        let width = self
            .counts
            .iter()
            .map(|c| c.table.len())
            .max()
            .unwrap_or(5)
            .max(5);
        let _ = writeln!(
            out,
            "{:<width$}  {:>9}  {:>12}  {:>7}",
            "table", "read", verb, "skipped"
        );
        for c in &self.counts {
            let skipped = self.skipped.iter().filter(|s| s.table == c.table).count();
            let _ = writeln!(
                out,
                "{:<width$}  {:>9}  {:>12}  {:>7}",
                c.table, c.read, c.imported, skipped
            );
        }
        let _ = writeln!(
            out,
            "pending requests that {} a fresh Reviewer's Widget from Stagehand at its next start: {}",
            if self.dry_run { "would get" } else { "get" },
            self.widgets
        );
        for note in &self.notes {
            let _ = writeln!(out, "note: {note}");
        }
        for s in &self.skipped {
            let _ = writeln!(out, "skipped {} {}: {}", s.table, s.row, s.reason);
        }
        if let Some(snapshot) = &self.snapshot {
            let _ = writeln!(
                out,
                "the store as it was is saved in {}",
                snapshot.display()
            );
        }
        if self.dry_run {
            out.push_str("dry run: nothing was changed\n");
        }
        out
    }
}

/// The write's own failures: a store error, or the dry run's deliberate rollback.
enum Abort {
    Store(StoreError),
    DryRun(Report),
}

impl From<StoreError> for Abort {
    fn from(err: StoreError) -> Abort {
        Abort::Store(err)
    }
}

/// A source read whole, ready to be written ([`requestbot::RequestBot`], [`arena::Arena`]).
pub trait Rows {
    /// What in `w` says the module already has data (`None`: nothing).
    fn held(&self, r: &Reader) -> Result<Option<String>, StoreError>;
    /// Empties the module's tables (`--replace`).
    fn clear(&self, w: &mut Writer) -> Result<(), StoreError>;
    /// Writes every row into `w`, counting into `report`.
    fn write(
        &self,
        w: &mut Writer,
        report: &mut Report,
        now: i64,
        progress: Progress,
    ) -> Result<(), StoreError>;
}

/// Runs an import of `file` into the store of `paths`.
pub fn run(
    paths: &Paths,
    source: Source,
    file: &Path,
    options: Options,
    now: i64,
    progress: Progress,
) -> Result<Report, ImportError> {
    let rows: Box<dyn Rows> = match source {
        Source::RequestBot => Box::new(requestbot::read(file)?),
        Source::OsuArena => Box::new(arena::read(file)?),
    };
    let live = paths.store();
    let exists = std::fs::metadata(&live).is_ok_and(|m| m.len() > 0);
    if exists {
        // Asked read-only, so a refusal leaves the file byte for byte as it was (a store opened
        // to write is rewritten as it closes). Other trouble is reported by the open below.
        match crate::store::read_file(&live, |r| rows.held(r)) {
            Err(OpenError::InUse(path)) => return Err(ImportError::ServerRunning(path)),
            Ok(Some(detail)) if !options.replace => {
                return Err(ImportError::AlreadyHolds {
                    module: source.module(),
                    detail,
                });
            }
            _ => {}
        }
    }
    if options.dry_run {
        // On a scratch copy (or an empty scratch store): the live file is not even opened to
        // write.
        let scratch_err = |e: std::io::Error| ImportError::Unreadable {
            path: live.clone(),
            detail: e.to_string(),
        };
        let scratch = tempfile::tempdir().map_err(scratch_err)?;
        let copy = scratch.path().join("dry-run.redb");
        if exists {
            std::fs::copy(&live, &copy).map_err(scratch_err)?;
        }
        let store = Store::open(&copy, &crate::store::StoreOptions::default())?;
        return into_store(&store, paths, source, rows.as_ref(), options, now, progress);
    }
    let store = match paths::open_store(paths, 64) {
        Ok(store) => store,
        Err(OpenError::InUse(path)) => return Err(ImportError::ServerRunning(path)),
        Err(err) => return Err(err.into()),
    };
    into_store(&store, paths, source, rows.as_ref(), options, now, progress)
}

/// Writes `rows` into `store` (see [`run`]). The store is asked again whether it holds the
/// module's data: a dry run's scratch copy, or a store the read-only look could not read.
fn into_store(
    store: &Store,
    paths: &Paths,
    source: Source,
    rows: &dyn Rows,
    options: Options,
    now: i64,
    progress: Progress,
) -> Result<Report, ImportError> {
    let held = store.read(|r| rows.held(r))?;
    if let Some(detail) = &held
        && !options.replace
    {
        return Err(ImportError::AlreadyHolds {
            module: source.module(),
            detail: detail.clone(),
        });
    }
    let mut snapshot = None;
    if held.is_some() && !options.dry_run {
        let out = backup::snapshot_path(
            &paths.backups(),
            jiff::Timestamp::from_second(now).unwrap_or(jiff::Timestamp::UNIX_EPOCH),
            "before-import",
        );
        backup::create(store, &out, &paths.backups(), u32::MAX, &mut |_, _| {})?;
        snapshot = Some(out);
    }
    let outcome = store.write(|w| {
        let mut report = Report {
            dry_run: options.dry_run,
            ..Report::default()
        };
        if held.is_some() {
            rows.clear(w)?;
        }
        rows.write(w, &mut report, now, progress)?;
        let count = |n: usize| i64::try_from(n).unwrap_or(i64::MAX);
        let imported: u64 = report.counts.iter().map(|c| c.imported).sum();
        let event = Event::new(EventKind::DataImported, Actor::Bot, now)
            .with("source", source.name())
            .with("imported_rows", i64::try_from(imported).unwrap_or(i64::MAX))
            .with("skipped_rows", count(report.skipped.len()));
        audit::record(w, &event)?;
        if options.dry_run {
            Err(Abort::DryRun(report))
        } else {
            Ok(report)
        }
    });
    match outcome {
        Ok(mut report) => {
            report.snapshot = snapshot;
            Ok(report)
        }
        Err(Abort::DryRun(report)) => Ok(report),
        Err(Abort::Store(err)) => Err(err.into()),
    }
}

/// The name a Python enum member of `value` has (`queue.block_at` → `QUEUE_BLOCK_AT`): the
/// Request Bot stores members by name, Stagehand names things by value.
fn member_name(value: &str) -> String {
    value
        .chars()
        .map(|c| match c {
            '.' | '-' | ' ' => '_',
            c => c.to_ascii_uppercase(),
        })
        .collect()
}

/// A 64-bit id stored as a signed integer (SQLite and PostgreSQL have no unsigned ones): `None`
/// for zero and negative values, which no Discord, osu! or GD id is.
fn id(value: i64) -> Option<u64> {
    u64::try_from(value).ok().filter(|id| *id > 0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn member_names_and_ids() {
        assert_eq!(member_name("queue.block_at"), "QUEUE_BLOCK_AT");
        assert_eq!(
            member_name("request.approved.grade.starrate"),
            "REQUEST_APPROVED_GRADE_STARRATE"
        );
        assert_eq!(id(5), Some(5));
        assert_eq!(id(0), None);
        assert_eq!(id(-5), None);
        assert_eq!(id(i64::MAX), Some(i64::MAX as u64));
    }

    #[test]
    fn the_summary_table_lines_up() {
        let mut report = Report::default();
        report.read("request", 3);
        report.imported("request");
        report.imported("request");
        report.skip("request", 7, "never submitted");
        report.widgets = 1;
        let text = report.text();
        assert!(
            text.contains("request          3             2        1"),
            "{text}"
        );
        assert!(
            text.contains("skipped request 7: never submitted"),
            "{text}"
        );
        assert!(text.contains("at its next start: 1"), "{text}");
    }
}
