//! `Admin` calls about consumer groups: members and committed offsets.

use crate::client::admin::Admin;
use crate::client::error::ClientError;
use crate::protocol::{GetConsumerListRequest, QueryConsumerOffsetRequest, Status};

impl Admin {
    /// The client ids of a consumer group's members as the broker at `broker_addr` knows them,
    /// sorted.
    pub async fn consumer_list(
        &self,
        broker_addr: &str,
        group: &str,
    ) -> Result<Vec<String>, ClientError> {
        let request = GetConsumerListRequest {
            consumer_group: group.to_owned(),
        };
        Ok(self.call(broker_addr, &request).await?.client_ids)
    }

    /// A group's committed offset of one queue; `None` when it has none.
    pub async fn committed_offset(
        &self,
        broker_addr: &str,
        group: &str,
        topic: &str,
        queue_id: u32,
    ) -> Result<Option<u64>, ClientError> {
        let request = QueryConsumerOffsetRequest {
            consumer_group: group.to_owned(),
            topic: topic.to_owned(),
            queue_id,
        };
        match self.call(broker_addr, &request).await {
            Ok(r) => Ok(Some(r.offset)),
            Err(e) if e.status() == Some(Status::QueryNotFound) => Ok(None),
            Err(e) => Err(e),
        }
    }
}
