//! Crash recovery: a process kill (`abandon` on the mmap backend) and power losses
//! (`SimStorage::crash`, with torn pages) in SYNC and ASYNC mode.

use std::collections::HashMap;
use std::fs;
use std::sync::Arc;

use tokio::sync::mpsc;

use super::*;
use crate::store::{FlushMode, FlushOutcome, SimStorage};

/// After `abandon` (a process kill: the page cache survives) everything appended is there;
/// with the consume queues and the checkpoint deleted, the queues are rebuilt from the log.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn recovery_after_abandon() {
    let dir = TempDir::new("abandon");
    let config = small_config(dir.path());
    let store = Store::open(config.clone()).unwrap();
    let mut inputs: Vec<Vec<Vec<u8>>> = vec![Vec::new(); 3];
    for i in 0..60u64 {
        let input = record("k", None, 20_000 + i as usize * 7, i);
        let q = (i % 3) as u32;
        append(&store, "k", q, std::slice::from_ref(&input)).await;
        inputs[q as usize].push(input);
    }
    store.abandon();
    let end = store.commit_log_max_offset();
    assert!(end > SEG, "the data crosses a segment");
    drop(store);
    let check = |store: &Store| {
        for (q, expected) in inputs.iter().enumerate() {
            let got: Vec<Vec<u8>> = read_all(store, "k", q as u32)
                .iter()
                .map(|r| body_of(r))
                .collect();
            let want: Vec<Vec<u8>> = expected.iter().map(|r| body_of(r)).collect();
            assert_eq!(got, want);
        }
    };
    let store = Store::open(config.clone()).unwrap();
    let report = store.recovery_report().clone();
    assert!(!report.clean_shutdown);
    assert_eq!((report.commit_log_end, report.truncated_bytes), (end, 0));
    check(&store);
    store.abandon();
    drop(store);
    fs::remove_dir_all(dir.path().join("consumequeue")).unwrap();
    fs::remove_file(dir.path().join("checkpoint")).unwrap();
    let store = Store::open(config).unwrap();
    let report = store.recovery_report().clone();
    assert!(!report.checkpoint_used);
    assert_eq!((report.scanned_from, report.records_scanned), (0, 60));
    assert_eq!(report.consume_queue_entries_rebuilt, 60);
    check(&store);
    store.shutdown().unwrap();
}

/// SYNC mode under power loss with torn pages: every append answered `Done` survives
/// byte-identical at its offsets, every record served is one that was appended, and queue
/// offsets stay dense; over several seeds and crash points.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn power_loss_sync_keeps_every_acknowledged_append() {
    for seed in 0..8 {
        power_loss_round(seed, FlushMode::Sync).await;
    }
}

/// ASYNC mode under power loss with torn pages: recovery ends at a clean record boundary at
/// or after the flushed offset, and every record served is valid and one that was appended.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn power_loss_async_ends_at_a_clean_boundary() {
    for seed in 100..106 {
        power_loss_round(seed, FlushMode::Async).await;
    }
}

/// One append that returned `Ok`.
struct Acked {
    queue_id: u32,
    records: Vec<Vec<u8>>,
    result: AppendResult,
}

const WRITERS: u32 = 4;

async fn writer(store: Arc<Store>, queue_id: u32, seed: u64, acked: mpsc::Sender<Acked>) {
    for i in 0..40u64 {
        let n = seed * 1000 + u64::from(queue_id) * 100 + i;
        let body = match n % 7 {
            0 => 90_000,
            k => 50 + (k as usize) * 700,
        };
        let records: Vec<Vec<u8>> = (0..1 + n % 3)
            .map(|j| record("p", None, body, n * 10 + j))
            .collect();
        match try_append(&store, "p", queue_id, &records, i % 4 != 3).await {
            Ok(result) => {
                let _ = acked
                    .send(Acked {
                        queue_id,
                        records,
                        result,
                    })
                    .await;
            }
            Err(StoreError::ShuttingDown) => return,
            Err(e) => panic!("append failed: {e}"),
        }
        // ASYNC appends never wait: yield so the writers interleave.
        tokio::task::yield_now().await;
    }
}

async fn power_loss_round(seed: u64, mode: FlushMode) {
    let dir = TempDir::new("power");
    let sim = Arc::new(SimStorage::new());
    sim.set_flush_delay(Duration::from_micros(300));
    let mut config = small_config(dir.path());
    config.flush_mode = mode;
    config.flush_interval_ms = 5;
    let store = Store::open_with(config.clone(), sim.clone()).unwrap();
    let (tx, mut rx) = mpsc::channel(64);
    let writers: Vec<_> = (0..WRITERS)
        .map(|q| tokio::spawn(writer(store.clone(), q, seed, tx.clone())))
        .collect();
    drop(tx);
    let crash_after = 20 + (seed % 10) * 9;
    let mut acked = Vec::new();
    while acked.len() < crash_after as usize {
        let Some(a) = rx.recv().await else { break };
        acked.push(a);
        if seed.is_multiple_of(2) && acked.len() == crash_after as usize / 2 {
            store.flush().unwrap();
        }
    }
    store.abandon();
    let flushed_at_crash = store.flushed_offset();
    sim.crash(true, seed);
    while let Some(a) = rx.recv().await {
        acked.push(a);
    }
    for w in writers {
        w.await.unwrap();
    }
    drop(store);
    let store = Store::open_with(config, sim.clone()).unwrap();
    let report = store.recovery_report().clone();
    assert!(!report.clean_shutdown);
    assert!(
        report.commit_log_end >= flushed_at_crash,
        "seed {seed}: lost flushed data"
    );
    verify_after_crash(&store, &acked, mode, flushed_at_crash, seed);
    store.shutdown().unwrap();
}

/// Commit-log offsets of the records of a batch whose first record is at `first`.
fn placements(first: u64, records: &[Vec<u8>]) -> Vec<u64> {
    let mut out = Vec::new();
    let mut pos = first;
    for record in records {
        let len = record.len() as u64;
        if (pos % SEG) + len > SEG {
            pos = pos - pos % SEG + SEG;
        }
        out.push(pos);
        pos += len;
    }
    out
}

fn verify_after_crash(store: &Store, acked: &[Acked], mode: FlushMode, flushed: u64, seed: u64) {
    let mut expected: HashMap<(u32, u64), Vec<u8>> = HashMap::new();
    let mut must: Vec<(u32, u64)> = Vec::new();
    for a in acked {
        let positions = placements(a.result.commit_log_offset, &a.records);
        for (j, (input, pos)) in a.records.iter().zip(&positions).enumerate() {
            let offset = a.result.queue_offset + j as u64;
            let stored = stored_form(input, a.queue_id, offset, *pos, &a.result);
            let survives = match mode {
                FlushMode::Sync => a.result.flush == FlushOutcome::Done,
                FlushMode::Async => pos + input.len() as u64 <= flushed,
            };
            if survives {
                must.push((a.queue_id, offset));
            }
            expected.insert((a.queue_id, offset), stored);
        }
    }
    let mut recovered = 0;
    for q in 0..WRITERS {
        for (i, got) in read_all(store, "p", q).iter().enumerate() {
            let want = expected.get(&(q, i as u64));
            assert_eq!(
                want.map(Vec::as_slice),
                Some(&got[..]),
                "seed {seed} queue {q} offset {i}"
            );
            recovered += 1;
        }
    }
    for (q, offset) in must {
        assert!(
            offset < store.max_offset("p", q),
            "seed {seed}: acknowledged {q}/{offset} lost"
        );
    }
    assert!(recovered > 0 || flushed == 0);
}
