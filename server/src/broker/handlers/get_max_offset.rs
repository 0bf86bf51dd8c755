//! `GetMaxOffset`: the offset one past the last message of a queue.

use ferrocket::protocol::{GetMaxOffsetRequest, OffsetResponse};

use crate::broker::BrokerState;
use crate::broker::handlers::readable_queue;
use crate::broker::reply::Reply;

/// Handles `GetMaxOffset`.
pub fn handle(state: &BrokerState, request: GetMaxOffsetRequest) -> Reply {
    match readable_queue(state, &request.topic, request.queue_id) {
        Ok(_) => Reply::ok(OffsetResponse {
            offset: state.store.max_offset(&request.topic, request.queue_id),
        }),
        Err(reply) => reply,
    }
}
