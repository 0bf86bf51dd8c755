//! The `ferrocket` client commands end to end: a `ferrocket standalone` child process on
//! `127.0.0.1:0` with a temporary data folder, driven by the same binary's `admin`, `produce`,
//! `consume` and `bench` commands. Checks outputs, `--json` shapes and exit codes (0 ok,
//! 1 runtime error, 2 usage error).

mod common;

use std::collections::BTreeSet;
use std::io::Write;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::mpsc;
use std::time::{Duration, Instant};

/// Longest any one command of these tests may run.
const COMMAND_TIMEOUT: Duration = Duration::from_secs(60);

/// A `ferrocket standalone` child process with its own data folder.
struct Server {
    child: Child,
    addr: String,
    dir: PathBuf,
}

impl Server {
    fn start() -> Server {
        Server::start_with(&[])
    }

    /// A server with extra `--set key=value` settings.
    fn start_with(settings: &[&str]) -> Server {
        static COUNTER: AtomicU32 = AtomicU32::new(0);
        let n = COUNTER.fetch_add(1, Ordering::Relaxed);
        let dir = std::env::temp_dir().join(format!("ferrocket-cli-{}-{n}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("temp dir");
        let mut args = vec!["--set", "segment_size=16777216"];
        for setting in settings {
            args.extend(["--set", setting]);
        }
        let (child, addr) = common::spawn_standalone(&dir, &args);
        Server { child, addr, dir }
    }

    /// Runs `ferrocket WORDS -n ADDR`, `words` split at blanks.
    fn run(&self, words: &str) -> Outcome {
        self.run_with_stdin(words, "")
    }

    /// Runs `ferrocket WORDS -n ADDR` with `stdin` as its input.
    fn run_with_stdin(&self, words: &str, stdin: &str) -> Outcome {
        let mut args: Vec<&str> = words.split_whitespace().collect();
        args.extend(["-n", &self.addr]);
        ferrocket(&args, stdin)
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// What a command did.
#[derive(Debug)]
struct Outcome {
    code: i32,
    stdout: String,
    stderr: String,
    elapsed: Duration,
}

impl Outcome {
    fn ok(self) -> Outcome {
        assert_eq!(self.code, 0, "command failed: {self:?}");
        self
    }

    fn lines(&self) -> Vec<&str> {
        self.stdout.lines().collect()
    }
}

/// Runs the binary with `args`, feeding `stdin`, killing it after `COMMAND_TIMEOUT`.
fn ferrocket(args: &[&str], stdin: &str) -> Outcome {
    let started = Instant::now();
    let mut child = Command::new(env!("CARGO_BIN_EXE_ferrocket"))
        .args(args)
        .env_remove("NAMESRV_ADDR")
        .env_remove("FERROCKET_LOG")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn ferrocket");
    let mut input = child.stdin.take().expect("stdin");
    input.write_all(stdin.as_bytes()).expect("write stdin");
    drop(input);
    let pid = child.id();
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let _ = tx.send(child.wait_with_output());
    });
    let output = match rx.recv_timeout(COMMAND_TIMEOUT) {
        Ok(output) => output.expect("wait for ferrocket"),
        Err(_) => {
            let _ = Command::new("kill")
                .args(["-KILL", &pid.to_string()])
                .status();
            panic!(
                "`ferrocket {}` did not finish in {COMMAND_TIMEOUT:?}",
                args.join(" ")
            );
        }
    };
    Outcome {
        code: output.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
        elapsed: started.elapsed(),
    }
}

/// The number after `"key":` in flat JSON text.
fn json_number(json: &str, key: &str) -> f64 {
    let pattern = format!("\"{key}\":");
    let start = json
        .find(&pattern)
        .unwrap_or_else(|| panic!("no `{key}` in {json}"))
        + pattern.len();
    let rest = &json[start..];
    let end = rest.find([',', '}']).unwrap_or(rest.len());
    rest[..end]
        .parse()
        .unwrap_or_else(|e| panic!("`{key}` is not a number in {json}: {e}"))
}

/// The value of `key=` in a consume line: `body=` is the rest of the line, the other fields
/// are single words before it.
fn field<'a>(line: &'a str, key: &str) -> &'a str {
    let (head, body) = line
        .split_once(" body=")
        .unwrap_or_else(|| panic!("no body in {line}"));
    if key == "body" {
        return body;
    }
    head.split(' ')
        .find_map(|kv| kv.strip_prefix(key)?.strip_prefix('='))
        .unwrap_or_else(|| panic!("no {key} in {line}"))
}

