//! `cargo xtask test-python`: the Python SDK suite, from a clean clone.
//!
//! 1. a venv under the cargo target folder (`python3 -m venv target/python-venv`) with
//!    maturin, pytest and mypy from PyPI;
//! 2. the `ferrocket` binary (`cargo build -p ferrocket-server`), which the tests start;
//! 3. `pip install ./bindings/python` into the venv — a debug build here
//!    (`MATURIN_PEP517_ARGS="--profile dev"`) to keep CI in its time budget (users get release
//!    builds), with the venv's maturin (`--no-build-isolation`) and without fetching Rust
//!    (`MATURIN_NO_INSTALL_RUST=1`);
//! 4. pytest on `bindings/python/tests` (`FERROCKET_BIN` names the binary), then
//!    `mypy --strict` on the examples (the typed example among them) and the tests, and
//!    `python -m mypy.stubtest ferrocket`.
//!
//! Each step is printed with the time it took; the first failing step ends the suite.

use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};
use std::time::Instant;

use crate::Suite;

/// PyPI packages the suite needs in its venv.
const PYTHON_PACKAGES: &[&str] = &["maturin>=1.9.4,<2.0", "pytest", "mypy"];

/// The step of `cargo xtask test` that runs this suite.
pub fn suite() -> Suite {
    Suite {
        name: "python sdk",
        program: "cargo",
        args: vec!["xtask", "test-python"],
    }
}

fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("xtask/ has a parent")
        .to_owned()
}

/// `CARGO_TARGET_DIR` (relative to the repository root when relative, as cargo run from
/// the root reads it) or `target/`.
fn target_dir(root: &Path) -> PathBuf {
    match std::env::var_os("CARGO_TARGET_DIR").map(PathBuf::from) {
        Some(dir) if dir.is_absolute() => dir,
        Some(dir) => root.join(dir),
        None => root.join("target"),
    }
}

/// One command of the suite.
struct Step {
    name: &'static str,
    command: Command,
}

fn step(name: &'static str, program: impl AsRef<std::ffi::OsStr>, cwd: &Path) -> Step {
    let mut command = Command::new(program);
    command.current_dir(cwd);
    Step { name, command }
}

/// `PATH` with the venv's `bin` first, as an activated venv has it (maturin's build backend
/// runs the `maturin` it finds there).
fn venv_path(venv: &Path) -> std::ffi::OsString {
    let mut dirs = vec![venv.join("bin")];
    if let Some(path) = std::env::var_os("PATH") {
        dirs.extend(std::env::split_paths(&path));
    }
    std::env::join_paths(dirs).unwrap_or_default()
}

fn steps(root: &Path) -> Vec<Step> {
    let target = target_dir(root);
    let venv = target.join("python-venv");
    let python = venv.join("bin").join("python");
    let package = root.join("bindings").join("python");
    let binary = target.join("debug").join("ferrocket");
    let mut out = Vec::new();
    if !python.exists() {
        let mut s = step("create venv", "python3", root);
        s.command.arg("-m").arg("venv").arg(&venv);
        out.push(s);
    }
    let mut s = step("pip install maturin pytest mypy", &python, root);
    s.command
        .args([
            "-m",
            "pip",
            "install",
            "--quiet",
            "--disable-pip-version-check",
        ])
        .args(PYTHON_PACKAGES);
    out.push(s);
    let mut s = step("build the ferrocket binary", "cargo", root);
    s.command.args(["build", "-p", "ferrocket-server"]);
    out.push(s);
    let mut s = step("pip install ./bindings/python", &python, root);
    s.command
        .args([
            "-m",
            "pip",
            "install",
            "--quiet",
            "--disable-pip-version-check",
        ])
        .args(["--no-build-isolation", "--force-reinstall", "--no-deps"])
        .arg("./bindings/python")
        .env("PATH", venv_path(&venv))
        .env("VIRTUAL_ENV", &venv)
        .env("MATURIN_PEP517_ARGS", "--profile dev")
        .env("MATURIN_NO_INSTALL_RUST", "1");
    out.push(s);
    let mut s = step("pytest", &python, &package);
    s.command
        .args(["-m", "pytest", "-q", "--durations=10", "tests"])
        .env("FERROCKET_BIN", &binary);
    out.push(s);
    let mut s = step("mypy --strict examples tests", &python, &package);
    s.command
        .args(["-m", "mypy", "--strict", "examples", "tests"]);
    out.push(s);
    // From the target folder, so the source tree cannot shadow the installed package.
    let mut s = step("python -m mypy.stubtest ferrocket", &python, &target);
    s.command.args(["-m", "mypy.stubtest", "ferrocket"]);
    out.push(s);
    // Absolute, so the cargo that maturin runs in the package folder builds in the same place.
    for s in &mut out {
        s.command.env("CARGO_TARGET_DIR", &target);
    }
    out
}

/// Runs the suite; see the module doc.
pub fn run() -> ExitCode {
    let root = repo_root();
    let started = Instant::now();
    let mut ok = true;
    for mut s in steps(&root) {
        eprintln!("\n==> python sdk: {}", s.name);
        let t = Instant::now();
        let passed = s.command.status().map(|st| st.success()).unwrap_or(false);
        eprintln!(
            "    {} in {:.1} s",
            if passed { "ok" } else { "FAILED" },
            t.elapsed().as_secs_f64()
        );
        if !passed {
            ok = false;
            break;
        }
    }
    eprintln!(
        "\n==> python sdk suite {} in {:.1} s",
        if ok { "passed" } else { "FAILED" },
        started.elapsed().as_secs_f64()
    );
    if ok {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}
