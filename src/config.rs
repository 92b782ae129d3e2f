//! Settings: each one declared once (key, type, default, doc), read in two stages.
//!
//! Stage one, [`Layers::collect`], merges the raw text of every source in order of precedence —
//! embedded defaults < database (the setup page) < `stagehand.toml` < `STAGEHAND_*` environment
//! variables — and does no I/O. Stage two, [`Layers::settings`], parses each value into its type
//! and checks rules across settings. Every problem names the key, the value and where it came
//! from; all are reported, not just the first.

use crate::store::{Read, StoreError, Table, Writer};
use std::collections::BTreeMap;
use std::ffi::OsString;
use std::fmt;
use std::net::IpAddr;
use std::path::PathBuf;

/// Settings saved through the setup page: setting key → value as text, parsed like any other
/// source of settings (see `config`).
const SETTINGS: Table<str, String> = Table::new("settings");

/// The rows of saved settings that are secrets (`discord.token`, `osu.client_secret`): never in
/// a copy that leaves the machine.
pub fn secret_rows() -> Vec<crate::store::Redaction> {
    SPECS
        .iter()
        .filter(|spec| spec.secret)
        .map(|spec| crate::store::Redaction::row(&SETTINGS, spec.key))
        .collect()
}

/// The settings saved in the store, as `(key, text)`.
pub fn saved(r: &impl Read) -> Result<Vec<(String, String)>, StoreError> {
    r.all(&SETTINGS)
}

/// Saves setting `key` as `value` (text, parsed like any other source).
pub fn save(w: &mut Writer, key: &str, value: &str) -> Result<(), StoreError> {
    w.insert(&SETTINGS, key, &value.to_string())
}

/// Where a setting's value came from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Source {
    Default,
    Database,
    File(PathBuf),
    Env(String),
}

impl fmt::Display for Source {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Source::Default => f.write_str("default"),
            Source::Database => f.write_str("database"),
            Source::File(path) => write!(f, "{}", path.display()),
            Source::Env(var) => f.write_str(var),
        }
    }
}

/// A value that could not be used.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Problem {
    pub key: String,
    pub source: Source,
    pub message: String,
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} (from {}): {}", self.key, self.source, self.message)
    }
}

/// The raw inputs, gathered by the caller.
#[derive(Clone, Debug, Default)]
pub struct Sources {
    /// Rows of the store's settings table.
    pub database: Vec<(String, String)>,
    /// The config file's path and contents, when there is one.
    pub file: Option<(PathBuf, String)>,
    /// Environment variables (all of them; only `STAGEHAND_*` are read).
    pub env: Vec<(String, String)>,
    /// Names of the environment variables whose value is not UTF-8 text; a `STAGEHAND_*` one
    /// is a problem, the others are ignored.
    pub env_not_utf8: Vec<String>,
}

impl Sources {
    /// Adds the environment as the system gives it (`std::env::vars_os()`), where names and
    /// values need not be UTF-8 (`std::env::vars()` would panic on such a variable, even one
    /// that has nothing to do with Stagehand).
    #[must_use]
    pub fn with_env(mut self, vars: impl IntoIterator<Item = (OsString, OsString)>) -> Sources {
        for (name, value) in vars {
            let name = name.to_string_lossy().into_owned();
            match value.into_string() {
                Ok(value) => self.env.push((name, value)),
                Err(_) => self.env_not_utf8.push(name),
            }
        }
        self
    }
}

/// The problem of a `STAGEHAND_*` variable whose value is not UTF-8 (the value is not shown: it
/// may be a secret).
const NOT_UTF8: &str = "not valid UTF-8 text; settings are read as UTF-8";

/// Environment variables that belong to the command line rather than to settings.
const CLI_ENV: &[&str] = &[
    "STAGEHAND_DATA_DIR",
    "STAGEHAND_CONFIG",
    "STAGEHAND_BLESS",
    crate::clock::FAKE_CLOCK_ENV,
];

/// A setting's type: how its text is parsed and shown.
pub trait SettingType: Sized {
    /// Secrets are shown masked and never logged.
    const SECRET: bool = false;
    /// What a value looks like, for a value of the wrong kind in the config file: "a whole
    /// number".
    const EXPECTED: &'static str;
    fn parse(text: &str) -> Result<Self, String>;
    fn show(&self) -> String;
}

/// A value that is never displayed or logged in full.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(********)")
    }
}

/// A Discord id: a non-zero 64-bit number written in decimal.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Snowflake(pub u64);

/// A time of day in UTC, written `HH:MM`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TimeOfDay {
    /// Seconds after midnight.
    seconds: i64,
}

impl TimeOfDay {
    const DAY: i64 = 86_400;

    /// The first moment at this time of day strictly after `now` (unix seconds).
    pub fn next_after(self, now: i64) -> i64 {
        let today = now.div_euclid(Self::DAY) * Self::DAY + self.seconds;
        if today > now {
            today
        } else {
            today.saturating_add(Self::DAY)
        }
    }
}

/// An `http(s)` URL with a host, without a trailing slash.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BaseUrl(pub url::Url);

impl BaseUrl {
    pub fn as_str(&self) -> &str {
        self.0.as_str().trim_end_matches('/')
    }
}

