//! Administration commands (gd-requestbot §1.2, §1.7, §1.8, §1.12, §1.13): `/permission`,
//! `/parameter`, `/route` and `/text`, on top of `access`, `params`, `routes` and `i18n`, and
//! `/backup` ([`backup`]).
//!
//! The permission `bot::gate` has already passed when these run. Every reply is
//! private and in the member's language: `common.success`, `warning.no_effect`, or why the
//! change was refused (then nothing changed). Every change that took effect is mirrored to the
//! `log` route as its audit event's summary. Long lists are one message that delivery splits
//! within Discord's limits.

pub(super) mod backup;
mod commands;

pub use commands::COMMANDS;

use crate::access::{Flag, FlagSet, Member};
use crate::audit::Actor;
use crate::bot::paging::{self, Lines, List};
use crate::bot::reply::{Refusal, changed, reply, reply_text};
use crate::bot::{Ctx, HandlerError, Invocation, Outcome, Value};
use crate::i18n::{self, Lang};
use crate::outbox::Choice;
use crate::params::{self, Param};
use crate::routes::{self, Route};

/// Runs `/permission`, `/parameter`, `/route` or `/text` (`path` is the command and subcommand).
pub fn command(ctx: &Ctx, inv: &Invocation, path: &[String]) -> Result<Outcome, HandlerError> {
    let path: Vec<&str> = path.iter().map(String::as_str).collect();
    match path.as_slice() {
        ["permission", sub] => permission(ctx, inv, sub),
        ["parameter", sub] => parameter(ctx, inv, sub),
        ["route", sub] => route(ctx, inv, sub),
        ["text", sub] => text(ctx, inv, sub),
        _ => crate::bot::outdated(ctx, inv),
    }
}

/// Autocomplete of parameter names and text keys: up to 25 containing what was typed, those
/// starting with it first.
pub fn complete(ctx: &Ctx, inv: &Invocation, focused: &str) -> Vec<Choice> {
    let typed = inv
        .str_option(focused)
        .unwrap_or_default()
        .trim()
        .to_lowercase();
    let names: Vec<&str> = match focused {
        "parameter" => Param::ALL.iter().map(|p| p.name()).collect(),
        "key" => ctx.texts.keys(),
        _ => Vec::new(),
    };
    let mut found: Vec<&str> = names.into_iter().filter(|n| n.contains(&typed)).collect();
    found.sort_by_key(|n| !n.starts_with(&typed));
    found
        .into_iter()
        .take(25)
        .map(|n| Choice {
            name: n.to_string(),
            value: n.to_string(),
        })
        .collect()
}

fn actor(inv: &Invocation) -> Actor {
    Actor::User(inv.user)
}

fn lang(ctx: &Ctx, inv: &Invocation) -> Result<Lang, HandlerError> {
    Ok(ctx.language(inv)?.lang)
}

fn role_option(inv: &Invocation) -> Option<u64> {
    match inv.option("role")? {
        Value::Role(id) => Some(*id),
        _ => None,
    }
}

/// `flag1`, `flag2` in code.
fn flag_list(flags: FlagSet) -> String {
    let names: Vec<String> = flags
        .flags()
        .into_iter()
        .map(|f| format!("`{}`", f.name()))
        .collect();
    names.join(", ")
}

