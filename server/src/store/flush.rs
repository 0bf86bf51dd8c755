//! Commit-log flushing: the flusher thread, SYNC group commit, and how flush errors surface.
//!
//! ASYNC: the flusher syncs the written range every `flush_interval_ms`. SYNC: an append that
//! waits registers `(end_offset, oneshot::Sender)` and wakes the flusher; the flusher loops
//! while anyone waits: it takes the current written end, syncs once, publishes `flushed`,
//! dispatches up to it (consumers see only durable records) and wakes every waiter whose end
//! is covered, so one sync acknowledges every message it covers. A failed sync is logged,
//! answers the waiters it should have covered with `false` (`FlushOutcome::Timeout`) and is
//! returned by the next append; the flusher retries on its next round. The waiter list is
//! bounded: an append holds a pending-send slot while it waits, and abandoned waiters are
//! pruned once the list reaches `pending_sends_max`.

use std::io;
use std::sync::{Condvar, Mutex};
use std::time::{Duration, Instant};

use tokio::sync::oneshot;

use crate::store::config::FlushMode;
use crate::store::engine::Inner;
use crate::store::error::StoreError;
use crate::store::{FlushOutcome, lock};

/// Group-commit waiters and the flusher's wake-up flags.
#[derive(Debug, Default)]
pub(crate) struct FlushControl {
    state: Mutex<FlushState>,
    wake: Condvar,
}

#[derive(Debug, Default)]
struct FlushState {
    waiters: Vec<Waiter>,
    /// An append asked for a flush without waiting (SYNC, `wait_store_msg_ok = false`).
    requested: bool,
    /// The flusher thread must exit.
    exit: bool,
    /// No more waiters are accepted (the store stopped).
    closed: bool,
}

#[derive(Debug)]
struct Waiter {
    end: u64,
    done: oneshot::Sender<bool>,
}

/// What `register` decided.
pub(crate) enum Registration {
    /// Already flushed.
    Flushed,
    /// The store stopped; the flush will not be confirmed.
    Closed,
    /// Wait for the answer: `true` flushed, `false` the flush failed.
    Wait(oneshot::Receiver<bool>),
}

impl FlushControl {
    /// Registers a waiter for everything below `end`. `flushed` is read under the waiter lock,
    /// so a flush that completes concurrently is never missed.
    pub(crate) fn register(
        &self,
        end: u64,
        flushed: impl Fn() -> u64,
        bound: usize,
    ) -> Registration {
        let mut state = lock(&self.state);
        if flushed() >= end {
            return Registration::Flushed;
        }
        if state.closed {
            return Registration::Closed;
        }
        if state.waiters.len() >= bound {
            state.waiters.retain(|w| !w.done.is_closed());
        }
        let (done, answer) = oneshot::channel();
        state.waiters.push(Waiter { end, done });
        self.wake.notify_all();
        Registration::Wait(answer)
    }

    /// Asks the flusher for a flush without waiting for it.
    pub(crate) fn request(&self) {
        lock(&self.state).requested = true;
        self.wake.notify_all();
    }

    /// Answers `true` to every waiter whose end is at or below `flushed`.
    pub(crate) fn complete(&self, flushed: u64) {
        self.answer(flushed, true);
    }

    /// Answers `false` to every waiter whose end is at or below `upto` (a failed flush).
    pub(crate) fn fail(&self, upto: u64) {
        self.answer(upto, false);
    }

    fn answer(&self, upto: u64, flushed: bool) {
        let mut state = lock(&self.state);
        let (done, waiting): (Vec<Waiter>, Vec<Waiter>) =
            state.waiters.drain(..).partition(|w| w.end <= upto);
        state.waiters = waiting;
        drop(state);
        for waiter in done {
            // A receiver gone after its timeout is fine: nobody needs the answer any more.
            let _ = waiter.done.send(flushed);
        }
    }

    /// Makes the flusher thread exit.
    pub(crate) fn stop_flusher(&self) {
        lock(&self.state).exit = true;
        self.wake.notify_all();
    }

    /// Refuses new waiters and drops the remaining ones (they answer `Timeout`).
    pub(crate) fn close(&self) {
        let waiters = {
            let mut state = lock(&self.state);
            state.closed = true;
            std::mem::take(&mut state.waiters)
        };
        drop(waiters);
    }

    /// Blocks until there is flushing to do; false when the flusher must exit. SYNC mode wakes
    /// at once for waiters or requests; both modes wake every `period`.
    fn wait_for_work(&self, sync: bool, period: Duration) -> bool {
        let deadline = Instant::now() + period;
        let mut state = lock(&self.state);
        loop {
            if state.exit {
                return false;
            }
            let now = Instant::now();
            if (sync && (state.requested || !state.waiters.is_empty())) || now >= deadline {
                state.requested = false;
                return true;
            }
            state = match self.wake.wait_timeout(state, deadline - now) {
                Ok((guard, _)) => guard,
                Err(_) => panic!("a store thread panicked while holding the flush lock"),
            };
        }
    }
}

impl Inner {
    /// Body of the flusher thread; returns when the store stops.
    pub(crate) fn run_flusher(&self) {
        let sync = self.config.flush_mode == FlushMode::Sync;
        let period = Duration::from_millis(self.config.flush_interval_ms);
        while self.flush_control.wait_for_work(sync, period) {
            // Errors are logged and recorded by `flush_commit_log`; the next round retries.
            let _ = self.flush_commit_log();
        }
    }

    /// Flushes the commit log to its written end; in SYNC mode dispatches up to the new
    /// flushed end; then answers the waiters.
    pub(crate) fn flush_commit_log(&self) -> Result<u64, StoreError> {
        let target = self.commit_log.written();
        match self.commit_log.flush_to(target) {
            Ok(flushed) => {
                if self.config.flush_mode == FlushMode::Sync
                    && let Err(e) = self.dispatch_to(flushed, false)
                {
                    tracing::error!(error = %e, "dispatch after a group commit failed");
                }
                self.flush_control.complete(flushed);
                Ok(flushed)
            }
            Err(e) => {
                tracing::error!(error = %e, target, "commit-log flush failed");
                let for_caller = io::Error::new(e.kind(), e.to_string());
                // Record the error before answering the waiters, so an append that follows
                // a `Timeout` answer is sure to see it.
                *lock(&self.flush_error) = Some(e);
                self.flush_control.fail(target);
                Err(StoreError::io("flush the commit log", for_caller))
            }
        }
    }

    /// Waits (asynchronously) until everything below `end` is flushed, at most
    /// `sync_flush_timeout_ms`.
    pub(crate) async fn wait_flushed(&self, end: u64) -> FlushOutcome {
        let bound = self.config.pending_sends_max;
        let answer = match self
            .flush_control
            .register(end, || self.commit_log.flushed(), bound)
        {
            Registration::Flushed => return FlushOutcome::Done,
            Registration::Closed => return FlushOutcome::Timeout,
            Registration::Wait(answer) => answer,
        };
        let timeout = Duration::from_millis(self.config.sync_flush_timeout_ms);
        match tokio::time::timeout(timeout, answer).await {
            Ok(Ok(true)) => FlushOutcome::Done,
            _ => FlushOutcome::Timeout,
        }
    }
}
