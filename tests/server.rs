//! The HTTPS server as a client sees it: TLS versions and ALPN, health and metrics, redirects,
//! PEM certificates, slow and idle clients, connections per client, and shutdown.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::sync::Arc;
use std::time::{Duration, Instant};

use stagehand::store::{Store, StoreOptions};

use crate::support::{self, Server, get};

#[tokio::test]
async fn health_and_metrics_answer() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path(), &[]);
    let (status, body) = get(&server.url("/healthz")).await;
    assert_eq!(status, 200);
    let health: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(health["status"], "ok");
    assert_eq!(health["version"], env!("CARGO_PKG_VERSION"));
    assert_eq!(health["schema"], stagehand::store::SCHEMA_VERSION);
    assert_eq!(health["setup"], "pending");

    assert_eq!(get(&server.url("/no-such-page")).await.0, 404);
    let (status, metrics) = get(&server.url("/metrics")).await;
    assert_eq!(status, 200);
    assert!(
        metrics.contains("stagehand_http_requests_total{route=\"healthz\",status=\"200\"} 1\n"),
        "{metrics}"
    );
    assert!(
        metrics.contains("stagehand_http_requests_total{route=\"not_found\",status=\"404\"} 1\n")
    );
    assert!(metrics.contains("stagehand_uptime_seconds "));
    let size: u64 = metrics
        .lines()
        .find_map(|l| l.strip_prefix("stagehand_store_bytes "))
        .unwrap()
        .parse()
        .unwrap();
    assert!(size > 0);
    server.stop();
}

#[tokio::test]
async fn pages_carry_security_headers() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path(), &[]);
    let response = support::client().get(server.link()).send().await.unwrap();
    let headers = response.headers();
    assert!(
        headers["content-security-policy"]
            .to_str()
            .unwrap()
            .contains("default-src 'none'")
    );
    assert_eq!(headers["x-content-type-options"], "nosniff");
    assert_eq!(headers["x-frame-options"], "DENY");
    assert_eq!(headers["referrer-policy"], "no-referrer");
    assert_eq!(headers["cache-control"], "no-store");
    let css = support::client()
        .get(server.url("/static/style.css"))
        .send()
        .await
        .unwrap();
    assert_eq!(css.headers()["content-type"], "text/css; charset=utf-8");
    assert_eq!(get(&server.url("/static/../Cargo.toml")).await.0, 404);
    assert_eq!(get(&server.url("/static/nope.css")).await.0, 404);
    server.stop();
}

/// Completes a TLS handshake with the given versions and ALPN, returning what was negotiated.
fn handshake(
    port: u16,
    versions: &[&'static rustls::SupportedProtocolVersion],
    alpn: &[&[u8]],
    roots: Option<rustls::RootCertStore>,
) -> Result<(rustls::ProtocolVersion, Option<Vec<u8>>), String> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let builder = rustls::ClientConfig::builder_with_provider(provider)
        .with_protocol_versions(versions)
        .unwrap();
    let mut config = match roots {
        Some(roots) => builder.with_root_certificates(roots).with_no_client_auth(),
        None => builder
            .dangerous()
            .with_custom_certificate_verifier(Arc::new(AcceptAnything))
            .with_no_client_auth(),
    };
    config.alpn_protocols = alpn.iter().map(|p| p.to_vec()).collect();
    let name = rustls::pki_types::ServerName::try_from("localhost").unwrap();
    let mut conn = rustls::ClientConnection::new(Arc::new(config), name).unwrap();
    let mut tcp = TcpStream::connect(("127.0.0.1", port)).unwrap();
    while conn.is_handshaking() {
        conn.complete_io(&mut tcp).map_err(|e| e.to_string())?;
    }
    Ok((
        conn.protocol_version().unwrap(),
        conn.alpn_protocol().map(<[u8]>::to_vec),
    ))
}

#[derive(Debug)]
struct AcceptAnything;

