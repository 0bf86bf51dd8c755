//! `ferrocket admin message`: find messages by key, by id (the broker's offset id or the
//! producer's unique id) or by queue and offset, and track which consumer groups consumed one;
//! and the duration and time parsers of `produce --deliver-after/--deliver-at`.

use std::collections::BTreeSet;
use std::time::Duration;

use clap::{Args, Subcommand};
use ferrocket::client::Admin;
use ferrocket::client::admin_message::{TimeRange, parse_offset_msg_id};
use ferrocket::protocol::TrackState;
use ferrocket::{MessageExt, MessageId};

use crate::cli::client::{default_broker, probe_route};
use crate::cli::output;

/// `ferrocket admin message …`.
#[derive(Debug, Subcommand)]
pub enum MessageCommand {
    /// Find messages: by key (`-t T --key K`), by id (`--id ID`: the broker's offset id or the
    /// producer's unique id), or by queue and offset (`-t T --queue Q --offset O`).
    Query(QueryArgs),
    /// For one message (`--id ID`), every consumer group of its topic and whether it
    /// consumed it, has not yet, or filters it out.
    Track(TrackArgs),
}

/// Flags of `admin message query`.
#[derive(Debug, Args)]
pub struct QueryArgs {
    /// Topic (required with --key and --queue).
    #[arg(short = 't', long)]
    topic: Option<String>,
    /// A key of the messages.
    #[arg(long, conflicts_with_all = ["id", "queue"], requires = "topic")]
    key: Option<String>,
    /// A message id: the offset id of a send result, or the unique id (`msg_id`).
    #[arg(long, conflicts_with = "queue")]
    id: Option<String>,
    /// Queue id, with --offset.
    #[arg(long, requires_all = ["offset", "topic"])]
    queue: Option<u32>,
    /// Queue offset, with --queue.
    #[arg(long, requires = "queue")]
    offset: Option<u64>,
    /// Most messages to print for --key.
    #[arg(long, default_value_t = 32)]
    max: u32,
    /// With --key: only messages stored at or after this time (RFC 3339 UTC or epoch ms).
    #[arg(long, value_parser = parse_time)]
    begin: Option<u64>,
    /// With --key: only messages stored at or before this time.
    #[arg(long, value_parser = parse_time)]
    end: Option<u64>,
}

/// Flags of `admin message track`.
#[derive(Debug, Args)]
pub struct TrackArgs {
    /// The message id: the offset id of a send result, or the unique id (`msg_id`).
    #[arg(long)]
    id: String,
    /// Topic of the message (narrows a unique-id lookup).
    #[arg(short = 't', long)]
    topic: Option<String>,
}

/// Where the admin commands go.
#[derive(Debug)]
pub struct Target<'a> {
    /// `-b/--broker`, if given.
    pub broker: Option<String>,
    /// The name servers, for error messages and routes.
    pub namesrv: &'a str,
    /// The first name server (a standalone server is its own broker).
    pub first_namesrv: String,
}

/// Runs `ferrocket admin message …`.
pub async fn run(
    admin: &Admin,
    target: Target<'_>,
    command: &MessageCommand,
) -> Result<(), String> {
    match command {
        MessageCommand::Query(q) => {
            let broker = broker(admin, &target, q.topic.as_deref()).await?;
            let found = query(admin, &broker, q).await?;
            if found.is_empty() {
                return Err("no message matches the query".into());
            }
            for msg in &found {
                output::line(&describe(msg))?;
            }
            Ok(())
        }
        MessageCommand::Track(t) => {
            let broker = broker(admin, &target, t.topic.as_deref()).await?;
            let topic = t.topic.clone().unwrap_or_default();
            let found = by_id(admin, &broker, &topic, &t.id).await?;
            let Some((addr, msg)) = found.into_iter().next() else {
                return Err(format!("no message with id {}", t.id));
            };
            output::line(&describe(&msg))?;
            let tracks = admin
                .track_message(&addr, &msg)
                .await
                .map_err(|e| e.to_string())?;
            if tracks.is_empty() {
                return output::line("no consumer group subscribes to the topic");
            }
            for g in tracks {
                let committed = match g.committed_offset {
                    u64::MAX => "-".to_owned(),
                    n => n.to_string(),
                };
                let state = match g.state {
                    TrackState::Consumed => "CONSUMED",
                    TrackState::NotConsumedYet => "NOT_CONSUMED_YET",
                    TrackState::Filtered => "FILTERED",
                };
                output::line(&format!(
                    "group={} state={state} online={} committed_offset={committed}",
                    g.group, g.online
                ))?;
            }
            Ok(())
        }
    }
}

