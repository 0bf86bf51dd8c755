//! `SearchOffset` (api key 17): the first queue offset whose message was stored at or after a
//! timestamp; the queue's max offset when every message is older.
//!
//! ```text
//! request  v0: topic:string(≤ TOPIC_LEN_MAX)  queue_id:u32  timestamp_ms:u64
//! response v0: offset:u64
//! ```

use bytes::{BufMut, Bytes, BytesMut};

use crate::protocol::api::{ApiKey, Body, Request};
use crate::protocol::error::{DecodeError, EncodeError};
use crate::protocol::offset_common::{OffsetResponse, parse_queue, put_queue};
use crate::protocol::wire;

/// Request body of `SearchOffset`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SearchOffsetRequest {
    /// Topic.
    pub topic: String,
    /// Queue.
    pub queue_id: u32,
    /// Milliseconds since the Unix epoch.
    pub timestamp_ms: u64,
}

impl Body for SearchOffsetRequest {
    fn encode(&self, out: &mut BytesMut) -> Result<(), EncodeError> {
        put_queue(out, &self.topic, self.queue_id)?;
        out.put_u64(self.timestamp_ms);
        Ok(())
    }

    fn decode(body: &Bytes) -> Result<SearchOffsetRequest, DecodeError> {
        let (i, (topic, queue_id)) = parse_queue(body)?;
        let (i, timestamp_ms) = wire::u64(i, "timestamp_ms")?;
        wire::finish(i)?;
        Ok(SearchOffsetRequest {
            topic,
            queue_id,
            timestamp_ms,
        })
    }
}

impl Request for SearchOffsetRequest {
    const API_KEY: ApiKey = ApiKey::SearchOffset;
    type Response = OffsetResponse;
}
