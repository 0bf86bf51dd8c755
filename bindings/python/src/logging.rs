//! Rust-side `tracing` events forwarded to Python's `logging.getLogger("ferrocket")`.
//!
//! A small `tracing` layer (the process's global subscriber, set at import) formats each event
//! as `message key=value …` and queues it, without blocking and without the GIL, on a bounded
//! channel (`LOG_QUEUE_LEN`; when it is full events are dropped and counted). One forwarder
//! thread takes the GIL per batch and calls `logger.log(level, text, extra={"rust_target":
//! target})`; it also re-reads the logger's effective level every second, which gates `DEBUG`
//! and `TRACE` events at the source (INFO and above are always queued: they are rare). The
//! library adds no handler: `ferrocket/__init__.py` adds only a `NullHandler`, so nothing is
//! printed unless the application configures logging. `stop` (called at exit) ends the thread.
//!
//! Levels: ERROR 40, WARN 30, INFO 20, DEBUG 10, TRACE 5 (Python's numbers; TRACE has none).

use std::fmt::Write as _;
use std::sync::atomic::{AtomicBool, AtomicU8, AtomicU64, Ordering};
use std::sync::mpsc::{Receiver, RecvTimeoutError, SyncSender, TrySendError};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::PyDict;
use tracing::field::{Field, Visit};
use tracing::subscriber::Interest;
use tracing::{Event, Level, Metadata, Subscriber};
use tracing_subscriber::layer::{Context, Layer};
use tracing_subscriber::prelude::*;

/// Python's `logging.ERROR`.
pub const ERROR: u8 = 40;
/// Python's `logging.WARNING`.
pub const WARNING: u8 = 30;
/// Python's `logging.INFO`.
const INFO: u8 = 20;
/// Events queued for the forwarder at most; more are dropped until it catches up.
const LOG_QUEUE_LEN: usize = 4096;
/// Events forwarded per GIL acquisition at most.
const LOG_BATCH_MAX: usize = 256;
/// How often the forwarder re-reads the logger's level when idle.
const LEVEL_REFRESH: Duration = Duration::from_secs(1);

static LOGGER: PyOnceLock<Py<PyAny>> = PyOnceLock::new();
/// The forwarder thread, taken by `stop`.
static FORWARDER: Mutex<Option<std::thread::JoinHandle<()>>> = Mutex::new(None);
static SENDER: Mutex<Option<SyncSender<Item>>> = Mutex::new(None);

/// What the forwarder gets.
enum Item {
    Event {
        level: u8,
        target: String,
        text: String,
    },
    Stop,
}

fn python_level(level: &Level) -> u8 {
    match *level {
        Level::ERROR => 40,
        Level::WARN => 30,
        Level::INFO => 20,
        Level::DEBUG => 10,
        _ => 5,
    }
}

/// The layer; see the module doc.
struct PyLogLayer {
    tx: SyncSender<Item>,
    /// The `ferrocket` logger's effective level, as last read.
    min_level: Arc<AtomicU8>,
    dropped: Arc<AtomicU64>,
}

/// Formats an event's fields: the message, then `key=value` pairs.
#[derive(Default)]
struct Text {
    message: String,
    fields: String,
}

impl Visit for Text {
    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        if field.name() == "message" {
            let _ = write!(self.message, "{value:?}");
        } else {
            let _ = write!(self.fields, " {}={value:?}", field.name());
        }
    }

    fn record_str(&mut self, field: &Field, value: &str) {
        if field.name() == "message" {
            self.message.push_str(value);
        } else {
            let _ = write!(self.fields, " {}={value}", field.name());
        }
    }
}

impl<S: Subscriber> Layer<S> for PyLogLayer {
    fn register_callsite(&self, metadata: &'static Metadata<'static>) -> Interest {
        // DEBUG and TRACE depend on the logger's level, which may change: ask every time.
        if python_level(metadata.level()) >= INFO {
            Interest::always()
        } else {
            Interest::sometimes()
        }
    }

    fn enabled(&self, metadata: &Metadata<'_>, _ctx: Context<'_, S>) -> bool {
        let level = python_level(metadata.level());
        level >= INFO || level >= self.min_level.load(Ordering::Relaxed)
    }

    fn on_event(&self, event: &Event<'_>, _ctx: Context<'_, S>) {
        let mut text = Text::default();
        event.record(&mut text);
        text.message.push_str(&text.fields);
        let item = Item::Event {
            level: python_level(event.metadata().level()),
            target: event.metadata().target().to_owned(),
            text: text.message,
        };
        if let Err(TrySendError::Full(_)) = self.tx.try_send(item) {
            self.dropped.fetch_add(1, Ordering::Relaxed);
        }
    }
}

