//! Property tests of the sans-IO codec: every request and response body and every record
//! round-trips, decoding is canonical (whatever decodes re-encodes to the same bytes), and no
//! decoder panics on arbitrary or mutated input.

mod common;

use bytes::{BufMut, Bytes, BytesMut};
use proptest::collection::vec;
use proptest::prelude::*;

use common::{
    AnyResponse, any_request, any_response, decode_everything, message, record_stamp,
    stamp_and_patch, store_patch,
};
use ferrocket::protocol::api::ApiKey;
use ferrocket::protocol::record::{
    OFF_PAYLOAD_CRC, RECORD_FIXED_LEN, decode_record, encode_record, parse_record, patch_record,
};
use ferrocket::protocol::*;

fn config(cases: u32) -> ProptestConfig {
    ProptestConfig {
        cases,
        failure_persistence: None,
        ..ProptestConfig::default()
    }
}

/// Byte positions (taken modulo the length) and the values written there, biased towards the
/// values that sit on the edges of booleans, enums and lengths.
fn mutations() -> impl Strategy<Value = Vec<(usize, u8)>> {
    let value = prop_oneof![2 => any::<u8>(), 2 => 0..=4u8, 1 => Just(0x80), 1 => Just(0xff)];
    vec((any::<usize>(), value), 1..4)
}

fn mutate(bytes: &[u8], edits: &[(usize, u8)]) -> Bytes {
    let mut out = bytes.to_vec();
    if !out.is_empty() {
        for (at, value) in edits {
            let at = at % out.len();
            out[at] = *value;
        }
    }
    Bytes::from(out)
}

fn encode_request_frame(kind: FrameKind, id: u32, request: &AnyRequest) -> BytesMut {
    let header = FrameHeader {
        kind,
        api_key: request.api_key().code(),
        api_version: 0,
        correlation_id: id,
    };
    let mut out = BytesMut::new();
    frame::encode_frame(&header, None, 0, &mut out, |out| request.encode(out)).unwrap();
    out
}

/// Decodes a request body and, if it decodes, checks that it re-encodes to the same bytes.
fn assert_request_canonical(key: ApiKey, body: &Bytes) {
    if let Ok(decoded) = AnyRequest::decode(key.code(), 0, body) {
        let mut again = BytesMut::new();
        decoded.encode(&mut again).unwrap();
        assert_eq!(&again[..], &body[..], "{decoded:?} is not canonical");
    }
}

fn assert_response_canonical(key: ApiKey, body: &Bytes) {
    if let Ok(decoded) = AnyResponse::decode(key, body) {
        let mut again = BytesMut::new();
        decoded.encode(&mut again).unwrap();
        assert_eq!(&again[..], &body[..], "{decoded:?} is not canonical");
    }
}

/// Recomputes both CRCs of a record whose bytes were edited, so the edit reaches the
/// structural checks instead of stopping at a CRC mismatch.
fn reseal(record: &mut [u8]) {
    if record.len() < RECORD_FIXED_LEN {
        return;
    }
    let crc = crc32fast::hash(&record[RECORD_FIXED_LEN..]);
    record[OFF_PAYLOAD_CRC..OFF_PAYLOAD_CRC + 4].copy_from_slice(&crc.to_be_bytes());
    let view_patch = record::StorePatch {
        queue_id: record::read_u32(record, record::OFF_QUEUE_ID),
        queue_offset: record::read_u64(record, record::OFF_QUEUE_OFFSET),
        commit_log_offset: record::read_u64(record, record::OFF_COMMIT_LOG_OFFSET),
        store_timestamp_ms: record::read_u64(record, record::OFF_STORE_TIMESTAMP),
        store_host: read_store_host(record),
    };
    patch_record(record, &view_patch);
}

fn read_store_host(record: &[u8]) -> std::net::SocketAddr {
    let at = record::OFF_STORE_HOST;
    let mut ip = [0u8; 16];
    ip.copy_from_slice(&record[at..at + 16]);
    let port = u16::from_be_bytes([record[at + 16], record[at + 17]]);
    std::net::SocketAddr::new(std::net::Ipv6Addr::from(ip).to_canonical(), port)
}

