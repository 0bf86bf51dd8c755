//! Consumer groups, retries, timers and transactions in a cluster: push consumers read a dead
//! master's queues from its slave and go back to the master when it returns; a group's retry
//! topic is routed by the name servers, so redeliveries reach push consumers; only masters
//! deliver timers and run transaction check-backs, and slaves get the results by replication;
//! slaves copy their master's subscription groups and create none, and the groups' read
//! brokers drive `slave_read_enable`'s suggestions.

use std::collections::BTreeMap;
use std::sync::atomic::Ordering;

use ferrocket::client::push_consumer::{ConsumeConcurrentlyStatus, MessageListener};
use ferrocket::protocol::{
    ConsumerData, CreateTopicRequest, DeleteTopicRequest, EndTransactionRequest, ExpressionType,
    GroupWriteMode, HeartbeatRequest, MessageModel, PullRequest, PullResponse, ResetOffsetRequest,
    Status, Subscription, SubscriptionGroupConfig, TopicConfig, TransactionResolution,
    UpdateSubscriptionGroupRequest, UpdateTopicRequest,
};
use ferrocket::{Message, MessageExt, PushConsumer};
use ferrocket_server::broker::BrokerState;
use ferrocket_tests::RawConn;
use ferrocket_tests::cluster::{ClusterOptions, TestCluster, WAIT, wait_until};

use crate::cluster::{cluster_producer, cluster_push_builder};
use crate::group_util::Recorder;

/// Every delay level 50 ms, so retries and delayed messages come quickly.
fn fast_levels() -> String {
    vec!["50ms"; 18].join(" ")
}

fn one_group() -> ClusterOptions {
    ClusterOptions {
        name_servers: 1,
        groups: 1,
        tweak: Box::new(|c| c.message_delay_level = fast_levels()),
        ..ClusterOptions::default()
    }
}

/// A started push consumer of `topic` on the cluster, recording what it sees into `recorder`
/// as consumer `id`; the listener answers with `status` for a message seen the first time.
async fn push_consumer(
    cluster: &TestCluster,
    group: &str,
    topic: &str,
    (recorder, id): (&Recorder, usize),
    first_time: ConsumeConcurrentlyStatus,
) -> PushConsumer {
    let r = recorder.clone();
    let listener = MessageListener::concurrently(move |msgs: &[MessageExt], _: &mut _| {
        r.record(id, msgs);
        if msgs[0].reconsume_times == 0 {
            first_time
        } else {
            ConsumeConcurrentlyStatus::ConsumeSuccess
        }
    });
    let consumer = cluster_push_builder(cluster, group, listener)
        .build()
        .expect("push consumer");
    consumer.subscribe(topic, "*").expect("subscribe");
    consumer.start().await.expect("start");
    consumer
}

async fn send_n(cluster: &TestCluster, topic: &str, from: usize, n: usize) {
    let producer = cluster_producer(cluster, "cg-pg").await;
    for i in from..from + n {
        producer
            .send(Message::new(topic, format!("{topic}-{i:04}")))
            .await
            .expect("send");
    }
    producer.shutdown().await;
}

fn committed(state: &BrokerState, group: &str, topic: &str, queues: u32) -> u64 {
    (0..queues)
        .filter_map(|q| state.offsets.query(group, topic, q))
        .sum()
}

async fn wait_seen(recorder: &Recorder, n: usize) {
    wait_until(&format!("{n} messages were consumed"), WAIT, || {
        let done = recorder.distinct() >= n;
        async move { done }
    })
    .await;
}

