//! Tables in the style of the original league tables: a title, a hot-pink header row, zebra rows
//! of black and dark grey, white text; per-column alignment, number format and gain/loss colours;
//! column widths from content with a maximum (longer text is ellipsized). A table taller than
//! [`MAX_ROWS_PER_PAGE`] rows, or whose picture would exceed [`MAX_FILE_BYTES`], is split into
//! pages that repeat the title (with "page/pages") and the header.

use super::axis::group_thousands;
use super::canvas::Canvas;
use super::font::Weight;
use super::text::{Align, Line, Style};
use super::{MAX_FILE_BYTES, Png, RenderError, Rgb, theme};

/// Rows per picture before a table is split into pages.
pub const MAX_ROWS_PER_PAGE: usize = 100;

const FONT_SIZE: f32 = 20.0;
const TITLE_SIZE: f32 = 26.0;
const ROW_HEIGHT: i32 = 40;
const HEADER_HEIGHT: i32 = 44;
const TITLE_HEIGHT: i32 = 60;
const PAD_X: f32 = 14.0;
const MARGIN: i32 = 20;
const MIN_COLUMN_WIDTH: f32 = 48.0;
const MAX_TEXT_WIDTH: u32 = 360;
const MAX_NUMBER_WIDTH: u32 = 240;
/// A title wider than the table widens the picture up to this many pixels.
const MAX_TITLE_WIDTH: f32 = 1200.0;
const HEADER_RULE: Rgb = Rgb(0xD9, 0x4F, 0x9A);

/// A table to draw.
#[derive(Clone, Debug, Default)]
pub struct Table {
    /// Shown above the table; empty for none.
    pub title: String,
    pub columns: Vec<Column>,
    /// One `Vec` per row, one [`Cell`] per column; missing cells are empty, extra cells ignored.
    pub rows: Vec<Vec<Cell>>,
}

/// One column: its header and how its cells are shown.
#[derive(Clone, Debug)]
pub struct Column {
    pub header: String,
    pub align: Align,
    pub format: Format,
    pub tint: Tint,
    /// Bold cells (the original tables bold the player-name columns).
    pub bold: bool,
    /// Widest the column may grow, in pixels; `None` for the default (360 for text, 240 for
    /// numbers).
    pub max_width: Option<u32>,
}

impl Column {
    /// A left-aligned column shown as given.
    pub fn text(header: impl Into<String>) -> Self {
        Self {
            header: header.into(),
            align: Align::Left,
            format: Format::Auto,
            tint: Tint::None,
            bold: false,
            max_width: None,
        }
    }

    /// A right-aligned column of numbers in `format`.
    pub fn number(header: impl Into<String>, format: Format) -> Self {
        Self {
            align: Align::Right,
            format,
            ..Self::text(header)
        }
    }

    pub fn align(mut self, align: Align) -> Self {
        self.align = align;
        self
    }

    pub fn bold(mut self) -> Self {
        self.bold = true;
        self
    }

    /// Colours gains green (with an explicit "+") and losses red.
    pub fn gain_loss(mut self) -> Self {
        self.tint = Tint::GainLoss;
        self
    }

    pub fn max_width(mut self, pixels: u32) -> Self {
        self.max_width = Some(pixels);
        self
    }
}

/// How a column shows numbers. Text cells are always shown as given. Negative numbers use the
/// minus sign "−"; groups of thousands are separated by commas.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum Format {
    /// Integers as they are, other numbers with up to two decimals (trailing zeros dropped).
    #[default]
    Auto,
    /// Rounded to a whole number, thousands grouped: `12,345`.
    Integer,
    /// Exactly this many decimals, thousands grouped: `12,345.60`.
    Fixed(u8),
    /// Exactly this many decimals and a per-cent sign: `12.50%` (the value is already ×100).
    Percent(u8),
}

/// Colouring of a column's numbers.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum Tint {
    #[default]
    None,
    /// Positive numbers green with a "+", negative red, zero white.
    GainLoss,
}

/// One table cell.
#[derive(Clone, Debug, PartialEq, Default)]
pub enum Cell {
    /// Nothing (a null in the original tables).
    #[default]
    Empty,
    Text(String),
    /// An exact integer (ids, ranks, pp totals).
    Int(i64),
    /// Any other number; NaN shows as empty.
    Number(f64),
}

