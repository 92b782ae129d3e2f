//! Discord's validation of what a bot sends, written from Discord's documentation and observed
//! responses, independently of the adapter in `src/discord/`: this is the test oracle.
//!
//! Checks return every problem found, in the nested shape of Discord's `50035 Invalid Form Body`
//! errors (`{"embeds": {"0": {"description": {"_errors": [...]}}}}`).

use std::collections::HashSet;

use serde_json::{Map, Value, json};

/// Largest file a bot may upload to a guild without boosts.
pub const MAX_FILE_BYTES: usize = 10 * 1024 * 1024;

/// One field Discord refused.
pub struct FieldError {
    path: Vec<String>,
    code: &'static str,
    message: String,
}

/// Why Discord refused a request body.
pub enum Rejection {
    /// 400 `{"code": 50035, "message": "Invalid Form Body", "errors": {...}}`.
    Form(Vec<FieldError>),
    /// 400 `{"code": 50006, "message": "Cannot send an empty message"}`.
    Empty,
    /// 413 `{"code": 40005, "message": "Request entity too large"}`.
    TooLarge,
}

impl Rejection {
    pub fn status(&self) -> u16 {
        match self {
            Rejection::Form(_) | Rejection::Empty => 400,
            Rejection::TooLarge => 413,
        }
    }

    pub fn body(&self) -> Value {
        match self {
            Rejection::Form(errors) => {
                let mut tree = Map::new();
                for error in errors {
                    let mut node = &mut tree;
                    for key in &error.path {
                        node = node
                            .entry(key.clone())
                            .or_insert_with(|| json!({}))
                            .as_object_mut()
                            .unwrap();
                    }
                    let list = node.entry("_errors").or_insert_with(|| json!([]));
                    list.as_array_mut()
                        .unwrap()
                        .push(json!({"code": error.code, "message": error.message}));
                }
                json!({"code": 50035, "message": "Invalid Form Body", "errors": tree})
            }
            Rejection::Empty => json!({"code": 50006, "message": "Cannot send an empty message"}),
            Rejection::TooLarge => json!({"code": 40005, "message": "Request entity too large"}),
        }
    }
}

/// Collects field errors under a path prefix.
struct Errors {
    prefix: Vec<String>,
    found: Vec<FieldError>,
}

impl Errors {
    fn new(prefix: &[&str]) -> Errors {
        Errors {
            prefix: prefix.iter().map(|p| p.to_string()).collect(),
            found: Vec::new(),
        }
    }

    fn add(&mut self, path: &[String], code: &'static str, message: String) {
        let mut full = self.prefix.clone();
        full.extend(path.iter().cloned());
        self.found.push(FieldError {
            path: full,
            code,
            message,
        });
    }

    /// An optional string no longer than `max` characters.
    fn max_len(&mut self, value: Option<&Value>, path: impl FnOnce() -> Vec<String>, max: usize) {
        if let Some(text) = value.and_then(Value::as_str)
            && text.chars().count() > max
        {
            let message = format!("Must be {max} or fewer in length.");
            self.add(&path(), "BASE_TYPE_MAX_LENGTH", message);
        }
    }

    /// A required string of `min..=max` characters.
    fn required_len(
        &mut self,
        value: Option<&Value>,
        path: impl FnOnce() -> Vec<String>,
        min: usize,
        max: usize,
    ) {
        match value.and_then(Value::as_str) {
            None => self.add(
                &path(),
                "BASE_TYPE_REQUIRED",
                "This field is required".into(),
            ),
            Some(text) if !(min..=max).contains(&text.chars().count()) => {
                let message = format!("Must be between {min} and {max} in length.");
                self.add(&path(), "BASE_TYPE_BAD_LENGTH", message);
            }
            Some(_) => {}
        }
    }

    /// An optional list of at most `max` items.
    fn max_items<'a>(
        &mut self,
        value: Option<&'a Value>,
        path: impl FnOnce() -> Vec<String>,
        max: usize,
    ) -> &'a [Value] {
        let items = value
            .and_then(Value::as_array)
            .map_or(&[][..], Vec::as_slice);
        if items.len() > max {
            let message = format!("Must be {max} or fewer in length.");
            self.add(&path(), "BASE_TYPE_MAX_LENGTH", message);
        }
        items
    }

    /// An optional integer within `min..=max`.
    fn int_range(
        &mut self,
        value: Option<&Value>,
        path: impl FnOnce() -> Vec<String>,
        min: i64,
        max: i64,
    ) {
        if let Some(n) = value.and_then(Value::as_i64)
            && !(min..=max).contains(&n)
        {
            let message = format!("int value should be between {min} and {max}.");
            self.add(&path(), "NUMBER_TYPE_OUT_OF_RANGE", message);
        }
    }

    fn finish(self) -> Result<(), Rejection> {
        if self.found.is_empty() {
            Ok(())
        } else {
            Err(Rejection::Form(self.found))
        }
    }
}

