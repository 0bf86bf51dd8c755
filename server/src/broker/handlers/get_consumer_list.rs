//! `GetConsumerList`: the sorted client ids of a consumer group's members.

use ferrocket::protocol::{ConsumerListResponse, GetConsumerListRequest};

use crate::broker::BrokerState;
use crate::broker::handlers::valid_group;
use crate::broker::reply::Reply;

/// Handles `GetConsumerList`.
pub fn handle(state: &BrokerState, request: GetConsumerListRequest) -> Reply {
    if let Err(reply) = valid_group(&request.consumer_group) {
        return reply;
    }
    let mut client_ids = state.clients.consumers_of(&request.consumer_group);
    client_ids.truncate(ferrocket::limits::CONSUMER_LIST_COUNT_MAX);
    Reply::ok(ConsumerListResponse { client_ids })
}
