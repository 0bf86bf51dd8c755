//! `ferrocket admin`: topic administration (`topic create|update|delete|list|describe`) and
//! mqadmin's spellings of the same (`updateTopic`, `topicList`, `deleteTopic`) so RocketMQ
//! users' muscle memory works; consumer groups (`group …`, in `group.rs`), messages
//! (`message …`, in `message.rs`) and clusters (`cluster list`, `topic route`, `broker
//! status`, `topic create --cluster`, in `cluster_admin.rs`).
//!
//! Every topic call goes to one broker: `-b/--broker`, else the master holding the topic
//! according to the name servers, else (a topic the name servers do not know, or `list`) the
//! first master the name servers list, else the first name server, which for a standalone
//! server is the broker itself. `topic create --cluster C` goes to every master of cluster C
//! instead.

use clap::{Args, Subcommand, ValueEnum};
use ferrocket::limits::{CREATE_QUEUE_COUNT_DEFAULT, QUEUE_COUNT_MAX};
use ferrocket::protocol::{DescribeTopicResponse, PERM_READ, PERM_WRITE, TopicConfig};
use ferrocket::{Admin, ClientError};

use crate::cli::client::{ClientArgs, default_broker, perm_name, probe_route};
use crate::cli::cluster_admin::{self, BrokerCommand, ClusterCommand};
use crate::cli::message;
use crate::cli::output::{self, JsonObject, Table, json_array};

/// Flags and subcommands of `ferrocket admin`.
#[derive(Debug, Args)]
pub struct AdminArgs {
    #[command(flatten)]
    client: ClientArgs,
    /// Broker to ask (default: the topic's master from the name servers; for a standalone
    /// server, the name-server address itself).
    #[arg(short = 'b', long, global = true, value_name = "ADDR")]
    broker: Option<String>,
    #[command(subcommand)]
    command: AdminCommand,
}

/// Admin subcommands.
#[derive(Debug, Subcommand)]
pub enum AdminCommand {
    /// Topics: create, update, delete, list, describe.
    #[command(subcommand)]
    Topic(TopicCommand),
    /// mqadmin updateTopic: create the topic, or update it when it exists.
    #[command(name = "updateTopic")]
    UpdateTopic(MqUpdateTopic),
    /// mqadmin topicList: print every topic name.
    #[command(name = "topicList")]
    TopicList,
    /// Messages: query by key, id or queue offset; track which groups consumed one.
    #[command(subcommand)]
    Message(message::MessageCommand),
    /// mqadmin deleteTopic: delete a topic.
    #[command(name = "deleteTopic")]
    DeleteTopic {
        /// Topic.
        #[arg(short = 't', long)]
        topic: String,
    },
    /// Consumer groups: create, update, delete, list, progress (alias describe), connections,
    /// reset-offset.
    #[command(subcommand)]
    Group(crate::cli::group::GroupCommand),
    /// Clusters: `list` (every broker the name servers know, with role and address).
    #[command(subcommand)]
    Cluster(ClusterCommand),
    /// Brokers: `status` (role, offsets, replication) of `-b ADDR` or of every broker.
    #[command(subcommand)]
    Broker(BrokerCommand),
}

/// `ferrocket admin topic …`.
#[derive(Debug, Subcommand)]
pub enum TopicCommand {
    /// Create a topic (on one broker, or with `--cluster` on every master of a cluster).
    Create(TopicCreateArgs),
    /// Change a topic's queue counts, permission or order flag (unset flags keep their value).
    Update(TopicSetArgs),
    /// Delete a topic with its queues and committed offsets.
    Delete {
        /// Topic.
        topic: String,
    },
    /// List topics.
    #[command(alias = "ls")]
    List {
        /// List retry, dead-letter and internal topics too.
        #[arg(long)]
        include_system: bool,
        /// Print a JSON array of flat objects.
        #[arg(long)]
        json: bool,
    },
    /// Where a topic's queues live: queue counts and permission per broker, and addresses.
    Route {
        /// Topic.
        topic: String,
    },
    /// A topic's config and, per queue, its min/max offsets and last store time.
    Describe {
        /// Topic.
        topic: String,
        /// Print one JSON object.
        #[arg(long)]
        json: bool,
    },
}

/// Flags of `topic create`.
#[derive(Debug, Args)]
pub struct TopicCreateArgs {
    #[command(flatten)]
    set: TopicSetArgs,
    /// Create the topic on every master of this cluster (RocketMQ's `updateTopic -c`).
    #[arg(short = 'c', long)]
    cluster: Option<String>,
}

