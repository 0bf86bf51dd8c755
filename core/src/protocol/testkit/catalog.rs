//! The catalogue of golden vectors: for each file of `spec/vectors/`, its name, description,
//! correlation id and the Rust value it must hold (from `samples`), plus `AnyResponse`, the
//! response body of any api key.

use bytes::Bytes;

use crate::message::MessageExt;
use crate::protocol::api::{ApiKey, Body, Request};
use crate::protocol::error::DecodeError;
use crate::protocol::frame::{FrameKind, ResponseHead};
use crate::protocol::record::{OFF_PAYLOAD_CRC, read_u32};
use crate::protocol::status::Status;
use crate::protocol::testkit::samples as s;
use crate::protocol::types::Empty;
use crate::protocol::{
    AnyRequest, ApiVersionsRequest, ApiVersionsResponse, BodyEncode, CreateTopicRequest,
    DeleteTopicRequest, DescribeTopicRequest, DescribeTopicResponse, GetMaxOffsetRequest,
    GetMinOffsetRequest, HeartbeatRequest, ListTopicsRequest, ListTopicsResponse, OffsetResponse,
    PullRequest, PullResponse, QueryConsumerOffsetRequest, QueryRouteRequest, SearchOffsetRequest,
    SendBatchRequest, SendMessageRequest, SendResponse, TopicRoute, UpdateConsumerOffsetRequest,
    UpdateTopicRequest,
};
use crate::protocol::{
    BrokerStatus, CheckTransactionStateRequest, ClusterInfo, ConsumerListResponse,
    ConsumerOffsetsPage, ConsumerSendBackRequest, EndTransactionRequest, GetBrokerStatusRequest,
    GetClusterInfoRequest, GetConsumerListRequest, GetConsumerOffsetsRequest, LockBatchRequest,
    LockBatchResponse, NotifyConsumerIdsChangedRequest, QueryMessageRequest, QueryMessageResponse,
    RegisterBrokerRequest, RegisterBrokerResponse, ReplicaFetchRequest, ReplicaFetchResponse,
    TrackMessageRequest, TrackMessageResponse, UnlockBatchRequest, UnregisterBrokerRequest,
    UnregisterClientRequest,
};
use crate::protocol::{
    DeleteSubscriptionGroupRequest, DescribeGroupsRequest, DescribeGroupsResponse,
    ResetOffsetRequest, ResetOffsetResponse, UpdateSubscriptionGroupRequest,
};

/// Any response body, chosen by the api key it answers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum AnyResponse {
    ApiVersions(ApiVersionsResponse),
    Send(SendResponse),
    Pull(PullResponse),
    Offset(OffsetResponse),
    Empty(Empty),
    DescribeTopic(DescribeTopicResponse),
    ListTopics(ListTopicsResponse),
    Route(TopicRoute),
    Register(RegisterBrokerResponse),
    ClusterInfo(ClusterInfo),
    ReplicaFetch(ReplicaFetchResponse),
    BrokerStatus(BrokerStatus),
    ConsumerOffsets(ConsumerOffsetsPage),
    QueryMessage(QueryMessageResponse),
    Track(TrackMessageResponse),
    ConsumerList(ConsumerListResponse),
    LockBatch(LockBatchResponse),
    DescribeGroups(DescribeGroupsResponse),
    ResetOffset(ResetOffsetResponse),
}

fn decode_as<R: Request>(
    body: &Bytes,
    wrap: fn(R::Response) -> AnyResponse,
) -> Result<AnyResponse, DecodeError> {
    <R::Response as Body>::decode(body).map(wrap)
}

