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

/// A bulk overwrite of application commands: at most 100, valid lowercase names of 1–32
/// characters, descriptions of 1–100, at most 25 options and 25 choices each, required options
/// first.
pub fn commands(list: &Value) -> Result<(), Rejection> {
    let mut errors = Errors::new(&[]);
    let Some(commands) = list.as_array() else {
        let message = "Only iterables may be used in a ListType".to_string();
        errors.add(&[], "LIST_TYPE_CONVERT", message);
        return errors.finish();
    };
    if commands.len() > 100 {
        errors.add(
            &[],
            "BASE_TYPE_MAX_LENGTH",
            "Must be 100 or fewer in length.".into(),
        );
    }
    let mut names = HashSet::new();
    for (i, command) in commands.iter().enumerate() {
        let slash = command.get("type").and_then(Value::as_u64).unwrap_or(1) == 1;
        command_item(&mut errors, command, vec![i.to_string()], slash);
        let name = command.get("name").and_then(Value::as_str).unwrap_or("");
        if !names.insert(name.to_string()) {
            let message = "Application command names must be unique".to_string();
            errors.add(
                &path(&[&i, &"name"]),
                "APPLICATION_COMMANDS_DUPLICATE_NAME",
                message,
            );
        }
    }
    errors.finish()
}

/// A command or an option of one, recursively.
fn command_item(errors: &mut Errors, item: &Value, at: Vec<String>, slash: bool) {
    let field = |key: &str| {
        let mut p = at.clone();
        p.push(key.to_string());
        p
    };
    let name = item.get("name").and_then(Value::as_str);
    let valid_name = name.is_some_and(|n| {
        let length = n.chars().count();
        (1..=32).contains(&length)
            && (!slash
                || n.chars()
                    .all(|c| c == '-' || c == '_' || c.is_alphanumeric() && !c.is_uppercase()))
    });
    if !valid_name {
        let message = "Command name is invalid".to_string();
        errors.add(&field("name"), "APPLICATION_COMMAND_INVALID_NAME", message);
    }
    if slash {
        errors.required_len(item.get("description"), || field("description"), 1, 100);
    }
    let options = errors.max_items(item.get("options"), || field("options"), 25);
    let mut optional_seen = false;
    for (i, option) in options.iter().enumerate() {
        let mut option_at = field("options");
        option_at.push(i.to_string());
        command_item(errors, option, option_at.clone(), true);
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
        let mut choices_at = option_at;
        choices_at.push("choices".to_string());
        let choices = errors.max_items(option.get("choices"), || choices_at.clone(), 25);
        for (j, choice) in choices.iter().enumerate() {
            let mut name_at = choices_at.clone();
            name_at.extend([j.to_string(), "name".to_string()]);
            errors.required_len(choice.get("name"), || name_at.clone(), 1, 100);
        }
    }
}