/// Flags of `topic create` and `topic update`.
#[derive(Debug, Args)]
pub struct TopicSetArgs {
    /// Topic.
    topic: String,
    /// Read and write queue count [create default: CREATE_QUEUE_COUNT_DEFAULT = 8].
    #[arg(long, value_parser = parse_queue_count)]
    queues: Option<u16>,
    /// Read queue count (overrides --queues).
    #[arg(long, value_parser = parse_queue_count)]
    read_queues: Option<u16>,
    /// Write queue count (overrides --queues).
    #[arg(long, value_parser = parse_queue_count)]
    write_queues: Option<u16>,
    /// Permission [create default: rw].
    #[arg(long, value_enum)]
    perm: Option<Perm>,
    /// Mark the topic ordered.
    #[arg(long, overrides_with = "no_order")]
    order: bool,
    /// Clear the ordered mark (update).
    #[arg(long, overrides_with = "order")]
    no_order: bool,
}

impl TopicSetArgs {
    /// The order flag asked for, `None` when neither flag is given.
    fn order(&self) -> Option<bool> {
        match (self.order, self.no_order) {
            (true, _) => Some(true),
            (_, true) => Some(false),
            _ => None,
        }
    }
}

/// mqadmin's updateTopic flags.
#[derive(Debug, Args)]
pub struct MqUpdateTopic {
    /// Topic.
    #[arg(short = 't', long)]
    topic: String,
    /// Read queue count.
    #[arg(short = 'r', long = "readQueueNums", default_value_t = CREATE_QUEUE_COUNT_DEFAULT, value_parser = parse_queue_count)]
    read_queues: u16,
    /// Write queue count.
    #[arg(short = 'w', long = "writeQueueNums", default_value_t = CREATE_QUEUE_COUNT_DEFAULT, value_parser = parse_queue_count)]
    write_queues: u16,
    /// Permission bits: 2 write, 4 read, 6 read-write.
    #[arg(short = 'p', long, default_value_t = 6, value_parser = parse_perm_bits)]
    perm: u8,
    /// Ordered topic.
    #[arg(short = 'o', long, default_value_t = false, action = clap::ArgAction::Set)]
    order: bool,
}

/// A topic permission.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Perm {
    /// Read and write.
    Rw,
    /// Read only.
    R,
    /// Write only.
    W,
}

impl Perm {
    fn bits(self) -> u8 {
        match self {
            Perm::Rw => PERM_READ | PERM_WRITE,
            Perm::R => PERM_READ,
            Perm::W => PERM_WRITE,
        }
    }
}

/// Runs `ferrocket admin`.
pub async fn run(args: AdminArgs) -> Result<(), String> {
    let admin = args.client.admin()?;
    let result = dispatch(&admin, &args).await;
    admin.close().await;
    result
}

async fn dispatch(admin: &Admin, args: &AdminArgs) -> Result<(), String> {
    match &args.command {
        AdminCommand::Topic(TopicCommand::Create(create_args)) => {
            let config = config_for_create(&create_args.set);
            match (&create_args.cluster, &args.broker) {
                (Some(_), Some(_)) => Err("give --cluster or -b/--broker, not both".into()),
                (Some(cluster), None) => {
                    cluster_admin::create_on_cluster(admin, cluster, config).await
                }
                (None, _) => create(admin, &broker_for(admin, args, None).await?, config).await,
            }
        }
        AdminCommand::Topic(TopicCommand::Route { topic }) => {
            cluster_admin::route(admin, topic).await
        }
        AdminCommand::Cluster(command) => cluster_admin::cluster(admin, command).await,
        AdminCommand::Broker(command) => {
            cluster_admin::broker(admin, command, args.broker.as_deref()).await
        }
        AdminCommand::Topic(TopicCommand::Update(set)) => {
            let broker = broker_for(admin, args, Some(&set.topic)).await?;
            let current = describe(admin, &broker, &set.topic).await?.config;
            update(admin, &broker, config_for_update(set, current)).await
        }
        AdminCommand::Topic(TopicCommand::Delete { topic })
        | AdminCommand::DeleteTopic { topic } => {
            let broker = broker_for(admin, args, Some(topic)).await?;
            admin
                .delete_topic(&broker, topic)
                .await
                .map_err(|e| e.to_string())?;
            output::line(&format!("deleted topic {topic} on {broker}"))
        }
        AdminCommand::Topic(TopicCommand::List {
            include_system,
            json,
        }) => {
            let broker = broker_for(admin, args, None).await?;
            list(admin, &broker, *include_system, *json).await
        }
        AdminCommand::TopicList => {
            let broker = broker_for(admin, args, None).await?;
            let topics = list_topics(admin, &broker, false).await?;
            let names: Vec<String> = topics.into_iter().map(|t| t.topic + "\n").collect();
            output::block(&names.concat())
        }
        AdminCommand::Topic(TopicCommand::Describe { topic, json }) => {
            let broker = broker_for(admin, args, Some(topic)).await?;
            let described = describe(admin, &broker, topic).await?;
            output::block(&render_describe(&described, *json))
        }
        AdminCommand::UpdateTopic(mq) => mq_update_topic(admin, args, mq).await,
        AdminCommand::Message(command) => {
            let target = message::Target {
                broker: args.broker.clone(),
                namesrv: &args.client.namesrv,
                first_namesrv: args.client.first_namesrv(),
            };
            message::run(admin, target, command).await
        }
        AdminCommand::Group(command) => {
            crate::cli::group::run(admin, &args.client, args.broker.as_deref(), command).await
        }
    }
}

