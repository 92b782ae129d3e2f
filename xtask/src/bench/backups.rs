//! The Control Panel API and `/backup load`.
//!
//! `api_request_oldest_ms` (and `api_request_random_ms`) is what the panel waits for when it
//! picks a request: `GET /control-panel/request/oldest` (`random`) over HTTPS on a kept-alive
//! connection to the release binary, on a store of 20,000 requests, 5,000 of them pending, the
//! key checked each time. Median of 31.
//!
//! `backup_load_100mb_s` is `/backup load` of a snapshot of a 100 MB store (100,000 rows of
//! review-like text; the snapshot file is about 100 MB, the live file larger), gzip as a copy from
//! Discord is, into a live store of the same size, once downloaded: unpacking and checking it
//! (`ops::backup::stage`), then saving the live store, carrying its secrets over, opening and
//! checking the new file and swapping it in (`ops::backup::swap`). Median of 3.

use std::io::Write as _;
use std::time::Instant;

use anyhow::Context as _;

use stagehand::audit::Actor;
use stagehand::requests::model::{self, Resolution};
use stagehand::requests::panel;
use stagehand::store::{Store, StoreError, StoreOptions, Table};

use super::startup::{Run, build};
use super::{Figure, median};

const STORED: u64 = 20_000;
const PENDING: u64 = 5_000;

pub fn api_figures() -> anyhow::Result<Vec<Figure>> {
    let binary = build()?;
    let mut key = String::new();
    let run = Run::start_with(&binary, |dir| {
        match seed_requests(&dir.join("data/stagehand.redb")) {
            Ok(made) => key = made,
            Err(err) => eprintln!("seeding the store failed: {err:#}"),
        }
        Vec::new()
    })?;
    anyhow::ensure!(!key.is_empty(), "no key");
    let base = format!("https://127.0.0.1:{}/control-panel", run.port());
    let runtime = super::runtime()?;
    let client = reqwest::Client::builder()
        .danger_accept_invalid_certs(true)
        .build()?;
    let time = |path: &'static str| -> anyhow::Result<f64> {
        let url = format!("{base}{path}");
        median(31, || {
            runtime.block_on(async {
                let started = Instant::now();
                let response = client.get(&url).header("x-key", &key).send().await?;
                anyhow::ensure!(response.status() == 200, "{path}: {}", response.status());
                let body = response.text().await?;
                anyhow::ensure!(body.contains("\"level_id\""), "{path}: {body}");
                Ok(started.elapsed().as_secs_f64() * 1000.0)
            })
        })
    };
    Ok(vec![
        Figure {
            name: "api_request_oldest_ms",
            value: time("/request/oldest")?,
            unit: "ms",
        },
        Figure {
            name: "api_request_random_ms",
            value: time("/request/random")?,
            unit: "ms",
        },
    ])
}

/// A store at `path` with 20,000 requests (5,000 pending) and the Control Panel on: its key.
fn seed_requests(path: &std::path::Path) -> anyhow::Result<String> {
    let store = Store::open(path, &StoreOptions::default()).context("opening the store")?;
    let resolution = Resolution {
        grade: None,
        review: None,
        comment: None,
        at: 0,
    };
    store.write(|w| {
        for i in 0..STORED {
            let id = model::insert(w, &super::requests::stored_request(i))?;
            if i >= PENDING {
                model::put_resolution(w, id, 1, &resolution)?;
            }
        }
        Ok::<_, StoreError>(())
    })?;
    let key = store.write(|w| panel::turn_on(w, Actor::Bot, 43, 0))?;
    Ok(key.0)
}

/// Rows that make a store of about 100 MB: reviews' worth of text, as compressible as text is.
const ROWS: Table<u64, String> = Table::new("bench_rows");
const ROW_COUNT: u64 = 100_000;

pub fn load_figures() -> anyhow::Result<Vec<Figure>> {
    let dir = std::env::temp_dir().join(format!("stagehand-bench-load-{}", std::process::id()));
    let result = measure_load(&dir);
    let _ = std::fs::remove_dir_all(&dir);
    Ok(vec![Figure {
        name: "backup_load_100mb_s",
        value: result?,
        unit: "s",
    }])
}

fn measure_load(dir: &std::path::Path) -> anyhow::Result<f64> {
    let live = Store::open(&dir.join("data/stagehand.redb"), &StoreOptions::default())?;
    let words = [
        "spikes",
        "sync",
        "decoration",
        "gameplay",
        "orbs",
        "wave",
        "ship",
        "drop",
        "clean",
        "unfair",
        "memory",
        "timing",
        "portal",
        "colour",
        "effect",
    ];
    let mut seed = 0x2545_f491_4f6c_dd1du64;
    for chunk in 0..ROW_COUNT / 5_000 {
        live.write(|w| {
            for i in 0..5_000 {
                let mut text = String::with_capacity(1_000);
                while text.len() < 950 {
                    seed ^= seed << 13;
                    seed ^= seed >> 7;
                    seed ^= seed << 17;
                    text.push_str(words[(seed % words.len() as u64) as usize]);
                    text.push(' ');
                }
                w.insert(&ROWS, &(chunk * 5_000 + i), &text)?;
            }
            Ok::<_, StoreError>(())
        })?;
    }
    let size = live.file_size();
    anyhow::ensure!(size > 90 << 20, "the store has {size} bytes");
    let snapshot = dir.join("snapshot.redb");
    live.snapshot_to(&snapshot, &mut |_, _| {})?;
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    encoder.write_all(&std::fs::read(&snapshot)?)?;
    let gz = encoder.finish()?;
    eprintln!(
        "backup-load: a {} MB store file, its snapshot {} MB ({} MB gzip)",
        size >> 20,
        std::fs::metadata(&snapshot)?.len() >> 20,
        gz.len() >> 20
    );
    let backups = dir.join("data/backups");
    median(3, || {
        let started = Instant::now();
        let staged =
            stagehand::ops::backup::stage(&live, &backups, "x.redb.gz", &gz, Actor::Bot, 0)
                .map_err(|refused| anyhow::anyhow!("refused: {refused:?}"))?;
        stagehand::ops::backup::swap(&live, staged, &backups, 1, Actor::Bot, 0)
            .map_err(|refused| anyhow::anyhow!("refused: {refused:?}"))?;
        Ok(started.elapsed().as_secs_f64())
    })
}
