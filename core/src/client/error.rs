//! `ClientError`: every way a client call can fail, with a stable numeric code.
//!
//! The C, Python and Node SDKs map errors by [`ClientError::code`]. A code is never reused or
//! renumbered: a retired variant keeps its number reserved.
//!
//! | code | variant | retriable | what to do |
//! |---:|---|---|---|
//! | 1 | `Timeout` | yes | the peer was slow or unreachable; retry or raise the timeout |
//! | 2 | `Connection` | yes | the TCP connection failed or was lost; check the address |
//! | 3 | `Broker` | per status | the broker answered a failure status (`Status::is_retriable`) |
//! | 4 | `NoRoute` | yes | no broker serves the topic; create it or check the name servers |
//! | 5 | `InvalidArgument` | no | fix the argument named in the message |
//! | 6 | `Decode` | no | the peer sent bytes this client cannot read (version mismatch?) |
//! | 7 | `Encode` | no | a value is over a wire limit; fix the value |
//! | 8 | `ShutDown` | no | the client was shut down; create a new one |
//! | 9 | `NotStarted` | no | call `start().await` first |
//! | 10 | `AlreadyStarted` | no | `start` was called twice |
//! | 11 | `UnexpectedResponse` | no | the peer answered with the wrong kind (a peer bug) |

use std::time::Duration;

use crate::protocol::{DecodeError, EncodeError, Status};

