//! Append/read roundtrips, clean reopen, topic validation and argument errors.

use std::fs;

use ferrocket::protocol::record::{BLANK_MAGIC, parse_record, tag_hash};

use super::*;
use crate::store::{FlushOutcome, validate_topic};

/// The records of queue "big"/1, placed to hit every segment-end case.
struct Edges {
    inputs: Vec<Vec<u8>>,
}

/// Records land exactly at a segment end, before a tail too short for a filler and after a
/// filler; batches take consecutive offsets; reads honour max_messages, max_bytes (first
/// record whole) and the tag filter; min/max/search offsets and last store time are right.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn roundtrip_across_segments_and_files() {
    let dir = TempDir::new("roundtrip");
    let store = Store::open(small_config(dir.path())).unwrap();
    let edges = write_segment_edges(&store).await;
    check_segment_edges(&store, dir.path(), &edges);
    let small = write_tagged(&store).await;
    check_reads(&store, &small);
    check_offsets(&store);
    let cq_files = fs::read_dir(dir.path().join("consumequeue/small/0"))
        .unwrap()
        .count();
    assert_eq!(cq_files, 3, "250 entries in files of 100");
    store.shutdown().unwrap();
}

/// Appends `count` records of `len` bytes in batches of five (or fewer).
async fn fill(store: &Store, inputs: &mut Vec<Vec<u8>>, count: usize, len: usize) {
    let records: Vec<Vec<u8>> = (0..count)
        .map(|i| record_of_len("big", len, (inputs.len() + i) as u64))
        .collect();
    for batch in records.chunks(5) {
        let result = append(store, "big", 1, batch).await;
        assert_eq!(
            result.queue_offset,
            inputs.len() as u64,
            "consecutive offsets"
        );
        inputs.extend(batch.iter().cloned());
    }
}

/// Appends one record and returns its commit-log offset.
async fn one(store: &Store, inputs: &mut Vec<Vec<u8>>, len: usize) -> u64 {
    let input = record_of_len("big", len, inputs.len() as u64);
    let result = append(store, "big", 1, std::slice::from_ref(&input)).await;
    assert_eq!(result.flush, FlushOutcome::NotWaited);
    inputs.push(input);
    result.commit_log_offset
}

async fn write_segment_edges(store: &Store) -> Edges {
    let mut inputs = Vec::new();
    // Segment 0: ends exactly at its last byte.
    fill(store, &mut inputs, 10, 100_000).await;
    assert_eq!(
        one(store, &mut inputs, (SEG - 1_000_000) as usize).await,
        1_000_000
    );
    assert_eq!(
        one(store, &mut inputs, 1000).await,
        SEG,
        "no filler after an exact fit"
    );
    // Segment 1: leaves 5 bytes, too few for a filler.
    fill(store, &mut inputs, 10, 100_000).await;
    one(store, &mut inputs, (SEG - 1_001_000 - 5) as usize).await;
    assert_eq!(
        one(store, &mut inputs, 2000).await,
        2 * SEG,
        "a 5-byte tail is skipped"
    );
    // Segment 2: leaves 1000 bytes, filled by a blank filler.
    fill(store, &mut inputs, 10, 100_000).await;
    one(store, &mut inputs, (SEG - 1_002_000 - 1000) as usize).await;
    assert_eq!(
        one(store, &mut inputs, 5000).await,
        3 * SEG,
        "a filler precedes the record"
    );
    Edges { inputs }
}

fn check_segment_edges(store: &Store, dir: &Path, edges: &Edges) {
    let segment2 = fs::read(dir.join("commitlog").join(format!("{:020}", 2 * SEG))).unwrap();
    let filler = &segment2[(SEG - 1000) as usize..];
    assert_eq!(&filler[..4], &1000u32.to_be_bytes());
    assert_eq!(&filler[4..8], &BLANK_MAGIC.to_be_bytes());
    assert!(filler[8..].iter().all(|b| *b == 0));
    let segment1 = fs::read(dir.join("commitlog").join(format!("{SEG:020}"))).unwrap();
    assert_eq!(&segment1[(SEG - 5) as usize..], &[0u8; 5]);
    assert!(
        store.read_record(3 * SEG - 1000).is_none(),
        "a filler is not a record"
    );
    assert!(store.read_record(SEG - 48_576).is_some());
    let stored = read_all(store, "big", 1);
    assert_eq!(stored.len(), edges.inputs.len());
    for (i, (got, input)) in stored.iter().zip(&edges.inputs).enumerate() {
        assert_eq!(queue_offset_of(got), i as u64);
        assert_eq!(body_of(got), body_of(input));
    }
    assert_eq!(store.commit_log_min_offset(), 0);
    assert_eq!(store.commit_log_max_offset(), 3 * SEG + 5000);
}

