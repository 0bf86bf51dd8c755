//! Broker configuration: defaults < TOML file < environment < command-line flags.
//!
//! Every key is snake_case and documented in `BrokerConfig`; an unknown key in the file or an
//! unknown `FERROCKET_*` environment variable is an error naming it, so a typo never silently
//! falls back to a default. `--print-config` prints the effective result as TOML.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use ferrocket::limits::{
    ACCESS_MESSAGE_IN_MEMORY_MAX_RATIO_DEFAULT, HA_HOUSEKEEPING_MS_DEFAULT,
    HA_SLAVE_FALL_BEHIND_BYTES_DEFAULT, LONG_POLL_MS_MAX, REGISTER_INTERVAL_MS_DEFAULT,
    REPLICA_FETCH_BYTES_DEFAULT, REPLICA_FETCH_BYTES_MAX, REPLICA_FETCH_WAIT_MS_DEFAULT,
    SLAVE_SYNC_INTERVAL_MS_DEFAULT, SLAVE_TIMEOUT_MS_DEFAULT,
};
use ferrocket::limits::{
    AUTO_CREATE_QUEUE_COUNT_DEFAULT, CONNECTION_IDLE_TIMEOUT_MS_DEFAULT, CONNECTIONS_MAX_DEFAULT,
    CONSUME_QUEUE_ENTRIES_PER_FILE_DEFAULT, DELETE_HOUR_DEFAULT, DISK_USAGE_CLEAN_PERCENT_DEFAULT,
    DISK_USAGE_FORCE_CLEAN_PERCENT_DEFAULT, DISK_USAGE_REFUSE_PERCENT_DEFAULT,
    FILE_RESERVED_HOURS_DEFAULT, FLUSH_INTERVAL_MS_DEFAULT, FRAME_READ_TIMEOUT_MS_DEFAULT,
    INDEX_ENTRY_COUNT_DEFAULT, INDEX_SLOT_COUNT_DEFAULT, OFFSET_FLUSH_INTERVAL_MS_DEFAULT,
    QUEUE_COUNT_MAX, RETENTION_CHECK_INTERVAL_MS_DEFAULT, SEGMENT_SIZE_DEFAULT, SEGMENT_SIZE_MAX,
    SEGMENT_SIZE_MIN, STORE_PENDING_SENDS_MAX_DEFAULT, SYNC_FLUSH_TIMEOUT_MS_DEFAULT,
    TRANSACTION_CHECK_INTERVAL_MS_DEFAULT, TRANSACTION_CHECK_MAX_DEFAULT,
    TRANSACTION_TIMEOUT_MS_DEFAULT,
};
use serde::{Deserialize, Serialize};

use crate::broker::locks::REBALANCE_LOCK_MAX_LIVE_MS_DEFAULT;
use crate::broker::scheduler::{
    MESSAGE_DELAY_LEVEL_DEFAULT, TIMER_MAX_DELAY_MS_DEFAULT, parse_delay_levels,
};
use crate::store::{FlushMode, StoreConfig};

/// Prefix of the environment variables that set config keys (`FERROCKET_DATA_DIR`, …).
pub const ENV_PREFIX: &str = "FERROCKET_";
/// Environment variables with the prefix that are not config keys.
const ENV_NOT_KEYS: &[&str] = &["FERROCKET_LOG", "FERROCKET_CONFIG"];

/// How the commit log is flushed (RocketMQ's `flushDiskType`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum FlushDiskType {
    /// Acknowledge once in the page cache; flush every `flush_interval_ms`.
    AsyncFlush,
    /// Acknowledge after fdatasync, with group commit.
    SyncFlush,
}

/// The broker's replication role (RocketMQ's `brokerRole`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum BrokerRole {
    /// A master that answers without waiting for its slaves.
    AsyncMaster,
    /// A master that answers after a slave has the message.
    SyncMaster,
    /// A read-only copy of a master.
    Slave,
}

