//! Axis arithmetic for charts: round value ticks (1, 2 or 5 × 10ⁿ) and their labels, and date
//! ticks that fall on calendar boundaries (days, Mondays, first of the month, New Year) at a step
//! coarse enough for their labels not to overlap.

use jiff::SignedDuration;
use jiff::civil::{Date, Weekday};

use super::line::Granularity;

/// Value ticks from `min` to `max` inclusive, `step` apart.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Ticks {
    pub min: f64,
    pub max: f64,
    pub step: f64,
}

impl Ticks {
    /// Round ticks covering `low..=high`, about `target` of them; `integers` forbids fractional
    /// steps (counts).
    pub(crate) fn new(low: f64, high: f64, target: usize, integers: bool) -> Self {
        const LIMIT: f64 = 1e300;
        let (mut low, mut high) = (low.clamp(-LIMIT, LIMIT), high.clamp(-LIMIT, LIMIT));
        if !(low.is_finite() && high.is_finite()) || low > high {
            (low, high) = (0.0, 1.0);
        }
        if high - low < f64::EPSILON * high.abs().max(1.0) {
            high = low
                + if integers {
                    1.0
                } else {
                    low.abs().max(1.0) * 0.1
                };
        }
        let raw = (high / 2.0 - low / 2.0) * 2.0 / target.max(1) as f64;
        let magnitude = 10f64.powf(raw.log10().floor());
        let step = [1.0, 2.0, 5.0, 10.0]
            .into_iter()
            .map(|m| m * magnitude)
            .find(|&s| s >= raw)
            .unwrap_or(10.0 * magnitude);
        let step = if integers {
            step.max(1.0).round()
        } else {
            step
        };
        Self {
            min: (low / step).floor() * step,
            max: (high / step).ceil() * step,
            step,
        }
    }

    /// The tick values, lowest first.
    pub(crate) fn values(&self) -> impl Iterator<Item = f64> + '_ {
        let count = ((self.max - self.min) / self.step).round() as usize;
        (0..=count).map(move |i| self.min + i as f64 * self.step)
    }

    /// The label of tick `value`: as many decimals as the step needs, thousands grouped, large
    /// values shortened with k/M/B/T.
    pub(crate) fn label(&self, value: f64) -> String {
        let scale = self.min.abs().max(self.max.abs());
        let (unit, suffix) = match scale {
            s if s >= 1e15 => return signed(&format!("{:.1e}", value.abs()), value),
            s if s >= 1e12 => (1e12, "T"),
            s if s >= 1e9 => (1e9, "B"),
            s if s >= 1e6 => (1e6, "M"),
            _ => (1.0, ""),
        };
        let step = self.step / unit;
        let decimals = if step >= 1.0 {
            0
        } else {
            (-step.log10().floor()) as usize
        };
        let magnitude = format!("{:.*}", decimals, value.abs() / unit);
        let magnitude = if unit == 1.0 {
            group_thousands(&magnitude)
        } else {
            magnitude
        };
        signed(&format!("{magnitude}{suffix}"), value)
    }
}

/// Prefixes the minus sign "−" for negative values that do not print as zero.
fn signed(magnitude: &str, value: f64) -> String {
    let zero = magnitude.bytes().all(|b| !b.is_ascii_digit() || b == b'0');
    if value < 0.0 && !zero {
        format!("−{magnitude}")
    } else {
        magnitude.to_owned()
    }
}

/// A value for people: whole numbers with thousands grouped, others with up to two decimals,
/// astronomically large ones in scientific notation.
pub(crate) fn format_number(value: f64) -> String {
    if !value.is_finite() {
        return signed("∞", value);
    }
    if value.abs() >= 1e15 {
        return signed(&format!("{:.2e}", value.abs()), value);
    }
    let text = format!("{:.2}", value.abs());
    let text = text.trim_end_matches('0').trim_end_matches('.');
    signed(&group_thousands(text), value)
}

