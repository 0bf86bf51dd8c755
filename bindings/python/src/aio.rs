//! `ferrocket.aio`: `AsyncProducer` and `AsyncPushConsumer` (and, in `aio_pull.rs`,
//! `AsyncPullConsumer`), whose calls return awaitables
//! (`pyo3_async_runtimes::tokio::future_into_py`) instead of blocking.
//!
//! They share the sync classes' state (`ProducerState`, `PushState`, `PullState`) and settings;
//! only how a call is waited for differs. A client future never takes the GIL: its result is
//! converted by `Fallible` when `pyo3_async_runtimes` resolves the asyncio future, except the
//! producer's sends, which the producer's callback thread resolves in batches (`aio_send`). An
//! `AsyncPushConsumer` runs its `async def` listener on the event loop that awaited `start()`.

use std::sync::Arc;

use ferrocket::ClientError;
use pyo3::exceptions::PyRuntimeError;
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyTuple};
use pyo3_async_runtimes::tokio::future_into_py;

use crate::error::{Fallible, client_error};
use crate::lifecycle::{Closeable, track};
use crate::message::{PyMessage, PyMessageQueue};
use crate::producer::{ProducerState, producer_builder};
use crate::push_consumer::{PushArgs, PushState, push_builder};
use crate::results::PySendResult;

/// The asyncio producer.
#[pyclass(module = "ferrocket.aio", name = "AsyncProducer", frozen)]
#[derive(Debug)]
pub struct PyAsyncProducer {
    state: Arc<ProducerState>,
}

#[pymethods]
impl PyAsyncProducer {
    #[new]
    #[pyo3(signature = (group, namesrv="127.0.0.1:9876", **options))]
    fn new(
        py: Python<'_>,
        group: &str,
        namesrv: &str,
        options: Option<&Bound<'_, PyDict>>,
    ) -> PyResult<PyAsyncProducer> {
        let (builder, outstanding) =
            producer_builder(py, "AsyncProducer", (group, namesrv), options)?;
        let producer = builder.build().map_err(|e| client_error(py, &e))?;
        Ok(PyAsyncProducer {
            state: ProducerState::new(producer, outstanding),
        })
    }

    #[getter]
    fn group(&self) -> &str {
        self.state.inner.group()
    }

    fn start<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        let state = self.state.clone();
        future_into_py(py, async move {
            let started = state.inner.start().await;
            if started.is_ok() {
                state.start_callbacks().map_err(no_thread)?;
            }
            Ok(Fallible(started))
        })
    }

    fn shutdown<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        let state = self.state.clone();
        future_into_py(py, async move {
            state.shutdown_aio().await;
            Ok(())
        })
    }

    fn send<'py>(
        &self,
        py: Python<'py>,
        msg: PyRef<'py, PyMessage>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let (p, m) = (self.state.inner.clone(), msg.inner.clone());
        self.state
            .send_aio(py, async move { p.send(m).await.map(sent) })
    }

    fn send_oneway<'py>(
        &self,
        py: Python<'py>,
        msg: PyRef<'py, PyMessage>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let (p, m) = (self.state.inner.clone(), msg.inner.clone());
        self.state
            .send_aio(py, async move { p.send_oneway(m).await.map(|()| None) })
    }

    fn send_orderly<'py>(
        &self,
        py: Python<'py>,
        msg: PyRef<'py, PyMessage>,
        sharding_key: String,
    ) -> PyResult<Bound<'py, PyAny>> {
        let (p, m) = (self.state.inner.clone(), msg.inner.clone());
        self.state.send_aio(py, async move {
            p.send_orderly(m, &sharding_key).await.map(sent)
        })
    }

    fn send_to_queue<'py>(
        &self,
        py: Python<'py>,
        msg: PyRef<'py, PyMessage>,
        queue: PyMessageQueue,
    ) -> PyResult<Bound<'py, PyAny>> {
        let (p, m) = (self.state.inner.clone(), msg.inner.clone());
        self.state.send_aio(py, async move {
            p.send_to_queue(m, &queue.inner).await.map(sent)
        })
    }

    fn send_batch<'py>(
        &self,
        py: Python<'py>,
        msgs: Vec<PyRef<'py, PyMessage>>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let p = self.state.inner.clone();
        let batch: Vec<_> = msgs.iter().map(|m| m.inner.clone()).collect();
        self.state
            .send_aio(py, async move { p.send_batch(batch).await.map(sent) })
    }

    fn __aenter__<'py>(slf: Bound<'py, Self>) -> PyResult<Bound<'py, PyAny>> {
        let py = slf.py();
        let state = slf.get().state.clone();
        let me = slf.unbind();
        future_into_py(py, async move {
            let started = match state.inner.start().await {
                Ok(()) => {
                    state.start_callbacks().map_err(no_thread)?;
                    Ok(me)
                }
                Err(ClientError::AlreadyStarted) => Ok(me),
                Err(e) => Err(e),
            };
            Ok(Fallible(started))
        })
    }

    #[pyo3(signature = (*_exc))]
    fn __aexit__<'py>(
        &self,
        py: Python<'py>,
        _exc: &Bound<'py, PyTuple>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let state = self.state.clone();
        future_into_py(py, async move {
            state.shutdown_aio().await;
            Ok(false)
        })
    }
}

