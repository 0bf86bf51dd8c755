//! `QueueTable`: every consume queue of the store by topic and queue id, with the operations
//! that span all of them (load at open, flush, retention cleanup, topic deletion, size).
//!
//! Queue objects are created on first use (an append, a dispatch or a `queue_notify`) without
//! files; a queue's first file is created when its first entry is dispatched.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, RwLock};

use crate::store::consume_queue::{ConsumeQueue, QueueState};
use crate::store::error::StoreError;
use crate::store::queue_recovery::LoadRules;
use crate::store::segment::Storage;
use crate::store::{read_lock, validate_topic, write_lock};

type Topics = HashMap<String, HashMap<u32, Arc<ConsumeQueue>>>;

/// Every consume queue, by topic then queue id.
#[derive(Debug)]
pub(crate) struct QueueTable {
    root: PathBuf,
    storage: Arc<dyn Storage>,
    entries_per_file: u64,
    topics: RwLock<Topics>,
}

impl QueueTable {
    /// Opens every queue under `root`, repairing each (see `queue_recovery`). Returns the table
    /// and the number of entries dropped.
    pub(crate) fn load(
        root: &Path,
        storage: Arc<dyn Storage>,
        entries_per_file: u64,
        rules: &LoadRules<'_>,
    ) -> Result<(QueueTable, u64), StoreError> {
        let list = |dir: &Path| {
            storage
                .list(dir)
                .map_err(|e| StoreError::io(format!("list {}", dir.display()), e))
        };
        let mut topics = Topics::new();
        let mut dropped = 0;
        for topic_dir in list(root)? {
            let Some(topic) = topic_dir.file_name().and_then(|n| n.to_str()) else {
                continue;
            };
            if validate_topic(topic).is_err() {
                tracing::warn!(dir = %topic_dir.display(), "ignoring a foreign consume-queue directory");
                continue;
            }
            for queue_dir in list(&topic_dir)? {
                let Some(queue_id) = parse_queue_id(&queue_dir) else {
                    tracing::warn!(dir = %queue_dir.display(), "ignoring a foreign consume-queue directory");
                    continue;
                };
                let (queue, n) = ConsumeQueue::load(
                    topic,
                    queue_id,
                    &queue_dir,
                    entries_per_file,
                    storage.clone(),
                    rules,
                )?;
                dropped += n;
                topics
                    .entry(topic.to_owned())
                    .or_default()
                    .insert(queue_id, Arc::new(queue));
            }
        }
        let table = QueueTable {
            root: root.to_path_buf(),
            storage,
            entries_per_file,
            topics: RwLock::new(topics),
        };
        Ok((table, dropped))
    }

    /// The queue, if it exists.
    pub(crate) fn get(&self, topic: &str, queue_id: u32) -> Option<Arc<ConsumeQueue>> {
        read_lock(&self.topics).get(topic)?.get(&queue_id).cloned()
    }

    /// The queue, created empty (in memory only) if needed. `topic` must be valid.
    pub(crate) fn get_or_create(&self, topic: &str, queue_id: u32) -> Arc<ConsumeQueue> {
        if let Some(queue) = self.get(topic, queue_id) {
            return queue;
        }
        let mut topics = write_lock(&self.topics);
        let queues = topics.entry(topic.to_owned()).or_default();
        queues
            .entry(queue_id)
            .or_insert_with(|| {
                let dir = self.root.join(topic).join(queue_id.to_string());
                Arc::new(ConsumeQueue::new(
                    topic,
                    queue_id,
                    &dir,
                    self.entries_per_file,
                    self.storage.clone(),
                    QueueState::default(),
                ))
            })
            .clone()
    }

    /// Every queue.
    pub(crate) fn all(&self) -> Vec<Arc<ConsumeQueue>> {
        read_lock(&self.topics)
            .values()
            .flat_map(|queues| queues.values().cloned())
            .collect()
    }

    /// Takes a topic's queues out of the table and removes their files and directories.
    pub(crate) fn delete_topic(&self, topic: &str) -> Result<(), StoreError> {
        let queues = write_lock(&self.topics).remove(topic).unwrap_or_default();
        for queue in queues.values() {
            queue.remove_all()?;
            queue.wake();
        }
        let dir = self.root.join(topic);
        match self.storage.remove(&dir) {
            Ok(()) => Ok(()),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
            Err(e) => Err(StoreError::io(format!("remove {}", dir.display()), e)),
        }
    }

    /// Flushes every queue.
    pub(crate) fn flush_all(&self) -> Result<(), StoreError> {
        for queue in self.all() {
            queue.flush()?;
        }
        Ok(())
    }

    /// Advances every queue's min offset past `commit_log_min` and removes the files below.
    pub(crate) fn clean_below(&self, commit_log_min: u64) -> Result<u64, StoreError> {
        let mut removed = 0;
        for queue in self.all() {
            removed += queue.clean_below(commit_log_min)?;
        }
        Ok(removed)
    }

    /// Bytes of all consume-queue files.
    pub(crate) fn total_bytes(&self) -> u64 {
        let file_len = self.entries_per_file * crate::store::consume_queue::ENTRY_LEN;
        self.all().iter().map(|q| q.file_count() * file_len).sum()
    }
}

/// A queue id directory name: canonical decimal `u32`.
fn parse_queue_id(dir: &Path) -> Option<u32> {
    let name = dir.file_name()?.to_str()?;
    let id: u32 = name.parse().ok()?;
    (id.to_string() == name).then_some(id)
}
