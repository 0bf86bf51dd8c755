//! `TrackMessage` (api key 61): for one stored message, every consumer group subscribed to its
//! topic (known from heartbeats or from committed offsets) and whether the group consumed it.
//!
//! ```text
//! request  v0: topic:string(≤ TOPIC_LEN_MAX)  queue_id:u32  queue_offset:u64
//!              commit_log_offset:u64
//! response v0: groups: u32 count(≤ TRACK_GROUP_COUNT_MAX) ×
//!                (group:string(≤ GROUP_LEN_MAX) state:u8 online:bool committed_offset:u64)
//! ```

use bytes::{BufMut, Bytes, BytesMut};

use crate::limits::{GROUP_LEN_MAX, TOPIC_LEN_MAX, TRACK_GROUP_COUNT_MAX};
use crate::protocol::api::{ApiKey, Body, Request};
use crate::protocol::error::{DecodeError, EncodeError};
use crate::protocol::types::wire_enum;
use crate::protocol::wire::{self, PResult};

wire_enum! {
    /// Where a consumer group stands with one message.
    TrackState, "state" {
        /// The group's committed offset of the queue is past the message.
        Consumed = 0,
        /// The group has not consumed it yet (its committed offset is at or before it, or it
        /// has none).
        NotConsumedYet = 1,
        /// The group's subscription (tag or SQL92) does not select the message.
        Filtered = 2,
    }
}

/// Request body of `TrackMessage`: where the message is stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TrackMessageRequest {
    /// Topic.
    pub topic: String,
    /// Queue.
    pub queue_id: u32,
    /// Offset in the queue.
    pub queue_offset: u64,
    /// Commit-log offset of the record (to read its tag and properties).
    pub commit_log_offset: u64,
}

/// One consumer group's standing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GroupTrack {
    /// Group name.
    pub group: String,
    /// Consumed, not yet, or filtered out.
    pub state: TrackState,
    /// Whether a consumer of the group is connected (heartbeats).
    pub online: bool,
    /// The group's committed offset of the queue, `u64::MAX` when it has none.
    pub committed_offset: u64,
}

/// Response body of `TrackMessage`: every group, sorted by name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TrackMessageResponse {
    /// The groups.
    pub groups: Vec<GroupTrack>,
}

const GROUP_TRACK_LEN_MIN: usize = 2 + 1 + 1 + 8;

impl Body for TrackMessageRequest {
    fn encode(&self, out: &mut BytesMut) -> Result<(), EncodeError> {
        wire::put_string(out, "topic", &self.topic, TOPIC_LEN_MAX)?;
        out.put_u32(self.queue_id);
        out.put_u64(self.queue_offset);
        out.put_u64(self.commit_log_offset);
        Ok(())
    }

    fn decode(body: &Bytes) -> Result<TrackMessageRequest, DecodeError> {
        let (i, topic) = wire::string(body, "topic", TOPIC_LEN_MAX)?;
        let (i, queue_id) = wire::u32(i, "queue_id")?;
        let (i, queue_offset) = wire::u64(i, "queue_offset")?;
        let (i, commit_log_offset) = wire::u64(i, "commit_log_offset")?;
        wire::finish(i)?;
        Ok(TrackMessageRequest {
            topic: topic.to_owned(),
            queue_id,
            queue_offset,
            commit_log_offset,
        })
    }
}

impl Request for TrackMessageRequest {
    const API_KEY: ApiKey = ApiKey::TrackMessage;
    type Response = TrackMessageResponse;
}

impl Body for TrackMessageResponse {
    fn encode(&self, out: &mut BytesMut) -> Result<(), EncodeError> {
        wire::put_list(
            out,
            "groups",
            &self.groups,
            TRACK_GROUP_COUNT_MAX,
            |out, g| {
                wire::put_string(out, "group", &g.group, GROUP_LEN_MAX)?;
                out.put_u8(g.state.code());
                out.put_u8(u8::from(g.online));
                out.put_u64(g.committed_offset);
                Ok(())
            },
        )
    }

    fn decode(body: &Bytes) -> Result<TrackMessageResponse, DecodeError> {
        let (i, groups) = wire::list(
            body,
            "groups",
            TRACK_GROUP_COUNT_MAX,
            GROUP_TRACK_LEN_MIN,
            |i| {
                let (i, group) = wire::string(i, "group", GROUP_LEN_MAX)?;
                let (i, state) = TrackState::parse(i)?;
                let (i, online) = wire::bool(i, "online")?;
                let (i, committed_offset) = wire::u64(i, "committed_offset")?;
                let group = group.to_owned();
                Ok((
                    i,
                    GroupTrack {
                        group,
                        state,
                        online,
                        committed_offset,
                    },
                ))
            },
        )?;
        wire::finish(i)?;
        Ok(TrackMessageResponse { groups })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::testkit::{self, Case, Cut, Wire, samples};

    fn request() -> Case<TrackMessageRequest> {
        Case::request(samples::track_message_request())
    }

    fn response() -> Case<TrackMessageResponse> {
        Case::response::<TrackMessageRequest>(samples::track_message_response())
    }

    /// A `TrackMessage` request frame decodes to the request it was encoded from.
    #[test]
    fn request_roundtrip() {
        request().roundtrip();
    }

    /// The request matches `spec/vectors/track_message_request.json`.
    #[test]
    fn request_golden() {
        testkit::golden("track_message_request");
    }

    /// Every truncation of the request is incomplete or an error, never another value.
    #[test]
    fn request_truncations() {
        request().truncations();
    }

    /// An over-limit string length in the request is refused before its bytes arrive.
    #[test]
    fn request_over_limit() {
        request().over_limit(&[Cut::string(&[], "topic", TOPIC_LEN_MAX)]);
        let mut bad = samples::track_message_request();
        bad.topic = testkit::long(TOPIC_LEN_MAX + 1);
        testkit::assert_request_refused(&bad, "topic");
    }

    /// The request fed one byte at a time comes out once, whole.
    #[test]
    fn request_byte_at_a_time() {
        request().byte_at_a_time();
    }

    /// A `TrackMessage` response frame decodes to the response it was encoded from.
    #[test]
    fn response_roundtrip() {
        response().roundtrip();
    }

    /// The response matches `spec/vectors/track_message_response.json`.
    #[test]
    fn response_golden() {
        testkit::golden("track_message_response");
    }

    /// Every truncation of the response is incomplete or an error, never another value.
    #[test]
    fn response_truncations() {
        response().truncations();
    }

    /// Over-limit lengths and counts in the response are refused before their data arrives.
    #[test]
    fn response_over_limit() {
        let one = Wire::new().u32(1).done();
        response().over_limit(&[
            Cut::u32_len(&[], "groups", TRACK_GROUP_COUNT_MAX),
            Cut::count_past_end(&[], "groups", 1),
            Cut::string(&one, "group", GROUP_LEN_MAX).padded(GROUP_TRACK_LEN_MIN),
        ]);
        let mut bad = samples::track_message_response();
        bad.groups = vec![bad.groups[0].clone(); TRACK_GROUP_COUNT_MAX + 1];
        testkit::assert_response_refused::<TrackMessageRequest>(&bad, "groups");
    }

    /// The response fed one byte at a time comes out once, whole.
    #[test]
    fn response_byte_at_a_time() {
        response().byte_at_a_time();
    }
}
