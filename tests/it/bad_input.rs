//! Hostile and malformed input against a running broker: each gets its documented status or a
//! closed connection, other connections keep working, and stored data stays intact.

use bytes::{BufMut, Bytes, BytesMut};
use ferrocket::limits::{BATCH_COUNT_MAX, BODY_LEN_MAX, FRAME_LEN_MAX};
use ferrocket::message::Message;
use ferrocket::protocol::frame::{FrameHeader, encode_frame};
use ferrocket::protocol::{
    CreateTopicRequest, ExpressionType, FrameKind, PullRequest, PullResponse, PullStatus,
    SendBatchRequest, SendMessageRequest, SendResponse, Status, TopicConfig, decode_frame,
    record::decode_records,
};
use ferrocket_tests::{RawConn, TestBroker, record};

const TOPIC: &str = "BadInputTopic";

fn send_request(topic: &str, record: Bytes) -> SendMessageRequest {
    SendMessageRequest {
        producer_group: "bad-input-producer".into(),
        topic: topic.into(),
        queue_id: 0,
        wait_store_msg_ok: true,
        auto_create_queue_count: 0,
        record,
    }
}

fn pull_request(offset: u64) -> PullRequest {
    PullRequest {
        consumer_group: "bad-input-consumer".into(),
        topic: TOPIC.into(),
        queue_id: 0,
        queue_offset: offset,
        max_messages: 32,
        max_bytes: 1024 * 1024,
        suspend_timeout_ms: 0,
        commit_offset: None,
        expression_type: ExpressionType::Tag,
        expression: "*".into(),
    }
}

/// Stores three messages and returns them as the broker stored them.
async fn seed(broker: &TestBroker) -> Vec<Bytes> {
    let mut conn = RawConn::connect(broker.addr()).await;
    let create = CreateTopicRequest {
        config: TopicConfig::new(TOPIC, 1),
    };
    conn.call_ok(&create).await;
    for i in 0..3 {
        let msg = Message::new(TOPIC, format!("seed {i}")).with_tags("seed");
        let response: SendResponse = conn.call_ok(&send_request(TOPIC, record(&msg, 0))).await;
        assert_eq!(response.queue_offset, i);
    }
    let pulled: PullResponse = conn.call_ok(&pull_request(0)).await;
    assert_eq!(pulled.pull_status, PullStatus::Found);
    vec![pulled.records]
}

/// The seeded messages are still served, byte for byte, on a fresh connection.
async fn assert_intact(broker: &TestBroker, seeded: &[Bytes]) {
    let mut conn = RawConn::connect(broker.addr()).await;
    let pulled: PullResponse = conn.call_ok(&pull_request(0)).await;
    assert_eq!(pulled.records, seeded[0]);
    assert_eq!(
        decode_records(&pulled.records)
            .expect("valid records")
            .len(),
        3
    );
}

fn raw_frame(api_key: u16, api_version: u16, body: &[u8]) -> BytesMut {
    let header = FrameHeader {
        kind: FrameKind::Request,
        api_key,
        api_version,
        correlation_id: 77,
    };
    let mut out = BytesMut::new();
    encode_frame(&header, None, 0, &mut out, |out| {
        out.put_slice(body);
        Ok(())
    })
    .expect("encode raw frame");
    out
}

/// A length prefix over the maximum closes the connection before any body is sent.
#[tokio::test]
async fn over_limit_length_prefix_closes_connection() {
    let broker = TestBroker::start().await;
    let seeded = seed(&broker).await;
    let mut conn = RawConn::connect(broker.addr()).await;
    conn.write(&(FRAME_LEN_MAX + 1).to_be_bytes())
        .await
        .expect("write prefix");
    conn.expect_closed().await;
    assert_intact(&broker, &seeded).await;
    broker.shutdown().await;
}

