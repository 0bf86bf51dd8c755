//! Renders decoded values as the human-readable JSON of `spec/vectors/` (conventions in
//! `spec/vectors/README.md`), built by hand so the library types need no serde derives.
//!
//! Field names are the Rust (and spec) field names; `u8`/`u16`/`u32` are JSON numbers; every
//! 64-bit integer is a decimal string; byte fields are lowercase hex; enums are their spec
//! names; socket addresses are `ip:port`; `None` is `null`.

use std::net::SocketAddr;

use bytes::Bytes;
use serde_json::{Map, Value, json};

use crate::message::MessageExt;
use crate::protocol::api::ApiVersionRange;
use crate::protocol::record::{decode_record, decode_records};
use crate::protocol::testkit::catalog::AnyResponse;
use crate::protocol::{
    AnyRequest, ConsumeFrom, ConsumeType, ConsumerData, ExpressionType, LockQueue, MessageModel,
    PullRequest, PullStatus, SendBatchRequest, SendMessageRequest, Subscription, TopicConfig,
    TopicRoute,
};
use crate::protocol::{
    BrokerStatus, DescribeGroupsResponse, EndTransactionRequest, GroupMember, QueryBy,
    QueryMessageRequest, QueueOffset, QueueProgress, SubscriptionGroupConfig, TrackState,
    TransactionResolution,
};

/// A 64-bit integer as a decimal string.
pub(crate) fn u64s(value: u64) -> Value {
    Value::String(value.to_string())
}

/// Lowercase hex of `bytes`.
pub(crate) fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Bytes of a lowercase or upper-case hex string.
pub(crate) fn unhex(text: &str) -> Vec<u8> {
    assert!(text.len().is_multiple_of(2), "odd hex length");
    (0..text.len())
        .step_by(2)
        .map(|at| u8::from_str_radix(&text[at..at + 2], 16).expect("hex digit"))
        .collect()
}

fn addr(a: SocketAddr) -> Value {
    Value::String(a.to_string())
}

/// The spec name of an expression type.
pub(crate) fn expression_type(t: ExpressionType) -> &'static str {
    match t {
        ExpressionType::Tag => "TAG",
        ExpressionType::Sql92 => "SQL92",
    }
}

fn message_model(m: MessageModel) -> &'static str {
    match m {
        MessageModel::Clustering => "CLUSTERING",
        MessageModel::Broadcasting => "BROADCASTING",
    }
}

fn consume_type(t: ConsumeType) -> &'static str {
    match t {
        ConsumeType::Pull => "PULL",
        ConsumeType::Push => "PUSH",
    }
}

fn consume_from(f: ConsumeFrom) -> &'static str {
    match f {
        ConsumeFrom::LastOffset => "LAST_OFFSET",
        ConsumeFrom::FirstOffset => "FIRST_OFFSET",
        ConsumeFrom::Timestamp => "TIMESTAMP",
    }
}

fn pull_status(s: PullStatus) -> &'static str {
    match s {
        PullStatus::Found => "FOUND",
        PullStatus::NoNewMessage => "NO_NEW_MESSAGE",
        PullStatus::NoMatchedMessage => "NO_MATCHED_MESSAGE",
        PullStatus::OffsetMoved => "OFFSET_MOVED",
    }
}

fn query_by(q: QueryBy) -> &'static str {
    match q {
        QueryBy::Key => "KEY",
        QueryBy::UniqueKey => "UNIQUE_KEY",
        QueryBy::CommitLogOffset => "COMMIT_LOG_OFFSET",
        QueryBy::QueueOffset => "QUEUE_OFFSET",
    }
}

fn track_state(t: TrackState) -> &'static str {
    match t {
        TrackState::Consumed => "CONSUMED",
        TrackState::NotConsumedYet => "NOT_CONSUMED_YET",
        TrackState::Filtered => "FILTERED",
    }
}

fn resolution(r: TransactionResolution) -> &'static str {
    match r {
        TransactionResolution::Commit => "COMMIT",
        TransactionResolution::Rollback => "ROLLBACK",
        TransactionResolution::Unknown => "UNKNOWN",
    }
}

