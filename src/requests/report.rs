//! The data of the report charts (gd-requestbot §9): new requests per day or week with the days
//! the queue was closed, pending requests at the end of each day or week, reviews written per
//! reviewer, and a reviewer's approvals and rejections. Pure counting over the store; the bot
//! draws it (`bot::requests::reports`).
//!
//! Fixed from the original (§14): the period really bounds what is counted (`new_requests`
//! counted all history), no data is [`None`] whatever the period (it crashed without
//! `date_from`), and pending requests come from one source of truth, the requests and the
//! resolutions that decided them, like the queue's own count (the original mixed opinion rows
//! with log text, and drifted with every deletion). Days are UTC days.

use std::collections::{BTreeMap, BTreeSet};

use jiff::civil::Date;
use jiff::tz::TimeZone;

use super::model::{self, DECISIONS, OPINIONS, REQUESTS, RESOLUTIONS, Verdict};
use super::queue;
use super::trainee;
use crate::params::{self, Param};
use crate::store::{Read, StoreError};

/// How long one bin of a chart is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum Granularity {
    #[default]
    Day,
    /// Monday to Sunday.
    Week,
}

impl Granularity {
    pub fn days(self) -> i64 {
        match self {
            Granularity::Day => 1,
            Granularity::Week => 7,
        }
    }

    /// The first day of the bin holding `date`.
    pub fn bin_start(self, date: Date) -> Date {
        match self {
            Granularity::Day => date,
            Granularity::Week => {
                let back = i64::from(date.weekday().to_monday_zero_offset());
                add_days(date, -back)
            }
        }
    }
}

/// The most bins a chart has: 25 years of days.
pub const MAX_BINS: usize = 9_200;

/// Which days a report covers: from `from` (or the first day with data) to `to`, both
/// included.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Period {
    pub from: Option<Date>,
    pub to: Date,
    pub granularity: Granularity,
}

impl Period {
    /// The period of two dates given in any order (§9.1: `from > to` is swapped).
    pub fn new(from: Option<Date>, to: Date, granularity: Granularity) -> Period {
        match from {
            Some(from) if from > to => Period {
                from: Some(to),
                to: from,
                granularity,
            },
            _ => Period {
                from,
                to,
                granularity,
            },
        }
    }
}

/// The bins of a chart: `count` bins of the granularity from `start`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Bins {
    pub start: Date,
    pub count: usize,
    pub granularity: Granularity,
}

impl Bins {
    /// The bins from the bin of `first` to the bin of `last`.
    fn spanning(first: Date, last: Date, granularity: Granularity) -> Bins {
        let start = granularity.bin_start(first);
        let end = granularity.bin_start(last);
        let days = end
            .since(start)
            .map_or(0, |span| i64::from(span.get_days()));
        Bins {
            start,
            count: usize::try_from(days / granularity.days() + 1).unwrap_or(0),
            granularity,
        }
    }

    /// The bin of the moment `at`, if the chart has it.
    pub fn of(&self, at: i64) -> Option<usize> {
        let day = date_of(at)?;
        let days = day.since(self.start).ok()?.get_days();
        let bin = usize::try_from(i64::from(days).div_euclid(self.granularity.days())).ok()?;
        (days >= 0 && bin < self.count).then_some(bin)
    }

    /// The first day of bin `index`.
    pub fn date(&self, index: usize) -> Date {
        let days = i64::try_from(index).unwrap_or(0) * self.granularity.days();
        add_days(self.start, days)
    }

    /// The last day of the chart.
    pub fn last_day(&self) -> Date {
        add_days(
            self.date(self.count.saturating_sub(1)),
            self.granularity.days() - 1,
        )
    }

    /// The unix time where bin `index` ends (its last day's end).
    fn end_of(&self, index: usize) -> i64 {
        start_of(add_days(self.date(index), self.granularity.days()))
    }
}

/// Why a report draws nothing.
#[derive(Debug, thiserror::Error)]
pub enum ReportError {
    /// Nothing to show in the period.
    #[error("no data")]
    NoData,
    /// More bins than [`MAX_BINS`].
    #[error("the period has {0} bins, more than {MAX_BINS}")]
    TooLong(usize),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// One line of a chart: a value per bin.
pub type Counts = Vec<u64>;

/// `new_requests` (§9.2).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewRequests {
    pub bins: Bins,
    pub counts: Counts,
    /// Runs of days the queue was closed all day, first and last day (day bins only).
    pub closed: Vec<(Date, Date)>,
}

