//! `DescribeGroups` (api key 58): consumer groups as one broker sees them — each group's config,
//! and on request its live members (RocketMQ's `consumerConnection`) and, per queue of its
//! topics on this broker, the broker's and the group's offsets (`consumerProgress`).
//!
//! ```text
//! request  v0: consumer_group:string(≤ GROUP_LEN_MAX)   "" = every group stored on the broker
//!              include:u8                              bits: 0x1 members, 0x2 progress
//! response v0: groups: u32 count(≤ GROUP_DESCRIBE_COUNT_MAX) × GroupDescription
//!              truncated:bool
//! GroupDescription: config:SubscriptionGroupConfig  stored:bool  member_count:u32
//!              members: u32 count(≤ CONSUMER_LIST_COUNT_MAX) × GroupMember
//!              queues: u32 count(≤ GROUP_PROGRESS_QUEUE_COUNT_MAX) × QueueProgress
//! GroupMember: client_id:string(≤ CLIENT_ID_LEN_MAX)  addr:string(≤ ADDR_LEN_MAX)
//!              consume_type:u8  message_model:u8  consume_from:u8
//!              subscriptions: u32 count(≤ SUBSCRIPTION_COUNT_MAX) × Subscription
//! QueueProgress: topic:string(≤ TOPIC_LEN_MAX)  queue_id:u32  broker_offset:u64
//!              consumer_offset:u64  last_commit_ms:u64  last_consumed_store_ms:u64
//! ```

use bytes::{BufMut, Bytes, BytesMut};

use crate::limits::{
    ADDR_LEN_MAX, CLIENT_ID_LEN_MAX, CONSUMER_LIST_COUNT_MAX, GROUP_DESCRIBE_COUNT_MAX,
    GROUP_LEN_MAX, GROUP_PROGRESS_QUEUE_COUNT_MAX, SUBSCRIPTION_COUNT_MAX, TOPIC_LEN_MAX,
};
use crate::protocol::api::{ApiKey, Body, Request};
use crate::protocol::error::{DecodeError, EncodeError};
use crate::protocol::types::{ConsumeFrom, ConsumeType, MessageModel, Subscription};
use crate::protocol::update_subscription_group::{
    SUBSCRIPTION_GROUP_CONFIG_LEN_MIN, SubscriptionGroupConfig,
};
use crate::protocol::wire::{self, PResult};

/// `include` bit: list each group's live members.
pub const DESCRIBE_MEMBERS: u8 = 0x1;
/// `include` bit: list each group's progress per queue.
pub const DESCRIBE_PROGRESS: u8 = 0x2;
const DESCRIBE_MASK: u8 = DESCRIBE_MEMBERS | DESCRIBE_PROGRESS;

/// `QueueProgress::consumer_offset` of a queue the group never committed.
pub const NO_CONSUMER_OFFSET: u64 = u64::MAX;

const MEMBER_LEN_MIN: usize = 2 + 2 + 1 + 1 + 1 + 4;
const PROGRESS_LEN_MIN: usize = 2 + 4 + 8 + 8 + 8 + 8;
const DESCRIPTION_LEN_MIN: usize = SUBSCRIPTION_GROUP_CONFIG_LEN_MIN + 1 + 4 + 4 + 4;
const SUBSCRIPTION_LEN_MIN: usize = 2 + 1 + 2;

/// Request body of `DescribeGroups`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DescribeGroupsRequest {
    /// One group, or "" for every group whose config the broker stores.
    pub consumer_group: String,
    /// `DESCRIBE_MEMBERS` and/or `DESCRIBE_PROGRESS`.
    pub include: u8,
}

/// A live member of a consumer group, from its heartbeats.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GroupMember {
    /// Client id.
    pub client_id: String,
    /// Address of its connection, `host:port`.
    pub addr: String,
    /// Pull or push.
    pub consume_type: ConsumeType,
    /// Clustering or broadcasting.
    pub message_model: MessageModel,
    /// Where it starts queues with no committed offset.
    pub consume_from: ConsumeFrom,
    /// Its subscriptions (the retry topic included).
    pub subscriptions: Vec<Subscription>,
}

