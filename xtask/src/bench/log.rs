//! The event log browser and the report charts (issue 22), on the library in this process:
//!
//! - `log_view_page_1m_events_ms`: `/log view` with a timestamp jump over 1,000,000 stored
//!   events — a page of four for a filter by type and a typed custom field (the opinions that
//!   rejected), from a moment picked across the three years the log spans, read transaction
//!   included (goal ≤ 10 ms). `log_view_page_member_1m_events_ms` adds a member to the filter
//!   (one of 200), and `log_view_page_rare_1m_events_ms` filters by a field only two events
//!   have (a request's id): most jumps leave them behind, and the page is the newest one.
//!   `log_record_1m_events_s` is how long recording them took (with every index; 20,000 a
//!   transaction).
//! - `report_new_requests_365d_ms`: `/report new_requests` over the last 365 days of a desk with
//!   20,000 requests and a queue closed and reopened a hundred times: the data read and the PNG
//!   drawn.

use std::time::Instant;

use anyhow::Context as _;
use jiff::civil::date;

use stagehand::audit::{self, Actor, Event, EventKind, Filter, Start, Value};
use stagehand::render;
use stagehand::requests::model;
use stagehand::requests::report::{self, Granularity, Period};
use stagehand::requests::{Request, queue};
use stagehand::store::{Store, StoreError, StoreOptions};

use super::{Figure, median};

const EVENTS: u64 = 1_000_000;
const PER_TRANSACTION: u64 = 20_000;
/// The log starts here (2023-11-14T22:13:20Z) and gains an event every 90 s: three years.
const T0: i64 = 1_700_000_000;
const STEP: i64 = 90;
const MEMBERS: u64 = 200;
const RUNS: usize = 51;

pub fn figures() -> anyhow::Result<Vec<Figure>> {
    let dir = scratch("log")?;
    let result = log_figures(&dir);
    let _ = std::fs::remove_dir_all(&dir);
    result
}

pub fn report_figures() -> anyhow::Result<Vec<Figure>> {
    let dir = scratch("report")?;
    let result = report_figure(&dir);
    let _ = std::fs::remove_dir_all(&dir);
    result
}

