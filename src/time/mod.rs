//! The two time grammars users type: durations (`3d`, `1w2d`, `+12h`, `inf`; `/help duration`)
//! and timestamps (`2025-03-01`, `2025-03-01T18:30`, `-2w`, `<t:1740850200>`; `/help timestamp`).
//!
//! Pure functions from text to typed values with typed errors; each error becomes a localised
//! [`Message`](crate::i18n::Message). Knows nothing of Discord or the store. Time is unix seconds
//! (`i64`), passed in as `now` where it matters.
//!
//! Also time zones by IANA name, from the database built into the binary, and the weekly
//! moments a zone's calendar gives (`zone.rs`).

mod duration;
mod timestamp;
mod zone;

pub use duration::{Duration, DurationChange, DurationError, DurationProblem};
pub use timestamp::{TimestampError, TimestampProblem, parse_timestamp};
pub use zone::{last_weekday_start, next_weekday_start, zone, zone_name};
