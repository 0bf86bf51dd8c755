//! `PullConsumer` against a fake broker that is its own name server and serves one queue of
//! five stored records (tags alternate TagA, TagB) with long polling.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::{Bytes, BytesMut};

use super::fake::{Action, Fake, fail, ok, route};
use crate::client::config::ConsumeFrom;
use crate::client::error::ClientError;
use crate::client::pull_consumer::PullConsumer;
use crate::client::route::MessageQueue;
use crate::message::{Message, MessageExt, MessageId};
use crate::protocol::record::{RecordStamp, StorePatch, encode_record, patch_record};
use crate::protocol::{
    AnyRequest, ConsumeType, Empty, FrameHeader, OffsetResponse, PullRequest, PullResponse,
    PullStatus, Status,
};

const STORED: u64 = 5;

fn record(offset: u64) -> Bytes {
    let tags = if offset.is_multiple_of(2) {
        "TagA"
    } else {
        "TagB"
    };
    let msg = Message::new("t", format!("m{offset}")).with_tags(tags);
    let stamp = RecordStamp {
        msg_id: MessageId([offset as u8; 16]),
        sys_flag: 0,
        queue_id: 0,
        reconsume_times: 0,
        born_timestamp_ms: 1,
        born_host: crate::message::unspecified_addr(),
        prepared_transaction_offset: 0,
    };
    let mut out = BytesMut::new();
    encode_record(&msg, &stamp, &mut out).unwrap();
    let patch = StorePatch {
        queue_id: 0,
        queue_offset: offset,
        commit_log_offset: offset * 1000,
        store_timestamp_ms: 2,
        store_host: "127.0.0.1:10911".parse().unwrap(),
    };
    patch_record(&mut out, &patch);
    out.freeze()
}

fn pull(h: &FrameHeader, r: &PullRequest) -> Action {
    let at = r.queue_offset;
    if at < STORED {
        let end = STORED.min(at + u64::from(r.max_messages));
        let mut records = BytesMut::new();
        (at..end).for_each(|o| records.extend_from_slice(&record(o)));
        let body = response(PullStatus::Found, end, records.freeze());
        return Action::Reply(ok(h, &body));
    }
    let hold = Duration::from_millis(u64::from(r.suspend_timeout_ms).min(100));
    Action::After(
        hold,
        ok(h, &response(PullStatus::NoNewMessage, at, Bytes::new())),
    )
}

fn response(pull_status: PullStatus, next_begin_offset: u64, records: Bytes) -> PullResponse {
    PullResponse {
        pull_status,
        next_begin_offset,
        min_offset: 0,
        max_offset: STORED,
        suggest_broker_id: 0,
        records,
    }
}

/// The fake broker; `committed` is the group's stored offset.
async fn broker(committed: Arc<Mutex<Option<u64>>>) -> Fake {
    let members: Arc<Mutex<Vec<String>>> = Arc::default();
    Fake::start(Arc::new(move |addr, h, req| {
        let reply = |offset| Action::Reply(ok(h, &OffsetResponse { offset }));
        match req {
            AnyRequest::QueryRoute(_) => Action::Reply(ok(h, &route(&[("b", addr)], 1))),
            AnyRequest::Heartbeat(hb) => {
                members.lock().unwrap().push(hb.client_id.clone());
                Action::Reply(ok(h, &Empty))
            }
            AnyRequest::UnregisterClient(_) => Action::Reply(ok(h, &Empty)),
            AnyRequest::GetConsumerList(_) => {
                let client_ids = members.lock().unwrap().clone();
                Action::Reply(ok(h, &crate::protocol::ConsumerListResponse { client_ids }))
            }
            AnyRequest::QueryConsumerOffset(_) => match *committed.lock().unwrap() {
                Some(offset) => reply(offset),
                None => Action::Reply(fail(h, Status::QueryNotFound, "no offset")),
            },
            AnyRequest::UpdateConsumerOffset(u) => {
                *committed.lock().unwrap() = Some(u.offset);
                Action::Reply(ok(h, &Empty))
            }
            AnyRequest::GetMaxOffset(_) => reply(STORED),
            AnyRequest::GetMinOffset(_) => reply(0),
            AnyRequest::Pull(r) => pull(h, r),
            _ => Action::Silent,
        }
    }))
    .await
}

fn consumer(namesrv: &str, from: ConsumeFrom, auto_commit: bool) -> PullConsumer {
    PullConsumer::builder()
        .group("cg")
        .namesrv(namesrv)
        .consume_from(from)
        .auto_commit(auto_commit)
        .long_poll(Duration::from_millis(200))
        .pull_error_backoff(Duration::from_millis(50))
        .build()
        .unwrap()
}

