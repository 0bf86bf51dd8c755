//! The pull task of one owned queue: resolve the starting offset, then long-poll the queue's
//! broker (its master, or a slave while the master is down or asks for it: `client::replica`)
//! and hand what arrives to the consume service, until the queue is taken away or the consumer
//! shuts down.
//!
//! Flow control: while the queue holds `pull_threshold_for_queue` messages or
//! `pull_threshold_size_for_queue` bytes unconsumed (or, for concurrent listeners, an offset
//! span over `consume_concurrently_max_span`), the task waits for the consume side to make
//! room instead of pulling. An orderly queue in clustering mode is pulled only while its broker
//! lock is held.

use std::sync::Arc;
use std::time::{Duration, Instant};

use super::consume::Job;
use super::process_queue::ProcessQueue;
use super::{PROPERTY_RETRY_TOPIC, PushCore, RETRY_TOPIC_PREFIX};
use crate::client::error::ClientError;
use crate::client::shutdown::ShutdownSignal;
use crate::limits::PULL_BYTES_DEFAULT;
use crate::message::MessageExt;
use crate::protocol::record::decode_records;
use crate::protocol::{ExpressionType, PullRequest, PullResponse, PullStatus};

/// Re-check period while flow control or a missing lock holds a queue.
const HOLD_RECHECK: Duration = Duration::from_millis(50);
/// A pull answered "nothing new" faster than this is followed by a pause of the same length.
const EMPTY_PULL_PAUSE: Duration = Duration::from_millis(50);

impl PushCore {
    /// Spawns the pull task of `pq`.
    pub(crate) fn spawn_fetch(self: &Arc<Self>, pq: Arc<ProcessQueue>) {
        let core = self.clone();
        let signal = self.tasks.signal();
        self.tasks.spawn(fetch_loop(core, pq, signal));
    }

    /// Whether `pq` must wait before its next pull.
    fn held(&self, pq: &ProcessQueue) -> bool {
        let (count, bytes, span) = pq.load();
        let o = &self.options;
        if count >= o.pull_threshold_for_queue || bytes >= o.pull_threshold_size_for_queue {
            return true;
        }
        if self.listener.is_orderly() {
            self.is_clustering() && !pq.lock_valid(o.lock_max_live)
        } else {
            span > o.consume_concurrently_max_span
        }
    }

    async fn pull(&self, pq: &ProcessQueue, offset: u64) -> Result<PullResponse, ClientError> {
        let mq = &pq.mq;
        let (conn, broker_id) = self.instance.read_conn(mq, None).await?;
        let sub = self.subscription(&mq.topic).map(|s| s.wire(&mq.topic));
        let (expression_type, expression) = sub
            .map_or((ExpressionType::Tag, "*".to_owned()), |s| {
                (s.expression_type, s.expression)
            });
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
            expression_type,
            expression,
        };
        let result = conn
            .call(&request, hold + self.instance.config.request_timeout)
            .await;
        self.instance.pull_done(mq, broker_id, &result).await;
        result
    }

    /// Applies a pull response; returns the jobs to submit and whether to pause briefly.
    fn apply_pull(
        &self,
        pq: &Arc<ProcessQueue>,
        offset: u64,
        resp: PullResponse,
    ) -> (Vec<Job>, bool) {
        let next = resp.next_begin_offset;
        match resp.pull_status {
            PullStatus::Found => {
                let msgs = match decode_records(&resp.records) {
                    Ok(msgs) => msgs,
                    Err(e) => {
                        tracing::error!(queue = %pq.mq, offset, error = %e, "undecodable pull response");
                        return (Vec::new(), true);
                    }
                };
                let sub = self.subscription(&pq.mq.topic);
                let msgs: Vec<MessageExt> = msgs
                    .into_iter()
                    .filter(|m| m.queue_offset >= offset)
                    .filter(|m| sub.as_ref().is_none_or(|s| s.matches(m.tags())))
                    .map(restore_retry_topic)
                    .collect();
                let batch: Vec<MessageExt> = msgs.clone();
                pq.put(msgs, next);
                if batch.is_empty() {
                    self.record_offset(pq, pq.commit_offset());
                }
                (self.consume.jobs_for(self, pq, batch), false)
            }
            PullStatus::NoNewMessage | PullStatus::NoMatchedMessage => {
                pq.set_fetch_offset(next);
                self.record_offset(pq, pq.commit_offset());
                (Vec::new(), true)
            }
            PullStatus::OffsetMoved => {
                tracing::warn!(queue = %pq.mq, offset, next, "offset moved");
                pq.set_fetch_offset(next);
                self.record_offset(pq, pq.commit_offset());
                (Vec::new(), false)
            }
        }
    }
}

/// A retried message shows its original topic to the listener (`reconsume_times > 0` tells it
/// apart).
fn restore_retry_topic(mut msg: MessageExt) -> MessageExt {
    if msg.message.topic.starts_with(RETRY_TOPIC_PREFIX)
        && let Some(topic) = msg.message.properties.get(PROPERTY_RETRY_TOPIC)
    {
        msg.message.topic = topic.clone();
    }
    msg
}

async fn fetch_loop(core: Arc<PushCore>, pq: Arc<ProcessQueue>, mut signal: ShutdownSignal) {
    while !signal.is_shutdown() && !pq.is_dropped() {
        let Some(offset) = pq.fetch_offset() else {
            match core.start_offset(&pq.mq).await {
                Ok(offset) => {
                    pq.set_fetch_offset(offset);
                    core.record_offset(&pq, Some(offset));
                }
                Err(e) => {
                    tracing::warn!(queue = %pq.mq, error = %e, "cannot find the starting offset");
                    if !error_pause(&core, &e, &pq, &mut signal).await {
                        return;
                    }
                }
            }
            continue;
        };
        if core.held(&pq) {
            tokio::select! {
                () = pq.room.notified() => {}
                () = tokio::time::sleep(HOLD_RECHECK) => {}
                () = signal.wait() => return,
            }
            continue;
        }
        let start = Instant::now();
        let result = tokio::select! {
            r = core.pull(&pq, offset) => r,
            () = signal.wait() => return,
        };
        let keep_going = match result {
            Ok(resp) if pq.is_dropped() => {
                drop(resp);
                return;
            }
            Ok(resp) => {
                let (jobs, pause) = core.apply_pull(&pq, offset, resp);
                for job in jobs {
                    if !core.consume.submit(job).await {
                        return;
                    }
                }
                let fast = start.elapsed() < EMPTY_PULL_PAUSE;
                !(pause && fast) || signal.sleep(EMPTY_PULL_PAUSE).await
            }
            Err(e) => {
                tracing::warn!(queue = %pq.mq, offset, error = %e, "pull failed");
                error_pause(&core, &e, &pq, &mut signal).await
            }
        };
        if !keep_going {
            return;
        }
    }
}

/// Refreshes the route on routing errors, then backs off; false when shut down meanwhile.
async fn error_pause(
    core: &PushCore,
    e: &ClientError,
    pq: &ProcessQueue,
    signal: &mut ShutdownSignal,
) -> bool {
    if e.is_routing_error() {
        let _ = core.instance.routes.refresh(&pq.mq.topic, None).await;
    }
    signal.sleep(core.options.pull_error_backoff).await
}
