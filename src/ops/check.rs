//! `stagehand check`: what the store and every setting look like, and the problems found.

use crate::store::Read as _;

use crate::config::Settings;
use crate::ops::backup::damage_advice;
use crate::paths::{Paths, layers};
use crate::store::{OpenError, Store, StoreError};

/// What `stagehand check` prints, and how many problems it found.
pub struct Report {
    pub lines: Vec<String>,
    pub problems: usize,
}

/// [`report`], after redb's integrity check of every page of the store's file
/// ([`Store::verify`]). Only where nothing else writes the file: `check` without a running server
/// (a running server's check, over the admin socket, is [`report`] alone).
pub fn report_verified(paths: &Paths, store: &Store) -> Report {
    let verified = store.verify();
    report_with(paths, Some(store), verified.err())
}

/// Checks the store (when open) and every setting. `store` is `None` when it could not be opened
/// because it does not exist yet.
pub fn report(paths: &Paths, store: Option<&Store>) -> Report {
    report_with(paths, store, None)
}

/// [`report`], with what the integrity check found wrong, if it ran.
fn report_with(paths: &Paths, store: Option<&Store>, integrity: Option<OpenError>) -> Report {
    let mut lines = vec![
        format!("Stagehand {}", env!("CARGO_PKG_VERSION")),
        format!("data directory: {}", paths.data_dir.display()),
    ];
    let mut problems = Vec::new();
    // The damaged file, once reported: the reads that fail on it are not reported again.
    let mut damaged = None;
    if let Some(err) = integrity {
        if let OpenError::Damaged { path, .. } = &err {
            problems.push(format!("store: {err}; {}", damage_advice(paths, path)));
            damaged = Some(path.clone());
        } else {
            problems.push(format!("store: the integrity check could not run: {err}"));
        }
    }
    match store {
        Some(store) => {
            match store.read(|r| {
                Ok((
                    r.get(&crate::store::META, crate::store::SCHEMA)?,
                    crate::web::setup::completed_at(r)?,
                ))
            }) {
                Ok((schema, completed)) => {
                    lines.push(format!(
                        "store: {} (schema {}, {} KiB)",
                        store.path().display(),
                        schema.unwrap_or(0),
                        store.file_size().div_ceil(1024)
                    ));
                    lines.push(
                        match completed
                            .and_then(|t| jiff::Timestamp::from_second(i64::try_from(t).ok()?).ok())
                        {
                            Some(at) => format!("setup: complete (since {at})"),
                            None => {
                                "setup: pending (run `stagehand serve` and open the link it prints)"
                                    .to_string()
                            }
                        },
                    );
                }
                Err(err) => match &err {
                    StoreError::Damaged { path, .. } if damaged.is_some() => {
                        lines.push(format!("store: {}", path.display()));
                    }
                    StoreError::Damaged { path, .. } => {
                        problems.push(format!("store: {err}; {}", damage_advice(paths, path)));
                        damaged = Some(path.clone());
                    }
                    _ => problems.push(format!("store: cannot be read: {err}")),
                },
            }
        }
        None => lines.push(format!(
            "store: {} does not exist yet (`stagehand serve` creates it)",
            paths.store().display()
        )),
    }
    match layers(paths, store) {
        Ok(layers) => {
            lines.push("settings:".into());
            let effective = layers.effective();
            let width = effective
                .iter()
                .map(|(spec, _, _)| spec.key.len())
                .max()
                .unwrap_or(0);
            for (spec, value, source) in effective {
                let value = if value.is_empty() {
                    "(not set)".to_string()
                } else {
                    value
                };
                lines.push(format!("  {:width$} = {value}  [{source}]", spec.key));
            }
            match layers.settings() {
                Ok(settings) => {
                    problems.extend(readiness(&settings, store));
                    // The PEM files, loaded as `serve` loads them: what it refuses is a problem.
                    if let Err(err) = crate::web::tls::from_files(&settings) {
                        problems.push(err.to_string());
                    }
                }
                Err(found) => problems.extend(found.iter().map(ToString::to_string)),
            }
        }
        Err(err) if damaged.is_some() && crate::ops::backup::damaged_file(&err).is_some() => {
            lines.push("settings: not shown, the store is damaged".into());
        }
        Err(err) => problems.push(format!("{err:#}")),
    }
    if problems.is_empty() {
        lines.push("no problems found".into());
    } else {
        lines.push(format!("{} problem(s):", problems.len()));
        lines.extend(problems.iter().map(|p| format!("  - {p}")));
    }
    Report {
        lines,
        problems: problems.len(),
    }
}

/// Problems with settings that are each valid but do not fit together with the setup state.
fn readiness(settings: &Settings, store: Option<&Store>) -> Vec<String> {
    let complete = store.is_some_and(|s| crate::web::setup::is_complete(s).unwrap_or(false));
    let mut problems = Vec::new();
    let wants_discord = complete || settings.modules_league || settings.modules_requests;
    let has_discord = settings.discord_token.is_some()
        && settings.discord_application_id.is_some()
        && settings.discord_guild_id.is_some();
    if wants_discord && !has_discord {
        problems.push("discord.token, discord.application_id and discord.guild_id are needed to run any module".into());
    }
    if settings.modules_league
        && (settings.osu_client_id.is_none() || settings.osu_client_secret.is_none())
    {
        problems.push("the osu! league needs osu.client_id and osu.client_secret".into());
    }
    if settings.modules_league && settings.public_url.is_none() {
        problems.push("the osu! league needs public_url for its OAuth redirect".into());
    }
    problems
}
