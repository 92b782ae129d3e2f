//! Single-line text layout: shape (map characters to glyphs, advance, kern), measure, ellipsize
//! to a width, and draw aligned at a point, horizontally or turned a quarter to the left.

use ab_glyph::GlyphId;

use super::Rgb;
use super::canvas::Canvas;
use super::font::{self, Bitmap, Weight};

/// Horizontal alignment of text relative to its anchor or cell.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum Align {
    #[default]
    Left,
    Center,
    Right,
}

/// Font, size and colour of a run of text.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Style {
    pub weight: Weight,
    pub size: f32,
    pub color: Rgb,
}

impl Style {
    pub(crate) const fn new(weight: Weight, size: f32, color: Rgb) -> Self {
        Self {
            weight,
            size,
            color,
        }
    }

    /// Distance from the top of a line box to its baseline, for a box of `height` pixels with the
    /// text's capitals centred in it.
    pub(crate) fn baseline_in(&self, top: f32, height: f32) -> f32 {
        let cap_height = self.size * 0.714; // Open Sans capitals: 1462 of 2048 units
        (top + (height + cap_height) / 2.0).round()
    }

    pub(crate) fn ascent(&self) -> f32 {
        font::v_metrics(self.weight, self.size).ascent
    }

    pub(crate) fn descent(&self) -> f32 {
        font::v_metrics(self.weight, self.size).descent
    }
}

/// A shaped line: glyphs with their pen positions, and the total advance.
#[derive(Clone, Debug)]
pub(crate) struct Line {
    glyphs: Vec<(GlyphId, f32)>,
    pub width: f32,
    style: Style,
}

/// Characters that take no room: joiners, variation selectors, skin tones, tags, BOM, controls.
/// Dropping them keeps an emoji sequence to one fallback box per visible symbol.
fn is_invisible(c: char) -> bool {
    matches!(c,
        '\u{200B}'..='\u{200F}' | '\u{2060}'..='\u{2064}' | '\u{FE00}'..='\u{FE0F}' | '\u{FEFF}'
        | '\u{1F3FB}'..='\u{1F3FF}' | '\u{E0000}'..='\u{E007F}' | '\u{E0100}'..='\u{E01EF}')
        || (c.is_control() && !c.is_whitespace())
}

impl Line {
    /// Shapes `text` in `style`: one glyph per visible character, with pair kerning.
    pub(crate) fn new(text: &str, style: Style) -> Self {
        let mut glyphs = Vec::with_capacity(text.len());
        let mut x = 0.0f32;
        let mut previous: Option<GlyphId> = None;
        for c in text.chars().filter(|&c| !is_invisible(c)) {
            let c = if c.is_whitespace() { ' ' } else { c };
            let id = font::glyph(style.weight, c);
            if let Some(previous) = previous {
                x += font::kern(style.weight, previous, id, style.size);
            }
            glyphs.push((id, x));
            x += font::advance(style.weight, id, style.size);
            previous = Some(id);
        }
        Self {
            glyphs,
            width: x,
            style,
        }
    }

    /// Cuts the line so it fits in `max_width`, ending it with "…" when anything was cut.
    pub(crate) fn ellipsize(mut self, max_width: f32) -> Self {
        if self.width <= max_width {
            return self;
        }
        let ellipsis = font::glyph(self.style.weight, '…');
        let ellipsis_width = font::advance(self.style.weight, ellipsis, self.style.size);
        let end_of = |n: usize| self.glyphs.get(n).map_or(self.width, |&(_, x)| x);
        let keep = (1..self.glyphs.len())
            .rev()
            .find(|&n| end_of(n) + ellipsis_width <= max_width)
            .unwrap_or(0);
        let end = self.glyphs.get(keep).map_or(self.width, |&(_, x)| x);
        self.glyphs.truncate(keep);
        if ellipsis_width <= max_width {
            self.glyphs.push((ellipsis, end));
            self.width = end + ellipsis_width;
        } else {
            self.width = end;
        }
        self
    }

