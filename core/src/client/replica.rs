//! Which broker of a master/slave set a consumer reads a queue from (RocketMQ's
//! `pullFromWhichNodeTable` and `findBrokerAddressInSubscribe`), shared by the pull and the
//! push consumer through their `ClientInstance`.
//!
//! - The broker id the last pull of the queue suggested (`suggest_broker_id`: a master with
//!   `slave_read_enable` sends a consumer that fell far behind to slave 1, and the slave sends
//!   it back once it caught up) is asked first, when the route lists it.
//! - Else the master, unless it failed a call less than `master_down_retry` (default
//!   `MASTER_DOWN_RETRY_MS`) ago or is gone from the route: then the slave with the lowest id.
//!   A connection failure to the master moves to the slave at once and refreshes the route.
//!
//! Reading from a slave is read-only: commits go to the master only. A commit of a broker
//! whose master is gone from the route or being skipped is kept (the consumed offset stays
//! the commit candidate) and sent when the master is back; a commit that finds the master
//! unreachable fails (the offset is kept too) and starts skipping it. Offset queries (the
//! committed offset, min/max, search by time) go to the master, or to the slave, which holds
//! the offsets it copied from the master, while the master is down.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::client::connection::Connection;
use crate::client::error::ClientError;
use crate::client::instance::ClientInstance;
use crate::client::route::MessageQueue;
use crate::client::shutdown::lock;
use crate::protocol::PullResponse;

/// How long a master that failed a call is skipped in favour of a slave, in milliseconds.
pub const MASTER_DOWN_RETRY_MS: u64 = 5000;

/// Read targets of one client instance (one consumer group); see the module doc.
#[derive(Debug)]
pub(crate) struct ReadTargets {
    /// The broker id the last pull of each queue suggested.
    suggested: Mutex<HashMap<MessageQueue, u64>>,
    /// Broker names whose master failed, until when it is skipped.
    master_down: Mutex<HashMap<String, Instant>>,
    /// How long a failed master is skipped, in milliseconds.
    master_down_retry_ms: AtomicU64,
}

impl Default for ReadTargets {
    fn default() -> ReadTargets {
        ReadTargets {
            suggested: Mutex::default(),
            master_down: Mutex::default(),
            master_down_retry_ms: AtomicU64::new(MASTER_DOWN_RETRY_MS),
        }
    }
}

impl ReadTargets {
    /// Sets how long a master that failed a call is skipped (the consumer builders' option).
    pub(crate) fn set_master_down_retry(&self, pause: Duration) {
        let ms = u64::try_from(pause.as_millis()).unwrap_or(u64::MAX);
        self.master_down_retry_ms.store(ms, Ordering::Relaxed);
    }

    fn master_down_retry(&self) -> Duration {
        Duration::from_millis(self.master_down_retry_ms.load(Ordering::Relaxed))
    }

    /// Records the broker id a pull of `mq` suggested.
    pub(crate) fn suggest(&self, mq: &MessageQueue, broker_id: u64) {
        let mut suggested = lock(&self.suggested);
        if broker_id == 0 {
            suggested.remove(mq);
        } else {
            suggested.insert(mq.clone(), broker_id);
        }
    }

    /// The broker id to read `mq` from, before looking at the route.
    fn wanted(&self, mq: &MessageQueue) -> u64 {
        lock(&self.suggested).get(mq).copied().unwrap_or(0)
    }

    /// Skips `broker_name`'s master for the configured pause.
    fn mark_master_down(&self, broker_name: &str) {
        let until = Instant::now() + self.master_down_retry();
        lock(&self.master_down).insert(broker_name.to_owned(), until);
    }

    /// Whether `broker_name`'s master is being skipped.
    pub(crate) fn master_is_down(&self, broker_name: &str) -> bool {
        let mut down = lock(&self.master_down);
        match down.get(broker_name) {
            Some(until) if Instant::now() < *until => true,
            Some(_) => {
                down.remove(broker_name);
                false
            }
            None => false,
        }
    }
}

