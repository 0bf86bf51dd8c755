//! `PullConsumer`: the application polls messages and commits offsets (RocketMQ's
//! `DefaultLitePullConsumer`): `subscribe` or `assign`, `poll(timeout)`, iteration, `commit`,
//! `seek`, `pause`/`resume`, `start`/`shutdown` and `with`.
//!
//! Iteration yields one message per `__next__` (`PullConsumer::poll_up_to(…, 1)`), so a
//! `commit()` inside a `for` loop commits exactly what the loop has seen; it ends when the
//! consumer is shut down. `PullState` is shared with `ferrocket.aio.AsyncPullConsumer`.

use std::sync::Arc;
use std::time::Duration;

use ferrocket::{Admin, ClientConfig, ClientError, MessageExt, PullConsumer};
use pyo3::exceptions::PyStopIteration;
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyTuple};

use crate::error::{client_error, invalid_argument};
use crate::lifecycle::{Closeable, track};
use crate::message::{PyMessageExt, PyMessageQueue, message_list, selector_from};
use crate::options::{Kwargs, client_config, consume_from, seconds_to_duration};
use crate::runtime::{call, entered, wait};

/// How long one iteration step asks the client to wait before it asks again.
pub const ITER_POLL_SLICE: Duration = Duration::from_secs(1);

/// A pull consumer and what it needs besides; shared with `AsyncPullConsumer`.
#[derive(Debug)]
pub struct PullState {
    pub inner: Arc<PullConsumer>,
    config: ClientConfig,
}