impl AnyResponse {
    /// Decodes the body of an `OK` response to `key` with that key's `Request::Response` type.
    pub(crate) fn decode(key: ApiKey, body: &Bytes) -> Result<AnyResponse, DecodeError> {
        use AnyResponse as A;
        match key {
            ApiKey::ApiVersions => decode_as::<ApiVersionsRequest>(body, A::ApiVersions),
            ApiKey::SendMessage => decode_as::<SendMessageRequest>(body, A::Send),
            ApiKey::SendBatch => decode_as::<SendBatchRequest>(body, A::Send),
            ApiKey::Pull => decode_as::<PullRequest>(body, A::Pull),
            ApiKey::QueryConsumerOffset => decode_as::<QueryConsumerOffsetRequest>(body, A::Offset),
            ApiKey::UpdateConsumerOffset => {
                decode_as::<UpdateConsumerOffsetRequest>(body, A::Empty)
            }
            ApiKey::GetMinOffset => decode_as::<GetMinOffsetRequest>(body, A::Offset),
            ApiKey::GetMaxOffset => decode_as::<GetMaxOffsetRequest>(body, A::Offset),
            ApiKey::SearchOffset => decode_as::<SearchOffsetRequest>(body, A::Offset),
            ApiKey::CreateTopic => decode_as::<CreateTopicRequest>(body, A::Empty),
            ApiKey::UpdateTopic => decode_as::<UpdateTopicRequest>(body, A::Empty),
            ApiKey::DeleteTopic => decode_as::<DeleteTopicRequest>(body, A::Empty),
            ApiKey::DescribeTopic => decode_as::<DescribeTopicRequest>(body, A::DescribeTopic),
            ApiKey::ListTopics => decode_as::<ListTopicsRequest>(body, A::ListTopics),
            ApiKey::QueryRoute => decode_as::<QueryRouteRequest>(body, A::Route),
            ApiKey::Heartbeat => decode_as::<HeartbeatRequest>(body, A::Empty),
            ApiKey::RegisterBroker => decode_as::<RegisterBrokerRequest>(body, A::Register),
            ApiKey::UnregisterBroker => decode_as::<UnregisterBrokerRequest>(body, A::Empty),
            ApiKey::GetClusterInfo => decode_as::<GetClusterInfoRequest>(body, A::ClusterInfo),
            ApiKey::ReplicaFetch => decode_as::<ReplicaFetchRequest>(body, A::ReplicaFetch),
            ApiKey::GetBrokerStatus => decode_as::<GetBrokerStatusRequest>(body, A::BrokerStatus),
            ApiKey::GetConsumerOffsets => {
                decode_as::<GetConsumerOffsetsRequest>(body, A::ConsumerOffsets)
            }
            ApiKey::QueryMessage => decode_as::<QueryMessageRequest>(body, A::QueryMessage),
            ApiKey::TrackMessage => decode_as::<TrackMessageRequest>(body, A::Track),
            ApiKey::EndTransaction => decode_as::<EndTransactionRequest>(body, A::Empty),
            ApiKey::CheckTransactionState => {
                decode_as::<CheckTransactionStateRequest>(body, A::Empty)
            }
            ApiKey::GetConsumerList => decode_as::<GetConsumerListRequest>(body, A::ConsumerList),
            ApiKey::NotifyConsumerIdsChanged => {
                decode_as::<NotifyConsumerIdsChangedRequest>(body, A::Empty)
            }
            ApiKey::LockBatch => decode_as::<LockBatchRequest>(body, A::LockBatch),
            ApiKey::UnlockBatch => decode_as::<UnlockBatchRequest>(body, A::Empty),
            ApiKey::ConsumerSendBack => decode_as::<ConsumerSendBackRequest>(body, A::Empty),
            ApiKey::UnregisterClient => decode_as::<UnregisterClientRequest>(body, A::Empty),
            ApiKey::UpdateSubscriptionGroup => {
                decode_as::<UpdateSubscriptionGroupRequest>(body, A::Empty)
            }
            ApiKey::DeleteSubscriptionGroup => {
                decode_as::<DeleteSubscriptionGroupRequest>(body, A::Empty)
            }
            ApiKey::DescribeGroups => decode_as::<DescribeGroupsRequest>(body, A::DescribeGroups),
            ApiKey::ResetOffset => decode_as::<ResetOffsetRequest>(body, A::ResetOffset),
        }
    }

