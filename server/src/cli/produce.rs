//! `ferrocket produce`: the console producer. Without `--count` it sends one message per stdin
//! line (the body is the line without its newline) and prints each send result; with
//! `--count N --size BYTES` it sends N generated messages and prints a summary.
//!
//! Stdin is read on a plain thread (a blocking read has no place on the runtime) that hands
//! lines over a bounded channel; a line longer than `BODY_LEN_MAX` is reported and skipped
//! without being held in memory whole.

use std::io::BufRead;
use std::time::Instant;

use bytes::Bytes;
use clap::Args;
use ferrocket::limits::{BATCH_COUNT_MAX, BODY_LEN_MAX};
use ferrocket::{ClientError, Message, Producer, SendBatchResult, SendResult};
use tokio::sync::mpsc;

use crate::cli::client::{
    ClientArgs, generated_body, parse_property, parse_size, probe_route, status_name,
};
use crate::cli::message;
use crate::cli::output;

/// Lines read ahead of the sender.
const STDIN_LINES_AHEAD_MAX: usize = 1024;
/// Send errors printed one by one before only counting them.
const ERRORS_PRINTED_MAX: u64 = 10;

/// Flags of `ferrocket produce`.
#[derive(Debug, Args)]
pub struct ProduceArgs {
    #[command(flatten)]
    client: ClientArgs,
    /// Topic to send to (created on first send when the broker auto-creates topics).
    #[arg(short = 't', long)]
    topic: String,
    /// Producer group.
    #[arg(long, default_value = "ferrocket-console-producer")]
    group: String,
    /// Tag of every message.
    #[arg(long)]
    tags: Option<String>,
    /// A key of every message (repeatable).
    #[arg(long = "keys", value_name = "KEY")]
    keys: Vec<String>,
    /// A user property of every message (repeatable).
    #[arg(long = "property", value_name = "KEY=VALUE", value_parser = parse_property)]
    properties: Vec<(String, String)>,
    /// Send this many generated messages instead of reading stdin (needs --size).
    #[arg(long, requires = "size")]
    count: Option<u64>,
    /// Body size in bytes of the generated messages (needs --count).
    #[arg(long, requires = "count", value_parser = parse_size)]
    size: Option<usize>,
    /// Send up to this many messages per batch request (one queue per batch).
    #[arg(long, default_value_t = 1, value_parser = parse_batch)]
    batch: usize,
    /// Send every message to the queue chosen by this sharding key (keeps their order).
    #[arg(long, value_name = "KEY", conflicts_with = "batch")]
    orderly_key: Option<String>,
    /// Deliver each message this long after it is sent (`1500ms`, `10s`, `5m`, `2h`, `1d`).
    #[arg(long, value_name = "DURATION", value_parser = message::parse_duration,
        conflicts_with_all = ["deliver_at", "batch"])]
    deliver_after: Option<std::time::Duration>,
    /// Deliver each message at this time: RFC 3339 in UTC (`2030-01-02T03:04:05Z`) or
    /// milliseconds since the Unix epoch.
    #[arg(long, value_name = "TIME", value_parser = message::parse_time, conflicts_with = "batch")]
    deliver_at: Option<u64>,
    /// Deliver each message after the delay of this level (1..=the broker's number of levels,
    /// by default `1s 5s 10s 30s 1m 2m 3m 4m 5m 6m 7m 8m 9m 10m 20m 30m 1h 2h`).
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u8).range(1..),
        conflicts_with_all = ["deliver_after", "deliver_at", "batch"])]
    delay_level: Option<u8>,
    /// With stdin input: print only a summary at the end instead of one line per message.
    #[arg(long)]
    summary: bool,
}

/// Counts of one produce run.
#[derive(Debug, Default)]
struct Tally {
    ok: u64,
    errors: u64,
    bytes: u64,
    first_error: Option<String>,
}

impl Tally {
    fn failed(&mut self, n: u64, what: &str, e: &ClientError) {
        if self.errors < ERRORS_PRINTED_MAX {
            eprintln!("error: {what}: {e}");
        }
        self.errors += n;
        self.first_error.get_or_insert_with(|| e.to_string());
    }

    fn summary(&self, started: Instant) -> String {
        let secs = started.elapsed().as_secs_f64().max(1e-9);
        let (ok, bytes) = (self.ok as f64, self.bytes as f64);
        format!(
            "sent {} messages, {} errors, in {:.3} s: {:.0} msgs/s, {:.2} MiB/s",
            self.ok,
            self.errors,
            secs,
            ok / secs,
            bytes / secs / (1024.0 * 1024.0)
        )
    }

