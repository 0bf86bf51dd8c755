//! `ferrocket consume`: the console consumer. A `PullConsumer` subscribes to the topic and
//! prints every message on one line until `--max` messages, `--timeout-ms` with nothing new, or
//! Ctrl-C; its offsets are committed on exit.
//!
//! `poll` hands over whole buffered batches and commits move past everything it returned, so
//! when `--max` (or a closed stdout) stops the run in the middle of a batch, the queues of the
//! unprinted messages are sought back to the first of them: the next run starts there.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::time::Duration;

use clap::Args;
use ferrocket::client::route::TopicRouteInfo;
use ferrocket::{ConsumeFrom, MessageExt, PullConsumer, Selector};
use tokio::time::Instant;

use crate::cli::client::{ClientArgs, probe_route};
use crate::cli::output;

/// How long one poll waits when no `--timeout-ms` is set (then the run ends only by Ctrl-C or
/// `--max`).
const POLL_WAIT_MS: u64 = 1000;

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
    /// Start queues the group never committed at their first message (default: at their end).
    #[arg(long)]
    from_beginning: bool,
    /// Stop after printing this many messages.
    #[arg(long, value_name = "N")]
    max: Option<u64>,
    /// Stop when nothing new arrived for this long (default: run until Ctrl-C).
    #[arg(long, value_name = "MS")]
    timeout_ms: Option<u64>,
    /// Tag expression: `*` or `TagA || TagB`.
    #[arg(long, default_value = "*")]
    expression: String,
    /// SQL92 condition over properties and `TAGS` instead of a tag expression, e.g.
    /// `a > 5 AND region IN ('eu','us')`.
    #[arg(long, value_name = "EXPR", conflicts_with = "expression")]
    sql: Option<String>,
    /// Print each message's user properties too.
    #[arg(long)]
    print_properties: bool,
}

/// Runs `ferrocket consume`.
pub async fn run(args: ConsumeArgs) -> Result<(), String> {
    let admin = args.client.admin()?;
    let probed = probe_route(&admin, &args.client.namesrv, &args.topic).await;
    admin.close().await;
    let Some(route) = probed? else {
        return Err(format!(
            "topic `{}` does not exist (no route from name server {})",
            args.topic, args.client.namesrv
        ));
    };
    let from = if args.from_beginning {
        ConsumeFrom::FirstOffset
    } else {
        ConsumeFrom::LastOffset
    };
    let consumer = PullConsumer::builder()
        .group(args.group.clone())
        .namesrv(&args.client.namesrv)
        .consume_from(from)
        .build()
        .map_err(|e| e.to_string())?;
    let selector = match &args.sql {
        Some(sql) => Selector::Sql(sql.clone()),
        None => Selector::Tag(args.expression.clone()),
    };
    consumer
        .subscribe(&args.topic, selector)
        .await
        .map_err(|e| e.to_string())?;
    consumer.start().await.map_err(|e| e.to_string())?;
    let result = consume_loop(&consumer, &args, &route).await;
    consumer.shutdown().await;
    result
}

async fn consume_loop(
    consumer: &PullConsumer,
    args: &ConsumeArgs,
    route: &TopicRouteInfo,
) -> Result<(), String> {
    let idle = args.timeout_ms.map(Duration::from_millis);
    let mut deadline = idle.map(|d| Instant::now() + d);
    let mut printed = 0u64;
    let ctrl_c = tokio::signal::ctrl_c();
    tokio::pin!(ctrl_c);
    while args.max != Some(printed) {
        let wait = match deadline {
            Some(at) => at.saturating_duration_since(Instant::now()),
            None => Duration::from_millis(POLL_WAIT_MS),
        };
        let msgs = tokio::select! {
            _ = &mut ctrl_c => break,
            polled = consumer.poll_timeout(wait) => polled.map_err(|e| e.to_string())?,
        };
        if msgs.is_empty() {
            if deadline.is_some_and(|at| Instant::now() >= at) {
                break;
            }
            continue;
        }
        deadline = idle.map(|d| Instant::now() + d);
        for (i, msg) in msgs.iter().enumerate() {
            let stop = args.max == Some(printed)
                || output::line(&format_message(msg, args.print_properties)).is_err();
            if stop {
                rewind(consumer, route, &msgs[i..]);
                return Ok(());
            }
            printed += 1;
        }
    }
    Ok(())
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

/// Seeks every queue holding one of `unprinted` back to its first unprinted offset.
fn rewind(consumer: &PullConsumer, route: &TopicRouteInfo, unprinted: &[MessageExt]) {
    let mut first: BTreeMap<(SocketAddr, u32), u64> = BTreeMap::new();
    for msg in unprinted {
        let at = first
            .entry((msg.store_host, msg.queue_id))
            .or_insert(msg.queue_offset);
        *at = (*at).min(msg.queue_offset);
    }
    let assignment = consumer.assignment();
    for ((store_host, queue_id), offset) in first {
        let host = store_host.to_string();
        let candidates: Vec<_> = assignment
            .iter()
            .filter(|mq| mq.queue_id == queue_id)
            .collect();
        let by_host = candidates
            .iter()
            .find(|mq| route.master_addr(&mq.broker_name) == Some(host.as_str()));
        let mq = match (by_host, candidates.as_slice()) {
            (Some(mq), _) => Some(*mq),
            (None, [only]) => Some(*only),
            _ => None,
        };
        match mq.map(|mq| consumer.seek(mq, offset)) {
            Some(Ok(())) => {}
            _ => tracing::warn!(
                queue_id,
                offset,
                "cannot rewind an unprinted message's queue"
            ),
        }
    }
}