fn path(parts: &[&dyn ToString]) -> Vec<String> {
    parts.iter().map(|p| p.to_string()).collect()
}

/// A message body (create, edit, interaction response data, webhook): content, embeds,
/// components, files. `prefix` is where the message sits in the body (`["data"]` for an
/// interaction callback); `creating` also refuses an empty message.
pub fn message(
    body: &Value,
    file_sizes: &[usize],
    prefix: &[&str],
    creating: bool,
) -> Result<(), Rejection> {
    if file_sizes.iter().any(|size| *size > MAX_FILE_BYTES) {
        return Err(Rejection::TooLarge);
    }
    let mut errors = Errors::new(prefix);
    errors.max_len(body.get("content"), || path(&[&"content"]), 2000);
    let embeds = errors.max_items(body.get("embeds"), || path(&[&"embeds"]), 10);
    let mut total = 0;
    for (i, embed) in embeds.iter().enumerate() {
        total += embed_checks(&mut errors, embed, i);
    }
    if total > 6000 {
        let message = "Embed size exceeds maximum size of 6000".to_string();
        errors.add(&path(&[&"embeds"]), "MAX_EMBED_SIZE_EXCEEDED", message);
    }
    message_components(&mut errors, body.get("components"));
    allowed_mentions(&mut errors, body.get("allowed_mentions"));
    if creating {
        nonce(&mut errors, body.get("nonce"));
        let has = |key: &str| match body.get(key) {
            Some(Value::String(s)) => !s.is_empty(),
            Some(Value::Array(a)) => !a.is_empty(),
            Some(Value::Null) | None => false,
            Some(_) => true,
        };
        let empty = !["content", "embeds", "components", "sticker_ids", "poll"]
            .iter()
            .any(|key| has(key));
        if empty && file_sizes.is_empty() && errors.found.is_empty() {
            return Err(Rejection::Empty);
        }
    }
    errors.finish()
}

/// `nonce`: an integer, or a string of at most 25 characters.
fn nonce(errors: &mut Errors, value: Option<&Value>) {
    match value {
        None | Some(Value::Null) => {}
        Some(Value::Number(n)) if n.is_i64() || n.is_u64() => {}
        Some(Value::String(s)) if s.chars().count() <= 25 => {}
        Some(Value::String(_)) => {
            let message = "Must be 25 or fewer characters long.".to_string();
            errors.add(&path(&[&"nonce"]), "NONCE_TYPE_TOO_LONG", message);
        }
        Some(_) => {
            let message = "This field must be a string or integer.".to_string();
            errors.add(&path(&[&"nonce"]), "NONCE_TYPE_INVALID_TYPE", message);
        }
    }
}

/// `allowed_mentions`: `parse` names only `users`, `roles` and `everyone`; a kind is either
/// parsed or listed by id (at most 100), never both.
fn allowed_mentions(errors: &mut Errors, value: Option<&Value>) {
    let Some(allowed) = value.filter(|v| !v.is_null()) else {
        return;
    };
    let parse = errors.max_items(
        allowed.get("parse"),
        || path(&[&"allowed_mentions", &"parse"]),
        3,
    );
    for (i, kind) in parse.iter().enumerate() {
        if !["users", "roles", "everyone"].iter().any(|k| kind == k) {
            let message = "Value must be one of ('everyone', 'roles', 'users').".to_string();
            errors.add(
                &path(&[&"allowed_mentions", &"parse", &i]),
                "BASE_TYPE_CHOICES",
                message,
            );
        }
    }
    for kind in ["users", "roles"] {
        let ids = errors.max_items(
            allowed.get(kind),
            || path(&[&"allowed_mentions", &kind]),
            100,
        );
        if !ids.is_empty() && parse.iter().any(|k| k == kind) {
            let message =
                format!("parse:[\"{kind}\"] and {kind}: [ids...] are mutually exclusive.");
            errors.add(
                &path(&[&"allowed_mentions"]),
                "MESSAGE_ALLOWED_MENTIONS_PARSE_EXCLUSIVE",
                message,
            );
        }
    }
}

