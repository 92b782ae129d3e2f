//! The use cases that change who is in the league, each in the caller's write transaction with
//! its Discord effects queued there (osu-arena §7.2–7.3): a sign-in that completes `/link`
//! ([`link`]), a member who joins the server ([`joined`]), one who leaves ([`left`]) and a player
//! an admin deletes ([`deleted`]). The web sign-in page, the Discord gateway and the commands
//! call these; none builds a role change or a message of its own.

use crate::audit::Actor;
use crate::i18n::{Catalogue, Lang};
use crate::league::link::{self, Checked};
use crate::league::player::{self, LinkError, Player, TopPlay};
use crate::league::roles::{self, RoleKey};
use crate::league::{Thresholds, rivalry};
use crate::osu;
use crate::outbox::{self, Effect, Message, Pings};
use crate::routes::{self, Route};
use crate::store::{StoreError, Writer};

/// Why a sign-in did not link; the transaction rolls back and nothing changes.
#[derive(Debug)]
pub enum LinkRefusal {
    /// The member is linked already (to this row).
    AlreadyLinked(Box<Player>),
    /// The osu! account is linked to another member (this Discord id).
    OsuTaken(u64),
    /// The state was consumed by another sign-in meanwhile.
    StateUsed,
    Store(StoreError),
}

impl From<StoreError> for LinkRefusal {
    fn from(err: StoreError) -> LinkRefusal {
        LinkRefusal::Store(err)
    }
}

/// Completes the sign-in of `checked` as osu! account `user`: stores the player in the league
/// their rank puts them in, consumes the state, records the event, and queues what a new link
/// changes in Discord (the league role and Participant given, Inactive taken, the nickname set
/// to the osu! name, and the welcome message).
pub fn link(
    w: &mut Writer,
    texts: &Catalogue,
    checked: &Checked,
    user: &osu::User,
    top_play: Option<TopPlay>,
    now: i64,
) -> Result<Player, LinkRefusal> {
    let thresholds = Thresholds::load(w)?;
    let league = thresholds.league(user.global_rank);
    let pp = user.whole_pp();
    let pending = &checked.pending;
    let player = Player {
        discord_id: pending.discord_id,
        discord_name: pending.discord_name.clone(),
        osu_id: user.id,
        osu_username: user.username.clone(),
        pp,
        global_rank: user.global_rank,
        play_time_secs: user.play_time,
        ii: player::improvement_indicator(pp, user.play_time),
        league,
        future_league: league,
        initial_pp: pp,
        linked_at: now,
        top_play,
        points: 0,
        seasonal_points: 0,
    };
    match player::link(w, &player, now) {
        Ok(()) => {}
        Err(LinkError::AlreadyLinked(existing)) => {
            return Err(LinkRefusal::AlreadyLinked(existing));
        }
        Err(LinkError::OsuTaken(owner)) => return Err(LinkRefusal::OsuTaken(owner)),
        Err(LinkError::Store(err)) => return Err(err.into()),
    }
    // Consumed last: a refusal above rolls back, leaving the state as it was.
    if !link::consume(w, checked)? {
        return Err(LinkRefusal::StateUsed);
    }
    let (add_roles, remove_roles) = roles::on_link(w, player.league)?;
    outbox::push(
        w,
        Effect::Member {
            user: player.discord_id,
            add_roles,
            remove_roles,
            nick: Some(outbox::limits::truncate(&player.osu_username, 32)),
        },
    )?;
    let lang = crate::i18n::preference(w, player.discord_id)?.unwrap_or(Lang::En);
    let league = texts.render(lang, player.league.text_key(), &[]);
    let mention = format!("<@{}>", player.discord_id);
    let mut text = texts.render(
        lang,
        "league.welcome",
        &[("member", &mention), ("league", &league)],
    );
    if player.global_rank.is_none() {
        text.push('\n');
        text.push_str(&texts.render(lang, "league.welcome_unranked", &[]));
    }
    let message = Message {
        pings: Pings::Users,
        ..Message::text(text)
    };
    routes::push(w, Route::Welcome, message, None)?;
    Ok(player)
}

/// A member joined the server: the welcome message, and the Inactive role until they link.
pub fn joined(w: &mut Writer, texts: &Catalogue, user: u64) -> Result<(), StoreError> {
    let mention = format!("<@{user}>");
    let text = texts.render(Lang::En, "league.join_welcome", &[("member", &mention)]);
    let message = Message {
        pings: Pings::Users,
        ..Message::text(text)
    };
    routes::push(w, Route::Welcome, message, None)?;
    if let Some(inactive) = roles::get(w, roles::RoleKey::Inactive)? {
        outbox::push(
            w,
            Effect::Member {
                user,
                add_roles: vec![inactive],
                remove_roles: Vec::new(),
                nick: None,
            },
        )?;
    }
    Ok(())
}

