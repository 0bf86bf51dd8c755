//! One consume queue: the index of one topic's queue into the commit log.
//!
//! Entry n (the message at queue offset n) is 20 big-endian bytes at byte n × 20 of the
//! queue's logical space: `commit_log_offset: u64, size: u32, tag_hash: u64`. The space is cut
//! into files of `entries_per_file` entries named by their first byte offset. An entry of size
//! 0 is empty (a hole before the queue's start or after a lost entry) and is skipped by reads.
//! Entries below `max` are immutable; only the dispatcher writes, always at `max` (or, during
//! recovery, repairs an entry in place before any reader exists).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use ferrocket::limits::CONSUME_QUEUE_ENTRY_LEN;
use ferrocket::protocol::record::{read_u32, read_u64};
use tokio::sync::Notify;

use crate::store::commit_log::file_name;
use crate::store::error::StoreError;
use crate::store::lock;
use crate::store::segment::{Segment, Storage};

/// Bytes of one entry.
pub(crate) const ENTRY_LEN: u64 = CONSUME_QUEUE_ENTRY_LEN as u64;
/// Entries read from a file at once when scanning.
pub(crate) const CHUNK_ENTRIES: u64 = 1024;

/// One consume-queue entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) struct Entry {
    /// Where the record starts in the commit log.
    pub(crate) commit_log_offset: u64,
    /// Length of the record; 0 marks an empty entry.
    pub(crate) size: u32,
    /// `tag_hash` of the record's tag.
    pub(crate) tag_hash: u64,
}

impl Entry {
    /// The 20 bytes of the entry.
    pub(crate) fn encode(&self) -> [u8; CONSUME_QUEUE_ENTRY_LEN] {
        let mut out = [0u8; CONSUME_QUEUE_ENTRY_LEN];
        out[0..8].copy_from_slice(&self.commit_log_offset.to_be_bytes());
        out[8..12].copy_from_slice(&self.size.to_be_bytes());
        out[12..20].copy_from_slice(&self.tag_hash.to_be_bytes());
        out
    }

    /// Decodes 20 bytes.
    pub(crate) fn decode(bytes: &[u8]) -> Entry {
        Entry {
            commit_log_offset: read_u64(bytes, 0),
            size: read_u32(bytes, 8),
            tag_hash: read_u64(bytes, 12),
        }
    }

    /// True for an empty entry (size 0).
    pub(crate) fn is_empty(&self) -> bool {
        self.size == 0
    }

    /// True when all 20 bytes are zero (never written).
    pub(crate) fn is_zero(&self) -> bool {
        *self == Entry::default()
    }
}

/// The files and bounds of a queue.
#[derive(Debug, Default)]
pub(crate) struct QueueState {
    /// Files by the index of their first entry.
    pub(crate) files: BTreeMap<u64, Arc<dyn Segment>>,
    /// First live entry.
    pub(crate) min: u64,
    /// One past the last entry.
    pub(crate) max: u64,
    /// Entries below this index are durable.
    pub(crate) flushed: u64,
}

/// One topic's queue: its files, bounds, the writer's counter and the long-poll `Notify`.
#[derive(Debug)]
pub(crate) struct ConsumeQueue {
    /// Topic.
    pub(crate) topic: String,
    /// Queue id.
    pub(crate) queue_id: u32,
    dir: PathBuf,
    entries_per_file: u64,
    storage: Arc<dyn Storage>,
    /// Next queue offset the writer assigns; changed only under the store's write lock.
    pub(crate) next_offset: AtomicU64,
    notify: Arc<Notify>,
    notify_pending: AtomicBool,
    pub(crate) state: Mutex<QueueState>,
}

impl ConsumeQueue {
    /// A queue with the given state (no files for a new queue).
    pub(crate) fn new(
        topic: &str,
        queue_id: u32,
        dir: &Path,
        entries_per_file: u64,
        storage: Arc<dyn Storage>,
        state: QueueState,
    ) -> ConsumeQueue {
        ConsumeQueue {
            topic: topic.to_owned(),
            queue_id,
            dir: dir.to_path_buf(),
            entries_per_file,
            storage,
            next_offset: AtomicU64::new(state.max),
            notify: Arc::new(Notify::new()),
            notify_pending: AtomicBool::new(false),
            state: Mutex::new(state),
        }
    }

