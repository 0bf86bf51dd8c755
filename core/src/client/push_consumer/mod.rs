//! `PushConsumer`: the consumer calls the application's listener (RocketMQ's
//! `DefaultMQPushConsumer`).
//!
//! ```no_run
//! # async fn demo() -> Result<(), ferrocket::ClientError> {
//! use ferrocket::client::push_consumer::{ConsumeConcurrentlyStatus, MessageListener};
//! use ferrocket::PushConsumer;
//! let consumer = PushConsumer::builder()
//!     .group("cg")
//!     .namesrv("127.0.0.1:9876")
//!     .listener(MessageListener::concurrently(|msgs: &[ferrocket::MessageExt], _ctx: &mut _| {
//!         for m in msgs {
//!             println!("{} {:?}", m.queue_offset, m.body());
//!         }
//!         ConsumeConcurrentlyStatus::ConsumeSuccess
//!     }))
//!     .build()?;
//! consumer.subscribe("orders", "TagA || TagB")?;
//! consumer.start().await?;
//! consumer.shutdown().await; // drains, commits, leaves the group
//! # Ok(()) }
//! ```
//!
//! Parts: `rebalance` (which queues this member owns: the group's members from the broker and
//! an `AllocateStrategy`; every queue of every topic in broadcasting mode; queue locks for
//! orderly clustering), `fetch` (one long-polling pull task per owned queue, stopping at the
//! flow limits), `consume` (the consume threads or async workers, retry by send-back, orderly
//! suspend and dead-lettering), `offsets` (commits to the broker, or a local file in
//! broadcasting mode), `process_queue` (one owned queue's messages and offsets), `reset` (an
//! operator's offset reset announced by a broker).

mod builder;
mod consume;
mod fetch;
mod listener;
mod offsets;
mod process_queue;
mod rebalance;
mod reset;
#[cfg(test)]
mod subscription_tests;

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU8, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::sync::Notify;

use crate::client::allocate::AllocateStrategy;
use crate::client::config::ConsumeFrom;
use crate::client::error::ClientError;
use crate::client::instance::ClientInstance;
use crate::client::route::MessageQueue;
use crate::client::shutdown::{Tasks, lock};
use crate::client::validate::validate_topic;
use crate::protocol::{
    ConsumeType, ConsumerData, ExpressionType, MessageModel, Status, Subscription,
};

pub use builder::PushConsumerBuilder;
pub use listener::{
    AsyncMessageListenerConcurrently, AsyncMessageListenerOrderly, BoxFuture,
    ConsumeConcurrentlyContext, ConsumeConcurrentlyStatus, ConsumeOrderlyContext,
    ConsumeOrderlyStatus, MessageListener, MessageListenerConcurrently, MessageListenerOrderly,
    Selector,
};

use consume::ConsumeService;
use offsets::OffsetStore;
use process_queue::ProcessQueue;

const CREATED: u8 = 0;
const RUNNING: u8 = 1;
const SHUT_DOWN: u8 = 2;

/// Prefix of a group's retry topic.
pub const RETRY_TOPIC_PREFIX: &str = "%RETRY%";
/// Prefix of a group's dead-letter topic.
pub const DLQ_TOPIC_PREFIX: &str = "%DLQ%";
/// Property of a retried message holding the topic it was first sent to.
pub const PROPERTY_RETRY_TOPIC: &str = "RETRY_TOPIC";

