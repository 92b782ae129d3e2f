//! The accept loops: HTTPS (TLS handshake, then HTTP/1.1 or HTTP/2 by ALPN) and the optional
//! plain-HTTP redirect, with connection limits, the idle timeout and graceful shutdown.
//!
//! A connection with no request in progress (in its TLS handshake, before its first request or
//! between two, sending headers) is idle. An idle connection is closed after
//! `http.header_timeout_secs`, counted from when it was accepted or its last request ended; when
//! `http.max_connections` are open, a new connection takes the place of the one idle longest
//! (only when every connection has a request in progress does it wait). One client address (an
//! IPv6 /64) holds at most `http.max_connections_per_client` connections; more are closed at once.

use std::collections::{BTreeMap, HashMap};
use std::convert::Infallible;
use std::future::Future;
use std::net::{IpAddr, Ipv6Addr, SocketAddr};
use std::pin::{Pin, pin};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use hyper::header::{self, HeaderValue};
use hyper::service::service_fn;
use hyper::{Response, StatusCode};
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::conn::auto;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{Notify, mpsc, watch};
use tokio::time::Instant;

use super::Metrics;
use super::pages::{self, Body};
use crate::clock::Clock;
use crate::config::{BaseUrl, Settings};
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
    /// The certificate from the ACME CA and its challenge answers, with `tls.acme`.
    pub acme: Option<Arc<crate::acme::Acme>>,
    /// Called after the setup page saved settings, so the rest of the app can pick them up.
    pub on_settings_saved: Box<dyn Fn() + Send + Sync>,
    /// The Geometry Dash server, for requests made through the Control Panel API.
    pub gd: Arc<crate::gd::Client>,
    /// Held by each Control Panel call, so a snapshot loaded from Discord waits for it.
    pub pause: crate::pause::Pause,
    /// Wrong Control Panel keys by client.
    pub throttle: super::control_panel::Throttle,
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
    let limits = Limits::from(&*state.settings);
    let mut builder = auto::Builder::new(TokioExecutor::new());
    builder
        .http1()
        .timer(TokioTimer::new())
        .header_read_timeout(limits.idle)
        .max_buf_size(64 * 1024);
    builder
        .http2()
        .timer(TokioTimer::new())
        .keep_alive_interval(Duration::from_secs(30))
        .keep_alive_timeout(Duration::from_secs(20))
        .max_concurrent_streams(64)
        .max_header_list_size(64 * 1024);
    let acceptor = tokio_rustls::TlsAcceptor::from(tls);
    // `stop` tells every loop and connection to finish; each connection task holds an `alive`
    // sender, so `drained` reports when the last one has ended.
    let (stop_tx, stop) = watch::channel(false);
    let (alive, mut drained) = mpsc::channel::<()>(1);

    let https = {
        let state = state.clone();
        tokio::spawn(accept_loop(
            listeners.https,
            Slots::new(limits),
            stop.clone(),
            alive.clone(),
            move |tcp, slot, stop| {
                let (acceptor, builder, state) = (acceptor.clone(), builder.clone(), state.clone());
                serve_https(tcp, slot, stop, acceptor, builder, state)
            },
        ))
    };
    let redirect = listeners.redirect.map(|listener| {
        tokio::spawn(accept_loop(
            listener,
            Slots::new(limits),
            stop.clone(),
            alive.clone(),
            move |tcp, slot, stop| serve_redirect(tcp, slot, stop, state.clone()),
        ))
    });
    shutdown.await;
    let _ = stop_tx.send(true);
    // The loops return at once, closing the listeners.
    let _ = https.await;
    if let Some(task) = redirect {
        let _ = task.await;
    }
    drop(alive);
    if tokio::time::timeout(DRAIN, drained.recv()).await.is_err() {
        tracing::warn!("some requests were still running after {DRAIN:?}; closing them");
    }
}

