//! `QueryRoute` on a standalone broker: the broker is its own name server, so every route
//! points at itself. An unknown topic is routed here with the default queue count when the
//! producer allows auto-creation and the broker auto-creates topics (the first send creates it).

use ferrocket::protocol::{
    BrokerData, QueryRouteRequest, QueueData, Status, TopicConfig, TopicRoute,
};

use crate::broker::BrokerState;
use crate::broker::names;
use crate::broker::reply::Reply;

/// Handles `QueryRoute`.
pub fn handle(state: &BrokerState, request: QueryRouteRequest) -> Reply {
    if let Err(e) = names::check_topic(&request.topic) {
        return Reply::error(Status::InvalidParameter, e);
    }
    let config = match state.topics.get(&request.topic) {
        Some(config) => config,
        None if request.allow_auto_create && state.topics.auto_create() => TopicConfig::new(
            request.topic.clone(),
            state.topics.auto_create_queue_count(),
        ),
        None => {
            return Reply::error(
                Status::TopicNotExist,
                format!(
                    "no route for topic `{}`: it does not exist and auto-creation is off",
                    request.topic
                ),
            );
        }
    };
    Reply::ok(route_to_self(state, &config))
}

/// A route naming this broker as the only holder of the topic's queues.
pub fn route_to_self(state: &BrokerState, config: &TopicConfig) -> TopicRoute {
    let broker_name = state.config.broker_name.clone();
    TopicRoute {
        queues: vec![QueueData {
            broker_name: broker_name.clone(),
            read_queue_count: config.read_queue_count,
            write_queue_count: config.write_queue_count,
            perm: config.perm,
        }],
        brokers: vec![BrokerData {
            cluster: state.config.cluster_name.clone(),
            broker_name,
            addrs: vec![(state.config.broker_id, state.advertised.to_string())],
        }],
    }
}