/// Settings of a push consumer (RocketMQ's names and defaults; see the builder).
#[derive(Debug, Clone)]
pub(crate) struct PushOptions {
    pub(crate) message_model: MessageModel,
    pub(crate) consume_from: ConsumeFrom,
    pub(crate) consume_threads: usize,
    pub(crate) consume_batch_max: usize,
    pub(crate) pull_batch_size: u32,
    pub(crate) pull_threshold_for_queue: usize,
    pub(crate) pull_threshold_size_for_queue: usize,
    pub(crate) consume_concurrently_max_span: u64,
    pub(crate) max_reconsume_times: Option<u32>,
    pub(crate) suspend_current_queue_time: Duration,
    pub(crate) consume_timeout: Duration,
    pub(crate) rebalance_interval: Duration,
    pub(crate) persist_offset_interval: Duration,
    pub(crate) lock_renew_interval: Duration,
    pub(crate) lock_max_live: Duration,
    pub(crate) long_poll: Duration,
    pub(crate) pull_error_backoff: Duration,
    pub(crate) master_down_retry: Duration,
    pub(crate) send_back_retry_delay: Duration,
    pub(crate) await_termination: Duration,
    pub(crate) broadcast_offset_dir: PathBuf,
    pub(crate) allocate: Arc<dyn AllocateStrategy>,
}

/// One subscription: the selector and, for tags, the set a message's tag must be in.
#[derive(Debug, Clone)]
pub(crate) struct SubscriptionEntry {
    pub(crate) selector: Selector,
    /// `None` = every message (`*` or SQL, which the broker filters).
    pub(crate) tags: Option<Vec<String>>,
}

impl SubscriptionEntry {
    fn new(selector: Selector) -> Result<SubscriptionEntry, ClientError> {
        let expression = match &selector {
            Selector::Tag(e) | Selector::Sql(e) => e,
        };
        if expression.len() > crate::limits::EXPRESSION_LEN_MAX {
            return Err(ClientError::InvalidArgument(
                "subscription expression is over EXPRESSION_LEN_MAX bytes".into(),
            ));
        }
        let tags = match &selector {
            Selector::Sql(_) => None,
            Selector::Tag(e) if e.trim().is_empty() || e.trim() == "*" => None,
            Selector::Tag(e) => {
                let tags: Vec<String> = e
                    .split("||")
                    .map(str::trim)
                    .filter(|t| !t.is_empty())
                    .map(str::to_owned)
                    .collect();
                if tags.is_empty() {
                    return Err(ClientError::InvalidArgument(format!(
                        "subscription expression `{e}` names no tag"
                    )));
                }
                Some(tags)
            }
        };
        Ok(SubscriptionEntry { selector, tags })
    }

    pub(crate) fn wire(&self, topic: &str) -> Subscription {
        let (expression_type, expression) = match &self.selector {
            Selector::Tag(e) => (ExpressionType::Tag, e.trim().to_owned()),
            Selector::Sql(e) => (ExpressionType::Sql92, e.clone()),
        };
        Subscription {
            topic: topic.to_owned(),
            expression_type,
            expression,
        }
    }

    pub(crate) fn matches(&self, tag: Option<&str>) -> bool {
        match &self.tags {
            None => true,
            Some(tags) => tag.is_some_and(|t| tags.iter().any(|x| x == t)),
        }
    }
}

/// State shared by the consumer handle and its tasks and threads.
#[derive(Debug)]
pub(crate) struct PushCore {
    pub(crate) group: String,
    pub(crate) instance: Arc<ClientInstance>,
    pub(crate) options: PushOptions,
    pub(crate) listener: MessageListener,
    state: AtomicU8,
    /// Subscriptions by topic (the retry topic included in clustering mode).
    pub(crate) subscriptions: Mutex<BTreeMap<String, SubscriptionEntry>>,
    /// Owned queues. Lock order: this before any process queue's lock.
    pub(crate) queues: Mutex<BTreeMap<MessageQueue, Arc<ProcessQueue>>>,
    pub(crate) offsets: OffsetStore,
    pub(crate) consume: ConsumeService,
    /// Rebalance now (membership notice, subscribe).
    pub(crate) rebalance_now: Arc<Notify>,
    /// Broadcast messages whose listener failed (logged, not redelivered).
    pub(crate) broadcast_failures: AtomicU64,
    /// When `start` was called (ms since the epoch): where `LastOffset` starts.
    pub(crate) started_ms: AtomicU64,
    /// Offset-reset notices from brokers, until `start` hands them to the reset task.
    pub(crate) reset_rx: reset::ResetReceiver,
    pub(crate) tasks: Tasks,
}

