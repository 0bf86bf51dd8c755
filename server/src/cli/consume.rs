//! `ferrocket consume`: the console consumer. A `PushConsumer` of the group (clustering, or
//! `--broadcast`; a concurrent listener, or `--orderly`) prints every message on one line
//! until `--max` messages, `--timeout-ms` with nothing new, or Ctrl-C; its offsets are
//! committed at shutdown.
//!
//! The listener runs on one consume thread, so lines come out one at a time. Once `--max`
//! lines are printed (or stdout is closed) it holds the next message instead of returning:
//! a message in flight is never committed, so the shutdown commits offsets that stop before
//! every unprinted message, and the next run starts there. The held call is released after
//! the shutdown, when its result no longer counts.

use std::sync::{Arc, Condvar, Mutex};
use std::time::{Duration, Instant};

use clap::Args;
use ferrocket::client::push_consumer::{
    ConsumeConcurrentlyStatus, ConsumeOrderlyStatus, MessageListener,
};
use ferrocket::protocol::MessageModel;
use ferrocket::{ConsumeFrom, MessageExt, PushConsumer, Selector};

use crate::cli::client::{ClientArgs, probe_route};
use crate::cli::output;

/// How often the run checks whether to stop.
const STOP_CHECK: Duration = Duration::from_millis(20);
/// How long the shutdown waits for listener calls in flight (a held call never finishes).
const AWAIT_TERMINATION: Duration = Duration::from_millis(200);

/// Flags of `ferrocket consume`.
#[derive(Debug, Args)]
pub struct ConsumeArgs {
    #[command(flatten)]
    client: ClientArgs,
    /// Topic to read.
    #[arg(short = 't', long)]
    topic: String,
    /// Consumer group (its committed offsets decide where reading resumes).
    #[arg(short = 'g', long, default_value = "ferrocket-console-consumer")]
    group: String,
    /// Start queues the group never committed at their first message (default: at the first
    /// message stored after the consumer started).
    #[arg(long)]
    from_beginning: bool,
    /// Stop after printing this many messages.
    #[arg(long, value_name = "N")]
    max: Option<u64>,
    /// Stop when nothing new arrived for this long (default: run until Ctrl-C).
    #[arg(long, value_name = "MS")]
    timeout_ms: Option<u64>,
    /// Tag expression: `*` or `TagA || TagB`.
    #[arg(short = 's', long, default_value = "*")]
    expression: String,
    /// SQL92 condition over properties and `TAGS` instead of a tag expression, e.g.
    /// `a > 5 AND region IN ('eu','us')`.
    #[arg(long, value_name = "EXPR", conflicts_with = "expression")]
    sql: Option<String>,
    /// Broadcasting: this consumer gets every message of the topic, whatever other members
    /// of the group get; its offsets are kept in a local file.
    #[arg(long)]
    broadcast: bool,
    /// Folder of the broadcasting offset file (default `~/.ferrocket_offsets`).
    #[arg(long, value_name = "DIR", requires = "broadcast")]
    offset_dir: Option<std::path::PathBuf>,
    /// Orderly: messages of one queue one at a time in queue order, under the broker's queue
    /// lock (clustering).
    #[arg(long)]
    orderly: bool,
    /// Print each message's user properties too.
    #[arg(long)]
    print_properties: bool,
}

/// What the listener shares with the run: lines printed, when the last came, whether to stop.
#[derive(Debug)]
struct Gate {
    state: Mutex<GateState>,
    released: Condvar,
    max: Option<u64>,
    print_properties: bool,
}

#[derive(Debug)]
struct GateState {
    printed: u64,
    last: Instant,
    stop: bool,
    released: bool,
}

