//! Replication support: reading raw commit-log ranges on a master and appending them,
//! byte-identical, on a slave.
//!
//! A master serves `read_commit_log(from, max_bytes)`: the bytes from `from`, whole items only
//! (records, a blank filler with the zeros after it, a segment's zero tail), never crossing a
//! segment end, at least one item. A slave appends them with `append_replica(at, bytes)` at its
//! own end: every record is validated (both CRCs, and its `commit_log_offset` field must be its
//! position, which makes the copy byte-identical by construction) before anything is written,
//! then the slave's own dispatcher builds its consume queues as for any append. Master and slave
//! must use the same segment size, so segment boundaries and fillers land at the same offsets.
//! An empty slave may start at any segment boundary (the master's first segment).

use std::sync::Arc;
use std::sync::atomic::Ordering;

use bytes::Bytes;
use ferrocket::protocol::record::{BLANK_MAGIC, RECORD_MAGIC, read_u32};
use tokio::sync::Notify;

use crate::store::commit_log::{FILLER_LEN, Item, LogSegment, check_record};
use crate::store::config::FlushMode;
use crate::store::engine::Inner;
use crate::store::error::StoreError;
use crate::store::timer::target_queue;
use crate::store::{Store, lock, validate_topic};

/// What one record of a replicated chunk sets on the slave: the next offset of the queue it
/// is indexed in (`timer::target_queue`) and the newest store time.
struct ReplicaRecord {
    topic: String,
    queue_id: u32,
    queue_offset: u64,
    store_timestamp_ms: u64,
}

impl Store {
    /// Bytes of one commit-log segment.
    pub fn segment_size(&self) -> u64 {
        self.inner().config.segment_size
    }

    /// A `Notify` woken after every append (sends and replicated chunks), for replication
    /// fetches waiting for new data. Arm it (`notified().enable()`) before checking the end.
    pub fn appended_notify(&self) -> Arc<Notify> {
        self.inner().appended.clone()
    }

    /// The raw commit-log bytes from `from` (see the module doc), or nothing when `from` is the
    /// written end. `from` must be an item boundary inside `[min, written]`; an empty store
    /// (no segment yet) answers nothing for any offset.
    pub fn read_commit_log(&self, from: u64, max_bytes: usize) -> Result<Bytes, StoreError> {
        let commit_log = &self.inner().commit_log;
        let written = commit_log.written();
        let min = commit_log.min_offset();
        if from == written {
            return Ok(Bytes::new());
        }
        if from < min || from > written {
            return Err(StoreError::OffsetOutOfRange {
                offset: from,
                min,
                max: written,
            });
        }
        let Some(segment) = commit_log.segment_at(from) else {
            return Err(StoreError::corrupted(format!(
                "commit log: no segment holds offset {from}, below the end {written}"
            )));
        };
        let end = whole_items_end(self.inner(), &segment, from, written, max_bytes)?;
        commit_log
            .bytes_at(from, end - from)?
            .ok_or_else(|| StoreError::corrupted(format!("commit log at {from} vanished")))
    }

    /// Appends a chunk read from a master's `read_commit_log` at `at`, which must be this
    /// store's written end (or, for an empty store, a segment boundary). Validates the whole
    /// chunk before writing any of it; returns the new end.
    pub fn append_replica(&self, at: u64, bytes: &[u8]) -> Result<u64, StoreError> {
        let inner = self.inner();
        let end = {
            let mut state = lock(&inner.write);
            if state.closed {
                return Err(StoreError::ShuttingDown);
            }
            inner.check_replica_start(at)?;
            if bytes.is_empty() {
                return Ok(at);
            }
            let segment_end = match inner.commit_log.segment_at(at) {
                Some(segment) => segment.end(),
                None => at + inner.config.segment_size,
            };
            let records = validate_chunk(segment_end, at, bytes)?;
            let (segment, created) = inner.commit_log.segment_for_write(at)?;
            if created {
                inner.refresh_usage_after_growth();
            }
            assert_eq!(
                segment.end(),
                segment_end,
                "the segment holding {at} changed"
            );
            inner.write_replica(&segment, at, bytes, &records)?;
            let newest = records.iter().map(|r| r.store_timestamp_ms).max();
            state.last_store_timestamp_ms = state
                .last_store_timestamp_ms
                .max(newest.unwrap_or_default());
            at + bytes.len() as u64
        };
        match inner.config.flush_mode {
            FlushMode::Async => {
                // The chunk is stored; a failed dispatch is logged and retried by the service.
                let _ = inner.dispatch_to(inner.commit_log.written(), false);
            }
            FlushMode::Sync => inner.flush_control.request(),
        }
        inner.appended.notify_waiters();
        Ok(end)
    }
}

