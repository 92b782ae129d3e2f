//! The one scheduler (DESIGN §3): each [`Job`] has its next due time in the store; one loop
//! waits until the earliest, claims it — moves its due time to the next run, in one transaction
//! — and runs it. A restart resumes from the stored times, and a due time fires at most once.
//! Jobs call domain code and queue messages in the outbox; they never touch serenity.

use std::sync::Arc;
use std::time::Duration as StdDuration;

use crate::clock::Clock;
use crate::config::Settings;
use crate::params::{self, Param};
use crate::store::tables::SCHEDULE;
use crate::store::{Read, Store, StoreError};
use crate::time::Duration;

/// Every scheduled job.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Job {
    /// Refresh every linked player from osu! (`league::sync`), every `sync.interval`.
    SyncPlayers,
}

impl Job {
    pub const ALL: [Job; 1] = [Job::SyncPlayers];

    /// The key of its due time in the store.
    pub fn name(self) -> &'static str {
        match self {
            Job::SyncPlayers => "sync_players",
        }
    }

    /// Seconds between runs; `None` while the job is off.
    fn interval(self, r: &impl Read, settings: &Settings) -> Result<Option<u64>, StoreError> {
        match self {
            Job::SyncPlayers => {
                if !settings.modules_league || settings.osu_client_id.is_none() {
                    return Ok(None);
                }
                Ok(match params::duration(r, Param::SyncInterval)? {
                    Duration::Finite(0) | Duration::Infinite => None,
                    Duration::Finite(secs) => Some(secs),
                })
            }
        }
    }
}

/// What jobs need.
pub struct Scheduler {
    pub store: Arc<Store>,
    /// The settings as saved (the setup page may add osu! credentials while running).
    pub settings: tokio::sync::watch::Receiver<Arc<Settings>>,
    pub clock: Clock,
    /// The app's osu! client, shared with the sign-in page and the Discord handlers.
    pub osu: crate::osu::Shared,
}

/// How often the loop looks at the clock while waiting (a manual clock in tests, or a system
/// clock that jumps, is noticed within this).
const TICK: StdDuration = StdDuration::from_millis(500);

impl Scheduler {
    /// Runs due jobs until the task is dropped.
    pub async fn run(self) {
        loop {
            match self.next_due() {
                Ok(Some(job)) => self.fire(job).await,
                Ok(None) => tokio::time::sleep(TICK).await,
                Err(err) => {
                    tracing::error!(error = %err, "the scheduler cannot read the store");
                    tokio::time::sleep(StdDuration::from_secs(5)).await;
                }
            }
        }
    }

    /// Claims the first job that is due: its next due time is stored before it runs. A job with
    /// no due time yet is due now. Looking is a read; only a claim writes.
    fn next_due(&self) -> Result<Option<Job>, StoreError> {
        let now = self.clock.now();
        let settings = self.settings.borrow().clone();
        // One loop claims: nothing else writes due times between this read and the claim.
        let looked = self.store.read(|r| {
            for job in Job::ALL {
                let Some(interval) = job.interval(r, &settings)? else {
                    continue;
                };
                if r.get(&SCHEDULE, job.name())?.unwrap_or(now) <= now {
                    return Ok(Some((job, interval)));
                }
            }
            Ok::<_, StoreError>(None)
        })?;
        let Some((job, interval)) = looked else {
            return Ok(None);
        };
        let next = now.saturating_add(i64::try_from(interval).unwrap_or(i64::MAX));
        self.store
            .write(|w| w.insert(&SCHEDULE, job.name(), &next))?;
        Ok(Some(job))
    }

    async fn fire(&self, job: Job) {
        tracing::info!(job = job.name(), "job started");
        let now = self.clock.now();
        let settings = self.settings.borrow().clone();
        let result = match job {
            // One run at a time: the loop awaits it before looking for the next job.
            Job::SyncPlayers => match self.osu.client(&settings).ok() {
                Some(osu) => crate::league::sync::run(&self.store, &osu, now)
                    .await
                    .map(|report| format!("{report:?}")),
                None => Ok("osu! is not configured".into()),
            },
        };
        match result {
            Ok(summary) => tracing::info!(job = job.name(), %summary, "job finished"),
            Err(err) => tracing::error!(job = job.name(), error = %err, "job failed"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::{Layers, Sources};

    fn scheduler(store: Store, clock: &Clock, env: &[(&str, &str)]) -> Scheduler {
        let sources = Sources {
            env: env
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
            ..Sources::default()
        };
        let settings = Arc::new(Layers::collect(&sources).settings().expect("settings"));
        Scheduler {
            store: Arc::new(store),
            settings: tokio::sync::watch::channel(settings).1,
            clock: clock.clone(),
            osu: crate::osu::Shared::default(),
        }
    }

    const LEAGUE: &[(&str, &str)] = &[
        ("STAGEHAND_MODULES_LEAGUE", "true"),
        ("STAGEHAND_OSU_CLIENT_ID", "1"),
        ("STAGEHAND_OSU_CLIENT_SECRET", "s"),
    ];

    #[test]
    fn a_job_is_due_at_once_then_once_per_interval() {
        let (_dir, store) = Store::temporary();
        let clock = Clock::manual(1_000);
        let s = scheduler(store, &clock, LEAGUE);
        assert_eq!(
            s.next_due().unwrap(),
            Some(Job::SyncPlayers),
            "due at first start"
        );
        assert_eq!(s.next_due().unwrap(), None, "claimed: not due again");
        clock.advance(15 * 60 - 1);
        assert_eq!(s.next_due().unwrap(), None);
        clock.advance(1);
        assert_eq!(s.next_due().unwrap(), Some(Job::SyncPlayers));
        assert_eq!(
            s.store
                .read(|r| r.get(&SCHEDULE, Job::SyncPlayers.name()))
                .unwrap(),
            Some(1_000 + 2 * 15 * 60),
            "the next due time is stored, so a restart resumes it"
        );
    }

    #[test]
    fn a_job_that_is_off_is_never_due() {
        let (_dir, store) = Store::temporary();
        let clock = Clock::manual(1_000);
        // The league is off, or osu! is not configured.
        let s = scheduler(store, &clock, &LEAGUE[..1]);
        assert_eq!(s.next_due().unwrap(), None);
        let (_dir, store) = Store::temporary();
        let s = scheduler(store, &clock, &[]);
        assert_eq!(s.next_due().unwrap(), None);
        // A sync interval of 0 turns it off too.
        let (_dir, store) = Store::temporary();
        store
            .write(|w| {
                let off = crate::params::Value::Duration(Duration::Finite(0));
                crate::params::set_value(w, crate::audit::Actor::Bot, Param::SyncInterval, off, 0)
            })
            .unwrap();
        let s = scheduler(store, &clock, LEAGUE);
        assert_eq!(s.next_due().unwrap(), None);
    }
}