impl Gate {
    fn new(max: Option<u64>, print_properties: bool) -> Gate {
        Gate {
            state: Mutex::new(GateState {
                printed: 0,
                last: Instant::now(),
                stop: max == Some(0),
                released: false,
            }),
            released: Condvar::new(),
            max,
            print_properties,
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, GateState> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Prints `msgs`; past `--max` (or once stdout is closed) holds the call until `release`
    /// and returns false.
    fn print(&self, msgs: &[MessageExt]) -> bool {
        let mut state = self.lock();
        for msg in msgs {
            if !state.stop && self.max != Some(state.printed) {
                let text = format_message(msg, self.print_properties);
                if output::line(&text).is_ok() {
                    state.printed += 1;
                    state.last = Instant::now();
                    continue;
                }
            }
            state.stop = true;
            while !state.released {
                state = self.released.wait(state).unwrap_or_else(|e| e.into_inner());
            }
            return false;
        }
        state.stop |= self.max == Some(state.printed);
        true
    }

    /// Whether the run should end: `--max` reached, stdout closed, or idle for `idle`.
    fn should_stop(&self, idle: Option<Duration>) -> bool {
        let state = self.lock();
        state.stop || idle.is_some_and(|idle| state.last.elapsed() >= idle)
    }

    /// Lets held listener calls return (after the shutdown, so their results are ignored).
    fn release(&self) {
        self.lock().released = true;
        self.released.notify_all();
    }
}

fn listener(gate: &Arc<Gate>, orderly: bool) -> MessageListener {
    let gate = gate.clone();
    if orderly {
        MessageListener::orderly(move |msgs: &[MessageExt], _: &mut _| {
            gate.print(msgs);
            ConsumeOrderlyStatus::Success
        })
    } else {
        MessageListener::concurrently(move |msgs: &[MessageExt], _: &mut _| {
            gate.print(msgs);
            ConsumeConcurrentlyStatus::ConsumeSuccess
        })
    }
}

/// Runs `ferrocket consume`.
pub async fn run(args: ConsumeArgs) -> Result<(), String> {
    let admin = args.client.admin()?;
    let probed = probe_route(&admin, &args.client.namesrv, &args.topic).await;
    admin.close().await;
    if probed?.is_none() {
        return Err(format!(
            "topic `{}` does not exist (no route from name server {})",
            args.topic, args.client.namesrv
        ));
    }
    let gate = Arc::new(Gate::new(args.max, args.print_properties));
    let consumer = build(&args, &gate)?;
    let selector = match &args.sql {
        Some(sql) => Selector::Sql(sql.clone()),
        None => Selector::Tag(args.expression.clone()),
    };
    consumer
        .subscribe(&args.topic, selector)
        .map_err(|e| e.to_string())?;
    consumer.start().await.map_err(|e| e.to_string())?;
    let idle = args.timeout_ms.map(Duration::from_millis);
    let ctrl_c = tokio::signal::ctrl_c();
    tokio::pin!(ctrl_c);
    while !gate.should_stop(idle) {
        tokio::select! {
            _ = &mut ctrl_c => break,
            () = tokio::time::sleep(STOP_CHECK) => {}
        }
    }
    consumer.shutdown().await;
    gate.release();
    Ok(())
}

fn build(args: &ConsumeArgs, gate: &Arc<Gate>) -> Result<PushConsumer, String> {
    let from = if args.from_beginning {
        ConsumeFrom::FirstOffset
    } else {
        ConsumeFrom::LastOffset
    };
    let model = if args.broadcast {
        MessageModel::Broadcasting
    } else {
        MessageModel::Clustering
    };
    let mut builder = PushConsumer::builder()
        .group(args.group.clone())
        .namesrv(&args.client.namesrv)
        .listener(listener(gate, args.orderly))
        .consume_from(from)
        .message_model(model)
        .consume_threads(1)
        .await_termination(AWAIT_TERMINATION);
    if let Some(dir) = &args.offset_dir {
        builder = builder.broadcast_offset_dir(dir);
    }
    builder.build().map_err(|e| e.to_string())
}

/// One message as a line: queue, offset, ids, tags, keys, [properties,] then the body.
fn format_message(msg: &MessageExt, print_properties: bool) -> String {
    let dash = |s: String| if s.is_empty() { "-".to_owned() } else { s };
    let mut text = format!(
        "queue={} offset={} msg_id={} tags={} keys={}",
        msg.queue_id,
        msg.queue_offset,
        msg.msg_id,
        msg.tags().unwrap_or("-"),
        dash(msg.keys().join(","))
    );
    if print_properties {
        let props: Vec<String> = msg
            .message
            .properties
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect();
        text.push_str(" properties=");
        text.push_str(&dash(props.join(",")));
    }
    text.push_str(" body=");
    text.push_str(&String::from_utf8_lossy(msg.body()));
    text
}