/// The broker to call; see the module doc.
async fn broker_for(
    admin: &Admin,
    args: &AdminArgs,
    topic: Option<&str>,
) -> Result<String, String> {
    if let Some(broker) = &args.broker {
        return Ok(broker.clone());
    }
    if let Some(topic) = topic {
        let route = probe_route(admin, &args.client.namesrv, topic).await?;
        if let Some(addr) = route.and_then(|r| r.masters.values().next().cloned()) {
            return Ok(addr);
        }
    }
    Ok(default_broker(admin, &args.client.first_namesrv()).await)
}

fn broker_error(broker: &str, e: &ClientError) -> String {
    match e {
        ClientError::Connection { .. } | ClientError::Timeout { .. } => format!(
            "cannot reach broker {broker}: {e} (set -b/--broker, or -n/--namesrv for a \
             standalone server)"
        ),
        _ => e.to_string(),
    }
}

fn config_for_create(set: &TopicSetArgs) -> TopicConfig {
    let queues = set.queues.unwrap_or(CREATE_QUEUE_COUNT_DEFAULT);
    TopicConfig {
        topic: set.topic.clone(),
        read_queue_count: set.read_queues.unwrap_or(queues),
        write_queue_count: set.write_queues.unwrap_or(queues),
        perm: set.perm.unwrap_or(Perm::Rw).bits(),
        order: set.order().unwrap_or(false),
    }
}

fn config_for_update(set: &TopicSetArgs, current: TopicConfig) -> TopicConfig {
    TopicConfig {
        topic: current.topic,
        read_queue_count: set
            .read_queues
            .or(set.queues)
            .unwrap_or(current.read_queue_count),
        write_queue_count: set
            .write_queues
            .or(set.queues)
            .unwrap_or(current.write_queue_count),
        perm: set.perm.map_or(current.perm, Perm::bits),
        order: set.order().unwrap_or(current.order),
    }
}

fn config_summary(c: &TopicConfig) -> String {
    format!(
        "{} read / {} write queues, perm {}, order {}",
        c.read_queue_count,
        c.write_queue_count,
        perm_name(c.perm),
        c.order
    )
}

async fn create(admin: &Admin, broker: &str, config: TopicConfig) -> Result<(), String> {
    let text = format!(
        "created topic {} ({}) on {broker}",
        config.topic,
        config_summary(&config)
    );
    admin
        .create_topic(broker, config)
        .await
        .map_err(|e| broker_error(broker, &e))?;
    output::line(&text)
}

async fn update(admin: &Admin, broker: &str, config: TopicConfig) -> Result<(), String> {
    let text = format!(
        "updated topic {} ({}) on {broker}",
        config.topic,
        config_summary(&config)
    );
    admin
        .update_topic(broker, config)
        .await
        .map_err(|e| broker_error(broker, &e))?;
    output::line(&text)
}

async fn describe(
    admin: &Admin,
    broker: &str,
    topic: &str,
) -> Result<DescribeTopicResponse, String> {
    admin
        .describe_topic(broker, topic)
        .await
        .map_err(|e| broker_error(broker, &e))
}

async fn list_topics(
    admin: &Admin,
    broker: &str,
    include_system: bool,
) -> Result<Vec<TopicConfig>, String> {
    admin
        .list_topics(broker, include_system)
        .await
        .map_err(|e| broker_error(broker, &e))
}

async fn list(admin: &Admin, broker: &str, include_system: bool, json: bool) -> Result<(), String> {
    let topics = list_topics(admin, broker, include_system).await?;
    if json {
        return output::line(&json_array(topics.iter().map(|c| config_json(c).finish())));
    }
    let mut table = Table::new(&["TOPIC", "READ", "WRITE", "PERM", "ORDER"]);
    for c in &topics {
        table.row(vec![
            c.topic.clone(),
            c.read_queue_count.to_string(),
            c.write_queue_count.to_string(),
            perm_name(c.perm).to_owned(),
            c.order.to_string(),
        ]);
    }
    output::block(&table.render())
}

