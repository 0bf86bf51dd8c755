//! The message index: files roll by entry count, lookups find every key across files, and the
//! index survives a clean reopen and a crash (abandon) with the same answers.

use std::fs;

use super::{TempDir, append, record, small_config};
use crate::store::{Store, StoreConfig, topic_key_hash, unique_key_hash};

fn config(dir: &std::path::Path) -> StoreConfig {
    let mut config = small_config(dir);
    config.index_slot_count = 16;
    config.index_entry_count = 10;
    config
}

fn lookup_key(store: &Store, seed: u64) -> Vec<u64> {
    store
        .index_lookup(
            topic_key_hash("indexed", &format!("k{seed}")),
            (0, u64::MAX),
            32,
        )
        .unwrap()
}

fn check(store: &Store, offsets: &[u64]) {
    for (seed, offset) in offsets.iter().enumerate() {
        let found = lookup_key(store, seed as u64);
        assert!(
            found.contains(offset),
            "key k{seed}: {found:?} lacks {offset}"
        );
        let mut id = [0u8; 16];
        id[..8].copy_from_slice(&(seed as u64).to_be_bytes());
        let hex = ferrocket::message::MessageId(id).to_string();
        let by_id = store
            .index_lookup(unique_key_hash(&hex), (0, u64::MAX), 32)
            .unwrap();
        assert!(by_id.contains(offset), "id of k{seed}");
    }
    assert!(lookup_key(store, 999).is_empty());
}

/// 30 records with 2 index entries each fill 6 files of 10 entries; every key is found, after a
/// clean reopen and after an abandon (crash) too.
#[tokio::test]
async fn index_rolls_and_survives_reopen_and_crash() {
    let dir = TempDir::new("index");
    let store = Store::open(config(dir.path())).unwrap();
    let mut offsets = Vec::new();
    for seed in 0..30u64 {
        let r = record("indexed", None, 100, seed);
        offsets.push(append(&store, "indexed", 0, &[r]).await.commit_log_offset);
    }
    check(&store, &offsets);
    let files = fs::read_dir(dir.path().join("index")).unwrap().count();
    assert_eq!(files, 6, "60 entries in files of 10");
    store.shutdown().unwrap();
    let store = Store::open(config(dir.path())).unwrap();
    check(&store, &offsets);
    let r = record("indexed", None, 100, 30);
    offsets.push(append(&store, "indexed", 0, &[r]).await.commit_log_offset);
    store.abandon();
    drop(store);
    let store = Store::open(config(dir.path())).unwrap();
    check(&store, &offsets);
    store.shutdown().unwrap();
}

/// Index files whose records were all deleted by retention go with their segments; the
/// newest file stays and lookups of surviving records still work.
#[tokio::test]
async fn retention_removes_index_files_with_their_segments() {
    let dir = TempDir::new("index-retention");
    let now = crate::store::now_ms();
    let mut config = config(dir.path());
    config.index_entry_count = 40;
    config.file_reserved_ms = 1;
    config.disk_capacity_bytes = Some(super::SEG * 4);
    config.retention_check_interval_ms = u64::MAX;
    let store = Store::open(config).unwrap();
    let mut offsets = Vec::new();
    let mut seed = 0;
    while store.commit_log_max_offset() <= 3 * super::SEG {
        let r = record("indexed", None, 50_000, seed);
        offsets.push(append(&store, "indexed", 0, &[r]).await.commit_log_offset);
        seed += 1;
    }
    let before = fs::read_dir(dir.path().join("index")).unwrap().count();
    store.flush().unwrap();
    let report = store.run_retention(now + 3_600_000).unwrap();
    assert!(
        !report.deleted_expired.is_empty() || !report.deleted_forced.is_empty(),
        "{report:?}"
    );
    let after = fs::read_dir(dir.path().join("index")).unwrap().count();
    assert!(after < before, "index files {before} -> {after}");
    let min = store.commit_log_min_offset();
    let last = offsets.len() as u64 - 1;
    assert!(lookup_key(&store, last).contains(&offsets[last as usize]));
    assert!(offsets[last as usize] >= min);
    store.shutdown().unwrap();
}
