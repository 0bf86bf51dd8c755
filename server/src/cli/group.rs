//! `ferrocket admin group …`: consumer groups. `create|update|delete|list` manage subscription
//! groups (their config on the brokers); `progress` (alias `describe`) shows per queue the
//! broker offset, the group's offset, the lag and the last consume time; `connections` the
//! live members; `reset-offset --to-time T` moves the group's offsets to a time and makes the
//! live members continue there.
//!
//! Every command goes to `-b/--broker` when given, else to every master the name servers list
//! (for a standalone server: the server itself), like mqadmin's `-c cluster`.

use std::collections::BTreeSet;

use clap::{Args, Subcommand};
use ferrocket::limits::{QUEUE_COUNT_MAX, RETRY_MAX_TIMES_MAX};
use ferrocket::protocol::{
    DESCRIBE_MEMBERS, DESCRIBE_PROGRESS, GroupDescription, GroupWriteMode, SubscriptionGroupConfig,
};
use ferrocket::{Admin, ClientError};

use crate::cli::client::{ClientArgs, masters};
use crate::cli::group_view;
use crate::cli::message;
use crate::cli::output;

/// `ferrocket admin group …`.
#[derive(Debug, Subcommand)]
pub enum GroupCommand {
    /// Create a consumer group's config (unset flags take RocketMQ's defaults).
    Create(GroupSetArgs),
    /// Change a consumer group's config (unset flags keep their value).
    Update(GroupSetArgs),
    /// Delete a consumer group's config.
    Delete {
        /// The consumer group.
        group: String,
        /// Also delete the group's committed offsets.
        #[arg(long)]
        remove_offsets: bool,
    },
    /// Every consumer group's config and member count.
    #[command(alias = "ls")]
    List {
        /// Print a JSON array of flat objects.
        #[arg(long)]
        json: bool,
    },
    /// Per queue: broker offset, consumer offset, lag and last consume time.
    #[command(alias = "describe")]
    Progress {
        /// The consumer group.
        group: String,
        /// Print a JSON array of flat objects, one per queue.
        #[arg(long)]
        json: bool,
    },
    /// The live members: client id, address, consume type, model and subscriptions.
    Connections {
        /// The consumer group.
        group: String,
        /// Print a JSON array of flat objects, one per member.
        #[arg(long)]
        json: bool,
    },
    /// Move the group's offsets to the first message stored at or after a time.
    ResetOffset {
        /// The consumer group.
        group: String,
        /// `now`, `now-DURATION` (`now-10m`), RFC 3339 in UTC (`2030-01-02T03:04:05Z`) or
        /// milliseconds since the Unix epoch.
        #[arg(long, value_name = "TIME", value_parser = parse_to_time)]
        to_time: u64,
        /// Only this topic (default: every topic of the group, retry topics left out).
        #[arg(short = 't', long)]
        topic: Option<String>,
    },
}

/// Flags of `group create` and `group update`.
#[derive(Debug, Args)]
pub struct GroupSetArgs {
    /// The consumer group.
    group: String,
    /// Whether the group may consume [create default: true].
    #[arg(long, value_name = "BOOL", action = clap::ArgAction::Set)]
    consume_enable: Option<bool>,
    /// Whether the group may consume in broadcasting mode [create default: true].
    #[arg(long, value_name = "BOOL", action = clap::ArgAction::Set)]
    broadcast_enable: Option<bool>,
    /// Queues of the group's retry topic [create default: 1].
    #[arg(long, value_name = "N", value_parser = parse_retry_queues)]
    retry_queues: Option<u16>,
    /// Redeliveries before the dead-letter queue, when the consumer sets none [create
    /// default: 16].
    #[arg(long, value_name = "N", value_parser = parse_max_retries)]
    max_retries: Option<u32>,
    /// Broker id consumers read from while they keep up [create default: 0, the master].
    #[arg(long, value_name = "ID")]
    broker_id: Option<u64>,
    /// Broker id consumers read from when they fall behind [create default: 1].
    #[arg(long, value_name = "ID")]
    slow_broker_id: Option<u64>,
}

impl GroupSetArgs {
    /// `base` with every flag that was given applied.
    fn apply(&self, mut base: SubscriptionGroupConfig) -> SubscriptionGroupConfig {
        base.consume_enable = self.consume_enable.unwrap_or(base.consume_enable);
        base.consume_broadcast_enable = self
            .broadcast_enable
            .unwrap_or(base.consume_broadcast_enable);
        base.retry_queue_count = self.retry_queues.unwrap_or(base.retry_queue_count);
        base.retry_max_times = self.max_retries.unwrap_or(base.retry_max_times);
        base.broker_id = self.broker_id.unwrap_or(base.broker_id);
        base.which_broker_when_consume_slowly = self
            .slow_broker_id
            .unwrap_or(base.which_broker_when_consume_slowly);
        base
    }
}

