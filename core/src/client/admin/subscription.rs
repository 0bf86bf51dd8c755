//! `Admin` calls about subscription groups: create, update, delete and describe a consumer
//! group's config on a broker, its members and progress, and resetting its offsets to a time.

use crate::client::admin::Admin;
use crate::client::error::ClientError;
use crate::client::validate::validate_group;
use crate::protocol::{
    DeleteSubscriptionGroupRequest, DescribeGroupsRequest, DescribeGroupsResponse, GroupWriteMode,
    ResetOffsetRequest, ResetOffsetResponse, SubscriptionGroupConfig,
    UpdateSubscriptionGroupRequest,
};

impl Admin {
    /// Creates (`GroupWriteMode::Create`), replaces (`Update`) or either (`Upsert`) a consumer
    /// group's config on the broker at `broker_addr`.
    pub async fn write_subscription_group(
        &self,
        broker_addr: &str,
        mode: GroupWriteMode,
        config: SubscriptionGroupConfig,
    ) -> Result<(), ClientError> {
        validate_group(&config.group)?;
        let request = UpdateSubscriptionGroupRequest { mode, config };
        self.call(broker_addr, &request).await?;
        Ok(())
    }

    /// Deletes a consumer group's config, and its committed offsets when `remove_offsets`.
    pub async fn delete_subscription_group(
        &self,
        broker_addr: &str,
        group: &str,
        remove_offsets: bool,
    ) -> Result<(), ClientError> {
        validate_group(group)?;
        let request = DeleteSubscriptionGroupRequest {
            consumer_group: group.to_owned(),
            remove_offsets,
        };
        self.call(broker_addr, &request).await?;
        Ok(())
    }

    /// Describes one group ("" = every stored group) with `include` (`DESCRIBE_MEMBERS`,
    /// `DESCRIBE_PROGRESS`).
    pub async fn describe_groups(
        &self,
        broker_addr: &str,
        group: &str,
        include: u8,
    ) -> Result<DescribeGroupsResponse, ClientError> {
        if !group.is_empty() {
            validate_group(group)?;
        }
        let request = DescribeGroupsRequest {
            consumer_group: group.to_owned(),
            include,
        };
        self.call(broker_addr, &request).await
    }

    /// Moves the group's offsets of `topic` ("" = every topic of the group) on the broker to
    /// the first message stored at or after `timestamp_ms`; the broker tells the live members.
    pub async fn reset_offset_by_time(
        &self,
        broker_addr: &str,
        group: &str,
        topic: &str,
        timestamp_ms: u64,
    ) -> Result<ResetOffsetResponse, ClientError> {
        validate_group(group)?;
        let request = ResetOffsetRequest {
            consumer_group: group.to_owned(),
            topic: topic.to_owned(),
            timestamp_ms,
            broker_name: String::new(),
            offsets: Vec::new(),
        };
        self.call(broker_addr, &request).await
    }
}
