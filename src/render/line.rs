//! Line charts over dates: one or more series of per-bin values (a day or a week per bin), a
//! date x-axis with calendar ticks, a y-axis with round ticks, shaded vertical spans (closed-queue
//! days), dashed horizontal thresholds with labels (auto-block/unblock) and, for several series,
//! a legend. Every piece of text comes from the caller, so charts can be localised.
//!
//! The PNG carries a record of what it shows (iTXt chunk [`super::RECORD_KEYWORD`]), a line
//! each, numbers in pixels of the picture (x from the left, y from the top):
//!
//! ```text
//! stagehand chart line
//! plot <left> <top> <right> <bottom>
//! series <index> <#rrggbb> <name>
//! point <series index> <bin> <date of the bin> <value> <x> <y>
//! span <first date> <last date> <#rrggbb> <x from> <x to>
//! threshold <value> <#rrggbb> <y> <label>
//! ```

use jiff::civil::Date;
use tiny_skia::{FillRule, PathBuilder};

use super::axis::{self, Ticks};
use super::canvas::Canvas;
use super::font::Weight;
use super::text::{Align, Line, Style, measure};
use super::{Png, RenderError, Rgb, theme};

const WIDTH: u32 = 1100;
const HEIGHT: u32 = 620;
const MARGIN: f32 = 24.0;
const TITLE: Style = Style::new(Weight::Bold, 28.0, theme::TEXT);
const SUBTITLE: Style = Style::new(Weight::Regular, 18.0, theme::MUTED);
const AXIS_TITLE: Style = Style::new(Weight::Regular, 18.0, theme::TEXT);
const TICK: Style = Style::new(Weight::Regular, 16.0, theme::MUTED);
const LEGEND: Style = Style::new(Weight::Regular, 17.0, theme::TEXT);
const THRESHOLD: Style = Style::new(Weight::Bold, 16.0, theme::TEXT);
const LEGEND_SWATCH: f32 = 22.0;
const LEGEND_ROW: f32 = 30.0;
const LEGEND_MAX_TEXT: f32 = 200.0;
const SPAN_ALPHA: f32 = 0.25;

/// How long one bin of a series is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum Granularity {
    #[default]
    Day,
    /// ISO weeks: bins start on Mondays (the caller snaps `start` to a Monday).
    Week,
}

impl Granularity {
    /// Days per bin.
    pub fn days(self) -> i64 {
        match self {
            Self::Day => 1,
            Self::Week => 7,
        }
    }
}

/// A line chart. Bin `i` of every series is the day (or week) `start + i × granularity`.
#[derive(Clone, Debug)]
pub struct LineChart {
    pub title: String,
    /// Under the title, e.g. "From 2024-01-01 to 2024-12-31"; empty for none.
    pub subtitle: String,
    pub x_label: String,
    pub y_label: String,
    /// The date of the first bin.
    pub start: Date,
    pub granularity: Granularity,
    /// One line each; a legend is drawn when there are several.
    pub series: Vec<Series>,
    /// Shaded date ranges, drawn under the lines.
    pub spans: Vec<Span>,
    /// Dashed horizontal lines with a label at their right end.
    pub thresholds: Vec<Threshold>,
}

/// One line: its legend name and a value per bin (NaN leaves a gap).
#[derive(Clone, Debug, Default)]
pub struct Series {
    pub name: String,
    pub values: Vec<f64>,
    /// `None` picks the next colour of [`Rgb::series`].
    pub color: Option<Rgb>,
}

/// A shaded range of bins, from half a bin before `first` to half a bin after `last`, so that the
/// points of those bins sit inside it.
#[derive(Clone, Copy, Debug)]
pub struct Span {
    pub first: Date,
    pub last: Date,
    /// Drawn at 25 % opacity.
    pub color: Rgb,
}

/// A dashed horizontal line at `value`.
#[derive(Clone, Debug)]
pub struct Threshold {
    pub value: f64,
    pub label: String,
    pub color: Rgb,
}

/// The plot rectangle and the mapping from (bin, value) to pixels.
struct Plot {
    left: f32,
    top: f32,
    right: f32,
    bottom: f32,
    bins: usize,
    ticks: Ticks,
}

impl Plot {
    fn bin_width(&self) -> f32 {
        (self.right - self.left) / self.bins.max(1) as f32
    }

    /// The x of the centre of bin `bin` (fractional bins allowed).
    fn x(&self, bin: f64) -> f32 {
        self.left + (bin as f32 + 0.5) * self.bin_width()
    }

