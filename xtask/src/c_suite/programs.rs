//! Compiling and running the C programs of the suite: the pkg-config file, the compiler
//! invocations (C11 with every warning an error), the C++ header check, and running a test
//! program (optionally under valgrind) with a watchdog, echoing its output and reading its
//! closing `N passed, M failed` line.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use super::Layout;

/// Flags every C program of the suite is compiled with.
const C_FLAGS: &[&str] = &[
    "-std=c11",
    "-Wall",
    "-Wextra",
    "-Werror",
    "-pedantic",
    "-pthread",
];
/// Longest run of one test program (valgrind gets `VALGRIND_WATCHDOG`).
const WATCHDOG: Duration = Duration::from_secs(300);
/// Longest run of one test program under valgrind.
const VALGRIND_WATCHDOG: Duration = Duration::from_secs(1200);

/// Whether a check passed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// It passed.
    Passed,
    /// It failed.
    Failed,
}

/// Scenario counts.
#[derive(Debug, Default)]
pub struct Tally {
    /// Scenarios that passed.
    pub passed: u32,
    /// Scenarios that failed.
    pub failed: u32,
}

impl Tally {
    /// Records and prints one scenario run by the suite itself.
    pub fn record(&mut self, name: &str, outcome: Outcome) {
        match outcome {
            Outcome::Passed => self.passed += 1,
            Outcome::Failed => self.failed += 1,
        }
        let word = if outcome == Outcome::Passed {
            "ok    "
        } else {
            "FAILED"
        };
        println!("{word} scenario_{name}");
    }
}

/// A command running a C program of the suite. `cargo run` (so `cargo xtask`) puts its own
/// profile's folders on `LD_LIBRARY_PATH`, which outranks the programs' `-rpath` (a RUNPATH):
/// without removing it, a release-linked program would load the debug `libferrocket.so`.
pub fn c_command(program: impl AsRef<std::ffi::OsStr>) -> Command {
    let mut command = Command::new(program);
    command.env_remove("LD_LIBRARY_PATH");
    command
}

fn compiler(var: &str, default: &str) -> String {
    std::env::var(var).unwrap_or_else(|_| default.to_owned())
}

/// Writes `ferrocket.pc` (from `ffi/ferrocket.pc.in`) for the built library; returns its
/// folder.
pub fn write_pkg_config(layout: &Layout) -> Result<PathBuf, String> {
    let template = std::fs::read_to_string(layout.root.join("ffi/ferrocket.pc.in"))
        .map_err(|e| format!("read ffi/ferrocket.pc.in: {e}"))?;
    let pc = template
        .replace("@PREFIX@", &layout.root.display().to_string())
        .replace("@LIBDIR@", &layout.profile_dir.display().to_string())
        .replace(
            "@INCLUDEDIR@",
            &layout.root.join("include").display().to_string(),
        )
        .replace("@VERSION@", env!("CARGO_PKG_VERSION"));
    let dir = layout.out_dir.join("pkgconfig");
    std::fs::create_dir_all(&dir).map_err(|e| format!("create {}: {e}", dir.display()))?;
    std::fs::write(dir.join("ferrocket.pc"), pc).map_err(|e| format!("write ferrocket.pc: {e}"))?;
    Ok(dir)
}

/// `pkg-config --cflags --libs ferrocket` through the written file, split into arguments;
/// without pkg-config on the machine, the same flags written out (and a note saying so).
fn pkg_config_flags(layout: &Layout, pc_dir: &Path) -> Result<Vec<String>, String> {
    let out = match Command::new("pkg-config")
        .args(["--cflags", "--libs", "ferrocket"])
        .env("PKG_CONFIG_PATH", pc_dir)
        .output()
    {
        Ok(out) => out,
        Err(e) => {
            eprintln!("pkg-config is not available ({e}): linking with explicit flags instead");
            return Ok(vec![
                format!("-I{}", layout.root.join("include").display()),
                format!("-L{}", layout.profile_dir.display()),
                "-lferrocket".to_owned(),
            ]);
        }
    };
    if !out.status.success() {
        return Err(format!(
            "pkg-config --cflags --libs ferrocket failed: {}",
            String::from_utf8_lossy(&out.stderr)
        ));
    }
    Ok(String::from_utf8_lossy(&out.stdout)
        .split_whitespace()
        .map(str::to_owned)
        .collect())
}

