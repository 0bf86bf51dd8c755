//! Opening a consume queue after a restart: find its last entry, drop entries that are torn
//! or past the checkpoint, and work out its bounds.
//!
//! Entries are written densely and in order, so the last written entry is found by a binary
//! search for the first all-zero entry of the last file. From there the loader walks back:
//! all-zero entries are skipped, empty (torn) entries and entries at or past
//! `consume_queue_safe` are dropped, an entry pointing below the commit log's min offset is
//! kept unchecked (its record was deleted by retention), and any other entry is kept only if
//! the record it points at exists with that size, topic, queue id and queue offset. The first
//! kept entry ends the walk; everything after it is zeroed, and re-dispatching the commit log
//! from `consume_queue_safe` writes the dropped entries again.

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;

use crate::store::commit_log::parse_file_name;
use crate::store::consume_queue::{
    CHUNK_ENTRIES, ConsumeQueue, ENTRY_LEN, Entry, QueueState, read_range,
};
use crate::store::error::StoreError;
use crate::store::segment::{Segment, Storage};

/// Files of one queue by the index of their first entry.
type Files = BTreeMap<u64, Arc<dyn Segment>>;

/// How the loader judges entries.
pub(crate) struct LoadRules<'a> {
    /// Entries pointing at or past this commit-log offset are dropped.
    pub(crate) safe: u64,
    /// Entries pointing below this commit-log offset are kept unchecked.
    pub(crate) commit_log_min: u64,
    /// Whether entry `(topic, queue_id, index, entry)` matches its record.
    pub(crate) check: &'a dyn Fn(&str, u32, u64, Entry) -> bool,
}

/// Where the walk back ends.
enum Verdict {
    Skip,
    Drop,
    Keep,
}

impl ConsumeQueue {
    /// Opens the queue in `dir`, repairing its tail; returns it and the entries dropped.
    pub(crate) fn load(
        topic: &str,
        queue_id: u32,
        dir: &Path,
        entries_per_file: u64,
        storage: Arc<dyn Storage>,
        rules: &LoadRules<'_>,
    ) -> Result<(ConsumeQueue, u64), StoreError> {
        let io = |e| StoreError::io(format!("recover consume queue {}", dir.display()), e);
        let mut files = open_files(dir, storage.as_ref(), entries_per_file)?;
        let (Some(first_base), Some((&last_base, last))) =
            (files.keys().next().copied(), files.iter().next_back())
        else {
            let queue = ConsumeQueue::new(
                topic,
                queue_id,
                dir,
                entries_per_file,
                storage,
                QueueState::default(),
            );
            return Ok((queue, 0));
        };
        let end = dense_end(last.as_ref(), last_base, entries_per_file).map_err(io)?;
        let walk = Walk {
            files: &files,
            entries_per_file,
            topic,
            queue_id,
            rules,
        };
        let (kept_end, dropped) = walk.back(first_base, end)?;
        let kept_end = kept_end.unwrap_or(first_base);
        // Files from `kept_end` on hold no kept entry and are removed; zero the rest of the
        // file that holds the last kept entry.
        let zero_to = end.min(kept_end.div_ceil(entries_per_file) * entries_per_file);
        zero_range(&files, entries_per_file, kept_end, zero_to).map_err(io)?;
        let doomed: Vec<u64> = files.range(kept_end..).map(|(b, _)| *b).collect();
        for base in doomed {
            files.remove(&base);
            let path = dir.join(crate::store::commit_log::file_name(base * ENTRY_LEN));
            storage.remove(&path).map_err(io)?;
        }
        let state = if files.is_empty() {
            QueueState::default()
        } else {
            let min =
                first_non_empty(&files, entries_per_file, first_base, kept_end).map_err(io)?;
            QueueState {
                files,
                min: min.unwrap_or(kept_end),
                max: kept_end,
                flushed: kept_end,
            }
        };
        let queue = ConsumeQueue::new(topic, queue_id, dir, entries_per_file, storage, state);
        Ok((queue, dropped))
    }
}

/// The walk back from the end of a queue.
struct Walk<'a> {
    files: &'a Files,
    entries_per_file: u64,
    topic: &'a str,
    queue_id: u32,
    rules: &'a LoadRules<'a>,
}

impl Walk<'_> {
    /// Returns one past the last kept entry (`None` if none is kept) and the entries dropped.
    fn back(&self, first_base: u64, end: u64) -> Result<(Option<u64>, u64), StoreError> {
        let epf = self.entries_per_file;
        let mut index = end;
        let mut dropped = 0;
        while index > first_base {
            let base = (index - 1) - (index - 1) % epf;
            if !self.files.contains_key(&base) {
                // A gap between files holds no entries: jump to the previous file's end.
                match self.files.range(..base).next_back() {
                    Some((prev, _)) => index = prev + epf,
                    None => break,
                }
                continue;
            }
            let lo = base.max(index.saturating_sub(CHUNK_ENTRIES));
            let chunk = read_range(self.files, epf, lo, index)
                .map_err(|e| StoreError::io("read a consume queue during recovery", e))?;
            for (i, entry) in chunk.iter().enumerate().rev() {
                let at = lo + i as u64;
                match self.verdict(at, *entry) {
                    Verdict::Skip => {}
                    Verdict::Drop => dropped += 1,
                    Verdict::Keep => return Ok((Some(at + 1), dropped)),
                }
            }
            index = lo;
        }
        Ok((None, dropped))
    }

    fn verdict(&self, index: u64, entry: Entry) -> Verdict {
        if entry.is_zero() {
            return Verdict::Skip;
        }
        if entry.is_empty() || entry.commit_log_offset >= self.rules.safe {
            return Verdict::Drop;
        }
        if entry.commit_log_offset < self.rules.commit_log_min {
            return Verdict::Keep;
        }
        if (self.rules.check)(self.topic, self.queue_id, index, entry) {
            Verdict::Keep
        } else {
            Verdict::Drop
        }
    }
}

