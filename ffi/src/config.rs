//! `ferrocket_config_t`: string keys and values, checked when set, applied to the Rust
//! builders when a client is created.
//!
//! Only keys that were set are passed on; every default stays in `ferrocket::client` (the
//! bindings hold none, except `client_threads`, which sizes the C handle's own runtime). A key
//! that does not apply to the client being built (a consumer key given to a producer) is
//! ignored, as librdkafka does with its producer and consumer properties. Range rules (a zero
//! timeout, a pull batch over its maximum) are the builders', reported by `_new`.
//! The push consumer's own keys (message model, consume threads…) are in `push`, the
//! consumers' queue allocation keys in `allocate`; a transaction producer reads the producer
//! keys.

mod allocate;
mod push;
mod value;

use std::ffi::c_char;
use std::time::Duration;

use ferrocket::client::{ClientConfig, ProducerBuilder, PullConsumerBuilder, PushConsumerBuilder};
use ferrocket::{ConsumeFrom, Producer, PullConsumer, PushConsumer};

use crate::args::{from_raw, into_raw, mut_arg, str_arg};
use crate::error::{FfiError, ferrocket_status_t, guard, guard_or};

pub use allocate::ALLOCATE_CONFIG_KEYS;
use allocate::AllocateSettings;
pub use push::PUSH_CONFIG_KEYS;
use push::PushSettings;
use value::Value;

/// The shared, producer and pull consumer keys `ferrocket_config_set` accepts, with what they
/// set (the push consumer's own keys are `PUSH_CONFIG_KEYS`, the consumers' allocation keys
/// `ALLOCATE_CONFIG_KEYS`).
pub const CONFIG_KEYS: &[(&str, &str)] = &[
    (
        "group",
        "producer or consumer group, used when _new gets a NULL group",
    ),
    (
        "namesrv",
        "name servers `host:port;host:port`, used when _new gets NULL",
    ),
    (
        "client_threads",
        "worker threads of the handle's runtime (1..=64, default 2)",
    ),
    ("connect_timeout_ms", "TCP connect timeout"),
    (
        "request_timeout_ms",
        "time budget of a metadata, offset or admin request",
    ),
    (
        "route_refresh_interval_ms",
        "how often topic routes are refreshed",
    ),
    ("heartbeat_interval_ms", "how often brokers are heartbeated"),
    (
        "send_timeout_ms",
        "producer: time budget of one send across retries",
    ),
    (
        "retries",
        "producer: retries of a failed send on another broker",
    ),
    (
        "latency_fault_tolerance",
        "producer: avoid slow or failed brokers (true/false)",
    ),
    (
        "max_outstanding_async",
        "producer: async sends in flight before send_async waits",
    ),
    (
        "auto_create_queue_count",
        "producer: queues of a topic auto-created by a send",
    ),
    (
        "compress_body_over",
        "producer: bodies of at least this many bytes are sent LZ4-compressed (default 4096; \
         `off` never compresses)",
    ),
    (
        "timer_max_delay_ms",
        "producer: how far ahead a delivery time may be (>= 1, default 3 days; at most the \
         broker's timer_max_delay_ms)",
    ),
    (
        "auto_commit",
        "pull consumer: commit offsets periodically and at shutdown (true/false)",
    ),
    (
        "auto_commit_interval_ms",
        "pull consumer: auto-commit period",
    ),
    (
        "consume_from",
        "consumers: last_offset, first_offset or timestamp (for a new group)",
    ),
    (
        "consume_timestamp_ms",
        "consumers: start time for consume_from=timestamp (ms since epoch)",
    ),
    ("pull_batch_size", "consumers: messages asked for per pull"),
    (
        "poll_timeout_ms",
        "pull consumer: wait of a poll given a negative timeout",
    ),
    (
        "long_poll_ms",
        "consumers: how long the broker may hold an empty pull",
    ),
    (
        "pull_error_backoff_ms",
        "consumers: pause after a failed pull",
    ),
];

/// Where a new consumer group starts, as set by `consume_from`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConsumeFromSetting {
    /// `last_offset`.
    LastOffset,
    /// `first_offset`.
    FirstOffset,
    /// `timestamp` (with `consume_timestamp_ms`).
    Timestamp,
}

