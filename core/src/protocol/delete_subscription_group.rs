//! `DeleteSubscriptionGroup` (api key 57): forget a consumer group's config on a broker, and
//! with `remove_offsets` its committed offsets too (RocketMQ's `DELETE_SUBSCRIPTIONGROUP` with
//! `cleanOffset`). A missing group gives `SUBSCRIPTION_GROUP_NOT_EXIST`.
//!
//! ```text
//! request  v0: consumer_group:string(≤ GROUP_LEN_MAX)  remove_offsets:bool
//! response v0: (empty)
//! ```

use bytes::{BufMut, Bytes, BytesMut};

use crate::limits::GROUP_LEN_MAX;
use crate::protocol::api::{ApiKey, Body, Request};
use crate::protocol::error::{DecodeError, EncodeError};
use crate::protocol::types::Empty;
use crate::protocol::wire;

/// Request body of `DeleteSubscriptionGroup`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeleteSubscriptionGroupRequest {
    /// The group to forget.
    pub consumer_group: String,
    /// Also forget the group's committed offsets on this broker.
    pub remove_offsets: bool,
}

impl Body for DeleteSubscriptionGroupRequest {
    fn encode(&self, out: &mut BytesMut) -> Result<(), EncodeError> {
        wire::put_string(out, "consumer_group", &self.consumer_group, GROUP_LEN_MAX)?;
        out.put_u8(u8::from(self.remove_offsets));
        Ok(())
    }

    fn decode(body: &Bytes) -> Result<DeleteSubscriptionGroupRequest, DecodeError> {
        let (i, group) = wire::string(body, "consumer_group", GROUP_LEN_MAX)?;
        let (i, remove_offsets) = wire::bool(i, "remove_offsets")?;
        wire::finish(i)?;
        Ok(DeleteSubscriptionGroupRequest {
            consumer_group: group.to_owned(),
            remove_offsets,
        })
    }
}

impl Request for DeleteSubscriptionGroupRequest {
    const API_KEY: ApiKey = ApiKey::DeleteSubscriptionGroup;
    type Response = Empty;
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::testkit::{self, Case, Cut, Wire, samples};

    fn request() -> Case<DeleteSubscriptionGroupRequest> {
        Case::request(samples::delete_subscription_group_request())
    }

    fn response() -> Case<Empty> {
        Case::response::<DeleteSubscriptionGroupRequest>(Empty)
    }

    /// A `DeleteSubscriptionGroup` request frame decodes to the request it was encoded from.
    #[test]
    fn request_roundtrip() {
        request().roundtrip();
    }

    /// The request matches `spec/vectors/delete_subscription_group_request.json`.
    #[test]
    fn request_golden() {
        testkit::golden("delete_subscription_group_request");
    }

    /// Every truncation of the request is incomplete or an error, never another value.
    #[test]
    fn request_truncations() {
        request().truncations();
    }

    /// An over-limit group name and a non-boolean flag are refused, and the name at encode.
    #[test]
    fn request_over_limit() {
        request().over_limit(&[
            Cut::string(&[], "consumer_group", GROUP_LEN_MAX),
            Cut::value(
                &Wire::new().str("g").done(),
                &[7],
                DecodeError::InvalidValue {
                    field: "remove_offsets",
                    value: 7,
                },
            ),
        ]);
        let mut bad = samples::delete_subscription_group_request();
        bad.consumer_group = testkit::long(GROUP_LEN_MAX + 1);
        testkit::assert_request_refused(&bad, "consumer_group");
    }

    /// The request fed one byte at a time comes out once, whole.
    #[test]
    fn request_byte_at_a_time() {
        request().byte_at_a_time();
    }

    /// A `DeleteSubscriptionGroup` response frame decodes to the response it was encoded from.
    #[test]
    fn response_roundtrip() {
        response().roundtrip();
    }

    /// The response matches `spec/vectors/delete_subscription_group_response.json`.
    #[test]
    fn response_golden() {
        testkit::golden("delete_subscription_group_response");
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
