//! One index file: a hash table of key hashes to commit-log offsets, RocketMQ's IndexFile
//! layout with 64-bit hashes and millisecond times (`spec/storage.md` §11).
//!
//! ```text
//! header  64 bytes: magic u32 · version u16 · reserved u16 · slot_count u32 ·
//!                   entry_capacity u32 · entry_count u32 · reserved u32 ·
//!                   begin_timestamp_ms u64 · end_timestamp_ms u64 ·
//!                   begin_commit_log_offset u64 · end_commit_log_offset u64 ·
//!                   crc32 of [0, 56) u32 · reserved u32
//! slots   slot_count × u32: the newest entry number whose hash falls in the slot (0 = none)
//! entries entry_capacity × 24 bytes, entry n (from 1) at slot end + (n − 1) × 24:
//!         key_hash u64 · commit_log_offset u64 · time_offset_s u32 · prev_entry u32
//! ```
//!
//! Entries are appended in commit-log order. The header is written only by `flush`, after the
//! slots and entries it counts are durable, so a durable header never claims an entry that is
//! not. A file opened after an unclean stop trusts only the header's entries and rebuilds its
//! slots and chains from them.

use std::path::PathBuf;
use std::sync::Arc;

use crate::store::error::StoreError;
use crate::store::segment::{Segment, Storage};

/// Magic of an index file header.
pub(crate) const INDEX_MAGIC: u32 = 0xF3C0_1D01;
/// Bytes of the header.
pub(crate) const HEADER_LEN: u64 = 64;
/// Bytes of one entry.
pub(crate) const ENTRY_LEN: u64 = 24;

/// The header fields kept in memory.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct Header {
    pub(crate) slot_count: u32,
    pub(crate) entry_capacity: u32,
    pub(crate) entry_count: u32,
    pub(crate) begin_timestamp_ms: u64,
    pub(crate) end_timestamp_ms: u64,
    pub(crate) begin_offset: u64,
    pub(crate) end_offset: u64,
}

impl Header {
    fn encode(&self) -> [u8; HEADER_LEN as usize] {
        let mut h = [0u8; HEADER_LEN as usize];
        h[0..4].copy_from_slice(&INDEX_MAGIC.to_be_bytes());
        h[4..6].copy_from_slice(&1u16.to_be_bytes());
        h[8..12].copy_from_slice(&self.slot_count.to_be_bytes());
        h[12..16].copy_from_slice(&self.entry_capacity.to_be_bytes());
        h[16..20].copy_from_slice(&self.entry_count.to_be_bytes());
        h[24..32].copy_from_slice(&self.begin_timestamp_ms.to_be_bytes());
        h[32..40].copy_from_slice(&self.end_timestamp_ms.to_be_bytes());
        h[40..48].copy_from_slice(&self.begin_offset.to_be_bytes());
        h[48..56].copy_from_slice(&self.end_offset.to_be_bytes());
        let crc = crc32fast::hash(&h[..56]);
        h[56..60].copy_from_slice(&crc.to_be_bytes());
        h
    }

    fn decode(h: &[u8; HEADER_LEN as usize]) -> Option<Header> {
        let u32_at = |at: usize| u32::from_be_bytes([h[at], h[at + 1], h[at + 2], h[at + 3]]);
        let u64_at = |at: usize| (u64::from(u32_at(at)) << 32) | u64::from(u32_at(at + 4));
        let valid = u32_at(0) == INDEX_MAGIC
            && h[4..6] == 1u16.to_be_bytes()
            && u32_at(56) == crc32fast::hash(&h[..56]);
        let header = Header {
            slot_count: u32_at(8),
            entry_capacity: u32_at(12),
            entry_count: u32_at(16),
            begin_timestamp_ms: u64_at(24),
            end_timestamp_ms: u64_at(32),
            begin_offset: u64_at(40),
            end_offset: u64_at(48),
        };
        (valid && header.slot_count > 0 && header.entry_count <= header.entry_capacity)
            .then_some(header)
    }
}

/// One entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct IndexEntry {
    pub(crate) key_hash: u64,
    pub(crate) commit_log_offset: u64,
    pub(crate) time_offset_s: u32,
    pub(crate) prev: u32,
}

/// One open index file.
#[derive(Debug)]
pub(crate) struct IndexFile {
    pub(crate) path: PathBuf,
    segment: Arc<dyn Segment>,
    /// The live header (the one on disk is the last flushed).
    pub(crate) header: Header,
    /// Entries up to this count are durable with the header on disk.
    pub(crate) flushed_count: u32,
}

