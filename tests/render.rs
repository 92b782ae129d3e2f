//! Rendering (`stagehand::render`): golden images and pictures from hostile input.
//!
//! Golden tests draw a fixed picture and compare its *decoded pixels* with `tests/golden/<name>.png`
//! (never the PNG bytes, which change with encoder settings): the sizes must match and at most
//! 0.5 % of the pixels may differ by more than a small tolerance per channel, which absorbs
//! anti-aliasing noise but not a moved line or a missing glyph.
//!
//! A missing golden file fails the test. With `STAGEHAND_BLESS=1` set, the test writes the picture
//! it drew as the golden file instead and passes: after an intended change in the look of a
//! picture, or for a new one, run `STAGEHAND_BLESS=1 cargo test --test tests render::`, then look
//! at the new files before committing them.
#![allow(clippy::unwrap_used)]

use std::path::{Path, PathBuf};

use jiff::civil::{Date, date};
use stagehand::render::{
    self, Align, Cell, Column, Donut, Format, Granularity, LineChart, MAX_FILE_BYTES, Png,
    RenderError, Rgb, Series, Slice, SliceLabel, Span, Table, Threshold,
};

/// Largest difference in one channel that still counts as the same pixel.
const CHANNEL_TOLERANCE: i16 = 24;
/// Share of pixels allowed to differ by more than the tolerance.
const PIXEL_TOLERANCE: f64 = 0.005;

/// Decodes a PNG into (width, height, RGB bytes).
fn decode(bytes: &[u8]) -> (u32, u32, Vec<u8>) {
    let (_, width, height, rgb) = crate::support::chart::read_rgb(bytes);
    (width, height, rgb)
}

fn golden(name: &str, picture: &Png) {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/golden");
    let bless = std::env::var_os("STAGEHAND_BLESS").is_some_and(|v| v == "1");
    compare_with_golden(&dir, name, picture, bless);
}

/// Compares `picture` with `<dir>/<name>.png`, or with `bless` writes it there instead. A missing
/// file fails: a golden image is drawn on purpose and looked at before it is committed, never
/// made up by whichever run happens not to find it.
fn compare_with_golden(dir: &Path, name: &str, picture: &Png, bless: bool) {
    let path = dir.join(format!("{name}.png"));
    if bless {
        std::fs::create_dir_all(dir).unwrap();
        std::fs::write(&path, &picture.bytes).unwrap();
        eprintln!("wrote golden image {}", path.display());
        return;
    }
    assert!(
        path.exists(),
        "{name}: there is no golden image {}. Draw it with \
         `STAGEHAND_BLESS=1 cargo test --test tests render::`, look at it, and commit it \
         (`cargo xtask samples` draws the README's pictures in docs/samples/, not these)",
        path.display()
    );
    let (width, height, actual) = decode(&picture.bytes);
    let (golden_width, golden_height, expected) = decode(&std::fs::read(&path).unwrap());
    assert_eq!(
        (width, height),
        (golden_width, golden_height),
        "{name}: size differs from {}",
        path.display()
    );
    let differing = actual
        .chunks_exact(3)
        .zip(expected.chunks_exact(3))
        .filter(|(a, e)| {
            a.iter()
                .zip(e.iter())
                .any(|(&a, &e)| (i16::from(a) - i16::from(e)).abs() > CHANNEL_TOLERANCE)
        })
        .count();
    let share = differing as f64 / f64::from(width * height);
    if share > PIXEL_TOLERANCE {
        let failed = path.with_extension("actual.png");
        std::fs::write(&failed, &picture.bytes).unwrap();
        panic!(
            "{name}: {:.2} % of pixels differ from {} (drawn: {})",
            share * 100.0,
            path.display(),
            failed.display()
        );
    }
}

#[test]
fn a_missing_golden_image_fails_and_says_how_to_draw_it() {
    let dir = tempfile::tempdir().unwrap();
    let picture = render::table(&league(Vec::new())).unwrap().remove(0);
    let failure = std::panic::catch_unwind(|| {
        compare_with_golden(dir.path(), "new", &picture, false);
    })
    .expect_err("a missing golden image must fail the test");
    let message = failure
        .downcast_ref::<String>()
        .map_or("(no message)", String::as_str);
    assert!(message.contains("STAGEHAND_BLESS=1"), "{message}");
    let path = dir.path().join("new.png");
    assert!(!path.exists(), "nothing is written without STAGEHAND_BLESS");
    // Blessing draws it; from then on it is compared.
    compare_with_golden(dir.path(), "new", &picture, true);
    assert!(path.exists());
    compare_with_golden(dir.path(), "new", &picture, false);
}

