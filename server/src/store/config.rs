//! `StoreConfig` and `FlushMode`: every knob of the store, with RocketMQ's defaults from
//! `ferrocket::limits`, and `validate`, which checks them before anything touches the disk.
//!
//! The config deserializes from a `[store]` TOML table (missing fields take their defaults), so
//! the broker can embed it in `broker.toml`.

use std::net::SocketAddr;
use std::path::PathBuf;

use ferrocket::limits::{
    CONSUME_QUEUE_ENTRIES_PER_FILE_DEFAULT, CONSUME_QUEUE_ENTRY_LEN, DELETE_HOUR_DEFAULT,
    DISK_USAGE_CLEAN_PERCENT_DEFAULT, DISK_USAGE_FORCE_CLEAN_PERCENT_DEFAULT,
    DISK_USAGE_REFUSE_PERCENT_DEFAULT, FILE_RESERVED_HOURS_DEFAULT, FLUSH_INTERVAL_MS_DEFAULT,
    INDEX_ENTRY_COUNT_DEFAULT, INDEX_SLOT_COUNT_DEFAULT, RETENTION_CHECK_INTERVAL_MS_DEFAULT,
    SEGMENT_SIZE_DEFAULT, SEGMENT_SIZE_MAX, SEGMENT_SIZE_MIN, STORE_PENDING_SENDS_MAX_DEFAULT,
    SYNC_FLUSH_TIMEOUT_MS_DEFAULT,
};
use serde::{Deserialize, Serialize};

use crate::store::error::StoreError;

/// Largest consume-queue file accepted in a config, in bytes (RocketMQ's default is ~5.7 MiB).
const CONSUME_QUEUE_FILE_LEN_MAX: u64 = 1024 * 1024 * 1024;
/// Longest period accepted for the timers of the store (one day), in milliseconds.
const PERIOD_MS_MAX: u64 = 24 * 3600 * 1000;

/// When an append is acknowledged relative to the disk.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum FlushMode {
    /// Acknowledge once in the page cache; a flusher syncs every `flush_interval_ms`
    /// (RocketMQ's `ASYNC_FLUSH`, the default).
    #[default]
    Async,
    /// Acknowledge once synced to disk, with group commit (RocketMQ's `SYNC_FLUSH`).
    Sync,
}

/// RocketMQ's 18 delay levels: 1s 5s 10s 30s 1m 2m 3m 4m 5m 6m 7m 8m 9m 10m 20m 30m 1h 2h.
pub const DELAY_LEVELS_MS_DEFAULT: [u64; 18] = [
    1_000, 5_000, 10_000, 30_000, 60_000, 120_000, 180_000, 240_000, 300_000, 360_000, 420_000,
    480_000, 540_000, 600_000, 1_200_000, 1_800_000, 3_600_000, 7_200_000,
];

/// Configuration of one store (one broker's data directory).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct StoreConfig {
    /// Directory holding `lock`, `abort`, `checkpoint`, `commitlog/` and `consumequeue/`.
    pub data_dir: PathBuf,
    /// Bytes of one commit-log segment.
    pub segment_size: u64,
    /// Entries of one consume-queue file.
    pub consume_queue_entries_per_file: u64,
    /// Async (default) or sync flushing.
    pub flush_mode: FlushMode,
    /// Period of the async flush, in milliseconds.
    pub flush_interval_ms: u64,
    /// How long a SYNC append waits for its flush before `FlushOutcome::Timeout`, in ms.
    pub sync_flush_timeout_ms: u64,
    /// How long a commit-log segment is kept after its last write, in milliseconds.
    pub file_reserved_ms: u64,
    /// UTC hour (0..=23) in which expired segments are deleted.
    pub delete_hour: u8,
    /// Disk usage (percent) from which expired segments are deleted at once.
    pub disk_usage_clean_percent: u8,
    /// Disk usage (percent) from which the oldest segments are deleted even if unexpired.
    pub disk_usage_force_clean_percent: u8,
    /// Disk usage (percent) from which appends are refused with `StoreError::Full`.
    pub disk_usage_refuse_percent: u8,
    /// `Some(n)`: usage is the store's own bytes over `n` (tests, quotas); `None`: the file
    /// system's usage (statvfs of `data_dir`).
    pub disk_capacity_bytes: Option<u64>,
    /// Period of the retention service, in milliseconds.
    pub retention_check_interval_ms: u64,
    /// Appends that may be in progress at once before `StoreError::Busy`.
    pub pending_sends_max: usize,
    /// Address written into every record's `store_host`.
    pub store_host: SocketAddr,
    /// Hash slots of one index file.
    pub index_slot_count: u32,
    /// Entries of one index file (then a new file is started).
    pub index_entry_count: u32,
    /// Delay of each delay level (level 1 first), in milliseconds; levels past the last clamp
    /// to the last.
    pub delay_levels_ms: Vec<u64>,
}