impl rustls::client::danger::ServerCertVerifier for AcceptAnything {
    fn verify_server_cert(
        &self,
        _: &rustls::pki_types::CertificateDer<'_>,
        _: &[rustls::pki_types::CertificateDer<'_>],
        _: &rustls::pki_types::ServerName<'_>,
        _: &[u8],
        _: rustls::pki_types::UnixTime,
    ) -> Result<rustls::client::danger::ServerCertVerified, rustls::Error> {
        Ok(rustls::client::danger::ServerCertVerified::assertion())
    }
    fn verify_tls12_signature(
        &self,
        _: &[u8],
        _: &rustls::pki_types::CertificateDer<'_>,
        _: &rustls::DigitallySignedStruct,
    ) -> Result<rustls::client::danger::HandshakeSignatureValid, rustls::Error> {
        Ok(rustls::client::danger::HandshakeSignatureValid::assertion())
    }
    fn verify_tls13_signature(
        &self,
        _: &[u8],
        _: &rustls::pki_types::CertificateDer<'_>,
        _: &rustls::DigitallySignedStruct,
    ) -> Result<rustls::client::danger::HandshakeSignatureValid, rustls::Error> {
        Ok(rustls::client::danger::HandshakeSignatureValid::assertion())
    }
    fn supported_verify_schemes(&self) -> Vec<rustls::SignatureScheme> {
        rustls::crypto::ring::default_provider()
            .signature_verification_algorithms
            .supported_schemes()
    }
}

#[test]
fn tls_12_and_13_with_alpn_h2_and_http11() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path(), &[]);
    let (v13, alpn) = handshake(
        server.port,
        &[&rustls::version::TLS13],
        &[b"h2", b"http/1.1"],
        None,
    )
    .unwrap();
    assert_eq!(
        (v13, alpn.as_deref()),
        (rustls::ProtocolVersion::TLSv1_3, Some(&b"h2"[..]))
    );
    let (v12, alpn) = handshake(
        server.port,
        &[&rustls::version::TLS12],
        &[b"http/1.1"],
        None,
    )
    .unwrap();
    assert_eq!(
        (v12, alpn.as_deref()),
        (rustls::ProtocolVersion::TLSv1_2, Some(&b"http/1.1"[..]))
    );
    let (_, alpn) = handshake(server.port, &[&rustls::version::TLS13], &[], None).unwrap();
    assert_eq!(alpn, None, "no ALPN still works (HTTP/1.1)");

    // The self-signed certificate is valid for localhost: a client trusting only it connects.
    let store_cert = {
        server.stop();
        let store = Store::open(
            &dir.path().join("data/stagehand.redb"),
            &StoreOptions::default(),
        )
        .unwrap();
        stagehand::web::tls::stored_self_signed(&store)
            .unwrap()
            .unwrap()
    };
    let server = Server::start(dir.path(), &[]);
    let mut roots = rustls::RootCertStore::empty();
    for cert in rustls::pki_types::pem::PemObject::pem_slice_iter(store_cert.cert_pem.as_bytes()) {
        roots.add(cert.unwrap()).unwrap();
    }
    assert!(
        handshake(
            server.port,
            &[&rustls::version::TLS13],
            &[b"h2"],
            Some(roots)
        )
        .is_ok(),
        "cert reused and valid"
    );
    server.stop();
}

/// Issue 25 (`testssl.sh`): the server had no cipher order of its own (a HIGH finding): a client
/// that listed a weaker suite first got it. The server's order wins: AES-256-GCM first.
#[test]
fn issue_25_the_servers_cipher_order_wins() {
    use rustls::crypto::ring::cipher_suite as suite;
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path(), &[]);
    for (version, client_order, chosen) in [
        (
            &rustls::version::TLS13,
            vec![
                suite::TLS13_CHACHA20_POLY1305_SHA256,
                suite::TLS13_AES_128_GCM_SHA256,
                suite::TLS13_AES_256_GCM_SHA384,
            ],
            suite::TLS13_AES_256_GCM_SHA384,
        ),
        (
            &rustls::version::TLS12,
            vec![
                suite::TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256,
                suite::TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,
                suite::TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384,
            ],
            suite::TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384,
        ),
    ] {
        let provider = rustls::crypto::CryptoProvider {
            cipher_suites: client_order,
            ..rustls::crypto::ring::default_provider()
        };
        let config = rustls::ClientConfig::builder_with_provider(Arc::new(provider))
            .with_protocol_versions(&[version])
            .unwrap()
            .dangerous()
            .with_custom_certificate_verifier(Arc::new(AcceptAnything))
            .with_no_client_auth();
        let name = rustls::pki_types::ServerName::try_from("localhost").unwrap();
        let mut conn = rustls::ClientConnection::new(Arc::new(config), name).unwrap();
        let mut tcp = TcpStream::connect(("127.0.0.1", server.port)).unwrap();
        while conn.is_handshaking() {
            conn.complete_io(&mut tcp).unwrap();
        }
        assert_eq!(
            conn.negotiated_cipher_suite().unwrap().suite(),
            chosen.suite(),
            "{version:?}"
        );
    }
    server.stop();
}

#[tokio::test]
async fn both_http_versions_serve_requests() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path(), &[]);
    let h2 = support::client()
        .get(server.url("/healthz"))
        .send()
        .await
        .unwrap();
    assert_eq!(h2.version(), reqwest::Version::HTTP_2);
    let h1 = reqwest::Client::builder()
        .danger_accept_invalid_certs(true)
        .http1_only()
        .build()
        .unwrap();
    let response = h1.get(server.url("/healthz")).send().await.unwrap();
    assert_eq!(
        (response.version(), response.status().as_u16()),
        (reqwest::Version::HTTP_11, 200)
    );
    server.stop();
}

