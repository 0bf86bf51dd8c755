//! `Producer`: sends messages to a topic's queues (RocketMQ's `DefaultMQProducer`).
//!
//! ```no_run
//! # async fn demo() -> Result<(), ferrocket::ClientError> {
//! use ferrocket::{Message, Producer};
//! let producer = Producer::builder().group("pg").namesrv("127.0.0.1:9876").build()?;
//! producer.start().await?;
//! let result = producer.send(Message::new("orders", "hello")).await?;
//! println!("{} at {}", result.msg_id, result.queue_offset);
//! producer.shutdown().await;
//! # Ok(()) }
//! ```
//!
//! Modes: `send` (sync, retried on another broker), `send_async` (callback on a client task,
//! same retries, at most `ASYNC_SEND_OUTSTANDING_MAX_DEFAULT` outstanding), `send_oneway` (no
//! response, no retry), `send_orderly` (queue by sharding key, never moved), `send_to_queue`
//! and `send_batch` (one queue, all or nothing). Retry and fault rules are in `client::send`.
//! Single sends compress bodies of at least `compress_body_over` bytes (`client::compression`);
//! batches are never compressed (RocketMQ's rule).

use std::borrow::Cow;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU8, Ordering};
use std::time::Instant;

use bytes::{Bytes, BytesMut};
use tokio::sync::Semaphore;

use crate::client::compression::compress_body;
use crate::client::error::ClientError;
use crate::client::msg_id::now_ms;
use crate::client::route::MessageQueue;
use crate::client::selector::{orderly_index, select_queue};
use crate::client::send::{Outcome, Payload, ProducerCore};
use crate::client::shutdown::Tasks;
use crate::client::validate::validate_message;
use crate::limits::{BATCH_COUNT_MAX, BATCH_LEN_MAX};
use crate::message::{Message, MessageId, offset_msg_id};
use crate::protocol::Status;
use crate::protocol::record::{RECORD_FIXED_LEN, RecordStamp, encode_record};

mod batch;
mod builder;

pub use builder::ProducerBuilder;

const CREATED: u8 = 0;
const RUNNING: u8 = 1;
const SHUT_DOWN: u8 = 2;

/// How durably a stored message was stored (RocketMQ's `SendStatus`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SendStatus {
    /// Stored as asked.
    SendOk,
    /// Stored, but the SYNC_FLUSH fdatasync did not finish in time.
    FlushDiskTimeout,
    /// Stored on the master, but the slave did not confirm in time.
    FlushSlaveTimeout,
    /// Stored on the master, but no slave is connected or it is too far behind.
    SlaveNotAvailable,
}

impl SendStatus {
    fn from_status(status: Status) -> SendStatus {
        match status {
            Status::FlushDiskTimeout => SendStatus::FlushDiskTimeout,
            Status::FlushSlaveTimeout => SendStatus::FlushSlaveTimeout,
            Status::SlaveNotAvailable => SendStatus::SlaveNotAvailable,
            _ => SendStatus::SendOk,
        }
    }
}

/// Where a sent message went.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SendResult {
    /// How durably it was stored.
    pub status: SendStatus,
    /// The producer-generated unique id (RocketMQ's `msgId` / `UNIQ_KEY`).
    pub msg_id: MessageId,
    /// The broker id: store host and commit-log offset in hex (RocketMQ's `offsetMsgId`).
    pub offset_msg_id: String,
    /// The queue it was stored in.
    pub queue: MessageQueue,
    /// Its offset in that queue.
    pub queue_offset: u64,
}

/// Where a batch went: all its messages are in one queue at consecutive offsets, message `i`
/// of the batch at `queue_offset + i`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SendBatchResult {
    /// How durably it was stored.
    pub status: SendStatus,
    /// The unique id of every message, in batch order.
    pub msg_ids: Vec<MessageId>,
    /// The broker id of the first message.
    pub offset_msg_id: String,
    /// The queue the batch was stored in.
    pub queue: MessageQueue,
    /// Offset of the first message in that queue.
    pub queue_offset: u64,
}

/// A message producer; see the module doc.
#[derive(Debug)]
pub struct Producer {
    pub(crate) core: Arc<ProducerCore>,
    state: AtomicU8,
    async_permits: Arc<Semaphore>,
    tasks: Tasks,
}

impl Producer {
    /// A builder with RocketMQ's defaults.
    pub fn builder() -> ProducerBuilder {
        ProducerBuilder::default()
    }

    /// Starts the background route refresh and heartbeats.
    pub async fn start(&self) -> Result<(), ClientError> {
        match self
            .state
            .compare_exchange(CREATED, RUNNING, Ordering::AcqRel, Ordering::Acquire)
        {
            Ok(_) => {}
            Err(RUNNING) => return Err(ClientError::AlreadyStarted),
            Err(_) => return Err(ClientError::ShutDown),
        }
        self.core.instance.register_producer(&self.core.group);
        self.core.instance.start();
        tracing::info!(group = %self.core.group, "producer started");
        Ok(())
    }

