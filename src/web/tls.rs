//! TLS for the server: TLS 1.2 and 1.3 only (ring), ALPN `h2` and `http/1.1`, a certificate from
//! PEM files when configured, otherwise a self-signed one made once by rcgen and kept in the store.

use crate::store::Read as _;
use std::path::Path;
use std::sync::Arc;

use rustls::ServerConfig;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use serde::{Deserialize, Serialize};

use crate::config::Settings;
use crate::store::{Store, StoreError, Table};

/// The self-signed certificate (key `current`), reused across restarts while its names fit.
pub(crate) const SELF_SIGNED_CERT: Table<str, crate::web::tls::SelfSigned> =
    Table::new("self_signed_cert");

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

/// Names the self-signed certificate covers: localhost, the loopback addresses and the public host.
pub fn self_signed_names(settings: &Settings) -> Vec<String> {
    let mut names = vec![
        "localhost".to_string(),
        "127.0.0.1".to_string(),
        "::1".to_string(),
    ];
    if let Some(host) = settings.public_url.as_ref().and_then(|u| u.0.host_str()) {
        let host = host
            .trim_start_matches('[')
            .trim_end_matches(']')
            .to_string();
        if !names.contains(&host) {
            names.push(host);
        }
    }
    names
}

/// The stored self-signed certificate if it covers `names`, otherwise a new one (stored).
pub fn self_signed(store: &Store, names: &[String]) -> Result<SelfSigned, TlsError> {
    let existing = store.read(|r| r.get(&SELF_SIGNED_CERT, "current"))?;
    if let Some(existing) = existing.filter(|e| e.names == names) {
        return Ok(existing);
    }
    let made = rcgen::generate_simple_self_signed(names.to_vec())?;
    let cert = SelfSigned {
        names: names.to_vec(),
        cert_pem: made.cert.pem(),
        key_pem: made.signing_key.serialize_pem(),
    };
    store.write(|w| w.insert(&SELF_SIGNED_CERT, "current", &cert))?;
    tracing::info!(names = ?names, "made a self-signed certificate");
    Ok(cert)
}

/// The server's TLS configuration from the settings.
pub fn server_config(settings: &Settings, store: &Store) -> Result<Arc<ServerConfig>, TlsError> {
    if let Some(config) = from_files(settings)? {
        return Ok(config);
    }
    let own = self_signed(store, &self_signed_names(settings))?;
    let pem = |detail: rustls::pki_types::pem::Error| TlsError::Pem {
        setting: "the self-signed certificate",
        path: "in the store".into(),
        detail: detail.to_string(),
    };
    let certs = CertificateDer::pem_slice_iter(own.cert_pem.as_bytes())
        .collect::<Result<Vec<_>, _>>()
        .map_err(pem)?;
    let key = PrivateKeyDer::from_pem_slice(own.key_pem.as_bytes()).map_err(pem)?;
    Ok(build(certs, key)?)
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
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut config = ServerConfig::builder_with_provider(provider)
        .with_protocol_versions(&[&rustls::version::TLS13, &rustls::version::TLS12])?
        .with_no_client_auth()
        .with_single_cert(certs, key)?;
    config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    Ok(Arc::new(config))
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

    #[test]
    fn self_signed_is_kept_until_the_names_change() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&dir.path().join("s.redb"), &Default::default()).unwrap();
        let plain = self_signed_names(&settings(&[]));
        let first = self_signed(&store, &plain).unwrap();
        assert_eq!(
            self_signed(&store, &plain).unwrap().cert_pem,
            first.cert_pem
        );
        let public = self_signed_names(&settings(&[(
            "STAGEHAND_PUBLIC_URL",
            "https://bot.example.org:8443",
        )]));
        assert_eq!(public, ["localhost", "127.0.0.1", "::1", "bot.example.org"]);
        assert_ne!(
            self_signed(&store, &public).unwrap().cert_pem,
            first.cert_pem
        );
    }

    #[test]
    fn garbage_pem_files_are_clear_errors() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&dir.path().join("s.redb"), &Default::default()).unwrap();
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
            )
            .unwrap_err();
            assert!(err.to_string().contains(expected), "{err}");
        }
    }
}