/// The settings of a config object: only what was set.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Settings {
    group: Option<String>,
    namesrv: Option<String>,
    client_threads: Option<usize>,
    connect_timeout_ms: Option<u64>,
    request_timeout_ms: Option<u64>,
    route_refresh_interval_ms: Option<u64>,
    heartbeat_interval_ms: Option<u64>,
    send_timeout_ms: Option<u64>,
    retries: Option<u32>,
    latency_fault_tolerance: Option<bool>,
    max_outstanding_async: Option<usize>,
    auto_create_queue_count: Option<u16>,
    compress_body_over: Option<usize>,
    timer_max_delay_ms: Option<u64>,
    auto_commit: Option<bool>,
    auto_commit_interval_ms: Option<u64>,
    consume_from: Option<ConsumeFromSetting>,
    consume_timestamp_ms: Option<u64>,
    pull_batch_size: Option<u32>,
    poll_timeout_ms: Option<u64>,
    long_poll_ms: Option<u64>,
    pull_error_backoff_ms: Option<u64>,
    push: PushSettings,
    allocate: AllocateSettings,
}

impl Settings {
    /// Sets `key` to `value`, checking that the key exists and the value parses.
    pub fn set(&mut self, key: &str, value: &str) -> Result<(), FfiError> {
        let v = Value { key, value };
        match key {
            "group" => self.group = Some(v.text()?),
            "namesrv" => self.namesrv = Some(v.text()?),
            "client_threads" => self.client_threads = Some(v.threads()?),
            "connect_timeout_ms" => self.connect_timeout_ms = Some(v.number()?),
            "request_timeout_ms" => self.request_timeout_ms = Some(v.number()?),
            "route_refresh_interval_ms" => self.route_refresh_interval_ms = Some(v.number()?),
            "heartbeat_interval_ms" => self.heartbeat_interval_ms = Some(v.number()?),
            "send_timeout_ms" => self.send_timeout_ms = Some(v.number()?),
            "retries" => self.retries = Some(v.number()?),
            "latency_fault_tolerance" => self.latency_fault_tolerance = Some(v.boolean()?),
            "max_outstanding_async" => self.max_outstanding_async = Some(v.number()?),
            "auto_create_queue_count" => self.auto_create_queue_count = Some(v.number()?),
            "compress_body_over" => self.compress_body_over = Some(v.bytes_or_off()?),
            "timer_max_delay_ms" => self.timer_max_delay_ms = Some(v.positive()?),
            "auto_commit" => self.auto_commit = Some(v.boolean()?),
            "auto_commit_interval_ms" => self.auto_commit_interval_ms = Some(v.number()?),
            "consume_from" => self.consume_from = Some(v.consume_from()?),
            "consume_timestamp_ms" => self.consume_timestamp_ms = Some(v.number()?),
            "pull_batch_size" => self.pull_batch_size = Some(v.number()?),
            "poll_timeout_ms" => self.poll_timeout_ms = Some(v.number()?),
            "long_poll_ms" => self.long_poll_ms = Some(v.number()?),
            "pull_error_backoff_ms" => self.pull_error_backoff_ms = Some(v.number()?),
            _ if self.push.set(&v)? || self.allocate.set(&v)? => {}
            _ => {
                let known: Vec<&str> = CONFIG_KEYS
                    .iter()
                    .chain(PUSH_CONFIG_KEYS)
                    .chain(ALLOCATE_CONFIG_KEYS)
                    .map(|(k, _)| *k)
                    .collect();
                return Err(FfiError::invalid(format!(
                    "unknown config key `{}`; known keys: {}",
                    key.escape_debug(),
                    known.join(", ")
                )));
            }
        }
        Ok(())
    }

    /// The group: the `_new` argument, else the `group` key.
    pub fn group(&self, arg: Option<&str>) -> Result<String, FfiError> {
        arg.map(str::to_owned)
            .or_else(|| self.group.clone())
            .ok_or_else(|| FfiError::invalid("group is NULL and config key `group` is not set"))
    }

    /// The name servers: the `_new` argument, else the `namesrv` key.
    pub fn namesrv(&self, arg: Option<&str>) -> Result<String, FfiError> {
        arg.map(str::to_owned)
            .or_else(|| self.namesrv.clone())
            .ok_or_else(|| FfiError::invalid("namesrv is NULL and config key `namesrv` is not set"))
    }

    /// Worker threads of the handle's runtime.
    pub fn client_threads(&self) -> Option<usize> {
        self.client_threads
    }