    /// Waits for outstanding async sends, stops the background tasks and closes connections.
    pub async fn shutdown(&self) {
        if self.state.swap(SHUT_DOWN, Ordering::AcqRel) == SHUT_DOWN {
            return;
        }
        self.async_permits.close();
        self.tasks.shutdown().await;
        self.core.instance.unregister_producer(&self.core.group);
        self.core.instance.shutdown().await;
        tracing::info!(group = %self.core.group, "producer shut down");
    }

    /// `NotStarted` before `start`, `ShutDown` after `shutdown`.
    pub(crate) fn check_running(&self) -> Result<(), ClientError> {
        match self.state.load(Ordering::Acquire) {
            RUNNING => Ok(()),
            CREATED => Err(ClientError::NotStarted),
            _ => Err(ClientError::ShutDown),
        }
    }

    /// The producer group.
    pub fn group(&self) -> &str {
        &self.core.group
    }

    /// Sends one message, retrying on another broker; see `client::send` for the rules.
    pub async fn send(&self, msg: Message) -> Result<SendResult, ClientError> {
        self.check_running()?;
        send_one(&self.core, msg).await
    }

    /// Sends one message to `queue` (no queue selection, never moved; `SYSTEM_BUSY` is
    /// retried on it within the send timeout).
    pub async fn send_to_queue(
        &self,
        msg: Message,
        queue: &MessageQueue,
    ) -> Result<SendResult, ClientError> {
        self.check_running()?;
        let deadline = Instant::now() + self.core.send_timeout;
        self.send_fixed(msg, queue, deadline).await
    }

    async fn send_fixed(
        &self,
        msg: Message,
        queue: &MessageQueue,
        deadline: Instant,
    ) -> Result<SendResult, ClientError> {
        validate_message(&msg)?;
        self.core.check_deliver_time(&msg)?;
        if msg.topic != queue.topic {
            return Err(ClientError::InvalidArgument(format!(
                "message topic `{}` differs from the queue's topic `{}`",
                msg.topic, queue.topic
            )));
        }
        let msg_id = self.core.ids().next_id();
        let encode = one_encoder(&msg, msg_id, self.core.compress_over, 0);
        let wait = msg.wait_store_msg_ok;
        let outcome = self
            .core
            .send_to_queue(queue, wait, &encode, deadline)
            .await?;
        Ok(send_result(outcome, msg_id))
    }

    /// Sends one message to the queue chosen by `sharding_key`: FNV-1a of the key modulo the
    /// write-queue count, so one key keeps one queue (and its order) while the route is stable.
    pub async fn send_orderly(
        &self,
        msg: Message,
        sharding_key: &str,
    ) -> Result<SendResult, ClientError> {
        self.check_running()?;
        validate_message(&msg)?;
        let deadline = Instant::now() + self.core.send_timeout;
        let route = self.core.route(&msg.topic, false, deadline).await?;
        let queues = &route.write_queues;
        let Some(index) = orderly_index(sharding_key, queues.len()) else {
            return Err(self.core.no_route(&msg.topic));
        };
        let queue = queues[index].clone();
        self.send_fixed(msg, &queue, deadline).await
    }

    /// Sends without waiting for a response and without retries.
    pub async fn send_oneway(&self, msg: Message) -> Result<(), ClientError> {
        self.check_running()?;
        validate_message(&msg)?;
        self.core.check_deliver_time(&msg)?;
        let core = &self.core;
        let deadline = std::time::Instant::now() + core.send_timeout;
        let route = core.route(&msg.topic, false, deadline).await?;
        let rr = core.round_robin.fetch_add(1, Ordering::Relaxed);
        let now = std::time::Instant::now();
        let Some(queue) = select_queue(&route.write_queues, rr, None, &core.faults, now) else {
            return Err(ClientError::InvalidArgument(
                "topic has no write queue".into(),
            ));
        };
        let Some(addr) = route.master_addr(&queue.broker_name) else {
            return Err(ClientError::InvalidArgument("queue has no master".into()));
        };
        let conn = core.instance.pool.get(addr).await?;
        let record = encode_one(
            &msg,
            core.ids().next_id(),
            conn.local_addr(),
            (core.compress_over, 0),
        )?;
        let request = core.one_request(queue, msg.wait_store_msg_ok, record);
        conn.oneway(&request).await
    }

    /// Starts sending `msg` and returns; `callback` gets the result on a client task. The same
    /// timeout and retries as `send` apply. When the maximum of outstanding async sends is
    /// reached this waits for one to finish (back-pressure).
    pub async fn send_async<F>(&self, msg: Message, callback: F) -> Result<(), ClientError>
    where
        F: FnOnce(Result<SendResult, ClientError>) + Send + 'static,
    {
        self.check_running()?;
        let permit = self
            .async_permits
            .clone()
            .acquire_owned()
            .await
            .map_err(|_| ClientError::ShutDown)?;
        let core = self.core.clone();
        let spawned = self.tasks.spawn(async move {
            let result = send_one(&core, msg).await;
            drop(permit);
            callback(result);
        });
        if spawned {
            Ok(())
        } else {
            Err(ClientError::ShutDown)
        }
    }

