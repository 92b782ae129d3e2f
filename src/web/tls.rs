//! TLS for the server: TLS 1.2 and 1.3 only (ring), ALPN `h2` and `http/1.1`, a certificate from
//! PEM files when configured, otherwise a self-signed one made by rcgen and kept in the store.
//!
//! The self-signed certificate names the server's host (`public_url`'s, else the machine's,
//! else `localhost`) as its subject and, with `localhost` and the loopback addresses, in its
//! alternative names. It is valid for a year from when it is made, and replaced when fewer than
//! 30 days are left: at start-up, and by a daily check while serving.
//!
//! With `tls.acme`, the certificate from the ACME CA (`acme::Acme`) is served once there is one,
//! the self-signed one until then; a handshake that asks for ALPN `acme-tls/1` is the CA's
//! TLS-ALPN-01 check and gets the challenge certificate for its server name (RFC 8737).

use crate::store::Read as _;
use std::path::Path;
use std::sync::{Arc, PoisonError, RwLock, RwLockReadGuard, Weak};

use rustls::ServerConfig;
use rustls::crypto::CryptoProvider;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use rustls::server::{ClientHello, ResolvesServerCert};
use rustls::sign::CertifiedKey;
use serde::{Deserialize, Serialize};

use crate::clock::Clock;
use crate::config::Settings;
use crate::store::{Store, StoreError, Table};
#[cfg(test)]
use crate::x509::der_time;
use crate::x509::validity;

/// The self-signed certificate (key `current`), reused across restarts while its names fit.
pub(crate) const SELF_SIGNED_CERT: Table<str, crate::web::tls::SelfSigned> =
    Table::new("self_signed_cert");

/// The self-signed certificate's row, with its private key: never in a copy that leaves the
/// machine.
pub fn secret_rows() -> Vec<crate::store::Redaction> {
    vec![crate::store::Redaction::table(&SELF_SIGNED_CERT)]
}

/// A self-signed certificate and the names it was made for.
#[derive(Clone, Serialize, Deserialize)]
pub struct SelfSigned {
    pub names: Vec<String>,
    pub cert_pem: String,
    pub key_pem: String,
}