fn permission(ctx: &Ctx, inv: &Invocation, sub: &str) -> Result<Outcome, HandlerError> {
    let now = ctx.clock.now();
    let lang = lang(ctx, inv)?;
    let flag = inv.str_option("permission").and_then(Flag::parse);
    let role = role_option(inv);
    let actor = ctx.member(inv);
    match (sub, flag, role) {
        ("bind", Some(flag), Some(role)) => changed(
            ctx,
            inv,
            ctx.permissions.bind(&ctx.store, &actor, flag, role, now),
        ),
        ("unbind", Some(flag), Some(role)) => changed(
            ctx,
            inv,
            ctx.permissions.unbind(&ctx.store, &actor, flag, role, now),
        ),
        ("clear", _, Some(role)) => changed(
            ctx,
            inv,
            ctx.permissions.clear(&ctx.store, &actor, role, now),
        ),
        ("list_flags", ..) => {
            let lines: Vec<String> = Flag::ALL
                .iter()
                .map(|f| {
                    let description = ctx.texts.render(lang, f.description_key(), &[]);
                    format!("`{}` — {description}", f.name())
                })
                .collect();
            Ok(reply_text(lines.join("\n")))
        }
        ("list_roles", ..) => {
            let roles = ctx.permissions.list_roles();
            if roles.is_empty() {
                return reply(
                    ctx,
                    inv,
                    &i18n::Message::new("permission.no_assigned_roles"),
                );
            }
            let mut text = ctx.texts.render(lang, "permission.list_roles.title", &[]);
            for (role, flags) in roles {
                text.push_str(&format!("\n<@&{role}>: {}", flag_list(flags)));
            }
            Ok(reply_text(text))
        }
        ("describe_member", ..) => match inv.option("member") {
            Some(Value::Member {
                id,
                roles,
                administrator,
                ..
            }) => {
                let mut role_ids = roles.clone();
                role_ids.push(ctx.guild);
                let member = Member {
                    user_id: *id,
                    role_ids,
                    is_owner: ctx.owner() == *id,
                    is_administrator: *administrator,
                };
                Ok(reply_text(describe_member(ctx, &member, lang)))
            }
            // Someone who left the guild has no roles, so only ownership could apply.
            Some(Value::User(id)) => {
                let member = Member {
                    user_id: *id,
                    role_ids: vec![ctx.guild],
                    is_owner: false,
                    is_administrator: false,
                };
                Ok(reply_text(describe_member(ctx, &member, lang)))
            }
            _ => crate::bot::outdated(ctx, inv),
        },
        _ => crate::bot::outdated(ctx, inv),
    }
}

/// Where `member`'s permissions come from.
fn describe_member(ctx: &Ctx, member: &Member, lang: Lang) -> String {
    let user = member.user_id;
    let described = ctx.permissions.describe_member(member);
    let mention = format!("<@{user}>");
    if described.is_empty() {
        return ctx.texts.render(
            lang,
            "permission.member_has_no_permissions",
            &[("member_mention", &mention)],
        );
    }
    let mut lines = vec![mention];
    if described.owner {
        lines.push(format!(
            "- {}",
            ctx.texts.render(lang, "permission.owner_line", &[])
        ));
    }
    if described.bootstrap_admin {
        lines.push(format!(
            "- {}",
            ctx.texts.render(lang, "permission.bootstrap_line", &[])
        ));
    }
    for (role, flags) in described.by_role {
        let role_mention = if role == ctx.guild {
            "@everyone".to_string()
        } else {
            format!("<@&{role}>")
        };
        let line = ctx.texts.render(
            lang,
            "permission.role_line",
            &[
                ("role_mention", &role_mention),
                ("flags", &flag_list(flags)),
            ],
        );
        lines.push(format!("- {line}"));
    }
    lines.join("\n")
}

fn parameter(ctx: &Ctx, inv: &Invocation, sub: &str) -> Result<Outcome, HandlerError> {
    let now = ctx.clock.now();
    let lang = lang(ctx, inv)?;
    if sub == "list" {
        let lines: Vec<String> = Param::ALL
            .iter()
            .map(|p| {
                let description = ctx.texts.render(lang, p.description_key(), &[]);
                format!("`{}` — {description}", p.name())
            })
            .collect();
        return Ok(reply_text(lines.join("\n")));
    }
    let param = match Param::parse(inv.str_option("parameter").unwrap_or_default()) {
        Ok(param) => param,
        Err(err) => return reply(ctx, inv, &err.refusal()?),
    };
    match sub {
        "describe" => {
            let d = ctx.store.read(|r| params::describe(r, param))?;
            let text = ctx.texts.render(
                lang,
                "parameter.describe",
                &[
                    ("name", param.name()),
                    (
                        "description",
                        &ctx.texts.render(lang, param.description_key(), &[]),
                    ),
                    (
                        "param_type",
                        &ctx.texts.render(lang, d.kind.text_key(), &[]),
                    ),
                    ("default", &d.default.to_string()),
                    ("current", &d.current.to_string()),
                ],
            );
            Ok(reply_text(text))
        }
        "set" => {
            let input = inv.str_option("new_value").unwrap_or_default();
            let result = params::set(&ctx.store, actor(inv), param, input, now);
            changed(ctx, inv, result)
        }
        "reset" => changed(ctx, inv, params::reset(&ctx.store, actor(inv), param, now)),
        _ => crate::bot::outdated(ctx, inv),
    }
}

