//! `GetClusterInfo` (api key 42): every broker a name server knows, with its cluster, broker
//! name, id, addresses, role and how long ago it last registered (RocketMQ's
//! `GET_BROKER_CLUSTER_INFO`). `ferrocket admin cluster list` prints it; `admin topic create
//! --cluster` uses it to find the masters of a cluster.
//!
//! ```text
//! request  v0: cluster:string(≤ BROKER_NAME_LEN_MAX)   (empty = every cluster)
//! response v0: brokers: u32 count(≤ ROUTE_BROKER_COUNT_MAX) ×
//!                (cluster:string(≤ BROKER_NAME_LEN_MAX) broker_name:string(≤ BROKER_NAME_LEN_MAX)
//!                 broker_id:u64 addr:string(≤ ADDR_LEN_MAX) ha_addr:string(≤ ADDR_LEN_MAX)
//!                 role:u8 last_register_age_ms:u64)
//! ```
//!
//! Brokers are sorted by cluster, broker name, then broker id.

use bytes::{BufMut, Bytes, BytesMut};

use crate::limits::ROUTE_BROKER_COUNT_MAX;
use crate::protocol::api::{ApiKey, Body, Request};
use crate::protocol::error::{DecodeError, EncodeError};
use crate::protocol::register_broker::BrokerRole;
use crate::protocol::types::{parse_addr, parse_name, put_addr, put_name};
use crate::protocol::wire::{self, PResult};

/// Request body of `GetClusterInfo`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GetClusterInfoRequest {
    /// Only this cluster's brokers; empty for every cluster.
    pub cluster: String,
}

/// One registered broker.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BrokerLiveInfo {
    /// Cluster it belongs to.
    pub cluster: String,
    /// Name shared by a master and its slaves.
    pub broker_name: String,
    /// 0 for the master, > 0 for slaves.
    pub broker_id: u64,
    /// `host:port` clients use.
    pub addr: String,
    /// `host:port` slaves copy from.
    pub ha_addr: String,
    /// Replication role.
    pub role: BrokerRole,
    /// Milliseconds since its last registration.
    pub last_register_age_ms: u64,
}

/// Response body of `GetClusterInfo`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ClusterInfo {
    /// Every registered broker, sorted by cluster, broker name and id.
    pub brokers: Vec<BrokerLiveInfo>,
}

const BROKER_LIVE_INFO_LEN_MIN: usize = 2 + 2 + 8 + 2 + 2 + 1 + 8;

impl Body for GetClusterInfoRequest {
    fn encode(&self, out: &mut BytesMut) -> Result<(), EncodeError> {
        put_name(out, "cluster", &self.cluster)
    }

    fn decode(body: &Bytes) -> Result<GetClusterInfoRequest, DecodeError> {
        let (i, cluster) = parse_name(body, "cluster")?;
        wire::finish(i)?;
        Ok(GetClusterInfoRequest { cluster })
    }
}

impl Request for GetClusterInfoRequest {
    const API_KEY: ApiKey = ApiKey::GetClusterInfo;
    type Response = ClusterInfo;
}

impl Body for ClusterInfo {
    fn encode(&self, out: &mut BytesMut) -> Result<(), EncodeError> {
        wire::put_list(
            out,
            "brokers",
            &self.brokers,
            ROUTE_BROKER_COUNT_MAX,
            |out, b| {
                put_name(out, "cluster", &b.cluster)?;
                put_name(out, "broker_name", &b.broker_name)?;
                out.put_u64(b.broker_id);
                put_addr(out, "addr", &b.addr)?;
                put_addr(out, "ha_addr", &b.ha_addr)?;
                out.put_u8(b.role.code());
                out.put_u64(b.last_register_age_ms);
                Ok(())
            },
        )
    }

    fn decode(body: &Bytes) -> Result<ClusterInfo, DecodeError> {
        let (i, brokers) = wire::list(
            body,
            "brokers",
            ROUTE_BROKER_COUNT_MAX,
            BROKER_LIVE_INFO_LEN_MIN,
            parse_live_info,
        )?;
        wire::finish(i)?;
        Ok(ClusterInfo { brokers })
    }
}

