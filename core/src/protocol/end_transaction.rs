//! `EndTransaction` (api key 62): a transaction producer tells the broker how the local
//! transaction of a half message ended: commit (the broker makes the message visible), roll
//! back (the broker discards it) or unknown (the broker asks again later). Sent oneway after
//! `execute_local_transaction` and in answer to `CheckTransactionState`.
//!
//! ```text
//! request  v0: producer_group:string(≤ GROUP_LEN_MAX)  commit_log_offset:u64
//!              msg_id:16 bytes  resolution:u8  from_check:bool
//! response v0: (empty)
//! ```

use bytes::{BufMut, Bytes, BytesMut};

use crate::limits::GROUP_LEN_MAX;
use crate::message::MessageId;
use crate::protocol::api::{ApiKey, Body, Request};
use crate::protocol::error::{DecodeError, EncodeError};
use crate::protocol::types::{Empty, wire_enum};
use crate::protocol::wire::{self, PResult};

wire_enum! {
    /// How a local transaction ended (RocketMQ's `LocalTransactionState`).
    TransactionResolution, "resolution" {
        /// Make the message visible.
        Commit = 0,
        /// Discard the message.
        Rollback = 1,
        /// Not known yet: the broker checks back later.
        Unknown = 2,
    }
}

/// Request body of `EndTransaction`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EndTransactionRequest {
    /// Producer group of the transaction.
    pub producer_group: String,
    /// Commit-log offset of the half message (from its send result).
    pub commit_log_offset: u64,
    /// The message's unique id (the transaction id), checked against the half message.
    pub msg_id: MessageId,
    /// How the transaction ended.
    pub resolution: TransactionResolution,
    /// Whether this answers a `CheckTransactionState`.
    pub from_check: bool,
}

impl Body for EndTransactionRequest {
    fn encode(&self, out: &mut BytesMut) -> Result<(), EncodeError> {
        wire::put_string(out, "producer_group", &self.producer_group, GROUP_LEN_MAX)?;
        out.put_u64(self.commit_log_offset);
        out.put_slice(&self.msg_id.0);
        out.put_u8(self.resolution.code());
        out.put_u8(u8::from(self.from_check));
        Ok(())
    }

    fn decode(body: &Bytes) -> Result<EndTransactionRequest, DecodeError> {
        let (i, producer_group) = wire::string(body, "producer_group", GROUP_LEN_MAX)?;
        let (i, commit_log_offset) = wire::u64(i, "commit_log_offset")?;
        let (i, msg_id) = wire::fixed::<16>(i, "msg_id")?;
        let (i, resolution) = TransactionResolution::parse(i)?;
        let (i, from_check) = wire::bool(i, "from_check")?;
        wire::finish(i)?;
        Ok(EndTransactionRequest {
            producer_group: producer_group.to_owned(),
            commit_log_offset,
            msg_id: MessageId(msg_id),
            resolution,
            from_check,
        })
    }
}

impl Request for EndTransactionRequest {
    const API_KEY: ApiKey = ApiKey::EndTransaction;
    type Response = Empty;
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::testkit::{self, Case, Cut, Wire, samples};

    fn request() -> Case<EndTransactionRequest> {
        Case::request(samples::end_transaction_request())
    }

    fn response() -> Case<Empty> {
        Case::response::<EndTransactionRequest>(Empty)
    }

    /// An `EndTransaction` request frame decodes to the request it was encoded from.
    #[test]
    fn request_roundtrip() {
        request().roundtrip();
    }

    /// The request matches `spec/vectors/end_transaction_request.json`.
    #[test]
    fn request_golden() {
        testkit::golden("end_transaction_request");
    }

    /// Every truncation of the request is incomplete or an error, never another value.
    #[test]
    fn request_truncations() {
        request().truncations();
    }

    /// An over-limit group, a bad resolution and a bad bool are refused.
    #[test]
    fn request_over_limit() {
        let fixed = Wire::new().str("g").u64(1).u64(2).u64(3).done();
        request().over_limit(&[
            Cut::string(&[], "producer_group", GROUP_LEN_MAX),
            Cut::value(
                &fixed,
                &[3],
                DecodeError::InvalidValue {
                    field: "resolution",
                    value: 3,
                },
            ),
            Cut::value(
                &fixed,
                &[0, 2],
                DecodeError::InvalidValue {
                    field: "from_check",
                    value: 2,
                },
            ),
        ]);
        let mut bad = samples::end_transaction_request();
        bad.producer_group = testkit::long(GROUP_LEN_MAX + 1);
        testkit::assert_request_refused(&bad, "producer_group");
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

    /// The response matches `spec/vectors/end_transaction_response.json`.
    #[test]
    fn response_golden() {
        testkit::golden("end_transaction_response");
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
