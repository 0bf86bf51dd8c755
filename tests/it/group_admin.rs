//! Consumer-group administration through the real protocol: progress (broker offset, consumer
//! offset, lag, last consume time per queue), connections (the live members), and resetting a
//! group's offsets to a time while its members run (push and pull consumers continue from the
//! new offsets without a restart).

use std::time::Duration;

use ferrocket::client::push_consumer::{ConsumeConcurrentlyStatus, MessageListener};
use ferrocket::protocol::{
    ConsumeType, DESCRIBE_MEMBERS, DESCRIBE_PROGRESS, GroupDescription, MessageModel,
    NO_CONSUMER_OFFSET,
};
use ferrocket::{Admin, ConsumeFrom, MessageExt, MessageId, PushConsumer};
use ferrocket_tests::{TestBroker, now_ms};

use crate::group_util::{Recorder, create_topic, push_builder, send_numbered, wait_until};
use crate::util::consumer;

fn listener(recorder: &Recorder) -> MessageListener {
    let recorder = recorder.clone();
    MessageListener::concurrently(move |msgs: &[MessageExt], _: &mut _| {
        recorder.record(0, msgs);
        ConsumeConcurrentlyStatus::ConsumeSuccess
    })
}

async fn describe(broker: &TestBroker, group: &str, include: u8) -> GroupDescription {
    let addr = broker.addr().to_string();
    let admin = Admin::with_namesrv(&addr).unwrap();
    let mut d = admin.describe_groups(&addr, group, include).await.unwrap();
    admin.close().await;
    d.groups.remove(0)
}

async fn start_member(
    broker: &TestBroker,
    group: &str,
    topic: &str,
    recorder: &Recorder,
) -> PushConsumer {
    let consumer = push_builder(broker, group, listener(recorder))
        .consume_threads(2)
        .build()
        .unwrap();
    consumer.subscribe(topic, "*").unwrap();
    consumer.start().await.unwrap();
    consumer
}

/// Progress shows, per queue of the group's topic, the broker and consumer offsets, the lag
/// and when the group last consumed; connections show the member with its address, type,
/// model and subscriptions. After the member leaves, new messages show as lag.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn progress_and_connections() {
    let broker = TestBroker::start().await;
    let (topic, group) = ("Progress", "progress-group");
    create_topic(&broker, topic, 2).await;
    let before = now_ms();
    send_numbered(&broker, topic, 0, 10).await;
    let recorder = Recorder::default();
    let consumer = start_member(&broker, group, topic, &recorder).await;
    assert!(wait_until(Duration::from_secs(10), || recorder.distinct() == 10).await);
    let mut committed = 0;
    for _ in 0..100 {
        let d = describe(&broker, group, DESCRIBE_PROGRESS).await;
        committed = d
            .queues
            .iter()
            .filter(|q| q.topic == topic && q.consumer_offset != NO_CONSUMER_OFFSET)
            .map(|q| q.consumer_offset)
            .sum();
        if committed == 10 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(committed, 10, "offsets committed");
    let d = describe(&broker, group, DESCRIBE_PROGRESS | DESCRIBE_MEMBERS).await;
    assert_eq!(d.member_count, 1);
    let member = &d.members[0];
    assert_eq!(member.client_id, consumer.client_id());
    assert!(member.addr.starts_with("127.0.0.1:"), "{}", member.addr);
    assert_eq!(
        (member.consume_type, member.message_model),
        (ConsumeType::Push, MessageModel::Clustering)
    );
    let topics: Vec<&str> = member
        .subscriptions
        .iter()
        .map(|s| s.topic.as_str())
        .collect();
    assert!(
        topics.contains(&topic) && topics.contains(&"%RETRY%progress-group"),
        "{topics:?}"
    );
    for q in d
        .queues
        .iter()
        .filter(|q| q.topic == topic && q.broker_offset > 0)
    {
        assert_eq!(q.lag(), 0);
        assert!(q.last_commit_ms >= before, "{q:?}");
        assert!(
            q.last_consumed_store_ms >= before && q.last_consumed_store_ms <= now_ms(),
            "{q:?}"
        );
    }
    consumer.shutdown().await;
    send_numbered(&broker, topic, 10, 5).await;
    let d = describe(&broker, group, DESCRIBE_PROGRESS | DESCRIBE_MEMBERS).await;
    assert_eq!((d.member_count, d.members.len()), (0, 0), "the member left");
    let lag: u64 = d
        .queues
        .iter()
        .filter(|q| q.topic == topic)
        .map(|q| q.lag())
        .sum();
    assert_eq!(lag, 5);
    let found = vec![(broker.addr().to_string(), d)];
    let text = ferrocket_server::cli::group_view::render_progress(group, &found, false);
    assert!(text.contains("total lag 5"), "{text}");
    broker.shutdown().await;
}

