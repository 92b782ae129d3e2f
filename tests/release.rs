//! Issue 26: the release path end to end, on the release builds `cargo xtask dist`'s own code
//! makes (`support::dist`: static, stripped, stamped, signed with a test key).
//!
//! - The dist binary is static and runs in an empty root (`chroot` into a folder holding only
//!   the binary): `version`, and `serve` up to an answer over TLS.
//! - `stagehand update` against a fake GitHub releases feed on loopback: `--check` sees the
//!   newer build, `--yes` installs it (the old one kept as `stagehand.old`), and a tampered
//!   archive, a bad signature, a wrong checksum, a cut-short download, a missing asset, a
//!   downgrade and a server error are each refused with the reason, the installed binary
//!   byte for byte as it was.
//! - A running `serve` logs the newer release and restarts into the new binary when `update`
//!   has put it in place, with the same PID and its store.
//!
//! The first run builds both release binaries (a few minutes: a static build of every
//! dependency); later runs find them fresh unless `src/` changed. Each test prints its figures.

use std::io::{BufRead as _, BufReader, Read as _};
use std::os::unix::fs::PermissionsExt as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::support::dist::{self, TARGET, xdist};
use crate::support::releases::{FakeReleases, REPOSITORY, files_of, release, sums_for};
use crate::support::{Server, stagehand_at};

fn block_on<F: std::future::Future>(future: F) -> F::Output {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
        .block_on(future)
}

/// Where `name` is on this process's `PATH` (a command run with a cleared environment is looked
/// up on the child's, empty, `PATH`).
fn program(name: &str) -> PathBuf {
    let path = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&path)
        .chain(["/usr/sbin".into(), "/sbin".into()])
        .map(|dir| dir.join(name))
        .find(|candidate| candidate.is_file())
        .unwrap_or_else(|| panic!("{name} is not installed"))
}

/// Copies `binary` into `dir` as `stagehand`, executable.
fn install(binary: &Path, dir: &Path) -> PathBuf {
    let installed = dir.join("stagehand");
    crate::support::copy_executable(binary, &installed).unwrap();
    installed
}

/// The names under the archive's one folder, and the binary's bytes in it.
fn archive_contents(archive: &Path) -> (Vec<String>, Vec<u8>) {
    let file = std::fs::File::open(archive).unwrap();
    let mut tar = tar::Archive::new(flate2::read::GzDecoder::new(file));
    let mut names = Vec::new();
    let mut binary = Vec::new();
    for entry in tar.entries().unwrap() {
        let mut entry = entry.unwrap();
        let path = entry.path().unwrap().to_string_lossy().into_owned();
        if path.ends_with("/stagehand") {
            entry.read_to_end(&mut binary).unwrap();
        }
        names.push(path);
    }
    names.sort();
    (names, binary)
}

#[test]
fn issue_26_the_release_builds_carry_their_versions() {
    let builds = dist::builds();
    eprintln!(
        "figure release builds made or found fresh in {:?}",
        builds.took
    );
    assert_eq!(builds.current.version, env!("CARGO_PKG_VERSION"));
    assert_eq!(
        builds.next.version,
        dist::next_version(env!("CARGO_PKG_VERSION"))
    );
    for (dist, version) in [
        (&builds.current, &builds.current.version),
        (&builds.next, &builds.next.version),
    ] {
        let said = Command::new(&dist.binary).arg("version").output().unwrap();
        let said = String::from_utf8_lossy(&said.stdout);
        assert!(
            said.starts_with(&format!("stagehand {version} (")) && said.contains(TARGET),
            "{said}"
        );
    }
    // The tag check of `cargo xtask dist`.
    let version = env!("CARGO_PKG_VERSION");
    assert!(xdist::check_tag(version, &format!("v{version}")).is_ok());
    let wrong = xdist::check_tag(version, "v9.9.9").unwrap_err().to_string();
    assert!(
        wrong.contains("does not match the version in Cargo.toml"),
        "{wrong}"
    );
    // A key file others may read is refused.
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("key");
    xdist::write_key(&path, &builds.key).unwrap();
    assert!(xdist::read_key_file(&path).is_ok());
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
    let open = xdist::read_key_file(&path).unwrap_err().to_string();
    assert!(open.contains("can be read by others"), "{open}");
}

