//! Test-only helpers behind the five codec tests every request kind has (STYLE §15):
//! roundtrip, golden bytes from `spec/vectors/`, every truncation point, over-limit lengths
//! rejected early, and byte-at-a-time feeding.
//!
//! A `Case` is one body framed the way it travels: a request frame for a request body, an `OK`
//! response frame for a response body. Each request file's `tests` module builds its two cases
//! from `samples` and calls the same five checks, so every kind visibly has its tests while the
//! logic lives once, here. `vectors` loads and regenerates `spec/vectors/`.

pub(crate) mod catalog;
pub(crate) mod json;
pub(crate) mod samples;
pub(crate) mod vectors;

use std::fmt::Debug;

use bytes::{BufMut, Bytes, BytesMut};

use crate::limits::FRAME_LEN_MAX;
use crate::protocol::api::{Body, Request};
use crate::protocol::error::{DecodeError, EncodeError};
use crate::protocol::frame::{
    FRAME_PREFIX_LEN, FrameHeader, FrameKind, FrameReader, RawFrame, ResponseHead, decode_frame,
    encode_frame, split_frame,
};
use crate::protocol::status::Status;
use crate::protocol::{encode_request, encode_response};

pub(crate) use vectors::golden;

/// Correlation id of every test frame.
const CORRELATION_ID: u32 = 0x0102_0304;

/// One body, framed the way it travels.
#[derive(Debug)]
pub(crate) struct Case<B> {
    /// The value the frame was encoded from.
    pub value: B,
    /// The frame header.
    pub header: FrameHeader,
    /// The response head, for responses.
    pub head: Option<ResponseHead>,
    /// The whole encoded frame, length prefix included.
    pub frame: Bytes,
}

impl<R: Request> Case<R> {
    /// A request frame carrying `value`, encoded with `encode_request`.
    pub(crate) fn request(value: R) -> Case<R> {
        let mut out = BytesMut::new();
        encode_request(FrameKind::Request, CORRELATION_ID, &value, &mut out).unwrap();
        let header = FrameHeader {
            kind: FrameKind::Request,
            api_key: R::API_KEY.code(),
            api_version: R::API_KEY.max_version(),
            correlation_id: CORRELATION_ID,
        };
        Case {
            value,
            header,
            head: None,
            frame: out.freeze(),
        }
    }
}

impl<B: Body + PartialEq + Debug> Case<B> {
    /// An `OK` response frame answering a request of kind `R`, encoded with `encode_response`.
    pub(crate) fn response<R: Request<Response = B>>(value: B) -> Case<B> {
        let request = FrameHeader {
            kind: FrameKind::Request,
            api_key: R::API_KEY.code(),
            api_version: R::API_KEY.max_version(),
            correlation_id: CORRELATION_ID,
        };
        let head = ResponseHead {
            status: Status::Ok,
            error_message: String::new(),
        };
        let mut out = BytesMut::new();
        encode_response(&request, &head, Some(&value), &mut out).unwrap();
        let header = FrameHeader {
            kind: FrameKind::Response,
            ..request
        };
        Case {
            value,
            header,
            head: Some(head),
            frame: out.freeze(),
        }
    }

    /// Test 1: the frame is cut whole, its header and head come back, and the body decodes to
    /// the value with every byte consumed.
    pub(crate) fn roundtrip(&self) {
        assert_eq!(split_frame(&self.frame), Ok(Some(self.frame.len())));
        let raw = decode_frame(self.frame.clone()).unwrap();
        self.assert_is_original(&raw);
        let prefix = u32::from_be_bytes(self.frame[..4].try_into().unwrap());
        assert_eq!(prefix as usize, self.frame.len() - FRAME_PREFIX_LEN);
    }

    /// Test 3: every strict prefix of the frame is incomplete to `split_frame` and `FrameReader`
    /// and an error to `decode_frame`; every strict prefix of the body, even framed by a
    /// correct length, is an error to the body decoder.
    pub(crate) fn truncations(&self) {
        for cut in 0..self.frame.len() {
            let part = &self.frame[..cut];
            assert_eq!(split_frame(part), Ok(None), "cut at {cut}");
            let mut reader = FrameReader::new();
            reader.push(part);
            assert_eq!(reader.next_frame(), Ok(None), "cut at {cut}");
            assert_eq!(reader.buffered_len(), cut);
            assert!(decode_frame(Bytes::copy_from_slice(part)).is_err());
        }
        let body = self.body_bytes();
        for cut in 0..body.len() {
            let short = body.slice(..cut);
            assert!(B::decode(&short).is_err(), "body cut at {cut} decoded");
            let reframed = self.reframe(&short);
            let raw = decode_frame(reframed).unwrap();
            assert!(
                B::decode(&raw.body).is_err(),
                "framed body cut at {cut} decoded"
            );
        }
    }

