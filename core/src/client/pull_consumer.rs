//! `PullConsumer`: the application polls messages and commits offsets (RocketMQ's
//! `DefaultLitePullConsumer`).
//!
//! ```no_run
//! # async fn demo() -> Result<(), ferrocket::ClientError> {
//! use ferrocket::PullConsumer;
//! let consumer = PullConsumer::builder().group("cg").namesrv("127.0.0.1:9876").build()?;
//! consumer.subscribe("orders", "TagA || TagB").await?;
//! consumer.start().await?;
//! for msg in consumer.poll().await? {
//!     println!("{} {:?}", msg.queue_offset, msg.body());
//! }
//! consumer.shutdown().await; // commits the offsets of what poll returned
//! # Ok(()) }
//! ```
//!
//! Each assigned queue has a fetch task (`fetch`) that long-polls its broker and fills a
//! bounded buffer (`queue_state`); `poll` drains the buffers; `commit` (and auto-commit every
//! `auto_commit_interval`) sends, per queue, the offset after the last message `poll` returned.
//! Queue choice lives in `assign`, offsets in `offsets`, an operator's offset reset in `reset`,
//! and which broker of a master/slave set a queue is read from (the master, or a slave when
//! the master is gone or asks for it) in `client::replica`, shared with the push consumer.

mod assign;
mod builder;
mod fetch;
mod offsets;
mod reset;

use std::collections::{BTreeMap, BTreeSet};
use std::sync::atomic::{AtomicU8, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::sync::Notify;

use crate::client::allocate::AllocateStrategy;
use crate::client::config::{
    ConsumeFrom, POLL_TIMEOUT_MS_DEFAULT, PULL_ERROR_BACKOFF_MS_DEFAULT,
    REASSIGN_INTERVAL_MS_DEFAULT,
};
use crate::client::error::ClientError;
use crate::client::instance::ClientInstance;
use crate::client::queue_state::QueueState;
use crate::client::route::MessageQueue;
use crate::client::shutdown::{Tasks, lock};
use crate::client::subscription::Selector;
use crate::client::validate::validate_topic;
use crate::limits::{
    AUTO_COMMIT_INTERVAL_MS_DEFAULT, LONG_POLL_MS_DEFAULT, POLL_BATCH_COUNT_MAX,
    PULL_BATCH_COUNT_DEFAULT,
};
use crate::message::MessageExt;
use crate::protocol::{ConsumeType, ConsumerData, ExpressionType, MessageModel};

use assign::{Mode, TagFilter};
pub use builder::PullConsumerBuilder;

const CREATED: u8 = 0;
const RUNNING: u8 = 1;
const SHUT_DOWN: u8 = 2;

/// Settings of a pull consumer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ConsumerOptions {
    pub(crate) auto_commit: bool,
    pub(crate) auto_commit_interval: Duration,
    pub(crate) consume_from: ConsumeFrom,
    pub(crate) pull_batch_size: u32,
    pub(crate) poll_timeout: Duration,
    pub(crate) long_poll: Duration,
    pub(crate) pull_error_backoff: Duration,
    pub(crate) master_down_retry: Duration,
}

impl Default for ConsumerOptions {
    fn default() -> ConsumerOptions {
        ConsumerOptions {
            auto_commit: true,
            auto_commit_interval: Duration::from_millis(AUTO_COMMIT_INTERVAL_MS_DEFAULT),
            consume_from: ConsumeFrom::LastOffset,
            pull_batch_size: PULL_BATCH_COUNT_DEFAULT,
            poll_timeout: Duration::from_millis(POLL_TIMEOUT_MS_DEFAULT),
            long_poll: Duration::from_millis(u64::from(LONG_POLL_MS_DEFAULT)),
            pull_error_backoff: Duration::from_millis(PULL_ERROR_BACKOFF_MS_DEFAULT),
            master_down_retry: Duration::from_millis(crate::client::replica::MASTER_DOWN_RETRY_MS),
        }
    }
}

