//! The fetch task of one assigned queue: resolve the starting offset, then long-poll the
//! queue's broker (its master, or a slave: `client::replica`) with `Pull` and fill the queue's bounded
//! buffer, until the queue is removed or the consumer shuts down.
//!
//! A seek cancels the pull in flight (its generation changes). A full buffer or a pause parks
//! the task until `poll` makes room or `resume` is called. Failed pulls back off for
//! `pull_error_backoff`; routing errors refresh the route first.

use std::sync::Arc;
use std::time::{Duration, Instant};

use super::ConsumerCore;
use crate::client::compression::decompress_message;
use crate::client::error::ClientError;
use crate::client::queue_state::{FetchStep, QueueState};
use crate::client::route::MessageQueue;
use crate::client::shutdown::ShutdownSignal;
use crate::limits::PULL_BYTES_DEFAULT;
use crate::message::MessageExt;
use crate::protocol::record::decode_records;
use crate::protocol::{PullRequest, PullResponse, PullStatus};

/// A pull answered "nothing new" faster than this is followed by a pause of the same length,
/// so a broker that does not hold pulls is not polled in a tight loop.
const EMPTY_PULL_PAUSE: Duration = Duration::from_millis(50);

impl ConsumerCore {
    /// Spawns the fetch task of `q` unless it has one already.
    pub(crate) fn spawn_fetch(self: &Arc<Self>, q: Arc<QueueState>) {
        if !q.claim_fetch_task() {
            return;
        }
        let core = self.clone();
        let signal = self.tasks.signal();
        self.tasks.spawn(fetch_loop(core, q, signal));
    }

    async fn pull(&self, mq: &MessageQueue, offset: u64) -> Result<PullResponse, ClientError> {
        let (conn, broker_id) = self.instance.read_conn(mq, None).await?;
        let filter = self.filter(&mq.topic);
        let hold = self.options.long_poll;
        let request = PullRequest {
            consumer_group: self.group.clone(),
            topic: mq.topic.clone(),
            queue_id: mq.queue_id,
            queue_offset: offset,
            max_messages: self.options.pull_batch_size,
            max_bytes: PULL_BYTES_DEFAULT,
            suspend_timeout_ms: u32::try_from(hold.as_millis()).unwrap_or(u32::MAX),
            commit_offset: None,
            expression_type: filter.expression_type,
            expression: filter.expression.clone(),
        };
        let budget = hold + self.instance.config.request_timeout;
        let result = conn.call(&request, budget).await;
        self.instance.pull_done(mq, broker_id, &result).await;
        result
    }

    /// Applies a pull response to `q`; returns whether the caller should pause briefly.
    fn apply_pull(&self, q: &QueueState, generation: u64, offset: u64, resp: PullResponse) -> bool {
        let next = resp.next_begin_offset;
        match resp.pull_status {
            PullStatus::Found => {
                let msgs = match decode_records(&resp.records) {
                    Ok(msgs) => msgs,
                    Err(e) => {
                        tracing::error!(queue = %q.mq, offset, error = %e, "undecodable pull response");
                        return true;
                    }
                };
                let filter = self.filter(&q.mq.topic);
                let msgs: Vec<_> = msgs
                    .into_iter()
                    .filter(|m| m.queue_offset >= offset && filter.matches(m))
                    .filter_map(|m| decompressed(&q.mq, m))
                    .collect();
                if q.on_pull(generation, next, msgs, false) {
                    self.available.notify_waiters();
                }
                false
            }
            PullStatus::NoNewMessage | PullStatus::NoMatchedMessage => {
                q.on_pull(generation, next, Vec::new(), false);
                true
            }
            PullStatus::OffsetMoved => {
                tracing::warn!(queue = %q.mq, offset, next, "offset moved");
                q.on_pull(generation, next, Vec::new(), true);
                false
            }
        }
    }
}

/// The message with its body decompressed; `None` (logged) when that fails: a message whose
/// body cannot be restored is never handed to the application.
fn decompressed(mq: &MessageQueue, mut msg: MessageExt) -> Option<MessageExt> {
    match decompress_message(&mut msg) {
        Ok(()) => Some(msg),
        Err(e) => {
            tracing::error!(queue = %mq, offset = msg.queue_offset, msg_id = %msg.msg_id,
                error = %e, "skipping a message whose body cannot be decompressed");
            None
        }
    }
}

async fn fetch_loop(core: Arc<ConsumerCore>, q: Arc<QueueState>, mut signal: ShutdownSignal) {
    let mut generations = q.generation_changes();
    loop {
        if signal.is_shutdown() {
            return;
        }
        match q.next_step() {
            FetchStep::Stop => return,
            FetchStep::Wait => {
                tokio::select! {
                    () = q.wake.notified() => {}
                    () = signal.wait() => return,
                }
            }
            FetchStep::Resolve { generation } => match tokio::select! {
                r = core.start_offset(&q.mq) => r,
                () = signal.wait() => return,
            } {
                Ok(offset) => q.set_start(generation, offset),
                Err(e) => {
                    tracing::warn!(queue = %q.mq, error = %e, "cannot find the starting offset");
                    if !error_pause(&core, &e, &q.mq, &mut signal).await {
                        return;
                    }
                }
            },
            FetchStep::Pull { offset, generation } => {
                generations.mark_unchanged();
                let start = Instant::now();
                let result = tokio::select! {
                    r = core.pull(&q.mq, offset) => r,
                    _ = generations.changed() => continue,
                    () = signal.wait() => return,
                };
                let keep_going = match result {
                    Ok(resp) => {
                        let pause = core.apply_pull(&q, generation, offset, resp);
                        let fast = start.elapsed() < EMPTY_PULL_PAUSE;
                        !(pause && fast) || signal.sleep(EMPTY_PULL_PAUSE).await
                    }
                    Err(e) => {
                        tracing::warn!(queue = %q.mq, offset, error = %e, "pull failed");
                        error_pause(&core, &e, &q.mq, &mut signal).await
                    }
                };
                if !keep_going {
                    return;
                }
            }
        }
    }
}

/// Refreshes the route on routing errors, then backs off; false when shut down meanwhile.
async fn error_pause(
    core: &ConsumerCore,
    e: &ClientError,
    mq: &MessageQueue,
    signal: &mut ShutdownSignal,
) -> bool {
    if e.is_routing_error() {
        let _ = core.instance.routes.refresh(&mq.topic, None).await;
    }
    signal.sleep(core.options.pull_error_backoff).await
}
