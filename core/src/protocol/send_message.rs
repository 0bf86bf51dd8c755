//! `SendMessage` (api key 10): store one message record.
//!
//! ```text
//! request  v0: producer_group:string(≤ GROUP_LEN_MAX)  topic:string(≤ TOPIC_LEN_MAX)
//!              queue_id:u32  wait_store_msg_ok:bool  auto_create_queue_count:u16
//!              record:bytes32(≤ RECORD_LEN_MAX)
//! response v0: queue_id:u32  queue_offset:u64  commit_log_offset:u64  store_timestamp_ms:u64
//!              store_host:addr18
//! ```
//!
//! The record is one encoded message record (`protocol::record`); its topic must equal
//! `topic`. `auto_create_queue_count` is the queue count to use if the broker auto-creates the
//! topic (0 = broker default). The response body also comes with `FLUSH_DISK_TIMEOUT`,
//! `FLUSH_SLAVE_TIMEOUT` and `SLAVE_NOT_AVAILABLE`: the message was stored, less durably than
//! asked.

use std::net::SocketAddr;

use bytes::{BufMut, Bytes, BytesMut};

use crate::limits::{GROUP_LEN_MAX, RECORD_LEN_MAX, TOPIC_LEN_MAX};
use crate::protocol::api::{ApiKey, Body, Request};
use crate::protocol::error::{DecodeError, EncodeError};
use crate::protocol::types::{parse_socket_addr, put_socket_addr};
use crate::protocol::wire::{self, PResult};

/// Request body of `SendMessage`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SendMessageRequest {
    /// Producer group of the sender.
    pub producer_group: String,
    /// Topic of the record.
    pub topic: String,
    /// Queue chosen by the producer.
    pub queue_id: u32,
    /// When false, a SYNC_FLUSH broker answers without waiting for the flush.
    pub wait_store_msg_ok: bool,
    /// Queues to create if the broker auto-creates the topic (0 = broker default).
    pub auto_create_queue_count: u16,
    /// One encoded message record.
    pub record: Bytes,
}

/// Response body of `SendMessage` and `SendBatch`: where the (first) message went.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SendResponse {
    /// Queue the messages were stored in.
    pub queue_id: u32,
    /// Queue offset of the first message; a batch occupies consecutive offsets.
    pub queue_offset: u64,
    /// Commit-log offset of the first record.
    pub commit_log_offset: u64,
    /// When the broker stored the messages.
    pub store_timestamp_ms: u64,
    /// Address of the storing broker (for the `offsetMsgId`).
    pub store_host: SocketAddr,
}

/// Encodes the fields shared by `SendMessage` and `SendBatch` requests.
pub(crate) fn put_send_head(
    out: &mut BytesMut,
    producer_group: &str,
    topic: &str,
    queue_id: u32,
    wait_store_msg_ok: bool,
    auto_create_queue_count: u16,
) -> Result<(), EncodeError> {
    wire::put_string(out, "producer_group", producer_group, GROUP_LEN_MAX)?;
    wire::put_string(out, "topic", topic, TOPIC_LEN_MAX)?;
    out.put_u32(queue_id);
    out.put_u8(u8::from(wait_store_msg_ok));
    out.put_u16(auto_create_queue_count);
    Ok(())
}

/// The fields shared by `SendMessage` and `SendBatch` requests.
pub(crate) struct SendHead<'a> {
    pub producer_group: &'a str,
    pub topic: &'a str,
    pub queue_id: u32,
    pub wait_store_msg_ok: bool,
    pub auto_create_queue_count: u16,
}

/// Parses the fields shared by `SendMessage` and `SendBatch` requests.
pub(crate) fn parse_send_head(i: &[u8]) -> PResult<'_, SendHead<'_>> {
    let (i, producer_group) = wire::string(i, "producer_group", GROUP_LEN_MAX)?;
    let (i, topic) = wire::string(i, "topic", TOPIC_LEN_MAX)?;
    let (i, queue_id) = wire::u32(i, "queue_id")?;
    let (i, wait_store_msg_ok) = wire::bool(i, "wait_store_msg_ok")?;
    let (i, auto_create_queue_count) = wire::u16(i, "auto_create_queue_count")?;
    let head = SendHead {
        producer_group,
        topic,
        queue_id,
        wait_store_msg_ok,
        auto_create_queue_count,
    };
    Ok((i, head))
}

