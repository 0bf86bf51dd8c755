//! Producer retries and latency fault tolerance across several broker names (fake brokers):
//! a send makes exactly `1 + retries` attempts, each on another broker while one exists; a
//! broker that answered slowly is avoided for the duration RocketMQ 5.3's table gives its
//! latency, and a broker that failed for 10 s.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;

use super::fake::{Action, Fake, fail, ok, route};
use crate::client::producer::Producer;
use crate::message::Message;
use crate::protocol::{AnyRequest, Empty, FrameHeader, SendResponse, Status};

fn is_send(r: &AnyRequest) -> bool {
    matches!(r, AnyRequest::SendMessage(_))
}

fn send_ok(h: &FrameHeader) -> Bytes {
    let response = SendResponse {
        queue_id: 0,
        queue_offset: 1,
        commit_log_offset: 1,
        store_timestamp_ms: 1,
        store_host: "127.0.0.1:10911".parse::<SocketAddr>().unwrap(),
    };
    ok(h, &response)
}

/// A broker answering every send with `answer`.
async fn broker(answer: fn(&FrameHeader) -> Action) -> Fake {
    Fake::start(Arc::new(move |_, h, req| match req {
        AnyRequest::Heartbeat(_) => Action::Reply(ok(h, &Empty)),
        r if is_send(r) => answer(h),
        _ => Action::Silent,
    }))
    .await
}

/// A name server routing topic `t` to one queue on each `(name, broker)`.
async fn namesrv(brokers: &[(&str, &Fake)]) -> Fake {
    let list: Vec<(String, String)> = brokers
        .iter()
        .map(|(n, f)| ((*n).to_owned(), f.addr.clone()))
        .collect();
    Fake::start(Arc::new(move |_, h, _| {
        let pairs: Vec<(&str, &str)> = list.iter().map(|(n, a)| (n.as_str(), a.as_str())).collect();
        Action::Reply(ok(h, &route(&pairs, 1)))
    }))
    .await
}

async fn producer(namesrv: &str, retries: u32, fault_tolerance: bool) -> Producer {
    let p = Producer::builder()
        .group("pg")
        .namesrv(namesrv)
        .retries(retries)
        .latency_fault_tolerance(fault_tolerance)
        .send_timeout(Duration::from_secs(3))
        .build()
        .unwrap();
    p.start().await.unwrap();
    p
}

fn failing(h: &FrameHeader) -> Action {
    Action::Reply(fail(h, Status::SystemError, "broken"))
}

/// With every broker failing, a send makes exactly `1 + retries` attempts, alternating between
/// the three broker names (never the one that just failed), then returns the last failure.
#[tokio::test]
async fn retries_are_counted_and_move_to_another_broker() {
    let brokers = [
        broker(failing).await,
        broker(failing).await,
        broker(failing).await,
    ];
    let ns = namesrv(&[("a", &brokers[0]), ("b", &brokers[1]), ("c", &brokers[2])]).await;
    for retries in [0, 2, 4] {
        let before: Vec<usize> = brokers.iter().map(|b| b.count(is_send)).collect();
        let p = producer(&ns.addr, retries, false).await;
        let err = p
            .send(Message::new("t", "x"))
            .await
            .expect_err("every broker fails");
        assert_eq!(err.status(), Some(Status::SystemError));
        let tried: Vec<usize> = brokers
            .iter()
            .zip(&before)
            .map(|(b, n)| b.count(is_send) - n)
            .collect();
        assert_eq!(
            tried.iter().sum::<usize>(),
            1 + retries as usize,
            "{tried:?}"
        );
        assert!(
            tried
                .iter()
                .all(|n| *n <= (retries as usize).div_ceil(2) + 1),
            "{tried:?}"
        );
        p.shutdown().await;
    }
}

/// A broker that took ~600 ms is avoided for 2 s (RocketMQ 5.3: latency ≥ 550 ms isolates for
/// 2000 ms): every send that follows within that window goes to the fast broker. With the
/// fault table off, round robin keeps using the slow broker.
#[tokio::test]
async fn slow_brokers_are_isolated() {
    let slow = broker(|h| Action::After(Duration::from_millis(600), send_ok(h))).await;
    let fast = broker(|h| Action::Reply(send_ok(h))).await;
    let ns = namesrv(&[("fast", &fast), ("slow", &slow)]).await;
    let p = producer(&ns.addr, 2, true).await;
    let mut slow_sends = 0;
    while slow_sends == 0 {
        let result = p.send(Message::new("t", "x")).await.unwrap();
        if result.queue.broker_name == "slow" {
            slow_sends += 1;
        }
    }
    let isolated_at = Instant::now();
    for _ in 0..6 {
        let result = p.send(Message::new("t", "x")).await.unwrap();
        assert_eq!(result.queue.broker_name, "fast");
    }
    assert!(
        isolated_at.elapsed() < Duration::from_millis(1500),
        "the sends were not fast"
    );
    assert_eq!(slow.count(is_send), 1);
    p.shutdown().await;
    let p = producer(&ns.addr, 2, false).await;
    let before = slow.count(is_send);
    for _ in 0..4 {
        p.send(Message::new("t", "x")).await.unwrap();
    }
    assert_eq!(
        slow.count(is_send) - before,
        2,
        "round robin without the fault table"
    );
    p.shutdown().await;
}
