//! Rendering: milliseconds to draw and PNG-encode each kind of picture (issue 6 budgets: 50-row
//! table ≤ 15 ms, 365-day line chart ≤ 5 ms, donut ≤ 3 ms). Inputs are the samples' data; the
//! first draw of each kind warms the glyph cache, as a running bot's would be.

use std::time::Instant;

use stagehand::render;

use super::{Figure, median};
use crate::samples;

const RUNS: usize = 15;

pub fn figures() -> anyhow::Result<Vec<Figure>> {
    let tables = [
        (10, "render_table_10_ms"),
        (50, "render_table_50_ms"),
        (200, "render_table_200_ms"),
    ];
    let mut figures = Vec::new();
    for (rows, name) in tables {
        let table = samples::league_table(rows);
        figures.push(Figure {
            name,
            value: time(|| Ok(render::table(&table)?.len()))?,
            unit: "ms",
        });
    }
    let line = samples::new_requests(365);
    figures.push(Figure {
        name: "render_line_365d_ms",
        value: time(|| Ok(render::line_chart(&line)?.bytes.len()))?,
        unit: "ms",
    });
    let multi = samples::review_activity(10, 365, render::Granularity::Day);
    figures.push(Figure {
        name: "render_multi_10x365_ms",
        value: time(|| Ok(render::line_chart(&multi)?.bytes.len()))?,
        unit: "ms",
    });
    let donut = samples::reviewer_opinions();
    figures.push(Figure {
        name: "render_donut_ms",
        value: time(|| Ok(render::donut(&donut)?.bytes.len()))?,
        unit: "ms",
    });
    Ok(figures)
}

/// Median milliseconds of `RUNS` draws after one warm-up draw.
fn time(mut draw: impl FnMut() -> anyhow::Result<usize>) -> anyhow::Result<f64> {
    std::hint::black_box(draw()?);
    median(RUNS, || {
        let started = Instant::now();
        std::hint::black_box(draw()?);
        Ok(started.elapsed().as_secs_f64() * 1000.0)
    })
}
