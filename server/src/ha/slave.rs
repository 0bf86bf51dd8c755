//! The slave's side of replication: one task that keeps a `ReplicaFetch` outstanding at its
//! master and appends what comes back to its own store.
//!
//! The master's address comes from `ha_master_addr` or from the name servers' answers to the
//! slave's registrations (`ClusterState::master`); when it changes, the task moves to the new
//! master. Each fetch asks from the end of the slave's commit log, which is also the slave's
//! acknowledgement. Errors (master down, refused fetch) are logged and retried with a backoff
//! of `RETRY_BACKOFF_MIN`..`RETRY_BACKOFF_MAX`, so copying resumes across restarts of either
//! side by itself.

use std::sync::Arc;
use std::time::Duration;

use ferrocket::client::{ConnectOptions, ConnectionPool};
use ferrocket::limits::{CONNECT_TIMEOUT_MS_DEFAULT, REQUEST_TIMEOUT_MS_DEFAULT};
use ferrocket::protocol::ReplicaFetchRequest;
use tokio::sync::watch;

use crate::broker::BrokerState;

/// First pause after a failed fetch.
const RETRY_BACKOFF_MIN: Duration = Duration::from_millis(100);
/// Longest pause after repeated failed fetches.
const RETRY_BACKOFF_MAX: Duration = Duration::from_secs(2);

/// Why copying from one master stopped.
enum Stop {
    /// The broker is shutting down.
    Shutdown,
    /// The master address changed.
    MasterChanged,
}

/// Copies the master's commit log until the broker shuts down.
pub async fn run(state: Arc<BrokerState>, mut shutdown: watch::Receiver<bool>) {
    let pool = ConnectionPool::new(ConnectOptions {
        connect_timeout: Duration::from_millis(CONNECT_TIMEOUT_MS_DEFAULT),
        request_timeout: Duration::from_millis(REQUEST_TIMEOUT_MS_DEFAULT),
        handler: None,
    });
    let mut master = state.cluster.master.subscribe();
    let mut backoff = RETRY_BACKOFF_MIN;
    loop {
        let addr = master.borrow_and_update().clone();
        if addr.is_empty() {
            tokio::select! {
                _ = master.changed() => continue,
                _ = shutdown.changed() => break,
            }
        }
        match copy_from(&state, &pool, &addr, &mut master, &mut shutdown).await {
            Ok(Stop::Shutdown) => break,
            Ok(Stop::MasterChanged) => backoff = RETRY_BACKOFF_MIN,
            Err(e) => {
                state.cluster.set_copying_from("");
                if backoff == RETRY_BACKOFF_MIN {
                    tracing::warn!(master = %addr, error = %e, "replication stopped; retrying");
                } else {
                    tracing::debug!(master = %addr, error = %e, "replication still failing");
                }
                tokio::select! {
                    _ = tokio::time::sleep(backoff) => {}
                    _ = shutdown.changed() => break,
                }
                backoff = (backoff * 2).min(RETRY_BACKOFF_MAX);
            }
        }
    }
    pool.close_all().await;
}

/// Fetches from `addr` until an error, a master change or shutdown.
async fn copy_from(
    state: &BrokerState,
    pool: &ConnectionPool,
    addr: &str,
    master: &mut watch::Receiver<String>,
    shutdown: &mut watch::Receiver<bool>,
) -> Result<Stop, String> {
    let conn = pool.get(addr).await.map_err(|e| e.to_string())?;
    let wait = u64::from(state.config.replica_fetch_wait_ms);
    let budget = Duration::from_millis(wait + REQUEST_TIMEOUT_MS_DEFAULT);
    let mut announced = false;
    loop {
        let offset = state.store.commit_log_max_offset();
        let request = ReplicaFetchRequest {
            broker_name: state.config.broker_name.clone(),
            broker_id: state.config.broker_id,
            slave_addr: state.advertised.to_string(),
            offset,
            max_bytes: state.config.replica_fetch_bytes,
            // The first fetch of a connection is answered at once: it checks the master.
            max_wait_ms: if announced {
                state.config.replica_fetch_wait_ms
            } else {
                0
            },
        };
        let response = tokio::select! {
            r = conn.call(&request, budget) => r.map_err(|e| e.to_string())?,
            _ = master.changed() => return Ok(Stop::MasterChanged),
            _ = shutdown.changed() => return Ok(Stop::Shutdown),
        };
        if response.segment_size != state.store.segment_size() {
            return Err(format!(
                "the master's segment_size is {}, this slave's {}: they must be equal",
                response.segment_size,
                state.store.segment_size()
            ));
        }
        if !announced {
            tracing::info!(master = %addr, offset, master_max = response.master_max_offset,
                "copying the master's commit log");
            state.cluster.set_copying_from(addr);
            announced = true;
        }
        if response.data.is_empty() {
            continue;
        }
        state
            .store
            .append_replica(response.data_offset, &response.data)
            .map_err(|e| format!("cannot append at {}: {e}", response.data_offset))?;
    }
}
