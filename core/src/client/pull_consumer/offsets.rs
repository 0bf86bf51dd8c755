//! Offsets of a pull consumer: the starting offset of a queue, commits, and the broker calls
//! behind `committed`, `seek_to_beginning` and `seek_to_end`. Queries go to the master, or to a
//! slave when the master is gone; commits go to the master only (`client::replica`).
//!
//! Starting offset: the group's committed offset (`QueryConsumerOffset`; `QUERY_NOT_FOUND`
//! means none), else by `consume_from`: the first message stored since the consumer started
//! (`LastOffset`, the push consumer's rule: `SearchOffset` at the start time, so a message
//! sent after `start` returned is never skipped because its queue was assigned a moment
//! later), the min offset (`GetMinOffset`) or the first offset at a time (`SearchOffset`).

use std::sync::Arc;

use super::ConsumerCore;
use crate::client::config::ConsumeFrom;
use crate::client::error::ClientError;
use crate::client::queue_state::QueueState;
use crate::client::route::MessageQueue;
use crate::client::shutdown::lock;
use crate::protocol::{
    GetMaxOffsetRequest, GetMinOffsetRequest, QueryConsumerOffsetRequest, SearchOffsetRequest,
    Status, UpdateConsumerOffsetRequest,
};

impl ConsumerCore {
    /// The group's committed offset of `mq`, `None` when it never committed one.
    pub(crate) async fn query_committed(
        &self,
        mq: &MessageQueue,
    ) -> Result<Option<u64>, ClientError> {
        let conn = self.instance.query_conn(mq).await?;
        let request = QueryConsumerOffsetRequest {
            consumer_group: self.group.clone(),
            topic: mq.topic.clone(),
            queue_id: mq.queue_id,
        };
        match conn
            .call(&request, self.instance.config.request_timeout)
            .await
        {
            Ok(response) => Ok(Some(response.offset)),
            Err(e) if e.status() == Some(Status::QueryNotFound) => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// Lowest (`max == false`) or end (`max == true`) offset of `mq`.
    pub(crate) async fn bound_offset(
        &self,
        mq: &MessageQueue,
        max: bool,
    ) -> Result<u64, ClientError> {
        let conn = self.instance.query_conn(mq).await?;
        let timeout = self.instance.config.request_timeout;
        let (topic, queue_id) = (mq.topic.clone(), mq.queue_id);
        let response = if max {
            conn.call(&GetMaxOffsetRequest { topic, queue_id }, timeout)
                .await?
        } else {
            conn.call(&GetMinOffsetRequest { topic, queue_id }, timeout)
                .await?
        };
        Ok(response.offset)
    }

    /// Where fetching of `mq` starts; see the module doc.
    pub(crate) async fn start_offset(&self, mq: &MessageQueue) -> Result<u64, ClientError> {
        if let Some(offset) = self.query_committed(mq).await? {
            return Ok(offset);
        }
        let started_ms = self.started_ms.load(std::sync::atomic::Ordering::Acquire);
        match self.options.consume_from {
            // Not started yet (no start time): the end of the queue now.
            ConsumeFrom::LastOffset if started_ms == 0 => self.bound_offset(mq, true).await,
            ConsumeFrom::FirstOffset => self.bound_offset(mq, false).await,
            ConsumeFrom::LastOffset | ConsumeFrom::Timestamp(_) => {
                let timestamp_ms = match self.options.consume_from {
                    ConsumeFrom::Timestamp(t) => t,
                    _ => started_ms,
                };
                let conn = self.instance.query_conn(mq).await?;
                let request = SearchOffsetRequest {
                    topic: mq.topic.clone(),
                    queue_id: mq.queue_id,
                    timestamp_ms,
                };
                let timeout = self.instance.config.request_timeout;
                Ok(conn.call(&request, timeout).await?.offset)
            }
        }
    }

    /// Commits `q`'s consumed offset to its master if it changed since the last commit. With
    /// the master gone (or being skipped after a failure) the commit waits: the offset stays
    /// the candidate and goes to the master when it is back.
    pub(crate) async fn commit_queue(&self, q: &QueueState) -> Result<(), ClientError> {
        let Some(offset) = q.commit_candidate() else {
            return Ok(());
        };
        let Some(conn) = self.instance.commit_conn(&q.mq).await? else {
            tracing::debug!(queue = %q.mq, offset, "master unavailable; the commit waits for it");
            return Ok(());
        };
        let request = UpdateConsumerOffsetRequest {
            consumer_group: self.group.clone(),
            topic: q.mq.topic.clone(),
            queue_id: q.mq.queue_id,
            offset,
        };
        conn.call(&request, self.instance.config.request_timeout)
            .await?;
        q.mark_committed(offset);
        Ok(())
    }

    /// Commits every assigned queue; every queue is tried, the first failure is returned.
    pub(crate) async fn commit_all(&self) -> Result<(), ClientError> {
        let queues: Vec<Arc<QueueState>> = lock(&self.queues).values().cloned().collect();
        let mut first_error = None;
        for q in queues {
            if let Err(e) = self.commit_queue(&q).await {
                tracing::warn!(queue = %q.mq, error = %e, "commit failed");
                first_error.get_or_insert(e);
            }
        }
        first_error.map_or(Ok(()), Err)
    }
}
