//! `ResetOffset` (api key 59): move a consumer group's offsets to a point in time (RocketMQ's
//! `resetOffsetByTime`). Admin → broker: the broker sets, for every queue of the topic (or of
//! every topic of the group) on it, the group's committed offset to the first message stored
//! at or after `timestamp_ms`, and answers with the new offsets. Broker → each online member,
//! oneway: the same body with `broker_name` and `offsets` filled in (RocketMQ's
//! `RESET_CONSUMER_CLIENT_OFFSET`), so members drop what they buffered and continue there.
//!
//! ```text
//! request  v0: consumer_group:string(≤ GROUP_LEN_MAX)  topic:string(≤ TOPIC_LEN_MAX)
//!              timestamp_ms:u64  broker_name:string(≤ BROKER_NAME_LEN_MAX)
//!              offsets: u32 count(≤ RESET_OFFSET_QUEUE_COUNT_MAX) × QueueOffset
//! QueueOffset: topic:string(≤ TOPIC_LEN_MAX)  queue_id:u32  offset:u64
//! response v0: broker_name:string(≤ BROKER_NAME_LEN_MAX)
//!              offsets: u32 count(≤ RESET_OFFSET_QUEUE_COUNT_MAX) × QueueOffset
//! ```

use bytes::{BufMut, Bytes, BytesMut};

use crate::limits::{GROUP_LEN_MAX, RESET_OFFSET_QUEUE_COUNT_MAX, TOPIC_LEN_MAX};
use crate::protocol::api::{ApiKey, Body, Request};
use crate::protocol::error::{DecodeError, EncodeError};
use crate::protocol::types::{parse_name, put_name};
use crate::protocol::wire::{self, PResult};

const QUEUE_OFFSET_LEN_MIN: usize = 2 + 4 + 8;

/// One queue's new offset.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct QueueOffset {
    /// Topic.
    pub topic: String,
    /// Queue.
    pub queue_id: u32,
    /// The group's new committed offset.
    pub offset: u64,
}

/// Request body of `ResetOffset` (from an admin, or the broker's notice to a member).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResetOffsetRequest {
    /// The group whose offsets move.
    pub consumer_group: String,
    /// The topic, or "" for every topic of the group on the broker (retry and dead-letter
    /// topics only when named).
    pub topic: String,
    /// Each queue moves to its first message stored at or after this time (ms since the epoch;
    /// a time past the last message moves it to the end).
    pub timestamp_ms: u64,
    /// Notice only: the broker holding the queues; "" from an admin.
    pub broker_name: String,
    /// Notice only: the new offsets; empty from an admin.
    pub offsets: Vec<QueueOffset>,
}

/// Response body of `ResetOffset`: where every queue moved.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResetOffsetResponse {
    /// The broker holding the queues.
    pub broker_name: String,
    /// The new offsets, by topic and queue.
    pub offsets: Vec<QueueOffset>,
}

fn put_offsets(out: &mut BytesMut, offsets: &[QueueOffset]) -> Result<(), EncodeError> {
    wire::put_list(
        out,
        "offsets",
        offsets,
        RESET_OFFSET_QUEUE_COUNT_MAX,
        |out, q| {
            wire::put_string(out, "topic", &q.topic, TOPIC_LEN_MAX)?;
            out.put_u32(q.queue_id);
            out.put_u64(q.offset);
            Ok(())
        },
    )
}

fn parse_offsets(i: &[u8]) -> PResult<'_, Vec<QueueOffset>> {
    wire::list(
        i,
        "offsets",
        RESET_OFFSET_QUEUE_COUNT_MAX,
        QUEUE_OFFSET_LEN_MIN,
        |i| {
            let (i, topic) = wire::string(i, "topic", TOPIC_LEN_MAX)?;
            let (i, queue_id) = wire::u32(i, "queue_id")?;
            let (i, offset) = wire::u64(i, "offset")?;
            let q = QueueOffset {
                topic: topic.to_owned(),
                queue_id,
                offset,
            };
            Ok((i, q))
        },
    )
}

impl Body for ResetOffsetRequest {
    fn encode(&self, out: &mut BytesMut) -> Result<(), EncodeError> {
        wire::put_string(out, "consumer_group", &self.consumer_group, GROUP_LEN_MAX)?;
        wire::put_string(out, "topic", &self.topic, TOPIC_LEN_MAX)?;
        out.put_u64(self.timestamp_ms);
        put_name(out, "broker_name", &self.broker_name)?;
        put_offsets(out, &self.offsets)
    }

