//! The options objects of the constructors (RocketMQ's settings, camelCased, durations in
//! milliseconds) and their conversion to the client's builders. Unknown keys are refused with
//! `INVALID_ARGUMENT` naming the key, so a typo never silently falls back to a default.

use std::time::Duration;

use ferrocket::client::{ClientConfig, ConsumeFrom, NameServers};
use ferrocket::protocol::MessageModel;
use ferrocket::{Producer, PullConsumer};
use napi::Env;
use napi::bindgen_prelude::{BigInt, Either, FromNapiValue, JsValue, Object};
use napi_derive::napi;

use crate::error::{invalid, invalid_from, to_js};
use crate::message::u64_of;

/// The name server used when `nameServer` is not given.
const NAME_SERVER_DEFAULT: &str = "127.0.0.1:9876";

/// Settings every client shares.
const CLIENT_KEYS: &[&str] = &[
    "group",
    "nameServer",
    "connectTimeoutMs",
    "requestTimeoutMs",
    "heartbeatIntervalMs",
    "routeRefreshIntervalMs",
];

/// Settings of a `Producer` (and of a `TransactionProducer`, with `check`).
#[napi(object, object_to_js = false)]
pub struct ProducerOptions {
    /// The producer group (required).
    pub group: String,
    /// Name servers, `host:port` joined by `;` (default `127.0.0.1:9876`).
    pub name_server: Option<String>,
    /// Time budget of one send across retries (default 3000).
    pub send_timeout_ms: Option<u32>,
    /// Retries of a failed send on another broker (default 2).
    pub retry_times: Option<u32>,
    /// Bodies of at least this many bytes are LZ4-compressed (default 4096).
    pub compress_body_over_bytes: Option<u32>,
    /// Avoid slow or failed brokers for a while (default true).
    pub latency_fault_tolerance: Option<bool>,
    /// Queues of a topic created by a send (default 4).
    pub auto_create_queue_count: Option<u32>,
    /// Timeout of one TCP connect (default 3000).
    pub connect_timeout_ms: Option<u32>,
    /// Time budget of one metadata or admin request (default 3000).
    pub request_timeout_ms: Option<u32>,
    /// Heartbeat period (default 30000).
    pub heartbeat_interval_ms: Option<u32>,
    /// Route refresh period (default 30000).
    pub route_refresh_interval_ms: Option<u32>,
}

const PRODUCER_KEYS: &[&str] = &[
    "sendTimeoutMs",
    "retryTimes",
    "compressBodyOverBytes",
    "latencyFaultTolerance",
    "autoCreateQueueCount",
];

/// Settings of a `PushConsumer`.
#[napi(object, object_to_js = false)]
pub struct PushConsumerOptions {
    /// The consumer group (required).
    pub group: String,
    /// Name servers, `host:port` joined by `;` (default `127.0.0.1:9876`).
    pub name_server: Option<String>,
    /// One queue's messages one call at a time, in order (default false).
    pub orderly: Option<bool>,
    /// `clustering` shares the queues among the group (default); `broadcasting` gives each
    /// member every message.
    #[napi(ts_type = "'clustering' | 'broadcasting'")]
    pub model: Option<String>,
    /// Where a queue with no committed offset starts (default `lastOffset`).
    #[napi(ts_type = "'lastOffset' | 'firstOffset' | 'timestamp'")]
    pub consume_from: Option<String>,
    /// For `consumeFrom: 'timestamp'`: milliseconds since the Unix epoch.
    #[napi(ts_type = "number | bigint")]
    pub consume_timestamp: Option<Either<f64, BigInt>>,
    /// Listener calls in flight at once (RocketMQ's consume threads; default 20).
    pub consume_threads: Option<u32>,
    /// Messages per listener call (default 1).
    pub consume_message_batch_max_size: Option<u32>,
    /// Messages per pull (default 32).
    pub pull_batch_size: Option<u32>,
    /// Unconsumed messages per queue before its pulls stop (default 1000).
    pub pull_threshold_for_queue: Option<u32>,
    /// Unconsumed bytes per queue before its pulls stop (default 100 MiB).
    pub pull_threshold_size_for_queue: Option<u32>,
    /// Offset span per queue before pulls stop, concurrent listeners (default 2000).
    pub consume_concurrently_max_span: Option<u32>,
    /// Redeliveries before the dead-letter queue (default 16; orderly unlimited).
    pub max_reconsume_times: Option<u32>,
    /// Pause of an orderly queue after `Suspend` (default 1000).
    pub suspend_current_queue_time_ms: Option<u32>,
    /// Rebalance period (default 20000).
    pub rebalance_interval_ms: Option<u32>,
    /// Offset commit period (default 5000).
    pub persist_offset_interval_ms: Option<u32>,
    /// How long the broker may hold an empty pull (default 15000).
    pub long_poll_ms: Option<u32>,
    /// How long `shutdown()` waits for listener calls in flight (default 30000).
    pub await_termination_ms: Option<u32>,
    /// Folder of broadcasting offset files (default `~/.ferrocket_offsets`).
    pub broadcast_offset_dir: Option<String>,
    /// Timeout of one TCP connect (default 3000).
    pub connect_timeout_ms: Option<u32>,
    /// Time budget of one metadata or offset request (default 3000).
    pub request_timeout_ms: Option<u32>,
    /// Heartbeat period (default 30000).
    pub heartbeat_interval_ms: Option<u32>,
    /// Route refresh period (default 30000).
    pub route_refresh_interval_ms: Option<u32>,
}

