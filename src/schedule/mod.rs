//! The one scheduler (DESIGN §3): each [`Job`] has its next due time in the store; one loop
//! waits until the earliest, claims it — moves its due time to the next run, in one transaction
//! — and runs it. A restart resumes from the stored times, and a due time fires at most once; a
//! job that can tell its claimed run never committed (the weekly winners) is run again. Two jobs
//! keep their deadlines in their own rows: a season change (`league::transition`) and the
//! expiry of pending challenges (`league::rivalry`).
//! Jobs call domain code and queue messages in the outbox; they never touch serenity.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration as StdDuration;

use crate::clock::Clock;
use crate::config::Settings;
use crate::i18n::Catalogue;
use crate::league::{rivalry, transition};
use crate::outbox::Outbox;
use crate::params::{self, Param};
use crate::store::{Read, Store, StoreError, Table};
use crate::time::Duration;

/// When each scheduled job runs next: job name → unix time (see `schedule`).
pub(crate) const SCHEDULE: Table<str, i64> = Table::new("schedule");

/// Every scheduled job.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Job {
    /// Refresh every linked player from osu! (`league::sync`), every `sync.interval`; the first
    /// time as soon as it is on.
    SyncPlayers,
    /// A snapshot into the backups folder every day at `backup.daily_at`, then retention
    /// (`backup.keep`); the first at the next such time.
    Backup,
    /// Each league's weekly winners (`league::weekly`), every Monday at 00:00 in
    /// `league.weekly_time_zone`; the first at the next such Monday.
    WeeklyWinners,
    /// The certificate from the ACME CA (`acme::renew_if_due`), while `tls.acme` is on: at
    /// once when there is none, then 30 days before it expires; an hour after a failure.
    Certificate,
    /// A look at the release feed, logging a newer release (`release`), while `update.check`
    /// is on: at start-up, then daily. It runs beside the loop, which never waits for the feed.
    ReleaseCheck,
}

impl Job {
    pub const ALL: [Job; 5] = [
        Job::SyncPlayers,
        Job::Backup,
        Job::WeeklyWinners,
        Job::Certificate,
        Job::ReleaseCheck,
    ];