impl PushCore {
    pub(crate) fn is_running(&self) -> bool {
        self.state.load(Ordering::Acquire) == RUNNING
    }

    pub(crate) fn is_clustering(&self) -> bool {
        self.options.message_model == MessageModel::Clustering
    }

    pub(crate) fn retry_topic(&self) -> String {
        format!("{RETRY_TOPIC_PREFIX}{}", self.group)
    }

    /// The max reconsume times in force: configured, else 16 concurrently, unlimited orderly.
    pub(crate) fn max_reconsume_times(&self) -> u32 {
        match self.options.max_reconsume_times {
            Some(n) => n,
            None if self.listener.is_orderly() => u32::MAX,
            None => crate::limits::MAX_RECONSUME_TIMES_DEFAULT,
        }
    }

    fn consumer_data(&self) -> ConsumerData {
        let (consume_from, consume_timestamp_ms) = self.options.consume_from.to_wire();
        let subscriptions = lock(&self.subscriptions)
            .iter()
            .map(|(t, s)| s.wire(t))
            .collect();
        ConsumerData {
            group: self.group.clone(),
            consume_type: ConsumeType::Push,
            message_model: self.options.message_model,
            consume_from,
            consume_timestamp_ms,
            subscriptions,
        }
    }

    pub(crate) fn subscription(&self, topic: &str) -> Option<SubscriptionEntry> {
        lock(&self.subscriptions).get(topic).cloned()
    }

    /// RocketMQ's `checkClientInBroker`: a SQL92 subscription the topic's brokers cannot parse
    /// fails `start` at once (`SUBSCRIPTION_PARSE_FAILED`, naming the position) instead of
    /// leaving a consumer that never receives anything.
    async fn check_sql_subscriptions(&self) -> Result<(), ClientError> {
        let sql_topics: Vec<String> = lock(&self.subscriptions)
            .iter()
            .filter(|(_, s)| matches!(s.selector, Selector::Sql(_)))
            .map(|(t, _)| t.clone())
            .collect();
        let request = crate::protocol::HeartbeatRequest {
            client_id: self.instance.client_id().to_owned(),
            producer_groups: Vec::new(),
            consumer_groups: vec![self.consumer_data()],
        };
        for topic in sql_topics {
            let Ok(route) = self.instance.routes.get(&topic, None).await else {
                continue;
            };
            for addr in route.masters.values() {
                match self.instance.heartbeat(addr, &request).await {
                    Err(e) if e.status() == Some(Status::SubscriptionParseFailed) => return Err(e),
                    _ => {}
                }
            }
        }
        Ok(())
    }
}

/// A push consumer; see the module doc.
#[derive(Debug)]
pub struct PushConsumer {
    core: Arc<PushCore>,
}

impl PushConsumer {
    /// A builder with RocketMQ's defaults.
    pub fn builder() -> PushConsumerBuilder {
        PushConsumerBuilder::default()
    }

    /// The consumer group.
    pub fn group(&self) -> &str {
        &self.core.group
    }

    /// This consumer's client id, as the group's member list shows it.
    pub fn client_id(&self) -> String {
        self.core.instance.client_id().to_owned()
    }

    /// Subscribes to `topic` with a tag expression (`"*"`, `"TagA || TagB"`) or a `Selector`.
    /// When running, the consumer rebalances at once.
    pub fn subscribe(&self, topic: &str, selector: impl Into<Selector>) -> Result<(), ClientError> {
        if self.core.state.load(Ordering::Acquire) == SHUT_DOWN {
            return Err(ClientError::ShutDown);
        }
        validate_topic(topic)?;
        let entry = SubscriptionEntry::new(selector.into())?;
        lock(&self.core.subscriptions).insert(topic.to_owned(), entry);
        if self.core.is_running() {
            self.core.instance.set_consumer(self.core.consumer_data());
            self.core.rebalance_now.notify_one();
        }
        Ok(())
    }

