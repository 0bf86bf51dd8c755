//! `GetBrokerStatus`: identity, commit-log offsets and replication state.

use ferrocket::protocol::BrokerStatus;

use crate::broker::BrokerState;
use crate::broker::cluster::wire_role;
use crate::broker::reply::Reply;
use crate::config::BrokerRole;

/// Handles `GetBrokerStatus`.
pub fn handle(state: &BrokerState) -> Reply {
    let config = &state.config;
    let is_slave = config.role == BrokerRole::Slave;
    Reply::ok(BrokerStatus {
        cluster: config.cluster_name.clone(),
        broker_name: config.broker_name.clone(),
        broker_id: config.broker_id,
        role: wire_role(config.role),
        addr: state.advertised.to_string(),
        commit_log_min_offset: state.store.commit_log_min_offset(),
        commit_log_max_offset: state.store.commit_log_max_offset(),
        flushed_offset: state.store.flushed_offset(),
        topic_count: u32::try_from(state.topics.list(true).len()).unwrap_or(u32::MAX),
        master_addr: if is_slave {
            state.cluster.copying_from()
        } else {
            String::new()
        },
        slaves: if is_slave {
            Vec::new()
        } else {
            state.cluster.replicas.statuses()
        },
    })
}