fn config_json(c: &TopicConfig) -> JsonObject {
    JsonObject::new()
        .str("topic", &c.topic)
        .uint("read_queue_count", u64::from(c.read_queue_count))
        .uint("write_queue_count", u64::from(c.write_queue_count))
        .str("perm", perm_name(c.perm))
        .bool("order", c.order)
}

/// `describe` output: a config header and a per-queue table, or one JSON object whose
/// `queues` is an array of flat objects.
fn render_describe(d: &DescribeTopicResponse, json: bool) -> String {
    let messages: u64 = d
        .queues
        .iter()
        .map(|q| q.max_offset.saturating_sub(q.min_offset))
        .sum();
    if json {
        let queues = json_array(d.queues.iter().map(|q| {
            JsonObject::new()
                .uint("queue_id", u64::from(q.queue_id))
                .uint("min_offset", q.min_offset)
                .uint("max_offset", q.max_offset)
                .uint("last_store_timestamp_ms", q.last_store_timestamp_ms)
                .finish()
        }));
        let object = config_json(&d.config)
            .uint("messages", messages)
            .raw("queues", &queues)
            .finish();
        return object + "\n";
    }
    let mut out = format!(
        "topic {}: {}, {messages} messages stored\n",
        d.config.topic,
        config_summary(&d.config)
    );
    let mut table = Table::new(&["QUEUE", "MIN OFFSET", "MAX OFFSET", "LAST STORE TIME (UTC)"]);
    for q in &d.queues {
        table.row(vec![
            q.queue_id.to_string(),
            q.min_offset.to_string(),
            q.max_offset.to_string(),
            output::utc_ms(q.last_store_timestamp_ms),
        ]);
    }
    out.push_str(&table.render());
    out
}

async fn mq_update_topic(
    admin: &Admin,
    args: &AdminArgs,
    mq: &MqUpdateTopic,
) -> Result<(), String> {
    let broker = broker_for(admin, args, Some(&mq.topic)).await?;
    let config = TopicConfig {
        topic: mq.topic.clone(),
        read_queue_count: mq.read_queues,
        write_queue_count: mq.write_queues,
        perm: mq.perm,
        order: mq.order,
    };
    match admin.describe_topic(&broker, &mq.topic).await {
        Ok(_) => update(admin, &broker, config).await,
        Err(e) if e.status() == Some(ferrocket::protocol::Status::TopicNotExist) => {
            create(admin, &broker, config).await
        }
        Err(e) => Err(broker_error(&broker, &e)),
    }
}

fn parse_queue_count(raw: &str) -> Result<u16, String> {
    match raw.parse::<u16>() {
        Ok(n) if n >= 1 && usize::from(n) <= QUEUE_COUNT_MAX => Ok(n),
        _ => Err(format!("queue count must be 1..={QUEUE_COUNT_MAX}")),
    }
}

fn parse_perm_bits(raw: &str) -> Result<u8, String> {
    match raw {
        "2" => Ok(PERM_WRITE),
        "4" => Ok(PERM_READ),
        "6" => Ok(PERM_READ | PERM_WRITE),
        _ => Err("perm must be 2 (write), 4 (read) or 6 (read-write)".into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn set(args: &[&str]) -> TopicSetArgs {
        #[derive(Debug, clap::Parser)]
        struct Wrap {
            #[command(flatten)]
            set: TopicSetArgs,
        }
        let argv = std::iter::once("x").chain(args.iter().copied());
        <Wrap as clap::Parser>::try_parse_from(argv).unwrap().set
    }

    /// Create fills defaults; --read-queues/--write-queues override --queues.
    #[test]
    fn create_defaults_and_overrides() {
        let c = config_for_create(&set(&["T"]));
        assert_eq!((c.read_queue_count, c.write_queue_count), (8, 8));
        assert_eq!((c.perm, c.order), (6, false));
        let c = config_for_create(&set(&[
            "T",
            "--queues",
            "4",
            "--write-queues",
            "2",
            "--order",
        ]));
        assert_eq!(
            (c.read_queue_count, c.write_queue_count, c.order),
            (4, 2, true)
        );
    }

    /// Update keeps every value whose flag is absent.
    #[test]
    fn update_keeps_unset_values() {
        let current = TopicConfig {
            topic: "T".into(),
            read_queue_count: 3,
            write_queue_count: 5,
            perm: PERM_READ,
            order: true,
        };
        let c = config_for_update(&set(&["T", "--perm", "rw"]), current.clone());
        assert_eq!((c.read_queue_count, c.write_queue_count), (3, 5));
        assert_eq!((c.perm, c.order), (6, true));
        let c = config_for_update(&set(&["T", "--queues", "2", "--no-order"]), current);
        assert_eq!(
            (c.read_queue_count, c.write_queue_count, c.order),
            (2, 2, false)
        );
    }
}
