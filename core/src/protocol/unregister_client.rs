//! `UnregisterClient` (api key 55): a client leaves a producer and/or consumer group at
//! shutdown (RocketMQ's `UNREGISTER_CLIENT`). The broker forgets the group for that client and
//! tells the remaining members of a consumer group to rebalance at once.
//!
//! ```text
//! request  v0: client_id:string(≤ CLIENT_ID_LEN_MAX)
//!              producer_group:string(≤ GROUP_LEN_MAX, "" = none)
//!              consumer_group:string(≤ GROUP_LEN_MAX, "" = none)
//! response v0: (empty)
//! ```

use bytes::{Bytes, BytesMut};

use crate::limits::{CLIENT_ID_LEN_MAX, GROUP_LEN_MAX};
use crate::protocol::api::{ApiKey, Body, Request};
use crate::protocol::error::{DecodeError, EncodeError};
use crate::protocol::types::Empty;
use crate::protocol::wire;

/// Request body of `UnregisterClient`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnregisterClientRequest {
    /// The client leaving.
    pub client_id: String,
    /// Producer group it leaves ("" = none).
    pub producer_group: String,
    /// Consumer group it leaves ("" = none).
    pub consumer_group: String,
}

impl Body for UnregisterClientRequest {
    fn encode(&self, out: &mut BytesMut) -> Result<(), EncodeError> {
        wire::put_string(out, "client_id", &self.client_id, CLIENT_ID_LEN_MAX)?;
        wire::put_string(out, "producer_group", &self.producer_group, GROUP_LEN_MAX)?;
        wire::put_string(out, "consumer_group", &self.consumer_group, GROUP_LEN_MAX)
    }

    fn decode(body: &Bytes) -> Result<UnregisterClientRequest, DecodeError> {
        let (i, client_id) = wire::string(body, "client_id", CLIENT_ID_LEN_MAX)?;
        let (i, producer_group) = wire::string(i, "producer_group", GROUP_LEN_MAX)?;
        let (i, consumer_group) = wire::string(i, "consumer_group", GROUP_LEN_MAX)?;
        wire::finish(i)?;
        Ok(UnregisterClientRequest {
            client_id: client_id.to_owned(),
            producer_group: producer_group.to_owned(),
            consumer_group: consumer_group.to_owned(),
        })
    }
}

impl Request for UnregisterClientRequest {
    const API_KEY: ApiKey = ApiKey::UnregisterClient;
    type Response = Empty;
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::testkit::{self, Case, Cut, Wire, samples};

    fn request() -> Case<UnregisterClientRequest> {
        Case::request(samples::unregister_client_request())
    }

    fn response() -> Case<Empty> {
        Case::response::<UnregisterClientRequest>(Empty)
    }

    /// An `UnregisterClient` request frame decodes to the request it was encoded from.
    #[test]
    fn request_roundtrip() {
        request().roundtrip();
    }

    /// The request matches `spec/vectors/unregister_client_request.json`.
    #[test]
    fn request_golden() {
        testkit::golden("unregister_client_request");
    }

    /// Every truncation of the request is incomplete or an error, never another value.
    #[test]
    fn request_truncations() {
        request().truncations();
    }

    /// Over-limit strings are refused before their bytes arrive, and at encode.
    #[test]
    fn request_over_limit() {
        request().over_limit(&[
            Cut::string(&[], "client_id", CLIENT_ID_LEN_MAX),
            Cut::string(
                &Wire::new().str("c").done(),
                "producer_group",
                GROUP_LEN_MAX,
            ),
            Cut::string(
                &Wire::new().str("c").str("").done(),
                "consumer_group",
                GROUP_LEN_MAX,
            ),
        ]);
        let mut bad = samples::unregister_client_request();
        bad.consumer_group = testkit::long(GROUP_LEN_MAX + 1);
        testkit::assert_request_refused(&bad, "consumer_group");
    }

    /// The request fed one byte at a time comes out once, whole.
    #[test]
    fn request_byte_at_a_time() {
        request().byte_at_a_time();
    }

    /// An `UnregisterClient` response frame decodes to the response it was encoded from.
    #[test]
    fn response_roundtrip() {
        response().roundtrip();
    }

    /// The response matches `spec/vectors/unregister_client_response.json`.
    #[test]
    fn response_golden() {
        testkit::golden("unregister_client_response");
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
