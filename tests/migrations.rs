//! Stores written by earlier releases open in this one. Each file in `tests/fixtures/` was written
//! by a released build (its README says how); a copy is migrated to [`SCHEMA_VERSION`] and every
//! row the generator wrote is read back through today's API, with the values it wrote. A
//! migration that decodes rows with today's types, or a row type changed without a migration,
//! fails here.

use std::path::Path;

use stagehand::access::{Flag, Permissions};
use stagehand::audit::{self, Actor, Event, EventId, EventKind, Index, Position, Value};
use stagehand::gd::Difficulty;
use stagehand::i18n::{self, Catalogue, Lang};
use stagehand::league::League;
use stagehand::league::player::{self, Player, TopPlay};
use stagehand::league::roles::{self, RoleKey};
use stagehand::params::{self, Param};
use stagehand::requests::cooldown::{
    self, Entity, EntityKind, HistoryEntry, Listing, Restriction, Term,
};
use stagehand::requests::model::{
    self, Author, Dossier, Grade, LevelFacts, Opinion, Request, Resolution, State, Verdict,
};
use stagehand::routes::{self, Route};
use stagehand::store::{self, Read as _, SCHEMA_VERSION, Store, StoreOptions, Table};
use stagehand::time::Duration;

/// A copy of the fixture `name`, opened (and so migrated) with today's [`Store::open`]. The
/// committed file is never opened in place; a missing one fails the test.
fn open_fixture(name: &str, schema: u64) -> (tempfile::TempDir, Store) {
    let fixture = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(name);
    if let Err(err) = std::fs::copy(&fixture, &path) {
        panic!("fixture {}: {err}", fixture.display());
    }
    assert_eq!(store::inspect(&path).unwrap().schema, schema, "{name}");
    drop(Store::open(&path, &StoreOptions::default()).unwrap());
    let migrated = store::inspect(&path).unwrap().schema;
    assert_eq!(migrated, SCHEMA_VERSION, "{name} migrated");
    let store = Store::open(&path, &StoreOptions::default()).unwrap();
    (dir, store)
}

/// Stagehand 0.1.0, schema 1. The values below are the generator's (`tests/fixtures/README.md`).
mod v0_1_0 {
    use super::*;

    const T: i64 = 1_750_000_000;
    const ADMIN: u64 = 900;
    const MOD_A: u64 = 601;
    const MOD_B: u64 = 602;
    const DAY: i64 = 86_400;
    /// When the tests look: after every write, before the cooldowns end (but the one of level 128).
    const NOW: i64 = T + 1_000;
    /// Unlinked players; no reader outside the crate, so read as stored.
    const ARCHIVED_PLAYERS: Table<(u64, i64), Player> = Table::new("archived_players");
    /// The moderator whose resolution decided each request, as stored.
    const DECISIONS: Table<u64, u64> = Table::new("request_decisions");

    fn open() -> (tempfile::TempDir, Store) {
        open_fixture("store-0.1.0.redb", 1)
    }

    fn player(
        discord_id: u64,
        osu_id: u64,
        name: &str,
        pp: u32,
        global_rank: Option<u32>,
        league: League,
        future_league: League,
    ) -> Player {
        Player {
            discord_id,
            discord_name: name.to_lowercase(),
            osu_id,
            osu_username: name.to_string(),
            pp,
            global_rank,
            play_time_secs: u64::from(pp) * 100,
            ii: 1.25,
            league,
            future_league,
            initial_pp: pp - 100,
            linked_at: T,
            top_play: global_rank.map(|rank| TopPlay {
                score_id: u64::from(rank) * 10,
                pp: pp / 10,
                title: format!("{name}'s best"),
            }),
            points: i64::from(pp) / 100 - 20,
            seasonal_points: 3,
        }
    }

    fn ada() -> Player {
        player(
            1001,
            2001,
            "Ada",
            4321,
            Some(12_345),
            League::Gold,
            League::Platinum,
        )
    }

    fn brook() -> Player {
        player(
            1002,
            2002,
            "Brook",
            1500,
            None,
            League::Silver,
            League::Silver,
        )
    }

    fn cyd() -> Player {
        player(
            1003,
            2003,
            "Cyd",
            4100,
            Some(15_000),
            League::Gold,
            League::Gold,
        )
    }

