//! Start-up and idle memory of the real binary: `startup_to_listening_ms` (cold start, a fresh
//! data directory each run, so it includes creating the store and the certificate, until the TLS
//! port accepts connections) and `idle_rss_mb` (resident memory one second after start).

use std::net::TcpStream;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::Context as _;

use super::Figure;

pub fn figures() -> anyhow::Result<Vec<Figure>> {
    let binary = build()?;
    let startup = super::median(15, || {
        Ok(Run::start(&binary)?.startup().as_secs_f64() * 1000.0)
    })?;
    let run = Run::start(&binary)?;
    std::thread::sleep(Duration::from_secs(1));
    let rss = run.rss_kib()? as f64 / 1024.0;
    Ok(vec![
        Figure {
            name: "startup_to_listening_ms",
            value: startup,
            unit: "ms",
        },
        Figure {
            name: "idle_rss_mb",
            value: rss,
            unit: "MB",
        },
    ])
}

/// Builds the release binary and returns its path.
pub(super) fn build() -> anyhow::Result<std::path::PathBuf> {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    // `cargo run` described xtask's package to this process; build scripts that watch those
    // variables (ring's) would rebuild every dependant, here and again on the next
    // `cargo xtask`.
    let package_vars = std::env::vars_os().map(|(name, _)| name).filter(|name| {
        let name = name.to_string_lossy();
        name.starts_with("CARGO_PKG_") || name.starts_with("CARGO_MANIFEST_")
    });
    let mut command = Command::new(cargo);
    for name in package_vars {
        command.env_remove(name);
    }
    let status = command
        .current_dir(crate::project_root())
        .args(["build", "--release", "--quiet", "--bin", "stagehand"])
        .status()?;
    anyhow::ensure!(status.success(), "cargo build --release failed");
    Ok(crate::project_root().join("target/release/stagehand"))
}

pub(super) struct Run {
    child: Child,
    startup: Duration,
    port: u16,
    _dir: tempdir::Dir,
}

impl Run {
    pub(super) fn start(binary: &std::path::Path) -> anyhow::Result<Run> {
        Run::start_with(binary, |_| Vec::new())
    }

    /// Starts the binary with extra settings, made from its data directory's parent.
    pub(super) fn start_with(
        binary: &std::path::Path,
        env: impl FnOnce(&std::path::Path) -> Vec<(String, String)>,
    ) -> anyhow::Result<Run> {
        let dir = tempdir::Dir::new()?;
        let extra = env(dir.path());
        let port = std::net::TcpListener::bind("127.0.0.1:0")?
            .local_addr()?
            .port();
        let started = Instant::now();
        let mut child = Command::new(binary)
            .arg("--data-dir")
            .arg(dir.path().join("data"))
            .arg("serve")
            .env("STAGEHAND_HTTP_BIND", "127.0.0.1")
            .env("STAGEHAND_HTTP_PORT", port.to_string())
            .envs(extra)
            .current_dir(dir.path())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .context("starting stagehand")?;
        loop {
            if TcpStream::connect(("127.0.0.1", port)).is_ok() {
                break;
            }
            if let Some(status) = child.try_wait()? {
                anyhow::bail!("stagehand exited during start-up: {status}");
            }
            anyhow::ensure!(
                started.elapsed() < Duration::from_secs(20),
                "stagehand did not start listening"
            );
            std::thread::sleep(Duration::from_micros(200));
        }
        Ok(Run {
            child,
            startup: started.elapsed(),
            port,
            _dir: dir,
        })
    }

    /// How long it took from spawning to listening.
    pub(super) fn startup(&self) -> Duration {
        self.startup
    }

    /// The HTTPS port it listens on.
    pub(super) fn port(&self) -> u16 {
        self.port
    }

    /// CPU time (user + system) the process has used so far.
    /// The CPU time the server has used so far, all its threads together.
    pub(super) fn cpu_time(&self) -> anyhow::Result<Duration> {
        cpu_time(self.child.id())
    }

    fn rss_kib(&self) -> anyhow::Result<u64> {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.child.id()))?;
        let line = status
            .lines()
            .find(|l| l.starts_with("VmRSS:"))
            .context("no VmRSS")?;
        line.split_whitespace()
            .nth(1)
            .context("VmRSS value")?
            .parse()
            .context("VmRSS number")
    }
}

impl Drop for Run {
    fn drop(&mut self) {
        let _ = Command::new("kill")
            .arg("-TERM")
            .arg(self.child.id().to_string())
            .status();
        let _ = self.child.wait();
    }
}

/// A temporary directory removed on drop (std only, to keep xtask's dependencies few).
mod tempdir {
    pub struct Dir(std::path::PathBuf);

    impl Dir {
        pub fn new() -> std::io::Result<Dir> {
            let nanos = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap_or_default()
                .as_nanos();
            let path = std::env::temp_dir()
                .join(format!("stagehand-bench-{}-{nanos}", std::process::id()));
            std::fs::create_dir_all(&path)?;
            Ok(Dir(path))
        }

        pub fn path(&self) -> &std::path::Path {
            &self.0
        }
    }

    impl Drop for Dir {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }
}

/// The CPU time process `pid` has used so far: the sum of its threads' run times, which the
/// kernel keeps in nanoseconds (`/proc/<pid>/task/<tid>/schedstat`, first field). Threads that
/// have already exited are not counted, so measure while the threads that do the work live.
pub(super) fn cpu_time(pid: u32) -> anyhow::Result<Duration> {
    let mut total = 0u64;
    for task in std::fs::read_dir(format!("/proc/{pid}/task"))? {
        let path = task?.path().join("schedstat");
        // A thread may exit between listing and reading.
        let Ok(stat) = std::fs::read_to_string(&path) else {
            continue;
        };
        let ns: u64 = stat
            .split_whitespace()
            .next()
            .context("empty schedstat")?
            .parse()
            .with_context(|| format!("{}: not a number", path.display()))?;
        total += ns;
    }
    Ok(Duration::from_nanos(total))
}