/// Topic create, describe, list, update and delete, in both spellings, with their outputs,
/// `--json` shapes and exit codes.
#[test]
fn admin_topic_lifecycle() {
    let server = Server::start();
    let created = server.run("admin topic create Orders --queues 3").ok();
    let expected = "created topic Orders (3 read / 3 write queues, perm rw, order false)";
    assert!(created.stdout.starts_with(expected), "{created:?}");
    let again = server.run("admin topic create Orders");
    assert_eq!(again.code, 1, "{again:?}");
    assert!(again.stderr.contains("TOPIC_EXIST_ALREADY"), "{again:?}");

    let list = server.run("admin topic list").ok();
    assert_eq!(
        list.lines(),
        vec![
            "TOPIC   READ  WRITE  PERM  ORDER",
            "Orders  3     3      rw    false"
        ]
    );
    let json = server.run("admin topic list --json").ok().stdout;
    let row = r#"{"topic":"Orders","read_queue_count":3,"write_queue_count":3,"perm":"rw","order":false}"#;
    assert_eq!(json.trim(), format!("[{row}]"));

    let described = server.run("admin topic describe Orders --json").ok().stdout;
    assert!(
        described.starts_with(r#"{"topic":"Orders","#),
        "{described}"
    );
    let queue = r#"{"queue_id":2,"min_offset":0,"max_offset":0,"last_store_timestamp_ms":0}"#;
    assert!(described.contains(queue), "{described}");
    let human = server.run("admin topic describe Orders").ok();
    assert_eq!(human.lines().len(), 2 + 3, "{human:?}");

    server
        .run("admin topic update Orders --write-queues 2 --perm r --order")
        .ok();
    let updated = server.run("admin topic describe Orders --json").ok().stdout;
    let config = r#""read_queue_count":3,"write_queue_count":2,"perm":"r","order":true"#;
    assert!(updated.contains(config), "{updated}");

    server
        .run("admin updateTopic -t Legacy -r 2 -w 2 -p 6")
        .ok();
    assert_eq!(
        server.run("admin topicList").ok().lines(),
        vec!["Legacy", "Orders"]
    );
    server.run("admin deleteTopic -t Legacy").ok();
    server.run("admin topic delete Orders").ok();
    assert_eq!(
        server.run("admin topic list --json").ok().stdout.trim(),
        "[]"
    );
    let missing = server.run("admin topic describe Orders");
    assert_eq!(missing.code, 1, "{missing:?}");
    assert!(missing.stderr.contains("TOPIC_NOT_EXIST"), "{missing:?}");
}

/// Stdin lines become messages with their tags, keys and properties; `consume` prints exactly
/// them; generated messages follow; `--max` in mid-batch leaves the rest for the next run.
#[test]
fn produce_and_consume() {
    let server = Server::start();
    let produce = "produce -t Lines --tags TagA --keys k1 --keys k2 --property region=eu";
    let sent = server
        .run_with_stdin(produce, "first\nsecond\nthird\n")
        .ok();
    assert_eq!(sent.lines().len(), 3, "{sent:?}");
    for line in sent.lines() {
        assert!(line.starts_with("SEND_OK msg_id="), "{line}");
        assert!(
            line.contains(" queue=Lines@") && line.contains(" queue_offset="),
            "{line}"
        );
    }
    let consume = "consume -t Lines --group G1 --from-beginning --max 3 --print-properties";
    let read = server.run(&format!("{consume} --timeout-ms 20000")).ok();
    let bodies: BTreeSet<&str> = read.lines().iter().map(|l| field(l, "body")).collect();
    assert_eq!(
        bodies,
        BTreeSet::from(["first", "second", "third"]),
        "{read:?}"
    );
    for line in read.lines() {
        assert_eq!(field(line, "tags"), "TagA", "{line}");
        assert_eq!(field(line, "keys"), "k1,k2", "{line}");
        assert_eq!(field(line, "properties"), "region=eu", "{line}");
    }

    let generated = server.run("produce -t Lines --count 50 --size 100").ok();
    assert!(
        generated.stdout.starts_with("sent 50 messages, 0 errors"),
        "{generated:?}"
    );
    // --from-beginning again: a queue the group never committed (empty at the first run)
    // starts at its first message rather than its end.
    let rest = "consume -t Lines --group G1 --from-beginning --max 50 --timeout-ms 20000";
    let read = server.run(rest).ok();
    assert_eq!(read.lines().len(), 50, "{read:?}");
    assert!(read.lines().iter().all(|l| field(l, "body").len() == 100));
    let drained = server
        .run("consume -t Lines --group G1 --timeout-ms 300")
        .ok();
    assert_eq!(drained.stdout, "", "G1 committed everything it printed");

    let first = server
        .run("consume -t Lines -g G2 --from-beginning --max 1")
        .ok();
    let others = server
        .run("consume -t Lines -g G2 --from-beginning --timeout-ms 1000")
        .ok();
    let mut ids: BTreeSet<&str> = others.lines().iter().map(|l| field(l, "msg_id")).collect();
    ids.insert(field(first.lines()[0], "msg_id"));
    assert_eq!(
        ids.len(),
        53,
        "every message once across the two runs: {others:?}"
    );
    assert_eq!(others.lines().len(), 52, "{others:?}");
}

/// `bench produce`, `bench consume` and `bench baseline` print flat JSON with sane numbers.
#[test]
fn bench_json() {
    let server = Server::start();
    let bench = "bench produce -t Bench --count 2000 --concurrency 2 --json";
    let produced = server.run(bench).ok().stdout;
    assert!(
        produced.starts_with('{') && produced.trim_end().ends_with('}'),
        "{produced}"
    );
    assert_eq!(json_number(&produced, "count"), 2000.0, "{produced}");
    assert_eq!(json_number(&produced, "errors"), 0.0, "{produced}");
    for key in [
        "msgs_per_sec",
        "mib_per_sec",
        "latency_p50_us",
        "latency_max_us",
    ] {
        assert!(json_number(&produced, key) > 0.0, "{key}: {produced}");
    }
    let consumed = server.run("bench consume -t Bench --json").ok().stdout;
    assert_eq!(json_number(&consumed, "target"), 2000.0, "{consumed}");
    assert_eq!(json_number(&consumed, "count"), 2000.0, "{consumed}");
    assert!(json_number(&consumed, "msgs_per_sec") > 0.0, "{consumed}");

    let baseline = ferrocket(&["bench", "baseline", "--dd-mib", "16", "--json"], "").ok();
    let baseline = baseline.stdout;
    for key in [
        "rtt_p50_us",
        "round_trips_per_sec",
        "write_mb_per_sec",
        "fsyncs_per_sec",
    ] {
        assert!(json_number(&baseline, key) > 0.0, "{key}: {baseline}");
    }
    assert_eq!(json_number(&baseline, "write_mib"), 16.0, "{baseline}");
}

/// Usage errors exit 2 naming the problem; an unreachable name server exits 1 at once with a
/// message naming it.
#[test]
fn usage_and_runtime_errors() {
    let no_topic = ferrocket(&["produce"], "");
    assert_eq!(no_topic.code, 2, "{no_topic:?}");
    assert!(no_topic.stderr.contains("--topic"), "{no_topic:?}");
    let bad_property = ferrocket(&["produce", "-t", "T", "--property", "novalue"], "");
    assert_eq!(bad_property.code, 2, "{bad_property:?}");
    assert!(
        bad_property.stderr.contains("--property"),
        "{bad_property:?}"
    );
    let bad_mode = ferrocket(
        &[
            "bench", "produce", "-t", "T", "--mode", "async", "--batch", "4",
        ],
        "",
    );
    assert_eq!(bad_mode.code, 2, "{bad_mode:?}");

    for words in [
        "produce -t T",
        "consume -t T",
        "admin topic list",
        "bench produce -t T",
    ] {
        let mut args: Vec<&str> = words.split_whitespace().collect();
        args.extend(["-n", "127.0.0.1:1"]);
        let failed = ferrocket(&args, "hello\n");
        assert_eq!(failed.code, 1, "{failed:?}");
        assert!(failed.stderr.contains("error: "), "{failed:?}");
        assert!(failed.stderr.contains("127.0.0.1:1"), "{failed:?}");
        assert!(failed.stdout.is_empty(), "{failed:?}");
        assert!(failed.elapsed < Duration::from_secs(10), "{failed:?}");
    }
}

/// `consume --sql` prints only the matching messages, a bad condition fails with its position,
/// `admin message query --key/--id` finds a message and `admin message track --id` lists the
/// group that consumed it.
#[test]
fn sql_consume_query_and_track() {
    let server = Server::start();
    server
        .run_with_stdin("produce -t Feat --keys order-1 --property a=7", "seven\n")
        .ok();
    let sent = server
        .run_with_stdin("produce -t Feat --keys order-2 --property a=2", "two\n")
        .ok();
    let msg_id = sent.lines()[0]
        .split(' ')
        .find_map(|kv| kv.strip_prefix("msg_id="))
        .expect("msg_id")
        .to_owned();
    let read = server
        .run("consume -t Feat --group S1 --from-beginning --sql a>5 --max 1 --timeout-ms 20000")
        .ok();
    let bodies: Vec<&str> = read.lines().iter().map(|l| field(l, "body")).collect();
    assert_eq!(bodies, ["seven"], "{read:?}");
    let bad = server.run("consume -t Feat --sql a> --max 1 --timeout-ms 500");
    assert_eq!(bad.code, 1, "{bad:?}");
    assert!(bad.stderr.contains("at position 3"), "{bad:?}");
    let by_key = server.run("admin message query -t Feat --key order-2").ok();
    assert_eq!(field(by_key.lines()[0], "body"), "two", "{by_key:?}");
    let offset_id = field(by_key.lines()[0], "offset_msg_id").to_owned();
    for id in [&msg_id, &offset_id] {
        let by_id = server.run(&format!("admin message query --id {id}")).ok();
        assert_eq!(field(by_id.lines()[0], "body"), "two", "{by_id:?}");
    }
    server
        .run("consume -t Feat --group T1 --from-beginning --max 2 --timeout-ms 20000")
        .ok();
    let track = server
        .run(&format!("admin message track --id {msg_id}"))
        .ok();
    let group = track
        .lines()
        .into_iter()
        .find(|l| l.starts_with("group=T1"));
    assert!(
        group.is_some_and(|l| l.contains(" state=CONSUMED ")),
        "{track:?}"
    );
}

/// `admin group create|update|list|delete` end to end: RocketMQ's defaults, update keeping
/// unset values, clear errors for an existing or missing group, and a consumer of a group
/// whose consumption is disabled told why on stderr.
#[test]
fn admin_group_lifecycle() {
    let server = Server::start();
    let created = server
        .run("admin group create G1 --max-retries 3 --broadcast-enable false")
        .ok();
    let expected = "created group G1 (consume on, broadcast off, 1 retry queue(s), 3 retries, \
                    read broker 0, slow read broker 1) on ";
    assert!(created.stdout.starts_with(expected), "{created:?}");
    let again = server.run("admin group create G1");
    assert_eq!(again.code, 1, "{again:?}");
    assert!(again.stderr.contains("already exists"), "{again:?}");
    let missing = server.run("admin group update Nope --max-retries 1");
    assert_eq!(missing.code, 1, "{missing:?}");
    assert!(
        missing.stderr.contains("SUBSCRIPTION_GROUP_NOT_EXIST"),
        "{missing:?}"
    );
    let updated = server
        .run("admin group update G1 --consume-enable false")
        .ok();
    assert!(
        updated
            .stdout
            .contains("(consume off, broadcast off, 1 retry queue(s), 3 retries"),
        "{updated:?}"
    );
    let listed = server.run("admin group list --json").ok().stdout;
    assert!(
        listed.contains(r#""group":"G1","#) && listed.contains(r#""consume_enable":false"#),
        "{listed}"
    );
    server.run_with_stdin("produce -t Off", "x\n").ok();
    let refused = server
        .run("consume -t Off -g G1 --from-beginning --timeout-ms 1500")
        .ok();
    assert_eq!(refused.stdout, "", "nothing consumed: {refused:?}");
    assert!(
        refused.stderr.contains("`G1` may not consume"),
        "the reason is logged: {refused:?}"
    );
    server.run("admin group delete G1 --remove-offsets").ok();
    let listed = server.run("admin group list").ok().stdout;
    assert!(!listed.contains("G1 "), "{listed}");
}

/// The lines of a `consume` run, by body.
fn bodies(out: &Outcome) -> BTreeSet<String> {
    out.lines()
        .iter()
        .map(|l| field(l, "body").to_owned())
        .collect()
}

/// `consume` is a push consumer: `-s` tag expressions, `--orderly` (per-queue order),
/// `--broadcast` (local offsets: a second run sees nothing new); `admin group progress` (and
/// its alias `describe`) shows the group's offsets.
#[test]
fn consume_push_modes_and_progress() {
    let server = Server::start();
    server
        .run_with_stdin("produce -t Modes --tags TagA", "a1\na2\na3\n")
        .ok();
    server
        .run_with_stdin("produce -t Modes --tags TagB", "b1\nb2\nb3\n")
        .ok();
    let tagged = server
        .run("consume -t Modes -g C1 --from-beginning -s TagA --max 3 --timeout-ms 20000")
        .ok();
    assert_eq!(
        bodies(&tagged),
        BTreeSet::from(["a1", "a2", "a3"].map(String::from))
    );
    let orderly = server
        .run("consume -t Modes -g C2 --from-beginning --orderly --max 6 --timeout-ms 20000")
        .ok();
    assert_eq!(orderly.lines().len(), 6, "{orderly:?}");
    let mut last: std::collections::BTreeMap<&str, u64> = Default::default();
    for line in orderly.lines() {
        let offset: u64 = field(line, "offset").parse().unwrap();
        let queue = field(line, "queue");
        assert!(last.get(queue).is_none_or(|l| *l < offset), "{orderly:?}");
        last.insert(queue, offset);
    }
    let dir = server.dir.join("broadcast-offsets");
    let dir = dir.to_str().unwrap();
    let broadcast =
        format!("consume -t Modes -g C3 --from-beginning --broadcast --offset-dir {dir}");
    let first = server
        .run(&format!("{broadcast} --max 6 --timeout-ms 20000"))
        .ok();
    assert_eq!(first.lines().len(), 6, "{first:?}");
    let second = server.run(&format!("{broadcast} --timeout-ms 700")).ok();
    assert_eq!(second.stdout, "", "the local offsets were kept");

    let progress = server.run("admin group progress C2").ok();
    assert!(
        progress
            .stdout
            .starts_with("group C2: 0 member(s), total lag 0"),
        "{progress:?}"
    );
    let json = server.run("admin group describe C2 --json").ok().stdout;
    assert!(json.contains(r#""consumer_offset":"#), "{json}");
}

/// `admin group connections` lists a live member (a `consume` process) with its type, model
/// and subscriptions; `admin group reset-offset --to-time 0` makes the group read again.
#[test]
fn group_connections_and_reset_offset() {
    let server = Server::start();
    server
        .run_with_stdin("produce -t Modes --tags TagA", "a1\na2\na3\n")
        .ok();
    let tagged = server
        .run("consume -t Modes -g C1 --from-beginning -s TagA --max 3 --timeout-ms 20000")
        .ok();
    assert_eq!(tagged.lines().len(), 3, "{tagged:?}");
    let member = Command::new(env!("CARGO_BIN_EXE_ferrocket"))
        .args([
            "consume",
            "-t",
            "Modes",
            "-g",
            "C4",
            "--timeout-ms",
            "30000",
        ])
        .args(["-n", &server.addr])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn a member");
    let member = KillOnDrop(member);
    let deadline = Instant::now() + Duration::from_secs(20);
    let connections = loop {
        // Until the member's first heartbeat the group is unknown (exit 1).
        let out = server.run("admin group connections C4");
        if out.stdout.starts_with("group C4: 1 member(s)") || Instant::now() > deadline {
            break out;
        }
        std::thread::sleep(Duration::from_millis(100));
    };
    let row = connections.lines()[2];
    assert!(
        row.contains("PUSH") && row.contains("CLUSTERING") && row.contains("Modes=*"),
        "{connections:?}"
    );
    drop(member);

    let reset = server.run("admin group reset-offset C1 --to-time 0").ok();
    assert!(
        reset.stdout.contains("reset 4 queue(s) of group C1"),
        "{reset:?}"
    );
    let again = server
        .run("consume -t Modes -g C1 -s TagA --max 3 --timeout-ms 20000")
        .ok();
    assert_eq!(
        bodies(&again),
        BTreeSet::from(["a1", "a2", "a3"].map(String::from))
    );
}

/// Kills a child process when dropped.
struct KillOnDrop(Child);

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// `produce --delay-level`, `--deliver-after` and `--deliver-at` end to end: none arrives
/// before its time (the consume run takes at least the shortest delay), all arrive; a delay
/// past the maximum is refused with a clear error.
#[test]
fn produce_delayed_end_to_end() {
    let server = Server::start_with(&["message_delay_level=1s 2s"]);
    let started = Instant::now();
    let at = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis()
        + 1500;
    server
        .run_with_stdin("produce -t Later --delay-level 1", "level\n")
        .ok();
    server
        .run_with_stdin("produce -t Later --deliver-after 1200ms", "after\n")
        .ok();
    let sent = server
        .run_with_stdin(&format!("produce -t Later --deliver-at {at}"), "at\n")
        .ok();
    assert!(sent.stdout.starts_with("SEND_OK"), "{sent:?}");
    let read = server
        .run("consume -t Later -g L1 --from-beginning --max 3 --timeout-ms 20000")
        .ok();
    assert_eq!(
        bodies(&read),
        BTreeSet::from(["level", "after", "at"].map(String::from))
    );
    assert!(
        started.elapsed() >= Duration::from_millis(1500),
        "the last message is due 1.5 s after the start: {:?}",
        started.elapsed()
    );
    let far = server.run_with_stdin("produce -t Later --deliver-after 4d", "far\n");
    assert_eq!(far.code, 1, "{far:?}");
    assert!(far.stderr.contains("maximum delay"), "{far:?}");
}
