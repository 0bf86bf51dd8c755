//! Push-consumer figures against an in-process broker (run in release):
//!
//! ```sh
//! cargo run --release -p ferrocket-tests --example push_bench
//! ```
//!
//! 1. End-to-end latency (send → listener) at a steady 20,000 msg/s of 1 KiB for 10 s: p50,
//!    p99, p99.9 and max, from a send timestamp carried in the body.
//! 2. The most messages per second a no-op concurrent listener takes: 200,000 messages of
//!    1 KiB stored first, then consumed by one push consumer from the first offset.
//!
//! `PUSH_BENCH_RATE`, `PUSH_BENCH_SECONDS`, `PUSH_BENCH_COUNT` and `PUSH_BENCH_THREADS`
//! (consume threads of the latency run, default 20) override the figures.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

use bytes::Bytes;
use ferrocket::client::push_consumer::{ConsumeConcurrentlyStatus, MessageListener};
use ferrocket::protocol::TopicConfig;
use ferrocket::{Admin, ConsumeFrom, Message, MessageExt, Producer, PushConsumer};
use ferrocket_tests::TestBroker;
use hdrhistogram::Histogram;

const BODY_LEN: usize = 1024;
const QUEUES: u16 = 8;

fn epoch() -> Instant {
    static EPOCH: OnceLock<Instant> = OnceLock::new();
    *EPOCH.get_or_init(Instant::now)
}

fn env(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn body() -> Vec<u8> {
    let mut body = vec![0x5a; BODY_LEN];
    let nanos = u64::try_from(epoch().elapsed().as_nanos()).unwrap_or(u64::MAX);
    body[..8].copy_from_slice(&nanos.to_be_bytes());
    body
}

async fn setup(broker: &TestBroker, topic: &str) -> Arc<Producer> {
    let admin = Admin::with_namesrv(&broker.addr().to_string()).unwrap();
    admin
        .create_topic(&broker.addr().to_string(), TopicConfig::new(topic, QUEUES))
        .await
        .unwrap();
    admin.close().await;
    let producer = Producer::builder()
        .group("bench-producer")
        .namesrv(&broker.addr().to_string())
        .build()
        .unwrap();
    producer.start().await.unwrap();
    Arc::new(producer)
}

fn consumer(broker: &TestBroker, group: &str, listener: MessageListener) -> PushConsumer {
    let threads = usize::try_from(env("PUSH_BENCH_THREADS", 20)).unwrap_or(20);
    PushConsumer::builder()
        .group(group)
        .consume_threads(threads)
        .namesrv(&broker.addr().to_string())
        .consume_from(ConsumeFrom::LastOffset)
        .listener(listener)
        .build()
        .unwrap()
}

async fn latency(broker: &TestBroker) {
    let rate = env("PUSH_BENCH_RATE", 20_000);
    let seconds = env("PUSH_BENCH_SECONDS", 10);
    let topic = "BenchLatency";
    let producer = setup(broker, topic).await;
    let hist = Arc::new(Mutex::new(Histogram::<u64>::new(3).unwrap()));
    let received = Arc::new(AtomicU64::new(0));
    let (h, r) = (hist.clone(), received.clone());
    let listener = MessageListener::concurrently(move |msgs: &[MessageExt], _: &mut _| {
        let now = u64::try_from(epoch().elapsed().as_nanos()).unwrap_or(u64::MAX);
        let mut h = h.lock().unwrap();
        for m in msgs {
            let sent = u64::from_be_bytes(m.body()[..8].try_into().unwrap());
            let _ = h.record(now.saturating_sub(sent) / 1000);
        }
        r.fetch_add(msgs.len() as u64, Ordering::Relaxed);
        ConsumeConcurrentlyStatus::ConsumeSuccess
    });
    let c = consumer(broker, "bench-latency", listener);
    c.subscribe(topic, "*").unwrap();
    c.start().await.unwrap();
    tokio::time::sleep(Duration::from_millis(500)).await;
    let total = rate * seconds;
    let senders = 16u64;
    let per_sender = total / senders;
    let interval = Duration::from_nanos(1_000_000_000 * senders / rate);
    let mut tasks = Vec::new();
    for _ in 0..senders {
        let producer = producer.clone();
        tasks.push(tokio::spawn(async move {
            let mut tick = tokio::time::interval(interval);
            tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Burst);
            for _ in 0..per_sender {
                tick.tick().await;
                let _ = producer
                    .send(Message::new(topic, Bytes::from(body())))
                    .await;
            }
        }));
    }
    let started = Instant::now();
    for t in tasks {
        t.await.unwrap();
    }
    let send_secs = started.elapsed().as_secs_f64();
    let deadline = Instant::now() + Duration::from_secs(30);
    while received.load(Ordering::Relaxed) < per_sender * senders && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let h = hist.lock().unwrap().clone();
    println!(
        "latency: {} msgs of {BODY_LEN} B at {:.0} msg/s offered ({:.0} achieved): p50 {} us, p99 {} us, p99.9 {} us, max {} us",
        received.load(Ordering::Relaxed),
        rate,
        (per_sender * senders) as f64 / send_secs,
        h.value_at_quantile(0.5),
        h.value_at_quantile(0.99),
        h.value_at_quantile(0.999),
        h.max()
    );
    c.shutdown().await;
    producer.shutdown().await;
}

async fn throughput(broker: &TestBroker) {
    let count = env("PUSH_BENCH_COUNT", 200_000);
    let topic = "BenchThroughput";
    let producer = setup(broker, topic).await;
    let mut sent = 0;
    while sent < count {
        let batch: Vec<Message> = (0..256.min(count - sent))
            .map(|_| Message::new(topic, Bytes::from(body())))
            .collect();
        sent += batch.len() as u64;
        producer.send_batch(batch).await.unwrap();
    }
    let received = Arc::new(AtomicU64::new(0));
    let r = received.clone();
    let listener = MessageListener::concurrently(move |msgs: &[MessageExt], _: &mut _| {
        r.fetch_add(msgs.len() as u64, Ordering::Relaxed);
        ConsumeConcurrentlyStatus::ConsumeSuccess
    });
    let c = PushConsumer::builder()
        .group("bench-throughput")
        .namesrv(&broker.addr().to_string())
        .consume_from(ConsumeFrom::FirstOffset)
        .listener(listener)
        .build()
        .unwrap();
    c.subscribe(topic, "*").unwrap();
    let started = Instant::now();
    c.start().await.unwrap();
    while received.load(Ordering::Relaxed) < count && started.elapsed() < Duration::from_secs(120) {
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let secs = started.elapsed().as_secs_f64();
    println!(
        "throughput: {} msgs of {BODY_LEN} B consumed by a no-op listener in {secs:.2} s = {:.0} msg/s",
        received.load(Ordering::Relaxed),
        received.load(Ordering::Relaxed) as f64 / secs
    );
    c.shutdown().await;
    producer.shutdown().await;
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    epoch();
    let broker = TestBroker::start_with(|c| c.segment_size = 256 * 1024 * 1024).await;
    latency(&broker).await;
    throughput(&broker).await;
    broker.shutdown().await;
}
