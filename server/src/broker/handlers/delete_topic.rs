//! `DeleteTopic`: drop a topic, its consume queues and every group's offsets of it.

use ferrocket::protocol::{DeleteTopicRequest, Status};

use crate::broker::BrokerState;
use crate::broker::handlers::{existing_topic, master_only, topic_error_reply};
use crate::broker::reply::Reply;

/// Handles `DeleteTopic`.
pub fn handle(state: &BrokerState, request: DeleteTopicRequest) -> Reply {
    if let Err(reply) = master_only(state, "a topic deletion") {
        return reply;
    }
    if let Err(reply) = existing_topic(state, &request.topic) {
        return reply;
    }
    if let Err(e) = state.topics.delete(&request.topic) {
        return topic_error_reply(e);
    }
    state.offsets.delete_topic(&request.topic);
    if let Err(e) = state.store.delete_topic(&request.topic) {
        tracing::error!(topic = %request.topic, error = %e, "cannot delete consume queues");
        return Reply::error(
            Status::SystemError,
            format!("topic removed, but its queues could not be deleted: {e}"),
        );
    }
    tracing::info!(topic = %request.topic, "deleted topic");
    Reply::empty()
}