    fn dee() -> Player {
        player(
            1004,
            2004,
            "Dee",
            800,
            Some(400_000),
            League::Bronze,
            League::Novice,
        )
    }

    fn request(level: u64, name: &str, author: Author, submitted_by: u64, at: i64) -> Request {
        Request {
            level: LevelFacts {
                id: level,
                name: name.to_string(),
                creator: "Maker".into(),
                requested_stars: 5,
                length: 2,
                demon: false,
                difficulty: Difficulty::Hard,
                game_version: 22,
                copied_from: 0,
            },
            author,
            lang: Lang::En,
            showcase: Some("https://www.youtube.com/watch?v=dQw4w9WgXcQ".into()),
            comment: None,
            requested_at: at,
            submitted_by,
        }
    }

    fn bloodbath() -> Request {
        Request {
            level: LevelFacts {
                id: 4_284_013,
                name: "Bloodbath".into(),
                creator: "Riot".into(),
                requested_stars: 10,
                length: 3,
                demon: true,
                difficulty: Difficulty::ExtremeDemon,
                game_version: 21,
                copied_from: 10_565_740,
            },
            author: Author::Name("Riot".into()),
            lang: Lang::Ru,
            showcase: None,
            comment: Some("классика".into()),
            requested_at: T + 21,
            submitted_by: 1002,
        }
    }

    fn opinion(verdict: Verdict, review: Option<&str>, reason: Option<&str>, at: i64) -> Opinion {
        Opinion {
            verdict,
            review: review.map(str::to_string),
            reason: reason.map(str::to_string),
            at,
        }
    }

    fn dossiers() -> Vec<Dossier> {
        let epic = Resolution {
            grade: Some(Grade::Epic),
            review: Some("great deco".into()),
            comment: Some("sent".into()),
            at: T + 40,
        };
        let featured = Resolution {
            grade: Some(Grade::Feature),
            review: None,
            comment: None,
            at: T + 41,
        };
        let rejected = Resolution {
            grade: None,
            review: None,
            comment: Some("too short".into()),
            at: T + 42,
        };
        vec![
            Dossier {
                id: 1,
                request: request(128, "1st level", Author::User(1001), 1001, T + 20),
                opinions: vec![
                    (
                        501,
                        opinion(Verdict::Approve, Some("clean gameplay"), None, T + 30),
                    ),
                    (
                        502,
                        opinion(Verdict::Reject, None, Some("too hard"), T + 31),
                    ),
                ],
                resolutions: vec![(MOD_A, epic), (MOD_B, featured)],
            },
            Dossier {
                id: 2,
                request: bloodbath(),
                opinions: vec![(
                    501,
                    opinion(Verdict::Reject, Some("unreadable"), Some("sync"), T + 32),
                )],
                resolutions: vec![],
            },
            Dossier {
                id: 3,
                request: request(128, "1st level", Author::User(1003), 1003, T + 22),
                opinions: vec![],
                resolutions: vec![],
            },
            Dossier {
                id: 4,
                request: request(555, "Short one", Author::User(1002), 1002, T + 23),
                opinions: vec![],
                resolutions: vec![(MOD_B, rejected)],
            },
            Dossier {
                id: 5,
                request: request(777, "Lucky", Author::User(1001), 1001, T + 24),
                opinions: vec![(503, opinion(Verdict::Approve, None, None, T + 33))],
                resolutions: vec![],
            },
        ]
    }

    #[test]
    fn players_league_members_and_the_archive() {
        let (_dir, store) = open();
        store
            .read(|r| {
                assert_eq!(player::all(r)?, [ada(), brook(), cyd()]);
                for p in [ada(), brook(), cyd()] {
                    assert_eq!(player::get(r, p.discord_id)?, Some(p.clone()));
                    assert_eq!(player::by_osu(r, p.osu_id)?, Some(p.discord_id));
                }
                assert_eq!(player::get(r, 1004)?, None, "archived");
                assert_eq!(player::by_osu(r, 2004)?, None, "freed by the archive");
                assert_eq!(player::members(r, League::Gold)?, [ada(), cyd()]);
                assert_eq!(player::members(r, League::Silver)?, [brook()]);
                assert!(player::members(r, League::Bronze)?.is_empty());
                assert_eq!(r.all(&ARCHIVED_PLAYERS)?, [((1004, T + 10), dee())]);
                assert_eq!(roles::get(r, RoleKey::League(League::Gold))?, Some(7104));
                assert_eq!(roles::get(r, RoleKey::Participant)?, None);
                assert_eq!(i18n::preference(r, 1002)?, Some(Lang::Ru));
                assert_eq!(i18n::preference(r, 1001)?, None);
                Ok(())
            })
            .unwrap();
    }

