//! One fully populated value per golden vector: every field set to something other than its
//! default (non-empty lists, `Some` options, flags set), so a codec that drops or swaps a field
//! cannot match `spec/vectors/`.
//!
//! The per-kind tests use the same values, so a kind's roundtrip, truncation and feeding tests
//! run over exactly the bytes its golden vector pins.

use std::collections::BTreeMap;
use std::net::SocketAddr;

use bytes::{Bytes, BytesMut};

use crate::message::{Message, MessageId};
use crate::protocol::api::{ApiVersionRange, supported_versions};
use crate::protocol::record::{
    RecordStamp, SYS_FLAG_TRANSACTION_COMMIT, StorePatch, encode_record, patch_record,
};
use crate::protocol::{
    ApiVersionsRequest, ApiVersionsResponse, BrokerData, ConsumeFrom, ConsumeType, ConsumerData,
    CreateTopicRequest, DeleteTopicRequest, DescribeTopicRequest, DescribeTopicResponse,
    ExpressionType, GetMaxOffsetRequest, GetMinOffsetRequest, HeartbeatRequest, ListTopicsRequest,
    ListTopicsResponse, MessageModel, OffsetResponse, PERM_READ, PERM_WRITE, PullRequest,
    PullResponse, PullStatus, QueryConsumerOffsetRequest, QueryRouteRequest, QueueData,
    QueueStatus, SearchOffsetRequest, SendBatchRequest, SendMessageRequest, SendResponse,
    Subscription, TopicConfig, TopicRoute, UpdateConsumerOffsetRequest, UpdateTopicRequest,
};
use crate::protocol::{
    BrokerLiveInfo, BrokerRole, BrokerStatus, CheckTransactionStateRequest, ClusterInfo,
    ConsumerListResponse, ConsumerOffsetEntry, ConsumerOffsetsPage, ConsumerSendBackRequest,
    EndTransactionRequest, GetClusterInfoRequest, GetConsumerListRequest,
    GetConsumerOffsetsRequest, GroupTrack, LockBatchRequest, LockBatchResponse, LockQueue,
    NotifyConsumerIdsChangedRequest, QueryBy, QueryMessageRequest, QueryMessageResponse,
    RegisterBrokerRequest, RegisterBrokerResponse, ReplicaFetchRequest, ReplicaFetchResponse,
    SlaveStatus, TrackMessageRequest, TrackMessageResponse, TrackState, TransactionResolution,
    UnlockBatchRequest, UnregisterBrokerRequest, UnregisterClientRequest,
};
use crate::protocol::{
    DESCRIBE_MEMBERS, DESCRIBE_PROGRESS, DeleteSubscriptionGroupRequest, DescribeGroupsRequest,
    DescribeGroupsResponse, GroupDescription, GroupMember, GroupWriteMode, NO_CONSUMER_OFFSET,
    QueueOffset, QueueProgress, ResetOffsetRequest, ResetOffsetResponse, SubscriptionGroupConfig,
    UpdateSubscriptionGroupRequest,
};

fn addr(s: &str) -> SocketAddr {
    s.parse().unwrap()
}

/// The first sample message: every `Message` field set.
pub(crate) fn message_one() -> Message {
    Message {
        topic: "orders".into(),
        body: Bytes::from_static(b"hello, ferrocket"),
        tags: Some("TagA".into()),
        keys: vec!["order-1001".into(), "user-42".into()],
        flag: 7,
        properties: BTreeMap::from([
            ("a".to_owned(), "1".to_owned()),
            ("region".to_owned(), "eu-west".to_owned()),
        ]),
        delay_level: 3,
        deliver_at_ms: Some(1_700_000_060_000),
        wait_store_msg_ok: true,
    }
}

/// The producer stamp of the first sample message.
pub(crate) fn stamp_one() -> RecordStamp {
    RecordStamp {
        msg_id: MessageId([
            0x0a, 0x00, 0x00, 0x07, 0x30, 0x39, 0x18, 0xb4, 0xaa, 0xc2, 0x3a, 0x2b, 0x00, 0x00,
            0x00, 0x01,
        ]),
        sys_flag: SYS_FLAG_TRANSACTION_COMMIT,
        queue_id: 3,
        reconsume_times: 2,
        born_timestamp_ms: 1_700_000_000_123,
        born_host: addr("192.168.1.20:53211"),
        prepared_transaction_offset: 0x0123_4567_89ab_cdef,
    }
}

