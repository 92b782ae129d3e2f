//! Donut charts (a pie with a hole of half its radius): slices clockwise from twelve o'clock, each
//! labelled with its value and/or share when it is wide enough, and a legend listing every slice
//! with its value and share.
//!
//! The PNG carries a record of what it shows (iTXt chunk [`super::RECORD_KEYWORD`]):
//!
//! ```text
//! stagehand chart donut
//! centre <x> <y> <radius>
//! slice <index> <#rrggbb> <value> <share> <x> <y> <label>
//! ```
//!
//! where `x y` is a pixel in the middle of the slice's ring (for a slice drawn at all).

use std::f32::consts::{FRAC_PI_2, TAU};

use tiny_skia::{FillRule, PathBuilder};

use super::axis::format_number;
use super::canvas::Canvas;
use super::font::Weight;
use super::text::{Align, Line, Style};
use super::{Png, RenderError, Rgb, theme};

const WIDTH: u32 = 900;
const HEIGHT: u32 = 560;
const MARGIN: f32 = 24.0;
const MAX_RADIUS: f32 = 200.0;
const HOLE: f32 = 0.5;
const TITLE: Style = Style::new(Weight::Bold, 28.0, theme::TEXT);
const SUBTITLE: Style = Style::new(Weight::Regular, 18.0, theme::MUTED);
const SLICE_VALUE: Style = Style::new(Weight::Bold, 22.0, theme::TEXT);
const SLICE_SHARE: Style = Style::new(Weight::Regular, 18.0, theme::TEXT);
const LEGEND: Style = Style::new(Weight::Regular, 20.0, theme::TEXT);
const LEGEND_DETAIL: Style = Style::new(Weight::Regular, 18.0, theme::MUTED);
const LEGEND_ROW: f32 = 38.0;
/// Slice text on light slices.
const DARK_TEXT: Rgb = Rgb(0x11, 0x11, 0x11);
/// Slices narrower than this share of the circle carry no text on them (the legend has it).
const MIN_LABELLED_SHARE: f64 = 0.05;

/// A donut chart.
#[derive(Clone, Debug, Default)]
pub struct Donut {
    pub title: String,
    /// Under the title; empty for none.
    pub subtitle: String,
    /// Clockwise from twelve o'clock. Negative and NaN values count as zero.
    pub slices: Vec<Slice>,
    /// What the text on each slice says.
    pub labels: SliceLabel,
}

/// One slice.
#[derive(Clone, Debug, Default)]
pub struct Slice {
    pub label: String,
    pub value: f64,
    /// `None` picks the next colour of [`Rgb::series`].
    pub color: Option<Rgb>,
}

/// The text drawn on a slice.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum SliceLabel {
    /// The value, with its share under it.
    #[default]
    ValueAndPercent,
    Value,
    Percent,
}

/// Draws `donut`.
pub fn donut(donut: &Donut) -> Result<Png, RenderError> {
    let mut canvas = Canvas::new(WIDTH, HEIGHT, theme::BACKGROUND)?;
    let width = WIDTH as f32;
    let mut top = MARGIN;
    if !donut.title.is_empty() {
        top += TITLE.ascent();
        Line::new(&donut.title, TITLE)
            .ellipsize(width - 2.0 * MARGIN)
            .draw(&mut canvas, MARGIN, top, Align::Left);
        top += 8.0;
    }
    if !donut.subtitle.is_empty() {
        top += SUBTITLE.ascent();
        Line::new(&donut.subtitle, SUBTITLE)
            .ellipsize(width - 2.0 * MARGIN)
            .draw(&mut canvas, MARGIN, top, Align::Left);
    }
    top += 16.0;

    let radius = ((HEIGHT as f32 - MARGIN - top) / 2.0).min(MAX_RADIUS);
    let (cx, cy) = (
        MARGIN + 16.0 + radius,
        top + (HEIGHT as f32 - MARGIN - top) / 2.0,
    );
    let values: Vec<f64> = donut
        .slices
        .iter()
        .map(|s| {
            if s.value.is_finite() && s.value > 0.0 {
                s.value
            } else {
                0.0
            }
        })
        .collect();
    let total: f64 = values.iter().sum();
    let colors: Vec<Rgb> = donut
        .slices
        .iter()
        .enumerate()
        .map(|(i, s)| s.color.unwrap_or_else(|| Rgb::series(i)))
        .collect();

    if total > 0.0 && total.is_finite() {
        draw_slices(&mut canvas, (cx, cy), radius, &values, total, &colors);
        draw_slice_labels(
            &mut canvas,
            ((cx, cy), radius),
            &values,
            total,
            &colors,
            donut.labels,
        );
    } else {
        ring(&mut canvas, (cx, cy), radius, theme::GRID);
    }
    draw_legend(
        &mut canvas,
        cx + radius + 48.0,
        cy,
        donut,
        &values,
        total,
        &colors,
    );
    let record = record(donut, ((cx, cy), radius), &values, total, &colors);
    canvas.into_png_with(&record)
}

