//! `cargo xtask test-c`: the C SDK suite.
//!
//! Builds the `ferrocket` binary and `libferrocket` (dev profile), writes a `ferrocket.pc`
//! beside the library and compiles, through it, every `ffi/tests/c/test_*.c` program and the
//! `examples/c/` programs with `-std=c11 -Wall -Wextra -Werror -pedantic` (the producer
//! example also against `libferrocket.a`), compiles `include/ferrocket.h` as C++, starts
//! `ferrocket standalone --listen 127.0.0.1:0` on a temporary data folder, runs every program
//! against it (`FERROCKET_NAMESRV`), then runs the test programs once more under
//! `valgrind --leak-check=full --error-exitcode=1`. It prints one line per scenario, the time
//! taken, and closes with `N passed, M failed`. It also checks the library's SONAME and the
//! `.pc` file through `pkg-config` (`linking`).
//!
//! valgrind and pkg-config are installed from Debian packages when missing (`tools`); when
//! valgrind still cannot run, `valgrind_clean` fails, unless `FERROCKET_SKIP_VALGRIND=1` says
//! to skip it, which the suite reports at the start and again beside its summary.

pub mod broker;
pub mod elf;
pub mod linking;
pub mod programs;
pub mod tools;

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
    let skip_valgrind = tools::skip_valgrind(std::env::var(tools::SKIP_VALGRIND).ok().as_deref());
    if skip_valgrind {
        skipped_valgrind_banner();
    }
    if let Err(e) = suite(&Layout::new("debug"), skip_valgrind, &mut tally) {
        eprintln!("C suite: {e}");
        tally.record("setup", Outcome::Failed);
    }
    eprintln!("\nC suite took {:.1} s", started.elapsed().as_secs_f64());
    if skip_valgrind {
        skipped_valgrind_banner();
        println!(
            "SKIPPED scenario_valgrind_clean ({}=1)",
            tools::SKIP_VALGRIND
        );
    }
    println!("{} passed, {} failed", tally.passed, tally.failed);
    if tally.failed == 0 && tally.passed > 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}

fn suite(layout: &Layout, skip_valgrind: bool, tally: &mut Tally) -> Result<(), String> {
    step("check valgrind and pkg-config");
    let valgrind = if skip_valgrind {
        None
    } else {
        Some(tools::ensure(tools::VALGRIND))
    };
    if let Err(e) = tools::ensure(tools::PKG_CONFIG) {
        eprintln!("{e}: the pkg_config scenario will fail");
    }
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
    tally.record("pkg_config", linking::pkg_config(layout, &pc_dir));
    let linked = tests.first().ok_or("no ffi/tests/c/test_*.c program")?;
    tally.record("library_soname", linking::library_soname(layout, linked));

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
    match valgrind {
        None => {}
        Some(Ok(())) => valgrind_pass(&tests, &env, tally),
        Some(Err(e)) => {
            eprintln!(
                "{e}\nvalgrind_clean cannot run: install valgrind, or set {}=1 to skip it",
                tools::SKIP_VALGRIND
            );
            tally.record("valgrind_clean", Outcome::Failed);
        }
    }
    broker.stop();
    Ok(())
}

/// Says, where nobody can miss it, that the valgrind pass was skipped on request.
fn skipped_valgrind_banner() {
    let line = "!".repeat(78);
    eprintln!(
        "\n{line}\n!! {}=1: the valgrind_clean scenario is SKIPPED; this run does not show\n\
         !! that the C SDK is free of leaks and invalid accesses\n{line}",
        tools::SKIP_VALGRIND
    );
}

/// Runs every test program under valgrind; the `valgrind_clean` scenario passes when each
/// exits 0 with no error reported.
fn valgrind_pass(tests: &[PathBuf], env: &[(String, String)], tally: &mut Tally) {
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
