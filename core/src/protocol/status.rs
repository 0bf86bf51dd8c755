//! The closed table of response status codes.
//!
//! Codes follow RocketMQ's `ResponseCode` numbers where a RocketMQ code exists, so operators
//! recognise them; ferrocket's own codes start at 1000. An unknown code decodes to
//! `Status::Unknown` rather than failing, so an old client can still report a new status.
//! `spec/protocol.md` holds the same table.

/// A response status.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Status {
    /// Success; for sends, `SEND_OK`.
    Ok,
    /// The broker failed in a way the client cannot fix.
    SystemError,
    /// The broker is saturated and answered at once instead of queueing; retry later.
    SystemBusy,
    /// The api key is not served by this peer.
    UnsupportedApi,
    /// Stored, but the SYNC_FLUSH fdatasync did not finish in time.
    FlushDiskTimeout,
    /// Stored on the master, but no slave is connected or it is too far behind.
    SlaveNotAvailable,
    /// Stored on the master, but the slave did not confirm in time.
    FlushSlaveTimeout,
    /// The message is malformed or over a limit.
    MessageIllegal,
    /// The broker cannot serve this request now (shutting down, slave asked to write).
    ServiceNotAvailable,
    /// The api key is served, but not at the version asked.
    UnsupportedVersion,
    /// The topic or broker does not permit this operation.
    NoPermission,
    /// The topic does not exist (and was not auto-created).
    TopicNotExist,
    /// The topic already exists.
    TopicExistAlready,
    /// Nothing was found for the query.
    QueryNotFound,
    /// The subscription expression could not be parsed.
    SubscriptionParseFailed,
    /// The consumer group has no subscription-group config on this broker (and auto-creation
    /// is off, or the operation needs an existing group).
    SubscriptionGroupNotExist,
    /// A request field is outside its documented range (bad name, bad queue id).
    InvalidParameter,
    /// The request bytes could not be decoded.
    MalformedRequest,
    /// The store is over its refuse threshold; writes are refused until space is freed.
    StoreFull,
    /// The request timed out inside the broker.
    RequestTimeout,
    /// A code this side does not know.
    Unknown(u16),
}

impl Status {
    /// The wire code.
    pub fn code(self) -> u16 {
        match self {
            Status::Ok => 0,
            Status::SystemError => 1,
            Status::SystemBusy => 2,
            Status::UnsupportedApi => 3,
            Status::FlushDiskTimeout => 10,
            Status::SlaveNotAvailable => 11,
            Status::FlushSlaveTimeout => 12,
            Status::MessageIllegal => 13,
            Status::ServiceNotAvailable => 14,
            Status::UnsupportedVersion => 15,
            Status::NoPermission => 16,
            Status::TopicNotExist => 17,
            Status::TopicExistAlready => 18,
            Status::QueryNotFound => 22,
            Status::SubscriptionParseFailed => 23,
            Status::SubscriptionGroupNotExist => 26,
            Status::InvalidParameter => 29,
            Status::MalformedRequest => 1000,
            Status::StoreFull => 1001,
            Status::RequestTimeout => 1002,
            Status::Unknown(code) => code,
        }
    }

    /// The status for a wire code; unknown codes are kept as `Unknown`.
    pub fn from_code(code: u16) -> Status {
        match code {
            0 => Status::Ok,
            1 => Status::SystemError,
            2 => Status::SystemBusy,
            3 => Status::UnsupportedApi,
            10 => Status::FlushDiskTimeout,
            11 => Status::SlaveNotAvailable,
            12 => Status::FlushSlaveTimeout,
            13 => Status::MessageIllegal,
            14 => Status::ServiceNotAvailable,
            15 => Status::UnsupportedVersion,
            16 => Status::NoPermission,
            17 => Status::TopicNotExist,
            18 => Status::TopicExistAlready,
            22 => Status::QueryNotFound,
            23 => Status::SubscriptionParseFailed,
            26 => Status::SubscriptionGroupNotExist,
            29 => Status::InvalidParameter,
            1000 => Status::MalformedRequest,
            1001 => Status::StoreFull,
            1002 => Status::RequestTimeout,
            other => Status::Unknown(other),
        }
    }