/// Every broker setting. Field names are the TOML keys.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct BrokerConfig {
    /// Address to listen on (`host:port`).
    pub listen: SocketAddr,
    /// Address clients are told to use; defaults to `listen` (with 127.0.0.1 for 0.0.0.0).
    pub advertised_addr: Option<SocketAddr>,
    /// Folder of the commit log, consume queues, checkpoint and configs.
    pub data_dir: PathBuf,
    /// Cluster this broker belongs to.
    pub cluster_name: String,
    /// Name shared by a master and its slaves.
    pub broker_name: String,
    /// 0 for the master, > 0 for slaves.
    pub broker_id: u64,
    /// Replication role.
    pub role: BrokerRole,
    /// Flush mode.
    pub flush_disk_type: FlushDiskType,
    /// Async flush period.
    pub flush_interval_ms: u64,
    /// How long a SYNC_FLUSH send waits for its flush before `FLUSH_DISK_TIMEOUT`.
    pub sync_flush_timeout_ms: u64,
    /// Commit-log segment size in bytes.
    pub segment_size: u64,
    /// Entries per consume-queue file.
    pub consume_queue_entries_per_file: u64,
    /// Hours a commit-log segment is kept after its last message.
    pub file_reserved_hours: u64,
    /// UTC hour of the day expired segments are deleted.
    pub delete_hour: u8,
    /// Disk use (percent) from which expired segments are deleted at once.
    pub disk_usage_clean_percent: u8,
    /// Disk use (percent) from which the oldest segments are deleted even if unexpired.
    pub disk_usage_force_clean_percent: u8,
    /// Disk use (percent) from which writes are refused with `STORE_FULL`.
    pub disk_usage_refuse_percent: u8,
    /// Measure disk use against this many bytes of the store's own files instead of the
    /// file system (a quota).
    pub disk_capacity_bytes: Option<u64>,
    /// How often retention runs.
    pub retention_check_interval_ms: u64,
    /// Whether a send to an unknown topic creates it.
    pub auto_create_topic: bool,
    /// Queues of an auto-created topic when the producer does not say.
    pub auto_create_queue_count: u16,
    /// Whether a consumer group's first heartbeat creates its subscription-group config
    /// (RocketMQ's `autoCreateSubscriptionGroup`); when off, pulls of an unknown group get
    /// `SUBSCRIPTION_GROUP_NOT_EXIST`.
    pub auto_create_subscription_group: bool,
    /// Connections accepted at once.
    pub max_connections: usize,
    /// How long a peer may take to finish a frame it started.
    pub frame_read_timeout_ms: u64,
    /// A connection silent for this long is closed.
    pub idle_timeout_ms: u64,
    /// Sends that may wait on the store before `SYSTEM_BUSY`.
    pub pending_sends_max: usize,
    /// How often consumer offsets are saved.
    pub offset_flush_interval_ms: u64,
    /// Name servers to register with, `host:port;host:port` (RocketMQ's `namesrvAddr`; the
    /// `NAMESRV_ADDR` environment variable sets it too). Empty: none.
    pub namesrv_addrs: String,
    /// Whether this broker also answers name-server requests on its own port and registers
    /// with itself (`standalone`; `ferrocket broker` defaults it to false).
    pub embedded_namesrv: bool,
    /// How often the broker registers with its name servers (topic changes register at once).
    pub register_interval_ms: u64,
    /// A slave's master, `host:port`; empty: learned from the name servers' answers.
    pub ha_master_addr: String,
    /// SYNC_MASTER: how long a send waits for a slave before `FLUSH_SLAVE_TIMEOUT` (keep it
    /// below the producers' send timeout, or they give up first).
    pub slave_timeout_ms: u64,
    /// SYNC_MASTER: a slave further behind than this many bytes does not count
    /// (`SLAVE_NOT_AVAILABLE`).
    pub ha_slave_fall_behind_bytes: u64,
    /// A slave whose last fetch is older than this no longer counts as connected.
    pub ha_housekeeping_ms: u64,
    /// How long a master holds a slave's fetch when it has nothing new.
    pub replica_fetch_wait_ms: u32,
    /// Commit-log bytes a slave asks for per fetch.
    pub replica_fetch_bytes: u32,
    /// How often a slave copies topic configs and consumer offsets from its master.
    pub slave_sync_interval_ms: u64,
    /// Whether consumers that fell far behind are sent to read from a slave.
    pub slave_read_enable: bool,
    /// How far behind (percent of the machine's memory) counts as far behind.
    pub access_message_in_memory_max_ratio: u8,
    /// How far behind (bytes of commit log) counts as far behind; overrides the ratio.
    pub access_message_in_memory_max_bytes: Option<u64>,
    /// Age of a half message before its first check-back (RocketMQ's `transactionTimeOut`).
    pub transaction_timeout_ms: u64,
    /// Time between check-backs of one half message (`transactionCheckInterval`).
    pub transaction_check_interval_ms: u64,
    /// Check-backs before a half message is discarded to `TRANS_CHECK_MAX_TIME_TOPIC`.
    pub transaction_check_max: u32,
    /// Hash slots of one message-index file.
    pub index_slot_count: u32,
    /// Entries of one message-index file (24 bytes each; then a new file is started).
    pub index_entry_count: u32,
    /// Delay of each delay level, level 1 first: numbers with a unit `ms`, `s`, `m`, `h` or
    /// `d`, separated by spaces (RocketMQ's `messageDelayLevel`).
    pub message_delay_level: String,
    /// Furthest a message's delivery time may be ahead of now (RocketMQ's
    /// `timerMaxDelaySec`, 3 days); later ones are refused with `MESSAGE_ILLEGAL`.
    pub timer_max_delay_ms: u64,
    /// An orderly consumer's queue lock expires after this long without renewal.
    pub rebalance_lock_max_live_ms: u64,
}

