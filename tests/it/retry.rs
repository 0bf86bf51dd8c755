//! Retry and dead-letter queues: a failing concurrent listener gets the message again through
//! `%RETRY%{group}` with growing `reconsume_times` (delay levels shortened by config) and the
//! original topic restored; after max reconsume times it lands in `%DLQ%{group}`. A panicking
//! listener counts as a failure. An orderly listener suspends in place and dead-letters at its
//! limit.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use ferrocket::client::MessageQueue;
use ferrocket::client::push_consumer::{
    ConsumeConcurrentlyStatus, ConsumeOrderlyStatus, MessageListener,
};
use ferrocket::{ConsumeFrom, Message, MessageExt};
use ferrocket_tests::TestBroker;

use crate::group_util::{Recorder, push_builder, wait_until};
use crate::util::{consumer, producer};

/// Short levels that grow like RocketMQ's: level n (from 3, where retries start) is
/// (n - 2) × 300 ms, so the first retry waits 300 ms, the second 600 ms, the third 900 ms.
fn fast_levels() -> String {
    (1..=18u32)
        .map(|n| format!("{}ms", n.saturating_sub(2).max(1) * 300))
        .collect::<Vec<_>>()
        .join(" ")
}

async fn dlq_contents(broker: &TestBroker, group: &str) -> Vec<MessageExt> {
    let dlq = consumer(broker, "dlq-reader", ConsumeFrom::FirstOffset).await;
    dlq.assign(vec![MessageQueue::new(
        format!("%DLQ%{group}"),
        "broker-a",
        0,
    )])
    .unwrap();
    dlq.start().await.unwrap();
    let msgs = dlq.poll_timeout(Duration::from_secs(5)).await.unwrap();
    dlq.shutdown().await;
    msgs
}

/// The first retry of `id` came at least 300 ms after its first delivery, the second at
/// least 600 ms after the first retry (levels 3 and 4 of `fast_levels`).
fn assert_waits_grow(recorder: &Recorder, id: ferrocket::MessageId) {
    let at: Vec<_> = recorder
        .all()
        .into_iter()
        .filter(|s| s.msg.msg_id == id)
        .map(|s| s.at)
        .collect();
    let (first, second) = (at[1] - at[0], at[2] - at[1]);
    assert!(
        first >= Duration::from_millis(280),
        "first retry after {first:?}"
    );
    assert!(
        second >= Duration::from_millis(580),
        "second retry after {second:?}"
    );
}

/// A listener that fails a message twice sees it a third time with `reconsume_times == 2`
/// and its original topic, the wait before each retry growing with the delay level (3 +
/// reconsume times); a message that always fails (here: panics) goes to the dead-letter
/// queue after `max_reconsume_times` (3), keeping its body and id.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn failing_listener_retries_then_dead_letters() {
    let broker = TestBroker::start_with(|c| c.message_delay_level = fast_levels()).await;
    let (topic, group) = ("Retry", "retry-group");
    let producer = producer(&broker, "retry-producer").await;
    producer.send(Message::new(topic, "create")).await.unwrap();
    let recorder = Recorder::default();
    let r = recorder.clone();
    let listener = MessageListener::concurrently(move |msgs: &[MessageExt], _: &mut _| {
        r.record(0, msgs);
        let m = &msgs[0];
        match m.body().as_ref() {
            b"flaky" if m.reconsume_times < 2 => ConsumeConcurrentlyStatus::ReconsumeLater,
            b"poison" => panic!("poison message"),
            _ => ConsumeConcurrentlyStatus::ConsumeSuccess,
        }
    });
    let consumer = push_builder(&broker, group, listener)
        .max_reconsume_times(3)
        .build()
        .unwrap();
    consumer.subscribe(topic, "*").unwrap();
    consumer.start().await.unwrap();
    let flaky = producer
        .send(Message::new(topic, "flaky").with_tags("T"))
        .await
        .unwrap();
    let poison = producer.send(Message::new(topic, "poison")).await.unwrap();
    let seen = |id| {
        recorder
            .all()
            .into_iter()
            .filter(|s| s.msg.msg_id == id)
            .map(|s| s.msg)
            .collect::<Vec<_>>()
    };
    assert!(wait_until(Duration::from_secs(10), || seen(flaky.msg_id).len() == 3).await);
    let flaky_seen = seen(flaky.msg_id);
    let times: Vec<u32> = flaky_seen.iter().map(|m| m.reconsume_times).collect();
    assert_eq!(times, vec![0, 1, 2]);
    assert_waits_grow(&recorder, flaky.msg_id);
    assert!(
        flaky_seen
            .iter()
            .all(|m| m.topic() == topic && m.tags() == Some("T"))
    );
    assert!(wait_until(Duration::from_secs(10), || seen(poison.msg_id).len() == 4).await);
    let dead = dlq_contents(&broker, group).await;
    assert_eq!(dead.len(), 1, "only the poison message is dead");
    assert_eq!(dead[0].msg_id, poison.msg_id);
    assert_eq!(dead[0].body().as_ref(), b"poison");
    assert_eq!(
        dead[0]
            .message
            .properties
            .get("RETRY_TOPIC")
            .map(String::as_str),
        Some(topic)
    );
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(seen(flaky.msg_id).len(), 3, "a success is not redelivered");
    consumer.shutdown().await;
    producer.shutdown().await;
    broker.shutdown().await;
}

/// An orderly listener that suspends a message retries it in place (same queue, later
/// messages wait) and, at max reconsume times, dead-letters it and moves on in order.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn orderly_suspend_retries_in_place_then_dead_letters() {
    let broker = TestBroker::start().await;
    let (topic, group) = ("OrderlyRetry", "orderly-retry-group");
    crate::group_util::create_topic(&broker, topic, 1).await;
    let producer = producer(&broker, "orderly-retry-producer").await;
    for body in ["a", "bad", "c"] {
        producer.send(Message::new(topic, body)).await.unwrap();
    }
    let order = Arc::new(std::sync::Mutex::new(Vec::<(String, u32)>::new()));
    let calls = Arc::new(AtomicUsize::new(0));
    let (o, c) = (order.clone(), calls.clone());
    let listener = MessageListener::orderly(move |msgs: &[MessageExt], _: &mut _| {
        c.fetch_add(1, Ordering::SeqCst);
        let m = &msgs[0];
        let body = String::from_utf8_lossy(m.body()).into_owned();
        o.lock().unwrap().push((body.clone(), m.reconsume_times));
        if body == "bad" {
            ConsumeOrderlyStatus::SuspendCurrentQueueAMoment
        } else {
            ConsumeOrderlyStatus::Success
        }
    });
    let consumer = push_builder(&broker, group, listener)
        .max_reconsume_times(2)
        .suspend_current_queue_time(Duration::from_millis(50))
        .build()
        .unwrap();
    consumer.subscribe(topic, "*").unwrap();
    consumer.start().await.unwrap();
    assert!(
        wait_until(Duration::from_secs(10), || order
            .lock()
            .unwrap()
            .iter()
            .any(|(b, _)| b == "c"))
        .await
    );
    let order = order.lock().unwrap().clone();
    let expected: Vec<(String, u32)> = vec![
        ("a".into(), 0),
        ("bad".into(), 0),
        ("bad".into(), 1),
        ("bad".into(), 2),
        ("c".into(), 0),
    ];
    assert_eq!(order, expected);
    let dead = dlq_contents(&broker, group).await;
    assert_eq!(dead.len(), 1);
    assert_eq!(dead[0].body().as_ref(), b"bad");
    consumer.shutdown().await;
    producer.shutdown().await;
    broker.shutdown().await;
}
