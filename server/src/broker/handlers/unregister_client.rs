//! `UnregisterClient`: a client leaves its groups; the remaining members of its consumer group
//! are told to rebalance.

use ferrocket::protocol::UnregisterClientRequest;

use crate::broker::BrokerState;
use crate::broker::reply::Reply;

/// Handles `UnregisterClient`.
pub fn handle(state: &BrokerState, request: UnregisterClientRequest) -> Reply {
    let changed = state.clients.unregister(
        &request.client_id,
        &request.producer_group,
        &request.consumer_group,
    );
    if !changed.is_empty() {
        tracing::info!(
            client_id = request.client_id,
            group = request.consumer_group,
            "consumer left its group"
        );
    }
    state.notifier.changed(changed);
    Reply::empty()
}