impl Default for BrokerConfig {
    fn default() -> BrokerConfig {
        BrokerConfig {
            listen: SocketAddr::from(([127, 0, 0, 1], 9876)),
            advertised_addr: None,
            data_dir: PathBuf::from("./ferrocket-data"),
            cluster_name: "DefaultCluster".into(),
            broker_name: "broker-a".into(),
            broker_id: 0,
            role: BrokerRole::AsyncMaster,
            flush_disk_type: FlushDiskType::AsyncFlush,
            flush_interval_ms: FLUSH_INTERVAL_MS_DEFAULT,
            sync_flush_timeout_ms: SYNC_FLUSH_TIMEOUT_MS_DEFAULT,
            segment_size: SEGMENT_SIZE_DEFAULT,
            consume_queue_entries_per_file: CONSUME_QUEUE_ENTRIES_PER_FILE_DEFAULT,
            file_reserved_hours: FILE_RESERVED_HOURS_DEFAULT,
            delete_hour: DELETE_HOUR_DEFAULT,
            disk_usage_clean_percent: DISK_USAGE_CLEAN_PERCENT_DEFAULT,
            disk_usage_force_clean_percent: DISK_USAGE_FORCE_CLEAN_PERCENT_DEFAULT,
            disk_usage_refuse_percent: DISK_USAGE_REFUSE_PERCENT_DEFAULT,
            disk_capacity_bytes: None,
            retention_check_interval_ms: RETENTION_CHECK_INTERVAL_MS_DEFAULT,
            auto_create_topic: true,
            auto_create_queue_count: AUTO_CREATE_QUEUE_COUNT_DEFAULT,
            auto_create_subscription_group: true,
            max_connections: CONNECTIONS_MAX_DEFAULT,
            frame_read_timeout_ms: FRAME_READ_TIMEOUT_MS_DEFAULT,
            idle_timeout_ms: CONNECTION_IDLE_TIMEOUT_MS_DEFAULT,
            pending_sends_max: STORE_PENDING_SENDS_MAX_DEFAULT,
            offset_flush_interval_ms: OFFSET_FLUSH_INTERVAL_MS_DEFAULT,
            namesrv_addrs: String::new(),
            embedded_namesrv: true,
            register_interval_ms: REGISTER_INTERVAL_MS_DEFAULT,
            ha_master_addr: String::new(),
            slave_timeout_ms: SLAVE_TIMEOUT_MS_DEFAULT,
            ha_slave_fall_behind_bytes: HA_SLAVE_FALL_BEHIND_BYTES_DEFAULT,
            ha_housekeeping_ms: HA_HOUSEKEEPING_MS_DEFAULT,
            replica_fetch_wait_ms: REPLICA_FETCH_WAIT_MS_DEFAULT,
            replica_fetch_bytes: REPLICA_FETCH_BYTES_DEFAULT,
            slave_sync_interval_ms: SLAVE_SYNC_INTERVAL_MS_DEFAULT,
            slave_read_enable: false,
            access_message_in_memory_max_ratio: ACCESS_MESSAGE_IN_MEMORY_MAX_RATIO_DEFAULT,
            access_message_in_memory_max_bytes: None,
            transaction_timeout_ms: TRANSACTION_TIMEOUT_MS_DEFAULT,
            transaction_check_interval_ms: TRANSACTION_CHECK_INTERVAL_MS_DEFAULT,
            transaction_check_max: TRANSACTION_CHECK_MAX_DEFAULT,
            index_slot_count: INDEX_SLOT_COUNT_DEFAULT,
            index_entry_count: INDEX_ENTRY_COUNT_DEFAULT,
            message_delay_level: MESSAGE_DELAY_LEVEL_DEFAULT.into(),
            timer_max_delay_ms: TIMER_MAX_DELAY_MS_DEFAULT,
            rebalance_lock_max_live_ms: REBALANCE_LOCK_MAX_LIVE_MS_DEFAULT,
        }
    }
}

