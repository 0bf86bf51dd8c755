//! `RegisterBroker` (api key 40): a broker announces itself, its role and its topics to a name
//! server. Brokers register with every configured name server at start, every
//! `REGISTER_INTERVAL_MS_DEFAULT` and whenever their topics change; the name server forgets a
//! broker that stops registering (`BROKER_EXPIRY_MS_DEFAULT`) or whose registering connection
//! closes.
//!
//! ```text
//! request  v0: cluster:string(≤ BROKER_NAME_LEN_MAX)  broker_name:string(≤ BROKER_NAME_LEN_MAX)
//!              broker_id:u64  broker_addr:string(≤ ADDR_LEN_MAX)  ha_addr:string(≤ ADDR_LEN_MAX)
//!              role:u8  auto_create_queue_count:u16(≤ QUEUE_COUNT_MAX)
//!              topics: u32 count(≤ REGISTER_TOPIC_COUNT_MAX) × TopicConfig
//! response v0: master_addr:string(≤ ADDR_LEN_MAX)  master_ha_addr:string(≤ ADDR_LEN_MAX)
//! ```
//!
//! `auto_create_queue_count` is the queue count of topics the broker creates on a first send,
//! 0 when it does not auto-create; the name server routes unknown topics of producers there.
//! The response names the master of the broker's set (empty when none is registered): a slave
//! learns where to copy its commit log from.

use bytes::{BufMut, Bytes, BytesMut};

use crate::limits::REGISTER_TOPIC_COUNT_MAX;
use crate::protocol::api::{ApiKey, Body, Request};
use crate::protocol::error::{DecodeError, EncodeError};
use crate::protocol::types::{
    TopicConfig, check_queue_count, parse_addr, parse_name, parse_queue_count, put_addr, put_name,
};
use crate::protocol::wire::{self, PResult};

/// A broker's replication role (RocketMQ's `BrokerRole`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum BrokerRole {
    /// A master that answers sends without waiting for its slaves.
    AsyncMaster,
    /// A master that answers sends once a slave has them.
    SyncMaster,
    /// A read-only copy of a master.
    Slave,
}

impl BrokerRole {
    /// The wire byte.
    pub fn code(self) -> u8 {
        match self {
            BrokerRole::AsyncMaster => 0,
            BrokerRole::SyncMaster => 1,
            BrokerRole::Slave => 2,
        }
    }

    /// The spec name (`ASYNC_MASTER`, `SYNC_MASTER`, `SLAVE`).
    pub fn name(self) -> &'static str {
        match self {
            BrokerRole::AsyncMaster => "ASYNC_MASTER",
            BrokerRole::SyncMaster => "SYNC_MASTER",
            BrokerRole::Slave => "SLAVE",
        }
    }

    /// Parses the wire byte.
    pub fn parse(i: &[u8]) -> PResult<'_, BrokerRole> {
        let (i, code) = wire::u8(i, "role")?;
        let role = match code {
            0 => BrokerRole::AsyncMaster,
            1 => BrokerRole::SyncMaster,
            2 => BrokerRole::Slave,
            other => {
                return Err(DecodeError::InvalidValue {
                    field: "role",
                    value: u64::from(other),
                });
            }
        };
        Ok((i, role))
    }
}

/// Request body of `RegisterBroker`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RegisterBrokerRequest {
    /// Cluster the broker belongs to.
    pub cluster: String,
    /// Name shared by a master and its slaves.
    pub broker_name: String,
    /// 0 for the master, > 0 for slaves.
    pub broker_id: u64,
    /// `host:port` clients use.
    pub broker_addr: String,
    /// `host:port` slaves copy the commit log from (ferrocket: the broker's own port).
    pub ha_addr: String,
    /// Replication role.
    pub role: BrokerRole,
    /// Queues of a topic auto-created by a send; 0 when the broker does not auto-create.
    pub auto_create_queue_count: u16,
    /// Every topic the broker holds.
    pub topics: Vec<TopicConfig>,
}

/// Response body of `RegisterBroker`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct RegisterBrokerResponse {
    /// Address of the master of the broker's set; empty when none is registered.
    pub master_addr: String,
    /// Where that master serves replication; empty when none is registered.
    pub master_ha_addr: String,
}

/// Smallest encoded `TopicConfig`: empty name, two counts, perm and order.
const TOPIC_CONFIG_LEN_MIN: usize = 2 + 2 + 2 + 1 + 1;

impl Body for RegisterBrokerRequest {
    fn encode(&self, out: &mut BytesMut) -> Result<(), EncodeError> {
        check_queue_count("auto_create_queue_count", self.auto_create_queue_count)?;
        put_name(out, "cluster", &self.cluster)?;
        put_name(out, "broker_name", &self.broker_name)?;
        out.put_u64(self.broker_id);
        put_addr(out, "broker_addr", &self.broker_addr)?;
        put_addr(out, "ha_addr", &self.ha_addr)?;
        out.put_u8(self.role.code());
        out.put_u16(self.auto_create_queue_count);
        wire::put_list(
            out,
            "topics",
            &self.topics,
            REGISTER_TOPIC_COUNT_MAX,
            |out, t| t.encode(out),
        )
    }