fn versions(ranges: &[ApiVersionRange]) -> Value {
    ranges
        .iter()
        .map(|r| json!({"api_key": r.api_key, "min_version": r.min_version, "max_version": r.max_version}))
        .collect()
}

fn topic_config(c: &TopicConfig) -> Value {
    json!({
        "topic": c.topic,
        "read_queue_count": c.read_queue_count,
        "write_queue_count": c.write_queue_count,
        "perm": c.perm,
        "order": c.order,
    })
}

fn subscription(s: &Subscription) -> Value {
    json!({
        "topic": s.topic,
        "expression_type": expression_type(s.expression_type),
        "expression": s.expression,
    })
}

fn consumer(c: &ConsumerData) -> Value {
    json!({
        "group": c.group,
        "consume_type": consume_type(c.consume_type),
        "message_model": message_model(c.message_model),
        "consume_from": consume_from(c.consume_from),
        "consume_timestamp_ms": u64s(c.consume_timestamp_ms),
        "subscriptions": c.subscriptions.iter().map(subscription).collect::<Value>(),
    })
}

fn lock_queues(queues: &[LockQueue]) -> Value {
    queues
        .iter()
        .map(|q| json!({"topic": q.topic, "queue_id": q.queue_id}))
        .collect()
}

fn route(r: &TopicRoute) -> Value {
    let queues: Value = r
        .queues
        .iter()
        .map(|q| {
            json!({
                "broker_name": q.broker_name,
                "read_queue_count": q.read_queue_count,
                "write_queue_count": q.write_queue_count,
                "perm": q.perm,
            })
        })
        .collect();
    let brokers: Value = r
        .brokers
        .iter()
        .map(|b| {
            let addrs: Value = b
                .addrs
                .iter()
                .map(|(id, a)| json!({"broker_id": u64s(*id), "addr": a}))
                .collect();
            json!({"cluster": b.cluster, "broker_name": b.broker_name, "addrs": addrs})
        })
        .collect();
    json!({"queues": queues, "brokers": brokers})
}