/// Why a configuration could not be built.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ConfigError {
    /// The config file could not be read.
    #[error("cannot read config file {path}: {source}")]
    Read {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// A layer holds an unknown key or a value of the wrong type.
    #[error("invalid config in {layer}: {message}")]
    Invalid {
        /// Which layer (file path, "environment", "flags").
        layer: String,
        /// What is wrong, naming the key.
        message: String,
    },
}

/// One `key = value` override from the environment or a flag, in TOML syntax for the value
/// (strings may be bare).
pub type Override = (String, String);

impl BrokerConfig {
    /// Builds the effective config: defaults, then `file`, then `env` (the process
    /// environment's `FERROCKET_*` variables), then `flags`; then checks the result.
    pub fn load(
        file: Option<&Path>,
        env: impl IntoIterator<Item = (String, String)>,
        flags: &[Override],
    ) -> Result<BrokerConfig, ConfigError> {
        BrokerConfig::load_with_defaults(&[], file, env, flags)
    }

    /// Like `load`, with `defaults` (a command's own defaults, such as `ferrocket broker`'s
    /// `embedded_namesrv = false`) applied over the built-in ones, under every other layer.
    pub fn load_with_defaults(
        defaults: &[Override],
        file: Option<&Path>,
        env: impl IntoIterator<Item = (String, String)>,
        flags: &[Override],
    ) -> Result<BrokerConfig, ConfigError> {
        let mut table = toml::Table::try_from(BrokerConfig::default())
            .map_err(|e| invalid("defaults", e.to_string()))?;
        apply_overrides(&mut table, defaults, "command defaults")?;
        if let Some(path) = file {
            let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
                path: path.to_owned(),
                source,
            })?;
            let layer: toml::Table = text.parse().map_err(|e: toml::de::Error| {
                invalid(&path.display().to_string(), e.to_string())
            })?;
            merge(&mut table, layer, &path.display().to_string())?;
        }
        let env_overrides = env_overrides(env)?;
        apply_overrides(&mut table, &env_overrides, "environment")?;
        apply_overrides(&mut table, flags, "flags")?;
        let config: BrokerConfig = toml::Value::Table(table)
            .try_into()
            .map_err(|e: toml::de::Error| invalid("effective config", e.to_string()))?;
        config.validate()?;
        Ok(config)
    }

    /// The effective config as TOML (for `--print-config`).
    pub fn to_toml(&self) -> String {
        toml::to_string_pretty(self).unwrap_or_else(|e| format!("# cannot render config: {e}\n"))
    }

    /// Checks ranges that serde cannot.
    pub fn validate(&self) -> Result<(), ConfigError> {
        let check = |ok: bool, message: String| {
            if ok {
                Ok(())
            } else {
                Err(invalid("config", message))
            }
        };
        check(
            (SEGMENT_SIZE_MIN..=SEGMENT_SIZE_MAX).contains(&self.segment_size),
            format!("segment_size must be within {SEGMENT_SIZE_MIN}..={SEGMENT_SIZE_MAX} bytes"),
        )?;
        check(
            self.consume_queue_entries_per_file > 0,
            "consume_queue_entries_per_file must be > 0".into(),
        )?;
        check(self.delete_hour < 24, "delete_hour must be 0..=23".into())?;
        check(
            self.disk_usage_clean_percent < self.disk_usage_force_clean_percent
                && self.disk_usage_force_clean_percent < self.disk_usage_refuse_percent
                && self.disk_usage_refuse_percent <= 100,
            "disk usage thresholds must satisfy clean < force_clean < refuse <= 100".into(),
        )?;
        check(
            (1..=QUEUE_COUNT_MAX).contains(&usize::from(self.auto_create_queue_count)),
            format!("auto_create_queue_count must be 1..={QUEUE_COUNT_MAX}"),
        )?;
        check(
            self.max_connections > 0,
            "max_connections must be > 0".into(),
        )?;
        check(
            self.pending_sends_max > 0,
            "pending_sends_max must be > 0".into(),
        )?;
        check(
            self.flush_interval_ms > 0,
            "flush_interval_ms must be > 0".into(),
        )?;
        check(
            !self.cluster_name.is_empty() && !self.broker_name.is_empty(),
            "cluster_name and broker_name must not be empty".into(),
        )?;
        check(
            (self.broker_id == 0) == (self.role != BrokerRole::Slave),
            "broker_id 0 is a master role (ASYNC_MASTER or SYNC_MASTER); a SLAVE needs broker_id > 0".into(),
        )?;
        parse_delay_levels(&self.message_delay_level)
            .map(|_| ())
            .map_err(|e| invalid("config", format!("message_delay_level: {e}")))?;
        self.validate_cluster()
    }

    /// Checks the name-server and replication keys.
    fn validate_cluster(&self) -> Result<(), ConfigError> {
        let check = |ok: bool, message: &str| {
            if ok {
                Ok(())
            } else {
                Err(invalid("config", message.to_owned()))
            }
        };
        check(
            ferrocket::client::NameServers::parse(&self.namesrv_addrs).is_ok()
                || self.namesrv_addrs.trim().is_empty(),
            "namesrv_addrs must be `host:port;host:port`",
        )?;
        for (value, name) in [
            (self.register_interval_ms, "register_interval_ms"),
            (self.slave_timeout_ms, "slave_timeout_ms"),
            (self.ha_housekeeping_ms, "ha_housekeeping_ms"),
            (self.slave_sync_interval_ms, "slave_sync_interval_ms"),
        ] {
            check(value > 0, &format!("{name} must be > 0"))?;
        }
        check(
            (1..=REPLICA_FETCH_BYTES_MAX).contains(&self.replica_fetch_bytes),
            &format!("replica_fetch_bytes must be 1..={REPLICA_FETCH_BYTES_MAX}"),
        )?;
        check(
            self.replica_fetch_wait_ms <= LONG_POLL_MS_MAX,
            &format!("replica_fetch_wait_ms must be at most {LONG_POLL_MS_MAX}"),
        )?;
        check(
            self.access_message_in_memory_max_ratio <= 100,
            "access_message_in_memory_max_ratio is a percentage (0..=100)",
        )
    }

    /// The name servers to register with (none when `namesrv_addrs` is empty).
    pub fn name_servers(&self) -> Vec<String> {
        ferrocket::client::NameServers::parse(&self.namesrv_addrs)
            .map(|n| n.addrs().to_vec())
            .unwrap_or_default()
    }

    /// The address clients should use to reach this broker.
    pub fn advertised(&self) -> SocketAddr {
        match self.advertised_addr {
            Some(addr) => addr,
            None if self.listen.ip().is_unspecified() => {
                SocketAddr::from(([127, 0, 0, 1], self.listen.port()))
            }
            None => self.listen,
        }
    }

    /// The store settings derived from this config.
    pub fn store_config(&self, store_host: SocketAddr) -> StoreConfig {
        let mut store = StoreConfig::new(self.data_dir.clone());
        store.segment_size = self.segment_size;
        store.consume_queue_entries_per_file = self.consume_queue_entries_per_file;
        store.flush_mode = match self.flush_disk_type {
            FlushDiskType::AsyncFlush => FlushMode::Async,
            FlushDiskType::SyncFlush => FlushMode::Sync,
        };
        store.flush_interval_ms = self.flush_interval_ms;
        store.sync_flush_timeout_ms = self.sync_flush_timeout_ms;
        store.file_reserved_ms = self.file_reserved_hours.saturating_mul(3_600_000);
        store.delete_hour = self.delete_hour;
        store.disk_usage_clean_percent = self.disk_usage_clean_percent;
        store.disk_usage_force_clean_percent = self.disk_usage_force_clean_percent;
        store.disk_usage_refuse_percent = self.disk_usage_refuse_percent;
        store.disk_capacity_bytes = self.disk_capacity_bytes;
        store.retention_check_interval_ms = self.retention_check_interval_ms;
        store.pending_sends_max = self.pending_sends_max;
        store.store_host = store_host;
        store.index_slot_count = self.index_slot_count;
        store.index_entry_count = self.index_entry_count;
        if let Ok(levels) = parse_delay_levels(&self.message_delay_level) {
            store.delay_levels_ms = levels;
        }
        store
    }
}

