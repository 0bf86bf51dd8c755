//! `UpdateTopic`: replace an existing topic's config.

use ferrocket::protocol::UpdateTopicRequest;

use crate::broker::BrokerState;
use crate::broker::handlers::{master_only, topic_error_reply};
use crate::broker::reply::Reply;

/// Handles `UpdateTopic`.
pub fn handle(state: &BrokerState, request: UpdateTopicRequest) -> Reply {
    if let Err(reply) = master_only(state, "a topic update") {
        return reply;
    }
    let topic = request.config.topic.clone();
    match state.topics.update(request.config) {
        Ok(()) => {
            tracing::info!(%topic, "updated topic");
            Reply::empty()
        }
        Err(e) => topic_error_reply(e),
    }
}