    /// Test 4: each `Cut` (a valid prefix and then only a length or count field) is refused with
    /// its error; and a frame length over `FRAME_LEN_MAX` is refused from its four bytes.
    pub(crate) fn over_limit(&self, cuts: &[Cut]) {
        for cut in cuts {
            let mut body = cut.prefix.clone();
            body.extend_from_slice(&cut.announce);
            let body = Bytes::from(body);
            assert_eq!(B::decode(&body), Err(cut.expect.clone()), "{cut:?}");
            let mut reader = FrameReader::new();
            reader.push(&self.reframe(&body));
            let raw = reader.next_frame().unwrap().unwrap();
            assert_eq!(B::decode(&raw.body), Err(cut.expect.clone()), "{cut:?}");
        }
        assert_frame_len_refused();
        for over in [FRAME_LEN_MAX + 1, u32::MAX] {
            let mut reader = FrameReader::new();
            reader.push(&over.to_be_bytes());
            reader.push(&self.frame[FRAME_PREFIX_LEN..]);
            let expect = DecodeError::FrameTooLong {
                len: over,
                max: FRAME_LEN_MAX,
            };
            assert_eq!(reader.next_frame(), Err(expect));
        }
    }

    /// Test 5: fed one byte at a time, the reader yields nothing until the last byte, then
    /// exactly one frame equal to the original, and holds nothing afterwards.
    pub(crate) fn byte_at_a_time(&self) {
        let mut reader = FrameReader::new();
        let mut frames = Vec::new();
        for (at, byte) in self.frame.iter().enumerate() {
            reader.push(&[*byte]);
            while let Some(raw) = reader.next_frame().unwrap() {
                assert_eq!(at, self.frame.len() - 1, "frame yielded early");
                frames.push(raw);
            }
        }
        assert_eq!(frames.len(), 1);
        self.assert_is_original(&frames[0]);
        assert_eq!(reader.buffered_len(), 0);
        assert_eq!(reader.next_frame(), Ok(None));
    }

    fn assert_is_original(&self, raw: &RawFrame) {
        assert_eq!(raw.header, self.header);
        assert_eq!(raw.response, self.head);
        assert_eq!(raw.body, self.body_bytes());
        assert_eq!(B::decode(&raw.body).as_ref(), Ok(&self.value));
        let mut again = BytesMut::new();
        self.value.encode(&mut again).unwrap();
        assert_eq!(&again[..], &raw.body[..], "re-encoding differs");
    }

    /// The body bytes of the encoded frame.
    pub(crate) fn body_bytes(&self) -> Bytes {
        decode_frame(self.frame.clone()).unwrap().body
    }

    /// A frame with this case's header and head around `body`.
    pub(crate) fn reframe(&self, body: &[u8]) -> Bytes {
        let mut out = BytesMut::new();
        encode_frame(&self.header, self.head.as_ref(), 0, &mut out, |out| {
            out.put_slice(body);
            Ok(())
        })
        .unwrap();
        out.freeze()
    }
}

/// A frame length over `FRAME_LEN_MAX` is refused with only its four bytes present.
pub(crate) fn assert_frame_len_refused() {
    for over in [FRAME_LEN_MAX + 1, u32::MAX] {
        let expect = DecodeError::FrameTooLong {
            len: over,
            max: FRAME_LEN_MAX,
        };
        assert_eq!(split_frame(&over.to_be_bytes()), Err(expect.clone()));
        let mut reader = FrameReader::new();
        reader.push(&over.to_be_bytes());
        assert_eq!(reader.next_frame(), Err(expect));
    }
}

/// A body cut just after a length or count field, and the error it must give.
#[derive(Debug, Clone)]
pub(crate) struct Cut {
    /// Valid bytes of the fields before.
    pub prefix: Vec<u8>,
    /// The length or count field, and nothing after it.
    pub announce: Vec<u8>,
    /// The error decoding must give.
    pub expect: DecodeError,
}

impl Cut {
    /// A `u16` string length one over `max`.
    pub(crate) fn string(prefix: &[u8], field: &'static str, max: usize) -> Cut {
        let len = u16::try_from(max + 1).unwrap();
        Cut::too_long(prefix, len.to_be_bytes().to_vec(), field, max)
    }

