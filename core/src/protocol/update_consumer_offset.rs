//! `UpdateConsumerOffset` (api key 14): commit a consumer group's offset of one queue.
//!
//! ```text
//! request  v0: consumer_group:string(≤ GROUP_LEN_MAX)  topic:string(≤ TOPIC_LEN_MAX)
//!              queue_id:u32  offset:u64
//! response v0: (empty)
//! ```
//!
//! The offset is the next offset the group will consume. May be sent oneway.

use bytes::{BufMut, Bytes, BytesMut};

use crate::protocol::api::{ApiKey, Body, Request};
use crate::protocol::error::{DecodeError, EncodeError};
use crate::protocol::offset_common::{parse_group_queue, put_group_queue};
use crate::protocol::types::Empty;
use crate::protocol::wire;

/// Request body of `UpdateConsumerOffset`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UpdateConsumerOffsetRequest {
    /// Consumer group.
    pub consumer_group: String,
    /// Topic.
    pub topic: String,
    /// Queue.
    pub queue_id: u32,
    /// Next offset the group will consume.
    pub offset: u64,
}

impl Body for UpdateConsumerOffsetRequest {
    fn encode(&self, out: &mut BytesMut) -> Result<(), EncodeError> {
        put_group_queue(out, &self.consumer_group, &self.topic, self.queue_id)?;
        out.put_u64(self.offset);
        Ok(())
    }

    fn decode(body: &Bytes) -> Result<UpdateConsumerOffsetRequest, DecodeError> {
        let (i, (consumer_group, topic, queue_id)) = parse_group_queue(body)?;
        let (i, offset) = wire::u64(i, "offset")?;
        wire::finish(i)?;
        Ok(UpdateConsumerOffsetRequest {
            consumer_group,
            topic,
            queue_id,
            offset,
        })
    }
}

impl Request for UpdateConsumerOffsetRequest {
    const API_KEY: ApiKey = ApiKey::UpdateConsumerOffset;
    type Response = Empty;
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::limits::{GROUP_LEN_MAX, TOPIC_LEN_MAX};
    use crate::protocol::testkit::{self, Case, Cut, Wire, samples};

    fn request() -> Case<UpdateConsumerOffsetRequest> {
        Case::request(samples::update_consumer_offset_request())
    }

    fn response() -> Case<Empty> {
        Case::response::<UpdateConsumerOffsetRequest>(Empty)
    }

    /// A `UpdateConsumerOffset` request frame decodes to the request it was encoded from.
    #[test]
    fn request_roundtrip() {
        request().roundtrip();
    }

    /// The request matches `spec/vectors/update_consumer_offset_request.json`.
    #[test]
    fn request_golden() {
        testkit::golden("update_consumer_offset_request");
        testkit::golden("update_consumer_offset_oneway");
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
        let mut bad = samples::update_consumer_offset_request();
        bad.consumer_group = testkit::long(GROUP_LEN_MAX + 1);
        testkit::assert_request_refused(&bad, "consumer_group");
    }

    /// The request fed one byte at a time comes out once, whole.
    #[test]
    fn request_byte_at_a_time() {
        request().byte_at_a_time();
    }

    /// A `UpdateConsumerOffset` response frame decodes to the response it was encoded from.
    #[test]
    fn response_roundtrip() {
        response().roundtrip();
    }

    /// The response matches `spec/vectors/update_consumer_offset_response.json`.
    #[test]
    fn response_golden() {
        testkit::golden("update_consumer_offset_response");
    }

    /// Every truncation of the response is incomplete or an error, never another value.
    #[test]
    fn response_truncations() {
        response().truncations();
    }

    /// The empty response refuses any byte, and an over-limit frame length.
    #[test]
    fn response_over_limit() {
        response().over_limit(&[Cut::value(
            &[],
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