    fn outcome(&self) -> Result<(), String> {
        match &self.first_error {
            None => Ok(()),
            Some(e) => Err(format!(
                "{} of {} messages failed; first error: {e}",
                self.errors,
                self.errors + self.ok
            )),
        }
    }
}

/// Runs `ferrocket produce`.
pub async fn run(args: ProduceArgs) -> Result<(), String> {
    let admin = args.client.admin()?;
    let probed = probe_route(&admin, &args.client.namesrv, &args.topic).await;
    admin.close().await;
    probed?;
    let producer = Producer::builder()
        .group(args.group.clone())
        .namesrv(&args.client.namesrv)
        .build()
        .map_err(|e| e.to_string())?;
    producer.start().await.map_err(|e| e.to_string())?;
    let result = match (args.count, args.size) {
        (Some(count), Some(size)) => send_generated(&producer, &args, count, size).await,
        _ => send_stdin(&producer, &args).await,
    };
    producer.shutdown().await;
    result
}

fn message(args: &ProduceArgs, body: Bytes) -> Message {
    let mut msg = Message::new(args.topic.clone(), body);
    if let Some(tags) = &args.tags {
        msg = msg.with_tags(tags.clone());
    }
    for key in &args.keys {
        msg = msg.with_key(key.clone());
    }
    for (k, v) in &args.properties {
        msg = msg.with_property(k.clone(), v.clone());
    }
    if let Some(delay) = args.deliver_after {
        msg = msg.with_deliver_after(delay);
    }
    if let Some(at) = args.deliver_at {
        msg = msg.with_deliver_at_ms(at);
    }
    if let Some(level) = args.delay_level {
        msg = msg.with_delay_level(level);
    }
    msg
}

async fn send_generated(
    producer: &Producer,
    args: &ProduceArgs,
    count: u64,
    size: usize,
) -> Result<(), String> {
    let body = generated_body(size);
    let mut tally = Tally::default();
    let started = Instant::now();
    let mut left = count;
    while left > 0 {
        let n = left.min(args.batch as u64);
        let msgs: Vec<Message> = (0..n).map(|_| message(args, body.clone())).collect();
        let outcome = send(producer, args, msgs).await;
        match outcome {
            Ok(_) => {
                tally.ok += n;
                tally.bytes += n * size as u64;
            }
            Err(e) => tally.failed(n, "send failed", &e),
        }
        left -= n;
    }
    output::line(&tally.summary(started))?;
    tally.outcome()
}

/// What one send request returned.
enum Sent {
    One(SendResult),
    Batch(SendBatchResult),
}

async fn send(
    producer: &Producer,
    args: &ProduceArgs,
    mut msgs: Vec<Message>,
) -> Result<Sent, ClientError> {
    if msgs.len() > 1 {
        return producer.send_batch(msgs).await.map(Sent::Batch);
    }
    let Some(msg) = msgs.pop() else {
        return Err(ClientError::InvalidArgument("nothing to send".into()));
    };
    match &args.orderly_key {
        Some(key) => producer.send_orderly(msg, key).await.map(Sent::One),
        None => producer.send(msg).await.map(Sent::One),
    }
}

fn result_lines(sent: &Sent) -> Vec<String> {
    match sent {
        Sent::One(r) => vec![format!(
            "{} msg_id={} queue={} queue_offset={}",
            status_name(r.status),
            r.msg_id,
            r.queue,
            r.queue_offset
        )],
        Sent::Batch(r) => (0u64..)
            .zip(&r.msg_ids)
            .map(|(i, id)| {
                format!(
                    "{} msg_id={id} queue={} queue_offset={}",
                    status_name(r.status),
                    r.queue,
                    r.queue_offset + i
                )
            })
            .collect(),
    }
}

