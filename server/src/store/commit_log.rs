//! The commit log: one append-only sequence of the records of every topic, stored in
//! preallocated segments named by their first byte offset (20 decimal digits).
//!
//! A record never spans segments. When the next record does not fit, the writer leaves a
//! blank filler `[remaining: u32][BLANK_MAGIC: u32]` if at least 8 bytes remain (zeros
//! otherwise) and continues at the next segment. `written` is the published end: bytes below
//! it are immutable and readable; `flushed` is the durable end. Only the writer (under the
//! store's write lock) creates segments and advances `written`; only `flush_to` (under its own
//! lock) advances `flushed`.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, RwLock};

use bytes::Bytes;
use ferrocket::protocol::record::{
    BLANK_MAGIC, RECORD_LEN_MIN, RECORD_MAGIC, RecordView, parse_record, read_u32,
};

use crate::store::error::StoreError;
use crate::store::segment::{Segment, Storage};
use crate::store::{lock, read_lock, write_lock};

/// Bytes of a blank filler's header (and the least room worth a filler).
pub(crate) const FILLER_LEN: u64 = 8;

/// One commit-log segment and what the store knows about it.
#[derive(Debug)]
pub(crate) struct LogSegment {
    /// Commit-log offset of its first byte (also its file name).
    pub(crate) base: u64,
    /// Its file.
    pub(crate) path: PathBuf,
    /// Its bytes.
    pub(crate) file: Arc<dyn Segment>,
    /// Store timestamp of the last record written into it; 0 while unknown.
    pub(crate) last_store_timestamp_ms: AtomicU64,
}

impl LogSegment {
    /// Commit-log offset one past its last byte.
    pub(crate) fn end(&self) -> u64 {
        self.base + self.file.len()
    }
}

/// What lies at a commit-log position, judged from its first 8 bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Item {
    /// A record header announcing `size` bytes that fit in the segment (not yet validated).
    Record { size: u64 },
    /// A well-formed blank filler; the log continues at `next`.
    Filler { next: u64 },
    /// Fewer than 8 bytes remain in the segment; the log continues at `next`.
    Tail { next: u64 },
    /// No segment holds this position.
    NoSegment,
    /// Neither a record header nor a well-formed filler.
    Invalid(&'static str),
}

/// The segments and the published and durable ends of the commit log.
#[derive(Debug)]
pub(crate) struct CommitLog {
    dir: PathBuf,
    storage: Arc<dyn Storage>,
    segment_size: u64,
    segments: RwLock<BTreeMap<u64, Arc<LogSegment>>>,
    written: AtomicU64,
    flushed: AtomicU64,
    flush_lock: Mutex<()>,
    /// The segment that will follow the last one, created ahead of need by the service thread
    /// so the writer rarely creates (fallocate + fsync) a file under the store's write lock.
    spare: Mutex<Option<Arc<LogSegment>>>,
    /// Serializes segment creation between the writer and the service thread.
    create_lock: Mutex<()>,
}

impl CommitLog {
    /// Opens the segments in `dir`; they must be contiguous. `written` and `flushed` start at
    /// 0 until recovery sets them.
    pub(crate) fn open(
        dir: &Path,
        storage: Arc<dyn Storage>,
        segment_size: u64,
    ) -> Result<CommitLog, StoreError> {
        let mut segments = BTreeMap::new();
        let mut expected: Option<u64> = None;
        let paths = storage
            .list(dir)
            .map_err(|e| StoreError::io(format!("list {}", dir.display()), e))?;
        for path in paths {
            let Some(base) = parse_file_name(&path) else {
                tracing::warn!(path = %path.display(), "ignoring a foreign file in the commit log");
                continue;
            };
            let file = storage
                .open_segment(&path)
                .map_err(|e| StoreError::io(format!("open {}", path.display()), e))?;
            if let Some(end) = expected.filter(|end| *end != base) {
                return Err(StoreError::corrupted(format!(
                    "commit log: segments are not contiguous (one ends at {end}, the next \
                     starts at {base})"
                )));
            }
            expected = Some(base + file.len());
            let last_store_timestamp_ms = AtomicU64::new(0);
            let segment = LogSegment {
                base,
                path,
                file,
                last_store_timestamp_ms,
            };
            segments.insert(base, Arc::new(segment));
        }
        Ok(CommitLog {
            dir: dir.to_path_buf(),
            storage,
            segment_size,
            segments: RwLock::new(segments),
            written: AtomicU64::new(0),
            flushed: AtomicU64::new(0),
            flush_lock: Mutex::new(()),
            spare: Mutex::new(None),
            create_lock: Mutex::new(()),
        })
    }

    /// End of the published data.
    pub(crate) fn written(&self) -> u64 {
        self.written.load(Ordering::Acquire)
    }

