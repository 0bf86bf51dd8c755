//! `CheckTransactionState` (api key 63, broker → producer): the broker asks a producer of the
//! half message's group how its local transaction ended; the producer runs
//! `check_local_transaction` and answers with `EndTransaction` (`from_check` set) to
//! `broker_addr`. Sent oneway.
//!
//! ```text
//! request  v0: broker_addr:string(≤ ADDR_LEN_MAX)  commit_log_offset:u64
//!              record:bytes32(≤ RECORD_LEN_MAX)
//! response v0: (empty)
//! ```

use bytes::{BufMut, Bytes, BytesMut};

use crate::limits::{ADDR_LEN_MAX, RECORD_LEN_MAX};
use crate::protocol::api::{ApiKey, Body, Request};
use crate::protocol::error::{DecodeError, EncodeError};
use crate::protocol::types::Empty;
use crate::protocol::wire;

/// Request body of `CheckTransactionState`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckTransactionStateRequest {
    /// `host:port` of the broker asking, where the answer goes.
    pub broker_addr: String,
    /// Commit-log offset of the half message (echoed in `EndTransaction`).
    pub commit_log_offset: u64,
    /// The half message's record (its topic and queue restored to the real ones).
    pub record: Bytes,
}

impl Body for CheckTransactionStateRequest {
    fn encode(&self, out: &mut BytesMut) -> Result<(), EncodeError> {
        wire::put_string(out, "broker_addr", &self.broker_addr, ADDR_LEN_MAX)?;
        out.put_u64(self.commit_log_offset);
        wire::put_bytes32(out, "record", &self.record, RECORD_LEN_MAX)
    }

    fn decode(body: &Bytes) -> Result<CheckTransactionStateRequest, DecodeError> {
        let (i, broker_addr) = wire::string(body, "broker_addr", ADDR_LEN_MAX)?;
        let (i, commit_log_offset) = wire::u64(i, "commit_log_offset")?;
        let (i, record) = wire::bytes32(i, "record", RECORD_LEN_MAX)?;
        wire::finish(i)?;
        Ok(CheckTransactionStateRequest {
            broker_addr: broker_addr.to_owned(),
            commit_log_offset,
            record: body.slice_ref(record),
        })
    }
}

impl Request for CheckTransactionStateRequest {
    const API_KEY: ApiKey = ApiKey::CheckTransactionState;
    type Response = Empty;
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::testkit::{self, Case, Cut, Wire, samples};

    fn request() -> Case<CheckTransactionStateRequest> {
        Case::request(samples::check_transaction_state_request())
    }

    fn response() -> Case<Empty> {
        Case::response::<CheckTransactionStateRequest>(Empty)
    }

    /// A `CheckTransactionState` request frame decodes to the request it was encoded from.
    #[test]
    fn request_roundtrip() {
        request().roundtrip();
    }

    /// The request matches `spec/vectors/check_transaction_state_request.json`.
    #[test]
    fn request_golden() {
        testkit::golden("check_transaction_state_request");
    }

    /// Every truncation of the request is incomplete or an error, never another value.
    #[test]
    fn request_truncations() {
        request().truncations();
    }

    /// Over-limit lengths in the request are refused before their data arrives.
    #[test]
    fn request_over_limit() {
        let head = Wire::new().str("b:1").u64(7).done();
        request().over_limit(&[
            Cut::string(&[], "broker_addr", ADDR_LEN_MAX),
            Cut::u32_len(&head, "record", RECORD_LEN_MAX),
        ]);
        let mut bad = samples::check_transaction_state_request();
        bad.broker_addr = testkit::long(ADDR_LEN_MAX + 1);
        testkit::assert_request_refused(&bad, "broker_addr");
    }

    /// The request fed one byte at a time comes out once, whole.
    #[test]
    fn request_byte_at_a_time() {
        request().byte_at_a_time();
    }

    /// The empty response frame decodes to `Empty`.
    #[test]
    fn response_roundtrip() {
        response().roundtrip();
    }

    /// The response matches `spec/vectors/check_transaction_state_response.json`.
    #[test]
    fn response_golden() {
        testkit::golden("check_transaction_state_response");
    }

    /// Every truncation of the response is incomplete or an error.
    #[test]
    fn response_truncations() {
        response().truncations();
    }

    /// The empty response has no lengths: a byte in it is refused.
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
