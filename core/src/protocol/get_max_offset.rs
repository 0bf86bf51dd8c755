//! `GetMaxOffset` (api key 16): the offset one past the last message of a queue (0 for an empty queue).
//!
//! ```text
//! request  v0: topic:string(≤ TOPIC_LEN_MAX)  queue_id:u32
//! response v0: offset:u64
//! ```

use bytes::{Bytes, BytesMut};

use crate::protocol::api::{ApiKey, Body, Request};
use crate::protocol::error::{DecodeError, EncodeError};
use crate::protocol::offset_common::{OffsetResponse, parse_queue, put_queue};
use crate::protocol::wire;

/// Request body of `GetMaxOffset`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GetMaxOffsetRequest {
    /// Topic.
    pub topic: String,
    /// Queue.
    pub queue_id: u32,
}

impl Body for GetMaxOffsetRequest {
    fn encode(&self, out: &mut BytesMut) -> Result<(), EncodeError> {
        put_queue(out, &self.topic, self.queue_id)
    }

    fn decode(body: &Bytes) -> Result<GetMaxOffsetRequest, DecodeError> {
        let (i, (topic, queue_id)) = parse_queue(body)?;
        wire::finish(i)?;
        Ok(GetMaxOffsetRequest { topic, queue_id })
    }
}

impl Request for GetMaxOffsetRequest {
    const API_KEY: ApiKey = ApiKey::GetMaxOffset;
    type Response = OffsetResponse;
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::limits::TOPIC_LEN_MAX;
    use crate::protocol::testkit::{self, Case, Cut, samples};

    fn request() -> Case<GetMaxOffsetRequest> {
        Case::request(samples::get_max_offset_request())
    }

    fn response() -> Case<OffsetResponse> {
        Case::response::<GetMaxOffsetRequest>(samples::offset_response(50))
    }

    /// A `GetMaxOffset` request frame decodes to the request it was encoded from.
    #[test]
    fn request_roundtrip() {
        request().roundtrip();
    }

    /// The request matches `spec/vectors/get_max_offset_request.json`.
    #[test]
    fn request_golden() {
        testkit::golden("get_max_offset_request");
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
        let mut bad = samples::get_max_offset_request();
        bad.topic = testkit::long(TOPIC_LEN_MAX + 1);
        testkit::assert_request_refused(&bad, "topic");
    }

    /// The request fed one byte at a time comes out once, whole.
    #[test]
    fn request_byte_at_a_time() {
        request().byte_at_a_time();
    }

    /// A `GetMaxOffset` response frame decodes to the response it was encoded from.
    #[test]
    fn response_roundtrip() {
        response().roundtrip();
    }

    /// The response matches `spec/vectors/get_max_offset_response.json`.
    #[test]
    fn response_golden() {
        testkit::golden("get_max_offset_response");
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
