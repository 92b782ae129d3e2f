//! JSON as Discord sends it: users, members, roles, channels, the GUILD_CREATE guild, messages,
//! READY and interactions. Ids are strings, timestamps ISO 8601, permissions decimal strings.
//! `tests/fake_discord.rs` checks that serenity's models parse every shape built here.

use std::time::SystemTime;

use serde_json::{Value, json};

use super::state::{ChannelRec, MessageRec, State};
use super::{FakeDiscord, Role};

/// The largest upload Discord reports in `attachment_size_limit` for an unboosted guild.
const ATTACHMENT_SIZE_LIMIT: usize = super::limits::MAX_FILE_BYTES;

/// Message flag: a thread was started from this message.
const HAS_THREAD: u64 = 1 << 5;

/// When every sample member joined.
const JOINED_AT: &str = "2024-03-01T12:00:00.000000+00:00";

/// `time` as Discord writes timestamps.
pub fn timestamp(time: SystemTime) -> String {
    let time = jiff::Timestamp::try_from(time).unwrap();
    time.strftime("%Y-%m-%dT%H:%M:%S%.6f+00:00").to_string()
}

/// A user object; unknown ids become a plain user named after the id.
pub fn user(state: &State, id: u64) -> Value {
    let name = state
        .member(id)
        .map_or_else(|| format!("user{id}"), |m| m.name.clone());
    let bot = id == FakeDiscord::APPLICATION_ID;
    json!({
        "id": id.to_string(),
        "username": name,
        "global_name": if bot { Value::Null } else { json!(name) },
        "discriminator": if bot { "4821" } else { "0" },
        "avatar": null,
        "bot": bot,
        "public_flags": 0,
        "flags": 0,
        "banner": null,
        "accent_color": null,
        "avatar_decoration_data": null,
    })
}

/// A guild member; `with_user` adds the nested user, as everywhere but `resolved.members`.
pub fn member(state: &State, id: u64, with_user: bool) -> Value {
    let found = state.member(id);
    let mut member = json!({
        "nick": found.and_then(|m| m.nick.clone()),
        "avatar": null,
        "banner": null,
        "roles": found.map_or_else(Vec::new, |m| m.roles.iter().map(u64::to_string).collect()),
        "joined_at": JOINED_AT,
        "premium_since": null,
        "deaf": false,
        "mute": false,
        "flags": 0,
        "pending": false,
        "communication_disabled_until": null,
    });
    if with_user {
        member["user"] = user(state, id);
    }
    member
}

/// A member as an interaction carries it: with its permissions.
pub fn interaction_member(state: &State, id: u64) -> Value {
    let mut member = member(state, id, true);
    member["permissions"] = json!(state.permissions(id).to_string());
    member
}

pub fn role(state: &State, role: &Role, position: usize) -> Value {
    let bot_role = state
        .member(FakeDiscord::APPLICATION_ID)
        .is_some_and(|bot| bot.roles.first() == Some(&role.id));
    let mut value = json!({
        "id": role.id.to_string(),
        "name": role.name,
        "description": null,
        "color": 0,
        "colors": {"primary_color": 0, "secondary_color": null, "tertiary_color": null},
        "hoist": false,
        "icon": null,
        "unicode_emoji": null,
        "position": position,
        "permissions": role.permissions.to_string(),
        "managed": bot_role,
        "mentionable": false,
        "flags": 0,
    });
    if bot_role {
        value["tags"] = json!({"bot_id": FakeDiscord::APPLICATION_ID.to_string()});
    }
    value
}

pub fn roles(state: &State) -> Vec<Value> {
    let roles = &state.guild.roles;
    roles
        .iter()
        .enumerate()
        .map(|(i, r)| role(state, r, i))
        .collect()
}

