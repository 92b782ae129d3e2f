//! The embedded fonts and the glyph cache.
//!
//! Open Sans (regular and bold, Apache-2.0, see `assets/fonts/`) covers Latin, Cyrillic and Greek
//! and carries a `kern` table, which is what [`ab_glyph`] reads for pair kerning. Glyphs are
//! rasterised once per (face, glyph, size, sub-pixel phase) into coverage bitmaps and kept in a
//! process-wide cache; drawing text is then a blend of cached bitmaps, never a path fill.
//!
//! The cache is never emptied: its keys are bounded by the fonts' glyphs (about 900 per face),
//! the handful of sizes the pictures use and four phases, so it stays well under a few MiB.
//!
//! A character the font lacks (emoji, CJK) maps to glyph 0, which this module draws as a hollow
//! box of its own so that the gap stays visible whatever the font's `.notdef` looks like.

use std::collections::HashMap;
use std::sync::{Arc, LazyLock, Mutex};

use ab_glyph::{Font as _, FontRef, GlyphId, PxScale, ScaleFont as _, point};

/// How many horizontal sub-pixel phases a glyph is rasterised at (quarter pixels).
const SUBPIXEL_STEPS: f32 = 4.0;

/// The two faces of the family.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(crate) enum Weight {
    Regular,
    Bold,
}

/// A rasterised glyph: coverage (0–255) in a `width` × `height` box whose top-left corner sits
/// at (`left`, `top`) relative to the pen position on the baseline.
#[derive(Debug, Default)]
pub(crate) struct Bitmap {
    pub left: i32,
    pub top: i32,
    pub width: usize,
    pub height: usize,
    pub coverage: Vec<u8>,
}

/// Vertical metrics of a face at a size, in pixels (descent is negative).
#[derive(Clone, Copy, Debug)]
pub(crate) struct VMetrics {
    pub ascent: f32,
    pub descent: f32,
}

#[derive(Clone, Copy, PartialEq, Eq, Hash)]
struct Key {
    weight: Weight,
    glyph: u16,
    /// Size in quarter pixels.
    size: u32,
    /// Sub-pixel phase, `0..SUBPIXEL_STEPS`.
    phase: u8,
}

struct Fonts {
    regular: FontRef<'static>,
    bold: FontRef<'static>,
    cache: Mutex<HashMap<Key, Arc<Bitmap>>>,
}

static FONTS: LazyLock<Fonts> = LazyLock::new(|| Fonts {
    regular: FontRef::try_from_slice(include_bytes!("../../assets/fonts/OpenSans-Regular.ttf"))
        .expect("embedded OpenSans-Regular.ttf is a valid font"),
    bold: FontRef::try_from_slice(include_bytes!("../../assets/fonts/OpenSans-Bold.ttf"))
        .expect("embedded OpenSans-Bold.ttf is a valid font"),
    cache: Mutex::new(HashMap::new()),
});

fn face(weight: Weight) -> &'static FontRef<'static> {
    match weight {
        Weight::Regular => &FONTS.regular,
        Weight::Bold => &FONTS.bold,
    }
}

/// Sizes are quantised to quarter pixels so that cache keys stay exact.
fn quantise(size: f32) -> u32 {
    (size.clamp(1.0, 512.0) * 4.0).round() as u32
}

/// The glyph for `c`, or glyph 0 (drawn as a box) when the font lacks it.
pub(crate) fn glyph(weight: Weight, c: char) -> GlyphId {
    face(weight).glyph_id(c)
}

/// Advance width of `glyph` at `size` pixels.
pub(crate) fn advance(weight: Weight, glyph: GlyphId, size: f32) -> f32 {
    if glyph.0 == 0 {
        return missing_box_advance(size);
    }
    face(weight).as_scaled(PxScale::from(size)).h_advance(glyph)
}

/// Kerning adjustment between two glyphs at `size` pixels (usually zero or negative).
pub(crate) fn kern(weight: Weight, left: GlyphId, right: GlyphId, size: f32) -> f32 {
    if left.0 == 0 || right.0 == 0 {
        return 0.0;
    }
    face(weight)
        .as_scaled(PxScale::from(size))
        .kern(left, right)
}

pub(crate) fn v_metrics(weight: Weight, size: f32) -> VMetrics {
    let scaled = face(weight).as_scaled(PxScale::from(size));
    VMetrics {
        ascent: scaled.ascent(),
        descent: scaled.descent(),
    }
}