/// State shared by the consumer handle and its tasks.
#[derive(Debug)]
pub(crate) struct ConsumerCore {
    pub(crate) group: String,
    pub(crate) instance: Arc<ClientInstance>,
    pub(crate) options: ConsumerOptions,
    state: AtomicU8,
    mode: Mutex<Mode>,
    /// Tag filters by subscribed topic.
    filters: Mutex<BTreeMap<String, Arc<TagFilter>>>,
    /// Assigned queues. Lock order: this before any queue's state.
    queues: Mutex<BTreeMap<MessageQueue, Arc<QueueState>>>,
    /// Wakes `poll` when a fetch task buffered messages.
    available: Notify,
    poll_cursor: AtomicUsize,
    tasks: Tasks,
    /// How the group's queues are shared (subscribe mode).
    pub(crate) allocate: Arc<dyn AllocateStrategy>,
    /// Reassign now (the broker's membership notice).
    pub(crate) reassign_now: Arc<Notify>,
    /// When `start` was called (ms since the epoch): where `LastOffset` starts.
    pub(crate) started_ms: AtomicU64,
    /// Offset-reset notices from brokers, until `start` hands them to the reset task.
    pub(crate) reset_rx: reset::ResetReceiver,
}

impl ConsumerCore {
    pub(crate) fn is_running(&self) -> bool {
        self.state.load(Ordering::Acquire) == RUNNING
    }

    fn consumer_data(&self) -> ConsumerData {
        let (consume_from, consume_timestamp_ms) = self.options.consume_from.to_wire();
        ConsumerData {
            group: self.group.clone(),
            consume_type: ConsumeType::Pull,
            message_model: MessageModel::Clustering,
            consume_from,
            consume_timestamp_ms,
            subscriptions: self.subscriptions(),
        }
    }

    /// Takes up to `max` buffered messages, visiting queues round-robin across calls.
    fn take_buffered(&self, max: usize) -> Vec<MessageExt> {
        let queues: Vec<Arc<QueueState>> = lock(&self.queues).values().cloned().collect();
        let mut out = Vec::new();
        if queues.is_empty() {
            return out;
        }
        let start = self.poll_cursor.fetch_add(1, Ordering::Relaxed);
        for i in 0..queues.len() {
            if out.len() >= max {
                break;
            }
            let q = &queues[(start + i) % queues.len()];
            q.take(max - out.len(), &mut out);
        }
        out
    }

    fn queue(&self, mq: &MessageQueue) -> Result<Arc<QueueState>, ClientError> {
        lock(&self.queues)
            .get(mq)
            .cloned()
            .ok_or_else(|| ClientError::InvalidArgument(format!("queue {mq} is not assigned")))
    }

    fn set_mode(&self, wanted: Mode) -> Result<(), ClientError> {
        let mut mode = lock(&self.mode);
        if *mode != Mode::Unset && *mode != wanted {
            return Err(ClientError::InvalidArgument(
                "subscribe and assign cannot be mixed on one consumer".into(),
            ));
        }
        *mode = wanted;
        Ok(())
    }

    fn spawn_periodic_tasks(self: &Arc<Self>) {
        if self.options.auto_commit {
            let core = self.clone();
            let mut signal = self.tasks.signal();
            self.tasks.spawn(async move {
                while signal.sleep(core.options.auto_commit_interval).await {
                    let _ = core.commit_all().await;
                }
            });
        }
        let core = self.clone();
        let mut signal = self.tasks.signal();
        self.tasks.spawn(async move {
            let every = Duration::from_millis(REASSIGN_INTERVAL_MS_DEFAULT);
            loop {
                tokio::select! {
                    () = core.reassign_now.notified() => {}
                    () = tokio::time::sleep(every) => {}
                    () = signal.wait() => return,
                }
                if *lock(&core.mode) == Mode::Subscribe {
                    let _ = core.reassign_subscriptions().await;
                }
            }
        });
    }
}

/// A pull consumer; see the module doc.
#[derive(Debug)]
pub struct PullConsumer {
    core: Arc<ConsumerCore>,
}

impl PullConsumer {
    /// A builder with RocketMQ's defaults.
    pub fn builder() -> PullConsumerBuilder {
        PullConsumerBuilder::default()
    }

    /// The consumer group.
    pub fn group(&self) -> &str {
        &self.core.group
    }

