//! The command line: usage errors, `version`, `check`, and start-up failures with clear messages.

use crate::support::{self, Server};

#[test]
fn usage_errors_exit_2() {
    let dir = tempfile::tempdir().unwrap();
    for args in [
        &["frobnicate"][..],
        &[],
        &["backup", "--out"],
        &["restore"],
        &["serve", "--bogus"],
    ] {
        let (code, _, err) = support::run(dir.path(), args, &[]);
        assert_eq!(code, 2, "{args:?}: {err}");
        assert!(
            err.contains("Usage") || err.contains("error:"),
            "{args:?}: {err}"
        );
    }
    assert!(
        !dir.path().join("data").exists(),
        "usage errors create nothing"
    );
}

#[test]
fn version_names_the_release() {
    let dir = tempfile::tempdir().unwrap();
    let (code, out, _) = support::run(dir.path(), &["version"], &[]);
    assert_eq!(code, 0);
    assert!(
        out.starts_with(&format!("stagehand {} (", env!("CARGO_PKG_VERSION"))),
        "{out}"
    );
}

#[test]
fn check_lists_every_problem_and_exits_1() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("stagehand.toml"),
        "[http]\nport = \"eighty\"\n[modules]\nleague = true\n",
    )
    .unwrap();
    let env = [
        ("STAGEHAND_BACKUP_KEEP", "lots"),
        ("STAGEHAND_NOT_A_SETTING", "1"),
    ];
    let (code, out, _) = support::run(dir.path(), &["check"], &env);
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains("does not exist yet"),
        "check does not create the store: {out}"
    );
    assert!(
        out.contains("http.port (from stagehand.toml): \"eighty\""),
        "{out}"
    );
    assert!(
        out.contains("backup.keep (from STAGEHAND_BACKUP_KEEP): \"lots\""),
        "{out}"
    );
    assert!(
        out.contains("STAGEHAND_NOT_A_SETTING (from STAGEHAND_NOT_A_SETTING): unknown setting"),
        "{out}"
    );
    assert!(out.contains("3 problem(s)"), "{out}");
    assert!(!dir.path().join("data").exists());

    std::fs::write(dir.path().join("stagehand.toml"), "modules.league = true\n").unwrap();
    let (code, out, _) = support::run(dir.path(), &["check"], &[]);
    assert_eq!(code, 1);
    assert!(out.contains("the osu! league needs osu.client_id"), "{out}");

    std::fs::remove_file(dir.path().join("stagehand.toml")).unwrap();
    let (code, out, _) = support::run(dir.path(), &["check"], &[]);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("no problems found"));
}

#[test]
fn check_asks_a_running_server() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path(), &[]);
    let (code, out, err) = support::run(dir.path(), &["check"], &[]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("setup: pending"), "{out}");
    server.stop();
}

#[test]
fn serve_refuses_bad_settings_and_names_them() {
    let dir = tempfile::tempdir().unwrap();
    let (code, err) = Server::try_start(dir.path(), &[("STAGEHAND_PUBLIC_URL", "not a url")])
        .err()
        .unwrap();
    assert_eq!(code, Some(1));
    assert!(
        err.contains("public_url (from STAGEHAND_PUBLIC_URL)"),
        "{err}"
    );

    let missing = dir.path().join("nowhere.toml");
    let (code, _, err) = support::run(
        dir.path(),
        &["--config", missing.to_str().unwrap(), "serve"],
        &[],
    );
    assert_eq!(code, 1);
    assert!(err.contains("cannot read the config file"), "{err}");
}

#[test]
fn a_second_server_on_the_same_data_or_port_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let first = Server::start(dir.path(), &[]);
    let (code, err) = Server::try_start(dir.path(), &[]).err().unwrap();
    assert_eq!(code, Some(1));
    assert!(err.contains("in use by another Stagehand process"), "{err}");

    let other = tempfile::tempdir().unwrap();
    let port = first.port.to_string();
    let (code, _, err) = support::run(
        other.path(),
        &["serve"],
        &[
            ("STAGEHAND_HTTP_PORT", &port),
            ("STAGEHAND_HTTP_BIND", "127.0.0.1"),
        ],
    );
    assert_eq!(code, 1);
    assert!(
        err.contains(&format!("cannot listen on 127.0.0.1:{port}")),
        "{err}"
    );
    first.stop();
}

