//! Clustering consumer groups through the real protocol: members share the queues (each
//! message to one member), join and leave move queues at once through the broker's membership
//! notice, shutdown commits and leaves, a killed member loses nothing, and a blocked listener
//! does not make the client buffer past its flow limits.

use std::collections::BTreeSet;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use ferrocket::client::push_consumer::{ConsumeConcurrentlyStatus, MessageListener};
use ferrocket::{MessageExt, MessageId, PushConsumer};
use ferrocket_tests::TestBroker;

use crate::group_util::{Recorder, create_topic, push_builder, send_numbered, wait_until};

fn listener(recorder: &Recorder, who: usize) -> MessageListener {
    let recorder = recorder.clone();
    MessageListener::concurrently(move |msgs: &[MessageExt], _: &mut _| {
        recorder.record(who, msgs);
        ConsumeConcurrentlyStatus::ConsumeSuccess
    })
}

async fn member(
    broker: &TestBroker,
    group: &str,
    topic: &str,
    recorder: &Recorder,
    who: usize,
) -> PushConsumer {
    let consumer = push_builder(broker, group, listener(recorder, who))
        .consume_threads(4)
        .build()
        .unwrap();
    consumer.subscribe(topic, "*").unwrap();
    consumer.start().await.unwrap();
    consumer
}

fn topic_queues(c: &PushConsumer, topic: &str) -> BTreeSet<u32> {
    c.assignment()
        .into_iter()
        .filter(|q| q.topic == topic)
        .map(|q| q.queue_id)
        .collect()
}

/// Waits up to 5 s for the members' queue counts of `topic` (sorted) to satisfy `want`.
async fn wait_split(members: &[PushConsumer], topic: &str, want: impl Fn(&[usize]) -> bool) {
    let split = || {
        let mut s: Vec<usize> = members
            .iter()
            .map(|m| topic_queues(m, topic).len())
            .collect();
        s.sort_unstable();
        s
    };
    let ok = wait_until(Duration::from_secs(5), || want(&split())).await;
    assert!(ok, "queue split {:?}", split());
}

/// Three members over 8 queues split them 3/3/2 and receive every message, each once; a
/// fourth member joining and one leaving move queues within one notice-driven rebalance
/// (the periodic rebalance is a minute away), and every message is still consumed.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn three_members_share_queues_and_rebalance_on_join_and_leave() {
    let broker = TestBroker::start().await;
    let (topic, group) = ("Shared", "shared-group");
    create_topic(&broker, topic, 8).await;
    let recorder = Recorder::default();
    let mut members = Vec::new();
    for who in 0..3 {
        members.push(member(&broker, group, topic, &recorder, who).await);
    }
    wait_split(&members, topic, |s| s == [2, 3, 3]).await;
    let owned: BTreeSet<u32> = members
        .iter()
        .flat_map(|m| topic_queues(m, topic))
        .collect();
    assert_eq!(owned.len(), 8, "every queue owned");
    let mut ids = send_numbered(&broker, topic, 0, 800).await;
    assert!(wait_until(Duration::from_secs(20), || recorder.distinct() == ids.len()).await);
    assert_eq!(
        recorder.len(),
        ids.len(),
        "no message twice without a rebalance"
    );

    members.push(member(&broker, group, topic, &recorder, 3).await);
    wait_split(&members, topic, |s| s == [2, 2, 2, 2]).await;
    ids.extend(send_numbered(&broker, topic, 800, 400).await);

    let leaving = members.remove(1);
    leaving.shutdown().await;
    wait_split(&members, topic, |s| s.iter().sum::<usize>() == 8).await;
    ids.extend(send_numbered(&broker, topic, 1200, 400).await);
    let all = wait_until(Duration::from_secs(20), || recorder.distinct() == ids.len()).await;
    assert!(all, "{} of {} consumed", recorder.distinct(), ids.len());
    let counts = recorder.counts();
    assert!(
        ids.iter().all(|id| counts.contains_key(id)),
        "every message consumed"
    );
    let duplicates = recorder.len() - recorder.distinct();
    eprintln!("duplicates around rebalances: {duplicates}");
    assert!(duplicates <= 100, "{duplicates} duplicates");
    for m in members {
        m.shutdown().await;
    }
    broker.shutdown().await;
}

