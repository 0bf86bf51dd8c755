//! Consumer groups across brokers: members heartbeat to every broker of their topics, so a
//! group's members split the queues of both broker groups between them (each message to one
//! member, offsets committed on the broker that holds the queue), and orderly members lock
//! queues on each broker and keep per-key order across both.

use std::collections::{BTreeSet, HashMap};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use ferrocket::client::push_consumer::{
    ConsumeConcurrentlyStatus, ConsumeOrderlyStatus, MessageListener,
};
use ferrocket::{Message, MessageExt, PushConsumer};
use ferrocket_server::config::BrokerRole;
use ferrocket_tests::cluster::{ClusterOptions, TestCluster, WAIT, wait_until};

use crate::cluster::{cluster_producer, cluster_push_builder};
use crate::group_util::Recorder;

/// One name server and two ASYNC_MASTER groups without slaves.
async fn two_masters() -> TestCluster {
    TestCluster::start(ClusterOptions {
        name_servers: 1,
        groups: 2,
        slaves: false,
        master_role: BrokerRole::AsyncMaster,
        ..ClusterOptions::default()
    })
    .await
}

/// The (broker, queue) pairs `consumer` owns.
fn owned(consumer: &PushConsumer) -> BTreeSet<(String, u32)> {
    consumer
        .assignment()
        .into_iter()
        .map(|q| (q.broker_name, q.queue_id))
        .collect()
}

/// Waits until the members own disjoint halves that together cover all 8 queues.
async fn wait_split(members: &[&PushConsumer]) {
    wait_until("the members split both brokers' queues", WAIT, || {
        let sets: Vec<BTreeSet<(String, u32)>> = members.iter().map(|m| owned(m)).collect();
        let union: BTreeSet<_> = sets.iter().flatten().cloned().collect();
        let ok = union.len() == 8 && sets.iter().map(BTreeSet::len).sum::<usize>() == 8;
        async move { ok }
    })
    .await;
}

/// Two members of a group over a topic with 4 queues on each of two brokers: they split the
/// 8 queues 4/4 (so each heard of the other through both brokers), consume 400 messages
/// exactly once between them, and each broker holds the group's commits for its queues.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn members_split_both_brokers_queues() {
    let cluster = two_masters().await;
    let (topic, group) = ("SpreadGroup", "spread-group");
    cluster.create_topic(topic, 4).await;
    let recorder = Recorder::default();
    let mut members = Vec::new();
    for id in 0..2 {
        let r = recorder.clone();
        let listener = MessageListener::concurrently(move |msgs: &[MessageExt], _: &mut _| {
            r.record(id, msgs);
            ConsumeConcurrentlyStatus::ConsumeSuccess
        });
        let member = cluster_push_builder(&cluster, group, listener)
            .build()
            .expect("build");
        member.subscribe(topic, "*").expect("subscribe");
        member.start().await.expect("start");
        members.push(member);
    }
    wait_split(&[&members[0], &members[1]]).await;
    assert!(members.iter().all(|m| owned(m).len() == 4));
    let producer = cluster_producer(&cluster, "spread-producer").await;
    for i in 0..400 {
        producer
            .send(Message::new(topic, format!("m{i}")))
            .await
            .expect("send");
    }
    wait_until("every message was consumed", WAIT, || {
        let done = recorder.distinct() == 400;
        async move { done }
    })
    .await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(recorder.counts().values().all(|n| *n == 1), "each once");
    for g in &cluster.groups {
        let state = g.master.handle().state().clone();
        wait_until("the broker holds the group's commits", WAIT, || {
            let sum: u64 = (0..4)
                .filter_map(|q| state.offsets.query(group, topic, q))
                .sum();
            let store_max: u64 = (0..4).map(|q| state.store.max_offset(topic, q)).sum();
            async move { sum == store_max && sum > 0 }
        })
        .await;
    }
    for m in members {
        m.shutdown().await;
    }
    producer.shutdown().await;
    cluster.shutdown().await;
}

/// (key, seq) in the order the orderly listeners saw them, across both members.
type Log = Arc<Mutex<Vec<(usize, usize)>>>;

/// Two orderly members over both brokers' 8 queues: 40 keys × 30 sequence numbers, sent
/// with `send_orderly`, reach the listeners in per-key order, each queue locked by one
/// member on its own broker.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn orderly_members_keep_key_order_across_brokers() {
    let cluster = two_masters().await;
    let (topic, group) = ("OrderlySpread", "orderly-spread");
    cluster.create_topic(topic, 4).await;
    let log: Log = Arc::default();
    let mut members = Vec::new();
    for _ in 0..2 {
        let log = log.clone();
        let listener = MessageListener::orderly(move |msgs: &[MessageExt], _: &mut _| {
            let mut log = log.lock().unwrap();
            for m in msgs {
                let text = String::from_utf8_lossy(m.body()).into_owned();
                let (k, s) = text.split_once(':').expect("key:seq");
                log.push((k.parse().unwrap(), s.parse().unwrap()));
            }
            ConsumeOrderlyStatus::Success
        });
        let member = cluster_push_builder(&cluster, group, listener)
            .build()
            .expect("build");
        member.subscribe(topic, "*").expect("subscribe");
        member.start().await.expect("start");
        members.push(member);
    }
    wait_split(&[&members[0], &members[1]]).await;
    let producer = cluster_producer(&cluster, "orderly-spread-producer").await;
    let brokers: BTreeSet<String> = {
        let mut used = BTreeSet::new();
        for seq in 0..30 {
            for key in 0..40 {
                let msg = Message::new(topic, format!("{key}:{seq}"));
                let sent = producer
                    .send_orderly(msg, &format!("key-{key}"))
                    .await
                    .expect("send");
                used.insert(sent.queue.broker_name);
            }
        }
        used
    };
    assert_eq!(brokers.len(), 2, "keys hash onto both brokers");
    wait_until("every message was consumed", WAIT, || {
        let done = log.lock().unwrap().iter().collect::<BTreeSet<_>>().len() == 1200;
        async move { done }
    })
    .await;
    let mut next: HashMap<usize, usize> = HashMap::new();
    for (key, seq) in log.lock().unwrap().iter().copied() {
        let want = next.entry(key).or_insert(0);
        assert!(seq <= *want, "key {key}: got {seq} while expecting {want}");
        if seq == *want {
            *want += 1;
        }
    }
    for m in members {
        m.shutdown().await;
    }
    producer.shutdown().await;
    cluster.shutdown().await;
}
