//! Retention: expired segments first, then forced deletion at the force-clean threshold,
//! refusing appends at the refuse threshold until a round frees space.

use super::*;
use crate::store::RetentionReport;

const HOUR_MS: u64 = 3600 * 1000;
/// Capacity for the tests: 9 segments are ~78 % (clean), 10 are ~87 % (force), 11 ~96 %.
const CAPACITY: u64 = SEG * 23 / 2;

/// Appends ~50 KiB records to "r"/0 until the commit log reaches `segments` segments.
async fn fill_to_segments(store: &Store, segments: u64, next_seed: &mut u64) {
    while store.commit_log_max_offset() <= (segments - 1) * SEG {
        append(store, "r", 0, &[record("r", None, 50_000, *next_seed)]).await;
        *next_seed += 1;
    }
}

/// Flushes (retention deletes only flushed segments), then runs a round as of `now`.
fn retain(store: &Store, now: u64) -> RetentionReport {
    store.flush().unwrap();
    store.run_retention(now).unwrap()
}

fn expect(report: &RetentionReport, expired: usize, forced: usize) {
    assert_eq!(
        (report.deleted_expired.len(), report.deleted_forced.len()),
        (expired, forced),
        "{report:?}"
    );
}

/// Expired segments go first (at once from the clean threshold, else only in the delete
/// hour), unexpired ones from the force-clean threshold, appends are refused from the refuse
/// threshold until a round frees space, and consume-queue min offsets and files follow.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn retention_deletes_and_refuses() {
    let dir = TempDir::new("retention");
    let now = crate::store::now_ms();
    let mut config = small_config(dir.path());
    config.disk_capacity_bytes = Some(CAPACITY);
    config.file_reserved_ms = HOUR_MS;
    config.delete_hour = ((now / HOUR_MS + 12) % 24) as u8;
    config.retention_check_interval_ms = u64::MAX;
    let store = Store::open(config).unwrap();
    let mut seed = 0;
    fill_to_segments(&store, 9, &mut seed).await;
    assert!(store.disk_usage_percent().unwrap() >= 75.0);
    expect(&retain(&store, now), 0, 0);
    let report = retain(&store, now + 2 * HOUR_MS);
    expect(&report, 8, 0);
    assert_eq!(
        report.deleted_expired,
        (0..8).map(|i| i * SEG).collect::<Vec<_>>()
    );
    assert_eq!(store.commit_log_min_offset(), 8 * SEG);
    let min = store.min_offset("r", 0);
    assert!(min > 100, "consume-queue min offset advanced to {min}");
    assert!(
        !dir.path()
            .join("consumequeue/r/0/00000000000000000000")
            .exists()
    );
    assert_eq!(
        read_all(&store, "r", 0).len() as u64,
        store.max_offset("r", 0) - min
    );
    check_delete_hour(&store, now, &mut seed).await;
    check_force_and_refuse(&store, now, &mut seed).await;
    store.shutdown().unwrap();
}

/// Below the clean threshold, expired segments wait for the delete hour.
async fn check_delete_hour(store: &Store, now: u64, seed: &mut u64) {
    let first = store.commit_log_min_offset() / SEG;
    fill_to_segments(store, first + 3, seed).await;
    assert!(store.disk_usage_percent().unwrap() < 75.0);
    expect(&retain(store, now + 2 * HOUR_MS), 0, 0);
    let in_hour = now + 12 * HOUR_MS;
    let report = retain(store, in_hour);
    expect(&report, 2, 0);
}

/// From force-clean, unexpired segments are deleted; from refuse, appends fail until a round.
async fn check_force_and_refuse(store: &Store, now: u64, seed: &mut u64) {
    let first = store.commit_log_min_offset() / SEG;
    fill_to_segments(store, first + 10, seed).await;
    let usage = store.disk_usage_percent().unwrap();
    assert!((85.0..90.0).contains(&usage), "usage {usage}");
    let report = retain(store, now);
    expect(&report, 0, 1);
    assert!(report.usage_percent_after < 85.0 && !report.refusing_writes);
    let mut refused = None;
    for _ in 0..100 {
        match try_append(store, "r", 0, &[record("r", None, 50_000, *seed)], true).await {
            Ok(_) => *seed += 1,
            Err(e) => {
                refused = Some(e);
                break;
            }
        }
    }
    assert!(matches!(refused, Some(StoreError::Full { usage_percent }) if usage_percent >= 90.0));
    let max_before = store.max_offset("r", 0);
    let report = retain(store, now);
    assert!(
        !report.deleted_forced.is_empty() && !report.refusing_writes,
        "{report:?}"
    );
    let accepted = append(store, "r", 0, &[record("r", None, 10, *seed)]).await;
    assert_eq!(accepted.queue_offset, max_before);
}
