//! `Producer`: the client's producer behind Promise-returning methods, and the send result
//! objects (`SendResult`, `BatchSendResult`) shared with `TransactionProducer`.

use std::sync::Arc;

use ferrocket::client::{SendBatchResult, SendResult as CoreSendResult, SendStatus as CoreStatus};
use napi::Env;
use napi::bindgen_prelude::{BigInt, Object, PromiseRaw};
use napi_derive::napi;

use crate::error::{promise, to_js};
use crate::message::{from_js, from_js_array};
use crate::options::producer_builder;

/// How durably a sent message was stored (RocketMQ's `SendStatus`).
#[napi(string_enum)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SendStatus {
    /// Stored as asked.
    #[napi(value = "SEND_OK")]
    SendOk,
    /// Stored, but the SYNC_FLUSH flush did not finish in time.
    #[napi(value = "FLUSH_DISK_TIMEOUT")]
    FlushDiskTimeout,
    /// Stored on the master, but the slave did not confirm in time.
    #[napi(value = "FLUSH_SLAVE_TIMEOUT")]
    FlushSlaveTimeout,
    /// Stored on the master, but no slave is available.
    #[napi(value = "SLAVE_NOT_AVAILABLE")]
    SlaveNotAvailable,
}

impl From<CoreStatus> for SendStatus {
    fn from(status: CoreStatus) -> SendStatus {
        match status {
            CoreStatus::SendOk => SendStatus::SendOk,
            CoreStatus::FlushDiskTimeout => SendStatus::FlushDiskTimeout,
            CoreStatus::FlushSlaveTimeout => SendStatus::FlushSlaveTimeout,
            CoreStatus::SlaveNotAvailable => SendStatus::SlaveNotAvailable,
        }
    }
}

/// Where a sent message went. It has the fields of a `MessageQueue`, so it can be passed where
/// a queue is expected.
#[napi(object, object_from_js = false)]
#[derive(Debug)]
pub struct SendResult {
    /// How durably it was stored.
    #[napi(ts_type = "`${SendStatus}`")]
    pub status: SendStatus,
    /// The producer's unique id (32 hex characters).
    pub msg_id: String,
    /// The broker's id: store host and commit-log offset (RocketMQ's `offsetMsgId`).
    pub offset_msg_id: String,
    /// The topic.
    pub topic: String,
    /// The broker holding the queue.
    pub broker_name: String,
    /// The queue.
    pub queue_id: u32,
    /// The message's offset in the queue.
    pub queue_offset: BigInt,
}

impl From<CoreSendResult> for SendResult {
    fn from(r: CoreSendResult) -> SendResult {
        SendResult {
            status: r.status.into(),
            msg_id: r.msg_id.to_string(),
            offset_msg_id: r.offset_msg_id,
            topic: r.queue.topic,
            broker_name: r.queue.broker_name,
            queue_id: r.queue.queue_id,
            queue_offset: BigInt::from(r.queue_offset),
        }
    }
}

/// Where a batch went: one queue, message `i` at `queueOffset + i`.
#[napi(object, object_from_js = false)]
#[derive(Debug)]
pub struct BatchSendResult {
    /// How durably it was stored.
    #[napi(ts_type = "`${SendStatus}`")]
    pub status: SendStatus,
    /// Every message's unique id, in batch order.
    pub msg_ids: Vec<String>,
    /// The broker's id of the first message.
    pub offset_msg_id: String,
    /// The topic.
    pub topic: String,
    /// The broker holding the queue.
    pub broker_name: String,
    /// The queue.
    pub queue_id: u32,
    /// The first message's offset in the queue.
    pub queue_offset: BigInt,
}

impl From<SendBatchResult> for BatchSendResult {
    fn from(r: SendBatchResult) -> BatchSendResult {
        BatchSendResult {
            status: r.status.into(),
            msg_ids: r.msg_ids.iter().map(ToString::to_string).collect(),
            offset_msg_id: r.offset_msg_id,
            topic: r.queue.topic,
            broker_name: r.queue.broker_name,
            queue_id: r.queue.queue_id,
            queue_offset: BigInt::from(r.queue_offset),
        }
    }
}

