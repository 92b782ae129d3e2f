//! Stamps the git commit into the binary (`STAGEHAND_GIT`), falling back to "unknown commit".

fn main() {
    let commit = std::process::Command::new("git")
        .args(["rev-parse", "--short=10", "HEAD"])
        .output()
        .ok()
        .filter(|out| out.status.success())
        .and_then(|out| String::from_utf8(out.stdout).ok())
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty());
    if commit.is_none() {
        println!("cargo:warning=git is not available; the version will not name a commit");
    }
    println!(
        "cargo:rustc-env=STAGEHAND_GIT={}",
        commit.unwrap_or_else(|| "unknown commit".into())
    );
    println!("cargo:rerun-if-changed=.git/HEAD");
    println!("cargo:rerun-if-changed=.git/refs/heads");
}