#[test]
fn issue_26_the_dist_binary_is_static_and_runs_in_an_empty_root() {
    let builds = dist::builds();
    let current = &builds.current;
    eprintln!(
        "figure release builds made or found fresh in {:?}",
        builds.took
    );
    let bytes = std::fs::read(&current.binary).unwrap();
    eprintln!("figure dist-test binary size {} bytes", bytes.len());
    assert!(xdist::is_static(&bytes).unwrap());
    let ldd = Command::new("ldd").arg(&current.binary).output().unwrap();
    let said = format!(
        "{}{}",
        String::from_utf8_lossy(&ldd.stdout),
        String::from_utf8_lossy(&ldd.stderr)
    );
    assert!(
        said.contains("not a dynamic executable") || said.contains("statically linked"),
        "ldd says: {said}"
    );

    // The archive: one folder, the binary (the same bytes), README, licences, example config;
    // its SHA256SUMS line; a signature only the test key's public half accepts.
    let name = format!("stagehand-{}-{TARGET}", current.version);
    let (names, inside) = archive_contents(&current.archive);
    let expected: Vec<String> = [
        "LICENSE-APACHE",
        "LICENSE-MIT",
        "OpenSans-LICENSE-Apache-2.0.txt",
        "README.md",
        "stagehand",
        "stagehand.example.toml",
    ]
    .iter()
    .map(|f| format!("{name}/{f}"))
    .collect();
    assert_eq!(names, expected);
    assert!(inside == bytes, "the archive holds the built binary");
    let archive = std::fs::read(&current.archive).unwrap();
    assert_eq!(
        std::fs::read(&current.sums).unwrap(),
        sums_for(&format!("{name}.tar.gz"), &archive)
    );
    let verify = |key: zipsign_api::VerifyingKey| {
        let mut file = std::fs::File::open(&current.archive).unwrap();
        zipsign_api::verify::verify_tar(
            &mut file,
            &[key],
            Some(format!("{name}.tar.gz").as_bytes()),
        )
    };
    assert!(verify(builds.key.verifying_key()).is_ok());
    let stranger = xdist::generate_key().unwrap();
    assert!(verify(stranger.verifying_key()).is_err());

    // An empty root: the binary and nothing else; no /etc, no /proc, no /dev, no libraries.
    let root = tempfile::tempdir().unwrap();
    install(&current.binary, root.path());
    let version = Command::new(program("chroot"))
        .arg(root.path())
        .args(["/stagehand", "version"])
        .env_clear()
        .output()
        .unwrap();
    let said = String::from_utf8_lossy(&version.stdout);
    assert!(version.status.success(), "{version:?}");
    assert!(
        said.starts_with(&format!("stagehand {} (", current.version))
            && said.contains("signed release"),
        "{said}"
    );

    let started = Instant::now();
    let mut serve = Command::new(program("chroot"))
        .arg(root.path())
        .args(["/stagehand", "--data-dir", "/data", "serve"])
        .env_clear()
        .env("STAGEHAND_HTTP_PORT", "0")
        .env("STAGEHAND_HTTP_BIND", "127.0.0.1")
        .env("STAGEHAND_UPDATE_CHECK", "false")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let (tx, lines) = std::sync::mpsc::channel();
    let stdout = serve.stdout.take().unwrap();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            let _ = tx.send(line);
        }
    });
    let port: u16 = loop {
        let line = lines
            .recv_timeout(Duration::from_secs(60))
            .unwrap_or_else(|_| {
                let _ = serve.kill();
                let mut err = String::new();
                let _ = serve.stderr.take().unwrap().read_to_string(&mut err);
                panic!("serve did not start in the empty root: {err}")
            });
        if let Some(rest) = line.split(" is listening on https://").nth(1) {
            break rest.rsplit(':').next().unwrap().parse().unwrap();
        }
    };
    let cold_start = started.elapsed();
    eprintln!("figure cold start to listening in an empty root {cold_start:?} (dist-test profile)");
    let (status, body) = block_on(crate::support::get(&format!(
        "https://127.0.0.1:{port}/healthz"
    )));
    assert_eq!(status, 200, "{body}");
    let health: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(health["version"], current.version.as_str());
    assert!(
        Command::new("kill")
            .args(["-TERM", &serve.id().to_string()])
            .status()
            .unwrap()
            .success()
    );
    let exit = serve.wait().unwrap();
    assert!(exit.success(), "serve in the empty root exited with {exit}");
    let mut left: Vec<String> = std::fs::read_dir(root.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    left.sort();
    assert_eq!(
        left,
        ["data", "stagehand"],
        "only what serve made beside the binary"
    );
}

/// The release files for `version` with `binary`, signed by `key`, in a fresh folder.
fn signed(
    binary: &Path,
    version: &str,
    key: &xdist::SigningKey,
    out: &Path,
) -> Vec<(String, Vec<u8>)> {
    let (archive, sums) = xdist::package(&dist::root(), binary, version, out, key).unwrap();
    files_of(&archive, &sums)
}