/// The JSON of a request body.
pub(crate) fn request(r: &AnyRequest) -> Value {
    match r {
        AnyRequest::ApiVersions(r) => json!({
            "client_software": r.client_software,
            "versions": versions(&r.versions),
        }),
        AnyRequest::SendMessage(r) => send_message(r),
        AnyRequest::SendBatch(r) => send_batch(r),
        AnyRequest::Pull(r) => pull(r),
        AnyRequest::QueryConsumerOffset(_) | AnyRequest::UpdateConsumerOffset(_) => {
            consumer_offset(r)
        }
        AnyRequest::GetMinOffset(r) => json!({"topic": r.topic, "queue_id": r.queue_id}),
        AnyRequest::GetMaxOffset(r) => json!({"topic": r.topic, "queue_id": r.queue_id}),
        AnyRequest::SearchOffset(r) => json!({
            "topic": r.topic, "queue_id": r.queue_id, "timestamp_ms": u64s(r.timestamp_ms),
        }),
        AnyRequest::CreateTopic(r) => json!({"config": topic_config(&r.config)}),
        AnyRequest::UpdateTopic(r) => json!({"config": topic_config(&r.config)}),
        AnyRequest::DeleteTopic(r) => json!({"topic": r.topic}),
        AnyRequest::DescribeTopic(r) => json!({"topic": r.topic}),
        AnyRequest::ListTopics(r) => json!({"include_system": r.include_system}),
        AnyRequest::QueryRoute(r) => json!({
            "topic": r.topic, "allow_auto_create": r.allow_auto_create,
        }),
        AnyRequest::Heartbeat(r) => json!({
            "client_id": r.client_id,
            "producer_groups": r.producer_groups,
            "consumer_groups": r.consumer_groups.iter().map(consumer).collect::<Value>(),
        }),
        AnyRequest::GetConsumerList(r) => json!({"consumer_group": r.consumer_group}),
        AnyRequest::NotifyConsumerIdsChanged(r) => json!({"consumer_group": r.consumer_group}),
        AnyRequest::LockBatch(r) => json!({
            "consumer_group": r.consumer_group, "client_id": r.client_id,
            "queues": lock_queues(&r.queues),
        }),
        AnyRequest::UnlockBatch(r) => json!({
            "consumer_group": r.consumer_group, "client_id": r.client_id,
            "queues": lock_queues(&r.queues),
        }),
        AnyRequest::ConsumerSendBack(r) => json!({
            "consumer_group": r.consumer_group,
            "commit_log_offset": u64s(r.commit_log_offset),
            "msg_id": r.msg_id.to_string(),
            "delay_level": r.delay_level,
            "max_reconsume_times": r.max_reconsume_times,
        }),
        AnyRequest::UnregisterClient(r) => json!({
            "client_id": r.client_id, "producer_group": r.producer_group,
            "consumer_group": r.consumer_group,
        }),
        AnyRequest::UpdateSubscriptionGroup(_)
        | AnyRequest::DeleteSubscriptionGroup(_)
        | AnyRequest::DescribeGroups(_)
        | AnyRequest::ResetOffset(_) => group_admin(r),
        AnyRequest::QueryMessage(r) => query_message(r),
        AnyRequest::TrackMessage(r) => json!({
            "topic": r.topic,
            "queue_id": r.queue_id,
            "queue_offset": u64s(r.queue_offset),
            "commit_log_offset": u64s(r.commit_log_offset),
        }),
        AnyRequest::EndTransaction(r) => end_transaction(r),
        AnyRequest::CheckTransactionState(r) => json!({
            "broker_addr": r.broker_addr,
            "commit_log_offset": u64s(r.commit_log_offset),
            "record": hex(&r.record),
            "decoded_record": decode_record(&r.record).map_or(Value::Null, |ext| record(&ext)),
        }),
        other => cluster_request(other),
    }
}

/// The JSON of the name-server and replication requests (api keys 40–49).
fn cluster_request(r: &AnyRequest) -> Value {
    match r {
        AnyRequest::RegisterBroker(r) => json!({
            "cluster": r.cluster,
            "broker_name": r.broker_name,
            "broker_id": u64s(r.broker_id),
            "broker_addr": r.broker_addr,
            "ha_addr": r.ha_addr,
            "role": r.role.name(),
            "auto_create_queue_count": r.auto_create_queue_count,
            "topics": r.topics.iter().map(topic_config).collect::<Value>(),
        }),
        AnyRequest::UnregisterBroker(r) => json!({
            "cluster": r.cluster,
            "broker_name": r.broker_name,
            "broker_id": u64s(r.broker_id),
            "broker_addr": r.broker_addr,
        }),
        AnyRequest::GetClusterInfo(r) => json!({"cluster": r.cluster}),
        AnyRequest::ReplicaFetch(r) => json!({
            "broker_name": r.broker_name,
            "broker_id": u64s(r.broker_id),
            "slave_addr": r.slave_addr,
            "offset": u64s(r.offset),
            "max_bytes": r.max_bytes,
            "max_wait_ms": r.max_wait_ms,
        }),
        AnyRequest::GetBrokerStatus(_) => Value::Object(Map::new()),
        AnyRequest::GetConsumerOffsets(r) => json!({"start_index": r.start_index}),
        other => panic!("no JSON rendering for {:?}", other.api_key()),
    }
}

fn query_message(r: &QueryMessageRequest) -> Value {
    json!({
        "topic": r.topic,
        "query_by": query_by(r.query_by),
        "key": r.key,
        "queue_id": r.queue_id,
        "offset": u64s(r.offset),
        "begin_timestamp_ms": u64s(r.begin_timestamp_ms),
        "end_timestamp_ms": u64s(r.end_timestamp_ms),
        "max_results": r.max_results,
    })
}

