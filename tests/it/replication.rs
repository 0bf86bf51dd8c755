//! Master/slave replication through real brokers: the slave's commit log is byte-identical to
//! its master's and keeps up across restarts and crashes of either side; topics and consumer
//! offsets are copied; consumers read a dead master's queues from its slave and go back to the
//! master without skipping or re-reading committed messages; `slave_read_enable` sends a
//! consumer that fell far behind to the slave and back.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use ferrocket::client::MessageQueue;
use ferrocket::protocol::{ExpressionType, PullRequest, PullResponse, UpdateConsumerOffsetRequest};
use ferrocket::{Message, Producer, PullConsumer};
use ferrocket_server::broker::BrokerState;
use ferrocket_server::config::BrokerRole;
use ferrocket_tests::RawConn;
use ferrocket_tests::cluster::{ClusterOptions, TestCluster, WAIT, wait_until};

use crate::cluster::cluster_producer;

fn one_group(master_role: BrokerRole) -> ClusterOptions {
    ClusterOptions {
        name_servers: 1,
        groups: 1,
        master_role,
        ..ClusterOptions::default()
    }
}

async fn send_n(producer: &Producer, topic: &str, from: usize, n: usize) {
    for i in from..from + n {
        producer
            .send(Message::new(topic, format!("{topic}-{i:05}")))
            .await
            .expect("send");
    }
}

/// The whole commit log of `state`'s store, read the way a slave would.
fn commit_log(state: &BrokerState) -> Vec<u8> {
    let store = &state.store;
    let mut out = Vec::new();
    let mut at = store.commit_log_min_offset();
    loop {
        let chunk = store.read_commit_log(at, 1 << 20).expect("read");
        if chunk.is_empty() {
            return out;
        }
        at += chunk.len() as u64;
        out.extend_from_slice(&chunk);
    }
}

async fn assert_identical(cluster: &TestCluster, topic: &str, queues: u32) {
    cluster.wait_replicated(0).await;
    let master = cluster.groups[0].master.handle().state().clone();
    let slave = cluster.groups[0].slave().handle().state().clone();
    assert_eq!(
        commit_log(&slave),
        commit_log(&master),
        "commit logs differ"
    );
    for queue_id in 0..queues {
        let (m, s) = (master.store.clone(), slave.store.clone());
        wait_until("the slave dispatched every record", WAIT, || {
            let done = s.max_offset(topic, queue_id) == m.max_offset(topic, queue_id);
            async move { done }
        })
        .await;
    }
}

/// The slave copies byte for byte, and keeps copying after it is stopped and restarted, and
/// after its master crashes and restarts; topic configs and committed offsets reach it too.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn slave_copies_across_restarts_of_either_side() {
    let mut cluster = TestCluster::start(one_group(BrokerRole::AsyncMaster)).await;
    cluster.create_topic("Copy", 3).await;
    let producer = cluster_producer(&cluster, "copy-pg").await;
    send_n(&producer, "Copy", 0, 150).await;
    assert_identical(&cluster, "Copy", 3).await;
    cluster.groups[0].slave_mut().stop().await;
    send_n(&producer, "Copy", 150, 150).await;
    cluster.groups[0].slave_mut().start_again().await;
    assert_identical(&cluster, "Copy", 3).await;
    cluster.groups[0].master.kill().await;
    cluster.groups[0].master.start_again().await;
    cluster.wait_registered().await;
    send_n(&producer, "Copy", 300, 150).await;
    assert_identical(&cluster, "Copy", 3).await;
    let master_addr = cluster.groups[0].master.addr();
    let mut raw = RawConn::connect(master_addr).await;
    raw.call_ok(&UpdateConsumerOffsetRequest {
        consumer_group: "copied-group".into(),
        topic: "Copy".into(),
        queue_id: 2,
        offset: 77,
    })
    .await;
    cluster.create_topic("Later", 1).await;
    let slave = cluster.groups[0].slave().handle().state().clone();
    wait_until("offsets and topics reached the slave", WAIT, || {
        let offset = slave.offsets.query("copied-group", "Copy", 2);
        let topic = slave.topics.get("Later").is_some();
        async move { offset == Some(77) && topic }
    })
    .await;
    producer.shutdown().await;
    cluster.shutdown().await;
}

fn consumer(cluster: &TestCluster, group: &str) -> PullConsumer {
    PullConsumer::builder()
        .group(group)
        .client_config(cluster.client_config())
        .consume_from(ferrocket::ConsumeFrom::FirstOffset)
        .long_poll(Duration::from_millis(300))
        .pull_error_backoff(Duration::from_millis(50))
        .master_down_retry(Duration::from_millis(300))
        .auto_commit(false)
        .build()
        .expect("consumer")
}

/// Polls until `n` more messages arrived; returns their bodies in arrival order.
async fn poll_n(consumer: &PullConsumer, n: usize) -> Vec<String> {
    let mut out = Vec::new();
    let deadline = tokio::time::Instant::now() + WAIT;
    while out.len() < n {
        assert!(
            tokio::time::Instant::now() < deadline,
            "got {} of {n}",
            out.len()
        );
        for m in consumer
            .poll_timeout(Duration::from_millis(100))
            .await
            .expect("poll")
        {
            out.push(String::from_utf8(m.body().to_vec()).unwrap());
        }
    }
    out
}

