//! Helpers shared by the tests that run the `ferrocket` binary as a child process.

// Each test binary includes this module and uses only some of it.
#![allow(dead_code)]

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};

/// Starts `ferrocket standalone` on `127.0.0.1:0` with `data_dir` and `extra` arguments, and
/// returns the child with the address it printed on its first stdout line.
pub fn spawn_standalone(data_dir: &Path, extra: &[&str]) -> (Child, String) {
    let data_dir = data_dir.to_str().expect("a UTF-8 data folder");
    let mut args = vec![
        "standalone",
        "--listen",
        "127.0.0.1:0",
        "--data-dir",
        data_dir,
    ];
    args.extend_from_slice(extra);
    spawn(&args, "ferrocket listening on ")
}

/// Starts `ferrocket args…` (logging warnings only) and returns the child with what follows
/// `prefix` on its first stdout line (the address it listens on).
pub fn spawn(args: &[&str], prefix: &str) -> (Child, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_ferrocket"))
        .args(args)
        .env("FERROCKET_LOG", "warn")
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("spawn ferrocket");
    let stdout = child.stdout.take().expect("stdout");
    let mut line = String::new();
    BufReader::new(stdout)
        .read_line(&mut line)
        .expect("read the listening line");
    let addr = line
        .trim()
        .strip_prefix(prefix)
        .unwrap_or_else(|| panic!("unexpected first line {line:?}"))
        .to_owned();
    (child, addr)
}
