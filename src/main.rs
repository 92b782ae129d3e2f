//! The `stagehand` command line: parses arguments, runs the chosen command, maps the outcome to
//! an exit code (0 success, 1 failure or problems found, 2 bad usage).

/// mimalloc instead of the C library's allocator: answering an interaction is mostly serenity,
/// reqwest and hyper allocating and freeing small buffers across threads, and with mimalloc it
/// takes 18% less CPU (`cargo xtask bench discord`: 65 µs against 80 µs per `/help`).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use stagehand::app;
use stagehand::ops::{backup, check, socket};
use stagehand::paths::{self, Paths};
use stagehand::store::OpenError;

#[derive(Parser)]
#[command(
    name = "stagehand",
    version,
    about = "Runs a rhythm-game community's Discord server: an osu! league and a Geometry Dash level-request desk."
)]
struct Cli {
    /// Folder for the database, backups and the admin socket.
    #[arg(
        long,
        global = true,
        env = "STAGEHAND_DATA_DIR",
        default_value = "data"
    )]
    data_dir: PathBuf,
    /// Settings file (TOML); by default `stagehand.toml` in the working directory, if present.
    #[arg(long, global = true, env = "STAGEHAND_CONFIG")]
    config: Option<PathBuf>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run the server. On first run, prints a one-time setup link.
    Serve,
    /// Write a consistent snapshot of the store (works while `serve` runs).
    Backup {
        /// Where to write it; default: a timestamped file in <data-dir>/backups.
        #[arg(long)]
        out: Option<PathBuf>,
    },
    /// Replace the store with a snapshot (stop `serve` first); the current store is saved.
    Restore {
        /// The snapshot file to restore.
        file: PathBuf,
    },
    /// Validate the settings and the store, and print the settings in effect.
    Check,
    /// Move in from the original bots: bring in a Request Bot database or an osu!Arena dump
    /// (stop `serve` first). One transaction: it all goes in, or nothing changes.
    #[command(subcommand)]
    Import(Import),
    /// Install the newest release in place of this binary, after checking its checksum and
    /// signature; the previous binary is kept as `stagehand.old`, and a running `serve` of the
    /// same data folder restarts into the new one.
    Update {
        /// Only say whether a newer release exists.
        #[arg(long)]
        check: bool,
        /// Install without asking.
        #[arg(long)]
        yes: bool,
    },
    /// The Control Panel API: turn it on for a staff member (printing its new key once),
    /// replace the key, turn it off, or show its state. Works while `serve` runs.
    #[command(name = "control-panel", subcommand)]
    ControlPanel(Panel),
    /// Print the version.
    Version,
}

#[derive(Subcommand)]
enum Import {
    /// The GD Request Bot's SQLite database (`data/database.db`): requests, opinions, reviews,
    /// cooldowns and bans, permissions, parameters, routes, edited texts, the event log and
    /// saved log filters.
    Requestbot {
        /// The database file.
        file: PathBuf,
        #[command(flatten)]
        options: ImportOptions,
    },
    /// A plain-text `pg_dump` of osu!Arena's database: players, league tables, seasons,
    /// seasonal points, archived tables and challenges.
    #[command(name = "osu-arena")]
    OsuArena {
        /// The dump (`pg_dump --format=plain`).
        dump: PathBuf,
        #[command(flatten)]
        options: ImportOptions,
    },
}

#[derive(clap::Args)]
struct ImportOptions {
    /// Report what would be imported and every row that would be skipped; change nothing.
    #[arg(long)]
    dry_run: bool,
    /// Import even though the store holds this module's data: a snapshot is written first,
    /// then that data is replaced.
    #[arg(long)]
    replace: bool,
}

