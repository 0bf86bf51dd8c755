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
