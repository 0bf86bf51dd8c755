//! `ConsumerSendBack` (api key 54): a consumer hands a message it failed to consume back to the
//! broker that stored it (RocketMQ's `CONSUMER_SEND_MSG_BACK`). The broker re-reads the record
//! at `commit_log_offset` (checking `msg_id`), and stores a copy in `%RETRY%{group}` delayed by
//! a level, or in `%DLQ%{group}` once `max_reconsume_times` is reached.
//!
//! ```text
//! request  v0: consumer_group:string(≤ GROUP_LEN_MAX)  commit_log_offset:u64  msg_id:[16]
//!              delay_level:i32  max_reconsume_times:u32
//! response v0: (empty)
//! ```
//!
//! `delay_level`: 0 = the broker decides (3 + the message's reconsume times), > 0 = that level,
//! < 0 = straight to the dead-letter queue.

use bytes::{BufMut, Bytes, BytesMut};

use crate::limits::GROUP_LEN_MAX;
use crate::message::MessageId;
use crate::protocol::api::{ApiKey, Body, Request};
use crate::protocol::error::{DecodeError, EncodeError};
use crate::protocol::types::Empty;
use crate::protocol::wire;

/// Request body of `ConsumerSendBack`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConsumerSendBackRequest {
    /// The group that failed to consume the message.
    pub consumer_group: String,
    /// Where the message's record starts in the broker's commit log.
    pub commit_log_offset: u64,
    /// The record's message id, checked against the record.
    pub msg_id: MessageId,
    /// 0 = broker decides, > 0 = this level, < 0 = dead-letter queue at once.
    pub delay_level: i32,
    /// Redeliveries after which the message goes to the dead-letter queue.
    pub max_reconsume_times: u32,
}

impl Body for ConsumerSendBackRequest {
    fn encode(&self, out: &mut BytesMut) -> Result<(), EncodeError> {
        wire::put_string(out, "consumer_group", &self.consumer_group, GROUP_LEN_MAX)?;
        out.put_u64(self.commit_log_offset);
        out.put_slice(&self.msg_id.0);
        out.put_i32(self.delay_level);
        out.put_u32(self.max_reconsume_times);
        Ok(())
    }

    fn decode(body: &Bytes) -> Result<ConsumerSendBackRequest, DecodeError> {
        let (i, group) = wire::string(body, "consumer_group", GROUP_LEN_MAX)?;
        let (i, commit_log_offset) = wire::u64(i, "commit_log_offset")?;
        let (i, msg_id) = wire::fixed::<16>(i, "msg_id")?;
        let (i, delay_level) = wire::u32(i, "delay_level")?;
        let (i, max_reconsume_times) = wire::u32(i, "max_reconsume_times")?;
        wire::finish(i)?;
        Ok(ConsumerSendBackRequest {
            consumer_group: group.to_owned(),
            commit_log_offset,
            msg_id: MessageId(msg_id),
            delay_level: i32::from_be_bytes(delay_level.to_be_bytes()),
            max_reconsume_times,
        })
    }
}

impl Request for ConsumerSendBackRequest {
    const API_KEY: ApiKey = ApiKey::ConsumerSendBack;
    type Response = Empty;
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::testkit::{self, Case, Cut, samples};

    fn request() -> Case<ConsumerSendBackRequest> {
        Case::request(samples::consumer_send_back_request())
    }

    fn response() -> Case<Empty> {
        Case::response::<ConsumerSendBackRequest>(Empty)
    }

    /// A `ConsumerSendBack` request frame decodes to the request it was encoded from, a
    /// negative delay level included.
    #[test]
    fn request_roundtrip() {
        request().roundtrip();
        let mut dlq = samples::consumer_send_back_request();
        dlq.delay_level = -1;
        Case::request(dlq).roundtrip();
    }

    /// The request matches `spec/vectors/consumer_send_back_request.json`.
    #[test]
    fn request_golden() {
        testkit::golden("consumer_send_back_request");
    }

    /// Every truncation of the request is incomplete or an error, never another value.
    #[test]
    fn request_truncations() {
        request().truncations();
    }

    /// An over-limit group name is refused before its bytes arrive, and at encode.
    #[test]
    fn request_over_limit() {
        request().over_limit(&[Cut::string(&[], "consumer_group", GROUP_LEN_MAX)]);
        let mut bad = samples::consumer_send_back_request();
        bad.consumer_group = testkit::long(GROUP_LEN_MAX + 1);
        testkit::assert_request_refused(&bad, "consumer_group");
    }

    /// The request fed one byte at a time comes out once, whole.
    #[test]
    fn request_byte_at_a_time() {
        request().byte_at_a_time();
    }

    /// A `ConsumerSendBack` response frame decodes to the response it was encoded from.
    #[test]
    fn response_roundtrip() {
        response().roundtrip();
    }

    /// The response matches `spec/vectors/consumer_send_back_response.json`.
    #[test]
    fn response_golden() {
        testkit::golden("consumer_send_back_response");
    }

    /// Every truncation of the response is incomplete or an error, never another value.
    #[test]
    fn response_truncations() {
        response().truncations();
    }

    /// The empty response refuses any byte, and an over-limit frame length.
    #[test]
    fn response_over_limit() {
        response().over_limit(&[Cut::value(
            &[],
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
