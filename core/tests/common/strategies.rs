//! proptest strategies for every request and response body, for messages, record stamps and
//! broker patches, all within the limits of `ferrocket::limits`.

use std::collections::BTreeMap;
use std::net::{IpAddr, Ipv6Addr, SocketAddr};

use bytes::Bytes;
use proptest::collection::{btree_map, vec};
use proptest::option;
use proptest::prelude::*;

use ferrocket::Message;
use ferrocket::limits::{
    ADDR_LEN_MAX, BATCH_COUNT_MAX, BROKER_NAME_LEN_MAX, CLIENT_ID_LEN_MAX, EXPRESSION_LEN_MAX,
    GROUP_LEN_MAX, LONG_POLL_MS_MAX, PULL_BATCH_COUNT_MAX, PULL_BYTES_MAX, QUEUE_COUNT_MAX,
    REPLICA_FETCH_BYTES_MAX, SOFTWARE_NAME_LEN_MAX, TAGS_LEN_MAX, TOPIC_LEN_MAX,
};
use ferrocket::message::MessageId;
use ferrocket::protocol::api::ApiKey;
use ferrocket::protocol::record::{RecordStamp, StorePatch};
use ferrocket::protocol::*;

use super::AnyResponse;

/// A UTF-8 string of at most `max` bytes: usually short and mixed-script, sometimes exactly
/// `max` bytes long so the boundary is exercised.
pub fn text(max: usize) -> BoxedStrategy<String> {
    let short = "\\PC{0,6}".prop_filter("fits", move |s: &String| s.len() <= max);
    prop_oneof![8 => short, 1 => Just("y".repeat(max))].boxed()
}

/// A non-empty string with no space, of at most `max` bytes.
fn word(max: usize) -> BoxedStrategy<String> {
    "[a-zA-Z0-9_%|\\-é]{1,8}"
        .prop_filter("fits", move |s: &String| s.len() <= max)
        .boxed()
}

/// A socket address the wire can carry exactly: IPv4, or IPv6 that is not IPv4-mapped, with no
/// flow info or scope id.
pub fn socket_addr() -> impl Strategy<Value = SocketAddr> {
    (any::<[u8; 16]>(), any::<u16>(), any::<bool>()).prop_map(|(octets, port, v4)| {
        let ip = if v4 {
            IpAddr::from([octets[0], octets[1], octets[2], octets[3]])
        } else {
            Ipv6Addr::from(octets).to_canonical()
        };
        SocketAddr::new(ip, port)
    })
}

fn small_bytes() -> impl Strategy<Value = Bytes> {
    vec(any::<u8>(), 0..48).prop_map(Bytes::from)
}

fn version_range() -> impl Strategy<Value = ApiVersionRange> {
    (any::<u16>(), any::<u16>(), any::<u16>()).prop_map(|(api_key, a, b)| ApiVersionRange {
        api_key,
        min_version: a.min(b),
        max_version: a.max(b),
    })
}

fn versions() -> impl Strategy<Value = Vec<ApiVersionRange>> {
    vec(version_range(), 0..6)
}

fn queue_count() -> impl Strategy<Value = u16> {
    prop_oneof![0..=16u16, Just(QUEUE_COUNT_MAX as u16)]
}

pub fn topic_config() -> impl Strategy<Value = TopicConfig> {
    (
        text(TOPIC_LEN_MAX),
        queue_count(),
        queue_count(),
        0..=15u8,
        any::<bool>(),
    )
        .prop_map(
            |(topic, read_queue_count, write_queue_count, perm, order)| TopicConfig {
                topic,
                read_queue_count,
                write_queue_count,
                perm,
                order,
            },
        )
}

fn expression_type() -> impl Strategy<Value = ExpressionType> {
    prop_oneof![Just(ExpressionType::Tag), Just(ExpressionType::Sql92)]
}

fn subscription() -> impl Strategy<Value = Subscription> {
    (
        text(TOPIC_LEN_MAX),
        expression_type(),
        text(EXPRESSION_LEN_MAX),
    )
        .prop_map(|(topic, expression_type, expression)| Subscription {
            topic,
            expression_type,
            expression,
        })
}