/// A send's result for the callback thread.
fn sent<R: Into<PySendResult>>(r: R) -> Option<PySendResult> {
    Some(r.into())
}

/// The error of a callback thread that could not be started.
fn no_thread(e: std::io::Error) -> PyErr {
    PyRuntimeError::new_err(format!("cannot start a thread: {e}"))
}

/// The asyncio push consumer: `async def` listeners run on the event loop.
#[pyclass(module = "ferrocket.aio", name = "AsyncPushConsumer", frozen)]
#[derive(Debug)]
pub struct PyAsyncPushConsumer {
    state: Arc<PushState>,
}

#[pymethods]
impl PyAsyncPushConsumer {
    #[new]
    #[pyo3(signature = (group, namesrv="127.0.0.1:9876", *, orderly=false, model="clustering",
        threads=20, consume_from=None, **options),
        text_signature = "(group, namesrv='127.0.0.1:9876', *, orderly=False, \
            model='clustering', threads=20, consume_from='last', **options)")]
    #[allow(clippy::too_many_arguments)]
    fn new(
        py: Python<'_>,
        group: &str,
        namesrv: &str,
        orderly: bool,
        model: &str,
        threads: usize,
        consume_from: Option<Bound<'_, PyAny>>,
        options: Option<&Bound<'_, PyDict>>,
    ) -> PyResult<PyAsyncPushConsumer> {
        let args = PushArgs {
            group,
            namesrv,
            model,
            threads,
            consume_from: consume_from.as_ref(),
        };
        let builder = push_builder(py, "AsyncPushConsumer", &args, options)?;
        Ok(PyAsyncPushConsumer {
            state: PushState::new(group, orderly, builder),
        })
    }

    #[getter]
    fn group(&self) -> &str {
        &self.state.group
    }

    #[pyo3(signature = (topic, expression=None), text_signature = "(self, topic, expression='*')")]
    fn subscribe(
        &self,
        py: Python<'_>,
        topic: &str,
        expression: Option<Bound<'_, PyAny>>,
    ) -> PyResult<()> {
        self.state.subscribe(py, topic, expression.as_ref())
    }

    fn listener<'py>(
        &self,
        py: Python<'py>,
        func: Bound<'py, PyAny>,
    ) -> PyResult<Bound<'py, PyAny>> {
        self.state.set_listener(py, &func)?;
        Ok(func)
    }

    fn start<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        start_push(py, &self.state, py.None())
    }

    fn shutdown<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        let consumer = self.state.stop();
        future_into_py(py, async move {
            if let Some(c) = consumer {
                c.shutdown().await;
            }
            Ok(())
        })
    }

    fn assignment(&self) -> Vec<PyMessageQueue> {
        self.state.assignment()
    }

    fn __aenter__<'py>(slf: Bound<'py, Self>) -> PyResult<Bound<'py, PyAny>> {
        let py = slf.py();
        let state = slf.get().state.clone();
        if state.consumer().is_some() {
            let me = slf.unbind();
            return future_into_py(py, async move { Ok(me) });
        }
        start_push(py, &state, slf.into_any().unbind())
    }

    #[pyo3(signature = (*_exc))]
    fn __aexit__<'py>(
        &self,
        py: Python<'py>,
        _exc: &Bound<'py, PyTuple>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let consumer = self.state.stop();
        future_into_py(py, async move {
            if let Some(c) = consumer {
                c.shutdown().await;
            }
            Ok(false)
        })
    }
}

/// Builds and starts an async push consumer; the awaitable resolves to `result`.
fn start_push<'py>(
    py: Python<'py>,
    state: &Arc<PushState>,
    result: Py<PyAny>,
) -> PyResult<Bound<'py, PyAny>> {
    let locals = pyo3_async_runtimes::tokio::get_current_locals(py)?;
    let orderly = state.orderly;
    let Some(consumer) = state.build(py, |l| l.into_async(orderly, locals))? else {
        return Err(client_error(py, &ClientError::AlreadyStarted));
    };
    let state = state.clone();
    future_into_py(py, async move {
        let started = consumer.start().await;
        if started.is_ok() {
            track(state as Arc<dyn Closeable>);
        }
        Ok(Fallible(started.map(|()| result)))
    })
}