    #[test]
    fn requests_opinions_resolutions_and_the_pending_index() {
        use State::{Ignored, Resolved, Unresolved};
        let (_dir, store) = open();
        store
            .read(|r| {
                let found: Vec<Dossier> = (1..=6)
                    .map(|id| model::dossier(r, id))
                    .collect::<Result<Vec<_>, _>>()?
                    .into_iter()
                    .flatten()
                    .collect();
                assert_eq!(found, dossiers());
                let states: Vec<State> = found.iter().map(Dossier::state).collect();
                assert_eq!(
                    states,
                    [Resolved, Unresolved, Ignored, Resolved, Unresolved]
                );
                assert_eq!(found[0].approved_at(), Some(T + 40));
                // Built by the migration: the unresolved requests 2, 3 and 5.
                assert_eq!(model::pending_count(r)?, 3);
                assert_eq!(model::oldest(r, Ignored)?, Some(3));
                assert_eq!(model::oldest(r, Unresolved)?, Some(2));
                let ids =
                    |dossiers: Vec<Dossier>| dossiers.iter().map(|d| d.id).collect::<Vec<_>>();
                assert_eq!(ids(model::for_level(r, 128)?), [1, 3]);
                assert_eq!(ids(model::for_level(r, 4_284_013)?), [2]);
                assert_eq!(model::latest_by(r, 1001)?.map(|(id, _)| id), Some(5));
                assert_eq!(model::latest_by(r, 1002)?.map(|(id, _)| id), Some(4));
                // Built by the migration to schema 3: the earliest resolution decided.
                assert_eq!(r.all(&DECISIONS)?, [(1, MOD_A), (4, MOD_B)]);
                Ok(())
            })
            .unwrap();
        // The desk carries on where 0.1.0 stopped.
        let next = request(999, "After", Author::User(1003), 1003, NOW);
        let id = store.write(|w| model::insert(w, &next)).unwrap();
        assert_eq!(id, 6);
        assert_eq!(store.read(model::pending_count).unwrap(), 4);
    }