/// Checks that `picture` is a PNG of the size it claims and fits in a Discord attachment.
fn valid(picture: &Png) {
    assert!(
        picture.bytes.len() <= MAX_FILE_BYTES,
        "{} bytes",
        picture.bytes.len()
    );
    let (width, height, _) = decode(&picture.bytes);
    assert_eq!((width, height), (picture.width, picture.height));
}

fn day(start: Date, offset: i64) -> Date {
    start
        .checked_add(jiff::SignedDuration::from_hours(24 * offset))
        .unwrap()
}

fn league(rows: Vec<Vec<Cell>>) -> Table {
    Table {
        title: "Лига: Золото — сезон 3".to_owned(),
        columns: vec![
            Column::text("osu_username").bold(),
            Column::number("current_pp", Format::Fixed(2)),
            Column::number("pp_change", Format::Fixed(2)).gain_loss(),
            Column::number("percentage_change", Format::Percent(2)).gain_loss(),
            Column::text("note").align(Align::Center),
        ],
        rows,
    }
}

fn player(name: &str, pp: f64, change: f64) -> Vec<Cell> {
    vec![
        name.into(),
        pp.into(),
        change.into(),
        (change / pp * 100.0).into(),
        Cell::Empty,
    ]
}

#[test]
fn golden_table_with_cyrillic_names() {
    let table = league(vec![
        player("Дмитрий_Волков", 9943.59, 129.81),
        player("WhiteCat", 10986.25, 98.43),
        player("Ёжик в тумане", 5120.0, 0.0),
        player("Жёлудь", 4894.15, -28.92),
        vec![
            "Щука".into(),
            Cell::Empty,
            Cell::Int(-7),
            Cell::Number(f64::NAN),
            "—".into(),
        ],
    ]);
    let pages = render::table(&table).unwrap();
    assert_eq!(pages.len(), 1);
    golden("table_cyrillic", &pages[0]);
}

fn queue_chart() -> LineChart {
    let start = date(2025, 3, 3);
    let values = (0..42).map(|i| f64::from((i * 7 % 11) + i / 2)).collect();
    LineChart {
        title: "Pending requests at the end of the day".to_owned(),
        subtitle: "From 2025-03-03 to 2025-04-13".to_owned(),
        x_label: "Date".to_owned(),
        y_label: "Pending Requests".to_owned(),
        start,
        granularity: Granularity::Day,
        series: vec![Series {
            name: "Pending".to_owned(),
            values,
            color: None,
        }],
        spans: vec![
            Span {
                first: day(start, 5),
                last: day(start, 9),
                color: Rgb::RED,
            },
            Span {
                first: day(start, 30),
                last: day(start, 30),
                color: Rgb::RED,
            },
        ],
        thresholds: vec![
            Threshold {
                value: 25.0,
                label: "Queue block threshold (current)".to_owned(),
                color: Rgb::RED,
            },
            Threshold {
                value: 12.0,
                label: "Queue unblock threshold (current)".to_owned(),
                color: Rgb::GREEN,
            },
        ],
    }
}

#[test]
fn golden_line_chart_with_spans_and_thresholds() {
    golden(
        "line_spans_thresholds",
        &render::line_chart(&queue_chart()).unwrap(),
    );
}

