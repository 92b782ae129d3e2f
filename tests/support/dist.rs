//! Release builds for the tests, made by xtask's own code (`xtask/src/dist.rs`, included here):
//! the same static, stripped, stamped, signed archive as `cargo xtask dist`, with a test key
//! and the `dist-test` profile (no LTO, no optimisation: minutes of linking saved, nothing the
//! tests look at changed).
//!
//! Two builds, once per target folder (cargo keeps them fresh; a change in `src/` rebuilds the
//! `stagehand` crate of each, not its dependencies):
//! - `current`: this tree, at its version;
//! - `next`: a copy of this tree with the minor version bumped, built into the same target
//!   folder, so its dependencies are shared.
//!
//! The test key is made once per target folder (`target/dist-test/test-signing.key`, 0600) and
//! never committed; only these builds trust it.

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

#[path = "../../xtask/src/dist.rs"]
pub mod xdist;

pub use xdist::{Dist, SigningKey, TARGET, next_version};

/// The two builds and the key that signed them.
pub struct Builds {
    pub key: SigningKey,
    pub current: Dist,
    pub next: Dist,
    /// The folder the builds and their archives live in.
    pub base: PathBuf,
    /// How long making them took in this process (0 when cargo found them fresh).
    pub took: Duration,
}

/// The source tree.
pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The builds, made (or found fresh) once per test process.
pub fn builds() -> &'static Builds {
    static BUILDS: OnceLock<Builds> = OnceLock::new();
    BUILDS.get_or_init(|| make().unwrap_or_else(|err| panic!("the release builds: {err:#}")))
}

fn make() -> anyhow::Result<Builds> {
    let started = Instant::now();
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| root().join("target"));
    let base = target.join("dist-test");
    std::fs::create_dir_all(&base)?;
    let key_path = base.join("test-signing.key");
    let key = if key_path.exists() {
        xdist::read_key_file(&key_path)?
    } else {
        let key = xdist::generate_key()?;
        xdist::write_key(&key_path, &key)?;
        key
    };
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let options = |root: PathBuf, out: &str, locked: bool| xdist::Options {
        root,
        target_dir: base.join("cargo"),
        profile: "dist-test".into(),
        out: base.join(out),
        key: key.clone(),
        cargo: cargo.clone(),
        locked,
    };
    let current = xdist::build(&options(root(), "current", true))?;
    // The binary of a build is where cargo puts the last one: keep each its own copy.
    let current = keep_binary(current, &base.join("current"))?;
    let next_root = base.join("next-src");
    xdist::copy_tree_with_version(&root(), &next_root, &xdist::next_version(&current.version))?;
    let next = xdist::build(&options(next_root, "next", false))?;
    let next = keep_binary(next, &base.join("next"))?;
    Ok(Builds {
        key,
        current,
        next,
        base,
        took: started.elapsed(),
    })
}

fn keep_binary(mut dist: Dist, dir: &Path) -> anyhow::Result<Dist> {
    let kept = dir.join("stagehand");
    std::fs::create_dir_all(dir)?;
    super::copy_executable(&dist.binary, &kept)?;
    dist.binary = kept;
    Ok(dist)
}