    /// `(min, max)` offsets.
    pub(crate) fn bounds(&self) -> (u64, u64) {
        let state = lock(&self.state);
        (state.min, state.max)
    }

    /// The `Notify` woken after entries are dispatched to this queue.
    pub(crate) fn notify(&self) -> Arc<Notify> {
        self.notify.clone()
    }

    /// Marks that waiters must be woken; true when the caller should queue the wake-up.
    pub(crate) fn mark_notify(&self) -> bool {
        !self.notify_pending.swap(true, Ordering::AcqRel)
    }

    /// Wakes every waiter (called after the dispatch lock is released).
    pub(crate) fn wake(&self) {
        self.notify_pending.store(false, Ordering::Release);
        self.notify.notify_waiters();
    }

    /// Writes the entry for queue offset `index`. An `index` below `max` is already
    /// dispatched and skipped, except that `repair` (recovery) rewrites a differing entry.
    /// An `index` above `max` starts an empty queue there, or leaves holes (logged).
    pub(crate) fn put(&self, index: u64, entry: Entry, repair: bool) -> Result<bool, StoreError> {
        let mut state = lock(&self.state);
        if index < state.max {
            if !repair || index < state.min {
                return Ok(false);
            }
            let existing = self.read_locked(&state, index, 1)?;
            if existing.first() == Some(&entry) {
                return Ok(false);
            }
            tracing::warn!(topic = %self.topic, queue_id = self.queue_id, index,
                "consume queue: repairing an entry that disagrees with the commit log");
        } else if index > state.max {
            if state.min == state.max {
                state.min = index;
            } else {
                tracing::warn!(topic = %self.topic, queue_id = self.queue_id, index,
                    max = state.max, "consume queue: entries missing, leaving empty entries");
            }
        }
        let file = self.file_for(&mut state, index)?;
        let at = (index % self.entries_per_file) * ENTRY_LEN;
        file.write(at, &entry.encode()).map_err(|e| {
            StoreError::io(format!("write consume queue {}", self.dir.display()), e)
        })?;
        state.max = state.max.max(index + 1);
        Ok(true)
    }

    /// Up to `count` entries from `from`, stopping at `max`; entries in removed files read
    /// as empty.
    pub(crate) fn entries(&self, from: u64, count: u64) -> Result<Vec<Entry>, StoreError> {
        let state = lock(&self.state);
        self.read_locked(&state, from, count)
    }

    /// Reads entries `[from, from + count)` clipped to `max`.
    pub(crate) fn read_locked(
        &self,
        state: &QueueState,
        from: u64,
        count: u64,
    ) -> Result<Vec<Entry>, StoreError> {
        let end = from.saturating_add(count).min(state.max);
        read_range(&state.files, self.entries_per_file, from, end)
            .map_err(|e| StoreError::io(format!("read consume queue {}", self.dir.display()), e))
    }

    /// Makes every entry durable.
    pub(crate) fn flush(&self) -> Result<(), StoreError> {
        let (work, to) = {
            let state = lock(&self.state);
            if state.flushed >= state.max {
                return Ok(());
            }
            let work = ranges(
                &state.files,
                self.entries_per_file,
                state.flushed,
                state.max,
            );
            (work, state.max)
        };
        for (file, lo, hi) in work {
            file.flush(lo * ENTRY_LEN, (hi - lo) * ENTRY_LEN)
                .map_err(|e| {
                    StoreError::io(format!("flush consume queue {}", self.dir.display()), e)
                })?;
        }
        let mut state = lock(&self.state);
        state.flushed = state.flushed.max(to);
        Ok(())
    }

