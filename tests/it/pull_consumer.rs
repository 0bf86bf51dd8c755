//! The pull consumer against a real broker: consume-from rules for a new group, seek, pause and
//! resume, and auto-commit.

use std::collections::BTreeSet;
use std::time::Duration;

use ferrocket::client::Admin;
use ferrocket::protocol::TopicConfig;
use ferrocket::{ConsumeFrom, Message, MessageExt, PullConsumer};
use ferrocket_tests::{TestBroker, now_ms};

use crate::util::{consumer, producer};

/// Creates a one-queue topic holding `count` messages `m0..`, returning the time between
/// message `split - 1` and message `split` (for timestamp searches).
async fn seeded(broker: &TestBroker, topic: &str, count: usize, split: usize) -> u64 {
    let addr = broker.addr().to_string();
    let admin = Admin::with_namesrv(&addr).expect("admin");
    admin
        .create_topic(&addr, TopicConfig::new(topic, 1))
        .await
        .expect("create");
    admin.close().await;
    let producer = producer(broker, "seeder").await;
    let mut split_at = 0;
    for i in 0..count {
        if i == split {
            tokio::time::sleep(Duration::from_millis(20)).await;
            split_at = now_ms();
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        producer
            .send(Message::new(topic, format!("m{i}")))
            .await
            .expect("send");
    }
    producer.shutdown().await;
    split_at
}

async fn drain(consumer: &PullConsumer, want: usize) -> Vec<MessageExt> {
    let mut out = Vec::new();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    while out.len() < want {
        assert!(
            tokio::time::Instant::now() < deadline,
            "got {} of {want}",
            out.len()
        );
        out.extend(
            consumer
                .poll_timeout(Duration::from_millis(500))
                .await
                .expect("poll"),
        );
    }
    out
}

fn bodies(msgs: &[MessageExt]) -> Vec<String> {
    msgs.iter()
        .map(|m| String::from_utf8_lossy(m.body()).into_owned())
        .collect()
}

/// A new group starts at the end (LAST_OFFSET), at the beginning (FIRST_OFFSET) or at the first
/// message stored after a time (TIMESTAMP).
#[tokio::test]
async fn consume_from_rules_for_a_new_group() {
    let broker = TestBroker::start().await;
    let split_at = seeded(&broker, "From", 10, 6).await;
    let first = consumer(&broker, "from-first", ConsumeFrom::FirstOffset).await;
    first.subscribe("From", "*").await.expect("subscribe");
    first.start().await.expect("start");
    assert_eq!(bodies(&drain(&first, 10).await)[0], "m0");
    first.shutdown().await;
    let by_time = consumer(&broker, "from-time", ConsumeFrom::Timestamp(split_at)).await;
    by_time.subscribe("From", "*").await.expect("subscribe");
    by_time.start().await.expect("start");
    assert_eq!(bodies(&drain(&by_time, 4).await)[0], "m6");
    by_time.shutdown().await;
    let last = consumer(&broker, "from-last", ConsumeFrom::LastOffset).await;
    last.subscribe("From", "*").await.expect("subscribe");
    last.start().await.expect("start");
    assert!(
        last.poll_timeout(Duration::from_millis(300))
            .await
            .expect("poll")
            .is_empty()
    );
    let producer = producer(&broker, "late").await;
    producer
        .send(Message::new("From", "late"))
        .await
        .expect("send");
    assert_eq!(bodies(&drain(&last, 1).await), ["late"]);
    last.shutdown().await;
    producer.shutdown().await;
    broker.shutdown().await;
}

/// Seek moves a queue's position; seek to beginning and end work; a paused queue delivers
/// nothing until resumed.
#[tokio::test]
async fn seek_pause_and_resume() {
    let broker = TestBroker::start().await;
    seeded(&broker, "Seek", 10, 0).await;
    let consumer = consumer(&broker, "seeker", ConsumeFrom::FirstOffset).await;
    consumer.subscribe("Seek", "*").await.expect("subscribe");
    consumer.start().await.expect("start");
    let all = drain(&consumer, 10).await;
    let mq = consumer.assignment().into_iter().next().expect("one queue");
    consumer.seek(&mq, 7).expect("seek");
    assert_eq!(bodies(&drain(&consumer, 3).await), ["m7", "m8", "m9"]);
    consumer
        .seek_to_beginning(&mq)
        .await
        .expect("seek to beginning");
    assert_eq!(bodies(&drain(&consumer, 10).await), bodies(&all));
    consumer.seek_to_end(&mq).await.expect("seek to end");
    consumer.pause(std::slice::from_ref(&mq)).expect("pause");
    let producer = producer(&broker, "seek-producer").await;
    producer
        .send(Message::new("Seek", "while paused"))
        .await
        .expect("send");
    assert!(
        consumer
            .poll_timeout(Duration::from_millis(500))
            .await
            .expect("poll")
            .is_empty()
    );
    consumer.resume(std::slice::from_ref(&mq)).expect("resume");
    assert_eq!(bodies(&drain(&consumer, 1).await), ["while paused"]);
    consumer.shutdown().await;
    producer.shutdown().await;
    broker.shutdown().await;
}

/// Auto-commit stores the position without an explicit commit; a new consumer of the group
/// resumes after what was polled.
#[tokio::test]
async fn auto_commit_resumes_the_group() {
    let broker = TestBroker::start().await;
    seeded(&broker, "Auto", 6, 0).await;
    let first = PullConsumer::builder()
        .group("auto-group")
        .namesrv(&broker.addr().to_string())
        .consume_from(ConsumeFrom::FirstOffset)
        .auto_commit_interval(Duration::from_millis(1000))
        .build()
        .expect("build");
    first.subscribe("Auto", "*").await.expect("subscribe");
    first.start().await.expect("start");
    let got: BTreeSet<String> = bodies(&drain(&first, 6).await).into_iter().collect();
    assert_eq!(got.len(), 6);
    let mq = first.assignment().into_iter().next().expect("one queue");
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    while first.committed(&mq).await.expect("committed") != Some(6) {
        assert!(
            tokio::time::Instant::now() < deadline,
            "auto-commit did not store offset 6"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    first.shutdown().await;
    broker.shutdown().await;
}

/// `poll_up_to` returns at most its maximum and leaves the rest buffered, so a commit covers
/// exactly what was returned (the Node iterator polls one message per step).
#[tokio::test]
async fn poll_up_to_commits_only_what_it_returned() {
    let broker = TestBroker::start().await;
    seeded(&broker, "UpTo", 5, 0).await;
    let consumer = consumer(&broker, "up-to", ConsumeFrom::FirstOffset).await;
    consumer.subscribe("UpTo", "*").await.expect("subscribe");
    consumer.start().await.expect("start");
    let mut got = Vec::new();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    while got.len() < 2 {
        assert!(tokio::time::Instant::now() < deadline, "got {}", got.len());
        let step = consumer
            .poll_up_to(Duration::from_millis(500), 2 - got.len())
            .await
            .expect("poll");
        assert!(
            step.len() <= 2 - got.len(),
            "returned {} messages",
            step.len()
        );
        got.extend(step);
    }
    assert_eq!(bodies(&got), ["m0", "m1"]);
    consumer.commit().await.expect("commit");
    let mq = consumer.assignment().into_iter().next().expect("one queue");
    assert_eq!(consumer.committed(&mq).await.expect("committed"), Some(2));
    let rest = drain(&consumer, 3).await;
    assert_eq!(bodies(&rest), ["m2", "m3", "m4"]);
    consumer.shutdown().await;
    broker.shutdown().await;
}