/// One queue of a group's topics on this broker.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueueProgress {
    /// Topic.
    pub topic: String,
    /// Queue.
    pub queue_id: u32,
    /// One past the queue's last message (the broker offset).
    pub broker_offset: u64,
    /// The group's committed offset, `NO_CONSUMER_OFFSET` when it has none.
    pub consumer_offset: u64,
    /// When the group's committed offset of this queue last moved forward (ms since the
    /// epoch; 0 = never seen).
    pub last_commit_ms: u64,
    /// Store time of the last message the group consumed here (the one before its committed
    /// offset; RocketMQ's "last time"), 0 when none.
    pub last_consumed_store_ms: u64,
}

impl QueueProgress {
    /// Messages stored and not consumed yet (0 when no offset is committed).
    pub fn lag(&self) -> u64 {
        if self.consumer_offset == NO_CONSUMER_OFFSET {
            0
        } else {
            self.broker_offset.saturating_sub(self.consumer_offset)
        }
    }
}

/// One group as a broker sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GroupDescription {
    /// The group's config (the defaults when `stored` is false).
    pub config: SubscriptionGroupConfig,
    /// Whether the config is stored on the broker (false: the group is known only from
    /// members or offsets).
    pub stored: bool,
    /// Live members, whether listed or not.
    pub member_count: u32,
    /// Live members, sorted by client id (with `DESCRIBE_MEMBERS`).
    pub members: Vec<GroupMember>,
    /// Queues of the group's topics, by topic and queue (with `DESCRIBE_PROGRESS`).
    pub queues: Vec<QueueProgress>,
}

/// Response body of `DescribeGroups`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DescribeGroupsResponse {
    /// The groups, sorted by name.
    pub groups: Vec<GroupDescription>,
    /// Whether lists were cut short to fit one frame.
    pub truncated: bool,
}

impl Body for DescribeGroupsRequest {
    fn encode(&self, out: &mut BytesMut) -> Result<(), EncodeError> {
        wire::put_string(out, "consumer_group", &self.consumer_group, GROUP_LEN_MAX)?;
        if self.include & !DESCRIBE_MASK != 0 {
            return Err(EncodeError::Invalid {
                field: "include",
                reason: "undefined bits set",
            });
        }
        out.put_u8(self.include);
        Ok(())
    }

    fn decode(body: &Bytes) -> Result<DescribeGroupsRequest, DecodeError> {
        let (i, group) = wire::string(body, "consumer_group", GROUP_LEN_MAX)?;
        let (i, include) = wire::u8(i, "include")?;
        if include & !DESCRIBE_MASK != 0 {
            return Err(DecodeError::InvalidValue {
                field: "include",
                value: u64::from(include),
            });
        }
        wire::finish(i)?;
        Ok(DescribeGroupsRequest {
            consumer_group: group.to_owned(),
            include,
        })
    }
}

fn put_member(out: &mut BytesMut, m: &GroupMember) -> Result<(), EncodeError> {
    wire::put_string(out, "client_id", &m.client_id, CLIENT_ID_LEN_MAX)?;
    wire::put_string(out, "addr", &m.addr, ADDR_LEN_MAX)?;
    out.put_u8(m.consume_type.code());
    out.put_u8(m.message_model.code());
    out.put_u8(m.consume_from.code());
    wire::put_list(
        out,
        "subscriptions",
        &m.subscriptions,
        SUBSCRIPTION_COUNT_MAX,
        |out, s| s.encode(out),
    )
}

fn parse_member(i: &[u8]) -> PResult<'_, GroupMember> {
    let (i, client_id) = wire::string(i, "client_id", CLIENT_ID_LEN_MAX)?;
    let (i, addr) = wire::string(i, "addr", ADDR_LEN_MAX)?;
    let (i, consume_type) = ConsumeType::parse(i)?;
    let (i, message_model) = MessageModel::parse(i)?;
    let (i, consume_from) = ConsumeFrom::parse(i)?;
    let (i, subscriptions) = wire::list(
        i,
        "subscriptions",
        SUBSCRIPTION_COUNT_MAX,
        SUBSCRIPTION_LEN_MIN,
        Subscription::parse,
    )?;
    let member = GroupMember {
        client_id: client_id.to_owned(),
        addr: addr.to_owned(),
        consume_type,
        message_model,
        consume_from,
        subscriptions,
    };
    Ok((i, member))
}