    fn y(&self, value: f64) -> f32 {
        let fraction = (value - self.ticks.min) / (self.ticks.max - self.ticks.min);
        self.bottom - fraction as f32 * (self.bottom - self.top)
    }
}

/// Draws `chart`.
pub fn line_chart(chart: &LineChart) -> Result<Png, RenderError> {
    let mut canvas = Canvas::new(WIDTH, HEIGHT, theme::BACKGROUND)?;
    let width = WIDTH as f32;
    let height = HEIGHT as f32;

    let mut top = MARGIN;
    if !chart.title.is_empty() {
        top += TITLE.ascent();
        Line::new(&chart.title, TITLE)
            .ellipsize(width - 2.0 * MARGIN)
            .draw(&mut canvas, MARGIN, top, Align::Left);
        top += 8.0;
    }
    if !chart.subtitle.is_empty() {
        top += SUBTITLE.ascent();
        Line::new(&chart.subtitle, SUBTITLE)
            .ellipsize(width - 2.0 * MARGIN)
            .draw(&mut canvas, MARGIN, top, Align::Left);
    }
    top += 24.0;

    let bins = chart
        .series
        .iter()
        .map(|s| s.values.len())
        .max()
        .unwrap_or(0);
    let finite = chart
        .series
        .iter()
        .flat_map(|s| s.values.iter().copied())
        .filter(|v| v.is_finite());
    let thresholds = chart
        .thresholds
        .iter()
        .map(|t| t.value)
        .filter(|v| v.is_finite());
    let (low, high, integers) = finite
        .chain(thresholds)
        .fold((0.0f64, f64::NEG_INFINITY, true), |(lo, hi, int), v| {
            (lo.min(v), hi.max(v), int && v.fract() == 0.0)
        });
    let high = if high.is_finite() { high } else { 1.0 };
    let bottom = height - MARGIN - AXIS_TITLE.size - 14.0 - TICK.size - 12.0;
    let target = ((bottom - top) / 60.0).max(2.0) as usize;
    let ticks = Ticks::new(low, high + (high - low) * 0.04, target, integers);

    let tick_width = ticks
        .values()
        .map(|v| measure(&ticks.label(v), TICK))
        .fold(0.0, f32::max);
    let left = MARGIN + AXIS_TITLE.size * 1.4 + 10.0 + tick_width + 8.0;
    let legend = chart.series.len() > 1;
    let legend_width = if legend {
        let names = chart
            .series
            .iter()
            .map(|s| measure(&s.name, LEGEND).min(LEGEND_MAX_TEXT))
            .fold(0.0, f32::max);
        LEGEND_SWATCH + 8.0 + names + 16.0
    } else {
        0.0
    };
    let right = width - MARGIN - legend_width;
    let plot = Plot {
        left,
        top,
        right,
        bottom,
        bins,
        ticks,
    };

    draw_frame(&mut canvas, &plot, chart);
    draw_spans(&mut canvas, &plot, chart);
    let threshold_labels = draw_thresholds(&mut canvas, &plot, &chart.thresholds);
    for (index, series) in chart.series.iter().enumerate() {
        draw_series(
            &mut canvas,
            &plot,
            series,
            series.color.unwrap_or_else(|| Rgb::series(index)),
            legend,
        );
    }
    draw_threshold_labels(&mut canvas, &plot, &threshold_labels);
    if legend {
        draw_legend(&mut canvas, &plot, &chart.series, right + 16.0);
    }
    canvas.into_png_with(&record(&plot, chart))
}