/// Why there is no TLS configuration. A problem with a configured file names its setting
/// (`tls.cert`, `tls.key`) and path.
#[derive(Debug, thiserror::Error)]
pub enum TlsError {
    /// Not `source`: the reason is part of the message, and a source would print it twice.
    #[error("{setting}: cannot read {path}: {reason}")]
    Read {
        setting: &'static str,
        path: String,
        reason: std::io::Error,
    },
    #[error("{setting}: {path}: {detail}")]
    Pem {
        setting: &'static str,
        path: String,
        detail: String,
    },
    #[error("tls.key: {key} is not the key of the certificate in tls.cert ({cert})")]
    KeyMismatch { cert: String, key: String },
    #[error("tls.cert and tls.key were refused: {0}")]
    Files(rustls::Error),
    #[error("making the self-signed certificate: {0}")]
    Generate(#[from] rcgen::Error),
    #[error("the certificate was refused: {0}")]
    Rustls(#[from] rustls::Error),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// How long a self-signed certificate is valid: a year from when it is made.
pub const SELF_SIGNED_VALIDITY_SECS: i64 = 365 * DAY;

/// A self-signed certificate with less than this left is replaced: at start-up, and by the
/// daily check while serving.
pub const RENEW_BEFORE_SECS: i64 = 30 * DAY;

const DAY: i64 = 86_400;

/// Names the self-signed certificate covers, its subject (common name) first: the host of
/// `public_url`, else this machine's host name, else `localhost`; then `localhost` and the
/// loopback addresses.
pub fn self_signed_names(settings: &Settings) -> Vec<String> {
    let public = settings.public_url.as_ref().and_then(|u| u.0.host_str());
    names_for(public, machine_host_name().as_deref())
}

fn names_for(public_host: Option<&str>, machine: Option<&str>) -> Vec<String> {
    let host = public_host.map(|h| h.trim_start_matches('[').trim_end_matches(']'));
    let mut names: Vec<String> = Vec::new();
    for name in host
        .or(machine)
        .into_iter()
        .chain(["localhost", "127.0.0.1", "::1"])
    {
        let name = name.to_ascii_lowercase();
        if !names.contains(&name) {
            names.push(name);
        }
    }
    names
}

/// This machine's host name (Linux: `/proc/sys/kernel/hostname`), when it is a DNS name a
/// certificate can carry.
fn machine_host_name() -> Option<String> {
    let text = std::fs::read_to_string("/proc/sys/kernel/hostname").ok()?;
    let name = text.trim().to_ascii_lowercase();
    rustls::pki_types::DnsName::try_from(name.as_str()).ok()?;
    Some(name)
}

/// The stored self-signed certificate if it covers `names` and is good for more than
/// [`RENEW_BEFORE_SECS`] at `now`, otherwise a new one valid for a year from `now` (stored).
pub fn self_signed(store: &Store, names: &[String], now: i64) -> Result<SelfSigned, TlsError> {
    let existing = stored_self_signed(store)?;
    if let Some(existing) = existing.filter(|e| still_good(e, names, now)) {
        return Ok(existing);
    }
    let cert = generate(names, now)?;
    store.write(|w| w.insert(&SELF_SIGNED_CERT, "current", &cert))?;
    tracing::info!(names = ?names, "made a self-signed certificate, valid for a year");
    Ok(cert)
}

/// The self-signed certificate in the store, if there is one.
pub fn stored_self_signed(store: &Store) -> Result<Option<SelfSigned>, StoreError> {
    store.read(|r| r.get(&SELF_SIGNED_CERT, "current"))
}

/// Whether `cert` may go on being used at `now`: made for `names`, already valid, not ending
/// within [`RENEW_BEFORE_SECS`], and no longer than a year (earlier releases made certificates
/// valid from 1975 to 4096).
fn still_good(cert: &SelfSigned, names: &[String], now: i64) -> bool {
    let Some((not_before, not_after)) =
        first_certificate(&cert.cert_pem).and_then(|d| validity(&d))
    else {
        return false;
    };
    cert.names == names
        && not_before <= now
        && now < not_after - RENEW_BEFORE_SECS
        && not_after - not_before <= SELF_SIGNED_VALIDITY_SECS
}

/// A self-signed certificate for `names` (the first is its common name), valid for
/// [`SELF_SIGNED_VALIDITY_SECS`] from `now`.
fn generate(names: &[String], now: i64) -> Result<SelfSigned, TlsError> {
    let at = |unix: i64| {
        // `time`'s date, reached through rcgen (`time` is not a dependency of ours).
        let secs = std::time::Duration::from_secs(u64::try_from(unix).unwrap_or(0));
        rcgen::date_time_ymd(1970, 1, 1) + secs
    };
    let mut params = rcgen::CertificateParams::new(names.to_vec())?;
    let mut subject = rcgen::DistinguishedName::new();
    subject.push(
        rcgen::DnType::CommonName,
        names.first().map_or("localhost", String::as_str),
    );
    params.distinguished_name = subject;
    params.not_before = at(now);
    params.not_after = at(now.saturating_add(SELF_SIGNED_VALIDITY_SECS));
    params.extended_key_usages = vec![rcgen::ExtendedKeyUsagePurpose::ServerAuth];
    let key = rcgen::KeyPair::generate()?;
    let cert = params.self_signed(&key)?;
    Ok(SelfSigned {
        names: names.to_vec(),
        cert_pem: cert.pem(),
        key_pem: key.serialize_pem(),
    })
}

/// The server's TLS configuration from the settings: the PEM files, or the self-signed
/// certificate, renewed while serving (see [`server_config_with`]).
pub fn server_config(
    settings: &Settings,
    store: &Arc<Store>,
    acme: Option<Arc<crate::acme::Acme>>,
) -> Result<Arc<ServerConfig>, TlsError> {
    server_config_with(settings, store, Clock::from_env().unwrap_or_default(), acme)
}

/// The ALPN protocol of the CA's TLS-ALPN-01 check (RFC 8737).
pub const ACME_TLS_ALPN: &[u8] = b"acme-tls/1";

/// With `tls.acme`: the CA's certificate once there is one, else the self-signed one; the
/// challenge certificate for a handshake that asks for `acme-tls/1`.
struct WithAcme {
    acme: Arc<crate::acme::Acme>,
    fallback: Arc<Renewing>,
}

impl std::fmt::Debug for WithAcme {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WithAcme").finish_non_exhaustive()
    }
}

impl ResolvesServerCert for WithAcme {
    fn resolve(&self, hello: ClientHello<'_>) -> Option<Arc<CertifiedKey>> {
        let challenge = hello
            .alpn()
            .is_some_and(|mut protocols| protocols.any(|p| p == ACME_TLS_ALPN));
        if challenge {
            return hello
                .server_name()
                .and_then(|name| self.acme.challenge_certificate(name));
        }
        self.acme.current().or_else(|| self.fallback.resolve(hello))
    }
}

/// [`server_config`] on `clock`. The self-signed certificate is made or renewed now if it must
/// be; inside a Tokio runtime, a task then looks at it once a day and puts a renewed one in use
/// for the next handshakes, until the configuration is dropped.
fn server_config_with(
    settings: &Settings,
    store: &Arc<Store>,
    clock: Clock,
    acme: Option<Arc<crate::acme::Acme>>,
) -> Result<Arc<ServerConfig>, TlsError> {
    if let Some(config) = from_files(settings)? {
        return Ok(config);
    }
    let own = Arc::new(Renewing::new(
        store.clone(),
        self_signed_names(settings),
        clock,
    )?);
    if let Ok(runtime) = tokio::runtime::Handle::try_current() {
        runtime.spawn(keep_renewed(Arc::downgrade(&own)));
    }
    if let Some(acme) = acme.filter(|_| settings.tls_acme) {
        let mut config = with_resolver(Arc::new(WithAcme {
            acme,
            fallback: own,
        }))?;
        // Last: a client that offers h2 or http/1.1 gets them; only the CA's check asks for this.
        Arc::make_mut(&mut config)
            .alpn_protocols
            .push(ACME_TLS_ALPN.to_vec());
        return Ok(config);
    }
    Ok(with_resolver(own)?)
}

/// How often the self-signed certificate in use is looked at while serving.
const CHECK_EVERY: std::time::Duration = std::time::Duration::from_secs(DAY.unsigned_abs());

/// Once a day, renews the self-signed certificate if it is due, until `own` is gone.
async fn keep_renewed(own: Weak<Renewing>) {
    let mut ticks =
        tokio::time::interval_at(tokio::time::Instant::now() + CHECK_EVERY, CHECK_EVERY);
    loop {
        ticks.tick().await;
        let Some(own) = own.upgrade() else {
            return;
        };
        // Making a key and writing the store block: off the async workers.
        match tokio::task::spawn_blocking(move || own.renew_if_due()).await {
            Ok(Ok(_)) => {}
            Ok(Err(err)) => {
                tracing::warn!(error = %err, "could not renew the self-signed certificate")
            }
            Err(err) => tracing::warn!(error = %err, "the certificate check failed"),
        }
    }
}

/// The self-signed certificate handed to each TLS handshake, swapped for a renewed one when
/// [`Renewing::renew_if_due`] makes one.
struct Renewing {
    store: Arc<Store>,
    names: Vec<String>,
    clock: Clock,
    provider: Arc<CryptoProvider>,
    /// The PEM of the certificate in use, and the certificate with its key.
    current: RwLock<(String, Arc<CertifiedKey>)>,
}

impl std::fmt::Debug for Renewing {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Renewing")
            .field("names", &self.names)
            .finish_non_exhaustive()
    }
}

impl Renewing {
    /// The stored certificate for `names`, or a new one if it is missing or due.
    fn new(store: Arc<Store>, names: Vec<String>, clock: Clock) -> Result<Renewing, TlsError> {
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let own = self_signed(&store, &names, clock.now())?;
        let key = certified(&own, &provider)?;
        Ok(Renewing {
            store,
            names,
            clock,
            provider,
            current: RwLock::new((own.cert_pem, key)),
        })
    }