impl Body for SendMessageRequest {
    fn encode(&self, out: &mut BytesMut) -> Result<(), EncodeError> {
        wire::check_len("record", self.record.len(), RECORD_LEN_MAX)?;
        put_send_head(
            out,
            &self.producer_group,
            &self.topic,
            self.queue_id,
            self.wait_store_msg_ok,
            self.auto_create_queue_count,
        )?;
        wire::put_bytes32(out, "record", &self.record, RECORD_LEN_MAX)
    }

    fn decode(body: &Bytes) -> Result<SendMessageRequest, DecodeError> {
        let (i, head) = parse_send_head(body)?;
        let (i, record) = wire::bytes32(i, "record", RECORD_LEN_MAX)?;
        wire::finish(i)?;
        Ok(SendMessageRequest {
            producer_group: head.producer_group.into(),
            topic: head.topic.into(),
            queue_id: head.queue_id,
            wait_store_msg_ok: head.wait_store_msg_ok,
            auto_create_queue_count: head.auto_create_queue_count,
            record: body.slice_ref(record),
        })
    }
}

impl Request for SendMessageRequest {
    const API_KEY: ApiKey = ApiKey::SendMessage;
    type Response = SendResponse;
}

impl Body for SendResponse {
    fn encode(&self, out: &mut BytesMut) -> Result<(), EncodeError> {
        out.put_u32(self.queue_id);
        out.put_u64(self.queue_offset);
        out.put_u64(self.commit_log_offset);
        out.put_u64(self.store_timestamp_ms);
        put_socket_addr(out, self.store_host);
        Ok(())
    }

    fn decode(body: &Bytes) -> Result<SendResponse, DecodeError> {
        let (i, queue_id) = wire::u32(body, "queue_id")?;
        let (i, queue_offset) = wire::u64(i, "queue_offset")?;
        let (i, commit_log_offset) = wire::u64(i, "commit_log_offset")?;
        let (i, store_timestamp_ms) = wire::u64(i, "store_timestamp_ms")?;
        let (i, store_host) = parse_socket_addr(i, "store_host")?;
        wire::finish(i)?;
        Ok(SendResponse {
            queue_id,
            queue_offset,
            commit_log_offset,
            store_timestamp_ms,
            store_host,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::testkit::{self, Case, Cut, Wire, samples};

    fn request() -> Case<SendMessageRequest> {
        Case::request(samples::send_message_request())
    }

    fn response() -> Case<SendResponse> {
        Case::response::<SendMessageRequest>(samples::send_response())
    }

    /// A `SendMessage` request frame decodes to the request it was encoded from.
    #[test]
    fn request_roundtrip() {
        request().roundtrip();
    }

    /// The request matches `spec/vectors/send_message_request.json`.
    #[test]
    fn request_golden() {
        testkit::golden("send_message_request");
    }

    /// Every truncation of the request is incomplete or an error, never another value.
    #[test]
    fn request_truncations() {
        request().truncations();
    }

    /// Over-limit lengths in the request are refused before their data arrives.
    #[test]
    fn request_over_limit() {
        let group = Wire::new().str("g").done();
        let head = Wire::new().str("g").str("t").u32(1);
        request().over_limit(&[
            Cut::string(&[], "producer_group", GROUP_LEN_MAX),
            Cut::string(&group, "topic", TOPIC_LEN_MAX),
            Cut::u32_len(&head.u8(1).u16(0).done(), "record", RECORD_LEN_MAX),
            Cut::value(
                &Wire::new().str("g").str("t").u32(1).done(),
                &[2],
                DecodeError::InvalidValue {
                    field: "wait_store_msg_ok",
                    value: 2,
                },
            ),
        ]);
        let mut bad = samples::send_message_request();
        bad.topic = testkit::long(TOPIC_LEN_MAX + 1);
        testkit::assert_request_refused(&bad, "topic");
        let mut bad = samples::send_message_request();
        bad.record = Bytes::from(vec![0; RECORD_LEN_MAX + 1]);
        testkit::assert_request_refused(&bad, "record");
    }

    /// The request fed one byte at a time comes out once, whole.
    #[test]
    fn request_byte_at_a_time() {
        request().byte_at_a_time();
    }

    /// A `SendMessage` response frame decodes to the response it was encoded from.
    #[test]
    fn response_roundtrip() {
        response().roundtrip();
    }

    /// The response matches `spec/vectors/send_message_response.json`, and the stored-but
    /// `FLUSH_DISK_TIMEOUT` response, which still carries the body, matches its vector.
    #[test]
    fn response_golden() {
        testkit::golden("send_message_response");
        testkit::golden("send_message_flush_disk_timeout_response");
        testkit::golden("error_response");
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
