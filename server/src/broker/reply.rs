//! What a handler answers: a status, an error message and a body, turned into frame bytes
//! (with pull records gathered from the commit log as separate chunks, never copied).

use bytes::{Bytes, BytesMut};
use ferrocket::protocol::frame::{self, FrameHeader, FrameKind, ResponseHead};
use ferrocket::protocol::{BodyEncode, EncodeError, PullResponse, Status};

/// A response body.
pub enum ReplyBody {
    /// No body (errors, or kinds whose response is empty).
    None,
    /// An encodable body.
    Body(Box<dyn BodyEncode + Send>),
    /// A pull response whose records are sent as they are stored.
    Pull(Box<PullBody>),
    /// A body whose last field's bytes are sent as they are stored (replication data).
    Gathered(Box<GatheredBody>),
}

/// A body made of encoded fields (`head`, ending with the length of what follows) and
/// zero-copy chunks sent right after them.
#[derive(Debug)]
pub struct GatheredBody {
    /// The encoded fields before the chunks.
    pub head: Bytes,
    /// Bytes sent as they are.
    pub tail: Vec<Bytes>,
}

/// A pull response with its records kept as zero-copy chunks of the commit log.
#[derive(Debug)]
pub struct PullBody {
    /// Every field but the records.
    pub head: PullResponse,
    /// Stored records, back to back.
    pub records: Vec<Bytes>,
    /// Their total length.
    pub records_len: usize,
}

impl std::fmt::Debug for ReplyBody {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ReplyBody::None => f.write_str("None"),
            ReplyBody::Body(_) => f.write_str("Body"),
            ReplyBody::Pull(pull) => write!(f, "Pull({} bytes)", pull.records_len),
            ReplyBody::Gathered(body) => write!(f, "Gathered({} chunks)", body.tail.len()),
        }
    }
}

/// A handler's answer.
#[derive(Debug)]
pub struct Reply {
    /// Outcome.
    pub status: Status,
    /// Detail for the client; empty on success.
    pub message: String,
    /// Body, sent only when the status carries one.
    pub body: ReplyBody,
}

impl Reply {
    /// Success with a body.
    pub fn ok(body: impl BodyEncode + Send + 'static) -> Reply {
        Reply {
            status: Status::Ok,
            message: String::new(),
            body: ReplyBody::Body(Box::new(body)),
        }
    }

    /// A status with a body (a send stored less durably than asked).
    pub fn with_status(
        status: Status,
        message: String,
        body: impl BodyEncode + Send + 'static,
    ) -> Reply {
        Reply {
            status,
            message,
            body: ReplyBody::Body(Box::new(body)),
        }
    }

    /// Success with the empty body.
    pub fn empty() -> Reply {
        Reply::ok(ferrocket::protocol::Empty)
    }

    /// An error status with a message for the client.
    pub fn error(status: Status, message: impl Into<String>) -> Reply {
        Reply {
            status,
            message: message.into(),
            body: ReplyBody::None,
        }
    }
}

/// An encoded frame ready for the socket: the header and small body, then zero-copy chunks.
#[derive(Debug)]
pub struct Outgoing {
    /// Frame header and body bytes.
    pub head: Bytes,
    /// Bytes sent right after `head` (stored records).
    pub tail: Vec<Bytes>,
}

/// Encodes `reply` as the response to `request`.
pub fn encode_reply(request: &FrameHeader, reply: Reply) -> Result<Outgoing, EncodeError> {
    let header = FrameHeader {
        kind: FrameKind::Response,
        ..*request
    };
    let head = ResponseHead {
        status: reply.status,
        error_message: reply.message,
    };
    let mut out = BytesMut::new();
    let carries = reply.status.carries_body();
    match reply.body {
        ReplyBody::Pull(pull) if carries => {
            let PullBody {
                head: pull,
                records,
                records_len,
            } = *pull;
            frame::encode_frame(&header, Some(&head), records_len, &mut out, |out| {
                pull.encode_head(records_len, out)
            })?;
            Ok(Outgoing {
                head: out.freeze(),
                tail: records,
            })
        }
        ReplyBody::Gathered(body) if carries => {
            let GatheredBody { head: fields, tail } = *body;
            let tail_len = tail.iter().map(Bytes::len).sum();
            frame::encode_frame(&header, Some(&head), tail_len, &mut out, |out| {
                out.extend_from_slice(&fields);
                Ok(())
            })?;
            Ok(Outgoing {
                head: out.freeze(),
                tail,
            })
        }
        ReplyBody::Body(body) if carries => {
            frame::encode_frame(&header, Some(&head), 0, &mut out, |out| {
                body.encode_body(out)
            })?;
            Ok(Outgoing {
                head: out.freeze(),
                tail: Vec::new(),
            })
        }
        _ => {
            frame::encode_frame(&header, Some(&head), 0, &mut out, |_| Ok(()))?;
            Ok(Outgoing {
                head: out.freeze(),
                tail: Vec::new(),
            })
        }
    }
}