/// Runs the binary with extra environment variables that need not be UTF-8, waiting at most 30 s
/// (a `serve` that should have refused to start is killed): (exit code, stdout, stderr).
fn run_with_os_env(
    dir: &std::path::Path,
    args: &[&str],
    env: &[(&str, std::ffi::OsString)],
) -> (Option<i32>, String, String) {
    let mut child = support::stagehand(dir)
        .args(args)
        .env("STAGEHAND_HTTP_PORT", "0")
        .env("STAGEHAND_HTTP_BIND", "127.0.0.1")
        .envs(env.iter().map(|(k, v)| (k, v)))
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let started = std::time::Instant::now();
    while child.try_wait().unwrap().is_none() {
        if started.elapsed() > std::time::Duration::from_secs(30) {
            child.kill().unwrap();
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    let output = child.wait_with_output().unwrap();
    let text = |b: Vec<u8>| String::from_utf8_lossy(&b).into_owned();
    (
        output.status.code(),
        text(output.stdout),
        text(output.stderr),
    )
}

/// Issue 25 item 4: a variable that is not UTF-8 made `check` and `serve` panic. Another
/// program's is ignored; a setting's is a problem that names it.
#[test]
fn a_variable_that_is_not_utf8_is_a_named_problem_not_a_panic() {
    use std::os::unix::ffi::OsStringExt as _;
    let latin1 = || std::ffi::OsString::from_vec(b"caf\xe9".to_vec());
    let dir = tempfile::tempdir().unwrap();

    let (code, out, err) = run_with_os_env(dir.path(), &["check"], &[("OLD_LOCALE", latin1())]);
    assert_eq!(code, Some(0), "{out}{err}");
    assert!(out.contains("no problems found"), "{out}");

    let env = [("OLD_LOCALE", latin1()), ("STAGEHAND_LOG_FILTER", latin1())];
    let (code, out, err) = run_with_os_env(dir.path(), &["check"], &env);
    assert_eq!(code, Some(1), "{out}{err}");
    assert!(!err.contains("panicked"), "{err}");
    assert!(
        out.contains("log.filter (from STAGEHAND_LOG_FILTER): not valid UTF-8"),
        "{out}"
    );
    assert!(out.contains("1 problem(s)"), "{out}");

    let (code, out, err) = run_with_os_env(dir.path(), &["serve"], &env);
    assert_eq!(code, Some(1), "{out}{err}");
    assert!(!err.contains("panicked"), "{err}");
    assert!(
        err.contains("log.filter (from STAGEHAND_LOG_FILTER): not valid UTF-8"),
        "{err}"
    );
}

/// Issue 25 item 8: `check` loads `tls.cert` and `tls.key` as `serve` does, so it refuses what
/// `serve` refuses, naming the setting; each says it once.
#[test]
fn check_refuses_the_tls_files_serve_refuses() {
    let dir = tempfile::tempdir().unwrap();
    let path = |name: &str| dir.path().join(name).to_str().unwrap().to_string();
    let made = rcgen::generate_simple_self_signed(vec!["pem.test".to_string()]).unwrap();
    std::fs::write(path("cert.pem"), made.cert.pem()).unwrap();
    std::fs::write(path("key.pem"), made.signing_key.serialize_pem()).unwrap();
    std::fs::write(path("junk.pem"), "garbage").unwrap();
    let other = rcgen::generate_simple_self_signed(vec!["other.test".to_string()]).unwrap();
    std::fs::write(path("other-key.pem"), other.signing_key.serialize_pem()).unwrap();
    let (cert, key, junk, missing, other_key) = (
        path("cert.pem"),
        path("key.pem"),
        path("junk.pem"),
        path("missing.pem"),
        path("other-key.pem"),
    );
    // The setting, the file and the reason (said once: not again as the error's source).
    for (cert, key, setting, file, reason) in [
        (&missing, &key, "tls.cert", "missing.pem", "No such file"),
        (&junk, &key, "tls.cert", "junk.pem", "no certificate"),
        (&cert, &missing, "tls.key", "missing.pem", "No such file"),
        (&cert, &junk, "tls.key", "junk.pem", "no usable private key"),
        (
            &cert,
            &other_key,
            "tls.key",
            "other-key.pem",
            "not the key of",
        ),
    ] {
        let env = [
            ("STAGEHAND_TLS_CERT", cert.as_str()),
            ("STAGEHAND_TLS_KEY", key.as_str()),
        ];
        let (code, out, _) = support::run(dir.path(), &["check"], &env);
        assert_eq!(code, 1, "{setting} {file}: {out}");
        assert!(out.contains("1 problem(s)"), "{out}");
        let problem = out.lines().find(|l| l.starts_with("  - ")).unwrap();
        assert!(
            problem.starts_with(&format!("  - {setting}: ")),
            "{problem}"
        );
        assert!(problem.contains(file), "{problem}");
        assert_eq!(out.matches(reason).count(), 1, "{reason}: {out}");

        let (code, err) = Server::try_start(dir.path(), &env).err().unwrap();
        assert_eq!(code, Some(1));
        assert!(err.contains(&format!("error: {setting}: ")), "{err}");
        assert!(err.contains(file), "{err}");
        assert_eq!(err.matches(reason).count(), 1, "{reason}: {err}");
    }

    let env = [
        ("STAGEHAND_TLS_CERT", cert.as_str()),
        ("STAGEHAND_TLS_KEY", key.as_str()),
    ];
    let (code, out, _) = support::run(dir.path(), &["check"], &env);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("no problems found"), "{out}");
}

/// Issue 25 item 6: a damaged store made `check` and `serve` panic inside redb (a type name that
/// is not UTF-8), or start as if nothing were wrong (a changed value, in a page neither reads at
/// start). Both now run redb's integrity check, say the file is damaged and which snapshot to
/// restore, and exit 1 without a panic.
#[test]
fn issue_25_check_and_serve_refuse_a_damaged_store_without_a_panic() {
    use crate::backup::{DAMAGES, crashed, make_store_with_rows};
    for (what, damage) in DAMAGES {
        let dir = tempfile::tempdir().unwrap();
        make_store_with_rows(dir.path());
        let (code, out, _) = support::run(dir.path(), &["backup"], &[]);
        assert_eq!(code, 0, "{what}: {out}");
        let backups = dir.path().join("data/backups");
        let newest = std::fs::read_dir(&backups)
            .unwrap()
            .next()
            .unwrap()
            .unwrap();
        let newest = backups.join(newest.file_name());
        let live = dir.path().join("data/stagehand.redb");
        damage(&live);
        let advice = format!(
            "the file is damaged: restore a snapshot with `stagehand restore FILE` (with \
             `stagehand serve` stopped; the current store is kept); the newest in {} is {}",
            backups.display(),
            newest.display()
        );

        let (code, out, err) = support::run(dir.path(), &["check"], &[]);
        assert_eq!(code, 1, "{what}: {out}{err}");
        assert!(!crashed(&err), "{what}: {err}");
        assert!(
            out.contains(&format!("{} is damaged (", live.display())),
            "{what}: {out}"
        );
        assert!(out.contains(&advice), "{what}: {out}");

        let (code, err) = Server::try_start(dir.path(), &[]).err().unwrap();
        assert_eq!(code, Some(1), "{what}: {err}");
        assert!(!crashed(&err), "{what}: {err}");
        assert!(
            err.contains(&format!("error: {} is damaged (", live.display())),
            "{what}: {err}"
        );
        assert!(err.contains(&advice), "{what}: {err}");
    }
}
