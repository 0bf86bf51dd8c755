//! Broker statuses a client must handle, each caused for real: auto-creation turned off, a
//! saturated store (SYSTEM_BUSY, retried by the producer) and a slow disk (FLUSH_DISK_TIMEOUT,
//! the message stored anyway).

use std::sync::Arc;
use std::time::Duration;

use ferrocket::message::Message;
use ferrocket::protocol::{
    CreateTopicRequest, GetMaxOffsetRequest, OffsetResponse, SendMessageRequest, Status,
    TopicConfig,
};
use ferrocket::{ClientError, SendStatus};
use ferrocket_server::config::FlushDiskType;
use ferrocket_server::store::SimStorage;
use ferrocket_tests::{RawConn, TestBroker, record};

use crate::util::producer;

/// With `auto_create_topic = false` a send to an unknown topic fails with a clear error naming
/// the topic.
#[tokio::test]
async fn auto_create_off_refuses_unknown_topics() {
    let broker = TestBroker::start_with(|c| c.auto_create_topic = false).await;
    let producer = producer(&broker, "strict-producer").await;
    let err = producer
        .send(Message::new("NeverCreated", "x"))
        .await
        .expect_err("no topic");
    assert!(err.to_string().contains("NeverCreated"), "{err}");
    assert!(
        matches!(
            err,
            ClientError::NoRoute { .. } | ClientError::Broker { .. }
        ),
        "{err:?}"
    );
    producer.shutdown().await;
    broker.shutdown().await;
}

fn send(body: &str) -> SendMessageRequest {
    SendMessageRequest {
        producer_group: "busy-producer".into(),
        topic: "Busy".into(),
        queue_id: 0,
        wait_store_msg_ok: true,
        auto_create_queue_count: 0,
        record: record(&Message::new("Busy", body.to_owned()), 0),
    }
}

/// When more sends wait on the store than `pending_sends_max`, the broker answers SYSTEM_BUSY at
/// once instead of queueing; the producer retries and its sends succeed within the timeout.
#[tokio::test]
async fn saturated_store_answers_system_busy() {
    let storage = Arc::new(SimStorage::new());
    storage.set_flush_delay(Duration::from_millis(300));
    let broker = TestBroker::start_with_storage(storage, |c| {
        c.flush_disk_type = FlushDiskType::SyncFlush;
        c.pending_sends_max = 2;
    })
    .await;
    let mut admin = RawConn::connect(broker.addr()).await;
    admin
        .call_ok(&CreateTopicRequest {
            config: TopicConfig::new("Busy", 1),
        })
        .await;
    let addr = broker.addr();
    let sends: Vec<_> = (0..6)
        .map(|i| {
            tokio::spawn(async move {
                let mut conn = RawConn::connect(addr).await;
                conn.call(&send(&format!("b{i}"))).await.0.status
            })
        })
        .collect();
    let mut statuses = Vec::new();
    for send in sends {
        statuses.push(send.await.expect("send task"));
    }
    assert!(statuses.contains(&Status::SystemBusy), "{statuses:?}");
    assert!(statuses.contains(&Status::Ok), "{statuses:?}");
    let producer = producer(&broker, "patient-producer").await;
    let results = futures_join(&producer, 6).await;
    assert!(
        results.iter().all(|s| *s == SendStatus::SendOk),
        "{results:?}"
    );
    producer.shutdown().await;
    broker.shutdown().await;
}

async fn futures_join(producer: &Arc<ferrocket::Producer>, n: usize) -> Vec<SendStatus> {
    let tasks: Vec<_> = (0..n)
        .map(|i| {
            let producer = producer.clone();
            tokio::spawn(async move {
                producer
                    .send(Message::new("Busy", format!("p{i}")))
                    .await
                    .expect("retried")
                    .status
            })
        })
        .collect();
    let mut out = Vec::new();
    for task in tasks {
        out.push(task.await.expect("task"));
    }
    out
}

