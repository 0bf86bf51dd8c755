//! The scheduler's progress file, `config/timer_progress`: where a restarted scheduler resumes.
//!
//! ```text
//! off len field
//!   0   4 magic 0xF3C0_7133
//!   4   8 delivered_before_ms  every timer below `enqueued` due before this was delivered
//!  12   8 scan_from            lowest timer-queue index that may still be pending
//!  20   8 enqueued             timer-queue index the scheduler had read up to
//!  28   4 crc32 of bytes [0, 28)
//! ```
//!
//! Written with `atomic_file::write` (temp + fsync + rename) after the store is flushed, so the
//! copies it counts as delivered are durable before it says so.

use std::io;
use std::path::Path;

use crate::store::atomic_file;

const MAGIC: u32 = 0xF3C0_7133;
const LEN: usize = 32;

/// Where the scheduler stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Progress {
    /// Every timer with index below `enqueued` due before this time was delivered.
    pub delivered_before_ms: u64,
    /// No timer below this index is pending.
    pub scan_from: u64,
    /// The scheduler had looked at every timer below this index.
    pub enqueued: u64,
}

impl Progress {
    fn encode(&self) -> [u8; LEN] {
        let mut out = [0u8; LEN];
        out[0..4].copy_from_slice(&MAGIC.to_be_bytes());
        out[4..12].copy_from_slice(&self.delivered_before_ms.to_be_bytes());
        out[12..20].copy_from_slice(&self.scan_from.to_be_bytes());
        out[20..28].copy_from_slice(&self.enqueued.to_be_bytes());
        let crc = crc32fast::hash(&out[..28]);
        out[28..32].copy_from_slice(&crc.to_be_bytes());
        out
    }

    fn decode(bytes: &[u8]) -> Option<Progress> {
        let bytes: &[u8; LEN] = bytes.try_into().ok()?;
        let u64_at = |at: usize| {
            let mut b = [0u8; 8];
            b.copy_from_slice(&bytes[at..at + 8]);
            u64::from_be_bytes(b)
        };
        let magic = u32::from_be_bytes([bytes[0], bytes[1], bytes[2], bytes[3]]);
        let crc = u32::from_be_bytes([bytes[28], bytes[29], bytes[30], bytes[31]]);
        if magic != MAGIC || crc != crc32fast::hash(&bytes[..28]) {
            return None;
        }
        Some(Progress {
            delivered_before_ms: u64_at(4),
            scan_from: u64_at(12),
            enqueued: u64_at(20),
        })
    }

    /// Reads the file; `Ok(None)` when it does not exist. A damaged file is an error: starting
    /// over from index 0 would deliver every timer again, so the operator decides.
    pub fn load(path: &Path) -> io::Result<Option<Progress>> {
        match std::fs::read(path) {
            Ok(bytes) => Progress::decode(&bytes).map(Some).ok_or_else(|| {
                io::Error::new(
                    io::ErrorKind::InvalidData,
                    format!(
                        "{} is damaged; delete it to redeliver every pending timer",
                        path.display()
                    ),
                )
            }),
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// Replaces the file atomically and durably.
    pub fn save(&self, path: &Path) -> io::Result<()> {
        atomic_file::write(path, &self.encode())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A saved progress loads back; a flipped byte is refused; a missing file is `None`.
    #[test]
    fn roundtrip_and_damage() {
        let dir = std::env::temp_dir().join(format!("ferrocket-progress-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("timer_progress");
        assert_eq!(Progress::load(&path).unwrap(), None);
        let p = Progress {
            delivered_before_ms: 1_700_000_000_123,
            scan_from: 7,
            enqueued: 42,
        };
        p.save(&path).unwrap();
        assert_eq!(Progress::load(&path).unwrap(), Some(p));
        let mut bytes = std::fs::read(&path).unwrap();
        bytes[5] ^= 1;
        std::fs::write(&path, &bytes).unwrap();
        assert!(Progress::load(&path).is_err());
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
