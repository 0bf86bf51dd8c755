//! A `PullConsumer` reading a broker set of a master and a slave (two fake brokers): it
//! follows the pulls' `suggest_broker_id` to the slave and back, reads from the slave while
//! the master cannot be reached, keeps its commits until the master is back, and then commits
//! to the master only.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::{Bytes, BytesMut};

use super::fake::{Action, Fake, dead_addr, fail, ok};
use crate::client::config::ConsumeFrom;
use crate::client::pull_consumer::PullConsumer;
use crate::client::route::MessageQueue;
use crate::message::{Message, MessageId};
use crate::protocol::record::{RecordStamp, StorePatch, encode_record, patch_record};
use crate::protocol::{
    AnyRequest, BrokerData, ConsumerListResponse, Empty, FrameHeader, OffsetResponse, PERM_READ,
    PERM_WRITE, PullRequest, PullResponse, PullStatus, QueueData, Status, TopicRoute,
};

const STORED: u64 = 6;

fn record(offset: u64) -> Bytes {
    let msg = Message::new("t", format!("m{offset}"));
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

/// One record at the offset asked, suggesting `suggest(offset)`; nothing new past `STORED`.
fn pull(h: &FrameHeader, r: &PullRequest, suggest: fn(u64) -> u64) -> Action {
    let at = r.queue_offset;
    let (status, next, records) = if at < STORED {
        (PullStatus::Found, at + 1, record(at))
    } else {
        (PullStatus::NoNewMessage, at, Bytes::new())
    };
    let body = PullResponse {
        pull_status: status,
        next_begin_offset: next,
        min_offset: 0,
        max_offset: STORED,
        suggest_broker_id: if at < STORED { suggest(at) } else { 0 },
        records,
    };
    if status == PullStatus::NoNewMessage {
        return Action::After(Duration::from_millis(50), ok(h, &body));
    }
    Action::Reply(ok(h, &body))
}

/// Answers offset queries (no committed offset; min 0), pulls, heartbeats (the consumers that
/// heartbeat are the group's members) and unregistrations, and records commits.
fn broker_script(
    suggest: fn(u64) -> u64,
    commits: Arc<Mutex<Vec<u64>>>,
) -> impl Fn(&FrameHeader, &AnyRequest) -> Option<Action> {
    let members = Mutex::new(Vec::<String>::new());
    move |h, req| {
        Some(match req {
            AnyRequest::Heartbeat(hb) => {
                let mut members = members.lock().unwrap();
                if !hb.consumer_groups.is_empty() && !members.contains(&hb.client_id) {
                    members.push(hb.client_id.clone());
                }
                Action::Reply(ok(h, &Empty))
            }
            AnyRequest::GetConsumerList(_) => {
                let client_ids = members.lock().unwrap().clone();
                Action::Reply(ok(h, &ConsumerListResponse { client_ids }))
            }
            AnyRequest::QueryConsumerOffset(_) => {
                Action::Reply(fail(h, Status::QueryNotFound, "none"))
            }
            AnyRequest::GetMinOffset(_) => Action::Reply(ok(h, &OffsetResponse { offset: 0 })),
            AnyRequest::Pull(r) => pull(h, r, suggest),
            AnyRequest::UpdateConsumerOffset(u) => {
                commits.lock().unwrap().push(u.offset);
                Action::Reply(ok(h, &Empty))
            }
            AnyRequest::UnregisterClient(_) => Action::Reply(ok(h, &Empty)),
            _ => return None,
        })
    }
}

/// A route of broker `b` with its master at `master` and slave 1 at `slave`.
fn route(master: &str, slave: &str) -> TopicRoute {
    TopicRoute {
        queues: vec![QueueData {
            broker_name: "b".into(),
            read_queue_count: 1,
            write_queue_count: 1,
            perm: PERM_READ | PERM_WRITE,
        }],
        brokers: vec![BrokerData {
            cluster: "c".into(),
            broker_name: "b".into(),
            addrs: vec![(0, master.into()), (1, slave.into())],
        }],
    }
}

fn pulled_offsets(fake: &Fake) -> Vec<u64> {
    let requests = fake.requests.lock().unwrap();
    requests
        .iter()
        .filter_map(|r| match r {
            AnyRequest::Pull(p) => Some(p.queue_offset),
            _ => None,
        })
        .collect()
}

fn consumer(namesrv: &str) -> PullConsumer {
    PullConsumer::builder()
        .group("cg")
        .namesrv(namesrv)
        .consume_from(ConsumeFrom::FirstOffset)
        .auto_commit(false)
        .pull_batch_size(1)
        .long_poll(Duration::from_millis(100))
        .pull_error_backoff(Duration::from_millis(20))
        .master_down_retry(Duration::from_millis(300))
        .build()
        .unwrap()
}

async fn poll_all(c: &PullConsumer) -> Vec<u64> {
    let mut out = Vec::new();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
    while out.len() < STORED as usize && tokio::time::Instant::now() < deadline {
        let msgs = c.poll_timeout(Duration::from_millis(100)).await.unwrap();
        out.extend(msgs.iter().map(|m| m.queue_offset));
    }
    out
}

/// The master sends the consumer to slave 1 while it is far behind; the slave keeps it until
/// it caught up and then sends it back; every message arrives once, in order.
#[tokio::test]
async fn follows_the_suggested_broker_and_back() {
    let none = Arc::new(Mutex::new(Vec::new()));
    let slave_script = broker_script(|at| if at < 4 { 1 } else { 0 }, none.clone());
    let slave = Fake::start(Arc::new(move |_, h, r| {
        slave_script(h, r).unwrap_or(Action::Silent)
    }))
    .await;
    let slave_addr = slave.addr.clone();
    let master_script = broker_script(|at| if at < 1 { 1 } else { 0 }, none.clone());
    let master = Fake::start(Arc::new(move |addr, h, r| match r {
        AnyRequest::QueryRoute(_) => Action::Reply(ok(h, &route(addr, &slave_addr))),
        _ => master_script(h, r).unwrap_or(Action::Silent),
    }))
    .await;
    let c = consumer(&master.addr);
    c.subscribe("t", "*").await.unwrap();
    c.start().await.unwrap();
    assert_eq!(poll_all(&c).await, (0..STORED).collect::<Vec<_>>());
    assert_eq!(
        pulled_offsets(&slave),
        [1, 2, 3, 4],
        "the slave served 1..=4"
    );
    let from_master = pulled_offsets(&master);
    assert!(from_master.starts_with(&[0, 5]), "{from_master:?}");
    c.shutdown().await;
}

/// With the master unreachable the consumer starts and reads from the slave, and its commit
/// waits (nothing is committed to the slave); once the master answers again the commit goes
/// to the master.
#[tokio::test]
async fn reads_the_slave_while_the_master_is_down_and_commits_to_the_master() {
    let dead = dead_addr().await;
    let master_addr = Arc::new(Mutex::new(dead));
    let slave_commits = Arc::new(Mutex::new(Vec::new()));
    let slave_script = broker_script(|_| 0, slave_commits.clone());
    let slave = Fake::start(Arc::new(move |_, h, r| {
        slave_script(h, r).unwrap_or(Action::Silent)
    }))
    .await;
    let (slave_addr, current) = (slave.addr.clone(), master_addr.clone());
    let namesrv = Fake::start(Arc::new(move |_, h, r| match r {
        AnyRequest::QueryRoute(_) => {
            let master = current.lock().unwrap().clone();
            Action::Reply(ok(h, &route(&master, &slave_addr)))
        }
        _ => Action::Silent,
    }))
    .await;
    let c = consumer(&namesrv.addr);
    let mq = MessageQueue::new("t", "b", 0);
    c.assign(vec![mq.clone()]).unwrap();
    c.start().await.unwrap();
    assert_eq!(poll_all(&c).await, (0..STORED).collect::<Vec<_>>());
    // Deferred, or refused because the master cannot be reached: either way kept.
    let _ = c.commit().await;
    assert!(
        slave_commits.lock().unwrap().is_empty(),
        "never commit to a slave"
    );
    let master_commits = Arc::new(Mutex::new(Vec::new()));
    let master_script = broker_script(|_| 0, master_commits.clone());
    let master = Fake::start(Arc::new(move |_, h, r| {
        master_script(h, r).unwrap_or(Action::Silent)
    }))
    .await;
    *master_addr.lock().unwrap() = master.addr.clone();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
    while master_commits.lock().unwrap().is_empty() {
        assert!(
            tokio::time::Instant::now() < deadline,
            "the commit never reached the master"
        );
        let _ = c.commit().await;
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(master_commits.lock().unwrap().last(), Some(&STORED));
    assert!(slave_commits.lock().unwrap().is_empty());
    c.shutdown().await;
}
