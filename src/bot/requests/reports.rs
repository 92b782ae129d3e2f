//! `/report new_requests | pending_requests | review_activity | reviewer_opinions`
//! (gd-requestbot §1.10, §9): the data from `requests::report`, drawn by `render` (in a blocking
//! task: drawing is CPU work) and attached to the private reply, which the router defers while
//! it is drawn.
//!
//! Dates are typed in the timestamp grammar (`/help timestamp`) and reduced to their UTC day;
//! `date_to` defaults to today (UTC; the original took the server's local date), dates in the
//! wrong order are swapped, a bad one is a clear reply and draws nothing (the original crashed
//! after saying so). Reviewers are named as the guild knows them now; one who left is still
//! counted, as a former member.

use jiff::civil::Date;

use crate::bot::lookup;
use crate::bot::{Ctx, HandlerError, Invocation, Outcome, Value, outdated};
use crate::i18n::Lang;
use crate::outbox::{Embed, Message};
use crate::render::{self, Donut, LineChart, Rgb, Series, Slice, SliceLabel, Span, Threshold};
use crate::requests::report::{self, Bins, Granularity, Period, ReportError};

/// The reply's picture.
const FILE: &str = "report.png";
const COLOUR: u32 = 0x4E9FFF;

/// Runs `/report <sub>` (the gate has passed: `report_viewer`).
pub async fn command(ctx: &Ctx, inv: &Invocation, sub: &str) -> Result<Outcome, HandlerError> {
    let lang = ctx.language(inv)?.lang;
    let now = ctx.clock.now();
    let Some(today) = report::date_of(now) else {
        return outdated(ctx, inv);
    };
    let date = |option: &str| -> Result<Option<Date>, crate::i18n::Message> {
        let Some(typed) = inv.str_option(option) else {
            return Ok(None);
        };
        let at = crate::time::parse_timestamp(typed, now).map_err(|err| {
            let mut message = err.message();
            for param in &mut message.params {
                param.1 = param.1.replace('`', "'");
            }
            message
        })?;
        Ok(report::date_of(at))
    };
    let (from, to) = match (date("date_from"), date("date_to")) {
        (Ok(from), Ok(to)) => (from, to.unwrap_or(today)),
        (Err(message), _) | (_, Err(message)) => return crate::bot::reply(ctx, inv, &message),
    };
    let granularity = match inv.str_option("granularity") {
        Some("week") => Granularity::Week,
        _ => Granularity::Day,
    };
    let period = Period::new(from, to, granularity);
    let drawn = match sub {
        "new_requests" => new_requests(ctx, lang, period, now),
        "pending_requests" => pending_requests(ctx, lang, period),
        "review_activity" => review_activity(ctx, lang, period).await,
        "reviewer_opinions" => {
            let reviewer = match inv.option("reviewer") {
                Some(Value::Member { id, .. } | Value::User(id)) => *id,
                _ => return outdated(ctx, inv),
            };
            // A donut has no bins: its period is the days given, in order.
            let period = Period::new(from, to, Granularity::Day);
            reviewer_opinions(ctx, lang, reviewer, period).await
        }
        _ => return outdated(ctx, inv),
    };
    let picture = match drawn {
        Ok(picture) => picture,
        Err(ReportError::NoData) => return ctx.private(inv, "error.report_no_data", &[]),
        Err(ReportError::TooLong(_)) => {
            let max = report::MAX_BINS.to_string();
            return ctx.private(inv, "report.range_too_long", &[("max", &max)]);
        }
        Err(ReportError::Store(err)) => return Err(err.into()),
    };
    let (title, png) = match picture {
        Picture::Line(chart) => {
            let title = chart.title.clone();
            let png = tokio::task::spawn_blocking(move || render::line_chart(&chart)).await??;
            (title, png)
        }
        Picture::Donut(donut) => {
            let title = donut.title.clone();
            let png = tokio::task::spawn_blocking(move || render::donut(&donut)).await??;
            (title, png)
        }
    };
    let message = Message::embed(Embed {
        title,
        color: COLOUR,
        image: Some(FILE.into()),
        ..Embed::default()
    })
    .with_file(FILE, png.bytes)
    .ephemeral();
    Ok(Outcome::reply(message))
}

/// A chart to draw.
enum Picture {
    Line(LineChart),
    Donut(Donut),
}

fn render_granularity(granularity: Granularity) -> render::Granularity {
    match granularity {
        Granularity::Day => render::Granularity::Day,
        Granularity::Week => render::Granularity::Week,
    }
}

/// "From … to …" (or "Up until …" without a first day), "(per week)" for weeks (§9.1).
fn subtitle(ctx: &Ctx, lang: Lang, period: Period, bins: &Bins) -> String {
    let (from, to) = (bins.start.to_string(), bins.last_day().to_string());
    let week = period.granularity == Granularity::Week;
    match (period.from.is_some(), week) {
        (true, false) => ctx.texts.render(
            lang,
            "report.subtitle.range",
            &[("from", &from), ("to", &to)],
        ),
        (true, true) => ctx.texts.render(
            lang,
            "report.subtitle.range_week",
            &[("from", &from), ("to", &to)],
        ),
        (false, false) => ctx
            .texts
            .render(lang, "report.subtitle.until", &[("to", &to)]),
        (false, true) => ctx
            .texts
            .render(lang, "report.subtitle.until_week", &[("to", &to)]),
    }
}

