//! The push consumer's consume pool and flow limits through the real protocol: a concurrent
//! listener runs on all its consume threads at once and never on more, the byte limit per
//! queue stops pulls like the count limit does, and a new group can start at a timestamp.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use ferrocket::client::push_consumer::{ConsumeConcurrentlyStatus, MessageListener};
use ferrocket::{ConsumeFrom, MessageExt};
use ferrocket_tests::TestBroker;

use crate::group_util::{Recorder, create_topic, push_builder, send_bodies, wait_until};

/// A concurrent listener on 4 consume threads is called on 4 threads at once (its calls
/// overlap) and never on more: with every call held until 4 overlap, the highest count of
/// calls in flight is exactly 4.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_listener_runs_on_every_consume_thread() {
    let broker = TestBroker::start().await;
    let (topic, group) = ("Threads", "threads-group");
    create_topic(&broker, topic, 2).await;
    send_bodies(
        &broker,
        topic,
        (0..40).map(|i| format!("m{i}").into_bytes()),
    )
    .await;
    let (in_flight, peak) = (Arc::new(AtomicUsize::new(0)), Arc::new(AtomicUsize::new(0)));
    let recorder = Recorder::default();
    let (f, p, r) = (in_flight.clone(), peak.clone(), recorder.clone());
    let listener = MessageListener::concurrently(move |msgs: &[MessageExt], _: &mut _| {
        let now = f.fetch_add(1, Ordering::AcqRel) + 1;
        p.fetch_max(now, Ordering::AcqRel);
        let deadline = std::time::Instant::now() + Duration::from_secs(5);
        while p.load(Ordering::Acquire) < 4 && std::time::Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(2));
        }
        r.record(0, msgs);
        f.fetch_sub(1, Ordering::AcqRel);
        ConsumeConcurrentlyStatus::ConsumeSuccess
    });
    let consumer = push_builder(&broker, group, listener)
        .consume_threads(4)
        .build()
        .unwrap();
    consumer.subscribe(topic, "*").unwrap();
    consumer.start().await.unwrap();
    assert!(wait_until(Duration::from_secs(20), || recorder.distinct() == 40).await);
    assert_eq!(peak.load(Ordering::Acquire), 4, "calls in flight at most");
    consumer.shutdown().await;
    broker.shutdown().await;
}

/// `len` bytes that do not compress (a 64-bit LCG seeded with `seed`): the producer
/// compresses large bodies, and the limit counts stored bytes.
fn noise(seed: u64, len: usize) -> Vec<u8> {
    let mut x = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    (0..len)
        .map(|_| {
            x = x
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            x.to_be_bytes()[0]
        })
        .collect()
}

/// The byte limit per queue stops pulls before the count limit does: with 64 KiB allowed
/// and 16 KiB bodies, a blocked listener makes the client hold at most the limit plus one
/// pull (RocketMQ checks the limits before each pull), and every message arrives once the
/// listener is released.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn byte_limit_per_queue_stops_pulls() {
    const BODY: usize = 16 * 1024;
    let broker = TestBroker::start().await;
    let (topic, group) = ("ByteFlow", "byte-flow-group");
    create_topic(&broker, topic, 1).await;
    send_bodies(&broker, topic, (0..200u64).map(|i| noise(i, BODY))).await;
    let gate = Arc::new(AtomicBool::new(false));
    let recorder = Recorder::default();
    let (g, r) = (gate.clone(), recorder.clone());
    let blocking = MessageListener::concurrently(move |msgs: &[MessageExt], _: &mut _| {
        while !g.load(Ordering::Acquire) {
            std::thread::sleep(Duration::from_millis(5));
        }
        r.record(0, msgs);
        ConsumeConcurrentlyStatus::ConsumeSuccess
    });
    let consumer = push_builder(&broker, group, blocking)
        .pull_threshold_size_for_queue(64 * 1024)
        .pull_batch_size(4)
        .consume_threads(2)
        .build()
        .unwrap();
    consumer.subscribe(topic, "*").unwrap();
    consumer.start().await.unwrap();
    assert!(
        wait_until(Duration::from_secs(5), || consumer.buffered().1
            >= 64 * 1024)
        .await
    );
    tokio::time::sleep(Duration::from_millis(300)).await;
    let (held, bytes) = consumer.buffered();
    assert!(bytes < 64 * 1024 + 4 * BODY + 4096, "holding {bytes} bytes");
    assert!(
        held < 1000,
        "the count limit was not what stopped it: {held}"
    );
    gate.store(true, Ordering::Release);
    assert!(wait_until(Duration::from_secs(30), || recorder.distinct() == 200).await);
    consumer.shutdown().await;
    broker.shutdown().await;
}

fn now_ms() -> u64 {
    let since = SystemTime::now().duration_since(UNIX_EPOCH).unwrap();
    u64::try_from(since.as_millis()).unwrap()
}

/// A push consumer of a new group with `ConsumeFrom::Timestamp` starts at the first message
/// stored at or after that time: of 20 messages sent before and 20 after the mark, it gets
/// exactly the later 20.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn new_group_starts_at_a_timestamp() {
    let broker = TestBroker::start().await;
    let (topic, group) = ("FromTime", "from-time-group");
    create_topic(&broker, topic, 2).await;
    send_bodies(
        &broker,
        topic,
        (0..20).map(|i| format!("old{i}").into_bytes()),
    )
    .await;
    tokio::time::sleep(Duration::from_millis(20)).await;
    let mark = now_ms();
    tokio::time::sleep(Duration::from_millis(20)).await;
    send_bodies(
        &broker,
        topic,
        (0..20).map(|i| format!("new{i}").into_bytes()),
    )
    .await;
    let recorder = Recorder::default();
    let r = recorder.clone();
    let listener = MessageListener::concurrently(move |msgs: &[MessageExt], _: &mut _| {
        r.record(0, msgs);
        ConsumeConcurrentlyStatus::ConsumeSuccess
    });
    let consumer = push_builder(&broker, group, listener)
        .consume_from(ConsumeFrom::Timestamp(mark))
        .build()
        .unwrap();
    consumer.subscribe(topic, "*").unwrap();
    consumer.start().await.unwrap();
    assert!(wait_until(Duration::from_secs(10), || recorder.distinct() >= 20).await);
    tokio::time::sleep(Duration::from_millis(300)).await;
    let bodies: Vec<String> = recorder
        .all()
        .iter()
        .map(|s| String::from_utf8_lossy(s.msg.body()).into_owned())
        .collect();
    assert_eq!(bodies.len(), 20, "{bodies:?}");
    assert!(bodies.iter().all(|b| b.starts_with("new")), "{bodies:?}");
    consumer.shutdown().await;
    broker.shutdown().await;
}