impl PullState {
    /// Builds the consumer for the constructor's arguments.
    pub fn new(
        py: Python<'_>,
        owner: &'static str,
        (group, namesrv, from): (&str, &str, Option<&Bound<'_, PyAny>>),
        kwargs: Option<&Bound<'_, PyDict>>,
    ) -> PyResult<Arc<PullState>> {
        let mut kw = Kwargs::new(py, owner, kwargs)?;
        let config = client_config(namesrv, &mut kw)?;
        let mut b = PullConsumer::builder()
            .group(group)
            .client_config(config.clone())
            .consume_from(consume_from(from)?);
        if let Some(on) = kw.get::<bool>("auto_commit", "a bool")? {
            b = b.auto_commit(on);
        }
        if let Some(d) = kw.duration("auto_commit_interval")? {
            b = b.auto_commit_interval(d);
        }
        if let Some(n) = kw.get::<u32>("pull_batch_size", "an int in 1..=1024")? {
            b = b.pull_batch_size(n);
        }
        if let Some(d) = kw.duration("poll_timeout")? {
            b = b.poll_timeout(d);
        }
        if let Some(d) = kw.duration("long_poll")? {
            b = b.long_poll(d);
        }
        if let Some(d) = kw.duration("pull_error_backoff")? {
            b = b.pull_error_backoff(d);
        }
        kw.finish()?;
        let inner = b.build().map_err(|e| client_error(py, &e))?;
        Ok(Arc::new(PullState {
            inner: Arc::new(inner),
            config,
        }))
    }

    /// The read queues of `topic`, from the name servers (RocketMQ's `fetchMessageQueues`).
    pub async fn fetch_message_queues(
        config: ClientConfig,
        topic: String,
    ) -> Result<Vec<PyMessageQueue>, ClientError> {
        let admin = Admin::new(config);
        let route = admin.route(&topic).await;
        admin.close().await;
        Ok(route?
            .read_queues
            .into_iter()
            .map(|inner| PyMessageQueue { inner })
            .collect())
    }

    /// A copy of the client settings.
    pub fn config(&self) -> ClientConfig {
        self.config.clone()
    }
}

impl Closeable for PullState {
    fn close(&self, py: Python<'_>) -> PyResult<()> {
        let c = self.inner.clone();
        wait(py, async move { c.shutdown().await })
    }
}

/// A poll timeout in seconds, or the consumer's own (`None`).
pub fn poll_timeout(py: Python<'_>, timeout: Option<f64>) -> PyResult<Option<Duration>> {
    timeout
        .map(|t| {
            seconds_to_duration(t).ok_or_else(|| {
                invalid_argument(py, "poll timeout must be a number of seconds >= 0")
            })
        })
        .transpose()
}

/// Polls up to the time budget; the consumer's own budget when `timeout` is `None`.
pub async fn poll(
    c: Arc<PullConsumer>,
    timeout: Option<Duration>,
) -> Result<Vec<MessageExt>, ClientError> {
    match timeout {
        Some(t) => c.poll_timeout(t).await,
        None => c.poll().await,
    }
}

/// One message for an iterator; `None` once the consumer is shut down.
pub async fn next_message(c: Arc<PullConsumer>) -> Result<Option<MessageExt>, ClientError> {
    loop {
        match c.poll_up_to(ITER_POLL_SLICE, 1).await {
            Ok(mut msgs) if !msgs.is_empty() => return Ok(msgs.pop()),
            Ok(_) => {}
            Err(ClientError::ShutDown) => return Ok(None),
            Err(e) => return Err(e),
        }
    }
}

/// A pull consumer (RocketMQ's DefaultLitePullConsumer): `subscribe` or `assign`, then
/// `poll(timeout)` or `for msg in consumer`, `commit()`, `seek(queue, offset)`. Options:
/// `auto_commit`, `auto_commit_interval` (s), `pull_batch_size`, `poll_timeout` (s),
/// `long_poll` (s), `pull_error_backoff` (s) and the client settings.
#[pyclass(module = "ferrocket", name = "PullConsumer", frozen)]
#[derive(Debug)]
pub struct PyPullConsumer {
    state: Arc<PullState>,
}

#[pymethods]
impl PyPullConsumer {
    #[new]
    #[pyo3(signature = (group, namesrv="127.0.0.1:9876", *, consume_from=None, **options),
        text_signature = "(group, namesrv='127.0.0.1:9876', *, consume_from='last', **options)")]
    fn new(
        py: Python<'_>,
        group: &str,
        namesrv: &str,
        consume_from: Option<Bound<'_, PyAny>>,
        options: Option<&Bound<'_, PyDict>>,
    ) -> PyResult<PyPullConsumer> {
        let args = (group, namesrv, consume_from.as_ref());
        Ok(PyPullConsumer {
            state: PullState::new(py, "PullConsumer", args, options)?,
        })
    }

    #[getter]
    fn group(&self) -> &str {
        self.state.inner.group()
    }

    /// Subscribes to `topic` (tag expression or `Sql`) and joins the consumer group.
    #[pyo3(signature = (topic, expression=None), text_signature = "(self, topic, expression='*')")]
    fn subscribe(
        &self,
        py: Python<'_>,
        topic: String,
        expression: Option<Bound<'_, PyAny>>,
    ) -> PyResult<()> {
        let selector = selector_from(expression.as_ref())?;
        let c = self.state.inner.clone();
        call(py, async move { c.subscribe(&topic, selector).await })
    }

    /// Reads exactly `queues` (no group rebalancing); replaces any earlier assignment.
    fn assign(&self, py: Python<'_>, queues: Vec<PyMessageQueue>) -> PyResult<()> {
        let queues = queues.into_iter().map(|q| q.inner).collect();
        entered(|| self.state.inner.assign(queues)).map_err(|e| client_error(py, &e))
    }

    /// The queues assigned now.
    fn assignment(&self) -> Vec<PyMessageQueue> {
        let queues = self.state.inner.assignment();
        queues
            .into_iter()
            .map(|inner| PyMessageQueue { inner })
            .collect()
    }

    /// The read queues of `topic`, for `assign`.
    fn fetch_message_queues(&self, py: Python<'_>, topic: String) -> PyResult<Vec<PyMessageQueue>> {
        call(
            py,
            PullState::fetch_message_queues(self.state.config(), topic),
        )
    }

    fn start(&self, py: Python<'_>) -> PyResult<()> {
        let c = self.state.inner.clone();
        call(py, async move { c.start().await })?;
        track(self.state.clone());
        Ok(())
    }

    /// Stops fetching, commits (with auto-commit on) and closes connections.
    fn shutdown(&self, py: Python<'_>) -> PyResult<()> {
        self.state.close(py)
    }

    /// Messages, waiting up to `timeout` seconds (default: the `poll_timeout` option, 5 s)
    /// for some; an empty list when none came.
    #[pyo3(signature = (timeout=None))]
    fn poll(&self, py: Python<'_>, timeout: Option<f64>) -> PyResult<Vec<Py<PyMessageExt>>> {
        let timeout = poll_timeout(py, timeout)?;
        let msgs = call(py, poll(self.state.inner.clone(), timeout))?;
        message_list(py, &msgs)
    }

    /// Commits, per queue, the offset after the last message returned.
    fn commit(&self, py: Python<'_>) -> PyResult<()> {
        let c = self.state.inner.clone();
        call(py, async move { c.commit().await })
    }

    /// The group's committed offset of `queue` on the broker, `None` if it has none.
    fn committed(&self, py: Python<'_>, queue: PyMessageQueue) -> PyResult<Option<u64>> {
        let c = self.state.inner.clone();
        call(py, async move { c.committed(&queue.inner).await })
    }

    /// Continues `queue` at `offset`, dropping what was fetched of it.
    fn seek(&self, py: Python<'_>, queue: PyMessageQueue, offset: u64) -> PyResult<()> {
        entered(|| self.state.inner.seek(&queue.inner, offset)).map_err(|e| client_error(py, &e))
    }

    /// Continues `queue` at its oldest stored message.
    fn seek_to_beginning(&self, py: Python<'_>, queue: PyMessageQueue) -> PyResult<()> {
        let c = self.state.inner.clone();
        call(py, async move { c.seek_to_beginning(&queue.inner).await })
    }

    /// Continues `queue` at its end.
    fn seek_to_end(&self, py: Python<'_>, queue: PyMessageQueue) -> PyResult<()> {
        let c = self.state.inner.clone();
        call(py, async move { c.seek_to_end(&queue.inner).await })
    }

    /// Stops returning messages of `queues` until `resume`.
    fn pause(&self, py: Python<'_>, queues: Vec<PyMessageQueue>) -> PyResult<()> {
        let queues: Vec<_> = queues.into_iter().map(|q| q.inner).collect();
        entered(|| self.state.inner.pause(&queues)).map_err(|e| client_error(py, &e))
    }

    /// Resumes `queues`.
    fn resume(&self, py: Python<'_>, queues: Vec<PyMessageQueue>) -> PyResult<()> {
        let queues: Vec<_> = queues.into_iter().map(|q| q.inner).collect();
        entered(|| self.state.inner.resume(&queues)).map_err(|e| client_error(py, &e))
    }

    fn __iter__(slf: Bound<'_, Self>) -> Bound<'_, Self> {
        slf
    }

    fn __next__(&self, py: Python<'_>) -> PyResult<PyMessageExt> {
        match call(py, next_message(self.state.inner.clone()))? {
            Some(inner) => Ok(PyMessageExt { inner }),
            None => Err(PyStopIteration::new_err(())),
        }
    }

    fn __enter__(slf: Bound<'_, Self>) -> PyResult<Bound<'_, Self>> {
        let py = slf.py();
        let c = slf.get().state.inner.clone();
        match wait(py, async move { c.start().await })? {
            Ok(()) => track(slf.get().state.clone()),
            Err(ClientError::AlreadyStarted) => {}
            Err(e) => return Err(client_error(py, &e)),
        }
        Ok(slf)
    }

    #[pyo3(signature = (*_exc))]
    fn __exit__(&self, py: Python<'_>, _exc: &Bound<'_, PyTuple>) -> PyResult<bool> {
        self.state.close(py)?;
        Ok(false)
    }

    fn __repr__(&self) -> String {
        format!("PullConsumer(group={:?})", self.state.inner.group())
    }
}
