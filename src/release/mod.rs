//! Stagehand's own releases: the feed (GitHub's releases API, or anything that answers like it at
//! `update.base_url`), which release is newer, and the checks a downloaded archive must pass
//! before anything is installed: its SHA-256 against the release's `SHA256SUMS`, and its zipsign
//! signature against the release key built into this binary (`cargo xtask dist` passes it).
//!
//! Uses `self_update` for the feed's shape, the signature format and extraction; every request
//! goes through [`http::Client`] (reqwest with its own resolver). Names no module above it;
//! `ops::update` and the scheduler's daily look call it.

pub mod http;

use std::path::{Path, PathBuf};
use std::sync::Arc;

use self_update::{Release, ReleaseAsset};
use sha2::Digest as _;

/// The version of this binary.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");
/// The target this binary was built for; a release's archive for it carries this in its name.
pub const TARGET: &str = env!("STAGEHAND_TARGET");
/// The name of the checksum file of a release.
pub const SUMS: &str = "SHA256SUMS";

/// The public key (hex) that signs releases, embedded by `cargo xtask dist`; empty in a build
/// from source.
const RELEASE_KEY_HEX: &str = env!("STAGEHAND_RELEASE_KEY");

/// The release key built into this binary, when it was built by `cargo xtask dist`.
pub fn release_key() -> Option<[u8; 32]> {
    decode_hex::<32>(RELEASE_KEY_HEX)
}

/// Why a look at the feed, a download or a check failed. Each says what to do or what was
/// wrong; none of them has changed anything.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ReleaseError {
    #[error(
        "this build carries no release key (it was built from source, not by `cargo xtask dist`), \
         so it cannot check a release's signature: update it the way you built it"
    )]
    NoKey,
    #[error("update.repository must be `owner/name`, not {0:?}")]
    Repository(String),
    #[error("the release feed at {url} could not be read: {reason}")]
    Feed { url: String, reason: String },
    #[error("the release feed has no releases")]
    Empty,
    #[error(
        "release {version} has no archive for {target} (expected an asset named \
         stagehand-{version}-{target}.tar.gz)"
    )]
    NoAsset { version: String, target: String },
    #[error("release {version} has no {SUMS} file, so its archive cannot be checked")]
    NoSums { version: String },
    #[error("{SUMS} of release {version} does not list {archive}")]
    NotInSums { version: String, archive: String },
    #[error("the download of {what} failed: {reason}")]
    Download { what: String, reason: String },
    #[error("the download of {what} was cut short: {got} of {expected} bytes")]
    Truncated {
        what: String,
        got: u64,
        expected: u64,
    },
    #[error("the download of {what} is larger than {limit} bytes; refused")]
    TooLarge { what: String, limit: u64 },
    #[error("the checksum of {archive} is wrong: {SUMS} says {expected}, the download is {actual}")]
    Checksum {
        archive: String,
        expected: String,
        actual: String,
    },
    #[error("the signature of {archive} is not valid for the release key: {reason}")]
    Signature { archive: String, reason: String },
    #[error("the archive {archive} does not hold a usable stagehand binary: {reason}")]
    Archive { archive: String, reason: String },
    #[error("{0}")]
    Io(String),
}

/// Where the feed is and how to reach it.
pub struct Feed {
    base_url: String,
    owner: String,
    name: String,
    client: Arc<http::Client>,
}

/// The newest release in the feed, compared with this binary.
#[derive(Debug)]
pub enum Look {
    /// The newest release is this version.
    UpToDate { latest: String },
    /// The newest release is older than this binary (a downgrade, never installed).
    Older { latest: String },
    /// A newer release.
    Newer(Box<Offer>),
}

/// A newer release and what belongs to it.
#[derive(Clone, Debug)]
pub struct Offer {
    pub version: String,
    /// The release's name and notes.
    pub name: String,
    pub notes: Option<String>,
    pub archive: ReleaseAsset,
    pub sums: ReleaseAsset,
}

impl Offer {
    /// The first `n` non-empty lines of the release notes.
    pub fn notes_head(&self, n: usize) -> Vec<String> {
        self.notes
            .as_deref()
            .unwrap_or_default()
            .lines()
            .map(str::trim_end)
            .filter(|line| !line.trim().is_empty())
            .take(n)
            .map(printable)
            .collect()
    }
}