/// Checks one embed and returns its length as Discord counts it towards the 6000 total.
fn embed_checks(errors: &mut Errors, embed: &Value, i: usize) -> usize {
    let chars = |v: Option<&Value>| v.and_then(Value::as_str).map_or(0, |s| s.chars().count());
    errors.max_len(embed.get("title"), || path(&[&"embeds", &i, &"title"]), 256);
    errors.max_len(
        embed.get("description"),
        || path(&[&"embeds", &i, &"description"]),
        4096,
    );
    let mut total = chars(embed.get("title")) + chars(embed.get("description"));
    let fields = errors.max_items(
        embed.get("fields"),
        || path(&[&"embeds", &i, &"fields"]),
        25,
    );
    for (j, field) in fields.iter().enumerate() {
        let at = |key: &str| path(&[&"embeds", &i, &"fields", &j, &key]);
        errors.required_len(field.get("name"), || at("name"), 1, 256);
        errors.required_len(field.get("value"), || at("value"), 1, 1024);
        total += chars(field.get("name")) + chars(field.get("value"));
    }
    if let Some(footer) = embed.get("footer").filter(|f| !f.is_null()) {
        let at = || path(&[&"embeds", &i, &"footer", &"text"]);
        errors.required_len(footer.get("text"), at, 1, 2048);
        total += chars(footer.get("text"));
    }
    if let Some(author) = embed.get("author").filter(|a| !a.is_null()) {
        let at = || path(&[&"embeds", &i, &"author", &"name"]);
        errors.required_len(author.get("name"), at, 1, 256);
        total += chars(author.get("name"));
    }
    total
}

/// Action rows of buttons and select menus on a message.
fn message_components(errors: &mut Errors, components: Option<&Value>) {
    let rows = errors.max_items(components, || path(&[&"components"]), 5);
    let mut seen = HashSet::new();
    for (i, row) in rows.iter().enumerate() {
        let items = row.get("components").and_then(Value::as_array);
        let items = items.map_or(&[][..], Vec::as_slice);
        if row.get("type").and_then(Value::as_u64) != Some(1) || items.is_empty() {
            let message = "Value of field \"type\" must be one of (1,).".to_string();
            errors.add(&path(&[&"components", &i]), "UNION_TYPE_CHOICES", message);
            continue;
        }
        let selects = items
            .iter()
            .filter(|c| matches!(c.get("type").and_then(Value::as_u64), Some(3 | 5..=8)))
            .count();
        if items.len() > 5 || (selects > 0 && items.len() > 1) {
            let message = "The specified component exceeds the maximum width".to_string();
            let at = path(&[&"components", &i, &"components"]);
            errors.add(&at, "COMPONENT_LAYOUT_WIDTH_EXCEEDED", message);
        }
        for (j, item) in items.iter().enumerate() {
            let at = |key: &str| path(&[&"components", &i, &"components", &j, &key]);
            let custom_id = item.get("custom_id").and_then(Value::as_str);
            if let Some(id) = custom_id
                && !seen.insert(id.to_string())
            {
                let message = "Component custom id cannot be duplicated".to_string();
                errors.add(&at("custom_id"), "COMPONENT_CUSTOM_ID_DUPLICATED", message);
            }
            match item.get("type").and_then(Value::as_u64) {
                Some(2) => {
                    errors.max_len(item.get("label"), || at("label"), 80);
                    if item.get("style").and_then(Value::as_u64) == Some(5) {
                        errors.required_len(item.get("url"), || at("url"), 1, 512);
                    } else {
                        errors.required_len(item.get("custom_id"), || at("custom_id"), 1, 100);
                    }
                }
                Some(3 | 5..=8) => {
                    errors.required_len(item.get("custom_id"), || at("custom_id"), 1, 100);
                    errors.max_len(item.get("placeholder"), || at("placeholder"), 150);
                    errors.int_range(item.get("min_values"), || at("min_values"), 0, 25);
                    errors.int_range(item.get("max_values"), || at("max_values"), 1, 25);
                    if item.get("type").and_then(Value::as_u64) == Some(3) {
                        select_options(errors, item, i, j);
                    }
                }
                _ => {
                    let message =
                        "Value of field \"type\" must be one of (2, 3, 5, 6, 7, 8).".to_string();
                    errors.add(&at("type"), "UNION_TYPE_CHOICES", message);
                }
            }
        }
    }
}

