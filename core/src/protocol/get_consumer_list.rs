//! `GetConsumerList` (api key 50): the client ids of a consumer group's live members, sorted,
//! as this broker knows them from heartbeats. Every member of a group computes its share of the
//! queues from this list (rebalance), so it is sorted the same way on every broker.
//!
//! ```text
//! request  v0: consumer_group:string(≤ GROUP_LEN_MAX)
//! response v0: client_ids: u32 count(≤ CONSUMER_LIST_COUNT_MAX) × string(≤ CLIENT_ID_LEN_MAX)
//! ```

use bytes::{Bytes, BytesMut};

use crate::limits::{CLIENT_ID_LEN_MAX, CONSUMER_LIST_COUNT_MAX, GROUP_LEN_MAX};
use crate::protocol::api::{ApiKey, Body, Request};
use crate::protocol::error::{DecodeError, EncodeError};
use crate::protocol::wire;

/// Request body of `GetConsumerList`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GetConsumerListRequest {
    /// Consumer group.
    pub consumer_group: String,
}

/// Response body of `GetConsumerList`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConsumerListResponse {
    /// Client ids of the group's members, sorted.
    pub client_ids: Vec<String>,
}

impl Body for GetConsumerListRequest {
    fn encode(&self, out: &mut BytesMut) -> Result<(), EncodeError> {
        wire::put_string(out, "consumer_group", &self.consumer_group, GROUP_LEN_MAX)
    }

    fn decode(body: &Bytes) -> Result<GetConsumerListRequest, DecodeError> {
        let (i, group) = wire::string(body, "consumer_group", GROUP_LEN_MAX)?;
        wire::finish(i)?;
        Ok(GetConsumerListRequest {
            consumer_group: group.to_owned(),
        })
    }
}

impl Body for ConsumerListResponse {
    fn encode(&self, out: &mut BytesMut) -> Result<(), EncodeError> {
        wire::put_list(
            out,
            "client_ids",
            &self.client_ids,
            CONSUMER_LIST_COUNT_MAX,
            |out, id| wire::put_string(out, "client_id", id, CLIENT_ID_LEN_MAX),
        )
    }

    fn decode(body: &Bytes) -> Result<ConsumerListResponse, DecodeError> {
        let (i, client_ids) = wire::list(body, "client_ids", CONSUMER_LIST_COUNT_MAX, 2, |i| {
            let (i, id) = wire::string(i, "client_id", CLIENT_ID_LEN_MAX)?;
            Ok((i, id.to_owned()))
        })?;
        wire::finish(i)?;
        Ok(ConsumerListResponse { client_ids })
    }
}

impl Request for GetConsumerListRequest {
    const API_KEY: ApiKey = ApiKey::GetConsumerList;
    type Response = ConsumerListResponse;
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::testkit::{self, Case, Cut, samples};

    fn request() -> Case<GetConsumerListRequest> {
        Case::request(samples::get_consumer_list_request())
    }

    fn response() -> Case<ConsumerListResponse> {
        Case::response::<GetConsumerListRequest>(samples::consumer_list_response())
    }

    /// A `GetConsumerList` request frame decodes to the request it was encoded from.
    #[test]
    fn request_roundtrip() {
        request().roundtrip();
    }

    /// The request matches `spec/vectors/get_consumer_list_request.json`.
    #[test]
    fn request_golden() {
        testkit::golden("get_consumer_list_request");
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
        let bad = GetConsumerListRequest {
            consumer_group: testkit::long(GROUP_LEN_MAX + 1),
        };
        testkit::assert_request_refused(&bad, "consumer_group");
    }

    /// The request fed one byte at a time comes out once, whole.
    #[test]
    fn request_byte_at_a_time() {
        request().byte_at_a_time();
    }

    /// A `GetConsumerList` response frame decodes to the response it was encoded from.
    #[test]
    fn response_roundtrip() {
        response().roundtrip();
    }

    /// The response matches `spec/vectors/get_consumer_list_response.json`.
    #[test]
    fn response_golden() {
        testkit::golden("get_consumer_list_response");
    }

    /// Every truncation of the response is incomplete or an error, never another value.
    #[test]
    fn response_truncations() {
        response().truncations();
    }

    /// An over-limit count or client id is refused before its data arrives, and at encode.
    #[test]
    fn response_over_limit() {
        response().over_limit(&[
            Cut::u32_len(&[], "client_ids", CONSUMER_LIST_COUNT_MAX),
            Cut::count_past_end(&[], "client_ids", 1),
            Cut::string(&[0, 0, 0, 1], "client_id", CLIENT_ID_LEN_MAX),
        ]);
        let bad = ConsumerListResponse {
            client_ids: vec![testkit::long(CLIENT_ID_LEN_MAX + 1)],
        };
        testkit::assert_response_refused::<GetConsumerListRequest>(&bad, "client_id");
    }

    /// The response fed one byte at a time comes out once, whole.
    #[test]
    fn response_byte_at_a_time() {
        response().byte_at_a_time();
    }
}
