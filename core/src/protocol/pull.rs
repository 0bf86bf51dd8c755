//! `Pull` (api key 12): read messages of one queue from an offset, optionally parking the
//! request on the broker until a message arrives (long polling).
//!
//! ```text
//! request  v0: consumer_group:string(≤ GROUP_LEN_MAX)  topic:string(≤ TOPIC_LEN_MAX)
//!              queue_id:u32  queue_offset:u64  max_messages:u32(1..=PULL_BATCH_COUNT_MAX)
//!              max_bytes:u32(≤ PULL_BYTES_MAX)  suspend_timeout_ms:u32(≤ LONG_POLL_MS_MAX)
//!              commit_offset:u64 (u64::MAX = none)  expression_type:u8
//!              expression:string(≤ EXPRESSION_LEN_MAX)
//! response v0: pull_status:u8  next_begin_offset:u64  min_offset:u64  max_offset:u64
//!              suggest_broker_id:u64  records:bytes32(≤ PULL_BYTES_MAX + RECORD_LEN_MAX)
//! ```
//!
//! `records` holds the stored records back to back, exactly as they are in the commit log.
//! `commit_offset` piggy-backs an offset commit for the group (RocketMQ's `commitOffset`).

use bytes::{BufMut, Bytes, BytesMut};

use crate::limits::{
    EXPRESSION_LEN_MAX, GROUP_LEN_MAX, LONG_POLL_MS_MAX, PULL_BATCH_COUNT_MAX, PULL_BYTES_MAX,
    RECORD_LEN_MAX, TOPIC_LEN_MAX,
};
use crate::protocol::api::{ApiKey, Body, Request};
use crate::protocol::error::{DecodeError, EncodeError};
use crate::protocol::types::{ExpressionType, PullStatus};
use crate::protocol::wire;

/// Largest `records` field of a pull response.
pub const PULL_RECORDS_LEN_MAX: usize = PULL_BYTES_MAX as usize + RECORD_LEN_MAX;

/// Request body of `Pull`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PullRequest {
    /// Consumer group pulling.
    pub consumer_group: String,
    /// Topic.
    pub topic: String,
    /// Queue.
    pub queue_id: u32,
    /// First queue offset wanted.
    pub queue_offset: u64,
    /// Most messages to return.
    pub max_messages: u32,
    /// Most record bytes to return (the first record is returned whole regardless).
    pub max_bytes: u32,
    /// How long the broker may hold the request when nothing is there yet (0 = answer now).
    pub suspend_timeout_ms: u32,
    /// Offset to commit for the group before reading, if any.
    pub commit_offset: Option<u64>,
    /// How `expression` is read.
    pub expression_type: ExpressionType,
    /// `*`, `TagA || TagB`, or SQL92.
    pub expression: String,
}

/// Response body of `Pull`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PullResponse {
    /// What was found.
    pub pull_status: PullStatus,
    /// Offset to ask for next.
    pub next_begin_offset: u64,
    /// Lowest offset still stored in the queue.
    pub min_offset: u64,
    /// Offset one past the last message of the queue.
    pub max_offset: u64,
    /// Broker id the consumer should pull this queue from next (0 = master).
    pub suggest_broker_id: u64,
    /// Stored records, back to back.
    pub records: Bytes,
}

const NO_COMMIT: u64 = u64::MAX;

impl Body for PullRequest {
    fn encode(&self, out: &mut BytesMut) -> Result<(), EncodeError> {
        check_max_messages(self.max_messages).map_err(|_| EncodeError::Invalid {
            field: "max_messages",
            reason: "must be 1..=PULL_BATCH_COUNT_MAX",
        })?;
        wire::check_len(
            "max_bytes",
            self.max_bytes as usize,
            PULL_BYTES_MAX as usize,
        )?;
        let hold = self.suspend_timeout_ms as usize;
        wire::check_len("suspend_timeout_ms", hold, LONG_POLL_MS_MAX as usize)?;
        if self.commit_offset == Some(NO_COMMIT) {
            return Err(EncodeError::Invalid {
                field: "commit_offset",
                reason: "reserved value",
            });
        }
        wire::put_string(out, "consumer_group", &self.consumer_group, GROUP_LEN_MAX)?;
        wire::put_string(out, "topic", &self.topic, TOPIC_LEN_MAX)?;
        out.put_u32(self.queue_id);
        out.put_u64(self.queue_offset);
        out.put_u32(self.max_messages);
        out.put_u32(self.max_bytes);
        out.put_u32(self.suspend_timeout_ms);
        out.put_u64(self.commit_offset.unwrap_or(NO_COMMIT));
        out.put_u8(self.expression_type.code());
        wire::put_string(out, "expression", &self.expression, EXPRESSION_LEN_MAX)
    }