/// The broker fields written when the first sample message was stored.
pub(crate) fn patch_one() -> StorePatch {
    StorePatch {
        queue_id: 3,
        queue_offset: 42,
        commit_log_offset: 1_073_745_920,
        store_timestamp_ms: 1_700_000_000_456,
        store_host: addr("[2001:db8::7]:10911"),
    }
}

/// The second sample message: a smaller one, stored right after the first.
pub(crate) fn message_two() -> Message {
    Message::new("orders", Bytes::from_static(b"second"))
        .with_tags("TagB")
        .with_key("order-1002")
        .with_property("region", "eu-west")
        .with_flag(1)
}

fn stamp_two() -> RecordStamp {
    RecordStamp {
        msg_id: MessageId([0x5a; 16]),
        born_timestamp_ms: 1_700_000_000_200,
        reconsume_times: 0,
        sys_flag: 0,
        prepared_transaction_offset: 0,
        ..stamp_one()
    }
}

fn patch_two(first_len: usize) -> StorePatch {
    StorePatch {
        queue_offset: 43,
        commit_log_offset: patch_one().commit_log_offset + first_len as u64,
        store_timestamp_ms: 1_700_000_000_457,
        ..patch_one()
    }
}

/// The first record as the producer sends it (broker fields zero).
pub(crate) fn producer_record_one() -> Bytes {
    let mut out = BytesMut::new();
    encode_record(&message_one(), &stamp_one(), &mut out).unwrap();
    out.freeze()
}

/// The first record as stored: `producer_record_one` patched with `patch_one`.
pub(crate) fn stored_record_one() -> Bytes {
    let mut out = BytesMut::from(&producer_record_one()[..]);
    patch_record(&mut out, &patch_one());
    out.freeze()
}

/// Both records as the producer sends them in a batch.
pub(crate) fn producer_records() -> Bytes {
    let mut out = BytesMut::new();
    encode_record(&message_one(), &stamp_one(), &mut out).unwrap();
    encode_record(&message_two(), &stamp_two(), &mut out).unwrap();
    out.freeze()
}

/// Both records as stored back to back, the way a pull response carries them.
pub(crate) fn stored_records() -> Bytes {
    let first = stored_record_one();
    let mut second = BytesMut::new();
    encode_record(&message_two(), &stamp_two(), &mut second).unwrap();
    patch_record(&mut second, &patch_two(first.len()));
    let mut out = BytesMut::from(&first[..]);
    out.extend_from_slice(&second);
    out.freeze()
}

pub(crate) fn api_versions_request() -> ApiVersionsRequest {
    let range = |api_key, min_version, max_version| ApiVersionRange {
        api_key,
        min_version,
        max_version,
    };
    ApiVersionsRequest {
        client_software: "ferrocket-rust/0.1.0".into(),
        versions: vec![range(0, 0, 0), range(10, 0, 1), range(12, 1, 2)],
    }
}

/// A newer broker's table: every api key this build knows, with `Pull` spoken up to v2 and
/// `Heartbeat` from v1 to v3, so the vector has non-zero versions to get wrong.
pub(crate) fn api_versions_response() -> ApiVersionsResponse {
    let mut versions = supported_versions();
    for range in &mut versions {
        match range.api_key {
            12 => range.max_version = 2,
            31 => (range.min_version, range.max_version) = (1, 3),
            _ => {}
        }
    }
    ApiVersionsResponse { versions }
}

pub(crate) fn send_message_request() -> SendMessageRequest {
    SendMessageRequest {
        producer_group: "pg-orders".into(),
        topic: "orders".into(),
        queue_id: 3,
        wait_store_msg_ok: true,
        auto_create_queue_count: 4,
        record: producer_record_one(),
    }
}

pub(crate) fn send_response() -> SendResponse {
    SendResponse {
        queue_id: 3,
        queue_offset: 42,
        commit_log_offset: 1_073_745_920,
        store_timestamp_ms: 1_700_000_000_456,
        store_host: addr("10.0.0.7:10911"),
    }
}

pub(crate) fn send_batch_request() -> SendBatchRequest {
    SendBatchRequest {
        producer_group: "pg-orders".into(),
        topic: "orders".into(),
        queue_id: 3,
        wait_store_msg_ok: true,
        auto_create_queue_count: 4,
        record_count: 2,
        records: producer_records(),
    }
}

pub(crate) fn send_batch_response() -> SendResponse {
    SendResponse {
        store_host: addr("[2001:db8::7]:10911"),
        ..send_response()
    }
}

