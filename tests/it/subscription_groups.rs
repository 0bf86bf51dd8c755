//! Subscription groups through the real protocol: create, update, list and delete a group's
//! config (persisted across a restart), auto-creation at the first heartbeat (and what happens
//! when it is off), and the config enforced: consumption disabled, broadcasting not allowed,
//! the group's max retries and retry queue count used by send-back.

use std::time::Duration;

use ferrocket::client::push_consumer::{ConsumeConcurrentlyStatus, MessageListener};
use ferrocket::protocol::{
    ConsumeFrom as WireConsumeFrom, ConsumeType, ConsumerData, ExpressionType, GroupWriteMode,
    HeartbeatRequest, MessageModel, PullRequest, Status, Subscription, SubscriptionGroupConfig,
};
use ferrocket::protocol::{FrameKind, ResponseHead, encode_request};
use ferrocket::{Admin, ClientError, Message, MessageExt};
use ferrocket_tests::{RawConn, TestBroker};

use crate::group_util::{Recorder, create_topic, push_builder, wait_until};
use crate::util::producer;

fn admin_of(broker: &TestBroker) -> Admin {
    Admin::with_namesrv(&broker.addr().to_string()).unwrap()
}

fn pull(group: &str, topic: &str) -> PullRequest {
    PullRequest {
        consumer_group: group.into(),
        topic: topic.into(),
        queue_id: 0,
        queue_offset: 0,
        max_messages: 32,
        max_bytes: 1 << 20,
        suspend_timeout_ms: 0,
        commit_offset: None,
        expression_type: ExpressionType::Tag,
        expression: "*".into(),
    }
}

/// A raw connection that announced itself as a member of `group` (so the broker may also send
/// it membership notices, which `pull_status` skips).
async fn member_conn(
    broker: &TestBroker,
    group: &str,
    topic: &str,
    model: MessageModel,
) -> RawConn {
    let mut raw = RawConn::connect(broker.addr()).await;
    let request = heartbeat(group, topic, model);
    let mut out = bytes::BytesMut::new();
    encode_request(FrameKind::Request, 1, &request, &mut out).unwrap();
    raw.write(&out).await.unwrap();
    response_to(&mut raw, 1).await;
    raw
}

/// Reads frames until the response to `correlation_id`, skipping the broker's notices.
async fn response_to(raw: &mut RawConn, correlation_id: u32) -> ResponseHead {
    loop {
        let frame = raw.read_frame().await.expect("a response");
        if frame.header.kind == FrameKind::Response && frame.header.correlation_id == correlation_id
        {
            return frame.response.expect("a response head");
        }
    }
}

/// The status and message of a pull by `group` on a member connection.
async fn pull_status(raw: &mut RawConn, group: &str, topic: &str) -> ResponseHead {
    let mut out = bytes::BytesMut::new();
    encode_request(FrameKind::Request, 7, &pull(group, topic), &mut out).unwrap();
    raw.write(&out).await.unwrap();
    response_to(raw, 7).await
}

fn heartbeat(group: &str, topic: &str, model: MessageModel) -> HeartbeatRequest {
    HeartbeatRequest {
        client_id: format!("raw-{group}"),
        producer_groups: Vec::new(),
        consumer_groups: vec![ConsumerData {
            group: group.into(),
            consume_type: ConsumeType::Pull,
            message_model: model,
            consume_from: WireConsumeFrom::FirstOffset,
            consume_timestamp_ms: 0,
            subscriptions: vec![Subscription {
                topic: topic.into(),
                expression_type: ExpressionType::Tag,
                expression: "*".into(),
            }],
        }],
    }
}

/// Create, update, list and delete through `Admin`: create refuses an existing group and
/// update a missing one with clear statuses; the table survives a restart in
/// `config/subscription_groups.toml`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn group_config_lifecycle_survives_restart() {
    let mut broker = TestBroker::start().await;
    let addr = broker.addr().to_string();
    let admin = admin_of(&broker);
    let mut config = SubscriptionGroupConfig::new("cfg-group");
    config.retry_max_times = 4;
    admin
        .write_subscription_group(&addr, GroupWriteMode::Create, config.clone())
        .await
        .unwrap();
    let again = admin
        .write_subscription_group(&addr, GroupWriteMode::Create, config.clone())
        .await
        .unwrap_err();
    assert_eq!(again.status(), Some(Status::InvalidParameter), "{again}");
    assert!(again.to_string().contains("already exists"), "{again}");
    let missing = SubscriptionGroupConfig::new("no-such-group");
    let err = admin
        .write_subscription_group(&addr, GroupWriteMode::Update, missing)
        .await
        .unwrap_err();
    assert_eq!(
        err.status(),
        Some(Status::SubscriptionGroupNotExist),
        "{err}"
    );
    config.consume_broadcast_enable = false;
    admin
        .write_subscription_group(&addr, GroupWriteMode::Update, config.clone())
        .await
        .unwrap();
    admin.close().await;
    broker.restart().await;
    assert!(
        broker
            .data_dir()
            .join("config/subscription_groups.toml")
            .exists()
    );
    let addr = broker.addr().to_string();
    let admin = Admin::with_namesrv(&addr).unwrap();
    let listed = admin.describe_groups(&addr, "", 0).await.unwrap().groups;
    let found: Vec<&SubscriptionGroupConfig> = listed.iter().map(|d| &d.config).collect();
    assert_eq!(
        found,
        vec![&config],
        "the updated config survived the restart"
    );
    admin
        .delete_subscription_group(&addr, "cfg-group", false)
        .await
        .unwrap();
    let gone = admin
        .delete_subscription_group(&addr, "cfg-group", false)
        .await;
    assert!(
        matches!(&gone, Err(e) if e.status() == Some(Status::SubscriptionGroupNotExist)),
        "{gone:?}"
    );
    admin.close().await;
    broker.shutdown().await;
}

