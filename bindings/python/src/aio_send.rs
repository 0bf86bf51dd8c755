//! How `ferrocket.aio.AsyncProducer` sends: each call returns an `asyncio.Future` of the
//! running loop, made on the caller's thread; the send runs as one runtime task and its result
//! goes to the producer's callback thread (`callbacks`), which resolves the futures of one
//! batch with one `loop.call_soon_threadsafe`. (`pyo3_async_runtimes::future_into_py` costs
//! two tasks, a blocking-pool GIL acquisition and one loop wake-up per result.)
//!
//! A send holds one of the producer's `max_outstanding_async` permits from start to result,
//! as `Producer.send_async` does; when none is free the task waits for one (the loop never
//! blocks). Cancelling the returned future does not stop a send already started (its result is
//! dropped), as with `send_async`. `shutdown` refuses new sends, waits for the result of every
//! send made before it (the callback thread ends only then) without blocking the loop, and
//! shuts the client down.

use std::future::Future;
use std::sync::Arc;

use ferrocket::ClientError;
use pyo3::intern;
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;

use crate::callbacks::{Completion, Waiter, schedule};
use crate::error::client_error;
use crate::producer::ProducerState;
use crate::results::PySendResult;
use crate::runtime::runtime;

/// `asyncio.get_running_loop`, looked up once.
static GET_RUNNING_LOOP: PyOnceLock<Py<PyAny>> = PyOnceLock::new();

/// What an asyncio send resolves to: a `SendResult`, or `None` for a oneway send.
pub type AioSent = Result<Option<PySendResult>, ClientError>;

impl ProducerState {
    /// Starts `send` and returns the `asyncio.Future` of the running loop that gets its result
    /// (an error before the start, such as `NotStarted`, is set on it at once).
    pub fn send_aio<'py, F>(&self, py: Python<'py>, send: F) -> PyResult<Bound<'py, PyAny>>
    where
        F: Future<Output = AioSent> + Send + 'static,
    {
        let event_loop = GET_RUNNING_LOOP
            .import(py, "asyncio", "get_running_loop")?
            .call0()?;
        let future = event_loop.call_method0(intern!(py, "create_future"))?;
        let tx = match self.sender() {
            Ok(tx) => tx,
            Err(e) => {
                let error = client_error(py, &e);
                future.call_method1(intern!(py, "set_exception"), (error.value(py),))?;
                return Ok(future);
            }
        };
        let ready = self.permits.clone().try_acquire_owned().ok();
        let permits = self.permits.clone();
        let waiter = Waiter::Aio {
            event_loop: event_loop.unbind(),
            future: future.clone().unbind(),
        };
        runtime().spawn(async move {
            let permit = match ready {
                Some(permit) => permit,
                None => match permits.acquire_owned().await {
                    Ok(permit) => permit,
                    // Shut down while waiting: nothing holds a slot for this result.
                    Err(_) => return refuse(waiter).await,
                },
            };
            let result = send.await;
            // Never full: each queued completion holds a permit (see `callbacks`).
            let _ = tx.try_send(Completion {
                waiter,
                result,
                permit,
            });
        });
        Ok(future)
    }

    /// The asyncio `shutdown`: refuses new sends, waits (on the blocking pool) for the
    /// callback thread, which ends once every send accepted so far is resolved, then shuts
    /// the client down.
    pub async fn shutdown_aio(self: Arc<Self>) {
        if let Some((_, handle)) = self.stop_callbacks() {
            let _ = tokio::task::spawn_blocking(move || handle.join()).await;
        }
        self.permits.close();
        self.inner.shutdown().await;
    }
}

/// Sets `ShutDown` on a send's future that never started (rare: a shutdown raced it).
async fn refuse(waiter: Waiter) {
    let Waiter::Aio { event_loop, future } = waiter else {
        return;
    };
    let _ = tokio::task::spawn_blocking(move || {
        Python::try_attach(|py| {
            let error = client_error(py, &ClientError::ShutDown);
            schedule(py, event_loop.bind(py), vec![(future, Err(error))]);
        })
    })
    .await;
}
