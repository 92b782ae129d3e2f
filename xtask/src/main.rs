//! Project automation, run as `cargo xtask <task>` (the alias lives in `.cargo/config.toml` and
//! builds this crate in release mode, so benchmarks measure optimised code).
//!
//! Tasks:
//! - `bench`: measures the figures the issues set budgets for; prints `bench <name> <value> <unit>`
//!   lines and writes the same to `target/bench.json`.
//! - `samples`: draws one picture of each kind to `docs/samples/` (shown in the README).
//! - `dist`: the release build, signed (`dist.rs`); `dist-key FILE` makes a signing key.

mod bench;
mod dist;
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
        Some("dist") => run_dist(&args[1..]),
        Some("dist-key") => run_dist_key(&args[1..]),
        _ => {
            eprintln!(
                "usage: cargo xtask <bench|samples|dist|dist-key> [args]\n\
                 \x20 dist [--key FILE] [--tag TAG] [--out DIR]   the signing key: --key, \
                 STAGEHAND_SIGNING_KEY_FILE, or STAGEHAND_SIGNING_KEY (base64 of the key file)\n\
                 \x20 dist-key FILE                                a new signing key (0600) and its public key"
            );
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

/// `cargo xtask dist [--key FILE] [--tag TAG] [--out DIR]`.
fn run_dist(args: &[String]) -> anyhow::Result<()> {
    use anyhow::Context as _;
    let mut key_file = std::env::var_os("STAGEHAND_SIGNING_KEY_FILE").map(std::path::PathBuf::from);
    let mut tag = std::env::var("STAGEHAND_RELEASE_TAG").ok();
    let root = project_root();
    let mut out = root.join("target/dist");
    let mut rest = args.iter();
    while let Some(arg) = rest.next() {
        let mut value = || rest.next().with_context(|| format!("{arg} needs a value"));
        match arg.as_str() {
            "--key" => key_file = Some(value()?.into()),
            "--tag" => tag = Some(value()?.clone()),
            "--out" => out = value()?.into(),
            other => anyhow::bail!("unknown argument {other}"),
        }
    }
    let version = dist::version(&root)?;
    // An explicit tag, else the tag on HEAD if it has one: either must name this version.
    let head_tag = std::process::Command::new("git")
        .args(["describe", "--exact-match", "--tags", "HEAD"])
        .current_dir(&root)
        .output()
        .ok()
        .filter(|o| o.status.success())
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string());
    for tag in tag.iter().chain(head_tag.iter()) {
        dist::check_tag(&version, tag)?;
    }
    let key = match (key_file, std::env::var("STAGEHAND_SIGNING_KEY")) {
        (Some(path), _) => dist::read_key_file(&path)?,
        (None, Ok(encoded)) => {
            use base64::Engine as _;
            let bytes = base64::engine::general_purpose::STANDARD
                .decode(encoded.trim())
                .context("STAGEHAND_SIGNING_KEY is not base64")?;
            dist::signing_key(&bytes)?
        }
        (None, Err(_)) => anyhow::bail!(
            "no signing key: pass --key FILE, or set STAGEHAND_SIGNING_KEY_FILE or \
             STAGEHAND_SIGNING_KEY (`cargo xtask dist-key FILE` makes one; never commit it)"
        ),
    };
    let started = std::time::Instant::now();
    let built = dist::build(&dist::Options {
        root: root.clone(),
        target_dir: root.join("target"),
        profile: "release".into(),
        out,
        key: key.clone(),
        cargo: std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into()),
        locked: true,
    })?;
    let size = std::fs::metadata(&built.binary)?.len();
    println!(
        "stagehand {} ({} bytes, static, stripped)",
        built.version, size
    );
    println!("release key (public): {}", dist::public_hex(&key));
    println!("{}", built.archive.display());
    println!("{}", built.sums.display());
    println!("built in {:.0} s", started.elapsed().as_secs_f64());
    Ok(())
}

/// `cargo xtask dist-key FILE`: a new signing key, readable by its owner only.
fn run_dist_key(args: &[String]) -> anyhow::Result<()> {
    let [path] = args else {
        anyhow::bail!("usage: cargo xtask dist-key FILE");
    };
    let key = dist::generate_key()?;
    dist::write_key(std::path::Path::new(path), &key)?;
    println!("wrote the signing key to {path} (keep it secret and out of the repository)");
    println!("public key: {}", dist::public_hex(&key));
    Ok(())
}

/// The workspace root: the parent of this crate's manifest directory.
fn project_root() -> std::path::PathBuf {
    let xtask = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    xtask.parent().unwrap_or(xtask).to_path_buf()
}
