//! GD request desk domain. No serenity, hyper or redb types outside store calls.

pub mod cooldown;
pub mod youtube;
