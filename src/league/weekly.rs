//! The weekly winners (osu-arena §5.2, §7.4), chosen by the scheduler every Monday at 00:00 in
//! the zone of `league.weekly_time_zone` (`America/Chicago` by default).
//!
//! A week's gain is the pp a player gained *during that week* (§17.8), not since the season
//! started: each player's pp is written down when a week is judged (`weekly_baselines`), and
//! the next week counts from there. A player who linked during the week counts from their pp
//! at link (`initial_pp`); a player whose start is unknown (linked before the first week ever
//! judged) cannot win that week. In each league the players with the highest gain win, ties
//! all win, and nobody wins with a gain of zero or less. Each winner gets
//! `points.weekly_winner` points (0: none, and no announcement) and an announcement in
//! `bot_updates`. Off-season nobody wins and `bot_updates` says so (§6.1). Either way every
//! player's baseline then moves to their current pp.
//!
//! One week is one transaction: the awards with their events, the announcements, the new
//! baselines, the record of the week judged and its `WEEKLY_WINNERS` event. A crash leaves the
//! week judged whole or not at all; a week already judged is never judged again, so a second
//! run (a restart, a changed zone) awards nothing; and a week whose run the scheduler claimed
//! but never finished is [`unfinished`], so the scheduler runs it again. A server that was off
//! for several Mondays judges once when it is back, from the last baselines to now.

use std::collections::HashMap;

use jiff::civil::Weekday;
use serde::{Deserialize, Serialize};

use super::leagues::League;
use super::player::{self, Player};
use super::points::{self, Source, Totals};
use super::season;
use crate::audit::{self, Actor, Event, EventKind};
use crate::i18n::{Catalogue, Lang};
use crate::outbox::{Message, Pings};
use crate::params::{self, Param};
use crate::routes::{self, Route};
use crate::store::{Read, Store, StoreError, Table, Writer};

/// Each linked player's pp when the last week was judged: Discord id → [`Baseline`] (see
/// `league::weekly`).
pub(crate) const WEEKLY_BASELINES: Table<u64, Baseline> = Table::new("weekly_baselines");

/// The last week judged: [`LAST`] → [`Judged`].
pub(crate) const WEEKLY_JUDGED: Table<str, Judged> = Table::new("weekly_judged");

/// The one key of [`WEEKLY_JUDGED`].
const LAST: &str = "last";

/// The day weeks end on, at 00:00.
const WEEKDAY: Weekday = Weekday::Monday;

/// Seconds in a week without clock changes: how far back the first week ever judged starts.
const WEEK: i64 = 7 * 86_400;

/// A player's pp when a week was judged: the start of their next week.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Baseline {
    pub pp: u32,
    /// Unix seconds: when it was written down. A player linked after this (unlinked and linked
    /// again) does not count from it.
    pub at: i64,
}

/// The last week judged.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Judged {
    /// The Monday 00:00 (unix seconds) that ended it.
    pub week_end: i64,
    /// Unix seconds: when it was judged (and the baselines written).
    pub at: i64,
}

/// What one run did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Report {
    /// The week that ended at `week_end` was judged: its winners by league (lowest league
    /// first), with their gains; and how many baselines were written.
    Judged {
        week_end: i64,
        season: Option<u64>,
        winners: Vec<(League, u64, i64)>,
        players: usize,
    },
    /// That week was judged already: nothing changed.
    AlreadyJudged { week_end: i64 },
}

/// When the next week ends after `now`: the next Monday 00:00 in the configured zone.
pub fn next_run(r: &impl Read, now: i64) -> Result<Option<i64>, StoreError> {
    let zone = params::time_zone(r, Param::WeeklyTimeZone)?;
    Ok(crate::time::next_weekday_start(now, WEEKDAY, &zone))
}

