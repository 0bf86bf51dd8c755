//! `bench report`: the one command behind the closing note. It starts an in-process broker
//! (`Broker::start`, temporary data folder) in ASYNC_FLUSH mode and measures batched
//! throughput, single-sender sync latency and async throughput; then a SYNC_FLUSH broker under
//! enough concurrent senders for group commit; then the machine baseline. Each figure is
//! printed with its ratio to the machine limit it is bounded by: MB/s ÷ durable-write MB/s,
//! latency ÷ loopback round trip, SYNC_FLUSH sends/s ÷ fdatasyncs/s.
//!
//! Client and broker share this process and its cores, as they would share a small machine.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use ferrocket::protocol::TopicConfig;
use ferrocket::{Admin, Producer};

use crate::broker::{Broker, BrokerHandle};
use crate::cli::bench::baseline::{self, Baseline, BaselineSpec};
use crate::cli::bench::load::{LoadResult, LoadSpec, SendMode, run_load};
use crate::cli::output::{self, JsonObject, Table};
use crate::config::{BrokerConfig, FlushDiskType};

/// Body bytes of every report message.
const REPORT_BODY_BYTES: usize = 1024;
/// Messages per `send_batch` in the batched run.
const REPORT_BATCH: usize = 32;
/// Concurrent senders of the batched run.
const REPORT_BATCH_SENDERS: usize = 4;
/// Concurrent senders of the SYNC_FLUSH run (enough for group commit to batch fsyncs).
const REPORT_SYNC_FLUSH_SENDERS: usize = 64;
/// Queues of the report topic.
const REPORT_QUEUES: u16 = 8;
/// Messages sent before measuring (connections, routes, page faults of the first segment).
const REPORT_WARMUP_MESSAGES: u64 = 2000;
/// Default base message count of the report.
pub const REPORT_COUNT_DEFAULT: u64 = 500_000;
const TOPIC: &str = "BenchReport";

/// What the report runs.
#[derive(Debug, Clone)]
pub struct ReportSpec {
    /// Base message count: batched and async runs send this many, the single-sender run a
    /// tenth, the SYNC_FLUSH run a quarter.
    pub count: u64,
    /// Folder of the brokers' data and the baseline's scratch files.
    pub dir: PathBuf,
    /// MiB of the baseline's sequential write.
    pub dd_mib: u64,
}

/// Every figure of the report.
#[derive(Debug, Clone)]
pub struct Report {
    batched: LoadResult,
    single: LoadResult,
    pipelined: LoadResult,
    sync_flush: LoadResult,
    baseline: Baseline,
    dir: PathBuf,
}

/// Runs the whole report and returns it.
pub async fn run(spec: &ReportSpec) -> Result<Report, String> {
    let (batched, single, pipelined) = async_flush_runs(spec).await?;
    let sync_flush = sync_flush_run(spec).await?;
    let baseline_spec = BaselineSpec {
        dir: spec.dir.clone(),
        dd_mib: spec.dd_mib,
        run_dd: false,
    };
    let baseline = tokio::task::spawn_blocking(move || baseline::measure(&baseline_spec))
        .await
        .map_err(|e| format!("baseline task failed: {e}"))??;
    Ok(Report {
        batched,
        single,
        pipelined,
        sync_flush,
        baseline,
        dir: spec.dir.clone(),
    })
}

/// A broker on `127.0.0.1:0` with its own data folder (removed on `stop`) and its own
/// runtime, so client and broker tasks hand requests across threads as two processes would;
/// on one shared runtime a ping-pong can stay on one worker thread and beat the loopback
/// round trip the baseline measures.
struct TempBroker {
    handle: BrokerHandle,
    runtime: tokio::runtime::Runtime,
    dir: PathBuf,
}