    /// The body as an object-safe encoder.
    pub(crate) fn as_body(&self) -> &dyn BodyEncode {
        match self {
            AnyResponse::ApiVersions(b) => b,
            AnyResponse::Send(b) => b,
            AnyResponse::Pull(b) => b,
            AnyResponse::Offset(b) => b,
            AnyResponse::Empty(b) => b,
            AnyResponse::DescribeTopic(b) => b,
            AnyResponse::ListTopics(b) => b,
            AnyResponse::Route(b) => b,
            AnyResponse::Register(b) => b,
            AnyResponse::ClusterInfo(b) => b,
            AnyResponse::ReplicaFetch(b) => b,
            AnyResponse::BrokerStatus(b) => b,
            AnyResponse::ConsumerOffsets(b) => b,
            AnyResponse::QueryMessage(b) => b,
            AnyResponse::Track(b) => b,
            AnyResponse::ConsumerList(b) => b,
            AnyResponse::LockBatch(b) => b,
            AnyResponse::DescribeGroups(b) => b,
            AnyResponse::ResetOffset(b) => b,
        }
    }
}

/// What a vector holds.
#[derive(Debug, Clone)]
pub(crate) enum Content {
    /// A request (or oneway) frame.
    Request { kind: FrameKind, body: AnyRequest },
    /// A response frame; `body` is `None` when the status carries none.
    Response {
        api_key: ApiKey,
        head: ResponseHead,
        body: Option<AnyResponse>,
    },
    /// The first sample record, as stored.
    Record,
}

/// One golden vector's source.
#[derive(Debug, Clone)]
pub(crate) struct Sample {
    pub name: &'static str,
    pub description: &'static str,
    pub correlation_id: u32,
    pub content: Content,
}

type RequestRow = (&'static str, u32, &'static str, fn() -> AnyRequest);
type ResponseRow = (&'static str, u32, &'static str, ApiKey, fn() -> AnyResponse);

