//! Name servers through the real protocol: a broker silent past the expiry is forgotten, a
//! closed registering connection is forgotten at once, the cluster listing and broker status
//! show every node, a standalone broker hosts a name server for other brokers, and a topic
//! nobody serves gives `NoRoute` naming the topic and every name server asked.

use std::time::{Duration, Instant};

use ferrocket::protocol::{
    BrokerRole as WireRole, QueryRouteRequest, RegisterBrokerRequest, Status, TopicConfig,
};
use ferrocket::{ClientError, Message, Producer};
use ferrocket_server::config::BrokerRole;
use ferrocket_tests::cluster::{
    CLUSTER, ClusterOptions, TestCluster, TestNameServer, WAIT, cluster_config, wait_until,
};
use ferrocket_tests::{RawConn, TestBroker};

fn registration(name: &str, addr: &str) -> RegisterBrokerRequest {
    RegisterBrokerRequest {
        cluster: "c".into(),
        broker_name: name.into(),
        broker_id: 0,
        broker_addr: addr.into(),
        ha_addr: addr.into(),
        role: WireRole::AsyncMaster,
        auto_create_queue_count: 0,
        topics: vec![TopicConfig::new("Routed", 2)],
    }
}

async fn routed(conn: &mut RawConn) -> Status {
    let request = QueryRouteRequest {
        topic: "Routed".into(),
        allow_auto_create: false,
    };
    conn.call(&request).await.0.status
}

/// A broker that registered and then went silent (its connection still open) is forgotten
/// once its registration is older than the expiry, not before half of it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn silent_brokers_expire() {
    let ns = TestNameServer::start(600).await;
    let mut broker = RawConn::connect(ns.addr()).await;
    let registered = Instant::now();
    broker.call_ok(&registration("silent", "10.0.0.1:1")).await;
    let mut client = RawConn::connect(ns.addr()).await;
    assert_eq!(routed(&mut client).await, Status::Ok);
    let routes = ns.handle().routes().clone();
    wait_until("the silent broker expired", WAIT, || {
        let gone = routes.live_count() == 0;
        async move { gone }
    })
    .await;
    assert!(
        registered.elapsed() >= Duration::from_millis(300),
        "{:?}",
        registered.elapsed()
    );
    assert_eq!(routed(&mut client).await, Status::TopicNotExist);
}

/// A broker whose registering connection closes is forgotten at once (long before the
/// expiry); another broker of the same topic keeps it routed.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn closed_connections_are_forgotten_at_once() {
    let ns = TestNameServer::start(600_000).await;
    let mut first = RawConn::connect(ns.addr()).await;
    first.call_ok(&registration("first", "10.0.0.1:1")).await;
    let mut second = RawConn::connect(ns.addr()).await;
    second.call_ok(&registration("second", "10.0.0.2:1")).await;
    drop(first);
    let routes = ns.handle().routes().clone();
    wait_until(
        "the closed broker was forgotten",
        Duration::from_secs(5),
        || {
            let route = routes.route("Routed", false);
            let ok =
                route.is_some_and(|r| r.brokers.len() == 1 && r.brokers[0].broker_name == "second");
            async move { ok }
        },
    )
    .await;
    drop(second);
    let mut client = RawConn::connect(ns.addr()).await;
    wait_until(
        "both brokers were forgotten",
        Duration::from_secs(5),
        || {
            let gone = routes.live_count() == 0;
            async move { gone }
        },
    )
    .await;
    assert_eq!(routed(&mut client).await, Status::TopicNotExist);
}