    fn decode(body: &Bytes) -> Result<ResetOffsetRequest, DecodeError> {
        let (i, group) = wire::string(body, "consumer_group", GROUP_LEN_MAX)?;
        let (i, topic) = wire::string(i, "topic", TOPIC_LEN_MAX)?;
        let (i, timestamp_ms) = wire::u64(i, "timestamp_ms")?;
        let (i, broker_name) = parse_name(i, "broker_name")?;
        let (i, offsets) = parse_offsets(i)?;
        wire::finish(i)?;
        Ok(ResetOffsetRequest {
            consumer_group: group.to_owned(),
            topic: topic.to_owned(),
            timestamp_ms,
            broker_name,
            offsets,
        })
    }
}

impl Body for ResetOffsetResponse {
    fn encode(&self, out: &mut BytesMut) -> Result<(), EncodeError> {
        put_name(out, "broker_name", &self.broker_name)?;
        put_offsets(out, &self.offsets)
    }

    fn decode(body: &Bytes) -> Result<ResetOffsetResponse, DecodeError> {
        let (i, broker_name) = parse_name(body, "broker_name")?;
        let (i, offsets) = parse_offsets(i)?;
        wire::finish(i)?;
        Ok(ResetOffsetResponse {
            broker_name,
            offsets,
        })
    }
}

impl Request for ResetOffsetRequest {
    const API_KEY: ApiKey = ApiKey::ResetOffset;
    type Response = ResetOffsetResponse;
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::limits::BROKER_NAME_LEN_MAX;
    use crate::protocol::testkit::{self, Case, Cut, Wire, samples};

    fn request() -> Case<ResetOffsetRequest> {
        Case::request(samples::reset_offset_request())
    }

    fn response() -> Case<ResetOffsetResponse> {
        Case::response::<ResetOffsetRequest>(samples::reset_offset_response())
    }

    /// A `ResetOffset` request frame decodes to the request it was encoded from.
    #[test]
    fn request_roundtrip() {
        request().roundtrip();
    }

    /// The request matches `spec/vectors/reset_offset_request.json`.
    #[test]
    fn request_golden() {
        testkit::golden("reset_offset_request");
    }

    /// Every truncation of the request is incomplete or an error, never another value.
    #[test]
    fn request_truncations() {
        request().truncations();
    }

    /// Over-limit names, counts and topics are refused before their data arrives, and at
    /// encode.
    #[test]
    fn request_over_limit() {
        let head = || Wire::new().str("g").str("t").u64(1);
        request().over_limit(&[
            Cut::string(&[], "consumer_group", GROUP_LEN_MAX),
            Cut::string(&Wire::new().str("g").done(), "topic", TOPIC_LEN_MAX),
            Cut::string(&head().done(), "broker_name", BROKER_NAME_LEN_MAX),
            Cut::u32_len(
                &head().str("b").done(),
                "offsets",
                RESET_OFFSET_QUEUE_COUNT_MAX,
            ),
            Cut::count_past_end(&head().str("b").done(), "offsets", 1),
            Cut::string(&head().str("b").u32(1).done(), "topic", TOPIC_LEN_MAX).padded(12),
        ]);
        let mut bad = samples::reset_offset_request();
        bad.offsets = vec![bad.offsets[0].clone(); RESET_OFFSET_QUEUE_COUNT_MAX + 1];
        testkit::assert_request_refused(&bad, "offsets");
        let mut bad = samples::reset_offset_request();
        bad.broker_name = testkit::long(BROKER_NAME_LEN_MAX + 1);
        testkit::assert_request_refused(&bad, "broker_name");
    }

    /// The request fed one byte at a time comes out once, whole.
    #[test]
    fn request_byte_at_a_time() {
        request().byte_at_a_time();
    }

    /// A `ResetOffset` response frame decodes to the response it was encoded from.
    #[test]
    fn response_roundtrip() {
        response().roundtrip();
    }

    /// The response matches `spec/vectors/reset_offset_response.json`.
    #[test]
    fn response_golden() {
        testkit::golden("reset_offset_response");
    }

    /// Every truncation of the response is incomplete or an error, never another value.
    #[test]
    fn response_truncations() {
        response().truncations();
    }

    /// Over-limit names and counts are refused before their data arrives, and at encode.
    #[test]
    fn response_over_limit() {
        response().over_limit(&[
            Cut::string(&[], "broker_name", BROKER_NAME_LEN_MAX),
            Cut::u32_len(
                &Wire::new().str("b").done(),
                "offsets",
                RESET_OFFSET_QUEUE_COUNT_MAX,
            ),
            Cut::count_past_end(&Wire::new().str("b").done(), "offsets", 1),
        ]);
        let mut bad = samples::reset_offset_response();
        bad.offsets[0].topic = testkit::long(TOPIC_LEN_MAX + 1);
        testkit::assert_response_refused::<ResetOffsetRequest>(&bad, "topic");
    }

    /// The response fed one byte at a time comes out once, whole.
    #[test]
    fn response_byte_at_a_time() {
        response().byte_at_a_time();
    }
}