fn invalid(layer: &str, message: String) -> ConfigError {
    ConfigError::Invalid {
        layer: layer.into(),
        message,
    }
}

fn known_keys() -> Vec<String> {
    toml::Table::try_from(BrokerConfig::default())
        .map(|t| t.keys().cloned().collect::<Vec<String>>())
        .unwrap_or_default()
        .into_iter()
        .chain([
            "advertised_addr".to_owned(),
            "disk_capacity_bytes".to_owned(),
            "access_message_in_memory_max_bytes".to_owned(),
        ])
        .collect()
}

fn merge(table: &mut toml::Table, layer: toml::Table, name: &str) -> Result<(), ConfigError> {
    let known = known_keys();
    for (key, value) in layer {
        if !known.contains(&key) {
            return Err(invalid(name, format!("unknown key `{key}`")));
        }
        table.insert(key, value);
    }
    Ok(())
}

fn env_overrides(
    env: impl IntoIterator<Item = (String, String)>,
) -> Result<Vec<Override>, ConfigError> {
    let known = known_keys();
    let mut out = Vec::new();
    for (name, value) in env {
        let Some(key) = name.strip_prefix(ENV_PREFIX) else {
            continue;
        };
        if ENV_NOT_KEYS.contains(&name.as_str()) {
            continue;
        }
        let key = key.to_ascii_lowercase();
        if !known.contains(&key) {
            return Err(invalid("environment", format!("unknown variable `{name}`")));
        }
        out.push((key, value));
    }
    Ok(out)
}

