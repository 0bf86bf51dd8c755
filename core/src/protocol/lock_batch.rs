//! `LockBatch` (api key 52): an orderly consumer in clustering mode asks the broker to lock
//! queues for it, so no other member of its group consumes them meanwhile (RocketMQ's
//! `LOCK_BATCH_MQ`). A lock is granted when the queue is free, expired, or already held by the
//! same client (which renews it); the response lists the queues this client now holds. Locks
//! expire on the broker after `rebalance_lock_max_live_ms` without renewal.
//!
//! ```text
//! request  v0: consumer_group:string(≤ GROUP_LEN_MAX)  client_id:string(≤ CLIENT_ID_LEN_MAX)
//!              queues: u32 count(≤ LOCK_BATCH_COUNT_MAX) × LockQueue
//! response v0: locked: u32 count(≤ LOCK_BATCH_COUNT_MAX) × LockQueue
//! LockQueue:   topic:string(≤ TOPIC_LEN_MAX)  queue_id:u32
//! ```

use bytes::{BufMut, Bytes, BytesMut};

use crate::limits::{CLIENT_ID_LEN_MAX, GROUP_LEN_MAX, LOCK_BATCH_COUNT_MAX, TOPIC_LEN_MAX};
use crate::protocol::api::{ApiKey, Body, Request};
use crate::protocol::error::{DecodeError, EncodeError};
use crate::protocol::wire::{self, PResult};

/// One queue of this broker, as named in lock requests.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct LockQueue {
    /// Topic.
    pub topic: String,
    /// Queue id.
    pub queue_id: u32,
}

/// Request body of `LockBatch` (and `UnlockBatch`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LockBatchRequest {
    /// Consumer group.
    pub consumer_group: String,
    /// The client asking.
    pub client_id: String,
    /// Queues to lock.
    pub queues: Vec<LockQueue>,
}

/// Response body of `LockBatch`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LockBatchResponse {
    /// The queues of the request this client holds now.
    pub locked: Vec<LockQueue>,
}

const LOCK_QUEUE_LEN_MIN: usize = 2 + 4;

/// Appends a list of queues.
pub(crate) fn put_queues(
    out: &mut BytesMut,
    field: &'static str,
    queues: &[LockQueue],
) -> Result<(), EncodeError> {
    wire::put_list(out, field, queues, LOCK_BATCH_COUNT_MAX, |out, q| {
        wire::put_string(out, "topic", &q.topic, TOPIC_LEN_MAX)?;
        out.put_u32(q.queue_id);
        Ok(())
    })
}

/// Parses a list of queues.
pub(crate) fn parse_queues<'a>(i: &'a [u8], field: &'static str) -> PResult<'a, Vec<LockQueue>> {
    wire::list(i, field, LOCK_BATCH_COUNT_MAX, LOCK_QUEUE_LEN_MIN, |i| {
        let (i, topic) = wire::string(i, "topic", TOPIC_LEN_MAX)?;
        let (i, queue_id) = wire::u32(i, "queue_id")?;
        let topic = topic.to_owned();
        Ok((i, LockQueue { topic, queue_id }))
    })
}

impl Body for LockBatchRequest {
    fn encode(&self, out: &mut BytesMut) -> Result<(), EncodeError> {
        wire::put_string(out, "consumer_group", &self.consumer_group, GROUP_LEN_MAX)?;
        wire::put_string(out, "client_id", &self.client_id, CLIENT_ID_LEN_MAX)?;
        put_queues(out, "queues", &self.queues)
    }

    fn decode(body: &Bytes) -> Result<LockBatchRequest, DecodeError> {
        let (i, group) = wire::string(body, "consumer_group", GROUP_LEN_MAX)?;
        let (i, client_id) = wire::string(i, "client_id", CLIENT_ID_LEN_MAX)?;
        let (i, queues) = parse_queues(i, "queues")?;
        wire::finish(i)?;
        Ok(LockBatchRequest {
            consumer_group: group.to_owned(),
            client_id: client_id.to_owned(),
            queues,
        })
    }
}