fn select_options(errors: &mut Errors, select: &Value, i: usize, j: usize) {
    let at = |rest: &[&dyn ToString]| {
        let mut p = path(&[&"components", &i, &"components", &j, &"options"]);
        p.extend(path(rest));
        p
    };
    let options = select.get("options").and_then(Value::as_array);
    let options = options.map_or(&[][..], Vec::as_slice);
    if !(1..=25).contains(&options.len()) {
        let message = "Must be between 1 and 25 in length.".to_string();
        errors.add(&at(&[]), "BASE_TYPE_BAD_LENGTH", message);
    }
    for (k, option) in options.iter().enumerate() {
        errors.required_len(option.get("label"), || at(&[&k, &"label"]), 1, 100);
        errors.required_len(option.get("value"), || at(&[&k, &"value"]), 1, 100);
        errors.max_len(option.get("description"), || at(&[&k, &"description"]), 100);
    }
}

/// A modal (interaction callback type 9): title ≤ 45, custom_id ≤ 100, 1–5 rows of one text
/// input each.
pub fn modal(data: &Value) -> Result<(), Rejection> {
    let mut errors = Errors::new(&["data"]);
    errors.required_len(data.get("title"), || path(&[&"title"]), 1, 45);
    errors.required_len(data.get("custom_id"), || path(&[&"custom_id"]), 1, 100);
    let rows = data.get("components").and_then(Value::as_array);
    let rows = rows.map_or(&[][..], Vec::as_slice);
    if !(1..=5).contains(&rows.len()) {
        let message = "Must be between 1 and 5 in length.".to_string();
        errors.add(&path(&[&"components"]), "BASE_TYPE_BAD_LENGTH", message);
    }
    let mut seen = HashSet::new();
    for (i, row) in rows.iter().enumerate() {
        let items = row.get("components").and_then(Value::as_array);
        let items = items.map_or(&[][..], Vec::as_slice);
        let at = |key: &str| path(&[&"components", &i, &"components", &0, &key]);
        let input = match items {
            [input] if input.get("type").and_then(Value::as_u64) == Some(4) => input,
            _ => {
                let message = "Modal rows must hold exactly one text input".to_string();
                errors.add(
                    &path(&[&"components", &i]),
                    "COMPONENT_LAYOUT_WIDTH_EXCEEDED",
                    message,
                );
                continue;
            }
        };
        errors.required_len(input.get("custom_id"), || at("custom_id"), 1, 100);
        if let Some(id) = input.get("custom_id").and_then(Value::as_str)
            && !seen.insert(id.to_string())
        {
            let message = "Component custom id cannot be duplicated".to_string();
            errors.add(&at("custom_id"), "COMPONENT_CUSTOM_ID_DUPLICATED", message);
        }
        errors.required_len(input.get("label"), || at("label"), 1, 45);
        errors.int_range(input.get("style"), || at("style"), 1, 2);
        errors.int_range(input.get("min_length"), || at("min_length"), 0, 4000);
        errors.int_range(input.get("max_length"), || at("max_length"), 1, 4000);
        errors.max_len(input.get("value"), || at("value"), 4000);
        errors.max_len(input.get("placeholder"), || at("placeholder"), 100);
    }
    errors.finish()
}

/// Autocomplete choices (interaction callback type 8): at most 25, names 1–100 characters,
/// string values at most 100.
pub fn choices(data: &Value) -> Result<(), Rejection> {
    let mut errors = Errors::new(&["data"]);
    let choices = errors.max_items(data.get("choices"), || path(&[&"choices"]), 25);
    for (i, choice) in choices.iter().enumerate() {
        errors.required_len(
            choice.get("name"),
            || path(&[&"choices", &i, &"name"]),
            1,
            100,
        );
        errors.max_len(
            choice.get("value"),
            || path(&[&"choices", &i, &"value"]),
            100,
        );
    }
    errors.finish()
}

/// Discord's locales, the only keys a localisation map may have (`en` is not one).
pub const LOCALES: [&str; 32] = [
    "id", "da", "de", "en-GB", "en-US", "es-ES", "es-419", "fr", "hr", "it", "lt", "hu", "nl",
    "no", "pl", "pt-BR", "ro", "fi", "sv-SE", "vi", "tr", "cs", "el", "bg", "ru", "uk", "hi", "th",
    "zh-CN", "ja", "zh-TW", "ko",
];

