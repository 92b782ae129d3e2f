//! Stagehand: one binary that runs a rhythm-game community's Discord server.
//!
//! The map of the modules, their responsibilities and invariants is `ARCHITECTURE.md`.

pub mod access;
pub mod acme;
pub mod app;
mod assets;
pub mod audit;
pub mod bot;
pub mod clock;
pub mod config;
pub mod discord;
pub mod gd;
pub mod i18n;
pub mod league;
pub mod ops;
pub mod osu;
pub mod outbox;
pub mod params;
pub mod paths;
pub mod pause;
pub mod release;
pub mod render;
pub mod requests;
pub mod routes;
pub mod schedule;
pub mod store;
pub mod time;
pub mod web;
pub mod x509;
