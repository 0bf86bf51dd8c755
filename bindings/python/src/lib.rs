//! `ferrocket._native`: the Python SDK's extension module, a thin pyo3 layer over the Rust
//! client in `core/` (crate `ferrocket`). Every retry, routing, rebalance and offset rule lives
//! there; this crate only converts values, errors, listeners and waiting.
//!
//! - [`runtime`]: the shared tokio runtime and how Python threads wait on it (GIL released,
//!   Ctrl-C checked between slices).
//! - [`error`]: the exception tree under `FerrocketError`, mapped from `ClientError::code()`.
//! - [`enums`]: `SendStatus`, `ConsumeResult`, `TransactionState` (real `enum.Enum`s).
//! - [`message`], [`queue`], [`results`]: `Message`, `MessageExt`, `MessageQueue`, `Sql`, `SendResult`,
//!   `TransactionSendResult`.
//! - [`producer`], [`push_consumer`], [`pull_consumer`], [`transaction`]: the sync clients;
//!   [`aio`], [`aio_pull`], [`aio_send`]: their asyncio twins; [`callbacks`]: the thread that
//!   resolves send futures in batches; [`listener`]: Python listeners as Rust listener traits.
//! - [`options`]: `**options` as builder settings; [`logging`]: `tracing` events to Python's
//!   `logging`; [`lifecycle`]: shutting started clients down at interpreter exit.
//!
//! The Python package (`bindings/python/python/ferrocket/`) re-exports this module, adds the
//! `NullHandler` and registers the exit hook.

mod aio;
mod aio_pull;
mod aio_send;
mod callbacks;
mod enums;
mod error;
mod lifecycle;
mod listener;
mod logging;
mod message;
mod options;
mod producer;
mod pull_consumer;
mod push_consumer;
mod queue;
mod results;
mod runtime;
mod transaction;

use pyo3::prelude::*;

/// The extension module.
#[pymodule]
fn _native(m: &Bound<'_, PyModule>) -> PyResult<()> {
    error::register(m)?;
    enums::register(m)?;
    logging::install(m.py())?;
    m.add_class::<message::PyMessage>()?;
    m.add_class::<message::PyMessageExt>()?;
    m.add_class::<queue::PyMessageQueue>()?;
    m.add_class::<queue::PySql>()?;
    m.add_class::<results::PySendResult>()?;
    m.add_class::<results::PyTransactionSendResult>()?;
    m.add_class::<producer::PyProducer>()?;
    m.add_class::<push_consumer::PyPushConsumer>()?;
    m.add_class::<pull_consumer::PyPullConsumer>()?;
    m.add_class::<transaction::PyTransactionProducer>()?;
    m.add_class::<aio::PyAsyncProducer>()?;
    m.add_class::<aio::PyAsyncPushConsumer>()?;
    m.add_class::<aio_pull::PyAsyncPullConsumer>()?;
    m.add_function(wrap_pyfunction!(lifecycle::_shutdown_all, m)?)?;
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    Ok(())
}
