//! The fake osu! and GD servers and the fake release feed of `tests/support/`, included once for every benchmark that
//! drives them (they share the fakes' HTTP thread, `http.rs`).

#[path = "../../../tests/support/http.rs"]
mod http;

#[path = "../../../tests/support/osu.rs"]
#[allow(dead_code)] // the fake's API is wider than the benchmarks need
pub mod osu;

#[path = "../../../tests/support/gd.rs"]
#[allow(dead_code)]
pub mod gd;

#[path = "../../../tests/support/releases.rs"]
pub mod releases;
