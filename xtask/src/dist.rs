//! `cargo xtask dist`: the release build. One static binary (`x86_64-unknown-linux-gnu` with
//! `+crt-static`: this toolchain has no musl target, and every host-name lookup in Stagehand
//! goes through hickory's resolver, so nothing needs glibc's NSS modules), stripped, stamped
//! with its version, commit and target, and carrying the release public key
//! (`STAGEHAND_RELEASE_KEY`, read by `build.rs`), so `stagehand update` accepts only archives
//! signed by its private half.
//!
//! Written to the output folder (`target/dist/`):
//! - `stagehand-<version>-<target>.tar.gz`: a folder of the same name with the binary, the
//!   README, the licences and the example config; signed with zipsign (ed25519ph over the
//!   archive, bound to its file name, kept in the gzip stream, so the archive stays a plain
//!   `.tar.gz` and carries its own signature);
//! - `SHA256SUMS`: the archive's SHA-256, as `sha256sum` writes it.
//!
//! The tests build with this very file (`tests/support/dist.rs` includes it), so it names only
//! crates both have: anyhow, sha2, flate2, tar, toml and zipsign-api.

use std::ffi::OsString;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context as _, bail, ensure};
use sha2::Digest as _;
pub use zipsign_api::SigningKey;

/// The one target releases are built for.
pub const TARGET: &str = "x86_64-unknown-linux-gnu";

/// What to build, where, and with which key.
pub struct Options {
    /// The source tree (the workspace root).
    pub root: PathBuf,
    /// Cargo's target folder.
    pub target_dir: PathBuf,
    /// The cargo profile: `release` for a real release.
    pub profile: String,
    /// Where the archive and `SHA256SUMS` go.
    pub out: PathBuf,
    pub key: SigningKey,
    /// The cargo to run (`$CARGO` when run by cargo).
    pub cargo: OsString,
    /// `--locked`: the lock file must already be right (else `--offline`: the tests' copy of
    /// the tree with another version number updates its lock file without the network).
    pub locked: bool,
}

/// What a build made.
#[derive(Debug, Clone)]
pub struct Dist {
    pub version: String,
    pub binary: PathBuf,
    pub archive: PathBuf,
    pub sums: PathBuf,
}

/// The version in the `[package]` table of `root/Cargo.toml`.
pub fn version(root: &Path) -> anyhow::Result<String> {
    let path = root.join("Cargo.toml");
    let text = std::fs::read_to_string(&path).with_context(|| path.display().to_string())?;
    let manifest: toml::Table = text.parse().with_context(|| path.display().to_string())?;
    let version = manifest
        .get("package")
        .and_then(|p| p.get("version"))
        .and_then(toml::Value::as_str)
        .with_context(|| format!("{} has no [package] version", path.display()))?;
    Ok(version.to_string())
}

/// Refuses a release tag that does not name `version` (`v1.2.3` or `1.2.3`).
pub fn check_tag(version: &str, tag: &str) -> anyhow::Result<()> {
    let named = tag.strip_prefix('v').unwrap_or(tag);
    ensure!(
        named == version,
        "the tag {tag} does not match the version in Cargo.toml ({version}): \
         bump the version or tag v{version}"
    );
    Ok(())
}

/// A signing key from a key file's bytes: the 64-byte keypair `zipsign gen-key` writes.
pub fn signing_key(bytes: &[u8]) -> anyhow::Result<SigningKey> {
    let pair: &[u8; 64] = bytes.try_into().map_err(|_| {
        anyhow::anyhow!(
            "a signing key is the 64-byte ed25519 keypair `cargo xtask dist-key` (or `zipsign \
             gen-key`) writes, not {} bytes",
            bytes.len()
        )
    })?;
    SigningKey::from_keypair_bytes(pair).context("the signing key is not a valid ed25519 keypair")
}

/// The public half of `key`, as the 64 hex digits `STAGEHAND_RELEASE_KEY` takes.
pub fn public_hex(key: &SigningKey) -> String {
    hex(key.verifying_key().as_bytes())
}

/// Builds, checks, packs, signs and sums one release.
pub fn build(options: &Options) -> anyhow::Result<Dist> {
    let version = version(&options.root)?;
    let binary = compile(options)?;
    ensure!(
        is_static(&std::fs::read(&binary)?)?,
        "{} is linked dynamically",
        binary.display()
    );
    let said = Command::new(&binary).arg("version").output()?;
    let said = String::from_utf8_lossy(&said.stdout).into_owned();
    ensure!(
        said.starts_with(&format!("stagehand {version} ")) && said.contains("signed release"),
        "the built binary says {said:?}, not stagehand {version} with the release key"
    );
    let (archive, sums) = package(&options.root, &binary, &version, &options.out, &options.key)?;
    Ok(Dist {
        version,
        binary,
        archive,
        sums,
    })
}

