//! The gateway through `discord.proxy`. serenity opens the gateway's websocket itself, straight
//! to the address Discord gives (`wss://gateway.discord.gg`), and knows no proxy (serenity#2479):
//! on a network where only the proxy reaches Discord, REST works and the bot never connects.
//!
//! So with a proxy set, serenity is pointed at a [`Bridge`] on loopback instead. It connects to
//! `ws://127.0.0.1:PORT/…`; the bridge opens an HTTP `CONNECT` tunnel through the proxy to the
//! gateway, speaks TLS inside it with the REST client's roots (the web's, plus
//! `discord.ca_cert`), forwards serenity's upgrade request with the gateway's `Host`, and then
//! copies bytes both ways. Reconnects and resumes are new connections to the same bridge.
//!
//! Without a proxy, serenity goes through the bridge too, which then connects to the gateway
//! itself: serenity's websocket client looks host names up with the C library
//! (`getaddrinfo`), which a static binary can only do with the NSS modules of the glibc it was
//! built with, so every name here is looked up by hickory's resolver instead ([`resolve`]), as
//! reqwest does for the REST API.
//!
//! The bridge listens on loopback only, and only ever reaches the one gateway host.

use std::net::Ipv4Addr;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context as _, bail};
use base64::Engine as _;
use rustls::pki_types::ServerName;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinSet;
use tokio_rustls::TlsConnector;

/// The largest HTTP head read from serenity or from the proxy.
const MAX_HEAD: usize = 16 * 1024;
/// How long reaching the gateway may take: the proxy, its tunnel and the TLS handshake.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(30);

/// A loopback listener that carries serenity's gateway connections through the proxy. Dropping
/// it closes the listener and every connection it carries.
pub struct Bridge {
    url: String,
    task: tokio::task::JoinHandle<()>,
}

impl Bridge {
    /// Listens on an ephemeral loopback port for connections to `gateway` (the URL Discord
    /// gave), to be carried through `proxy` (`http://[user:password@]host:port`).
    pub async fn start(
        gateway: &str,
        proxy: Option<&str>,
        tls: Arc<rustls::ClientConfig>,
    ) -> anyhow::Result<Bridge> {
        let gateway = Arc::new(Gateway::parse(gateway)?);
        let proxy = match proxy {
            Some(proxy) => Some(Arc::new(Proxy::parse(proxy).context("discord.proxy")?)),
            None => None,
        };
        let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).await?;
        let url = format!("ws://{}{}", listener.local_addr()?, gateway.path);
        let task = tokio::spawn(accept(listener, gateway, proxy, TlsConnector::from(tls)));
        Ok(Bridge { url, task })
    }

    /// Where serenity connects instead of the gateway.
    pub fn url(&self) -> &str {
        &self.url
    }
}

impl Drop for Bridge {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// Where the gateway is, from the URL Discord gave.
#[derive(Debug, PartialEq, Eq)]
struct Gateway {
    /// As in a URL: an IPv6 address in brackets.
    host: String,
    port: u16,
    tls: bool,
    /// The URL's path, which serenity's requests keep (it adds only the query).
    path: String,
}

impl Gateway {
    fn parse(url: &str) -> anyhow::Result<Gateway> {
        let parsed = url::Url::parse(url).with_context(|| format!("the gateway URL {url:?}"))?;
        let tls = match parsed.scheme() {
            "wss" => true,
            "ws" => false,
            other => bail!("the gateway URL {url:?} has the scheme {other:?}, not wss or ws"),
        };
        let host = parsed.host_str().filter(|h| !h.is_empty());
        let host = host.with_context(|| format!("the gateway URL {url:?} has no host"))?;
        Ok(Gateway {
            host: host.to_string(),
            port: parsed.port_or_known_default().unwrap_or(443),
            tls,
            path: parsed.path().to_string(),
        })
    }

    /// `host:port`, as a `CONNECT` request names it.
    fn target(&self) -> String {
        format!("{}:{}", self.host, self.port)
    }

