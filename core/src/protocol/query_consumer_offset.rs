//! `QueryConsumerOffset` (api key 13): a consumer group's committed offset of one queue.
//!
//! ```text
//! request  v0: consumer_group:string(≤ GROUP_LEN_MAX)  topic:string(≤ TOPIC_LEN_MAX)  queue_id:u32
//! response v0: offset:u64
//! ```
//!
//! A group that never committed an offset for the queue gets `QUERY_NOT_FOUND`; the client
//! then applies its consume-from rule.

use bytes::{Bytes, BytesMut};

use crate::protocol::api::{ApiKey, Body, Request};
use crate::protocol::error::{DecodeError, EncodeError};
use crate::protocol::offset_common::{OffsetResponse, parse_group_queue, put_group_queue};
use crate::protocol::wire;

/// Request body of `QueryConsumerOffset`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueryConsumerOffsetRequest {
    /// Consumer group.
    pub consumer_group: String,
    /// Topic.
    pub topic: String,
    /// Queue.
    pub queue_id: u32,
}

impl Body for QueryConsumerOffsetRequest {
    fn encode(&self, out: &mut BytesMut) -> Result<(), EncodeError> {
        put_group_queue(out, &self.consumer_group, &self.topic, self.queue_id)
    }

    fn decode(body: &Bytes) -> Result<QueryConsumerOffsetRequest, DecodeError> {
        let (i, (consumer_group, topic, queue_id)) = parse_group_queue(body)?;
        wire::finish(i)?;
        Ok(QueryConsumerOffsetRequest {
            consumer_group,
            topic,
            queue_id,
        })
    }
}

impl Request for QueryConsumerOffsetRequest {
    const API_KEY: ApiKey = ApiKey::QueryConsumerOffset;
    type Response = OffsetResponse;
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::limits::{GROUP_LEN_MAX, TOPIC_LEN_MAX};
    use crate::protocol::testkit::{self, Case, Cut, Wire, samples};

    fn request() -> Case<QueryConsumerOffsetRequest> {
        Case::request(samples::query_consumer_offset_request())
    }

    fn response() -> Case<OffsetResponse> {
        Case::response::<QueryConsumerOffsetRequest>(samples::offset_response(40))
    }

    /// A `QueryConsumerOffset` request frame decodes to the request it was encoded from.
    #[test]
    fn request_roundtrip() {
        request().roundtrip();
    }

    /// The request matches `spec/vectors/query_consumer_offset_request.json`.
    #[test]
    fn request_golden() {
        testkit::golden("query_consumer_offset_request");
    }

    /// Every truncation of the request is incomplete or an error, never another value.
    #[test]
    fn request_truncations() {
        request().truncations();
    }

    /// Over-limit string lengths in the request are refused before their bytes arrive.
    #[test]
    fn request_over_limit() {
        request().over_limit(&[
            Cut::string(&[], "consumer_group", GROUP_LEN_MAX),
            Cut::string(&Wire::new().str("g").done(), "topic", TOPIC_LEN_MAX),
        ]);
        let mut bad = samples::query_consumer_offset_request();
        bad.consumer_group = testkit::long(GROUP_LEN_MAX + 1);
        testkit::assert_request_refused(&bad, "consumer_group");
    }

    /// The request fed one byte at a time comes out once, whole.
    #[test]
    fn request_byte_at_a_time() {
        request().byte_at_a_time();
    }

    /// A `QueryConsumerOffset` response frame decodes to the response it was encoded from.
    #[test]
    fn response_roundtrip() {
        response().roundtrip();
    }

    /// The response matches `spec/vectors/query_consumer_offset_response.json`.
    #[test]
    fn response_golden() {
        testkit::golden("query_consumer_offset_response");
    }

    /// Every truncation of the response is incomplete or an error, never another value.
    #[test]
    fn response_truncations() {
        response().truncations();
    }

    /// The fixed-size response has no lengths: a byte past its end is refused, and so is an
    /// over-limit frame length.
    #[test]
    fn response_over_limit() {
        let body = response().body_bytes();
        response().over_limit(&[Cut::value(
            &body,
            &[0],
            DecodeError::TrailingBytes { count: 1 },
        )]);
    }

    /// The response fed one byte at a time comes out once, whole.
    #[test]
    fn response_byte_at_a_time() {
        response().byte_at_a_time();
    }
}
