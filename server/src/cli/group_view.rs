//! How `ferrocket admin group …` prints: text tables (or `--json` arrays of flat objects) for
//! `list`, `progress` and `connections`, and the summary lines of `reset-offset`.

use std::fmt::Write as _;

use ferrocket::protocol::{
    ConsumeFrom, ConsumeType, ExpressionType, GroupDescription, MessageModel, NO_CONSUMER_OFFSET,
    ResetOffsetResponse, SubscriptionGroupConfig,
};

use crate::cli::output::{self, JsonObject, Table, json_array};

/// One line about a config, e.g. `consume on, broadcast on, 1 retry queue(s), 16 retries, …`.
pub fn config_summary(c: &SubscriptionGroupConfig) -> String {
    let on = |b: bool| if b { "on" } else { "off" };
    format!(
        "consume {}, broadcast {}, {} retry queue(s), {} retries, read broker {}, slow read broker {}",
        on(c.consume_enable),
        on(c.consume_broadcast_enable),
        c.retry_queue_count,
        c.retry_max_times,
        c.broker_id,
        c.which_broker_when_consume_slowly
    )
}

fn config_json(broker: &str, d: &GroupDescription) -> JsonObject {
    let c = &d.config;
    JsonObject::new()
        .str("group", &c.group)
        .str("broker", broker)
        .bool("stored", d.stored)
        .bool("consume_enable", c.consume_enable)
        .bool("consume_broadcast_enable", c.consume_broadcast_enable)
        .uint("retry_queue_count", u64::from(c.retry_queue_count))
        .uint("retry_max_times", u64::from(c.retry_max_times))
        .uint("broker_id", c.broker_id)
        .uint(
            "which_broker_when_consume_slowly",
            c.which_broker_when_consume_slowly,
        )
        .uint("members", u64::from(d.member_count))
}

/// `group list`: one row per group and broker.
pub fn render_list(found: &[(String, GroupDescription)], json: bool) -> String {
    if json {
        let rows = found.iter().map(|(b, d)| config_json(b, d).finish());
        return json_array(rows) + "\n";
    }
    let mut table = Table::new(&[
        "GROUP",
        "CONSUME",
        "BROADCAST",
        "RETRY QUEUES",
        "MAX RETRIES",
        "BROKER ID",
        "SLOW BROKER ID",
        "MEMBERS",
        "BROKER",
    ]);
    for (broker, d) in found {
        let c = &d.config;
        table.row(vec![
            c.group.clone(),
            c.consume_enable.to_string(),
            c.consume_broadcast_enable.to_string(),
            c.retry_queue_count.to_string(),
            c.retry_max_times.to_string(),
            c.broker_id.to_string(),
            c.which_broker_when_consume_slowly.to_string(),
            d.member_count.to_string(),
            broker.clone(),
        ]);
    }
    table.render()
}

fn offset_text(offset: u64) -> String {
    if offset == NO_CONSUMER_OFFSET {
        "-".to_owned()
    } else {
        offset.to_string()
    }
}

/// `group progress`: a header with members and total lag, then one row per queue.
pub fn render_progress(group: &str, found: &[(String, GroupDescription)], json: bool) -> String {
    let queues = found
        .iter()
        .flat_map(|(b, d)| d.queues.iter().map(move |q| (b, q)));
    if json {
        let rows = queues.map(|(broker, q)| {
            let mut o = JsonObject::new()
                .str("topic", &q.topic)
                .str("broker", broker)
                .uint("queue_id", u64::from(q.queue_id))
                .uint("broker_offset", q.broker_offset);
            if q.consumer_offset != NO_CONSUMER_OFFSET {
                o = o.uint("consumer_offset", q.consumer_offset);
            }
            o.uint("lag", q.lag())
                .uint("last_commit_ms", q.last_commit_ms)
                .uint("last_consumed_store_ms", q.last_consumed_store_ms)
                .finish()
        });
        return json_array(rows) + "\n";
    }
    let members: u32 = found.iter().map(|(_, d)| d.member_count).max().unwrap_or(0);
    let total: u64 = found
        .iter()
        .flat_map(|(_, d)| d.queues.iter())
        .map(|q| q.lag())
        .sum();
    let mut out = format!("group {group}: {members} member(s), total lag {total}\n");
    let mut table = Table::new(&[
        "TOPIC",
        "BROKER",
        "QUEUE",
        "BROKER OFFSET",
        "CONSUMER OFFSET",
        "LAG",
        "LAST CONSUMED (UTC)",
        "LAST COMMIT (UTC)",
    ]);
    for (broker, q) in queues {
        table.row(vec![
            q.topic.clone(),
            broker.clone(),
            q.queue_id.to_string(),
            q.broker_offset.to_string(),
            offset_text(q.consumer_offset),
            q.lag().to_string(),
            output::utc_ms(q.last_consumed_store_ms),
            output::utc_ms(q.last_commit_ms),
        ]);
    }
    out.push_str(&table.render());
    out
}

