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
