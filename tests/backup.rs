//! Backups and restores through the CLI, with and without a running server.

use stagehand::store::{META, SCHEMA, Store, StoreOptions};

use crate::support::{self, SETUP_FORM, Server, get, post_setup};

fn snapshots(dir: &std::path::Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir.join("data/backups"))
        .map(|entries| {
            entries
                .map(|e| e.unwrap().file_name().into_string().unwrap())
                .collect()
        })
        .unwrap_or_default();
    names.sort();
    names
}

#[tokio::test]
async fn backup_while_serving_then_restore_it() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path(), &[]);
    let snapshot = dir.path().join("before-setup.redb");
    let (code, out, err) = support::run(
        dir.path(),
        &["backup", "--out", snapshot.to_str().unwrap()],
        &[],
    );
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("snapshot written to"), "{out}");
    assert!(err.is_empty() || !err.contains("error"), "{err}");

    assert_eq!(post_setup(&server, SETUP_FORM).await.0, 200);
    let (code, _, err) = support::run(dir.path(), &["restore", snapshot.to_str().unwrap()], &[]);
    assert_eq!(code, 1);
    assert!(
        err.contains("stop `stagehand serve` before restoring"),
        "{err}"
    );
    let (_, health) = get(&server.url("/healthz")).await;
    assert!(health.contains(r#""setup":"complete""#), "{health}");
    server.stop();

    let (code, out, err) = support::run(dir.path(), &["restore", snapshot.to_str().unwrap()], &[]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("the replaced store was saved to"), "{out}");
    let saved = snapshots(dir.path());
    assert!(
        saved.iter().any(|n| n.ends_with("-before-restore.redb")),
        "{saved:?}"
    );

    let server = Server::start(dir.path(), &[]);
    assert!(
        server.setup_link.is_some(),
        "the restored store is from before setup"
    );
    assert!(
        get(&server.url("/healthz"))
            .await
            .1
            .contains(r#""setup":"pending""#)
    );
    server.stop();

    // The saved pre-restore store brings the completed setup back.
    let previous = dir.path().join("data/backups").join(saved.last().unwrap());
    let (code, _, err) = support::run(dir.path(), &["restore", previous.to_str().unwrap()], &[]);
    assert_eq!(code, 0, "{err}");
    let server = Server::start(dir.path(), &[]);
    assert!(server.setup_link.is_none());
    server.stop();
}

#[test]
fn backup_without_a_server_and_retention() {
    let dir = tempfile::tempdir().unwrap();
    let (code, _, err) = support::run(dir.path(), &["backup"], &[]);
    assert_eq!(code, 0, "a first backup creates the store: {err}");
    for _ in 0..3 {
        let (code, out, err) =
            support::run(dir.path(), &["backup"], &[("STAGEHAND_BACKUP_KEEP", "2")]);
        assert_eq!(code, 0, "{out}{err}");
    }
    assert_eq!(snapshots(dir.path()).len(), 2);
}

#[test]
fn restore_refuses_garbage_and_newer_stores_and_changes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    assert_eq!(support::run(dir.path(), &["backup"], &[]).0, 0);
    let live = dir.path().join("data/stagehand.redb");
    let before = std::fs::read(&live).unwrap();

    let junk = dir.path().join("junk.redb");
    std::fs::write(&junk, vec![0x5a; 10_000]).unwrap();
    let (code, _, err) = support::run(dir.path(), &["restore", junk.to_str().unwrap()], &[]);
    assert_eq!(code, 1);
    assert!(err.contains("is not a Stagehand store"), "{err}");

    let missing = dir.path().join("missing.redb");
    let (code, _, err) = support::run(dir.path(), &["restore", missing.to_str().unwrap()], &[]);
    assert_eq!(code, 1);
    assert!(err.contains("missing.redb"), "{err}");

    let newer = dir.path().join("newer.redb");
    {
        let store = Store::open(&newer, &StoreOptions::default()).unwrap();
        store.write(|w| w.insert(&META, SCHEMA, &99)).unwrap();
    }
    let (code, _, err) = support::run(dir.path(), &["restore", newer.to_str().unwrap()], &[]);
    assert_eq!(code, 1);
    assert!(
        err.contains("schema version 99") && err.contains("upgrade Stagehand"),
        "{err}"
    );

    assert_eq!(
        std::fs::read(&live).unwrap(),
        before,
        "the live store was modified"
    );
    assert_eq!(
        snapshots(dir.path()).len(),
        1,
        "no pre-restore snapshot for refused files"
    );
}

#[test]
fn serve_refuses_a_newer_store_without_touching_it() {
    let dir = tempfile::tempdir().unwrap();
    let live = dir.path().join("data/stagehand.redb");
    let newer = stagehand::store::SCHEMA_VERSION + 1;
    {
        let store = Store::open(&live, &StoreOptions::default()).unwrap();
        store.write(|w| w.insert(&META, SCHEMA, &newer)).unwrap();
    }
    let before = std::fs::read(&live).unwrap();
    let (code, err) = Server::try_start(dir.path(), &[]).err().unwrap();
    assert_eq!(code, Some(1));
    assert!(
        err.contains(&format!("schema version {newer}"))
            && err.contains("the file was not modified"),
        "{err}"
    );
    assert_eq!(std::fs::read(&live).unwrap(), before);
}

#[tokio::test]
async fn a_running_server_takes_its_daily_snapshot_which_restores() {
    let dir = tempfile::tempdir().unwrap();
    // A manual clock at 2026-11-01 00:00 UTC, and the daily snapshot at 00:30.
    let env = [
        (stagehand::clock::FAKE_CLOCK_ENV, "1793491200"),
        ("STAGEHAND_BACKUP_DAILY_AT", "00:30"),
    ];
    let server = Server::start(dir.path(), &env);
    // The scheduler looks every half second; by now it has booked 00:30 and taken nothing.
    tokio::time::sleep(std::time::Duration::from_secs(1)).await;
    assert_eq!(snapshots(dir.path()), Vec::<String>::new());
    server.advance_clock(31 * 60).await;
    let expected = "stagehand-20261101T003100.000Z-daily.redb";
    support::eventually("the daily snapshot", || snapshots(dir.path()) == [expected]).await;
    server.stop();

    let snapshot = dir.path().join("data/backups").join(expected);
    let (code, out, err) = support::run(dir.path(), &["restore", snapshot.to_str().unwrap()], &[]);
    assert_eq!(code, 0, "{out}{err}");
}
