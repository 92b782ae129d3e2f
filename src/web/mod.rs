//! The HTTPS server: TLS (self-signed via rcgen or PEM files), HTTP/1.1 and HTTP/2, the routes
//! (setup page, health, metrics, static files) and their minijinja pages.
//!
//! Knows nothing of Discord. Reads and writes the store only through `store`'s API; settings
//! arrive already parsed.

mod metrics;
mod pages;
mod routes;
mod server;
pub mod setup;
pub mod tls;

pub use metrics::Metrics;
pub use server::{Listeners, State, serve};
