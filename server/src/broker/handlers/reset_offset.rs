//! `ResetOffset`: move a consumer group's committed offsets to a time and tell its live members
//! (`spec/protocol.md` §5.32, RocketMQ's `resetOffsetByTime`).
//!
//! Every read queue of the named topic (or of every topic the group's members subscribe to or
//! it holds offsets of, retry and dead-letter topics left out) moves to the first message
//! stored at or after the time. The table is saved, then every member gets the same request,
//! oneway, with this broker's name and the new offsets: members hold offsets in memory and
//! would otherwise commit their old position over the reset. A slave refuses it: its offsets
//! are a copy of its master's, where consumers commit.

use std::collections::BTreeSet;
use std::time::Duration;

use ferrocket::limits::RESET_OFFSET_QUEUE_COUNT_MAX;
use ferrocket::protocol::{QueueOffset, ResetOffsetRequest, ResetOffsetResponse, Status};

use crate::broker::BrokerState;
use crate::broker::handlers::consumer_send_back::{DLQ_TOPIC_PREFIX, RETRY_TOPIC_PREFIX};
use crate::broker::handlers::{existing_topic, master_only, valid_group};
use crate::broker::reply::Reply;

/// How long the notice to one member may wait for room in its connection's queue.
const NOTICE_SEND_TIMEOUT: Duration = Duration::from_secs(1);

/// Handles `ResetOffset` from an admin.
pub async fn handle(state: &BrokerState, request: ResetOffsetRequest) -> Reply {
    let group = &request.consumer_group;
    if let Err(reply) = valid_group(group).and_then(|()| master_only(state, "an offset reset")) {
        return reply;
    }
    let topics = match topics_to_reset(state, &request) {
        Ok(topics) => topics,
        Err(reply) => return reply,
    };
    let mut offsets = Vec::new();
    for topic in &topics {
        let Some(config) = state.topics.get(topic) else {
            continue;
        };
        for queue_id in 0..u32::from(config.read_queue_count) {
            let offset = state
                .store
                .search_offset(topic, queue_id, request.timestamp_ms);
            offsets.push(QueueOffset {
                topic: topic.clone(),
                queue_id,
                offset,
            });
        }
    }
    if offsets.is_empty() {
        return Reply::error(
            Status::QueryNotFound,
            format!(
                "consumer group `{group}` has no topic on broker `{}`: no member subscribes \
                 to one and it holds no offsets (name a topic with -t)",
                state.config.broker_name
            ),
        );
    }
    if offsets.len() > RESET_OFFSET_QUEUE_COUNT_MAX {
        return Reply::error(
            Status::InvalidParameter,
            format!(
                "{} queues to reset is over RESET_OFFSET_QUEUE_COUNT_MAX; reset one topic at a \
                 time with -t",
                offsets.len()
            ),
        );
    }
    for q in &offsets {
        state.offsets.set(group, &q.topic, q.queue_id, q.offset);
    }
    if let Err(e) = state.offsets.persist() {
        tracing::error!(group, error = %e, "cannot save consumer offsets after a reset");
    }
    tracing::info!(
        group,
        queues = offsets.len(),
        request.timestamp_ms,
        "consumer offsets reset"
    );
    let notice = ResetOffsetRequest {
        broker_name: state.config.broker_name.clone(),
        offsets: offsets.clone(),
        ..request
    };
    notify_members(state, &notice).await;
    Reply::ok(ResetOffsetResponse {
        broker_name: state.config.broker_name.clone(),
        offsets,
    })
}

/// The named topic (which must exist), else every topic of the group but its retry and
/// dead-letter topics.
fn topics_to_reset(
    state: &BrokerState,
    request: &ResetOffsetRequest,
) -> Result<BTreeSet<String>, Reply> {
    if !request.topic.is_empty() {
        existing_topic(state, &request.topic)?;
        return Ok(BTreeSet::from([request.topic.clone()]));
    }
    let group = &request.consumer_group;
    let subscribed = state
        .clients
        .members_of(group)
        .into_iter()
        .flat_map(|(_, _, d)| d.subscriptions.into_iter().map(|s| s.topic));
    Ok(subscribed
        .chain(state.offsets.topics_of(group))
        .filter(|t| !t.starts_with(RETRY_TOPIC_PREFIX) && !t.starts_with(DLQ_TOPIC_PREFIX))
        .collect())
}

/// Sends the notice oneway to every live member; a member it cannot reach logs and will
/// read the new offsets when it next takes the queues.
async fn notify_members(state: &BrokerState, notice: &ResetOffsetRequest) {
    for channel in state.clients.channels_of(&notice.consumer_group) {
        let sent = tokio::time::timeout(NOTICE_SEND_TIMEOUT, channel.oneway(notice)).await;
        if !matches!(sent, Ok(Ok(()))) {
            tracing::warn!(group = notice.consumer_group, peer = %channel.peer(), "offset-reset notice not sent");
        }
    }
}
