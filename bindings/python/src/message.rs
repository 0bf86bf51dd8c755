//! `Message` (what a producer sends) and `MessageExt` (what a consumer receives), converted
//! from and to the Rust client's types (`MessageQueue` and `Sql` are in `queue.rs`).
//!
//! Python idioms over RocketMQ's fields: bodies are `bytes` (a `str` is encoded as UTF-8, any
//! buffer is copied once); `keys` is a list of strings (a string is split at whitespace, as
//! RocketMQ joins keys with spaces); times are milliseconds since the epoch (`deliver_at` also
//! takes an aware or naive `datetime`).

use std::collections::BTreeMap;

use bytes::Bytes;
use ferrocket::protocol::record::decode_record;
use ferrocket::{ClientError, Message, MessageExt};
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyString};

use crate::error::{client_error, invalid_argument};

pub use crate::queue::{PyMessageQueue, selector_from};

/// Reads a body: `bytes`, `str` (UTF-8) or any object with the buffer protocol.
fn body_from(obj: &Bound<'_, PyAny>) -> PyResult<Bytes> {
    if let Ok(b) = obj.cast::<PyBytes>() {
        return Ok(Bytes::copy_from_slice(b.as_bytes()));
    }
    if let Ok(s) = obj.cast::<PyString>() {
        return Ok(Bytes::copy_from_slice(s.to_cow()?.as_bytes()));
    }
    let py = obj.py();
    // `memoryview`, not `bytes(obj)`: `bytes(5)` would be five zero bytes.
    let copied = py
        .import("builtins")?
        .getattr("memoryview")?
        .call1((obj,))
        .and_then(|view| view.call_method0("tobytes"));
    match copied {
        Ok(b) => Ok(Bytes::copy_from_slice(b.cast::<PyBytes>()?.as_bytes())),
        Err(_) => Err(invalid_argument(
            py,
            format!(
                "message body must be bytes, str or a buffer, not {}",
                obj.get_type().name()?
            ),
        )),
    }
}

/// Reads keys: one string (split at whitespace) or an iterable of strings.
fn keys_from(obj: &Bound<'_, PyAny>) -> PyResult<Vec<String>> {
    if let Ok(s) = obj.cast::<PyString>() {
        return Ok(s.to_cow()?.split_whitespace().map(str::to_owned).collect());
    }
    obj.try_iter()?
        .map(|k| k.and_then(|k| k.extract::<String>()))
        .collect()
}

/// Reads a delivery time: milliseconds since the epoch (`int`) or a `datetime`.
fn deliver_at_from(obj: &Bound<'_, PyAny>) -> PyResult<u64> {
    if let Ok(ms) = obj.extract::<u64>() {
        return Ok(ms);
    }
    let py = obj.py();
    let datetime = py.import("datetime")?.getattr("datetime")?;
    if obj.is_instance(&datetime)? {
        let seconds: f64 = obj.call_method0("timestamp")?.extract()?;
        if seconds.is_finite() && seconds >= 0.0 {
            // Whole milliseconds; the broker's precision is coarser still.
            return Ok((seconds * 1000.0).round() as u64);
        }
    }
    Err(invalid_argument(
        py,
        "deliver_at must be milliseconds since the epoch (int >= 0) or a datetime after 1970",
    ))
}

/// A message to send.
#[pyclass(module = "ferrocket", name = "Message")]
#[derive(Debug, Clone)]
pub struct PyMessage {
    pub inner: Message,
}

#[pymethods]
impl PyMessage {
    #[new]
    #[pyo3(signature = (topic, body, *, tags=None, keys=None, properties=None,
        delay_level=None, deliver_at=None, wait_store_msg_ok=true, flag=0))]
    #[allow(clippy::too_many_arguments)]
    fn new(
        topic: String,
        body: &Bound<'_, PyAny>,
        tags: Option<String>,
        keys: Option<&Bound<'_, PyAny>>,
        properties: Option<BTreeMap<String, String>>,
        delay_level: Option<u8>,
        deliver_at: Option<&Bound<'_, PyAny>>,
        wait_store_msg_ok: bool,
        flag: u32,
    ) -> PyResult<PyMessage> {
        let mut inner = Message::new(topic, body_from(body)?);
        inner.tags = tags;
        if let Some(keys) = keys {
            inner.keys = keys_from(keys)?;
        }
        inner.properties = properties.unwrap_or_default();
        inner.delay_level = delay_level.unwrap_or(0);
        inner.deliver_at_ms = deliver_at.map(deliver_at_from).transpose()?;
        inner.wait_store_msg_ok = wait_store_msg_ok;
        inner.flag = flag;
        Ok(PyMessage { inner })
    }

    #[getter]
    fn topic(&self) -> &str {
        &self.inner.topic
    }

    #[setter]
    fn set_topic(&mut self, topic: String) {
        self.inner.topic = topic;
    }

    #[getter]
    fn body<'py>(&self, py: Python<'py>) -> Bound<'py, PyBytes> {
        PyBytes::new(py, &self.inner.body)
    }

    #[setter]
    fn set_body(&mut self, body: &Bound<'_, PyAny>) -> PyResult<()> {
        self.inner.body = body_from(body)?;
        Ok(())
    }

    #[getter]
    fn tags(&self) -> Option<&str> {
        self.inner.tags.as_deref()
    }

    #[setter]
    fn set_tags(&mut self, tags: Option<String>) {
        self.inner.tags = tags;
    }

    #[getter]
    fn keys(&self) -> Vec<String> {
        self.inner.keys.clone()
    }

    #[setter]
    fn set_keys(&mut self, keys: &Bound<'_, PyAny>) -> PyResult<()> {
        self.inner.keys = keys_from(keys)?;
        Ok(())
    }

    /// A copy of the properties; change them with `set_property`.
    #[getter]
    fn properties(&self) -> BTreeMap<String, String> {
        self.inner.properties.clone()
    }

    #[setter]
    fn set_properties(&mut self, properties: BTreeMap<String, String>) {
        self.inner.properties = properties;
    }

    /// Sets one user property (RocketMQ's `putUserProperty`).
    fn set_property(&mut self, key: String, value: String) {
        self.inner.properties.insert(key, value);
    }

    #[getter]
    fn delay_level(&self) -> u8 {
        self.inner.delay_level
    }

    #[setter]
    fn set_delay_level(&mut self, level: Option<u8>) {
        self.inner.delay_level = level.unwrap_or(0);
    }

    #[getter]
    fn deliver_at(&self) -> Option<u64> {
        self.inner.deliver_at_ms
    }

    #[setter]
    fn set_deliver_at(&mut self, at: Option<&Bound<'_, PyAny>>) -> PyResult<()> {
        self.inner.deliver_at_ms = at.map(deliver_at_from).transpose()?;
        Ok(())
    }

    #[getter]
    fn wait_store_msg_ok(&self) -> bool {
        self.inner.wait_store_msg_ok
    }

    #[setter]
    fn set_wait_store_msg_ok(&mut self, wait: bool) {
        self.inner.wait_store_msg_ok = wait;
    }

    #[getter]
    fn flag(&self) -> u32 {
        self.inner.flag
    }

    #[setter]
    fn set_flag(&mut self, flag: u32) {
        self.inner.flag = flag;
    }

    fn __repr__(&self) -> String {
        let m = &self.inner;
        format!(
            "Message(topic={:?}, body=<{} bytes>, tags={:?}, keys={:?})",
            m.topic,
            m.body.len(),
            m.tags,
            m.keys
        )
    }
}

