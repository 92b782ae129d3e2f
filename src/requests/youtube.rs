//! YouTube link validation (gd-requestbot §13.2, with its gaps closed): which video a showcase
//! link points at, or why it points at none.
//!
//! Accepted: `http`/`https` or no scheme (or a bare `//`); the hosts `youtube.com`,
//! `youtube-nocookie.com` and `youtu.be` with or without `www.`, `m.` or `music.`; the paths
//! `/watch?v=ID`, `/ID` (on `youtu.be`), `/shorts/ID`, `/live/ID`, `/embed/ID`, `/v/ID` and
//! `/e/ID`; any other query parameters (`t=1m30s`, `list=…` beside a `v=`, `si=…`) and a fragment.
//! Refused with a reason: anything with whitespace inside (the original accepted a link followed
//! by a newline and more text), other schemes and hosts, look-alike hosts (`youtube.com.evil`),
//! playlists and channels without a video, and ids that are not 11 characters of `[A-Za-z0-9_-]`.
//! No network: whether the video exists is not checked.

use crate::i18n::Message;

/// The longest link considered; real ones are far shorter.
const MAX_LEN: usize = 2048;

/// A link to one YouTube video.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VideoLink {
    /// The 11-character video id.
    pub id: String,
    /// Where playback starts (`t=`/`start=`), in seconds, when the link says.
    pub start: Option<u64>,
}

impl VideoLink {
    /// The canonical watch link, keeping the start time.
    pub fn url(&self) -> String {
        match self.start {
            Some(start) => format!("https://www.youtube.com/watch?v={}&t={start}s", self.id),
            None => format!("https://www.youtube.com/watch?v={}", self.id),
        }
    }

    /// The video's thumbnail picture.
    pub fn thumbnail_url(&self) -> String {
        format!("https://i.ytimg.com/vi/{}/hqdefault.jpg", self.id)
    }
}

/// Why a text is not a YouTube video link.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum YoutubeError {
    /// Empty, too long, with whitespace inside, or not a web address at all.
    #[error("not a link")]
    NotAUrl,
    /// A link elsewhere (the host, or the scheme when it is not http(s)).
    #[error("not a YouTube link: {0}")]
    NotYoutube(String),
    /// A YouTube link to something other than a video (a channel, a playlist, the home page).
    #[error("the link names no video")]
    NoVideoId,
    /// Where the id should be there is something that is not one.
    #[error("{0:?} is not a video id")]
    BadVideoId(String),
}

impl YoutubeError {
    /// The localised reason, with `link` = the input.
    pub fn message(&self, link: &str) -> Message {
        let link: String = link.trim().chars().take(100).collect();
        match self {
            YoutubeError::NotAUrl => Message::new("error.youtube.not_a_url").with("link", link),
            YoutubeError::NotYoutube(_) => {
                Message::new("error.youtube.not_youtube").with("link", link)
            }
            YoutubeError::NoVideoId => Message::new("error.youtube.no_video").with("link", link),
            YoutubeError::BadVideoId(_) => {
                Message::new("error.youtube.bad_video_id").with("link", link)
            }
        }
    }
}

/// Reads a YouTube video link.
pub fn parse(link: &str) -> Result<VideoLink, YoutubeError> {
    let text = link.trim();
    if text.is_empty() || text.len() > MAX_LEN || text.chars().any(char::is_whitespace) {
        return Err(YoutubeError::NotAUrl);
    }
    let absolute = if text.starts_with("//") {
        format!("https:{text}")
    } else if text.contains("://") {
        text.to_string()
    } else {
        format!("https://{text}")
    };
    let url = url::Url::parse(&absolute).map_err(|_| YoutubeError::NotAUrl)?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(YoutubeError::NotYoutube(url.scheme().to_string()));
    }
    let host = url
        .host_str()
        .ok_or(YoutubeError::NotAUrl)?
        .to_ascii_lowercase();
    let bare = ["www.", "m.", "music."]
        .iter()
        .find_map(|prefix| host.strip_prefix(prefix))
        .unwrap_or(&host);
    let segments: Vec<&str> = url
        .path_segments()
        .map(|s| s.filter(|s| !s.is_empty()).collect())
        .unwrap_or_default();
    let query = |name: &str| {
        url.query_pairs()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.into_owned())
    };
    let id = match bare {
        "youtu.be" => segments.first().map(|s| (*s).to_string()),
        "youtube.com" | "youtube-nocookie.com" => match segments.as_slice() {
            ["watch", ..] => query("v"),
            ["shorts" | "live" | "embed" | "v" | "e", id, ..] => Some((*id).to_string()),
            _ => None,
        },
        _ => return Err(YoutubeError::NotYoutube(host)),
    };
    let id = id.ok_or(YoutubeError::NoVideoId)?;
    if id.len() != 11
        || !id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
    {
        return Err(YoutubeError::BadVideoId(id));
    }
    let start = query("t")
        .or_else(|| query("start"))
        .and_then(|t| seconds(&t));
    Ok(VideoLink { id, start })
}

