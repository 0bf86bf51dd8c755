//! Topics a producer creates by sending: the producer's `auto_create_queue_count` decides the
//! queue count, and the route it sends by before the topic exists already has that many
//! queues (RocketMQ caps the default route at the producer's `defaultTopicQueueNums`), so no
//! send lands on a queue the new topic does not have.

use std::collections::BTreeSet;

use ferrocket::{Admin, Message, Producer, SendStatus};
use ferrocket_tests::TestBroker;

async fn producer_with(broker: &TestBroker, queues: u16) -> Producer {
    let producer = Producer::builder()
        .group("auto-create-producer")
        .namesrv(&broker.addr().to_string())
        .auto_create_queue_count(queues)
        .retries(0)
        .build()
        .expect("build");
    producer.start().await.expect("start");
    producer
}

/// A producer asking for 2 queues on a broker whose default is 8 creates a 2-queue topic;
/// all 40 of its sends succeed at the first attempt, spread over exactly queues 0 and 1, and
/// the name server's route then lists 2 queues.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn producer_queue_count_creates_the_topic() {
    let broker = TestBroker::start_with(|c| c.auto_create_queue_count = 8).await;
    let producer = producer_with(&broker, 2).await;
    let mut queues = BTreeSet::new();
    for i in 0..40 {
        let result = producer
            .send(Message::new("AutoTwo", format!("m{i}")))
            .await
            .unwrap_or_else(|e| panic!("send {i}: {e}"));
        assert_eq!(result.status, SendStatus::SendOk);
        queues.insert(result.queue.queue_id);
    }
    assert_eq!(queues, BTreeSet::from([0, 1]));
    let admin = Admin::with_namesrv(&broker.addr().to_string()).expect("admin");
    let described = admin
        .describe_topic(&broker.addr().to_string(), "AutoTwo")
        .await
        .expect("describe");
    assert_eq!(described.config.write_queue_count, 2);
    let route = admin.route("AutoTwo").await.expect("route");
    assert_eq!(route.write_queues.len(), 2);
    admin.close().await;
    producer.shutdown().await;
    broker.shutdown().await;
}

/// A producer asking for more queues than the broker's default gets the broker's default
/// (the broker caps what a send may create), and every send still succeeds.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn broker_default_caps_the_producer_queue_count() {
    let broker = TestBroker::start_with(|c| c.auto_create_queue_count = 2).await;
    let producer = producer_with(&broker, 8).await;
    for i in 0..20 {
        producer
            .send(Message::new("AutoCapped", format!("m{i}")))
            .await
            .unwrap_or_else(|e| panic!("send {i}: {e}"));
    }
    let admin = Admin::with_namesrv(&broker.addr().to_string()).expect("admin");
    let route = admin.route("AutoCapped").await.expect("route");
    assert_eq!(route.write_queues.len(), 2);
    admin.close().await;
    producer.shutdown().await;
    broker.shutdown().await;
}
