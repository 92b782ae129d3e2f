//! Wires the parts together: the store, settings, the HTTPS server and the admin socket, for
//! `serve`; and the reports behind `check`.

use crate::store::Read as _;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::Context as _;

use crate::clock::Clock;
use crate::config::{Layers, Settings, Sources};
use crate::store::{OpenError, SnapshotInfo, Store, StoreOptions, tables};
use crate::web;

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
        Some(store) => store.read(|r| r.all(&tables::SETTINGS))?,
        None => Vec::new(),
    };
    let sources = Sources {
        database,
        file: paths.config_file()?,
        env: std::env::vars().collect(),
    };
    Ok(Layers::collect(&sources))
}

/// Opens the store for a command, creating the data directory (owner-only) on first use.
pub fn open_store(paths: &Paths, cache_mb: u32) -> Result<Store, OpenError> {
    if !paths.data_dir.exists() {
        use std::os::unix::fs::DirBuilderExt as _;
        std::fs::DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(&paths.data_dir)
            .map_err(|e| OpenError::Io {
                path: paths.data_dir.clone(),
                detail: e.to_string(),
            })?;
    }
    Store::open(
        &paths.store(),
        &StoreOptions {
            cache_bytes: usize::try_from(cache_mb).unwrap_or(16) << 20,
        },
    )
}

/// Settings from every source, or an error listing every problem.
fn settings(paths: &Paths, store: &Store) -> anyhow::Result<Settings> {
    layers(paths, Some(store))?.settings().map_err(|problems| {
        let list: Vec<String> = problems.iter().map(|p| format!("  - {p}")).collect();
        anyhow::anyhow!("the settings have problems:\n{}", list.join("\n"))
    })
}

/// `stagehand serve`: runs until SIGTERM or Ctrl-C.
pub async fn serve(paths: Paths) -> anyhow::Result<()> {
    let shutdown = shutdown_signal()?;
    let pre = layers(&paths, None)?.settings().ok();
    let store = Arc::new(open_store(
        &paths,
        pre.as_ref().map_or(16, |s| s.store_cache_mb),
    )?);
    let settings = Arc::new(settings(&paths, &store)?);
    init_logging(&settings.log_filter);
    if store.was_repaired() {
        tracing::warn!("the store was not closed cleanly last time and has been repaired");
    }
    let tls = web::tls::server_config(&settings, &store)?;
    let bind = |port: u16| {
        let addr = std::net::SocketAddr::new(settings.http_bind, port);
        std::net::TcpListener::bind(addr)
            .and_then(|l| l.set_nonblocking(true).map(|()| l))
            .and_then(tokio::net::TcpListener::from_std)
            .with_context(|| format!("cannot listen on {addr} (change http.bind / http.port)"))
    };
    let https = bind(settings.http_port)?;
    let redirect = settings.http_redirect_port.map(bind).transpose()?;
    let https_port = https.local_addr()?.port();
    let admin = crate::admin::bind(&paths.admin_socket())?;

    let clock = Clock::from_env().map_err(anyhow::Error::msg)?;
    if !web::setup::is_complete(&store)? {
        let token = web::setup::issue(&store, clock.now())?;
        println!(
            "Open this link to set up Stagehand (it works once, for 30 minutes):\n  {}/setup/{token}",
            settings.base_url(https_port)
        );
        println!("From another machine, use this machine's address instead of localhost.");
    }
    println!(
        "Stagehand {} is listening on https://{}:{https_port}",
        env!("CARGO_PKG_VERSION"),
        settings.http_bind
    );
    tracing::info!(port = https_port, "serving");

    let admin_task = tokio::spawn(crate::admin::serve(
        admin,
        Arc::new(crate::admin::Admin {
            store: store.clone(),
            settings: settings.clone(),
            paths: paths.clone(),
            clock: clock.clone(),
        }),
    ));
    let (settings_tx, settings_rx) = tokio::sync::watch::channel(settings.clone());
    let saved_settings = settings_rx.clone();
    let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
    let outbox = crate::discord::Outbox::new(store.clone());
    let osu = crate::osu::Shared::default();
    let scheduler = tokio::spawn(
        crate::schedule::Scheduler {
            store: store.clone(),
            settings: settings_rx.clone(),
            clock: clock.clone(),
            osu: osu.clone(),
            backups: paths.backups(),
        }
        .run(),
    );
    let discord = tokio::spawn(crate::discord::supervise(
        store.clone(),
        outbox.clone(),
        clock.clone(),
        osu.clone(),
        https_port,
        settings_rx,
        stop_rx,
    ));
    let reload = {
        let (paths, store) = (paths.clone(), store.clone());
        move || match self::settings(&paths, &store) {
            Ok(fresh) => {
                settings_tx.send_replace(Arc::new(fresh));
            }
            Err(err) => {
                tracing::warn!(error = %format!("{err:#}"), "the saved settings do not load")
            }
        }
    };
    let state = Arc::new(web::State {
        store: store.clone(),
        settings: settings.clone(),
        saved_settings: saved_settings.clone(),
        outbox: outbox.clone(),
        clock,
        osu,
        metrics: web::Metrics::default(),
        https_port,
        on_settings_saved: Box::new(reload),
    });
    web::serve(state, web::Listeners { https, redirect }, tls, shutdown).await;
    let _ = stop_tx.send(true);
    if tokio::time::timeout(std::time::Duration::from_secs(2), discord)
        .await
        .is_err()
    {
        tracing::warn!("the Discord client did not stop in time");
    }
    admin_task.abort();
    scheduler.abort();
    let _ = std::fs::remove_file(paths.admin_socket());
    tracing::info!("stopped");
    Ok(())
}

