//! The HTTPS server: TLS (self-signed via rcgen or PEM files), HTTP/1.1 and HTTP/2, the routes
//! (root page and docs, setup page, osu! sign-in callback, health, metrics, static files, the
//! Control Panel API under `/control-panel/`) and their minijinja pages.
//!
//! Knows nothing of serenity: a completed sign-in queues its Discord changes as plain effects in
//! the outbox. Reads and writes the store only through `store`'s API; settings arrive already
//! parsed.

pub mod control_panel;
mod endpoints;
mod home;
mod metrics;
pub mod oauth;
mod pages;
mod server;
pub mod setup;
pub mod tls;

pub use metrics::Metrics;
pub use server::{Listeners, State, serve};