/// `pending_requests` (§9.3).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Pending {
    pub bins: Bins,
    /// Pending at the end of each bin (at the time of the report for a bin not over yet).
    pub counts: Counts,
    /// The current thresholds: the queue closes at `block`, reopens at `unblock` (when each
    /// is enabled).
    pub block: Option<u64>,
    pub unblock: Option<u64>,
}

/// `review_activity` (§9.5): reviews per reviewer and bin.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Activity {
    pub bins: Bins,
    /// By reviewer id, most reviews first.
    pub reviewers: Vec<(u64, Counts)>,
}

/// `reviewer_opinions` (§9.4): requests a reviewer approved and rejected.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Opinions {
    pub approved: u64,
    pub rejected: u64,
}

/// The UTC day of the moment `at`.
pub fn date_of(at: i64) -> Option<Date> {
    let timestamp = jiff::Timestamp::from_second(at).ok()?;
    Some(TimeZone::UTC.to_datetime(timestamp).date())
}

/// The unix time of `date` 00:00 UTC.
pub fn start_of(date: Date) -> i64 {
    TimeZone::UTC
        .to_timestamp(date.to_datetime(jiff::civil::Time::midnight()))
        .map_or(i64::MAX, |t| t.as_second())
}

/// `date` moved by `days`, stopping at the ends of the calendar.
fn add_days(date: Date, days: i64) -> Date {
    jiff::Span::new()
        .try_days(days)
        .ok()
        .and_then(|span| date.checked_add(span).ok())
        .unwrap_or(if days < 0 { Date::MIN } else { Date::MAX })
}

/// The bins of `period`, its first day pulled back to `first_data` when it has none; `None`
/// when there is no data before its end.
fn bins(period: Period, first_data: Option<i64>) -> Result<Bins, ReportError> {
    let first = match period.from {
        Some(from) => from,
        None => first_data
            .and_then(date_of)
            .filter(|first| *first <= period.to)
            .ok_or(ReportError::NoData)?,
    };
    let bins = Bins::spanning(first, period.to, period.granularity);
    if bins.count > MAX_BINS {
        return Err(ReportError::TooLong(bins.count));
    }
    Ok(bins)
}

/// The moments the bins cover, as a half-open range of unix seconds (a week's period runs from
/// the Monday of its first day to the Sunday of its last, §9.1).
fn moments(bins: &Bins) -> std::ops::Range<i64> {
    start_of(bins.start)..start_of(add_days(bins.last_day(), 1))
}

/// `new_requests`: requests per bin (§9.2), the days the queue was closed shaded.
pub fn new_requests(r: &impl Read, period: Period, now: i64) -> Result<NewRequests, ReportError> {
    let times: Vec<i64> = r
        .all(&REQUESTS)?
        .into_iter()
        .map(|(_, request)| request.requested_at)
        .collect();
    let bins = bins(period, times.iter().copied().min())?;
    let range = moments(&bins);
    let mut counts = vec![0; bins.count];
    let mut any = false;
    for at in times.into_iter().filter(|at| range.contains(at)) {
        if let Some(bin) = bins.of(at) {
            counts[bin] += 1;
            any = true;
        }
    }
    if !any {
        return Err(ReportError::NoData);
    }
    let closed = match period.granularity {
        Granularity::Day => closed_days(r, &bins, now)?,
        Granularity::Week => Vec::new(),
    };
    Ok(NewRequests {
        bins,
        counts,
        closed,
    })
}

/// The runs of days within `bins` (day bins) that the queue was closed from 00:00 to their end
/// (or to `now`, for today), from its whole history.
fn closed_days(r: &impl Read, bins: &Bins, now: i64) -> Result<Vec<(Date, Date)>, StoreError> {
    let mut closed = params::describe(r, Param::QueueBlocked)?.default == params::Value::Bool(true);
    // When each closed stretch began and ended (`None`: it still is).
    let mut stretches: Vec<(i64, Option<i64>)> = Vec::new();
    let mut since = i64::MIN;
    for change in queue::history(r)? {
        match (closed, change.closed) {
            (false, true) => since = change.at,
            (true, false) => stretches.push((since, Some(change.at))),
            _ => {}
        }
        closed = change.closed;
    }
    if closed {
        stretches.push((since, None));
    }
    let mut runs: Vec<(Date, Date)> = Vec::new();
    for index in 0..bins.count {
        let day = bins.date(index);
        let (start, end) = (start_of(day), start_of(add_days(day, 1)).min(now));
        let shut = start < end
            && stretches
                .iter()
                .any(|(from, until)| *from <= start && until.is_none_or(|u| u >= end));
        if !shut {
            continue;
        }
        match runs.last_mut() {
            Some((_, last)) if add_days(*last, 1) == day => *last = day,
            _ => runs.push((day, day)),
        }
    }
    Ok(runs)
}