/// Compiles `source` to `out` with the suite's flags and `link` arguments after it.
pub fn compile(layout: &Layout, source: &Path, out: &Path, link: &[String]) -> Result<(), String> {
    let cc = compiler("CC", "cc");
    let status = Command::new(&cc)
        .current_dir(&layout.root)
        .args(C_FLAGS)
        .arg(source)
        .arg("-o")
        .arg(out)
        .args(link)
        .status()
        .map_err(|e| format!("cannot run {cc}: {e}"))?;
    if status.success() {
        eprintln!("compiled {}", source.display());
        Ok(())
    } else {
        Err(format!("{cc} failed on {}", source.display()))
    }
}

/// The flags that link `libferrocket.so` through `ferrocket.pc`, with an rpath to it.
pub fn dynamic_link(layout: &Layout, pc_dir: &Path) -> Result<Vec<String>, String> {
    let mut flags = pkg_config_flags(layout, pc_dir)?;
    flags.push(format!("-Wl,-rpath,{}", layout.profile_dir.display()));
    Ok(flags)
}

/// Compiles every `ffi/tests/c/test_*.c`; returns the programs.
pub fn compile_tests(layout: &Layout, pc_dir: &Path) -> Result<Vec<PathBuf>, String> {
    let link = dynamic_link(layout, pc_dir)?;
    let dir = layout.root.join("ffi/tests/c");
    let mut sources: Vec<PathBuf> = std::fs::read_dir(&dir)
        .map_err(|e| format!("read {}: {e}", dir.display()))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| {
            let name = p.file_name().and_then(|n| n.to_str()).unwrap_or("");
            name.starts_with("test_") && name.ends_with(".c")
        })
        .collect();
    sources.sort();
    let mut programs = Vec::new();
    for source in sources {
        let stem = source.file_stem().expect("a test_*.c file").to_owned();
        let out = layout.out_dir.join(stem);
        compile(layout, &source, &out, &link)?;
        programs.push(out);
    }
    Ok(programs)
}

/// The example programs, compiled: the producer (dynamic), the push and pull consumers
/// (dynamic) and the producer linked against `libferrocket.a`.
pub struct Examples {
    producer: PathBuf,
    consumer: PathBuf,
    pull_consumer: PathBuf,
    producer_static: PathBuf,
}

/// Compiles `examples/c/producer.c`, `consumer.c` (push) and `pull_consumer.c`, and the
/// producer once more statically.
pub fn compile_examples(layout: &Layout, pc_dir: &Path) -> Result<Examples, String> {
    let link = dynamic_link(layout, pc_dir)?;
    let examples = layout.root.join("examples/c");
    let producer = layout.out_dir.join("example_producer");
    let consumer = layout.out_dir.join("example_consumer");
    let pull_consumer = layout.out_dir.join("example_pull_consumer");
    let producer_static = layout.out_dir.join("example_producer_static");
    compile(layout, &examples.join("producer.c"), &producer, &link)?;
    compile(layout, &examples.join("consumer.c"), &consumer, &link)?;
    compile(
        layout,
        &examples.join("pull_consumer.c"),
        &pull_consumer,
        &link,
    )?;
    let static_link: Vec<String> = vec![
        format!("-I{}", layout.root.join("include").display()),
        layout
            .profile_dir
            .join("libferrocket.a")
            .display()
            .to_string(),
        "-ldl".into(),
        "-lm".into(),
    ];
    compile(
        layout,
        &examples.join("producer.c"),
        &producer_static,
        &static_link,
    )?;
    Ok(Examples {
        producer,
        consumer,
        pull_consumer,
        producer_static,
    })
}

/// `include/ferrocket.h` compiles as C11 and as C++17 with every warning an error.
pub fn header_compiles(layout: &Layout) -> Outcome {
    let header = layout.root.join("include/ferrocket.h");
    let strict = ["-Wall", "-Wextra", "-Werror", "-pedantic", "-fsyntax-only"];
    let runs = [
        (compiler("CC", "cc"), ["-x", "c", "-std=c11"]),
        (compiler("CXX", "c++"), ["-x", "c++", "-std=c++17"]),
    ];
    let ok = runs.iter().all(|(program, lang)| {
        Command::new(program)
            .args(lang)
            .args(strict)
            .arg(&header)
            .status()
            .is_ok_and(|s| s.success())
    });
    if ok { Outcome::Passed } else { Outcome::Failed }
}

