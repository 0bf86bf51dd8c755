//! The broker's subscription-group table (RocketMQ's `SubscriptionGroupManager`): each consumer
//! group's config by name, auto-created on a group's first heartbeat when
//! `auto_create_subscription_group` is on, persisted to
//! `{data_dir}/config/subscription_groups.toml` (temporary file, fsync, rename; layout in
//! `spec/storage.md` §14) on every change.
//!
//! It also holds the checks a pull must pass (`check_pull`): a known group (or auto-creation
//! on), consumption enabled, and broadcasting allowed when the group's members broadcast.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::{Mutex, RwLock};

use ferrocket::limits::{QUEUE_COUNT_MAX, RETRY_MAX_TIMES_MAX};
use ferrocket::protocol::{GroupWriteMode, MessageModel, Status, SubscriptionGroupConfig};
use serde::{Deserialize, Serialize};

use crate::broker::BrokerState;
use crate::broker::names;
use crate::broker::reply::Reply;
use crate::store::atomic_file;

/// Why a subscription-group operation failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum GroupError {
    /// The group has no stored config.
    #[error("consumer group `{0}` does not exist")]
    NotExist(String),
    /// The group exists already.
    #[error("consumer group `{0}` already exists (change it with `admin group update`)")]
    ExistAlready(String),
    /// The name or a value is invalid.
    #[error("{0}")]
    Invalid(String),
    /// The table could not be saved.
    #[error("cannot save subscription groups to {path}: {source}")]
    Persist {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
}

impl GroupError {
    /// The answer to a client.
    pub fn reply(&self) -> Reply {
        let status = match self {
            GroupError::NotExist(_) => Status::SubscriptionGroupNotExist,
            GroupError::ExistAlready(_) | GroupError::Invalid(_) => Status::InvalidParameter,
            GroupError::Persist { .. } => Status::SystemError,
        };
        Reply::error(status, self.to_string())
    }
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct GroupRecord {
    group: String,
    consume_enable: bool,
    consume_broadcast_enable: bool,
    retry_queue_count: u16,
    retry_max_times: u32,
    broker_id: u64,
    which_broker_when_consume_slowly: u64,
}

#[derive(Debug, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct GroupFile {
    #[serde(default)]
    groups: Vec<GroupRecord>,
}

/// The subscription-group table.
#[derive(Debug)]
pub struct SubscriptionGroupManager {
    path: PathBuf,
    groups: RwLock<BTreeMap<String, SubscriptionGroupConfig>>,
    persist_lock: Mutex<()>,
    auto_create: bool,
}

impl SubscriptionGroupManager {
    /// Loads `config_dir/subscription_groups.toml` (empty when missing).
    pub fn load(
        config_dir: PathBuf,
        auto_create: bool,
    ) -> Result<SubscriptionGroupManager, String> {
        let path = config_dir.join("subscription_groups.toml");
        let file: GroupFile = match std::fs::read_to_string(&path) {
            Ok(text) => toml::from_str(&text).map_err(|e| format!("{}: {e}", path.display()))?,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => GroupFile::default(),
            Err(e) => return Err(format!("{}: {e}", path.display())),
        };
        let mut groups = BTreeMap::new();
        for r in file.groups {
            let config = SubscriptionGroupConfig {
                group: r.group,
                consume_enable: r.consume_enable,
                consume_broadcast_enable: r.consume_broadcast_enable,
                retry_queue_count: r.retry_queue_count,
                retry_max_times: r.retry_max_times,
                broker_id: r.broker_id,
                which_broker_when_consume_slowly: r.which_broker_when_consume_slowly,
            };
            check_config(&config).map_err(|e| format!("{}: {e}", path.display()))?;
            groups.insert(config.group.clone(), config);
        }
        Ok(SubscriptionGroupManager {
            path,
            groups: RwLock::new(groups),
            persist_lock: Mutex::new(()),
            auto_create,
        })
    }

    /// A group's stored config.
    pub fn get(&self, group: &str) -> Option<SubscriptionGroupConfig> {
        self.read().get(group).cloned()
    }

    /// Whether unknown groups are created at their first heartbeat.
    pub fn auto_create(&self) -> bool {
        self.auto_create
    }

    /// The config in force for `group`: stored, else the defaults when auto-creation is on.
    pub fn effective(&self, group: &str) -> Option<SubscriptionGroupConfig> {
        self.get(group).or_else(|| {
            self.auto_create
                .then(|| SubscriptionGroupConfig::new(group))
        })
    }

