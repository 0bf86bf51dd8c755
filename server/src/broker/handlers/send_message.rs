//! `SendMessage` and the store path shared with `SendBatch`: validate the records, create the
//! topic if allowed, append, wait for the flush and a slave as the config asks, and map the
//! outcome to RocketMQ's send statuses.

use bytes::Bytes;
use ferrocket::protocol::record::{
    RecordView, SYS_FLAG_TRANSACTION_MASK, SYS_FLAG_TRANSACTION_PREPARED, is_delayed, parse_records,
};
use ferrocket::protocol::{PERM_WRITE, SendMessageRequest, SendResponse, Status};

use crate::broker::BrokerState;
use crate::broker::handlers::{master_only, topic_error_reply, valid_group};
use crate::broker::names;
use crate::broker::reply::Reply;
use crate::broker::transaction;
use crate::ha::master::{ReplicaOutcome, wait_for_slave};
use crate::store::{AppendBatch, FlushOutcome, PendingAppend, StoreError};

/// Begins a `SendMessage`: checks it and writes it to the store without waiting.
pub fn begin_single(state: &BrokerState, request: &SendMessageRequest) -> SendStage {
    let args = SendArgs {
        producer_group: &request.producer_group,
        topic: &request.topic,
        queue_id: request.queue_id,
        wait_store_msg_ok: request.wait_store_msg_ok,
        auto_create_queue_count: request.auto_create_queue_count,
        records: &request.record,
        record_count: 1,
    };
    begin(state, &args)
}

/// A send after its synchronous part: answered already, or written and maybe waiting for its
/// flush.
#[derive(Debug)]
pub enum SendStage {
    /// Refused before anything was written.
    Refused(Reply),
    /// Written to the store.
    Written {
        /// The store's handle on the append.
        pending: PendingAppend,
        /// Queue the records went to.
        queue_id: u32,
        /// Whether the producer waits for durability (flush, and a slave on a SYNC_MASTER).
        wait_store_msg_ok: bool,
    },
}

/// The fields of a single or batch send.
#[derive(Debug)]
pub struct SendArgs<'a> {
    /// Producer group of the sender.
    pub producer_group: &'a str,
    /// Topic of every record.
    pub topic: &'a str,
    /// Queue chosen by the producer.
    pub queue_id: u32,
    /// Whether a SYNC_FLUSH broker waits for the flush.
    pub wait_store_msg_ok: bool,
    /// Queues if the topic is auto-created (0 = broker default).
    pub auto_create_queue_count: u16,
    /// Encoded records, back to back.
    pub records: &'a Bytes,
    /// How many records `records` holds.
    pub record_count: u32,
}

/// Validates the records of a send and writes them to the store, in the caller's order.
pub fn begin(state: &BrokerState, args: &SendArgs<'_>) -> SendStage {
    if let Err(reply) = check_send(state, args) {
        return SendStage::Refused(reply);
    }
    // A transaction's half message is stored for the half topic instead (`transaction`).
    let half = match half_record(args) {
        Ok(half) => half,
        Err(reply) => return SendStage::Refused(reply),
    };
    let batch = match &half {
        Some(record) => AppendBatch {
            topic: transaction::records::HALF_TOPIC,
            queue_id: 0,
            records: record,
            record_count: 1,
            wait_store_msg_ok: args.wait_store_msg_ok,
        },
        None => AppendBatch {
            topic: args.topic,
            queue_id: args.queue_id,
            records: args.records,
            record_count: args.record_count,
            wait_store_msg_ok: args.wait_store_msg_ok,
        },
    };
    match state.store.append_begin(batch) {
        Ok(pending) => SendStage::Written {
            pending,
            queue_id: args.queue_id,
            wait_store_msg_ok: args.wait_store_msg_ok,
        },
        Err(e) => SendStage::Refused(store_error_reply(&e)),
    }
}

/// Waits for a written send's flush and (on a SYNC_MASTER) a slave's copy, when asked for,
/// side by side, and answers with RocketMQ's send status; a replication shortfall wins over a
/// flush timeout, as in RocketMQ.
pub async fn finish(state: &BrokerState, stage: SendStage) -> Reply {
    let (pending, queue_id, wait) = match stage {
        SendStage::Refused(reply) => return reply,
        SendStage::Written {
            pending,
            queue_id,
            wait_store_msg_ok,
        } => (pending, queue_id, wait_store_msg_ok),
    };
    let end = pending.end_offset();
    let (appended, replica) = tokio::join!(pending.finish(), wait_for_slave(state, end, wait));
    let body = SendResponse {
        queue_id,
        queue_offset: appended.queue_offset,
        commit_log_offset: appended.commit_log_offset,
        store_timestamp_ms: appended.store_timestamp_ms,
        store_host: state.advertised,
    };
    match (replica, appended.flush) {
        (ReplicaOutcome::NotAvailable, _) => Reply::with_status(
            Status::SlaveNotAvailable,
            "stored on the master, but no slave is connected or it is too far behind".into(),
            body,
        ),
        (ReplicaOutcome::Timeout, _) => Reply::with_status(
            Status::FlushSlaveTimeout,
            format!(
                "stored on the master, but no slave confirmed it within {} ms",
                state.config.slave_timeout_ms
            ),
            body,
        ),
        (_, FlushOutcome::Timeout) => Reply::with_status(
            Status::FlushDiskTimeout,
            format!(
                "stored, but the disk flush did not finish within {} ms",
                state.config.sync_flush_timeout_ms
            ),
            body,
        ),
        _ => Reply::ok(body),
    }
}