    #[test]
    fn cooldowns_bans_and_their_history() {
        let (_dir, store) = open();
        let restriction =
            |ends_at: Option<i64>, caster, reason: Option<&str>, created_at| Restriction {
                ends_at,
                caster,
                reason: reason.map(str::to_string),
                created_at,
            };
        let spam = restriction(
            Some(T + 50 + 7 * DAY),
            Actor::User(MOD_A),
            Some("spam"),
            T + 50,
        );
        let automatic = restriction(Some(T + 51 + 3 * DAY), Actor::Bot, None, T + 51);
        let ban = restriction(None, Actor::User(MOD_A), Some("rude"), T + 52);
        let level = restriction(Some(T + 53 + 30 * DAY), Actor::User(MOD_B), None, T + 53);
        let ran_out = restriction(Some(T + 116), Actor::Bot, None, T + 56);
        let entry = |at, actor, before, after, reason: Option<&str>| HistoryEntry {
            at,
            actor,
            before,
            after,
            reason: reason.map(str::to_string),
        };
        store
            .read(|r| {
                let active = |entity| cooldown::active(r, entity, NOW);
                assert_eq!(active(Entity::User(1002))?, Some(spam.clone()));
                assert_eq!(active(Entity::User(1001))?, Some(automatic.clone()));
                assert_eq!(active(Entity::User(1003))?, Some(ban.clone()));
                assert_eq!(active(Entity::Level(4_284_013))?, Some(level.clone()));
                assert_eq!(active(Entity::Level(555))?, None, "lifted");
                assert_eq!(active(Entity::Level(128))?, None, "ran out at T + 116");
                let before_its_end = cooldown::active(r, Entity::Level(128), T + 100)?;
                assert_eq!(before_its_end, Some(ran_out), "the row stays");
                let before_the_amend = cooldown::active(r, Entity::Level(555), T + 54)?;
                assert_eq!(before_the_amend, None, "the row is gone");
                assert_eq!(
                    cooldown::list(r, EntityKind::User, Listing::Temporary, NOW)?,
                    [(Entity::User(1002), spam), (Entity::User(1001), automatic)]
                );
                assert_eq!(
                    cooldown::list(r, EntityKind::User, Listing::Endless, NOW)?,
                    [(Entity::User(1003), ban)]
                );
                assert_eq!(
                    cooldown::list(r, EntityKind::Level, Listing::Temporary, NOW)?,
                    [(Entity::Level(4_284_013), level)]
                );

                let history = |entity| cooldown::history(r, entity);
                let until = Term::Until;
                assert_eq!(
                    history(Entity::User(1002))?,
                    [entry(
                        T + 50,
                        Actor::User(MOD_A),
                        Term::Free,
                        until(T + 50 + 7 * DAY),
                        Some("spam")
                    )]
                );
                assert_eq!(
                    history(Entity::User(1001))?,
                    [entry(
                        T + 51,
                        Actor::Bot,
                        Term::Free,
                        until(T + 51 + 3 * DAY),
                        None
                    )]
                );
                assert_eq!(
                    history(Entity::User(1003))?,
                    [entry(
                        T + 52,
                        Actor::User(MOD_A),
                        Term::Free,
                        Term::Forever,
                        Some("rude")
                    )]
                );
                assert_eq!(
                    history(Entity::Level(4_284_013))?,
                    [entry(
                        T + 53,
                        Actor::User(MOD_B),
                        Term::Free,
                        until(T + 53 + 30 * DAY),
                        None
                    )]
                );
                assert_eq!(
                    history(Entity::Level(555))?,
                    [
                        entry(
                            T + 54,
                            Actor::User(MOD_B),
                            Term::Free,
                            until(T + 54 + DAY),
                            Some("reupload")
                        ),
                        entry(
                            T + 55,
                            Actor::User(MOD_B),
                            until(T + 54 + DAY),
                            Term::Free,
                            Some("appeal")
                        ),
                    ]
                );
                assert_eq!(
                    history(Entity::Level(128))?,
                    [entry(T + 56, Actor::Bot, Term::Free, until(T + 116), None)]
                );
                Ok(())
            })
            .unwrap();
    }