impl IndexFile {
    /// File length for the given sizes.
    pub(crate) fn file_len(slot_count: u32, entry_capacity: u32) -> u64 {
        HEADER_LEN + 4 * u64::from(slot_count) + ENTRY_LEN * u64::from(entry_capacity)
    }

    /// Creates an empty file whose first record is at `begin_offset`.
    pub(crate) fn create(
        storage: &dyn Storage,
        path: PathBuf,
        slot_count: u32,
        entry_capacity: u32,
        begin_offset: u64,
    ) -> Result<IndexFile, StoreError> {
        let len = IndexFile::file_len(slot_count, entry_capacity);
        let segment = storage
            .create_segment(&path, len)
            .map_err(|e| StoreError::io(format!("create {}", path.display()), e))?;
        let header = Header {
            slot_count,
            entry_capacity,
            begin_offset,
            end_offset: begin_offset,
            ..Header::default()
        };
        Ok(IndexFile {
            path,
            segment,
            header,
            flushed_count: 0,
        })
    }

    /// Opens a file; `None` when its header is not valid (never flushed, or corrupt).
    pub(crate) fn open(
        storage: &dyn Storage,
        path: PathBuf,
    ) -> Result<Option<IndexFile>, StoreError> {
        let segment = storage
            .open_segment(&path)
            .map_err(|e| StoreError::io(format!("open {}", path.display()), e))?;
        let mut raw = [0u8; HEADER_LEN as usize];
        if segment.len() < HEADER_LEN || segment.read_into(0, &mut raw).is_err() {
            return Ok(None);
        }
        let Some(header) = Header::decode(&raw) else {
            return Ok(None);
        };
        if segment.len() != IndexFile::file_len(header.slot_count, header.entry_capacity) {
            return Ok(None);
        }
        let flushed_count = header.entry_count;
        Ok(Some(IndexFile {
            path,
            segment,
            header,
            flushed_count,
        }))
    }

    fn io(&self, e: std::io::Error) -> StoreError {
        StoreError::io(format!("index file {}", self.path.display()), e)
    }

    fn slot_at(&self, hash: u64) -> u64 {
        HEADER_LEN + 4 * (hash % u64::from(self.header.slot_count))
    }

    fn entry_at(&self, n: u32) -> u64 {
        HEADER_LEN + 4 * u64::from(self.header.slot_count) + ENTRY_LEN * u64::from(n - 1)
    }

    pub(crate) fn is_full(&self) -> bool {
        self.header.entry_count >= self.header.entry_capacity
    }

    fn read_slot(&self, hash: u64) -> Result<u32, StoreError> {
        let mut raw = [0u8; 4];
        self.segment
            .read_into(self.slot_at(hash), &mut raw)
            .map_err(|e| self.io(e))?;
        Ok(u32::from_be_bytes(raw))
    }

    pub(crate) fn read_entry(&self, n: u32) -> Result<IndexEntry, StoreError> {
        let mut raw = [0u8; ENTRY_LEN as usize];
        self.segment
            .read_into(self.entry_at(n), &mut raw)
            .map_err(|e| self.io(e))?;
        let mut word = [0u8; 8];
        word.copy_from_slice(&raw[0..8]);
        let key_hash = u64::from_be_bytes(word);
        word.copy_from_slice(&raw[8..16]);
        let commit_log_offset = u64::from_be_bytes(word);
        let time_offset_s = u32::from_be_bytes([raw[16], raw[17], raw[18], raw[19]]);
        let prev = u32::from_be_bytes([raw[20], raw[21], raw[22], raw[23]]);
        Ok(IndexEntry {
            key_hash,
            commit_log_offset,
            time_offset_s,
            prev,
        })
    }

