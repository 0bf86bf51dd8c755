//! The broker's topic table: configs by name, auto-creation, and persistence to
//! `{data_dir}/config/topics.toml` (written to a temporary file, fsynced, then renamed).

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, RwLock};

use ferrocket::limits::QUEUE_COUNT_MAX;
use ferrocket::protocol::{PERM_READ, PERM_WRITE, TopicConfig};
use serde::{Deserialize, Serialize};

use crate::broker::names;
use crate::store::atomic_file;

/// Why a topic operation failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum TopicError {
    /// The topic does not exist.
    #[error("topic `{0}` does not exist")]
    NotExist(String),
    /// The topic exists already.
    #[error("topic `{0}` already exists")]
    ExistAlready(String),
    /// The name or a count is invalid.
    #[error("{0}")]
    Invalid(String),
    /// The table could not be saved.
    #[error("cannot save topic table {path}: {source}")]
    Persist {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct TopicRecord {
    topic: String,
    read_queue_count: u16,
    write_queue_count: u16,
    perm: u8,
    order: bool,
}

#[derive(Debug, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct TopicFile {
    #[serde(default)]
    topics: Vec<TopicRecord>,
}

/// The topic table.
#[derive(Debug)]
pub struct TopicManager {
    path: PathBuf,
    topics: RwLock<BTreeMap<String, TopicConfig>>,
    persist_lock: Mutex<()>,
    auto_create: bool,
    auto_create_queue_count: u16,
    /// Bumped by every change, so registrations with name servers follow the table.
    version: AtomicU64,
}

impl TopicManager {
    /// Loads the table from `config_dir/topics.toml` (empty when the file does not exist).
    pub fn load(
        config_dir: PathBuf,
        auto_create: bool,
        auto_create_queue_count: u16,
    ) -> Result<TopicManager, String> {
        let path = config_dir.join("topics.toml");
        let file: TopicFile = match std::fs::read_to_string(&path) {
            Ok(text) => toml::from_str(&text).map_err(|e| format!("{}: {e}", path.display()))?,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => TopicFile::default(),
            Err(e) => return Err(format!("{}: {e}", path.display())),
        };
        let mut topics = BTreeMap::new();
        for r in file.topics {
            let config = TopicConfig {
                topic: r.topic,
                read_queue_count: r.read_queue_count,
                write_queue_count: r.write_queue_count,
                perm: r.perm,
                order: r.order,
            };
            check_config(&config).map_err(|e| format!("{}: {e}", path.display()))?;
            topics.insert(config.topic.clone(), config);
        }
        Ok(TopicManager {
            path,
            topics: RwLock::new(topics),
            persist_lock: Mutex::new(()),
            auto_create,
            auto_create_queue_count,
            version: AtomicU64::new(0),
        })
    }

    /// A number that changes whenever a topic is created, updated or deleted.
    pub fn version(&self) -> u64 {
        self.version.load(Ordering::Acquire)
    }

    /// Makes the table exactly `configs` (a slave copying its master's topics); saves it when
    /// anything changed. Returns whether anything changed.
    pub fn replace_all(&self, configs: Vec<TopicConfig>) -> Result<bool, TopicError> {
        let mut wanted = BTreeMap::new();
        for config in configs {
            check_config(&config).map_err(TopicError::Invalid)?;
            wanted.insert(config.topic.clone(), config);
        }
        {
            let mut topics = self.write();
            if *topics == wanted {
                return Ok(false);
            }
            *topics = wanted;
        }
        self.persist()?;
        Ok(true)
    }

    /// A topic's config.
    pub fn get(&self, topic: &str) -> Option<TopicConfig> {
        self.read().get(topic).cloned()
    }

    /// Whether sends may create unknown topics.
    pub fn auto_create(&self) -> bool {
        self.auto_create
    }

    /// Queues of an auto-created topic when the producer does not say.
    pub fn auto_create_queue_count(&self) -> u16 {
        self.auto_create_queue_count
    }

