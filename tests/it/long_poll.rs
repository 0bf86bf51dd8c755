//! Long polling: a pull parked on an empty queue wakes up when a message arrives, well before
//! its hold expires.

use std::time::{Duration, Instant};

use ferrocket::message::Message;
use ferrocket::protocol::{
    CreateTopicRequest, ExpressionType, PullRequest, PullResponse, PullStatus, SendMessageRequest,
    SendResponse, TopicConfig,
};
use ferrocket_tests::{RawConn, TestBroker, record};

/// A pull held for 15 s returns the message sent 500 ms into the hold, long before 15 s.
#[tokio::test]
async fn parked_pull_wakes_on_new_message() {
    let broker = TestBroker::start().await;
    let mut admin = RawConn::connect(broker.addr()).await;
    admin
        .call_ok(&CreateTopicRequest {
            config: TopicConfig::new("LongPoll", 1),
        })
        .await;
    let addr = broker.addr();
    let pull = tokio::spawn(async move {
        let mut conn = RawConn::connect(addr).await;
        let request = PullRequest {
            consumer_group: "long-poller".into(),
            topic: "LongPoll".into(),
            queue_id: 0,
            queue_offset: 0,
            max_messages: 32,
            max_bytes: 1024 * 1024,
            suspend_timeout_ms: 15_000,
            commit_offset: None,
            expression_type: ExpressionType::Tag,
            expression: "*".into(),
        };
        let started = Instant::now();
        let response: PullResponse = conn.call_ok(&request).await;
        (response, started.elapsed())
    });
    tokio::time::sleep(Duration::from_millis(500)).await;
    let send = SendMessageRequest {
        producer_group: "waker".into(),
        topic: "LongPoll".into(),
        queue_id: 0,
        wait_store_msg_ok: true,
        auto_create_queue_count: 0,
        record: record(&Message::new("LongPoll", "wake up"), 0),
    };
    let _: SendResponse = admin.call_ok(&send).await;
    let (response, waited) = pull.await.expect("pull task");
    assert_eq!(response.pull_status, PullStatus::Found);
    assert!(
        waited >= Duration::from_millis(300),
        "the pull was parked, not answered at once: {waited:?}"
    );
    assert!(
        waited < Duration::from_secs(10),
        "woken by the message, not the hold expiry: {waited:?}"
    );
    broker.shutdown().await;
}

/// A parked pull with nothing arriving answers "no new message" when its hold expires.
#[tokio::test]
async fn parked_pull_expires_empty() {
    let broker = TestBroker::start().await;
    let mut conn = RawConn::connect(broker.addr()).await;
    conn.call_ok(&CreateTopicRequest {
        config: TopicConfig::new("Quiet", 1),
    })
    .await;
    let request = PullRequest {
        consumer_group: "quiet-poller".into(),
        topic: "Quiet".into(),
        queue_id: 0,
        queue_offset: 0,
        max_messages: 32,
        max_bytes: 1024,
        suspend_timeout_ms: 300,
        commit_offset: None,
        expression_type: ExpressionType::Tag,
        expression: "*".into(),
    };
    let response: PullResponse = conn.call_ok(&request).await;
    assert_eq!(response.pull_status, PullStatus::NoNewMessage);
    assert_eq!(response.next_begin_offset, 0);
    broker.shutdown().await;
}
