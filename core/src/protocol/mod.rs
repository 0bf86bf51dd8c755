//! The sans-IO wire codec: frames, the command table, one module per request kind, and the
//! message record.
//!
//! Nothing here does I/O, reads a clock or panics on peer input. Decoding is two-stage: cut a
//! whole frame by its length prefix (`split_frame`, which rejects an over-limit length before
//! the body arrives), then parse the complete slice (`decode_frame`, then the kind's
//! `Body::decode`). Every length and count is checked against `crate::limits` before anything
//! is allocated, and encoding checks the same limits. `spec/protocol.md` is the contract.

pub mod api;
pub mod api_versions;
pub mod check_transaction_state;
pub mod consumer_send_back;
pub mod create_topic;
pub mod delete_subscription_group;
pub mod delete_topic;
pub mod describe_groups;
pub mod describe_topic;
pub mod end_transaction;
pub mod error;
pub mod frame;
pub mod get_broker_status;
pub mod get_cluster_info;
pub mod get_consumer_list;
pub mod get_consumer_offsets;
pub mod get_max_offset;
pub mod get_min_offset;
pub mod heartbeat;
pub mod list_topics;
pub mod lock_batch;
pub mod notify_consumer_ids_changed;
pub mod offset_common;
pub mod pull;
pub mod query_consumer_offset;
pub mod query_message;
pub mod query_route;
pub mod record;
pub mod register_broker;
pub mod replica_fetch;
pub mod reset_offset;
pub mod search_offset;
pub mod send_batch;
pub mod send_message;
pub mod status;
pub mod track_message;
pub mod types;
pub mod unlock_batch;
pub mod unregister_broker;
pub mod unregister_client;
pub mod update_consumer_offset;
pub mod update_subscription_group;
pub mod update_topic;
pub mod wire;

#[cfg(test)]
pub(crate) mod testkit;

use bytes::{Bytes, BytesMut};

pub use api::{ApiKey, ApiVersionRange, Body, Request};
pub use api_versions::{ApiVersionsRequest, ApiVersionsResponse};
pub use check_transaction_state::CheckTransactionStateRequest;
pub use consumer_send_back::ConsumerSendBackRequest;
pub use create_topic::CreateTopicRequest;
pub use delete_subscription_group::DeleteSubscriptionGroupRequest;
pub use delete_topic::DeleteTopicRequest;
pub use describe_groups::{
    DESCRIBE_MEMBERS, DESCRIBE_PROGRESS, DescribeGroupsRequest, DescribeGroupsResponse,
    GroupDescription, GroupMember, NO_CONSUMER_OFFSET, QueueProgress,
};
pub use describe_topic::{DescribeTopicRequest, DescribeTopicResponse, QueueStatus};
pub use end_transaction::{EndTransactionRequest, TransactionResolution};
pub use error::{DecodeError, EncodeError};
pub use frame::{
    FrameHeader, FrameKind, FrameReader, RawFrame, ResponseHead, decode_frame, split_frame,
};
pub use get_broker_status::{BrokerStatus, GetBrokerStatusRequest, SlaveStatus};
pub use get_cluster_info::{BrokerLiveInfo, ClusterInfo, GetClusterInfoRequest};
pub use get_consumer_list::{ConsumerListResponse, GetConsumerListRequest};
pub use get_consumer_offsets::{
    ConsumerOffsetEntry, ConsumerOffsetsPage, GetConsumerOffsetsRequest,
};
pub use get_max_offset::GetMaxOffsetRequest;
pub use get_min_offset::GetMinOffsetRequest;
pub use heartbeat::{ConsumerData, HeartbeatRequest};
pub use list_topics::{ListTopicsRequest, ListTopicsResponse};
pub use lock_batch::{LockBatchRequest, LockBatchResponse, LockQueue};
pub use notify_consumer_ids_changed::NotifyConsumerIdsChangedRequest;
pub use offset_common::OffsetResponse;
pub use pull::{PullRequest, PullResponse};
pub use query_consumer_offset::QueryConsumerOffsetRequest;
pub use query_message::{QueryBy, QueryMessageRequest, QueryMessageResponse};
pub use query_route::{BrokerData, QueryRouteRequest, QueueData, TopicRoute};
pub use register_broker::{BrokerRole, RegisterBrokerRequest, RegisterBrokerResponse};
pub use replica_fetch::{ReplicaFetchRequest, ReplicaFetchResponse};
pub use reset_offset::{QueueOffset, ResetOffsetRequest, ResetOffsetResponse};
pub use search_offset::SearchOffsetRequest;
pub use send_batch::SendBatchRequest;
pub use send_message::{SendMessageRequest, SendResponse};
pub use status::Status;
pub use track_message::{GroupTrack, TrackMessageRequest, TrackMessageResponse, TrackState};
pub use types::{
    ConsumeFrom, ConsumeType, Empty, ExpressionType, MessageModel, PERM_READ, PERM_WRITE,
    PullStatus, Subscription, TopicConfig,
};
pub use unlock_batch::UnlockBatchRequest;
pub use unregister_broker::UnregisterBrokerRequest;
pub use unregister_client::UnregisterClientRequest;
pub use update_consumer_offset::UpdateConsumerOffsetRequest;
pub use update_subscription_group::{
    GroupWriteMode, SubscriptionGroupConfig, UpdateSubscriptionGroupRequest,
};
pub use update_topic::UpdateTopicRequest;

