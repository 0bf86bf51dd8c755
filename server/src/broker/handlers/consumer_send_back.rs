//! `ConsumerSendBack`: store a copy of a message a consumer failed to consume in the group's
//! retry topic, delayed by a level, or in its dead-letter topic once retries are used up
//! (RocketMQ's `CONSUMER_SEND_MSG_BACK`; `spec/protocol.md` §5.27).

use bytes::BytesMut;
use ferrocket::limits::MAX_RECONSUME_TIMES_UNSET;
use ferrocket::message::Message;
use ferrocket::protocol::record::{RecordStamp, decode_record, encode_record};
use ferrocket::protocol::{ConsumerSendBackRequest, Status, SubscriptionGroupConfig, TopicConfig};

use crate::broker::BrokerState;
use crate::broker::handlers::send_message::{self, SendArgs};
use crate::broker::handlers::{master_only, topic_error_reply, valid_group};
use crate::broker::reply::Reply;
use crate::broker::topics::TopicError;

/// Property: the topic a retried message was first sent to.
pub const PROPERTY_RETRY_TOPIC: &str = "RETRY_TOPIC";
/// Property: the id of the message a retry copy was made from.
pub const PROPERTY_ORIGIN_MESSAGE_ID: &str = "ORIGIN_MESSAGE_ID";
/// Prefix of a group's retry topic.
pub const RETRY_TOPIC_PREFIX: &str = "%RETRY%";
/// Prefix of a group's dead-letter topic.
pub const DLQ_TOPIC_PREFIX: &str = "%DLQ%";

/// The delay level of a retry when the consumer lets the broker decide.
const RETRY_LEVEL_BASE: u32 = 3;

/// Handles `ConsumerSendBack`.
pub async fn handle(state: &BrokerState, request: ConsumerSendBackRequest) -> Reply {
    let group = &request.consumer_group;
    if let Err(reply) = valid_group(group).and_then(|()| master_only(state, "a send-back")) {
        return reply;
    }
    let not_found = || {
        Reply::error(
            Status::QueryNotFound,
            format!(
                "no message {} at commit-log offset {}; it may have expired",
                request.msg_id, request.commit_log_offset
            ),
        )
    };
    let Some(bytes) = state.store.read_record(request.commit_log_offset) else {
        return not_found();
    };
    let Ok(original) = decode_record(&bytes) else {
        return not_found();
    };
    if original.msg_id != request.msg_id {
        return not_found();
    }
    let reconsume_times = original.reconsume_times;
    let to = destination(state, &request, reconsume_times);
    let queue_count = match ensure_topic(state, &to.topic, to.queues) {
        Ok(count) => count,
        Err(reply) => return reply,
    };
    let mut message = original.message.clone();
    message.topic.clone_from(&to.topic);
    message.delay_level = to.level;
    message.deliver_at_ms = None;
    let first_topic = original.message.topic.clone();
    message
        .properties
        .entry(PROPERTY_RETRY_TOPIC.into())
        .or_insert(first_topic);
    message
        .properties
        .entry(PROPERTY_ORIGIN_MESSAGE_ID.into())
        .or_insert_with(|| original.msg_id.to_string());
    let stamp = RecordStamp {
        msg_id: original.msg_id,
        sys_flag: original.sys_flag,
        queue_id: u32::try_from(request.commit_log_offset % u64::from(queue_count)).unwrap_or(0),
        reconsume_times: reconsume_times.saturating_add(1),
        born_timestamp_ms: original.born_timestamp_ms,
        born_host: original.born_host,
        prepared_transaction_offset: 0,
    };
    if to.dead_letter {
        tracing::warn!(group, msg_id = %original.msg_id, reconsume_times, "message moved to the dead-letter queue");
    }
    store_copy(state, group, &message, &stamp).await
}

/// Where a sent-back message goes.
struct Destination {
    topic: String,
    /// Delay level of the copy (0 for the dead-letter queue).
    level: u8,
    /// Queues the topic is created with.
    queues: u16,
    dead_letter: bool,
}

/// The retry topic at the next level, or the dead-letter topic once the retries are used up.
/// The group's config decides what the consumer left open (RocketMQ's `retryMaxTimes` and
/// `retryQueueNums`).
fn destination(
    state: &BrokerState,
    request: &ConsumerSendBackRequest,
    reconsume_times: u32,
) -> Destination {
    let group = &request.consumer_group;
    let config = state
        .subscription_groups
        .get(group)
        .unwrap_or_else(|| SubscriptionGroupConfig::new(group.as_str()));
    let max_reconsume_times = if request.max_reconsume_times == MAX_RECONSUME_TIMES_UNSET {
        config.retry_max_times
    } else {
        request.max_reconsume_times
    };
    if request.delay_level < 0 || reconsume_times >= max_reconsume_times {
        return Destination {
            topic: format!("{DLQ_TOPIC_PREFIX}{group}"),
            level: 0,
            queues: 1,
            dead_letter: true,
        };
    }
    let level = u32::try_from(request.delay_level)
        .ok()
        .filter(|l| *l > 0)
        .unwrap_or(RETRY_LEVEL_BASE + reconsume_times);
    Destination {
        topic: format!("{RETRY_TOPIC_PREFIX}{group}"),
        level: u8::try_from(level).unwrap_or(u8::MAX),
        queues: config.retry_queue_count.max(1),
        dead_letter: false,
    }
}

/// Creates the retry or dead-letter topic (`queues` read-write queues) if it does not exist;
/// returns its write queue count.
fn ensure_topic(state: &BrokerState, topic: &str, queues: u16) -> Result<u16, Reply> {
    if let Some(config) = state.topics.get(topic) {
        return Ok(config.write_queue_count.max(1));
    }
    match state.topics.create(TopicConfig::new(topic, queues)) {
        Ok(config) => Ok(config.write_queue_count.max(1)),
        Err(TopicError::ExistAlready(_)) => Ok(state
            .topics
            .get(topic)
            .map_or(1, |c| c.write_queue_count.max(1))),
        Err(e) => Err(topic_error_reply(e)),
    }
}

async fn store_copy(
    state: &BrokerState,
    group: &str,
    message: &Message,
    stamp: &RecordStamp,
) -> Reply {
    let mut out = BytesMut::new();
    if let Err(e) = encode_record(message, stamp, &mut out) {
        return Reply::error(
            Status::MessageIllegal,
            format!("cannot re-encode the message: {e}"),
        );
    }
    let records = out.freeze();
    let args = SendArgs {
        producer_group: group,
        topic: &message.topic,
        queue_id: stamp.queue_id,
        wait_store_msg_ok: true,
        auto_create_queue_count: 1,
        records: &records,
        record_count: 1,
    };
    let stage = send_message::begin(state, &args);
    let reply = send_message::finish(state, stage).await;
    if matches!(reply.status, Status::Ok | Status::FlushDiskTimeout) {
        Reply::empty()
    } else {
        reply
    }
}