fn route(ctx: &Ctx, inv: &Invocation, sub: &str) -> Result<Outcome, HandlerError> {
    let now = ctx.clock.now();
    let lang = lang(ctx, inv)?;
    if sub == "list" {
        let lines: Vec<String> = Route::ALL
            .iter()
            .map(|r| {
                let description = ctx.texts.render(lang, r.description_key(), &[]);
                format!("`{}` — {description}", r.name())
            })
            .collect();
        return Ok(reply_text(lines.join("\n")));
    }
    let Some(route) = inv.str_option("route").and_then(Route::parse) else {
        return crate::bot::outdated(ctx, inv);
    };
    let actor = actor(inv);
    match sub {
        "describe" => {
            let d = ctx.store.read(|r| routes::describe(r, route))?;
            let channel = |id: Option<u64>| {
                id.map_or_else(
                    || ctx.texts.render(lang, "common.not_specified", &[]),
                    |id| format!("<#{id}>"),
                )
            };
            let state = if d.enabled {
                "route.state.enabled"
            } else {
                "route.state.disabled"
            };
            let text = ctx.texts.render(
                lang,
                "route.describe",
                &[
                    ("name", route.name()),
                    (
                        "description",
                        &ctx.texts.render(lang, route.description_key(), &[]),
                    ),
                    ("default_channel", &channel(d.default_channel)),
                    ("channel", &channel(d.channel())),
                    ("state", &ctx.texts.render(lang, state, &[])),
                ],
            );
            Ok(reply_text(text))
        }
        "enable" | "disable" => {
            let result = routes::set_enabled(&ctx.store, actor, route, sub == "enable", now);
            changed(ctx, inv, result)
        }
        "update_channel" => match inv.option("channel") {
            Some(Value::Channel(channel)) => {
                let result = routes::update_channel(&ctx.store, actor, route, *channel, now);
                changed(ctx, inv, result)
            }
            _ => crate::bot::outdated(ctx, inv),
        },
        "reset_channel" => changed(
            ctx,
            inv,
            routes::reset_channel(&ctx.store, actor, route, now),
        ),
        _ => crate::bot::outdated(ctx, inv),
    }
}

fn text(ctx: &Ctx, inv: &Invocation, sub: &str) -> Result<Outcome, HandlerError> {
    let now = ctx.clock.now();
    let lang = lang(ctx, inv)?;
    if sub == "list" {
        return paging::first(ctx, inv, List::Texts);
    }
    let key = inv.str_option("key").unwrap_or_default().trim();
    let language = inv.str_option("language").and_then(Lang::parse);
    match (sub, language) {
        ("describe", _) => match ctx.texts.describe(key) {
            Ok(d) => {
                let mut text = format!("**`{}`**\n", d.key);
                if d.declaration.params.is_empty() {
                    text.push_str(&ctx.texts.render(lang, "text.describe.no_params", &[]));
                } else {
                    text.push_str(&ctx.texts.render(lang, "text.describe.params", &[]));
                    for (name, _) in &d.declaration.params {
                        text.push_str(&format!("\n`{{{name}}}`"));
                    }
                }
                for (i, each) in Lang::ALL.into_iter().enumerate() {
                    let current = d.current[i].as_ref().unwrap_or(&d.default[i]);
                    let label =
                        ctx.texts
                            .render(lang, "text.describe.text", &[("lang", each.code())]);
                    text.push_str(&format!("\n\n{label}\n```\n{current}\n```"));
                }
                Ok(reply_text(text))
            }
            Err(err) => reply(ctx, inv, &err.refusal()?),
        },
        ("edit", Some(language)) => {
            let input = inv.str_option("new_value").unwrap_or_default();
            let result = ctx
                .texts
                .edit(&ctx.store, actor(inv), key, language, input, now);
            changed(ctx, inv, result)
        }
        ("reset", Some(language)) => {
            let result = ctx.texts.reset(&ctx.store, actor(inv), key, language, now);
            changed(ctx, inv, result)
        }
        _ => crate::bot::outdated(ctx, inv),
    }
}

/// `/text list`, a page at a time: every text's key.
pub(super) fn texts_listed(ctx: &Ctx, lang: Lang) -> Lines {
    let keys = ctx.texts.keys();
    let count = keys.len().to_string();
    Lines::Entries {
        title: ctx
            .texts
            .render(lang, "text.list.title", &[("count", &count)]),
        entries: keys.iter().map(|key| format!("`{key}`")).collect(),
    }
}