pub(crate) fn pull_request() -> PullRequest {
    PullRequest {
        consumer_group: "cg-orders".into(),
        topic: "orders".into(),
        queue_id: 3,
        queue_offset: 42,
        max_messages: 32,
        max_bytes: 1024 * 1024,
        suspend_timeout_ms: 15_000,
        commit_offset: Some(40),
        expression_type: ExpressionType::Tag,
        expression: "TagA || TagB".into(),
    }
}

pub(crate) fn pull_response() -> PullResponse {
    PullResponse {
        pull_status: PullStatus::Found,
        next_begin_offset: 44,
        min_offset: 10,
        max_offset: 50,
        suggest_broker_id: 1,
        records: stored_records(),
    }
}

pub(crate) fn query_consumer_offset_request() -> QueryConsumerOffsetRequest {
    QueryConsumerOffsetRequest {
        consumer_group: "cg-orders".into(),
        topic: "orders".into(),
        queue_id: 3,
    }
}

pub(crate) fn update_consumer_offset_request() -> UpdateConsumerOffsetRequest {
    UpdateConsumerOffsetRequest {
        consumer_group: "cg-orders".into(),
        topic: "orders".into(),
        queue_id: 3,
        offset: 44,
    }
}

pub(crate) fn get_min_offset_request() -> GetMinOffsetRequest {
    GetMinOffsetRequest {
        topic: "orders".into(),
        queue_id: 3,
    }
}

pub(crate) fn get_max_offset_request() -> GetMaxOffsetRequest {
    GetMaxOffsetRequest {
        topic: "orders".into(),
        queue_id: 3,
    }
}

pub(crate) fn search_offset_request() -> SearchOffsetRequest {
    SearchOffsetRequest {
        topic: "orders".into(),
        queue_id: 3,
        timestamp_ms: 1_700_000_000_000,
    }
}

/// The offset answered to each offset request kind, so their vectors differ.
pub(crate) fn offset_response(offset: u64) -> OffsetResponse {
    OffsetResponse { offset }
}

pub(crate) fn topic_config() -> TopicConfig {
    TopicConfig {
        topic: "orders".into(),
        read_queue_count: 8,
        write_queue_count: 8,
        perm: PERM_READ | PERM_WRITE,
        order: true,
    }
}

pub(crate) fn create_topic_request() -> CreateTopicRequest {
    CreateTopicRequest {
        config: topic_config(),
    }
}

pub(crate) fn update_topic_request() -> UpdateTopicRequest {
    UpdateTopicRequest {
        config: TopicConfig {
            read_queue_count: 16,
            write_queue_count: 12,
            perm: PERM_READ,
            ..topic_config()
        },
    }
}

pub(crate) fn delete_topic_request() -> DeleteTopicRequest {
    DeleteTopicRequest {
        topic: "orders-old".into(),
    }
}

pub(crate) fn describe_topic_request() -> DescribeTopicRequest {
    DescribeTopicRequest {
        topic: "orders".into(),
    }
}

pub(crate) fn describe_topic_response() -> DescribeTopicResponse {
    let queue = |queue_id, min_offset, max_offset, last_store_timestamp_ms| QueueStatus {
        queue_id,
        min_offset,
        max_offset,
        last_store_timestamp_ms,
    };
    DescribeTopicResponse {
        config: topic_config(),
        queues: vec![
            queue(0, 10, 50, 1_700_000_000_456),
            queue(1, 3, 7, 1_699_999_999_001),
        ],
    }
}

pub(crate) fn list_topics_request() -> ListTopicsRequest {
    ListTopicsRequest {
        include_system: true,
    }
}

pub(crate) fn list_topics_response() -> ListTopicsResponse {
    ListTopicsResponse {
        topics: vec![
            TopicConfig {
                topic: "%RETRY%cg-orders".into(),
                read_queue_count: 1,
                write_queue_count: 1,
                perm: PERM_READ | PERM_WRITE,
                order: false,
            },
            topic_config(),
        ],
    }
}

pub(crate) fn query_route_request() -> QueryRouteRequest {
    QueryRouteRequest {
        topic: "orders".into(),
        allow_auto_create: true,
    }
}

