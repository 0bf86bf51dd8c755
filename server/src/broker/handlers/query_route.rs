//! `QueryRoute` on a broker: answered by the name server it hosts (standalone mode), from the
//! same route tables a separate name server keeps. The broker registers with it again first
//! when its topic table changed, so a topic a send just created is routable at once; an unknown
//! topic is routed here when the producer allows auto-creation and the broker auto-creates.

use ferrocket::protocol::QueryRouteRequest;

use crate::broker::BrokerState;
use crate::broker::cluster::register_locally;
use crate::broker::handlers::namesrv::hosted;
use crate::broker::reply::Reply;
use crate::namesrv::handlers;

/// Handles `QueryRoute`.
pub fn handle(state: &BrokerState, request: QueryRouteRequest) -> Reply {
    match hosted(state) {
        Ok(table) => {
            register_locally(state, false);
            handlers::query_route(table, &request)
        }
        Err(reply) => reply,
    }
}