#[tokio::test]
async fn pem_files_replace_the_self_signed_certificate() {
    let dir = tempfile::tempdir().unwrap();
    let made = rcgen::generate_simple_self_signed(vec!["pem.test".to_string()]).unwrap();
    let (cert, key) = (dir.path().join("cert.pem"), dir.path().join("key.pem"));
    std::fs::write(&cert, made.cert.pem()).unwrap();
    std::fs::write(&key, made.signing_key.serialize_pem()).unwrap();
    let env = [
        ("STAGEHAND_TLS_CERT", cert.to_str().unwrap()),
        ("STAGEHAND_TLS_KEY", key.to_str().unwrap()),
    ];
    let server = Server::start(dir.path(), &env);
    let client = reqwest::Client::builder()
        .tls_built_in_root_certs(false)
        .add_root_certificate(reqwest::Certificate::from_pem(made.cert.pem().as_bytes()).unwrap())
        .resolve("pem.test", ([127, 0, 0, 1], server.port).into())
        .build()
        .unwrap();
    let response = client
        .get(format!("https://pem.test:{}/healthz", server.port))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 200);
    server.stop();

    std::fs::write(&key, "garbage").unwrap();
    let (code, err) = Server::try_start(dir.path(), &env).err().unwrap();
    assert_eq!(code, Some(1));
    assert!(
        err.contains("key.pem") && err.contains("no usable private key"),
        "{err}"
    );
}

#[tokio::test]
async fn plain_http_redirects_to_https() {
    let dir = tempfile::tempdir().unwrap();
    let free = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let server = Server::start(
        dir.path(),
        &[("STAGEHAND_HTTP_REDIRECT_PORT", &free.to_string())],
    );
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let response = client
        .get(format!("http://127.0.0.1:{free}/healthz?x=1"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 308);
    assert_eq!(
        response.headers()["location"],
        format!("https://127.0.0.1:{}/healthz?x=1", server.port)
    );
    server.stop();
}

#[test]
fn slow_clients_are_disconnected() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path(), &[("STAGEHAND_HTTP_HEADER_TIMEOUT_SECS", "1")]);
    // A client that connects and never starts the handshake.
    let mut idle = TcpStream::connect(("127.0.0.1", server.port)).unwrap();
    idle.set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    let started = std::time::Instant::now();
    assert_eq!(
        idle.read(&mut [0u8; 16]).unwrap_or(0),
        0,
        "closed without data"
    );
    assert!(started.elapsed() < Duration::from_secs(5));

    // A client that completes TLS, then sends headers one byte at a time, never finishing.
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .dangerous()
        .with_custom_certificate_verifier(Arc::new(AcceptAnything))
        .with_no_client_auth();
    let name = rustls::pki_types::ServerName::try_from("localhost").unwrap();
    let mut conn = rustls::ClientConnection::new(Arc::new(config), name).unwrap();
    let mut tcp = TcpStream::connect(("127.0.0.1", server.port)).unwrap();
    tcp.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    let mut tls = rustls::Stream::new(&mut conn, &mut tcp);
    let started = std::time::Instant::now();
    let mut closed = false;
    for byte in b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Slow: "
        .iter()
        .cycle()
        .take(200)
    {
        if tls.write_all(&[*byte]).and_then(|()| tls.flush()).is_err() {
            closed = true;
            break;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    if !closed {
        let mut buf = [0u8; 512];
        let read = tls.read(&mut buf);
        closed = matches!(read, Ok(0) | Err(_)) || String::from_utf8_lossy(&buf).contains("408");
    }
    assert!(closed, "a slowloris client kept its connection");
    assert!(started.elapsed() < Duration::from_secs(8));
    server.stop();
}

#[tokio::test]
async fn sigterm_exits_zero_quickly_and_closes_the_store_cleanly() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path(), &[]);
    assert_eq!(get(&server.url("/healthz")).await.0, 200);
    let (status, took, log) = server.stop_with("TERM");
    assert!(status.success(), "{status}: {log}");
    assert!(took < Duration::from_secs(5), "took {took:?}");
    assert!(log.contains("stopped"));
    assert!(!dir.path().join("data/admin.sock").exists());
    let store = Store::open(
        &dir.path().join("data/stagehand.redb"),
        &StoreOptions::default(),
    )
    .unwrap();
    assert!(!store.was_repaired(), "the store was not closed cleanly");
}

#[tokio::test]
async fn a_killed_server_leaves_a_store_that_needs_repair() {
    // The control for the test above: without a clean close, `was_repaired` does report it.
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path(), &[]);
    assert_eq!(get(&server.url("/healthz")).await.0, 200);
    server.stop_with("KILL");
    let store = Store::open(
        &dir.path().join("data/stagehand.redb"),
        &StoreOptions::default(),
    )
    .unwrap();
    assert!(store.was_repaired());
}

