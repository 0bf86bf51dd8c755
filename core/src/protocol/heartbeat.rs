//! `Heartbeat` (api key 31): a client announces itself, its producer groups and its consumer
//! groups with their subscriptions. Sent to every broker the client uses, at start and every
//! `HEARTBEAT_INTERVAL_MS_DEFAULT`.
//!
//! ```text
//! request  v0: client_id:string(≤ CLIENT_ID_LEN_MAX)
//!              producer_groups: u32 count(≤ HEARTBEAT_GROUP_COUNT_MAX) × string(≤ GROUP_LEN_MAX)
//!              consumer_groups: u32 count(≤ HEARTBEAT_GROUP_COUNT_MAX) ×
//!                 (group:string(≤ GROUP_LEN_MAX) consume_type:u8 message_model:u8
//!                  consume_from:u8 consume_timestamp_ms:u64
//!                  subscriptions: u32 count(≤ SUBSCRIPTION_COUNT_MAX) × Subscription)
//! response v0: (empty)
//! ```

use bytes::{BufMut, Bytes, BytesMut};

use crate::limits::{
    CLIENT_ID_LEN_MAX, GROUP_LEN_MAX, HEARTBEAT_GROUP_COUNT_MAX, SUBSCRIPTION_COUNT_MAX,
};
use crate::protocol::api::{ApiKey, Body, Request};
use crate::protocol::error::{DecodeError, EncodeError};
use crate::protocol::types::{ConsumeFrom, ConsumeType, Empty, MessageModel, Subscription};
use crate::protocol::wire::{self, PResult};

/// A consumer group as announced in a heartbeat.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConsumerData {
    /// Group name.
    pub group: String,
    /// Pull or push.
    pub consume_type: ConsumeType,
    /// Clustering or broadcasting.
    pub message_model: MessageModel,
    /// Where a queue with no committed offset starts.
    pub consume_from: ConsumeFrom,
    /// Timestamp for `ConsumeFrom::Timestamp` (milliseconds since the epoch), else 0.
    pub consume_timestamp_ms: u64,
    /// Topics and expressions.
    pub subscriptions: Vec<Subscription>,
}

/// Request body of `Heartbeat`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HeartbeatRequest {
    /// `ip@instance`, unique per client process and instance.
    pub client_id: String,
    /// Producer groups of this client.
    pub producer_groups: Vec<String>,
    /// Consumer groups of this client.
    pub consumer_groups: Vec<ConsumerData>,
}

const CONSUMER_DATA_LEN_MIN: usize = 2 + 1 + 1 + 1 + 8 + 4;
const SUBSCRIPTION_LEN_MIN: usize = 2 + 1 + 2;

impl Body for HeartbeatRequest {
    fn encode(&self, out: &mut BytesMut) -> Result<(), EncodeError> {
        wire::put_string(out, "client_id", &self.client_id, CLIENT_ID_LEN_MAX)?;
        let groups = &self.producer_groups;
        wire::put_list(
            out,
            "producer_groups",
            groups,
            HEARTBEAT_GROUP_COUNT_MAX,
            |out, g| wire::put_string(out, "producer_group", g, GROUP_LEN_MAX),
        )?;
        let consumers = &self.consumer_groups;
        wire::put_list(
            out,
            "consumer_groups",
            consumers,
            HEARTBEAT_GROUP_COUNT_MAX,
            put_consumer,
        )
    }

    fn decode(body: &Bytes) -> Result<HeartbeatRequest, DecodeError> {
        let (i, client_id) = wire::string(body, "client_id", CLIENT_ID_LEN_MAX)?;
        let (i, producer_groups) =
            wire::list(i, "producer_groups", HEARTBEAT_GROUP_COUNT_MAX, 2, |i| {
                let (i, g) = wire::string(i, "producer_group", GROUP_LEN_MAX)?;
                Ok((i, g.to_owned()))
            })?;
        let (i, consumer_groups) = wire::list(
            i,
            "consumer_groups",
            HEARTBEAT_GROUP_COUNT_MAX,
            CONSUMER_DATA_LEN_MIN,
            parse_consumer,
        )?;
        wire::finish(i)?;
        Ok(HeartbeatRequest {
            client_id: client_id.into(),
            producer_groups,
            consumer_groups,
        })
    }
}

fn put_consumer(out: &mut BytesMut, c: &ConsumerData) -> Result<(), EncodeError> {
    wire::put_string(out, "group", &c.group, GROUP_LEN_MAX)?;
    out.put_u8(c.consume_type.code());
    out.put_u8(c.message_model.code());
    out.put_u8(c.consume_from.code());
    out.put_u64(c.consume_timestamp_ms);
    wire::put_list(
        out,
        "subscriptions",
        &c.subscriptions,
        SUBSCRIPTION_COUNT_MAX,
        |out, s| s.encode(out),
    )
}