/// 250 small records in batches of ten, tags alternating TagA / TagB, to "small"/0.
async fn write_tagged(store: &Store) -> Vec<Vec<u8>> {
    let mut inputs = Vec::new();
    for b in 0..25u64 {
        let batch: Vec<Vec<u8>> = (0..10)
            .map(|i| {
                let n = b * 10 + i;
                let tag = if n % 2 == 0 { "TagA" } else { "TagB" };
                record("small", Some(tag), 300, n)
            })
            .collect();
        let result = append(store, "small", 0, &batch).await;
        assert_eq!(result.queue_offset, b * 10);
        inputs.extend(batch);
    }
    inputs
}

fn check_reads(store: &Store, inputs: &[Vec<u8>]) {
    let all = |_: u64| true;
    let len = inputs[0].len() as u32;
    let r = store.read("small", 0, 0, 10, 1 << 20, &all);
    assert_eq!(
        (r.status, r.records.len(), r.next_offset),
        (ReadStatus::Found, 10, 10)
    );
    assert_eq!(r.records_len, 10 * len as usize);
    let r = store.read("small", 0, 7, 10, 1, &all);
    assert_eq!(
        (r.records.len(), r.next_offset),
        (1, 8),
        "the first record always whole"
    );
    let r = store.read("small", 0, 5, 10, 2 * len + len / 2, &all);
    assert_eq!((r.records.len(), r.next_offset), (2, 7));
    let tag_a = tag_hash("TagA");
    let r = store.read("small", 0, 0, 10, 1 << 20, &|h| h == tag_a);
    assert_eq!((r.records.len(), r.next_offset), (10, 19));
    assert!(
        r.records
            .iter()
            .all(|rec| parse_record(rec).unwrap().tags == "TagA")
    );
    let r = store.read("small", 0, 0, 10, 1 << 20, &|_| false);
    assert_eq!(
        (r.status, r.next_offset),
        (ReadStatus::NoMatchedMessage, 250)
    );
    let r = store.read("small", 0, 250, 10, 1 << 20, &all);
    assert_eq!((r.status, r.next_offset), (ReadStatus::NoNewMessage, 250));
    let r = store.read("small", 0, 260, 10, 1 << 20, &all);
    assert_eq!(
        (r.status, r.next_offset, r.max_offset),
        (ReadStatus::OffsetMoved, 250, 250)
    );
    let r = store.read("nothing", 0, 3, 10, 1 << 20, &all);
    assert_eq!((r.status, r.next_offset), (ReadStatus::OffsetMoved, 0));
    let stored = read_all(store, "small", 0);
    assert_eq!(stored.len(), 250);
    for (got, input) in stored.iter().zip(inputs) {
        assert_eq!(body_of(got), body_of(input));
    }
}

fn check_offsets(store: &Store) {
    assert_eq!(
        (store.min_offset("small", 0), store.max_offset("small", 0)),
        (0, 250)
    );
    let stored = read_all(store, "small", 0);
    let ts: Vec<u64> = stored
        .iter()
        .map(|r| parse_record(r).unwrap().store_timestamp_ms())
        .collect();
    assert!(
        ts.windows(2).all(|w| w[0] <= w[1]),
        "store timestamps never go backwards"
    );
    assert_eq!(store.search_offset("small", 0, 0), 0);
    assert_eq!(store.search_offset("small", 0, u64::MAX), 250);
    for k in [0usize, 137, 249] {
        let found = store.search_offset("small", 0, ts[k]) as usize;
        assert!(found <= k && ts[found] >= ts[k] && (found == 0 || ts[found - 1] < ts[k]));
    }
    assert_eq!(store.last_store_timestamp("small", 0), ts[249]);
    assert_eq!(store.last_store_timestamp("nothing", 0), 0);
}