    /// End of the durable data.
    pub(crate) fn flushed(&self) -> u64 {
        self.flushed.load(Ordering::Acquire)
    }

    /// Publishes `end` as the end of the written data (writer and recovery only).
    pub(crate) fn publish(&self, end: u64) {
        assert!(end >= self.written(), "the commit log end went backwards");
        self.written.store(end, Ordering::Release);
    }

    /// Sets both ends after recovery, before any reader or writer exists.
    pub(crate) fn reset_ends(&self, end: u64) {
        self.written.store(end, Ordering::Release);
        self.flushed.store(end, Ordering::Release);
    }

    /// First offset still stored: the base of the oldest segment, or the end when empty.
    pub(crate) fn min_offset(&self) -> u64 {
        match read_lock(&self.segments).values().next() {
            Some(first) => first.base,
            None => self.written(),
        }
    }

    /// The segment holding `pos`, if any.
    pub(crate) fn segment_at(&self, pos: u64) -> Option<Arc<LogSegment>> {
        let segments = read_lock(&self.segments);
        let (_, seg) = segments.range(..=pos).next_back()?;
        (pos < seg.end()).then(|| seg.clone())
    }

    /// All segments, oldest first.
    pub(crate) fn segments(&self) -> Vec<Arc<LogSegment>> {
        read_lock(&self.segments).values().cloned().collect()
    }

    /// Bytes of all segment files holding the log. The spare is not counted: it holds no data
    /// yet, and counting it would make a quota's usage jump by a segment at a moment the
    /// service thread picks.
    pub(crate) fn total_bytes(&self) -> u64 {
        read_lock(&self.segments)
            .values()
            .map(|s| s.file.len())
            .sum()
    }

    /// The segment holding `pos`, creating it (with base `pos`) when the log ends exactly there,
    /// from the spare when one is ready. Returns whether a segment was added. Writer only.
    pub(crate) fn segment_for_write(
        &self,
        pos: u64,
    ) -> Result<(Arc<LogSegment>, bool), StoreError> {
        if let Some(seg) = self.segment_at(pos) {
            return Ok((seg, false));
        }
        let _creating = lock(&self.create_lock);
        if let Some(last) = read_lock(&self.segments).values().next_back() {
            assert_eq!(last.end(), pos, "a new segment must follow the last one");
        }
        let seg = match lock(&self.spare).take() {
            Some(spare) if spare.base == pos => spare,
            Some(spare) => panic!(
                "spare segment at {} but the log continues at {pos}",
                spare.base
            ),
            None => self.create(pos)?,
        };
        write_lock(&self.segments).insert(pos, seg.clone());
        Ok((seg, true))
    }

    /// Creates the segment that will follow the last one, unless it exists. Service thread only;
    /// a crash leaves it as an empty trailing segment, which recovery removes.
    pub(crate) fn prepare_spare(&self) -> Result<(), StoreError> {
        let _creating = lock(&self.create_lock);
        let Some(next) = read_lock(&self.segments)
            .values()
            .next_back()
            .map(|s| s.end())
        else {
            return Ok(());
        };
        if let Some(spare) = lock(&self.spare).as_ref() {
            assert_eq!(spare.base, next, "the spare follows the last segment");
            return Ok(());
        }
        let seg = self.create(next)?;
        *lock(&self.spare) = Some(seg);
        Ok(())
    }

    /// Deletes the spare segment file, if any (clean shutdown), so the next open finds only
    /// segments holding data.
    pub(crate) fn drop_spare(&self) -> Result<(), StoreError> {
        let _creating = lock(&self.create_lock);
        let Some(spare) = lock(&self.spare).take() else {
            return Ok(());
        };
        self.storage
            .remove(&spare.path)
            .map_err(|e| StoreError::io(format!("remove {}", spare.path.display()), e))
    }

    fn create(&self, base: u64) -> Result<Arc<LogSegment>, StoreError> {
        let path = self.dir.join(file_name(base));
        let file = self
            .storage
            .create_segment(&path, self.segment_size)
            .map_err(|e| {
                StoreError::io(format!("create commit-log segment {}", path.display()), e)
            })?;
        Ok(Arc::new(LogSegment {
            base,
            path,
            file,
            last_store_timestamp_ms: AtomicU64::new(0),
        }))
    }

    /// Removes the oldest segment if it starts at `base` and is not the last one.
    pub(crate) fn remove_oldest(&self, base: u64) -> Result<bool, StoreError> {
        let seg = {
            let mut segments = write_lock(&self.segments);
            let first = segments.keys().next().copied();
            if first != Some(base) || segments.len() < 2 {
                return Ok(false);
            }
            segments.remove(&base)
        };
        let Some(seg) = seg else { return Ok(false) };
        self.storage
            .remove(&seg.path)
            .map_err(|e| StoreError::io(format!("remove {}", seg.path.display()), e))?;
        Ok(true)
    }

