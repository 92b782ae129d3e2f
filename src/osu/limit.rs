//! The shared request limiter: requests are spaced evenly, at most `n` per second across every
//! caller, and a 429 can hold everyone back until its `Retry-After` has passed.
//!
//! Spacing (one slot every `1/n` s) rather than a token bucket: it never bursts, so any one-second
//! window holds at most `n` starts, well inside osu!'s 1200/min with a burst of 200.

use std::sync::{Mutex, PoisonError};
use std::time::Duration;

use tokio::time::Instant;

/// Hands out request slots `interval` apart. Shared by all clones of a [`super::Client`].
#[derive(Debug)]
pub(crate) struct Limiter {
    interval: Duration,
    /// The earliest instant the next request may start.
    next: Mutex<Instant>,
}

impl Limiter {
    /// At most `per_second` (≥ 1) requests in any second.
    pub(crate) fn per_second(per_second: u32) -> Limiter {
        Limiter {
            interval: Duration::from_secs(1) / per_second.max(1),
            next: Mutex::new(Instant::now()),
        }
    }

    /// Waits for this caller's slot.
    pub(crate) async fn acquire(&self) {
        let slot = self.reserve(Instant::now());
        tokio::time::sleep_until(slot).await;
    }

    /// Books the first free slot at or after `now` and returns it. Unused time does not
    /// accumulate: after a quiet minute the next request goes at once, the one after it an
    /// interval later.
    fn reserve(&self, now: Instant) -> Instant {
        let mut next = self.next.lock().unwrap_or_else(PoisonError::into_inner);
        let slot = (*next).max(now);
        *next = slot + self.interval;
        slot
    }

    /// No request starts before `until` (a 429's `Retry-After`): every caller waits it out.
    pub(crate) fn hold_until(&self, until: Instant) {
        let mut next = self.next.lock().unwrap_or_else(PoisonError::into_inner);
        *next = (*next).max(until);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MS: Duration = Duration::from_millis(1);

    #[tokio::test(start_paused = true)]
    async fn slots_are_a_tenth_of_a_second_apart_and_do_not_accumulate() {
        let limiter = Limiter::per_second(10);
        let t0 = Instant::now();
        let slots: Vec<_> = (0..4).map(|_| limiter.reserve(t0) - t0).collect();
        assert_eq!(slots, [Duration::ZERO, 100 * MS, 200 * MS, 300 * MS]);
        // Idle for a while: the next request goes at once, and only one does.
        let later = t0 + Duration::from_secs(5);
        assert_eq!(limiter.reserve(later), later);
        assert_eq!(limiter.reserve(later), later + 100 * MS);
        // A request in the middle of a gap takes the next free slot, not `now`.
        assert_eq!(limiter.reserve(later + 150 * MS), later + 200 * MS);
    }

    #[tokio::test(start_paused = true)]
    async fn odd_rates_and_zero_are_sane() {
        let t0 = Instant::now();
        let three = Limiter::per_second(3);
        three.reserve(t0);
        assert_eq!(three.reserve(t0) - t0, Duration::from_nanos(333_333_333));
        let zero = Limiter::per_second(0);
        zero.reserve(t0);
        assert_eq!(zero.reserve(t0) - t0, Duration::from_secs(1));
    }

    #[tokio::test(start_paused = true)]
    async fn hold_until_delays_everyone_but_never_brings_slots_forward() {
        let limiter = Limiter::per_second(10);
        let t0 = Instant::now();
        limiter.hold_until(t0 + Duration::from_secs(2));
        assert_eq!(limiter.reserve(t0), t0 + Duration::from_secs(2));
        assert_eq!(limiter.reserve(t0), t0 + Duration::from_millis(2_100));
        // An earlier hold changes nothing.
        limiter.hold_until(t0 + Duration::from_secs(1));
        assert_eq!(limiter.reserve(t0), t0 + Duration::from_millis(2_200));
    }

    #[tokio::test(start_paused = true)]
    async fn concurrent_callers_never_exceed_ten_in_any_second() {
        let limiter = std::sync::Arc::new(Limiter::per_second(10));
        let t0 = Instant::now();
        let tasks: Vec<_> = (0..35)
            .map(|_| {
                let limiter = limiter.clone();
                tokio::spawn(async move {
                    limiter.acquire().await;
                    Instant::now() - t0
                })
            })
            .collect();
        let mut starts = Vec::new();
        for task in tasks {
            starts.push(task.await.unwrap());
        }
        starts.sort();
        assert_eq!(starts.first(), Some(&Duration::ZERO));
        assert_eq!(starts.last(), Some(&Duration::from_millis(3_400)));
        for (i, start) in starts.iter().enumerate() {
            let in_window = starts[i..]
                .iter()
                .take_while(|s| **s < *start + Duration::from_secs(1))
                .count();
            assert!(
                in_window <= 10,
                "{in_window} starts within 1 s of {start:?}"
            );
        }
    }
}