/// The end of the latest week that has ended by `now`: the last Monday 00:00 at or before it.
fn week_end(r: &impl Read, now: i64) -> Result<Option<i64>, StoreError> {
    let zone = params::time_zone(r, Param::WeeklyTimeZone)?;
    Ok(crate::time::last_weekday_start(now, WEEKDAY, &zone))
}

/// Whether a week has ended since the last one judged, so a run is owed now (the scheduler's
/// claim of it was stored, but its transaction never committed). `false` before the first week
/// is ever judged: that one waits for its Monday.
pub fn unfinished(r: &impl Read, now: i64) -> Result<bool, StoreError> {
    let Some(last) = r.get(&WEEKLY_JUDGED, LAST)? else {
        return Ok(false);
    };
    Ok(week_end(r, now)?.is_some_and(|end| last.week_end < end))
}

/// The last week judged, if any.
pub fn last_judged(r: &impl Read) -> Result<Option<Judged>, StoreError> {
    r.get(&WEEKLY_JUDGED, LAST)
}

/// Player `discord_id`'s baseline, if one is written down.
pub fn baseline(r: &impl Read, discord_id: u64) -> Result<Option<Baseline>, StoreError> {
    r.get(&WEEKLY_BASELINES, &discord_id)
}

/// Judges the week that ended last (the scheduler's job), in one transaction with the texts as
/// edited now.
pub fn run(store: &Store, now: i64) -> Result<Report, StoreError> {
    let texts = Catalogue::open(store)?;
    store.write(|w| judge(w, &texts, now))
}

/// Judges the week that ended at the last Monday 00:00 at or before `now`, in the caller's
/// transaction (see the module's comment); nothing when it was judged already.
pub fn judge(w: &mut Writer, texts: &Catalogue, now: i64) -> Result<Report, StoreError> {
    let Some(week_end) = week_end(w, now)? else {
        return Ok(Report::AlreadyJudged { week_end: now });
    };
    let last = last_judged(w)?;
    if last.is_some_and(|j| j.week_end >= week_end) {
        return Ok(Report::AlreadyJudged { week_end });
    }
    // Who linked after this linked during the week; before the first week ever judged, the
    // week is the seven days before its end.
    let since = last.map_or(week_end - WEEK, |j| j.at);
    let players = player::all(w)?;
    let baselines: HashMap<u64, Baseline> = w.all(&WEEKLY_BASELINES)?.into_iter().collect();
    let season = season::current(w)?;
    let amount = params::number(w, Param::WeeklyWinnerPoints)?;
    let amount = i64::try_from(amount).unwrap_or(i64::MAX);
    let mut winners = Vec::new();
    match season {
        None => {
            let notice = texts.render(Lang::En, "league.weekly.off_season", &[]);
            routes::push(w, Route::BotUpdates, Message::text(notice), None)?;
        }
        Some(_) if amount == 0 => {}
        Some(_) => {
            for league in League::ALL {
                let gains = players
                    .iter()
                    .filter(|p| p.league == league)
                    .filter_map(|p| {
                        let start = start_pp(p, baselines.get(&p.discord_id), since)?;
                        Some((p.discord_id, i64::from(p.pp) - i64::from(start)))
                    });
                for (discord_id, gain) in choose(gains) {
                    let awarded = points::award(
                        w,
                        discord_id,
                        amount,
                        Source::WeeklyWinner,
                        Actor::Bot,
                        now,
                    )?;
                    if let Some(totals) = awarded {
                        announce(w, texts, league, discord_id, gain, amount, totals)?;
                        winners.push((league, discord_id, gain));
                    }
                }
            }
        }
    }
    reset_baselines(w, &players, baselines.keys().copied(), now)?;
    w.insert(&WEEKLY_JUDGED, LAST, &Judged { week_end, at: now })?;
    let mut event =
        Event::new(EventKind::WeeklyWinners, Actor::Bot, now).with("week_end", week_end);
    if let Some(number) = season {
        event = event.with("season", i64::try_from(number).unwrap_or(i64::MAX));
    }
    let event = event
        .with("winners", winners.len() as i64)
        .with("players", players.len() as i64);
    audit::record(w, &event)?;
    Ok(Report::Judged {
        week_end,
        season,
        winners,
        players: players.len(),
    })
}

