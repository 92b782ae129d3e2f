//! The report charts end to end (issue 22): the real `stagehand serve` on the fake Discord and
//! the fake GD server, with known data on the manual clock — six requests over five days, two
//! of them decided, reviews by Kira and Max, the queue closed by hand for two whole days. Each
//! `/report` answers with a PNG; the test decodes it and reads back what it shows (the record
//! the renderer writes into it, checked against the pixels where each point was drawn): the
//! requests per day and per week, the closed days shaded, the pending count at the end of each
//! day ending on the queue's own count, the reviews per reviewer, a reviewer's opinions. No
//! data, a bad date and a member without `report_viewer` get clear answers.

use serde_json::{Value, json};

use crate::requests::{DONE, Desk};
use crate::support::chart::Chart;
use crate::support::discord::{Message, Reply};
use crate::support::gd::Level;

const FORBIDDEN: &str = "You do not have permission to do this.";
const NO_DATA: &str = "There is no data for this report in that period.";
const HOUR: i64 = 3_600;
const DAY: i64 = 86_400;
const FIRST_LEVEL: u64 = 71_000_000;
const REVIEW: &str =
    "A well decorated level with a fair difficulty curve and a clean, readable layout.";

/// `user` runs `/report <sub>` in `locale`: the private reply.
async fn report(d: &Desk, user: &str, sub: &str, options: &[(&str, Value)]) -> Reply {
    report_in(d, user, sub, options, Desk::locale(user)).await
}

async fn report_in(
    d: &Desk,
    user: &str,
    sub: &str,
    options: &[(&str, Value)],
    locale: &str,
) -> Reply {
    let reply = d
        .fake
        .invoke(d.id(user), &format!("report {sub}"), options, locale)
        .await
        .response()
        .await;
    assert!(reply.ephemeral, "/report {sub}");
    reply
}

/// The chart a reply carries, its points checked against its pixels.
fn chart(reply: &Reply) -> Chart {
    assert_eq!(reply.embeds[0]["image"]["url"], "attachment://report.png");
    let (name, png) = &reply.attachments[0];
    assert_eq!(name, "report.png");
    let chart = Chart::decode(png);
    if chart.kind() == "line" {
        let series = chart.series().len();
        for index in 0..series {
            let colour = chart.series_color(index);
            for point in chart.points(index) {
                // A later series drawn over the same point hides it.
                let covered = (index + 1..series).any(|later| {
                    chart
                        .points(later)
                        .iter()
                        .any(|p| p.bin == point.bin && p.value == point.value)
                });
                if covered {
                    continue;
                }
                assert!(
                    chart.has_color_near(point.x, point.y, 1, colour),
                    "series {index}, {} drawn at ({}, {})",
                    point.date,
                    point.x,
                    point.y
                );
            }
        }
    }
    chart
}

/// A series' values by date, as whole numbers.
fn by_date(chart: &Chart, series: usize) -> Vec<(String, u64)> {
    chart
        .points(series)
        .into_iter()
        .map(|p| (p.date, p.value as u64))
        .collect()
}

fn days(from: u32, values: &[u64]) -> Vec<(String, u64)> {
    values
        .iter()
        .enumerate()
        .map(|(i, v)| (format!("2026-11-{:02}", from + i as u32), *v))
        .collect()
}

/// The owner inserts a request for the `n`th level: its id is `n + 1`.
async fn insert(d: &Desk, n: u64) {
    let options = [
        ("level_id", json!(FIRST_LEVEL + n)),
        ("language", json!("en")),
        ("creator_name", json!("maker")),
    ];
    assert_eq!(d.run("owner", "request insert", &options).await, DONE);
}

/// The Reviewer's Widget of request `id`, once posted.
async fn widget(d: &Desk, id: u64) -> Message {
    d.titled("pending-requests", id).await
}

/// The Resolution Widget of request `id`, once posted.
async fn resolution(d: &Desk, id: u64) -> Message {
    d.titled("request-resolutions", id).await
}

/// `user` clicks `button` on `message` and fills its form with `fields`.
async fn review(d: &Desk, user: &str, message: &Message, button: &str, fields: &[(&str, &str)]) {
    let form = d.click(user, message, button).await.unwrap();
    assert_eq!(d.submit(user, &form, fields).await, DONE);
}

