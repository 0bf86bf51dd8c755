//! `QueryMessage`: stored messages by key (the index over `topic#key`), by unique id (the
//! index over `#MSGID`), by commit-log offset or by queue offset. Every index hit is read and
//! checked (topic, key or id, time range), so hash collisions never show.

use bytes::{Bytes, BytesMut};
use ferrocket::limits::{QUERY_MESSAGE_BYTES_MAX, QUERY_MESSAGE_COUNT_DEFAULT};
use ferrocket::message::MessageId;
use ferrocket::protocol::record::{RecordView, parse_record};
use ferrocket::protocol::{QueryBy, QueryMessageRequest, QueryMessageResponse, Status};

use crate::broker::BrokerState;
use crate::broker::handlers::existing_topic;
use crate::broker::reply::Reply;
use crate::store::{topic_key_hash, unique_key_hash};

/// Index hits read per result asked for, to make up for hits that fail the checks.
const CANDIDATES_PER_RESULT: usize = 4;

/// Handles `QueryMessage`.
pub fn handle(state: &BrokerState, request: QueryMessageRequest) -> Reply {
    let found = match request.query_by {
        QueryBy::Key | QueryBy::UniqueKey => by_index(state, &request),
        QueryBy::CommitLogOffset => Ok(by_commit_log_offset(state, &request)),
        QueryBy::QueueOffset => by_queue_offset(state, &request),
    };
    let records = match found {
        Ok(records) => records,
        Err(reply) => return reply,
    };
    if records.is_empty() {
        return Reply::error(Status::QueryNotFound, "no message matches the query");
    }
    let mut out = BytesMut::new();
    for r in &records {
        out.extend_from_slice(r);
    }
    Reply::ok(QueryMessageResponse {
        records: out.freeze(),
    })
}

fn by_index(state: &BrokerState, request: &QueryMessageRequest) -> Result<Vec<Bytes>, Reply> {
    let max = match request.max_results {
        0 => QUERY_MESSAGE_COUNT_DEFAULT as usize,
        n => n as usize,
    };
    let end = if request.end_timestamp_ms == 0 {
        u64::MAX
    } else {
        request.end_timestamp_ms
    };
    let range = (request.begin_timestamp_ms, end);
    let (hash, unique) = match request.query_by {
        QueryBy::Key => {
            existing_topic(state, &request.topic)?;
            (topic_key_hash(&request.topic, &request.key), None)
        }
        _ => {
            let id: MessageId = request.key.parse().map_err(|_| {
                Reply::error(
                    Status::InvalidParameter,
                    format!("`{}` is not a message id: 32 hex characters", request.key),
                )
            })?;
            (unique_key_hash(&id.to_string()), Some(id))
        }
    };
    let candidates = state
        .store
        .index_lookup(hash, range, max.saturating_mul(CANDIDATES_PER_RESULT))
        .map_err(|e| Reply::error(Status::SystemError, format!("index lookup failed: {e}")))?;
    let matches = |v: &RecordView<'_>| {
        let stored = v.store_timestamp_ms();
        let topic_ok = request.topic.is_empty() || v.topic == request.topic;
        let key_ok = match unique {
            Some(id) => v.msg_id() == id,
            None => v.keys().any(|k| k == request.key),
        };
        topic_ok && key_ok && stored >= range.0 && stored <= range.1
    };
    let mut out: Vec<Bytes> = Vec::new();
    let mut bytes = 0;
    for offset in candidates {
        let Some(record) = state.store.read_record(offset) else {
            continue;
        };
        let Ok(view) = parse_record(&record) else {
            continue;
        };
        if !matches(&view) || out.iter().any(|r| r == &record) {
            continue;
        }
        if !out.is_empty() && bytes + record.len() > QUERY_MESSAGE_BYTES_MAX {
            break;
        }
        bytes += record.len();
        out.push(record);
        if out.len() >= max {
            break;
        }
    }
    Ok(out)
}

fn by_commit_log_offset(state: &BrokerState, request: &QueryMessageRequest) -> Vec<Bytes> {
    let Some(record) = state.store.read_record(request.offset) else {
        return Vec::new();
    };
    let topic_ok =
        parse_record(&record).is_ok_and(|v| request.topic.is_empty() || v.topic == request.topic);
    if topic_ok { vec![record] } else { Vec::new() }
}

fn by_queue_offset(
    state: &BrokerState,
    request: &QueryMessageRequest,
) -> Result<Vec<Bytes>, Reply> {
    existing_topic(state, &request.topic)?;
    let read = state.store.read(
        &request.topic,
        request.queue_id,
        request.offset,
        1,
        1,
        &|_| true,
    );
    Ok(read
        .records
        .into_iter()
        .filter(|r| parse_record(r).is_ok_and(|v| v.queue_offset() == request.offset))
        .collect())
}