/// Accepts connections while there is room for one, admits each to `slots` (or closes it) and
/// runs `serve` on it in a task of its own, until `stop`.
async fn accept_loop<F, Fut>(
    listener: TcpListener,
    slots: Arc<Slots>,
    mut stop: watch::Receiver<bool>,
    alive: mpsc::Sender<()>,
    serve: F,
) where
    F: Fn(TcpStream, Arc<Slot>, watch::Receiver<bool>) -> Fut,
    Fut: Future<Output = ()> + Send + 'static,
{
    loop {
        let accepted = tokio::select! {
            accepted = async {
                slots.room().await;
                listener.accept().await
            } => accepted,
            _ = stop.changed() => return,
        };
        let (tcp, peer) = match accepted {
            Ok(pair) => pair,
            Err(err) => {
                // Out of file descriptors and similar: back off instead of spinning.
                tracing::warn!(error = %err, "accept failed");
                tokio::time::sleep(Duration::from_millis(50)).await;
                continue;
            }
        };
        let slot = match slots.admit(peer.ip()) {
            Ok(slot) => Arc::new(slot),
            Err(refused) => {
                tracing::debug!(client = %peer.ip(), "connection refused: {refused}");
                continue;
            }
        };
        let (connection, alive) = (serve(tcp, slot, stop.clone()), alive.clone());
        tokio::spawn(async move {
            connection.await;
            drop(alive);
        });
    }
}

/// One HTTPS connection: the TLS handshake, then HTTP/1.1 or HTTP/2.
async fn serve_https(
    tcp: TcpStream,
    slot: Arc<Slot>,
    mut stop: watch::Receiver<bool>,
    acceptor: tokio_rustls::TlsAcceptor,
    builder: auto::Builder<TokioExecutor>,
    state: Arc<State>,
) {
    let client = tcp.peer_addr().ok().map(|peer| peer.ip());
    let handshake = pin!(acceptor.accept(tcp));
    let Ok(Ok(stream)) = slot.watch(handshake, &mut stop).await else {
        return;
    };
    // The ACME CA's TLS-ALPN-01 check ends with the handshake (RFC 8737).
    if stream.get_ref().1.alpn_protocol() == Some(super::tls::ACME_TLS_ALPN) {
        return;
    }
    let service = {
        let slot = slot.clone();
        service_fn(move |req| {
            let (state, busy) = (state.clone(), slot.busy());
            async move {
                let response = super::endpoints::handle(req, client, state).await;
                drop(busy);
                Ok::<_, Infallible>(response)
            }
        })
    };
    let connection = pin!(builder.serve_connection(TokioIo::new(stream), service));
    slot.run(connection, |c| c.graceful_shutdown(), &mut stop)
        .await;
}

/// One plain-HTTP connection of the redirect port.
async fn serve_redirect(
    tcp: TcpStream,
    slot: Arc<Slot>,
    mut stop: watch::Receiver<bool>,
    state: Arc<State>,
) {
    let Ok(local) = tcp.local_addr() else {
        return;
    };
    let service = {
        let slot = slot.clone();
        service_fn(move |req: hyper::Request<hyper::body::Incoming>| {
            let (state, busy) = (state.clone(), slot.busy());
            async move {
                let response = match acme_answer(&req, &state) {
                    Some(answer) => answer,
                    None => redirect_response(&req, &state, local),
                };
                state.metrics.record("redirect", response.status().as_u16());
                drop(busy);
                Ok::<_, Infallible>(response)
            }
        })
    };
    let connection = hyper::server::conn::http1::Builder::new()
        .timer(TokioTimer::new())
        .header_read_timeout(slot.slots.limits.idle)
        .serve_connection(TokioIo::new(tcp), service);
    slot.run(pin!(connection), |c| c.graceful_shutdown(), &mut stop)
        .await;
}

