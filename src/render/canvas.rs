//! An opaque RGBA drawing surface over a [`tiny_skia::Pixmap`]: fast paths for what pictures are
//! mostly made of (pixel-aligned rectangles and cached glyph coverage), tiny-skia for the rest
//! (anti-aliased lines, dashes, arcs).

use tiny_skia::{
    Color, FillRule, LineCap, LineJoin, Paint, Path, Pixmap, Stroke, StrokeDash, Transform,
};

use super::font::Bitmap;
use super::{Png, RenderError, Rgb};

/// Largest side of a picture, in pixels. Far above anything sensible, far below what would
/// exhaust memory.
const MAX_SIDE: u32 = 16_384;
/// Largest area of a picture, in pixels (≈ 256 MiB of RGBA).
const MAX_AREA: u64 = 64 * 1024 * 1024;

pub(crate) struct Canvas {
    pixmap: Pixmap,
}

impl Canvas {
    /// A `width` × `height` canvas filled with `background`.
    ///
    /// Pictures are encoded without alpha, so only the colour channels matter. A new pixmap is
    /// transparent black, whose premultiplied colour channels are those of opaque black, and
    /// drawing over either gives the same colours; so a black background needs no fill.
    pub(crate) fn new(width: u32, height: u32, background: Rgb) -> Result<Self, RenderError> {
        let too_large = || RenderError::TooLarge { width, height };
        let area = u64::from(width) * u64::from(height);
        if width > MAX_SIDE || height > MAX_SIDE || area > MAX_AREA {
            return Err(too_large());
        }
        let mut pixmap = Pixmap::new(width.max(1), height.max(1)).ok_or_else(too_large)?;
        if background != Rgb::BLACK {
            let Rgb(r, g, b) = background;
            pixmap.fill(Color::from_rgba8(r, g, b, 255));
        }
        Ok(Self { pixmap })
    }

    pub(crate) fn width(&self) -> u32 {
        self.pixmap.width()
    }

    pub(crate) fn height(&self) -> u32 {
        self.pixmap.height()
    }

    /// Fills the pixels from (`x`, `y`) spanning `width` × `height`, clipped to the canvas.
    pub(crate) fn fill_rect(&mut self, x: i32, y: i32, width: i32, height: i32, color: Rgb) {
        let (w, h) = (self.width() as i32, self.height() as i32);
        let (x0, x1) = (x.clamp(0, w), x.saturating_add(width).clamp(0, w));
        let (y0, y1) = (y.clamp(0, h), y.saturating_add(height).clamp(0, h));
        if x0 >= x1 || y0 >= y1 {
            return;
        }
        let pixel = [color.0, color.1, color.2, 255];
        let stride = w as usize * 4;
        let data = self.pixmap.data_mut();
        for row in y0..y1 {
            let start = row as usize * stride;
            let span = &mut data[start + x0 as usize * 4..start + x1 as usize * 4];
            for px in span.chunks_exact_mut(4) {
                px.copy_from_slice(&pixel);
            }
        }
    }

    /// Blends `color` through `bitmap`'s coverage with its top-left corner at (`x`, `y`).
    pub(crate) fn blend_coverage(&mut self, x: i32, y: i32, bitmap: &Bitmap, color: Rgb) {
        let (x, y) = (i64::from(x), i64::from(y));
        let (w, h) = (i64::from(self.width()), i64::from(self.height()));
        // The part of the bitmap that lands on the canvas.
        let (col0, col1) = ((-x).max(0), (w - x).min(bitmap.width as i64));
        let (row0, row1) = ((-y).max(0), (h - y).min(bitmap.height as i64));
        if col0 >= col1 || row0 >= row1 {
            return;
        }
        let stride = w as usize * 4;
        let data = self.pixmap.data_mut();
        let src = [u32::from(color.0), u32::from(color.1), u32::from(color.2)];
        for row in row0..row1 {
            let coverage =
                &bitmap.coverage[row as usize * bitmap.width..][col0 as usize..col1 as usize];
            let start = (y + row) as usize * stride + (x + col0) as usize * 4;
            let pixels = &mut data[start..start + coverage.len() * 4];
            for (pixel, &a) in pixels.chunks_exact_mut(4).zip(coverage) {
                match a {
                    0 => {}
                    255 => pixel[..3].copy_from_slice(&[color.0, color.1, color.2]),
                    _ => {
                        let a = u32::from(a);
                        for (channel, s) in pixel[..3].iter_mut().zip(src) {
                            *channel = div255(s * a + u32::from(*channel) * (255 - a));
                        }
                    }
                }
            }
        }
    }

