//! `ferrocket admin` for clusters: `cluster list`, `topic route T`, `broker status` and
//! `topic create T --cluster C` (create on every master of the cluster, RocketMQ's
//! `updateTopic -c`). Everything goes through the name servers (`-n`, `NAMESRV_ADDR`, default
//! `127.0.0.1:9876`; a standalone server is its own name server) except `broker status -b`.
//!
//! The subcommands are built from small pieces (`ClusterCommand`, `BrokerCommand`,
//! `route`, `create_on_cluster`) so they can sit beside the topic administration commands.

use clap::{Args, Subcommand};
use ferrocket::client::ClientConfig;
use ferrocket::limits::{CREATE_QUEUE_COUNT_DEFAULT, QUEUE_COUNT_MAX};
use ferrocket::protocol::{BrokerStatus, TopicConfig};
use ferrocket::{Admin, ClientError};

/// Flags and subcommands of `ferrocket admin`.
#[derive(Debug, Args)]
pub struct AdminArgs {
    /// Name servers, `host:port;host:port`.
    #[arg(
        short = 'n',
        long,
        global = true,
        env = "NAMESRV_ADDR",
        default_value = "127.0.0.1:9876"
    )]
    pub namesrv: String,
    /// What to do.
    #[command(subcommand)]
    pub command: AdminCommand,
}

/// `ferrocket admin …` (cluster commands).
#[derive(Debug, Subcommand)]
pub enum AdminCommand {
    /// Clusters and their brokers.
    #[command(subcommand)]
    Cluster(ClusterCommand),
    /// Topic routes, and topics created on a whole cluster.
    #[command(subcommand)]
    Topic(TopicCommand),
    /// Broker status.
    #[command(subcommand)]
    Broker(BrokerCommand),
}

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

/// `ferrocket admin topic …` (cluster commands).
#[derive(Debug, Subcommand)]
pub enum TopicCommand {
    /// Where a topic's queues live: queue counts and permission per broker, and addresses.
    Route {
        /// Topic.
        topic: String,
    },
    /// Create a topic on every master of a cluster.
    Create {
        /// Topic.
        topic: String,
        /// Cluster whose masters get the topic.
        #[arg(short = 'c', long)]
        cluster: String,
        /// Read and write queues on each master.
        #[arg(long, default_value_t = CREATE_QUEUE_COUNT_DEFAULT, value_parser = parse_queue_count)]
        queues: u16,
    },
}

/// `ferrocket admin broker …`.
#[derive(Debug, Subcommand)]
pub enum BrokerCommand {
    /// Role, commit-log offsets and replication of one broker (`-b`) or of every broker the
    /// name servers know.
    Status {
        /// Broker address; default: every registered broker.
        #[arg(short = 'b', long, value_name = "ADDR")]
        broker: Option<String>,
    },
}

/// Runs `ferrocket admin`.
pub async fn run(args: AdminArgs) -> Result<(), String> {
    let admin = Admin::new(client_config(&args.namesrv)?);
    let result = match args.command {
        AdminCommand::Cluster(ClusterCommand::List { cluster }) => {
            cluster_list(&admin, cluster.as_deref().unwrap_or("")).await
        }
        AdminCommand::Topic(TopicCommand::Route { topic }) => route(&admin, &topic).await,
        AdminCommand::Topic(TopicCommand::Create {
            topic,
            cluster,
            queues,
        }) => create_on_cluster(&admin, &cluster, TopicConfig::new(topic, queues)).await,
        AdminCommand::Broker(BrokerCommand::Status { broker }) => {
            broker_status(&admin, broker.as_deref()).await
        }
    };
    admin.close().await;
    result.map_err(|e| e.to_string())
}

fn client_config(namesrv: &str) -> Result<ClientConfig, String> {
    Ok(ClientConfig {
        name_servers: namesrv.parse().map_err(|e: ClientError| e.to_string())?,
        ..ClientConfig::default()
    })
}

fn parse_queue_count(s: &str) -> Result<u16, String> {
    let n: u16 = s.parse().map_err(|e| format!("{e}"))?;
    if n == 0 || usize::from(n) > QUEUE_COUNT_MAX {
        return Err(format!("must be 1..={QUEUE_COUNT_MAX}"));
    }
    Ok(n)
}