/// A TCP connection to the server from the loopback address `from`: Linux routes all of
/// 127.0.0.0/8 to loopback, so each address is a client of its own.
async fn connect_from(from: [u8; 4], port: u16) -> tokio::net::TcpStream {
    let socket = tokio::net::TcpSocket::new_v4().unwrap();
    socket
        .bind((std::net::Ipv4Addr::from(from), 0).into())
        .unwrap();
    socket.connect(([127, 0, 0, 1], port).into()).await.unwrap()
}

type TlsStream = tokio_rustls::client::TlsStream<tokio::net::TcpStream>;

/// A TLS connection from `from` offering `alpn`, or the handshake's error.
async fn tls_from(from: [u8; 4], port: u16, alpn: &[&[u8]]) -> std::io::Result<TlsStream> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .dangerous()
        .with_custom_certificate_verifier(Arc::new(AcceptAnything))
        .with_no_client_auth();
    config.alpn_protocols = alpn.iter().map(|p| p.to_vec()).collect();
    let connector = tokio_rustls::TlsConnector::from(Arc::new(config));
    let name = rustls::pki_types::ServerName::try_from("localhost").unwrap();
    let tcp = connect_from(from, port).await;
    tokio::time::timeout(Duration::from_secs(5), connector.connect(name, tcp))
        .await
        .unwrap_or_else(|_| Err(std::io::Error::other("the handshake timed out")))
}

/// Holds `tls` open without ever sending a request, until the server closes it. An h2 client
/// sends its preface and SETTINGS, and acknowledges the server's SETTINGS and PINGs.
async fn sit_idle(mut tls: TlsStream, h2: bool) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    if h2 {
        let mut hello = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n".to_vec();
        hello.extend([0, 0, 0, 4, 0, 0, 0, 0, 0]); // an empty SETTINGS frame
        if tls.write_all(&hello).await.is_err() || tls.flush().await.is_err() {
            return;
        }
    }
    let (mut frames, mut chunk) = (Vec::new(), [0u8; 4096]);
    loop {
        match tls.read(&mut chunk).await {
            Ok(0) | Err(_) => return,
            Ok(n) if h2 => frames.extend_from_slice(&chunk[..n]),
            Ok(_) => continue,
        }
        while frames.len() >= 9 {
            let len =
                usize::from(frames[0]) << 16 | usize::from(frames[1]) << 8 | usize::from(frames[2]);
            if frames.len() < 9 + len {
                break;
            }
            let mut frame: Vec<u8> = frames.drain(..9 + len).collect();
            let answer = match (frame[3], frame[4] & 1) {
                (4, 0) => vec![0, 0, 0, 4, 1, 0, 0, 0, 0], // SETTINGS: acknowledged
                (6, 0) => {
                    frame[4] = 1; // PING: answered with the same payload
                    frame
                }
                _ => continue,
            };
            if tls.write_all(&answer).await.is_err() || tls.flush().await.is_err() {
                return;
            }
        }
    }
}

/// Issue 25: connections that finished the TLS handshake and then sent nothing (HTTP/1.1, no
/// ALPN, h2 with only its preface and SETTINGS) were never timed out; enough of them filled
/// `http.max_connections` and every later visitor waited forever. Now a visitor takes the place
/// of the connection idle longest, and idle connections close after `http.header_timeout_secs`.
#[tokio::test]
async fn issue_25_idle_connections_do_not_lock_out_visitors() {
    const TIMEOUT: Duration = Duration::from_secs(4);
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(
        dir.path(),
        &[
            ("STAGEHAND_HTTP_HEADER_TIMEOUT_SECS", "4"),
            ("STAGEHAND_HTTP_MAX_CONNECTIONS", "24"),
            ("STAGEHAND_HTTP_MAX_CONNECTIONS_PER_CLIENT", "6"),
        ],
    );
    // 24 idle connections, 6 from each of 127.0.0.2 to 127.0.0.5: the server is full.
    let mut idle = Vec::new();
    for i in 0..24u8 {
        let (alpn, h2): (&[&[u8]], bool) = match i % 3 {
            0 => (&[b"http/1.1"], false),
            1 => (&[], false),
            _ => (&[b"h2"], true),
        };
        let opened = Instant::now();
        let tls = tls_from([127, 0, 0, 2 + i / 6], server.port, alpn)
            .await
            .unwrap();
        let closed = tokio::spawn(async move {
            sit_idle(tls, h2).await;
            Instant::now()
        });
        idle.push((opened, closed));
    }

    let visitor = support::client().get(server.url("/healthz")).send();
    let response = tokio::time::timeout(Duration::from_secs(2), visitor).await;
    let served = Instant::now();
    assert!(
        matches!(&response, Ok(Ok(r)) if r.status() == 200),
        "a visitor was locked out by idle connections: {response:?}"
    );

    let mut closed_before_the_visitor_was_served = 0;
    for (opened, closed) in idle {
        let wait =
            (opened + TIMEOUT + Duration::from_secs(3)).saturating_duration_since(Instant::now());
        let closed = tokio::time::timeout(wait, closed)
            .await
            .expect("an idle connection stayed open past http.header_timeout_secs")
            .unwrap();
        if closed < served {
            closed_before_the_visitor_was_served += 1;
        }
    }
    // The visitor was served while the idle connections were still there: one made room.
    assert!(
        closed_before_the_visitor_was_served <= 1,
        "{closed_before_the_visitor_was_served} closed before the visitor was served"
    );
    server.stop();
}

