//! `LockBatch`: lock (or renew) queues for an orderly consumer of a group.

use ferrocket::protocol::{LockBatchRequest, LockBatchResponse};

use crate::broker::BrokerState;
use crate::broker::handlers::valid_group;
use crate::broker::reply::Reply;

/// Handles `LockBatch`.
pub fn handle(state: &BrokerState, request: LockBatchRequest) -> Reply {
    if let Err(reply) = valid_group(&request.consumer_group) {
        return reply;
    }
    let locked =
        state
            .locks
            .lock_batch(&request.consumer_group, &request.client_id, &request.queues);
    Reply::ok(LockBatchResponse { locked })
}