pub(crate) fn topic_route() -> TopicRoute {
    TopicRoute {
        queues: vec![
            QueueData {
                broker_name: "broker-a".into(),
                read_queue_count: 8,
                write_queue_count: 8,
                perm: PERM_READ | PERM_WRITE,
            },
            QueueData {
                broker_name: "broker-b".into(),
                read_queue_count: 4,
                write_queue_count: 2,
                perm: PERM_READ,
            },
        ],
        brokers: vec![
            BrokerData {
                cluster: "DefaultCluster".into(),
                broker_name: "broker-a".into(),
                addrs: vec![(0, "10.0.0.7:10911".into()), (1, "10.0.0.8:10911".into())],
            },
            BrokerData {
                cluster: "DefaultCluster".into(),
                broker_name: "broker-b".into(),
                addrs: vec![(0, "[2001:db8::9]:10911".into())],
            },
        ],
    }
}

pub(crate) fn heartbeat_request() -> HeartbeatRequest {
    let sub = |topic: &str, expression_type, expression: &str| Subscription {
        topic: topic.into(),
        expression_type,
        expression: expression.into(),
    };
    HeartbeatRequest {
        client_id: "192.168.1.20@12345".into(),
        producer_groups: vec!["pg-orders".into(), "pg-audit".into()],
        consumer_groups: vec![
            ConsumerData {
                group: "cg-orders".into(),
                consume_type: ConsumeType::Pull,
                message_model: MessageModel::Clustering,
                consume_from: ConsumeFrom::Timestamp,
                consume_timestamp_ms: 1_700_000_000_000,
                subscriptions: vec![
                    sub("orders", ExpressionType::Tag, "TagA || TagB"),
                    sub(
                        "audit",
                        ExpressionType::Sql92,
                        "a > 5 AND region = 'eu-west'",
                    ),
                ],
            },
            ConsumerData {
                group: "cg-broadcast".into(),
                consume_type: ConsumeType::Push,
                message_model: MessageModel::Broadcasting,
                consume_from: ConsumeFrom::FirstOffset,
                consume_timestamp_ms: 0,
                subscriptions: vec![sub("orders", ExpressionType::Tag, "*")],
            },
        ],
    }
}

pub(crate) fn register_broker_request() -> RegisterBrokerRequest {
    RegisterBrokerRequest {
        cluster: "DefaultCluster".into(),
        broker_name: "broker-a".into(),
        broker_id: 1,
        broker_addr: "10.0.0.8:10911".into(),
        ha_addr: "10.0.0.8:10912".into(),
        role: BrokerRole::Slave,
        auto_create_queue_count: 4,
        topics: list_topics_response().topics,
    }
}

pub(crate) fn register_broker_response() -> RegisterBrokerResponse {
    RegisterBrokerResponse {
        master_addr: "10.0.0.7:10911".into(),
        master_ha_addr: "10.0.0.7:10912".into(),
    }
}

pub(crate) fn unregister_broker_request() -> UnregisterBrokerRequest {
    UnregisterBrokerRequest {
        cluster: "DefaultCluster".into(),
        broker_name: "broker-a".into(),
        broker_id: 1,
        broker_addr: "10.0.0.8:10911".into(),
    }
}

pub(crate) fn get_cluster_info_request() -> GetClusterInfoRequest {
    GetClusterInfoRequest {
        cluster: "DefaultCluster".into(),
    }
}

pub(crate) fn cluster_info() -> ClusterInfo {
    let broker = |name: &str, id, addr: &str, role, age| BrokerLiveInfo {
        cluster: "DefaultCluster".into(),
        broker_name: name.into(),
        broker_id: id,
        addr: addr.into(),
        ha_addr: addr.into(),
        role,
        last_register_age_ms: age,
    };
    ClusterInfo {
        brokers: vec![
            broker(
                "broker-a",
                0,
                "10.0.0.7:10911",
                BrokerRole::SyncMaster,
                1200,
            ),
            broker("broker-a", 1, "10.0.0.8:10911", BrokerRole::Slave, 29_000),
            broker(
                "broker-b",
                0,
                "[2001:db8::9]:10911",
                BrokerRole::AsyncMaster,
                5,
            ),
        ],
    }
}

pub(crate) fn get_consumer_list_request() -> GetConsumerListRequest {
    GetConsumerListRequest {
        consumer_group: "cg-orders".into(),
    }
}

pub(crate) fn consumer_list_response() -> ConsumerListResponse {
    ConsumerListResponse {
        client_ids: vec!["192.168.1.20@12345#1".into(), "192.168.1.21@777#2".into()],
    }
}

