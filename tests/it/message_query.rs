//! Message queries and tracking through a real broker: by key (also after a clean restart and
//! after a crash, from the rebuilt index), by unique id, by offset id and by queue offset; and
//! `track` telling consumed, not consumed and filtered apart for several groups.

use std::time::Duration;

use ferrocket::client::Admin;
use ferrocket::client::admin_message::{TimeRange, parse_offset_msg_id};
use ferrocket::protocol::{TopicConfig, TrackState};
use ferrocket::{ConsumeFrom, Message, SendResult};
use ferrocket_tests::TestBroker;

use crate::util::{consumer, producer};

async fn send_keyed(broker: &TestBroker, topic: &str) -> Vec<SendResult> {
    let addr = broker.addr().to_string();
    let admin = Admin::with_namesrv(&addr).expect("admin");
    admin
        .create_topic(&addr, TopicConfig::new(topic, 2))
        .await
        .expect("create");
    admin.close().await;
    let producer = producer(broker, "query-producer").await;
    let mut results = Vec::new();
    for i in 0..50 {
        let msg = Message::new(topic, format!("body-{i}"))
            .with_key(format!("order-{i}"))
            .with_key(if i % 10 == 0 { "vip" } else { "regular" })
            .with_tags(if i % 2 == 0 { "even" } else { "odd" });
        results.push(producer.send(msg).await.expect("send"));
    }
    producer.shutdown().await;
    results
}

async fn check_queries(broker: &TestBroker, topic: &str, sent: &[SendResult]) {
    let addr = broker.addr().to_string();
    let admin = Admin::with_namesrv(&addr).expect("admin");
    let by_key = admin
        .query_message_by_key(&addr, topic, "order-7", TimeRange::default(), 0)
        .await
        .expect("query by key");
    assert_eq!(by_key.len(), 1);
    assert_eq!(&by_key[0].body()[..], b"body-7");
    let vip = admin
        .query_message_by_key(&addr, topic, "vip", TimeRange::default(), 0)
        .await
        .expect("query vip");
    let mut bodies: Vec<String> = vip
        .iter()
        .map(|m| String::from_utf8_lossy(m.body()).into_owned())
        .collect();
    bodies.sort();
    assert_eq!(
        bodies,
        ["body-0", "body-10", "body-20", "body-30", "body-40"]
    );
    let two = admin
        .query_message_by_key(&addr, topic, "regular", TimeRange::default(), 2)
        .await
        .expect("query with max");
    assert_eq!(two.len(), 2, "max_results is respected");
    let future = TimeRange {
        begin_ms: ferrocket_tests::now_ms() + 3_600_000,
        end_ms: 0,
    };
    let later = admin
        .query_message_by_key(&addr, topic, "order-7", future, 0)
        .await
        .expect("query a time range");
    assert!(later.is_empty(), "the time range is applied");
    let none = admin
        .query_message_by_key(&addr, topic, "order-999", TimeRange::default(), 0)
        .await
        .expect("query miss");
    assert!(none.is_empty());
    let by_id = admin
        .query_message_by_unique_key(&addr, "", sent[13].msg_id)
        .await
        .expect("query by unique id");
    assert_eq!(by_id.len(), 1);
    assert_eq!(&by_id[0].body()[..], b"body-13");
    let (_, offset) = parse_offset_msg_id(&sent[21].offset_msg_id).expect("offset id");
    let viewed = admin
        .view_message(&addr, offset)
        .await
        .expect("view")
        .expect("found");
    assert_eq!(&viewed.body()[..], b"body-21");
    let at = admin
        .query_message_by_queue_offset(&addr, topic, sent[30].queue.queue_id, sent[30].queue_offset)
        .await
        .expect("by queue offset")
        .expect("found");
    assert_eq!(&at.body()[..], b"body-30");
    admin.close().await;
}

/// Queries by key, unique id, offset id and queue offset find the messages, and still do after
/// a clean restart and after a crash.
#[tokio::test]
async fn query_by_key_survives_restart_and_crash() {
    let mut broker = TestBroker::start().await;
    let sent = send_keyed(&broker, "Keyed").await;
    check_queries(&broker, "Keyed", &sent).await;
    broker.restart().await;
    check_queries(&broker, "Keyed", &sent).await;
    broker.crash_and_restart().await;
    check_queries(&broker, "Keyed", &sent).await;
    broker.shutdown().await;
}

/// Three groups on one topic: one consumed everything and committed, one is online but has not
/// consumed, one subscribes to a tag the message does not carry.
#[tokio::test]
async fn track_tells_consumed_not_consumed_and_filtered() {
    let broker = TestBroker::start().await;
    let sent = send_keyed(&broker, "Tracked").await;
    let done = consumer(&broker, "track-done", ConsumeFrom::FirstOffset).await;
    done.subscribe("Tracked", "*").await.expect("subscribe");
    done.start().await.expect("start");
    let mut got = 0;
    while got < sent.len() {
        got += done
            .poll_timeout(Duration::from_secs(5))
            .await
            .expect("poll")
            .len();
    }
    done.commit().await.expect("commit");
    let idle = consumer(&broker, "track-idle", ConsumeFrom::LastOffset).await;
    idle.subscribe("Tracked", "*").await.expect("subscribe");
    idle.start().await.expect("start");
    let odd = consumer(&broker, "track-odd", ConsumeFrom::LastOffset).await;
    odd.subscribe("Tracked", "odd").await.expect("subscribe");
    odd.start().await.expect("start");

    let addr = broker.addr().to_string();
    let admin = Admin::with_namesrv(&addr).expect("admin");
    let msg = admin
        .query_message_by_unique_key(&addr, "Tracked", sent[4].msg_id)
        .await
        .expect("query")
        .remove(0);
    let tracks = admin.track_message(&addr, &msg).await.expect("track");
    let state = |g: &str| tracks.iter().find(|t| t.group == g).map(|t| t.state);
    assert_eq!(
        state("track-done"),
        Some(TrackState::Consumed),
        "{tracks:?}"
    );
    assert_eq!(
        state("track-idle"),
        Some(TrackState::NotConsumedYet),
        "{tracks:?}"
    );
    assert_eq!(state("track-odd"), Some(TrackState::Filtered), "{tracks:?}");
    admin.close().await;
    for c in [done, idle, odd] {
        c.shutdown().await;
    }
    broker.shutdown().await;
}