fn parse_consumer(i: &[u8]) -> PResult<'_, ConsumerData> {
    let (i, group) = wire::string(i, "group", GROUP_LEN_MAX)?;
    let (i, consume_type) = ConsumeType::parse(i)?;
    let (i, message_model) = MessageModel::parse(i)?;
    let (i, consume_from) = ConsumeFrom::parse(i)?;
    let (i, consume_timestamp_ms) = wire::u64(i, "consume_timestamp_ms")?;
    let (i, subscriptions) = wire::list(
        i,
        "subscriptions",
        SUBSCRIPTION_COUNT_MAX,
        SUBSCRIPTION_LEN_MIN,
        Subscription::parse,
    )?;
    let data = ConsumerData {
        group: group.into(),
        consume_type,
        message_model,
        consume_from,
        consume_timestamp_ms,
        subscriptions,
    };
    Ok((i, data))
}

impl Request for HeartbeatRequest {
    const API_KEY: ApiKey = ApiKey::Heartbeat;
    type Response = Empty;
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::limits::EXPRESSION_LEN_MAX;
    use crate::protocol::testkit::{self, Case, Cut, Wire, samples};

    fn request() -> Case<HeartbeatRequest> {
        Case::request(samples::heartbeat_request())
    }

    fn response() -> Case<Empty> {
        Case::response::<HeartbeatRequest>(Empty)
    }

    /// A `Heartbeat` request frame decodes to the request it was encoded from.
    #[test]
    fn request_roundtrip() {
        request().roundtrip();
    }

    /// The request matches `spec/vectors/heartbeat_request.json`.
    #[test]
    fn request_golden() {
        testkit::golden("heartbeat_request");
    }

    /// Every truncation of the request is incomplete or an error, never another value.
    #[test]
    fn request_truncations() {
        request().truncations();
    }

    /// Over-limit lengths, counts and values at every level of the heartbeat are refused before
    /// their data arrives.
    #[test]
    fn request_over_limit() {
        let client = || Wire::new().str("c");
        let consumer = || client().u32(0).u32(1).str("g").u8(0).u8(0).u8(0).u64(0);
        request().over_limit(&[
            Cut::string(&[], "client_id", CLIENT_ID_LEN_MAX),
            Cut::u32_len(
                &client().done(),
                "producer_groups",
                HEARTBEAT_GROUP_COUNT_MAX,
            ),
            Cut::count_past_end(&client().done(), "producer_groups", 1),
            Cut::string(&client().u32(1).done(), "producer_group", GROUP_LEN_MAX),
            Cut::u32_len(
                &client().u32(0).done(),
                "consumer_groups",
                HEARTBEAT_GROUP_COUNT_MAX,
            ),
            Cut::count_past_end(&client().u32(0).done(), "consumer_groups", 1),
            Cut::string(&client().u32(0).u32(1).done(), "group", GROUP_LEN_MAX).padded(15),
            Cut::value(
                &client().u32(0).u32(1).str("g").done(),
                &[2],
                DecodeError::InvalidValue {
                    field: "consume_type",
                    value: 2,
                },
            )
            .padded(13),
            Cut::u32_len(&consumer().done(), "subscriptions", SUBSCRIPTION_COUNT_MAX),
            Cut::count_past_end(&consumer().done(), "subscriptions", 1),
            Cut::string(
                &consumer().u32(1).str("t").u8(1).done(),
                "expression",
                EXPRESSION_LEN_MAX,
            ),
        ]);
        let mut bad = samples::heartbeat_request();
        bad.producer_groups = vec!["g".into(); HEARTBEAT_GROUP_COUNT_MAX + 1];
        testkit::assert_request_refused(&bad, "producer_groups");
        let mut bad = samples::heartbeat_request();
        bad.consumer_groups[0].subscriptions[1].expression = testkit::long(EXPRESSION_LEN_MAX + 1);
        testkit::assert_request_refused(&bad, "expression");
    }

    /// The request fed one byte at a time comes out once, whole.
    #[test]
    fn request_byte_at_a_time() {
        request().byte_at_a_time();
    }

    /// A `Heartbeat` response frame decodes to the response it was encoded from.
    #[test]
    fn response_roundtrip() {
        response().roundtrip();
    }

    /// The response matches `spec/vectors/heartbeat_response.json`.
    #[test]
    fn response_golden() {
        testkit::golden("heartbeat_response");
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
