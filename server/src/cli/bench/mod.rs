//! `ferrocket bench`: load generators against a running server (`produce`, `consume`), the
//! machine's own limits (`baseline`), the self-contained `report` that runs an in-process
//! broker and sets every figure against those limits, and `timers`, the delivery scheduler's
//! capacity on an in-process broker.
//!
//! Human output goes to stdout; `--json` prints one flat JSON object instead. A progress line
//! is drawn on stderr only when stderr is a terminal.

pub mod baseline;
pub mod consume;
pub mod load;
pub mod report;
pub mod stats;
pub mod timers;

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use clap::{Args, Subcommand};
use ferrocket::Producer;
use ferrocket::limits::BATCH_COUNT_MAX;

use crate::cli::client::{ClientArgs, parse_size, probe_route};
use crate::cli::output::{self, JsonObject};
use load::{LoadResult, LoadSpec, SendMode};

/// Default messages of `bench produce` when neither `--count` nor `--duration-secs` is given.
const BENCH_COUNT_DEFAULT: u64 = 100_000;
/// Default idle time that ends `bench consume`, in milliseconds.
const BENCH_IDLE_MS_DEFAULT: u64 = 3000;

/// `ferrocket bench …`.
#[derive(Debug, Args)]
pub struct BenchArgs {
    #[command(subcommand)]
    command: BenchCommand,
}

/// Bench subcommands.
#[derive(Debug, Subcommand)]
pub enum BenchCommand {
    /// Send generated messages and report throughput and send latency percentiles.
    Produce(ProduceBenchArgs),
    /// Read a topic as fast as possible and report throughput.
    Consume(ConsumeBenchArgs),
    /// Measure this machine's limits: loopback round trip, durable write, fdatasync rate.
    Baseline(BaselineArgs),
    /// Run an in-process broker through the standard scenarios and compare each figure with
    /// the machine's limits (under a minute on 2 cores, release build).
    Report(ReportArgs),
    /// The delivery scheduler's capacity on an in-process broker: pending timers' memory,
    /// restart time with them pending, deliveries per second.
    Timers(timers::TimersArgs),
}

/// Flags of `bench produce`.
#[derive(Debug, Args)]
pub struct ProduceBenchArgs {
    #[command(flatten)]
    client: ClientArgs,
    /// Topic (auto-created on first send when the broker allows it).
    #[arg(short = 't', long)]
    topic: String,
    /// Body bytes per message.
    #[arg(long, default_value_t = 1024, value_parser = parse_size)]
    size: usize,
    /// Messages in all [default: 100000 unless --duration-secs].
    #[arg(long, conflicts_with = "duration_secs")]
    count: Option<u64>,
    /// Send for this many seconds instead of a count.
    #[arg(long, value_name = "S")]
    duration_secs: Option<u64>,
    /// Concurrent sender tasks.
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u16).range(1..=4096))]
    concurrency: u16,
    /// Messages per `send_batch` request (sync mode).
    #[arg(long, default_value_t = 1)]
    batch: usize,
    /// Send mode.
    #[arg(long, value_enum, default_value_t = SendMode::Sync)]
    mode: SendMode,
    /// Print one JSON object.
    #[arg(long)]
    json: bool,
}

/// Flags of `bench consume`.
#[derive(Debug, Args)]
pub struct ConsumeBenchArgs {
    #[command(flatten)]
    client: ClientArgs,
    /// Topic.
    #[arg(short = 't', long)]
    topic: String,
    /// Consumer group [default: a fresh group reading from the first message, committing
    /// nothing].
    #[arg(short = 'g', long)]
    group: Option<String>,
    /// Messages to read [default: the backlog at the start].
    #[arg(long)]
    count: Option<u64>,
    /// Stop after this long with nothing new.
    #[arg(long, value_name = "MS", default_value_t = BENCH_IDLE_MS_DEFAULT)]
    idle_ms: u64,
    /// Messages asked for per pull.
    #[arg(long, default_value_t = 256, value_parser = clap::value_parser!(u32).range(1..=1024))]
    pull_batch: u32,
    /// Print one JSON object.
    #[arg(long)]
    json: bool,
}

/// Flags of `bench baseline`.
#[derive(Debug, Args)]
pub struct BaselineArgs {
    /// Folder for the scratch files (the file system to measure) [default: the temp dir].
    #[arg(long)]
    dir: Option<PathBuf>,
    /// MiB of the sequential durable write (dd's count=).
    #[arg(long, default_value_t = baseline::DD_MIB_DEFAULT, value_parser = clap::value_parser!(u64).range(1..=1_048_576))]
    dd_mib: u64,
    /// Also run `dd if=/dev/zero of=… bs=1M count=… conv=fdatasync` as a cross-check.
    #[arg(long)]
    dd: bool,
    /// Print one JSON object.
    #[arg(long)]
    json: bool,
}

/// Flags of `bench report`.
#[derive(Debug, Args)]
pub struct ReportArgs {
    /// Base message count (batched and async runs; a tenth for the single sender, a quarter
    /// for SYNC_FLUSH).
    #[arg(long, default_value_t = report::REPORT_COUNT_DEFAULT, value_parser = clap::value_parser!(u64).range(1..))]
    count: u64,
    /// Folder for the brokers' data and the baseline's scratch files [default: the temp dir].
    #[arg(long)]
    dir: Option<PathBuf>,
    /// MiB of the baseline's sequential durable write.
    #[arg(long, default_value_t = baseline::DD_MIB_DEFAULT, value_parser = clap::value_parser!(u64).range(1..=1_048_576))]
    dd_mib: u64,
    /// Print one JSON object.
    #[arg(long)]
    json: bool,
}

