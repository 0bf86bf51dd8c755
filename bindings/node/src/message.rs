//! Messages between JavaScript and the client: the message object a producer sends, the
//! `MessageExt` object a consumer receives (a plain object; 64-bit values are `bigint`) and
//! the `MessageQueue` object.

use std::collections::BTreeMap;

use bytes::Bytes;
use ferrocket::client::MessageQueue as CoreQueue;
use ferrocket::message::{Message as CoreMessage, MessageExt as CoreMessageExt};
use napi::Env;
use napi::bindgen_prelude::{BigInt, Buffer, Either, FromNapiValue, JsValue, Object};
use napi_derive::napi;

use crate::error::{invalid, invalid_from};
use crate::options::check_keys;

/// A message to send.
#[napi(object, object_to_js = false)]
pub struct Message {
    /// The topic.
    pub topic: String,
    /// The payload (a string is sent as its UTF-8 bytes).
    #[napi(ts_type = "Buffer | string")]
    pub body: Either<Buffer, String>,
    /// One tag, for tag subscriptions (`TagA || TagB`).
    pub tags: Option<String>,
    /// Business keys, indexed for queries (no spaces inside a key).
    #[napi(ts_type = "string | string[]")]
    pub keys: Option<Either<String, Vec<String>>>,
    /// User properties (what SQL92 subscriptions filter on).
    pub properties: Option<BTreeMap<String, String>>,
    /// An opaque user integer.
    pub flag: Option<u32>,
    /// RocketMQ delay level, 1..=18 (the broker's `message_delay_level`).
    pub delay_level: Option<u32>,
    /// Delivery time, milliseconds since the Unix epoch.
    #[napi(ts_type = "number | bigint")]
    pub deliver_at: Option<Either<f64, BigInt>>,
    /// When false, a SYNC_FLUSH broker answers without waiting for the flush (default true).
    pub wait_store_msg_ok: Option<bool>,
}

/// The keys a message object may have.
const MESSAGE_KEYS: &[&str] = &[
    "topic",
    "body",
    "tags",
    "keys",
    "properties",
    "flag",
    "delayLevel",
    "deliverAt",
    "waitStoreMsgOk",
];

/// A received message: what the producer sent plus the broker's bookkeeping.
#[napi(object, object_from_js = false)]
pub struct MessageExt {
    /// The topic.
    pub topic: String,
    /// The payload.
    pub body: Buffer,
    /// The tag, if any.
    pub tags: Option<String>,
    /// The keys.
    pub keys: Vec<String>,
    /// The user integer.
    pub flag: u32,
    /// User properties.
    pub properties: BTreeMap<String, String>,
    /// The delay level it was sent with (0: none).
    pub delay_level: u32,
    /// The delivery time it was sent with, milliseconds since the Unix epoch.
    pub deliver_at: Option<BigInt>,
    /// The producer's unique id (32 hex characters).
    pub msg_id: String,
    /// The broker's id: store host and commit-log offset (RocketMQ's `offsetMsgId`).
    pub offset_msg_id: String,
    /// The queue it is stored in.
    pub queue_id: u32,
    /// Its offset in the queue.
    pub queue_offset: BigInt,
    /// Its offset in the broker's commit log.
    pub commit_log_offset: BigInt,
    /// Bytes of the stored record.
    pub store_size: u32,
    /// System flags of the record.
    pub sys_flag: u32,
    /// When the producer made it, milliseconds since the Unix epoch.
    pub born_timestamp: BigInt,
    /// When the broker stored it, milliseconds since the Unix epoch.
    pub store_timestamp: BigInt,
    /// The producer's address.
    pub born_host: String,
    /// The broker's address.
    pub store_host: String,
    /// How many times it was handed back for redelivery.
    pub reconsume_times: u32,
    /// Commit-log offset of the half message (transactional messages).
    pub prepared_transaction_offset: BigInt,
    /// CRC32 of the record's variable part.
    pub payload_crc: u32,
}

/// A queue: a topic's queue on one broker.
#[napi(object)]
#[derive(Debug, Clone)]
pub struct MessageQueue {
    /// The topic.
    pub topic: String,
    /// The broker (master/slave set) holding the queue.
    pub broker_name: String,
    /// The queue id on that broker.
    pub queue_id: u32,
}