/// The most characters a slash command may have in its names, descriptions and choices (its
/// options' too, at every depth), each field counted at its longest localisation. Discord raised
/// it from 4000 in February 2024 (discord-api-docs#6668).
pub const COMMAND_SIZE: usize = 8000;

const SUB_COMMAND: u64 = 1;
const SUB_COMMAND_GROUP: u64 = 2;
const STRING: u64 = 3;
const INTEGER: u64 = 4;
const NUMBER: u64 = 10;
/// The largest integer an integer option's choice may be: 2^53 - 1 (numbers: 2^53).
const MAX_SAFE: i64 = (1 << 53) - 1;

/// What holds an option list, which decides the option types it may have.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Holder {
    Command,
    Group,
    Subcommand,
}

fn is_sub(kind: u64) -> bool {
    kind == SUB_COMMAND || kind == SUB_COMMAND_GROUP
}

fn join(at: &[String], key: impl ToString) -> Vec<String> {
    let mut p = at.to_vec();
    p.push(key.to_string());
    p
}

fn items(value: Option<&Value>) -> &[Value] {
    value
        .and_then(Value::as_array)
        .map_or(&[][..], Vec::as_slice)
}

fn chars(value: Option<&Value>) -> usize {
    value
        .and_then(Value::as_str)
        .map_or(0, |s| s.chars().count())
}

/// A bulk overwrite of application commands, checked as Discord documents (Application
/// Commands: naming, the command and option structures, subcommands, localization):
///
/// - at most 100 slash commands and 5 each of user and message commands, names unique per type;
/// - slash command and option names match `^[-_'\p{L}\p{N}\p{sc=Deva}\p{sc=Thai}]{1,32}$` and
///   use the lowercase form of every letter that has one (user and message commands: any 1–32
///   characters); descriptions are 1–100 characters, and one of only whitespace is refused;
/// - localisation keys are Discord's locales, and localised names and descriptions follow the
///   same rules as the default ones;
/// - at most 25 options at each level; sibling option names are unique, and so are their names
///   in each locale, where a localised name may not be another sibling's default name either
///   (a localisation equal to its own default is ignored);
/// - subcommands and groups are not mixed with other options; a group holds only subcommands, a
///   subcommand no subcommands or groups, other options nothing; subcommands and groups are never
///   `required`; required options come before optional ones;
/// - choices only on string, integer and number options, at most 25, names 1–100 characters,
///   values of the option's type (strings at most 100 characters); `autocomplete` only on those
///   types and never together with choices;
/// - a slash command's size is at most [`COMMAND_SIZE`].
///
/// `\p{L}` is approximated by Rust's `char::is_alphabetic`, which also admits the combining
/// vowel signs of a few scripts (Bengali, Tamil…) that Discord refuses. Error codes Discord's
/// responses were not seen with are named after the rule.
pub fn commands(list: &Value) -> Result<(), Rejection> {
    let mut errors = Errors::new(&[]);
    let Some(commands) = list.as_array() else {
        let message = "Only iterables may be used in a ListType".to_string();
        errors.add(&[], "LIST_TYPE_CONVERT", message);
        return errors.finish();
    };
    let kind = |c: &Value| c.get("type").and_then(Value::as_u64).unwrap_or(1);
    for (of, max) in [(1, 100), (2, 5), (3, 5)] {
        if commands.iter().filter(|c| kind(c) == of).count() > max {
            let message = format!("Must be {max} or fewer in length.");
            errors.add(&[], "BASE_TYPE_MAX_LENGTH", message);
        }
    }
    let mut names = HashSet::new();
    for (i, command) in commands.iter().enumerate() {
        let at = vec![i.to_string()];
        command_checks(&mut errors, command, &at, kind(command));
        let name = command.get("name").and_then(Value::as_str).unwrap_or("");
        if !names.insert((kind(command), name.to_string())) {
            let message = "Application command names must be unique".to_string();
            errors.add(
                &join(&at, "name"),
                "APPLICATION_COMMAND_DUPLICATE_NAME",
                message,
            );
        }
    }
    errors.finish()
}

