//! The HTTPS certificate from an ACME CA (`tls.acme`): Let's Encrypt by default, any RFC 8555
//! directory by `tls.acme_directory` (Pebble in the tests). [`Acme`] is what the web server and
//! the scheduler share: the certificate in use, and the answers to the CA's challenges while an
//! order is open (TLS-ALPN-01 certificates by domain, HTTP-01 key authorizations by token).
//!
//! [`renew_if_due`] is the scheduler's job: it orders a certificate when there is none for
//! `public_url`'s domain or fewer than 30 days are left, stores it, and puts it in use; when it
//! fails, the certificate in use stays (until its expiry, and nothing replaces it by a worse
//! one), and the failure is logged and recorded as an audit event, which the `log` route posts.
//!
//! The account (its key signs every request to the CA) lives in `local_acme_account`, a table
//! snapshots leave out: a backup carries no ACME credential, and a restored store registers a
//! new account. The certificate and its key live in `acme_certificate` like the self-signed
//! one. Uses instant-acme for the protocol over Stagehand's reqwest client; may call `store`,
//! `config`, `audit`.

use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, PoisonError, RwLock};

use bytes::Bytes;
use http_body_util::BodyExt as _;
use instant_acme::{
    Account, AccountCredentials, AuthorizationStatus, BodyWrapper, BytesResponse, ChallengeType,
    Identifier, NewAccount, NewOrder, OrderStatus, RetryPolicy,
};
use rustls::crypto::CryptoProvider;
use rustls::pki_types::pem::PemObject as _;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use rustls::sign::CertifiedKey;
use serde::{Deserialize, Serialize};

use crate::audit::{self, Actor, Event, EventKind};
use crate::config::{AcmeChallenge, Settings};
use crate::store::{Read, Store, StoreError, Table};

/// The ACME account per directory URL (its credentials as instant-acme writes them, JSON with
/// the account's private key). `local_`: never copied into a snapshot.
const ACCOUNTS: Table<str, String> = Table::new("local_acme_account");
/// The certificate from the CA, key `current`.
const CERTIFICATE: Table<str, Issued> = Table::new("acme_certificate");
/// When the last order was tried, key `last_attempt` (unix seconds).
const ATTEMPTS: Table<str, i64> = Table::new("acme_attempts");

/// A certificate is renewed when fewer than this many seconds are left: 30 days.
pub const RENEW_BEFORE: i64 = 30 * 86_400;
/// After a failed order, the next waits this long (Let's Encrypt allows 5 failed validations
/// per hour): an hour.
pub const RETRY_AFTER: i64 = 3_600;
/// The longest one order may take, from the account to the certificate.
const ORDER_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(180);

/// A certificate from the CA, with what it was ordered for.
#[derive(Clone, Serialize, Deserialize)]
pub struct Issued {
    pub domain: String,
    pub directory: String,
    /// The chain, leaf first.
    pub cert_pem: String,
    pub key_pem: String,
    pub not_after: i64,
    pub issued_at: i64,
}

impl std::fmt::Debug for Issued {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Issued")
            .field("domain", &self.domain)
            .field("not_after", &self.not_after)
            .finish_non_exhaustive()
    }
}