/// Runs `ferrocket admin group …`.
pub async fn run(
    admin: &Admin,
    client: &ClientArgs,
    broker: Option<&str>,
    command: &GroupCommand,
) -> Result<(), String> {
    let brokers = target_brokers(admin, client, broker).await?;
    match command {
        GroupCommand::Create(set) => {
            let config = set.apply(SubscriptionGroupConfig::new(set.group.as_str()));
            write(admin, &brokers, GroupWriteMode::Create, &config, "created").await
        }
        GroupCommand::Update(set) => {
            for addr in &brokers {
                let current = stored_config(admin, addr, &set.group).await?;
                let config = set.apply(current);
                write(
                    admin,
                    std::slice::from_ref(addr),
                    GroupWriteMode::Update,
                    &config,
                    "updated",
                )
                .await?;
            }
            Ok(())
        }
        GroupCommand::Delete {
            group,
            remove_offsets,
        } => delete(admin, &brokers, group, *remove_offsets).await,
        GroupCommand::List { json } => {
            let found = describe_all(admin, &brokers, "", 0).await?;
            output::block(&group_view::render_list(&found, *json))
        }
        GroupCommand::Progress { group, json } => {
            let found = describe_all(admin, &brokers, group, DESCRIBE_PROGRESS).await?;
            output::block(&group_view::render_progress(group, &found, *json))
        }
        GroupCommand::Connections { group, json } => {
            let found = describe_all(admin, &brokers, group, DESCRIBE_MEMBERS).await?;
            output::block(&group_view::render_connections(group, &found, *json))
        }
        GroupCommand::ResetOffset {
            group,
            to_time,
            topic,
        } => {
            reset(
                admin,
                &brokers,
                group,
                topic.as_deref().unwrap_or(""),
                *to_time,
            )
            .await
        }
    }
}

/// `-b` when given, else every master the name servers list (a standalone server lists
/// itself), else every master of every topic the first name server knows, else the first name
/// server.
async fn target_brokers(
    admin: &Admin,
    client: &ClientArgs,
    broker: Option<&str>,
) -> Result<Vec<String>, String> {
    if let Some(broker) = broker {
        return Ok(vec![broker.to_owned()]);
    }
    let masters = masters(admin).await;
    if !masters.is_empty() {
        return Ok(masters);
    }
    let first = client.first_namesrv();
    let topics = admin
        .list_topics(&first, true)
        .await
        .map_err(|e| unreachable_error(&first, &e))?;
    let mut brokers = BTreeSet::new();
    for topic in topics {
        if let Ok(route) = admin.route(&topic.topic).await {
            brokers.extend(route.masters.values().cloned());
        }
    }
    if brokers.is_empty() {
        brokers.insert(first);
    }
    Ok(brokers.into_iter().collect())
}

fn unreachable_error(addr: &str, e: &ClientError) -> String {
    match e {
        ClientError::Connection { .. } | ClientError::Timeout { .. } => format!(
            "cannot reach {addr}: {e} (is `ferrocket standalone` running there? set \
             -n/--namesrv or -b/--broker)"
        ),
        _ => e.to_string(),
    }
}

async fn write(
    admin: &Admin,
    brokers: &[String],
    mode: GroupWriteMode,
    config: &SubscriptionGroupConfig,
    verb: &str,
) -> Result<(), String> {
    for addr in brokers {
        admin
            .write_subscription_group(addr, mode, config.clone())
            .await
            .map_err(|e| unreachable_error(addr, &e))?;
        output::line(&format!(
            "{verb} group {} ({}) on {addr}",
            config.group,
            group_view::config_summary(config)
        ))?;
    }
    Ok(())
}

async fn stored_config(
    admin: &Admin,
    addr: &str,
    group: &str,
) -> Result<SubscriptionGroupConfig, String> {
    let described = admin
        .describe_groups(addr, group, 0)
        .await
        .map_err(|e| unreachable_error(addr, &e))?;
    match described.groups.into_iter().next() {
        Some(d) if d.stored => Ok(d.config),
        _ => Err(format!(
            "SUBSCRIPTION_GROUP_NOT_EXIST: consumer group `{group}` has no config on {addr} \
             (create it with `ferrocket admin group create {group}`)"
        )),
    }
}

async fn delete(
    admin: &Admin,
    brokers: &[String],
    group: &str,
    remove_offsets: bool,
) -> Result<(), String> {
    for addr in brokers {
        admin
            .delete_subscription_group(addr, group, remove_offsets)
            .await
            .map_err(|e| unreachable_error(addr, &e))?;
        let what = if remove_offsets {
            " and its offsets"
        } else {
            ""
        };
        output::line(&format!("deleted group {group}{what} on {addr}"))?;
    }
    Ok(())
}

