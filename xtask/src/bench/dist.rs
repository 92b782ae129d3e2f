//! The release as users get it, from `cargo xtask dist`'s own code with a throwaway key:
//! `dist_binary_mib` and `dist_archive_mib` (the static, stripped binary and its signed
//! archive), `dist_cold_start_ms` (that binary from nothing to listening in an empty folder,
//! median of 15) and `update_s` (`stagehand update --yes` run by that binary against a release
//! feed on loopback in GitHub's shape: the feed, the download, checksum and signature, unpacking,
//! the new binary's `version`, the swap; median of 5).
//!
//! The newer release is this tree with the minor version bumped, built in the `dist-test`
//! profile (unoptimised: only its `version` runs during an update, and its archive is larger
//! than a release's, so `update_s` errs on the slow side).

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Instant;

use anyhow::{Context as _, ensure};

use super::Figure;
use super::fakes::releases;
use super::startup::Run;
use crate::dist;

pub fn figures() -> anyhow::Result<Vec<Figure>> {
    let root = crate::project_root();
    let base = root.join("target/bench-dist");
    let key = dist::generate_key()?;
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let options = |root: &Path, profile: &str, out: &str, locked: bool| dist::Options {
        root: root.to_path_buf(),
        target_dir: crate::project_root().join("target"),
        profile: profile.into(),
        out: base.join(out),
        key: key.clone(),
        cargo: cargo.clone(),
        locked,
    };
    let current = dist::build(&options(&root, "release", "current", true))?;
    let installed = base.join("current/stagehand");
    std::fs::copy(&current.binary, &installed)?;
    let next_root = base.join("next-src");
    let next_version = dist::next_version(&current.version);
    dist::copy_tree_with_version(&root, &next_root, &next_version)?;
    let next = dist::build(&options(&next_root, "dist-test", "next", false))?;

    let mib = |path: &Path| -> anyhow::Result<f64> {
        Ok(std::fs::metadata(path)?.len() as f64 / (1024.0 * 1024.0))
    };
    let cold_start = super::median(15, || {
        Ok(Run::start(&installed)?.startup().as_secs_f64() * 1000.0)
    })?;

    let feed = releases::FakeReleases::start();
    feed.set(vec![
        releases::release(
            &current.version,
            "This release.",
            &releases::files_of(&current.archive, &current.sums),
        ),
        releases::release(
            &next.version,
            "The newer release.",
            &releases::files_of(&next.archive, &next.sums),
        ),
    ]);
    let update = super::median(5, || {
        update_once(&installed, &feed.base_url(), &next.version)
    })?;
    Ok(vec![
        Figure {
            name: "dist_binary_mib",
            value: mib(&installed)?,
            unit: "MiB",
        },
        Figure {
            name: "dist_archive_mib",
            value: mib(&current.archive)?,
            unit: "MiB",
        },
        Figure {
            name: "dist_cold_start_ms",
            value: cold_start,
            unit: "ms",
        },
        Figure {
            name: "update_s",
            value: update,
            unit: "s",
        },
    ])
}

/// Installs `binary` in a fresh folder, runs `update --yes` there against `feed`, checks the
/// newer binary took its place, and returns the seconds the update took.
fn update_once(binary: &Path, feed: &str, version: &str) -> anyhow::Result<f64> {
    let dir = std::env::temp_dir().join(format!(
        "stagehand-bench-update-{}-{}",
        std::process::id(),
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)?
            .as_nanos()
    ));
    std::fs::create_dir_all(&dir)?;
    let measured = (|| {
        let installed = dir.join("stagehand");
        std::fs::copy(binary, &installed)?;
        let started = Instant::now();
        let output = Command::new(&installed)
            .arg("--data-dir")
            .arg(dir.join("data"))
            .args(["update", "--yes"])
            .env("STAGEHAND_UPDATE_BASE_URL", feed)
            .env("STAGEHAND_UPDATE_REPOSITORY", releases::REPOSITORY)
            .stdin(Stdio::null())
            .output()
            .context("running stagehand update")?;
        let took = started.elapsed().as_secs_f64();
        ensure!(
            output.status.success(),
            "update failed: {}{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
        let said = Command::new(&installed).arg("version").output()?;
        ensure!(
            String::from_utf8_lossy(&said.stdout).starts_with(&format!("stagehand {version} ")),
            "the installed binary is not {version} after the update"
        );
        Ok(took)
    })();
    let _ = std::fs::remove_dir_all(&dir);
    measured
}
