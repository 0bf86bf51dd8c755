//! `ReplicaFetch` (api key 43): a slave copies its master's commit log. The request says how
//! far the slave's commit log goes (`offset`, which is also its acknowledgement: every byte
//! below is on the slave); the master answers with the raw commit-log bytes from there,
//! byte-identical to its own, holding the request up to `max_wait_ms` when it has nothing new.
//!
//! ```text
//! request  v0: broker_name:string(≤ BROKER_NAME_LEN_MAX)  broker_id:u64
//!              slave_addr:string(≤ ADDR_LEN_MAX)  offset:u64
//!              max_bytes:u32(1..=REPLICA_FETCH_BYTES_MAX)  max_wait_ms:u32(≤ LONG_POLL_MS_MAX)
//! response v0: master_min_offset:u64  master_max_offset:u64  segment_size:u64  data_offset:u64
//!              data:bytes32(≤ REPLICA_FETCH_BYTES_MAX + RECORD_LEN_MAX)
//! ```
//!
//! `data` starts at `data_offset` (the request's `offset`, or the master's first offset when an
//! empty slave asks from 0), holds whole items only (records, a segment's blank filler or its
//! zero tail) and never crosses a segment end: at least one item, then more while they fit in
//! `max_bytes`. Master and slave must use the same `segment_size`.

use bytes::{BufMut, Bytes, BytesMut};

use crate::limits::{LONG_POLL_MS_MAX, RECORD_LEN_MAX, REPLICA_FETCH_BYTES_MAX};
use crate::protocol::api::{ApiKey, Body, Request};
use crate::protocol::error::{DecodeError, EncodeError};
use crate::protocol::types::{parse_addr, parse_name, put_addr, put_name};
use crate::protocol::wire;

/// Largest `data` field of a `ReplicaFetch` response: the bytes asked for plus one whole item.
pub const REPLICA_DATA_LEN_MAX: usize = REPLICA_FETCH_BYTES_MAX as usize + RECORD_LEN_MAX;

/// Request body of `ReplicaFetch`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReplicaFetchRequest {
    /// The broker name the slave belongs to (must be the master's).
    pub broker_name: String,
    /// The slave's broker id (> 0).
    pub broker_id: u64,
    /// The slave's client address, for status displays.
    pub slave_addr: String,
    /// End of the slave's commit log: where the data should start, and the slave's ack.
    pub offset: u64,
    /// Most bytes wanted (one whole item is sent even when larger).
    pub max_bytes: u32,
    /// How long the master may hold the request when it has nothing new.
    pub max_wait_ms: u32,
}

/// Response body of `ReplicaFetch`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReplicaFetchResponse {
    /// First offset still in the master's commit log.
    pub master_min_offset: u64,
    /// End of the master's commit log.
    pub master_max_offset: u64,
    /// The master's commit-log segment size.
    pub segment_size: u64,
    /// Commit-log offset of `data`'s first byte.
    pub data_offset: u64,
    /// Raw commit-log bytes: whole items, within one segment.
    pub data: Bytes,
}

impl Body for ReplicaFetchRequest {
    fn encode(&self, out: &mut BytesMut) -> Result<(), EncodeError> {
        if self.max_bytes == 0 {
            return Err(EncodeError::Invalid {
                field: "max_bytes",
                reason: "must be 1..=REPLICA_FETCH_BYTES_MAX",
            });
        }
        let max = REPLICA_FETCH_BYTES_MAX as usize;
        wire::check_len("max_bytes", self.max_bytes as usize, max)?;
        let wait = self.max_wait_ms as usize;
        wire::check_len("max_wait_ms", wait, LONG_POLL_MS_MAX as usize)?;
        put_name(out, "broker_name", &self.broker_name)?;
        out.put_u64(self.broker_id);
        put_addr(out, "slave_addr", &self.slave_addr)?;
        out.put_u64(self.offset);
        out.put_u32(self.max_bytes);
        out.put_u32(self.max_wait_ms);
        Ok(())
    }

    fn decode(body: &Bytes) -> Result<ReplicaFetchRequest, DecodeError> {
        let (i, broker_name) = parse_name(body, "broker_name")?;
        let (i, broker_id) = wire::u64(i, "broker_id")?;
        let (i, slave_addr) = parse_addr(i, "slave_addr")?;
        let (i, offset) = wire::u64(i, "offset")?;
        let (i, max_bytes) = wire::u32(i, "max_bytes")?;
        if max_bytes == 0 {
            return Err(DecodeError::InvalidValue {
                field: "max_bytes",
                value: 0,
            });
        }
        check_u32_max("max_bytes", max_bytes, REPLICA_FETCH_BYTES_MAX)?;
        let (i, max_wait_ms) = wire::u32(i, "max_wait_ms")?;
        check_u32_max("max_wait_ms", max_wait_ms, LONG_POLL_MS_MAX)?;
        wire::finish(i)?;
        Ok(ReplicaFetchRequest {
            broker_name,
            broker_id,
            slave_addr,
            offset,
            max_bytes,
            max_wait_ms,
        })
    }
}

fn check_u32_max(field: &'static str, value: u32, max: u32) -> Result<(), DecodeError> {
    if value > max {
        return Err(DecodeError::TooLong {
            field,
            len: value as usize,
            max: max as usize,
        });
    }
    Ok(())
}

impl Request for ReplicaFetchRequest {
    const API_KEY: ApiKey = ApiKey::ReplicaFetch;
    type Response = ReplicaFetchResponse;
}

