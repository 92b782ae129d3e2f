//! `custom_id`s (`stagehand::outbox::CustomId`): what a click or a form sends back, forgeable by
//! anyone.
//!
//! Properties: `parse` never panics; what parses is in the grammar (lowercase names of 1 to 24
//! characters, an argument of `[A-Za-z0-9_-]`), fits Discord's limit when written back, writes
//! back to the input up to the id's leading zeros, and parses back equal (`CustomId::new`, which
//! checks that in debug builds, does not panic on it). The other way round: any id built from
//! the input's bytes that is in the grammar and fits the limit is written and parsed back equal.

#![no_main]

use libfuzzer_sys::fuzz_target;
use stagehand::outbox::CustomId;
use stagehand::outbox::custom_id::MAX_LEN;

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        parsed(text);
    }
    built(data);
});

fn parsed(text: &str) {
    let Ok(id) = CustomId::parse(text) else {
        return;
    };
    for name in [&id.module, &id.action] {
        assert!((1..=24).contains(&name.len()), "{id:?}");
        assert!(name.bytes().all(|b| b.is_ascii_lowercase() || b == b'_'));
    }
    if let Some(arg) = &id.arg {
        assert!(!arg.is_empty());
        assert!(
            arg.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        );
    }
    let written = id.to_string();
    assert!(written.len() <= text.len() && written.len() <= MAX_LEN);
    assert_eq!(without_leading_zeros(text), written, "{text:?}");
    assert_eq!(CustomId::parse(&written).as_ref(), Ok(&id));
    let made = CustomId::new(&id.module, &id.action, id.id, id.arg.as_deref());
    assert_eq!(made, id);
}

/// `v1:m:a:007:x` → `v1:m:a:7:x`.
fn without_leading_zeros(text: &str) -> String {
    let mut parts: Vec<&str> = text.split(':').collect();
    let trimmed = parts[3].trim_start_matches('0');
    parts[3] = if trimmed.is_empty() { "0" } else { trimmed };
    parts.join(":")
}

/// An id made of the input's bytes, mapped into the grammar's alphabets.
fn built(data: &[u8]) {
    const NAME: &[u8] = b"abcdefghijklmnopqrstuvwxyz_";
    const ARG: &[u8] = b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_";
    let [a, b, c, rest @ ..] = data else {
        return;
    };
    let (module_len, action_len) = (usize::from(a % 24) + 1, usize::from(b % 24) + 1);
    let arg_len = usize::from(c % 40);
    let mut bytes = rest.iter().copied().cycle().chain(std::iter::repeat(0));
    let mut take = |n: usize, alphabet: &[u8]| -> String {
        (0..n)
            .map(|_| char::from(alphabet[usize::from(bytes.next().unwrap_or(0)) % alphabet.len()]))
            .collect()
    };
    let module = take(module_len, NAME);
    let action = take(action_len, NAME);
    let arg = (arg_len > 0).then(|| take(arg_len, ARG));
    let id_bytes: Vec<u8> = (0..8).map(|_| bytes.next().unwrap_or(0)).collect();
    let id = u64::from_le_bytes(id_bytes.try_into().unwrap_or([0; 8]));
    let made = CustomId {
        module,
        action,
        id,
        arg,
    };
    let written = made.to_string();
    if written.len() <= MAX_LEN {
        assert_eq!(CustomId::parse(&written), Ok(made), "{written:?}");
    } else {
        assert!(CustomId::parse(&written).is_err());
    }
}