/// A reset to a time while a push consumer runs: the broker moves the group's offsets and the
/// member, told by the broker, re-delivers everything stored since that time without a
/// restart, and its later commits keep the reset (no old position written back).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reset_offset_rewinds_a_running_push_consumer() {
    let broker = TestBroker::start().await;
    let (topic, group) = ("Rewind", "rewind-group");
    create_topic(&broker, topic, 2).await;
    send_numbered(&broker, topic, 0, 10).await;
    tokio::time::sleep(Duration::from_millis(20)).await;
    let mark = now_ms();
    let second = send_numbered(&broker, topic, 10, 10).await;
    let recorder = Recorder::default();
    let consumer = start_member(&broker, group, topic, &recorder).await;
    assert!(wait_until(Duration::from_secs(10), || recorder.len() == 20).await);
    let addr = broker.addr().to_string();
    let admin = Admin::with_namesrv(&addr).unwrap();
    let reset = admin
        .reset_offset_by_time(&addr, group, "", mark)
        .await
        .unwrap();
    let moved: u64 = reset.offsets.iter().map(|q| q.offset).sum();
    assert_eq!(
        moved, 10,
        "both queues moved to the first message since the mark"
    );
    assert!(
        reset.offsets.iter().all(|q| q.topic == topic),
        "retry topic left alone"
    );
    assert!(
        wait_until(Duration::from_secs(10), || recorder.len() == 30).await,
        "the second half was delivered again ({} deliveries)",
        recorder.len()
    );
    let counts = recorder.counts();
    assert!(second.iter().all(|id| counts.get(id) == Some(&2)));
    // Wait for several commit periods: the member commits the reset position forward only.
    tokio::time::sleep(Duration::from_millis(500)).await;
    let d = describe(&broker, group, DESCRIBE_PROGRESS).await;
    let committed: u64 = d
        .queues
        .iter()
        .filter(|q| q.topic == topic)
        .map(|q| q.consumer_offset)
        .sum();
    assert_eq!(committed, 20);
    assert_eq!(recorder.len(), 30, "nothing else was re-delivered");
    consumer.shutdown().await;
    admin.close().await;
    broker.shutdown().await;
}

/// A reset of one named topic while a subscribed pull consumer runs: its buffered messages
/// are dropped and it polls again from the new offsets; a group with no topic on the broker
/// is refused with a clear message.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reset_offset_reaches_a_pull_consumer() {
    let broker = TestBroker::start().await;
    let (topic, group) = ("RewindPull", "rewind-pull-group");
    create_topic(&broker, topic, 1).await;
    send_numbered(&broker, topic, 0, 6).await;
    let pull = consumer(&broker, group, ConsumeFrom::FirstOffset).await;
    pull.subscribe(topic, "*").await.unwrap();
    pull.start().await.unwrap();
    let mut got = 0;
    while got < 6 {
        got += pull
            .poll_timeout(Duration::from_secs(5))
            .await
            .unwrap()
            .len();
    }
    pull.commit().await.unwrap();
    let addr = broker.addr().to_string();
    let admin = Admin::with_namesrv(&addr).unwrap();
    admin
        .reset_offset_by_time(&addr, group, topic, 0)
        .await
        .unwrap();
    let mut again = Vec::new();
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    while again.len() < 6 && std::time::Instant::now() < deadline {
        again.extend(pull.poll_timeout(Duration::from_millis(500)).await.unwrap());
    }
    let offsets: Vec<u64> = again.iter().map(|m| m.queue_offset).collect();
    assert_eq!(
        offsets,
        (0..6).collect::<Vec<u64>>(),
        "re-read from the start"
    );
    let none = admin
        .reset_offset_by_time(&addr, "no-topics-group", "", 0)
        .await;
    assert!(
        matches!(&none, Err(e) if e.to_string().contains("name a topic with -t")),
        "{none:?}"
    );
    pull.shutdown().await;
    admin.close().await;
    broker.shutdown().await;
}

/// A pull consumer of a new group starting at `LastOffset` reads every message stored after
/// `start` returned, even one stored before its queue's starting offset was resolved (here:
/// the topic does not exist yet when it starts, so the queue's first fetch fails and is
/// retried later, after the first send created the topic: the end of the queue then would
/// skip at least that message).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pull_consumer_last_offset_starts_at_its_start_time() {
    let broker = TestBroker::start_with(|c| c.auto_create_queue_count = 1).await;
    let topic = "LaterTopic";
    let broker_name = broker.handle().state().config.broker_name.clone();
    let pull = ferrocket::PullConsumer::builder()
        .group("later-group")
        .namesrv(&broker.addr().to_string())
        .consume_from(ConsumeFrom::LastOffset)
        .pull_error_backoff(Duration::from_millis(500))
        .build()
        .unwrap();
    let mq = ferrocket::MessageQueue::new(topic, broker_name.as_str(), 0);
    pull.assign(vec![mq]).unwrap();
    pull.start().await.unwrap();
    let ids = send_numbered(&broker, topic, 0, 5).await;
    let mut got = Vec::new();
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    while got.len() < 5 && std::time::Instant::now() < deadline {
        got.extend(pull.poll_timeout(Duration::from_millis(500)).await.unwrap());
    }
    let got: Vec<MessageId> = got.iter().map(|m| m.msg_id).collect();
    assert_eq!(got, ids, "every message sent after start, none skipped");
    pull.shutdown().await;
    broker.shutdown().await;
}
