//! `UpdateTopic` (api key 21): change an existing topic's queue counts, permission or order flag. A missing topic gives `TOPIC_NOT_EXIST`. Shrinking the queue counts hides queues from routes but keeps their data until retention removes it.
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

/// Request body of `UpdateTopic`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UpdateTopicRequest {
    /// The topic's config.
    pub config: TopicConfig,
}

impl Body for UpdateTopicRequest {
    fn encode(&self, out: &mut BytesMut) -> Result<(), EncodeError> {
        self.config.encode(out)
    }

    fn decode(body: &Bytes) -> Result<UpdateTopicRequest, DecodeError> {
        let (i, config) = TopicConfig::parse(body)?;
        wire::finish(i)?;
        Ok(UpdateTopicRequest { config })
    }
}

impl Request for UpdateTopicRequest {
    const API_KEY: ApiKey = ApiKey::UpdateTopic;
    type Response = Empty;
}
