//! `UpdateSubscriptionGroup`: create or replace a consumer group's config (`spec/protocol.md`
//! §5.29), saved before the answer. A slave refuses it: it copies its master's groups, and the
//! next copy would undo the change.

use ferrocket::protocol::UpdateSubscriptionGroupRequest;

use crate::broker::BrokerState;
use crate::broker::handlers::master_only;
use crate::broker::reply::Reply;

/// Handles `UpdateSubscriptionGroup`.
pub fn handle(state: &BrokerState, request: UpdateSubscriptionGroupRequest) -> Reply {
    if let Err(reply) = master_only(state, "a subscription-group change") {
        return reply;
    }
    let group = request.config.group.clone();
    match state
        .subscription_groups
        .write(request.mode, request.config)
    {
        Ok(()) => {
            tracing::info!(group, mode = ?request.mode, "subscription group written");
            Reply::empty()
        }
        Err(e) => e.reply(),
    }
}
