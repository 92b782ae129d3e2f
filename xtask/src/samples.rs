//! `cargo xtask samples`: draws one picture of each kind with made-up but realistic data and
//! writes them to `docs/samples/`, for the README. The same data feeds `cargo xtask bench render`.

use anyhow::Context as _;
use jiff::civil::{Date, date};
use stagehand::render::{
    self, Cell, Column, Donut, Format, Granularity, LineChart, Series, Slice, SliceLabel, Span,
    Table, Threshold,
};

/// Player names of the sample league: Latin, Cyrillic, digits, one emoji, one far too long.
const NAMES: &[&str] = &[
    "Mrekk",
    "Дмитрий_Волков",
    "lifeline",
    "Аксолотль",
    "WhiteCat",
    "ЯрославМудрый",
    "nyanpotato 🐱",
    "Лёша",
    "aetrna",
    "Вишенка",
    "Tomiko Sakurazaki the Magnificent Destroyer of Hard Rock Maps",
    "Жёлудь",
];

pub fn run() -> anyhow::Result<()> {
    let dir = crate::project_root().join("docs/samples");
    std::fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
    let pictures = [
        (
            "league-table.png",
            render::table(&league_table(12))?.remove(0),
        ),
        ("new-requests.png", render::line_chart(&new_requests(90))?),
        (
            "pending-requests.png",
            render::line_chart(&pending_requests(60))?,
        ),
        (
            "review-activity.png",
            render::line_chart(&review_activity(5, 26, Granularity::Week))?,
        ),
        (
            "reviewer-opinions.png",
            render::donut(&reviewer_opinions())?,
        ),
    ];
    for (name, png) in pictures {
        let path = dir.join(name);
        std::fs::write(&path, &png.bytes).with_context(|| format!("writing {}", path.display()))?;
        println!(
            "{} ({}×{}, {} KiB)",
            path.display(),
            png.width,
            png.height,
            png.bytes.len() / 1024
        );
    }
    Ok(())
}

/// A deterministic pseudo-random sequence (xorshift), so samples and benchmarks are repeatable.
struct Noise(u64);

impl Noise {
    /// The next value in `0.0..1.0`.
    fn next(&mut self) -> f64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        (self.0 >> 11) as f64 / (1u64 << 53) as f64
    }
}

/// The osu! league table of `/show`: `rows` players sorted by pp gained.
pub fn league_table(rows: usize) -> Table {
    let mut noise = Noise(0x5EED_1EA6);
    let mut players: Vec<(String, f64, f64)> = (0..rows)
        .map(|i| {
            let name = NAMES[i % NAMES.len()];
            let name = if i < NAMES.len() {
                name.to_owned()
            } else {
                format!("{name}{}", i / NAMES.len())
            };
            let initial = 4000.0 + noise.next() * 8000.0;
            let change = (noise.next() - 0.3) * 400.0;
            (name, initial, initial + change)
        })
        .collect();
    players.sort_by(|a, b| (b.2 - b.1).total_cmp(&(a.2 - a.1)));
    Table {
        title: "League: Gold — Season 3".to_owned(),
        columns: vec![
            Column::number("#", Format::Auto),
            Column::text("osu_username").bold(),
            Column::number("initial_pp", Format::Fixed(2)),
            Column::number("current_pp", Format::Fixed(2)),
            Column::number("pp_change", Format::Fixed(2)).gain_loss(),
            Column::number("percentage_change", Format::Percent(2)).gain_loss(),
            Column::number("ii", Format::Fixed(3)),
        ],
        rows: players
            .into_iter()
            .enumerate()
            .map(|(i, (name, initial, current))| {
                vec![
                    Cell::from(i as i64 + 1),
                    Cell::from(name),
                    Cell::from(initial),
                    Cell::from(current),
                    Cell::from(current - initial),
                    Cell::from((current - initial) / initial * 100.0),
                    Cell::from(current / initial),
                ]
            })
            .collect(),
    }
}

fn first_day() -> Date {
    date(2025, 1, 6)
}

fn day(offset: i64) -> Date {
    first_day()
        .checked_add(jiff::SignedDuration::from_hours(24 * offset))
        .unwrap_or(first_day())
}

