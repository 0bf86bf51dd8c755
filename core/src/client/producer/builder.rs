//! `ProducerBuilder`: the producer's settings with RocketMQ's defaults, checked by `build`.

use std::sync::atomic::{AtomicU8, AtomicUsize};
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use tokio::sync::Semaphore;

use super::{CREATED, Producer};
use crate::client::config::{ASYNC_SEND_OUTSTANDING_MAX_DEFAULT, ClientConfig};
use crate::client::connection::RequestHandler;
use crate::client::error::ClientError;
use crate::client::fault::LatencyFaultTolerance;
use crate::client::instance::ClientInstance;
use crate::client::route::NameServers;
use crate::client::send::ProducerCore;
use crate::client::shutdown::Tasks;
use crate::client::validate::validate_group;
use crate::limits::{
    AUTO_CREATE_QUEUE_COUNT_DEFAULT, COMPRESS_BODY_OVER_BYTES_DEFAULT, SEND_RETRIES_DEFAULT,
    SEND_TIMEOUT_MS_DEFAULT, TIMER_MAX_DELAY_MS_DEFAULT,
};

/// Builds a `Producer`.
#[derive(Debug)]
pub struct ProducerBuilder {
    group: Option<String>,
    config: ClientConfig,
    namesrv_error: Option<ClientError>,
    send_timeout: Duration,
    retries: u32,
    latency_fault_tolerance: bool,
    async_outstanding_max: usize,
    auto_create_queue_count: u16,
    compress_over: usize,
    timer_max_delay: Duration,
}

impl Default for ProducerBuilder {
    fn default() -> ProducerBuilder {
        ProducerBuilder {
            group: None,
            config: ClientConfig::default(),
            namesrv_error: None,
            send_timeout: Duration::from_millis(SEND_TIMEOUT_MS_DEFAULT),
            retries: SEND_RETRIES_DEFAULT,
            latency_fault_tolerance: true,
            async_outstanding_max: ASYNC_SEND_OUTSTANDING_MAX_DEFAULT,
            auto_create_queue_count: AUTO_CREATE_QUEUE_COUNT_DEFAULT,
            compress_over: COMPRESS_BODY_OVER_BYTES_DEFAULT,
            timer_max_delay: Duration::from_millis(TIMER_MAX_DELAY_MS_DEFAULT),
        }
    }
}

impl ProducerBuilder {
    /// The producer group (required).
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

    /// Name servers as separate `host:port` strings.
    pub fn name_servers(mut self, addrs: Vec<String>) -> Self {
        match NameServers::from_vec(addrs) {
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

    /// Total time budget of one send across retries (default `SEND_TIMEOUT_MS_DEFAULT`).
    pub fn send_timeout(mut self, timeout: Duration) -> Self {
        self.send_timeout = timeout;
        self
    }

    /// Retries of a failed send on another broker (default `SEND_RETRIES_DEFAULT`).
    pub fn retries(mut self, retries: u32) -> Self {
        self.retries = retries;
        self
    }

    /// Whether slow or failed brokers are avoided for a while (default on).
    pub fn latency_fault_tolerance(mut self, enabled: bool) -> Self {
        self.latency_fault_tolerance = enabled;
        self
    }

    /// Async sends outstanding at once before `send_async` waits (default 10 000).
    pub fn max_outstanding_async(mut self, max: usize) -> Self {
        self.async_outstanding_max = max;
        self
    }

    /// Queues of a topic auto-created by a send (default `AUTO_CREATE_QUEUE_COUNT_DEFAULT`).
    pub fn auto_create_queue_count(mut self, count: u16) -> Self {
        self.auto_create_queue_count = count;
        self
    }

    /// Single-send bodies of at least this many bytes are compressed with LZ4 (default
    /// `COMPRESS_BODY_OVER_BYTES_DEFAULT`, 4 KiB); `usize::MAX` turns compression off.
    pub fn compress_body_over(mut self, bytes: usize) -> Self {
        self.compress_over = bytes;
        self
    }

    /// How far ahead a message's delivery time may be (default
    /// `TIMER_MAX_DELAY_MS_DEFAULT`, 3 days; keep it at most the broker's `timer_max_delay_ms`).
    pub fn timer_max_delay(mut self, delay: Duration) -> Self {
        self.timer_max_delay = delay;
        self
    }

    /// Checks the settings and builds the producer (not yet started).
    pub fn build(self) -> Result<Producer, ClientError> {
        self.build_with_handler(None)
    }

    /// `build`, with a handler for requests the brokers send this producer (transaction
    /// check-backs).
    pub(crate) fn build_with_handler(
        self,
        handler: Option<RequestHandler>,
    ) -> Result<Producer, ClientError> {
        if let Some(e) = self.namesrv_error {
            return Err(e);
        }
        let group = self
            .group
            .ok_or_else(|| ClientError::InvalidArgument("producer group is not set".into()))?;
        validate_group(&group)?;
        self.config.validate()?;
        if self.send_timeout.is_zero() || self.async_outstanding_max == 0 {
            return Err(ClientError::InvalidArgument(
                "send timeout and max outstanding async sends must be > 0".into(),
            ));
        }
        let core = ProducerCore {
            group,
            instance: ClientInstance::new(self.config, handler),
            send_timeout: self.send_timeout,
            retries: self.retries,
            faults: LatencyFaultTolerance::new(self.latency_fault_tolerance),
            round_robin: AtomicUsize::new(0),
            auto_create_queue_count: self.auto_create_queue_count,
            ids: OnceLock::new(),
            compress_over: self.compress_over,
            timer_max_delay_ms: u64::try_from(self.timer_max_delay.as_millis()).unwrap_or(u64::MAX),
        };
        Ok(Producer {
            core: Arc::new(core),
            state: AtomicU8::new(CREATED),
            async_permits: Arc::new(Semaphore::new(self.async_outstanding_max)),
            tasks: Tasks::new(),
        })
    }
}