const PUSH_KEYS: &[&str] = &[
    "orderly",
    "model",
    "consumeFrom",
    "consumeTimestamp",
    "consumeThreads",
    "consumeMessageBatchMaxSize",
    "pullBatchSize",
    "pullThresholdForQueue",
    "pullThresholdSizeForQueue",
    "consumeConcurrentlyMaxSpan",
    "maxReconsumeTimes",
    "suspendCurrentQueueTimeMs",
    "rebalanceIntervalMs",
    "persistOffsetIntervalMs",
    "longPollMs",
    "awaitTerminationMs",
    "broadcastOffsetDir",
];

/// Settings of a `PullConsumer`.
#[napi(object, object_to_js = false)]
pub struct PullConsumerOptions {
    /// The consumer group (required).
    pub group: String,
    /// Name servers, `host:port` joined by `;` (default `127.0.0.1:9876`).
    pub name_server: Option<String>,
    /// Where a queue with no committed offset starts (default `lastOffset`).
    #[napi(ts_type = "'lastOffset' | 'firstOffset' | 'timestamp'")]
    pub consume_from: Option<String>,
    /// For `consumeFrom: 'timestamp'`: milliseconds since the Unix epoch.
    #[napi(ts_type = "number | bigint")]
    pub consume_timestamp: Option<Either<f64, BigInt>>,
    /// Commit what `poll` returned every `autoCommitIntervalMs` and at shutdown (default true).
    pub auto_commit: Option<bool>,
    /// Auto-commit period (default 5000).
    pub auto_commit_interval_ms: Option<u32>,
    /// Messages per pull (default 32).
    pub pull_batch_size: Option<u32>,
    /// How long `poll()` without an argument waits (default 5000).
    pub poll_timeout_ms: Option<u32>,
    /// How long the broker may hold an empty pull (default 15000).
    pub long_poll_ms: Option<u32>,
    /// Timeout of one TCP connect (default 3000).
    pub connect_timeout_ms: Option<u32>,
    /// Time budget of one metadata or offset request (default 3000).
    pub request_timeout_ms: Option<u32>,
    /// Heartbeat period (default 30000).
    pub heartbeat_interval_ms: Option<u32>,
    /// Route refresh period (default 30000).
    pub route_refresh_interval_ms: Option<u32>,
}

const PULL_KEYS: &[&str] = &[
    "consumeFrom",
    "consumeTimestamp",
    "autoCommit",
    "autoCommitIntervalMs",
    "pullBatchSize",
    "pollTimeoutMs",
    "longPollMs",
];

/// Refuses keys of `object` not in `allowed` (nor in the shared client keys).
pub(crate) fn check_keys(
    env: &Env,
    object: &Object,
    allowed: &[&str],
    what: &str,
) -> napi::Result<()> {
    let keys = Object::keys(object).map_err(|e| invalid_from(env, what, &e))?;
    for key in keys {
        if !allowed.contains(&key.as_str()) {
            return Err(invalid(
                env,
                format!(
                    "unknown {what} key `{key}`; known keys: {}",
                    allowed.join(", ")
                ),
            ));
        }
    }
    Ok(())
}

fn check_client_keys(env: &Env, object: &Object, own: &[&str], what: &str) -> napi::Result<()> {
    let allowed: Vec<&str> = CLIENT_KEYS.iter().chain(own).copied().collect();
    check_keys(env, object, &allowed, what)
}

