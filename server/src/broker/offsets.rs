//! Committed consumer offsets per group, topic and queue, saved to
//! `{data_dir}/config/consumer_offsets.toml` every `offset_flush_interval_ms` and at shutdown
//! (temporary file, fsync, rename).

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
}

#[derive(Debug, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct OffsetFile {
    #[serde(default)]
    offsets: Vec<OffsetRecord>,
}

type Key = (String, String, u32);

/// The offset table.
#[derive(Debug)]
pub struct ConsumerOffsets {
    path: PathBuf,
    table: Mutex<BTreeMap<Key, u64>>,
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
            .map(|r| ((r.group, r.topic, r.queue_id), r.offset))
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
        self.lock()
            .get(&(group.to_owned(), topic.to_owned(), queue_id))
            .copied()
    }

    /// Commits the group's offset of a queue.
    pub fn commit(&self, group: &str, topic: &str, queue_id: u32, offset: u64) {
        self.lock()
            .insert((group.to_owned(), topic.to_owned(), queue_id), offset);
        self.dirty.store(true, Ordering::Release);
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
            .map(|((g, t, q), o)| (g.clone(), t.clone(), *q, *o))
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
            .map(|((g, t, q), o)| (g.clone(), t.clone(), *q, *o))
            .collect()
    }

    /// Makes the table exactly `entries` (a slave copying its master's offsets).
    pub fn replace_all(&self, entries: Vec<(String, String, u32, u64)>) {
        let table: BTreeMap<Key, u64> = entries
            .into_iter()
            .map(|(g, t, q, o)| ((g, t, q), o))
            .collect();
        let mut current = self.lock();
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
                .all()
                .into_iter()
                .map(|(group, topic, queue_id, offset)| OffsetRecord {
                    group,
                    topic,
                    queue_id,
                    offset,
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

    fn lock(&self) -> std::sync::MutexGuard<'_, BTreeMap<Key, u64>> {
        self.table.lock().unwrap_or_else(|e| e.into_inner())
    }
}
