//! The GD client (`stagehand::gd`) against the fake GD server: levels read as the server
//! describes them, not found versus not answering, the cache, and what goes over the wire.

use stagehand::gd::{Client, Length, LookupError, Tier};

use crate::support::gd::{Failure, FakeGd, SECRET, fixtures::*};

fn client(fake: &FakeGd) -> Client {
    let base = url::Url::parse(&format!("{}/database", fake.base_url())).unwrap();
    Client::new(&base)
}

#[tokio::test]
async fn levels_are_read_as_the_server_describes_them() {
    let fake = FakeGd::with_fixtures().await;
    let gd = client(&fake);

    let level = gd.level(UNRATED_FACE).await.unwrap().unwrap();
    assert_eq!(level.id, UNRATED_FACE);
    assert_eq!(level.name, "Ночной город");
    assert_eq!(
        level.creator, "old guard",
        "joined by player id, not position"
    );
    assert_eq!((level.stars, level.requested_stars), (0, 7));
    assert!(!level.rated && !level.demon && level.classic());
    assert_eq!((level.tier, level.length), (Tier::None, Length::Short));

    for (id, stars, tier) in [
        (RATED, 3, Tier::None),
        (FEATURED, 5, Tier::Featured),
        (EPIC, 8, Tier::Epic),
        (LEGENDARY, 9, Tier::Legendary),
        (MYTHIC, 9, Tier::Mythic),
    ] {
        let level = gd.level(id).await.unwrap().unwrap();
        assert_eq!((level.stars, level.rated, level.tier), (stars, true, tier));
    }
    assert_eq!(gd.level(MYTHIC).await.unwrap().unwrap().length, Length::Xl);
    for id in DEMONS {
        assert!(gd.level(id).await.unwrap().unwrap().demon);
    }
    let auto = gd.level(AUTO).await.unwrap().unwrap();
    assert!(!auto.demon && auto.rated);
    let platformer = gd.level(PLATFORMER_UNRATED).await.unwrap().unwrap();
    assert!(platformer.platformer && !platformer.classic());
    assert_eq!(platformer.length, Length::Platformer);
    let moons = gd.level(PLATFORMER_RATED).await.unwrap().unwrap();
    assert_eq!((moons.stars, moons.tier), (4, Tier::Featured));
    assert_eq!(gd.level(NO_CREATOR).await.unwrap().unwrap().creator, "");
    assert_eq!(
        gd.level(GREEN_CREATOR).await.unwrap().unwrap().creator,
        "GreenUser"
    );
    assert_eq!(
        gd.level(ODD_NAMES[2]).await.unwrap().unwrap().name,
        "two  spaces  "
    );
    // Invalid descriptions and a demon tier on a non-demon do not fail a level.
    assert!(gd.level(INVALID_DESCRIPTION).await.unwrap().is_some());
    assert!(!gd.level(UNRATED_NA).await.unwrap().unwrap().demon);
    assert_eq!(gd.level(OLD).await.unwrap().unwrap().name, "Old Times");
}

#[tokio::test]
async fn a_missing_level_is_not_found() {
    let fake = FakeGd::with_fixtures().await;
    let gd = client(&fake);
    assert_eq!(gd.level(MISSING).await, Ok(None));
    fake.remove_level(RATED);
    assert_eq!(gd.level(RATED).await, Ok(None));
    assert_eq!(gd.download(EPIC + 1_000).await, Ok(None));
}

#[tokio::test]
async fn failures_are_not_answering_and_are_not_cached() {
    let fake = FakeGd::with_fixtures().await;
    let gd = client(&fake);
    let truncated = "1:91000103:2:Paper Kites:5:1:6:3:8:10:9:20".to_string();
    for failure in [
        Failure::Status(502),
        Failure::Status(429),
        Failure::Status(404),
        Failure::Body(String::new()),
        Failure::Body("error code: 1015".into()),
        Failure::Body("<!DOCTYPE html><html><body>Bad gateway</body></html>".into()),
        Failure::Body("-2".into()),
        Failure::Body(truncated),
    ] {
        fake.fail_next(failure.clone());
        assert_eq!(
            gd.level(RATED).await,
            Err(LookupError::NotAnswering),
            "{failure:?}"
        );
    }
    // Nothing was cached: the next lookup asks again and finds the level.
    let before = fake.calls("getGJLevels21");
    assert_eq!(gd.level(RATED).await.unwrap().unwrap().name, "Paper Kites");
    assert_eq!(fake.calls("getGJLevels21"), before + 1);
    fake.fail_next(Failure::Status(503));
    assert_eq!(gd.download(EPIC).await, Err(LookupError::NotAnswering));
    // A download of another level than the one asked for is garbage, not that level.
    let other = fake.download_body(RATED);
    fake.fail_next(Failure::Body(other));
    assert_eq!(gd.download(EPIC).await, Err(LookupError::NotAnswering));
    assert_eq!(
        gd.download(EPIC).await.unwrap().unwrap().id,
        EPIC,
        "not cached"
    );
}

#[tokio::test]
async fn answers_are_cached() {
    let fake = FakeGd::with_fixtures().await;
    let gd = client(&fake);
    for _ in 0..3 {
        assert!(gd.level(EPIC).await.unwrap().is_some());
        assert_eq!(gd.level(MISSING).await, Ok(None));
    }
    assert_eq!(fake.calls("getGJLevels21"), 2);
    // A level found by search is not downloaded again within the cache's lifetime.
    assert!(gd.download(EPIC).await.unwrap().is_some());
    assert_eq!(fake.calls("downloadGJLevel22"), 0);
    // A change on the server is not seen while cached.
    fake.update_level(EPIC, |l| l.name = "Renamed".into());
    assert_eq!(gd.level(EPIC).await.unwrap().unwrap().name, "Crystal Spire");
}

#[tokio::test]
async fn requests_carry_the_secret_and_an_empty_user_agent() {
    let fake = FakeGd::with_fixtures().await;
    let gd = client(&fake);
    gd.level(UNRATED_FACE).await.unwrap();
    let level = gd.download(LEGENDARY).await.unwrap().unwrap();
    assert_eq!(level.name, "Old Clock");
    assert_eq!(
        level.creator, "",
        "a download names no creator (a search does)"
    );
    assert_eq!(level.length, Length::Xl);

    let requests = fake.requests();
    assert_eq!(requests.len(), 2);
    for request in &requests {
        assert_eq!(request.method, "POST");
        assert_eq!(request.user_agent.as_deref(), Some(""), "{request:?}");
        assert_eq!(request.field("secret"), Some(SECRET));
    }
    assert_eq!(requests[0].path, "/database/getGJLevels21.php");
    assert_eq!(requests[0].field("type"), Some("10"));
    assert_eq!(
        requests[0].field("str"),
        Some(UNRATED_FACE.to_string().as_str())
    );
    assert_eq!(requests[1].path, "/database/downloadGJLevel22.php");
    assert_eq!(
        requests[1].field("levelID"),
        Some(LEGENDARY.to_string().as_str())
    );
}