    /// Renews the certificate if it is due and puts the new one in use; whether it did.
    fn renew_if_due(&self) -> Result<bool, TlsError> {
        let own = self_signed(&self.store, &self.names, self.clock.now())?;
        if own.cert_pem == self.in_use().0 {
            return Ok(false);
        }
        let key = certified(&own, &self.provider)?;
        *self.current.write().unwrap_or_else(PoisonError::into_inner) = (own.cert_pem, key);
        tracing::info!("the renewed self-signed certificate is in use");
        Ok(true)
    }

    fn in_use(&self) -> RwLockReadGuard<'_, (String, Arc<CertifiedKey>)> {
        self.current.read().unwrap_or_else(PoisonError::into_inner)
    }
}

impl ResolvesServerCert for Renewing {
    fn resolve(&self, _: ClientHello<'_>) -> Option<Arc<CertifiedKey>> {
        Some(self.in_use().1.clone())
    }
}

/// The certificate and key of `own`, ready for handshakes.
fn certified(own: &SelfSigned, provider: &CryptoProvider) -> Result<Arc<CertifiedKey>, TlsError> {
    let pem = |detail: rustls::pki_types::pem::Error| TlsError::Pem {
        setting: "the self-signed certificate",
        path: "in the store".into(),
        detail: detail.to_string(),
    };
    let certs = CertificateDer::pem_slice_iter(own.cert_pem.as_bytes())
        .collect::<Result<Vec<_>, _>>()
        .map_err(pem)?;
    let key = PrivateKeyDer::from_pem_slice(own.key_pem.as_bytes()).map_err(pem)?;
    Ok(Arc::new(CertifiedKey::from_der(certs, key, provider)?))
}

