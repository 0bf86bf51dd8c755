//! The message index: `{data_dir}/index/{first commit-log offset}` files (`index_file`) over
//! `topic#key` for every key of a record and `#MSGID` (the producer's unique id in hex, with
//! no topic: ids are unique across topics, so a lookup by id needs no topic).
//!
//! The dispatcher adds every record it dispatches (`Inner::index_record`) unless it is a
//! transaction's half message; recovery re-dispatches, and the index skips what it already
//! holds (`indexed_end`). Files roll when full (`index_entry_count` entries) and are deleted
//! by retention once every record they point at is gone. Lookups walk files newest first and
//! return candidate offsets; callers read each record and check it, so a hash collision
//! never shows.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard};

use ferrocket::protocol::record::{
    RecordView, SYS_FLAG_TRANSACTION_MASK, SYS_FLAG_TRANSACTION_PREPARED,
};

use crate::store::commit_log::{file_name, parse_file_name};
use crate::store::error::StoreError;
use crate::store::index_file::IndexFile;
use crate::store::segment::Storage;

/// 64-bit FNV-1a over several byte strings, as if concatenated.
pub fn key_hash(parts: &[&[u8]]) -> u64 {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for part in parts {
        for b in *part {
            hash = (hash ^ u64::from(*b)).wrapping_mul(0x0000_0100_0000_01b3);
        }
    }
    hash
}

/// The index hash of a user key of `topic`.
pub fn topic_key_hash(topic: &str, key: &str) -> u64 {
    key_hash(&[topic.as_bytes(), b"#", key.as_bytes()])
}

/// The index hash of a unique message id (32 upper-case hex characters).
pub fn unique_key_hash(msg_id_hex: &str) -> u64 {
    key_hash(&[b"#", msg_id_hex.as_bytes()])
}

/// Every index file, oldest first.
#[derive(Debug)]
pub(crate) struct Index {
    dir: PathBuf,
    storage: Arc<dyn Storage>,
    slot_count: u32,
    entry_capacity: u32,
    files: Mutex<Vec<IndexFile>>,
}

impl Index {
    /// Opens the index in `dir`, dropping what points at or past `commit_log_end`; after an
    /// unclean stop every file's slots are rebuilt from its durable entries.
    pub(crate) fn open(
        dir: &Path,
        storage: Arc<dyn Storage>,
        (slot_count, entry_capacity): (u32, u32),
        commit_log_end: u64,
        clean_shutdown: bool,
    ) -> Result<Index, StoreError> {
        let listed = storage
            .list(dir)
            .map_err(|e| StoreError::io(format!("list {}", dir.display()), e))?;
        let mut files = Vec::new();
        let count = listed.len();
        for (i, path) in listed.into_iter().enumerate() {
            let Some(base) = parse_file_name(&path) else {
                continue;
            };
            let remove = |why: &str| {
                tracing::warn!(path = %path.display(), why, "removing an index file");
                storage
                    .remove(&path)
                    .map_err(|e| StoreError::io(format!("remove {}", path.display()), e))
            };
            if base >= commit_log_end {
                remove("it starts past the end of the commit log")?;
                continue;
            }
            match IndexFile::open(storage.as_ref(), path.clone())? {
                Some(mut file) => {
                    // Only the newest file can have slots past its durable entries.
                    let last = i + 1 == count;
                    if (last && !clean_shutdown) || file.header.end_offset > commit_log_end {
                        file.truncate_and_rebuild(commit_log_end)?;
                    }
                    files.push(file);
                }
                None => remove("its header is not valid (never flushed)")?,
            }
        }
        Ok(Index {
            dir: dir.to_path_buf(),
            storage,
            slot_count,
            entry_capacity,
            files: Mutex::new(files),
        })
    }