/// With the master dead, a push consumer starts from the offsets the slave copied and
/// consumes the rest from the slave; its commits wait for the master and reach it once it is
/// back, and new messages then come from the master (the slave is stopped). Every message is
/// consumed once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn push_consumers_read_the_slave_while_the_master_is_down() {
    let mut cluster = TestCluster::start(one_group()).await;
    let (topic, group) = ("PushFailover", "pfo-cg");
    cluster.create_topic(topic, 2).await;
    send_n(&cluster, topic, 0, 60).await;
    let recorder = Recorder::default();
    let ok = ConsumeConcurrentlyStatus::ConsumeSuccess;
    let first = push_consumer(&cluster, group, topic, (&recorder, 0), ok).await;
    wait_seen(&recorder, 60).await;
    first.shutdown().await;
    let slave = cluster.groups[0].slave().handle().state().clone();
    wait_until("the slave copied the committed offsets", WAIT, || {
        let n = committed(&slave, group, topic, 2);
        async move { n == 60 }
    })
    .await;
    send_n(&cluster, topic, 60, 40).await;
    cluster.wait_replicated(0).await;
    cluster.groups[0].master.kill().await;
    let second = push_consumer(&cluster, group, topic, (&recorder, 1), ok).await;
    wait_seen(&recorder, 100).await;
    cluster.groups[0].master.start_again().await;
    cluster.wait_registered().await;
    let master = cluster.groups[0].master.handle().state().clone();
    wait_until("the waiting commits reached the master", WAIT, || {
        let n = committed(&master, group, topic, 2);
        async move { n == 100 }
    })
    .await;
    cluster.groups[0].slave_mut().stop().await;
    send_n(&cluster, topic, 100, 20).await;
    wait_seen(&recorder, 120).await;
    second.shutdown().await;
    let mut by_body: BTreeMap<Vec<u8>, Vec<usize>> = BTreeMap::new();
    for seen in recorder.all() {
        let body = seen.msg.body().to_vec();
        by_body.entry(body).or_default().push(seen.consumer);
    }
    assert_eq!(by_body.len(), 120, "every message");
    assert!(by_body.values().all(|c| c.len() == 1), "one delivery each");
    let second_got = by_body.values().filter(|c| c[0] == 1).count();
    assert_eq!(
        second_got, 60,
        "the second consumer started where the first stopped"
    );
    cluster.shutdown().await;
}

/// In a cluster of two groups with slaves, a push consumer that fails every first delivery
/// gets each message again through `%RETRY%{group}`, which every name server routes to both
/// groups; the retries (delayed by a level) are delivered by the masters only, and each slave
/// holds exactly its master's retry messages, copied.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn retries_route_through_the_name_servers_and_masters_deliver_them() {
    let options = ClusterOptions {
        tweak: Box::new(|c| c.message_delay_level = fast_levels()),
        ..ClusterOptions::default()
    };
    let cluster = TestCluster::start(options).await;
    let (topic, group) = ("RetryInCluster", "ric-cg");
    cluster.create_topic(topic, 2).await;
    let recorder = Recorder::default();
    let later = ConsumeConcurrentlyStatus::ReconsumeLater;
    let consumer = push_consumer(&cluster, group, topic, (&recorder, 0), later).await;
    let retry = format!("%RETRY%{group}");
    cluster.wait_route(&retry, |r| r.queues.len() == 2).await;
    send_n(&cluster, topic, 0, 40).await;
    wait_until("every message was redelivered once", WAIT, || {
        let counts = recorder.counts();
        let done = counts.len() == 40 && counts.values().all(|n| *n >= 2);
        async move { done }
    })
    .await;
    let seen = recorder.all();
    assert!(seen.iter().all(|s| s.msg.topic() == topic));
    let mut redelivered = 0;
    for g in 0..2 {
        cluster.wait_replicated(g).await;
        let master = cluster.groups[g].master.handle().state().clone();
        let slave = cluster.groups[g].slave().handle().state().clone();
        let delivered = master.scheduler.stats().delivered.load(Ordering::Relaxed);
        redelivered += delivered;
        let slave_delivered = slave.scheduler.stats().delivered.load(Ordering::Relaxed);
        assert_eq!(slave_delivered, 0, "a slave delivers no timers");
        let (m, s) = (master.store.clone(), slave.store.clone());
        let retry_topic = retry.clone();
        wait_until("the slave dispatched the retries", WAIT, || {
            let done = s.max_offset(&retry_topic, 0) == m.max_offset(&retry_topic, 0);
            async move { done }
        })
        .await;
        assert_eq!(master.store.max_offset(&retry, 0), delivered);
    }
    assert!(redelivered >= 40, "the masters delivered {redelivered}");
    consumer.shutdown().await;
    cluster.shutdown().await;
}

