//! Transactional messages through a real broker, with check-back times shortened to
//! milliseconds: commit, rollback, `Unknown` resolved by a check-back, a check-back answered
//! by another producer of the group (also after a broker restart), states across a crash,
//! and the discard after the maximum number of checks. Consumers never see a rolled-back or undecided message.

use std::any::Any;
use std::collections::BTreeSet;
use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use ferrocket::protocol::record::{SYS_FLAG_TRANSACTION_COMMIT, SYS_FLAG_TRANSACTION_MASK};
use ferrocket::{
    ConsumeFrom, LocalTransactionState, Message, MessageExt, Producer, PullConsumer,
    TransactionListener, TransactionProducer,
};
use ferrocket_tests::TestBroker;

use crate::util::consumer;

const GROUP: &str = "tx-producer";

/// Answers `execute` and `check` with fixed states and counts the checks.
struct Fixed {
    execute: LocalTransactionState,
    check: LocalTransactionState,
    checks: AtomicU32,
}

impl TransactionListener for Fixed {
    fn execute_local_transaction(
        &self,
        _msg: &Message,
        arg: &(dyn Any + Send + Sync),
    ) -> LocalTransactionState {
        assert_eq!(
            arg.downcast_ref::<u32>(),
            Some(&7),
            "the caller's arg arrives"
        );
        self.execute
    }

    fn check_local_transaction(&self, _msg: &MessageExt) -> LocalTransactionState {
        self.checks.fetch_add(1, Ordering::SeqCst);
        self.check
    }
}

fn listener(execute: LocalTransactionState, check: LocalTransactionState) -> Arc<Fixed> {
    Arc::new(Fixed {
        execute,
        check,
        checks: AtomicU32::new(0),
    })
}

async fn start_broker(check_max: u32) -> TestBroker {
    TestBroker::start_with(|c| {
        c.transaction_timeout_ms = 200;
        c.transaction_check_interval_ms = 200;
        c.transaction_check_max = check_max;
    })
    .await
}

async fn tx_producer(broker: &TestBroker, listener: Arc<Fixed>) -> TransactionProducer {
    let builder = Producer::builder()
        .group(GROUP)
        .namesrv(&broker.addr().to_string());
    let producer = TransactionProducer::new(builder, listener).expect("build");
    producer.start().await.expect("start");
    producer
}

async fn send(producer: &TransactionProducer, topic: &str, body: &str) {
    producer
        .send_message_in_transaction(Message::new(topic, body.to_owned()), &7u32)
        .await
        .expect("transactional send");
}

async fn topic_consumer(broker: &TestBroker, topic: &str, group: &str) -> PullConsumer {
    let c = consumer(broker, group, ConsumeFrom::FirstOffset).await;
    c.subscribe(topic, "*").await.expect("subscribe");
    c.start().await.expect("start");
    c
}

/// Polls until every body of `want` arrived or `within` passed; returns every message seen.
async fn collect(c: &PullConsumer, want: &[&str], within: Duration) -> Vec<MessageExt> {
    let deadline = tokio::time::Instant::now() + within;
    let mut got: Vec<MessageExt> = Vec::new();
    let seen = |got: &[MessageExt]| -> BTreeSet<Vec<u8>> {
        got.iter().map(|m| m.body().to_vec()).collect()
    };
    while tokio::time::Instant::now() < deadline
        && !want.iter().all(|w| seen(&got).contains(w.as_bytes()))
    {
        got.extend(
            c.poll_timeout(Duration::from_millis(200))
                .await
                .expect("poll"),
        );
    }
    got
}

fn bodies(msgs: &[MessageExt]) -> BTreeSet<String> {
    msgs.iter()
        .map(|m| String::from_utf8_lossy(m.body()).into_owned())
        .collect()
}

