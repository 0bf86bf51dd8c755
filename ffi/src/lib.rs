//! `libferrocket`: the C ABI over ferrocket's Rust client (`include/ferrocket.h` is generated
//! from this crate by cbindgen; see `ffi/cbindgen.toml`).
//!
//! The crate holds no client logic: retries, routing, defaults and offsets live in
//! `ferrocket::client`; this crate converts C arguments to Rust values, Rust results and
//! `ClientError`s to C structs and `ferrocket_status_t` (one mapping, in [`error`]), and runs
//! the async client under a blocking API ([`runtime`]: one tokio runtime per handle).
//!
//! Rules every exported function keeps: its body runs under `catch_unwind` (a panic becomes
//! `FERROCKET_ERR_PANIC`); a NULL pointer gives `FERROCKET_ERR_INVALID_ARGUMENT`; enums that
//! come from C are plain integers checked before use; `_destroy(NULL)` does nothing; every
//! `unsafe` block says why it is sound.
//!
//! - [`config`]: `ferrocket_config_t`, string keys checked when set.
//! - [`message`]: `ferrocket_message_t`, a message to send.
//! - [`message_ext`]: `ferrocket_message_ext_t`, a received message, and record decoding.
//! - [`producer`] and [`send_result`]: the producer and what a send returns.
//! - [`pull_consumer`] and [`queue`]: the pull consumer and queue references.
//! - [`push_consumer`]: the push consumer and its concurrent or orderly C listener.
//! - [`transaction_producer`]: transactional sends with execute and check callbacks.
//! - [`gate`]: how `_shutdown` waits for running C callbacks.
//! - [`log`]: routing the client's log events to a C callback.

#![allow(unsafe_code)]
#![allow(non_camel_case_types)]

pub mod args;
pub mod config;
pub mod error;
pub mod gate;
pub mod log;
pub mod message;
pub mod message_ext;
pub mod producer;
pub mod pull_consumer;
pub mod push_consumer;
pub mod queue;
pub mod runtime;
pub mod send_result;
pub mod transaction_producer;

use std::ffi::c_char;

/// The library version (`"0.1.0"`), a static string.
///
/// Ownership: static; never free it. Threads: any. Blocks: never.
#[unsafe(no_mangle)]
pub extern "C" fn ferrocket_version() -> *const c_char {
    concat!(env!("CARGO_PKG_VERSION"), "\0").as_ptr().cast()
}
