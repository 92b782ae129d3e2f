//! The operations a person runs from the command line, beside `serve`: snapshots and restore
//! ([`backup`]), the report of `check` ([`check`]), installing a newer release ([`update`]),
//! and the admin socket through which `backup`, `check` and `update` reach a running server
//! ([`socket`]).
//!
//! May call `store`, `config`, `paths`, `clock`, `release` and `web::setup` (to read whether setup is done);
//! nothing here knows Discord.

pub mod backup;
pub mod check;
pub mod socket;
pub mod update;