async fn broker(admin: &Admin, target: &Target<'_>, topic: Option<&str>) -> Result<String, String> {
    if let Some(b) = &target.broker {
        return Ok(b.clone());
    }
    if let Some(topic) = topic {
        let route = probe_route(admin, target.namesrv, topic).await?;
        if let Some(addr) = route.and_then(|r| r.masters.values().next().cloned()) {
            return Ok(addr);
        }
    }
    Ok(default_broker(admin, &target.first_namesrv).await)
}

async fn query(admin: &Admin, broker: &str, q: &QueryArgs) -> Result<Vec<MessageExt>, String> {
    let topic = q.topic.clone().unwrap_or_default();
    let err = |e: ferrocket::ClientError| e.to_string();
    if let Some(key) = &q.key {
        let range = TimeRange {
            begin_ms: q.begin.unwrap_or(0),
            end_ms: q.end.unwrap_or(0),
        };
        return admin
            .query_message_by_key(broker, &topic, key, range, q.max)
            .await
            .map_err(err);
    }
    if let Some(id) = &q.id {
        let found = by_id(admin, broker, &topic, id).await?;
        return Ok(found.into_iter().map(|(_, m)| m).collect());
    }
    if let (Some(queue), Some(offset)) = (q.queue, q.offset) {
        let found = admin
            .query_message_by_queue_offset(broker, &topic, queue, offset)
            .await
            .map_err(err)?;
        return Ok(found.into_iter().collect());
    }
    Err("say what to look up: --key K (with -t), --id ID, or --queue Q --offset O (with -t)".into())
}

/// Messages with `id` and the broker that has each: the id read as an offset id (asking the
/// broker it names, else `broker`) and as a unique id (asking `broker`).
async fn by_id(
    admin: &Admin,
    broker: &str,
    topic: &str,
    id: &str,
) -> Result<Vec<(String, MessageExt)>, String> {
    let mut found: Vec<(String, MessageExt)> = Vec::new();
    if let Some((store_host, offset)) = parse_offset_msg_id(id) {
        for addr in [store_host.to_string(), broker.to_owned()] {
            if let Ok(Some(msg)) = admin.view_message(&addr, offset).await
                && msg.offset_msg_id() == id.to_ascii_uppercase()
            {
                found.push((addr, msg));
                break;
            }
        }
    }
    if let Ok(unique) = id.parse::<MessageId>() {
        let msgs = admin
            .query_message_by_unique_key(broker, topic, unique)
            .await
            .map_err(|e| e.to_string())?;
        found.extend(msgs.into_iter().map(|m| (broker.to_owned(), m)));
    }
    let mut seen = BTreeSet::new();
    found.retain(|(_, m)| seen.insert((m.store_host, m.commit_log_offset)));
    Ok(found)
}

/// One message as a line.
fn describe(msg: &MessageExt) -> String {
    let dash = |s: String| if s.is_empty() { "-".to_owned() } else { s };
    format!(
        "topic={} queue={} queue_offset={} msg_id={} offset_msg_id={} store_timestamp_ms={} tags={} keys={} body={}",
        msg.topic(),
        msg.queue_id,
        msg.queue_offset,
        msg.msg_id,
        msg.offset_msg_id(),
        msg.store_timestamp_ms,
        msg.tags().unwrap_or("-"),
        dash(msg.keys().join(",")),
        String::from_utf8_lossy(msg.body())
    )
}

