//! Project hygiene that a reviewer would otherwise have to remember: module docs, layering
//! invariants from ARCHITECTURE.md, and documentation that lists every setting.

use std::path::{Path, PathBuf};

fn rust_files(dir: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            } else if path.extension().is_some_and(|e| e == "rs") {
                files.push(path);
            }
        }
    }
    files.sort();
    files
}

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

#[test]
fn every_source_file_opens_with_a_module_doc() {
    for dir in ["src", "xtask/src", "tests"] {
        for file in rust_files(&root().join(dir)) {
            let text = std::fs::read_to_string(&file).unwrap();
            assert!(
                text.starts_with("//!"),
                "{} must open with a //! comment saying what it owns",
                file.display()
            );
        }
    }
}

#[test]
fn layering_invariants_hold() {
    // Only `store/` opens redb; only `discord/` sees serenity; domain code sees neither.
    for file in rust_files(&root().join("src")) {
        let text = std::fs::read_to_string(&file).unwrap();
        let relative = file
            .strip_prefix(root())
            .unwrap()
            .to_string_lossy()
            .into_owned();
        if !relative.starts_with("src/store/") {
            assert!(
                !text.contains("redb::"),
                "{relative} uses redb directly; go through store::"
            );
        }
        if !relative.starts_with("src/discord/") {
            assert!(
                !text.contains("serenity::"),
                "{relative} uses serenity outside discord/"
            );
        }
        for domain in ["src/league/", "src/requests/", "src/audit/", "src/render/"] {
            if relative.starts_with(domain) {
                for foreign in ["hyper::", "reqwest::", "tokio::net"] {
                    assert!(
                        !text.contains(foreign),
                        "{relative} is domain code but uses {foreign}"
                    );
                }
            }
        }
    }
}

/// The example config lists every setting with its doc and default, generated from the table.
fn example_config() -> String {
    let mut out = String::from(
        "# Stagehand settings: every key with its default. Copy to `stagehand.toml` beside the binary\n\
         # (or pass --config) and keep only what you change. Each key can also be set with an\n\
         # environment variable, shown on the line above it; the environment wins over this file,\n\
         # and this file wins over what the setup page stored.\n",
    );
    for spec in stagehand::config::SPECS {
        out.push_str(&format!("\n# {}\n# env: {}\n", spec.doc, spec.env_name()));
        let looks_numeric =
            !spec.default.is_empty() && spec.default.bytes().all(|b| b.is_ascii_digit());
        let value = match spec.default {
            "true" | "false" => spec.default.to_string(),
            _ if looks_numeric => spec.default.to_string(),
            other => format!("{other:?}"),
        };
        let line = format!("{} = {value}\n", spec.key);
        if spec.default.is_empty() {
            out.push_str(&format!("# {line}"))
        } else {
            out.push_str(&line)
        }
    }
    out
}

#[test]
fn the_example_config_and_readme_cover_every_setting() {
    let path = root().join("defaults/stagehand.example.toml");
    let expected = example_config();
    if std::env::var_os("STAGEHAND_BLESS").is_some() {
        std::fs::write(&path, &expected).unwrap();
    }
    let actual = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        actual == expected,
        "defaults/stagehand.example.toml is stale: run `STAGEHAND_BLESS=1 cargo test tidy`"
    );
    // The example must itself be a valid config.
    let sources = stagehand::config::Sources {
        file: Some((path, actual)),
        ..Default::default()
    };
    assert!(
        stagehand::config::Layers::collect(&sources)
            .settings()
            .is_ok()
    );

    let readme = std::fs::read_to_string(root().join("README.md")).unwrap();
    for spec in stagehand::config::SPECS {
        assert!(
            readme.contains(&format!("`{}`", spec.key)),
            "README.md does not document `{}`",
            spec.key
        );
    }
}
