//! The Python enums: `SendStatus`, `ConsumeResult` and `TransactionState`, real `enum.Enum`
//! classes made at import (so users get iteration, `.name`, `.value` and `is` comparisons),
//! and their conversions from and to the Rust client's enums.
//!
//! Values are RocketMQ's ordinals. A concurrent listener's `SUSPEND` counts as
//! `RECONSUME_LATER`, an orderly listener's `RECONSUME_LATER` as `SUSPEND`: both mean "not
//! consumed, try again", in the way the listener's kind allows.

use ferrocket::client::push_consumer::{ConsumeConcurrentlyStatus, ConsumeOrderlyStatus};
use ferrocket::{LocalTransactionState, SendStatus};
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::PyDict;

use crate::error::internal_error;

/// One enum class and its members in value order.
#[derive(Debug)]
pub struct PyEnum {
    members: Vec<Py<PyAny>>,
}

impl PyEnum {
    /// The member with value `index`.
    pub fn member<'py>(&self, py: Python<'py>, index: usize) -> Bound<'py, PyAny> {
        self.members[index].bind(py).clone()
    }

    /// The value of `obj` if it is one of the members.
    pub fn index_of(&self, obj: &Bound<'_, PyAny>) -> Option<usize> {
        self.members.iter().position(|m| m.bind(obj.py()).is(obj))
    }
}

/// The three enums.
#[derive(Debug)]
pub struct Enums {
    /// `SendStatus`.
    pub send_status: PyEnum,
    /// `ConsumeResult`.
    pub consume_result: PyEnum,
    /// `TransactionState`.
    pub transaction_state: PyEnum,
}

static ENUMS: PyOnceLock<Enums> = PyOnceLock::new();

/// `SendStatus` members, RocketMQ's four values.
const SEND_STATUS: [&str; 4] = [
    "SEND_OK",
    "FLUSH_DISK_TIMEOUT",
    "FLUSH_SLAVE_TIMEOUT",
    "SLAVE_NOT_AVAILABLE",
];
/// `ConsumeResult` members.
const CONSUME_RESULT: [&str; 3] = ["SUCCESS", "RECONSUME_LATER", "SUSPEND"];
/// `TransactionState` members.
const TRANSACTION_STATE: [&str; 3] = ["COMMIT", "ROLLBACK", "UNKNOWN"];

fn make(m: &Bound<'_, PyModule>, name: &str, doc: &str, members: &[&str]) -> PyResult<PyEnum> {
    let py = m.py();
    let pairs: Vec<(&str, usize)> = members.iter().copied().zip(0..).collect();
    let kwargs = PyDict::new(py);
    kwargs.set_item("module", "ferrocket")?;
    let class = py
        .import("enum")?
        .getattr("Enum")?
        .call((name, pairs), Some(&kwargs))?;
    class.setattr("__doc__", doc)?;
    m.add(name, &class)?;
    let members = members
        .iter()
        .map(|n| class.getattr(*n).map(Bound::unbind))
        .collect::<PyResult<Vec<_>>>()?;
    Ok(PyEnum { members })
}

/// Creates the enums and adds them to the module.
pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    let enums = Enums {
        send_status: make(
            m,
            "SendStatus",
            "How durably a sent message was stored (RocketMQ's SendStatus).",
            &SEND_STATUS,
        )?,
        consume_result: make(
            m,
            "ConsumeResult",
            "What a push consumer's listener returns: SUCCESS, RECONSUME_LATER (concurrent) \
             or SUSPEND (orderly).",
            &CONSUME_RESULT,
        )?,
        transaction_state: make(
            m,
            "TransactionState",
            "How a local transaction ended: COMMIT, ROLLBACK or UNKNOWN (asked again later).",
            &TRANSACTION_STATE,
        )?,
    };
    let _ = ENUMS.set(m.py(), enums);
    Ok(())
}

/// The enums; they exist once the module is imported.
pub fn enums(py: Python<'_>) -> PyResult<&Enums> {
    ENUMS
        .get(py)
        .ok_or_else(|| internal_error(py, "ferrocket enums are not initialised"))
}

/// The `SendStatus` member of a Rust status.
pub fn send_status(py: Python<'_>, status: SendStatus) -> PyResult<Bound<'_, PyAny>> {
    let index = match status {
        SendStatus::SendOk => 0,
        SendStatus::FlushDiskTimeout => 1,
        SendStatus::FlushSlaveTimeout => 2,
        SendStatus::SlaveNotAvailable => 3,
    };
    Ok(enums(py)?.send_status.member(py, index))
}

/// What a listener's return value means; `None` when it is not a `ConsumeResult`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Consumed {
    /// `SUCCESS`.
    Success,
    /// `RECONSUME_LATER` or `SUSPEND`.
    Later,
}

/// Reads a listener's return value.
pub fn consume_result(obj: &Bound<'_, PyAny>) -> PyResult<Option<Consumed>> {
    let e = enums(obj.py())?;
    Ok(match e.consume_result.index_of(obj) {
        Some(0) => Some(Consumed::Success),
        Some(_) => Some(Consumed::Later),
        None => None,
    })
}

impl Consumed {
    /// As a concurrent listener's status.
    pub fn concurrently(self) -> ConsumeConcurrentlyStatus {
        match self {
            Consumed::Success => ConsumeConcurrentlyStatus::ConsumeSuccess,
            Consumed::Later => ConsumeConcurrentlyStatus::ReconsumeLater,
        }
    }

    /// As an orderly listener's status.
    pub fn orderly(self) -> ConsumeOrderlyStatus {
        match self {
            Consumed::Success => ConsumeOrderlyStatus::Success,
            Consumed::Later => ConsumeOrderlyStatus::SuspendCurrentQueueAMoment,
        }
    }
}

/// The `TransactionState` member of a Rust state.
pub fn transaction_state(
    py: Python<'_>,
    state: LocalTransactionState,
) -> PyResult<Bound<'_, PyAny>> {
    let index = match state {
        LocalTransactionState::Commit => 0,
        LocalTransactionState::Rollback => 1,
        LocalTransactionState::Unknown => 2,
    };
    Ok(enums(py)?.transaction_state.member(py, index))
}

/// Reads a transaction function's return value; `None` when it is not a `TransactionState`.
pub fn local_transaction_state(obj: &Bound<'_, PyAny>) -> PyResult<Option<LocalTransactionState>> {
    let e = enums(obj.py())?;
    Ok(match e.transaction_state.index_of(obj) {
        Some(0) => Some(LocalTransactionState::Commit),
        Some(1) => Some(LocalTransactionState::Rollback),
        Some(_) => Some(LocalTransactionState::Unknown),
        None => None,
    })
}
