//! Issue 26: certificates by ACME, against Pebble (Debian's `pebble`, started by the test on
//! loopback with `pebble-challtestsrv` as its DNS, so `bot.stagehand.test` is 127.0.0.1).
//!
//! TLS-ALPN-01 on the HTTPS port: the certificate is issued at first start and served to a TLS
//! client that trusts only Pebble's root; the manual clock, moved to 29 days before its expiry,
//! makes the scheduler renew it; with Pebble stopped, the next renewal fails, the renewed
//! certificate stays in use, and the failure is logged and recorded as an audit event (which
//! the `log` route posts). HTTP-01 on the redirect port gets a certificate too. The ACME
//! account's key never reaches a snapshot.

use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::support::Server;
use crate::support::pebble::{Pebble, free_port};

const DOMAIN: &str = "bot.stagehand.test";

fn block_on<F: std::future::Future>(future: F) -> F::Output {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
        .block_on(future)
}

/// The leaf certificate `127.0.0.1:port` presents for `DOMAIN`, checked against `root` (PEM):
/// (serial in hex, not after).
fn served_certificate(port: u16, root: &str) -> (String, i64) {
    use rustls::pki_types::pem::PemObject as _;
    let mut roots = rustls::RootCertStore::empty();
    for cert in rustls::pki_types::CertificateDer::pem_slice_iter(root.as_bytes()) {
        roots.add(cert.unwrap()).unwrap();
    }
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_root_certificates(roots)
        .with_no_client_auth();
    let name = rustls::pki_types::ServerName::try_from(DOMAIN).unwrap();
    let mut connection = rustls::ClientConnection::new(Arc::new(config), name).unwrap();
    let mut tcp = std::net::TcpStream::connect(("127.0.0.1", port)).unwrap();
    tcp.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    while connection.is_handshaking() {
        connection
            .complete_io(&mut tcp)
            .unwrap_or_else(|err| panic!("the TLS handshake with Pebble's root failed: {err}"));
    }
    let leaf = connection.peer_certificates().unwrap()[0].clone();
    let (_, parsed) = x509_parser::parse_x509_certificate(&leaf).unwrap();
    (
        parsed.raw_serial_as_string(),
        parsed.validity().not_after.timestamp(),
    )
}

