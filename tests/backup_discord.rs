//! `/backup save` and `/backup load` from Discord (issue 23), on the fake Discord: the copy
//! posted carries no secret, loading it back while a request flow runs puts the snapshot's data
//! in place under the running server with this server's secrets, and a file that is not a sound
//! snapshot of a Stagehand this old is refused with nothing changed.

use std::io::Read as _;

use serde_json::json;
use sha2::{Digest, Sha256};
use stagehand::store::{META, Read as _, SCHEMA, Store, StoreOptions, Table};

use crate::requests::{DONE, Desk, LEVEL, desk_guild, field};
use crate::support::discord::{Channel, FakeDiscord, Guild};
use crate::support::gd::fixtures;

/// The osu! client secret put in the store (with the bot token) before the server starts.
const OSU_SECRET: &str = "osu-client-secret-Zq81x";
/// The `/link` states' signing key, as the league stores it (`secrets`, `link_state`).
const LINK_KEY: [u8; 32] = *b"link-state-signing-key-0123456.!";
const LINK_SECRETS: Table<str, [u8; 32]> = Table::new("secrets");

/// The desk's guild with the snapshot route's default channel.
fn guild() -> Guild {
    let mut guild = desk_guild();
    let base = guild.channel("general");
    guild.channels.push(Channel {
        id: base + (61 << 22),
        name: "stagehand-snapshots".into(),
    });
    guild
}

/// Puts the secrets that live in the store there, as a server set up through its setup page and
/// used by the league would hold them.
fn seed(data: &std::path::Path) {
    let store = Store::open(&data.join("stagehand.redb"), &StoreOptions::default()).unwrap();
    store
        .write(|w| {
            stagehand::config::save(w, "discord.token", FakeDiscord::TOKEN)?;
            stagehand::config::save(w, "osu.client_secret", OSU_SECRET)?;
            w.insert(&LINK_SECRETS, "link_state", &LINK_KEY)
        })
        .unwrap();
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

fn gunzip(bytes: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    flate2::read::GzDecoder::new(bytes)
        .read_to_end(&mut out)
        .unwrap();
    out
}

fn backups(d: &Desk) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(d.dir.path().join("data/backups"))
        .map(|entries| {
            entries
                .map(|e| e.unwrap().file_name().into_string().unwrap())
                .collect()
        })
        .unwrap_or_default();
    names.sort();
    names
}

/// `owner` runs `/backup load` with `bytes` uploaded as `name`: the private reply.
async fn load(d: &Desk, name: &str, bytes: Vec<u8>) -> String {
    let file = d.fake.upload(name, bytes);
    d.run("owner", "backup load", &[("file", file)]).await
}

/// The Control Panel key `owner` gets for Max.
async fn panel_key(d: &Desk, command: &str) -> String {
    let options = match command {
        "control_panel on" => vec![("staff", json!(d.id("max").to_string()))],
        _ => Vec::new(),
    };
    let reply = d.run("owner", command, &options).await;
    let key = reply
        .split("```\n")
        .nth(1)
        .unwrap()
        .split('\n')
        .next()
        .unwrap();
    key.to_string()
}

async fn panel_status(d: &Desk, key: &str) -> u16 {
    let url = d
        .server
        .as_ref()
        .unwrap()
        .url("/control-panel/request/oldest");
    let response = crate::support::client()
        .get(url)
        .header("x-key", key)
        .send()
        .await
        .unwrap();
    response.status().as_u16()
}

