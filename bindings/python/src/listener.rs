//! Python listeners as the Rust client's listener traits.
//!
//! A sync listener (`PushConsumer`) is called on the client's consume threads: each call
//! attaches to the interpreter (`Python::try_attach`, so a call during interpreter shutdown
//! is refused instead of panicking), builds the `MessageExt` list and calls the function. An
//! async listener (`ferrocket.aio.AsyncPushConsumer`) is called on a blocking-pool thread that
//! turns the coroutine it returns into a Rust future run on the consumer's event loop; the
//! runtime's workers never wait for the GIL.
//!
//! What a listener returns decides the batch: `ConsumeResult.SUCCESS` consumes it; anything
//! else redelivers it (`RECONSUME_LATER` / `SUSPEND`). A listener that raises, returns `None`
//! or returns something that is not a `ConsumeResult` counts as `RECONSUME_LATER` and is
//! logged on the `ferrocket` logger (RocketMQ treats a null status the same way).

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use ferrocket::MessageExt;
use ferrocket::client::push_consumer::{
    AsyncMessageListenerConcurrently, AsyncMessageListenerOrderly, BoxFuture,
    ConsumeConcurrentlyContext, ConsumeConcurrentlyStatus, ConsumeOrderlyContext,
    ConsumeOrderlyStatus, MessageListener, MessageListenerConcurrently, MessageListenerOrderly,
};
use pyo3::prelude::*;
use pyo3_async_runtimes::TaskLocals;

use crate::enums::{Consumed, consume_result};
use crate::logging::{ERROR, WARNING, log};
use crate::message::message_list;

/// A Python listener function (or an object with a `consume` method).
#[derive(Debug)]
pub struct PyListener {
    func: Py<PyAny>,
}

impl PyListener {
    /// The callable of `obj`: `obj` itself, or its `consume` method.
    pub fn new(obj: &Bound<'_, PyAny>) -> PyResult<PyListener> {
        let func = if obj.is_callable() {
            obj.clone()
        } else if let Ok(consume) = obj.getattr("consume") {
            consume
        } else {
            return Err(crate::error::invalid_argument(
                obj.py(),
                "a listener is a callable fn(msgs) -> ConsumeResult or an object with consume(msgs)",
            ));
        };
        Ok(PyListener {
            func: func.unbind(),
        })
    }

    /// Calls the listener with `msgs` and reads its answer.
    fn call(&self, msgs: &[MessageExt]) -> Consumed {
        Python::try_attach(|py| {
            let list = match message_list(py, msgs) {
                Ok(list) => list,
                Err(e) => return failed(py, &e, msgs.len()),
            };
            match self.func.bind(py).call1((list,)) {
                Ok(answer) => read_answer(&answer, msgs.len()),
                Err(e) => failed(py, &e, msgs.len()),
            }
        })
        .unwrap_or(Consumed::Later)
    }

    /// The listener as a sync concurrent or orderly Rust listener.
    pub fn into_sync(self, orderly: bool) -> MessageListener {
        let me = Arc::new(self);
        if orderly {
            MessageListener::orderly(SyncOrderly(me))
        } else {
            MessageListener::concurrently(SyncConcurrent(me))
        }
    }

    /// The listener as an async Rust listener whose coroutines run on `locals`' event loop.
    pub fn into_async(self, orderly: bool, locals: TaskLocals) -> MessageListener {
        let me = Arc::new(AsyncListener {
            listener: self,
            locals,
        });
        if orderly {
            MessageListener::async_orderly(AsyncOrderly(me))
        } else {
            MessageListener::async_concurrently(AsyncConcurrent(me))
        }
    }
}

/// Logs a listener failure; the batch is redelivered.
fn failed(py: Python<'_>, e: &PyErr, count: usize) -> Consumed {
    log(
        py,
        ERROR,
        &format!("listener raised; its {count} message(s) will be consumed again later"),
        Some(e),
    );
    Consumed::Later
}

/// Reads a listener's return value; see the module doc.
fn read_answer(answer: &Bound<'_, PyAny>, count: usize) -> Consumed {
    let py = answer.py();
    match consume_result(answer) {
        Ok(Some(consumed)) => consumed,
        Ok(None) => {
            let shown = answer
                .repr()
                .map_or_else(|_| "?".to_owned(), |r| r.to_string());
            log(
                py,
                WARNING,
                &format!(
                    "listener returned {shown}, not a ConsumeResult; its {count} message(s) \
                     will be consumed again later (return ConsumeResult.SUCCESS when done)"
                ),
                None,
            );
            Consumed::Later
        }
        Err(e) => failed(py, &e, count),
    }
}

