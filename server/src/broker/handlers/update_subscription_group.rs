//! `UpdateSubscriptionGroup`: create or replace a consumer group's config (`spec/protocol.md`
//! §5.27), saved before the answer.

use ferrocket::protocol::UpdateSubscriptionGroupRequest;

use crate::broker::BrokerState;
use crate::broker::reply::Reply;

/// Handles `UpdateSubscriptionGroup`.
pub fn handle(state: &BrokerState, request: UpdateSubscriptionGroupRequest) -> Reply {
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
