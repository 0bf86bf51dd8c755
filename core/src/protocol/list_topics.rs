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
