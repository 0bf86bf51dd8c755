//! The command table: every api key, its name and the versions this build speaks.
//!
//! This is the only place api keys are listed. `spec/protocol.md` carries the same table and a
//! tidy test checks that the two agree.

use bytes::{Bytes, BytesMut};

use crate::protocol::error::{DecodeError, EncodeError};

/// A body codec: a request or response body of one api key.
pub trait Body: Sized {
    /// Appends the encoded body to `out`, checking every limit.
    ///
    /// On error `out` may hold part of the body; callers that keep using `out` cut it back
    /// (`encode_frame`, `AnyRequest::encode` and `BodyEncode::encode_body` do).
    fn encode(&self, out: &mut BytesMut) -> Result<(), EncodeError>;
    /// Decodes a whole body; trailing bytes are an error. Byte fields share `body`'s buffer.
    fn decode(body: &Bytes) -> Result<Self, DecodeError>;
}

/// A request body, tied to its api key and response type.
pub trait Request: Body {
    /// The api key this body is sent under.
    const API_KEY: ApiKey;
    /// The body of a successful response.
    type Response: Body;
}

macro_rules! api_keys {
    ($($(#[$doc:meta])* $variant:ident = $code:literal, $name:literal, $max_version:literal;)*) => {
        /// Every request kind.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        #[non_exhaustive]
        pub enum ApiKey {
            $($(#[$doc])* $variant,)*
        }

        impl ApiKey {
            /// Every api key, in code order.
            pub const ALL: &'static [ApiKey] = &[$(ApiKey::$variant,)*];

            /// The wire code.
            pub fn code(self) -> u16 {
                match self { $(ApiKey::$variant => $code,)* }
            }

            /// The api key for a wire code.
            pub fn from_code(code: u16) -> Option<ApiKey> {
                match code { $($code => Some(ApiKey::$variant),)* _ => None }
            }

            /// The name used in `spec/protocol.md`.
            pub fn name(self) -> &'static str {
                match self { $(ApiKey::$variant => $name,)* }
            }

            /// Highest version this build speaks (the lowest is 0 for every key).
            pub fn max_version(self) -> u16 {
                match self { $(ApiKey::$variant => $max_version,)* }
            }
        }
    };
}

api_keys! {
    /// Learn which api keys and versions the peer speaks.
    ApiVersions = 0, "ApiVersions", 0;
    /// Store one message.
    SendMessage = 10, "SendMessage", 0;
    /// Store a batch of messages in one queue.
    SendBatch = 11, "SendBatch", 0;
    /// Read messages of one queue, optionally long-polling.
    Pull = 12, "Pull", 0;
    /// Read a consumer group's committed offset of one queue.
    QueryConsumerOffset = 13, "QueryConsumerOffset", 0;
    /// Commit a consumer group's offset of one queue.
    UpdateConsumerOffset = 14, "UpdateConsumerOffset", 0;
    /// Lowest offset still stored in a queue.
    GetMinOffset = 15, "GetMinOffset", 0;
    /// Offset one past the last message of a queue.
    GetMaxOffset = 16, "GetMaxOffset", 0;
    /// First offset stored at or after a timestamp.
    SearchOffset = 17, "SearchOffset", 0;
    /// Create a topic.
    CreateTopic = 20, "CreateTopic", 0;
    /// Change an existing topic.
    UpdateTopic = 21, "UpdateTopic", 0;
    /// Delete a topic with its queues and offsets.
    DeleteTopic = 22, "DeleteTopic", 0;
    /// A topic's config and per-queue offsets.
    DescribeTopic = 23, "DescribeTopic", 0;
    /// Every topic's config.
    ListTopics = 24, "ListTopics", 0;
    /// Where a topic's queues live.
    QueryRoute = 30, "QueryRoute", 0;
    /// A client announces itself and its groups.
    Heartbeat = 31, "Heartbeat", 0;
    /// A broker announces itself and its topics to a name server.
    RegisterBroker = 40, "RegisterBroker", 0;
    /// A broker shutting down asks a name server to forget it.
    UnregisterBroker = 41, "UnregisterBroker", 0;
    /// Every broker a name server knows.
    GetClusterInfo = 42, "GetClusterInfo", 0;
    /// A slave copies its master's commit log.
    ReplicaFetch = 43, "ReplicaFetch", 0;
    /// A broker's identity, offsets and replication state.
    GetBrokerStatus = 44, "GetBrokerStatus", 0;
    /// One page of a broker's committed consumer offsets.
    GetConsumerOffsets = 45, "GetConsumerOffsets", 0;
    /// The client ids of a consumer group's members, sorted.
    GetConsumerList = 50, "GetConsumerList", 0;
    /// Broker → client: a consumer group's membership changed; rebalance now.
    NotifyConsumerIdsChanged = 51, "NotifyConsumerIdsChanged", 0;
    /// Lock queues for an orderly consumer of a group.
    LockBatch = 52, "LockBatch", 0;
    /// Release queue locks.
    UnlockBatch = 53, "UnlockBatch", 0;
    /// Hand a message that failed to consume back for retry or the dead-letter queue.
    ConsumerSendBack = 54, "ConsumerSendBack", 0;
    /// A client leaves its producer or consumer group.
    UnregisterClient = 55, "UnregisterClient", 0;
    /// Create or change a consumer group's config.
    UpdateSubscriptionGroup = 56, "UpdateSubscriptionGroup", 0;
    /// Delete a consumer group's config (and optionally its offsets).
    DeleteSubscriptionGroup = 57, "DeleteSubscriptionGroup", 0;
    /// Consumer groups' configs, members and per-queue progress.
    DescribeGroups = 58, "DescribeGroups", 0;
    /// Move a consumer group's offsets to a time; broker → members: the new offsets.
    ResetOffset = 59, "ResetOffset", 0;
    /// Find stored messages by key, unique id, commit-log offset or queue offset.
    QueryMessage = 60, "QueryMessage", 0;
    /// Which consumer groups consumed one message.
    TrackMessage = 61, "TrackMessage", 0;
    /// A transaction producer commits, rolls back or defers a half message.
    EndTransaction = 62, "EndTransaction", 0;
    /// The broker asks a producer how a half message's local transaction ended.
    CheckTransactionState = 63, "CheckTransactionState", 0;
}

/// The versions of one api key a peer speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ApiVersionRange {
    /// The api key's wire code.
    pub api_key: u16,
    /// Lowest version spoken.
    pub min_version: u16,
    /// Highest version spoken.
    pub max_version: u16,
}

/// The version ranges this build speaks, for `ApiVersions`.
pub fn supported_versions() -> Vec<ApiVersionRange> {
    ApiKey::ALL
        .iter()
        .map(|k| ApiVersionRange {
            api_key: k.code(),
            min_version: 0,
            max_version: k.max_version(),
        })
        .collect()
}

/// Checks an incoming frame's api key and version against this build's table.
pub fn check_version(api_key: u16, version: u16) -> Result<ApiKey, DecodeError> {
    let key = ApiKey::from_code(api_key).ok_or(DecodeError::UnsupportedApi(api_key))?;
    if version > key.max_version() {
        return Err(DecodeError::UnsupportedVersion { api_key, version });
    }
    Ok(key)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Codes are unique and map back to their key.
    #[test]
    fn codes_are_unique() {
        let mut seen = std::collections::HashSet::new();
        for key in ApiKey::ALL {
            assert!(seen.insert(key.code()), "duplicate code {}", key.code());
            assert_eq!(ApiKey::from_code(key.code()), Some(*key));
        }
        assert_eq!(ApiKey::from_code(9999), None);
    }
}
