//! Torn and corrupt commit-log tails written straight into a segment file while the store is
//! closed (real mmap backend), plus torn consume-queue entries (simulator).

use std::fs::{self, OpenOptions};
use std::io::{Seek, SeekFrom, Write};
use std::sync::Arc;

use super::*;
use crate::store::SimStorage;

/// Writes `bytes` at `offset` of a commit-log segment file.
fn poke(dir: &Path, base: u64, offset: u64, bytes: &[u8]) {
    let path = dir.join("commitlog").join(format!("{base:020}"));
    let mut file = OpenOptions::new().write(true).open(path).unwrap();
    file.seek(SeekFrom::Start(offset)).unwrap();
    file.write_all(bytes).unwrap();
    file.sync_all().unwrap();
}

/// Garbage after the end (a half-written record) is truncated and reported, never served,
/// and new appends continue at the truncation point.
#[tokio::test]
async fn torn_tail_after_the_end_is_truncated() {
    let dir = TempDir::new("torn-tail");
    let store = Store::open(small_config(dir.path())).unwrap();
    let inputs: Vec<Vec<u8>> = (0..5).map(|i| record("t", None, 1000, i)).collect();
    append(&store, "t", 0, &inputs).await;
    let end = store.commit_log_max_offset();
    store.shutdown().unwrap();
    drop(store);
    // Half of a copy of the first record, as a crash in the middle of a write leaves it.
    let half = &inputs[0][..inputs[0].len() / 2];
    poke(dir.path(), 0, end, half);
    let store = Store::open(small_config(dir.path())).unwrap();
    let report = store.recovery_report().clone();
    assert_eq!(report.commit_log_end, end);
    let last_non_zero = half.iter().rposition(|b| *b != 0).unwrap() as u64 + 1;
    assert_eq!(report.truncated_bytes, last_non_zero);
    assert!(report.tail_error.is_some());
    let segment = fs::read(dir.path().join("commitlog").join(format!("{:020}", 0))).unwrap();
    assert!(
        segment[end as usize..].iter().all(|b| *b == 0),
        "the torn tail is zeroed"
    );
    assert_eq!(read_all(&store, "t", 0).len(), 5);
    let next = append(&store, "t", 0, &[record("t", None, 10, 99)]).await;
    assert_eq!((next.commit_log_offset, next.queue_offset), (end, 5));
    assert_eq!(read_all(&store, "t", 0).len(), 6);
    store.shutdown().unwrap();
}

/// A bit flip in the last record (checkpoint lost, so the whole log is rescanned) ends the
/// log before that record: it is reported, never served, and its offsets are reused.
#[tokio::test]
async fn bit_flipped_last_record_is_dropped() {
    let dir = TempDir::new("bit-flip");
    let store = Store::open(small_config(dir.path())).unwrap();
    let inputs: Vec<Vec<u8>> = (0..4).map(|i| record("t", None, 2000, i)).collect();
    append(&store, "t", 0, &inputs).await;
    append(&store, "u", 1, &[record("u", None, 10, 7)]).await;
    let last = append(&store, "t", 0, &[record("t", None, 3000, 9)]).await;
    let last_len = record("t", None, 3000, 9).len() as u64;
    store.shutdown().unwrap();
    drop(store);
    fs::remove_file(dir.path().join("checkpoint")).unwrap();
    poke(dir.path(), 0, last.commit_log_offset + 500, &[0x55]);
    let store = Store::open(small_config(dir.path())).unwrap();
    let report = store.recovery_report().clone();
    assert!(report.clean_shutdown && !report.checkpoint_used);
    assert_eq!(report.commit_log_end, last.commit_log_offset);
    assert_eq!(report.truncated_bytes, last_len);
    assert_eq!(
        store.max_offset("t", 0),
        4,
        "the corrupt record has no entry"
    );
    assert!(store.read_record(last.commit_log_offset).is_none());
    assert_eq!(
        store.read("t", 0, 4, 10, 1 << 20, &|_| true).status,
        ReadStatus::NoNewMessage
    );
    assert_eq!(read_all(&store, "u", 1).len(), 1);
    let next = append(&store, "t", 0, &[record("t", None, 10, 10)]).await;
    assert_eq!(
        (next.commit_log_offset, next.queue_offset),
        (last.commit_log_offset, 4)
    );
    store.shutdown().unwrap();
}