/// Runs a test program (under `wrapper`, e.g. valgrind, when not empty), echoing its output,
/// and adds its closing line's counts to `tally`; a non-zero exit with no failed scenario
/// (a crash, a valgrind error, the watchdog) counts as one failure.
pub fn run_test(program: &Path, wrapper: &[&str], env: &[(String, String)], tally: &mut Tally) {
    let name = program
        .file_name()
        .and_then(|n| n.to_str())
        .unwrap_or("?")
        .to_owned();
    let mut command = if wrapper.is_empty() {
        c_command(program)
    } else {
        let mut c = c_command("valgrind");
        c.args(wrapper).arg(program);
        c
    };
    command
        .envs(env.iter().map(|(k, v)| (k, v)))
        .stdout(Stdio::piped());
    let limit = if wrapper.is_empty() {
        WATCHDOG
    } else {
        VALGRIND_WATCHDOG
    };
    let (code, closing) = match run_with_watchdog(command, limit) {
        Ok(done) => done,
        Err(e) => {
            eprintln!("{name}: {e}");
            tally.failed += 1;
            return;
        }
    };
    let (passed, failed) = closing.as_deref().and_then(parse_closing).unwrap_or((0, 0));
    tally.passed += passed;
    tally.failed += failed;
    if code != Some(0) && failed == 0 {
        eprintln!("{name}: exited with {code:?} and no failed scenario: counted as a failure");
        tally.failed += 1;
    }
}

/// Runs `command` with piped stdout, echoing it; kills it after `limit`. Returns its exit
/// code and its last `… passed, … failed` line.
fn run_with_watchdog(
    mut command: Command,
    limit: Duration,
) -> Result<(Option<i32>, Option<String>), String> {
    let mut child = command.spawn().map_err(|e| format!("cannot start: {e}"))?;
    let stdout = child.stdout.take().expect("stdout is piped");
    let reader = std::thread::spawn(move || {
        let mut closing = None;
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            println!("{line}");
            if parse_closing(&line).is_some() {
                closing = Some(line);
            }
        }
        closing
    });
    let deadline = Instant::now() + limit;
    let status = loop {
        match child.try_wait() {
            Ok(Some(status)) => break status,
            Ok(None) if Instant::now() < deadline => std::thread::sleep(Duration::from_millis(50)),
            Ok(None) => {
                let _ = child.kill();
                let _ = child.wait();
                return Err(format!("killed after {limit:?}"));
            }
            Err(e) => return Err(format!("wait failed: {e}")),
        }
    };
    let closing = reader.join().unwrap_or(None);
    Ok((status.code(), closing))
}

/// Reads `N passed, M failed`.
fn parse_closing(line: &str) -> Option<(u32, u32)> {
    let (passed, failed) = line.trim().split_once(" passed, ")?;
    let failed = failed.strip_suffix(" failed")?;
    Some((passed.parse().ok()?, failed.parse().ok()?))
}

/// The examples work against the broker: the producers send 5 + 1 messages to a fresh topic
/// and each consumer (push, then pull; different groups) reads all 6.
pub fn run_examples(examples: &Examples, addr: &str) -> Outcome {
    let topic = format!("c_examples_{}", std::process::id());
    let runs: [(&Path, Vec<&str>); 4] = [
        (&examples.producer, vec![addr, &topic, "5"]),
        (&examples.producer_static, vec![addr, &topic, "1"]),
        (&examples.consumer, vec![addr, &topic, "6", "5000"]),
        (&examples.pull_consumer, vec![addr, &topic, "6", "5000"]),
    ];
    for (program, args) in runs {
        let ok = c_command(program)
            .args(&args)
            .stdout(Stdio::null())
            .status()
            .is_ok_and(|s| s.success());
        if !ok {
            eprintln!("example {} {} failed", program.display(), args.join(" "));
            return Outcome::Failed;
        }
    }
    Outcome::Passed
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The closing line is read exactly; other lines are not mistaken for it.
    #[test]
    fn closing_line_parses() {
        assert_eq!(parse_closing("5 passed, 0 failed"), Some((5, 0)));
        assert_eq!(parse_closing("  12 passed, 3 failed\n"), Some((12, 3)));
        assert_eq!(parse_closing("ok     scenario_send_sync (3 ms)"), None);
        assert_eq!(parse_closing("x passed, 0 failed"), None);
    }
}