    fn client_config(&self) -> ClientConfig {
        let mut c = ClientConfig::default();
        set_ms(&mut c.connect_timeout, self.connect_timeout_ms);
        set_ms(&mut c.request_timeout, self.request_timeout_ms);
        set_ms(
            &mut c.route_refresh_interval,
            self.route_refresh_interval_ms,
        );
        set_ms(&mut c.heartbeat_interval, self.heartbeat_interval_ms);
        c
    }

    /// A producer builder with every key that was set.
    pub fn producer(&self, group: String, namesrv: &str) -> ProducerBuilder {
        let mut b = Producer::builder()
            .client_config(self.client_config())
            .namesrv(namesrv)
            .group(group);
        if let Some(ms) = self.send_timeout_ms {
            b = b.send_timeout(Duration::from_millis(ms));
        }
        if let Some(n) = self.retries {
            b = b.retries(n);
        }
        if let Some(on) = self.latency_fault_tolerance {
            b = b.latency_fault_tolerance(on);
        }
        if let Some(n) = self.max_outstanding_async {
            b = b.max_outstanding_async(n);
        }
        if let Some(n) = self.auto_create_queue_count {
            b = b.auto_create_queue_count(n);
        }
        if let Some(n) = self.compress_body_over {
            b = b.compress_body_over(n);
        }
        if let Some(ms) = self.timer_max_delay_ms {
            b = b.timer_max_delay(Duration::from_millis(ms));
        }
        b
    }

    /// A pull consumer builder with every key that was set.
    pub fn pull_consumer(
        &self,
        group: String,
        namesrv: &str,
    ) -> Result<PullConsumerBuilder, FfiError> {
        let mut b = PullConsumer::builder()
            .client_config(self.client_config())
            .namesrv(namesrv)
            .group(group);
        if let Some(on) = self.auto_commit {
            b = b.auto_commit(on);
        }
        let ms = Duration::from_millis;
        if let Some(v) = self.auto_commit_interval_ms {
            b = b.auto_commit_interval(ms(v));
        }
        if let Some(from) = self.consume_from_value()? {
            b = b.consume_from(from);
        }
        if let Some(n) = self.pull_batch_size {
            b = b.pull_batch_size(n);
        }
        if let Some(v) = self.poll_timeout_ms {
            b = b.poll_timeout(ms(v));
        }
        if let Some(v) = self.long_poll_ms {
            b = b.long_poll(ms(v));
        }
        if let Some(v) = self.pull_error_backoff_ms {
            b = b.pull_error_backoff(ms(v));
        }
        if let Some(strategy) = self.allocate.strategy()? {
            b = b.allocate_strategy(strategy);
        }
        Ok(b)
    }

    /// A push consumer builder with every key that was set (the listener is the caller's).
    pub fn push_consumer(
        &self,
        group: String,
        namesrv: &str,
    ) -> Result<PushConsumerBuilder, FfiError> {
        let mut b = PushConsumer::builder()
            .client_config(self.client_config())
            .namesrv(namesrv)
            .group(group);
        if let Some(from) = self.consume_from_value()? {
            b = b.consume_from(from);
        }
        if let Some(n) = self.pull_batch_size {
            b = b.pull_batch_size(n);
        }
        let ms = Duration::from_millis;
        if let Some(v) = self.long_poll_ms {
            b = b.long_poll(ms(v));
        }
        if let Some(v) = self.pull_error_backoff_ms {
            b = b.pull_error_backoff(ms(v));
        }
        if let Some(strategy) = self.allocate.strategy()? {
            b = b.allocate_strategy(strategy);
        }
        Ok(self.push.apply(b))
    }

    fn consume_from_value(&self) -> Result<Option<ConsumeFrom>, FfiError> {
        Ok(match self.consume_from {
            None => None,
            Some(ConsumeFromSetting::LastOffset) => Some(ConsumeFrom::LastOffset),
            Some(ConsumeFromSetting::FirstOffset) => Some(ConsumeFrom::FirstOffset),
            Some(ConsumeFromSetting::Timestamp) => match self.consume_timestamp_ms {
                Some(ms) => Some(ConsumeFrom::Timestamp(ms)),
                None => {
                    return Err(FfiError::invalid(
                        "config key `consume_from` is `timestamp` but `consume_timestamp_ms` \
                         is not set",
                    ));
                }
            },
        })
    }
}

fn set_ms(field: &mut Duration, ms: Option<u64>) {
    if let Some(ms) = ms {
        *field = Duration::from_millis(ms);
    }
}