    fn decode(body: &Bytes) -> Result<PullRequest, DecodeError> {
        let (i, consumer_group) = wire::string(body, "consumer_group", GROUP_LEN_MAX)?;
        let (i, topic) = wire::string(i, "topic", TOPIC_LEN_MAX)?;
        let (i, queue_id) = wire::u32(i, "queue_id")?;
        let (i, queue_offset) = wire::u64(i, "queue_offset")?;
        let (i, max_messages) = wire::u32(i, "max_messages")?;
        check_max_messages(max_messages)?;
        let (i, max_bytes) = wire::u32(i, "max_bytes")?;
        check_u32_max("max_bytes", max_bytes, PULL_BYTES_MAX)?;
        let (i, suspend_timeout_ms) = wire::u32(i, "suspend_timeout_ms")?;
        check_u32_max("suspend_timeout_ms", suspend_timeout_ms, LONG_POLL_MS_MAX)?;
        let (i, commit_offset) = wire::u64(i, "commit_offset")?;
        let (i, expression_type) = ExpressionType::parse(i)?;
        let (i, expression) = wire::string(i, "expression", EXPRESSION_LEN_MAX)?;
        wire::finish(i)?;
        Ok(PullRequest {
            consumer_group: consumer_group.into(),
            topic: topic.into(),
            queue_id,
            queue_offset,
            max_messages,
            max_bytes,
            suspend_timeout_ms,
            commit_offset: (commit_offset != NO_COMMIT).then_some(commit_offset),
            expression_type,
            expression: expression.into(),
        })
    }
}

fn check_max_messages(n: u32) -> Result<(), DecodeError> {
    if n == 0 {
        return Err(DecodeError::InvalidValue {
            field: "max_messages",
            value: 0,
        });
    }
    check_u32_max("max_messages", n, PULL_BATCH_COUNT_MAX)
}

fn check_u32_max(field: &'static str, value: u32, max: u32) -> Result<(), DecodeError> {
    if value > max {
        return Err(DecodeError::TooLong {
            field,
            len: value as usize,
            max: max as usize,
        });
    }
    Ok(())
}

impl Request for PullRequest {
    const API_KEY: ApiKey = ApiKey::Pull;
    type Response = PullResponse;
}

impl PullResponse {
    /// Writes every field but the record bytes, announcing `records_len` bytes that the caller
    /// sends right after (gathered from the commit log without copying).
    pub fn encode_head(&self, records_len: usize, out: &mut BytesMut) -> Result<(), EncodeError> {
        wire::check_len("records", records_len, PULL_RECORDS_LEN_MAX)?;
        out.put_u8(self.pull_status.code());
        out.put_u64(self.next_begin_offset);
        out.put_u64(self.min_offset);
        out.put_u64(self.max_offset);
        out.put_u64(self.suggest_broker_id);
        out.put_u32(u32::try_from(records_len).expect("records length checked"));
        Ok(())
    }
}

impl Body for PullResponse {
    fn encode(&self, out: &mut BytesMut) -> Result<(), EncodeError> {
        self.encode_head(self.records.len(), out)?;
        out.put_slice(&self.records);
        Ok(())
    }