/// Issue 25: one client address holds at most `http.max_connections_per_client` connections;
/// more are closed at once while other addresses are still served. The cap is per IP address
/// (per /64 for IPv6); 127.0.0.1 and 127.0.0.2 are two clients.
#[tokio::test]
async fn issue_25_connections_per_client_address_are_capped() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(
        dir.path(),
        &[
            ("STAGEHAND_HTTP_HEADER_TIMEOUT_SECS", "30"),
            ("STAGEHAND_HTTP_MAX_CONNECTIONS_PER_CLIENT", "4"),
        ],
    );
    let me = [127, 0, 0, 1];
    let mut held = Vec::new();
    for _ in 0..4 {
        held.push(tls_from(me, server.port, &[b"h2"]).await.unwrap());
    }
    assert!(
        tls_from(me, server.port, &[b"h2"]).await.is_err(),
        "a fifth connection from one address was accepted"
    );
    let elsewhere = reqwest::Client::builder()
        .danger_accept_invalid_certs(true)
        .local_address(std::net::IpAddr::from([127, 0, 0, 2]))
        .timeout(Duration::from_secs(5))
        .build()
        .unwrap();
    let response = elsewhere.get(server.url("/healthz")).send().await.unwrap();
    assert_eq!(response.status().as_u16(), 200);

    // A connection that ends gives its place back.
    drop(held.pop());
    let deadline = Instant::now() + Duration::from_secs(3);
    while tls_from(me, server.port, &[b"h2"]).await.is_err() {
        assert!(
            Instant::now() < deadline,
            "the freed place was not given back"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    server.stop();
}

/// Sends the head of a setup form POST to `path` declaring a 60,000-byte body (under
/// `http.max_body_bytes`), then one byte of it every 250 ms, acknowledging an h2 server's
/// SETTINGS and PINGs, for at most `give_up`. Returns how long after the head the server
/// answered the request (h2: a HEADERS or RST_STREAM frame on its stream) and closed the
/// connection, when it did, and what it sent (HTTP/1.1 only).
async fn trickle_body(
    mut tls: TlsStream,
    h2: bool,
    path: &str,
    give_up: Duration,
) -> (Option<Duration>, Option<Duration>, String) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let head = if h2 {
        // HPACK literal fields without indexing, new names, no Huffman (each < 127 bytes).
        let mut block = Vec::new();
        for (name, value) in [
            (":method", "POST"),
            (":scheme", "https"),
            (":authority", "localhost"),
            (":path", path),
            ("content-type", "application/x-www-form-urlencoded"),
            ("content-length", "60000"),
        ] {
            block.push(0);
            block.push(u8::try_from(name.len()).unwrap());
            block.extend_from_slice(name.as_bytes());
            block.push(u8::try_from(value.len()).unwrap());
            block.extend_from_slice(value.as_bytes());
        }
        let mut head = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n".to_vec();
        head.extend([0, 0, 0, 4, 0, 0, 0, 0, 0]); // an empty SETTINGS frame
        let len = u32::try_from(block.len()).unwrap().to_be_bytes();
        head.extend([len[1], len[2], len[3], 1, 4, 0, 0, 0, 1]); // HEADERS, END_HEADERS, stream 1
        head.extend(block);
        head
    } else {
        format!(
            "POST {path} HTTP/1.1\r\nHost: localhost\r\n\
             Content-Type: application/x-www-form-urlencoded\r\nContent-Length: 60000\r\n\r\n"
        )
        .into_bytes()
    };
    tls.write_all(&head).await.unwrap();
    tls.flush().await.unwrap();
    let sent = Instant::now();
    let deadline = tokio::time::Instant::now() + give_up;
    let mut tick = tokio::time::interval(Duration::from_millis(250));
    let (mut answered, mut received, mut chunk) = (None, Vec::new(), [0u8; 4096]);
    loop {
        tokio::select! {
            read = tls.read(&mut chunk) => match read {
                Ok(0) | Err(_) => {
                    return (answered, Some(sent.elapsed()), String::from_utf8_lossy(&received).into_owned());
                }
                Ok(n) => received.extend_from_slice(&chunk[..n]),
            },
            _ = tick.tick() => {
                if answered.is_none() {
                    let byte = if h2 { vec![0, 0, 1, 0, 0, 0, 0, 0, 1, b'a'] } else { vec![b'a'] };
                    if tls.write_all(&byte).await.is_err() || tls.flush().await.is_err() {
                        return (answered, Some(sent.elapsed()), String::new());
                    }
                }
                continue;
            },
            () = tokio::time::sleep_until(deadline) => return (answered, None, String::new()),
        }
        if !h2 {
            if answered.is_none() && received.windows(4).any(|w| w == b"\r\n\r\n") {
                answered = Some(sent.elapsed());
            }
            continue;
        }
        while received.len() >= 9 {
            let len = usize::from(received[0]) << 16
                | usize::from(received[1]) << 8
                | usize::from(received[2]);
            if received.len() < 9 + len {
                break;
            }
            let mut frame: Vec<u8> = received.drain(..9 + len).collect();
            let stream = u32::from_be_bytes([frame[5], frame[6], frame[7], frame[8]]);
            let answer = match (frame[3], frame[4] & 1) {
                (1 | 3, _) if stream == 1 => {
                    answered.get_or_insert_with(|| sent.elapsed());
                    continue;
                }
                (4, 0) => vec![0, 0, 0, 4, 1, 0, 0, 0, 0], // SETTINGS: acknowledged
                (6, 0) => {
                    frame[4] = 1; // PING: answered with the same payload
                    frame
                }
                _ => continue,
            };
            if tls.write_all(&answer).await.is_err() || tls.flush().await.is_err() {
                return (answered, Some(sent.elapsed()), String::new());
            }
        }
    }
}

