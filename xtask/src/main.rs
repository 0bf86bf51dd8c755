//! `cargo xtask <task>`: project tasks that need more than one cargo command.
//!
//! `cargo xtask test` is the README's one test command and what `.ci/run` calls: it runs the
//! format and lint gates, then every test suite (Rust, and the C, Python and Node SDK suites
//! once they exist), installing what each suite needs, and prints how long each took. It stops
//! at the first failing suite and exits non-zero. `cargo xtask test-c` runs only the C SDK
//! suite (`c_suite`); `cargo xtask bench-c` compares C and Rust producer figures (`c_bench`);
//! `cargo xtask test-python` runs only the Python SDK suite (`python_suite`).

mod c_bench;
mod c_suite;
mod node_suite;
mod python_suite;

use std::process::{Command, ExitCode};
use std::time::{Duration, Instant};

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.first().map(String::as_str) {
        Some("test") => test(),
        Some("test-c") => c_suite::run(),
        Some("bench-c") => c_bench::run(),
        Some(task @ ("test-node" | "bench-node")) => node_suite::task(task),
        Some("test-python") => python_suite::run(),
        _ => {
            eprintln!(
                "usage: cargo xtask test | test-c | bench-c | test-node | bench-node | test-python"
            );
            ExitCode::from(2)
        }
    }
}

/// One step of the test run.
struct Suite {
    name: &'static str,
    program: &'static str,
    args: Vec<&'static str>,
}

fn suites() -> Vec<Suite> {
    let rust_tests = if has_nextest() {
        Suite {
            name: "rust tests (nextest)",
            program: "cargo",
            args: vec!["nextest", "run", "--workspace", "--no-fail-fast"],
        }
    } else {
        Suite {
            name: "rust tests",
            program: "cargo",
            args: vec!["test", "--workspace"],
        }
    };
    vec![
        Suite {
            name: "rustfmt",
            program: "cargo",
            args: vec!["fmt", "--all", "--", "--check"],
        },
        Suite {
            name: "clippy",
            program: "cargo",
            args: vec![
                "clippy",
                "--workspace",
                "--all-targets",
                "--",
                "-D",
                "warnings",
            ],
        },
        rust_tests,
        Suite {
            name: "rust doc tests",
            program: "cargo",
            args: vec!["test", "--workspace", "--doc"],
        },
        Suite {
            name: "C SDK (incl. valgrind)",
            program: "cargo",
            args: vec!["xtask", "test-c"],
        },
        node_suite::suite(),
        python_suite::suite(),
    ]
}

fn test() -> ExitCode {
    let started = Instant::now();
    let mut timings: Vec<(&'static str, Duration, bool)> = Vec::new();
    for suite in suites() {
        eprintln!(
            "\n==> {}: {} {}",
            suite.name,
            suite.program,
            suite.args.join(" ")
        );
        let t = Instant::now();
        let ok = Command::new(suite.program)
            .args(&suite.args)
            .env("CARGO_INCREMENTAL", "0")
            .status()
            .map(|s| s.success())
            .unwrap_or(false);
        timings.push((suite.name, t.elapsed(), ok));
        if !ok {
            break;
        }
    }
    eprintln!("\n==> timings");
    for (name, took, ok) in &timings {
        eprintln!(
            "  {:<28} {:>8.1} s  {}",
            name,
            took.as_secs_f64(),
            if *ok { "ok" } else { "FAILED" }
        );
    }
    eprintln!(
        "  {:<28} {:>8.1} s",
        "total",
        started.elapsed().as_secs_f64()
    );
    if timings.iter().all(|(_, _, ok)| *ok) {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}

fn has_nextest() -> bool {
    Command::new("cargo")
        .args(["nextest", "--version"])
        .output()
        .map(|o| o.status.success())
        .unwrap_or(false)
}
