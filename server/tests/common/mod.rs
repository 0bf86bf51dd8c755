//! Helpers shared by the tests that run the `ferrocket` binary as a child process.

// Each test binary includes this module and uses only some of it.
#![allow(dead_code)]

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use ferrocket::MessageExt;
use ferrocket::client::Connection;
use ferrocket::protocol::record::decode_records;
use ferrocket::protocol::{ExpressionType, PullRequest, PullStatus};

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

/// An empty folder `ferrocket-{name}-{pid}` in the system temp folder.
pub fn temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("ferrocket-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("temp dir");
    dir
}

/// Every record of queue `queue_id` of `topic` from offset 0, in offset order (each passed its
/// CRC checks: `decode_records` verifies them). A topic that does not exist reads as empty;
/// any other pull error fails the test.
pub async fn read_queue(conn: &Connection, topic: &str, queue_id: u32) -> Vec<MessageExt> {
    let mut out: Vec<MessageExt> = Vec::new();
    loop {
        let request = PullRequest {
            consumer_group: "process-test-verifier".into(),
            topic: topic.into(),
            queue_id,
            queue_offset: out.last().map_or(0, |m| m.queue_offset + 1),
            max_messages: 256,
            max_bytes: 4 * 1024 * 1024,
            suspend_timeout_ms: 0,
            commit_offset: None,
            expression_type: ExpressionType::Tag,
            expression: "*".into(),
        };
        let response = match conn.call(&request, Duration::from_secs(10)).await {
            Ok(response) => response,
            Err(e) if e.to_string().contains("does not exist") => return out,
            Err(e) => panic!("pull failed: {e}"),
        };
        if response.pull_status != PullStatus::Found {
            return out;
        }
        out.extend(decode_records(&response.records).expect("every served record is valid"));
    }
}
