//! Reading a chart back from its PNG: the decoded pixels, and the record of what it shows that
//! `stagehand::render` writes into it (`render::RECORD_KEYWORD`; the format is in `render/line.rs`
//! and `render/donut.rs`).

use std::collections::BTreeMap;

/// A decoded chart.
pub struct Chart {
    pub width: u32,
    pub height: u32,
    /// RGB, row by row.
    pub pixels: Vec<u8>,
    /// The record's lines, split on spaces (the last field of a named line holds the rest).
    pub record: Vec<Vec<String>>,
}

/// One point of a series, as drawn.
#[derive(Clone, Debug, PartialEq)]
pub struct Point {
    pub bin: usize,
    pub date: String,
    pub value: f64,
    pub x: f32,
    pub y: f32,
}

/// A shaded span, as drawn.
#[derive(Clone, Debug, PartialEq)]
pub struct Span {
    pub first: String,
    pub last: String,
    pub color: [u8; 3],
    pub x_from: f32,
    pub x_to: f32,
}

/// A slice of a donut, as drawn.
#[derive(Clone, Debug, PartialEq)]
pub struct Slice {
    pub label: String,
    pub value: f64,
    /// A pixel in the middle of its ring.
    pub at: (f32, f32),
    pub color: [u8; 3],
}

/// Decodes a PNG to (the reader, with every chunk read; width; height; RGB bytes).
pub fn read_rgb(bytes: &[u8]) -> (png::Reader<std::io::Cursor<&[u8]>>, u32, u32, Vec<u8>) {
    let mut reader = png::Decoder::new(std::io::Cursor::new(bytes))
        .read_info()
        .unwrap();
    let mut pixels = vec![0; reader.output_buffer_size().unwrap()];
    let info = reader.next_frame(&mut pixels).unwrap();
    pixels.truncate(info.buffer_size());
    let rgb = match info.color_type {
        png::ColorType::Rgb => pixels,
        png::ColorType::Rgba => pixels
            .chunks_exact(4)
            .flat_map(|p| [p[0], p[1], p[2]])
            .collect(),
        other => panic!("unexpected colour type {other:?}"),
    };
    // Text chunks after the image data are only read once the image is.
    let _ = reader.finish();
    (reader, info.width, info.height, rgb)
}

impl Chart {
    /// Decodes a PNG and its record; panics when either is missing.
    pub fn decode(bytes: &[u8]) -> Chart {
        let (reader, width, height, rgb) = read_rgb(bytes);
        let text = reader
            .info()
            .utf8_text
            .iter()
            .find(|chunk| chunk.keyword == stagehand::render::RECORD_KEYWORD)
            .map(|chunk| chunk.get_text().unwrap())
            .expect("the chart's record");
        let record = text
            .lines()
            .map(|line| {
                let fixed = match line.split(' ').next() {
                    Some("series") => 3,
                    Some("threshold") => 4,
                    Some("slice") => 7,
                    _ => usize::MAX,
                };
                line.splitn(fixed.saturating_add(1), ' ')
                    .map(str::to_string)
                    .collect()
            })
            .collect();
        Chart {
            width,
            height,
            pixels: rgb,
            record,
        }
    }

    /// The record's first line: `stagehand chart line` or `… donut`.
    pub fn kind(&self) -> &str {
        &self.record[0][2]
    }

