//! `stagehand import requestbot FILE.db`: the GD Request Bot's SQLite database
//! (gd-requestbot §12) read whole with the bundled SQLite, then written through the request
//! desk's and the shared services' own `import` calls.
//!
//! How its data is stored, and how each piece maps:
//!
//! - enum columns hold the Python member's NAME (`EN`, `APPROVED`, `USER`, `QUEUE_BLOCK_AT`);
//!   Stagehand's parameters, routes, flags and texts are matched by the name their value has
//!   ([`super::member_name`]: `queue.block_at` is `QUEUE_BLOCK_AT`);
//! - datetimes are naive UTC text (`2024-05-01 12:00:00.123456`), read as UTC;
//! - booleans are 0/1; ids are 64-bit signed integers, and one that is not a positive number
//!   (or is text that does not fit 64 bits) is reported, never cut;
//! - requests keep their numbers; a request never submitted (`requested_at` NULL, "limbo") is
//!   skipped; a pending one gets a fresh Reviewer's Widget at Stagehand's next start;
//! - opinions with `is_resolution` are resolutions, ordered by time, the first deciding; their
//!   review texts come from `requestreview`, their reasons from the log's
//!   `REQUEST_OPINION_ADDED` / `REQUEST_RESOLUTION_ADDED` events (the tables do not keep them);
//! - trainee reviews become practice reviews, `traineereviewopinion` their assessments;
//! - the log's events keep their time and actor; each custom field is read as its type in
//!   Stagehand's declaration of the kind, and the `…_COOLDOWN_UPDATED` events also make the
//!   cooldowns' history;
//! - text overrides are checked against today's templates: one whose placeholders no longer fit
//!   is reported and skipped.

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};

use rusqlite::types::Value as Sql;

use super::{ImportError, Progress, Report, Rows, id, member_name};
use crate::access::{self, Flag};
use crate::audit::{self, Actor, Event, EventKind, FieldType, Filter, Value};
use crate::gd::Difficulty;
use crate::i18n::{self, Lang};
use crate::outbox::route::{self as route_state, Route, RouteState};
use crate::params::{self, Param};
use crate::requests::cooldown::{self, Entity, HistoryEntry, Restriction, Term};
use crate::requests::model::{self, Author, Grade, LevelFacts, Verdict};
use crate::requests::trainee::{self, Assessment, PracticeReview};
use crate::requests::{Opinion, Request, Resolution, youtube};
use crate::store::{Reader, StoreError, Writer};

/// A row as SQLite returned it.
type Row = Vec<Sql>;

/// The tables every Request Bot database has (it creates them all at every start).
const REQUIRED: [&str; 5] = [
    "request",
    "requestopinion",
    "requestreview",
    "cooldown",
    "loggedevent",
];

/// Progress is told every this many rows.
const STEP: u64 = 500;

/// The Request Bot's database, read whole.
pub struct RequestBot {
    requests: Vec<Row>,
    opinions: Vec<Row>,
    reviews: Vec<Row>,
    assessments: Vec<Row>,
    cooldowns: Vec<Row>,
    bindings: Vec<Row>,
    parameters: Vec<Row>,
    routes: Vec<Row>,
    texts: Vec<Row>,
    preferences: Vec<Row>,
    events: Vec<Row>,
    filters: Vec<Row>,
}

/// Reads `path`, refusing a file that is not a Request Bot database.
pub fn read(path: &Path) -> Result<RequestBot, ImportError> {
    let not_ours = |detail: String| ImportError::NotRequestBot {
        path: path.to_path_buf(),
        detail,
    };
    if let Err(err) = std::fs::metadata(path) {
        return Err(ImportError::Unreadable {
            path: path.to_path_buf(),
            detail: err.to_string(),
        });
    }
    let flags =
        rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY | rusqlite::OpenFlags::SQLITE_OPEN_NO_MUTEX;
    let conn = rusqlite::Connection::open_with_flags(path, flags)
        .map_err(|e| not_ours(format!("SQLite cannot open it ({e})")))?;
    let tables =
        table_names(&conn).map_err(|e| not_ours(format!("not an SQLite database ({e})")))?;
    let missing: Vec<&str> = REQUIRED
        .into_iter()
        .filter(|t| !tables.iter().any(|have| have == t))
        .collect();
    if !missing.is_empty() {
        let have = if tables.is_empty() {
            "none".to_string()
        } else {
            tables.join(", ")
        };
        return Err(not_ours(format!(
            "it lacks the tables {} (its tables: {have})",
            missing.join(", ")
        )));
    }
    let reader = Source {
        conn: &conn,
        tables: &tables,
        path: path.to_path_buf(),
    };
    Ok(RequestBot {
        requests: reader.rows(
            "request",
            &[
                "id",
                "level_id",
                "language",
                "level_name",
                "yt_link",
                "additional_comment",
                "request_author",
                "is_author_user_id",
                "requested_at",
            ],
            "id",
        )?,
        opinions: reader.rows(
            "requestopinion",
            &[
                "id",
                "author_user_id",
                "created_at",
                "opinion",
                "is_resolution",
                "request_id",
                "associated_review_id",
            ],
            "created_at, id",
        )?,
        reviews: reader.rows(
            "requestreview",
            &[
                "id",
                "created_at",
                "author_user_id",
                "text",
                "opinion",
                "is_trainee",
                "request_id",
            ],
            "id",
        )?,
        assessments: reader.rows(
            "traineereviewopinion",
            &[
                "id",
                "opinion_author_user_id",
                "created_at",
                "accept",
                "feedback",
                "review_id",
            ],
            "created_at, id",
        )?,
        cooldowns: reader.rows(
            "cooldown",
            &[
                "entity",
                "entity_id",
                "casted_at",
                "ends_at",
                "reason",
                "caster_user_id",
            ],
            "entity, entity_id",
        )?,
        bindings: reader.rows("permissionflag", &["id", "role_id"], "id, role_id")?,
        parameters: reader.rows("parametervalue", &["id", "value"], "id")?,
        routes: reader.rows("route", &["id", "channel_id", "enabled"], "id")?,
        texts: reader.rows("textpiece", &["id", "language", "template"], "id, language")?,
        preferences: reader.rows("userpreference", &["id", "user_id", "value"], "user_id")?,
        events: reader.rows(
            "loggedevent",
            &["id", "timestamp", "event_type", "user_id", "custom_data"],
            "timestamp, id",
        )?,
        filters: reader.rows(
            "storedlogfilter",
            &["name", "user_id", "event_type", "custom_data_values"],
            "name",
        )?,
    })
}