fn put_progress(out: &mut BytesMut, q: &QueueProgress) -> Result<(), EncodeError> {
    wire::put_string(out, "topic", &q.topic, TOPIC_LEN_MAX)?;
    out.put_u32(q.queue_id);
    out.put_u64(q.broker_offset);
    out.put_u64(q.consumer_offset);
    out.put_u64(q.last_commit_ms);
    out.put_u64(q.last_consumed_store_ms);
    Ok(())
}

fn parse_progress(i: &[u8]) -> PResult<'_, QueueProgress> {
    let (i, topic) = wire::string(i, "topic", TOPIC_LEN_MAX)?;
    let (i, queue_id) = wire::u32(i, "queue_id")?;
    let (i, broker_offset) = wire::u64(i, "broker_offset")?;
    let (i, consumer_offset) = wire::u64(i, "consumer_offset")?;
    let (i, last_commit_ms) = wire::u64(i, "last_commit_ms")?;
    let (i, last_consumed_store_ms) = wire::u64(i, "last_consumed_store_ms")?;
    let progress = QueueProgress {
        topic: topic.to_owned(),
        queue_id,
        broker_offset,
        consumer_offset,
        last_commit_ms,
        last_consumed_store_ms,
    };
    Ok((i, progress))
}

fn put_description(out: &mut BytesMut, d: &GroupDescription) -> Result<(), EncodeError> {
    d.config.encode(out)?;
    out.put_u8(u8::from(d.stored));
    out.put_u32(d.member_count);
    wire::put_list(
        out,
        "members",
        &d.members,
        CONSUMER_LIST_COUNT_MAX,
        put_member,
    )?;
    wire::put_list(
        out,
        "queues",
        &d.queues,
        GROUP_PROGRESS_QUEUE_COUNT_MAX,
        put_progress,
    )
}

fn parse_description(i: &[u8]) -> PResult<'_, GroupDescription> {
    let (i, config) = SubscriptionGroupConfig::parse(i)?;
    let (i, stored) = wire::bool(i, "stored")?;
    let (i, member_count) = wire::u32(i, "member_count")?;
    let (i, members) = wire::list(
        i,
        "members",
        CONSUMER_LIST_COUNT_MAX,
        MEMBER_LEN_MIN,
        parse_member,
    )?;
    let (i, queues) = wire::list(
        i,
        "queues",
        GROUP_PROGRESS_QUEUE_COUNT_MAX,
        PROGRESS_LEN_MIN,
        parse_progress,
    )?;
    let description = GroupDescription {
        config,
        stored,
        member_count,
        members,
        queues,
    };
    Ok((i, description))
}

impl Body for DescribeGroupsResponse {
    fn encode(&self, out: &mut BytesMut) -> Result<(), EncodeError> {
        wire::put_list(
            out,
            "groups",
            &self.groups,
            GROUP_DESCRIBE_COUNT_MAX,
            put_description,
        )?;
        out.put_u8(u8::from(self.truncated));
        Ok(())
    }

    fn decode(body: &Bytes) -> Result<DescribeGroupsResponse, DecodeError> {
        let (i, groups) = wire::list(
            body,
            "groups",
            GROUP_DESCRIBE_COUNT_MAX,
            DESCRIPTION_LEN_MIN,
            parse_description,
        )?;
        let (i, truncated) = wire::bool(i, "truncated")?;
        wire::finish(i)?;
        Ok(DescribeGroupsResponse { groups, truncated })
    }
}

impl Request for DescribeGroupsRequest {
    const API_KEY: ApiKey = ApiKey::DescribeGroups;
    type Response = DescribeGroupsResponse;
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::testkit::{self, Case, Cut, Wire, samples};

    fn request() -> Case<DescribeGroupsRequest> {
        Case::request(samples::describe_groups_request())
    }

    fn response() -> Case<DescribeGroupsResponse> {
        Case::response::<DescribeGroupsRequest>(samples::describe_groups_response())
    }

