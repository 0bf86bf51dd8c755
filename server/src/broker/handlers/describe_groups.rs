//! `DescribeGroups`: consumer groups' configs, live members and per-queue progress as this
//! broker sees them (`spec/protocol.md` §5.31).
//!
//! A group's topics are those its live members subscribe to and those it holds committed
//! offsets of; its progress lists every read queue of those topics on this broker. Lists stop
//! growing at `DESCRIBE_BYTES_BUDGET` (then `truncated` is set), so the answer always fits a
//! frame.

use std::collections::BTreeSet;

use ferrocket::limits::{
    CONSUMER_LIST_COUNT_MAX, FRAME_LEN_MAX, GROUP_DESCRIBE_COUNT_MAX,
    GROUP_PROGRESS_QUEUE_COUNT_MAX,
};
use ferrocket::protocol::record::{OFF_STORE_TIMESTAMP, RECORD_FIXED_LEN, read_u64};
use ferrocket::protocol::{
    DESCRIBE_MEMBERS, DESCRIBE_PROGRESS, DescribeGroupsRequest, DescribeGroupsResponse,
    GroupDescription, GroupMember, NO_CONSUMER_OFFSET, QueueProgress, Status,
    SubscriptionGroupConfig,
};

use crate::broker::BrokerState;
use crate::broker::handlers::valid_group;
use crate::broker::reply::Reply;

/// Encoded bytes an answer may grow to before its lists are cut (half a frame).
const DESCRIBE_BYTES_BUDGET: usize = FRAME_LEN_MAX as usize / 2;

/// Handles `DescribeGroups`.
pub fn handle(state: &BrokerState, request: DescribeGroupsRequest) -> Reply {
    let groups: Vec<(SubscriptionGroupConfig, bool)> = if request.consumer_group.is_empty() {
        let mut all = state.subscription_groups.list();
        all.truncate(GROUP_DESCRIBE_COUNT_MAX);
        all.into_iter().map(|c| (c, true)).collect()
    } else {
        let group = &request.consumer_group;
        if let Err(reply) = valid_group(group) {
            return reply;
        }
        match state.subscription_groups.get(group) {
            Some(config) => vec![(config, true)],
            None if known(state, group) => {
                vec![(SubscriptionGroupConfig::new(group.as_str()), false)]
            }
            None => {
                return Reply::error(
                    Status::SubscriptionGroupNotExist,
                    format!(
                        "consumer group `{group}` is not known on broker `{}`: no config, \
                         no member and no committed offset",
                        state.config.broker_name
                    ),
                );
            }
        }
    };
    let mut budget = Budget {
        left: DESCRIBE_BYTES_BUDGET,
        truncated: false,
    };
    let groups = groups
        .into_iter()
        .map(|(config, stored)| describe(state, config, stored, request.include, &mut budget))
        .collect();
    Reply::ok(DescribeGroupsResponse {
        groups,
        truncated: budget.truncated,
    })
}

/// Bytes left for list elements, and whether one was left out.
struct Budget {
    left: usize,
    truncated: bool,
}

impl Budget {
    /// Takes `bytes` if they are left; else marks the answer truncated.
    fn take(&mut self, bytes: usize) -> bool {
        if bytes > self.left {
            self.truncated = true;
            return false;
        }
        self.left -= bytes;
        true
    }
}

/// Whether the broker knows `group` from a member or a committed offset.
fn known(state: &BrokerState, group: &str) -> bool {
    !state.clients.consumers_of(group).is_empty() || !state.offsets.topics_of(group).is_empty()
}

fn describe(
    state: &BrokerState,
    config: SubscriptionGroupConfig,
    stored: bool,
    include: u8,
    budget: &mut Budget,
) -> GroupDescription {
    let group = config.group.clone();
    budget.take(64 + group.len());
    let members_all = state.clients.members_of(&group);
    let member_count = u32::try_from(members_all.len()).unwrap_or(u32::MAX);
    let mut members = Vec::new();
    if include & DESCRIBE_MEMBERS != 0 {
        for (client_id, addr, data) in members_all.iter().take(CONSUMER_LIST_COUNT_MAX) {
            let subs: usize = data
                .subscriptions
                .iter()
                .map(|s| 5 + s.topic.len() + s.expression.len())
                .sum();
            if !budget.take(32 + client_id.len() + subs) {
                break;
            }
            members.push(GroupMember {
                client_id: client_id.clone(),
                addr: addr.to_string(),
                consume_type: data.consume_type,
                message_model: data.message_model,
                consume_from: data.consume_from,
                subscriptions: data.subscriptions.clone(),
            });
        }
    }
    let queues = if include & DESCRIBE_PROGRESS != 0 {
        let topics: BTreeSet<String> = members_all
            .iter()
            .flat_map(|(_, _, d)| d.subscriptions.iter().map(|s| s.topic.clone()))
            .chain(state.offsets.topics_of(&group))
            .collect();
        progress(state, &group, &topics, budget)
    } else {
        Vec::new()
    };
    GroupDescription {
        config,
        stored,
        member_count,
        members,
        queues,
    }
}

/// Every read queue of `topics` on this broker with the group's standing there.
fn progress(
    state: &BrokerState,
    group: &str,
    topics: &BTreeSet<String>,
    budget: &mut Budget,
) -> Vec<QueueProgress> {
    let mut out = Vec::new();
    for topic in topics {
        let Some(config) = state.topics.get(topic) else {
            continue;
        };
        for queue_id in 0..u32::from(config.read_queue_count) {
            if out.len() >= GROUP_PROGRESS_QUEUE_COUNT_MAX || !budget.take(40 + topic.len()) {
                return out;
            }
            let entry = state.offsets.entry(group, topic, queue_id);
            let consumer_offset = entry.map_or(NO_CONSUMER_OFFSET, |e| e.offset);
            out.push(QueueProgress {
                topic: topic.clone(),
                queue_id,
                broker_offset: state.store.max_offset(topic, queue_id),
                consumer_offset,
                last_commit_ms: entry.map_or(0, |e| e.last_commit_ms),
                last_consumed_store_ms: last_consumed_store_ms(state, topic, queue_id, entry),
            });
        }
    }
    out
}

/// Store time of the message just before the committed offset, 0 when there is none.
fn last_consumed_store_ms(
    state: &BrokerState,
    topic: &str,
    queue_id: u32,
    entry: Option<crate::broker::offsets::OffsetEntry>,
) -> u64 {
    let Some(offset) = entry.map(|e| e.offset).filter(|o| *o > 0) else {
        return 0;
    };
    let read = state
        .store
        .read(topic, queue_id, offset - 1, 1, 1, &|_| true);
    read.records
        .first()
        .filter(|r| r.len() >= RECORD_FIXED_LEN && read.next_offset == offset)
        .map_or(0, |r| read_u64(r, OFF_STORE_TIMESTAMP))
}
