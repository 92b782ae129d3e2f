//! `testssl.sh` against `serve`: protocols, cipher categories, forward secrecy, the server's
//! cipher order, the server defaults (certificate, session resumption), the HTTP headers and
//! every vulnerability check, with no finding above LOW but those a self-signed certificate
//! necessarily gets ([`TOLERATED`]).
//!
//! Debian's package (`apt-get install testssl.sh`, which `.ci/run` installs) names the command
//! `testssl`; upstream's is `testssl.sh`, and either is used. Without it the test fails, unless
//! `STAGEHAND_SKIP_TESTSSL=1` says to skip it. The client simulation (`-c`) and the per-cipher
//! list (`-e`) are left out: they judge nothing the cipher categories, the forward secrecy and
//! the vulnerability checks have not, and took 40 s of the 2 minutes a full run takes. About a
//! minute against the debug build.

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use crate::support::Server;

/// Set to `1` to skip this test where `testssl.sh` is not installed.
const SKIP: &str = "STAGEHAND_SKIP_TESTSSL";

/// The findings above LOW a self-signed certificate necessarily gets: (id, the finding's text,
/// why it is tolerated). Each is tolerated only with exactly this text.
const TOLERATED: &[(&str, &str, &str)] = &[
    (
        "cert_chain_of_trust",
        "failed (self signed).",
        "CRITICAL: no authority vouches for a self-signed certificate; the browser asks once",
    ),
    (
        "cert_revocation",
        "Neither CRL nor OCSP URI provided",
        "HIGH: with no authority there is nobody to revoke it, so nowhere to ask (CRL, OCSP)",
    ),
];

/// Findings that only say a check could not measure something, for a reason outside the
/// server: (id, why).
const UNMEASURED: &[(&str, &str)] = &[(
    "sessionresumption_ticket",
    "WARN, at random: `openssl s_client` quits as soon as its handshake is done, and with \
     TLS 1.3 the session ticket follows the client's Finished, so it often has none to resume \
     with (resumption by session ID, `sessionresumption_ID`, is checked and works)",
)];

/// Checks each run must have reported: protocols, cipher categories and order, forward
/// secrecy, headers, vulnerabilities. A scan that failed to run them is no pass.
const REQUIRED: &[&str] = &[
    "SSLv2",
    "SSLv3",
    "TLS1",
    "TLS1_1",
    "TLS1_2",
    "TLS1_3",
    "ALPN_HTTP2",
    "cipherlist_NULL",
    "cipherlist_aNULL",
    "cipherlist_EXPORT",
    "cipherlist_LOW",
    "cipherlist_3DES_IDEA",
    "cipherlist_AVERAGE",
    "cipherlist_STRONG",
    "PFS",
    "cipher_order",
    "cert_chain_of_trust",
    "cert_expirationStatus",
    "HSTS",
    "X-Frame-Options",
    "X-Content-Type-Options",
    "Content-Security-Policy",
    "heartbleed",
    "CCS",
    "ticketbleed",
    "ROBOT",
    "secure_renego",
    "secure_client_renego",
    "CRIME_TLS",
    "BREACH",
    "POODLE_SSL",
    "fallback_SCSV",
    "SWEET32",
    "FREAK",
    "DROWN",
    "LOGJAM",
    "BEAST",
    "LUCKY13",
    "RC4",
];

/// The `testssl.sh` command on this machine, if any.
fn testssl() -> Option<&'static str> {
    ["testssl", "testssl.sh"].into_iter().find(|name| {
        Command::new(name)
            .arg("--version")
            .output()
            .is_ok_and(|out| out.status.success())
    })
}

/// One finding of the flat JSON (`--jsonfile`).
#[derive(serde::Deserialize)]
struct Finding {
    id: String,
    severity: String,
    finding: String,
}

