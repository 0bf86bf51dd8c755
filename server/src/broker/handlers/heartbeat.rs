//! `Heartbeat`: remember the client, its groups and subscriptions; create a clustering group's
//! retry topic; queue a membership notice when a group changed.

use ferrocket::protocol::{HeartbeatRequest, MessageModel, Status, TopicConfig};

use crate::broker::BrokerState;
use crate::broker::connection::ConnContext;
use crate::broker::handlers::consumer_send_back::RETRY_TOPIC_PREFIX;
use crate::broker::names;
use crate::broker::reply::Reply;

/// Handles `Heartbeat`.
pub fn handle(state: &BrokerState, ctx: &ConnContext, request: HeartbeatRequest) -> Reply {
    let groups = request
        .producer_groups
        .iter()
        .chain(request.consumer_groups.iter().map(|c| &c.group));
    for group in groups {
        if let Err(e) = names::check_group(group) {
            return Reply::error(Status::InvalidParameter, e);
        }
    }
    // Like RocketMQ, a clustering group's retry topic exists from its first heartbeat, so its
    // members can route and pull it before any message was sent back.
    for group in &request.consumer_groups {
        if group.message_model == MessageModel::Clustering {
            let retry = format!("{RETRY_TOPIC_PREFIX}{}", group.group);
            if state.topics.get(&retry).is_none()
                && let Err(e) = state.topics.create(TopicConfig::new(retry.as_str(), 1))
            {
                tracing::debug!(topic = retry, error = %e, "retry topic not created");
            }
        }
    }
    let changed = state.clients.heartbeat(&ctx.channel, request);
    state.notifier.changed(changed);
    Reply::empty()
}
