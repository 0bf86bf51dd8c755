//! The message store: RocketMQ's layout of one commit log per broker (preallocated, mapped
//! segments holding the records of every topic, in arrival order) plus one consume queue per
//! topic and queue id (20-byte entries pointing into the commit log), a checkpoint, an abort
//! marker and a directory lock. `spec/storage.md` is the contract for every byte on disk.
//!
//! Data flow: `Store::append` copies a batch of validated records into the commit log under
//! one write lock (patching the broker-owned header fields), then the dispatcher walks the
//! commit log in order and writes consume-queue entries, waking long polls through each
//! queue's `Notify`; `Store::read` serves zero-copy slices of the segments through the consume
//! queue, re-validating every record. A flusher thread makes the commit log durable (every
//! `flush_interval_ms`, or as group commits in SYNC mode, where dispatch waits for the flush so
//! consumers never see a record a power loss could take back). A service thread flushes the
//! consume queues, writes the checkpoint every second and runs retention. Recovery at `open`
//! rescans the commit log from the checkpoint, truncates a torn tail and repairs the queues.
//!
//! Lock order (a thread holding one lock only takes locks to its right): `life` → write →
//! commit-log flush → dispatch → the queue map → one queue's state → the segment map, and
//! retention → checkpoint → the queue map. The flush-waiter list, the flush-error slot and the
//! service stop flag are leaves. No lock is held across `.await`; `Store::shutdown` and
//! `abandon` join the threads while holding only `life`, which the threads never take.

#![deny(missing_docs)]

pub mod atomic_file;

mod append;
mod checkpoint;
mod commit_log;
mod config;
mod consume_queue;
mod dispatch;
mod engine;
mod error;
mod flush;
mod index;
mod index_file;
#[allow(unsafe_code)]
mod mmap;
mod queue_recovery;
mod queues;
mod read;
mod recovery;
mod replica;
mod retention;
mod segment;
mod service;
mod sim;
#[cfg(test)]
mod tests;
mod timer;

use std::sync::{Mutex, MutexGuard, RwLock, RwLockReadGuard, RwLockWriteGuard};
use std::time::{SystemTime, UNIX_EPOCH};

use ferrocket::limits::TOPIC_LEN_MAX;

pub use append::PendingAppend;
pub use config::{FlushMode, StoreConfig};
pub use engine::Store;
pub use error::StoreError;
pub use index::{topic_key_hash, unique_key_hash};
pub use mmap::MmapStorage;
pub use read::RecordFilter;
pub use segment::{DiskUsage, Segment, Storage};
pub use sim::SimStorage;
pub use timer::{TIMER_QUEUE_ID, TIMER_TOPIC, TimerEntry};

/// A batch of records to append to one queue; all of it is stored or none of it.
#[derive(Debug, Clone, Copy)]
pub struct AppendBatch<'a> {
    /// Topic of every record.
    pub topic: &'a str,
    /// Queue the records go to (written into each record's `queue_id`).
    pub queue_id: u32,
    /// `record_count` records back to back, each already validated with `parse_record`.
    pub records: &'a [u8],
    /// How many records `records` holds.
    pub record_count: u32,
    /// In SYNC mode, whether to wait for the flush before returning.
    pub wait_store_msg_ok: bool,
}

/// Where an appended batch was stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AppendResult {
    /// Queue offset of the first record; the batch took consecutive offsets.
    pub queue_offset: u64,
    /// Commit-log offset of the first record.
    pub commit_log_offset: u64,
    /// Store timestamp written into every record of the batch.
    pub store_timestamp_ms: u64,
    /// What is known about durability.
    pub flush: FlushOutcome,
}

/// Durability of an appended batch when `append` returned.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FlushOutcome {
    /// SYNC mode: the batch is on disk.
    Done,
    /// ASYNC mode, or `wait_store_msg_ok = false`: the batch is stored, the flush comes later.
    NotWaited,
    /// SYNC mode: the flush did not complete within `sync_flush_timeout_ms` (or failed, or the
    /// store stopped); the batch IS stored (RocketMQ's `FLUSH_DISK_TIMEOUT`).
    Timeout,
}

