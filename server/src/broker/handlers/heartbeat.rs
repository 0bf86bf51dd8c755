//! `Heartbeat`: remember the client, its groups and subscriptions.

use ferrocket::protocol::{HeartbeatRequest, Status};

use crate::broker::BrokerState;
use crate::broker::connection::ConnContext;
use crate::broker::names;
use crate::broker::reply::Reply;

/// Handles `Heartbeat`.
pub fn handle(state: &BrokerState, ctx: &ConnContext, request: HeartbeatRequest) -> Reply {
    let groups = request
        .producer_groups
        .iter()
        .chain(request.consumer_groups.iter().map(|c| &c.group));
    for group in groups {
        if let Err(e) = names::check_group(group) {
            return Reply::error(Status::InvalidParameter, e);
        }
    }
    state.clients.heartbeat(&ctx.channel, request);
    Reply::empty()
}