    fn lock(&self) -> MutexGuard<'_, Vec<IndexFile>> {
        crate::store::lock(&self.files)
    }

    /// Every record below this commit-log offset is indexed.
    pub(crate) fn indexed_end(&self) -> u64 {
        self.lock().last().map_or(0, |f| f.header.end_offset)
    }

    /// Indexes the record at `pos` (its keys and unique id) unless it is a half message.
    pub(crate) fn add(&self, view: &RecordView<'_>, pos: u64) -> Result<(), StoreError> {
        let end = pos + view.len() as u64;
        let mut hashes: Vec<u64> = Vec::new();
        if view.sys_flag() & SYS_FLAG_TRANSACTION_MASK != SYS_FLAG_TRANSACTION_PREPARED {
            hashes.push(unique_key_hash(&view.msg_id().to_string()));
            hashes.extend(view.keys().map(|k| topic_key_hash(view.topic, k)));
        }
        let mut files = self.lock();
        for hash in hashes {
            if files.last().is_none_or(IndexFile::is_full) {
                let path = self.dir.join(file_name(pos));
                let file = IndexFile::create(
                    self.storage.as_ref(),
                    path,
                    self.slot_count,
                    self.entry_capacity,
                    pos,
                )?;
                files.push(file);
            }
            let file = files.last_mut().expect("a file was just ensured");
            file.put(hash, pos, view.store_timestamp_ms())?;
        }
        if let Some(last) = files.last_mut() {
            last.advance(end);
        }
        Ok(())
    }

    /// Candidate commit-log offsets for `hash` stored within `[begin_ms, end_ms]`, newest
    /// first, at most `max`.
    pub(crate) fn lookup(
        &self,
        hash: u64,
        range: (u64, u64),
        max: usize,
    ) -> Result<Vec<u64>, StoreError> {
        let files = self.lock();
        let mut out = Vec::new();
        for file in files.iter().rev() {
            if out.len() >= max {
                break;
            }
            let h = &file.header;
            if h.entry_count == 0
                || h.end_timestamp_ms < range.0
                || h.begin_timestamp_ms > range.1.saturating_add(999)
            {
                continue;
            }
            file.lookup(hash, range, max, &mut out)?;
        }
        Ok(out)
    }

    /// Makes every file durable (entries, then the header counting them).
    pub(crate) fn flush(&self) -> Result<(), StoreError> {
        for file in self.lock().iter_mut() {
            file.flush()?;
        }
        Ok(())
    }

    /// Deletes the files (never the last) whose records all lie below `commit_log_min`.
    pub(crate) fn clean_below(&self, commit_log_min: u64) -> Result<(), StoreError> {
        let mut files = self.lock();
        while files.len() > 1 && files[0].header.end_offset <= commit_log_min {
            let file = files.remove(0);
            self.storage
                .remove(&file.path)
                .map_err(|e| StoreError::io(format!("remove {}", file.path.display()), e))?;
            tracing::info!(path = %file.path.display(), "deleted an index file");
        }
        Ok(())
    }

    /// Bytes of all index files.
    pub(crate) fn total_bytes(&self) -> u64 {
        let len = IndexFile::file_len(self.slot_count, self.entry_capacity);
        self.lock().len() as u64 * len
    }
}

impl crate::store::Store {
    /// Candidate commit-log offsets of records indexed under `hash` (`topic_key_hash` or
    /// `unique_key_hash`) stored within `[begin_ms, end_ms]`, newest first, at most `max`.
    /// Callers read each record and check it.
    pub fn index_lookup(
        &self,
        hash: u64,
        range: (u64, u64),
        max: usize,
    ) -> Result<Vec<u64>, StoreError> {
        self.inner().index.lookup(hash, range, max)
    }
}

impl crate::store::engine::Inner {
    /// Indexes the records in `[from, to)` without dispatching them (recovery, when the index
    /// lost files the consume queues still cover).
    pub(crate) fn reindex(&self, from: u64, to: u64) -> Result<(), StoreError> {
        use crate::store::commit_log::{Item, check_record};
        let mut pos = from.max(self.commit_log.min_offset());
        while pos < to {
            match self.commit_log.item_at(pos)? {
                Item::Record { size } => {
                    if let Some(bytes) = self.commit_log.bytes_at(pos, size)?
                        && let Ok(view) = check_record(&bytes, pos)
                    {
                        self.index.add(&view, pos)?;
                    }
                    pos += size;
                }
                Item::Filler { next } | Item::Tail { next } => pos = next,
                Item::NoSegment | Item::Invalid(_) => return Ok(()),
            }
        }
        Ok(())
    }
}