fn end_transaction(r: &EndTransactionRequest) -> Value {
    json!({
        "producer_group": r.producer_group,
        "commit_log_offset": u64s(r.commit_log_offset),
        "msg_id": r.msg_id.to_string(),
        "resolution": resolution(r.resolution),
        "from_check": r.from_check,
    })
}

fn send_message(r: &SendMessageRequest) -> Value {
    json!({
        "producer_group": r.producer_group,
        "topic": r.topic,
        "queue_id": r.queue_id,
        "wait_store_msg_ok": r.wait_store_msg_ok,
        "auto_create_queue_count": r.auto_create_queue_count,
        "record": hex(&r.record),
    })
}

fn send_batch(r: &SendBatchRequest) -> Value {
    json!({
        "producer_group": r.producer_group,
        "topic": r.topic,
        "queue_id": r.queue_id,
        "wait_store_msg_ok": r.wait_store_msg_ok,
        "auto_create_queue_count": r.auto_create_queue_count,
        "record_count": r.record_count,
        "records": hex(&r.records),
    })
}

fn pull(r: &PullRequest) -> Value {
    json!({
        "consumer_group": r.consumer_group,
        "topic": r.topic,
        "queue_id": r.queue_id,
        "queue_offset": u64s(r.queue_offset),
        "max_messages": r.max_messages,
        "max_bytes": r.max_bytes,
        "suspend_timeout_ms": r.suspend_timeout_ms,
        "commit_offset": r.commit_offset.map_or(Value::Null, u64s),
        "expression_type": expression_type(r.expression_type),
        "expression": r.expression,
    })
}

/// The JSON of a response body.
pub(crate) fn response(r: &AnyResponse) -> Value {
    match r {
        AnyResponse::ApiVersions(r) => json!({"versions": versions(&r.versions)}),
        AnyResponse::Send(r) => json!({
            "queue_id": r.queue_id,
            "queue_offset": u64s(r.queue_offset),
            "commit_log_offset": u64s(r.commit_log_offset),
            "store_timestamp_ms": u64s(r.store_timestamp_ms),
            "store_host": addr(r.store_host),
        }),
        AnyResponse::Pull(r) => json!({
            "pull_status": pull_status(r.pull_status),
            "next_begin_offset": u64s(r.next_begin_offset),
            "min_offset": u64s(r.min_offset),
            "max_offset": u64s(r.max_offset),
            "suggest_broker_id": u64s(r.suggest_broker_id),
            "records": hex(&r.records),
            "decoded_records": decoded_records(&r.records),
        }),
        AnyResponse::Offset(r) => json!({"offset": u64s(r.offset)}),
        AnyResponse::Empty(_) => Value::Object(Map::new()),
        AnyResponse::DescribeTopic(r) => {
            let queues: Value = r
                .queues
                .iter()
                .map(|q| {
                    json!({
                        "queue_id": q.queue_id,
                        "min_offset": u64s(q.min_offset),
                        "max_offset": u64s(q.max_offset),
                        "last_store_timestamp_ms": u64s(q.last_store_timestamp_ms),
                    })
                })
                .collect();
            json!({"config": topic_config(&r.config), "queues": queues})
        }
        AnyResponse::ListTopics(r) => {
            json!({"topics": r.topics.iter().map(topic_config).collect::<Value>()})
        }
        AnyResponse::Route(r) => route(r),
        AnyResponse::QueryMessage(r) => json!({
            "records": hex(&r.records),
            "decoded_records": decoded_records(&r.records),
        }),
        AnyResponse::Track(r) => {
            let groups: Value = r
                .groups
                .iter()
                .map(|g| {
                    json!({
                        "group": g.group,
                        "state": track_state(g.state),
                        "online": g.online,
                        "committed_offset": u64s(g.committed_offset),
                    })
                })
                .collect();
            json!({"groups": groups})
        }
        AnyResponse::ConsumerList(r) => json!({"client_ids": r.client_ids}),
        AnyResponse::LockBatch(r) => json!({"locked": lock_queues(&r.locked)}),
        AnyResponse::DescribeGroups(r) => describe_groups(r),
        AnyResponse::ResetOffset(r) => json!({
            "broker_name": r.broker_name, "offsets": queue_offsets(&r.offsets),
        }),
        other => cluster_response(other),
    }
}

