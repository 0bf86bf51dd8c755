//! The checkpoint file: how far the commit log is durable and up to where every record has a
//! durable consume-queue entry, so recovery rescans only the tail.
//!
//! Layout (36 bytes, big-endian; `spec/storage.md` is the contract):
//!
//! ```text
//! off len field
//!   0   4 magic (CHECKPOINT_MAGIC)
//!   4   2 version (1)
//!   6   2 reserved, zero
//!   8   8 commit_log_flushed     every commit-log byte below is durable
//!  16   8 consume_queue_safe     every record below has a durable consume-queue entry
//!  24   8 written_at_ms          wall-clock time of the write
//!  32   4 crc32 of bytes [0, 32)
//! ```
//!
//! Written with `atomic_file::write`, so a reader sees a whole old or a whole new checkpoint.

use std::io;
use std::path::Path;

use crate::store::atomic_file;

/// Magic of the checkpoint file.
pub(crate) const CHECKPOINT_MAGIC: u32 = 0xF3C0_C4E7;
/// Format version of the checkpoint file.
pub(crate) const CHECKPOINT_VERSION: u16 = 1;
/// Bytes of the checkpoint file.
pub(crate) const CHECKPOINT_LEN: usize = 36;

/// The decoded checkpoint.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Checkpoint {
    /// Every commit-log byte below this offset is durable.
    pub(crate) commit_log_flushed: u64,
    /// Every record below this commit-log offset has a durable consume-queue entry.
    pub(crate) consume_queue_safe: u64,
    /// When the checkpoint was written, in milliseconds since the epoch.
    pub(crate) written_at_ms: u64,
}

impl Checkpoint {
    /// The 36 bytes of the file.
    pub(crate) fn encode(&self) -> [u8; CHECKPOINT_LEN] {
        assert!(
            self.consume_queue_safe <= self.commit_log_flushed,
            "checkpoint claims consume-queue safety past the flushed commit log"
        );
        let mut out = [0u8; CHECKPOINT_LEN];
        out[0..4].copy_from_slice(&CHECKPOINT_MAGIC.to_be_bytes());
        out[4..6].copy_from_slice(&CHECKPOINT_VERSION.to_be_bytes());
        out[8..16].copy_from_slice(&self.commit_log_flushed.to_be_bytes());
        out[16..24].copy_from_slice(&self.consume_queue_safe.to_be_bytes());
        out[24..32].copy_from_slice(&self.written_at_ms.to_be_bytes());
        let crc = crc32fast::hash(&out[..32]);
        out[32..36].copy_from_slice(&crc.to_be_bytes());
        out
    }

    /// Decodes and checks the file's bytes; the error says what is wrong.
    pub(crate) fn decode(bytes: &[u8]) -> Result<Checkpoint, &'static str> {
        if bytes.len() != CHECKPOINT_LEN {
            return Err("wrong length");
        }
        let u64_at = |at: usize| ferrocket::protocol::record::read_u64(bytes, at);
        let u32_at = |at: usize| ferrocket::protocol::record::read_u32(bytes, at);
        if u32_at(0) != CHECKPOINT_MAGIC {
            return Err("bad magic");
        }
        if u32_at(32) != crc32fast::hash(&bytes[..32]) {
            return Err("crc mismatch");
        }
        if u32_at(4) != u32::from(CHECKPOINT_VERSION) << 16 {
            return Err("unknown version or non-zero reserved bytes");
        }
        let checkpoint = Checkpoint {
            commit_log_flushed: u64_at(8),
            consume_queue_safe: u64_at(16),
            written_at_ms: u64_at(24),
        };
        if checkpoint.consume_queue_safe > checkpoint.commit_log_flushed {
            return Err("consume_queue_safe is past commit_log_flushed");
        }
        Ok(checkpoint)
    }

    /// Reads the checkpoint at `path`: `Ok(None)` when missing, `Ok(Some(Err(why)))` when
    /// corrupt.
    pub(crate) fn load(path: &Path) -> io::Result<Option<Result<Checkpoint, &'static str>>> {
        match std::fs::read(path) {
            Ok(bytes) => Ok(Some(Checkpoint::decode(&bytes))),
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// Writes the checkpoint atomically and durably.
    pub(crate) fn store(&self, path: &Path) -> io::Result<()> {
        atomic_file::write(path, &self.encode())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A checkpoint round-trips, and every single-bit flip or truncation is rejected.
    #[test]
    fn roundtrip_and_corruption() {
        let cp = Checkpoint {
            commit_log_flushed: 5000,
            consume_queue_safe: 4096,
            written_at_ms: 1_700_000_000_000,
        };
        let bytes = cp.encode();
        assert_eq!(Checkpoint::decode(&bytes), Ok(cp));
        for bit in 0..CHECKPOINT_LEN * 8 {
            let mut bad = bytes;
            bad[bit / 8] ^= 1 << (bit % 8);
            assert!(Checkpoint::decode(&bad).is_err(), "bit {bit}");
        }
        for cut in 0..CHECKPOINT_LEN {
            assert!(Checkpoint::decode(&bytes[..cut]).is_err());
        }
    }
}
