//! First-run setup: a one-time link and the form that stores the Discord and osu! credentials.
//!
//! The token is 256 random bits, printed once and stored only as its SHA-256, expiring after
//! [`TOKEN_LIFETIME_SECS`]. Issuing a new one replaces the old, at each start and, while setup is
//! not done, when it expires ([`renew_if_expired`]). Completing setup stores every value, marks
//! setup done and deletes the token in one transaction; from then on `/setup/…` is 404.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::config::{BaseUrl, Secret, SettingType, Snowflake};
use crate::i18n::{Catalogue, Lang};
use crate::store::{META, Read, Store, StoreError, Table, Writer};

/// The pending setup token (key `current`), stored as a hash.
pub(crate) const SETUP_TOKEN: Table<str, crate::web::setup::SetupToken> = Table::new("setup_token");

/// The setup token's row (its hash): never in a copy that leaves the machine.
pub fn secret_rows() -> Vec<crate::store::Redaction> {
    vec![crate::store::Redaction::table(&SETUP_TOKEN)]
}

/// How long a setup link works.
pub const TOKEN_LIFETIME_SECS: i64 = 30 * 60;

/// The stored form of a setup token.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct SetupToken {
    hash: [u8; 32],
    expires_at: i64,
}

/// What a presented token turned out to be.
#[derive(Debug, PartialEq, Eq)]
pub enum TokenCheck {
    Valid,
    Expired,
    /// Unknown, used, or setup is already complete.
    Invalid,
}

fn hash(token: &str) -> [u8; 32] {
    Sha256::digest(token.as_bytes()).into()
}

/// The key of `stagehand_meta` holding when the setup page was completed; absent before.
const COMPLETED_AT: &str = "setup_completed_at";

/// The unix time the setup page was completed, if it was.
pub fn completed_at(r: &impl Read) -> Result<Option<u64>, StoreError> {
    r.get(&META, COMPLETED_AT)
}

pub fn is_complete(store: &Store) -> Result<bool, StoreError> {
    Ok(store.read(completed_at)?.is_some())
}

/// Makes a new setup token valid from `now`, replacing any earlier one, and returns it.
pub fn issue(store: &Store, now: i64) -> Result<String, StoreError> {
    store.write(|w| replace(w, now))
}

/// Stores a new token valid from `now` in place of the current one, and returns it.
fn replace(w: &mut Writer, now: i64) -> Result<String, StoreError> {
    let mut bytes = [0u8; 32];
    rand::fill(&mut bytes);
    let token: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    let stored = SetupToken {
        hash: hash(&token),
        expires_at: now + TOKEN_LIFETIME_SECS,
    };
    w.insert(&SETUP_TOKEN, "current", &stored)?;
    Ok(token)
}

/// What [`renew_if_expired`] found.
#[derive(Debug, PartialEq, Eq)]
pub enum Renewal {
    /// Setup is done: there is no link to keep alive.
    Complete,
    /// The current token has not expired.
    Valid,
    /// The token had expired: this fresh one replaced it, so the old one is dead.
    Renewed(String),
}

/// While setup is not done, replaces an expired token (or a missing one) with a fresh one valid
/// from `now`. Looking is a read; only a renewal writes, and it looks again in its transaction, so
/// a setup completed meanwhile never gets a new token.
pub fn renew_if_expired(store: &Store, now: i64) -> Result<Renewal, StoreError> {
    if let Some(standing) = store.read(|r| standing(r, now))? {
        return Ok(standing);
    }
    store.write(|w| match standing(w, now)? {
        Some(standing) => Ok(standing),
        None => replace(w, now).map(Renewal::Renewed),
    })
}

/// [`Renewal::Complete`] or [`Renewal::Valid`]; `None` when the token must be renewed.
fn standing(r: &impl Read, now: i64) -> Result<Option<Renewal>, StoreError> {
    if completed_at(r)?.is_some() {
        return Ok(Some(Renewal::Complete));
    }
    let token: Option<SetupToken> = r.get(&SETUP_TOKEN, "current")?;
    Ok(token
        .filter(|token| now < token.expires_at)
        .map(|_| Renewal::Valid))
}

