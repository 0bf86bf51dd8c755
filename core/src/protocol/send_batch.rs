//! `SendBatch` (api key 11): store several message records in one queue, in order.
//!
//! ```text
//! request  v0: producer_group:string(≤ GROUP_LEN_MAX)  topic:string(≤ TOPIC_LEN_MAX)
//!              queue_id:u32  wait_store_msg_ok:bool  auto_create_queue_count:u16
//!              record_count:u32(1..=BATCH_COUNT_MAX)  records:bytes32(≤ BATCH_LEN_MAX)
//! response v0: as SendMessage (queue offset and commit-log offset of the first record)
//! ```
//!
//! `records` is `record_count` encoded records back to back, all of topic `topic`. The broker
//! stores all or none of them, at consecutive queue offsets.

use bytes::{BufMut, Bytes, BytesMut};

use crate::limits::{BATCH_COUNT_MAX, BATCH_LEN_MAX};
use crate::protocol::api::{ApiKey, Body, Request};
use crate::protocol::error::{DecodeError, EncodeError};
use crate::protocol::send_message::{SendResponse, parse_send_head, put_send_head};
use crate::protocol::wire;

/// Request body of `SendBatch`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SendBatchRequest {
    /// Producer group of the sender.
    pub producer_group: String,
    /// Topic of every record.
    pub topic: String,
    /// Queue chosen by the producer.
    pub queue_id: u32,
    /// When false, a SYNC_FLUSH broker answers without waiting for the flush.
    pub wait_store_msg_ok: bool,
    /// Queues to create if the broker auto-creates the topic (0 = broker default).
    pub auto_create_queue_count: u16,
    /// Number of records in `records`.
    pub record_count: u32,
    /// Encoded records, back to back.
    pub records: Bytes,
}

fn check_count(count: u32) -> Result<(), DecodeError> {
    let len = usize::try_from(count).unwrap_or(usize::MAX);
    if len == 0 {
        return Err(DecodeError::InvalidValue {
            field: "record_count",
            value: 0,
        });
    }
    if len > BATCH_COUNT_MAX {
        return Err(DecodeError::TooLong {
            field: "record_count",
            len,
            max: BATCH_COUNT_MAX,
        });
    }
    Ok(())
}

impl Body for SendBatchRequest {
    fn encode(&self, out: &mut BytesMut) -> Result<(), EncodeError> {
        let count = usize::try_from(self.record_count).unwrap_or(usize::MAX);
        wire::check_len("record_count", count, BATCH_COUNT_MAX)?;
        if count == 0 {
            return Err(EncodeError::Invalid {
                field: "record_count",
                reason: "empty batch",
            });
        }
        wire::check_len("records", self.records.len(), BATCH_LEN_MAX)?;
        put_send_head(
            out,
            &self.producer_group,
            &self.topic,
            self.queue_id,
            self.wait_store_msg_ok,
            self.auto_create_queue_count,
        )?;
        out.put_u32(self.record_count);
        wire::put_bytes32(out, "records", &self.records, BATCH_LEN_MAX)
    }

    fn decode(body: &Bytes) -> Result<SendBatchRequest, DecodeError> {
        let (i, head) = parse_send_head(body)?;
        let (i, record_count) = wire::u32(i, "record_count")?;
        check_count(record_count)?;
        let (i, records) = wire::bytes32(i, "records", BATCH_LEN_MAX)?;
        wire::finish(i)?;
        Ok(SendBatchRequest {
            producer_group: head.producer_group.into(),
            topic: head.topic.into(),
            queue_id: head.queue_id,
            wait_store_msg_ok: head.wait_store_msg_ok,
            auto_create_queue_count: head.auto_create_queue_count,
            record_count,
            records: body.slice_ref(records),
        })
    }
}

impl Request for SendBatchRequest {
    const API_KEY: ApiKey = ApiKey::SendBatch;
    type Response = SendResponse;
}
