//! Crash safety with the broker as a child process killed by SIGKILL at random moments under
//! load. In SYNC_FLUSH mode every acknowledged message must be readable after restart, at its
//! offset, byte-identical; in ASYNC_FLUSH mode the same holds for process kills (the page cache
//! survives). Nothing corrupted is ever served: every pulled record passes its CRC checks.
//!
//! `FERROCKET_CRASH_CYCLES` sets the cycles per mode (default 20, so 40 in all).

mod common;

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::Path;
use std::process::Child;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::Bytes;
use ferrocket::client::{ConnectOptions, Connection};
use ferrocket::{Message, Producer};

const TOPIC: &str = "CrashTopic";
const QUEUES: u32 = 4;
const SENDERS: usize = 4;

/// Acknowledged messages: (queue id, queue offset) → body.
type Acked = Arc<Mutex<BTreeMap<(u32, u64), Bytes>>>;

struct BrokerProcess {
    child: Child,
    addr: SocketAddr,
}

impl BrokerProcess {
    fn spawn(data_dir: &Path, flush: &str) -> BrokerProcess {
        let flags = [
            "--flush-disk-type",
            flush,
            "--set",
            "segment_size=16777216",
            "--set",
            "consume_queue_entries_per_file=5000",
            "--set",
            "flush_interval_ms=100",
        ];
        let (child, addr) = common::spawn_standalone(data_dir, &flags);
        let addr = addr.parse().expect("an address");
        BrokerProcess { child, addr }
    }

    fn kill(mut self) {
        self.child.kill().expect("SIGKILL");
        self.child.wait().expect("reap");
    }
}

fn cycles() -> usize {
    std::env::var("FERROCKET_CRASH_CYCLES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(20)
}

/// SYNC_FLUSH: every acknowledged message survives SIGKILL at a random moment.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sync_flush_survives_sigkill() {
    crash_cycles("SYNC_FLUSH", 0x5eed_0001).await;
}

/// ASYNC_FLUSH: every acknowledged message survives SIGKILL (the page cache outlives the
/// process).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn async_flush_survives_sigkill() {
    crash_cycles("ASYNC_FLUSH", 0x5eed_0002).await;
}

async fn crash_cycles(flush: &str, seed: u64) {
    let dir = common::temp_dir(&format!("crash-{flush}"));
    let acked: Acked = Arc::default();
    let mut rng = seed;
    for cycle in 0..cycles() {
        let broker = BrokerProcess::spawn(&dir, flush);
        verify(broker.addr, &acked, cycle).await;
        let producer = Arc::new(
            Producer::builder()
                .group("crash-producer")
                .namesrv(&broker.addr.to_string())
                .send_timeout(Duration::from_secs(2))
                .retries(0)
                .build()
                .expect("producer"),
        );
        producer.start().await.expect("start");
        let senders: Vec<_> = (0..SENDERS)
            .map(|s| tokio::spawn(send_until_error(producer.clone(), acked.clone(), cycle, s)))
            .collect();
        rng = xorshift(rng);
        tokio::time::sleep(Duration::from_millis(100 + rng % 400)).await;
        broker.kill();
        for sender in senders {
            sender.await.expect("sender task");
        }
        producer.shutdown().await;
    }
    let broker = BrokerProcess::spawn(&dir, flush);
    verify(broker.addr, &acked, cycles()).await;
    broker.kill();
    let total = acked.lock().expect("acked").len();
    eprintln!(
        "{flush}: {} kill cycles, {total} acknowledged messages verified",
        cycles()
    );
    assert!(total > cycles() * 10, "the load actually ran");
    let _ = std::fs::remove_dir_all(&dir);
}

async fn send_until_error(producer: Arc<Producer>, acked: Acked, cycle: usize, sender: usize) {
    for seq in 0.. {
        let body = Bytes::from(format!(
            "cycle {cycle} sender {sender} seq {seq} {}",
            "x".repeat(seq % 700)
        ));
        let msg = Message::new(TOPIC, body.clone()).with_key(format!("c{cycle}s{sender}n{seq}"));
        match producer.send(msg).await {
            Ok(result) => {
                let key = (result.queue.queue_id, result.queue_offset);
                let previous = acked.lock().expect("acked").insert(key, body);
                assert!(previous.is_none(), "offset {key:?} acknowledged twice");
            }
            Err(_) => return,
        }
    }
}

/// Reads every queue from offset 0 and checks each acknowledged message is at its offset with
/// its bytes; every served record passes its CRCs (decode_records checks them).
async fn verify(addr: SocketAddr, acked: &Acked, cycle: usize) {
    let conn = Connection::connect(&addr.to_string(), ConnectOptions::default())
        .await
        .expect("connect");
    let mut stored = BTreeMap::new();
    for queue_id in 0..QUEUES {
        for (offset, msg) in (0..).zip(common::read_queue(&conn, TOPIC, queue_id).await) {
            assert_eq!(msg.queue_offset, offset, "offsets are dense");
            stored.insert((queue_id, offset), msg.message.body);
        }
    }
    conn.close().await;
    let acked = acked.lock().expect("acked");
    for (key, body) in acked.iter() {
        match stored.get(key) {
            Some(found) => assert_eq!(found, body, "cycle {cycle}: message at {key:?} changed"),
            None => panic!("cycle {cycle}: acknowledged message at {key:?} is lost"),
        }
    }
}

fn xorshift(mut x: u64) -> u64 {
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    x
}