/// Issue 25: a client that sent the complete head of a setup form POST and then trickled its
/// body (a byte every 250 ms) held its connection and a task for as long as it liked: a request
/// in progress is never idle, and `http.header_timeout_secs` ends with the head. Now reading a
/// body takes at most `http.body_timeout_secs`: the request gets 408, an HTTP/1.1 connection is
/// closed with it (an h2 one is then idle and closes as idle ones do), and visitors are served
/// meanwhile.
#[tokio::test]
async fn issue_25_a_slow_request_body_is_cut_off() {
    const BODY_TIMEOUT: Duration = Duration::from_secs(2);
    const IDLE_TIMEOUT: Duration = Duration::from_secs(2);
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(
        dir.path(),
        &[
            ("STAGEHAND_HTTP_BODY_TIMEOUT_SECS", "2"),
            ("STAGEHAND_HTTP_HEADER_TIMEOUT_SECS", "2"),
        ],
    );
    let link = server.link();
    let path = &link[link.find("/setup/").unwrap()..];
    let give_up = BODY_TIMEOUT + IDLE_TIMEOUT + Duration::from_secs(4);
    let mut slow = Vec::new();
    for (alpn, h2) in [(&b"http/1.1"[..], false), (&b"h2"[..], true)] {
        let tls = tls_from([127, 0, 0, 2], server.port, &[alpn])
            .await
            .unwrap();
        let path = path.to_string();
        slow.push((
            h2,
            tokio::spawn(async move { trickle_body(tls, h2, &path, give_up).await }),
        ));
    }

    tokio::time::sleep(Duration::from_millis(500)).await;
    let visitor = support::client().get(server.url("/healthz")).send();
    let response = tokio::time::timeout(Duration::from_secs(1), visitor).await;
    assert!(
        matches!(&response, Ok(Ok(r)) if r.status() == 200),
        "a visitor was not served while slow bodies trickled in: {response:?}"
    );

    for (h2, task) in slow {
        let (answered, closed, response) = task.await.unwrap();
        let answered = answered.unwrap_or_else(|| {
            panic!("a slow body (h2: {h2}) was still being read after {give_up:?}")
        });
        assert!(
            answered >= BODY_TIMEOUT - Duration::from_millis(100)
                && answered < BODY_TIMEOUT + Duration::from_millis(1500),
            "h2: {h2}: answered after {answered:?}"
        );
        let closed = closed
            .unwrap_or_else(|| panic!("h2: {h2}: the connection stayed open after {give_up:?}"));
        let allowed = if h2 {
            IDLE_TIMEOUT + Duration::from_secs(2)
        } else {
            Duration::from_secs(1)
        };
        assert!(
            closed < answered + allowed,
            "h2: {h2}: closed {closed:?} after the head"
        );
        if !h2 {
            assert!(response.starts_with("HTTP/1.1 408 "), "{response}");
            assert!(response.contains("\r\nconnection: close\r\n"), "{response}");
        }
    }
    let (_, metrics) = get(&server.url("/metrics")).await;
    assert!(
        metrics.contains("stagehand_http_requests_total{route=\"setup\",status=\"408\"} 2\n"),
        "{metrics}"
    );
    server.stop();
}