/// The name of the archive of `version` for `target`.
pub fn archive_name(version: &str, target: &str) -> String {
    format!("stagehand-{version}-{target}.tar.gz")
}

impl Feed {
    /// The feed of `repository` (`owner/name`) at `base_url` (GitHub's API, or a mirror).
    pub fn new(
        base_url: &str,
        repository: &str,
        client: Arc<http::Client>,
    ) -> Result<Feed, ReleaseError> {
        let (owner, name) = repository
            .split_once('/')
            .filter(|(o, n)| {
                let ok = |s: &str| {
                    !s.is_empty()
                        && s.bytes()
                            .all(|b| b.is_ascii_alphanumeric() || b"-_.".contains(&b))
                };
                ok(o) && ok(n)
            })
            .ok_or_else(|| ReleaseError::Repository(repository.to_string()))?;
        Ok(Feed {
            base_url: base_url.trim_end_matches('/').to_string(),
            owner: owner.to_string(),
            name: name.to_string(),
            client,
        })
    }

    fn url(&self) -> String {
        format!(
            "{}/repos/{}/{}/releases",
            self.base_url, self.owner, self.name
        )
    }

    /// Reads the feed (blocking) and compares its newest release with this binary.
    pub fn look(&self) -> Result<Look, ReleaseError> {
        let feed_error = |reason: String| ReleaseError::Feed {
            url: self.url(),
            reason,
        };
        let releases = self_update::backends::github::ReleaseList::configure()
            .repo_owner(&self.owner)
            .repo_name(&self.name)
            .api_base_url(&self.base_url)
            .http_client(self.client.clone())
            .build()
            .and_then(|list| list.fetch())
            .map_err(|err| feed_error(err.to_string()))?;
        let newest = newest(releases.all()).ok_or(ReleaseError::Empty)?;
        compare(newest, VERSION, TARGET)
    }

    /// Downloads `asset` into `dir` (named as the asset), calling `progress(done, total)`; a
    /// download cut short, or longer than `limit`, is an error.
    pub fn download(
        &self,
        asset: &ReleaseAsset,
        dir: &Path,
        limit: u64,
        progress: &mut dyn FnMut(u64, Option<u64>),
    ) -> Result<PathBuf, ReleaseError> {
        let name = safe_name(asset.name())?;
        let path = dir.join(name);
        self.client
            .download(asset.download_url(), &path, name, limit, progress)?;
        Ok(path)
    }
}

/// The daily look of `serve` (blocking): logs a newer release, once per look.
pub fn log_newer(base_url: &str, repository: &str) {
    let looked = http::Client::new(None)
        .map(Arc::new)
        .and_then(|client| Feed::new(base_url, repository, client))
        .and_then(|feed| feed.look());
    match looked {
        Ok(Look::Newer(offer)) => tracing::info!(
            installed = VERSION,
            available = %printable(&offer.version),
            "a newer release of Stagehand is available: `stagehand update` installs it"
        ),
        Ok(Look::UpToDate { .. } | Look::Older { .. }) => {
            tracing::debug!("Stagehand is up to date");
        }
        Err(err) => tracing::warn!(error = %err, "could not look for a newer release"),
    }
}

/// The newest release by version; releases whose tag is not a version, and pre-releases
/// (`1.2.0-rc.1`), are skipped.
fn newest(releases: &[Release]) -> Option<&Release> {
    releases
        .iter()
        .filter(|r| semver_like(r.version()) && !r.version().contains('-'))
        .max_by(|a, b| {
            self_update::version::cmp_versions(a.version(), b.version())
                .unwrap_or(std::cmp::Ordering::Equal)
        })
}

fn semver_like(version: &str) -> bool {
    self_update::version::cmp_versions(version, version).is_ok()
}