/// Commit makes the message visible (flagged COMMIT, pointing at its half message); rollback
/// never shows, and a plain message sent after both arrives, so the consumer was reading.
#[tokio::test]
async fn commit_is_visible_and_rollback_is_not() {
    let broker = start_broker(15).await;
    let commits = tx_producer(
        &broker,
        listener(
            LocalTransactionState::Commit,
            LocalTransactionState::Rollback,
        ),
    )
    .await;
    send(&commits, "TxOrders", "committed").await;
    let rollbacks = {
        let builder = Producer::builder()
            .group("tx-rollback")
            .namesrv(&broker.addr().to_string());
        let p = TransactionProducer::new(
            builder,
            listener(
                LocalTransactionState::Rollback,
                LocalTransactionState::Rollback,
            ),
        )
        .expect("build");
        p.start().await.expect("start");
        p
    };
    send(&rollbacks, "TxOrders", "rolled-back").await;
    commits
        .producer()
        .send(Message::new("TxOrders", "plain"))
        .await
        .expect("plain send");
    let c = topic_consumer(&broker, "TxOrders", "tx-consumer").await;
    let got = collect(&c, &["committed", "plain"], Duration::from_secs(10)).await;
    // Past the check-back time too: the rolled-back message never appears.
    let more = collect(&c, &["never"], Duration::from_millis(800)).await;
    let all: Vec<MessageExt> = got.into_iter().chain(more).collect();
    assert_eq!(
        bodies(&all),
        BTreeSet::from(["committed".to_owned(), "plain".to_owned()])
    );
    let committed = all
        .iter()
        .find(|m| &m.body()[..] == b"committed")
        .expect("committed");
    assert_eq!(
        committed.sys_flag & SYS_FLAG_TRANSACTION_MASK,
        SYS_FLAG_TRANSACTION_COMMIT
    );
    assert!(committed.prepared_transaction_offset < committed.commit_log_offset);
    c.shutdown().await;
    commits.shutdown().await;
    rollbacks.shutdown().await;
    broker.shutdown().await;
}

/// A transactional send before `start` is `NotStarted` and after `shutdown` is `ShutDown`,
/// like a plain send.
#[tokio::test]
async fn send_needs_a_running_producer() {
    let broker = start_broker(15).await;
    let fixed = listener(LocalTransactionState::Commit, LocalTransactionState::Commit);
    let builder = Producer::builder()
        .group("tx-states")
        .namesrv(&broker.addr().to_string());
    let producer = TransactionProducer::new(builder, fixed).expect("build");
    let early = producer
        .send_message_in_transaction(Message::new("TxStates", "early"), &7u32)
        .await;
    assert!(
        matches!(early, Err(ferrocket::ClientError::NotStarted)),
        "{early:?}"
    );
    producer.start().await.expect("start");
    producer.shutdown().await;
    let late = producer
        .send_message_in_transaction(Message::new("TxStates", "late"), &7u32)
        .await;
    assert!(
        matches!(late, Err(ferrocket::ClientError::ShutDown)),
        "{late:?}"
    );
    broker.shutdown().await;
}

/// `Unknown` stays invisible until the broker's check-back, answered `Commit`, makes it
/// visible.
#[tokio::test]
async fn unknown_is_resolved_by_a_check_back() {
    let broker = start_broker(15).await;
    let l = listener(
        LocalTransactionState::Unknown,
        LocalTransactionState::Commit,
    );
    let producer = tx_producer(&broker, l.clone()).await;
    send(&producer, "TxChecked", "checked").await;
    let c = topic_consumer(&broker, "TxChecked", "tx-checked-consumer").await;
    let early = c
        .poll_timeout(Duration::from_millis(100))
        .await
        .expect("poll");
    assert!(
        early.is_empty() || l.checks.load(Ordering::SeqCst) > 0,
        "visible before any check"
    );
    let got = collect(&c, &["checked"], Duration::from_secs(10)).await;
    assert_eq!(bodies(&got), BTreeSet::from(["checked".to_owned()]));
    assert!(l.checks.load(Ordering::SeqCst) >= 1);
    c.shutdown().await;
    producer.shutdown().await;
    broker.shutdown().await;
}

/// The sending producer is gone: another producer of the group answers the check-back; the
/// pending transaction also survives a broker restart in between.
#[tokio::test]
async fn check_back_goes_to_another_producer_after_restart() {
    let mut broker = start_broker(15).await;
    let first = listener(
        LocalTransactionState::Unknown,
        LocalTransactionState::Unknown,
    );
    let producer = tx_producer(&broker, first.clone()).await;
    send(&producer, "TxHandover", "handed-over").await;
    producer.shutdown().await;
    broker.restart().await;
    let second = listener(
        LocalTransactionState::Rollback,
        LocalTransactionState::Commit,
    );
    let other = tx_producer(&broker, second.clone()).await;
    other.announce("TxHandover").await.expect("announce");
    let c = topic_consumer(&broker, "TxHandover", "tx-handover-consumer").await;
    let got = collect(&c, &["handed-over"], Duration::from_secs(10)).await;
    assert_eq!(bodies(&got), BTreeSet::from(["handed-over".to_owned()]));
    assert!(
        second.checks.load(Ordering::SeqCst) >= 1,
        "the second producer was asked"
    );
    c.shutdown().await;
    other.shutdown().await;
    broker.shutdown().await;
}