/// What the donut shows, as [the module comment](self) describes.
fn record(
    donut: &Donut,
    (centre, radius): ((f32, f32), f32),
    values: &[f64],
    total: f64,
    colors: &[Rgb],
) -> String {
    use std::fmt::Write as _;
    let mut out = String::from("stagehand chart donut\n");
    let _ = writeln!(out, "centre {} {} {radius}", centre.0, centre.1);
    let angles = if total > 0.0 && total.is_finite() {
        boundaries(values, total)
    } else {
        vec![0.0; values.len() + 1]
    };
    for (i, slice) in donut.slices.iter().enumerate() {
        let Rgb(r, g, b) = colors[i];
        let (x, y) = point(
            centre,
            radius * (1.0 + HOLE) / 2.0,
            (angles[i] + angles[i + 1]) / 2.0,
        );
        let _ = writeln!(
            out,
            "slice {i} #{r:02x}{g:02x}{b:02x} {} {} {x} {y} {}",
            values[i],
            share(values[i], total),
            slice.label.replace(['\n', '\r'], " ")
        );
    }
    out
}

fn share(value: f64, total: f64) -> f64 {
    if total > 0.0 && total.is_finite() {
        value / total
    } else {
        0.0
    }
}

fn percent(value: f64, total: f64) -> String {
    format!("{:.1}%", share(value, total) * 100.0)
}

/// The angle (radians, clockwise from twelve o'clock) where each slice starts, plus the end.
fn boundaries(values: &[f64], total: f64) -> Vec<f32> {
    let mut angles = Vec::with_capacity(values.len() + 1);
    let mut sum = 0.0;
    angles.push(0.0);
    for value in values {
        sum += value;
        angles.push((sum / total) as f32 * TAU);
    }
    angles
}

fn point((cx, cy): (f32, f32), radius: f32, angle: f32) -> (f32, f32) {
    (
        cx + radius * (angle - FRAC_PI_2).cos(),
        cy + radius * (angle - FRAC_PI_2).sin(),
    )
}

fn ring(canvas: &mut Canvas, centre: (f32, f32), radius: f32, color: Rgb) {
    let mut path = PathBuilder::new();
    path.push_circle(centre.0, centre.1, radius);
    path.push_circle(centre.0, centre.1, radius * HOLE);
    if let Some(path) = path.finish() {
        canvas.fill_path(&path, color, FillRule::EvenOdd);
    }
}

