//! `GetConsumerOffsets`: one page of the committed offset table (a slave's metadata copy).

use ferrocket::limits::CONSUMER_OFFSET_PAGE_COUNT_MAX;
use ferrocket::protocol::{ConsumerOffsetEntry, ConsumerOffsetsPage, GetConsumerOffsetsRequest};

use crate::broker::BrokerState;
use crate::broker::reply::Reply;

/// Handles `GetConsumerOffsets`.
pub fn handle(state: &BrokerState, request: GetConsumerOffsetsRequest) -> Reply {
    let start = request.start_index as usize;
    let offsets = state
        .offsets
        .page(start, CONSUMER_OFFSET_PAGE_COUNT_MAX)
        .into_iter()
        .map(
            |(consumer_group, topic, queue_id, offset)| ConsumerOffsetEntry {
                consumer_group,
                topic,
                queue_id,
                offset,
            },
        )
        .collect();
    Reply::ok(ConsumerOffsetsPage {
        total: u32::try_from(state.offsets.len()).unwrap_or(u32::MAX),
        offsets,
    })
}
