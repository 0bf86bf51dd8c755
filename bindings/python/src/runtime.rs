//! The one tokio runtime of the process and how Python threads wait on it.
//!
//! Every client future runs on the runtime `pyo3_async_runtimes` owns (multi-threaded, one
//! worker per core), so the sync API and `ferrocket.aio` share connections' tasks and timers.
//! A sync call spawns its future there and waits for the result on a std channel with the GIL
//! released, in slices of `WAIT_SLICE`: between slices it takes the GIL back only to run
//! `check_signals`, so Ctrl-C interrupts any blocking call (the spawned future is aborted when
//! the wait ends early). Spawning instead of `block_on` makes the wait work from every thread,
//! a listener's consume thread (which has entered the runtime) included.
//!
//! Invariant: tokio worker threads never wait for the GIL. Python is called only from the
//! consume threads, the per-producer callback thread, the log forwarder thread, the calling
//! thread, and `pyo3_async_runtimes`' blocking-pool threads.

use std::future::Future;
use std::sync::mpsc;
use std::time::Duration;

use ferrocket::ClientError;
use pyo3::prelude::*;
use tokio::task::JoinHandle;

use crate::error::{client_error, internal_error};

/// How long a sync call waits with the GIL released before it checks for signals (Ctrl-C).
pub const WAIT_SLICE: Duration = Duration::from_millis(100);

/// The shared runtime.
pub fn runtime() -> &'static tokio::runtime::Runtime {
    pyo3_async_runtimes::tokio::get_runtime()
}

/// Aborts a spawned future when the wait for it ends without its result (Ctrl-C).
struct AbortOnDrop<T>(JoinHandle<T>);

impl<T> Drop for AbortOnDrop<T> {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// Runs `fut` on the runtime and waits for its output with the GIL released; a signal
/// handler that raises (Ctrl-C: `KeyboardInterrupt`) ends the wait and cancels `fut`.
pub fn wait<F>(py: Python<'_>, fut: F) -> PyResult<F::Output>
where
    F: Future + Send + 'static,
    F::Output: Send + 'static,
{
    let (tx, rx) = mpsc::sync_channel(1);
    let task = runtime().spawn(async move {
        // The receiver is gone only when the wait was interrupted; the result is not wanted.
        let _ = tx.send(fut.await);
    });
    let _abort = AbortOnDrop(task);
    let mut rx = rx;
    loop {
        // The receiver moves into the detached closure and back: it is `Send`, not `Sync`.
        let (received, back) = py.detach(move || (rx.recv_timeout(WAIT_SLICE), rx));
        rx = back;
        match received {
            Ok(output) => return Ok(output),
            Err(mpsc::RecvTimeoutError::Timeout) => py.check_signals()?,
            Err(mpsc::RecvTimeoutError::Disconnected) => {
                return Err(internal_error(
                    py,
                    "the client task ended without a result (the runtime is shutting down)",
                ));
            }
        }
    }
}

/// `wait` for a client call, raising its error as a `FerrocketError` subclass.
pub fn call<F, T>(py: Python<'_>, fut: F) -> PyResult<T>
where
    F: Future<Output = Result<T, ClientError>> + Send + 'static,
    T: Send + 'static,
{
    wait(py, fut)?.map_err(|e| client_error(py, &e))
}

/// Runs a sync client call inside the runtime's context (it may spawn tasks, as `assign` of
/// a started pull consumer does).
pub fn entered<T>(f: impl FnOnce() -> T) -> T {
    let _context = runtime().enter();
    f()
}
