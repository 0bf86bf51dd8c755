//! One handler per request kind, mirroring `core/src/protocol/`, and the dispatch table.

pub mod api_versions;
pub mod consumer_send_back;
pub mod create_topic;
pub mod delete_subscription_group;
pub mod delete_topic;
pub mod describe_groups;
pub mod describe_topic;
pub mod end_transaction;
pub mod get_broker_status;
pub mod get_consumer_list;
pub mod get_consumer_offsets;
pub mod get_max_offset;
pub mod get_min_offset;
pub mod heartbeat;
pub mod list_topics;
pub mod lock_batch;
pub mod namesrv;
pub mod pull;
pub mod query_consumer_offset;
pub mod query_message;
pub mod query_route;
pub mod replica_fetch;
pub mod reset_offset;
pub mod search_offset;
pub mod send_batch;
pub mod send_message;
pub mod track_message;
pub mod unlock_batch;
pub mod unregister_client;
pub mod update_consumer_offset;
pub mod update_subscription_group;
pub mod update_topic;

use std::sync::Arc;

use ferrocket::protocol::{AnyRequest, PERM_READ, Status, TopicConfig};
use tokio::sync::OwnedSemaphorePermit;

use crate::broker::BrokerState;
use crate::broker::connection::ConnContext;
use crate::broker::names;
use crate::broker::reply::Reply;
use crate::broker::topics::TopicError;
use crate::config::BrokerRole;

/// Runs the handler of `request`. `permit` is the connection's in-flight slot; a handler that
/// parks (long polling) releases it while it waits. Sends never come here: the connection's
/// read loop begins them in arrival order (`send_message::begin`) and answers them itself.
pub async fn dispatch(
    state: &Arc<BrokerState>,
    ctx: &ConnContext,
    request: AnyRequest,
    permit: OwnedSemaphorePermit,
) -> Reply {
    match request {
        AnyRequest::ApiVersions(r) => api_versions::handle(r),
        AnyRequest::Pull(r) => pull::handle(state, ctx, r, permit).await,
        AnyRequest::QueryConsumerOffset(r) => query_consumer_offset::handle(state, r),
        AnyRequest::UpdateConsumerOffset(r) => update_consumer_offset::handle(state, r),
        AnyRequest::GetMinOffset(r) => get_min_offset::handle(state, r),
        AnyRequest::GetMaxOffset(r) => get_max_offset::handle(state, r),
        AnyRequest::SearchOffset(r) => search_offset::handle(state, r),
        AnyRequest::CreateTopic(r) => create_topic::handle(state, r),
        AnyRequest::UpdateTopic(r) => update_topic::handle(state, r),
        AnyRequest::DeleteTopic(r) => delete_topic::handle(state, r),
        AnyRequest::DescribeTopic(r) => describe_topic::handle(state, r),
        AnyRequest::ListTopics(r) => list_topics::handle(state, r),
        AnyRequest::QueryRoute(r) => query_route::handle(state, r),
        AnyRequest::Heartbeat(r) => heartbeat::handle(state, ctx, r),
        AnyRequest::RegisterBroker(r) => namesrv::register_broker(state, ctx, &r),
        AnyRequest::UnregisterBroker(r) => namesrv::unregister_broker(state, &r),
        AnyRequest::GetClusterInfo(r) => namesrv::get_cluster_info(state, &r),
        AnyRequest::ReplicaFetch(r) => replica_fetch::handle(state, ctx, r, permit).await,
        AnyRequest::GetBrokerStatus(_) => get_broker_status::handle(state),
        AnyRequest::GetConsumerOffsets(r) => get_consumer_offsets::handle(state, r),
        AnyRequest::GetConsumerList(r) => get_consumer_list::handle(state, r),
        AnyRequest::LockBatch(r) => lock_batch::handle(state, r),
        AnyRequest::UnlockBatch(r) => unlock_batch::handle(state, r),
        AnyRequest::ConsumerSendBack(r) => consumer_send_back::handle(state, r).await,
        AnyRequest::UnregisterClient(r) => unregister_client::handle(state, r),
        AnyRequest::EndTransaction(r) => end_transaction::handle(state, r).await,
        AnyRequest::QueryMessage(r) => query_message::handle(state, r),
        AnyRequest::TrackMessage(r) => track_message::handle(state, r),
        AnyRequest::UpdateSubscriptionGroup(r) => update_subscription_group::handle(state, r),
        AnyRequest::DeleteSubscriptionGroup(r) => delete_subscription_group::handle(state, r),
        AnyRequest::DescribeGroups(r) => describe_groups::handle(state, r),
        AnyRequest::ResetOffset(r) => reset_offset::handle(state, r).await,
        other => Reply::error(
            Status::UnsupportedApi,
            format!(
                "api {} is not served by this broker",
                other.api_key().name()
            ),
        ),
    }
}

/// The topic's config when it exists and `queue_id` is one of its readable queues.
pub fn readable_queue(
    state: &BrokerState,
    topic: &str,
    queue_id: u32,
) -> Result<TopicConfig, Reply> {
    let config = existing_topic(state, topic)?;
    if config.perm & PERM_READ == 0 {
        return Err(Reply::error(
            Status::NoPermission,
            format!("topic `{topic}` is not readable"),
        ));
    }
    if queue_id >= u32::from(config.read_queue_count) {
        return Err(Reply::error(
            Status::InvalidParameter,
            format!(
                "queue {queue_id} does not exist: topic `{topic}` has {} read queues",
                config.read_queue_count
            ),
        ));
    }
    Ok(config)
}

/// The topic's config when the name is valid and the topic exists.
pub fn existing_topic(state: &BrokerState, topic: &str) -> Result<TopicConfig, Reply> {
    names::check_topic(topic).map_err(|e| Reply::error(Status::InvalidParameter, e))?;
    state.topics.get(topic).ok_or_else(|| {
        Reply::error(
            Status::TopicNotExist,
            format!("topic `{topic}` does not exist"),
        )
    })
}

/// Refuses, on a slave, a request that would write to the store (a slave's commit log is a
/// copy of its master's and nothing else may append to it) or change a table the slave copies
/// from its master (subscription groups, consumer offsets), which the next copy would undo.
pub fn master_only(state: &BrokerState, what: &str) -> Result<(), Reply> {
    if state.config.role == BrokerRole::Slave {
        return Err(Reply::error(
            Status::ServiceNotAvailable,
            format!("this broker is a slave; {what} goes to its master"),
        ));
    }
    Ok(())
}

/// Checks a group name.
pub fn valid_group(group: &str) -> Result<(), Reply> {
    names::check_group(group).map_err(|e| Reply::error(Status::InvalidParameter, e))
}

/// The answer for a failed topic-table operation.
pub fn topic_error_reply(e: TopicError) -> Reply {
    let status = match &e {
        TopicError::NotExist(_) => Status::TopicNotExist,
        TopicError::ExistAlready(_) => Status::TopicExistAlready,
        TopicError::Invalid(_) => Status::InvalidParameter,
        _ => Status::SystemError,
    };
    Reply::error(status, e.to_string())
}
