//! Where Stagehand keeps its files ([`Paths`]: the data directory with the store, backups and the
//! admin socket, and the config file), and the two things every command does with them: open the
//! store ([`open_store`]) and gather the settings from every source ([`layers`]).

use std::path::{Path, PathBuf};

use anyhow::Context as _;

use crate::config::{Layers, Sources};
use crate::store::{OpenError, Store, StoreOptions};

/// Where Stagehand keeps its files.
#[derive(Clone, Debug)]
pub struct Paths {
    pub data_dir: PathBuf,
    /// `--config`; when absent, `stagehand.toml` in the working directory is read if it exists.
    pub config: Option<PathBuf>,
}

impl Paths {
    pub fn store(&self) -> PathBuf {
        self.data_dir.join("stagehand.redb")
    }

    pub fn backups(&self) -> PathBuf {
        self.data_dir.join("backups")
    }

    pub fn admin_socket(&self) -> PathBuf {
        self.data_dir.join("admin.sock")
    }

    /// The config file's path and text, if there is one to read.
    fn config_file(&self) -> anyhow::Result<Option<(PathBuf, String)>> {
        let (path, required) = match &self.config {
            Some(path) => (path.clone(), true),
            None => (PathBuf::from("stagehand.toml"), false),
        };
        match std::fs::read_to_string(&path) {
            Ok(text) => Ok(Some((path, text))),
            Err(err) if err.kind() == std::io::ErrorKind::NotFound && !required => Ok(None),
            Err(err) => {
                Err(err).with_context(|| format!("cannot read the config file {}", path.display()))
            }
        }
    }
}

/// Gathers every source of settings.
pub fn layers(paths: &Paths, store: Option<&Store>) -> anyhow::Result<Layers> {
    let database = match store {
        Some(store) => store.read(crate::config::saved)?,
        None => Vec::new(),
    };
    let sources = Sources {
        database,
        file: paths.config_file()?,
        ..Sources::default()
    }
    .with_env(std::env::vars_os());
    Ok(Layers::collect(&sources))
}

/// Opens the store for a command, creating the data directory (owner-only) on first use. Holding
/// the store, it then removes the `*.partial` files a crashed snapshot left in the backups folder.
pub fn open_store(paths: &Paths, cache_mb: u32) -> Result<Store, OpenError> {
    if !paths.data_dir.exists() {
        create_private_dir(&paths.data_dir).map_err(|e| OpenError::Io {
            path: paths.data_dir.clone(),
            detail: e.to_string(),
        })?;
    }
    let store = Store::open(
        &paths.store(),
        &StoreOptions {
            cache_bytes: usize::try_from(cache_mb).unwrap_or(16) << 20,
        },
    )?;
    match store.remove_stale_partials(&paths.backups()) {
        Ok(removed) => {
            for path in removed {
                tracing::info!(path = %path.display(), "removed an unfinished snapshot");
            }
        }
        Err(err) => tracing::warn!(error = %err, "could not remove unfinished snapshots"),
    }
    Ok(store)
}

/// Creates `dir` and any missing parents, owner-only (0700): the data directory and the backups
/// folder hold files with secrets in them.
pub fn create_private_dir(dir: &Path) -> std::io::Result<()> {
    use std::os::unix::fs::DirBuilderExt as _;
    std::fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(dir)
}