/// The `new_requests` report: requests per day with two closed-queue spans.
pub fn new_requests(days: usize) -> LineChart {
    let mut noise = Noise(0xA11CE);
    let values = (0..days)
        .map(|i| (12.0 + 6.0 * (i as f64 / 9.0).sin() + noise.next() * 8.0).round())
        .collect();
    LineChart {
        title: "Levels Requested".to_owned(),
        subtitle: format!("From {} to {}", first_day(), day(days as i64 - 1)),
        x_label: "Date".to_owned(),
        y_label: "New Requests".to_owned(),
        start: first_day(),
        granularity: Granularity::Day,
        series: vec![Series {
            name: "New Requests".to_owned(),
            values,
            color: None,
        }],
        spans: vec![
            Span {
                first: day(days as i64 / 5),
                last: day(days as i64 / 5 + 3),
                color: render::Rgb::RED,
            },
            Span {
                first: day(days as i64 * 2 / 3),
                last: day(days as i64 * 2 / 3 + 6),
                color: render::Rgb::RED,
            },
        ],
        thresholds: Vec::new(),
    }
}

/// The `pending_requests` report: the queue length at the end of each day, with the current
/// auto-block and auto-unblock thresholds.
pub fn pending_requests(days: usize) -> LineChart {
    let mut noise = Noise(0xBEEF);
    let mut pending = 20.0f64;
    let values = (0..days)
        .map(|_| {
            pending = (pending + (noise.next() - 0.45) * 14.0).round().max(0.0);
            pending
        })
        .collect();
    LineChart {
        title: "Pending requests at the end of the day".to_owned(),
        subtitle: format!("From {} to {}", first_day(), day(days as i64 - 1)),
        x_label: "Date".to_owned(),
        y_label: "Pending Requests".to_owned(),
        start: first_day(),
        granularity: Granularity::Day,
        series: vec![Series {
            name: "Pending".to_owned(),
            values,
            color: None,
        }],
        spans: Vec::new(),
        thresholds: vec![
            Threshold {
                value: 60.0,
                label: "Queue block threshold (current)".to_owned(),
                color: render::Rgb::RED,
            },
            Threshold {
                value: 40.0,
                label: "Queue unblock threshold (current)".to_owned(),
                color: render::Rgb::GREEN,
            },
        ],
    }
}

/// The `review_activity` report: reviews per day or week, one line per reviewer.
pub fn review_activity(reviewers: usize, bins: usize, granularity: Granularity) -> LineChart {
    const REVIEWERS: &[&str] = &[
        "Ника",
        "GDColon",
        "Сергей Р.",
        "viprin",
        "Мария",
        "Knobbelboy",
        "Алекс",
        "Zoink",
        "Тимур",
        "Doggie",
    ];
    let mut noise = Noise(0xC0FFEE);
    let series = (0..reviewers)
        .map(|r| Series {
            name: REVIEWERS[r % REVIEWERS.len()].to_owned(),
            values: (0..bins)
                .map(|_| {
                    (noise.next() * noise.next() * (10.0 - r as f64) * granularity.days() as f64)
                        .round()
                })
                .collect(),
            color: None,
        })
        .collect();
    LineChart {
        title: "Reviews Written by Staff Members".to_owned(),
        subtitle: match granularity {
            Granularity::Day => format!("From {} to {}", first_day(), day(bins as i64 - 1)),
            Granularity::Week => format!(
                "From {} to {} (per week)",
                first_day(),
                day(bins as i64 * 7 - 1)
            ),
        },
        x_label: match granularity {
            Granularity::Day => "Date",
            Granularity::Week => "Week",
        }
        .to_owned(),
        y_label: "Reviews Written".to_owned(),
        start: first_day(),
        granularity,
        series,
        spans: Vec::new(),
        thresholds: Vec::new(),
    }
}

/// The `reviewer_opinions` report: a reviewer's approvals and rejections.
pub fn reviewer_opinions() -> Donut {
    Donut {
        title: "Opinions left by Дмитрий_Волков".to_owned(),
        subtitle: format!("From {} to {}", first_day(), day(89)),
        slices: vec![
            Slice {
                label: "approved".to_owned(),
                value: 137.0,
                color: Some(render::Rgb::GREEN),
            },
            Slice {
                label: "rejected".to_owned(),
                value: 58.0,
                color: Some(render::Rgb::RED),
            },
        ],
        labels: SliceLabel::ValueAndPercent,
    }
}
