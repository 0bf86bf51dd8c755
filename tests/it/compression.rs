//! Compression through a real broker: large bodies are stored compressed and come back whole;
//! a record whose compressed body announces more than `BODY_LEN_MAX` is refused by the
//! consumer (not delivered, nothing huge allocated) while the messages around it flow.

use std::time::Duration;

use bytes::{BufMut, BytesMut};
use ferrocket::ConsumeFrom;
use ferrocket::client::compression::COMPRESSION_TYPE_LZ4;
use ferrocket::message::{Message, MessageId, unspecified_addr};
use ferrocket::protocol::record::{
    RecordStamp, SYS_FLAG_COMPRESSED, decode_records, encode_record,
};
use ferrocket::protocol::{ExpressionType, PullRequest, SendMessageRequest, Status};
use ferrocket_tests::{RawConn, TestBroker};

use crate::util::{consumer, producer};

fn pull(topic: &str) -> PullRequest {
    PullRequest {
        consumer_group: "raw".into(),
        topic: topic.into(),
        queue_id: 0,
        queue_offset: 0,
        max_messages: 32,
        max_bytes: 8 << 20,
        suspend_timeout_ms: 0,
        commit_offset: None,
        expression_type: ExpressionType::Tag,
        expression: "*".into(),
    }
}

/// A 64 KiB compressible body is stored compressed (flag set, far fewer bytes) and a consumer
/// gets it back byte for byte; a small body is stored as it is.
#[tokio::test]
async fn compressed_bodies_roundtrip() {
    let broker = TestBroker::start().await;
    let producer = producer(&broker, "zip-producer").await;
    let big: Vec<u8> = (0..65_536u32)
        .map(|i| b"ferrocket "[(i % 10) as usize])
        .collect();
    let queue = ferrocket::MessageQueue::new("Zipped", "broker-a", 0);
    producer
        .send_to_queue(Message::new("Zipped", big.clone()), &queue)
        .await
        .expect("send big");
    producer
        .send_to_queue(Message::new("Zipped", "small"), &queue)
        .await
        .expect("send small");
    producer.shutdown().await;

    let mut conn = RawConn::connect(broker.addr()).await;
    let raw = conn.call_ok(&pull("Zipped")).await;
    let stored = decode_records(&raw.records).expect("records");
    assert_eq!(stored.len(), 2);
    assert_eq!(
        stored[0].sys_flag & SYS_FLAG_COMPRESSED,
        SYS_FLAG_COMPRESSED
    );
    assert!(
        stored[0].body().len() < big.len() / 10,
        "{} bytes stored",
        stored[0].body().len()
    );
    assert_eq!(stored[1].sys_flag & SYS_FLAG_COMPRESSED, 0);

    let consumer = consumer(&broker, "zip-consumer", ConsumeFrom::FirstOffset).await;
    consumer.subscribe("Zipped", "*").await.expect("subscribe");
    consumer.start().await.expect("start");
    let mut got = Vec::new();
    while got.len() < 2 {
        got.extend(
            consumer
                .poll_timeout(Duration::from_secs(10))
                .await
                .expect("poll"),
        );
    }
    assert_eq!(&got[0].body()[..], &big[..]);
    assert_eq!(
        got[0].sys_flag & SYS_FLAG_COMPRESSED,
        0,
        "the consumer clears the flag"
    );
    assert_eq!(&got[1].body()[..], b"small");
    consumer.shutdown().await;
    broker.shutdown().await;
}

/// A record claiming a 4 GiB decompressed body is stored (the broker never decompresses) but
/// the consumer refuses it and delivers the message after it.
#[tokio::test]
async fn consumer_refuses_an_oversized_decompression() {
    let broker = TestBroker::start().await;
    let mut bomb = BytesMut::new();
    bomb.put_u32(u32::MAX);
    bomb.put_slice(&[0xf0; 64]);
    let stamp = RecordStamp {
        msg_id: MessageId([9; 16]),
        sys_flag: SYS_FLAG_COMPRESSED | COMPRESSION_TYPE_LZ4,
        queue_id: 0,
        reconsume_times: 0,
        born_timestamp_ms: 1,
        born_host: unspecified_addr(),
        prepared_transaction_offset: 0,
    };
    let mut record = BytesMut::new();
    encode_record(&Message::new("Bombed", bomb.freeze()), &stamp, &mut record).expect("encode");
    let mut conn = RawConn::connect(broker.addr()).await;
    let send = SendMessageRequest {
        producer_group: "bomber".into(),
        topic: "Bombed".into(),
        queue_id: 0,
        wait_store_msg_ok: true,
        auto_create_queue_count: 1,
        record: record.freeze(),
    };
    let (head, _) = conn.call(&send).await;
    assert_eq!(head.status, Status::Ok, "{}", head.error_message);
    let producer = producer(&broker, "after-bomb").await;
    let queue = ferrocket::MessageQueue::new("Bombed", "broker-a", 0);
    producer
        .send_to_queue(Message::new("Bombed", "fine"), &queue)
        .await
        .expect("send");
    producer.shutdown().await;

    let consumer = consumer(&broker, "bomb-consumer", ConsumeFrom::FirstOffset).await;
    consumer.subscribe("Bombed", "*").await.expect("subscribe");
    consumer.start().await.expect("start");
    let got = consumer
        .poll_timeout(Duration::from_secs(10))
        .await
        .expect("poll");
    assert_eq!(got.len(), 1, "only the good message is delivered");
    assert_eq!(&got[0].body()[..], b"fine");
    consumer.shutdown().await;
    broker.shutdown().await;
}