    /// Every event, in recording order (ids 1 to 25).
    fn events() -> Vec<Event> {
        let admin = Actor::User(ADMIN);
        let linked = |user, at, osu_id, name: &str, league: &str| {
            Event::new(EventKind::PlayerLinked, Actor::User(user), at)
                .with("osu_id", Value::Int(osu_id))
                .with("osu_username", name)
                .with("league", league)
        };
        let user_cd = |actor, at, user, new: &str, reason: &str| {
            Event::new(EventKind::UserCooldownUpdated, actor, at)
                .with("target_user_id", Value::User(user))
                .with("old", "not on cooldown")
                .with("new", new)
                .with("reason", reason)
        };
        let level_cd = |actor, at, level: i64, old: &str, new: &str, reason: &str| {
            Event::new(EventKind::LevelCooldownUpdated, actor, at)
                .with("target_level_id", Value::Int(level))
                .with("old", old)
                .with("new", new)
                .with("reason", reason)
        };
        let free = "not on cooldown";
        let parameter = |at, id: &str, value: &str| {
            Event::new(EventKind::ParameterEdited, admin, at)
                .with("parameter_id", id)
                .with("value", value)
        };
        let bound = |at, flag: &str, role| {
            Event::new(EventKind::PermissionBound, admin, at)
                .with("permission_id", flag)
                .with("role_id", Value::Role(role))
        };
        let target = |actor, at, route: &str, channel| {
            Event::new(EventKind::RouteTargetUpdated, actor, at)
                .with("route_id", route)
                .with("new_channel_id", Value::Channel(channel))
        };
        let text = |at, lang: &str, new: &str| {
            Event::new(EventKind::TextPieceEdited, admin, at)
                .with("piece_id", "common.success")
                .with("lang", lang)
                .with("new_text", new)
        };
        vec![
            linked(1001, T, 2001, "Ada", "gold"),
            linked(1002, T + 1, 2002, "Brook", "silver"),
            linked(1003, T + 2, 2003, "Cyd", "gold"),
            linked(1004, T + 3, 2004, "Dee", "bronze"),
            Event::new(EventKind::PlayerUnlinked, Actor::Bot, T + 10)
                .with("target_user_id", Value::User(1004))
                .with("osu_username", "Dee")
                .with("reason", "left"),
            Event::new(EventKind::LeagueRoleSet, admin, T + 11)
                .with("league_role", "gold")
                .with("role_id", Value::Role(7104)),
            Event::new(EventKind::RequestRequested, Actor::User(1001), T + 20)
                .with("request_id", Value::Int(1))
                .with("level_name", "1st level")
                .with("showcase", Value::Bool(true))
                .with("author", Value::User(1001))
                .with("role", Value::Role(7104))
                .with("channel", Value::Channel(8001))
                .with("comment", Value::Absent),
            user_cd(
                Actor::User(MOD_A),
                T + 50,
                1002,
                "until 2025-06-22T15:07:30Z",
                "spam",
            ),
            user_cd(
                Actor::Bot,
                T + 51,
                1001,
                "until 2025-06-18T15:07:31Z",
                "no reason",
            ),
            user_cd(Actor::User(MOD_A), T + 52, 1003, "forever", "rude"),
            level_cd(
                Actor::User(MOD_B),
                T + 53,
                4_284_013,
                free,
                "until 2025-07-15T15:07:33Z",
                "no reason",
            ),
            level_cd(
                Actor::User(MOD_B),
                T + 54,
                555,
                free,
                "until 2025-06-16T15:07:34Z",
                "reupload",
            ),
            level_cd(
                Actor::User(MOD_B),
                T + 55,
                555,
                "until 2025-06-16T15:07:34Z",
                free,
                "appeal",
            ),
            level_cd(
                Actor::Bot,
                T + 56,
                128,
                free,
                "until 2025-06-15T15:08:36Z",
                "no reason",
            ),
            parameter(T + 60, "queue.block_at", "40"),
            parameter(T + 61, "cooldown.post_request_user_cd", "1w2d"),
            parameter(T + 62, "queue.blocked", "true"),
            bound(T + 63, "admin", 7001),
            bound(T + 64, "reviewer", 7002),
            bound(T + 65, "gd_mod", 7002),
            target(Actor::Bot, T + 66, "archive", 8100),
            target(admin, T + 67, "log", 8001),
            Event::new(EventKind::RouteToggled, admin, T + 68)
                .with("route_id", "welcome")
                .with("enabled", false),
            text(T + 69, "en", "All done."),
            text(T + 70, "ru", "Сделано."),
        ]
    }

    #[test]
    fn the_audit_log_and_its_indexes() {
        let (_dir, store) = open();
        let query = |index| {
            let all = Position::at_time(i64::MIN);
            let found = store.read(|r| audit::query(r, index, all, i64::MAX, usize::MAX));
            found.unwrap()
        };
        let ids = |found: Vec<(Position, Event)>| -> Vec<u64> {
            found.into_iter().map(|(p, _)| p.id.0).collect()
        };
        let all = query(Index::All);
        assert_eq!(ids(all.clone()), (1..=25).collect::<Vec<_>>());
        let found: Vec<Event> = all.into_iter().map(|(_, e)| e).collect();
        let expected = events();
        for (i, (found, expected)) in found.iter().zip(&expected).enumerate() {
            assert_eq!(found, expected, "event {}", i + 1);
        }
        assert_eq!(found.len(), expected.len());
        assert_eq!(
            store.read(|r| audit::get(r, EventId(7))).unwrap(),
            Some(expected[6].clone())
        );
        assert_eq!(
            ids(query(Index::Kind(EventKind::PlayerLinked))),
            [1, 2, 3, 4]
        );
        assert_eq!(ids(query(Index::Actor(Actor::Bot))), [5, 9, 14, 21]);
        assert_eq!(ids(query(Index::Actor(Actor::User(MOD_B)))), [11, 12, 13]);
        // Schema 4 indexed every custom field of the events 0.1.0 recorded.
        let by_field = |name: &str, value: Value| {
            let filter = audit::Filter {
                fields: vec![(name.to_string(), value)],
                ..audit::Filter::default()
            };
            let page = store.read(|r| audit::page(r, &filter, audit::Start::Oldest, 30));
            let ids: Vec<u64> = page.unwrap().events.iter().map(|(id, _)| id.0).collect();
            ids
        };
        assert_eq!(
            by_field("parameter_id", Value::Text("queue.blocked".into())),
            [17]
        );
        assert_eq!(by_field("showcase", Value::Bool(true)), [7]);
        assert_eq!(by_field("target_level_id", Value::Int(555)), [12, 13]);
        // New events continue the sequence.
        let next = Event::new(EventKind::SeasonStarted, Actor::Bot, NOW).with("season", 1_i64);
        let id = store.write(|w| audit::record(w, &next)).unwrap();
        assert_eq!(id, EventId(26));
    }

