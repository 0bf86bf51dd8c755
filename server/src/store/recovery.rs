//! Recovery at `open`: make the commit log end at its last valid record and the consume
//! queues agree with it.
//!
//! 1. Read the checkpoint; a missing, corrupt or out-of-range one means a full rebuild from
//!    the first segment.
//! 2. Scan the commit log from `consume_queue_safe`, validating every record (`parse_record`,
//!    its `commit_log_offset` field equals its position, it fits its segment), every filler
//!    (`[remaining][BLANK_MAGIC]`) and every segment tail (zeros); the first failure is the end.
//! 3. Zero the bytes after the end in its segment and remove later segments, reporting the
//!    non-zero bytes dropped; make the scanned range durable.
//! 4. Load the consume queues, dropping torn entries and entries at or past the scan start
//!    (`queue_recovery`), then re-dispatch the scanned records, repairing any disagreement.
//! 5. Advance queue min offsets past deleted records, set the writers' counters from the
//!    queues, and write a checkpoint covering everything.

use std::sync::Arc;
use std::sync::atomic::Ordering;

use ferrocket::protocol::record::OFF_STORE_TIMESTAMP;

use crate::store::checkpoint::Checkpoint;
use crate::store::commit_log::{CommitLog, Item, LogSegment, check_record};
use crate::store::config::StoreConfig;
use crate::store::consume_queue::Entry;
use crate::store::engine::{Inner, Paths};
use crate::store::error::StoreError;
use crate::store::index::Index;
use crate::store::queue_recovery::LoadRules;
use crate::store::queues::QueueTable;
use crate::store::segment::Storage;
use crate::store::timer::target_queue;
use crate::store::{RecoveryReport, lock};

/// Bytes read at once when looking for non-zero bytes after the end.
const ZERO_SCAN_CHUNK: usize = 1024 * 1024;

/// What the commit-log scan found.
struct Scan {
    end: u64,
    records: u64,
    last_store_timestamp_ms: u64,
    error: Option<String>,
}

/// Recovers the store in `paths` and returns its state, ready for the threads.
pub(crate) fn recover(
    config: StoreConfig,
    storage: Arc<dyn Storage>,
    paths: Paths,
    clean_shutdown: bool,
) -> Result<(Inner, RecoveryReport), StoreError> {
    let commit_log = CommitLog::open(&paths.commit_log, storage.clone(), config.segment_size)?;
    let (scanned_from, checkpoint_used) = scan_start(&commit_log, &paths);
    let scan = scan_commit_log(&commit_log, scanned_from)?;
    let (truncated_bytes, segments_removed) = truncate_after(&commit_log, scan.end)?;
    if truncated_bytes > 0 {
        tracing::warn!(
            end = scan.end,
            truncated_bytes,
            why = scan.error.as_deref().unwrap_or(""),
            "commit log: dropped a torn or corrupt tail"
        );
    }
    commit_log.reset_ends(scanned_from);
    commit_log
        .flush_to(scan.end)
        .map_err(|e| StoreError::io("flush the recovered commit log", e))?;
    commit_log.publish(scan.end);
    let check = |topic: &str, queue_id: u32, index: u64, entry: Entry| {
        entry_matches(&commit_log, topic, queue_id, index, entry)
    };
    let rules = LoadRules {
        safe: scanned_from,
        commit_log_min: commit_log.min_offset(),
        check: &check,
    };
    let (queues, dropped) = QueueTable::load(
        &paths.consume_queue,
        storage.clone(),
        config.consume_queue_entries_per_file,
        &rules,
    )?;
    let sizes = (config.index_slot_count, config.index_entry_count);
    let index = Index::open(
        &paths.index,
        storage.clone(),
        sizes,
        scan.end,
        clean_shutdown,
    )?;
    let index_end = index.indexed_end();
    let inner = Inner::new(
        config,
        storage,
        paths,
        commit_log,
        (queues, index),
        scanned_from,
    );
    if index_end < scanned_from {
        inner.reindex(index_end, scanned_from)?;
    }
    let rebuilt = inner.dispatch_to(scan.end, true)?;
    inner.finish_recovery(scan.last_store_timestamp_ms)?;
    let report = RecoveryReport {
        clean_shutdown,
        checkpoint_used,
        scanned_from,
        commit_log_end: scan.end,
        records_scanned: scan.records,
        truncated_bytes,
        tail_error: (truncated_bytes > 0).then(|| scan.error.clone()).flatten(),
        segments_removed,
        consume_queue_entries_dropped: dropped,
        consume_queue_entries_rebuilt: rebuilt,
    };
    Ok((inner, report))
}

