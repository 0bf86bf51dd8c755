//! `CallbackGate`: what lets a handle's `_shutdown` promise C that none of its listener
//! callbacks is running when it returns, and that none will start afterwards.
//!
//! The Rust client waits for its consume threads only up to `await_termination`, and a
//! transaction check may be queued when the producer stops; a C caller, though, frees the
//! `user_data` its callbacks use right after `_shutdown` or `_destroy`. Every C callback
//! therefore runs holding a `Pass` of its handle's gate; `close_and_wait` shuts the gate and
//! waits until the last pass is dropped. A callback that finds the gate shut is not called
//! (its caller gets the "not done" answer: reconsume later, suspend, or unknown).

use std::sync::{Condvar, Mutex, MutexGuard, PoisonError};

/// Counts running callbacks of one handle and refuses new ones once closed.
#[derive(Debug, Default)]
pub struct CallbackGate {
    state: Mutex<GateState>,
    idle: Condvar,
}

#[derive(Debug, Default)]
struct GateState {
    closed: bool,
    running: usize,
}

/// Held while one callback runs.
#[derive(Debug)]
pub struct Pass<'a> {
    gate: &'a CallbackGate,
}

impl CallbackGate {
    fn state(&self) -> MutexGuard<'_, GateState> {
        // Every critical section leaves the counts consistent, so a poisoned lock is usable.
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// A pass for one callback, or `None` once the gate is closed.
    pub fn enter(&self) -> Option<Pass<'_>> {
        let mut state = self.state();
        if state.closed {
            return None;
        }
        state.running += 1;
        Some(Pass { gate: self })
    }

    /// Closes the gate and blocks until every callback holding a pass has returned. Never call
    /// it on a thread that holds a pass of this gate (it would wait for itself).
    pub fn close_and_wait(&self) {
        let mut state = self.state();
        state.closed = true;
        while state.running > 0 {
            state = self
                .idle
                .wait(state)
                .unwrap_or_else(PoisonError::into_inner);
        }
    }
}

impl Drop for Pass<'_> {
    fn drop(&mut self) {
        let mut state = self.gate.state();
        assert!(state.running > 0, "a pass outlives its count");
        state.running -= 1;
        if state.running == 0 {
            self.gate.idle.notify_all();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;
    use std::sync::mpsc;
    use std::time::Duration;

    /// Closing waits for a running callback to finish, and no callback enters afterwards.
    #[test]
    fn close_waits_for_running_callbacks() {
        let gate = Arc::new(CallbackGate::default());
        let (entered_tx, entered_rx) = mpsc::channel();
        let (release_tx, release_rx) = mpsc::channel::<()>();
        let running = gate.clone();
        let callback = std::thread::spawn(move || {
            let pass = running.enter().expect("open gate");
            entered_tx.send(()).expect("send");
            release_rx.recv().expect("release");
            drop(pass);
        });
        entered_rx.recv().expect("entered");
        let (closed_tx, closed_rx) = mpsc::channel();
        let closing = gate.clone();
        let closer = std::thread::spawn(move || {
            closing.close_and_wait();
            closed_tx.send(()).expect("send");
        });
        assert!(
            closed_rx.recv_timeout(Duration::from_millis(100)).is_err(),
            "close returned while a callback was running"
        );
        release_tx.send(()).expect("release");
        closed_rx
            .recv_timeout(Duration::from_secs(10))
            .expect("close returns once the callback is done");
        callback.join().expect("callback thread");
        closer.join().expect("closer thread");
        assert!(gate.enter().is_none(), "a closed gate lets nothing in");
    }
}
