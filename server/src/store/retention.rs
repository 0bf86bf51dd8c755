//! Retention: deleting old commit-log segments and the consume-queue files that only point
//! into them, and refusing writes when the disk is nearly full.
//!
//! A round (every `retention_check_interval_ms`, or `Store::run_retention`):
//! - a segment other than the last is *expired* when its last record's store timestamp (or
//!   its file's mtime when unknown) is older than `file_reserved_ms`; expired segments, oldest
//!   first, are deleted during the `delete_hour` UTC hour, or at once when usage is at or over
//!   the clean threshold;
//! - at or over the force-clean threshold, the oldest segments are deleted even if unexpired
//!   (with a warning) until usage drops below it;
//! - appends are refused (`StoreError::Full`) while the usage after the round is at or over
//!   the refuse threshold.
//!
//! Only segments that are fully flushed and dispatched are deleted, oldest first, so the log
//! stays contiguous. Usage is the store's own bytes over `disk_capacity_bytes` when set, else
//! the file system's usage of the data directory.

use std::sync::atomic::Ordering;
use std::time::UNIX_EPOCH;

use crate::store::commit_log::LogSegment;
use crate::store::engine::Inner;
use crate::store::error::StoreError;
use crate::store::{RetentionReport, Store, lock};

const HOUR_MS: u64 = 3600 * 1000;

impl Store {
    /// Disk usage in percent, as retention sees it.
    pub fn disk_usage_percent(&self) -> Result<f64, StoreError> {
        self.inner().usage_percent()
    }

    /// Runs one retention round as of `now_ms` (milliseconds since the epoch).
    pub fn run_retention(&self, now_ms: u64) -> Result<RetentionReport, StoreError> {
        self.check_open()?;
        self.inner().run_retention(now_ms)
    }
}

impl Inner {
    /// Disk usage in percent.
    pub(crate) fn usage_percent(&self) -> Result<f64, StoreError> {
        match self.config.disk_capacity_bytes {
            Some(capacity) => {
                let used = self.commit_log.total_bytes()
                    + self.queues.total_bytes()
                    + self.index.total_bytes();
                Ok(used as f64 * 100.0 / capacity as f64)
            }
            None => self
                .storage
                .disk_usage(&self.paths.data_dir)
                .map(|usage| usage.percent())
                .map_err(|e| StoreError::io("measure disk usage", e)),
        }
    }

    /// Recomputes usage and sets whether appends are refused.
    pub(crate) fn refresh_usage(&self) {
        match self.usage_percent() {
            Ok(usage) => self.set_refusing(usage),
            Err(e) => tracing::error!(error = %e, "cannot measure disk usage"),
        }
    }

    /// After a segment was created: start refusing if usage reached the threshold (only a
    /// retention round stops refusing).
    pub(crate) fn refresh_usage_after_growth(&self) {
        match self.usage_percent() {
            Ok(usage) if usage >= f64::from(self.config.disk_usage_refuse_percent) => {
                self.set_refusing(usage);
            }
            Ok(_) => {}
            Err(e) => tracing::error!(error = %e, "cannot measure disk usage"),
        }
    }

    fn set_refusing(&self, usage: f64) {
        let refuse = usage >= f64::from(self.config.disk_usage_refuse_percent);
        self.usage_bits.store(usage.to_bits(), Ordering::Release);
        let was = self.refusing.swap(refuse, Ordering::AcqRel);
        if refuse && !was {
            tracing::warn!(
                usage,
                "disk usage at or over the refuse threshold: refusing appends"
            );
        } else if was && !refuse {
            tracing::info!(
                usage,
                "disk usage below the refuse threshold: accepting appends"
            );
        }
    }

    /// One retention round.
    pub(crate) fn run_retention(&self, now_ms: u64) -> Result<RetentionReport, StoreError> {
        let _round = lock(&self.retention_lock);
        let before = self.usage_percent()?;
        let mut report = RetentionReport {
            usage_percent_before: before,
            usage_percent_after: before,
            deleted_expired: Vec::new(),
            deleted_forced: Vec::new(),
            refusing_writes: false,
        };
        let delete_hour = (now_ms / HOUR_MS) % 24 == u64::from(self.config.delete_hour);
        if delete_hour || before >= f64::from(self.config.disk_usage_clean_percent) {
            while let Some(seg) = self.oldest_deletable().filter(|s| self.expired(s, now_ms)) {
                if !self.delete_segment(&seg)? {
                    break;
                }
                report.deleted_expired.push(seg.base);
            }
        }
        let force = f64::from(self.config.disk_usage_force_clean_percent);
        let mut usage = self.usage_percent()?;
        while usage >= force {
            let Some(seg) = self.oldest_deletable() else {
                break;
            };
            tracing::warn!(
                usage,
                base = seg.base,
                "disk usage over force-clean: deleting an unexpired segment"
            );
            if !self.delete_segment(&seg)? {
                break;
            }
            report.deleted_forced.push(seg.base);
            usage = self.usage_percent()?;
        }
        if !report.deleted_expired.is_empty() || !report.deleted_forced.is_empty() {
            // Keep consume_queue_safe inside the log, or a crash would rebuild every queue.
            self.checkpoint()?;
        }
        let after = self.usage_percent()?;
        self.set_refusing(after);
        report.usage_percent_after = after;
        report.refusing_writes = self.refusing.load(Ordering::Acquire);
        Ok(report)
    }

    /// The oldest segment if it may be deleted: not the last, fully flushed and dispatched.
    fn oldest_deletable(&self) -> Option<std::sync::Arc<LogSegment>> {
        let segments = self.commit_log.segments();
        let first = segments.first()?;
        let done = self.commit_log.flushed().min(self.dispatched());
        (segments.len() >= 2 && first.end() <= done).then(|| first.clone())
    }

    fn expired(&self, seg: &LogSegment, now_ms: u64) -> bool {
        let mut last_ms = seg.last_store_timestamp_ms.load(Ordering::Acquire);
        if last_ms == 0 {
            // Unknown (a segment without records): fall back to the file's mtime, and to
            // "not expired" where there is no file (the simulator).
            let mtime = std::fs::metadata(&seg.path).and_then(|m| m.modified());
            last_ms = match mtime.map(|t| t.duration_since(UNIX_EPOCH)) {
                Ok(Ok(d)) => u64::try_from(d.as_millis()).unwrap_or(u64::MAX),
                _ => return false,
            };
        }
        now_ms.saturating_sub(last_ms) > self.config.file_reserved_ms
    }

    /// Deletes the oldest segment, then the consume-queue files that only point below the
    /// new commit-log start.
    fn delete_segment(&self, seg: &LogSegment) -> Result<bool, StoreError> {
        if !self.commit_log.remove_oldest(seg.base)? {
            return Ok(false);
        }
        tracing::info!(base = seg.base, path = %seg.path.display(), "deleted a commit-log segment");
        self.queues.clean_below(self.commit_log.min_offset())?;
        self.index.clean_below(self.commit_log.min_offset())?;
        Ok(true)
    }
}
