//! `RegisterBroker`, `UnregisterBroker` and `GetClusterInfo` on a broker: served by the name
//! server it hosts on its own port (standalone), `UNSUPPORTED_API` when it hosts none.

use ferrocket::protocol::{
    GetClusterInfoRequest, RegisterBrokerRequest, Status, UnregisterBrokerRequest,
};

use crate::broker::BrokerState;
use crate::broker::cluster::register_locally;
use crate::broker::connection::ConnContext;
use crate::broker::reply::Reply;
use crate::namesrv::{Registrar, RouteTable, handlers};

/// The hosted name server, or the answer of a broker that hosts none.
pub fn hosted(state: &BrokerState) -> Result<&RouteTable, Reply> {
    state.cluster.namesrv.as_deref().ok_or_else(|| {
        Reply::error(
            Status::UnsupportedApi,
            "this broker hosts no name server; ask the cluster's name servers",
        )
    })
}

/// Handles `RegisterBroker` from another broker.
pub fn register_broker(
    state: &BrokerState,
    ctx: &ConnContext,
    request: &RegisterBrokerRequest,
) -> Reply {
    match hosted(state) {
        Ok(table) => handlers::register_broker(table, request, Registrar::Connection(ctx.peer)),
        Err(reply) => reply,
    }
}

/// Handles `UnregisterBroker`.
pub fn unregister_broker(state: &BrokerState, request: &UnregisterBrokerRequest) -> Reply {
    match hosted(state) {
        Ok(table) => handlers::unregister_broker(table, request),
        Err(reply) => reply,
    }
}

/// Handles `GetClusterInfo`.
pub fn get_cluster_info(state: &BrokerState, request: &GetClusterInfoRequest) -> Reply {
    match hosted(state) {
        Ok(table) => {
            register_locally(state, false);
            handlers::get_cluster_info(table, request)
        }
        Err(reply) => reply,
    }
}