/// A SYNC_FLUSH send whose flush outlasts `sync_flush_timeout_ms` is answered
/// FLUSH_DISK_TIMEOUT, and the message is stored all the same.
#[tokio::test]
async fn slow_disk_answers_flush_disk_timeout() {
    let storage = Arc::new(SimStorage::new());
    let broker = TestBroker::start_with_storage(storage.clone(), |c| {
        c.flush_disk_type = FlushDiskType::SyncFlush;
        c.sync_flush_timeout_ms = 200;
    })
    .await;
    let mut conn = RawConn::connect(broker.addr()).await;
    conn.call_ok(&CreateTopicRequest {
        config: TopicConfig::new("Busy", 1),
    })
    .await;
    storage.set_flush_delay(Duration::from_millis(800));
    let producer = producer(&broker, "slow-disk-producer").await;
    let result = producer
        .send(Message::new("Busy", "slow"))
        .await
        .expect("stored");
    assert_eq!(result.status, SendStatus::FlushDiskTimeout);
    storage.set_flush_delay(Duration::ZERO);
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    loop {
        let max: OffsetResponse = conn
            .call_ok(&GetMaxOffsetRequest {
                topic: "Busy".into(),
                queue_id: 0,
            })
            .await;
        if max.offset == 1 {
            break;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "the message became visible"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    producer.shutdown().await;
    broker.shutdown().await;
}

/// In SYNC_FLUSH mode a send with `wait_store_msg_ok = false` is answered without waiting for
/// the flush, and consumers see the message only once the flush made it durable.
#[tokio::test]
async fn no_wait_send_is_answered_before_the_flush() {
    let storage = Arc::new(SimStorage::new());
    let broker = TestBroker::start_with_storage(storage.clone(), |c| {
        c.flush_disk_type = FlushDiskType::SyncFlush;
    })
    .await;
    let mut conn = RawConn::connect(broker.addr()).await;
    conn.call_ok(&CreateTopicRequest {
        config: TopicConfig::new("Busy", 1),
    })
    .await;
    storage.set_flush_delay(Duration::from_secs(5));
    let mut request = send("no wait");
    request.wait_store_msg_ok = false;
    let started = std::time::Instant::now();
    let (head, _) = conn.call(&request).await;
    assert_eq!(head.status, Status::Ok, "{}", head.error_message);
    assert!(
        started.elapsed() < Duration::from_millis(2500),
        "answered before the 5 s flush"
    );
    let max: OffsetResponse = conn
        .call_ok(&GetMaxOffsetRequest {
            topic: "Busy".into(),
            queue_id: 0,
        })
        .await;
    assert_eq!(max.offset, 0, "not visible before it is durable");
    storage.set_flush_delay(Duration::ZERO);
    let deadline = tokio::time::Instant::now() + Duration::from_secs(15);
    loop {
        let max: OffsetResponse = conn
            .call_ok(&GetMaxOffsetRequest {
                topic: "Busy".into(),
                queue_id: 0,
            })
            .await;
        if max.offset == 1 {
            break;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "visible once flushed"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    broker.shutdown().await;
}

/// Connections beyond `max_connections` are closed at accept; once one closes, a new one is
/// served.
#[tokio::test]
async fn connection_limit_is_enforced() {
    let broker = TestBroker::start_with(|c| c.max_connections = 2).await;
    let create = |name: &str| CreateTopicRequest {
        config: TopicConfig::new(name, 1),
    };
    let mut first = RawConn::connect(broker.addr()).await;
    first.call_ok(&create("Limit1")).await;
    let mut second = RawConn::connect(broker.addr()).await;
    second.call_ok(&create("Limit2")).await;
    let mut third = RawConn::connect(broker.addr()).await;
    third.expect_closed().await;
    drop(first);
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    loop {
        let mut again = RawConn::connect(broker.addr()).await;
        if let Some((head, _)) = again.try_call(&create("Limit3")).await {
            assert_eq!(head.status, Status::Ok, "{}", head.error_message);
            break;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "a freed slot is reused"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    second.call_ok(&create("Limit4")).await;
    broker.shutdown().await;
}
