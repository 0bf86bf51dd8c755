//! `PushConsumer`: the consumer calls the application's listener (RocketMQ's
//! `DefaultMQPushConsumer`), concurrent or orderly, clustering or broadcasting.
//!
//! The Rust consumer takes its listener when it is built, while Python sets it after the
//! constructor (`consumer.listener(fn)`, usable as a decorator); so the constructor checks the
//! settings into a `PushConsumerBuilder` and `start` builds the consumer with the listener and
//! the subscriptions made so far. Listener calls run on the client's `threads` consume threads
//! (`listener.rs`). `PushState` is shared with `ferrocket.aio.AsyncPushConsumer`.

use std::sync::{Arc, Mutex};

use ferrocket::client::push_consumer::{
    ConsumeConcurrentlyStatus, MessageListener, PushConsumerBuilder,
};
use ferrocket::client::validate::validate_topic;
use ferrocket::protocol::MessageModel;
use ferrocket::{ClientError, PushConsumer, Selector};
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyTuple};

use crate::error::{client_error, invalid_argument};
use crate::lifecycle::{Closeable, track};
use crate::listener::PyListener;
use crate::message::{PyMessageQueue, selector_from};
use crate::options::{Kwargs, allocate_strategy, client_config, consume_from};
use crate::runtime::{call, entered, wait};

/// The explicit constructor settings of a push consumer.
pub struct PushArgs<'a, 'py> {
    pub group: &'a str,
    pub namesrv: &'a str,
    pub model: &'a str,
    pub threads: usize,
    pub consume_from: Option<&'a Bound<'py, PyAny>>,
}

/// Applies `PushConsumerBuilder` setters named in `**options`.
fn push_options(
    kw: &mut Kwargs<'_>,
    mut b: PushConsumerBuilder,
    py: Python<'_>,
) -> PyResult<PushConsumerBuilder> {
    macro_rules! counts {
        ($($name:ident: $ty:ty),*) => {$(
            if let Some(v) = kw.get::<$ty>(stringify!($name), "an int >= 0")? {
                b = b.$name(v);
            }
        )*};
    }
    macro_rules! durations {
        ($($name:ident),*) => {$(
            if let Some(d) = kw.duration(stringify!($name))? {
                b = b.$name(d);
            }
        )*};
    }
    counts!(consume_batch_max: usize, pull_batch_size: u32, pull_threshold_for_queue: usize,
        pull_threshold_size_for_queue: usize, consume_concurrently_max_span: u64,
        max_reconsume_times: u32);
    durations!(
        suspend_current_queue_time,
        consume_timeout,
        rebalance_interval,
        persist_offset_interval,
        lock_renew_interval,
        lock_max_live,
        long_poll,
        pull_error_backoff,
        send_back_retry_delay,
        await_termination
    );
    if let Some(dir) = kw.get::<std::path::PathBuf>("broadcast_offset_dir", "a path")? {
        b = b.broadcast_offset_dir(dir);
    }
    if let Some(name) = kw.get::<String>("allocate_strategy", "a strategy name")? {
        b = b.allocate_strategy(allocate_strategy(py, &name)?);
    }
    Ok(b)
}

/// The builder for the constructor's arguments (see the module doc), checked now by building a
/// probe consumer with a no-op listener, so a bad setting fails the constructor, not `start`.
pub fn push_builder(
    py: Python<'_>,
    owner: &'static str,
    args: &PushArgs<'_, '_>,
    kwargs: Option<&Bound<'_, PyDict>>,
) -> PyResult<PushConsumerBuilder> {
    let noop = |_: &[ferrocket::MessageExt], _: &mut _| ConsumeConcurrentlyStatus::ConsumeSuccess;
    unchecked_push_builder(py, owner, args, kwargs)?
        .listener(MessageListener::concurrently(noop))
        .build()
        .map_err(|e| client_error(py, &e))?;
    unchecked_push_builder(py, owner, args, kwargs)
}