pub(crate) fn notify_consumer_ids_changed_request() -> NotifyConsumerIdsChangedRequest {
    NotifyConsumerIdsChangedRequest {
        consumer_group: "cg-orders".into(),
    }
}

fn lock_queues() -> Vec<LockQueue> {
    vec![
        LockQueue {
            topic: "orders".into(),
            queue_id: 3,
        },
        LockQueue {
            topic: "%RETRY%cg-orders".into(),
            queue_id: 0,
        },
    ]
}

pub(crate) fn lock_batch_request() -> LockBatchRequest {
    LockBatchRequest {
        consumer_group: "cg-orders".into(),
        client_id: "192.168.1.20@12345#1".into(),
        queues: lock_queues(),
    }
}

pub(crate) fn lock_batch_response() -> LockBatchResponse {
    LockBatchResponse {
        locked: lock_queues()[..1].to_vec(),
    }
}

pub(crate) fn unlock_batch_request() -> UnlockBatchRequest {
    UnlockBatchRequest {
        consumer_group: "cg-orders".into(),
        client_id: "192.168.1.20@12345#1".into(),
        queues: lock_queues(),
    }
}

pub(crate) fn consumer_send_back_request() -> ConsumerSendBackRequest {
    ConsumerSendBackRequest {
        consumer_group: "cg-orders".into(),
        commit_log_offset: 0x0000_0001_0000_0200,
        msg_id: stamp_one().msg_id,
        delay_level: 5,
        max_reconsume_times: 16,
    }
}

pub(crate) fn unregister_client_request() -> UnregisterClientRequest {
    UnregisterClientRequest {
        client_id: "192.168.1.20@12345#1".into(),
        producer_group: String::new(),
        consumer_group: "cg-orders".into(),
    }
}

pub(crate) fn query_message_request() -> QueryMessageRequest {
    QueryMessageRequest {
        topic: "orders".into(),
        query_by: QueryBy::Key,
        key: "order-1001".into(),
        queue_id: 0,
        offset: 0,
        begin_timestamp_ms: 1_700_000_000_000,
        end_timestamp_ms: 1_700_000_100_000,
        max_results: 32,
    }
}

pub(crate) fn query_message_response() -> QueryMessageResponse {
    QueryMessageResponse {
        records: stored_record_one(),
    }
}

pub(crate) fn track_message_request() -> TrackMessageRequest {
    TrackMessageRequest {
        topic: "orders".into(),
        queue_id: 3,
        queue_offset: 42,
        commit_log_offset: 1_073_745_920,
    }
}

pub(crate) fn track_message_response() -> TrackMessageResponse {
    let track = |group: &str, state, online, committed_offset| GroupTrack {
        group: group.into(),
        state,
        online,
        committed_offset,
    };
    TrackMessageResponse {
        groups: vec![
            track("cg-audit", TrackState::Filtered, true, 40),
            track("cg-billing", TrackState::NotConsumedYet, false, u64::MAX),
            track("cg-orders", TrackState::Consumed, true, 44),
        ],
    }
}

pub(crate) fn replica_fetch_request() -> ReplicaFetchRequest {
    ReplicaFetchRequest {
        broker_name: "broker-a".into(),
        broker_id: 1,
        slave_addr: "10.0.0.8:10911".into(),
        offset: 1_073_745_920,
        max_bytes: 1024 * 1024,
        max_wait_ms: 5000,
    }
}

/// The master's answer: the two sample records, stored back to back at `offset`.
pub(crate) fn replica_fetch_response() -> ReplicaFetchResponse {
    ReplicaFetchResponse {
        master_min_offset: 1_073_741_824,
        master_max_offset: 1_073_746_944,
        segment_size: 1_073_741_824,
        data_offset: 1_073_745_920,
        data: stored_records(),
    }
}

pub(crate) fn broker_status() -> BrokerStatus {
    BrokerStatus {
        cluster: "DefaultCluster".into(),
        broker_name: "broker-a".into(),
        broker_id: 0,
        role: BrokerRole::SyncMaster,
        addr: "10.0.0.7:10911".into(),
        commit_log_min_offset: 1_073_741_824,
        commit_log_max_offset: 1_073_746_944,
        flushed_offset: 1_073_746_000,
        topic_count: 12,
        master_addr: String::new(),
        slaves: vec![SlaveStatus {
            addr: "10.0.0.8:10911".into(),
            ack_offset: 1_073_745_920,
            last_fetch_age_ms: 17,
        }],
    }
}