/// A member dropped without `shutdown` (as if killed) while its listener still holds
/// messages it never acknowledged loses none of them: once the broker sees its connection
/// close, the survivor takes its queues from the committed offsets and consumes every message,
/// those the victim was holding included.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn killed_member_loses_nothing() {
    let broker = TestBroker::start().await;
    let (topic, group) = ("Killed", "killed-group");
    create_topic(&broker, topic, 4).await;
    let recorder = Recorder::default();
    let survivor = member(&broker, group, topic, &recorder, 0).await;
    let gate = Arc::new(AtomicBool::new(false));
    let (g, r) = (gate.clone(), recorder.clone());
    let stuck = MessageListener::concurrently(move |msgs: &[MessageExt], _: &mut _| {
        r.record(1, msgs);
        while !g.load(Ordering::Acquire) {
            std::thread::sleep(Duration::from_millis(5));
        }
        ConsumeConcurrentlyStatus::ReconsumeLater
    });
    let victim = push_builder(&broker, group, stuck)
        .consume_threads(2)
        .await_termination(Duration::from_millis(100))
        .build()
        .unwrap();
    victim.subscribe(topic, "*").unwrap();
    victim.start().await.unwrap();
    assert!(
        wait_until(Duration::from_secs(5), || topic_queues(&victim, topic)
            .len()
            == 2
            && topic_queues(&survivor, topic).len() == 2)
        .await
    );
    let mut ids = send_numbered(&broker, topic, 0, 200).await;
    let seen_by = |who: usize| {
        let all = recorder.all();
        all.iter()
            .filter(|s| s.consumer == who)
            .map(|s| s.msg.msg_id)
            .collect::<BTreeSet<_>>()
    };
    assert!(
        wait_until(Duration::from_secs(10), || seen_by(1).len() >= 2).await,
        "the victim holds messages: {} / {}",
        seen_by(0).len(),
        seen_by(1).len()
    );
    drop(victim);
    assert!(
        wait_until(Duration::from_secs(10), || topic_queues(&survivor, topic)
            .len()
            == 4)
        .await,
        "queues taken over"
    );
    ids.extend(send_numbered(&broker, topic, 200, 200).await);
    let want: BTreeSet<MessageId> = ids.iter().copied().collect();
    let complete = wait_until(Duration::from_secs(20), || seen_by(0) == want).await;
    gate.store(true, Ordering::Release);
    assert!(
        complete,
        "survivor saw {} of {}",
        seen_by(0).len(),
        want.len()
    );
    survivor.shutdown().await;
    broker.shutdown().await;
}

/// A listener that blocks keeps the client at its flow limits: with 50 messages per queue
/// allowed, 1,000 waiting messages of one queue never make it hold more than 50 + one pull.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn blocked_listener_stays_within_flow_limits() {
    let broker = TestBroker::start().await;
    let (topic, group) = ("Flow", "flow-group");
    create_topic(&broker, topic, 1).await;
    send_numbered(&broker, topic, 0, 1000).await;
    let gate = Arc::new(AtomicBool::new(false));
    let recorder = Recorder::default();
    let (g, r) = (gate.clone(), recorder.clone());
    let blocking = MessageListener::concurrently(move |msgs: &[MessageExt], _: &mut _| {
        while !g.load(Ordering::Acquire) {
            std::thread::sleep(Duration::from_millis(5));
        }
        r.record(0, msgs);
        ConsumeConcurrentlyStatus::ConsumeSuccess
    });
    let consumer = push_builder(&broker, group, blocking)
        .pull_threshold_for_queue(50)
        .pull_batch_size(16)
        .consume_threads(2)
        .build()
        .unwrap();
    consumer.subscribe(topic, "*").unwrap();
    consumer.start().await.unwrap();
    assert!(wait_until(Duration::from_secs(5), || consumer.buffered().0 >= 50).await);
    tokio::time::sleep(Duration::from_millis(300)).await;
    let (held, _) = consumer.buffered();
    assert!((50..50 + 16).contains(&held), "holding {held}");
    gate.store(true, Ordering::Release);
    assert!(wait_until(Duration::from_secs(20), || recorder.distinct() == 1000).await);
    consumer.shutdown().await;
    broker.shutdown().await;
}

