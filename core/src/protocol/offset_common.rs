//! Pieces shared by the offset request kinds: the queue reference `topic:string queue_id:u32`,
//! the consumer-queue reference that adds a group, and the `offset:u64` response.

use bytes::{BufMut, Bytes, BytesMut};

use crate::limits::{GROUP_LEN_MAX, TOPIC_LEN_MAX};
use crate::protocol::api::Body;
use crate::protocol::error::{DecodeError, EncodeError};
use crate::protocol::wire::{self, PResult};

/// Response body carrying one queue offset.
///
/// Wire format: `offset:u64`
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OffsetResponse {
    /// The offset asked for.
    pub offset: u64,
}

impl Body for OffsetResponse {
    fn encode(&self, out: &mut BytesMut) -> Result<(), EncodeError> {
        out.put_u64(self.offset);
        Ok(())
    }

    fn decode(body: &Bytes) -> Result<OffsetResponse, DecodeError> {
        let (i, offset) = wire::u64(body, "offset")?;
        wire::finish(i)?;
        Ok(OffsetResponse { offset })
    }
}

/// Appends `topic:string queue_id:u32`.
pub(crate) fn put_queue(out: &mut BytesMut, topic: &str, queue_id: u32) -> Result<(), EncodeError> {
    wire::put_string(out, "topic", topic, TOPIC_LEN_MAX)?;
    out.put_u32(queue_id);
    Ok(())
}

/// Parses `topic:string queue_id:u32`.
pub(crate) fn parse_queue(i: &[u8]) -> PResult<'_, (String, u32)> {
    let (i, topic) = wire::string(i, "topic", TOPIC_LEN_MAX)?;
    let (i, queue_id) = wire::u32(i, "queue_id")?;
    Ok((i, (topic.to_owned(), queue_id)))
}

/// Appends `consumer_group:string topic:string queue_id:u32`.
pub(crate) fn put_group_queue(
    out: &mut BytesMut,
    group: &str,
    topic: &str,
    queue_id: u32,
) -> Result<(), EncodeError> {
    wire::put_string(out, "consumer_group", group, GROUP_LEN_MAX)?;
    put_queue(out, topic, queue_id)
}

/// Parses `consumer_group:string topic:string queue_id:u32`.
pub(crate) fn parse_group_queue(i: &[u8]) -> PResult<'_, (String, String, u32)> {
    let (i, group) = wire::string(i, "consumer_group", GROUP_LEN_MAX)?;
    let (i, (topic, queue_id)) = parse_queue(i)?;
    Ok((i, (group.to_owned(), topic, queue_id)))
}