/// What the chart shows, as [the module comment](self) describes.
fn record(plot: &Plot, chart: &LineChart) -> String {
    use std::fmt::Write as _;
    let one_line = |text: &str| text.replace(['\n', '\r'], " ");
    let hex = |Rgb(r, g, b): Rgb| format!("#{r:02x}{g:02x}{b:02x}");
    let mut out = String::from("stagehand chart line\n");
    let _ = writeln!(
        out,
        "plot {} {} {} {}",
        plot.left, plot.top, plot.right, plot.bottom
    );
    for (index, series) in chart.series.iter().enumerate() {
        let color = series.color.unwrap_or_else(|| Rgb::series(index));
        let _ = writeln!(
            out,
            "series {index} {} {}",
            hex(color),
            one_line(&series.name)
        );
        for (bin, value) in series.values.iter().enumerate() {
            if !value.is_finite() {
                continue;
            }
            let date = axis::bin_date(chart.start, chart.granularity, bin)
                .map_or_else(|| "-".to_string(), |d| d.to_string());
            let (x, y) = (plot.x(bin as f64), plot.y(*value));
            let _ = writeln!(out, "point {index} {bin} {date} {value} {x} {y}");
        }
    }
    let bins = plot.bins.max(1) as f64;
    for span in &chart.spans {
        let first = axis::bin_of(chart.start, chart.granularity, span.first);
        let last = axis::bin_of(chart.start, chart.granularity, span.last);
        let (from, to) = (
            (first.min(last) - 0.5).max(-0.5),
            (first.max(last) + 0.5).min(bins - 0.5),
        );
        if from < to {
            let _ = writeln!(
                out,
                "span {} {} {} {} {}",
                span.first,
                span.last,
                hex(span.color),
                plot.x(from),
                plot.x(to)
            );
        }
    }
    for threshold in chart.thresholds.iter().filter(|t| t.value.is_finite()) {
        let _ = writeln!(
            out,
            "threshold {} {} {} {}",
            threshold.value,
            hex(threshold.color),
            plot.y(threshold.value),
            one_line(&threshold.label)
        );
    }
    out
}

/// Plot background, grid, ticks and their labels, axis titles.
fn draw_frame(canvas: &mut Canvas, plot: &Plot, chart: &LineChart) {
    let (left, top) = (plot.left as i32, plot.top as i32);
    let (width, height) = (
        (plot.right - plot.left) as i32,
        (plot.bottom - plot.top) as i32,
    );
    canvas.fill_rect(left, top, width, height, theme::PLOT);

    for value in plot.ticks.values() {
        let y = plot.y(value).round() as i32;
        let color = if value == 0.0 && plot.ticks.min < 0.0 {
            theme::RULE
        } else {
            theme::GRID
        };
        canvas.fill_rect(left, y, width, 1, color);
        let label = Line::new(&plot.ticks.label(value), TICK);
        label.draw(
            canvas,
            plot.left - 8.0,
            y as f32 + TICK.size * 0.36,
            Align::Right,
        );
    }

    let label_width = measure("0000-00-00", TICK) + 28.0;
    let max_labels = ((plot.right - plot.left) / label_width) as usize;
    let baseline = plot.bottom + 8.0 + TICK.ascent();
    for (bin, date) in axis::date_ticks(chart.start, chart.granularity, plot.bins, max_labels) {
        let x = plot.x(bin as f64).round();
        canvas.fill_rect(x as i32, top, 1, height, theme::GRID);
        canvas.fill_rect(x as i32, top + height, 1, 6, theme::RULE);
        let label = Line::new(&date.to_string(), TICK);
        let half = label.width / 2.0;
        let x = x.clamp(half + 4.0, WIDTH as f32 - half - 4.0);
        label.draw(canvas, x, baseline, Align::Center);
    }
    canvas.fill_rect(left, top + height, width, 1, theme::RULE);

    let centre = (plot.left + plot.right) / 2.0;
    let x_title = Line::new(&chart.x_label, AXIS_TITLE).ellipsize(plot.right - plot.left);
    x_title.draw(canvas, centre, HEIGHT as f32 - MARGIN, Align::Center);
    let y_title = Line::new(&chart.y_label, AXIS_TITLE).ellipsize(plot.bottom - plot.top);
    y_title.draw_upwards(
        canvas,
        MARGIN + AXIS_TITLE.size * 0.7,
        (plot.top + plot.bottom) / 2.0,
    );
}

fn draw_spans(canvas: &mut Canvas, plot: &Plot, chart: &LineChart) {
    let bins = plot.bins.max(1) as f64;
    for span in &chart.spans {
        let first = axis::bin_of(chart.start, chart.granularity, span.first);
        let last = axis::bin_of(chart.start, chart.granularity, span.last);
        let (from, to) = (
            (first.min(last) - 0.5).max(-0.5),
            (first.max(last) + 0.5).min(bins - 0.5),
        );
        if from < to {
            canvas.fill_rect_blended(
                plot.x(from),
                plot.top,
                plot.x(to),
                plot.bottom,
                span.color,
                SPAN_ALPHA,
            );
        }
    }
}