/// A slave refuses what would append to its copy (a transaction's outcome, a send-back), and
/// a delayed message is delivered once, by the master; the slave copies the delivery.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn slaves_deliver_no_timers_and_take_no_decisions() {
    let cluster = TestCluster::start(one_group()).await;
    cluster.create_topic("Later", 1).await;
    let producer = cluster_producer(&cluster, "later-pg").await;
    let message = Message::new("Later", "in a moment").with_delay_level(2);
    producer.send(message).await.expect("delayed send");
    let master = cluster.groups[0].master.handle().state().clone();
    let slave = cluster.groups[0].slave().handle().state().clone();
    wait_until("the master delivered the timer", WAIT, || {
        let done = master.store.max_offset("Later", 0) == 1;
        async move { done }
    })
    .await;
    cluster.wait_replicated(0).await;
    let s = slave.store.clone();
    wait_until("the slave copied the delivery", WAIT, || {
        let done = s.max_offset("Later", 0) == 1;
        async move { done }
    })
    .await;
    assert_eq!(slave.scheduler.stats().delivered.load(Ordering::Relaxed), 0);
    let mut raw = RawConn::connect(cluster.groups[0].slave().addr()).await;
    let (refused, _) = raw
        .call(&EndTransactionRequest {
            producer_group: "tx-pg".into(),
            commit_log_offset: 0,
            msg_id: Default::default(),
            resolution: TransactionResolution::Commit,
            from_check: false,
        })
        .await;
    assert_eq!(refused.status, Status::ServiceNotAvailable);
    assert_eq!(
        slave.store.max_offset("Later", 0),
        1,
        "nothing else appended"
    );
    producer.shutdown().await;
    cluster.shutdown().await;
}

async fn pull_suggestion(conn: &mut RawConn, group: &str) -> u64 {
    let answer: PullResponse = conn
        .call_ok(&PullRequest {
            consumer_group: group.into(),
            topic: "Suggest".into(),
            queue_id: 0,
            queue_offset: 0,
            max_messages: 1,
            max_bytes: 1 << 20,
            suspend_timeout_ms: 0,
            commit_offset: None,
            expression_type: ExpressionType::Tag,
            expression: "*".into(),
        })
        .await;
    answer.suggest_broker_id
}

fn heartbeat(group: &str) -> HeartbeatRequest {
    HeartbeatRequest {
        client_id: "127.0.0.1@1#slave-test".into(),
        producer_groups: Vec::new(),
        consumer_groups: vec![ConsumerData {
            group: group.into(),
            consume_type: ferrocket::protocol::ConsumeType::Push,
            message_model: MessageModel::Clustering,
            consume_from: ferrocket::protocol::ConsumeFrom::FirstOffset,
            consume_timestamp_ms: 0,
            subscriptions: vec![Subscription {
                topic: "Suggest".into(),
                expression_type: ExpressionType::Tag,
                expression: "*".into(),
            }],
        }],
    }
}