    #[test]
    fn parameters_permissions_routes_and_texts() {
        let (_dir, store) = open();
        store
            .read(|r| {
                use params::Value::{Bool, Duration as Lasting, Number};
                assert_eq!(params::get(r, Param::QueueBlockAt)?, Number(40));
                let nine_days = Lasting(Duration::Finite(9 * 86_400));
                assert_eq!(params::get(r, Param::PostRequestUserCooldown)?, nine_days);
                assert_eq!(params::get(r, Param::QueueBlocked)?, Bool(true));
                assert!(params::describe(r, Param::QueueBlocked)?.overridden);
                assert!(!params::describe(r, Param::QueueUnblockAt)?.overridden);

                let route = |route| routes::describe(r, route);
                let described =
                    |route, default_channel, channel_override, enabled| routes::Description {
                        route,
                        default_channel,
                        channel_override,
                        enabled,
                    };
                assert_eq!(
                    route(Route::Log)?,
                    described(Route::Log, None, Some(8001), true)
                );
                assert_eq!(
                    route(Route::Archive)?,
                    described(Route::Archive, Some(8100), None, true)
                );
                assert_eq!(
                    route(Route::Welcome)?,
                    described(Route::Welcome, None, None, false)
                );
                assert_eq!(routes::resolve(r, Route::Archive)?, Some(8100));
                Ok(())
            })
            .unwrap();

        let permissions = Permissions::load(&store).unwrap();
        let roles: Vec<(u64, Vec<Flag>)> = permissions
            .list_roles()
            .into_iter()
            .map(|(role, flags)| (role, flags.flags()))
            .collect();
        assert_eq!(
            roles,
            [
                (7001, vec![Flag::Admin]),
                (7002, vec![Flag::Reviewer, Flag::GdMod])
            ]
        );

        let texts = Catalogue::open(&store).unwrap();
        let success = texts.describe("common.success").unwrap();
        assert_eq!(
            success.current,
            [Some("All done.".to_string()), Some("Сделано.".to_string())]
        );
        assert_eq!(texts.render(Lang::En, "common.success", &[]), "All done.");
        assert_eq!(texts.render(Lang::Ru, "common.success", &[]), "Сделано.");
    }
}

/// The last schema-3 build (`f230719`), schema 3: the audit log before its custom fields were
/// indexed. The values below are the generator's (`tests/fixtures/README.md`).
mod schema_3 {
    use super::*;
    use stagehand::audit::{Filter, Start};

    /// 2026-01-01T00:00:00Z, the generator's first write.
    const T: i64 = 1_767_225_600;
    const HOUR: i64 = 3_600;

    fn open() -> (tempfile::TempDir, Store) {
        open_fixture("store-schema3.redb", 3)
    }

    fn kinds(store: &Store, filter: &Filter) -> Vec<(u64, EventKind)> {
        let page = store
            .read(|r| audit::page(r, filter, Start::Oldest, 100))
            .unwrap();
        page.events
            .into_iter()
            .map(|(id, event)| (id.0, event.kind))
            .collect()
    }

