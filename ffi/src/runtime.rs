//! How the async Rust client runs under a blocking C API.
//!
//! Each C handle (`ferrocket_producer_t`, `ferrocket_pull_consumer_t`, …) owns one
//! multi-thread tokio runtime with `client_threads` worker threads (named
//! `ferrocket-<role>`): the client's connection, route-refresh, heartbeat and fetch tasks run
//! there, and so do callbacks (an async send's callback runs on one of these threads). A
//! blocking C call runs its future with `block_on` on the calling thread, or, when the caller
//! is itself on a runtime thread (inside a callback), hands the future to the handle's runtime
//! and waits in `block_in_place`, so a callback may make blocking calls without stalling the
//! runtime it runs on.
//!
//! A handle's `_shutdown` waits for its callbacks, so it refuses to run inside one of them
//! (`FERROCKET_ERR_ILLEGAL_STATE`); `_destroy` called there hands the shutdown to a new thread
//! instead. A runtime is never dropped on a runtime thread (tokio forbids it): such a drop
//! moves to a short-lived thread of its own.

use std::cell::Cell;
use std::ffi::c_void;
use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use tokio::runtime::{Handle as TokioHandle, Runtime, RuntimeFlavor};

use crate::error::{FfiError, ferrocket_status_t};

/// Worker threads of a handle's runtime unless the config key `client_threads` says otherwise.
pub const FERROCKET_CLIENT_THREADS_DEFAULT: usize = 2;
/// Most worker threads a handle's runtime may have.
pub const FERROCKET_CLIENT_THREADS_MAX: usize = 64;

static NEXT_HANDLE_ID: AtomicUsize = AtomicUsize::new(1);

thread_local! {
    /// The handle whose callback is running on this thread (0: none).
    static CALLBACK_OWNER: Cell<usize> = const { Cell::new(0) };
}

/// The C caller's `void *user_data`, passed back to its callbacks untouched.
#[derive(Debug, Clone, Copy)]
pub struct UserData(pub *mut c_void);

impl UserData {
    /// The pointer (a method, so closures capture the whole `Send` wrapper, not the field).
    pub fn ptr(self) -> *mut c_void {
        self.0
    }
}

// SAFETY: the library never dereferences the pointer; it only hands it back to the caller's
// callback, and the header tells the caller that the callback may run on another thread.
unsafe impl Send for UserData {}
// SAFETY: as above: the pointer is only copied, never dereferenced.
unsafe impl Sync for UserData {}

/// A client object with the runtime it runs on.
#[derive(Debug)]
pub struct ClientHandle<T: Send + Sync + 'static> {
    client: Option<Arc<T>>,
    runtime: Option<Runtime>,
    id: usize,
}

impl<T: Send + Sync + 'static> ClientHandle<T> {
    /// Starts a runtime of `threads` workers named `ferrocket-<role>` for `client`.
    pub fn new(threads: usize, role: &str, client: T) -> Result<ClientHandle<T>, FfiError> {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(threads)
            .thread_name(format!("ferrocket-{role}"))
            .enable_all()
            .build()
            .map_err(|e| FfiError {
                status: ferrocket_status_t::FERROCKET_ERR_UNKNOWN,
                message: format!("could not start the {role}'s {threads} threads: {e}"),
            })?;
        Ok(ClientHandle {
            client: Some(Arc::new(client)),
            runtime: Some(runtime),
            id: NEXT_HANDLE_ID.fetch_add(1, Ordering::Relaxed),
        })
    }

    /// The client.
    pub fn client(&self) -> &Arc<T> {
        self.client
            .as_ref()
            .expect("the client lives as long as its handle")
    }

    /// The identity of this handle, for `callback_scope`.
    pub fn id(&self) -> usize {
        self.id
    }

    fn runtime(&self) -> &Runtime {
        self.runtime
            .as_ref()
            .expect("the runtime lives as long as its handle")
    }

    /// Runs `call(client)` to completion, blocking the calling thread (see the module doc).
    pub fn run<F, R>(&self, call: impl FnOnce(Arc<T>) -> F) -> R
    where
        F: Future<Output = R> + Send + 'static,
        R: Send + 'static,
    {
        let future = call(self.client().clone());
        match TokioHandle::try_current() {
            Err(_) => self.runtime().block_on(future),
            Ok(current) => {
                let (tx, rx) = std::sync::mpsc::sync_channel(1);
                self.runtime().spawn(async move {
                    let _ = tx.send(future.await);
                });
                let wait = move || rx.recv();
                let received = if current.runtime_flavor() == RuntimeFlavor::CurrentThread {
                    wait()
                } else {
                    tokio::task::block_in_place(wait)
                };
                received.expect("the call's task ended without an answer (it panicked)")
            }
        }
    }

    /// Runs a non-async call in the runtime's context (for calls that may spawn tasks).
    pub fn enter<R>(&self, call: impl FnOnce(&T) -> R) -> R {
        let _entered = self.runtime().enter();
        call(self.client())
    }

    /// Runs a shutdown future, refusing to from inside one of this handle's own callbacks
    /// (the shutdown would wait for that callback to return).
    pub fn shutdown<F>(&self, call: impl FnOnce(Arc<T>) -> F) -> Result<(), FfiError>
    where
        F: Future<Output = ()> + Send + 'static,
    {
        if in_callback_of(self.id) {
            return Err(FfiError::illegal_state(
                "a handle cannot be shut down from inside its own callback (it would wait for \
                 itself); return from the callback first, or call _destroy there",
            ));
        }
        self.run(call);
        Ok(())
    }

    /// Shuts the client down with `call` and frees everything; inside one of this handle's
    /// callbacks the work moves to a new thread so the callback can return first.
    pub fn close<F>(self: Box<Self>, call: impl FnOnce(Arc<T>) -> F + Send + 'static)
    where
        F: Future<Output = ()> + Send + 'static,
    {
        if in_callback_of(self.id) {
            let spawned = std::thread::Builder::new()
                .name("ferrocket-close".into())
                .spawn(move || {
                    self.run(call);
                    drop(self);
                });
            if let Err(e) = spawned {
                tracing::error!(error = %e, "could not start the closing thread; handle leaked");
            }
        } else {
            self.run(call);
            drop(self);
        }
    }
}

