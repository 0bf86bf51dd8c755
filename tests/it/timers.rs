//! The delivery scheduler at scale and in order: 10,000 timers (half `deliver_after`, half
//! `deliver_at`) spread over a minute are each delivered no earlier than due and within a
//! second after; messages of one delay level reach each queue in the order they were sent.
//!
//! Deliveries are checked on the store itself (every copy's store timestamp is its delivery
//! time), so consumer scheduling cannot blur the measurement.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use ferrocket::protocol::record::decode_record;
use ferrocket::{Message, MessageExt, MessageId};
use ferrocket_tests::{TestBroker, now_ms};

use crate::group_util::{create_topic, wait_until};
use crate::util::producer;

const TIMERS: usize = 10_000;
/// The due times are spread evenly over this window.
const SPREAD_MS: u64 = 60_000;
/// Each timer is sent this long before it is due (paced: the minute's load stays light, so
/// the tests running alongside keep their CPU).
const LEAD_MS: u64 = 3_000;
const SENDERS: usize = 8;

/// Every record stored in `topic`'s `queues` queues, in queue order.
fn stored(broker: &TestBroker, topic: &str, queues: u32) -> Vec<MessageExt> {
    let store = &broker.handle().state().store;
    let mut out = Vec::new();
    for queue_id in 0..queues {
        let mut offset = 0;
        loop {
            let read = store.read(topic, queue_id, offset, 1024, 8 << 20, &|_| true);
            if read.records.is_empty() {
                break;
            }
            for bytes in &read.records {
                out.push(decode_record(bytes).expect("a valid record"));
            }
            offset = read.next_offset;
        }
    }
    out
}

fn delivered(broker: &TestBroker, topic: &str, queues: u32) -> u64 {
    let store = &broker.handle().state().store;
    (0..queues).map(|q| store.max_offset(topic, q)).sum()
}

/// Sends timer `i` (due at `due`): even ones with `deliver_after`, odd ones with `deliver_at`.
async fn send_timer(producer: &ferrocket::Producer, topic: &str, i: usize, due: u64) -> MessageId {
    let body = format!("timer {i}");
    let msg = if i.is_multiple_of(2) {
        let after = due.saturating_sub(now_ms());
        Message::new(topic, body).with_deliver_after(Duration::from_millis(after))
    } else {
        Message::new(topic, body).with_deliver_at_ms(due)
    };
    producer.send(msg).await.expect("send a timer").msg_id
}

/// 10,000 timers due over a minute: each delivered exactly once (no crash here), no earlier
/// than due and less than a second after. Timers are sent in due order by 8 senders, each
/// about 3 s before it is due, and acknowledged before it is due.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ten_thousand_timers_over_a_minute() {
    let broker = TestBroker::start().await;
    let topic = "TimerMinute";
    create_topic(&broker, topic, 4).await;
    let producer = producer(&broker, "timer-minute-producer").await;
    let base = now_ms() + LEAD_MS;
    let due_of = move |i: usize| base + i as u64 * SPREAD_MS / TIMERS as u64;
    let next = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let mut senders = tokio::task::JoinSet::new();
    for _ in 0..SENDERS {
        let (producer, next) = (producer.clone(), next.clone());
        senders.spawn(async move {
            let mut sent = Vec::new();
            loop {
                let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                if i >= TIMERS {
                    return sent;
                }
                let send_at = due_of(i) - LEAD_MS;
                let wait = send_at.saturating_sub(now_ms());
                tokio::time::sleep(Duration::from_millis(wait)).await;
                let id = send_timer(&producer, topic, i, due_of(i)).await;
                sent.push((id, due_of(i), now_ms()));
            }
        });
    }
    let mut due: HashMap<MessageId, u64> = HashMap::new();
    while let Some(done) = senders.join_next().await {
        for (id, at, acked) in done.unwrap() {
            assert!(acked < at, "timer due at {at} acknowledged only at {acked}");
            due.insert(id, at);
        }
    }
    assert_eq!(due.len(), TIMERS);
    let last_due = due_of(TIMERS - 1);
    let wait = Duration::from_millis(last_due.saturating_sub(now_ms()) + 5_000);
    assert!(
        wait_until(wait, || delivered(&broker, topic, 4) >= TIMERS as u64).await,
        "{} of {TIMERS} timers delivered",
        delivered(&broker, topic, 4)
    );
    let copies = stored(&broker, topic, 4);
    assert_eq!(copies.len(), TIMERS, "each timer delivered once");
    let mut worst_late = 0;
    for copy in &copies {
        let at = due[&copy.msg_id];
        let stored_at = copy.store_timestamp_ms;
        assert!(
            stored_at >= at,
            "{} delivered {} ms early",
            copy.msg_id,
            at - stored_at
        );
        worst_late = worst_late.max(stored_at - at);
        assert_eq!(
            copy.message.deliver_at_ms, None,
            "the delivered copy is not delayed"
        );
    }
    assert!(
        worst_late < 1000,
        "a timer was delivered {worst_late} ms late"
    );
    eprintln!("{TIMERS} timers over {SPREAD_MS} ms: latest delivery {worst_late} ms after due");
    producer.shutdown().await;
    broker.shutdown().await;
}

/// 400 messages sent one after another at one delay level reach each of their queues in send
/// order (the scheduler delivers equal times in arrival order).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_delay_level_keeps_send_order_per_queue() {
    let broker = TestBroker::start_with(|c| c.message_delay_level = "300ms 2s".into()).await;
    let topic = "LevelOrder";
    create_topic(&broker, topic, 3).await;
    let producer = producer(&broker, "level-order-producer").await;
    for i in 0..400u32 {
        let msg = Message::new(topic, i.to_string()).with_delay_level(1);
        producer.send(msg).await.unwrap();
    }
    assert!(
        wait_until(Duration::from_secs(15), || delivered(&broker, topic, 3)
            == 400)
        .await
    );
    let copies = stored(&broker, topic, 3);
    let mut per_queue: HashMap<u32, Vec<u32>> = HashMap::new();
    for copy in &copies {
        let seq: u32 = std::str::from_utf8(copy.body()).unwrap().parse().unwrap();
        per_queue.entry(copy.queue_id).or_default().push(seq);
    }
    assert_eq!(per_queue.len(), 3, "the messages spread over every queue");
    for (queue, seqs) in &per_queue {
        assert!(
            seqs.windows(2).all(|w| w[0] < w[1]),
            "queue {queue} delivered out of send order: {seqs:?}"
        );
    }
    producer.shutdown().await;
    broker.shutdown().await;
}