impl From<&str> for Cell {
    fn from(text: &str) -> Self {
        Self::Text(text.to_owned())
    }
}

impl From<String> for Cell {
    fn from(text: String) -> Self {
        Self::Text(text)
    }
}

impl From<i64> for Cell {
    fn from(value: i64) -> Self {
        Self::Int(value)
    }
}

impl From<i32> for Cell {
    fn from(value: i32) -> Self {
        Self::Int(value.into())
    }
}

impl From<u32> for Cell {
    fn from(value: u32) -> Self {
        Self::Int(value.into())
    }
}

impl From<u64> for Cell {
    fn from(value: u64) -> Self {
        i64::try_from(value).map_or(Self::Number(value as f64), Self::Int)
    }
}

impl From<f64> for Cell {
    fn from(value: f64) -> Self {
        Self::Number(value)
    }
}

impl<T: Into<Cell>> From<Option<T>> for Cell {
    fn from(value: Option<T>) -> Self {
        value.map_or(Self::Empty, Into::into)
    }
}

/// Draws `table`, one PNG per page (one page unless the table is long).
pub fn table(table: &Table) -> Result<Vec<Png>, RenderError> {
    if table.columns.is_empty() {
        return Err(RenderError::NoColumns);
    }
    let layout = Layout::new(table);
    let mut rows_per_page = MAX_ROWS_PER_PAGE;
    'sizes: loop {
        let chunks: Vec<&[Vec<Line>]> = if layout.rows.is_empty() {
            vec![&[]]
        } else {
            layout.rows.chunks(rows_per_page).collect()
        };
        let mut pages = Vec::with_capacity(chunks.len());
        for (index, rows) in chunks.iter().enumerate() {
            let page = layout.draw(rows, index, chunks.len())?;
            if page.bytes.len() > MAX_FILE_BYTES {
                if rows.len() <= 1 {
                    return Err(RenderError::RowTooLarge);
                }
                rows_per_page = rows.len().div_ceil(2);
                continue 'sizes;
            }
            pages.push(page);
        }
        return Ok(pages);
    }
}

/// Everything shared by the pages: shaped cells and column widths.
struct Layout<'a> {
    table: &'a Table,
    header: Vec<Line>,
    rows: Vec<Vec<Line>>,
    widths: Vec<f32>,
    width: i32,
}

impl<'a> Layout<'a> {
    fn new(table: &'a Table) -> Self {
        let header_style = Style::new(Weight::Bold, FONT_SIZE, theme::TEXT);
        let header: Vec<Line> = table
            .columns
            .iter()
            .map(|c| Line::new(&c.header, header_style))
            .collect();
        let rows: Vec<Vec<Line>> = table
            .rows
            .iter()
            .map(|row| {
                table
                    .columns
                    .iter()
                    .enumerate()
                    .map(|(i, column)| shape(column, row.get(i).unwrap_or(&Cell::Empty)))
                    .collect()
            })
            .collect();
        let mut widths: Vec<f32> = table
            .columns
            .iter()
            .enumerate()
            .map(|(i, column)| {
                let content = rows
                    .iter()
                    .map(|row| row[i].width)
                    .fold(header[i].width, f32::max);
                let default_max = if column.format == Format::Auto && column.align == Align::Left {
                    MAX_TEXT_WIDTH
                } else {
                    MAX_NUMBER_WIDTH
                };
                let max = column.max_width.unwrap_or(default_max) as f32;
                (content + 2.0 * PAD_X)
                    .ceil()
                    .clamp(MIN_COLUMN_WIDTH, max.max(MIN_COLUMN_WIDTH))
            })
            .collect();
        let table_width: f32 = widths.iter().sum();
        let title_width = if table.title.is_empty() {
            0.0
        } else {
            Line::new(&table.title, title_style())
                .width
                .min(MAX_TITLE_WIDTH)
        };
        if title_width > table_width {
            let extra = ((title_width - table_width) / widths.len() as f32).ceil();
            widths.iter_mut().for_each(|w| *w += extra);
        }
        let width = widths.iter().sum::<f32>() as i32 + 2 * MARGIN;
        Self {
            table,
            header,
            rows,
            widths,
            width,
        }
    }

