//! Holding work back while the live store is replaced (`/backup load`): every piece of work that
//! spans several transactions or reads the store and then acts on what it read — an interaction,
//! a delivery of the outbox, a scheduled job, a Control Panel call — runs inside [`Pause::enter`];
//! the replacement takes [`Pause::hold`], which waits for the work in progress to finish and
//! keeps new work waiting until the new store is in place. Work never sees two stores.
//!
//! A tokio read-write lock: fair, so once a replacement waits, work that arrives after it waits
//! behind it rather than starving it. Nothing here is stored: a restart has nothing to resume.

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::{OwnedRwLockReadGuard, OwnedRwLockWriteGuard, RwLock};

/// The gate shared by everything that works on the store (cheap to clone).
#[derive(Clone, Debug, Default)]
pub struct Pause {
    gate: Arc<RwLock<()>>,
}

/// Work in progress; the store is not replaced while it is held.
#[derive(Debug)]
pub struct Busy {
    _guard: OwnedRwLockReadGuard<()>,
}

/// All work held back; released when dropped.
#[derive(Debug)]
pub struct Held {
    _guard: OwnedRwLockWriteGuard<()>,
}

impl Pause {
    /// Starts a piece of work, after any replacement under way.
    pub async fn enter(&self) -> Busy {
        Busy {
            _guard: self.gate.clone().read_owned().await,
        }
    }

    /// Holds all work back once the work in progress has finished; `None` when that takes
    /// longer than `within` (nothing is held then, and the work that waited goes on).
    pub async fn hold(&self, within: Duration) -> Option<Held> {
        let acquired = tokio::time::timeout(within, self.gate.clone().write_owned()).await;
        acquired.ok().map(|guard| Held { _guard: guard })
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[tokio::test]
    async fn a_hold_waits_for_work_in_progress_and_new_work_waits_for_the_hold() {
        let pause = Pause::default();
        let busy = pause.enter().await;
        assert!(pause.hold(Duration::from_millis(50)).await.is_none());
        // Nothing was held: work still starts.
        drop(pause.enter().await);
        let waiting = {
            let pause = pause.clone();
            tokio::spawn(async move { pause.hold(Duration::from_secs(5)).await.is_some() })
        };
        tokio::time::sleep(Duration::from_millis(20)).await;
        // Work that arrives while a hold waits, waits behind it.
        let late = {
            let pause = pause.clone();
            tokio::spawn(async move { drop(pause.enter().await) })
        };
        tokio::time::sleep(Duration::from_millis(20)).await;
        assert!(!late.is_finished());
        drop(busy);
        assert!(waiting.await.unwrap());
        late.await.unwrap();
    }
}
