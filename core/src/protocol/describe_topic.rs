//! `DescribeTopic` (api key 23): a topic's config and, per queue, its offsets and the time of
//! its last message. A missing topic gives `TOPIC_NOT_EXIST`.
//!
//! ```text
//! request  v0: topic:string(≤ TOPIC_LEN_MAX)
//! response v0: config:TopicConfig
//!              queues: u32 count(≤ QUEUE_COUNT_MAX) ×
//!                      (queue_id:u32 min_offset:u64 max_offset:u64 last_store_timestamp_ms:u64)
//! ```

use bytes::{BufMut, Bytes, BytesMut};

use crate::limits::{QUEUE_COUNT_MAX, TOPIC_LEN_MAX};
use crate::protocol::api::{ApiKey, Body, Request};
use crate::protocol::error::{DecodeError, EncodeError};
use crate::protocol::types::TopicConfig;
use crate::protocol::wire;

/// Request body of `DescribeTopic`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DescribeTopicRequest {
    /// Topic to describe.
    pub topic: String,
}

/// Offsets of one queue.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct QueueStatus {
    /// Queue.
    pub queue_id: u32,
    /// Lowest offset still stored.
    pub min_offset: u64,
    /// Offset one past the last message.
    pub max_offset: u64,
    /// Store time of the last message (0 when empty).
    pub last_store_timestamp_ms: u64,
}

/// Response body of `DescribeTopic`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DescribeTopicResponse {
    /// The topic's config.
    pub config: TopicConfig,
    /// Every queue's offsets, by queue id.
    pub queues: Vec<QueueStatus>,
}

const QUEUE_STATUS_LEN: usize = 28;

impl Body for DescribeTopicRequest {
    fn encode(&self, out: &mut BytesMut) -> Result<(), EncodeError> {
        wire::put_string(out, "topic", &self.topic, TOPIC_LEN_MAX)
    }

    fn decode(body: &Bytes) -> Result<DescribeTopicRequest, DecodeError> {
        let (i, topic) = wire::string(body, "topic", TOPIC_LEN_MAX)?;
        wire::finish(i)?;
        Ok(DescribeTopicRequest {
            topic: topic.into(),
        })
    }
}

impl Request for DescribeTopicRequest {
    const API_KEY: ApiKey = ApiKey::DescribeTopic;
    type Response = DescribeTopicResponse;
}

impl Body for DescribeTopicResponse {
    fn encode(&self, out: &mut BytesMut) -> Result<(), EncodeError> {
        self.config.encode(out)?;
        wire::put_list(out, "queues", &self.queues, QUEUE_COUNT_MAX, |out, q| {
            out.put_u32(q.queue_id);
            out.put_u64(q.min_offset);
            out.put_u64(q.max_offset);
            out.put_u64(q.last_store_timestamp_ms);
            Ok(())
        })
    }

    fn decode(body: &Bytes) -> Result<DescribeTopicResponse, DecodeError> {
        let (i, config) = TopicConfig::parse(body)?;
        let (i, queues) = wire::list(i, "queues", QUEUE_COUNT_MAX, QUEUE_STATUS_LEN, |i| {
            let (i, queue_id) = wire::u32(i, "queue_id")?;
            let (i, min_offset) = wire::u64(i, "min_offset")?;
            let (i, max_offset) = wire::u64(i, "max_offset")?;
            let (i, last_store_timestamp_ms) = wire::u64(i, "last_store_timestamp_ms")?;
            Ok((
                i,
                QueueStatus {
                    queue_id,
                    min_offset,
                    max_offset,
                    last_store_timestamp_ms,
                },
            ))
        })?;
        wire::finish(i)?;
        Ok(DescribeTopicResponse { config, queues })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::testkit::{self, Case, Cut, Wire, samples};

    fn request() -> Case<DescribeTopicRequest> {
        Case::request(samples::describe_topic_request())
    }

    fn response() -> Case<DescribeTopicResponse> {
        Case::response::<DescribeTopicRequest>(samples::describe_topic_response())
    }

    /// A `DescribeTopic` request frame decodes to the request it was encoded from.
    #[test]
    fn request_roundtrip() {
        request().roundtrip();
    }

    /// The request matches `spec/vectors/describe_topic_request.json`.
    #[test]
    fn request_golden() {
        testkit::golden("describe_topic_request");
    }

    /// Every truncation of the request is incomplete or an error, never another value.
    #[test]
    fn request_truncations() {
        request().truncations();
    }

    /// An over-limit string length in the request is refused before its bytes arrive.
    #[test]
    fn request_over_limit() {
        request().over_limit(&[Cut::string(&[], "topic", TOPIC_LEN_MAX)]);
        let mut bad = samples::describe_topic_request();
        bad.topic = testkit::long(TOPIC_LEN_MAX + 1);
        testkit::assert_request_refused(&bad, "topic");
    }

    /// The request fed one byte at a time comes out once, whole.
    #[test]
    fn request_byte_at_a_time() {
        request().byte_at_a_time();
    }

    /// A `DescribeTopic` response frame decodes to the response it was encoded from.
    #[test]
    fn response_roundtrip() {
        response().roundtrip();
    }

    /// The response matches `spec/vectors/describe_topic_response.json`.
    #[test]
    fn response_golden() {
        testkit::golden("describe_topic_response");
    }

    /// Every truncation of the response is incomplete or an error, never another value.
    #[test]
    fn response_truncations() {
        response().truncations();
    }

    /// Over-limit lengths and counts in the response are refused before their data arrives.
    #[test]
    fn response_over_limit() {
        let config = Wire::new().str("t").u16(1).u16(1).u8(6).u8(0).done();
        response().over_limit(&[
            Cut::string(&[], "topic", TOPIC_LEN_MAX),
            Cut::u32_len(&config, "queues", QUEUE_COUNT_MAX),
            Cut::count_past_end(&config, "queues", 1),
        ]);
        let mut bad = samples::describe_topic_response();
        bad.queues = vec![bad.queues[0]; QUEUE_COUNT_MAX + 1];
        testkit::assert_response_refused::<DescribeTopicRequest>(&bad, "queues");
    }

    /// The response fed one byte at a time comes out once, whole.
    #[test]
    fn response_byte_at_a_time() {
        response().byte_at_a_time();
    }
}