fn table_names(conn: &rusqlite::Connection) -> rusqlite::Result<Vec<String>> {
    let mut statement =
        conn.prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")?;
    let names = statement.query_map([], |row| row.get::<_, String>(0))?;
    names.collect()
}

/// The open file and the tables it has.
struct Source<'a> {
    conn: &'a rusqlite::Connection,
    tables: &'a [String],
    path: PathBuf,
}

impl Source<'_> {
    /// Every row of `table` (none when an optional table is absent), `columns` in order.
    fn rows(&self, table: &str, columns: &[&str], order: &str) -> Result<Vec<Row>, ImportError> {
        if !self.tables.iter().any(|t| t == table) {
            return Ok(Vec::new());
        }
        let fail = |e: rusqlite::Error| ImportError::NotRequestBot {
            path: self.path.clone(),
            detail: format!("table {table}: {e}"),
        };
        let have = self.columns(table).map_err(fail)?;
        // The text column of `textpiece` has had more than one name.
        let list: Vec<String> = columns
            .iter()
            .map(|c| match *c {
                "template" if !have.iter().any(|h| h == "template") => ["text", "value"]
                    .into_iter()
                    .find(|alt| have.iter().any(|h| h == alt))
                    .unwrap_or("template")
                    .to_string(),
                c => c.to_string(),
            })
            .collect();
        if let Some(absent) = list.iter().find(|c| !have.contains(c)) {
            return Err(ImportError::NotRequestBot {
                path: self.path.clone(),
                detail: format!("table {table} has no column {absent}"),
            });
        }
        let sql = format!(
            "SELECT {} FROM \"{table}\" ORDER BY {order}",
            list.iter()
                .map(|c| format!("\"{c}\""))
                .collect::<Vec<_>>()
                .join(", ")
        );
        let mut statement = self.conn.prepare(&sql).map_err(fail)?;
        let width = list.len();
        let rows = statement
            .query_map([], |row| {
                (0..width)
                    .map(|i| row.get::<_, Sql>(i))
                    .collect::<rusqlite::Result<Row>>()
            })
            .map_err(fail)?;
        rows.collect::<rusqlite::Result<Vec<Row>>>().map_err(fail)
    }

    fn columns(&self, table: &str) -> rusqlite::Result<Vec<String>> {
        let mut statement = self
            .conn
            .prepare(&format!("SELECT name FROM pragma_table_info('{table}')"))?;
        let names = statement.query_map([], |row| row.get::<_, String>(0))?;
        names.collect()
    }
}

/// A value as the report shows it.
fn shown(value: &Sql) -> String {
    match value {
        Sql::Null => "NULL".into(),
        Sql::Integer(n) => n.to_string(),
        Sql::Real(x) => x.to_string(),
        Sql::Text(t) => format!("{t:?}"),
        Sql::Blob(b) => format!("<{} bytes>", b.len()),
    }
}

/// An integer column, also when SQLite kept it as text of digits.
fn int(value: &Sql) -> Option<i64> {
    match value {
        Sql::Integer(n) => Some(*n),
        Sql::Text(t) => t.trim().parse().ok(),
        _ => None,
    }
}

/// A 64-bit id column: the id, or why it is not one.
fn id_of(value: &Sql, what: &str) -> Result<u64, String> {
    match value {
        Sql::Null => Err(format!("no {what}")),
        Sql::Text(t) => t
            .trim()
            .parse::<u64>()
            .ok()
            .filter(|n| *n > 0)
            .ok_or_else(|| format!("{what} {t:?} is not an id that fits 64 bits")),
        other => int(other)
            .and_then(id)
            .ok_or_else(|| format!("{what} {} is not an id that fits 64 bits", shown(other))),
    }
}

