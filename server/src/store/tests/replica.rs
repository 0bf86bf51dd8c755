//! Replication: a slave store fed with `read_commit_log` chunks through `append_replica` ends
//! byte-identical to its master (fillers and segment ends included), builds its own consume
//! queues, survives a restart, and refuses bad chunks without writing anything.

use std::sync::Arc;

use super::*;
use crate::store::{SimStorage, Storage};

/// Copies everything the master has beyond the slave's end, in chunks of at most `max_bytes`;
/// returns how many chunks it took.
fn copy_all(master: &Store, slave: &Store, max_bytes: usize) -> usize {
    let mut chunks = 0;
    loop {
        let at = slave.commit_log_max_offset();
        let from = if at == 0 {
            master.commit_log_min_offset()
        } else {
            at
        };
        let chunk = master.read_commit_log(from, max_bytes).unwrap();
        if chunk.is_empty() {
            return chunks;
        }
        assert!(
            chunk.len() <= max_bytes.max(SEG as usize),
            "chunk of {}",
            chunk.len()
        );
        let end = slave.append_replica(from, &chunk).unwrap();
        assert_eq!(end, from + chunk.len() as u64);
        chunks += 1;
    }
}

/// Writes records that end exactly at a segment end, leave a short tail and force a filler.
async fn fill_master(master: &Store) -> Vec<Vec<u8>> {
    let mut inputs = Vec::new();
    for (i, len) in [
        300_000, 300_000, 300_000, 148_576, 700_000, 400_000, 648_571,
    ]
    .into_iter()
    .enumerate()
    {
        let record = record_of_len("rep", len, i as u64);
        append(master, "rep", (i % 2) as u32, std::slice::from_ref(&record)).await;
        inputs.push(record);
    }
    for i in 0..200u64 {
        let record = record("small", Some("TagA"), 100, 1000 + i);
        append(master, "small", 0, std::slice::from_ref(&record)).await;
        inputs.push(record);
    }
    inputs
}

/// The segment files holding `store`'s log (a spare made ahead of need holds nothing yet and
/// is left out: the service thread of each side creates its own whenever it likes).
fn segment_bytes(
    store: &Store,
    storage: &SimStorage,
    dir: &std::path::Path,
) -> Vec<(String, Vec<u8>)> {
    let commit_log = dir.join("commitlog");
    let end = store.commit_log_max_offset();
    let mut out = Vec::new();
    for path in storage.list(&commit_log).unwrap() {
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        if name.parse::<u64>().is_ok_and(|base| base >= end) {
            continue;
        }
        out.push((name, storage.file_bytes(&path).unwrap()));
    }
    out
}

/// Chunks of whole items rebuild a byte-identical commit log and the same consume queues, in
/// small chunks and in one pass per segment alike, and the slave keeps copying after a restart.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn slave_copy_is_byte_identical() {
    let (master_dir, slave_dir) = (TempDir::new("master"), TempDir::new("slave"));
    let (master_disk, slave_disk) = (Arc::new(SimStorage::new()), Arc::new(SimStorage::new()));
    let master = Store::open_with(small_config(master_dir.path()), master_disk.clone()).unwrap();
    let inputs = fill_master(&master).await;
    let slave = Store::open_with(small_config(slave_dir.path()), slave_disk.clone()).unwrap();
    let chunks = copy_all(&master, &slave, 200_000);
    assert!(chunks > 8, "small chunks: {chunks}");
    assert_eq!(
        slave.commit_log_max_offset(),
        master.commit_log_max_offset()
    );
    assert_eq!(
        segment_bytes(&slave, &slave_disk, slave_dir.path()),
        segment_bytes(&master, &master_disk, master_dir.path()),
    );
    for (topic, queue_id) in [("rep", 0), ("rep", 1), ("small", 0)] {
        wait_until("the slave dispatched", || {
            slave.max_offset(topic, queue_id) == master.max_offset(topic, queue_id)
        })
        .await;
        assert_eq!(
            read_all(&slave, topic, queue_id),
            read_all(&master, topic, queue_id)
        );
    }
    slave.shutdown().unwrap();
    let more = record("small", None, 10, 9999);
    append(&master, "small", 0, &[more]).await;
    let slave = Store::open_with(small_config(slave_dir.path()), slave_disk.clone()).unwrap();
    assert_eq!(copy_all(&master, &slave, 1 << 20), 1);
    wait_until("the restarted slave dispatched", || {
        slave.max_offset("small", 0) == 201
    })
    .await;
    assert_eq!(read_all(&slave, "small", 0).len(), inputs.len() - 7 + 1);
    master.shutdown().unwrap();
    slave.shutdown().unwrap();
}

