//! Frames: cut by length, then parse the header.
//!
//! ```text
//! length:u32  kind:u8  api_key:u16  api_version:u16  correlation_id:u32  [response head]  body
//! response head = status:u16  error_message: u16 len + UTF-8
//! ```
//!
//! `length` counts the bytes after itself and is checked against `FRAME_LEN_MAX` before any of
//! the body is awaited. A response carries its kind's body only when its status
//! `carries_body()`.

use bytes::{BufMut, Bytes, BytesMut};

use crate::limits::{ERROR_MESSAGE_LEN_MAX, FRAME_LEN_MAX};
use crate::protocol::error::{DecodeError, EncodeError};
use crate::protocol::status::Status;
use crate::protocol::wire;

/// Bytes of the length prefix.
pub const FRAME_PREFIX_LEN: usize = 4;
/// Bytes of the common header after the length prefix.
pub const FRAME_HEADER_LEN: usize = 9;

/// What a frame is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FrameKind {
    /// A request that expects a response with the same correlation id.
    Request,
    /// A response to a request.
    Response,
    /// A request that gets no response.
    Oneway,
}

impl FrameKind {
    /// The wire byte.
    pub fn code(self) -> u8 {
        match self {
            FrameKind::Request => 0,
            FrameKind::Response => 1,
            FrameKind::Oneway => 2,
        }
    }

    fn from_code(code: u8) -> Result<FrameKind, DecodeError> {
        match code {
            0 => Ok(FrameKind::Request),
            1 => Ok(FrameKind::Response),
            2 => Ok(FrameKind::Oneway),
            other => Err(DecodeError::UnknownFrameKind(other)),
        }
    }
}

/// The common header of every frame.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FrameHeader {
    /// Request, response or oneway.
    pub kind: FrameKind,
    /// Which request kind (for a response: the kind it answers).
    pub api_key: u16,
    /// Version of that request kind.
    pub api_version: u16,
    /// Chosen by the requester, echoed by the response.
    pub correlation_id: u32,
}

/// The status head of a response.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResponseHead {
    /// Outcome.
    pub status: Status,
    /// Human-readable detail; empty on success.
    pub error_message: String,
}

/// One frame cut from a byte stream: its header, the response head for responses, and the
/// undecoded body (a slice of the frame's buffer).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RawFrame {
    /// The common header.
    pub header: FrameHeader,
    /// Present for responses.
    pub response: Option<ResponseHead>,
    /// The kind-specific body.
    pub body: Bytes,
}

/// Returns the length of the first whole frame in `buf` (prefix included), `Ok(None)` while it
/// is incomplete, or an error as soon as the prefix announces an over-limit frame.
pub fn split_frame(buf: &[u8]) -> Result<Option<usize>, DecodeError> {
    let Some(prefix) = buf.first_chunk::<FRAME_PREFIX_LEN>() else {
        return Ok(None);
    };
    let len = u32::from_be_bytes(*prefix);
    if len > FRAME_LEN_MAX {
        return Err(DecodeError::FrameTooLong {
            len,
            max: FRAME_LEN_MAX,
        });
    }
    let total = FRAME_PREFIX_LEN + len as usize;
    Ok((buf.len() >= total).then_some(total))
}

/// Parses a frame cut by `split_frame` (length prefix included).
///
/// The length prefix must agree with the slice: a shorter slice is `Truncated`, a longer one
/// has `TrailingBytes`, so bytes of a following frame never leak into this frame's body.
pub fn decode_frame(frame: Bytes) -> Result<RawFrame, DecodeError> {
    let (i, len) = wire::u32(&frame, "length")?;
    if len > FRAME_LEN_MAX {
        return Err(DecodeError::FrameTooLong {
            len,
            max: FRAME_LEN_MAX,
        });
    }
    let len = usize::try_from(len).unwrap_or(usize::MAX);
    if i.len() < len {
        return Err(DecodeError::Truncated { field: "length" });
    }
    if i.len() > len {
        return Err(DecodeError::TrailingBytes {
            count: i.len() - len,
        });
    }
    let (i, kind) = wire::u8(i, "kind")?;
    let kind = FrameKind::from_code(kind)?;
    let (i, api_key) = wire::u16(i, "api_key")?;
    let (i, api_version) = wire::u16(i, "api_version")?;
    let (i, correlation_id) = wire::u32(i, "correlation_id")?;
    let header = FrameHeader {
        kind,
        api_key,
        api_version,
        correlation_id,
    };
    let (i, response) = match kind {
        FrameKind::Response => {
            let (i, code) = wire::u16(i, "status")?;
            let (i, message) = wire::string(i, "error_message", ERROR_MESSAGE_LEN_MAX)?;
            let head = ResponseHead {
                status: Status::from_code(code),
                error_message: message.into(),
            };
            (i, Some(head))
        }
        FrameKind::Request | FrameKind::Oneway => (i, None),
    };
    let body = frame.slice_ref(i);
    Ok(RawFrame {
        header,
        response,
        body,
    })
}

