//! `PushConsumerBuilder`: the push consumer's settings with RocketMQ's defaults, checked by
//! `build`.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU8, AtomicU64};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::sync::Notify;

use super::consume::ConsumeService;
use super::offsets::OffsetStore;
use super::{CREATED, MessageListener, PushConsumer, PushCore, PushOptions};
use crate::client::allocate::{AllocateAveragely, AllocateStrategy};
use crate::client::config::{ClientConfig, ConsumeFrom, PULL_ERROR_BACKOFF_MS_DEFAULT};
use crate::client::error::ClientError;
use crate::client::instance::ClientInstance;
use crate::client::replica::MASTER_DOWN_RETRY_MS;
use crate::client::reset_notice;
use crate::client::route::NameServers;
use crate::client::shutdown::Tasks;
use crate::client::validate::validate_group;
use crate::limits as l;
use crate::protocol::MessageModel;

/// Builds a `PushConsumer`.
#[derive(Debug)]
pub struct PushConsumerBuilder {
    group: Option<String>,
    config: ClientConfig,
    namesrv_error: Option<ClientError>,
    listener: Option<MessageListener>,
    options: PushOptions,
}

fn ms(value: u64) -> Duration {
    Duration::from_millis(value)
}

impl Default for PushConsumerBuilder {
    fn default() -> Self {
        let home = std::env::var_os("HOME").map_or_else(std::env::temp_dir, PathBuf::from);
        PushConsumerBuilder {
            group: None,
            config: ClientConfig::default(),
            namesrv_error: None,
            listener: None,
            options: PushOptions {
                message_model: MessageModel::Clustering,
                consume_from: ConsumeFrom::LastOffset,
                consume_threads: l::CONSUME_THREADS_DEFAULT,
                consume_batch_max: l::CONSUME_BATCH_COUNT_DEFAULT,
                pull_batch_size: l::PULL_BATCH_COUNT_DEFAULT,
                pull_threshold_for_queue: l::PULL_THRESHOLD_FOR_QUEUE_DEFAULT,
                pull_threshold_size_for_queue: l::PULL_THRESHOLD_SIZE_FOR_QUEUE_DEFAULT,
                consume_concurrently_max_span: l::CONSUME_CONCURRENTLY_MAX_SPAN_DEFAULT,
                max_reconsume_times: None,
                suspend_current_queue_time: ms(l::SUSPEND_CURRENT_QUEUE_TIME_MS_DEFAULT),
                consume_timeout: ms(l::CONSUME_TIMEOUT_MS_DEFAULT),
                rebalance_interval: ms(l::REBALANCE_INTERVAL_MS_DEFAULT),
                persist_offset_interval: ms(l::PERSIST_OFFSET_INTERVAL_MS_DEFAULT),
                lock_renew_interval: ms(l::LOCK_RENEW_INTERVAL_MS_DEFAULT),
                lock_max_live: ms(l::LOCK_MAX_LIVE_MS_DEFAULT),
                long_poll: ms(u64::from(l::LONG_POLL_MS_DEFAULT)),
                pull_error_backoff: ms(PULL_ERROR_BACKOFF_MS_DEFAULT),
                master_down_retry: ms(MASTER_DOWN_RETRY_MS),
                send_back_retry_delay: ms(l::SEND_BACK_RETRY_DELAY_MS_DEFAULT),
                await_termination: ms(l::AWAIT_TERMINATION_MS_DEFAULT),
                broadcast_offset_dir: home.join(".ferrocket_offsets"),
                allocate: Arc::new(AllocateAveragely),
            },
        }
    }
}

