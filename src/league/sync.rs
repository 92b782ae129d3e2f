//! The sync with osu! (osu-arena §7.5, run by the scheduler every `sync.interval`): every linked
//! player is refreshed with the client-credentials token, 50 per `/users` call; best scores are
//! fetched only for players whose pp changed, and a score's details (`GET /scores/{id}`) only
//! for a new #1 that will be announced. `future_league` always follows the rank, even when the
//! pp did not move (§17.18); a player without a rank is a novice, never a crash (§17.16); a
//! failing batch or player is counted and skipped, never the end of the run. Each batch is
//! saved in its own transaction, re-reading the rows so concurrent changes (points, a player who
//! unlinked meanwhile) are kept; a new top play's points and announcement (`league::top_play`)
//! are written in that same transaction as the new score, so a play is never awarded twice.
//! Last, the accepted challenges that the new pp won are decided (`league::rivalry::decide`).

use std::collections::HashMap;

use super::leagues::Thresholds;
use super::player::{self, TopPlay, improvement_indicator};
use super::rivalry;
use super::top_play::{self, Recorded};
use crate::audit::{self, Actor, Event, EventKind, Value};
use crate::i18n::Catalogue;
use crate::osu;
use crate::store::{Store, StoreError};

/// Players per `/users` call (the API's maximum).
pub const BATCH: usize = 50;

/// What one run did.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Report {
    /// Linked players at the start of the run.
    pub players: usize,
    /// Players whose pp, rank, name or best score changed.
    pub updated: usize,
    /// Players whose `future_league` changed.
    pub moved: usize,
    /// Players osu! did not return (restricted, deleted).
    pub missing: usize,
    /// Players not refreshed because a call failed.
    pub failed: usize,
    /// New top plays announced (with their points).
    pub top_plays: usize,
    /// Accepted challenges won with the pp this run brought (`league::rivalry::decide`).
    pub challenges_won: usize,
}

/// Refreshes every linked player from osu!.
pub async fn run(store: &Store, osu: &osu::Client, now: i64) -> Result<Report, StoreError> {
    let players = store.read(player::all)?;
    let thresholds = store.read(Thresholds::load)?;
    // The announcements of new top plays are written in the player's language.
    let texts = Catalogue::open(store)?;
    let mut report = Report {
        players: players.len(),
        ..Report::default()
    };
    let batches = players.len().div_ceil(BATCH);
    for (n, batch) in players.chunks(BATCH).enumerate() {
        let ids: Vec<u64> = batch.iter().map(|p| p.osu_id).collect();
        let users = match osu.users(&ids).await {
            Ok(users) => users,
            Err(err) => {
                tracing::warn!(batch = n + 1, error = ?err.to_string(), "sync: a batch of players failed");
                report.failed += batch.len();
                continue;
            }
        };
        let fresh: HashMap<u64, osu::User> = users.into_iter().map(|u| (u.id, u)).collect();
        let mut changes = Vec::with_capacity(batch.len());
        for old in batch {
            let Some(user) = fresh.get(&old.osu_id) else {
                report.missing += 1;
                continue;
            };
            let pp = user.whole_pp();
            let top_play = if pp != old.pp {
                match osu.best_scores(user.id, 1).await {
                    Ok(scores) => scores.first().map(TopPlay::from),
                    // Skipped whole: with the new pp stored, the next syncs would see no change
                    // and never ask for the best score again, so a new #1 would go unannounced
                    // and unpaid. Left as it was, the player is refreshed by the next sync.
                    Err(err) => {
                        tracing::warn!(osu_id = user.id, error = ?err.to_string(), "sync: best scores failed; player skipped");
                        report.failed += 1;
                        continue;
                    }
                }
            } else {
                old.top_play.clone()
            };
            // Fetched before the transaction; without it the announcement shows what the sync
            // knows (title and pp) rather than losing or repeating the points.
            let details = match &top_play {
                Some(new) if top_play::announces(old.top_play.as_ref(), Some(new)) => {
                    match osu.score(new.score_id).await {
                        Ok(score) => Some(score),
                        Err(err) => {
                            let osu_id = user.id;
                            tracing::warn!(osu_id, error = ?err.to_string(), "sync: a top play's details failed");
                            None
                        }
                    }
                }
                _ => None,
            };
            changes.push(Refresh {
                discord_id: old.discord_id,
                osu_id: old.osu_id,
                username: user.username.clone(),
                pp,
                rank: user.global_rank,
                play_time_secs: user.play_time,
                top_play,
                details,
            });
        }
        let (updated, moved, announced) = store.write(|w| {
            let (mut updated, mut moved, mut announced) = (0, 0, 0);
            for change in &changes {
                // Re-read: the player may have unlinked, or gained points, since the run began.
                let Some(mut p) = player::get(w, change.discord_id)? else {
                    continue;
                };
                if p.osu_id != change.osu_id {
                    continue;
                }
                let before = p.clone();
                p.osu_username.clone_from(&change.username);
                p.pp = change.pp;
                p.global_rank = change.rank;
                p.play_time_secs = change.play_time_secs;
                p.ii = improvement_indicator(change.pp, change.play_time_secs);
                p.future_league = thresholds.league(change.rank);
                p.top_play.clone_from(&change.top_play);
                if p != before {
                    updated += 1;
                    moved += usize::from(p.future_league != before.future_league);
                    player::update(w, &p)?;
                }
                // Against the row as stored now: the new score and its points commit together.
                let previous = before.top_play.as_ref();
                let details = change.details.as_ref();
                if let Recorded::Announced { .. } =
                    top_play::record(w, &texts, &p, previous, details, now)?
                {
                    announced += 1;
                }
            }
            Ok::<_, StoreError>((updated, moved, announced))
        })?;
        report.updated += updated;
        report.moved += moved;
        report.top_plays += announced;
        tracing::info!(batch = n + 1, of = batches, updated, "sync: progress");
    }
    store.write(|w| {
        audit::record(
            w,
            &Event {
                kind: EventKind::PlayersSynced,
                actor: Actor::Bot,
                at: now,
                fields: vec![
                    ("players".into(), Value::Int(report.players as i64)),
                    ("updated".into(), Value::Int(report.updated as i64)),
                    (
                        "failed".into(),
                        Value::Int((report.failed + report.missing) as i64),
                    ),
                ],
            },
        )
    })?;
    // The pp just synced may have won challenges.
    report.challenges_won = store.write(|w| rivalry::decide(w, &texts, now))?.len();
    tracing::info!(?report, "sync: done");
    Ok(report)
}

/// What osu! said about one player.
struct Refresh {
    discord_id: u64,
    osu_id: u64,
    username: String,
    pp: u32,
    rank: Option<u32>,
    play_time_secs: u64,
    top_play: Option<TopPlay>,
    /// The new #1 score as `GET /scores/{id}` gave it, when it is to be announced.
    details: Option<osu::Score>,
}
