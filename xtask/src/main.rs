//! Project automation, run as `cargo xtask <task>` (the alias lives in `.cargo/config.toml` and
//! builds this crate in release mode, so benchmarks measure optimised code).
//!
//! Tasks:
//! - `bench`: measures the figures the issues set budgets for; prints `bench <name> <value> <unit>`
//!   lines and writes the same to `target/bench.json`.
//! - `samples`: draws one picture of each kind to `docs/samples/` (shown in the README).

mod bench;
mod samples;

use std::process::ExitCode;

/// The allocator `stagehand` itself runs on, so the benchmarks that run its code in this process
/// measure what it costs there; and the fake Discord, which shares the bot's cores in `bench
/// discord`, spent a quarter of its CPU in glibc's malloc and free.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = match args.first().map(String::as_str) {
        Some("bench") => bench::run(&args[1..]),
        Some("samples") => samples::run(),
        _ => {
            eprintln!("usage: cargo xtask <bench|samples> [args]");
            return ExitCode::from(2);
        }
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("xtask: {err:#}");
            ExitCode::FAILURE
        }
    }
}

/// The workspace root: the parent of this crate's manifest directory.
fn project_root() -> std::path::PathBuf {
    let xtask = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    xtask.parent().unwrap_or(xtask).to_path_buf()
}