impl Inner {
    /// Cleans the queues below the commit-log start, sets counters and timestamps, computes
    /// disk usage and writes the checkpoint.
    fn finish_recovery(&self, scanned_last_timestamp_ms: u64) -> Result<(), StoreError> {
        self.queues.clean_below(self.commit_log.min_offset())?;
        let mut last_timestamp = scanned_last_timestamp_ms;
        for queue in self.queues.all() {
            let (min, max) = queue.bounds();
            queue.next_offset.store(max, Ordering::Release);
            if max > min
                && let Some(entry) = queue.entries(max - 1, 1)?.first()
            {
                let at = entry.commit_log_offset + OFF_STORE_TIMESTAMP as u64;
                last_timestamp = last_timestamp.max(self.commit_log.read_u64_at(at).unwrap_or(0));
            }
        }
        lock(&self.write).last_store_timestamp_ms = last_timestamp;
        init_segment_timestamps(&self.commit_log, last_timestamp);
        self.refresh_usage();
        self.full_checkpoint()
    }
}

/// Where the scan starts: the checkpoint's `consume_queue_safe` if it is valid and inside the
/// commit log, else the first segment.
fn scan_start(commit_log: &CommitLog, paths: &Paths) -> (u64, bool) {
    let first = commit_log.min_offset();
    let last_end = commit_log.segments().last().map_or(first, |s| s.end());
    match Checkpoint::load(&paths.checkpoint) {
        Ok(Some(Ok(cp))) if (first..=last_end).contains(&cp.consume_queue_safe) => {
            (cp.consume_queue_safe, true)
        }
        Ok(Some(Ok(cp))) => {
            tracing::warn!(
                safe = cp.consume_queue_safe,
                first,
                last_end,
                "checkpoint points outside the commit log; rebuilding every consume queue"
            );
            (first, false)
        }
        Ok(Some(Err(why))) => {
            tracing::warn!(why, "corrupt checkpoint; rebuilding every consume queue");
            (first, false)
        }
        Ok(None) => (first, false),
        Err(e) => {
            tracing::warn!(error = %e, "unreadable checkpoint; rebuilding every consume queue");
            (first, false)
        }
    }
}

/// Validates the commit log from `from` until the first invalid item.
fn scan_commit_log(commit_log: &CommitLog, from: u64) -> Result<Scan, StoreError> {
    let mut scan = Scan {
        end: from,
        records: 0,
        last_store_timestamp_ms: 0,
        error: None,
    };
    loop {
        let pos = scan.end;
        let why = match commit_log.item_at(pos)? {
            Item::Record { size } => match commit_log.bytes_at(pos, size)? {
                Some(bytes) => match check_record(&bytes, pos) {
                    Ok(view) => {
                        scan.records += 1;
                        scan.last_store_timestamp_ms = view.store_timestamp_ms();
                        scan.end = pos + size;
                        continue;
                    }
                    Err(why) => why,
                },
                None => return Ok(scan),
            },
            Item::Filler { next } => {
                scan.end = next;
                continue;
            }
            Item::Tail { next } => match commit_log.segment_at(pos) {
                Some(seg) if last_non_zero(&seg, pos - seg.base)?.is_none() => {
                    scan.end = next;
                    continue;
                }
                _ => format!("non-zero bytes in the tail of a segment at {pos}"),
            },
            Item::NoSegment => return Ok(scan),
            Item::Invalid(why) => format!("commit log at {pos}: {why}"),
        };
        scan.error = Some(why);
        return Ok(scan);
    }
}