/// The answer to the ACME CA's HTTP-01 check, `GET /.well-known/acme-challenge/<token>`, while
/// an order waits for it (RFC 8555 §8.3); `None` for any other request.
fn acme_answer(
    req: &hyper::Request<hyper::body::Incoming>,
    state: &State,
) -> Option<Response<Body>> {
    let token = req
        .uri()
        .path()
        .strip_prefix("/.well-known/acme-challenge/")?;
    let acme = state.acme.as_ref()?;
    let answer = match acme.http_answer(token) {
        Some(key_authorization) => pages::bytes(
            StatusCode::OK,
            "application/octet-stream",
            key_authorization,
        ),
        None => pages::bytes(
            StatusCode::NOT_FOUND,
            "text/plain; charset=utf-8",
            "Not found.\n",
        ),
    };
    Some(answer)
}

/// A permanent redirect to the same path over HTTPS, at `public_url` or else at the address the
/// request arrived on: never at its `Host` header, which the client chooses.
fn redirect_response(
    req: &hyper::Request<hyper::body::Incoming>,
    state: &State,
    local: SocketAddr,
) -> Response<Body> {
    let location = redirect_location(
        state.settings.public_url.as_ref(),
        local.ip(),
        state.https_port,
        req.uri().path_and_query().map(|p| p.as_str()),
    );
    let mut response = pages::bytes(
        StatusCode::PERMANENT_REDIRECT,
        "text/plain; charset=utf-8",
        "Use HTTPS.\n",
    );
    match HeaderValue::from_str(&location) {
        Ok(location) => {
            response.headers_mut().insert(header::LOCATION, location);
            response
        }
        Err(_) => pages::bytes(
            StatusCode::BAD_REQUEST,
            "text/plain; charset=utf-8",
            "Bad request.\n",
        ),
    }
}

/// Where the redirect port sends a request for `path`: under `public_url` when set, otherwise
/// to the HTTPS port of the server's own address `local`.
fn redirect_location(
    public_url: Option<&BaseUrl>,
    local: IpAddr,
    https_port: u16,
    path: Option<&str>,
) -> String {
    // Origin-form only: `*` (OPTIONS) or an authority (CONNECT) go to the root.
    let path = path.filter(|p| p.starts_with('/')).unwrap_or("/");
    match (public_url, local.to_canonical()) {
        (Some(url), _) => format!("{}{path}", url.as_str()),
        (None, IpAddr::V4(ip)) => format!("https://{ip}:{https_port}{path}"),
        (None, IpAddr::V6(ip)) => format!("https://[{ip}]:{https_port}{path}"),
    }
}

/// The connection limits of one listener, from the settings.
#[derive(Clone, Copy, Debug)]
struct Limits {
    /// `http.max_connections`.
    max: usize,
    /// `http.max_connections_per_client`.
    per_client: usize,
    /// `http.header_timeout_secs`: how long a connection may stay idle.
    idle: Duration,
}

impl From<&Settings> for Limits {
    fn from(settings: &Settings) -> Limits {
        Limits {
            max: usize::try_from(settings.http_max_connections).unwrap_or(usize::MAX),
            per_client: usize::try_from(settings.http_max_connections_per_client)
                .unwrap_or(usize::MAX),
            idle: Duration::from_secs(settings.http_header_timeout_secs),
        }
    }
}

/// Why a new connection was closed at once.
#[derive(Debug, PartialEq, Eq, thiserror::Error)]
enum Refused {
    #[error("too many connections from this client")]
    Client,
    #[error("every connection has a request in progress")]
    Full,
}

/// The connections open on one listener: how many from each client, and which are idle.
struct Slots {
    limits: Limits,
    open: Mutex<Open>,
    /// Signalled when a connection ends or becomes idle: a waiting accept may go on.
    room: Notify,
}

#[derive(Default)]
struct Open {
    /// Numbers connections and the moments they become idle, in order.
    next: u64,
    connections: HashMap<u64, Connection>,
    per_client: HashMap<IpAddr, usize>,
    /// The idle connections, longest idle first (the order they became idle → their id).
    idle: BTreeMap<u64, u64>,
}

