//! The stream's announcements, as the Control Panel makes them (gd-requestbot §11.2, §9.6): the
//! start's text posted verbatim to `stream_start_announcement`, and the end's text posted to
//! `stream_end_goodbye` with the stream's results as a donut ([`chart`]) when anything was
//! reviewed on it (not-reviewed requests alone make no chart).
//!
//! The panel writes these texts itself (its own templates), so they are posted as given, and
//! their mentions notify (the original's announcement pings a role); `@everyone` never does. A
//! route that posts nowhere refuses the step with nothing recorded: the panel hears why instead
//! of the streamer believing the announcement went out. Each step is one transaction with its
//! post and its audit event.

use crate::audit::{self, Actor, Event, EventKind};
use crate::i18n::{Catalogue, Lang};
use crate::outbox::{Message, Pings};
use crate::render::{self, Donut, Png, RenderError, Rgb, Slice, SliceLabel};
use crate::routes::{self, Route};
use crate::store::{StoreError, Writer};

/// The longest text the panel may send (a message's content, gd-requestbot §11.2).
pub const MAX_TEXT: usize = 2000;

/// The file name of the chart on the goodbye post.
pub const CHART_FILE: &str = "stream.png";

/// The stream's results as the panel counted them.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Counts {
    pub approved: u64,
    pub rejected: u64,
    /// Marked "later" (pre-approved) on stream.
    pub later: u64,
    /// Left in the panel's spreadsheet.
    pub not_reviewed: u64,
}

/// Why a stream post was refused; nothing changed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StreamError {
    /// The route is off or has no channel.
    #[error("the {} route posts nowhere (off, or without a channel)", .0.name())]
    RouteOff(Route),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// The results donut (§9.6): approved green, rejected red, later yellow, not reviewed grey,
/// each slice labelled with its count, dated `D.M.YYYY` (UTC); `None` when nothing was reviewed
/// on stream (approved + rejected + later is 0).
pub fn chart(
    texts: &Catalogue,
    counts: &Counts,
    today: jiff::civil::Date,
) -> Option<Result<Png, RenderError>> {
    if counts.approved + counts.rejected + counts.later == 0 {
        return None;
    }
    let text = |key: &str| texts.render(Lang::En, key, &[]);
    let slice = |key: &str, value: u64, color: Rgb| Slice {
        label: text(key),
        value: value as f64,
        color: Some(color),
    };
    let donut = Donut {
        title: text("stream.chart.title"),
        subtitle: format!("{}.{}.{}", today.day(), today.month(), today.year()),
        slices: vec![
            slice("stream.chart.approved", counts.approved, Rgb::GREEN),
            slice("stream.chart.rejected", counts.rejected, Rgb::RED),
            slice("stream.chart.later", counts.later, Rgb::YELLOW),
            slice("stream.chart.not_reviewed", counts.not_reviewed, Rgb::GREY),
        ],
        labels: SliceLabel::Value,
    };
    Some(render::donut(&donut))
}

/// Staff member `staff` announces the stream: `text` posted to `stream_start_announcement`.
pub fn start(w: &mut Writer, staff: u64, text: &str, now: i64) -> Result<(), StreamError> {
    post(w, Route::StreamStartAnnouncement, announcement(text))?;
    let event = Event::new(EventKind::StreamStarted, Actor::User(staff), now);
    audit::record(w, &event)?;
    Ok(())
}

/// Staff member `staff` ends the stream: `text` posted to `stream_end_goodbye`, with `chart`
/// (see [`chart`]) attached when there is one.
pub fn end(
    w: &mut Writer,
    staff: u64,
    text: &str,
    counts: &Counts,
    chart: Option<Png>,
    now: i64,
) -> Result<(), StreamError> {
    let charted = chart.is_some();
    let mut message = announcement(text);
    if let Some(png) = chart {
        message = message.with_file(CHART_FILE, png.bytes);
    }
    post(w, Route::StreamEndGoodbye, message)?;
    let count = |n: u64| i64::try_from(n).unwrap_or(i64::MAX);
    let event = Event::new(EventKind::StreamEnded, Actor::User(staff), now)
        .with("approved", count(counts.approved))
        .with("rejected", count(counts.rejected))
        .with("later", count(counts.later))
        .with("not_reviewed", count(counts.not_reviewed))
        .with("chart", charted);
    audit::record(w, &event)?;
    Ok(())
}

