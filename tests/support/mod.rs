//! The harness: runs the real `stagehand` binary in a temporary data directory on an ephemeral
//! port, and talks to it over real TLS.

#![allow(dead_code, clippy::unwrap_used)]

pub mod chart;
pub mod discord;
pub mod dist;
pub mod gd;
pub mod http;
pub mod osu;
pub mod pebble;
pub mod releases;

use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::mpsc::{Receiver, channel};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// A command line for the binary with a clean environment: the developer's `STAGEHAND_*`
/// variables never leak into a test.
pub fn stagehand(dir: &Path) -> Command {
    stagehand_at(Path::new(env!("CARGO_BIN_EXE_stagehand")), dir)
}

/// Copies the executable `from` to `to` (mode 0755) with `cp`, so that this process never
/// holds `to` open for writing: a child another test's thread forked meanwhile would keep that
/// descriptor until it execs, and until then Linux refuses to run `to` ("Text file busy").
pub fn copy_executable(from: &Path, to: &Path) -> std::io::Result<()> {
    use std::os::unix::fs::PermissionsExt as _;
    let status = Command::new("cp").arg(from).arg(to).status()?;
    if !status.success() {
        return Err(std::io::Error::other(format!(
            "cp {} {}: {status}",
            from.display(),
            to.display()
        )));
    }
    std::fs::set_permissions(to, std::fs::Permissions::from_mode(0o755))
}

/// [`stagehand`] for the binary at `binary` (a release build, an installed copy).
pub fn stagehand_at(binary: &Path, dir: &Path) -> Command {
    let mut command = Command::new(binary);
    command
        .current_dir(dir)
        .arg("--data-dir")
        .arg(dir.join("data"));
    for (key, _) in std::env::vars() {
        if key.starts_with("STAGEHAND_") {
            command.env_remove(key);
        }
    }
    command
}

/// Runs the binary to completion: (exit code, stdout, stderr).
pub fn run(dir: &Path, args: &[&str], env: &[(&str, &str)]) -> (i32, String, String) {
    let output = stagehand(dir)
        .args(args)
        .envs(env.iter().copied())
        .output()
        .unwrap();
    let text = |b: Vec<u8>| String::from_utf8_lossy(&b).into_owned();
    (
        output.status.code().unwrap_or(-1),
        text(output.stdout),
        text(output.stderr),
    )
}

/// A running `stagehand serve`.
pub struct Server {
    child: Option<Child>,
    pub dir: PathBuf,
    pub port: u16,
    /// The printed setup link, when setup was pending.
    pub setup_link: Option<String>,
    stderr: Arc<Mutex<String>>,
    stdout: Receiver<String>,
}

impl Server {
    /// Starts a server in `dir` on an ephemeral loopback port, waiting until it listens.
    pub fn start(dir: &Path, env: &[(&str, &str)]) -> Server {
        Self::try_start(dir, env)
            .unwrap_or_else(|(code, err)| panic!("serve exited with {code:?}: {err}"))
    }

    /// [`Server::start`] with the manual clock (see [`discord_env`]) `elapsed` seconds past its
    /// start: a restart that goes on where the last server's clock stopped.
    pub fn start_later(dir: &Path, env: &[(String, String)], elapsed: i64) -> Server {
        let clock = (FAKE_CLOCK_START + elapsed).to_string();
        let pairs: Vec<(&str, &str)> = env
            .iter()
            .map(|(k, v)| match k.as_str() {
                stagehand::clock::FAKE_CLOCK_ENV => (k.as_str(), clock.as_str()),
                _ => (k.as_str(), v.as_str()),
            })
            .collect();
        Server::start(dir, &pairs)
    }

    /// Like [`Server::start`], but a server that exits during start-up gives its code and stderr.
    pub fn try_start(dir: &Path, env: &[(&str, &str)]) -> Result<Server, (Option<i32>, String)> {
        Self::try_start_at(Path::new(env!("CARGO_BIN_EXE_stagehand")), dir, env)
    }