    /// The key of its due time in the store.
    pub fn name(self) -> &'static str {
        match self {
            Job::SyncPlayers => "sync_players",
            Job::Backup => "backup",
            Job::WeeklyWinners => "weekly_winners",
            Job::Certificate => "acme_certificate",
            Job::ReleaseCheck => "release_check",
        }
    }

    /// When it is due after a run that starts at `now`; `None` while the job is off.
    fn next(self, r: &impl Read, settings: &Settings, now: i64) -> Result<Option<i64>, StoreError> {
        match self {
            Job::SyncPlayers => {
                if !settings.modules_league || settings.osu_client_id.is_none() {
                    return Ok(None);
                }
                Ok(match params::duration(r, Param::SyncInterval)? {
                    Duration::Finite(0) | Duration::Infinite => None,
                    Duration::Finite(secs) => {
                        Some(now.saturating_add(i64::try_from(secs).unwrap_or(i64::MAX)))
                    }
                })
            }
            Job::Backup => Ok(settings.backup_daily_at.map(|at| at.next_after(now))),
            Job::WeeklyWinners if !settings.modules_league => Ok(None),
            Job::WeeklyWinners => crate::league::weekly::next_run(r, now),
            Job::Certificate => crate::acme::next_due(r, settings, now),
            Job::ReleaseCheck => Ok(settings.update_check.then(|| now.saturating_add(86_400))),
        }
    }

    /// Whether a job that was never due runs at once (or waits for its first [`Job::next`]).
    fn starts_at_once(self) -> bool {
        match self {
            Job::SyncPlayers | Job::Certificate | Job::ReleaseCheck => true,
            Job::Backup | Job::WeeklyWinners => false,
        }
    }

    /// Whether a job that is not due yet owes a run anyway: one the loop claimed whose work never
    /// committed (a crash in between), for a job that can tell.
    fn unfinished(self, r: &impl Read, settings: &Settings, now: i64) -> Result<bool, StoreError> {
        match self {
            Job::WeeklyWinners => crate::league::weekly::unfinished(r, now),
            // No certificate for the domain now configured, and the last try an hour old.
            Job::Certificate => crate::acme::owed(r, settings, now),
            Job::SyncPlayers | Job::Backup | Job::ReleaseCheck => Ok(false),
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
    /// Where the daily snapshots go (`data/backups`).
    pub backups: PathBuf,
    /// Woken after each job, to deliver what the job queued (its audit events' posts).
    pub outbox: Outbox,
    /// The certificate from the ACME CA and the challenge answers, shared with the web server.
    pub acme: Arc<crate::acme::Acme>,
    /// Held by each job, so a snapshot loaded from Discord waits for it (and a job for the load).
    pub pause: crate::pause::Pause,
}

/// How often the loop looks at the clock while waiting (a manual clock in tests, or a system
/// clock that jumps, is noticed within this).
const TICK: StdDuration = StdDuration::from_millis(500);

impl Scheduler {
    /// Runs due jobs until the task is dropped.
    pub async fn run(self) {
        // Expiring challenges is quick store work that must not wait for a long job (a sync of
        // thousands of players takes minutes): it looks at the clock on its own.
        let expiry = async {
            loop {
                let busy = self.pause.enter().await;
                self.expire_challenges();
                drop(busy);
                tokio::time::sleep(TICK).await;
            }
        };
        tokio::join!(expiry, self.jobs());
    }

    /// Runs the due jobs, one at a time.
    async fn jobs(&self) {
        loop {
            // A claimed job runs on the store it was claimed in.
            let busy = self.pause.enter().await;
            if self.season_change().await {
                continue;
            }
            match self.next_due() {
                Ok(Some(job)) => self.fire(job).await,
                Ok(None) => {
                    drop(busy);
                    tokio::time::sleep(TICK).await;
                }
                Err(err) => {
                    drop(busy);
                    tracing::error!(error = %err, "the scheduler cannot read the store");
                    tokio::time::sleep(StdDuration::from_secs(5)).await;
                }
            }
        }
    }

    /// Claims the first job that is due: its next due time is stored before it runs. A job with
    /// no due time yet is due now if it [starts at once](Job::starts_at_once); otherwise its
    /// first due time is stored and it waits for it (every such job in the same look, so a
    /// first due time never depends on how long the loop slept). Looking is a read; only a claim
    /// writes.
    fn next_due(&self) -> Result<Option<Job>, StoreError> {
        let now = self.clock.now();
        let settings = self.settings.borrow().clone();
        // Each round claims a job or stores one first due time: at most one round per job.
        loop {
            // One loop claims: nothing else writes due times between this read and the claim.
            let looked = self.store.read(|r| {
                for job in Job::ALL {
                    let Some(next) = job.next(r, &settings, now)? else {
                        continue;
                    };
                    match r.get(&SCHEDULE, job.name())? {
                        Some(due) if due <= now => return Ok(Some((job, next, true))),
                        Some(_) if job.unfinished(r, &settings, now)? => {
                            return Ok(Some((job, next, true)));
                        }
                        Some(_) => {}
                        None => return Ok(Some((job, next, job.starts_at_once()))),
                    }
                }
                Ok::<_, StoreError>(None)
            })?;
            let Some((job, next, runs)) = looked else {
                return Ok(None);
            };
            self.store
                .write(|w| w.insert(&SCHEDULE, job.name(), &next))?;
            if runs {
                return Ok(Some(job));
            }
        }
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
                    .map(|report| format!("{report:?}"))
                    .map_err(anyhow::Error::from),
                None => Ok("osu! is not configured".into()),
            },
            Job::Backup => self.backup(now, settings.backup_keep).await,
            Job::WeeklyWinners => crate::league::weekly::run(&self.store, now)
                .map(|report| format!("{report:?}"))
                .map_err(anyhow::Error::from),
            Job::Certificate => crate::acme::renew_if_due(&self.store, &self.acme, &settings, now)
                .await
                .map(|renewal| format!("{renewal:?}"))
                .map_err(anyhow::Error::from),
            Job::ReleaseCheck => {
                let (base, repository) = (
                    settings.update_base_url.as_str().to_string(),
                    settings.update_repository.clone(),
                );
                // Beside the loop: a slow or unreachable feed never holds up the other jobs.
                tokio::task::spawn_blocking(move || crate::release::log_newer(&base, &repository));
                Ok("looking at the release feed".into())
            }
        };
        self.outbox.wake();
        match result {
            Ok(summary) => tracing::info!(job = job.name(), %summary, "job finished"),
            Err(err) => {
                tracing::error!(job = job.name(), error = ?format!("{err:#}"), "job failed");
                // A job whose run is owed until it succeeds (`Job::unfinished`) is due again at
                // once: retry it at a calm pace.
                tokio::time::sleep(StdDuration::from_secs(5)).await;
            }
        }
    }

    /// Expires the pending challenges whose deadline has passed (`league::rivalry`: each
    /// challenge's deadline is its own row, so a restart expires it once, at start-up if the
    /// server was down then).
    fn expire_challenges(&self) {
        let now = self.clock.now();
        let expired = self
            .store
            .read(|r| rivalry::expiry_due(r, now))
            .and_then(|due| {
                if !due {
                    return Ok(0);
                }
                let texts = Catalogue::open(&self.store)?;
                self.store.write(|w| rivalry::expire_due(w, &texts, now))
            });
        match expired {
            Ok(0) => {}
            Ok(n) => {
                tracing::info!(expired = n, "challenges expired");
                self.outbox.wake();
            }
            Err(err) => tracing::error!(error = %err, "expiring challenges failed"),
        }
    }

    /// Runs the season change that waits, if any (`league::transition`: the job's own row is
    /// its due time, and its phases say what is left); whether there was one.
    async fn season_change(&self) -> bool {
        let now = self.clock.now();
        match self.store.read(|r| transition::due(r, now)) {
            Ok(true) => {}
            Ok(false) => return false,
            Err(err) => {
                tracing::error!(error = %err, "the scheduler cannot read the season change");
                return false;
            }
        }
        let settings = self.settings.borrow().clone();
        let osu = self.osu.client(&settings).ok();
        let result = match Catalogue::open(&self.store) {
            Ok(texts) => {
                let wake = &mut || self.outbox.wake();
                transition::run(&self.store, osu.as_ref(), &texts, now, wake).await
            }
            Err(err) => Err(err),
        };
        self.outbox.wake();
        match result {
            Ok(done) => tracing::info!(?done, "season change finished"),
            Err(err) => {
                tracing::error!(error = ?err.to_string(), "season change failed; will try again")
            }
        }
        true
    }

    /// Writes `stagehand-<now>-daily.redb` into the backups folder (off the runtime's threads:
    /// a large store takes a while), keeps the newest `keep` snapshots, and posts its copy
    /// without secrets to the `snapshot` route when that is on (`ops::backup::save`).
    async fn backup(&self, now: i64, keep: u32) -> anyhow::Result<String> {
        use crate::ops::backup::{Kind, describe_snapshot, save};
        let (store, dir) = (self.store.clone(), self.backups.clone());
        let saved = tokio::task::spawn_blocking(move || {
            save(
                &store,
                &dir,
                keep,
                Kind::Daily,
                crate::audit::Actor::Bot,
                now,
            )
        })
        .await??;
        Ok(format!(
            "{}; copy: {:?}",
            describe_snapshot(&saved.path, &saved.info),
            saved.copy
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::{Layers, Sources};

    fn scheduler(store: Store, clock: &Clock, env: &[(&str, &str)]) -> Scheduler {
        // The daily look at the release feed is never part of these tests.
        let off = ("STAGEHAND_UPDATE_CHECK", "false");
        let sources = Sources {
            env: env
                .iter()
                .chain(std::iter::once(&off))
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
            ..Sources::default()
        };
        let settings = Arc::new(Layers::collect(&sources).settings().expect("settings"));
        let settings_now = settings.clone();
        let store = Arc::new(store);
        Scheduler {
            store: Arc::clone(&store),
            settings: tokio::sync::watch::channel(settings).1,
            clock: clock.clone(),
            osu: crate::osu::Shared::default(),
            acme: crate::acme::Acme::load(&store, &settings_now).expect("acme"),
            outbox: Outbox::new(Arc::clone(&store)),
            backups: PathBuf::from("backups"),
            pause: crate::pause::Pause::default(),
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

    /// 2026-11-01 00:00 UTC.
    const MIDNIGHT: i64 = 1_793_491_200;

    #[test]
    fn the_backup_is_due_daily_at_its_time_and_not_at_first_start() {
        let (_dir, store) = Store::temporary();
        let clock = Clock::manual(MIDNIGHT);
        let s = scheduler(store, &clock, &[]);
        let due = |s: &Scheduler| {
            s.store
                .read(|r| r.get(&SCHEDULE, Job::Backup.name()))
                .unwrap()
        };
        assert_eq!(s.next_due().unwrap(), None, "not at first start");
        assert_eq!(due(&s), Some(MIDNIGHT + 3_600), "but at the next 01:00");
        clock.advance(3_599);
        assert_eq!(s.next_due().unwrap(), None);
        clock.advance(1);
        assert_eq!(s.next_due().unwrap(), Some(Job::Backup));
        assert_eq!(due(&s), Some(MIDNIGHT + 86_400 + 3_600));
        // A server that was off at 01:00 takes it when it starts again, then keeps the hour.
        clock.advance(2 * 86_400);
        assert_eq!(s.next_due().unwrap(), Some(Job::Backup));
        assert_eq!(s.next_due().unwrap(), None);
        assert_eq!(due(&s), Some(MIDNIGHT + 3 * 86_400 + 3_600));

        let (_dir, store) = Store::temporary();
        let s = scheduler(store, &clock, &[("STAGEHAND_BACKUP_DAILY_AT", "")]);
        assert_eq!(s.next_due().unwrap(), None);
        clock.advance(5 * 86_400);
        assert_eq!(s.next_due().unwrap(), None, "off");
        assert_eq!(due(&s), None);
    }

    #[tokio::test]
    async fn the_weekly_winners_are_due_each_monday_in_chicago_once_however_long_the_server_was_off()
     {
        let (_dir, store) = Store::temporary();
        let clock = Clock::manual(MIDNIGHT);
        let env = [
            ("STAGEHAND_MODULES_LEAGUE", "true"),
            ("STAGEHAND_BACKUP_DAILY_AT", ""),
        ];
        let s = scheduler(store, &clock, &env);
        let due = |s: &Scheduler| {
            s.store
                .read(|r| r.get(&SCHEDULE, Job::WeeklyWinners.name()))
                .unwrap()
        };
        assert_eq!(s.next_due().unwrap(), None, "not at first start");
        // Monday 2026-11-02 00:00 in Chicago is 06:00 UTC: summer time ended on Sunday.
        let monday = MIDNIGHT + 30 * 3_600;
        assert_eq!(due(&s), Some(monday));
        clock.advance(30 * 3_600 - 1);
        assert_eq!(s.next_due().unwrap(), None);
        clock.advance(1);
        assert_eq!(s.next_due().unwrap(), Some(Job::WeeklyWinners));
        s.fire(Job::WeeklyWinners).await;
        assert_eq!(s.next_due().unwrap(), None, "once");
        assert_eq!(due(&s), Some(monday + 7 * 86_400));
        // Off for three Mondays: one run when back, and the next at the coming Monday.
        clock.advance(3 * 7 * 86_400 + 3_600);
        assert_eq!(s.next_due().unwrap(), Some(Job::WeeklyWinners));
        assert_eq!(due(&s), Some(monday + 4 * 7 * 86_400));
        // A crash after that claim, before the run committed: the week is still owed.
        assert_eq!(s.next_due().unwrap(), Some(Job::WeeklyWinners));
        s.fire(Job::WeeklyWinners).await;
        assert_eq!(s.next_due().unwrap(), None);
        let judged = s.store.read(crate::league::weekly::last_judged).unwrap();
        assert_eq!(judged.map(|j| j.week_end), Some(monday + 3 * 7 * 86_400));
    }

    #[tokio::test]
    async fn the_backup_writes_a_daily_snapshot_and_keeps_the_newest() {
        let (_dir, store) = Store::temporary();
        let folder = tempfile::tempdir().unwrap();
        let clock = Clock::manual(MIDNIGHT + 3_600);
        let mut s = scheduler(store, &clock, &[("STAGEHAND_BACKUP_KEEP", "2")]);
        s.backups = folder.path().join("backups");
        for _ in 0..3 {
            s.fire(Job::Backup).await;
            clock.advance(86_400);
        }
        let mut names: Vec<String> = std::fs::read_dir(&s.backups)
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .collect();
        names.sort();
        assert_eq!(
            names,
            [
                "stagehand-20261102T010000.000Z-daily.redb",
                "stagehand-20261103T010000.000Z-daily.redb"
            ]
        );
        let info = crate::store::inspect(&s.backups.join(&names[1])).unwrap();
        assert_eq!(info.schema, crate::store::SCHEMA_VERSION);
    }
}
