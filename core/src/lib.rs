//! ferrocket's client core: the message model, the sans-IO wire codec shared with the broker,
//! and the async Rust client.
//!
//! - [`limits`]: every maximum and default.
//! - [`message`]: `Message` and `MessageExt`.
//! - [`protocol`]: frames, request kinds and the message record, with no I/O.

#![deny(missing_docs)]

pub mod limits;
pub mod message;
pub mod protocol;

pub use message::{Message, MessageExt, MessageId};
