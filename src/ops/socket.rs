//! The admin socket: how `stagehand backup` and `stagehand check` reach a running server, which
//! holds the store's lock. A unix socket in the data directory, readable by its owner only.
//! A socket address holds at most 107 bytes of path; a longer one is reached through a
//! descriptor open on its folder (`/proc/self/fd/<fd>/admin.sock`), so any data directory works.
//!
//! Protocol: the client sends one line, `backup <path>`, `check`, `restart <path>` (from
//! `stagehand update`, once it has put a new binary at `<path>`), `panel on <staff>`,
//! `panel rotate | off | status` (see `ops::panel`), or (on a manual clock, in tests)
//! `clock advance <secs>`. The server answers with lines
//! `progress <done> <total>`, `line <text>`, and finally `ok` or `error <message>`.

use std::path::Path;
use std::sync::Arc;

use anyhow::Context as _;
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::{UnixListener, UnixStream};

use crate::config::Settings;
use crate::paths::Paths;
use crate::store::Store;

/// What the server side needs.
pub struct Admin {
    pub store: Arc<Store>,
    pub settings: Arc<Settings>,
    pub paths: Paths,
    pub clock: crate::clock::Clock,
    /// The port the HTTPS server listens on (for the Control Panel's base URL).
    pub https_port: u16,
    /// How `restart` reaches `serve`: the binary `serve` runs from, and the signal.
    pub restart: Option<Restart>,
}

/// What `restart <path>` needs: `serve` restarts only into the binary at its own path.
pub struct Restart {
    pub exe: std::path::PathBuf,
    pub signal: Arc<tokio::sync::Notify>,
}

/// Binds the socket (replacing a stale one: whoever holds the store lock owns the data dir).
pub fn bind(path: &Path) -> anyhow::Result<UnixListener> {
    if path.exists() {
        std::fs::remove_file(path).with_context(|| format!("removing stale {}", path.display()))?;
    }
    let listener = within_reach(path, |short| UnixListener::bind(short))
        .with_context(|| format!("binding {}", path.display()))?;
    use std::os::unix::fs::PermissionsExt as _;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600))?;
    Ok(listener)
}

/// The longest path a socket address holds (`sun_path` is 108 bytes with its NUL on Linux).
#[cfg(target_os = "linux")]
const SOCKET_PATH_MAX: usize = 107;

/// Runs `f` (a bind or a connect) on `path`, or, when `path` is too long for a socket address,
/// on a short path to the same file through a descriptor open on its folder.
fn within_reach<T>(path: &Path, f: impl FnOnce(&Path) -> std::io::Result<T>) -> std::io::Result<T> {
    #[cfg(target_os = "linux")]
    if path.as_os_str().len() > SOCKET_PATH_MAX
        && let (Some(dir), Some(name)) = (path.parent(), path.file_name())
    {
        use std::os::fd::AsRawFd as _;
        // Kept open until `f` returns: the short path names the folder through it.
        let folder = std::fs::File::open(dir)?;
        let short = Path::new("/proc/self/fd")
            .join(folder.as_raw_fd().to_string())
            .join(name);
        return f(&short);
    }
    f(path)
}

pub async fn serve(listener: UnixListener, admin: Arc<Admin>) {
    loop {
        let Ok((stream, _)) = listener.accept().await else {
            continue;
        };
        let admin = admin.clone();
        tokio::spawn(async move {
            if let Err(err) = answer(stream, &admin).await {
                tracing::warn!(error = %format!("{err:#}"), "admin request failed");
            }
        });
    }
}

async fn answer(stream: UnixStream, admin: &Arc<Admin>) -> anyhow::Result<()> {
    let (read, mut write) = stream.into_split();
    let mut request = String::new();
    BufReader::new(read.take(4096))
        .read_line(&mut request)
        .await?;
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel::<String>();
    let admin = admin.clone();
    let request = request.trim_end().to_string();
    let work = {
        let (admin, request) = (admin.clone(), request.clone());
        tokio::task::spawn_blocking(move || run(&request, &admin, &tx))
    };
    while let Some(line) = rx.recv().await {
        write.write_all(line.as_bytes()).await?;
    }
    let done = work.await?;
    let restart = done.is_ok() && request.starts_with("restart ");
    let last = match done {
        Ok(()) => "ok\n".to_string(),
        Err(err) => format!("error {}\n", format!("{err:#}").replace('\n', " ")),
    };
    write.write_all(last.as_bytes()).await?;
    write.shutdown().await?;
    // Only once `update` has its answer: the restart closes this socket with everything else.
    if restart && let Some(restart) = &admin.restart {
        restart.signal.notify_one();
    }
    Ok(())
}