impl Body for LockBatchResponse {
    fn encode(&self, out: &mut BytesMut) -> Result<(), EncodeError> {
        put_queues(out, "locked", &self.locked)
    }

    fn decode(body: &Bytes) -> Result<LockBatchResponse, DecodeError> {
        let (i, locked) = parse_queues(body, "locked")?;
        wire::finish(i)?;
        Ok(LockBatchResponse { locked })
    }
}

impl Request for LockBatchRequest {
    const API_KEY: ApiKey = ApiKey::LockBatch;
    type Response = LockBatchResponse;
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::testkit::{self, Case, Cut, Wire, samples};

    fn request() -> Case<LockBatchRequest> {
        Case::request(samples::lock_batch_request())
    }

    fn response() -> Case<LockBatchResponse> {
        Case::response::<LockBatchRequest>(samples::lock_batch_response())
    }

    /// A `LockBatch` request frame decodes to the request it was encoded from.
    #[test]
    fn request_roundtrip() {
        request().roundtrip();
    }

    /// The request matches `spec/vectors/lock_batch_request.json`.
    #[test]
    fn request_golden() {
        testkit::golden("lock_batch_request");
    }

    /// Every truncation of the request is incomplete or an error, never another value.
    #[test]
    fn request_truncations() {
        request().truncations();
    }

    /// Over-limit names and counts are refused before their data arrives, and at encode.
    #[test]
    fn request_over_limit() {
        let named = || Wire::new().str("g").str("c");
        request().over_limit(&[
            Cut::string(&[], "consumer_group", GROUP_LEN_MAX),
            Cut::string(&Wire::new().str("g").done(), "client_id", CLIENT_ID_LEN_MAX),
            Cut::u32_len(&named().done(), "queues", LOCK_BATCH_COUNT_MAX),
            Cut::count_past_end(&named().done(), "queues", 1),
            Cut::string(&named().u32(1).done(), "topic", TOPIC_LEN_MAX).padded(4),
        ]);
        let mut bad = samples::lock_batch_request();
        bad.client_id = testkit::long(CLIENT_ID_LEN_MAX + 1);
        testkit::assert_request_refused(&bad, "client_id");
        let mut bad = samples::lock_batch_request();
        bad.queues = vec![bad.queues[0].clone(); LOCK_BATCH_COUNT_MAX + 1];
        testkit::assert_request_refused(&bad, "queues");
    }

    /// The request fed one byte at a time comes out once, whole.
    #[test]
    fn request_byte_at_a_time() {
        request().byte_at_a_time();
    }

    /// A `LockBatch` response frame decodes to the response it was encoded from.
    #[test]
    fn response_roundtrip() {
        response().roundtrip();
    }

    /// The response matches `spec/vectors/lock_batch_response.json`.
    #[test]
    fn response_golden() {
        testkit::golden("lock_batch_response");
    }

    /// Every truncation of the response is incomplete or an error, never another value.
    #[test]
    fn response_truncations() {
        response().truncations();
    }

    /// An over-limit count or topic is refused before its data arrives, and at encode.
    #[test]
    fn response_over_limit() {
        response().over_limit(&[
            Cut::u32_len(&[], "locked", LOCK_BATCH_COUNT_MAX),
            Cut::count_past_end(&[], "locked", 1),
            Cut::string(&[0, 0, 0, 1], "topic", TOPIC_LEN_MAX).padded(4),
        ]);
        let bad = LockBatchResponse {
            locked: vec![LockQueue {
                topic: testkit::long(TOPIC_LEN_MAX + 1),
                queue_id: 0,
            }],
        };
        testkit::assert_response_refused::<LockBatchRequest>(&bad, "topic");
    }

    /// The response fed one byte at a time comes out once, whole.
    #[test]
    fn response_byte_at_a_time() {
        response().byte_at_a_time();
    }
}