    /// Draws polylines `width` pixels wide with round joins and caps, anti-aliased. A run of one
    /// point is a dot.
    ///
    /// Each segment is a capsule whose coverage comes from the distance of a pixel's centre to
    /// the segment, merged into one mask (so joins do not darken) and blended once. For long
    /// zigzagging data lines this is several times faster than filling the stroke's outline.
    pub(crate) fn polylines(&mut self, runs: &[Vec<(f32, f32)>], width: f32, color: Rgb) {
        let reach = width / 2.0 + 1.0;
        let points = runs
            .iter()
            .flatten()
            .filter(|(x, y)| x.is_finite() && y.is_finite());
        let (x0, y0, x1, y1) = points.fold(
            (
                f32::INFINITY,
                f32::INFINITY,
                f32::NEG_INFINITY,
                f32::NEG_INFINITY,
            ),
            |(x0, y0, x1, y1), &(x, y)| (x0.min(x), y0.min(y), x1.max(x), y1.max(y)),
        );
        if x0 > x1 {
            return;
        }
        let left = ((x0 - reach).floor().max(0.0)) as i32;
        let top = ((y0 - reach).floor().max(0.0)) as i32;
        let right = ((x1 + reach).ceil() as i32).min(self.width() as i32);
        let bottom = ((y1 + reach).ceil() as i32).min(self.height() as i32);
        if left >= right || top >= bottom {
            return;
        }
        let mut mask = Bitmap {
            left: 0,
            top: 0,
            width: (right - left) as usize,
            height: (bottom - top) as usize,
            coverage: vec![0; (right - left) as usize * (bottom - top) as usize],
        };
        let origin = (left as f32, top as f32);
        for run in runs {
            match run.as_slice() {
                [] => {}
                [dot] => capsule(&mut mask, origin, *dot, *dot, width / 2.0),
                points => {
                    for pair in points.windows(2) {
                        capsule(&mut mask, origin, pair[0], pair[1], width / 2.0);
                    }
                }
            }
        }
        self.blend_coverage(left, top, &mask, color);
    }

    /// Fills the rectangle between fractional edges with an anti-aliased, possibly translucent
    /// colour (`alpha` 0–1).
    pub(crate) fn fill_rect_blended(
        &mut self,
        left: f32,
        top: f32,
        right: f32,
        bottom: f32,
        color: Rgb,
        alpha: f32,
    ) {
        if let Some(rect) = tiny_skia::Rect::from_ltrb(left, top, right, bottom) {
            self.pixmap
                .fill_rect(rect, &paint(color, alpha), Transform::identity(), None);
        }
    }

    /// Fills a closed path anti-aliased.
    pub(crate) fn fill_path(&mut self, path: &Path, color: Rgb, rule: FillRule) {
        self.pixmap
            .fill_path(path, &paint(color, 1.0), rule, Transform::identity(), None);
    }

    /// Strokes a path anti-aliased; `dash` is an on/off pattern in pixels.
    pub(crate) fn stroke_path(
        &mut self,
        path: &Path,
        color: Rgb,
        width: f32,
        dash: Option<&[f32]>,
    ) {
        let stroke = Stroke {
            width,
            line_cap: LineCap::Round,
            line_join: LineJoin::Round,
            dash: dash.and_then(|pattern| StrokeDash::new(pattern.to_vec(), 0.0)),
            ..Stroke::default()
        };
        self.pixmap.stroke_path(
            path,
            &paint(color, 1.0),
            &stroke,
            Transform::identity(),
            None,
        );
    }

    /// Encodes the canvas as PNG.
    pub(crate) fn into_png(self) -> Result<Png, RenderError> {
        super::png::encode(&self.pixmap, &[])
    }

    /// Encodes the canvas as PNG carrying `record` (see [`super::RECORD_KEYWORD`]).
    pub(crate) fn into_png_with(self, record: &str) -> Result<Png, RenderError> {
        super::png::encode(&self.pixmap, &[(super::RECORD_KEYWORD, record)])
    }

    /// The canvas' premultiplied RGBA pixels (for tests).
    #[cfg(test)]
    pub(crate) fn data(&self) -> &[u8] {
        self.pixmap.data()
    }
}

