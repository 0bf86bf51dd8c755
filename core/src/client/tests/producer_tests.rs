//! `Producer` against fake name servers and brokers: retries, SYSTEM_BUSY, another broker,
//! timeouts, routes, orderly, batch, async and oneway sends.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use super::fake::{Action, Fake, dead_addr, fail, ok, respond, route};
use crate::client::error::ClientError;
use crate::client::producer::{Producer, SendStatus};
use crate::client::selector::orderly_index;
use crate::message::Message;
use crate::protocol::record::decode_records;
use crate::protocol::{AnyRequest, FrameHeader, SendResponse, Status};

fn send_response(queue_id: u32, queue_offset: u64) -> SendResponse {
    SendResponse {
        queue_id,
        queue_offset,
        commit_log_offset: 1000 + queue_offset,
        store_timestamp_ms: 1,
        store_host: "127.0.0.1:10911".parse::<SocketAddr>().unwrap(),
    }
}

fn send_ok(h: &FrameHeader, req: &AnyRequest) -> Action {
    let queue_id = match req {
        AnyRequest::SendMessage(r) => r.queue_id,
        AnyRequest::SendBatch(r) => r.queue_id,
        _ => 0,
    };
    Action::Reply(ok(h, &send_response(queue_id, 7)))
}

fn is_send(r: &AnyRequest) -> bool {
    matches!(r, AnyRequest::SendMessage(_) | AnyRequest::SendBatch(_))
}

/// A fake that is its own name server (one broker `b`, `queues` queues) and answers sends with
/// `on_send`.
async fn self_routed(
    queues: u16,
    on_send: impl Fn(&FrameHeader, &AnyRequest) -> Action + Send + Sync + 'static,
) -> Fake {
    Fake::start(Arc::new(move |addr, h, req| match req {
        AnyRequest::QueryRoute(_) => Action::Reply(ok(h, &route(&[("b", addr)], queues))),
        AnyRequest::Heartbeat(_) => Action::Reply(ok(h, &crate::protocol::Empty)),
        r if is_send(r) => on_send(h, r),
        _ => Action::Silent,
    }))
    .await
}

async fn producer(namesrv: &str, timeout_ms: u64) -> Producer {
    let p = Producer::builder()
        .group("pg")
        .namesrv(namesrv)
        .send_timeout(Duration::from_millis(timeout_ms))
        .build()
        .unwrap();
    p.start().await.unwrap();
    p
}

/// SYSTEM_BUSY twice, then OK: the send succeeds within its budget after two backoffs.
#[tokio::test]
async fn system_busy_is_retried() {
    let busy = Arc::new(AtomicUsize::new(0));
    let b = busy.clone();
    let fake = self_routed(4, move |h, r| {
        if b.fetch_add(1, Ordering::SeqCst) < 2 {
            Action::Reply(fail(
                h,
                Status::SystemBusy,
                "[TIMEOUT_CLEAN_QUEUE]broker busy",
            ))
        } else {
            send_ok(h, r)
        }
    })
    .await;
    let p = producer(&fake.addr, 3000).await;
    let result = p.send(Message::new("t", "hello")).await.unwrap();
    assert_eq!(result.status, SendStatus::SendOk);
    assert_eq!(result.queue_offset, 7);
    assert_eq!(result.offset_msg_id, "7F00000100002A9F00000000000003EF");
    assert_eq!(fake.count(is_send), 3);
    p.shutdown().await;
}

