//! `cargo xtask bench [FILTER]`: every benchmark of the project, one module per area.
//!
//! Each area returns [`Figure`]s; this module prints them as `bench <name> <value> <unit>` and
//! writes `target/bench.json`. A FILTER runs only the areas whose name contains it.

mod backups;
mod discord;
mod dist;
mod fakes;
mod import;
mod league;
mod log;
mod render;
mod requests;
mod services;
mod startup;

use std::fmt::Write as _;

use anyhow::Context as _;

/// One measured figure.
pub struct Figure {
    pub name: &'static str,
    pub value: f64,
    pub unit: &'static str,
}

/// The runtime the benchmarks' fake servers run on: two workers, as many cores as CI has.
fn runtime() -> std::io::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
}

type Area = (&'static str, fn() -> anyhow::Result<Vec<Figure>>);

const AREAS: &[Area] = &[
    ("startup", startup::figures),
    ("discord", discord::figures),
    ("render", render::figures),
    ("services", services::figures),
    ("requests", requests::figures),
    ("league", league::figures),
    ("league-challenge", league::challenge_figures),
    ("control-panel", backups::api_figures),
    ("backup-load", backups::load_figures),
    ("log", log::figures),
    ("reports", log::report_figures),
    ("import", import::figures),
    ("dist", dist::figures),
];

pub fn run(args: &[String]) -> anyhow::Result<()> {
    let filter = args.first().map(String::as_str).unwrap_or("");
    let mut figures = Vec::new();
    for (area, measure) in AREAS.iter().filter(|(name, _)| name.contains(filter)) {
        eprintln!("measuring {area}…");
        for figure in measure().with_context(|| format!("bench area {area}"))? {
            println!(
                "bench {} {} {}",
                figure.name,
                format_value(figure.value),
                figure.unit
            );
            figures.push(figure);
        }
    }
    let path = crate::project_root().join("target/bench.json");
    std::fs::create_dir_all(path.parent().context("target dir")?)?;
    std::fs::write(&path, to_json(&figures))
        .with_context(|| format!("writing {}", path.display()))?;
    Ok(())
}

fn format_value(value: f64) -> String {
    if value >= 100.0 {
        format!("{value:.0}")
    } else {
        format!("{value:.3}")
    }
}

fn to_json(figures: &[Figure]) -> String {
    let mut out = String::from("[\n");
    for (i, f) in figures.iter().enumerate() {
        let comma = if i + 1 < figures.len() { "," } else { "" };
        let _ = writeln!(
            out,
            "  {{\"name\": \"{}\", \"value\": {}, \"unit\": \"{}\"}}{comma}",
            f.name,
            format_value(f.value),
            f.unit
        );
    }
    out.push_str("]\n");
    out
}

/// Median of `runs` samples of `measure` (milliseconds or whatever unit it returns).
pub fn median(
    runs: usize,
    mut measure: impl FnMut() -> anyhow::Result<f64>,
) -> anyhow::Result<f64> {
    let mut samples = (0..runs)
        .map(|_| measure())
        .collect::<anyhow::Result<Vec<f64>>>()?;
    samples.sort_by(f64::total_cmp);
    Ok(samples[samples.len() / 2])
}