/// Issue 25 (item 9): the redirect's `Location` was built from the request's `Host` header, so
/// anyone could make the server send a browser elsewhere. It is `public_url`, or else the address
/// the request arrived on, with the HTTPS port.
#[test]
fn issue_25_redirects_ignore_the_host_header() {
    for public_url in [None, Some("https://bot.example.org:9443")] {
        let dir = tempfile::tempdir().unwrap();
        let free = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port()
            .to_string();
        let mut env = vec![("STAGEHAND_HTTP_REDIRECT_PORT", free.as_str())];
        env.extend(public_url.map(|url| ("STAGEHAND_PUBLIC_URL", url)));
        let server = Server::start(dir.path(), &env);
        let mut tcp = TcpStream::connect(("127.0.0.1", free.parse().unwrap())).unwrap();
        tcp.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
        tcp.write_all(
            b"GET /healthz?x=1 HTTP/1.1\r\nHost: evil.example:8443\r\nConnection: close\r\n\r\n",
        )
        .unwrap();
        let mut response = String::new();
        tcp.read_to_string(&mut response).unwrap();
        let location = response
            .lines()
            .find_map(|line| line.strip_prefix("location: "))
            .unwrap_or_else(|| panic!("no Location: {response}"));
        let expected = match public_url {
            Some(url) => format!("{url}/healthz?x=1"),
            None => format!("https://127.0.0.1:{}/healthz?x=1", server.port),
        };
        assert_eq!(location, expected, "{response}");
        server.stop();
    }
}

/// The certificate the server at `port` presents to a client asking for `localhost`.
fn served_certificate(port: u16) -> Vec<u8> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .dangerous()
        .with_custom_certificate_verifier(Arc::new(AcceptAnything))
        .with_no_client_auth();
    let name = rustls::pki_types::ServerName::try_from("localhost").unwrap();
    let mut conn = rustls::ClientConnection::new(Arc::new(config), name).unwrap();
    let mut tcp = TcpStream::connect(("127.0.0.1", port)).unwrap();
    while conn.is_handshaking() {
        conn.complete_io(&mut tcp).unwrap();
    }
    conn.peer_certificates().unwrap()[0].to_vec()
}

/// (common name, DNS names, IP addresses, not before, not after) of a DER certificate.
fn certificate_fields(der: &[u8]) -> (String, Vec<String>, Vec<String>, i64, i64) {
    use x509_parser::prelude::*;
    let (_, cert) = X509Certificate::from_der(der).unwrap();
    let cn = cert.subject().iter_common_name().next().unwrap();
    let (mut dns, mut ips) = (Vec::new(), Vec::new());
    for name in &cert
        .subject_alternative_name()
        .unwrap()
        .unwrap()
        .value
        .general_names
    {
        match name {
            GeneralName::DNSName(name) => dns.push(name.to_string()),
            GeneralName::IPAddress(bytes) => ips.push(match *bytes {
                [a, b, c, d] => std::net::IpAddr::from([*a, *b, *c, *d]).to_string(),
                bytes => std::net::IpAddr::from(<[u8; 16]>::try_from(bytes).unwrap()).to_string(),
            }),
            other => panic!("unexpected name {other:?}"),
        }
    }
    (
        cn.as_str().unwrap().to_string(),
        dns,
        ips,
        cert.validity().not_before.timestamp(),
        cert.validity().not_after.timestamp(),
    )
}

/// Issue 25: the self-signed certificate was valid from 1975 to 4096 and named "rcgen self signed
/// cert". It names the host of `public_url` (with localhost and the loopback addresses), is
/// valid for a year from start-up, and a start-up with fewer than 30 days left renews it.
#[test]
fn issue_25_the_self_signed_certificate_names_the_host_for_a_year_and_is_renewed() {
    const YEAR: i64 = 365 * 86_400;
    let dir = tempfile::tempdir().unwrap();
    let start = support::FAKE_CLOCK_START;
    let run = |now: i64| {
        let now = now.to_string();
        let env = [
            ("STAGEHAND_PUBLIC_URL", "https://Bot.Example.org:8443"),
            (stagehand::clock::FAKE_CLOCK_ENV, now.as_str()),
        ];
        let server = Server::start(dir.path(), &env);
        let der = served_certificate(server.port);
        server.stop();
        der
    };
    let first = run(start);
    let (cn, dns, ips, not_before, not_after) = certificate_fields(&first);
    assert_eq!(cn, "bot.example.org");
    assert_eq!(dns, ["bot.example.org", "localhost"]);
    assert_eq!(ips, ["127.0.0.1", "::1"]);
    assert_eq!((not_before, not_after), (start, start + YEAR));

    // 31 days left: kept; 29 days left: a new one from then.
    assert_eq!(run(start + YEAR - 31 * 86_400), first);
    let later = start + YEAR - 29 * 86_400;
    let renewed = run(later);
    assert_ne!(renewed, first);
    let (cn, _, _, not_before, not_after) = certificate_fields(&renewed);
    assert_eq!(
        (cn.as_str(), not_before, not_after),
        ("bot.example.org", later, later + YEAR)
    );
}