    /// [`Server::try_start`] with the binary at `binary`.
    pub fn try_start_at(
        binary: &Path,
        dir: &Path,
        env: &[(&str, &str)],
    ) -> Result<Server, (Option<i32>, String)> {
        let mut child = stagehand_at(binary, dir)
            .arg("serve")
            .env("STAGEHAND_HTTP_PORT", "0")
            .env("STAGEHAND_HTTP_BIND", "127.0.0.1")
            // No test looks at the real release feed (a test of the daily look turns it on).
            .env("STAGEHAND_UPDATE_CHECK", "false")
            .envs(env.iter().copied())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let stderr = Arc::new(Mutex::new(String::new()));
        let mut err_pipe = child.stderr.take().unwrap();
        let sink = stderr.clone();
        std::thread::spawn(move || {
            let mut buf = [0u8; 4096];
            while let Ok(n) = err_pipe.read(&mut buf) {
                if n == 0 {
                    break;
                }
                sink.lock()
                    .unwrap()
                    .push_str(&String::from_utf8_lossy(&buf[..n]));
            }
        });
        let (tx, stdout) = channel();
        let out_pipe = child.stdout.take().unwrap();
        std::thread::spawn(move || {
            for line in BufReader::new(out_pipe).lines().map_while(Result::ok) {
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        let mut setup_link = None;
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let line = match stdout.recv_timeout(Duration::from_millis(100)) {
                Ok(line) => line,
                Err(_) => {
                    if let Some(status) = child.try_wait().unwrap() {
                        std::thread::sleep(Duration::from_millis(100));
                        return Err((status.code(), stderr.lock().unwrap().clone()));
                    }
                    assert!(
                        Instant::now() < deadline,
                        "serve did not start: {}",
                        stderr.lock().unwrap()
                    );
                    continue;
                }
            };
            if let Some(link) = setup_link_in(&line) {
                setup_link = Some(link);
            }
            if let Some(rest) = line.split(" is listening on https://").nth(1) {
                let port = rest.rsplit(':').next().unwrap().parse().unwrap();
                return Ok(Server {
                    child: Some(child),
                    dir: dir.to_path_buf(),
                    port,
                    setup_link,
                    stderr,
                    stdout,
                });
            }
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("https://127.0.0.1:{}{path}", self.port)
    }

    /// The setup link, pointed at the port the server really listens on.
    pub fn link(&self) -> String {
        self.at_own_port(
            self.setup_link
                .as_deref()
                .expect("no setup link was printed"),
        )
    }

    /// A printed setup link, pointed at the port the server really listens on.
    fn at_own_port(&self, link: &str) -> String {
        self.url(&link[link.find("/setup/").unwrap()..])
    }

    /// The next setup link the server prints after start-up (a fresh one when the first
    /// expires), pointed at the port it listens on; `None` if none comes within `wait`.
    pub async fn printed_setup_link(&self, wait: Duration) -> Option<String> {
        let deadline = Instant::now() + wait;
        while Instant::now() < deadline {
            match self.stdout.try_recv() {
                Ok(line) => {
                    if let Some(link) = setup_link_in(&line) {
                        return Some(self.at_own_port(&link));
                    }
                }
                Err(_) => tokio::time::sleep(Duration::from_millis(20)).await,
            }
        }
        None
    }

    /// The next line printed on standard output that contains `needle`, waiting at most `wait`.
    pub fn wait_for_line(&self, needle: &str, wait: Duration) -> Option<String> {
        let deadline = Instant::now() + wait;
        while let Some(left) = deadline.checked_duration_since(Instant::now()) {
            match self
                .stdout
                .recv_timeout(left.min(Duration::from_millis(100)))
            {
                Ok(line) if line.contains(needle) => return Some(line),
                Ok(_) | Err(std::sync::mpsc::RecvTimeoutError::Timeout) => {}
                Err(std::sync::mpsc::RecvTimeoutError::Disconnected) => return None,
            }
        }
        None
    }

    /// Moves the server's manual clock (see [`discord_env`]) forward by `secs`.
    pub async fn advance_clock(&self, secs: i64) {
        stagehand::ops::socket::ask(
            &self.dir.join("data").join("admin.sock"),
            &format!("clock advance {secs}"),
            |_, _| {},
        )
        .await
        .unwrap_or_else(|err| panic!("advancing the clock: {err:#}"));
    }

    pub fn pid(&self) -> u32 {
        self.child.as_ref().unwrap().id()
    }

    pub fn stderr(&self) -> String {
        self.stderr.lock().unwrap().clone()
    }

    /// Sends `signal` (e.g. "TERM") and waits for the exit: (status, how long it took, stderr).
    pub fn stop_with(mut self, signal: &str) -> (ExitStatus, Duration, String) {
        let mut child = self.child.take().unwrap();
        let started = Instant::now();
        let sent = Command::new("kill")
            .arg(format!("-{signal}"))
            .arg(child.id().to_string())
            .status()
            .unwrap();
        assert!(sent.success());
        let status = loop {
            if let Some(status) = child.try_wait().unwrap() {
                break status;
            }
            assert!(
                started.elapsed() < Duration::from_secs(30),
                "serve ignored SIG{signal}"
            );
            std::thread::sleep(Duration::from_millis(10));
        };
        let elapsed = started.elapsed();
        std::thread::sleep(Duration::from_millis(50));
        (status, elapsed, self.stderr())
    }

    /// Stops with SIGTERM and asserts a clean exit.
    pub fn stop(self) -> String {
        let (status, _, stderr) = self.stop_with("TERM");
        assert!(status.success(), "serve exited with {status}: {stderr}");
        stderr
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

/// The setup link printed on `line`, if it is that line.
fn setup_link_in(line: &str) -> Option<String> {
    line.trim()
        .strip_prefix("https://")
        .filter(|l| l.contains("/setup/"))
        .map(|link| format!("https://{link}"))
}

/// An HTTPS client that accepts the server's self-signed certificate.
pub fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .danger_accept_invalid_certs(true)
        .redirect(reqwest::redirect::Policy::none())
        .timeout(Duration::from_secs(20))
        .build()
        .unwrap()
}

/// A valid setup form for the requests module only.
pub const SETUP_FORM: &[(&str, &str)] = &[
    ("discord_token", "MTAx.GhIj.abc_DEF-123"),
    ("application_id", "101"),
    ("guild_id", "202"),
    ("public_url", "https://bot.example.org"),
    ("module_requests", "on"),
];

/// Posts the setup form and returns (status, body).
pub async fn post_setup(server: &Server, form: &[(&str, &str)]) -> (u16, String) {
    let response = client()
        .post(server.link())
        .form(form)
        .send()
        .await
        .unwrap();
    (response.status().as_u16(), response.text().await.unwrap())
}

pub async fn get(url: &str) -> (u16, String) {
    let response = client().get(url).send().await.unwrap();
    (response.status().as_u16(), response.text().await.unwrap())
}

/// Where the manual clock of servers started with [`discord_env`] begins: 2026-11-01 00:00 UTC.
pub const FAKE_CLOCK_START: i64 = 1_793_491_200;

/// Settings that point a server at the fake Discord `fake` (its certificate saved in `dir`),
/// with the request desk enabled.
pub fn discord_env(
    dir: &Path,
    fake: &discord::FakeDiscord,
    guild: &discord::Guild,
) -> Vec<(String, String)> {
    let ca = dir.join("fake-discord.pem");
    std::fs::write(&ca, fake.certificate_pem()).unwrap();
    [
        ("STAGEHAND_DISCORD_PROXY", fake.api_url()),
        ("STAGEHAND_DISCORD_CA_CERT", ca.display().to_string()),
        (
            "STAGEHAND_DISCORD_TOKEN",
            discord::FakeDiscord::TOKEN.to_string(),
        ),
        (
            "STAGEHAND_DISCORD_APPLICATION_ID",
            discord::FakeDiscord::APPLICATION_ID.to_string(),
        ),
        ("STAGEHAND_DISCORD_GUILD_ID", guild.id.to_string()),
        ("STAGEHAND_MODULES_REQUESTS", "true".to_string()),
        ("STAGEHAND_LOG_FILTER", "stagehand=debug,info".to_string()),
        (
            stagehand::clock::FAKE_CLOCK_ENV,
            FAKE_CLOCK_START.to_string(),
        ),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v))
    .collect()
}

/// [`discord_env`] with the osu! league on, pointed at the fake osu! `osu`.
pub fn league_env(
    dir: &Path,
    fake: &discord::FakeDiscord,
    guild: &discord::Guild,
    osu: &osu::FakeOsu,
) -> Vec<(String, String)> {
    let mut env = discord_env(dir, fake, guild);
    env.extend([
        ("STAGEHAND_MODULES_LEAGUE".into(), "true".into()),
        ("STAGEHAND_OSU_BASE_URL".into(), osu.base_url()),
        ("STAGEHAND_OSU_CLIENT_ID".into(), osu::CLIENT_ID.to_string()),
        (
            "STAGEHAND_OSU_CLIENT_SECRET".into(),
            osu::CLIENT_SECRET.to_string(),
        ),
    ]);
    env
}

/// Starts a server in `dir` connected to the fake Discord ([`discord_env`]).
pub fn start_with_discord(
    dir: &Path,
    fake: &discord::FakeDiscord,
    guild: &discord::Guild,
) -> Server {
    let env = discord_env(dir, fake, guild);
    let pairs: Vec<(&str, &str)> = env.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    Server::start(dir, &pairs)
}

/// Waits until `condition` holds, or fails with `what`.
pub async fn eventually(what: &str, mut condition: impl FnMut() -> bool) {
    let deadline = std::time::Instant::now() + Duration::from_secs(15);
    while !condition() {
        assert!(
            std::time::Instant::now() < deadline,
            "timed out waiting for {what}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// A running server on a fresh install, connected to a fake Discord holding `guild`, with its
/// commands registered and its guild's owner known.
pub struct Connected {
    pub guild: discord::Guild,
    pub fake: discord::FakeDiscord,
    pub server: Server,
    _dir: tempfile::TempDir,
}

impl Connected {
    pub async fn start(guild: discord::Guild) -> Connected {
        let fake = discord::FakeDiscord::start(guild.clone()).await;
        let dir = tempfile::tempdir().unwrap();
        let server = start_with_discord(dir.path(), &fake, &guild);
        fake.wait_ready().await;
        fake.wait_until("command registration", |f| f.command_registrations() == 1)
            .await;
        // The bot learns who owns the guild from GUILD_CREATE, handled concurrently: wait until
        // the owner may use an admin command.
        let deadline = std::time::Instant::now() + Duration::from_secs(15);
        loop {
            let reply = fake
                .invoke(guild.owner, "permission list_roles", &[], "en-US")
                .await
                .response()
                .await;
            if reply.content != "You do not have permission to do this." {
                break;
            }
            assert!(std::time::Instant::now() < deadline, "the owner is unknown");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        Connected {
            guild,
            fake,
            server,
            _dir: dir,
        }
    }
}
