//! `DeleteSubscriptionGroup`: forget a consumer group's config and, when asked, its committed
//! offsets (`spec/protocol.md` §5.30). A slave refuses it, like `UpdateSubscriptionGroup`.

use ferrocket::protocol::DeleteSubscriptionGroupRequest;

use crate::broker::BrokerState;
use crate::broker::handlers::{master_only, valid_group};
use crate::broker::reply::Reply;

/// Handles `DeleteSubscriptionGroup`.
pub fn handle(state: &BrokerState, request: DeleteSubscriptionGroupRequest) -> Reply {
    let group = &request.consumer_group;
    if let Err(reply) =
        valid_group(group).and_then(|()| master_only(state, "a subscription-group change"))
    {
        return reply;
    }
    if let Err(e) = state.subscription_groups.delete(group) {
        return e.reply();
    }
    if request.remove_offsets {
        state.offsets.delete_group(group);
        if let Err(e) = state.offsets.persist() {
            tracing::error!(group, error = %e, "cannot save consumer offsets after a group delete");
        }
    }
    tracing::info!(group, request.remove_offsets, "subscription group deleted");
    Reply::empty()
}