/// Outcome of a read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReadStatus {
    /// At least one record was found.
    Found,
    /// The offset is the queue's max offset: nothing new yet (a long poll may wait).
    NoNewMessage,
    /// Entries were scanned but none matched the filter; continue at `next_offset`.
    NoMatchedMessage,
    /// The offset is below the min or above the max offset; continue at `next_offset`.
    OffsetMoved,
}

/// Records read from one queue.
#[derive(Debug, Clone)]
pub struct ReadResult {
    /// What happened.
    pub status: ReadStatus,
    /// Whole validated records, zero-copy slices of the segments with the mmap backend.
    pub records: Vec<bytes::Bytes>,
    /// Sum of the records' lengths.
    pub records_len: usize,
    /// Where the consumer continues.
    pub next_offset: u64,
    /// The queue's min offset.
    pub min_offset: u64,
    /// The queue's max offset.
    pub max_offset: u64,
}

/// What `open` found and repaired.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct RecoveryReport {
    /// False when the abort marker was present (the last run did not shut down cleanly).
    pub clean_shutdown: bool,
    /// Whether a valid checkpoint was used (if not, every consume queue was rebuilt).
    pub checkpoint_used: bool,
    /// Commit-log offset the validating scan started from.
    pub scanned_from: u64,
    /// End of the valid commit log (where appends continue).
    pub commit_log_end: u64,
    /// Records validated by the scan.
    pub records_scanned: u64,
    /// Non-zero bytes dropped after the end (torn or corrupt tail), up to the last non-zero
    /// byte of each affected segment.
    pub truncated_bytes: u64,
    /// Why the scan stopped, when bytes were truncated.
    pub tail_error: Option<String>,
    /// Commit-log segments removed because they lay after the end.
    pub segments_removed: u64,
    /// Consume-queue entries dropped (torn, or past the checkpoint).
    pub consume_queue_entries_dropped: u64,
    /// Consume-queue entries written by re-dispatching the scanned records.
    pub consume_queue_entries_rebuilt: u64,
}

/// What one retention round did.
#[derive(Debug, Clone, PartialEq)]
pub struct RetentionReport {
    /// Disk usage before the round, in percent.
    pub usage_percent_before: f64,
    /// Disk usage after the round, in percent.
    pub usage_percent_after: f64,
    /// Base offsets of the expired segments deleted.
    pub deleted_expired: Vec<u64>,
    /// Base offsets of unexpired segments deleted because usage reached force-clean.
    pub deleted_forced: Vec<u64>,
    /// Whether appends are refused after the round.
    pub refusing_writes: bool,
}

/// Checks that `topic` can name a consume-queue directory: 1..=`TOPIC_LEN_MAX` bytes of
/// `A-Z a-z 0-9 _ - % |` (the broker's name rule), so it is one safe path component (never
/// empty, `.`, `..` or containing `/`).
pub fn validate_topic(topic: &str) -> Result<(), StoreError> {
    let allowed = |b: u8| b.is_ascii_alphanumeric() || b"_-%|".contains(&b);
    if !topic.is_empty() && topic.len() <= TOPIC_LEN_MAX && topic.bytes().all(allowed) {
        Ok(())
    } else {
        let shown: String = topic.chars().take(TOPIC_LEN_MAX).collect();
        Err(StoreError::InvalidTopic(shown))
    }
}

/// Milliseconds since the Unix epoch (0 if the clock is before it).
pub(crate) fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
        .unwrap_or(0)
}

/// Locks a store mutex. A poisoned lock means a thread panicked in the middle of an update, a
/// broken invariant: the store stops trusting its state and panics too.
pub(crate) fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    match mutex.lock() {
        Ok(guard) => guard,
        Err(_) => panic!("a store thread panicked while holding a lock"),
    }
}

/// Read-locks a store `RwLock` (poisoning is a broken invariant, as in `lock`).
pub(crate) fn read_lock<T>(rw: &RwLock<T>) -> RwLockReadGuard<'_, T> {
    match rw.read() {
        Ok(guard) => guard,
        Err(_) => panic!("a store thread panicked while holding a lock"),
    }
}

/// Write-locks a store `RwLock` (poisoning is a broken invariant, as in `lock`).
pub(crate) fn write_lock<T>(rw: &RwLock<T>) -> RwLockWriteGuard<'_, T> {
    match rw.write() {
        Ok(guard) => guard,
        Err(_) => panic!("a store thread panicked while holding a lock"),
    }
}