/// Merges into `mask` (whose top-left pixel is at `origin`) the coverage of the capsule of
/// `radius` around segment `a`–`b`.
///
/// The segment is walked along its longer axis; on each row (or column) only the pixels within
/// reach of the segment are visited. Away from the ends the distance to the segment is the
/// distance to its line, which changes by a constant from pixel to pixel; near the ends the exact
/// distance to the segment (a round cap) is used.
fn capsule(mask: &mut Bitmap, origin: (f32, f32), a: (f32, f32), b: (f32, f32), radius: f32) {
    let (ax, ay) = (a.0 - origin.0, a.1 - origin.1);
    let (bx, by) = (b.0 - origin.0, b.1 - origin.1);
    if !(ax.is_finite() && ay.is_finite() && bx.is_finite() && by.is_finite()) {
        return;
    }
    // Walk along y when the segment is steep; otherwise swap the axes and walk along x.
    let steep = (by - ay).abs() >= (bx - ax).abs();
    let (ax, ay, bx, by) = if steep {
        (ax, ay, bx, by)
    } else {
        (ay, ax, by, bx)
    };
    let (major_len, minor_len) = if steep {
        (mask.height, mask.width)
    } else {
        (mask.width, mask.height)
    };
    let (dx, dy) = (bx - ax, by - ay);
    let length_sq = dx * dx + dy * dy;
    let length = length_sq.sqrt();
    let reach = radius + 1.0;
    let edge = radius + 0.5;
    let (y_low, y_high) = (ay.min(by), ay.max(by));
    let first = ((y_low - reach).floor().max(0.0)) as usize;
    let last = ((y_high + reach).ceil().max(0.0) as usize).min(major_len);
    let half = if dy == 0.0 {
        reach
    } else {
        reach * length / dy.abs()
    };
    for y in first..last {
        let cy = y as f32 + 0.5;
        let centre = if dy == 0.0 {
            ax
        } else {
            (ax + (cy - ay) * dx / dy).clamp(ax.min(bx), ax.max(bx))
        };
        let from = ((centre - half).floor().max(0.0)) as usize;
        let to = ((centre + half).ceil().max(0.0) as usize + 1).min(minor_len);
        // Rows this far from both ends only see the straight part of the capsule.
        let straight = length > 0.0 && cy > y_low + 2.0 * reach && cy < y_high - 2.0 * reach;
        for x in from..to {
            let cx = x as f32 + 0.5;
            let distance = if straight {
                ((cx - ax) * dy - (cy - ay) * dx).abs() / length
            } else {
                let t = if length_sq > 0.0 {
                    (((cx - ax) * dx + (cy - ay) * dy) / length_sq).clamp(0.0, 1.0)
                } else {
                    0.0
                };
                let (ex, ey) = (cx - ax - t * dx, cy - ay - t * dy);
                (ex * ex + ey * ey).sqrt()
            };
            let coverage = ((edge - distance).clamp(0.0, 1.0) * 255.0 + 0.5) as u8;
            if coverage > 0 {
                let index = if steep {
                    y * mask.width + x
                } else {
                    x * mask.width + y
                };
                let cell = &mut mask.coverage[index];
                *cell = (*cell).max(coverage);
            }
        }
    }
}

fn paint(color: Rgb, alpha: f32) -> Paint<'static> {
    let mut paint = Paint::default();
    paint.set_color(Color::from_rgba8(
        color.0,
        color.1,
        color.2,
        (alpha.clamp(0.0, 1.0) * 255.0).round() as u8,
    ));
    paint.anti_alias = true;
    paint
}

/// `x / 255`, rounded, for `x` ≤ 255 × 255.
fn div255(x: u32) -> u8 {
    let x = x + 128;
    ((x + (x >> 8)) >> 8) as u8
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn div255_matches_rounded_division() {
        for x in 0..=255 * 255 {
            assert_eq!(u32::from(div255(x)), (x + 127) / 255, "x = {x}");
        }
    }

    #[test]
    fn fill_rect_clips_to_the_canvas() {
        let mut canvas = Canvas::new(4, 4, Rgb::BLACK).unwrap();
        canvas.fill_rect(-10, 2, 100, 100, Rgb::WHITE);
        let white_rows = canvas
            .data()
            .chunks(16)
            .filter(|row| row.iter().all(|&b| b == 255))
            .count();
        assert_eq!(white_rows, 2);
    }

    #[test]
    fn refuses_absurd_sizes() {
        assert!(matches!(
            Canvas::new(100_000, 10, Rgb::BLACK),
            Err(RenderError::TooLarge { .. })
        ));
    }
}