/// `update args…` run by the binary installed in `dir`, against `feed`.
fn update(dir: &Path, feed: &FakeReleases, args: &[&str]) -> (i32, String, String) {
    let output = stagehand_at(&dir.join("stagehand"), dir)
        .arg("update")
        .args(args)
        .env("STAGEHAND_UPDATE_BASE_URL", feed.base_url())
        .env("STAGEHAND_UPDATE_REPOSITORY", REPOSITORY)
        .stdin(Stdio::null())
        .output()
        .unwrap();
    let text = |b: Vec<u8>| String::from_utf8_lossy(&b).into_owned();
    (
        output.status.code().unwrap_or(-1),
        text(output.stdout),
        text(output.stderr),
    )
}

/// What `dir` holds besides the installed binary: nothing left behind by a refused update.
fn leftovers(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n != "stagehand")
        .collect();
    names.sort();
    names
}

#[test]
fn issue_26_update_installs_a_newer_signed_release_and_refuses_everything_else() {
    let builds = dist::builds();
    let (current, next) = (&builds.current, &builds.next);
    let original = std::fs::read(&current.binary).unwrap();
    let next_files = files_of(&next.archive, &next.sums);
    let archive_name = next_files[0].0.clone();
    let notes = "Certificates from Let's Encrypt.\n\n`stagehand update`.\nThird line.\n";
    let scratch = tempfile::tempdir().unwrap();

    // --check: sees the newer release and its notes, changes nothing.
    let feed = FakeReleases::start();
    feed.set(vec![
        release(
            &current.version,
            "The first release.",
            &files_of(&current.archive, &current.sums),
        ),
        release(&next.version, notes, &next_files),
    ]);
    let dir = tempfile::tempdir().unwrap();
    install(&current.binary, dir.path());
    let (code, out, err) = update(dir.path(), &feed, &["--check"]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(
        out.contains(&format!(
            "Stagehand {} is installed; {} is available",
            current.version, next.version
        )),
        "{out}"
    );
    assert!(out.contains("Certificates from Let's Encrypt.") && out.contains("Third line."));
    assert_eq!(
        std::fs::read(dir.path().join("stagehand")).unwrap(),
        original
    );
    assert!(leftovers(dir.path()).is_empty());

    // --yes: installs it; the new binary says its version; the old one is kept.
    let started = Instant::now();
    let (code, out, err) = update(dir.path(), &feed, &["--yes"]);
    let took = started.elapsed();
    assert_eq!(code, 0, "{out}{err}");
    eprintln!(
        "figure update --yes against the fake feed {took:?} ({} byte archive)",
        next_files[0].1.len()
    );
    assert!(out.contains("Checksum and signature are good."), "{out}");
    let said = Command::new(dir.path().join("stagehand"))
        .arg("version")
        .output()
        .unwrap();
    assert!(
        String::from_utf8_lossy(&said.stdout).starts_with(&format!("stagehand {} (", next.version))
    );
    assert_eq!(
        std::fs::read(dir.path().join("stagehand.old")).unwrap(),
        original
    );
    assert_eq!(leftovers(dir.path()), ["stagehand.old"]);
    // Up to date now.
    let (code, out, _) = update(dir.path(), &feed, &["--yes"]);
    assert_eq!(code, 0);
    assert!(out.contains(&format!(
        "Stagehand {} is installed: it is the newest",
        next.version
    )));

    // Each refusal: exit 1, the reason, the installed binary byte for byte as it was, nothing
    // left beside it.
    let stranger = xdist::generate_key().unwrap();
    let mut tampered = next_files.clone();
    let middle = tampered[0].1.len() / 2;
    tampered[0].1[middle] ^= 0x55;
    tampered[1].1 = sums_for(&archive_name, &tampered[0].1);
    let mut wrong_sum = next_files.clone();
    wrong_sum[1].1 = sums_for(&archive_name, b"something else");
    // Refused before they are unpacked, so a small stand-in binary does (packing 60 MB again
    // would cost the test seconds).
    let stand_in = scratch.path().join("stand-in");
    std::fs::write(&stand_in, b"#!/bin/sh\necho not stagehand\n").unwrap();
    let older = signed(
        &stand_in,
        "0.0.1",
        &builds.key,
        &scratch.path().join("older"),
    );
    let cases: Vec<(&str, Vec<crate::support::releases::Release>, &str)> = vec![
        (
            "a tampered archive (its checksum rewritten to match)",
            vec![release(&next.version, notes, &tampered)],
            "signature",
        ),
        (
            "an archive signed by another key",
            vec![release(
                &next.version,
                notes,
                &signed(
                    &stand_in,
                    &next.version,
                    &stranger,
                    &scratch.path().join("bad"),
                ),
            )],
            "is not valid for the release key",
        ),
        (
            "a wrong checksum",
            vec![release(&next.version, notes, &wrong_sum)],
            "the checksum of",
        ),
        (
            "a release without an archive for this target",
            vec![release(&next.version, notes, &next_files[1..])],
            "has no archive for x86_64-unknown-linux-gnu",
        ),
        (
            "a downgrade",
            vec![release("0.0.1", "old", &older)],
            "not downgrading",
        ),
        (
            "a cut-short download",
            vec![release(&next.version, notes, &next_files)],
            "was cut short",
        ),
        ("a server error", vec![], "500"),
    ];
    for (what, releases, reason) in cases {
        let feed = FakeReleases::start();
        feed.set(releases);
        if what == "a cut-short download" {
            feed.truncate(&archive_name);
        }
        if what == "a server error" {
            feed.fail(true);
        }
        let dir = tempfile::tempdir().unwrap();
        install(&current.binary, dir.path());
        let (code, out, err) = update(dir.path(), &feed, &["--yes"]);
        assert_eq!(code, 1, "{what}: {out}{err}");
        assert!(err.contains(reason), "{what}: expected {reason:?} in {err}");
        assert!(
            std::fs::read(dir.path().join("stagehand")).unwrap() == original,
            "{what}: the installed binary changed"
        );
        assert!(
            leftovers(dir.path()).is_empty(),
            "{what}: {:?}",
            leftovers(dir.path())
        );
    }
}

#[test]
fn issue_26_a_running_server_logs_the_newer_release_and_restarts_into_it() {
    let builds = dist::builds();
    let (current, next) = (&builds.current, &builds.next);
    let feed = FakeReleases::start();
    feed.set(vec![release(
        &next.version,
        "Newer.",
        &files_of(&next.archive, &next.sums),
    )]);
    let dir = tempfile::tempdir().unwrap();
    let installed = install(&current.binary, dir.path());
    let base = feed.base_url();
    let server = Server::try_start_at(
        &installed,
        dir.path(),
        &[
            ("STAGEHAND_UPDATE_CHECK", "true"),
            ("STAGEHAND_UPDATE_BASE_URL", &base),
            ("STAGEHAND_UPDATE_REPOSITORY", REPOSITORY),
        ],
    )
    .unwrap_or_else(|(code, err)| panic!("serve exited with {code:?}: {err}"));
    let pid = server.pid();
    let (status, before) = block_on(crate::support::get(&server.url("/healthz")));
    assert_eq!(status, 200);
    assert!(
        before.contains(&format!("\"version\":\"{}\"", current.version)),
        "{before}"
    );
    // The look at start-up logs the newer release.
    let deadline = Instant::now() + Duration::from_secs(20);
    while !server
        .stderr()
        .contains("a newer release of Stagehand is available")
    {
        assert!(
            Instant::now() < deadline,
            "no log line: {}",
            server.stderr()
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    assert!(
        server
            .stderr()
            .contains(&format!("available={}", next.version))
    );

    let (code, out, err) = update(dir.path(), &feed, &["--yes"]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(
        out.contains("the server is restarting into the new binary"),
        "{out}"
    );
    let line = server
        .wait_for_line("is listening on", Duration::from_secs(30))
        .unwrap_or_else(|| panic!("serve did not come back: {}", server.stderr()));
    assert!(
        line.starts_with(&format!("Stagehand {} ", next.version)),
        "{line}"
    );
    let port: u16 = line.rsplit(':').next().unwrap().parse().unwrap();
    let (status, after) = block_on(crate::support::get(&format!(
        "https://127.0.0.1:{port}/healthz"
    )));
    assert_eq!(status, 200, "{after}");
    assert!(
        after.contains(&format!("\"version\":\"{}\"", next.version)),
        "{after}"
    );
    assert_eq!(server.pid(), pid, "the same process, exec'd");
    let exe = std::fs::read_link(format!("/proc/{pid}/exe")).unwrap();
    assert_eq!(exe, installed.canonicalize().unwrap());
    let stderr = server.stderr();
    assert!(
        stderr.contains("restarting into the updated binary"),
        "{stderr}"
    );
    assert!(
        !stderr.contains("repaired"),
        "the store was closed cleanly before the restart: {stderr}"
    );
    drop(server);
}
