//! `/control_panel on | rotate | off | status` (admins): the Control Panel API's switch and key
//! (`requests::panel`). Turning it on names the staff member the API acts for and answers with
//! the key, privately and once: Stagehand keeps only its hash. `rotate` replaces the key (the
//! old one stops working at once), `off` turns the API off. Each change is one transaction with
//! its audit event; the key is never logged.

use super::reply;
use crate::audit::Actor;
use crate::bot::{Ctx, HandlerError, outdated};
use crate::bot::{Invocation, Outcome, Value};
use crate::i18n;
use crate::outbox::Message;
use crate::requests::panel::{self, Key};

/// Runs `/control_panel <sub>`.
pub fn command(ctx: &Ctx, inv: &Invocation, sub: &str) -> Result<Outcome, HandlerError> {
    let by = Actor::User(inv.user);
    let now = ctx.clock.now();
    match sub {
        "on" => {
            let staff = match inv.option("staff") {
                Some(Value::Member { id, bot: false, .. }) => *id,
                Some(Value::Member { bot: true, .. }) => {
                    return reply(ctx, inv, &i18n::Message::new("control_panel.staff_is_bot"));
                }
                Some(Value::User(_)) => {
                    return reply(
                        ctx,
                        inv,
                        &i18n::Message::new("control_panel.staff_not_member"),
                    );
                }
                _ => return outdated(ctx, inv),
            };
            let key = ctx.store.write(|w| panel::turn_on(w, by, staff, now))?;
            ctx.outbox.wake();
            shown_once(ctx, inv, &key, staff)
        }
        "rotate" => match ctx.store.write(|w| panel::rotate(w, by, now))? {
            Some((key, staff)) => {
                ctx.outbox.wake();
                shown_once(ctx, inv, &key, staff)
            }
            None => reply(ctx, inv, &i18n::Message::new("control_panel.is_off")),
        },
        "off" => {
            let change = ctx.store.write(|w| panel::turn_off(w, by, now))?;
            ctx.outbox.wake();
            reply(ctx, inv, &change.message())
        }
        "status" => match ctx.store.read(panel::current)? {
            Some(access) => reply(
                ctx,
                inv,
                &i18n::Message::new("control_panel.status_on")
                    .with("staff", format!("<@{}>", access.staff))
                    .with("since", format!("<t:{}:f>", access.since))
                    .with("url", base_url(ctx)),
            ),
            None => reply(ctx, inv, &i18n::Message::new("control_panel.is_off")),
        },
        _ => outdated(ctx, inv),
    }
}

/// Where the panel points its base URL.
fn base_url(ctx: &Ctx) -> String {
    format!(
        "{}{}",
        ctx.settings.base_url(ctx.https_port),
        crate::requests::panel::PATH
    )
}

/// The new key, privately: the only time anyone sees it.
fn shown_once(ctx: &Ctx, inv: &Invocation, key: &Key, staff: u64) -> Result<Outcome, HandlerError> {
    let choice = ctx.language(inv)?;
    let text = ctx.text(
        choice,
        "control_panel.key",
        &[
            ("staff", &format!("<@{staff}>")),
            ("url", &base_url(ctx)),
            ("key", &key.0),
        ],
    );
    Ok(Outcome::reply(Message::text(text).ephemeral()))
}