/// The client message of a JavaScript message object (unknown keys are refused).
pub(crate) fn from_js(env: &Env, object: &Object) -> napi::Result<CoreMessage> {
    check_keys(env, object, MESSAGE_KEYS, "message")?;
    let msg =
        Message::from_unknown(object.to_unknown()).map_err(|e| invalid_from(env, "message", &e))?;
    let body = match msg.body {
        Either::A(buffer) => Bytes::copy_from_slice(&buffer),
        Either::B(text) => Bytes::from(text),
    };
    let mut out = CoreMessage::new(msg.topic, body);
    out.tags = msg.tags;
    out.keys = match msg.keys {
        None => Vec::new(),
        Some(Either::A(key)) => vec![key],
        Some(Either::B(keys)) => keys,
    };
    out.properties = msg.properties.unwrap_or_default();
    out.flag = msg.flag.unwrap_or(0);
    out.delay_level = match msg.delay_level {
        None => 0,
        Some(level) => u8::try_from(level)
            .map_err(|_| invalid(env, format!("delayLevel {level} is over 18")))?,
    };
    if let Some(at) = msg.deliver_at {
        out.deliver_at_ms = Some(u64_of(env, at, "deliverAt")?);
    }
    out.wait_store_msg_ok = msg.wait_store_msg_ok.unwrap_or(true);
    Ok(out)
}

/// A JavaScript message array of client messages.
pub(crate) fn from_js_array(env: &Env, objects: &[Object]) -> napi::Result<Vec<CoreMessage>> {
    objects.iter().map(|o| from_js(env, o)).collect()
}

/// A non-negative integer given as a number or a bigint.
pub(crate) fn u64_of(env: &Env, value: Either<f64, BigInt>, name: &str) -> napi::Result<u64> {
    match value {
        Either::A(n) if n >= 0.0 && n.fract() == 0.0 && n <= 9_007_199_254_740_991.0 => {
            // The guard keeps n an exact non-negative integer below 2^53.
            #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
            Ok(n as u64)
        }
        Either::B(big) => match big.get_u64() {
            (false, v, true) => Ok(v),
            _ => Err(invalid(env, format!("{name} must be 0..2^64 - 1"))),
        },
        Either::A(n) => Err(invalid(
            env,
            format!("{name} must be a non-negative integer, got {n}"),
        )),
    }
}

/// The JavaScript object of a received message.
pub(crate) fn to_js_message(ext: CoreMessageExt) -> MessageExt {
    let offset_msg_id = ext.offset_msg_id();
    let m = ext.message;
    MessageExt {
        topic: m.topic,
        body: Buffer::from(m.body.to_vec()),
        tags: m.tags,
        keys: m.keys,
        flag: m.flag,
        properties: m.properties,
        delay_level: u32::from(m.delay_level),
        deliver_at: m.deliver_at_ms.map(BigInt::from),
        msg_id: ext.msg_id.to_string(),
        offset_msg_id,
        queue_id: ext.queue_id,
        queue_offset: BigInt::from(ext.queue_offset),
        commit_log_offset: BigInt::from(ext.commit_log_offset),
        store_size: ext.store_size,
        sys_flag: ext.sys_flag,
        born_timestamp: BigInt::from(ext.born_timestamp_ms),
        store_timestamp: BigInt::from(ext.store_timestamp_ms),
        born_host: ext.born_host.to_string(),
        store_host: ext.store_host.to_string(),
        reconsume_times: ext.reconsume_times,
        prepared_transaction_offset: BigInt::from(ext.prepared_transaction_offset),
        payload_crc: ext.payload_crc,
    }
}

/// The JavaScript objects of received messages.
pub(crate) fn to_js_messages(exts: Vec<CoreMessageExt>) -> Vec<MessageExt> {
    exts.into_iter().map(to_js_message).collect()
}

/// The JavaScript object of a message about to be handed to a transaction's `execute`.
pub(crate) fn sent_to_js(msg: CoreMessage) -> SentMessage {
    SentMessage {
        topic: msg.topic,
        body: Buffer::from(msg.body.to_vec()),
        tags: msg.tags,
        keys: msg.keys,
        flag: msg.flag,
        properties: msg.properties,
    }
}

/// A message as a producer sent it (what a transaction's `execute` receives).
#[napi(object, object_from_js = false)]
pub struct SentMessage {
    /// The topic.
    pub topic: String,
    /// The payload.
    pub body: Buffer,
    /// The tag, if any.
    pub tags: Option<String>,
    /// The keys.
    pub keys: Vec<String>,
    /// The user integer.
    pub flag: u32,
    /// User properties.
    pub properties: BTreeMap<String, String>,
}

impl std::fmt::Debug for MessageExt {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MessageExt")
            .field("topic", &self.topic)
            .field("queue_id", &self.queue_id)
            .field("queue_offset", &self.queue_offset)
            .field("msg_id", &self.msg_id)
            .finish_non_exhaustive()
    }
}

impl std::fmt::Debug for SentMessage {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SentMessage")
            .field("topic", &self.topic)
            .field("tags", &self.tags)
            .finish_non_exhaustive()
    }
}

impl From<CoreQueue> for MessageQueue {
    fn from(q: CoreQueue) -> MessageQueue {
        MessageQueue {
            topic: q.topic,
            broker_name: q.broker_name,
            queue_id: q.queue_id,
        }
    }
}

impl From<MessageQueue> for CoreQueue {
    fn from(q: MessageQueue) -> CoreQueue {
        CoreQueue::new(q.topic, q.broker_name, q.queue_id)
    }
}