fn unchecked_push_builder(
    py: Python<'_>,
    owner: &'static str,
    args: &PushArgs<'_, '_>,
    kwargs: Option<&Bound<'_, PyDict>>,
) -> PyResult<PushConsumerBuilder> {
    let mut kw = Kwargs::new(py, owner, kwargs)?;
    let config = client_config(args.namesrv, &mut kw)?;
    let model = match args.model {
        "clustering" => MessageModel::Clustering,
        "broadcasting" => MessageModel::Broadcasting,
        other => {
            return Err(invalid_argument(
                py,
                format!("model `{other}` is not \"clustering\" or \"broadcasting\""),
            ));
        }
    };
    ferrocket::client::validate::validate_group(args.group).map_err(|e| client_error(py, &e))?;
    let b = PushConsumer::builder()
        .group(args.group)
        .client_config(config)
        .message_model(model)
        .consume_threads(args.threads)
        .consume_from(consume_from(args.consume_from)?);
    let b = push_options(&mut kw, b, py)?;
    kw.finish()?;
    Ok(b)
}

/// A push consumer before and after `start`; shared with `AsyncPushConsumer`.
#[derive(Debug)]
pub struct PushState {
    pub group: String,
    pub orderly: bool,
    builder: Mutex<Option<PushConsumerBuilder>>,
    listener: Mutex<Option<PyListener>>,
    subscriptions: Mutex<Vec<(String, Selector)>>,
    consumer: Mutex<Option<Arc<PushConsumer>>>,
}

fn locked<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

impl PushState {
    /// The state of an unstarted consumer.
    pub fn new(group: &str, orderly: bool, builder: PushConsumerBuilder) -> Arc<PushState> {
        Arc::new(PushState {
            group: group.to_owned(),
            orderly,
            builder: Mutex::new(Some(builder)),
            listener: Mutex::new(None),
            subscriptions: Mutex::new(Vec::new()),
            consumer: Mutex::new(None),
        })
    }

    /// The running consumer, if started.
    pub fn consumer(&self) -> Option<Arc<PushConsumer>> {
        locked(&self.consumer).clone()
    }

    /// Subscribes now if running, else at `start`.
    pub fn subscribe(
        &self,
        py: Python<'_>,
        topic: &str,
        expression: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<()> {
        let selector = selector_from(expression)?;
        validate_topic(topic).map_err(|e| client_error(py, &e))?;
        if let Some(consumer) = self.consumer() {
            return entered(|| consumer.subscribe(topic, selector))
                .map_err(|e| client_error(py, &e));
        }
        locked(&self.subscriptions).push((topic.to_owned(), selector));
        Ok(())
    }

    /// Sets the listener (before `start`).
    pub fn set_listener(&self, py: Python<'_>, func: &Bound<'_, PyAny>) -> PyResult<()> {
        if locked(&self.builder).is_none() {
            return Err(client_error(py, &ClientError::AlreadyStarted));
        }
        *locked(&self.listener) = Some(PyListener::new(func)?);
        Ok(())
    }

    /// Builds the consumer with its listener (`make` turns the Python listener into the Rust
    /// one) and subscriptions; `None` when it was built before.
    pub fn build(
        &self,
        py: Python<'_>,
        make: impl FnOnce(PyListener) -> MessageListener,
    ) -> PyResult<Option<Arc<PushConsumer>>> {
        let mut builder = locked(&self.builder);
        if builder.is_none() {
            return Ok(None);
        }
        let Some(listener) = locked(&self.listener).take() else {
            return Err(invalid_argument(
                py,
                "no listener: set one with consumer.listener(fn) before start()",
            ));
        };
        let Some(b) = builder.take() else {
            return Ok(None);
        };
        let consumer = b
            .listener(make(listener))
            .build()
            .map_err(|e| client_error(py, &e))?;
        for (topic, selector) in locked(&self.subscriptions).drain(..) {
            consumer
                .subscribe(&topic, selector)
                .map_err(|e| client_error(py, &e))?;
        }
        let consumer = Arc::new(consumer);
        *locked(&self.consumer) = Some(consumer.clone());
        Ok(Some(consumer))
    }

    /// The queues this member owns now.
    pub fn assignment(&self) -> Vec<PyMessageQueue> {
        self.consumer()
            .map(|c| {
                c.assignment()
                    .into_iter()
                    .map(|inner| PyMessageQueue { inner })
                    .collect()
            })
            .unwrap_or_default()
    }

    /// Stops consuming (see `PushConsumer::shutdown`); the consumer cannot start again.
    pub fn stop(&self) -> Option<Arc<PushConsumer>> {
        locked(&self.builder).take();
        self.consumer()
    }
}

impl Closeable for PushState {
    fn close(&self, py: Python<'_>) -> PyResult<()> {
        if let Some(consumer) = self.stop() {
            wait(py, async move { consumer.shutdown().await })?;
        }
        Ok(())
    }
}

/// A push consumer (RocketMQ's DefaultMQPushConsumer): `subscribe(topic, expression)`, set
/// the listener `fn(msgs) -> ConsumeResult` with `listener(fn)` (also a decorator), then
/// `start()`. The listener runs on `threads` consume threads; raising counts as
/// RECONSUME_LATER. Options: the builder settings (`consume_batch_max`, `pull_batch_size`,
/// `max_reconsume_times`, `rebalance_interval` (s), `long_poll` (s), `await_termination` (s),
/// `broadcast_offset_dir`, `allocate_strategy`, …) and the client settings.
#[pyclass(module = "ferrocket", name = "PushConsumer", frozen)]
#[derive(Debug)]
pub struct PyPushConsumer {
    state: Arc<PushState>,
}

#[pymethods]
impl PyPushConsumer {
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
    ) -> PyResult<PyPushConsumer> {
        let args = PushArgs {
            group,
            namesrv,
            model,
            threads,
            consume_from: consume_from.as_ref(),
        };
        let builder = push_builder(py, "PushConsumer", &args, options)?;
        Ok(PyPushConsumer {
            state: PushState::new(group, orderly, builder),
        })
    }