/// The pp a player's week counts from: their baseline, unless it was written before they
/// linked (they unlinked and linked again since); else, when they linked at or after `since`
/// (during the week), their pp at link (`initial_pp`: their pp at the season's start instead,
/// if one started after they linked); else unknown (`None`: they cannot win this week).
pub fn start_pp(player: &Player, baseline: Option<&Baseline>, since: i64) -> Option<u32> {
    match baseline {
        Some(b) if b.at >= player.linked_at => Some(b.pp),
        _ if player.linked_at >= since => Some(player.initial_pp),
        _ => None,
    }
}

/// The winners among `(player, gain)`: everyone tied for the highest gain, when it is above
/// zero; in the order given.
pub fn choose(gains: impl IntoIterator<Item = (u64, i64)>) -> Vec<(u64, i64)> {
    let gains: Vec<(u64, i64)> = gains.into_iter().collect();
    let Some(best) = gains.iter().map(|&(_, gain)| gain).max().filter(|&b| b > 0) else {
        return Vec::new();
    };
    gains
        .into_iter()
        .filter(|&(_, gain)| gain == best)
        .collect()
}

/// Queues a winner's announcement in `bot_updates`, in their language (English unless they
/// chose another with `/language`), pinging them.
fn announce(
    w: &mut Writer,
    texts: &Catalogue,
    league: League,
    discord_id: u64,
    gain: i64,
    amount: i64,
    totals: Totals,
) -> Result<(), StoreError> {
    let lang = crate::i18n::preference(w, discord_id)?.unwrap_or(Lang::En);
    let league_name = texts.render(lang, league.text_key(), &[]);
    let mention = format!("<@{discord_id}>");
    let (gain, amount) = (gain.to_string(), amount.to_string());
    let (total, seasonal) = (
        totals.points.to_string(),
        totals.seasonal_points.to_string(),
    );
    let text = texts.render(
        lang,
        "league.weekly.winner",
        &[
            ("league", &league_name),
            ("member", &mention),
            ("gain", &gain),
            ("points", &amount),
            ("total", &total),
            ("seasonal", &seasonal),
        ],
    );
    let message = Message {
        pings: Pings::Users,
        ..Message::text(text)
    };
    routes::push(w, Route::BotUpdates, message, None)
}

