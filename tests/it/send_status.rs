//! Every send status, each caused for real: `SLAVE_NOT_AVAILABLE` (no slave, a slave too far
//! behind, a slave stopped), `FLUSH_SLAVE_TIMEOUT` (a slave that stalls), `FLUSH_DISK_TIMEOUT`
//! (a slow disk through `SimStorage`), and `SEND_OK` once a slave confirms; an ASYNC_MASTER
//! never waits. A "stalled slave" here is a raw connection that fetches once and then goes
//! silent, exactly what a hung slave looks like to its master.

use std::sync::Arc;
use std::time::{Duration, Instant};

use ferrocket::protocol::{ReplicaFetchRequest, ReplicaFetchResponse, Status};
use ferrocket::{Message, Producer, SendResult, SendStatus};
use ferrocket_server::broker::Broker;
use ferrocket_server::config::{BrokerRole, FlushDiskType};
use ferrocket_server::store::SimStorage;
use ferrocket_tests::cluster::{ClusterOptions, TestCluster, WAIT, wait_until};
use ferrocket_tests::{RawConn, TempDir, TestBroker, test_config};

use crate::cluster::cluster_producer;
use crate::util::producer;

/// A master that waits at most 1 s for its slave and counts a slave only within 4 KiB.
async fn sync_master() -> TestBroker {
    TestBroker::start_with(|c| {
        c.role = BrokerRole::SyncMaster;
        c.slave_timeout_ms = 1000;
        c.ha_slave_fall_behind_bytes = 4096;
    })
    .await
}

/// One fetch of a fake slave acknowledging `offset`, answered at once.
async fn fake_fetch(conn: &mut RawConn, offset: u64) -> ReplicaFetchResponse {
    let request = ReplicaFetchRequest {
        broker_name: "broker-a".into(),
        broker_id: 1,
        slave_addr: "127.0.0.1:1".into(),
        offset,
        max_bytes: 1 << 20,
        max_wait_ms: 0,
    };
    conn.call_ok(&request).await
}

async fn send(producer: &Producer, body: &str) -> SendResult {
    producer
        .send(Message::new("Durable", body.to_owned()))
        .await
        .expect("stored")
}

/// A SYNC_MASTER answers SLAVE_NOT_AVAILABLE with no slave and with a slave too far behind,
/// FLUSH_SLAVE_TIMEOUT after `slave_timeout_ms` when its slave stalls, SEND_OK as soon as the
/// slave confirms, and SLAVE_NOT_AVAILABLE again once the slave's connection closed. Every
/// one of those messages is stored.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sync_master_statuses_follow_its_slave() {
    let broker = sync_master().await;
    let producer = producer(&broker, "status-pg").await;
    let store = broker.handle().state().store.clone();
    for i in 0..8 {
        let body = format!("{i:01024}");
        assert_eq!(
            send(&producer, &body).await.status,
            SendStatus::SlaveNotAvailable
        );
    }
    let mut slave = RawConn::connect(broker.addr()).await;
    let fetched = fake_fetch(&mut slave, 0).await;
    assert_eq!(fetched.data_offset, 0);
    assert!(!fetched.data.is_empty());
    let behind = send(&producer, "behind").await;
    assert_eq!(behind.status, SendStatus::SlaveNotAvailable, "8 KiB behind");
    fake_fetch(&mut slave, store.commit_log_max_offset()).await;
    let start = Instant::now();
    let stalled = send(&producer, "stalled").await;
    assert_eq!(stalled.status, SendStatus::FlushSlaveTimeout);
    assert!(
        start.elapsed() >= Duration::from_millis(800),
        "{:?}",
        start.elapsed()
    );
    let before = store.commit_log_max_offset();
    let confirmed = tokio::spawn({
        let producer = producer.clone();
        async move { send(&producer, "confirmed").await }
    });
    let written = store.clone();
    wait_until("the send is written", WAIT, || {
        let grew = written.commit_log_max_offset() > before;
        async move { grew }
    })
    .await;
    fake_fetch(&mut slave, store.commit_log_max_offset()).await;
    assert_eq!(confirmed.await.unwrap().status, SendStatus::SendOk);
    drop(slave);
    let state = broker.handle().state().clone();
    wait_until("the master noticed the slave left", WAIT, || {
        let gone = !state.cluster.replicas.slave_ok(0, u64::MAX);
        async move { gone }
    })
    .await;
    assert_eq!(
        send(&producer, "gone").await.status,
        SendStatus::SlaveNotAvailable
    );
    assert_eq!(
        store.max_offset("Durable", 0)
            + store.max_offset("Durable", 1)
            + store.max_offset("Durable", 2)
            + store.max_offset("Durable", 3),
        12
    );
    producer.shutdown().await;
    broker.shutdown().await;
}

