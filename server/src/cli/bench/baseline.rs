//! `bench baseline`: this machine's own limits, measured in this run, so broker figures can
//! be read as fractions of what the hardware allows:
//!
//! 1. loopback TCP round trip: an in-process echo server on `127.0.0.1:0`, `TCP_NODELAY`,
//!    1 KiB ping-pong for `RTT_DURATION_MS` → p50/p99 and round trips/s, the two ends pinned
//!    to two CPUs (with `taskset`) when the machine has two;
//! 2. sequential durable write, like `dd if=/dev/zero of=X bs=1M count=2048 conv=fdatasync`:
//!    `dd_mib` × 1 MiB of zeros, then one `sync_data` → MB/s (10^6, as dd prints);
//! 3. fdatasync rate: 4 KiB writes at increasing offsets of a preallocated file, each followed
//!    by `sync_data`, for `FSYNC_DURATION_MS` → syncs/s.
//!
//! `--dd` also runs the real `dd` with exactly those arguments (spawned directly with an
//! argument vector, never through a shell) as a cross-check. Everything here is blocking I/O;
//! callers run it on a blocking thread.

use std::fs::File;
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use crate::cli::bench::stats::{Latency, LatencySummary, mb_per_sec, per_sec};
use crate::cli::output::JsonObject;

/// How long the round-trip ping-pong runs.
const RTT_DURATION_MS: u64 = 2000;
/// Bytes of one ping (and of its echo).
const RTT_MESSAGE_BYTES: usize = 1024;
/// How long the fdatasync loop runs.
const FSYNC_DURATION_MS: u64 = 1000;
/// Bytes written before each fdatasync.
const FSYNC_WRITE_BYTES: usize = 4096;
/// Size of the preallocated file the fdatasync loop writes into (wraps around at the end).
const FSYNC_FILE_BYTES: usize = 64 * 1024 * 1024;
/// One block of the sequential write.
const WRITE_BLOCK_BYTES: usize = 1024 * 1024;
/// Default MiB of the sequential write (dd's `count=2048`).
pub const DD_MIB_DEFAULT: u64 = 2048;

/// What to measure.
#[derive(Debug, Clone)]
pub struct BaselineSpec {
    /// Folder of the scratch files (the file system under test).
    pub dir: PathBuf,
    /// MiB of the sequential write.
    pub dd_mib: u64,
    /// Also run the real `dd`.
    pub run_dd: bool,
}

/// The machine's limits.
#[derive(Debug, Clone)]
pub struct Baseline {
    /// Loopback round-trip latency.
    pub rtt: LatencySummary,
    /// Round trips per second of one connection.
    pub round_trips_per_sec: f64,
    /// Whether the two ends of the round trip were pinned to two different CPUs.
    pub rtt_cross_cpu: bool,
    /// MiB written by the sequential write.
    pub write_mib: u64,
    /// Sequential durable write, MB/s.
    pub write_mb_per_sec: f64,
    /// fdatasyncs per second.
    pub fsyncs_per_sec: f64,
    /// Latency of one 4 KiB write + fdatasync.
    pub fsync: LatencySummary,
    /// The real dd's MB/s, when run.
    pub dd_mb_per_sec: Option<f64>,
}

impl Baseline {
    /// Human lines.
    pub fn human(&self, dir: &Path) -> String {
        let mut out = format!(
            "loopback TCP round trip (1 KiB ping-pong, TCP_NODELAY, {}): p50 {} µs, p99 {} µs, {:.0} round trips/s\n\
             sequential durable write ({} × 1 MiB + fdatasync, in {}): {:.1} MB/s\n\
             fdatasync (4 KiB writes into a preallocated file): {:.0} syncs/s, p50 {} µs, p99 {} µs\n",
            if self.rtt_cross_cpu {
                "ends pinned to two CPUs"
            } else {
                "ends not pinned"
            },
            self.rtt.p50_us,
            self.rtt.p99_us,
            self.round_trips_per_sec,
            self.write_mib,
            dir.display(),
            self.write_mb_per_sec,
            self.fsyncs_per_sec,
            self.fsync.p50_us,
            self.fsync.p99_us,
        );
        if let Some(dd) = self.dd_mb_per_sec {
            out.push_str(&format!(
                "dd bs=1M count={} conv=fdatasync: {dd:.1} MB/s\n",
                self.write_mib
            ));
        }
        out
    }