fn text(value: &Sql) -> Option<String> {
    match value {
        Sql::Text(t) => Some(t.clone()),
        Sql::Integer(n) => Some(n.to_string()),
        _ => None,
    }
}

/// A 0/1 boolean column.
fn boolean(value: &Sql) -> Option<bool> {
    match int(value)? {
        0 => Some(false),
        1 => Some(true),
        _ => None,
    }
}

/// A naive UTC datetime column, as unix seconds.
fn time(value: &Sql, what: &str) -> Result<i64, String> {
    text(value)
        .as_deref()
        .and_then(crate::time::parse_utc)
        .ok_or_else(|| format!("{what} {} is not a date and time", shown(value)))
}

fn verdict(value: &Sql) -> Result<Verdict, String> {
    match text(value).as_deref() {
        Some("APPROVED") => Ok(Verdict::Approve),
        Some("REJECTED") => Ok(Verdict::Reject),
        _ => Err(format!(
            "opinion {} is neither APPROVED nor REJECTED",
            shown(value)
        )),
    }
}

fn lang(value: &Sql) -> Result<Lang, String> {
    match text(value).as_deref() {
        Some("EN") => Ok(Lang::En),
        Some("RU") => Ok(Lang::Ru),
        _ => Err(format!("language {} is neither EN nor RU", shown(value))),
    }
}

/// An optional text: NULL and blank are none.
fn optional(value: &Sql) -> Option<String> {
    text(value).filter(|t| !t.trim().is_empty())
}

/// The thing in `candidates` whose value's member name is `value` (or which is named `value`).
fn by_member<T: Copy>(
    value: &Sql,
    candidates: &[T],
    name: impl Fn(T) -> &'static str,
) -> Option<T> {
    let wanted = text(value)?;
    candidates
        .iter()
        .copied()
        .find(|c| member_name(name(*c)) == wanted || name(*c) == wanted)
}

/// The texts of the reviews that go with opinions, by the Request Bot's review id.
type ReviewTexts = HashMap<i64, String>;

/// The reasons the log gives for opinions and resolutions: `(resolution?, request, author)`.
type Reasons = HashMap<(bool, u64, u64), String>;

impl Rows for RequestBot {
    fn held(&self, r: &Reader) -> Result<Option<String>, StoreError> {
        let requests = model::count(r)?;
        let cooldowns = cooldown::count(r)?;
        let reviews = trainee::count(r)?;
        Ok((requests + cooldowns + reviews > 0).then(|| {
            format!(
                "{requests} requests, {cooldowns} cooldowns and bans, {reviews} trainee reviews"
            )
        }))
    }

    fn clear(&self, w: &mut Writer) -> Result<(), StoreError> {
        model::clear(w)?;
        trainee::clear(w)?;
        cooldown::clear(w)?;
        audit::clear(w)?;
        Ok(())
    }

    fn write(
        &self,
        w: &mut Writer,
        report: &mut Report,
        _now: i64,
        progress: Progress,
    ) -> Result<(), StoreError> {
        report.notes.push(
            "the Request Bot kept only a level's id and name: imported requests show no creator, stars, length or difficulty".into(),
        );
        report.notes.push(
            "the Request Bot did not keep what an approval was sent for: approving resolutions are imported as star rate".into(),
        );
        self.preferences(w, report)?;
        self.bindings(w, report)?;
        self.parameters(w, report)?;
        self.routes(w, report)?;
        self.texts(w, report)?;
        let requests = self.requests(w, report, progress)?;
        let reasons = self.reasons();
        let (texts, practice) = self.reviews(w, report, &requests)?;
        self.opinions(w, report, &requests, &texts, &reasons, progress)?;
        self.assessments(w, report, &practice)?;
        self.cooldowns(w, report)?;
        self.events(w, report, progress)?;
        self.filters(w, report)?;
        report.widgets = model::owed_widgets(w)?;
        Ok(())
    }
}

impl RequestBot {
    fn preferences(&self, w: &mut Writer, report: &mut Report) -> Result<(), StoreError> {
        const TABLE: &str = "userpreference";
        report.read(TABLE, self.preferences.len() as u64);
        for row in &self.preferences {
            let key = format!("{}/{}", shown(&row[0]), shown(&row[1]));
            if text(&row[0]).as_deref() != Some("LANGUAGE") {
                report.skip(TABLE, key, "Stagehand keeps only the language preference");
                continue;
            }
            let user = match id_of(&row[1], "user id") {
                Ok(user) => user,
                Err(why) => {
                    report.skip(TABLE, key, why);
                    continue;
                }
            };
            let Some(lang) = text(&row[2]).as_deref().and_then(Lang::parse) else {
                report.skip(
                    TABLE,
                    key,
                    format!("language {} is unknown", shown(&row[2])),
                );
                continue;
            };
            i18n::import_preference(w, user, lang)?;
            report.imported(TABLE);
        }
        Ok(())
    }