/// `DescribeGroups` on every broker: (broker address, its descriptions).
async fn describe_all(
    admin: &Admin,
    brokers: &[String],
    group: &str,
    include: u8,
) -> Result<Vec<(String, GroupDescription)>, String> {
    let mut out = Vec::new();
    let mut missing = 0;
    for addr in brokers {
        match admin.describe_groups(addr, group, include).await {
            Ok(r) => {
                if r.truncated {
                    tracing::warn!(broker = %addr, "the broker cut its answer to fit one frame");
                }
                out.extend(r.groups.into_iter().map(|g| (addr.clone(), g)));
            }
            Err(e)
                if e.status() == Some(ferrocket::protocol::Status::SubscriptionGroupNotExist) =>
            {
                missing += 1;
            }
            Err(e) => return Err(unreachable_error(addr, &e)),
        }
    }
    if !group.is_empty() && missing == brokers.len() {
        return Err(format!(
            "SUBSCRIPTION_GROUP_NOT_EXIST: consumer group `{group}` is not known on {}",
            brokers.join(", ")
        ));
    }
    Ok(out)
}

async fn reset(
    admin: &Admin,
    brokers: &[String],
    group: &str,
    topic: &str,
    timestamp_ms: u64,
) -> Result<(), String> {
    let mut moved = Vec::new();
    for addr in brokers {
        match admin
            .reset_offset_by_time(addr, group, topic, timestamp_ms)
            .await
        {
            Ok(r) => moved.push(r),
            // A broker holding none of the group's topics has nothing to reset.
            Err(e)
                if brokers.len() > 1
                    && e.status() == Some(ferrocket::protocol::Status::QueryNotFound) => {}
            Err(e) => return Err(unreachable_error(addr, &e)),
        }
    }
    output::block(&group_view::render_reset(group, timestamp_ms, &moved))
}

/// Parses `--to-time`: `now`, `now-DURATION`, RFC 3339 in UTC, or epoch milliseconds.
pub fn parse_to_time(raw: &str) -> Result<u64, String> {
    let raw = raw.trim();
    let now = || {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
    };
    if raw == "now" {
        return Ok(now());
    }
    if let Some(ago) = raw.strip_prefix("now-") {
        let ago = message::parse_duration(ago)?;
        let ago_ms = u64::try_from(ago.as_millis()).unwrap_or(u64::MAX);
        return Ok(now().saturating_sub(ago_ms));
    }
    message::parse_time(raw)
}

fn parse_retry_queues(raw: &str) -> Result<u16, String> {
    match raw.parse::<u16>() {
        Ok(n) if n >= 1 && usize::from(n) <= QUEUE_COUNT_MAX => Ok(n),
        _ => Err(format!("retry queue count must be 1..={QUEUE_COUNT_MAX}")),
    }
}

fn parse_max_retries(raw: &str) -> Result<u32, String> {
    match raw.parse::<u32>() {
        Ok(n) if n <= RETRY_MAX_TIMES_MAX => Ok(n),
        _ => Err(format!("max retries must be 0..={RETRY_MAX_TIMES_MAX}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn set(args: &[&str]) -> GroupSetArgs {
        #[derive(Debug, clap::Parser)]
        struct Wrap {
            #[command(flatten)]
            set: GroupSetArgs,
        }
        let argv = std::iter::once("x").chain(args.iter().copied());
        <Wrap as clap::Parser>::try_parse_from(argv).unwrap().set
    }

    /// Create fills RocketMQ's defaults; update keeps every value whose flag is absent.
    #[test]
    fn create_defaults_and_update_keeps() {
        let created = set(&["G", "--max-retries", "3"]).apply(SubscriptionGroupConfig::new("G"));
        assert!(created.consume_enable && created.consume_broadcast_enable);
        assert_eq!((created.retry_queue_count, created.retry_max_times), (1, 3));
        let updated =
            set(&["G", "--consume-enable", "false", "--retry-queues", "2"]).apply(created.clone());
        assert!(!updated.consume_enable);
        assert_eq!((updated.retry_queue_count, updated.retry_max_times), (2, 3));
        assert_eq!(updated.which_broker_when_consume_slowly, 1);
    }

    /// `now`, `now-DURATION`, RFC 3339 and epoch milliseconds all parse; garbage does not.
    #[test]
    fn to_time_forms() {
        assert_eq!(parse_to_time("1700000000000"), Ok(1_700_000_000_000));
        assert_eq!(parse_to_time("2023-11-14T22:13:20Z"), Ok(1_700_000_000_000));
        let now = parse_to_time("now").unwrap();
        let ago = parse_to_time("now-10m").unwrap();
        // `ago` reads the clock after `now`, so the gap may be a few ms short of 10 minutes.
        assert!((590_000..610_000).contains(&(now - ago)), "{now} {ago}");
        assert!(parse_to_time("yesterday").is_err());
    }
}
