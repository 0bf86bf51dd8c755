//! SYNC group commit, the flush timeout, flush failures and the pending-send bound.

use std::sync::Arc;

use super::*;
use crate::store::{FlushMode, FlushOutcome, SimStorage};

fn sync_store(
    dir: &TempDir,
    sim: &Arc<SimStorage>,
    tweak: impl FnOnce(&mut StoreConfig),
) -> Arc<Store> {
    let mut config = small_config(dir.path());
    config.flush_mode = FlushMode::Sync;
    tweak(&mut config);
    Store::open_with(config, sim.clone()).unwrap()
}

/// Many concurrent SYNC appends are all acknowledged `Done` with fewer commit-log flushes
/// than appends (one flush acknowledges every append it covers), and all become readable.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn group_commit_covers_many_appends() {
    let dir = TempDir::new("group-commit");
    let sim = Arc::new(SimStorage::new());
    sim.set_flush_delay(Duration::from_millis(2));
    let store = sync_store(&dir, &sim, |_| {});
    let commit_log = dir.path().join("commitlog");
    let flushes_before = sim.flush_count(&commit_log);
    let tasks: Vec<_> = (0..64u64)
        .map(|i| {
            let store = store.clone();
            tokio::spawn(async move {
                let input = record("g", None, 200, i);
                try_append(&store, "g", (i % 4) as u32, &[input], true)
                    .await
                    .unwrap()
            })
        })
        .collect();
    for task in tasks {
        assert_eq!(task.await.unwrap().flush, FlushOutcome::Done);
    }
    let flushes = sim.flush_count(&commit_log) - flushes_before;
    assert!(
        flushes > 0 && flushes < 64,
        "{flushes} flushes for 64 appends"
    );
    let total: usize = (0..4).map(|q| read_all(&store, "g", q).len()).sum();
    assert_eq!(total, 64, "a Done append is visible to consumers");
    store.shutdown().unwrap();
}

/// A flush slower than `sync_flush_timeout_ms` answers `Timeout`, yet the record is stored
/// and becomes readable once the flush completes.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn slow_flush_times_out_but_stores() {
    let dir = TempDir::new("flush-timeout");
    let sim = Arc::new(SimStorage::new());
    let store = sync_store(&dir, &sim, |c| c.sync_flush_timeout_ms = 50);
    sim.set_flush_delay(Duration::from_millis(400));
    let result = append(&store, "s", 0, &[record("s", None, 100, 1)]).await;
    assert_eq!(result.flush, FlushOutcome::Timeout);
    assert!(
        store.read_record(result.commit_log_offset).is_some(),
        "the record is stored"
    );
    sim.set_flush_delay(Duration::ZERO);
    let flushing = store.clone();
    tokio::task::spawn_blocking(move || flushing.flush())
        .await
        .unwrap()
        .unwrap();
    let read = store.read("s", 0, 0, 10, 1 << 20, &|_| true);
    assert_eq!((read.status, read.records.len()), (ReadStatus::Found, 1));
    store.shutdown().unwrap();
}

/// A failed flush is never swallowed: the waiting append gets `Timeout`, the next append
/// gets the I/O error, and the one after succeeds once flushing works again.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn flush_failure_is_reported() {
    let dir = TempDir::new("flush-fail");
    let sim = Arc::new(SimStorage::new());
    let store = sync_store(&dir, &sim, |_| {});
    append(&store, "f", 0, &[record("f", None, 100, 1)]).await;
    sim.fail_next_flushes(&dir.path().join("commitlog"), 1);
    let failed = append(&store, "f", 0, &[record("f", None, 100, 2)]).await;
    assert_eq!(failed.flush, FlushOutcome::Timeout);
    let reported = try_append(&store, "f", 0, &[record("f", None, 100, 3)], true).await;
    assert!(
        matches!(reported, Err(StoreError::Io { .. })),
        "{reported:?}"
    );
    let ok = append(&store, "f", 0, &[record("f", None, 100, 4)]).await;
    assert_eq!((ok.flush, ok.queue_offset), (FlushOutcome::Done, 2));
    assert_eq!(read_all(&store, "f", 0).len(), 3);
    store.shutdown().unwrap();
}

/// With `pending_sends_max = 1`, an append arriving while another waits for a slow flush is
/// refused with `Busy` at once; later appends are accepted again.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn busy_when_too_many_appends_are_pending() {
    let dir = TempDir::new("busy");
    let sim = Arc::new(SimStorage::new());
    let store = sync_store(&dir, &sim, |c| c.pending_sends_max = 1);
    sim.set_flush_delay(Duration::from_millis(300));
    let first = {
        let store = store.clone();
        tokio::spawn(async move { append(&store, "b", 0, &[record("b", None, 100, 1)]).await })
    };
    wait_until("the first append is written", || {
        store.commit_log_max_offset() > 0
    })
    .await;
    let started = Instant::now();
    let second = try_append(&store, "b", 0, &[record("b", None, 100, 2)], true).await;
    assert!(matches!(second, Err(StoreError::Busy)), "{second:?}");
    assert!(
        started.elapsed() < Duration::from_millis(100),
        "refused at once"
    );
    assert_eq!(first.await.unwrap().flush, FlushOutcome::Done);
    sim.set_flush_delay(Duration::ZERO);
    let third = append(&store, "b", 0, &[record("b", None, 100, 3)]).await;
    assert_eq!(third.queue_offset, 1);
    store.shutdown().unwrap();
}