    /// Joins the group (heartbeat to every broker of the subscribed topics), takes this
    /// member's queues and starts consuming. A subscribed topic with no route yet is asked for
    /// again every 500 ms and consumed once it exists.
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
        if core.is_clustering() {
            let retry = core.retry_topic();
            let entry = SubscriptionEntry::new(Selector::Tag("*".into()))?;
            lock(&core.subscriptions).entry(retry).or_insert(entry);
        }
        let topics: Vec<String> = lock(&core.subscriptions).keys().cloned().collect();
        for topic in topics.iter().filter(|t| !t.starts_with(RETRY_TOPIC_PREFIX)) {
            // Like RocketMQ, a topic without a route yet does not stop the start: the
            // rebalance keeps asking for it and takes its queues once it exists.
            if let Err(e) = core.instance.routes.get(topic, None).await {
                tracing::warn!(topic, error = %e, "no route for a subscribed topic yet");
            }
        }
        core.check_sql_subscriptions().await?;
        if core
            .state
            .compare_exchange(CREATED, RUNNING, Ordering::AcqRel, Ordering::Acquire)
            .is_err()
        {
            return Err(ClientError::AlreadyStarted);
        }
        core.offsets.load()?;
        core.consume.start(core)?;
        core.instance.start();
        core.instance.set_consumer(core.consumer_data());
        core.instance.heartbeat_all().await;
        core.rebalance().await;
        core.spawn_periodic_tasks();
        core.spawn_reset_task();
        tracing::info!(group = %core.group, client_id = core.instance.client_id(), "push consumer started");
        Ok(())
    }

    /// Stops pulling, lets the consume threads finish the messages already handed to them
    /// (up to `await_termination`), commits offsets, releases orderly locks, leaves the group
    /// (so the other members rebalance at once) and closes connections.
    pub async fn shutdown(&self) {
        let core = &self.core;
        if core.state.swap(SHUT_DOWN, Ordering::AcqRel) != RUNNING {
            return;
        }
        core.tasks.shutdown().await;
        core.consume.drain(core.options.await_termination).await;
        let queues: Vec<Arc<ProcessQueue>> = lock(&core.queues).values().cloned().collect();
        for pq in &queues {
            pq.set_dropped();
        }
        core.persist_offsets(&queues).await;
        core.unlock_all(&queues).await;
        core.instance.unregister_consumer(&core.group).await;
        core.instance.remove_consumer(&core.group);
        core.instance.shutdown().await;
        tracing::info!(group = %core.group, "push consumer shut down");
    }

    /// The queues this member owns now.
    pub fn assignment(&self) -> Vec<MessageQueue> {
        lock(&self.core.queues).keys().cloned().collect()
    }

    /// Messages and bytes pulled and not yet consumed, over every owned queue (what the flow
    /// limits bound).
    pub fn buffered(&self) -> (usize, usize) {
        let queues: Vec<Arc<ProcessQueue>> = lock(&self.core.queues).values().cloned().collect();
        queues.iter().fold((0, 0), |(n, b), pq| {
            let (count, bytes, _) = pq.load();
            (n + count, b + bytes)
        })
    }

    /// Broadcast messages whose listener failed since start (logged with their ids, not
    /// redelivered, as in RocketMQ).
    pub fn broadcast_failures(&self) -> u64 {
        self.core.broadcast_failures.load(Ordering::Relaxed)
    }
}

impl Drop for PushConsumer {
    fn drop(&mut self) {
        self.core.tasks.signal_shutdown();
        self.core.consume.signal_stop();
        self.core.instance.signal_shutdown();
    }
}