/// A slave whose next segment was created ahead of need (the spare) moves into it like the
/// writer does when a copied chunk starts there, and its log stays byte-identical.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn slave_copies_into_its_spare_segments() {
    let (master_dir, slave_dir) = (TempDir::new("master"), TempDir::new("slave"));
    let (master_disk, slave_disk) = (Arc::new(SimStorage::new()), Arc::new(SimStorage::new()));
    let master = Store::open_with(small_config(master_dir.path()), master_disk.clone()).unwrap();
    fill_master(&master).await;
    let slave = Store::open_with(small_config(slave_dir.path()), slave_disk.clone()).unwrap();
    let mut chunks = 0;
    while slave.commit_log_max_offset() < master.commit_log_max_offset() {
        slave.inner().commit_log.prepare_spare().unwrap();
        let at = slave.commit_log_max_offset();
        let from = if at == 0 {
            master.commit_log_min_offset()
        } else {
            at
        };
        let chunk = master.read_commit_log(from, 150_000).unwrap();
        slave.append_replica(from, &chunk).unwrap();
        chunks += 1;
    }
    assert!(
        master.commit_log_max_offset() > 3 * SEG,
        "the copy crossed several segments"
    );
    assert!(chunks > 8, "small chunks: {chunks}");
    assert_eq!(
        segment_bytes(&slave, &slave_disk, slave_dir.path()),
        segment_bytes(&master, &master_disk, master_dir.path()),
    );
    wait_until("the slave dispatched", || {
        slave.max_offset("small", 0) == master.max_offset("small", 0)
    })
    .await;
    master.shutdown().unwrap();
    slave.shutdown().unwrap();
}

/// A chunk at the wrong offset, a corrupted record, a partial record or a chunk past a
/// segment end is refused and writes nothing; an empty slave may start at a segment boundary
/// only; a master refuses offsets outside its log.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_chunks_are_refused() {
    let (master_dir, slave_dir) = (TempDir::new("master-bad"), TempDir::new("slave-bad"));
    let master = Store::open(small_config(master_dir.path())).unwrap();
    for i in 0..10 {
        append(&master, "t", 0, &[record("t", None, 1000, i)]).await;
    }
    let slave = Store::open(small_config(slave_dir.path())).unwrap();
    let chunk = master.read_commit_log(0, 1 << 20).unwrap();
    assert!(matches!(
        slave.append_replica(7, &chunk),
        Err(StoreError::OffsetOutOfRange { .. })
    ));
    let mut flipped = chunk.to_vec();
    flipped[500] ^= 1;
    assert!(matches!(
        slave.append_replica(0, &flipped),
        Err(StoreError::Corrupted { .. })
    ));
    assert!(slave.append_replica(0, &chunk[..chunk.len() - 1]).is_err());
    assert_eq!(slave.commit_log_max_offset(), 0, "nothing written");
    let elsewhere = slave.append_replica(SEG * 3, &chunk);
    assert!(
        matches!(elsewhere, Err(StoreError::Corrupted { .. })),
        "an empty slave may start at a segment boundary, but the records must be at their \
         position: {elsewhere:?}"
    );
    assert!(slave.append_replica(SEG + 1, &chunk).is_err());
    assert_eq!(slave.append_replica(0, &chunk).unwrap(), chunk.len() as u64);
    let end = master.commit_log_max_offset();
    assert!(master.read_commit_log(end, 100).unwrap().is_empty());
    assert!(matches!(
        master.read_commit_log(end + 1, 100),
        Err(StoreError::OffsetOutOfRange { .. })
    ));
    let first = master.read_commit_log(0, 1).unwrap();
    assert_eq!(first.len(), chunk.len() / 10, "at least one whole record");
    master.shutdown().unwrap();
    slave.shutdown().unwrap();
}
