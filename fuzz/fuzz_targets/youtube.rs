//! YouTube showcase links (`stagehand::requests::youtube::parse`), as members paste them.
//!
//! Properties: `parse` never panics; a video id is 11 characters of `[A-Za-z0-9_-]`; the
//! canonical link of what parsed (`VideoLink::url`) parses back to the same video and start; so
//! does the input with whitespace around it; and an input with whitespace inside is refused.

#![no_main]

use libfuzzer_sys::fuzz_target;
use stagehand::requests::youtube::{self, YoutubeError};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let result = youtube::parse(text);
    if text.trim().chars().any(char::is_whitespace) {
        assert_eq!(result, Err(YoutubeError::NotAUrl), "{text:?}");
    }
    assert_eq!(youtube::parse(&format!(" \t{text}\n ")), result, "{text:?}");
    let Ok(link) = result else {
        return;
    };
    assert_eq!(link.id.len(), 11, "{text:?}");
    assert!(
        link.id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'),
        "{text:?}"
    );
    let canonical = link.url();
    assert_eq!(youtube::parse(&canonical), Ok(link.clone()), "{text:?}");
    let thumbnail = link.thumbnail_url();
    assert!(thumbnail.starts_with("https://i.ytimg.com/vi/") && thumbnail.contains(&link.id));
});
