//! `TransactionProducer`: transactional messages (RocketMQ's `TransactionMQProducer`):
//! `send_in_transaction(msg, execute=fn, arg=None)` stores a half message, runs
//! `execute(msg, arg)` and tells the broker its answer; `check(msg)` answers the broker's
//! check-backs for transactions left `UNKNOWN` (or whose answer was lost).
//!
//! Both functions return a `TransactionState`. One that raises, or returns anything else,
//! counts as `UNKNOWN` and is logged, as RocketMQ does; the broker then checks back later.
//! `execute` runs on the calling thread's behalf inside the client (`block_in_place` on a
//! runtime worker); `check` runs on a blocking-pool thread; both attach to the interpreter
//! only for the call.

use std::any::Any;
use std::sync::Arc;

use ferrocket::{
    LocalTransactionState, Message, MessageExt, TransactionListener, TransactionProducer,
};
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyTuple};

use crate::enums::local_transaction_state;
use crate::error::client_error;
use crate::lifecycle::{Closeable, track};
use crate::logging::{ERROR, WARNING, log};
use crate::message::{PyMessage, PyMessageExt};
use crate::producer::producer_builder;
use crate::results::{PySendResult, PyTransactionSendResult};
use crate::runtime::{call, wait};

/// The `execute` function and `arg` of one `send_in_transaction`, passed through the client
/// as its `arg`.
struct Execute {
    func: Py<PyAny>,
    arg: Py<PyAny>,
}

/// Reads what a transaction function returned or raised; see the module doc.
fn answer(py: Python<'_>, what: &str, result: PyResult<Bound<'_, PyAny>>) -> LocalTransactionState {
    match result.and_then(|a| local_transaction_state(&a).map(|s| (a, s))) {
        Ok((_, Some(state))) => state,
        Ok((a, None)) => {
            let shown = a.repr().map_or_else(|_| "?".to_owned(), |r| r.to_string());
            let text = format!(
                "transaction {what} returned {shown}, not a TransactionState; counted as UNKNOWN"
            );
            log(py, WARNING, &text, None);
            LocalTransactionState::Unknown
        }
        Err(e) => {
            let text = format!("transaction {what} raised; counted as UNKNOWN");
            log(py, ERROR, &text, Some(&e));
            LocalTransactionState::Unknown
        }
    }
}

/// The producer's `check` function as the client's listener.
#[derive(Debug)]
struct PyTransactionListener {
    check: Py<PyAny>,
}

impl TransactionListener for PyTransactionListener {
    fn execute_local_transaction(
        &self,
        msg: &Message,
        arg: &(dyn Any + Send + Sync),
    ) -> LocalTransactionState {
        let Some(execute) = arg.downcast_ref::<Execute>() else {
            return LocalTransactionState::Unknown;
        };
        Python::try_attach(|py| {
            let msg = Py::new(py, PyMessage { inner: msg.clone() });
            let result = msg.and_then(|m| execute.func.bind(py).call1((m, execute.arg.bind(py))));
            answer(py, "execute", result)
        })
        .unwrap_or(LocalTransactionState::Unknown)
    }

    fn check_local_transaction(&self, msg: &MessageExt) -> LocalTransactionState {
        Python::try_attach(|py| {
            let msg = Py::new(py, PyMessageExt { inner: msg.clone() });
            let result = msg.and_then(|m| self.check.bind(py).call1((m,)));
            answer(py, "check", result)
        })
        .unwrap_or(LocalTransactionState::Unknown)
    }
}

#[derive(Debug)]
struct TxState {
    inner: Arc<TransactionProducer>,
}

impl Closeable for TxState {
    fn close(&self, py: Python<'_>) -> PyResult<()> {
        let p = self.inner.clone();
        wait(py, async move { p.shutdown().await })
    }
}