    fn bindings(&self, w: &mut Writer, report: &mut Report) -> Result<(), StoreError> {
        const TABLE: &str = "permissionflag";
        report.read(TABLE, self.bindings.len() as u64);
        for row in &self.bindings {
            let key = format!("{}/{}", shown(&row[0]), shown(&row[1]));
            let Some(flag) = by_member(&row[0], Flag::ALL, Flag::name) else {
                report.skip(TABLE, key, "Stagehand has no such permission");
                continue;
            };
            match id_of(&row[1], "role id") {
                Ok(role) => {
                    access::import(w, flag, role)?;
                    report.imported(TABLE);
                }
                Err(why) => report.skip(TABLE, key, why),
            }
        }
        Ok(())
    }

    fn parameters(&self, w: &mut Writer, report: &mut Report) -> Result<(), StoreError> {
        const TABLE: &str = "parametervalue";
        report.read(TABLE, self.parameters.len() as u64);
        for row in &self.parameters {
            let key = shown(&row[0]);
            let Some(param) = by_member(&row[0], Param::ALL, Param::name) else {
                report.skip(TABLE, key, "Stagehand has no such parameter");
                continue;
            };
            let value = text(&row[1]).unwrap_or_default();
            match params::import(w, param, &value)? {
                Ok(()) => report.imported(TABLE),
                Err(bad) => report.skip(
                    TABLE,
                    key,
                    format!(
                        "value {value:?} is not a {}: {:?}",
                        param.kind().name(),
                        bad
                    ),
                ),
            }
        }
        Ok(())
    }

    fn routes(&self, w: &mut Writer, report: &mut Report) -> Result<(), StoreError> {
        const TABLE: &str = "route";
        report.read(TABLE, self.routes.len() as u64);
        for row in &self.routes {
            let key = shown(&row[0]);
            let Some(route) = by_member(&row[0], Route::ALL, Route::name) else {
                report.skip(TABLE, key, "Stagehand has no such route");
                continue;
            };
            let channel = match &row[1] {
                Sql::Null => None,
                other => match id_of(other, "channel id") {
                    Ok(channel) => Some(channel),
                    Err(why) => {
                        report.skip(TABLE, key, why);
                        continue;
                    }
                },
            };
            let Some(enabled) = boolean(&row[2]) else {
                report.skip(
                    TABLE,
                    key,
                    format!("enabled {} is not 0 or 1", shown(&row[2])),
                );
                continue;
            };
            route_state::save(
                w,
                route,
                RouteState {
                    channel,
                    disabled: !enabled,
                },
            )?;
            report.imported(TABLE);
        }
        Ok(())
    }

    fn texts(&self, w: &mut Writer, report: &mut Report) -> Result<(), StoreError> {
        const TABLE: &str = "textpiece";
        report.read(TABLE, self.texts.len() as u64);
        let keys = i18n::Texts::defaults().keys(Lang::En);
        for row in &self.texts {
            let key = format!("{}/{}", shown(&row[0]), shown(&row[1]));
            let Some(name) = by_member(&row[0], &keys, |k| k) else {
                report.skip(TABLE, key, "Stagehand has no such text");
                continue;
            };
            let lang = match lang(&row[1]) {
                Ok(lang) => lang,
                Err(why) => {
                    report.skip(TABLE, key, why);
                    continue;
                }
            };
            let template = text(&row[2]).unwrap_or_default();
            match i18n::import_override(w, name, lang, &template)? {
                Ok(()) => report.imported(TABLE),
                Err(err) => report.skip(
                    TABLE,
                    key,
                    format!("no longer fits today's text {name}: {err}"),
                ),
            }
        }
        Ok(())
    }

    /// Stores the requests; returns the imported ones by id.
    fn requests(
        &self,
        w: &mut Writer,
        report: &mut Report,
        progress: Progress,
    ) -> Result<HashMap<u64, Request>, StoreError> {
        const TABLE: &str = "request";
        let total = self.requests.len() as u64;
        report.read(TABLE, total);
        let mut imported = HashMap::with_capacity(self.requests.len());
        for (done, row) in self.requests.iter().enumerate() {
            if (done as u64).is_multiple_of(STEP) {
                progress(TABLE, done as u64, total);
            }
            let key = shown(&row[0]);
            match request(row) {
                Ok((id, request)) => {
                    model::insert_as(w, id, &request)?;
                    imported.insert(id, request);
                    report.imported(TABLE);
                }
                Err(why) => report.skip(TABLE, key, why),
            }
        }
        progress(TABLE, total, total);
        Ok(imported)
    }

    /// What the log says each opinion's reason was.
    fn reasons(&self) -> Reasons {
        let mut reasons = Reasons::new();
        for row in &self.events {
            let resolution = match text(&row[2]).as_deref() {
                Some("REQUEST_OPINION_ADDED") => false,
                Some("REQUEST_RESOLUTION_ADDED") => true,
                _ => continue,
            };
            let (Ok(user), Some(data)) = (id_of(&row[3], "user"), custom_data(&row[4])) else {
                continue;
            };
            let request = data.get("request_id").and_then(json_text);
            let reason = data.get("reason").and_then(json_text);
            if let (Some(request), Some(reason)) = (request.and_then(|r| r.parse().ok()), reason)
                && reason != "NO_REASON"
                && !reason.trim().is_empty()
            {
                reasons.insert((resolution, request, user), reason);
            }
        }
        reasons
    }