/// Why a client call failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ClientError {
    /// The operation did not complete within its time budget.
    #[error("{op} timed out after {elapsed:?}")]
    Timeout {
        /// What timed out (`"send"`, `"connect"`, `"QueryRoute"`…).
        op: &'static str,
        /// Time spent before giving up.
        elapsed: Duration,
    },
    /// A TCP connection could not be made, or was lost with the call pending.
    #[error("connection to {addr} failed: {source}")]
    Connection {
        /// `host:port` of the peer.
        addr: String,
        /// The I/O failure.
        source: std::io::Error,
    },
    /// The broker (or name server) answered with a failure status.
    #[error("{addr} answered {status}: {message}")]
    Broker {
        /// The status of the response.
        status: Status,
        /// The error message of the response.
        message: String,
        /// `host:port` of the peer that answered.
        addr: String,
    },
    /// No broker serves the topic.
    #[error(
        "no route for topic `{topic}` from name servers [{}]; create the topic or check the name servers",
        .name_servers.join(";")
    )]
    NoRoute {
        /// The topic.
        topic: String,
        /// The name servers asked.
        name_servers: Vec<String>,
    },
    /// An argument is invalid (a bad topic or group name, an over-limit body…).
    #[error("invalid argument: {0}")]
    InvalidArgument(String),
    /// A response could not be decoded.
    #[error("could not decode the response: {0}")]
    Decode(#[from] DecodeError),
    /// A request could not be encoded.
    #[error("could not encode the request: {0}")]
    Encode(#[from] EncodeError),
    /// The client was shut down.
    #[error("the client is shut down")]
    ShutDown,
    /// The client was not started.
    #[error("the client is not started; call start().await first")]
    NotStarted,
    /// The client was already started.
    #[error("the client is already started")]
    AlreadyStarted,
    /// The peer answered with a frame of the wrong kind.
    #[error("{addr} answered api key {got} to a request of api key {expected}")]
    UnexpectedResponse {
        /// `host:port` of the peer.
        addr: String,
        /// Api key of the request.
        expected: u16,
        /// Api key of the response.
        got: u16,
    },
}

impl ClientError {
    /// Every code in use, for tables and tests. Codes are never reused.
    pub const CODES: &'static [(u16, &'static str)] = &[
        (1, "Timeout"),
        (2, "Connection"),
        (3, "Broker"),
        (4, "NoRoute"),
        (5, "InvalidArgument"),
        (6, "Decode"),
        (7, "Encode"),
        (8, "ShutDown"),
        (9, "NotStarted"),
        (10, "AlreadyStarted"),
        (11, "UnexpectedResponse"),
    ];

    /// The stable numeric code of this error (see the module table).
    pub fn code(&self) -> u16 {
        match self {
            ClientError::Timeout { .. } => 1,
            ClientError::Connection { .. } => 2,
            ClientError::Broker { .. } => 3,
            ClientError::NoRoute { .. } => 4,
            ClientError::InvalidArgument(_) => 5,
            ClientError::Decode(_) => 6,
            ClientError::Encode(_) => 7,
            ClientError::ShutDown => 8,
            ClientError::NotStarted => 9,
            ClientError::AlreadyStarted => 10,
            ClientError::UnexpectedResponse { .. } => 11,
        }
    }

    /// Whether the same call may succeed if tried again (possibly on another broker).
    pub fn is_retriable(&self) -> bool {
        match self {
            ClientError::Timeout { .. }
            | ClientError::Connection { .. }
            | ClientError::NoRoute { .. } => true,
            ClientError::Broker { status, .. } => status.is_retriable(),
            _ => false,
        }
    }

    /// The broker status, for `Broker` errors.
    pub fn status(&self) -> Option<Status> {
        match self {
            ClientError::Broker { status, .. } => Some(*status),
            _ => None,
        }
    }

    /// A `Connection` error for `addr`.
    pub(crate) fn connection(
        addr: &str,
        kind: std::io::ErrorKind,
        reason: impl Into<String>,
    ) -> ClientError {
        ClientError::Connection {
            addr: addr.to_owned(),
            source: std::io::Error::new(kind, reason.into()),
        }
    }

    /// Whether the error means the topic's route is stale and should be refreshed at once.
    pub(crate) fn is_routing_error(&self) -> bool {
        matches!(self, ClientError::NoRoute { .. })
            || matches!(
                self.status(),
                Some(Status::TopicNotExist | Status::NoPermission | Status::ServiceNotAvailable)
            )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn one_of_each() -> Vec<ClientError> {
        vec![
            ClientError::Timeout {
                op: "send",
                elapsed: Duration::from_millis(5),
            },
            ClientError::connection("a:1", std::io::ErrorKind::ConnectionReset, "reset"),
            ClientError::Broker {
                status: Status::SystemBusy,
                message: "busy".into(),
                addr: "a:1".into(),
            },
            ClientError::NoRoute {
                topic: "t".into(),
                name_servers: vec!["a:1".into()],
            },
            ClientError::InvalidArgument("x".into()),
            ClientError::Decode(DecodeError::UnknownFrameKind(9)),
            ClientError::Encode(EncodeError::Invalid {
                field: "f",
                reason: "r",
            }),
            ClientError::ShutDown,
            ClientError::NotStarted,
            ClientError::AlreadyStarted,
            ClientError::UnexpectedResponse {
                addr: "a:1".into(),
                expected: 1,
                got: 2,
            },
        ]
    }

    /// Codes are unique, listed in `CODES` under the variant's name, and messages are lowercase.
    #[test]
    fn codes_are_unique_and_tabled() {
        let errors = one_of_each();
        assert_eq!(errors.len(), ClientError::CODES.len());
        let mut seen = std::collections::HashSet::new();
        for (e, (code, name)) in errors.iter().zip(ClientError::CODES) {
            assert_eq!(e.code(), *code);
            assert!(seen.insert(e.code()), "duplicate code {}", e.code());
            assert!(format!("{e:?}").starts_with(name), "{name} vs {e:?}");
            let text = e.to_string();
            let first = text.chars().next().unwrap();
            assert!(!first.is_uppercase(), "message starts upper-case: {text}");
        }
    }

    /// Retriability follows the table: transport errors yes, argument errors no, broker per status.
    #[test]
    fn retriable_table() {
        let retriable: Vec<bool> = one_of_each()
            .iter()
            .map(ClientError::is_retriable)
            .collect();
        let expected = [
            true, true, true, true, false, false, false, false, false, false, false,
        ];
        assert_eq!(retriable, expected);
        let illegal = ClientError::Broker {
            status: Status::MessageIllegal,
            message: String::new(),
            addr: "a:1".into(),
        };
        assert!(!illegal.is_retriable());
    }

    /// NoRoute names the topic and every name server asked.
    #[test]
    fn no_route_message_names_topic_and_servers() {
        let e = ClientError::NoRoute {
            topic: "orders".into(),
            name_servers: vec!["a:9876".into(), "b:9876".into()],
        };
        let text = e.to_string();
        assert!(
            text.contains("`orders`") && text.contains("a:9876;b:9876"),
            "{text}"
        );
    }
}
