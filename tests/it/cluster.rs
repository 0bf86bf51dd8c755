//! Clusters of two name servers and two master/slave groups, in process: producers spread
//! over the groups, a master killed under load loses no acknowledged message and stops no
//! producer or consumer, and name servers can be lost and restarted under clients.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use ferrocket::client::push_consumer::{MessageListener, PushConsumerBuilder};
use ferrocket::{ConsumeFrom, Message, Producer, PullConsumer, PushConsumer, SendStatus};
use ferrocket_server::config::BrokerRole;
use ferrocket_tests::cluster::{ClusterOptions, TestCluster, WAIT, wait_until};

/// Bodies a background consumer received.
type Received = Arc<Mutex<BTreeSet<String>>>;

/// A started producer on the cluster's name servers.
pub async fn cluster_producer(cluster: &TestCluster, group: &str) -> Arc<Producer> {
    let producer = Producer::builder()
        .group(group)
        .client_config(cluster.client_config())
        .build()
        .expect("build producer");
    producer.start().await.expect("start producer");
    Arc::new(producer)
}

/// A push consumer builder of `group` on the cluster with `listener`: from the first offset,
/// rebalancing every 500 ms, committing every 100 ms, short long-polls and retry pauses.
pub fn cluster_push_builder(
    cluster: &TestCluster,
    group: &str,
    listener: MessageListener,
) -> PushConsumerBuilder {
    PushConsumer::builder()
        .group(group)
        .client_config(cluster.client_config())
        .listener(listener)
        .consume_from(ConsumeFrom::FirstOffset)
        .rebalance_interval(Duration::from_millis(500))
        .persist_offset_interval(Duration::from_millis(100))
        .long_poll(Duration::from_millis(300))
        .pull_error_backoff(Duration::from_millis(50))
        .master_down_retry(Duration::from_millis(300))
        .await_termination(Duration::from_secs(5))
}

/// A started consumer of `topic` from its first offset, with short long-polls.
pub async fn cluster_consumer(cluster: &TestCluster, group: &str, topic: &str) -> PullConsumer {
    let consumer = PullConsumer::builder()
        .group(group)
        .client_config(cluster.client_config())
        .consume_from(ConsumeFrom::FirstOffset)
        .long_poll(Duration::from_millis(500))
        .pull_error_backoff(Duration::from_millis(100))
        .auto_commit_interval(Duration::from_millis(200))
        .build()
        .expect("build consumer");
    consumer.subscribe(topic, "*").await.expect("subscribe");
    consumer.start().await.expect("start consumer");
    consumer
}

/// Polls `consumer` in a task, collecting bodies, until `stop` is set.
fn collect(
    consumer: Arc<PullConsumer>,
    stop: Arc<AtomicBool>,
) -> (Received, tokio::task::JoinHandle<()>) {
    let received: Received = Arc::default();
    let sink = received.clone();
    let task = tokio::spawn(async move {
        while !stop.load(Ordering::Acquire) {
            let msgs = consumer
                .poll_timeout(Duration::from_millis(100))
                .await
                .expect("poll");
            let mut sink = sink.lock().unwrap();
            for m in msgs {
                sink.insert(String::from_utf8(m.body().to_vec()).unwrap());
            }
        }
    });
    (received, task)
}

async fn wait_received(received: &Received, wanted: &BTreeSet<String>) {
    wait_until("every acknowledged message was consumed", WAIT, || {
        let got = received.lock().unwrap();
        let missing = wanted.difference(&got).count();
        async move { missing == 0 }
    })
    .await;
}

/// Two name servers and two SYNC_MASTER groups with slaves: a producer spreads messages over
/// both groups, every message is on its group's slave, and a consumer gets all of them.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn producer_spreads_over_both_groups_and_all_are_consumed() {
    let cluster = TestCluster::start(ClusterOptions::default()).await;
    cluster.create_topic("Spread", 4).await;
    let producer = cluster_producer(&cluster, "spread-pg").await;
    let mut per_broker: BTreeMap<String, usize> = BTreeMap::new();
    let mut sent = BTreeSet::new();
    for i in 0..200 {
        let body = format!("spread-{i}");
        let result = producer
            .send(Message::new("Spread", body.clone()))
            .await
            .expect("send");
        assert_eq!(result.status, SendStatus::SendOk);
        *per_broker.entry(result.queue.broker_name).or_default() += 1;
        sent.insert(body);
    }
    assert_eq!(per_broker.len(), 2, "{per_broker:?}");
    assert!(per_broker.values().all(|n| *n >= 80), "{per_broker:?}");
    for i in 0..2 {
        cluster.wait_replicated(i).await;
    }
    let consumer = Arc::new(cluster_consumer(&cluster, "spread-cg", "Spread").await);
    let stop = Arc::new(AtomicBool::new(false));
    let (received, task) = collect(consumer.clone(), stop.clone());
    wait_received(&received, &sent).await;
    stop.store(true, Ordering::Release);
    task.await.unwrap();
    consumer.shutdown().await;
    producer.shutdown().await;
    cluster.shutdown().await;
}

