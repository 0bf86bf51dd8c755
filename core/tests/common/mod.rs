//! Shared by `codec_props.rs` and `alloc_bound.rs`: proptest strategies for every body and
//! record (`strategies`), `AnyResponse` (the response body of any api key), and
//! `decode_everything`, which runs every decoder of the codec over a byte slice.

#![allow(dead_code)]

pub mod strategies;

pub use strategies::*;

use bytes::{Bytes, BytesMut};

use ferrocket::MessageExt;
use ferrocket::protocol::api::ApiKey;
use ferrocket::protocol::record::{RecordStamp, StorePatch, decode_records, parse_record};
use ferrocket::protocol::*;

/// Any response body, with the api key whose `OK` response it is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AnyResponse {
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
}

impl AnyResponse {
    /// Appends the encoded body.
    pub fn encode(&self, out: &mut BytesMut) -> Result<(), EncodeError> {
        match self {
            AnyResponse::ApiVersions(b) => b.encode(out),
            AnyResponse::Send(b) => b.encode(out),
            AnyResponse::Pull(b) => b.encode(out),
            AnyResponse::Offset(b) => b.encode(out),
            AnyResponse::Empty(b) => b.encode(out),
            AnyResponse::DescribeTopic(b) => b.encode(out),
            AnyResponse::ListTopics(b) => b.encode(out),
            AnyResponse::Route(b) => b.encode(out),
            AnyResponse::Register(b) => b.encode(out),
            AnyResponse::ClusterInfo(b) => b.encode(out),
            AnyResponse::ReplicaFetch(b) => b.encode(out),
            AnyResponse::BrokerStatus(b) => b.encode(out),
            AnyResponse::ConsumerOffsets(b) => b.encode(out),
        }
    }

    /// The body as an object-safe encoder.
    pub fn as_body(&self) -> &dyn BodyEncode {
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
        }
    }

    /// Decodes a body with the response type of `key`.
    pub fn decode(key: ApiKey, body: &Bytes) -> Result<AnyResponse, DecodeError> {
        Ok(match key {
            ApiKey::ApiVersions => AnyResponse::ApiVersions(Body::decode(body)?),
            ApiKey::SendMessage | ApiKey::SendBatch => AnyResponse::Send(Body::decode(body)?),
            ApiKey::Pull => AnyResponse::Pull(Body::decode(body)?),
            ApiKey::QueryConsumerOffset
            | ApiKey::GetMinOffset
            | ApiKey::GetMaxOffset
            | ApiKey::SearchOffset => AnyResponse::Offset(Body::decode(body)?),
            ApiKey::DescribeTopic => AnyResponse::DescribeTopic(Body::decode(body)?),
            ApiKey::ListTopics => AnyResponse::ListTopics(Body::decode(body)?),
            ApiKey::QueryRoute => AnyResponse::Route(Body::decode(body)?),
            ApiKey::RegisterBroker => AnyResponse::Register(Body::decode(body)?),
            ApiKey::GetClusterInfo => AnyResponse::ClusterInfo(Body::decode(body)?),
            ApiKey::ReplicaFetch => AnyResponse::ReplicaFetch(Body::decode(body)?),
            ApiKey::GetBrokerStatus => AnyResponse::BrokerStatus(Body::decode(body)?),
            ApiKey::GetConsumerOffsets => AnyResponse::ConsumerOffsets(Body::decode(body)?),
            _ => AnyResponse::Empty(Body::decode(body)?),
        })
    }
}

/// The stamp and patch that re-encode a decoded record exactly.
pub fn stamp_and_patch(ext: &MessageExt) -> (RecordStamp, StorePatch) {
    let stamp = RecordStamp {
        msg_id: ext.msg_id,
        sys_flag: ext.sys_flag,
        queue_id: ext.queue_id,
        reconsume_times: ext.reconsume_times,
        born_timestamp_ms: ext.born_timestamp_ms,
        born_host: ext.born_host,
        prepared_transaction_offset: ext.prepared_transaction_offset,
    };
    let patch = StorePatch {
        queue_id: ext.queue_id,
        queue_offset: ext.queue_offset,
        commit_log_offset: ext.commit_log_offset,
        store_timestamp_ms: ext.store_timestamp_ms,
        store_host: ext.store_host,
    };
    (stamp, patch)
}

/// Runs every decoder of the codec over `data`, as a frame stream and as a bare body; none may
/// panic. Returns how many of them accepted the bytes (to keep the work observable).
pub fn decode_everything(data: &Bytes) -> usize {
    let mut accepted = 0;
    if let Ok(Some(len)) = split_frame(data) {
        let frame = data.slice(..len);
        accepted += usize::from(decode_frame(frame).is_ok());
    }
    let mut reader = FrameReader::new();
    reader.push(data);
    while let Ok(Some(_)) = reader.next_frame() {
        accepted += 1;
    }
    for key in ApiKey::ALL {
        accepted += usize::from(AnyRequest::decode(key.code(), 0, data).is_ok());
        accepted += usize::from(AnyResponse::decode(*key, data).is_ok());
    }
    accepted += usize::from(parse_record(data).is_ok());
    accepted += usize::from(decode_records(data).is_ok());
    accepted
}