/// Resolves on SIGTERM or Ctrl-C. The handlers are installed when this is called, not when the
/// future is first polled, so a signal sent right after start-up is never lost.
fn shutdown_signal() -> anyhow::Result<impl std::future::Future<Output = ()>> {
    use tokio::signal::unix::{SignalKind, signal};
    let mut term = signal(SignalKind::terminate()).context("listening for SIGTERM")?;
    let mut interrupt = signal(SignalKind::interrupt()).context("listening for SIGINT")?;
    Ok(async move {
        tokio::select! {
            _ = term.recv() => {}
            _ = interrupt.recv() => {}
        }
        tracing::info!("shutting down");
    })
}

fn init_logging(filter: &str) {
    let ansi = std::io::IsTerminal::is_terminal(&std::io::stderr());
    let _ = tracing::subscriber::set_global_default(subscriber(filter, ansi, std::io::stderr));
}

/// The log: events that pass `filter` (tracing's syntax; `info` when it does not parse), written
/// by `writer`, without serenity's spans ([`crate::discord::is_serenity_span`]).
pub(crate) fn subscriber<W>(
    filter: &str,
    ansi: bool,
    writer: W,
) -> impl tracing::Subscriber + Send + Sync
where
    W: for<'w> tracing_subscriber::fmt::MakeWriter<'w> + Send + Sync + 'static,
{
    use tracing_subscriber::Layer as _;
    use tracing_subscriber::filter::{FilterExt as _, filter_fn};
    use tracing_subscriber::layer::SubscriberExt as _;

    let filter = tracing_subscriber::EnvFilter::try_new(filter).unwrap_or_else(|_| "info".into());
    let layer = tracing_subscriber::fmt::layer()
        .with_ansi(ansi)
        .with_writer(writer)
        .with_filter(filter.and(filter_fn(|meta| !crate::discord::is_serenity_span(meta))));
    tracing_subscriber::registry().with(layer)
}

/// One line about a written snapshot.
pub fn describe_snapshot(path: &Path, info: &SnapshotInfo) -> String {
    format!(
        "snapshot written to {} ({} entries in {} tables, {} KiB, schema {})",
        path.display(),
        info.entries,
        info.tables,
        info.bytes.div_ceil(1024),
        info.schema
    )
}

/// What `stagehand check` prints, and how many problems it found.
pub struct Report {
    pub lines: Vec<String>,
    pub problems: usize,
}

/// Checks the store (when open) and every setting. `store` is `None` when it could not be opened
/// because it does not exist yet.
pub fn check_report(paths: &Paths, store: Option<&Store>) -> Report {
    let mut lines = vec![
        format!("Stagehand {}", env!("CARGO_PKG_VERSION")),
        format!("data directory: {}", paths.data_dir.display()),
    ];
    let mut problems = Vec::new();
    match store {
        Some(store) => {
            match store.read(|r| {
                Ok((
                    r.get(&tables::META, tables::meta::SCHEMA)?,
                    r.get(&tables::META, tables::meta::SETUP_COMPLETED_AT)?,
                ))
            }) {
                Ok((schema, completed)) => {
                    lines.push(format!(
                        "store: {} (schema {}, {} KiB)",
                        store.path().display(),
                        schema.unwrap_or(0),
                        store.file_size().div_ceil(1024)
                    ));
                    lines.push(
                        match completed
                            .and_then(|t| jiff::Timestamp::from_second(i64::try_from(t).ok()?).ok())
                        {
                            Some(at) => format!("setup: complete (since {at})"),
                            None => {
                                "setup: pending (run `stagehand serve` and open the link it prints)"
                                    .to_string()
                            }
                        },
                    );
                }
                Err(err) => problems.push(format!("store: cannot be read: {err}")),
            }
        }
        None => lines.push(format!(
            "store: {} does not exist yet (`stagehand serve` creates it)",
            paths.store().display()
        )),
    }
    match layers(paths, store) {
        Ok(layers) => {
            lines.push("settings:".into());
            let effective = layers.effective();
            let width = effective
                .iter()
                .map(|(spec, _, _)| spec.key.len())
                .max()
                .unwrap_or(0);
            for (spec, value, source) in effective {
                let value = if value.is_empty() {
                    "(not set)".to_string()
                } else {
                    value
                };
                lines.push(format!("  {:width$} = {value}  [{source}]", spec.key));
            }
            match layers.settings() {
                Ok(settings) => problems.extend(readiness(&settings, store)),
                Err(found) => problems.extend(found.iter().map(ToString::to_string)),
            }
        }
        Err(err) => problems.push(format!("{err:#}")),
    }
    if problems.is_empty() {
        lines.push("no problems found".into());
    } else {
        lines.push(format!("{} problem(s):", problems.len()));
        lines.extend(problems.iter().map(|p| format!("  - {p}")));
    }
    Report {
        lines,
        problems: problems.len(),
    }
}

/// Problems with settings that are each valid but do not fit together with the setup state.
fn readiness(settings: &Settings, store: Option<&Store>) -> Vec<String> {
    let complete = store.is_some_and(|s| web::setup::is_complete(s).unwrap_or(false));
    let mut problems = Vec::new();
    let wants_discord = complete || settings.modules_league || settings.modules_requests;
    let has_discord = settings.discord_token.is_some()
        && settings.discord_application_id.is_some()
        && settings.discord_guild_id.is_some();
    if wants_discord && !has_discord {
        problems.push("discord.token, discord.application_id and discord.guild_id are needed to run any module".into());
    }
    if settings.modules_league
        && (settings.osu_client_id.is_none() || settings.osu_client_secret.is_none())
    {
        problems.push("the osu! league needs osu.client_id and osu.client_secret".into());
    }
    if settings.modules_league && settings.public_url.is_none() {
        problems.push("the osu! league needs public_url for its OAuth redirect".into());
    }
    problems
}
