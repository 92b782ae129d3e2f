//! The request desk's messages, rebuilt from the store each time (gd-requestbot §2.4–2.6, §2.8,
//! §3.1): the Reviewer's Widget, the Resolution Widget, the archive entry, reviews, the author's
//! notifications, the queue notices, and the trainees' card and practice reviews.
//!
//! Widgets are staff-facing and written in English texts (editable with `/text edit`); reviews
//! and notifications are written in the request's language and ping its author. Because every
//! widget is rendered from the store, an edit after a restart shows exactly what the store
//! holds (the original rebuilt consensus from the old message, §14).

use super::model::{Dossier, Grade, Verdict, anchor};
use super::queue::Notice;
use super::trainee::PracticeReview;
use crate::i18n::Catalogue;
use crate::i18n::Lang;
use crate::outbox;
use crate::outbox::CustomId;
use crate::outbox::{Button, ButtonStyle, ButtonTarget, Embed, Field, Message, Pings};
use crate::params::{self, Param};
use crate::store::{Read, StoreError};

/// What the messages are drawn with: the texts (with admins' edits) and the guild (for links).
#[derive(Clone, Copy)]
pub struct Look<'a> {
    pub texts: &'a Catalogue,
    pub guild: u64,
}

const PENDING: u32 = 0x979B1F;
const UNRESOLVED: u32 = 0x990000;
const RESOLVED: u32 = 0x128611;
const ARCHIVED: u32 = 0x666666;
const TRAINEE_CARD: u32 = 0x0000AA;

/// What each Reviewer's Widget button asks for.
pub const OPINIONS: [&str; 4] = ["approve_review", "approve", "reject_review", "reject"];

fn en(look: &Look, key: &str, params: &[(&str, &str)]) -> String {
    look.texts.render(Lang::En, key, params)
}

fn field(name: String, value: String, inline: bool) -> Field {
    Field {
        name,
        value,
        inline,
    }
}

fn button(label: String, style: ButtonStyle, id: CustomId) -> Button {
    Button {
        label,
        style,
        target: ButtonTarget::Control(id),
        disabled: false,
    }
}

fn length_name(code: u8) -> &'static str {
    match code {
        0 => "Tiny",
        1 => "Short",
        2 => "Medium",
        3 => "Long",
        4 => "XL",
        _ => "Platformer",
    }
}

/// The request's facts: the embed all three widgets start from.
fn details(look: &Look, dossier: &Dossier, color: u32) -> Embed {
    let request = &dossier.request;
    let level = &request.level;
    let id = dossier.id.to_string();
    let mut fields = vec![
        field(
            en(look, "request.widget.id", &[]),
            level.id.to_string(),
            false,
        ),
        field(
            en(look, "request.widget.language", &[]),
            match request.lang {
                Lang::En => ":flag_gb: English".to_string(),
                Lang::Ru => ":flag_ru: Русский".to_string(),
            },
            false,
        ),
    ];
    if let Some(link) = &request.showcase {
        fields.push(field(
            en(look, "request.widget.showcase", &[]),
            link.clone(),
            false,
        ));
    }
    let copied = match level.copied_from {
        0 => en(look, "request.widget.not_a_copy", &[]),
        id => format!("{id} :exclamation:"),
    };
    fields.push(field(en(look, "request.widget.copied", &[]), copied, false));
    let stars = match level.requested_stars {
        0 => "NA".to_string(),
        n => n.to_string(),
    };
    fields.push(field(en(look, "request.widget.stars", &[]), stars, false));
    fields.push(field(
        en(look, "request.widget.length", &[]),
        length_name(level.length).to_string(),
        true,
    ));
    fields.push(field(
        en(look, "request.widget.difficulty", &[]),
        level.difficulty.name().to_string(),
        true,
    ));
    fields.push(field(
        en(look, "request.widget.game_version", &[]),
        crate::gd::game_version_name(level.game_version),
        true,
    ));
    if let Some(comment) = &request.comment {
        fields.push(field(
            en(look, "request.widget.comment", &[]),
            comment.clone(),
            false,
        ));
    }
    fields.push(field(
        en(look, "request.widget.requested_by", &[]),
        request.author.shown(),
        false,
    ));
    let creator = if level.creator.is_empty() {
        "-".to_string()
    } else {
        level.creator.replace('*', "\\*")
    };
    Embed {
        title: en(look, "request.widget.title", &[("request_id", &id)]),
        description: en(
            look,
            "request.widget.description",
            &[
                ("level_name", &level.name.replace('*', "\\*")),
                ("creator", &creator),
            ],
        ),
        color,
        fields,
        // Only a link that still validates: a stored showcase is always one.
        thumbnail: request
            .showcase
            .as_deref()
            .and_then(|link| crate::requests::youtube::parse(link).ok())
            .map(|video| video.thumbnail_url()),
        ..Embed::default()
    }
}

