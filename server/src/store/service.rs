//! The service thread and checkpoints: every second it dispatches anything left behind,
//! flushes the consume queues and writes the checkpoint; every `retention_check_interval_ms`
//! it runs a retention round.
//!
//! A checkpoint says `consume_queue_safe = d` only after every consume-queue entry of the
//! records below `d` is durable and the commit log is durable up to at least `d`, so recovery
//! may trust everything below `d` and rescan only from there.

use std::sync::{Condvar, Mutex};
use std::time::{Duration, Instant};

use crate::store::checkpoint::Checkpoint;
use crate::store::engine::Inner;
use crate::store::error::StoreError;
use crate::store::{lock, now_ms};

/// Period of the consume-queue flush and checkpoint (RocketMQ's `flushIntervalConsumeQueue`).
pub(crate) const CONSUME_QUEUE_FLUSH_INTERVAL_MS: u64 = 1000;

/// A stop flag a thread can sleep on.
#[derive(Debug, Default)]
pub(crate) struct Stopper {
    stopped: Mutex<bool>,
    wake: Condvar,
}

impl Stopper {
    /// Asks the sleeping thread to stop, waking it.
    pub(crate) fn stop(&self) {
        *lock(&self.stopped) = true;
        self.wake.notify_all();
    }

    /// Sleeps up to `period`; returns false once stopped.
    pub(crate) fn sleep(&self, period: Duration) -> bool {
        let deadline = Instant::now() + period;
        let mut stopped = lock(&self.stopped);
        loop {
            if *stopped {
                return false;
            }
            let now = Instant::now();
            if now >= deadline {
                return true;
            }
            stopped = match self.wake.wait_timeout(stopped, deadline - now) {
                Ok((guard, _)) => guard,
                Err(_) => panic!("a store thread panicked while holding the stop flag"),
            };
        }
    }
}

impl Inner {
    /// Body of the service thread; returns when the store stops.
    pub(crate) fn run_service(&self) {
        let tick = Duration::from_millis(CONSUME_QUEUE_FLUSH_INTERVAL_MS);
        let retention_every = Duration::from_millis(self.config.retention_check_interval_ms);
        let mut next_retention = Instant::now().checked_add(retention_every);
        loop {
            let until_retention =
                next_retention.map(|at| at.saturating_duration_since(Instant::now()));
            if !self
                .stopper
                .sleep(until_retention.map_or(tick, |d| d.min(tick)))
            {
                return;
            }
            if let Err(e) = self.dispatch_to(self.visible_limit(), false) {
                tracing::error!(error = %e, "dispatch failed");
            }
            if let Err(e) = self.checkpoint() {
                tracing::error!(error = %e, "checkpoint failed");
            }
            // No spare while writes are refused: it would only take space retention must free.
            if !self.refusing.load(std::sync::atomic::Ordering::Acquire)
                && let Err(e) = self.commit_log.prepare_spare()
            {
                tracing::warn!(error = %e, "cannot create the next commit-log segment ahead");
            }
            if next_retention.is_some_and(|at| Instant::now() >= at) {
                next_retention = Instant::now().checked_add(retention_every);
                if let Err(e) = self.run_retention(now_ms()) {
                    tracing::error!(error = %e, "retention round failed");
                }
            }
        }
    }

    /// Flushes the commit log to its written end, dispatches, then checkpoints: after it
    /// returns, everything appended before the call is durable and covered by the checkpoint.
    pub(crate) fn full_checkpoint(&self) -> Result<(), StoreError> {
        self.flush_commit_log()?;
        self.dispatch_to(self.visible_limit(), false)?;
        self.checkpoint()
    }

    /// Flushes every consume queue and writes the checkpoint with `consume_queue_safe` =
    /// min(dispatched, flushed), if it changed.
    pub(crate) fn checkpoint(&self) -> Result<(), StoreError> {
        let mut last = lock(&self.checkpoint_lock);
        let safe = self.dispatched().min(self.commit_log.flushed());
        self.queues.flush_all()?;
        self.index.flush()?;
        let flushed = self.commit_log.flushed();
        let unchanged =
            last.is_some_and(|c| c.consume_queue_safe == safe && c.commit_log_flushed == flushed);
        if unchanged {
            return Ok(());
        }
        let checkpoint = Checkpoint {
            commit_log_flushed: flushed,
            consume_queue_safe: safe,
            written_at_ms: now_ms(),
        };
        checkpoint
            .store(&self.paths.checkpoint)
            .map_err(|e| StoreError::io("write the checkpoint", e))?;
        *last = Some(checkpoint);
        Ok(())
    }
}
