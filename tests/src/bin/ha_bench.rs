//! Replication benchmark, in one process and one run: send latency of 1 KiB messages to a
//! SYNC_MASTER (answers once its slave has the message) against an ASYNC_MASTER (answers at
//! once), and the replication lag of the ASYNC_MASTER's slave (time from SEND_OK until the
//! slave holds the message, and bytes behind under load).
//!
//! ```text
//! cargo run --release -p ferrocket-tests --bin ha_bench -- [--count N] [--senders N]
//! ```
//!
//! Every node is in-process on 127.0.0.1 with its own temporary data folder (mmap store,
//! ASYNC_FLUSH): one name server and two groups of a master and a slave.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use bytes::Bytes;
use ferrocket::protocol::TopicConfig;
use ferrocket::{Message, Producer, SendStatus};
use ferrocket_server::config::BrokerRole;
use ferrocket_server::store::Store;
use ferrocket_tests::TestBroker;
use ferrocket_tests::cluster::{ClusterOptions, TestCluster, cluster_config};
use hdrhistogram::Histogram;

const BODY_LEN: usize = 1024;

struct Options {
    count: usize,
    senders: usize,
}

fn options() -> Options {
    let mut out = Options {
        count: 5000,
        senders: 4,
    };
    let args: Vec<String> = std::env::args().skip(1).collect();
    for pair in args.chunks(2) {
        let value = pair.get(1).and_then(|v| v.parse().ok());
        match (pair[0].as_str(), value) {
            ("--count", Some(n)) => out.count = n,
            ("--senders", Some(n)) => out.senders = n,
            _ => {
                eprintln!("usage: ha_bench [--count N] [--senders N]");
                std::process::exit(2);
            }
        }
    }
    out
}

fn histogram() -> Histogram<u64> {
    Histogram::new_with_bounds(1, 60_000_000, 3).expect("histogram bounds")
}

fn micros(d: Duration) -> u64 {
    u64::try_from(d.as_micros()).unwrap_or(u64::MAX).max(1)
}

fn report(what: &str, h: &Histogram<u64>) {
    println!(
        "{what:<44} n={:<6} p50={:>7.3} ms  p99={:>7.3} ms  p99.9={:>7.3} ms  max={:>7.3} ms",
        h.len(),
        h.value_at_quantile(0.50) as f64 / 1000.0,
        h.value_at_quantile(0.99) as f64 / 1000.0,
        h.value_at_quantile(0.999) as f64 / 1000.0,
        h.max() as f64 / 1000.0,
    );
}

/// Sends `count` 1 KiB messages one after another; returns their latencies.
async fn sequential(producer: &Producer, topic: &str, count: usize) -> Histogram<u64> {
    let body = Bytes::from(vec![b'x'; BODY_LEN]);
    let mut h = histogram();
    for _ in 0..count {
        let start = Instant::now();
        let result = producer
            .send(Message::new(topic, body.clone()))
            .await
            .expect("send");
        assert_eq!(result.status, SendStatus::SendOk);
        h.record(micros(start.elapsed())).expect("record");
    }
    h
}

/// A master and its slave, to check where a message is when its SEND_OK arrives.
struct Pair {
    master: Arc<Store>,
    slave: Arc<Store>,
}

/// Sends `count` 1 KiB messages to each topic, alternating, one at a time, so both see the
/// same machine conditions; returns the latencies of each and how many SEND_OKs arrived before
/// the slave had the message (never for the SYNC_MASTER).
async fn interleaved(
    producer: &Producer,
    topics: [(&str, &Pair); 2],
    count: usize,
) -> [(Histogram<u64>, usize); 2] {
    let body = Bytes::from(vec![b'x'; BODY_LEN]);
    let mut out = [(histogram(), 0), (histogram(), 0)];
    for _ in 0..count {
        for ((topic, pair), (h, early)) in topics.iter().zip(out.iter_mut()) {
            let start = Instant::now();
            let result = producer
                .send(Message::new(*topic, body.clone()))
                .await
                .expect("send");
            assert_eq!(result.status, SendStatus::SendOk);
            h.record(micros(start.elapsed())).expect("record");
            if pair.slave.commit_log_max_offset() < pair.master.commit_log_max_offset() {
                *early += 1;
            }
        }
    }
    out
}

/// Sends `count` messages from `senders` tasks at once; returns their latencies.
async fn concurrent(
    producer: &Arc<Producer>,
    topic: &str,
    count: usize,
    senders: usize,
) -> Histogram<u64> {
    let mut tasks = Vec::new();
    for _ in 0..senders {
        let producer = producer.clone();
        let topic = topic.to_owned();
        let each = count / senders;
        tasks.push(tokio::spawn(async move {
            sequential(&producer, &topic, each).await
        }));
    }
    let mut h = histogram();
    for task in tasks {
        h.add(task.await.expect("sender")).expect("merge");
    }
    h
}

/// Time from an ASYNC_MASTER's SEND_OK until its slave holds the message, one at a time.
async fn lag_after_ack(
    producer: &Producer,
    master: &Store,
    slave: &Store,
    count: usize,
) -> Histogram<u64> {
    let body = Bytes::from(vec![b'y'; BODY_LEN]);
    let mut h = histogram();
    for _ in 0..count {
        producer
            .send(Message::new("BenchAsync", body.clone()))
            .await
            .expect("send");
        let end = master.commit_log_max_offset();
        let acked = Instant::now();
        while slave.commit_log_max_offset() < end {
            tokio::task::yield_now().await;
        }
        h.record(micros(acked.elapsed())).expect("record");
    }
    h
}