/// A line chart over `bins` without its lines yet.
fn chart(ctx: &Ctx, lang: Lang, period: Period, bins: &Bins, title: &str, y: &str) -> LineChart {
    let text = |key: &str| ctx.texts.render(lang, key, &[]);
    let x = match period.granularity {
        Granularity::Day => "report.x.day",
        Granularity::Week => "report.x.week",
    };
    LineChart {
        title: text(title),
        subtitle: subtitle(ctx, lang, period, bins),
        x_label: text(x),
        y_label: text(y),
        start: bins.start,
        granularity: render_granularity(bins.granularity),
        series: Vec::new(),
        spans: Vec::new(),
        thresholds: Vec::new(),
    }
}

fn values(counts: &[u64]) -> Vec<f64> {
    counts.iter().map(|n| *n as f64).collect()
}

fn new_requests(ctx: &Ctx, lang: Lang, period: Period, now: i64) -> Result<Picture, ReportError> {
    let data = ctx
        .store
        .read(|r| Ok(report::new_requests(r, period, now)))??;
    let y = "report.new_requests.y";
    let mut chart = chart(
        ctx,
        lang,
        period,
        &data.bins,
        "report.new_requests.title",
        y,
    );
    chart.series.push(Series {
        name: ctx.texts.render(lang, y, &[]),
        values: values(&data.counts),
        color: None,
    });
    chart.spans = data
        .closed
        .iter()
        .map(|(first, last)| Span {
            first: *first,
            last: *last,
            color: Rgb::RED,
        })
        .collect();
    Ok(Picture::Line(chart))
}

fn pending_requests(ctx: &Ctx, lang: Lang, period: Period) -> Result<Picture, ReportError> {
    let data = ctx
        .store
        .read(|r| Ok(report::pending_requests(r, period)))??;
    let title = match period.granularity {
        Granularity::Day => "report.pending.title_day",
        Granularity::Week => "report.pending.title_week",
    };
    let y = "report.pending.y";
    let mut chart = chart(ctx, lang, period, &data.bins, title, y);
    chart.series.push(Series {
        name: ctx.texts.render(lang, y, &[]),
        values: values(&data.counts),
        color: None,
    });
    let threshold = |value: Option<u64>, key: &str, color| {
        value.map(|value| Threshold {
            value: value as f64,
            label: ctx.texts.render(lang, key, &[]),
            color,
        })
    };
    chart.thresholds = [
        threshold(data.block, "report.threshold.block", Rgb::RED),
        threshold(data.unblock, "report.threshold.unblock", Rgb::GREEN),
    ]
    .into_iter()
    .flatten()
    .collect();
    Ok(Picture::Line(chart))
}

/// Each of `users`' name in the guild, or "former member <id>".
async fn names(ctx: &Ctx, lang: Lang, users: &[u64]) -> Vec<String> {
    lookup::member_names(&ctx.discord, users)
        .await
        .into_iter()
        .zip(users)
        .map(|(name, id)| {
            name.unwrap_or_else(|| {
                ctx.texts
                    .render(lang, "report.former_member", &[("id", &id.to_string())])
            })
        })
        .collect()
}

async fn review_activity(ctx: &Ctx, lang: Lang, period: Period) -> Result<Picture, ReportError> {
    let data = ctx
        .store
        .read(|r| Ok(report::review_activity(r, period)))??;
    let users: Vec<u64> = data.reviewers.iter().map(|(user, _)| *user).collect();
    let names = names(ctx, lang, &users).await;
    let mut chart = chart(
        ctx,
        lang,
        period,
        &data.bins,
        "report.activity.title",
        "report.activity.y",
    );
    chart.series = data
        .reviewers
        .iter()
        .zip(names)
        .map(|((_, counts), name)| Series {
            name,
            values: values(counts),
            color: None,
        })
        .collect();
    Ok(Picture::Line(chart))
}

async fn reviewer_opinions(
    ctx: &Ctx,
    lang: Lang,
    reviewer: u64,
    period: Period,
) -> Result<Picture, ReportError> {
    let data = ctx.store.read(|r| {
        Ok(report::reviewer_opinions(
            r,
            reviewer,
            period.from,
            period.to,
        ))
    })??;
    let name = names(ctx, lang, &[reviewer]).await.remove(0);
    let bins = Bins {
        start: period.from.unwrap_or(period.to),
        count: 1,
        granularity: Granularity::Day,
    };
    let subtitle = match period.from {
        Some(_) => ctx.texts.render(
            lang,
            "report.subtitle.range",
            &[
                ("from", &bins.start.to_string()),
                ("to", &period.to.to_string()),
            ],
        ),
        None => ctx.texts.render(
            lang,
            "report.subtitle.until",
            &[("to", &period.to.to_string())],
        ),
    };
    let slice = |key: &str, value: u64, color| Slice {
        label: ctx.texts.render(lang, key, &[]),
        value: value as f64,
        color: Some(color),
    };
    Ok(Picture::Donut(Donut {
        title: ctx
            .texts
            .render(lang, "report.opinions.title", &[("reviewer", &name)]),
        subtitle,
        slices: vec![
            slice("report.opinions.approved", data.approved, Rgb::GREEN),
            slice("report.opinions.rejected", data.rejected, Rgb::RED),
        ],
        labels: SliceLabel::ValueAndPercent,
    }))
}