/// A message as stored and delivered.
#[pyclass(module = "ferrocket", name = "MessageExt", frozen)]
#[derive(Debug, Clone)]
pub struct PyMessageExt {
    pub inner: MessageExt,
}

#[pymethods]
impl PyMessageExt {
    /// Decodes one stored message record (the layout of `spec/vectors/record.json`).
    #[staticmethod]
    fn from_record(py: Python<'_>, record: &Bound<'_, PyAny>) -> PyResult<PyMessageExt> {
        let bytes = body_from(record)?;
        decode_record(&bytes)
            .map(|inner| PyMessageExt { inner })
            .map_err(|e| client_error(py, &ClientError::Decode(e)))
    }

    #[getter]
    fn topic(&self) -> &str {
        self.inner.topic()
    }

    #[getter]
    fn body<'py>(&self, py: Python<'py>) -> Bound<'py, PyBytes> {
        PyBytes::new(py, self.inner.body())
    }

    #[getter]
    fn tags(&self) -> Option<&str> {
        self.inner.tags()
    }

    #[getter]
    fn keys(&self) -> Vec<String> {
        self.inner.keys().to_vec()
    }

    #[getter]
    fn properties(&self) -> BTreeMap<String, String> {
        self.inner.message.properties.clone()
    }

    /// One property, or `default`.
    #[pyo3(signature = (key, default=None))]
    fn get_property(&self, key: &str, default: Option<String>) -> Option<String> {
        self.inner.property(key).map(str::to_owned).or(default)
    }

    #[getter]
    fn msg_id(&self) -> String {
        self.inner.msg_id.to_string()
    }

    #[getter]
    fn offset_msg_id(&self) -> String {
        self.inner.offset_msg_id()
    }

    #[getter]
    fn queue_id(&self) -> u32 {
        self.inner.queue_id
    }

    #[getter]
    fn queue_offset(&self) -> u64 {
        self.inner.queue_offset
    }

    #[getter]
    fn reconsume_times(&self) -> u32 {
        self.inner.reconsume_times
    }

    #[getter]
    fn born_timestamp(&self) -> u64 {
        self.inner.born_timestamp_ms
    }

    #[getter]
    fn store_timestamp(&self) -> u64 {
        self.inner.store_timestamp_ms
    }

    #[getter]
    fn born_host(&self) -> String {
        self.inner.born_host.to_string()
    }

    #[getter]
    fn store_host(&self) -> String {
        self.inner.store_host.to_string()
    }

    #[getter]
    fn commit_log_offset(&self) -> u64 {
        self.inner.commit_log_offset
    }

    #[getter]
    fn store_size(&self) -> u32 {
        self.inner.store_size
    }

    #[getter]
    fn sys_flag(&self) -> u32 {
        self.inner.sys_flag
    }

    #[getter]
    fn flag(&self) -> u32 {
        self.inner.message.flag
    }

    #[getter]
    fn delay_level(&self) -> u8 {
        self.inner.message.delay_level
    }

    #[getter]
    fn deliver_at(&self) -> Option<u64> {
        self.inner.message.deliver_at_ms
    }

    #[getter]
    fn prepared_transaction_offset(&self) -> u64 {
        self.inner.prepared_transaction_offset
    }

    #[getter]
    fn payload_crc(&self) -> u32 {
        self.inner.payload_crc
    }

    fn __repr__(&self) -> String {
        let m = &self.inner;
        format!(
            "MessageExt(topic={:?}, msg_id={}, queue_id={}, queue_offset={}, body=<{} bytes>)",
            m.topic(),
            m.msg_id,
            m.queue_id,
            m.queue_offset,
            m.body().len()
        )
    }
}

/// Python `MessageExt` objects for a batch of received messages.
pub fn message_list(py: Python<'_>, msgs: &[MessageExt]) -> PyResult<Vec<Py<PyMessageExt>>> {
    msgs.iter()
        .map(|m| Py::new(py, PyMessageExt { inner: m.clone() }))
        .collect()
}
