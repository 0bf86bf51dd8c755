//! `cargo xtask bench-c`: C producer throughput and send latency next to the Rust client's, in
//! one run against one release-built `ferrocket standalone`.
//!
//! Builds `ferrocket` and `libferrocket` in release, compiles `examples/c/bench_produce.c`
//! with `-O2`, starts the broker on `127.0.0.1:0`, warms it up (the first messages into a fresh
//! commit log pay its page faults), then runs each load through `bench_produce` (C) and
//! `ferrocket bench produce --json` (Rust), `ROUNDS` times with the order swapped every round
//! (the machine is shared, so one run proves little), and prints the medians: sync sends from
//! one sender (latency), sync sends from 4 senders, and async sends (throughput), 1 KiB bodies,
//! each run on a fresh topic. Not part of `cargo xtask test`: it needs a release build.

use std::path::Path;
use std::process::{Command, ExitCode};

use crate::c_suite::Layout;
use crate::c_suite::broker::Broker;
use crate::c_suite::programs::{c_command, compile, dynamic_link, write_pkg_config};

/// Body size of every bench message.
const SIZE: &str = "1024";
/// Runs of each load per client.
const ROUNDS: usize = 3;
/// Messages of the warm-up run.
const WARMUP_COUNT: &str = "20000";

/// One load: mode, concurrency, message count.
const LOADS: &[(&str, &str, &str)] = &[
    ("sync", "1", "20000"),
    ("sync", "4", "50000"),
    ("async", "1", "100000"),
];

/// The figures of one run.
#[derive(Debug, Clone, Copy)]
struct Figures {
    msgs_per_sec: f64,
    p50_us: f64,
    p99_us: f64,
}

/// Runs the benchmark and prints both clients' figures.
pub fn run() -> ExitCode {
    match bench() {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("bench-c: {e}");
            ExitCode::FAILURE
        }
    }
}

fn bench() -> Result<(), String> {
    let layout = Layout::new("release");
    let status = Command::new("cargo")
        .current_dir(&layout.root)
        .args([
            "build",
            "--release",
            "-p",
            "ferrocket-server",
            "-p",
            "ferrocket-ffi",
        ])
        .status()
        .map_err(|e| format!("cannot run cargo: {e}"))?;
    if !status.success() {
        return Err("cargo build --release failed".into());
    }
    std::fs::create_dir_all(&layout.out_dir).map_err(|e| format!("create output dir: {e}"))?;
    let pc_dir = write_pkg_config(&layout)?;
    let mut link = dynamic_link(&layout, &pc_dir)?;
    link.push("-O2".into());
    let c_program = layout.out_dir.join("bench_produce");
    compile(
        &layout,
        &layout.root.join("examples/c/bench_produce.c"),
        &c_program,
        &link,
    )?;
    let rust_program = layout.profile_dir.join("ferrocket");
    let broker = Broker::start(&layout)?;
    let clients = Clients {
        c: &c_program,
        rust: &rust_program,
        addr: &broker.addr,
    };
    clients.one(Client::C, ("sync", "1", WARMUP_COUNT), "warmup_c")?;
    clients.one(Client::Rust, ("sync", "1", WARMUP_COUNT), "warmup_rust")?;
    let mut table = Vec::new();
    for (i, load) in LOADS.iter().enumerate() {
        let (mut c, mut rust) = (Vec::new(), Vec::new());
        for round in 0..ROUNDS {
            let order = if round % 2 == 0 {
                [Client::C, Client::Rust]
            } else {
                [Client::Rust, Client::C]
            };
            for client in order {
                let figures = clients.one(client, *load, &format!("{i}_{round}"))?;
                match client {
                    Client::C => c.push(figures),
                    Client::Rust => rust.push(figures),
                }
            }
        }
        table.push((*load, median(&c), median(&rust)));
    }
    broker.stop();
    print_table(&table);
    Ok(())
}

#[derive(Debug, Clone, Copy)]
enum Client {
    C,
    Rust,
}

/// The two bench programs and the broker they load.
struct Clients<'a> {
    c: &'a Path,
    rust: &'a Path,
    addr: &'a str,
}