fn run(
    request: &str,
    admin: &Admin,
    out: &tokio::sync::mpsc::UnboundedSender<String>,
) -> anyhow::Result<()> {
    match request.split_once(' ') {
        Some(("backup", path)) => {
            tracing::info!(path, "backup requested");
            super::backup::check_destination(&admin.paths, Path::new(path))?;
            let mut last_sent = 0;
            let info = super::backup::create(
                &admin.store,
                Path::new(path),
                &admin.paths.backups(),
                admin.settings.backup_keep,
                &mut |done, total| {
                    if done == total || done >= last_sent + 4096 {
                        last_sent = done;
                        let _ = out.send(format!("progress {done} {total}\n"));
                    }
                },
            )
            .map_err(|err| super::backup::failure(&admin.paths.backups(), err))?;
            let _ = out.send(format!(
                "line {}\n",
                super::backup::describe_snapshot(Path::new(path), &info)
            ));
            Ok(())
        }
        None if request == "check" => {
            let report = super::check::report(&admin.paths, Some(&admin.store));
            for line in report.lines {
                let _ = out.send(format!("line {line}\n"));
            }
            anyhow::ensure!(report.problems == 0, "{} problem(s) found", report.problems);
            Ok(())
        }
        Some(("restart", path)) => {
            let restart = admin
                .restart
                .as_ref()
                .context("this server cannot tell which binary it runs from")?;
            let asked = std::fs::canonicalize(path).unwrap_or_else(|_| Path::new(path).into());
            anyhow::ensure!(
                asked == restart.exe,
                "this server runs {}, not {}: restart it yourself",
                restart.exe.display(),
                asked.display()
            );
            tracing::info!(binary = %restart.exe.display(), "restart requested after an update");
            let _ = out.send("line the server is restarting into the new binary\n".to_string());
            // The restart itself is signalled by `answer`, once this request has its answer.
            Ok(())
        }
        Some(("panel", words)) => {
            let request = super::panel::Request::parse(words)?;
            let base = admin.settings.base_url(admin.https_port);
            let lines = super::panel::run(&admin.store, request, &base, admin.clock.now())?;
            for line in lines {
                let _ = out.send(format!("line {line}\n"));
            }
            Ok(())
        }
        Some(("clock", rest)) => {
            let secs = rest
                .strip_prefix("advance ")
                .and_then(|n| n.trim().parse::<i64>().ok())
                .filter(|n| *n >= 0)
                .context("expected `clock advance <seconds>`")?;
            anyhow::ensure!(
                admin.clock.is_manual(),
                "the server runs on the system clock (start it with {} to move time)",
                crate::clock::FAKE_CLOCK_ENV
            );
            admin.clock.advance(secs);
            Ok(())
        }
        _ => anyhow::bail!("unknown admin request"),
    }
}

/// Client side: sends `request` to the running server, calling `on_progress` and printing each
/// `line`; returns the server's final verdict.
pub async fn ask(
    socket: &Path,
    request: &str,
    mut on_progress: impl FnMut(u64, u64),
) -> anyhow::Result<()> {
    // A unix socket's connect never waits for the server to accept, so it need not be async.
    let stream = within_reach(socket, |short| {
        std::os::unix::net::UnixStream::connect(short)
    })
    .and_then(|stream| {
        stream.set_nonblocking(true)?;
        UnixStream::from_std(stream)
    })
    .with_context(|| {
        format!(
            "the store is in use but the running server does not answer on {}",
            socket.display()
        )
    })?;
    let (read, mut write) = stream.into_split();
    write.write_all(format!("{request}\n").as_bytes()).await?;
    let mut lines = BufReader::new(read).lines();
    while let Some(line) = lines.next_line().await? {
        match line.split_once(' ').unwrap_or((line.as_str(), "")) {
            ("progress", rest) => {
                let mut numbers = rest.split(' ').map(|n| n.parse::<u64>().unwrap_or(0));
                on_progress(numbers.next().unwrap_or(0), numbers.next().unwrap_or(0));
            }
            ("line", text) => println!("{text}"),
            ("ok", _) => return Ok(()),
            ("error", message) => anyhow::bail!("{message}"),
            _ => anyhow::bail!("unexpected answer from the server: {line:?}"),
        }
    }
    anyhow::bail!("the server closed the connection without an answer")
}
