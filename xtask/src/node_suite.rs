//! `cargo xtask test-node`: the Node SDK suite, run the way a user installs the package.
//!
//! Builds the `ferrocket` binary, creates a scratch npm project outside the repository (under
//! the system temp folder), installs `typescript` and `@types/node` there, then runs
//! `npm install <repo>/bindings/node` (the package's `install` script builds the addon from
//! source; `FERROCKET_NODE_PROFILE=debug` keeps that within the CI budget, users get release
//! builds), copies `bindings/node/test/` into the project and runs `node --test` there, so the
//! tests `require('ferrocket')` from the installed package. `FERROCKET_BIN` and
//! `FERROCKET_REPO` tell the tests where the broker and `spec/vectors` are. Prints how long
//! each step took; the scratch project is removed when everything passed.
//!
//! `cargo xtask bench-node` installs the package the same way in release (what users get) and
//! runs `bindings/node/bench/throughput.js`: Node producer and push-listener throughput with
//! 1 KiB messages next to the Rust client's (`ferrocket bench produce` and the
//! `push_listener_bench` example) against one release broker.

use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};
use std::time::Instant;

/// TypeScript and Node types the type-check scenario compiles against.
const TYPE_PACKAGES: &[&str] = &["typescript@~5.9.3", "@types/node@^20.17.0"];

/// `cargo xtask test-node` or `cargo xtask bench-node` (the only tasks `main` sends here).
pub fn task(name: &str) -> ExitCode {
    if name == "bench-node" { bench() } else { run() }
}

/// The Node suite's entry in `cargo xtask test`'s list.
pub fn suite() -> super::Suite {
    super::Suite {
        name: "Node SDK",
        program: "cargo",
        args: vec!["xtask", "test-node"],
    }
}

/// Runs the suite; the exit code says whether it passed.
fn run() -> ExitCode {
    let started = Instant::now();
    let outcome = run_suite();
    eprintln!(
        "\n==> Node suite took {:.1} s",
        started.elapsed().as_secs_f64()
    );
    match outcome {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("Node suite failed: {e}");
            ExitCode::FAILURE
        }
    }
}

fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("xtask/ has a parent")
        .to_owned()
}

fn target_dir(root: &Path) -> PathBuf {
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| root.join("target"));
    if target.is_absolute() {
        target
    } else {
        root.join(target)
    }
}

/// Runs one step, printing its command and how long it took.
fn step(name: &str, command: &mut Command) -> Result<(), String> {
    eprintln!("\n==> {name}");
    let started = Instant::now();
    let status = command
        .status()
        .map_err(|e| format!("{name}: cannot run {command:?}: {e}"))?;
    eprintln!("==> {name}: {:.1} s", started.elapsed().as_secs_f64());
    if status.success() {
        Ok(())
    } else {
        Err(format!("{name}: {status}"))
    }
}

/// A scratch npm project under the system temp folder, removed when dropped (after a
/// success; a failed run leaves it for a look).
struct Scratch {
    dir: PathBuf,
    keep: bool,
}