/// After a clean shutdown the store reopens with the same records, offsets and ends, reports
/// a clean shutdown, and appends continue where they stopped.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reopen_after_clean_shutdown() {
    let dir = TempDir::new("reopen");
    let store = Store::open(small_config(dir.path())).unwrap();
    for b in 0..12u64 {
        let batch: Vec<Vec<u8>> = (0..10)
            .map(|i| record("a", None, 5000, b * 10 + i))
            .collect();
        append(&store, "a", 0, &batch).await;
    }
    append(&store, "b", 3, &[record("b", Some("x"), 10, 1)]).await;
    let before = (read_all(&store, "a", 0), read_all(&store, "b", 3));
    let end = store.commit_log_max_offset();
    store.shutdown().unwrap();
    store.shutdown().unwrap();
    drop(store);
    let store = Store::open(small_config(dir.path())).unwrap();
    let report = store.recovery_report().clone();
    assert!(report.clean_shutdown && report.checkpoint_used);
    assert_eq!(
        (report.truncated_bytes, report.consume_queue_entries_rebuilt),
        (0, 0)
    );
    assert_eq!((report.scanned_from, report.commit_log_end), (end, end));
    assert_eq!(
        (store.max_offset("a", 0), store.max_offset("b", 3)),
        (120, 1)
    );
    assert_eq!((read_all(&store, "a", 0), read_all(&store, "b", 3)), before);
    let next = append(&store, "a", 0, &[record("a", None, 10, 999)]).await;
    assert_eq!((next.queue_offset, next.commit_log_offset), (120, end));
    store.shutdown().unwrap();
}

/// Invalid topic names are refused with `InvalidTopic` before anything touches the disk.
#[tokio::test]
async fn invalid_topics_are_refused() {
    let dir = TempDir::new("topics");
    let store = Store::open(small_config(dir.path())).unwrap();
    let long = "x".repeat(256);
    let good = record("ok", None, 10, 1);
    for topic in [
        "",
        "..",
        ".",
        "/",
        "a/b",
        "../etc",
        long.as_str(),
        "sp ace",
        "é",
    ] {
        let err = try_append(&store, topic, 0, std::slice::from_ref(&good), true).await;
        assert!(
            matches!(err, Err(StoreError::InvalidTopic(_))),
            "{topic:?}: {err:?}"
        );
        assert!(matches!(
            store.delete_topic(topic),
            Err(StoreError::InvalidTopic(_))
        ));
        assert_eq!(store.max_offset(topic, 0), 0);
        assert_eq!(
            store.read(topic, 0, 0, 1, 1, &|_| true).status,
            ReadStatus::NoNewMessage
        );
    }
    assert!(
        fs::read_dir(dir.path().join("consumequeue")).is_err(),
        "no queue directory"
    );
    assert_eq!(store.commit_log_max_offset(), 0);
    assert!(validate_topic("%RETRY%group-1|x_y").is_ok());
    assert!(validate_topic(&"x".repeat(255)).is_ok());
    store.shutdown().unwrap();
}

/// Bad configs, a second open of a locked directory, oversized records and malformed
/// batches are refused, and a refused batch stores nothing.
#[tokio::test]
async fn bad_arguments_are_refused() {
    let dir = TempDir::new("args");
    let mut config = small_config(dir.path());
    config.segment_size = 1000;
    assert!(matches!(
        Store::open(config),
        Err(StoreError::InvalidConfig(_))
    ));
    let mut config = small_config(dir.path());
    config.disk_usage_force_clean_percent = 95;
    assert!(matches!(
        config.validate(),
        Err(StoreError::InvalidConfig(_))
    ));
    let store = Store::open(small_config(dir.path())).unwrap();
    assert!(matches!(
        Store::open(small_config(dir.path())),
        Err(StoreError::Locked(_))
    ));
    let huge = record_of_len("t", (SEG - 7) as usize, 1);
    let err = try_append(&store, "t", 0, &[huge], true).await;
    assert!(
        matches!(err, Err(StoreError::RecordTooLarge { max, .. }) if max == (SEG - 8) as usize)
    );
    let good = record("t", None, 10, 2);
    let other = record("u", None, 10, 3);
    let mixed = try_append(&store, "t", 0, &[good.clone(), other], true).await;
    assert!(
        matches!(mixed, Err(StoreError::InvalidBatch(_))),
        "{mixed:?}"
    );
    let mut truncated = good.clone();
    truncated.pop();
    let cut = try_append(&store, "t", 0, &[truncated], true).await;
    assert!(matches!(cut, Err(StoreError::InvalidBatch(_))));
    assert_eq!(store.commit_log_max_offset(), 0, "nothing stored");
    let bytes = good.repeat(2);
    let batch = AppendBatch {
        topic: "t",
        queue_id: 0,
        records: &bytes,
        record_count: 3,
        wait_store_msg_ok: true,
    };
    assert!(matches!(
        store.append(batch).await,
        Err(StoreError::InvalidBatch(_))
    ));
    store.shutdown().unwrap();
    let late = try_append(&store, "t", 0, &[good], true).await;
    assert!(matches!(late, Err(StoreError::ShuttingDown)));
    assert!(matches!(store.flush(), Err(StoreError::ShuttingDown)));
    assert!(matches!(
        store.run_retention(0),
        Err(StoreError::ShuttingDown)
    ));
    assert!(matches!(
        store.delete_topic("t"),
        Err(StoreError::ShuttingDown)
    ));
}