    /// The upper-case name used in `spec/protocol.md` and in error messages.
    pub fn name(self) -> &'static str {
        match self {
            Status::Ok => "OK",
            Status::SystemError => "SYSTEM_ERROR",
            Status::SystemBusy => "SYSTEM_BUSY",
            Status::UnsupportedApi => "UNSUPPORTED_API",
            Status::FlushDiskTimeout => "FLUSH_DISK_TIMEOUT",
            Status::SlaveNotAvailable => "SLAVE_NOT_AVAILABLE",
            Status::FlushSlaveTimeout => "FLUSH_SLAVE_TIMEOUT",
            Status::MessageIllegal => "MESSAGE_ILLEGAL",
            Status::ServiceNotAvailable => "SERVICE_NOT_AVAILABLE",
            Status::UnsupportedVersion => "UNSUPPORTED_VERSION",
            Status::NoPermission => "NO_PERMISSION",
            Status::TopicNotExist => "TOPIC_NOT_EXIST",
            Status::TopicExistAlready => "TOPIC_EXIST_ALREADY",
            Status::QueryNotFound => "QUERY_NOT_FOUND",
            Status::SubscriptionParseFailed => "SUBSCRIPTION_PARSE_FAILED",
            Status::SubscriptionGroupNotExist => "SUBSCRIPTION_GROUP_NOT_EXIST",
            Status::InvalidParameter => "INVALID_PARAMETER",
            Status::MalformedRequest => "MALFORMED_REQUEST",
            Status::StoreFull => "STORE_FULL",
            Status::RequestTimeout => "REQUEST_TIMEOUT",
            Status::Unknown(_) => "UNKNOWN",
        }
    }

    /// Whether a response with this status carries the kind's response body.
    ///
    /// Only `OK` does, plus the three statuses that mean "stored, but not as durably as asked",
    /// which still report where the message went.
    pub fn carries_body(self) -> bool {
        matches!(
            self,
            Status::Ok
                | Status::FlushDiskTimeout
                | Status::SlaveNotAvailable
                | Status::FlushSlaveTimeout
        )
    }

    /// Whether a client may retry the same request (possibly on another broker) and expect a
    /// different outcome (RocketMQ's `retryResponseCodes`).
    pub fn is_retriable(self) -> bool {
        matches!(
            self,
            Status::SystemError
                | Status::SystemBusy
                | Status::ServiceNotAvailable
                | Status::NoPermission
                | Status::TopicNotExist
                | Status::StoreFull
                | Status::RequestTimeout
        )
    }

    /// Every known status, in code order (for tables and tests).
    pub const ALL: [Status; 20] = [
        Status::Ok,
        Status::SystemError,
        Status::SystemBusy,
        Status::UnsupportedApi,
        Status::FlushDiskTimeout,
        Status::SlaveNotAvailable,
        Status::FlushSlaveTimeout,
        Status::MessageIllegal,
        Status::ServiceNotAvailable,
        Status::UnsupportedVersion,
        Status::NoPermission,
        Status::TopicNotExist,
        Status::TopicExistAlready,
        Status::QueryNotFound,
        Status::SubscriptionParseFailed,
        Status::SubscriptionGroupNotExist,
        Status::InvalidParameter,
        Status::MalformedRequest,
        Status::StoreFull,
        Status::RequestTimeout,
    ];
}

impl std::fmt::Display for Status {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}({})", self.name(), self.code())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every known code maps back to itself, and unknown codes survive a round trip.
    #[test]
    fn codes_roundtrip() {
        for status in Status::ALL {
            assert_eq!(Status::from_code(status.code()), status);
        }
        assert_eq!(Status::from_code(4242), Status::Unknown(4242));
        assert_eq!(Status::Unknown(4242).code(), 4242);
    }
}
