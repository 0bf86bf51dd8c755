//! `ferrocket bench timers`: the delivery scheduler's capacity, measured on an in-process
//! broker in a scratch folder: how fast `--count` delayed messages (all due at one instant,
//! `--due-in-secs` ahead) are accepted, the scheduler memory they hold while pending (the
//! process's anonymous resident memory, so the mapped commit log does not count), how long a
//! clean restart and a crash restart take to have them all pending again, and how many
//! deliveries per second the scheduler sustains when they all fall due together.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use clap::Args;
use ferrocket::{Message, Producer};

use crate::broker::{Broker, BrokerHandle};
use crate::cli::client::{generated_body, parse_size};
use crate::cli::output::{self, JsonObject};
use crate::config::BrokerConfig;

const TOPIC: &str = "BenchTimers";

/// Flags of `bench timers`.
#[derive(Debug, Args)]
pub struct TimersArgs {
    /// Delayed messages to send (all pending at once).
    #[arg(long, default_value_t = 1_000_000)]
    count: u64,
    /// Concurrent sender tasks.
    #[arg(long, default_value_t = 32, value_parser = clap::value_parser!(u16).range(1..=4096))]
    concurrency: u16,
    /// Body bytes per message.
    #[arg(long, default_value_t = 100, value_parser = parse_size)]
    size: usize,
    /// Every message is due this many seconds after the run starts (the sends and both
    /// restarts must fit before it).
    #[arg(long, default_value_t = 180)]
    due_in_secs: u64,
    /// Folder for the scratch broker [default: the temp dir].
    #[arg(long)]
    dir: Option<PathBuf>,
    /// Print one JSON object.
    #[arg(long)]
    json: bool,
}

/// What the run measured.
#[derive(Debug, Default)]
struct TimerFigures {
    count: u64,
    send_secs: f64,
    pending_anon_mib: f64,
    clean_restart_secs: f64,
    crash_restart_secs: f64,
    early_deliveries: u64,
    first_delivery_ms: u64,
    last_delivery_ms: u64,
}