/// A start time: `90`, `90s`, `1m30s`, `1h2m3s`. Anything else is ignored, not an error: a
/// bad start time does not make the video wrong.
fn seconds(text: &str) -> Option<u64> {
    if let Ok(plain) = text.parse::<u64>() {
        return Some(plain);
    }
    if text.is_empty() {
        return None;
    }
    let mut total: u64 = 0;
    let mut number = String::new();
    for c in text.chars() {
        if c.is_ascii_digit() {
            number.push(c);
            continue;
        }
        let unit = match c {
            'h' => 3600,
            'm' => 60,
            's' => 1,
            _ => return None,
        };
        let value: u64 = number.parse().ok()?;
        total = total.checked_add(value.checked_mul(unit)?)?;
        number.clear();
    }
    number.is_empty().then_some(total)
}

#[cfg(test)]
mod tests {
    use super::*;

    const ID: &str = "dQw4w9WgXcQ";

    fn check(input: &str, expected: Result<(&str, Option<u64>), YoutubeError>) {
        let got = parse(input);
        let expected = expected.map(|(id, start)| VideoLink {
            id: id.to_string(),
            start,
        });
        assert_eq!(got, expected, "{input:?}");
    }

    #[test]
    fn every_real_shape_is_accepted() {
        for input in [
            "https://www.youtube.com/watch?v=dQw4w9WgXcQ",
            "http://www.youtube.com/watch?v=dQw4w9WgXcQ",
            "https://youtube.com/watch?v=dQw4w9WgXcQ",
            "www.youtube.com/watch?v=dQw4w9WgXcQ",
            "youtube.com/watch?v=dQw4w9WgXcQ",
            "//www.youtube.com/watch?v=dQw4w9WgXcQ",
            "https://m.youtube.com/watch?v=dQw4w9WgXcQ",
            "https://music.youtube.com/watch?v=dQw4w9WgXcQ&feature=share",
            "HTTPS://WWW.YOUTUBE.COM/watch?v=dQw4w9WgXcQ",
            "https://www.youtube.com/watch?feature=youtu.be&v=dQw4w9WgXcQ",
            "https://www.youtube.com/watch?v=dQw4w9WgXcQ&list=PLx0sYbCqOb8TBPRdmBHs5Iftvv9TPboYG&index=2",
            "https://www.youtube.com/watch?v=dQw4w9WgXcQ&ab_channel=RickAstley",
            "https://www.youtube.com/watch?v=dQw4w9WgXcQ#comments",
            "  https://youtu.be/dQw4w9WgXcQ \n",
            "https://youtu.be/dQw4w9WgXcQ?si=B_RZg_I-lLaa7UU-",
            "youtu.be/dQw4w9WgXcQ",
            "https://www.youtube.com/shorts/dQw4w9WgXcQ",
            "https://youtube.com/shorts/dQw4w9WgXcQ?feature=share",
            "https://www.youtube.com/live/dQw4w9WgXcQ?si=abc",
            "https://www.youtube.com/embed/dQw4w9WgXcQ",
            "https://www.youtube-nocookie.com/embed/dQw4w9WgXcQ?rel=0",
            "https://www.youtube.com/v/dQw4w9WgXcQ",
            "https://www.youtube.com/e/dQw4w9WgXcQ",
            "https://www.youtube.com/watch/?v=dQw4w9WgXcQ",
        ] {
            check(input, Ok((ID, None)));
        }
        check(
            "https://www.youtube.com/watch?v=-_a1B2c3D4e",
            Ok(("-_a1B2c3D4e", None)),
        );
    }