    /// The group's stored config, creating it with the defaults when auto-creation is on.
    pub fn get_or_auto_create(&self, group: &str) -> Option<SubscriptionGroupConfig> {
        if let Some(config) = self.get(group) {
            return Some(config);
        }
        if !self.auto_create {
            return None;
        }
        let config = SubscriptionGroupConfig::new(group);
        match self.write(GroupWriteMode::Create, config.clone()) {
            Ok(()) => tracing::info!(group, "auto-created subscription group"),
            Err(GroupError::ExistAlready(_)) => return self.get(group),
            Err(e) => tracing::error!(group, error = %e, "cannot auto-create subscription group"),
        }
        Some(config)
    }

    /// Creates or replaces a group's config as `mode` allows, then saves the table.
    pub fn write(
        &self,
        mode: GroupWriteMode,
        config: SubscriptionGroupConfig,
    ) -> Result<(), GroupError> {
        check_config(&config).map_err(GroupError::Invalid)?;
        {
            let mut groups = self.write_lock();
            let exists = groups.contains_key(&config.group);
            match mode {
                GroupWriteMode::Create if exists => {
                    return Err(GroupError::ExistAlready(config.group));
                }
                GroupWriteMode::Update if !exists => {
                    return Err(GroupError::NotExist(config.group));
                }
                _ => {}
            }
            groups.insert(config.group.clone(), config);
        }
        self.persist()
    }

    /// Makes the table exactly `configs` (a slave copying its master's groups); saves it when
    /// anything changed. Returns whether anything changed.
    pub fn replace_all(&self, configs: Vec<SubscriptionGroupConfig>) -> Result<bool, GroupError> {
        let mut wanted = BTreeMap::new();
        for config in configs {
            check_config(&config).map_err(GroupError::Invalid)?;
            wanted.insert(config.group.clone(), config);
        }
        {
            let mut groups = self.write_lock();
            if *groups == wanted {
                return Ok(false);
            }
            *groups = wanted;
        }
        self.persist()?;
        Ok(true)
    }

    /// Deletes a group's config, then saves the table.
    pub fn delete(&self, group: &str) -> Result<(), GroupError> {
        if self.write_lock().remove(group).is_none() {
            return Err(GroupError::NotExist(group.into()));
        }
        self.persist()
    }

    /// Every stored group, sorted by name.
    pub fn list(&self) -> Vec<SubscriptionGroupConfig> {
        self.read().values().cloned().collect()
    }

    /// Writes the table to disk (temporary file, fsync, rename).
    pub fn persist(&self) -> Result<(), GroupError> {
        let _serialized = self.persist_lock.lock().unwrap_or_else(|e| e.into_inner());
        let file = GroupFile {
            groups: self.read().values().map(record).collect(),
        };
        let text = toml::to_string(&file).map_err(|e| GroupError::Invalid(e.to_string()))?;
        atomic_file::write(&self.path, text.as_bytes()).map_err(|source| GroupError::Persist {
            path: self.path.clone(),
            source,
        })
    }

    fn read(&self) -> std::sync::RwLockReadGuard<'_, BTreeMap<String, SubscriptionGroupConfig>> {
        self.groups.read().unwrap_or_else(|e| e.into_inner())
    }

    fn write_lock(
        &self,
    ) -> std::sync::RwLockWriteGuard<'_, BTreeMap<String, SubscriptionGroupConfig>> {
        self.groups.write().unwrap_or_else(|e| e.into_inner())
    }
}

fn record(c: &SubscriptionGroupConfig) -> GroupRecord {
    GroupRecord {
        group: c.group.clone(),
        consume_enable: c.consume_enable,
        consume_broadcast_enable: c.consume_broadcast_enable,
        retry_queue_count: c.retry_queue_count,
        retry_max_times: c.retry_max_times,
        broker_id: c.broker_id,
        which_broker_when_consume_slowly: c.which_broker_when_consume_slowly,
    }
}

/// Checks a group config's name and ranges.
pub fn check_config(config: &SubscriptionGroupConfig) -> Result<(), String> {
    names::check_group(&config.group).map_err(|e| e.to_string())?;
    let queues = usize::from(config.retry_queue_count);
    if queues == 0 || queues > QUEUE_COUNT_MAX {
        return Err(format!(
            "retry queue count {queues} must be 1..={QUEUE_COUNT_MAX}"
        ));
    }
    if config.retry_max_times > RETRY_MAX_TIMES_MAX {
        return Err(format!(
            "max retries {} must be at most {RETRY_MAX_TIMES_MAX}",
            config.retry_max_times
        ));
    }
    Ok(())
}