    fn decode(body: &Bytes) -> Result<PullResponse, DecodeError> {
        let (i, pull_status) = PullStatus::parse(body)?;
        let (i, next_begin_offset) = wire::u64(i, "next_begin_offset")?;
        let (i, min_offset) = wire::u64(i, "min_offset")?;
        let (i, max_offset) = wire::u64(i, "max_offset")?;
        let (i, suggest_broker_id) = wire::u64(i, "suggest_broker_id")?;
        let (i, records) = wire::bytes32(i, "records", PULL_RECORDS_LEN_MAX)?;
        wire::finish(i)?;
        Ok(PullResponse {
            pull_status,
            next_begin_offset,
            min_offset,
            max_offset,
            suggest_broker_id,
            records: body.slice_ref(records),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::testkit::{self, Case, Cut, Wire, samples};

    fn request() -> Case<PullRequest> {
        Case::request(samples::pull_request())
    }

    fn response() -> Case<PullResponse> {
        Case::response::<PullRequest>(samples::pull_response())
    }

    /// A `Pull` request frame decodes to the request it was encoded from.
    #[test]
    fn request_roundtrip() {
        request().roundtrip();
    }

    /// The request matches `spec/vectors/pull_request.json`.
    #[test]
    fn request_golden() {
        testkit::golden("pull_request");
    }

    /// Every truncation of the request is incomplete or an error, never another value.
    #[test]
    fn request_truncations() {
        request().truncations();
    }

    /// Over-limit lengths and values in the request are refused before their data arrives.
    #[test]
    fn request_over_limit() {
        let queue = || Wire::new().str("g").str("t").u32(1).u64(0);
        let too_long = |field, len: usize, max: u32| DecodeError::TooLong {
            field,
            len,
            max: max as usize,
        };
        let over = PULL_BATCH_COUNT_MAX + 1;
        request().over_limit(&[
            Cut::string(&[], "consumer_group", GROUP_LEN_MAX),
            Cut::string(&Wire::new().str("g").done(), "topic", TOPIC_LEN_MAX),
            Cut::value(
                &queue().done(),
                &over.to_be_bytes(),
                too_long("max_messages", over as usize, PULL_BATCH_COUNT_MAX),
            ),
            Cut::value(
                &queue().done(),
                &[0, 0, 0, 0],
                DecodeError::InvalidValue {
                    field: "max_messages",
                    value: 0,
                },
            ),
            Cut::value(
                &queue().u32(1).done(),
                &(PULL_BYTES_MAX + 1).to_be_bytes(),
                too_long("max_bytes", PULL_BYTES_MAX as usize + 1, PULL_BYTES_MAX),
            ),
            Cut::value(
                &queue().u32(1).u32(0).done(),
                &(LONG_POLL_MS_MAX + 1).to_be_bytes(),
                too_long(
                    "suspend_timeout_ms",
                    LONG_POLL_MS_MAX as usize + 1,
                    LONG_POLL_MS_MAX,
                ),
            ),
            Cut::value(
                &queue().u32(1).u32(0).u32(0).u64(u64::MAX).done(),
                &[2],
                DecodeError::InvalidValue {
                    field: "expression_type",
                    value: 2,
                },
            ),
            Cut::string(
                &queue().u32(1).u32(0).u32(0).u64(u64::MAX).u8(0).done(),
                "expression",
                EXPRESSION_LEN_MAX,
            ),
        ]);
        let mut bad = samples::pull_request();
        bad.max_messages = 0;
        testkit::assert_request_refused(&bad, "max_messages");
        let mut bad = samples::pull_request();
        bad.commit_offset = Some(u64::MAX);
        testkit::assert_request_refused(&bad, "commit_offset");
        let mut bad = samples::pull_request();
        bad.expression = testkit::long(EXPRESSION_LEN_MAX + 1);
        testkit::assert_request_refused(&bad, "expression");
    }

    /// The request fed one byte at a time comes out once, whole.
    #[test]
    fn request_byte_at_a_time() {
        request().byte_at_a_time();
    }

    /// A `Pull` response frame decodes to the response it was encoded from.
    #[test]
    fn response_roundtrip() {
        response().roundtrip();
    }

    /// The response matches `spec/vectors/pull_response.json`.
    #[test]
    fn response_golden() {
        testkit::golden("pull_response");
    }

    /// Every truncation of the response is incomplete or an error, never another value.
    #[test]
    fn response_truncations() {
        response().truncations();
    }

    /// An over-limit records length or unknown status in the response is refused before the
    /// records arrive.
    #[test]
    fn response_over_limit() {
        let head = || Wire::new().u8(0).u64(1).u64(2).u64(3).u64(4).done();
        response().over_limit(&[
            Cut::u32_len(&head(), "records", PULL_RECORDS_LEN_MAX),
            Cut::value(
                &[],
                &[4],
                DecodeError::InvalidValue {
                    field: "pull_status",
                    value: 4,
                },
            ),
        ]);
        let mut bad = samples::pull_response();
        bad.records = Bytes::from(vec![0; PULL_RECORDS_LEN_MAX + 1]);
        testkit::assert_response_refused::<PullRequest>(&bad, "records");
    }

    /// The response fed one byte at a time comes out once, whole.
    #[test]
    fn response_byte_at_a_time() {
        response().byte_at_a_time();
    }
}
