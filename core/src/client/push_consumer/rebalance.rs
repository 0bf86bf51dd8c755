//! Rebalance: which queues this member owns, applied at start, every `rebalance_interval`, at
//! once on the broker's membership notice, and after `subscribe`.
//!
//! CLUSTERING: the sorted read queues of each subscribed topic (the group's retry topic
//! included) and the sorted member list from `GetConsumerList` go through the
//! `AllocateStrategy`. BROADCASTING: every read queue. A queue taken away is dropped (its pull
//! task stops, late results are ignored), its offset committed, and, for an orderly listener,
//! its broker lock released once the worker holding it finished its batch. A new queue is
//! locked first (orderly clustering: not consumed until the lock is granted) and starts at the
//! group's committed offset. Locks are renewed every `lock_renew_interval`.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;
use std::time::{Duration, Instant};

use super::PushCore;
use super::process_queue::ProcessQueue;
use crate::client::error::ClientError;
use crate::client::route::MessageQueue;
use crate::client::shutdown::lock;
use crate::protocol::{LockBatchRequest, LockQueue, UnlockBatchRequest};

/// How long a rebalance waits for an orderly worker to finish its batch before releasing the
/// queue's lock (RocketMQ waits 1 s too).
const ORDERLY_RELEASE_WAIT: Duration = Duration::from_secs(1);
/// Retry period of a rebalance that could not finish: a queue it could not lock, a topic with
/// no route yet, or a broker that does not list this member yet.
const RETRY_SOON: Duration = Duration::from_millis(500);

impl PushCore {
    fn orderly_clustering(&self) -> bool {
        self.listener.is_orderly() && self.is_clustering()
    }

    /// Rebalances every subscribed topic; errors are logged and retried next time.
    pub(crate) async fn rebalance(self: &Arc<Self>) {
        let topics: Vec<String> = lock(&self.subscriptions).keys().cloned().collect();
        let mut retry_soon = false;
        for topic in topics {
            match self.rebalance_topic(&topic).await {
                Ok(done) => retry_soon |= !done,
                Err(e) => {
                    retry_soon = true;
                    tracing::debug!(group = %self.group, topic, error = %e, "rebalance skipped a topic")
                }
            }
        }
        if retry_soon {
            let notify = self.rebalance_now.clone();
            let mut signal = self.tasks.signal();
            self.tasks.spawn(async move {
                if signal.sleep(RETRY_SOON).await {
                    notify.notify_one();
                }
            });
        }
    }

    /// Returns false when it must run again soon (a queue not locked, this member not listed).
    async fn rebalance_topic(self: &Arc<Self>, topic: &str) -> Result<bool, ClientError> {
        let route = self.instance.routes.get(topic, None).await?;
        let mut mq_all = route.read_queues.clone();
        mq_all.sort();
        let wanted: BTreeSet<MessageQueue> = if self.is_clustering() {
            let members = self.instance.consumer_ids(&self.group, &route).await?;
            let me = self.instance.client_id();
            if !members.iter().any(|m| m == me) {
                // Not a member there yet (a route learnt after start): join, then retry.
                self.instance.heartbeat_all().await;
                return Ok(false);
            }
            let mine = self
                .options
                .allocate
                .allocate(&self.group, me, &mq_all, &members);
            mine.into_iter().collect()
        } else {
            mq_all.into_iter().collect()
        };
        Ok(self.apply(topic, wanted).await)
    }

    /// Makes the owned queues of `topic` exactly `wanted`; false when some could not be locked.
    async fn apply(self: &Arc<Self>, topic: &str, wanted: BTreeSet<MessageQueue>) -> bool {
        let (removed, added) = {
            let mut queues = lock(&self.queues);
            let gone: Vec<MessageQueue> = queues
                .keys()
                .filter(|mq| mq.topic == topic && !wanted.contains(*mq))
                .cloned()
                .collect();
            let removed: Vec<Arc<ProcessQueue>> =
                gone.iter().filter_map(|mq| queues.remove(mq)).collect();
            let added: Vec<MessageQueue> = wanted
                .into_iter()
                .filter(|mq| !queues.contains_key(mq))
                .collect();
            (removed, added)
        };
        for pq in &removed {
            pq.set_dropped();
            tracing::info!(queue = %pq.mq, group = %self.group, "queue released");
        }
        if self.orderly_clustering() {
            wait_workers(&removed).await;
        }
        for pq in &removed {
            self.persist_and_forget(pq).await;
        }
        if self.orderly_clustering() {
            self.unlock_all(&removed).await;
        }
        let mut all_locked = true;
        for mq in added {
            let pq = Arc::new(ProcessQueue::new(mq.clone()));
            if self.orderly_clustering() {
                let locked = self.lock_queues(std::slice::from_ref(&mq)).await;
                if !locked.contains(&mq) {
                    all_locked = false;
                    continue;
                }
                pq.set_locked(true);
            }
            tracing::info!(queue = %mq, group = %self.group, "queue taken");
            lock(&self.queues).insert(mq, pq.clone());
            self.spawn_fetch(pq);
        }
        all_locked
    }

