//! `/points <player> <points>` (osu-arena §2.7): a points editor (flag `points_editor`, or an
//! admin) adds points to a linked player, or takes some away, while a season is on. The season
//! check and the change are one transaction (`league::points::award`, with its audit event), so
//! a season that ends meanwhile cannot slip a change in; off-season, an unlinked player, an
//! amount out of bounds or zero are refused privately and change nothing. The answer with the
//! new totals is public, as in the original.

use crate::audit::Actor;
use crate::bot::{Ctx, HandlerError, Invocation, Outcome, Value};
use crate::league::points::{self, Source, Totals};
use crate::league::season;
use crate::outbox::Message;
use crate::store::StoreError;

/// The largest change one `/points` makes, either way.
pub(super) const LIMIT: i64 = 1_000_000;

/// What the transaction found.
enum Adjusted {
    Done(Totals),
    OffSeason,
    NotLinked,
}

/// `/points`.
pub(super) fn adjust(ctx: &Ctx, inv: &Invocation) -> Result<Outcome, HandlerError> {
    let (Some(Value::Member { id: target, .. } | Value::User(target)), Some(Value::Int(amount))) =
        (inv.option("player"), inv.option("points"))
    else {
        return crate::bot::outdated(ctx, inv);
    };
    let (target, amount) = (*target, *amount);
    // Discord checks the upper bound; serenity cannot register the lower one.
    if !(-LIMIT..=LIMIT).contains(&amount) {
        let (min, max) = ((-LIMIT).to_string(), LIMIT.to_string());
        return ctx.private(
            inv,
            "league.points.out_of_range",
            &[("min", &min), ("max", &max)],
        );
    }
    if amount == 0 {
        return ctx.private(inv, "warning.no_effect", &[]);
    }
    let now = ctx.clock.now();
    let adjusted = ctx.store.write(|w| {
        if season::current(w)?.is_none() {
            return Ok::<_, StoreError>(Adjusted::OffSeason);
        }
        let actor = Actor::User(inv.user);
        Ok(
            match points::award(w, target, amount, Source::Manual, actor, now)? {
                Some(totals) => Adjusted::Done(totals),
                None => Adjusted::NotLinked,
            },
        )
    })?;
    let mention = format!("<@{target}>");
    match adjusted {
        Adjusted::OffSeason => ctx.private(inv, "league.points.off_season", &[]),
        Adjusted::NotLinked => {
            ctx.private(inv, "league.points.not_linked", &[("member", &mention)])
        }
        Adjusted::Done(totals) => {
            // The change's audit event waits in the outbox for the log route.
            ctx.outbox.wake();
            let choice = ctx.language(inv)?;
            let text = ctx.text(
                choice,
                "league.points.done",
                &[
                    ("member", &mention),
                    ("points", &format!("{amount:+}")),
                    ("total", &totals.points.to_string()),
                    ("seasonal", &totals.seasonal_points.to_string()),
                ],
            );
            Ok(Outcome::reply(Message::text(text)))
        }
    }
}
