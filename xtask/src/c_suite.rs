//! `cargo xtask test-c`: the C SDK suite.
//!
//! Builds the `ferrocket` binary and `libferrocket` (dev profile), writes a `ferrocket.pc`
//! beside the library and compiles, through it, every `ffi/tests/c/test_*.c` program and the
//! `examples/c/` programs with `-std=c11 -Wall -Wextra -Werror -pedantic` (the producer
//! example also against `libferrocket.a`), compiles `include/ferrocket.h` as C++, starts
//! `ferrocket standalone --listen 127.0.0.1:0` on a temporary data folder, runs every program
//! against it (`FERROCKET_NAMESRV`), then runs the test programs once more under
//! `valgrind --leak-check=full --error-exitcode=1`. It prints one line per scenario, the time
//! taken, and closes with `N passed, M failed`.

pub mod broker;
pub mod programs;

use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};
use std::time::Instant;

use broker::Broker;
use programs::{Outcome, Tally};

/// How much longer deadlines are under valgrind (the C harness reads it).
const VALGRIND_TIME_SCALE: &str = "10";

/// Paths the suite works with.
pub struct Layout {
    /// The repository root.
    pub root: PathBuf,
    /// `<target>/<profile>`: the `ferrocket` binary and `libferrocket.{so,a}`.
    pub profile_dir: PathBuf,
    /// Where the compiled C programs go.
    pub out_dir: PathBuf,
}

impl Layout {
    /// The layout of cargo profile `profile` (`debug` or `release`).
    pub fn new(profile: &str) -> Layout {
        let root = Path::new(env!("CARGO_MANIFEST_DIR"))
            .parent()
            .expect("xtask/ has a parent")
            .to_owned();
        let target = std::env::var_os("CARGO_TARGET_DIR")
            .map(PathBuf::from)
            .unwrap_or_else(|| root.join("target"));
        let target = if target.is_absolute() {
            target
        } else {
            root.join(target)
        };
        let profile_dir = target.join(profile);
        let out_dir = target.join(format!("c-suite-{profile}"));
        Layout {
            root,
            profile_dir,
            out_dir,
        }
    }
}

/// Runs the suite and prints its summary; the exit code says whether everything passed.
pub fn run() -> ExitCode {
    let started = Instant::now();
    let mut tally = Tally::default();
    if let Err(e) = suite(&Layout::new("debug"), &mut tally) {
        eprintln!("C suite: {e}");
        tally.record("setup", Outcome::Failed);
    }
    eprintln!("\nC suite took {:.1} s", started.elapsed().as_secs_f64());
    println!("{} passed, {} failed", tally.passed, tally.failed);
    if tally.failed == 0 && tally.passed > 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}

fn suite(layout: &Layout, tally: &mut Tally) -> Result<(), String> {
    step("build ferrocket and libferrocket");
    let status = Command::new("cargo")
        .current_dir(&layout.root)
        .args(["build", "-p", "ferrocket-server", "-p", "ferrocket-ffi"])
        .status()
        .map_err(|e| format!("cannot run cargo: {e}"))?;
    if !status.success() {
        return Err("cargo build failed".into());
    }
    step("compile the C programs");
    std::fs::create_dir_all(&layout.out_dir).map_err(|e| format!("create output dir: {e}"))?;
    let pc_dir = programs::write_pkg_config(layout)?;
    let tests = programs::compile_tests(layout, &pc_dir)?;
    let examples = programs::compile_examples(layout, &pc_dir)?;
    tally.record("header_compiles_as_cxx", programs::header_compiles(layout));

    step("start ferrocket standalone");
    let broker = Broker::start(layout)?;
    let env = vec![
        ("FERROCKET_NAMESRV".to_owned(), broker.addr.clone()),
        (
            "FERROCKET_VECTORS_DIR".to_owned(),
            layout.root.join("spec/vectors").display().to_string(),
        ),
        (
            "FERROCKET_DELAY_LEVEL_1_MS".to_owned(),
            broker::DELAY_LEVEL_1_MS.to_string(),
        ),
    ];
    step(&format!("run the C tests against {}", broker.addr));
    for program in &tests {
        programs::run_test(program, &[], &env, tally);
    }
    tally.record("examples", programs::run_examples(&examples, &broker.addr));
    valgrind_pass(&tests, &env, tally);
    broker.stop();
    Ok(())
}

/// Runs every test program under valgrind; the `valgrind_clean` scenario passes when each
/// exits 0 with no error reported.
fn valgrind_pass(tests: &[PathBuf], env: &[(String, String)], tally: &mut Tally) {
    let present = Command::new("valgrind")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    if !present {
        eprintln!(
            "valgrind is not installed: skipping the valgrind_clean scenario \
             (apt-get install valgrind to run it)"
        );
        return;
    }
    step("run the C tests under valgrind --leak-check=full");
    let mut env = env.to_vec();
    env.push((
        "FERROCKET_TEST_TIME_SCALE".to_owned(),
        VALGRIND_TIME_SCALE.to_owned(),
    ));
    let valgrind = ["--leak-check=full", "--error-exitcode=1", "-q"];
    let mut inner = Tally::default();
    for program in tests {
        programs::run_test(program, &valgrind, &env, &mut inner);
    }
    let clean = inner.failed == 0 && inner.passed > 0;
    tally.record(
        "valgrind_clean",
        if clean {
            Outcome::Passed
        } else {
            Outcome::Failed
        },
    );
}

fn step(what: &str) {
    eprintln!("\n--> {what}");
}
