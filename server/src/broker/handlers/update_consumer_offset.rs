//! `UpdateConsumerOffset`: commit a group's offset of a queue.

use ferrocket::protocol::UpdateConsumerOffsetRequest;

use crate::broker::BrokerState;
use crate::broker::handlers::{readable_queue, valid_group};
use crate::broker::reply::Reply;

/// Handles `UpdateConsumerOffset`.
pub fn handle(state: &BrokerState, request: UpdateConsumerOffsetRequest) -> Reply {
    if let Err(reply) = valid_group(&request.consumer_group)
        .and(readable_queue(state, &request.topic, request.queue_id).map(drop))
    {
        return reply;
    }
    state.offsets.commit(
        &request.consumer_group,
        &request.topic,
        request.queue_id,
        request.offset,
    );
    Reply::empty()
}
