//! The transaction op log: `{data_dir}/config/transaction_ops`, one 32-byte entry per event of
//! a half message (committed, rolled back, discarded, checked), appended as it happens, so the
//! state of every transaction survives a restart. Layout (`spec/storage.md` §12), big-endian:
//!
//! ```text
//! 0 magic u32 = 0xF3C07A01 · 4 op u8 · 5 reserved u8 · 6 checks u16 · 8 half_offset u64
//! 16 at_ms u64 · 24 reserved u32 · 28 crc32 of [0, 28) u32
//! ```
//!
//! Loading stops at the first entry that fails its magic or CRC (a torn tail) and cuts the
//! file there. Writes go to the page cache at once (a process kill keeps them) and are synced
//! with the broker's periodic flush.

use std::collections::HashMap;
use std::fs::{File, OpenOptions};
use std::io::{Read, Write};
use std::path::Path;

/// Magic of an op-log entry.
pub const OP_MAGIC: u32 = 0xF3C0_7A01;
/// Bytes of one entry.
pub const OP_LEN: usize = 32;

/// What happened to a half message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    /// Made visible.
    Commit,
    /// Discarded by the producer.
    Rollback,
    /// Discarded after the maximum number of checks (copied to `TRANS_CHECK_MAX_TIME_TOPIC`).
    Discard,
    /// A check-back was sent; `checks` counts them so far.
    Check,
}

impl Op {
    fn code(self) -> u8 {
        match self {
            Op::Commit => 1,
            Op::Rollback => 2,
            Op::Discard => 3,
            Op::Check => 4,
        }
    }

    fn from_code(code: u8) -> Option<Op> {
        Some(match code {
            1 => Op::Commit,
            2 => Op::Rollback,
            3 => Op::Discard,
            4 => Op::Check,
            _ => return None,
        })
    }
}

/// What the op log says: resolved half messages and the check count of the others.
#[derive(Debug, Default)]
pub struct Replayed {
    /// Commit-log offsets of half messages that are committed, rolled back or discarded.
    pub resolved: HashMap<u64, Op>,
    /// Checks sent so far per unresolved half message.
    pub checks: HashMap<u64, u16>,
}

/// The open op log.
#[derive(Debug)]
pub struct OpLog {
    file: File,
}

impl OpLog {
    /// Opens (creating) the log and replays it, cutting a torn tail.
    pub fn open(path: &Path) -> std::io::Result<(OpLog, Replayed)> {
        let mut file = OpenOptions::new()
            .read(true)
            .append(true)
            .create(true)
            .open(path)?;
        let mut bytes = Vec::new();
        file.read_to_end(&mut bytes)?;
        let mut replayed = Replayed::default();
        let mut valid = 0;
        for entry in bytes.chunks_exact(OP_LEN) {
            let Some((op, checks, offset)) = decode(entry) else {
                break;
            };
            match op {
                Op::Check => {
                    replayed.checks.insert(offset, checks);
                }
                _ => {
                    replayed.checks.remove(&offset);
                    replayed.resolved.insert(offset, op);
                }
            }
            valid += OP_LEN;
        }
        if valid != bytes.len() {
            tracing::warn!(path = %path.display(), valid, len = bytes.len(), "transaction op log: cutting a torn tail");
            file.set_len(valid as u64)?;
        }
        Ok((OpLog { file }, replayed))
    }

    /// Appends one entry.
    pub fn append(
        &mut self,
        op: Op,
        half_offset: u64,
        checks: u16,
        at_ms: u64,
    ) -> std::io::Result<()> {
        self.file.write_all(&encode(op, half_offset, checks, at_ms))
    }

    /// Makes the entries durable.
    pub fn sync(&self) -> std::io::Result<()> {
        self.file.sync_data()
    }
}

fn encode(op: Op, half_offset: u64, checks: u16, at_ms: u64) -> [u8; OP_LEN] {
    let mut e = [0u8; OP_LEN];
    e[0..4].copy_from_slice(&OP_MAGIC.to_be_bytes());
    e[4] = op.code();
    e[6..8].copy_from_slice(&checks.to_be_bytes());
    e[8..16].copy_from_slice(&half_offset.to_be_bytes());
    e[16..24].copy_from_slice(&at_ms.to_be_bytes());
    let crc = crc32fast::hash(&e[..28]);
    e[28..32].copy_from_slice(&crc.to_be_bytes());
    e
}

fn decode(e: &[u8]) -> Option<(Op, u16, u64)> {
    let word = |at: usize| u32::from_be_bytes([e[at], e[at + 1], e[at + 2], e[at + 3]]);
    if word(0) != OP_MAGIC || word(28) != crc32fast::hash(&e[..28]) || e[5] != 0 || word(24) != 0 {
        return None;
    }
    let op = Op::from_code(e[4])?;
    let checks = u16::from_be_bytes([e[6], e[7]]);
    let mut offset = [0u8; 8];
    offset.copy_from_slice(&e[8..16]);
    Some((op, checks, u64::from_be_bytes(offset)))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Entries replay after reopening; a torn tail is cut and later appends follow the cut.
    #[test]
    fn replay_and_torn_tail() {
        let dir = std::env::temp_dir().join(format!("ferrocket-oplog-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("transaction_ops");
        let _ = std::fs::remove_file(&path);
        {
            let (mut log, replayed) = OpLog::open(&path).unwrap();
            assert!(replayed.resolved.is_empty());
            log.append(Op::Check, 100, 1, 5).unwrap();
            log.append(Op::Check, 200, 2, 5).unwrap();
            log.append(Op::Commit, 100, 0, 6).unwrap();
        }
        let mut bytes = std::fs::read(&path).unwrap();
        bytes.extend_from_slice(&[0xF3, 0xC0, 0x7A]);
        std::fs::write(&path, &bytes).unwrap();
        let (mut log, replayed) = OpLog::open(&path).unwrap();
        assert_eq!(replayed.resolved.get(&100), Some(&Op::Commit));
        assert_eq!(replayed.checks.get(&200), Some(&2));
        assert!(!replayed.checks.contains_key(&100));
        log.append(Op::Rollback, 200, 0, 7).unwrap();
        drop(log);
        assert_eq!(std::fs::metadata(&path).unwrap().len(), 4 * OP_LEN as u64);
        let (_, replayed) = OpLog::open(&path).unwrap();
        assert_eq!(replayed.resolved.get(&200), Some(&Op::Rollback));
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