impl TempBroker {
    async fn start(parent: &Path, flush: FlushDiskType) -> Result<TempBroker, String> {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.subsec_nanos())
            .unwrap_or(0);
        let dir = parent.join(format!("ferrocket-report-{}-{nanos}", std::process::id()));
        let config = BrokerConfig {
            listen: std::net::SocketAddr::from(([127, 0, 0, 1], 0)),
            data_dir: dir.clone(),
            flush_disk_type: flush,
            ..BrokerConfig::default()
        };
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .thread_name("report-broker")
            .enable_all()
            .build()
            .map_err(|e| format!("cannot start the report broker's runtime: {e}"))?;
        let started = runtime.spawn(Broker::start(config)).await;
        let handle = match started {
            Ok(Ok(handle)) => handle,
            failed => {
                runtime.shutdown_background();
                let _ = std::fs::remove_dir_all(&dir);
                return Err(match failed {
                    Ok(Err(e)) => format!("cannot start the report broker: {e}"),
                    _ => "the report broker's start task failed".to_owned(),
                });
            }
        };
        Ok(TempBroker {
            handle,
            runtime,
            dir,
        })
    }

    fn addr(&self) -> String {
        self.handle.local_addr().to_string()
    }

    async fn stop(self) -> Result<(), String> {
        let stopped = match self.runtime.spawn(self.handle.shutdown()).await {
            Ok(result) => result.map_err(|e| e.to_string()),
            Err(e) => Err(format!("the report broker's shutdown task failed: {e}")),
        };
        // Every broker task has finished; nothing is left for the runtime to wait for.
        self.runtime.shutdown_background();
        let _ = std::fs::remove_dir_all(&self.dir);
        stopped
    }
}

/// A started producer and the report topic on `broker`.
async fn prepare(broker: &TempBroker) -> Result<Arc<Producer>, String> {
    let admin = Admin::with_namesrv(&broker.addr()).map_err(|e| e.to_string())?;
    let created = admin
        .create_topic(&broker.addr(), TopicConfig::new(TOPIC, REPORT_QUEUES))
        .await;
    admin.close().await;
    created.map_err(|e| format!("cannot create the report topic: {e}"))?;
    let producer = Producer::builder()
        .group("ferrocket-bench-report")
        .namesrv(&broker.addr())
        .build()
        .map_err(|e| e.to_string())?;
    producer.start().await.map_err(|e| e.to_string())?;
    let producer = Arc::new(producer);
    let warmup = load_spec(
        REPORT_WARMUP_MESSAGES,
        REPORT_BATCH_SENDERS,
        1,
        SendMode::Sync,
    );
    checked(
        run_load(producer.clone(), &warmup, "warm-up").await,
        "warm-up",
    )?;
    Ok(producer)
}

fn load_spec(count: u64, concurrency: usize, batch: usize, mode: SendMode) -> LoadSpec {
    LoadSpec {
        topic: TOPIC.to_owned(),
        size: REPORT_BODY_BYTES,
        count,
        duration: None,
        concurrency,
        batch,
        mode,
    }
}

/// A run in which every send failed is an error; partial failures are reported in the table.
fn checked(result: LoadResult, what: &str) -> Result<LoadResult, String> {
    match (&result.first_error, result.sent) {
        (Some(e), 0) => Err(format!("{what}: every send failed: {e}")),
        _ => Ok(result),
    }
}

async fn async_flush_runs(rs: &ReportSpec) -> Result<(LoadResult, LoadResult, LoadResult), String> {
    let broker = TempBroker::start(&rs.dir, FlushDiskType::AsyncFlush).await?;
    let runs = async {
        let producer = prepare(&broker).await?;
        let n = rs.count.max(1);
        let batched = load_spec(n, REPORT_BATCH_SENDERS, REPORT_BATCH, SendMode::Sync);
        let batched = checked(
            run_load(producer.clone(), &batched, "batched").await,
            "batched",
        )?;
        let single = load_spec((n / 10).max(100), 1, 1, SendMode::Sync);
        let single = checked(
            run_load(producer.clone(), &single, "single").await,
            "single",
        )?;
        let pipelined = load_spec(n, 1, 1, SendMode::Async);
        let pipelined = run_load(producer.clone(), &pipelined, "async").await;
        let pipelined = checked(pipelined, "async")?;
        producer.shutdown().await;
        Ok::<_, String>((batched, single, pipelined))
    }
    .await;
    let stopped = broker.stop().await;
    let runs = runs?;
    stopped?;
    Ok(runs)
}