fn ms(value: u32) -> Duration {
    Duration::from_millis(u64::from(value))
}

/// The shared client settings of one options object.
struct Common<'a> {
    name_server: Option<&'a str>,
    connect_timeout_ms: Option<u32>,
    request_timeout_ms: Option<u32>,
    heartbeat_interval_ms: Option<u32>,
    route_refresh_interval_ms: Option<u32>,
}

fn client_config(env: &Env, c: &Common) -> napi::Result<ClientConfig> {
    let list = c.name_server.unwrap_or(NAME_SERVER_DEFAULT);
    let name_servers = NameServers::parse(list).map_err(|e| to_js(env, &e))?;
    let mut config = ClientConfig {
        name_servers,
        ..ClientConfig::default()
    };
    if let Some(v) = c.connect_timeout_ms {
        config.connect_timeout = ms(v);
    }
    if let Some(v) = c.request_timeout_ms {
        config.request_timeout = ms(v);
    }
    if let Some(v) = c.heartbeat_interval_ms {
        config.heartbeat_interval = ms(v);
    }
    if let Some(v) = c.route_refresh_interval_ms {
        config.route_refresh_interval = ms(v);
    }
    Ok(config)
}

/// Reads a `ProducerOptions` object; `extra` are further keys the caller handles itself.
pub(crate) fn producer_builder(
    env: &Env,
    object: &Object,
    extra: &[&str],
) -> napi::Result<ferrocket::client::ProducerBuilder> {
    let own: Vec<&str> = PRODUCER_KEYS.iter().chain(extra).copied().collect();
    check_client_keys(env, object, &own, "producer option")?;
    let o = ProducerOptions::from_unknown(object.to_unknown())
        .map_err(|e| invalid_from(env, "producer options", &e))?;
    let common = Common {
        name_server: o.name_server.as_deref(),
        connect_timeout_ms: o.connect_timeout_ms,
        request_timeout_ms: o.request_timeout_ms,
        heartbeat_interval_ms: o.heartbeat_interval_ms,
        route_refresh_interval_ms: o.route_refresh_interval_ms,
    };
    let mut b = Producer::builder()
        .group(o.group)
        .client_config(client_config(env, &common)?);
    if let Some(v) = o.send_timeout_ms {
        b = b.send_timeout(ms(v));
    }
    if let Some(v) = o.retry_times {
        b = b.retries(v);
    }
    if let Some(v) = o.compress_body_over_bytes {
        b = b.compress_body_over(v as usize);
    }
    if let Some(v) = o.latency_fault_tolerance {
        b = b.latency_fault_tolerance(v);
    }
    if let Some(v) = o.auto_create_queue_count {
        let count = u16::try_from(v)
            .map_err(|_| invalid(env, "autoCreateQueueCount must be at most 65535"))?;
        b = b.auto_create_queue_count(count);
    }
    Ok(b)
}

fn consume_from(
    env: &Env,
    from: Option<&str>,
    at: Option<Either<f64, BigInt>>,
) -> napi::Result<ConsumeFrom> {
    match (from, at) {
        (None | Some("lastOffset"), None) => Ok(ConsumeFrom::LastOffset),
        (Some("firstOffset"), None) => Ok(ConsumeFrom::FirstOffset),
        (Some("timestamp"), Some(at)) => {
            Ok(ConsumeFrom::Timestamp(u64_of(env, at, "consumeTimestamp")?))
        }
        (Some("timestamp"), None) => Err(invalid(
            env,
            "consumeFrom 'timestamp' needs consumeTimestamp (ms since the epoch)",
        )),
        (_, Some(_)) => Err(invalid(
            env,
            "consumeTimestamp is only used with consumeFrom: 'timestamp'",
        )),
        (Some(other), None) => Err(invalid(
            env,
            format!("consumeFrom `{other}` is not 'lastOffset', 'firstOffset' or 'timestamp'"),
        )),
    }
}

