//! `DescribeTopic`: a topic's config and per-queue offsets.

use ferrocket::protocol::{DescribeTopicRequest, DescribeTopicResponse, QueueStatus};

use crate::broker::BrokerState;
use crate::broker::handlers::existing_topic;
use crate::broker::reply::Reply;

/// Handles `DescribeTopic`.
pub fn handle(state: &BrokerState, request: DescribeTopicRequest) -> Reply {
    let config = match existing_topic(state, &request.topic) {
        Ok(config) => config,
        Err(reply) => return reply,
    };
    let queue_count = config.read_queue_count.max(config.write_queue_count);
    let queues = (0..u32::from(queue_count))
        .map(|queue_id| QueueStatus {
            queue_id,
            min_offset: state.store.min_offset(&config.topic, queue_id),
            max_offset: state.store.max_offset(&config.topic, queue_id),
            last_store_timestamp_ms: state.store.last_store_timestamp(&config.topic, queue_id),
        })
        .collect();
    Reply::ok(DescribeTopicResponse { config, queues })
}