/// The first certificate of a PEM text, as DER.
fn first_certificate(pem: &str) -> Option<CertificateDer<'static>> {
    CertificateDer::pem_slice_iter(pem.as_bytes()).next()?.ok()
}

/// The configuration from the PEM files `tls.cert` and `tls.key`, `None` unless both are set:
/// read, parsed and paired exactly as `serve` uses them, so `stagehand check` refuses what
/// `serve` would.
pub fn from_files(settings: &Settings) -> Result<Option<Arc<ServerConfig>>, TlsError> {
    let (Some(cert), Some(key)) = (&settings.tls_cert, &settings.tls_key) else {
        return Ok(None);
    };
    let certs = read_certs(cert)?;
    let private = read_key(key)?;
    build(certs, private).map(Some).map_err(|err| match err {
        rustls::Error::InconsistentKeys(_) => TlsError::KeyMismatch {
            cert: cert.display().to_string(),
            key: key.display().to_string(),
        },
        other => TlsError::Files(other),
    })
}

fn build(
    certs: Vec<CertificateDer<'static>>,
    key: PrivateKeyDer<'static>,
) -> Result<Arc<ServerConfig>, rustls::Error> {
    let config = builder()?.with_single_cert(certs, key)?;
    Ok(finish(config))
}

fn with_resolver(
    resolver: Arc<dyn ResolvesServerCert>,
) -> Result<Arc<ServerConfig>, rustls::Error> {
    Ok(finish(builder()?.with_cert_resolver(resolver)))
}