    fn draw(&self, rows: &[Vec<Line>], page: usize, pages: usize) -> Result<Png, RenderError> {
        let title_height = if self.table.title.is_empty() {
            MARGIN
        } else {
            TITLE_HEIGHT
        };
        let height = title_height + HEADER_HEIGHT + rows.len() as i32 * ROW_HEIGHT + MARGIN;
        let mut canvas = Canvas::new(self.width as u32, height as u32, theme::BACKGROUND)?;
        if !self.table.title.is_empty() {
            let title = if pages > 1 {
                format!("{} ({}/{})", self.table.title, page + 1, pages)
            } else {
                self.table.title.clone()
            };
            let style = title_style();
            Line::new(&title, style)
                .ellipsize((self.width - 2 * MARGIN) as f32)
                .draw(
                    &mut canvas,
                    MARGIN as f32,
                    style.baseline_in(0.0, TITLE_HEIGHT as f32),
                    Align::Left,
                );
        }

        let table_width = self.width - 2 * MARGIN;
        let mut y = title_height;
        canvas.fill_rect(MARGIN, y, table_width, HEADER_HEIGHT, Rgb::PINK);
        let header_style = Style::new(Weight::Bold, FONT_SIZE, theme::TEXT);
        let baseline = header_style.baseline_in(y as f32, HEADER_HEIGHT as f32);
        for (i, line) in self.header.iter().enumerate() {
            self.draw_cell(&mut canvas, i, line, baseline);
        }
        y += HEADER_HEIGHT;

        let body_top = y;
        let body_style = Style::new(Weight::Regular, FONT_SIZE, theme::TEXT);
        for (r, row) in rows.iter().enumerate() {
            let background = if r % 2 == 0 {
                theme::BACKGROUND
            } else {
                theme::ROW_ALT
            };
            canvas.fill_rect(MARGIN, y, table_width, ROW_HEIGHT, background);
            let baseline = body_style.baseline_in(y as f32, ROW_HEIGHT as f32);
            for (i, cell) in row.iter().enumerate() {
                self.draw_cell(&mut canvas, i, cell, baseline);
            }
            y += ROW_HEIGHT;
        }

        // Column rules: a darker pink across the header, grey down the body.
        let mut x = MARGIN as f32;
        for width in &self.widths[..self.widths.len() - 1] {
            x += width;
            canvas.fill_rect(x as i32, title_height, 1, HEADER_HEIGHT, HEADER_RULE);
            canvas.fill_rect(x as i32, body_top, 1, y - body_top, theme::GRID);
        }
        canvas.fill_rect(MARGIN, y, table_width, 1, theme::GRID);
        canvas.into_png()
    }

    /// Draws `line` in column `i`, aligned and cut to the column's width.
    fn draw_cell(&self, canvas: &mut Canvas, i: usize, line: &Line, baseline: f32) {
        let left = MARGIN as f32 + self.widths[..i].iter().sum::<f32>();
        let width = self.widths[i];
        let x = match self.table.columns[i].align {
            Align::Left => left + PAD_X,
            Align::Center => left + width / 2.0,
            Align::Right => left + width - PAD_X,
        };
        line.clone().ellipsize(width - 2.0 * PAD_X).draw(
            canvas,
            x,
            baseline,
            self.table.columns[i].align,
        );
    }
}

fn title_style() -> Style {
    Style::new(Weight::Bold, TITLE_SIZE, theme::TEXT)
}

fn shape(column: &Column, cell: &Cell) -> Line {
    let weight = if column.bold {
        Weight::Bold
    } else {
        Weight::Regular
    };
    let (text, sign) = format_cell(cell, column.format, column.tint);
    Line::new(
        &text,
        Style::new(weight, FONT_SIZE, tint_color(column.tint, sign)),
    )
}

fn tint_color(tint: Tint, sign: std::cmp::Ordering) -> Rgb {
    match (tint, sign) {
        (Tint::GainLoss, std::cmp::Ordering::Greater) => Rgb::GREEN,
        (Tint::GainLoss, std::cmp::Ordering::Less) => Rgb::RED,
        _ => theme::TEXT,
    }
}

