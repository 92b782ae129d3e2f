//! The operations a person runs from the command line, beside `serve`: snapshots and restore
//! ([`backup`]), the report of `check` ([`check`]), and the admin socket through which `backup`
//! and `check` reach a running server ([`socket`]).
//!
//! May call `store`, `config`, `paths`, `clock` and `web::setup` (to read whether setup is done);
//! nothing here knows Discord.

pub mod backup;
pub mod check;
pub mod socket;
