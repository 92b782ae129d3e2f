//! Project hygiene that a reviewer would otherwise have to remember: module docs, layering
//! invariants from ARCHITECTURE.md (the one-way rule between top-level modules: no shell named
//! below the shells, a store that names nothing above it, no import circle), and documentation
//! that lists every setting.

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

/// Top-level modules of `src/` and the files of each, with `#[cfg(test)] mod tests` tails cut:
/// tests may reach across layers to set things up.
fn modules() -> Vec<(String, Vec<(String, String)>)> {
    let src = root().join("src");
    let mut modules = Vec::new();
    for entry in std::fs::read_dir(&src).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_stem().unwrap().to_string_lossy().into_owned();
        if name == "main" || name == "lib" {
            continue;
        }
        let files = if path.is_dir() {
            rust_files(&path)
        } else {
            vec![path.clone()]
        };
        let files = files
            .into_iter()
            .map(|file| {
                let text = std::fs::read_to_string(&file).unwrap();
                let code = match text.find("#[cfg(test)]\nmod tests") {
                    Some(at) => text[..at].to_string(),
                    None => text,
                };
                let relative = file.strip_prefix(root()).unwrap();
                (relative.to_string_lossy().into_owned(), code)
            })
            .collect();
        modules.push((name, files));
    }
    modules.sort();
    modules
}

/// The top-level modules a file's code names as `crate::<module>`.
fn named_modules(code: &str) -> Vec<String> {
    let mut named: Vec<String> = code
        .match_indices("crate::")
        .map(|(at, _)| {
            code[at + "crate::".len()..]
                .chars()
                .take_while(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || *c == '_')
                .collect()
        })
        .collect();
    named.sort();
    named.dedup();
    named
}

#[test]
fn nothing_below_the_shells_names_them() {
    // The domain, the shared services, the store, the outbox and the bot know no shell.
    const BELOW: &[&str] = &[
        "access", "audit", "bot", "gd", "i18n", "league", "outbox", "params", "render", "requests",
        "routes", "store", "time",
    ];
    for (module, files) in modules() {
        if !BELOW.contains(&module.as_str()) {
            continue;
        }
        for (path, code) in files {
            for shell in ["crate::discord::", "crate::web::", "serenity::", "hyper::"] {
                assert!(!code.contains(shell), "{path} names {shell}");
            }
        }
    }
}

#[test]
fn the_store_names_no_module_above_it() {
    for (module, files) in modules() {
        if module != "store" {
            continue;
        }
        for (path, code) in files {
            let above: Vec<String> = named_modules(&code)
                .into_iter()
                .filter(|m| m != "store")
                .collect();
            assert!(above.is_empty(), "{path} names crate::{above:?}");
        }
    }
}

#[test]
fn no_import_circle_between_top_level_modules() {
    let modules = modules();
    let names: Vec<&str> = modules.iter().map(|(name, _)| name.as_str()).collect();
    let edges: Vec<Vec<usize>> = modules
        .iter()
        .map(|(name, files)| {
            let mut to: Vec<usize> = files
                .iter()
                .flat_map(|(_, code)| named_modules(code))
                .filter(|m| m != name)
                .filter_map(|m| names.iter().position(|n| *n == m))
                .collect();
            to.sort_unstable();
            to.dedup();
            to
        })
        .collect();
    // A circle exists when some module reaches itself; report the path that closes it.
    for start in 0..names.len() {
        let mut stack = vec![(start, vec![start])];
        let mut seen = vec![false; names.len()];
        while let Some((at, path)) = stack.pop() {
            for &next in &edges[at] {
                let mut longer = path.clone();
                longer.push(next);
                let circle: Vec<&str> = longer.iter().map(|&i| names[i]).collect();
                assert!(next != start, "import circle: {}", circle.join(" -> "));
                if !seen[next] {
                    seen[next] = true;
                    stack.push((next, longer));
                }
            }
        }
    }
}

#[test]
fn the_tidy_parser_sees_modules_and_circles() {
    assert_eq!(
        named_modules("use crate::store::{Read, Store};\nlet x = crate::outbox::push(w, e);"),
        ["outbox", "store"]
    );
    let names: Vec<String> = modules().into_iter().map(|(name, _)| name).collect();
    for expected in ["bot", "discord", "outbox", "store", "web"] {
        assert!(names.iter().any(|n| n == expected), "{names:?}");
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
