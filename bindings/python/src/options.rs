//! `**options` of the client classes: each keyword is one setter of the Rust builder, under the
//! builder's own name; durations are seconds (`int` or `float`, Python's convention for
//! timeouts). An unknown keyword or a value of the wrong kind raises `InvalidArgumentError`
//! naming it and listing the known ones.
//!
//! Every class takes the client settings `connect_timeout`, `request_timeout`,
//! `route_refresh_interval` and `heartbeat_interval` too.

use std::sync::Arc;
use std::time::Duration;

use ferrocket::client::allocate::{
    AllocateAveragely, AllocateAveragelyByCircle, AllocateConsistentHash, AllocateStrategy,
};
use ferrocket::client::route::NameServers;
use ferrocket::{ClientConfig, ConsumeFrom};
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyString};

use crate::error::{client_error, invalid_argument};

/// The keyword arguments of one constructor, taken one by one.
pub struct Kwargs<'py> {
    py: Python<'py>,
    owner: &'static str,
    entries: Vec<(String, Bound<'py, PyAny>)>,
    known: Vec<&'static str>,
}

impl<'py> Kwargs<'py> {
    /// The keywords given to `owner`'s constructor.
    pub fn new(
        py: Python<'py>,
        owner: &'static str,
        kwargs: Option<&Bound<'py, PyDict>>,
    ) -> PyResult<Kwargs<'py>> {
        let mut entries = Vec::new();
        if let Some(kwargs) = kwargs {
            for (k, v) in kwargs.iter() {
                entries.push((k.extract::<String>()?, v));
            }
        }
        Ok(Kwargs {
            py,
            owner,
            entries,
            known: Vec::new(),
        })
    }

    /// The value of `name`, if given (`None` counts as not given).
    pub fn take(&mut self, name: &'static str) -> Option<Bound<'py, PyAny>> {
        self.known.push(name);
        let at = self.entries.iter().position(|(k, _)| k == name)?;
        let (_, value) = self.entries.swap_remove(at);
        (!value.is_none()).then_some(value)
    }

    fn bad(&self, name: &str, what: &str) -> PyErr {
        invalid_argument(
            self.py,
            format!("option `{name}` of {} must be {what}", self.owner),
        )
    }

    /// A value extracted as `T`.
    pub fn get<T>(&mut self, name: &'static str, what: &str) -> PyResult<Option<T>>
    where
        T: pyo3::conversion::FromPyObjectOwned<'py>,
    {
        match self.take(name) {
            None => Ok(None),
            Some(v) => v.extract::<T>().map(Some).map_err(|_| self.bad(name, what)),
        }
    }

    /// A duration in seconds.
    pub fn duration(&mut self, name: &'static str) -> PyResult<Option<Duration>> {
        let Some(seconds) = self.get::<f64>(name, "a number of seconds")? else {
            return Ok(None);
        };
        seconds_to_duration(seconds)
            .map(Some)
            .ok_or_else(|| self.bad(name, "a number of seconds >= 0"))
    }

    /// Fails on any keyword no `take` asked for.
    pub fn finish(self) -> PyResult<()> {
        let Some((name, _)) = self.entries.first() else {
            return Ok(());
        };
        let mut known = self.known.clone();
        known.sort_unstable();
        Err(invalid_argument(
            self.py,
            format!(
                "unknown option `{name}` for {}; known options: {}",
                self.owner,
                known.join(", ")
            ),
        ))
    }
}

/// Seconds as a `Duration`; `None` for negative, infinite or NaN values.
pub fn seconds_to_duration(seconds: f64) -> Option<Duration> {
    Duration::try_from_secs_f64(seconds).ok()
}

/// The name servers and the client settings every class takes.
pub fn client_config(namesrv: &str, kw: &mut Kwargs<'_>) -> PyResult<ClientConfig> {
    let mut config = ClientConfig {
        name_servers: NameServers::parse(namesrv).map_err(|e| client_error(kw.py, &e))?,
        ..ClientConfig::default()
    };
    if let Some(d) = kw.duration("connect_timeout")? {
        config.connect_timeout = d;
    }
    if let Some(d) = kw.duration("request_timeout")? {
        config.request_timeout = d;
    }
    if let Some(d) = kw.duration("route_refresh_interval")? {
        config.route_refresh_interval = d;
    }
    if let Some(d) = kw.duration("heartbeat_interval")? {
        config.heartbeat_interval = d;
    }
    config.validate().map_err(|e| client_error(kw.py, &e))?;
    Ok(config)
}

/// Where a group with no committed offset starts: `"last"` (also `None`), `"first"`, or a
/// time (milliseconds since the epoch, or a `datetime`).
pub fn consume_from(obj: Option<&Bound<'_, PyAny>>) -> PyResult<ConsumeFrom> {
    let Some(obj) = obj else {
        return Ok(ConsumeFrom::LastOffset);
    };
    if let Ok(s) = obj.cast::<PyString>() {
        return match s.to_cow()?.as_ref() {
            "last" => Ok(ConsumeFrom::LastOffset),
            "first" => Ok(ConsumeFrom::FirstOffset),
            other => Err(invalid_argument(
                obj.py(),
                format!("consume_from `{other}` is not \"last\", \"first\" or a timestamp"),
            )),
        };
    }
    if let Ok(ms) = obj.extract::<u64>() {
        return Ok(ConsumeFrom::Timestamp(ms));
    }
    let py = obj.py();
    let datetime = py.import("datetime")?.getattr("datetime")?;
    if obj.is_instance(&datetime)? {
        let seconds: f64 = obj.call_method0("timestamp")?.extract()?;
        if seconds.is_finite() && seconds >= 0.0 {
            return Ok(ConsumeFrom::Timestamp((seconds * 1000.0).round() as u64));
        }
    }
    Err(invalid_argument(
        py,
        "consume_from must be \"last\", \"first\", milliseconds since the epoch or a datetime",
    ))
}

/// A queue allocation strategy by name: `"averagely"` (the default), `"averagely_by_circle"`
/// or `"consistent_hash"`.
pub fn allocate_strategy(py: Python<'_>, name: &str) -> PyResult<Arc<dyn AllocateStrategy>> {
    match name {
        "averagely" => Ok(Arc::new(AllocateAveragely)),
        "averagely_by_circle" => Ok(Arc::new(AllocateAveragelyByCircle)),
        "consistent_hash" => Ok(Arc::new(AllocateConsistentHash::default())),
        other => Err(invalid_argument(
            py,
            format!(
                "allocate_strategy `{other}` is not \"averagely\", \"averagely_by_circle\" or \
                 \"consistent_hash\""
            ),
        )),
    }
}