/// A group's first heartbeat creates its config with RocketMQ's defaults; with
/// `auto_create_subscription_group` off it does not, and the group's pulls are refused with
/// `SUBSCRIPTION_GROUP_NOT_EXIST` until an admin creates it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn heartbeat_auto_creates_groups_unless_off() {
    let broker = TestBroker::start().await;
    create_topic(&broker, "AutoGroups", 1).await;
    let _raw = member_conn(
        &broker,
        "auto-group",
        "AutoGroups",
        MessageModel::Clustering,
    )
    .await;
    let admin = admin_of(&broker);
    let addr = broker.addr().to_string();
    let described = admin.describe_groups(&addr, "auto-group", 0).await.unwrap();
    let d = &described.groups[0];
    assert!(d.stored);
    assert_eq!(d.config, SubscriptionGroupConfig::new("auto-group"));
    assert_eq!(d.member_count, 1);
    admin.close().await;
    broker.shutdown().await;

    let broker = TestBroker::start_with(|c| c.auto_create_subscription_group = false).await;
    create_topic(&broker, "AutoGroups", 1).await;
    let mut raw = member_conn(
        &broker,
        "manual-group",
        "AutoGroups",
        MessageModel::Clustering,
    )
    .await;
    let head = pull_status(&mut raw, "manual-group", "AutoGroups").await;
    assert_eq!(head.status, Status::SubscriptionGroupNotExist);
    assert!(
        head.error_message
            .contains("admin group create manual-group"),
        "{}",
        head.error_message
    );
    let addr = broker.addr().to_string();
    let admin = admin_of(&broker);
    admin
        .write_subscription_group(
            &addr,
            GroupWriteMode::Create,
            SubscriptionGroupConfig::new("manual-group"),
        )
        .await
        .unwrap();
    let head = pull_status(&mut raw, "manual-group", "AutoGroups").await;
    assert_eq!(head.status, Status::Ok, "{}", head.error_message);
    admin.close().await;
    broker.shutdown().await;
}

/// A group whose consumption is disabled gets `NO_PERMISSION` naming the group and the fix;
/// re-enabling it lets its pulls through again.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn consume_disabled_refuses_pulls() {
    let broker = TestBroker::start().await;
    create_topic(&broker, "Disabled", 1).await;
    let addr = broker.addr().to_string();
    let admin = admin_of(&broker);
    let mut config = SubscriptionGroupConfig::new("off-group");
    config.consume_enable = false;
    admin
        .write_subscription_group(&addr, GroupWriteMode::Create, config.clone())
        .await
        .unwrap();
    let mut raw = RawConn::connect(broker.addr()).await;
    let (head, _) = raw.call(&pull("off-group", "Disabled")).await;
    assert_eq!(head.status, Status::NoPermission);
    assert!(
        head.error_message.contains("`off-group` may not consume")
            && head.error_message.contains("--consume-enable true"),
        "{}",
        head.error_message
    );
    config.consume_enable = true;
    admin
        .write_subscription_group(&addr, GroupWriteMode::Update, config)
        .await
        .unwrap();
    let (head, _) = raw.call(&pull("off-group", "Disabled")).await;
    assert_eq!(head.status, Status::Ok, "{}", head.error_message);
    admin.close().await;
    broker.shutdown().await;
}

