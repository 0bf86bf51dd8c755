//! Committed consumer offsets per group, topic and queue, saved to
//! `{data_dir}/config/consumer_offsets.toml` every `offset_flush_interval_ms` and at shutdown
//! (temporary file, fsync, rename). Each offset keeps the time it last moved forward, for
//! `DescribeGroups` ("last consume time").

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};

use serde::{Deserialize, Serialize};

use crate::store::atomic_file;

#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct OffsetRecord {
    group: String,
    topic: String,
    queue_id: u32,
    offset: u64,
    #[serde(default)]
    last_commit_ms: u64,
}

#[derive(Debug, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct OffsetFile {
    #[serde(default)]
    offsets: Vec<OffsetRecord>,
}

type Key = (String, String, u32);

/// One committed offset and when it last moved forward.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OffsetEntry {
    /// The committed offset.
    pub offset: u64,
    /// When a commit last moved it forward, ms since the epoch (0 = not since it was set).
    pub last_commit_ms: u64,
}

/// The offset table.
#[derive(Debug)]
pub struct ConsumerOffsets {
    path: PathBuf,
    table: Mutex<BTreeMap<Key, OffsetEntry>>,
    dirty: AtomicBool,
    persist_lock: Mutex<()>,
}

impl ConsumerOffsets {
    /// Loads the table from `config_dir/consumer_offsets.toml` (empty when missing).
    pub fn load(config_dir: PathBuf) -> Result<ConsumerOffsets, String> {
        let path = config_dir.join("consumer_offsets.toml");
        let file: OffsetFile = match std::fs::read_to_string(&path) {
            Ok(text) => toml::from_str(&text).map_err(|e| format!("{}: {e}", path.display()))?,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => OffsetFile::default(),
            Err(e) => return Err(format!("{}: {e}", path.display())),
        };
        let table = file
            .offsets
            .into_iter()
            .map(|r| {
                let entry = OffsetEntry {
                    offset: r.offset,
                    last_commit_ms: r.last_commit_ms,
                };
                ((r.group, r.topic, r.queue_id), entry)
            })
            .collect();
        Ok(ConsumerOffsets {
            path,
            table: Mutex::new(table),
            dirty: AtomicBool::new(false),
            persist_lock: Mutex::new(()),
        })
    }

    /// The group's committed offset of a queue.
    pub fn query(&self, group: &str, topic: &str, queue_id: u32) -> Option<u64> {
        self.entry(group, topic, queue_id).map(|e| e.offset)
    }

    /// The group's committed offset of a queue with the time it last moved forward.
    pub fn entry(&self, group: &str, topic: &str, queue_id: u32) -> Option<OffsetEntry> {
        self.lock()
            .get(&(group.to_owned(), topic.to_owned(), queue_id))
            .copied()
    }

    /// Commits the group's offset of a queue (a consumer's commit: a move forward records the
    /// time).
    pub fn commit(&self, group: &str, topic: &str, queue_id: u32, offset: u64) {
        let now = now_ms();
        let mut table = self.lock();
        let entry = table
            .entry((group.to_owned(), topic.to_owned(), queue_id))
            .or_insert(OffsetEntry {
                offset,
                last_commit_ms: now,
            });
        if offset > entry.offset {
            entry.last_commit_ms = now;
        }
        entry.offset = offset;
        drop(table);
        self.dirty.store(true, Ordering::Release);
    }

    /// Sets the group's offset of a queue by an operator (a reset: the commit time stays).
    pub fn set(&self, group: &str, topic: &str, queue_id: u32, offset: u64) {
        self.lock()
            .entry((group.to_owned(), topic.to_owned(), queue_id))
            .or_insert(OffsetEntry {
                offset,
                last_commit_ms: 0,
            })
            .offset = offset;
        self.dirty.store(true, Ordering::Release);
    }

    /// Forgets every offset of a group.
    pub fn delete_group(&self, group: &str) {
        self.lock().retain(|(g, _, _), _| g != group);
        self.dirty.store(true, Ordering::Release);
    }

    /// The topics the group holds offsets of, sorted.
    pub fn topics_of(&self, group: &str) -> Vec<String> {
        let mut topics: Vec<String> = self
            .lock()
            .keys()
            .filter(|(g, _, _)| g == group)
            .map(|(_, t, _)| t.clone())
            .collect();
        topics.dedup();
        topics
    }

    /// Forgets every group's offsets of a topic.
    pub fn delete_topic(&self, topic: &str) {
        self.lock().retain(|(_, t, _), _| t != topic);
        self.dirty.store(true, Ordering::Release);
    }

    /// Every `(group, topic, queue_id, offset)`, sorted.
    pub fn all(&self) -> Vec<(String, String, u32, u64)> {
        self.lock()
            .iter()
            .map(|((g, t, q), e)| (g.clone(), t.clone(), *q, e.offset))
            .collect()
    }

    /// Entries in the table.
    pub fn len(&self) -> usize {
        self.lock().len()
    }

    /// Whether the table is empty.
    pub fn is_empty(&self) -> bool {
        self.lock().is_empty()
    }

    /// Up to `max` entries from index `start` of the sorted table.
    pub fn page(&self, start: usize, max: usize) -> Vec<(String, String, u32, u64)> {
        self.lock()
            .iter()
            .skip(start)
            .take(max)
            .map(|((g, t, q), e)| (g.clone(), t.clone(), *q, e.offset))
            .collect()
    }

    /// Makes the table exactly `entries` (a slave copying its master's offsets). The wire
    /// carries no commit times: an offset that moved forward since the last copy takes the
    /// copy's time, an unchanged one keeps its time.
    pub fn replace_all(&self, entries: Vec<(String, String, u32, u64)>) {
        let now = now_ms();
        let mut current = self.lock();
        let table: BTreeMap<Key, OffsetEntry> = entries
            .into_iter()
            .map(|(g, t, q, offset)| {
                let key = (g, t, q);
                let last_commit_ms = match current.get(&key) {
                    Some(old) if old.offset == offset => old.last_commit_ms,
                    Some(old) if old.offset > offset => 0,
                    _ => now,
                };
                let entry = OffsetEntry {
                    offset,
                    last_commit_ms,
                };
                (key, entry)
            })
            .collect();
        if *current != table {
            *current = table;
            self.dirty.store(true, Ordering::Release);
        }
    }

    /// Saves the table if it changed since the last save.
    pub fn persist(&self) -> std::io::Result<()> {
        let _serialized = self.persist_lock.lock().unwrap_or_else(|e| e.into_inner());
        if !self.dirty.swap(false, Ordering::AcqRel) {
            return Ok(());
        }
        let file = OffsetFile {
            offsets: self
                .lock()
                .iter()
                .map(|((group, topic, queue_id), e)| OffsetRecord {
                    group: group.clone(),
                    topic: topic.clone(),
                    queue_id: *queue_id,
                    offset: e.offset,
                    last_commit_ms: e.last_commit_ms,
                })
                .collect(),
        };
        let text = toml::to_string(&file).map_err(std::io::Error::other)?;
        let result = atomic_file::write(&self.path, text.as_bytes());
        if result.is_err() {
            self.dirty.store(true, Ordering::Release);
        }
        result
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, BTreeMap<Key, OffsetEntry>> {
        self.table.lock().unwrap_or_else(|e| e.into_inner())
    }
}

fn now_ms() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
}