impl<T: Send + Sync + 'static> Drop for ClientHandle<T> {
    fn drop(&mut self) {
        let Some(runtime) = self.runtime.take() else {
            return;
        };
        {
            let _entered = runtime.enter();
            self.client = None;
        }
        if TokioHandle::try_current().is_err() {
            drop(runtime);
            return;
        }
        // Dropping a runtime blocks, which tokio forbids on a runtime thread.
        let spawned = std::thread::Builder::new()
            .name("ferrocket-drop".into())
            .spawn(move || drop(runtime));
        if let Err(e) = spawned {
            tracing::error!(error = %e, "could not start the dropping thread; runtime leaked");
        }
    }
}

/// Runs a C callback on behalf of handle `owner`, so calls made inside it know where they are.
pub fn callback_scope<R>(owner: usize, callback: impl FnOnce() -> R) -> R {
    let outer = CALLBACK_OWNER.with(|c| c.replace(owner));
    let result = callback();
    CALLBACK_OWNER.with(|c| c.set(outer));
    result
}

/// Whether a callback of handle `owner` is running on this thread.
pub fn in_callback_of(owner: usize) -> bool {
    CALLBACK_OWNER.with(Cell::get) == owner
}

/// Reads the `client_threads` setting.
pub fn client_threads(setting: Option<usize>) -> usize {
    setting.unwrap_or(FERROCKET_CLIENT_THREADS_DEFAULT)
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Probe;

    /// A blocking call works from a plain thread and from inside a task of the runtime (the
    /// callback case), and a handle dropped on a runtime thread does not panic.
    #[test]
    fn run_works_on_and_off_runtime_threads() {
        let handle = ClientHandle::new(2, "test", Probe).expect("runtime");
        assert_eq!(handle.run(|_| async { 5 }), 5);
        let handle = Arc::new(handle);
        let inner = handle.clone();
        let nested = handle.run(move |_| async move {
            tokio::task::spawn_blocking(move || inner.run(|_| async { 7 }))
                .await
                .expect("join")
        });
        assert_eq!(nested, 7);
        let other = ClientHandle::new(1, "test", Probe).expect("runtime");
        handle.run(move |_| async move { drop(other) });
    }

    /// Shutdown is refused inside the handle's own callback and allowed elsewhere.
    #[test]
    fn shutdown_refused_inside_own_callback() {
        let handle = ClientHandle::new(1, "test", Probe).expect("runtime");
        let refused = callback_scope(handle.id(), || handle.shutdown(|_| async {}));
        assert_eq!(
            refused.unwrap_err().status,
            ferrocket_status_t::FERROCKET_ERR_ILLEGAL_STATE
        );
        assert!(!in_callback_of(handle.id()));
        assert!(handle.shutdown(|_| async {}).is_ok());
    }
}