/// TLS 1.3 and 1.2 with ring, no client certificates.
fn builder()
-> Result<rustls::ConfigBuilder<ServerConfig, rustls::server::WantsServerCert>, rustls::Error> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    Ok(ServerConfig::builder_with_provider(provider)
        .with_protocol_versions(&[&rustls::version::TLS13, &rustls::version::TLS12])?
        .with_no_client_auth())
}

/// ALPN: `h2`, then `http/1.1`. The server's order of cipher suites wins over the client's
/// (ring's: AES-256-GCM, AES-128-GCM, then ChaCha20-Poly1305, every one AEAD with forward
/// secrecy), so a client that lists a weaker suite first still gets the strongest both know;
/// `testssl.sh` counts a server without an order of its own as a high-severity finding.
fn finish(mut config: ServerConfig) -> Arc<ServerConfig> {
    config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    config.ignore_client_order = true;
    Arc::new(config)
}

fn read(setting: &'static str, path: &Path) -> Result<Vec<u8>, TlsError> {
    std::fs::read(path).map_err(|reason| TlsError::Read {
        setting,
        path: path.display().to_string(),
        reason,
    })
}

fn read_certs(path: &Path) -> Result<Vec<CertificateDer<'static>>, TlsError> {
    let pem = |detail: String| TlsError::Pem {
        setting: "tls.cert",
        path: path.display().to_string(),
        detail,
    };
    let bytes = read("tls.cert", path)?;
    let certs = CertificateDer::pem_slice_iter(&bytes)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| pem(e.to_string()))?;
    if certs.is_empty() {
        return Err(pem("no certificate in the file".into()));
    }
    Ok(certs)
}

