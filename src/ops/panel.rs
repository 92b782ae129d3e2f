//! `stagehand control-panel on --staff ID | rotate | off | status`: the Control Panel API's switch
//! and key from the command line (`requests::panel`), for an admin at the server's console.
//! Through the admin socket when `serve` runs (it holds the store), else on the store directly.
//! The key is printed once, to the person who asked; each change is recorded (by "bot": the
//! console has no Discord user) with its audit event.

use crate::audit::{Actor, Change};
use crate::config::{SettingType as _, Snowflake};
use crate::requests::panel;
use crate::store::Store;

/// One request of `stagehand control-panel`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Request {
    /// Turn on for this staff member, with a new key.
    On {
        staff: u64,
    },
    Rotate,
    Off,
    Status,
}

impl Request {
    /// The request as the admin socket carries it: `panel on <staff>`, `panel rotate`, ….
    pub fn line(self) -> String {
        match self {
            Request::On { staff } => format!("panel on {staff}"),
            Request::Rotate => "panel rotate".into(),
            Request::Off => "panel off".into(),
            Request::Status => "panel status".into(),
        }
    }

    /// Reads what follows `panel ` on the admin socket.
    pub fn parse(words: &str) -> anyhow::Result<Request> {
        match words.split_once(' ').unwrap_or((words, "")) {
            ("on", staff) => {
                let staff = Snowflake::parse(staff.trim())
                    .map_err(|why| anyhow::anyhow!("--staff: {why}"))?;
                Ok(Request::On { staff: staff.0 })
            }
            ("rotate", "") => Ok(Request::Rotate),
            ("off", "") => Ok(Request::Off),
            ("status", "") => Ok(Request::Status),
            _ => anyhow::bail!("expected `panel on <staff id>`, `rotate`, `off` or `status`"),
        }
    }
}

/// Runs `request` on `store` at `now`; the lines to print. `base_url` is where the server is
/// reached (the panel's base URL is it plus `/control-panel`).
pub fn run(
    store: &Store,
    request: Request,
    base_url: &str,
    now: i64,
) -> anyhow::Result<Vec<String>> {
    let url = format!("{base_url}{}", panel::PATH);
    let shown = |key: panel::Key, staff: u64| {
        vec![
            format!(
                "The Control Panel API is on; what the panel does is done as Discord user {staff}."
            ),
            format!("Base URL: {url}"),
            "Key, shown only now (Stagehand keeps only its hash):".to_string(),
            key.0,
            "Anyone with this key resolves requests in that user's name: keep it in the panel's \
             settings only. `stagehand control-panel rotate` replaces it."
                .to_string(),
        ]
    };
    Ok(match request {
        Request::On { staff } => {
            let key = store.write(|w| panel::turn_on(w, Actor::Bot, staff, now))?;
            shown(key, staff)
        }
        Request::Rotate => match store.write(|w| panel::rotate(w, Actor::Bot, now))? {
            Some((key, staff)) => shown(key, staff),
            None => anyhow::bail!(
                "the Control Panel API is off: `stagehand control-panel on --staff ID` turns it on"
            ),
        },
        Request::Off => match store.write(|w| panel::turn_off(w, Actor::Bot, now))? {
            Change::Applied(_) => {
                vec!["The Control Panel API is off; its key no longer works.".into()]
            }
            Change::NoEffect => vec!["The Control Panel API was already off.".into()],
        },
        Request::Status => match store.read(panel::current)? {
            Some(access) => vec![
                format!(
                    "The Control Panel API is on for Discord user {}, with a key made at {} (unix time).",
                    access.staff, access.since
                ),
                format!("Base URL: {url}"),
            ],
            None => vec!["The Control Panel API is off.".into()],
        },
    })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn requests_cross_the_socket_and_bad_ones_are_refused() {
        for request in [
            Request::On { staff: 42 },
            Request::Rotate,
            Request::Off,
            Request::Status,
        ] {
            let line = request.line();
            let words = line.strip_prefix("panel ").unwrap();
            assert_eq!(Request::parse(words).unwrap(), request);
        }
        for bad in ["on", "on 0", "on x", "rotate now", "nothing", ""] {
            assert!(Request::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn the_key_is_printed_once_and_works() {
        let (_dir, store) = Store::temporary();
        let lines = run(&store, Request::Status, "https://bot.example.org", 0).unwrap();
        assert_eq!(lines, ["The Control Panel API is off."]);
        assert!(run(&store, Request::Rotate, "https://x", 0).is_err());
        let lines = run(
            &store,
            Request::On { staff: 42 },
            "https://bot.example.org",
            5,
        )
        .unwrap();
        assert_eq!(lines[1], "Base URL: https://bot.example.org/control-panel");
        let key = &lines[3];
        assert_eq!(
            store.read(|r| panel::check(r, key)).unwrap(),
            panel::KeyCheck::Staff(42)
        );
        let status = run(&store, Request::Status, "https://x", 6).unwrap();
        assert!(status[0].contains("on for Discord user 42"), "{status:?}");
        let off = run(&store, Request::Off, "https://x", 7).unwrap();
        assert_eq!(
            off,
            ["The Control Panel API is off; its key no longer works."]
        );
        assert_eq!(
            store.read(|r| panel::check(r, key)).unwrap(),
            panel::KeyCheck::Off
        );
    }
}