/// Deleting a topic drops its queues and files; a recreated topic starts at offset 0 and a
/// reopen does not bring the old messages back.
#[tokio::test]
async fn delete_topic_drops_queues() {
    let dir = TempDir::new("delete");
    let store = Store::open(small_config(dir.path())).unwrap();
    for q in 0..2 {
        let batch: Vec<Vec<u8>> = (0..3).map(|i| record("t", None, 100, i)).collect();
        append(&store, "t", q, &batch).await;
    }
    append(&store, "keep", 0, &[record("keep", None, 100, 9)]).await;
    store.delete_topic("t").unwrap();
    assert_eq!((store.max_offset("t", 0), store.max_offset("t", 1)), (0, 0));
    assert!(!dir.path().join("consumequeue/t").exists());
    let again = append(&store, "t", 0, &[record("t", None, 100, 42)]).await;
    assert_eq!(again.queue_offset, 0);
    store.shutdown().unwrap();
    drop(store);
    let store = Store::open(small_config(dir.path())).unwrap();
    let t = read_all(&store, "t", 0);
    assert_eq!(t.len(), 1);
    assert_eq!(body_of(&t[0]), body_of(&record("t", None, 100, 42)));
    assert_eq!(
        (store.max_offset("t", 1), store.max_offset("keep", 0)),
        (0, 1)
    );
    store.shutdown().unwrap();
}

fn commit_log_files(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir.join("commitlog"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

/// The service thread creates the next segment ahead of need; the writer takes it when the
/// log reaches it; a clean shutdown removes the unused spare, and after a crash recovery drops
/// it without reporting a truncation.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn next_segment_is_created_ahead() {
    let dir = TempDir::new("spare");
    let store = Store::open(small_config(dir.path())).unwrap();
    append(&store, "a", 0, &[record("a", None, 100, 1)]).await;
    let deadline = Instant::now() + Duration::from_secs(10);
    while commit_log_files(dir.path()).len() < 2 {
        assert!(Instant::now() < deadline, "no spare segment appeared");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let spare = commit_log_files(dir.path())[1].clone();
    let big: Vec<Vec<u8>> = (0..30).map(|i| record("a", None, 40_000, 10 + i)).collect();
    append(&store, "a", 0, &big).await;
    assert!(
        store.commit_log_max_offset() > SEG,
        "the log moved into the spare"
    );
    assert!(commit_log_files(dir.path()).contains(&spare));
    store.shutdown().unwrap();
    assert_eq!(
        commit_log_files(dir.path()).len(),
        2,
        "the unused spare was removed"
    );
    let store = Store::open(small_config(dir.path())).unwrap();
    let deadline = Instant::now() + Duration::from_secs(10);
    while commit_log_files(dir.path()).len() < 3 {
        assert!(
            Instant::now() < deadline,
            "no spare segment appeared after reopening"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    store.abandon();
    drop(store);
    let store = Store::open(small_config(dir.path())).unwrap();
    let report = store.recovery_report().clone();
    assert_eq!(
        report.truncated_bytes, 0,
        "an empty spare is not a torn tail: {report:?}"
    );
    assert_eq!(read_all(&store, "a", 0).len(), 31);
    store.shutdown().unwrap();
}
