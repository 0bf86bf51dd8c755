//! Queue locks for orderly consumers in clustering mode (RocketMQ's `RebalanceLockManager`):
//! at most one client of a group holds a queue; a lock not renewed within
//! `rebalance_lock_max_live_ms` expires and may be taken by another member. Locks live in
//! memory only: after a broker restart every orderly consumer locks again within its renewal
//! period, and until then no one holds a lock, so no one consumes those queues.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use ferrocket::protocol::LockQueue;

/// RocketMQ's `rocketmq.broker.rebalance.lockMaxLiveTime`: 60 s.
pub const REBALANCE_LOCK_MAX_LIVE_MS_DEFAULT: u64 = 60_000;

#[derive(Debug, Clone)]
struct Holder {
    client_id: String,
    renewed: Instant,
}

/// Every queue lock of this broker, by (group, topic, queue id).
#[derive(Debug)]
pub struct LockManager {
    max_live: Duration,
    locks: Mutex<HashMap<(String, String, u32), Holder>>,
}

impl LockManager {
    /// A manager whose locks expire after `max_live` without renewal.
    pub fn new(max_live: Duration) -> LockManager {
        LockManager {
            max_live,
            locks: Mutex::new(HashMap::new()),
        }
    }

    /// Locks (or renews) each queue that is free, expired or held by `client_id`; returns the
    /// queues `client_id` holds afterwards.
    pub fn lock_batch(&self, group: &str, client_id: &str, queues: &[LockQueue]) -> Vec<LockQueue> {
        let now = Instant::now();
        let mut locks = self.lock();
        let mut locked = Vec::new();
        for q in queues {
            let key = (group.to_owned(), q.topic.clone(), q.queue_id);
            let free = locks.get(&key).is_none_or(|h| {
                h.client_id == client_id || now.duration_since(h.renewed) >= self.max_live
            });
            if free {
                let holder = Holder {
                    client_id: client_id.to_owned(),
                    renewed: now,
                };
                if locks
                    .insert(key, holder)
                    .is_none_or(|h| h.client_id != client_id)
                {
                    tracing::info!(
                        group,
                        client_id,
                        topic = q.topic,
                        queue_id = q.queue_id,
                        "queue locked"
                    );
                }
                locked.push(q.clone());
            }
        }
        locked
    }

    /// Releases the queues `client_id` holds among `queues`.
    pub fn unlock_batch(&self, group: &str, client_id: &str, queues: &[LockQueue]) {
        let mut locks = self.lock();
        for q in queues {
            let key = (group.to_owned(), q.topic.clone(), q.queue_id);
            if locks.get(&key).is_some_and(|h| h.client_id == client_id) {
                locks.remove(&key);
            }
        }
    }

    /// The client holding an unexpired lock on a queue.
    pub fn holder(&self, group: &str, topic: &str, queue_id: u32) -> Option<String> {
        let key = (group.to_owned(), topic.to_owned(), queue_id);
        self.lock()
            .get(&key)
            .filter(|h| h.renewed.elapsed() < self.max_live)
            .map(|h| h.client_id.clone())
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<(String, String, u32), Holder>> {
        self.locks.lock().unwrap_or_else(|e| e.into_inner())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn q(id: u32) -> LockQueue {
        LockQueue {
            topic: "t".into(),
            queue_id: id,
        }
    }

    /// One holder per queue; renewal by the holder; release only by the holder; expiry frees.
    #[test]
    fn one_holder_per_queue() {
        let m = LockManager::new(Duration::from_millis(50));
        assert_eq!(m.lock_batch("g", "a", &[q(0), q(1)]), vec![q(0), q(1)]);
        assert_eq!(m.lock_batch("g", "b", &[q(1), q(2)]), vec![q(2)]);
        assert_eq!(m.lock_batch("h", "b", &[q(1)]), vec![q(1)], "other group");
        assert_eq!(m.lock_batch("g", "a", &[q(1)]), vec![q(1)], "renewal");
        m.unlock_batch("g", "b", &[q(0)]);
        assert_eq!(m.holder("g", "t", 0).as_deref(), Some("a"));
        m.unlock_batch("g", "a", &[q(0)]);
        assert_eq!(m.holder("g", "t", 0), None);
        std::thread::sleep(Duration::from_millis(60));
        assert_eq!(m.lock_batch("g", "b", &[q(1)]), vec![q(1)], "expired");
    }
}
