//! `MessageQueue` (one queue of a topic on one broker) and `Sql` (a SQL92 subscription), and
//! reading a subscription expression.

use ferrocket::client::MessageQueue;
use pyo3::prelude::*;

use crate::error::invalid_argument;

/// One queue of a topic on one broker.
#[pyclass(
    module = "ferrocket",
    name = "MessageQueue",
    frozen,
    eq,
    hash,
    ord,
    from_py_object
)]
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct PyMessageQueue {
    pub inner: MessageQueue,
}

#[pymethods]
impl PyMessageQueue {
    #[new]
    fn new(topic: String, broker_name: String, queue_id: u32) -> PyMessageQueue {
        PyMessageQueue {
            inner: MessageQueue::new(topic, broker_name, queue_id),
        }
    }

    #[getter]
    fn topic(&self) -> &str {
        &self.inner.topic
    }

    #[getter]
    fn broker_name(&self) -> &str {
        &self.inner.broker_name
    }

    #[getter]
    fn queue_id(&self) -> u32 {
        self.inner.queue_id
    }

    fn __repr__(&self) -> String {
        let q = &self.inner;
        format!(
            "MessageQueue(topic={:?}, broker_name={:?}, queue_id={})",
            q.topic, q.broker_name, q.queue_id
        )
    }
}

/// A SQL92 subscription over properties and `TAGS`: `subscribe(topic, Sql("a > 5"))`.
#[pyclass(module = "ferrocket", name = "Sql", frozen, eq, hash)]
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct PySql {
    #[pyo3(get)]
    pub expression: String,
}

#[pymethods]
impl PySql {
    #[new]
    fn new(expression: String) -> PySql {
        PySql { expression }
    }

    fn __repr__(&self) -> String {
        format!("Sql({:?})", self.expression)
    }
}

/// Reads a subscription expression: a tag expression (`str`), an `Sql`, or `None` for `"*"`.
pub fn selector_from(obj: Option<&Bound<'_, PyAny>>) -> PyResult<ferrocket::Selector> {
    let Some(obj) = obj else {
        return Ok(ferrocket::Selector::all());
    };
    if let Ok(sql) = obj.cast::<PySql>() {
        return Ok(ferrocket::Selector::Sql(sql.get().expression.clone()));
    }
    match obj.extract::<String>() {
        Ok(tags) => Ok(ferrocket::Selector::Tag(tags)),
        Err(_) => Err(invalid_argument(
            obj.py(),
            "a subscription expression is a tag expression (str) or ferrocket.Sql(...)",
        )),
    }
}
