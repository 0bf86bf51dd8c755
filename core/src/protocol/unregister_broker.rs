//! `UnregisterBroker` (api key 41): a broker shutting down cleanly tells each name server to
//! forget it at once, instead of waiting for its registering connection to close or its entry
//! to expire. Unregistering an unknown broker is not an error.
//!
//! ```text
//! request  v0: cluster:string(≤ BROKER_NAME_LEN_MAX)  broker_name:string(≤ BROKER_NAME_LEN_MAX)
//!              broker_id:u64  broker_addr:string(≤ ADDR_LEN_MAX)
//! response v0: (empty)
//! ```

use bytes::{BufMut, Bytes, BytesMut};

use crate::protocol::api::{ApiKey, Body, Request};
use crate::protocol::error::{DecodeError, EncodeError};
use crate::protocol::types::{Empty, parse_addr, parse_name, put_addr, put_name};
use crate::protocol::wire;

/// Request body of `UnregisterBroker`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnregisterBrokerRequest {
    /// Cluster the broker belongs to.
    pub cluster: String,
    /// Name shared by a master and its slaves.
    pub broker_name: String,
    /// 0 for the master, > 0 for slaves.
    pub broker_id: u64,
    /// `host:port` the broker registered.
    pub broker_addr: String,
}

impl Body for UnregisterBrokerRequest {
    fn encode(&self, out: &mut BytesMut) -> Result<(), EncodeError> {
        put_name(out, "cluster", &self.cluster)?;
        put_name(out, "broker_name", &self.broker_name)?;
        out.put_u64(self.broker_id);
        put_addr(out, "broker_addr", &self.broker_addr)
    }

    fn decode(body: &Bytes) -> Result<UnregisterBrokerRequest, DecodeError> {
        let (i, cluster) = parse_name(body, "cluster")?;
        let (i, broker_name) = parse_name(i, "broker_name")?;
        let (i, broker_id) = wire::u64(i, "broker_id")?;
        let (i, broker_addr) = parse_addr(i, "broker_addr")?;
        wire::finish(i)?;
        Ok(UnregisterBrokerRequest {
            cluster,
            broker_name,
            broker_id,
            broker_addr,
        })
    }
}

impl Request for UnregisterBrokerRequest {
    const API_KEY: ApiKey = ApiKey::UnregisterBroker;
    type Response = Empty;
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::limits::{ADDR_LEN_MAX, BROKER_NAME_LEN_MAX};
    use crate::protocol::testkit::{self, Case, Cut, Wire, samples};

    fn request() -> Case<UnregisterBrokerRequest> {
        Case::request(samples::unregister_broker_request())
    }

    fn response() -> Case<Empty> {
        Case::response::<UnregisterBrokerRequest>(Empty)
    }

    /// An `UnregisterBroker` request frame decodes to the request it was encoded from.
    #[test]
    fn request_roundtrip() {
        request().roundtrip();
    }

    /// The request matches `spec/vectors/unregister_broker_request.json`.
    #[test]
    fn request_golden() {
        testkit::golden("unregister_broker_request");
    }

    /// Every truncation of the request is incomplete or an error, never another value.
    #[test]
    fn request_truncations() {
        request().truncations();
    }

    /// Over-limit names and addresses in the request are refused before their bytes arrive.
    #[test]
    fn request_over_limit() {
        request().over_limit(&[
            Cut::string(&[], "cluster", BROKER_NAME_LEN_MAX),
            Cut::string(
                &Wire::new().str("c").done(),
                "broker_name",
                BROKER_NAME_LEN_MAX,
            ),
            Cut::string(
                &Wire::new().str("c").str("b").u64(0).done(),
                "broker_addr",
                ADDR_LEN_MAX,
            ),
        ]);
        let mut bad = samples::unregister_broker_request();
        bad.cluster = testkit::long(BROKER_NAME_LEN_MAX + 1);
        testkit::assert_request_refused(&bad, "cluster");
    }

    /// The request fed one byte at a time comes out once, whole.
    #[test]
    fn request_byte_at_a_time() {
        request().byte_at_a_time();
    }

    /// An `UnregisterBroker` response frame decodes to the response it was encoded from.
    #[test]
    fn response_roundtrip() {
        response().roundtrip();
    }

    /// The response matches `spec/vectors/unregister_broker_response.json`.
    #[test]
    fn response_golden() {
        testkit::golden("unregister_broker_response");
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