/// Polls until `n` messages arrived (or 3 s passed); returns their queue offsets.
async fn poll_offsets(c: &PullConsumer, n: usize) -> Vec<u64> {
    let mut out: Vec<MessageExt> = Vec::new();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(3);
    while out.len() < n && tokio::time::Instant::now() < deadline {
        out.extend(c.poll_timeout(Duration::from_millis(200)).await.unwrap());
    }
    out.iter().map(|m| m.queue_offset).collect()
}

fn mq() -> MessageQueue {
    MessageQueue::new("t", "b", 0)
}

/// A tag subscription gets only matching messages; commit stores the offset after the last
/// one polled, and `committed` reads it back.
#[tokio::test]
async fn subscribe_poll_and_commit() {
    let committed = Arc::new(Mutex::new(None));
    let fake = broker(committed.clone()).await;
    let c = consumer(&fake.addr, ConsumeFrom::FirstOffset, false);
    c.subscribe("t", "TagA").await.unwrap();
    c.start().await.unwrap();
    assert_eq!(c.assignment(), vec![mq()]);
    assert_eq!(poll_offsets(&c, 3).await, [0, 2, 4]);
    c.commit().await.unwrap();
    assert_eq!(*committed.lock().unwrap(), Some(5));
    assert_eq!(c.committed(&mq()).await.unwrap(), Some(5));
    let heartbeat = fake.requests.lock().unwrap().iter().find_map(|r| match r {
        AnyRequest::Heartbeat(h) => Some(h.clone()),
        _ => None,
    });
    let group = &heartbeat.expect("no heartbeat").consumer_groups[0];
    assert_eq!(
        (group.group.as_str(), group.consume_type),
        ("cg", ConsumeType::Pull)
    );
    assert_eq!(group.subscriptions[0].expression, "TagA");
    c.shutdown().await;
}

/// Seek drops buffered messages and restarts the queue at the offset.
#[tokio::test]
async fn assign_and_seek() {
    let fake = broker(Arc::new(Mutex::new(None))).await;
    let c = consumer(&fake.addr, ConsumeFrom::FirstOffset, false);
    c.assign(vec![mq()]).unwrap();
    c.start().await.unwrap();
    assert_eq!(poll_offsets(&c, 5).await, [0, 1, 2, 3, 4]);
    c.seek(&mq(), 3).unwrap();
    assert_eq!(poll_offsets(&c, 2).await, [3, 4]);
    c.seek_to_beginning(&mq()).await.unwrap();
    assert_eq!(poll_offsets(&c, 5).await, [0, 1, 2, 3, 4]);
    let other = MessageQueue::new("t", "b", 9);
    assert!(matches!(
        c.seek(&other, 0),
        Err(ClientError::InvalidArgument(_))
    ));
    c.shutdown().await;
}

/// A group with no committed offset starts at the end with `LastOffset`, and at the
/// committed offset when it has one.
#[tokio::test]
async fn starting_offsets() {
    let fake = broker(Arc::new(Mutex::new(None))).await;
    let c = consumer(&fake.addr, ConsumeFrom::LastOffset, false);
    c.assign(vec![mq()]).unwrap();
    c.start().await.unwrap();
    assert!(
        c.poll_timeout(Duration::from_millis(300))
            .await
            .unwrap()
            .is_empty()
    );
    c.shutdown().await;
    let fake = broker(Arc::new(Mutex::new(Some(3)))).await;
    let c = consumer(&fake.addr, ConsumeFrom::LastOffset, false);
    c.assign(vec![mq()]).unwrap();
    c.start().await.unwrap();
    assert_eq!(poll_offsets(&c, 2).await, [3, 4]);
    c.shutdown().await;
}

/// A paused queue returns nothing until resumed; shutdown commits with auto-commit on.
#[tokio::test]
async fn pause_resume_and_commit_on_shutdown() {
    let committed = Arc::new(Mutex::new(None));
    let fake = broker(committed.clone()).await;
    let c = consumer(&fake.addr, ConsumeFrom::FirstOffset, true);
    c.assign(vec![mq()]).unwrap();
    c.pause(&[mq()]).unwrap();
    c.start().await.unwrap();
    assert!(
        c.poll_timeout(Duration::from_millis(300))
            .await
            .unwrap()
            .is_empty()
    );
    c.resume(&[mq()]).unwrap();
    assert_eq!(poll_offsets(&c, 5).await, [0, 1, 2, 3, 4]);
    c.shutdown().await;
    assert_eq!(*committed.lock().unwrap(), Some(5));
    assert!(matches!(c.poll().await, Err(ClientError::ShutDown)));
}

/// Subscribe and assign cannot be mixed; poll before start is refused.
#[tokio::test]
async fn misuse_is_refused() {
    let c = consumer("127.0.0.1:1", ConsumeFrom::FirstOffset, false);
    assert!(matches!(c.poll().await, Err(ClientError::NotStarted)));
    c.assign(vec![mq()]).unwrap();
    assert!(c.subscribe("t", "*").await.is_err());
    assert!(c.subscribe("bad topic", "*").await.is_err());
}
