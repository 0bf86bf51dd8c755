//! Delay levels and delivery times through the broker's delivery scheduler: each level (the
//! table shortened by config) arrives no earlier than due and within a second after; levels past
//! the last clamp; delivery times in the past arrive at once and times too far ahead are
//! refused; pending timers survive a clean restart and a crash.

use std::collections::HashSet;
use std::time::{Duration, Instant};

use ferrocket::client::push_consumer::{ConsumeConcurrentlyStatus, MessageListener};
use ferrocket::{Message, MessageExt};
use ferrocket_tests::{TestBroker, now_ms};

use crate::group_util::{Recorder, push_builder, wait_until};
use crate::util::producer;

const LEVELS: &str = "200ms 400ms 600ms 800ms 1s";
const LEVELS_MS: [u64; 5] = [200, 400, 600, 800, 1000];

async fn delay_broker() -> TestBroker {
    TestBroker::start_with(|c| c.message_delay_level = LEVELS.into()).await
}

fn recording_listener(recorder: &Recorder) -> MessageListener {
    let recorder = recorder.clone();
    MessageListener::concurrently(move |msgs: &[MessageExt], _: &mut _| {
        recorder.record(0, msgs);
        ConsumeConcurrentlyStatus::ConsumeSuccess
    })
}

/// A message at each level (and one past the last, clamped to it) reaches a push consumer no
/// earlier than its delay after it was sent, and within a second after that.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn delay_levels_arrive_when_due() {
    let broker = delay_broker().await;
    let producer = producer(&broker, "delay-producer").await;
    let topic = "DelayLevels";
    producer.send(Message::new(topic, "warm-up")).await.unwrap();
    let recorder = Recorder::default();
    let consumer = push_builder(&broker, "delay-group", recording_listener(&recorder))
        .build()
        .unwrap();
    consumer.subscribe(topic, "*").unwrap();
    consumer.start().await.unwrap();
    assert!(wait_until(Duration::from_secs(10), || recorder.len() == 1).await);
    let mut sent = Vec::new();
    for level in 1..=6u8 {
        let msg = Message::new(topic, format!("level {level}")).with_delay_level(level);
        let started = Instant::now();
        let result = producer.send(msg).await.unwrap();
        let due = LEVELS_MS[usize::from(level.min(5)) - 1];
        sent.push((result.msg_id, started, due));
    }
    assert!(
        wait_until(Duration::from_secs(10), || recorder.len() == 7).await,
        "every level arrived"
    );
    let seen = recorder.all();
    for (id, started, due_ms) in sent {
        let got = seen.iter().find(|s| s.msg.msg_id == id).expect("delivered");
        let after = got.at.duration_since(started);
        assert!(
            after >= Duration::from_millis(due_ms),
            "{id}: arrived after {after:?}, due {due_ms} ms"
        );
        assert!(
            after < Duration::from_millis(due_ms + 1000),
            "{id}: {after:?} is over a second late"
        );
        assert_eq!(
            got.msg.message.delay_level, 0,
            "the delivered copy is not delayed"
        );
    }
    consumer.shutdown().await;
    producer.shutdown().await;
    broker.shutdown().await;
}

/// Delivery times: one 700 ms ahead arrives no earlier; one in the past arrives at once; one
/// more than `timer_max_delay_ms` ahead is refused with MESSAGE_ILLEGAL.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn delivery_times() {
    let broker = TestBroker::start_with(|c| c.timer_max_delay_ms = 60_000).await;
    let producer = producer(&broker, "timer-producer").await;
    let topic = "DeliverAt";
    let recorder = Recorder::default();
    producer.send(Message::new(topic, "warm-up")).await.unwrap();
    let consumer = push_builder(&broker, "timer-group", recording_listener(&recorder))
        .build()
        .unwrap();
    consumer.subscribe(topic, "*").unwrap();
    consumer.start().await.unwrap();
    assert!(wait_until(Duration::from_secs(10), || recorder.len() == 1).await);
    let at = now_ms() + 700;
    let later = producer
        .send(Message::new(topic, "later").with_deliver_at_ms(at))
        .await
        .unwrap();
    let past = producer
        .send(Message::new(topic, "past").with_deliver_at_ms(now_ms() - 10_000))
        .await
        .unwrap();
    let too_far = producer
        .send(Message::new(topic, "far").with_deliver_at_ms(now_ms() + 120_000))
        .await;
    assert!(
        matches!(&too_far, Err(e) if e.status() == Some(ferrocket::protocol::Status::MessageIllegal)),
        "{too_far:?}"
    );
    assert!(wait_until(Duration::from_secs(5), || recorder.len() == 3).await);
    let seen = recorder.all();
    let past_seen = seen.iter().find(|s| s.msg.msg_id == past.msg_id).unwrap();
    let later_seen = seen.iter().find(|s| s.msg.msg_id == later.msg_id).unwrap();
    assert!(
        later_seen.msg.store_timestamp_ms >= at,
        "delivered before its time"
    );
    assert!(
        later_seen.msg.store_timestamp_ms < at + 1000,
        "delivered over a second late"
    );
    assert!(past_seen.at <= later_seen.at);
    consumer.shutdown().await;
    producer.shutdown().await;
    broker.shutdown().await;
}

