//! `TransactionProducer`: RocketMQ's transactional messages (`TransactionMQProducer`).
//!
//! ```no_run
//! # async fn demo() -> Result<(), ferrocket::ClientError> {
//! use std::any::Any;
//! use std::sync::Arc;
//! use ferrocket::{LocalTransactionState, Message, MessageExt, Producer, TransactionListener,
//!     TransactionProducer};
//!
//! struct Orders;
//! impl TransactionListener for Orders {
//!     fn execute_local_transaction(&self, msg: &Message, arg: &(dyn Any + Send + Sync))
//!         -> LocalTransactionState {
//!         // write the order to the database in one local transaction …
//!         LocalTransactionState::Commit
//!     }
//!     fn check_local_transaction(&self, msg: &MessageExt) -> LocalTransactionState {
//!         // look the order up by msg.msg_id …
//!         LocalTransactionState::Commit
//!     }
//! }
//!
//! let builder = Producer::builder().group("pg-orders").namesrv("127.0.0.1:9876");
//! let producer = TransactionProducer::new(builder, Arc::new(Orders))?;
//! producer.start().await?;
//! let sent = producer.send_message_in_transaction(Message::new("Orders", "o-1"), &42u32).await?;
//! println!("{:?} {:?}", sent.send.status, sent.local_state);
//! producer.shutdown().await;
//! # Ok(()) }
//! ```
//!
//! A send stores a *half message* the broker keeps from consumers; then the listener's
//! `execute_local_transaction` runs (on the calling task, inside `block_in_place` on a
//! multi-threaded runtime) and its answer goes to the broker oneway: commit makes the message
//! visible, rollback discards it, unknown leaves it to the broker's check-back. A send not
//! stored as `SEND_OK` is rolled back without running the local transaction (RocketMQ). The
//! broker's `CheckTransactionState` requests (for unknown or lost answers, first after 6 s,
//! then every 30 s, at most 15 times) are queued (at most `TRANSACTION_CHECK_QUEUE_MAX`) and
//! answered by `check_local_transaction` on a blocking thread; any live producer of the group
//! may be asked, so every producer of a group must be able to answer for the others.

use std::any::Any;
use std::sync::Arc;

use bytes::{Bytes, BytesMut};
use tokio::sync::mpsc;

use crate::client::compression::decompress_message;
use crate::client::connection::RequestHandler;
use crate::client::error::ClientError;
use crate::client::producer::{
    Producer, ProducerBuilder, SendResult, SendStatus, send_one_flagged,
};
use crate::client::send::ProducerCore;
use crate::client::shutdown::Tasks;
use crate::limits::TRANSACTION_CHECK_QUEUE_MAX;
use crate::message::Message;
use crate::message::MessageExt;
use crate::protocol::frame::{FrameKind, ResponseHead};
use crate::protocol::record::{SYS_FLAG_TRANSACTION_PREPARED, decode_record};
use crate::protocol::{
    Body, CheckTransactionStateRequest, EndTransactionRequest, Status, TransactionResolution,
    encode_response,
};

/// How a local transaction ended (RocketMQ's `LocalTransactionState`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum LocalTransactionState {
    /// Make the message visible to consumers.
    Commit,
    /// Discard the message.
    Rollback,
    /// Not known yet: the broker will ask `check_local_transaction` later.
    Unknown,
}

impl LocalTransactionState {
    fn resolution(self) -> TransactionResolution {
        match self {
            LocalTransactionState::Commit => TransactionResolution::Commit,
            LocalTransactionState::Rollback => TransactionResolution::Rollback,
            LocalTransactionState::Unknown => TransactionResolution::Unknown,
        }
    }
}

/// The application's side of a transaction: a sync trait, so the SDKs can wrap it.
pub trait TransactionListener: Send + Sync + 'static {
    /// Runs the local transaction for a half message just stored; `arg` is what the caller
    /// passed to `send_message_in_transaction`.
    fn execute_local_transaction(
        &self,
        msg: &Message,
        arg: &(dyn Any + Send + Sync),
    ) -> LocalTransactionState;

    /// Says how the local transaction of a half message ended (the broker asks when it got no
    /// decision, or `Unknown`). Its `msg_id` identifies the transaction.
    fn check_local_transaction(&self, msg: &MessageExt) -> LocalTransactionState;
}