/// Runs `ferrocket bench timers`.
pub async fn run(args: TimersArgs) -> Result<(), String> {
    let parent = args.dir.clone().unwrap_or_else(std::env::temp_dir);
    let dir = parent.join(format!("ferrocket-bench-timers-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let result = measure(&args, &dir).await;
    let _ = std::fs::remove_dir_all(&dir);
    let f = result?;
    let rate = |n: u64, secs: f64| n as f64 / secs.max(1e-9);
    let spread = f
        .last_delivery_ms
        .saturating_sub(f.first_delivery_ms)
        .max(1) as f64
        / 1000.0;
    if args.json {
        let json = JsonObject::new()
            .uint("count", f.count)
            .float("sends_per_sec", rate(f.count, f.send_secs), 0)
            .float("pending_anon_mib", f.pending_anon_mib, 1)
            .float(
                "bytes_per_pending_timer",
                f.pending_anon_mib * 1_048_576.0 / f.count.max(1) as f64,
                0,
            )
            .float("clean_restart_secs", f.clean_restart_secs, 3)
            .float("crash_restart_secs", f.crash_restart_secs, 3)
            .uint("early_deliveries", f.early_deliveries)
            .uint("first_delivery_after_due_ms", f.first_delivery_ms)
            .uint("last_delivery_after_due_ms", f.last_delivery_ms)
            .float("deliveries_per_sec", rate(f.count, spread), 0)
            .finish();
        return output::line(&json);
    }
    output::block(&format!(
        "{} timers sent in {:.1} s ({:.0}/s)\n\
         pending: {:.1} MiB anonymous memory ({:.0} bytes per timer)\n\
         restart with every timer pending again: clean {:.2} s, after a crash {:.2} s\n\
         delivered {} early; first {} ms, last {} ms after due: {:.0} deliveries/s\n",
        f.count,
        f.send_secs,
        rate(f.count, f.send_secs),
        f.pending_anon_mib,
        f.pending_anon_mib * 1_048_576.0 / f.count.max(1) as f64,
        f.clean_restart_secs,
        f.crash_restart_secs,
        f.early_deliveries,
        f.first_delivery_ms,
        f.last_delivery_ms,
        rate(f.count, spread)
    ))
}

fn broker_config(dir: &Path) -> BrokerConfig {
    BrokerConfig {
        listen: std::net::SocketAddr::from(([127, 0, 0, 1], 0)),
        data_dir: dir.to_owned(),
        ..BrokerConfig::default()
    }
}

async fn start(dir: &Path) -> Result<BrokerHandle, String> {
    Broker::start(broker_config(dir))
        .await
        .map_err(|e| format!("cannot start the bench broker: {e}"))
}

fn pending(handle: &BrokerHandle) -> u64 {
    handle
        .state()
        .scheduler
        .stats()
        .pending
        .load(Ordering::Relaxed)
}

/// Waits until `cond` holds, checking every 10 ms, for at most `limit`.
async fn wait_for(limit: Duration, mut cond: impl FnMut() -> bool) -> Result<(), String> {
    let deadline = Instant::now() + limit;
    while !cond() {
        if Instant::now() > deadline {
            return Err(format!(
                "the bench did not reach its state within {limit:?}"
            ));
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    Ok(())
}

async fn measure(args: &TimersArgs, dir: &Path) -> Result<TimerFigures, String> {
    let due = now_ms() + args.due_in_secs * 1000;
    let handle = start(dir).await?;
    let anon_before = anon_mib();
    let sent_in = Instant::now();
    send_all(args, &handle.local_addr().to_string(), due).await?;
    let send_secs = sent_in.elapsed().as_secs_f64();
    wait_for(Duration::from_secs(120), || pending(&handle) >= args.count).await?;
    let pending_anon_mib = anon_mib() - anon_before;
    handle.shutdown().await.map_err(|e| e.to_string())?;
    let restarted = Instant::now();
    let handle = start(dir).await?;
    wait_for(Duration::from_secs(120), || pending(&handle) >= args.count).await?;
    let clean_restart_secs = restarted.elapsed().as_secs_f64();
    handle.kill().await;
    let restarted = Instant::now();
    let handle = start(dir).await?;
    wait_for(Duration::from_secs(120), || pending(&handle) >= args.count).await?;
    let crash_restart_secs = restarted.elapsed().as_secs_f64();
    if now_ms() >= due {
        return Err(
            "the timers fell due before the restarts were measured: raise --due-in-secs".into(),
        );
    }
    let (first, last, early) = watch_deliveries(&handle, args.count, due).await?;
    handle.shutdown().await.map_err(|e| e.to_string())?;
    Ok(TimerFigures {
        count: args.count,
        send_secs,
        pending_anon_mib,
        clean_restart_secs,
        crash_restart_secs,
        early_deliveries: early,
        first_delivery_ms: first,
        last_delivery_ms: last,
    })
}

/// Sends `count` messages due at `due` from `concurrency` tasks.
async fn send_all(args: &TimersArgs, addr: &str, due: u64) -> Result<(), String> {
    let producer = Producer::builder()
        .group("bench-timers")
        .namesrv(addr)
        .build()
        .map_err(|e| e.to_string())?;
    producer.start().await.map_err(|e| e.to_string())?;
    let producer = Arc::new(producer);
    let body = generated_body(args.size);
    let tasks = u64::from(args.concurrency);
    let mut senders = tokio::task::JoinSet::new();
    for t in 0..tasks {
        let share = args.count / tasks + u64::from(t < args.count % tasks);
        let (producer, body) = (producer.clone(), body.clone());
        senders.spawn(async move {
            for _ in 0..share {
                let msg = Message::new(TOPIC, body.clone()).with_deliver_at_ms(due);
                producer.send(msg).await.map_err(|e| e.to_string())?;
            }
            Ok::<(), String>(())
        });
    }
    let mut result = Ok(());
    while let Some(done) = senders.join_next().await {
        if let Ok(Err(e)) | Err(e) = done.map_err(|e| e.to_string()) {
            result = Err(format!("a timer send failed: {e}"));
        }
    }
    producer.shutdown().await;
    result
}

/// Waits for every timer to be delivered; returns the first and last delivery after due (ms)
/// and how many were delivered before it.
async fn watch_deliveries(
    handle: &BrokerHandle,
    count: u64,
    due: u64,
) -> Result<(u64, u64, u64), String> {
    let delivered = || {
        handle
            .state()
            .scheduler
            .stats()
            .delivered
            .load(Ordering::Relaxed)
    };
    let early = delivered();
    let mut first = None;
    let deadline = Instant::now()
        + Duration::from_millis(due.saturating_sub(now_ms()))
        + Duration::from_secs(600);
    loop {
        let n = delivered();
        if n > early && first.is_none() {
            first = Some(now_ms().saturating_sub(due));
        }
        if n >= count {
            let last = now_ms().saturating_sub(due);
            return Ok((first.unwrap_or(last), last, early));
        }
        if Instant::now() > deadline {
            return Err(format!("only {n} of {count} timers delivered"));
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}

/// The process's anonymous resident memory in MiB (`RssAnon` of `/proc/self/status`), 0 where
/// it cannot be read.
fn anon_mib() -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("RssAnon:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<f64>().ok())
        .map_or(0.0, |kib| kib / 1024.0)
}

fn now_ms() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
}