#[derive(Debug)]
struct SyncConcurrent(Arc<PyListener>);

impl MessageListenerConcurrently for SyncConcurrent {
    fn consume_message(
        &self,
        msgs: &[MessageExt],
        _ctx: &mut ConsumeConcurrentlyContext,
    ) -> ConsumeConcurrentlyStatus {
        self.0.call(msgs).concurrently()
    }
}

#[derive(Debug)]
struct SyncOrderly(Arc<PyListener>);

impl MessageListenerOrderly for SyncOrderly {
    fn consume_message(
        &self,
        msgs: &[MessageExt],
        _ctx: &mut ConsumeOrderlyContext,
    ) -> ConsumeOrderlyStatus {
        self.0.call(msgs).orderly()
    }
}

type PyFuture = Pin<Box<dyn Future<Output = PyResult<Py<PyAny>>> + Send>>;

/// What starting an async listener call gave.
enum Started {
    /// The listener answered at once (a plain function, or it raised).
    Done(Consumed),
    /// The listener returned an awaitable, now scheduled on the event loop.
    Pending(PyFuture),
}

/// An async listener and the event loop its coroutines run on.
struct AsyncListener {
    listener: PyListener,
    locals: TaskLocals,
}

impl std::fmt::Debug for AsyncListener {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AsyncListener").finish_non_exhaustive()
    }
}

impl AsyncListener {
    /// Calls the function and schedules the awaitable it returns (GIL held).
    fn start(&self, py: Python<'_>, msgs: &[MessageExt]) -> Started {
        let count = msgs.len();
        let answer =
            message_list(py, msgs).and_then(|list| self.listener.func.bind(py).call1((list,)));
        let answer = match answer {
            Ok(answer) => answer,
            Err(e) => return Started::Done(failed(py, &e, count)),
        };
        if !answer.hasattr("__await__").unwrap_or(false) {
            return Started::Done(read_answer(&answer, count));
        }
        match pyo3_async_runtimes::into_future_with_locals(&self.locals, answer) {
            Ok(fut) => Started::Pending(Box::pin(fut)),
            Err(e) => Started::Done(failed(py, &e, count)),
        }
    }

    /// One listener call, from start to answer.
    async fn consume(self: Arc<Self>, msgs: Vec<MessageExt>) -> Consumed {
        let count = msgs.len();
        let me = self.clone();
        let started =
            tokio::task::spawn_blocking(move || Python::try_attach(|py| me.start(py, &msgs))).await;
        let fut = match started {
            Ok(Some(Started::Pending(fut))) => fut,
            Ok(Some(Started::Done(consumed))) => return consumed,
            _ => return Consumed::Later,
        };
        let outcome = fut.await;
        let read = tokio::task::spawn_blocking(move || {
            Python::try_attach(|py| match outcome {
                Ok(answer) => read_answer(answer.bind(py), count),
                Err(e) => failed(py, &e, count),
            })
        })
        .await;
        match read {
            Ok(Some(consumed)) => consumed,
            _ => Consumed::Later,
        }
    }
}

#[derive(Debug)]
struct AsyncConcurrent(Arc<AsyncListener>);

impl AsyncMessageListenerConcurrently for AsyncConcurrent {
    fn consume_message(
        &self,
        msgs: Vec<MessageExt>,
        _ctx: ConsumeConcurrentlyContext,
    ) -> BoxFuture<ConsumeConcurrentlyStatus> {
        let listener = self.0.clone();
        Box::pin(async move { listener.consume(msgs).await.concurrently() })
    }
}

#[derive(Debug)]
struct AsyncOrderly(Arc<AsyncListener>);

impl AsyncMessageListenerOrderly for AsyncOrderly {
    fn consume_message(
        &self,
        msgs: Vec<MessageExt>,
        _ctx: ConsumeOrderlyContext,
    ) -> BoxFuture<ConsumeOrderlyStatus> {
        let listener = self.0.clone();
        Box::pin(async move { listener.consume(msgs).await.orderly() })
    }
}
