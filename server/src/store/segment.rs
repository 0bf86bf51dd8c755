//! The storage seam: `Segment` (one preallocated file) and `Storage` (creating, opening,
//! listing and removing them), so tests can swap the mmap backend for a fault-injecting one.
//!
//! Commit-log segments and consume-queue files both go through these traits; the checkpoint,
//! the abort marker and the lock file are small and go straight to the file system (see
//! `atomic_file`). Contract every backend keeps:
//!
//! - a created file is zero-filled, has its space reserved and its directory entry durable;
//! - `write` and `read_into` are bounds-checked and never extend a file;
//! - `flush(offset, len)` returns only once that range is durable (or returns the error);
//! - bytes handed out by `slice` are never changed by a later `write` of the store, because
//!   the store only writes ranges that no reader has been shown yet.

use std::fmt::Debug;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use bytes::Bytes;

/// Total and used bytes of the file system (or quota) that holds the store.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DiskUsage {
    /// Bytes the store may use in all (used plus available).
    pub total_bytes: u64,
    /// Bytes in use.
    pub used_bytes: u64,
}

impl DiskUsage {
    /// Used bytes as a percentage of the total (100 when the total is zero).
    pub fn percent(&self) -> f64 {
        if self.total_bytes == 0 {
            return 100.0;
        }
        // Precision loss above 2^53 bytes is irrelevant for a percentage.
        self.used_bytes as f64 * 100.0 / self.total_bytes as f64
    }
}

/// One fixed-size, preallocated file addressed by byte offset.
pub trait Segment: Send + Sync + Debug {
    /// Length of the file in bytes; it never changes.
    fn len(&self) -> u64;

    /// True when the file has no bytes (never for a file the store created).
    fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Copies `data` to `offset`; the range must lie inside the file.
    fn write(&self, offset: u64, data: &[u8]) -> io::Result<()>;

    /// Fills `buf` from `offset`; the range must lie inside the file.
    fn read_into(&self, offset: u64, buf: &mut [u8]) -> io::Result<()>;

    /// The bytes at `offset..offset + len` as `Bytes` (zero-copy for the mmap backend).
    fn slice(self: Arc<Self>, offset: u64, len: usize) -> io::Result<Bytes>;

    /// Makes the range durable (msync or fdatasync of the range).
    fn flush(&self, offset: u64, len: u64) -> io::Result<()>;
}

/// Creates, opens, lists and removes segment files.
pub trait Storage: Send + Sync + Debug {
    /// Creates a new zero-filled file of `len` bytes with its space reserved and its directory
    /// entry durable, creating parent directories as needed. Fails if the file exists.
    fn create_segment(&self, path: &Path, len: u64) -> io::Result<Arc<dyn Segment>>;

    /// Opens an existing file.
    fn open_segment(&self, path: &Path) -> io::Result<Arc<dyn Segment>>;

    /// Removes a file, or an empty directory, durably.
    fn remove(&self, path: &Path) -> io::Result<()>;

    /// The entries of `dir` (files and directories), sorted; empty if `dir` does not exist.
    fn list(&self, dir: &Path) -> io::Result<Vec<PathBuf>>;

    /// Total and used bytes of the file system holding `dir`.
    fn disk_usage(&self, dir: &Path) -> io::Result<DiskUsage>;
}

/// Checks that `offset..offset + len` lies inside a file of `file_len` bytes and returns the
/// offset as a `usize`.
pub(crate) fn check_range(file_len: u64, offset: u64, len: usize) -> io::Result<usize> {
    let len = u64::try_from(len).map_err(|_| out_of_range(file_len, offset, u64::MAX))?;
    match offset.checked_add(len) {
        Some(end) if end <= file_len => {
            usize::try_from(offset).map_err(|_| out_of_range(file_len, offset, len))
        }
        _ => Err(out_of_range(file_len, offset, len)),
    }
}

fn out_of_range(file_len: u64, offset: u64, len: u64) -> io::Error {
    io::Error::new(
        io::ErrorKind::InvalidInput,
        format!("range {offset}+{len} is outside a file of {file_len} bytes"),
    )
}