/// Packs `binary` as release `version` into `out`, signed with `key`, and writes its
/// `SHA256SUMS`: (archive, sums).
pub fn package(
    root: &Path,
    binary: &Path,
    version: &str,
    out: &Path,
    key: &SigningKey,
) -> anyhow::Result<(PathBuf, PathBuf)> {
    std::fs::create_dir_all(out)?;
    let name = format!("stagehand-{version}-{TARGET}");
    let archive = out.join(format!("{name}.tar.gz"));
    let unsigned = pack(root, binary, &name)?;
    sign(&unsigned, &archive, key)?;
    let sums = out.join("SHA256SUMS");
    let digest = hex(&sha2::Sha256::digest(std::fs::read(&archive)?));
    std::fs::write(&sums, format!("{digest}  {name}.tar.gz\n"))?;
    Ok((archive, sums))
}

/// `cargo build` of the static binary with the release key; the binary's path.
fn compile(options: &Options) -> anyhow::Result<PathBuf> {
    let mut cargo = Command::new(&options.cargo);
    cargo
        .current_dir(&options.root)
        .args(["build", "--bin", "stagehand", "--target", TARGET])
        .arg("--profile")
        .arg(&options.profile)
        .arg("--target-dir")
        .arg(&options.target_dir);
    cargo.arg(if options.locked {
        "--locked"
    } else {
        "--offline"
    });
    // With `--target`, RUSTFLAGS reach the binary and its crates, not build scripts or proc
    // macros (which must stay dynamic to be loaded by rustc). getrandom finds glibc's
    // `getrandom` with `dlsym`, which a static binary answers with nothing, and then falls back
    // to opening /dev/urandom (missing in a bare chroot or container): the cfg makes it call
    // the system call itself (Linux 3.17 and later).
    let status = cargo
        .env_remove("CARGO_ENCODED_RUSTFLAGS")
        .env(
            "RUSTFLAGS",
            "-C target-feature=+crt-static --cfg getrandom_backend=\"linux_getrandom\"",
        )
        .env("STAGEHAND_RELEASE_KEY", public_hex(&options.key))
        .env(
            format!(
                "CARGO_PROFILE_{}_STRIP",
                options.profile.to_ascii_uppercase().replace('-', "_")
            ),
            "symbols",
        )
        .status()
        .context("running cargo")?;
    ensure!(status.success(), "cargo build failed ({status})");
    let dir = match options.profile.as_str() {
        "dev" | "test" => "debug",
        "bench" => "release",
        other => other,
    };
    Ok(options.target_dir.join(TARGET).join(dir).join("stagehand"))
}

/// Whether an ELF file needs no program interpreter and no shared library: no `PT_INTERP`
/// program header (a static-pie binary still has `PT_DYNAMIC`, for its own relocations, but no
/// `DT_NEEDED` entry; the interpreter is what loads shared libraries, so without it there are
/// none).
pub fn is_static(elf: &[u8]) -> anyhow::Result<bool> {
    ensure!(
        elf.get(..4) == Some(b"\x7fELF".as_slice()),
        "not an ELF file"
    );
    ensure!(
        elf.get(4) == Some(&2) && elf.get(5) == Some(&1),
        "not a 64-bit little-endian ELF file"
    );
    let u16_at = |at: usize| -> anyhow::Result<u64> {
        let bytes = elf.get(at..at + 2).context("a short ELF file")?;
        Ok(u64::from(u16::from_le_bytes([bytes[0], bytes[1]])))
    };
    let u64_at = |at: usize| -> anyhow::Result<u64> {
        let bytes = elf.get(at..at + 8).context("a short ELF file")?;
        let mut word = [0u8; 8];
        word.copy_from_slice(bytes);
        Ok(u64::from_le_bytes(word))
    };
    let (table, size, count) = (u64_at(0x20)?, u16_at(0x36)?, u16_at(0x38)?);
    for i in 0..count {
        let at = usize::try_from(table + i * size)?;
        let kind = u32::from_le_bytes(
            elf.get(at..at + 4)
                .context("a short ELF file")?
                .try_into()?,
        );
        if kind == 3 {
            // PT_INTERP
            return Ok(false);
        }
    }
    Ok(true)
}

/// The unsigned `.tar.gz`: `name/` with the binary, README, licences and example config.
fn pack(root: &Path, binary: &Path, name: &str) -> anyhow::Result<Vec<u8>> {
    let mtime = std::env::var("SOURCE_DATE_EPOCH")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    let gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    let mut tar = tar::Builder::new(gz);
    let mut add = |from: &Path, to: &str, mode: u32| -> anyhow::Result<()> {
        let bytes = std::fs::read(from).with_context(|| from.display().to_string())?;
        let mut header = tar::Header::new_gnu();
        header.set_size(bytes.len() as u64);
        header.set_mode(mode);
        header.set_mtime(mtime);
        header.set_cksum();
        tar.append_data(&mut header, format!("{name}/{to}"), bytes.as_slice())?;
        Ok(())
    };
    add(binary, "stagehand", 0o755)?;
    for (from, to) in [
        ("README.md", "README.md"),
        ("LICENSE-MIT", "LICENSE-MIT"),
        ("LICENSE-APACHE", "LICENSE-APACHE"),
        (
            "assets/fonts/OpenSans-LICENSE-Apache-2.0.txt",
            "OpenSans-LICENSE-Apache-2.0.txt",
        ),
        ("defaults/stagehand.example.toml", "stagehand.example.toml"),
    ] {
        add(&root.join(from), to, 0o644)?;
    }
    let gz = tar.into_inner()?;
    Ok(gz.finish()?)
}