impl SettingType for String {
    const EXPECTED: &'static str = "text in quotes";
    fn parse(text: &str) -> Result<Self, String> {
        Ok(text.to_string())
    }
    fn show(&self) -> String {
        self.clone()
    }
}

impl SettingType for Secret {
    const SECRET: bool = true;
    const EXPECTED: &'static str = "text in quotes";
    fn parse(text: &str) -> Result<Self, String> {
        if text.trim() != text || text.chars().any(char::is_control) {
            return Err(
                "must not contain spaces or control characters at its ends or inside".into(),
            );
        }
        Ok(Secret(text.to_string()))
    }
    fn show(&self) -> String {
        "********".into()
    }
}

impl SettingType for bool {
    const EXPECTED: &'static str = "true or false";
    fn parse(text: &str) -> Result<Self, String> {
        match text.to_ascii_lowercase().as_str() {
            "true" | "yes" | "on" | "1" => Ok(true),
            "false" | "no" | "off" | "0" => Ok(false),
            _ => Err("expected true or false".into()),
        }
    }
    fn show(&self) -> String {
        self.to_string()
    }
}

macro_rules! number_setting {
    ($($t:ty),*) => {$(
        impl SettingType for $t {
            const EXPECTED: &'static str = "a whole number";
            fn parse(text: &str) -> Result<Self, String> {
                text.parse().map_err(|_| format!("expected a whole number from {} to {}", <$t>::MIN, <$t>::MAX))
            }
            fn show(&self) -> String {
                self.to_string()
            }
        }
    )*};
}
number_setting!(u16, u32, u64);

impl SettingType for IpAddr {
    const EXPECTED: &'static str = "an IP address in quotes, like \"0.0.0.0\"";
    fn parse(text: &str) -> Result<Self, String> {
        text.parse()
            .map_err(|_| "expected an IP address such as 0.0.0.0 or ::1".into())
    }
    fn show(&self) -> String {
        self.to_string()
    }
}

impl SettingType for PathBuf {
    const EXPECTED: &'static str = "a path in quotes";
    fn parse(text: &str) -> Result<Self, String> {
        Ok(PathBuf::from(text))
    }
    fn show(&self) -> String {
        self.display().to_string()
    }
}

impl SettingType for Snowflake {
    const EXPECTED: &'static str = "a Discord id, like 123456789012345678";
    fn parse(text: &str) -> Result<Self, String> {
        if text.is_empty() || !text.bytes().all(|b| b.is_ascii_digit()) {
            return Err("expected a Discord id: digits only, like 123456789012345678".into());
        }
        match text.parse::<u64>() {
            Ok(0) => Err("expected a Discord id: a non-zero 64-bit number".into()),
            Ok(id) => Ok(Snowflake(id)),
            // Only digits, so the one way to fail is overflow.
            Err(_) => Err(format!(
                "too large for a Discord id (at most {}, 20 digits)",
                u64::MAX
            )),
        }
    }
    fn show(&self) -> String {
        self.0.to_string()
    }
}

impl SettingType for TimeOfDay {
    const EXPECTED: &'static str = "a time of day in quotes, like \"01:00\"";
    fn parse(text: &str) -> Result<Self, String> {
        let wrong = || "expected a time of day in UTC from 00:00 to 23:59, like 01:00".to_string();
        let (hours, minutes) = text.split_once(':').ok_or_else(wrong)?;
        // Hours with one or two digits, minutes with two; each below its limit.
        let number = |part: &str, widths: std::ops::RangeInclusive<usize>, below: i64| {
            let digits = widths.contains(&part.len()) && part.bytes().all(|b| b.is_ascii_digit());
            let value = part.parse::<i64>().ok().filter(|n| digits && *n < below);
            value.ok_or_else(wrong)
        };
        let (hours, minutes) = (number(hours, 1..=2, 24)?, number(minutes, 2..=2, 60)?);
        Ok(TimeOfDay {
            seconds: hours * 3_600 + minutes * 60,
        })
    }
    fn show(&self) -> String {
        format!(
            "{:02}:{:02}",
            self.seconds / 3_600,
            self.seconds % 3_600 / 60
        )
    }
}

impl SettingType for BaseUrl {
    const EXPECTED: &'static str = "a URL in quotes, like \"https://bot.example.org\"";
    fn parse(text: &str) -> Result<Self, String> {
        let url = url::Url::parse(text).map_err(|e| format!("not a URL ({e})"))?;
        if !matches!(url.scheme(), "https" | "http") || url.host_str().is_none_or(str::is_empty) {
            return Err("expected an http(s) URL with a host, like https://bot.example.org".into());
        }
        if url.query().is_some() || url.fragment().is_some() || !url.username().is_empty() {
            return Err("a base URL has no user, query or fragment".into());
        }
        Ok(BaseUrl(url))
    }
    fn show(&self) -> String {
        self.as_str().to_string()
    }
}

/// Who may read `/metrics` (`http.metrics`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MetricsAccess {
    /// Anyone who reaches the server.
    Public,
    /// Only clients at `127.0.0.1` or `::1`: a scraper on the same machine. The rest of
    /// `127.0.0.0/8` counts as elsewhere.
    Loopback,
    /// Nobody: `/metrics` is not served.
    Off,
}

