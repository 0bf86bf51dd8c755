//! Retention through the broker: a store filled past its refuse threshold answers sends with
//! `STORE_FULL`, and accepts them again once retention has freed space.

use ferrocket::message::Message;
use ferrocket::protocol::{CreateTopicRequest, SendMessageRequest, Status, TopicConfig};
use ferrocket_tests::{RawConn, TestBroker, now_ms, record};

const SEGMENT: u64 = 1024 * 1024;

fn send(body_len: usize) -> SendMessageRequest {
    SendMessageRequest {
        producer_group: "filler".into(),
        topic: "Filler".into(),
        queue_id: 0,
        wait_store_msg_ok: true,
        auto_create_queue_count: 0,
        record: record(&Message::new("Filler", vec![b'f'; body_len]), 0),
    }
}

/// Filling a 12-segment quota: sends are refused with STORE_FULL past 90 %, and accepted again
/// after a retention round deletes the oldest segments.
#[tokio::test]
async fn full_store_refuses_then_recovers() {
    let broker = TestBroker::start_with(|c| {
        c.segment_size = SEGMENT;
        c.consume_queue_entries_per_file = 1000;
        c.disk_capacity_bytes = Some(12 * SEGMENT + 64 * 1024);
        // Retention runs only when the test says so, so the thresholds are crossed for sure.
        c.retention_check_interval_ms = 3_600_000;
    })
    .await;
    let mut conn = RawConn::connect(broker.addr()).await;
    conn.call_ok(&CreateTopicRequest {
        config: TopicConfig::new("Filler", 1),
    })
    .await;
    let mut accepted = 0;
    let refusal = loop {
        let (head, _) = conn.call(&send(60 * 1024)).await;
        match head.status {
            Status::Ok => accepted += 1,
            _ => break head,
        }
        assert!(accepted < 1000, "the quota never filled");
    };
    assert_eq!(
        refusal.status,
        Status::StoreFull,
        "{}",
        refusal.error_message
    );
    assert!(
        refusal.error_message.contains("refuse"),
        "{}",
        refusal.error_message
    );
    assert!(
        accepted >= 150,
        "about 11 segments were written first: {accepted}"
    );
    // Still refused until retention frees space: the refusal is a state, not a one-off.
    let (head, _) = conn.call(&send(10)).await;
    assert_eq!(head.status, Status::StoreFull);
    // Retention only deletes flushed segments; under load the 100 ms async flush may not have
    // covered the oldest segment yet, so flush first as the periodic service would have.
    let store = &broker.handle().state().store;
    store.flush().expect("flush");
    let report = store.run_retention(now_ms()).expect("retention round");
    assert!(
        !report.deleted_forced.is_empty(),
        "the oldest segments were deleted: {report:?}"
    );
    assert!(!report.refusing_writes);
    assert!(report.usage_percent_after < 85.0, "{report:?}");
    let (head, _) = conn.call(&send(10)).await;
    assert_eq!(head.status, Status::Ok, "{}", head.error_message);
    broker.shutdown().await;
}
