//! `stagehand update`: installs the newest release in place of this binary.
//!
//! The order is what makes a refusal harmless: read the feed, refuse a downgrade, download the
//! release's `SHA256SUMS` and archive into a private folder beside the binary, check the
//! checksum, the signature (against the key built in by `cargo xtask dist`), extract the binary
//! and run its `version`. Only then is the installed binary touched: it is hard-linked as
//! `stagehand.old` (a manual rollback is `mv stagehand.old stagehand`) and the new one is
//! renamed over it, one atomic step on the same file system. Any refusal before that leaves the
//! installed binary as it was, byte for byte, and the folder is removed.
//!
//! A running `serve` of the same data folder is then asked, over the admin socket, to restart
//! into the new binary (`restart <path>`): it finishes what is in flight as on SIGTERM and
//! `exec`s the file at its own path.

use std::io::{BufRead as _, IsTerminal as _, Write as _};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::Context as _;

use crate::paths::Paths;
use crate::release::{self, Feed, Look, ReleaseError};

/// The largest `SHA256SUMS` accepted.
const SUMS_LIMIT: u64 = 1024 * 1024;
/// The largest archive accepted.
const ARCHIVE_LIMIT: u64 = 512 * 1024 * 1024;
/// How many lines of the release notes are shown.
const NOTES_LINES: usize = 8;

/// What `update` was asked to do.
#[derive(Clone, Copy, Debug)]
pub struct Options {
    /// Only report whether a newer release exists.
    pub check: bool,
    /// Install without asking.
    pub yes: bool,
}

/// Why the update stopped; the installed binary is as it was.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum UpdateError {
    #[error(transparent)]
    Release(#[from] ReleaseError),
    #[error(
        "the newest release, {latest}, is older than this Stagehand ({installed}): not downgrading \
         (to go back, use the stagehand.old kept by the last update, or install that release by hand)"
    )]
    Downgrade { latest: String, installed: String },
    #[error("the new binary does not run here: {0}")]
    Broken(String),
    #[error("cannot find this binary's file: {0}")]
    Exe(std::io::Error),
    #[error("installing into {path}: {source}")]
    Install {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error(
        "not installed: no answer to the question (run `stagehand update --yes` to install without one)"
    )]
    NotConfirmed,
}

/// Runs `stagehand update`.
pub fn run(paths: &Paths, options: Options) -> anyhow::Result<ExitCode> {
    let settings = crate::paths::layers(paths, None)?
        .settings()
        .map_err(|problems| {
            let list: Vec<String> = problems.iter().map(|p| format!("  - {p}")).collect();
            anyhow::anyhow!("the settings have problems:\n{}", list.join("\n"))
        })?;
    let started = std::time::Instant::now();
    let client = Arc::new(release::http::Client::new(None)?);
    let feed = Feed::new(
        settings.update_base_url.as_str(),
        &settings.update_repository,
        client,
    )?;
    let offer = match feed.look()? {
        Look::UpToDate { latest } => {
            println!("Stagehand {latest} is installed: it is the newest release.");
            return Ok(ExitCode::SUCCESS);
        }
        Look::Older { latest } => {
            return Err(UpdateError::Downgrade {
                latest: release::printable(&latest),
                installed: release::VERSION.to_string(),
            }
            .into());
        }
        Look::Newer(offer) => offer,
    };
    println!(
        "Stagehand {} is installed; {} is available ({}).",
        release::VERSION,
        release::printable(&offer.version),
        release::printable(&offer.name)
    );
    for line in offer.notes_head(NOTES_LINES) {
        println!("  {line}");
    }
    if options.check {
        println!("Run `stagehand update` to install it.");
        return Ok(ExitCode::SUCCESS);
    }
    let key = release::release_key().ok_or(ReleaseError::NoKey)?;
    let installed = installed_path()?;
    if !options.yes && !confirm(&offer.version, &installed)? {
        return Err(UpdateError::NotConfirmed.into());
    }
    let old = stage_and_install(&feed, &offer, key, &installed)?;
    println!(
        "Stagehand {} is installed at {} (the previous binary is kept as {}); it took {:.1} s.",
        release::printable(&offer.version),
        installed.display(),
        old.display(),
        started.elapsed().as_secs_f64()
    );
    restart_server(paths, &installed);
    Ok(ExitCode::SUCCESS)
}

/// This binary's file, through any symbolic link (the link stays, its target is replaced).
fn installed_path() -> Result<PathBuf, UpdateError> {
    std::env::current_exe()
        .and_then(std::fs::canonicalize)
        .map_err(UpdateError::Exe)
}

/// Asks on the terminal; no terminal, or anything but yes, is no.
fn confirm(version: &str, installed: &Path) -> Result<bool, UpdateError> {
    if !std::io::stdin().is_terminal() {
        return Ok(false);
    }
    print!(
        "Install {} in place of {}? [y/N] ",
        release::printable(version),
        installed.display()
    );
    let _ = std::io::stdout().flush();
    let mut answer = String::new();
    if std::io::stdin().lock().read_line(&mut answer).is_err() {
        return Ok(false);
    }
    Ok(matches!(
        answer.trim().to_ascii_lowercase().as_str(),
        "y" | "yes"
    ))
}