/// The cached bitmaps of `glyphs` (each with its pen x position) at `size`, in order.
///
/// Takes the cache lock once for the whole run of glyphs.
pub(crate) fn bitmaps(
    weight: Weight,
    size: f32,
    glyphs: impl Iterator<Item = (GlyphId, f32)>,
) -> Vec<(f32, Arc<Bitmap>)> {
    let size_q = quantise(size);
    let px = size_q as f32 / 4.0;
    let mut cache = FONTS
        .cache
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    glyphs
        .map(|(id, x)| {
            let phase = ((x - x.floor()) * SUBPIXEL_STEPS).round() as u8;
            // A phase that rounds up to a whole step belongs to the next pixel.
            let (base, phase) = if f32::from(phase) >= SUBPIXEL_STEPS {
                (x.floor() + 1.0, 0)
            } else {
                (x.floor(), phase)
            };
            let key = Key {
                weight,
                glyph: id.0,
                size: size_q,
                phase,
            };
            let bitmap = cache
                .entry(key)
                .or_insert_with(|| {
                    Arc::new(rasterise(weight, id, px, f32::from(phase) / SUBPIXEL_STEPS))
                })
                .clone();
            (base, bitmap)
        })
        .collect()
}

fn rasterise(weight: Weight, id: GlyphId, size: f32, phase: f32) -> Bitmap {
    if id.0 == 0 {
        return missing_box(size);
    }
    let glyph = id.with_scale_and_position(PxScale::from(size), point(phase, 0.0));
    let Some(outlined) = face(weight).outline_glyph(glyph) else {
        return Bitmap::default(); // a space: nothing to draw
    };
    let bounds = outlined.px_bounds();
    let width = bounds.width().max(0.0) as usize;
    let height = bounds.height().max(0.0) as usize;
    let mut coverage = vec![0u8; width * height];
    outlined.draw(|x, y, c| {
        if let Some(cell) = coverage.get_mut(y as usize * width + x as usize) {
            *cell = (c.clamp(0.0, 1.0) * 255.0).round() as u8;
        }
    });
    Bitmap {
        left: bounds.min.x as i32,
        top: bounds.min.y as i32,
        width,
        height,
        coverage,
    }
}

fn missing_box_advance(size: f32) -> f32 {
    (size * 0.72).round()
}

/// A hollow box the height of a capital, standing on the baseline.
fn missing_box(size: f32) -> Bitmap {
    let width = ((size * 0.56).round() as usize).max(3);
    let height = ((size * 0.72).round() as usize).max(3);
    let stroke = ((size / 14.0).round() as usize).max(1);
    let mut coverage = vec![0u8; width * height];
    for y in 0..height {
        for x in 0..width {
            let edge = x < stroke || y < stroke || x + stroke >= width || y + stroke >= height;
            if edge {
                coverage[y * width + x] = 255;
            }
        }
    }
    let left = ((missing_box_advance(size) - width as f32) / 2.0).round() as i32;
    Bitmap {
        left,
        top: -(height as i32),
        width,
        height,
        coverage,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn covers_latin_cyrillic_and_typographic_signs() {
        for c in "AZaz09ЁЖЯёжя–—−…%+·∞".chars() {
            assert_ne!(glyph(Weight::Regular, c).0, 0, "regular lacks {c:?}");
            assert_ne!(glyph(Weight::Bold, c).0, 0, "bold lacks {c:?}");
        }
    }

    #[test]
    fn kerning_applies_to_known_pairs() {
        let (a, v) = (glyph(Weight::Regular, 'A'), glyph(Weight::Regular, 'V'));
        assert!(kern(Weight::Regular, a, v, 20.0) < 0.0);
    }

    #[test]
    fn missing_glyphs_become_a_visible_box() {
        let id = glyph(Weight::Regular, '😀');
        assert_eq!(id.0, 0);
        let drawn = bitmaps(Weight::Regular, 20.0, [(id, 0.0)].into_iter());
        assert!(drawn[0].1.coverage.contains(&255));
        assert!(advance(Weight::Regular, id, 20.0) > 0.0);
    }

    #[test]
    fn the_cache_returns_the_same_bitmap_for_the_same_key() {
        let id = glyph(Weight::Bold, 'Ж');
        let first = bitmaps(Weight::Bold, 17.0, [(id, 3.0)].into_iter());
        let second = bitmaps(Weight::Bold, 17.0, [(id, 10.0)].into_iter());
        assert!(Arc::ptr_eq(&first[0].1, &second[0].1));
    }
}
