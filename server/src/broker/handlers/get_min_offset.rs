//! `GetMinOffset`: the lowest offset still stored in a queue.

use ferrocket::protocol::{GetMinOffsetRequest, OffsetResponse};

use crate::broker::BrokerState;
use crate::broker::handlers::readable_queue;
use crate::broker::reply::Reply;

/// Handles `GetMinOffset`.
pub fn handle(state: &BrokerState, request: GetMinOffsetRequest) -> Reply {
    match readable_queue(state, &request.topic, request.queue_id) {
        Ok(_) => Reply::ok(OffsetResponse {
            offset: state.store.min_offset(&request.topic, request.queue_id),
        }),
        Err(reply) => reply,
    }
}