/// `pending_requests`: how many requests had no resolution at the end of each bin (§9.3),
/// from the requests and the resolutions that decided them.
pub fn pending_requests(r: &impl Read, period: Period) -> Result<Pending, ReportError> {
    // +1 when a request came, -1 when it was decided.
    let mut changes: Vec<(i64, i64)> = Vec::new();
    for (id, request) in r.all(&REQUESTS)? {
        changes.push((request.requested_at, 1));
        if let Some(moderator) = r.get(&DECISIONS, &id)?
            && let Some(decision) = r.get(&RESOLUTIONS, &(id, moderator))?
        {
            changes.push((decision.at, -1));
        }
    }
    changes.sort_unstable();
    let bins = bins(period, changes.first().map(|(at, _)| *at))?;
    let mut counts = Vec::with_capacity(bins.count);
    let mut pending: i64 = 0;
    let mut next = changes.iter().peekable();
    for index in 0..bins.count {
        let end = bins.end_of(index);
        while let Some((_, change)) = next.next_if(|(at, _)| *at < end) {
            pending += change;
        }
        counts.push(u64::try_from(pending).unwrap_or(0));
    }
    let threshold = |enabled, at| -> Result<Option<u64>, StoreError> {
        Ok(if params::flag(r, enabled)? {
            Some(params::number(r, at)?)
        } else {
            None
        })
    };
    Ok(Pending {
        bins,
        counts,
        block: threshold(Param::QueueBlockEnabled, Param::QueueBlockAt)?,
        unblock: threshold(Param::QueueUnblockEnabled, Param::QueueUnblockAt)?,
    })
}

/// Who wrote a review when: reviewers' and moderators' reviews, and trainees' practice reviews.
fn reviews_written(r: &impl Read) -> Result<Vec<(u64, i64)>, StoreError> {
    let mut written = Vec::new();
    for ((_, user), opinion) in r.all(&OPINIONS)? {
        if opinion.review.is_some() {
            written.push((user, opinion.at));
        }
    }
    for ((_, user), resolution) in r.all(&RESOLUTIONS)? {
        if resolution.review.is_some() {
            written.push((user, resolution.at));
        }
    }
    for (_, review) in r.all(&trainee::REVIEWS)? {
        written.push((review.trainee, review.at));
    }
    Ok(written)
}

/// `review_activity`: reviews written per reviewer and bin (§9.5), practice reviews included;
/// reviewers who left count too (the original dropped them).
pub fn review_activity(r: &impl Read, period: Period) -> Result<Activity, ReportError> {
    let written = reviews_written(r)?;
    let bins = bins(period, written.iter().map(|(_, at)| *at).min())?;
    let range = moments(&bins);
    let mut by_reviewer: BTreeMap<u64, Counts> = BTreeMap::new();
    for (user, at) in written.into_iter().filter(|(_, at)| range.contains(at)) {
        if let Some(bin) = bins.of(at) {
            by_reviewer
                .entry(user)
                .or_insert_with(|| vec![0; bins.count])[bin] += 1;
        }
    }
    if by_reviewer.is_empty() {
        return Err(ReportError::NoData);
    }
    let mut reviewers: Vec<(u64, Counts)> = by_reviewer.into_iter().collect();
    reviewers.sort_by_key(|(user, counts)| (std::cmp::Reverse(counts.iter().sum::<u64>()), *user));
    Ok(Activity { bins, reviewers })
}

/// `reviewer_opinions`: the requests `reviewer` approved and rejected in the days `from` to
/// `to` (§9.4), by opinion or by resolution, each request once per verdict.
pub fn reviewer_opinions(
    r: &impl Read,
    reviewer: u64,
    from: Option<Date>,
    to: Date,
) -> Result<Opinions, ReportError> {
    let range = from.map_or(i64::MIN, start_of)..start_of(add_days(to, 1));
    let mut said: BTreeSet<(u64, bool)> = BTreeSet::new();
    for ((request, user), opinion) in r.all(&OPINIONS)? {
        if user == reviewer && range.contains(&opinion.at) {
            said.insert((request, opinion.verdict == Verdict::Approve));
        }
    }
    for ((request, user), resolution) in r.all(&RESOLUTIONS)? {
        if user == reviewer && range.contains(&resolution.at) {
            said.insert((request, resolution.verdict() == Verdict::Approve));
        }
    }
    let approved = said.iter().filter(|(_, approve)| *approve).count() as u64;
    let rejected = said.len() as u64 - approved;
    if said.is_empty() {
        return Err(ReportError::NoData);
    }
    Ok(Opinions { approved, rejected })
}