struct Connection {
    client: IpAddr,
    /// Requests in progress.
    busy: usize,
    /// When idle: its key in `Open::idle` and since when.
    idle: Option<(u64, Instant)>,
    /// Its task, woken when it is evicted or its requests start or end.
    wake: Arc<Notify>,
}

impl Open {
    fn ticket(&mut self) -> u64 {
        self.next += 1;
        self.next
    }

    /// Forgets connection `id`, returning it if it was still there.
    fn remove(&mut self, id: u64) -> Option<Connection> {
        let connection = self.connections.remove(&id)?;
        if let Some((key, _)) = connection.idle {
            self.idle.remove(&key);
        }
        if let Some(count) = self.per_client.get_mut(&connection.client) {
            *count -= 1;
            if *count == 0 {
                self.per_client.remove(&connection.client);
            }
        }
        Some(connection)
    }
}

/// What a connection's task should do now.
#[derive(Debug, PartialEq, Eq)]
enum Status {
    /// Its place went to a newer connection: close at once.
    Evicted,
    /// A request is in progress.
    Busy,
    /// No request in progress since then.
    Idle(Instant),
}

/// Why a connection was cut short.
enum Cut {
    Evicted,
    Idle,
    Stop,
}

impl Slots {
    fn new(limits: Limits) -> Arc<Slots> {
        Arc::new(Slots {
            limits,
            open: Mutex::default(),
            room: Notify::new(),
        })
    }

    fn open(&self) -> MutexGuard<'_, Open> {
        self.open.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Waits until a new connection would have a place: a free one, or an idle connection's.
    async fn room(&self) {
        loop {
            let notified = self.room.notified();
            {
                let open = self.open();
                if open.connections.len() < self.limits.max || !open.idle.is_empty() {
                    return;
                }
            }
            notified.await;
        }
    }

    /// A place for a new connection from `ip`, evicting the connection idle longest when all
    /// are taken.
    fn admit(self: &Arc<Self>, ip: IpAddr) -> Result<Slot, Refused> {
        let client = client_of(ip);
        let mut open = self.open();
        if open.per_client.get(&client).copied().unwrap_or(0) >= self.limits.per_client {
            return Err(Refused::Client);
        }
        if open.connections.len() >= self.limits.max {
            let (_, oldest) = open.idle.pop_first().ok_or(Refused::Full)?;
            if let Some(evicted) = open.remove(oldest) {
                evicted.wake.notify_one();
            }
        }
        let (id, key) = (open.ticket(), open.ticket());
        let wake = Arc::new(Notify::new());
        open.idle.insert(key, id);
        open.connections.insert(
            id,
            Connection {
                client,
                busy: 0,
                idle: Some((key, Instant::now())),
                wake: wake.clone(),
            },
        );
        *open.per_client.entry(client).or_default() += 1;
        Ok(Slot {
            slots: self.clone(),
            id,
            wake,
        })
    }
}

/// A connection's place; given back when dropped.
struct Slot {
    slots: Arc<Slots>,
    id: u64,
    wake: Arc<Notify>,
}

impl Drop for Slot {
    fn drop(&mut self) {
        let removed = self.slots.open().remove(self.id);
        if removed.is_some() {
            self.slots.room.notify_one();
        }
    }
}

/// A request in progress on a connection; it is idle again when the last one is dropped.
struct Busy(Arc<Slot>);

impl Drop for Busy {
    fn drop(&mut self) {
        let slot = &self.0;
        let mut open = slot.slots.open();
        let key = open.ticket();
        let Open {
            connections, idle, ..
        } = &mut *open;
        if let Some(connection) = connections.get_mut(&slot.id) {
            connection.busy -= 1;
            if connection.busy == 0 {
                connection.idle = Some((key, Instant::now()));
                idle.insert(key, slot.id);
                slot.slots.room.notify_one();
            }
        }
        drop(open);
        slot.wake.notify_one();
    }
}

