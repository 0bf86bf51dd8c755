//! Helpers for the consumer-group tests: push consumers with short periods, a recorder of
//! what listeners saw, topics with a given queue count, and waiting for a condition.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use bytes::Bytes;
use ferrocket::client::push_consumer::{MessageListener, PushConsumerBuilder};
use ferrocket::protocol::TopicConfig;
use ferrocket::{Admin, Message, MessageExt, MessageId, PushConsumer};
use ferrocket_tests::TestBroker;

/// A builder for a push consumer of `group` with test-friendly periods: membership changes
/// are driven by the broker's notices (the periodic rebalance is a minute away), offsets are
/// committed every 100 ms, the broker holds pulls 1 s.
pub fn push_builder(
    broker: &TestBroker,
    group: &str,
    listener: MessageListener,
) -> PushConsumerBuilder {
    PushConsumer::builder()
        .group(group)
        .namesrv(&broker.addr().to_string())
        .listener(listener)
        .consume_from(ferrocket::ConsumeFrom::FirstOffset)
        .rebalance_interval(Duration::from_secs(60))
        .persist_offset_interval(Duration::from_millis(100))
        .long_poll(Duration::from_secs(1))
        .pull_error_backoff(Duration::from_millis(100))
        .send_back_retry_delay(Duration::from_millis(200))
        .await_termination(Duration::from_secs(10))
}

/// Creates `topic` with `queues` queues on `broker`.
pub async fn create_topic(broker: &TestBroker, topic: &str, queues: u16) {
    let admin = Admin::with_namesrv(&broker.addr().to_string()).expect("admin");
    admin
        .create_topic(&broker.addr().to_string(), TopicConfig::new(topic, queues))
        .await
        .expect("create topic");
    admin.close().await;
}

/// Sends one message per body to `topic` with a fresh producer, in order; returns their ids.
pub async fn send_bodies<B: Into<Bytes>>(
    broker: &TestBroker,
    topic: &str,
    bodies: impl IntoIterator<Item = B>,
) -> Vec<MessageId> {
    let producer = crate::util::producer(broker, "group-test-producer").await;
    let mut ids = Vec::new();
    for body in bodies {
        let sent = producer
            .send(Message::new(topic, body))
            .await
            .expect("send");
        ids.push(sent.msg_id);
    }
    producer.shutdown().await;
    ids
}

/// Sends the bodies `m{from}` … `m{from + count - 1}` to `topic`; returns their ids.
pub async fn send_numbered(
    broker: &TestBroker,
    topic: &str,
    from: usize,
    count: usize,
) -> Vec<MessageId> {
    send_bodies(broker, topic, (from..from + count).map(|i| format!("m{i}"))).await
}

/// Polls `cond` every 20 ms until it holds or `limit` passes; returns whether it held.
pub async fn wait_until(limit: Duration, mut cond: impl FnMut() -> bool) -> bool {
    let deadline = Instant::now() + limit;
    loop {
        if cond() {
            return true;
        }
        if Instant::now() >= deadline {
            return false;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// One delivery a listener saw.
#[derive(Debug, Clone)]
pub struct Seen {
    /// Which consumer saw it.
    pub consumer: usize,
    /// The message.
    pub msg: MessageExt,
    /// When.
    pub at: Instant,
}

/// Everything listeners saw, in the order they saw it.
#[derive(Debug, Clone, Default)]
pub struct Recorder(Arc<Mutex<Vec<Seen>>>);

impl Recorder {
    /// Records a delivery to consumer `consumer`.
    pub fn record(&self, consumer: usize, msgs: &[MessageExt]) {
        let mut seen = self.0.lock().unwrap();
        for msg in msgs {
            seen.push(Seen {
                consumer,
                msg: msg.clone(),
                at: Instant::now(),
            });
        }
    }

    /// Every delivery so far.
    pub fn all(&self) -> Vec<Seen> {
        self.0.lock().unwrap().clone()
    }

    /// Deliveries so far.
    pub fn len(&self) -> usize {
        self.0.lock().unwrap().len()
    }

    /// Deliveries per message id.
    pub fn counts(&self) -> HashMap<MessageId, usize> {
        let mut counts = HashMap::new();
        for s in self.0.lock().unwrap().iter() {
            *counts.entry(s.msg.msg_id).or_insert(0) += 1;
        }
        counts
    }

    /// Distinct message ids seen.
    pub fn distinct(&self) -> usize {
        self.counts().len()
    }
}
