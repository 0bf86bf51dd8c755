//! `QueryRoute` (api key 30): where a topic's queues live. Answered by name servers (and by a
//! standalone broker, which is its own name server).
//!
//! ```text
//! request  v0: topic:string(≤ TOPIC_LEN_MAX)  allow_auto_create:bool
//! response v0: queues: u32 count(≤ ROUTE_BROKER_COUNT_MAX) ×
//!                      (broker_name:string(≤ BROKER_NAME_LEN_MAX)
//!                       read_queue_count:u16(≤ QUEUE_COUNT_MAX)
//!                       write_queue_count:u16(≤ QUEUE_COUNT_MAX) perm:u8)
//!              brokers: u32 count(≤ ROUTE_BROKER_COUNT_MAX) ×
//!                      (cluster:string(≤ BROKER_NAME_LEN_MAX) broker_name:string(≤ BROKER_NAME_LEN_MAX)
//!                       addrs: u32 count(≤ ROUTE_BROKER_COUNT_MAX) ×
//!                              (broker_id:u64 addr:string(≤ ADDR_LEN_MAX)))
//! ```
//!
//! An unknown topic gives `TOPIC_NOT_EXIST`, unless `allow_auto_create` is set (producers set
//! it) and some broker auto-creates topics: then the route lists those brokers with their
//! default queue count, and the first send creates the topic (RocketMQ's `TBW102` route).

use bytes::{BufMut, Bytes, BytesMut};

use crate::limits::{ROUTE_BROKER_COUNT_MAX, TOPIC_LEN_MAX};
use crate::protocol::api::{ApiKey, Body, Request};
use crate::protocol::error::{DecodeError, EncodeError};
use crate::protocol::types::{
    PERM_MASK, check_queue_count, parse_addr, parse_name, parse_queue_count, put_addr, put_name,
};
use crate::protocol::wire::{self, PResult};

/// Request body of `QueryRoute`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueryRouteRequest {
    /// Topic to route.
    pub topic: String,
    /// Whether an unknown topic may be routed to brokers that auto-create topics.
    pub allow_auto_create: bool,
}

/// The queues of a topic on one broker (RocketMQ's `QueueData`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueueData {
    /// Broker (master/slave set) holding the queues.
    pub broker_name: String,
    /// Queues consumers read.
    pub read_queue_count: u16,
    /// Queues producers write.
    pub write_queue_count: u16,
    /// `PERM_READ | PERM_WRITE` bits.
    pub perm: u8,
}

/// One broker set: a master (id 0) and its slaves (RocketMQ's `BrokerData`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BrokerData {
    /// Cluster the broker belongs to.
    pub cluster: String,
    /// Broker name shared by master and slaves.
    pub broker_name: String,
    /// `(broker_id, host:port)`; id 0 is the master.
    pub addrs: Vec<(u64, String)>,
}

/// Response body of `QueryRoute` (RocketMQ's `TopicRouteData`).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct TopicRoute {
    /// Queues per broker.
    pub queues: Vec<QueueData>,
    /// Addresses per broker.
    pub brokers: Vec<BrokerData>,
}

const QUEUE_DATA_LEN_MIN: usize = 2 + 2 + 2 + 1;
const BROKER_DATA_LEN_MIN: usize = 2 + 2 + 4;
const ADDR_ENTRY_LEN_MIN: usize = 8 + 2;

impl Body for QueryRouteRequest {
    fn encode(&self, out: &mut BytesMut) -> Result<(), EncodeError> {
        wire::put_string(out, "topic", &self.topic, TOPIC_LEN_MAX)?;
        out.put_u8(u8::from(self.allow_auto_create));
        Ok(())
    }

    fn decode(body: &Bytes) -> Result<QueryRouteRequest, DecodeError> {
        let (i, topic) = wire::string(body, "topic", TOPIC_LEN_MAX)?;
        let (i, allow_auto_create) = wire::bool(i, "allow_auto_create")?;
        wire::finish(i)?;
        Ok(QueryRouteRequest {
            topic: topic.into(),
            allow_auto_create,
        })
    }
}