/// With the master dead, a consumer starts from the offsets the slave copied and reads the
/// rest from the slave; its commits wait for the master; once the master is back they reach
/// it, and new messages come from the master (the slave is stopped by then). Nothing is
/// skipped or read twice.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn consumers_read_the_slave_while_the_master_is_down() {
    let mut cluster = TestCluster::start(one_group(BrokerRole::SyncMaster)).await;
    cluster.create_topic("Failover", 2).await;
    let producer = cluster_producer(&cluster, "fo-pg").await;
    send_n(&producer, "Failover", 0, 100).await;
    let first = consumer(&cluster, "fo-cg");
    first.subscribe("Failover", "*").await.unwrap();
    first.start().await.unwrap();
    let mut seen = poll_n(&first, 40).await;
    first.commit().await.expect("commit to the master");
    first.shutdown().await;
    let slave = cluster.groups[0].slave().handle().state().clone();
    let committed = |state: &Arc<BrokerState>| {
        (0..2)
            .filter_map(|q| state.offsets.query("fo-cg", "Failover", q))
            .sum::<u64>()
    };
    let want = seen.len() as u64;
    wait_until("the slave copied the committed offsets", WAIT, || {
        let n = committed(&slave);
        async move { n == want }
    })
    .await;
    cluster.groups[0].master.kill().await;
    let second = consumer(&cluster, "fo-cg");
    second.subscribe("Failover", "*").await.unwrap();
    second.start().await.expect("start with the master down");
    seen.extend(poll_n(&second, 100 - seen.len()).await);
    let _ = second.commit().await;
    cluster.groups[0].master.start_again().await;
    cluster.wait_registered().await;
    let master = cluster.groups[0].master.handle().state().clone();
    let second_ref = &second;
    wait_until("the kept commit reached the master", WAIT, || {
        let master = master.clone();
        async move {
            let _ = second_ref.commit().await;
            committed(&master) == 100
        }
    })
    .await;
    cluster.groups[0].slave_mut().stop().await;
    let topic_producer = Producer::builder()
        .group("fo-pg-2")
        .client_config(cluster.client_config())
        .build()
        .unwrap();
    topic_producer.start().await.unwrap();
    send_n(&topic_producer, "Failover", 100, 20).await;
    seen.extend(poll_n(&second, 20).await);
    let mut counts: BTreeMap<&str, usize> = BTreeMap::new();
    for body in &seen {
        *counts.entry(body.as_str()).or_default() += 1;
    }
    assert_eq!(counts.len(), 120, "every message once");
    assert!(counts.values().all(|n| *n == 1), "a message was read twice");
    second.shutdown().await;
    topic_producer.shutdown().await;
    producer.shutdown().await;
    cluster.shutdown().await;
}

async fn raw_pull(conn: &mut RawConn, queue_offset: u64) -> PullResponse {
    conn.call_ok(&PullRequest {
        consumer_group: "far-cg".into(),
        topic: "Far".into(),
        queue_id: 0,
        queue_offset,
        max_messages: 4,
        max_bytes: 1 << 20,
        suspend_timeout_ms: 0,
        commit_offset: None,
        expression_type: ExpressionType::Tag,
        expression: "*".into(),
    })
    .await
}

/// With `slave_read_enable` and a 16 KiB in-memory threshold, a master answers a pull that
/// ends far behind its head with `suggest_broker_id = 1`, the slave keeps the consumer while it
/// is far behind and sends it back to the master (0) once it caught up, and a consumer
/// following those hints gets every message once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn slave_read_enable_moves_slow_consumers_to_the_slave() {
    let options = ClusterOptions {
        tweak: Box::new(|c| {
            c.slave_read_enable = true;
            c.access_message_in_memory_max_bytes = Some(16 * 1024);
        }),
        ..one_group(BrokerRole::SyncMaster)
    };
    let cluster = TestCluster::start(options).await;
    cluster.create_topic("Far", 1).await;
    let producer = cluster_producer(&cluster, "far-pg").await;
    for i in 0..100 {
        let body = format!("{i:01000}");
        producer
            .send(Message::new("Far", body))
            .await
            .expect("send");
    }
    assert_identical(&cluster, "Far", 1).await;
    let mut master = RawConn::connect(cluster.groups[0].master.addr()).await;
    let mut slave = RawConn::connect(cluster.groups[0].slave().addr()).await;
    assert_eq!(
        raw_pull(&mut master, 0).await.suggest_broker_id,
        1,
        "far behind"
    );
    assert_eq!(
        raw_pull(&mut slave, 0).await.suggest_broker_id,
        1,
        "still behind"
    );
    assert_eq!(
        raw_pull(&mut slave, 96).await.suggest_broker_id,
        0,
        "caught up"
    );
    assert_eq!(
        raw_pull(&mut master, 96).await.suggest_broker_id,
        0,
        "near the head"
    );
    let consumer = consumer(&cluster, "far-cg");
    let mq = MessageQueue::new("Far", "broker-a", 0);
    consumer.assign(vec![mq]).unwrap();
    consumer.start().await.unwrap();
    let mut got = poll_n(&consumer, 100).await;
    got.sort();
    got.dedup();
    assert_eq!(got.len(), 100);
    consumer.shutdown().await;
    producer.shutdown().await;
    cluster.shutdown().await;
}