/// Runs `testssl` against `port` on loopback, returning its findings and how long it took.
fn scan(command: &str, port: u16, dir: &Path) -> (Vec<Finding>, Duration) {
    let json = dir.join("testssl.json");
    let started = Instant::now();
    let mut child = Command::new(command)
        .args(["--quiet", "--warnings", "batch", "--color", "0"])
        // No DNS: the target is an address on this machine.
        .args(["--nodns", "none"])
        .args(["--protocols", "--standard", "--fs", "--server-preference"])
        .args(["--server-defaults", "--headers", "--vulnerable"])
        .arg("--jsonfile")
        .arg(&json)
        .arg(format!("127.0.0.1:{port}"))
        .env("TMPDIR", dir)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap_or_else(|err| panic!("cannot run `{command}`: {err}"));
    // Drained on threads, so a full pipe never stalls the scan.
    let drain = |pipe: Option<Box<dyn std::io::Read + Send>>| {
        std::thread::spawn(move || {
            let mut text = String::new();
            if let Some(mut pipe) = pipe {
                let _ = pipe.read_to_string(&mut text);
            }
            text
        })
    };
    let stdout = drain(child.stdout.take().map(|p| Box::new(p) as _));
    let stderr = drain(child.stderr.take().map(|p| Box::new(p) as _));
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if started.elapsed() > Duration::from_secs(300) {
            let _ = child.kill();
            let _ = child.wait();
            panic!(
                "`{command}` ran for over 5 minutes:\n{}",
                stdout.join().unwrap()
            );
        }
        std::thread::sleep(Duration::from_millis(200));
    };
    let took = started.elapsed();
    let (stdout, stderr) = (stdout.join().unwrap(), stderr.join().unwrap());
    let text = std::fs::read_to_string(&json).unwrap_or_else(|err| {
        panic!(
            "`{command}` ({status}) wrote no {}: {err}\n{stdout}{stderr}",
            json.display()
        )
    });
    let findings = serde_json::from_str(&text)
        .unwrap_or_else(|err| panic!("`{command}` wrote JSON this test cannot read: {err}"));
    (findings, took)
}

/// Issue 25: `testssl.sh` against `serve` finds nothing above LOW but the self-signed
/// certificate's trust. It found that the server had no cipher order of its own (HIGH: a
/// client listing a weaker suite first got it); rustls now keeps to its own.
#[test]
fn testssl_finds_nothing_above_low_but_the_self_signed_trust() {
    let Some(command) = testssl() else {
        if std::env::var(SKIP).as_deref() == Ok("1") {
            eprintln!("skipped: testssl.sh is not installed ({SKIP}=1)");
            return;
        }
        panic!(
            "cannot run `testssl` or `testssl.sh`: install Debian's testssl.sh package (.ci/run \
             does), or set {SKIP}=1 to skip this test"
        );
    };
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path(), &[]);
    let scratch = dir.path().join("scan");
    std::fs::create_dir(&scratch).unwrap();
    let (findings, took) = scan(command, server.port, &scratch);
    server.stop();
    eprintln!("testssl took {took:.0?}");

    let mut problems = Vec::new();
    for Finding {
        id,
        severity,
        finding,
    } in &findings
    {
        let tolerated = TOLERATED
            .iter()
            .any(|(tid, text, _)| tid == id && text == finding);
        let unmeasured = UNMEASURED.iter().any(|(uid, _)| uid == id);
        let bad = match severity.as_str() {
            "OK" | "INFO" | "LOW" => false,
            "WARN" => !unmeasured,
            _ => !tolerated,
        };
        if bad {
            problems.push(format!("{id} {severity}: {finding}"));
        }
    }
    for required in REQUIRED {
        if !findings.iter().any(|f| f.id == *required) {
            problems.push(format!("{required}: not checked"));
        }
    }
    assert!(
        problems.is_empty(),
        "testssl found (tolerated: {:?}):\n{}",
        TOLERATED.iter().map(|t| t.0).collect::<Vec<_>>(),
        problems.join("\n")
    );
    // TLS 1.0 and 1.1 offered would be LOW (deprecated) only: TLS 1.2 and 1.3 alone.
    let finding = |id: &str| {
        findings
            .iter()
            .find(|f| f.id == id)
            .map_or("", |f| f.finding.as_str())
    };
    for id in ["SSLv2", "SSLv3", "TLS1", "TLS1_1"] {
        assert_eq!(finding(id), "not offered", "{id}");
    }
    for id in ["TLS1_2", "TLS1_3"] {
        assert!(finding(id).starts_with("offered"), "{id}: {}", finding(id));
    }
}