/// A member left the server: their player row is archived (not deleted), which records the
/// event that reaches the log route. Its reason is the text `league.unlinked.left`: the log
/// channel is staff-facing and reads the server's texts, which admins edit with `/text edit`
/// (English, like the widgets). Returns the archived row, if they were linked.
pub fn left(
    w: &mut Writer,
    texts: &Catalogue,
    user: u64,
    now: i64,
) -> Result<Option<Player>, StoreError> {
    let reason = texts.render(Lang::En, "league.unlinked.left", &[]);
    unlink(w, texts, user, Actor::Bot, &reason, now)
}

/// `/delete player` (osu-arena §2.8): the player is archived like a member who left (their
/// rows in the season archives stay, §17.25) and, when they are still a member with the roles
/// `roles`, their nickname is reset and every role but the casual one taken away, through the
/// outbox. `guild` is the `@everyone` role, which no member loses. `None` (and nothing
/// changed) when they were not linked.
pub fn deleted(
    w: &mut Writer,
    texts: &Catalogue,
    user: u64,
    member_roles: Option<&[u64]>,
    guild: u64,
    actor: Actor,
    now: i64,
) -> Result<Option<Player>, StoreError> {
    let reason = texts.render(Lang::En, "league.unlinked.deleted", &[]);
    let Some(gone) = unlink(w, texts, user, actor, &reason, now)? else {
        return Ok(None);
    };
    if let Some(current) = member_roles {
        let casual = roles::get(w, RoleKey::Casual)?;
        let remove_roles = current
            .iter()
            .copied()
            .filter(|r| Some(*r) != casual && *r != guild)
            .collect();
        let add_roles = casual
            .filter(|c| !current.contains(c))
            .into_iter()
            .collect();
        outbox::push(
            w,
            Effect::Member {
                user,
                add_roles,
                remove_roles,
                nick: Some(String::new()),
            },
        )?;
    }
    Ok(Some(gone))
}

/// Takes a player out of the league, for whatever `reason`: their row is archived and their
/// open challenges revoked (osu-arena §2.8, §7.3). Every way out goes through here.
fn unlink(
    w: &mut Writer,
    texts: &Catalogue,
    user: u64,
    actor: Actor,
    reason: &str,
    now: i64,
) -> Result<Option<Player>, StoreError> {
    let gone = player::archive(w, user, actor, reason, now)?;
    if gone.is_some() {
        rivalry::revoke_all(w, texts, user, actor, now)?;
    }
    Ok(gone)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use crate::league::League;
    use crate::outbox::{Destination, route};
    use crate::store::Store;

    /// What was queued for the log channel.
    fn log_posts(store: &Store) -> Vec<String> {
        let queued = store.read(outbox::queue::queued).unwrap();
        queued
            .into_iter()
            .filter_map(|(_, q)| match q.effect {
                Effect::Send {
                    to:
                        Destination::Route {
                            route: Route::Log, ..
                        },
                    message,
                    ..
                } => Some(message.content),
                _ => None,
            })
            .collect()
    }

    #[test]
    fn the_log_says_why_a_member_left_in_the_servers_texts() {
        let (_dir, store) = Store::temporary();
        let texts = Catalogue::defaults();
        store
            .write(|w| route::set_default(w, Route::Log, 70))
            .unwrap();
        for (discord_id, osu_id) in [(5, 50), (6, 60)] {
            let player = player::sample(discord_id, osu_id, 1_000, League::Gold);
            store.write(|w| player::link(w, &player, 10)).unwrap();
        }
        store.write(|w| left(w, &texts, 5, 20)).unwrap();
        let posts = log_posts(&store);
        assert_eq!(
            posts.last().map(String::as_str),
            Some(
                "**PLAYER_UNLINKED** #3\nuser: bot\n\
                 timestamp: <t:20:f> · 1970-01-01T00:00:20Z\n\
                 target_user_id: <@5>\nosu_username: `osu50`\nreason: `left the server`"
            ),
        );

        // An admin's edit of the text is what the next departure shows.
        texts
            .edit(
                &store,
                Actor::User(1),
                "league.unlinked.left",
                Lang::En,
                "ушёл с сервера",
                30,
            )
            .unwrap();
        store.write(|w| left(w, &texts, 6, 40)).unwrap();
        let posts = log_posts(&store);
        assert!(
            posts.last().unwrap().ends_with("reason: `ушёл с сервера`"),
            "{posts:?}"
        );
        assert!(
            store.write(|w| left(w, &texts, 6, 50)).unwrap().is_none(),
            "archived once"
        );
    }
}
