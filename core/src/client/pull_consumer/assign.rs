//! Which queues a pull consumer reads.
//!
//! `subscribe` mode joins the consumer group (clustering): the sorted read queues of each
//! subscribed topic and the sorted member list from `GetConsumerList` go through the consumer's
//! `AllocateStrategy` (`queues_for_subscription`), at start, every `REASSIGN_INTERVAL_MS_DEFAULT`
//! and at once on the broker's membership notice, so pull and push consumers of one group share
//! the queues. `assign` mode: exactly the queues the application named. `apply_assignment` is the only function that adds or removes
//! queues: it starts a fetch task for each new queue and stops removed ones.

use std::collections::{BTreeMap, BTreeSet, HashSet};
use std::sync::Arc;

use super::ConsumerCore;
use crate::client::error::ClientError;
use crate::client::queue_state::QueueState;
use crate::client::route::{MessageQueue, TopicRouteInfo};
use crate::client::shutdown::lock;
use crate::client::subscription::Selector;
use crate::limits::EXPRESSION_LEN_MAX;
use crate::message::MessageExt;
use crate::protocol::{ExpressionType, Status, Subscription};

/// A subscription: `*` (every message), `TagA || TagB`, or a SQL92 condition (which the
/// broker evaluates; the client keeps every message it sends).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct TagFilter {
    pub(crate) expression: String,
    pub(crate) expression_type: ExpressionType,
    /// `None` for `*` and for SQL92.
    tags: Option<HashSet<String>>,
}

impl TagFilter {
    pub(crate) fn all() -> TagFilter {
        TagFilter {
            expression: "*".into(),
            expression_type: ExpressionType::Tag,
            tags: None,
        }
    }

    /// A filter for `selector`.
    pub(crate) fn from_selector(selector: &Selector) -> Result<TagFilter, ClientError> {
        match selector {
            Selector::Tag(expression) => TagFilter::parse(expression),
            Selector::Sql(expression) => {
                let expression = expression.trim();
                if expression.is_empty() || expression.len() > EXPRESSION_LEN_MAX {
                    return Err(ClientError::InvalidArgument(format!(
                        "a SQL92 subscription must be 1..={EXPRESSION_LEN_MAX} bytes"
                    )));
                }
                Ok(TagFilter {
                    expression: expression.to_owned(),
                    expression_type: ExpressionType::Sql92,
                    tags: None,
                })
            }
        }
    }

    /// Parses `*`, an empty string (same as `*`) or tags joined by `||`.
    pub(crate) fn parse(expression: &str) -> Result<TagFilter, ClientError> {
        let expression = expression.trim();
        if expression.len() > EXPRESSION_LEN_MAX {
            return Err(ClientError::InvalidArgument(format!(
                "subscription expression is over {EXPRESSION_LEN_MAX} bytes"
            )));
        }
        if expression.is_empty() || expression == "*" {
            return Ok(TagFilter::all());
        }
        let tags: HashSet<String> = expression
            .split("||")
            .map(str::trim)
            .filter(|t| !t.is_empty())
            .map(str::to_owned)
            .collect();
        if tags.is_empty() {
            return Err(ClientError::InvalidArgument(format!(
                "subscription expression `{expression}` names no tag"
            )));
        }
        Ok(TagFilter {
            expression: expression.to_owned(),
            expression_type: ExpressionType::Tag,
            tags: Some(tags),
        })
    }

    /// Whether `msg` matches. The broker filters by tag hash; this re-checks the tag string
    /// because different tags can share a hash.
    pub(crate) fn matches(&self, msg: &MessageExt) -> bool {
        match &self.tags {
            None => true,
            Some(tags) => msg.tags().is_some_and(|t| tags.contains(t)),
        }
    }

    pub(crate) fn subscription(&self, topic: &str) -> Subscription {
        Subscription {
            topic: topic.to_owned(),
            expression_type: self.expression_type,
            expression: self.expression.clone(),
        }
    }
}

/// How queues are chosen.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) enum Mode {
    /// Neither `subscribe` nor `assign` was called yet.
    #[default]
    Unset,
    Subscribe,
    Assign,
}

/// This member's share of `route`'s read queues; `None` while the broker does not list it
/// as a member yet (before its first heartbeat), so the current queues are kept.
pub(crate) async fn queues_for_subscription(
    core: &ConsumerCore,
    route: &TopicRouteInfo,
) -> Result<Option<BTreeSet<MessageQueue>>, ClientError> {
    let mut mq_all = route.read_queues.clone();
    mq_all.sort();
    if route.addrs.is_empty() {
        return Ok(Some(BTreeSet::new()));
    }
    let members = match core.instance.consumer_ids(&core.group, route).await {
        Ok(members) => members,
        // A broker without consumer groups: this consumer reads every queue.
        Err(e) if e.status() == Some(Status::UnsupportedApi) => {
            return Ok(Some(mq_all.into_iter().collect()));
        }
        Err(e) => return Err(e),
    };
    let me = core.instance.client_id();
    if !members.iter().any(|m| m == me) {
        return Ok(None);
    }
    let mine = core.allocate.allocate(&core.group, me, &mq_all, &members);
    Ok(Some(mine.into_iter().collect()))
}

