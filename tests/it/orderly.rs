//! Orderly consumption across a group: messages sent in per-key order over 8 queues reach the
//! group's orderly listeners in that order, with a member joining and one leaving mid-way; the
//! broker-side queue locks keep two members from interleaving one queue.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use ferrocket::client::push_consumer::{ConsumeOrderlyStatus, MessageListener};
use ferrocket::{Message, MessageExt, PushConsumer};
use ferrocket_tests::TestBroker;

use crate::group_util::{create_topic, push_builder, wait_until};
use crate::util::producer;

const KEYS: usize = 200;
const PER_KEY: usize = 100;

/// (key, seq) in the order listeners saw them, across all members.
type Log = Arc<Mutex<Vec<(usize, usize)>>>;

/// Listener calls in flight per queue id, across all members, and how often a call began
/// while another one of the same queue was running.
#[derive(Default)]
struct Overlaps {
    running: Mutex<HashMap<u32, usize>>,
    seen: std::sync::atomic::AtomicUsize,
}

impl Overlaps {
    fn enter(&self, queue: u32) {
        let mut running = self.running.lock().unwrap();
        let n = running.entry(queue).or_insert(0);
        if *n > 0 {
            self.seen.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        }
        *n += 1;
    }

    fn leave(&self, queue: u32) {
        *self.running.lock().unwrap().get_mut(&queue).unwrap() -= 1;
    }
}

fn parse(m: &MessageExt) -> (usize, usize) {
    let text = String::from_utf8_lossy(m.body()).into_owned();
    let (k, s) = text.split_once(':').expect("key:seq");
    (k.parse().unwrap(), s.parse().unwrap())
}

async fn member(
    broker: &TestBroker,
    topic: &str,
    log: &Log,
    overlaps: &Arc<Overlaps>,
) -> PushConsumer {
    let (log, overlaps) = (log.clone(), overlaps.clone());
    let listener = MessageListener::orderly(move |msgs: &[MessageExt], _: &mut _| {
        let queue = msgs[0].queue_id;
        overlaps.enter(queue);
        log.lock().unwrap().extend(msgs.iter().map(parse));
        std::thread::sleep(Duration::from_micros(200));
        overlaps.leave(queue);
        ConsumeOrderlyStatus::Success
    });
    let consumer = push_builder(broker, "orderly-group", listener)
        .consume_threads(4)
        .build()
        .unwrap();
    consumer.subscribe(topic, "*").unwrap();
    consumer.start().await.unwrap();
    consumer
}

async fn send_range(broker: &TestBroker, topic: &str, seqs: std::ops::Range<usize>) {
    let producer = producer(broker, "orderly-producer").await;
    for seq in seqs {
        for key in 0..KEYS {
            let msg = Message::new(topic, format!("{key}:{seq}"));
            producer
                .send_orderly(msg, &format!("key-{key}"))
                .await
                .unwrap();
        }
    }
    producer.shutdown().await;
}

/// 20,000 messages over 200 keys arrive in per-key send order across 3 members, with a
/// member joining and one leaving mid-way: for each key the first deliveries run 0, 1, 2, …
/// with no gap or swap (a redelivery after a handover may repeat a tail, never reorder), and
/// no two listener calls of one queue ever run at once, within a member or across members.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn per_key_order_across_rebalance() {
    let broker = TestBroker::start().await;
    let topic = "OrderlyShared";
    create_topic(&broker, topic, 8).await;
    let log: Log = Arc::default();
    let overlaps = Arc::new(Overlaps::default());
    let mut members = vec![
        member(&broker, topic, &log, &overlaps).await,
        member(&broker, topic, &log, &overlaps).await,
    ];
    send_range(&broker, topic, 0..PER_KEY / 3).await;
    members.push(member(&broker, topic, &log, &overlaps).await);
    send_range(&broker, topic, PER_KEY / 3..2 * PER_KEY / 3).await;
    let leaving = members.remove(0);
    leaving.shutdown().await;
    send_range(&broker, topic, 2 * PER_KEY / 3..PER_KEY).await;
    let done = wait_until(Duration::from_secs(60), || {
        let log = log.lock().unwrap();
        let mut firsts = std::collections::HashSet::new();
        log.iter().filter(|e| firsts.insert(**e)).count() == KEYS * PER_KEY
    })
    .await;
    assert!(done, "every message consumed");
    let log = log.lock().unwrap().clone();
    let mut next: HashMap<usize, usize> = HashMap::new();
    let mut replays = 0;
    for (key, seq) in log {
        let want = next.entry(key).or_insert(0);
        if seq == *want {
            *want += 1;
        } else {
            assert!(seq < *want, "key {key}: got {seq} while expecting {want}");
            replays += 1;
        }
    }
    eprintln!("orderly replays after handovers: {replays}");
    let overlapping = overlaps.seen.load(std::sync::atomic::Ordering::Relaxed);
    assert_eq!(
        overlapping, 0,
        "calls that overlapped another of their queue"
    );
    for m in members {
        m.shutdown().await;
    }
    broker.shutdown().await;
}
