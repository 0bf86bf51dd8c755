//! `Heartbeat`: remember the client, its groups and subscriptions; create a new consumer
//! group's config (when auto-creation is on) and a clustering group's retry topic; queue a
//! membership notice when a group changed.

use ferrocket::protocol::{HeartbeatRequest, MessageModel, Status, TopicConfig};

use crate::broker::BrokerState;
use crate::broker::connection::ConnContext;
use crate::broker::filter::Filter;
use crate::broker::handlers::consumer_send_back::RETRY_TOPIC_PREFIX;
use crate::broker::names;
use crate::broker::reply::Reply;
use crate::config::BrokerRole;

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
    if let Err(reply) = check_subscriptions(&request) {
        return reply;
    }
    // Like RocketMQ, a group's config is created at its first heartbeat (when the broker
    // auto-creates groups), and a clustering group's retry topic (with the group's retry queue
    // count) exists from then on, so its members can route and pull it before any message was
    // sent back; the new topic reaches the name servers with the broker's next registration
    // (`registrar`: at once on a topic change). An unknown group is still registered; its
    // pulls are refused. A slave creates neither: it copies its master's groups and topics.
    let creates = state.config.role != BrokerRole::Slave;
    for group in request.consumer_groups.iter().filter(|_| creates) {
        let Some(config) = state.subscription_groups.get_or_auto_create(&group.group) else {
            continue;
        };
        if group.message_model == MessageModel::Clustering {
            let retry = format!("{RETRY_TOPIC_PREFIX}{}", group.group);
            let queues = config.retry_queue_count;
            if state.topics.get(&retry).is_none()
                && let Err(e) = state
                    .topics
                    .create(TopicConfig::new(retry.as_str(), queues))
            {
                tracing::debug!(topic = retry, error = %e, "retry topic not created");
            }
        }
    }
    let changed = state.clients.heartbeat(&ctx.channel, request);
    state.notifier.changed(changed);
    Reply::empty()
}

/// Refuses a heartbeat whose subscription expressions do not parse (RocketMQ checks SQL92
/// subscriptions when a consumer registers), so a consumer learns at once.
fn check_subscriptions(request: &HeartbeatRequest) -> Result<(), Reply> {
    let subscriptions = request
        .consumer_groups
        .iter()
        .flat_map(|c| c.subscriptions.iter().map(move |s| (&c.group, s)));
    for (group, sub) in subscriptions {
        if let Err(e) = Filter::parse(sub.expression_type, &sub.expression) {
            return Err(Reply::error(
                Status::SubscriptionParseFailed,
                format!("group `{group}`, topic `{}`: {e}", sub.topic),
            ));
        }
    }
    Ok(())
}