#[derive(Subcommand)]
enum Panel {
    /// Turn the API on for a staff member, with a new key (replacing any key before).
    On {
        /// The Discord user id of the staff member the panel's actions are attributed to.
        #[arg(long)]
        staff: String,
    },
    /// Replace the key; the old one stops working at once.
    Rotate,
    /// Turn the API off.
    Off,
    /// Show whether the API is on, and for whom.
    Status,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let paths = Paths {
        data_dir: cli.data_dir,
        config: cli.config,
    };
    let outcome = match cli.command {
        Command::Serve => runtime()
            .and_then(|rt| rt.block_on(app::serve(paths.clone())))
            .and_then(|stopped| match stopped {
                app::Stopped::Signal => Ok(ExitCode::SUCCESS),
                app::Stopped::Restart(exe) => Err(exec(&exe)),
            }),
        Command::Update { check, yes } => {
            stagehand::ops::update::run(&paths, stagehand::ops::update::Options { check, yes })
        }
        Command::Backup { out } => backup(&paths, out),
        Command::Restore { file } => restore(&paths, &file),
        Command::Check => check(&paths),
        Command::Import(what) => import(&paths, what),
        Command::ControlPanel(panel) => control_panel(&paths, panel),
        Command::Version => {
            println!(
                "stagehand {} ({}, {}{})",
                env!("CARGO_PKG_VERSION"),
                env!("STAGEHAND_GIT"),
                env!("STAGEHAND_TARGET"),
                if stagehand::release::release_key().is_some() {
                    ", signed release"
                } else {
                    ""
                }
            );
            Ok(ExitCode::SUCCESS)
        }
    };
    outcome.unwrap_or_else(|err| {
        eprintln!("error: {err:#}");
        if let Some(damaged) = backup::damaged_file(&err) {
            eprintln!("{}", backup::damage_advice(&paths, &damaged));
        }
        ExitCode::FAILURE
    })
}

/// Replaces this process with the binary at `exe`, same arguments and environment (the PID stays,
/// so a service manager keeps following it). Returns only when that fails.
fn exec(exe: &std::path::Path) -> anyhow::Error {
    use std::os::unix::process::CommandExt as _;
    let err = std::process::Command::new(exe)
        .args(std::env::args_os().skip(1))
        .exec();
    anyhow::Error::from(err).context(format!("restarting into {}", exe.display()))
}

/// One worker thread per core; `TOKIO_WORKER_THREADS` overrides the count.
fn runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    Ok(tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?)
}

fn progress_bar(what: &'static str) -> indicatif::ProgressBar {
    let bar = indicatif::ProgressBar::new(0);
    let style = indicatif::ProgressStyle::with_template("{msg} [{bar:30}] {pos}/{len} ({eta})")
        .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar())
        .progress_chars("=> ");
    bar.set_style(style);
    bar.set_message(what);
    bar
}

fn backup(paths: &Paths, out: Option<PathBuf>) -> anyhow::Result<ExitCode> {
    let out = match out {
        Some(out) => std::path::absolute(out)?,
        None => std::path::absolute(backup::snapshot_path(
            &paths.backups(),
            jiff::Timestamp::now(),
            "",
        ))?,
    };
    backup::check_destination(paths, &out)?;
    if !paths.store().exists() {
        return Err(backup::BackupError::NoStore(paths.store()).into());
    }
    let bar = progress_bar("backing up");
    let mut progress = |done, total| {
        bar.set_length(total);
        bar.set_position(done);
    };
    match paths::open_store(paths, 16) {
        Ok(store) => {
            let keep = paths::layers(paths, Some(&store))?
                .settings()
                .map_or(7, |s| s.backup_keep);
            let info = backup::create(&store, &out, &paths.backups(), keep, &mut progress)?;
            bar.finish_and_clear();
            println!("{}", backup::describe_snapshot(&out, &info));
        }
        Err(OpenError::InUse(_)) => {
            let request = format!("backup {}", out.display());
            runtime()?.block_on(socket::ask(&paths.admin_socket(), &request, &mut progress))?;
            bar.finish_and_clear();
        }
        Err(err) => return Err(anyhow::Error::from(err).context("no snapshot was written")),
    }
    Ok(ExitCode::SUCCESS)
}