/// What a transactional send did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TransactionSendResult {
    /// Where the half message went.
    pub send: SendResult,
    /// The local transaction's answer (`Rollback` without running it when the half message was
    /// not stored as `SEND_OK`).
    pub local_state: LocalTransactionState,
}

/// A producer of transactional messages; see the module doc.
pub struct TransactionProducer {
    producer: Producer,
    listener: Arc<dyn TransactionListener>,
    checks: std::sync::Mutex<Option<mpsc::Receiver<CheckTransactionStateRequest>>>,
    /// Brokers this producer has heartbeated since it started.
    announced: std::sync::Mutex<std::collections::BTreeSet<String>>,
    tasks: Tasks,
}

impl std::fmt::Debug for TransactionProducer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TransactionProducer")
            .field("producer", &self.producer)
            .finish_non_exhaustive()
    }
}

impl TransactionProducer {
    /// A transactional producer with the settings of `builder` and `listener`.
    pub fn new(
        builder: ProducerBuilder,
        listener: Arc<dyn TransactionListener>,
    ) -> Result<TransactionProducer, ClientError> {
        let (tx, rx) = mpsc::channel(TRANSACTION_CHECK_QUEUE_MAX);
        let handler: RequestHandler = Arc::new(move |frame| check_request(&tx, frame));
        let producer = builder.build_with_handler(Some(handler))?;
        Ok(TransactionProducer {
            producer,
            listener,
            checks: std::sync::Mutex::new(Some(rx)),
            announced: std::sync::Mutex::new(std::collections::BTreeSet::new()),
            tasks: Tasks::new(),
        })
    }

    /// The underlying producer (for plain sends of the same group).
    pub fn producer(&self) -> &Producer {
        &self.producer
    }

    /// Starts the producer and the task answering check-backs.
    pub async fn start(&self) -> Result<(), ClientError> {
        self.producer.start().await?;
        let rx = self.checks.lock().unwrap_or_else(|e| e.into_inner()).take();
        if let Some(rx) = rx {
            let core = self.producer.core.clone();
            let listener = self.listener.clone();
            let signal = self.tasks.signal();
            self.tasks.spawn(answer_checks(core, listener, rx, signal));
        }
        Ok(())
    }

    /// Heartbeats the brokers of `topic` now, so they know this producer and may send it
    /// check-backs for its group (for a producer that answers checks before it sends; sends
    /// announce their broker by themselves).
    pub async fn announce(&self, topic: &str) -> Result<(), ClientError> {
        let core = &self.producer.core;
        core.instance.routes.get(topic, None).await?;
        self.announce_new_brokers().await;
        Ok(())
    }

    /// Heartbeats at once when the route cache holds a broker not heartbeated yet (a producer
    /// otherwise first heartbeats after `heartbeat_interval`).
    async fn announce_new_brokers(&self) {
        let core = &self.producer.core;
        let brokers = core.instance.routes.broker_addrs();
        let fresh = {
            let mut announced = self.announced.lock().unwrap_or_else(|e| e.into_inner());
            let before = announced.len();
            announced.extend(brokers);
            announced.len() != before
        };
        if fresh {
            core.instance.heartbeat_all().await;
        }
    }

    /// Stops answering check-backs and shuts the producer down.
    pub async fn shutdown(&self) {
        self.tasks.shutdown().await;
        self.producer.shutdown().await;
    }

    /// Sends `msg` as a half message, runs the local transaction with `arg`, and tells the
    /// broker the outcome.
    pub async fn send_message_in_transaction(
        &self,
        msg: Message,
        arg: &(dyn Any + Send + Sync),
    ) -> Result<TransactionSendResult, ClientError> {
        self.producer.check_running()?;
        if msg.delay_level != 0 || msg.deliver_at_ms.is_some() {
            return Err(ClientError::InvalidArgument(
                "a transactional message cannot be delayed".into(),
            ));
        }
        let core = &self.producer.core;
        let send = send_one_flagged(core, msg.clone(), SYS_FLAG_TRANSACTION_PREPARED).await?;
        self.announce_new_brokers().await;
        let local_state = if send.status == SendStatus::SendOk {
            let listener = &self.listener;
            run_blocking(|| listener.execute_local_transaction(&msg, arg))
        } else {
            LocalTransactionState::Rollback
        };
        if let Err(e) = end_transaction(core, &msg.topic, &send, local_state).await {
            tracing::warn!(msg_id = %send.msg_id, error = %e,
                "cannot send the transaction's outcome; the broker will check back");
        }
        Ok(TransactionSendResult { send, local_state })
    }
}

