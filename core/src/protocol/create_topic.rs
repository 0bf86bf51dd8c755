//! `CreateTopic` (api key 20): create a topic on the broker. An existing topic gives `TOPIC_EXIST_ALREADY`.
//!
//! ```text
//! request  v0: topic:string(≤ TOPIC_LEN_MAX)  read_queue_count:u16(≤ QUEUE_COUNT_MAX)
//!              write_queue_count:u16(≤ QUEUE_COUNT_MAX)  perm:u8  order:bool
//! response v0: (empty)
//! ```

use bytes::{Bytes, BytesMut};

use crate::protocol::api::{ApiKey, Body, Request};
use crate::protocol::error::{DecodeError, EncodeError};
use crate::protocol::types::{Empty, TopicConfig};
use crate::protocol::wire;

/// Request body of `CreateTopic`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CreateTopicRequest {
    /// The topic's config.
    pub config: TopicConfig,
}

impl Body for CreateTopicRequest {
    fn encode(&self, out: &mut BytesMut) -> Result<(), EncodeError> {
        self.config.encode(out)
    }

    fn decode(body: &Bytes) -> Result<CreateTopicRequest, DecodeError> {
        let (i, config) = TopicConfig::parse(body)?;
        wire::finish(i)?;
        Ok(CreateTopicRequest { config })
    }
}

impl Request for CreateTopicRequest {
    const API_KEY: ApiKey = ApiKey::CreateTopic;
    type Response = Empty;
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::limits::{QUEUE_COUNT_MAX, TOPIC_LEN_MAX};
    use crate::protocol::testkit::{self, Case, Cut, Wire, samples};

    fn request() -> Case<CreateTopicRequest> {
        Case::request(samples::create_topic_request())
    }

    fn response() -> Case<Empty> {
        Case::response::<CreateTopicRequest>(Empty)
    }

    /// A `CreateTopic` request frame decodes to the request it was encoded from.
    #[test]
    fn request_roundtrip() {
        request().roundtrip();
    }

    /// The request matches `spec/vectors/create_topic_request.json`.
    #[test]
    fn request_golden() {
        testkit::golden("create_topic_request");
    }

    /// Every truncation of the request is incomplete or an error, never another value.
    #[test]
    fn request_truncations() {
        request().truncations();
    }

    /// Over-limit lengths, counts and values in the topic config are refused before more arrives.
    #[test]
    fn request_over_limit() {
        let topic = || Wire::new().str("t");
        request().over_limit(&[
            Cut::string(&[], "topic", TOPIC_LEN_MAX),
            Cut::value(
                &topic().done(),
                &[0x04, 0x01],
                DecodeError::TooLong {
                    field: "read_queue_count",
                    len: 1025,
                    max: QUEUE_COUNT_MAX,
                },
            ),
            Cut::value(
                &topic().u16(1).u16(1).done(),
                &[0x10],
                DecodeError::InvalidValue {
                    field: "perm",
                    value: 0x10,
                },
            ),
            Cut::value(
                &topic().u16(1).u16(1).u8(6).done(),
                &[2],
                DecodeError::InvalidValue {
                    field: "order",
                    value: 2,
                },
            ),
        ]);
        let mut bad = samples::create_topic_request();
        bad.config.perm = 0x10;
        testkit::assert_request_refused(&bad, "perm");
        let mut bad = samples::create_topic_request();
        bad.config.write_queue_count = 1025;
        testkit::assert_request_refused(&bad, "write_queue_count");
    }

    /// The request fed one byte at a time comes out once, whole.
    #[test]
    fn request_byte_at_a_time() {
        request().byte_at_a_time();
    }

    /// A `CreateTopic` response frame decodes to the response it was encoded from.
    #[test]
    fn response_roundtrip() {
        response().roundtrip();
    }

    /// The response matches `spec/vectors/create_topic_response.json`.
    #[test]
    fn response_golden() {
        testkit::golden("create_topic_response");
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