fn consumer_data() -> impl Strategy<Value = ConsumerData> {
    let consume_type = prop_oneof![Just(ConsumeType::Pull), Just(ConsumeType::Push)];
    let model = prop_oneof![
        Just(MessageModel::Clustering),
        Just(MessageModel::Broadcasting)
    ];
    let from = prop_oneof![
        Just(ConsumeFrom::LastOffset),
        Just(ConsumeFrom::FirstOffset),
        Just(ConsumeFrom::Timestamp)
    ];
    let subs = vec(subscription(), 0..3);
    (
        text(GROUP_LEN_MAX),
        consume_type,
        model,
        from,
        any::<u64>(),
        subs,
    )
        .prop_map(
            |(group, consume_type, message_model, consume_from, consume_timestamp_ms, subs)| {
                ConsumerData {
                    group,
                    consume_type,
                    message_model,
                    consume_from,
                    consume_timestamp_ms,
                    subscriptions: subs,
                }
            },
        )
}

fn route() -> impl Strategy<Value = TopicRoute> {
    let queue = (
        text(BROKER_NAME_LEN_MAX),
        queue_count(),
        queue_count(),
        0..=15u8,
    )
        .prop_map(
            |(broker_name, read_queue_count, write_queue_count, perm)| QueueData {
                broker_name,
                read_queue_count,
                write_queue_count,
                perm,
            },
        );
    let addrs = vec((any::<u64>(), text(ADDR_LEN_MAX)), 0..3);
    let broker = (text(BROKER_NAME_LEN_MAX), text(BROKER_NAME_LEN_MAX), addrs).prop_map(
        |(cluster, broker_name, addrs)| BrokerData {
            cluster,
            broker_name,
            addrs,
        },
    );
    (vec(queue, 0..3), vec(broker, 0..3))
        .prop_map(|(queues, brokers)| TopicRoute { queues, brokers })
}

fn send_message() -> impl Strategy<Value = SendMessageRequest> {
    let head = (
        text(GROUP_LEN_MAX),
        text(TOPIC_LEN_MAX),
        any::<u32>(),
        any::<bool>(),
    );
    (head, any::<u16>(), small_bytes()).prop_map(|((g, t, q, w), auto, record)| {
        SendMessageRequest {
            producer_group: g,
            topic: t,
            queue_id: q,
            wait_store_msg_ok: w,
            auto_create_queue_count: auto,
            record,
        }
    })
}

fn send_batch() -> impl Strategy<Value = SendBatchRequest> {
    let count = 1..=BATCH_COUNT_MAX as u32;
    (send_message(), count).prop_map(|(m, record_count)| SendBatchRequest {
        producer_group: m.producer_group,
        topic: m.topic,
        queue_id: m.queue_id,
        wait_store_msg_ok: m.wait_store_msg_ok,
        auto_create_queue_count: m.auto_create_queue_count,
        record_count,
        records: m.record,
    })
}

fn pull() -> impl Strategy<Value = PullRequest> {
    let queue = (
        text(GROUP_LEN_MAX),
        text(TOPIC_LEN_MAX),
        any::<u32>(),
        any::<u64>(),
    );
    let sizes = (
        1..=PULL_BATCH_COUNT_MAX,
        0..=PULL_BYTES_MAX,
        0..=LONG_POLL_MS_MAX,
    );
    let filter = (
        option::of(0..u64::MAX),
        expression_type(),
        text(EXPRESSION_LEN_MAX),
    );
    (queue, sizes, filter).prop_map(|((g, t, q, o), (m, b, s), (c, et, e))| PullRequest {
        consumer_group: g,
        topic: t,
        queue_id: q,
        queue_offset: o,
        max_messages: m,
        max_bytes: b,
        suspend_timeout_ms: s,
        commit_offset: c,
        expression_type: et,
        expression: e,
    })
}

fn group_queue() -> impl Strategy<Value = (String, String, u32)> {
    (text(GROUP_LEN_MAX), text(TOPIC_LEN_MAX), any::<u32>())
}

fn heartbeat() -> impl Strategy<Value = HeartbeatRequest> {
    let producers = vec(text(GROUP_LEN_MAX), 0..3);
    (
        text(CLIENT_ID_LEN_MAX),
        producers,
        vec(consumer_data(), 0..3),
    )
        .prop_map(
            |(client_id, producer_groups, consumer_groups)| HeartbeatRequest {
                client_id,
                producer_groups,
                consumer_groups,
            },
        )
}