    /// Adds the baseline fields to a JSON object, each name prefixed with `prefix`.
    pub fn json(&self, object: JsonObject, prefix: &str) -> JsonObject {
        let k = |name: &str| format!("{prefix}{name}");
        let object = object
            .uint(&k("rtt_p50_us"), self.rtt.p50_us)
            .uint(&k("rtt_p99_us"), self.rtt.p99_us)
            .float(&k("round_trips_per_sec"), self.round_trips_per_sec, 0)
            .bool(&k("rtt_cross_cpu"), self.rtt_cross_cpu)
            .uint(&k("write_mib"), self.write_mib)
            .float(&k("write_mb_per_sec"), self.write_mb_per_sec, 1)
            .float(&k("fsyncs_per_sec"), self.fsyncs_per_sec, 0)
            .uint(&k("fsync_p50_us"), self.fsync.p50_us)
            .uint(&k("fsync_p99_us"), self.fsync.p99_us);
        match self.dd_mb_per_sec {
            Some(dd) => object.float(&k("dd_mb_per_sec"), dd, 1),
            None => object,
        }
    }
}

/// Runs the three measurements (and `dd` when asked); blocking.
pub fn measure(spec: &BaselineSpec) -> Result<Baseline, String> {
    let rtt = loopback_rtt(Duration::from_millis(RTT_DURATION_MS))
        .map_err(|e| format!("loopback round trip: {e}"))?;
    let scratch = |what: &str| {
        spec.dir.join(format!(
            "ferrocket-baseline-{what}-{}.tmp",
            std::process::id()
        ))
    };
    let write_path = scratch("write");
    let written = sequential_write(&write_path, spec.dd_mib);
    let _ = std::fs::remove_file(&write_path);
    let write_elapsed =
        written.map_err(|e| format!("sequential write to {}: {e}", write_path.display()))?;
    let sync_path = scratch("fsync");
    let synced = fsync_rate(&sync_path, Duration::from_millis(FSYNC_DURATION_MS));
    let _ = std::fs::remove_file(&sync_path);
    let (fsync, syncs, sync_elapsed) =
        synced.map_err(|e| format!("fdatasync loop in {}: {e}", sync_path.display()))?;
    let dd_mb_per_sec = if spec.run_dd {
        let dd_path = scratch("dd");
        let dd = run_dd(&dd_path, spec.dd_mib);
        let _ = std::fs::remove_file(&dd_path);
        Some(dd?)
    } else {
        None
    };
    Ok(Baseline {
        rtt: rtt.latency.summary(),
        round_trips_per_sec: per_sec(rtt.count, rtt.elapsed),
        rtt_cross_cpu: rtt.pinned,
        write_mib: spec.dd_mib,
        write_mb_per_sec: mb_per_sec(spec.dd_mib * WRITE_BLOCK_BYTES as u64, write_elapsed),
        fsyncs_per_sec: per_sec(syncs, sync_elapsed),
        fsync: fsync.summary(),
        dd_mb_per_sec,
    })
}

/// What the round-trip measurement saw.
struct RoundTrips {
    latency: Latency,
    count: u64,
    elapsed: Duration,
    /// Whether the two ends ran pinned to two different CPUs.
    pinned: bool,
}

/// Ping-pongs 1 KiB over loopback for `duration`, the echo end and the client end each on a
/// thread of its own pinned to a different CPU when possible: left to the scheduler, the two
/// threads sometimes share a core and the round trip drops from a cross-core wake-up (tens
/// of µs on a VM) to a few µs, so the figure would flip between runs.
fn loopback_rtt(duration: Duration) -> std::io::Result<RoundTrips> {
    let listener = TcpListener::bind("127.0.0.1:0")?;
    let addr = listener.local_addr()?;
    let two_cpus = std::thread::available_parallelism().is_ok_and(|n| n.get() >= 2);
    let echo = std::thread::spawn(move || -> std::io::Result<bool> {
        let pinned = two_cpus && pin_current_thread(0);
        let (mut stream, _) = listener.accept()?;
        stream.set_nodelay(true)?;
        let mut buf = [0u8; RTT_MESSAGE_BYTES];
        // The client closing its end ends the loop with an error; that is the normal exit.
        while stream.read_exact(&mut buf).is_ok() {
            stream.write_all(&buf)?;
        }
        Ok(pinned)
    });
    let client = std::thread::spawn(move || -> std::io::Result<RoundTrips> {
        let pinned = two_cpus && pin_current_thread(1);
        let mut client = TcpStream::connect(addr)?;
        client.set_nodelay(true)?;
        let ping = [7u8; RTT_MESSAGE_BYTES];
        let mut pong = [0u8; RTT_MESSAGE_BYTES];
        let mut latency = Latency::new();
        let mut count = 0u64;
        let started = Instant::now();
        while started.elapsed() < duration {
            let t = Instant::now();
            client.write_all(&ping)?;
            client.read_exact(&mut pong)?;
            latency.record(t.elapsed());
            count += 1;
        }
        let elapsed = started.elapsed();
        Ok(RoundTrips {
            latency,
            count,
            elapsed,
            pinned,
        })
    });
    let panicked = || std::io::Error::other("a round-trip thread panicked");
    let measured = client.join().map_err(|_| panicked())?;
    let echo_pinned = echo.join().map_err(|_| panicked())??;
    let mut measured = measured?;
    measured.pinned &= echo_pinned;
    Ok(measured)
}

