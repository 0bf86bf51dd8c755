//! Broadcasting: every member receives every message; a failed message is counted, not
//! redelivered, and does not stop the others; offsets are kept in a local file and survive a
//! restart.

use std::time::Duration;

use ferrocket::client::push_consumer::{ConsumeConcurrentlyStatus, MessageListener};
use ferrocket::protocol::MessageModel;
use ferrocket::{ConsumeFrom, Message, MessageExt, PushConsumer};
use ferrocket_tests::{TempDir, TestBroker};

use crate::group_util::{Recorder, push_builder, wait_until};
use crate::util::producer;

fn member(broker: &TestBroker, recorder: &Recorder, who: usize, dir: &TempDir) -> PushConsumer {
    let r = recorder.clone();
    let listener = MessageListener::concurrently(move |msgs: &[MessageExt], _: &mut _| {
        r.record(who, msgs);
        if msgs[0].body().as_ref() == b"m7" && who == 1 {
            ConsumeConcurrentlyStatus::ReconsumeLater
        } else {
            ConsumeConcurrentlyStatus::ConsumeSuccess
        }
    });
    push_builder(broker, "broadcast-group", listener)
        .message_model(MessageModel::Broadcasting)
        .consume_from(ConsumeFrom::FirstOffset)
        .broadcast_offset_dir(dir.path().join(format!("member-{who}")))
        .build()
        .unwrap()
}

/// Three members (reading from the first offset) each get all 100 messages; member 1 fails
/// one, which is counted and not redelivered; a restarted member continues from its local
/// offsets file (it gets only the messages sent while it was down, none of the earlier ones).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_member_gets_every_message() {
    let broker = TestBroker::start().await;
    let topic = "Broadcast";
    let dir = TempDir::new("broadcast-offsets");
    let producer = producer(&broker, "broadcast-producer").await;
    producer.send(Message::new(topic, "create")).await.unwrap();
    let recorder = Recorder::default();
    let mut members = Vec::new();
    for who in 0..3 {
        let m = member(&broker, &recorder, who, &dir);
        m.subscribe(topic, "*").unwrap();
        m.start().await.unwrap();
        members.push(m);
    }
    assert!(
        wait_until(Duration::from_secs(5), || members
            .iter()
            .all(|m| m.assignment().len() == 4))
        .await
    );
    for i in 0..100 {
        producer
            .send(Message::new(topic, format!("m{i}")))
            .await
            .unwrap();
    }
    let per_member = |who: usize| {
        let all = recorder.all();
        all.iter()
            .filter(|s| s.consumer == who && s.msg.body().as_ref() != b"create")
            .count()
    };
    assert!(
        wait_until(Duration::from_secs(10), || (0..3)
            .all(|w| per_member(w) >= 100))
        .await
    );
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(
        (0..3).all(|w| per_member(w) == 100),
        "no redelivery in broadcasting"
    );
    assert_eq!(members[1].broadcast_failures(), 1);
    assert_eq!(members[0].broadcast_failures(), 0);

    let restarted = members.remove(2);
    restarted.shutdown().await;
    for i in 100..110 {
        producer
            .send(Message::new(topic, format!("m{i}")))
            .await
            .unwrap();
    }
    continues_from_local_offsets(&broker, topic, &dir).await;
    for m in members {
        m.shutdown().await;
    }
    producer.shutdown().await;
    broker.shutdown().await;
}

/// A member restarted on the same offsets folder gets exactly m100..m109.
async fn continues_from_local_offsets(broker: &TestBroker, topic: &str, dir: &TempDir) {
    let again = Recorder::default();
    let m = member(broker, &again, 2, dir);
    m.subscribe(topic, "*").unwrap();
    m.start().await.unwrap();
    assert!(wait_until(Duration::from_secs(10), || again.len() >= 10).await);
    tokio::time::sleep(Duration::from_millis(300)).await;
    let mut bodies: Vec<String> = again
        .all()
        .iter()
        .map(|s| String::from_utf8_lossy(s.msg.body()).into_owned())
        .collect();
    bodies.sort();
    let mut expected: Vec<String> = (100..110).map(|i| format!("m{i}")).collect();
    expected.sort();
    assert_eq!(bodies, expected, "continued from the local offsets");
    m.shutdown().await;
}
