//! The serenity client's lifecycle: started when the Discord settings are complete, restarted
//! when they change (e.g. the setup page saved them), stopped on shutdown; plus the gateway events
//! Stagehand listens to and command registration.

use anyhow::Context as _;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use serenity::all::{
    ChannelType, Context, EventHandler, GatewayIntents, Guild, GuildId, HttpBuilder, Interaction,
    Member, Ready, ShardManager, User,
};
use tokio::sync::watch;

use super::callback::Callbacks;
use super::gateway_proxy;
use crate::access::Permissions;
use crate::bot::Ctx;
use crate::clock::Clock;
use crate::config::Settings;
use crate::i18n::Catalogue;
use crate::outbox::Outbox;
use crate::routes;
use crate::store::Store;

/// The longest a connection to Discord's API (through `discord.proxy`, when set) may take.
const CONNECT_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(10);

/// What decides whether, and how, the client runs.
#[derive(Clone, PartialEq, Eq)]
struct Config {
    token: String,
    application_id: u64,
    guild_id: u64,
    proxy: Option<String>,
    ca_cert: Option<std::path::PathBuf>,
    /// `discord.timeout_secs`: the longest a REST request may take.
    timeout_secs: u64,
    league: bool,
    requests: bool,
    /// What `/link` builds its sign-in links from.
    public_url: Option<String>,
    osu: Option<(String, u64, String)>,
}

impl Config {
    fn from(settings: &Settings) -> Option<Config> {
        Some(Config {
            token: settings.discord_token.as_ref()?.expose().to_string(),
            application_id: settings.discord_application_id?.0,
            guild_id: settings.discord_guild_id?.0,
            proxy: settings
                .discord_proxy
                .as_ref()
                .map(|p| p.as_str().to_string()),
            ca_cert: settings.discord_ca_cert.clone(),
            timeout_secs: settings.discord_timeout_secs,
            league: settings.modules_league,
            requests: settings.modules_requests,
            public_url: settings.public_url.as_ref().map(|u| u.as_str().to_string()),
            osu: settings
                .osu_client_id
                .zip(settings.osu_client_secret.as_ref())
                .map(|(id, secret)| {
                    (
                        settings.osu_base_url.as_str().to_string(),
                        id,
                        secret.expose().to_string(),
                    )
                }),
        })
    }
}

/// Runs the client for as long as `stop` is false, following `settings`.
pub async fn supervise(
    shared: Shared,
    osu: crate::osu::Shared,
    mut settings: watch::Receiver<Arc<Settings>>,
    mut stop: watch::Receiver<bool>,
) {
    loop {
        let current = settings.borrow_and_update().clone();
        let config = Config::from(&current);
        let running = match &config {
            Some(config) => {
                match start(config, &shared, osu.client(&current).ok(), current.clone()).await {
                    Ok(running) => Some(running),
                    Err(err) => {
                        tracing::error!(error = ?format!("{err:#}"), "cannot start the Discord client");
                        None
                    }
                }
            }
            None => {
                tracing::info!(
                    "Discord is not configured yet; the bot starts once setup is complete"
                );
                None
            }
        };
        let stopping = loop {
            tokio::select! {
                changed = settings.changed() => {
                    if changed.is_err() {
                        break true;
                    }
                    if Config::from(&settings.borrow()) != config {
                        tracing::info!("the Discord settings changed; restarting the client");
                        break false;
                    }
                }
                _ = stop.changed() => break true,
            }
        };
        if let Some(running) = running {
            running.shards.shutdown_all().await;
            running.delivery.abort();
            let _ = running.task.await;
        }
        if stopping {
            return;
        }
    }
}

struct Running {
    shards: Arc<ShardManager>,
    task: tokio::task::JoinHandle<()>,
    /// The outbox worker, delivering while the client runs.
    delivery: tokio::task::JoinHandle<()>,
    /// The gateway's way through `discord.proxy`, closed with the client.
    _bridge: Option<gateway_proxy::Bridge>,
}

/// What the bot shares with the rest of the server, whichever client runs.
#[derive(Clone)]
pub struct Shared {
    pub store: Arc<Store>,
    pub outbox: Outbox,
    pub clock: Clock,
    /// The HTTPS server's port, for the links the bot gives.
    pub https_port: u16,
    /// Held by each interaction and delivery (see `pause`).
    pub pause: crate::pause::Pause,
    /// The server's snapshots, for `/backup`.
    pub backups: Arc<dyn crate::bot::backups::Backups>,
}

