//! Async listeners: boxed futures run on the client's runtime, concurrent ones in parallel and
//! orderly ones one queue at a time in order.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use ferrocket::client::push_consumer::{
    AsyncMessageListenerConcurrently, AsyncMessageListenerOrderly, BoxFuture,
    ConsumeConcurrentlyContext, ConsumeConcurrentlyStatus, ConsumeOrderlyContext,
    ConsumeOrderlyStatus, MessageListener,
};
use ferrocket::{Message, MessageExt};
use ferrocket_tests::TestBroker;

use crate::group_util::{Recorder, create_topic, push_builder, wait_until};
use crate::util::producer;

struct AsyncRecorder(Recorder);

impl AsyncMessageListenerConcurrently for AsyncRecorder {
    fn consume_message(
        &self,
        msgs: Vec<MessageExt>,
        _ctx: ConsumeConcurrentlyContext,
    ) -> BoxFuture<ConsumeConcurrentlyStatus> {
        let recorder = self.0.clone();
        Box::pin(async move {
            tokio::time::sleep(Duration::from_millis(1)).await;
            // The first attempt of every tenth message fails: retried through the retry topic.
            let fail = msgs
                .iter()
                .any(|m| m.reconsume_times == 0 && m.body().ends_with(b"0"));
            if fail {
                return ConsumeConcurrentlyStatus::ReconsumeLater;
            }
            recorder.record(0, &msgs);
            ConsumeConcurrentlyStatus::ConsumeSuccess
        })
    }
}

struct AsyncOrder(Arc<Mutex<Vec<usize>>>);

impl AsyncMessageListenerOrderly for AsyncOrder {
    fn consume_message(
        &self,
        msgs: Vec<MessageExt>,
        _ctx: ConsumeOrderlyContext,
    ) -> BoxFuture<ConsumeOrderlyStatus> {
        let log = self.0.clone();
        Box::pin(async move {
            tokio::task::yield_now().await;
            let mut log = log.lock().unwrap();
            for m in msgs {
                log.push(String::from_utf8_lossy(m.body()).parse().unwrap());
            }
            ConsumeOrderlyStatus::Success
        })
    }
}

/// An async concurrent listener gets every message, failed first attempts included (through
/// the retry topic with `reconsume_times == 1`).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn async_concurrent_listener() {
    let broker =
        TestBroker::start_with(|c| c.message_delay_level = vec!["50ms"; 18].join(" ")).await;
    let topic = "AsyncConcurrent";
    create_topic(&broker, topic, 4).await;
    let recorder = Recorder::default();
    let listener = MessageListener::async_concurrently(AsyncRecorder(recorder.clone()));
    let consumer = push_builder(&broker, "async-group", listener)
        .build()
        .unwrap();
    consumer.subscribe(topic, "*").unwrap();
    consumer.start().await.unwrap();
    let producer = producer(&broker, "async-producer").await;
    for i in 0..200 {
        producer
            .send(Message::new(topic, format!("m{i}")))
            .await
            .unwrap();
    }
    assert!(wait_until(Duration::from_secs(10), || recorder.distinct() == 200).await);
    let retried = recorder
        .all()
        .iter()
        .filter(|s| s.msg.reconsume_times == 1)
        .count();
    assert_eq!(retried, 20);
    consumer.shutdown().await;
    producer.shutdown().await;
    broker.shutdown().await;
}

/// An async orderly listener sees one queue's messages in order.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn async_orderly_listener() {
    let broker = TestBroker::start().await;
    let topic = "AsyncOrderly";
    create_topic(&broker, topic, 1).await;
    let log = Arc::new(Mutex::new(Vec::new()));
    let listener = MessageListener::async_orderly(AsyncOrder(log.clone()));
    let consumer = push_builder(&broker, "async-orderly-group", listener)
        .consume_batch_max(4)
        .build()
        .unwrap();
    consumer.subscribe(topic, "*").unwrap();
    consumer.start().await.unwrap();
    let producer = producer(&broker, "async-orderly-producer").await;
    for i in 0..300 {
        producer
            .send(Message::new(topic, i.to_string()))
            .await
            .unwrap();
    }
    assert!(wait_until(Duration::from_secs(10), || log.lock().unwrap().len() == 300).await);
    assert_eq!(*log.lock().unwrap(), (0..300).collect::<Vec<_>>());
    consumer.shutdown().await;
    producer.shutdown().await;
    broker.shutdown().await;
}
