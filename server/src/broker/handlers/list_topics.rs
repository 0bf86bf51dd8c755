//! `ListTopics`: every topic's config.

use ferrocket::protocol::{ListTopicsRequest, ListTopicsResponse};

use crate::broker::BrokerState;
use crate::broker::reply::Reply;

/// Handles `ListTopics`.
pub fn handle(state: &BrokerState, request: ListTopicsRequest) -> Reply {
    Reply::ok(ListTopicsResponse {
        topics: state.topics.list(request.include_system),
    })
}