fn restore(paths: &Paths, file: &std::path::Path) -> anyhow::Result<ExitCode> {
    let keep = paths::layers(paths, None)?
        .settings()
        .map_or(7, |s| s.backup_keep);
    let bar = progress_bar("restoring");
    let restored = backup::restore(paths, file, keep, &mut |done, total| {
        bar.set_length(total);
        bar.set_position(done);
    })?;
    bar.finish_and_clear();
    if let Err(err) = &restored.pruned {
        eprintln!("warning: removing old snapshots failed: {err}");
    }
    match &restored.previous {
        Some(previous) if restored.previous_damaged => println!(
            "the replaced store was damaged; its file was kept as it was in {}",
            previous.display()
        ),
        Some(previous) => println!("the replaced store was saved to {}", previous.display()),
        None => {}
    }
    println!(
        "restored {} ({} entries, schema {}); start `stagehand serve` to use it",
        file.display(),
        restored.info.entries,
        restored.info.schema
    );
    Ok(ExitCode::SUCCESS)
}

fn import(paths: &Paths, what: Import) -> anyhow::Result<ExitCode> {
    use stagehand::ops::import::{self, Options, Source};
    let (source, file, options) = match what {
        Import::Requestbot { file, options } => (Source::RequestBot, file, options),
        Import::OsuArena { dump, options } => (Source::OsuArena, dump, options),
    };
    let options = Options {
        dry_run: options.dry_run,
        replace: options.replace,
    };
    let bars = indicatif::MultiProgress::new();
    let mut current: Option<(&'static str, indicatif::ProgressBar)> = None;
    let mut progress = |table: &'static str, done: u64, total: u64| {
        // Only the large tables get a bar.
        if total < 1_000 {
            return;
        }
        if current.as_ref().is_none_or(|(name, _)| *name != table) {
            if let Some((_, bar)) = current.take() {
                bar.finish_and_clear();
            }
            current = Some((table, bars.add(progress_bar(table))));
        }
        if let Some((_, bar)) = &current {
            bar.set_length(total);
            bar.set_position(done);
        }
    };
    let now = jiff::Timestamp::now().as_second();
    let report = import::run(paths, source, &file, options, now, &mut progress)?;
    let _ = bars.clear();
    print!("{}", report.text());
    Ok(ExitCode::SUCCESS)
}

fn control_panel(paths: &Paths, panel: Panel) -> anyhow::Result<ExitCode> {
    use stagehand::ops::panel::Request;
    let request = match panel {
        Panel::On { staff } => Request::parse(&format!("on {staff}"))?,
        Panel::Rotate => Request::Rotate,
        Panel::Off => Request::Off,
        Panel::Status => Request::Status,
    };
    if !paths.store().exists() {
        anyhow::bail!(
            "there is no store at {} (is --data-dir right? `stagehand serve` creates it)",
            paths.store().display()
        );
    }
    match paths::open_store(paths, 16) {
        Ok(store) => {
            let settings = paths::layers(paths, Some(&store))?.settings().ok();
            let base = settings.map_or_else(
                || "https://localhost:8443".to_string(),
                |s| s.base_url(s.http_port),
            );
            let now = jiff::Timestamp::now().as_second();
            for line in stagehand::ops::panel::run(&store, request, &base, now)? {
                println!("{line}");
            }
        }
        Err(OpenError::InUse(_)) => {
            runtime()?.block_on(socket::ask(
                &paths.admin_socket(),
                &request.line(),
                |_, _| {},
            ))?;
        }
        Err(err) => return Err(err.into()),
    }
    Ok(ExitCode::SUCCESS)
}

fn check(paths: &Paths) -> anyhow::Result<ExitCode> {
    let report = if paths.store().exists() {
        match paths::open_store(paths, 16) {
            Ok(store) => check::report_verified(paths, &store),
            Err(OpenError::InUse(_)) => {
                let verdict =
                    runtime()?.block_on(socket::ask(&paths.admin_socket(), "check", |_, _| {}));
                return Ok(if verdict.is_ok() {
                    ExitCode::SUCCESS
                } else {
                    ExitCode::FAILURE
                });
            }
            Err(err) => {
                println!("store: {err}");
                if let OpenError::Damaged { path, .. } = &err {
                    println!("{}", backup::damage_advice(paths, path));
                }
                return Ok(ExitCode::FAILURE);
            }
        }
    } else {
        check::report(paths, None)
    };
    for line in &report.lines {
        println!("{line}");
    }
    Ok(if report.problems == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}