/// The panel's text as it wrote it; its user and role mentions notify.
fn announcement(text: &str) -> Message {
    Message {
        pings: Pings::UsersAndRoles,
        ..Message::text(text)
    }
}

fn post(w: &mut Writer, route: Route, message: Message) -> Result<(), StreamError> {
    match routes::post(w, route, message, None)? {
        Some(effect) => Ok(crate::outbox::push(w, effect)?),
        None => Err(StreamError::RouteOff(route)),
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use crate::outbox::{Destination, Effect, queue, route};
    use crate::store::Store;

    const MAX: u64 = 43;
    const CHANNEL: u64 = 77;

    fn posts(store: &Store) -> Vec<Effect> {
        store
            .read(queue::queued)
            .unwrap()
            .into_iter()
            .map(|(_, q)| q.effect)
            .filter(|e| !e.is_log_post())
            .collect()
    }

    #[test]
    fn the_start_is_posted_verbatim_with_its_mentions_or_refused_without_a_channel() {
        let (_dir, store) = Store::temporary();
        let text = "<@&1145682760074276984> REQUEST STREAM! https://youtu.be/x";
        let refused = store.write(|w| start(w, MAX, text, 5));
        assert!(matches!(
            refused,
            Err(StreamError::RouteOff(Route::StreamStartAnnouncement))
        ));
        assert!(audit::summaries(&store).is_empty(), "nothing recorded");
        store
            .write(|w| route::set_default(w, Route::StreamStartAnnouncement, CHANNEL))
            .unwrap();
        store.write(|w| start(w, MAX, text, 5)).unwrap();
        let effects = posts(&store);
        let [Effect::Send { to, message, .. }] = effects.as_slice() else {
            panic!("{effects:?}");
        };
        assert_eq!(
            *to,
            Destination::Route {
                route: Route::StreamStartAnnouncement,
                channel: CHANNEL
            }
        );
        assert_eq!(message.content, text);
        assert_eq!(message.pings, Pings::UsersAndRoles);
        assert_eq!(audit::summaries(&store), ["STREAM_STARTED by <@43>"]);
    }

    #[test]
    fn the_end_carries_the_chart_only_when_something_was_reviewed() {
        let texts = Catalogue::defaults();
        let today = jiff::civil::date(2026, 3, 7);
        let nothing = Counts {
            not_reviewed: 4,
            ..Counts::default()
        };
        assert!(chart(&texts, &nothing, today).is_none());
        let counts = Counts {
            approved: 3,
            rejected: 2,
            later: 1,
            not_reviewed: 4,
        };
        let png = chart(&texts, &counts, today).unwrap().unwrap();
        assert!(png.bytes.starts_with(b"\x89PNG"));

        let (_dir, store) = Store::temporary();
        store
            .write(|w| route::set_default(w, Route::StreamEndGoodbye, CHANNEL))
            .unwrap();
        store
            .write(|w| end(w, MAX, "Thanks!", &counts, Some(png.clone()), 9))
            .unwrap();
        store
            .write(|w| end(w, MAX, "Bye", &nothing, None, 10))
            .unwrap();
        let effects = posts(&store);
        let files: Vec<Vec<String>> = effects
            .iter()
            .map(|e| match e {
                Effect::Send { message, .. } => {
                    message.files.iter().map(|f| f.name.clone()).collect()
                }
                other => panic!("{other:?}"),
            })
            .collect();
        assert_eq!(files, [vec![CHART_FILE.to_string()], Vec::new()]);
        assert_eq!(
            audit::summaries(&store),
            [
                "STREAM_ENDED by <@43>: approved=3 rejected=2 later=1 not_reviewed=4 chart=true",
                "STREAM_ENDED by <@43>: approved=0 rejected=0 later=0 not_reviewed=4 chart=false",
            ]
        );
    }
}