impl SettingType for MetricsAccess {
    const EXPECTED: &'static str = "one of \"public\", \"loopback\" or \"off\"";
    fn parse(text: &str) -> Result<Self, String> {
        match text.to_ascii_lowercase().as_str() {
            "public" => Ok(MetricsAccess::Public),
            "loopback" => Ok(MetricsAccess::Loopback),
            "off" => Ok(MetricsAccess::Off),
            _ => Err("expected public, loopback or off".into()),
        }
    }
    fn show(&self) -> String {
        match self {
            MetricsAccess::Public => "public",
            MetricsAccess::Loopback => "loopback",
            MetricsAccess::Off => "off",
        }
        .into()
    }
}

/// How the ACME CA checks that Stagehand answers for the domain (`tls.acme_challenge`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AcmeChallenge {
    /// TLS-ALPN-01: a special certificate on the HTTPS port.
    TlsAlpn01,
    /// HTTP-01: a file under `/.well-known/acme-challenge/` on the plain-HTTP port.
    Http01,
}

impl SettingType for AcmeChallenge {
    const EXPECTED: &'static str = "\"tls-alpn-01\" or \"http-01\"";
    fn parse(text: &str) -> Result<Self, String> {
        match text.to_ascii_lowercase().as_str() {
            "tls-alpn-01" => Ok(AcmeChallenge::TlsAlpn01),
            "http-01" => Ok(AcmeChallenge::Http01),
            _ => Err("expected tls-alpn-01 or http-01".into()),
        }
    }
    fn show(&self) -> String {
        match self {
            AcmeChallenge::TlsAlpn01 => "tls-alpn-01",
            AcmeChallenge::Http01 => "http-01",
        }
        .into()
    }
}

/// An unset optional setting is the empty string.
impl<T: SettingType> SettingType for Option<T> {
    const SECRET: bool = T::SECRET;
    const EXPECTED: &'static str = T::EXPECTED;
    fn parse(text: &str) -> Result<Self, String> {
        if text.is_empty() {
            Ok(None)
        } else {
            T::parse(text).map(Some)
        }
    }
    fn show(&self) -> String {
        match self {
            Some(value) => value.show(),
            None => String::new(),
        }
    }
}

/// The declaration of one setting.
#[derive(Debug)]
pub struct Spec {
    pub key: &'static str,
    pub default: &'static str,
    pub doc: &'static str,
    pub secret: bool,
    /// What a value looks like ([`SettingType::EXPECTED`]).
    pub expected: &'static str,
}

impl Spec {
    /// `http.port` → `STAGEHAND_HTTP_PORT`.
    pub fn env_name(&self) -> String {
        format!(
            "STAGEHAND_{}",
            self.key.to_ascii_uppercase().replace('.', "_")
        )
    }
}