impl Scratch {
    fn new(name: &str) -> Result<Scratch, String> {
        let dir = std::env::temp_dir().join(format!("{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).map_err(|e| format!("create {dir:?}: {e}"))?;
        let manifest = format!(r#"{{ "name": "{name}", "private": true }}"#);
        std::fs::write(dir.join("package.json"), manifest)
            .map_err(|e| format!("write the scratch package.json: {e}"))?;
        Ok(Scratch { dir, keep: true })
    }

    /// An `npm` command in the project; `debug` builds the addon's debug profile.
    fn npm(&self, args: &[&str], debug: bool) -> Command {
        let mut c = Command::new("npm");
        c.current_dir(&self.dir)
            .args(args)
            .args(["--no-audit", "--no-fund"]);
        if debug {
            c.env("FERROCKET_NODE_PROFILE", "debug");
        }
        c
    }

    /// `npm install <repo>/bindings/node`, as a user installs the package.
    fn install_package(&self, package: &Path, debug: bool) -> Result<(), String> {
        let package_arg = package.to_string_lossy().into_owned();
        step(
            "npm install <repo>/bindings/node (builds the addon)",
            &mut self.npm(&["install", "--foreground-scripts", &package_arg], debug),
        )
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        if !self.keep {
            let _ = std::fs::remove_dir_all(&self.dir);
        }
    }
}

fn run_suite() -> Result<(), String> {
    let root = repo_root();
    let package = root.join("bindings").join("node");
    let bin = target_dir(&root).join("debug").join("ferrocket");
    step(
        "build the ferrocket binary",
        Command::new("cargo")
            .current_dir(&root)
            .args(["build", "--bin", "ferrocket"]),
    )?;
    let mut scratch = Scratch::new("ferrocket-node-suite")?;
    let mut types = vec!["install"];
    types.extend(TYPE_PACKAGES);
    step(
        "npm install typescript @types/node",
        &mut scratch.npm(&types, true),
    )?;
    scratch.install_package(&package, true)?;
    copy_dir(&package.join("test"), &scratch.dir.join("test"))?;
    let tests = test_files(&scratch.dir.join("test"))?;
    step(
        "node --test (in the scratch project)",
        Command::new("node")
            .current_dir(&scratch.dir)
            .args(["--test", "--test-concurrency=1"])
            .args(&tests)
            .env("FERROCKET_BIN", &bin)
            .env("FERROCKET_REPO", &root)
            .env("FERROCKET_NODE_PROFILE", "debug"),
    )?;
    scratch.keep = false;
    Ok(())
}

/// `cargo xtask bench-node`; see the module doc.
fn bench() -> ExitCode {
    match bench_run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("Node bench failed: {e}");
            ExitCode::FAILURE
        }
    }
}

fn bench_run() -> Result<(), String> {
    let root = repo_root();
    let package = root.join("bindings").join("node");
    let release = target_dir(&root).join("release");
    step(
        "build the ferrocket binary and push_listener_bench (release)",
        Command::new("cargo").current_dir(&root).args([
            "build",
            "--release",
            "--bin",
            "ferrocket",
            "--example",
            "push_listener_bench",
            "-p",
            "ferrocket-server",
            "-p",
            "ferrocket-tests",
        ]),
    )?;
    let mut scratch = Scratch::new("ferrocket-node-bench")?;
    scratch.install_package(&package, false)?;
    copy_dir(&package.join("bench"), &scratch.dir.join("bench"))?;
    copy_dir(
        &package.join("test").join("helpers"),
        &scratch.dir.join("test").join("helpers"),
    )?;
    step(
        "node bench/throughput.js",
        Command::new("node")
            .current_dir(&scratch.dir)
            .arg("bench/throughput.js")
            .env("FERROCKET_BIN", release.join("ferrocket"))
            .env(
                "FERROCKET_PUSH_BENCH",
                release.join("examples").join("push_listener_bench"),
            ),
    )?;
    scratch.keep = false;
    Ok(())
}

/// The `*.test.js` files of `dir`, sorted (its helpers and fixtures are not tests).
fn test_files(dir: &Path) -> Result<Vec<PathBuf>, String> {
    let entries = std::fs::read_dir(dir).map_err(|e| format!("read {dir:?}: {e}"))?;
    let mut files: Vec<PathBuf> = entries
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.to_string_lossy().ends_with(".test.js"))
        .collect();
    files.sort();
    if files.is_empty() {
        return Err(format!("no *.test.js files in {dir:?}"));
    }
    Ok(files)
}

/// Copies the files of `from` into `to`, recursively.
fn copy_dir(from: &Path, to: &Path) -> Result<(), String> {
    std::fs::create_dir_all(to).map_err(|e| format!("create {to:?}: {e}"))?;
    let entries = std::fs::read_dir(from).map_err(|e| format!("read {from:?}: {e}"))?;
    for entry in entries {
        let entry = entry.map_err(|e| format!("read {from:?}: {e}"))?;
        let (source, dest) = (entry.path(), to.join(entry.file_name()));
        if source.is_dir() {
            copy_dir(&source, &dest)?;
        } else {
            std::fs::copy(&source, &dest).map_err(|e| format!("copy {source:?}: {e}"))?;
        }
    }
    Ok(())
}