    /// A `u32` byte-array length or list count one over `max`.
    pub(crate) fn u32_len(prefix: &[u8], field: &'static str, max: usize) -> Cut {
        let len = u32::try_from(max + 1).unwrap();
        Cut::too_long(prefix, len.to_be_bytes().to_vec(), field, max)
    }

    /// A `u32` list count within its maximum but larger than the (absent) elements could fill.
    pub(crate) fn count_past_end(prefix: &[u8], field: &'static str, count: u32) -> Cut {
        Cut {
            prefix: prefix.to_vec(),
            announce: count.to_be_bytes().to_vec(),
            expect: DecodeError::Truncated { field },
        }
    }

    /// The same cut with `count` zero bytes after the length: far fewer than it announces, but
    /// enough for an enclosing list's count to pass its bytes-remaining check.
    pub(crate) fn padded(mut self, count: usize) -> Cut {
        self.announce.resize(self.announce.len() + count, 0);
        self
    }

    /// Any field bytes that must give `expect`.
    pub(crate) fn value(prefix: &[u8], announce: &[u8], expect: DecodeError) -> Cut {
        Cut {
            prefix: prefix.to_vec(),
            announce: announce.to_vec(),
            expect,
        }
    }

    fn too_long(prefix: &[u8], announce: Vec<u8>, field: &'static str, max: usize) -> Cut {
        Cut {
            prefix: prefix.to_vec(),
            announce,
            expect: DecodeError::TooLong {
                field,
                len: max + 1,
                max,
            },
        }
    }
}

/// Encoding `value` as a request frame fails naming `field`, and leaves the buffer as it was.
pub(crate) fn assert_request_refused<R: Request + Debug>(value: &R, field: &str) {
    let mut out = BytesMut::from(&b"keep"[..]);
    let err = encode_request(FrameKind::Request, 1, value, &mut out).unwrap_err();
    assert_eq!(error_field(&err), field, "{err}");
    assert_eq!(&out[..], b"keep");
}

/// Encoding `value` as an `OK` response to `R` fails naming `field`, leaving the buffer as it was.
pub(crate) fn assert_response_refused<R: Request>(value: &R::Response, field: &str) {
    let request = FrameHeader {
        kind: FrameKind::Request,
        api_key: R::API_KEY.code(),
        api_version: 0,
        correlation_id: 1,
    };
    let head = ResponseHead {
        status: Status::Ok,
        error_message: String::new(),
    };
    let mut out = BytesMut::from(&b"keep"[..]);
    let err = encode_response(&request, &head, Some(value), &mut out).unwrap_err();
    assert_eq!(error_field(&err), field, "{err}");
    assert_eq!(&out[..], b"keep");
}

fn error_field(err: &EncodeError) -> &'static str {
    match err {
        EncodeError::TooLong { field, .. } | EncodeError::Invalid { field, .. } => field,
    }
}

/// A string of `len` ASCII letters.
pub(crate) fn long(len: usize) -> String {
    "x".repeat(len)
}

/// A builder of raw body bytes for the valid prefixes of `Cut`s.
#[derive(Debug, Default)]
pub(crate) struct Wire(Vec<u8>);

impl Wire {
    /// An empty buffer.
    pub(crate) fn new() -> Wire {
        Wire::default()
    }

    /// Appends a `u16`-length-prefixed string.
    pub(crate) fn str(mut self, s: &str) -> Wire {
        self.0
            .extend_from_slice(&u16::try_from(s.len()).unwrap().to_be_bytes());
        self.0.extend_from_slice(s.as_bytes());
        self
    }

    /// Appends a byte.
    pub(crate) fn u8(mut self, v: u8) -> Wire {
        self.0.push(v);
        self
    }

    /// Appends a big-endian `u16`.
    pub(crate) fn u16(mut self, v: u16) -> Wire {
        self.0.extend_from_slice(&v.to_be_bytes());
        self
    }

    /// Appends a big-endian `u32`.
    pub(crate) fn u32(mut self, v: u32) -> Wire {
        self.0.extend_from_slice(&v.to_be_bytes());
        self
    }

    /// Appends a big-endian `u64`.
    pub(crate) fn u64(mut self, v: u64) -> Wire {
        self.0.extend_from_slice(&v.to_be_bytes());
        self
    }

    /// The bytes written.
    pub(crate) fn done(self) -> Vec<u8> {
        self.0
    }
}