pub fn check(store: &Store, token: &str, now: i64) -> Result<TokenCheck, StoreError> {
    store.read(|r| {
        if completed_at(r)?.is_some() {
            return Ok(TokenCheck::Invalid);
        }
        Ok(classify(r.get(&SETUP_TOKEN, "current")?, token, now))
    })
}

fn classify(stored: Option<SetupToken>, token: &str, now: i64) -> TokenCheck {
    match stored {
        Some(stored) if stored.hash == hash(token) => {
            if now < stored.expires_at {
                TokenCheck::Valid
            } else {
                TokenCheck::Expired
            }
        }
        _ => TokenCheck::Invalid,
    }
}

/// The validated contents of the setup form.
pub struct SetupValues {
    discord_token: Secret,
    application_id: Snowflake,
    guild_id: Snowflake,
    public_url: BaseUrl,
    league: bool,
    requests: bool,
    osu: Option<(u64, Secret)>,
}

impl SetupValues {
    pub fn application_id(&self) -> u64 {
        self.application_id.0
    }

    /// The text keys of the enabled modules' names (`web.setup.done.*`).
    pub fn module_keys(&self) -> Vec<&'static str> {
        let mut keys = Vec::new();
        if self.league {
            keys.push("web.setup.done.league");
        }
        if self.requests {
            keys.push("web.setup.done.requests");
        }
        keys
    }
}

/// The form as it was sent (secrets left out), and what is wrong with each field: the key of
/// its message (`web.setup.error.*`), empty when nothing is.
#[derive(Default, Serialize)]
pub struct FormState {
    pub values: BTreeMap<&'static str, String>,
    pub errors: BTreeMap<&'static str, String>,
}

/// The message of a field left empty; it names the field by its label, `web.setup.label.<field>`.
const REQUIRED: &str = "web.setup.error.required";

/// Every field of the form; the template expects each key in `values` and `errors`.
const FIELDS: &[&str] = &[
    "discord_token",
    "application_id",
    "guild_id",
    "public_url",
    "module_league",
    "module_requests",
    "osu_client_id",
    "osu_client_secret",
    "modules",
];
const SECRET_FIELDS: &[&str] = &["discord_token", "osu_client_secret"];

impl FormState {
    /// An empty form with `public_url` suggested.
    pub fn blank(public_url: &str) -> FormState {
        let mut state = FormState::from_pairs(Vec::new());
        state.values.insert("public_url", public_url.to_string());
        state.values.insert("module_league", "on".into());
        state.values.insert("module_requests", "on".into());
        state
    }

    fn from_pairs(pairs: Vec<(String, String)>) -> FormState {
        let mut state = FormState::default();
        for field in FIELDS {
            state.errors.insert(field, String::new());
            let sent = pairs
                .iter()
                .rev()
                .find(|(k, _)| k == field)
                .map(|(_, v)| v.trim().to_string());
            state.values.insert(field, sent.unwrap_or_default());
        }
        state
    }

    fn value(&self, field: &'static str) -> &str {
        self.values.get(field).map_or("", String::as_str)
    }

    fn reject(&mut self, field: &'static str, message: impl Into<String>) {
        self.errors.insert(field, message.into());
    }

    pub fn error_count(&self) -> usize {
        self.errors.values().filter(|e| !e.is_empty()).count()
    }

    /// Each field's error message in `lang` (empty when it has none).
    pub fn messages(&self, texts: &Catalogue, lang: Lang) -> BTreeMap<&'static str, String> {
        let message = |field: &str, key: &str| match key {
            "" => String::new(),
            REQUIRED => {
                let label = texts.render(lang, &format!("web.setup.label.{field}"), &[]);
                texts.render(lang, REQUIRED, &[("field", &label)])
            }
            key => texts.render(lang, key, &[]),
        };
        self.errors
            .iter()
            .map(|(field, key)| (*field, message(field, key)))
            .collect()
    }

    /// The value of `field` parsed, or `None` with the field marked: required when it is empty,
    /// else `web.setup.error.<field>`.
    fn field<T>(
        &mut self,
        field: &'static str,
        parse: impl FnOnce(&str) -> Option<T>,
    ) -> Option<T> {
        let text = self.value(field).to_string();
        if text.is_empty() {
            self.reject(field, REQUIRED);
            return None;
        }
        let value = parse(&text);
        if value.is_none() {
            self.reject(field, format!("web.setup.error.{field}"));
        }
        value
    }
}