/// Every linked player's baseline becomes their pp now; those of players no longer linked go.
fn reset_baselines(
    w: &mut Writer,
    players: &[Player],
    old: impl Iterator<Item = u64>,
    now: i64,
) -> Result<(), StoreError> {
    for discord_id in old {
        if players
            .binary_search_by_key(&discord_id, |p| p.discord_id)
            .is_err()
        {
            w.remove(&WEEKLY_BASELINES, &discord_id)?;
        }
    }
    for p in players {
        let baseline = Baseline { pp: p.pp, at: now };
        w.insert(&WEEKLY_BASELINES, &p.discord_id, &baseline)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use crate::outbox::{self, Destination, Effect, route};

    fn at(text: &str) -> i64 {
        text.parse::<jiff::Timestamp>().unwrap().as_second()
    }

    /// Monday 2026-11-02 00:00 in Chicago (CST, UTC−6: summer time ended the day before).
    fn monday() -> i64 {
        at("2026-11-02T06:00:00Z")
    }

    const BOT_UPDATES: u64 = 77;

    #[test]
    fn winners_are_everyone_tied_for_the_highest_gain_above_zero() {
        assert_eq!(
            choose([(1, 10), (2, 30), (3, 30), (4, -5)]),
            [(2, 30), (3, 30)]
        );
        assert_eq!(choose([(1, 1)]), [(1, 1)], "one pp is a gain");
        assert!(choose([(1, 0), (2, 0)]).is_empty(), "no gain, no winner");
        assert!(choose([(1, -10), (2, -3)]).is_empty(), "a loss never wins");
        assert!(choose([]).is_empty(), "an empty league");
    }

    #[test]
    fn a_week_counts_from_the_baseline_or_from_the_link_during_the_week() {
        let since = 1_000;
        let mut p = player::sample(1, 10, 5_000, League::Gold);
        p.initial_pp = 4_000;
        p.linked_at = 500;
        let written = Baseline {
            pp: 4_800,
            at: 1_000,
        };
        assert_eq!(start_pp(&p, Some(&written), since), Some(4_800));
        // No baseline: linked before the week started, so the start is unknown.
        assert_eq!(start_pp(&p, None, since), None);
        // Linked during the week: from their pp at link.
        p.linked_at = 1_500;
        assert_eq!(start_pp(&p, None, since), Some(4_000));
        // A baseline from before they linked again is someone else's week.
        assert_eq!(start_pp(&p, Some(&written), since), Some(4_000));
    }

    /// A store with a season on (or not), `bot_updates` pointed at a channel, and players
    /// `(id, league, pp at link, linked at)`.
    fn store(in_season: bool, players: &[(u64, League, u32, i64)]) -> (tempfile::TempDir, Store) {
        let (dir, store) = Store::temporary();
        store
            .write(|w| {
                route::set_default(w, Route::BotUpdates, BOT_UPDATES)?;
                if in_season {
                    season::open(w, 0)?;
                }
                for &(id, league, pp, linked_at) in players {
                    let mut p = player::sample(id, id * 10, pp, league);
                    p.linked_at = linked_at;
                    player::link(w, &p, linked_at)
                        .map_err(|e| StoreError::Storage(e.to_string()))?;
                }
                Ok::<_, StoreError>(())
            })
            .unwrap();
        (dir, store)
    }

    fn set_pp(store: &Store, id: u64, pp: u32) {
        store
            .write(|w| {
                let mut p = player::get(w, id)?.unwrap();
                p.pp = pp;
                player::update(w, &p)
            })
            .unwrap();
    }

    fn judge_at(store: &Store, now: i64) -> Report {
        store
            .write(|w| judge(w, &Catalogue::defaults(), now))
            .unwrap()
    }

    /// What was queued for `bot_updates`.
    fn announced(store: &Store) -> Vec<String> {
        store
            .read(outbox::queue::queued)
            .unwrap()
            .into_iter()
            .filter_map(|(_, q)| match q.effect {
                Effect::Send {
                    to:
                        Destination::Route {
                            route: Route::BotUpdates,
                            ..
                        },
                    message,
                    ..
                } => Some(message.content),
                _ => None,
            })
            .collect()
    }

    fn points_of(store: &Store, id: u64) -> (i64, i64) {
        let p = store.read(|r| player::get(r, id)).unwrap().unwrap();
        (p.points, p.seasonal_points)
    }

    #[test]
    fn each_league_has_its_winners_for_the_pp_gained_this_week_and_baselines_move_on() {
        let week_ago = monday() - WEEK;
        // Gold: 1 and 2 tie, 3 gains less. Silver: 4 loses pp, 5 gains nothing. Platinum: 6
        // linked mid-week and gained from there. Master: nobody.
        let (_dir, store) = store(
            true,
            &[
                (1, League::Gold, 5_000, week_ago - 86_400),
                (2, League::Gold, 6_000, week_ago - 86_400),
                (3, League::Gold, 5_500, week_ago - 86_400),
                (4, League::Silver, 3_000, week_ago - 86_400),
                (5, League::Silver, 3_100, week_ago - 86_400),
                (6, League::Platinum, 7_000, week_ago + 3 * 86_400),
            ],
        );
        // The first week ever: only who linked within it has a known start.
        for (id, pp) in [(1, 5_100), (6, 7_040)] {
            set_pp(&store, id, pp);
        }
        let first = judge_at(&store, monday());
        assert_eq!(
            first,
            Report::Judged {
                week_end: monday(),
                season: Some(1),
                winners: vec![(League::Platinum, 6, 40)],
                players: 6,
            },
            "player 1 linked before the first week: no known start"
        );
        // The second week counts from the baselines written at the first.
        let next = monday() + WEEK;
        for (id, pp) in [(1, 5_200), (2, 6_100), (3, 5_550), (4, 2_990), (6, 7_040)] {
            set_pp(&store, id, pp);
        }
        let second = judge_at(&store, next + 30);
        let Report::Judged { winners, .. } = &second else {
            panic!("{second:?}");
        };
        assert_eq!(
            winners,
            &[(League::Gold, 1, 100), (League::Gold, 2, 100)],
            "ties all win; silver and platinum gained nothing"
        );
        assert_eq!(points_of(&store, 1), (100, 100));
        assert_eq!(points_of(&store, 3), (0, 0));
        assert_eq!(points_of(&store, 6), (100, 100), "from the first week");
        let posts = announced(&store);
        assert_eq!(posts.len(), 3);
        assert_eq!(
            posts[1],
            "🏆 Weekly Winner: Gold\nCongratulations <@1>! You gained the most pp this week \
             (+100) and have been awarded +100 points.\n> Total Points: 100\n> Seasonal Points: 100"
        );
        for id in 1..=6 {
            let b = store.read(|r| baseline(r, id)).unwrap().unwrap();
            let p = store.read(|r| player::get(r, id)).unwrap().unwrap();
            assert_eq!((b.pp, b.at), (p.pp, next + 30), "player {id}");
        }
        let history = store.read(|r| points::history(r, 2)).unwrap();
        assert_eq!(history.len(), 1);
        assert_eq!(history[0].source, Source::WeeklyWinner);
        let log = audit::summaries(&store);
        assert_eq!(
            log.last().unwrap(),
            &format!("WEEKLY_WINNERS by bot: week_end={next} season=1 winners=2 players=6")
        );
    }

    #[test]
    fn a_week_is_judged_once_whatever_runs_it_again() {
        let (_dir, store) = store(true, &[(1, League::Gold, 5_000, monday() - 86_400)]);
        set_pp(&store, 1, 5_050);
        assert!(matches!(judge_at(&store, monday()), Report::Judged { .. }));
        let events = audit::summaries(&store).len();
        // Later the same week (a restart, a second claim): nothing changes.
        set_pp(&store, 1, 5_500);
        for later in [monday(), monday() + 1, monday() + WEEK - 1] {
            assert_eq!(
                judge_at(&store, later),
                Report::AlreadyJudged { week_end: monday() }
            );
        }
        assert_eq!(points_of(&store, 1), (100, 100));
        assert_eq!(announced(&store).len(), 1);
        assert_eq!(audit::summaries(&store).len(), events);
        assert_eq!(store.read(|r| baseline(r, 1)).unwrap().unwrap().pp, 5_050);
    }

    #[test]
    fn a_run_owed_since_a_monday_is_unfinished_until_it_is_judged() {
        let (_dir, store) = store(true, &[(1, League::Gold, 5_000, monday() - 86_400)]);
        let unfinished_at = |now| store.read(|r| unfinished(r, now)).unwrap();
        assert!(
            !unfinished_at(monday() + 60),
            "never judged: the first Monday waits"
        );
        judge_at(&store, monday());
        assert!(!unfinished_at(monday() + 60));
        assert!(!unfinished_at(monday() + WEEK - 1));
        assert!(unfinished_at(monday() + WEEK), "the next Monday");
        assert!(
            unfinished_at(monday() + 3 * WEEK),
            "several Mondays: still one run"
        );
        judge_at(&store, monday() + 3 * WEEK);
        assert!(!unfinished_at(monday() + 3 * WEEK + 60));
        assert_eq!(
            store.read(|r| next_run(r, monday() + 3 * WEEK)).unwrap(),
            Some(monday() + 4 * WEEK)
        );
    }

    #[test]
    fn off_season_nobody_wins_the_notice_is_posted_and_baselines_still_move() {
        let (_dir, store) = store(false, &[(1, League::Gold, 5_000, monday() - 86_400)]);
        set_pp(&store, 1, 5_300);
        let report = judge_at(&store, monday());
        assert_eq!(
            report,
            Report::Judged {
                week_end: monday(),
                season: None,
                winners: vec![],
                players: 1,
            }
        );
        assert_eq!(points_of(&store, 1), (0, 0));
        assert_eq!(
            announced(&store),
            ["⚠ Off-season: currently off season, no points awarded this week."]
        );
        assert_eq!(store.read(|r| baseline(r, 1)).unwrap().unwrap().pp, 5_300);
        assert_eq!(
            audit::summaries(&store).last().unwrap(),
            &format!(
                "WEEKLY_WINNERS by bot: week_end={} winners=0 players=1",
                monday()
            )
        );
    }

    #[test]
    fn winners_read_their_own_language_and_a_player_who_left_loses_their_baseline() {
        let (_dir, store) = store(
            true,
            &[
                (1, League::Gold, 5_000, monday() - 86_400),
                (2, League::Gold, 5_000, monday() - 86_400),
            ],
        );
        store
            .write(|w| crate::i18n::set_preference(w, 1, Lang::Ru, 0))
            .unwrap();
        set_pp(&store, 1, 5_021);
        judge_at(&store, monday());
        assert_eq!(
            announced(&store),
            [
                "🏆 Победитель недели: лига «Золото»\nПоздравляем, <@1>! За неделю вы набрали \
              больше всех pp (+21) и получаете +100 очков.\n> Всего очков: 100\n> Очков за \
              сезон: 100"
            ]
        );
        store
            .write(|w| player::archive(w, 2, Actor::Bot, "left", monday() + 10))
            .unwrap();
        judge_at(&store, monday() + WEEK);
        assert_eq!(store.read(|r| baseline(r, 2)).unwrap(), None);
    }

    #[test]
    fn no_points_for_the_winner_means_no_winner() {
        let (_dir, store) = store(true, &[(1, League::Gold, 5_000, monday() - 86_400)]);
        store
            .write(|w| {
                let zero = params::Value::Number(0);
                params::set_value(w, Actor::Bot, Param::WeeklyWinnerPoints, zero, 0)
            })
            .unwrap();
        set_pp(&store, 1, 5_100);
        let Report::Judged { winners, .. } = judge_at(&store, monday()) else {
            panic!("not judged");
        };
        assert!(winners.is_empty());
        assert!(announced(&store).is_empty());
        assert_eq!(points_of(&store, 1), (0, 0));
    }

    #[test]
    fn the_week_ends_at_monday_midnight_in_the_configured_zone() {
        let (_dir, store) = store(true, &[]);
        let sunday = at("2026-11-01T00:00:00Z");
        assert_eq!(store.read(|r| next_run(r, sunday)).unwrap(), Some(monday()));
        params::set(
            &store,
            Actor::Bot,
            Param::WeeklyTimeZone,
            "europe/moscow",
            0,
        )
        .unwrap();
        assert_eq!(
            store.read(|r| next_run(r, sunday)).unwrap(),
            Some(at("2026-11-01T21:00:00Z")),
            "Monday 00:00 MSK (UTC+3)"
        );
        let refused = params::set(&store, Actor::Bot, Param::WeeklyTimeZone, "Moscow", 0);
        assert!(refused.is_err());
    }
}