const REQUESTS: &[RequestRow] = &[
    (
        "api_versions_request",
        1,
        "A client announces its software and that it speaks SendMessage up to v1 and Pull v1 to v2.",
        || AnyRequest::ApiVersions(s::api_versions_request()),
    ),
    (
        "send_message_request",
        7,
        "A producer sends one fully populated record to queue 3 of topic orders.",
        || AnyRequest::SendMessage(s::send_message_request()),
    ),
    (
        "send_batch_request",
        8,
        "A producer sends two records to queue 3 of topic orders in one batch.",
        || AnyRequest::SendBatch(s::send_batch_request()),
    ),
    (
        "pull_request",
        9,
        "A consumer pulls from offset 42 with a tag filter, a 15 s long poll and a piggy-backed commit of offset 40.",
        || AnyRequest::Pull(s::pull_request()),
    ),
    (
        "query_consumer_offset_request",
        10,
        "A consumer asks for its group's committed offset of queue 3.",
        || AnyRequest::QueryConsumerOffset(s::query_consumer_offset_request()),
    ),
    (
        "update_consumer_offset_request",
        11,
        "A consumer commits offset 44 of queue 3 for its group.",
        || AnyRequest::UpdateConsumerOffset(s::update_consumer_offset_request()),
    ),
    (
        "get_min_offset_request",
        12,
        "A client asks for the lowest stored offset of queue 3.",
        || AnyRequest::GetMinOffset(s::get_min_offset_request()),
    ),
    (
        "get_max_offset_request",
        13,
        "A client asks for the offset one past the last message of queue 3.",
        || AnyRequest::GetMaxOffset(s::get_max_offset_request()),
    ),
    (
        "search_offset_request",
        14,
        "A client asks for the first offset of queue 3 stored at or after a timestamp.",
        || AnyRequest::SearchOffset(s::search_offset_request()),
    ),
    (
        "create_topic_request",
        15,
        "An admin creates an ordered read-write topic with 8 queues.",
        || AnyRequest::CreateTopic(s::create_topic_request()),
    ),
    (
        "update_topic_request",
        16,
        "An admin makes a topic read-only with 16 read and 12 write queues.",
        || AnyRequest::UpdateTopic(s::update_topic_request()),
    ),
    (
        "delete_topic_request",
        17,
        "An admin deletes a topic.",
        || AnyRequest::DeleteTopic(s::delete_topic_request()),
    ),
    (
        "describe_topic_request",
        18,
        "An admin asks for a topic's config and per-queue offsets.",
        || AnyRequest::DescribeTopic(s::describe_topic_request()),
    ),
    (
        "list_topics_request",
        19,
        "An admin lists every topic, system topics included.",
        || AnyRequest::ListTopics(s::list_topics_request()),
    ),
    (
        "query_route_request",
        20,
        "A producer asks where a topic's queues live, allowing auto-creation.",
        || AnyRequest::QueryRoute(s::query_route_request()),
    ),
    (
        "heartbeat_request",
        21,
        "A client announces two producer groups and two consumer groups with three subscriptions.",
        || AnyRequest::Heartbeat(s::heartbeat_request()),
    ),
    (
        "register_broker_request",
        40,
        "A slave of broker-a registers with its role, replication address and two topics.",
        || AnyRequest::RegisterBroker(s::register_broker_request()),
    ),
    (
        "unregister_broker_request",
        41,
        "A slave of broker-a shutting down asks the name server to forget it.",
        || AnyRequest::UnregisterBroker(s::unregister_broker_request()),
    ),
    (
        "get_cluster_info_request",
        42,
        "An admin lists the brokers of one cluster.",
        || AnyRequest::GetClusterInfo(s::get_cluster_info_request()),
    ),
    (
        "replica_fetch_request",
        43,
        "A slave at commit-log offset 1073745920 asks its master for up to 1 MiB, holding 5 s.",
        || AnyRequest::ReplicaFetch(s::replica_fetch_request()),
    ),
    (
        "get_broker_status_request",
        44,
        "An admin asks a broker for its status; the body is empty.",
        || AnyRequest::GetBrokerStatus(GetBrokerStatusRequest),
    ),
    (
        "get_consumer_offsets_request",
        45,
        "A slave asks its master for the offset table from entry 2 on.",
        || AnyRequest::GetConsumerOffsets(s::get_consumer_offsets_request()),
    ),
    (
        "get_consumer_list_request",
        50,
        "A consumer asks for the members of its group before a rebalance.",
        || AnyRequest::GetConsumerList(s::get_consumer_list_request()),
    ),
    (
        "notify_consumer_ids_changed_request",
        51,
        "The broker tells a consumer that its group's membership changed.",
        || AnyRequest::NotifyConsumerIdsChanged(s::notify_consumer_ids_changed_request()),
    ),
    (
        "lock_batch_request",
        52,
        "An orderly consumer asks to lock queue 3 of orders and its group's retry queue.",
        || AnyRequest::LockBatch(s::lock_batch_request()),
    ),
    (
        "unlock_batch_request",
        53,
        "An orderly consumer releases two queue locks.",
        || AnyRequest::UnlockBatch(s::unlock_batch_request()),
    ),
    (
        "consumer_send_back_request",
        54,
        "A consumer hands a message back for retry at delay level 5, at most 16 retries.",
        || AnyRequest::ConsumerSendBack(s::consumer_send_back_request()),
    ),
    (
        "unregister_client_request",
        55,
        "A client leaves its consumer group at shutdown.",
        || AnyRequest::UnregisterClient(s::unregister_client_request()),
    ),
    (
        "update_subscription_group_request",
        56,
        "An admin creates a consumer group that may not broadcast, with 2 retry queues and 5 retries.",
        || AnyRequest::UpdateSubscriptionGroup(s::update_subscription_group_request()),
    ),
    (
        "delete_subscription_group_request",
        57,
        "An admin deletes a consumer group's config and its committed offsets.",
        || AnyRequest::DeleteSubscriptionGroup(s::delete_subscription_group_request()),
    ),
    (
        "describe_groups_request",
        58,
        "An admin asks for a group's config, members and per-queue progress.",
        || AnyRequest::DescribeGroups(s::describe_groups_request()),
    ),
    (
        "reset_offset_request",
        59,
        "The broker tells a member that its group's offsets of two queues of orders moved to a time.",
        || AnyRequest::ResetOffset(s::reset_offset_request()),
    ),
    (
        "query_message_request",
        60,
        "An admin looks up the messages of topic orders with key order-1001 stored in a time range.",
        || AnyRequest::QueryMessage(s::query_message_request()),
    ),
    (
        "track_message_request",
        61,
        "An admin asks which groups consumed the message at offset 42 of queue 3.",
        || AnyRequest::TrackMessage(s::track_message_request()),
    ),
    (
        "end_transaction_request",
        62,
        "A producer commits a half message after a check-back.",
        || AnyRequest::EndTransaction(s::end_transaction_request()),
    ),
    (
        "check_transaction_state_request",
        63,
        "A broker asks a producer how the local transaction of a half message ended.",
        || AnyRequest::CheckTransactionState(s::check_transaction_state_request()),
    ),
];

