//! `UpdateSubscriptionGroup` (api key 56): create or change a consumer group's config on a
//! broker (RocketMQ's `UPDATE_AND_CREATE_SUBSCRIPTIONGROUP`). `mode` says whether the group may
//! or must exist already; `SubscriptionGroupConfig` is also the element of `DescribeGroups`.
//!
//! ```text
//! request  v0: mode:u8  config: SubscriptionGroupConfig
//! SubscriptionGroupConfig:
//!              group:string(≤ GROUP_LEN_MAX)  consume_enable:bool  consume_broadcast_enable:bool
//!              retry_queue_count:u16(≤ QUEUE_COUNT_MAX)  retry_max_times:u32(≤ RETRY_MAX_TIMES_MAX)
//!              broker_id:u64  which_broker_when_consume_slowly:u64
//! response v0: (empty)
//! ```

use bytes::{BufMut, Bytes, BytesMut};

use crate::limits::{
    GROUP_LEN_MAX, GROUP_READ_BROKER_ID_DEFAULT, GROUP_SLOW_READ_BROKER_ID_DEFAULT,
    MAX_RECONSUME_TIMES_DEFAULT, RETRY_MAX_TIMES_MAX, RETRY_QUEUE_COUNT_DEFAULT,
};
use crate::protocol::api::{ApiKey, Body, Request};
use crate::protocol::error::{DecodeError, EncodeError};
use crate::protocol::types::{Empty, check_queue_count, parse_queue_count, wire_enum};
use crate::protocol::wire::{self, PResult};

wire_enum! {
    /// Whether `UpdateSubscriptionGroup` may create or replace a group.
    GroupWriteMode, "mode" {
        /// Create the group, or replace its config when it exists (mqadmin's `updateSubGroup`).
        Upsert = 0,
        /// Create the group; an existing group is refused with `INVALID_PARAMETER`.
        Create = 1,
        /// Replace an existing group's config; a missing group is refused with
        /// `SUBSCRIPTION_GROUP_NOT_EXIST`.
        Update = 2,
    }
}

/// A consumer group's config on one broker (RocketMQ's `SubscriptionGroupConfig`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SubscriptionGroupConfig {
    /// Group name.
    pub group: String,
    /// Whether the group may pull; `false` makes its pulls fail with `NO_PERMISSION`.
    pub consume_enable: bool,
    /// Whether the group may consume in broadcasting mode.
    pub consume_broadcast_enable: bool,
    /// Queues of the group's retry topic `%RETRY%{group}`, 1..=`QUEUE_COUNT_MAX`.
    pub retry_queue_count: u16,
    /// Redeliveries before a message goes to `%DLQ%{group}`, when the consumer does not say.
    pub retry_max_times: u32,
    /// The broker id consumers are told to read from while they keep up (0 = the master).
    pub broker_id: u64,
    /// The broker id consumers are told to read from when they fall far behind.
    pub which_broker_when_consume_slowly: u64,
}

impl SubscriptionGroupConfig {
    /// The config RocketMQ gives a new group: consume and broadcast enabled, 1 retry queue,
    /// 16 retries, reads from the master, from broker 1 when slow.
    pub fn new(group: impl Into<String>) -> SubscriptionGroupConfig {
        SubscriptionGroupConfig {
            group: group.into(),
            consume_enable: true,
            consume_broadcast_enable: true,
            retry_queue_count: RETRY_QUEUE_COUNT_DEFAULT,
            retry_max_times: MAX_RECONSUME_TIMES_DEFAULT,
            broker_id: GROUP_READ_BROKER_ID_DEFAULT,
            which_broker_when_consume_slowly: GROUP_SLOW_READ_BROKER_ID_DEFAULT,
        }
    }

    /// Appends the wire form, checking every limit.
    pub fn encode(&self, out: &mut BytesMut) -> Result<(), EncodeError> {
        wire::put_string(out, "group", &self.group, GROUP_LEN_MAX)?;
        check_queue_count("retry_queue_count", self.retry_queue_count)?;
        wire::check_len(
            "retry_max_times",
            self.retry_max_times as usize,
            RETRY_MAX_TIMES_MAX as usize,
        )?;
        out.put_u8(u8::from(self.consume_enable));
        out.put_u8(u8::from(self.consume_broadcast_enable));
        out.put_u16(self.retry_queue_count);
        out.put_u32(self.retry_max_times);
        out.put_u64(self.broker_id);
        out.put_u64(self.which_broker_when_consume_slowly);
        Ok(())
    }

    /// Parses the wire form.
    pub fn parse(i: &[u8]) -> PResult<'_, SubscriptionGroupConfig> {
        let (i, group) = wire::string(i, "group", GROUP_LEN_MAX)?;
        let (i, consume_enable) = wire::bool(i, "consume_enable")?;
        let (i, consume_broadcast_enable) = wire::bool(i, "consume_broadcast_enable")?;
        let (i, retry_queue_count) = parse_queue_count(i, "retry_queue_count")?;
        let (i, retry_max_times) = wire::u32(i, "retry_max_times")?;
        if retry_max_times > RETRY_MAX_TIMES_MAX {
            return Err(DecodeError::TooLong {
                field: "retry_max_times",
                len: retry_max_times as usize,
                max: RETRY_MAX_TIMES_MAX as usize,
            });
        }
        let (i, broker_id) = wire::u64(i, "broker_id")?;
        let (i, which_broker_when_consume_slowly) =
            wire::u64(i, "which_broker_when_consume_slowly")?;
        let config = SubscriptionGroupConfig {
            group: group.to_owned(),
            consume_enable,
            consume_broadcast_enable,
            retry_queue_count,
            retry_max_times,
            broker_id,
            which_broker_when_consume_slowly,
        };
        Ok((i, config))
    }
}