    /// Starts fetching the assigned (or subscribed) queues, heartbeats and auto-commit. When
    /// the routes of subscribed topics cannot be had, this fails and the consumer stays
    /// unstarted (call `start` again).
    pub async fn start(&self) -> Result<(), ClientError> {
        let core = &self.core;
        match core.state.load(Ordering::Acquire) {
            CREATED => {}
            RUNNING => return Err(ClientError::AlreadyStarted),
            _ => return Err(ClientError::ShutDown),
        }
        let now_ms = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX));
        core.started_ms.store(now_ms, Ordering::Release);
        if *lock(&core.mode) == Mode::Subscribe {
            core.reassign_subscriptions().await?;
        }
        match core
            .state
            .compare_exchange(CREATED, RUNNING, Ordering::AcqRel, Ordering::Acquire)
        {
            Ok(_) => {}
            Err(RUNNING) => return Err(ClientError::AlreadyStarted),
            Err(_) => return Err(ClientError::ShutDown),
        }
        core.instance.start();
        let queues: Vec<Arc<QueueState>> = lock(&core.queues).values().cloned().collect();
        for q in queues {
            core.spawn_fetch(q);
        }
        core.spawn_periodic_tasks();
        core.spawn_reset_task();
        core.instance.set_consumer(core.consumer_data());
        core.instance.heartbeat_all().await;
        if *lock(&core.mode) == Mode::Subscribe {
            // Now a member: take this consumer's share of the group's queues.
            let _ = core.reassign_subscriptions().await;
        }
        tracing::info!(group = %core.group, "pull consumer started");
        Ok(())
    }

    /// Stops fetching, commits (with auto-commit on), stops every task and closes connections.
    pub async fn shutdown(&self) {
        let core = &self.core;
        if core.state.swap(SHUT_DOWN, Ordering::AcqRel) == SHUT_DOWN {
            return;
        }
        core.tasks.shutdown().await;
        core.available.notify_waiters();
        if core.options.auto_commit
            && let Err(e) = core.commit_all().await
        {
            tracing::warn!(group = %core.group, error = %e, "final commit failed");
        }
        if *lock(&core.mode) == Mode::Subscribe {
            core.instance.unregister_consumer(&core.group).await;
        }
        core.instance.remove_consumer(&core.group);
        core.instance.shutdown().await;
        tracing::info!(group = %core.group, "pull consumer shut down");
    }

    fn check_not_shut_down(&self) -> Result<(), ClientError> {
        match self.core.state.load(Ordering::Acquire) {
            SHUT_DOWN => Err(ClientError::ShutDown),
            _ => Ok(()),
        }
    }

    /// Subscribes to `topic` with a tag expression (`*` or `TagA || TagB`, what a `&str`
    /// converts to) or a `Selector::Sql` condition, and joins the consumer group: this
    /// consumer's share of the topic's read queues (by its allocation strategy, among the
    /// group's members) is assigned now if started, else at `start`. A SQL92 condition is
    /// checked by the topic's brokers at once; one they cannot parse is refused
    /// (`SUBSCRIPTION_PARSE_FAILED`, naming the position) and the subscription is not kept.
    pub async fn subscribe(
        &self,
        topic: &str,
        selector: impl Into<Selector>,
    ) -> Result<(), ClientError> {
        self.check_not_shut_down()?;
        validate_topic(topic)?;
        let filter = TagFilter::from_selector(&selector.into())?;
        let core = &self.core;
        core.set_mode(Mode::Subscribe)?;
        let is_sql = filter.expression_type == ExpressionType::Sql92;
        let before = lock(&core.filters).insert(topic.to_owned(), Arc::new(filter));
        if is_sql && let Err(e) = core.check_subscription(topic).await {
            let mut filters = lock(&core.filters);
            match before {
                Some(before) => filters.insert(topic.to_owned(), before),
                None => filters.remove(topic),
            };
            return Err(e);
        }
        if core.is_running() {
            core.instance.set_consumer(core.consumer_data());
            core.reassign_subscriptions().await?;
            core.instance.heartbeat_all().await;
        }
        Ok(())
    }

    /// Reads exactly `queues` (manual assignment, no subscription); replaces any earlier
    /// assignment.
    pub fn assign(&self, queues: Vec<MessageQueue>) -> Result<(), ClientError> {
        self.check_not_shut_down()?;
        for q in &queues {
            validate_topic(&q.topic)?;
        }
        self.core.set_mode(Mode::Assign)?;
        let wanted: BTreeSet<MessageQueue> = queues.into_iter().collect();
        self.core.apply_assignment(None, wanted);
        Ok(())
    }

    /// The queues currently assigned.
    pub fn assignment(&self) -> Vec<MessageQueue> {
        lock(&self.core.queues).keys().cloned().collect()
    }

    /// Buffered messages, waiting up to the configured poll timeout for some.
    pub async fn poll(&self) -> Result<Vec<MessageExt>, ClientError> {
        self.poll_timeout(self.core.options.poll_timeout).await
    }

    /// Up to `POLL_BATCH_COUNT_MAX` buffered messages, waiting up to `timeout` for some; an
    /// empty vector when none arrived in time.
    pub async fn poll_timeout(&self, timeout: Duration) -> Result<Vec<MessageExt>, ClientError> {
        self.poll_up_to(timeout, POLL_BATCH_COUNT_MAX).await
    }

    /// Up to `max` (at most `POLL_BATCH_COUNT_MAX`) buffered messages, waiting up to `timeout`
    /// for some. The rest stay buffered, so `commit` covers exactly what was returned (an
    /// iterator handing out one message at a time polls with `max` 1).
    pub async fn poll_up_to(
        &self,
        timeout: Duration,
        max: usize,
    ) -> Result<Vec<MessageExt>, ClientError> {
        let max = max.clamp(1, POLL_BATCH_COUNT_MAX);
        let core = &self.core;
        match core.state.load(Ordering::Acquire) {
            RUNNING => {}
            CREATED => return Err(ClientError::NotStarted),
            _ => return Err(ClientError::ShutDown),
        }
        let deadline = tokio::time::Instant::now() + timeout;
        let mut signal = core.tasks.signal();
        loop {
            let notified = core.available.notified();
            tokio::pin!(notified);
            notified.as_mut().enable();
            let msgs = core.take_buffered(max);
            if !msgs.is_empty() {
                return Ok(msgs);
            }
            tokio::select! {
                () = &mut notified => {}
                () = tokio::time::sleep_until(deadline) => return Ok(Vec::new()),
                () = signal.wait() => return Err(ClientError::ShutDown),
            }
        }
    }

    /// Commits, per assigned queue, the offset after the last message `poll` returned.
    pub async fn commit(&self) -> Result<(), ClientError> {
        self.check_not_shut_down()?;
        self.core.commit_all().await
    }

    /// The group's committed offset of `mq` on the broker, `None` if it has none.
    pub async fn committed(&self, mq: &MessageQueue) -> Result<Option<u64>, ClientError> {
        self.check_not_shut_down()?;
        self.core.query_committed(mq).await
    }

    /// Continues `mq` at `offset`, dropping its buffered messages (the next commit sends
    /// `offset`).
    pub fn seek(&self, mq: &MessageQueue, offset: u64) -> Result<(), ClientError> {
        self.check_not_shut_down()?;
        self.core.queue(mq)?.seek(offset);
        Ok(())
    }

    /// Continues `mq` at its lowest stored offset.
    pub async fn seek_to_beginning(&self, mq: &MessageQueue) -> Result<(), ClientError> {
        let q = self.core.queue(mq)?;
        let offset = self.core.bound_offset(mq, false).await?;
        q.seek(offset);
        Ok(())
    }

    /// Continues `mq` at its end (only messages stored from now on).
    pub async fn seek_to_end(&self, mq: &MessageQueue) -> Result<(), ClientError> {
        let q = self.core.queue(mq)?;
        let offset = self.core.bound_offset(mq, true).await?;
        q.seek(offset);
        Ok(())
    }

    /// Stops fetching and returning messages of `queues` until `resume`.
    pub fn pause(&self, queues: &[MessageQueue]) -> Result<(), ClientError> {
        for mq in queues {
            self.core.queue(mq)?.set_paused(true);
        }
        Ok(())
    }

    /// Resumes `queues` paused by `pause`.
    pub fn resume(&self, queues: &[MessageQueue]) -> Result<(), ClientError> {
        for mq in queues {
            self.core.queue(mq)?.set_paused(false);
        }
        Ok(())
    }
}

impl Drop for PullConsumer {
    fn drop(&mut self) {
        self.core.tasks.signal_shutdown();
        self.core.instance.signal_shutdown();
    }
}
