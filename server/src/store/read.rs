//! The read path: `Store::read` and the per-queue lookups (offsets, time search, last store
//! time, a record by commit-log offset, the long-poll `Notify`, topic deletion).
//!
//! Every record served is re-validated with `parse_record` and checked against the entry that
//! led to it (size, topic, queue id, queue offset, position); a record that fails is logged as
//! `StoreError::Corrupted` and the read stops before it, so a corrupt record is never served.

use std::sync::Arc;

use bytes::Bytes;
use ferrocket::limits::PULL_BATCH_COUNT_MAX;
use ferrocket::protocol::record::{OFF_STORE_TIMESTAMP, RecordView};
use tokio::sync::Notify;

use crate::store::commit_log::{Item, check_record};
use crate::store::consume_queue::{CHUNK_ENTRIES, ConsumeQueue, Entry};
use crate::store::error::StoreError;
use crate::store::{ReadResult, ReadStatus, Store, lock, validate_topic};

/// A filter on whole validated records (SQL92 subscriptions).
pub type RecordFilter<'a> = dyn Fn(&RecordView<'_>) -> bool + 'a;

/// Fewest consume-queue entries a read may scan (it may scan 4 × `max_messages` if more).
const READ_SCAN_ENTRIES_MIN: u64 = 1000;

impl Store {
    /// Reads up to `max_messages` records (and about `max_bytes`, but always at least the
    /// first matching record whole) from queue offset `offset`, skipping entries whose tag
    /// hash `filter` rejects and entries whose records were deleted by retention.
    pub fn read(
        &self,
        topic: &str,
        queue_id: u32,
        offset: u64,
        max_messages: u32,
        max_bytes: u32,
        filter: &dyn Fn(u64) -> bool,
    ) -> ReadResult {
        let limits = (max_messages, max_bytes);
        self.read_filtered(topic, queue_id, offset, limits, filter, &|_| true)
    }

    /// `read` with a second filter on each record that passed the tag-hash filter (SQL92
    /// subscriptions): records it rejects are skipped like entries the tag filter rejects, so
    /// one read scans up to its entry budget looking for `max_messages` matching records.
    pub fn read_filtered(
        &self,
        topic: &str,
        queue_id: u32,
        offset: u64,
        (max_messages, max_bytes): (u32, u32),
        filter: &dyn Fn(u64) -> bool,
        record_filter: &RecordFilter,
    ) -> ReadResult {
        let Some(queue) = self.inner().queues.get(topic, queue_id) else {
            return position_only(offset, 0, 0);
        };
        let (min, max) = queue.bounds();
        if offset < min || offset >= max {
            return position_only(offset, min, max);
        }
        let max_messages = max_messages.clamp(1, PULL_BATCH_COUNT_MAX);
        let scan_end = max.min(offset + READ_SCAN_ENTRIES_MIN.max(4 * u64::from(max_messages)));
        let mut out = ReadResult {
            status: ReadStatus::Found,
            records: Vec::new(),
            records_len: 0,
            next_offset: offset,
            min_offset: min,
            max_offset: max,
        };
        let limits = (max_messages as usize, max_bytes as usize);
        let filters = (filter, record_filter);
        if let Err(e) = self.scan(&queue, scan_end, limits, filters, &mut out) {
            tracing::error!(error = %e, topic, queue_id, offset = out.next_offset,
                "read stopped before a record that failed validation");
        }
        if out.records.is_empty() {
            out.status = ReadStatus::NoMatchedMessage;
        }
        out
    }

    /// Scans entries from `out.next_offset` to `scan_end`, collecting records into `out`.
    fn scan(
        &self,
        queue: &ConsumeQueue,
        scan_end: u64,
        (max_messages, max_bytes): (usize, usize),
        (filter, record_filter): (&dyn Fn(u64) -> bool, &RecordFilter),
        out: &mut ReadResult,
    ) -> Result<(), StoreError> {
        let commit_log_min = self.inner().commit_log.min_offset();
        while out.next_offset < scan_end {
            let count = CHUNK_ENTRIES.min(scan_end - out.next_offset);
            let entries = queue.entries(out.next_offset, count)?;
            if entries.is_empty() {
                return Ok(());
            }
            for entry in entries {
                let index = out.next_offset;
                if entry.is_empty()
                    || entry.commit_log_offset < commit_log_min
                    || !filter(entry.tag_hash)
                {
                    out.next_offset += 1;
                    continue;
                }
                if !out.records.is_empty() && out.records_len + entry.size as usize > max_bytes {
                    return Ok(());
                }
                if let Some(record) = self.record_for_entry(queue, index, entry, record_filter)? {
                    out.records_len += record.len();
                    out.records.push(record);
                }
                out.next_offset += 1;
                if out.records.len() >= max_messages {
                    return Ok(());
                }
            }
        }
        Ok(())
    }