/// A message producer (RocketMQ's `DefaultMQProducer`). Every I/O method returns a Promise
/// that rejects with a `FerrocketError`.
#[napi]
#[derive(Debug)]
pub struct Producer {
    inner: Arc<ferrocket::Producer>,
}

#[napi]
impl Producer {
    /// A producer with `options` (`group` is required); call `start()` before sending.
    #[napi(constructor, ts_args_type = "options: ProducerOptions")]
    pub fn new(env: &Env, options: Object) -> napi::Result<Producer> {
        let producer = producer_builder(env, &options, &[])?
            .build()
            .map_err(|e| to_js(env, &e))?;
        Ok(Producer {
            inner: Arc::new(producer),
        })
    }

    /// The producer group.
    #[napi(getter)]
    pub fn group(&self) -> String {
        self.inner.group().to_owned()
    }

    /// Starts the route refresh and heartbeats.
    #[napi(ts_return_type = "Promise<void>")]
    pub fn start<'env>(&self, env: &'env Env) -> napi::Result<PromiseRaw<'env, ()>> {
        let inner = self.inner.clone();
        promise(env, async move { inner.start().await })
    }

    /// Waits for sends in flight, stops the background tasks and closes the connections.
    #[napi(ts_return_type = "Promise<void>")]
    pub fn shutdown<'env>(&self, env: &'env Env) -> napi::Result<PromiseRaw<'env, ()>> {
        let inner = self.inner.clone();
        promise(env, async move {
            inner.shutdown().await;
            Ok(())
        })
    }

    /// Sends one message, retrying on another broker within `sendTimeoutMs`.
    #[napi(
        ts_args_type = "message: Message",
        ts_return_type = "Promise<SendResult>"
    )]
    pub fn send<'env>(
        &self,
        env: &'env Env,
        message: Object,
    ) -> napi::Result<PromiseRaw<'env, SendResult>> {
        let msg = from_js(env, &message)?;
        let inner = self.inner.clone();
        promise(
            env,
            async move { inner.send(msg).await.map(SendResult::from) },
        )
    }

    /// Sends without waiting for the broker's answer and without retries; resolves once the
    /// message is written to the connection.
    #[napi(ts_args_type = "message: Message", ts_return_type = "Promise<void>")]
    pub fn send_oneway<'env>(
        &self,
        env: &'env Env,
        message: Object,
    ) -> napi::Result<PromiseRaw<'env, ()>> {
        let msg = from_js(env, &message)?;
        let inner = self.inner.clone();
        promise(env, async move { inner.send_oneway(msg).await })
    }

    /// Sends to the queue chosen by `shardingKey`, so one key's messages keep their order.
    #[napi(
        ts_args_type = "message: Message, shardingKey: string",
        ts_return_type = "Promise<SendResult>"
    )]
    pub fn send_orderly<'env>(
        &self,
        env: &'env Env,
        message: Object,
        sharding_key: String,
    ) -> napi::Result<PromiseRaw<'env, SendResult>> {
        let msg = from_js(env, &message)?;
        let inner = self.inner.clone();
        promise(env, async move {
            let sent = inner.send_orderly(msg, &sharding_key).await?;
            Ok(SendResult::from(sent))
        })
    }

    /// Sends messages of one topic as one batch: all stored in one queue, in order, or none.
    #[napi(
        ts_args_type = "messages: Message[]",
        ts_return_type = "Promise<BatchSendResult>"
    )]
    pub fn send_batch<'env>(
        &self,
        env: &'env Env,
        messages: Vec<Object>,
    ) -> napi::Result<PromiseRaw<'env, BatchSendResult>> {
        let msgs = from_js_array(env, &messages)?;
        let inner = self.inner.clone();
        promise(env, async move {
            inner.send_batch(msgs).await.map(BatchSendResult::from)
        })
    }
}