    fn decode(body: &Bytes) -> Result<RegisterBrokerRequest, DecodeError> {
        let (i, cluster) = parse_name(body, "cluster")?;
        let (i, broker_name) = parse_name(i, "broker_name")?;
        let (i, broker_id) = wire::u64(i, "broker_id")?;
        let (i, broker_addr) = parse_addr(i, "broker_addr")?;
        let (i, ha_addr) = parse_addr(i, "ha_addr")?;
        let (i, role) = BrokerRole::parse(i)?;
        let (i, auto_create_queue_count) = parse_queue_count(i, "auto_create_queue_count")?;
        let (i, topics) = wire::list(
            i,
            "topics",
            REGISTER_TOPIC_COUNT_MAX,
            TOPIC_CONFIG_LEN_MIN,
            TopicConfig::parse,
        )?;
        wire::finish(i)?;
        Ok(RegisterBrokerRequest {
            cluster,
            broker_name,
            broker_id,
            broker_addr,
            ha_addr,
            role,
            auto_create_queue_count,
            topics,
        })
    }
}

impl Request for RegisterBrokerRequest {
    const API_KEY: ApiKey = ApiKey::RegisterBroker;
    type Response = RegisterBrokerResponse;
}

impl Body for RegisterBrokerResponse {
    fn encode(&self, out: &mut BytesMut) -> Result<(), EncodeError> {
        put_addr(out, "master_addr", &self.master_addr)?;
        put_addr(out, "master_ha_addr", &self.master_ha_addr)
    }

    fn decode(body: &Bytes) -> Result<RegisterBrokerResponse, DecodeError> {
        let (i, master_addr) = parse_addr(body, "master_addr")?;
        let (i, master_ha_addr) = parse_addr(i, "master_ha_addr")?;
        wire::finish(i)?;
        Ok(RegisterBrokerResponse {
            master_addr,
            master_ha_addr,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::limits::{ADDR_LEN_MAX, BROKER_NAME_LEN_MAX, QUEUE_COUNT_MAX, TOPIC_LEN_MAX};
    use crate::protocol::testkit::{self, Case, Cut, Wire, samples};

    fn request() -> Case<RegisterBrokerRequest> {
        Case::request(samples::register_broker_request())
    }

    fn response() -> Case<RegisterBrokerResponse> {
        Case::response::<RegisterBrokerRequest>(samples::register_broker_response())
    }

    /// A `RegisterBroker` request frame decodes to the request it was encoded from.
    #[test]
    fn request_roundtrip() {
        request().roundtrip();
    }

    /// The request matches `spec/vectors/register_broker_request.json`.
    #[test]
    fn request_golden() {
        testkit::golden("register_broker_request");
    }

    /// Every truncation of the request is incomplete or an error, never another value.
    #[test]
    fn request_truncations() {
        request().truncations();
    }

    /// Over-limit names, addresses, counts and an unknown role are refused before their data.
    #[test]
    fn request_over_limit() {
        let names = || Wire::new().str("c").str("b").u64(1);
        let addrs = || names().str("h:1").str("h:2");
        request().over_limit(&[
            Cut::string(&[], "cluster", BROKER_NAME_LEN_MAX),
            Cut::string(
                &Wire::new().str("c").done(),
                "broker_name",
                BROKER_NAME_LEN_MAX,
            ),
            Cut::string(&names().done(), "broker_addr", ADDR_LEN_MAX),
            Cut::string(&names().str("h:1").done(), "ha_addr", ADDR_LEN_MAX),
            Cut::value(
                &addrs().done(),
                &[3],
                DecodeError::InvalidValue {
                    field: "role",
                    value: 3,
                },
            ),
            Cut::value(
                &addrs().u8(2).done(),
                &[0x04, 0x01],
                DecodeError::TooLong {
                    field: "auto_create_queue_count",
                    len: QUEUE_COUNT_MAX + 1,
                    max: QUEUE_COUNT_MAX,
                },
            ),
            Cut::u32_len(
                &addrs().u8(2).u16(0).done(),
                "topics",
                REGISTER_TOPIC_COUNT_MAX,
            ),
            Cut::count_past_end(&addrs().u8(2).u16(0).done(), "topics", 1),
            Cut::string(&addrs().u8(2).u16(0).u32(1).done(), "topic", TOPIC_LEN_MAX).padded(6),
        ]);
        let mut bad = samples::register_broker_request();
        bad.broker_addr = testkit::long(ADDR_LEN_MAX + 1);
        testkit::assert_request_refused(&bad, "broker_addr");
        let mut bad = samples::register_broker_request();
        bad.topics = vec![samples::topic_config(); REGISTER_TOPIC_COUNT_MAX + 1];
        testkit::assert_request_refused(&bad, "topics");
    }

    /// The request fed one byte at a time comes out once, whole.
    #[test]
    fn request_byte_at_a_time() {
        request().byte_at_a_time();
    }

    /// A `RegisterBroker` response frame decodes to the response it was encoded from.
    #[test]
    fn response_roundtrip() {
        response().roundtrip();
    }

    /// The response matches `spec/vectors/register_broker_response.json`.
    #[test]
    fn response_golden() {
        testkit::golden("register_broker_response");
    }

    /// Every truncation of the response is incomplete or an error, never another value.
    #[test]
    fn response_truncations() {
        response().truncations();
    }

    /// Over-limit addresses in the response are refused before their bytes arrive.
    #[test]
    fn response_over_limit() {
        response().over_limit(&[
            Cut::string(&[], "master_addr", ADDR_LEN_MAX),
            Cut::string(
                &Wire::new().str("h:1").done(),
                "master_ha_addr",
                ADDR_LEN_MAX,
            ),
        ]);
        let mut bad = samples::register_broker_response();
        bad.master_ha_addr = testkit::long(ADDR_LEN_MAX + 1);
        testkit::assert_response_refused::<RegisterBrokerRequest>(&bad, "master_ha_addr");
    }

    /// The response fed one byte at a time comes out once, whole.
    #[test]
    fn response_byte_at_a_time() {
        response().byte_at_a_time();
    }
}