async fn send_pending(
    broker: &TestBroker,
    topic: &str,
    count: usize,
) -> HashSet<ferrocket::MessageId> {
    let producer = producer(broker, "pending-producer").await;
    let mut ids = HashSet::new();
    for i in 0..count {
        let msg = if i % 2 == 0 {
            Message::new(topic, format!("m{i}")).with_delay_level(5)
        } else {
            Message::new(topic, format!("m{i}")).with_deliver_at_ms(now_ms() + 1500)
        };
        ids.insert(producer.send(msg).await.unwrap().msg_id);
    }
    producer.shutdown().await;
    ids
}

async fn expect_all(broker: &TestBroker, topic: &str, ids: &HashSet<ferrocket::MessageId>) {
    let recorder = Recorder::default();
    let consumer = push_builder(broker, "pending-group", recording_listener(&recorder))
        .build()
        .unwrap();
    consumer.subscribe(topic, "*").unwrap();
    consumer.start().await.unwrap();
    let all = wait_until(Duration::from_secs(15), || {
        let counts = recorder.counts();
        ids.iter().all(|id| counts.contains_key(id))
    })
    .await;
    assert!(
        all,
        "{} of {} pending timers delivered",
        recorder.distinct(),
        ids.len()
    );
    consumer.shutdown().await;
}

/// 200 pending timers (half delay level, half delivery time) survive a clean restart.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pending_timers_survive_restart() {
    let mut broker = delay_broker().await;
    let ids = send_pending(&broker, "TimersRestart", 200).await;
    broker.restart().await;
    expect_all(&broker, "TimersRestart", &ids).await;
    broker.shutdown().await;
}

/// 200 pending timers survive a crash (no final flush, progress or checkpoint), delivered at
/// least once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pending_timers_survive_crash() {
    let mut broker = delay_broker().await;
    let ids = send_pending(&broker, "TimersCrash", 200).await;
    broker.crash_and_restart().await;
    expect_all(&broker, "TimersCrash", &ids).await;
    broker.shutdown().await;
}

/// 3,000 timers due at the same instant are all delivered within a second after it (the
/// scheduler sustains thousands of timers per second).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn thousands_of_timers_due_together() {
    let broker = TestBroker::start().await;
    let topic = "TimerBurst";
    let producer = producer(&broker, "burst-producer").await;
    let due = now_ms() + 4000;
    let mut sends = tokio::task::JoinSet::new();
    for part in 0..4 {
        let producer = producer.clone();
        sends.spawn(async move {
            for i in 0..750 {
                let msg = Message::new(topic, format!("t{part}-{i}")).with_deliver_at_ms(due);
                producer.send(msg).await.unwrap();
            }
        });
    }
    while let Some(done) = sends.join_next().await {
        done.unwrap();
    }
    assert!(
        now_ms() < due,
        "sending took too long for the test to mean anything"
    );
    let recorder = Recorder::default();
    let consumer = push_builder(&broker, "burst-group", recording_listener(&recorder))
        .build()
        .unwrap();
    consumer.subscribe(topic, "*").unwrap();
    consumer.start().await.unwrap();
    assert!(wait_until(Duration::from_secs(15), || recorder.distinct() == 3000).await);
    let stored: Vec<u64> = recorder
        .all()
        .iter()
        .map(|s| s.msg.store_timestamp_ms)
        .collect();
    let first = stored.iter().min().copied().unwrap();
    let last = stored.iter().max().copied().unwrap();
    assert!(first >= due, "a timer fired {} ms early", due - first);
    assert!(
        last < due + 1000,
        "the last timer fired {} ms after due",
        last - due
    );
    consumer.shutdown().await;
    producer.shutdown().await;
    broker.shutdown().await;
}