/// The Reviewer's Widget (route `pending_request`): the facts and the four opinion buttons.
pub fn reviewers(look: &Look, dossier: &Dossier) -> Message {
    let id = dossier.id;
    let buttons: Vec<Button> = OPINIONS
        .iter()
        .map(|kind| {
            let style = if kind.starts_with("approve") {
                ButtonStyle::Success
            } else {
                ButtonStyle::Danger
            };
            let label = en(look, &format!("request.button.{kind}"), &[]);
            button(
                label,
                style,
                CustomId::new("req", "opinion", id, Some(kind)),
            )
        })
        .collect();
    let (approve, reject) = buttons.split_at(2);
    Message::embed(details(look, dossier, PENDING))
        .with_row(approve.to_vec())
        .with_row(reject.to_vec())
}

/// `<@user>` with a link to their review once it is posted, else the reason in code.
fn entry(
    r: &impl Read,
    look: &Look,
    dossier: &Dossier,
    user: u64,
    resolution: bool,
    reason: Option<&str>,
    has_review: bool,
) -> Result<String, StoreError> {
    let posted = if has_review {
        outbox::posted(r, &anchor::review(dossier.id, user, resolution))?
    } else {
        None
    };
    let label = en(look, "request.widget.review_link", &[]);
    Ok(match (posted, has_review, reason) {
        (Some(place), _, _) => format!("<@{user}> ([{label}]({}))", place.link(look.guild)),
        (None, true, _) => format!("<@{user}> ({label})"),
        (None, false, Some(reason)) => format!("<@{user}> (`{}`)", reason.replace('`', "'")),
        (None, false, None) => format!("<@{user}>"),
    })
}