async fn sync_flush_run(rs: &ReportSpec) -> Result<LoadResult, String> {
    let broker = TempBroker::start(&rs.dir, FlushDiskType::SyncFlush).await?;
    let run = async {
        let producer = prepare(&broker).await?;
        let n = (rs.count / 4).max(REPORT_SYNC_FLUSH_SENDERS as u64);
        let load = load_spec(n, REPORT_SYNC_FLUSH_SENDERS, 1, SendMode::Sync);
        let result = checked(
            run_load(producer.clone(), &load, "sync-flush").await,
            "sync flush",
        );
        producer.shutdown().await;
        result
    }
    .await;
    let stopped = broker.stop().await;
    let run = run?;
    stopped?;
    Ok(run)
}

/// `a ÷ b`, NaN (printed `-`, JSON `null`) when `b` is 0.
fn ratio(a: f64, b: f64) -> f64 {
    if b > 0.0 { a / b } else { f64::NAN }
}

/// Microseconds as a float, for ratios.
fn us(v: u64) -> f64 {
    v as f64
}

fn fmt_ratio(r: f64) -> String {
    if r.is_finite() {
        format!("{r:.2}")
    } else {
        "-".to_owned()
    }
}

/// One line of the report table.
struct Row {
    figure: String,
    value: String,
    limit: String,
    ratio: f64,
}

fn row(figure: &str, value: String, limit: &str, ratio: f64) -> Row {
    Row {
        figure: figure.to_owned(),
        value,
        limit: limit.to_owned(),
        ratio,
    }
}

fn throughput(r: &LoadResult) -> String {
    format!("{:.0} msgs/s, {:.1} MB/s", r.msgs_per_sec(), r.mb_per_sec())
}

impl Report {
    fn rows(&self) -> Vec<Row> {
        let b = &self.baseline;
        let disk = format!("durable write {:.1} MB/s", b.write_mb_per_sec);
        let rtt50 = format!("loopback RTT p50 {} µs", b.rtt.p50_us);
        let rtt99 = format!("loopback RTT p99 {} µs", b.rtt.p99_us);
        let fsyncs = format!("fdatasync {:.0}/s", b.fsyncs_per_sec);
        let (bt, s, p, sf) = (
            &self.batched,
            &self.single,
            &self.pipelined,
            &self.sync_flush,
        );
        let to_disk = |r: &LoadResult| ratio(r.mb_per_sec(), b.write_mb_per_sec);
        let micros = |v: u64| format!("{v} µs");
        let batched = format!(
            "ASYNC_FLUSH batched send ({REPORT_BATCH_SENDERS} senders × batch {REPORT_BATCH})"
        );
        let sync_flush =
            format!("SYNC_FLUSH send ({REPORT_SYNC_FLUSH_SENDERS} senders, group commit)");
        vec![
            row(&batched, throughput(bt), &disk, to_disk(bt)),
            row(
                "ASYNC_FLUSH sync send, 1 sender",
                throughput(s),
                &disk,
                to_disk(s),
            ),
            row(
                "ASYNC_FLUSH sync send latency p50, 1 sender",
                micros(s.latency.p50_us),
                &rtt50,
                ratio(us(s.latency.p50_us), us(b.rtt.p50_us)),
            ),
            row(
                "ASYNC_FLUSH sync send latency p99, 1 sender",
                micros(s.latency.p99_us),
                &rtt99,
                ratio(us(s.latency.p99_us), us(b.rtt.p99_us)),
            ),
            row(
                "ASYNC_FLUSH async (pipelined) send",
                throughput(p),
                &disk,
                to_disk(p),
            ),
            row(
                &sync_flush,
                throughput(sf),
                &fsyncs,
                ratio(sf.msgs_per_sec(), b.fsyncs_per_sec),
            ),
            row(
                "SYNC_FLUSH send latency p50",
                micros(sf.latency.p50_us),
                &rtt50,
                ratio(us(sf.latency.p50_us), us(b.rtt.p50_us)),
            ),
            row(
                "SYNC_FLUSH send latency p99",
                micros(sf.latency.p99_us),
                &rtt99,
                ratio(us(sf.latency.p99_us), us(b.rtt.p99_us)),
            ),
        ]
    }