/// Any request body within its limits.
pub fn any_request() -> BoxedStrategy<AnyRequest> {
    let topic = || text(TOPIC_LEN_MAX);
    prop_oneof![
        (text(SOFTWARE_NAME_LEN_MAX), versions()).prop_map(|(s, v)| {
            AnyRequest::ApiVersions(ApiVersionsRequest {
                client_software: s,
                versions: v,
            })
        }),
        send_message().prop_map(AnyRequest::SendMessage),
        send_batch().prop_map(AnyRequest::SendBatch),
        pull().prop_map(AnyRequest::Pull),
        group_queue().prop_map(|(consumer_group, topic, queue_id)| {
            AnyRequest::QueryConsumerOffset(QueryConsumerOffsetRequest {
                consumer_group,
                topic,
                queue_id,
            })
        }),
        (group_queue(), any::<u64>()).prop_map(|((consumer_group, topic, queue_id), offset)| {
            AnyRequest::UpdateConsumerOffset(UpdateConsumerOffsetRequest {
                consumer_group,
                topic,
                queue_id,
                offset,
            })
        }),
        (topic(), any::<u32>()).prop_map(|(topic, queue_id)| {
            AnyRequest::GetMinOffset(GetMinOffsetRequest { topic, queue_id })
        }),
        (topic(), any::<u32>()).prop_map(|(topic, queue_id)| {
            AnyRequest::GetMaxOffset(GetMaxOffsetRequest { topic, queue_id })
        }),
        (topic(), any::<u32>(), any::<u64>()).prop_map(|(topic, queue_id, timestamp_ms)| {
            AnyRequest::SearchOffset(SearchOffsetRequest {
                topic,
                queue_id,
                timestamp_ms,
            })
        }),
        topic_config().prop_map(|config| AnyRequest::CreateTopic(CreateTopicRequest { config })),
        topic_config().prop_map(|config| AnyRequest::UpdateTopic(UpdateTopicRequest { config })),
        topic().prop_map(|topic| AnyRequest::DeleteTopic(DeleteTopicRequest { topic })),
        topic().prop_map(|topic| AnyRequest::DescribeTopic(DescribeTopicRequest { topic })),
        any::<bool>().prop_map(|include_system| {
            AnyRequest::ListTopics(ListTopicsRequest { include_system })
        }),
        (topic(), any::<bool>()).prop_map(|(topic, allow_auto_create)| {
            AnyRequest::QueryRoute(QueryRouteRequest {
                topic,
                allow_auto_create,
            })
        }),
        heartbeat().prop_map(AnyRequest::Heartbeat),
        cluster_request(),
    ]
    .boxed()
}

fn role() -> impl Strategy<Value = BrokerRole> {
    prop_oneof![
        Just(BrokerRole::AsyncMaster),
        Just(BrokerRole::SyncMaster),
        Just(BrokerRole::Slave)
    ]
}

fn name() -> BoxedStrategy<String> {
    text(BROKER_NAME_LEN_MAX)
}

fn addr() -> BoxedStrategy<String> {
    text(ADDR_LEN_MAX)
}

fn register_broker() -> impl Strategy<Value = RegisterBrokerRequest> {
    let identity = (name(), name(), any::<u64>(), addr(), addr());
    let rest = (role(), queue_count(), vec(topic_config(), 0..3));
    (identity, rest).prop_map(
        |((cluster, broker_name, broker_id, broker_addr, ha_addr), (role, auto, topics))| {
            RegisterBrokerRequest {
                cluster,
                broker_name,
                broker_id,
                broker_addr,
                ha_addr,
                role,
                auto_create_queue_count: auto,
                topics,
            }
        },
    )
}

fn replica_fetch() -> impl Strategy<Value = ReplicaFetchRequest> {
    let who = (name(), any::<u64>(), addr(), any::<u64>());
    let sizes = (1..=REPLICA_FETCH_BYTES_MAX, 0..=LONG_POLL_MS_MAX);
    (who, sizes).prop_map(
        |((broker_name, broker_id, slave_addr, offset), (max_bytes, max_wait_ms))| {
            ReplicaFetchRequest {
                broker_name,
                broker_id,
                slave_addr,
                offset,
                max_bytes,
                max_wait_ms,
            }
        },
    )
}

/// The name-server and replication requests (api keys 40–49).
fn cluster_request() -> BoxedStrategy<AnyRequest> {
    let unregister = (name(), name(), any::<u64>(), addr()).prop_map(
        |(cluster, broker_name, broker_id, broker_addr)| {
            AnyRequest::UnregisterBroker(UnregisterBrokerRequest {
                cluster,
                broker_name,
                broker_id,
                broker_addr,
            })
        },
    );
    prop_oneof![
        register_broker().prop_map(AnyRequest::RegisterBroker),
        unregister,
        name().prop_map(|cluster| AnyRequest::GetClusterInfo(GetClusterInfoRequest { cluster })),
        replica_fetch().prop_map(AnyRequest::ReplicaFetch),
        Just(AnyRequest::GetBrokerStatus(GetBrokerStatusRequest)),
        any::<u32>().prop_map(|start_index| {
            AnyRequest::GetConsumerOffsets(GetConsumerOffsetsRequest { start_index })
        }),
    ]
    .boxed()
}

