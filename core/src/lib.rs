//! ferrocket's client core: the message model, the sans-IO wire codec shared with the broker,
//! and the async Rust client.
//!
//! - [`limits`]: every maximum and default.
//! - [`message`]: `Message` and `MessageExt`.
//! - [`protocol`]: frames, request kinds and the message record, with no I/O.
//! - [`client`]: the async client: `Producer`, `PullConsumer`, `Admin` and what they share.

#![deny(missing_docs)]

pub mod client;
pub mod limits;
pub mod message;
pub mod protocol;

pub use client::{
    Admin, ClientConfig, ClientError, ConsumeFrom, MessageQueue, Producer, PullConsumer,
    PushConsumer, Selector, SendBatchResult, SendResult, SendStatus,
};
pub use client::{
    LocalTransactionState, TransactionListener, TransactionProducer, TransactionSendResult,
};
pub use message::{Message, MessageExt, MessageId};