/// Zeroes the non-zero bytes after `end` in its segment and removes later segments. Returns
/// the non-zero bytes dropped (up to the last non-zero byte of each segment) and the segments
/// removed.
fn truncate_after(commit_log: &CommitLog, end: u64) -> Result<(u64, u64), StoreError> {
    let io = |e| StoreError::io("truncate the commit log", e);
    let mut truncated = 0;
    for seg in commit_log.segments() {
        if seg.end() <= end {
            continue;
        }
        let from = end.saturating_sub(seg.base);
        let Some(last) = last_non_zero(&seg, from)? else {
            continue;
        };
        truncated += last + 1 - from;
        if seg.base < end {
            zero(&seg, from, last + 1).map_err(io)?;
        }
    }
    let removed = commit_log.remove_after(end)?;
    Ok((truncated, removed.len() as u64))
}

/// The offset (in the segment) of the last non-zero byte at or after `from`.
fn last_non_zero(seg: &LogSegment, from: u64) -> Result<Option<u64>, StoreError> {
    let len = seg.file.len();
    let mut buf = vec![0u8; ZERO_SCAN_CHUNK];
    let mut last = None;
    let mut at = from;
    while at < len {
        let n = usize::try_from(len - at)
            .unwrap_or(usize::MAX)
            .min(ZERO_SCAN_CHUNK);
        seg.file
            .read_into(at, &mut buf[..n])
            .map_err(|e| StoreError::io(format!("read {}", seg.path.display()), e))?;
        if let Some(i) = buf[..n].iter().rposition(|b| *b != 0) {
            last = Some(at + i as u64);
        }
        at += n as u64;
    }
    Ok(last)
}

/// Writes zeros over `[from, to)` of a segment and makes them durable.
fn zero(seg: &LogSegment, from: u64, to: u64) -> std::io::Result<()> {
    let zeros = vec![0u8; ZERO_SCAN_CHUNK];
    let mut at = from;
    while at < to {
        let n = usize::try_from(to - at)
            .unwrap_or(usize::MAX)
            .min(ZERO_SCAN_CHUNK);
        seg.file.write(at, &zeros[..n])?;
        at += n as u64;
    }
    seg.file.flush(from, to - from)
}

/// Whether `entry`, at `index` of queue `topic`/`queue_id`, matches the record it points at.
fn entry_matches(
    commit_log: &CommitLog,
    topic: &str,
    queue_id: u32,
    index: u64,
    entry: Entry,
) -> bool {
    let pos = entry.commit_log_offset;
    if pos >= commit_log.written() {
        return false;
    }
    let Ok(Item::Record { size }) = commit_log.item_at(pos) else {
        return false;
    };
    if size != u64::from(entry.size) {
        return false;
    }
    let Ok(Some(bytes)) = commit_log.bytes_at(pos, size) else {
        return false;
    };
    check_record(&bytes, pos)
        .is_ok_and(|view| target_queue(&view) == (topic, queue_id) && view.queue_offset() == index)
}

/// Gives every segment but the last the store timestamp of the first record of the next one
/// (the time the log moved past it, an upper bound of its last record's); the last segment
/// gets the newest known timestamp.
fn init_segment_timestamps(commit_log: &CommitLog, newest_ms: u64) {
    let segments = commit_log.segments();
    for pair in segments.windows(2) {
        let next_first = commit_log.read_u64_at(pair[1].base + OFF_STORE_TIMESTAMP as u64);
        let closed_at = match commit_log.item_at(pair[1].base) {
            Ok(Item::Record { .. }) => next_first.unwrap_or(0),
            _ => 0,
        };
        pair[0]
            .last_store_timestamp_ms
            .store(closed_at, Ordering::Release);
    }
    if let Some(last) = segments.last() {
        last.last_store_timestamp_ms
            .store(newest_ms, Ordering::Release);
    }
}