    /// A `DescribeGroups` request frame decodes to the request it was encoded from.
    #[test]
    fn request_roundtrip() {
        request().roundtrip();
    }

    /// The request matches `spec/vectors/describe_groups_request.json`.
    #[test]
    fn request_golden() {
        testkit::golden("describe_groups_request");
    }

    /// Every truncation of the request is incomplete or an error, never another value.
    #[test]
    fn request_truncations() {
        request().truncations();
    }

    /// An over-limit group name and undefined `include` bits are refused, also at encode.
    #[test]
    fn request_over_limit() {
        request().over_limit(&[
            Cut::string(&[], "consumer_group", GROUP_LEN_MAX),
            Cut::value(
                &Wire::new().str("g").done(),
                &[4],
                DecodeError::InvalidValue {
                    field: "include",
                    value: 4,
                },
            ),
        ]);
        let mut bad = samples::describe_groups_request();
        bad.include = 0x80;
        testkit::assert_request_refused(&bad, "include");
        bad = samples::describe_groups_request();
        bad.consumer_group = testkit::long(GROUP_LEN_MAX + 1);
        testkit::assert_request_refused(&bad, "consumer_group");
    }

    /// The request fed one byte at a time comes out once, whole.
    #[test]
    fn request_byte_at_a_time() {
        request().byte_at_a_time();
    }

    /// A `DescribeGroups` response frame decodes to the response it was encoded from.
    #[test]
    fn response_roundtrip() {
        response().roundtrip();
    }

    /// The response matches `spec/vectors/describe_groups_response.json`.
    #[test]
    fn response_golden() {
        testkit::golden("describe_groups_response");
    }

    /// Every truncation of the response is incomplete or an error, never another value.
    #[test]
    fn response_truncations() {
        response().truncations();
    }

    /// Over-limit counts and lengths at every level are refused before their data arrives,
    /// and at encode.
    #[test]
    fn response_over_limit() {
        let config = || {
            Wire::new()
                .u32(1)
                .str("g")
                .u8(1)
                .u8(1)
                .u16(1)
                .u32(16)
                .u64(0)
                .u64(1)
                .u8(1)
                .u32(1)
        };
        let member = || config().u32(1).str("c").str("a").u8(1).u8(0).u8(0);
        response().over_limit(&[
            Cut::u32_len(&[], "groups", GROUP_DESCRIBE_COUNT_MAX),
            Cut::count_past_end(&[], "groups", 1),
            Cut::u32_len(&config().done(), "members", CONSUMER_LIST_COUNT_MAX).padded(3),
            Cut::string(&config().u32(1).done(), "client_id", CLIENT_ID_LEN_MAX).padded(16),
            Cut::u32_len(&member().done(), "subscriptions", SUBSCRIPTION_COUNT_MAX),
            Cut::u32_len(
                &config().u32(0).done(),
                "queues",
                GROUP_PROGRESS_QUEUE_COUNT_MAX,
            ),
            Cut::string(&config().u32(0).u32(1).done(), "topic", TOPIC_LEN_MAX).padded(40),
        ]);
        let mut bad = samples::describe_groups_response();
        bad.groups[0].members[0].addr = testkit::long(ADDR_LEN_MAX + 1);
        testkit::assert_response_refused::<DescribeGroupsRequest>(&bad, "addr");
        let mut bad = samples::describe_groups_response();
        bad.groups[0].queues[0].topic = testkit::long(TOPIC_LEN_MAX + 1);
        testkit::assert_response_refused::<DescribeGroupsRequest>(&bad, "topic");
    }

    /// The response fed one byte at a time comes out once, whole.
    #[test]
    fn response_byte_at_a_time() {
        response().byte_at_a_time();
    }

    /// Lag counts only queues with a committed offset.
    #[test]
    fn lag_needs_a_committed_offset() {
        let mut q = samples::describe_groups_response().groups[0].queues[0].clone();
        q.broker_offset = 10;
        q.consumer_offset = 4;
        assert_eq!(q.lag(), 6);
        q.consumer_offset = NO_CONSUMER_OFFSET;
        assert_eq!(q.lag(), 0);
    }
}