    /// The table (figure, value, machine limit, ratio), then the machine limits.
    pub fn human(&self) -> String {
        let mut table = Table::new(&["FIGURE (1 KiB messages)", "VALUE", "MACHINE LIMIT", "RATIO"]);
        for r in self.rows() {
            table.row(vec![r.figure, r.value, r.limit, fmt_ratio(r.ratio)]);
        }
        let mut out = table.render();
        out.push_str("\nmachine limits measured in this run:\n");
        out.push_str(&self.baseline.human(&self.dir));
        out.push_str(&format!("send errors: {}\n", self.errors()));
        out
    }

    fn errors(&self) -> u64 {
        [
            &self.batched,
            &self.single,
            &self.pipelined,
            &self.sync_flush,
        ]
        .iter()
        .map(|r| r.errors)
        .sum()
    }

    /// One flat JSON object.
    pub fn json(&self, count: u64) -> String {
        let b = &self.baseline;
        let mut o = JsonObject::new()
            .str("bench", "report")
            .uint("count", count);
        for (name, r) in [
            ("batch", &self.batched),
            ("single", &self.single),
            ("async", &self.pipelined),
            ("sync_flush", &self.sync_flush),
        ] {
            o = o
                .uint(&format!("{name}_messages"), r.sent)
                .float(&format!("{name}_msgs_per_sec"), r.msgs_per_sec(), 1)
                .float(&format!("{name}_mb_per_sec"), r.mb_per_sec(), 2)
                .uint(&format!("{name}_latency_p50_us"), r.latency.p50_us)
                .uint(&format!("{name}_latency_p99_us"), r.latency.p99_us)
                .uint(&format!("{name}_latency_max_us"), r.latency.max_us);
        }
        o = o
            .float(
                "batch_ratio_to_disk",
                ratio(self.batched.mb_per_sec(), b.write_mb_per_sec),
                3,
            )
            .float(
                "async_ratio_to_disk",
                ratio(self.pipelined.mb_per_sec(), b.write_mb_per_sec),
                3,
            )
            .float(
                "single_p50_ratio_to_rtt_p50",
                ratio(us(self.single.latency.p50_us), us(b.rtt.p50_us)),
                3,
            )
            .float(
                "single_p99_ratio_to_rtt_p99",
                ratio(us(self.single.latency.p99_us), us(b.rtt.p99_us)),
                3,
            )
            .float(
                "sync_flush_ratio_to_fsyncs",
                ratio(self.sync_flush.msgs_per_sec(), b.fsyncs_per_sec),
                3,
            )
            .float(
                "sync_flush_p50_ratio_to_rtt_p50",
                ratio(us(self.sync_flush.latency.p50_us), us(b.rtt.p50_us)),
                3,
            )
            .uint("errors", self.errors());
        b.json(o, "baseline_").finish()
    }
}

/// Prints the report.
pub fn print(report: &Report, json: bool, count: u64) -> Result<(), String> {
    if json {
        output::line(&report.json(count))
    } else {
        output::block(&report.human())
    }
}