macro_rules! any_request {
    ($($variant:ident($ty:ty),)*) => {
        /// Any request body, as decoded by a server.
        #[derive(Debug, Clone, PartialEq, Eq)]
        #[non_exhaustive]
        pub enum AnyRequest {
            $(#[doc = concat!("A `", stringify!($variant), "` request.")] $variant($ty),)*
        }

        impl AnyRequest {
            /// Decodes the body of a request frame with the given api key and version.
            pub fn decode(api_key: u16, api_version: u16, body: &Bytes) -> Result<AnyRequest, DecodeError> {
                let key = api::check_version(api_key, api_version)?;
                match key {
                    $(ApiKey::$variant => Ok(AnyRequest::$variant(<$ty as Body>::decode(body)?)),)*
                }
            }

            /// The api key of this request.
            pub fn api_key(&self) -> ApiKey {
                match self { $(AnyRequest::$variant(_) => ApiKey::$variant,)* }
            }

            /// Encodes the body; on error `out` is left as it was.
            pub fn encode(&self, out: &mut BytesMut) -> Result<(), EncodeError> {
                match self { $(AnyRequest::$variant(body) => body.encode_body(out),)* }
            }
        }

        $(
            const _: () = assert!(matches!(<$ty as Request>::API_KEY, ApiKey::$variant));
        )*
    };
}

any_request! {
    ApiVersions(ApiVersionsRequest),
    SendMessage(SendMessageRequest),
    SendBatch(SendBatchRequest),
    Pull(PullRequest),
    QueryConsumerOffset(QueryConsumerOffsetRequest),
    UpdateConsumerOffset(UpdateConsumerOffsetRequest),
    GetMinOffset(GetMinOffsetRequest),
    GetMaxOffset(GetMaxOffsetRequest),
    SearchOffset(SearchOffsetRequest),
    CreateTopic(CreateTopicRequest),
    UpdateTopic(UpdateTopicRequest),
    DeleteTopic(DeleteTopicRequest),
    DescribeTopic(DescribeTopicRequest),
    ListTopics(ListTopicsRequest),
    QueryRoute(QueryRouteRequest),
    Heartbeat(HeartbeatRequest),
    RegisterBroker(RegisterBrokerRequest),
    UnregisterBroker(UnregisterBrokerRequest),
    GetClusterInfo(GetClusterInfoRequest),
    ReplicaFetch(ReplicaFetchRequest),
    GetBrokerStatus(GetBrokerStatusRequest),
    GetConsumerOffsets(GetConsumerOffsetsRequest),
    GetConsumerList(GetConsumerListRequest),
    NotifyConsumerIdsChanged(NotifyConsumerIdsChangedRequest),
    LockBatch(LockBatchRequest),
    UnlockBatch(UnlockBatchRequest),
    ConsumerSendBack(ConsumerSendBackRequest),
    UnregisterClient(UnregisterClientRequest),
    UpdateSubscriptionGroup(UpdateSubscriptionGroupRequest),
    DeleteSubscriptionGroup(DeleteSubscriptionGroupRequest),
    DescribeGroups(DescribeGroupsRequest),
    ResetOffset(ResetOffsetRequest),
    QueryMessage(QueryMessageRequest),
    TrackMessage(TrackMessageRequest),
    EndTransaction(EndTransactionRequest),
    CheckTransactionState(CheckTransactionStateRequest),
}

/// Encodes a whole request frame.
pub fn encode_request<R: Request>(
    kind: FrameKind,
    correlation_id: u32,
    request: &R,
    out: &mut BytesMut,
) -> Result<(), EncodeError> {
    assert!(kind != FrameKind::Response);
    let header = FrameHeader {
        kind,
        api_key: R::API_KEY.code(),
        api_version: R::API_KEY.max_version(),
        correlation_id,
    };
    frame::encode_frame(&header, None, 0, out, |out| request.encode(out))
}

/// Encodes a whole response frame answering `request`; `body` is written only when the status
/// carries a body.
pub fn encode_response(
    request: &FrameHeader,
    head: &ResponseHead,
    body: Option<&dyn BodyEncode>,
    out: &mut BytesMut,
) -> Result<(), EncodeError> {
    let header = FrameHeader {
        kind: FrameKind::Response,
        ..*request
    };
    frame::encode_frame(&header, Some(head), 0, out, |out| match body {
        Some(body) => body.encode_body(out),
        None => Ok(()),
    })
}

/// Object-safe encoding of any body, for servers answering many kinds.
pub trait BodyEncode {
    /// Appends the encoded body; on error `out` is left as it was.
    fn encode_body(&self, out: &mut BytesMut) -> Result<(), EncodeError>;
}

impl<T: Body> BodyEncode for T {
    fn encode_body(&self, out: &mut BytesMut) -> Result<(), EncodeError> {
        let start = out.len();
        let result = self.encode(out);
        if result.is_err() {
            out.truncate(start);
        }
        result
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::testkit::{self, samples};

    /// Unknown api keys and versions decode to the errors the server answers with
    /// `UNSUPPORTED_API` and `UNSUPPORTED_VERSION`, and every known key dispatches to its kind.
    #[test]
    fn any_request_dispatches_by_api_key() {
        let body = Bytes::new();
        assert_eq!(
            AnyRequest::decode(9999, 0, &body),
            Err(DecodeError::UnsupportedApi(9999))
        );
        assert_eq!(
            AnyRequest::decode(10, 1, &body),
            Err(DecodeError::UnsupportedVersion {
                api_key: 10,
                version: 1
            })
        );
        for sample in testkit::catalog::all() {
            let testkit::catalog::Content::Request { body, .. } = sample.content else {
                continue;
            };
            let mut out = BytesMut::new();
            body.encode(&mut out).unwrap();
            let decoded = AnyRequest::decode(body.api_key().code(), 0, &out.freeze());
            assert_eq!(decoded, Ok(body));
        }
    }

    /// A failed encode leaves the buffer as it was, through `AnyRequest::encode`,
    /// `BodyEncode::encode_body` and the frame encoders alike.
    #[test]
    fn failed_encode_leaves_buffer_unchanged() {
        let mut bad = samples::send_message_request();
        bad.topic = testkit::long(crate::limits::TOPIC_LEN_MAX + 1);
        let mut out = BytesMut::from(&b"keep"[..]);
        assert!(
            AnyRequest::SendMessage(bad.clone())
                .encode(&mut out)
                .is_err()
        );
        assert_eq!(&out[..], b"keep");
        assert!(bad.encode_body(&mut out).is_err());
        assert_eq!(&out[..], b"keep");
        testkit::assert_request_refused(&bad, "topic");
    }
}