    /// Stores the trainee reviews; returns the texts of the others by review id, and the
    /// practice review each trainee review became.
    fn reviews(
        &self,
        w: &mut Writer,
        report: &mut Report,
        requests: &HashMap<u64, Request>,
    ) -> Result<(ReviewTexts, HashMap<i64, u64>), StoreError> {
        const TABLE: &str = "requestreview";
        report.read(TABLE, self.reviews.len() as u64);
        let named: HashSet<i64> = self.opinions.iter().filter_map(|o| int(&o[6])).collect();
        let mut texts = HashMap::new();
        let mut practice = HashMap::new();
        for row in &self.reviews {
            let key = shown(&row[0]);
            let Some(review_id) = int(&row[0]) else {
                report.skip(TABLE, key, "no id");
                continue;
            };
            match boolean(&row[5]) {
                Some(false) if named.contains(&review_id) => {
                    texts.insert(review_id, text(&row[3]).unwrap_or_default());
                    report.imported(TABLE);
                }
                Some(false) => report.skip(TABLE, key, "no opinion names this review"),
                Some(true) => match practice_review(row, requests) {
                    Ok(review) => match trainee::import(w, &review)? {
                        Some(new) => {
                            practice.insert(review_id, new);
                            report.imported(TABLE);
                        }
                        None => report.skip(
                            TABLE,
                            key,
                            "a second trainee review of the same request by the same trainee",
                        ),
                    },
                    Err(why) => report.skip(TABLE, key, why),
                },
                None => report.skip(TABLE, key, "is_trainee is not 0 or 1"),
            }
        }
        Ok((texts, practice))
    }

    fn opinions(
        &self,
        w: &mut Writer,
        report: &mut Report,
        requests: &HashMap<u64, Request>,
        texts: &ReviewTexts,
        reasons: &Reasons,
        progress: Progress,
    ) -> Result<(), StoreError> {
        const TABLE: &str = "requestopinion";
        let total = self.opinions.len() as u64;
        report.read(TABLE, total);
        let mut seen = HashSet::new();
        // Resolutions in time order (the rows are read so), so the first decides.
        for (done, row) in self.opinions.iter().enumerate() {
            if (done as u64).is_multiple_of(STEP) {
                progress(TABLE, done as u64, total);
            }
            let key = shown(&row[0]);
            let parsed = (|| {
                let author = id_of(&row[1], "author id")?;
                let at = time(&row[2], "created_at")?;
                let verdict = verdict(&row[3])?;
                let resolution =
                    boolean(&row[4]).ok_or_else(|| "is_resolution is not 0 or 1".to_string())?;
                let request = id_of(&row[5], "request id")?;
                if !requests.contains_key(&request) {
                    return Err(format!("its request {request} is not imported"));
                }
                Ok((author, at, verdict, resolution, request))
            })();
            let (author, at, verdict, resolution, request) = match parsed {
                Ok(parsed) => parsed,
                Err(why) => {
                    report.skip(TABLE, key, why);
                    continue;
                }
            };
            if !seen.insert((resolution, request, author)) {
                let what = if resolution { "resolution" } else { "opinion" };
                report.skip(
                    TABLE,
                    key,
                    format!("a second {what} of request {request} by the same member (Stagehand keeps one)"),
                );
                continue;
            }
            let review = int(&row[6]).and_then(|r| texts.get(&r)).cloned();
            let reason = reasons.get(&(resolution, request, author)).cloned();
            if resolution {
                let decision = Resolution {
                    grade: (verdict == Verdict::Approve).then_some(Grade::Starrate),
                    review,
                    comment: reason,
                    at,
                };
                model::put_resolution(w, request, author, &decision)?;
            } else {
                let opinion = Opinion {
                    verdict,
                    review,
                    reason,
                    at,
                };
                model::put_opinion(w, request, author, &opinion)?;
            }
            report.imported(TABLE);
        }
        progress(TABLE, total, total);
        for id in requests.keys() {
            if model::dossier(w, *id)?.is_some_and(|d| d.decision().is_none()) {
                model::owe_widget(w, *id)?;
            }
        }
        Ok(())
    }

    fn assessments(
        &self,
        w: &mut Writer,
        report: &mut Report,
        practice: &HashMap<i64, u64>,
    ) -> Result<(), StoreError> {
        const TABLE: &str = "traineereviewopinion";
        report.read(TABLE, self.assessments.len() as u64);
        for row in &self.assessments {
            let key = shown(&row[0]);
            let parsed = (|| {
                let supervisor = id_of(&row[1], "supervisor id")?;
                let at = time(&row[2], "created_at")?;
                let accepted =
                    boolean(&row[3]).ok_or_else(|| "accept is not 0 or 1".to_string())?;
                let review = int(&row[5]).and_then(|r| practice.get(&r)).ok_or_else(|| {
                    format!("its trainee review {} is not imported", shown(&row[5]))
                })?;
                Ok::<_, String>((
                    *review,
                    Assessment {
                        supervisor,
                        accepted,
                        feedback: optional(&row[4]),
                        at,
                    },
                ))
            })();
            match parsed {
                Ok((review, assessment)) => {
                    if trainee::import_assessment(w, review, &assessment)? {
                        report.imported(TABLE);
                    } else {
                        report.skip(TABLE, key, "a second assessment of the same review");
                    }
                }
                Err(why) => report.skip(TABLE, key, why),
            }
        }
        Ok(())
    }