impl Clients<'_> {
    /// Runs one load with one client on a fresh topic; returns its figures.
    fn one(&self, client: Client, load: (&str, &str, &str), tag: &str) -> Result<Figures, String> {
        let (mode, concurrency, count) = load;
        let pid = std::process::id();
        let (program, args): (&Path, Vec<String>) = match client {
            Client::C => {
                let topic = format!("bench_c_{pid}_{tag}");
                let args = [self.addr, &topic, count, SIZE, concurrency, mode];
                (self.c, args.iter().map(|s| (*s).to_owned()).collect())
            }
            Client::Rust => {
                let topic = format!("bench_rust_{pid}_{tag}");
                let args = [
                    "bench",
                    "produce",
                    "--json",
                    "-n",
                    self.addr,
                    "-t",
                    &topic,
                    "--size",
                    SIZE,
                    "--count",
                    count,
                    "--concurrency",
                    concurrency,
                    "--mode",
                    mode,
                ];
                (self.rust, args.iter().map(|s| (*s).to_owned()).collect())
            }
        };
        let name = program.file_name().and_then(|n| n.to_str()).unwrap_or("?");
        let out = c_command(program)
            .args(&args)
            .output()
            .map_err(|e| format!("cannot run {name}: {e}"))?;
        let text = String::from_utf8_lossy(&out.stdout);
        println!("{client:?}: {}", text.trim());
        if !out.status.success() {
            return Err(format!(
                "{name} failed: {}",
                String::from_utf8_lossy(&out.stderr)
            ));
        }
        Ok(Figures {
            msgs_per_sec: json_number(&text, "msgs_per_sec")?,
            p50_us: json_number(&text, "latency_p50_us")?,
            p99_us: json_number(&text, "latency_p99_us")?,
        })
    }
}

/// The number after `"key":` in a flat JSON object.
fn json_number(text: &str, key: &str) -> Result<f64, String> {
    let pattern = format!("\"{key}\":");
    let at = text
        .find(&pattern)
        .ok_or_else(|| format!("no {key} in `{text}`"))?
        + pattern.len();
    let digits: String = text[at..]
        .chars()
        .take_while(|c| c.is_ascii_digit() || *c == '.')
        .collect();
    digits.parse().map_err(|_| format!("bad {key} in `{text}`"))
}

/// The median of each figure across runs.
fn median(runs: &[Figures]) -> Figures {
    let mid = |f: fn(&Figures) -> f64| {
        let mut v: Vec<f64> = runs.iter().map(f).collect();
        v.sort_by(f64::total_cmp);
        v[v.len() / 2]
    };
    Figures {
        msgs_per_sec: mid(|f| f.msgs_per_sec),
        p50_us: mid(|f| f.p50_us),
        p99_us: mid(|f| f.p99_us),
    }
}

fn print_table(table: &[((&str, &str, &str), Figures, Figures)]) {
    println!(
        "\nmedians of {ROUNDS} runs, {SIZE} B bodies (latency in µs; async latency includes queueing)"
    );
    println!(
        "{:<28} {:>12} {:>12} {:>9} {:>9} {:>9} {:>9}",
        "load", "C msgs/s", "Rust msgs/s", "C p50", "Rust p50", "C p99", "Rust p99"
    );
    for ((mode, concurrency, count), c, rust) in table {
        let load = format!("{mode} x{concurrency}, {count} msgs");
        println!(
            "{load:<28} {:>12.0} {:>12.0} {:>9.0} {:>9.0} {:>9.0} {:>9.0}",
            c.msgs_per_sec, rust.msgs_per_sec, c.p50_us, rust.p50_us, c.p99_us, rust.p99_us
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Numbers are read from both clients' JSON lines.
    #[test]
    fn json_numbers_parse() {
        let line = r#"{"bench":"produce","msgs_per_sec":1234.5,"latency_p50_us":28}"#;
        assert_eq!(json_number(line, "msgs_per_sec"), Ok(1234.5));
        assert_eq!(json_number(line, "latency_p50_us"), Ok(28.0));
        assert!(json_number(line, "latency_p99_us").is_err());
    }
}
