//! Pictures the bots answer with: league tables (`/show`, `/archived`, points, rivals) and report
//! charts (line charts over dates, multi-series charts, donuts), drawn with tiny-skia and encoded
//! as PNG.
//!
//! This module owns the embedded fonts (Open Sans regular and bold, Apache-2.0, from
//! `assets/fonts/`) and their glyph cache, single-line text layout, one file per kind of picture
//! and the PNG encoder. Callers fill plain structs — [`Table`], [`LineChart`], [`Donut`] — with
//! already-localised strings and get [`Png`]s back. It knows nothing of Discord, serenity, redb or
//! the domain: it may only call its own children, tiny-skia, ab_glyph, png and jiff.
//!
//! Every picture is opaque, dark-themed (like the original league tables) and stays under
//! [`MAX_FILE_BYTES`]: a table too tall for one picture is split into pages.

mod axis;
mod canvas;
mod donut;
mod font;
mod line;
mod png;
mod table;
mod text;

pub use donut::{Donut, Slice, SliceLabel, donut};
pub use line::{Granularity, LineChart, Series, Span, Threshold, line_chart};
pub use table::{Cell, Column, Format, MAX_ROWS_PER_PAGE, Table, Tint, table};
pub use text::Align;

/// The keyword of the iTXt chunk in which a chart's PNG carries what it shows: each point it
/// drew with its value and pixel, each shaded span, each threshold, one per line (see
/// [`line_chart`] and [`donut`]). Readers that want the numbers (tests, or anyone given the
/// picture) need not read pixels; a test checks that the pixels agree.
pub const RECORD_KEYWORD: &str = "stagehand:chart";

/// Discord's limit on one attached file.
pub const MAX_FILE_BYTES: usize = 10 * 1024 * 1024;

/// An encoded PNG picture.
#[derive(Clone, Debug)]
pub struct Png {
    /// The PNG file.
    pub bytes: Vec<u8>,
    /// Width in pixels.
    pub width: u32,
    /// Height in pixels.
    pub height: u32,
}

/// An opaque colour.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Rgb(pub u8, pub u8, pub u8);

impl Rgb {
    pub const BLACK: Self = Self(0x00, 0x00, 0x00);
    pub const WHITE: Self = Self(0xFF, 0xFF, 0xFF);
    /// Gains, approvals, the "unblock" threshold.
    pub const GREEN: Self = Self(0x3D, 0xD6, 0x8C);
    /// Losses, rejections, the "block" threshold, closed-queue spans.
    pub const RED: Self = Self(0xFF, 0x5C, 0x5C);
    pub const YELLOW: Self = Self(0xFF, 0xD4, 0x3B);
    pub const GREY: Self = Self(0x8A, 0x8F, 0x98);
    pub const BLUE: Self = Self(0x4E, 0x9F, 0xFF);
    /// The league tables' header colour (#FF69B4, "hot pink").
    pub const PINK: Self = Self(0xFF, 0x69, 0xB4);

    /// The `index`-th colour of the series palette: ten distinct hues readable on the dark
    /// background, then further hues spread by the golden angle.
    pub fn series(index: usize) -> Self {
        const PALETTE: [Rgb; 10] = [
            Rgb(0x4E, 0x9F, 0xFF),
            Rgb(0xFF, 0x9F, 0x43),
            Rgb(0x3D, 0xD6, 0x8C),
            Rgb(0xFF, 0x5C, 0x8A),
            Rgb(0xB1, 0x8C, 0xFF),
            Rgb(0xFF, 0xD4, 0x3B),
            Rgb(0x3D, 0xD9, 0xD6),
            Rgb(0xFF, 0x7A, 0xD9),
            Rgb(0xA3, 0xE6, 0x35),
            Rgb(0xC4, 0xA4, 0x84),
        ];
        PALETTE.get(index).copied().unwrap_or_else(|| {
            let hue = (index as f32 * 137.508) % 360.0;
            Self::from_hsv(hue, 0.6, 1.0)
        })
    }

    fn from_hsv(hue: f32, saturation: f32, value: f32) -> Self {
        let c = value * saturation;
        let x = c * (1.0 - ((hue / 60.0) % 2.0 - 1.0).abs());
        let (r, g, b) = match hue as u32 / 60 {
            0 => (c, x, 0.0),
            1 => (x, c, 0.0),
            2 => (0.0, c, x),
            3 => (0.0, x, c),
            4 => (x, 0.0, c),
            _ => (c, 0.0, x),
        };
        let m = value - c;
        let channel = |v: f32| ((v + m) * 255.0).round() as u8;
        Self(channel(r), channel(g), channel(b))
    }
}

/// Why a picture could not be made.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum RenderError {
    /// The picture would be larger than any sensible picture (pixels).
    #[error("picture of {width}×{height} pixels is too large")]
    TooLarge { width: u32, height: u32 },
    /// A table without columns.
    #[error("a table needs at least one column")]
    NoColumns,
    /// Even a single table row does not fit in [`MAX_FILE_BYTES`].
    #[error("one table row does not fit in a {MAX_FILE_BYTES}-byte PNG")]
    RowTooLarge,
    /// The PNG encoder failed.
    #[error("encoding PNG: {0}")]
    Encode(#[from] ::png::EncodingError),
}

/// Colours shared by every picture.
mod theme {
    use super::Rgb;

    pub(crate) const BACKGROUND: Rgb = Rgb(0x00, 0x00, 0x00);
    pub(crate) const ROW_ALT: Rgb = Rgb(0x22, 0x22, 0x22);
    pub(crate) const PLOT: Rgb = Rgb(0x16, 0x16, 0x16);
    pub(crate) const GRID: Rgb = Rgb(0x33, 0x33, 0x33);
    pub(crate) const RULE: Rgb = Rgb(0x55, 0x55, 0x55);
    pub(crate) const TEXT: Rgb = Rgb(0xFF, 0xFF, 0xFF);
    pub(crate) const MUTED: Rgb = Rgb(0xB4, 0xB4, 0xB4);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn series_colours_are_distinct() {
        let colours: std::collections::HashSet<Rgb> = (0..40).map(Rgb::series).collect();
        assert_eq!(colours.len(), 40);
    }
}