impl Drop for TransactionProducer {
    fn drop(&mut self) {
        self.tasks.signal_shutdown();
    }
}

/// Runs a listener call without stalling the runtime's other tasks where that is possible.
fn run_blocking<T>(f: impl FnOnce() -> T) -> T {
    match tokio::runtime::Handle::try_current().map(|h| h.runtime_flavor()) {
        Ok(tokio::runtime::RuntimeFlavor::MultiThread) => tokio::task::block_in_place(f),
        _ => f(),
    }
}

/// The commit-log offset in a send result's offset id (its last 16 hex characters).
fn half_offset(send: &SendResult) -> Result<u64, ClientError> {
    let id = &send.offset_msg_id;
    id.get(id.len().saturating_sub(16)..)
        .and_then(|hex| u64::from_str_radix(hex, 16).ok())
        .ok_or_else(|| ClientError::InvalidArgument(format!("offset id `{id}` holds no offset")))
}

async fn end_transaction(
    core: &ProducerCore,
    topic: &str,
    send: &SendResult,
    state: LocalTransactionState,
) -> Result<(), ClientError> {
    let route = core.instance.routes.get(topic, None).await?;
    let addr = route
        .master_addr(&send.queue.broker_name)
        .ok_or_else(|| core.no_route(topic))?
        .to_owned();
    let request = EndTransactionRequest {
        producer_group: core.group.clone(),
        commit_log_offset: half_offset(send)?,
        msg_id: send.msg_id,
        resolution: state.resolution(),
        from_check: false,
    };
    core.instance.pool.get(&addr).await?.oneway(&request).await
}

/// The connection handler: queues a check request (dropping it when the queue is full; the
/// broker asks again) and answers a non-oneway one with an empty `OK`.
fn check_request(
    tx: &mpsc::Sender<CheckTransactionStateRequest>,
    frame: crate::protocol::RawFrame,
) -> Option<Bytes> {
    let request = CheckTransactionStateRequest::decode(&frame.body).ok()?;
    if tx.try_send(request).is_err() {
        tracing::warn!("transaction check queue full; dropping a check-back");
    }
    if frame.header.kind != FrameKind::Request {
        return None;
    }
    let head = ResponseHead {
        status: Status::Ok,
        error_message: String::new(),
    };
    let mut out = BytesMut::new();
    encode_response(
        &frame.header,
        &head,
        Some(&crate::protocol::Empty),
        &mut out,
    )
    .ok()?;
    Some(out.freeze())
}

async fn answer_checks(
    core: Arc<ProducerCore>,
    listener: Arc<dyn TransactionListener>,
    mut rx: mpsc::Receiver<CheckTransactionStateRequest>,
    mut signal: crate::client::shutdown::ShutdownSignal,
) {
    loop {
        let request = tokio::select! {
            r = rx.recv() => match r { Some(r) => r, None => return },
            () = signal.wait() => return,
        };
        if let Err(e) = answer_check(&core, &listener, request).await {
            tracing::warn!(error = %e, "cannot answer a transaction check-back");
        }
    }
}

async fn answer_check(
    core: &ProducerCore,
    listener: &Arc<dyn TransactionListener>,
    request: CheckTransactionStateRequest,
) -> Result<(), ClientError> {
    let mut msg = decode_record(&request.record).map_err(ClientError::Decode)?;
    msg.commit_log_offset = request.commit_log_offset;
    decompress_message(&mut msg).map_err(|e| ClientError::InvalidArgument(e.to_string()))?;
    let msg_id = msg.msg_id;
    let listener = listener.clone();
    let state = tokio::task::spawn_blocking(move || listener.check_local_transaction(&msg))
        .await
        .map_err(|e| {
            ClientError::InvalidArgument(format!("check_local_transaction failed: {e}"))
        })?;
    let end = EndTransactionRequest {
        producer_group: core.group.clone(),
        commit_log_offset: request.commit_log_offset,
        msg_id,
        resolution: state.resolution(),
        from_check: true,
    };
    core.instance
        .pool
        .get(&request.broker_addr)
        .await?
        .oneway(&end)
        .await
}