impl Slot {
    fn status(&self) -> Status {
        match self.slots.open().connections.get(&self.id) {
            None => Status::Evicted,
            Some(Connection {
                idle: Some((_, since)),
                ..
            }) => Status::Idle(*since),
            Some(_) => Status::Busy,
        }
    }

    /// Marks a request in progress until the returned guard is dropped.
    fn busy(self: &Arc<Self>) -> Busy {
        let mut open = self.slots.open();
        let Open {
            connections, idle, ..
        } = &mut *open;
        if let Some(connection) = connections.get_mut(&self.id) {
            connection.busy += 1;
            if let Some((key, _)) = connection.idle.take() {
                idle.remove(&key);
            }
        }
        drop(open);
        self.wake.notify_one();
        Busy(self.clone())
    }

    /// Drives `work` until it finishes, or until this connection is evicted, has been idle for
    /// the idle timeout, or the server stops.
    async fn watch<F: Future>(
        &self,
        mut work: Pin<&mut F>,
        stop: &mut watch::Receiver<bool>,
    ) -> Result<F::Output, Cut> {
        loop {
            let deadline = match self.status() {
                Status::Evicted => return Err(Cut::Evicted),
                Status::Busy => None,
                Status::Idle(since) => Some(since + self.slots.limits.idle),
            };
            tokio::select! {
                output = work.as_mut() => return Ok(output),
                () = self.wake.notified() => {}
                () = sleep_until(deadline) => return Err(Cut::Idle),
                _ = stop.changed() => return Err(Cut::Stop),
            }
        }
    }

    /// Serves an HTTP connection until it ends. An evicted connection is dropped at once; one
    /// idle too long is closed gracefully (a response still being written gets another idle
    /// timeout to finish), and so is every connection when the server stops (`serve` bounds
    /// that wait by `DRAIN`).
    async fn run<C, E>(
        &self,
        mut connection: Pin<&mut C>,
        graceful_shutdown: impl FnOnce(Pin<&mut C>),
        stop: &mut watch::Receiver<bool>,
    ) where
        C: Future<Output = Result<(), E>>,
        E: std::fmt::Display,
    {
        let ended = match self.watch(connection.as_mut(), stop).await {
            Ok(ended) => ended,
            Err(Cut::Evicted) => return,
            Err(Cut::Idle) => {
                graceful_shutdown(connection.as_mut());
                tokio::time::timeout(self.slots.limits.idle, connection)
                    .await
                    .unwrap_or(Ok(()))
            }
            Err(Cut::Stop) => {
                graceful_shutdown(connection.as_mut());
                connection.await
            }
        };
        if let Err(err) = ended {
            tracing::debug!(error = %err, "connection ended with an error");
        }
    }
}

/// Sleeps until `deadline`, or forever without one.
async fn sleep_until(deadline: Option<Instant>) {
    match deadline {
        Some(deadline) => tokio::time::sleep_until(deadline).await,
        None => std::future::pending().await,
    }
}