fn consume_type(t: ConsumeType) -> &'static str {
    match t {
        ConsumeType::Pull => "PULL",
        ConsumeType::Push => "PUSH",
    }
}

fn model(m: MessageModel) -> &'static str {
    match m {
        MessageModel::Clustering => "CLUSTERING",
        MessageModel::Broadcasting => "BROADCASTING",
    }
}

fn consume_from(f: ConsumeFrom) -> &'static str {
    match f {
        ConsumeFrom::LastOffset => "LAST_OFFSET",
        ConsumeFrom::FirstOffset => "FIRST_OFFSET",
        ConsumeFrom::Timestamp => "TIMESTAMP",
    }
}

/// Subscriptions as `topic=expression` joined by `; ` (SQL ones marked `sql:`).
fn subscriptions(m: &ferrocket::protocol::GroupMember) -> String {
    m.subscriptions
        .iter()
        .map(|s| match s.expression_type {
            ExpressionType::Tag => format!("{}={}", s.topic, s.expression),
            ExpressionType::Sql92 => format!("{}=sql:{}", s.topic, s.expression),
        })
        .collect::<Vec<_>>()
        .join("; ")
}

/// `group connections`: one row per member (a member of several brokers once).
pub fn render_connections(group: &str, found: &[(String, GroupDescription)], json: bool) -> String {
    let mut members: Vec<&ferrocket::protocol::GroupMember> =
        found.iter().flat_map(|(_, d)| d.members.iter()).collect();
    members.sort_by(|a, b| a.client_id.cmp(&b.client_id));
    members.dedup_by(|a, b| a.client_id == b.client_id);
    if json {
        let rows = members.iter().map(|m| {
            JsonObject::new()
                .str("client_id", &m.client_id)
                .str("addr", &m.addr)
                .str("consume_type", consume_type(m.consume_type))
                .str("message_model", model(m.message_model))
                .str("consume_from", consume_from(m.consume_from))
                .str("subscriptions", &subscriptions(m))
                .finish()
        });
        return json_array(rows) + "\n";
    }
    let mut out = format!("group {group}: {} member(s)\n", members.len());
    let mut table = Table::new(&[
        "CLIENT ID",
        "ADDRESS",
        "TYPE",
        "MODEL",
        "CONSUME FROM",
        "SUBSCRIPTIONS",
    ]);
    for m in members {
        table.row(vec![
            m.client_id.clone(),
            m.addr.clone(),
            consume_type(m.consume_type).to_owned(),
            model(m.message_model).to_owned(),
            consume_from(m.consume_from).to_owned(),
            subscriptions(m),
        ]);
    }
    out.push_str(&table.render());
    out
}

/// `group reset-offset`: the new offset of every queue, then a summary line.
pub fn render_reset(group: &str, timestamp_ms: u64, moved: &[ResetOffsetResponse]) -> String {
    let mut table = Table::new(&["TOPIC", "BROKER", "QUEUE", "NEW OFFSET"]);
    let mut count = 0;
    for r in moved {
        for q in &r.offsets {
            count += 1;
            table.row(vec![
                q.topic.clone(),
                r.broker_name.clone(),
                q.queue_id.to_string(),
                q.offset.to_string(),
            ]);
        }
    }
    let mut out = table.render();
    let _ = writeln!(
        out,
        "reset {count} queue(s) of group {group} to {}; live members continue there",
        output::utc_ms(timestamp_ms)
    );
    out
}