proptest! {
    #![proptest_config(config(1024))]

    /// Any request, framed, is cut whole, and decodes to itself with every byte consumed.
    #[test]
    fn request_roundtrip(request in any_request(), id in any::<u32>(), oneway in any::<bool>()) {
        let kind = if oneway { FrameKind::Oneway } else { FrameKind::Request };
        let out = encode_request_frame(kind, id, &request);
        prop_assert_eq!(split_frame(&out), Ok(Some(out.len())));
        let raw = decode_frame(out.freeze()).unwrap();
        prop_assert_eq!(raw.header.kind, kind);
        prop_assert_eq!(raw.header.correlation_id, id);
        let decoded = AnyRequest::decode(raw.header.api_key, raw.header.api_version, &raw.body);
        prop_assert_eq!(decoded, Ok(request));
    }

    /// Any response, framed with any status, decodes to itself when its status carries a body
    /// and to an empty body when it does not.
    #[test]
    fn response_roundtrip(
        (key, response) in any_response(),
        code in prop_oneof![Just(0u16), 1..=1100u16],
        message in "\\PC{0,20}",
    ) {
        let request = FrameHeader {
            kind: FrameKind::Request,
            api_key: key.code(),
            api_version: 0,
            correlation_id: 5,
        };
        let head = ResponseHead { status: Status::from_code(code), error_message: message };
        let mut out = BytesMut::new();
        encode_response(&request, &head, Some(response.as_body()), &mut out).unwrap();
        let raw = decode_frame(out.freeze()).unwrap();
        prop_assert_eq!(raw.response.as_ref(), Some(&head));
        if head.status.carries_body() {
            prop_assert_eq!(AnyResponse::decode(key, &raw.body), Ok(response));
        } else {
            prop_assert!(raw.body.is_empty());
        }
    }

    /// Whatever a mutated request body decodes to re-encodes to exactly those bytes.
    #[test]
    fn request_decoding_is_canonical(request in any_request(), edits in mutations()) {
        let mut body = BytesMut::new();
        request.encode(&mut body).unwrap();
        assert_request_canonical(request.api_key(), &body.clone().freeze());
        assert_request_canonical(request.api_key(), &mutate(&body, &edits));
    }

    /// Whatever a mutated response body decodes to re-encodes to exactly those bytes.
    #[test]
    fn response_decoding_is_canonical((key, response) in any_response(), edits in mutations()) {
        let mut body = BytesMut::new();
        response.encode(&mut body).unwrap();
        assert_response_canonical(key, &body.clone().freeze());
        assert_response_canonical(key, &mutate(&body, &edits));
    }

    /// A record decodes to the message, stamp and patch it was built from, and re-encodes to
    /// the same bytes.
    #[test]
    fn record_roundtrip(msg in message(), stamp in record_stamp(), patch in store_patch()) {
        let mut out = BytesMut::new();
        let len = encode_record(&msg, &stamp, &mut out).unwrap();
        prop_assert_eq!(len, out.len());
        patch_record(&mut out, &patch);
        let bytes = out.freeze();
        let ext = decode_record(&bytes).unwrap();
        prop_assert_eq!(&ext.message, &msg);
        prop_assert_eq!(ext.store_size as usize, bytes.len());
        let (stamp_back, patch_back) = stamp_and_patch(&ext);
        prop_assert_eq!(stamp_back.msg_id, stamp.msg_id);
        prop_assert_eq!(stamp_back.born_host, stamp.born_host);
        prop_assert_eq!(patch_back, patch);
        let mut again = BytesMut::new();
        encode_record(&ext.message, &stamp_back, &mut again).unwrap();
        patch_record(&mut again, &patch_back);
        prop_assert_eq!(&again[..], &bytes[..]);
    }

    /// A record edited and resealed (both CRCs recomputed) either fails a structural check or
    /// decodes to something that re-encodes to exactly the edited bytes.
    #[test]
    fn record_decoding_is_canonical(
        msg in message(),
        stamp in record_stamp(),
        edits in mutations(),
    ) {
        let mut out = BytesMut::new();
        encode_record(&msg, &stamp, &mut out).unwrap();
        let mut edited = mutate(&out, &edits).to_vec();
        reseal(&mut edited);
        let edited = Bytes::from(edited);
        if let Ok(ext) = decode_record(&edited) {
            let (stamp, patch) = stamp_and_patch(&ext);
            let mut again = BytesMut::new();
            encode_record(&ext.message, &stamp, &mut again).unwrap();
            patch_record(&mut again, &patch);
            prop_assert_eq!(&again[..], &edited[..ext.store_size as usize]);
        }
    }

    /// Every truncation of a record is an error, never a shorter record.
    #[test]
    fn record_truncation_is_an_error(msg in message(), stamp in record_stamp(), cut in any::<usize>()) {
        let mut out = BytesMut::new();
        encode_record(&msg, &stamp, &mut out).unwrap();
        let cut = cut % out.len();
        prop_assert!(parse_record(&out[..cut]).is_err());
    }

    /// No decoder panics on arbitrary bytes.
    #[test]
    fn arbitrary_bytes_never_panic(data in vec(any::<u8>(), 0..300)) {
        decode_everything(&Bytes::from(data));
    }

    /// No decoder panics on a valid frame with bytes overwritten.
    #[test]
    fn mutated_frames_never_panic(request in any_request(), edits in mutations()) {
        let out = encode_request_frame(FrameKind::Request, 1, &request);
        let data = mutate(&out, &edits);
        decode_everything(&data);
        decode_everything(&data.slice(data.len().min(13)..));
    }

    /// No decoder panics on a valid record with bytes overwritten and its CRCs resealed.
    #[test]
    fn mutated_records_never_panic(msg in message(), stamp in record_stamp(), edits in mutations()) {
        let mut out = BytesMut::new();
        encode_record(&msg, &stamp, &mut out).unwrap();
        let mut edited = mutate(&out, &edits).to_vec();
        reseal(&mut edited);
        decode_everything(&Bytes::from(edited));
    }

    /// Frames split at arbitrary points and fed to a `FrameReader` come out whole and in order.
    #[test]
    fn frame_reader_reassembles_any_split(
        requests in vec(any_request(), 1..4),
        chunk in 1..64usize,
    ) {
        let mut stream = BytesMut::new();
        for (id, request) in requests.iter().enumerate() {
            stream.put(encode_request_frame(FrameKind::Request, id as u32, request));
        }
        let mut reader = FrameReader::new();
        let mut got = Vec::new();
        for piece in stream.chunks(chunk) {
            reader.push(piece);
            while let Some(raw) = reader.next_frame().unwrap() {
                got.push(AnyRequest::decode(raw.header.api_key, 0, &raw.body).unwrap());
            }
        }
        prop_assert_eq!(got, requests);
        prop_assert_eq!(reader.buffered_len(), 0);
    }
}
