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
