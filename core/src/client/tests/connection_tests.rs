//! `Connection` and `ConnectionPool` against the fake server: pipelining, timeouts, broker
//! statuses, connection loss and reconnect.

use std::sync::Arc;
use std::time::{Duration, Instant};

use super::fake::{Action, Fake, fail, ok};
use crate::client::connection::{ConnectOptions, Connection, RequestHandler};
use crate::client::error::ClientError;
use crate::client::pool::ConnectionPool;
use crate::protocol::{
    AnyRequest, ApiKey, DeleteTopicRequest, FrameKind, GetMaxOffsetRequest, ListTopicsRequest,
    ListTopicsResponse, OffsetResponse, RawFrame, Status, encode_request,
};

fn max_offset(queue_id: u32) -> GetMaxOffsetRequest {
    GetMaxOffsetRequest {
        topic: "t".into(),
        queue_id,
    }
}

/// Queue id 0..50 answer with their id after (50 - id) ms; 99 never answers; 98 closes the
/// connection; 97 answers SYSTEM_BUSY.
async fn offsets_fake() -> Fake {
    Fake::start(Arc::new(|_, h, req| match req {
        AnyRequest::GetMaxOffset(r) if r.queue_id == 99 => Action::Silent,
        AnyRequest::GetMaxOffset(r) if r.queue_id == 98 => Action::Close,
        AnyRequest::GetMaxOffset(r) if r.queue_id == 96 => Action::ReplyAndPush(
            ok(h, &OffsetResponse { offset: 96 }),
            vec![
                push(777, ApiKey::ListTopics),
                push(778, ApiKey::DeleteTopic),
            ],
        ),
        AnyRequest::GetMaxOffset(r) if r.queue_id == 97 => {
            Action::Reply(fail(h, Status::SystemBusy, "busy"))
        }
        AnyRequest::GetMaxOffset(r) => {
            let pause = Duration::from_millis(u64::from(50 - r.queue_id.min(50)));
            Action::After(
                pause,
                ok(
                    h,
                    &OffsetResponse {
                        offset: r.queue_id.into(),
                    },
                ),
            )
        }
        _ => Action::Silent,
    }))
    .await
}

fn push(correlation_id: u32, key: ApiKey) -> bytes::Bytes {
    let mut out = bytes::BytesMut::new();
    if key == ApiKey::ListTopics {
        let request = ListTopicsRequest {
            include_system: false,
        };
        encode_request(FrameKind::Request, correlation_id, &request, &mut out).unwrap();
    } else {
        let request = DeleteTopicRequest { topic: "t".into() };
        encode_request(FrameKind::Request, correlation_id, &request, &mut out).unwrap();
    }
    out.freeze()
}