    #[getter]
    fn group(&self) -> &str {
        &self.state.group
    }

    /// Subscribes to `topic` with a tag expression (`"*"`, `"TagA || TagB"`) or `Sql(...)`.
    #[pyo3(signature = (topic, expression=None), text_signature = "(self, topic, expression='*')")]
    fn subscribe(
        &self,
        py: Python<'_>,
        topic: &str,
        expression: Option<Bound<'_, PyAny>>,
    ) -> PyResult<()> {
        self.state.subscribe(py, topic, expression.as_ref())
    }

    /// Sets the listener `fn(msgs) -> ConsumeResult`; returns it, so it works as a decorator.
    fn listener<'py>(
        &self,
        py: Python<'py>,
        func: Bound<'py, PyAny>,
    ) -> PyResult<Bound<'py, PyAny>> {
        self.state.set_listener(py, &func)?;
        Ok(func)
    }

    /// Joins the group, takes this member's queues and starts calling the listener.
    fn start(&self, py: Python<'_>) -> PyResult<()> {
        let orderly = self.state.orderly;
        let Some(consumer) = self.state.build(py, |l| l.into_sync(orderly))? else {
            return Err(client_error(py, &ClientError::AlreadyStarted));
        };
        call(py, async move { consumer.start().await })?;
        track(self.state.clone());
        Ok(())
    }

    /// Finishes the listener calls under way, commits offsets and leaves the group.
    fn shutdown(&self, py: Python<'_>) -> PyResult<()> {
        self.state.close(py)
    }

    /// The queues this member owns now.
    fn assignment(&self) -> Vec<PyMessageQueue> {
        self.state.assignment()
    }

    fn __enter__(slf: Bound<'_, Self>) -> PyResult<Bound<'_, Self>> {
        if slf.get().state.consumer().is_none() {
            slf.get().start(slf.py())?;
        }
        Ok(slf)
    }

    #[pyo3(signature = (*_exc))]
    fn __exit__(&self, py: Python<'_>, _exc: &Bound<'_, PyTuple>) -> PyResult<bool> {
        self.state.close(py)?;
        Ok(false)
    }

    fn __repr__(&self) -> String {
        format!("PushConsumer(group={:?})", self.state.group)
    }
}
