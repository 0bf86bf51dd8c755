//! `Producer`: the sync producer (RocketMQ's `DefaultMQProducer`): `send`, `send_async`
//! (a `concurrent.futures.Future`), `send_oneway`, `send_orderly`, `send_batch` and
//! `send_to_queue`, `start`/`shutdown` and `with`.
//!
//! Every call runs on the shared runtime with the GIL released (`runtime::call`). The
//! futures of `send_async` (and of `AsyncProducer`'s sends, `aio_send`) are resolved by one
//! callback thread per producer, in batches per GIL acquisition (`callbacks`): the client task
//! that finishes a send only queues its result, so no runtime worker waits for the GIL. The
//! queue is bounded by a semaphore of `max_outstanding_async` permits, taken before a send
//! starts and given back once its future is resolved, so the queue can never be full (and
//! `send_async` waits, GIL released, when that many are outstanding). `send_async` hands the send to a short runtime task that only starts the
//! client's own `send_async` and does not wait for it; it ends at once and needs no owner.
//! `shutdown` first takes every permit back (every future resolved), then shuts the client
//! down and joins the callback thread.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::{JoinHandle, ThreadId};

use ferrocket::client::config::ASYNC_SEND_OUTSTANDING_MAX_DEFAULT;
use ferrocket::client::producer::ProducerBuilder;
use ferrocket::{ClientError, Message, Producer};
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::{PyDict, PyTuple, PyType};
use tokio::sync::{Semaphore, TryAcquireError, mpsc};

use crate::callbacks::{Completion, Waiter, run_callbacks};
use crate::error::{client_error, internal_error};
use crate::lifecycle::{Closeable, track};
use crate::message::{PyMessage, PyMessageQueue};
use crate::options::{Kwargs, client_config};
use crate::results::PySendResult;
use crate::runtime::{call, runtime, wait};

/// `concurrent.futures.Future`, looked up once.
static FUTURE_CLASS: PyOnceLock<Py<PyType>> = PyOnceLock::new();

/// The builder for `owner`'s group, name servers and `**options`, and the
/// `max_outstanding_async` in force.
pub fn producer_builder(
    py: Python<'_>,
    owner: &'static str,
    (group, namesrv): (&str, &str),
    kwargs: Option<&Bound<'_, PyDict>>,
) -> PyResult<(ProducerBuilder, usize)> {
    let mut kw = Kwargs::new(py, owner, kwargs)?;
    let config = client_config(namesrv, &mut kw)?;
    let mut b = Producer::builder().group(group).client_config(config);
    if let Some(d) = kw.duration("send_timeout")? {
        b = b.send_timeout(d);
    }
    if let Some(n) = kw.get::<u32>("retries", "an int >= 0")? {
        b = b.retries(n);
    }
    if let Some(on) = kw.get::<bool>("latency_fault_tolerance", "a bool")? {
        b = b.latency_fault_tolerance(on);
    }
    let outstanding = kw
        .get::<usize>("max_outstanding_async", "an int > 0")?
        .unwrap_or(ASYNC_SEND_OUTSTANDING_MAX_DEFAULT);
    b = b.max_outstanding_async(outstanding);
    if let Some(n) = kw.get::<u16>("auto_create_queue_count", "an int in 1..=65535")? {
        b = b.auto_create_queue_count(n);
    }
    if let Some(n) = kw.get::<usize>("compress_body_over", "a number of bytes")? {
        b = b.compress_body_over(n);
    }
    if let Some(d) = kw.duration("timer_max_delay")? {
        b = b.timer_max_delay(d);
    }
    kw.finish()?;
    Ok((b, outstanding.max(1)))
}

/// The callback thread and the sending side of its queue.
#[derive(Debug)]
struct Callbacks {
    tx: mpsc::Sender<Completion>,
    handle: JoinHandle<()>,
    thread: ThreadId,
}

/// A producer shared by `Producer`, `AsyncProducer` and the exit hook.
#[derive(Debug)]
pub struct ProducerState {
    pub inner: Arc<Producer>,
    pub(crate) permits: Arc<Semaphore>,
    /// `max_outstanding_async`: the permits `permits` started with.
    pub(crate) outstanding: u32,
    callbacks: Mutex<Option<Callbacks>>,
    /// Set once the callback thread was told to stop: sends are refused with `ShutDown`.
    stopped: AtomicBool,
}

impl ProducerState {
    /// The state of a built, unstarted producer.
    pub fn new(inner: Producer, outstanding: usize) -> Arc<ProducerState> {
        let outstanding = u32::try_from(outstanding).unwrap_or(u32::MAX).max(1);
        Arc::new(ProducerState {
            inner: Arc::new(inner),
            permits: Arc::new(Semaphore::new(outstanding as usize)),
            outstanding,
            callbacks: Mutex::new(None),
            stopped: AtomicBool::new(false),
        })
    }

