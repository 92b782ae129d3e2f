//! What a log viewer types into a filter (`stagehand::audit`): a custom field's value for
//! `/log restrict_custom_field` (`FieldType::parse`), and a filter's name for `/log save_filter`
//! (`filters::check_name`).
//!
//! Properties: neither panics. A value that parses has the type it was read as, and what the log
//! shows of it (`Value`'s text: a mention, a number, `true`) reads back as the same value; text
//! is taken exactly as typed. A name that is accepted is trimmed, not empty, at most
//! `NAME_MAX` characters, and does not start with `@`; a trimmed input is accepted unchanged
//! exactly when it is such a name.

#![no_main]

use libfuzzer_sys::fuzz_target;
use stagehand::audit::filters::{self, NAME_MAX};
use stagehand::audit::{FieldType, Value};

const TYPES: [FieldType; 6] = [
    FieldType::Text,
    FieldType::Int,
    FieldType::Bool,
    FieldType::User,
    FieldType::Role,
    FieldType::Channel,
];

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    for ty in TYPES {
        let Some(value) = ty.parse(text) else {
            continue;
        };
        assert_eq!(FieldType::of(&value), Some(ty), "{text:?}");
        if let Value::Text(read) = &value {
            assert_eq!(read, text);
        }
        let shown = value.to_string();
        assert_eq!(
            ty.parse(&shown).as_ref(),
            Some(&value),
            "{text:?} shown as {shown:?}"
        );
    }
    match filters::check_name(text) {
        Ok(name) => {
            assert_eq!(name, text.trim());
            assert!(!name.is_empty() && !name.starts_with('@'));
            assert!(name.chars().count() <= NAME_MAX);
        }
        Err(_) => {
            let trimmed = text.trim();
            assert!(
                trimmed.is_empty()
                    || trimmed.starts_with('@')
                    || trimmed.chars().count() > NAME_MAX,
                "{text:?} refused"
            );
        }
    }
});