const RESPONSES: &[ResponseRow] = &[
    (
        "api_versions_response",
        1,
        "A newer broker answers with every api key at v0, Pull up to v2 and Heartbeat from v1 to v3.",
        ApiKey::ApiVersions,
        || AnyResponse::ApiVersions(s::api_versions_response()),
    ),
    (
        "send_message_response",
        7,
        "The broker stored the message at queue offset 42 of queue 3.",
        ApiKey::SendMessage,
        || AnyResponse::Send(s::send_response()),
    ),
    (
        "send_batch_response",
        8,
        "The broker stored the batch from queue offset 42 of queue 3.",
        ApiKey::SendBatch,
        || AnyResponse::Send(s::send_batch_response()),
    ),
    (
        "pull_response",
        9,
        "The broker returns two stored records back to back.",
        ApiKey::Pull,
        || AnyResponse::Pull(s::pull_response()),
    ),
    (
        "query_consumer_offset_response",
        10,
        "The group's committed offset of the queue is 40.",
        ApiKey::QueryConsumerOffset,
        || AnyResponse::Offset(s::offset_response(40)),
    ),
    (
        "update_consumer_offset_response",
        11,
        "The offset commit succeeded; the body is empty.",
        ApiKey::UpdateConsumerOffset,
        || AnyResponse::Empty(Empty),
    ),
    (
        "get_min_offset_response",
        12,
        "The lowest stored offset of the queue is 10.",
        ApiKey::GetMinOffset,
        || AnyResponse::Offset(s::offset_response(10)),
    ),
    (
        "get_max_offset_response",
        13,
        "The queue's max offset is 50.",
        ApiKey::GetMaxOffset,
        || AnyResponse::Offset(s::offset_response(50)),
    ),
    (
        "search_offset_response",
        14,
        "The first offset stored at or after the timestamp is 42.",
        ApiKey::SearchOffset,
        || AnyResponse::Offset(s::offset_response(42)),
    ),
    (
        "create_topic_response",
        15,
        "The topic was created; the body is empty.",
        ApiKey::CreateTopic,
        || AnyResponse::Empty(Empty),
    ),
    (
        "update_topic_response",
        16,
        "The topic was updated; the body is empty.",
        ApiKey::UpdateTopic,
        || AnyResponse::Empty(Empty),
    ),
    (
        "delete_topic_response",
        17,
        "The topic was deleted; the body is empty.",
        ApiKey::DeleteTopic,
        || AnyResponse::Empty(Empty),
    ),
    (
        "describe_topic_response",
        18,
        "A topic's config and the offsets of its two queues.",
        ApiKey::DescribeTopic,
        || AnyResponse::DescribeTopic(s::describe_topic_response()),
    ),
    (
        "list_topics_response",
        19,
        "Two topics, a retry topic and a user topic, sorted by name.",
        ApiKey::ListTopics,
        || AnyResponse::ListTopics(s::list_topics_response()),
    ),
    (
        "query_route_response",
        20,
        "A route over two brokers, one with a master and a slave.",
        ApiKey::QueryRoute,
        || AnyResponse::Route(s::topic_route()),
    ),
    (
        "heartbeat_response",
        21,
        "The heartbeat was accepted; the body is empty.",
        ApiKey::Heartbeat,
        || AnyResponse::Empty(Empty),
    ),
    (
        "register_broker_response",
        40,
        "The name server tells the slave where its master and the master's replication port are.",
        ApiKey::RegisterBroker,
        || AnyResponse::Register(s::register_broker_response()),
    ),
    (
        "unregister_broker_response",
        41,
        "The broker was forgotten; the body is empty.",
        ApiKey::UnregisterBroker,
        || AnyResponse::Empty(Empty),
    ),
    (
        "get_cluster_info_response",
        42,
        "A cluster of two broker names: broker-a with a SYNC_MASTER and a slave, broker-b alone.",
        ApiKey::GetClusterInfo,
        || AnyResponse::ClusterInfo(s::cluster_info()),
    ),
    (
        "replica_fetch_response",
        43,
        "The master sends the two sample records, stored back to back at the slave's offset.",
        ApiKey::ReplicaFetch,
        || AnyResponse::ReplicaFetch(s::replica_fetch_response()),
    ),
    (
        "get_broker_status_response",
        44,
        "A SYNC_MASTER's offsets and the one slave copying from it.",
        ApiKey::GetBrokerStatus,
        || AnyResponse::BrokerStatus(s::broker_status()),
    ),
    (
        "get_consumer_offsets_response",
        45,
        "Two entries of a table of five: a group's offsets of two queues.",
        ApiKey::GetConsumerOffsets,
        || AnyResponse::ConsumerOffsets(s::consumer_offsets_page()),
    ),
    (
        "get_consumer_list_response",
        50,
        "Two members of the group, sorted.",
        ApiKey::GetConsumerList,
        || AnyResponse::ConsumerList(s::consumer_list_response()),
    ),
    (
        "notify_consumer_ids_changed_response",
        51,
        "The notice acknowledged (it is normally sent oneway); the body is empty.",
        ApiKey::NotifyConsumerIdsChanged,
        || AnyResponse::Empty(Empty),
    ),
    (
        "lock_batch_response",
        52,
        "Only queue 3 of orders was locked; another client holds the retry queue.",
        ApiKey::LockBatch,
        || AnyResponse::LockBatch(s::lock_batch_response()),
    ),
    (
        "unlock_batch_response",
        53,
        "The locks were released; the body is empty.",
        ApiKey::UnlockBatch,
        || AnyResponse::Empty(Empty),
    ),
    (
        "consumer_send_back_response",
        54,
        "The message was stored for retry; the body is empty.",
        ApiKey::ConsumerSendBack,
        || AnyResponse::Empty(Empty),
    ),
    (
        "unregister_client_response",
        55,
        "The client left the group; the body is empty.",
        ApiKey::UnregisterClient,
        || AnyResponse::Empty(Empty),
    ),
    (
        "update_subscription_group_response",
        56,
        "The group's config was stored; the body is empty.",
        ApiKey::UpdateSubscriptionGroup,
        || AnyResponse::Empty(Empty),
    ),
    (
        "delete_subscription_group_response",
        57,
        "The group's config was deleted; the body is empty.",
        ApiKey::DeleteSubscriptionGroup,
        || AnyResponse::Empty(Empty),
    ),
    (
        "describe_groups_response",
        58,
        "One stored group with one push member and two queues, one never committed.",
        ApiKey::DescribeGroups,
        || AnyResponse::DescribeGroups(s::describe_groups_response()),
    ),
    (
        "reset_offset_response",
        59,
        "The group's offsets of two queues of orders on broker-a moved to 12 and 30.",
        ApiKey::ResetOffset,
        || AnyResponse::ResetOffset(s::reset_offset_response()),
    ),
    (
        "query_message_response",
        60,
        "One stored record matches the query.",
        ApiKey::QueryMessage,
        || AnyResponse::QueryMessage(s::query_message_response()),
    ),
    (
        "track_message_response",
        61,
        "Three groups: one filtered the message out, one has not consumed it, one consumed it.",
        ApiKey::TrackMessage,
        || AnyResponse::Track(s::track_message_response()),
    ),
    (
        "end_transaction_response",
        62,
        "The resolution was recorded; the body is empty.",
        ApiKey::EndTransaction,
        || AnyResponse::Empty(Empty),
    ),
    (
        "check_transaction_state_response",
        63,
        "The check request was accepted; the body is empty (it is normally sent oneway).",
        ApiKey::CheckTransactionState,
        || AnyResponse::Empty(Empty),
    ),
];