/// The Resolution Widget (route `resolution`): the facts, the consensus of the reviewers, the
/// resolutions so far, the deciding one first (green once there is one; a later one that
/// disagrees with the decision is marked), and the moderators' buttons, which stay.
pub fn resolution(r: &impl Read, look: &Look, dossier: &Dossier) -> Result<Message, StoreError> {
    let color = if dossier.resolutions.is_empty() {
        UNRESOLVED
    } else {
        RESOLVED
    };
    let mut embed = details(look, dossier, color);
    let (mut yes, mut no) = (Vec::new(), Vec::new());
    for (user, opinion) in &dossier.opinions {
        let line = entry(
            r,
            look,
            dossier,
            *user,
            false,
            opinion.reason.as_deref(),
            opinion.review.is_some(),
        )?;
        match opinion.verdict {
            Verdict::Approve => yes.push(line),
            Verdict::Reject => no.push(line),
        }
    }
    let none = en(look, "request.widget.no_votes", &[]);
    let side = |list: &[String]| {
        if list.is_empty() {
            none.clone()
        } else {
            list.join(", ")
        }
    };
    embed.fields.push(field(
        en(look, "request.widget.consensus", &[]),
        format!("✅: {}\n❌: {}", side(&yes), side(&no)),
        false,
    ));
    if let Some((_, decision)) = dossier.decision() {
        let decided = decision.verdict();
        let mut lines = Vec::new();
        for (user, resolution) in &dossier.resolutions {
            let mark = match resolution.grade {
                Some(grade) => format!(
                    "✅ {}",
                    en(look, &format!("request.button.{}", grade.name()), &[])
                ),
                None => "❌".to_string(),
            };
            let said = entry(
                r,
                look,
                dossier,
                *user,
                true,
                resolution.comment.as_deref(),
                resolution.review.is_some(),
            )?;
            let mut line = format!("{mark}: {said}");
            if resolution.verdict() != decided {
                line.push(' ');
                line.push_str(&en(look, "request.widget.overruled", &[]));
            }
            lines.push(line);
        }
        embed.fields.push(field(
            en(look, "request.widget.resolutions", &[]),
            lines.join("\n"),
            false,
        ));
    }
    let id = dossier.id;
    let grades = Grade::ALL
        .iter()
        .map(|grade| {
            let label = en(look, &format!("request.button.{}", grade.name()), &[]);
            button(
                label,
                ButtonStyle::Success,
                CustomId::new("req", "resolve", id, Some(grade.name())),
            )
        })
        .collect();
    let reject = button(
        en(look, "request.button.resolve_reject", &[]),
        ButtonStyle::Danger,
        CustomId::new("req", "resolve", id, Some("reject")),
    );
    Ok(Message::embed(embed)
        .with_row(grades)
        .with_row(vec![reject]))
}

/// The archive entry (route `archive`): the facts greyed, no buttons, and a link to the
/// Resolution Widget.
pub fn archive(r: &impl Read, look: &Look, dossier: &Dossier) -> Result<Message, StoreError> {
    let mut embed = details(look, dossier, ARCHIVED);
    if let Some(place) = outbox::posted(r, &anchor::resolution(dossier.id))? {
        let link = place.link(look.guild);
        embed.fields.push(field(
            en(look, "request.widget.archive", &[]),
            en(look, "request.widget.see_widget", &[("link", &link)]),
            true,
        ));
    }
    Ok(Message::embed(embed))
}

/// The card `/trainee pick` shows a trainee (§2.8): the request's facts in blue, without the
/// consensus or the resolutions, which a practice review must not lean on.
pub fn trainee_card(look: &Look, dossier: &Dossier) -> Embed {
    details(look, dossier, TRAINEE_CARD)
}

/// A trainee's practice review `id` (route `trainee_review_text`, §2.8): plain text in the
/// request's language, with the summary of its verdict always, pinging nobody; while it waits
/// for an assessment (`open`), with the supervisors' Approve and Reject buttons. Drawn from the
/// stored review alone, so the edit that removes the buttons keeps every word where it was.
pub fn practice(look: &Look, id: u64, review: &PracticeReview, open: bool) -> Message {
    let lang = review.lang;
    let request_info = review.card.map_or_else(String::new, |place| {
        let link = place.link(look.guild);
        let line = look
            .texts
            .render(lang, "trainee.review.request_info", &[("link", &link)]);
        format!("\n{line}")
    });
    let summary_key = match review.verdict {
        Verdict::Approve => "request.review.summary.good",
        Verdict::Reject => "request.review.summary.bad",
    };
    let reason = review.reason.as_deref().map_or_else(String::new, |reason| {
        let code = format!("`{}`", reason.replace('`', "'"));
        let line = look
            .texts
            .render(lang, "trainee.review.reason", &[("reason", &code)]);
        format!("\n{line}")
    });
    let content = look.texts.render(
        lang,
        "trainee.review",
        &[
            ("trainee", &format!("<@{}>", review.trainee)),
            (
                "level_name",
                &format!("`{}`", review.level_name.replace('`', "'")),
            ),
            ("level_id", &review.level_id.to_string()),
            ("request_info", &request_info),
            ("review_text", review.review.trim()),
            ("summary", &look.texts.render(lang, summary_key, &[])),
            ("reason", &reason),
        ],
    );
    let message = Message::text(content);
    if !open {
        return message;
    }
    let assess = |verdict: &str, style| {
        button(
            en(look, &format!("trainee.button.{verdict}"), &[]),
            style,
            CustomId::new("req", "assess", id, Some(verdict)),
        )
    };
    message.with_row(vec![
        assess("accept", ButtonStyle::Success),
        assess("reject", ButtonStyle::Danger),
    ])
}