/// Samples how many bytes the slave is behind every millisecond until `stop`; returns the max.
fn sample_bytes_behind(
    master: Arc<Store>,
    slave: Arc<Store>,
    stop: Arc<AtomicBool>,
) -> tokio::task::JoinHandle<(u64, u64)> {
    let max = Arc::new(AtomicU64::new(0));
    tokio::spawn(async move {
        let mut samples = Vec::new();
        while !stop.load(Ordering::Acquire) {
            let behind = master
                .commit_log_max_offset()
                .saturating_sub(slave.commit_log_max_offset());
            max.fetch_max(behind, Ordering::Relaxed);
            samples.push(behind);
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
        samples.sort_unstable();
        let p50 = samples.get(samples.len() / 2).copied().unwrap_or(0);
        (p50, max.load(Ordering::Relaxed))
    })
}

async fn start_cluster() -> (TestCluster, TestBroker, TestBroker) {
    let options = ClusterOptions {
        name_servers: 1,
        groups: 1,
        master_role: BrokerRole::SyncMaster,
        tweak: Box::new(|c| {
            c.segment_size = 256 * 1024 * 1024;
            c.register_interval_ms = 1000;
        }),
        ..ClusterOptions::default()
    };
    let cluster = TestCluster::start(options).await;
    let list = cluster.namesrv_list();
    let tweak = |c: &mut ferrocket_server::config::BrokerConfig, id, role| {
        cluster_config(c, &list, "broker-async", id, role);
        c.segment_size = 256 * 1024 * 1024;
    };
    let master = TestBroker::start_with(|c| tweak(c, 0, BrokerRole::AsyncMaster)).await;
    let slave = TestBroker::start_with(|c| tweak(c, 1, BrokerRole::Slave)).await;
    (cluster, master, slave)
}

/// Creates one topic on each master and waits until both are routed with their slaves.
async fn create_topics(cluster: &TestCluster, async_master: &TestBroker) {
    let admin = cluster.admin();
    let targets = [
        (cluster.groups[0].master.addr(), "BenchSync"),
        (async_master.addr(), "BenchAsync"),
    ];
    for (addr, topic) in targets {
        admin
            .create_topic(&addr.to_string(), TopicConfig::new(topic, 4))
            .await
            .expect("topic");
        cluster
            .wait_route(topic, |r| {
                r.queues.len() == 1 && r.brokers[0].addrs.len() == 2
            })
            .await;
    }
    admin.close().await;
}

/// The one-at-a-time runs: latency of both masters, and the ASYNC slave's lag.
async fn one_at_a_time(producer: &Producer, opts: &Options, sync: &Pair, async_: &Pair) {
    let topics = [("BenchSync", sync), ("BenchAsync", async_)];
    let [(sync_h, sync_early), (async_h, async_early)] =
        interleaved(producer, topics, opts.count).await;
    assert_eq!(
        sync_early, 0,
        "a SYNC_MASTER SEND_OK arrived before the slave had it"
    );
    report("SYNC_MASTER send latency, one at a time", &sync_h);
    report("ASYNC_MASTER send latency, one at a time", &async_h);
    println!(
        "SEND_OKs that arrived before the slave had the message: SYNC {sync_early}, ASYNC \
         {async_early} of {}",
        opts.count
    );
    report(
        "ASYNC replication lag (SEND_OK -> on slave)",
        &lag_after_ack(producer, &async_.master, &async_.slave, opts.count).await,
    );
}

/// The concurrent runs, sampling how far the ASYNC slave is behind.
async fn under_load(producer: &Arc<Producer>, opts: &Options, async_: &Pair) {
    report(
        &format!("SYNC_MASTER send latency, {} senders", opts.senders),
        &concurrent(producer, "BenchSync", opts.count, opts.senders).await,
    );
    let stop = Arc::new(AtomicBool::new(false));
    let sampler = sample_bytes_behind(async_.master.clone(), async_.slave.clone(), stop.clone());
    let h = concurrent(producer, "BenchAsync", opts.count, opts.senders).await;
    stop.store(true, Ordering::Release);
    let (p50_behind, max_behind) = sampler.await.expect("sampler");
    report(
        &format!("ASYNC_MASTER send latency, {} senders", opts.senders),
        &h,
    );
    println!(
        "ASYNC slave bytes behind under that load: p50 {p50_behind} B, max {max_behind} B \
         (sampled every 1 ms)"
    );
}

#[tokio::main(flavor = "multi_thread")]
async fn main() {
    let opts = options();
    let (cluster, async_master, mut async_slave) = start_cluster().await;
    create_topics(&cluster, &async_master).await;
    let producer = Arc::new(
        Producer::builder()
            .group("ha-bench")
            .client_config(cluster.client_config())
            .build()
            .expect("producer"),
    );
    producer.start().await.expect("start");
    for topic in ["BenchSync", "BenchAsync"] {
        sequential(&producer, topic, opts.count / 10).await;
    }
    println!(
        "1 KiB messages, {} sends per run, {} senders in the concurrent runs",
        opts.count, opts.senders
    );
    let sync_pair = Pair {
        master: cluster.groups[0].master.handle().state().store.clone(),
        slave: cluster.groups[0].slave().handle().state().store.clone(),
    };
    let async_pair = Pair {
        master: async_master.handle().state().store.clone(),
        slave: async_slave.handle().state().store.clone(),
    };
    one_at_a_time(&producer, &opts, &sync_pair, &async_pair).await;
    under_load(&producer, &opts, &async_pair).await;
    producer.shutdown().await;
    async_slave.stop().await;
    async_master.shutdown().await;
    cluster.shutdown().await;
}