impl StoreConfig {
    /// A config for `data_dir` with every other field at its default.
    pub fn new(data_dir: impl Into<PathBuf>) -> StoreConfig {
        StoreConfig {
            data_dir: data_dir.into(),
            segment_size: SEGMENT_SIZE_DEFAULT,
            consume_queue_entries_per_file: CONSUME_QUEUE_ENTRIES_PER_FILE_DEFAULT,
            flush_mode: FlushMode::Async,
            flush_interval_ms: FLUSH_INTERVAL_MS_DEFAULT,
            sync_flush_timeout_ms: SYNC_FLUSH_TIMEOUT_MS_DEFAULT,
            file_reserved_ms: FILE_RESERVED_HOURS_DEFAULT * 3600 * 1000,
            delete_hour: DELETE_HOUR_DEFAULT,
            disk_usage_clean_percent: DISK_USAGE_CLEAN_PERCENT_DEFAULT,
            disk_usage_force_clean_percent: DISK_USAGE_FORCE_CLEAN_PERCENT_DEFAULT,
            disk_usage_refuse_percent: DISK_USAGE_REFUSE_PERCENT_DEFAULT,
            disk_capacity_bytes: None,
            retention_check_interval_ms: RETENTION_CHECK_INTERVAL_MS_DEFAULT,
            pending_sends_max: STORE_PENDING_SENDS_MAX_DEFAULT,
            store_host: ferrocket::message::unspecified_addr(),
            index_slot_count: INDEX_SLOT_COUNT_DEFAULT,
            index_entry_count: INDEX_ENTRY_COUNT_DEFAULT,
            delay_levels_ms: DELAY_LEVELS_MS_DEFAULT.to_vec(),
        }
    }

    /// Checks every field against its range; the store calls this in `open`.
    pub fn validate(&self) -> Result<(), StoreError> {
        let bad = |what: String| Err(StoreError::InvalidConfig(what));
        if self.data_dir.as_os_str().is_empty() {
            return bad("data_dir is empty".into());
        }
        if !(SEGMENT_SIZE_MIN..=SEGMENT_SIZE_MAX).contains(&self.segment_size) {
            return bad(format!(
                "segment_size {} is outside {SEGMENT_SIZE_MIN}..={SEGMENT_SIZE_MAX}",
                self.segment_size
            ));
        }
        let entry_len = CONSUME_QUEUE_ENTRY_LEN as u64;
        let cq_max = CONSUME_QUEUE_FILE_LEN_MAX / entry_len;
        if !(1..=cq_max).contains(&self.consume_queue_entries_per_file) {
            return bad(format!(
                "consume_queue_entries_per_file {} is outside 1..={cq_max}",
                self.consume_queue_entries_per_file
            ));
        }
        for (name, value) in [
            ("flush_interval_ms", self.flush_interval_ms),
            ("sync_flush_timeout_ms", self.sync_flush_timeout_ms),
        ] {
            if !(1..=PERIOD_MS_MAX).contains(&value) {
                return bad(format!("{name} {value} is outside 1..={PERIOD_MS_MAX}"));
            }
        }
        if self.retention_check_interval_ms == 0 {
            return bad("retention_check_interval_ms is 0".into());
        }
        if self.delete_hour > 23 {
            return bad(format!(
                "delete_hour {} is not an hour (0..=23)",
                self.delete_hour
            ));
        }
        self.validate_usage()?;
        if self.pending_sends_max == 0 {
            return bad("pending_sends_max is 0".into());
        }
        if self.index_slot_count == 0 || self.index_entry_count == 0 {
            return bad("index_slot_count and index_entry_count must be > 0".into());
        }
        if self.delay_levels_ms.is_empty() || self.delay_levels_ms.len() > usize::from(u8::MAX) {
            return bad("delay_levels_ms must hold 1..=255 levels".into());
        }
        Ok(())
    }

    fn validate_usage(&self) -> Result<(), StoreError> {
        let (clean, force, refuse) = (
            self.disk_usage_clean_percent,
            self.disk_usage_force_clean_percent,
            self.disk_usage_refuse_percent,
        );
        if !(clean < force && force < refuse && refuse <= 100) {
            return Err(StoreError::InvalidConfig(format!(
                "disk usage thresholds must be clean < force-clean < refuse <= 100, \
                 got {clean} / {force} / {refuse}"
            )));
        }
        if self.disk_capacity_bytes == Some(0) {
            return Err(StoreError::InvalidConfig("disk_capacity_bytes is 0".into()));
        }
        Ok(())
    }
}

impl Default for StoreConfig {
    /// The defaults with `data_dir = "ferrocket-data"` (what `standalone` uses).
    fn default() -> StoreConfig {
        StoreConfig::new("ferrocket-data")
    }
}
