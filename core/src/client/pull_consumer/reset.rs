//! Applying an operator's offset reset (`ResetOffset` notice from a broker) to a running pull
//! consumer: every assigned queue of the notice is sought to its new offset (buffered messages
//! dropped) and committed at once, so a commit of the old position cannot undo the reset.

use std::sync::Arc;

use tokio::sync::mpsc;

use super::ConsumerCore;
use crate::client::route::MessageQueue;
use crate::client::shutdown::lock;
use crate::protocol::ResetOffsetRequest;

/// The receiving end of the reset notices, until `start` takes it.
pub(crate) type ResetReceiver = std::sync::Mutex<Option<mpsc::Receiver<ResetOffsetRequest>>>;

impl ConsumerCore {
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
                core.apply_reset(&notice).await;
            }
        });
    }

    async fn apply_reset(&self, notice: &ResetOffsetRequest) {
        for q in &notice.offsets {
            let mq = MessageQueue::new(q.topic.as_str(), notice.broker_name.as_str(), q.queue_id);
            let Some(state) = lock(&self.queues).get(&mq).cloned() else {
                continue;
            };
            state.seek(q.offset);
            tracing::info!(queue = %mq, offset = q.offset, group = %self.group, "queue continues at the reset offset");
            if let Err(e) = self.commit_queue(&state).await {
                tracing::warn!(queue = %mq, error = %e, "commit after an offset reset failed");
            }
        }
    }
}