/// The record a chart carries says what the picture shows: every point at the pixel where its
/// series' colour is, each span where the plot is shaded, each threshold at its line.
#[test]
fn a_charts_record_agrees_with_its_pixels() {
    use crate::support::chart::Chart;
    let chart = queue_chart();
    let drawn = Chart::decode(&render::line_chart(&chart).unwrap().bytes);
    assert_eq!(drawn.kind(), "line");
    assert_eq!(drawn.series(), ["Pending"]);
    let points = drawn.points(0);
    assert_eq!(points.len(), chart.series[0].values.len());
    let colour = drawn.series_color(0);
    for (point, value) in points.iter().zip(&chart.series[0].values) {
        assert_eq!(point.value, *value);
        assert!(
            drawn.has_color_near(point.x, point.y, 1, colour),
            "bin {} at ({}, {}) is {:?}",
            point.bin,
            point.x,
            point.y,
            drawn.pixel(point.x, point.y)
        );
    }
    assert_eq!(points[0].date, "2025-03-03");
    assert_eq!(points[41].date, "2025-04-13");
    // A higher value is drawn higher.
    let (low, high) = (&points[0], &points[41]);
    assert!(low.value < high.value && low.y > high.y);
    let spans = drawn.spans();
    assert_eq!(
        spans
            .iter()
            .map(|s| (s.first.as_str(), s.last.as_str()))
            .collect::<Vec<_>>(),
        [("2025-03-08", "2025-03-12"), ("2025-04-02", "2025-04-02")]
    );
    let [_, top, _, bottom] = drawn.plot();
    // How many pixels of the plot's column at `x` are tinted red (not a red line itself): the
    // shade over the background or the grid.
    let shaded_in_column = |x: f32| {
        (top as i32 + 2..bottom as i32 - 2)
            .map(|y| drawn.pixel(x, y as f32))
            .filter(|[r, g, b]| *r < 200 && *r > g.saturating_add(30) && g.abs_diff(*b) <= 6)
            .count()
    };
    for span in &spans {
        assert_eq!(span.color, [0xFF, 0x5C, 0x5C]);
        let inside = shaded_in_column((span.x_from + span.x_to) / 2.0);
        assert!(inside > 100, "{inside} shaded pixels in {span:?}");
        let outside = shaded_in_column(span.x_from - 3.0);
        assert!(outside < 8, "{outside} shaded pixels left of {span:?}");
    }
    assert_eq!(
        drawn.thresholds(),
        [
            (25.0, "Queue block threshold (current)".to_string()),
            (12.0, "Queue unblock threshold (current)".to_string())
        ]
    );

    let donut = Donut {
        title: "Opinions".to_owned(),
        subtitle: String::new(),
        slices: vec![
            Slice {
                label: "approved".to_owned(),
                value: 3.0,
                color: Some(Rgb::GREEN),
            },
            Slice {
                label: "rejected".to_owned(),
                value: 1.0,
                color: Some(Rgb::RED),
            },
        ],
        labels: SliceLabel::Value,
    };
    let drawn = Chart::decode(&render::donut(&donut).unwrap().bytes);
    assert_eq!(drawn.kind(), "donut");
    let slices = drawn.slices();
    assert_eq!(slices.len(), 2);
    for slice in &slices {
        let expected = if slice.label == "approved" { 3.0 } else { 1.0 };
        assert_eq!(slice.value, expected);
        // Off the slice's label, towards the outer edge.
        let (x, y) = slice.at;
        assert!(
            drawn.has_color_near(x, y, 30, slice.color),
            "{}",
            slice.label
        );
    }
}

#[test]
fn golden_multi_series_chart() {
    let names = ["Ника", "GDColon", "Сергей Р.", "viprin"];
    let series = names
        .iter()
        .enumerate()
        .map(|(s, name)| Series {
            name: (*name).to_owned(),
            values: (0..20)
                .map(|w| ((w * (s + 3) + s * 5) % 9) as f64)
                .collect(),
            color: None,
        })
        .collect();
    let chart = LineChart {
        title: "Reviews Written by Staff Members".to_owned(),
        subtitle: "From 2025-01-06 to 2025-05-25 (per week)".to_owned(),
        x_label: "Week".to_owned(),
        y_label: "Reviews Written".to_owned(),
        start: date(2025, 1, 6),
        granularity: Granularity::Week,
        series,
        spans: Vec::new(),
        thresholds: Vec::new(),
    };
    golden("multi_series", &render::line_chart(&chart).unwrap());
}

#[test]
fn golden_donut() {
    let donut = Donut {
        title: "Stream Request Statistics".to_owned(),
        subtitle: "5.4.2025".to_owned(),
        slices: vec![
            Slice {
                label: "Approved".to_owned(),
                value: 41.0,
                color: Some(Rgb::GREEN),
            },
            Slice {
                label: "Rejected".to_owned(),
                value: 23.0,
                color: Some(Rgb::RED),
            },
            Slice {
                label: "To be reviewed later".to_owned(),
                value: 9.0,
                color: Some(Rgb::YELLOW),
            },
            Slice {
                label: "Not reviewed".to_owned(),
                value: 2.0,
                color: Some(Rgb::GREY),
            },
        ],
        labels: SliceLabel::ValueAndPercent,
    };
    golden("donut", &render::donut(&donut).unwrap());
}

#[test]
fn table_with_no_rows_shows_its_header() {
    let pages = render::table(&league(Vec::new())).unwrap();
    assert_eq!(pages.len(), 1);
    valid(&pages[0]);
}

#[test]
fn table_with_one_row() {
    let pages = render::table(&league(vec![player("Mrekk", 30000.0, 12.5)])).unwrap();
    assert_eq!(pages.len(), 1);
    valid(&pages[0]);
}

