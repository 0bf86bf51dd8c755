//! `QueryMessage` (api key 60): find stored messages by a key of `topic` (the hash index over
//! `topic#key`), by the producer's unique id, by commit-log offset (the broker's offset id) or
//! by queue and offset. No match gives `QUERY_NOT_FOUND`.
//!
//! ```text
//! request  v0: topic:string(≤ TOPIC_LEN_MAX)  query_by:u8  key:string(≤ QUERY_KEY_LEN_MAX)
//!              queue_id:u32  offset:u64  begin_timestamp_ms:u64  end_timestamp_ms:u64
//!              max_results:u32(≤ QUERY_MESSAGE_COUNT_MAX; 0 = QUERY_MESSAGE_COUNT_DEFAULT)
//! response v0: records:bytes32(≤ QUERY_MESSAGE_RECORDS_LEN_MAX)
//! ```

use bytes::{BufMut, Bytes, BytesMut};

use crate::limits::{
    QUERY_KEY_LEN_MAX, QUERY_MESSAGE_BYTES_MAX, QUERY_MESSAGE_COUNT_MAX, RECORD_LEN_MAX,
    TOPIC_LEN_MAX,
};
use crate::protocol::api::{ApiKey, Body, Request};
use crate::protocol::error::{DecodeError, EncodeError};
use crate::protocol::types::wire_enum;
use crate::protocol::wire::{self, PResult};

/// Most bytes of a `QueryMessage` response's `records`: the byte budget plus one whole record.
pub const QUERY_MESSAGE_RECORDS_LEN_MAX: usize = QUERY_MESSAGE_BYTES_MAX + RECORD_LEN_MAX;

wire_enum! {
    /// What a `QueryMessage` looks up.
    QueryBy, "query_by" {
        /// `key` is one of the message's keys; `topic` required; time range and
        /// `max_results` apply.
        Key = 0,
        /// `key` is the producer's unique message id (32 hex characters); `topic` may be empty
        /// (any topic).
        UniqueKey = 1,
        /// `offset` is the record's commit-log offset (from the broker's offset id).
        CommitLogOffset = 2,
        /// `queue_id` and `offset` name a queue position of `topic`.
        QueueOffset = 3,
    }
}

/// Request body of `QueryMessage`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueryMessageRequest {
    /// Topic (may be empty for `CommitLogOffset` and `UniqueKey`).
    pub topic: String,
    /// What to look up.
    pub query_by: QueryBy,
    /// The key or unique id (`Key`, `UniqueKey`), else empty.
    pub key: String,
    /// Queue (`QueueOffset`), else 0.
    pub queue_id: u32,
    /// Queue offset (`QueueOffset`) or commit-log offset (`CommitLogOffset`), else 0.
    pub offset: u64,
    /// Only messages stored at or after this time (ms since the epoch; 0 = no bound).
    pub begin_timestamp_ms: u64,
    /// Only messages stored at or before this time (0 = no bound).
    pub end_timestamp_ms: u64,
    /// Most records to return; 0 asks for `QUERY_MESSAGE_COUNT_DEFAULT`.
    pub max_results: u32,
}

/// Response body of `QueryMessage`: the stored records, newest first.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueryMessageResponse {
    /// Stored records back to back, exactly as in the commit log.
    pub records: Bytes,
}

impl Body for QueryMessageRequest {
    fn encode(&self, out: &mut BytesMut) -> Result<(), EncodeError> {
        wire::put_string(out, "topic", &self.topic, TOPIC_LEN_MAX)?;
        wire::check_len(
            "max_results",
            self.max_results as usize,
            QUERY_MESSAGE_COUNT_MAX as usize,
        )?;
        out.put_u8(self.query_by.code());
        wire::put_string(out, "key", &self.key, QUERY_KEY_LEN_MAX)?;
        out.put_u32(self.queue_id);
        out.put_u64(self.offset);
        out.put_u64(self.begin_timestamp_ms);
        out.put_u64(self.end_timestamp_ms);
        out.put_u32(self.max_results);
        Ok(())
    }

