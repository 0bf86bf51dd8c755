//! Producing and consuming through the Rust client against an in-process broker: mixed sizes
//! up to 4 MiB come back byte-identical at their offsets; batch and orderly sends land where
//! promised.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use ferrocket::client::{ClientConfig, MessageQueue};
use ferrocket::{ConsumeFrom, Message, MessageExt, MessageId, Producer, PullConsumer, SendStatus};
use ferrocket_tests::TestBroker;

use crate::util::{Rng, consumer, producer};

const MESSAGE_COUNT: usize = 10_000;
const LARGE_COUNT: usize = 20;

/// What a test sent: the message and where the broker said it went.
#[derive(Debug, Clone)]
struct Sent {
    msg: Message,
    queue_id: u32,
    queue_offset: u64,
}

fn message(topic: &str, i: usize, rng: &mut Rng, large: bool) -> Message {
    let len = if large {
        1024 * 1024 + rng.below(3 * 1024 * 1024)
    } else {
        1 + rng.below(2048)
    };
    let body: Vec<u8> = (0..len).map(|j| (i.wrapping_mul(31) + j) as u8).collect();
    Message::new(topic, Bytes::from(body))
        .with_tags(format!("Tag{}", i % 3))
        .with_key(format!("key-{i}"))
        .with_key(format!("order-{}", i % 97))
        .with_property("seq", i.to_string())
        .with_property("kind", if large { "large" } else { "small" })
}

/// 10,000 messages (20 of them 1–4 MiB) with tags, keys and properties are pulled back
/// byte-identical with the offsets their sends returned.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ten_thousand_messages_roundtrip() {
    let broker = TestBroker::start().await;
    let topic = "RoundTrip";
    let producer = producer(&broker, "rt-producer").await;
    let mut rng = Rng::new(7);
    let messages: Vec<Message> = (0..MESSAGE_COUNT)
        .map(|i| message(topic, i, &mut rng, i % (MESSAGE_COUNT / LARGE_COUNT) == 0))
        .collect();
    let sent = send_all(&producer, messages).await;
    assert_eq!(sent.len(), MESSAGE_COUNT);
    let consumer = consumer(&broker, "rt-consumer", ConsumeFrom::FirstOffset).await;
    consumer.subscribe(topic, "*").await.expect("subscribe");
    consumer.start().await.expect("start consumer");
    let received = poll_until(&consumer, MESSAGE_COUNT).await;
    for (id, sent) in &sent {
        let got = received
            .get(id)
            .unwrap_or_else(|| panic!("message {id} was not received"));
        assert_eq!(got.message.body, sent.msg.body, "body of {id}");
        assert_eq!(got.message.tags, sent.msg.tags);
        assert_eq!(got.message.keys, sent.msg.keys);
        assert_eq!(got.message.properties, sent.msg.properties);
        assert_eq!(
            (got.queue_id, got.queue_offset),
            (sent.queue_id, sent.queue_offset)
        );
    }
    consumer.shutdown().await;
    producer.shutdown().await;
    broker.shutdown().await;
}

async fn send_all(producer: &Arc<Producer>, messages: Vec<Message>) -> HashMap<MessageId, Sent> {
    let chunks: Vec<Vec<Message>> = messages
        .chunks(MESSAGE_COUNT / 8)
        .map(<[Message]>::to_vec)
        .collect();
    let mut tasks = Vec::new();
    for chunk in chunks {
        let producer = producer.clone();
        tasks.push(tokio::spawn(async move {
            let mut out = Vec::new();
            for msg in chunk {
                let result = producer.send(msg.clone()).await.expect("send");
                assert_eq!(result.status, SendStatus::SendOk);
                let sent = Sent {
                    msg,
                    queue_id: result.queue.queue_id,
                    queue_offset: result.queue_offset,
                };
                out.push((result.msg_id, sent));
            }
            out
        }));
    }
    let mut all = HashMap::new();
    for task in tasks {
        all.extend(task.await.expect("sender task"));
    }
    all
}

async fn poll_until(consumer: &PullConsumer, want: usize) -> HashMap<MessageId, MessageExt> {
    let mut received = HashMap::new();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(120);
    while received.len() < want {
        assert!(
            tokio::time::Instant::now() < deadline,
            "received {} of {want}",
            received.len()
        );
        for msg in consumer
            .poll_timeout(Duration::from_secs(2))
            .await
            .expect("poll")
        {
            received.insert(msg.msg_id, msg);
        }
    }
    received
}

/// A batch lands in one queue at consecutive offsets, in order.
#[tokio::test]
async fn batch_lands_at_consecutive_offsets() {
    let broker = TestBroker::start().await;
    let producer = producer(&broker, "batch-producer").await;
    let batch: Vec<Message> = (0..10)
        .map(|i| Message::new("Batches", format!("b{i}")))
        .collect();
    let first = producer.send_batch(batch.clone()).await.expect("batch");
    let second = producer.send_batch(batch).await.expect("batch");
    assert_eq!(first.msg_ids.len(), 10);
    let consumer = consumer(&broker, "batch-consumer", ConsumeFrom::FirstOffset).await;
    consumer.assign(vec![first.queue.clone()]).expect("assign");
    consumer.start().await.expect("start consumer");
    let received = poll_until(&consumer, if first.queue == second.queue { 20 } else { 10 }).await;
    for (i, id) in first.msg_ids.iter().enumerate() {
        let got = &received[id];
        assert_eq!(got.queue_offset, first.queue_offset + i as u64);
        assert_eq!(got.message.body, Bytes::from(format!("b{i}")));
    }
    consumer.shutdown().await;
    producer.shutdown().await;
    broker.shutdown().await;
}

/// Orderly sends put every message of a sharding key in one queue, in send order.
#[tokio::test]
async fn orderly_sends_keep_key_order() {
    let broker = TestBroker::start().await;
    let producer = producer(&broker, "orderly-producer").await;
    let mut queue_of_key: BTreeMap<String, MessageQueue> = BTreeMap::new();
    let mut last_offset: BTreeMap<String, u64> = BTreeMap::new();
    for i in 0..100 {
        let key = format!("user-{}", i % 5);
        let msg = Message::new("Orderly", format!("{key}:{i}"));
        let result = producer
            .send_orderly(msg, &key)
            .await
            .expect("orderly send");
        let queue = queue_of_key
            .entry(key.clone())
            .or_insert_with(|| result.queue.clone());
        assert_eq!(*queue, result.queue, "key {key} moved queue");
        if let Some(previous) = last_offset.insert(key.clone(), result.queue_offset) {
            assert!(
                result.queue_offset > previous,
                "key {key} offsets must grow"
            );
        }
    }
    producer.shutdown().await;
    broker.shutdown().await;
}

/// A producer built with an unreachable name server fails within its send timeout with a
/// clear error instead of hanging.
#[tokio::test]
async fn unreachable_name_server_fails_fast() {
    let config = ClientConfig {
        name_servers: ferrocket::client::NameServers::parse("127.0.0.1:1").expect("parse"),
        ..ClientConfig::default()
    };
    let producer = Producer::builder()
        .group("lonely")
        .client_config(config)
        .send_timeout(Duration::from_secs(2))
        .build()
        .expect("build");
    producer.start().await.expect("start");
    let started = std::time::Instant::now();
    let err = producer
        .send(Message::new("Nowhere", "x"))
        .await
        .expect_err("no broker");
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "took {:?}",
        started.elapsed()
    );
    assert!(err.to_string().contains("127.0.0.1:1"), "{err}");
    producer.shutdown().await;
}