    /// Starts the callback thread once the producer has started.
    pub fn after_start(self: &Arc<Self>, py: Python<'_>) -> PyResult<()> {
        self.start_callbacks()
            .map_err(|e| internal_error(py, &format!("cannot start a thread: {e}")))
    }

    /// Starts the callback thread (see `callbacks`) and tracks the started producer.
    pub fn start_callbacks(self: &Arc<Self>) -> std::io::Result<()> {
        let (tx, rx) = mpsc::channel(self.outstanding as usize);
        let handle = std::thread::Builder::new()
            .name("ferrocket-send-callbacks".into())
            .spawn(move || run_callbacks(rx))?;
        let thread = handle.thread().id();
        *locked(&self.callbacks) = Some(Callbacks { tx, handle, thread });
        track(self.clone());
        Ok(())
    }

    /// The sending side of the callback queue: `NotStarted` before `start`, `ShutDown` after
    /// `shutdown`.
    pub(crate) fn sender(&self) -> Result<mpsc::Sender<Completion>, ClientError> {
        match &*locked(&self.callbacks) {
            Some(cb) => Ok(cb.tx.clone()),
            None if self.stopped.load(Ordering::Acquire) || self.permits.is_closed() => {
                Err(ClientError::ShutDown)
            }
            None => Err(ClientError::NotStarted),
        }
    }

    /// Starts sending `msg`; `future` (a `concurrent.futures.Future`) gets the result. Takes
    /// a permit (waiting with the GIL released only when `max_outstanding_async` are out),
    /// then hands the send to a runtime task without waiting for it.
    fn send_async(&self, py: Python<'_>, msg: Message, future: Py<PyAny>) -> PyResult<()> {
        let tx = self.sender().map_err(|e| client_error(py, &e))?;
        let permit = match self.permits.clone().try_acquire_owned() {
            Ok(permit) => permit,
            Err(TryAcquireError::NoPermits) => {
                let permits = self.permits.clone();
                call(py, async move {
                    permits
                        .acquire_owned()
                        .await
                        .map_err(|_| ClientError::ShutDown)
                })?
            }
            Err(TryAcquireError::Closed) => return Err(client_error(py, &ClientError::ShutDown)),
        };
        let producer = self.inner.clone();
        // The permit and the future go to whichever of the callback and the error path runs.
        let slot = Arc::new(Mutex::new(Some((future, permit))));
        let in_callback = slot.clone();
        let on_error = tx.clone();
        runtime().spawn(async move {
            let started = producer
                .send_async(msg, move |result| {
                    if let Some((future, permit)) = locked(&in_callback).take() {
                        // Never full (see the module doc); closed only after the drain.
                        let _ = tx.try_send(Completion {
                            waiter: Waiter::Concurrent(future),
                            result: result.map(|r| Some(PySendResult::from(r))),
                            permit,
                        });
                    }
                })
                .await;
            // Only on failure: on success the callback owns the slot (it may not have run yet).
            if let Err(e) = started
                && let Some((future, permit)) = locked(&slot).take()
            {
                let _ = on_error.try_send(Completion {
                    waiter: Waiter::Concurrent(future),
                    result: Err(e),
                    permit,
                });
            }
        });
        Ok(())
    }

    /// Waits (GIL released) until every `send_async` future is resolved, then refuses more.
    fn drain(&self, py: Python<'_>) -> PyResult<()> {
        let permits = self.permits.clone();
        let all = self.outstanding;
        if !permits.is_closed() {
            // Fair: sends that started before the drain finish first, later ones wait.
            let _all = wait(py, async move { permits.acquire_many_owned(all).await })?;
        }
        self.permits.close();
        Ok(())
    }
}

impl ProducerState {
    /// Drops the producer's sender of the callback queue (once) and gives the thread to join:
    /// it ends when the sends still running have been resolved.
    pub(crate) fn stop_callbacks(&self) -> Option<(ThreadId, JoinHandle<()>)> {
        let mut callbacks = locked(&self.callbacks);
        self.stopped.store(true, Ordering::Release);
        let Callbacks { tx, handle, thread } = callbacks.take()?;
        drop((callbacks, tx));
        Some((thread, handle))
    }
}

fn locked<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

impl Closeable for ProducerState {
    fn close(&self, py: Python<'_>) -> PyResult<()> {
        let on_callback_thread = locked(&self.callbacks)
            .as_ref()
            .is_some_and(|cb| cb.thread == std::thread::current().id());
        // A done-callback that shuts its own producer down cannot wait for the futures its
        // thread resolves; the rest of the shutdown still runs.
        if !on_callback_thread {
            self.drain(py)?;
        }
        self.permits.close();
        let producer = self.inner.clone();
        wait(py, async move { producer.shutdown().await })?;
        if let Some((thread, handle)) = self.stop_callbacks() {
            // A done-callback that shuts its own producer down must not join itself.
            if std::thread::current().id() != thread {
                py.detach(|| {
                    let _ = handle.join();
                });
            }
        }
        Ok(())
    }
}