macro_rules! settings {
    ($( #[doc = $doc:literal] $field:ident : $ty:ty = $key:literal, $default:literal; )*) => {
        /// The effective, typed settings.
        #[derive(Clone, Debug)]
        pub struct Settings {
            $( #[doc = $doc] pub $field: $ty, )*
        }

        /// Every setting, in the order the README and `stagehand check` list them.
        pub const SPECS: &[Spec] = &[
            $( Spec { key: $key, default: $default, doc: $doc.trim_ascii(), secret: <$ty as SettingType>::SECRET, expected: <$ty as SettingType>::EXPECTED }, )*
        ];

        impl Layers {
            fn parse_all(&self) -> Result<Settings, Vec<Problem>> {
                let mut problems = Vec::new();
                $( let $field = self.parse_one::<$ty>($key, &mut problems); )*
                match ($( $field, )*) {
                    ($( Some($field), )*) if problems.is_empty() => Ok(Settings { $( $field, )* }),
                    _ => Err(problems),
                }
            }
        }
    };
}

settings! {
    /// Address the HTTPS server listens on.
    http_bind: IpAddr = "http.bind", "0.0.0.0";
    /// Port of the HTTPS server (0 picks a free one and prints it).
    http_port: u16 = "http.port", "8443";
    /// Plain-HTTP port that redirects to HTTPS; empty turns it off.
    http_redirect_port: Option<u16> = "http.redirect_port", "";
    /// Seconds a connection may go without a request in progress (TLS handshake, headers, idle).
    http_header_timeout_secs: u64 = "http.header_timeout_secs", "10";
    /// Seconds a request may take to send its body once its headers are in; then it gets 408.
    http_body_timeout_secs: u64 = "http.body_timeout_secs", "30";
    /// Largest request body accepted, in bytes.
    http_max_body_bytes: u64 = "http.max_body_bytes", "65536";
    /// Most connections at once; when all are taken, a new one replaces the longest idle one.
    http_max_connections: u32 = "http.max_connections", "512";
    /// Most connections from one client address (IPv6: one /64) at once; more are closed.
    http_max_connections_per_client: u32 = "http.max_connections_per_client", "32";
    /// Who may read `/metrics`: `public`, `loopback` (127.0.0.1 and ::1 only) or `off`.
    http_metrics: MetricsAccess = "http.metrics", "loopback";
    /// Public base URL of this server, as people's browsers reach it (links, OAuth redirect).
    public_url: Option<BaseUrl> = "public_url", "";
    /// PEM certificate chain; with `tls.key`, replaces the self-signed certificate.
    tls_cert: Option<PathBuf> = "tls.cert", "";
    /// PEM private key matching `tls.cert`.
    tls_key: Option<PathBuf> = "tls.key", "";
    /// Get and renew the certificate from an ACME CA (Let's Encrypt) for `public_url`'s domain.
    tls_acme: bool = "tls.acme", "false";
    /// ACME directory URL; Let's Encrypt's staging: https://acme-staging-v02.api.letsencrypt.org/directory
    tls_acme_directory: BaseUrl = "tls.acme_directory", "https://acme-v02.api.letsencrypt.org/directory";
    /// How the CA checks the domain: `tls-alpn-01` (on the HTTPS port, which must be 443 to the CA) or `http-01` (on `http.redirect_port`, which must be 80 to the CA).
    tls_acme_challenge: AcmeChallenge = "tls.acme_challenge", "tls-alpn-01";
    /// Contact address given to the ACME CA for expiry notices (optional).
    tls_acme_email: Option<String> = "tls.acme_email", "";
    /// Extra trusted certificate (PEM) for reaching the ACME directory (a private or test CA).
    tls_acme_ca_cert: Option<PathBuf> = "tls.acme_ca_cert", "";
    /// Discord bot token.
    discord_token: Option<Secret> = "discord.token", "";
    /// Discord application id.
    discord_application_id: Option<Snowflake> = "discord.application_id", "";
    /// Id of the Discord server (guild) Stagehand runs.
    discord_guild_id: Option<Snowflake> = "discord.guild_id", "";
    /// HTTP proxy for Discord's API (`http://host:port`); empty connects directly.
    discord_proxy: Option<BaseUrl> = "discord.proxy", "";
    /// Extra trusted certificate (PEM) for Discord's API, e.g. a proxy that inspects TLS.
    discord_ca_cert: Option<PathBuf> = "discord.ca_cert", "";
    /// Seconds a request to Discord's API may take before it is abandoned and tried again.
    discord_timeout_secs: u64 = "discord.timeout_secs", "15";
    /// Members with this role are answered in Russian unless they chose otherwise.
    discord_russian_role_id: Option<Snowflake> = "discord.russian_role_id", "";
    /// osu! OAuth application client id.
    osu_client_id: Option<u64> = "osu.client_id", "";
    /// osu! OAuth application client secret.
    osu_client_secret: Option<Secret> = "osu.client_secret", "";
    /// Base URL of osu! (OAuth and API v2); tests point it at a fake.
    osu_base_url: BaseUrl = "osu.base_url", "https://osu.ppy.sh";
    /// Base URL of the Geometry Dash server's `database` folder; tests point it at a fake.
    gd_base_url: BaseUrl = "gd.base_url", "https://www.boomlings.com/database";
    /// Run the osu! league module.
    modules_league: bool = "modules.league", "false";
    /// Run the Geometry Dash level-request module.
    modules_requests: bool = "modules.requests", "false";
    /// How many snapshots to keep in the backups folder.
    backup_keep: u32 = "backup.keep", "7";
    /// Time of day (UTC, `HH:MM`) of the daily snapshot into the backups folder; empty: none.
    backup_daily_at: Option<TimeOfDay> = "backup.daily_at", "01:00";
    /// Base URL of the release feed: GitHub's API, or a mirror that answers like it (Gitea, Forgejo, a test server).
    update_base_url: BaseUrl = "update.base_url", "https://api.github.com";
    /// The repository whose releases `stagehand update` installs, as `owner/name`.
    update_repository: String = "update.repository", "stagehand-app/stagehand";
    /// Log once a day, while serving, when a newer release exists.
    update_check: bool = "update.check", "true";
    /// Page cache of the store, in MiB.
    store_cache_mb: u32 = "store.cache_mb", "16";
    /// Log filter (tracing's syntax, e.g. `info` or `stagehand=debug,info`).
    log_filter: String = "log.filter", "info";
}

/// The merged raw text of every setting, with where it came from.
#[derive(Clone, Debug)]
pub struct Layers {
    values: BTreeMap<&'static str, (String, Source)>,
    problems: Vec<Problem>,
}

impl Layers {
    /// Merges the sources in order of precedence. Unknown keys and unreadable files are problems.
    pub fn collect(sources: &Sources) -> Layers {
        let mut layers = Layers {
            values: SPECS
                .iter()
                .map(|s| (s.key, (s.default.to_string(), Source::Default)))
                .collect(),
            problems: Vec::new(),
        };
        for (key, value) in &sources.database {
            layers.set(key, value.clone(), Source::Database);
        }
        if let Some((path, text)) = &sources.file {
            layers.read_file(path, text);
        }
        // A value that is not UTF-8 is `None`.
        let mut env: Vec<(&String, Option<&String>)> = sources
            .env
            .iter()
            .map(|(k, v)| (k, Some(v)))
            .chain(sources.env_not_utf8.iter().map(|k| (k, None)))
            .filter(|(k, _)| k.starts_with("STAGEHAND_"))
            .collect();
        env.sort();
        for (var, value) in env {
            let source = Source::Env(var.clone());
            match (SPECS.iter().find(|s| s.env_name() == *var), value) {
                (Some(spec), Some(value)) => layers.set(spec.key, value.clone(), source),
                (Some(spec), None) => layers.problem(spec.key, source, NOT_UTF8.into()),
                (None, _) if CLI_ENV.contains(&var.as_str()) => {}
                (None, _) => layers.problem(var, source, "unknown setting".into()),
            }
        }
        layers
    }

    fn set(&mut self, key: &str, value: String, source: Source) {
        match SPECS.iter().find(|s| s.key == key) {
            Some(spec) => {
                self.values.insert(spec.key, (value, source));
            }
            None => self.problem(key, source, "unknown setting".into()),
        }
    }

    fn problem(&mut self, key: &str, source: Source, message: String) {
        self.problems.push(Problem {
            key: key.to_string(),
            source,
            message,
        });
    }

    fn read_file(&mut self, path: &std::path::Path, text: &str) {
        let source = Source::File(path.to_path_buf());
        let table: toml::Table = match text.parse() {
            Ok(table) => table,
            Err(err) => {
                let at = err
                    .span()
                    .and_then(|span| text.get(..span.start))
                    .map(|before| {
                        let line = before.matches('\n').count() + 1;
                        let column = before.rsplit('\n').next().unwrap_or("").chars().count() + 1;
                        format!(" at line {line}, column {column}")
                    })
                    .unwrap_or_default();
                let message = format!("not valid TOML{at}: {}", err.message().trim_end());
                return self.problem("(file)", source, message);
            }
        };
        let mut flat = Vec::new();
        flatten("", &table, &mut flat);
        for (key, value) in flat {
            match value {
                toml::Value::String(s) => self.set(&key, s.clone(), source.clone()),
                toml::Value::Integer(i) => self.set(&key, i.to_string(), source.clone()),
                toml::Value::Boolean(b) => self.set(&key, b.to_string(), source.clone()),
                other => {
                    let message = match SPECS.iter().find(|s| s.key == key) {
                        Some(spec) => format!("expected {}, got {}", spec.expected, kind(other)),
                        None => "unknown setting".into(),
                    };
                    self.problem(&key, source.clone(), message);
                }
            }
        }
    }

    /// Every setting with its value as shown to people (secrets masked) and its source.
    pub fn effective(&self) -> Vec<(&'static Spec, String, &Source)> {
        SPECS
            .iter()
            .filter_map(|spec| {
                let (value, source) = self.values.get(spec.key)?;
                let shown = if spec.secret && !value.is_empty() {
                    "********".to_string()
                } else {
                    value.clone()
                };
                Some((spec, shown, source))
            })
            .collect()
    }

    /// The typed settings, or every problem found on the way.
    pub fn settings(&self) -> Result<Settings, Vec<Problem>> {
        let mut problems = self.problems.clone();
        match self.parse_all() {
            Ok(settings) => {
                problems.extend(settings.cross_check(self));
                if problems.is_empty() {
                    Ok(settings)
                } else {
                    Err(problems)
                }
            }
            Err(more) => {
                problems.extend(more);
                Err(problems)
            }
        }
    }

    fn parse_one<T: SettingType>(
        &self,
        key: &'static str,
        problems: &mut Vec<Problem>,
    ) -> Option<T> {
        let (text, source) = self.values.get(key)?;
        match T::parse(text) {
            Ok(value) => Some(value),
            Err(message) => {
                let shown = if T::SECRET {
                    "********".to_string()
                } else {
                    format!("{text:?}")
                };
                problems.push(Problem {
                    key: key.to_string(),
                    source: source.clone(),
                    message: format!("{shown}: {message}"),
                });
                None
            }
        }
    }

    fn source_of(&self, key: &str) -> Source {
        self.values
            .get(key)
            .map_or(Source::Default, |(_, s)| s.clone())
    }
}

/// A TOML value's kind, as people call it.
fn kind(value: &toml::Value) -> &'static str {
    match value {
        toml::Value::String(_) => "text",
        toml::Value::Integer(_) => "a whole number",
        toml::Value::Float(_) => "a decimal number",
        toml::Value::Boolean(_) => "true or false",
        toml::Value::Datetime(_) => "a date or time",
        toml::Value::Array(_) => "a list",
        toml::Value::Table(_) => "a table",
    }
}

fn flatten<'a>(prefix: &str, table: &'a toml::Table, out: &mut Vec<(String, &'a toml::Value)>) {
    for (key, value) in table {
        let full = if prefix.is_empty() {
            key.clone()
        } else {
            format!("{prefix}.{key}")
        };
        match value {
            toml::Value::Table(inner) => flatten(&full, inner, out),
            other => out.push((full, other)),
        }
    }
}

impl Settings {
    /// Rules that involve more than one setting, or a range narrower than the type.
    fn cross_check(&self, layers: &Layers) -> Vec<Problem> {
        let mut problems = Vec::new();
        let mut check = |ok: bool, key: &str, message: &str| {
            if !ok {
                problems.push(Problem {
                    key: key.to_string(),
                    source: layers.source_of(key),
                    message: message.to_string(),
                });
            }
        };
        check(
            self.tls_cert.is_some() == self.tls_key.is_some(),
            "tls.cert",
            "tls.cert and tls.key must be set together",
        );
        if self.tls_acme {
            check(
                self.tls_cert.is_none(),
                "tls.acme",
                "tls.acme and tls.cert cannot both be set: choose one source of certificates",
            );
            check(
                self.acme_domain().is_some(),
                "tls.acme",
                "needs public_url with a domain name (not an IP address or localhost), \
                 like https://bot.example.org",
            );
            check(
                self.tls_acme_challenge != AcmeChallenge::Http01
                    || self.http_redirect_port.is_some(),
                "tls.acme_challenge",
                "http-01 is answered on http.redirect_port, which is off",
            );
        }
        check(
            self.update_repository.split('/').count() == 2
                && self
                    .update_repository
                    .split('/')
                    .all(|part| !part.is_empty()),
            "update.repository",
            "expected owner/name, like stagehand-app/stagehand",
        );
        check(
            self.http_redirect_port
                .is_none_or(|p| p != self.http_port || p == 0),
            "http.redirect_port",
            "must differ from http.port",
        );
        check(
            (1..=300).contains(&self.http_header_timeout_secs),
            "http.header_timeout_secs",
            "must be 1 to 300 seconds",
        );
        check(
            (1..=300).contains(&self.discord_timeout_secs),
            "discord.timeout_secs",
            "must be 1 to 300 seconds",
        );
        check(
            (1..=300).contains(&self.http_body_timeout_secs),
            "http.body_timeout_secs",
            "must be 1 to 300 seconds",
        );
        check(
            self.http_max_body_bytes >= 1024,
            "http.max_body_bytes",
            "must be at least 1024",
        );
        check(
            self.http_max_connections >= 1,
            "http.max_connections",
            "must be at least 1",
        );
        check(
            self.http_max_connections_per_client >= 1,
            "http.max_connections_per_client",
            "must be at least 1",
        );
        check(
            self.backup_keep >= 1,
            "backup.keep",
            "must keep at least 1 snapshot",
        );
        check(
            (1..=4096).contains(&self.store_cache_mb),
            "store.cache_mb",
            "must be 1 to 4096 MiB",
        );
        check(
            tracing_subscriber::EnvFilter::try_new(&self.log_filter).is_ok(),
            "log.filter",
            "not a valid log filter (try `info` or `stagehand=debug,info`)",
        );
        problems
    }

    /// The domain name ACME certifies: `public_url`'s host, when it is a name with a dot (not an
    /// IP address, not `localhost`).
    pub fn acme_domain(&self) -> Option<String> {
        let url = &self.public_url.as_ref()?.0;
        match url.host()? {
            url::Host::Domain(name) if name.contains('.') && !name.ends_with('.') => {
                Some(name.to_ascii_lowercase())
            }
            _ => None,
        }
    }

    /// The URL people use to reach this server: `public_url`, or `https://localhost:<port>`.
    pub fn base_url(&self, port: u16) -> String {
        match &self.public_url {
            Some(url) => url.as_str().to_string(),
            None => format!("https://localhost:{port}"),
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn load(
        database: &[(&str, &str)],
        file: Option<&str>,
        env: &[(&str, &str)],
    ) -> Result<Settings, Vec<Problem>> {
        let owned = |pairs: &[(&str, &str)]| {
            pairs
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect()
        };
        let sources = Sources {
            database: owned(database),
            file: file.map(|text| (PathBuf::from("stagehand.toml"), text.to_string())),
            env: owned(env),
            env_not_utf8: Vec::new(),
        };
        Layers::collect(&sources).settings()
    }

    fn problems(
        database: &[(&str, &str)],
        file: Option<&str>,
        env: &[(&str, &str)],
    ) -> Vec<String> {
        load(database, file, env)
            .err()
            .unwrap()
            .iter()
            .map(ToString::to_string)
            .collect()
    }

    #[test]
    fn defaults_alone_are_valid() {
        let s = load(&[], None, &[]).unwrap();
        assert_eq!(s.http_port, 8443);
        assert!(s.discord_token.is_none());
        assert_eq!(s.base_url(8443), "https://localhost:8443");
    }

    #[test]
    fn precedence_is_default_database_file_env() {
        let db = [
            ("http.port", "1000"),
            ("backup.keep", "3"),
            ("log.filter", "debug"),
        ];
        let file = "backup.keep = 4\n[log]\nfilter = \"warn\"\n";
        let env = [("STAGEHAND_LOG_FILTER", "error"), ("PATH", "/bin")];
        let s = load(&db, Some(file), &env).unwrap();
        assert_eq!(
            (s.http_port, s.backup_keep, s.log_filter.as_str()),
            (1000, 4, "error")
        );
    }

    #[test]
    fn bad_values_name_key_value_and_source() {
        let env = [
            ("STAGEHAND_HTTP_PORT", "eighty"),
            ("STAGEHAND_MODULES_LEAGUE", "maybe"),
        ];
        let found = problems(&[], Some("[http]\nbind = \"not-an-ip\"\n"), &env);
        assert!(found.contains(&"http.port (from STAGEHAND_HTTP_PORT): \"eighty\": expected a whole number from 0 to 65535".to_string()), "{found:?}");
        assert!(
            found
                .iter()
                .any(|p| p.starts_with("modules.league (from STAGEHAND_MODULES_LEAGUE)")),
            "{found:?}"
        );
        assert!(
            found
                .iter()
                .any(|p| p.starts_with("http.bind (from stagehand.toml)")),
            "{found:?}"
        );
        assert_eq!(found.len(), 3);
    }

    #[test]
    fn garbage_is_reported_not_swallowed() {
        type Case<'a> = (
            &'a [(&'a str, &'a str)],
            Option<&'a str>,
            &'a [(&'a str, &'a str)],
            &'a str,
        );
        let cases: &[Case] = &[
            (&[], Some("this is = = not toml"), &[], "not valid TOML"),
            (
                &[],
                Some("http.port = [1, 2]"),
                &[],
                "expected a whole number, got a list",
            ),
            (
                &[],
                Some("typo_key = 1"),
                &[],
                "typo_key (from stagehand.toml): unknown setting",
            ),
            (
                &[],
                None,
                &[("STAGEHAND_HTTP_PROT", "1")],
                "STAGEHAND_HTTP_PROT (from STAGEHAND_HTTP_PROT): unknown setting",
            ),
            (
                &[],
                None,
                &[("STAGEHAND_HTTP_PORT", "70000")],
                "expected a whole number",
            ),
            (
                &[],
                None,
                &[("STAGEHAND_HTTP_PORT", "-1")],
                "expected a whole number",
            ),
            (
                &[],
                None,
                &[("STAGEHAND_HTTP_PORT", "")],
                "expected a whole number",
            ),
            (
                &[],
                None,
                &[("STAGEHAND_BACKUP_KEEP", "99999999999999999999999")],
                "expected a whole number",
            ),
            (
                &[],
                None,
                &[("STAGEHAND_BACKUP_KEEP", "0")],
                "keep at least 1",
            ),
            (
                &[],
                None,
                &[("STAGEHAND_PUBLIC_URL", "ftp://x")],
                "http(s) URL",
            ),
            (&[], None, &[("STAGEHAND_PUBLIC_URL", "https://")], "URL"),
            (
                &[],
                None,
                &[("STAGEHAND_PUBLIC_URL", "https://a.b/?q=1")],
                "no user, query or fragment",
            ),
            (
                &[],
                None,
                &[("STAGEHAND_DISCORD_GUILD_ID", "12ab")],
                "digits only",
            ),
            (
                &[],
                None,
                &[("STAGEHAND_DISCORD_GUILD_ID", "0")],
                "non-zero",
            ),
            (
                &[],
                None,
                &[("STAGEHAND_DISCORD_GUILD_ID", "99999999999999999999")],
                "too large",
            ),
            (
                &[],
                None,
                &[("STAGEHAND_TLS_CERT", "/c.pem")],
                "set together",
            ),
            (
                &[],
                None,
                &[("STAGEHAND_LOG_FILTER", "[[[")],
                "not a valid log filter",
            ),
            (
                &[],
                None,
                &[("STAGEHAND_HTTP_REDIRECT_PORT", "8443")],
                "must differ",
            ),
            (
                &[],
                None,
                &[("STAGEHAND_HTTP_MAX_CONNECTIONS_PER_CLIENT", "0")],
                "http.max_connections_per_client (from STAGEHAND_HTTP_MAX_CONNECTIONS_PER_CLIENT): must be at least 1",
            ),
            (
                &[],
                None,
                &[("STAGEHAND_DISCORD_TIMEOUT_SECS", "0")],
                "discord.timeout_secs (from STAGEHAND_DISCORD_TIMEOUT_SECS): must be 1 to 300 seconds",
            ),
            (
                &[("no.such", "1")],
                None,
                &[],
                "no.such (from database): unknown setting",
            ),
        ];
        for (db, file, env, expected) in cases {
            let found = problems(db, *file, env);
            assert!(
                found.iter().any(|p| p.contains(expected)),
                "{db:?} {file:?} {env:?}: {found:?}"
            );
        }
    }

    /// Issue 25 item 4: the environment is read as the system gives it; a setting's value that is
    /// not UTF-8 is a problem naming it (not shown: it may be a secret), another program's is
    /// ignored, and so are the command line's own variables (paths need not be UTF-8).
    #[test]
    fn a_setting_that_is_not_utf8_is_a_problem_naming_it() {
        use std::os::unix::ffi::OsStringExt as _;
        let bytes = |b: &[u8]| OsString::from_vec(b.to_vec());
        let env = [
            (&b"LANG"[..], &b"caf\xe9"[..]),
            (b"STAGEHAND_DATA_DIR", b"/srv/caf\xe9"),
            (b"STAGEHAND_DISCORD_TOKEN", b"tok\xe9n"),
            (b"STAGEHAND_HTTP_PORT", b"8000"),
            (b"STAGEHAND_CAF\xc9", b"1"),
        ]
        .map(|(k, v)| (bytes(k), bytes(v)));
        let layers = Layers::collect(&Sources::default().with_env(env));
        let found: Vec<String> = layers
            .settings()
            .unwrap_err()
            .iter()
            .map(ToString::to_string)
            .collect();
        assert_eq!(
            found,
            [
                "STAGEHAND_CAF\u{fffd} (from STAGEHAND_CAF\u{fffd}): unknown setting",
                "discord.token (from STAGEHAND_DISCORD_TOKEN): not valid UTF-8 text; settings are read as UTF-8",
            ]
        );
        let port = layers
            .effective()
            .into_iter()
            .find(|(s, _, _)| s.key == "http.port");
        assert_eq!(port.map(|(_, v, _)| v).as_deref(), Some("8000"));
    }

    /// Issue 25 item 9: a TOML error says where it is.
    #[test]
    fn a_toml_error_gives_its_line_and_column() {
        let found = problems(&[], Some("[http]\nport = 80\nbind = = 1\n"), &[]);
        assert_eq!(
            found,
            [
                "(file) (from stagehand.toml): not valid TOML at line 3, column 8: \
                 extra `=`, expected nothing"
            ],
            "{found:?}"
        );
        let found = problems(&[], Some("[http]\nport = 80\nport = 81\n"), &[]);
        assert!(found[0].contains("at line 3, column 1:"), "{found:?}");
    }

    /// Issue 25 item 9: a value of the wrong TOML kind says what its key expects.
    #[test]
    fn a_value_of_the_wrong_kind_says_what_the_key_expects() {
        for (file, expected) in [
            (
                "http.port = 8443.5",
                "http.port (from stagehand.toml): expected a whole number, got a decimal number",
            ),
            (
                "backup.daily_at = 01:00",
                "backup.daily_at (from stagehand.toml): expected a time of day in quotes, like \"01:00\", got a date or time",
            ),
            (
                "modules.league = [true]",
                "modules.league (from stagehand.toml): expected true or false, got a list",
            ),
            (
                "log.filter = 1.5",
                "log.filter (from stagehand.toml): expected text in quotes, got a decimal number",
            ),
            (
                "http = [1, 2]",
                "http (from stagehand.toml): unknown setting",
            ),
        ] {
            assert_eq!(problems(&[], Some(file), &[]), [expected], "{file}");
        }
    }

    /// Issue 25 item 9: an id with too many digits is too large, not "digits only".
    #[test]
    fn an_id_too_large_says_so() {
        for id in ["99999999999999999999", "12345678901234567890123"] {
            let found = problems(&[], None, &[("STAGEHAND_DISCORD_GUILD_ID", id)]);
            assert_eq!(found.len(), 1, "{found:?}");
            assert!(found[0].contains("too large"), "{found:?}");
            assert!(!found[0].contains("digits only"), "{found:?}");
        }
    }

    #[test]
    fn secrets_are_masked_in_problems_and_listings() {
        let env = [("STAGEHAND_DISCORD_TOKEN", " leaked-token ")];
        let found = problems(&[], None, &env).join("\n");
        assert!(!found.contains("leaked"), "{found}");
        let layers = Layers::collect(&Sources {
            env: vec![("STAGEHAND_OSU_CLIENT_SECRET".into(), "hunter2".into())],
            ..Sources::default()
        });
        let shown: Vec<_> = layers.effective().into_iter().map(|(_, v, _)| v).collect();
        assert!(!shown.iter().any(|v| v.contains("hunter2")));
        assert!(format!("{:?}", layers.settings().unwrap()).contains("Secret(********)"));
        assert!(!format!("{:?}", layers.settings().unwrap()).contains("hunter2"));
    }

    #[test]
    fn times_of_day_parse_and_find_the_next_one() {
        let at = |text: &str| TimeOfDay::parse(text);
        for (text, shown) in [("01:00", "01:00"), ("1:30", "01:30"), ("23:59", "23:59")] {
            assert_eq!(at(text).map(|t| t.show()).as_deref(), Ok(shown), "{text}");
        }
        for garbage in [
            "", "1", "01", "24:00", "12:60", "1:5", "01:000", "001:00", "-1:00", "+1:00", "1 :00",
            "01:00Z", "01:00:00", "ab:cd", "١:٠٠", "1.5:00",
        ] {
            assert!(at(garbage).is_err(), "{garbage:?}");
        }
        let one = at("01:00").unwrap();
        let midnight = 1_793_491_200; // 2026-11-01 00:00 UTC
        assert_eq!(one.next_after(midnight), midnight + 3_600);
        assert_eq!(one.next_after(midnight + 3_599), midnight + 3_600);
        // Exactly at the time, or after it: tomorrow's.
        assert_eq!(one.next_after(midnight + 3_600), midnight + 86_400 + 3_600);
        assert_eq!(one.next_after(midnight + 80_000), midnight + 86_400 + 3_600);
        assert_eq!(at("00:00").unwrap().next_after(-1), 0);
    }

    #[test]
    fn metrics_access_defaults_to_loopback() {
        assert_eq!(
            load(&[], None, &[]).unwrap().http_metrics,
            MetricsAccess::Loopback
        );
        let env = [("STAGEHAND_HTTP_METRICS", "Public")];
        assert_eq!(
            load(&[], None, &env).unwrap().http_metrics,
            MetricsAccess::Public
        );
        let found = problems(&[], Some("http.metrics = [1]"), &[]).join("\n");
        assert!(
            found.contains(r#"one of "public", "loopback" or "off""#),
            "{found}"
        );
        let found = problems(&[], None, &[("STAGEHAND_HTTP_METRICS", "private")]).join("\n");
        assert!(
            found.contains("expected public, loopback or off"),
            "{found}"
        );
    }

    #[test]
    fn every_default_parses_and_env_names_are_unique() {
        let names: std::collections::HashSet<_> = SPECS.iter().map(Spec::env_name).collect();
        assert_eq!(names.len(), SPECS.len());
        assert!(load(&[], None, &[]).is_ok());
    }
}
