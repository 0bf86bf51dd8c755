//! Delayed messages survive SIGKILL: the broker runs as a child process; producers send
//! messages with delay levels, delivery times (`deliver_at`) and delays (`deliver_after`, 4 s:
//! pending across several kills) while it is killed at random moments, several times; after
//! the last restart every acknowledged delayed message reaches its topic (at least once), none
//! before its time.
//!
//! `FERROCKET_TIMER_CRASH_CYCLES` sets the kill cycles (default 4).

mod common;

use std::collections::{BTreeMap, HashSet};
use std::net::SocketAddr;
use std::path::Path;
use std::process::Child;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use ferrocket::client::{ConnectOptions, Connection};
use ferrocket::{Message, Producer};

const TOPIC: &str = "TimerCrash";
const QUEUES: u32 = 4;

/// Acknowledged delayed messages: body → earliest delivery time (ms since the epoch).
type Acked = Arc<Mutex<BTreeMap<String, u64>>>;

struct BrokerProcess {
    child: Child,
    addr: SocketAddr,
}

impl BrokerProcess {
    fn spawn(data_dir: &Path) -> BrokerProcess {
        let flags = [
            "--set",
            "segment_size=16777216",
            "--set",
            "flush_interval_ms=100",
            "--set",
            "message_delay_level=1s 2s",
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

fn now_ms() -> u64 {
    u64::try_from(
        SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap()
            .as_millis(),
    )
    .unwrap()
}

async fn send_until_error(producer: Arc<Producer>, acked: Acked, cycle: usize) {
    for seq in 0.. {
        let body = format!("cycle {cycle} seq {seq}");
        let sent_at = now_ms();
        let (msg, earliest) = match seq % 4 {
            0 => (
                Message::new(TOPIC, body.clone()).with_delay_level(1),
                sent_at + 1000,
            ),
            1 => (
                Message::new(TOPIC, body.clone()).with_delay_level(2),
                sent_at + 2000,
            ),
            2 => {
                let at = sent_at + 1500;
                (Message::new(TOPIC, body.clone()).with_deliver_at_ms(at), at)
            }
            // Long enough to stay pending across several kills.
            _ => (
                Message::new(TOPIC, body.clone()).with_deliver_after(Duration::from_secs(4)),
                sent_at + 4000,
            ),
        };
        if producer.send(msg).await.is_err() {
            return;
        }
        acked.lock().unwrap().insert(body, earliest);
    }
}

/// Every body stored in the topic with its store timestamp (the time it was delivered).
async fn delivered(addr: SocketAddr) -> Vec<(String, u64)> {
    let conn = Connection::connect(&addr.to_string(), ConnectOptions::default())
        .await
        .expect("connect");
    let mut out = Vec::new();
    for queue_id in 0..QUEUES {
        for msg in common::read_queue(&conn, TOPIC, queue_id).await {
            let body = String::from_utf8_lossy(&msg.message.body).into_owned();
            out.push((body, msg.store_timestamp_ms));
        }
    }
    conn.close().await;
    out
}

/// Kill cycles with timers pending; after the last restart every acknowledged delayed message
/// is delivered, none before its time.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn delayed_messages_survive_sigkill() {
    let cycles: usize = std::env::var("FERROCKET_TIMER_CRASH_CYCLES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(4);
    let dir = common::temp_dir("timer-crash");
    let acked: Acked = Arc::default();
    let mut rng: u64 = 0x7133_5eed;
    for cycle in 0..cycles {
        let broker = BrokerProcess::spawn(&dir);
        let producer = Producer::builder()
            .group("timer-crash-producer")
            .namesrv(&broker.addr.to_string())
            .send_timeout(Duration::from_secs(2))
            .retries(0)
            .build()
            .expect("producer");
        producer.start().await.expect("start");
        let producer = Arc::new(producer);
        let sender = tokio::spawn(send_until_error(producer.clone(), acked.clone(), cycle));
        rng ^= rng << 13;
        rng ^= rng >> 7;
        rng ^= rng << 17;
        tokio::time::sleep(Duration::from_millis(300 + rng % 1500)).await;
        broker.kill();
        sender.await.expect("sender");
        producer.shutdown().await;
    }
    let broker = BrokerProcess::spawn(&dir);
    let acked = acked.lock().unwrap().clone();
    assert!(acked.len() > cycles * 10, "the load actually ran");
    let deadline = Instant::now() + Duration::from_secs(20);
    let mut seen: HashSet<String>;
    loop {
        let got = delivered(broker.addr).await;
        for (body, stored) in &got {
            let earliest = acked.get(body).copied().unwrap_or(0);
            assert!(
                *stored >= earliest,
                "{body} delivered {} ms early",
                earliest - stored
            );
        }
        seen = got.into_iter().map(|(b, _)| b).collect();
        if acked.keys().all(|b| seen.contains(b)) || Instant::now() > deadline {
            break;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let lost: Vec<&String> = acked.keys().filter(|b| !seen.contains(*b)).collect();
    broker.kill();
    assert!(
        lost.is_empty(),
        "{} of {} delayed messages lost: {:?}",
        lost.len(),
        acked.len(),
        &lost[..lost.len().min(5)]
    );
    eprintln!(
        "{cycles} kill cycles, {} delayed messages delivered",
        acked.len()
    );
    let _ = std::fs::remove_dir_all(&dir);
}