    /// Advances `min` past entries pointing below `commit_log_min` and deletes the files
    /// entirely below it (never the last file, which holds `max`). Returns the files removed.
    pub(crate) fn clean_below(&self, commit_log_min: u64) -> Result<u64, StoreError> {
        let doomed = {
            let mut state = lock(&self.state);
            let mut index = state.min;
            // Usually the first entry is still live: look at it alone before reading chunks.
            let mut chunk_len = 1;
            'scan: while index < state.max {
                let chunk = self.read_locked(&state, index, chunk_len)?;
                chunk_len = CHUNK_ENTRIES;
                for entry in chunk {
                    if !entry.is_empty() && entry.commit_log_offset >= commit_log_min {
                        break 'scan;
                    }
                    index += 1;
                }
            }
            state.min = index;
            let last = state.files.keys().next_back().copied();
            let epf = self.entries_per_file;
            let bases: Vec<u64> = state
                .files
                .keys()
                .copied()
                .filter(|b| Some(*b) != last && b + epf <= index)
                .collect();
            bases
                .iter()
                .filter_map(|b| state.files.remove(b).map(|_| *b))
                .collect::<Vec<_>>()
        };
        for base in &doomed {
            self.remove_file(*base)?;
        }
        Ok(doomed.len() as u64)
    }

    /// Removes every file of the queue (topic deletion) and empties it.
    pub(crate) fn remove_all(&self) -> Result<(), StoreError> {
        let bases: Vec<u64> = {
            let mut state = lock(&self.state);
            let bases = state.files.keys().copied().collect();
            *state = QueueState::default();
            bases
        };
        for base in bases {
            self.remove_file(base)?;
        }
        match self.storage.remove(&self.dir) {
            Ok(()) => Ok(()),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
            Err(e) => Err(StoreError::io(format!("remove {}", self.dir.display()), e)),
        }
    }

    /// Number of files.
    pub(crate) fn file_count(&self) -> u64 {
        lock(&self.state).files.len() as u64
    }

    fn remove_file(&self, base: u64) -> Result<(), StoreError> {
        let path = self.dir.join(file_name(base * ENTRY_LEN));
        self.storage
            .remove(&path)
            .map_err(|e| StoreError::io(format!("remove {}", path.display()), e))
    }

    fn file_for(&self, state: &mut QueueState, index: u64) -> Result<Arc<dyn Segment>, StoreError> {
        let base = index - index % self.entries_per_file;
        if let Some(file) = state.files.get(&base) {
            return Ok(file.clone());
        }
        let path = self.dir.join(file_name(base * ENTRY_LEN));
        let file = self
            .storage
            .create_segment(&path, self.entries_per_file * ENTRY_LEN)
            .map_err(|e| {
                StoreError::io(format!("create consume-queue file {}", path.display()), e)
            })?;
        state.files.insert(base, file.clone());
        Ok(file)
    }
}

/// Reads entries `[from, end)` of a queue whose files are keyed by first entry index.
pub(crate) fn read_range(
    files: &BTreeMap<u64, Arc<dyn Segment>>,
    entries_per_file: u64,
    from: u64,
    end: u64,
) -> std::io::Result<Vec<Entry>> {
    let capacity = usize::try_from(end.saturating_sub(from)).unwrap_or(0);
    let mut out = Vec::with_capacity(capacity);
    let mut buf = Vec::new();
    let mut index = from;
    while index < end {
        let base = index - index % entries_per_file;
        let stop = end.min(base + entries_per_file);
        let count = usize::try_from(stop - index).unwrap_or(0);
        match files.get(&base) {
            Some(file) => {
                buf.resize(count * CONSUME_QUEUE_ENTRY_LEN, 0);
                file.read_into((index - base) * ENTRY_LEN, &mut buf)?;
                out.extend(buf.chunks_exact(CONSUME_QUEUE_ENTRY_LEN).map(Entry::decode));
            }
            None => out.extend(std::iter::repeat_n(Entry::default(), count)),
        }
        index = stop;
    }
    Ok(out)
}

/// The per-file pieces `(file, first, end)` (entry indexes relative to the file) of the range
/// `[from, end)`, for files that exist.
fn ranges(
    files: &BTreeMap<u64, Arc<dyn Segment>>,
    entries_per_file: u64,
    from: u64,
    end: u64,
) -> Vec<(Arc<dyn Segment>, u64, u64)> {
    files
        .iter()
        .filter(|(base, _)| **base < end && **base + entries_per_file > from)
        .map(|(base, file)| {
            let lo = from.max(*base) - base;
            let hi = end.min(base + entries_per_file) - base;
            (file.clone(), lo, hi)
        })
        .collect()
}