/// Draws the threshold lines and returns their labels, placed, to draw over the series.
fn draw_thresholds(canvas: &mut Canvas, plot: &Plot, thresholds: &[Threshold]) -> Vec<(Line, f32)> {
    let mut sorted: Vec<&Threshold> = thresholds.iter().filter(|t| t.value.is_finite()).collect();
    sorted.sort_by(|a, b| b.value.total_cmp(&a.value));
    let mut last_label_bottom = f32::NEG_INFINITY;
    let mut labels = Vec::with_capacity(sorted.len());
    for threshold in sorted {
        let y = plot.y(threshold.value);
        if !(plot.top..=plot.bottom).contains(&y) {
            continue; // beyond the axis (only for values past ±1e300)
        }
        let mut path = PathBuilder::new();
        path.move_to(plot.left, y);
        path.line_to(plot.right, y);
        if let Some(path) = path.finish() {
            canvas.stroke_path(&path, threshold.color, 2.0, Some(&[10.0, 7.0]));
        }
        let style = Style {
            color: threshold.color,
            ..THRESHOLD
        };
        // Above the line, unless that would leave the plot or cover the previous label.
        let top_if_above = y - 7.0 - style.ascent();
        let baseline = if top_if_above < plot.top || top_if_above < last_label_bottom {
            y + 7.0 + style.ascent()
        } else {
            y - 7.0
        };
        last_label_bottom = baseline - style.descent();
        let line = Line::new(&threshold.label, style).ellipsize(plot.right - plot.left - 24.0);
        labels.push((line, baseline));
    }
    labels
}

/// Draws threshold labels at the right end of the plot on a backdrop that keeps them readable
/// over the lines.
fn draw_threshold_labels(canvas: &mut Canvas, plot: &Plot, labels: &[(Line, f32)]) {
    for (line, baseline) in labels {
        let right = plot.right - 8.0;
        let (top, bottom) = (
            baseline - THRESHOLD.ascent(),
            baseline - THRESHOLD.descent(),
        );
        canvas.fill_rect_blended(
            right - line.width - 6.0,
            top,
            right + 4.0,
            bottom,
            theme::PLOT,
            0.8,
        );
        line.draw(canvas, right, *baseline, Align::Right);
    }
}

fn draw_series(canvas: &mut Canvas, plot: &Plot, series: &Series, color: Rgb, several: bool) {
    let mut runs: Vec<Vec<(f32, f32)>> = vec![Vec::with_capacity(series.values.len())];
    for (bin, value) in series.values.iter().enumerate() {
        match runs.last_mut() {
            Some(run) if value.is_finite() => run.push((plot.x(bin as f64), plot.y(*value))),
            Some(run) if !run.is_empty() => runs.push(Vec::new()),
            _ => {}
        }
    }
    let points: usize = runs.iter().map(Vec::len).sum();
    canvas.polylines(&runs, if several { 2.0 } else { 2.5 }, color);
    // Markers where a single line's points are far enough apart to tell, and for a lone point.
    if (plot.bin_width() >= 12.0 && !several) || points == 1 {
        let mut dots = PathBuilder::new();
        for &(x, y) in runs.iter().flatten() {
            dots.push_circle(x, y, 4.0);
        }
        if let Some(dots) = dots.finish() {
            canvas.fill_path(&dots, color, FillRule::Winding);
        }
    }
}

fn draw_legend(canvas: &mut Canvas, plot: &Plot, series: &[Series], left: f32) {
    let rows = ((plot.bottom - plot.top) / LEGEND_ROW) as usize;
    let shown = if series.len() > rows {
        rows.saturating_sub(1)
    } else {
        series.len()
    };
    for (index, entry) in series.iter().enumerate().take(shown) {
        let middle = plot.top + LEGEND_ROW * (index as f32 + 0.5);
        let color = entry.color.unwrap_or_else(|| Rgb::series(index));
        canvas.fill_rect(
            left as i32,
            middle as i32 - 1,
            LEGEND_SWATCH as i32,
            3,
            color,
        );
        let name = Line::new(&entry.name, LEGEND).ellipsize(LEGEND_MAX_TEXT);
        name.draw(
            canvas,
            left + LEGEND_SWATCH + 8.0,
            middle + LEGEND.size * 0.36,
            Align::Left,
        );
    }
    if shown < series.len() {
        let middle = plot.top + LEGEND_ROW * (shown as f32 + 0.5);
        let more = Line::new(
            &format!("+{}", series.len() - shown),
            Style {
                color: theme::MUTED,
                ..LEGEND
            },
        );
        more.draw(
            canvas,
            left + LEGEND_SWATCH + 8.0,
            middle + LEGEND.size * 0.36,
            Align::Left,
        );
    }
}