fn send_response() -> impl Strategy<Value = SendResponse> {
    let numbers = (any::<u32>(), any::<u64>(), any::<u64>(), any::<u64>());
    (numbers, socket_addr()).prop_map(|((q, o, c, t), h)| SendResponse {
        queue_id: q,
        queue_offset: o,
        commit_log_offset: c,
        store_timestamp_ms: t,
        store_host: h,
    })
}

fn pull_response() -> impl Strategy<Value = PullResponse> {
    let status = prop_oneof![
        Just(PullStatus::Found),
        Just(PullStatus::NoNewMessage),
        Just(PullStatus::NoMatchedMessage),
        Just(PullStatus::OffsetMoved)
    ];
    let offsets = (any::<u64>(), any::<u64>(), any::<u64>(), any::<u64>());
    (status, offsets, small_bytes()).prop_map(|(s, (n, lo, hi, b), records)| PullResponse {
        pull_status: s,
        next_begin_offset: n,
        min_offset: lo,
        max_offset: hi,
        suggest_broker_id: b,
        records,
    })
}

fn describe_response() -> impl Strategy<Value = DescribeTopicResponse> {
    let queue = (any::<u32>(), any::<u64>(), any::<u64>(), any::<u64>()).prop_map(
        |(queue_id, min_offset, max_offset, last_store_timestamp_ms)| QueueStatus {
            queue_id,
            min_offset,
            max_offset,
            last_store_timestamp_ms,
        },
    );
    (topic_config(), vec(queue, 0..4))
        .prop_map(|(config, queues)| DescribeTopicResponse { config, queues })
}

/// Any response body within its limits, with an api key it answers.
pub fn any_response() -> BoxedStrategy<(ApiKey, AnyResponse)> {
    let empty_keys = prop_oneof![
        Just(ApiKey::UpdateConsumerOffset),
        Just(ApiKey::CreateTopic),
        Just(ApiKey::UpdateTopic),
        Just(ApiKey::DeleteTopic),
        Just(ApiKey::Heartbeat)
    ];
    let offset_keys = prop_oneof![
        Just(ApiKey::QueryConsumerOffset),
        Just(ApiKey::GetMinOffset),
        Just(ApiKey::GetMaxOffset),
        Just(ApiKey::SearchOffset)
    ];
    let send_keys = prop_oneof![Just(ApiKey::SendMessage), Just(ApiKey::SendBatch)];
    prop_oneof![
        versions().prop_map(|versions| (
            ApiKey::ApiVersions,
            AnyResponse::ApiVersions(ApiVersionsResponse { versions })
        )),
        (send_keys, send_response()).prop_map(|(k, s)| (k, AnyResponse::Send(s))),
        pull_response().prop_map(|p| (ApiKey::Pull, AnyResponse::Pull(p))),
        (offset_keys, any::<u64>())
            .prop_map(|(k, offset)| (k, AnyResponse::Offset(OffsetResponse { offset }))),
        empty_keys.prop_map(|k| (k, AnyResponse::Empty(Empty))),
        describe_response().prop_map(|d| (ApiKey::DescribeTopic, AnyResponse::DescribeTopic(d))),
        vec(topic_config(), 0..4).prop_map(|topics| (
            ApiKey::ListTopics,
            AnyResponse::ListTopics(ListTopicsResponse { topics })
        )),
        route().prop_map(|r| (ApiKey::QueryRoute, AnyResponse::Route(r))),
        cluster_response(),
    ]
    .boxed()
}

fn cluster_info() -> impl Strategy<Value = ClusterInfo> {
    let broker = (
        (name(), name(), any::<u64>()),
        (addr(), addr(), role(), any::<u64>()),
    )
        .prop_map(
            |((cluster, broker_name, broker_id), (addr, ha_addr, role, age))| BrokerLiveInfo {
                cluster,
                broker_name,
                broker_id,
                addr,
                ha_addr,
                role,
                last_register_age_ms: age,
            },
        );
    vec(broker, 0..3).prop_map(|brokers| ClusterInfo { brokers })
}