    /// The validated record an entry points at; `None` if retention deleted it meanwhile or
    /// `record_filter` rejects it.
    fn record_for_entry(
        &self,
        queue: &ConsumeQueue,
        index: u64,
        entry: Entry,
        record_filter: &RecordFilter,
    ) -> Result<Option<Bytes>, StoreError> {
        let pos = entry.commit_log_offset;
        let Some(bytes) = self
            .inner()
            .commit_log
            .bytes_at(pos, u64::from(entry.size))?
        else {
            return Ok(None);
        };
        let view = check_record(&bytes, pos).map_err(StoreError::corrupted)?;
        if view.topic != queue.topic
            || view.queue_id() != queue.queue_id
            || view.queue_offset() != index
        {
            return Err(StoreError::corrupted(format!(
                "consume queue {}/{} entry {index} points at a record of {}/{} offset {}",
                queue.topic,
                queue.queue_id,
                view.topic,
                view.queue_id(),
                view.queue_offset()
            )));
        }
        if !record_filter(&view) {
            return Ok(None);
        }
        Ok(Some(bytes))
    }

    /// The `Notify` woken whenever entries are dispatched to the queue (creates the queue in
    /// memory if needed; an invalid topic gets a `Notify` that is never woken).
    pub fn queue_notify(&self, topic: &str, queue_id: u32) -> Arc<Notify> {
        if validate_topic(topic).is_err() {
            return Arc::new(Notify::new());
        }
        self.inner().queues.get_or_create(topic, queue_id).notify()
    }

    /// First readable queue offset (0 for an unknown queue).
    pub fn min_offset(&self, topic: &str, queue_id: u32) -> u64 {
        self.inner()
            .queues
            .get(topic, queue_id)
            .map_or(0, |q| q.bounds().0)
    }

    /// One past the last dispatched queue offset (0 for an unknown queue).
    pub fn max_offset(&self, topic: &str, queue_id: u32) -> u64 {
        self.inner()
            .queues
            .get(topic, queue_id)
            .map_or(0, |q| q.bounds().1)
    }

    /// The first queue offset whose record was stored at or after `timestamp_ms` (the max
    /// offset if none was).
    pub fn search_offset(&self, topic: &str, queue_id: u32, timestamp_ms: u64) -> u64 {
        let Some(queue) = self.inner().queues.get(topic, queue_id) else {
            return 0;
        };
        let (mut lo, mut hi) = queue.bounds();
        // Store timestamps never decrease along a queue; entries without a readable record
        // (empty, or deleted by retention) count as older than anything.
        while lo < hi {
            let mid = lo + (hi - lo) / 2;
            if self.entry_timestamp(&queue, mid).unwrap_or(0) >= timestamp_ms {
                hi = mid;
            } else {
                lo = mid + 1;
            }
        }
        lo
    }

    /// Store timestamp of the queue's last message, 0 if the queue is empty (or its last
    /// record was deleted).
    pub fn last_store_timestamp(&self, topic: &str, queue_id: u32) -> u64 {
        let Some(queue) = self.inner().queues.get(topic, queue_id) else {
            return 0;
        };
        let (min, max) = queue.bounds();
        if max == min {
            return 0;
        }
        self.entry_timestamp(&queue, max - 1).unwrap_or(0)
    }

    fn entry_timestamp(&self, queue: &ConsumeQueue, index: u64) -> Option<u64> {
        let entry = *queue.entries(index, 1).ok()?.first()?;
        let commit_log = &self.inner().commit_log;
        if entry.is_empty() || entry.commit_log_offset < commit_log.min_offset() {
            return None;
        }
        commit_log.read_u64_at(entry.commit_log_offset + OFF_STORE_TIMESTAMP as u64)
    }

    /// The whole validated record starting at `commit_log_offset`, if there is one.
    pub fn read_record(&self, commit_log_offset: u64) -> Option<Bytes> {
        let commit_log = &self.inner().commit_log;
        if commit_log_offset < commit_log.min_offset() || commit_log_offset >= commit_log.written()
        {
            return None;
        }
        let Ok(Item::Record { size }) = commit_log.item_at(commit_log_offset) else {
            return None;
        };
        let bytes = commit_log.bytes_at(commit_log_offset, size).ok()??;
        match check_record(&bytes, commit_log_offset) {
            Ok(_) => Some(bytes),
            Err(why) => {
                tracing::error!(why, "refusing to serve a corrupt record");
                None
            }
        }
    }

    /// Drops the topic's consume queues (files included). Everything appended before is
    /// dispatched and checkpointed first, so a later recovery never brings the queues back.
    /// The broker must stop sending to the topic first.
    pub fn delete_topic(&self, topic: &str) -> Result<(), StoreError> {
        validate_topic(topic)?;
        self.check_open()?;
        let inner = self.inner();
        {
            let _writes = lock(&inner.write);
            inner.flush_commit_log()?;
            inner.dispatch_to(inner.commit_log.written(), false)?;
            inner.queues.delete_topic(topic)?;
        }
        inner.full_checkpoint()
    }
}

/// A result with no records: `NoNewMessage` at `max`, `OffsetMoved` outside `[min, max]`.
fn position_only(offset: u64, min: u64, max: u64) -> ReadResult {
    let (status, next_offset) = if offset < min {
        (ReadStatus::OffsetMoved, min)
    } else if offset > max {
        (ReadStatus::OffsetMoved, max)
    } else {
        (ReadStatus::NoNewMessage, offset)
    };
    ReadResult {
        status,
        records: Vec::new(),
        records_len: 0,
        next_offset,
        min_offset: min,
        max_offset: max,
    }
}
