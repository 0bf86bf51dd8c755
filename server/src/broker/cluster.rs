//! A broker's place in its cluster: the name server it may host on its own port (standalone
//! mode), its registrations, and the tasks its role needs.
//!
//! Tasks (owned by `ClusterTasks`, stopped by the broker's shutdown signal):
//! - the registrar (`registrar`): registers with every configured name server at start, every
//!   `register_interval_ms` and within `TOPIC_CHANGE_CHECK_MS` of a topic change, and
//!   unregisters at a clean shutdown;
//! - with a hosted name server, its expiry scan;
//! - on a slave, the commit-log copy (`ha::slave`) and the metadata copy (`ha::sync`).
//!
//! A hosted name server learns about this broker in-process (`register_locally`), and again
//! whenever the topic table changed before it answers a route, so a topic a send just created
//! is routable at once, as in a single-process broker.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use ferrocket::limits::NAMESRV_SCAN_INTERVAL_MS_DEFAULT;
use ferrocket::protocol::{BrokerRole as WireRole, RegisterBrokerRequest};
use tokio::sync::watch;
use tokio::task::JoinHandle;

use crate::broker::BrokerState;
use crate::broker::registrar;
use crate::config::{BrokerConfig, BrokerRole};
use crate::ha;
use crate::ha::master::ReplicaTracker;
use crate::namesrv::{Registrar, RouteTable, spawn_expiry};

/// Cluster state shared by the handlers and the cluster tasks.
#[derive(Debug)]
pub struct ClusterState {
    /// The name server this broker hosts on its own port, if any.
    pub namesrv: Option<Arc<RouteTable>>,
    /// A master's slaves and their acknowledgements.
    pub replicas: ReplicaTracker,
    /// A slave's master (from `ha_master_addr` or the name servers); empty while unknown.
    pub master: watch::Sender<String>,
    /// The master a slave is copying from right now; empty when not copying.
    copying_from: Mutex<String>,
    /// Topic-table version last registered with the hosted name server.
    local_version: Mutex<Option<u64>>,
}

impl ClusterState {
    /// The state for a broker with `config`.
    pub fn new(config: &BrokerConfig) -> ClusterState {
        let namesrv = config.embedded_namesrv.then(|| {
            Arc::new(RouteTable::new(Duration::from_millis(
                ferrocket::limits::BROKER_EXPIRY_MS_DEFAULT,
            )))
        });
        ClusterState {
            namesrv,
            replicas: ReplicaTracker::new(Duration::from_millis(config.ha_housekeeping_ms)),
            master: watch::Sender::new(config.ha_master_addr.trim().to_owned()),
            copying_from: Mutex::new(String::new()),
            local_version: Mutex::new(None),
        }
    }

    /// Records the master a slave copies from (empty: none).
    pub fn set_copying_from(&self, addr: &str) {
        let mut current = self.copying_from.lock().unwrap_or_else(|e| e.into_inner());
        addr.clone_into(&mut current);
    }

    /// The master a slave copies from right now; empty when not copying.
    pub fn copying_from(&self) -> String {
        self.copying_from
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    /// Takes a master address learned from a name server (when none is configured).
    pub fn learn_master(&self, config: &BrokerConfig, master_ha_addr: &str) {
        if config.role != BrokerRole::Slave || !config.ha_master_addr.trim().is_empty() {
            return;
        }
        if master_ha_addr.is_empty() {
            return;
        }
        self.master.send_if_modified(|current| {
            if current == master_ha_addr {
                return false;
            }
            tracing::info!(master = %master_ha_addr, "master learned from the name server");
            master_ha_addr.clone_into(current);
            true
        });
    }
}

/// The wire role of a config role.
pub fn wire_role(role: BrokerRole) -> WireRole {
    match role {
        BrokerRole::AsyncMaster => WireRole::AsyncMaster,
        BrokerRole::SyncMaster => WireRole::SyncMaster,
        BrokerRole::Slave => WireRole::Slave,
    }
}

/// The registration this broker sends: identity, role, and every topic.
pub fn registration(state: &BrokerState) -> RegisterBrokerRequest {
    let config = &state.config;
    let auto_create = config.role != BrokerRole::Slave && state.topics.auto_create();
    let addr = state.advertised.to_string();
    RegisterBrokerRequest {
        cluster: config.cluster_name.clone(),
        broker_name: config.broker_name.clone(),
        broker_id: config.broker_id,
        broker_addr: addr.clone(),
        ha_addr: addr,
        role: wire_role(config.role),
        auto_create_queue_count: if auto_create {
            state.topics.auto_create_queue_count()
        } else {
            0
        },
        topics: state.topics.list(true),
    }
}

/// Registers with the hosted name server, if any: always with `force`, else only when the
/// topic table changed since the last local registration.
pub fn register_locally(state: &BrokerState, force: bool) {
    let Some(table) = &state.cluster.namesrv else {
        return;
    };
    let mut last = state
        .cluster
        .local_version
        .lock()
        .unwrap_or_else(|e| e.into_inner());
    let version = state.topics.version();
    if !force && *last == Some(version) {
        return;
    }
    match table.register(&registration(state), Registrar::Local, Instant::now()) {
        Ok(answer) => {
            *last = Some(version);
            state
                .cluster
                .learn_master(&state.config, &answer.master_ha_addr);
        }
        Err(e) => tracing::error!(error = %e, "cannot register with the hosted name server"),
    }
}

/// The cluster tasks of one broker.
#[derive(Debug)]
pub struct ClusterTasks {
    tasks: Vec<JoinHandle<()>>,
}

impl ClusterTasks {
    /// Starts the tasks `state`'s config calls for.
    pub fn start(state: &Arc<BrokerState>) -> ClusterTasks {
        let mut tasks = Vec::new();
        if state.cluster.namesrv.is_none() && state.config.name_servers().is_empty() {
            tracing::warn!(
                "this broker hosts no name server and has no namesrv_addrs: clients cannot find it"
            );
        }
        register_locally(state, true);
        if let Some(table) = &state.cluster.namesrv {
            let every = Duration::from_millis(NAMESRV_SCAN_INTERVAL_MS_DEFAULT);
            tasks.push(spawn_expiry(table.clone(), every, state.shutdown_rx()));
        }
        tasks.push(tokio::spawn(registrar::run(
            state.clone(),
            state.shutdown_rx(),
        )));
        if state.config.role == BrokerRole::Slave {
            tasks.push(tokio::spawn(ha::slave::run(
                state.clone(),
                state.shutdown_rx(),
            )));
            tasks.push(tokio::spawn(ha::sync::run(
                state.clone(),
                state.shutdown_rx(),
            )));
        }
        ClusterTasks { tasks }
    }

    /// Waits for the tasks, which end once the broker's shutdown signal is sent.
    pub async fn join(self) {
        for task in self.tasks {
            let _ = task.await;
        }
    }

    /// Stops the tasks at once, as a crash would (no unregistration).
    pub async fn abort(self) {
        for task in &self.tasks {
            task.abort();
        }
        for task in self.tasks {
            let _ = task.await;
        }
    }
}