#[tokio::test]
async fn a_copy_without_secrets_is_posted_and_loads_back_under_the_running_server() {
    let mut d = Desk::start_prepared(guild(), &[], &[], seed).await;
    let snapshots = d.channel("stagehand-snapshots");
    let setup_token = {
        let server = d.server.as_ref().unwrap();
        let link = server.setup_link.clone().expect("setup is pending");
        link.rsplit('/').next().unwrap().to_string()
    };
    let old_key = panel_key(&d, "control_panel on").await;

    // Ivan's request is pending when the snapshot is taken.
    let form = d.create("ivan", LEVEL).await.unwrap();
    d.submit("ivan", &form, &[]).await;
    let widget = d.only("pending-requests").await;

    let saved = d.run("owner", "backup save", &[]).await;
    assert!(
        saved.starts_with("Snapshot written on the server: `stagehand-"),
        "{saved}"
    );
    assert!(
        saved.ends_with(&format!("A copy without secrets goes to <#{snapshots}>.")),
        "{saved}"
    );
    let post = d.only("stagehand-snapshots").await;
    assert!(
        post.content.starts_with("BACKUP <t:") && post.content.ends_with(" - manual"),
        "{}",
        post.content
    );
    let [(name, gz)] = post.attachments.as_slice() else {
        panic!("{:?}", post.attachments.len());
    };
    assert!(name.ends_with("-manual.redb.gz"), "{name}");
    let copy = gunzip(gz);
    assert!(copy.len() > gz.len(), "compressed");
    // Every secret the server holds is in its own snapshot, and none is in the copy.
    let local = d
        .dir
        .path()
        .join("data/backups")
        .join(name.trim_end_matches(".gz"));
    let local = std::fs::read(local).unwrap();
    let api_hash: [u8; 32] = Sha256::digest(old_key.as_bytes()).into();
    let setup_hash: [u8; 32] = Sha256::digest(setup_token.as_bytes()).into();
    let secrets: [(&str, &[u8]); 6] = [
        ("the bot token", FakeDiscord::TOKEN.as_bytes()),
        ("the osu! client secret", OSU_SECRET.as_bytes()),
        ("the link-state key", &LINK_KEY),
        ("the TLS private key", b"PRIVATE KEY"),
        ("the API key's hash", &api_hash),
        ("the setup token's hash", &setup_hash),
    ];
    for (what, secret) in secrets {
        assert!(contains(&local, secret), "{what} is in the local snapshot");
        assert!(
            !contains(&copy, secret),
            "{what} is in the copy for Discord"
        );
    }
    assert!(!contains(&copy, old_key.as_bytes()));
    assert!(contains(&copy, "Ночной город".as_bytes()), "the data is");

    // After the snapshot: Kira's opinion, Anna's request, and a new API key.
    assert_eq!(
        d.click("kira", &widget, "Approve (no review)").await,
        Err(DONE.into())
    );
    d.only("request-resolutions").await;
    let form = d.create("anna", fixtures::REQUESTED_ONE).await.unwrap();
    d.submit("anna", &form, &[]).await;
    assert_eq!(d.pending().await, 2);
    let new_key = panel_key(&d, "control_panel rotate").await;

    // Refused with nothing changed: garbage, a newer Stagehand's store, a damaged snapshot.
    let before = backups(&d);
    let garbage = load(&d, "notes.txt", b"not a snapshot at all".repeat(50)).await;
    assert_eq!(
        garbage,
        "`notes.txt` is not a Stagehand snapshot. Nothing changed."
    );
    let newer = {
        let path = d.dir.path().join("newer.redb");
        let store = Store::open(&path, &StoreOptions::default()).unwrap();
        let next = stagehand::store::SCHEMA_VERSION + 1;
        store.write(|w| w.insert(&META, SCHEMA, &next)).unwrap();
        drop(store);
        std::fs::read(path).unwrap()
    };
    let refused = load(&d, "newer.redb", newer).await;
    assert!(
        refused.starts_with("`newer.redb` was written by a newer Stagehand"),
        "{refused}"
    );
    let mut damaged = copy.clone();
    let at = damaged
        .windows("old guard".len())
        .position(|w| w == b"old guard")
        .unwrap();
    damaged[at] = b'O';
    let refused = load(&d, "damaged.redb", damaged).await;
    assert_eq!(refused, "`damaged.redb` is damaged. Nothing changed.");
    assert_eq!(backups(&d), before, "nothing written for refused files");
    assert_eq!(d.pending().await, 2);

    // The copy loads while the flow goes on: the snapshot's data is live at once.
    let loaded = load(&d, name, gz.clone()).await;
    assert!(
        loaded.starts_with(&format!("Snapshot `{name}` loaded (schema ")),
        "{loaded}"
    );
    assert!(loaded.contains("-before-restore.redb"), "{loaded}");
    assert_eq!(
        d.pending().await,
        1,
        "Anna's request came after the snapshot"
    );
    // The flow's next click works on the restored data: Max's opinion is the first again.
    assert_eq!(
        d.click("max", &widget, "Approve (no review)").await,
        Err(DONE.into())
    );
    let resolutions = d
        .fake
        .wait_messages(d.channel("request-resolutions"), 2)
        .await;
    assert_eq!(
        field(&resolutions[1], "Consensus"),
        format!("✅: {}\n❌: No votes yet", d.mention("max"))
    );
    // The secrets are this server's: the key made after the snapshot works, the old one not.
    assert_eq!(panel_status(&d, &new_key).await, 200);
    assert_eq!(panel_status(&d, &old_key).await, 401);

    // The daily snapshot (01:00) posts its copy too.
    d.server.as_ref().unwrap().advance_clock(3_600).await;
    let posts = d.fake.wait_messages(snapshots, 2).await;
    assert!(
        posts[1].content.ends_with(" - regular"),
        "{}",
        posts[1].content
    );
    assert!(posts[1].attachments[0].0.ends_with("-daily.redb.gz"));

    // Each step is in the log.
    let log = d.channel("stagehand-log");
    d.fake
        .wait_until("the load is logged", |f| {
            f.messages(log)
                .iter()
                .any(|m| m.content.contains("BACKUP_LOADED"))
        })
        .await;
    let lines: Vec<String> = d
        .fake
        .messages(log)
        .into_iter()
        .map(|m| m.content)
        .collect();
    let count = |kind: &str| lines.iter().filter(|l| l.contains(kind)).count();
    assert_eq!(count("BACKUP_LOAD_REFUSED"), 3, "{lines:#?}");

    // Stopped: the store holds the snapshot's data and this server's secrets.
    d.server.take().unwrap().stop();
    let store = Store::open(
        &d.dir.path().join("data/stagehand.redb"),
        &StoreOptions::default(),
    )
    .unwrap();
    let settings = store.read(stagehand::config::saved).unwrap();
    assert!(settings.contains(&("discord.token".into(), FakeDiscord::TOKEN.into())));
    assert!(settings.contains(&("osu.client_secret".into(), OSU_SECRET.into())));
    let key = store.read(|r| r.get(&LINK_SECRETS, "link_state")).unwrap();
    assert_eq!(key, Some(LINK_KEY));
}