#[test]
fn table_with_a_thousand_rows_is_paginated() {
    let rows = (0..1000)
        .map(|i| {
            player(
                &format!("player {i}"),
                5000.0 + f64::from(i),
                f64::from(i % 7) - 3.0,
            )
        })
        .collect();
    let pages = render::table(&league(rows)).unwrap();
    assert_eq!(pages.len(), 10);
    for page in &pages {
        valid(page);
        assert_eq!(page.width, pages[0].width, "pages share column widths");
    }
}

#[test]
fn long_and_unusual_names_are_cut_not_fatal() {
    let long = "Ы".repeat(100) + &"W".repeat(100);
    let table = league(vec![
        player(&long, 1.0, 1.0),
        player("😀😎🔥💯🎉🇷🇺👨‍👩‍👧", 2.0, -1.0),
        player("中文名字 and ภาษาไทย", 3.0, 0.0),
        player("tab\tnew\nline\u{0}nul", 4.0, 0.0),
        player("", 5.0, 0.0),
    ]);
    let pages = render::table(&table).unwrap();
    valid(&pages[0]);
    // The 200-character name is ellipsized: the table stays narrow.
    assert!(pages[0].width < 1400, "width {}", pages[0].width);
}

#[test]
fn negative_and_huge_numbers() {
    let table = league(vec![
        vec![
            "min".into(),
            Cell::Int(i64::MIN),
            Cell::Int(i64::MIN),
            Cell::Number(-1e300),
            Cell::Int(i64::MAX),
        ],
        vec![
            "max".into(),
            f64::MAX.into(),
            f64::INFINITY.into(),
            f64::NEG_INFINITY.into(),
            Cell::Number(f64::MIN_POSITIVE),
        ],
        vec![
            "u64".into(),
            u64::MAX.into(),
            Cell::Number(-0.0),
            Cell::Number(-0.004),
            42u32.into(),
        ],
    ]);
    valid(&render::table(&table).unwrap()[0]);

    let mut chart = queue_chart();
    chart.series[0].values = vec![-1e300, 1e300, f64::NAN, f64::INFINITY, -5.0, 3.0];
    chart.thresholds[0].value = f64::MAX;
    valid(&render::line_chart(&chart).unwrap());

    let donut = Donut {
        slices: vec![
            Slice {
                label: "huge".to_owned(),
                value: 1e300,
                color: None,
            },
            Slice {
                label: "negative".to_owned(),
                value: -5.0,
                color: None,
            },
            Slice {
                label: "nan".to_owned(),
                value: f64::NAN,
                color: None,
            },
            Slice {
                label: "tiny".to_owned(),
                value: 1e-300,
                color: None,
            },
        ],
        ..Donut::default()
    };
    valid(&render::donut(&donut).unwrap());
}

#[test]
fn charts_with_one_point_or_none() {
    let mut chart = queue_chart();
    chart.series[0].values = vec![7.0];
    valid(&render::line_chart(&chart).unwrap());
    chart.series.clear();
    valid(&render::line_chart(&chart).unwrap());
    chart.series = vec![Series::default(); 40];
    chart.spans = vec![Span {
        first: date(2030, 1, 1),
        last: date(2000, 1, 1),
        color: Rgb::RED,
    }];
    valid(&render::line_chart(&chart).unwrap());

    for slices in [
        Vec::new(),
        vec![Slice {
            label: "all".to_owned(),
            value: 3.0,
            color: None,
        }],
    ] {
        valid(
            &render::donut(&Donut {
                slices,
                ..Donut::default()
            })
            .unwrap(),
        );
    }
    let many = (0..60)
        .map(|i| Slice {
            label: format!("slice {i}"),
            value: f64::from(i),
            color: None,
        })
        .collect();
    valid(
        &render::donut(&Donut {
            slices: many,
            labels: SliceLabel::Percent,
            ..Donut::default()
        })
        .unwrap(),
    );
}

#[test]
fn years_of_weekly_data_and_decades_of_days() {
    let mut chart = queue_chart();
    chart.granularity = Granularity::Week;
    chart.series[0].values = (0..520).map(f64::from).collect();
    valid(&render::line_chart(&chart).unwrap());
    chart.granularity = Granularity::Day;
    chart.series[0].values = (0..36_500).map(|i| f64::from(i % 100)).collect();
    valid(&render::line_chart(&chart).unwrap());
}

#[test]
fn a_table_without_columns_is_an_error() {
    let table = Table {
        title: "empty".to_owned(),
        columns: Vec::new(),
        rows: vec![vec![Cell::Int(1)]],
    };
    assert!(matches!(render::table(&table), Err(RenderError::NoColumns)));
}