    fn cooldowns(&self, w: &mut Writer, report: &mut Report) -> Result<(), StoreError> {
        const TABLE: &str = "cooldown";
        report.read(TABLE, self.cooldowns.len() as u64);
        for row in &self.cooldowns {
            let key = format!("{}/{}", shown(&row[0]), shown(&row[1]));
            let parsed = (|| {
                let target = id_of(&row[1], "entity id")?;
                let entity = match text(&row[0]).as_deref() {
                    Some("USER") => Entity::User(target),
                    Some("LEVEL") => Entity::Level(target),
                    _ => {
                        return Err(format!(
                            "entity {} is neither USER nor LEVEL",
                            shown(&row[0])
                        ));
                    }
                };
                let created_at = time(&row[2], "casted_at")?;
                let ends_at = match &row[3] {
                    Sql::Null => None,
                    end => Some(time(end, "ends_at")?),
                };
                let caster = match &row[5] {
                    Sql::Null | Sql::Integer(0) => Actor::Bot,
                    other => Actor::User(id_of(other, "caster id")?),
                };
                Ok::<_, String>((
                    entity,
                    Restriction {
                        ends_at,
                        caster,
                        reason: optional(&row[4]),
                        created_at,
                    },
                ))
            })();
            match parsed {
                Ok((entity, restriction)) => {
                    cooldown::import(w, entity, &restriction)?;
                    report.imported(TABLE);
                }
                Err(why) => report.skip(TABLE, key, why),
            }
        }
        Ok(())
    }

    fn events(
        &self,
        w: &mut Writer,
        report: &mut Report,
        progress: Progress,
    ) -> Result<(), StoreError> {
        const TABLE: &str = "loggedevent";
        let total = self.events.len() as u64;
        report.read(TABLE, total);
        let mut dropped: HashMap<String, u64> = HashMap::new();
        let mut history = 0u64;
        for (done, row) in self.events.iter().enumerate() {
            if (done as u64).is_multiple_of(STEP) {
                progress(TABLE, done as u64, total);
            }
            let key = shown(&row[0]);
            let event = match event(row, &mut dropped) {
                Ok(event) => event,
                Err(why) => {
                    report.skip(TABLE, key, why);
                    continue;
                }
            };
            let id = audit::import(w, &event)?;
            report.imported(TABLE);
            if let Some((entity, entry)) = cooldown_change(&event) {
                cooldown::import_history(w, entity, id, &entry)?;
                history += 1;
            }
        }
        progress(TABLE, total, total);
        if history > 0 {
            report.notes.push(format!(
                "{history} cooldown changes in the log became the cooldowns' history"
            ));
        }
        let mut dropped: Vec<(String, u64)> = dropped.into_iter().collect();
        dropped.sort();
        for (what, n) in dropped {
            report.notes.push(format!("{n} events: {what}"));
        }
        Ok(())
    }

    fn filters(&self, w: &mut Writer, report: &mut Report) -> Result<(), StoreError> {
        const TABLE: &str = "storedlogfilter";
        report.read(TABLE, self.filters.len() as u64);
        for row in &self.filters {
            let key = shown(&row[0]);
            let Some(name) = text(&row[0]) else {
                report.skip(TABLE, key, "no name");
                continue;
            };
            let parsed = (|| {
                let viewer = match name.strip_prefix('@') {
                    Some(user) => Some(id_of(&Sql::Text(user.to_string()), "viewer id")?),
                    None => None,
                };
                let actor = match &row[1] {
                    Sql::Null => None,
                    other => Some(Actor::User(id_of(other, "user id")?)),
                };
                let kind = match &row[2] {
                    Sql::Null => None,
                    other => Some(
                        text(other)
                            .as_deref()
                            .and_then(EventKind::parse)
                            .ok_or_else(|| {
                                format!("event type {} is unknown to Stagehand", shown(other))
                            })?,
                    ),
                };
                let data = custom_data(&row[3])
                    .ok_or_else(|| format!("values {} are not a JSON object", shown(&row[3])))?;
                let mut fields = Vec::new();
                for (field, value) in &data {
                    let ty = FieldType::of_field(field)
                        .ok_or_else(|| format!("Stagehand's events have no field {field}"))?;
                    let value = json_text(value)
                        .and_then(|v| ty.parse(&v))
                        .ok_or_else(|| format!("{field}: {value} is not a {}", ty.name()))?;
                    fields.push((field.clone(), value));
                }
                fields.sort_by(|a, b| a.0.cmp(&b.0));
                Ok::<_, String>((
                    viewer,
                    Filter {
                        actor,
                        kind,
                        fields,
                    },
                ))
            })();
            match parsed {
                Ok((viewer, filter)) => {
                    audit::filters::import(w, &name, viewer, &filter)?;
                    report.imported(TABLE);
                }
                Err(why) => report.skip(TABLE, key, why),
            }
        }
        Ok(())
    }
}

