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