/// Runs `ferrocket bench`.
pub async fn run(args: BenchArgs) -> Result<(), String> {
    match args.command {
        BenchCommand::Produce(a) => produce(a).await,
        BenchCommand::Timers(a) => timers::run(a).await,
        BenchCommand::Consume(a) => {
            let spec = consume::ConsumeSpec {
                namesrv: a.client.namesrv.clone(),
                topic: a.topic.clone(),
                group: a.group.clone(),
                count: a.count,
                idle: Duration::from_millis(a.idle_ms),
                pull_batch: a.pull_batch,
            };
            let result = consume::run(&spec).await?;
            match a.json {
                true => output::line(&result.json(&a.topic)),
                false => output::line(&result.human()),
            }
        }
        BenchCommand::Baseline(a) => {
            let dir = a.dir.unwrap_or_else(std::env::temp_dir);
            let spec = baseline::BaselineSpec {
                dir: dir.clone(),
                dd_mib: a.dd_mib,
                run_dd: a.dd,
            };
            let measured = tokio::task::spawn_blocking(move || baseline::measure(&spec))
                .await
                .map_err(|e| format!("baseline task failed: {e}"))??;
            match a.json {
                true => output::line(&measured.json(JsonObject::new(), "").finish()),
                false => output::block(&measured.human(&dir)),
            }
        }
        BenchCommand::Report(a) => {
            let spec = report::ReportSpec {
                count: a.count,
                dir: a.dir.unwrap_or_else(std::env::temp_dir),
                dd_mib: a.dd_mib,
            };
            let measured = report::run(&spec).await?;
            report::print(&measured, a.json, a.count)
        }
    }
}

async fn produce(a: ProduceBenchArgs) -> Result<(), String> {
    if a.batch == 0 || a.batch > BATCH_COUNT_MAX {
        return Err(usage(&format!("--batch must be 1..={BATCH_COUNT_MAX}")));
    }
    if a.batch > 1 && a.mode != SendMode::Sync {
        return Err(usage("--batch works only with --mode sync"));
    }
    let admin = a.client.admin()?;
    let probed = probe_route(&admin, &a.client.namesrv, &a.topic).await;
    admin.close().await;
    probed?;
    let producer = Producer::builder()
        .group("ferrocket-bench-producer")
        .namesrv(&a.client.namesrv)
        .build()
        .map_err(|e| e.to_string())?;
    producer.start().await.map_err(|e| e.to_string())?;
    let spec = LoadSpec {
        topic: a.topic.clone(),
        size: a.size,
        count: a.count.unwrap_or(BENCH_COUNT_DEFAULT),
        duration: a.duration_secs.map(Duration::from_secs),
        concurrency: usize::from(a.concurrency),
        batch: a.batch,
        mode: a.mode,
    };
    let producer = Arc::new(producer);
    let result = load::run_load(producer.clone(), &spec, "produce").await;
    producer.shutdown().await;
    match a.json {
        true => output::line(&produce_json(&spec, &result).finish())?,
        false => output::block(&produce_human(&spec, &result))?,
    }
    match (&result.first_error, result.sent) {
        (Some(e), 0) => Err(format!("every send failed: {e}")),
        _ => Ok(()),
    }
}

/// Exits with a clap usage error (code 2) naming the problem.
fn usage(message: &str) -> String {
    use clap::CommandFactory;
    crate::cli::Cli::command()
        .error(clap::error::ErrorKind::ArgumentConflict, message)
        .exit()
}

fn produce_human(spec: &LoadSpec, r: &LoadResult) -> String {
    let mut out = format!(
        "sent {} messages of {} B ({} mode, concurrency {}, batch {}), {} errors, in {:.3} s\n\
         throughput: {:.0} msgs/s, {:.2} MiB/s\n\
         latency per request: {}\n",
        r.sent,
        spec.size,
        spec.mode.name(),
        spec.concurrency,
        spec.batch,
        r.errors,
        r.elapsed.as_secs_f64(),
        r.msgs_per_sec(),
        r.mib_per_sec(),
        r.latency.human()
    );
    if let Some(e) = &r.first_error {
        out.push_str(&format!("first error: {e}\n"));
    }
    out
}

fn produce_json(spec: &LoadSpec, r: &LoadResult) -> JsonObject {
    let object = JsonObject::new()
        .str("bench", "produce")
        .str("topic", &spec.topic)
        .str("mode", spec.mode.name())
        .uint("size", spec.size as u64)
        .uint("concurrency", spec.concurrency as u64)
        .uint("batch", spec.batch as u64)
        .uint("count", r.sent)
        .uint("errors", r.errors)
        .float("elapsed_ms", r.elapsed.as_secs_f64() * 1000.0, 1)
        .float("msgs_per_sec", r.msgs_per_sec(), 1)
        .float("mib_per_sec", r.mib_per_sec(), 3);
    r.latency.json(object)
}
