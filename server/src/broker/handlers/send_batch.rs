//! `SendBatch`: like `SendMessage`, for several records of one queue stored all or none.

use ferrocket::protocol::SendBatchRequest;

use crate::broker::BrokerState;
use crate::broker::handlers::send_message::{SendArgs, SendStage};

/// Begins a `SendBatch`: checks it and writes it to the store without waiting.
pub fn begin(state: &BrokerState, request: &SendBatchRequest) -> SendStage {
    let args = SendArgs {
        producer_group: &request.producer_group,
        topic: &request.topic,
        queue_id: request.queue_id,
        wait_store_msg_ok: request.wait_store_msg_ok,
        auto_create_queue_count: request.auto_create_queue_count,
        records: &request.records,
        record_count: request.record_count,
    };
    crate::broker::handlers::send_message::begin(state, &args)
}