/// Why an order failed; nothing in use has changed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum AcmeError {
    #[error("tls.acme needs public_url with a domain name")]
    NoDomain,
    #[error("tls.acme_ca_cert: {0}")]
    CaCert(String),
    #[error("the ACME CA: {0}")]
    Protocol(#[from] instant_acme::Error),
    #[error("the ACME CA refused the {challenge} challenge for {domain}: {detail}")]
    Refused {
        challenge: &'static str,
        domain: String,
        detail: String,
    },
    #[error("the ACME CA offers no {challenge} challenge for {domain}")]
    NoChallenge {
        challenge: &'static str,
        domain: String,
    },
    #[error("the order ended as {0:?}")]
    Order(OrderStatus),
    #[error("the order took longer than {0:?}")]
    Timeout(std::time::Duration),
    #[error("the certificate from the CA is not usable: {0}")]
    Certificate(String),
    #[error("making a key or a request: {0}")]
    Key(#[from] rcgen::Error),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// What the web server and the scheduler share.
pub struct Acme {
    provider: Arc<CryptoProvider>,
    current: RwLock<Option<Arc<CertifiedKey>>>,
    alpn: RwLock<HashMap<String, Arc<CertifiedKey>>>,
    http: RwLock<HashMap<String, String>>,
}

impl std::fmt::Debug for Acme {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Acme").finish_non_exhaustive()
    }
}

impl Acme {
    /// The state for `serve`, with the stored certificate in use when it fits `settings`.
    pub fn load(store: &Store, settings: &Settings) -> Result<Arc<Acme>, StoreError> {
        let acme = Arc::new(Acme {
            provider: Arc::new(rustls::crypto::ring::default_provider()),
            current: RwLock::new(None),
            alpn: RwLock::new(HashMap::new()),
            http: RwLock::new(HashMap::new()),
        });
        if let Some(issued) = store.read(|r| stored(r, settings))? {
            match certified(&issued, &acme.provider) {
                Ok(key) => acme.put_in_use(key),
                Err(err) => {
                    tracing::warn!(error = %err, "the stored ACME certificate is not usable")
                }
            }
        }
        Ok(acme)
    }

    /// The certificate from the CA now in use, if there is one.
    pub fn current(&self) -> Option<Arc<CertifiedKey>> {
        self.current
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// The TLS-ALPN-01 certificate for `domain` while its challenge is open.
    pub fn challenge_certificate(&self, domain: &str) -> Option<Arc<CertifiedKey>> {
        let domain = domain.to_ascii_lowercase();
        self.alpn
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .get(&domain)
            .cloned()
    }

    /// The HTTP-01 key authorization for `token` while its challenge is open.
    pub fn http_answer(&self, token: &str) -> Option<String> {
        self.http
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .get(token)
            .cloned()
    }

    fn put_in_use(&self, key: Arc<CertifiedKey>) {
        *self.current.write().unwrap_or_else(PoisonError::into_inner) = Some(key);
    }

    fn clear_challenges(&self) {
        self.alpn
            .write()
            .unwrap_or_else(PoisonError::into_inner)
            .clear();
        self.http
            .write()
            .unwrap_or_else(PoisonError::into_inner)
            .clear();
    }
}

/// The stored certificate, when it was ordered for `settings`' domain from its directory.
fn stored(r: &impl Read, settings: &Settings) -> Result<Option<Issued>, StoreError> {
    let Some(domain) = settings.acme_domain() else {
        return Ok(None);
    };
    let issued = r.get(&CERTIFICATE, "current")?;
    Ok(
        issued
            .filter(|i| i.domain == domain && i.directory == settings.tls_acme_directory.as_str()),
    )
}

/// When the renewal job is due next, seen at `now`: 30 days before the certificate's expiry;
/// without a fitting certificate, now (but an hour after a failed attempt). `None` while
/// `tls.acme` is off.
pub fn next_due(r: &impl Read, settings: &Settings, now: i64) -> Result<Option<i64>, StoreError> {
    if !settings.tls_acme {
        return Ok(None);
    }
    match stored(r, settings)? {
        Some(issued) if issued.not_after - RENEW_BEFORE > now => {
            Ok(Some(issued.not_after - RENEW_BEFORE))
        }
        _ => Ok(Some(now.saturating_add(RETRY_AFTER))),
    }
}

/// Whether a renewal is owed now though its due time is later: there is no certificate for
/// the current domain and directory (the settings changed), and the last attempt is an hour old.
pub fn owed(r: &impl Read, settings: &Settings, now: i64) -> Result<bool, StoreError> {
    if !settings.tls_acme || stored(r, settings)?.is_some() {
        return Ok(false);
    }
    let last = r.get(&ATTEMPTS, "last_attempt")?;
    Ok(last.is_none_or(|at| now - at >= RETRY_AFTER))
}

/// What a run of the job did.
#[derive(Debug, PartialEq, Eq)]
pub enum Renewal {
    /// The certificate in use has more than 30 days left.
    NotDue { not_after: i64 },
    /// A new certificate is in use.
    Issued { not_after: i64 },
}

/// The scheduler's job: orders a certificate if there is none for the domain or it is due,
/// stores it and puts it in use. A failure keeps the certificate in use, and is logged and
/// recorded (the `log` route posts it).
pub async fn renew_if_due(
    store: &Arc<Store>,
    acme: &Acme,
    settings: &Settings,
    now: i64,
) -> Result<Renewal, AcmeError> {
    let current = store.read(|r| stored(r, settings))?;
    if let Some(issued) = &current
        && issued.not_after - RENEW_BEFORE > now
    {
        return Ok(Renewal::NotDue {
            not_after: issued.not_after,
        });
    }
    let domain = settings.acme_domain().ok_or(AcmeError::NoDomain)?;
    store.write(|w| w.insert(&ATTEMPTS, "last_attempt", &now))?;
    let outcome = tokio::time::timeout(ORDER_TIMEOUT, order(store, acme, settings, &domain))
        .await
        .unwrap_or(Err(AcmeError::Timeout(ORDER_TIMEOUT)));
    acme.clear_challenges();
    match outcome {
        Ok((cert_pem, key_pem)) => {
            let issued = issue(&domain, settings, cert_pem, key_pem, now)?;
            let key = certified(&issued, &acme.provider)?;
            let not_after = issued.not_after;
            store.write(|w| {
                w.insert(&CERTIFICATE, "current", &issued)?;
                audit::record(
                    w,
                    &Event::new(EventKind::CertificateIssued, Actor::Bot, now)
                        .with("domain", domain.as_str())
                        .with("not_after", timestamp(not_after).as_str()),
                )?;
                Ok::<_, StoreError>(())
            })?;
            acme.put_in_use(key);
            tracing::info!(%domain, expires = %timestamp(not_after), "the certificate from the ACME CA is in use");
            Ok(Renewal::Issued { not_after })
        }
        Err(err) => {
            let kept = current
                .as_ref()
                .map_or_else(|| "none".to_string(), |i| timestamp(i.not_after));
            tracing::error!(%domain, error = %err, kept_certificate_expires = %kept,
                "getting a certificate from the ACME CA failed; the certificate in use stays");
            let recorded = store.write(|w| {
                audit::record(
                    w,
                    &Event::new(EventKind::CertificateRenewalFailed, Actor::Bot, now)
                        .with("domain", domain.as_str())
                        .with("error", err.to_string().as_str())
                        .with("in_use_until", kept.as_str()),
                )
            });
            if let Err(store_err) = recorded {
                tracing::error!(error = %store_err, "recording the failed renewal failed");
            }
            Err(err)
        }
    }
}

fn timestamp(unix: i64) -> String {
    jiff::Timestamp::from_second(unix).map_or_else(|_| unix.to_string(), |t| t.to_string())
}

/// The stored form of a certificate chain `cert_pem` for `key_pem`, checked: it parses, its leaf
/// names the domain's key and has a validity.
fn issue(
    domain: &str,
    settings: &Settings,
    cert_pem: String,
    key_pem: String,
    now: i64,
) -> Result<Issued, AcmeError> {
    let leaf = CertificateDer::pem_slice_iter(cert_pem.as_bytes())
        .next()
        .and_then(Result::ok)
        .ok_or_else(|| AcmeError::Certificate("no certificate in the CA's answer".into()))?;
    let (_, not_after) = crate::x509::validity(&leaf)
        .ok_or_else(|| AcmeError::Certificate("its validity cannot be read".into()))?;
    Ok(Issued {
        domain: domain.to_string(),
        directory: settings.tls_acme_directory.as_str().to_string(),
        cert_pem,
        key_pem,
        not_after,
        issued_at: now,
    })
}

/// The chain and key of `issued`, ready for handshakes (the key must match the leaf).
fn certified(issued: &Issued, provider: &CryptoProvider) -> Result<Arc<CertifiedKey>, AcmeError> {
    let bad = |e: &dyn std::fmt::Display| AcmeError::Certificate(e.to_string());
    let certs = CertificateDer::pem_slice_iter(issued.cert_pem.as_bytes())
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| bad(&e))?;
    let key = PrivateKeyDer::from_pem_slice(issued.key_pem.as_bytes()).map_err(|e| bad(&e))?;
    let certified = CertifiedKey::from_der(certs, key, provider).map_err(|e| bad(&e))?;
    Ok(Arc::new(certified))
}

/// One order: the account, the challenge answered, the CSR, the certificate. Returns the chain
/// and the new key, both PEM.
async fn order(
    store: &Arc<Store>,
    acme: &Acme,
    settings: &Settings,
    domain: &str,
) -> Result<(String, String), AcmeError> {
    let directory = settings.tls_acme_directory.as_str().to_string();
    let account = account(store, settings, &directory).await?;
    let identifiers = [Identifier::Dns(domain.to_string())];
    let mut order = account.new_order(&NewOrder::new(&identifiers)).await?;
    let (kind, name) = match settings.tls_acme_challenge {
        AcmeChallenge::TlsAlpn01 => (ChallengeType::TlsAlpn01, "tls-alpn-01"),
        AcmeChallenge::Http01 => (ChallengeType::Http01, "http-01"),
    };
    let mut authorizations = order.authorizations();
    while let Some(authorization) = authorizations.next().await {
        let mut authorization = authorization?;
        match authorization.status {
            AuthorizationStatus::Valid => continue,
            AuthorizationStatus::Pending => {}
            other => {
                return Err(AcmeError::Refused {
                    challenge: name,
                    domain: domain.to_string(),
                    detail: format!("the authorization is {other:?}"),
                });
            }
        }
        let mut challenge =
            authorization
                .challenge(kind.clone())
                .ok_or_else(|| AcmeError::NoChallenge {
                    challenge: name,
                    domain: domain.to_string(),
                })?;
        let key_authorization = challenge.key_authorization();
        match settings.tls_acme_challenge {
            AcmeChallenge::TlsAlpn01 => {
                let key = alpn_certificate(domain, key_authorization.digest().as_ref(), acme)?;
                acme.alpn
                    .write()
                    .unwrap_or_else(PoisonError::into_inner)
                    .insert(domain.to_string(), key);
            }
            AcmeChallenge::Http01 => {
                acme.http
                    .write()
                    .unwrap_or_else(PoisonError::into_inner)
                    .insert(
                        challenge.token.clone(),
                        key_authorization.as_str().to_string(),
                    );
            }
        }
        challenge.set_ready().await?;
    }
    let retries = RetryPolicy::new()
        .initial_delay(std::time::Duration::from_millis(250))
        .timeout(std::time::Duration::from_secs(90));
    let status = order.poll_ready(&retries).await?;
    if status != OrderStatus::Ready {
        let detail = order
            .state()
            .error
            .as_ref()
            .map_or_else(|| format!("{status:?}"), |problem| problem.to_string());
        return Err(AcmeError::Refused {
            challenge: name,
            domain: domain.to_string(),
            detail,
        });
    }
    let key = rcgen::KeyPair::generate()?;
    let mut params = rcgen::CertificateParams::new(vec![domain.to_string()])?;
    params.distinguished_name = rcgen::DistinguishedName::new();
    let csr = params.serialize_request(&key)?;
    order.finalize_csr(csr.der()).await?;
    let chain = order.poll_certificate(&retries).await?;
    Ok((chain, key.serialize_pem()))
}

/// The TLS-ALPN-01 certificate (RFC 8737): self-signed for `domain`, with the key
/// authorization's digest in the critical acmeIdentifier extension.
fn alpn_certificate(
    domain: &str,
    digest: &[u8],
    acme: &Acme,
) -> Result<Arc<CertifiedKey>, AcmeError> {
    let key = rcgen::KeyPair::generate()?;
    let mut params = rcgen::CertificateParams::new(vec![domain.to_string()])?;
    params
        .custom_extensions
        .push(rcgen::CustomExtension::new_acme_identifier(digest));
    let cert = params.self_signed(&key)?;
    // Not `CertifiedKey::from_der`: its check that key and certificate match parses the
    // certificate with webpki, which refuses the critical acmeIdentifier extension.
    let private = PrivateKeyDer::try_from(key.serialize_der())
        .map_err(|e| AcmeError::Certificate(e.to_string()))?;
    let signing = acme
        .provider
        .key_provider
        .load_private_key(private)
        .map_err(|e| AcmeError::Certificate(e.to_string()))?;
    Ok(Arc::new(CertifiedKey::new(
        vec![cert.der().clone()],
        signing,
    )))
}

/// The account for `directory`: the stored one, or a new one registered and stored.
async fn account(
    store: &Arc<Store>,
    settings: &Settings,
    directory: &str,
) -> Result<Account, AcmeError> {
    let http = || -> Result<Box<dyn instant_acme::HttpClient>, AcmeError> {
        Ok(Box::new(Http(client(settings)?)))
    };
    let saved = store.read(|r| r.get(&ACCOUNTS, directory))?;
    if let Some(json) = saved {
        match serde_json::from_str::<AccountCredentials>(&json) {
            Ok(credentials) => {
                return Ok(Account::builder_with_http(http()?)
                    .from_credentials(credentials)
                    .await?);
            }
            Err(err) => {
                tracing::warn!(error = %err, "the stored ACME account is unreadable; registering a new one")
            }
        }
    }
    let contact = settings
        .tls_acme_email
        .as_ref()
        .map(|e| format!("mailto:{e}"));
    let contacts: Vec<&str> = contact.iter().map(String::as_str).collect();
    let (account, credentials) = Account::builder_with_http(http()?)
        .create(
            &NewAccount {
                contact: &contacts,
                terms_of_service_agreed: true,
                only_return_existing: false,
            },
            directory.to_string(),
            None,
        )
        .await?;
    let json = serde_json::to_string(&credentials)
        .map_err(|e| AcmeError::Certificate(format!("the account's credentials: {e}")))?;
    store.write(|w| w.insert(&ACCOUNTS, directory, &json))?;
    tracing::info!(id = account.id(), "registered an ACME account");
    Ok(account)
}

/// The HTTP client for the CA: the web's roots and `tls.acme_ca_cert`, hickory's resolver.
fn client(settings: &Settings) -> Result<reqwest::Client, AcmeError> {
    let mut builder = reqwest::Client::builder()
        .use_rustls_tls()
        .user_agent(concat!("stagehand/", env!("CARGO_PKG_VERSION")))
        .connect_timeout(std::time::Duration::from_secs(15))
        .timeout(std::time::Duration::from_secs(30));
    if let Some(path) = &settings.tls_acme_ca_cert {
        let pem = std::fs::read(path)
            .map_err(|e| AcmeError::CaCert(format!("cannot read {}: {e}", path.display())))?;
        let cert = reqwest::Certificate::from_pem(&pem).map_err(|e| {
            AcmeError::CaCert(format!("{} is not a PEM certificate: {e}", path.display()))
        })?;
        builder = builder.add_root_certificate(cert);
    }
    builder
        .build()
        .map_err(|e| AcmeError::CaCert(format!("the HTTP client: {e}")))
}

/// instant-acme's requests over reqwest.
struct Http(reqwest::Client);

impl instant_acme::HttpClient for Http {
    fn request(
        &self,
        req: http::Request<BodyWrapper<Bytes>>,
    ) -> Pin<Box<dyn Future<Output = Result<BytesResponse, instant_acme::Error>> + Send>> {
        let client = self.0.clone();
        Box::pin(async move {
            let (parts, body) = req.into_parts();
            let body = body
                .collect()
                .await
                .map(http_body_util::Collected::to_bytes)
                .unwrap_or_default();
            let response = client
                .request(parts.method, parts.uri.to_string())
                .headers(parts.headers)
                .body(body)
                .send()
                .await
                .map_err(|e| instant_acme::Error::Other(Box::new(e)))?;
            let status = response.status();
            let headers = response.headers().clone();
            let bytes = response
                .bytes()
                .await
                .map_err(|e| instant_acme::Error::Other(Box::new(e)))?;
            let mut answer = http::Response::new(http_body_util::Full::new(bytes));
            *answer.status_mut() = status;
            *answer.headers_mut() = headers;
            Ok(BytesResponse::from(answer))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::{Layers, Sources};

    fn settings(env: &[(&str, &str)]) -> Settings {
        let sources = Sources {
            env: env
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
            ..Sources::default()
        };
        Layers::collect(&sources).settings().expect("settings")
    }

    const ON: &[(&str, &str)] = &[
        ("STAGEHAND_TLS_ACME", "true"),
        ("STAGEHAND_PUBLIC_URL", "https://bot.example.org"),
    ];

    fn issued(not_after: i64) -> Issued {
        Issued {
            domain: "bot.example.org".into(),
            directory: "https://acme-v02.api.letsencrypt.org/directory".into(),
            cert_pem: String::new(),
            key_pem: String::new(),
            not_after,
            issued_at: 0,
        }
    }

    #[test]
    fn the_job_is_due_without_a_certificate_and_30_days_before_expiry() {
        let (_dir, store) = Store::temporary();
        let now = 1_000_000;
        let off = settings(&[]);
        let on = settings(ON);
        store
            .read(|r| {
                assert_eq!(next_due(r, &off, now)?, None, "off: never");
                assert!(!owed(r, &off, now)?);
                assert_eq!(next_due(r, &on, now)?, Some(now + RETRY_AFTER));
                assert!(owed(r, &on, now)?, "no certificate, never tried: owed now");
                Ok::<_, StoreError>(())
            })
            .expect("read");
        store
            .write(|w| w.insert(&ATTEMPTS, "last_attempt", &now))
            .expect("write");
        store
            .read(|r| {
                assert!(
                    !owed(r, &on, now + RETRY_AFTER - 1)?,
                    "an hour between tries"
                );
                assert!(owed(r, &on, now + RETRY_AFTER)?);
                Ok::<_, StoreError>(())
            })
            .expect("read");
        let expiry = now + 90 * 86_400;
        store
            .write(|w| w.insert(&CERTIFICATE, "current", &issued(expiry)))
            .expect("write");
        store
            .read(|r| {
                assert_eq!(next_due(r, &on, now)?, Some(expiry - RENEW_BEFORE));
                assert!(
                    !owed(r, &on, now + RETRY_AFTER)?,
                    "a certificate: nothing owed"
                );
                // Due: the next try an hour on.
                let late = expiry - RENEW_BEFORE + 1;
                assert_eq!(next_due(r, &on, late)?, Some(late + RETRY_AFTER));
                // Another domain: the stored certificate does not count.
                let other = settings(&[
                    ("STAGEHAND_TLS_ACME", "true"),
                    ("STAGEHAND_PUBLIC_URL", "https://other.example.org"),
                ]);
                assert!(owed(r, &other, now + RETRY_AFTER)?);
                Ok::<_, StoreError>(())
            })
            .expect("read");
    }

    #[test]
    fn acme_settings_are_checked_together() {
        let problems = |env: &[(&str, &str)]| {
            let sources = Sources {
                env: env
                    .iter()
                    .map(|(k, v)| (k.to_string(), v.to_string()))
                    .collect(),
                ..Sources::default()
            };
            Layers::collect(&sources)
                .settings()
                .err()
                .unwrap_or_default()
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join("\n")
        };
        assert!(problems(ON).is_empty());
        for (url, ok) in [
            ("https://bot.example.org", true),
            ("https://127.0.0.1", false),
            ("https://localhost:8443", false),
            ("https://[::1]", false),
        ] {
            let found = problems(&[
                ("STAGEHAND_TLS_ACME", "true"),
                ("STAGEHAND_PUBLIC_URL", url),
            ]);
            assert_eq!(found.is_empty(), ok, "{url}: {found}");
        }
        assert!(problems(&[("STAGEHAND_TLS_ACME", "true")]).contains("needs public_url"));
        let http = [ON, &[("STAGEHAND_TLS_ACME_CHALLENGE", "http-01")]].concat();
        assert!(problems(&http).contains("http.redirect_port"));
        let both = [
            ON,
            &[
                ("STAGEHAND_TLS_CERT", "c.pem"),
                ("STAGEHAND_TLS_KEY", "k.pem"),
            ],
        ]
        .concat();
        assert!(problems(&both).contains("cannot both be set"));
        assert!(problems(&[("STAGEHAND_TLS_ACME_CHALLENGE", "dns-01")]).contains("tls-alpn-01"));
    }
}