/// The checks of a pull by `group`: the group's config in force, or the refusal to answer.
pub fn check_pull(state: &BrokerState, group: &str) -> Result<SubscriptionGroupConfig, Reply> {
    let broker = &state.config.broker_name;
    let Some(config) = state.subscription_groups.effective(group) else {
        return Err(Reply::error(
            Status::SubscriptionGroupNotExist,
            format!(
                "consumer group `{group}` does not exist on broker `{broker}` and \
                 auto_create_subscription_group is off: create it with \
                 `ferrocket admin group create {group}`"
            ),
        ));
    };
    if !config.consume_enable {
        return Err(Reply::error(
            Status::NoPermission,
            format!(
                "consumer group `{group}` may not consume on broker `{broker}`: its consume \
                 is disabled (enable it with `ferrocket admin group update {group} \
                 --consume-enable true`)"
            ),
        ));
    }
    let broadcasting = state
        .clients
        .consumer_data(group)
        .is_some_and(|d| d.message_model == MessageModel::Broadcasting);
    if broadcasting && !config.consume_broadcast_enable {
        return Err(Reply::error(
            Status::NoPermission,
            format!(
                "consumer group `{group}` may not consume in broadcasting mode on broker \
                 `{broker}` (allow it with `ferrocket admin group update {group} \
                 --broadcast-enable true`, or consume in clustering mode)"
            ),
        ));
    }
    Ok(config)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn temp_dir(name: &str) -> PathBuf {
        let dir =
            std::env::temp_dir().join(format!("ferrocket-groups-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        dir
    }

    /// Create refuses an existing group, update a missing one; both persist, and a reload
    /// reads back exactly what was written.
    #[test]
    fn modes_and_persistence() {
        let dir = temp_dir("modes");
        let groups = SubscriptionGroupManager::load(dir.clone(), false).unwrap();
        let mut config = SubscriptionGroupConfig::new("g1");
        assert!(matches!(
            groups.write(GroupWriteMode::Update, config.clone()),
            Err(GroupError::NotExist(_))
        ));
        groups
            .write(GroupWriteMode::Create, config.clone())
            .unwrap();
        assert!(matches!(
            groups.write(GroupWriteMode::Create, config.clone()),
            Err(GroupError::ExistAlready(_))
        ));
        config.consume_enable = false;
        config.retry_max_times = 3;
        groups
            .write(GroupWriteMode::Update, config.clone())
            .unwrap();
        groups
            .write(GroupWriteMode::Upsert, SubscriptionGroupConfig::new("g2"))
            .unwrap();
        let reloaded = SubscriptionGroupManager::load(dir.clone(), false).unwrap();
        assert_eq!(reloaded.get("g1"), Some(config));
        assert_eq!(reloaded.list().len(), 2);
        reloaded.delete("g2").unwrap();
        assert!(matches!(
            reloaded.delete("g2"),
            Err(GroupError::NotExist(_))
        ));
        let again = SubscriptionGroupManager::load(dir.clone(), false).unwrap();
        assert_eq!(again.list().len(), 1);
        std::fs::remove_dir_all(&dir).unwrap();
    }

    /// Auto-creation gives RocketMQ's defaults only when it is on; bad values are refused.
    #[test]
    fn auto_create_and_checks() {
        let dir = temp_dir("auto");
        let off = SubscriptionGroupManager::load(dir.clone(), false).unwrap();
        assert_eq!(off.get_or_auto_create("g"), None);
        assert_eq!(off.effective("g"), None);
        let on = SubscriptionGroupManager::load(dir.clone(), true).unwrap();
        let created = on.get_or_auto_create("g").unwrap();
        assert_eq!(created, SubscriptionGroupConfig::new("g"));
        assert_eq!(
            (created.retry_queue_count, created.retry_max_times),
            (1, 16)
        );
        assert_eq!(on.get("g"), Some(created));
        let mut bad = SubscriptionGroupConfig::new("g");
        bad.retry_queue_count = 0;
        assert!(matches!(
            on.write(GroupWriteMode::Upsert, bad),
            Err(GroupError::Invalid(_))
        ));
        let bad_name = SubscriptionGroupConfig::new("a/b");
        assert!(on.write(GroupWriteMode::Upsert, bad_name).is_err());
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