    /// Draws the line with its baseline at `baseline`, aligned to `x` as `align` says.
    pub(crate) fn draw(&self, canvas: &mut Canvas, x: f32, baseline: f32, align: Align) {
        let origin = match align {
            Align::Left => x,
            Align::Center => x - self.width / 2.0,
            Align::Right => x - self.width,
        };
        let baseline = baseline.round() as i32;
        let placed = self.bitmaps(origin);
        for (pen, bitmap) in &placed {
            canvas.blend_coverage(
                (*pen as i32).saturating_add(bitmap.left),
                baseline.saturating_add(bitmap.top),
                bitmap,
                self.style.color,
            );
        }
    }

    /// Draws the line turned 90° anticlockwise (reading upwards), centred on (`cx`, `cy`).
    pub(crate) fn draw_upwards(&self, canvas: &mut Canvas, cx: f32, cy: f32) {
        let ascent = self.style.ascent().ceil() as i32;
        let descent = (-self.style.descent()).ceil() as i32;
        let width = self.width.ceil() as usize + 2;
        let height = (ascent + descent).max(1) as usize;
        let mut flat = vec![0u8; width * height];
        for (pen, bitmap) in &self.bitmaps(1.0) {
            let left = *pen as i32 + bitmap.left;
            let top = ascent + bitmap.top;
            for row in 0..bitmap.height {
                for col in 0..bitmap.width {
                    let (x, y) = (left + col as i32, top + row as i32);
                    if x >= 0 && y >= 0 && (x as usize) < width && (y as usize) < height {
                        let cell = &mut flat[y as usize * width + x as usize];
                        *cell = (*cell).max(bitmap.coverage[row * bitmap.width + col]);
                    }
                }
            }
        }
        // Turning left: the flat line's column x becomes row (width - 1 - x), its row y column y.
        let mut turned = vec![0u8; width * height];
        for y in 0..height {
            for x in 0..width {
                turned[(width - 1 - x) * height + y] = flat[y * width + x];
            }
        }
        let rotated = Bitmap {
            left: 0,
            top: 0,
            width: height,
            height: width,
            coverage: turned,
        };
        let left = (cx - height as f32 / 2.0).round() as i32;
        let top = (cy - width as f32 / 2.0).round() as i32;
        canvas.blend_coverage(left, top, &rotated, self.style.color);
    }

    fn bitmaps(&self, origin: f32) -> Vec<(f32, std::sync::Arc<Bitmap>)> {
        font::bitmaps(
            self.style.weight,
            self.style.size,
            self.glyphs.iter().map(|&(id, x)| (id, origin + x)),
        )
    }
}

/// Width of `text` in `style`, in pixels.
pub(crate) fn measure(text: &str, style: Style) -> f32 {
    Line::new(text, style).width
}

#[cfg(test)]
mod tests {
    use super::*;

    const STYLE: Style = Style::new(Weight::Regular, 20.0, Rgb::WHITE);

    #[test]
    fn kerning_tightens_pairs() {
        let pair = measure("AV", STYLE);
        let apart = measure("A", STYLE) + measure("V", STYLE);
        assert!(pair < apart);
    }

    #[test]
    fn ellipsize_keeps_short_text_and_cuts_long_text() {
        let short = Line::new("Ok", STYLE).ellipsize(500.0);
        assert_eq!(short.glyphs.len(), 2);
        let long = Line::new(&"Очень длинное имя ".repeat(20), STYLE).ellipsize(120.0);
        assert!(long.width <= 120.0);
        assert_eq!(
            long.glyphs.last().map(|g| g.0),
            Some(font::glyph(Weight::Regular, '…'))
        );
    }

    #[test]
    fn ellipsize_to_nothing_does_not_panic() {
        let line = Line::new("abc", STYLE).ellipsize(1.0);
        assert!(line.width <= 1.0);
    }

    #[test]
    fn emoji_sequences_become_one_box_each() {
        // Family emoji with joiners and a skin tone: three visible symbols.
        let line = Line::new("👨\u{200D}👩\u{200D}👧🏽\u{FE0F}", STYLE);
        assert_eq!(line.glyphs.len(), 3);
    }
}