/// One completed send of the load.
#[derive(Debug, Clone)]
struct Outcome {
    started: Instant,
    result: Result<(String, u32, u64), String>,
    body: String,
}

/// Sends from two tasks until `stop`, recording every outcome.
fn load(
    producer: &Arc<Producer>,
    stop: &Arc<AtomicBool>,
) -> (Arc<Mutex<Vec<Outcome>>>, Vec<tokio::task::JoinHandle<()>>) {
    let outcomes: Arc<Mutex<Vec<Outcome>>> = Arc::default();
    let tasks = (0..2)
        .map(|sender| {
            let (producer, stop, outcomes) = (producer.clone(), stop.clone(), outcomes.clone());
            tokio::spawn(async move {
                let mut i = 0;
                while !stop.load(Ordering::Acquire) {
                    let body = format!("load-{sender}-{i}");
                    i += 1;
                    let started = Instant::now();
                    let result = producer
                        .send(Message::new("Load", body.clone()))
                        .await
                        .map(|r| {
                            assert_eq!(r.status, SendStatus::SendOk, "{body}");
                            (r.queue.broker_name, r.queue.queue_id, r.queue_offset)
                        })
                        .map_err(|e| e.to_string());
                    outcomes.lock().unwrap().push(Outcome {
                        started,
                        result,
                        body,
                    });
                }
            })
        })
        .collect();
    (outcomes, tasks)
}

/// Sends acknowledged so far, by `broker` or by any broker.
fn acked(outcomes: &Mutex<Vec<Outcome>>, broker: Option<&str>) -> usize {
    outcomes
        .lock()
        .unwrap()
        .iter()
        .filter(|o| {
            o.result
                .as_ref()
                .is_ok_and(|r| broker.is_none_or(|b| r.0 == b))
        })
        .count()
}

/// `kill -9` of one master under load: sends that start afterwards go to the other group and
/// none fails after retries; every SEND_OK of the dead SYNC_MASTER is on its slave; consumers
/// keep reading the dead master's queues from its slave; the name servers drop the dead
/// master within their expiry.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn killing_a_master_under_load_loses_nothing() {
    let mut cluster = TestCluster::start(ClusterOptions::default()).await;
    cluster.create_topic("Load", 4).await;
    let producer = cluster_producer(&cluster, "load-pg").await;
    let consumer = Arc::new(cluster_consumer(&cluster, "load-cg", "Load").await);
    let stop_consumer = Arc::new(AtomicBool::new(false));
    let (received, collector) = collect(consumer.clone(), stop_consumer.clone());
    let stop_load = Arc::new(AtomicBool::new(false));
    let (outcomes, senders) = load(&producer, &stop_load);
    // Latency fault tolerance may steer sends away from a group that answered slowly (a busy
    // machine), so wait for enough of broker-a's acknowledgements, not for a total.
    wait_until("100 sends acknowledged by broker-a", WAIT, || {
        let n = acked(&outcomes, Some("broker-a"));
        async move { n >= 100 }
    })
    .await;
    cluster.groups[0].master.kill().await;
    let killed_at = Instant::now();
    let before = acked(&outcomes, None);
    wait_until("300 more sends acknowledged", WAIT, || {
        let n = acked(&outcomes, None);
        async move { n >= before + 300 }
    })
    .await;
    stop_load.store(true, Ordering::Release);
    for sender in senders {
        sender.await.unwrap();
    }
    let outcomes = outcomes.lock().unwrap().clone();
    check_outcomes(&outcomes, killed_at);
    check_on_slave(&cluster, &outcomes).await;
    let expiry = Duration::from_millis(ClusterOptions::default().broker_expiry_ms);
    wait_until("the name servers dropped the dead master", expiry, || {
        let gone = cluster.name_servers.iter().all(|ns| {
            let route = ns.handle().routes().route("Load", false).unwrap();
            let a = route
                .brokers
                .iter()
                .find(|b| b.broker_name == "broker-a")
                .unwrap();
            a.addrs.iter().all(|(id, _)| *id != 0)
        });
        async move { gone }
    })
    .await;
    let wanted: BTreeSet<String> = outcomes
        .iter()
        .filter(|o| o.result.is_ok())
        .map(|o| o.body.clone())
        .collect();
    wait_received(&received, &wanted).await;
    // A consumer group that starts now can only read broker-a's queues from its slave.
    let late = Arc::new(cluster_consumer(&cluster, "load-cg-late", "Load").await);
    let (late_received, late_collector) = collect(late.clone(), stop_consumer.clone());
    wait_received(&late_received, &wanted).await;
    stop_consumer.store(true, Ordering::Release);
    collector.await.unwrap();
    late_collector.await.unwrap();
    late.shutdown().await;
    consumer.shutdown().await;
    producer.shutdown().await;
    cluster.shutdown().await;
}