impl ClientInstance {
    /// A connection to read `mq` from and the broker id it reaches: `prefer` (or the id the
    /// last pull suggested when `None`) if listed, else as the module doc says.
    pub(crate) async fn read_conn(
        &self,
        mq: &MessageQueue,
        prefer: Option<u64>,
    ) -> Result<(Arc<Connection>, u64), ClientError> {
        let route = self.routes.get(&mq.topic, None).await?;
        let name = &mq.broker_name;
        let mut wanted = prefer.unwrap_or_else(|| self.read_targets.wanted(mq));
        if wanted == 0
            && self.read_targets.master_is_down(name)
            && let Some((slave, _)) = route.first_slave(name)
        {
            wanted = slave;
        }
        let Some((id, addr)) = route.read_addr(name, wanted) else {
            return Err(ClientError::NoRoute {
                topic: mq.topic.clone(),
                name_servers: self.routes.name_servers().addrs().to_vec(),
            });
        };
        match self.pool.get(addr).await {
            Ok(conn) => Ok((conn, id)),
            Err(e) if id == 0 && is_unreachable(&e) => {
                let Some((slave, slave_addr)) = route.first_slave(name) else {
                    return Err(e);
                };
                tracing::info!(broker = %name, error = %e, "master unreachable; reading from a slave");
                self.master_failed(mq).await;
                Ok((self.pool.get(slave_addr).await?, slave))
            }
            Err(e) => Err(e),
        }
    }

    /// A connection for offset queries of `mq`: its master, or a slave (which holds the
    /// offsets it copied from the master) when the master is gone or unreachable.
    pub(crate) async fn query_conn(
        &self,
        mq: &MessageQueue,
    ) -> Result<Arc<Connection>, ClientError> {
        Ok(self.read_conn(mq, Some(0)).await?.0)
    }

    /// Notes how a pull of `mq` from broker `broker_id` ended: follow the broker's suggestion,
    /// skip a master that could not be reached, go back to the master after a failing slave.
    pub(crate) async fn pull_done(
        &self,
        mq: &MessageQueue,
        broker_id: u64,
        result: &Result<PullResponse, ClientError>,
    ) {
        match result {
            Ok(response) => self.read_targets.suggest(mq, response.suggest_broker_id),
            Err(e) if broker_id == 0 && is_unreachable(e) => self.master_failed(mq).await,
            // A failing slave: ask the master (or another slave) next time.
            Err(_) if broker_id != 0 => self.read_targets.suggest(mq, 0),
            Err(_) => {}
        }
    }

    /// Notes a failed call to `mq`'s master: skip it for a while and refresh the route.
    pub(crate) async fn master_failed(&self, mq: &MessageQueue) {
        self.read_targets.mark_master_down(&mq.broker_name);
        let _ = self.routes.refresh(&mq.topic, None).await;
    }

    /// A connection to `mq`'s master for a commit, or `None` when the master is gone from the
    /// route or being skipped (the commit waits for it).
    pub(crate) async fn commit_conn(
        &self,
        mq: &MessageQueue,
    ) -> Result<Option<Arc<Connection>>, ClientError> {
        let route = self.routes.get(&mq.topic, None).await?;
        let Some(addr) = route.master_addr(&mq.broker_name) else {
            return Ok(None);
        };
        if self.read_targets.master_is_down(&mq.broker_name) {
            return Ok(None);
        }
        match self.pool.get(addr).await {
            Ok(conn) => Ok(Some(conn)),
            Err(e) => {
                if is_unreachable(&e) {
                    self.master_failed(mq).await;
                }
                Err(e)
            }
        }
    }
}

/// Whether an error means the peer could not be reached (rather than refused the call).
pub(crate) fn is_unreachable(e: &ClientError) -> bool {
    matches!(
        e,
        ClientError::Connection { .. } | ClientError::Timeout { .. }
    )
}
