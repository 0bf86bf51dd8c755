//! `ListTopics` (api key 24): every topic's config, sorted by name.
//!
//! ```text
//! request  v0: include_system:bool
//! response v0: topics: u32 count(≤ TOPIC_LIST_COUNT_MAX) × TopicConfig
//! ```
//!
//! System topics (retry, dead-letter and internal topics) are listed only when
//! `include_system` is set.

use bytes::{BufMut, Bytes, BytesMut};

use crate::limits::TOPIC_LIST_COUNT_MAX;
use crate::protocol::api::{ApiKey, Body, Request};
use crate::protocol::error::{DecodeError, EncodeError};
use crate::protocol::types::TopicConfig;
use crate::protocol::wire;

/// Request body of `ListTopics`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ListTopicsRequest {
    /// Whether to list system topics too.
    pub include_system: bool,
}

/// Response body of `ListTopics`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListTopicsResponse {
    /// Every topic's config.
    pub topics: Vec<TopicConfig>,
}

/// Smallest encoded `TopicConfig`: empty name, two counts, perm and order.
const TOPIC_CONFIG_LEN_MIN: usize = 2 + 2 + 2 + 1 + 1;

impl Body for ListTopicsRequest {
    fn encode(&self, out: &mut BytesMut) -> Result<(), EncodeError> {
        out.put_u8(u8::from(self.include_system));
        Ok(())
    }

    fn decode(body: &Bytes) -> Result<ListTopicsRequest, DecodeError> {
        let (i, include_system) = wire::bool(body, "include_system")?;
        wire::finish(i)?;
        Ok(ListTopicsRequest { include_system })
    }
}

impl Request for ListTopicsRequest {
    const API_KEY: ApiKey = ApiKey::ListTopics;
    type Response = ListTopicsResponse;
}

impl Body for ListTopicsResponse {
    fn encode(&self, out: &mut BytesMut) -> Result<(), EncodeError> {
        wire::put_list(
            out,
            "topics",
            &self.topics,
            TOPIC_LIST_COUNT_MAX,
            |out, t| t.encode(out),
        )
    }

    fn decode(body: &Bytes) -> Result<ListTopicsResponse, DecodeError> {
        let (i, topics) = wire::list(
            body,
            "topics",
            TOPIC_LIST_COUNT_MAX,
            TOPIC_CONFIG_LEN_MIN,
            TopicConfig::parse,
        )?;
        wire::finish(i)?;
        Ok(ListTopicsResponse { topics })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::limits::TOPIC_LEN_MAX;
    use crate::protocol::testkit::{self, Case, Cut, Wire, samples};

    fn request() -> Case<ListTopicsRequest> {
        Case::request(samples::list_topics_request())
    }

    fn response() -> Case<ListTopicsResponse> {
        Case::response::<ListTopicsRequest>(samples::list_topics_response())
    }

    /// A `ListTopics` request frame decodes to the request it was encoded from.
    #[test]
    fn request_roundtrip() {
        request().roundtrip();
    }

    /// The request matches `spec/vectors/list_topics_request.json`.
    #[test]
    fn request_golden() {
        testkit::golden("list_topics_request");
    }

    /// Every truncation of the request is incomplete or an error, never another value.
    #[test]
    fn request_truncations() {
        request().truncations();
    }

    /// The one-byte request refuses a non-boolean, a byte past its end, and an over-limit frame
    /// length.
    #[test]
    fn request_over_limit() {
        request().over_limit(&[
            Cut::value(
                &[],
                &[2],
                DecodeError::InvalidValue {
                    field: "include_system",
                    value: 2,
                },
            ),
            Cut::value(&[1], &[0], DecodeError::TrailingBytes { count: 1 }),
        ]);
    }

    /// The request fed one byte at a time comes out once, whole.
    #[test]
    fn request_byte_at_a_time() {
        request().byte_at_a_time();
    }

    /// A `ListTopics` response frame decodes to the response it was encoded from.
    #[test]
    fn response_roundtrip() {
        response().roundtrip();
    }

    /// The response matches `spec/vectors/list_topics_response.json`.
    #[test]
    fn response_golden() {
        testkit::golden("list_topics_response");
    }

    /// Every truncation of the response is incomplete or an error, never another value.
    #[test]
    fn response_truncations() {
        response().truncations();
    }

    /// Over-limit counts and lengths in the response are refused before their data arrives.
    #[test]
    fn response_over_limit() {
        response().over_limit(&[
            Cut::u32_len(&[], "topics", TOPIC_LIST_COUNT_MAX),
            Cut::count_past_end(&[], "topics", 2),
            Cut::string(&Wire::new().u32(1).done(), "topic", TOPIC_LEN_MAX).padded(6),
        ]);
        let config = samples::topic_config();
        let bad = ListTopicsResponse {
            topics: vec![config; TOPIC_LIST_COUNT_MAX + 1],
        };
        testkit::assert_response_refused::<ListTopicsRequest>(&bad, "topics");
    }

    /// The response fed one byte at a time comes out once, whole.
    #[test]
    fn response_byte_at_a_time() {
        response().byte_at_a_time();
    }
}
