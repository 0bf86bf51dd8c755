//! The write path: `Store::append`.
//!
//! Before the write lock: the pending-send bound (`Busy`), the topic, the batch's records, the
//! refuse threshold (`Full`) and a recorded flush failure. Under the write lock (a std mutex,
//! never held across `.await`): assign queue offsets and commit-log positions, create any
//! segment the batch needs (first pass, so a failure writes nothing), copy the records with
//! their patched headers (second pass), then publish the new end. After the lock: dispatch
//! (ASYNC), or wait for the group commit (SYNC with `wait_store_msg_ok`).

use std::sync::Arc;
use std::sync::atomic::Ordering;

use ferrocket::limits::RECORD_LEN_MAX;
use ferrocket::protocol::record::{
    BLANK_MAGIC, RECORD_FIXED_LEN, StorePatch, is_delayed, parse_record, patch_record,
    peek_record_header,
};

use crate::store::commit_log::{FILLER_LEN, LogSegment};
use crate::store::config::FlushMode;
use crate::store::engine::Inner;
use crate::store::error::StoreError;
use crate::store::timer::{TIMER_QUEUE_ID, TIMER_TOPIC};
use crate::store::{AppendBatch, AppendResult, FlushOutcome, Store, lock, now_ms, validate_topic};

/// Where the batch went.
struct Written {
    first_queue_offset: u64,
    first_commit_log_offset: u64,
    end: u64,
    store_timestamp_ms: u64,
}

/// Where one record goes, and the segment it skipped (segment, position, bytes left), if any.
struct Placement {
    filler: Option<(Arc<LogSegment>, u64, u64)>,
    segment: Arc<LogSegment>,
    pos: u64,
}

/// Counts an append in progress; refuses it when `max` are already in progress.
struct PendingSend(Arc<Inner>);

impl PendingSend {
    fn enter(inner: Arc<Inner>, max: usize) -> Result<PendingSend, StoreError> {
        let before = inner.pending.fetch_add(1, Ordering::AcqRel);
        let guard = PendingSend(inner);
        if before >= max {
            return Err(StoreError::Busy);
        }
        Ok(guard)
    }
}

impl Drop for PendingSend {
    fn drop(&mut self) {
        self.0.pending.fetch_sub(1, Ordering::AcqRel);
    }
}

/// An append that is written (and, in ASYNC mode, visible) but may still have to wait for its
/// group commit. It counts against `pending_sends_max` until `finish` returns.
#[must_use = "an append is only answered once `finish` says how durable it is"]
pub struct PendingAppend {
    pending: PendingSend,
    written: Written,
    wait_flush: bool,
}

impl std::fmt::Debug for PendingAppend {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PendingAppend")
            .field(
                "first_commit_log_offset",
                &self.written.first_commit_log_offset,
            )
            .field("end", &self.written.end)
            .field("wait_flush", &self.wait_flush)
            .finish()
    }
}

impl PendingAppend {
    /// Commit-log offset one past the batch: a slave holding everything below it has the batch.
    pub fn end_offset(&self) -> u64 {
        self.written.end
    }

    /// Waits for the group commit when the append asked for one, and says how it went.
    pub async fn finish(self) -> AppendResult {
        let flush = if self.wait_flush {
            self.pending.0.wait_flushed(self.written.end).await
        } else {
            FlushOutcome::NotWaited
        };
        AppendResult {
            queue_offset: self.written.first_queue_offset,
            commit_log_offset: self.written.first_commit_log_offset,
            store_timestamp_ms: self.written.store_timestamp_ms,
            flush,
        }
    }
}

impl Store {
    /// Appends a batch of records to one queue, all or nothing; see the module doc.
    pub async fn append(&self, batch: AppendBatch<'_>) -> Result<AppendResult, StoreError> {
        Ok(self.append_begin(batch)?.finish().await)
    }