fn read_key(path: &Path) -> Result<PrivateKeyDer<'static>, TlsError> {
    PrivateKeyDer::from_pem_slice(&read("tls.key", path)?).map_err(|e| TlsError::Pem {
        setting: "tls.key",
        path: path.display().to_string(),
        detail: format!("no usable private key ({e})"),
    })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use crate::config::{Layers, Sources};

    fn settings(env: &[(&str, &str)]) -> Settings {
        let env = env
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        Layers::collect(&Sources {
            env,
            ..Sources::default()
        })
        .settings()
        .unwrap()
    }

    /// 2026-11-01 00:00 UTC.
    const NOW: i64 = 1_793_491_200;

    fn names(list: &[&str]) -> Vec<String> {
        list.iter().map(ToString::to_string).collect()
    }

    /// (common name, DNS names, IP addresses, not before, not after) of a PEM certificate, as
    /// x509-parser reads it.
    fn fields(pem: &str) -> (String, Vec<String>, Vec<String>, i64, i64) {
        use x509_parser::prelude::*;
        let der = first_certificate(pem).unwrap();
        let (_, cert) = X509Certificate::from_der(&der).unwrap();
        let cn = cert
            .subject()
            .iter_common_name()
            .map(|cn| cn.as_str().unwrap().to_string())
            .collect::<Vec<_>>();
        assert_eq!(cn.len(), 1);
        let (mut dns, mut ips) = (Vec::new(), Vec::new());
        for name in &cert
            .subject_alternative_name()
            .unwrap()
            .unwrap()
            .value
            .general_names
        {
            match name {
                GeneralName::DNSName(n) => dns.push(n.to_string()),
                GeneralName::IPAddress(bytes) => ips.push(match bytes.len() {
                    4 => std::net::IpAddr::from(<[u8; 4]>::try_from(*bytes).unwrap()).to_string(),
                    _ => std::net::IpAddr::from(<[u8; 16]>::try_from(*bytes).unwrap()).to_string(),
                }),
                other => panic!("{other:?}"),
            }
        }
        let validity = cert.validity();
        (
            cn[0].clone(),
            dns,
            ips,
            validity.not_before.timestamp(),
            validity.not_after.timestamp(),
        )
    }

    #[test]
    fn the_names_put_the_host_first_then_localhost_and_loopback() {
        let loopback = ["localhost", "127.0.0.1", "::1"];
        for (public, machine, expected) in [
            (
                Some("bot.example.org"),
                Some("box"),
                &["bot.example.org"][..],
            ),
            (Some("[2001:db8::5]"), None, &["2001:db8::5"]),
            (Some("Bot.Example.ORG"), None, &["bot.example.org"]),
            (None, Some("box"), &["box"]),
            (None, None, &[]),
            (Some("localhost"), Some("box"), &[]),
        ] {
            let expected: Vec<&str> = expected.iter().chain(&loopback).copied().collect();
            assert_eq!(
                names_for(public, machine),
                expected,
                "{public:?} {machine:?}"
            );
        }
        let public = self_signed_names(&settings(&[(
            "STAGEHAND_PUBLIC_URL",
            "https://bot.example.org:8443",
        )]));
        assert_eq!(public, ["bot.example.org", "localhost", "127.0.0.1", "::1"]);
    }

    /// Issue 25: the self-signed certificate was valid from 1975 to 4096 with the common name
    /// "rcgen self signed cert". It names the host and is valid for a year from when it is made.
    #[test]
    fn issue_25_the_self_signed_certificate_names_the_host_for_a_year() {
        let (_dir, store) = Store::temporary();
        let own = self_signed(
            &store,
            &names(&["bot.example.org", "localhost", "127.0.0.1", "::1"]),
            NOW,
        )
        .unwrap();
        let (cn, dns, ips, not_before, not_after) = fields(&own.cert_pem);
        assert_eq!(cn, "bot.example.org");
        assert_eq!(dns, ["bot.example.org", "localhost"]);
        assert_eq!(ips, ["127.0.0.1", "::1"]);
        assert_eq!(
            (not_before, not_after),
            (NOW, NOW + SELF_SIGNED_VALIDITY_SECS)
        );
        // Our own reading of the validity agrees with x509-parser's.
        let der = first_certificate(&own.cert_pem).unwrap();
        assert_eq!(validity(&der), Some((not_before, not_after)));

        let plain = self_signed(&store, &names(&["localhost", "127.0.0.1", "::1"]), NOW).unwrap();
        assert_eq!(fields(&plain.cert_pem).0, "localhost");
    }

    #[test]
    fn self_signed_is_kept_until_the_names_change_or_30_days_are_left() {
        let (_dir, store) = Store::temporary();
        let plain = names(&["localhost", "127.0.0.1", "::1"]);
        let first = self_signed(&store, &plain, NOW).unwrap();
        let last_day = NOW + SELF_SIGNED_VALIDITY_SECS - RENEW_BEFORE_SECS - 1;
        for now in [NOW, NOW + 1, last_day] {
            assert_eq!(
                self_signed(&store, &plain, now).unwrap().cert_pem,
                first.cert_pem
            );
        }
        let renewed = self_signed(&store, &plain, last_day + 1).unwrap();
        assert_ne!(
            renewed.cert_pem, first.cert_pem,
            "renewed with 30 days left"
        );
        assert_eq!(fields(&renewed.cert_pem).3, last_day + 1);
        assert_eq!(
            stored_self_signed(&store).unwrap().unwrap().cert_pem,
            renewed.cert_pem
        );

        let public = names(&["bot.example.org", "localhost", "127.0.0.1", "::1"]);
        let other = self_signed(&store, &public, last_day + 2).unwrap();
        assert_ne!(
            other.cert_pem, renewed.cert_pem,
            "new names, new certificate"
        );
        // A clock set back before the certificate began gets a new one too.
        assert_ne!(
            self_signed(&store, &public, NOW).unwrap().cert_pem,
            other.cert_pem
        );
    }

    /// Issue 25: a certificate an earlier release stored (1975 to 4096, same names) is replaced.
    #[test]
    fn issue_25_a_certificate_of_an_earlier_release_is_replaced() {
        let (_dir, store) = Store::temporary();
        let plain = names(&["localhost", "127.0.0.1", "::1"]);
        let made = rcgen::generate_simple_self_signed(plain.clone()).unwrap();
        let old = SelfSigned {
            names: plain.clone(),
            cert_pem: made.cert.pem(),
            key_pem: made.signing_key.serialize_pem(),
        };
        let der = first_certificate(&old.cert_pem).unwrap();
        assert_eq!(
            validity(&der).map(|(b, _)| b),
            Some(157_766_400),
            "1975-01-01"
        );
        store
            .write(|w| w.insert(&SELF_SIGNED_CERT, "current", &old))
            .unwrap();
        let now = self_signed(&store, &plain, NOW).unwrap();
        assert_ne!(now.cert_pem, old.cert_pem);
        assert_eq!(fields(&now.cert_pem).4, NOW + SELF_SIGNED_VALIDITY_SECS);
    }

    /// Issue 25: while serving, the daily check puts a renewed certificate in use.
    #[test]
    fn issue_25_the_daily_check_renews_the_certificate_in_use() {
        let (_dir, store) = Store::temporary();
        let store = Arc::new(store);
        let clock = Clock::manual(NOW);
        let own = Renewing::new(store.clone(), names(&["localhost"]), clock.clone()).unwrap();
        let first = own.in_use().clone();
        assert!(!own.renew_if_due().unwrap());
        clock.advance(SELF_SIGNED_VALIDITY_SECS - RENEW_BEFORE_SECS - DAY);
        assert!(!own.renew_if_due().unwrap(), "31 days left: kept");
        clock.advance(DAY);
        assert!(own.renew_if_due().unwrap(), "30 days left: renewed");
        let (pem, key) = own.in_use().clone();
        assert_ne!(pem, first.0);
        assert_ne!(key.cert, first.1.cert);
        assert_eq!(fields(&pem).3, clock.now());
        assert_eq!(stored_self_signed(&store).unwrap().unwrap().cert_pem, pem);
    }

    #[test]
    fn the_validity_reader_refuses_garbage() {
        for der in [
            &b""[..],
            b"\x30",
            b"\x30\x84\xff\xff\xff\xff",
            b"\x31\x00",
            b"\x30\x03\x30\x01",
        ] {
            assert_eq!(validity(der), None, "{der:?}");
        }
        let utc = |text: &str| {
            let mut der = vec![0x17, u8::try_from(text.len()).unwrap()];
            der.extend(text.bytes());
            der_time(&der).map(|(t, _)| t)
        };
        assert_eq!(utc("261101000000Z"), Some(NOW));
        assert_eq!(utc("750101000000Z"), Some(157_766_400));
        for bad in [
            "261301000000Z",
            "2611010000Z",
            "26110100000aZ",
            "261101000000",
        ] {
            assert_eq!(utc(bad), None, "{bad}");
        }
    }

    #[test]
    fn garbage_pem_files_are_clear_errors() {
        let dir = tempfile::tempdir().unwrap();
        let store = Arc::new(Store::open(&dir.path().join("s.redb"), &Default::default()).unwrap());
        let junk = dir.path().join("junk.pem");
        std::fs::write(&junk, "-----BEGIN CERTIFICATE-----\nnot base64!\n").unwrap();
        let missing = dir.path().join("missing.pem");
        let junk_s = junk.to_str().unwrap();
        for (cert, key, expected) in [
            (junk_s, junk_s, "junk.pem"),
            (missing.to_str().unwrap(), junk_s, "cannot read"),
        ] {
            let err = server_config(
                &settings(&[("STAGEHAND_TLS_CERT", cert), ("STAGEHAND_TLS_KEY", key)]),
                &store,
                None,
            )
            .unwrap_err();
            assert!(err.to_string().contains(expected), "{err}");
        }
    }
}
