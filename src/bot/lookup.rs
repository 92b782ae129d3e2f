//! What a handler asks Discord while it answers, beyond what the interaction carries: whether a
//! user is still a member of the guild, and with which roles (a promotion from a button, which
//! names the trainee by id only), what members are called (the reviewers a chart names), and
//! whether a message still exists (a card or a review a person may have deleted by hand).
//!
//! [`Lookup`] is the port; `discord::lookup` answers it through serenity's HTTP client, and
//! unit tests answer it from a table ([`Fixed`]). Reads only: every change to Discord goes
//! through the outbox.

use std::collections::{HashMap, HashSet};
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use crate::outbox::Posted;

/// Discord did not answer (a network failure, an outage, or the client not connected yet).
#[derive(Debug, thiserror::Error)]
#[error("Discord did not answer: {0}")]
pub struct Unreachable(pub String);

/// An answer on its way.
pub type Asked<'a, T> = Pin<Box<dyn Future<Output = Result<T, Unreachable>> + Send + 'a>>;

/// Questions to Discord, answered at once (no cache).
pub trait Lookup: Send + Sync {
    /// The roles of `user` in the guild (without `@everyone`); `None` when they are not a
    /// member (they left, or never joined).
    fn member_roles(&self, user: u64) -> Asked<'_, Option<Vec<u64>>>;

    /// Whether the message at `place` still exists (`false` when it, or its channel, is gone
    /// or hidden from Stagehand).
    fn message_exists(&self, place: Posted) -> Asked<'_, bool>;

    /// The bytes of a file uploaded to Discord (an attachment's `url`, on Discord's CDN and
    /// nowhere else), at most `max` of them: `None` when it is larger.
    fn download(&self, url: &str, max: u64) -> Asked<'_, Option<Vec<u8>>>;

    /// The name `user` goes by in the guild (their nickname, else their display name, else
    /// their user name); `None` when they are not a member.
    fn member_name(&self, user: u64) -> Asked<'_, Option<String>>;
}

/// The names of `users` in the guild, asked all at once: `None` for one who is not a member,
/// or whom Discord did not answer for.
pub async fn member_names(lookup: &Arc<dyn Lookup>, users: &[u64]) -> Vec<Option<String>> {
    let mut asked = tokio::task::JoinSet::new();
    for (i, user) in users.iter().copied().enumerate() {
        let lookup = lookup.clone();
        asked.spawn(async move { (i, lookup.member_name(user).await) });
    }
    let mut names = vec![None; users.len()];
    while let Some(joined) = asked.join_next().await {
        match joined {
            Ok((i, Ok(name))) => names[i] = name,
            Ok((_, Err(err))) => tracing::warn!(error = %err, "could not ask a member's name"),
            Err(err) => tracing::warn!(error = %err, "a member's name lookup stopped"),
        }
    }
    names
}

/// Which of `places` still exist, asked all at once; a place Discord did not answer for counts
/// as existing (a link that may be dead is better than one hidden for nothing).
pub async fn existing(lookup: &Arc<dyn Lookup>, places: &[Posted]) -> Vec<bool> {
    let mut asked = tokio::task::JoinSet::new();
    for (i, place) in places.iter().copied().enumerate() {
        let lookup = lookup.clone();
        asked.spawn(async move { (i, lookup.message_exists(place).await) });
    }
    let mut found = vec![true; places.len()];
    while let Some(joined) = asked.join_next().await {
        match joined {
            Ok((i, Ok(exists))) => found[i] = exists,
            Ok((_, Err(err))) => tracing::warn!(error = %err, "could not check a message"),
            Err(err) => tracing::warn!(error = %err, "a message check stopped"),
        }
    }
    found
}

/// Answers from tables: members with their roles, the messages known gone (by id), members'
/// names, and files by their URL.
#[derive(Clone, Debug, Default)]
pub struct Fixed {
    pub members: HashMap<u64, Vec<u64>>,
    pub gone: HashSet<u64>,
    pub names: HashMap<u64, String>,
    pub files: HashMap<String, Vec<u8>>,
}

impl Lookup for Fixed {
    fn member_roles(&self, user: u64) -> Asked<'_, Option<Vec<u64>>> {
        let roles = self.members.get(&user).cloned();
        Box::pin(async move { Ok(roles) })
    }

    fn message_exists(&self, place: Posted) -> Asked<'_, bool> {
        let exists = !self.gone.contains(&place.message);
        Box::pin(async move { Ok(exists) })
    }

    fn download(&self, url: &str, max: u64) -> Asked<'_, Option<Vec<u8>>> {
        let found = self.files.get(url).cloned();
        Box::pin(async move {
            let bytes = found.ok_or_else(|| Unreachable("no such file".into()))?;
            Ok((bytes.len() as u64 <= max).then_some(bytes))
        })
    }

    fn member_name(&self, user: u64) -> Asked<'_, Option<String>> {
        let name = self.names.get(&user).cloned();
        Box::pin(async move { Ok(name) })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn existence_is_asked_for_each_place_in_order() {
        let lookup: Arc<dyn Lookup> = Arc::new(Fixed {
            gone: [2].into(),
            ..Fixed::default()
        });
        let place = |message| Posted {
            channel: 9,
            message,
        };
        let found = existing(&lookup, &[place(1), place(2), place(3)]).await;
        assert_eq!(found, [true, false, true]);
        assert!(existing(&lookup, &[]).await.is_empty());
    }
}
