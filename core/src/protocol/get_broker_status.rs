//! `GetBrokerStatus` (api key 44): a broker's identity, commit-log offsets and replication
//! state (RocketMQ's `GET_BROKER_RUNTIME_INFO`, typed). `ferrocket admin broker status` prints
//! it.
//!
//! ```text
//! request  v0: (empty)
//! response v0: cluster:string(≤ BROKER_NAME_LEN_MAX)  broker_name:string(≤ BROKER_NAME_LEN_MAX)
//!              broker_id:u64  role:u8  addr:string(≤ ADDR_LEN_MAX)
//!              commit_log_min_offset:u64  commit_log_max_offset:u64  flushed_offset:u64
//!              topic_count:u32  master_addr:string(≤ ADDR_LEN_MAX)
//!              slaves: u32 count(≤ ROUTE_BROKER_COUNT_MAX) ×
//!                (addr:string(≤ ADDR_LEN_MAX) ack_offset:u64 last_fetch_age_ms:u64)
//! ```
//!
//! A master lists the slaves copying from it (how far each has confirmed, and when it last
//! asked); a slave names the master it copies from (empty while it knows none).

use bytes::{BufMut, Bytes, BytesMut};

use crate::limits::ROUTE_BROKER_COUNT_MAX;
use crate::protocol::api::{ApiKey, Body, Request};
use crate::protocol::error::{DecodeError, EncodeError};
use crate::protocol::register_broker::BrokerRole;
use crate::protocol::types::{parse_addr, parse_name, put_addr, put_name};
use crate::protocol::wire;

/// Request body of `GetBrokerStatus` (empty).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct GetBrokerStatusRequest;

/// A slave as its master sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SlaveStatus {
    /// The slave's address.
    pub addr: String,
    /// Everything below this commit-log offset is on the slave.
    pub ack_offset: u64,
    /// Milliseconds since its last fetch.
    pub last_fetch_age_ms: u64,
}

/// Response body of `GetBrokerStatus`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BrokerStatus {
    /// Cluster the broker belongs to.
    pub cluster: String,
    /// Name shared by a master and its slaves.
    pub broker_name: String,
    /// 0 for the master, > 0 for slaves.
    pub broker_id: u64,
    /// Replication role.
    pub role: BrokerRole,
    /// `host:port` clients use.
    pub addr: String,
    /// First offset still in the commit log.
    pub commit_log_min_offset: u64,
    /// End of the written commit log.
    pub commit_log_max_offset: u64,
    /// End of the durable commit log.
    pub flushed_offset: u64,
    /// Topics the broker holds.
    pub topic_count: u32,
    /// A slave's master; empty for a master (or a slave that knows none yet).
    pub master_addr: String,
    /// A master's slaves.
    pub slaves: Vec<SlaveStatus>,
}

const SLAVE_STATUS_LEN_MIN: usize = 2 + 8 + 8;

impl Body for GetBrokerStatusRequest {
    fn encode(&self, _out: &mut BytesMut) -> Result<(), EncodeError> {
        Ok(())
    }

    fn decode(body: &Bytes) -> Result<GetBrokerStatusRequest, DecodeError> {
        wire::finish(body)?;
        Ok(GetBrokerStatusRequest)
    }
}

impl Request for GetBrokerStatusRequest {
    const API_KEY: ApiKey = ApiKey::GetBrokerStatus;
    type Response = BrokerStatus;
}

impl Body for BrokerStatus {
    fn encode(&self, out: &mut BytesMut) -> Result<(), EncodeError> {
        put_name(out, "cluster", &self.cluster)?;
        put_name(out, "broker_name", &self.broker_name)?;
        out.put_u64(self.broker_id);
        out.put_u8(self.role.code());
        put_addr(out, "addr", &self.addr)?;
        out.put_u64(self.commit_log_min_offset);
        out.put_u64(self.commit_log_max_offset);
        out.put_u64(self.flushed_offset);
        out.put_u32(self.topic_count);
        put_addr(out, "master_addr", &self.master_addr)?;
        wire::put_list(
            out,
            "slaves",
            &self.slaves,
            ROUTE_BROKER_COUNT_MAX,
            |out, s| {
                put_addr(out, "addr", &s.addr)?;
                out.put_u64(s.ack_offset);
                out.put_u64(s.last_fetch_age_ms);
                Ok(())
            },
        )
    }

