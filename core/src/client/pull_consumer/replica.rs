//! Which broker of a master/slave set a pull consumer reads a queue from (RocketMQ's
//! `pullFromWhichNodeTable` and `findBrokerAddressInSubscribe`).
//!
//! - The broker id the last pull of the queue suggested (`suggest_broker_id`: a master with
//!   `slave_read_enable` sends a consumer that fell far behind to slave 1, and the slave sends
//!   it back once it caught up) is asked first, when the route lists it.
//! - Else the master, unless it failed a call less than `master_down_retry` (default
//!   `MASTER_DOWN_RETRY_MS`) ago or is gone from the route: then the slave with the lowest id. A connection failure to the master
//!   moves to the slave at once and refreshes the route.
//!
//! Reading from a slave is read-only: commits go to the master only. A commit of a broker
//! whose master is gone from the route or being skipped is kept (the consumed offset stays
//! the commit candidate) and sent when the master is back; a commit that finds the master
//! unreachable fails (the offset is kept too) and starts skipping it.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use super::ConsumerCore;
use crate::client::connection::Connection;
use crate::client::error::ClientError;
use crate::client::route::MessageQueue;
use crate::client::shutdown::lock;

/// How long a master that failed a call is skipped in favour of a slave, in milliseconds.
pub const MASTER_DOWN_RETRY_MS: u64 = 5000;

/// Read targets of one consumer; see the module doc.
#[derive(Debug, Default)]
pub(crate) struct ReadTargets {
    /// The broker id the last pull of each queue suggested.
    suggested: Mutex<HashMap<MessageQueue, u64>>,
    /// Broker names whose master failed, until when it is skipped.
    master_down: Mutex<HashMap<String, Instant>>,
}

impl ReadTargets {
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

    /// Skips `broker_name`'s master for `pause`.
    pub(crate) fn mark_master_down(&self, broker_name: &str, pause: Duration) {
        let until = Instant::now() + pause;
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

impl ConsumerCore {
    /// A connection to read `mq` from and the broker id it reaches: `prefer` (or the id the
    /// last pull suggested when `None`) if listed, else as the module doc says.
    pub(crate) async fn read_conn(
        &self,
        mq: &MessageQueue,
        prefer: Option<u64>,
    ) -> Result<(Arc<Connection>, u64), ClientError> {
        let route = self.instance.routes.get(&mq.topic, false).await?;
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
                name_servers: self.instance.routes.name_servers().addrs().to_vec(),
            });
        };
        match self.instance.pool.get(addr).await {
            Ok(conn) => Ok((conn, id)),
            Err(e) if id == 0 && is_unreachable(&e) => {
                let Some((slave, slave_addr)) = route.first_slave(name) else {
                    return Err(e);
                };
                tracing::info!(broker = %name, error = %e, "master unreachable; reading from a slave");
                self.master_failed(mq).await;
                Ok((self.instance.pool.get(slave_addr).await?, slave))
            }
            Err(e) => Err(e),
        }
    }

    /// Notes a failed call to `mq`'s master: skip it for a while and refresh the route.
    pub(crate) async fn master_failed(&self, mq: &MessageQueue) {
        let pause = self.options.master_down_retry;
        self.read_targets.mark_master_down(&mq.broker_name, pause);
        let _ = self.instance.routes.refresh(&mq.topic, false).await;
    }

    /// A connection to `mq`'s master for a commit, or `None` when the master is gone from the
    /// route or being skipped (the commit waits for it).
    pub(crate) async fn commit_conn(
        &self,
        mq: &MessageQueue,
    ) -> Result<Option<Arc<Connection>>, ClientError> {
        let route = self.instance.routes.get(&mq.topic, false).await?;
        let Some(addr) = route.master_addr(&mq.broker_name) else {
            return Ok(None);
        };
        if self.read_targets.master_is_down(&mq.broker_name) {
            return Ok(None);
        }
        match self.instance.pool.get(addr).await {
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