/// The address a client's connections are counted under: an IPv4 address (also when mapped
/// into IPv6), or the /64 network of an IPv6 one, which one home or host usually holds whole.
pub(super) fn client_of(ip: IpAddr) -> IpAddr {
    match ip.to_canonical() {
        IpAddr::V6(ip) => IpAddr::V6(Ipv6Addr::from_bits(ip.to_bits() & (u128::MAX << 64))),
        v4 => v4,
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn slots(max: usize, per_client: usize) -> Arc<Slots> {
        Slots::new(Limits {
            max,
            per_client,
            idle: Duration::from_secs(10),
        })
    }

    fn ip(text: &str) -> IpAddr {
        text.parse().unwrap()
    }

    #[test]
    fn one_client_holds_at_most_its_share() {
        let slots = slots(10, 2);
        let first = slots.admit(ip("10.0.0.1")).unwrap();
        let _second = slots.admit(ip("10.0.0.1")).unwrap();
        assert_eq!(slots.admit(ip("10.0.0.1")).err(), Some(Refused::Client));
        // The same address mapped into IPv6 is the same client; another address is not.
        assert_eq!(
            slots.admit(ip("::ffff:10.0.0.1")).err(),
            Some(Refused::Client)
        );
        assert!(slots.admit(ip("10.0.0.2")).is_ok());
        drop(first);
        assert!(slots.admit(ip("10.0.0.1")).is_ok());
    }

    #[test]
    fn an_ipv6_client_is_its_64_network() {
        assert_eq!(client_of(ip("2001:db8:1:2:aaaa::1")), ip("2001:db8:1:2::"));
        assert_eq!(client_of(ip("::ffff:192.0.2.7")), ip("192.0.2.7"));
        let slots = slots(10, 1);
        let _held = slots.admit(ip("2001:db8:1:2::1")).unwrap();
        assert_eq!(
            slots.admit(ip("2001:db8:1:2:ffff::9")).err(),
            Some(Refused::Client)
        );
        assert!(slots.admit(ip("2001:db8:1:3::1")).is_ok());
    }

    #[test]
    fn when_full_a_new_connection_takes_the_place_idle_longest() {
        let slots = slots(3, 3);
        let a = Arc::new(slots.admit(ip("10.0.0.1")).unwrap());
        let b = Arc::new(slots.admit(ip("10.0.0.2")).unwrap());
        let c = Arc::new(slots.admit(ip("10.0.0.3")).unwrap());
        // `a` has a request in progress; `b` has been idle longer than `c`, whose request ended.
        let _a_busy = a.busy();
        drop(c.busy());
        let d = slots.admit(ip("10.0.0.4")).unwrap();
        assert_eq!(b.status(), Status::Evicted);
        assert_eq!(a.status(), Status::Busy);
        assert!(matches!(c.status(), Status::Idle(_)));
        assert!(matches!(d.status(), Status::Idle(_)));
        let e = slots.admit(ip("10.0.0.5")).unwrap();
        assert_eq!(c.status(), Status::Evicted);
        // Only busy connections left to take from: the next one is refused.
        let _d_busy = Arc::new(d).busy();
        let _e_busy = Arc::new(e).busy();
        assert_eq!(slots.admit(ip("10.0.0.6")).err(), Some(Refused::Full));
        // An evicted connection's end gives back nothing it no longer holds.
        drop(b);
        assert_eq!(slots.admit(ip("10.0.0.6")).err(), Some(Refused::Full));
        assert_eq!(slots.open().per_client.values().sum::<usize>(), 3);
    }

    #[test]
    fn the_redirect_never_follows_the_host_header() {
        let public: BaseUrl = BaseUrl("https://bot.example.org:9443/".parse().unwrap());
        for (public_url, local, path, expected) in [
            (
                None,
                "127.0.0.1",
                Some("/healthz?x=1"),
                "https://127.0.0.1:8443/healthz?x=1",
            ),
            (
                None,
                "::ffff:192.0.2.7",
                Some("/"),
                "https://192.0.2.7:8443/",
            ),
            (
                None,
                "2001:db8::5",
                Some("/a"),
                "https://[2001:db8::5]:8443/a",
            ),
            (None, "127.0.0.1", Some("*"), "https://127.0.0.1:8443/"),
            (None, "127.0.0.1", None, "https://127.0.0.1:8443/"),
            (
                Some(&public),
                "127.0.0.1",
                Some("/a?b"),
                "https://bot.example.org:9443/a?b",
            ),
        ] {
            assert_eq!(
                redirect_location(public_url, ip(local), 8443, path),
                expected
            );
        }
    }
}