/// `GetClusterInfo` lists every broker of the cluster with its role, and `GetBrokerStatus`
/// shows a master's slave and its acknowledged offset, and a slave's master.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cluster_listing_and_broker_status() {
    let cluster = TestCluster::start(ClusterOptions::default()).await;
    let admin = cluster.admin();
    let info = admin.cluster_info(CLUSTER).await.expect("cluster info");
    let listed: Vec<(String, u64, WireRole)> = info
        .brokers
        .iter()
        .map(|b| (b.broker_name.clone(), b.broker_id, b.role))
        .collect();
    assert_eq!(
        listed,
        [
            ("broker-a".into(), 0, WireRole::SyncMaster),
            ("broker-a".into(), 1, WireRole::Slave),
            ("broker-b".into(), 0, WireRole::SyncMaster),
            ("broker-b".into(), 1, WireRole::Slave),
        ]
    );
    cluster.create_topic("Status", 2).await;
    let producer = crate::cluster::cluster_producer(&cluster, "status-pg").await;
    producer
        .send(Message::new("Status", "x"))
        .await
        .expect("send");
    let master = &cluster.groups[0].master;
    let status = admin
        .broker_status(&master.addr().to_string())
        .await
        .unwrap();
    assert_eq!(status.role, WireRole::SyncMaster);
    assert!(status.commit_log_max_offset > 0);
    assert_eq!(status.slaves.len(), 1);
    assert_eq!(
        status.slaves[0].addr,
        cluster.groups[0].slave().addr().to_string()
    );
    let slave = cluster.groups[0].slave().addr().to_string();
    let status = admin.broker_status(&slave).await.unwrap();
    assert_eq!(status.master_addr, master.addr().to_string());
    assert!(admin.cluster_info("Nope").await.unwrap().brokers.is_empty());
    producer.shutdown().await;
    admin.close().await;
    cluster.shutdown().await;
}

/// A standalone broker answers name-server requests on its own port: another broker
/// registers with it, routes list both, and the other broker is forgotten when it dies.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn standalone_broker_hosts_a_name_server() {
    let standalone = TestBroker::start().await;
    let list = standalone.addr().to_string();
    let mut other = TestBroker::start_with(|c| {
        cluster_config(c, &list, "broker-b", 0, BrokerRole::AsyncMaster);
        c.cluster_name = "DefaultCluster".into();
    })
    .await;
    let admin = ferrocket::Admin::with_namesrv(&list).unwrap();
    for addr in [standalone.addr(), other.addr()] {
        admin
            .create_topic(&addr.to_string(), TopicConfig::new("Shared", 2))
            .await
            .unwrap();
    }
    let standalone_routes = standalone.handle().state().cluster.namesrv.clone().unwrap();
    wait_until("both brokers route the topic", WAIT, || {
        let n = standalone_routes
            .route("Shared", false)
            .map_or(0, |r| r.brokers.len());
        async move { n == 2 }
    })
    .await;
    let info = admin.cluster_info("").await.unwrap();
    assert_eq!(info.brokers.len(), 2);
    other.kill().await;
    wait_until("the dead broker was forgotten", WAIT, || {
        let n = standalone_routes
            .route("Shared", false)
            .map_or(0, |r| r.brokers.len());
        async move { n == 1 }
    })
    .await;
    admin.close().await;
    standalone.shutdown().await;
}

/// A send to a topic no broker holds (auto-creation off) fails with `NoRoute` naming the topic
/// and both name servers.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unknown_topic_names_the_topic_and_name_servers() {
    let options = ClusterOptions {
        slaves: false,
        master_role: BrokerRole::AsyncMaster,
        tweak: Box::new(|c| c.auto_create_topic = false),
        ..ClusterOptions::default()
    };
    let cluster = TestCluster::start(options).await;
    let producer = Producer::builder()
        .group("noroute-pg")
        .client_config(cluster.client_config())
        .build()
        .unwrap();
    producer.start().await.unwrap();
    let err = producer
        .send(Message::new("Nowhere", "x"))
        .await
        .expect_err("no route");
    let ClientError::NoRoute {
        topic,
        name_servers,
    } = &err
    else {
        panic!("expected NoRoute, got {err:?}");
    };
    assert_eq!(topic, "Nowhere");
    let expected: Vec<String> = cluster
        .name_servers
        .iter()
        .map(|n| n.addr().to_string())
        .collect();
    assert_eq!(name_servers, &expected);
    producer.shutdown().await;
    cluster.shutdown().await;
}