/// A message producer (RocketMQ's DefaultMQProducer): `send`, `send_async` (a
/// `concurrent.futures.Future`), `send_oneway`, `send_orderly`, `send_batch`, `send_to_queue`.
/// `start()`/`shutdown()` or `with Producer(group, namesrv, **options) as p:`. Options:
/// `send_timeout` (s), `retries`, `latency_fault_tolerance`, `max_outstanding_async`,
/// `auto_create_queue_count`, `compress_body_over` (bytes), `timer_max_delay` (s) and the
/// client settings `connect_timeout`, `request_timeout`, `route_refresh_interval`,
/// `heartbeat_interval` (s).
#[pyclass(module = "ferrocket", name = "Producer", frozen)]
#[derive(Debug)]
pub struct PyProducer {
    state: Arc<ProducerState>,
}

#[pymethods]
impl PyProducer {
    #[new]
    #[pyo3(signature = (group, namesrv="127.0.0.1:9876", **options))]
    fn new(
        py: Python<'_>,
        group: &str,
        namesrv: &str,
        options: Option<&Bound<'_, PyDict>>,
    ) -> PyResult<PyProducer> {
        let (builder, outstanding) = producer_builder(py, "Producer", (group, namesrv), options)?;
        let producer = builder.build().map_err(|e| client_error(py, &e))?;
        Ok(PyProducer {
            state: ProducerState::new(producer, outstanding),
        })
    }

    /// The producer group.
    #[getter]
    fn group(&self) -> &str {
        self.state.inner.group()
    }

    /// Starts the route refresh and heartbeats.
    fn start(&self, py: Python<'_>) -> PyResult<()> {
        let p = self.state.inner.clone();
        call(py, async move { p.start().await })?;
        self.state.after_start(py)
    }

    /// Waits for outstanding async sends, stops the background work and closes connections.
    fn shutdown(&self, py: Python<'_>) -> PyResult<()> {
        self.state.close(py)
    }

    fn __enter__(slf: Bound<'_, Self>) -> PyResult<Bound<'_, Self>> {
        let py = slf.py();
        let p = slf.get().state.inner.clone();
        match wait(py, async move { p.start().await })? {
            Ok(()) => slf.get().state.after_start(py)?,
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

    /// Sends one message, retrying on another broker within the send timeout.
    fn send(&self, py: Python<'_>, msg: PyRef<'_, PyMessage>) -> PyResult<PySendResult> {
        let (p, m) = (self.state.inner.clone(), msg.inner.clone());
        drop(msg);
        call(py, async move { p.send(m).await }).map(PySendResult::from)
    }

    /// Starts sending one message; the returned future gets the `SendResult` or the error.
    fn send_async(&self, py: Python<'_>, msg: PyRef<'_, PyMessage>) -> PyResult<Py<PyAny>> {
        let m = msg.inner.clone();
        drop(msg);
        let future = FUTURE_CLASS
            .import(py, "concurrent.futures", "Future")?
            .call0()?;
        // Running: the send has started and cannot be cancelled any more.
        future.call_method0("set_running_or_notify_cancel")?;
        self.state.send_async(py, m, future.clone().unbind())?;
        Ok(future.unbind())
    }

    /// Sends without waiting for a response and without retries.
    fn send_oneway(&self, py: Python<'_>, msg: PyRef<'_, PyMessage>) -> PyResult<()> {
        let (p, m) = (self.state.inner.clone(), msg.inner.clone());
        drop(msg);
        call(py, async move { p.send_oneway(m).await })
    }

    /// Sends to the queue chosen by `sharding_key`, so one key keeps one queue and its order.
    fn send_orderly(
        &self,
        py: Python<'_>,
        msg: PyRef<'_, PyMessage>,
        sharding_key: String,
    ) -> PyResult<PySendResult> {
        let (p, m) = (self.state.inner.clone(), msg.inner.clone());
        drop(msg);
        call(py, async move { p.send_orderly(m, &sharding_key).await }).map(PySendResult::from)
    }

    /// Sends to one given queue.
    fn send_to_queue(
        &self,
        py: Python<'_>,
        msg: PyRef<'_, PyMessage>,
        queue: PyRef<'_, PyMessageQueue>,
    ) -> PyResult<PySendResult> {
        let (p, m, q) = (
            self.state.inner.clone(),
            msg.inner.clone(),
            queue.inner.clone(),
        );
        drop((msg, queue));
        call(py, async move { p.send_to_queue(m, &q).await }).map(PySendResult::from)
    }

    /// Sends messages of one topic as one batch to one queue: all stored or none.
    fn send_batch(
        &self,
        py: Python<'_>,
        msgs: Vec<PyRef<'_, PyMessage>>,
    ) -> PyResult<PySendResult> {
        let p = self.state.inner.clone();
        let batch: Vec<Message> = msgs.iter().map(|m| m.inner.clone()).collect();
        drop(msgs);
        call(py, async move { p.send_batch(batch).await }).map(PySendResult::from)
    }

    fn __repr__(&self) -> String {
        format!("Producer(group={:?})", self.state.inner.group())
    }
}
