//! Store tests: shared helpers (a `TempDir`, record builders, small configs) and one module
//! per area. Segments are 1 MiB (the smallest accepted) and consume-queue files 100 entries,
//! so a few MiB of data cross several of each.

mod basics;
mod crash;
mod flushing;
mod index;
mod replica;
mod retention;
mod torn;

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use bytes::{Bytes, BytesMut};
use ferrocket::limits::SEGMENT_SIZE_MIN;
use ferrocket::message::{Message, MessageId};
use ferrocket::protocol::record::{
    RecordStamp, StorePatch, encode_record, parse_record, patch_record,
};

use crate::store::{AppendBatch, AppendResult, ReadStatus, Store, StoreConfig, StoreError};

/// Segment size of the tests.
pub(crate) const SEG: u64 = SEGMENT_SIZE_MIN;
/// Consume-queue entries per file in the tests.
pub(crate) const CQ_FILE_ENTRIES: u64 = 100;

/// A directory under the system temp dir, removed on drop.
#[derive(Debug)]
pub(crate) struct TempDir {
    path: PathBuf,
}

impl TempDir {
    /// A fresh, unique, existing directory.
    pub(crate) fn new(name: &str) -> TempDir {
        static NEXT: AtomicU64 = AtomicU64::new(0);
        let unique = format!(
            "ferrocket-store-{name}-{}-{}-{}",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::Relaxed),
            crate::store::now_ms()
        );
        let path = std::env::temp_dir().join(unique);
        std::fs::create_dir_all(&path).unwrap();
        TempDir { path }
    }

    /// The directory.
    pub(crate) fn path(&self) -> &Path {
        &self.path
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.path);
    }
}

/// A config with small segments and consume-queue files in `dir`.
pub(crate) fn small_config(dir: &Path) -> StoreConfig {
    let mut config = StoreConfig::new(dir);
    config.segment_size = SEG;
    config.consume_queue_entries_per_file = CQ_FILE_ENTRIES;
    config.store_host = "10.0.0.7:10911".parse().unwrap();
    // Usage from the store's own bytes, so the host's disk never makes a test refuse writes.
    config.disk_capacity_bytes = Some(64 << 30);
    config.index_slot_count = 1024;
    config.index_entry_count = 4096;
    config
}

/// An encoded record with a body of `body_len` non-zero bytes derived from `seed`.
pub(crate) fn record(topic: &str, tags: Option<&str>, body_len: usize, seed: u64) -> Vec<u8> {
    let body: Vec<u8> = (0..body_len)
        .map(|i| ((i as u64 + seed) % 251 + 1) as u8)
        .collect();
    let mut msg = Message::new(topic, body).with_key(format!("k{seed}"));
    if let Some(tags) = tags {
        msg = msg.with_tags(tags);
    }
    let mut id = [0u8; 16];
    id[..8].copy_from_slice(&seed.to_be_bytes());
    let stamp = RecordStamp {
        msg_id: MessageId(id),
        sys_flag: 0,
        queue_id: 0,
        reconsume_times: 0,
        born_timestamp_ms: 1_700_000_000_000 + seed,
        born_host: "127.0.0.1:5000".parse().unwrap(),
        prepared_transaction_offset: 0,
    };
    let mut out = BytesMut::new();
    encode_record(&msg, &stamp, &mut out).unwrap();
    out.to_vec()
}

/// An encoded record of exactly `total_len` bytes.
pub(crate) fn record_of_len(topic: &str, total_len: usize, seed: u64) -> Vec<u8> {
    let overhead = record(topic, None, 0, seed).len();
    let out = record(topic, None, total_len - overhead, seed);
    assert_eq!(out.len(), total_len);
    out
}

/// The record as the store must have written it.
pub(crate) fn stored_form(
    input: &[u8],
    queue_id: u32,
    queue_offset: u64,
    commit_log_offset: u64,
    result: &AppendResult,
) -> Vec<u8> {
    let mut out = input.to_vec();
    let patch = StorePatch {
        queue_id,
        queue_offset,
        commit_log_offset,
        store_timestamp_ms: result.store_timestamp_ms,
        store_host: "10.0.0.7:10911".parse().unwrap(),
    };
    patch_record(&mut out, &patch);
    out
}

/// Appends `records` as one batch.
pub(crate) async fn try_append(
    store: &Store,
    topic: &str,
    queue_id: u32,
    records: &[Vec<u8>],
    wait: bool,
) -> Result<AppendResult, StoreError> {
    let bytes = records.concat();
    let batch = AppendBatch {
        topic,
        queue_id,
        records: &bytes,
        record_count: records.len() as u32,
        wait_store_msg_ok: wait,
    };
    store.append(batch).await
}

/// Appends `records` as one batch, which must succeed.
pub(crate) async fn append(
    store: &Store,
    topic: &str,
    queue_id: u32,
    records: &[Vec<u8>],
) -> AppendResult {
    try_append(store, topic, queue_id, records, true)
        .await
        .unwrap()
}

/// Every record of a queue, from its min offset to its max offset.
pub(crate) fn read_all(store: &Store, topic: &str, queue_id: u32) -> Vec<Bytes> {
    let mut out = Vec::new();
    let mut offset = store.min_offset(topic, queue_id);
    loop {
        let result = store.read(topic, queue_id, offset, 32, 1 << 20, &|_| true);
        match result.status {
            ReadStatus::Found => out.extend(result.records),
            ReadStatus::NoNewMessage => return out,
            status => panic!("unexpected {status:?} at {offset}"),
        }
        offset = result.next_offset;
    }
}

/// The body of a stored record.
pub(crate) fn body_of(record: &[u8]) -> Vec<u8> {
    parse_record(record).unwrap().body.to_vec()
}

/// The queue offset field of a stored record.
pub(crate) fn queue_offset_of(record: &[u8]) -> u64 {
    parse_record(record).unwrap().queue_offset()
}

/// Polls `condition` (yielding to other tasks) until it holds; panics after 10 s.
pub(crate) async fn wait_until(what: &str, condition: impl Fn() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(10);
    while !condition() {
        assert!(Instant::now() < deadline, "timed out waiting until {what}");
        tokio::task::yield_now().await;
    }
}