    /// The `Host` header the gateway expects: the port only when it is not the scheme's own.
    fn authority(&self) -> String {
        if self.port == if self.tls { 443 } else { 80 } {
            self.host.clone()
        } else {
            self.target()
        }
    }
}

/// An HTTP proxy, as `discord.proxy` names it.
#[derive(Debug, PartialEq, Eq)]
struct Proxy {
    host: String,
    port: u16,
    /// `Basic …` from the URL's user name and password, when it has them.
    authorization: Option<String>,
}

impl Proxy {
    fn parse(url: &str) -> anyhow::Result<Proxy> {
        let parsed = url::Url::parse(url).context("not a URL")?;
        if parsed.scheme() != "http" {
            bail!(
                "the gateway can only be reached through an http:// proxy, not {}://",
                parsed.scheme()
            );
        }
        let host = parsed.host_str().filter(|h| !h.is_empty());
        let host = host.context("the proxy URL has no host")?;
        let authorization = (!parsed.username().is_empty()).then(|| {
            let decode = |s: &str| {
                percent_encoding::percent_decode_str(s)
                    .decode_utf8_lossy()
                    .into_owned()
            };
            let credentials = format!(
                "{}:{}",
                decode(parsed.username()),
                decode(parsed.password().unwrap_or(""))
            );
            format!(
                "Basic {}",
                base64::engine::general_purpose::STANDARD.encode(credentials)
            )
        });
        Ok(Proxy {
            // A bracketed IPv6 address is a host name to the URL, an address without brackets to
            // a socket.
            host: host
                .trim_start_matches('[')
                .trim_end_matches(']')
                .to_string(),
            port: parsed.port_or_known_default().unwrap_or(80),
            authorization,
        })
    }
}

async fn accept(
    listener: TcpListener,
    gateway: Arc<Gateway>,
    proxy: Option<Arc<Proxy>>,
    tls: TlsConnector,
) {
    // Owned here, so aborting this task closes every connection too.
    let mut connections = JoinSet::new();
    loop {
        tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => {
                    let (gateway, proxy, tls) = (gateway.clone(), proxy.clone(), tls.clone());
                    connections.spawn(async move {
                        if let Err(err) = carry(stream, &gateway, proxy.as_deref(), tls).await {
                            tracing::warn!(
                                error = ?format!("{err:#}"),
                                "cannot reach the Discord gateway"
                            );
                        }
                    });
                }
                Err(err) => {
                    tracing::warn!(error = %err, "the gateway bridge cannot accept");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
            },
            Some(_) = connections.join_next() => {}
        }
    }
}

/// One gateway connection: serenity's upgrade request through the tunnel, then bytes both ways
/// until either side closes (Discord closing, or serenity reconnecting, is not an error).
async fn carry(
    mut client: TcpStream,
    gateway: &Gateway,
    proxy: Option<&Proxy>,
    tls: TlsConnector,
) -> anyhow::Result<()> {
    // Gateway frames are small and must not wait for Nagle's algorithm.
    client.set_nodelay(true)?;
    let head = tokio::time::timeout(CONNECT_TIMEOUT, read_head(&mut client))
        .await
        .context("the gateway request did not come")?
        .context("reading the gateway request")?;
    let request = with_host(&head, &gateway.authority())?;
    let upstream = match proxy {
        Some(proxy) => tokio::time::timeout(CONNECT_TIMEOUT, tunnel(proxy, gateway))
            .await
            .context("the proxy did not answer in time")??,
        None => tokio::time::timeout(CONNECT_TIMEOUT, connect(&gateway.host, gateway.port))
            .await
            .context("the gateway did not answer in time")?
            .with_context(|| format!("connecting to the gateway {}", gateway.target()))?,
    };
    upstream.set_nodelay(true)?;
    if gateway.tls {
        let name = ServerName::try_from(gateway.host.clone())?;
        let connect = tls.connect(name, upstream);
        let upstream = tokio::time::timeout(CONNECT_TIMEOUT, connect)
            .await
            .context("the TLS handshake with the gateway timed out")?
            .context("the TLS handshake with the gateway")?;
        pipe(client, upstream, &request).await;
    } else {
        pipe(client, upstream, &request).await;
    }
    Ok(())
}