/// A corrupt record inside the log (below the checkpoint) is never served: the read stops
/// before it.
#[tokio::test]
async fn corrupt_record_is_never_served() {
    let dir = TempDir::new("corrupt-read");
    let store = Store::open(small_config(dir.path())).unwrap();
    let inputs: Vec<Vec<u8>> = (0..3).map(|i| record("t", None, 500, i)).collect();
    let first = append(&store, "t", 0, &inputs).await;
    store.shutdown().unwrap();
    drop(store);
    let second = first.commit_log_offset + inputs[0].len() as u64;
    poke(dir.path(), 0, second + 300, &[0xAA]);
    let store = Store::open(small_config(dir.path())).unwrap();
    let r = store.read("t", 0, 0, 10, 1 << 20, &|_| true);
    assert_eq!(
        (r.records.len(), r.next_offset),
        (1, 1),
        "stops before the corrupt record"
    );
    let r = store.read("t", 0, 1, 10, 1 << 20, &|_| true);
    assert!(r.records.is_empty() && r.next_offset == 1);
    assert!(store.read_record(second).is_none());
    store.shutdown().unwrap();
}

/// After a power loss, consume-queue entries past the checkpoint (here one torn and one
/// garbage entry beyond the end) are dropped and rebuilt from the commit log, and entries
/// covered by the checkpoint are kept.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn torn_consume_queue_entries_are_rebuilt() {
    let dir = TempDir::new("torn-cq");
    let sim = Arc::new(SimStorage::new());
    let mut config = small_config(dir.path());
    config.flush_mode = crate::store::FlushMode::Sync;
    let store = Store::open_with(config.clone(), sim.clone()).unwrap();
    let mut positions = Vec::new();
    for i in 0..130u64 {
        let result = append(&store, "t", 0, &[record("t", None, 100, i)]).await;
        assert_eq!(result.flush, crate::store::FlushOutcome::Done);
        positions.push(result.commit_log_offset);
        if i == 60 {
            store.flush().unwrap();
        }
    }
    let cq_file = dir
        .path()
        .join("consumequeue/t/0")
        .join(format!("{:020}", 100 * 20));
    sim.corrupt(&cq_file, 5 * 20 + 8, &[0; 12]).unwrap();
    sim.corrupt(&cq_file, 35 * 20, &[0xEE; 20]).unwrap();
    store.abandon();
    sim.crash(true, 7);
    drop(store);
    let store = Store::open_with(config, sim.clone()).unwrap();
    let report = store.recovery_report().clone();
    assert!(report.checkpoint_used && report.scanned_from >= positions[61]);
    let after_checkpoint = positions
        .iter()
        .filter(|p| **p >= report.scanned_from)
        .count();
    assert_eq!(
        report.consume_queue_entries_rebuilt,
        after_checkpoint as u64
    );
    let all = read_all(&store, "t", 0);
    assert_eq!(all.len(), 130);
    for (i, rec) in all.iter().enumerate() {
        assert_eq!(body_of(rec), body_of(&record("t", None, 100, i as u64)));
    }
    let beyond = sim.file_bytes(&cq_file).unwrap();
    assert!(
        beyond[30 * 20..].iter().all(|b| *b == 0),
        "garbage past the end is gone"
    );
    store.shutdown().unwrap();
}

/// A record corrupted after its append but before dispatch is skipped by dispatch (logged,
/// never served) while later records still reach consumers.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn record_corrupted_before_dispatch_is_skipped() {
    let dir = TempDir::new("corrupt-dispatch");
    let sim = Arc::new(SimStorage::new());
    let mut config = small_config(dir.path());
    config.flush_mode = crate::store::FlushMode::Sync;
    config.flush_interval_ms = 3_600_000;
    let store = Store::open_with(config, sim.clone()).unwrap();
    append(&store, "t", 0, &[record("t", None, 100, 0)]).await;
    // Hold the record back from dispatch: its group commit fails.
    let log = dir.path().join("commitlog");
    sim.fail_next_flushes(&log, 1);
    let held = append(&store, "t", 0, &[record("t", None, 100, 1)]).await;
    assert_eq!(held.flush, crate::store::FlushOutcome::Timeout);
    sim.corrupt(
        &log.join(format!("{:020}", 0)),
        held.commit_log_offset + 200,
        &[0xFF],
    )
    .unwrap();
    let reported = try_append(&store, "t", 0, &[record("t", None, 100, 2)], true).await;
    assert!(matches!(reported, Err(StoreError::Io { .. })));
    let after = append(&store, "t", 0, &[record("t", None, 100, 3)]).await;
    assert_eq!(
        (after.flush, after.queue_offset),
        (crate::store::FlushOutcome::Done, 2)
    );
    let served: Vec<Vec<u8>> = read_all(&store, "t", 0)
        .iter()
        .map(|r| body_of(r))
        .collect();
    let want: Vec<Vec<u8>> = [0, 3]
        .iter()
        .map(|i| body_of(&record("t", None, 100, *i)))
        .collect();
    assert_eq!(served, want);
    assert!(store.read_record(held.commit_log_offset).is_none());
    store.shutdown().unwrap();
}