/// Downloads and checks the release in a private folder beside `installed`, then swaps it in;
/// returns where the previous binary is kept.
fn stage_and_install(
    feed: &Feed,
    offer: &release::Offer,
    key: [u8; 32],
    installed: &Path,
) -> anyhow::Result<PathBuf> {
    let dir = installed
        .parent()
        .context("the installed binary has no folder")?;
    // Beside the binary, so the final rename stays on one file system; removed when dropped.
    let staging = tempfile::Builder::new()
        .prefix(".stagehand-update-")
        .tempdir_in(dir)
        .map_err(|source| UpdateError::Install {
            path: dir.to_path_buf(),
            source,
        })?;
    let sums = feed.download(&offer.sums, staging.path(), SUMS_LIMIT, &mut |_, _| {})?;
    let bar = progress_bar(offer.archive.name());
    let archive = feed.download(
        &offer.archive,
        staging.path(),
        ARCHIVE_LIMIT,
        &mut |done, total| {
            if let Some(total) = total {
                bar.set_length(total);
            }
            bar.set_position(done);
        },
    );
    bar.finish_and_clear();
    let archive = archive?;
    release::verify_checksum(&archive, &sums, &offer.version)?;
    release::verify_signature(&archive, key)?;
    println!("Checksum and signature are good.");
    let unpacked = staging.path().join("unpacked");
    std::fs::create_dir(&unpacked)?;
    let binary = release::extract_binary(&archive, &offer.version, release::TARGET, &unpacked)?;
    runs_as(&binary, &offer.version)?;
    install(&binary, installed)
}

fn progress_bar(name: &str) -> indicatif::ProgressBar {
    let bar = indicatif::ProgressBar::new(0);
    let style =
        indicatif::ProgressStyle::with_template("{msg} [{bar:30}] {bytes}/{total_bytes} ({eta})")
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar())
            .progress_chars("=> ");
    bar.set_style(style);
    bar.set_message(format!("downloading {}", release::printable(name)));
    bar
}

/// The new binary runs here and says it is `version`.
fn runs_as(binary: &Path, version: &str) -> Result<(), UpdateError> {
    use std::os::unix::fs::PermissionsExt as _;
    std::fs::set_permissions(binary, std::fs::Permissions::from_mode(0o755))
        .map_err(|e| UpdateError::Broken(e.to_string()))?;
    let output = std::process::Command::new(binary)
        .arg("version")
        .env_remove("STAGEHAND_CONFIG")
        .output()
        .map_err(|e| UpdateError::Broken(e.to_string()))?;
    let said = String::from_utf8_lossy(&output.stdout);
    let expected = format!("stagehand {version} ");
    if !output.status.success() || !said.starts_with(&expected) {
        return Err(UpdateError::Broken(format!(
            "`version` printed {:?}, not {expected:?}",
            release::printable(said.trim())
        )));
    }
    Ok(())
}

/// Keeps `installed` as `<name>.old` (a hard link: the same file, so nothing is copied and the
/// installed path never goes missing) and renames `new` over `installed`, keeping its mode.
fn install(new: &Path, installed: &Path) -> anyhow::Result<PathBuf> {
    let failed = |path: &Path| {
        let path = path.to_path_buf();
        move |source| UpdateError::Install { path, source }
    };
    let mode = std::fs::metadata(installed)
        .map_err(failed(installed))?
        .permissions();
    std::fs::set_permissions(new, mode).map_err(failed(new))?;
    let name = installed
        .file_name()
        .context("the installed binary has no file name")?;
    let mut old_name = name.to_os_string();
    old_name.push(".old");
    let old = installed.with_file_name(&old_name);
    let mut linking = old_name.clone();
    linking.push(".partial");
    let linking = installed.with_file_name(linking);
    let _ = std::fs::remove_file(&linking);
    std::fs::hard_link(installed, &linking).map_err(failed(&linking))?;
    std::fs::rename(&linking, &old).map_err(failed(&old))?;
    std::fs::rename(new, installed).map_err(failed(installed))?;
    if let Some(dir) = installed.parent()
        && let Ok(dir) = std::fs::File::open(dir)
    {
        let _ = dir.sync_all();
    }
    Ok(old)
}

/// Asks a running `serve` of this data folder to restart into `installed`; quiet when none runs.
fn restart_server(paths: &Paths, installed: &Path) {
    let socket = paths.admin_socket();
    if !socket.exists() {
        return;
    }
    let request = format!("restart {}", installed.display());
    let asked = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(anyhow::Error::from)
        .and_then(|rt| rt.block_on(super::socket::ask(&socket, &request, |_, _| {})));
    if let Err(err) = asked {
        println!(
            "The running server was not restarted ({err:#}); restart it to use the new version."
        );
    }
}