impl ReplicaFetchResponse {
    /// Writes every field but the data bytes, announcing `data_len` bytes that the caller sends
    /// right after (gathered from the commit log without copying).
    pub fn encode_head(&self, data_len: usize, out: &mut BytesMut) -> Result<(), EncodeError> {
        wire::check_len("data", data_len, REPLICA_DATA_LEN_MAX)?;
        out.put_u64(self.master_min_offset);
        out.put_u64(self.master_max_offset);
        out.put_u64(self.segment_size);
        out.put_u64(self.data_offset);
        out.put_u32(u32::try_from(data_len).expect("data length checked"));
        Ok(())
    }
}

impl Body for ReplicaFetchResponse {
    fn encode(&self, out: &mut BytesMut) -> Result<(), EncodeError> {
        self.encode_head(self.data.len(), out)?;
        out.put_slice(&self.data);
        Ok(())
    }

    fn decode(body: &Bytes) -> Result<ReplicaFetchResponse, DecodeError> {
        let (i, master_min_offset) = wire::u64(body, "master_min_offset")?;
        let (i, master_max_offset) = wire::u64(i, "master_max_offset")?;
        let (i, segment_size) = wire::u64(i, "segment_size")?;
        let (i, data_offset) = wire::u64(i, "data_offset")?;
        let (i, data) = wire::bytes32(i, "data", REPLICA_DATA_LEN_MAX)?;
        wire::finish(i)?;
        Ok(ReplicaFetchResponse {
            master_min_offset,
            master_max_offset,
            segment_size,
            data_offset,
            data: body.slice_ref(data),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::limits::{ADDR_LEN_MAX, BROKER_NAME_LEN_MAX};
    use crate::protocol::testkit::{self, Case, Cut, Wire, samples};

    fn request() -> Case<ReplicaFetchRequest> {
        Case::request(samples::replica_fetch_request())
    }

    fn response() -> Case<ReplicaFetchResponse> {
        Case::response::<ReplicaFetchRequest>(samples::replica_fetch_response())
    }

    /// A `ReplicaFetch` request frame decodes to the request it was encoded from.
    #[test]
    fn request_roundtrip() {
        request().roundtrip();
    }

    /// The request matches `spec/vectors/replica_fetch_request.json`.
    #[test]
    fn request_golden() {
        testkit::golden("replica_fetch_request");
    }

    /// Every truncation of the request is incomplete or an error, never another value.
    #[test]
    fn request_truncations() {
        request().truncations();
    }

    /// Over-limit names, sizes and holds in the request are refused before what follows.
    #[test]
    fn request_over_limit() {
        let head = || Wire::new().str("b").u64(1).str("s:1").u64(0);
        let over_bytes = REPLICA_FETCH_BYTES_MAX + 1;
        let over_wait = LONG_POLL_MS_MAX + 1;
        request().over_limit(&[
            Cut::string(&[], "broker_name", BROKER_NAME_LEN_MAX),
            Cut::string(
                &Wire::new().str("b").u64(1).done(),
                "slave_addr",
                ADDR_LEN_MAX,
            ),
            Cut::value(
                &head().done(),
                &[0, 0, 0, 0],
                DecodeError::InvalidValue {
                    field: "max_bytes",
                    value: 0,
                },
            ),
            Cut::value(
                &head().done(),
                &over_bytes.to_be_bytes(),
                DecodeError::TooLong {
                    field: "max_bytes",
                    len: over_bytes as usize,
                    max: REPLICA_FETCH_BYTES_MAX as usize,
                },
            ),
            Cut::value(
                &head().u32(1).done(),
                &over_wait.to_be_bytes(),
                DecodeError::TooLong {
                    field: "max_wait_ms",
                    len: over_wait as usize,
                    max: LONG_POLL_MS_MAX as usize,
                },
            ),
        ]);
        let mut bad = samples::replica_fetch_request();
        bad.max_bytes = 0;
        testkit::assert_request_refused(&bad, "max_bytes");
        let mut bad = samples::replica_fetch_request();
        bad.max_wait_ms = over_wait;
        testkit::assert_request_refused(&bad, "max_wait_ms");
    }

    /// The request fed one byte at a time comes out once, whole.
    #[test]
    fn request_byte_at_a_time() {
        request().byte_at_a_time();
    }

    /// A `ReplicaFetch` response frame decodes to the response it was encoded from.
    #[test]
    fn response_roundtrip() {
        response().roundtrip();
    }

    /// The response matches `spec/vectors/replica_fetch_response.json`.
    #[test]
    fn response_golden() {
        testkit::golden("replica_fetch_response");
    }

    /// Every truncation of the response is incomplete or an error, never another value.
    #[test]
    fn response_truncations() {
        response().truncations();
    }

    /// An over-limit data length is refused before the data arrives.
    #[test]
    fn response_over_limit() {
        let head = Wire::new().u64(1).u64(2).u64(3).u64(4).done();
        response().over_limit(&[Cut::u32_len(&head, "data", REPLICA_DATA_LEN_MAX)]);
        let mut bad = samples::replica_fetch_response();
        bad.data = Bytes::from(vec![0; REPLICA_DATA_LEN_MAX + 1]);
        testkit::assert_response_refused::<ReplicaFetchRequest>(&bad, "data");
    }

    /// The response fed one byte at a time comes out once, whole.
    #[test]
    fn response_byte_at_a_time() {
        response().byte_at_a_time();
    }
}
