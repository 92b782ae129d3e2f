//! Initial responses to interactions, posted straight to Discord's callback endpoint.
//!
//! serenity's `Http` sends every request through its ratelimiter: a global lock, a map of
//! buckets behind one write lock that every concurrent request takes, a bucket per interaction
//! (which 0.12.5 keeps for good) and a copy of the body. An interaction's initial response is one
//! request on its own token, outside the bot's rate limits, and it races a 3 s deadline, so it
//! skips all that: one POST on the same HTTP client (same connections, proxy and certificates).
//! Everything after it (edits, follow-ups) still goes through serenity.

use std::time::Duration;

use bytes::Bytes;
use reqwest::StatusCode;
use reqwest::header::{AUTHORIZATION, CONTENT_TYPE, HeaderValue, InvalidHeaderValue, USER_AGENT};
use reqwest::multipart::{Form, Part};
use serde_json::Value;
use serenity::all::{CreateInteractionResponse, InteractionId};
use serenity::http::Route;

use crate::outbox::File;

/// How many times a rate-limited response is tried before the answer is given up.
const ATTEMPTS: u32 = 3;
/// The longest wait for a rate limit to pass: past it the 3 s window is gone anyway.
const LONGEST_WAIT: Duration = Duration::from_secs(3);

/// Posts initial responses; cheap to clone.
#[derive(Clone)]
pub struct Callbacks {
    client: reqwest::Client,
    /// `Bot <token>`, as on every other request the bot makes (the fake Discord checks it).
    authorization: HeaderValue,
}