/// Parses and validates a submitted form (`application/x-www-form-urlencoded`).
pub fn validate(body: &[u8]) -> Result<SetupValues, FormState> {
    let pairs = form_urlencoded::parse(body)
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect();
    let mut form = FormState::from_pairs(pairs);
    let discord_token = form.field("discord_token", parse_discord_token);
    let application_id = form.field("application_id", |t| Snowflake::parse(t).ok());
    let guild_id = form.field("guild_id", |t| Snowflake::parse(t).ok());
    let public_url = form.field("public_url", |t| BaseUrl::parse(t).ok());
    let league = form.value("module_league") == "on";
    let requests = form.value("module_requests") == "on";
    if !league && !requests {
        form.reject("modules", "web.setup.error.modules");
    }
    let osu = if league {
        let id = form.field("osu_client_id", |t| {
            t.parse::<u64>().ok().filter(|id| *id > 0)
        });
        let secret = form.field("osu_client_secret", |t| Secret::parse(t).ok());
        id.zip(secret)
    } else {
        None
    };
    for secret in SECRET_FIELDS {
        form.values.insert(secret, String::new());
    }
    match (discord_token, application_id, guild_id, public_url) {
        (Some(discord_token), Some(application_id), Some(guild_id), Some(public_url))
            if form.error_count() == 0 =>
        {
            Ok(SetupValues {
                discord_token,
                application_id,
                guild_id,
                public_url,
                league,
                requests,
                osu,
            })
        }
        _ => Err(form),
    }
}

/// A bot token is three dot-separated parts of base64url text.
fn parse_discord_token(text: &str) -> Option<Secret> {
    let parts: Vec<&str> = text.split('.').collect();
    let base64url = |p: &&str| {
        !p.is_empty()
            && p.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
    };
    if text.len() > 200 || parts.len() != 3 || !parts.iter().all(base64url) {
        return None;
    }
    Secret::parse(text).ok()
}

/// Outcome of [`complete`].
#[derive(Debug, PartialEq, Eq)]
pub enum Completion {
    Done,
    /// The token stopped being valid (used by a concurrent submission, or expired) meanwhile.
    TokenGone(TokenCheck),
}