async fn send_stdin(producer: &Producer, args: &ProduceArgs) -> Result<(), String> {
    let mut lines = spawn_stdin_reader();
    let mut tally = Tally::default();
    let started = Instant::now();
    while let Some(first) = lines.recv().await {
        let mut batch = vec![first];
        while batch.len() < args.batch {
            match lines.try_recv() {
                Ok(line) => batch.push(line),
                Err(_) => break,
            }
        }
        let mut msgs = Vec::with_capacity(batch.len());
        for line in batch {
            match line {
                Ok(body) => msgs.push(message(args, body)),
                Err(e) => tally.failed(1, "stdin", &ClientError::InvalidArgument(e)),
            }
        }
        if msgs.is_empty() {
            continue;
        }
        let n = msgs.len() as u64;
        let bytes: u64 = msgs.iter().map(|m| m.body.len() as u64).sum();
        match send(producer, args, msgs).await {
            Ok(sent) => {
                tally.ok += n;
                tally.bytes += bytes;
                if !args.summary {
                    for text in result_lines(&sent) {
                        output::line(&text)?;
                    }
                }
            }
            Err(e) => tally.failed(n, "send failed", &e),
        }
    }
    if args.summary {
        output::line(&tally.summary(started))?;
    }
    tally.outcome()
}

/// One stdin line: its bytes, or why it was skipped.
type Line = Result<Bytes, String>;

/// Starts the thread that reads stdin; the channel closes at end of input.
fn spawn_stdin_reader() -> mpsc::Receiver<Line> {
    let (tx, rx) = mpsc::channel(STDIN_LINES_AHEAD_MAX);
    std::thread::spawn(move || {
        let stdin = std::io::stdin();
        let mut input = stdin.lock();
        let mut number = 0u64;
        loop {
            number += 1;
            let line = match read_line_bounded(&mut input, BODY_LEN_MAX) {
                Ok(Some(line)) => line,
                Ok(None) => break,
                Err(e) => Err(format!("line {number}: {e}")),
            };
            if tx.blocking_send(line).is_err() {
                break;
            }
        }
    });
    rx
}

/// Reads one line without its `\n` (or `\r\n`), holding at most `max` bytes of it. `None` at
/// end of input; `Some(Err)` for a line over `max` bytes, which is consumed and dropped.
fn read_line_bounded(input: &mut impl BufRead, max: usize) -> std::io::Result<Option<Line>> {
    let mut line = Vec::new();
    let mut too_long = false;
    let mut seen_any = false;
    loop {
        let chunk = input.fill_buf()?;
        if chunk.is_empty() {
            break;
        }
        seen_any = true;
        let (part, used, done) = match chunk.iter().position(|b| *b == b'\n') {
            Some(i) => (&chunk[..i], i + 1, true),
            None => (chunk, chunk.len(), false),
        };
        if line.len() + part.len() > max + 1 {
            too_long = true;
        } else {
            line.extend_from_slice(part);
        }
        input.consume(used);
        if done {
            break;
        }
    }
    if !seen_any {
        return Ok(None);
    }
    if line.last() == Some(&b'\r') {
        line.pop();
    }
    if too_long || line.len() > max {
        return Ok(Some(Err(format!(
            "a line is longer than the body limit of {max} bytes; skipped"
        ))));
    }
    Ok(Some(Ok(Bytes::from(line))))
}

fn parse_batch(raw: &str) -> Result<usize, String> {
    match raw.parse::<usize>() {
        Ok(n) if (1..=BATCH_COUNT_MAX).contains(&n) => Ok(n),
        _ => Err(format!("batch must be 1..={BATCH_COUNT_MAX}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lines(input: &[u8], max: usize) -> Vec<Line> {
        let mut reader = std::io::BufReader::with_capacity(4, input);
        let mut out = Vec::new();
        while let Some(line) = read_line_bounded(&mut reader, max).unwrap() {
            out.push(line);
        }
        out
    }

    /// Lines split at `\n`, drop a `\r`, keep empty lines, and a last line without newline.
    #[test]
    fn splits_lines() {
        let got = lines(b"first\r\n\nsecond line\nlast", 100);
        let want: Vec<Line> = ["first", "", "second line", "last"]
            .iter()
            .map(|s| Ok(Bytes::from(s.as_bytes().to_vec())))
            .collect();
        assert_eq!(got, want);
        assert!(lines(b"", 100).is_empty());
    }

    /// A line over the limit is reported and skipped; the next line still arrives.
    #[test]
    fn over_long_line_is_skipped() {
        let got = lines(b"0123456789abc\nok\n", 8);
        assert_eq!(got.len(), 2);
        assert!(got[0].as_ref().unwrap_err().contains("longer"));
        assert_eq!(got[1], Ok(Bytes::from_static(b"ok")));
    }
}
