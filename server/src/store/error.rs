//! `StoreError`: every way a store operation can fail, with lowercase messages.
//!
//! Operating errors (I/O, a full disk, a busy store, a bad argument) are values of this enum;
//! broken internal invariants are `assert!`s instead and never show up here.

use std::io;
use std::path::PathBuf;

/// Why a store operation failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StoreError {
    /// A file operation failed; `context` says which one and on what.
    #[error("{context}: {source}")]
    Io {
        /// What the store was doing.
        context: String,
        /// The operating-system error.
        source: io::Error,
    },
    /// More than `pending_sends_max` appends are in progress (RocketMQ's `SYSTEM_BUSY`).
    #[error("the store is busy: too many appends in progress")]
    Busy,
    /// Disk usage is at or over `disk_usage_refuse_percent`; appends are refused until a
    /// retention round frees space.
    #[error("disk usage {usage_percent:.1}% is at or over the refuse threshold")]
    Full {
        /// The usage the refusal is based on, in percent.
        usage_percent: f64,
    },
    /// A record is longer than a segment can hold (or than `RECORD_LEN_MAX`).
    #[error("record of {len} bytes is over the limit of {max}")]
    RecordTooLarge {
        /// Length of the refused record.
        len: usize,
        /// The limit it broke.
        max: usize,
    },
    /// A topic name that cannot be stored (empty, too long, or not a safe file name).
    #[error("invalid topic name {0:?}")]
    InvalidTopic(String),
    /// The records of an append batch do not match the batch (count, lengths or topic).
    #[error("invalid append batch: {0}")]
    InvalidBatch(String),
    /// Bytes on disk failed validation; `what` names the file and offset.
    #[error("corrupted {what}")]
    Corrupted {
        /// What was found corrupt, and where.
        what: String,
    },
    /// The store was shut down (or abandoned) and takes no more appends.
    #[error("the store is shutting down")]
    ShuttingDown,
    /// Another store holds the lock of this data directory.
    #[error("data directory {0} is locked by another store")]
    Locked(PathBuf),
    /// A configuration value is out of range.
    #[error("invalid store config: {0}")]
    InvalidConfig(String),
    /// A commit-log offset outside what the store holds (replication: a slave ahead of its
    /// master, or behind the master's retention).
    #[error("commit-log offset {offset} is outside the stored range {min}..={max}")]
    OffsetOutOfRange {
        /// The offset asked for.
        offset: u64,
        /// First offset stored.
        min: u64,
        /// End of the stored data.
        max: u64,
    },
}

impl StoreError {
    /// Wraps an I/O error with what the store was doing.
    pub(crate) fn io(context: impl Into<String>, source: io::Error) -> StoreError {
        StoreError::Io {
            context: context.into(),
            source,
        }
    }

    /// A `Corrupted` error.
    pub(crate) fn corrupted(what: impl Into<String>) -> StoreError {
        StoreError::Corrupted { what: what.into() }
    }
}