/// A channel of any kind: guild text channel, thread or DM.
pub fn channel(state: &State, channel: &ChannelRec) -> Value {
    let last = channel.messages.last().map(u64::to_string);
    match channel.kind {
        1 => json!({
            "id": channel.id.to_string(),
            "type": 1,
            "last_message_id": last,
            "flags": 0,
            "recipients": [user(state, channel.recipient.unwrap_or_default())],
        }),
        11 | 12 => json!({
            "id": channel.id.to_string(),
            "type": channel.kind,
            "guild_id": state.guild.id.to_string(),
            "parent_id": channel.parent.map(|p| p.to_string()),
            "owner_id": channel.owner.map(|o| o.to_string()),
            "name": channel.name,
            "last_message_id": last,
            "rate_limit_per_user": 0,
            "flags": 0,
            "message_count": channel.messages.len(),
            "member_count": 1,
            "total_message_sent": channel.messages.len(),
            "thread_metadata": {
                "archived": channel.archived,
                "auto_archive_duration": channel.auto_archive,
                "archive_timestamp": JOINED_AT,
                "locked": channel.locked,
                "create_timestamp": JOINED_AT,
            },
        }),
        _ => json!({
            "id": channel.id.to_string(),
            "type": 0,
            "guild_id": state.guild.id.to_string(),
            "name": channel.name,
            "position": channel.position,
            "permission_overwrites": [],
            "topic": null,
            "nsfw": false,
            "last_message_id": last,
            "rate_limit_per_user": 0,
            "parent_id": null,
            "flags": 0,
        }),
    }
}

/// The guild as `GET /guilds/{id}` returns it.
pub fn partial_guild(state: &State) -> Value {
    let guild = &state.guild;
    json!({
        "id": guild.id.to_string(),
        "name": "Rhythm Corner",
        "icon": null,
        "splash": null,
        "discovery_splash": null,
        "owner_id": guild.owner.to_string(),
        "afk_channel_id": null,
        "afk_timeout": 300,
        "widget_enabled": false,
        "verification_level": 1,
        "default_message_notifications": 1,
        "explicit_content_filter": 2,
        "roles": roles(state),
        "emojis": [],
        "features": ["COMMUNITY"],
        "mfa_level": 0,
        "application_id": null,
        "system_channel_id": null,
        "system_channel_flags": 0,
        "rules_channel_id": null,
        "max_presences": null,
        "max_members": 500000,
        "vanity_url_code": null,
        "description": null,
        "banner": null,
        "premium_tier": 0,
        "premium_subscription_count": 0,
        "preferred_locale": "en-US",
        "public_updates_channel_id": null,
        "max_video_channel_users": 25,
        "nsfw_level": 0,
        "stickers": [],
        "premium_progress_bar_enabled": false,
        "safety_alerts_channel_id": null,
    })
}

/// The guild as GUILD_CREATE carries it. Without the GUILD_MEMBERS intent Discord only
/// includes the bot's own member.
pub fn guild_create(state: &State, all_members: bool) -> Value {
    let mut guild = partial_guild(state);
    let members: Vec<Value> = state
        .guild
        .members
        .iter()
        .filter(|m| all_members || m.id == FakeDiscord::APPLICATION_ID)
        .map(|m| member(state, m.id, true))
        .collect();
    let in_guild = |c: &&ChannelRec| c.kind == 0 || c.kind == 11 || c.kind == 12;
    let (threads, channels): (Vec<&ChannelRec>, Vec<&ChannelRec>) = state
        .channels
        .values()
        .filter(in_guild)
        .partition(|c| c.kind != 0);
    let extra = json!({
        "joined_at": JOINED_AT,
        "large": false,
        "unavailable": false,
        "member_count": state.guild.members.len(),
        "voice_states": [],
        "members": members,
        "channels": channels.iter().map(|c| channel(state, c)).collect::<Vec<_>>(),
        "threads": threads.iter().map(|c| channel(state, c)).collect::<Vec<_>>(),
        "presences": [],
        "stage_instances": [],
        "guild_scheduled_events": [],
        "soundboard_sounds": [],
        "lazy": true,
    });
    for (key, value) in extra.as_object().unwrap() {
        guild[key] = value.clone();
    }
    guild
}

/// READY for a new session.
pub fn ready(state: &State, session_id: &str, gateway_url: &str) -> Value {
    let mut me = user(state, FakeDiscord::APPLICATION_ID);
    me["verified"] = json!(true);
    me["mfa_enabled"] = json!(false);
    me["email"] = Value::Null;
    json!({
        "v": 10,
        "user_settings": {},
        "user": me,
        "guilds": [{"id": state.guild.id.to_string(), "unavailable": true}],
        "session_id": session_id,
        "session_type": "normal",
        "resume_gateway_url": gateway_url,
        "shard": [0, 1],
        "application": {"id": FakeDiscord::APPLICATION_ID.to_string(), "flags": 8_953_856},
        "private_channels": [],
        "relationships": [],
        "presences": [],
        "guild_join_requests": [],
        "geo_ordered_rtc_regions": ["europe"],
        "auth": {},
    })
}

