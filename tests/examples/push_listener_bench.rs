//! No-op push listener throughput against a running broker, the Rust figure the SDK benches
//! (`cargo xtask bench-node`) print next to their own:
//!
//! ```sh
//! cargo run --release -p ferrocket-tests --example push_listener_bench -- 127.0.0.1:9876 Topic 100000 [batch]
//! ```
//!
//! A fresh consumer group reads the topic from its first offset with a sync concurrent
//! listener that does nothing (20 consume threads; `batch` messages per call, default 1) until
//! it has seen `count` messages, then prints one JSON object: messages, seconds, msgs_per_sec.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use ferrocket::client::push_consumer::{ConsumeConcurrentlyStatus, MessageListener};
use ferrocket::{ConsumeFrom, MessageExt, PushConsumer};

#[tokio::main]
async fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (namesrv, topic, count, batch) = match args.as_slice() {
        [n, t, c] => (n, t, c, "1"),
        [n, t, c, b] => (n, t, c, b.as_str()),
        _ => {
            eprintln!("usage: push_listener_bench <namesrv> <topic> <count> [batch]");
            std::process::exit(2);
        }
    };
    let count: u64 = count.parse().expect("count is a number");
    let batch: usize = batch.parse().expect("batch is a number");
    let seen = Arc::new(AtomicU64::new(0));
    let counter = seen.clone();
    let listener = MessageListener::concurrently(move |msgs: &[MessageExt], _ctx: &mut _| {
        counter.fetch_add(msgs.len() as u64, Ordering::Relaxed);
        ConsumeConcurrentlyStatus::ConsumeSuccess
    });
    let group = format!("rust_bench_{}", std::process::id());
    let consumer = PushConsumer::builder()
        .group(group)
        .namesrv(namesrv)
        .consume_from(ConsumeFrom::FirstOffset)
        .consume_batch_max(batch)
        .listener(listener)
        .build()
        .expect("consumer builds");
    consumer.subscribe(topic, "*").expect("subscribe");
    let started = Instant::now();
    consumer.start().await.expect("consumer starts");
    let deadline = started + Duration::from_secs(300);
    while seen.load(Ordering::Relaxed) < count && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    let seconds = started.elapsed().as_secs_f64();
    let messages = seen.load(Ordering::Relaxed);
    consumer.shutdown().await;
    println!(
        "{{\"messages\":{messages},\"seconds\":{seconds:.3},\"msgs_per_sec\":{:.0}}}",
        messages as f64 / seconds
    );
}
