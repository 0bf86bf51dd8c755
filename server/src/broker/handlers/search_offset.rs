//! `SearchOffset`: the first offset stored at or after a timestamp.

use ferrocket::protocol::{OffsetResponse, SearchOffsetRequest};

use crate::broker::BrokerState;
use crate::broker::handlers::readable_queue;
use crate::broker::reply::Reply;

/// Handles `SearchOffset`.
pub fn handle(state: &BrokerState, request: SearchOffsetRequest) -> Reply {
    match readable_queue(state, &request.topic, request.queue_id) {
        Ok(_) => {
            let offset =
                state
                    .store
                    .search_offset(&request.topic, request.queue_id, request.timestamp_ms);
            Reply::ok(OffsetResponse { offset })
        }
        Err(reply) => reply,
    }
}