/// Connects to `host` (a name or an address) at `port`: the first address that answers.
async fn connect(host: &str, port: u16) -> std::io::Result<TcpStream> {
    let mut last = None;
    for address in resolve(host).await? {
        match TcpStream::connect((address, port)).await {
            Ok(stream) => return Ok(stream),
            Err(err) => last = Some(err),
        }
    }
    Err(last.unwrap_or_else(|| std::io::Error::other(format!("{host} has no address"))))
}

/// The addresses of `host` by hickory's resolver (the system's `resolv.conf` and hosts file,
/// read by Rust code, no NSS module), or `host` itself when it is an address.
pub async fn resolve(host: &str) -> std::io::Result<Vec<std::net::IpAddr>> {
    let bare = host.trim_start_matches('[').trim_end_matches(']');
    if let Ok(address) = bare.parse::<std::net::IpAddr>() {
        return Ok(vec![address]);
    }
    let resolver = hickory_resolver::TokioResolver::builder_tokio()
        .map_err(|err| std::io::Error::other(format!("the resolver's settings: {err}")))?
        .build();
    let found = resolver
        .lookup_ip(bare)
        .await
        .map_err(|err| std::io::Error::other(format!("looking up {bare}: {err}")))?;
    Ok(found.iter().collect())
}

/// Sends `request` upstream, then copies both ways until one side closes.
async fn pipe<S>(mut client: TcpStream, mut upstream: S, request: &[u8])
where
    S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin,
{
    let copied = async {
        upstream.write_all(request).await?;
        tokio::io::copy_bidirectional(&mut client, &mut upstream).await
    };
    if let Err(err) = copied.await {
        tracing::debug!(error = %err, "a gateway connection through discord.proxy ended");
    }
}

/// Opens a `CONNECT` tunnel through the proxy to the gateway.
async fn tunnel(proxy: &Proxy, gateway: &Gateway) -> anyhow::Result<TcpStream> {
    let mut stream = connect(&proxy.host, proxy.port)
        .await
        .with_context(|| format!("connecting to the proxy {}:{}", proxy.host, proxy.port))?;
    let target = gateway.target();
    let mut request = format!("CONNECT {target} HTTP/1.1\r\nHost: {target}\r\n");
    if let Some(authorization) = &proxy.authorization {
        request.push_str(&format!("Proxy-Authorization: {authorization}\r\n"));
    }
    request.push_str("\r\n");
    stream.write_all(request.as_bytes()).await?;
    let head = read_head(&mut stream)
        .await
        .context("reading the proxy's answer")?;
    let status = connect_status(&head)?;
    if !(200..300).contains(&status.0) {
        bail!(
            "the proxy refused the tunnel to {target}: {} {}",
            status.0,
            status.1.escape_debug()
        );
    }
    Ok(stream)
}

/// Reads an HTTP head, up to and including its blank line, one byte at a time so that nothing
/// after it is taken from the stream (both peers wait for an answer after their head).
async fn read_head(stream: &mut (impl AsyncRead + Unpin)) -> anyhow::Result<Vec<u8>> {
    let mut head = Vec::with_capacity(512);
    while !head.ends_with(b"\r\n\r\n") {
        if head.len() == MAX_HEAD {
            bail!("the head is longer than {MAX_HEAD} bytes");
        }
        match stream.read_u8().await {
            Ok(byte) => head.push(byte),
            Err(err) if err.kind() == std::io::ErrorKind::UnexpectedEof => {
                bail!("the connection closed before the end of the head")
            }
            Err(err) => return Err(err.into()),
        }
    }
    Ok(head)
}