fn apply_overrides(
    table: &mut toml::Table,
    overrides: &[Override],
    layer: &str,
) -> Result<(), ConfigError> {
    let known = known_keys();
    for (key, raw) in overrides {
        if !known.contains(key) {
            return Err(invalid(layer, format!("unknown key `{key}`")));
        }
        table.insert(key.clone(), parse_value(raw));
    }
    Ok(())
}

/// Reads an override value: a TOML integer, float or boolean when it parses as one, else a
/// string (so `data_dir=/tmp/x` needs no quotes).
fn parse_value(raw: &str) -> toml::Value {
    if let Ok(i) = raw.parse::<i64>() {
        return toml::Value::Integer(i);
    }
    if let Ok(b) = raw.parse::<bool>() {
        return toml::Value::Boolean(b);
    }
    toml::Value::String(raw.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Layers apply in order: file < environment < flags.
    #[test]
    fn layers_override_in_order() {
        let dir = std::env::temp_dir().join(format!("ferrocket-config-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let file = dir.join("broker.toml");
        std::fs::write(&file, "flush_interval_ms = 100\nbroker_name = \"b1\"\n").unwrap();
        let env = vec![("FERROCKET_FLUSH_INTERVAL_MS".to_owned(), "200".to_owned())];
        let flags = vec![("broker_name".to_owned(), "b2".to_owned())];
        let config = BrokerConfig::load(Some(&file), env, &flags).unwrap();
        assert_eq!(config.flush_interval_ms, 200);
        assert_eq!(config.broker_name, "b2");
        std::fs::remove_dir_all(&dir).unwrap();
    }

    /// Unknown keys are refused, naming the key, in every layer.
    #[test]
    fn unknown_keys_are_errors() {
        let env = vec![("FERROCKET_FLUSH_INTERVAL".to_owned(), "1".to_owned())];
        let err = BrokerConfig::load(None, env, &[]).unwrap_err().to_string();
        assert!(err.contains("FERROCKET_FLUSH_INTERVAL"), "{err}");
        let flags = vec![("nope".to_owned(), "1".to_owned())];
        let err = BrokerConfig::load(None, Vec::new(), &flags)
            .unwrap_err()
            .to_string();
        assert!(err.contains("nope"), "{err}");
    }

    /// A value of the wrong type is refused with a message naming the key.
    #[test]
    fn wrong_types_are_errors() {
        let flags = vec![("flush_interval_ms".to_owned(), "soon".to_owned())];
        let err = BrokerConfig::load(None, Vec::new(), &flags)
            .unwrap_err()
            .to_string();
        assert!(err.contains("flush_interval_ms"), "{err}");
    }

    /// The printed config parses back to the same config.
    #[test]
    fn printed_config_roundtrips() {
        let config = BrokerConfig::default();
        let parsed: BrokerConfig = toml::from_str(&config.to_toml()).unwrap();
        assert_eq!(parsed, config);
    }
}