    /// Locks `mqs` (all on one broker) for this member; returns those now held.
    async fn lock_queues(&self, mqs: &[MessageQueue]) -> BTreeSet<MessageQueue> {
        let Some(first) = mqs.first() else {
            return BTreeSet::new();
        };
        let request = LockBatchRequest {
            consumer_group: self.group.clone(),
            client_id: self.instance.client_id().to_owned(),
            queues: mqs.iter().map(lock_queue).collect(),
        };
        let answer = match self.instance.master_conn(first).await {
            Ok(conn) => {
                conn.call(&request, self.instance.config.request_timeout)
                    .await
            }
            Err(e) => Err(e),
        };
        match answer {
            Ok(response) => {
                let locked: BTreeSet<LockQueue> = response.locked.into_iter().collect();
                mqs.iter()
                    .filter(|mq| locked.contains(&lock_queue(mq)))
                    .cloned()
                    .collect()
            }
            Err(e) => {
                tracing::warn!(group = %self.group, error = %e, "queue lock request failed");
                BTreeSet::new()
            }
        }
    }

    /// Renews the broker locks of every owned queue (orderly clustering).
    pub(crate) async fn renew_locks(&self) {
        let queues: Vec<Arc<ProcessQueue>> = lock(&self.queues).values().cloned().collect();
        for (_, group) in by_broker(&queues) {
            let mqs: Vec<MessageQueue> = group.iter().map(|pq| pq.mq.clone()).collect();
            let locked = self.lock_queues(&mqs).await;
            for pq in group {
                let held = locked.contains(&pq.mq);
                if !held {
                    tracing::warn!(queue = %pq.mq, group = %self.group, "queue lock not renewed");
                }
                pq.set_locked(held);
            }
        }
    }

    /// Releases the broker locks of `queues` (orderly clustering only).
    pub(crate) async fn unlock_all(&self, queues: &[Arc<ProcessQueue>]) {
        if !self.orderly_clustering() {
            return;
        }
        for (_, group) in by_broker(queues) {
            let Some(first) = group.first() else { continue };
            let request = UnlockBatchRequest {
                consumer_group: self.group.clone(),
                client_id: self.instance.client_id().to_owned(),
                queues: group.iter().map(|pq| lock_queue(&pq.mq)).collect(),
            };
            let result = match self.instance.master_conn(&first.mq).await {
                Ok(conn) => conn
                    .call(&request, self.instance.config.request_timeout)
                    .await
                    .map(|_| ()),
                Err(e) => Err(e),
            };
            if let Err(e) = result {
                tracing::warn!(group = %self.group, error = %e, "queue unlock failed; the locks will expire");
            }
        }
    }

    /// Starts the rebalance, offset-commit and (orderly clustering) lock-renewal tasks.
    pub(crate) fn spawn_periodic_tasks(self: &Arc<Self>) {
        let core = self.clone();
        let mut signal = self.tasks.signal();
        self.tasks.spawn(async move {
            loop {
                tokio::select! {
                    () = core.rebalance_now.notified() => {}
                    () = tokio::time::sleep(core.options.rebalance_interval) => {}
                    () = signal.wait() => return,
                }
                core.rebalance().await;
            }
        });
        let core = self.clone();
        let mut signal = self.tasks.signal();
        self.tasks.spawn(async move {
            while signal.sleep(core.options.persist_offset_interval).await {
                let queues: Vec<Arc<ProcessQueue>> = lock(&core.queues).values().cloned().collect();
                core.persist_offsets(&queues).await;
            }
        });
        if self.orderly_clustering() {
            let core = self.clone();
            let mut signal = self.tasks.signal();
            self.tasks.spawn(async move {
                while signal.sleep(core.options.lock_renew_interval).await {
                    core.renew_locks().await;
                }
            });
        }
    }
}

fn lock_queue(mq: &MessageQueue) -> LockQueue {
    LockQueue {
        topic: mq.topic.clone(),
        queue_id: mq.queue_id,
    }
}

fn by_broker(queues: &[Arc<ProcessQueue>]) -> BTreeMap<String, Vec<Arc<ProcessQueue>>> {
    let mut out: BTreeMap<String, Vec<Arc<ProcessQueue>>> = BTreeMap::new();
    for pq in queues {
        out.entry(pq.mq.broker_name.clone())
            .or_default()
            .push(pq.clone());
    }
    out
}

/// Waits (up to `ORDERLY_RELEASE_WAIT`) until no worker runs any of `queues`.
pub(super) async fn wait_workers(queues: &[Arc<ProcessQueue>]) {
    let deadline = Instant::now() + ORDERLY_RELEASE_WAIT;
    while queues.iter().any(|pq| pq.is_claimed()) && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}
