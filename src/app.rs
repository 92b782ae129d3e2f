//! Wires the parts together for `serve`: the store, settings, logging, the HTTPS server, the
//! Discord client, the scheduler and the admin socket. The only module that knows them all.

use std::sync::Arc;

use anyhow::Context as _;

use crate::clock::Clock;
use crate::config::Settings;
use crate::paths::{Paths, layers, open_store};
use crate::store::Store;
use crate::web;

/// Settings from every source, or an error listing every problem.
fn settings(paths: &Paths, store: &Store) -> anyhow::Result<Settings> {
    layers(paths, Some(store))?.settings().map_err(|problems| {
        let list: Vec<String> = problems.iter().map(|p| format!("  - {p}")).collect();
        anyhow::anyhow!("the settings have problems:\n{}", list.join("\n"))
    })
}

/// How `serve` ended.
#[derive(Debug)]
pub enum Stopped {
    /// SIGTERM or Ctrl-C.
    Signal,
    /// `stagehand update` put a new binary at this path and asked for a restart: the caller
    /// `exec`s it with the same arguments, once everything here is closed.
    Restart(std::path::PathBuf),
}

/// `stagehand serve`: runs until SIGTERM or Ctrl-C, or a restart asked over the admin socket.
pub async fn serve(paths: Paths) -> anyhow::Result<Stopped> {
    // The binary's path now, before an update renames it away.
    let exe = std::env::current_exe().and_then(std::fs::canonicalize).ok();
    let restart = Arc::new(tokio::sync::Notify::new());
    let restarting = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let shutdown = {
        let (signal, restart, restarting) =
            (shutdown_signal()?, restart.clone(), restarting.clone());
        async move {
            tokio::select! {
                () = signal => {}
                () = restart.notified() => {
                    restarting.store(true, std::sync::atomic::Ordering::SeqCst);
                    tracing::info!("restarting into the updated binary");
                }
            }
        }
    };
    let pre = layers(&paths, None)?.settings().ok();
    let store = Arc::new(open_store(
        &paths,
        pre.as_ref().map_or(16, |s| s.store_cache_mb),
    )?);
    // Every page's checksum, before anything reads or writes: a damaged file is refused here
    // rather than met half-way through serving (about 10 ms for 150,000 rows, once per start).
    store.verify()?;
    let settings = Arc::new(settings(&paths, &store)?);
    init_logging(&settings.log_filter);
    if store.was_repaired() {
        tracing::warn!("the store was not closed cleanly last time and has been repaired");
    }
    let acme = crate::acme::Acme::load(&store, &settings)?;
    let tls = web::tls::server_config(&settings, &store, Some(acme.clone()))?;
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
    let admin = crate::ops::socket::bind(&paths.admin_socket())?;

    let clock = Clock::from_env().map_err(anyhow::Error::msg)?;
    let setup_base = format!("{}/setup/", settings.base_url(https_port));
    if !web::setup::is_complete(&store)? {
        print_setup_link(&setup_base, &web::setup::issue(&store, clock.now())?);
    }
    println!(
        "Stagehand {} is listening on https://{}:{https_port}",
        env!("CARGO_PKG_VERSION"),
        settings.http_bind
    );
    tracing::info!(port = https_port, "serving");
    let setup_link = tokio::spawn(renew_setup_link(store.clone(), clock.clone(), setup_base));

    let admin_task = tokio::spawn(crate::ops::socket::serve(
        admin,
        Arc::new(crate::ops::socket::Admin {
            store: store.clone(),
            settings: settings.clone(),
            paths: paths.clone(),
            clock: clock.clone(),
            restart: exe.clone().map(|exe| crate::ops::socket::Restart {
                exe,
                signal: restart.clone(),
            }),
            https_port,
        }),
    ));
    let (settings_tx, settings_rx) = tokio::sync::watch::channel(settings.clone());
    let saved_settings = settings_rx.clone();
    let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
    let outbox = crate::outbox::Outbox::new(store.clone());
    let pause = crate::pause::Pause::default();
    let osu = crate::osu::Shared::default();
    let scheduler = tokio::spawn(
        crate::schedule::Scheduler {
            store: store.clone(),
            settings: settings_rx.clone(),
            clock: clock.clone(),
            osu: osu.clone(),
            backups: paths.backups(),
            outbox: outbox.clone(),
            acme: acme.clone(),
            pause: pause.clone(),
        }
        .run(),
    );
    // Reads the settings again: after the setup page saved some, and after `/backup load` put
    // another store in place.
    let reload: Arc<dyn Fn() + Send + Sync> = {
        let (paths, store) = (paths.clone(), store.clone());
        Arc::new(move || match self::settings(&paths, &store) {
            Ok(fresh) => {
                settings_tx.send_replace(Arc::new(fresh));
            }
            Err(err) => {
                tracing::warn!(error = ?format!("{err:#}"), "the saved settings do not load")
            }
        })
    };
    let backups = {
        let reload = reload.clone();
        crate::ops::backup::Service {
            store: store.clone(),
            backups: paths.backups(),
            settings: settings_rx.clone(),
            pause: pause.clone(),
            outbox: outbox.clone(),
            clock: clock.clone(),
            on_loaded: Box::new(move || reload()),
            loading: tokio::sync::Mutex::new(()),
        }
    };
    let discord = tokio::spawn(crate::discord::supervise(
        crate::discord::Shared {
            store: store.clone(),
            outbox: outbox.clone(),
            clock: clock.clone(),
            https_port,
            pause: pause.clone(),
            backups: Arc::new(backups),
        },
        osu.clone(),
        settings_rx,
        stop_rx,
    ));
    let state = Arc::new(web::State {
        store: store.clone(),
        settings: settings.clone(),
        saved_settings: saved_settings.clone(),
        outbox: outbox.clone(),
        clock,
        osu,
        metrics: web::Metrics::default(),
        https_port,
        acme: settings.tls_acme.then_some(acme),
        on_settings_saved: Box::new(move || reload()),
        gd: Arc::new(crate::gd::Client::new(&settings.gd_base_url.0)),
        pause: pause.clone(),
        throttle: web::control_panel::Throttle::default(),
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
    setup_link.abort();
    let _ = std::fs::remove_file(paths.admin_socket());
    tracing::info!("stopped");
    match exe {
        Some(exe) if restarting.load(std::sync::atomic::Ordering::SeqCst) => {
            Ok(Stopped::Restart(exe))
        }
        _ => Ok(Stopped::Signal),
    }
}

/// Prints the setup link `<base><token>` to standard output, for the person running Stagehand;
/// the log (tracing) never carries the token.
fn print_setup_link(base: &str, token: &str) {
    println!(
        "Open this link to set up Stagehand (it works once, for {} minutes):\n  {base}{token}",
        web::setup::TOKEN_LIFETIME_SECS / 60
    );
    println!("From another machine, use this machine's address instead of localhost.");
}

/// How often a pending setup's link is looked at: its expiry (the token's own, in the store) is
/// noticed within this, on a system clock or a manual one that jumps.
const SETUP_LINK_TICK: std::time::Duration = std::time::Duration::from_secs(1);

/// Until setup is done: when the setup link expires, issues a fresh one (the old one dies) and
/// prints it as start-up did, so nobody has to restart `serve` for a working link.
async fn renew_setup_link(store: Arc<Store>, clock: Clock, base: String) {
    loop {
        tokio::time::sleep(SETUP_LINK_TICK).await;
        match web::setup::renew_if_expired(&store, clock.now()) {
            Ok(web::setup::Renewal::Complete) => return,
            Ok(web::setup::Renewal::Valid) => {}
            Ok(web::setup::Renewal::Renewed(token)) => {
                tracing::info!("the setup link expired; printed a fresh one");
                print_setup_link(&base, &token);
            }
            Err(err) => tracing::error!(error = %err, "cannot renew the setup link"),
        }
    }
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