#[tokio::test]
async fn each_report_draws_the_known_data() {
    let d = Desk::start(&[]).await;
    // Nothing requested yet: no data, whatever the period (the original crashed without a
    // first day).
    assert_eq!(
        report(&d, "owner", "new_requests", &[]).await.content,
        NO_DATA
    );
    assert_eq!(
        report(&d, "owner", "pending_requests", &[]).await.content,
        NO_DATA
    );
    assert_eq!(
        report(&d, "owner", "review_activity", &[]).await.content,
        NO_DATA
    );

    d.gd.add_levels((0..6).map(|i| Level {
        id: FIRST_LEVEL + i,
        name: format!("Charted {i}"),
        creator_player_id: 7,
        creator_name: "maker".into(),
        ..Level::default()
    }));
    // Sunday 2026-11-01: requests 1 and 2.
    insert(&d, 0).await;
    insert(&d, 1).await;
    // Monday noon: request 3; the owner closes the queue.
    d.advance(DAY + 12 * HOUR).await;
    insert(&d, 2).await;
    assert_eq!(d.run("owner", "queue close", &[]).await, DONE);
    // Tuesday: requests 4 and 5 (inserted past the closed queue); Kira reviews request 1, Max
    // sends it for a star rate with a review of his own.
    d.advance(DAY).await;
    insert(&d, 3).await;
    insert(&d, 4).await;
    let first = widget(&d, 1).await;
    review(
        &d,
        "kira",
        &first,
        "Approve and Review",
        &[("review", REVIEW)],
    )
    .await;
    let decided = resolution(&d, 1).await;
    review(&d, "max", &decided, "Star Rate", &[("review", REVIEW)]).await;
    // Thursday noon: the queue reopens; request 6; Max approves request 2, then rejects it as
    // a moderator, with a review.
    d.advance(2 * DAY).await;
    assert_eq!(d.run("owner", "queue open", &[]).await, DONE);
    insert(&d, 5).await;
    let second = widget(&d, 2).await;
    assert_eq!(
        d.click("max", &second, "Approve (no review)").await,
        Err(DONE.into())
    );
    let rejected = resolution(&d, 2).await;
    let fields = [("review", REVIEW), ("reason", "Copied from another level")];
    review(&d, "max", &rejected, "Reject", &fields).await;
    // Friday morning: the reports.
    d.advance(22 * HOUR).await;
    let week = [
        ("date_from", json!("2026-11-01")),
        ("date_to", json!("2026-11-06")),
    ];

    // New requests per day, the two days the queue was closed all day shaded.
    let reply = report(&d, "owner", "new_requests", &week).await;
    assert_eq!(reply.embeds[0]["title"], "Levels Requested");
    let drawn = chart(&reply);
    assert_eq!(drawn.series(), ["New Requests"]);
    assert_eq!(by_date(&drawn, 0), days(1, &[2, 1, 2, 0, 1, 0]));
    let spans = drawn.spans();
    assert_eq!(spans.len(), 1, "{spans:?}");
    assert_eq!(
        (spans[0].first.as_str(), spans[0].last.as_str()),
        ("2026-11-03", "2026-11-04")
    );
    let [_, top, _, bottom] = drawn.plot();
    let tinted = |x: f32| {
        (top as i32 + 2..bottom as i32 - 2)
            .map(|y| drawn.pixel(x, y as f32))
            .filter(|[r, g, b]| *r < 200 && *r > g.saturating_add(30) && g.abs_diff(*b) <= 6)
            .count()
    };
    assert!(tinted((spans[0].x_from + spans[0].x_to) / 2.0) > 100);
    assert!(tinted(spans[0].x_from - 3.0) < 8);
    // The same days given the wrong way round; without a last day, up to today.
    let reversed = [
        ("date_from", json!("2026-11-06")),
        ("date_to", json!("2026-11-01")),
    ];
    let swapped = chart(&report(&d, "owner", "new_requests", &reversed).await);
    assert_eq!(by_date(&swapped, 0), by_date(&drawn, 0));
    let from_only = [("date_from", json!("2026-11-01"))];
    let up_to_today = chart(&report(&d, "owner", "new_requests", &from_only).await);
    assert_eq!(by_date(&up_to_today, 0), by_date(&drawn, 0));
    // Per week: Monday to Sunday; the first day's week began on October 26th.
    let weekly = [
        ("date_from", json!("2026-11-01")),
        ("granularity", json!("week")),
    ];
    let weeks = chart(&report(&d, "owner", "new_requests", &weekly).await);
    assert_eq!(
        by_date(&weeks, 0),
        [("2026-10-26".to_string(), 2), ("2026-11-02".to_string(), 4)]
    );
    assert!(weeks.spans().is_empty());

    // Pending at the end of each day, from the requests and their decisions: it ends on the
    // queue's own count; the current block threshold is drawn.
    let pending = chart(&report(&d, "owner", "pending_requests", &week).await);
    assert_eq!(by_date(&pending, 0), days(1, &[2, 3, 4, 4, 4, 4]));
    assert_eq!(d.pending().await, 4);
    assert_eq!(
        pending.thresholds(),
        [(50.0, "Queue block threshold (current)".to_string())]
    );

    // Reviews per reviewer, named as the guild knows them, most reviews first.
    let activity = chart(&report(&d, "owner", "review_activity", &week).await);
    assert_eq!(activity.series(), ["max", "kira"]);
    assert_eq!(by_date(&activity, 0), days(1, &[0, 0, 1, 0, 1, 0]));
    assert_eq!(by_date(&activity, 1), days(1, &[0, 0, 1, 0, 0, 0]));

    // Max's opinions and resolutions: two requests approved, one rejected.
    let max = [("reviewer", json!(d.id("max").to_string()))];
    let reply = report(&d, "owner", "reviewer_opinions", &max).await;
    assert_eq!(reply.embeds[0]["title"], "Opinions left by max");
    let donut = chart(&reply);
    assert_eq!(donut.kind(), "donut");
    let slices: Vec<(String, f64)> = donut
        .slices()
        .into_iter()
        .map(|slice| (slice.label, slice.value))
        .collect();
    assert_eq!(
        slices,
        [("approved".to_string(), 2.0), ("rejected".to_string(), 1.0)]
    );
    for slice in donut.slices() {
        let (x, y) = slice.at;
        assert!(
            donut.has_color_near(x, y, 30, slice.color),
            "{}",
            slice.label
        );
    }
    let anna = [("reviewer", json!(d.id("anna").to_string()))];
    assert_eq!(
        report(&d, "owner", "reviewer_opinions", &anna)
            .await
            .content,
        NO_DATA
    );

    // In Russian.
    let russian = report_in(&d, "owner", "pending_requests", &week, "ru").await;
    assert_eq!(
        russian.embeds[0]["title"],
        "Заявки без решения на конец дня"
    );
    let drawn = chart(&russian);
    assert_eq!(
        drawn.thresholds(),
        [(50.0, "Порог закрытия очереди (сейчас)".to_string())]
    );

    // No data in a period, a bad date (a clear reply: the original crashed after it), no
    // permission.
    let empty = [
        ("date_from", json!("2020-01-01")),
        ("date_to", json!("2020-01-31")),
    ];
    assert_eq!(
        report(&d, "owner", "new_requests", &empty).await.content,
        NO_DATA
    );
    let bad = [("date_from", json!("first of May"))];
    let refused = report(&d, "owner", "new_requests", &bad).await;
    assert_eq!(
        refused.content,
        "`first of May` is not a date or time I understand. See `/help timestamp`."
    );
    assert!(refused.attachments.is_empty());
    let impossible = [("date_to", json!("2026-02-29"))];
    assert_eq!(
        report(&d, "owner", "review_activity", &impossible)
            .await
            .content,
        "`2026-02-29` has the right shape, but no such date or time exists."
    );
    let ancient = [("date_from", json!("1900-01-01"))];
    assert_eq!(
        report(&d, "owner", "new_requests", &ancient).await.content,
        "That period is too long for one chart: at most 9200 days or weeks. Nothing was drawn."
    );
    assert_eq!(
        report(&d, "anna", "new_requests", &week).await.content,
        FORBIDDEN
    );
}