/// `newest` compared with `current`, with its archive for `target` and its checksums.
fn compare(newest: &Release, current: &str, target: &str) -> Result<Look, ReleaseError> {
    let latest = newest.version().to_string();
    match self_update::version::cmp_versions(&latest, current) {
        Ok(std::cmp::Ordering::Equal) => return Ok(Look::UpToDate { latest }),
        Ok(std::cmp::Ordering::Less) => return Ok(Look::Older { latest }),
        Ok(std::cmp::Ordering::Greater) => {}
        Err(err) => {
            return Err(ReleaseError::Feed {
                url: String::new(),
                reason: err.to_string(),
            });
        }
    }
    let wanted = archive_name(&latest, target);
    let archive = newest
        .assets()
        .iter()
        .find(|a| a.name() == wanted)
        .cloned()
        .ok_or_else(|| ReleaseError::NoAsset {
            version: latest.clone(),
            target: target.to_string(),
        })?;
    let sums = newest
        .assets()
        .iter()
        .find(|a| a.name() == SUMS)
        .cloned()
        .ok_or_else(|| ReleaseError::NoSums {
            version: latest.clone(),
        })?;
    Ok(Look::Newer(Box::new(Offer {
        version: latest,
        name: newest.name().to_string(),
        notes: newest.body().map(str::to_string),
        archive,
        sums,
    })))
}

/// An asset's name as a file name: no folders, nothing hidden.
fn safe_name(name: &str) -> Result<&str, ReleaseError> {
    if name.is_empty()
        || name.starts_with('.')
        || name.contains(['/', '\\', '\0'])
        || name.chars().any(char::is_control)
    {
        return Err(ReleaseError::Archive {
            archive: printable(name),
            reason: "the feed names it with a path".into(),
        });
    }
    Ok(name)
}

/// Checks `archive` against the `SHA256SUMS` file `sums`: its line for the archive's name must
/// give the archive's SHA-256.
pub fn verify_checksum(archive: &Path, sums: &Path, version: &str) -> Result<(), ReleaseError> {
    let name = file_name(archive);
    let text = std::fs::read_to_string(sums).map_err(|err| ReleaseError::Download {
        what: SUMS.into(),
        reason: err.to_string(),
    })?;
    let expected = match self_update::Checksum::from_sums_file(&text, &name) {
        Ok(self_update::Checksum::Sha256(hex)) => hex.to_ascii_lowercase(),
        _ => {
            return Err(ReleaseError::NotInSums {
                version: version.to_string(),
                archive: name,
            });
        }
    };
    let actual = sha256_file(archive).map_err(|err| ReleaseError::Io(err.to_string()))?;
    if actual != expected {
        return Err(ReleaseError::Checksum {
            archive: name,
            expected,
            actual,
        });
    }
    Ok(())
}

/// Checks the zipsign signature of `archive` (bound to its file name) against `key`.
pub fn verify_signature(archive: &Path, key: [u8; 32]) -> Result<(), ReleaseError> {
    self_update::verify_signature(archive, &[key]).map_err(|err| {
        let mut reason = err.to_string();
        let mut source = std::error::Error::source(&err);
        while let Some(inner) = source {
            reason.push_str(": ");
            reason.push_str(&inner.to_string());
            source = inner.source();
        }
        ReleaseError::Signature {
            archive: file_name(archive),
            reason,
        }
    })
}

/// Extracts the `stagehand` binary of `version` for `target` from a checked `archive` into
/// `dir`, returning its path.
pub fn extract_binary(
    archive: &Path,
    version: &str,
    target: &str,
    dir: &Path,
) -> Result<PathBuf, ReleaseError> {
    let inside = PathBuf::from(format!("stagehand-{version}-{target}")).join("stagehand");
    self_update::Extract::from_source(archive)
        .archive(self_update::ArchiveKind::Tar(Some(
            self_update::Compression::Gz,
        )))
        .extract_file(dir, &inside)
        .map_err(|err| ReleaseError::Archive {
            archive: file_name(archive),
            reason: err.to_string(),
        })?;
    let path = dir.join(&inside);
    if !path.is_file() {
        return Err(ReleaseError::Archive {
            archive: file_name(archive),
            reason: format!("{} is missing", inside.display()),
        });
    }
    Ok(path)
}