/// Garbage bytes close the connection; a truncated frame followed by a disconnect is
/// harmless; neither disturbs another client.
#[tokio::test]
async fn garbage_and_truncated_frames() {
    let broker = TestBroker::start().await;
    let seeded = seed(&broker).await;
    let mut bystander = RawConn::connect(broker.addr()).await;
    let mut garbage = RawConn::connect(broker.addr()).await;
    garbage
        .write(&[0xde, 0xad, 0xbe, 0xef, 0x13, 0x37, 0x00, 0x01])
        .await
        .expect("write");
    garbage.expect_closed().await;
    // A frame of a valid length whose kind byte is unknown.
    let mut bad_kind = RawConn::connect(broker.addr()).await;
    bad_kind
        .write(&[0, 0, 0, 9, 7, 0, 10, 0, 0, 0, 0, 0, 1])
        .await
        .expect("write");
    bad_kind.expect_closed().await;
    let mut truncated = RawConn::connect(broker.addr()).await;
    let msg = Message::new(TOPIC, "never stored");
    let mut frame = BytesMut::new();
    ferrocket::protocol::encode_request(
        FrameKind::Request,
        1,
        &send_request(TOPIC, record(&msg, 0)),
        &mut frame,
    )
    .expect("encode");
    truncated
        .write(&frame[..frame.len() / 2])
        .await
        .expect("write half");
    drop(truncated);
    let _: PullResponse = bystander.call_ok(&pull_request(0)).await;
    assert_intact(&broker, &seeded).await;
    broker.shutdown().await;
}

/// An unknown api key and an unknown version get their statuses and the connection goes on.
#[tokio::test]
async fn unknown_api_key_and_version() {
    let broker = TestBroker::start().await;
    let mut conn = RawConn::connect(broker.addr()).await;
    conn.write(&raw_frame(9999, 0, b"")).await.expect("write");
    let frame = conn.read_frame().await.expect("an answer");
    assert_eq!(frame.response.expect("head").status, Status::UnsupportedApi);
    conn.write(&raw_frame(10, 42, b"")).await.expect("write");
    let frame = conn.read_frame().await.expect("an answer");
    assert_eq!(frame.header.api_version, 42);
    assert_eq!(
        frame.response.expect("head").status,
        Status::UnsupportedVersion
    );
    let create = CreateTopicRequest {
        config: TopicConfig::new("StillServing", 1),
    };
    conn.call_ok(&create).await;
    broker.shutdown().await;
}

/// Invalid UTF-8 in a string field is a malformed request naming the field.
#[tokio::test]
async fn invalid_utf8_is_malformed() {
    let broker = TestBroker::start().await;
    let mut conn = RawConn::connect(broker.addr()).await;
    // DeleteTopic body: topic string of 2 bytes that are not UTF-8.
    conn.write(&raw_frame(22, 0, &[0, 2, 0xc3, 0x28]))
        .await
        .expect("write");
    let frame = conn.read_frame().await.expect("an answer");
    let head = frame.response.expect("head");
    assert_eq!(head.status, Status::MalformedRequest);
    assert!(
        head.error_message.contains("topic"),
        "{}",
        head.error_message
    );
    broker.shutdown().await;
}

/// Empty, too long and path-like topic and group names are refused.
#[tokio::test]
async fn bad_names_are_refused() {
    let broker = TestBroker::start().await;
    let mut conn = RawConn::connect(broker.addr()).await;
    let too_long = "t".repeat(128);
    for topic in [
        "",
        too_long.as_str(),
        "a/b",
        "..",
        "../../etc",
        "a.b",
        "a b",
    ] {
        let msg = Message::new("placeholder", "x");
        let mut request = send_request(topic, record(&msg, 0));
        request.topic = topic.into();
        let (head, _) = conn.call(&request).await;
        assert_eq!(
            head.status,
            Status::InvalidParameter,
            "topic {topic:?}: {}",
            head.error_message
        );
        let create = CreateTopicRequest {
            config: TopicConfig::new(topic, 1),
        };
        let (head, _) = conn.call(&create).await;
        assert_eq!(head.status, Status::InvalidParameter, "create {topic:?}");
    }
    for group in ["", "g/h", ".."] {
        let mut request = pull_request(0);
        request.consumer_group = group.into();
        let (head, _) = conn.call(&request).await;
        assert_eq!(head.status, Status::InvalidParameter, "group {group:?}");
    }
    // A group over GROUP_LEN_MAX cannot even be encoded by our client; sent raw, it is a
    // malformed request naming the field.
    let long_group = "g".repeat(121);
    let mut body = BytesMut::new();
    body.put_u16(121);
    body.put_slice(long_group.as_bytes());
    conn.write(&raw_frame(12, 0, &body)).await.expect("write");
    let head = conn
        .read_frame()
        .await
        .expect("an answer")
        .response
        .expect("head");
    assert_eq!(head.status, Status::MalformedRequest);
    assert!(
        head.error_message.contains("consumer_group"),
        "{}",
        head.error_message
    );
    let entries = std::fs::read_dir(broker.data_dir())
        .expect("data dir")
        .count();
    assert!(
        entries <= 8,
        "no stray folders were created: {entries} entries"
    );
    broker.shutdown().await;
}

