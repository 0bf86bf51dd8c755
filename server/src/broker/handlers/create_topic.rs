//! `CreateTopic`: add a topic to the table.

use ferrocket::protocol::CreateTopicRequest;

use crate::broker::BrokerState;
use crate::broker::handlers::{master_only, topic_error_reply};
use crate::broker::reply::Reply;

/// Handles `CreateTopic`.
pub fn handle(state: &BrokerState, request: CreateTopicRequest) -> Reply {
    if let Err(reply) = master_only(state, "topic creation") {
        return reply;
    }
    match state.topics.create(request.config) {
        Ok(config) => {
            tracing::info!(topic = %config.topic, queues = config.write_queue_count, "created topic");
            Reply::empty()
        }
        Err(e) => topic_error_reply(e),
    }
}