/// Writes a frame whose body is produced by `body`, patching the length prefix afterwards.
///
/// `tail_len` bytes that the caller will send right after this buffer (for example records
/// gathered from the commit log) are counted in the length prefix.
pub fn encode_frame(
    header: &FrameHeader,
    response: Option<&ResponseHead>,
    tail_len: usize,
    out: &mut BytesMut,
    body: impl FnOnce(&mut BytesMut) -> Result<(), EncodeError>,
) -> Result<(), EncodeError> {
    assert_eq!(header.kind == FrameKind::Response, response.is_some());
    let start = out.len();
    out.put_u32(0);
    out.put_u8(header.kind.code());
    out.put_u16(header.api_key);
    out.put_u16(header.api_version);
    out.put_u32(header.correlation_id);
    let result = encode_frame_rest(response, out, body);
    let len = (out.len() - start - FRAME_PREFIX_LEN).saturating_add(tail_len);
    let checked = result.and_then(|()| {
        wire::check_len("frame", len, FRAME_LEN_MAX as usize)?;
        Ok(u32::try_from(len).expect("frame length checked"))
    });
    match checked {
        Ok(len) => {
            out[start..start + FRAME_PREFIX_LEN].copy_from_slice(&len.to_be_bytes());
            Ok(())
        }
        Err(e) => {
            out.truncate(start);
            Err(e)
        }
    }
}

fn encode_frame_rest(
    response: Option<&ResponseHead>,
    out: &mut BytesMut,
    body: impl FnOnce(&mut BytesMut) -> Result<(), EncodeError>,
) -> Result<(), EncodeError> {
    if let Some(head) = response {
        out.put_u16(head.status.code());
        let message = truncate_utf8(&head.error_message, ERROR_MESSAGE_LEN_MAX);
        wire::put_string(out, "error_message", message, ERROR_MESSAGE_LEN_MAX)?;
        if !head.status.carries_body() {
            return Ok(());
        }
    }
    body(out)
}

/// A sans-IO frame accumulator: feed it bytes as they arrive, take whole frames out.
///
/// It holds at most one partial frame plus whatever was fed; an over-limit length prefix is
/// reported as soon as its four bytes are in, before any of the body is awaited.
#[derive(Debug, Default)]
pub struct FrameReader {
    buf: BytesMut,
}

impl FrameReader {
    /// An empty reader.
    pub fn new() -> FrameReader {
        FrameReader::default()
    }

    /// The buffer to read socket bytes into (for `AsyncReadExt::read_buf`).
    pub fn buffer_mut(&mut self) -> &mut BytesMut {
        &mut self.buf
    }

    /// Appends bytes received from the peer.
    pub fn push(&mut self, bytes: &[u8]) {
        self.buf.extend_from_slice(bytes);
    }

    /// Bytes held that do not yet form a whole frame (or frames not yet taken).
    pub fn buffered_len(&self) -> usize {
        self.buf.len()
    }

    /// Takes the next whole frame, `Ok(None)` while it is incomplete.
    pub fn next_frame(&mut self) -> Result<Option<RawFrame>, DecodeError> {
        match split_frame(&self.buf)? {
            Some(len) => decode_frame(self.buf.split_to(len).freeze()).map(Some),
            None => Ok(None),
        }
    }
}