/// Puts commas between groups of three digits before the decimal point: `1234567.5` →
/// `1,234,567.5`.
pub(crate) fn group_thousands(digits: &str) -> String {
    let (whole, fraction) = digits
        .split_once('.')
        .map_or((digits, None), |(w, f)| (w, Some(f)));
    let mut out = String::with_capacity(digits.len() + whole.len() / 3);
    for (i, c) in whole.chars().enumerate() {
        if i > 0 && (whole.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    if let Some(fraction) = fraction {
        out.push('.');
        out.push_str(fraction);
    }
    out
}

/// The date of bin `index` of a series starting at `start`.
pub(crate) fn bin_date(start: Date, granularity: Granularity, index: usize) -> Option<Date> {
    let days = index as i64 * granularity.days();
    start
        .checked_add(SignedDuration::from_hours(days.checked_mul(24)?))
        .ok()
}

/// The (fractional) bin index of `date` on an axis starting at `start`.
pub(crate) fn bin_of(start: Date, granularity: Granularity, date: Date) -> f64 {
    let days = start.duration_until(date).as_secs() as f64 / 86_400.0;
    days / granularity.days() as f64
}

/// How far apart date ticks are.
#[derive(Clone, Copy, Debug)]
enum Step {
    Bins(usize),
    Weeks(usize),
    Months(i8),
    Years(i16),
}

/// Bin indices (with their dates) to label on an axis of `bins` bins from `start`: the finest
/// calendar step that yields at most `max_labels` ticks.
pub(crate) fn date_ticks(
    start: Date,
    granularity: Granularity,
    bins: usize,
    max_labels: usize,
) -> Vec<(usize, Date)> {
    let dates: Vec<(usize, Date)> = (0..bins)
        .map_while(|i| bin_date(start, granularity, i).map(|d| (i, d)))
        .collect();
    let steps: &[Step] = match granularity {
        Granularity::Day => &[
            Step::Bins(1),
            Step::Bins(2),
            Step::Weeks(1),
            Step::Weeks(2),
            Step::Months(1),
            Step::Months(2),
            Step::Months(3),
            Step::Months(6),
            Step::Years(1),
            Step::Years(2),
            Step::Years(5),
            Step::Years(10),
        ],
        Granularity::Week => &[
            Step::Bins(1),
            Step::Bins(2),
            Step::Bins(4),
            Step::Bins(8),
            Step::Bins(13),
            Step::Bins(26),
            Step::Bins(52),
            Step::Bins(104),
            Step::Bins(260),
        ],
    };
    let first_monday = dates
        .iter()
        .position(|(_, d)| d.weekday() == Weekday::Monday)
        .unwrap_or(0);
    let on_step = |step: Step, i: usize, date: Date| match step {
        Step::Bins(n) => i.is_multiple_of(n),
        Step::Weeks(n) => {
            date.weekday() == Weekday::Monday && ((i - first_monday) / 7).is_multiple_of(n)
        }
        Step::Months(n) => date.day() == 1 && (date.month() - 1) % n == 0,
        Step::Years(n) => date.day() == 1 && date.month() == 1 && date.year() % n == 0,
    };
    for &step in steps {
        let ticks: Vec<(usize, Date)> = dates
            .iter()
            .copied()
            .filter(|&(i, d)| on_step(step, i, d))
            .collect();
        if ticks.len() <= max_labels.max(1) {
            return if ticks.is_empty() {
                dates.into_iter().take(1).collect()
            } else {
                ticks
            };
        }
    }
    dates.into_iter().take(1).collect()
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use jiff::civil::date;

    #[test]
    fn value_ticks_are_round() {
        let ticks = Ticks::new(0.0, 37.0, 6, true);
        assert_eq!((ticks.min, ticks.max, ticks.step), (0.0, 40.0, 10.0));
        assert_eq!(ticks.values().count(), 5);
        let ticks = Ticks::new(0.0, 3.0, 6, true);
        assert_eq!(ticks.step, 1.0);
        let ticks = Ticks::new(-0.3, 0.7, 5, false);
        assert_eq!(ticks.label(-0.2), "−0.2");
    }

    #[test]
    fn degenerate_ranges_still_have_ticks() {
        for (low, high) in [
            (5.0, 5.0),
            (0.0, 0.0),
            (f64::NAN, 1.0),
            (-1e308, 1e308),
            (3.0, -3.0),
        ] {
            let ticks = Ticks::new(low, high, 6, false);
            let count = ticks.values().count();
            assert!((2..=12).contains(&count), "{low}..{high}: {count} ticks");
        }
    }

    #[test]
    fn large_values_are_shortened() {
        let ticks = Ticks::new(0.0, 4.2e6, 5, true);
        assert_eq!(ticks.label(1e6), "1M");
        let ticks = Ticks::new(0.0, 12_000.0, 5, true);
        assert_eq!(ticks.label(10_000.0), "10,000");
    }

    #[test]
    fn numbers_read_naturally() {
        assert_eq!(format_number(1234.0), "1,234");
        assert_eq!(format_number(-2.5), "−2.5");
        assert_eq!(format_number(0.004), "0");
        assert_eq!(format_number(3e20), "3.00e20");
        assert_eq!(group_thousands("1000.25"), "1,000.25");
        assert_eq!(group_thousands("999"), "999");
    }

    #[test]
    fn a_year_of_days_is_labelled_by_months() {
        let ticks = date_ticks(date(2024, 1, 1), Granularity::Day, 366, 8);
        let labels: Vec<String> = ticks.iter().map(|(_, d)| d.to_string()).collect();
        assert_eq!(
            labels,
            [
                "2024-01-01",
                "2024-03-01",
                "2024-05-01",
                "2024-07-01",
                "2024-09-01",
                "2024-11-01"
            ]
        );
    }

    #[test]
    fn a_week_of_days_is_labelled_daily_and_one_bin_once() {
        assert_eq!(
            date_ticks(date(2024, 1, 3), Granularity::Day, 7, 8).len(),
            7
        );
        assert_eq!(
            date_ticks(date(2024, 1, 3), Granularity::Day, 1, 8).len(),
            1
        );
        assert!(date_ticks(date(2024, 1, 3), Granularity::Week, 0, 8).is_empty());
    }

    #[test]
    fn bins_and_dates_round_trip() {
        let start = date(2024, 1, 1);
        let later = bin_date(start, Granularity::Week, 3).unwrap();
        assert_eq!(later, date(2024, 1, 22));
        assert_eq!(bin_of(start, Granularity::Week, later), 3.0);
    }
}
