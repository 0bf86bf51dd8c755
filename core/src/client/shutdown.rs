//! Task ownership: a shutdown signal (a `tokio::sync::watch` flag, like a cancellation token)
//! and `Tasks`, the owner that spawns background tasks, signals them and joins them.
//!
//! Every task the client spawns is spawned through a `Tasks`; its `shutdown()` raises the flag
//! and waits for every task to return, so nothing outlives the object that started it.

use std::future::Future;
use std::sync::Mutex;
use std::time::Duration;

use tokio::sync::watch;
use tokio::task::JoinSet;

/// The receiving side of a shutdown flag; cheap to clone, one per task.
#[derive(Debug, Clone)]
pub struct ShutdownSignal {
    rx: watch::Receiver<bool>,
}

impl ShutdownSignal {
    /// Whether shutdown was requested.
    pub fn is_shutdown(&self) -> bool {
        *self.rx.borrow()
    }

    /// Completes once shutdown is requested (at once if it already was, or if the owner is
    /// gone).
    pub async fn wait(&mut self) {
        // An error means the sender was dropped: the owner is gone, which is a shutdown too.
        let _ = self.rx.wait_for(|down| *down).await;
    }

    /// Sleeps for `d`; returns false when shutdown was requested first.
    pub async fn sleep(&mut self, d: Duration) -> bool {
        tokio::select! {
            () = self.wait() => false,
            () = tokio::time::sleep(d) => true,
        }
    }
}

/// The owner of a group of background tasks.
#[derive(Debug)]
pub struct Tasks {
    flag: watch::Sender<bool>,
    set: Mutex<Option<JoinSet<()>>>,
}

impl Default for Tasks {
    fn default() -> Tasks {
        Tasks::new()
    }
}

impl Tasks {
    /// An owner with no tasks.
    pub fn new() -> Tasks {
        Tasks {
            flag: watch::Sender::new(false),
            set: Mutex::new(Some(JoinSet::new())),
        }
    }

    /// A signal that fires when `shutdown` (or `signal_shutdown`) is called.
    pub fn signal(&self) -> ShutdownSignal {
        ShutdownSignal {
            rx: self.flag.subscribe(),
        }
    }

    /// Whether shutdown was requested.
    pub fn is_shutdown(&self) -> bool {
        *self.flag.borrow()
    }

    /// Spawns `task` on the current runtime; returns false (and drops it) after shutdown.
    pub fn spawn<F>(&self, task: F) -> bool
    where
        F: Future<Output = ()> + Send + 'static,
    {
        let mut guard = lock(&self.set);
        let Some(set) = guard.as_mut() else {
            return false;
        };
        if self.is_shutdown() {
            return false;
        }
        // Reap finished tasks so the set only holds live ones.
        while set.try_join_next().is_some() {}
        set.spawn(task);
        true
    }

    /// Raises the shutdown flag without waiting (usable from `Drop`).
    pub fn signal_shutdown(&self) {
        self.flag.send_replace(true);
    }

    /// Raises the shutdown flag and waits for every task to return. Idempotent.
    pub async fn shutdown(&self) {
        self.signal_shutdown();
        let set = lock(&self.set).take();
        if let Some(mut set) = set {
            while let Some(result) = set.join_next().await {
                if let Err(e) = result
                    && e.is_panic()
                {
                    tracing::error!(error = %e, "client task panicked");
                }
            }
        }
    }
}

/// Locks a std mutex, recovering the data if a panicking thread poisoned it (every critical
/// section here leaves the data consistent).
pub(crate) fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};

    /// Shutdown signals every task and joins them; nothing spawns afterwards.
    #[tokio::test]
    async fn shutdown_joins_tasks() {
        let tasks = Tasks::new();
        let stopped = Arc::new(AtomicUsize::new(0));
        for _ in 0..3 {
            let mut signal = tasks.signal();
            let stopped = stopped.clone();
            assert!(tasks.spawn(async move {
                signal.wait().await;
                stopped.fetch_add(1, Ordering::SeqCst);
            }));
        }
        tasks.shutdown().await;
        assert_eq!(stopped.load(Ordering::SeqCst), 3);
        assert!(!tasks.spawn(async {}));
        tasks.shutdown().await;
    }
}