impl Request for QueryRouteRequest {
    const API_KEY: ApiKey = ApiKey::QueryRoute;
    type Response = TopicRoute;
}

impl TopicRoute {
    /// Appends the wire form (also used inside other bodies).
    pub fn encode_into(&self, out: &mut BytesMut) -> Result<(), EncodeError> {
        wire::put_list(
            out,
            "queues",
            &self.queues,
            ROUTE_BROKER_COUNT_MAX,
            |out, q| {
                check_queue_count("read_queue_count", q.read_queue_count)?;
                check_queue_count("write_queue_count", q.write_queue_count)?;
                if q.perm & !PERM_MASK != 0 {
                    return Err(EncodeError::Invalid {
                        field: "perm",
                        reason: "undefined bits set",
                    });
                }
                put_name(out, "broker_name", &q.broker_name)?;
                out.put_u16(q.read_queue_count);
                out.put_u16(q.write_queue_count);
                out.put_u8(q.perm);
                Ok(())
            },
        )?;
        wire::put_list(
            out,
            "brokers",
            &self.brokers,
            ROUTE_BROKER_COUNT_MAX,
            |out, b| {
                put_name(out, "cluster", &b.cluster)?;
                put_name(out, "broker_name", &b.broker_name)?;
                wire::put_list(
                    out,
                    "addrs",
                    &b.addrs,
                    ROUTE_BROKER_COUNT_MAX,
                    |out, (id, addr)| {
                        out.put_u64(*id);
                        put_addr(out, "addr", addr)
                    },
                )
            },
        )
    }

    /// Parses the wire form.
    pub fn parse(i: &[u8]) -> PResult<'_, TopicRoute> {
        let (i, queues) = wire::list(
            i,
            "queues",
            ROUTE_BROKER_COUNT_MAX,
            QUEUE_DATA_LEN_MIN,
            parse_queue_data,
        )?;
        let (i, brokers) = wire::list(
            i,
            "brokers",
            ROUTE_BROKER_COUNT_MAX,
            BROKER_DATA_LEN_MIN,
            parse_broker_data,
        )?;
        Ok((i, TopicRoute { queues, brokers }))
    }
}

fn parse_queue_data(i: &[u8]) -> PResult<'_, QueueData> {
    let (i, broker_name) = parse_name(i, "broker_name")?;
    let (i, read_queue_count) = parse_queue_count(i, "read_queue_count")?;
    let (i, write_queue_count) = parse_queue_count(i, "write_queue_count")?;
    let (i, perm) = wire::u8(i, "perm")?;
    if perm & !PERM_MASK != 0 {
        return Err(DecodeError::InvalidValue {
            field: "perm",
            value: u64::from(perm),
        });
    }
    Ok((
        i,
        QueueData {
            broker_name,
            read_queue_count,
            write_queue_count,
            perm,
        },
    ))
}

fn parse_broker_data(i: &[u8]) -> PResult<'_, BrokerData> {
    let (i, cluster) = parse_name(i, "cluster")?;
    let (i, broker_name) = parse_name(i, "broker_name")?;
    let (i, addrs) = wire::list(
        i,
        "addrs",
        ROUTE_BROKER_COUNT_MAX,
        ADDR_ENTRY_LEN_MIN,
        |i| {
            let (i, id) = wire::u64(i, "broker_id")?;
            let (i, addr) = parse_addr(i, "addr")?;
            Ok((i, (id, addr)))
        },
    )?;
    Ok((
        i,
        BrokerData {
            cluster,
            broker_name,
            addrs,
        },
    ))
}

impl Body for TopicRoute {
    fn encode(&self, out: &mut BytesMut) -> Result<(), EncodeError> {
        self.encode_into(out)
    }