/// A server with the PEM certificate of `pem.test` (made here) as `tls.cert`/`tls.key`, and a
/// client that trusts it.
fn pem_server(dir: &std::path::Path, extra: &[(&str, &str)]) -> (Server, reqwest::Client) {
    let made = rcgen::generate_simple_self_signed(vec!["pem.test".to_string()]).unwrap();
    let (cert, key) = (dir.join("cert.pem"), dir.join("key.pem"));
    std::fs::write(&cert, made.cert.pem()).unwrap();
    std::fs::write(&key, made.signing_key.serialize_pem()).unwrap();
    let mut env = vec![
        ("STAGEHAND_TLS_CERT", cert.to_str().unwrap()),
        ("STAGEHAND_TLS_KEY", key.to_str().unwrap()),
    ];
    env.extend_from_slice(extra);
    let server = Server::start(dir, &env);
    let client = reqwest::Client::builder()
        .tls_built_in_root_certs(false)
        .add_root_certificate(reqwest::Certificate::from_pem(made.cert.pem().as_bytes()).unwrap())
        .resolve("pem.test", ([127, 0, 0, 1], server.port).into())
        .build()
        .unwrap();
    (server, client)
}

/// Issue 25: no response said to stay on HTTPS. With a certificate of its own (`tls.cert`),
/// every response carries `Strict-Transport-Security`; with the self-signed one none does (a
/// browser would then refuse it with no way past).
#[tokio::test]
async fn issue_25_hsts_only_with_a_real_certificate() {
    let dir = tempfile::tempdir().unwrap();
    let (server, client) = pem_server(dir.path(), &[]);
    for path in ["/healthz", "/", "/no-such-page"] {
        let response = client
            .get(format!("https://pem.test:{}{path}", server.port))
            .send()
            .await
            .unwrap();
        assert_eq!(
            response.headers()["strict-transport-security"],
            "max-age=31536000",
            "{path}"
        );
    }
    server.stop();

    let other = tempfile::tempdir().unwrap();
    let server = Server::start(other.path(), &[]);
    let response = support::client()
        .get(server.url("/healthz"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 200);
    assert!(
        !response.headers().contains_key("strict-transport-security"),
        "HSTS with the self-signed certificate"
    );
    server.stop();
}

/// `/metrics` as the client at `from` gets it: (status, body).
async fn metrics_from(server: &Server, from: [u8; 4]) -> (u16, String) {
    let client = reqwest::Client::builder()
        .danger_accept_invalid_certs(true)
        .local_address(std::net::IpAddr::from(from))
        .timeout(Duration::from_secs(5))
        .build()
        .unwrap();
    let response = client.get(server.url("/metrics")).send().await.unwrap();
    let status = response.status().as_u16();
    (status, response.text().await.unwrap())
}

/// Issue 25: `/metrics` was public. By default (`http.metrics = "loopback"`) only 127.0.0.1 and
/// ::1 may read it: a client anywhere else, here 127.0.0.2 (Linux routes all of 127.0.0.0/8 to
/// loopback, so it stands in for a remote client), gets 403. `public` serves everyone; `off`
/// serves no one (404).
#[tokio::test]
async fn issue_25_metrics_are_for_this_machine_unless_made_public() {
    let here = [127, 0, 0, 1];
    let elsewhere = [127, 0, 0, 2];
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path(), &[]);
    let (status, body) = metrics_from(&server, here).await;
    assert_eq!(status, 200);
    assert!(body.contains("stagehand_uptime_seconds "), "{body}");
    let (status, body) = metrics_from(&server, elsewhere).await;
    assert_eq!(status, 403, "{body}");
    assert!(!body.contains("stagehand_"), "{body}");
    server.stop();

    for (setting, here_status, elsewhere_status) in [("public", 200, 200), ("off", 404, 404)] {
        let dir = tempfile::tempdir().unwrap();
        let server = Server::start(dir.path(), &[("STAGEHAND_HTTP_METRICS", setting)]);
        assert_eq!(
            metrics_from(&server, here).await.0,
            here_status,
            "{setting}"
        );
        assert_eq!(
            metrics_from(&server, elsewhere).await.0,
            elsewhere_status,
            "{setting}"
        );
        server.stop();
    }
}