/// No send failed, both groups took sends before the kill, and only broker-b took sends that
/// started after it.
fn check_outcomes(outcomes: &[Outcome], killed_at: Instant) {
    let failures: Vec<&Outcome> = outcomes.iter().filter(|o| o.result.is_err()).collect();
    assert!(failures.is_empty(), "sends failed: {failures:?}");
    let brokers = |after: bool| -> BTreeSet<String> {
        outcomes
            .iter()
            .filter(|o| (o.started > killed_at) == after)
            .filter_map(|o| o.result.as_ref().ok().map(|r| r.0.clone()))
            .collect()
    };
    assert_eq!(
        brokers(false).len(),
        2,
        "both groups took sends before the kill"
    );
    assert_eq!(
        brokers(true),
        BTreeSet::from(["broker-b".to_owned()]),
        "sends after the kill"
    );
}

/// Every SEND_OK of broker-a is on broker-a's slave, at its queue offset, with its body.
async fn check_on_slave(cluster: &TestCluster, outcomes: &[Outcome]) {
    let slave = cluster.groups[0].slave().handle().state().clone();
    let mut on_a = 0;
    for outcome in outcomes {
        let Ok((broker, queue_id, offset)) = &outcome.result else {
            continue;
        };
        if broker != "broker-a" {
            continue;
        }
        on_a += 1;
        let store = slave.store.clone();
        let (queue_id, offset) = (*queue_id, *offset);
        wait_until("the slave dispatched the message", WAIT, || {
            let max = store.max_offset("Load", queue_id);
            async move { max > offset }
        })
        .await;
        let read = slave
            .store
            .read("Load", queue_id, offset, 1, 1 << 20, &|_| true);
        let record = read
            .records
            .first()
            .expect("the acknowledged message is on the slave");
        let msg = ferrocket::protocol::record::decode_record(record).unwrap();
        assert_eq!(msg.body(), outcome.body.as_bytes());
    }
    assert!(on_a >= 100, "broker-a acknowledged {on_a} sends");
}

/// Losing one of two name servers, then restarting it while the other is lost, stops neither
/// producers nor consumers (old and new clients alike); the restarted name server learns every
/// broker again from their registrations.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn losing_and_restarting_name_servers_keeps_clients_working() {
    let options = ClusterOptions {
        slaves: false,
        master_role: BrokerRole::AsyncMaster,
        ..ClusterOptions::default()
    };
    let mut cluster = TestCluster::start(options).await;
    cluster.create_topic("NsLoss", 4).await;
    let producer = cluster_producer(&cluster, "ns-pg").await;
    let consumer = Arc::new(cluster_consumer(&cluster, "ns-cg", "NsLoss").await);
    let stop = Arc::new(AtomicBool::new(false));
    let (received, collector) = collect(consumer.clone(), stop.clone());
    let mut sent = BTreeSet::new();
    send_n(&producer, 50, &mut sent).await;
    cluster.name_servers[0].stop().await;
    send_n(&producer, 50, &mut sent).await;
    let late_producer = cluster_producer(&cluster, "ns-pg-late").await;
    send_n(&late_producer, 50, &mut sent).await;
    wait_received(&received, &sent).await;
    cluster.name_servers[0].start_again().await;
    cluster.wait_registered().await;
    cluster.wait_route("NsLoss", |r| r.queues.len() == 2).await;
    cluster.name_servers[1].stop().await;
    send_n(&producer, 50, &mut sent).await;
    send_n(&late_producer, 50, &mut sent).await;
    let late_consumer = Arc::new(cluster_consumer(&cluster, "ns-cg-late", "NsLoss").await);
    let late_stop = Arc::new(AtomicBool::new(false));
    let (late_received, late_collector) = collect(late_consumer.clone(), late_stop.clone());
    wait_received(&late_received, &sent).await;
    late_stop.store(true, Ordering::Release);
    late_collector.await.unwrap();
    wait_received(&received, &sent).await;
    stop.store(true, Ordering::Release);
    collector.await.unwrap();
    late_consumer.shutdown().await;
    consumer.shutdown().await;
    late_producer.shutdown().await;
    producer.shutdown().await;
    cluster.shutdown().await;
}

/// Sends `n` messages to `NsLoss`, each of which must succeed.
async fn send_n(producer: &Producer, n: usize, sent: &mut BTreeSet<String>) {
    for _ in 0..n {
        let body = format!("ns-{}", sent.len());
        producer
            .send(Message::new("NsLoss", body.clone()))
            .await
            .expect("send with a name server down");
        sent.insert(body);
    }
}
