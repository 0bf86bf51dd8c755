//! `ferrocket admin group describe G`: a consumer group's members and, per queue it has committed
//! an offset for, the committed offset, the queue's max offset and the lag.

use std::fmt::Write as _;

use clap::Subcommand;
use ferrocket::Admin;

use crate::cli::output;

/// `ferrocket admin group …`.
#[derive(Debug, Subcommand)]
pub enum GroupCommand {
    /// Members, and per queue the committed offset, max offset and lag.
    Describe {
        /// The consumer group.
        group: String,
    },
}

/// One queue the group has an offset for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueueProgress {
    /// Topic (retry topics included).
    pub topic: String,
    /// Broker holding the queue.
    pub broker_name: String,
    /// Queue id.
    pub queue_id: u32,
    /// The group's committed offset.
    pub committed: u64,
    /// One past the queue's last message.
    pub max_offset: u64,
}

impl QueueProgress {
    /// Messages not consumed yet.
    pub fn lag(&self) -> u64 {
        self.max_offset.saturating_sub(self.committed)
    }
}

/// What `describe` found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GroupDescription {
    /// Member client ids (from every broker asked), sorted.
    pub members: Vec<String>,
    /// Queues with a committed offset, by topic, broker and queue id.
    pub queues: Vec<QueueProgress>,
}

/// Runs `ferrocket admin group …` against the name servers in `namesrv`.
pub async fn run(namesrv: &str, command: &GroupCommand) -> Result<(), String> {
    match command {
        GroupCommand::Describe { group } => {
            let d = describe(namesrv, group).await.map_err(|e| e.to_string())?;
            output::block(&render(group, &d))
        }
    }
}

/// Describes `group` through the name servers in `namesrv`.
pub async fn describe(
    namesrv: &str,
    group: &str,
) -> Result<GroupDescription, ferrocket::ClientError> {
    let admin = Admin::with_namesrv(namesrv)?;
    let first = namesrv
        .split(';')
        .next()
        .unwrap_or(namesrv)
        .trim()
        .to_owned();
    let topics = admin.list_topics(&first, true).await?;
    let mut members = Vec::new();
    let mut queues = Vec::new();
    for topic in topics {
        let Ok(route) = admin.route(&topic.topic).await else {
            continue;
        };
        for addr in route.masters.values() {
            for id in admin.consumer_list(addr, group).await.unwrap_or_default() {
                if !members.contains(&id) {
                    members.push(id);
                }
            }
        }
        for mq in &route.read_queues {
            let Some(addr) = route.master_addr(&mq.broker_name) else {
                continue;
            };
            let Some(committed) = admin
                .committed_offset(addr, group, &mq.topic, mq.queue_id)
                .await?
            else {
                continue;
            };
            let max_offset = admin.max_offset(addr, &mq.topic, mq.queue_id).await?;
            queues.push(QueueProgress {
                topic: mq.topic.clone(),
                broker_name: mq.broker_name.clone(),
                queue_id: mq.queue_id,
                committed,
                max_offset,
            });
        }
    }
    admin.close().await;
    members.sort();
    Ok(GroupDescription { members, queues })
}

/// The description as text: members, then a table of queues, then the total lag.
pub fn render(group: &str, d: &GroupDescription) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "group {group}: {} member(s)", d.members.len());
    for m in &d.members {
        let _ = writeln!(out, "  {m}");
    }
    let _ = writeln!(
        out,
        "{:<40} {:<16} {:>5} {:>14} {:>14} {:>10}",
        "TOPIC", "BROKER", "QUEUE", "COMMITTED", "MAX", "LAG"
    );
    for q in &d.queues {
        let _ = writeln!(
            out,
            "{:<40} {:<16} {:>5} {:>14} {:>14} {:>10}",
            q.topic,
            q.broker_name,
            q.queue_id,
            q.committed,
            q.max_offset,
            q.lag()
        );
    }
    let total: u64 = d.queues.iter().map(QueueProgress::lag).sum();
    let _ = writeln!(out, "total lag {total}");
    out
}