/// What a `PushConsumerOptions` object says: the builder (without listener) and `orderly`.
pub(crate) fn push_builder(
    env: &Env,
    object: &Object,
) -> napi::Result<(ferrocket::client::PushConsumerBuilder, bool)> {
    check_client_keys(env, object, PUSH_KEYS, "push consumer option")?;
    let mut o = PushConsumerOptions::from_unknown(object.to_unknown())
        .map_err(|e| invalid_from(env, "push consumer options", &e))?;
    let common = Common {
        name_server: o.name_server.as_deref(),
        connect_timeout_ms: o.connect_timeout_ms,
        request_timeout_ms: o.request_timeout_ms,
        heartbeat_interval_ms: o.heartbeat_interval_ms,
        route_refresh_interval_ms: o.route_refresh_interval_ms,
    };
    let model = match o.model.as_deref() {
        None | Some("clustering") => MessageModel::Clustering,
        Some("broadcasting") => MessageModel::Broadcasting,
        Some(other) => {
            let text = format!("model `{other}` is not 'clustering' or 'broadcasting'");
            return Err(invalid(env, text));
        }
    };
    let from = consume_from(env, o.consume_from.as_deref(), o.consume_timestamp.take())?;
    let b = ferrocket::PushConsumer::builder()
        .group(o.group.clone())
        .client_config(client_config(env, &common)?)
        .message_model(model)
        .consume_from(from);
    Ok((push_tuning(b, &o), o.orderly.unwrap_or(false)))
}

/// The numeric push consumer settings (the builder checks their ranges).
fn push_tuning(
    mut b: ferrocket::client::PushConsumerBuilder,
    o: &PushConsumerOptions,
) -> ferrocket::client::PushConsumerBuilder {
    let usize_of = |v: u32| v as usize;
    if let Some(v) = o.consume_threads {
        b = b.consume_threads(usize_of(v));
    }
    if let Some(v) = o.consume_message_batch_max_size {
        b = b.consume_batch_max(usize_of(v));
    }
    if let Some(v) = o.pull_batch_size {
        b = b.pull_batch_size(v);
    }
    if let Some(v) = o.pull_threshold_for_queue {
        b = b.pull_threshold_for_queue(usize_of(v));
    }
    if let Some(v) = o.pull_threshold_size_for_queue {
        b = b.pull_threshold_size_for_queue(usize_of(v));
    }
    if let Some(v) = o.consume_concurrently_max_span {
        b = b.consume_concurrently_max_span(u64::from(v));
    }
    if let Some(v) = o.max_reconsume_times {
        b = b.max_reconsume_times(v);
    }
    if let Some(v) = o.suspend_current_queue_time_ms {
        b = b.suspend_current_queue_time(ms(v));
    }
    if let Some(v) = o.rebalance_interval_ms {
        b = b.rebalance_interval(ms(v));
    }
    if let Some(v) = o.persist_offset_interval_ms {
        b = b.persist_offset_interval(ms(v));
    }
    if let Some(v) = o.long_poll_ms {
        b = b.long_poll(ms(v));
    }
    if let Some(v) = o.await_termination_ms {
        b = b.await_termination(ms(v));
    }
    if let Some(dir) = &o.broadcast_offset_dir {
        b = b.broadcast_offset_dir(dir);
    }
    b
}

/// Builds a `PullConsumer` from a `PullConsumerOptions` object.
pub(crate) fn pull_consumer(env: &Env, object: &Object) -> napi::Result<PullConsumer> {
    check_client_keys(env, object, PULL_KEYS, "pull consumer option")?;
    let o = PullConsumerOptions::from_unknown(object.to_unknown())
        .map_err(|e| invalid_from(env, "pull consumer options", &e))?;
    let common = Common {
        name_server: o.name_server.as_deref(),
        connect_timeout_ms: o.connect_timeout_ms,
        request_timeout_ms: o.request_timeout_ms,
        heartbeat_interval_ms: o.heartbeat_interval_ms,
        route_refresh_interval_ms: o.route_refresh_interval_ms,
    };
    let from = consume_from(env, o.consume_from.as_deref(), o.consume_timestamp)?;
    let mut b = PullConsumer::builder()
        .group(o.group)
        .client_config(client_config(env, &common)?)
        .consume_from(from);
    if let Some(v) = o.auto_commit {
        b = b.auto_commit(v);
    }
    if let Some(v) = o.auto_commit_interval_ms {
        b = b.auto_commit_interval(ms(v));
    }
    if let Some(v) = o.pull_batch_size {
        b = b.pull_batch_size(v);
    }
    if let Some(v) = o.poll_timeout_ms {
        b = b.poll_timeout(ms(v));
    }
    if let Some(v) = o.long_poll_ms {
        b = b.long_poll(ms(v));
    }
    b.build().map_err(|e| to_js(env, &e))
}
