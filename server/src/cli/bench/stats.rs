//! Measurement helpers of the benchmarks: a latency histogram in microseconds with the
//! percentiles every bench prints, rates, and the carriage-return progress line on stderr
//! (shown only when stderr is a terminal, so logs and pipes stay clean).

use std::io::IsTerminal;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use hdrhistogram::Histogram;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

use crate::cli::output::JsonObject;

/// Highest latency the histograms hold, in µs (longer ones are recorded as this).
const LATENCY_US_MAX: u64 = 600_000_000;
/// How often the progress line is redrawn.
const PROGRESS_EVERY_MS: u64 = 500;

/// Latencies in microseconds.
#[derive(Debug, Clone)]
pub struct Latency {
    hist: Histogram<u64>,
}

impl Default for Latency {
    fn default() -> Latency {
        Latency::new()
    }
}

impl Latency {
    /// An empty histogram (1 µs ..= `LATENCY_US_MAX`, 3 significant digits).
    pub fn new() -> Latency {
        let hist = Histogram::new_with_bounds(1, LATENCY_US_MAX, 3)
            .expect("constant histogram bounds are valid");
        Latency { hist }
    }

    /// Records one duration.
    pub fn record(&mut self, d: Duration) {
        let us = u64::try_from(d.as_micros()).unwrap_or(u64::MAX);
        self.hist.saturating_record(us.clamp(1, LATENCY_US_MAX));
    }

    /// Adds every value of `other`.
    pub fn merge(&mut self, other: &Latency) {
        // Same bounds on both sides, so the addition cannot fail.
        let _ = self.hist.add(&other.hist);
    }

    /// The percentiles printed by the benches.
    pub fn summary(&self) -> LatencySummary {
        let q = |quantile: f64| {
            if self.hist.is_empty() {
                0
            } else {
                self.hist.value_at_quantile(quantile)
            }
        };
        LatencySummary {
            samples: self.hist.len(),
            p50_us: q(0.50),
            p90_us: q(0.90),
            p99_us: q(0.99),
            p999_us: q(0.999),
            max_us: self.hist.max(),
        }
    }
}

/// Latency percentiles in microseconds.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct LatencySummary {
    /// Values recorded.
    pub samples: u64,
    /// Median.
    pub p50_us: u64,
    /// 90th percentile.
    pub p90_us: u64,
    /// 99th percentile.
    pub p99_us: u64,
    /// 99.9th percentile.
    pub p999_us: u64,
    /// Largest.
    pub max_us: u64,
}

impl LatencySummary {
    /// `p50 … max` in one human line.
    pub fn human(&self) -> String {
        format!(
            "p50 {} µs, p90 {} µs, p99 {} µs, p99.9 {} µs, max {} µs",
            self.p50_us, self.p90_us, self.p99_us, self.p999_us, self.max_us
        )
    }

    /// Adds `latency_*_us` fields.
    pub fn json(&self, object: JsonObject) -> JsonObject {
        object
            .uint("latency_p50_us", self.p50_us)
            .uint("latency_p90_us", self.p90_us)
            .uint("latency_p99_us", self.p99_us)
            .uint("latency_p999_us", self.p999_us)
            .uint("latency_max_us", self.max_us)
    }
}

/// `count / elapsed` in events per second.
pub fn per_sec(count: u64, elapsed: Duration) -> f64 {
    let count = count as f64;
    count / elapsed.as_secs_f64().max(1e-9)
}

/// Bytes per second in MiB/s.
pub fn mib_per_sec(bytes: u64, elapsed: Duration) -> f64 {
    per_sec(bytes, elapsed) / (1024.0 * 1024.0)
}

/// Bytes per second in MB/s (10^6, as `dd` prints).
pub fn mb_per_sec(bytes: u64, elapsed: Duration) -> f64 {
    per_sec(bytes, elapsed) / 1e6
}

/// The progress line task; `finish` stops it and clears the line.
#[derive(Debug)]
pub struct Progress {
    task: Option<(oneshot::Sender<()>, JoinHandle<()>)>,
}

impl Progress {
    /// Starts redrawing `label: N msgs, R msgs/s` from `counter` every `PROGRESS_EVERY_MS`,
    /// when stderr is a terminal; otherwise does nothing.
    pub fn start(label: &str, counter: Arc<AtomicU64>) -> Progress {
        if !std::io::stderr().is_terminal() {
            return Progress { task: None };
        }
        let (stop, mut stopped) = oneshot::channel();
        let label = label.to_owned();
        let started = Instant::now();
        let handle = tokio::spawn(async move {
            let mut tick = tokio::time::interval(Duration::from_millis(PROGRESS_EVERY_MS));
            loop {
                tokio::select! {
                    _ = &mut stopped => break,
                    _ = tick.tick() => {}
                }
                let n = counter.load(Ordering::Relaxed);
                let rate = per_sec(n, started.elapsed());
                eprint!("\r{label}: {n} msgs, {rate:.0} msgs/s    ");
            }
            eprint!("\r\x1b[2K");
        });
        Progress {
            task: Some((stop, handle)),
        }
    }

    /// Stops the task and clears the line.
    pub async fn finish(self) {
        if let Some((stop, handle)) = self.task {
            let _ = stop.send(());
            let _ = handle.await;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Percentiles come from recorded values; an empty histogram gives zeros.
    #[test]
    fn percentiles() {
        assert_eq!(Latency::new().summary(), LatencySummary::default());
        let mut a = Latency::new();
        for us in 1..=100u64 {
            a.record(Duration::from_micros(us));
        }
        let mut b = Latency::new();
        b.record(Duration::from_secs(1));
        a.merge(&b);
        let s = a.summary();
        assert_eq!(s.samples, 101);
        assert_eq!(s.p50_us, 51);
        assert!(s.max_us >= 999_000, "{s:?}");
        assert_eq!(per_sec(10, Duration::from_secs(2)), 5.0);
    }
}