fn parse_live_info(i: &[u8]) -> PResult<'_, BrokerLiveInfo> {
    let (i, cluster) = parse_name(i, "cluster")?;
    let (i, broker_name) = parse_name(i, "broker_name")?;
    let (i, broker_id) = wire::u64(i, "broker_id")?;
    let (i, addr) = parse_addr(i, "addr")?;
    let (i, ha_addr) = parse_addr(i, "ha_addr")?;
    let (i, role) = BrokerRole::parse(i)?;
    let (i, last_register_age_ms) = wire::u64(i, "last_register_age_ms")?;
    let info = BrokerLiveInfo {
        cluster,
        broker_name,
        broker_id,
        addr,
        ha_addr,
        role,
        last_register_age_ms,
    };
    Ok((i, info))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::limits::{ADDR_LEN_MAX, BROKER_NAME_LEN_MAX};
    use crate::protocol::testkit::{self, Case, Cut, Wire, samples};

    fn request() -> Case<GetClusterInfoRequest> {
        Case::request(samples::get_cluster_info_request())
    }

    fn response() -> Case<ClusterInfo> {
        Case::response::<GetClusterInfoRequest>(samples::cluster_info())
    }

    /// A `GetClusterInfo` request frame decodes to the request it was encoded from.
    #[test]
    fn request_roundtrip() {
        request().roundtrip();
    }

    /// The request matches `spec/vectors/get_cluster_info_request.json`.
    #[test]
    fn request_golden() {
        testkit::golden("get_cluster_info_request");
    }

    /// Every truncation of the request is incomplete or an error, never another value.
    #[test]
    fn request_truncations() {
        request().truncations();
    }

    /// An over-limit cluster name is refused before its bytes arrive.
    #[test]
    fn request_over_limit() {
        request().over_limit(&[Cut::string(&[], "cluster", BROKER_NAME_LEN_MAX)]);
        let bad = GetClusterInfoRequest {
            cluster: testkit::long(BROKER_NAME_LEN_MAX + 1),
        };
        testkit::assert_request_refused(&bad, "cluster");
    }

    /// The request fed one byte at a time comes out once, whole.
    #[test]
    fn request_byte_at_a_time() {
        request().byte_at_a_time();
    }

    /// A `GetClusterInfo` response frame decodes to the response it was encoded from.
    #[test]
    fn response_roundtrip() {
        response().roundtrip();
    }

    /// The response matches `spec/vectors/get_cluster_info_response.json`.
    #[test]
    fn response_golden() {
        testkit::golden("get_cluster_info_response");
    }

    /// Every truncation of the response is incomplete or an error, never another value.
    #[test]
    fn response_truncations() {
        response().truncations();
    }

    /// Over-limit counts, names and addresses, and an unknown role, are refused early.
    #[test]
    fn response_over_limit() {
        let one = || Wire::new().u32(1).str("c").str("b").u64(0);
        response().over_limit(&[
            Cut::u32_len(&[], "brokers", ROUTE_BROKER_COUNT_MAX),
            Cut::count_past_end(&[], "brokers", 1),
            Cut::string(&Wire::new().u32(1).done(), "cluster", BROKER_NAME_LEN_MAX).padded(23),
            Cut::string(&one().done(), "addr", ADDR_LEN_MAX).padded(9),
            Cut::value(
                &one().str("a:1").str("a:2").done(),
                &[7],
                DecodeError::InvalidValue {
                    field: "role",
                    value: 7,
                },
            ),
        ]);
        let mut bad = samples::cluster_info();
        bad.brokers[0].ha_addr = testkit::long(ADDR_LEN_MAX + 1);
        testkit::assert_response_refused::<GetClusterInfoRequest>(&bad, "ha_addr");
        let bad = ClusterInfo {
            brokers: vec![samples::cluster_info().brokers[0].clone(); ROUTE_BROKER_COUNT_MAX + 1],
        };
        testkit::assert_response_refused::<GetClusterInfoRequest>(&bad, "brokers");
    }

    /// The response fed one byte at a time comes out once, whole.
    #[test]
    fn response_byte_at_a_time() {
        response().byte_at_a_time();
    }
}