/// Every golden vector: a request and an `OK` response per api key, then the special cases.
pub(crate) fn all() -> Vec<Sample> {
    let requests = REQUESTS
        .iter()
        .map(|&(name, id, description, body)| Sample {
            name,
            description,
            correlation_id: id,
            content: Content::Request {
                kind: FrameKind::Request,
                body: body(),
            },
        });
    let responses = RESPONSES
        .iter()
        .map(|&(name, id, description, key, body)| Sample {
            name,
            description,
            correlation_id: id,
            content: Content::Response {
                api_key: key,
                head: ResponseHead {
                    status: Status::Ok,
                    error_message: String::new(),
                },
                body: Some(body()),
            },
        });
    requests.chain(responses).chain(specials()).collect()
}

fn specials() -> Vec<Sample> {
    let oneway = Content::Request {
        kind: FrameKind::Oneway,
        body: AnyRequest::UpdateConsumerOffset(s::update_consumer_offset_request()),
    };
    let flush_timeout = Content::Response {
        api_key: ApiKey::SendMessage,
        head: ResponseHead {
            status: Status::FlushDiskTimeout,
            error_message: "flush did not finish within 5000 ms".into(),
        },
        body: Some(AnyResponse::Send(s::send_response())),
    };
    let error = Content::Response {
        api_key: ApiKey::SendMessage,
        head: ResponseHead {
            status: Status::MalformedRequest,
            error_message: "field `topic` has length 300, over the limit of 255".into(),
        },
        body: None,
    };
    let sample = |name, correlation_id, description, content| Sample {
        name,
        description,
        correlation_id,
        content,
    };
    let notify = Content::Request {
        kind: FrameKind::Oneway,
        body: AnyRequest::NotifyConsumerIdsChanged(s::notify_consumer_ids_changed_request()),
    };
    vec![
        sample(
            "notify_consumer_ids_changed_oneway",
            25,
            "The membership notice as the broker sends it: oneway, no response follows.",
            notify,
        ),
        sample(
            "update_consumer_offset_oneway",
            22,
            "The offset commit of update_consumer_offset_request sent oneway: no response follows.",
            oneway,
        ),
        sample(
            "send_message_flush_disk_timeout_response",
            23,
            "Stored, but the SYNC_FLUSH fdatasync timed out: the status still carries the send body.",
            flush_timeout,
        ),
        sample(
            "error_response",
            24,
            "A malformed request answered with a status and a message naming the field, and no body.",
            error,
        ),
        sample(
            "record",
            0,
            "One fully populated message record as stored, broker fields patched.",
            Content::Record,
        ),
    ]
}

/// The `MessageExt` the sample record decodes to; `bytes` supplies its size and payload CRC.
pub(crate) fn record_ext(bytes: &[u8]) -> MessageExt {
    let (stamp, patch) = (s::stamp_one(), s::patch_one());
    MessageExt {
        message: s::message_one(),
        msg_id: stamp.msg_id,
        queue_id: patch.queue_id,
        queue_offset: patch.queue_offset,
        commit_log_offset: patch.commit_log_offset,
        store_size: u32::try_from(bytes.len()).unwrap(),
        sys_flag: stamp.sys_flag,
        born_timestamp_ms: stamp.born_timestamp_ms,
        store_timestamp_ms: patch.store_timestamp_ms,
        born_host: stamp.born_host,
        store_host: patch.store_host,
        reconsume_times: stamp.reconsume_times,
        prepared_transaction_offset: stamp.prepared_transaction_offset,
        payload_crc: read_u32(bytes, OFF_PAYLOAD_CRC),
    }
}
