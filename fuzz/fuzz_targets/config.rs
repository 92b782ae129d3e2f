//! The config file (`stagehand.toml`) through `stagehand::config`: `Layers::collect` with the
//! file as the only source, then `Layers::settings`.
//!
//! Properties: neither step panics; every problem comes from the file or names a default the
//! file could not change; a secret's value never appears in a problem; and settings that are
//! valid, written back as a file of strings (each setting's effective text, secrets exposed),
//! read back valid with the same effective values, and the same secrets.

#![no_main]

use std::path::PathBuf;

use libfuzzer_sys::fuzz_target;
use stagehand::config::{Layers, Settings, Source, Sources};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let layers = load(text);
    let result = layers.settings();
    let secrets = file_secrets(text);
    match &result {
        Err(problems) => {
            assert!(!problems.is_empty());
            for problem in problems {
                assert!(
                    matches!(problem.source, Source::File(_) | Source::Default),
                    "{problem}"
                );
                for (key, secret) in &secrets {
                    assert!(
                        problem.key != *key || !problem.message.contains(secret.as_str()),
                        "{problem}"
                    );
                }
            }
        }
        Ok(settings) => round_trip(&layers, settings),
    }
});

fn load(text: &str) -> Layers {
    Layers::collect(&Sources {
        file: Some((PathBuf::from("stagehand.toml"), text.to_string())),
        ..Sources::default()
    })
}

/// The secrets the file sets, with their keys; only those long enough that finding one in a
/// message is no accident.
fn file_secrets(text: &str) -> Vec<(String, String)> {
    let Ok(table) = text.parse::<toml::Table>() else {
        return Vec::new();
    };
    [("discord", "token"), ("osu", "client_secret")]
        .iter()
        .filter_map(|(section, key)| {
            let dotted = table.get(&format!("{section}.{key}"));
            let nested = table.get(*section).and_then(|s| s.get(key));
            let secret = dotted.or(nested)?.as_str()?;
            Some((format!("{section}.{key}"), secret.to_string()))
        })
        .filter(|(_, secret)| secret.len() >= 12 && !secret.contains(char::is_whitespace))
        .collect()
}

fn round_trip(layers: &Layers, settings: &Settings) {
    let mut file = String::new();
    for (spec, shown, _) in layers.effective() {
        let value = match spec.key {
            "discord.token" => settings
                .discord_token
                .as_ref()
                .map_or(String::new(), |s| s.expose().to_string()),
            "osu.client_secret" => settings
                .osu_client_secret
                .as_ref()
                .map_or(String::new(), |s| s.expose().to_string()),
            _ => {
                assert!(!spec.secret, "{} is a secret", spec.key);
                shown
            }
        };
        // A dotted key (`http.port`) is the key `port` of the table `http`, as in the file.
        let value = toml::Value::String(value);
        file.push_str(&format!("{} = {value}\n", spec.key));
    }
    let again = load(&file);
    let reread = match again.settings() {
        Ok(reread) => reread,
        Err(problems) => panic!("{file}\n{problems:?}"),
    };
    let values = |l: &Layers| -> Vec<(&'static str, String)> {
        l.effective()
            .into_iter()
            .map(|(spec, shown, _)| (spec.key, shown))
            .collect()
    };
    assert_eq!(values(layers), values(&again), "{file}");
    assert_eq!(format!("{settings:?}"), format!("{reread:?}"));
    let secrets = |s: &Settings| {
        (
            s.discord_token.as_ref().map(|t| t.expose().to_string()),
            s.osu_client_secret.as_ref().map(|t| t.expose().to_string()),
        )
    };
    assert_eq!(secrets(settings), secrets(&reread));
}