/// Opens the files of a queue; each must be named by a multiple of the file length and have it.
fn open_files(
    dir: &Path,
    storage: &dyn Storage,
    entries_per_file: u64,
) -> Result<Files, StoreError> {
    let file_len = entries_per_file * ENTRY_LEN;
    let mut files = Files::new();
    let paths = storage
        .list(dir)
        .map_err(|e| StoreError::io(format!("list {}", dir.display()), e))?;
    for path in paths {
        let Some(offset) = parse_file_name(&path) else {
            tracing::warn!(path = %path.display(), "ignoring a foreign file in a consume queue");
            continue;
        };
        let file = storage
            .open_segment(&path)
            .map_err(|e| StoreError::io(format!("open {}", path.display()), e))?;
        if offset % file_len != 0 || file.len() != file_len {
            return Err(StoreError::corrupted(format!(
                "consume-queue file {} does not match consume_queue_entries_per_file = \
                 {entries_per_file} (was the setting changed?)",
                path.display()
            )));
        }
        files.insert(offset / ENTRY_LEN, file);
    }
    Ok(files)
}

/// One past the last non-zero entry of the dense run in `file` (absolute index); `base` when
/// the file holds no non-zero entry.
fn dense_end(file: &dyn Segment, base: u64, entries_per_file: u64) -> std::io::Result<u64> {
    let Some(first) = scan_file(file, 0, entries_per_file, |e| !e.is_zero())? else {
        return Ok(base);
    };
    // Invariant: entry `lo` is non-zero; entry `hi` is zero or `hi` is the end of the file.
    let (mut lo, mut hi) = (first, entries_per_file);
    while hi - lo > 1 {
        let mid = lo + (hi - lo) / 2;
        if entry_at(file, mid)?.is_zero() {
            hi = mid;
        } else {
            lo = mid;
        }
    }
    Ok(base + hi)
}

/// The first index in `[from, to)` of the file (relative) whose entry satisfies `wanted`.
fn scan_file(
    file: &dyn Segment,
    from: u64,
    to: u64,
    wanted: impl Fn(&Entry) -> bool,
) -> std::io::Result<Option<u64>> {
    let mut buf = Vec::new();
    let mut index = from;
    while index < to {
        let count = CHUNK_ENTRIES.min(to - index);
        buf.resize(usize::try_from(count * ENTRY_LEN).unwrap_or(0), 0);
        file.read_into(index * ENTRY_LEN, &mut buf)?;
        let chunk = buf.chunks_exact(ENTRY_LEN as usize).map(Entry::decode);
        if let Some(i) = chunk.into_iter().position(|e| wanted(&e)) {
            return Ok(Some(index + i as u64));
        }
        index += count;
    }
    Ok(None)
}

fn entry_at(file: &dyn Segment, index: u64) -> std::io::Result<Entry> {
    let mut buf = [0u8; ENTRY_LEN as usize];
    file.read_into(index * ENTRY_LEN, &mut buf)?;
    Ok(Entry::decode(&buf))
}

/// The first non-empty entry in `[from, to)` across the files.
fn first_non_empty(files: &Files, epf: u64, from: u64, to: u64) -> std::io::Result<Option<u64>> {
    for (base, file) in files.range(..to) {
        let lo = from.max(*base) - base;
        let hi = to.min(base + epf) - base;
        if lo >= hi {
            continue;
        }
        if let Some(i) = scan_file(file.as_ref(), lo, hi, |e| !e.is_empty())? {
            return Ok(Some(base + i));
        }
    }
    Ok(None)
}

/// Zeroes entries `[from, to)` in the files that exist, and makes the zeros durable.
fn zero_range(files: &Files, epf: u64, from: u64, to: u64) -> std::io::Result<()> {
    if from >= to {
        return Ok(());
    }
    let zeros = vec![0u8; usize::try_from(CHUNK_ENTRIES * ENTRY_LEN).unwrap_or(0)];
    for (base, file) in files.range(..to) {
        let lo = from.max(*base) - base;
        let hi = to.min(base + epf) - base;
        let mut at = lo;
        while at < hi {
            let count = CHUNK_ENTRIES.min(hi - at);
            let len = usize::try_from(count * ENTRY_LEN).unwrap_or(0);
            file.write(at * ENTRY_LEN, &zeros[..len])?;
            at += count;
        }
        if lo < hi {
            file.flush(lo * ENTRY_LEN, (hi - lo) * ENTRY_LEN)?;
        }
    }
    Ok(())
}
