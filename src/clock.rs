//! The time source. Code that compares against "now" takes a [`Clock`] so tests can move time;
//! a manual clock never moves on its own.
//!
//! End-to-end tests start the binary with [`FAKE_CLOCK_ENV`] set to a unix time: the server then
//! runs on a manual clock that the admin socket's `clock advance <secs>` moves.

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};

/// Unix time in seconds, from the system or set by hand.
#[derive(Clone, Debug, Default)]
pub struct Clock {
    manual: Option<Arc<AtomicI64>>,
}

/// Environment variable that starts the server on a manual clock at the given unix time.
pub const FAKE_CLOCK_ENV: &str = "STAGEHAND_FAKE_CLOCK";

impl Clock {
    pub fn system() -> Clock {
        Clock::default()
    }

    /// The system clock, or a manual one when [`FAKE_CLOCK_ENV`] holds a unix time.
    pub fn from_env() -> Result<Clock, String> {
        match std::env::var(FAKE_CLOCK_ENV) {
            Err(_) => Ok(Clock::system()),
            Ok(text) => text
                .trim()
                .parse()
                .map(Clock::manual)
                .map_err(|_| format!("{FAKE_CLOCK_ENV}={text:?} is not a unix time in seconds")),
        }
    }

    pub fn is_manual(&self) -> bool {
        self.manual.is_some()
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