/// A client configuration: string keys and values, each checked when set.
#[derive(Debug, Default)]
pub struct ferrocket_config_t {
    pub(crate) settings: Settings,
}

/// Creates an empty configuration (every key at the client's default). Never returns NULL
/// unless out of memory.
///
/// Ownership: the caller owns the result and frees it with `ferrocket_config_destroy`. A
/// `_new` function that takes it copies it, so it may be destroyed right after. Threads: a
/// config object is not synchronised; use one from one thread at a time. Blocks: never.
#[unsafe(no_mangle)]
pub extern "C" fn ferrocket_config_new() -> *mut ferrocket_config_t {
    guard_or("ferrocket_config_new", std::ptr::null_mut(), || {
        Ok(into_raw(ferrocket_config_t::default()))
    })
}

/// Sets `key` to `value` (both strings). Keys: `group`, `namesrv`, `client_threads`,
/// `connect_timeout_ms`, `request_timeout_ms`, `route_refresh_interval_ms`,
/// `heartbeat_interval_ms`; producer: `send_timeout_ms`, `retries`, `latency_fault_tolerance`,
/// `max_outstanding_async`, `auto_create_queue_count`, `compress_body_over` (bytes, or `off`),
/// `timer_max_delay_ms`; pull consumer: `auto_commit`,
/// `auto_commit_interval_ms`, `consume_from` (`last_offset` | `first_offset` | `timestamp`),
/// `consume_timestamp_ms`, `pull_batch_size`, `poll_timeout_ms`, `long_poll_ms`,
/// `pull_error_backoff_ms`; push consumer: `message_model` (`clustering` | `broadcasting`),
/// `consume_thread_min`, `consume_thread_max`, `consume_batch_max`, `max_reconsume_times`,
/// `suspend_current_queue_time_ms`, `pull_threshold_for_queue`,
/// `pull_threshold_size_for_queue`, `consume_concurrently_max_span`, `consume_timeout_ms`,
/// `rebalance_interval_ms`, `persist_offset_interval_ms`, `lock_renew_interval_ms`,
/// `lock_max_live_ms`, `send_back_retry_delay_ms`, `await_termination_ms`,
/// `broadcast_offset_dir`, and `consume_from`, `consume_timestamp_ms`, `pull_batch_size`,
/// `long_poll_ms`, `pull_error_backoff_ms` as for the pull consumer; both consumers:
/// `allocate_strategy` (`averagely` | `averagely_by_circle` | `consistent_hash` | `config` |
/// `machine_room_nearby`), `allocate_virtual_nodes` (consistent_hash), `allocate_queues`
/// (config: `topic@broker#queue_id,...`), `allocate_machine_room_inner`,
/// `broker_machine_rooms` (`room=broker,broker;room=broker`) and `consumer_machine_rooms`
/// (`room=prefix,prefix;...`, prefixes of the client id `ip@pid#...`) for
/// machine_room_nearby; a strategy missing its companion key is refused by `_new`. Booleans
/// are `true`/`false`; durations are milliseconds.
///
/// Returns `FERROCKET_ERR_INVALID_ARGUMENT` for a NULL argument, an unknown key or a value
/// that does not parse; the last error names the key and the value.
///
/// Ownership: the strings are copied. Threads: one thread at a time per config. Blocks: never.
///
/// # Safety
/// `conf` is NULL or a live config; `key` and `value` are NULL or NUL-terminated strings.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ferrocket_config_set(
    conf: *mut ferrocket_config_t,
    key: *const c_char,
    value: *const c_char,
) -> ferrocket_status_t {
    guard("ferrocket_config_set", || {
        // SAFETY: the header contract: NULL or a live config used by this thread only.
        let conf = unsafe { mut_arg(conf, "conf") }?;
        // SAFETY: the header contract: NULL or NUL-terminated strings.
        let (key, value) = unsafe { (str_arg(key, "key")?, str_arg(value, "value")?) };
        conf.settings.set(key, value)
    })
}

/// Frees a configuration. NULL is a no-op.
///
/// Threads: not while another thread uses `conf`. Blocks: never.
///
/// # Safety
/// `conf` is NULL or a config from `ferrocket_config_new` not yet destroyed.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ferrocket_config_destroy(conf: *mut ferrocket_config_t) {
    let _ = guard("ferrocket_config_destroy", || {
        // SAFETY: the header contract: NULL or a config not yet destroyed.
        drop(unsafe { from_raw(conf) });
        Ok(())
    });
}

#[cfg(test)]
mod tests;