    fn lines<'a>(&'a self, tag: &'a str) -> impl Iterator<Item = &'a Vec<String>> + 'a {
        self.record.iter().filter(move |line| line[0] == tag)
    }

    /// The series' names, in order.
    pub fn series(&self) -> Vec<String> {
        self.lines("series")
            .map(|line| line.get(3).cloned().unwrap_or_default())
            .collect()
    }

    /// The colour of series `index`.
    pub fn series_color(&self, index: usize) -> [u8; 3] {
        let line = self
            .lines("series")
            .find(|line| line[1] == index.to_string())
            .unwrap();
        hex(&line[2])
    }

    /// The points of series `index`, by bin.
    pub fn points(&self, index: usize) -> Vec<Point> {
        self.lines("point")
            .filter(|line| line[1] == index.to_string())
            .map(|line| Point {
                bin: line[2].parse().unwrap(),
                date: line[3].clone(),
                value: line[4].parse().unwrap(),
                x: line[5].parse().unwrap(),
                y: line[6].parse().unwrap(),
            })
            .collect()
    }

    /// Every series' values by name, each as whole numbers by date.
    pub fn values(&self) -> BTreeMap<String, Vec<(String, u64)>> {
        self.series()
            .into_iter()
            .enumerate()
            .map(|(i, name)| {
                let values = self
                    .points(i)
                    .into_iter()
                    .map(|p| (p.date, p.value as u64))
                    .collect();
                (name, values)
            })
            .collect()
    }

    pub fn spans(&self) -> Vec<Span> {
        self.lines("span")
            .map(|line| Span {
                first: line[1].clone(),
                last: line[2].clone(),
                color: hex(&line[3]),
                x_from: line[4].parse().unwrap(),
                x_to: line[5].parse().unwrap(),
            })
            .collect()
    }

    /// The thresholds: value and label.
    pub fn thresholds(&self) -> Vec<(f64, String)> {
        self.lines("threshold")
            .map(|line| (line[1].parse().unwrap(), line[4].clone()))
            .collect()
    }

    /// The plot rectangle: left, top, right, bottom.
    pub fn plot(&self) -> [f32; 4] {
        let line = self.lines("plot").next().unwrap();
        [1, 2, 3, 4].map(|i| line[i].parse().unwrap())
    }

    /// The slices of a donut.
    pub fn slices(&self) -> Vec<Slice> {
        self.lines("slice")
            .map(|line| Slice {
                label: line[7].clone(),
                value: line[3].parse().unwrap(),
                at: (line[5].parse().unwrap(), line[6].parse().unwrap()),
                color: hex(&line[2]),
            })
            .collect()
    }

    /// The pixel at (x, y), rounded.
    pub fn pixel(&self, x: f32, y: f32) -> [u8; 3] {
        let (x, y) = (x.round() as usize, y.round() as usize);
        let at = (y * self.width as usize + x) * 3;
        [self.pixels[at], self.pixels[at + 1], self.pixels[at + 2]]
    }

    /// Whether some pixel within `radius` of (x, y) is `color`, give or take a little.
    pub fn has_color_near(&self, x: f32, y: f32, radius: i32, color: [u8; 3]) -> bool {
        (-radius..=radius).any(|dx| {
            (-radius..=radius).any(|dy| {
                let (px, py) = (x + dx as f32, y + dy as f32);
                px >= 0.0
                    && py >= 0.0
                    && (px as u32) < self.width
                    && (py as u32) < self.height
                    && close(self.pixel(px, py), color, 24)
            })
        })
    }
}

/// `#rrggbb` as bytes.
pub fn hex(text: &str) -> [u8; 3] {
    let digits = text.trim_start_matches('#');
    [0, 2, 4].map(|i| u8::from_str_radix(&digits[i..i + 2], 16).unwrap())
}

/// Whether two colours differ by at most `tolerance` in each channel.
pub fn close(a: [u8; 3], b: [u8; 3], tolerance: i16) -> bool {
    a.iter()
        .zip(b)
        .all(|(x, y)| (i16::from(*x) - i16::from(y)).abs() <= tolerance)
}

/// `color` at `alpha` over `under`, as the renderer blends a span.
pub fn blend(color: [u8; 3], under: [u8; 3], alpha: f32) -> [u8; 3] {
    [0, 1, 2]
        .map(|i| (f32::from(color[i]) * alpha + f32::from(under[i]) * (1.0 - alpha)).round() as u8)
}