/// A request row, or why it is skipped.
fn request(row: &Row) -> Result<(u64, Request), String> {
    let id = id_of(&row[0], "id")?;
    let level = id_of(&row[1], "level id")?;
    let lang = lang(&row[2])?;
    let Sql::Text(_) = &row[8] else {
        return Err("never submitted (requested_at is NULL: the form was not completed)".into());
    };
    let requested_at = time(&row[8], "requested_at")?;
    let is_user = boolean(&row[7]).ok_or_else(|| "is_author_user_id is not 0 or 1".to_string())?;
    let author = match (is_user, text(&row[6])) {
        (_, None) => return Err("no author".into()),
        (true, Some(user)) => Author::User(id_of(&Sql::Text(user), "author id")?),
        (false, Some(name)) => Author::Name(name),
    };
    let showcase =
        optional(&row[4]).map(|link| youtube::parse(&link).map_or(link, |video| video.url()));
    let submitted_by = author.user().unwrap_or(0);
    Ok((
        id,
        Request {
            level: LevelFacts {
                id: level,
                name: text(&row[3]).unwrap_or_default(),
                creator: String::new(),
                requested_stars: 0,
                length: 0,
                demon: false,
                difficulty: Difficulty::Unrated,
                game_version: 0,
                copied_from: 0,
            },
            author,
            lang,
            showcase,
            comment: optional(&row[5]),
            requested_at,
            submitted_by,
        },
    ))
}

/// A trainee's review row as a practice review, or why it is skipped.
fn practice_review(row: &Row, requests: &HashMap<u64, Request>) -> Result<PracticeReview, String> {
    let at = time(&row[1], "created_at")?;
    let trainee = id_of(&row[2], "author id")?;
    let verdict = verdict(&row[4])?;
    let request_id = id_of(&row[6], "request id")?;
    let request = requests
        .get(&request_id)
        .ok_or_else(|| format!("its request {request_id} is not imported"))?;
    Ok(PracticeReview {
        request: request_id,
        trainee,
        level_id: request.level.id,
        level_name: request.level.name.clone(),
        lang: request.lang,
        verdict,
        review: text(&row[3]).unwrap_or_default(),
        reason: None,
        card: None,
        at,
    })
}

/// The JSON object of a custom data column.
fn custom_data(value: &Sql) -> Option<serde_json::Map<String, serde_json::Value>> {
    match serde_json::from_str(&text(value)?).ok()? {
        serde_json::Value::Object(map) => Some(map),
        _ => None,
    }
}