/// Parses a duration: a number with a unit `ms`, `s`, `m`, `h` or `d` (`1500ms`, `10s`, `2h`).
pub fn parse_duration(raw: &str) -> Result<Duration, String> {
    let raw = raw.trim();
    let split = raw
        .find(|c: char| !c.is_ascii_digit())
        .ok_or_else(|| format!("duration `{raw}` needs a unit: ms, s, m, h or d"))?;
    let (number, unit) = raw.split_at(split);
    let n: u64 = number
        .parse()
        .map_err(|_| format!("duration `{raw}` must start with a whole number"))?;
    let ms_per_unit = match unit {
        "ms" => 1,
        "s" => 1000,
        "m" => 60_000,
        "h" => 3_600_000,
        "d" => 86_400_000,
        _ => {
            return Err(format!(
                "duration `{raw}` has unit `{unit}`; use ms, s, m, h or d"
            ));
        }
    };
    n.checked_mul(ms_per_unit)
        .map(Duration::from_millis)
        .ok_or_else(|| format!("duration `{raw}` is too long"))
}

/// Parses a point in time: milliseconds since the Unix epoch, or RFC 3339 in UTC
/// (`2030-01-02T03:04:05Z`, optionally with `.sss` milliseconds).
pub fn parse_time(raw: &str) -> Result<u64, String> {
    let raw = raw.trim();
    if !raw.is_empty() && raw.bytes().all(|b| b.is_ascii_digit()) {
        return raw
            .parse()
            .map_err(|_| format!("time `{raw}` is too large"));
    }
    let bad =
        || format!("time `{raw}` is neither epoch milliseconds nor YYYY-MM-DDTHH:MM:SS[.sss]Z");
    let body = raw
        .strip_suffix('Z')
        .or_else(|| raw.strip_suffix('z'))
        .ok_or_else(bad)?;
    let (date, time) = body.split_once(['T', 't', ' ']).ok_or_else(bad)?;
    let num = |s: &str| s.parse::<u64>().map_err(|_| bad());
    let mut d = date.split('-');
    let (y, mo, da) = match (d.next(), d.next(), d.next(), d.next()) {
        (Some(y), Some(m), Some(d), None) => (num(y)?, num(m)?, num(d)?),
        _ => return Err(bad()),
    };
    let (hms, millis) = match time.split_once('.') {
        Some((hms, frac)) if (1..=3).contains(&frac.len()) => (
            hms,
            num(frac)? * 10u64.pow(3 - u32::try_from(frac.len()).unwrap_or(3)),
        ),
        Some(_) => return Err(bad()),
        None => (time, 0),
    };
    let mut t = hms.split(':');
    let (h, mi, s) = match (t.next(), t.next(), t.next(), t.next()) {
        (Some(h), Some(m), Some(s), None) => (num(h)?, num(m)?, num(s)?),
        _ => return Err(bad()),
    };
    if !(1970..=9999).contains(&y) || !(1..=12).contains(&mo) || !(1..=31).contains(&da) {
        return Err(bad());
    }
    if h > 23 || mi > 59 || s > 59 {
        return Err(bad());
    }
    let days = days_from_civil(y, mo, da);
    Ok(((days * 24 + h) * 60 + mi) * 60_000 + s * 1000 + millis)
}

/// Days from 1970-01-01 to the given date (Howard Hinnant's algorithm, years ≥ 1970).
fn days_from_civil(y: u64, m: u64, d: u64) -> u64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y / 400;
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Durations take ms, s, m, h and d; anything else is a usage error naming the input.
    #[test]
    fn durations() {
        assert_eq!(parse_duration("1500ms"), Ok(Duration::from_millis(1500)));
        assert_eq!(parse_duration("10s"), Ok(Duration::from_secs(10)));
        assert_eq!(parse_duration("2h"), Ok(Duration::from_secs(7200)));
        assert_eq!(parse_duration("1d"), Ok(Duration::from_secs(86_400)));
        assert!(parse_duration("10").unwrap_err().contains("unit"));
        assert!(parse_duration("5y").unwrap_err().contains("`y`"));
    }

    /// Times are epoch milliseconds or RFC 3339 UTC.
    #[test]
    fn times() {
        assert_eq!(parse_time("1700000000000"), Ok(1_700_000_000_000));
        assert_eq!(parse_time("1970-01-01T00:00:00Z"), Ok(0));
        assert_eq!(parse_time("2023-11-14T22:13:20Z"), Ok(1_700_000_000_000));
        assert_eq!(parse_time("2023-11-14T22:13:20.5Z"), Ok(1_700_000_000_500));
        assert!(parse_time("2023-11-14T22:13:20").is_err());
        assert!(parse_time("tomorrow").is_err());
    }
}
