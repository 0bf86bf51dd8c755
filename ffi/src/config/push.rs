//! The push consumer's config keys (RocketMQ's `DefaultMQPushConsumer` settings), kept apart
//! from the keys every client shares. Only keys that were set reach the builder; defaults and
//! range rules are `PushConsumerBuilder`'s (reported by `ferrocket_push_consumer_new`).

use std::path::PathBuf;
use std::time::Duration;

use ferrocket::client::PushConsumerBuilder;
use ferrocket::protocol::MessageModel;

use super::value::Value;
use crate::error::FfiError;

/// Every push-consumer-only key, with what it sets. The push consumer also reads the shared
/// keys and `consume_from`, `consume_timestamp_ms`, `pull_batch_size`, `long_poll_ms` and
/// `pull_error_backoff_ms`.
pub const PUSH_CONFIG_KEYS: &[(&str, &str)] = &[
    (
        "message_model",
        "push consumer: clustering (default) or broadcasting",
    ),
    (
        "consume_thread_min",
        "push consumer: consume threads (default 20)",
    ),
    (
        "consume_thread_max",
        "push consumer: upper bound of the consume threads",
    ),
    (
        "consume_batch_max",
        "push consumer: messages per listener call (default 1)",
    ),
    (
        "max_reconsume_times",
        "push consumer: redeliveries before the dead-letter queue",
    ),
    (
        "suspend_current_queue_time_ms",
        "push consumer: orderly queue pause after a suspend",
    ),
    (
        "pull_threshold_for_queue",
        "push consumer: unconsumed messages per queue before pulls stop",
    ),
    (
        "pull_threshold_size_for_queue",
        "push consumer: unconsumed bytes per queue before pulls stop",
    ),
    (
        "consume_concurrently_max_span",
        "push consumer: offset span per queue before pulls stop",
    ),
    (
        "consume_timeout_ms",
        "push consumer: a listener call longer than this is logged",
    ),
    (
        "rebalance_interval_ms",
        "push consumer: period of the rebalance",
    ),
    (
        "persist_offset_interval_ms",
        "push consumer: period of offset commits",
    ),
    (
        "lock_renew_interval_ms",
        "push consumer: period of orderly queue-lock renewals",
    ),
    (
        "lock_max_live_ms",
        "push consumer: a queue lock not renewed for this long is lost",
    ),
    (
        "send_back_retry_delay_ms",
        "push consumer: pause before a failed send-back is consumed again",
    ),
    (
        "await_termination_ms",
        "push consumer: how long shutdown lets handed-out messages finish",
    ),
    (
        "broadcast_offset_dir",
        "push consumer: folder of broadcasting offset files",
    ),
];

/// The push consumer settings that were set.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PushSettings {
    message_model: Option<MessageModelSetting>,
    consume_thread_min: Option<usize>,
    consume_thread_max: Option<usize>,
    consume_batch_max: Option<usize>,
    max_reconsume_times: Option<u32>,
    suspend_current_queue_time_ms: Option<u64>,
    pull_threshold_for_queue: Option<usize>,
    pull_threshold_size_for_queue: Option<usize>,
    consume_concurrently_max_span: Option<u64>,
    consume_timeout_ms: Option<u64>,
    rebalance_interval_ms: Option<u64>,
    persist_offset_interval_ms: Option<u64>,
    lock_renew_interval_ms: Option<u64>,
    lock_max_live_ms: Option<u64>,
    send_back_retry_delay_ms: Option<u64>,
    await_termination_ms: Option<u64>,
    broadcast_offset_dir: Option<String>,
}

/// `message_model`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum MessageModelSetting {
    Clustering,
    Broadcasting,
}