    /// Removes every segment after the one holding (or ending at) `end` (recovery only).
    pub(crate) fn remove_after(&self, end: u64) -> Result<Vec<Arc<LogSegment>>, StoreError> {
        let removed: Vec<Arc<LogSegment>> = {
            let mut segments = write_lock(&self.segments);
            let doomed: Vec<u64> = segments.range(end..).map(|(b, _)| *b).collect();
            doomed.iter().filter_map(|b| segments.remove(b)).collect()
        };
        for seg in &removed {
            self.storage
                .remove(&seg.path)
                .map_err(|e| StoreError::io(format!("remove {}", seg.path.display()), e))?;
        }
        Ok(removed)
    }

    /// Classifies what lies at `pos` from its first 8 bytes.
    pub(crate) fn item_at(&self, pos: u64) -> Result<Item, StoreError> {
        let Some(seg) = self.segment_at(pos) else {
            return Ok(Item::NoSegment);
        };
        let remaining = seg.end() - pos;
        if remaining < FILLER_LEN {
            return Ok(Item::Tail { next: seg.end() });
        }
        let mut head = [0u8; FILLER_LEN as usize];
        seg.file
            .read_into(pos - seg.base, &mut head)
            .map_err(|e| StoreError::io(format!("read commit log at {pos}"), e))?;
        let size = u64::from(read_u32(&head, 0));
        Ok(match read_u32(&head, 4) {
            BLANK_MAGIC if size == remaining => Item::Filler { next: seg.end() },
            BLANK_MAGIC => Item::Invalid("malformed blank filler"),
            RECORD_MAGIC if size < RECORD_LEN_MIN as u64 => Item::Invalid("record size too small"),
            RECORD_MAGIC if size > remaining => Item::Invalid("record crosses the segment end"),
            RECORD_MAGIC => Item::Record { size },
            0 if size == 0 => Item::Invalid("zeros"),
            _ => Item::Invalid("unknown magic"),
        })
    }

    /// The `size` bytes at `pos` (zero-copy with mmap); `None` when no segment holds them.
    pub(crate) fn bytes_at(&self, pos: u64, size: u64) -> Result<Option<Bytes>, StoreError> {
        let Some(seg) = self.segment_at(pos) else {
            return Ok(None);
        };
        let len = usize::try_from(size).map_err(|_| StoreError::corrupted("record size"))?;
        seg.file
            .clone()
            .slice(pos - seg.base, len)
            .map(Some)
            .map_err(|e| StoreError::io(format!("read {size} bytes of the commit log at {pos}"), e))
    }

    /// Reads 8 big-endian bytes at `pos` (a record field), if a segment holds them.
    pub(crate) fn read_u64_at(&self, pos: u64) -> Option<u64> {
        let seg = self.segment_at(pos)?;
        let mut buf = [0u8; 8];
        seg.file.read_into(pos - seg.base, &mut buf).ok()?;
        Some(u64::from_be_bytes(buf))
    }

    /// Makes everything below `target` durable and publishes the new flushed end.
    pub(crate) fn flush_to(&self, target: u64) -> std::io::Result<u64> {
        let _flushing = lock(&self.flush_lock);
        let from = self.flushed();
        if target <= from {
            return Ok(from);
        }
        let covered: Vec<Arc<LogSegment>> = read_lock(&self.segments)
            .values()
            .filter(|s| s.end() > from && s.base < target)
            .cloned()
            .collect();
        for seg in covered {
            let lo = from.max(seg.base);
            let hi = target.min(seg.end());
            seg.file.flush(lo - seg.base, hi - lo)?;
        }
        self.flushed.store(target, Ordering::Release);
        Ok(target)
    }
}

/// Validates the record in `bytes`, read at commit-log position `pos`: `parse_record` plus
/// "its length is what the header said" and "its commit_log_offset field is its position".
pub(crate) fn check_record(bytes: &[u8], pos: u64) -> Result<RecordView<'_>, String> {
    let view = parse_record(bytes).map_err(|e| format!("record at {pos}: {e}"))?;
    if view.len() != bytes.len() {
        return Err(format!("record at {pos}: length differs from its header"));
    }
    if view.commit_log_offset() != pos {
        return Err(format!(
            "record at {pos}: its commit_log_offset field says {}",
            view.commit_log_offset()
        ));
    }
    Ok(view)
}

/// The file name of a segment or consume-queue file: its offset in 20 decimal digits.
pub(crate) fn file_name(offset: u64) -> String {
    format!("{offset:020}")
}

/// The offset in a file name of 20 decimal digits.
pub(crate) fn parse_file_name(path: &Path) -> Option<u64> {
    let name = path.file_name()?.to_str()?;
    if name.len() != 20 || !name.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    name.parse().ok()
}