/// A failing broker is retried on the other one, then avoided by the fault table.
#[tokio::test]
async fn retry_on_another_broker() {
    let failing = Fake::start(Arc::new(|_, h, _| {
        Action::Reply(fail(h, Status::SystemError, "disk on fire"))
    }))
    .await;
    let good = self_routed(1, send_ok).await;
    let (a, b) = (failing.addr.clone(), good.addr.clone());
    let namesrv = Fake::start(Arc::new(move |_, h, _| {
        Action::Reply(ok(h, &route(&[("a", &a), ("b", &b)], 1)))
    }))
    .await;
    let p = producer(&namesrv.addr, 3000).await;
    for _ in 0..4 {
        let result = p.send(Message::new("t", "x")).await.unwrap();
        assert_eq!(result.queue.broker_name, "b");
    }
    assert_eq!(failing.count(is_send), 1, "isolated broker was used again");
    assert_eq!(good.count(is_send), 4);
    p.shutdown().await;
}

/// An unreachable broker is retried on the other one.
#[tokio::test]
async fn unreachable_broker_is_skipped() {
    let good = self_routed(1, send_ok).await;
    let (a, b) = (dead_addr().await, good.addr.clone());
    let namesrv = Fake::start(Arc::new(move |_, h, _| {
        Action::Reply(ok(h, &route(&[("a", &a), ("b", &b)], 1)))
    }))
    .await;
    let p = producer(&namesrv.addr, 3000).await;
    for _ in 0..3 {
        assert_eq!(
            p.send(Message::new("t", "x"))
                .await
                .unwrap()
                .queue
                .broker_name,
            "b"
        );
    }
    p.shutdown().await;
}

/// A broker that never answers makes the send time out within the send timeout.
#[tokio::test]
async fn silent_broker_times_out_within_budget() {
    let fake = self_routed(2, |_, _| Action::Silent).await;
    let p = producer(&fake.addr, 300).await;
    let start = Instant::now();
    let err = p.send(Message::new("t", "x")).await.unwrap_err();
    assert!(matches!(err, ClientError::Timeout { .. }), "{err}");
    assert!(
        start.elapsed() < Duration::from_millis(800),
        "{:?}",
        start.elapsed()
    );
    p.shutdown().await;
}

/// An unknown topic gives NoRoute naming the topic and every name server asked, after
/// failing over from an unreachable one.
#[tokio::test]
async fn no_route_names_topic_and_servers() {
    let namesrv = Fake::start(Arc::new(|_, h, _| {
        Action::Reply(fail(h, Status::TopicNotExist, "no such topic"))
    }))
    .await;
    let dead = dead_addr().await;
    let p = producer(&format!("{dead};{}", namesrv.addr), 3000).await;
    let err = p.send(Message::new("missing", "x")).await.unwrap_err();
    match &err {
        ClientError::NoRoute {
            topic,
            name_servers,
        } => {
            assert_eq!(topic, "missing");
            assert_eq!(name_servers, &vec![dead.clone(), namesrv.addr.clone()]);
        }
        other => panic!("expected NoRoute, got {other}"),
    }
    assert!(err.to_string().contains("missing"));
    p.shutdown().await;
}

/// FLUSH_DISK_TIMEOUT is a result (the message is stored), not an error.
#[tokio::test]
async fn flush_disk_timeout_is_a_status() {
    let fake = self_routed(1, |h, _| {
        let body = send_response(0, 3);
        Action::Reply(respond(
            h,
            Status::FlushDiskTimeout,
            "slow disk",
            Some(&body),
        ))
    })
    .await;
    let p = producer(&fake.addr, 3000).await;
    let result = p.send(Message::new("t", "x")).await.unwrap();
    assert_eq!(result.status, SendStatus::FlushDiskTimeout);
    p.shutdown().await;
}

/// One sharding key always goes to the same queue: FNV-1a of the key mod the queue count.
#[tokio::test]
async fn orderly_sends_keep_their_queue() {
    let fake = self_routed(4, send_ok).await;
    let p = producer(&fake.addr, 3000).await;
    let expected = orderly_index("order-7", 4).unwrap() as u32;
    for _ in 0..5 {
        let result = p
            .send_orderly(Message::new("t", "x"), "order-7")
            .await
            .unwrap();
        assert_eq!(result.queue.queue_id, expected);
    }
    let queues: Vec<u32> = fake
        .requests
        .lock()
        .unwrap()
        .iter()
        .filter_map(|r| match r {
            AnyRequest::SendMessage(s) => Some(s.queue_id),
            _ => None,
        })
        .collect();
    assert_eq!(queues, vec![expected; 5]);
    p.shutdown().await;
}

