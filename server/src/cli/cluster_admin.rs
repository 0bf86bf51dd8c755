//! The cluster pieces of `ferrocket admin` (`admin.rs` holds the command tree): `cluster list`,
//! `topic route T`, `broker status` and `topic create T --cluster C` (create on every master of
//! the cluster, RocketMQ's `updateTopic -c`). Everything goes through the name servers
//! (`-n/--namesrv`; a standalone server is its own name server) except `broker status -b ADDR`.

use clap::Subcommand;
use ferrocket::protocol::{BrokerStatus, TopicConfig};
use ferrocket::{Admin, ClientError};

use crate::cli::client::perm_name;
use crate::cli::output::{self, Table};

/// `ferrocket admin cluster …`.
#[derive(Debug, Subcommand)]
pub enum ClusterCommand {
    /// Every broker the name servers know: cluster, name, id, role, address, last registration.
    List {
        /// Only this cluster.
        #[arg(short = 'c', long)]
        cluster: Option<String>,
    },
}

/// `ferrocket admin broker …`.
#[derive(Debug, Subcommand)]
pub enum BrokerCommand {
    /// Role, commit-log offsets and replication of one broker (`-b ADDR`) or of every broker
    /// the name servers know.
    Status,
}

/// Runs `admin cluster …`.
pub async fn cluster(admin: &Admin, command: &ClusterCommand) -> Result<(), String> {
    match command {
        ClusterCommand::List { cluster } => {
            cluster_list(admin, cluster.as_deref().unwrap_or("")).await
        }
    }
}

/// Runs `admin broker …`; `broker` is the `-b` address, if given.
pub async fn broker(
    admin: &Admin,
    command: &BrokerCommand,
    broker: Option<&str>,
) -> Result<(), String> {
    match command {
        BrokerCommand::Status => broker_status(admin, broker).await,
    }
}

async fn cluster_list(admin: &Admin, cluster: &str) -> Result<(), String> {
    let info = admin
        .cluster_info(cluster)
        .await
        .map_err(|e| e.to_string())?;
    let mut table = Table::new(&["CLUSTER", "BROKER", "ID", "ROLE", "ADDRESS", "REGISTERED"]);
    for b in &info.brokers {
        table.row(vec![
            b.cluster.clone(),
            b.broker_name.clone(),
            b.broker_id.to_string(),
            b.role.name().to_owned(),
            b.addr.clone(),
            format!("{:.1}s ago", b.last_register_age_ms as f64 / 1000.0),
        ]);
    }
    output::block(&table.render())
}

/// `admin topic route T`: queue counts and permission per broker, and every address.
pub async fn route(admin: &Admin, topic: &str) -> Result<(), String> {
    let info = admin.route(topic).await.map_err(|e| e.to_string())?;
    let mut table = Table::new(&["BROKER", "READ", "WRITE", "PERM", "ADDRESSES (id=addr)"]);
    for q in &info.route.queues {
        let addrs: Vec<String> = info
            .addrs
            .get(&q.broker_name)
            .into_iter()
            .flatten()
            .map(|(id, addr)| format!("{id}={addr}"))
            .collect();
        table.row(vec![
            q.broker_name.clone(),
            q.read_queue_count.to_string(),
            q.write_queue_count.to_string(),
            perm_name(q.perm).to_owned(),
            addrs.join(" "),
        ]);
    }
    output::block(&format!("topic {topic}\n{}", table.render()))
}

/// `admin topic create T --cluster C`: create on every master; fails if any master failed.
pub async fn create_on_cluster(
    admin: &Admin,
    cluster: &str,
    config: TopicConfig,
) -> Result<(), String> {
    let topic = config.topic.clone();
    let outcomes = admin
        .create_topic_on_cluster(cluster, config)
        .await
        .map_err(|e| e.to_string())?;
    let mut first_error = None;
    for (addr, outcome) in outcomes {
        match outcome {
            Ok(()) => output::line(&format!("created topic {topic} on {addr}"))?,
            Err(e) => {
                eprintln!("cannot create topic {topic} on {addr}: {e}");
                first_error.get_or_insert(format!("cannot create topic {topic} on {addr}: {e}"));
            }
        }
    }
    first_error.map_or(Ok(()), Err)
}

async fn broker_status(admin: &Admin, broker: Option<&str>) -> Result<(), String> {
    let addrs = match broker {
        Some(addr) => vec![addr.to_owned()],
        None => admin
            .cluster_info("")
            .await
            .map_err(|e: ClientError| e.to_string())?
            .brokers
            .into_iter()
            .map(|b| b.addr)
            .collect(),
    };
    for addr in addrs {
        let text = match admin.broker_status(&addr).await {
            Ok(status) => render_status(&status),
            Err(e) => format!("{addr}: {e}\n\n"),
        };
        output::block(&text)?;
    }
    Ok(())
}

fn render_status(s: &BrokerStatus) -> String {
    let mut out = format!(
        "{} ({} {} id {}, cluster {})\n",
        s.addr,
        s.role.name(),
        s.broker_name,
        s.broker_id,
        s.cluster
    );
    out += &format!(
        "  commit log  min {}  max {}  flushed {}  topics {}\n",
        s.commit_log_min_offset, s.commit_log_max_offset, s.flushed_offset, s.topic_count
    );
    if !s.master_addr.is_empty() {
        out += &format!("  copying from master {}\n", s.master_addr);
    }
    for slave in &s.slaves {
        let behind = s.commit_log_max_offset.saturating_sub(slave.ack_offset);
        out += &format!(
            "  slave {}  acked {}  behind {} bytes  last fetch {} ms ago\n",
            slave.addr, slave.ack_offset, behind, slave.last_fetch_age_ms
        );
    }
    out.push('\n');
    out
}