impl Inner {
    /// `at` must be the written end, or any segment boundary of a store with no segment.
    fn check_replica_start(&self, at: u64) -> Result<(), StoreError> {
        let written = self.commit_log.written();
        let empty = self.commit_log.segments().is_empty();
        let aligned = at.is_multiple_of(self.config.segment_size);
        if at == written || (empty && written == 0 && aligned) {
            return Ok(());
        }
        Err(StoreError::OffsetOutOfRange {
            offset: at,
            min: self.commit_log.min_offset(),
            max: written,
        })
    }

    /// Copies a validated chunk into its segment and publishes the new end.
    fn write_replica(
        &self,
        segment: &LogSegment,
        at: u64,
        bytes: &[u8],
        records: &[ReplicaRecord],
    ) -> Result<(), StoreError> {
        segment
            .file
            .write(at - segment.base, bytes)
            .map_err(|e| StoreError::io(format!("write the commit log at {at}"), e))?;
        for record in records {
            if validate_topic(&record.topic).is_err() {
                continue;
            }
            let queue = self.queues.get_or_create(&record.topic, record.queue_id);
            queue
                .next_offset
                .fetch_max(record.queue_offset + 1, Ordering::AcqRel);
        }
        if let Some(newest) = records.iter().map(|r| r.store_timestamp_ms).max() {
            segment
                .last_store_timestamp_ms
                .fetch_max(newest, Ordering::AcqRel);
        }
        self.commit_log.publish(at + bytes.len() as u64);
        Ok(())
    }
}

/// The end of the whole items from `from` within `segment`: at least one, then more while the
/// total stays within `max_bytes`, never past `written`.
fn whole_items_end(
    inner: &Inner,
    segment: &LogSegment,
    from: u64,
    written: u64,
    max_bytes: usize,
) -> Result<u64, StoreError> {
    let limit = segment.end().min(written);
    let budget = from.saturating_add(max_bytes as u64);
    let mut pos = from;
    while pos < limit {
        let next = match inner.commit_log.item_at(pos)? {
            Item::Record { size } => pos + size,
            Item::Filler { next } | Item::Tail { next } => next,
            Item::NoSegment | Item::Invalid(_) => {
                return Err(StoreError::corrupted(format!(
                    "commit log at {pos}: not a record or filler"
                )));
            }
        };
        if pos > from && next > budget {
            break;
        }
        pos = next;
    }
    Ok(pos)
}

/// Checks that `bytes`, to be written at `at` in the segment ending at `segment_end`, are
/// whole valid items: records whose header says they are at their position, then possibly one
/// filler or zero tail that runs exactly to the segment end.
fn validate_chunk(
    segment_end: u64,
    at: u64,
    bytes: &[u8],
) -> Result<Vec<ReplicaRecord>, StoreError> {
    let chunk_end = at + bytes.len() as u64;
    if chunk_end > segment_end {
        return Err(invalid(at, "the chunk crosses a segment end"));
    }
    let mut records = Vec::new();
    let mut off = 0usize;
    while off < bytes.len() {
        let pos = at + off as u64;
        let rest = &bytes[off..];
        let to_segment_end = segment_end - pos;
        if to_segment_end < FILLER_LEN {
            return zero_tail(rest, pos, chunk_end == segment_end).map(|()| records);
        }
        if rest.len() < FILLER_LEN as usize {
            return Err(invalid(pos, "a partial item ends the chunk"));
        }
        let size = read_u32(rest, 0) as usize;
        match read_u32(rest, 4) {
            RECORD_MAGIC => {
                let record = rest
                    .get(..size)
                    .ok_or_else(|| invalid(pos, "a partial record ends the chunk"))?;
                let view = check_record(record, pos).map_err(StoreError::corrupted)?;
                // A delayed record holds a timer-queue offset, as on the master.
                let (topic, queue_id) = target_queue(&view);
                records.push(ReplicaRecord {
                    topic: topic.to_owned(),
                    queue_id,
                    queue_offset: view.queue_offset(),
                    store_timestamp_ms: view.store_timestamp_ms(),
                });
                off += size;
            }
            BLANK_MAGIC if size as u64 == to_segment_end && rest.len() == size => {
                return zero_tail(&rest[FILLER_LEN as usize..], pos, true).map(|()| records);
            }
            _ => return Err(invalid(pos, "neither a record nor a segment's filler")),
        }
    }
    Ok(records)
}

/// The bytes after a filler, or a segment's last < 8 bytes: zeros, up to the segment end.
fn zero_tail(rest: &[u8], pos: u64, reaches_segment_end: bool) -> Result<(), StoreError> {
    if !reaches_segment_end {
        return Err(invalid(
            pos,
            "a segment tail that stops short of the segment end",
        ));
    }
    if rest.iter().any(|b| *b != 0) {
        return Err(invalid(pos, "non-zero bytes in a segment tail"));
    }
    Ok(())
}

fn invalid(pos: u64, why: &str) -> StoreError {
    StoreError::corrupted(format!("replicated commit log at {pos}: {why}"))
}
