//! The time source. Code that compares against "now" takes a [`Clock`] so tests can move time;
//! a manual clock never moves on its own.

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};

/// Unix time in seconds, from the system or set by hand.
#[derive(Clone, Debug, Default)]
pub struct Clock {
    manual: Option<Arc<AtomicI64>>,
}

impl Clock {
    pub fn system() -> Clock {
        Clock::default()
    }

    /// A clock that stays at `unix_secs` until [`Clock::advance`] moves it.
    pub fn manual(unix_secs: i64) -> Clock {
        Clock {
            manual: Some(Arc::new(AtomicI64::new(unix_secs))),
        }
    }

    pub fn now(&self) -> i64 {
        match &self.manual {
            Some(t) => t.load(Ordering::Relaxed),
            None => unix_now(),
        }
    }

    /// Moves a manual clock forward; no effect on the system clock.
    pub fn advance(&self, secs: i64) {
        if let Some(t) = &self.manual {
            t.fetch_add(secs, Ordering::Relaxed);
        }
    }
}

/// The system's unix time in seconds.
pub fn unix_now() -> i64 {
    jiff::Timestamp::now().as_second()
}