/// One command: its names, and for a slash command its description, options and size.
fn command_checks(errors: &mut Errors, command: &Value, at: &[String], kind: u64) {
    if !(1..=4).contains(&kind) {
        let message = "Value must be one of (1, 2, 3, 4).".to_string();
        errors.add(&join(at, "type"), "BASE_TYPE_CHOICES", message);
        return;
    }
    let slash = kind == 1;
    names(errors, command, at, slash);
    if !slash {
        if !items(command.get("options")).is_empty() {
            let message = "Only slash commands have options".to_string();
            errors.add(
                &join(at, "options"),
                "APPLICATION_COMMAND_OPTIONS_TYPE_INVALID",
                message,
            );
        }
        return;
    }
    descriptions(errors, command, at);
    options(errors, command.get("options"), at, Holder::Command);
    let size = size(command);
    if size > COMMAND_SIZE {
        let message = format!("Command exceeds maximum size ({COMMAND_SIZE})");
        errors.add(at, "APPLICATION_COMMAND_TOO_LARGE", message);
    }
}

/// Whether `name` is a valid name: for a slash command or an option, Discord's pattern in
/// lowercase.
fn valid_name(name: &str, slash: bool) -> bool {
    let letter = |c: char| {
        let devanagari = matches!(
            c,
            '\u{900}'..='\u{963}'
                | '\u{966}'..='\u{97f}'
                | '\u{a8e0}'..='\u{a8ff}'
                | '\u{11b00}'..='\u{11b09}'
        );
        let thai = matches!(c, '\u{e01}'..='\u{e3a}' | '\u{e40}'..='\u{e5b}');
        let allowed = matches!(c, '-' | '_' | '\'')
            || c.is_alphabetic()
            || c.is_numeric()
            || devanagari
            || thai;
        let mut lower = c.to_lowercase();
        allowed && lower.next() == Some(c) && lower.next().is_none()
    };
    (1..=32).contains(&name.chars().count()) && (!slash || name.chars().all(letter))
}

/// The entries of a localisation map (`name_localizations`, `description_localizations`),
/// after refusing keys that are not Discord's locales; `null` values are left out.
fn localisations<'a>(
    errors: &mut Errors,
    item: &'a Value,
    key: &str,
    at: &[String],
) -> Vec<(&'a str, &'a Value)> {
    let at = join(at, key);
    let map = match item.get(key) {
        None | Some(Value::Null) => return Vec::new(),
        Some(Value::Object(map)) => map,
        Some(_) => {
            let message = "Only dictionaries may be used in a DictType".to_string();
            errors.add(&at, "DICT_TYPE_CONVERT", message);
            return Vec::new();
        }
    };
    let mut entries = Vec::new();
    for (locale, value) in map {
        if !LOCALES.contains(&locale.as_str()) {
            let message = format!("Value \"{locale}\" is not a valid enum value.");
            errors.add(&join(&at, locale), "ENUM_TYPE_COERCE", message);
        } else if !value.is_null() {
            entries.push((locale.as_str(), value));
        }
    }
    entries
}

/// The name of a command or option and its localisations.
fn names(errors: &mut Errors, item: &Value, at: &[String], slash: bool) {
    let message = || "Command name is invalid".to_string();
    let valid = |value: &Value| value.as_str().is_some_and(|n| valid_name(n, slash));
    if !item.get("name").is_some_and(valid) {
        errors.add(
            &join(at, "name"),
            "APPLICATION_COMMAND_INVALID_NAME",
            message(),
        );
    }
    let localised = localisations(errors, item, "name_localizations", at);
    for (locale, value) in localised {
        if !valid(value) {
            let path = join(&join(at, "name_localizations"), locale);
            errors.add(&path, "APPLICATION_COMMAND_INVALID_NAME", message());
        }
    }
}

/// The description of a slash command or option and its localisations: 1–100 characters, not
/// only whitespace.
fn descriptions(errors: &mut Errors, item: &Value, at: &[String]) {
    let localised = localisations(errors, item, "description_localizations", at);
    let texts = localised.into_iter().map(|(locale, value)| {
        let path = join(&join(at, "description_localizations"), locale);
        (Some(value), path)
    });
    for (value, path) in [(item.get("description"), join(at, "description"))]
        .into_iter()
        .chain(texts)
    {
        match value.and_then(Value::as_str) {
            None => errors.add(&path, "BASE_TYPE_REQUIRED", "This field is required".into()),
            Some(text) if text.trim().is_empty() || text.chars().count() > 100 => {
                let message = "Must be between 1 and 100 in length.".to_string();
                errors.add(&path, "BASE_TYPE_BAD_LENGTH", message);
            }
            Some(_) => {}
        }
    }
}

