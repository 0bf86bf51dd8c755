//! The broker's registrations with its name servers (RocketMQ's `registerBrokerAll`).
//!
//! One task registers with every name server of `namesrv_addrs`, side by side, at start, every
//! `register_interval_ms`, and within `TOPIC_CHANGE_CHECK_MS` of a change of the topic table.
//! Each name server keeps the connection the registration came on: when it closes (the broker
//! died), the name server forgets the broker at once. A failed registration is logged and
//! retried at the next round. A slave takes its master's address from the answers. At a clean
//! shutdown the task unregisters from every name server before it ends.

use std::sync::Arc;
use std::time::{Duration, Instant};

use ferrocket::client::{ConnectOptions, ConnectionPool};
use ferrocket::limits::{CONNECT_TIMEOUT_MS_DEFAULT, REQUEST_TIMEOUT_MS_DEFAULT};
use ferrocket::protocol::{RegisterBrokerRequest, UnregisterBrokerRequest};
use tokio::sync::watch;
use tokio::task::JoinSet;

use crate::broker::BrokerState;
use crate::broker::cluster::{register_locally, registration};

/// How often the task looks for topic changes, in milliseconds.
pub const TOPIC_CHANGE_CHECK_MS: u64 = 200;
/// How long unregistering at shutdown may take per name server.
const UNREGISTER_TIMEOUT: Duration = Duration::from_secs(1);

/// Registers until the broker shuts down, then unregisters.
pub async fn run(state: Arc<BrokerState>, mut shutdown: watch::Receiver<bool>) {
    let name_servers = state.config.name_servers();
    let pool = Arc::new(ConnectionPool::new(ConnectOptions {
        connect_timeout: Duration::from_millis(CONNECT_TIMEOUT_MS_DEFAULT),
        request_timeout: Duration::from_millis(REQUEST_TIMEOUT_MS_DEFAULT),
        handler: None,
    }));
    let interval = Duration::from_millis(state.config.register_interval_ms);
    let check = Duration::from_millis(TOPIC_CHANGE_CHECK_MS).min(interval);
    let mut registered_version = None;
    let mut next_round = Instant::now();
    loop {
        let version = state.topics.version();
        if registered_version != Some(version) || Instant::now() >= next_round {
            register_locally(&state, true);
            if !name_servers.is_empty() {
                register_all(&state, &pool, &name_servers).await;
            }
            registered_version = Some(version);
            next_round = Instant::now() + interval;
        }
        tokio::select! {
            _ = tokio::time::sleep(check) => {}
            _ = shutdown.changed() => break,
        }
    }
    unregister_all(&state, &pool, &name_servers).await;
    pool.close_all().await;
}

/// Registers with every name server side by side; a slave learns its master from the answers.
async fn register_all(state: &BrokerState, pool: &Arc<ConnectionPool>, name_servers: &[String]) {
    let request = Arc::new(registration(state));
    let timeout = Duration::from_millis(REQUEST_TIMEOUT_MS_DEFAULT);
    let mut calls = JoinSet::new();
    for addr in name_servers {
        let (pool, request, addr) = (pool.clone(), request.clone(), addr.clone());
        calls.spawn(async move {
            let result = register_one(&pool, &addr, &request, timeout).await;
            (addr, result)
        });
    }
    while let Some(joined) = calls.join_next().await {
        let Ok((addr, result)) = joined else {
            continue;
        };
        match result {
            Ok(master_ha_addr) => state.cluster.learn_master(&state.config, &master_ha_addr),
            Err(e) => tracing::warn!(name_server = %addr, error = %e, "registration failed"),
        }
    }
}

async fn register_one(
    pool: &ConnectionPool,
    addr: &str,
    request: &RegisterBrokerRequest,
    timeout: Duration,
) -> Result<String, String> {
    let conn = pool.get(addr).await.map_err(|e| e.to_string())?;
    let answer = conn
        .call(request, timeout)
        .await
        .map_err(|e| e.to_string())?;
    Ok(answer.master_ha_addr)
}

async fn unregister_all(state: &BrokerState, pool: &ConnectionPool, name_servers: &[String]) {
    let request = UnregisterBrokerRequest {
        cluster: state.config.cluster_name.clone(),
        broker_name: state.config.broker_name.clone(),
        broker_id: state.config.broker_id,
        broker_addr: state.advertised.to_string(),
    };
    if let Some(table) = &state.cluster.namesrv {
        table.unregister(&request);
    }
    for addr in name_servers {
        let call = async {
            let conn = pool.get(addr).await?;
            conn.call(&request, UNREGISTER_TIMEOUT).await
        };
        match tokio::time::timeout(UNREGISTER_TIMEOUT, call).await {
            Ok(Ok(_)) => tracing::info!(name_server = %addr, "unregistered"),
            Ok(Err(e)) => tracing::debug!(name_server = %addr, error = %e, "unregister failed"),
            Err(_) => tracing::debug!(name_server = %addr, "unregister timed out"),
        }
    }
}
