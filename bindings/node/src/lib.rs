//! ferrocket's Node SDK: `require('ferrocket')` (or `import`) gives Promise-returning
//! `Producer`, `TransactionProducer`, `PushConsumer` (concurrent or orderly listeners) and
//! `PullConsumer` (`poll`, `commit`, `seek`, `for await`), with TypeScript types generated from
//! this crate into `index.d.ts`.
//!
//! The binding holds no client logic: every retry, rebalance, flow-control and offset rule is
//! the Rust client's (`ferrocket::client`); these modules convert values (`message`,
//! `options`), errors (`error`: every failure is a `FerrocketError` with a stable `code`), and
//! calls between threads (`listener`, `transaction`: thread-safe functions into the JavaScript
//! thread). Every I/O call runs on napi's tokio runtime and returns a Promise.

mod error;
mod listener;
mod message;
mod options;
mod packed;
mod producer;
mod pull_consumer;
mod push_consumer;
mod record;
mod transaction;

use napi::Env;
use napi::bindgen_prelude::Object;
use napi_derive::napi;

/// Runs when the addon loads in a Node environment: defines `FerrocketError` there.
#[napi(module_exports)]
pub fn init(mut exports: Object, env: Env) -> napi::Result<()> {
    error::install(&env, &mut exports)
}
