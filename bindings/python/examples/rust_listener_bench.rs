//! The Rust twin of `bench.py`'s Python listener figure: a Rust `PushConsumer` with a no-op
//! concurrent listener drains a topic from its first message, on the same broker and topic, so
//! both figures come from one run. `bench.py` runs it; by hand:
//!
//! ```sh
//! cargo run --release -p ferrocket-python --example rust_listener_bench -- \
//!     <namesrv> <topic> <count> <threads> <batch>
//! ```
//!
//! Prints one JSON object: `{"received": N, "seconds": S, "msgs_per_sec": R}`.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use ferrocket::client::push_consumer::{ConsumeConcurrentlyStatus, MessageListener};
use ferrocket::{ConsumeFrom, MessageExt, PushConsumer};

fn arg<T: std::str::FromStr>(args: &[String], i: usize, what: &str) -> T {
    match args.get(i).map(|a| a.parse()) {
        Some(Ok(v)) => v,
        _ => {
            eprintln!(
                "usage: rust_listener_bench <namesrv> <topic> <count> <threads> <batch> ({what})"
            );
            std::process::exit(2);
        }
    }
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let namesrv: String = arg(&args, 0, "namesrv");
    let topic: String = arg(&args, 1, "topic");
    let count: u64 = arg(&args, 2, "count");
    let threads: usize = arg(&args, 3, "threads");
    let batch: usize = arg(&args, 4, "batch");
    let received = Arc::new(AtomicU64::new(0));
    let r = received.clone();
    let listener = MessageListener::concurrently(move |msgs: &[MessageExt], _: &mut _| {
        r.fetch_add(msgs.len() as u64, Ordering::Relaxed);
        ConsumeConcurrentlyStatus::ConsumeSuccess
    });
    let group = format!("bench-rust-listener-{}", std::process::id());
    let consumer = PushConsumer::builder()
        .group(group)
        .namesrv(&namesrv)
        .consume_threads(threads)
        .consume_batch_max(batch)
        .consume_from(ConsumeFrom::FirstOffset)
        .listener(listener)
        .build()
        .unwrap_or_else(|e| panic!("bad settings: {e}"));
    consumer
        .subscribe(&topic, "*")
        .unwrap_or_else(|e| panic!("subscribe: {e}"));
    let started = Instant::now();
    consumer
        .start()
        .await
        .unwrap_or_else(|e| panic!("start: {e}"));
    while received.load(Ordering::Relaxed) < count && started.elapsed() < Duration::from_secs(300) {
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    let seconds = started.elapsed().as_secs_f64();
    let got = received.load(Ordering::Relaxed);
    consumer.shutdown().await;
    println!(
        "{{\"received\": {got}, \"seconds\": {seconds:.3}, \"msgs_per_sec\": {:.0}}}",
        got as f64 / seconds
    );
}
