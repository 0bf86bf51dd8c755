//! `EndTransaction`: commit, roll back or defer a half message (`broker::transaction`).

use ferrocket::protocol::EndTransactionRequest;

use crate::broker::BrokerState;
use crate::broker::handlers::{master_only, valid_group};
use crate::broker::reply::Reply;

/// Handles `EndTransaction`; a half message that is not pending is ignored with `OK`.
pub async fn handle(state: &BrokerState, request: EndTransactionRequest) -> Reply {
    if let Err(reply) = valid_group(&request.producer_group)
        .and_then(|()| master_only(state, "a transaction's outcome"))
    {
        return reply;
    }
    state.transactions.end(state, &request).await;
    Reply::empty()
}