    /// The synchronous part of `append`: checks, writes and (ASYNC) dispatches the batch
    /// without waiting. Appends begun one after another are stored in that order, so a
    /// connection that begins its sends in arrival order keeps them in order.
    pub fn append_begin(&self, batch: AppendBatch<'_>) -> Result<PendingAppend, StoreError> {
        let inner = self.inner_arc();
        let pending = PendingSend::enter(inner.clone(), inner.config.pending_sends_max)?;
        validate_topic(batch.topic)?;
        check_batch(&batch, inner.record_len_max())?;
        inner.check_writable()?;
        let written = inner.write_batch(&batch)?;
        inner.appended.notify_waiters();
        let wait_flush = match inner.config.flush_mode {
            FlushMode::Async => {
                // The batch is stored; a failed dispatch is logged and retried by the service.
                let _ = inner.dispatch_to(inner.commit_log.written(), false);
                false
            }
            FlushMode::Sync if batch.wait_store_msg_ok => true,
            FlushMode::Sync => {
                inner.flush_control.request();
                false
            }
        };
        Ok(PendingAppend {
            pending,
            written,
            wait_flush,
        })
    }
}

impl Inner {
    /// Longest record a segment can hold (minus room for a filler), capped by the format.
    pub(crate) fn record_len_max(&self) -> usize {
        let by_segment =
            usize::try_from(self.config.segment_size - FILLER_LEN).unwrap_or(usize::MAX);
        RECORD_LEN_MAX.min(by_segment)
    }

    /// `Full` while refusing writes; the error of a failed flush, once.
    fn check_writable(&self) -> Result<(), StoreError> {
        if self.refusing.load(Ordering::Acquire) {
            let usage_percent = f64::from_bits(self.usage_bits.load(Ordering::Acquire));
            return Err(StoreError::Full { usage_percent });
        }
        if let Some(e) = lock(&self.flush_error).take() {
            return Err(StoreError::io(
                "an earlier flush of the commit log failed",
                e,
            ));
        }
        Ok(())
    }

    fn write_batch(&self, batch: &AppendBatch<'_>) -> Result<Written, StoreError> {
        let mut state = lock(&self.write);
        if state.closed {
            return Err(StoreError::ShuttingDown);
        }
        // A delayed batch (`check_batch` made it all-or-nothing) takes timer-queue offsets.
        let delayed = records(batch.records)
            .next()
            .and_then(|r| parse_record(r).ok())
            .is_some_and(|view| is_delayed(&view));
        let queue = if delayed {
            self.queues.get_or_create(TIMER_TOPIC, TIMER_QUEUE_ID)
        } else {
            self.queues.get_or_create(batch.topic, batch.queue_id)
        };
        let start = self.commit_log.written();
        let mut end = start;
        for record in records(batch.records) {
            let placement = self.place(end, record.len() as u64)?;
            end = placement.pos + record.len() as u64;
        }
        let store_timestamp_ms = now_ms().max(state.last_store_timestamp_ms);
        let first_queue_offset = queue.next_offset.load(Ordering::Acquire);
        let mut patch = StorePatch {
            queue_id: batch.queue_id,
            queue_offset: first_queue_offset,
            commit_log_offset: 0,
            store_timestamp_ms,
            store_host: self.config.store_host,
        };
        let mut pos = start;
        let mut first_commit_log_offset = None;
        for record in records(batch.records) {
            let placement = self.place(pos, record.len() as u64)?;
            patch.commit_log_offset = placement.pos;
            write_record(&placement, record, &patch)?;
            first_commit_log_offset.get_or_insert(placement.pos);
            pos = placement.pos + record.len() as u64;
            patch.queue_offset += 1;
        }
        assert_eq!(pos, end, "the two passes over a batch disagree");
        self.commit_log.publish(end);
        queue
            .next_offset
            .store(patch.queue_offset, Ordering::Release);
        state.last_store_timestamp_ms = store_timestamp_ms;
        Ok(Written {
            first_queue_offset,
            first_commit_log_offset: first_commit_log_offset.unwrap_or(start),
            end,
            store_timestamp_ms,
        })
    }

    /// Finds where a record of `size` bytes starting at or after `pos` goes, creating the next
    /// segment when the current one is full.
    fn place(&self, pos: u64, size: u64) -> Result<Placement, StoreError> {
        let mut pos = pos;
        let mut filler = None;
        loop {
            let (segment, created) = self.commit_log.segment_for_write(pos)?;
            if created {
                self.refresh_usage_after_growth();
            }
            let remaining = segment.end() - pos;
            if size <= remaining {
                return Ok(Placement {
                    filler,
                    segment,
                    pos,
                });
            }
            assert!(
                filler.is_none(),
                "a record that fits no segment was accepted"
            );
            filler = Some((segment.clone(), pos, remaining));
            pos = segment.end();
        }
    }
}