pub(crate) fn get_consumer_offsets_request() -> GetConsumerOffsetsRequest {
    GetConsumerOffsetsRequest { start_index: 2 }
}

pub(crate) fn consumer_offsets_page() -> ConsumerOffsetsPage {
    let entry = |group: &str, topic: &str, queue_id, offset| ConsumerOffsetEntry {
        consumer_group: group.into(),
        topic: topic.into(),
        queue_id,
        offset,
    };
    ConsumerOffsetsPage {
        total: 5,
        offsets: vec![
            entry("cg-orders", "orders", 3, 44),
            entry("cg-orders", "orders", 7, 1_000_000),
        ],
    }
}

pub(crate) fn end_transaction_request() -> EndTransactionRequest {
    EndTransactionRequest {
        producer_group: "pg-orders".into(),
        commit_log_offset: 1_073_745_920,
        msg_id: stamp_one().msg_id,
        resolution: TransactionResolution::Commit,
        from_check: true,
    }
}

pub(crate) fn check_transaction_state_request() -> CheckTransactionStateRequest {
    CheckTransactionStateRequest {
        broker_addr: "10.0.0.7:10911".into(),
        commit_log_offset: 1_073_745_920,
        record: stored_record_one(),
    }
}

/// A group config with every field away from its default.
pub(crate) fn subscription_group_config() -> SubscriptionGroupConfig {
    SubscriptionGroupConfig {
        group: "orders-consumer".into(),
        consume_enable: true,
        consume_broadcast_enable: false,
        retry_queue_count: 2,
        retry_max_times: 5,
        broker_id: 0,
        which_broker_when_consume_slowly: 1,
    }
}

pub(crate) fn update_subscription_group_request() -> UpdateSubscriptionGroupRequest {
    UpdateSubscriptionGroupRequest {
        mode: GroupWriteMode::Create,
        config: subscription_group_config(),
    }
}

pub(crate) fn delete_subscription_group_request() -> DeleteSubscriptionGroupRequest {
    DeleteSubscriptionGroupRequest {
        consumer_group: "orders-consumer".into(),
        remove_offsets: true,
    }
}

pub(crate) fn describe_groups_request() -> DescribeGroupsRequest {
    DescribeGroupsRequest {
        consumer_group: "orders-consumer".into(),
        include: DESCRIBE_MEMBERS | DESCRIBE_PROGRESS,
    }
}

pub(crate) fn describe_groups_response() -> DescribeGroupsResponse {
    let member = GroupMember {
        client_id: "10.0.0.7@4242#1".into(),
        addr: "10.0.0.7:51234".into(),
        consume_type: ConsumeType::Push,
        message_model: MessageModel::Clustering,
        consume_from: ConsumeFrom::FirstOffset,
        subscriptions: vec![Subscription {
            topic: "orders".into(),
            expression_type: ExpressionType::Tag,
            expression: "TagA || TagB".into(),
        }],
    };
    let queues = vec![
        QueueProgress {
            topic: "orders".into(),
            queue_id: 0,
            broker_offset: 50,
            consumer_offset: 42,
            last_commit_ms: 1_700_000_050_000,
            last_consumed_store_ms: 1_700_000_049_000,
        },
        QueueProgress {
            topic: "orders".into(),
            queue_id: 1,
            broker_offset: 7,
            consumer_offset: NO_CONSUMER_OFFSET,
            last_commit_ms: 0,
            last_consumed_store_ms: 0,
        },
    ];
    DescribeGroupsResponse {
        groups: vec![GroupDescription {
            config: subscription_group_config(),
            stored: true,
            member_count: 1,
            members: vec![member],
            queues,
        }],
        truncated: false,
    }
}

fn queue_offsets() -> Vec<QueueOffset> {
    vec![
        QueueOffset {
            topic: "orders".into(),
            queue_id: 0,
            offset: 12,
        },
        QueueOffset {
            topic: "orders".into(),
            queue_id: 1,
            offset: 30,
        },
    ]
}

pub(crate) fn reset_offset_request() -> ResetOffsetRequest {
    ResetOffsetRequest {
        consumer_group: "orders-consumer".into(),
        topic: "orders".into(),
        timestamp_ms: 1_700_000_000_000,
        broker_name: "broker-a".into(),
        offsets: queue_offsets(),
    }
}

pub(crate) fn reset_offset_response() -> ResetOffsetResponse {
    ResetOffsetResponse {
        broker_name: "broker-a".into(),
        offsets: queue_offsets(),
    }
}