    fn decode(body: &Bytes) -> Result<QueryMessageRequest, DecodeError> {
        let (i, topic) = wire::string(body, "topic", TOPIC_LEN_MAX)?;
        let (i, query_by) = QueryBy::parse(i)?;
        let (i, key) = wire::string(i, "key", QUERY_KEY_LEN_MAX)?;
        let (i, queue_id) = wire::u32(i, "queue_id")?;
        let (i, offset) = wire::u64(i, "offset")?;
        let (i, begin_timestamp_ms) = wire::u64(i, "begin_timestamp_ms")?;
        let (i, end_timestamp_ms) = wire::u64(i, "end_timestamp_ms")?;
        let (i, max_results) = wire::u32(i, "max_results")?;
        if max_results > QUERY_MESSAGE_COUNT_MAX {
            return Err(DecodeError::TooLong {
                field: "max_results",
                len: max_results as usize,
                max: QUERY_MESSAGE_COUNT_MAX as usize,
            });
        }
        wire::finish(i)?;
        Ok(QueryMessageRequest {
            topic: topic.to_owned(),
            query_by,
            key: key.to_owned(),
            queue_id,
            offset,
            begin_timestamp_ms,
            end_timestamp_ms,
            max_results,
        })
    }
}

impl Request for QueryMessageRequest {
    const API_KEY: ApiKey = ApiKey::QueryMessage;
    type Response = QueryMessageResponse;
}

impl Body for QueryMessageResponse {
    fn encode(&self, out: &mut BytesMut) -> Result<(), EncodeError> {
        wire::put_bytes32(out, "records", &self.records, QUERY_MESSAGE_RECORDS_LEN_MAX)
    }

    fn decode(body: &Bytes) -> Result<QueryMessageResponse, DecodeError> {
        let (i, records) = wire::bytes32(body, "records", QUERY_MESSAGE_RECORDS_LEN_MAX)?;
        wire::finish(i)?;
        Ok(QueryMessageResponse {
            records: body.slice_ref(records),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::testkit::{self, Case, Cut, Wire, samples};

    fn request() -> Case<QueryMessageRequest> {
        Case::request(samples::query_message_request())
    }

    fn response() -> Case<QueryMessageResponse> {
        Case::response::<QueryMessageRequest>(samples::query_message_response())
    }

    /// A `QueryMessage` request frame decodes to the request it was encoded from.
    #[test]
    fn request_roundtrip() {
        request().roundtrip();
    }

    /// The request matches `spec/vectors/query_message_request.json`.
    #[test]
    fn request_golden() {
        testkit::golden("query_message_request");
    }

    /// Every truncation of the request is incomplete or an error, never another value.
    #[test]
    fn request_truncations() {
        request().truncations();
    }

    /// Over-limit lengths and counts in the request are refused before their data arrives.
    #[test]
    fn request_over_limit() {
        let head = Wire::new().str("t").u8(0).done();
        let fixed = Wire::new()
            .str("t")
            .u8(0)
            .str("k")
            .u32(0)
            .u64(0)
            .u64(0)
            .u64(0)
            .done();
        let over = QUERY_MESSAGE_COUNT_MAX + 1;
        request().over_limit(&[
            Cut::string(&[], "topic", TOPIC_LEN_MAX),
            Cut::string(&head, "key", QUERY_KEY_LEN_MAX),
            Cut::value(
                &fixed,
                &over.to_be_bytes(),
                DecodeError::TooLong {
                    field: "max_results",
                    len: over as usize,
                    max: QUERY_MESSAGE_COUNT_MAX as usize,
                },
            ),
            Cut::value(
                &Wire::new().str("t").done(),
                &[9],
                DecodeError::InvalidValue {
                    field: "query_by",
                    value: 9,
                },
            ),
        ]);
        let mut bad = samples::query_message_request();
        bad.key = testkit::long(QUERY_KEY_LEN_MAX + 1);
        testkit::assert_request_refused(&bad, "key");
    }

    /// The request fed one byte at a time comes out once, whole.
    #[test]
    fn request_byte_at_a_time() {
        request().byte_at_a_time();
    }

    /// A `QueryMessage` response frame decodes to the response it was encoded from.
    #[test]
    fn response_roundtrip() {
        response().roundtrip();
    }

    /// The response matches `spec/vectors/query_message_response.json`.
    #[test]
    fn response_golden() {
        testkit::golden("query_message_response");
    }

    /// Every truncation of the response is incomplete or an error, never another value.
    #[test]
    fn response_truncations() {
        response().truncations();
    }

    /// An over-limit `records` length is refused before the records arrive.
    #[test]
    fn response_over_limit() {
        response().over_limit(&[Cut::u32_len(&[], "records", QUERY_MESSAGE_RECORDS_LEN_MAX)]);
    }

    /// The response fed one byte at a time comes out once, whole.
    #[test]
    fn response_byte_at_a_time() {
        response().byte_at_a_time();
    }
}
