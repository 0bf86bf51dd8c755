//! The golden vectors of `spec/vectors/`: the generator (run with
//! `FERROCKET_REGEN_VECTORS=1 cargo test -p ferrocket vectors`) and the check.
//!
//! For each vector the check (a) decodes the file's hex, frame then body, and compares it with
//! its sample in `catalog`; (b) encodes the sample and compares it with the hex byte for byte;
//! (c) renders the decoded value as JSON and compares it with the whole file, so the readable
//! `value` can never drift from the bytes. A file with no sample, or an api key with no request
//! or response vector, fails the check.

use std::path::PathBuf;

use bytes::{Bytes, BytesMut};
use serde_json::{Value, json};

use crate::protocol::api::ApiKey;
use crate::protocol::frame::{FrameHeader, FrameKind, decode_frame, encode_frame, split_frame};
use crate::protocol::record::decode_record;
use crate::protocol::status::Status;
use crate::protocol::testkit::catalog::{AnyResponse, Content, Sample, all, record_ext};
use crate::protocol::testkit::{json, samples as s};
use crate::protocol::{AnyRequest, encode_response};

fn request_header(sample: &Sample, kind: FrameKind, key: ApiKey) -> FrameHeader {
    FrameHeader {
        kind,
        api_key: key.code(),
        api_version: key.max_version(),
        correlation_id: sample.correlation_id,
    }
}

/// Encodes a sample with the public encoders.
pub(crate) fn encode(sample: &Sample) -> Bytes {
    let mut out = BytesMut::new();
    match &sample.content {
        Content::Request { kind, body } => {
            let header = request_header(sample, *kind, body.api_key());
            encode_frame(&header, None, 0, &mut out, |out| body.encode(out)).unwrap();
        }
        Content::Response {
            api_key,
            head,
            body,
        } => {
            let request = request_header(sample, FrameKind::Request, *api_key);
            let body = body.as_ref().map(AnyResponse::as_body);
            encode_response(&request, head, body, &mut out).unwrap();
        }
        Content::Record => return s::stored_record_one(),
    }
    out.freeze()
}

/// Decodes `bytes` as `sample`'s kind, asserts the result equals the sample, and renders the
/// whole vector document from the decoded value.
pub(crate) fn document(sample: &Sample, bytes: &Bytes) -> Value {
    match &sample.content {
        Content::Record => {
            let ext = decode_record(bytes).unwrap();
            assert_eq!(ext, record_ext(bytes), "{}: decoded record", sample.name);
            json!({
                "name": sample.name,
                "kind": "record",
                "description": sample.description,
                "value": json::record(&ext),
                "hex": json::hex(bytes),
            })
        }
        Content::Request { .. } | Content::Response { .. } => frame_document(sample, bytes),
    }
}

fn frame_document(sample: &Sample, bytes: &Bytes) -> Value {
    assert_eq!(split_frame(bytes), Ok(Some(bytes.len())), "{}", sample.name);
    let raw = decode_frame(bytes.clone()).unwrap();
    let h = raw.header;
    assert_eq!(h.correlation_id, sample.correlation_id, "{}", sample.name);
    let key = ApiKey::from_code(h.api_key).unwrap();
    let mut doc = json!({
        "name": sample.name,
        "api_key": h.api_key,
        "api_version": h.api_version,
        "kind": kind_name(h.kind),
        "correlation_id": h.correlation_id,
        "description": sample.description,
        "hex": json::hex(bytes),
    });
    let value = match &sample.content {
        Content::Request { kind, body } => {
            assert_eq!(h.kind, *kind);
            let decoded = AnyRequest::decode(h.api_key, h.api_version, &raw.body).unwrap();
            assert_eq!(&decoded, body, "{}: decoded request", sample.name);
            json::request(&decoded)
        }
        Content::Response {
            api_key,
            head,
            body,
        } => {
            assert_eq!((h.kind, key), (FrameKind::Response, *api_key));
            let got = raw.response.as_ref().unwrap();
            assert_eq!(got, head, "{}: response head", sample.name);
            doc["status"] = Value::String(got.status.name().into());
            doc["error_message"] = Value::String(got.error_message.clone());
            let decoded = if got.status.carries_body() {
                Some(AnyResponse::decode(key, &raw.body).unwrap())
            } else {
                assert!(
                    raw.body.is_empty(),
                    "{}: body after a body-less status",
                    sample.name
                );
                None
            };
            assert_eq!(&decoded, body, "{}: decoded response", sample.name);
            decoded.as_ref().map_or(Value::Null, json::response)
        }
        Content::Record => unreachable!("records have no frame"),
    };
    doc["value"] = value;
    doc
}