/// A group that may not broadcast: a broadcasting member's pulls are refused (and a
/// broadcasting push consumer receives nothing); once allowed, the consumer gets the messages.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn broadcasting_refused_when_not_allowed() {
    let broker = TestBroker::start().await;
    let topic = "NoBroadcast";
    create_topic(&broker, topic, 1).await;
    let addr = broker.addr().to_string();
    let admin = admin_of(&broker);
    let mut config = SubscriptionGroupConfig::new("bc-group");
    config.consume_broadcast_enable = false;
    admin
        .write_subscription_group(&addr, GroupWriteMode::Create, config.clone())
        .await
        .unwrap();
    let mut raw = member_conn(&broker, "bc-group", topic, MessageModel::Broadcasting).await;
    let head = pull_status(&mut raw, "bc-group", topic).await;
    assert_eq!(head.status, Status::NoPermission);
    assert!(
        head.error_message.contains("broadcasting"),
        "{}",
        head.error_message
    );
    let producer = producer(&broker, "bc-producer").await;
    producer.send(Message::new(topic, "hello")).await.unwrap();
    let recorder = Recorder::default();
    let dir = ferrocket_tests::TempDir::new("bc-offsets");
    let consumer = push_builder(&broker, "bc-group", record_all(&recorder))
        .message_model(MessageModel::Broadcasting)
        .broadcast_offset_dir(dir.path())
        .build()
        .unwrap();
    consumer.subscribe(topic, "*").unwrap();
    consumer.start().await.unwrap();
    assert!(!wait_until(Duration::from_millis(700), || recorder.len() > 0).await);
    config.consume_broadcast_enable = true;
    admin
        .write_subscription_group(&addr, GroupWriteMode::Update, config)
        .await
        .unwrap();
    assert!(wait_until(Duration::from_secs(10), || recorder.len() == 1).await);
    consumer.shutdown().await;
    producer.shutdown().await;
    admin.close().await;
    broker.shutdown().await;
}

fn record_all(recorder: &Recorder) -> MessageListener {
    let recorder = recorder.clone();
    MessageListener::concurrently(move |msgs: &[MessageExt], _: &mut _| {
        recorder.record(0, msgs);
        ConsumeConcurrentlyStatus::ConsumeSuccess
    })
}

/// A consumer that sets no max reconsume times gets the group's: with `retry_max_times` 1 a
/// message that always fails is delivered twice, then lands in `%DLQ%{group}`; the retry topic
/// has the group's 2 retry queues.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn group_max_retries_and_retry_queues_apply() {
    let broker =
        TestBroker::start_with(|c| c.message_delay_level = "100ms 200ms 300ms 400ms".into()).await;
    let (topic, group) = ("GroupRetries", "retry-cfg-group");
    create_topic(&broker, topic, 1).await;
    let addr = broker.addr().to_string();
    let admin = admin_of(&broker);
    let mut config = SubscriptionGroupConfig::new(group);
    config.retry_max_times = 1;
    config.retry_queue_count = 2;
    admin
        .write_subscription_group(&addr, GroupWriteMode::Create, config)
        .await
        .unwrap();
    let recorder = Recorder::default();
    let failing = {
        let recorder = recorder.clone();
        MessageListener::concurrently(move |msgs: &[MessageExt], _: &mut _| {
            recorder.record(0, msgs);
            ConsumeConcurrentlyStatus::ReconsumeLater
        })
    };
    let consumer = push_builder(&broker, group, failing).build().unwrap();
    consumer.subscribe(topic, "*").unwrap();
    consumer.start().await.unwrap();
    let retry = admin
        .describe_topic(&addr, &format!("%RETRY%{group}"))
        .await
        .unwrap();
    assert_eq!(retry.config.read_queue_count, 2, "the group's retry queues");
    let producer = producer(&broker, "retry-cfg-producer").await;
    let id = producer
        .send(Message::new(topic, "always fails"))
        .await
        .unwrap()
        .msg_id;
    let dlq = format!("%DLQ%{group}");
    let in_dlq = wait_until(Duration::from_secs(15), || {
        broker.handle().state().store.max_offset(&dlq, 0) == 1
    })
    .await;
    assert!(in_dlq, "the message reached the dead-letter queue");
    assert_eq!(
        recorder.counts().get(&id),
        Some(&2),
        "delivered once, retried once"
    );
    consumer.shutdown().await;
    producer.shutdown().await;
    admin.close().await;
    broker.shutdown().await;
}

/// Refusals reach a client as `ClientError::Broker` carrying the status, for SDKs to map.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn group_errors_carry_their_status() {
    let broker = TestBroker::start().await;
    let addr = broker.addr().to_string();
    let admin = admin_of(&broker);
    let err = admin
        .describe_groups(&addr, "never-seen", 0)
        .await
        .unwrap_err();
    assert!(matches!(err, ClientError::Broker { .. }), "{err:?}");
    assert_eq!(err.status(), Some(Status::SubscriptionGroupNotExist));
    let bad = admin
        .write_subscription_group(&addr, GroupWriteMode::Upsert, {
            let mut c = SubscriptionGroupConfig::new("zero-retry-queues");
            c.retry_queue_count = 0;
            c
        })
        .await
        .unwrap_err();
    assert_eq!(bad.status(), Some(Status::InvalidParameter), "{bad}");
    admin.close().await;
    broker.shutdown().await;
}