impl PushSettings {
    /// Sets a push key; `Ok(false)` when `v.key` is not one.
    pub(crate) fn set(&mut self, v: &Value<'_>) -> Result<bool, FfiError> {
        match v.key {
            "message_model" => self.message_model = Some(message_model(v)?),
            "consume_thread_min" => self.consume_thread_min = Some(v.number()?),
            "consume_thread_max" => self.consume_thread_max = Some(v.number()?),
            "consume_batch_max" => self.consume_batch_max = Some(v.number()?),
            "max_reconsume_times" => self.max_reconsume_times = Some(v.number()?),
            "suspend_current_queue_time_ms" => {
                self.suspend_current_queue_time_ms = Some(v.number()?)
            }
            "pull_threshold_for_queue" => self.pull_threshold_for_queue = Some(v.number()?),
            "pull_threshold_size_for_queue" => {
                self.pull_threshold_size_for_queue = Some(v.number()?)
            }
            "consume_concurrently_max_span" => {
                self.consume_concurrently_max_span = Some(v.number()?)
            }
            "consume_timeout_ms" => self.consume_timeout_ms = Some(v.number()?),
            "rebalance_interval_ms" => self.rebalance_interval_ms = Some(v.number()?),
            "persist_offset_interval_ms" => self.persist_offset_interval_ms = Some(v.number()?),
            "lock_renew_interval_ms" => self.lock_renew_interval_ms = Some(v.number()?),
            "lock_max_live_ms" => self.lock_max_live_ms = Some(v.number()?),
            "send_back_retry_delay_ms" => self.send_back_retry_delay_ms = Some(v.number()?),
            "await_termination_ms" => self.await_termination_ms = Some(v.number()?),
            "broadcast_offset_dir" => self.broadcast_offset_dir = Some(v.text()?),
            _ => return Ok(false),
        }
        Ok(true)
    }

    /// Applies every push key that was set to `b`.
    pub(crate) fn apply(&self, b: PushConsumerBuilder) -> PushConsumerBuilder {
        self.apply_durations(self.apply_counts(self.apply_choices(b)))
    }

    fn apply_choices(&self, mut b: PushConsumerBuilder) -> PushConsumerBuilder {
        if let Some(m) = self.message_model {
            b = b.message_model(match m {
                MessageModelSetting::Clustering => MessageModel::Clustering,
                MessageModelSetting::Broadcasting => MessageModel::Broadcasting,
            });
        }
        if let Some(dir) = &self.broadcast_offset_dir {
            b = b.broadcast_offset_dir(PathBuf::from(dir));
        }
        b
    }

    fn apply_counts(&self, mut b: PushConsumerBuilder) -> PushConsumerBuilder {
        // min first: the builder's max only lowers what min set.
        if let Some(n) = self.consume_thread_min {
            b = b.consume_thread_min(n);
        }
        if let Some(n) = self.consume_thread_max {
            b = b.consume_thread_max(n);
        }
        if let Some(n) = self.consume_batch_max {
            b = b.consume_batch_max(n);
        }
        if let Some(n) = self.max_reconsume_times {
            b = b.max_reconsume_times(n);
        }
        if let Some(n) = self.pull_threshold_for_queue {
            b = b.pull_threshold_for_queue(n);
        }
        if let Some(n) = self.pull_threshold_size_for_queue {
            b = b.pull_threshold_size_for_queue(n);
        }
        if let Some(n) = self.consume_concurrently_max_span {
            b = b.consume_concurrently_max_span(n);
        }
        b
    }

    fn apply_durations(&self, mut b: PushConsumerBuilder) -> PushConsumerBuilder {
        type Setter = fn(PushConsumerBuilder, Duration) -> PushConsumerBuilder;
        let durations: [(Option<u64>, Setter); 8] = [
            (
                self.suspend_current_queue_time_ms,
                PushConsumerBuilder::suspend_current_queue_time,
            ),
            (
                self.consume_timeout_ms,
                PushConsumerBuilder::consume_timeout,
            ),
            (
                self.rebalance_interval_ms,
                PushConsumerBuilder::rebalance_interval,
            ),
            (
                self.persist_offset_interval_ms,
                PushConsumerBuilder::persist_offset_interval,
            ),
            (
                self.lock_renew_interval_ms,
                PushConsumerBuilder::lock_renew_interval,
            ),
            (self.lock_max_live_ms, PushConsumerBuilder::lock_max_live),
            (
                self.send_back_retry_delay_ms,
                PushConsumerBuilder::send_back_retry_delay,
            ),
            (
                self.await_termination_ms,
                PushConsumerBuilder::await_termination,
            ),
        ];
        for (value, set) in durations {
            if let Some(v) = value {
                b = set(b, Duration::from_millis(v));
            }
        }
        b
    }
}

/// `clustering` or `broadcasting` (any case; RocketMQ's `CLUSTERING` / `BROADCASTING`).
fn message_model(v: &Value<'_>) -> Result<MessageModelSetting, FfiError> {
    match v.value.trim().to_ascii_lowercase().as_str() {
        "clustering" => Ok(MessageModelSetting::Clustering),
        "broadcasting" => Ok(MessageModelSetting::Broadcasting),
        _ => Err(v.bad("clustering or broadcasting")),
    }
}