/// Cuts `s` to at most `max` bytes on a character boundary (error messages are advisory).
pub fn truncate_utf8(s: &str, max: usize) -> &str {
    if s.len() <= max {
        return s;
    }
    let mut end = max;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    &s[..end]
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An over-limit length prefix is refused from its first four bytes.
    #[test]
    fn over_limit_prefix_rejected_before_body() {
        let prefix = (FRAME_LEN_MAX + 1).to_be_bytes();
        let err = split_frame(&prefix).unwrap_err();
        assert_eq!(
            err,
            DecodeError::FrameTooLong {
                len: FRAME_LEN_MAX + 1,
                max: FRAME_LEN_MAX
            }
        );
    }

    /// A frame is only cut once all its bytes are there.
    #[test]
    fn split_waits_for_whole_frame() {
        let header = FrameHeader {
            kind: FrameKind::Request,
            api_key: 1,
            api_version: 0,
            correlation_id: 9,
        };
        let mut out = BytesMut::new();
        encode_frame(&header, None, 0, &mut out, |b| {
            b.put_slice(b"xyz");
            Ok(())
        })
        .unwrap();
        for cut in 0..out.len() {
            assert_eq!(split_frame(&out[..cut]), Ok(None));
        }
        assert_eq!(split_frame(&out), Ok(Some(out.len())));
        let frame = decode_frame(out.freeze()).unwrap();
        assert_eq!(frame.header, header);
        assert_eq!(&frame.body[..], b"xyz");
    }

    /// A frame slice whose length prefix disagrees with its size is refused, so bytes of the
    /// next frame never become part of this one's body.
    #[test]
    fn decode_frame_checks_length_prefix() {
        let header = FrameHeader {
            kind: FrameKind::Oneway,
            api_key: 14,
            api_version: 0,
            correlation_id: 3,
        };
        let mut out = BytesMut::new();
        encode_frame(&header, None, 0, &mut out, |b| {
            b.put_slice(b"abc");
            Ok(())
        })
        .unwrap();
        let mut longer = out.clone();
        longer.put_u8(0);
        assert_eq!(
            decode_frame(longer.freeze()),
            Err(DecodeError::TrailingBytes { count: 1 })
        );
        let shorter = out.split_to(out.len() - 1).freeze();
        assert_eq!(
            decode_frame(shorter),
            Err(DecodeError::Truncated { field: "length" })
        );
        let mut huge = BytesMut::new();
        huge.put_u32(FRAME_LEN_MAX + 1);
        huge.put_bytes(0, 9);
        assert!(matches!(
            decode_frame(huge.freeze()),
            Err(DecodeError::FrameTooLong { .. })
        ));
    }

    /// A header with an unknown frame kind is an error naming the kind.
    #[test]
    fn unknown_frame_kind_is_refused() {
        let mut out = BytesMut::new();
        out.put_u32(9);
        out.put_u8(3);
        out.put_bytes(0, 8);
        assert_eq!(
            decode_frame(out.freeze()),
            Err(DecodeError::UnknownFrameKind(3))
        );
    }

    /// An error message over `ERROR_MESSAGE_LEN_MAX` is cut on a character boundary, so a
    /// response with a long message still encodes and decodes.
    #[test]
    fn long_error_message_is_truncated_on_a_char_boundary() {
        let header = FrameHeader {
            kind: FrameKind::Response,
            api_key: 10,
            api_version: 0,
            correlation_id: 1,
        };
        let head = ResponseHead {
            status: Status::SystemError,
            error_message: "é".repeat(ERROR_MESSAGE_LEN_MAX),
        };
        let mut out = BytesMut::new();
        encode_frame(&header, Some(&head), 0, &mut out, |_| Ok(())).unwrap();
        let frame = decode_frame(out.freeze()).unwrap();
        let message = frame.response.unwrap().error_message;
        assert_eq!(message.len(), ERROR_MESSAGE_LEN_MAX);
        assert!(head.error_message.starts_with(&message));
    }

    /// A response whose status carries no body has none, whatever the body writer does.
    #[test]
    fn error_response_has_no_body() {
        let header = FrameHeader {
            kind: FrameKind::Response,
            api_key: 1,
            api_version: 0,
            correlation_id: 9,
        };
        let head = ResponseHead {
            status: Status::SystemBusy,
            error_message: "busy".into(),
        };
        let mut out = BytesMut::new();
        encode_frame(&header, Some(&head), 0, &mut out, |b| {
            b.put_slice(b"ignored");
            Ok(())
        })
        .unwrap();
        let frame = decode_frame(out.freeze()).unwrap();
        assert_eq!(frame.response, Some(head));
        assert!(frame.body.is_empty());
    }
}