/// A group created on the master reaches its slave; a heartbeat to the slave creates neither a
/// group nor a retry topic there; with `slave_read_enable`, a pull that keeps up is sent to
/// the group's `broker_id` (1 for the copied group, 0 by default) by master and slave alike;
/// the slave refuses group changes and offset resets.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn slaves_copy_subscription_groups_and_follow_their_read_brokers() {
    let options = ClusterOptions {
        tweak: Box::new(|c| c.slave_read_enable = true),
        ..one_group()
    };
    let cluster = TestCluster::start(options).await;
    cluster.create_topic("Suggest", 1).await;
    send_n(&cluster, "Suggest", 0, 1).await;
    cluster.wait_replicated(0).await;
    let config = SubscriptionGroupConfig {
        broker_id: 1,
        retry_max_times: 3,
        ..SubscriptionGroupConfig::new("sg-slave-read")
    };
    let mut master = RawConn::connect(cluster.groups[0].master.addr()).await;
    master
        .call_ok(&UpdateSubscriptionGroupRequest {
            mode: GroupWriteMode::Create,
            config: config.clone(),
        })
        .await;
    let slave = cluster.groups[0].slave().handle().state().clone();
    wait_until("the slave copied the group", WAIT, || {
        let copied = slave.subscription_groups.get("sg-slave-read") == Some(config.clone());
        async move { copied }
    })
    .await;
    // The member's connection may get the broker's membership notices; pulls use another.
    let mut member = RawConn::connect(cluster.groups[0].slave().addr()).await;
    member.call_ok(&heartbeat("sg-slave-new")).await;
    assert_eq!(slave.subscription_groups.get("sg-slave-new"), None);
    assert!(slave.topics.get("%RETRY%sg-slave-new").is_none());
    let mut raw_slave = RawConn::connect(cluster.groups[0].slave().addr()).await;
    assert_eq!(pull_suggestion(&mut master, "sg-slave-read").await, 1);
    assert_eq!(pull_suggestion(&mut raw_slave, "sg-slave-read").await, 1);
    assert_eq!(pull_suggestion(&mut master, "sg-default").await, 0);
    let (head, _) = raw_slave
        .call(&UpdateSubscriptionGroupRequest {
            mode: GroupWriteMode::Upsert,
            config: SubscriptionGroupConfig::new("sg-on-slave"),
        })
        .await;
    assert_eq!(
        head.status,
        Status::ServiceNotAvailable,
        "{}",
        head.error_message
    );
    let (head, _) = raw_slave
        .call(&ResetOffsetRequest {
            consumer_group: "sg-slave-read".into(),
            topic: "Suggest".into(),
            timestamp_ms: 0,
            broker_name: String::new(),
            offsets: Vec::new(),
        })
        .await;
    assert_eq!(
        head.status,
        Status::ServiceNotAvailable,
        "{}",
        head.error_message
    );
    assert_eq!(slave.subscription_groups.get("sg-on-slave"), None);
    cluster.shutdown().await;
}

fn assert_refused(head: ferrocket::protocol::ResponseHead) {
    assert_eq!(
        head.status,
        Status::ServiceNotAvailable,
        "{}",
        head.error_message
    );
}

/// A slave refuses topic creation, update and deletion like group changes (its next copy of
/// the master's topic table would undo them); its copied topic stays as the master has it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn slaves_refuse_topic_changes() {
    let cluster = TestCluster::start(one_group()).await;
    cluster.create_topic("Copied", 2).await;
    let slave = cluster.groups[0].slave().handle().state().clone();
    wait_until("the slave copied the topic", WAIT, || {
        let copied = slave.topics.get("Copied").is_some();
        async move { copied }
    })
    .await;
    let mut raw = RawConn::connect(cluster.groups[0].slave().addr()).await;
    let create = CreateTopicRequest {
        config: TopicConfig::new("OnSlave", 4),
    };
    let update = UpdateTopicRequest {
        config: TopicConfig::new("Copied", 8),
    };
    let delete = DeleteTopicRequest {
        topic: "Copied".into(),
    };
    assert_refused(raw.call(&create).await.0);
    assert_refused(raw.call(&update).await.0);
    assert_refused(raw.call(&delete).await.0);
    assert!(slave.topics.get("OnSlave").is_none());
    assert_eq!(
        slave.topics.get("Copied").map(|c| c.write_queue_count),
        Some(2)
    );
    cluster.shutdown().await;
}