async fn start(
    config: &Config,
    shared: &Shared,
    osu: Option<crate::osu::Client>,
    settings: Arc<Settings>,
) -> anyhow::Result<Running> {
    let store = shared.store.clone();
    // serenity's own `HttpBuilder::proxy` is skipped by its ratelimiter (0.12.5), so a proxy is
    // configured on the HTTP client instead, and the ratelimiter stays on in every setup.
    let client = http_client(config)?;
    let http = HttpBuilder::new(&config.token)
        .application_id(config.application_id.into())
        .client(client.clone())
        .build();
    // Initial responses share the client, and so its connections, proxy and certificates.
    let callbacks = Callbacks::new(client.clone(), http.token())
        .context("discord.token is not a valid header value")?;
    let intents = GatewayIntents::GUILDS
        | GatewayIntents::GUILD_MEMBERS
        | GatewayIntents::GUILD_MESSAGES
        | GatewayIntents::DIRECT_MESSAGES;
    let gd = Arc::new(crate::gd::Client::new(&settings.gd_base_url.0));
    let lookup = Arc::new(super::lookup::Serenity::new(
        config.guild_id,
        client.clone(),
    ));
    let ctx = Arc::new(Ctx {
        osu,
        texts: Catalogue::open(&store)?,
        permissions: Permissions::load(&store)?,
        store,
        settings,
        clock: shared.clock.clone(),
        guild: config.guild_id,
        outbox: shared.outbox.clone(),
        https_port: shared.https_port,
        owner: AtomicU64::new(0),
        gd,
        discord: lookup.clone(),
        pause: shared.pause.clone(),
        backups: shared.backups.clone(),
    });
    let handler = Handler {
        ctx: ctx.clone(),
        callbacks,
        guild: GuildId::new(config.guild_id),
    };
    let mut client = serenity::all::ClientBuilder::new_with_http(http, intents)
        .event_handler(handler)
        .await?;
    // serenity fetched the gateway's address (through the proxy, when one is set), but would
    // connect to it directly, looking its name up through the C library: the bridge connects
    // instead (through the proxy, or straight with hickory's resolver).
    let bridge = {
        let mut url = client.ws_url.lock().await;
        let bridge =
            gateway_proxy::Bridge::start(&url, config.proxy.as_deref(), gateway_tls(config)?)
                .await?;
        *url = bridge.url().to_string();
        Some(bridge)
    };
    let shards = client.shard_manager.clone();
    lookup.connect(client.http.clone());
    let delivery = tokio::spawn(super::delivery::run(
        shared.outbox.clone(),
        ctx.clone(),
        client.http.clone(),
    ));
    let task = tokio::spawn(async move {
        if let Err(err) = client.start().await {
            tracing::error!(error = ?err.to_string(), "the Discord client stopped");
        }
    });
    Ok(Running {
        shards,
        task,
        delivery,
        _bridge: bridge,
    })
}

/// The HTTP client for Discord's REST API, with the configured proxy and extra root certificate.
/// Every request has a deadline (`discord.timeout_secs`): reqwest sets none, and one request
/// hung on a dead connection would hold the outbox, which delivers one effect at a time, for good.
/// A request that times out is tried again like any other failure.
fn http_client(config: &Config) -> anyhow::Result<reqwest::Client> {
    let timeout = std::time::Duration::from_secs(config.timeout_secs);
    let mut builder = reqwest::Client::builder()
        .use_rustls_tls()
        .timeout(timeout)
        .connect_timeout(timeout.min(CONNECT_TIMEOUT));
    if let Some(proxy) = &config.proxy {
        builder = builder.proxy(reqwest::Proxy::all(proxy).context("discord.proxy")?);
    }
    if let Some((path, pem)) = extra_root(config)? {
        let cert = reqwest::Certificate::from_pem(&pem).with_context(|| not_pem(path))?;
        builder = builder.add_root_certificate(cert);
    }
    Ok(builder.build()?)
}