/// A JSON value as the text the Request Bot meant (strings as they are, numbers and booleans
/// written out).
fn json_text(value: &serde_json::Value) -> Option<String> {
    match value {
        serde_json::Value::String(s) => Some(s.clone()),
        serde_json::Value::Number(n) => Some(n.to_string()),
        serde_json::Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

/// An event row as Stagehand's event, or why it is skipped. A field Stagehand's kind does not
/// declare is left out, and a value that does not read as its field's type (Python's `None`
/// for a channel) is kept as absent: both are counted in `dropped`, by what happened, for the
/// report's notes.
fn event(row: &Row, dropped: &mut HashMap<String, u64>) -> Result<Event, String> {
    let at = time(&row[1], "timestamp")?;
    let name = text(&row[2]).unwrap_or_default();
    let kind = EventKind::parse(&name)
        .ok_or_else(|| format!("event type {name:?} has no counterpart in Stagehand"))?;
    let actor = match &row[3] {
        Sql::Null => Actor::Bot,
        other => Actor::User(id_of(other, "user id")?),
    };
    let data = match &row[4] {
        Sql::Null => serde_json::Map::new(),
        other => custom_data(other)
            .ok_or_else(|| format!("custom data {} is not a JSON object", shown(other)))?,
    };
    let review_field = matches!(
        kind,
        EventKind::RequestOpinionAdded | EventKind::RequestResolutionAdded
    );
    let mut event = Event::new(kind, actor, at);
    for (field, raw) in &data {
        let (field, raw) = match field.as_str() {
            "review_msg_url" if review_field => {
                let posted = json_text(raw).is_some_and(|u| u != "NO_REVIEW" && !u.is_empty());
                (
                    "review",
                    serde_json::Value::from(if posted { "yes" } else { "NO_REVIEW" }),
                )
            }
            _ => (field.as_str(), raw.clone()),
        };
        let Some(ty) = kind.field(field) else {
            let what = format!(
                "{}.{field} left out (Stagehand's events of that kind have no such field)",
                kind.name()
            );
            *dropped.entry(what).or_default() += 1;
            continue;
        };
        let value = match &raw {
            serde_json::Value::Null => Value::Absent,
            other => json_text(other)
                .and_then(|v| ty.parse(&v))
                .unwrap_or_else(|| {
                    let what = format!(
                        "{}.{field} kept as absent (a value that is not a {})",
                        kind.name(),
                        ty.name()
                    );
                    *dropped.entry(what).or_default() += 1;
                    Value::Absent
                }),
        };
        event = event.with(field, value);
    }
    event.conforms()?;
    Ok(event)
}

/// The change of a restriction a `…_COOLDOWN_UPDATED` event records.
fn cooldown_change(event: &Event) -> Option<(Entity, HistoryEntry)> {
    let entity = match (
        event.kind,
        event.field("target_user_id"),
        event.field("target_level_id"),
    ) {
        (EventKind::UserCooldownUpdated, Some(Value::User(user)), _) => Entity::User(*user),
        (EventKind::LevelCooldownUpdated, _, Some(Value::Int(level))) => Entity::Level(id(*level)?),
        _ => return None,
    };
    let term = |name: &str| match event.field(name)? {
        Value::Text(t) => Term::parse_audit_text(t),
        _ => None,
    };
    let reason = match event.field("reason") {
        Some(Value::Text(t)) if t != "no reason" && !t.trim().is_empty() => Some(t.clone()),
        _ => None,
    };
    Some((
        entity,
        HistoryEntry {
            at: event.at,
            actor: event.actor,
            before: term("old")?,
            after: term("new")?,
            reason,
        },
    ))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn columns_read_as_the_request_bot_wrote_them() {
        assert_eq!(id_of(&Sql::Integer(42), "id"), Ok(42));
        assert!(
            id_of(&Sql::Integer(-1), "id")
                .unwrap_err()
                .contains("fits 64 bits")
        );
        assert!(
            id_of(&Sql::Text("99999999999999999999".into()), "author id")
                .unwrap_err()
                .contains("fits 64 bits")
        );
        assert_eq!(
            id_of(&Sql::Text("18446744073709551615".into()), "id"),
            Ok(u64::MAX)
        );
        assert_eq!(boolean(&Sql::Integer(1)), Some(true));
        assert_eq!(boolean(&Sql::Integer(2)), None);
        assert_eq!(
            time(&Sql::Text("2024-05-01 12:00:00.123456".into()), "t"),
            Ok(1_714_564_800)
        );
        assert!(time(&Sql::Text("soon".into()), "t").is_err());
        assert_eq!(verdict(&Sql::Text("APPROVED".into())), Ok(Verdict::Approve));
        assert!(verdict(&Sql::Text("approved".into())).is_err());
        assert_eq!(
            by_member(&Sql::Text("QUEUE_BLOCK_AT".into()), Param::ALL, Param::name),
            Some(Param::QueueBlockAt)
        );
    }

    #[test]
    fn events_keep_their_fields_typed_and_drop_the_rest() {
        let row = vec![
            Sql::Integer(1),
            Sql::Text("2024-05-01 12:00:00".into()),
            Sql::Text("REQUEST_OPINION_ADDED".into()),
            Sql::Integer(7),
            Sql::Text(
                r#"{"request_id": 5, "level_id": "128", "opinion": "approved", "is_first": "True", "review_msg_url": "https://x", "extra": 1}"#
                    .into(),
            ),
        ];
        let mut dropped = HashMap::new();
        let event = event(&row, &mut dropped).unwrap();
        assert_eq!(event.actor, Actor::User(7));
        assert_eq!(event.field("request_id"), Some(&Value::Int(5)));
        assert_eq!(event.field("level_id"), Some(&Value::Int(128)));
        assert_eq!(event.field("is_first"), Some(&Value::Bool(true)));
        assert_eq!(event.field("review"), Some(&Value::Text("yes".into())));
        assert_eq!(
            dropped.get(
                "REQUEST_OPINION_ADDED.extra left out (Stagehand's events of that kind have no such field)"
            ),
            Some(&1)
        );
        let mut odd = row.clone();
        odd[4] = Sql::Text(r#"{"request_id": "None", "level_id": 128}"#.into());
        let absent = super::event(&odd, &mut dropped).unwrap();
        assert_eq!(absent.field("request_id"), Some(&Value::Absent));
        assert_eq!(
            dropped
                .get("REQUEST_OPINION_ADDED.request_id kept as absent (a value that is not a int)"),
            Some(&1)
        );
        let mut bad = row.clone();
        bad[2] = Sql::Text("SOMETHING_ELSE".into());
        assert!(event_fails(&bad).contains("no counterpart"));
        bad = row.clone();
        bad[4] = Sql::Text("not json".into());
        assert!(event_fails(&bad).contains("not a JSON object"));
    }

    fn event_fails(row: &Row) -> String {
        event(row, &mut HashMap::new()).unwrap_err()
    }

    #[test]
    fn cooldown_events_make_history() {
        let event = Event::new(EventKind::UserCooldownUpdated, Actor::User(1), 10)
            .with("target_user_id", Value::User(5))
            .with("old", "not on cooldown")
            .with("new", "until 2024-05-01T12:00:00")
            .with("reason", "no reason");
        let (entity, entry) = cooldown_change(&event).unwrap();
        assert_eq!(entity, Entity::User(5));
        assert_eq!(entry.before, Term::Free);
        assert_eq!(entry.after, Term::Until(1_714_564_800));
        assert_eq!(entry.reason, None);
    }
}