/// The text of `cell` and the sign of its number (`Equal` for text and empty cells).
fn format_cell(cell: &Cell, format: Format, tint: Tint) -> (String, std::cmp::Ordering) {
    use std::cmp::Ordering;
    let (magnitude, sign) = match *cell {
        Cell::Empty => return (String::new(), Ordering::Equal),
        Cell::Text(ref text) => return (text.clone(), Ordering::Equal),
        Cell::Int(value) => (format_int(value.unsigned_abs(), format), value.cmp(&0)),
        Cell::Number(value) if value.is_nan() => return (String::new(), Ordering::Equal),
        Cell::Number(value) => {
            let text = format_float(value.abs(), format);
            // A value that rounds to zero shows no sign.
            let sign =
                if value.is_finite() && text.bytes().all(|b| !b.is_ascii_digit() || b == b'0') {
                    Ordering::Equal
                } else {
                    value.partial_cmp(&0.0).unwrap_or(Ordering::Equal)
                };
            (text, sign)
        }
    };
    let prefix = match (sign, tint) {
        (Ordering::Less, _) => "−",
        (Ordering::Greater, Tint::GainLoss) => "+",
        _ => "",
    };
    (format!("{prefix}{magnitude}"), sign)
}

fn format_int(value: u64, format: Format) -> String {
    match format {
        Format::Auto => value.to_string(),
        Format::Integer => group_thousands(&value.to_string()),
        Format::Fixed(decimals) => format!(
            "{}{}",
            group_thousands(&value.to_string()),
            zero_decimals(decimals)
        ),
        Format::Percent(decimals) => format!("{value}{}%", zero_decimals(decimals)),
    }
}

fn zero_decimals(decimals: u8) -> String {
    if decimals == 0 {
        String::new()
    } else {
        format!(".{}", "0".repeat(decimals.into()))
    }
}

fn format_float(value: f64, format: Format) -> String {
    if value.is_infinite() {
        return "∞".to_owned();
    }
    match format {
        Format::Auto => {
            let text = format!("{value:.2}");
            text.trim_end_matches('0').trim_end_matches('.').to_owned()
        }
        Format::Integer => group_thousands(&format!("{value:.0}")),
        Format::Fixed(decimals) => group_thousands(&format!("{value:.*}", usize::from(decimals))),
        Format::Percent(decimals) => format!("{value:.*}%", usize::from(decimals)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(cell: impl Into<Cell>, format: Format, tint: Tint) -> String {
        format_cell(&cell.into(), format, tint).0
    }

    #[test]
    fn numbers_follow_their_format() {
        for (cell, format, tint, expected) in [
            (Cell::Int(1234567), Format::Auto, Tint::None, "1234567"),
            (Cell::Int(1234567), Format::Integer, Tint::None, "1,234,567"),
            (Cell::Int(-42), Format::Fixed(1), Tint::None, "−42.0"),
            (
                Cell::Number(1234.5),
                Format::Fixed(2),
                Tint::None,
                "1,234.50",
            ),
            (Cell::Number(2.5), Format::Auto, Tint::None, "2.5"),
            (Cell::Number(3.0), Format::Auto, Tint::None, "3"),
            (
                Cell::Number(12.345),
                Format::Percent(1),
                Tint::GainLoss,
                "+12.3%",
            ),
            (
                Cell::Number(-0.001),
                Format::Fixed(2),
                Tint::GainLoss,
                "0.00",
            ),
            (
                Cell::Number(-7.25),
                Format::Fixed(2),
                Tint::GainLoss,
                "−7.25",
            ),
            (Cell::Number(f64::NAN), Format::Fixed(2), Tint::None, ""),
            (
                Cell::Number(f64::NEG_INFINITY),
                Format::Auto,
                Tint::None,
                "−∞",
            ),
            (
                Cell::Int(i64::MIN),
                Format::Integer,
                Tint::None,
                "−9,223,372,036,854,775,808",
            ),
            (Cell::Empty, Format::Integer, Tint::GainLoss, ""),
        ] {
            assert_eq!(
                text(cell.clone(), format, tint),
                expected,
                "{cell:?} {format:?}"
            );
        }
    }

    #[test]
    fn gains_are_green_and_losses_red() {
        use std::cmp::Ordering;
        assert_eq!(tint_color(Tint::GainLoss, Ordering::Greater), Rgb::GREEN);
        assert_eq!(tint_color(Tint::GainLoss, Ordering::Less), Rgb::RED);
        assert_eq!(tint_color(Tint::GainLoss, Ordering::Equal), theme::TEXT);
        assert_eq!(tint_color(Tint::None, Ordering::Less), theme::TEXT);
    }
}
