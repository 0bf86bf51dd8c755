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