/// An attachment as Discord describes it: served on its CDN under the channel it was posted in
/// (0 for a file uploaded with a command).
pub fn attachment(channel: u64, a: &super::state::AttachmentRec) -> Value {
    let url = format!(
        "https://cdn.discordapp.com/attachments/{channel}/{}/{}",
        a.id, a.filename
    );
    json!({
        "id": a.id.to_string(),
        "filename": a.filename,
        "size": a.bytes.len(),
        "url": url,
        "proxy_url": url.replace("cdn.discordapp.com", "media.discordapp.net"),
        "content_type": a.content_type,
    })
}

/// A message as REST answers and dispatches carry it.
pub fn message(state: &State, message: &MessageRec) -> Value {
    let channel = state.channels.get(&message.channel_id);
    let attachments: Vec<Value> = message
        .attachments
        .iter()
        .map(|a| attachment(message.channel_id, a))
        .collect();
    let mut value = json!({
        "id": message.id.to_string(),
        "channel_id": message.channel_id.to_string(),
        "author": user(state, message.author_id),
        "content": message.content,
        "timestamp": timestamp(message.created),
        "edited_timestamp": message.edited.map(timestamp),
        "tts": false,
        "mention_everyone": false,
        "mentions": message.pinged.users.iter().map(|u| user(state, *u)).collect::<Vec<_>>(),
        "mention_roles": message.pinged.roles.iter().map(u64::to_string).collect::<Vec<_>>(),
        "attachments": attachments,
        "embeds": message.embeds,
        "pinned": false,
        "type": if matches!(message.interaction, Some((_, 2))) { 20 } else { 0 },
        "flags": message.flags,
        "components": message.components,
    });
    if channel.is_some_and(|c| c.kind != 1) {
        value["guild_id"] = json!(state.guild.id.to_string());
    }
    if let Some((id, kind)) = message.interaction {
        value["webhook_id"] = json!(FakeDiscord::APPLICATION_ID.to_string());
        value["application_id"] = json!(FakeDiscord::APPLICATION_ID.to_string());
        value["interaction_metadata"] = interaction_metadata(state, id, kind);
    }
    if let Some(thread) = message.thread.and_then(|t| state.channels.get(&t)) {
        value["thread"] = self::channel(state, thread);
        value["flags"] = json!(message.flags | HAS_THREAD);
    }
    value
}

/// A message's `interaction_metadata` for the interaction `id` of type `kind` it answers: a
/// click's names the message clicked (`interacted_message_id`), a form's the interaction that
/// opened the form (`triggering_interaction_metadata`), as Discord sends them.
fn interaction_metadata(state: &State, id: u64, kind: u8) -> Value {
    let rec = state.interactions.get(&id);
    let mut metadata = json!({
        "id": id.to_string(),
        "type": kind,
        "user": user(state, rec.map_or(0, |i| i.user)),
        "authorizing_integration_owners": {"0": state.guild.id.to_string()},
    });
    match (kind, rec) {
        (3, Some(rec)) => {
            if let Some(clicked) = rec.source_message {
                metadata["interacted_message_id"] = json!(clicked.to_string());
            }
        }
        (5, Some(rec)) => {
            if let Some(opener) = rec.opened_by.and_then(|o| state.interactions.get(&o)) {
                metadata["triggering_interaction_metadata"] =
                    interaction_metadata(state, opener.id, opener.kind);
            }
        }
        _ => {}
    }
    metadata
}

/// An INTERACTION_CREATE payload from `user` in `channel_id`.
pub fn interaction(
    state: &State,
    (id, token, kind): (u64, &str, u8),
    (user, channel_id): (u64, u64),
    data: Value,
    locale: &str,
) -> Value {
    let channel = state
        .channels
        .get(&channel_id)
        .map_or(Value::Null, |c| self::channel(state, c));
    json!({
        "id": id.to_string(),
        "application_id": FakeDiscord::APPLICATION_ID.to_string(),
        "type": kind,
        "data": data,
        "guild_id": state.guild.id.to_string(),
        "guild": {"id": state.guild.id.to_string(), "locale": "en-US", "features": ["COMMUNITY"]},
        "channel": channel,
        "channel_id": channel_id.to_string(),
        "member": interaction_member(state, user),
        "token": token,
        "version": 1,
        "app_permissions": state.permissions(FakeDiscord::APPLICATION_ID).to_string(),
        "locale": locale,
        "guild_locale": "en-US",
        "entitlements": [],
        "entitlement_sku_ids": [],
        "authorizing_integration_owners": {"0": state.guild.id.to_string()},
        "context": 0,
        "attachment_size_limit": ATTACHMENT_SIZE_LIMIT,
    })
}
