//! Shared services on the hot path of every command: `text_render_ns` (template lookup with an
//! admin override in place, plus substitution of three parameters) and `permission_check_ns`
//! (one `allowed` for a member with six roles against ten bound roles, answered "no", the
//! slowest path). Both must stay well under a microsecond. `cooldown_check_ns` is the request
//! desk's check of one user against 1,000 stored cooldowns, read transaction included.

use std::hint::black_box;
use std::time::Instant;

use anyhow::Context as _;
use stagehand::access::{Flag, Member, Permissions};
use stagehand::audit::Actor;
use stagehand::i18n::{Catalogue, Lang};
use stagehand::requests::cooldown::{self, By, Entity};
use stagehand::store::{Store, StoreOptions};
use stagehand::time::{Duration, DurationChange};

use super::{Figure, median};

/// Calls per sample; a figure is the median of [`SAMPLES`] per-call averages.
const CALLS: u32 = 20_000;
const SAMPLES: usize = 31;

pub fn figures() -> anyhow::Result<Vec<Figure>> {
    let dir = std::env::temp_dir().join(format!("stagehand-bench-{}", std::process::id()));
    let result = measure(&dir);
    let _ = std::fs::remove_dir_all(&dir);
    result
}

fn measure(dir: &std::path::Path) -> anyhow::Result<Vec<Figure>> {
    let store = Store::open(&dir.join("bench.redb"), &StoreOptions::default())
        .context("opening a scratch store")?;
    let admin = Actor::User(1);

    let catalogue = Catalogue::open(&store)?;
    let key = "error.maintainer_report";
    catalogue.edit(
        &store,
        admin,
        key,
        Lang::Ru,
        r"Сбой в {place} ({user}):\n{detail}",
        0,
    )?;
    let params = [
        ("place", "league sync"),
        ("user", "someone#1234"),
        ("detail", "osu! API answered 503 Service Unavailable"),
    ];
    let text_render_ns = per_call(|| {
        black_box(catalogue.render(black_box(Lang::Ru), black_box(key), black_box(&params)));
    })?;

    let owner = Member {
        user_id: 1,
        role_ids: Vec::new(),
        is_owner: true,
        is_administrator: false,
    };
    let permissions = Permissions::load(&store)?;
    for (i, &flag) in Flag::ALL.iter().enumerate().take(10) {
        permissions.bind(&store, &owner, flag, 100 + i as u64, 0)?;
    }
    let member = Member {
        user_id: 2,
        role_ids: vec![1, 50, 51, 52, 105, 109],
        is_owner: false,
        is_administrator: false,
    };
    let permission_check_ns = per_call(|| {
        black_box(permissions.allowed(black_box(&member), black_box(Flag::PointsEditor)));
    })?;

    let moderator = By {
        user: 1,
        overrides_others: true,
    };
    store.write(|w| {
        for user in 0..1_000u64 {
            let change = DurationChange::Set(Duration::Finite(3_600 + user));
            cooldown::update(w, moderator, Entity::User(user), change, None, 0)
                .map_err(|e| anyhow::anyhow!("seeding cooldowns: {e}"))?;
        }
        Ok::<_, anyhow::Error>(())
    })?;
    let mut user = 0u64;
    let cooldown_check_ns = per_call(|| {
        user = (user + 7) % 1_000;
        let found = store.read(|r| cooldown::active(r, black_box(Entity::User(user)), 60));
        black_box(found.ok());
    })?;

    Ok(vec![
        Figure {
            name: "cooldown_check_ns",
            value: cooldown_check_ns,
            unit: "ns",
        },
        Figure {
            name: "text_render_ns",
            value: text_render_ns,
            unit: "ns",
        },
        Figure {
            name: "permission_check_ns",
            value: permission_check_ns,
            unit: "ns",
        },
    ])
}

/// Median nanoseconds per call of `call`.
fn per_call(mut call: impl FnMut()) -> anyhow::Result<f64> {
    for _ in 0..CALLS {
        call();
    }
    median(SAMPLES, || {
        let started = Instant::now();
        for _ in 0..CALLS {
            call();
        }
        Ok(started.elapsed().as_secs_f64() * 1e9 / f64::from(CALLS))
    })
}
