//! Restarts keep topics, committed offsets and messages; a crash (no clean shutdown) too.

use std::time::Duration;

use ferrocket::client::Admin;
use ferrocket::protocol::TopicConfig;
use ferrocket::{ConsumeFrom, Message, PullConsumer};
use ferrocket_tests::TestBroker;

use crate::util::{consumer, producer};

/// After a clean restart the topic, the group's committed offset and every message are there.
#[tokio::test]
async fn restart_keeps_topics_offsets_and_messages() {
    let mut broker = TestBroker::start().await;
    let committed = produce_and_commit(&broker).await;
    broker.restart().await;
    check_after_restart(&broker, &committed).await;
    broker.shutdown().await;
}

/// After a crash (no final flush or checkpoint) the same holds: the page cache kept the data.
#[tokio::test]
async fn crash_keeps_topics_offsets_and_messages() {
    let mut broker = TestBroker::start().await;
    let committed = produce_and_commit(&broker).await;
    // The broker saves offsets every 200 ms in tests; a crash loses at most that window.
    tokio::time::sleep(Duration::from_millis(500)).await;
    broker.crash_and_restart().await;
    check_after_restart(&broker, &committed).await;
    broker.shutdown().await;
}

/// A shutdown receiver taken after the shutdown began reports it at once, so a task that
/// first runs after the signal (here: stopped before its first poll) or a connection accepted
/// at the last moment ends instead of holding the shutdown up.
#[tokio::test]
async fn late_shutdown_receivers_see_the_shutdown() {
    let mut broker = TestBroker::start().await;
    let state = broker.handle().state().clone();
    assert!(!state.shutdown_rx().has_changed().unwrap(), "running");
    tokio::time::timeout(Duration::from_secs(10), broker.stop())
        .await
        .expect("the broker stops");
    let mut late = state.shutdown_rx();
    assert!(
        late.has_changed().unwrap(),
        "a late receiver sees the shutdown"
    );
    tokio::time::timeout(Duration::from_secs(1), late.changed())
        .await
        .expect("changed() returns at once")
        .unwrap();
}

/// Creates a 2-queue topic, sends 100 messages, consumes 60 and commits.
async fn produce_and_commit(broker: &TestBroker) -> Vec<(u32, Option<u64>)> {
    let addr = broker.addr().to_string();
    let admin = Admin::with_namesrv(&addr).expect("admin");
    admin
        .create_topic(&addr, TopicConfig::new("Durable", 2))
        .await
        .expect("create");
    admin.close().await;
    let producer = producer(broker, "durable-producer").await;
    for i in 0..100 {
        producer
            .send(Message::new("Durable", format!("m{i}")))
            .await
            .expect("send");
    }
    producer.shutdown().await;
    let consumer = durable_consumer(broker).await;
    let mut got = 0;
    while got < 60 {
        got += consumer
            .poll_timeout(Duration::from_secs(5))
            .await
            .expect("poll")
            .len();
    }
    consumer.commit().await.expect("commit");
    let committed = committed_offsets(&consumer).await;
    consumer.shutdown().await;
    committed
}

async fn check_after_restart(broker: &TestBroker, committed: &[(u32, Option<u64>)]) {
    let addr = broker.addr().to_string();
    let admin = Admin::with_namesrv(&addr).expect("admin");
    let topics = admin.list_topics(&addr, false).await.expect("list");
    assert!(
        topics
            .iter()
            .any(|t| t.topic == "Durable" && t.write_queue_count == 2)
    );
    let mut total = 0;
    for q in 0..2 {
        total += admin
            .max_offset(&addr, "Durable", q)
            .await
            .expect("max offset");
    }
    assert_eq!(total, 100, "every message survived");
    admin.close().await;
    let again = durable_consumer(broker).await;
    assert_eq!(
        committed_offsets(&again).await,
        committed,
        "committed offsets survived"
    );
    again.shutdown().await;
}

async fn durable_consumer(broker: &TestBroker) -> PullConsumer {
    let consumer = consumer(broker, "durable-consumer", ConsumeFrom::FirstOffset).await;
    consumer.subscribe("Durable", "*").await.expect("subscribe");
    consumer.start().await.expect("start");
    consumer
}

async fn committed_offsets(consumer: &PullConsumer) -> Vec<(u32, Option<u64>)> {
    let mut out = Vec::new();
    for mq in consumer.assignment() {
        out.push((
            mq.queue_id,
            consumer.committed(&mq).await.expect("committed"),
        ));
    }
    out.sort();
    out
}
