//! `NotifyConsumerIdsChanged` (api key 51): broker → client, oneway. The membership of a
//! consumer group changed (a member joined, left, unregistered, lost its connection or
//! expired); each member rebalances at once instead of waiting for its periodic rebalance.
//!
//! ```text
//! request  v0: consumer_group:string(≤ GROUP_LEN_MAX)
//! response v0: (empty; normally sent oneway, so no response follows)
//! ```

use bytes::{Bytes, BytesMut};

use crate::limits::GROUP_LEN_MAX;
use crate::protocol::api::{ApiKey, Body, Request};
use crate::protocol::error::{DecodeError, EncodeError};
use crate::protocol::types::Empty;
use crate::protocol::wire;

/// Request body of `NotifyConsumerIdsChanged`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NotifyConsumerIdsChangedRequest {
    /// The group whose membership changed.
    pub consumer_group: String,
}

impl Body for NotifyConsumerIdsChangedRequest {
    fn encode(&self, out: &mut BytesMut) -> Result<(), EncodeError> {
        wire::put_string(out, "consumer_group", &self.consumer_group, GROUP_LEN_MAX)
    }

    fn decode(body: &Bytes) -> Result<NotifyConsumerIdsChangedRequest, DecodeError> {
        let (i, group) = wire::string(body, "consumer_group", GROUP_LEN_MAX)?;
        wire::finish(i)?;
        Ok(NotifyConsumerIdsChangedRequest {
            consumer_group: group.to_owned(),
        })
    }
}

impl Request for NotifyConsumerIdsChangedRequest {
    const API_KEY: ApiKey = ApiKey::NotifyConsumerIdsChanged;
    type Response = Empty;
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::testkit::{self, Case, Cut, samples};

    fn request() -> Case<NotifyConsumerIdsChangedRequest> {
        Case::request(samples::notify_consumer_ids_changed_request())
    }

    fn response() -> Case<Empty> {
        Case::response::<NotifyConsumerIdsChangedRequest>(Empty)
    }

    /// A `NotifyConsumerIdsChanged` request frame decodes to the request it was encoded from.
    #[test]
    fn request_roundtrip() {
        request().roundtrip();
    }

    /// The request matches its golden vectors (request and oneway).
    #[test]
    fn request_golden() {
        testkit::golden("notify_consumer_ids_changed_request");
        testkit::golden("notify_consumer_ids_changed_oneway");
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
        let bad = NotifyConsumerIdsChangedRequest {
            consumer_group: testkit::long(GROUP_LEN_MAX + 1),
        };
        testkit::assert_request_refused(&bad, "consumer_group");
    }

    /// The request fed one byte at a time comes out once, whole.
    #[test]
    fn request_byte_at_a_time() {
        request().byte_at_a_time();
    }

    /// A `NotifyConsumerIdsChanged` response frame decodes to the response it was encoded from.
    #[test]
    fn response_roundtrip() {
        response().roundtrip();
    }

    /// The response matches `spec/vectors/notify_consumer_ids_changed_response.json`.
    #[test]
    fn response_golden() {
        testkit::golden("notify_consumer_ids_changed_response");
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
