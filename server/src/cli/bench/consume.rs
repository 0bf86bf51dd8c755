//! `bench consume`: reads a topic as fast as a `PullConsumer` can and reports messages/s and
//! MiB/s. Without `--group` a fresh group reads from the first message (and commits
//! nothing); without `--count` the run reads the backlog present at its start. It also stops
//! after `--idle-ms` with nothing new.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use ferrocket::client::route::TopicRouteInfo;
use ferrocket::limits::PULL_BATCH_COUNT_MAX;
use ferrocket::{Admin, ConsumeFrom, PullConsumer};

use crate::cli::bench::stats::{Progress, mib_per_sec, per_sec};
use crate::cli::client::probe_route;
use crate::cli::output::JsonObject;

/// What `bench consume` is asked to do.
#[derive(Debug, Clone)]
pub struct ConsumeSpec {
    /// Name servers.
    pub namesrv: String,
    /// Topic.
    pub topic: String,
    /// Group; `None` for a fresh one that reads from the beginning and commits nothing.
    pub group: Option<String>,
    /// Messages to read; `None` for the backlog present at the start.
    pub count: Option<u64>,
    /// Stop after this long with nothing new.
    pub idle: Duration,
    /// Messages asked for per pull.
    pub pull_batch: u32,
}

/// What `bench consume` measured.
#[derive(Debug, Clone)]
pub struct ConsumeResult {
    /// Messages read.
    pub received: u64,
    /// Body bytes read.
    pub bytes: u64,
    /// From the consumer's start (offsets resolved, first pulls) to the last message.
    pub elapsed: Duration,
    /// The target (count or backlog).
    pub target: u64,
}

impl ConsumeResult {
    /// Human summary.
    pub fn human(&self) -> String {
        format!(
            "received {} of {} messages in {:.3} s: {:.0} msgs/s, {:.2} MiB/s",
            self.received,
            self.target,
            self.elapsed.as_secs_f64(),
            per_sec(self.received, self.elapsed),
            mib_per_sec(self.bytes, self.elapsed)
        )
    }

    /// One flat JSON object.
    pub fn json(&self, topic: &str) -> String {
        JsonObject::new()
            .str("bench", "consume")
            .str("topic", topic)
            .uint("target", self.target)
            .uint("count", self.received)
            .uint("bytes", self.bytes)
            .float("elapsed_ms", self.elapsed.as_secs_f64() * 1000.0, 1)
            .float("msgs_per_sec", per_sec(self.received, self.elapsed), 1)
            .float("mib_per_sec", mib_per_sec(self.bytes, self.elapsed), 3)
            .finish()
    }
}

/// Runs the consume bench.
pub async fn run(spec: &ConsumeSpec) -> Result<ConsumeResult, String> {
    let admin = Admin::with_namesrv(&spec.namesrv).map_err(|e| e.to_string())?;
    let target = match probe_route(&admin, &spec.namesrv, &spec.topic).await {
        Ok(Some(route)) => match spec.count {
            Some(count) => Ok(count),
            None => backlog(&admin, &route).await,
        },
        Ok(None) => Err(format!("topic `{}` does not exist", spec.topic)),
        Err(e) => Err(e),
    };
    admin.close().await;
    let target = target?;
    let fresh = spec.group.is_none();
    let group = spec.group.clone().unwrap_or_else(fresh_group);
    let consumer = PullConsumer::builder()
        .group(group)
        .namesrv(&spec.namesrv)
        .consume_from(ConsumeFrom::FirstOffset)
        .auto_commit(!fresh)
        .pull_batch_size(spec.pull_batch.clamp(1, PULL_BATCH_COUNT_MAX))
        .build()
        .map_err(|e| e.to_string())?;
    consumer
        .subscribe(&spec.topic, "*")
        .await
        .map_err(|e| e.to_string())?;
    let started = Instant::now();
    consumer.start().await.map_err(|e| e.to_string())?;
    let result = read(&consumer, spec, target, started).await;
    consumer.shutdown().await;
    result
}

async fn read(
    consumer: &PullConsumer,
    spec: &ConsumeSpec,
    target: u64,
    started: Instant,
) -> Result<ConsumeResult, String> {
    let received = Arc::new(AtomicU64::new(0));
    let progress = Progress::start("consume", received.clone());
    let mut last = started;
    let mut bytes = 0u64;
    while received.load(Ordering::Relaxed) < target {
        let msgs = match consumer.poll_timeout(spec.idle).await {
            Ok(msgs) => msgs,
            Err(e) => {
                progress.finish().await;
                return Err(e.to_string());
            }
        };
        if msgs.is_empty() {
            break;
        }
        last = Instant::now();
        bytes += msgs.iter().map(|m| m.body().len() as u64).sum::<u64>();
        received.fetch_add(msgs.len() as u64, Ordering::Relaxed);
    }
    progress.finish().await;
    Ok(ConsumeResult {
        received: received.load(Ordering::Relaxed),
        bytes,
        elapsed: last.duration_since(started),
        target,
    })
}

/// Messages stored in the topic's read queues now (max − min per queue, every master).
async fn backlog(admin: &Admin, route: &TopicRouteInfo) -> Result<u64, String> {
    let mut total = 0u64;
    for addr in route.masters.values() {
        let described = admin
            .describe_topic(addr, &route.topic)
            .await
            .map_err(|e| e.to_string())?;
        let read_queues = u32::from(described.config.read_queue_count);
        total += described
            .queues
            .iter()
            .filter(|q| q.queue_id < read_queues)
            .map(|q| q.max_offset.saturating_sub(q.min_offset))
            .sum::<u64>();
    }
    Ok(total)
}

fn fresh_group() -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(0);
    format!("ferrocket-bench-{}-{nanos}", std::process::id())
}