#[derive(Debug, thiserror::Error)]
pub enum CallbackError {
    #[error("the response could not be encoded: {0}")]
    Encode(#[from] serde_json::Error),
    #[error("the response did not reach Discord: {0}")]
    Http(#[from] reqwest::Error),
    #[error("Discord refused the response ({status}): {body}")]
    Refused { status: StatusCode, body: String },
}

impl Callbacks {
    /// `authorization` is serenity's `Http::token()`, `Bot ` prefix included.
    pub fn new(
        client: reqwest::Client,
        authorization: &str,
    ) -> Result<Callbacks, InvalidHeaderValue> {
        let mut authorization = HeaderValue::from_str(authorization)?;
        authorization.set_sensitive(true);
        Ok(Callbacks {
            client,
            authorization,
        })
    }

    /// Posts `response` (with `files`, the attachments its message names) as the initial
    /// response to interaction `id`. A 429 is waited out, up to [`ATTEMPTS`] tries.
    pub async fn send(
        &self,
        id: InteractionId,
        token: &str,
        response: &CreateInteractionResponse,
        files: &[File],
    ) -> Result<(), CallbackError> {
        let url = Route::InteractionResponse {
            interaction_id: id,
            token,
        }
        .path();
        let payload = payload(response, !files.is_empty())?;
        let mut attempt = 1;
        loop {
            let request = self
                .client
                .post(url.as_ref())
                .header(USER_AGENT, serenity::constants::USER_AGENT)
                .header(AUTHORIZATION, self.authorization.clone());
            let request = if files.is_empty() {
                request
                    .header(CONTENT_TYPE, "application/json")
                    .body(payload.clone())
            } else {
                request.multipart(form(&payload, files))
            };
            let answer = request.send().await?;
            let status = answer.status();
            if status.is_success() {
                return Ok(());
            }
            let body = answer.bytes().await?;
            if status == StatusCode::TOO_MANY_REQUESTS && attempt < ATTEMPTS {
                let wait = retry_after(&body);
                tracing::warn!(?wait, "an interaction response was rate limited; retrying");
                tokio::time::sleep(wait).await;
                attempt += 1;
                continue;
            }
            return Err(CallbackError::Refused {
                status,
                body: String::from_utf8_lossy(&body).into_owned(),
            });
        }
    }
}

/// The JSON body. With files, its message's attachments are numbered in order, matching the
/// `files[n]` parts of [`form`] (serenity numbers them only on its own send path).
fn payload(response: &CreateInteractionResponse, files: bool) -> Result<Bytes, serde_json::Error> {
    if !files {
        return serde_json::to_vec(response).map(Bytes::from);
    }
    let mut json = serde_json::to_value(response)?;
    if let Some(list) = json
        .pointer_mut("/data/attachments")
        .and_then(Value::as_array_mut)
    {
        for (index, attachment) in list.iter_mut().enumerate() {
            attachment["id"] = index.into();
        }
    }
    serde_json::to_vec(&json).map(Bytes::from)
}

/// A multipart body: the files as `files[n]`, the JSON as `payload_json`.
fn form(payload: &Bytes, files: &[File]) -> Form {
    let text = String::from_utf8_lossy(payload).into_owned();
    files
        .iter()
        .enumerate()
        .fold(Form::new(), |form, (index, file)| {
            let part = || Part::bytes(file.bytes.clone()).file_name(file.name.clone());
            let part = match file.name.rsplit_once('.') {
                Some((_, "png")) => part().mime_str("image/png").unwrap_or_else(|_| part()),
                _ => part(),
            };
            form.part(format!("files[{index}]"), part)
        })
        .text("payload_json", text)
}

/// How long a 429 asks to wait (`retry_after`, in seconds, in its JSON body); a second when the
/// body does not say, at most [`LONGEST_WAIT`].
fn retry_after(body: &[u8]) -> Duration {
    serde_json::from_slice::<Value>(body)
        .ok()
        .and_then(|json| json.get("retry_after")?.as_f64())
        .filter(|secs| secs.is_finite() && *secs >= 0.0)
        .map_or(Duration::from_secs(1), Duration::from_secs_f64)
        .min(LONGEST_WAIT)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use crate::discord::convert;
    use crate::outbox::Message;

    #[test]
    fn a_rate_limits_wait_comes_from_its_body_and_garbage_waits_a_second() {
        let wait = |body: &str| retry_after(body.as_bytes());
        assert_eq!(
            wait(
                r#"{"message": "You are being rate limited.", "retry_after": 0.25, "global": false}"#
            ),
            Duration::from_millis(250)
        );
        assert_eq!(wait(r#"{"retry_after": 0}"#), Duration::ZERO);
        assert_eq!(wait(r#"{"retry_after": 3600}"#), LONGEST_WAIT);
        for garbage in [
            "",
            "<html>429 Too Many Requests</html>",
            "{}",
            r#"{"retry_after": "soon"}"#,
            r#"{"retry_after": -2}"#,
            r#"{"retry_after": null}"#,
            "[0.5]",
        ] {
            assert_eq!(wait(garbage), Duration::from_secs(1), "{garbage:?}");
        }
    }

    #[test]
    fn a_token_that_cannot_be_a_header_is_refused() {
        let client = reqwest::Client::new();
        assert!(Callbacks::new(client.clone(), "Bot abc.def").is_ok());
        for garbage in ["Bot abc\ndef", "Bot abc\r\nX-Evil: 1", "Bot \u{7f}"] {
            assert!(
                Callbacks::new(client.clone(), garbage).is_err(),
                "{garbage:?}"
            );
        }
    }

    #[test]
    fn a_response_without_files_is_plain_json() {
        let response = CreateInteractionResponse::Message(convert::response(
            &Message::text("hello").ephemeral(),
        ));
        let json: Value = serde_json::from_slice(&payload(&response, false).unwrap()).unwrap();
        assert_eq!(json["type"], 4);
        assert_eq!(json["data"]["content"], "hello");
        assert_eq!(json["data"]["flags"], 64);
        assert_eq!(json, serde_json::to_value(&response).unwrap());
    }

    #[test]
    fn attachments_are_numbered_as_the_parts_that_carry_them() {
        let mut message = Message::text("two tables");
        for name in ["first.png", "second.png"] {
            message.files.push(File {
                name: name.into(),
                bytes: vec![1, 2, 3],
            });
        }
        let response = CreateInteractionResponse::Message(convert::response(&message));
        let json: Value = serde_json::from_slice(&payload(&response, true).unwrap()).unwrap();
        let attachments = json["data"]["attachments"].as_array().unwrap();
        let listed: Vec<(u64, &str)> = attachments
            .iter()
            .map(|a| (a["id"].as_u64().unwrap(), a["filename"].as_str().unwrap()))
            .collect();
        assert_eq!(listed, [(0, "first.png"), (1, "second.png")]);
    }
}