    /// Appends an entry (the caller checked `is_full`) and points its slot at it.
    pub(crate) fn put(
        &mut self,
        key_hash: u64,
        commit_log_offset: u64,
        store_ms: u64,
    ) -> Result<(), StoreError> {
        assert!(!self.is_full(), "put into a full index file");
        if self.header.entry_count == 0 {
            self.header.begin_timestamp_ms = store_ms;
        }
        let prev = self.read_slot(key_hash)?;
        let n = self.header.entry_count + 1;
        let delta = store_ms.saturating_sub(self.header.begin_timestamp_ms) / 1000;
        let time_offset_s = u32::try_from(delta).unwrap_or(u32::MAX);
        let mut raw = [0u8; ENTRY_LEN as usize];
        raw[0..8].copy_from_slice(&key_hash.to_be_bytes());
        raw[8..16].copy_from_slice(&commit_log_offset.to_be_bytes());
        raw[16..20].copy_from_slice(&time_offset_s.to_be_bytes());
        raw[20..24].copy_from_slice(&prev.to_be_bytes());
        self.segment
            .write(self.entry_at(n), &raw)
            .map_err(|e| self.io(e))?;
        self.segment
            .write(self.slot_at(key_hash), &n.to_be_bytes())
            .map_err(|e| self.io(e))?;
        self.header.entry_count = n;
        self.header.end_timestamp_ms = self.header.end_timestamp_ms.max(store_ms);
        Ok(())
    }

    /// Records that the records below `end_offset` are indexed in this file.
    pub(crate) fn advance(&mut self, end_offset: u64) {
        self.header.end_offset = self.header.end_offset.max(end_offset);
    }

    /// Commit-log offsets of the entries with `key_hash` stored within `[begin_ms, end_ms]`
    /// (seconds precision here; callers check exactly), newest first, at most `max`.
    pub(crate) fn lookup(
        &self,
        key_hash: u64,
        (begin_ms, end_ms): (u64, u64),
        max: usize,
        out: &mut Vec<u64>,
    ) -> Result<(), StoreError> {
        let mut n = self.read_slot(key_hash)?;
        let mut steps = 0u32;
        while n != 0 && n <= self.header.entry_count && out.len() < max {
            let entry = self.read_entry(n)?;
            let stored_s = self.header.begin_timestamp_ms / 1000 + u64::from(entry.time_offset_s);
            if stored_s + 1 < begin_ms / 1000 {
                return Ok(());
            }
            if entry.key_hash == key_hash && stored_s <= end_ms / 1000 {
                out.push(entry.commit_log_offset);
            }
            // Chains only point back; a corrupt one cannot loop past the entry count.
            steps += 1;
            if entry.prev >= n || steps > self.header.entry_count {
                return Ok(());
            }
            n = entry.prev;
        }
        Ok(())
    }

    /// Drops entries pointing at or past `end` (a truncated commit log) and rebuilds the
    /// slots and chains from the remaining entries. Returns the entries dropped.
    pub(crate) fn truncate_and_rebuild(&mut self, end: u64) -> Result<u32, StoreError> {
        let mut count = self.header.entry_count;
        while count > 0 && self.read_entry(count)?.commit_log_offset >= end {
            count -= 1;
        }
        let dropped = self.header.entry_count - count;
        let slots_len = 4 * u64::from(self.header.slot_count);
        let zeros = vec![0u8; 64 * 1024];
        let mut at = 0;
        while at < slots_len {
            let n = (slots_len - at).min(zeros.len() as u64);
            self.segment
                .write(HEADER_LEN + at, &zeros[..n as usize])
                .map_err(|e| self.io(e))?;
            at += n;
        }
        let (begin, end_ts) = (self.header.begin_timestamp_ms, self.header.end_timestamp_ms);
        let entries: Vec<IndexEntry> = (1..=count)
            .map(|n| self.read_entry(n))
            .collect::<Result<_, _>>()?;
        self.header.entry_count = 0;
        for e in entries {
            let store_ms = begin + u64::from(e.time_offset_s) * 1000;
            self.put(e.key_hash, e.commit_log_offset, store_ms)?;
        }
        self.header.begin_timestamp_ms = begin;
        self.header.end_timestamp_ms = end_ts;
        self.header.end_offset = self.header.end_offset.min(end);
        Ok(dropped)
    }

    /// Makes the entries and slots durable, then writes and syncs the header counting them.
    pub(crate) fn flush(&mut self) -> Result<(), StoreError> {
        let snapshot = self.header;
        if snapshot.entry_count == self.flushed_count && self.flushed_count != 0 {
            return Ok(());
        }
        let len = self.segment.len();
        self.segment
            .flush(HEADER_LEN, len - HEADER_LEN)
            .map_err(|e| self.io(e))?;
        self.segment
            .write(0, &snapshot.encode())
            .map_err(|e| self.io(e))?;
        self.segment.flush(0, HEADER_LEN).map_err(|e| self.io(e))?;
        self.flushed_count = snapshot.entry_count;
        Ok(())
    }
}
