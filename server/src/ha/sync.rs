//! The slave's metadata copy (RocketMQ's `SlaveSynchronize`): every `slave_sync_interval_ms`
//! the slave reads its master's topic configs (`ListTopics`, system topics included),
//! subscription groups (`DescribeGroups` of every stored group) and committed consumer offsets
//! (`GetConsumerOffsets`, page by page) and replaces its own with them, so a consumer reading
//! from the slave while the master is down starts where the group was, under the group's
//! config.

use std::sync::Arc;
use std::time::Duration;

use ferrocket::client::{ConnectOptions, Connection, ConnectionPool};
use ferrocket::limits::{CONNECT_TIMEOUT_MS_DEFAULT, REQUEST_TIMEOUT_MS_DEFAULT};
use ferrocket::protocol::{DescribeGroupsRequest, GetConsumerOffsetsRequest, ListTopicsRequest};
use tokio::sync::watch;

use crate::broker::BrokerState;

/// Copies topics, groups and offsets from the master every `slave_sync_interval_ms` until shutdown.
pub async fn run(state: Arc<BrokerState>, mut shutdown: watch::Receiver<bool>) {
    let pool = ConnectionPool::new(ConnectOptions {
        connect_timeout: Duration::from_millis(CONNECT_TIMEOUT_MS_DEFAULT),
        request_timeout: Duration::from_millis(REQUEST_TIMEOUT_MS_DEFAULT),
        handler: None,
    });
    let every = Duration::from_millis(state.config.slave_sync_interval_ms);
    let mut failing = false;
    loop {
        let addr = state.cluster.master.borrow().clone();
        if !addr.is_empty() {
            match sync_once(&state, &pool, &addr).await {
                Ok(()) => failing = false,
                Err(e) if !failing => {
                    tracing::warn!(master = %addr, error = %e, "cannot copy topics, groups and offsets");
                    failing = true;
                }
                Err(e) => tracing::debug!(master = %addr, error = %e, "metadata copy failing"),
            }
        }
        tokio::select! {
            _ = tokio::time::sleep(every) => {}
            _ = shutdown.changed() => break,
        }
    }
    pool.close_all().await;
}

/// One copy of the master's topics, subscription groups and offsets.
pub async fn sync_once(
    state: &BrokerState,
    pool: &ConnectionPool,
    addr: &str,
) -> Result<(), String> {
    let conn = pool.get(addr).await.map_err(|e| e.to_string())?;
    let timeout = Duration::from_millis(REQUEST_TIMEOUT_MS_DEFAULT);
    let topics = conn
        .call(
            &ListTopicsRequest {
                include_system: true,
            },
            timeout,
        )
        .await
        .map_err(|e| e.to_string())?
        .topics;
    if state
        .topics
        .replace_all(topics)
        .map_err(|e| e.to_string())?
    {
        tracing::debug!(master = %addr, "topic configs copied from the master");
    }
    copy_groups(state, &conn, timeout).await?;
    copy_offsets(state, &conn, timeout).await
}

/// Replaces the slave's subscription groups with the configs its master stores.
async fn copy_groups(
    state: &BrokerState,
    conn: &Connection,
    timeout: Duration,
) -> Result<(), String> {
    let request = DescribeGroupsRequest {
        consumer_group: String::new(),
        include: 0,
    };
    let answer = conn
        .call(&request, timeout)
        .await
        .map_err(|e| e.to_string())?;
    if answer.truncated {
        return Err("the master's subscription groups do not fit one answer".into());
    }
    let configs = answer
        .groups
        .into_iter()
        .filter(|g| g.stored)
        .map(|g| g.config)
        .collect();
    if state
        .subscription_groups
        .replace_all(configs)
        .map_err(|e| e.to_string())?
    {
        tracing::debug!("subscription groups copied from the master");
    }
    Ok(())
}

/// Replaces the slave's committed offsets with its master's, read page by page.
async fn copy_offsets(
    state: &BrokerState,
    conn: &Connection,
    timeout: Duration,
) -> Result<(), String> {
    let mut entries = Vec::new();
    loop {
        let start_index = u32::try_from(entries.len()).unwrap_or(u32::MAX);
        let page = conn
            .call(&GetConsumerOffsetsRequest { start_index }, timeout)
            .await
            .map_err(|e| e.to_string())?;
        let done = page.offsets.is_empty();
        entries.extend(
            page.offsets
                .into_iter()
                .map(|e| (e.consumer_group, e.topic, e.queue_id, e.offset)),
        );
        if done || entries.len() >= page.total as usize {
            break;
        }
    }
    state.offsets.replace_all(entries);
    Ok(())
}