fn check_send(state: &BrokerState, args: &SendArgs<'_>) -> Result<(), Reply> {
    master_only(state, "a send")?;
    if state.is_shutting_down() {
        return Err(Reply::error(
            Status::ServiceNotAvailable,
            "broker is shutting down",
        ));
    }
    valid_group(args.producer_group)?;
    names::check_topic(args.topic).map_err(|e| Reply::error(Status::InvalidParameter, e))?;
    let config = state
        .topics
        .get_or_auto_create(args.topic, args.auto_create_queue_count)
        .map_err(topic_error_reply)?;
    if config.perm & PERM_WRITE == 0 {
        return Err(Reply::error(
            Status::NoPermission,
            format!("topic `{}` is not writable", args.topic),
        ));
    }
    if args.queue_id >= u32::from(config.write_queue_count) {
        return Err(Reply::error(
            Status::InvalidParameter,
            format!(
                "queue {} does not exist: topic `{}` has {} write queues",
                args.queue_id, args.topic, config.write_queue_count
            ),
        ));
    }
    check_records(state, args)
}

fn check_records(state: &BrokerState, args: &SendArgs<'_>) -> Result<(), Reply> {
    let mut count = 0u32;
    for view in parse_records(args.records) {
        let view =
            view.map_err(|e| Reply::error(Status::MessageIllegal, format!("record {count}: {e}")))?;
        if view.topic != args.topic {
            return Err(Reply::error(
                Status::MessageIllegal,
                format!(
                    "record {count} is for topic `{}`, the request for `{}`",
                    view.topic, args.topic
                ),
            ));
        }
        if is_delayed(&view) {
            check_delayed(state, args, &view, count)?;
        }
        count += 1;
    }
    if count != args.record_count {
        return Err(Reply::error(
            Status::MessageIllegal,
            format!(
                "request announces {} records but holds {count}",
                args.record_count
            ),
        ));
    }
    Ok(())
}

/// The half-message record when the send is a transaction's prepared message (a single record
/// with `sys_flag` PREPARED); `None` for any other send.
fn half_record(args: &SendArgs<'_>) -> Result<Option<Bytes>, Reply> {
    let prepared = parse_records(args.records).any(|view| {
        view.is_ok_and(|v| {
            v.sys_flag() & SYS_FLAG_TRANSACTION_MASK == SYS_FLAG_TRANSACTION_PREPARED
        })
    });
    if !prepared {
        return Ok(None);
    }
    if args.record_count != 1 {
        return Err(Reply::error(
            Status::MessageIllegal,
            "a transactional (prepared) message cannot be sent in a batch",
        ));
    }
    transaction::records::to_half(args.records, args.producer_group, args.queue_id)
        .map(Some)
        .map_err(|e| Reply::error(Status::MessageIllegal, e))
}

/// A delayed record goes alone (RocketMQ cannot batch delayed messages either) and, with a
/// delivery time, at most `timer_max_delay_ms` ahead; a time already past is delivered at once.
fn check_delayed(
    state: &BrokerState,
    args: &SendArgs<'_>,
    view: &RecordView<'_>,
    index: u32,
) -> Result<(), Reply> {
    if args.record_count != 1 {
        return Err(Reply::error(
            Status::MessageIllegal,
            format!("record {index}: a delayed message cannot be sent in a batch"),
        ));
    }
    let at = view.deliver_at_ms();
    if view.delay_level() == 0 && at != 0 {
        let latest = now_ms().saturating_add(state.config.timer_max_delay_ms);
        if at > latest {
            return Err(Reply::error(
                Status::MessageIllegal,
                format!(
                    "delivery time {at} is more than timer_max_delay_ms ({} ms) ahead",
                    state.config.timer_max_delay_ms
                ),
            ));
        }
    }
    Ok(())
}

fn now_ms() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
        .unwrap_or(0)
}

/// The answer for a failed append.
pub fn store_error_reply(e: &StoreError) -> Reply {
    match e {
        StoreError::Busy => Reply::error(
            Status::SystemBusy,
            "[STORE_BUSY] broker busy: too many sends waiting on the store; retry later",
        ),
        StoreError::Full { usage_percent } => Reply::error(
            Status::StoreFull,
            format!(
                "disk usage {usage_percent:.1}% is over the refuse threshold; writes are refused until space is freed"
            ),
        ),
        StoreError::RecordTooLarge { .. } => Reply::error(Status::MessageIllegal, e.to_string()),
        StoreError::ShuttingDown => {
            Reply::error(Status::ServiceNotAvailable, "broker is shutting down")
        }
        StoreError::InvalidTopic(_) => Reply::error(Status::InvalidParameter, e.to_string()),
        _ => {
            tracing::error!(error = %e, "append failed");
            Reply::error(Status::SystemError, format!("store error: {e}"))
        }
    }
}