/// An ASYNC_MASTER answers SEND_OK at once with no slave at all.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn async_master_never_waits_for_a_slave() {
    let broker = TestBroker::start_with(|c| c.role = BrokerRole::AsyncMaster).await;
    let producer = producer(&broker, "async-pg").await;
    for i in 0..20 {
        let result = send(&producer, &format!("a{i}")).await;
        assert_eq!(result.status, SendStatus::SendOk);
    }
    producer.shutdown().await;
    broker.shutdown().await;
}

/// With a real slave: SEND_OK while it copies, SLAVE_NOT_AVAILABLE once it is stopped, and
/// SEND_OK again after it restarts and catches up.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stopping_the_slave_gives_slave_not_available() {
    let options = ClusterOptions {
        name_servers: 1,
        groups: 1,
        ..ClusterOptions::default()
    };
    let mut cluster = TestCluster::start(options).await;
    cluster.create_topic("Durable", 2).await;
    let producer = cluster_producer(&cluster, "slave-pg").await;
    assert_eq!(
        send(&producer, "with slave").await.status,
        SendStatus::SendOk
    );
    cluster.groups[0].slave_mut().stop().await;
    assert_eq!(
        send(&producer, "no slave").await.status,
        SendStatus::SlaveNotAvailable
    );
    cluster.groups[0].slave_mut().start_again().await;
    cluster.wait_registered().await;
    cluster.wait_replicated(0).await;
    assert_eq!(
        send(&producer, "slave back").await.status,
        SendStatus::SendOk
    );
    producer.shutdown().await;
    cluster.shutdown().await;
}

/// A disk slower than `sync_flush_timeout_ms` gives FLUSH_DISK_TIMEOUT in SYNC_FLUSH mode (the
/// message is stored and readable once the flush completes); a normal disk gives SEND_OK; on a
/// SYNC_MASTER with no slave the replication status wins.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn slow_disk_gives_flush_disk_timeout() {
    for (role, expected) in [
        (BrokerRole::AsyncMaster, SendStatus::FlushDiskTimeout),
        (BrokerRole::SyncMaster, SendStatus::SlaveNotAvailable),
    ] {
        let dir = TempDir::new("slow-disk");
        let mut config = test_config(dir.path());
        config.role = role;
        config.flush_disk_type = FlushDiskType::SyncFlush;
        config.sync_flush_timeout_ms = 200;
        let disk = Arc::new(SimStorage::new());
        let handle = Broker::start_with_storage(config, disk.clone())
            .await
            .expect("broker starts");
        let producer = Producer::builder()
            .group("disk-pg")
            .namesrv(&handle.local_addr().to_string())
            .build()
            .expect("producer");
        producer.start().await.expect("start");
        let warm = send(&producer, "warm").await.status;
        assert!(matches!(
            warm,
            SendStatus::SendOk | SendStatus::SlaveNotAvailable
        ));
        disk.set_flush_delay(Duration::from_millis(600));
        let slow = send(&producer, "slow").await;
        assert_eq!(slow.status, expected);
        disk.set_flush_delay(Duration::ZERO);
        let store = handle.state().store.clone();
        let queue = slow.queue.queue_id;
        wait_until("the slow message is readable", WAIT, || {
            let max = store.max_offset("Durable", queue);
            async move { max > slow.queue_offset }
        })
        .await;
        if role == BrokerRole::AsyncMaster {
            assert_eq!(send(&producer, "fast").await.status, SendStatus::SendOk);
        }
        producer.shutdown().await;
        handle.shutdown().await.expect("shutdown");
    }
}

/// A broker that hosts no name server answers the name-server requests with UNSUPPORTED_API,
/// and a slave refuses to serve replication.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cluster_brokers_refuse_what_they_do_not_serve() {
    let options = ClusterOptions {
        name_servers: 1,
        groups: 1,
        ..ClusterOptions::default()
    };
    let cluster = TestCluster::start(options).await;
    let mut master = RawConn::connect(cluster.groups[0].master.addr()).await;
    let request = ferrocket::protocol::QueryRouteRequest {
        topic: "t".into(),
        allow_auto_create: true,
    };
    let (head, _) = master.call(&request).await;
    assert_eq!(
        head.status,
        Status::UnsupportedApi,
        "{}",
        head.error_message
    );
    let mut slave = RawConn::connect(cluster.groups[0].slave().addr()).await;
    let (head, _) = slave
        .call(&ReplicaFetchRequest {
            broker_name: "broker-a".into(),
            broker_id: 2,
            slave_addr: "x:1".into(),
            offset: 0,
            max_bytes: 10,
            max_wait_ms: 0,
        })
        .await;
    assert_eq!(
        head.status,
        Status::ServiceNotAvailable,
        "{}",
        head.error_message
    );
    let (head, _) = master
        .call(&ReplicaFetchRequest {
            broker_name: "broker-z".into(),
            broker_id: 1,
            slave_addr: "x:1".into(),
            offset: 1 << 40,
            max_bytes: 10,
            max_wait_ms: 0,
        })
        .await;
    assert_eq!(
        head.status,
        Status::InvalidParameter,
        "{}",
        head.error_message
    );
    cluster.shutdown().await;
}
