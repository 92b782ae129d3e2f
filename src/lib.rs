//! Stagehand: one binary that runs a rhythm-game community's Discord server.
//!
//! The map of the modules, their responsibilities and invariants is `ARCHITECTURE.md`.

pub mod access;
pub mod admin;
pub mod app;
mod assets;
pub mod audit;
pub mod backup;
pub mod clock;
pub mod config;
pub mod discord;
pub mod gd;
pub mod i18n;
pub mod league;
pub mod osu;
pub mod params;
pub mod render;
pub mod requests;
pub mod routes;
pub mod schedule;
pub mod store;
pub mod time;
pub mod web;