/// How many requests are pending now, as the queue counts them: what the last bin of
/// [`pending_requests`] ending after now must say.
pub fn pending_now(r: &impl Read) -> Result<u64, StoreError> {
    model::pending_count(r)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use crate::audit::Actor;
    use crate::requests::model::tests::request;
    use crate::requests::model::{Opinion, Resolution, insert, put_opinion, put_resolution};
    use crate::store::Store;
    use jiff::civil::date;

    const DAY: i64 = 86_400;

    fn at(d: Date, hour: i64) -> i64 {
        start_of(d) + hour * 3_600
    }

    /// A report read from `store`.
    fn run<T>(
        store: &Store,
        report: impl FnOnce(&crate::store::Reader) -> Result<T, ReportError>,
    ) -> Result<T, ReportError> {
        store.read(|r| Ok(report(r))).unwrap()
    }

    fn period(from: Option<Date>, to: Date) -> Period {
        Period::new(from, to, Granularity::Day)
    }

    /// Requests on 2026-03-02 (two), 03-03, 03-05; the first two decided on 03-03 and 03-06.
    fn desk() -> (tempfile::TempDir, Store) {
        let (dir, store) = Store::temporary();
        store
            .write(|w| {
                let ids = [
                    insert(w, &request(1, 7, at(date(2026, 3, 2), 1)))?,
                    insert(w, &request(2, 7, at(date(2026, 3, 2), 23)))?,
                    insert(w, &request(3, 8, at(date(2026, 3, 3), 5)))?,
                    insert(w, &request(4, 8, at(date(2026, 3, 5), 5)))?,
                ];
                let resolved = |grade, hour| Resolution {
                    grade,
                    review: Some("r".into()),
                    comment: None,
                    at: hour,
                };
                put_resolution(w, ids[0], 60, &resolved(None, at(date(2026, 3, 3), 2)))?;
                put_resolution(w, ids[1], 60, &resolved(None, at(date(2026, 3, 6), 2)))?;
                // A later resolution decides nothing.
                put_resolution(w, ids[0], 61, &resolved(None, at(date(2026, 3, 7), 2)))?;
                let opinion = |verdict, day| Opinion {
                    verdict,
                    review: Some("text".into()),
                    reason: None,
                    at: at(day, 3),
                };
                put_opinion(w, ids[2], 60, &opinion(Verdict::Approve, date(2026, 3, 4)))?;
                put_opinion(w, ids[3], 70, &opinion(Verdict::Reject, date(2026, 3, 5)))?;
                Ok::<_, StoreError>(())
            })
            .unwrap();
        (dir, store)
    }

    #[test]
    fn new_requests_count_only_the_period() {
        let (_dir, store) = desk();
        let now = at(date(2026, 3, 10), 0);
        let all = run(&store, |r| {
            new_requests(r, period(None, date(2026, 3, 6)), now)
        })
        .unwrap();
        assert_eq!(all.bins.start, date(2026, 3, 2));
        assert_eq!(all.counts, [2, 1, 0, 1, 0]);
        // date_from trims (the original counted all history anyway).
        let trimmed = run(&store, |r| {
            new_requests(r, period(Some(date(2026, 3, 3)), date(2026, 3, 4)), now)
        })
        .unwrap();
        assert_eq!(trimmed.counts, [1, 0]);
        // Reversed dates are swapped; weeks start on Monday (2026-03-02 is one).
        let weekly = Period::new(Some(date(2026, 3, 15)), date(2026, 3, 4), Granularity::Week);
        let weeks = run(&store, |r| new_requests(r, weekly, now)).unwrap();
        assert_eq!(weeks.bins.start, date(2026, 3, 2));
        assert_eq!(weeks.counts, [4, 0], "from the Monday of the first day");
        assert!(weeks.closed.is_empty());
        // No data: an empty period, or an empty store without a first day.
        let empty = run(&store, |r| {
            new_requests(r, period(Some(date(2026, 4, 1)), date(2026, 4, 9)), now)
        });
        assert!(matches!(empty, Err(ReportError::NoData)));
        let (_d, none) = Store::temporary();
        let nothing = run(&none, |r| {
            new_requests(r, period(None, date(2026, 4, 9)), now)
        });
        assert!(matches!(nothing, Err(ReportError::NoData)));
        let too_long = run(&store, |r| {
            new_requests(r, period(Some(date(1900, 1, 1)), date(2026, 4, 9)), now)
        });
        assert!(matches!(too_long, Err(ReportError::TooLong(_))));
    }

    #[test]
    fn days_closed_all_day_are_shaded_from_the_whole_history() {
        let (_dir, store) = desk();
        let set = |closed, when| {
            store
                .write(|w| queue::set(w, Actor::User(1), closed, when))
                .unwrap();
        };
        // Closed before the period, reopened on the 4th at noon: the 2nd and 3rd are shaded.
        set(true, at(date(2026, 3, 1), 12));
        set(false, at(date(2026, 3, 4), 12));
        // Closed on the 5th at noon, still closed: the 6th up to today (the 8th, not over).
        set(true, at(date(2026, 3, 5), 12));
        let now = at(date(2026, 3, 8), 9);
        let report = run(&store, |r| {
            new_requests(r, period(Some(date(2026, 3, 2)), date(2026, 3, 9)), now)
        })
        .unwrap();
        assert_eq!(
            report.closed,
            [
                (date(2026, 3, 2), date(2026, 3, 3)),
                (date(2026, 3, 6), date(2026, 3, 8))
            ]
        );
    }

    #[test]
    fn pending_counts_follow_requests_and_their_decisions() {
        let (_dir, store) = desk();
        let report = run(&store, |r| {
            pending_requests(r, period(None, date(2026, 3, 7)))
        })
        .unwrap();
        // 2nd: 2 came; 3rd: +1, one decided; 4th: -; 5th: +1; 6th: one decided.
        assert_eq!(report.counts, [2, 2, 2, 3, 2, 2]);
        assert_eq!(
            *report.counts.last().unwrap(),
            store.read(pending_now).unwrap(),
            "the queue's own count"
        );
        assert_eq!((report.block, report.unblock), (Some(50), None));
        // From a later day, the count starts from what was pending then.
        let later = run(&store, |r| {
            pending_requests(r, period(Some(date(2026, 3, 5)), date(2026, 3, 5)))
        })
        .unwrap();
        assert_eq!(later.counts, [3]);
        // A deleted request leaves both sides at once: no drift.
        store
            .write(|w| model::delete(w, Actor::User(1), 4, 0).map(drop))
            .unwrap();
        let after = run(&store, |r| {
            pending_requests(r, period(None, date(2026, 3, 7)))
        })
        .unwrap();
        assert_eq!(after.counts, [2, 2, 2, 2, 1, 1]);
        assert_eq!(
            *after.counts.last().unwrap(),
            store.read(pending_now).unwrap()
        );
    }

    #[test]
    fn reviews_and_opinions_per_reviewer() {
        let (_dir, store) = desk();
        let activity = run(&store, |r| {
            review_activity(r, period(None, date(2026, 3, 7)))
        })
        .unwrap();
        assert_eq!(activity.bins.start, date(2026, 3, 3));
        assert_eq!(
            activity.reviewers,
            [
                (60, vec![1, 1, 0, 1, 0]),
                (61, vec![0, 0, 0, 0, 1]),
                (70, vec![0, 0, 1, 0, 0])
            ]
        );
        let opinions = |user, from| {
            run(&store, |r| {
                reviewer_opinions(r, user, from, date(2026, 3, 31))
            })
        };
        let moderator = opinions(60, None).unwrap();
        assert_eq!((moderator.approved, moderator.rejected), (1, 2));
        let later = opinions(60, Some(date(2026, 3, 4))).unwrap();
        assert_eq!((later.approved, later.rejected), (1, 1));
        assert!(matches!(opinions(99, None), Err(ReportError::NoData)));
    }

    #[test]
    fn bins_map_moments_and_days() {
        let bins = Bins::spanning(date(2026, 3, 4), date(2026, 3, 20), Granularity::Week);
        assert_eq!(bins.start, date(2026, 3, 2));
        assert_eq!(bins.count, 3);
        assert_eq!(bins.last_day(), date(2026, 3, 22));
        assert_eq!(bins.of(at(date(2026, 3, 9), 0)), Some(1));
        assert_eq!(bins.of(at(date(2026, 3, 1), 23)), None);
        assert_eq!(bins.of(at(date(2026, 3, 23), 0)), None);
        assert_eq!(bins.end_of(0), at(date(2026, 3, 9), 0));
        assert_eq!(start_of(date(1970, 1, 2)), DAY);
        assert_eq!(date_of(DAY - 1), Some(date(1970, 1, 1)));
    }
}
