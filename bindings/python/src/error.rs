//! The one exception tree, rooted at `ferrocket.FerrocketError`, and the mapping from the Rust
//! client's `ClientError::code()` to its classes.
//!
//! | code | `ClientError` | Python class |
//! |---:|---|---|
//! | 1 | `Timeout` | `OperationTimeoutError` (also a builtin `TimeoutError`) |
//! | 2 | `Connection` | `ConnectionFailedError` (also a builtin `ConnectionError`) |
//! | 3 | `Broker` | `BrokerError` (`.status` names the broker's status) |
//! | 4 | `NoRoute` | `NoRouteError` |
//! | 5, 7 | `InvalidArgument`, `Encode` | `InvalidArgumentError` (also a builtin `ValueError`) |
//! | 6, 11 | `Decode`, `UnexpectedResponse` | `ProtocolError` |
//! | 8, 9, 10 | `ShutDown`, `NotStarted`, `AlreadyStarted` | `IllegalStateError` (also `RuntimeError`) |
//!
//! Every instance carries `.code` (the stable `ClientError` code; 0 for an SDK-internal
//! failure), `.retriable` (`ClientError::is_retriable`) and `.status` (`None` unless a broker
//! answered a failure status). The classes are made with `type(...)` at import so the ones that
//! are also builtin exceptions can have two bases.

use ferrocket::ClientError;
use pyo3::BoundObject;
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::{PyDict, PyTuple, PyType};

/// The exception classes.
#[derive(Debug)]
struct Classes {
    base: Py<PyType>,
    timeout: Py<PyType>,
    connection: Py<PyType>,
    broker: Py<PyType>,
    no_route: Py<PyType>,
    invalid_argument: Py<PyType>,
    protocol: Py<PyType>,
    illegal_state: Py<PyType>,
}

static CLASSES: PyOnceLock<Classes> = PyOnceLock::new();

/// Name, doc and builtin second base (if any) of each subclass, in `Classes` order.
const SUBCLASSES: [(&str, &str, Option<&str>); 7] = [
    (
        "OperationTimeoutError",
        "A call did not complete within its time budget (send timeout, request timeout).",
        Some("TimeoutError"),
    ),
    (
        "ConnectionFailedError",
        "A TCP connection to a name server or broker failed or was lost.",
        Some("ConnectionError"),
    ),
    (
        "BrokerError",
        "A broker answered a failure status; `.status` names it.",
        None,
    ),
    (
        "NoRouteError",
        "No broker serves the topic: create it or check the name servers.",
        None,
    ),
    (
        "InvalidArgumentError",
        "An argument is invalid (a bad name, an unknown option, an over-limit value).",
        Some("ValueError"),
    ),
    (
        "ProtocolError",
        "A peer sent bytes this client cannot read (a version mismatch or a peer bug).",
        None,
    ),
    (
        "IllegalStateError",
        "The client is not started, already started, or shut down.",
        Some("RuntimeError"),
    ),
];

fn new_class<'py>(
    py: Python<'py>,
    name: &str,
    doc: &str,
    bases: Vec<Bound<'py, PyAny>>,
) -> PyResult<Bound<'py, PyType>> {
    let dict = PyDict::new(py);
    dict.set_item("__module__", "ferrocket")?;
    dict.set_item("__doc__", doc)?;
    let class = py
        .get_type::<PyType>()
        .call1((name, PyTuple::new(py, bases)?, dict))?;
    Ok(class.cast_into::<PyType>()?)
}

/// Creates the classes and adds them to the module.
pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    let py = m.py();
    let builtins = py.import("builtins")?;
    let base = new_class(
        py,
        "FerrocketError",
        "The root of every error ferrocket raises. `.code` is the stable error code, \
         `.retriable` whether the same call may succeed if tried again, `.status` the \
         broker's status name for `BrokerError`.",
        vec![builtins.getattr("Exception")?],
    )?;
    base.setattr("code", 0)?;
    base.setattr("retriable", false)?;
    base.setattr("status", py.None())?;
    m.add("FerrocketError", &base)?;
    let mut made = Vec::with_capacity(SUBCLASSES.len());
    for (name, doc, builtin) in SUBCLASSES {
        let mut bases = vec![base.clone().into_any()];
        if let Some(builtin) = builtin {
            bases.push(builtins.getattr(builtin)?);
        }
        let class = new_class(py, name, doc, bases)?;
        m.add(name, &class)?;
        made.push(class.unbind());
    }
    let mut made = made.into_iter();
    let mut next = || {
        made.next()
            .ok_or_else(|| internal_error(py, "exception table"))
    };
    let classes = Classes {
        base: base.unbind(),
        timeout: next()?,
        connection: next()?,
        broker: next()?,
        no_route: next()?,
        invalid_argument: next()?,
        protocol: next()?,
        illegal_state: next()?,
    };
    // A second import of the module (a subinterpreter, a reload) keeps the first classes.
    let _ = CLASSES.set(py, classes);
    Ok(())
}

fn classes(py: Python<'_>) -> Option<&Classes> {
    CLASSES.get(py)
}

/// Builds an instance of `class` with the message and attributes, as a `PyErr`.
fn raise(
    py: Python<'_>,
    class: &Py<PyType>,
    message: &str,
    (code, retriable, status): (u16, bool, Option<&str>),
) -> PyErr {
    let made = class.bind(py).call1((message,)).and_then(|exc| {
        exc.setattr("code", code)?;
        exc.setattr("retriable", retriable)?;
        exc.setattr("status", status)?;
        Ok(exc)
    });
    match made {
        Ok(exc) => PyErr::from_value(exc),
        Err(e) => e,
    }
}

/// The Python exception for a client error.
pub fn client_error(py: Python<'_>, e: &ClientError) -> PyErr {
    let Some(c) = classes(py) else {
        return pyo3::exceptions::PyRuntimeError::new_err(e.to_string());
    };
    let class = match e.code() {
        1 => &c.timeout,
        2 => &c.connection,
        3 => &c.broker,
        4 => &c.no_route,
        5 | 7 => &c.invalid_argument,
        6 | 11 => &c.protocol,
        8..=10 => &c.illegal_state,
        _ => &c.base,
    };
    let status = e.status().map(|s| s.name());
    raise(
        py,
        class,
        &e.to_string(),
        (e.code(), e.is_retriable(), status),
    )
}

/// `InvalidArgumentError` (code 5) with `message` (lowercase, naming the argument).
pub fn invalid_argument(py: Python<'_>, message: impl Into<String>) -> PyErr {
    client_error(py, &ClientError::InvalidArgument(message.into()))
}

/// A `FerrocketError` with code 0: a failure of the SDK itself, not of a call.
pub fn internal_error(py: Python<'_>, message: &str) -> PyErr {
    match classes(py) {
        Some(c) => raise(py, &c.base, message, (0, false, None)),
        None => pyo3::exceptions::PyRuntimeError::new_err(message.to_owned()),
    }
}

/// A client result that becomes a Python value, or raises its error, when converted with the
/// GIL held (so async futures can carry a `ClientError` without taking the GIL themselves).
#[derive(Debug)]
pub struct Fallible<T>(pub Result<T, ClientError>);

impl<'py, T> IntoPyObject<'py> for Fallible<T>
where
    T: IntoPyObject<'py>,
{
    type Target = PyAny;
    type Output = Bound<'py, PyAny>;
    type Error = PyErr;

    fn into_pyobject(self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        match self.0 {
            Ok(value) => value
                .into_pyobject(py)
                .map(|v| v.into_bound().into_any())
                .map_err(Into::into),
            Err(e) => Err(client_error(py, &e)),
        }
    }
}
