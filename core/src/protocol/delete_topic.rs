//! `DeleteTopic` (api key 22): delete a topic, its consume queues and every group's offsets of
//! it. Its records stay in the commit log until retention removes them. A missing topic gives
//! `TOPIC_NOT_EXIST`.
//!
//! ```text
//! request  v0: topic:string(≤ TOPIC_LEN_MAX)
//! response v0: (empty)
//! ```

use bytes::{Bytes, BytesMut};

use crate::limits::TOPIC_LEN_MAX;
use crate::protocol::api::{ApiKey, Body, Request};
use crate::protocol::error::{DecodeError, EncodeError};
use crate::protocol::types::Empty;
use crate::protocol::wire;

/// Request body of `DeleteTopic`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeleteTopicRequest {
    /// Topic to delete.
    pub topic: String,
}

impl Body for DeleteTopicRequest {
    fn encode(&self, out: &mut BytesMut) -> Result<(), EncodeError> {
        wire::put_string(out, "topic", &self.topic, TOPIC_LEN_MAX)
    }

    fn decode(body: &Bytes) -> Result<DeleteTopicRequest, DecodeError> {
        let (i, topic) = wire::string(body, "topic", TOPIC_LEN_MAX)?;
        wire::finish(i)?;
        Ok(DeleteTopicRequest {
            topic: topic.into(),
        })
    }
}

impl Request for DeleteTopicRequest {
    const API_KEY: ApiKey = ApiKey::DeleteTopic;
    type Response = Empty;
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::testkit::{self, Case, Cut, samples};

    fn request() -> Case<DeleteTopicRequest> {
        Case::request(samples::delete_topic_request())
    }

    fn response() -> Case<Empty> {
        Case::response::<DeleteTopicRequest>(Empty)
    }

    /// A `DeleteTopic` request frame decodes to the request it was encoded from.
    #[test]
    fn request_roundtrip() {
        request().roundtrip();
    }

    /// The request matches `spec/vectors/delete_topic_request.json`.
    #[test]
    fn request_golden() {
        testkit::golden("delete_topic_request");
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
        let mut bad = samples::delete_topic_request();
        bad.topic = testkit::long(TOPIC_LEN_MAX + 1);
        testkit::assert_request_refused(&bad, "topic");
    }

    /// The request fed one byte at a time comes out once, whole.
    #[test]
    fn request_byte_at_a_time() {
        request().byte_at_a_time();
    }

    /// A `DeleteTopic` response frame decodes to the response it was encoded from.
    #[test]
    fn response_roundtrip() {
        response().roundtrip();
    }

    /// The response matches `spec/vectors/delete_topic_response.json`.
    #[test]
    fn response_golden() {
        testkit::golden("delete_topic_response");
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