/// Writes the filler (if any), then the record with its header patched on a stack copy, so
/// the body is copied once, straight into the segment.
fn write_record(
    placement: &Placement,
    record: &[u8],
    patch: &StorePatch,
) -> Result<(), StoreError> {
    let io = |e| {
        StoreError::io(
            format!("write the commit log at {}", patch.commit_log_offset),
            e,
        )
    };
    if let Some((segment, at, remaining)) = &placement.filler {
        // Fewer than 8 bytes stay zero: readers skip a tail that short.
        if *remaining >= FILLER_LEN {
            let len =
                u32::try_from(*remaining).map_err(|_| StoreError::corrupted("filler length"))?;
            let mut blank = [0u8; FILLER_LEN as usize];
            blank[..4].copy_from_slice(&len.to_be_bytes());
            blank[4..].copy_from_slice(&BLANK_MAGIC.to_be_bytes());
            segment.file.write(at - segment.base, &blank).map_err(io)?;
        }
        // The log moved past this segment: if its age is unknown, it is "now".
        let _ = segment.last_store_timestamp_ms.compare_exchange(
            0,
            patch.store_timestamp_ms,
            Ordering::AcqRel,
            Ordering::Acquire,
        );
    }
    let segment = &placement.segment;
    let mut head = [0u8; RECORD_FIXED_LEN];
    head.copy_from_slice(&record[..RECORD_FIXED_LEN]);
    patch_record(&mut head, patch);
    let at = placement.pos - segment.base;
    segment.file.write(at, &head).map_err(io)?;
    segment
        .file
        .write(at + RECORD_FIXED_LEN as u64, &record[RECORD_FIXED_LEN..])
        .map_err(io)?;
    segment
        .last_store_timestamp_ms
        .store(patch.store_timestamp_ms, Ordering::Release);
    Ok(())
}

/// Checks a batch: `record_count` records of this topic filling `records` exactly, each one
/// valid by `parse_record` and at most `max_len` bytes. The caller validated them already;
/// checking again (one CRC pass) keeps "everything in the commit log is valid" true by
/// construction, so a caller bug is an error for the producer, never a poisoned log.
fn check_batch(batch: &AppendBatch<'_>, max_len: usize) -> Result<(), StoreError> {
    let bad = |why: String| Err(StoreError::InvalidBatch(why));
    if batch.record_count == 0 || batch.records.is_empty() {
        return bad("no records".into());
    }
    let mut rest = batch.records;
    let mut count: u64 = 0;
    let mut delayed = None;
    while !rest.is_empty() {
        if let Some((size, _)) = peek_record_header(rest) {
            let size = usize::try_from(size).unwrap_or(usize::MAX);
            if size > max_len && size <= rest.len() {
                return Err(StoreError::RecordTooLarge {
                    len: size,
                    max: max_len,
                });
            }
        }
        let view = match parse_record(rest) {
            Ok(view) => view,
            Err(e) => return bad(format!("record {count}: {e}")),
        };
        if view.topic != batch.topic {
            return bad(format!("record {count} is for topic {:?}", view.topic));
        }
        if *delayed.get_or_insert(is_delayed(&view)) != is_delayed(&view) {
            return bad("a batch mixes delayed and immediate records".into());
        }
        count += 1;
        rest = &rest[view.len()..];
    }
    if count != u64::from(batch.record_count) {
        return bad(format!(
            "record_count is {} but the batch holds {count}",
            batch.record_count
        ));
    }
    Ok(())
}

/// The records of a batch that `check_batch` accepted.
fn records(mut rest: &[u8]) -> impl Iterator<Item = &[u8]> {
    std::iter::from_fn(move || {
        let (size, _) = peek_record_header(rest)?;
        let size = usize::try_from(size).ok()?.min(rest.len());
        let (record, tail) = rest.split_at(size);
        rest = tail;
        Some(record)
    })
}
