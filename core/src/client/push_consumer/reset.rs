//! Applying an operator's offset reset (`ResetOffset` notice from a broker) to a running push
//! consumer.
//!
//! For each queue of the notice this member owns: the process queue is dropped (its pull task
//! stops; listener calls still running on it finish, but their results no longer move any
//! offset), orderly workers are given up to a second to finish their batch, and a fresh process
//! queue starts at the new offset (keeping the broker lock of an orderly queue). The new
//! offsets are committed at once (broadcasting: written to the local offset file, for every
//! queue of the notice), so a commit of the old position that raced the reset is overwritten.

use std::collections::BTreeMap;
use std::sync::Arc;

use tokio::sync::mpsc;

use super::PushCore;
use super::process_queue::ProcessQueue;
use super::rebalance::wait_workers;
use crate::client::route::MessageQueue;
use crate::client::shutdown::lock;
use crate::protocol::ResetOffsetRequest;

impl PushCore {
    /// Starts the task that applies reset notices, if the receiver was not taken yet.
    pub(crate) fn spawn_reset_task(self: &Arc<Self>) {
        let Some(mut rx) = lock(&self.reset_rx).take() else {
            return;
        };
        let core = self.clone();
        let mut signal = self.tasks.signal();
        self.tasks.spawn(async move {
            loop {
                let notice = tokio::select! {
                    notice = rx.recv() => notice,
                    () = signal.wait() => return,
                };
                let Some(notice) = notice else { return };
                core.apply_reset(notice).await;
            }
        });
    }

    async fn apply_reset(self: &Arc<Self>, notice: ResetOffsetRequest) {
        let targets: BTreeMap<MessageQueue, u64> = notice
            .offsets
            .iter()
            .map(|q| {
                let mq =
                    MessageQueue::new(q.topic.as_str(), notice.broker_name.as_str(), q.queue_id);
                (mq, q.offset)
            })
            .collect();
        let old: Vec<Arc<ProcessQueue>> = {
            let mut queues = lock(&self.queues);
            targets.keys().filter_map(|mq| queues.remove(mq)).collect()
        };
        for pq in &old {
            pq.set_dropped();
        }
        if self.listener.is_orderly() {
            wait_workers(&old).await;
        }
        if !self.is_clustering() {
            for (mq, offset) in &targets {
                self.offsets.reset(mq, *offset);
            }
        }
        let mut fresh = Vec::new();
        for pq in old {
            let Some(&offset) = targets.get(&pq.mq) else {
                continue;
            };
            let new = Arc::new(ProcessQueue::new(pq.mq.clone()));
            new.set_fetch_offset(offset);
            if pq.lock_valid(self.options.lock_max_live) {
                new.set_locked(true);
            }
            self.offsets.reset(&pq.mq, offset);
            tracing::info!(queue = %pq.mq, offset, group = %self.group, "queue continues at the reset offset");
            lock(&self.queues).insert(pq.mq.clone(), new.clone());
            self.spawn_fetch(new.clone());
            fresh.push(new);
        }
        self.persist_offsets(&fresh).await;
    }
}

/// The receiving end of the reset notices, until `start` takes it.
pub(crate) type ResetReceiver = std::sync::Mutex<Option<mpsc::Receiver<ResetOffsetRequest>>>;
