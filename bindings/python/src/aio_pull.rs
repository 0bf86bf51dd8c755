//! `ferrocket.aio.AsyncPullConsumer`: the pull consumer whose calls return awaitables, and
//! `async for msg in consumer` (one message per `__anext__`, so a commit in the loop commits
//! what the loop has seen; `StopAsyncIteration` once the consumer is shut down).

use std::sync::Arc;

use ferrocket::{ClientError, MessageExt};
use pyo3::exceptions::PyStopAsyncIteration;
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyTuple};
use pyo3_async_runtimes::tokio::future_into_py;

use crate::error::{Fallible, client_error};
use crate::lifecycle::track;
use crate::message::{PyMessageExt, PyMessageQueue, selector_from};
use crate::pull_consumer::{PullState, next_message, poll, poll_timeout};
use crate::runtime::entered;

/// Received messages as Python objects (converted with the GIL, when the future resolves).
fn ext_list(msgs: Vec<MessageExt>) -> Vec<PyMessageExt> {
    msgs.into_iter()
        .map(|inner| PyMessageExt { inner })
        .collect()
}

/// The next message of an `async for`, or `StopAsyncIteration` once shut down.
struct Next(Result<Option<MessageExt>, ClientError>);

impl<'py> IntoPyObject<'py> for Next {
    type Target = PyAny;
    type Output = Bound<'py, PyAny>;
    type Error = PyErr;

    fn into_pyobject(self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        match self.0 {
            Ok(Some(inner)) => Ok(Bound::new(py, PyMessageExt { inner })?.into_any()),
            Ok(None) => Err(PyStopAsyncIteration::new_err(())),
            Err(e) => Err(client_error(py, &e)),
        }
    }
}

/// The asyncio pull consumer: `async for msg in consumer`.
#[pyclass(module = "ferrocket.aio", name = "AsyncPullConsumer", frozen)]
#[derive(Debug)]
pub struct PyAsyncPullConsumer {
    state: Arc<PullState>,
}

#[pymethods]
impl PyAsyncPullConsumer {
    #[new]
    #[pyo3(signature = (group, namesrv="127.0.0.1:9876", *, consume_from=None, **options),
        text_signature = "(group, namesrv='127.0.0.1:9876', *, consume_from='last', **options)")]
    fn new(
        py: Python<'_>,
        group: &str,
        namesrv: &str,
        consume_from: Option<Bound<'_, PyAny>>,
        options: Option<&Bound<'_, PyDict>>,
    ) -> PyResult<PyAsyncPullConsumer> {
        let args = (group, namesrv, consume_from.as_ref());
        Ok(PyAsyncPullConsumer {
            state: PullState::new(py, "AsyncPullConsumer", args, options)?,
        })
    }

    #[getter]
    fn group(&self) -> &str {
        self.state.inner.group()
    }

    #[pyo3(signature = (topic, expression=None), text_signature = "(self, topic, expression='*')")]
    fn subscribe<'py>(
        &self,
        py: Python<'py>,
        topic: String,
        expression: Option<Bound<'py, PyAny>>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let selector = selector_from(expression.as_ref())?;
        let c = self.state.inner.clone();
        future_into_py(py, async move {
            Ok(Fallible(c.subscribe(&topic, selector).await))
        })
    }

    fn assign(&self, py: Python<'_>, queues: Vec<PyMessageQueue>) -> PyResult<()> {
        let queues = queues.into_iter().map(|q| q.inner).collect();
        entered(|| self.state.inner.assign(queues)).map_err(|e| client_error(py, &e))
    }

    fn assignment(&self) -> Vec<PyMessageQueue> {
        let queues = self.state.inner.assignment();
        queues
            .into_iter()
            .map(|inner| PyMessageQueue { inner })
            .collect()
    }

    fn fetch_message_queues<'py>(
        &self,
        py: Python<'py>,
        topic: String,
    ) -> PyResult<Bound<'py, PyAny>> {
        let config = self.state.config();
        future_into_py(py, async move {
            Ok(Fallible(
                PullState::fetch_message_queues(config, topic).await,
            ))
        })
    }

    fn start<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        let state = self.state.clone();
        future_into_py(py, async move {
            let started = state.inner.start().await;
            if started.is_ok() {
                track(state);
            }
            Ok(Fallible(started))
        })
    }

    fn shutdown<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        let c = self.state.inner.clone();
        future_into_py(py, async move {
            c.shutdown().await;
            Ok(())
        })
    }

    #[pyo3(signature = (timeout=None))]
    fn poll<'py>(&self, py: Python<'py>, timeout: Option<f64>) -> PyResult<Bound<'py, PyAny>> {
        let timeout = poll_timeout(py, timeout)?;
        let c = self.state.inner.clone();
        future_into_py(py, async move {
            Ok(Fallible(poll(c, timeout).await.map(ext_list)))
        })
    }

    fn commit<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        let c = self.state.inner.clone();
        future_into_py(py, async move { Ok(Fallible(c.commit().await)) })
    }

    fn committed<'py>(
        &self,
        py: Python<'py>,
        queue: PyMessageQueue,
    ) -> PyResult<Bound<'py, PyAny>> {
        let c = self.state.inner.clone();
        future_into_py(
            py,
            async move { Ok(Fallible(c.committed(&queue.inner).await)) },
        )
    }

    fn seek(&self, py: Python<'_>, queue: PyMessageQueue, offset: u64) -> PyResult<()> {
        entered(|| self.state.inner.seek(&queue.inner, offset)).map_err(|e| client_error(py, &e))
    }

    fn __aiter__(slf: Bound<'_, Self>) -> Bound<'_, Self> {
        slf
    }

    fn __anext__<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        let c = self.state.inner.clone();
        future_into_py(py, async move { Ok(Next(next_message(c).await)) })
    }

    fn __aenter__<'py>(slf: Bound<'py, Self>) -> PyResult<Bound<'py, PyAny>> {
        let py = slf.py();
        let state = slf.get().state.clone();
        let me = slf.unbind();
        future_into_py(py, async move {
            let started = match state.inner.start().await {
                Ok(()) => {
                    track(state);
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
        let c = self.state.inner.clone();
        future_into_py(py, async move {
            c.shutdown().await;
            Ok(false)
        })
    }
}