impl ConsumerCore {
    /// Makes the assigned queues within `scope` (a topic, or all for `None`) exactly `wanted`;
    /// starts fetch tasks for new queues when running. Returns the removed queues.
    pub(crate) fn apply_assignment(
        self: &Arc<Self>,
        scope: Option<&str>,
        wanted: BTreeSet<MessageQueue>,
    ) -> Vec<Arc<QueueState>> {
        let (added, removed) = {
            let mut queues = lock(&self.queues);
            let in_scope = |mq: &MessageQueue| scope.is_none_or(|t| mq.topic == t);
            let gone: Vec<MessageQueue> = queues
                .keys()
                .filter(|mq| in_scope(mq) && !wanted.contains(*mq))
                .cloned()
                .collect();
            let removed: Vec<Arc<QueueState>> =
                gone.iter().filter_map(|mq| queues.remove(mq)).collect();
            let mut added = Vec::new();
            for mq in wanted {
                if let std::collections::btree_map::Entry::Vacant(slot) = queues.entry(mq) {
                    let state = Arc::new(QueueState::new(slot.key().clone()));
                    slot.insert(state.clone());
                    added.push(state);
                }
            }
            (added, removed)
        };
        for q in &removed {
            q.stop();
            tracing::info!(queue = %q.mq, group = %self.group, "queue unassigned");
        }
        if self.is_running() {
            for q in added {
                tracing::info!(queue = %q.mq, group = %self.group, "queue assigned");
                self.spawn_fetch(q);
            }
        }
        removed
    }

    /// Re-reads the queues of every subscribed topic from the route cache (fetching routes
    /// not cached yet). A topic whose route cannot be had keeps its queues.
    pub(crate) async fn reassign_subscriptions(self: &Arc<Self>) -> Result<(), ClientError> {
        let topics: Vec<String> = lock(&self.filters).keys().cloned().collect();
        let mut first_error = None;
        for topic in topics {
            let share = match self.instance.routes.get(&topic, None).await {
                Ok(route) => queues_for_subscription(self, &route).await,
                Err(e) => Err(e),
            };
            match share {
                Ok(Some(wanted)) => {
                    let removed = self.apply_assignment(Some(&topic), wanted);
                    self.commit_removed(removed).await;
                }
                Ok(None) => {}
                Err(e) => {
                    tracing::warn!(topic, error = %e, "cannot assign queues");
                    first_error.get_or_insert(e);
                }
            }
        }
        first_error.map_or(Ok(()), Err)
    }

    /// Sends this consumer's subscriptions to every broker of `topic` in a heartbeat, so a
    /// subscription a broker refuses (a SQL92 condition it cannot parse) fails now.
    pub(crate) async fn check_subscription(&self, topic: &str) -> Result<(), ClientError> {
        let route = self.instance.routes.get(topic, None).await?;
        self.instance.set_consumer(self.consumer_data());
        let Some(request) = self.instance.heartbeat_request() else {
            return Ok(());
        };
        for addr in route.masters.values() {
            self.instance.heartbeat(addr, &request).await?;
        }
        Ok(())
    }

    /// Commits the consumed offsets of unassigned queues (with auto-commit on).
    async fn commit_removed(&self, removed: Vec<Arc<QueueState>>) {
        if !self.options.auto_commit {
            return;
        }
        for q in removed {
            if let Err(e) = self.commit_queue(&q).await {
                tracing::warn!(queue = %q.mq, error = %e, "commit of an unassigned queue failed");
            }
        }
    }

    /// The filter of `topic` (`*` for assigned queues of topics not subscribed).
    pub(crate) fn filter(&self, topic: &str) -> Arc<TagFilter> {
        lock(&self.filters)
            .get(topic)
            .cloned()
            .unwrap_or_else(|| Arc::new(TagFilter::all()))
    }

    /// Every subscription, for heartbeats.
    pub(crate) fn subscriptions(&self) -> Vec<Subscription> {
        let filters: BTreeMap<String, Arc<TagFilter>> = lock(&self.filters).clone();
        filters.iter().map(|(t, f)| f.subscription(t)).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::message::Message;

    /// `*` matches everything; a tag list matches only its tags, by string.
    #[test]
    fn tag_filter() {
        let all = TagFilter::parse(" * ").unwrap();
        assert_eq!(all, TagFilter::all());
        let f = TagFilter::parse("TagA || TagB").unwrap();
        let with = |t: Option<&str>| {
            let mut m = Message::new("t", "x");
            m.tags = t.map(str::to_owned);
            crate::client::tests::ext_of(m, 0)
        };
        assert!(f.matches(&with(Some("TagA"))));
        assert!(f.matches(&with(Some("TagB"))));
        assert!(!f.matches(&with(Some("TagC"))));
        assert!(!f.matches(&with(None)));
        assert!(all.matches(&with(None)));
        assert!(TagFilter::parse("||").is_err());
    }
}
