//! The accept loops: HTTPS (TLS handshake, then HTTP/1.1 or HTTP/2 by ALPN) and the optional
//! plain-HTTP redirect, with connection limits, timeouts and graceful shutdown.

use std::convert::Infallible;
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use hyper::header::{self, HeaderValue};
use hyper::service::service_fn;
use hyper::{Response, StatusCode};
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::conn::auto;
use hyper_util::server::graceful::GracefulShutdown;
use tokio::net::TcpListener;
use tokio::sync::Semaphore;

use super::Metrics;
use super::pages::{self, Body};
use crate::clock::Clock;
use crate::config::Settings;
use crate::store::Store;

/// What every request handler can reach.
pub struct State {
    pub store: Arc<Store>,
    /// The settings at start-up (listeners, limits).
    pub settings: Arc<Settings>,
    /// The settings as saved since (the setup page may have added osu! credentials).
    pub saved_settings: tokio::sync::watch::Receiver<Arc<Settings>>,
    /// Where a completed sign-in queues its Discord changes.
    pub outbox: crate::outbox::Outbox,
    pub clock: Clock,
    /// The app's osu! client, shared with the sync job and the Discord handlers.
    pub osu: crate::osu::Shared,
    pub metrics: Metrics,
    /// The port the HTTPS listener actually bound (differs from the setting when that is 0).
    pub https_port: u16,
    /// Called after the setup page saved settings, so the rest of the app can pick them up.
    pub on_settings_saved: Box<dyn Fn() + Send + Sync>,
}

impl State {
    /// The settings in force now.
    pub fn settings_now(&self) -> Arc<Settings> {
        self.saved_settings.borrow().clone()
    }
}

/// Bound sockets, made before serving so start-up errors surface early.
pub struct Listeners {
    pub https: TcpListener,
    pub redirect: Option<TcpListener>,
}

/// How long in-flight requests may take to finish once shutdown starts.
const DRAIN: Duration = Duration::from_secs(3);

/// Serves until `shutdown` resolves, then drains in-flight requests for at most 3 s (`DRAIN`).
pub async fn serve(
    state: Arc<State>,
    listeners: Listeners,
    tls: Arc<rustls::ServerConfig>,
    shutdown: impl Future<Output = ()>,
) {
    let graceful = GracefulShutdown::new();
    let timeout = Duration::from_secs(state.settings.http_header_timeout_secs);
    let mut builder = auto::Builder::new(TokioExecutor::new());
    builder
        .http1()
        .timer(TokioTimer::new())
        .header_read_timeout(timeout)
        .max_buf_size(64 * 1024);
    builder
        .http2()
        .timer(TokioTimer::new())
        .keep_alive_interval(Duration::from_secs(30))
        .keep_alive_timeout(Duration::from_secs(20))
        .max_concurrent_streams(64)
        .max_header_list_size(64 * 1024);
    let acceptor = tokio_rustls::TlsAcceptor::from(tls);
    let limit = Arc::new(Semaphore::new(
        usize::try_from(state.settings.http_max_connections).unwrap_or(512),
    ));

    let redirect = listeners
        .redirect
        .map(|listener| tokio::spawn(redirect_loop(listener, state.clone())));
    tokio::pin!(shutdown);
    loop {
        let permit = tokio::select! {
            permit = limit.clone().acquire_owned() => match permit { Ok(p) => p, Err(_) => break },
            () = &mut shutdown => break,
        };
        let accepted = tokio::select! {
            accepted = listeners.https.accept() => accepted,
            () = &mut shutdown => break,
        };
        let (tcp, _) = match accepted {
            Ok(pair) => pair,
            Err(err) => {
                // Out of file descriptors and similar: back off instead of spinning.
                tracing::warn!(error = %err, "accept failed");
                tokio::time::sleep(Duration::from_millis(50)).await;
                continue;
            }
        };
        let (acceptor, builder, state, watcher) = (
            acceptor.clone(),
            builder.clone(),
            state.clone(),
            graceful.watcher(),
        );
        tokio::spawn(async move {
            let _permit = permit;
            let Ok(Ok(stream)) = tokio::time::timeout(timeout, acceptor.accept(tcp)).await else {
                return;
            };
            let service = service_fn(move |req| {
                let state = state.clone();
                async move { Ok::<_, Infallible>(super::endpoints::handle(req, state).await) }
            });
            let connection = builder
                .serve_connection(TokioIo::new(stream), service)
                .into_owned();
            if let Err(err) = watcher.watch(connection).await {
                tracing::debug!(error = %err, "connection ended with an error");
            }
        });
    }
    drop(listeners.https);
    if let Some(task) = redirect {
        task.abort();
    }
    if tokio::time::timeout(DRAIN, graceful.shutdown())
        .await
        .is_err()
    {
        tracing::warn!("some requests were still running after {DRAIN:?}; closing them");
    }
}

/// Answers every plain-HTTP request with a permanent redirect to the same path over HTTPS.
async fn redirect_loop(listener: TcpListener, state: Arc<State>) {
    let timeout = Duration::from_secs(state.settings.http_header_timeout_secs);
    loop {
        let Ok((tcp, _)) = listener.accept().await else {
            tokio::time::sleep(Duration::from_millis(50)).await;
            continue;
        };
        let state = state.clone();
        tokio::spawn(async move {
            let service = service_fn(move |req: hyper::Request<hyper::body::Incoming>| {
                let state = state.clone();
                async move {
                    let response = redirect_response(&req, &state);
                    state.metrics.record("redirect", response.status().as_u16());
                    Ok::<_, Infallible>(response)
                }
            });
            let _ = hyper::server::conn::http1::Builder::new()
                .timer(TokioTimer::new())
                .header_read_timeout(timeout)
                .serve_connection(TokioIo::new(tcp), service)
                .await;
        });
    }
}

fn redirect_response(req: &hyper::Request<hyper::body::Incoming>, state: &State) -> Response<Body> {
    let path = req.uri().path_and_query().map_or("/", |p| p.as_str());
    let base = match &state.settings.public_url {
        Some(url) => url.as_str().to_string(),
        None => {
            let host = req
                .headers()
                .get(header::HOST)
                .and_then(|h| h.to_str().ok())
                .unwrap_or("localhost");
            let host = match host.rsplit_once(':') {
                Some((name, port)) if port.bytes().all(|b| b.is_ascii_digit()) => name,
                _ => host,
            };
            format!("https://{host}:{}", state.https_port)
        }
    };
    let mut response = pages::bytes(
        StatusCode::PERMANENT_REDIRECT,
        "text/plain; charset=utf-8",
        "Use HTTPS.\n",
    );
    match HeaderValue::from_str(&format!("{base}{path}")) {
        Ok(location) => {
            response.headers_mut().insert(header::LOCATION, location);
            response
        }
        Err(_) => pages::bytes(
            StatusCode::BAD_REQUEST,
            "text/plain; charset=utf-8",
            "Bad Host header.\n",
        ),
    }
}
