//! `UnlockBatch`: release queue locks of an orderly consumer.

use ferrocket::protocol::UnlockBatchRequest;

use crate::broker::BrokerState;
use crate::broker::handlers::valid_group;
use crate::broker::reply::Reply;

/// Handles `UnlockBatch`.
pub fn handle(state: &BrokerState, request: UnlockBatchRequest) -> Reply {
    if let Err(reply) = valid_group(&request.consumer_group) {
        return reply;
    }
    state
        .locks
        .unlock_batch(&request.consumer_group, &request.client_id, &request.queues);
    Reply::empty()
}