    fn decode(body: &Bytes) -> Result<BrokerStatus, DecodeError> {
        let (i, cluster) = parse_name(body, "cluster")?;
        let (i, broker_name) = parse_name(i, "broker_name")?;
        let (i, broker_id) = wire::u64(i, "broker_id")?;
        let (i, role) = BrokerRole::parse(i)?;
        let (i, addr) = parse_addr(i, "addr")?;
        let (i, commit_log_min_offset) = wire::u64(i, "commit_log_min_offset")?;
        let (i, commit_log_max_offset) = wire::u64(i, "commit_log_max_offset")?;
        let (i, flushed_offset) = wire::u64(i, "flushed_offset")?;
        let (i, topic_count) = wire::u32(i, "topic_count")?;
        let (i, master_addr) = parse_addr(i, "master_addr")?;
        let (i, slaves) = wire::list(
            i,
            "slaves",
            ROUTE_BROKER_COUNT_MAX,
            SLAVE_STATUS_LEN_MIN,
            |i| {
                let (i, addr) = parse_addr(i, "addr")?;
                let (i, ack_offset) = wire::u64(i, "ack_offset")?;
                let (i, last_fetch_age_ms) = wire::u64(i, "last_fetch_age_ms")?;
                let slave = SlaveStatus {
                    addr,
                    ack_offset,
                    last_fetch_age_ms,
                };
                Ok((i, slave))
            },
        )?;
        wire::finish(i)?;
        Ok(BrokerStatus {
            cluster,
            broker_name,
            broker_id,
            role,
            addr,
            commit_log_min_offset,
            commit_log_max_offset,
            flushed_offset,
            topic_count,
            master_addr,
            slaves,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::limits::{ADDR_LEN_MAX, BROKER_NAME_LEN_MAX};
    use crate::protocol::testkit::{self, Case, Cut, Wire, samples};

    fn request() -> Case<GetBrokerStatusRequest> {
        Case::request(GetBrokerStatusRequest)
    }

    fn response() -> Case<BrokerStatus> {
        Case::response::<GetBrokerStatusRequest>(samples::broker_status())
    }

    /// A `GetBrokerStatus` request frame decodes to the request it was encoded from.
    #[test]
    fn request_roundtrip() {
        request().roundtrip();
    }

    /// The request matches `spec/vectors/get_broker_status_request.json`.
    #[test]
    fn request_golden() {
        testkit::golden("get_broker_status_request");
    }

    /// Every truncation of the request is incomplete or an error, never another value.
    #[test]
    fn request_truncations() {
        request().truncations();
    }

    /// The empty request refuses any byte, and an over-limit frame length.
    #[test]
    fn request_over_limit() {
        request().over_limit(&[Cut::value(
            &[],
            &[0],
            DecodeError::TrailingBytes { count: 1 },
        )]);
    }

    /// The request fed one byte at a time comes out once, whole.
    #[test]
    fn request_byte_at_a_time() {
        request().byte_at_a_time();
    }

    /// A `GetBrokerStatus` response frame decodes to the response it was encoded from.
    #[test]
    fn response_roundtrip() {
        response().roundtrip();
    }

    /// The response matches `spec/vectors/get_broker_status_response.json`.
    #[test]
    fn response_golden() {
        testkit::golden("get_broker_status_response");
    }

    /// Every truncation of the response is incomplete or an error, never another value.
    #[test]
    fn response_truncations() {
        response().truncations();
    }

    /// Over-limit names, addresses and counts, and an unknown role, are refused early.
    #[test]
    fn response_over_limit() {
        let head = || Wire::new().str("c").str("b").u64(0);
        let offsets = || head().u8(0).str("a:1").u64(0).u64(10).u64(10).u32(1);
        response().over_limit(&[
            Cut::string(&[], "cluster", BROKER_NAME_LEN_MAX),
            Cut::value(
                &head().done(),
                &[9],
                DecodeError::InvalidValue {
                    field: "role",
                    value: 9,
                },
            ),
            Cut::string(&head().u8(0).done(), "addr", ADDR_LEN_MAX),
            Cut::string(&offsets().done(), "master_addr", ADDR_LEN_MAX),
            Cut::u32_len(&offsets().str("").done(), "slaves", ROUTE_BROKER_COUNT_MAX),
            Cut::count_past_end(&offsets().str("").done(), "slaves", 1),
        ]);
        let mut bad = samples::broker_status();
        bad.slaves[0].addr = testkit::long(ADDR_LEN_MAX + 1);
        testkit::assert_response_refused::<GetBrokerStatusRequest>(&bad, "addr");
    }

    /// The response fed one byte at a time comes out once, whole.
    #[test]
    fn response_byte_at_a_time() {
        response().byte_at_a_time();
    }
}