/// A body over 4 MiB is refused as an illegal message; a batch over its count limit as a
/// malformed request.
#[tokio::test]
async fn over_limit_body_and_batch() {
    let broker = TestBroker::start().await;
    let seeded = seed(&broker).await;
    let mut conn = RawConn::connect(broker.addr()).await;
    let (head, _) = conn.call(&send_request(TOPIC, oversized_record())).await;
    assert_eq!(
        head.status,
        Status::MessageIllegal,
        "{}",
        head.error_message
    );
    assert!(
        head.error_message.contains("body"),
        "{}",
        head.error_message
    );
    let one = record_for_batch();
    let batch = SendBatchRequest {
        producer_group: "p".into(),
        topic: TOPIC.into(),
        queue_id: 0,
        wait_store_msg_ok: true,
        auto_create_queue_count: 0,
        record_count: 1,
        records: one,
    };
    let mut body = BytesMut::new();
    ferrocket::protocol::Body::encode(&batch, &mut body).expect("encode");
    // Patch the record count (after group, topic, queue id, wait flag and auto-create count).
    let count_at = 2 + 1 + 2 + TOPIC.len() + 4 + 1 + 2;
    body[count_at..count_at + 4].copy_from_slice(&(BATCH_COUNT_MAX as u32 + 1).to_be_bytes());
    conn.write(&raw_frame(11, 0, &body)).await.expect("write");
    let frame = conn.read_frame().await.expect("an answer");
    let head = frame.response.expect("head");
    assert_eq!(head.status, Status::MalformedRequest);
    assert!(
        head.error_message.contains("record_count"),
        "{}",
        head.error_message
    );
    assert_intact(&broker, &seeded).await;
    broker.shutdown().await;
}

/// A record whose body is one byte over `BODY_LEN_MAX`, with valid sizes and CRCs, as a
/// client ignoring the limit would produce it.
fn oversized_record() -> Bytes {
    use ferrocket::protocol::record::{OFF_HEADER_CRC, OFF_PAYLOAD_CRC, RECORD_FIXED_LEN};
    let valid = record(&Message::new(TOPIC, vec![7u8; BODY_LEN_MAX]), 0);
    let mut rec = BytesMut::from(&valid[..]);
    rec.put_u8(7);
    let body_len_at = rec.len() - (BODY_LEN_MAX + 1) - 4;
    rec[body_len_at..body_len_at + 4].copy_from_slice(&(BODY_LEN_MAX as u32 + 1).to_be_bytes());
    let total = rec.len() as u32;
    rec[0..4].copy_from_slice(&total.to_be_bytes());
    let payload_crc = crc32fast::hash(&rec[RECORD_FIXED_LEN..]);
    rec[OFF_PAYLOAD_CRC..OFF_PAYLOAD_CRC + 4].copy_from_slice(&payload_crc.to_be_bytes());
    let mut hasher = crc32fast::Hasher::new();
    hasher.update(&rec[..OFF_HEADER_CRC]);
    hasher.update(&rec[OFF_PAYLOAD_CRC..RECORD_FIXED_LEN]);
    let header_crc = hasher.finalize();
    rec[OFF_HEADER_CRC..OFF_HEADER_CRC + 4].copy_from_slice(&header_crc.to_be_bytes());
    rec.freeze()
}

fn record_for_batch() -> Bytes {
    record(&Message::new(TOPIC, "batched"), 0)
}

/// A client that stalls mid-frame is disconnected after the frame read timeout, and others
/// are served meanwhile.
#[tokio::test]
async fn stalled_client_is_disconnected() {
    let broker = TestBroker::start_with(|c| c.frame_read_timeout_ms = 300).await;
    let seeded = seed(&broker).await;
    let mut staller = RawConn::connect(broker.addr()).await;
    staller
        .write(&[0, 0, 1, 0, 0])
        .await
        .expect("write a frame start");
    let mut bystander = RawConn::connect(broker.addr()).await;
    let _: PullResponse = bystander.call_ok(&pull_request(0)).await;
    staller.expect_closed().await;
    assert_intact(&broker, &seeded).await;
    let frame = decode_frame(raw_frame(0, 0, b"").freeze());
    assert!(frame.is_ok());
    broker.shutdown().await;
}
