//! The per-producer callback thread: resolves the futures of `Producer.send_async`
//! (`concurrent.futures.Future`) and of `ferrocket.aio.AsyncProducer`'s sends (`asyncio.Future`)
//! in batches, one GIL acquisition per batch.
//!
//! A client task that finishes a send only queues a [`Completion`] (`try_send`: the queue is
//! bounded by the producer's `max_outstanding_async` permits, and each completion holds one,
//! so it is never full); no runtime worker waits for the GIL. The thread takes every completion
//! queued so far (up to [`CALLBACK_BATCH_MAX`]), attaches once, sets the results of the
//! `concurrent.futures` futures directly, and hands the asyncio ones to their event loop with
//! one `loop.call_soon_threadsafe` per loop and batch ([`AioBatch`]), since an asyncio future
//! may only be touched on its loop's thread. A permit is given back when its completion is
//! dropped, after its result is set or scheduled. The thread ends when every sender is gone
//! (the producer's and those of sends still running), so a send that finishes during shutdown
//! is still resolved.

use std::sync::Mutex;

use ferrocket::ClientError;
use pyo3::intern;
use pyo3::prelude::*;
use tokio::sync::{OwnedSemaphorePermit, mpsc};

use crate::error::client_error;
use crate::results::PySendResult;

/// Completions resolved per GIL acquisition at most.
pub const CALLBACK_BATCH_MAX: usize = 256;

/// Who waits for a send.
#[derive(Debug)]
pub enum Waiter {
    /// A `concurrent.futures.Future` (`Producer.send_async`), set from any thread.
    Concurrent(Py<PyAny>),
    /// An `asyncio.Future` and its event loop (`AsyncProducer`), set on the loop's thread.
    Aio {
        /// The loop the future belongs to.
        event_loop: Py<PyAny>,
        /// The future.
        future: Py<PyAny>,
    },
}

/// One finished send: who waits, the result (`None` for a oneway send) and its permit.
#[derive(Debug)]
pub struct Completion {
    /// Who gets the result.
    pub waiter: Waiter,
    /// The send's result.
    pub result: Result<Option<PySendResult>, ClientError>,
    /// Given back once the result is set or scheduled.
    pub permit: OwnedSemaphorePermit,
}

/// A result converted for Python: `Ok(value)` or `Err(exception)`.
pub type Outcome = Result<Py<PyAny>, PyErr>;

/// Asyncio futures to set and their outcomes.
pub type AioItems = Vec<(Py<PyAny>, Outcome)>;

/// Asyncio futures of one loop and their outcomes; called once on that loop's thread.
#[pyclass(module = "ferrocket._native", frozen)]
struct AioBatch {
    items: Mutex<AioItems>,
}

#[pymethods]
impl AioBatch {
    /// Sets every future that is not done yet (a cancelled one stays cancelled).
    fn __call__(&self, py: Python<'_>) {
        let items = std::mem::take(&mut *self.items.lock().unwrap_or_else(|e| e.into_inner()));
        for (future, outcome) in items {
            let future = future.bind(py);
            if future
                .call_method0(intern!(py, "done"))
                .and_then(|d| d.is_truthy())
                .unwrap_or(true)
            {
                continue;
            }
            let set = match outcome {
                Ok(value) => future.call_method1(intern!(py, "set_result"), (value,)),
                Err(e) => future.call_method1(intern!(py, "set_exception"), (e.value(py),)),
            };
            if let Err(e) = set {
                e.write_unraisable(py, Some(future));
            }
        }
    }
}

/// The Python value of a result.
fn outcome(py: Python<'_>, result: Result<Option<PySendResult>, ClientError>) -> Outcome {
    match result {
        Ok(Some(r)) => Py::new(py, r).map(Py::into_any),
        Ok(None) => Ok(py.None()),
        Err(e) => Err(client_error(py, &e)),
    }
}

/// Resolves one batch (GIL held): concurrent futures now, asyncio ones per loop.
fn resolve(py: Python<'_>, batch: Vec<Completion>) {
    let mut loops: Vec<(Py<PyAny>, AioItems)> = Vec::new();
    for Completion {
        waiter,
        result,
        permit,
    } in batch
    {
        let value = outcome(py, result);
        match waiter {
            Waiter::Concurrent(future) => {
                let future = future.bind(py);
                let set = match value {
                    Ok(v) => future.call_method1(intern!(py, "set_result"), (v,)),
                    Err(e) => future.call_method1(intern!(py, "set_exception"), (e.value(py),)),
                };
                if let Err(e) = set {
                    e.write_unraisable(py, Some(future));
                }
            }
            Waiter::Aio { event_loop, future } => {
                match loops.iter_mut().find(|(l, _)| l.is(&event_loop)) {
                    Some((_, items)) => items.push((future, value)),
                    None => loops.push((event_loop, vec![(future, value)])),
                }
            }
        }
        // Given back after the result is set or collected for its loop.
        drop(permit);
    }
    for (event_loop, items) in loops {
        schedule(py, event_loop.bind(py), items);
    }
}

/// Has `event_loop` set `items`' futures on its thread (one `call_soon_threadsafe`).
pub fn schedule(py: Python<'_>, event_loop: &Bound<'_, PyAny>, items: AioItems) {
    let batch = AioBatch {
        items: Mutex::new(items),
    };
    // A closed loop refuses: nobody can await its futures any more.
    let _ = Py::new(py, batch)
        .and_then(|b| event_loop.call_method1(intern!(py, "call_soon_threadsafe"), (b,)));
}

/// The callback thread's loop; returns when every sender is gone or the interpreter is
/// shutting down.
pub fn run_callbacks(mut rx: mpsc::Receiver<Completion>) {
    while let Some(first) = rx.blocking_recv() {
        let mut batch = vec![first];
        while batch.len() < CALLBACK_BATCH_MAX {
            match rx.try_recv() {
                Ok(c) => batch.push(c),
                Err(_) => break,
            }
        }
        if Python::try_attach(|py| resolve(py, batch)).is_none() {
            return;
        }
    }
}