/// The status code and reason of a proxy's answer to `CONNECT`.
fn connect_status(head: &[u8]) -> anyhow::Result<(u16, String)> {
    let mut headers = [httparse::EMPTY_HEADER; 64];
    let mut response = httparse::Response::new(&mut headers);
    match response.parse(head) {
        Ok(httparse::Status::Complete(_)) => {}
        Ok(httparse::Status::Partial) => bail!("the proxy's answer is incomplete"),
        Err(err) => bail!("the proxy's answer is not HTTP: {err}"),
    }
    let code = response.code.context("the proxy's answer has no status")?;
    Ok((code, response.reason.unwrap_or("").to_string()))
}

/// serenity's upgrade request, as the gateway must see it: the same request line and headers,
/// with `Host` naming the gateway instead of the bridge.
fn with_host(head: &[u8], authority: &str) -> anyhow::Result<Vec<u8>> {
    let mut headers = [httparse::EMPTY_HEADER; 64];
    let mut request = httparse::Request::new(&mut headers);
    match request.parse(head) {
        Ok(httparse::Status::Complete(_)) => {}
        Ok(httparse::Status::Partial) => bail!("the request is incomplete"),
        Err(err) => bail!("the request is not HTTP: {err}"),
    }
    let (Some(method), Some(path)) = (request.method, request.path) else {
        bail!("the request has no request line");
    };
    let mut out = format!("{method} {path} HTTP/1.1\r\nHost: {authority}\r\n").into_bytes();
    for header in request.headers.iter() {
        if header.name.eq_ignore_ascii_case("host") {
            continue;
        }
        out.extend_from_slice(header.name.as_bytes());
        out.extend_from_slice(b": ");
        out.extend_from_slice(header.value);
        out.extend_from_slice(b"\r\n");
    }
    out.extend_from_slice(b"\r\n");
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gateway_urls() {
        let discord = Gateway::parse("wss://gateway.discord.gg").unwrap();
        assert_eq!(
            discord,
            Gateway {
                host: "gateway.discord.gg".into(),
                port: 443,
                tls: true,
                path: "/".into(),
            }
        );
        assert_eq!(discord.target(), "gateway.discord.gg:443");
        assert_eq!(discord.authority(), "gateway.discord.gg");
        let local = Gateway::parse("ws://127.0.0.1:8080/gateway").unwrap();
        assert_eq!((local.tls, local.path.as_str()), (false, "/gateway"));
        assert_eq!(local.authority(), "127.0.0.1:8080");
        let v6 = Gateway::parse("wss://[::1]:9000").unwrap();
        assert_eq!(v6.target(), "[::1]:9000");
        for bad in [
            "",
            "gateway.discord.gg",
            "https://discord.com",
            "wss://",
            "ftp://gateway.discord.gg",
        ] {
            assert!(Gateway::parse(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn proxy_urls() {
        let plain = Proxy::parse("http://proxy.lan:3128").unwrap();
        assert_eq!((plain.host.as_str(), plain.port), ("proxy.lan", 3128));
        assert_eq!(plain.authorization, None);
        assert_eq!(Proxy::parse("http://[::1]").unwrap().host, "::1");
        assert_eq!(Proxy::parse("http://[::1]").unwrap().port, 80);
        // "Aladdin:open sesame", RFC 7617's example, with the space percent-encoded.
        let with_user = Proxy::parse("http://Aladdin:open%20sesame@proxy.lan:8080").unwrap();
        assert_eq!(
            with_user.authorization.as_deref(),
            Some("Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ==")
        );
        let plus = Proxy::parse("http://a:b+c@proxy.lan").unwrap();
        assert_eq!(plus.authorization.as_deref(), Some("Basic YTpiK2M="));
        for bad in [
            "socks5://proxy.lan:1080",
            "https://proxy.lan",
            "proxy.lan:3128",
            "",
        ] {
            assert!(Proxy::parse(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn the_upgrade_request_names_the_gateway() {
        let head = b"GET /?v=10&encoding=json HTTP/1.1\r\nHost: 127.0.0.1:41234\r\n\
            Connection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\n\
            Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n";
        let out = with_host(head, "gateway.discord.gg").unwrap();
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "GET /?v=10&encoding=json HTTP/1.1\r\nHost: gateway.discord.gg\r\n\
             Connection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\n\
             Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n"
        );
        for garbage in [
            &b""[..],
            b"\r\n\r\n",
            b"GET / HTTP/1.1\r\n",
            b"\x00\xff garbage\r\n\r\n",
            b"GET / HTTP/1.1\r\nHo st: x\r\n\r\n",
        ] {
            assert!(with_host(garbage, "g").is_err(), "{garbage:?}");
        }
    }

    #[test]
    fn proxy_answers() {
        assert_eq!(
            connect_status(b"HTTP/1.1 200 Connection Established\r\n\r\n").unwrap(),
            (200, "Connection Established".into())
        );
        assert_eq!(
            connect_status(b"HTTP/1.0 407 Proxy Authentication Required\r\nX: y\r\n\r\n")
                .unwrap()
                .0,
            407
        );
        for garbage in [
            &b""[..],
            b"HTTP/1.1 200",
            b"SSH-2.0-OpenSSH\r\n\r\n",
            b"\xff\r\n\r\n",
        ] {
            assert!(connect_status(garbage).is_err(), "{garbage:?}");
        }
    }

    /// Without a proxy, the bridge connects to the gateway itself (an address here; a name
    /// would go through hickory's resolver) and forwards serenity's request with the gateway's
    /// `Host`, then bytes both ways.
    #[tokio::test]
    async fn without_a_proxy_the_bridge_connects_straight_to_the_gateway() {
        let gateway = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).await.unwrap();
        let port = gateway.local_addr().unwrap().port();
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let tls = rustls::ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .unwrap()
            .with_root_certificates(rustls::RootCertStore::empty())
            .with_no_client_auth();
        let bridge = Bridge::start(&format!("ws://127.0.0.1:{port}/gw"), None, Arc::new(tls))
            .await
            .unwrap();
        let address = bridge
            .url()
            .trim_start_matches("ws://")
            .trim_end_matches("/gw");
        let mut client = TcpStream::connect(address).await.unwrap();
        client
            .write_all(b"GET /gw?v=10 HTTP/1.1\r\nHost: 127.0.0.1:1\r\nUpgrade: websocket\r\n\r\n")
            .await
            .unwrap();
        let (mut upstream, _) = gateway.accept().await.unwrap();
        let head = read_head(&mut upstream).await.unwrap();
        let head = String::from_utf8(head).unwrap();
        assert!(head.starts_with("GET /gw?v=10 HTTP/1.1\r\n"), "{head}");
        assert!(
            head.contains(&format!("Host: 127.0.0.1:{port}\r\n")),
            "{head}"
        );
        upstream.write_all(b"pong").await.unwrap();
        let mut answer = [0u8; 4];
        client.read_exact(&mut answer).await.unwrap();
        assert_eq!(&answer, b"pong");
        assert_eq!(
            resolve("[::1]").await.unwrap(),
            vec!["::1".parse::<std::net::IpAddr>().unwrap()]
        );
    }

    #[tokio::test]
    async fn heads_end_at_their_blank_line_and_are_bounded() {
        let mut input: &[u8] = b"HTTP/1.1 200 OK\r\n\r\n\x16\x03\x01";
        assert_eq!(
            read_head(&mut input).await.unwrap(),
            b"HTTP/1.1 200 OK\r\n\r\n"
        );
        assert_eq!(input, b"\x16\x03\x01", "nothing after the head is taken");
        let mut cut: &[u8] = b"HTTP/1.1 200 OK\r\n";
        assert!(read_head(&mut cut).await.is_err());
        let endless = vec![b'a'; MAX_HEAD + 10];
        assert!(read_head(&mut endless.as_slice()).await.is_err());
    }
}
