//! Stamps the binary: the git commit (`STAGEHAND_GIT`, falling back to "unknown commit"), the
//! target it was built for (`STAGEHAND_TARGET`), and the release public key
//! (`STAGEHAND_RELEASE_KEY`, 64 hex digits of an ed25519 key) when `cargo xtask dist` passes one:
//! `stagehand update` accepts only archives signed by that key, and a build without one updates
//! nothing.

fn main() {
    let commit = git(&["rev-parse", "--short=10", "HEAD"]);
    if commit.is_none() {
        println!("cargo:warning=git is not available; the version will not name a commit");
    }
    println!(
        "cargo:rustc-env=STAGEHAND_GIT={}",
        commit.unwrap_or_else(|| "unknown commit".into())
    );
    println!(
        "cargo:rustc-env=STAGEHAND_TARGET={}",
        std::env::var("TARGET").unwrap_or_default()
    );
    println!("cargo:rerun-if-env-changed=STAGEHAND_RELEASE_KEY");
    match std::env::var("STAGEHAND_RELEASE_KEY") {
        Ok(key) if key.len() == 64 && key.bytes().all(|b| b.is_ascii_hexdigit()) => {
            println!(
                "cargo:rustc-env=STAGEHAND_RELEASE_KEY={}",
                key.to_ascii_lowercase()
            );
        }
        Ok(key) if !key.is_empty() => {
            panic!("STAGEHAND_RELEASE_KEY must be 64 hex digits (an ed25519 public key)")
        }
        _ => println!("cargo:rustc-env=STAGEHAND_RELEASE_KEY="),
    }
    // Where git keeps HEAD and the branches: in a worktree (or a copy inside one) `.git` is a
    // file or absent, and a path that does not exist would rerun this script on every build.
    for (arg, suffix) in [
        ("--git-path", "HEAD"),
        ("--git-common-dir", "refs/heads"),
        ("--git-common-dir", "packed-refs"),
    ] {
        let path = git(&[
            "rev-parse",
            arg,
            if arg == "--git-path" { suffix } else { "" },
        ])
        .map(|p| {
            if arg == "--git-path" {
                std::path::PathBuf::from(p)
            } else {
                std::path::PathBuf::from(p).join(suffix)
            }
        })
        .filter(|p| p.exists());
        if let Some(path) = path {
            println!("cargo:rerun-if-changed={}", path.display());
        }
    }
}

/// What `git args…` prints, trimmed, when it succeeds.
fn git(args: &[&str]) -> Option<String> {
    let args: Vec<&str> = args.iter().copied().filter(|a| !a.is_empty()).collect();
    std::process::Command::new("git")
        .args(&args)
        .output()
        .ok()
        .filter(|out| out.status.success())
        .and_then(|out| String::from_utf8(out.stdout).ok())
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty())
}
