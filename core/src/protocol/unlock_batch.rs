//! `UnlockBatch` (api key 53): an orderly consumer releases queue locks it holds (after a
//! rebalance took the queues away, or at shutdown), so the new owner need not wait for them to
//! expire (RocketMQ's `UNLOCK_BATCH_MQ`). Locks held by another client are left alone.
//!
//! ```text
//! request  v0: the body of LockBatch: consumer_group:string client_id:string
//!              queues: u32 count(≤ LOCK_BATCH_COUNT_MAX) × (topic:string queue_id:u32)
//! response v0: (empty)
//! ```

use bytes::{Bytes, BytesMut};

use crate::protocol::api::{ApiKey, Body, Request};
use crate::protocol::error::{DecodeError, EncodeError};
use crate::protocol::lock_batch::{LockBatchRequest, LockQueue};
use crate::protocol::types::Empty;

/// Request body of `UnlockBatch`: the same fields as `LockBatch`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnlockBatchRequest {
    /// Consumer group.
    pub consumer_group: String,
    /// The client releasing.
    pub client_id: String,
    /// Queues to release.
    pub queues: Vec<LockQueue>,
}

impl Body for UnlockBatchRequest {
    fn encode(&self, out: &mut BytesMut) -> Result<(), EncodeError> {
        let same = LockBatchRequest {
            consumer_group: self.consumer_group.clone(),
            client_id: self.client_id.clone(),
            queues: self.queues.clone(),
        };
        same.encode(out)
    }

    fn decode(body: &Bytes) -> Result<UnlockBatchRequest, DecodeError> {
        let r = LockBatchRequest::decode(body)?;
        Ok(UnlockBatchRequest {
            consumer_group: r.consumer_group,
            client_id: r.client_id,
            queues: r.queues,
        })
    }
}

impl Request for UnlockBatchRequest {
    const API_KEY: ApiKey = ApiKey::UnlockBatch;
    type Response = Empty;
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::limits::{CLIENT_ID_LEN_MAX, GROUP_LEN_MAX, LOCK_BATCH_COUNT_MAX, TOPIC_LEN_MAX};
    use crate::protocol::testkit::{self, Case, Cut, Wire, samples};

    fn request() -> Case<UnlockBatchRequest> {
        Case::request(samples::unlock_batch_request())
    }

    fn response() -> Case<Empty> {
        Case::response::<UnlockBatchRequest>(Empty)
    }

    /// An `UnlockBatch` request frame decodes to the request it was encoded from.
    #[test]
    fn request_roundtrip() {
        request().roundtrip();
    }

    /// The request matches `spec/vectors/unlock_batch_request.json`.
    #[test]
    fn request_golden() {
        testkit::golden("unlock_batch_request");
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
        let mut bad = samples::unlock_batch_request();
        bad.consumer_group = testkit::long(GROUP_LEN_MAX + 1);
        testkit::assert_request_refused(&bad, "consumer_group");
    }

    /// The request fed one byte at a time comes out once, whole.
    #[test]
    fn request_byte_at_a_time() {
        request().byte_at_a_time();
    }

    /// An `UnlockBatch` response frame decodes to the response it was encoded from.
    #[test]
    fn response_roundtrip() {
        response().roundtrip();
    }

    /// The response matches `spec/vectors/unlock_batch_response.json`.
    #[test]
    fn response_golden() {
        testkit::golden("unlock_batch_response");
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