    #[test]
    fn every_event_is_found_by_its_fields() {
        let (_dir, store) = open();
        // In time order: request 1 was reviewed before requests 2 and 3 came.
        assert_eq!(
            kinds(&store, &Filter::default()),
            [
                (1, EventKind::RequestRequested),
                (4, EventKind::RequestOpinionAdded),
                (5, EventKind::RequestResolutionAdded),
                (2, EventKind::RequestRequested),
                (6, EventKind::LevelCooldownUpdated),
                (7, EventKind::RequestResolutionAdded),
                (3, EventKind::RequestRequested),
                (8, EventKind::ParameterEdited),
                (9, EventKind::ParameterEdited),
                (10, EventKind::ParameterEdited),
                (11, EventKind::UserCooldownUpdated),
                (12, EventKind::RouteTargetUpdated),
                (13, EventKind::PlayerLinked),
            ]
        );
        let field = |name: &str, value: Value| Filter {
            fields: vec![(name.to_string(), value)],
            ..Filter::default()
        };
        let ids = |filter: &Filter| -> Vec<u64> {
            kinds(&store, filter)
                .into_iter()
                .map(|(id, _)| id)
                .collect()
        };
        // Each kind of value, exactly as it was recorded.
        assert_eq!(ids(&field("request_id", Value::Int(1))), [1, 4, 5]);
        assert_eq!(
            ids(&field("request_id", Value::Text("1".into()))),
            Vec::<u64>::new()
        );
        assert_eq!(ids(&field("level_id", Value::Int(4_284_013))), [2, 7]);
        assert_eq!(
            ids(&field("level_name", Value::Text("Ночной город".into()))),
            [1, 4, 5]
        );
        assert_eq!(ids(&field("is_first", Value::Bool(true))), [4, 5, 7]);
        assert_eq!(ids(&field("opinion", Value::Text("rejected".into()))), [7]);
        assert_eq!(
            ids(&field("parameter_id", Value::Text("queue.blocked".into()))),
            [9, 10]
        );
        assert_eq!(ids(&field("target_user_id", Value::User(1003))), [11]);
        assert_eq!(ids(&field("new_channel_id", Value::Channel(8001))), [12]);
        assert_eq!(ids(&field("role", Value::Role(7001))), [12]);
        assert_eq!(ids(&field("user", Value::User(1001))), [12]);
        assert_eq!(ids(&field("number", Value::Int(-42))), [12]);
        assert_eq!(ids(&field("flag", Value::Bool(true))), [12]);
        assert_eq!(ids(&field("nothing", Value::Absent)), [12]);
        assert_eq!(
            ids(&field(
                "text",
                Value::Text("quote \" and `tick`\nsecond line".into())
            )),
            [12]
        );
        assert_eq!(
            ids(&field("osu_username", Value::Text("Brook".into()))),
            [13]
        );
        // With the kind and actor indexes.
        let mixed = Filter {
            actor: Some(Actor::User(601)),
            kind: Some(EventKind::RequestResolutionAdded),
            fields: vec![("is_first".into(), Value::Bool(true))],
        };
        assert_eq!(ids(&mixed), [5, 7]);
        let bot_unblock = Filter {
            actor: Some(Actor::Bot),
            fields: vec![("value".into(), Value::Text("false".into()))],
            ..Filter::default()
        };
        assert_eq!(ids(&bot_unblock), [10]);
        // A jump in time.
        let jumped = store
            .read(|r| audit::page(r, &Filter::default(), Start::At(T + 50 * HOUR), 4))
            .unwrap();
        let jumped: Vec<u64> = jumped.events.iter().map(|(id, _)| id.0).collect();
        assert_eq!(jumped, [8, 9, 10, 11]);
        // New events are indexed as they are recorded, and continue the sequence.
        let next = Event::new(EventKind::RequestDeleted, Actor::User(900), T + 100 * HOUR)
            .with("request_id", Value::Int(1));
        let id = store.write(|w| audit::record(w, &next)).unwrap();
        assert_eq!(id, EventId(14));
        assert_eq!(ids(&field("request_id", Value::Int(1))), [1, 4, 5, 14]);
    }

    #[test]
    fn requests_and_their_decisions() {
        let (_dir, store) = open();
        store
            .read(|r| {
                assert_eq!(model::pending_count(r)?, 1);
                let one = model::dossier(r, 1)?.unwrap();
                assert_eq!(one.state(), State::Resolved);
                assert_eq!(one.request.level.name, "Ночной город");
                assert_eq!(one.request.requested_at, T);
                assert_eq!(one.opinions.len(), 1);
                assert_eq!(one.resolutions[0].1.grade, Some(Grade::Epic));
                let two = model::dossier(r, 2)?.unwrap();
                assert_eq!(two.resolutions[0].1.verdict(), Verdict::Reject);
                assert_eq!(two.resolutions[0].1.at, T + 25 * HOUR);
                assert_eq!(model::dossier(r, 3)?.unwrap().state(), State::Ignored);
                assert_eq!(
                    params::get(r, Param::QueueBlocked)?,
                    params::Value::Bool(false)
                );
                Ok(())
            })
            .unwrap();
    }
}