/// Pins the calling thread to `cpu` with `taskset -p -c CPU TID` (spawned directly, no
/// shell); the thread id comes from `/proc/thread-self`. False when that is not possible.
fn pin_current_thread(cpu: usize) -> bool {
    let Ok(link) = std::fs::read_link("/proc/thread-self") else {
        return false;
    };
    let Some(tid) = link.file_name().and_then(|n| n.to_str()) else {
        return false;
    };
    std::process::Command::new("taskset")
        .args(["-p", "-c", &cpu.to_string(), tid])
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .status()
        .is_ok_and(|status| status.success())
}

/// Writes `mib` MiB of zeros to a new file, then `sync_data`; returns the time it took.
fn sequential_write(path: &Path, mib: u64) -> std::io::Result<Duration> {
    let block = vec![0u8; WRITE_BLOCK_BYTES];
    let started = Instant::now();
    let mut file = File::create(path)?;
    for _ in 0..mib {
        file.write_all(&block)?;
    }
    file.sync_data()?;
    Ok(started.elapsed())
}

/// Preallocates a file, then writes 4 KiB + `sync_data` in a loop for `duration`.
fn fsync_rate(path: &Path, duration: Duration) -> std::io::Result<(Latency, u64, Duration)> {
    let file = File::create(path)?;
    let zeros = vec![0u8; WRITE_BLOCK_BYTES];
    for offset in (0..FSYNC_FILE_BYTES).step_by(WRITE_BLOCK_BYTES) {
        file.write_all_at(&zeros, offset as u64)?;
    }
    file.sync_all()?;
    let page = [1u8; FSYNC_WRITE_BYTES];
    let slots = (FSYNC_FILE_BYTES / FSYNC_WRITE_BYTES) as u64;
    let mut latency = Latency::new();
    let mut count = 0u64;
    let started = Instant::now();
    while started.elapsed() < duration {
        let offset = (count % slots) * FSYNC_WRITE_BYTES as u64;
        let t = Instant::now();
        file.write_all_at(&page, offset)?;
        file.sync_data()?;
        latency.record(t.elapsed());
        count += 1;
    }
    Ok((latency, count, started.elapsed()))
}

/// Runs `dd if=/dev/zero of=PATH bs=1M count=MIB conv=fdatasync` and computes MB/s from the
/// bytes and seconds it reports.
fn run_dd(path: &Path, mib: u64) -> Result<f64, String> {
    let output = std::process::Command::new("dd")
        .arg("if=/dev/zero")
        .arg(format!("of={}", path.display()))
        .arg("bs=1M")
        .arg(format!("count={mib}"))
        .arg("conv=fdatasync")
        .env("LC_ALL", "C")
        .output()
        .map_err(|e| format!("cannot run dd: {e}"))?;
    let stderr = String::from_utf8_lossy(&output.stderr);
    if !output.status.success() {
        return Err(format!("dd failed ({}): {}", output.status, stderr.trim()));
    }
    parse_dd(&stderr).ok_or_else(|| format!("cannot read dd's report: {}", stderr.trim()))
}

/// Reads MB/s from dd's last line: `BYTES bytes (…, …) copied, SECONDS s, RATE`.
fn parse_dd(report: &str) -> Option<f64> {
    let line = report.lines().rev().find(|l| l.contains(" copied"))?;
    let bytes: u64 = line.split_whitespace().next()?.parse().ok()?;
    let (_, after) = line.split_once(" copied, ")?;
    let seconds: f64 = after.split_once(" s")?.0.trim().parse().ok()?;
    let bytes = bytes as f64;
    (seconds > 0.0).then(|| bytes / 1e6 / seconds)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// dd's GNU report parses to bytes ÷ seconds; other text does not parse.
    #[test]
    fn parses_dd_report() {
        let report = "2048+0 records in\n2048+0 records out\n\
                      2147483648 bytes (2.1 GB, 2.0 GiB) copied, 8.5 s, 253 MB/s\n";
        let mb = parse_dd(report).unwrap();
        assert!((mb - 252.645).abs() < 0.01, "{mb}");
        let small = "67108864 bytes (67 MB, 64 MiB) copied, 0.0433119 s, 1.5 GB/s\n";
        let mb = parse_dd(small).unwrap();
        assert!((mb - 1549.45).abs() < 0.1, "{mb}");
        assert_eq!(parse_dd("dd: no space left"), None);
    }
}