fn scratch(name: &str) -> anyhow::Result<std::path::PathBuf> {
    let dir = std::env::temp_dir().join(format!("stagehand-bench-{name}-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    Ok(dir)
}

/// Event `i` of the log: a desk's mix (requests, opinions, resolutions, cooldowns,
/// parameters) with the league's syncs and sign-ins.
fn event(i: u64) -> Event {
    let at = T0 + i as i64 * STEP;
    let member = Actor::User(1_000 + i % MEMBERS);
    let request = Value::Int((i / 4) as i64);
    let level = Value::Int(60_000_000 + (i / 4 % 50_000) as i64);
    match i % 10 {
        0 | 1 => Event::new(EventKind::RequestRequested, member, at)
            .with("request_id", request)
            .with("level_id", level)
            .with("level_name", format!("Level {}", i % 50_000))
            .with("lang", if i.is_multiple_of(3) { "ru" } else { "en" }),
        2..=4 => Event::new(EventKind::RequestOpinionAdded, member, at)
            .with("request_id", request)
            .with("level_id", level)
            .with("level_name", format!("Level {}", i % 50_000))
            .with(
                "opinion",
                if i.is_multiple_of(7) {
                    "rejected"
                } else {
                    "approved"
                },
            )
            .with("is_first", i % 3 == 2)
            .with("review", "yes")
            .with("reason", "NO_REASON"),
        5 => Event::new(EventKind::RequestResolutionAdded, member, at)
            .with("request_id", request)
            .with("level_id", level)
            .with("level_name", format!("Level {}", i % 50_000))
            .with("opinion", "approved")
            .with("is_first", true)
            .with("review", "NO_REVIEW")
            .with("reason", "NO_REASON"),
        6 => Event::new(EventKind::UserCooldownUpdated, Actor::Bot, at)
            .with("target_user_id", Value::User(5_000 + i % 3_000))
            .with("old", "not on cooldown")
            .with("new", "until 2026-01-01T00:00:00Z")
            .with("reason", "no reason"),
        7 => Event::new(EventKind::ParameterEdited, Actor::User(900), at)
            .with("parameter_id", "queue.block_at")
            .with("value", (i % 60).to_string()),
        8 => Event::new(EventKind::PlayersSynced, Actor::Bot, at)
            .with("players", 500_i64)
            .with("updated", (i % 500) as i64)
            .with("failed", 0_i64),
        _ => Event::new(EventKind::PlayerLinked, Actor::User(10_000 + i), at)
            .with("osu_id", Value::Int(i as i64))
            .with("osu_username", format!("player{i}"))
            .with("league", "gold"),
    }
}

fn log_figures(dir: &std::path::Path) -> anyhow::Result<Vec<Figure>> {
    let store = Store::open(&dir.join("bench.redb"), &StoreOptions::default())
        .context("opening a scratch store")?;
    let started = Instant::now();
    let mut i = 0;
    while i < EVENTS {
        let end = (i + PER_TRANSACTION).min(EVENTS);
        store.write(|w| {
            for n in i..end {
                audit::record(w, &event(n))?;
            }
            Ok::<_, StoreError>(())
        })?;
        i = end;
    }
    let recorded = started.elapsed().as_secs_f64();
    eprintln!("  recorded {EVENTS} events in {recorded:.1} s");

    let rejected = Filter {
        kind: Some(EventKind::RequestOpinionAdded),
        fields: vec![("opinion".into(), Value::Text("rejected".into()))],
        ..Filter::default()
    };
    let by_member = Filter {
        actor: Some(Actor::User(1_042)),
        ..rejected.clone()
    };
    let rare = Filter {
        fields: vec![("request_id".into(), Value::Int(123_456))],
        ..Filter::default()
    };
    let span = EVENTS as i64 * STEP;
    let view = |filter: &Filter, check: fn(&audit::Page) -> bool| {
        // Jumps spread over the log by a fixed sequence, so the pages are not the same few.
        let mut seed: u64 = 0x2545_F491_4F6C_DD1D;
        median(RUNS, || {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            let at = T0 + (seed % span as u64) as i64;
            let started = Instant::now();
            let page = store.read(|r| audit::page(r, filter, Start::At(at), 4))?;
            let elapsed = started.elapsed().as_secs_f64() * 1000.0;
            anyhow::ensure!(check(&page), "unexpected page at {at}: {page:?}");
            Ok(elapsed)
        })
    };
    let full = |page: &audit::Page| page.events.len() == 4;
    Ok(vec![
        Figure {
            name: "log_view_page_1m_events_ms",
            value: view(&rejected, full)?,
            unit: "ms",
        },
        Figure {
            name: "log_view_page_member_1m_events_ms",
            value: view(&by_member, |page| !page.events.is_empty())?,
            unit: "ms",
        },
        Figure {
            name: "log_view_page_rare_1m_events_ms",
            value: view(&rare, |page| page.events.len() == 2)?,
            unit: "ms",
        },
        Figure {
            name: "log_record_1m_events_s",
            value: recorded,
            unit: "s",
        },
    ])
}

const REQUESTS: u64 = 20_000;

fn report_figure(dir: &std::path::Path) -> anyhow::Result<Vec<Figure>> {
    let store = Store::open(&dir.join("bench.redb"), &StoreOptions::default())
        .context("opening a scratch store")?;
    let first = report::start_of(date(2025, 1, 1));
    let year = 365 * 86_400;
    store.write(|w| {
        for i in 0..REQUESTS {
            // Spread over the year, more on some days than others.
            let at = first + ((i * 7_919 + i * i % 1_013) % year as u64) as i64;
            model::insert(w, &request(i, at))?;
        }
        for n in 0..100 {
            let at = first + n * (year / 100);
            queue::set(w, Actor::User(900), true, at)?;
            queue::set(w, Actor::Bot, false, at + 2 * 86_400 + 3_600)?;
        }
        Ok::<_, StoreError>(())
    })?;
    let now = report::start_of(date(2026, 1, 1));
    let period = Period::new(None, date(2025, 12, 31), Granularity::Day);
    let draw = || -> anyhow::Result<usize> {
        let data = store.read(|r| Ok(report::new_requests(r, period, now)))??;
        anyhow::ensure!(data.counts.len() == 365, "{} days", data.counts.len());
        let chart = render::LineChart {
            title: "Levels Requested".into(),
            subtitle: format!("Up until {}", data.bins.last_day()),
            x_label: "Date".into(),
            y_label: "New Requests".into(),
            start: data.bins.start,
            granularity: render::Granularity::Day,
            series: vec![render::Series {
                name: "New Requests".into(),
                values: data.counts.iter().map(|n| *n as f64).collect(),
                color: None,
            }],
            spans: data
                .closed
                .iter()
                .map(|(first, last)| render::Span {
                    first: *first,
                    last: *last,
                    color: render::Rgb::RED,
                })
                .collect(),
            thresholds: Vec::new(),
        };
        Ok(render::line_chart(&chart)?.bytes.len())
    };
    std::hint::black_box(draw()?);
    let value = median(11, || {
        let started = Instant::now();
        std::hint::black_box(draw()?);
        Ok(started.elapsed().as_secs_f64() * 1000.0)
    })?;
    Ok(vec![Figure {
        name: "report_new_requests_365d_ms",
        value,
        unit: "ms",
    }])
}

fn request(i: u64, at: i64) -> Request {
    Request {
        requested_at: at,
        ..super::requests::stored_request(i)
    }
}