async fn poll_all(
    pull: &ferrocket::PullConsumer,
    want: impl Fn(&[MessageExt]) -> bool,
) -> Vec<MessageExt> {
    let mut got: Vec<MessageExt> = Vec::new();
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    while !want(&got) && std::time::Instant::now() < deadline {
        got.extend(pull.poll_timeout(Duration::from_millis(100)).await.unwrap());
    }
    got
}

/// A pull consumer that subscribes joins the group: it and a push consumer split the 8 queues
/// 4/4 and together consume every message once; pause/resume and seeking to the beginning and
/// end work on the pull consumer's queues.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pull_and_push_consumers_share_a_group() {
    let broker = TestBroker::start().await;
    let (topic, group) = ("Mixed", "mixed-group");
    create_topic(&broker, topic, 8).await;
    let recorder = Recorder::default();
    let push = member(&broker, group, topic, &recorder, 0).await;
    let pull = crate::util::consumer(&broker, group, ferrocket::ConsumeFrom::FirstOffset).await;
    pull.subscribe(topic, "*").await.unwrap();
    pull.start().await.unwrap();
    let shared = wait_until(Duration::from_secs(5), || {
        pull.assignment().len() == 4 && topic_queues(&push, topic).len() == 4
    })
    .await;
    assert!(
        shared,
        "pull {:?}, push {:?}",
        pull.assignment(),
        push.assignment()
    );
    let mine = pull.assignment();
    assert!(
        mine.iter()
            .all(|q| !topic_queues(&push, topic).contains(&q.queue_id))
    );
    send_numbered(&broker, topic, 0, 400).await;
    let pulled = poll_all(&pull, |got| got.len() + recorder.len() >= 400).await;
    assert!(
        wait_until(Duration::from_secs(5), || pulled.len() + recorder.len()
            == 400)
        .await
    );
    let mut ids: Vec<MessageId> = pulled.iter().map(|m| m.msg_id).collect();
    ids.extend(recorder.all().iter().map(|s| s.msg.msg_id));
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), 400, "each message once across the two");

    pull.pause(&mine).unwrap();
    send_numbered(&broker, topic, 400, 80).await;
    assert!(
        pull.poll_timeout(Duration::from_millis(300))
            .await
            .unwrap()
            .is_empty(),
        "paused"
    );
    pull.resume(&mine).unwrap();
    let resumed = poll_all(&pull, |got| {
        got.len() + recorder.len() >= 480 - pulled.len()
    })
    .await;
    assert!(!resumed.is_empty(), "resumed");

    seeks_work(&pull, &mine[0]).await;
    pull.shutdown().await;
    push.shutdown().await;
    broker.shutdown().await;
}

/// Seeking `queue` to the beginning re-reads it from offset 0; to the end skips the rest.
async fn seeks_work(pull: &ferrocket::PullConsumer, queue: &ferrocket::MessageQueue) {
    pull.seek_to_beginning(queue).await.unwrap();
    let again = poll_all(pull, |got| got.iter().any(|m| m.queue_id == queue.queue_id)).await;
    let first = again
        .iter()
        .filter(|m| m.queue_id == queue.queue_id)
        .map(|m| m.queue_offset)
        .min();
    assert_eq!(first, Some(0), "seek to beginning re-reads from offset 0");
    pull.seek_to_end(queue).await.unwrap();
    let after_end = pull.poll_timeout(Duration::from_millis(300)).await.unwrap();
    assert!(
        after_end.iter().all(|m| m.queue_id != queue.queue_id),
        "seek to end skips the rest"
    );
}

/// A push consumer (of a new group, from the last offset) started before its topic exists
/// starts anyway and consumes every message a producer sends after that.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn consumer_started_before_its_topic_exists() {
    let broker = TestBroker::start().await;
    let (topic, group) = ("NotYet", "not-yet-group");
    let recorder = Recorder::default();
    let consumer = push_builder(&broker, group, listener(&recorder, 0))
        .consume_from(ferrocket::ConsumeFrom::LastOffset)
        .build()
        .unwrap();
    consumer.subscribe(topic, "*").unwrap();
    consumer.start().await.unwrap();
    assert!(consumer.assignment().iter().all(|q| q.topic != topic));
    let ids = send_numbered(&broker, topic, 0, 20).await;
    assert!(wait_until(Duration::from_secs(10), || recorder.distinct() == ids.len()).await);
    consumer.shutdown().await;
    broker.shutdown().await;
}