fn broker_status() -> impl Strategy<Value = BrokerStatus> {
    let slave = (addr(), any::<u64>(), any::<u64>()).prop_map(|(addr, ack, age)| SlaveStatus {
        addr,
        ack_offset: ack,
        last_fetch_age_ms: age,
    });
    let identity = (name(), name(), any::<u64>(), role(), addr());
    let offsets = (any::<u64>(), any::<u64>(), any::<u64>(), any::<u32>());
    (identity, offsets, addr(), vec(slave, 0..3)).prop_map(
        |((cluster, broker_name, broker_id, role, addr), (lo, hi, flushed, topics), m, slaves)| {
            BrokerStatus {
                cluster,
                broker_name,
                broker_id,
                role,
                addr,
                commit_log_min_offset: lo,
                commit_log_max_offset: hi,
                flushed_offset: flushed,
                topic_count: topics,
                master_addr: m,
                slaves,
            }
        },
    )
}

fn offsets_page() -> impl Strategy<Value = ConsumerOffsetsPage> {
    let entry = (group_queue(), any::<u64>()).prop_map(|((g, t, q), offset)| ConsumerOffsetEntry {
        consumer_group: g,
        topic: t,
        queue_id: q,
        offset,
    });
    (any::<u32>(), vec(entry, 0..3))
        .prop_map(|(total, offsets)| ConsumerOffsetsPage { total, offsets })
}

/// The name-server and replication responses (api keys 40–49).
fn cluster_response() -> BoxedStrategy<(ApiKey, AnyResponse)> {
    let register =
        (addr(), addr()).prop_map(|(master_addr, master_ha_addr)| RegisterBrokerResponse {
            master_addr,
            master_ha_addr,
        });
    let fetch = (
        (any::<u64>(), any::<u64>(), any::<u64>(), any::<u64>()),
        small_bytes(),
    )
        .prop_map(|((lo, hi, size, at), data)| ReplicaFetchResponse {
            master_min_offset: lo,
            master_max_offset: hi,
            segment_size: size,
            data_offset: at,
            data,
        });
    prop_oneof![
        register.prop_map(|r| (ApiKey::RegisterBroker, AnyResponse::Register(r))),
        Just((ApiKey::UnregisterBroker, AnyResponse::Empty(Empty))),
        cluster_info().prop_map(|c| (ApiKey::GetClusterInfo, AnyResponse::ClusterInfo(c))),
        fetch.prop_map(|f| (ApiKey::ReplicaFetch, AnyResponse::ReplicaFetch(f))),
        broker_status().prop_map(|b| (ApiKey::GetBrokerStatus, AnyResponse::BrokerStatus(b))),
        offsets_page().prop_map(|p| (ApiKey::GetConsumerOffsets, AnyResponse::ConsumerOffsets(p))),
    ]
    .boxed()
}

/// A message that encodes as a record and decodes back equal.
pub fn message() -> impl Strategy<Value = Message> {
    let topic = word(TOPIC_LEN_MAX);
    let tags = option::of(word(TAGS_LEN_MAX));
    let keys = vec(word(64), 0..4);
    let properties = btree_map(word(32), text(32), 0..5);
    let extras = (any::<u32>(), any::<u8>(), option::of(1..=u64::MAX));
    (topic, small_bytes(), tags, keys, properties, extras).prop_map(
        |(topic, body, tags, keys, properties, (flag, delay_level, deliver_at_ms))| Message {
            topic,
            body,
            tags,
            keys,
            flag,
            properties: BTreeMap::from_iter(properties),
            delay_level,
            deliver_at_ms,
            wait_store_msg_ok: true,
        },
    )
}

/// Any producer stamp.
pub fn record_stamp() -> impl Strategy<Value = RecordStamp> {
    let ids = (any::<[u8; 16]>(), any::<u32>(), any::<u32>(), any::<u32>());
    (ids, any::<u64>(), socket_addr(), any::<u64>()).prop_map(
        |((id, sys_flag, queue_id, reconsume_times), born, born_host, prepared)| RecordStamp {
            msg_id: MessageId(id),
            sys_flag,
            queue_id,
            reconsume_times,
            born_timestamp_ms: born,
            born_host,
            prepared_transaction_offset: prepared,
        },
    )
}

/// Any broker patch.
pub fn store_patch() -> impl Strategy<Value = StorePatch> {
    let numbers = (any::<u32>(), any::<u64>(), any::<u64>(), any::<u64>());
    (numbers, socket_addr()).prop_map(|((q, o, c, t), store_host)| StorePatch {
        queue_id: q,
        queue_offset: o,
        commit_log_offset: c,
        store_timestamp_ms: t,
        store_host,
    })
}