/// Writes `unsigned` to `archive` with a zipsign signature bound to the archive's file name.
fn sign(unsigned: &[u8], archive: &Path, key: &SigningKey) -> anyhow::Result<()> {
    let name = archive
        .file_name()
        .and_then(|n| n.to_str())
        .context("the archive's name")?;
    let partial = archive.with_extension("gz.partial");
    let mut out = std::fs::File::create(&partial)?;
    let mut input = std::io::Cursor::new(unsigned);
    zipsign_api::sign::copy_and_sign_tar(
        &mut input,
        &mut out,
        std::slice::from_ref(key),
        Some(name.as_bytes()),
    )
    .context("signing the archive")?;
    out.flush()?;
    out.sync_all()?;
    std::fs::rename(&partial, archive)?;
    Ok(())
}

/// Lowercase hex.
pub fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write as _;
    bytes.iter().fold(String::new(), |mut s, b| {
        let _ = write!(s, "{b:02x}");
        s
    })
}

/// A new signing key from the system's randomness.
pub fn generate_key() -> anyhow::Result<SigningKey> {
    use std::io::Read as _;
    let mut secret = [0u8; 32];
    std::fs::File::open("/dev/urandom")
        .and_then(|mut f| f.read_exact(&mut secret))
        .context("reading /dev/urandom")?;
    Ok(SigningKey::from_bytes(&secret))
}

/// Writes `key` to a new file only its owner can read.
pub fn write_key(path: &Path, key: &SigningKey) -> anyhow::Result<()> {
    use std::os::unix::fs::OpenOptionsExt as _;
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
        .with_context(|| format!("creating {}", path.display()))?;
    file.write_all(&key.to_keypair_bytes())?;
    file.sync_all()?;
    Ok(())
}

/// Reads a key file, refusing one that others may read.
pub fn read_key_file(path: &Path) -> anyhow::Result<SigningKey> {
    use std::os::unix::fs::PermissionsExt as _;
    let meta = std::fs::metadata(path).with_context(|| path.display().to_string())?;
    if meta.permissions().mode() & 0o077 != 0 {
        bail!(
            "{} can be read by others: `chmod 600` it (and keep it out of the repository)",
            path.display()
        );
    }
    signing_key(&std::fs::read(path)?)
}

/// `0.1.0` → `0.2.0`.
pub fn next_version(version: &str) -> String {
    let mut parts = version.split('.').map(|p| p.parse::<u64>().unwrap_or(0));
    let (major, minor) = (parts.next().unwrap_or(0), parts.next().unwrap_or(0));
    format!("{major}.{}.0", minor + 1)
}

/// Copies what building the binary needs from `from` to `to`, with `[package] version` set to
/// `new_version`: a newer release of the same tree, for the update's tests and bench. A file is
/// written only when its contents differ, so cargo sees an unchanged copy as fresh.
pub fn copy_tree_with_version(from: &Path, to: &Path, new_version: &str) -> anyhow::Result<()> {
    for dir in ["src", "assets", "defaults", "xtask/src"] {
        copy_dir(&from.join(dir), &to.join(dir))?;
    }
    for file in [
        "build.rs",
        "Cargo.lock",
        "README.md",
        "LICENSE-MIT",
        "LICENSE-APACHE",
        "xtask/Cargo.toml",
    ] {
        write_if_changed(&to.join(file), &std::fs::read(from.join(file))?)?;
    }
    // The one test target the manifest names; the copy builds only the binary.
    write_if_changed(&to.join("tests/tests.rs"), b"")?;
    let manifest = std::fs::read_to_string(from.join("Cargo.toml"))?;
    let current = version(from)?;
    let needle = format!("version = \"{current}\"");
    ensure!(manifest.contains(&needle), "Cargo.toml has no {needle}");
    let bumped = manifest.replacen(&needle, &format!("version = \"{new_version}\""), 1);
    write_if_changed(&to.join("Cargo.toml"), bumped.as_bytes())
}

fn copy_dir(from: &Path, to: &Path) -> anyhow::Result<()> {
    for entry in std::fs::read_dir(from)? {
        let entry = entry?;
        let path = entry.path();
        let target = to.join(entry.file_name());
        if entry.file_type()?.is_dir() {
            copy_dir(&path, &target)?;
        } else {
            write_if_changed(&target, &std::fs::read(&path)?)?;
        }
    }
    Ok(())
}

fn write_if_changed(path: &Path, bytes: &[u8]) -> anyhow::Result<()> {
    if std::fs::read(path).is_ok_and(|old| old == bytes) {
        return Ok(());
    }
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent)?;
    }
    std::fs::write(path, bytes)?;
    Ok(())
}