/// Prints `rows` as left-aligned columns under `header`.
fn print_table(header: &[&str], rows: &[Vec<String>]) {
    let mut widths: Vec<usize> = header.iter().map(|h| h.len()).collect();
    for row in rows {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(cell.len());
        }
    }
    let line = |cells: Vec<&str>| {
        let padded: Vec<String> = cells
            .iter()
            .zip(&widths)
            .map(|(c, w)| format!("{c:<w$}"))
            .collect();
        println!("{}", padded.join("  ").trim_end());
    };
    line(header.to_vec());
    for row in rows {
        line(row.iter().map(String::as_str).collect());
    }
}

/// `admin cluster list`.
pub async fn cluster_list(admin: &Admin, cluster: &str) -> Result<(), ClientError> {
    let info = admin.cluster_info(cluster).await?;
    let rows: Vec<Vec<String>> = info
        .brokers
        .iter()
        .map(|b| {
            vec![
                b.cluster.clone(),
                b.broker_name.clone(),
                b.broker_id.to_string(),
                b.role.name().to_owned(),
                b.addr.clone(),
                format!("{:.1}s ago", b.last_register_age_ms as f64 / 1000.0),
            ]
        })
        .collect();
    print_table(
        &["CLUSTER", "BROKER", "ID", "ROLE", "ADDRESS", "REGISTERED"],
        &rows,
    );
    Ok(())
}

/// `admin topic route T`.
pub async fn route(admin: &Admin, topic: &str) -> Result<(), ClientError> {
    let info = admin.route(topic).await?;
    let rows: Vec<Vec<String>> = info
        .route
        .queues
        .iter()
        .map(|q| {
            let addrs = info.addrs.get(&q.broker_name);
            let addrs: Vec<String> = addrs
                .into_iter()
                .flatten()
                .map(|(id, addr)| format!("{id}={addr}"))
                .collect();
            vec![
                q.broker_name.clone(),
                q.read_queue_count.to_string(),
                q.write_queue_count.to_string(),
                perm(q.perm),
                addrs.join(" "),
            ]
        })
        .collect();
    println!("topic {topic}");
    print_table(
        &["BROKER", "READ", "WRITE", "PERM", "ADDRESSES (id=addr)"],
        &rows,
    );
    Ok(())
}

fn perm(bits: u8) -> String {
    let r = if bits & ferrocket::protocol::PERM_READ != 0 {
        "r"
    } else {
        "-"
    };
    let w = if bits & ferrocket::protocol::PERM_WRITE != 0 {
        "w"
    } else {
        "-"
    };
    format!("{r}{w}")
}

/// `admin topic create T --cluster C`: create on every master; fails if any master failed.
pub async fn create_on_cluster(
    admin: &Admin,
    cluster: &str,
    config: TopicConfig,
) -> Result<(), ClientError> {
    let topic = config.topic.clone();
    let outcomes = admin.create_topic_on_cluster(cluster, config).await?;
    let mut first_error = None;
    for (addr, outcome) in outcomes {
        match outcome {
            Ok(()) => println!("created topic {topic} on {addr}"),
            Err(e) => {
                eprintln!("cannot create topic {topic} on {addr}: {e}");
                first_error.get_or_insert(e);
            }
        }
    }
    first_error.map_or(Ok(()), Err)
}

/// `admin broker status`.
pub async fn broker_status(admin: &Admin, broker: Option<&str>) -> Result<(), ClientError> {
    let addrs = match broker {
        Some(addr) => vec![addr.to_owned()],
        None => admin
            .cluster_info("")
            .await?
            .brokers
            .into_iter()
            .map(|b| b.addr)
            .collect(),
    };
    for addr in addrs {
        match admin.broker_status(&addr).await {
            Ok(status) => print_status(&status),
            Err(e) => println!("{addr}: {e}\n"),
        }
    }
    Ok(())
}

fn print_status(s: &BrokerStatus) {
    println!(
        "{} ({} {} id {}, cluster {})",
        s.addr,
        s.role.name(),
        s.broker_name,
        s.broker_id,
        s.cluster
    );
    println!(
        "  commit log  min {}  max {}  flushed {}  topics {}",
        s.commit_log_min_offset, s.commit_log_max_offset, s.flushed_offset, s.topic_count
    );
    if !s.master_addr.is_empty() {
        println!("  copying from master {}", s.master_addr);
    }
    for slave in &s.slaves {
        let behind = s.commit_log_max_offset.saturating_sub(slave.ack_offset);
        println!(
            "  slave {}  acked {}  behind {} bytes  last fetch {} ms ago",
            slave.addr, slave.ack_offset, behind, slave.last_fetch_age_ms
        );
    }
    println!();
}