    fn decode(body: &Bytes) -> Result<TopicRoute, DecodeError> {
        let (i, route) = TopicRoute::parse(body)?;
        wire::finish(i)?;
        Ok(route)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::limits::{ADDR_LEN_MAX, BROKER_NAME_LEN_MAX, QUEUE_COUNT_MAX};
    use crate::protocol::testkit::{self, Case, Cut, Wire, samples};

    fn request() -> Case<QueryRouteRequest> {
        Case::request(samples::query_route_request())
    }

    fn response() -> Case<TopicRoute> {
        Case::response::<QueryRouteRequest>(samples::topic_route())
    }

    /// A `QueryRoute` request frame decodes to the request it was encoded from.
    #[test]
    fn request_roundtrip() {
        request().roundtrip();
    }

    /// The request matches `spec/vectors/query_route_request.json`.
    #[test]
    fn request_golden() {
        testkit::golden("query_route_request");
    }

    /// Every truncation of the request is incomplete or an error, never another value.
    #[test]
    fn request_truncations() {
        request().truncations();
    }

    /// An over-limit topic length or a non-boolean in the request is refused early.
    #[test]
    fn request_over_limit() {
        request().over_limit(&[
            Cut::string(&[], "topic", TOPIC_LEN_MAX),
            Cut::value(
                &Wire::new().str("t").done(),
                &[7],
                DecodeError::InvalidValue {
                    field: "allow_auto_create",
                    value: 7,
                },
            ),
        ]);
        let mut bad = samples::query_route_request();
        bad.topic = testkit::long(TOPIC_LEN_MAX + 1);
        testkit::assert_request_refused(&bad, "topic");
    }

    /// The request fed one byte at a time comes out once, whole.
    #[test]
    fn request_byte_at_a_time() {
        request().byte_at_a_time();
    }

    /// A `QueryRoute` response frame decodes to the response it was encoded from.
    #[test]
    fn response_roundtrip() {
        response().roundtrip();
    }

    /// The response matches `spec/vectors/query_route_response.json`.
    #[test]
    fn response_golden() {
        testkit::golden("query_route_response");
    }

    /// Every truncation of the response is incomplete or an error, never another value.
    #[test]
    fn response_truncations() {
        response().truncations();
    }

    /// Over-limit counts, lengths and values at every level of the route are refused before
    /// their data arrives.
    #[test]
    fn response_over_limit() {
        let one_queue = || Wire::new().u32(1).str("b");
        let one_broker = || Wire::new().u32(0).u32(1).str("c").str("b");
        response().over_limit(&[
            Cut::u32_len(&[], "queues", ROUTE_BROKER_COUNT_MAX),
            Cut::count_past_end(&[], "queues", 3),
            Cut::string(
                &Wire::new().u32(1).done(),
                "broker_name",
                BROKER_NAME_LEN_MAX,
            )
            .padded(5),
            Cut::value(
                &one_queue().done(),
                &[0x04, 0x01],
                DecodeError::TooLong {
                    field: "read_queue_count",
                    len: 1025,
                    max: QUEUE_COUNT_MAX,
                },
            )
            .padded(2),
            Cut::value(
                &one_queue().u16(1).u16(1).done(),
                &[0x80],
                DecodeError::InvalidValue {
                    field: "perm",
                    value: 0x80,
                },
            ),
            Cut::u32_len(
                &Wire::new().u32(0).done(),
                "brokers",
                ROUTE_BROKER_COUNT_MAX,
            ),
            Cut::u32_len(&one_broker().done(), "addrs", ROUTE_BROKER_COUNT_MAX),
            Cut::count_past_end(&one_broker().done(), "addrs", 1),
            Cut::string(&one_broker().u32(1).u64(0).done(), "addr", ADDR_LEN_MAX),
        ]);
        let mut bad = samples::topic_route();
        bad.queues[1].perm = 0x10;
        testkit::assert_response_refused::<QueryRouteRequest>(&bad, "perm");
        let mut bad = samples::topic_route();
        bad.queues[0].read_queue_count = 1025;
        testkit::assert_response_refused::<QueryRouteRequest>(&bad, "read_queue_count");
        let mut bad = samples::topic_route();
        bad.brokers[0].addrs[0].1 = testkit::long(ADDR_LEN_MAX + 1);
        testkit::assert_response_refused::<QueryRouteRequest>(&bad, "addr");
    }

    /// The response fed one byte at a time comes out once, whole.
    #[test]
    fn response_byte_at_a_time() {
        response().byte_at_a_time();
    }
}
