//! `TrackMessage`: for one stored message, every consumer group that subscribes to its topic
//! (from heartbeats) or holds a committed offset of its queue, and whether the group consumed
//! it (committed offset past it), has not yet, or filters it out (its subscription does not
//! select it).

use std::collections::BTreeMap;

use ferrocket::protocol::record::parse_record;
use ferrocket::protocol::{
    GroupTrack, Status, Subscription, TrackMessageRequest, TrackMessageResponse, TrackState,
};

use crate::broker::BrokerState;
use crate::broker::filter::Filter;
use crate::broker::reply::Reply;

/// Handles `TrackMessage`.
pub fn handle(state: &BrokerState, request: TrackMessageRequest) -> Reply {
    let Some(record) = state.store.read_record(request.commit_log_offset) else {
        return Reply::error(
            Status::QueryNotFound,
            "no message at that commit-log offset",
        );
    };
    let view = match parse_record(&record) {
        Ok(view) => view,
        Err(e) => return Reply::error(Status::SystemError, format!("stored record: {e}")),
    };
    if view.topic != request.topic
        || view.queue_id() != request.queue_id
        || view.queue_offset() != request.queue_offset
    {
        return Reply::error(
            Status::QueryNotFound,
            "the message is not at that queue position",
        );
    }
    let mut groups: BTreeMap<String, Option<Subscription>> = BTreeMap::new();
    for (group, sub) in state.clients.subscriptions_to(&request.topic) {
        groups.insert(group, Some(sub));
    }
    for (group, topic, queue_id, _) in state.offsets.all() {
        if topic == request.topic && queue_id == request.queue_id {
            groups.entry(group).or_insert(None);
        }
    }
    let tracks = groups
        .into_iter()
        .take(ferrocket::limits::TRACK_GROUP_COUNT_MAX)
        .map(|(group, sub)| {
            let committed = state
                .offsets
                .query(&group, &request.topic, request.queue_id);
            let filtered = sub.as_ref().is_some_and(|s| {
                Filter::parse(s.expression_type, &s.expression)
                    .is_ok_and(|f| !f.matches_record(&view))
            });
            let state = if filtered {
                TrackState::Filtered
            } else if committed.is_some_and(|c| c > request.queue_offset) {
                TrackState::Consumed
            } else {
                TrackState::NotConsumedYet
            };
            GroupTrack {
                group,
                state,
                online: sub.is_some(),
                committed_offset: committed.unwrap_or(u64::MAX),
            }
        })
        .collect();
    Reply::ok(TrackMessageResponse { groups: tracks })
}