/// The JSON of the name-server and replication responses (api keys 40–49).
fn cluster_response(r: &AnyResponse) -> Value {
    match r {
        AnyResponse::Register(r) => json!({
            "master_addr": r.master_addr,
            "master_ha_addr": r.master_ha_addr,
        }),
        AnyResponse::ClusterInfo(r) => {
            let brokers: Value = r
                .brokers
                .iter()
                .map(|b| {
                    json!({
                        "cluster": b.cluster,
                        "broker_name": b.broker_name,
                        "broker_id": u64s(b.broker_id),
                        "addr": b.addr,
                        "ha_addr": b.ha_addr,
                        "role": b.role.name(),
                        "last_register_age_ms": u64s(b.last_register_age_ms),
                    })
                })
                .collect();
            json!({"brokers": brokers})
        }
        AnyResponse::ReplicaFetch(r) => json!({
            "master_min_offset": u64s(r.master_min_offset),
            "master_max_offset": u64s(r.master_max_offset),
            "segment_size": u64s(r.segment_size),
            "data_offset": u64s(r.data_offset),
            "data": hex(&r.data),
        }),
        AnyResponse::BrokerStatus(r) => broker_status(r),
        AnyResponse::ConsumerOffsets(r) => {
            let offsets: Value = r
                .offsets
                .iter()
                .map(|e| {
                    json!({
                        "consumer_group": e.consumer_group,
                        "topic": e.topic,
                        "queue_id": e.queue_id,
                        "offset": u64s(e.offset),
                    })
                })
                .collect();
            json!({"total": r.total, "offsets": offsets})
        }
        other => panic!("no JSON rendering for {other:?}"),
    }
}

fn broker_status(r: &BrokerStatus) -> Value {
    let slaves: Value = r
        .slaves
        .iter()
        .map(|s| {
            json!({
                "addr": s.addr,
                "ack_offset": u64s(s.ack_offset),
                "last_fetch_age_ms": u64s(s.last_fetch_age_ms),
            })
        })
        .collect();
    json!({
        "cluster": r.cluster,
        "broker_name": r.broker_name,
        "broker_id": u64s(r.broker_id),
        "role": r.role.name(),
        "addr": r.addr,
        "commit_log_min_offset": u64s(r.commit_log_min_offset),
        "commit_log_max_offset": u64s(r.commit_log_max_offset),
        "flushed_offset": u64s(r.flushed_offset),
        "topic_count": r.topic_count,
        "master_addr": r.master_addr,
        "slaves": slaves,
    })
}

/// The JSON of `QueryConsumerOffset` and `UpdateConsumerOffset`.
fn consumer_offset(r: &AnyRequest) -> Value {
    match r {
        AnyRequest::QueryConsumerOffset(r) => json!({
            "consumer_group": r.consumer_group, "topic": r.topic, "queue_id": r.queue_id,
        }),
        AnyRequest::UpdateConsumerOffset(r) => json!({
            "consumer_group": r.consumer_group, "topic": r.topic, "queue_id": r.queue_id,
            "offset": u64s(r.offset),
        }),
        other => unreachable!("not a consumer-offset request: {other:?}"),
    }
}

/// The JSON of the group-administration requests (api keys 56–59).
fn group_admin(r: &AnyRequest) -> Value {
    match r {
        AnyRequest::UpdateSubscriptionGroup(r) => json!({
            "mode": format!("{:?}", r.mode).to_uppercase(),
            "config": group_config(&r.config),
        }),
        AnyRequest::DeleteSubscriptionGroup(r) => json!({
            "consumer_group": r.consumer_group, "remove_offsets": r.remove_offsets,
        }),
        AnyRequest::DescribeGroups(r) => json!({
            "consumer_group": r.consumer_group, "include": r.include,
        }),
        AnyRequest::ResetOffset(r) => json!({
            "consumer_group": r.consumer_group,
            "topic": r.topic,
            "timestamp_ms": u64s(r.timestamp_ms),
            "broker_name": r.broker_name,
            "offsets": queue_offsets(&r.offsets),
        }),
        other => unreachable!("not a group-administration request: {other:?}"),
    }
}

