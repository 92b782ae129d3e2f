//! The operations a person runs from the command line, beside `serve`: snapshots and restore
//! ([`backup`]), the report of `check` ([`check`]), installing a newer release ([`update`]), the
//! Control Panel API's switch and key ([`panel`]), moving in from the original bots ([`import`]),
//! and the admin socket through which they reach a running server ([`socket`]).
//!
//! May call `store`, `config`, `paths`, `clock`, `release`, `web::setup` (to read whether setup is
//! done), `requests::panel`, and (`import`) the modules whose rows an import writes; nothing
//! here knows Discord.

pub mod backup;
pub mod check;
pub mod import;
pub mod panel;
pub mod socket;
pub mod update;
