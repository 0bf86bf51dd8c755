//! Fuzz target: arbitrary bytes as a connection's byte stream. Cuts frames with `split_frame`
//! and `FrameReader`, parses each with `decode_frame`, decodes request bodies with
//! `AnyRequest::decode` and response bodies with every response decoder, and checks that
//! whatever decodes re-encodes to exactly the bytes it came from.

#![no_main]

use bytes::{Bytes, BytesMut};
use ferrocket::protocol::api::{ApiKey, Body, check_version};
use ferrocket::protocol::frame::{FrameKind, RawFrame, decode_frame, encode_frame, split_frame};
use ferrocket::protocol::{
    AnyRequest, ApiVersionsResponse, DescribeTopicResponse, Empty, FrameReader,
    ListTopicsResponse, OffsetResponse, PullResponse, SendResponse, TopicRoute,
};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let stream = Bytes::copy_from_slice(data);
    let mut rest = stream.clone();
    while let Ok(Some(len)) = split_frame(&rest) {
        let frame = rest.split_to(len);
        if let Ok(raw) = decode_frame(frame.clone()) {
            check_frame(&raw, &frame);
        }
    }
    let mut reader = FrameReader::new();
    for chunk in data.chunks(7) {
        reader.push(chunk);
        while let Ok(Some(raw)) = reader.next_frame() {
            decode_body(&raw);
        }
    }
    for key in ApiKey::ALL {
        let _ = AnyRequest::decode(key.code(), 0, &stream);
    }
    decode_responses(&stream);
});

/// Decodes the body and checks that a frame that decodes whole re-encodes byte for byte.
fn check_frame(raw: &RawFrame, frame: &Bytes) {
    let Some(mut body) = decode_body(raw) else {
        return;
    };
    let mut again = BytesMut::new();
    encode_frame(&raw.header, raw.response.as_ref(), 0, &mut again, |out| {
        out.extend_from_slice(&body.split_off(0));
        Ok(())
    })
    .expect("a decoded frame re-encodes");
    let carries = raw.response.as_ref().is_none_or(|h| h.status.carries_body());
    if carries {
        assert_eq!(&again[..], &frame[..], "frame is not canonical");
    }
}

/// Decodes the body of a frame; returns the re-encoded body if it decoded.
fn decode_body(raw: &RawFrame) -> Option<BytesMut> {
    let h = &raw.header;
    let mut out = BytesMut::new();
    match h.kind {
        FrameKind::Request | FrameKind::Oneway => {
            let request = AnyRequest::decode(h.api_key, h.api_version, &raw.body).ok()?;
            request.encode(&mut out).expect("a decoded request re-encodes");
        }
        FrameKind::Response => {
            let key = check_version(h.api_key, h.api_version).ok()?;
            reencode_response(key, &raw.body, &mut out)?;
        }
    }
    assert_eq!(&out[..], &raw.body[..], "body is not canonical");
    Some(out)
}

fn roundtrip<B: Body>(body: &Bytes, out: &mut BytesMut) -> Option<()> {
    let value = B::decode(body).ok()?;
    value.encode(out).expect("a decoded response re-encodes");
    Some(())
}

fn reencode_response(key: ApiKey, body: &Bytes, out: &mut BytesMut) -> Option<()> {
    match key {
        ApiKey::ApiVersions => roundtrip::<ApiVersionsResponse>(body, out),
        ApiKey::SendMessage | ApiKey::SendBatch => roundtrip::<SendResponse>(body, out),
        ApiKey::Pull => roundtrip::<PullResponse>(body, out),
        ApiKey::QueryConsumerOffset
        | ApiKey::GetMinOffset
        | ApiKey::GetMaxOffset
        | ApiKey::SearchOffset => roundtrip::<OffsetResponse>(body, out),
        ApiKey::DescribeTopic => roundtrip::<DescribeTopicResponse>(body, out),
        ApiKey::ListTopics => roundtrip::<ListTopicsResponse>(body, out),
        ApiKey::QueryRoute => roundtrip::<TopicRoute>(body, out),
        _ => roundtrip::<Empty>(body, out),
    }
}

/// Every response decoder over the same bytes, whatever key they would answer.
fn decode_responses(body: &Bytes) {
    let mut out = BytesMut::new();
    let _ = roundtrip::<ApiVersionsResponse>(body, &mut out);
    let _ = roundtrip::<SendResponse>(body, &mut out);
    let _ = roundtrip::<PullResponse>(body, &mut out);
    let _ = roundtrip::<OffsetResponse>(body, &mut out);
    let _ = roundtrip::<DescribeTopicResponse>(body, &mut out);
    let _ = roundtrip::<ListTopicsResponse>(body, &mut out);
    let _ = roundtrip::<TopicRoute>(body, &mut out);
    let _ = roundtrip::<Empty>(body, &mut out);
}