    /// The topic's config, creating the topic when auto-creation is on.
    pub fn get_or_auto_create(&self, topic: &str, queues: u16) -> Result<TopicConfig, TopicError> {
        if let Some(config) = self.get(topic) {
            return Ok(config);
        }
        if !self.auto_create || names::is_system_topic(topic) {
            return Err(TopicError::NotExist(topic.into()));
        }
        // RocketMQ: the producer's count, at most the broker's default (TBW102's queues).
        let queues = if queues == 0 {
            self.auto_create_queue_count
        } else {
            queues.min(self.auto_create_queue_count)
        };
        let config = TopicConfig::new(topic, queues.min(QUEUE_COUNT_MAX as u16));
        match self.create(config) {
            Ok(created) => {
                tracing::info!(topic, queues, "auto-created topic");
                Ok(created)
            }
            Err(TopicError::ExistAlready(_)) => {
                self.get(topic).ok_or(TopicError::NotExist(topic.into()))
            }
            Err(e) => Err(e),
        }
    }

    /// Creates a topic.
    pub fn create(&self, config: TopicConfig) -> Result<TopicConfig, TopicError> {
        check_config(&config).map_err(TopicError::Invalid)?;
        {
            let mut topics = self.write();
            if topics.contains_key(&config.topic) {
                return Err(TopicError::ExistAlready(config.topic));
            }
            topics.insert(config.topic.clone(), config.clone());
        }
        self.persist()?;
        Ok(config)
    }

    /// Replaces an existing topic's config.
    pub fn update(&self, config: TopicConfig) -> Result<(), TopicError> {
        check_config(&config).map_err(TopicError::Invalid)?;
        {
            let mut topics = self.write();
            let Some(slot) = topics.get_mut(&config.topic) else {
                return Err(TopicError::NotExist(config.topic));
            };
            *slot = config;
        }
        self.persist()
    }

    /// Deletes a topic.
    pub fn delete(&self, topic: &str) -> Result<(), TopicError> {
        if self.write().remove(topic).is_none() {
            return Err(TopicError::NotExist(topic.into()));
        }
        self.persist()
    }

    /// Every topic, sorted by name; system topics only when asked.
    pub fn list(&self, include_system: bool) -> Vec<TopicConfig> {
        self.read()
            .values()
            .filter(|c| include_system || !names::is_system_topic(&c.topic))
            .cloned()
            .collect()
    }

    /// Writes the table to disk (temporary file, fsync, rename).
    pub fn persist(&self) -> Result<(), TopicError> {
        self.version.fetch_add(1, Ordering::AcqRel);
        let _serialized = self.persist_lock.lock().unwrap_or_else(|e| e.into_inner());
        let file = TopicFile {
            topics: self
                .read()
                .values()
                .map(|c| TopicRecord {
                    topic: c.topic.clone(),
                    read_queue_count: c.read_queue_count,
                    write_queue_count: c.write_queue_count,
                    perm: c.perm,
                    order: c.order,
                })
                .collect(),
        };
        let text = toml::to_string(&file).map_err(|e| TopicError::Invalid(e.to_string()))?;
        atomic_file::write(&self.path, text.as_bytes()).map_err(|source| TopicError::Persist {
            path: self.path.clone(),
            source,
        })
    }

    fn read(&self) -> std::sync::RwLockReadGuard<'_, BTreeMap<String, TopicConfig>> {
        self.topics.read().unwrap_or_else(|e| e.into_inner())
    }

    fn write(&self) -> std::sync::RwLockWriteGuard<'_, BTreeMap<String, TopicConfig>> {
        self.topics.write().unwrap_or_else(|e| e.into_inner())
    }
}

/// Checks a topic config's name and counts.
pub fn check_config(config: &TopicConfig) -> Result<(), String> {
    names::check_topic(&config.topic)?;
    for (what, n) in [
        ("read", config.read_queue_count),
        ("write", config.write_queue_count),
    ] {
        if n == 0 || usize::from(n) > QUEUE_COUNT_MAX {
            return Err(format!(
                "{what} queue count {n} must be 1..={QUEUE_COUNT_MAX}"
            ));
        }
    }
    if config.perm & !(PERM_READ | PERM_WRITE | 0x9) != 0 {
        return Err(format!("permission {} has undefined bits", config.perm));
    }
    Ok(())
}
