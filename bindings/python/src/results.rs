//! `SendResult` (where a sent message or batch went) and `TransactionSendResult` (a
//! `SendResult` plus the local transaction's answer), as RocketMQ names them.
//!
//! A batch has one result whose `msg_ids` lists every message's id and whose `msg_id` joins
//! them with commas (RocketMQ's batch `msgId`); `queue_offset` is the first message's.

use ferrocket::client::{SendBatchResult, SendResult};
use ferrocket::{LocalTransactionState, SendStatus, TransactionSendResult};
use pyo3::prelude::*;

use crate::enums::{send_status, transaction_state};
use crate::message::PyMessageQueue;

/// Where a sent message went.
#[pyclass(module = "ferrocket", name = "SendResult", frozen, subclass)]
#[derive(Debug, Clone)]
pub struct PySendResult {
    status: SendStatus,
    msg_ids: Vec<String>,
    offset_msg_id: String,
    queue: PyMessageQueue,
    queue_offset: u64,
}

impl From<SendResult> for PySendResult {
    fn from(r: SendResult) -> PySendResult {
        PySendResult {
            status: r.status,
            msg_ids: vec![r.msg_id.to_string()],
            offset_msg_id: r.offset_msg_id,
            queue: PyMessageQueue { inner: r.queue },
            queue_offset: r.queue_offset,
        }
    }
}

impl From<SendBatchResult> for PySendResult {
    fn from(r: SendBatchResult) -> PySendResult {
        PySendResult {
            status: r.status,
            msg_ids: r.msg_ids.iter().map(ToString::to_string).collect(),
            offset_msg_id: r.offset_msg_id,
            queue: PyMessageQueue { inner: r.queue },
            queue_offset: r.queue_offset,
        }
    }
}

#[pymethods]
impl PySendResult {
    /// How durably it was stored.
    #[getter]
    fn status<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        send_status(py, self.status)
    }

    /// The unique id (32 hex characters); for a batch, every id joined with commas.
    #[getter]
    fn msg_id(&self) -> String {
        self.msg_ids.join(",")
    }

    /// The unique id of every message sent, in order.
    #[getter]
    fn msg_ids(&self) -> Vec<String> {
        self.msg_ids.clone()
    }

    /// The broker-side id: store host and commit-log offset (RocketMQ's `offsetMsgId`).
    #[getter]
    fn offset_msg_id(&self) -> &str {
        &self.offset_msg_id
    }

    #[getter]
    fn queue(&self) -> PyMessageQueue {
        self.queue.clone()
    }

    #[getter]
    fn queue_id(&self) -> u32 {
        self.queue.inner.queue_id
    }

    #[getter]
    fn queue_offset(&self) -> u64 {
        self.queue_offset
    }

    fn __repr__(&self) -> String {
        let status = match self.status {
            SendStatus::SendOk => "SEND_OK",
            SendStatus::FlushDiskTimeout => "FLUSH_DISK_TIMEOUT",
            SendStatus::FlushSlaveTimeout => "FLUSH_SLAVE_TIMEOUT",
            SendStatus::SlaveNotAvailable => "SLAVE_NOT_AVAILABLE",
        };
        format!(
            "SendResult(status={status}, msg_id={}, queue_id={}, queue_offset={})",
            self.msg_id(),
            self.queue.inner.queue_id,
            self.queue_offset
        )
    }
}

/// What a transactional send did: where the half message went and the local transaction's
/// answer.
#[pyclass(module = "ferrocket", name = "TransactionSendResult", frozen, extends = PySendResult)]
#[derive(Debug)]
pub struct PyTransactionSendResult {
    local_state: LocalTransactionState,
}

impl PyTransactionSendResult {
    /// The Python object of a Rust result.
    pub fn new_object(py: Python<'_>, r: TransactionSendResult) -> PyResult<Py<Self>> {
        let init = PyClassInitializer::from(PySendResult::from(r.send)).add_subclass(
            PyTransactionSendResult {
                local_state: r.local_state,
            },
        );
        Py::new(py, init)
    }
}

#[pymethods]
impl PyTransactionSendResult {
    /// The local transaction's answer (`ROLLBACK` without running it when the half message
    /// was not stored as `SEND_OK`).
    #[getter]
    fn local_state<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        transaction_state(py, self.local_state)
    }
}