/// TLS to the gateway through the proxy, trusting what the REST client trusts: the web's roots
/// (reqwest's rustls-tls uses the same list) and `discord.ca_cert`.
fn gateway_tls(config: &Config) -> anyhow::Result<Arc<rustls::ClientConfig>> {
    use rustls::pki_types::{CertificateDer, pem::PemObject as _};
    let mut roots =
        rustls::RootCertStore::from_iter(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
    if let Some((path, pem)) = extra_root(config)? {
        for cert in CertificateDer::pem_slice_iter(&pem) {
            let cert = cert.with_context(|| not_pem(path))?;
            roots.add(cert).with_context(|| not_pem(path))?;
        }
    }
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let tls = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()?
        .with_root_certificates(roots)
        .with_no_client_auth();
    Ok(Arc::new(tls))
}

/// `discord.ca_cert` and its PEM, when it is set.
fn extra_root(config: &Config) -> anyhow::Result<Option<(&std::path::Path, Vec<u8>)>> {
    let Some(path) = &config.ca_cert else {
        return Ok(None);
    };
    let pem = std::fs::read(path)
        .with_context(|| format!("discord.ca_cert: cannot read {}", path.display()))?;
    Ok(Some((path, pem)))
}

fn not_pem(path: &std::path::Path) -> String {
    format!(
        "discord.ca_cert: {} is not a PEM certificate",
        path.display()
    )
}

struct Handler {
    ctx: Arc<Ctx>,
    callbacks: Callbacks,
    guild: GuildId,
}

#[serenity::async_trait]
impl EventHandler for Handler {
    async fn ready(&self, ctx: Context, ready: Ready) {
        tracing::info!(user = ?ready.user.name, "connected to Discord");
        match super::register::register(
            &ctx.http,
            &self.ctx.store,
            self.guild.get(),
            &self.ctx.texts,
        )
        .await
        {
            Ok(true) => tracing::info!("registered the slash commands"),
            Ok(false) => tracing::debug!("the slash commands are up to date"),
            Err(err) => {
                tracing::error!(error = ?format!("{err:#}"), "registering the slash commands failed")
            }
        }
    }

    /// Learns the owner, resolves the routes' default channels by name, and then posts the
    /// Reviewer's Widgets owed to imported pending requests (`stagehand import requestbot`).
    async fn guild_create(&self, _: Context, guild: Guild, _: Option<bool>) {
        if guild.id != self.guild {
            return;
        }
        self.ctx
            .owner
            .store(guild.owner_id.get(), Ordering::Relaxed);
        let channels: Vec<(u64, &str)> = guild
            .channels
            .values()
            .filter(|c| c.kind == ChannelType::Text)
            .map(|c| (c.id.get(), c.name.as_str()))
            .collect();
        let roles: Vec<(u64, &str)> = guild
            .roles
            .values()
            .map(|r| (r.id.get(), r.name.as_str()))
            .collect();
        match self
            .ctx
            .store
            .write(|w| crate::league::roles::resolve_defaults(w, &roles))
        {
            Ok(found) if !found.is_empty() => {
                let names: Vec<&str> = found.iter().map(|k| k.name()).collect();
                tracing::info!(roles = ?names, "league roles found by name");
            }
            Ok(_) => {}
            Err(err) => tracing::error!(error = %err, "resolving the league roles failed"),
        }
        match routes::resolve_defaults(&self.ctx.store, &channels, self.ctx.clock.now()) {
            Ok(resolved) if !resolved.is_empty() => {
                let names: Vec<&str> = resolved.iter().map(|r| r.name()).collect();
                tracing::info!(routes = ?names, "routes found their default channels");
            }
            Ok(_) => {}
            Err(err) => tracing::error!(error = %err, "resolving the routes' channels failed"),
        }
        match crate::bot::post_owed_widgets(&self.ctx) {
            Ok(0) => {}
            Ok(posted) => tracing::info!(posted, "queued the widgets of imported requests"),
            Err(err) => {
                tracing::error!(error = %format!("{err:#}"), "posting imported requests' widgets failed")
            }
        }
    }

    async fn guild_member_addition(&self, _: Context, member: Member) {
        if member.guild_id != self.guild || member.user.bot {
            return;
        }
        if let Err(err) = crate::bot::member_joined(&self.ctx, member.user.id.get()) {
            tracing::error!(error = %format!("{err:#}"), "handling a member who joined failed");
        }
    }

    async fn guild_member_removal(
        &self,
        _: Context,
        guild: GuildId,
        user: User,
        _: Option<Member>,
    ) {
        if guild != self.guild {
            return;
        }
        if let Err(err) = crate::bot::member_left(&self.ctx, user.id.get()) {
            tracing::error!(error = %format!("{err:#}"), "handling a member who left failed");
        }
    }

    async fn interaction_create(&self, ctx: Context, interaction: Interaction) {
        let api = super::interactions::Api {
            http: &ctx.http,
            callbacks: &self.callbacks,
        };
        super::interactions::handle(self.ctx.clone(), api, &interaction).await;
    }
}