/// Waits until the server's log holds `needle` `times` times.
fn wait_log(server: &Server, needle: &str, times: usize, what: &str) {
    let deadline = Instant::now() + Duration::from_secs(90);
    while server.stderr().matches(needle).count() < times {
        assert!(
            Instant::now() < deadline,
            "timed out waiting for {what}:\n{}",
            server.stderr()
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

#[test]
fn issue_26_acme_issues_at_first_start_renews_on_the_clock_and_keeps_the_certificate_when_renewal_fails()
 {
    let dir = tempfile::tempdir().unwrap();
    let https_port = free_port();
    let mut pebble = Pebble::start(&dir.path().join("pebble"), https_port, free_port());
    let port = https_port.to_string();
    let api_ca = pebble.api_ca.display().to_string();
    let start = stagehand::clock::unix_now().to_string();
    let server = Server::start(
        dir.path(),
        &[
            ("STAGEHAND_HTTP_PORT", &port),
            ("STAGEHAND_PUBLIC_URL", &format!("https://{DOMAIN}")),
            ("STAGEHAND_TLS_ACME", "true"),
            ("STAGEHAND_TLS_ACME_DIRECTORY", &pebble.directory),
            ("STAGEHAND_TLS_ACME_CA_CERT", &api_ca),
            ("STAGEHAND_TLS_ACME_EMAIL", "admin@stagehand.test"),
            (stagehand::clock::FAKE_CLOCK_ENV, &start),
        ],
    );
    let in_use = "the certificate from the ACME CA is in use";
    let started = Instant::now();
    wait_log(&server, in_use, 1, "the first certificate");
    eprintln!(
        "figure ACME issuance against Pebble {:?}",
        started.elapsed()
    );
    let root = pebble.root_pem();
    let (first, not_after) = served_certificate(https_port, &root);
    assert!(
        not_after > stagehand::clock::unix_now() + 30 * 86_400,
        "{not_after}"
    );

    // Over HTTPS, with only Pebble's root trusted: the page, and HSTS now the certificate is real.
    let client = reqwest::Client::builder()
        .tls_built_in_root_certs(false)
        .add_root_certificate(reqwest::Certificate::from_pem(root.as_bytes()).unwrap())
        .resolve(DOMAIN, ([127, 0, 0, 1], https_port).into())
        .build()
        .unwrap();
    let response = block_on(
        client
            .get(format!("https://{DOMAIN}:{https_port}/healthz"))
            .send(),
    )
    .unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(
        response.headers()["strict-transport-security"],
        "max-age=31536000"
    );

    // 29 days before it expires (on Stagehand's clock), the scheduler renews it.
    let now = stagehand::clock::unix_now();
    block_on(server.advance_clock(not_after - 29 * 86_400 - now));
    wait_log(&server, in_use, 2, "the renewed certificate");
    let (second, _) = served_certificate(https_port, &root);
    assert_ne!(first, second, "a new certificate is served");

    // Pebble down: the next renewal (an hour on, as the renewed certificate is due on this
    // clock too) fails; the certificate in use stays, the failure is logged and recorded.
    pebble.stop();
    block_on(server.advance_clock(2 * 3_600));
    wait_log(
        &server,
        "getting a certificate from the ACME CA failed",
        1,
        "the failed renewal",
    );
    let (still, _) = served_certificate(https_port, &root);
    assert_eq!(
        still, second,
        "the certificate in use stays after a failed renewal"
    );
    server.stop();

    let store =
        stagehand::store::Store::open(&dir.path().join("data/stagehand.redb"), &Default::default())
            .unwrap();
    let events = store
        .read(|r| {
            stagehand::audit::query(
                r,
                stagehand::audit::Index::All,
                stagehand::audit::Position {
                    at: 0,
                    id: stagehand::audit::EventId(0),
                },
                i64::MAX,
                100,
            )
        })
        .unwrap();
    // The daily snapshot's BACKUP_SAVED falls among them as the clock moves on.
    let events: Vec<_> = events
        .into_iter()
        .filter(|(_, e)| e.kind.name().starts_with("CERTIFICATE_"))
        .collect();
    let kinds: Vec<&str> = events.iter().map(|(_, e)| e.kind.name()).collect();
    assert_eq!(
        kinds,
        [
            "CERTIFICATE_ISSUED",
            "CERTIFICATE_ISSUED",
            "CERTIFICATE_RENEWAL_FAILED"
        ]
    );
    let failed = &events[2].1;
    assert!(
        failed.summary().contains(&format!("domain={DOMAIN}")),
        "{}",
        failed.summary()
    );
    assert!(
        failed.summary().contains("in_use_until="),
        "{}",
        failed.summary()
    );

    // A snapshot leaves the ACME account's key on this machine.
    let snapshot = dir.path().join("snapshot.redb");
    store.snapshot_to(&snapshot, &mut |_, _| {}).unwrap();
    let copy = stagehand::store::Store::open(&snapshot, &Default::default()).unwrap();
    let tables = copy.table_names().unwrap();
    assert!(tables.iter().any(|t| t == "acme_certificate"), "{tables:?}");
    assert!(
        !tables
            .iter()
            .any(|t| t.starts_with(stagehand::store::LOCAL_PREFIX)),
        "{tables:?}"
    );
    assert!(
        store
            .table_names()
            .unwrap()
            .iter()
            .any(|t| t == "local_acme_account")
    );
}

#[test]
fn issue_26_acme_http_01_on_the_redirect_port() {
    let dir = tempfile::tempdir().unwrap();
    let (https_port, http_port) = (free_port(), free_port());
    let pebble = Pebble::start(&dir.path().join("pebble"), free_port(), http_port);
    let (https, http) = (https_port.to_string(), http_port.to_string());
    let api_ca = pebble.api_ca.display().to_string();
    let server = Server::start(
        dir.path(),
        &[
            ("STAGEHAND_HTTP_PORT", &https),
            ("STAGEHAND_HTTP_REDIRECT_PORT", &http),
            ("STAGEHAND_PUBLIC_URL", &format!("https://{DOMAIN}")),
            ("STAGEHAND_TLS_ACME", "true"),
            ("STAGEHAND_TLS_ACME_CHALLENGE", "http-01"),
            ("STAGEHAND_TLS_ACME_DIRECTORY", &pebble.directory),
            ("STAGEHAND_TLS_ACME_CA_CERT", &api_ca),
        ],
    );
    wait_log(
        &server,
        "the certificate from the ACME CA is in use",
        1,
        "a certificate by HTTP-01",
    );
    served_certificate(https_port, &pebble.root_pem());
    // Outside an order, the challenge path answers 404, and every other path still redirects.
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let status = |path: &str| {
        block_on(
            client
                .get(format!("http://127.0.0.1:{http_port}{path}"))
                .send(),
        )
        .unwrap()
        .status()
        .as_u16()
    };
    assert_eq!(status("/.well-known/acme-challenge/unknown"), 404);
    assert_eq!(status("/healthz"), 308);
    server.stop();
}
