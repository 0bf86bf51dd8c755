//! The master's side of replication: which slaves are copying, how far each has confirmed, and
//! the wait of a SYNC_MASTER send for a slave.
//!
//! Every `ReplicaFetch` is a slave's acknowledgement: its `offset` says every byte below is on
//! the slave. `ReplicaTracker` keeps, per slave address, the last ack, when it came and the
//! connection it came on, and publishes the highest ack in a `watch` channel that send waits
//! subscribe to. A slave counts (for `SLAVE_NOT_AVAILABLE`) while its connection is open, its
//! last fetch is younger than `ha_housekeeping_ms` and it is less than
//! `ha_slave_fall_behind_bytes` behind the send.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use ferrocket::protocol::SlaveStatus;
use tokio::sync::watch;

use crate::broker::BrokerState;
use crate::broker::channel::ClientChannel;
use crate::config::BrokerRole;

/// One slave as the master sees it.
#[derive(Debug)]
struct SlaveEntry {
    ack: u64,
    last_fetch: Instant,
    channel: Arc<ClientChannel>,
}

/// The slaves of a master; see the module doc.
#[derive(Debug)]
pub struct ReplicaTracker {
    slaves: Mutex<BTreeMap<String, SlaveEntry>>,
    /// The highest ack of the slaves in the table.
    acked: watch::Sender<u64>,
    housekeeping: Duration,
}

/// How a send's replication went.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReplicaOutcome {
    /// Not a SYNC_MASTER, or the send did not ask to wait.
    NotWaited,
    /// A slave confirmed the send.
    Acked,
    /// A slave counted but did not confirm in time (`FLUSH_SLAVE_TIMEOUT`).
    Timeout,
    /// No slave counted (`SLAVE_NOT_AVAILABLE`).
    NotAvailable,
}

impl ReplicaTracker {
    /// An empty table; slaves silent for `housekeeping` stop counting.
    pub fn new(housekeeping: Duration) -> ReplicaTracker {
        ReplicaTracker {
            slaves: Mutex::new(BTreeMap::new()),
            acked: watch::Sender::new(0),
            housekeeping,
        }
    }

    /// Records a fetch from the slave at `slave_addr`, on `channel`, acknowledging `ack`. A
    /// connection stands for one slave (the entry of another address it used is dropped), so
    /// the table is bounded by the broker's connection limit.
    pub fn on_fetch(&self, slave_addr: &str, ack: u64, channel: &Arc<ClientChannel>) {
        let mut slaves = self.lock();
        slaves.retain(|addr, s| addr == slave_addr || !Arc::ptr_eq(&s.channel, channel));
        slaves.insert(
            slave_addr.to_owned(),
            SlaveEntry {
                ack,
                last_fetch: Instant::now(),
                channel: channel.clone(),
            },
        );
        self.publish(&mut slaves);
    }

    /// Drops slaves whose connection closed and publishes the highest remaining ack.
    fn publish(&self, slaves: &mut BTreeMap<String, SlaveEntry>) {
        slaves.retain(|_, s| !s.channel.is_closed());
        let best = slaves.values().map(|s| s.ack).max().unwrap_or(0);
        self.acked.send_if_modified(|acked| {
            let changed = *acked != best;
            *acked = best;
            changed
        });
    }

    /// Whether some slave counts for a send ending at `end`.
    pub fn slave_ok(&self, end: u64, fall_behind: u64) -> bool {
        let mut slaves = self.lock();
        self.publish(&mut slaves);
        slaves.values().any(|s| {
            s.last_fetch.elapsed() < self.housekeeping && end.saturating_sub(s.ack) < fall_behind
        })
    }

    /// Waits until some slave acknowledged `end`, at most `timeout`; true when one did.
    pub async fn wait_for(&self, end: u64, timeout: Duration) -> bool {
        let mut acked = self.acked.subscribe();
        let waited = tokio::time::timeout(timeout, acked.wait_for(|a| *a >= end)).await;
        matches!(waited, Ok(Ok(_)))
    }

    /// The slaves that fetched within the housekeeping window, for `GetBrokerStatus`.
    pub fn statuses(&self) -> Vec<SlaveStatus> {
        let mut slaves = self.lock();
        self.publish(&mut slaves);
        slaves
            .iter()
            .filter(|(_, s)| s.last_fetch.elapsed() < self.housekeeping)
            .map(|(addr, s)| SlaveStatus {
                addr: addr.clone(),
                ack_offset: s.ack,
                last_fetch_age_ms: u64::try_from(s.last_fetch.elapsed().as_millis())
                    .unwrap_or(u64::MAX),
            })
            .collect()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, BTreeMap<String, SlaveEntry>> {
        self.slaves.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// The replication wait of a send that ended at commit-log offset `end`: a SYNC_MASTER with
/// `wait_store_msg_ok` waits for a slave (RocketMQ's `GroupTransferService`); everything else
/// answers at once.
pub async fn wait_for_slave(
    state: &BrokerState,
    end: u64,
    wait_store_msg_ok: bool,
) -> ReplicaOutcome {
    if state.config.role != BrokerRole::SyncMaster || !wait_store_msg_ok {
        return ReplicaOutcome::NotWaited;
    }
    let replicas = &state.cluster.replicas;
    if !replicas.slave_ok(end, state.config.ha_slave_fall_behind_bytes) {
        return ReplicaOutcome::NotAvailable;
    }
    let timeout = Duration::from_millis(state.config.slave_timeout_ms);
    if replicas.wait_for(end, timeout).await {
        ReplicaOutcome::Acked
    } else {
        ReplicaOutcome::Timeout
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::sync::mpsc;

    fn channel(port: u16) -> Arc<ClientChannel> {
        let (tx, _rx) = mpsc::channel(1);
        let peer = std::net::SocketAddr::from(([127, 0, 0, 1], port));
        Arc::new(ClientChannel::new(peer, tx))
    }

    /// A slave counts while connected, recent and close enough; a send waits for its ack; a
    /// connection stands for one slave; a closed connection stops counting at once.
    #[tokio::test]
    async fn slaves_count_acks_and_connections() {
        let tracker = ReplicaTracker::new(Duration::from_secs(20));
        assert!(!tracker.slave_ok(100, 1000), "no slave");
        let conn = channel(1);
        tracker.on_fetch("s:1", 50, &conn);
        assert!(tracker.slave_ok(100, 1000));
        assert!(!tracker.slave_ok(2000, 1000), "too far behind");
        tracker.on_fetch("s:2", 60, &conn);
        assert_eq!(tracker.statuses().len(), 1, "one entry per connection");
        assert!(tracker.wait_for(60, Duration::from_millis(10)).await);
        assert!(!tracker.wait_for(61, Duration::from_millis(10)).await);
        let waiter = tracker.wait_for(70, Duration::from_secs(5));
        tokio::pin!(waiter);
        tokio::select! {
            _ = &mut waiter => panic!("answered before the ack"),
            _ = tokio::time::sleep(Duration::from_millis(20)) => {}
        }
        tracker.on_fetch("s:2", 70, &conn);
        assert!(waiter.await);
        conn.close();
        assert!(!tracker.slave_ok(70, 1000), "closed connection");
        assert!(tracker.statuses().is_empty());
    }
}
