//! Pebble, Let's Encrypt's test ACME server (Debian's `pebble` package), started on loopback
//! for a test: its API on HTTPS with a certificate from a CA made here (which Stagehand trusts
//! through `tls.acme_ca_cert`), its validation pointed at Stagehand's ports, and names looked up
//! through `pebble-challtestsrv`'s DNS, which answers 127.0.0.1 for every name. The certificates
//! Pebble issues chain to a root it makes at start-up, fetched from its management port.

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub struct Pebble {
    pebble: Option<Child>,
    dns: Option<Child>,
    /// The ACME directory URL.
    pub directory: String,
    /// The CA of Pebble's API certificate (PEM file).
    pub api_ca: PathBuf,
    management: u16,
    config: PathBuf,
    dns_port: u16,
    log: PathBuf,
}

/// A free TCP port on loopback (free when asked; good enough for a test's own servers).
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn free_udp_port() -> u16 {
    std::net::UdpSocket::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

impl Pebble {
    /// Starts Pebble in `dir`, validating TLS-ALPN-01 on `tls_port` and HTTP-01 on
    /// `http_port` of 127.0.0.1.
    pub fn start(dir: &Path, tls_port: u16, http_port: u16) -> Pebble {
        std::fs::create_dir_all(dir).unwrap();
        let (api_ca, cert, key) = api_certificate(dir);
        let (listen, management, dns_port) = (free_port(), free_port(), free_udp_port());
        let config = dir.join("pebble-config.json");
        std::fs::write(
            &config,
            serde_json::to_vec_pretty(&serde_json::json!({
                "pebble": {
                    "listenAddress": format!("127.0.0.1:{listen}"),
                    "managementListenAddress": format!("127.0.0.1:{management}"),
                    "certificate": cert,
                    "privateKey": key,
                    "httpPort": http_port,
                    "tlsPort": tls_port,
                    "ocspResponderURL": "",
                    "externalAccountBindingRequired": false
                }
            }))
            .unwrap(),
        )
        .unwrap();
        let mut pebble = Pebble {
            pebble: None,
            dns: None,
            directory: format!("https://127.0.0.1:{listen}/dir"),
            api_ca,
            management,
            config,
            dns_port,
            log: dir.join("pebble.log"),
        };
        pebble.dns = Some(
            Command::new("pebble-challtestsrv")
                .args(["-dns01", &format!("127.0.0.1:{dns_port}")])
                .args(["-http01", "", "-https01", "", "-tlsalpn01", ""])
                .args(["-management", &format!("127.0.0.1:{}", free_port())])
                .args(["-defaultIPv4", "127.0.0.1", "-defaultIPv6", ""])
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .expect("pebble-challtestsrv (Debian's pebble package) must be installed"),
        );
        pebble.resume();
        pebble
    }

    /// Starts Pebble (again, after [`Pebble::stop`]) and waits until its directory answers.
    pub fn resume(&mut self) {
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&self.log)
            .unwrap();
        let child = Command::new("pebble")
            .arg("-config")
            .arg(&self.config)
            .args(["-dnsserver", &format!("127.0.0.1:{}", self.dns_port)])
            // No random waits, no refused nonces, no reused authorizations: the test is about
            // Stagehand, not about Pebble's chaos.
            .env("PEBBLE_VA_NOSLEEP", "1")
            .env("PEBBLE_WFE_NONCEREJECT", "0")
            .env("PEBBLE_AUTHZREUSE", "0")
            .stdout(log.try_clone().unwrap())
            .stderr(log)
            .spawn()
            .expect("pebble (Debian's pebble package) must be installed");
        self.pebble = Some(child);
        let client = self.client();
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            if client
                .get(&self.directory)
                .send()
                .is_ok_and(|r| r.status().is_success())
            {
                return;
            }
            assert!(
                Instant::now() < deadline,
                "pebble did not start: {}",
                std::fs::read_to_string(&self.log).unwrap_or_default()
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// Stops Pebble (its DNS stays).
    pub fn stop(&mut self) {
        if let Some(mut child) = self.pebble.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// A client that trusts Pebble's API certificate.
    fn client(&self) -> reqwest::blocking::Client {
        let ca = reqwest::Certificate::from_pem(&std::fs::read(&self.api_ca).unwrap()).unwrap();
        reqwest::blocking::Client::builder()
            .add_root_certificate(ca)
            .timeout(Duration::from_secs(10))
            .build()
            .unwrap()
    }

    /// The root the certificates Pebble issues chain to (PEM); a new one each start.
    pub fn root_pem(&self) -> String {
        self.client()
            .get(format!("https://127.0.0.1:{}/roots/0", self.management))
            .send()
            .unwrap()
            .text()
            .unwrap()
    }

    /// What Pebble logged.
    pub fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }
}

impl Drop for Pebble {
    fn drop(&mut self) {
        self.stop();
        if let Some(mut child) = self.dns.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

/// A CA and, signed by it, the certificate of Pebble's API for 127.0.0.1 and localhost:
/// (CA file, certificate file, key file).
fn api_certificate(dir: &Path) -> (PathBuf, String, String) {
    let ca_key = rcgen::KeyPair::generate().unwrap();
    let mut ca_params = rcgen::CertificateParams::new(Vec::<String>::new()).unwrap();
    ca_params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
    ca_params.distinguished_name.push(
        rcgen::DnType::CommonName,
        "Stagehand test CA for Pebble's API",
    );
    let ca = ca_params.self_signed(&ca_key).unwrap();
    let issuer = rcgen::Issuer::new(ca_params, ca_key);
    let key = rcgen::KeyPair::generate().unwrap();
    let params =
        rcgen::CertificateParams::new(vec!["127.0.0.1".to_string(), "localhost".to_string()])
            .unwrap();
    let cert = params.signed_by(&key, &issuer).unwrap();
    let ca_path = dir.join("pebble-api-ca.pem");
    std::fs::write(&ca_path, ca.pem()).unwrap();
    let cert_path = dir.join("pebble-api-cert.pem");
    std::fs::write(&cert_path, cert.pem()).unwrap();
    let key_path = dir.join("pebble-api-key.pem");
    std::fs::write(&key_path, key.serialize_pem()).unwrap();
    (
        ca_path,
        cert_path.display().to_string(),
        key_path.display().to_string(),
    )
}
