//! `QueryConsumerOffset`: a group's committed offset of a queue, or `QUERY_NOT_FOUND`.

use ferrocket::protocol::{OffsetResponse, QueryConsumerOffsetRequest, Status};

use crate::broker::BrokerState;
use crate::broker::handlers::{existing_topic, valid_group};
use crate::broker::reply::Reply;

/// Handles `QueryConsumerOffset`.
pub fn handle(state: &BrokerState, request: QueryConsumerOffsetRequest) -> Reply {
    if let Err(reply) =
        valid_group(&request.consumer_group).and(existing_topic(state, &request.topic).map(drop))
    {
        return reply;
    }
    match state
        .offsets
        .query(&request.consumer_group, &request.topic, request.queue_id)
    {
        Some(offset) => Reply::ok(OffsetResponse { offset }),
        None => Reply::error(
            Status::QueryNotFound,
            format!(
                "group `{}` has no committed offset for `{}` queue {}",
                request.consumer_group, request.topic, request.queue_id
            ),
        ),
    }
}