/// The options of a command, group or subcommand, each checked in full.
fn options(errors: &mut Errors, list: Option<&Value>, at: &[String], holder: Holder) {
    let at = join(at, "options");
    let options = errors.max_items(list, || at.clone(), 25);
    let kind = |o: &Value| o.get("type").and_then(Value::as_u64).unwrap_or(0);
    let subs = options.iter().filter(|o| is_sub(kind(o))).count();
    if holder == Holder::Command && subs > 0 && subs < options.len() {
        let message = "Sub-command and sub-command group option types are mutually exclusive \
                       to all other types"
            .to_string();
        errors.add(&at, "APPLICATION_COMMAND_OPTIONS_TYPE_INVALID", message);
    }
    let mut optional_seen = false;
    for (i, option) in options.iter().enumerate() {
        let option_at = join(&at, i);
        option_checks(errors, option, &option_at, holder);
        let required = option.get("required").and_then(Value::as_bool) == Some(true);
        if required && optional_seen {
            let message = "Required options must be placed before non-required options".to_string();
            errors.add(
                &option_at,
                "APPLICATION_COMMAND_OPTIONS_REQUIRED_INVALID",
                message,
            );
        }
        optional_seen |= !required;
    }
    unique_names(errors, options, &at);
}

/// One option held by `holder`, and what it holds.
fn option_checks(errors: &mut Errors, option: &Value, at: &[String], holder: Holder) {
    let kind = option.get("type").and_then(Value::as_u64).unwrap_or(0);
    if !(1..=11).contains(&kind) {
        let message = "Value must be one of (1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11).".to_string();
        errors.add(&join(at, "type"), "BASE_TYPE_CHOICES", message);
    } else {
        let misplaced = match holder {
            Holder::Command => None,
            Holder::Group => {
                (kind != SUB_COMMAND).then_some("A sub-command group holds only sub-commands")
            }
            Holder::Subcommand => {
                is_sub(kind).then_some("A sub-command holds no sub-commands or groups")
            }
        };
        if let Some(message) = misplaced {
            errors.add(
                &join(at, "type"),
                "APPLICATION_COMMAND_OPTIONS_TYPE_INVALID",
                message.into(),
            );
        }
    }
    names(errors, option, at, true);
    descriptions(errors, option, at);
    if is_sub(kind) && option.get("required").and_then(Value::as_bool) == Some(true) {
        let message = "Sub-commands and sub-command groups cannot be required".to_string();
        errors.add(
            &join(at, "required"),
            "APPLICATION_COMMAND_OPTION_REQUIRED_INVALID",
            message,
        );
    }
    match kind {
        SUB_COMMAND => options(errors, option.get("options"), at, Holder::Subcommand),
        SUB_COMMAND_GROUP => options(errors, option.get("options"), at, Holder::Group),
        _ if !items(option.get("options")).is_empty() => {
            let message = "Only sub-commands and sub-command groups have options".to_string();
            errors.add(
                &join(at, "options"),
                "APPLICATION_COMMAND_OPTIONS_TYPE_INVALID",
                message,
            );
        }
        _ => {}
    }
    let takes_choices = matches!(kind, STRING | INTEGER | NUMBER);
    let choices = items(option.get("choices"));
    if !choices.is_empty() && !takes_choices {
        let message = "Only string, integer and number options have choices".to_string();
        errors.add(
            &join(at, "choices"),
            "APPLICATION_COMMAND_OPTIONS_TYPE_INVALID",
            message,
        );
    } else {
        choice_checks(errors, option, at, kind);
    }
    if option.get("autocomplete").and_then(Value::as_bool) == Some(true) {
        let at = join(at, "autocomplete");
        if !takes_choices {
            let message = "Only string, integer and number options autocomplete".to_string();
            errors.add(&at, "APPLICATION_COMMAND_OPTIONS_TYPE_INVALID", message);
        } else if !choices.is_empty() {
            let message = "Autocomplete cannot be set on an option with choices".to_string();
            errors.add(
                &at,
                "APPLICATION_COMMAND_AUTOCOMPLETE_WITH_CHOICES",
                message,
            );
        }
    }
}

