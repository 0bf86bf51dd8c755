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