/// Outside text as it may be printed: control characters escaped, so a feed cannot move the
/// cursor or rewrite the terminal.
pub fn printable(text: &str) -> String {
    text.chars()
        .map(|c| {
            if c.is_control() {
                c.escape_debug().to_string()
            } else {
                c.to_string()
            }
        })
        .collect()
}

fn file_name(path: &Path) -> String {
    path.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default()
}

/// The SHA-256 of a file, in lowercase hex.
pub fn sha256_file(path: &Path) -> std::io::Result<String> {
    use std::io::Read as _;
    let mut file = std::fs::File::open(path)?;
    let mut hasher = sha2::Sha256::new();
    let mut buf = vec![0u8; 64 * 1024];
    loop {
        match file.read(&mut buf)? {
            0 => break,
            n => hasher.update(&buf[..n]),
        }
    }
    Ok(hex(&hasher.finalize()))
}

pub fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write as _;
    bytes.iter().fold(String::new(), |mut s, b| {
        let _ = write!(s, "{b:02x}");
        s
    })
}

fn decode_hex<const N: usize>(text: &str) -> Option<[u8; N]> {
    if text.len() != N * 2 {
        return None;
    }
    let mut out = [0u8; N];
    for (i, byte) in out.iter_mut().enumerate() {
        *byte = u8::from_str_radix(text.get(i * 2..i * 2 + 2)?, 16).ok()?;
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn release(version: &str, assets: &[&str]) -> Release {
        let mut builder = Release::builder();
        builder
            .version(version)
            .name(format!("v{version}"))
            .date("2026-01-01");
        for name in assets {
            builder.asset(ReleaseAsset::new(*name, format!("http://x/{name}")));
        }
        builder.build().unwrap()
    }

    #[test]
    fn the_newest_release_decides_and_a_downgrade_is_never_offered() {
        let target = "x86_64-unknown-linux-gnu";
        let full = |v: &str| release(v, &[&archive_name(v, target), SUMS]);
        let list = [
            full("0.1.0"),
            full("0.3.0"),
            full("0.4.0-rc.1"),
            full("0.2.0"),
        ];
        match compare(newest(&list).unwrap(), "0.1.0", target).unwrap() {
            Look::Newer(offer) => {
                assert_eq!(offer.version, "0.3.0");
                assert_eq!(offer.archive.name(), archive_name("0.3.0", target));
            }
            other => panic!("{other:?}"),
        }
        assert!(matches!(
            compare(&full("0.1.0"), "0.1.0", target).unwrap(),
            Look::UpToDate { .. }
        ));
        assert!(matches!(
            compare(&full("0.0.9"), "0.1.0", target).unwrap(),
            Look::Older { .. }
        ));
        let other_target = release(
            "0.2.0",
            &[&archive_name("0.2.0", "aarch64-apple-darwin"), SUMS],
        );
        assert!(matches!(
            compare(&other_target, "0.1.0", target),
            Err(ReleaseError::NoAsset { .. })
        ));
        let no_sums = release("0.2.0", &[&archive_name("0.2.0", target)]);
        assert!(matches!(
            compare(&no_sums, "0.1.0", target),
            Err(ReleaseError::NoSums { .. })
        ));
    }

    #[test]
    fn asset_names_with_paths_are_refused() {
        for bad in ["", "../stagehand", "a/b", ".hidden", "x\u{7}"] {
            assert!(safe_name(bad).is_err(), "{bad:?}");
        }
        assert_eq!(safe_name("SHA256SUMS").unwrap(), "SHA256SUMS");
    }

    #[test]
    fn repositories_are_owner_slash_name() {
        let client = Arc::new(http::Client::new(None).unwrap());
        assert!(Feed::new("https://api.github.com", "a/b", client.clone()).is_ok());
        for bad in ["ab", "/b", "a/", "a/b/c", "a b/c"] {
            assert!(
                Feed::new("https://api.github.com", bad, client.clone()).is_err(),
                "{bad}"
            );
        }
    }

    #[test]
    fn hex_round_trips() {
        let key = [0xabu8; 32];
        assert_eq!(decode_hex::<32>(&hex(&key)), Some(key));
        assert_eq!(decode_hex::<32>("zz"), None);
    }
}