fn kind_name(kind: FrameKind) -> &'static str {
    match kind {
        FrameKind::Request => "request",
        FrameKind::Response => "response",
        FrameKind::Oneway => "oneway",
    }
}

fn vectors_dir() -> PathBuf {
    PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../spec/vectors"))
}

fn regenerating() -> bool {
    std::env::var_os("FERROCKET_REGEN_VECTORS").is_some_and(|v| v == "1")
}

fn write(sample: &Sample) {
    let doc = document(sample, &encode(sample));
    let text = serde_json::to_string_pretty(&doc).unwrap() + "\n";
    let dir = vectors_dir();
    std::fs::create_dir_all(&dir).unwrap();
    let tmp = dir.join(format!(".{}.json.tmp", sample.name));
    std::fs::write(&tmp, text).unwrap();
    std::fs::rename(&tmp, dir.join(format!("{}.json", sample.name))).unwrap();
}

fn check(sample: &Sample) {
    let path = vectors_dir().join(format!("{}.json", sample.name));
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| {
        panic!(
            "{}: {e}; regenerate with FERROCKET_REGEN_VECTORS=1 cargo test -p ferrocket vectors",
            path.display()
        )
    });
    let file: Value = serde_json::from_str(&text).unwrap();
    let bytes = Bytes::from(json::unhex(file["hex"].as_str().expect("hex string")));
    let encoded = encode(sample);
    assert_eq!(
        json::hex(&encoded),
        json::hex(&bytes),
        "{}: encoding differs from the vector; regenerate with FERROCKET_REGEN_VECTORS=1",
        sample.name
    );
    assert_eq!(
        document(sample, &bytes),
        file,
        "{}: vector document drifted",
        sample.name
    );
}

/// Test 2 of a kind: the named vector decodes to its sample, the sample encodes to its bytes,
/// and its JSON matches the decoded value.
pub(crate) fn golden(name: &str) {
    let sample = all().into_iter().find(|s| s.name == name);
    let sample = sample.unwrap_or_else(|| panic!("no sample named {name}"));
    if regenerating() {
        write(&sample);
    }
    check(&sample);
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every file in spec/vectors/ matches its sample, every sample has a file, and every api
    /// key has a request and an OK response vector (FERROCKET_REGEN_VECTORS=1 rewrites them).
    #[test]
    fn vectors_match_spec() {
        let samples = all();
        if regenerating() {
            samples.iter().for_each(write);
        }
        let mut names: Vec<&str> = samples.iter().map(|s| s.name).collect();
        names.sort_unstable();
        let before = names.len();
        names.dedup();
        assert_eq!(names.len(), before, "duplicate vector names");
        for entry in std::fs::read_dir(vectors_dir()).unwrap() {
            let path = entry.unwrap().path();
            if path.extension().is_some_and(|e| e == "json") {
                let stem = path.file_stem().unwrap().to_str().unwrap();
                assert!(names.contains(&stem), "{}: unknown vector", path.display());
            }
        }
        samples.iter().for_each(check);
        for key in ApiKey::ALL {
            let has_request = samples.iter().any(|s| {
                matches!(&s.content, Content::Request { kind: FrameKind::Request, body } if body.api_key() == *key)
            });
            let has_response = samples.iter().any(|s| {
                matches!(&s.content, Content::Response { api_key, head, body: Some(_) }
                    if api_key == key && head.status == Status::Ok)
            });
            assert!(has_request && has_response, "{key:?} lacks a vector");
        }
        assert!(samples.iter().any(|s| matches!(s.content, Content::Record)));
    }
}