/// A transactional producer (RocketMQ's TransactionMQProducer):
/// `send_in_transaction(msg, execute=fn, arg=None)` stores a half message, runs
/// `execute(msg, arg) -> TransactionState` and tells the broker; `check(msg) ->
/// TransactionState` answers the broker's check-backs. Raising counts as UNKNOWN.
#[pyclass(module = "ferrocket", name = "TransactionProducer", frozen)]
#[derive(Debug)]
pub struct PyTransactionProducer {
    state: Arc<TxState>,
}

#[pymethods]
impl PyTransactionProducer {
    #[new]
    #[pyo3(signature = (group, namesrv="127.0.0.1:9876", *, check, **options))]
    fn new(
        py: Python<'_>,
        group: &str,
        namesrv: &str,
        check: Bound<'_, PyAny>,
        options: Option<&Bound<'_, PyDict>>,
    ) -> PyResult<PyTransactionProducer> {
        let (builder, _) = producer_builder(py, "TransactionProducer", (group, namesrv), options)?;
        if !check.is_callable() {
            return Err(crate::error::invalid_argument(
                py,
                "check must be a callable fn(msg: MessageExt) -> TransactionState",
            ));
        }
        let listener = Arc::new(PyTransactionListener {
            check: check.unbind(),
        });
        let inner =
            TransactionProducer::new(builder, listener).map_err(|e| client_error(py, &e))?;
        Ok(PyTransactionProducer {
            state: Arc::new(TxState {
                inner: Arc::new(inner),
            }),
        })
    }

    #[getter]
    fn group(&self) -> &str {
        self.state.inner.producer().group()
    }

    /// Starts the producer and the answering of check-backs.
    fn start(&self, py: Python<'_>) -> PyResult<()> {
        let p = self.state.inner.clone();
        call(py, async move { p.start().await })?;
        track(self.state.clone());
        Ok(())
    }

    /// Stops answering check-backs and shuts the producer down.
    fn shutdown(&self, py: Python<'_>) -> PyResult<()> {
        self.state.close(py)
    }

    /// Heartbeats the brokers of `topic` now, so they may send this producer check-backs
    /// before it has sent anything there.
    fn announce(&self, py: Python<'_>, topic: String) -> PyResult<()> {
        let p = self.state.inner.clone();
        call(py, async move { p.announce(&topic).await })
    }

    /// Sends `msg` as a half message, runs `execute(msg, arg)` and tells the broker the
    /// outcome.
    #[pyo3(signature = (msg, execute, arg=None))]
    fn send_in_transaction(
        &self,
        py: Python<'_>,
        msg: PyRef<'_, PyMessage>,
        execute: Bound<'_, PyAny>,
        arg: Option<Bound<'_, PyAny>>,
    ) -> PyResult<Py<PyTransactionSendResult>> {
        let m = msg.inner.clone();
        drop(msg);
        let call_arg = Execute {
            func: execute.unbind(),
            arg: arg.map_or_else(|| py.None(), Bound::unbind),
        };
        let p = self.state.inner.clone();
        let result = call(py, async move {
            let call_arg = call_arg;
            p.send_message_in_transaction(m, &call_arg).await
        })?;
        PyTransactionSendResult::new_object(py, result)
    }

    /// A plain (not transactional) send of the same group.
    fn send(&self, py: Python<'_>, msg: PyRef<'_, PyMessage>) -> PyResult<PySendResult> {
        let (p, m) = (self.state.inner.clone(), msg.inner.clone());
        drop(msg);
        call(py, async move { p.producer().send(m).await }).map(PySendResult::from)
    }

    fn __enter__(slf: Bound<'_, Self>) -> PyResult<Bound<'_, Self>> {
        let py = slf.py();
        let p = slf.get().state.inner.clone();
        match wait(py, async move { p.start().await })? {
            Ok(()) => track(slf.get().state.clone()),
            Err(ferrocket::ClientError::AlreadyStarted) => {}
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
        format!(
            "TransactionProducer(group={:?})",
            self.state.inner.producer().group()
        )
    }
}
