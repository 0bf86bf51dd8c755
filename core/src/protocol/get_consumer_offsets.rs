//! `GetConsumerOffsets` (api key 45): one page of a broker's committed consumer offsets, in
//! `(group, topic, queue id)` order. A slave reads its master's whole table this way every
//! `SLAVE_SYNC_INTERVAL_MS_DEFAULT` (RocketMQ's `GET_ALL_CONSUMER_OFFSET`, paged so a large
//! table never needs one huge frame).
//!
//! ```text
//! request  v0: start_index:u32
//! response v0: total:u32  offsets: u32 count(≤ CONSUMER_OFFSET_PAGE_COUNT_MAX) ×
//!                (consumer_group:string(≤ GROUP_LEN_MAX) topic:string(≤ TOPIC_LEN_MAX)
//!                 queue_id:u32 offset:u64)
//! ```
//!
//! The page holds the entries from index `start_index` of the sorted table; `total` is the
//! table's size when the page was taken. A reader asks for `start_index + offsets.len()` next
//! until it reaches `total` (the table may change meanwhile; the next full read catches up).

use bytes::{BufMut, Bytes, BytesMut};

use crate::limits::{CONSUMER_OFFSET_PAGE_COUNT_MAX, GROUP_LEN_MAX, TOPIC_LEN_MAX};
use crate::protocol::api::{ApiKey, Body, Request};
use crate::protocol::error::{DecodeError, EncodeError};
use crate::protocol::wire;

/// Request body of `GetConsumerOffsets`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct GetConsumerOffsetsRequest {
    /// Index of the first entry wanted in the sorted table.
    pub start_index: u32,
}

/// One committed offset.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConsumerOffsetEntry {
    /// Consumer group.
    pub consumer_group: String,
    /// Topic.
    pub topic: String,
    /// Queue.
    pub queue_id: u32,
    /// The group's committed offset of the queue.
    pub offset: u64,
}

/// Response body of `GetConsumerOffsets`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ConsumerOffsetsPage {
    /// Entries in the whole table.
    pub total: u32,
    /// Entries from `start_index` on.
    pub offsets: Vec<ConsumerOffsetEntry>,
}

const ENTRY_LEN_MIN: usize = 2 + 2 + 4 + 8;

impl Body for GetConsumerOffsetsRequest {
    fn encode(&self, out: &mut BytesMut) -> Result<(), EncodeError> {
        out.put_u32(self.start_index);
        Ok(())
    }

    fn decode(body: &Bytes) -> Result<GetConsumerOffsetsRequest, DecodeError> {
        let (i, start_index) = wire::u32(body, "start_index")?;
        wire::finish(i)?;
        Ok(GetConsumerOffsetsRequest { start_index })
    }
}

impl Request for GetConsumerOffsetsRequest {
    const API_KEY: ApiKey = ApiKey::GetConsumerOffsets;
    type Response = ConsumerOffsetsPage;
}

impl Body for ConsumerOffsetsPage {
    fn encode(&self, out: &mut BytesMut) -> Result<(), EncodeError> {
        out.put_u32(self.total);
        wire::put_list(
            out,
            "offsets",
            &self.offsets,
            CONSUMER_OFFSET_PAGE_COUNT_MAX,
            |out, e| {
                wire::put_string(out, "consumer_group", &e.consumer_group, GROUP_LEN_MAX)?;
                wire::put_string(out, "topic", &e.topic, TOPIC_LEN_MAX)?;
                out.put_u32(e.queue_id);
                out.put_u64(e.offset);
                Ok(())
            },
        )
    }

    fn decode(body: &Bytes) -> Result<ConsumerOffsetsPage, DecodeError> {
        let (i, total) = wire::u32(body, "total")?;
        let (i, offsets) = wire::list(
            i,
            "offsets",
            CONSUMER_OFFSET_PAGE_COUNT_MAX,
            ENTRY_LEN_MIN,
            |i| {
                let (i, group) = wire::string(i, "consumer_group", GROUP_LEN_MAX)?;
                let (i, topic) = wire::string(i, "topic", TOPIC_LEN_MAX)?;
                let (i, queue_id) = wire::u32(i, "queue_id")?;
                let (i, offset) = wire::u64(i, "offset")?;
                let entry = ConsumerOffsetEntry {
                    consumer_group: group.into(),
                    topic: topic.into(),
                    queue_id,
                    offset,
                };
                Ok((i, entry))
            },
        )?;
        wire::finish(i)?;
        Ok(ConsumerOffsetsPage { total, offsets })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::testkit::{self, Case, Cut, Wire, samples};

    fn request() -> Case<GetConsumerOffsetsRequest> {
        Case::request(samples::get_consumer_offsets_request())
    }

    fn response() -> Case<ConsumerOffsetsPage> {
        Case::response::<GetConsumerOffsetsRequest>(samples::consumer_offsets_page())
    }

    /// A `GetConsumerOffsets` request frame decodes to the request it was encoded from.
    #[test]
    fn request_roundtrip() {
        request().roundtrip();
    }

    /// The request matches `spec/vectors/get_consumer_offsets_request.json`.
    #[test]
    fn request_golden() {
        testkit::golden("get_consumer_offsets_request");
    }

    /// Every truncation of the request is incomplete or an error, never another value.
    #[test]
    fn request_truncations() {
        request().truncations();
    }

    /// The four-byte request refuses a byte past its end, and an over-limit frame length.
    #[test]
    fn request_over_limit() {
        request().over_limit(&[Cut::value(
            &[0, 0, 0, 1],
            &[0],
            DecodeError::TrailingBytes { count: 1 },
        )]);
    }

    /// The request fed one byte at a time comes out once, whole.
    #[test]
    fn request_byte_at_a_time() {
        request().byte_at_a_time();
    }

    /// A `GetConsumerOffsets` response frame decodes to the response it was encoded from.
    #[test]
    fn response_roundtrip() {
        response().roundtrip();
    }

    /// The response matches `spec/vectors/get_consumer_offsets_response.json`.
    #[test]
    fn response_golden() {
        testkit::golden("get_consumer_offsets_response");
    }

    /// Every truncation of the response is incomplete or an error, never another value.
    #[test]
    fn response_truncations() {
        response().truncations();
    }

    /// Over-limit counts and names in the response are refused before their data arrives.
    #[test]
    fn response_over_limit() {
        let total = || Wire::new().u32(3);
        response().over_limit(&[
            Cut::u32_len(&total().done(), "offsets", CONSUMER_OFFSET_PAGE_COUNT_MAX),
            Cut::count_past_end(&total().done(), "offsets", 1),
            Cut::string(&total().u32(1).done(), "consumer_group", GROUP_LEN_MAX).padded(14),
            Cut::string(&total().u32(1).str("g").done(), "topic", TOPIC_LEN_MAX).padded(12),
        ]);
        let mut bad = samples::consumer_offsets_page();
        bad.offsets[0].topic = testkit::long(TOPIC_LEN_MAX + 1);
        testkit::assert_response_refused::<GetConsumerOffsetsRequest>(&bad, "topic");
        let entry = samples::consumer_offsets_page().offsets[0].clone();
        let bad = ConsumerOffsetsPage {
            total: 0,
            offsets: vec![entry; CONSUMER_OFFSET_PAGE_COUNT_MAX + 1],
        };
        testkit::assert_response_refused::<GetConsumerOffsetsRequest>(&bad, "offsets");
    }

    /// The response fed one byte at a time comes out once, whole.
    #[test]
    fn response_byte_at_a_time() {
        response().byte_at_a_time();
    }
}