    /// Sends messages of one topic as one batch to one queue: all stored or none, at
    /// consecutive offsets. At most `BATCH_COUNT_MAX` messages and `BATCH_LEN_MAX` encoded
    /// bytes, no delay, one `wait_store_msg_ok` value.
    pub async fn send_batch(&self, msgs: Vec<Message>) -> Result<SendBatchResult, ClientError> {
        self.check_running()?;
        batch::check_batch(&msgs)?;
        let ids: Vec<MessageId> = msgs.iter().map(|_| self.core.ids().next_id()).collect();
        let topic = msgs[0].topic.clone();
        let wait = msgs[0].wait_store_msg_ok;
        let encode = |born_host: SocketAddr| batch::encode_batch(&msgs, &ids, born_host);
        let outcome = self.core.send_with_retries(&topic, wait, &encode).await?;
        Ok(SendBatchResult {
            status: SendStatus::from_status(outcome.status),
            msg_ids: ids,
            offset_msg_id: offset_msg_id(
                outcome.response.store_host,
                outcome.response.commit_log_offset,
            ),
            queue: outcome.queue,
            queue_offset: outcome.response.queue_offset,
        })
    }
}

impl Drop for Producer {
    fn drop(&mut self) {
        self.tasks.signal_shutdown();
        self.core.instance.signal_shutdown();
    }
}

async fn send_one(core: &ProducerCore, msg: Message) -> Result<SendResult, ClientError> {
    send_one_flagged(core, msg, 0).await
}

/// Sends one message whose record carries `extra_sys_flag` too (a transaction's half message).
pub(crate) async fn send_one_flagged(
    core: &ProducerCore,
    msg: Message,
    extra_sys_flag: u32,
) -> Result<SendResult, ClientError> {
    validate_message(&msg)?;
    core.check_deliver_time(&msg)?;
    let msg_id = core.ids().next_id();
    let encode = one_encoder(&msg, msg_id, core.compress_over, extra_sys_flag);
    let outcome = core
        .send_with_retries(&msg.topic, msg.wait_store_msg_ok, &encode)
        .await?;
    Ok(send_result(outcome, msg_id))
}

fn one_encoder(
    msg: &Message,
    msg_id: MessageId,
    compress_over: usize,
    extra_sys_flag: u32,
) -> impl Fn(SocketAddr) -> Result<Payload, ClientError> + Send + Sync + '_ {
    move |born_host| {
        encode_one(msg, msg_id, born_host, (compress_over, extra_sys_flag)).map(Payload::One)
    }
}

fn send_result(outcome: Outcome, msg_id: MessageId) -> SendResult {
    SendResult {
        status: SendStatus::from_status(outcome.status),
        msg_id,
        offset_msg_id: offset_msg_id(
            outcome.response.store_host,
            outcome.response.commit_log_offset,
        ),
        queue: outcome.queue,
        queue_offset: outcome.response.queue_offset,
    }
}

/// Prepares the message whose record is encoded, and the `sys_flag` bits that describe it:
/// as it is for batches (never compressed).
pub(crate) fn prepare_body(msg: &Message) -> (Cow<'_, Message>, u32) {
    (Cow::Borrowed(msg), 0)
}

/// Prepares a single send: its body compressed when it is at least `compress_over` bytes and
/// compression makes it smaller (`client::compression`).
pub(crate) fn prepare_single(msg: &Message, compress_over: usize) -> (Cow<'_, Message>, u32) {
    match compress_body(&msg.body, compress_over) {
        Some((body, flags)) => {
            let mut packed = msg.clone();
            packed.body = body;
            (Cow::Owned(packed), flags)
        }
        None => (Cow::Borrowed(msg), 0),
    }
}

/// The record stamp of a fresh message. The queue id is left 0: the broker writes the queue
/// the request names, so one encoding serves every retry.
pub(crate) fn stamp(msg_id: MessageId, sys_flag: u32, born_host: SocketAddr) -> RecordStamp {
    RecordStamp {
        msg_id,
        sys_flag,
        queue_id: 0,
        reconsume_times: 0,
        born_timestamp_ms: now_ms(),
        born_host,
        prepared_transaction_offset: 0,
    }
}

/// Encodes one message as a record, compressing bodies of at least `compress_over` bytes and
/// adding `extra_sys_flag` to its system flags.
pub(crate) fn encode_one(
    msg: &Message,
    msg_id: MessageId,
    born_host: SocketAddr,
    (compress_over, extra_sys_flag): (usize, u32),
) -> Result<Bytes, ClientError> {
    let (prepared, sys_flag) = prepare_single(msg, compress_over);
    let sys_flag = sys_flag | extra_sys_flag;
    let mut out = BytesMut::with_capacity(RECORD_FIXED_LEN + msg.topic.len() + msg.body.len() + 64);
    encode_record(&prepared, &stamp(msg_id, sys_flag, born_host), &mut out)
        .map_err(|e| ClientError::InvalidArgument(format!("message is invalid: {e}")))?;
    Ok(out.freeze())
}

const _: () = assert!(BATCH_COUNT_MAX <= u32::MAX as usize);
const _: () = assert!(BATCH_LEN_MAX <= u32::MAX as usize);
