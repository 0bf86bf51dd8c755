//! Started clients, so the interpreter's exit can shut them down cleanly.
//!
//! `ferrocket/__init__.py` registers `_shutdown_all` with `atexit`: at exit, while the
//! interpreter is still whole, every started client that is still alive is shut down (push
//! consumers drain their listener calls and join their consume threads, producers resolve their
//! outstanding `send_async` futures), then the log forwarder stops. Nothing is left that could
//! try to attach to a finalizing interpreter, so exit never hangs on a client. Clients are
//! held weakly: dropping the Python object still drops the client.

use std::sync::{Arc, Mutex, Weak};

use pyo3::prelude::*;

/// A client the exit hook can shut down.
pub trait Closeable: Send + Sync {
    /// Shuts the client down (idempotent), waiting with the GIL released.
    fn close(&self, py: Python<'_>) -> PyResult<()>;
}

static LIVE: Mutex<Vec<Weak<dyn Closeable>>> = Mutex::new(Vec::new());

/// Remembers a started client.
pub fn track(client: Arc<dyn Closeable>) {
    let mut live = LIVE.lock().unwrap_or_else(|e| e.into_inner());
    live.retain(|w| w.strong_count() > 0);
    live.push(Arc::downgrade(&client));
}

/// Shuts down every started client still alive, then stops the log forwarder; run at exit.
#[pyfunction]
pub fn _shutdown_all(py: Python<'_>) -> PyResult<()> {
    let live: Vec<Weak<dyn Closeable>> =
        std::mem::take(&mut *LIVE.lock().unwrap_or_else(|e| e.into_inner()));
    let mut first_error = None;
    for client in live.iter().filter_map(Weak::upgrade) {
        if let Err(e) = client.close(py) {
            first_error.get_or_insert(e);
        }
    }
    crate::logging::stop(py);
    match first_error {
        Some(e) => Err(e),
        None => Ok(()),
    }
}
