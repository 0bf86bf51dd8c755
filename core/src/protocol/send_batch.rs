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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::limits::{GROUP_LEN_MAX, TOPIC_LEN_MAX};
    use crate::protocol::testkit::{self, Case, Cut, Wire, samples};

    fn request() -> Case<SendBatchRequest> {
        Case::request(samples::send_batch_request())
    }

    fn response() -> Case<SendResponse> {
        Case::response::<SendBatchRequest>(samples::send_batch_response())
    }

    /// A `SendBatch` request frame decodes to the request it was encoded from.
    #[test]
    fn request_roundtrip() {
        request().roundtrip();
    }

    /// The request matches `spec/vectors/send_batch_request.json`.
    #[test]
    fn request_golden() {
        testkit::golden("send_batch_request");
    }

    /// Every truncation of the request is incomplete or an error, never another value.
    #[test]
    fn request_truncations() {
        request().truncations();
    }

    /// Over-limit lengths and counts in the request are refused before their data arrives.
    #[test]
    fn request_over_limit() {
        let head = || Wire::new().str("g").str("t").u32(1).u8(1).u16(0);
        request().over_limit(&[
            Cut::string(&[], "producer_group", GROUP_LEN_MAX),
            Cut::string(&Wire::new().str("g").done(), "topic", TOPIC_LEN_MAX),
            Cut::u32_len(&head().done(), "record_count", BATCH_COUNT_MAX),
            Cut::value(
                &head().done(),
                &[0, 0, 0, 0],
                DecodeError::InvalidValue {
                    field: "record_count",
                    value: 0,
                },
            ),
            Cut::u32_len(&head().u32(2).done(), "records", BATCH_LEN_MAX),
        ]);
        let mut bad = samples::send_batch_request();
        bad.record_count = 0;
        testkit::assert_request_refused(&bad, "record_count");
        bad.record_count = u32::try_from(BATCH_COUNT_MAX + 1).unwrap();
        testkit::assert_request_refused(&bad, "record_count");
        let mut bad = samples::send_batch_request();
        bad.records = Bytes::from(vec![0; BATCH_LEN_MAX + 1]);
        testkit::assert_request_refused(&bad, "records");
    }

    /// The request fed one byte at a time comes out once, whole.
    #[test]
    fn request_byte_at_a_time() {
        request().byte_at_a_time();
    }

    /// A `SendBatch` response frame decodes to the response it was encoded from.
    #[test]
    fn response_roundtrip() {
        response().roundtrip();
    }

    /// The response matches `spec/vectors/send_batch_response.json`.
    #[test]
    fn response_golden() {
        testkit::golden("send_batch_response");
    }

    /// Every truncation of the response is incomplete or an error, never another value.
    #[test]
    fn response_truncations() {
        response().truncations();
    }

    /// The fixed-size response has no lengths: a byte past its end is refused, and so is an
    /// over-limit frame length.
    #[test]
    fn response_over_limit() {
        let body = response().body_bytes();
        response().over_limit(&[Cut::value(
            &body,
            &[0],
            DecodeError::TrailingBytes { count: 1 },
        )]);
    }

    /// The response fed one byte at a time comes out once, whole.
    #[test]
    fn response_byte_at_a_time() {
        response().byte_at_a_time();
    }
}