/// Bytes of the smallest `SubscriptionGroupConfig` (an empty group name).
pub const SUBSCRIPTION_GROUP_CONFIG_LEN_MIN: usize = 2 + 1 + 1 + 2 + 4 + 8 + 8;

/// Request body of `UpdateSubscriptionGroup`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UpdateSubscriptionGroupRequest {
    /// Create, update, or either.
    pub mode: GroupWriteMode,
    /// The whole new config.
    pub config: SubscriptionGroupConfig,
}

impl Body for UpdateSubscriptionGroupRequest {
    fn encode(&self, out: &mut BytesMut) -> Result<(), EncodeError> {
        out.put_u8(self.mode.code());
        self.config.encode(out)
    }

    fn decode(body: &Bytes) -> Result<UpdateSubscriptionGroupRequest, DecodeError> {
        let (i, mode) = GroupWriteMode::parse(body)?;
        let (i, config) = SubscriptionGroupConfig::parse(i)?;
        wire::finish(i)?;
        Ok(UpdateSubscriptionGroupRequest { mode, config })
    }
}

impl Request for UpdateSubscriptionGroupRequest {
    const API_KEY: ApiKey = ApiKey::UpdateSubscriptionGroup;
    type Response = Empty;
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::limits::QUEUE_COUNT_MAX;
    use crate::protocol::testkit::{self, Case, Cut, Wire, samples};

    fn request() -> Case<UpdateSubscriptionGroupRequest> {
        Case::request(samples::update_subscription_group_request())
    }

    fn response() -> Case<Empty> {
        Case::response::<UpdateSubscriptionGroupRequest>(Empty)
    }

    /// An `UpdateSubscriptionGroup` request frame decodes to the request it was encoded from.
    #[test]
    fn request_roundtrip() {
        request().roundtrip();
    }

    /// The request matches `spec/vectors/update_subscription_group_request.json`.
    #[test]
    fn request_golden() {
        testkit::golden("update_subscription_group_request");
    }

    /// Every truncation of the request is incomplete or an error, never another value.
    #[test]
    fn request_truncations() {
        request().truncations();
    }

    /// An unknown mode, an over-long group name, a non-boolean flag and over-limit counts are
    /// refused before more arrives, and at encode.
    #[test]
    fn request_over_limit() {
        let flags = || Wire::new().u8(0).str("g").u8(1).u8(0);
        request().over_limit(&[
            Cut::value(
                &[],
                &[3],
                DecodeError::InvalidValue {
                    field: "mode",
                    value: 3,
                },
            ),
            Cut::string(&[0], "group", GROUP_LEN_MAX),
            Cut::value(
                &Wire::new().u8(0).str("g").done(),
                &[2],
                DecodeError::InvalidValue {
                    field: "consume_enable",
                    value: 2,
                },
            ),
            Cut::value(
                &flags().done(),
                &u16::try_from(QUEUE_COUNT_MAX + 1).unwrap().to_be_bytes(),
                DecodeError::TooLong {
                    field: "retry_queue_count",
                    len: QUEUE_COUNT_MAX + 1,
                    max: QUEUE_COUNT_MAX,
                },
            ),
            Cut::value(
                &flags().u16(1).done(),
                &(RETRY_MAX_TIMES_MAX + 1).to_be_bytes(),
                DecodeError::TooLong {
                    field: "retry_max_times",
                    len: RETRY_MAX_TIMES_MAX as usize + 1,
                    max: RETRY_MAX_TIMES_MAX as usize,
                },
            ),
        ]);
        let mut bad = samples::update_subscription_group_request();
        bad.config.group = testkit::long(GROUP_LEN_MAX + 1);
        testkit::assert_request_refused(&bad, "group");
        let mut bad = samples::update_subscription_group_request();
        bad.config.retry_max_times = RETRY_MAX_TIMES_MAX + 1;
        testkit::assert_request_refused(&bad, "retry_max_times");
        let mut bad = samples::update_subscription_group_request();
        bad.config.retry_queue_count = u16::try_from(QUEUE_COUNT_MAX + 1).unwrap();
        testkit::assert_request_refused(&bad, "retry_queue_count");
    }

    /// The request fed one byte at a time comes out once, whole.
    #[test]
    fn request_byte_at_a_time() {
        request().byte_at_a_time();
    }

    /// An `UpdateSubscriptionGroup` response frame decodes to the response it was encoded from.
    #[test]
    fn response_roundtrip() {
        response().roundtrip();
    }

    /// The response matches `spec/vectors/update_subscription_group_response.json`.
    #[test]
    fn response_golden() {
        testkit::golden("update_subscription_group_response");
    }

    /// Every truncation of the response is incomplete or an error, never another value.
    #[test]
    fn response_truncations() {
        response().truncations();
    }

    /// The empty response refuses any byte, and an over-limit frame length.
    #[test]
    fn response_over_limit() {
        response().over_limit(&[Cut::value(
            &[],
            &[0],
            DecodeError::TrailingBytes { count: 1 },
        )]);
    }

    /// The response fed one byte at a time comes out once, whole.
    #[test]
    fn response_byte_at_a_time() {
        response().byte_at_a_time();
    }
}