macro_rules! setters {
    ($($(#[$doc:meta])* $name:ident: $ty:ty;)*) => {
        $(
            $(#[$doc])*
            pub fn $name(mut self, value: $ty) -> Self {
                self.options.$name = value;
                self
            }
        )*
    };
}

impl PushConsumerBuilder {
    /// The consumer group (required).
    pub fn group(mut self, group: impl Into<String>) -> Self {
        self.group = Some(group.into());
        self
    }

    /// Name servers as `"a:9876;b:9876"`.
    pub fn namesrv(mut self, list: &str) -> Self {
        match NameServers::parse(list) {
            Ok(ns) => self.config.name_servers = ns,
            Err(e) => self.namesrv_error = Some(e),
        }
        self
    }

    /// Every client setting at once (name servers, timeouts, intervals).
    pub fn client_config(mut self, config: ClientConfig) -> Self {
        self.config = config;
        self
    }

    /// The listener (required).
    pub fn listener(mut self, listener: MessageListener) -> Self {
        self.listener = Some(listener);
        self
    }

    /// RocketMQ's `consumeThreadMin` (default 20): with RocketMQ's unbounded task queue the
    /// pool never grows past its core size, so ferrocket runs a fixed pool; this sets its
    /// size unless `consume_thread_max` is smaller.
    pub fn consume_thread_min(mut self, threads: usize) -> Self {
        self.options.consume_threads = threads;
        self
    }

    /// RocketMQ's `consumeThreadMax` (default 20): an upper bound of the fixed pool.
    pub fn consume_thread_max(mut self, threads: usize) -> Self {
        self.options.consume_threads = self.options.consume_threads.min(threads.max(1));
        self
    }

    /// Redeliveries before the dead-letter queue (default 16 concurrently, unlimited orderly).
    pub fn max_reconsume_times(mut self, times: u32) -> Self {
        self.options.max_reconsume_times = Some(times);
        self
    }

    /// Folder of the broadcasting offset files (default `~/.ferrocket_offsets`).
    pub fn broadcast_offset_dir(mut self, dir: impl Into<PathBuf>) -> Self {
        self.options.broadcast_offset_dir = dir.into();
        self
    }

    /// How queues are shared in clustering mode (default `AllocateAveragely`).
    pub fn allocate_strategy(mut self, strategy: Arc<dyn AllocateStrategy>) -> Self {
        self.options.allocate = strategy;
        self
    }

    setters! {
        /// Clustering (default) or broadcasting.
        message_model: MessageModel;
        /// Where a queue with no committed offset starts (default `LastOffset`).
        consume_from: ConsumeFrom;
        /// Consume threads, also the bound of async listener calls at once (default 20).
        consume_threads: usize;
        /// Messages per listener call (default 1).
        consume_batch_max: usize;
        /// Messages per pull, 1..=`PULL_BATCH_COUNT_MAX` (default 32).
        pull_batch_size: u32;
        /// Unconsumed messages per queue before its pulls stop (default 1000).
        pull_threshold_for_queue: usize;
        /// Unconsumed bytes per queue before its pulls stop (default 100 MiB).
        pull_threshold_size_for_queue: usize;
        /// Offset span per queue before pulls stop, concurrent listeners (default 2000).
        consume_concurrently_max_span: u64;
        /// Pause of an orderly queue after a suspend (default 1 s).
        suspend_current_queue_time: Duration;
        /// A listener call longer than this is logged as stuck (default 15 min).
        consume_timeout: Duration;
        /// Period of the rebalance (default 20 s; membership notices also trigger one).
        rebalance_interval: Duration;
        /// Period of offset commits (default 5 s).
        persist_offset_interval: Duration;
        /// Period of orderly queue-lock renewals (default 20 s).
        lock_renew_interval: Duration;
        /// A queue lock not renewed for this long is lost (default 30 s).
        lock_max_live: Duration;
        /// How long the broker may hold a pull with no message (default 15 s).
        long_poll: Duration;
        /// Pause after a failed pull (default 1 s).
        pull_error_backoff: Duration;
        /// How long a master that could not be reached is skipped in favour of its slave
        /// (default `MASTER_DOWN_RETRY_MS` = 5 s); after that the master is tried again.
        master_down_retry: Duration;
        /// Pause before a message whose send-back failed is consumed again locally (5 s).
        send_back_retry_delay: Duration;
        /// How long `shutdown` waits for handed-out messages (default 30 s).
        await_termination: Duration;
    }

    /// Checks the settings and builds the consumer (not yet started).
    pub fn build(self) -> Result<PushConsumer, ClientError> {
        if let Some(e) = self.namesrv_error {
            return Err(e);
        }
        let group = self
            .group
            .ok_or_else(|| ClientError::InvalidArgument("consumer group is not set".into()))?;
        validate_group(&group)?;
        self.config.validate()?;
        let listener = self.listener.ok_or_else(|| {
            ClientError::InvalidArgument("no listener: call listener(MessageListener::...)".into())
        })?;
        check_options(&self.options)?;
        let rebalance_now = Arc::new(Notify::new());
        let (reset_tx, reset_rx) = reset_notice::channel();
        let handler = notice_handler(rebalance_now.clone(), group.clone(), reset_tx);
        let instance = ClientInstance::new(self.config, Some(handler));
        instance
            .read_targets
            .set_master_down_retry(self.options.master_down_retry);
        let offsets = OffsetStore::new(&group, &self.options);
        let core = PushCore {
            consume: ConsumeService::new(self.options.consume_threads),
            group,
            instance,
            options: self.options,
            listener,
            state: AtomicU8::new(CREATED),
            subscriptions: Mutex::new(BTreeMap::new()),
            queues: Mutex::new(BTreeMap::new()),
            offsets,
            rebalance_now,
            broadcast_failures: AtomicU64::new(0),
            started_ms: AtomicU64::new(0),
            reset_rx: Mutex::new(Some(reset_rx)),
            tasks: Tasks::new(),
        };
        Ok(PushConsumer {
            core: Arc::new(core),
        })
    }
}

fn check_options(o: &PushOptions) -> Result<(), ClientError> {
    let bad = |s: &str| Err(ClientError::InvalidArgument(s.into()));
    if o.consume_threads == 0 || o.consume_threads > 1000 {
        return bad("consume threads must be 1..=1000");
    }
    if o.consume_batch_max == 0 || o.consume_batch_max > 1024 {
        return bad("consume batch max must be 1..=1024");
    }
    if o.pull_batch_size == 0 || o.pull_batch_size > l::PULL_BATCH_COUNT_MAX {
        return bad("pull batch size must be 1..=PULL_BATCH_COUNT_MAX");
    }
    if o.long_poll > Duration::from_millis(u64::from(l::LONG_POLL_MS_MAX)) {
        return bad("long poll hold is over LONG_POLL_MS_MAX");
    }
    if o.pull_threshold_for_queue == 0 || o.pull_threshold_size_for_queue == 0 {
        return bad("pull thresholds must be > 0");
    }
    let periods = [
        o.rebalance_interval,
        o.persist_offset_interval,
        o.lock_renew_interval,
    ];
    if periods.iter().any(Duration::is_zero) {
        return bad("rebalance, offset-persist and lock-renew intervals must be > 0");
    }
    Ok(())
}

/// Answers a broker's `NotifyConsumerIdsChanged` by waking the rebalance task, and queues its
/// `ResetOffset` notices for the reset task.
fn notice_handler(
    rebalance_now: Arc<Notify>,
    group: String,
    resets: tokio::sync::mpsc::Sender<crate::protocol::ResetOffsetRequest>,
) -> crate::client::RequestHandler {
    Arc::new(move |frame: crate::protocol::RawFrame| {
        if reset_notice::is_reset(&frame) {
            return reset_notice::accept(&frame, &group, &resets);
        }
        let notice = crate::protocol::ApiKey::NotifyConsumerIdsChanged.code();
        if frame.header.api_key == notice {
            tracing::debug!("membership notice: rebalancing");
            rebalance_now.notify_one();
        }
        None
    })
}
