//! The two time grammars users type: durations (`3d`, `1w2d`, `+12h`, `inf`; `/help duration`)
//! and timestamps (`2025-03-01`, `2025-03-01T18:30`, `-2w`, `<t:1740850200>`; `/help timestamp`).
//!
//! Pure functions from text to typed values with typed errors; each error becomes a localised
//! [`Message`](crate::i18n::Message). Knows nothing of Discord or the store. Time is unix seconds
//! (`i64`), passed in as `now` where it matters.

mod duration;
mod timestamp;

pub use duration::{Duration, DurationChange, DurationError, DurationProblem};
pub use timestamp::{TimestampError, TimestampProblem, parse_timestamp};