/// A review, in the request's language, pinging the author (§2.5).
pub fn review(
    r: &impl Read,
    look: &Look,
    dossier: &Dossier,
    user: u64,
    verdict: Verdict,
    text: &str,
    resolution: bool,
) -> Result<Message, StoreError> {
    let request = &dossier.request;
    let lang = request.lang;
    let conclusion = if resolution {
        Param::AppendConclusionToFinalReview
    } else {
        Param::AppendConclusionToReview
    };
    let summary = if params::flag(r, conclusion)? {
        let key = match verdict {
            Verdict::Approve => "request.review.summary.good",
            Verdict::Reject => "request.review.summary.bad",
        };
        look.texts.render(lang, key, &[])
    } else {
        String::new()
    };
    let review_text = format!(
        "```\n{}\n```",
        text.trim().replace("```", "`\u{200b}`\u{200b}`")
    );
    let content = look.texts.render(
        lang,
        "request.review",
        &[
            ("request_author", &request.author.shown()),
            ("reviewer_mention", &format!("<@{user}>")),
            ("level_id", &request.level.id.to_string()),
            ("level_name", &request.level.name_code()),
            ("review_text", &review_text),
            ("summary", &summary),
        ],
    );
    Ok(pinging(content))
}

fn pinging(content: String) -> Message {
    Message {
        pings: Pings::Users,
        ..Message::text(content)
    }
}

/// The author's notice of a resolution (§2.6 step 9), in the request's language.
pub fn verdict_notice(
    look: &Look,
    dossier: &Dossier,
    moderator: u64,
    grade: Option<Grade>,
    comment: Option<&str>,
) -> Message {
    let request = &dossier.request;
    let lang = request.lang;
    let author = request.author.shown();
    let mention = format!("<@{moderator}>");
    let level_id = request.level.id.to_string();
    let name = request.level.name_code();
    let common = [
        ("request_author", author.as_str()),
        ("responsible_mod_mention", mention.as_str()),
        ("level_id", level_id.as_str()),
        ("level_name", name.as_str()),
    ];
    let in_code = |text: &str| format!("`{}`", text.replace('`', "'"));
    let content = match grade {
        Some(grade) => {
            let grade_text = look.texts.render(
                lang,
                &format!("request.approved.grade.{}", grade.name()),
                &[],
            );
            let mut params = common.to_vec();
            params.push(("grade", &grade_text));
            let mut text = look.texts.render(lang, "request.approved", &params);
            if let Some(comment) = comment {
                text.push('\n');
                text.push_str(&look.texts.render(
                    lang,
                    "request.approved.comment_addendum",
                    &[("comment", &in_code(comment))],
                ));
            }
            text
        }
        None => {
            let reason = comment.map_or_else(
                || look.texts.render(lang, "common.not_specified", &[]),
                in_code,
            );
            let mut params = common.to_vec();
            params.push(("reason", &reason));
            look.texts.render(lang, "request.rejected", &params)
        }
    };
    pinging(content)
}

/// The notice that the queue closed or reopened (its texts carry both languages), pinging
/// `role` when there is one (`queue.notice_role`).
pub fn queue_notice(look: &Look, notice: Notice, role: Option<u64>) -> Message {
    let key = match notice {
        Notice::Closed => "queue.closed_notice",
        Notice::Reopened => "queue.reopened_notice",
    };
    let text = en(look, key, &[]);
    match role {
        Some(role) => Message {
            pings: Pings::Role(role),
            ..Message::text(format!("<@&{role}> {text}"))
        },
        None => Message::text(text),
    }
}