fn group_config(c: &SubscriptionGroupConfig) -> Value {
    json!({
        "group": c.group,
        "consume_enable": c.consume_enable,
        "consume_broadcast_enable": c.consume_broadcast_enable,
        "retry_queue_count": c.retry_queue_count,
        "retry_max_times": c.retry_max_times,
        "broker_id": u64s(c.broker_id),
        "which_broker_when_consume_slowly": u64s(c.which_broker_when_consume_slowly),
    })
}

fn queue_offsets(offsets: &[QueueOffset]) -> Value {
    offsets
        .iter()
        .map(|q| json!({"topic": q.topic, "queue_id": q.queue_id, "offset": u64s(q.offset)}))
        .collect()
}

fn group_member(m: &GroupMember) -> Value {
    json!({
        "client_id": m.client_id,
        "addr": m.addr,
        "consume_type": consume_type(m.consume_type),
        "message_model": message_model(m.message_model),
        "consume_from": consume_from(m.consume_from),
        "subscriptions": m.subscriptions.iter().map(subscription).collect::<Value>(),
    })
}

fn queue_progress(q: &QueueProgress) -> Value {
    json!({
        "topic": q.topic,
        "queue_id": q.queue_id,
        "broker_offset": u64s(q.broker_offset),
        "consumer_offset": u64s(q.consumer_offset),
        "last_commit_ms": u64s(q.last_commit_ms),
        "last_consumed_store_ms": u64s(q.last_consumed_store_ms),
    })
}

fn describe_groups(r: &DescribeGroupsResponse) -> Value {
    let groups: Value = r
        .groups
        .iter()
        .map(|g| {
            json!({
                "config": group_config(&g.config),
                "stored": g.stored,
                "member_count": g.member_count,
                "members": g.members.iter().map(group_member).collect::<Value>(),
                "queues": g.queues.iter().map(queue_progress).collect::<Value>(),
            })
        })
        .collect();
    json!({"groups": groups, "truncated": r.truncated})
}

/// The records of a stored-records field, each as `record` renders it (derived from the
/// bytes, so SDK tests can check their message accessors against it).
fn decoded_records(records: &Bytes) -> Value {
    decode_records(records).map_or(Value::Null, |all| all.iter().map(record).collect())
}

/// The JSON of a decoded record.
pub(crate) fn record(ext: &MessageExt) -> Value {
    let m = &ext.message;
    let properties: Map<String, Value> = m
        .properties
        .iter()
        .map(|(k, v)| (k.clone(), Value::String(v.clone())))
        .collect();
    json!({
        "topic": m.topic,
        "tags": m.tags,
        "keys": m.keys,
        "flag": m.flag,
        "properties": properties,
        "delay_level": m.delay_level,
        "deliver_at_ms": m.deliver_at_ms.map_or(Value::Null, u64s),
        "body": hex(&m.body),
        "msg_id": ext.msg_id.to_string(),
        "queue_id": ext.queue_id,
        "queue_offset": u64s(ext.queue_offset),
        "commit_log_offset": u64s(ext.commit_log_offset),
        "store_size": ext.store_size,
        "sys_flag": ext.sys_flag,
        "born_timestamp_ms": u64s(ext.born_timestamp_ms),
        "store_timestamp_ms": u64s(ext.store_timestamp_ms),
        "born_host": addr(ext.born_host),
        "store_host": addr(ext.store_host),
        "reconsume_times": ext.reconsume_times,
        "prepared_transaction_offset": u64s(ext.prepared_transaction_offset),
        "payload_crc": ext.payload_crc,
    })
}