/// The choices of a string, integer or number option.
fn choice_checks(errors: &mut Errors, option: &Value, at: &[String], kind: u64) {
    let at = join(at, "choices");
    let choices = errors.max_items(option.get("choices"), || at.clone(), 25);
    for (j, choice) in choices.iter().enumerate() {
        let at = join(&at, j);
        errors.required_len(choice.get("name"), || join(&at, "name"), 1, 100);
        let localised = localisations(errors, choice, "name_localizations", &at);
        for (locale, value) in localised {
            let path = join(&join(&at, "name_localizations"), locale);
            errors.required_len(Some(value), || path, 1, 100);
        }
        let value = choice.get("value");
        let value_at = || join(&at, "value");
        match kind {
            STRING => match value.and_then(Value::as_str) {
                Some(_) => errors.max_len(value, value_at, 100),
                None => {
                    let message = "Could not interpret the value as string.".to_string();
                    errors.add(&value_at(), "STRING_TYPE_COERCE", message);
                }
            },
            INTEGER if value.and_then(Value::as_i64).is_some() => {
                errors.int_range(value, value_at, -MAX_SAFE, MAX_SAFE);
            }
            NUMBER
                if value
                    .and_then(Value::as_f64)
                    .is_some_and(|n| n.abs() <= 2f64.powi(53)) => {}
            _ => {
                let message = format!(
                    "Value \"{}\" is not a valid number.",
                    value.unwrap_or(&Value::Null)
                );
                errors.add(&value_at(), "NUMBER_TYPE_COERCE", message);
            }
        }
    }
}

/// Sibling options' names: the default ones unique, and in each locale a localised name (not
/// equal to its own default) distinct from every other sibling's default name and from the
/// names the siblings before it show in that locale.
fn unique_names(errors: &mut Errors, options: &[Value], at: &[String]) {
    fn name(option: &Value) -> &str {
        option.get("name").and_then(Value::as_str).unwrap_or("")
    }
    fn localised<'a>(option: &'a Value, locale: &str) -> Option<&'a str> {
        option.get("name_localizations")?.get(locale)?.as_str()
    }
    for (i, option) in options.iter().enumerate() {
        if options[..i].iter().any(|o| name(o) == name(option)) {
            let message = "Command option names must be unique".to_string();
            errors.add(
                &join(&join(at, i), "name"),
                "APPLICATION_COMMAND_OPTIONS_NAME_ALREADY_EXISTS",
                message,
            );
        }
    }
    let mut locales: Vec<&str> = options
        .iter()
        .filter_map(|o| o.get("name_localizations").and_then(Value::as_object))
        .flat_map(|map| map.keys().map(String::as_str))
        .filter(|locale| LOCALES.contains(locale))
        .collect();
    locales.sort_unstable();
    locales.dedup();
    for locale in locales {
        let shown = |o| localised(o, locale).unwrap_or(name(o));
        for (i, option) in options.iter().enumerate() {
            let Some(local) = localised(option, locale).filter(|l| *l != name(option)) else {
                continue;
            };
            let clash = options.iter().enumerate().any(|(j, other)| {
                (j != i && name(other) == local) || (j < i && shown(other) == local)
            });
            if clash {
                let message = format!("Command option names must be unique in locale {locale}");
                let path = join(&join(&join(at, i), "name_localizations"), locale);
                errors.add(
                    &path,
                    "APPLICATION_COMMAND_OPTIONS_NAME_ALREADY_EXISTS",
                    message,
                );
            }
        }
    }
}

/// A command's or option's size: its name and description, its options' and its choices'
/// names and values, each field at its longest localisation.
fn size(item: &Value) -> usize {
    let longest = |item: &Value, key: &str| {
        let localised = item
            .get(format!("{key}_localizations"))
            .and_then(Value::as_object)
            .and_then(|map| map.values().map(|v| chars(Some(v))).max())
            .unwrap_or(0);
        chars(item.get(key)).max(localised)
    };
    let choices: usize = items(item.get("choices"))
        .iter()
        .map(|choice| {
            let value = match choice.get("value") {
                Some(Value::String(s)) => s.chars().count(),
                Some(other) => other.to_string().len(),
                None => 0,
            };
            longest(choice, "name") + value
        })
        .sum();
    let options: usize = items(item.get("options")).iter().map(size).sum();
    longest(item, "name") + longest(item, "description") + choices + options
}
