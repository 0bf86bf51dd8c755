//! The async Rust client: connections, routes, the `Producer`, the `PullConsumer` and `Admin`.
//!
//! Every retry, routing, batching and offset rule lives here, once; the C, Python and Node SDKs
//! wrap these types and only convert values and errors.
//!
//! - [`connection`]: one multiplexed TCP connection (pipelined by correlation id) and its
//!   reader and writer tasks; [`pool`] keeps one per address and reconnects on demand.
//! - [`route`]: name servers, `QueryRoute` with failover, the route cache and the queue lists
//!   derived from a route.
//! - [`producer`]: sync, async, oneway, orderly and batch sends with retries on another broker
//!   and latency fault tolerance ([`fault`], [`selector`]).
//! - [`pull_consumer`]: RocketMQ's lite pull consumer: assign or subscribe, `poll`, `commit`,
//!   `seek`, `pause`; per-queue long-polling fetch tasks fill bounded buffers.
//! - [`push_consumer`]: RocketMQ's push consumer: concurrent or orderly listeners on consume
//!   threads, clustering (rebalanced with an [`allocate`] strategy) or broadcasting, retry and
//!   dead-letter queues through send-back.
//! - [`admin`]: topic and offset administration against one broker.
//! - [`error`]: `ClientError` and its stable numeric codes; [`validate`]: name rules shared with
//!   the broker.
//!
//! Concurrency: every channel is bounded, every spawned task belongs to a [`shutdown::Tasks`]
//! owner that signals it and joins it on shutdown, and std `Mutex`es are never held across an
//! `.await`. Lock order: a consumer's assignment table before any queue's state; no other lock
//! is taken while one of these is held.

pub mod admin;
pub mod admin_message;
pub mod allocate;
pub mod compression;
pub mod config;
pub mod connection;
pub mod error;
pub mod fault;
pub(crate) mod instance;
pub mod msg_id;
pub mod pool;
pub mod producer;
pub mod pull_consumer;
pub mod push_consumer;
pub(crate) mod queue_state;
pub(crate) mod replica;
pub(crate) mod reset_notice;
pub mod route;
pub mod selector;
pub(crate) mod send;
pub mod shutdown;
pub mod subscription;
pub mod transaction;
pub mod validate;

#[cfg(test)]
mod tests;

pub use admin::Admin;
pub use config::{ClientConfig, ConsumeFrom};
pub use connection::{ConnectOptions, Connection, Reply, RequestHandler};
pub use error::ClientError;
pub use msg_id::MessageIdGenerator;
pub use pool::ConnectionPool;
pub use producer::{Producer, ProducerBuilder, SendBatchResult, SendResult, SendStatus};
pub use pull_consumer::{PullConsumer, PullConsumerBuilder};
pub use push_consumer::{PushConsumer, PushConsumerBuilder};
pub use route::{MessageQueue, NameServers, TopicRouteInfo};
pub use subscription::Selector;
pub use transaction::{
    LocalTransactionState, TransactionListener, TransactionProducer, TransactionSendResult,
};