fn draw_slices(
    canvas: &mut Canvas,
    centre: (f32, f32),
    radius: f32,
    values: &[f64],
    total: f64,
    colors: &[Rgb],
) {
    let angles = boundaries(values, total);
    let inner = radius * HOLE;
    let mut nonempty = 0;
    for (i, pair) in angles.windows(2).enumerate() {
        let (from, to) = (pair[0], pair[1]);
        if to - from <= 0.0 {
            continue;
        }
        nonempty += 1;
        if to - from >= TAU - 1e-4 {
            ring(canvas, centre, radius, colors[i]);
            continue;
        }
        // Polylines a degree or so apart are smoother than the anti-aliasing can show.
        let steps = ((to - from).to_degrees() / 1.5).ceil().max(2.0) as usize;
        let mut path = PathBuilder::with_capacity(2 * steps + 4, 2 * steps + 4);
        let (x, y) = point(centre, radius, from);
        path.move_to(x, y);
        for s in 1..=steps {
            let (x, y) = point(centre, radius, from + (to - from) * s as f32 / steps as f32);
            path.line_to(x, y);
        }
        for s in (0..=steps).rev() {
            let (x, y) = point(centre, inner, from + (to - from) * s as f32 / steps as f32);
            path.line_to(x, y);
        }
        path.close();
        if let Some(path) = path.finish() {
            canvas.fill_path(&path, colors[i], FillRule::Winding);
        }
    }
    // Thin gaps between slices.
    if nonempty > 1 {
        let mut gaps = PathBuilder::new();
        for angle in &angles[..angles.len() - 1] {
            let (x0, y0) = point(centre, inner - 1.0, *angle);
            let (x1, y1) = point(centre, radius + 1.0, *angle);
            gaps.move_to(x0, y0);
            gaps.line_to(x1, y1);
        }
        if let Some(gaps) = gaps.finish() {
            canvas.stroke_path(&gaps, theme::BACKGROUND, 3.0, None);
        }
    }
}

/// Writes each wide-enough slice's value and/or share on it, dark on light slices.
fn draw_slice_labels(
    canvas: &mut Canvas,
    (centre, radius): ((f32, f32), f32),
    values: &[f64],
    total: f64,
    colors: &[Rgb],
    labels: SliceLabel,
) {
    let angles = boundaries(values, total);
    let middle_radius = radius * (1.0 + HOLE) / 2.0;
    let thickness = radius * (1.0 - HOLE);
    for (i, &value) in values.iter().enumerate() {
        if share(value, total) < MIN_LABELLED_SHARE {
            continue;
        }
        let (x, y) = point(centre, middle_radius, (angles[i] + angles[i + 1]) / 2.0);
        let Rgb(r, g, b) = colors[i];
        let luminance = 0.299 * f32::from(r) + 0.587 * f32::from(g) + 0.114 * f32::from(b);
        let color = if luminance > 150.0 {
            DARK_TEXT
        } else {
            theme::TEXT
        };
        let big = Style {
            color,
            ..SLICE_VALUE
        };
        let small = Style {
            color,
            ..SLICE_SHARE
        };
        let (first, second) = match labels {
            SliceLabel::ValueAndPercent => (format_number(value), Some(percent(value, total))),
            SliceLabel::Value => (format_number(value), None),
            SliceLabel::Percent => (percent(value, total), None),
        };
        let first = Line::new(&first, big).ellipsize(thickness);
        match second {
            Some(second) => {
                first.draw(canvas, x, y - 2.0, Align::Center);
                let second = Line::new(&second, small).ellipsize(thickness);
                second.draw(canvas, x, y + 2.0 + small.ascent() * 0.8, Align::Center);
            }
            None => first.draw(canvas, x, y + big.size * 0.36, Align::Center),
        }
    }
}

fn draw_legend(
    canvas: &mut Canvas,
    left: f32,
    cy: f32,
    donut: &Donut,
    values: &[f64],
    total: f64,
    colors: &[Rgb],
) {
    let available = WIDTH as f32 - MARGIN - left - 28.0;
    let rows = ((HEIGHT as f32 - 2.0 * MARGIN) / LEGEND_ROW) as usize;
    let shown = donut.slices.len().min(rows);
    let mut middle = cy - LEGEND_ROW * (shown as f32 - 1.0) / 2.0;
    for (i, slice) in donut.slices.iter().enumerate().take(shown) {
        canvas.fill_rect(left as i32, (middle - 8.0) as i32, 16, 16, colors[i]);
        let detail = format!(
            "{} · {}",
            format_number(values[i]),
            percent(values[i], total)
        );
        let detail = Line::new(&detail, LEGEND_DETAIL);
        let name = Line::new(&slice.label, LEGEND).ellipsize(available - detail.width - 12.0);
        let baseline = middle + LEGEND.size * 0.36;
        name.draw(canvas, left + 28.0, baseline, Align::Left);
        detail.ellipsize(available).draw(
            canvas,
            left + 28.0 + name.width + 12.0,
            baseline,
            Align::Left,
        );
        middle += LEGEND_ROW;
    }
}