    #[test]
    fn start_times_are_read_when_they_make_sense() {
        for (input, start) in [
            ("https://youtu.be/dQw4w9WgXcQ?t=42", Some(42)),
            (
                "https://www.youtube.com/watch?v=dQw4w9WgXcQ&t=90s",
                Some(90),
            ),
            (
                "https://www.youtube.com/watch?t=1m30s&v=dQw4w9WgXcQ",
                Some(90),
            ),
            (
                "https://www.youtube.com/watch?v=dQw4w9WgXcQ&t=1h2m3s",
                Some(3723),
            ),
            (
                "https://www.youtube.com/embed/dQw4w9WgXcQ?start=15",
                Some(15),
            ),
            ("https://youtu.be/dQw4w9WgXcQ?t=soon", None),
            ("https://youtu.be/dQw4w9WgXcQ?t=1m30", None),
            ("https://youtu.be/dQw4w9WgXcQ?t=", None),
            ("https://youtu.be/dQw4w9WgXcQ?t=99999999999999999999h", None),
        ] {
            check(input, Ok((ID, start)));
        }
        let link = parse("youtu.be/dQw4w9WgXcQ?t=90").ok();
        assert_eq!(
            link.as_ref().map(VideoLink::url).as_deref(),
            Some("https://www.youtube.com/watch?v=dQw4w9WgXcQ&t=90s")
        );
        assert_eq!(
            link.map(|l| l.thumbnail_url()).as_deref(),
            Some("https://i.ytimg.com/vi/dQw4w9WgXcQ/hqdefault.jpg")
        );
    }

    #[test]
    fn garbage_is_refused_with_a_reason() {
        use YoutubeError::*;
        let not_youtube = |host: &str| Err(NotYoutube(host.to_string()));
        for (input, expected) in [
            ("", Err(NotAUrl)),
            ("   ", Err(NotAUrl)),
            ("not a link", Err(NotAUrl)),
            ("https://youtu.be/dQw4w9WgXcQ\nand some text", Err(NotAUrl)),
            ("https://", Err(NotAUrl)),
            ("http://[::1", Err(NotAUrl)),
            ("ftp://youtube.com/watch?v=dQw4w9WgXcQ", not_youtube("ftp")),
            ("javascript:alert(1)", Err(NotAUrl)),
            ("https://twitch.tv/videos/12345", not_youtube("twitch.tv")),
            ("https://vimeo.com/dQw4w9WgXcQ", not_youtube("vimeo.com")),
            (
                "https://youtube.com.evil.example/watch?v=dQw4w9WgXcQ",
                not_youtube("youtube.com.evil.example"),
            ),
            (
                "https://notyoutube.com/watch?v=dQw4w9WgXcQ",
                not_youtube("notyoutube.com"),
            ),
            (
                "https://www.www.youtube.com/watch?v=dQw4w9WgXcQ",
                not_youtube("www.www.youtube.com"),
            ),
            ("https://www.youtube.com/", Err(NoVideoId)),
            ("https://youtu.be/", Err(NoVideoId)),
            ("https://www.youtube.com/watch", Err(NoVideoId)),
            ("https://www.youtube.com/watch?list=PL123", Err(NoVideoId)),
            (
                "https://www.youtube.com/playlist?list=PL123",
                Err(NoVideoId),
            ),
            ("https://www.youtube.com/@RickAstleyYT", Err(NoVideoId)),
            (
                "https://www.youtube.com/channel/UCuAXFkgsw1L7xaCfnd5JJOw",
                Err(NoVideoId),
            ),
            ("https://www.youtube.com/shorts/", Err(NoVideoId)),
            (
                "https://www.youtube.com/watch?v=dQw4w9WgXc",
                Err(BadVideoId("dQw4w9WgXc".into())),
            ),
            (
                "https://www.youtube.com/watch?v=dQw4w9WgXcQQ",
                Err(BadVideoId("dQw4w9WgXcQQ".into())),
            ),
            (
                "https://youtu.be/dQw4w9Wg%21cQ",
                Err(BadVideoId("dQw4w9Wg%21cQ".into())),
            ),
            (
                "https://www.youtube.com/watch?v=dQw4w9Wg!cQ",
                Err(BadVideoId("dQw4w9Wg!cQ".into())),
            ),
            (
                "https://www.youtube.com/watch?v=",
                Err(BadVideoId(String::new())),
            ),
            (
                "https://www.youtube.com/embed/ЁЁЁЁЁЁЁЁЁЁЁ",
                Err(BadVideoId(
                    "%D0%81%D0%81%D0%81%D0%81%D0%81%D0%81%D0%81%D0%81%D0%81%D0%81%D0%81".into(),
                )),
            ),
        ] {
            assert_eq!(parse(input), expected, "{input:?}");
        }
        let long = format!("https://youtu.be/dQw4w9WgXcQ?x={}", "a".repeat(MAX_LEN));
        assert_eq!(parse(&long), Err(NotAUrl));
        assert_eq!(
            NoVideoId.message("  https://youtu.be/ ").params(),
            [("link", "https://youtu.be/")]
        );
    }
}
