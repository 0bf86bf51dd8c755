//! Message queries and tracking for `Admin` (mqadmin's `queryMsgByKey`, `queryMsgById`,
//! `queryMsgByUniqueKey`, `queryMsgByOffset` and `msgTrack` / `consumeMessage` tracking).
//!
//! Each call goes to one broker. A message id is either the broker's offset id (store host
//! and commit-log offset, `parse_offset_msg_id`) or the producer's unique id; the CLI tries
//! both.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};

use crate::client::admin::Admin;
use crate::client::error::ClientError;
use crate::message::{MessageExt, MessageId};
use crate::protocol::record::decode_records;
use crate::protocol::{GroupTrack, QueryBy, QueryMessageRequest, Status, TrackMessageRequest};

/// A time range of store timestamps (ms since the epoch); `0` ends are unbounded.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct TimeRange {
    /// Stored at or after (0 = no bound).
    pub begin_ms: u64,
    /// Stored at or before (0 = no bound).
    pub end_ms: u64,
}

/// The store host and commit-log offset in a broker offset id (32 hex characters for an IPv4
/// host, 56 for IPv6); `None` when `id` is not one.
pub fn parse_offset_msg_id(id: &str) -> Option<(SocketAddr, u64)> {
    let bytes = hex(id)?;
    let (ip, rest): (IpAddr, &[u8]) = match bytes.len() {
        16 => {
            let o: [u8; 4] = bytes[..4].try_into().ok()?;
            (IpAddr::V4(Ipv4Addr::from(o)), &bytes[4..])
        }
        28 => {
            let o: [u8; 16] = bytes[..16].try_into().ok()?;
            (IpAddr::V6(Ipv6Addr::from(o)), &bytes[16..])
        }
        _ => return None,
    };
    let port = u32::from_be_bytes(rest[..4].try_into().ok()?);
    let offset = u64::from_be_bytes(rest[4..12].try_into().ok()?);
    Some((SocketAddr::new(ip, u16::try_from(port).ok()?), offset))
}

fn hex(text: &str) -> Option<Vec<u8>> {
    if !text.len().is_multiple_of(2) {
        return None;
    }
    (0..text.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(text.get(i..i + 2)?, 16).ok())
        .collect()
}

impl Admin {
    async fn query(
        &self,
        broker_addr: &str,
        request: QueryMessageRequest,
    ) -> Result<Vec<MessageExt>, ClientError> {
        match self.call(broker_addr, &request).await {
            Ok(response) => decode_records(&response.records).map_err(ClientError::Decode),
            Err(e) if e.status() == Some(Status::QueryNotFound) => Ok(Vec::new()),
            Err(e) => Err(e),
        }
    }

    fn request(topic: &str, query_by: QueryBy) -> QueryMessageRequest {
        QueryMessageRequest {
            topic: topic.to_owned(),
            query_by,
            key: String::new(),
            queue_id: 0,
            offset: 0,
            begin_timestamp_ms: 0,
            end_timestamp_ms: 0,
            max_results: 0,
        }
    }

    /// Messages of `topic` with key `key` stored in `range`, newest first, at most
    /// `max_results` (0 = `QUERY_MESSAGE_COUNT_DEFAULT`, 32).
    pub async fn query_message_by_key(
        &self,
        broker_addr: &str,
        topic: &str,
        key: &str,
        range: TimeRange,
        max_results: u32,
    ) -> Result<Vec<MessageExt>, ClientError> {
        let mut request = Admin::request(topic, QueryBy::Key);
        request.key = key.to_owned();
        request.begin_timestamp_ms = range.begin_ms;
        request.end_timestamp_ms = range.end_ms;
        request.max_results = max_results;
        self.query(broker_addr, request).await
    }

    /// Messages with the producer's unique id `msg_id` (of `topic`, or any topic when empty).
    pub async fn query_message_by_unique_key(
        &self,
        broker_addr: &str,
        topic: &str,
        msg_id: MessageId,
    ) -> Result<Vec<MessageExt>, ClientError> {
        let mut request = Admin::request(topic, QueryBy::UniqueKey);
        request.key = msg_id.to_string();
        self.query(broker_addr, request).await
    }

    /// The message stored at `commit_log_offset` (from a broker offset id), if any.
    pub async fn view_message(
        &self,
        broker_addr: &str,
        commit_log_offset: u64,
    ) -> Result<Option<MessageExt>, ClientError> {
        let mut request = Admin::request("", QueryBy::CommitLogOffset);
        request.offset = commit_log_offset;
        Ok(self.query(broker_addr, request).await?.into_iter().next())
    }

    /// The message at `queue_offset` of queue `queue_id` of `topic`, if any.
    pub async fn query_message_by_queue_offset(
        &self,
        broker_addr: &str,
        topic: &str,
        queue_id: u32,
        queue_offset: u64,
    ) -> Result<Option<MessageExt>, ClientError> {
        let mut request = Admin::request(topic, QueryBy::QueueOffset);
        request.queue_id = queue_id;
        request.offset = queue_offset;
        Ok(self.query(broker_addr, request).await?.into_iter().next())
    }

    /// Every consumer group of `msg`'s topic and whether it consumed `msg`.
    pub async fn track_message(
        &self,
        broker_addr: &str,
        msg: &MessageExt,
    ) -> Result<Vec<GroupTrack>, ClientError> {
        let request = TrackMessageRequest {
            topic: msg.topic().to_owned(),
            queue_id: msg.queue_id,
            queue_offset: msg.queue_offset,
            commit_log_offset: msg.commit_log_offset,
        };
        Ok(self.call(broker_addr, &request).await?.groups)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An offset id parses back to its store host and commit-log offset.
    #[test]
    fn offset_ids() {
        let addr: SocketAddr = "10.0.0.1:10911".parse().unwrap();
        let id = crate::message::offset_msg_id(addr, 0x1234);
        assert_eq!(parse_offset_msg_id(&id), Some((addr, 0x1234)));
        let v6: SocketAddr = "[2001:db8::7]:10911".parse().unwrap();
        let id = crate::message::offset_msg_id(v6, 99);
        assert_eq!(parse_offset_msg_id(&id), Some((v6, 99)));
        assert_eq!(parse_offset_msg_id("xyz"), None);
        assert_eq!(parse_offset_msg_id(&"0".repeat(30)), None);
    }
}