/// Requests from the peer reach the handler, which answers them; a request the handler does
/// not answer gets UNSUPPORTED_API.
#[tokio::test]
async fn peer_requests_go_to_the_handler() {
    let fake = offsets_fake().await;
    let handler: RequestHandler = Arc::new(|frame: RawFrame| {
        (frame.header.api_key == ApiKey::ListTopics.code()).then(|| {
            let body = ListTopicsResponse { topics: Vec::new() };
            ok(&frame.header, &body)
        })
    });
    let options = ConnectOptions {
        handler: Some(handler),
        ..ConnectOptions::default()
    };
    let conn = Connection::connect(&fake.addr, options).await.unwrap();
    conn.call(&max_offset(96), Duration::from_secs(2))
        .await
        .unwrap();
    for _ in 0..200 {
        if fake.responses.lock().unwrap().len() == 2 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    let responses = fake.responses.lock().unwrap().clone();
    let got: Vec<(u32, Status)> = responses
        .iter()
        .map(|f| (f.header.correlation_id, f.response.as_ref().unwrap().status))
        .collect();
    assert_eq!(got, [(777, Status::Ok), (778, Status::UnsupportedApi)]);
}

/// Concurrent calls on one connection each get their own response, even out of order.
#[tokio::test]
async fn pipelined_calls_complete_by_correlation_id() {
    let fake = offsets_fake().await;
    let conn = Connection::connect(&fake.addr, ConnectOptions::default())
        .await
        .unwrap();
    assert!(conn.peer_supports(ApiKey::Pull));
    let calls = (0..50u32).map(|id| {
        let conn = conn.clone();
        async move { (id, conn.call(&max_offset(id), Duration::from_secs(5)).await) }
    });
    let start = Instant::now();
    for (id, result) in futures_join_all(calls).await {
        assert_eq!(result.unwrap().offset, u64::from(id));
    }
    assert!(
        start.elapsed() < Duration::from_millis(1000),
        "calls were not pipelined"
    );
}

/// Oneway frames queued right before `close` still reach the peer: a oneway send that
/// returned OK is not dropped by a shutdown that follows it at once.
#[tokio::test]
async fn close_writes_queued_oneway_frames() {
    let fake = offsets_fake().await;
    let conn = Connection::connect(&fake.addr, ConnectOptions::default())
        .await
        .unwrap();
    for _ in 0..10 {
        conn.oneway(&max_offset(99)).await.unwrap();
    }
    conn.close().await;
    let arrived = || fake.count(|r| matches!(r, AnyRequest::GetMaxOffset(_)));
    let deadline = Instant::now() + Duration::from_secs(5);
    while arrived() < 10 && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert_eq!(arrived(), 10, "every queued oneway frame was written");
}

/// A call that is never answered times out within its budget; the connection stays usable.
#[tokio::test]
async fn unanswered_call_times_out() {
    let fake = offsets_fake().await;
    let conn = Connection::connect(&fake.addr, ConnectOptions::default())
        .await
        .unwrap();
    let start = Instant::now();
    let err = conn
        .call(&max_offset(99), Duration::from_millis(200))
        .await
        .unwrap_err();
    let elapsed = start.elapsed();
    assert!(
        matches!(
            err,
            ClientError::Timeout {
                op: "GetMaxOffset",
                ..
            }
        ),
        "{err}"
    );
    assert!(elapsed >= Duration::from_millis(200) && elapsed < Duration::from_millis(600));
    assert_eq!(
        conn.call(&max_offset(1), Duration::from_secs(2))
            .await
            .unwrap()
            .offset,
        1
    );
}

/// A failure status becomes `Broker`; `call_with_status` returns it as is.
#[tokio::test]
async fn failure_status_becomes_broker_error() {
    let fake = offsets_fake().await;
    let conn = Connection::connect(&fake.addr, ConnectOptions::default())
        .await
        .unwrap();
    let err = conn
        .call(&max_offset(97), Duration::from_secs(2))
        .await
        .unwrap_err();
    assert_eq!(err.status(), Some(Status::SystemBusy));
    assert!(err.is_retriable());
    assert!(err.to_string().contains(&fake.addr), "{err}");
    let reply = conn
        .call_with_status(&max_offset(97), Duration::from_secs(2))
        .await
        .unwrap();
    assert_eq!(
        (reply.status, reply.message.as_str(), reply.body),
        (Status::SystemBusy, "busy", None)
    );
}

/// When the socket drops, pending calls fail with `Connection` and the pool reconnects.
#[tokio::test]
async fn connection_loss_fails_pending_calls() {
    let fake = offsets_fake().await;
    let pool = ConnectionPool::new(ConnectOptions::default());
    let conn = pool.get(&fake.addr).await.unwrap();
    let pending = {
        let conn = conn.clone();
        tokio::spawn(async move { conn.call(&max_offset(99), Duration::from_secs(10)).await })
    };
    tokio::time::sleep(Duration::from_millis(50)).await;
    let err = conn
        .call(&max_offset(98), Duration::from_secs(10))
        .await
        .unwrap_err();
    assert!(matches!(err, ClientError::Connection { .. }), "{err}");
    let err = pending.await.unwrap().unwrap_err();
    assert!(matches!(err, ClientError::Connection { .. }), "{err}");
    assert!(!conn.is_alive());
    let again = pool.get(&fake.addr).await.unwrap();
    assert!(again.is_alive());
    assert_eq!(
        again
            .call(&max_offset(3), Duration::from_secs(2))
            .await
            .unwrap()
            .offset,
        3
    );
    pool.close_all().await;
    assert!(matches!(
        pool.get(&fake.addr).await,
        Err(ClientError::ShutDown)
    ));
}

/// Connecting to a closed port fails with `Connection`, naming the address.
#[tokio::test]
async fn connect_refused() {
    let addr = super::fake::dead_addr().await;
    let err = Connection::connect(&addr, ConnectOptions::default())
        .await
        .unwrap_err();
    assert!(
        matches!(&err, ClientError::Connection { addr: a, .. } if *a == addr),
        "{err}"
    );
}

async fn futures_join_all<F: std::future::Future + Send + 'static>(
    futs: impl Iterator<Item = F>,
) -> Vec<F::Output>
where
    F::Output: Send + 'static,
{
    let handles: Vec<_> = futs.map(tokio::spawn).collect();
    let mut out = Vec::new();
    for h in handles {
        out.push(h.await.unwrap());
    }
    out
}

/// Oneway frames queued before `close` are written before the socket closes. On this
/// single-threaded runtime the writer task first runs inside `close`, with both a queued frame
/// and the shutdown signal ready, so ten connections in a row would lose frames unless the
/// writer prefers and flushes frames (each round would drop its 20 with a coin flip).
#[tokio::test]
async fn close_flushes_queued_oneway_frames() {
    let fake = offsets_fake().await;
    for _ in 0..10 {
        let conn = Connection::connect(&fake.addr, ConnectOptions::default())
            .await
            .unwrap();
        for _ in 0..20 {
            conn.oneway(&max_offset(99)).await.unwrap();
        }
        conn.close().await;
    }
    let silent = |r: &AnyRequest| matches!(r, AnyRequest::GetMaxOffset(g) if g.queue_id == 99);
    let deadline = Instant::now() + Duration::from_secs(10);
    while fake.count(silent) < 200 && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert_eq!(fake.count(silent), 200);
}