/// Transaction states survive a broker crash: a transaction committed before the crash is
/// shown exactly once after it (its op is not lost and not checked again), a rolled-back one
/// never, and one still pending is checked after recovery and committed.
#[tokio::test]
async fn transaction_states_survive_a_crash() {
    use LocalTransactionState::{Commit, Rollback, Unknown};
    let mut broker = start_broker(15).await;
    for (execute, body) in [
        (Commit, "committed"),
        (Rollback, "rolled-back"),
        (Unknown, "pending"),
    ] {
        let producer = tx_producer(&broker, listener(execute, Unknown)).await;
        send(&producer, "TxCrash", body).await;
        producer.shutdown().await;
    }
    broker.crash_and_restart().await;
    let checker = listener(Rollback, Commit);
    let producer = tx_producer(&broker, checker.clone()).await;
    producer.announce("TxCrash").await.expect("announce");
    let c = topic_consumer(&broker, "TxCrash", "tx-crash-consumer").await;
    let mut got = collect(&c, &["committed", "pending"], Duration::from_secs(10)).await;
    got.extend(collect(&c, &["never"], Duration::from_millis(800)).await);
    let mut names: Vec<String> = got
        .iter()
        .map(|m| String::from_utf8_lossy(m.body()).into_owned())
        .collect();
    names.sort();
    assert_eq!(names, ["committed", "pending"]);
    assert_eq!(
        checker.checks.load(Ordering::SeqCst),
        1,
        "only the pending one"
    );
    c.shutdown().await;
    producer.shutdown().await;
    broker.shutdown().await;
}

/// A transaction that stays `Unknown` is checked exactly `transaction_check_max` times, then
/// moved to `TRANS_CHECK_MAX_TIME_TOPIC` and never shown on its topic.
#[tokio::test]
async fn discarded_after_the_maximum_checks() {
    let broker = start_broker(3).await;
    let l = listener(
        LocalTransactionState::Unknown,
        LocalTransactionState::Unknown,
    );
    let producer = tx_producer(&broker, l.clone()).await;
    send(&producer, "TxForever", "undecided").await;
    let deadline = tokio::time::Instant::now() + Duration::from_secs(15);
    while l.checks.load(Ordering::SeqCst) < 3 && tokio::time::Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    // The discard happens one interval after the last check, creating the topic.
    let parked = loop {
        let c = consumer(&broker, "tx-admin", ConsumeFrom::FirstOffset).await;
        c.subscribe("TRANS_CHECK_MAX_TIME_TOPIC", "*")
            .await
            .expect("subscribe");
        match c.start().await {
            Ok(()) => break c,
            Err(e) if tokio::time::Instant::now() < deadline => {
                retry_pause(&e).await;
            }
            Err(e) => panic!("the discard topic never appeared: {e}"),
        }
    };
    let got = collect(&parked, &["undecided"], Duration::from_secs(15)).await;
    assert_eq!(bodies(&got), BTreeSet::from(["undecided".to_owned()]));
    assert_eq!(l.checks.load(Ordering::SeqCst), 3);
    let c = topic_consumer(&broker, "TxForever", "tx-forever-consumer").await;
    let none = collect(&c, &["undecided"], Duration::from_millis(800)).await;
    assert!(none.is_empty(), "an undecided message reached a consumer");
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(
        l.checks.load(Ordering::SeqCst),
        3,
        "no checks after the discard"
    );
    c.shutdown().await;
    parked.shutdown().await;
    producer.shutdown().await;
    broker.shutdown().await;
}

/// Waits a little before retrying a consumer start (the route is not there yet).
async fn retry_pause(_why: &ferrocket::ClientError) {
    tokio::time::sleep(Duration::from_millis(100)).await;
}