/// A batch goes as one SendBatch with every record and reports every message id.
#[tokio::test]
async fn batch_is_one_request() {
    let fake = self_routed(2, send_ok).await;
    let p = producer(&fake.addr, 3000).await;
    let msgs: Vec<Message> = (0..3).map(|i| Message::new("t", format!("m{i}"))).collect();
    let result = p.send_batch(msgs).await.unwrap();
    assert_eq!(result.msg_ids.len(), 3);
    let requests = fake.requests.lock().unwrap().clone();
    let batch = requests.iter().find_map(|r| match r {
        AnyRequest::SendBatch(b) => Some(b.clone()),
        _ => None,
    });
    let batch = batch.expect("no SendBatch received");
    assert_eq!(batch.record_count, 3);
    let decoded = decode_records(&batch.records).unwrap();
    let ids: Vec<_> = decoded.iter().map(|m| m.msg_id).collect();
    assert_eq!(ids, result.msg_ids);
    assert_eq!(decoded[2].body().as_ref(), b"m2");
    p.shutdown().await;
}

/// Async sends run with bounded concurrency; every callback runs before shutdown returns.
#[tokio::test]
async fn async_sends_call_back() {
    let fake = self_routed(4, send_ok).await;
    let p = Producer::builder()
        .group("pg")
        .namesrv(&fake.addr)
        .max_outstanding_async(8)
        .build()
        .unwrap();
    p.start().await.unwrap();
    let results = Arc::new(Mutex::new(Vec::new()));
    for i in 0..100 {
        let results = results.clone();
        let msg = Message::new("t", format!("{i}"));
        p.send_async(msg, move |r| results.lock().unwrap().push(r.is_ok()))
            .await
            .unwrap();
    }
    p.shutdown().await;
    let results = results.lock().unwrap();
    assert_eq!(results.len(), 100);
    assert!(results.iter().all(|ok| *ok));
}

/// Oneway sends reach the broker; state errors and invalid messages are caught locally.
#[tokio::test]
async fn oneway_and_state_errors() {
    let fake = self_routed(1, |_, _| Action::Silent).await;
    let p = Producer::builder()
        .group("pg")
        .namesrv(&fake.addr)
        .build()
        .unwrap();
    let err = p.send(Message::new("t", "x")).await.unwrap_err();
    assert!(matches!(err, ClientError::NotStarted));
    p.start().await.unwrap();
    assert!(matches!(p.start().await, Err(ClientError::AlreadyStarted)));
    let err = p.send(Message::new("bad topic", "x")).await.unwrap_err();
    assert!(matches!(err, ClientError::InvalidArgument(_)));
    p.send_oneway(Message::new("t", "x")).await.unwrap();
    for _ in 0..100 {
        if fake.count(is_send) == 1 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert_eq!(fake.count(is_send), 1);
    p.shutdown().await;
    assert!(matches!(
        p.send(Message::new("t", "x")).await,
        Err(ClientError::ShutDown)
    ));
}

/// Builders refuse missing or invalid settings.
#[test]
fn builder_validation() {
    assert!(Producer::builder().namesrv("a:1").build().is_err());
    assert!(Producer::builder().group("g").build().is_err());
    assert!(
        Producer::builder()
            .group("g g")
            .namesrv("a:1")
            .build()
            .is_err()
    );
    assert!(
        Producer::builder()
            .group("g")
            .namesrv("nope")
            .build()
            .is_err()
    );
    assert!(
        Producer::builder()
            .group("g")
            .namesrv("a:1")
            .build()
            .is_ok()
    );
}