/// The `ferrocket` logger.
fn logger(py: Python<'_>) -> PyResult<&Bound<'_, PyAny>> {
    LOGGER
        .get_or_try_init(py, || {
            let logging = py.import("logging")?;
            Ok::<_, PyErr>(logging.call_method1("getLogger", ("ferrocket",))?.unbind())
        })
        .map(|l| l.bind(py))
}

/// Logs `text` at `level` on the `ferrocket` logger, with the traceback of `error` if given.
pub fn log(py: Python<'_>, level: u8, text: &str, error: Option<&PyErr>) {
    let logged = logger(py).and_then(|logger| {
        let kwargs = PyDict::new(py);
        if let Some(e) = error {
            kwargs.set_item("exc_info", e.value(py))?;
        }
        logger.call_method("log", (level, text), Some(&kwargs))?;
        Ok(())
    });
    if let Err(e) = logged {
        // Logging itself failed (a broken handler): report it the way Python reports errors
        // it cannot raise, then carry on.
        e.write_unraisable(py, None);
    }
}

fn refresh_level(py: Python<'_>, min_level: &AtomicU8) {
    if let Ok(level) = logger(py)
        .and_then(|l| l.call_method0("getEffectiveLevel"))
        .and_then(|l| l.extract::<u32>())
    {
        min_level.store(u8::try_from(level).unwrap_or(u8::MAX), Ordering::Relaxed);
    }
}

/// Forwards one batch; false once the interpreter can no longer be attached.
fn forward(batch: Vec<(u8, String, String)>, min_level: &AtomicU8, dropped: &AtomicU64) -> bool {
    Python::try_attach(|py| {
        for (level, target, text) in batch {
            let emitted = logger(py).and_then(|logger| {
                let extra = PyDict::new(py);
                extra.set_item("rust_target", target)?;
                let kwargs = PyDict::new(py);
                kwargs.set_item("extra", extra)?;
                logger.call_method("log", (level, text), Some(&kwargs))
            });
            if let Err(e) = emitted {
                e.write_unraisable(py, None);
            }
        }
        let lost = dropped.swap(0, Ordering::Relaxed);
        if lost > 0 {
            let text = format!("{lost} log event(s) dropped: the log queue was full");
            log(py, WARNING, &text, None);
        }
        refresh_level(py, min_level);
    })
    .is_some()
}

fn run_forwarder(rx: Receiver<Item>, min_level: Arc<AtomicU8>, dropped: Arc<AtomicU64>) {
    loop {
        let first = match rx.recv_timeout(LEVEL_REFRESH) {
            Ok(Item::Event {
                level,
                target,
                text,
            }) => (level, target, text),
            Ok(Item::Stop) | Err(RecvTimeoutError::Disconnected) => return,
            Err(RecvTimeoutError::Timeout) => {
                if Python::try_attach(|py| refresh_level(py, &min_level)).is_none() {
                    return;
                }
                continue;
            }
        };
        let mut batch = vec![first];
        let mut stop = false;
        while batch.len() < LOG_BATCH_MAX {
            match rx.try_recv() {
                Ok(Item::Event {
                    level,
                    target,
                    text,
                }) => batch.push((level, target, text)),
                Ok(Item::Stop) => {
                    stop = true;
                    break;
                }
                Err(_) => break,
            }
        }
        if !forward(batch, &min_level, &dropped) || stop {
            return;
        }
    }
}

/// Sets the global `tracing` subscriber and starts the forwarder (once per process).
pub fn install(py: Python<'_>) -> PyResult<()> {
    static INSTALLED: AtomicBool = AtomicBool::new(false);
    if INSTALLED.swap(true, Ordering::AcqRel) {
        return Ok(());
    }
    let min_level = Arc::new(AtomicU8::new(WARNING));
    refresh_level(py, &min_level);
    let dropped = Arc::new(AtomicU64::new(0));
    let (tx, rx) = std::sync::mpsc::sync_channel(LOG_QUEUE_LEN);
    let layer = PyLogLayer {
        tx: tx.clone(),
        min_level: min_level.clone(),
        dropped: dropped.clone(),
    };
    // Another global subscriber (set by an embedding Rust program) wins; then nothing is
    // forwarded, which is what that program asked for.
    if tracing_subscriber::registry()
        .with(layer)
        .try_init()
        .is_err()
    {
        return Ok(());
    }
    let handle = std::thread::Builder::new()
        .name("ferrocket-log".into())
        .spawn(move || run_forwarder(rx, min_level, dropped))
        .map_err(|e| crate::error::internal_error(py, &format!("cannot start a thread: {e}")))?;
    *FORWARDER.lock().unwrap_or_else(|e| e.into_inner()) = Some(handle);
    *SENDER.lock().unwrap_or_else(|e| e.into_inner()) = Some(tx);
    Ok(())
}

/// Stops the forwarder after it has forwarded what is queued, and joins it (GIL released, so
/// the forwarder can take it for its last batch).
pub fn stop(py: Python<'_>) {
    let tx = SENDER.lock().unwrap_or_else(|e| e.into_inner()).take();
    let handle = FORWARDER.lock().unwrap_or_else(|e| e.into_inner()).take();
    py.detach(move || {
        if let Some(tx) = tx {
            // Waits for room behind the queued events; fails only if the forwarder has ended.
            let _ = tx.send(Item::Stop);
        }
        if let Some(handle) = handle {
            let _ = handle.join();
        }
    });
}