/// Stores the values, marks setup complete and kills the token, all in one transaction.
pub fn complete(
    store: &Store,
    token: &str,
    values: &SetupValues,
    now: i64,
) -> Result<Completion, StoreError> {
    store.write(|w| {
        let state = match completed_at(w)? {
            Some(_) => TokenCheck::Invalid,
            None => classify(w.get(&SETUP_TOKEN, "current")?, token, now),
        };
        if state != TokenCheck::Valid {
            return Ok(Completion::TokenGone(state));
        }
        let mut rows = vec![
            ("discord.token", values.discord_token.expose().to_string()),
            (
                "discord.application_id",
                values.application_id.0.to_string(),
            ),
            ("discord.guild_id", values.guild_id.0.to_string()),
            ("public_url", values.public_url.as_str().to_string()),
            ("modules.league", values.league.to_string()),
            ("modules.requests", values.requests.to_string()),
        ];
        if let Some((id, secret)) = &values.osu {
            rows.push(("osu.client_id", id.to_string()));
            rows.push(("osu.client_secret", secret.expose().to_string()));
        }
        for (key, value) in rows {
            crate::config::save(w, key, &value)?;
        }
        w.insert(&META, COMPLETED_AT, &u64::try_from(now).unwrap_or(0))?;
        w.remove(&SETUP_TOKEN, "current")?;
        Ok(Completion::Done)
    })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    const GOOD: &str = "discord_token=MTAx.GhIj.abc_DEF-123&application_id=101&guild_id=202\
        &public_url=https%3A%2F%2Fbot.example.org&module_league=on&osu_client_id=42&osu_client_secret=s3cret";

    fn errors(body: &str) -> BTreeMap<&'static str, String> {
        let form = validate(body.as_bytes()).err().unwrap();
        form.errors
            .into_iter()
            .filter(|(_, e)| !e.is_empty())
            .collect()
    }

    #[test]
    fn a_good_form_validates() {
        let values = validate(GOOD.as_bytes()).ok().unwrap();
        assert_eq!(values.module_keys(), ["web.setup.done.league"]);
        assert_eq!(values.public_url.as_str(), "https://bot.example.org");
    }

    #[test]
    fn each_bad_field_is_named() {
        let cases = [
            (
                "",
                vec![
                    "application_id",
                    "discord_token",
                    "guild_id",
                    "modules",
                    "public_url",
                ],
            ),
            (
                &GOOD.replace("guild_id=202", "guild_id=abc")[..],
                vec!["guild_id"],
            ),
            (
                &GOOD.replace("guild_id=202", "guild_id=0")[..],
                vec!["guild_id"],
            ),
            (
                &GOOD.replace(
                    "application_id=101",
                    "application_id=123456789012345678901234",
                )[..],
                vec!["application_id"],
            ),
            (
                &GOOD.replace("MTAx.GhIj.abc_DEF-123", "just-a-secret")[..],
                vec!["discord_token"],
            ),
            (
                &GOOD.replace("MTAx.GhIj.abc_DEF-123", "a..b")[..],
                vec!["discord_token"],
            ),
            (
                &GOOD.replace("https%3A%2F%2Fbot.example.org", "not a url")[..],
                vec!["public_url"],
            ),
            (
                &GOOD.replace("https%3A%2F%2Fbot.example.org", "javascript%3Aalert(1)")[..],
                vec!["public_url"],
            ),
            (&GOOD.replace("&module_league=on", "")[..], vec!["modules"]),
            (
                &GOOD.replace("osu_client_id=42", "osu_client_id=-4")[..],
                vec!["osu_client_id"],
            ),
            (
                &GOOD.replace("osu_client_secret=s3cret", "osu_client_secret=")[..],
                vec!["osu_client_secret"],
            ),
            (
                "%FF%FE=%00&&&==",
                vec![
                    "application_id",
                    "discord_token",
                    "guild_id",
                    "modules",
                    "public_url",
                ],
            ),
        ];
        for (body, expected) in cases {
            let found: Vec<_> = errors(body).into_keys().collect();
            assert_eq!(found, expected, "{body}");
        }
    }

    #[test]
    fn each_error_has_a_message_in_both_languages() {
        let texts = Catalogue::defaults();
        let form = validate(b"guild_id=x&module_league=on&osu_client_id=0")
            .err()
            .unwrap();
        let en = form.messages(&texts, Lang::En);
        assert_eq!(en["discord_token"], "Bot token is required.");
        assert!(
            en["guild_id"].starts_with("Expected a Discord id"),
            "{en:?}"
        );
        assert!(
            en["osu_client_id"].starts_with("Expected the number"),
            "{en:?}"
        );
        assert_eq!(en["application_id"], "Application id is required.");
        assert_eq!(en["modules"], "");
        let ru = form.messages(&texts, Lang::Ru);
        assert_eq!(ru["discord_token"], "Поле «Токен бота» обязательно.");
        assert!(ru["guild_id"].starts_with("Нужен ID Discord"), "{ru:?}");
        // Every message key a field can get exists in both languages.
        let parsed = [
            "discord_token",
            "application_id",
            "guild_id",
            "public_url",
            "osu_client_id",
            "osu_client_secret",
        ];
        let keys = parsed
            .iter()
            .flat_map(|f| {
                [
                    format!("web.setup.error.{f}"),
                    format!("web.setup.label.{f}"),
                ]
            })
            .chain([REQUIRED.to_string(), "web.setup.error.modules".to_string()]);
        for key in keys {
            for lang in Lang::ALL {
                assert_ne!(texts.render(lang, &key, &[]), key, "{key} in {lang:?}");
            }
        }
    }

    #[test]
    fn osu_fields_are_optional_without_the_league() {
        let body = "discord_token=a.b.c&application_id=1&guild_id=2&public_url=https%3A%2F%2Fx.org&module_requests=on";
        assert!(validate(body.as_bytes()).is_ok());
    }

    #[test]
    fn secrets_are_never_echoed_back() {
        let form = validate(GOOD.replace("guild_id=202", "guild_id=x").as_bytes())
            .err()
            .unwrap();
        assert_eq!(form.values["discord_token"], "");
        assert_eq!(form.values["osu_client_secret"], "");
        assert_eq!(form.values["application_id"], "101");
    }

    #[test]
    fn tokens_expire_die_on_reissue_and_work_once() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&dir.path().join("s.redb"), &Default::default()).unwrap();
        let first = issue(&store, 1_000).unwrap();
        assert_eq!(first.len(), 64);
        assert_eq!(check(&store, &first, 1_000).unwrap(), TokenCheck::Valid);
        assert_eq!(
            check(&store, &first, 1_000 + TOKEN_LIFETIME_SECS).unwrap(),
            TokenCheck::Expired
        );
        assert_eq!(check(&store, "00", 1_000).unwrap(), TokenCheck::Invalid);

        let second = issue(&store, 2_000).unwrap();
        assert_eq!(check(&store, &first, 2_000).unwrap(), TokenCheck::Invalid);
        let values = validate(GOOD.as_bytes()).ok().unwrap();
        assert_eq!(
            complete(&store, &second, &values, 2_000 + TOKEN_LIFETIME_SECS).unwrap(),
            Completion::TokenGone(TokenCheck::Expired)
        );
        assert!(!is_complete(&store).unwrap());
        assert_eq!(store.read(crate::config::saved).unwrap().len(), 0);

        assert_eq!(
            complete(&store, &second, &values, 2_001).unwrap(),
            Completion::Done
        );
        assert!(is_complete(&store).unwrap());
        assert_eq!(check(&store, &second, 2_001).unwrap(), TokenCheck::Invalid);
        assert_eq!(
            complete(&store, &second, &values, 2_001).unwrap(),
            Completion::TokenGone(TokenCheck::Invalid)
        );
        let saved = store.read(crate::config::saved).unwrap();
        let saved = saved
            .iter()
            .find(|(key, _)| key == "osu.client_secret")
            .map(|(_, value)| value.as_str());
        assert_eq!(saved, Some("s3cret"));
    }

    #[test]
    fn an_expired_token_is_renewed_until_setup_is_done() {
        let (_dir, store) = Store::temporary();
        let first = issue(&store, 1_000).unwrap();
        let expiry = 1_000 + TOKEN_LIFETIME_SECS;
        assert_eq!(
            renew_if_expired(&store, expiry - 1).unwrap(),
            Renewal::Valid
        );
        assert_eq!(
            check(&store, &first, expiry - 1).unwrap(),
            TokenCheck::Valid
        );

        let Renewal::Renewed(second) = renew_if_expired(&store, expiry).unwrap() else {
            panic!("an expired token is renewed");
        };
        assert_ne!(second, first);
        assert_eq!(check(&store, &first, expiry).unwrap(), TokenCheck::Invalid);
        assert_eq!(check(&store, &second, expiry).unwrap(), TokenCheck::Valid);
        assert_eq!(renew_if_expired(&store, expiry).unwrap(), Renewal::Valid);

        let values = validate(GOOD.as_bytes()).ok().unwrap();
        assert_eq!(
            complete(&store, &second, &values, expiry).unwrap(),
            Completion::Done
        );
        assert_eq!(
            renew_if_expired(&store, expiry + 10 * TOKEN_LIFETIME_SECS).unwrap(),
            Renewal::Complete,
            "no token once setup is done"
        );
        assert!(
            store
                .read(|r| r.get(&SETUP_TOKEN, "current"))
                .unwrap()
                .is_none()
        );
    }
}
