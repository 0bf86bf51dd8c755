//! `PullConsumerBuilder`: the pull consumer's settings with RocketMQ's defaults, checked by
//! `build`.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU8, AtomicUsize};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::sync::Notify;

use super::{CREATED, ConsumerCore, ConsumerOptions, Mode, PullConsumer};
use crate::client::allocate::{AllocateAveragely, AllocateStrategy};
use crate::client::config::{ClientConfig, ConsumeFrom};
use crate::client::error::ClientError;
use crate::client::instance::ClientInstance;
use crate::client::reset_notice;
use crate::client::route::NameServers;
use crate::client::shutdown::Tasks;
use crate::client::validate::validate_group;
use crate::limits::{LONG_POLL_MS_MAX, PULL_BATCH_COUNT_MAX};

/// Builds a `PullConsumer`.
#[derive(Debug, Default)]
pub struct PullConsumerBuilder {
    group: Option<String>,
    config: ClientConfig,
    namesrv_error: Option<ClientError>,
    options: ConsumerOptions,
    allocate: Option<Arc<dyn AllocateStrategy>>,
}

impl PullConsumerBuilder {
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

    /// Whether offsets are committed every `auto_commit_interval` and at shutdown (default on).
    pub fn auto_commit(mut self, on: bool) -> Self {
        self.options.auto_commit = on;
        self
    }

    /// Auto-commit period (default `AUTO_COMMIT_INTERVAL_MS_DEFAULT`).
    pub fn auto_commit_interval(mut self, every: Duration) -> Self {
        self.options.auto_commit_interval = every;
        self
    }

    /// Where a queue with no committed offset starts (default `LastOffset`).
    pub fn consume_from(mut self, from: ConsumeFrom) -> Self {
        self.options.consume_from = from;
        self
    }

    /// Messages asked for per pull, 1..=`PULL_BATCH_COUNT_MAX` (default 32).
    pub fn pull_batch_size(mut self, size: u32) -> Self {
        self.options.pull_batch_size = size;
        self
    }

    /// How long `poll()` waits for messages (default 5 s).
    pub fn poll_timeout(mut self, timeout: Duration) -> Self {
        self.options.poll_timeout = timeout;
        self
    }

    /// How long the broker may hold a pull with no message, ≤ `LONG_POLL_MS_MAX` (default
    /// `LONG_POLL_MS_DEFAULT`).
    pub fn long_poll(mut self, hold: Duration) -> Self {
        self.options.long_poll = hold;
        self
    }

    /// Pause after a failed pull (default `PULL_ERROR_BACKOFF_MS_DEFAULT`).
    pub fn pull_error_backoff(mut self, pause: Duration) -> Self {
        self.options.pull_error_backoff = pause;
        self
    }

    /// How long a master that could not be reached is skipped in favour of its slave (default
    /// `MASTER_DOWN_RETRY_MS` = 5 s); after that the master is tried again.
    pub fn master_down_retry(mut self, pause: Duration) -> Self {
        self.options.master_down_retry = pause;
        self
    }

    /// How the group's queues are shared in subscribe mode (default `AllocateAveragely`).
    pub fn allocate_strategy(mut self, strategy: Arc<dyn AllocateStrategy>) -> Self {
        self.allocate = Some(strategy);
        self
    }

    /// Checks the settings and builds the consumer (not yet started).
    pub fn build(self) -> Result<PullConsumer, ClientError> {
        if let Some(e) = self.namesrv_error {
            return Err(e);
        }
        let group = self
            .group
            .ok_or_else(|| ClientError::InvalidArgument("consumer group is not set".into()))?;
        validate_group(&group)?;
        self.config.validate()?;
        let o = &self.options;
        let bad = |s: &str| Err(ClientError::InvalidArgument(s.into()));
        if o.pull_batch_size == 0 || o.pull_batch_size > PULL_BATCH_COUNT_MAX {
            return bad("pull batch size must be 1..=PULL_BATCH_COUNT_MAX");
        }
        if o.long_poll > Duration::from_millis(u64::from(LONG_POLL_MS_MAX)) {
            return bad("long poll hold is over LONG_POLL_MS_MAX");
        }
        if o.auto_commit_interval.is_zero() {
            return bad("auto-commit interval must be > 0");
        }
        let reassign_now = Arc::new(Notify::new());
        let notice = reassign_now.clone();
        let (reset_tx, reset_rx) = reset_notice::channel();
        let handler_group = group.clone();
        let handler: crate::client::RequestHandler =
            Arc::new(move |frame: crate::protocol::RawFrame| {
                if reset_notice::is_reset(&frame) {
                    return reset_notice::accept(&frame, &handler_group, &reset_tx);
                }
                if frame.header.api_key == crate::protocol::ApiKey::NotifyConsumerIdsChanged.code()
                {
                    notice.notify_one();
                }
                None
            });
        let instance = ClientInstance::new(self.config, Some(handler));
        instance
            .read_targets
            .set_master_down_retry(self.options.master_down_retry);
        let core = ConsumerCore {
            group,
            instance,
            options: self.options,
            state: AtomicU8::new(CREATED),
            mode: Mutex::new(Mode::Unset),
            filters: Mutex::new(BTreeMap::new()),
            queues: Mutex::new(BTreeMap::new()),
            available: Notify::new(),
            poll_cursor: AtomicUsize::new(0),
            tasks: Tasks::new(),
            allocate: self.allocate.unwrap_or_else(|| Arc::new(AllocateAveragely)),
            reassign_now,
            started_ms: std::sync::atomic::AtomicU64::new(0),
            reset_rx: Mutex::new(Some(reset_rx)),
        };
        Ok(PullConsumer {
            core: Arc::new(core),
        })
    }
}
