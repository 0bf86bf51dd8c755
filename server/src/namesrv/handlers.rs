//! The name server's request handlers, shared by the standalone name server
//! (`ferrocket namesrv`) and the name server a standalone broker hosts on its own port:
//! `QueryRoute`, `RegisterBroker`, `UnregisterBroker` and `GetClusterInfo`.

use std::net::SocketAddr;
use std::time::Instant;

use ferrocket::protocol::{
    AnyRequest, GetClusterInfoRequest, QueryRouteRequest, RegisterBrokerRequest, Status,
    UnregisterBrokerRequest,
};

use crate::broker::handlers::api_versions;
use crate::broker::names;
use crate::broker::reply::Reply;
use crate::namesrv::routes::{Registrar, RouteTable};

/// Handles `QueryRoute`: the topic's queues and brokers, or `TOPIC_NOT_EXIST`.
pub fn query_route(table: &RouteTable, request: &QueryRouteRequest) -> Reply {
    if let Err(e) = names::check_topic(&request.topic) {
        return Reply::error(Status::InvalidParameter, e);
    }
    match table.route(&request.topic, request.allow_auto_create) {
        Some(route) => Reply::ok(route),
        None => Reply::error(
            Status::TopicNotExist,
            format!(
                "no route for topic `{}`: no registered broker holds it{}",
                request.topic,
                if request.allow_auto_create {
                    " or auto-creates topics"
                } else {
                    ""
                }
            ),
        ),
    }
}

/// Handles `RegisterBroker` from `registrar`.
pub fn register_broker(
    table: &RouteTable,
    request: &RegisterBrokerRequest,
    registrar: Registrar,
) -> Reply {
    match table.register(request, registrar, Instant::now()) {
        Ok(response) => {
            tracing::debug!(broker = %request.broker_name, id = request.broker_id,
                addr = %request.broker_addr, topics = request.topics.len(), "broker registered");
            Reply::ok(response)
        }
        Err(e) => Reply::error(Status::InvalidParameter, e),
    }
}

/// Handles `UnregisterBroker`.
pub fn unregister_broker(table: &RouteTable, request: &UnregisterBrokerRequest) -> Reply {
    table.unregister(request);
    Reply::empty()
}

/// Handles `GetClusterInfo`.
pub fn get_cluster_info(table: &RouteTable, request: &GetClusterInfoRequest) -> Reply {
    Reply::ok(table.cluster_info(&request.cluster, Instant::now()))
}

/// Runs the name-server handler of `request`, received on the connection from `peer`.
pub fn dispatch(table: &RouteTable, request: AnyRequest, peer: SocketAddr) -> Reply {
    match request {
        AnyRequest::ApiVersions(r) => api_versions::handle(r),
        AnyRequest::QueryRoute(r) => query_route(table, &r),
        AnyRequest::RegisterBroker(r) => register_broker(table, &r, Registrar::Connection(peer)),
        AnyRequest::UnregisterBroker(r) => unregister_broker(table, &r),
        AnyRequest::GetClusterInfo(r) => get_cluster_info(table, &r),
        other => Reply::error(
            Status::UnsupportedApi,
            format!(
                "api {} is not served by a name server; ask a broker",
                other.api_key().name()
            ),
        ),
    }
}
