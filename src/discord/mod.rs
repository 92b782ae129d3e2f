//! The Discord shell: the only module that knows serenity.
//!
//! It starts the client and follows gateway events ([`client`]), registers the slash commands
//! ([`register`]), turns interactions into plain `bot::Invocation`s and `bot::dispatch`'s plain
//! `bot::Outcome`s back into API calls ([`interactions`], [`callback`], [`convert`]), and delivers the
//! outbox ([`delivery`]); it answers the questions handlers ask Discord ([`lookup`]). With
//! `discord.proxy` set, the gateway goes through the proxy too ([`gateway_proxy`]). Everything it
//! sends passes `outbox::prepare` (Discord's limits) first.
//! The application behind it (`bot/`) never sees serenity types.

mod callback;
mod client;
mod convert;
mod delivery;
mod gateway_proxy;
mod interactions;
mod lookup;
mod register;

pub use client::{Shared, supervise};
pub use delivery::{ATTEMPTS, DeliveryError, Nonces, deliver};
pub use register::FINGERPRINT as COMMANDS_FINGERPRINT;

/// serenity wraps every REST request in INFO spans whose fields are the request itself, body
/// bytes included (`#[instrument]` on `Http::request`, `Ratelimiter::perform`, `Request::build`).
/// Formatting them cost three times the rest of answering an interaction (`cargo xtask bench
/// discord`: 241 µs against 83 µs of CPU per `/help`), so the log leaves its spans out; its events
/// still pass the filter.
pub fn is_serenity_span(meta: &tracing::Metadata<'_>) -> bool {
    meta.is_span() && meta.target().starts_with("serenity")
}

#[cfg(test)]
mod tests {
    use std::io::Write;
    use std::sync::{Arc, Mutex};

    /// A log writer that keeps what it is given.
    #[derive(Clone, Default)]
    struct Captured(Arc<Mutex<Vec<u8>>>);

    impl Write for Captured {
        fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
            self.0.lock().expect("log buffer").extend_from_slice(bytes);
            Ok(bytes.len())
        }

        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn serenity_spans_are_left_out_of_the_log_but_its_events_stay() {
        let log = Captured::default();
        let writer = {
            let log = log.clone();
            move || log.clone()
        };
        let subscriber = crate::app::subscriber("info", false, writer);
        tracing::subscriber::with_default(subscriber, || {
            let span =
                tracing::info_span!(target: "serenity::http::client", "request", req = "BODY");
            let _entered = span.enter();
            tracing::warn!(target: "serenity::http::client", "a request failed");
            tracing::info!(target: "stagehand::discord", "answered");
            tracing::debug!(target: "stagehand::discord", "below the filter");
        });
        let text = String::from_utf8(log.0.lock().expect("log buffer").clone()).expect("utf-8");
        assert!(text.contains("a request failed"), "{text}");
        assert!(text.contains("answered"), "{text}");
        assert!(
            !text.contains("BODY"),
            "the span's fields were logged: {text}"
        );
        assert!(!text.contains("below the filter"), "{text}");
    }
}
