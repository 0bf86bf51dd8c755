//! Orderly turns: one worker at a time per queue (`ProcessQueue::try_claim`), batches in
//! offset order, suspend and retry in place, dead-lettering at max reconsume times. The sync
//! form runs on a consume thread, the async form on a worker task; both share the steps.

use std::panic::AssertUnwindSafe;
use std::sync::Arc;
use std::time::Duration;

use super::super::PushCore;
use super::super::listener::{
    AsyncMessageListenerOrderly, ConsumeOrderlyContext, ConsumeOrderlyStatus,
    MessageListenerOrderly,
};
use super::super::process_queue::ProcessQueue;
use crate::message::MessageExt;

/// Re-check period of an orderly queue whose broker lock is not held.
const NO_LOCK_RETRY: Duration = Duration::from_millis(100);

/// What a turn does next.
enum Step {
    /// Consume this batch.
    Batch(Vec<MessageExt>, ConsumeOrderlyContext),
    /// Nothing waiting.
    Idle,
    /// Stop the turn (dropped, lock lost, suspended); another turn is scheduled if needed.
    Stop,
}

/// How a batch ended.
enum Outcome {
    Next,
    Stop,
    /// The batch reached max reconsume times: dead-letter it.
    DeadLetter(Vec<MessageExt>, Duration),
}

impl PushCore {
    fn orderly_step(self: &Arc<Self>, pq: &Arc<ProcessQueue>) -> Step {
        if pq.is_dropped() {
            return Step::Stop;
        }
        if self.is_clustering() && !pq.lock_valid(self.options.lock_max_live) {
            self.resubmit_later(pq, NO_LOCK_RETRY);
            return Step::Stop;
        }
        let msgs = pq.take_orderly(self.options.consume_batch_max);
        if msgs.is_empty() {
            return Step::Idle;
        }
        let ctx = ConsumeOrderlyContext {
            queue: pq.mq.clone(),
            suspend_current_queue_time: self.options.suspend_current_queue_time,
        };
        Step::Batch(msgs, ctx)
    }

    fn orderly_outcome(
        self: &Arc<Self>,
        pq: &Arc<ProcessQueue>,
        msgs: Vec<MessageExt>,
        status: ConsumeOrderlyStatus,
        suspend: Duration,
    ) -> Outcome {
        if pq.is_dropped() {
            return Outcome::Stop;
        }
        if status == ConsumeOrderlyStatus::Success {
            self.record_offset(pq, pq.commit_orderly());
            return Outcome::Next;
        }
        let max = self.max_reconsume_times();
        if msgs.iter().any(|m| m.reconsume_times >= max) {
            return Outcome::DeadLetter(msgs, suspend);
        }
        pq.rollback_orderly();
        self.resubmit_later(pq, suspend);
        Outcome::Stop
    }

    /// After the dead-letter send-back: the batch is done if every message went.
    fn after_dead_letter(
        self: &Arc<Self>,
        pq: &Arc<ProcessQueue>,
        sent: bool,
        suspend: Duration,
    ) -> bool {
        if sent {
            self.record_offset(pq, pq.commit_orderly());
            true
        } else {
            pq.rollback_orderly();
            self.resubmit_later(pq, suspend);
            false
        }
    }

    async fn dead_letter(&self, pq: &ProcessQueue, msgs: &[MessageExt]) -> bool {
        for m in msgs {
            if let Err(e) = self.send_back(&pq.mq, m, -1).await {
                tracing::warn!(queue = %pq.mq, msg_id = %m.msg_id, error = %e, "dead-letter send-back failed");
                return false;
            }
            tracing::warn!(queue = %pq.mq, msg_id = %m.msg_id, "orderly message dead-lettered after max reconsume times");
        }
        true
    }

    /// Runs turns of `pq` on this consume thread while it has messages and no one else runs it.
    pub(crate) fn run_orderly_sync(
        self: &Arc<Self>,
        pq: &Arc<ProcessQueue>,
        l: &Arc<dyn MessageListenerOrderly>,
    ) {
        while pq.try_claim() {
            let more = self.orderly_turn_sync(pq, l);
            pq.release();
            if !more || !pq.has_waiting() {
                return;
            }
        }
    }

    fn orderly_turn_sync(
        self: &Arc<Self>,
        pq: &Arc<ProcessQueue>,
        l: &Arc<dyn MessageListenerOrderly>,
    ) -> bool {
        loop {
            let (msgs, mut ctx) = match self.orderly_step(pq) {
                Step::Batch(msgs, ctx) => (msgs, ctx),
                Step::Idle => return true,
                Step::Stop => return false,
            };
            let status =
                std::panic::catch_unwind(AssertUnwindSafe(|| l.consume_message(&msgs, &mut ctx)))
                    .unwrap_or(ConsumeOrderlyStatus::SuspendCurrentQueueAMoment);
            match self.orderly_outcome(pq, msgs, status, ctx.suspend_current_queue_time) {
                Outcome::Next => {}
                Outcome::Stop => return false,
                Outcome::DeadLetter(msgs, suspend) => {
                    let (tx, rx) = std::sync::mpsc::sync_channel(1);
                    let (core, queue) = (self.clone(), pq.clone());
                    let spawned = self.tasks.spawn(async move {
                        let _ = tx.send(core.dead_letter(&queue, &msgs).await);
                    });
                    let wait = self.instance.config.request_timeout * 4;
                    let sent = spawned && rx.recv_timeout(wait).unwrap_or(false);
                    if !self.after_dead_letter(pq, sent, suspend) {
                        return false;
                    }
                }
            }
        }
    }

    /// The async form of `run_orderly_sync`.
    pub(crate) async fn run_orderly_async(
        self: &Arc<Self>,
        pq: &Arc<ProcessQueue>,
        l: &Arc<dyn AsyncMessageListenerOrderly>,
    ) {
        while pq.try_claim() {
            let more = self.orderly_turn_async(pq, l).await;
            pq.release();
            if !more || !pq.has_waiting() {
                return;
            }
        }
    }

    async fn orderly_turn_async(
        self: &Arc<Self>,
        pq: &Arc<ProcessQueue>,
        l: &Arc<dyn AsyncMessageListenerOrderly>,
    ) -> bool {
        loop {
            let (msgs, ctx) = match self.orderly_step(pq) {
                Step::Batch(msgs, ctx) => (msgs, ctx),
                Step::Idle => return true,
                Step::Stop => return false,
            };
            let suspend = ctx.suspend_current_queue_time;
            let call = l.consume_message(msgs.clone(), ctx);
            let status = tokio::spawn(call)
                .await
                .unwrap_or(ConsumeOrderlyStatus::SuspendCurrentQueueAMoment);
            match self.orderly_outcome(pq, msgs, status, suspend) {
                Outcome::Next => {}
                Outcome::Stop => return false,
                Outcome::DeadLetter(msgs, suspend) => {
                    let sent = self.dead_letter(pq, &msgs).await;
                    if !self.after_dead_letter(pq, sent, suspend) {
                        return false;
                    }
                }
            }
        }
    }
}
